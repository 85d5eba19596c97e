"""``followsync schedule``: absolute paths in every form, and an idempotent --install.

The installs run against a fake HOME and fake ``crontab`` / ``systemctl`` programs on PATH
that keep what they were given in files, so the test sees exactly what would be installed.
"""

from __future__ import annotations

import os
import plistlib
import shlex
import stat
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from followsync import cli
from followsync import schedule as schedule_mod

FAKE_CRONTAB = """#!/bin/sh
store="$HOME/crontab.txt"
if [ "$1" = "-l" ]; then [ -f "$store" ] || { echo "no crontab for you" >&2; exit 1; }; cat "$store"
elif [ "$1" = "-" ]; then cat > "$store"; echo x >> "$HOME/crontab.writes"
fi
"""
FAKE_SYSTEMCTL = """#!/bin/sh
echo "$*" >> "$HOME/systemctl.calls"
[ "$2" = "is-system-running" ] && echo running
exit 0
"""


@pytest.fixture
def home(tmp_path, monkeypatch):
    home = tmp_path / "home"
    bin_dir = tmp_path / "bin"
    home.mkdir()
    bin_dir.mkdir()
    for name, body in (("crontab", FAKE_CRONTAB), ("systemctl", FAKE_SYSTEMCTL)):
        (bin_dir / name).write_text(body)
        (bin_dir / name).chmod(0o755 | stat.S_IXUSR)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "followsync.toml").write_text('[tracker]\nlocation = "tracker.xlsx"\n')
    return home


def invoke(*args):
    return CliRunner().invoke(cli.main, list(args), catch_exceptions=False)


def test_every_form_names_program_and_config_by_absolute_path(home, tmp_path):
    shown = invoke("schedule", "--at", "07:30")
    assert shown.exit_code == 0, shown.output
    config = str((tmp_path / "followsync.toml").resolve())
    cron = next(line for line in shown.output.splitlines() if line.startswith("30 7 * * * "))
    words = shlex.split(cron.split(" ", 5)[5])
    assert Path(words[0]).is_absolute() and Path(words[0]).exists()
    assert words[words.index("--config") + 1] == config and "run" in words and "--quiet" in words
    assert "OnCalendar=*-*-* 07:30:00" in shown.output and "Persistent=true" in shown.output
    assert "schtasks /Create" in shown.output and config in shown.output
    plan = schedule_mod.Schedule.of(tmp_path / "followsync.toml", "07:30")
    plist = plistlib.loads(plan.launchd_plist().encode())
    assert plist["ProgramArguments"] == list(plan.command)
    assert plist["StartCalendarInterval"] == {"Hour": 7, "Minute": 30}


def test_the_program_is_the_running_interpreters(monkeypatch, tmp_path):
    venv = tmp_path / "venv" / "bin"
    venv.mkdir(parents=True)
    (tmp_path / "python3.11").write_text("")
    (venv / "python").symlink_to(tmp_path / "python3.11")  # a venv's python: a symlink, kept as is
    monkeypatch.setattr(sys, "executable", str(venv / "python"))
    assert schedule_mod.program() == [str(venv / "python"), "-m", "followsync.cli"]
    (venv / "followsync").write_text("")
    assert schedule_mod.program() == [str(venv / "followsync")]


def test_install_cron_is_idempotent_and_keeps_other_lines(home):
    (home / "crontab.txt").write_text("MAILTO=me@example.com\n15 3 * * * backup.sh\n")
    first = invoke("schedule", "--install", "--with", "cron")
    assert first.exit_code == 0 and "Added to your crontab" in first.output
    again = invoke("schedule", "--install", "--with", "cron")
    assert "nothing changed" in again.output
    lines = (home / "crontab.txt").read_text().splitlines()
    assert lines[:2] == ["MAILTO=me@example.com", "15 3 * * * backup.sh"]
    assert len([line for line in lines if line.endswith(schedule_mod.MARK)]) == 1
    assert (home / "crontab.writes").read_text().count("x") == 1
    moved = invoke("schedule", "--install", "--with", "cron", "--at", "09:00")
    assert moved.exit_code == 0
    ours = [line for line in (home / "crontab.txt").read_text().splitlines() if line.endswith(schedule_mod.MARK)]
    assert len(ours) == 1 and ours[0].startswith("0 9 * * * ")


def test_install_cron_with_no_crontab_yet(home):
    assert invoke("schedule", "--install", "--with", "cron").exit_code == 0
    assert (home / "crontab.txt").read_text().splitlines()[0].endswith(schedule_mod.MARK)


def test_install_systemd_writes_user_units_and_enables_the_timer(home):
    first = invoke("schedule", "--install", "--with", "systemd")
    assert first.exit_code == 0, first.output
    units = home / ".config" / "systemd" / "user"
    assert "Persistent=true" in (units / "followsync.timer").read_text()
    assert "ExecStart=/" in (units / "followsync.service").read_text()
    calls = (home / "systemctl.calls").read_text().splitlines()
    assert calls == ["--user daemon-reload", "--user enable --now followsync.timer"]
    again = invoke("schedule", "--install", "--with", "systemd")
    assert "nothing changed" in again.output
    assert (home / "systemctl.calls").read_text().splitlines() == calls


def test_default_install_is_systemd_where_it_answers(home):
    if sys.platform == "darwin" or os.name == "nt":
        pytest.skip("launchd / Task Scheduler here")
    assert schedule_mod.default_kind() == "systemd"


def test_no_config_and_a_bad_time_are_usage_errors(home, tmp_path):
    assert invoke("schedule", "--at", "8am").exit_code == 2
    (tmp_path / "followsync.toml").unlink()
    monkey = invoke("schedule", "--config", str(tmp_path / "nowhere.toml"))
    assert monkey.exit_code == 2 and "--config" in monkey.stderr
