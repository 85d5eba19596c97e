"""Reading a worksheet part: its values as openpyxl gives them, and where each piece sits.

A worksheet part is scanned once, piece by piece as it is inflated (:func:`scan_chunks`; the
cells by :mod:`.quick`, the rest by expat's handlers), noting where each row sits in the part's
bytes and each cell's column and style. Where a row's cells are is found again in that row's
bytes when :mod:`.xml` splices new cells into them (:meth:`SheetScan.cells_in`): a day that
writes nothing keeps neither the part nor a million offsets (issue 17). Anything the scan does
not expect raises :class:`Unusual`, and the caller falls back to openpyxl.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import re
from collections.abc import Callable, Iterable, Iterator, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.parsers import expat

from openpyxl.formula.translate import Translator
from openpyxl.utils import column_index_from_string

from ...core.cells import CellError
from .spans import RowSpans
from .values import UNSAVED, formula_result, typed

if TYPE_CHECKING:
    from .row_memo import PartMemo

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_TAG_ENDS = (b">", b" ", b"\t", b"\n", b"\r")


class Unusual(Exception):
    """Something this module does not handle; the caller uses openpyxl instead."""


def no_result(formula: str) -> CellError:
    return CellError(f"formula {formula} has no saved result; open and save the file in Excel or LibreOffice")


# ---------------------------------------------------------------------- scanning

#: where a cell is: (column, offset of "<c", offset of its end event, style); see SheetScan.cell_span
Position = tuple[int, int, int, int]


@dataclass
class SheetScan:
    """One worksheet part, read: its values and where its pieces are in the part's bytes.

    Rows and columns are 1-based here, as in the file. ``grid`` is 0-based (``grid[0]`` is
    row 1) with trailing blank rows dropped, as :class:`~followsync.backends.base.Snapshot`
    wants it; a formula's place holds its saved result.

    Where each cell sits is not noted by the scan (a million offsets at 50,000 rows, issue 17):
    :meth:`cells_in` finds a row's cells again in its bytes when a write needs them.
    """

    part: bytes | None = field(repr=False, compare=False)  # the part's bytes, while kept: see data
    prefix: str  # "" or "x:": how the part names the spreadsheet namespace
    grid: list[list[Any]]
    # Elements are noted as (offset of the start tag, offset of the end tag), with -1 for the
    # end of an empty element ("<row/>"); element_span gives their whole extent.
    rows: MutableMapping[int, tuple[int, int]] = field(default_factory=RowSpans)
    #: row -> [column, style, column, style, ...] of its cells, in file order (no tuple per cell)
    cell_styles: dict[int, list[int]] = field(default_factory=dict)
    row_styles: dict[int, int] = field(default_factory=dict)  # rows with customFormat="1"
    col_styles: list[tuple[int, int, int]] = field(default_factory=list)  # (min, max, style)
    merges: list[str] = field(default_factory=list)
    sheet_data: tuple[int, int] | None = None
    dimension: int | None = None  # offset of "<dimension"
    cols: tuple[int, int] | None = None
    max_row: int = 0  # the last row and column holding any cell, even an empty styled one
    max_col: int = 0
    implicit: bool = False  # a row or cell without its reference: positions are implied
    #: a cell outside the row element of its number, or a row number twice: a row's cells are
    #: then found by reading the whole part again, not just that row's bytes
    irregular: bool = False
    formulas: int = 0  # how many cells hold a formula
    last_row_element: int = 0  # the highest <row r>, with cells or not
    unsaved: set[tuple[int, int]] = field(default_factory=set)  # formula cells without a saved result
    # How to read the part again, and what was found in it again: not what the scan read.
    reload: Callable[[], bytes] | None = field(default=None, repr=False, compare=False)
    _located: dict[int, list[Position]] = field(default_factory=dict, repr=False, compare=False)
    _everywhere: dict[int, list[Position]] | None = field(default=None, repr=False, compare=False)
    _by_column: dict[int, tuple[list[int], dict[int, int]]] = field(
        default_factory=dict, repr=False, compare=False
    )

    @property
    def data(self) -> bytes:
        """The part's bytes, read again (``reload``, the very bytes scanned) when a write needs
        them: the scan keeps none of them (97 MB at 50,000 rows)."""
        if self.part is None:
            assert self.reload is not None, "a released scan knows how to read its part again"
            self.part = self.reload()
        return self.part

    def cells_in(self, row: int) -> list[Position]:
        """Row ``row``'s cells as (column, offset of "<c", offset of its end event, style), in
        file order (see cell_span for where a cell ends): found again in the row's bytes."""
        if row not in self.cell_styles:
            return []
        found = self._located.get(row)
        if found is None:
            found = self._located[row] = self._locate(row)
        return found

    def _locate(self, row: int) -> list[Position]:
        if self.irregular or self.implicit or row not in self.rows:
            if self._everywhere is None:  # the whole part, read again: right for any shape
                self._everywhere = cell_positions(self.data, 0, len(self.data), self.prefix)
            found = self._everywhere.get(row, [])
        else:
            start, end = self.rows[row]
            if end == -1:
                found = []
            else:
                from .quick import row_positions

                end = self.data.index(b">", end) + 1
                quick = row_positions(self.data, start, end, row, self.prefix)
                found = (
                    quick
                    if quick is not None
                    else cell_positions(self.data, start, end, self.prefix).get(row, [])
                )
        # The scan saw these cells: found again, they are the same ones (or the write is not spliced).
        if [x for col, _, _, style in found for x in (col, style)] != self.cell_styles[row]:
            raise Unusual(f"row {row}'s cells are not where the scan saw them")
        return found

    def cell_span(self, start: int, event: int) -> tuple[int, int]:
        """(start, end) of the cell whose start tag is at ``start`` and end event at ``event``.

        Worked out only for the cells written, as it costs a look at the bytes: expat gives an
        empty element's end event the offset just past it, a full one's the offset of "</c".
        """
        tag = f"</{self.prefix}c".encode()
        data = self.data
        if data.startswith(tag, event) and data[event + len(tag) : event + len(tag) + 1] in _TAG_ENDS:
            return start, data.index(b">", event) + 1
        return start, event

    def style_at(self, row: int, col: int) -> int | None:
        """The style of the cell at (row, col), or None when there is no such cell."""
        pairs = self.cell_styles.get(row)
        if pairs is None:
            return None
        # Rows alike share one list (_alike_shared): its columns' styles are worked out once. The
        # list itself is kept with them, so an id is never taken for a list that is gone.
        known = self._by_column.get(id(pairs))
        if known is None or known[0] is not pairs:
            by_column = {pairs[i]: pairs[i + 1] for i in range(len(pairs) - 2, -1, -2)}  # the first cell wins
            known = self._by_column[id(pairs)] = (pairs, by_column)
        return known[1].get(col)

    def inherited_style(self, row: int, col: int) -> int:
        """The style Excel gives a new cell here: the row's, else the column's, else 0."""
        if row in self.row_styles:
            return self.row_styles[row]
        for lo, hi, s in self.col_styles:
            if lo <= col <= hi:
                return s
        return 0


class Known(dict):
    """A dict that makes the value of a key it lacks with ``make`` and, where ``keep`` says so,
    keeps it: each kind of cell reference, style or type is converted once per scan, and the
    look-up of one already met stays in C."""

    def __init__(
        self, make: Callable[[Any], Any], known: dict | None = None, keep: Callable[[Any], bool] | None = None
    ):
        super().__init__(known or {})
        self.make, self.keep = make, keep

    def __missing__(self, key: Any) -> Any:
        value = self.make(key)
        if self.keep is None or self.keep(key):
            self[key] = value
        return value


SHARED_TEXT_BYTES = 80


def shared_text(raw: bytes) -> bool:
    """Whether a text is shared by the cells that repeat it: a Status, an action or a day repeats
    by the thousand down a column, and each would otherwise be a string of its own."""
    return len(raw) <= SHARED_TEXT_BYTES


def _text(raw: bytes) -> str:
    return raw.decode("utf-8")


def cell_positions(data: bytes, start: int, end: int, prefix: str) -> dict[int, list[Position]]:
    """Row -> its cells in data[start:end] (one row element, or the whole part) as
    (column, offset of "<c", offset of its end event, style): expat's offsets, as the scan's
    handlers note them, and rows and columns placed as _Scanner.place does."""
    parser = expat.ParserCreate()
    cell, row_name = prefix + "c", prefix + "row"
    out: dict[int, list[Position]] = {}
    row = col = at = 0  # the row element's number, the last cell's column, the open cell's "<c"
    cell_attrs: dict[str, str] = {}

    def begin(name: str, attrs: dict[str, str]) -> None:
        nonlocal row, col, at, cell_attrs
        if name == row_name:
            r = attrs.get("r")
            row, col = (int(r) if r else row + 1), 0
        elif name == cell:
            at, cell_attrs = start + parser.CurrentByteIndex, attrs

    def finish(name: str) -> None:
        nonlocal col
        if name != cell:
            return
        ref, r, col = cell_attrs.get("r"), row, col + 1
        if ref:
            letters = ref.rstrip("0123456789")
            r, col = int(ref[len(letters) :]), column_index_from_string(letters)
        s = cell_attrs.get("s")
        out.setdefault(r, []).append((col, at, start + parser.CurrentByteIndex, int(s) if s else 0))

    parser.StartElementHandler, parser.EndElementHandler = begin, finish
    try:
        parser.Parse(memoryview(data)[start:end], True)
    except (expat.ExpatError, ValueError) as e:
        raise Unusual(f"the cells of the worksheet could not be found again ({e})") from e
    return out


def scan_sheet(
    data: bytes,
    *,
    shared_strings: list[str],
    date_styles: Iterable[int] = (),
    timedelta_styles: Iterable[int] = (),
    epoch: dt.datetime,
) -> SheetScan:
    """Read a worksheet part: every value as openpyxl would give it, and where things are."""
    scan = scan_chunks(
        iter((data,)),
        lambda: data,
        shared_strings=shared_strings,
        date_styles=date_styles,
        timedelta_styles=timedelta_styles,
        epoch=epoch,
    )
    scan.part = data
    return scan


def scan_chunks(
    chunks: Iterator[bytes],
    reload: Callable[[], bytes],
    *,
    shared_strings: list[str],
    date_styles: Iterable[int] = (),
    timedelta_styles: Iterable[int] = (),
    epoch: dt.datetime,
    memo_file: Path | None = None,
) -> SheetScan:
    """:func:`scan_sheet` of a part read piece by piece (a zip member as it is inflated): the
    quick pass never holds the whole part (97 MB at 50,000 rows, issue 17). ``reload`` gives
    the whole part, for the handlers' pass and for writes (the scan keeps none of it).
    ``memo_file``: where the part's rows are remembered between scans (:mod:`.row_memo`)."""
    from .quick import scan_quickly  # which reads the cells with _Scanner's own steps

    args = (shared_strings, frozenset(date_styles), frozenset(timedelta_styles), epoch)
    scanner = _Scanner(b"", *args)
    memo = None
    try:
        with no_collection():
            memo = _memo_of(memo_file, scanner)
            if not scan_quickly(scanner, chunks, memo):
                memo = None  # the handlers' pass: its rows are not remembered
                data = reload()  # something the quick pass does not take: expat's handlers read all
                check_utf8(data)
                scanner = _Scanner(data, *args)
                scanner.parser.Parse(data, True)
    except expat.ExpatError as e:
        raise Unusual(f"the worksheet's XML is broken ({e})") from e
    except (ValueError, IndexError, KeyError, OverflowError) as e:
        raise Unusual(f"a cell could not be read ({e})") from e
    # The parser's handlers are the scanner's methods: a cycle that would keep every list the
    # scan made until a collection (and run_gc freezes the read), so it is broken here.
    scanner.parser.StartElementHandler = scanner.parser.EndElementHandler = None
    scanner.parser.CharacterDataHandler = None
    scan = scanner.scan
    scan.part, scan.reload = None, reload
    scan.rows = scanner.row_spans
    scan.cell_styles = _alike_shared(scanner.cell_styles)
    rows = scanner.values
    if rows:
        scan.grid = [rows.get(r) or [] for r in range(1, max(rows) + 1)]
    if memo is not None:
        memo.save(scan, rows)
    return scan


def _memo_of(file: Path | None, scanner: _Scanner) -> PartMemo | None:
    """The rows remembered in ``file`` from the last scan of this part, in this scan's context."""
    if file is None:
        return None
    from .row_memo import PartMemo, context_of

    context = context_of(scanner.shared_strings, scanner.dates, scanner.durations, scanner.epoch)
    return None if context is None else PartMemo(file, context)


@contextlib.contextmanager
def no_collection() -> Iterator[None]:
    """The cyclic garbage collector paused: the scan makes a list per row and frees nothing, and
    the collections its allocations set off (each looking at every list made so far) found
    nothing but cost an eighth of the scan (issue 17). Collection resumes however it ends."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _alike_shared(cell_styles: dict[int, list[int]]) -> dict[int, list[int]]:
    """The rows' [column, style, ...] lists, rows alike sharing one list: a tracker's rows
    mostly have the same cells styled the same (103 kinds in 50,000 rows), and a list per row
    is 18 MB there. Nothing changes these lists once the scan is done."""
    alike: dict[tuple[int, ...], list[int]] = {}
    return {row: alike.setdefault(tuple(pairs), pairs) for row, pairs in cell_styles.items()}


# The parts of a cell, whose start tags go to _Scanner.start_in_cell.
_CELL_PARTS = frozenset(("c", "v", "f", "is", "t", "rPh"))


class _Scanner:
    """The expat handlers of :func:`scan_sheet`, and what they have read so far."""

    def __init__(
        self,
        data: bytes,
        shared_strings: list[str],
        dates: frozenset[int],
        durations: frozenset[int],
        epoch: dt.datetime,
    ):
        # The bytes being parsed and their offset in the part: the whole part, or one piece of it.
        self.window = (data, 0)
        self.shared_strings = shared_strings
        self.dates, self.durations, self.epoch = dates, durations, epoch
        self.parser = parser = expat.ParserCreate()
        parser.buffer_text = True
        parser.StartElementHandler = self.root
        parser.EndElementHandler = self.end
        self.values: dict[int, list[Any]] = {}  # row -> its values, as far as the last one
        self.row_spans = RowSpans()
        self.cell_styles: dict[int, list[int]] = {}  # row -> [column, style, ...]
        self.scan = SheetScan(data or None, "", [])
        self.shared_formulae: dict[str, Translator] = {}
        self.columns: dict[str, int] = {}  # "AB" -> 28, as met
        # The state of the cell being read.
        self.state: dict[str, Any] = {}
        self.texts: list[str] = []
        self.shared_texts = Known(_text, keep=shared_text)
        self.names: dict[str, str] = {}  # qualified name -> local name, once the prefix is known
        self.end_tags: dict[str, bytes] = {}
        self.row = 0  # row being read
        self.col = 0  # column of the last cell
        self.row_start = 0  # offset of the open row
        self.unparsed = 0  # bytes of the part not given to expat (see offset)

    def root(self, name: str, attrs: dict[str, str]) -> None:
        prefix = ""
        if ":" in name:
            prefix = name.split(":", 1)[0] + ":"
        if attrs.get("xmlns" + (":" + prefix[:-1] if prefix else "")) != MAIN_NS:
            raise Unusual("the worksheet is not in the spreadsheet namespace")
        if sum(1 for k, v in attrs.items() if v == MAIN_NS and (k == "xmlns" or k.startswith("xmlns:"))) > 1:
            raise Unusual("the spreadsheet namespace has two prefixes")  # names would not be known by one
        self.scan.prefix = prefix
        for local in ("row", "sheetData", "cols"):
            self.end_tags[local] = f"</{prefix}{local}".encode()
        for local in (
            "c",
            "v",
            "f",
            "is",
            "t",
            "rPh",
            "row",
            "sheetData",
            "mergeCell",
            "dimension",
            "col",
            "cols",
        ):
            self.names[prefix + local] = local
        self.parser.StartElementHandler = self.start

    def start(self, name: str, attrs: dict[str, str]) -> None:
        local = self.names.get(name)
        if local is None:
            return
        if local in _CELL_PARTS:
            self.start_in_cell(local, attrs)
        elif local == "row":
            self.start_row(attrs)
        else:
            self.start_layout(local, attrs)

    def start_in_cell(self, local: str, attrs: dict[str, str]) -> None:
        state, parser = self.state, self.parser
        if local == "c":
            state.clear()
            state["attrs"] = attrs
            return
        if local == "v" or local == "f":
            state[local] = True
            if local == "f":
                state["fattrs"] = attrs
            self.texts.clear()
            parser.CharacterDataHandler = self.texts.append
            return
        if local == "is":
            state["is"] = []
            return
        if local == "rPh":
            state["rph"] = True
            return
        if local == "t" and "is" in state and not state.get("rph"):
            self.texts.clear()
            parser.CharacterDataHandler = self.texts.append

    def start_row(self, attrs: dict[str, str], at: int | None = None) -> None:
        scan = self.scan
        r = attrs.get("r")
        if r:
            self.row = int(r)
        else:
            self.row += 1
            scan.implicit = True
        if self.row in self.row_spans:
            scan.irregular = True  # a row number twice: its cells are in two places
        self.col = 0
        self.row_start = self.offset() if at is None else at
        if self.row > scan.last_row_element:
            scan.last_row_element = self.row
        if attrs.get("customFormat") in ("1", "true") and attrs.get("s"):
            scan.row_styles[self.row] = int(attrs["s"])

    def start_layout(self, local: str, attrs: dict[str, str]) -> None:
        """The elements around the cells: sheetData, merged cells, the dimension, columns."""
        scan, at = self.scan, self.offset()
        if local == "sheetData":
            scan.sheet_data = (at, -1)
        elif local == "mergeCell":
            if attrs.get("ref"):
                scan.merges.append(attrs["ref"])
        elif local == "dimension":
            scan.dimension = at
        elif local == "cols":
            scan.cols = (at, -1)
        elif local == "col" and attrs.get("style"):
            scan.col_styles.append((int(attrs.get("min", 0)), int(attrs.get("max", 0)), int(attrs["style"])))

    def end(self, name: str) -> None:
        local = self.names.get(name)
        if local is None:
            return
        state, parser, scan = self.state, self.parser, self.scan
        if local == "c":
            self.cell_end()
        elif local == "v" or local == "f":
            parser.CharacterDataHandler = None
            state[local + "text"] = "".join(self.texts)
        elif local == "t":
            if "is" in state and not state.get("rph"):
                parser.CharacterDataHandler = None
                state["is"].append("".join(self.texts))
        elif local == "rPh":
            state["rph"] = False
        elif local == "row":
            self.row_spans[self.row] = (self.row_start, self.closing(self.offset(), "row"))
        # an end tag follows its start tag, so the element's start is known here
        elif local == "sheetData" and scan.sheet_data is not None:
            scan.sheet_data = (scan.sheet_data[0], self.closing(self.offset(), "sheetData"))
        elif local == "cols" and scan.cols is not None:
            scan.cols = (scan.cols[0], self.closing(self.offset(), "cols"))

    def offset(self) -> int:
        """Where in the part the event being handled is: expat's offset, plus the rows it was
        not given (:mod:`.row_memo`: rows known from the last scan are not parsed again)."""
        return self.parser.CurrentByteIndex + self.unparsed

    def closing(self, offset: int, local: str) -> int:
        # expat gives an empty element's end event the offset just past it, and a full
        # element's the offset of its end tag: only the bytes there tell the two apart.
        tag, (data, base) = self.end_tags[local], self.window
        at = offset - base
        after = data[at + len(tag) : at + len(tag) + 1]
        return offset if at >= 0 and data.startswith(tag, at) and after in _TAG_ENDS else -1

    def cell_end(self) -> None:
        attrs = self.state["attrs"]
        ref = attrs.get("r")
        row, col = self.place(ref)
        s = attrs.get("s")
        style = int(s) if s else 0
        pairs = self.cell_styles.get(row)
        if pairs is None:
            pairs = self.cell_styles[row] = []
        pairs += (col, style)
        scan = self.scan
        if row != self.row:
            scan.irregular = True  # a cell outside the row element of its number
        if row > scan.max_row:
            scan.max_row = row
        if col > scan.max_col:
            scan.max_col = col
        value = self.cell_value(attrs.get("t", "n"), style, ref, row, col)
        if value is None:
            return
        cells = self.values.get(row)
        if cells is None:
            cells = self.values[row] = [None] * col
        elif len(cells) < col:
            cells.extend([None] * (col - len(cells)))
        cells[col - 1] = value

    def place(self, ref: str | None) -> tuple[int, int]:
        """The (row, column) of the cell just read: from its reference, else after the last one."""
        row = self.row
        if ref:
            letters = ref.rstrip("0123456789")
            row = int(ref[len(letters) :])
            col = self.columns.get(letters)
            if col is None:
                col = self.columns[letters] = column_index_from_string(letters)
        else:
            col = self.col + 1
            self.scan.implicit = True
        self.col = col
        return row, col

    def cell_value(self, kind: str, style: int, ref: str | None, row: int, col: int) -> Any:
        state = self.state
        dates, durations, epoch, shared_strings = self.dates, self.durations, self.epoch, self.shared_strings
        if "f" in state:
            self.scan.formulas += 1
            value = formula_result(
                state, kind, style, ref, self.shared_formulae, dates, durations, epoch, shared_strings
            )
            if value is UNSAVED:
                self.scan.unsaved.add((row, col))
                value = no_result(state["formula"])
            return value
        if kind == "inlineStr":
            parts = state.get("is")
            return None if parts is None else "".join(parts)
        value = state.get("vtext") or None
        if value is not None:
            value = typed(value, kind, style, dates, durations, epoch, shared_strings)
        return value


ANY_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")


def holds_formulas(part: bytes) -> bool:
    """Whether a worksheet part holds a formula (one may read the cells a write changes)."""
    return ANY_FORMULA.search(part) is not None


def check_utf8(data: bytes) -> None:
    head = data[:200]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise Unusual("the part is not in UTF-8")
    m = re.match(rb"(?:\xef\xbb\xbf)?<\?xml[^>]*encoding=[\"']([^\"']+)", head)
    if m and m.group(1).lower().replace(b"-", b"") != b"utf8":
        raise Unusual("the part is not in UTF-8")
