"""Send dates a person can trust (issue 13, item 4): which day a Mark sent records, end to end."""

from __future__ import annotations

import datetime as dt

from followsync import run as sync
from followsync.backends.memory import MemoryBackend
from followsync.config import Config
from followsync.core import cells, schema

THU = dt.datetime(2026, 11, 26, 8, 0)
FRI = dt.datetime(2026, 11, 27, 8, 0)
MON = dt.datetime(2026, 11, 30, 8, 0)
WED = dt.datetime(2026, 12, 2, 8, 0)
GRID = [
    ["ID", "Company", "Job title", "Status", "Interview at", "Interviewer", "Interviewer email", "Mark sent"],
    [
        "a-1",
        "Acme",
        "Engineer",
        "Interviewed",
        dt.datetime(2026, 11, 26, 10, 0),
        "Ms. Jane Jones",
        "jane@acme.example",
        None,
    ],
]


def _cell(backend, name):
    header = schema.locate_header(backend.grid)
    row = backend.grid[header.row + 1]
    col = header.positions[name]
    return row[col] if col < len(row) else None


def _set(backend, name, value):
    header = schema.locate_header(backend.grid)
    backend.grid[header.row + 1][header.positions[name]] = value


def _run(backend, now):
    return sync.run(backend, Config(), now, lock_timeout=2)


def _recorded(backend, result):
    day = cells.parse_date(_cell(backend, "Thank-you sent"))
    history = backend.read_sheet("History")
    return day, history[-1][3], " ".join(result.notes)


def test_a_tick_on_friday_seen_by_mondays_run_after_fridays_run_is_fridays():
    backend = MemoryBackend(GRID)
    _run(backend, FRI)  # Friday 08:00: the thank-you draft appears
    assert _cell(backend, "Next action") == "Send thank-you note"
    _set(backend, "Mark sent", "Yes")  # sent on Friday, ticked
    result = _run(backend, MON)
    day, what, notes = _recorded(backend, result)
    assert day == FRI.date()
    assert "recorded as sent Fri 27 Nov (the day of the previous run)" in notes
    assert "type the date in Mark sent" in notes and "correct Thank-you sent" in notes
    assert what == "Sent the thank-you note (ticked in Mark sent: dated the day of the previous run)"
    assert _cell(backend, "Mark sent") is None


def test_a_date_typed_in_mark_sent_is_the_sends_date():
    backend = MemoryBackend(GRID)
    _run(backend, FRI)
    _set(backend, "Mark sent", "2026-11-26")
    result = _run(backend, WED)
    day, what, notes = _recorded(backend, result)
    assert day == THU.date()
    assert "recorded as sent Thu 26 Nov (the date typed in Mark sent)" in notes
    assert what.endswith("(date typed in Mark sent)")
    assert _cell(backend, "Mark sent") is None and not _cell(backend, "Problems")


def test_after_a_gap_of_more_than_two_working_days_a_tick_is_the_runs_day():
    backend = MemoryBackend(GRID)
    _run(backend, FRI)
    _set(backend, "Mark sent", "Yes")
    result = _run(backend, WED)  # Mon, Tue, Wed: three working days after Friday's run
    day, what, notes = _recorded(backend, result)
    assert day == WED.date()
    assert "recorded as sent Wed 2 Dec (the day of this run)" in notes
    assert what.endswith("(ticked in Mark sent: dated the day of the run)")


def test_on_the_first_run_ever_a_tick_is_the_runs_day():
    backend = MemoryBackend(GRID)
    grid = backend.grid
    grid[1][GRID[0].index("Mark sent")] = "Yes"
    result = _run(backend, MON)
    day, _, notes = _recorded(backend, result)
    assert day == MON.date() and "(the day of this run)" in notes


def test_a_dry_run_is_not_a_previous_run():
    backend = MemoryBackend(GRID)
    _run(backend, FRI)
    sync.run(backend, Config(), MON, dry_run=True)  # a look on Monday writes nothing, and is not remembered
    _set(backend, "Mark sent", "Yes")
    _run(backend, dt.datetime(2026, 12, 1, 8, 0))  # Tuesday: Friday's run was two working days ago
    assert cells.parse_date(_cell(backend, "Thank-you sent")) == FRI.date()
