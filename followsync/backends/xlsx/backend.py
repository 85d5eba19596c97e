"""A tracker in a local ``.xlsx`` workbook.

:meth:`XlsxBackend.read` scans the tracker sheet's XML (:mod:`.xlsx_parts`) and keeps the
file's bytes for :meth:`XlsxBackend.apply`, which splices followsync's cells into them and
saves the safe way: to a temporary file next to the tracker, then a ``.bak`` of the old bytes,
then an atomic rename (DESIGN.md invariant 3). If the file changed on disk since it was read
(a coach saved it), it is read again before any row is located, and rows are always found by
ID (invariant 4).

Adding a column, or a file the splice does not expect, goes through openpyxl instead, which
rewrites the whole file: that path refuses to write when it would lose something of the
user's that openpyxl cannot keep (charts, pictures, pivot tables, unsupported extensions),
unless forced; the ``.bak`` is kept either way.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import logging
import os
import secrets
import shlex
import shutil
import stat
import warnings
import zipfile
from collections.abc import Sequence
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
from openpyxl.utils.cell import range_boundaries
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula
from openpyxl.xml.functions import Element, SubElement

from ...core.cells import CellError
from ...core.changes import Applied, ChangeSet, SheetWrite, Snapshot, put_cell
from ...core.layout import Layout
from ...core.schema import COLOUR_COLUMNS, locate_header
from ...errors import TrackerBusy, TrackerError, TrackerNotFound, TrackerUnreadable, UsageError, WriteRefused
from ..base import Backend, locate
from . import parts
from .parts import Unusual

log = logging.getLogger(__name__)

DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
VALIDATION_ROWS = 1000  # drop-downs of a new tracker cover rows 2..1000

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

_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_MISSING = object()


def _no_result(formula: Any) -> CellError:
    return parts.no_result(getattr(formula, "text", formula))


class XlsxBackend(Backend):
    """A tracker in the ``.xlsx`` file at ``path``, on ``worksheet`` (else ``Tracker``, else the first)."""

    companion_sheets = ("Summary",)

    def __init__(self, path: str | os.PathLike, worksheet: str | None = None):
        self.path = Path(path)
        self.location = str(path)
        self.worksheet = worksheet
        self._wb: openpyxl.Workbook | None = None
        self._sheet = ""
        self._grid: list[list[Any]] = []
        self._stamp: tuple[int, int] | None = None  # (mtime_ns, size) of the file loaded
        self._digest = b""  # and a hash of its bytes: mtimes can be coarse (FAT, SMB: 2 s)
        self._parts: list[str] = []
        self._lost: list[str] = []  # what openpyxl said it dropped while loading
        self._results: dict[tuple[int, int], Any] = {}  # (row, col) 1-based -> a formula's cached result
        # The fast path: the file as scanned part by part (None when openpyxl loaded it instead).
        self._book: _Book | None = None
        self._scan: parts.SheetScan | None = None
        #: how the last apply saved: "spliced" (parts changed in place) or "rewritten" (openpyxl)
        self.last_save: str | None = None

    # ------------------------------------------------------------------ reading

    def read(self) -> Snapshot:
        """Read the tracker sheet's raw values, and the fills of its colour columns."""
        self._open()
        fills: dict[tuple[int, int], str] = {}
        header = locate_header(self._grid, self._sheet)
        if header is not None:
            for name in COLOUR_COLUMNS:
                col = header.positions.get(name)
                if col is None:
                    continue
                for gi in range(header.row + 1, len(self._grid)):
                    colour = self._colour_at(gi + 1, col + 1)
                    if colour:
                        fills[(gi, col)] = colour
        sheets = {name: self.read_sheet(name) or [] for name in self.companion_sheets}
        return Snapshot(self._sheet, [list(r) for r in self._grid], fills, sheets=sheets)

    def _colour_at(self, row: int, col: int) -> str | None:
        if self._scan is not None:
            style = self._scan.style_at(row, col)
            return None if style is None else self._book.colour(style)
        cell = self._wb[self._sheet]._cells.get((row, col))
        return _solid_colour(cell.fill) if cell is not None and cell.has_style else None

    def _open(self, sheet: str | None = None) -> None:
        """Scan the file part by part; if it holds anything the scan doesn't expect, load it with openpyxl."""
        data, stamp = self._read_bytes()
        try:
            book = _Book(data)
            ws = self._pick(book.workbook, sheet)
            scan = book.scan(ws.title)
        except Unusual:
            self._load(sheet)
            return
        self._wb, self._book, self._scan = None, book, scan
        self._sheet, self._grid, self._stamp, self._digest = ws.title, scan.grid, stamp, _digest(data)
        self._parts, self._lost, self._results = book.names, [], {}

    def _load(self, sheet: str | None = None) -> None:
        data, stamp = self._read_bytes()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                wb = openpyxl.load_workbook(io.BytesIO(data), rich_text=False)
            except Exception as e:  # whatever openpyxl trips over, the file is not one it can read
                raise TrackerUnreadable(
                    f"{self.location} is not an .xlsx workbook followsync can read ({_brief(e)}); "
                    "save it as Excel Workbook (.xlsx)"
                ) from e
        self._lost = sorted(
            {str(w.message) for w in caught if "removed" in str(w.message) or "dropped" in str(w.message)}
        )
        ws = self._pick(wb, sheet)
        grid, formulas = _grid(ws)
        self._results = {}
        if formulas:
            try:
                self._results = _cached_results(data, ws.title, formulas)
            except Exception as e:  # the workbook loaded, its saved results did not
                raise TrackerUnreadable(
                    f"{self.location}: the saved results of its formulas cannot be read ({_brief(e)})",
                    hint="open and save the file in Excel or LibreOffice",
                ) from e
            for (r, c), formula in formulas.items():
                got = self._results.get((r, c), _MISSING)
                grid[r - 1][c - 1] = _no_result(formula) if got is _MISSING else got
        self._wb, self._sheet, self._grid, self._stamp = wb, ws.title, grid, stamp
        self._book = self._scan = None
        self._digest = _digest(data)
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            self._parts = z.namelist()

    def _read_bytes(self) -> tuple[bytes, tuple[int, int]]:
        """The file's bytes and its (mtime_ns, size), read so the two belong together."""
        for _ in range(5):
            try:
                before = _stamp(os.stat(self.path))
                data = self.path.read_bytes()
                after = _stamp(os.stat(self.path))
            except FileNotFoundError:
                raise TrackerNotFound(
                    f"{self.location} does not exist",
                    hint=f"run `followsync init {shlex.quote(self.location)}` to create one",
                ) from None
            except IsADirectoryError:
                raise TrackerUnreadable(f"{self.location} is a folder, not an .xlsx workbook") from None
            except PermissionError:
                raise TrackerUnreadable(
                    f"{self.location} cannot be read: permission denied", hint="check the file's permissions"
                ) from None
            except OSError as e:
                raise TrackerUnreadable(f"{self.location} cannot be read: {e.strerror or e}") from e
            if before == after:
                break
        else:
            raise TrackerBusy(
                f"{self.location} keeps changing while followsync reads it; try again in a moment"
            )
        if data.startswith(_OLE2_MAGIC):
            raise TrackerUnreadable(
                f"{self.location} is an old Excel 97-2003 (.xls) or a password-protected workbook, "
                "not an .xlsx workbook",
                hint="save it as Excel Workbook (.xlsx) without a password to open",
            )
        if not zipfile.is_zipfile(io.BytesIO(data)):
            raise TrackerUnreadable(
                f"{self.location} is not an .xlsx workbook; save it as Excel Workbook (.xlsx)"
            )
        return data, after

    def _pick(self, wb: openpyxl.Workbook, sheet: str | None = None):
        """The tracker's worksheet: ``sheet``, else the one configured, else Tracker, else the first."""
        worksheets = {ws.title: ws for ws in wb.worksheets}  # chart sheets hold no cells
        wanted = sheet or self.worksheet
        if wanted is not None:
            if wanted in worksheets:
                return worksheets[wanted]
            if wanted in wb.sheetnames:
                raise TrackerNotFound(f"{self.location}: sheet {wanted!r} is a chart sheet, not a worksheet")
            raise TrackerNotFound(
                f"{self.location} has no worksheet {wanted!r}; it has: "
                + ", ".join(repr(n) for n in worksheets)
            )
        if "Tracker" in worksheets:
            return worksheets["Tracker"]
        # followsync's own Summary sits first so a coach sees it; it is never the tracker.
        candidates = [
            ws for title, ws in worksheets.items() if title not in self.companion_sheets + ("History",)
        ]
        if not candidates:
            raise TrackerNotFound(f"{self.location} has no worksheets, only chart sheets")
        return candidates[0]

    # ------------------------------------------------------------------ writing

    def apply(self, changes: ChangeSet, *, force: bool = False) -> Applied:
        """Write ``changes`` into the workbook and save it atomically, keeping ``NAME.xlsx.bak``.

        Cells, colours, History rows and the Summary (new worksheets too) are spliced into the
        file's parts, and every other part is kept byte for byte. Adding a column, or a file the
        splice does not expect, goes through openpyxl, which rewrites the whole workbook and so
        first checks that nothing of the user's would be lost.
        """
        if not changes:
            return Applied()
        self._check_not_open()
        if (
            (self._book is None and self._wb is None)
            or self._changed_on_disk()
            or self._sheet != changes.sheet
        ):
            # saved by someone else since read(): locate the rows in what is there now
            self._open(sheet=changes.sheet)
        if self._book is not None:
            try:
                applied, data = self._splice(changes)
            except Unusual as e:
                log.debug("%s: writing with openpyxl (%s)", self.location, e)
                self._load(sheet=changes.sheet)
            else:
                if data is not None:  # None: every change was skipped, nothing to save
                    self._save(backup=True, data=data)
                    applied.write_calls = 1
                    self.last_save = "spliced"
                return applied
        if not force:
            self._check_nothing_lost()
        try:
            applied = self._write(changes)
        except BaseException:
            self._stamp = None  # the in-memory copy is half-changed: load again next time
            raise
        self._save(backup=True)
        applied.write_calls = 1
        self.last_save = "rewritten"
        return applied

    def _targets(self, where, changes: ChangeSet, merges: list[str], applied: Applied):
        """A function giving (grid row, column) for a change's row and column, or None to skip it."""
        merged = _merged_cells(
            merges,
            {
                where.columns[c.column] + 1
                for c in (*changes.cells, *changes.fills)
                if c.column in where.columns
            },
        )
        blocked: set[tuple[int, int]] = set()
        missing: set[str] = set()

        def target(ref, column):
            gi = where.rows.get(ref)
            if gi is None:
                return None  # skipped by locate, with its message
            col = where.columns.get(column)
            if col is None:
                if column not in missing:
                    missing.add(column)
                    applied.skipped.append(
                        f"sheet {self._sheet!r} has no column {column!r}; its cells were not written"
                    )
                return None
            rng = merged.get((gi + 1, col + 1))
            if rng is not None:
                if (gi, col) not in blocked:
                    blocked.add((gi, col))
                    applied.skipped.append(
                        f"sheet {self._sheet!r} row {gi + 1}, column {column!r} is part of merged cells {rng}; "
                        "not written. Unmerge those cells to let followsync fill them"
                    )
                return None
            return gi, col

        return target

    def _splice(self, changes: ChangeSet) -> tuple[Applied, bytes | None]:
        """The file's new bytes with ``changes`` spliced in; raises Unusual where openpyxl must do it."""
        book, scan, grid = self._book, self._scan, self._grid
        where = locate(changes, grid)
        if where.new_columns:
            raise Unusual("columns to add")
        applied = Applied(skipped=list(where.skipped))
        target = self._targets(where, changes, scan.merges, applied)
        wanted: dict[tuple[int, int], dict[str, Any]] = {}
        for ch in changes.cells:
            at = target(ch.row, ch.column)
            if at is not None:
                wanted.setdefault((at[0] + 1, at[1] + 1), {})["value"] = ch.value
                applied.cells += 1
        for ch in changes.fills:
            at = target(ch.row, ch.column)
            if at is not None:
                wanted.setdefault((at[0] + 1, at[1] + 1), {})["fill"] = ch.colour
                applied.fills += 1
        replaced: dict[str, bytes] = {}
        styles = book.styles()
        formats = {"date_format": DATE_FORMAT, "datetime_format": DATETIME_FORMAT}
        if wanted:
            replaced[book.parts[self._sheet]] = parts.splice_cells(
                scan, wanted, styles, book.epoch, keep_formulas=book.has_calc_chain, **formats
            )
            for (r, c), w in wanted.items():
                if "value" in w:
                    put_cell(grid, r - 1, c - 1, w["value"])
        added: dict[str, bytes] = {}
        activated = False
        for sw in changes.sheets:
            write = {
                "widths": _sheet_widths(sw),
                "styles": styles,
                "epoch": book.epoch,
                **formats,
            }
            part = book.parts.get(sw.name)
            if part is None and _namesake(book.sheetnames, sw.name, applied):
                continue
            if part is None:
                part, content = self._new_sheet(sw, replaced, write)
                added[part] = content
                activated = activated or sw.name == "Summary"
                continue
            other = book.scan(sw.name)
            first = list(other.grid[0]) if other.grid else []
            while first and first[-1] is None:
                first.pop()
            if sw.mode == "append" and first and [str(v) for v in first] != list(sw.header):
                applied.skipped.append(
                    f"worksheet {sw.name!r} is not followsync's (its first row differs); left it alone"
                )
                continue
            if sw.mode == "replace" and book.has_relations(part):
                raise Unusual(f"worksheet {sw.name} has drawings or comments")
            if sw.mode == "replace" and other.formulas and book.has_calc_chain:
                raise Unusual(f"worksheet {sw.name} has formulas in the calculation chain")
            replaced[part] = parts.splice_sheet(
                other, sw.header, sw.rows, replace=sw.mode == "replace", **write
            )
        if activated:
            # The new Summary is the tab a coach opening the file sees; no other tab stays selected.
            chart_sheets = [n for n in book.names if n.startswith("xl/chartsheets/") and n.endswith(".xml")]
            for p in [*book.parts.values(), *chart_sheets]:
                current = replaced.get(p) or book.read(p)
                unselected = parts.unselect_tab(current)
                if unselected is not current:
                    replaced[p] = unselected
        replaced = {
            p: data for p, data in replaced.items() if data != book.read(p)
        }  # clearing what was clear
        if not replaced and not added:
            return applied, None
        if styles.changed:
            replaced[book.styles_part] = styles.result()
        if wanted and book.has_formulas(self._sheet, scan):
            workbook = replaced.get(book.workbook_part) or book.read(book.workbook_part)  # with new sheets
            replaced[book.workbook_part] = parts.full_calc_on_load(workbook)
        return applied, parts.rewrite_zip(book.data, replaced, added)

    def _new_sheet(
        self, sw: SheetWrite, replaced: dict[str, bytes], write: dict[str, Any]
    ) -> tuple[str, bytes]:
        """A new worksheet part for ``sw``, registered in the workbook (its parts go in ``replaced``)."""
        book = self._book
        if sw.name in book.sheetnames:
            raise Unusual(f"{sw.name} is a chart sheet")
        folder = book.workbook_part.rpartition("/")[0]
        taken = set(book.names)
        k = 1
        while f"{folder}/worksheets/sheet{k}.xml".lstrip("/") in taken:
            k += 1
        part = f"{folder}/worksheets/sheet{k}.xml".lstrip("/")
        first = sw.name == "Summary"  # what a coach opening the file should see first
        skeleton = parts.scan_sheet(parts.empty_sheet(selected=first), shared_strings=[], epoch=book.epoch)
        content = parts.splice_sheet(skeleton, sw.header, sw.rows, replace=True, **write)
        rels_part = f"{folder}/_rels/{book.workbook_part.rpartition('/')[2]}.rels".lstrip("/")
        types_part = "[Content_Types].xml"
        wb_xml, rels_xml, types_xml = parts.add_sheet(
            replaced.get(book.workbook_part) or book.read(book.workbook_part),
            replaced.get(rels_part) or book.read(rels_part),
            replaced.get(types_part) or book.read(types_part),
            name=sw.name,
            part=part,
            workbook_part=book.workbook_part,
            first=first,
        )
        replaced.update({book.workbook_part: wb_xml, rels_part: rels_xml, types_part: types_xml})
        book.names.append(part)
        return part, content

    def _write(self, changes: ChangeSet) -> Applied:
        ws = self._wb[self._sheet]
        grid = self._grid
        where = locate(changes, grid)
        applied = Applied(skipped=list(where.skipped), columns_added=len(where.new_columns))
        hr = where.header_row
        if where.new_columns:
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
                    f"sheet {self._sheet!r}: column {letter} has no header but holds values (row {taken + 1}); "
                    f"followsync would add its column {name!r} there. Nothing was written",
                    hint=f"give column {letter} a header, or move its values, and run again",
                )
        if where.new_columns:
            last = ws.cell(hr + 1, min(where.new_columns.values()))  # the rightmost existing header cell
            for name, col in where.new_columns.items():
                cell = ws.cell(hr + 1, col + 1, name)
                if last.has_style:
                    cell._style = copy(last._style)
                put_cell(grid, hr, col, name)
        target = self._targets(where, changes, [r.coord for r in ws.merged_cells.ranges], applied)

        for ch in changes.cells:
            at = target(ch.row, ch.column)
            if at is None:
                continue
            gi, col = at
            existing = ws._cells.get((gi + 1, col + 1))
            if ch.value is None and existing is None:
                pass  # already blank; don't create a cell just to empty it
            else:
                _set_value(existing or ws.cell(gi + 1, col + 1), ch.value)
                put_cell(grid, gi, col, ch.value)
            applied.cells += 1
        fills: dict[str | None, PatternFill] = {}
        for ch in changes.fills:
            at = target(ch.row, ch.column)
            if at is None:
                continue
            gi, col = at
            existing = ws._cells.get((gi + 1, col + 1))
            if ch.colour is None and (existing is None or existing.fill.fill_type is None):
                applied.fills += 1
                continue
            if ch.colour not in fills:
                fills[ch.colour] = _pattern(ch.colour)
            (existing or ws.cell(gi + 1, col + 1)).fill = fills[ch.colour]
            applied.fills += 1
        for sw in changes.sheets:
            if sw.name not in self._wb.sheetnames and _namesake(self._wb.sheetnames, sw.name, applied):
                continue
            existing = wb[sw.name] if (wb := self._wb) and sw.name in wb.sheetnames else None
            first = [c.value for c in existing[1]] if existing is not None and existing.max_row >= 1 else []
            while first and first[-1] is None:
                first.pop()
            if (
                existing is not None
                and sw.mode == "append"
                and first
                and [str(v) for v in first] != list(sw.header)
            ):
                applied.skipped.append(
                    f"worksheet {sw.name!r} is not followsync's (its first row differs); left it alone"
                )
                continue
            self._write_sheet(sw)
        return applied

    def _write_sheet(self, sw: SheetWrite) -> None:
        """Append to (History) or replace (Summary) another worksheet, making it if needed."""
        wb = self._wb
        ws = wb[sw.name] if sw.name in wb.sheetnames else None
        if ws is not None and sw.mode == "replace":
            wb.remove(ws)
            ws = None
        if ws is None:
            # The Summary is what a coach opening the file should see first.
            index = 0 if sw.name == "Summary" else len(wb.sheetnames)
            ws = wb.create_sheet(sw.name, index)
            ws.append(list(sw.header))
            bold = Font(bold=True)
            for cell in ws[1]:
                cell.font = bold
            ws.freeze_panes = "A2"
            for i, width in enumerate(_sheet_widths(sw), 1):
                ws.column_dimensions[get_column_letter(i)].width = width
        first = ws.max_row + 1  # blank rows (the Summary's spacers) count too
        for r, row in enumerate(sw.rows, first):
            for c, value in enumerate(row, 1):
                if value is not None and value != "":
                    _set_value(ws.cell(r, c), value)
        if sw.name == "Summary":
            wb.active = wb.sheetnames.index("Summary")

    def read_sheet(self, name: str) -> list[list[Any]] | None:
        if self._book is None and self._wb is None:
            self._open()
        if self._book is not None:
            if name not in self._book.parts:
                return None
            try:
                scan = self._book.scan(name)
            except Unusual:
                self._load(self._sheet)
            else:
                width = scan.max_col
                grid = scan.grid
                return [
                    (list(grid[r]) if r < len(grid) else [])
                    + [None] * (width - (len(grid[r]) if r < len(grid) else 0))
                    for r in range(scan.max_row)
                ]
        if name not in self._wb.sheetnames:
            return None
        return [list(r) for r in self._wb[name].iter_rows(values_only=True)]

    def _check_not_open(self) -> None:
        folder, name = self.path.parent, self.path.name
        # Excel's owner file is "~$" + the name, with the name's first two characters dropped
        # when it is long; both forms are checked.
        for owner in {f"~${name}", f"~${name[2:]}"}:
            if (folder / owner).exists():
                raise TrackerBusy(
                    f"{self.location} is open in Microsoft Excel (found {owner}); close it and run again",
                    hint=f"if Excel is not running, delete {folder / owner}",
                )
        lock = folder / f".~lock.{name}#"
        if lock.exists():
            raise TrackerBusy(
                f"{self.location} is open in LibreOffice (found {lock.name}); close it and run again",
                hint=f"if LibreOffice is not running, delete {lock}",
            )

    def _check_nothing_lost(self) -> None:
        kinds = sorted(
            {
                kind
                for p in self._parts
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
                f"(the current file is kept as {self.path.name}.bak)",
            )
        if self._lost:
            raise WriteRefused(
                f"{self.location} uses features followsync's .xlsx library cannot keep ({'; '.join(self._lost)}). "
                "Nothing was written",
                hint="run again with --force to write anyway "
                f"(the current file is kept as {self.path.name}.bak)",
            )

    def _changed_on_disk(self) -> bool:
        """Whether the file is no longer the one loaded (someone saved it since)."""
        try:
            if self._stamp is None or _stamp(os.stat(self.path)) != self._stamp:
                return True
            return _digest(self.path.read_bytes()) != self._digest
        except OSError:
            return True

    def _save(self, *, backup: bool, data: bytes | None = None) -> None:
        """Save ``data`` (else the openpyxl workbook) to a temporary file beside the tracker,
        keep a .bak, then rename over the tracker."""
        wb = self._wb
        # A tracker reached through a symlink (a synced folder, say) is replaced where it really is.
        target = Path(os.path.realpath(self.path))
        folder = target.parent
        tmp = folder / f".{target.name}.{secrets.token_hex(4)}.tmp"
        try:
            # O_EXCL with 0o666: a new file gets the user's umask, like any file they create
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            if data is not None:
                with open(tmp, "wb") as f:
                    f.write(data)
                    f.flush()
                    os.fsync(f.fileno())
            else:
                wb.calculation.fullCalcOnLoad = True  # formulas may read the cells just written
                with _keeping_results(wb[self._sheet], self._results):
                    wb.save(tmp)
            # stat after the save: a coach who saved meanwhile must not be overwritten
            old = os.stat(target) if backup else None
            if old is not None:
                if self._changed_on_disk():
                    raise TrackerBusy(f"{self.location} was saved by someone else while followsync wrote it")
                bak_tmp = folder / f".{target.name}.{secrets.token_hex(4)}.bak.tmp"
                try:
                    shutil.copy2(target, bak_tmp)
                    os.replace(bak_tmp, folder / f"{target.name}.bak")
                finally:
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(bak_tmp)
                os.chmod(tmp, stat.S_IMODE(old.st_mode))
            os.replace(tmp, target)
        except BaseException as e:
            self._stamp = None
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            if isinstance(e, TrackerError):
                raise type(e)(f"{e.message}; nothing was written, run followsync again", hint=e.hint) from e
            if not isinstance(e, Exception):
                raise
            raise TrackerError(
                f"could not save {self.location} ({_brief(e)}); the file is unchanged",
                hint=f"check that {folder} is writable",
            ) from e
        try:
            self._stamp, self._digest = _stamp(os.stat(target)), _digest(target.read_bytes())
        except OSError:
            self._stamp = None
        self._lost = []  # whatever openpyxl dropped is gone from the file now
        self._book = self._scan = None  # offsets into the old bytes: scan again before the next write
        with contextlib.suppress(OSError, zipfile.BadZipFile), zipfile.ZipFile(target) as z:
            self._parts = z.namelist()

    # ------------------------------------------------------------------ creating

    def create(self, layout: Layout, rows: Sequence[dict[str, Any]] = ()) -> None:
        """Make a new tracker at ``path`` from ``layout``; refuses to overwrite an existing file."""
        if self.path.exists():
            raise UsageError(f"{self.location} already exists; followsync won't overwrite it")
        if not self.path.parent.is_dir():
            raise UsageError(f"cannot create {self.location}: folder {self.path.parent} does not exist")
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = layout.worksheet
        bold = Font(bold=True)
        header_fill = _pattern(layout.header_fill)
        align = Alignment(vertical="top", wrap_text=True)
        last = get_column_letter(max(1, len(layout.columns)))
        for i, lc in enumerate(layout.columns, start=1):
            letter = get_column_letter(i)
            cell = ws.cell(1, i, lc.column.name)
            cell.font, cell.fill, cell.alignment = bold, header_fill, align
            if lc.note:
                cell.comment = Comment(lc.note, "followsync", width=300, height=120)
            dim = ws.column_dimensions[letter]
            dim.width = lc.width
            dim.hidden = lc.hidden
            if lc.number_format:
                # rows 2..1000, cell by cell: a column style would not reach cells openpyxl creates
                for r in range(2, VALIDATION_ROWS + 1):
                    ws.cell(r, i).number_format = lc.number_format
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
                dv.add(f"{letter}2:{letter}{VALIDATION_ROWS}")
                ws.add_data_validation(dv)
        ws.freeze_panes = "A2"
        for r, row in enumerate(rows, start=2):
            for i, lc in enumerate(layout.columns, start=1):
                value = row.get(lc.column.name)
                if value is not None:
                    _set_value(ws.cell(r, i), value, lc.number_format)
        ws.auto_filter.ref = f"A1:{last}{max(VALIDATION_ROWS, len(rows) + 1)}"
        self._wb, self._sheet, self._results = wb, ws.title, {}
        self._save(backup=False)
        self._wb = None  # read() loads the file as saved

    def lock_name(self) -> str:
        return str(self.path.resolve())

    def close(self) -> None:
        self._wb = None
        self._book = self._scan = None
        self._grid = []
        self._results = {}


# ---------------------------------------------------------------------- helpers


class _Book:
    """The file's bytes, and what openpyxl's read-only loader says of them (no cells loaded).

    Raises :class:`Unusual` for whatever it can't take; the backend then loads with openpyxl,
    which gives the user-facing error if the file is really broken.
    """

    def __init__(self, data: bytes):
        self.data = data
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(data))
            self.names = self.zip.namelist()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, rich_text=False)
        except Exception as e:
            raise Unusual(str(e)) from e
        try:
            self.workbook = wb
            self.parts = {ws.title: ws._worksheet_path.lstrip("/") for ws in wb.worksheets}
            self.sheetnames = list(wb.sheetnames)
            # The read-only loader hands the shared strings to each worksheet, not to the workbook.
            self.shared_strings = list(wb.worksheets[0]._shared_strings) if wb.worksheets else []
            self.date_styles = frozenset(wb._date_formats)
            self.timedelta_styles = frozenset(wb._timedelta_formats)
            self.epoch = wb.epoch
            self._cell_styles = list(wb._cell_styles)
            self._fills = list(wb._fills)
        finally:
            wb.close()
        self.workbook_part = _office_document(self.zip)
        self.styles_part = "xl/styles.xml"  # where openpyxl looks for it too
        self.has_calc_chain = any(n.endswith("calcChain.xml") for n in self.names)
        self._colours: dict[int, str | None] = {}
        self._scans: dict[str, parts.SheetScan] = {}

    def read(self, part: str) -> bytes:
        try:
            return self.zip.read(part)
        except KeyError:
            raise Unusual(f"no part {part}") from None

    def scan(self, title: str) -> parts.SheetScan:
        if title not in self._scans:
            self._scans[title] = parts.scan_sheet(
                self.read(self.parts[title]),
                shared_strings=self.shared_strings,
                date_styles=self.date_styles,
                timedelta_styles=self.timedelta_styles,
                epoch=self.epoch,
            )
        return self._scans[title]

    def styles(self) -> parts.StyleBook:
        return parts.StyleBook(self.read(self.styles_part))

    def colour(self, style: int) -> str | None:
        """The solid background of cell format ``style``, as openpyxl reads it."""
        if style not in self._colours:
            colour = None
            if 0 <= style < len(self._cell_styles):
                fill_id = self._cell_styles[style].fillId
                if 0 <= fill_id < len(self._fills):
                    colour = _solid_colour(self._fills[fill_id])
            self._colours[style] = colour
        return self._colours[style]

    def has_relations(self, part: str) -> bool:
        folder, _, name = part.rpartition("/")
        return f"{folder}/_rels/{name}.rels" in self.names

    def has_formulas(self, title: str, scan: parts.SheetScan) -> bool:
        """Whether any worksheet holds a formula (one may read the tracker's cells)."""
        if scan.formulas:
            return True
        return any(parts.holds_formulas(self.read(p)) for t, p in self.parts.items() if t != title)


def _namesake(sheetnames: list[str], name: str, applied: Applied) -> bool:
    """Whether another sheet has ``name`` in other letter case (noted in ``applied``).

    Excel takes sheet names case-insensitively: adding ``name`` beside it makes a corrupt file.
    """
    other = next((t for t in sheetnames if t.casefold() == name.casefold() and t != name), None)
    if other is not None:
        applied.skipped.append(
            f"worksheet {other!r} has the name of followsync's {name} sheet; left it alone "
            f"(rename it to get followsync's {name})"
        )
    return other is not None


def _office_document(archive: zipfile.ZipFile) -> str:
    """The workbook part's name, from the package's relationships."""
    import re

    try:
        rels = archive.read("_rels/.rels").decode("utf-8", "replace")
    except KeyError:
        raise Unusual("no _rels/.rels") from None
    for tag in re.findall(r"<(?:\w+:)?Relationship\b[^>]*>", rels):
        if re.search(r"""Type\s*=\s*["'][^"']*/officeDocument["']""", tag):
            target = re.search(r"""Target\s*=\s*["']([^"']+)["']""", tag)
            if target:
                return target.group(1).lstrip("/")
    raise Unusual("no workbook part")


def _digest(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()


def _sheet_widths(sw: SheetWrite) -> list[int]:
    widths = []
    for i, head in enumerate(sw.header):
        longest = max(
            [len(str(head or ""))] + [len(str(r[i])) for r in sw.rows[:50] if i < len(r) and r[i] is not None]
        )
        widths.append(min(max(10, longest + 2), 60))
    return widths


def _stamp(st: os.stat_result) -> tuple[int, int]:
    return st.st_mtime_ns, st.st_size


def _brief(e: BaseException) -> str:
    text = str(e).strip() or type(e).__name__
    return text if len(text) <= 200 else text[:197] + "..."


def _grid(ws) -> tuple[list[list[Any]], dict[tuple[int, int], Any]]:
    """Every row's raw values (trailing blank rows dropped), and the formula cells found."""
    # Sized by the cells that hold values: a styled but empty cell far down or right (say
    # XFD1048576) must not make a grid of millions of Nones.
    rows: dict[int, list[Any]] = {}
    formulas: dict[tuple[int, int], Any] = {}
    for (r, c), cell in ws._cells.items():
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
        scan = _Book(data).scan(title)
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


def _results_by_openpyxl(ws, formulas) -> dict[tuple[int, int], Any]:
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


def _solid_colour(fill) -> str | None:
    if fill is None or fill.fill_type != "solid":
        return None
    colour = fill.fgColor
    if colour is None or colour.type != "rgb" or not isinstance(colour.rgb, str) or len(colour.rgb) < 6:
        return None  # theme and indexed colours: no stable RGB to compare
    return "#" + colour.rgb[-6:].upper()


def _pattern(colour: str | None) -> PatternFill:
    if not colour:
        return PatternFill(fill_type=None)
    argb = "FF" + colour.lstrip("#").upper()
    return PatternFill(fill_type="solid", start_color=argb, end_color=argb)


def _set_value(cell, value: Any, date_format: str | None = None) -> None:
    """Store a value the way a person would have typed it: dates as dates, text as text."""
    if isinstance(value, str):
        # Control characters make the file unreadable, and Excel holds 32,767 characters a cell.
        value = parts.clean_text(value)
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


def _merged_cells(ranges: list[str], columns: set[int]) -> dict[tuple[int, int], str]:
    """(row, col) -> range, for the merged cells (ranges like "A1:B2") in ``columns`` (1-based)."""
    out: dict[tuple[int, int], str] = {}
    for coord in ranges:
        try:
            min_col, min_row, max_col, max_row = range_boundaries(coord)
        except (ValueError, TypeError):
            continue
        for c in columns:
            if (min_col or 1) <= c <= (max_col or min_col or 1):
                for r in range(min_row or 1, (max_row or min_row or 1) + 1):
                    out[(r, c)] = coord
    return out


@contextlib.contextmanager
def _keeping_results(ws, results: dict[tuple[int, int], Any]):
    """While saving, write each formula of ``ws`` with the result Excel saved for it.

    openpyxl writes formulas without results, so the next ``read`` would find none until the
    file is opened in Excel; the results read from the file are still right for every formula
    that does not depend on followsync's cells, and Excel recalculates on opening anyway.
    """
    if not results:
        yield
        return
    original = _ws_writer.write_cell

    def write_cell(xf, worksheet, cell, styled=None):
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

    _ws_writer.write_cell = write_cell
    try:
        yield
    finally:
        _ws_writer.write_cell = original
