"""``followsync.toml``: a declarative spec that validates and documents itself.

Every setting is declared once in :data:`SPEC` with its type, default and a sentence of help.
:func:`load` checks a file against it and reports *all* problems in one
:class:`~followsync.errors.ConfigError`; :func:`starter_toml` writes the commented file that
``followsync init`` leaves next to a new tracker. No setting is required: with no file at all,
every default applies and ``--tracker`` names the tracker.
"""

from __future__ import annotations

import os
import tomllib
import zoneinfo
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from .errors import ConfigError

CONFIG_NAME = "followsync.toml"


@dataclass(frozen=True)
class Setting:
    """One key: its type, default, help, and an optional check returning an error or None."""

    type: type | tuple[type, ...]
    default: Any
    help: str
    choices: tuple[Any, ...] = ()
    minimum: int | None = None
    example: Any = None


SPEC: dict[str, dict[str, Setting] | Setting] = {
    "timezone": Setting(
        str, None, "IANA time zone that 'today' is read in, e.g. Europe/Berlin; default: the system's", example="Europe/Berlin"
    ),
    "date_order": Setting(str, "DMY", "how to read 03/11/2026 in date cells: DMY (3 Nov) or MDY (Mar 11)", ("DMY", "MDY")),
    "templates_dir": Setting(
        str, None, "a folder of your own message templates; a file there overrides the shipped one of the same name",
        example="~/followsync-templates",
    ),
    "profile": {
        "name": Setting(str, "", "your full name, for the sign-off of every message", example="Alex Morgan"),
        "email": Setting(str, "", "your email address, for the sign-off", example="alex@example.com"),
        "phone": Setting(str, "", "your phone number, for the sign-off", example="+44 20 7946 0000"),
        "highlights": Setting(
            str, "", "qualifications to reinforce when a row's Highlights cell is blank",
            example="eight years of B2B marketing and a record of launches on time",
        ),
    },
    "tracker": {
        "location": Setting(str, None, "the tracker: a path to an .xlsx file, a Google Sheets URL or key, or airtable:BASE/TABLE", example="tracker.xlsx"),
        "worksheet": Setting(str, None, "the worksheet to use; default: the one named Tracker, else the first", example="Tracker"),
    },
    "rules": {
        "thank_you_hours": Setting(int, 24, "send the thank-you note within this many hours of the interview", minimum=1),
        "first_follow_up_days": Setting(int, 7, "first follow-up this many days after the interview when no response date was given", minimum=1),
        "follow_up_gap_days": Setting(int, 7, "days between follow-ups: no more than once a week", minimum=1),
        "rejection_reply_days": Setting(int, 1, "reply to a rejection within this many days", minimum=0),
        "skip_weekends": Setting(bool, True, "move follow-ups due on a Saturday or Sunday to the Monday after"),
        "call_after": Setting(int, 2, "after this many follow-ups, call or try another contact", minimum=1),
        "final_after": Setting(int, 3, "after this many follow-ups, send a final note and move on", minimum=1),
        "soon_days": Setting(int, 2, "a due date within this many days is coloured 'soon'", minimum=0),
        "max_words": Setting(int, 200, "most words in a thank-you or follow-up message", minimum=50),
        "linkedin_note_chars": Setting(int, 300, "most characters in a LinkedIn connection note", minimum=50),
    },
    "google": {
        "credentials": Setting(
            str, None,
            "service-account JSON key or OAuth token file; default: $FOLLOWSYNC_GOOGLE_CREDENTIALS, else the one 'followsync auth google' stored",
            example="~/.config/followsync/service-account.json",
        ),
    },
    "calendar": {
        "path": Setting(
            str, None, "an iCalendar file of every due action, rewritten by each run (subscribe to it)",
            example="~/followups.ics",
        ),
    },
    "airtable": {
        "token_file": Setting(
            str, None, "a file holding your Airtable personal access token; default: $FOLLOWSYNC_AIRTABLE_TOKEN",
            example="~/.config/followsync/airtable-token",
        ),
    },
}


@dataclass(frozen=True)
class Profile:
    name: str = ""
    email: str = ""
    phone: str = ""
    highlights: str = ""

    @property
    def is_empty(self) -> bool:
        return not (self.name or self.email or self.phone)


@dataclass(frozen=True)
class Rules:
    """The numbers of RULES.md, each changeable under ``[rules]``."""

    thank_you_hours: int = 24
    first_follow_up_days: int = 7
    follow_up_gap_days: int = 7
    rejection_reply_days: int = 1
    skip_weekends: bool = True
    call_after: int = 2
    final_after: int = 3
    soon_days: int = 2
    max_words: int = 200
    linkedin_note_chars: int = 300


@dataclass(frozen=True)
class TrackerSpec:
    """One tracker of ``[[trackers]]`` (a coach's clients, or a person's Sheets and local files)."""

    name: str
    location: str
    worksheet: str | None = None


TRACKER_KEYS = {
    "name": "a short name for the digest and the logs",
    "location": "an .xlsx path, a Google Sheets URL or key, or airtable:BASE/TABLE",
    "worksheet": "the worksheet to use; default: Tracker, else the first",
}


@dataclass(frozen=True)
class Config:
    """A validated configuration. ``path`` is the file it came from, if any."""

    profile: Profile = field(default_factory=Profile)
    rules: Rules = field(default_factory=Rules)
    timezone: str | None = None
    date_order: str = "DMY"
    templates_dir: Path | None = None
    location: str | None = None
    worksheet: str | None = None
    google_credentials: Path | None = None
    airtable_token_file: Path | None = None
    calendar_path: Path | None = None
    trackers: tuple[TrackerSpec, ...] = ()
    notify: Any = None  # followsync.notify.NotifySettings, when [notify] is set
    path: Path | None = None

    def targets(self) -> list[TrackerSpec]:
        """Every tracker a plain ``followsync run`` does: ``[tracker]`` and ``[[trackers]]``."""
        out = list(self.trackers)
        if self.location and not any(t.location == self.location for t in out):
            out.insert(0, TrackerSpec("tracker", self.location, self.worksheet))
        return out

    def resolve(self, value: str | None) -> Path | None:
        """A path setting, relative to the config file's folder and with ``~`` expanded."""
        if not value:
            return None
        p = Path(value).expanduser()
        if not p.is_absolute() and self.path is not None:
            p = self.path.parent / p
        return p


def default_path() -> Path | None:
    """The config file to use when ``--config`` is not given, or None when there is none."""
    env = os.environ.get("FOLLOWSYNC_CONFIG")
    if env:
        return Path(env).expanduser()
    here = Path.cwd() / CONFIG_NAME
    if here.exists():
        return here
    import platformdirs

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
        raise ConfigError(f"Config file {p} (from {where}) does not exist.", hint="Check the path, or run without it.")
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"Cannot read config file {p}: {e}") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{p} is not valid TOML: {e}") from None
    return from_dict(data, p)


def from_dict(data: dict[str, Any], path: Path | None = None) -> Config:
    """Validate a parsed config against :data:`SPEC`; every problem is listed at once."""
    errors: list[str] = []
    values: dict[str, Any] = {}
    trackers = _trackers(data.get("trackers", []), errors)
    notify = None
    if "notify" in data:
        from .outputs.mail import NotifySettings

        try:
            notify = NotifySettings.from_dict(data["notify"], base_dir=path.parent if path else None)
        except ConfigError as e:
            listed = [line.strip()[2:] for line in str(e).splitlines() if line.strip().startswith("- ")]
            errors.extend(listed or [e.message])
    for key, value in data.items():
        if key in ("trackers", "notify"):
            continue
        spec = SPEC.get(key)
        if spec is None:
            errors.append(f"unknown setting {key!r}; known: {', '.join([*SPEC, 'trackers', 'notify'])}")
        elif isinstance(spec, dict):
            if not isinstance(value, dict):
                errors.append(f"[{key}] must be a section")
                continue
            for sub, subval in value.items():
                s = spec.get(sub)
                if s is None:
                    errors.append(f"unknown setting {key}.{sub}; known in [{key}]: {', '.join(spec)}")
                    continue
                err = _check(s, subval)
                if err:
                    errors.append(f"{key}.{sub}: {err}")
                else:
                    values[f"{key}.{sub}"] = subval
        else:
            err = _check(spec, value)
            if err:
                errors.append(f"{key}: {err}")
            else:
                values[key] = value
    tz = values.get("timezone")
    if tz:
        try:
            zoneinfo.ZoneInfo(tz)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            errors.append(f"timezone: {tz!r} is not a time zone; use a name like Europe/Berlin or America/New_York")
    rules = Rules(**{f.name: values.get(f"rules.{f.name}", f.default) for f in fields(Rules)})
    if rules.final_after <= rules.call_after:
        errors.append(
            f"rules.final_after ({rules.final_after}) must be greater than rules.call_after ({rules.call_after})"
        )
    if errors:
        where = f" in {path}" if path else ""
        raise ConfigError(
            f"The configuration{where} has {len(errors)} problem{'s' if len(errors) > 1 else ''}:\n"
            + "\n".join(f"  - {e}" for e in errors)
        )
    cfg = Config(path=path)
    profile = Profile(**{f.name: values.get(f"profile.{f.name}", "") for f in fields(Profile)})
    return Config(
        profile=profile,
        rules=rules,
        timezone=tz,
        date_order=values.get("date_order", "DMY"),
        templates_dir=cfg.resolve(values.get("templates_dir")),
        location=values.get("tracker.location"),
        worksheet=values.get("tracker.worksheet"),
        google_credentials=cfg.resolve(values.get("google.credentials")),
        airtable_token_file=cfg.resolve(values.get("airtable.token_file")),
        calendar_path=cfg.resolve(values.get("calendar.path")),
        trackers=trackers,
        notify=notify,
        path=path,
    )


def _trackers(value: Any, errors: list[str]) -> tuple[TrackerSpec, ...]:
    if not isinstance(value, list) or not all(isinstance(t, dict) for t in value):
        errors.append("[[trackers]] must be a list of tables, each with name and location")
        return ()
    out, names = [], set()
    for n, table in enumerate(value, 1):
        for key in table:
            if key not in TRACKER_KEYS:
                errors.append(f"trackers #{n}: unknown setting {key!r}; known: {', '.join(TRACKER_KEYS)}")
        name, location = table.get("name"), table.get("location")
        if not isinstance(name, str) or not name.strip():
            errors.append(f"trackers #{n}: name is required ({TRACKER_KEYS['name']})")
            continue
        if name in names:
            errors.append(f"trackers #{n}: the name {name!r} is used twice")
        names.add(name)
        if not isinstance(location, str) or not location.strip():
            errors.append(f"trackers #{n} ({name}): location is required ({TRACKER_KEYS['location']})")
            continue
        worksheet = table.get("worksheet")
        if worksheet is not None and not isinstance(worksheet, str):
            errors.append(f"trackers #{n} ({name}): worksheet must be text")
            worksheet = None
        out.append(TrackerSpec(name, location, worksheet))
    return tuple(out)


def _check(s: Setting, value: Any) -> str | None:
    if s.type is int and (isinstance(value, bool) or not isinstance(value, int)):
        return f"{value!r} is not a whole number"
    if s.type is bool and not isinstance(value, bool):
        return f"{value!r} is not true or false"
    if s.type is str and not isinstance(value, str):
        return f"{value!r} is not text (put it in quotes)"
    if s.choices and value not in s.choices:
        return f"{value!r} is not one of {', '.join(map(str, s.choices))}"
    if s.minimum is not None and value < s.minimum:
        return f"{value} is below the smallest sensible value, {s.minimum}"
    return None


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'


def starter_toml(location: str) -> str:
    """The followsync.toml that ``init`` writes: the tracker named, everything else explained."""
    lines = [
        "# followsync configuration. Every setting has a default; uncomment what you want to change.",
        "# Docs: `followsync --help`, and README.md.",
        "",
    ]
    # Top-level keys must come before the first [section] in TOML.
    for key in ("timezone", "date_order", "templates_dir"):
        s = SPEC[key]
        assert isinstance(s, Setting)
        shown = s.example if s.example is not None else s.default
        lines += [f"# {s.help}", f"# {key} = {_toml_value(shown)}"]
    lines += [
        "",
        "[tracker]",
        f"location = {_toml_value(location)}",
        '# worksheet = "Tracker"   # ' + SPEC["tracker"]["worksheet"].help,  # type: ignore[index]
        "",
    ]
    for section in ("profile", "rules"):
        spec = SPEC[section]
        assert isinstance(spec, dict)
        lines.append(f"# [{section}]")
        for key, s in spec.items():
            shown = s.example if s.example is not None else s.default
            lines += [f"# {s.help}", f"# {key} = {_toml_value(shown)}"]
        lines.append("")
    return "\n".join(lines)
