"""Every setting of ``followsync.toml``, declared once: :class:`Setting`, :class:`Section` and
:data:`SPEC` (type, default, a sentence of help, and what makes a value wrong). The reader in
:mod:`followsync.config` checks a file against it; :mod:`.starter` and README's configuration
reference are written from it."""

from __future__ import annotations

import ipaddress
import zoneinfo
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..days_off import holiday_calendar


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


def _is_loopback(host: str) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


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
