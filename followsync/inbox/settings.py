"""The ``[inbox]`` section of followsync.toml: where the mailbox is and how to log in.

```toml
[inbox]
host = "imap.example.com"
port = 993                     # default by security: 993 for ssl, 143 otherwise
security = "ssl"               # "ssl" (default), "starttls", or "none" (127.0.0.1/localhost only)
username = "alex@example.com"
password_env = "FOLLOWSYNC_IMAP_PASSWORD"   # or password_file, or password_command
# auth = "google"              # XOAUTH2 with the credentials of `followsync auth google`
# auth = "xoauth2"             # XOAUTH2 with a token read like a password (password_command)
address = "alex@example.com"   # the person's own address(es); default: username
drafts = false                 # true: put each new email draft into the Drafts folder
# preset = "gmail"             # fills host, port and security: gmail, outlook, microsoft365,
#                              # fastmail, icloud
```

The keys, their defaults and help are config.py's ``SPEC["inbox"]`` (one spec for every
setting); this module reads that table with the checks it needs (presets, security, where the
secret is), and :func:`read` is what ``config.load`` calls. Every error names ``[inbox] key``. The
secret is read only when the mailbox is opened (:meth:`InboxSettings.secret`), never printed
or logged; ``repr`` says where it is, not what it is.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import SPEC, AddressList, Section, Setting, warn_if_shared
from ..errors import ConfigError
from .errors import InboxError


def _spec() -> Section:
    spec = SPEC["inbox"]
    assert isinstance(spec, Section)
    return spec


SECURITIES = ("ssl", "starttls", "none")
AUTHS = ("password", "google", "xoauth2")
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
DEFAULT_PORTS = {"ssl": 993, "starttls": 143, "none": 143}
SECRET_KEYS = ("password_env", "password_file", "password_command")


def _kind(key: str, setting: Setting) -> str:
    """How this reader checks a key of config.py's SPEC["inbox"]."""
    if key == "password_command":
        return "command"  # a command line, or a list of its words
    if setting.path:
        return "path"
    if setting.type is AddressList:
        return "str_or_list"
    return setting.type.__name__


# key -> (kind, default, help), read from the one SPEC in config.py.
SETTINGS: dict[str, tuple[str, Any, str]] = {
    key: (_kind(key, s), None if key == "address" else s.default, s.help) for key, s in _spec().items()
}


@dataclass(frozen=True)
class Preset:
    """A provider's IMAP server, and what it needs for login."""

    host: str
    port: int
    security: str
    note: str
    oauth_required: bool = False


PRESETS: dict[str, Preset] = {
    "gmail": Preset(
        "imap.gmail.com",
        993,
        "ssl",
        'Gmail: use an app password (with 2-Step Verification) in password_env, or auth = "google" '
        "after `followsync auth google` with the mail scope.",
    ),
    "outlook": Preset(
        "outlook.office365.com",
        993,
        "ssl",
        'Outlook.com no longer accepts passwords over IMAP: set auth = "xoauth2" and a '
        "password_command that prints an OAuth access token.",
        oauth_required=True,
    ),
    "microsoft365": Preset(
        "outlook.office365.com",
        993,
        "ssl",
        'Microsoft 365 requires OAuth for IMAP: set auth = "xoauth2" and a password_command that '
        "prints an access token (your administrator must allow IMAP).",
        oauth_required=True,
    ),
    "fastmail": Preset(
        "imap.fastmail.com", 993, "ssl", "Fastmail: create an app password (Settings, Privacy & Security)."
    ),
    "icloud": Preset(
        "imap.mail.me.com",
        993,
        "ssl",
        "iCloud: create an app-specific password at appleid.apple.com; the username is your iCloud address.",
    ),
}
PRESET_ALIASES = {
    "office365": "microsoft365",
    "hotmail": "outlook",
    "outlook.com": "outlook",
    "google": "gmail",
}


@dataclass(frozen=True)
class InboxSettings:
    """A valid ``[inbox]`` table. Build it with :func:`from_dict`."""

    host: str
    port: int
    security: str
    username: str
    addresses: tuple[str, ...]
    auth: str = "password"
    password_env: str | None = None
    password_file: Path | None = None
    password_command: tuple[str, ...] | None = None
    drafts: bool = False
    cafile: Path | None = None
    timeout: float = 30.0
    lookback_days: int = 180
    preset: str | None = None
    notes: tuple[str, ...] = field(default=())

    def __repr__(self) -> str:  # says where the secret is, never the secret
        where = (
            f"password_env={self.password_env!r}"
            if self.password_env
            else f"password_file={str(self.password_file)!r}"
            if self.password_file
            else "password_command=(...)"
            if self.password_command
            else f"auth={self.auth!r}"
        )
        return (
            f"InboxSettings(host={self.host!r}, port={self.port}, security={self.security!r}, "
            f"username={self.username!r}, {where}, drafts={self.drafts})"
        )

    @property
    def state_key(self) -> str:
        """The mailbox's name in the state file: ``username@host:port``."""
        return f"{self.username}@{self.host}:{self.port}"

    def secret(self) -> str:
        """The password (or, for ``auth = "xoauth2"``, the access token), read now.

        Raises :class:`InboxError` (reason ``password``) naming where it looked, never the value.
        Not for ``auth = "google"``: that token comes from followsync's Google credentials.
        """
        if self.password_env:
            value = os.environ.get(self.password_env, "")
            if not value:
                raise InboxError(
                    f"The mailbox password is not set: the environment variable {self.password_env} is empty or missing.",
                    reason="password",
                    hint=f"Set {self.password_env} where followsync runs (for cron, in the crontab or a file it sources).",
                )
            return value
        if self.password_file:
            try:
                lines = self.password_file.read_text(encoding="utf-8").splitlines()
                warn_if_shared(self.password_file)
            except OSError as e:
                raise InboxError(
                    f"The mailbox password file {self.password_file} cannot be read ({e.strerror or type(e).__name__}).",
                    reason="password",
                ) from None
            if not lines or not lines[0].strip():
                raise InboxError(
                    f"The mailbox password file {self.password_file} is empty.", reason="password"
                )
            return lines[0].strip()
        if self.password_command:
            name = self.password_command[0]
            try:
                done = subprocess.run(
                    list(self.password_command), capture_output=True, text=True, timeout=60, check=False
                )
            except (OSError, subprocess.TimeoutExpired) as e:
                raise InboxError(
                    f"The mailbox password command {name} could not run ({type(e).__name__}).",
                    reason="password",
                ) from None
            out = done.stdout.splitlines()
            if done.returncode != 0 or not out or not out[0].strip():
                # Its stderr may hold the secret's neighbourhood: say only the exit code.
                raise InboxError(
                    f"The mailbox password command {name} printed nothing (exit code {done.returncode}).",
                    reason="password",
                )
            return out[0].strip()
        raise InboxError("No mailbox password is configured.", reason="password")


def _problem(key: str, message: str) -> str:
    return f"[inbox] {key}: {message}"


def from_dict(section: Mapping[str, Any], *, base_dir: Path | None = None) -> InboxSettings:
    """Validate the ``[inbox]`` table. Raises :class:`ConfigError` listing every problem.

    Relative ``password_file`` and ``cafile`` paths are read from ``base_dir`` (the folder of
    followsync.toml). A ``preset`` fills host, port and security; keys written out win.
    """
    settings, problems = read(section, base_dir=base_dir)
    if problems:
        raise ConfigError("followsync.toml: " + "; ".join(problems) + ".")
    assert settings is not None
    return settings


_MISSING = object()  # a checker's answer for a value of the wrong kind (the default is used)


def _checked_str(value: Any) -> Any:
    return value.strip() if isinstance(value, str) and value.strip() else _MISSING


def _checked_int(value: Any) -> Any:
    return value if isinstance(value, int) and not isinstance(value, bool) else _MISSING


def _checked_float(value: Any) -> Any:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and value > 0
    return float(value) if ok else _MISSING


def _checked_bool(value: Any) -> Any:
    return value if isinstance(value, bool) else _MISSING


def _checked_list(value: Any) -> Any:
    items = [value] if isinstance(value, str) else value
    ok = isinstance(items, list) and items and all(isinstance(a, str) for a in items)
    return items if ok else _MISSING


def _checked_command(value: Any) -> Any:
    if isinstance(value, str) and value.strip():
        return tuple(shlex.split(value))
    if isinstance(value, list) and value and all(isinstance(a, str) and a for a in value):
        return tuple(value)
    return _MISSING


# Each kind of SETTINGS: its checker, and the problem when the value is not of that kind.
_CHECKS = {
    "str": (_checked_str, lambda v: "must be a non-empty string"),
    "path": (_checked_str, lambda v: "must be a non-empty string"),
    "int": (_checked_int, lambda v: f"must be a whole number, not {v!r}"),
    "float": (_checked_float, lambda v: f"must be a positive number of seconds, not {v!r}"),
    "bool": (_checked_bool, lambda v: f"must be true or false, not {v!r}"),
    "str_or_list": (_checked_list, lambda v: "must be an address or a list of addresses"),
    "command": (_checked_command, lambda v: "must be a command line or a list of its words"),
}


@dataclass
class _Reader:
    """One reading of the ``[inbox]`` table: its values, each checked, and every problem."""

    section: Mapping[str, Any]
    base_dir: Path | None
    problems: list[str] = field(default_factory=list)

    def problem(self, key: str, message: str) -> None:
        self.problems.append(_problem(key, message))

    def get(self, key: str) -> Any:
        """The value of ``key`` as its kind wants it; its default when missing or of the wrong kind."""
        kind, default, _ = SETTINGS[key]
        if key not in self.section:
            return default
        check, why = _CHECKS[kind]
        value = check(self.section[key])
        if value is _MISSING:
            self.problem(key, why(self.section[key]))
            return default
        return value

    def path(self, value: str | None) -> Path | None:
        if value is None:
            return None
        p = Path(value).expanduser()
        return p if p.is_absolute() or self.base_dir is None else self.base_dir / p

    def unknown(self) -> None:
        for key in sorted(set(self.section) - set(SETTINGS)):
            self.problem(key, "is not a setting; known: " + ", ".join(SETTINGS))

    def preset(self) -> tuple[str | None, Preset | None]:
        preset_name = self.get("preset")
        if preset_name is None:
            return None, None
        name = PRESET_ALIASES.get(preset_name.lower(), preset_name.lower())
        preset = PRESETS.get(name)
        if preset is None:
            self.problem("preset", f"{preset_name!r} is not one of: " + ", ".join(PRESETS))
        return (name if preset else None), preset

    def server(self, preset: Preset | None) -> tuple[str | None, str, int]:
        """Host, security and port: written out, else the preset's, else the defaults."""
        host = self.get("host") or (preset.host if preset else None)
        if not host:
            self.problem("host", 'is missing (or set preset = "gmail" and the like)')
        given = "security" in self.section
        security = (
            (self.get("security") if given else (preset.security if preset else "ssl")) or "ssl"
        ).lower()
        if security not in SECURITIES:
            self.problem("security", f"{security!r} is not one of: ssl, starttls, none")
            security = "ssl"
        if security == "none" and host and host.lower() not in LOCAL_HOSTS:
            self.problem(
                "security",
                '"none" would send the password unencrypted; it is allowed only for 127.0.0.1 or localhost',
            )
        port = self.get("port")
        if port is None:
            port = preset.port if preset and not given else DEFAULT_PORTS[security]
        elif not 1 <= port <= 65535:
            self.problem("port", f"{port} is not a port number (1 to 65535)")
        return host, security, port

    def auth(self, preset: Preset | None) -> tuple[str, dict[str, Any]]:
        """The auth method and the secret keys' values (exactly one where a password is needed)."""
        auth = (self.get("auth") or "password").lower()
        if auth not in AUTHS:
            self.problem("auth", f"{auth!r} is not one of: " + ", ".join(AUTHS))
            auth = "password"
        given = [k for k in SECRET_KEYS if k in self.section]
        values = {k: self.get(k) for k in SECRET_KEYS}
        if auth == "google":
            for k in given:
                self.problem(
                    k,
                    'is not used with auth = "google" (the token comes from `followsync auth google`); remove it',
                )
        elif len(given) > 1:
            self.problem(given[1], f"and {given[0]} are both set; keep one")
        elif not given:
            self.problem(
                "password_env",
                "is missing: say where the password is (password_env, password_file or password_command)",
            )
        if preset and preset.oauth_required and auth == "password":
            self.problem("auth", preset.note)
        return auth, values

    def addresses(self, username: str | None) -> list[str]:
        """The person's own addresses, lower case, once each: ``address``, else the username."""
        raw = self.get("address")
        out: list[str] = []
        for a in raw if raw is not None else ([username] if username else []):
            a = a.strip().lower()
            if "@" not in a or a.startswith("@") or a.endswith("@") or " " in a:
                key = "address" if raw is not None else "username"
                self.problem(
                    key, f"{a!r} is not an email address" + ("" if raw is not None else "; set address")
                )
            elif a not in out:
                out.append(a)
        return out


def read(
    section: Mapping[str, Any], *, base_dir: Path | None = None
) -> tuple[InboxSettings | None, list[str]]:
    """The ``[inbox]`` table's settings, or None and every problem (each naming ``[inbox] key``)."""
    r = _Reader(section, base_dir)
    r.unknown()
    preset_name, preset = r.preset()
    host, security, port = r.server(preset)
    username = r.get("username")
    if not username:
        r.problem("username", "is missing (the login name, often the email address)")
    auth, values = r.auth(preset)
    addresses = r.addresses(username)
    cafile = r.path(r.get("cafile"))
    lookback = r.get("lookback_days")
    if lookback is not None and lookback < 1:
        r.problem("lookback_days", "must be 1 or more")
    drafts, timeout = r.get("drafts"), r.get("timeout")
    if r.problems:
        return None, r.problems
    assert host and username
    return InboxSettings(
        host=host,
        port=port,
        security=security,
        username=username,
        addresses=tuple(addresses),
        auth=auth,
        password_env=values["password_env"],
        password_file=r.path(values["password_file"]),
        password_command=values["password_command"],
        drafts=bool(drafts),
        cafile=cafile,
        timeout=timeout,
        lookback_days=lookback,
        preset=preset_name,
        notes=(preset.note,) if preset else (),
    ), []


def describe_presets() -> Sequence[str]:
    """One line per preset, for README and `--help`."""
    return [f"{name}: {p.host}:{p.port} ({p.security}). {p.note}" for name, p in PRESETS.items()]
