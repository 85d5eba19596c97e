"""A cell typed while a run is in flight is the person's (DESIGN.md invariant 8, issue 20).

A run computes followsync's cells from its read; a person (or coach) may rewrite a Draft
message, or any cell followsync is about to write, after that read. Every store re-reads the
cells it is about to write just before the write (Google in the same re-read that finds the
rows, Airtable the records about to be patched, memory its grid; an ``.xlsx`` saved meanwhile is
read and computed again instead) and leaves alone each cell that no longer holds what the run
read (:attr:`~followsync.core.changes.CellWrite.was`). The next run sees the text as the
person's: the Draft state written with it holds the hash of followsync's text, not theirs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from ..core.changes import UNREAD, CellWrite, ChangeSet
from .base import Located

_EPOCH = dt.datetime(1899, 12, 30)  # the day serial 0 of spreadsheets (Google's, Excel's)


def plain(value: Any) -> Any:
    """A cell in the form a read and a re-read agree on, whichever way the store gives it:
    blank as None, text stripped (line ends as ``\\n``), numbers and dates as a float (a date as
    its spreadsheet serial), anything else as its text."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.replace("\r\n", "\n").strip()
        return text or None
    if isinstance(value, dt.datetime):
        return round((value.replace(tzinfo=None) - _EPOCH).total_seconds() / 86400, 6)
    if isinstance(value, dt.date):
        return float((value - _EPOCH.date()).days)
    if isinstance(value, int | float):
        return round(float(value), 6)
    return str(value)


def changed(write: CellWrite, now: Any) -> bool:
    """Whether the cell ``write`` is for holds something else than the run read there."""
    return write.was is not UNREAD and plain(write.was) != plain(now)


def message(row: int, column: str) -> str:
    return f"row {row}: {column} changed while followsync ran; kept as it is now (yours)"


def keep_theirs(
    changes: ChangeSet, where: Located, cell: Callable[[int, int], Any]
) -> tuple[ChangeSet, list[str]]:
    """``changes`` without the cell writes whose cell (``cell(grid row, column)`` as it is now)
    changed since the read, and a message for each. Columns added by this run hold nothing yet."""
    kept: list[CellWrite] = []
    said: list[str] = []
    for cw in changes.cells:
        gi = where.rows.get(cw.row)
        col = where.columns.get(cw.column)
        if gi is None or col is None or cw.column in where.new_columns or not changed(cw, cell(gi, col)):
            kept.append(cw)
        else:
            said.append(message(gi + 1, cw.column))
    if not said:
        return changes, []
    out = ChangeSet(changes.sheet, changes.header_row, list(changes.add_columns), kept, list(changes.fills))
    out.sheets = list(changes.sheets)
    return out, said


def grid_cell(grid: Sequence[Sequence[Any]]) -> Callable[[int, int], Any]:
    """``cell(row, column)`` of a ragged grid, blank past its end."""

    def cell(gi: int, col: int) -> Any:
        row = grid[gi] if gi < len(grid) else ()
        return row[col] if col < len(row) else None

    return cell
