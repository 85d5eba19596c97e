"""A tracker held in memory: the reference backend the tests use (vdirsyncer's MemoryStorage).

It behaves like a careful grid store: rows are found by ID at write time, every apply is
atomic, and a test can change the grid between :meth:`read` and :meth:`apply` through
``before_apply`` to play a coach editing the sheet mid-run.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any

from ..core.changes import Applied, ChangeSet, Snapshot, put_cell
from ..core.layout import Layout
from ..core.own_sheets import find_title
from ..core.schema import COLOUR_COLUMNS, locate_header
from ..errors import UsageError
from .base import Backend, foreign_sheet, locate, owns_sheet
from .stale import grid_cell, keep_theirs


class MemoryBackend(Backend):
    """A worksheet as a list of rows, with a dict of cell backgrounds."""

    def __init__(self, grid: Sequence[Sequence[Any]] = (), sheet: str = "Tracker", location: str = "memory:"):
        self.sheet = sheet
        self.location = location
        self.grid: list[list[Any]] = [list(r) for r in grid]
        self.fills: dict[tuple[int, int], str] = {}
        self.sheets: dict[str, list[list[Any]]] = {}  # other worksheets (History, Summary)
        self.reads = 0
        self.write_calls = 0
        self.before_apply: Callable[[MemoryBackend], None] | None = None

    def read(self, also: Sequence[str] = ()) -> Snapshot:
        self.reads += 1
        grid = copy.deepcopy(self.grid)
        header = locate_header(grid, self.sheet)
        fills = {}
        if header is not None:
            cols = {header.positions[n] for n in COLOUR_COLUMNS if n in header.positions}
            fills = {k: v for k, v in self.fills.items() if k[1] in cols}
        extra = {name: copy.deepcopy(self._sheet(self.sheets, name) or []) for name in also}
        return Snapshot(self.sheet, grid, fills, sheets=extra)

    def apply(self, changes: ChangeSet, *, force: bool = False) -> Applied:
        if self.before_apply is not None:
            self.before_apply(self)
        if not changes:
            return Applied()
        where = locate(changes, self.grid)
        changes, theirs = keep_theirs(changes, where, grid_cell(self.grid))  # typed meanwhile: kept
        grid = copy.deepcopy(self.grid)
        fills = dict(self.fills)
        applied = Applied(skipped=list(where.skipped) + theirs, columns_added=len(where.new_columns))
        for name, col in where.new_columns.items():
            put_cell(grid, where.header_row, col, name)
        # A column deleted since the read: its cells are skipped, once said, as the real stores do.
        wanted = {cw.column for cw in changes.cells} | {fw.column for fw in changes.fills}
        gone = sorted(wanted - set(where.columns))
        applied.skipped += [
            f"column {name!r} is gone (deleted while followsync ran); skipped its cells, run followsync again"
            for name in gone
        ]
        for ch in changes.cells:
            gi = where.rows.get(ch.row)
            if gi is not None and ch.column in where.columns:
                put_cell(grid, gi, where.columns[ch.column], ch.value)
                applied.cells += 1
        for fw in changes.fills:
            gi = where.rows.get(fw.row)
            if gi is not None and fw.column in where.columns:
                key = (gi, where.columns[fw.column])
                if fw.colour:
                    fills[key] = fw.colour
                else:
                    fills.pop(key, None)
                applied.fills += 1
        sheets = copy.deepcopy(self.sheets)
        for sw in changes.sheets:
            title = find_title(sheets, sw.name) or sw.name  # names ignore case, as Excel's and Google's do
            rows = sheets.get(title)
            if rows and sw.mode == "append" and not owns_sheet(rows[0], sw.header):
                applied.skipped.append(foreign_sheet(title))
                continue
            if rows and sw.mode == "update":
                for (r, c), value in sw.cells.items():
                    put_cell(rows, r, c, value)
                continue
            if rows is None or sw.mode != "append":
                rows = sheets[title] = [list(sw.header)]
                if sw.show_first:
                    sheets = {title: rows, **sheets}
            rows.extend(list(r) for r in sw.rows)
        self.grid, self.fills, self.sheets = grid, fills, sheets  # all at once: atomic
        self.write_calls += 1
        applied.write_calls = 1
        return applied

    def read_sheet(self, name: str) -> list[list[Any]] | None:
        rows = self._sheet(self.sheets, name)
        return copy.deepcopy(rows) if rows is not None else None

    @staticmethod
    def _sheet(sheets: dict[str, list[list[Any]]], name: str) -> list[list[Any]] | None:
        title = find_title(sheets, name)
        return sheets[title] if title is not None else None

    def create(self, layout: Layout, rows: Sequence[dict[str, Any]] = ()) -> None:
        """Lay ``layout`` (and ``rows``) into a blank grid; a tracker already there is kept as it
        is, and a grid of the person's own data is refused, as the real stores do."""
        if any(v not in (None, "") for row in self.grid for v in row):
            if locate_header(self.grid, self.sheet) is None:
                raise UsageError(
                    f"{self.location} already holds data that is not a followsync tracker; "
                    "followsync will not write over it"
                )
            return
        names = [lc.column.name for lc in layout.columns]
        self.grid = [names] + [[r.get(n) for n in names] for r in rows]
        self.fills = {}
