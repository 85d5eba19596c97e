"""The slow path: a workbook loaded whole by openpyxl, changed, and written again whole.

Adding a column, or a file the splice does not expect, goes through openpyxl, which rewrites
the whole file: :meth:`RewrittenBook.check_nothing_lost` refuses to write when that would lose
something of the user's that openpyxl cannot keep (charts, pictures, pivot tables, unsupported
extensions), unless forced.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import warnings
import zipfile
from collections.abc import Callable, Iterator
from copy import copy
from pathlib import Path
from typing import Any

import openpyxl
import openpyxl.worksheet._writer as _ws_writer
from openpyxl.comments import Comment
from openpyxl.compat import safe_string
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.styles.numbers import is_date_format
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.xml.functions import Element, SubElement

from ...core.cells import CellError
from ...core.changes import Applied, ChangeSet, SheetWrite, put_cell
from ...core.mailto import COLUMN as LINK_COLUMN
from ...core.own_sheets import find_title
from ...errors import TrackerError, TrackerUnreadable, WriteRefused
from ..base import Located, foreign_sheet, locate, owns_sheet
from .scan import Unusual, no_result
from .spliced import SplicedBook
from .styles import solid_colour
from .writes import (
    DATE_FORMAT,
    DATETIME_FORMAT,
    DEFAULT_WIDTH,
    HEADER_HEIGHT,
    Target,
    layout_columns,
    new_height,
    row_height,
    sheet_widths,
    targets,
    wraps,
)
from .xml import clean_text

# Parts of the zip that openpyxl cannot carry over intact when it saves (charts lose their
# formatting, shapes and pivot tables are dropped): what they hold would be damaged or lost.
_UNKEPT_PARTS = {
    "xl/charts/": "charts",
    "xl/chartsheets/": "chart sheets",
    "xl/drawings/": "drawings or pictures",
    "xl/media/": "pictures",
    "xl/pivotTables/": "pivot tables",
    "xl/pivotCache/": "pivot tables",
    "xl/slicers/": "slicers",
    "xl/slicerCaches/": "slicers",
    "xl/embeddings/": "embedded objects",
    "xl/activeX/": "form controls",
    # openpyxl drops these parts silently on save, so they are refused too.
    "xl/threadedComments/": "threaded comments",
    "xl/persons/": "threaded comments",
    "xl/metadata.xml": "dynamic-array formulas",
    "xl/richData/": "pictures in cells",
    "customXml/": "custom XML data",
    "xl/queryTables/": "query tables",
    "xl/connections.xml": "data connections (Power Query)",
    "xl/model/": "a data model",
    "xl/timelines/": "timelines",
    "xl/timelineCaches/": "timelines",
    "xl/vbaProject.bin": "macros",
}

_MISSING = object()


def _no_result(formula: Any) -> CellError:
    return no_result(getattr(formula, "text", formula))


class RewrittenBook:
    """The file loaded whole by openpyxl, on the worksheet ``pick`` names; ``location`` is for messages.

    Formula cells hold the results Excel saved for them, read from the file's parts.
    """

    def __init__(self, data: bytes, pick: Callable[[openpyxl.Workbook], str], location: str):
        self.location = location
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                wb = openpyxl.load_workbook(io.BytesIO(data), rich_text=False)
            except Exception as e:  # whatever openpyxl trips over, the file is not one it can read
                raise TrackerUnreadable(
                    f"{location} is not an .xlsx workbook followsync can read ({brief(e)}); "
                    "save it as Excel Workbook (.xlsx)"
                ) from e
        #: what openpyxl said it dropped while loading
        self.lost = sorted(
            {str(w.message) for w in caught if "removed" in str(w.message) or "dropped" in str(w.message)}
        )
        ws = wb[pick(wb)]
        grid, formulas = _grid(ws)
        #: (row, col) 1-based -> a formula's cached result
        self.results: dict[tuple[int, int], Any] = {}
        if formulas:
            try:
                self.results = _cached_results(data, ws.title, formulas)
            except Exception as e:  # the workbook loaded, its saved results did not
                raise TrackerUnreadable(
                    f"{location}: the saved results of its formulas cannot be read ({brief(e)})",
                    hint="open and save the file in Excel or LibreOffice",
                ) from e
            for (r, c), formula in formulas.items():
                got = self.results.get((r, c), _MISSING)
                grid[r - 1][c - 1] = _no_result(formula) if got is _MISSING else got
        self.workbook, self.sheet, self.grid = wb, ws.title, grid
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            self.parts = z.namelist()

    # ------------------------------------------------------------------ reading

    def colour_at(self, row: int, col: int) -> str | None:
        """The solid background of the tracker sheet's cell at (row, col), 1-based."""
        cell = self.workbook[self.sheet]._cells.get((row, col))
        return solid_colour(cell.fill) if cell is not None and cell.has_style else None

    def fills(self, columns: list[int], rows: range) -> dict[tuple[int, int], str]:
        """Snapshot.fills for the grid's ``columns`` in grid rows ``rows`` (0-based)."""
        return {(gi, col): c for col in columns for gi in rows if (c := self.colour_at(gi + 1, col + 1))}

    def read_sheet(self, name: str) -> list[list[Any]] | None:
        """Worksheet ``name``'s values, found without letter case (None: no such worksheet)."""
        name = find_title(self.workbook.sheetnames, name) or name
        if name not in self.workbook.sheetnames:
            return None
        return [list(r) for r in self.workbook[name].iter_rows(values_only=True)]

    # ------------------------------------------------------------------ writing

    def check_nothing_lost(self, file_name: str) -> None:
        """Refuse to write what openpyxl would damage or drop; ``file_name``'s .bak is named in the hint."""
        kinds = sorted(
            {
                kind
                for p in self.parts
                for prefix, kind in _UNKEPT_PARTS.items()
                # comments' shapes live in xl/drawings/*.vml; openpyxl writes those again itself
                if p.startswith(prefix) and not p.endswith((".vml", ".rels"))
            }
        )
        if kinds:
            raise WriteRefused(
                f"{self.location} holds {', '.join(kinds)}, which followsync's .xlsx library cannot keep intact: "
                "writing would remove them. Nothing was written",
                hint="move them to another workbook, or run again with --force to write anyway "
                f"(the current file is kept as {file_name}.bak)",
            )
        if self.lost:
            raise WriteRefused(
                f"{self.location} uses features followsync's .xlsx library cannot keep ({'; '.join(self.lost)}). "
                "Nothing was written",
                hint=f"run again with --force to write anyway (the current file is kept as {file_name}.bak)",
            )

    def write(self, changes: ChangeSet) -> Applied:
        """Make ``changes`` in the loaded workbook (:meth:`save` writes it)."""
        ws = self.workbook[self.sheet]
        where = locate(changes, self.grid)
        applied = Applied(skipped=list(where.skipped), columns_added=len(where.new_columns))
        if where.new_columns:
            self._add_columns(ws, where)
        target = targets(self.sheet, where, changes, [r.coord for r in ws.merged_cells.ranges], applied)
        self._write_cells(ws, changes, target, applied, where.columns)
        self._write_fills(ws, changes, target, applied)
        wb = self.workbook
        for sw in changes.sheets:
            title = find_title(wb.sheetnames, sw.name)
            existing = wb[title] if title is not None else None
            first = [c.value for c in existing[1]] if existing is not None and existing.max_row >= 1 else []
            if existing is not None and sw.mode == "append" and not owns_sheet(first, sw.header):
                applied.skipped.append(foreign_sheet(existing.title))
                continue
            self._write_sheet(sw)
        return applied

    def _add_columns(self, ws: Worksheet, where: Located) -> None:
        """Head the new columns, after a header merged across columns; never over the user's values."""
        grid, hr = self.grid, where.header_row
        # A header cell merged across columns looks blank to its right: start after the merge.
        merged_end = max(
            (r.max_col for r in ws.merged_cells.ranges if r.min_row <= hr + 1 <= r.max_row), default=0
        )
        shift = merged_end - min(where.new_columns.values())
        if shift > 0:
            where.new_columns = {n: c + shift for n, c in where.new_columns.items()}
            where.columns.update(where.new_columns)
        for name, col in where.new_columns.items():
            # A column without a header may still hold the user's values: never write over them.
            taken = next(
                (gi for gi in range(hr + 1, len(grid)) if _value_at(grid, gi, col) not in (None, "")), None
            )
            if taken is not None:
                letter = get_column_letter(col + 1)
                raise TrackerError(
                    f"sheet {self.sheet!r}: column {letter} has no header but holds values (row {taken + 1}); "
                    f"followsync would add its column {name!r} there. Nothing was written",
                    hint=f"give column {letter} a header, or move its values, and run again",
                )
        # Any: a header cell is a Cell, whose private _style the stubs do not declare
        last: Any = ws.cell(hr + 1, min(where.new_columns.values()))  # the rightmost existing header cell
        layout = layout_columns()
        for name, col in where.new_columns.items():
            cell: Any = ws.cell(hr + 1, col + 1, name)
            if last.has_style:
                cell._style = copy(last._style)
            put_cell(grid, hr, col, name)
            lc = layout.get(name)
            if lc is not None:  # dressed as init dresses it: width, note, format, drop-down, hidden
                # the rows there are (no empty cells made below them), drop-downs to row 1000
                dress_column(
                    ws,
                    col + 1,
                    lc,
                    header_row=hr + 1,
                    last_row=max(VALIDATION_ROWS, len(grid)),
                    formatted_rows=len(grid),
                    align_cells=True,
                )
        if (ws.row_dimensions[hr + 1].height or 0) < HEADER_HEIGHT:
            ws.row_dimensions[hr + 1].height = HEADER_HEIGHT

    def _write_cells(
        self, ws: Worksheet, changes: ChangeSet, target: Target, applied: Applied, columns: dict[str, int]
    ) -> None:
        layout = layout_columns()
        wrapped = frozenset(name for name, lc in layout.items() if lc.wrap)
        tall: dict[int, list[Any]] = {}  # grid row -> its values before the write
        for ch in changes.cells:
            at = target(ch.row, ch.column)
            if at is None:
                continue
            gi, col = at
            if wraps(ch.column, ch.value, wrapped) and gi not in tall:
                tall[gi] = list(self.grid[gi]) if gi < len(self.grid) else []
            existing = ws._cells.get((gi + 1, col + 1))
            if ch.value is None and existing is None:
                pass  # already blank; don't create a cell just to empty it
            else:
                cell = existing or ws.cell(gi + 1, col + 1)
                set_value(cell, ch.value)
                if ch.column == LINK_COLUMN:  # a real hyperlink, so one click opens the draft
                    cell.hyperlink = ch.value if isinstance(ch.value, str) and ch.value else None
                if ch.value is not None and wraps(ch.column, ch.value, wrapped):
                    wrap(cell)
                put_cell(self.grid, gi, col, ch.value)
            applied.cells += 1

        def needed(row: list[Any]) -> float:
            return row_height(
                [
                    (row[col], layout[name].width if name in layout else DEFAULT_WIDTH)
                    for name, col in columns.items()
                    if col < len(row) and isinstance(row[col], str) and wraps(name, row[col], wrapped)
                ]
            )

        for gi, old in tall.items():  # rows as tall as their multi-line cells, as they are now
            dim = ws.row_dimensions[gi + 1]
            current = dim.height if dim.customHeight else None
            height = new_height(current, needed(old), needed(self.grid[gi] if gi < len(self.grid) else []))
            if height is not None:
                dim.height = height

    def _write_fills(self, ws: Worksheet, changes: ChangeSet, target: Target, applied: Applied) -> None:
        patterns: dict[str | None, PatternFill] = {}
        for fill in changes.fills:
            at = target(fill.row, fill.column)
            if at is None:
                continue
            gi, col = at
            existing = ws._cells.get((gi + 1, col + 1))
            if fill.colour is None and (existing is None or existing.fill.fill_type is None):
                applied.fills += 1
                continue
            if fill.colour not in patterns:
                patterns[fill.colour] = pattern(fill.colour)
            (existing or ws.cell(gi + 1, col + 1)).fill = patterns[fill.colour]
            applied.fills += 1

    def _write_sheet(self, sw: SheetWrite) -> None:
        """Append to (History) or replace (Summary) another worksheet, making it if needed."""
        wb = self.workbook
        title = find_title(wb.sheetnames, sw.name)  # Excel takes sheet names without case
        ws = wb[title] if title is not None else None
        if ws is not None and sw.mode != "append":  # an update writes the whole worksheet it makes
            index = wb.sheetnames.index(ws.title)
            wb.remove(ws)
            ws = wb.create_sheet(ws.title, index)
            self._head(ws, sw)
        if ws is None:
            # The Summary is what a coach opening the file should see first.
            ws = wb.create_sheet(sw.name, 0 if sw.show_first else len(wb.sheetnames))
            self._head(ws, sw)
        first = ws.max_row + 1  # blank rows (the Summary's spacers) count too
        widths = sheet_widths(sw)
        for r, row in enumerate(sw.rows, first):
            tall = []
            for c, value in enumerate(row, 1):
                if value is not None and value != "":
                    cell = ws.cell(r, c)
                    set_value(cell, value)
                    if isinstance(value, str) and "\n" in value:  # a message: all its lines shown
                        wrap(cell)
                        tall.append((value, widths[c - 1] if c - 1 < len(widths) else 10))
            if tall:
                ws.row_dimensions[r].height = row_height(tall)
        if sw.show_first:
            # The Summary sits first; the workbook still opens on the tracker.
            wb.active = wb.sheetnames.index(self.sheet)
            for sheet in wb.worksheets:
                sheet.sheet_view.tabSelected = sheet.title == self.sheet

    @staticmethod
    def _head(ws: Any, sw: SheetWrite) -> None:
        """A new worksheet's first row (bold, frozen) and column widths."""
        ws.append(list(sw.header))
        bold = Font(bold=True)
        for cell in ws[1]:
            cell.font = bold
        ws.freeze_panes = "A2"
        for i, width in enumerate(sheet_widths(sw), 1):
            ws.column_dimensions[get_column_letter(i)].width = width

    def save(self, path: Path) -> None:
        """Write the workbook to ``path``, with the formula results it was read with."""
        save_workbook(self.workbook, self.sheet, self.results, path)

    def saved_as(self, path: Path) -> None:
        """The workbook is now the file at ``path``: whatever openpyxl dropped is gone from it."""
        self.lost = []
        with contextlib.suppress(OSError, zipfile.BadZipFile), zipfile.ZipFile(path) as z:
            self.parts = z.namelist()


def save_workbook(wb: openpyxl.Workbook, sheet: str, results: dict[tuple[int, int], Any], path: Path) -> None:
    """Save ``wb`` to ``path``, the formulas of ``sheet`` with their saved ``results``."""
    wb.calculation.fullCalcOnLoad = True  # formulas may read the cells just written
    with _keeping_results(wb[sheet], results):
        wb.save(path)


def brief(e: BaseException) -> str:
    text = str(e).strip() or type(e).__name__
    return text if len(text) <= 200 else text[:197] + "..."


# ---------------------------------------------------------------------- openpyxl helpers


def _grid(ws: Worksheet) -> tuple[list[list[Any]], dict[tuple[int, int], Any]]:
    """Every row's raw values (trailing blank rows dropped), and the formula cells found."""
    # Sized by the cells that hold values: a styled but empty cell far down or right (say
    # XFD1048576) must not make a grid of millions of Nones.
    rows: dict[int, list[Any]] = {}
    formulas: dict[tuple[int, int], Any] = {}
    cells: dict[tuple[int, int], Any] = ws._cells
    for (r, c), cell in cells.items():
        v = cell._value
        if v is None:
            continue
        kind = cell.data_type
        if kind == "f":
            formulas[(r, c)] = v
        elif kind == "e":
            v = CellError(str(v))
        row = rows.get(r)
        if row is None:
            row = rows[r] = [None] * c
        elif len(row) < c:
            row.extend([None] * (c - len(row)))
        row[c - 1] = v
    if not rows:
        return [], formulas
    grid: list[list[Any]] = [rows.get(r) or [] for r in range(1, max(rows) + 1)]
    return grid, formulas


def _cached_results(
    data: bytes, title: str, formulas: dict[tuple[int, int], Any]
) -> dict[tuple[int, int], Any]:
    """The results Excel saved for the formula cells (a CellError where there is none).

    openpyxl's full load gives formulas without their results; the scan of the sheet's part
    reads them, and openpyxl's values-only reading is the fallback for a part it does not take.
    """
    try:
        scan = SplicedBook(data, lambda wb: title).scan
    except Unusual:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            return _results_by_openpyxl(wb[title], formulas)
        finally:
            wb.close()
    grid = scan.grid
    out: dict[tuple[int, int], Any] = {}
    for r, c in formulas:
        row = grid[r - 1] if r - 1 < len(grid) else []
        value = row[c - 1] if c - 1 < len(row) else None
        if value is not None and (r, c) not in scan.unsaved:
            out[(r, c)] = value
    return out


def _results_by_openpyxl(ws: Any, formulas: dict[tuple[int, int], Any]) -> dict[tuple[int, int], Any]:
    rows = [r for r, _ in formulas]
    cols = [c for _, c in formulas]
    out: dict[tuple[int, int], Any] = {}
    for row in ws.iter_rows(min_row=min(rows), max_row=max(rows), min_col=min(cols), max_col=max(cols)):
        for cell in row:
            key = (getattr(cell, "row", None), getattr(cell, "column", None))
            if key not in formulas:
                continue
            v = cell.value
            if v is None:
                # Excel saves an empty text result as t="str" with an empty <v>
                if cell.data_type == "str":
                    out[key] = ""
                continue
            out[key] = CellError(str(v)) if cell.data_type == "e" else v
    return out


VALIDATION_ROWS = 1000  # drop-downs and formats of a tracker's columns cover rows 2..1000


def wrap(cell: Any, wrap_text: bool = True) -> None:
    """Show a cell's text aligned to the top, and wrapped (its other alignment kept)."""
    current = cell.alignment
    if current.vertical != "top" or (wrap_text and not current.wrap_text):
        new = copy(current)
        new.vertical = "top"
        if wrap_text:
            new.wrap_text = True
        cell.alignment = new


def dress_column(
    ws: Worksheet, col: int, lc: Any, *, header_row: int, last_row: int, formatted_rows: int, align_cells: bool = False
) -> None:
    """Give column ``col`` (1-based) what ``init`` gives a layout column ``lc``: width, hidden,
    the header's note (and wrapping), a drop-down down to ``last_row`` (Mark sent's Yes/No among
    them), and the number format of its cells down to ``formatted_rows``; its cells aligned to
    the top, wrapped for multi-line text (the column's style, which new cells take, and with
    ``align_cells`` each cell down to ``formatted_rows``)."""
    letter = get_column_letter(col)
    header: Any = ws.cell(header_row, col)
    wrap(header)
    if lc.note:
        header.comment = Comment(lc.note, "followsync", width=300, height=120)
    dim = ws.column_dimensions[letter]
    dim.width = lc.width
    dim.hidden = lc.hidden
    # Aligned to the top, as a draft beside it is (wrapped too for multi-line text): the column's
    # style, which the cells Excel or Calc add take.
    dim.alignment = Alignment(wrap_text=True if lc.wrap else None, vertical="top")
    if lc.number_format or align_cells:
        # cell by cell: a column style would not reach cells openpyxl creates
        for r in range(header_row + 1, formatted_rows + 1):
            cell: Any = ws.cell(r, col)
            if lc.number_format and not is_date_format(cell.number_format):
                cell.number_format = lc.number_format
            wrap(cell, lc.wrap)
    if lc.choices:
        dv = DataValidation(
            type="list",
            formula1='"' + ",".join(lc.choices) + '"',
            allow_blank=True,
            showErrorMessage=True,
            errorStyle="warning",
            errorTitle=lc.column.name,
            error="Choose one of: " + ", ".join(lc.choices),
        )
        dv.add(f"{letter}{header_row + 1}:{letter}{last_row}")
        ws.add_data_validation(dv)


def pattern(colour: str | None) -> PatternFill:
    if not colour:
        return PatternFill(fill_type=None)
    argb = "FF" + colour.lstrip("#").upper()
    return PatternFill(fill_type="solid", start_color=argb, end_color=argb)


def set_value(cell: Any, value: Any, date_format: str | None = None) -> None:
    """Store a value the way a person would have typed it: dates as dates, text as text."""
    if isinstance(value, str):
        # Control characters make the file unreadable, and Excel holds 32,767 characters a cell.
        value = clean_text(value)
        cell.value = value
        if value.startswith("="):
            cell.data_type = "s"  # text that looks like a formula stays text
        return
    if isinstance(value, dt.datetime | dt.date):
        if isinstance(value, dt.datetime):
            value = value.replace(tzinfo=None)
            has_time = value.time() != dt.time()
        else:
            has_time = False
        cell.value = value
        if not is_date_format(cell.number_format):  # keep a date format the user chose
            cell.number_format = date_format or (DATETIME_FORMAT if has_time else DATE_FORMAT)
        return
    cell.value = value


def _value_at(grid: list[list[Any]], gi: int, col: int) -> Any:
    row = grid[gi]
    return row[col] if col < len(row) else None


@contextlib.contextmanager
def _keeping_results(ws: Worksheet, results: dict[tuple[int, int], Any]) -> Iterator[None]:
    """While saving, write each formula of ``ws`` with the result Excel saved for it.

    openpyxl writes formulas without results, so the next ``read`` would find none until the
    file is opened in Excel; the results read from the file are still right for every formula
    that does not depend on followsync's cells, and Excel recalculates on opening anyway.
    """
    if not results:
        yield
        return
    original = _ws_writer.write_cell  # type: ignore[attr-defined]  # not in openpyxl's stubs

    def write_cell(xf: Any, worksheet: Any, cell: Any, styled: Any = None) -> None:
        got = results.get((cell.row, cell.column), _MISSING) if worksheet is ws else _MISSING
        if got is _MISSING or cell.data_type != "f" or isinstance(cell._value, DataTableFormula):
            return original(xf, worksheet, cell, styled)
        attrs = {"r": cell.coordinate}
        if styled:
            attrs["s"] = f"{cell.style_id}"
        if isinstance(got, bool):
            attrs["t"], text = "b", str(int(got))
        elif isinstance(got, int | float):
            text = safe_string(got)
        elif isinstance(got, dt.datetime | dt.date | dt.time):
            text = safe_string(to_excel(got, worksheet.parent.epoch))
        elif isinstance(got, CellError):
            attrs["t"], text = "e", got.text
        else:
            attrs["t"], text = "str", str(got)
        formula = cell._value
        fattrs = {}
        if isinstance(formula, ArrayFormula):
            fattrs, formula = dict(formula), formula.text
        el = Element("c", attrs)
        SubElement(el, "f", fattrs).text = formula[1:] if formula.startswith("=") else formula
        SubElement(el, "v").text = text
        xf.write(el)

    _ws_writer.write_cell = write_cell  # type: ignore[attr-defined]
    try:
        yield
    finally:
        _ws_writer.write_cell = original  # type: ignore[attr-defined]
