"""Issue 12, case 7: dates of things that happened, after tomorrow or before 1990, are Problems
for that cell and drive no rule."""

from __future__ import annotations

import datetime as dt

import pytest

from followsync.config import Config
from followsync.core.compute import compute

from ..conftest import NOW, day, tracker_of

ROW = {"Company": "Acme", "Job title": "Engineer", "Interviewer": "Ms. Jane Jones", "Interview at": day(-10)}


def computed(row):
    t = tracker_of([{**ROW, **row}])
    return compute(t, NOW, Config())


@pytest.mark.parametrize(
    "column", ["Applied on", "Response on", "Thank-you sent", "Last follow-up", "Rejection reply sent"]
)
@pytest.mark.parametrize(
    ("when", "said"),
    [(dt.date(2100, 1, 5), "2100-01-05 is after tomorrow"), (dt.date(1985, 3, 1), "before 1990")],
)
def test_an_implausible_date_is_a_problem_for_its_cell(column, when, said):
    c = computed({"Thank-you sent": day(-9), column: when})
    found = [p for p in c.problems if p.column == column]
    assert found and said in found[0].message, c.problems
    assert said in c.cells["Problems"].iloc[0]


def test_a_future_response_does_not_say_update_status():
    c = computed({"Thank-you sent": day(-9), "Response on": dt.date(2100, 1, 1)})
    assert "update it" not in c.cells["Reminder"].iloc[0]
    assert c.plan["rule"].iloc[0] != 8


def test_tomorrow_and_1990_are_still_plausible():
    c = computed({"Applied on": day(1), "Response on": dt.date(1990, 1, 1), "Thank-you sent": day(-9)})
    assert not [p for p in c.problems if p.column in ("Applied on", "Response on")], c.problems
