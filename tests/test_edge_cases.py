"""Mistakes and corners a person runs into: each once a bug, each with the behaviour it has now."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest
from click.testing import CliRunner

from followsync import cli
from followsync import run as sync
from followsync.backends.airtable.backend import AirtableBackend
from followsync.backends.memory import MemoryBackend
from followsync.backends.xlsx.backend import XlsxBackend
from followsync.config import Config
from followsync.core import cells, schema
from followsync.core.layout import demo_rows
from followsync.core.layout import load as load_layout
from followsync.errors import UsageError

from .backends.airtable.test_airtable_backend import BASE, clock, emu  # noqa: F401 - fixtures
from .backends.airtable.test_airtable_backend import backend as airtable_backend
from .backends.contract import HEADER, demo_grid
from .conftest import NOW, TODAY


def run(backend, **kw):
    return sync.run(backend, Config(), NOW, lock_timeout=1, **kw)


def value(grid, company, name):
    t = schema.frame(grid, "Tracker")
    i = list(t.frame["company"]).index(company)
    return t.frame[schema.BY_NAME[name].key].iat[i]


@pytest.fixture
def cli_env(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FOLLOWSYNC_NOW", "2026-11-25T09:00")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    return tmp_path


def invoke(*args):
    return CliRunner().invoke(cli.main, list(args), catch_exceptions=False)


def test_a_tilde_in_the_configured_location_is_expanded(cli_env):
    invoke("init", str(cli_env / "t.xlsx"), "--demo")
    (cli_env / "followsync.toml").write_text('[tracker]\nlocation = "~/t.xlsx"\n')
    assert invoke("run").exit_code == 0
    assert invoke("check").exit_code == 0


def test_sent_on_airtable_records_the_send(emu, clock):  # noqa: F811
    b = airtable_backend(emu, clock)
    b.create(load_layout(), demo_rows(TODAY))
    run(b)
    ident = next(r["fields"]["ID"] for r in emu.records("Tracker") if r["fields"].get("Company") == "Brightwave Media")
    run(airtable_backend(emu, clock), sends={ident: sync.Send()})
    fields = next(r["fields"] for r in emu.records("Tracker") if r["fields"].get("ID") == ident)
    assert fields.get("Thank-you sent") == TODAY.isoformat() and fields.get("Next action") == "Follow up"


@pytest.mark.parametrize("store", ["memory", "xlsx"])
def test_a_send_adds_the_user_columns_it_needs(tmp_path, store):
    grid = [["ID", "Company", "Job title", "Interview at", "Interviewer"], ["a-1", "Acme", "Engineer", "2026-11-24", "Sam Patel"]]
    if store == "memory":
        backend = MemoryBackend(grid)
        read = lambda: backend.grid  # noqa: E731
    else:
        path = tmp_path / "t.xlsx"
        wb = openpyxl.Workbook()
        wb.active.title = "Tracker"
        for row in grid:
            wb.active.append(row)
        wb.save(path)
        backend = XlsxBackend(path)
        read = lambda: XlsxBackend(path).read().grid  # noqa: E731
    run(backend)
    result = run(backend, sends={"a-1": sync.Send("email")})
    assert not (result.applied and result.applied.skipped)
    assert cells.parse_date(value(read(), "Acme", "Thank-you sent")) == TODAY
    assert value(read(), "Acme", "Last medium") == "Email"
    assert value(read(), "Acme", "Next action") == "Follow up"


def test_dry_run_only_reports_a_mass_rewrite():
    backend = MemoryBackend(demo_grid())
    run(backend)
    header = backend.grid[0]
    for row in backend.grid[1:]:
        for name in ("Next action", "Reminder", "Due", "Draft subject", "Draft message", "LinkedIn note"):
            row[header.index(name)] = "x"
    result = run(backend, dry_run=True)
    assert result.changes and backend.write_calls == 1


def test_an_edited_draft_survives_a_typo_elsewhere_in_its_row():
    backend = MemoryBackend(demo_grid())
    run(backend)
    header = backend.grid[0]
    row = next(r for r in backend.grid[1:] if r[header.index("Company")] == "Brightwave Media")
    mine = "Dear Ms. Jones,\n\nThank you! Could you share the next steps?\n\nBest regards,\nAlex"
    row[header.index("Draft message")] = mine
    good = row[header.index("Interview at")]
    row[header.index("Interview at")] = "24 Novv 2026"
    assert run(backend).exit_code == 1
    assert row[header.index("Draft message")] == mine or value(backend.grid, "Brightwave Media", "Draft message") == mine
    row = next(r for r in backend.grid[1:] if r[header.index("Company")] == "Brightwave Media")
    row[header.index("Interview at")] = good
    run(backend)
    assert value(backend.grid, "Brightwave Media", "Draft message") == mine


def test_one_id_on_two_rows_is_a_problem_and_they_are_left_alone():
    grid = demo_grid()
    grid[1][HEADER.index("ID")] = "same-1"
    grid[2][HEADER.index("ID")] = "same-1"
    backend = MemoryBackend(grid)
    first = run(backend)
    assert {(p.row, p.column) for p in first.problems if p.column == "ID"} == {(2, "ID"), (3, "ID")}
    assert first.exit_code == 1
    calls = backend.write_calls
    assert not run(backend).changes and backend.write_calls == calls  # nothing to write, run after run
    with pytest.raises(UsageError, match="more than one row"):
        run(backend, sends={"same-1": sync.Send()})


def test_the_persons_own_summary_and_history_sheets_are_left_alone(tmp_path):
    path = tmp_path / "t.xlsx"
    XlsxBackend(path).create(load_layout(), demo_rows(TODAY))
    wb = openpyxl.load_workbook(path)
    mine = wb.create_sheet("Summary")
    mine["A1"], mine["B1"] = "My own summary", "=COUNTA(Tracker!B:B)"
    hist = wb.create_sheet("History")
    hist["A1"] = "Calls I made"
    wb.save(path)
    result = run(XlsxBackend(path))
    assert any("Summary" in n for n in result.notes)
    ident = schema.frame(XlsxBackend(path).read().grid, "Tracker").frame["id"].iat[1]
    sent = run(XlsxBackend(path), sends={ident: sync.Send()})
    assert any("History" in m for m in sent.applied.skipped)
    wb = openpyxl.load_workbook(path)
    assert wb["Summary"]["A1"].value == "My own summary" and wb["Summary"]["B1"].value == "=COUNTA(Tracker!B:B)"
    assert wb["History"]["A1"].value == "Calls I made" and wb["History"].max_row == 1


def test_a_day_passing_alone_does_not_rewrite_the_summary():
    grid = demo_grid()
    status = HEADER.index("Status")
    grid = [grid[0]] + [r for r in grid[1:] if r[status] in ("Offer", "Withdrawn")]
    backend = MemoryBackend(grid)
    run(backend)
    calls = backend.write_calls
    for days in (1, 2):
        later = sync.run(backend, Config(), NOW + dt.timedelta(days=days), lock_timeout=1)
        assert not later.changes
    assert backend.write_calls == calls


def test_unwritable_paths_are_usage_errors_not_tracebacks(cli_env):
    invoke("init", "tracker.xlsx", "--demo")
    assert invoke("run", "--log-file", str(cli_env / "no" / "such" / "run.log")).exit_code == 2
    (cli_env / "folder.ics").mkdir()
    (cli_env / "followsync.toml").write_text('[tracker]\nlocation = "tracker.xlsx"\n[calendar]\npath = "folder.ics"\n')
    result = invoke("run")
    assert result.exit_code == 2 and "calendar" in result.output
    # a "folder" that is a file
    assert invoke("report", "-o", str(cli_env / "tracker.xlsx" / "r.html")).exit_code == 2
    assert invoke("calendar", "-o", str(cli_env / "tracker.xlsx" / "c.ics")).exit_code == 2


def test_a_failed_tracker_outranks_a_failed_mail(cli_env):
    (cli_env / "followsync.toml").write_text(
        '[tracker]\nlocation = "missing.xlsx"\n'
        '[notify]\nhost = "127.0.0.1"\nport = 9\nsender = "a@example.com"\nto = "a@example.com"\n'
    )
    assert invoke("run").exit_code == 3


def test_single_tracker_commands_pick_one_of_several_by_name(cli_env):
    for name in ("a", "b"):
        invoke("init", f"{name}.xlsx", "--demo")
    (cli_env / "followsync.toml").write_text(
        '[[trackers]]\nname = "alex"\nlocation = "a.xlsx"\n[[trackers]]\nname = "sam"\nlocation = "b.xlsx"\n'
    )
    several = invoke("show", "some-id")
    assert several.exit_code == 2 and "--tracker NAME" in several.output and "alex, sam" in several.output
    both = invoke("check")  # check works across trackers (issue 14)
    assert both.exit_code == 0 and "a.xlsx" in both.output and "b.xlsx" in both.output
    assert invoke("check", "--tracker", "sam").exit_code == 0
    assert "b.xlsx" in invoke("run", "--tracker", "sam").output


def test_sent_refuses_a_future_date(cli_env):
    invoke("init", "tracker.xlsx", "--demo")
    invoke("run")
    ident = schema.frame(XlsxBackend(cli_env / "tracker.xlsx").read().grid, "Tracker").frame["id"].iat[1]
    result = invoke("sent", ident, "--on", "2026-12-01")
    assert result.exit_code == 2 and "future" in result.output


def test_an_airtable_history_table_of_the_persons_own_is_left_alone(emu, clock):  # noqa: F811
    b = airtable_backend(emu, clock)
    b.create(load_layout(), demo_rows(TODAY))
    emu.create_table("History", [{"name": "Diary", "type": "singleLineText"}])
    emu.add_records("History", [{"Diary": "Called Acme"}])
    run(b)
    ident = next(r["fields"]["ID"] for r in emu.records("Tracker") if r["fields"].get("Company") == "Brightwave Media")
    result = run(airtable_backend(emu, clock), sends={ident: sync.Send()})
    assert any("History" in m for m in result.applied.skipped)
    assert [f["name"] for f in emu.table_schema("History")["fields"]] == ["Diary"]
    assert [r["fields"] for r in emu.records("History")] == [{"Diary": "Called Acme"}]


def test_an_airtable_history_failure_says_the_tracker_was_written(emu, clock):  # noqa: F811
    b = airtable_backend(emu, clock)
    b.create(load_layout(), demo_rows(TODAY))
    run(b)
    emu.add_token("NOSCHEMA", ["data.records:read", "data.records:write", "schema.bases:read"])
    ident = next(r["fields"]["ID"] for r in emu.records("Tracker") if r["fields"].get("Company") == "Brightwave Media")
    limited = AirtableBackend(BASE, "Tracker", token="NOSCHEMA", api_url=emu.url, sleep=clock.sleep, clock=clock)
    with pytest.raises(Exception, match="tracker was updated, but its History table was not"):
        run(limited, sends={ident: sync.Send()})
    fields = next(r["fields"] for r in emu.records("Tracker") if r["fields"].get("ID") == ident)
    assert fields.get("Thank-you sent") == TODAY.isoformat()
