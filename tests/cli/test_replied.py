"""``followsync replied ID``: an answer recorded (Response on, Status, History) and recomputed."""

from __future__ import annotations

import datetime as dt
import json

import openpyxl
import pytest
from click.testing import CliRunner

from followsync import cli
from followsync.core.sends import status_choice
from followsync.errors import UsageError


@pytest.fixture
def runner(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FOLLOWSYNC_NOW", "2026-11-25T09:00")
    return CliRunner()


def invoke(runner, *args):
    return runner.invoke(cli.main, list(args), catch_exceptions=False)


def waiting_row(runner) -> dict:
    invoke(runner, "init", "tracker.xlsx", "--demo")
    actions = json.loads(invoke(runner, "run", "--json").output)["trackers"][0]["actions"]
    return next(a for a in actions if a["next_action"] in ("Follow up", "Send a friendly reminder"))


def test_statuses_match_any_case_and_by_their_start():
    assert status_choice("rejected") == "Rejected"
    assert status_choice("next") == "Next round"
    assert status_choice("OFF") == "Offer"
    assert status_choice("interviewed") == "Interviewed"  # exact beats "Interview scheduled"
    with pytest.raises(UsageError, match="could be Interview scheduled or Interviewed"):
        status_choice("interv")
    with pytest.raises(UsageError, match="not a Status") as bad:
        status_choice("ghosted")
    assert "Next round" in (bad.value.hint or "") and "Withdrawn" in (bad.value.hint or "")


def test_replied_records_response_status_and_history_then_recomputes(runner, tmp_path):
    row = waiting_row(runner)
    done = invoke(runner, "replied", row["id"].lower(), "--status", "rej", "--on", "yesterday")
    assert done.exit_code == 0, done.output
    assert "Recorded for" in done.output and "Got a reply" in done.output
    sheet = openpyxl.load_workbook(tmp_path / "tracker.xlsx")["Tracker"]
    header = [c.value for c in sheet[1]]
    line = next(r for r in sheet.iter_rows(min_row=2, values_only=True) if r[header.index("ID")] == row["id"])
    assert line[header.index("Status")] == "Rejected"
    assert line[header.index("Response on")].date() == dt.date(2026, 11, 24)
    assert line[header.index("Next action")] == "Reply to the rejection"  # recomputed, as `sent` does
    history = invoke(runner, "history", row["id"]).output
    assert "2026-11-24  Got a reply; Status set to Rejected" in history and "Status: " not in history


def test_replied_without_status_sets_response_on_only(runner, tmp_path):
    row = waiting_row(runner)
    assert invoke(runner, "replied", row["id"]).exit_code == 0
    sheet = openpyxl.load_workbook(tmp_path / "tracker.xlsx")["Tracker"]
    header = [c.value for c in sheet[1]]
    line = next(r for r in sheet.iter_rows(min_row=2, values_only=True) if r[header.index("ID")] == row["id"])
    assert line[header.index("Response on")].date() == dt.date(2026, 11, 25)
    assert line[header.index("Status")] != "Rejected"


def test_a_wrong_status_lists_the_valid_ones_and_writes_nothing(runner, tmp_path):
    row = waiting_row(runner)
    before = (tmp_path / "tracker.xlsx").read_bytes()
    bad = invoke(runner, "replied", row["id"], "--status", "ghosted")
    assert bad.exit_code == 2 and "Next round" in bad.stderr and "Rejected" in bad.stderr
    assert (tmp_path / "tracker.xlsx").read_bytes() == before
