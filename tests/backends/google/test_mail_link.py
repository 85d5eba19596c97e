"""The Mail link column on Google Sheets: the cell links to its mailto: URL (issue 13)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest

from followsync import run as sync
from followsync.backends.google.backend import GoogleSheetsBackend
from followsync.config import Config
from followsync.core import schema

from ...conftest import NOW
from ...emulators.google import GoogleEmulator

HEADER = ["ID", "Company", "Job title", "Status", "Interview at", "Interviewer", "Interviewer email"]
ROWS = [
    ["a-1", "Acme", "Engineer", "Interviewed", dt.date(2026, 11, 24), "Ms. Jane Jones", "jane@acme.example"],
    ["b-2", "Beta", "Analyst", "Applied", None, None, None],
]


@pytest.fixture
def emu():
    with GoogleEmulator(latency=0.0) as e:
        yield e


def _backend(emu, tmp_path, sid):
    key = tmp_path / "sa.json"
    emu.write_key_file(key)
    return GoogleSheetsBackend(sid, credentials_path=key, api_url=emu.url, timeout=10)


def _link_cells(emu, sid):
    sheet = emu.sheet(sid, "Tracker")
    grid = emu.values(sid, "Tracker")
    header = schema.locate_header(grid)
    col = header.positions["Mail link"]
    return [sheet.cell(r, col) for r in (1, 2)], grid, header


def test_the_mail_link_cell_links_to_the_draft_and_a_second_run_writes_nothing(emu, tmp_path):
    sid = emu.create_spreadsheet("Jobs", {"Tracker": [HEADER, *ROWS]})
    sync.run(_backend(emu, tmp_path, sid), Config(), NOW)
    (linked, blank), grid, header = _link_cells(emu, sid)
    url = linked["userEnteredValue"]["stringValue"]
    assert linked["userEnteredFormat"]["textFormat"]["link"] == {"uri": url}
    assert url.startswith("mailto:jane@acme.example?")
    body = parse_qs(urlsplit(url).query)["body"][0]
    assert body.replace("\r\n", "\n") == grid[1][header.positions["Draft message"]]
    assert "link" not in (blank.get("userEnteredFormat") or {}).get("textFormat", {})
    emu.reset_stats()
    again = sync.run(_backend(emu, tmp_path, sid), Config(), NOW)
    assert again.applied is None or again.applied.write_calls == 0
    # The row's message goes (Withdrawn): the cell is emptied and unlinked.
    emu.edit(sid, "Tracker", lambda sh: sh.set_value(1, HEADER.index("Status"), "Withdrawn"))
    sync.run(_backend(emu, tmp_path, sid), Config(), NOW)
    (linked, _), _, _ = _link_cells(emu, sid)
    assert not linked.get("userEnteredValue") and "link" not in (linked.get("userEnteredFormat") or {}).get(
        "textFormat", {}
    )
