"""Issue 19: a day passing writes almost nothing.

Day 1 writes a tracker; day 2, with nobody editing it, may write only the rows whose action, due
date or urgency (its colour) changed overnight, or whose date that was in the future yesterday (a
Problem) is a plain date today. The words followsync stores say the due date ("Overdue since Fri
20 Nov", "Due Mon 30 Nov") and the interview's date, never a count of days, so nothing else moves.
The rows that may change are worked out apart from the run: both days computed from the same
read, compared by ID.
"""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest

from bench.bench_xlsx import generated_rows as bench_rows
from followsync import run as sync
from followsync.backends.memory import MemoryBackend
from followsync.backends.xlsx.backend import XlsxBackend
from followsync.config import Config, Rules
from followsync.core import language as lang
from followsync.core import wording
from followsync.core.layout import demo_rows

from ..conftest import NOW, TODAY, grid_of

NEXT_DAY = NOW + dt.timedelta(days=1)
FUTURE = ("is in the future", "is after tomorrow")  # the Problems of a date not yet come


def generated_rows(n: int, seed: int = 7) -> list[dict]:
    """n rows made from the demo rows, names and dates varied, as the benches make them."""
    return bench_rows(n, seed, today=TODAY)


def demo_in(language: str) -> list[dict]:
    return [{**r, "Language": language} for r in demo_rows(TODAY, language)]


def may_change(backend, config: Config, day2: dt.datetime) -> set[str]:
    """The IDs of the rows day 2 may write: action, due or urgency moved, or a future date came."""
    tracker = sync.read_tracker(backend.read(), config)
    before, after = (sync.compute(tracker, now, config).cells for now in (NOW, day2))
    keys = ("Next action", "Due", "_colour_name")
    out = set()
    for i in range(len(before)):
        old, new = (tuple(str(c[k].iloc[i]) for k in keys) for c in (before, after))
        if old != new or any(f in str(before["Problems"].iloc[i]) for f in FUTURE):
            out.add(str(before["ID"].iloc[i]).lower())
    return out


def quiet_day(backend, config: Config | None = None, day2: dt.datetime = NEXT_DAY):
    """Day 1, then day 2 with no edit: (day 2's result, the IDs it may write)."""
    config = config or Config()
    sync.run(backend, config, NOW, lock_timeout=5, force=True)
    allowed = may_change(backend, config, day2)
    return sync.run(backend, config, day2, lock_timeout=5), allowed


def assert_quiet(result, allowed: set[str], rows: int) -> None:
    written = {(ch.row.id or "").lower() for ch in [*result.changes.cells, *result.changes.fills]}
    assert written <= allowed, sorted(written - allowed)[:5]
    assert result.changes.add_columns == []
    if result.changes.cells:
        assert result.applied.cells == len(result.changes.cells)
    assert len(allowed) < rows / 4  # most rows are quiet on a quiet day


@pytest.mark.parametrize("language", ["en", "de", "fr", "es"])
def test_the_demo_tracker_s_next_day_writes_only_rows_that_moved(language):
    rows = demo_in(language)
    for days in (1, 2, 5):  # the next morning, and after a weekend away
        result, allowed = quiet_day(MemoryBackend(grid_of(rows)), day2=NOW + dt.timedelta(days=days))
        written = {(ch.row.id or "").lower() for ch in result.changes.cells}
        assert written <= allowed, (days, sorted(written - allowed))


@pytest.mark.parametrize("soon_days", [0, 2, 5])
def test_a_generated_2000_row_tracker_s_next_day_writes_only_rows_that_moved(soon_days):
    config = Config(rules=Rules(soon_days=soon_days))
    result, allowed = quiet_day(MemoryBackend(grid_of(generated_rows(2000))), config)
    assert_quiet(result, allowed, 2000)
    reminders = [ch for ch in result.changes.cells if ch.column == "Reminder"]
    assert len(reminders) <= len(allowed)


def xlsx_of(rows: list[dict], path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Tracker"
    for row in grid_of(rows):
        ws.append(row)
    wb.save(path)
    return XlsxBackend(path)


def test_a_quiet_day_on_xlsx_writes_only_rows_that_moved(tmp_path):
    result, allowed = quiet_day(xlsx_of(generated_rows(2000), tmp_path / "tracker.xlsx"))
    assert_quiet(result, allowed, 2000)
    assert result.applied.write_calls == 1


def test_the_demo_tracker_s_quiet_day_on_xlsx_writes_only_rows_that_moved(tmp_path):
    result, allowed = quiet_day(xlsx_of(demo_in("en"), tmp_path / "demo.xlsx"))
    written = {(ch.row.id or "").lower() for ch in [*result.changes.cells, *result.changes.fills]}
    assert written <= allowed
    assert result.applied.cells == len(result.changes.cells)


def test_a_week_of_mornings_writes_only_rows_that_moved():
    backend = MemoryBackend(grid_of(generated_rows(500, seed=3)))
    sync.run(backend, Config(), NOW, force=True)
    for k in range(1, 8):
        morning = NOW + dt.timedelta(days=k)
        tracker = sync.read_tracker(backend.read(), Config())
        before, after = (
            sync.compute(tracker, now, Config()).cells for now in (morning - dt.timedelta(days=1), morning)
        )
        moved = {
            str(before["ID"].iloc[i]).lower()
            for i in range(len(before))
            if any(
                str(before[c].iloc[i]) != str(after[c].iloc[i])
                for c in ("Next action", "Due", "_colour_name")
            )
            or any(f in str(before["Problems"].iloc[i]) for f in FUTURE)
        }
        result = sync.run(backend, Config(), morning)
        written = {(ch.row.id or "").lower() for ch in result.changes.cells}
        assert written <= moved, (k, sorted(written - moved)[:5])


# ----------------------------------------------------------------------------------------
# The words


DUE = dt.date(2026, 11, 20)  # a Friday


@pytest.mark.parametrize(
    ("language", "overdue", "today", "ahead"),
    [
        ("en", "Overdue since Fri 20 Nov", "Due today", "Due Fri 20 Nov"),
        ("de", "Überfällig seit Fr., 20. Nov.", "Heute fällig", "Fällig am Fr., 20. Nov."),
        ("fr", "En retard depuis le ven. 20 nov.", "À faire aujourd'hui", "À faire le ven. 20 nov."),
        ("es", "Vencido desde el vie, 20 nov", "Vence hoy", "Vence el vie, 20 nov"),
    ],
)
def test_the_urgency_words_name_the_due_date_not_a_count_of_days(language, overdue, today, ahead):
    assert {lang.urgency_phrase(-n, DUE, language) for n in (1, 2, 5, 40)} == {overdue}
    assert lang.urgency_phrase(0, DUE, language) == today
    assert {lang.urgency_phrase(n, DUE, language) for n in (1, 2, 3, 30)} == {ahead}


def test_drafts_count_from_today_only_on_the_days_the_row_changes_anyway():
    interview = dt.date(2026, 11, 24)
    assert wording.said_on(interview, TODAY, TODAY) == TODAY  # due today: overdue tomorrow
    assert wording.said_on(TODAY, TODAY + dt.timedelta(days=1), TODAY) == TODAY  # due today tomorrow
    for due in (
        TODAY + dt.timedelta(days=1),
        TODAY + dt.timedelta(days=4),
        TODAY - dt.timedelta(days=1),
        None,
    ):
        assert wording.said_on(interview, due, TODAY) is None
    assert wording.day_in_words(interview, None) == "on 24 November"
    assert lang.day_in_words(interview, None, "de") == "am 24. November"
    assert lang.day_in_words(interview, None, "fr") == "le 24 novembre"
    assert lang.day_in_words(interview, None, "es") == "el 24 de noviembre"
