"""The command line on a real .xlsx tracker: the Quick start, exit codes, --help everywhere."""

from __future__ import annotations

import os
import re

import openpyxl
import pytest
from click.testing import CliRunner

from followsync import cli
from followsync import run as sync
from followsync.backends.xlsx.backend import XlsxBackend

NOW = "2026-11-25T09:00"


@pytest.fixture
def runner(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FOLLOWSYNC_NOW", NOW)
    return CliRunner()


def invoke(runner, *args):
    return runner.invoke(cli.main, list(args), catch_exceptions=False)


def all_commands(group=cli.main, prefix=()):
    for name, cmd in group.commands.items():
        yield (*prefix, name), cmd
        if hasattr(cmd, "commands"):
            yield from all_commands(cmd, (*prefix, name))


def test_every_command_has_help(runner):
    assert "Exit codes" in invoke(runner, "--help").output
    for path, cmd in all_commands():
        result = invoke(runner, *path, "--help")
        assert result.exit_code == 0, path
        assert (cmd.help or "").strip(), f"{' '.join(path)} has no help text"
        for param in cmd.params:
            if isinstance(param, cli.click.Option):
                assert param.help, f"{' '.join(path)} {param.opts[0]} has no help"


def test_quick_start_line(runner, tmp_path):
    init = invoke(runner, "init", "tracker.xlsx", "--demo")
    assert init.exit_code == 0, init.output
    assert (tmp_path / "followsync.toml").exists()
    first = invoke(runner, "run", "--tracker", "tracker.xlsx")
    assert first.exit_code == 0, first.output
    assert re.search(r"Overdue.*Due today.*Due soon", first.output, re.S)
    # a plain `followsync run` works from the folder too, and changes nothing now
    path = tmp_path / "tracker.xlsx"
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    second = invoke(runner, "run")
    assert second.exit_code == 0 and "nothing to update" in second.output
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before


def test_demo_tracker_matches_rules_for_every_row(runner, tmp_path):
    from followsync.config import Config
    from followsync.core import rules, schema
    from followsync.core.layout import load as load_layout

    invoke(runner, "init", "tracker.xlsx", "--demo")
    invoke(runner, "run")
    backend = XlsxBackend(tmp_path / "tracker.xlsx")
    snap = backend.read()
    tracker = schema.frame(snap.grid, snap.sheet)
    plan = rules.plan(tracker.frame, sync.resolve_now(NOW, None), Config().rules)
    assert set(plan["rule"]) == set(range(1, 14))  # every rule of section 3 shows
    colours = load_layout().colours
    col = tracker.header.positions["Next action"]
    for index, action, want, colour in zip(
        tracker.frame["_index"],
        tracker.frame["next_action"],
        plan["next_action"],
        plan["colour"],
        strict=True,
    ):
        assert (action or "") == want
        assert snap.fills.get((index, col)) == colours.get(colour)


def test_init_refuses_to_overwrite_and_keeps_an_existing_config(runner, tmp_path):
    (tmp_path / "followsync.toml").write_text('[profile]\nname = "Me"\n')
    assert invoke(runner, "init", "tracker.xlsx").exit_code == 0
    assert (tmp_path / "followsync.toml").read_text() == '[profile]\nname = "Me"\n'
    again = invoke(runner, "init", "tracker.xlsx")
    assert again.exit_code == 2 and "overwrite" in again.output


def test_no_tracker_is_a_usage_error(runner):
    result = invoke(runner, "run")
    assert result.exit_code == 2 and "--tracker" in result.output


def test_bad_config_lists_every_problem(runner, tmp_path):
    (tmp_path / "followsync.toml").write_text('date_order = "YMD"\n[rules]\nsoon_days = -1\nbogus = 1\n')
    result = invoke(runner, "run", "--tracker", "x.xlsx")
    assert result.exit_code == 2
    assert "3 problems" in result.output and "bogus" in result.output


def test_missing_and_non_xlsx_trackers_exit_3(runner, tmp_path):
    missing = invoke(runner, "run", "--tracker", "nope.xlsx")
    assert missing.exit_code == 3 and "nope.xlsx" in missing.output and "Traceback" not in missing.output
    (tmp_path / "fake.xlsx").write_text("Company,Job title\nAcme,Eng\n")
    fake = invoke(runner, "check", "--tracker", "fake.xlsx")
    assert fake.exit_code == 3 and "fake.xlsx" in fake.output


def test_check_lists_problems_and_exits_1(runner, tmp_path):
    invoke(runner, "init", "tracker.xlsx", "--demo")
    wb = openpyxl.load_workbook(tmp_path / "tracker.xlsx")
    ws = wb["Tracker"]
    header = [c.value for c in ws[1]]
    ws.cell(3, header.index("Interview at") + 1).value = "sometime in May"
    wb.save(tmp_path / "tracker.xlsx")
    result = invoke(runner, "check")
    assert result.exit_code == 1
    assert "sheet 'Tracker', row 3, column 'Interview at'" in result.output and "Fix:" in result.output
    assert invoke(runner, "run").exit_code == 1


def test_dry_run_writes_nothing(runner, tmp_path):
    invoke(runner, "init", "tracker.xlsx", "--demo")
    path = tmp_path / "tracker.xlsx"
    before = path.read_bytes()
    result = invoke(runner, "run", "--dry-run")
    assert result.exit_code == 0 and "dry run" in result.output and "Next action ->" in result.output
    assert path.read_bytes() == before and not (tmp_path / "tracker.xlsx.bak").exists()


def test_quiet_is_silent_on_a_quiet_day(runner, tmp_path):
    invoke(runner, "init", "tracker.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "tracker.xlsx")
    ws = wb["Tracker"]
    header = [c.value for c in ws[1]]
    ws.cell(2, header.index("Company") + 1).value = "Acme"
    ws.cell(2, header.index("Job title") + 1).value = "Engineer"
    ws.cell(2, header.index("Applied on") + 1).value = "2026-11-20"
    wb.save(tmp_path / "tracker.xlsx")
    quiet = invoke(runner, "run", "--quiet")
    assert quiet.exit_code == 0 and quiet.output == ""
    ws.cell(2, header.index("Interview at") + 1).value = "2026-11-20"
    wb.save(tmp_path / "tracker.xlsx")
    loud = invoke(runner, "run", "--quiet")
    assert "Overdue" in loud.output and "Acme" in loud.output


def test_second_run_waits_then_exits_3(runner, tmp_path, monkeypatch):
    invoke(runner, "init", "tracker.xlsx", "--demo")
    monkeypatch.setattr(sync, "LOCK_TIMEOUT", 0.2)
    with sync.tracker_lock(XlsxBackend(tmp_path / "tracker.xlsx")):
        result = invoke(runner, "run")
    assert result.exit_code == 3 and "Another followsync run" in result.output


def test_file_open_in_excel_is_not_written(runner, tmp_path):
    invoke(runner, "init", "tracker.xlsx", "--demo")
    (tmp_path / "~$tracker.xlsx").write_text("")
    before = (tmp_path / "tracker.xlsx").read_bytes()
    result = invoke(runner, "run")
    assert result.exit_code == 3 and "Excel" in result.output
    assert (tmp_path / "tracker.xlsx").read_bytes() == before


def test_exit_codes_documented_in_help(runner):
    text = invoke(runner, "run", "--help").output
    for code in "0123":
        assert re.search(rf"^\s+{code}\s+\w", text, re.M), code


def test_config_flag_from_anywhere(runner, tmp_path):
    invoke(runner, "init", "tracker.xlsx", "--demo")
    elsewhere = tmp_path / "sub"
    elsewhere.mkdir()
    os.chdir(elsewhere)
    result = invoke(runner, "run", "--config", str(tmp_path / "followsync.toml"))
    assert result.exit_code == 0 and "15 rows" in result.output


def test_sent_and_history_on_xlsx(runner, tmp_path):
    invoke(runner, "init", "tracker.xlsx", "--demo")
    first = invoke(runner, "run", "--json")
    import json

    ident = next(a["id"] for a in json.loads(first.output)["trackers"][0]["actions"] if a["next_action"] == "Send thank-you note")
    sent = invoke(runner, "sent", ident, "--on", "2026-11-25")
    assert sent.exit_code == 0 and "Recorded" in sent.output
    wb = openpyxl.load_workbook(tmp_path / "tracker.xlsx")
    assert wb["History"]["C2"].value == "Brightwave Media"
    timeline = invoke(runner, "history", ident)
    assert "2026-11-25  Sent the thank-you note (Email)" in timeline.output and "Dear Ms. Jones" in timeline.output
    assert invoke(runner, "history", "nobody-000").output.startswith("No history for nobody-000")
    bad = invoke(runner, "sent", ident, "--on", "someday")
    assert bad.exit_code == 2 and "--on" in bad.output
