"""The habits people expect of a command: -h, errors on stderr, a closed pipe, -v and -vv."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from followsync import cli
from followsync.backends import http

NOW = "2026-11-25T09:00"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def runner(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FOLLOWSYNC_NOW", NOW)
    return CliRunner()


def invoke(runner, *args):
    return runner.invoke(cli.main, list(args), catch_exceptions=False)


def test_dash_h_is_help_everywhere(runner):
    assert invoke(runner, "-h").output == invoke(runner, "--help").output
    for path in (["run"], ["sent"], ["templates", "list"]):
        shown = invoke(runner, *path, "-h")
        assert shown.exit_code == 0 and "-h, --help" in shown.output and "Usage:" in shown.output


def test_every_error_is_on_stderr_runs_tracker_errors_too(runner, tmp_path):
    invoke(runner, "init", "good.xlsx", "--demo")
    (tmp_path / "followsync.toml").write_text(
        '[[trackers]]\nname = "good"\nlocation = "good.xlsx"\n\n[[trackers]]\nname = "gone"\nlocation = "gone.xlsx"\n',
        encoding="utf-8",
    )
    result = invoke(runner, "run")
    assert result.exit_code == 3
    assert "gone:" in result.stderr and "gone:" not in result.stdout
    assert "good.xlsx" in result.stdout
    check = invoke(runner, "check", "--tracker", "missing.xlsx")
    assert check.exit_code == 3 and "missing.xlsx" in check.stderr and not check.stdout


def _followsync(args, cwd, **kw):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "FOLLOWSYNC_NOW": NOW}
    return subprocess.run([sys.executable, "-m", "followsync.cli", *args], cwd=cwd, env=env, **kw)


def test_a_closed_pipe_ends_quietly(tmp_path):
    made = _followsync(["init", "tracker.xlsx", "--demo"], tmp_path, capture_output=True)
    assert made.returncode == 0, made.stderr
    read, write = os.pipe()
    os.close(read)  # `followsync run | head -1`, once head has gone
    try:
        for args in (["run", "--dry-run"], ["run", "--dry-run", "--json"]):
            done = _followsync(args, tmp_path, stdout=write, stderr=subprocess.PIPE)
            assert done.returncode == 0, done.stderr
            assert b"Traceback" not in done.stderr and b"Broken pipe" not in done.stderr
    finally:
        os.close(write)


def test_vv_logs_cells_and_requests_v_does_not(runner, tmp_path):
    invoke(runner, "init", "tracker.xlsx", "--demo")
    log = logging.getLogger("followsync")
    try:
        once = invoke(runner, "run", "--dry-run", "-v")
        assert "tracker: 15 rows" in once.stderr and "cell " not in once.stderr
    finally:
        log.handlers[1:] = []
    try:
        twice = invoke(runner, "run", "--dry-run", "-vv")
    finally:
        log.handlers[1:] = []
        log.setLevel(logging.NOTSET)
    assert "cell " in twice.stderr and "Next action" in twice.stderr
    assert "Dear" not in twice.stderr  # a draft's text is never logged


def test_a_long_wait_at_a_terminal_says_what_it_waits_for(monkeypatch):
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    slept: list[float] = []
    policy = http.RetryPolicy(sleep=slept.append)
    for terminal, seconds in ((True, 69.0), (True, 1.0), (False, 69.0)):
        err = Terminal() if terminal else io.StringIO()
        monkeypatch.setattr(sys, "stderr", err)
        policy.wait(seconds, "Google Sheets")
        said = err.getvalue()
        assert ("waiting 69 s for Google Sheets" in said) == (terminal and seconds > 3), said
    assert slept == [69.0, 1.0, 69.0]
