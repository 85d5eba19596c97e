"""``followsync.toml``: a declarative spec that validates and documents itself.

Every setting, ``[notify]`` and ``[[trackers]]`` included, is declared once in :data:`SPEC`
with its type, default and a sentence of help; :class:`Profile`, :class:`Rules` and
:class:`NotifySettings` take their defaults from it. :func:`load` checks a file against it and
reports *all* problems in one :class:`~followsync.errors.ConfigError`; :func:`starter_toml`
(what ``followsync init`` writes) and README's configuration reference are written from it.
No setting is required: with no file, every default applies and ``--tracker`` names the tracker.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import shlex
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from email.utils import parseaddr
from pathlib import Path
from typing import TYPE_CHECKING, Any

import platformdirs

from ..days_off import holiday_calendar
from ..errors import ConfigError

# The spec's types and the starter file are read as config.X by the rest of followsync.
from .spec import SPEC, Address, AddressList, Section, Setting, _default, _section  # noqa: F401
from .starter import starter_toml  # noqa: F401

if TYPE_CHECKING:
    from ..inbox.settings import InboxSettings

CONFIG_NAME = "followsync.toml"


@dataclass(frozen=True)
class Profile:
    name: str = _default("profile", "name")
    email: str = _default("profile", "email")
    phone: str = _default("profile", "phone")
    highlights: str = _default("profile", "highlights")

    @property
    def is_empty(self) -> bool:
        return not (self.name or self.email or self.phone)


@dataclass(frozen=True)
class Rules:
    """The numbers of RULES.md, each changeable under ``[rules]`` (defaults from :data:`SPEC`)."""

    thank_you_hours: int = _default("rules", "thank_you_hours")
    first_follow_up_days: int = _default("rules", "first_follow_up_days")
    follow_up_gap_days: int = _default("rules", "follow_up_gap_days")
    rejection_reply_days: int = _default("rules", "rejection_reply_days")
    skip_weekends: bool = _default("rules", "skip_weekends")
    call_after: int = _default("rules", "call_after")
    final_after: int = _default("rules", "final_after")
    soon_days: int = _default("rules", "soon_days")
    max_words: int = _default("rules", "max_words")
    linkedin_note_chars: int = _default("rules", "linkedin_note_chars")
    holidays: str = _default("rules", "holidays")

    def holiday_dates(self, years: Iterable[int]) -> frozenset[dt.date]:
        """The public holidays of ``[rules] holidays`` in ``years`` (none when it is unset)."""
        return frozenset(holiday_calendar(self.holidays, years)) if self.holidays else frozenset()


@dataclass(frozen=True)
class TrackerSpec:
    """One tracker of ``[[trackers]]`` (a coach's clients, or a person's Sheets and local files)."""

    name: str
    location: str
    worksheet: str | None = None
    language: str | None = None


@dataclass(frozen=True)
class NotifySettings:
    """A validated ``[notify]`` table. Build one with :meth:`from_dict`."""

    host: str
    sender: str
    to: tuple[str, ...]
    port: int = _default("notify", "port")
    username: str = _default("notify", "username")
    password_env: str | None = _default("notify", "password_env")
    password_file: Path | None = _default("notify", "password_file")
    coach: tuple[str, ...] = _default("notify", "coach")
    weekly_report: bool = _default("notify", "weekly_report")
    starttls: bool = _default("notify", "starttls")
    timeout: float = _default("notify", "timeout")
    cafile: Path | None = _default("notify", "cafile")

    def __repr__(self) -> str:  # names where the password is, never the password
        return f"NotifySettings(host={self.host!r}, port={self.port}, username={self.username!r}, to={self.to!r})"

    @property
    def server(self) -> str:
        return f"{self.host}:{self.port}"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, base_dir: Path | None = None) -> NotifySettings:
        """Validate a ``[notify]`` table; every problem is listed in one :class:`ConfigError`.

        Relative paths are read from ``base_dir`` (the config file's folder); ``~`` is expanded.
        """
        if not isinstance(data, Mapping):
            raise ConfigError(_section("notify").not_a_table)
        problems: list[str] = []
        values = _read_section("notify", data, problems, base_dir)
        if problems:
            raise ConfigError.listing("The [notify] settings", problems, verb="have")
        return cls(**values)


def warn_if_shared(path: Path) -> None:
    """Warn (as ssh does) when a file holding a secret can be read by its group or others."""
    try:
        mode = os.stat(path).st_mode & 0o777
    except OSError:
        return  # the caller's read says what is wrong
    if mode & 0o077:
        logging.getLogger("followsync").warning(
            "followsync: %s holds a secret but other users can read it (mode %04o); run `chmod 600 %s`",
            path,
            mode,
            shlex.quote(str(path)),
        )


def address_of(text: str) -> str:
    """The bare address of 'Name <a@b.c>' or 'a@b.c'; '' when it is not one."""
    _, addr = parseaddr(text)
    local, at, domain = addr.rpartition("@")
    return addr if at and local and "." in domain and " " not in addr else ""


@dataclass(frozen=True)
class Config:
    """A validated configuration. ``path`` is the file it came from, if any."""

    profile: Profile = field(default_factory=Profile)
    rules: Rules = field(default_factory=Rules)
    timezone: str | None = None
    date_order: str = _default("date_order")
    language: str = _default("language")
    signoff: str = _default("signoff")
    templates_dir: Path | None = None
    location: str | None = None
    worksheet: str | None = None
    google_credentials: Path | None = None
    airtable_token_file: Path | None = None
    calendar_path: Path | None = None
    parallel: int = _default("parallel")
    columns: tuple[tuple[str, str], ...] = ()  # [columns]: header -> followsync column
    trackers: tuple[TrackerSpec, ...] = ()
    notify: NotifySettings | None = None  # when [notify] is set
    inbox: InboxSettings | None = None  # when [inbox] is set
    path: Path | None = None

    def targets(self) -> list[TrackerSpec]:
        """Every tracker a plain ``followsync run`` does: ``[tracker]`` and ``[[trackers]]``."""
        out = list(self.trackers)
        if self.location and not any(t.location == self.location for t in out):
            out.insert(0, TrackerSpec("tracker", self.location, self.worksheet))
        return out

    def resolve(self, value: str | None) -> Path | None:
        """A path setting, relative to the config file's folder and with ``~`` expanded."""
        return _resolve(value, self.path.parent if self.path is not None else None)


def _resolve(value: str | None, base_dir: Path | None) -> Path | None:
    if not value:
        return None
    p = Path(value).expanduser()
    return base_dir / p if base_dir is not None and not p.is_absolute() else p


def state_dir(*parts: str) -> Path:
    """Where followsync keeps what it remembers between runs (never the person's data):
    ``$FOLLOWSYNC_STATE_DIR``, else the user state folder; ``parts`` below it."""
    return Path(os.environ.get("FOLLOWSYNC_STATE_DIR") or platformdirs.user_state_dir("followsync"), *parts)


def cache_dir(*parts: str) -> Path:
    """Where followsync keeps what it can always make again (a tracker's rows as last read):
    ``$FOLLOWSYNC_CACHE_DIR``, else the user cache folder; ``parts`` below it."""
    return Path(os.environ.get("FOLLOWSYNC_CACHE_DIR") or platformdirs.user_cache_dir("followsync"), *parts)


def default_path() -> Path | None:
    """The config file to use when ``--config`` is not given, or None when there is none."""
    env = os.environ.get("FOLLOWSYNC_CONFIG")
    if env:
        return Path(env).expanduser()
    here = Path.cwd() / CONFIG_NAME
    if here.exists():
        return here
    user = Path(platformdirs.user_config_dir("followsync")) / CONFIG_NAME
    return user if user.exists() else None


def load(path: str | os.PathLike | None = None) -> Config:
    """Load and validate a config file; ``None`` looks in the usual places (or uses defaults)."""
    explicit = path is not None
    p = Path(path).expanduser() if path is not None else default_path()
    if p is None:
        return Config()
    if not p.exists():
        where = "--config" if explicit else "$FOLLOWSYNC_CONFIG"
        raise ConfigError(
            f"Config file {p} (from {where}) does not exist.", hint="Check the path, or run without it."
        )
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"Cannot read config file {p}: {e}") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{p} is not valid TOML: {e}") from None
    return from_dict(data, p)


def from_dict(data: dict[str, Any], path: Path | None = None) -> Config:
    """Validate a parsed config against :data:`SPEC`; every problem is listed at once."""
    problems: list[str] = []
    base_dir = path.parent if path else None
    values = {key: _read_entry(key, data[key], problems, base_dir) for key in data}
    if problems:
        where = f" in {path}" if path else ""
        raise ConfigError.listing(f"The configuration{where}", problems)
    for key, spec in SPEC.items():  # what the file leaves out
        if key not in values:
            values[key] = _absent(key, spec, base_dir)
    return _config(values, path, notify="notify" in data)


def _absent(key: str, spec: Setting | Section, base_dir: Path | None) -> Any:
    """The value of a setting or section the file does not mention: its defaults."""
    if isinstance(spec, Setting):
        return spec.default
    if key == "inbox":
        return None
    return () if spec.many else _read_section(key, {}, [], base_dir)


def _read_entry(key: str, value: Any, problems: list[str], base_dir: Path | None) -> Any:
    """One top-level key of the file: a setting, a [section] or [[trackers]]."""
    spec = SPEC.get(key)
    if spec is None:
        problems.append(f"unknown setting {key!r}; known: {', '.join(SPEC)}")
        return None
    if isinstance(spec, Setting):
        return _read_value(key, spec, value, problems, base_dir, False)
    if spec.many:
        return _trackers(value, problems)
    if not isinstance(value, dict):
        problems.append(spec.not_a_table or f"[{key}] must be a section")
        return _absent(key, spec, base_dir)
    if key == "inbox":
        from ..inbox.settings import read

        inbox, wrong = read(value, base_dir=base_dir)
        problems.extend(wrong)
        return inbox
    return _read_section(key, value, problems, base_dir)


def _read_section(
    name: str, table: Mapping[str, Any], problems: list[str], base: Path | None
) -> dict[str, Any]:
    """A [section]'s values, each default where the file leaves it out or gets it wrong."""
    spec = _section(name)
    if spec.free is not None:
        return {
            k: _read_value(f"{name}.{k!r}", spec.free, v, problems, base, False) for k, v in table.items()
        }
    known = ", ".join(spec.settings)
    for key in table:
        if key not in spec.settings:
            hint = f" ({spec.hints[key]})" if key in spec.hints else ""
            problems.append(spec.unknown.format(section=name, key=key, known=known, hint=hint))
    strip = spec.blank_is_unset
    values = {
        k: _read_value(f"{name}.{k}", s, table.get(k, _UNSET), problems, base, strip) for k, s in spec.items()
    }
    if spec.check is not None:
        problems.extend(spec.check(values))
    return values


_UNSET: Any = object()


def _read_value(
    name: str, s: Setting, value: Any, problems: list[str], base: Path | None, strip: bool
) -> Any:
    """A setting's value, checked and converted; its default when unset or wrong.

    ``strip``: text is stripped, and a blank one is as if not set (``[notify]``'s way)."""
    blank = value is _UNSET or (strip and s.type in (str, Address, AddressList) and value in ("", [], None))
    if blank:
        if s.required:
            problems.append(f"{name} is required: {s.help}")
        return s.default
    wrong = _check(s, value)
    if wrong:
        problems.extend(f"{name}: {w}" for w in wrong)
        return s.default
    if s.type is AddressList:
        return tuple(v.strip() for v in ([value] if isinstance(value, str) else value))
    if s.type is float:
        return float(value)
    if strip and isinstance(value, str):
        value = value.strip()
    return _resolve(value, base) if s.path else value


_NOT_A = {
    int: "is not a whole number",
    float: "is not a number",
    bool: "is not true or false",
    str: "is not text (put it in quotes)",  # an Address too: only a text can be one
    AddressList: "is not an address or a list of addresses",
}


def _is_a(kind: type, value: Any) -> bool:
    if kind in (int, float):
        return not isinstance(value, bool) and isinstance(value, int if kind is int else int | float)
    if kind is Address:
        return isinstance(value, str)
    if kind is AddressList:
        items = [value] if isinstance(value, str) else value
        return isinstance(items, list) and all(isinstance(v, str) for v in items)
    return isinstance(value, kind)


def _check(s: Setting, value: Any) -> list[str]:
    """What is wrong with a set value (each item starts with the value), or nothing."""
    if not _is_a(s.type, value):
        return [f"{value!r} {s.problem or _NOT_A[str if s.type is Address else s.type]}"]
    if s.choices and value not in s.choices:
        return [f"{value!r} is not one of {', '.join(map(str, s.choices))}"]
    if s.minimum is not None and value < s.minimum:
        return [f"{value!r} {s.problem or f'is below the smallest sensible value, {s.minimum}'}"]
    if s.maximum is not None and value > s.maximum:
        return [f"{value!r} {s.problem or f'is above the largest sensible value, {s.maximum}'}"]
    if s.type is Address and value.strip() and not address_of(value.strip()):
        return [f"{value.strip()!r} is not an email address"]
    if s.type is AddressList:
        items = [value] if isinstance(value, str) else value
        return [f"{item!r} is not an email address" for item in items if not address_of(item)]
    wrong = s.validate(value) if s.validate is not None else None
    return [f"{value!r} {wrong}"] if wrong else []


def _trackers(value: Any, problems: list[str]) -> tuple[TrackerSpec, ...]:
    """``[[trackers]]``: each needs a name of its own and a location."""
    keys = _section("trackers").settings
    if not isinstance(value, list) or not all(isinstance(t, dict) for t in value):
        problems.append("[[trackers]] must be a list of tables, each with name and location")
        return ()
    out, names = [], set()
    for n, table in enumerate(value, 1):
        for key in table:
            if key not in keys:
                problems.append(f"trackers #{n}: unknown setting {key!r}; known: {', '.join(keys)}")
        name, location = table.get("name"), table.get("location")
        if not isinstance(name, str) or not name.strip():
            problems.append(f"trackers #{n}: name is required ({keys['name'].help})")
            continue
        if name in names:
            problems.append(f"trackers #{n}: the name {name!r} is used twice")
        names.add(name)
        if not isinstance(location, str) or not location.strip():
            problems.append(f"trackers #{n} ({name}): location is required ({keys['location'].help})")
            continue
        worksheet = table.get("worksheet")
        if worksheet is not None and not isinstance(worksheet, str):
            problems.append(f"trackers #{n} ({name}): worksheet must be text")
            worksheet = None
        language = table.get("language")
        if language is not None and language not in keys["language"].choices:
            problems.append(f"trackers #{n} ({name}): language {language!r} is not one of en, de, fr, es")
            language = None
        out.append(TrackerSpec(name, location, worksheet, language))
    return tuple(out)


def _config(values: dict[str, Any], path: Path | None, *, notify: bool) -> Config:
    """The :class:`Config` of valid values (SPEC's names -> the fields code reads)."""
    return Config(
        profile=Profile(**values["profile"]),
        rules=Rules(**values["rules"]),
        timezone=values["timezone"],
        date_order=values["date_order"],
        language=values["language"],
        signoff=values["signoff"],
        templates_dir=values["templates_dir"],
        location=values["tracker"]["location"],
        worksheet=values["tracker"]["worksheet"],
        google_credentials=values["google"]["credentials"],
        airtable_token_file=values["airtable"]["token_file"],
        calendar_path=values["calendar"]["path"],
        parallel=values["parallel"],
        columns=tuple(values["columns"].items()),
        trackers=values["trackers"],
        notify=NotifySettings(**values["notify"]) if notify else None,
        inbox=values["inbox"],
        path=path,
    )
