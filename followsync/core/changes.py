"""The vocabulary the core and the stores share: what a read returns, and what a run changes.

A store's :meth:`~followsync.backends.base.Backend.read` returns a :class:`Snapshot`; the core
answers with a :class:`ChangeSet` of rows addressed by :class:`RowRef` (an ID, or for a row
whose ID is blank its position plus :func:`row_fingerprint`), and the store's ``apply`` says
what it did in an :class:`Applied`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .schema import USER_COLUMNS, Problem


@dataclass
class Snapshot:
    """What :meth:`Backend.read` returns.

    ``grid`` holds the worksheet's raw values as rows of cells (``grid[0]`` is the sheet's
    row 1; rows may be ragged). Values are ``None``, ``str``, ``int``, ``float``, ``bool``,
    ``datetime.date``/``datetime.datetime``, or :class:`~followsync.core.cells.CellError`; a
    formula is given as its computed value.

    ``fills`` maps ``(grid row, grid column)`` to a ``"#RRGGBB"`` background for the cells of
    the colour columns (Next action, Due) that have one; ``handles`` maps a grid row to the
    store's own row handle where it has one (Airtable's record id).
    """

    sheet: str
    grid: list[list[Any]]
    fills: Mapping[tuple[int, int], str] = field(
        default_factory=dict
    )  # read-only; a store may look up lazily
    handles: dict[int, Any] = field(default_factory=dict)
    #: other worksheets read along (those named in ``Backend.read(also=...)``, found without
    #: letter case): name as asked -> rows, ``[]`` when the worksheet doesn't exist yet; a store
    #: without other worksheets leaves this empty
    sheets: dict[str, list[list[Any]]] = field(default_factory=dict)
    #: what the store found wrong with the tracker as a whole, up front: a column followsync
    #: can't write there (an Airtable computed field in its place); the run names each one and
    #: writes nothing to that column (``column`` is the header as the person wrote it)
    problems: list[Problem] = field(default_factory=list)


@dataclass(frozen=True)
class RowRef:
    """How to find a row at write time.

    ``id`` is the row's ID as read (``None`` when it was blank and is being assigned). A row
    with an ID is found by that ID wherever it is now. A row without one is found at
    ``index`` (the grid row it had at read time) only if it still has a blank ID and the same
    ``fingerprint`` (its user cells as read); otherwise its changes are skipped.
    """

    id: str | None
    index: int
    fingerprint: tuple = ()
    handle: Any = None


class _Unread:
    """The ``was`` of a :class:`CellWrite` whose cell was not read: written whatever it holds."""

    def __repr__(self) -> str:
        return "UNREAD"


UNREAD: Any = _Unread()


@dataclass(frozen=True)
class CellWrite:
    """Set one cell of a row. ``value`` is None, str, int, float or ``datetime.date``.

    ``was`` is the cell as the run read it (its raw value), when the value was computed from that
    read: a store leaves a cell that no longer holds it alone, as the person's (DESIGN.md
    invariant 8, :mod:`followsync.backends.stale`).
    """

    row: RowRef
    column: str  # canonical column name, e.g. "Next action"
    value: Any
    was: Any = field(default=UNREAD, compare=False)


@dataclass(frozen=True)
class FillWrite:
    """Set (or with ``colour=None`` clear) one cell's background.

    ``name`` is the colour's name in the palette (RULES.md section 4, e.g. ``"overdue"``), for
    a store that keeps names rather than backgrounds (Airtable's Urgency).
    """

    row: RowRef
    column: str
    colour: str | None  # "#RRGGBB"
    name: str | None = None


@dataclass(frozen=True)
class ChartSpec:
    """A chart of a table in a :class:`SheetWrite`'s rows, for stores with native charts.

    Rows and columns are 0-based in the written sheet (its header is row 0); ``first_row`` is
    the table's header row, ``last_row`` its last data row.
    """

    title: str
    first_row: int
    last_row: int
    domain_column: int
    series_columns: tuple[int, ...]


@dataclass
class SheetWrite:
    """Rows for another worksheet of the tracker (History: appended; Summary: replaced or updated).

    The worksheet is the one titled ``name`` in any letter case; a missing one is created with
    ``header`` as its first row, as the first tab when ``show_first`` (the Summary a coach sees
    on opening the file). Stores without worksheets (Airtable) use a table of that name.

    ``mode`` is ``"append"`` (rows below the ones there), ``"replace"`` (the worksheet becomes
    exactly header and rows) or ``"update"``: only ``cells`` change, ``(row, column) -> value``
    0-based with the header as row 0, ``None`` clearing a cell; ``header`` and ``rows`` are then
    the whole worksheet as it will be (a store that cannot write single cells, or finds the
    worksheet gone, writes those). ``chart`` asks for a native chart where the store has them
    (Google Sheets), replacing the worksheet's charts; others leave it out.
    """

    name: str
    header: list[str]
    rows: list[list[Any]]
    mode: str = "append"  # or "replace", "update"
    chart: ChartSpec | None = None
    show_first: bool = False
    cells: dict[tuple[int, int], Any] = field(default_factory=dict)


@dataclass
class ChangeSet:
    """The cells and backgrounds one run changes, the owned columns it adds, other sheets."""

    sheet: str
    header_row: int  # grid index of the header row, at read time
    add_columns: list[str] = field(default_factory=list)
    cells: list[CellWrite] = field(default_factory=list)
    fills: list[FillWrite] = field(default_factory=list)
    sheets: list[SheetWrite] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.add_columns or self.cells or self.fills or self.sheets)

    def rows(self) -> list[RowRef]:
        """Every row the change set touches, once each, in order."""
        seen: dict[RowRef, None] = {}
        writes: tuple[CellWrite | FillWrite, ...] = (*self.cells, *self.fills)
        for ch in writes:
            seen.setdefault(ch.row)
        return list(seen)


@dataclass
class Applied:
    """What :meth:`Backend.apply` did: counts, write requests made, and rows it skipped."""

    cells: int = 0
    fills: int = 0
    columns_added: int = 0
    write_calls: int = 0
    skipped: list[str] = field(default_factory=list)


def _plain(v: Any) -> Any:
    if isinstance(v, dt.datetime | dt.date):
        return v.isoformat()
    if isinstance(v, float) and v == int(v):
        return int(v)
    if isinstance(v, str):
        return v.strip() or None
    if v is None or isinstance(v, int | float | bool):
        return v
    return repr(v)


_FINGERPRINT_NAMES = tuple(sorted(c.name for c in USER_COLUMNS if c.name != "ID"))


def row_fingerprint(row: Sequence[Any], positions: dict[str, int]) -> tuple:
    """A row's identity when it has no ID: its user cells (by column name) as plain values."""
    out = []
    width = len(row)
    for name in _FINGERPRINT_NAMES:
        pos = positions.get(name)
        if pos is not None and pos < width:
            v = _plain(row[pos])
            if v is not None:
                out.append((name, v))
    return tuple(out)


def put_cell(grid: list[list[Any]], row: int, col: int, value: Any) -> None:
    """Set ``grid[row][col]``, growing the ragged grid as needed."""
    while len(grid) <= row:
        grid.append([])
    cells = grid[row]
    if len(cells) <= col:
        cells.extend([None] * (col + 1 - len(cells)))
    cells[col] = value
