"""The fast path: a workbook read from its parts and written by splicing changes into them.

:class:`SplicedBook` scans the tracker sheet's XML (:mod:`.scan`) and, on a write, splices
followsync's cells, colours, History rows and the Summary into the parts (:mod:`.xml`), keeping
every other part byte for byte. Whatever it does not expect raises :class:`~.scan.Unusual`, and
the backend falls back to :class:`~.rewritten.RewrittenBook`.
"""

from __future__ import annotations

import io
import re
import warnings
import zipfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.utils import get_column_letter

from ...core.changes import Applied, ChangeSet, SheetWrite, put_cell
from ...core.mailto import COLUMN as LINK_COLUMN
from ...core.own_sheets import find_title
from ..base import foreign_sheet, locate, owns_sheet
from . import xml
from .links import rels_part, splice_links
from .package import Package, full_calc_on_load, read_package
from .row_memo import memo_name
from .scan import SheetScan, Unusual, holds_formulas, scan_chunks, scan_sheet
from .styles import StyleBook, solid_colour
from .writes import (
    DATE_FORMAT,
    DATETIME_FORMAT,
    DEFAULT_WIDTH,
    layout_columns,
    row_height,
    sheet_widths,
    targets,
    wraps,
)

PIECE = 1 << 22  # 4 MiB of a worksheet part scanned at a time
_UNKNOWN: Any = object()


class SplicedBook:
    """The file's bytes, its small parts read directly (:mod:`.package`), and the tracker sheet's scan.

    ``pick`` names the tracker's worksheet from the workbook; its scan gives ``grid``.

    Raises :class:`Unusual` for whatever it can't take; the backend then loads with openpyxl,
    which gives the user-facing error if the file is really broken.
    """

    def __init__(self, data: bytes, pick: Callable[[Any], str], memos: Path | None = None):
        self.data = data
        self.memos = memos  # the folder of this file's row memos (.row_memo); None: no memo
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(data))
            self.names = self.zip.namelist()
        except Exception as e:
            raise Unusual(str(e)) from e
        try:
            # The small parts read directly, without loading the workbook (issue 17).
            wb: Any = read_package(self.zip, self.names)
        except Unusual:
            wb = self._loaded(data)  # what openpyxl's read-only loader says instead
        self.parts = dict(wb.parts)
        self.sheetnames = list(wb.sheetnames)
        self.shared_strings = wb.shared_strings
        self.date_styles = frozenset(wb.date_styles)
        self.timedelta_styles = frozenset(wb.timedelta_styles)
        self.epoch = wb.epoch
        self._xf_fills = list(wb.xf_fills)
        self._fills = list(wb.fills)
        self.workbook_part = _office_document(self.zip)
        self.styles_part = "xl/styles.xml"  # where openpyxl looks for it too
        self.has_calc_chain = any(n.endswith("calcChain.xml") for n in self.names)
        self._colours: dict[int, str | None] = {}
        self._scans: dict[str, SheetScan] = {}
        self.sheet = pick(wb)
        self.scan = self.scan_of(self.sheet)
        self.grid = self.scan.grid

    @staticmethod
    def _loaded(data: bytes) -> Package:
        """The same facts from openpyxl's read-only loader (no cells loaded), for the files the
        direct read does not take."""
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, rich_text=False)
        except Exception as e:
            raise Unusual(str(e)) from e
        try:
            # openpyxl's read-only loader keeps these in private attributes its stubs don't declare.
            loaded: Any = wb
            return Package(
                workbook_part="",
                parts={ws.title: ws._worksheet_path.lstrip("/") for ws in loaded.worksheets},
                sheetnames=list(wb.sheetnames),
                # The read-only loader hands the shared strings to each worksheet, not to the workbook.
                shared_strings=list(loaded.worksheets[0]._shared_strings) if wb.worksheets else [],
                date_styles=frozenset(loaded._date_formats),
                timedelta_styles=frozenset(loaded._timedelta_formats),
                epoch=wb.epoch,
                xf_fills=[xf.fillId for xf in loaded._cell_styles],
                fills=list(loaded._fills),
            )
        finally:
            wb.close()

    # ------------------------------------------------------------------ reading

    def read(self, part: str) -> bytes:
        try:
            return self.zip.read(part)
        except KeyError:
            raise Unusual(f"no part {part}") from None

    def scan_of(self, title: str) -> SheetScan:
        if title not in self._scans:
            part = self.parts[title]
            # The part is scanned as it is inflated, and none of it is kept: a day that writes
            # nothing needs none of its bytes after the scan. A write reads them again from the
            # same zip bytes (self.data), so the scan's offsets hold for them.
            self._scans[title] = scan_chunks(
                self._pieces(part),
                lambda: self.read(part),
                shared_strings=self.shared_strings,
                date_styles=self.date_styles,
                timedelta_styles=self.timedelta_styles,
                epoch=self.epoch,
                memo_file=None if self.memos is None else self.memos / memo_name(part),
            )
        return self._scans[title]

    def _pieces(self, part: str) -> Iterator[bytes]:
        """The part's bytes, inflated a few MiB at a time."""
        try:
            f = self.zip.open(part)
        except KeyError:
            raise Unusual(f"no part {part}") from None
        with f:
            while piece := f.read(PIECE):
                yield piece

    def styles(self) -> StyleBook:
        return StyleBook(self.read(self.styles_part))

    def colour(self, style: int) -> str | None:
        """The solid background of cell format ``style``, as openpyxl reads it."""
        if style not in self._colours:
            colour = None
            if 0 <= style < len(self._xf_fills):
                fill_id = self._xf_fills[style]
                if 0 <= fill_id < len(self._fills):
                    colour = solid_colour(self._fills[fill_id])
            self._colours[style] = colour
        return self._colours[style]

    def colour_at(self, row: int, col: int) -> str | None:
        """The solid background of the tracker sheet's cell at (row, col), 1-based."""
        style = self.scan.style_at(row, col)
        return None if style is None else self.colour(style)

    def fills(self, columns: list[int], rows: range) -> Mapping[tuple[int, int], str]:
        """Snapshot.fills for the grid's ``columns`` in grid rows ``rows`` (0-based), looked up
        when asked: a dict of them is 13 MB at 50,000 rows (issue 17)."""
        return _Fills(self, frozenset(columns), rows)

    def read_sheet(self, name: str) -> list[list[Any]] | None:
        """Worksheet ``name``'s values (found without letter case), every row as wide as the
        widest (None: no such worksheet)."""
        name = find_title(self.parts, name) or name
        if name not in self.parts:
            return None
        scan = self.scan_of(name)
        width = scan.max_col
        grid = scan.grid
        return [
            (grid[r] + [None] * (width - len(grid[r]))) if r < len(grid) else [None] * width
            for r in range(scan.max_row)
        ]

    def has_relations(self, part: str) -> bool:
        folder, _, name = part.rpartition("/")
        return f"{folder}/_rels/{name}.rels" in self.names

    def has_formulas(self, title: str, scan: SheetScan) -> bool:
        """Whether any worksheet holds a formula (one may read the tracker's cells)."""
        if scan.formulas:
            return True
        return any(holds_formulas(self.read(p)) for t, p in self.parts.items() if t != title)

    # ------------------------------------------------------------------ writing

    def write(self, changes: ChangeSet) -> tuple[Applied, bytes | None]:
        """The file's new bytes with ``changes`` spliced in; raises Unusual where openpyxl must do it.

        None for the bytes: every change was skipped, nothing to save.
        """
        where = locate(changes, self.grid)
        if where.new_columns:
            raise Unusual("columns to add")
        applied = Applied(skipped=list(where.skipped))
        target = targets(self.sheet, where, changes, self.scan.merges, applied)
        wanted: dict[tuple[int, int], dict[str, Any]] = {}
        layout = layout_columns()
        wrapped = frozenset(name for name, lc in layout.items() if lc.wrap)
        tall: set[int] = set()  # rows where a multi-line cell is written: their height follows it
        for ch in changes.cells:
            at = target(ch.row, ch.column)
            if at is not None:
                w = wanted.setdefault((at[0] + 1, at[1] + 1), {})
                w["value"] = ch.value
                if wraps(ch.column, ch.value, wrapped):
                    if ch.value is not None:  # a cell emptied keeps the format it has
                        w["wrap"] = True
                    tall.add(at[0])
                applied.cells += 1
        for fill in changes.fills:
            at = target(fill.row, fill.column)
            if at is not None:
                wanted.setdefault((at[0] + 1, at[1] + 1), {})["fill"] = fill.colour
                applied.fills += 1
        replaced: dict[str, bytes] = {}
        styles = self.styles()
        if wanted:
            replaced[self.parts[self.sheet]] = xml.splice_cells(
                self.scan,
                wanted,
                styles,
                self.epoch,
                keep_formulas=self.has_calc_chain,
                date_format=DATE_FORMAT,
                datetime_format=DATETIME_FORMAT,
                heights=self._heights(tall, wanted, where.columns, layout, wrapped),
            )
            self._put_values(wanted)
        links_added = self._link_cells(changes, target, replaced)
        added = self._write_sheets(changes, styles, replaced, applied)
        added.update(links_added)
        replaced = {
            p: data for p, data in replaced.items() if data != self.read(p)
        }  # clearing what was clear
        if not replaced and not added:
            return applied, None
        if styles.changed:
            replaced[self.styles_part] = styles.result()
        if wanted and self.has_formulas(self.sheet, self.scan):
            workbook = replaced.get(self.workbook_part) or self.read(self.workbook_part)  # with new sheets
            replaced[self.workbook_part] = full_calc_on_load(workbook)
        return applied, xml.rewrite_zip(self.data, replaced, added)

    def _link_cells(self, changes: ChangeSet, target: Any, replaced: dict[str, bytes]) -> dict[str, bytes]:
        """The Mail link cells written made real hyperlinks (or unlinked when emptied): the sheet
        part in ``replaced`` edited, its relationships part replaced, or returned when it is new."""
        links = {}
        for ch in changes.cells:
            if ch.column == LINK_COLUMN and (at := target(ch.row, ch.column)) is not None:
                links[f"{get_column_letter(at[1] + 1)}{at[0] + 1}"] = (
                    ch.value if isinstance(ch.value, str) else None
                )
        if not links:
            return {}
        part = self.parts[self.sheet]
        rels_name = rels_part(part)
        had_rels = rels_name in self.names
        sheet, rels = splice_links(
            replaced.get(part) or self.read(part), self.read(rels_name) if had_rels else None, links
        )
        replaced[part] = sheet
        if had_rels:
            replaced[rels_name] = rels
            return {}
        return {rels_name: rels}

    def _heights(
        self,
        rows: set[int],
        wanted: dict[tuple[int, int], dict[str, Any]],
        columns: dict[str, int],
        layout: dict[str, Any],
        wrapped: frozenset[str],
    ) -> dict[int, tuple[float, float]]:
        """Sheet row (1-based) -> the heights in points that show every line of its multi-line
        cells as they were and as they are after this write, for the grid rows in ``rows``."""
        out: dict[int, tuple[float, float]] = {}
        for gi in rows:
            row = self.grid[gi] if gi < len(self.grid) else []
            before, after = [], []
            for name, col in columns.items():
                old = row[col] if col < len(row) else None
                w = wanted.get((gi + 1, col + 1))
                new = w["value"] if w is not None and "value" in w else old
                lc = layout.get(name)
                width = lc.width if lc is not None else DEFAULT_WIDTH
                if isinstance(old, str) and wraps(name, old, wrapped):
                    before.append((old, width))
                if isinstance(new, str) and wraps(name, new, wrapped):
                    after.append((new, width))
            out[gi + 1] = (row_height(before), row_height(after))
        return out

    def _put_values(self, wanted: dict[tuple[int, int], dict[str, Any]]) -> None:
        """Put the values written into the grid, each row written a new list: the old one is
        also a row of the Snapshot read (XlsxBackend.read), which stays as it was read."""
        fresh: set[int] = set()
        for (r, c), w in wanted.items():
            if "value" in w:
                if r not in fresh and r <= len(self.grid):
                    self.grid[r - 1] = list(self.grid[r - 1])
                    fresh.add(r)
                put_cell(self.grid, r - 1, c - 1, w["value"])

    def _write_sheets(
        self, changes: ChangeSet, styles: StyleBook, replaced: dict[str, bytes], applied: Applied
    ) -> dict[str, bytes]:
        """Splice the other worksheets' rows in (their parts go in ``replaced``); the parts added."""
        added: dict[str, bytes] = {}
        summary_added = False
        for sw in changes.sheets:
            widths = sheet_widths(sw)
            # Excel takes sheet names without case: the worksheet of that name in any case is it.
            title = find_title(self.parts, sw.name)
            if title is None:
                part, content = self._new_sheet(sw, replaced, widths, styles)
                added[part] = content
                summary_added = summary_added or sw.show_first
                continue
            part, other = self.parts[title], self.scan_of(title)
            if sw.mode == "append" and not owns_sheet(other.grid[0] if other.grid else None, sw.header):
                applied.skipped.append(foreign_sheet(title))
                continue
            whole = sw.mode != "append"  # an update is spliced as the whole worksheet it makes
            if whole and self.has_relations(part):
                raise Unusual(f"worksheet {title} has drawings or comments")
            if whole and other.formulas and self.has_calc_chain:
                raise Unusual(f"worksheet {title} has formulas in the calculation chain")
            replaced[part] = self._splice_sheet(other, sw, widths, styles, replace=whole)
        if summary_added:
            self._select_tracker(replaced)
        return added

    def _splice_sheet(
        self, scan: SheetScan, sw: SheetWrite, widths: list[int], styles: StyleBook, *, replace: bool
    ) -> bytes:
        return xml.splice_sheet(
            scan,
            sw.header,
            sw.rows,
            replace=replace,
            widths=widths,
            styles=styles,
            epoch=self.epoch,
            date_format=DATE_FORMAT,
            datetime_format=DATETIME_FORMAT,
        )

    def _select_tracker(self, replaced: dict[str, bytes]) -> None:
        """The workbook opens on the tracker (the new Summary sits first, but is not the active
        tab): the tracker's tab is the one selected, no other stays selected."""
        chart_sheets = [n for n in self.names if n.startswith("xl/chartsheets/") and n.endswith(".xml")]
        tracker = self.parts[self.sheet]
        for p in [*self.parts.values(), *chart_sheets]:
            current = replaced.get(p) or self.read(p)
            changed = xml.select_tab(current) if p == tracker else xml.unselect_tab(current)
            if changed is not current:
                replaced[p] = changed

    def _new_sheet(
        self, sw: SheetWrite, replaced: dict[str, bytes], widths: list[int], styles: StyleBook
    ) -> tuple[str, bytes]:
        """A new worksheet part for ``sw``, registered in the workbook (its parts go in ``replaced``)."""
        if find_title(self.sheetnames, sw.name) is not None:
            raise Unusual(f"{sw.name} is a chart sheet")
        folder = self.workbook_part.rpartition("/")[0]
        taken = set(self.names)
        k = 1
        while f"{folder}/worksheets/sheet{k}.xml".lstrip("/") in taken:
            k += 1
        part = f"{folder}/worksheets/sheet{k}.xml".lstrip("/")
        first = sw.show_first  # the first tab, left of the tracker (which stays the active one)
        skeleton = scan_sheet(xml.empty_sheet(selected=False), shared_strings=[], epoch=self.epoch)
        content = self._splice_sheet(skeleton, sw, widths, styles, replace=True)
        rels_part = f"{folder}/_rels/{self.workbook_part.rpartition('/')[2]}.rels".lstrip("/")
        types_part = "[Content_Types].xml"
        wb_xml, rels_xml, types_xml = xml.add_sheet(
            replaced.get(self.workbook_part) or self.read(self.workbook_part),
            replaced.get(rels_part) or self.read(rels_part),
            replaced.get(types_part) or self.read(types_part),
            name=sw.name,
            part=part,
            workbook_part=self.workbook_part,
            first=first,
            active=self.sheetnames.index(self.sheet) + 1 if first else None,
        )
        replaced.update({self.workbook_part: wb_xml, rels_part: rels_xml, types_part: types_xml})
        self.names.append(part)
        return part, content


def _office_document(archive: zipfile.ZipFile) -> str:
    """The workbook part's name, from the package's relationships."""
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


class _Fills(Mapping[tuple[int, int], str]):
    """(grid row, grid column) -> the solid background of that cell of the tracker sheet, for
    the colour columns: worked out from the scan when asked. Rows alike share one list of their
    cells' styles (scan._alike_shared), so a colour is looked up once per list and column. The
    scan does not change once read (a write gives the file new bytes and a new scan)."""

    def __init__(self, book: SplicedBook, columns: frozenset[int], rows: range):
        self._book, self._columns, self._rows = book, columns, rows
        self._styles = book.scan.cell_styles
        self._by_list: dict[tuple[int, int], str | None] = {}  # (id of a row's list, column) -> colour
        self._all: dict[tuple[int, int], str] | None = None

    def get(self, key: tuple[int, int], default: Any = None) -> Any:
        gi, col = key
        if col in self._columns and gi in self._rows:
            pairs = self._styles.get(gi + 1)
            if pairs is not None:
                known = (id(pairs), col)  # the list is alive in the scan: its id stays its own
                colour = self._by_list.get(known, _UNKNOWN)
                if colour is _UNKNOWN:
                    colour = self._by_list[known] = self._book.colour_at(gi + 1, col + 1)
                if colour:
                    return colour
        return default

    def __getitem__(self, key: tuple[int, int]) -> str:
        colour = self.get(key)
        if colour is None:
            raise KeyError(key)
        return colour

    def _every(self) -> dict[tuple[int, int], str]:
        if self._all is None:
            self._all = {
                (gi, col): c
                for col in sorted(self._columns)
                for gi in self._rows
                if (c := self.get((gi, col)))
            }
        return self._all

    def __iter__(self) -> Iterator[tuple[int, int]]:
        return iter(self._every())

    def __len__(self) -> int:
        return len(self._every())
