"""The run's digest of what is due, over varied rows: the same as the per-row version made."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from followsync import run as sync
from followsync.config import Config
from followsync.core import cells
from followsync.core.compute import DueItem

from ..conftest import NOW, tracker_of
from ..varied import LATER, assert_same, varied_rows


def _reference_digest(tracker, computed):
    """digest as it was before it read the columns as lists (for speed): the reference."""
    frame = tracker.frame
    items = []
    for i in range(len(frame)):
        urgency = computed["_colour_name"].iat[i]
        if urgency not in ("overdue", "today", "soon"):
            continue
        due = computed["Due"].iat[i]
        items.append(
            DueItem(
                row=int(frame["_row"].iat[i]),
                id=str(computed["ID"].iat[i]),
                company=frame["company"].iat[i] or "",
                job_title=frame["job_title"].iat[i] or "",
                next_action=computed["Next action"].iat[i],
                due=None if pd.isna(due) else pd.Timestamp(due).date(),
                urgency=urgency,
                reminder=computed["Reminder"].iat[i],
                subject=cells.text(computed["Draft subject"].iat[i]),
                message=cells.text(computed["Draft message"].iat[i]),
            )
        )
    order = {"overdue": 0, "today": 1, "soon": 2}
    return sorted(items, key=lambda d: (order[d.urgency], d.due or dt.date.max, d.row))


def test_digest_of_varied_rows_is_what_the_per_row_version_made():
    t = tracker_of(varied_rows())
    for now in (NOW, LATER):
        cells = sync.compute(t, now, Config()).cells
        found = sync.digest(t, cells)
        assert {d.urgency for d in found} == {"overdue", "today", "soon"}
        assert_same(found, _reference_digest(t, cells))
        # A due list without dates (a Due cell read back blank) sorts last in its urgency.
        loose = cells.assign(Due=[None if k % 4 == 0 else d for k, d in enumerate(cells["Due"].dt.date)])
        assert_same(sync.digest(t, loose), _reference_digest(t, loose))


def test_digest_of_no_rows_is_empty():
    t = tracker_of([])
    assert sync.digest(t, sync.compute(t, NOW, Config()).cells) == []


def test_the_mailed_digest_is_titled_with_the_profile_name_not_a_path(tmp_path):
    from followsync.backends.xlsx.backend import XlsxBackend
    from followsync.config import TrackerSpec
    from followsync.core.layout import demo_rows
    from followsync.core.layout import load as load_layout
    from followsync.outputs import digest

    from ..conftest import TODAY

    XlsxBackend(tmp_path / "sam.xlsx").create(load_layout(), demo_rows(TODAY))
    outcomes = sync.run_all([TrackerSpec("sam", str(tmp_path / "sam.xlsx"))], Config(), NOW)
    mailed = digest.text(outcomes, "Alex Morgan")
    assert mailed.splitlines()[0] == "Job search: Alex Morgan (sam)"
    assert digest.title("", "tracker", "/x/tracker.xlsx") == "Job search: /x/tracker.xlsx"
    assert digest.title("", "kim", "kim.xlsx") == "Job search: kim"


def test_the_printed_digest_counts_the_days_the_stored_reminder_does_not():
    """Issue 19: the Reminder says "Overdue since Fri 20 Nov" day after day; the digest, not
    stored, adds how late that is today."""
    from followsync.backends.memory import MemoryBackend
    from followsync.outputs.digest import plain, report_run

    from ..conftest import day, grid_of

    row = {"ID": "acme-1", "Company": "Acme", "Job title": "Engineer", "Interviewer": "Sam Lee",
           "Interview at": day(-12), "Thank-you sent": day(-11)}  # fmt: skip
    backend = MemoryBackend(grid_of([row]))
    texts = []
    for k in (0, 1):
        result = sync.run(backend, Config(), NOW + dt.timedelta(days=k))
        texts.append(plain(lambda out, result=result: report_run(out, result)))
    assert "Overdue since Fri 20 Nov: email Sam Lee" in texts[0]
    assert "(5 days late)" in texts[0] and "(6 days late)" in texts[1]
    assert backend.grid[1][backend.grid[0].index("Reminder")].startswith("Overdue since Fri 20 Nov:")
