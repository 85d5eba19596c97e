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
