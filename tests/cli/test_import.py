"""``followsync import FILE --to LOCATION`` (issue 13): a tracker from the list a person has."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess

import openpyxl
import pytest
from click.testing import CliRunner

from followsync import cli
from followsync.core import schema

NOW = "2026-11-25T09:00"
CSV = (
    "Company Name;Position;Date Applied;Status;Interview Date;Contact;Contact Email;Salary\n"
    "Ørsted;Analyst;01/10/2026;Interviewed;2026-11-02;Dana Lee;d@orsted.example;50k\n"
    "Globex;Engineer;2026-11-20;Interviewed;2026-11-24;Sam Roe;sam@globex.example;60k\n"
    "Initech;Tester;2026-11-21;Applied;;;;\n"
)


@pytest.fixture
def here(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FOLLOWSYNC_NOW", NOW)
    monkeypatch.delenv("FOLLOWSYNC_CONFIG", raising=False)
    yield tmp_path
    schema.use_columns(())


def invoke(*args):
    return CliRunner().invoke(cli.main, list(args), catch_exceptions=False)


def tracker_rows(path):
    ws = openpyxl.load_workbook(path)["Tracker"]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    header = rows[0]
    return header, {r[header.index("Company")]: dict(zip(header, r, strict=True)) for r in rows[1:] if any(r)}


def test_a_csv_becomes_a_tracker_that_keeps_its_own_columns_and_skips_late_thank_yous(here):
    (here / "jobs.csv").write_text(CSV, encoding="utf-8")
    result = invoke("import", "jobs.csv", "--to", "tracker.xlsx")
    assert result.exit_code == 0, result.output
    assert "with 3 imported rows" in result.output and "Kept your own column: Salary." in result.output
    assert "1 row had an interview more than 3 days ago" in result.output
    assert 'location = "tracker.xlsx"' in (here / "followsync.toml").read_text()
    header, rows = tracker_rows(here / "tracker.xlsx")
    assert header.index("Salary") < header.index("Next action")  # the person's, left of followsync's
    orsted = rows["Ørsted"]
    assert orsted["Applied on"] == dt.datetime(2026, 10, 1) and orsted["Salary"] == "50k"
    assert orsted["Thank-you sent"] == dt.datetime(2026, 11, 2)  # the interview's day, said in Notes
    assert "too long ago for a thank-you note" in orsted["Notes"]
    assert rows["Globex"]["Thank-you sent"] is None and rows["Globex"]["Notes"] is None

    assert invoke("run").exit_code == 0
    _, rows = tracker_rows(here / "tracker.xlsx")
    assert rows["Ørsted"]["Next action"] == "Follow up"  # not a thank-you 23 days late
    assert rows["Ørsted"]["ID"].startswith("orsted-")
    assert rows["Globex"]["Next action"] == "Send thank-you note"  # yesterday's interview: still due
    assert rows["Initech"]["Salary"] is None and rows["Initech"]["Status"] == "Applied"


def _workbook_list(path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "My list"
    ws.append(["Employer", "Role", "Applied", "Stage", "Notes", "Referral"])
    ws.append(["Acme", "Analyst", dt.date(2026, 11, 2), "Applied", "met at a fair", "Kim"])
    wb.save(path)


def test_an_xlsx_list_is_read_with_its_dates(here):
    _workbook_list(here / "list.xlsx")
    result = invoke("import", "list.xlsx", "--to", "tracker.xlsx")
    assert result.exit_code == 0, result.output
    _, rows = tracker_rows(here / "tracker.xlsx")
    acme = rows["Acme"]
    assert acme["Applied on"] == dt.datetime(2026, 11, 2) and acme["Referral"] == "Kim"
    assert acme["Job title"] == "Analyst" and acme["Notes"] == "met at a fair"


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice makes the .ods and .xls")
@pytest.mark.parametrize("suffix", ["ods", "xls"])
def test_ods_and_xls_lists_are_read(here, suffix):
    _workbook_list(here / "list.xlsx")
    subprocess.run(
        [
            "soffice",
            "--headless",
            "--convert-to",
            suffix,
            "--outdir",
            str(here / "out"),
            str(here / "list.xlsx"),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    result = invoke("import", f"out/list.{suffix}", "--to", "tracker.xlsx")
    assert result.exit_code == 0, result.output
    _, rows = tracker_rows(here / "tracker.xlsx")
    assert rows["Acme"]["Applied on"] == dt.datetime(2026, 11, 2) and rows["Acme"]["Referral"] == "Kim"


def test_import_never_overwrites_a_tracker(here):
    (here / "jobs.csv").write_text(CSV, encoding="utf-8")
    assert invoke("import", "jobs.csv", "--to", "tracker.xlsx").exit_code == 0
    before = (here / "tracker.xlsx").read_bytes()
    again = invoke("import", "jobs.csv", "--to", "tracker.xlsx")
    assert again.exit_code == 2 and "holds 3 rows" in again.output
    assert (here / "tracker.xlsx").read_bytes() == before


def test_import_into_a_google_worksheet_with_rows_is_refused(here, monkeypatch):
    from tests.emulators.google import GoogleEmulator

    (here / "jobs.csv").write_text(CSV, encoding="utf-8")
    with GoogleEmulator() as emu:
        emu.write_key_file(here / "sa.json")
        monkeypatch.setenv("FOLLOWSYNC_GOOGLE_API_URL", emu.url)
        monkeypatch.setenv("FOLLOWSYNC_GOOGLE_CREDENTIALS", str(here / "sa.json"))
        sid = emu.create_spreadsheet(
            "Jobs", {"Tracker": [["Company", "Job title", "Status"], ["Acme", "Eng", "Applied"]]}
        )
        result = invoke("import", "jobs.csv", "--to", f"https://docs.google.com/spreadsheets/d/{sid}/edit")
        assert result.exit_code == 2 and "Worksheet 'Tracker'" in result.output
        assert emu.values(sid, "Tracker") == [["Company", "Job title", "Status"], ["Acme", "Eng", "Applied"]]
        fresh = emu.create_spreadsheet("New")
        made = invoke("import", "jobs.csv", "--to", f"https://docs.google.com/spreadsheets/d/{fresh}/edit")
        assert made.exit_code == 0, made.output
        grid = emu.values(fresh, made.output.split("'")[1])
        assert grid[0][:3] == ["ID", "Company", "Job title"] and len(grid) == 4


@pytest.mark.parametrize(
    "name, text, message",
    [
        ("jobs.txt", "x", "reads .csv, .xlsx, .xls and .ods"),
        ("jobs.csv", "Firma;Stelle;Notiz\nAcme;Dev;x\n", '"Firma" = "Company"'),
    ],
)
def test_what_cannot_be_imported_is_said(here, name, text, message):
    (here / name).write_text(text, encoding="utf-8")
    result = invoke("import", name, "--to", "tracker.xlsx")
    assert result.exit_code == 2 and message in result.output
    assert not (here / "tracker.xlsx").exists()
