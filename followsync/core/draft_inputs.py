"""What each row's drafts depend on, read a column at a time (issue 17).

``drafts.render`` needs, for every row, its message kind and whether it gets a LinkedIn note,
and for a row with drafts, its language, the day its words count from and its fingerprint
(:mod:`.draft_memo`). All of them come from whole columns here, as lists, so that the dict of a
row's values the templates read (``cells.frame_records``, which boxes every date of the frame
as a Timestamp) is made only for the rows rendered: on a day when nothing changed, none.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .cells import _column_values, aligned_records, as_date, text
from .wording import _people

CLOSED_STATUSES = ("Closed", "Withdrawn")


def values(frame: pd.DataFrame, key: str) -> list[Any]:
    """Column ``key`` as ``frame_records`` gives its values (None throughout without it)."""
    if key not in frame.columns or not frame.columns.is_unique:
        return [None] * len(frame)
    return _column_values(frame, key)


def days(frame: pd.DataFrame, key: str) -> list[dt.date | None]:
    """``cells.as_date`` of each value of column ``key``: for a NumPy datetime column, read from
    its dates in C (a Timestamp made per value cost more than the rest of a reused row)."""
    if key not in frame.columns or not frame.columns.is_unique:
        return [None] * len(frame)
    column = frame[key]
    if isinstance(column.dtype, np.dtype) and column.dtype.kind == "M":
        # Timestamp.date() of a naive Timestamp is the date of its wall time, as .dt.date gives it.
        missing = column.isna().tolist()
        return [None if gone else day for day, gone in zip(column.dt.date.tolist(), missing, strict=True)]
    return [as_date(v) for v in _column_values(frame, key)]


def aligned(
    plan: pd.DataFrame, keys: tuple[str, ...], index: pd.Index, dates: tuple[str, ...] = ()
) -> dict[str, list[Any]]:
    """The plan's columns ``keys`` in the order of ``index`` (as ``cells.aligned_records`` gives
    them; None for a column it lacks), one list each; those of ``dates`` as dates (:func:`days`)."""
    if plan.index.is_unique and plan.index.equals(index):
        return {**{k: values(plan, k) for k in keys}, **{k: days(plan, k) for k in dates}}
    records = list(aligned_records(plan, (*keys, *dates), index))
    out = {k: [r.get(k) for r in records] for k in keys}
    return {**out, **{k: [as_date(r.get(k)) for r in records] for k in dates}}


def linkedin_notes(
    interview: list[dt.date | None],
    interviewers: list[Any],
    linkedin: list[Any],
    statuses: list[str],
    today: dt.date,
) -> list[bool]:
    """``drafts.wants_linkedin_note`` of every row, from its columns: RULES.md section 5, I <=
    today, a named Interviewer, a blank LinkedIn cell, not closed. Each distinct Interviewer
    cell is parsed once."""
    named: dict[str, bool] = {}
    out = []
    for day, who, cell, status in zip(interview, interviewers, linkedin, statuses, strict=True):
        if (
            day is None
            or day > today
            or not isinstance(cell, str)
            or cell.strip()
            or status in CLOSED_STATUSES
        ):
            out.append(False)
            continue
        name = text(who)
        if name not in named:
            named[name] = bool(_people(name))
        out.append(named[name])
    return out


class Fingerprints:
    """The fingerprints (:func:`draft_memo.fingerprint`'s role) of the rows at ``positions``: a
    hash of the settings, the row's values of ``keys`` and a few more inputs (kind, LinkedIn,
    day, language, medium).

    A column's values are hashed as its dtype holds them (a date column's as its integer
    nanoseconds, not as Timestamps), with the column names and dtypes in the hash: within one
    dtype the values' reprs tell them apart, and the values a row's drafts are made from are a
    function of the dtype and the value, so equal fingerprints mean equal inputs.
    """

    def __init__(self, frame: pd.DataFrame, keys: tuple[str, ...], positions: list[int]) -> None:
        self._columns = [_hashed_values(frame, k, positions) for k in keys]
        kinds = [str(frame[k].dtype) if k in frame.columns and frame.columns.is_unique else "-" for k in keys]
        self._layout = repr((keys, kinds))

    def of(self, settings: str, j: int, extra: Sequence[Any]) -> str:
        """The fingerprint of the ``j``-th row of ``positions``."""
        values = (settings, self._layout, *extra, *(column[j] for column in self._columns))
        return hashlib.sha1(repr(values).encode("utf-8", "surrogatepass")).hexdigest()


def _hashed_values(frame: pd.DataFrame, key: str, positions: list[int]) -> list[Any]:
    """Column ``key``'s values at ``positions``, told apart as its dtype holds them; None
    throughout without the column."""
    if key not in frame.columns or not frame.columns.is_unique:
        return [None] * len(positions)
    column = frame[key]
    if isinstance(column.dtype, np.dtype):
        picked = column.to_numpy()[positions]
        if column.dtype.kind in "mM":  # NaT is one integer of its own
            return picked.view("int64").tolist()
        return picked.tolist()  # Python scalars, or the objects themselves
    return column.array[positions].tolist()  # an extension type's scalars (pd.NA for a blank)
