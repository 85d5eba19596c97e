"""A person's own sheet, with their own headers, runs on every store (issue 13, "Bring your own sheet").

The headers are synonyms (``Company Name``, ``Position``...) and one ``[columns]`` mapping
(``"Who I met" = "Interviewer"``). After a run, the header row reads as the person wrote it,
every cell they wrote is as it was, and followsync's columns hold what the rules say.
"""

from __future__ import annotations

import pytest

from followsync import run as sync
from followsync.backends.memory import MemoryBackend
from followsync.config import Config
from followsync.core import schema

from ..conftest import NOW, day
from .google.test_gsheets_backend import GoogleHarness, emu, key_path, shared_emu  # noqa: F401 - fixtures
from .xlsx.test_xlsx_contract import XlsxHarness

HEADER = [
    "Company Name",
    "Position",
    "Date Applied",
    "Status",
    "Interview Date",
    "Who I met",
    "Contact Email",
    "Salary",
]
ROWS = [
    [
        "Acme",
        "Analyst",
        day(-20).isoformat(),
        "Interviewed",
        day(-1).isoformat(),
        "Dana Smith",
        "dana@acme.example",
        "50k",
    ],
    ["Globex", "Engineer", day(-9).isoformat(), "Applied", None, None, None, "60k"],
]
COLUMNS = (("Who I met", "Interviewer"),)
CONFIG = Config(columns=COLUMNS)


class MemoryHarness:
    def make(self, grid):
        self.backend = MemoryBackend(grid)
        return self.backend

    def grid(self):
        return [list(r) for r in self.backend.grid]


@pytest.fixture(params=["memory", "xlsx", "google"])
def harness(request, tmp_path):
    if request.param == "memory":
        return MemoryHarness()
    if request.param == "xlsx":
        return XlsxHarness(tmp_path / "jobs.xlsx")
    return GoogleHarness(request.getfixturevalue("emu"), request.getfixturevalue("key_path"))


def _text(v):
    return None if v in (None, "") else str(v)[:10]


def test_a_sheet_with_its_own_headers_runs_and_keeps_every_cell_it_wrote(harness):
    backend = harness.make([HEADER, *ROWS])
    with schema.mapped_columns(COLUMNS):
        result = sync.run(backend, CONFIG, NOW, lock_timeout=2)
        grid = harness.grid()
        tracker = schema.frame(grid, "Tracker")
    assert result.exit_code == 0
    assert grid[0][: len(HEADER)] == HEADER  # the person's header text, never renamed
    for before, after in zip(ROWS, grid[1:], strict=True):
        assert [_text(v) for v in after[: len(HEADER)]] == [_text(v) for v in before]
    assert tracker is not None
    frame = tracker.frame.set_index("company")
    assert frame.at["Acme", "interviewer"] == "Dana Smith"  # read through [columns]
    assert frame.at["Acme", "next_action"].lower().startswith("send thank-you")
    assert "Dana" in frame.at["Acme", "draft_message"]
    assert frame.at["Globex", "job_title"] == "Engineer" and not frame.at["Globex", "problems"]


def test_without_the_mapping_the_header_is_the_persons_own_column():
    with schema.mapped_columns(()):
        header = schema.locate_header([HEADER])
    assert header is not None and "Interviewer" not in header.positions
    assert header.positions["Interviewer email"] == HEADER.index("Contact Email")


def test_on_airtable_a_write_goes_to_the_field_with_followsyncs_own_name_not_a_synonym(monkeypatch):
    from followsync.backends.airtable.backend import AirtableBackend
    from tests.emulators.airtable import AirtableEmulator

    with AirtableEmulator("appBASE0000000001", "TOKEN") as base:
        names = ["Stage", "ID", "Company", "Job title", "Status", "Interview at"]
        base.create_table("Jobs", [{"name": n, "type": "singleLineText"} for n in names])
        base.add_records(
            "Jobs",
            [
                {
                    "Stage": "Round 2",
                    "ID": "acme-1",
                    "Company": "Acme",
                    "Job title": "Analyst",
                    "Status": "Interviewed",
                    "Interview at": day(-3).isoformat(),
                }
            ],
        )
        backend = AirtableBackend("appBASE0000000001", "Jobs", token="TOKEN", api_url=base.url)
        with schema.mapped_columns(()):
            sync.run(
                backend,
                Config(),
                NOW,
                lock_timeout=2,
                sends={"acme-1": sync.Send(on=day(-1), reply=True, status="Rejected")},
            )
        (record,) = base.records("Jobs")
    fields = record["fields"]
    assert fields["Status"] == "Rejected" and fields["Stage"] == "Round 2"
