"""Issue 17: the rules read their datetime columns without a Timestamp made per row (counted
calls, never timings); what they compute is pinned by test_rules.py and the quiet-day tests."""

from __future__ import annotations

import random

import numpy as np
from pandas.core.arrays.datetimes import DatetimeArray

from followsync.core import rules

from ..conftest import NOW, tracker_of
from ..varied import LATER, varied_rows


def test_the_plan_iterates_no_datetime_column(monkeypatch):
    """Due, Response on and Interview at (for the phrases of Expected response by) are read as
    days from numpy: iterating a datetime column makes a Timestamp per row."""
    rows = varied_rows()
    rng = random.Random(3)
    for row in rows:
        row["Language"] = rng.choice([None, "de", "fr", "es"])
    frame = tracker_of(rows).frame
    iterated = []
    original = DatetimeArray.__iter__
    monkeypatch.setattr(DatetimeArray, "__iter__", lambda self: iterated.append(len(self)) or original(self))
    for now in (NOW, LATER):
        plan = rules.plan(frame, now)
        assert plan["reminder"].str.len().gt(0).sum() > len(rows) / 2  # sentences were made
        assert plan["due"].notna().sum() > len(rows) / 4
    assert iterated == []


def test_implausible_dates_copy_only_the_columns_they_take_out():
    """A date taken out copies its own column, not the frame (its text columns are most of it)."""
    t = tracker_of(
        [{"Company": "Acme", "Applied on": "2100-01-05"}, {"Company": "Bolt", "Applied on": "2026-11-02"}]
    )
    out, problems = rules.implausible_dates(t.frame, NOW, t.sheet)
    assert [p.column for p in problems] == ["Applied on"]
    assert out["applied_on"].isna().tolist() == [True, False] and t.frame["applied_on"].notna().all()
    assert np.shares_memory(out["company"].to_numpy(), t.frame["company"].to_numpy())


def test_each_distinct_language_cell_is_read_once(monkeypatch):
    rows = [{"Company": f"Co {i}", "Language": [None, "de", "DE", "fr"][i % 4]} for i in range(40)]
    frame = tracker_of(rows).frame
    read = []
    code = rules.lang.code
    monkeypatch.setattr(rules.lang, "code", lambda v, d: read.append(v) or code(v, d))
    assert rules.row_languages(frame, "es") == [["es", "de", "de", "fr"][i % 4] for i in range(40)]
    assert sorted(read, key=str) == sorted({*frame["language"].tolist()}, key=str)  # each once


def test_the_plan_holds_each_word_of_its_word_columns_once():
    """Colour, medium and an inferred Status are a few words: one str each, not one per row."""
    frame = tracker_of(varied_rows()).frame
    plan = rules.plan(frame, NOW)
    for key in ("colour", "medium", "status"):
        held = {id(v) for v in plan[key].array}
        assert len(held) <= plan[key].nunique(dropna=False) + len(frame["status"].dropna()), key
    assert len({id(v) for v in plan["colour"].array}) == plan["colour"].nunique()
