"""``today``, ``show``, ``--json`` on today/check/history/calendar, several trackers, titles,
and shell completion of tracker names and row IDs."""

from __future__ import annotations

import json

import pytest
from click.shell_completion import ShellComplete
from click.testing import CliRunner

from followsync import cli

NOW = "2026-11-25T09:00"
TWO = """[profile]
name = "Alex Morgan"

[[trackers]]
name = "sam"
location = "sam.xlsx"

[[trackers]]
name = "kim"
location = "kim.xlsx"
"""


@pytest.fixture
def runner(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FOLLOWSYNC_NOW", NOW)
    return CliRunner()


def invoke(runner, *args):
    return runner.invoke(cli.main, list(args), catch_exceptions=False)


@pytest.fixture
def two(runner, tmp_path):
    invoke(runner, "init", "sam.xlsx", "--demo")
    invoke(runner, "init", "kim.xlsx", "--demo")
    (tmp_path / "followsync.toml").write_text(TWO, encoding="utf-8")
    return tmp_path


def test_today_is_a_table_per_tracker_with_draft_subjects(runner, two, monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")  # a wide terminal: a subject on one line
    shown = invoke(runner, "today")
    assert shown.exit_code == 0, shown.output
    assert "Job search: Alex Morgan (sam)" in shown.output and "Job search: Alex Morgan (kim)" in shown.output
    for word in ("Overdue", "Due today", "Draft subject", "Next action", "harbor-mrc"):
        assert word in shown.output
    data = json.loads(invoke(runner, "run", "--json", "--dry-run").stdout)
    subjects = [a["subject"] for a in data["trackers"][0]["actions"] if a["subject"]]
    assert subjects and subjects[0][:30] in shown.output
    as_json = json.loads(invoke(runner, "today", "--json").stdout)
    assert [t["name"] for t in as_json["trackers"]] == ["sam", "kim"]
    first = as_json["trackers"][0]["actions"][0]
    assert {"subject", "message", "urgency", "id"} <= set(first)


def test_today_writes_nothing(runner, tmp_path):
    invoke(runner, "init", "tracker.xlsx", "--demo")
    before = (tmp_path / "tracker.xlsx").read_bytes()
    assert invoke(runner, "today").exit_code == 0
    assert (tmp_path / "tracker.xlsx").read_bytes() == before


def test_run_json_carries_each_actions_draft(runner, tmp_path):
    invoke(runner, "init", "tracker.xlsx", "--demo")
    actions = json.loads(invoke(runner, "run", "--json").stdout)["trackers"][0]["actions"]
    thank = next(a for a in actions if a["next_action"] == "Send thank-you note")
    assert thank["subject"] and "Dear" in thank["message"]


def test_show_prints_the_draft_ready_to_paste(runner, tmp_path):
    invoke(runner, "init", "tracker.xlsx", "--demo")
    actions = json.loads(invoke(runner, "run", "--json").stdout)["trackers"][0]["actions"]
    thank = next(a for a in actions if a["next_action"] == "Send thank-you note")
    shown = invoke(runner, "show", thank["id"].upper())
    assert shown.exit_code == 0
    assert shown.output.startswith(f"Subject: {thank['subject']}\n\n")
    assert thank["message"] in shown.output
    missing = invoke(runner, "show", "nobody-000")
    assert missing.exit_code == 2 and "nobody-000" in missing.stderr


def test_check_works_across_trackers_with_json(runner, two):
    text = invoke(runner, "check")
    assert text.exit_code == 0 and "sam.xlsx" in text.output and "kim.xlsx" in text.output
    (two / "kim.xlsx").unlink()
    data = json.loads(invoke(runner, "check", "--json").stdout)
    sam, kim = data["trackers"]
    assert sam["ok"] and sam["rows"] == 15 and sam["problems"] == []
    assert not kim["ok"] and "kim.xlsx" in kim["error"] and data["exit_code"] == 3
    broken = invoke(runner, "check")
    assert broken.exit_code == 3 and "kim" in broken.stderr and "sam.xlsx" in broken.stdout


def test_history_and_calendar_json(runner, tmp_path):
    invoke(runner, "init", "tracker.xlsx", "--demo")
    actions = json.loads(invoke(runner, "run", "--json").stdout)["trackers"][0]["actions"]
    ident = next(a["id"] for a in actions if a["next_action"] == "Send thank-you note")
    invoke(runner, "sent", ident, "--on", "yesterday")
    history = json.loads(invoke(runner, "history", ident, "--json").stdout)
    assert history["id"] == ident
    assert history["entries"][0]["date"] == "2026-11-24" and "thank-you" in history["entries"][0]["what"]
    cal = json.loads(invoke(runner, "calendar", "-o", "f.ics", "--json").stdout)
    assert cal["path"] == "f.ics" and cal["events"] and (tmp_path / "f.ics").exists()
    overdue = [e for e in cal["events"] if e["overdue"]]
    assert overdue and all(e["date"] == "2026-11-25" and "overdue" in e["title"] for e in overdue)


def test_report_works_across_trackers_titled_with_the_profile_name(runner, two):
    done = invoke(runner, "report", "-o", "r.html")
    assert done.exit_code == 0, done.output
    for name in ("sam", "kim"):
        html = (two / f"r-{name}.html").read_text(encoding="utf-8")
        assert f"Job search: Alex Morgan ({name})" in html and "sam.xlsx" not in html.split("</title>")[0]


def _complete(args: list[str], incomplete: str) -> list[str]:
    comp = ShellComplete(cli.main, {}, "followsync", "_FOLLOWSYNC_COMPLETE")
    return [c.value for c in comp.get_completions(args, incomplete)]


def test_completion_offers_tracker_names_and_row_ids(runner, two):
    assert _complete(["run", "--tracker"], "") == ["sam", "kim"]
    assert _complete(["check", "--tracker"], "k") == ["kim"]
    invoke(runner, "run")  # the first run gives every row its ID
    ids = _complete(["show", "--tracker", "sam"], "har")
    assert ids == ["harbor-mrc"]
    assert "harbor-mrc" in _complete(["sent"], "")
    assert _complete(["show", "--config", str(two / "nowhere.toml")], "") == []
