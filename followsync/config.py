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
import ipaddress
import logging
import os
import shlex
import tomllib
import zoneinfo
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from email.utils import parseaddr
from pathlib import Path
from typing import TYPE_CHECKING, Any

import platformdirs

from .days_off import holiday_calendar
from .errors import ConfigError

if TYPE_CHECKING:
    from .inbox.settings import InboxSettings

CONFIG_NAME = "followsync.toml"


class Address(str):
    """A :class:`Setting` type: one email address, ``Name <a@b.c>`` or ``a@b.c``."""


class AddressList(tuple):
    """A :class:`Setting` type: an address or a list of them (read as a tuple)."""


@dataclass(frozen=True)
class Setting:
    """One key: its type, default and help, and what makes a value wrong.

    ``validate`` checks a value of the right type further: it returns what is wrong ("is not a
    time zone; ..."), or None. ``problem`` replaces the type's wording for a wrong value.
    """

    type: type
    default: Any
    help: str
    choices: tuple[Any, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    example: Any = None
    required: bool = False
    path: bool = False  # a file or folder: ``~`` expanded, relative to the config file's folder
    validate: Callable[[Any], str | None] | None = None
    problem: str | None = None
    instead_of: str | None = None  # the other way to give the same thing (keep one)


@dataclass(frozen=True)
class Section(Mapping[str, Setting]):
    """A ``[table]`` of settings (or, ``many``, an array of tables such as ``[[trackers]]``).

    It reads as the mapping of its settings (``for key in SPEC["rules"]``). ``check`` looks
    across the section's values once each is read, and returns its problems; the wording
    fields keep each section's messages as people have come to know them.
    """

    help: str
    settings: dict[str, Setting]
    many: bool = False
    blank_is_unset: bool = False  # an empty text counts as not set, and text is stripped
    check: Callable[[dict[str, Any]], list[str]] | None = None
    not_a_table: str = ""
    unknown: str = "unknown setting {section}.{key}; known in [{section}]: {known}"
    hints: Mapping[str, str] = field(default_factory=dict)
    free: Setting | None = None  # any key, each value this setting ([columns]: header -> column)

    def __getitem__(self, key: str) -> Setting:
        return self.settings[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.settings)

    def __len__(self) -> int:
        return len(self.settings)


def _time_zone(value: str) -> str | None:
    if not value:
        return None
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return "is not a time zone; use a name like Europe/Berlin or America/New_York"
    return None


def _holiday_region(value: str) -> str | None:
    if not value:
        return None
    try:
        holiday_calendar(value, [2026])
    except NotImplementedError:
        return 'is not a country the holidays package knows; use a code like "DE", "US" or "DE-BY"'
    return None


_POSITIVE_SECONDS = "is not a positive number of seconds"  # [notify] timeout's wording


def _rules_agree(rules: dict[str, Any]) -> list[str]:
    final, call = rules["final_after"], rules["call_after"]
    if final <= call:
        return [f"rules.final_after ({final}) must be greater than rules.call_after ({call})"]
    return []


def _login_is_safe(notify: dict[str, Any]) -> list[str]:
    """The password settings go together, and a password never travels unencrypted."""
    username, env, file = notify["username"], notify["password_env"], notify["password_file"]
    out = []
    if env and file:
        out.append("notify.password_env and notify.password_file are both set; keep one")
    if username and not (env or file):
        out.append("notify.username is set but not where the password is: add password_env or password_file")
    if (env or file) and not username:
        out.append("a password is configured but notify.username is blank")
    if username and not notify["starttls"] and notify["host"] and not _is_loopback(notify["host"]):
        out.append(
            "notify.starttls = false would send the password unencrypted; "
            "keep starttls = true (plain SMTP is only for a relay on this machine)"
        )
    return out


# fmt: off
SPEC: dict[str, Setting | Section] = {
    "timezone": Setting(str, None, "IANA time zone that 'today' is read in, e.g. Europe/Berlin; default: the system's",
        example="Europe/Berlin", validate=_time_zone),
    "date_order": Setting(str, "DMY", "how to read 03/11/2026 in date cells: DMY (3 Nov) or MDY (Mar 11)", ("DMY", "MDY")),
    "language": Setting(str, "en", "the language of drafts and Reminders: en, de, fr or es (a row's Language cell overrides it)",
        ("en", "de", "fr", "es")),
    "signoff": Setting(str, "", "the closing line your own templates end with, e.g. 'Hochachtungsvoll,'; lint then looks for it",
        example="Best regards,"),
    "templates_dir": Setting(str, None, "a folder of your own message templates; a file there overrides the shipped one of the same name",
        example="~/followsync-templates", path=True),
    "parallel": Setting(int, 4, "how many of [[trackers]] a run works on at once (1: one after another); "
        "trackers on one Airtable base, and .xlsx files, still go one at a time", minimum=1, maximum=16),
    "profile": Section("who you are, for the sign-off of every message", {
        "name": Setting(str, "", "your full name, for the sign-off of every message", example="Alex Morgan"),
        "email": Setting(str, "", "your email address, for the sign-off", example="alex@example.com"),
        "phone": Setting(str, "", "your phone number, for the sign-off", example="+44 20 7946 0000"),
        "highlights": Setting(str, "", "qualifications to reinforce when a row's Highlights cell is blank",
            example="eight years of B2B marketing and a record of launches on time"),
    }),
    "tracker": Section("the tracker a plain `followsync run` works on", {
        "location": Setting(str, None, "the tracker: a path to an .xlsx file, a Google Sheets URL or key, or airtable:BASE/TABLE",
            example="tracker.xlsx"),
        "worksheet": Setting(str, None, "the worksheet to use; default: the one named Tracker, else the first",
            example="Tracker"),
    }),
    "rules": Section("the numbers of docs/RULES.md", {
        "thank_you_hours": Setting(int, 24, "send the thank-you note within this many hours of the interview", minimum=1,
            maximum=24 * 30),
        "first_follow_up_days": Setting(int, 7, "first follow-up this many days after the interview when no response date was given",
            minimum=1, maximum=365),
        "follow_up_gap_days": Setting(int, 7, "days between follow-ups: no more than once a week", minimum=1, maximum=365),
        "rejection_reply_days": Setting(int, 1, "reply to a rejection within this many days", minimum=0, maximum=365),
        "skip_weekends": Setting(bool, True, "move follow-ups due on a Saturday or Sunday to the Monday after"),
        "holidays": Setting(str, "", "also move follow-ups off the public holidays of this country (optionally a subdivision), e.g. DE or DE-BY",
            example="DE", validate=_holiday_region),
                "call_after": Setting(int, 2, "after this many follow-ups, call or try another contact", minimum=1,
            maximum=100),
        "final_after": Setting(int, 3, "after this many follow-ups, send a final note and move on", minimum=1,
            maximum=100),
        "soon_days": Setting(int, 2, "a due date within this many days is coloured 'soon'", minimum=0, maximum=365),
        "max_words": Setting(int, 200, "most words in a thank-you or follow-up message", minimum=50, maximum=5000),
        "linkedin_note_chars": Setting(int, 300, "most characters in a LinkedIn connection note", minimum=50,
            maximum=3000),
    }, check=_rules_agree),
    "google": Section("Google Sheets trackers", {
        "credentials": Setting(str, None, "service-account JSON key or OAuth token file; default: $FOLLOWSYNC_GOOGLE_CREDENTIALS, else the one 'followsync auth google' stored",
            example="~/.config/followsync/service-account.json", path=True),
    }),
    "calendar": Section("an iCalendar file of what is due", {
        "path": Setting(str, None, "an iCalendar file of every due action, rewritten by each run (subscribe to it)",
            example="~/followups.ics", path=True),
    }),
    "airtable": Section("Airtable trackers", {
        "token_file": Setting(str, None, "a file holding your Airtable personal access token; default: $FOLLOWSYNC_AIRTABLE_TOKEN",
            example="~/.config/followsync/airtable-token", path=True),
    }),
    "trackers": Section("several trackers (a coach's clients, or your Sheet and a local file): one table each", {
        "name": Setting(str, None, "a short name for the digest and the logs", example="sam", required=True),
        "location": Setting(str, None, "an .xlsx path, a Google Sheets URL or key, or airtable:BASE/TABLE",
            example="sam.xlsx", required=True),
        "worksheet": Setting(str, None, "the worksheet to use; default: Tracker, else the first", example="Tracker"),
        "language": Setting(str, None, "this tracker's language (en, de, fr or es); default: the language setting",
            ("en", "de", "fr", "es"), example="de"),
    }, many=True),
    "notify": Section("mail the digest after a run, through SMTP with STARTTLS", {
        "host": Setting(str, None, "the SMTP server, e.g. smtp.example.com", example="smtp.example.com", required=True),
        "port": Setting(int, 587, "its port; default 587 (submission with STARTTLS)",
            minimum=1, maximum=65535, problem="is not a port number (1 to 65535)"),
        "username": Setting(str, "", "the login name; blank for a server that needs no login", example="alex@example.com"),
        "password_env": Setting(str, None, "an environment variable holding the password", example="FOLLOWSYNC_SMTP_PASSWORD"),
        "password_file": Setting(str, None, "a file holding the password (its first line)",
            example="~/.config/followsync/smtp-password", path=True, instead_of="password_env"),
        "sender": Setting(Address, None, "the From address, e.g. Alex Morgan <alex@example.com>",
            example="Alex Morgan <alex@example.com>", required=True),
        "to": Setting(AddressList, (), "who gets the digest: an address or a list of them",
            example="alex@example.com", required=True),
        "coach": Setting(AddressList, (), "optional: a coach's address (or a list) that gets a copy",
            example="Chris Coach <chris@coaching.example>"),
        "weekly_report": Setting(bool, False, "attach the HTML coaching report once a week", example=True),
        "starttls": Setting(bool, True, "encrypt with STARTTLS before logging in; default true"),
        "timeout": Setting(float, 30.0, "seconds to wait for the server; default 30",
            validate=lambda v: None if v > 0 else _POSITIVE_SECONDS, problem=_POSITIVE_SECONDS),
        "cafile": Setting(str, None, "a CA certificate file to trust, for a server with a private certificate",
            example="~/.config/followsync/smtp-ca.pem", path=True),
    }, blank_is_unset=True, check=_login_is_safe, not_a_table="[notify] must be a section (a table of settings).",
        unknown="unknown setting notify.{key}{hint}; known: {known}", hints={"from": "the From address is called sender"}),
    # Read by followsync.inbox.settings, whose checks (presets, security, where the secret is)
    # name "[inbox] key"; README's "Inbox" section explains it.
    "columns": Section("your own headers, mapped to followsync's columns (README: Bring your own sheet)", {},
        free=Setting(str, "", 'a header of your sheet -> the followsync column it holds ("" keeps it your own)',
            example={"Hiring manager": "Interviewer"})),
    "inbox": Section("read your mailbox over IMAP, read-only, on every run: sends found in Sent, replies, bounces (README: Inbox)", {
        "preset": Setting(str, None, "gmail, outlook, microsoft365, fastmail or icloud: fills host, port and security", example="gmail"),
        "host": Setting(str, None, "the IMAP server (or a preset)", example="imap.example.com"),
        "port": Setting(int, None, "the IMAP port; default 993 for ssl, 143 for starttls and none", example=993),
        "security": Setting(str, "ssl", "ssl, starttls, or none (only for 127.0.0.1 or localhost)", ("ssl", "starttls", "none")),
        "username": Setting(str, None, "the login name, often the email address", example="alex@example.com", required=True),
        "password_env": Setting(str, None, "an environment variable holding the password (or app password)",
            example="FOLLOWSYNC_IMAP_PASSWORD"),
        "password_file": Setting(str, None, "a file holding the password (its first line)",
            example="~/.config/followsync/imap-password", path=True, instead_of="password_env"),
        "password_command": Setting(str, None, "a command that prints the password or, for xoauth2, an access token",
            example="pass show mail/imap", instead_of="password_env"),
        "auth": Setting(str, "password", "password (default), google (XOAUTH2 via `followsync auth google`), or xoauth2 (a token from password_command)",
            ("password", "google", "xoauth2")),
        "address": Setting(AddressList, (), "your own address or addresses; default: username", example="alex@example.com"),
        "drafts": Setting(bool, False, "true: put each new email draft into the mail client's Drafts folder"),
        "cafile": Setting(str, None, "a CA certificate file to trust (a self-hosted server's own certificate)",
            example="~/.config/followsync/imap-ca.pem", path=True),
        "timeout": Setting(float, 30.0, "seconds to wait for the server"),
        "lookback_days": Setting(int, 180, "how far back the first run reads mail", minimum=1),
    }),
}
# fmt: on


def _section(name: str) -> Section:
    spec = SPEC[name]
    assert isinstance(spec, Section)
    return spec


def _default(section: str, key: str | None = None) -> Any:
    """A default from :data:`SPEC`: of a top-level setting, or of ``section.key``."""
    spec = SPEC[section] if key is None else _section(section)[key]
    assert isinstance(spec, Setting)
    return spec.default


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


def _is_loopback(host: str) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


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
        from .inbox.settings import read

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
        return {k: _read_value(f"{name}.{k!r}", spec.free, v, problems, base, False) for k, v in table.items()}
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


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return str(v)
    return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _shown(s: Setting) -> Any:
    return s.example if s.example is not None else s.default


def starter_toml(location: str) -> str:
    """The followsync.toml that ``init`` writes: the tracker named, everything else explained.

    Every setting of :data:`SPEC` is there, commented out at its default (or an example), so
    the file read back gives the defaults; uncommenting all of it gives a valid file too.
    """
    lines = [
        "# followsync configuration. Every setting has a default; uncomment what you want to change.",
        "# Docs: `followsync --help`, and README.md.",
        "",
    ]
    # Top-level keys must come before the first [section] in TOML.
    for key, spec in SPEC.items():
        if isinstance(spec, Setting):
            lines += [f"# {spec.help}", f"# {key} = {_toml_value(_shown(spec))}"]
    tracker = _section("tracker")
    lines += ["", f"# {tracker.help}", "[tracker]", f"location = {_toml_value(location)}"]
    lines += _starter_settings(tracker, skip=("location",))
    for name, spec in SPEC.items():
        if isinstance(spec, Section) and name != "tracker":
            lines += ["", f"# {spec.help}"] + (
                _starter_tables(name, spec) if spec.many else [f"# [{name}]", *_starter_settings(spec)]
            )
    return "\n".join(lines) + "\n"


def _starter_settings(spec: Section, skip: tuple[str, ...] = ()) -> list[str]:
    lines = []
    if spec.free is not None:
        lines.append(f"# {spec.free.help}, e.g.")
        lines += [f"# {_toml_value(k)} = {_toml_value(v)}" for k, v in (spec.free.example or {}).items()]
    for key, s in spec.settings.items():
        if key in skip:
            continue
        if s.instead_of:  # indented, so uncommenting "# key = " lines keeps one of the two
            lines += [f"# or, instead of {s.instead_of}, {s.help}:", f"#   {key} = {_toml_value(_shown(s))}"]
        else:
            required = " (required)" if s.required else ""
            lines += [f"# {s.help}{required}", f"# {key} = {_toml_value(_shown(s))}"]
    return lines


def _starter_tables(name: str, spec: Section) -> list[str]:
    """An array of tables, as one example table; its keys indented to say "fill in together"."""
    return [f"# [[{name}]]"] + [
        f"#   {key} = {_toml_value(_shown(s))}   # {s.help}" for key, s in spec.items()
    ]
