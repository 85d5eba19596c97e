"""A column parsed once per distinct cell, cells of equal value but other types kept apart."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from followsync.core.cells import BadCell, parse_count
from followsync.core.distinct import parse_distinct


def counted(fn):
    calls = []

    def wrapped(v):
        calls.append(v)
        return fn(v)

    return wrapped, calls


def test_each_distinct_cell_is_parsed_once_in_the_order_they_first_come():
    fn, calls = counted(lambda v: None if v is None else str(v).upper())
    out = parse_distinct(["b", None, "a", "b", None, "a"], fn, {}, BadCell)
    assert out == ["B", None, "A", "B", None, "A"]
    assert calls == ["b", None, "a"]


def test_equal_values_of_other_types_are_parsed_apart():
    fn, calls = counted(lambda v: type(v).__name__)
    day, stamp = dt.datetime(2026, 11, 25), pd.Timestamp(2026, 11, 25)
    values = [1, 1.0, True, "1", day, stamp, 1]
    assert parse_distinct(values, fn, {}, BadCell) == [
        "int",
        "float",
        "bool",
        "str",
        "datetime",
        "Timestamp",
        "int",
    ]
    assert len(calls) == 6


def test_a_cell_that_does_not_parse_is_none_with_its_message_at_each_position():
    bad: dict[int, str] = {}
    out = parse_distinct(["2", "two", None, "two", 3.0], parse_count, bad, BadCell)
    assert out == [2, None, None, None, 3]
    assert sorted(bad) == [1, 3] and bad[1] == bad[3]


def test_lists_and_dicts_are_told_apart_by_their_repr():
    fn, calls = counted(lambda v: len(v))
    assert parse_distinct([{1: 2}, [1, 2, 3], {1: 2}], fn, {}, BadCell) == [1, 3, 1]


def test_a_cell_no_dict_can_hold_is_parsed_on_its_own():
    fn, calls = counted(lambda v: len(v))
    assert parse_distinct(["ab", {1, 2, 3}, "ab"], fn, {}, BadCell) == [2, 3, 2]
    assert len(calls) == 3
