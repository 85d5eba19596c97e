"""From computed cells to a :class:`~followsync.core.changes.ChangeSet`: only what differs.

:func:`diff` holds the owned cells (and colours, and blank IDs) whose value differs from what
the sheet holds, so a run with nothing new writes nothing; :func:`refuse_mass_rewrite` stops
a run that would rewrite most of a tracker followsync has synced before.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from . import cells, schema
from .cells import is_blank
from .changes import CellWrite, ChangeSet, FillWrite, RowRef, Snapshot, row_fingerprint
from .compute import DraftState


def _comparable(column: str, value: Any) -> Any:
    """A cell value in the form two runs agree on: None, a date (Due), or text."""
    if is_blank(value):
        return None
    if column == "Due":
        if isinstance(value, pd.Timestamp):
            return value.date()
        try:
            return cells.parse_date(value)
        except cells.BadCell:
            return ("unreadable", repr(value))  # differs from every date: rewritten
    return value if isinstance(value, str) else cells.as_text(value)


def _wanted(column: pd.Series) -> tuple[list[Any], bool]:
    """A computed column as a list, and whether it holds days: a Due of plain datetime64 comes
    as ``datetime.date`` (None for NaT) straight from numpy, not one Timestamp made per row
    (issue 17). numpy floors to the day, as ``Timestamp.date()`` does, so each day is what
    :func:`_comparable` made of the Timestamp, and :func:`_cell_value` writes it the same."""
    if isinstance(column.dtype, np.dtype) and column.dtype.kind == "M":
        return column.to_numpy().astype("datetime64[D]").tolist(), True
    return column.tolist(), False


def _same_day(cur: Any, day: Any) -> bool:
    """A Due as read (a date, or a date-time at midnight from most stores) that is ``day``:
    what :func:`_comparable` makes of it (cells.parse_date, within its years), without the parse."""
    if type(cur) is dt.datetime:
        cur = cur.date()
    return type(cur) is dt.date and cur == day and cells.MIN_YEAR <= cur.year <= cells.MAX_YEAR


def _cell_value(column: str, value: Any) -> Any:
    if is_blank(value):
        return None
    if column == "Due":
        return pd.Timestamp(value).date()
    return value


class _RowRefs:
    """How each row is found again at write time: by ID, else by the fingerprint of its cells.
    Made for a row when it is first written (issue 17: most rows of most runs are not), then
    the same :class:`RowRef` for each of its writes."""

    def __init__(
        self, ids: list[str | None], indexes: list[int], snapshot: Snapshot, positions: dict[str, int]
    ):
        self._ids, self._indexes, self._snapshot, self._positions = ids, indexes, snapshot, positions
        self._made: dict[int, RowRef] = {}

    def __getitem__(self, i: int) -> RowRef:
        ref = self._made.get(i)
        if ref is None:
            ident, index = self._ids[i], self._indexes[i]
            ref = self._made[i] = RowRef(
                id=ident,
                index=index,
                fingerprint=() if ident else row_fingerprint(self._snapshot.grid[index], self._positions),
                handle=self._snapshot.handles.get(index),
            )
        return ref


def diff(
    tracker: schema.Tracker, snapshot: Snapshot, computed: pd.DataFrame, skip: frozenset[str] = frozenset()
) -> ChangeSet:
    """Only what differs: owned cells, blank IDs, and the two colour cells' backgrounds.

    Rows whose ID is in ``skip`` (IDs on several rows: a Problem) are left alone, since no
    write could tell them apart.
    """
    header = tracker.header
    positions = header.positions
    changes = ChangeSet(sheet=tracker.sheet, header_row=header.row)
    # Mark sent too: README tells the person to tick it (the store gives it its checkbox or drop-down).
    changes.add_columns = [
        n
        for n in ("ID", "Mark sent", *schema.OWNED_NAMES)
        if n not in positions and n not in schema.ADDED_WHEN_WRITTEN
    ]
    frame = tracker.frame
    grid = snapshot.grid
    indexes = frame["_index"].tolist()
    ids = [v or None for v in frame["id"].tolist()]
    refs = _RowRefs(ids, indexes, snapshot, positions)
    new_ids = computed["ID"].tolist()
    changes.cells.extend(
        CellWrite(refs[i], "ID", new)
        for i, (ident, new) in enumerate(zip(ids, new_ids, strict=True))
        if not ident
    )
    # Column by column: the lists are plain Python, so a 20,000-row tracker diffs quickly.
    left_alone = [ident is not None and ident.lower() in skip for ident in ids]
    for name in schema.OWNED_NAMES:
        if name not in computed.columns:
            continue  # a column this computation leaves alone
        current = frame[schema.BY_NAME[name].key].tolist()
        wanted, days = _wanted(computed[name])
        pos = positions.get(name)
        for i, (cur, new, alone) in enumerate(zip(current, wanted, left_alone, strict=True)):
            if alone or cur is new or (type(cur) is str and type(new) is str and cur == new):
                continue  # the same text (most cells, on most days): nothing to compare
            if cur is None and (new is pd.NaT or (type(new) is str and new == "")):
                continue  # blank as read and computed: what _comparable makes of both (None)
            if days and _same_day(cur, new):
                continue
            if _comparable(name, cur) != (new if days else _comparable(name, new)):
                row = grid[indexes[i]]
                was = row[pos] if pos is not None and pos < len(row) else None  # as read: see stale.py
                changes.cells.append(CellWrite(refs[i], name, _cell_value(name, new), was))
                if name not in positions and name not in changes.add_columns:
                    changes.add_columns.append(name)
    changes.fills.extend(_fills(computed, snapshot, positions, indexes, left_alone, refs))
    return changes


def _fills(
    computed: pd.DataFrame,
    snapshot: Snapshot,
    positions: dict[str, int],
    indexes: list[int],
    left_alone: list[bool],
    refs: _RowRefs,
) -> list[FillWrite]:
    """The colour cells whose background as read is not the colour wanted."""
    out = []
    colours = computed["_colour"].tolist()
    names = computed["_colour_name"].tolist() if "_colour_name" in computed else [None] * len(colours)
    for name in schema.COLOUR_COLUMNS:
        pos = positions.get(name)
        for i, (index, colour, cname, alone) in enumerate(
            zip(indexes, colours, names, left_alone, strict=True)
        ):
            if alone:
                continue
            current = snapshot.fills.get((index, pos)) if pos is not None else None
            if not _same_fill(current, colour, cname):
                out.append(FillWrite(refs[i], name, colour, cname or None))
    return out


def _same_fill(current: str | None, colour: str | None, name: str | None) -> bool:
    """Whether a cell's fill as read (a ``#RRGGBB``, or a colour's name where the store keeps
    names) is the colour wanted."""
    if current == colour or (current or "").upper() == (colour or "").upper():
        return True
    return bool(current and colour and name and current.casefold() == str(name).casefold())


#: A run that would rewrite more than this share of a synced tracker's owned cells stops
#: and asks for --force: a changed template or rule, or a broken read, not a normal day.
MASS_REWRITE_SHARE = 0.5


def refuse_mass_rewrite(tracker: schema.Tracker, changes: ChangeSet) -> None:
    """Stop before rewriting most of a tracker that followsync has synced before."""
    frame = tracker.frame
    owned = [n for n in schema.OWNED_NAMES]
    total = len(frame) * len(owned)
    counts: dict[str, int] = {}
    for ch in changes.cells:
        if ch.column in owned:
            counts[ch.column] = counts.get(ch.column, 0) + 1
    changed = sum(counts.values())
    if changed <= total * MASS_REWRITE_SHARE:
        return  # a normal day, checked first: it needs no Draft state parsed (issue 17)
    # Synced before: its Draft state says so, or (the state lost: deleted, cleared, pasted over)
    # followsync's Next action is still there.
    states, actions = frame["draft_state"].tolist(), frame["next_action"].tolist()
    synced = sum(
        DraftState.parse(s) is not None or not is_blank(a) for s, a in zip(states, actions, strict=True)
    )
    if len(frame) < 4 or synced < len(frame) / 2:
        return  # a new tracker, or too small to tell
    from ..errors import WriteRefused

    detail = ", ".join(f"{n} {counts[n]}" for n in owned if counts.get(n))
    raise WriteRefused(
        f"This run would rewrite {changed} of {total} of followsync's cells in sheet {tracker.sheet!r} "
        f"({detail}), more than half of a tracker it has synced before. Nothing was written.",
        hint="If you changed a template or a rule, that is expected: run again with --force "
        "(see what would change with --dry-run). Otherwise check that the sheet reads as you expect.",
    )
