"""A column of cells parsed once per distinct cell (issue 17: 1.4M cells at 50,000 rows).

Trackers repeat values (a status, a day, a blank), so :func:`cells.parse_column` parses each
distinct cell once, with dicts and comprehensions rather than a Python step per cell.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

# No value of these types equals a value of another type: text and blanks may share a column
# with any one more type and still be told apart by value alone. Not two of _ALONE, since
# 1 == 1.0 == True, and a datetime may equal a Timestamp (a type not in _ALONE, so keyed apart).
_APART = frozenset({str, type(None)})
_ALONE = frozenset({int, float, bool, dt.date, dt.datetime, dt.time})


def parse_distinct(
    values: list[Any], fn: Callable[[Any], Any], bad: dict[int, str], error: type[Exception]
) -> list[Any]:
    """``fn`` of every value (None where it raised ``error``, its message in ``bad``), each
    distinct value parsed once, in the order they first come.

    Cells are told apart by type and value (``1``, ``1.0`` and ``True`` are equal in Python but
    not the same cell): a cell equal to an earlier one of its type gets that one's result."""
    keys = _cell_keys(values)
    try:
        first = dict(zip(reversed(keys), reversed(values), strict=True))  # the first value of each key
    except TypeError:  # an unhashable cell (none that a store reads): one at a time
        return _one_by_one(values, fn, bad, error)
    results = {k: _attempt(fn, first[k], error) for k in reversed(first)}
    failed = {k: str(r) for k, r in results.items() if isinstance(r, error)}
    for k in failed:
        results[k] = None
    if failed:
        bad.update((i, failed[k]) for i, k in enumerate(keys) if k in failed)
    return list(map(results.__getitem__, keys))


def parse_text(
    values: list[Any], fn: Callable[[Any], Any], bad: dict[int, str], error: type[Exception]
) -> list[Any]:
    """:func:`parse_distinct` of a text column, for an ``fn`` that gives an exact ``str`` that
    does not start with "#" once stripped as that stripped text (``cells._text_cell``: only an
    error literal like ``#REF!`` is not). Its cells are mostly distinct (names, notes), so that
    parsing each distinct one once saves little: those are stripped in one pass, and the rest
    (blanks, numbers, dates, errors, a "#" first) go through :func:`parse_distinct`."""
    if values.count(None) * 2 > len(values):  # mostly blank: few distinct cells, parse_distinct's case
        return parse_distinct(values, fn, bad, error)
    out: list[Any] = [v.strip() if type(v) is str else None for v in values]
    odd = [i for i, s in enumerate(out) if s is None or s[:1] == "#"]
    if odd:
        found: dict[int, str] = {}
        parsed = parse_distinct([values[i] for i in odd], fn, found, error)
        for i, value in zip(odd, parsed, strict=True):
            out[i] = value
        bad.update((odd[j], message) for j, message in found.items())  # in row order, as parse_distinct's
    return out


def _cell_keys(values: list[Any]) -> list[Any]:
    """What each cell is cached by: the value itself where no two types of the column can be
    equal (text and blanks, with numbers or dates of one type), else (type, value); a list or
    dict (not a dict key) by its repr."""
    kinds = set(map(type, values)) - _APART
    if not kinds or (len(kinds) == 1 and kinds <= _ALONE):
        return values
    return [(type(v), repr(v)) if isinstance(v, list | dict) else (type(v), v) for v in values]


def _attempt(fn: Callable[[Any], Any], v: Any, error: type[Exception]) -> Any:
    """``fn(v)``, or the ``error`` it raised (returned, not raised)."""
    try:
        return fn(v)
    except error as e:
        return e


def _one_by_one(
    values: list[Any], fn: Callable[[Any], Any], bad: dict[int, str], error: type[Exception]
) -> list[Any]:
    out = []
    for i, v in enumerate(values):
        result = _attempt(fn, v, error)
        if isinstance(result, error):
            bad[i] = str(result)
            result = None
        out.append(result)
    return out
