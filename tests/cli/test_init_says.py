"""``followsync init`` says what it does (issue 13, item 5): the forms a location may take,
demo rows never beside a person's data, a new worksheet never made the tracker silently, any
Google Sheets address, and IDs that transliterate."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from followsync import cli
from followsync.backends import Location
from followsync.backends.google.location import parse_location
from followsync.core.compute import new_id
from followsync.core.layout import demo_rows
from tests.emulators.airtable import AirtableEmulator
from tests.emulators.google import GoogleEmulator

from ..conftest import TODAY


@pytest.fixture
def here(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FOLLOWSYNC_NOW", "2026-11-25T09:00")
    monkeypatch.delenv("FOLLOWSYNC_CONFIG", raising=False)
    return tmp_path


def invoke(*args):
    return CliRunner().invoke(cli.main, list(args), catch_exceptions=False)


@pytest.mark.parametrize("location", ["jobs.csv", "My Jobs", "airtable:appOnly", "tracker.ods"])
def test_init_refuses_a_location_it_cannot_make_and_lists_the_forms(here, location):
    result = invoke("init", location, "--demo")
    assert result.exit_code == 2, result.output
    assert f"cannot make a tracker at {location!r}" in result.output
    for form in (".xlsx", "docs.google.com/spreadsheets", "airtable:BASE_ID/TABLE"):
        assert form in result.output
    assert sorted(p.name for p in here.iterdir()) == []  # no file, no followsync.toml


@pytest.mark.parametrize(
    "url, key, gid",
    [
        ("https://docs.google.com/spreadsheets/d/1abc/edit", "1abc", None),
        ("https://docs.google.com/spreadsheets/u/0/d/1abcDEF_-x/edit?usp=sharing", "1abcDEF_-x", None),
        ("https://docs.google.com/spreadsheets/d/shortKey/edit?usp=drivesdk#gid=42", "shortKey", 42),
        ("docs.google.com/spreadsheets/d/xyz123/", "xyz123", None),
    ],
)
def test_any_google_sheets_address_is_a_google_location(url, key, gid):
    assert Location.parse(url, new=True).store_kind == "google"
    assert parse_location(url) == (key, gid)


def test_a_google_address_without_a_spreadsheet_says_so():
    with pytest.raises(Exception, match="names no spreadsheet"):
        Location.parse("https://docs.google.com/spreadsheets/u/0/")


@pytest.fixture
def sheets(here, monkeypatch):
    with GoogleEmulator() as emu:
        key = here / "sa.json"
        emu.write_key_file(key)
        monkeypatch.setenv("FOLLOWSYNC_GOOGLE_API_URL", emu.url)
        monkeypatch.setenv("FOLLOWSYNC_GOOGLE_CREDENTIALS", str(key))
        yield emu


def test_demo_rows_are_refused_beside_a_persons_data_on_google(sheets):
    sid = sheets.create_spreadsheet("Mine", {"Sheet1": [["Who", "When"], ["Acme", "Monday"]]})
    url = f"https://docs.google.com/spreadsheets/d/{sid}/edit"
    result = invoke("init", url, "--demo")
    assert result.exit_code == 2
    assert "Worksheet 'Sheet1'" in result.output and "holds 2 rows" in result.output
    assert [s.title for s in sheets.spreadsheet(sid).sheets] == ["Sheet1"]  # no demo Tracker worksheet


def test_a_new_worksheet_made_the_tracker_is_said(sheets):
    sid = sheets.create_spreadsheet("Mine", {"Sheet1": [["Who", "When"], ["Acme", "Monday"]]})
    result = invoke("init", f"https://docs.google.com/spreadsheets/d/{sid}/edit")
    assert result.exit_code == 0, result.output
    assert "Added a new worksheet 'Tracker'" in result.output and "made it the tracker" in result.output
    assert "'Sheet1' holds data that is not a followsync tracker" in result.output
    assert sheets.values(sid, "Sheet1") == [["Who", "When"], ["Acme", "Monday"]]


def test_demo_rows_are_refused_in_an_airtable_table_with_rows(here, monkeypatch):
    with AirtableEmulator("appBASE0000000001", "TOKEN") as emu:
        monkeypatch.setenv("FOLLOWSYNC_AIRTABLE_API_URL", emu.url)
        monkeypatch.setenv("FOLLOWSYNC_AIRTABLE_TOKEN", "TOKEN")
        fields = [{"name": n, "type": "singleLineText"} for n in ("ID", "Company", "Job title", "Notes")]
        emu.create_table("Jobs", fields)
        emu.add_records("Jobs", [{"ID": "a-1", "Company": "Acme", "Job title": "Analyst"}])
        result = invoke("init", "airtable:appBASE0000000001/Jobs", "--demo")
        assert result.exit_code == 2, result.output
        assert "Table 'Jobs'" in result.output and "holds 1 row;" in result.output
        empty = invoke("init", "airtable:appBASE0000000001/Fresh", "--demo")
        assert empty.exit_code == 0, empty.output
        assert (
            f"Created airtable:appBASE0000000001/Fresh (table 'Fresh'), with {len(demo_rows(TODAY))} demo rows."
            in empty.output
        )


def test_ids_transliterate():
    assert new_id("Ørsted", "1", set()).startswith("orsted-")
    assert new_id("Société Générale", "1", set()).startswith("societe-")
    assert new_id("北京科技", "1", set()).startswith("bei")
