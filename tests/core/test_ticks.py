"""Mark sent's dates (issue 13, item 4): a typed date, a tick after a recent run, or today."""

from __future__ import annotations

import datetime as dt

import pytest

from followsync.core import ticks
from followsync.core.cells import BadCell

FRI, SAT, MON, WED = dt.date(2026, 11, 27), dt.date(2026, 11, 28), dt.date(2026, 11, 30), dt.date(2026, 12, 2)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Yes", (True, None)),
        (True, (True, None)),
        (1, (True, None)),
        ("No", None),
        (None, None),
        (False, None),
        ("2026-11-27", (True, FRI)),
        ("27 Nov 2026", (True, FRI)),
        (dt.datetime(2026, 11, 27, 0, 0), (True, FRI)),
        (46353, (True, FRI)),  # a date cell read as its serial number
    ],
)
def test_a_mark_sent_cell_is_a_tick_or_the_day_it_was_sent(value, expected):
    assert ticks.parse_tick(value) == expected


def test_anything_else_in_mark_sent_is_a_bad_cell():
    with pytest.raises(BadCell, match="neither Yes nor a date"):
        ticks.parse_tick("sent it")


def test_a_typed_date_wins():
    assert ticks.send_day(WED - dt.timedelta(days=10), MON, ticks.PreviousRun(FRI), "a-1").why == ticks.TYPED


def test_a_tick_on_friday_seen_on_monday_after_fridays_run_is_fridays():
    sent = ticks.send_day(None, MON, ticks.PreviousRun(FRI), "a-1")
    assert sent == ticks.SendDay(FRI, ticks.PREVIOUS)
    note = ticks.explain("Row a-1 (Acme)", sent, "Thank-you sent")
    assert (
        "recorded as sent Fri 27 Nov (the day of the previous run)" in note
        and "type the date in Mark sent" in note
    )


def test_after_a_gap_of_more_than_two_working_days_a_tick_is_todays():
    assert ticks.send_day(None, WED, ticks.PreviousRun(FRI), "a-1") == ticks.SendDay(WED, ticks.TODAY)
    # without skip_weekends, Friday to Monday is three days: too long ago
    assert ticks.send_day(None, MON, ticks.PreviousRun(FRI), "a-1", skip_weekends=False).why == ticks.TODAY
    assert ticks.send_day(None, SAT, ticks.PreviousRun(FRI), "a-1", skip_weekends=False).why == ticks.PREVIOUS


def test_a_public_holiday_is_not_counted():
    tue = dt.date(2026, 12, 1)
    assert ticks.send_day(None, tue, ticks.PreviousRun(FRI), "a-1").why == ticks.PREVIOUS
    wed_after = dt.date(2026, 12, 2)
    assert ticks.send_day(None, wed_after, ticks.PreviousRun(FRI), "a-1").why == ticks.TODAY
    assert ticks.send_day(None, wed_after, ticks.PreviousRun(FRI), "a-1", off=[MON]).why == ticks.PREVIOUS


def test_a_first_run_or_a_tick_that_was_there_at_the_previous_run_is_todays():
    assert ticks.send_day(None, MON, None, "a-1") == ticks.SendDay(MON, ticks.TODAY)
    left = ticks.PreviousRun(FRI, frozenset({"a-1"}))
    assert ticks.send_day(None, MON, left, "A-1").why == ticks.TODAY
    assert ticks.send_day(None, FRI, ticks.PreviousRun(FRI), "a-1").why == ticks.TODAY  # same day
