"""``followsync schedule``: a daily run that works under cron's bare PATH, written out or installed.

Every schedule names the program and the config by absolute path: the console script next to
the interpreter running now (a venv's, pipx's, ``pip --user``'s or ``/usr/local``'s), else that
interpreter with ``-m followsync.cli``. :func:`schedules` gives the four forms (a crontab line, a
systemd user timer and its service, a launchd agent, a Windows Task Scheduler command);
:func:`install` puts one in place for the current user, idempotently: a second install changes
nothing.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from .errors import UsageError

MARK = "# followsync daily run"  # ends the crontab line, so an install finds its own line again
UNIT = "followsync"
LAUNCHD_LABEL = "io.github.followsync.run"
KINDS = ("cron", "systemd", "launchd", "windows")


def program() -> list[str]:
    """The absolute command that runs this followsync: its console script, else ``python -m``."""
    folder = Path(sys.executable).parent
    for name in ("followsync", "followsync.exe", "Scripts/followsync.exe"):
        script = folder / name
        if script.is_file():
            return [str(script.absolute())]
    # Not resolved: a venv's python is a symlink to the base one, which lacks the venv's packages.
    return [str(Path(sys.executable).absolute()), "-m", "followsync.cli"]


def parse_at(text: str) -> tuple[int, int]:
    """``--at 08:00`` as (hour, minute)."""
    m = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", text.strip())
    if not m:
        raise UsageError(f"--at {text!r} is not a time of day.", hint="Use 24-hour HH:MM, e.g. --at 08:00.")
    return int(m[1]), int(m[2])


@dataclass(frozen=True)
class Schedule:
    """A daily ``followsync run --quiet --config PATH`` at ``hour:minute``, in each form."""

    command: tuple[str, ...]
    hour: int = 8
    minute: int = 0

    @classmethod
    def of(cls, config: Path, at: str = "08:00") -> Schedule:
        hour, minute = parse_at(at)
        args = (*program(), "run", "--quiet", "--config", str(config.expanduser().resolve()))
        return cls(args, hour, minute)

    def cron(self) -> str:
        return f"{self.minute} {self.hour} * * * {shlex.join(self.command)} {MARK}"

    def systemd_service(self) -> str:
        exec_start = " ".join(_systemd_quote(a) for a in self.command)
        return (
            "[Unit]\nDescription=followsync: follow up on job applications\n\n"
            f"[Service]\nType=oneshot\nExecStart={exec_start}\n"
        )

    def systemd_timer(self) -> str:
        # Persistent: a laptop asleep at the hour runs the missed day as soon as it wakes.
        return (
            "[Unit]\nDescription=followsync daily run\n\n"
            f"[Timer]\nOnCalendar=*-*-* {self.hour:02d}:{self.minute:02d}:00\nPersistent=true\n"
            f"Unit={UNIT}.service\n\n[Install]\nWantedBy=timers.target\n"
        )

    def launchd_plist(self) -> str:
        from xml.sax.saxutils import escape  # it imports urllib.request: not at every start-up

        args = "".join(f"\n    <string>{escape(a)}</string>" for a in self.command)
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n'
            '<plist version="1.0">\n<dict>\n'
            f"  <key>Label</key>\n  <string>{LAUNCHD_LABEL}</string>\n"
            f"  <key>ProgramArguments</key>\n  <array>{args}\n  </array>\n"
            "  <key>StartCalendarInterval</key>\n"
            f"  <dict>\n    <key>Hour</key>\n    <integer>{self.hour}</integer>\n"
            f"    <key>Minute</key>\n    <integer>{self.minute}</integer>\n  </dict>\n"
            "</dict>\n</plist>\n"
        )

    def windows(self) -> list[str]:
        task = subprocess.list2cmdline(list(self.command))
        when = f"{self.hour:02d}:{self.minute:02d}"
        return ["schtasks", "/Create", "/F", "/TN", UNIT, "/SC", "DAILY", "/ST", when, "/TR", task]


def _systemd_quote(arg: str) -> str:
    if re.fullmatch(r"[\w@%+=:,./-]+", arg):
        return arg
    return '"' + arg.replace("\\", "\\\\").replace('"', '\\"') + '"'


def schedules(s: Schedule) -> str:
    """All four forms, each under a heading, as ``followsync schedule`` prints them."""
    return "\n".join(
        [
            "# cron (crontab -e), Linux and macOS:",
            s.cron(),
            "",
            f"# systemd user timer: ~/.config/systemd/user/{UNIT}.service",
            s.systemd_service(),
            f"# ~/.config/systemd/user/{UNIT}.timer  (then: systemctl --user enable --now {UNIT}.timer)",
            s.systemd_timer(),
            f"# launchd, macOS: ~/Library/LaunchAgents/{LAUNCHD_LABEL}.plist (then: launchctl load it)",
            s.launchd_plist(),
            "# Windows Task Scheduler (cmd.exe):",
            subprocess.list2cmdline(s.windows()),
        ]
    )


def default_kind() -> str:
    """What ``--install`` uses here: launchd on macOS, Task Scheduler on Windows, else systemd when
    a user systemd answers, else cron."""
    if sys.platform == "darwin":
        return "launchd"
    if os.name == "nt":
        return "windows"
    if shutil.which("systemctl"):
        probe = _run(["systemctl", "--user", "is-system-running"], check=False)
        if probe is not None and probe.returncode in (0, 1) and probe.stdout.strip() not in ("", "offline"):
            return "systemd"
    return "cron"


def install(s: Schedule, kind: str) -> list[str]:
    """Install ``kind`` for the current user; what was done, one line each (nothing new: said so)."""
    if kind == "cron":
        return _install_cron(s)
    if kind == "systemd":
        return _install_systemd(s)
    if kind == "launchd":
        path = Path.home() / "Library" / "LaunchAgents" / f"{LAUNCHD_LABEL}.plist"
        if not _write(path, s.launchd_plist()):
            return [f"{path} is already in place; nothing changed."]
        _run(["launchctl", "unload", str(path)], check=False)
        _run(["launchctl", "load", "-w", str(path)])
        return [f"Wrote {path} and loaded it with launchctl."]
    _run(s.windows())
    return [f"Created (or replaced) the Task Scheduler task {UNIT!r}."]


def _install_cron(s: Schedule) -> list[str]:
    listed = _run(["crontab", "-l"], check=False)
    current = listed.stdout if listed is not None and listed.returncode == 0 else ""
    kept = [line for line in current.splitlines() if not line.rstrip().endswith(MARK)]
    if s.cron() in current.splitlines():
        return ["The crontab already has this line; nothing changed."]
    _run(["crontab", "-"], stdin="\n".join([*kept, s.cron()]) + "\n")
    return [f"Added to your crontab: {s.cron()}"]


def _install_systemd(s: Schedule) -> list[str]:
    folder = Path.home() / ".config" / "systemd" / "user"
    wrote = [
        path
        for path, text in ((folder / f"{UNIT}.service", s.systemd_service()), (folder / f"{UNIT}.timer", s.systemd_timer()))
        if _write(path, text)
    ]
    if not wrote:
        return [f"{folder}/{UNIT}.service and .timer are already in place; nothing changed."]
    _run(["systemctl", "--user", "daemon-reload"])
    _run(["systemctl", "--user", "enable", "--now", f"{UNIT}.timer"])
    return [f"Wrote {p}" for p in wrote] + [f"Enabled {UNIT}.timer (systemctl --user list-timers shows it)."]


def _write(path: Path, text: str) -> bool:
    """Write ``text`` to ``path`` unless it already holds it; whether it wrote."""
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return True


def _run(args: list[str], *, check: bool = True, stdin: str | None = None) -> subprocess.CompletedProcess | None:
    try:
        done = subprocess.run(args, input=stdin, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as e:
        if not check:
            return None
        raise UsageError(f"Could not run {args[0]}: {e}.", hint="Install the schedule by hand: see `followsync schedule`.") from None
    if check and done.returncode != 0:
        raise UsageError(
            f"{' '.join(args[:3])} failed: {(done.stderr or done.stdout).strip()[:200]}",
            hint="Install the schedule by hand: see `followsync schedule`.",
        )
    return done
