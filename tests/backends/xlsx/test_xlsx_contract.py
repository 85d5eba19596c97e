"""The backend contract on a real .xlsx file (tests/contract.py)."""

from __future__ import annotations

from copy import copy

import openpyxl
import pytest

from followsync.backends.xlsx.backend import XlsxBackend
from followsync.core.schema import COLOUR_COLUMNS, locate_header

from ..contract import BackendContract, Harness


class XlsxHarness(Harness):
    def __init__(self, path):
        self.path = path
        self.backend = None
        self.writes = 0
        self.hook = None

    def make(self, grid):
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = "Tracker"
        for row in grid:
            ws.append(list(row))
        wb.save(self.path)
        self.backend = backend = XlsxBackend(self.path)
        real_apply = backend.apply

        def apply(changes, **kw):
            if self.hook:
                hook, self.hook = self.hook, None  # a coach's edit happens once
                hook()
            applied = real_apply(changes, **kw)
            self.writes += applied.write_calls
            return applied

        backend.apply = apply
        return backend

    def make_new(self):
        self.backend = XlsxBackend(self.path)
        return self.backend

    def _sheet(self):
        wb = openpyxl.load_workbook(self.path)
        return wb, wb["Tracker"]

    def grid(self):
        _, ws = self._sheet()
        return [list(r) for r in ws.iter_rows(values_only=True)]

    def fills(self):
        _, ws = self._sheet()
        grid = [list(r) for r in ws.iter_rows(values_only=True)]
        header = locate_header(grid)
        out = {}
        for name in COLOUR_COLUMNS:
            col = header.positions.get(name)
            if col is None:
                continue
            for r, cells in enumerate(ws.iter_rows(min_col=col + 1, max_col=col + 1)):
                fill = cells[0].fill
                if fill is not None and fill.fill_type == "solid":
                    out[(r, col)] = "#" + fill.fgColor.rgb[-6:].upper()
        return out

    def edit(self, fn):
        """A coach editing in Excel: values change, and each row's formatting and hyperlinks move
        with it (Excel's sort moves a cell's hyperlink with the cell)."""
        wb, ws = self._sheet()
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
        styles = [[copy(c._style) for c in r] for r in ws.iter_rows()]
        links = [[copy(c.hyperlink) if c.hyperlink else None for c in r] for r in ws.iter_rows()]
        origin = {id(r): i for i, r in enumerate(rows)}
        new = fn(list(rows))
        width = max(len(r) for r in [*rows, *new])
        for j in range(max(len(rows), len(new))):
            row = new[j] if j < len(new) else []
            source = origin.get(id(row))
            for c in range(width):
                cell = ws.cell(j + 1, c + 1)
                cell.value = row[c] if c < len(row) else None
                if source is not None and c < len(styles[source]):
                    cell._style = copy(styles[source][c])
                else:
                    cell.style = "Normal"
                link = links[source][c] if source is not None and c < len(links[source]) else None
                # openpyxl keeps a hyperlink on its cell, not its value: move it, or clear it
                if link is not None:
                    link.ref = cell.coordinate
                cell.hyperlink = link
        wb.save(self.path)

    def between(self, fn):
        self.hook = fn

    def write_calls(self):
        return self.writes


class TestXlsxContract(BackendContract):
    reads_again = True

    @pytest.fixture
    def harness(self, tmp_path):
        return XlsxHarness(tmp_path / "tracker.xlsx")
