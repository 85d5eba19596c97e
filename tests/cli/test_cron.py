"""Issue "Cron, calendar and the coach": several trackers, --json, logging, the calendar
file, the Summary worksheet, the report, mail, and the mass-rewrite guard, through the CLI."""

from __future__ import annotations

import datetime as dt
import json

import openpyxl
import pytest
from click.testing import CliRunner
from icalendar import Calendar

from followsync import cli
from followsync import run as sync
from followsync.backends.memory import MemoryBackend
from followsync.config import Config
from followsync.errors import WriteRefused

from ..backends.contract import demo_grid
from ..conftest import NOW
from ..outputs.test_mail import PASSWORD, USER, certificate, smtp_server  # noqa: F401 - fixtures

NOW_TEXT = "2026-11-25T09:00"


@pytest.fixture
def runner(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FOLLOWSYNC_NOW", NOW_TEXT)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    return CliRunner()


def invoke(runner, *args):
    return runner.invoke(cli.main, list(args), catch_exceptions=False)


def two_trackers(runner, tmp_path, extra=""):
    for name in ("a", "b"):
        assert invoke(runner, "init", f"{name}.xlsx", "--demo").exit_code == 0
    (tmp_path / "followsync.toml").write_text(
        '[[trackers]]\nname = "alex"\nlocation = "a.xlsx"\n\n[[trackers]]\nname = "sam"\nlocation = "b.xlsx"\n' + extra
    )


def test_json_shape_is_stable(runner, tmp_path):
    invoke(runner, "init", "tracker.xlsx", "--demo")
    result = invoke(runner, "run", "--json")
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert set(data) == {"version", "now", "exit_code", "trackers"}
    assert data["version"] == 1 and data["exit_code"] == 0 and data["now"].startswith("2026-11-25T09:00")
    (t,) = data["trackers"]
    assert set(t) == {
        "name", "location", "ok", "exit_code", "error", "sheet", "rows", "cells_changed", "written",
        "dry_run", "due", "actions", "problems", "skipped",
    }
    assert t["ok"] and t["sheet"] == "Tracker" and t["rows"] == 15 and t["written"]
    assert t["due"] == {"overdue": 3, "today": 3, "soon": 1}
    first = t["actions"][0]
    assert set(first) == {"row", "id", "company", "job_title", "next_action", "due", "urgency", "reminder", "subject", "message"}
    assert first["urgency"] == "overdue" and first["due"] == "2026-11-20"
    again = json.loads(invoke(runner, "run", "--json").output)["trackers"][0]
    assert again["cells_changed"] == 0 and not again["written"]


def test_several_trackers_one_failing(runner, tmp_path):
    two_trackers(runner, tmp_path, '\n[[trackers]]\nname = "gone"\nlocation = "missing.xlsx"\n')
    result = invoke(runner, "run", "--json")
    data = json.loads(result.output)
    assert [t["name"] for t in data["trackers"]] == ["alex", "sam", "gone"]
    assert [t["ok"] for t in data["trackers"]] == [True, True, False]
    assert result.exit_code == 3 == data["exit_code"]  # the worst of them
    assert "missing.xlsx" in data["trackers"][2]["error"]
    assert all(t["written"] for t in data["trackers"][:2])
    text = invoke(runner, "run").output
    assert "gone:" in text and "a.xlsx" in text and "b.xlsx" in text


def test_relative_tracker_paths_are_read_from_the_config_folder(runner, tmp_path):
    two_trackers(runner, tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = runner.invoke(cli.main, ["run", "--config", str(tmp_path / "followsync.toml")], catch_exceptions=False)
    assert result.exit_code == 0, result.output


def test_calendar_refreshed_by_run_and_by_command(runner, tmp_path):
    two_trackers(runner, tmp_path, '\n[calendar]\npath = "due.ics"\n')
    assert invoke(runner, "run").exit_code == 0
    cal = Calendar.from_ical((tmp_path / "due.ics").read_bytes())
    events = [c for c in cal.walk("VEVENT")]
    # every row with a Next action and a Due, and the interview ahead, in both trackers
    assert len(events) == 2 * (9 + 1)
    assert sum(isinstance(e.decoded("dtstart"), dt.datetime) for e in events) == 2
    assert len({str(e["uid"]) for e in events}) == len(events)
    before = (tmp_path / "due.ics").stat().st_mtime_ns
    invoke(runner, "run")
    assert (tmp_path / "due.ics").stat().st_mtime_ns == before  # nothing changed, file untouched
    out = invoke(runner, "calendar", "-o", "mine.ics", "--tracker", "a.xlsx")
    assert out.exit_code == 0 and "10 events" in out.output
    assert invoke(runner, "calendar").exit_code == 0


def test_summary_is_the_first_worksheet_a_coach_sees(runner, tmp_path):
    invoke(runner, "init", "tracker.xlsx", "--demo")
    invoke(runner, "run")
    wb = openpyxl.load_workbook(tmp_path / "tracker.xlsx")
    # first in the tab bar; the workbook opens on the Tracker (issue 13)
    assert wb.sheetnames[0] == "Summary" and wb.active.title == "Tracker"
    values = [c for row in wb["Summary"].iter_rows(values_only=True) for c in row if c is not None]
    assert "Applications by status" in values and "Overdue actions" in values
    # and the run still finds the tracker, not the Summary
    assert "15 rows" in invoke(runner, "run").output


def test_report_command(runner, tmp_path):
    invoke(runner, "init", "tracker.xlsx", "--demo")
    invoke(runner, "run")
    result = invoke(runner, "report", "-o", "coach.html")
    assert result.exit_code == 0
    html = (tmp_path / "coach.html").read_text()
    assert "<img" in html and "data:image/png;base64," in html
    assert 'src="http' not in html and 'href="http' not in html  # nothing to fetch when viewed


def test_mail_when_due_and_exit_4_when_mail_fails(runner, tmp_path, smtp_server, certificate, monkeypatch):  # noqa: F811
    port, mailbox = smtp_server
    monkeypatch.setenv("FOLLOWSYNC_TEST_SMTP_PASSWORD", PASSWORD)
    invoke(runner, "init", "tracker.xlsx", "--demo")
    notify = (
        f'[notify]\nhost = "127.0.0.1"\nport = {port}\nusername = "{USER}"\n'
        f'password_env = "FOLLOWSYNC_TEST_SMTP_PASSWORD"\nsender = "{USER}"\nto = "{USER}"\n'
        f'coach = "coach@example.org"\nweekly_report = true\ncafile = "{certificate[0]}"\n'
    )
    (tmp_path / "followsync.toml").write_text('[tracker]\nlocation = "tracker.xlsx"\n' + notify)
    result = invoke(runner, "run", "--quiet", "-v", "--log-file", "run.log")
    assert result.exit_code == 0, result.output
    (msg,) = mailbox.messages
    body = msg["data"].decode()
    assert "Overdue" in body and "harbor" in body and "coach@example.org" in msg["rcpt_tos"]
    assert "followsync-tracker.html" in body  # the weekly report, attached once
    log = (tmp_path / "run.log").read_text()
    assert "tracker: 15 rows" in log and PASSWORD not in log
    # the server is down: the sheet is still written, the exit code says mail failed
    (tmp_path / "followsync.toml").write_text(
        '[tracker]\nlocation = "tracker.xlsx"\n' + notify.replace(f"port = {port}", "port = 9")
    )
    down = invoke(runner, "run", "--force")
    assert down.exit_code == 4 and "digest mail failed" in down.output


def test_mass_rewrite_is_refused_without_force():
    backend = MemoryBackend(demo_grid())
    sync.run(backend, Config(), NOW, lock_timeout=1)
    # something blanked followsync's columns (a broken paste, a bad read): most cells would change
    header = backend.grid[0]
    keep = header.index("Draft state")
    for row in backend.grid[1:]:
        for name in ("Next action", "Reminder", "Due", "Draft subject", "Draft message", "LinkedIn note"):
            row[header.index(name)] = "?"
        assert row[keep]
    with pytest.raises(WriteRefused, match="more than half") as e:
        sync.run(backend, Config(), NOW, lock_timeout=1)
    assert "--force" in str(e.value) and backend.write_calls == 1
    assert sync.run(backend, Config(), NOW, lock_timeout=1, force=True).applied.write_calls == 1
