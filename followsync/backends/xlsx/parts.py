"""An ``.xlsx`` workbook read and changed part by part, without a full openpyxl round trip.

openpyxl builds an object for every cell of every sheet and writes the whole workbook again.
On a 20,000-row tracker that was most of a run, and whatever openpyxl does not model (charts,
pictures, extensions) was lost on save. Here a worksheet part is scanned once with expat,
which also notes where each row and cell sits in the part's bytes; a write splices new cells
into those bytes and copies every other part of the zip as it was. Shared strings, number
formats and fills are still read by openpyxl's own read-only loader, so values come out
exactly as openpyxl gives them.

Anything this module does not expect (cells without references, shared formulas being
overwritten, a part not in UTF-8, ...) raises :class:`Unusual`, and the caller falls back to
openpyxl for that write: a slow path that is right is better than a fast one that guesses.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from xml.parsers import expat
from xml.sax.saxutils import escape, quoteattr, unescape

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.compat import safe_string
from openpyxl.formula.translate import Translator
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.utils.cell import range_boundaries
from openpyxl.utils.datetime import from_excel, from_ISO8601, to_excel

from ...core.cells import CellError

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_TAG_ENDS = (b">", b" ", b"\t", b"\n", b"\r")
EXCEL_CELL_CHARS = 32767


class Unusual(Exception):
    """Something this module does not handle; the caller uses openpyxl instead."""


def no_result(formula: str) -> CellError:
    return CellError(f"formula {formula} has no saved result; open and save the file in Excel or LibreOffice")


# ---------------------------------------------------------------------- scanning


@dataclass
class SheetScan:
    """One worksheet part, read: its values and where its pieces are in the part's bytes.

    Rows and columns are 1-based here, as in the file. ``grid`` is 0-based (``grid[0]`` is
    row 1) with trailing blank rows dropped, as :class:`~followsync.core.changes.Snapshot`
    wants it; a formula's place holds its saved result.
    """

    data: bytes
    prefix: str  # "" or "x:": how the part names the spreadsheet namespace
    grid: list[list[Any]]
    # Elements are noted as (offset of the start tag, offset of the end tag), with -1 for the
    # end of an empty element ("<row/>"); element_span gives their whole extent.
    rows: dict[int, tuple[int, int]] = field(default_factory=dict)
    #: row -> [(column, offset of "<c", offset of its end event, style), ...] in file order;
    #: see cell_span for where the cell ends
    cells: dict[int, list[tuple[int, int, int, int]]] = field(default_factory=dict)
    row_styles: dict[int, int] = field(default_factory=dict)  # rows with customFormat="1"
    col_styles: list[tuple[int, int, int]] = field(default_factory=list)  # (min, max, style)
    merges: list[str] = field(default_factory=list)
    sheet_data: tuple[int, int] | None = None
    dimension: int | None = None  # offset of "<dimension"
    cols: tuple[int, int] | None = None
    max_row: int = 0  # the last row and column holding any cell, even an empty styled one
    max_col: int = 0
    implicit: bool = False  # a row or cell without its reference: positions are implied
    formulas: int = 0  # how many cells hold a formula
    last_row_element: int = 0  # the highest <row r>, with cells or not
    unsaved: set[tuple[int, int]] = field(default_factory=set)  # formula cells without a saved result

    def cell_span(self, start: int, event: int) -> tuple[int, int]:
        """(start, end) of the cell whose start tag is at ``start`` and end event at ``event``.

        Worked out only for the cells written, as it costs a look at the bytes: expat gives an
        empty element's end event the offset just past it, a full one's the offset of "</c".
        """
        tag = f"</{self.prefix}c".encode()
        if (
            self.data.startswith(tag, event)
            and self.data[event + len(tag) : event + len(tag) + 1] in _TAG_ENDS
        ):
            return start, self.data.index(b">", event) + 1
        return start, event

    def style_at(self, row: int, col: int) -> int | None:
        """The style of the cell at (row, col), or None when there is no such cell."""
        for c, _, _, s in self.cells.get(row, ()):
            if c == col:
                return s
        return None

    def inherited_style(self, row: int, col: int) -> int:
        """The style Excel gives a new cell here: the row's, else the column's, else 0."""
        if row in self.row_styles:
            return self.row_styles[row]
        for lo, hi, s in self.col_styles:
            if lo <= col <= hi:
                return s
        return 0


def scan_sheet(
    data: bytes,
    *,
    shared_strings: list[str],
    date_styles: Iterable[int] = (),
    timedelta_styles: Iterable[int] = (),
    epoch: dt.datetime,
) -> SheetScan:
    """Read a worksheet part: every value as openpyxl would give it, and where things are."""
    _check_utf8(data)
    dates, durations = frozenset(date_styles), frozenset(timedelta_styles)
    parser = expat.ParserCreate()
    parser.buffer_text = True
    rows: dict[int, list[Any]] = {}
    row_spans: dict[int, tuple[int, int]] = {}
    cell_spans: dict[int, list[tuple[int, int, int, int]]] = {}
    scan = SheetScan(data, "", [])
    shared_formulae: dict[str, Translator] = {}
    columns: dict[str, int] = {}  # "AB" -> 28, as met

    # The state of the cell being read, kept in locals of the closures through a list.
    state: dict[str, Any] = {}
    texts: list[str] = []
    names: dict[str, str] = {}  # qualified name -> local name, once the prefix is known
    end_tags: dict[str, bytes] = {}
    counters = [0, 0, 0]  # row being read, column of the last cell, offset of the open row

    def root(name: str, attrs: dict[str, str]) -> None:
        prefix = ""
        if ":" in name:
            prefix = name.split(":", 1)[0] + ":"
        if attrs.get("xmlns" + (":" + prefix[:-1] if prefix else "")) != MAIN_NS:
            raise Unusual("the worksheet is not in the spreadsheet namespace")
        if sum(1 for k, v in attrs.items() if v == MAIN_NS and (k == "xmlns" or k.startswith("xmlns:"))) > 1:
            raise Unusual("the spreadsheet namespace has two prefixes")  # names would not be known by one
        scan.prefix = prefix
        for local in ("row", "sheetData", "cols"):
            end_tags[local] = f"</{prefix}{local}".encode()
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
            names[prefix + local] = local
        parser.StartElementHandler = start

    def start(name: str, attrs: dict[str, str]) -> None:
        local = names.get(name)
        if local is None:
            return
        if local == "c":
            state.clear()
            state["start"] = parser.CurrentByteIndex
            state["attrs"] = attrs
            return
        if local == "v" or local == "f":
            state[local] = True
            if local == "f":
                state["fattrs"] = attrs
            texts.clear()
            parser.CharacterDataHandler = texts.append
            return
        if local == "is":
            state["is"] = []
            return
        if local == "rPh":
            state["rph"] = True
            return
        if local == "t":
            if "is" in state and not state.get("rph"):
                texts.clear()
                parser.CharacterDataHandler = texts.append
            return
        if local == "row":
            r = attrs.get("r")
            if r:
                counters[0] = int(r)
            else:
                counters[0] += 1
                scan.implicit = True
            counters[1] = 0
            counters[2] = parser.CurrentByteIndex
            if counters[0] > scan.last_row_element:
                scan.last_row_element = counters[0]
            if attrs.get("customFormat") in ("1", "true") and attrs.get("s"):
                scan.row_styles[counters[0]] = int(attrs["s"])
            return
        if local == "sheetData":
            scan.sheet_data = (parser.CurrentByteIndex, -1)
        elif local == "mergeCell":
            if attrs.get("ref"):
                scan.merges.append(attrs["ref"])
        elif local == "dimension":
            scan.dimension = parser.CurrentByteIndex
        elif local == "cols":
            scan.cols = (parser.CurrentByteIndex, -1)
        elif local == "col" and attrs.get("style"):
            scan.col_styles.append((int(attrs.get("min", 0)), int(attrs.get("max", 0)), int(attrs["style"])))

    def end(name: str) -> None:
        local = names.get(name)
        if local is None:
            return
        if local == "c":
            cell_end(parser.CurrentByteIndex)
        elif local == "v" or local == "f":
            parser.CharacterDataHandler = None
            state[local + "text"] = "".join(texts)
        elif local == "t":
            if "is" in state and not state.get("rph"):
                parser.CharacterDataHandler = None
                state["is"].append("".join(texts))
        elif local == "rPh":
            state["rph"] = False
        elif local == "row":
            row_spans[counters[0]] = (counters[2], closing(parser.CurrentByteIndex, "row"))
        elif local == "sheetData":
            scan.sheet_data = (scan.sheet_data[0], closing(parser.CurrentByteIndex, "sheetData"))
        elif local == "cols":
            scan.cols = (scan.cols[0], closing(parser.CurrentByteIndex, "cols"))

    def closing(offset: int, local: str) -> int:
        # expat gives an empty element's end event the offset just past it, and a full
        # element's the offset of its end tag: only the bytes there tell the two apart.
        tag = end_tags[local]
        after = data[offset + len(tag) : offset + len(tag) + 1]
        return offset if data.startswith(tag, offset) and after in _TAG_ENDS else -1

    def cell_end(offset: int) -> None:
        attrs = state["attrs"]
        ref = attrs.get("r")
        row = counters[0]
        if ref:
            letters = ref.rstrip("0123456789")
            row = int(ref[len(letters) :])
            col = columns.get(letters)
            if col is None:
                col = columns[letters] = column_index_from_string(letters)
        else:
            col = counters[1] + 1
            scan.implicit = True
        counters[1] = col
        s = attrs.get("s")
        style = int(s) if s else 0
        spans = cell_spans.get(row)
        if spans is None:
            spans = cell_spans[row] = []
        spans.append((col, state["start"], offset, style))
        if row > scan.max_row:
            scan.max_row = row
        if col > scan.max_col:
            scan.max_col = col
        kind = attrs.get("t", "n")
        if "f" in state:
            scan.formulas += 1
            value = _formula_result(
                state, kind, style, ref, shared_formulae, dates, durations, epoch, shared_strings
            )
            if value is _UNSAVED:
                scan.unsaved.add((row, col))
                value = no_result(state["formula"])
        elif kind == "inlineStr":
            parts = state.get("is")
            value = None if parts is None else "".join(parts)
        else:
            value = state.get("vtext") or None
            if value is not None:
                value = _typed(value, kind, style, dates, durations, epoch, shared_strings)
        if value is None:
            return
        cells = rows.get(row)
        if cells is None:
            cells = rows[row] = [None] * col
        elif len(cells) < col:
            cells.extend([None] * (col - len(cells)))
        cells[col - 1] = value

    parser.StartElementHandler = root
    parser.EndElementHandler = end
    try:
        parser.Parse(data, True)
    except expat.ExpatError as e:
        raise Unusual(f"the worksheet's XML is broken ({e})") from e
    except (ValueError, IndexError, KeyError, OverflowError) as e:
        raise Unusual(f"a cell could not be read ({e})") from e
    scan.rows = row_spans
    scan.cells = cell_spans
    if rows:
        scan.grid = [rows.get(r) or [] for r in range(1, max(rows) + 1)]
    return scan


def _typed(v: str, kind: str, style: int, dates, durations, epoch, shared_strings) -> Any:
    """A cell's stored text as openpyxl's reader turns it into a value."""
    if kind == "n":
        number = float(v) if ("." in v or "E" in v or "e" in v) else int(v)
        if style in dates:
            return _date(number, epoch, style in durations)
        return number
    if kind == "s":
        return shared_strings[int(v)]
    if kind == "b":
        return bool(int(v))
    if kind == "str":
        return v
    if kind == "d":
        return from_ISO8601(v)
    if kind == "e":
        return CellError(v)
    return v


@functools.lru_cache(maxsize=4096)
def _date(number: float, epoch: dt.datetime, duration: bool) -> Any:
    """A date serial as openpyxl reads it (trackers repeat the same few hundred dates)."""
    try:
        return from_excel(number, epoch, timedelta=duration)
    except (OverflowError, ValueError):
        return CellError("#VALUE!")


_UNSAVED = object()  # a formula cell without a saved result


def _formula_result(state, kind, style, ref, shared_formulae, dates, durations, epoch, shared_strings) -> Any:
    """The result Excel saved for a formula cell, or _UNSAVED."""
    fattrs = state.get("fattrs", {})
    formula = "=" + state.get("ftext", "")
    if fattrs.get("t") == "shared":
        si = fattrs.get("si")
        if si in shared_formulae and ref:
            formula = shared_formulae[si].translate_formula(ref)
        elif state.get("ftext") and ref:
            shared_formulae[si] = Translator(formula, ref)
    state["formula"] = formula
    v = state.get("vtext") if "v" in state else None
    if kind == "str":
        return _UNSAVED if v is None else v  # an empty <v> is an empty text result
    if kind == "inlineStr":
        return "".join(state.get("is") or [])
    if not v:
        return _UNSAVED
    if kind == "e":
        return CellError(v)
    if kind == "b":
        return v.strip() in ("1", "true")
    if kind == "s":
        return str(shared_strings[int(v)])
    if kind == "d":
        return from_ISO8601(v)
    return _typed(v, "n", style, dates, durations, epoch, shared_strings)


def _check_utf8(data: bytes) -> None:
    head = data[:200]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise Unusual("the part is not in UTF-8")
    m = re.match(rb"(?:\xef\xbb\xbf)?<\?xml[^>]*encoding=[\"']([^\"']+)", head)
    if m and m.group(1).lower().replace(b"-", b"") != b"utf8":
        raise Unusual("the part is not in UTF-8")


# ---------------------------------------------------------------------- splicing


class Splice:
    """Edits to a part's bytes: (start, end, new bytes), applied all at once."""

    def __init__(self, data: bytes):
        self.data = data
        self.edits: list[tuple[int, int, int, bytes]] = []

    def replace(self, start: int, end: int, new: bytes | str) -> None:
        self.edits.append((start, end, len(self.edits), new.encode("utf-8") if isinstance(new, str) else new))

    def insert(self, at: int, new: bytes | str) -> None:
        self.replace(at, at, new)

    def result(self) -> bytes:
        out = []
        pos = 0
        for start, end, _, new in sorted(self.edits):
            if start < pos:
                raise Unusual("two edits overlap")
            out.append(self.data[pos:start])
            out.append(new)
            pos = end
        out.append(self.data[pos:])
        return b"".join(out)


def tag_end(data: bytes, start: int) -> int:
    """The offset just past the start tag that begins at ``start`` (quotes respected)."""
    quote = 0
    i = start
    n = len(data)
    while i < n:
        ch = data[i]
        if quote:
            if ch == quote:
                quote = 0
        elif ch in (0x22, 0x27):  # " '
            quote = ch
        elif ch == 0x3E:  # >
            return i + 1
        i += 1
    raise Unusual("a tag is not closed")


def element_span(data: bytes, start: int, end_tag: int) -> tuple[int, int]:
    """(start, end) of the element whose start tag is at ``start`` and end tag at ``end_tag``
    (-1: the element is empty, ``<c .../>``)."""
    if end_tag == -1:
        return start, tag_end(data, start)
    return start, data.index(b">", end_tag) + 1


# ---------------------------------------------------------------------- cells


def clean_text(value: str) -> str:
    """Text as a cell can hold it: no control characters, at most Excel's 32,767 characters."""
    return ILLEGAL_CHARACTERS_RE.sub("", value)[:EXCEL_CELL_CHARS]


def _text_xml(value: str) -> str:
    # A literal CR would read back as LF: keep it as a character reference.
    return escape(value).replace("\r", "&#13;")


def cell_xml(prefix: str, row: int, col: int, value: Any, style: int, epoch: dt.datetime) -> str:
    """A ``<c>`` element holding ``value`` (None: an empty cell that keeps its style)."""
    ref = f"{get_column_letter(col)}{row}"
    s = f' s="{style}"' if style else ""
    p = prefix
    if value is None:
        return f'<{p}c r="{ref}"{s}/>' if style else ""
    if isinstance(value, bool):
        return f'<{p}c r="{ref}"{s} t="b"><{p}v>{int(value)}</{p}v></{p}c>'
    if isinstance(value, int | float):
        return f'<{p}c r="{ref}"{s}><{p}v>{safe_string(value)}</{p}v></{p}c>'
    if isinstance(value, dt.datetime | dt.date):
        if isinstance(value, dt.datetime):
            value = value.replace(tzinfo=None)
        return f'<{p}c r="{ref}"{s}><{p}v>{safe_string(to_excel(value, epoch))}</{p}v></{p}c>'
    text = clean_text(str(value))
    space = ' xml:space="preserve"' if text != text.strip() or "\n" in text else ""
    return f'<{p}c r="{ref}"{s} t="inlineStr"><{p}is><{p}t{space}>{_text_xml(text)}</{p}t></{p}is></{p}c>'


def row_xml(prefix: str, row: int, cells: list[str]) -> str:
    return f'<{prefix}row r="{row}">' + "".join(cells) + f"</{prefix}row>"


_FORMULA_KEEPS_OTHERS = re.compile(rb"""<(?:\w+:)?f\b[^>]*\b(?:ref|t\s*=\s*["'](?:array|dataTable))""")


def holds_shared_formula(data: bytes, start: int, end: int) -> bool:
    """Whether the cell in data[start:end] anchors a shared, array or table formula."""
    return _FORMULA_KEEPS_OTHERS.search(data, start, end) is not None


def set_dimension(splice: Splice, scan: SheetScan, max_row: int, max_col: int) -> None:
    """Widen the part's ``<dimension>`` to cover (max_row, max_col), if it has one."""
    if scan.dimension is None:
        return
    data = scan.data
    end = tag_end(data, scan.dimension)
    tag = data[scan.dimension : end].decode("utf-8")
    m = re.search(r"""\bref\s*=\s*["']([^"']*)["']""", tag)
    if not m:
        return
    try:
        lo_col, lo_row, hi_col, hi_row = range_boundaries(m.group(1))
    except (ValueError, TypeError):
        return
    lo_col, lo_row = lo_col or 1, lo_row or 1
    hi_col, hi_row = max(hi_col or 1, max_col), max(hi_row or 1, max_row)
    ref = f"{get_column_letter(lo_col)}{lo_row}:{get_column_letter(hi_col)}{hi_row}"
    if ref != m.group(1):
        splice.replace(scan.dimension, end, tag[: m.start(1)] + ref + tag[m.end(1) :])


# ---------------------------------------------------------------------- styles


def _set_attr(tag: str, name: str, value: str) -> str:
    """``tag`` (a start tag's text) with attribute ``name`` set to ``value``."""
    pattern = re.compile(rf"""(\s{name}\s*=\s*)(["'])[^"']*\2""")
    if pattern.search(tag):
        return pattern.sub(lambda m: f'{m.group(1)}"{value}"', tag, count=1)
    close = len(tag) - (2 if tag.endswith("/>") else 1)
    return f'{tag[:close].rstrip()} {name}="{value}"{tag[close:]}'


def _attr(tag: str, name: str) -> str | None:
    m = re.search(rf"""\s{name}\s*=\s*(["'])([^"']*)\1""", tag)
    return m.group(2) if m else None


def _normal(xml: str) -> str:
    return re.sub(r"\s+/>", "/>", re.sub(r">\s+<", "><", xml.strip()))


class StyleBook:
    """``xl/styles.xml``, to which new cell formats (a fill, a date format, bold) are added.

    New formats are copies of a cell's current one with one thing changed, and an identical
    format already in the file is used again, so formats don't pile up run after run.
    """

    def __init__(self, data: bytes):
        _check_utf8(data)
        self.original = data
        self.text = data.decode("utf-8-sig")
        m = re.search(r"<(\w+:)?styleSheet\b", self.text)
        if not m:
            raise Unusual("styles.xml has no styleSheet")
        self.prefix = m.group(1) or ""
        self.xfs = self._items("cellXfs", "xf")
        self.fills = self._items("fills", "fill")
        self.fonts = self._items("fonts", "font")
        # Only the cell number formats: <dxfs> (conditional formats) hold numFmts of their own.
        self.format_list = self._items("numFmts", "numFmt")
        self.formats = {
            unescape(_attr(tag, "formatCode") or "", {"&quot;": '"', "&apos;": "'"}): int(
                _attr(tag, "numFmtId") or 0
            )
            for tag in self.format_list
        }
        self.codes = {v: k for k, v in self.formats.items()}
        self._format_ids = {int(x) for x in re.findall(r"""\bnumFmtId\s*=\s*["'](\d+)""", self.text)}
        self.added = {"cellXfs": [], "fills": [], "fonts": [], "numFmts": []}
        self._known = {_normal(x): i for i, x in enumerate(self.xfs)}
        self._cache: dict[tuple, int] = {}
        self._fill_ids: dict[str, int] = {}

    def _items(self, parent: str, child: str) -> list[str]:
        p = self.prefix
        m = re.search(rf"<{p}{parent}\b[^>]*?(/>|>(.*?)</{p}{parent}\s*>)", self.text, re.S)
        if not m or m.group(1) == "/>":
            return []
        body = m.group(2)
        items = re.findall(
            rf"<{p}{child}\b[^>]*?/>|<{p}{child}\b[^>]*?[^/]>.*?</{p}{child}\s*>|<{p}{child}>.*?</{p}{child}\s*>",
            body,
            re.S,
        )
        # The items must be the whole list (a comment or anything else in it: not ours to edit).
        if re.sub(r"\s", "", "".join(items)) != re.sub(r"\s", "", body):
            raise Unusual(f"styles.xml's {parent} is not a plain list of {child}")
        return items

    def _xf_start(self, index: int) -> tuple[str, str]:
        if not 0 <= index < len(self.xfs):
            raise Unusual(f"cell format {index} is not in styles.xml")
        xf = self.xfs[index]
        end = xf.index(">") + 1
        return xf[:end], xf[end:]

    def _with(self, index: int, **attrs: str) -> int:
        key = (index, tuple(sorted(attrs.items())))
        if key in self._cache:
            return self._cache[key]
        head, rest = self._xf_start(index)
        for name, value in attrs.items():
            head = _set_attr(head, name, value)
        xf = head + rest
        found = self._known.get(_normal(xf))
        if found is None:
            found = len(self.xfs)
            self.xfs.append(xf)
            self.added["cellXfs"].append(xf)
            self._known[_normal(xf)] = found
        self._cache[key] = found
        return found

    def fill_id(self, index: int) -> int:
        head, _ = self._xf_start(index)
        return int(_attr(head, "fillId") or 0)

    def with_fill(self, index: int, colour: str | None) -> int:
        """Format ``index`` with a solid ``colour`` background ("#RRGGBB"; None: no fill)."""
        if colour is None:
            if self.fill_id(index) == 0:
                return index
            return self._with(index, fillId="0")
        fill_id = self._fill_ids.get(colour)
        if fill_id is None:
            argb = "FF" + colour.lstrip("#").upper()
            p = self.prefix
            fill = (
                f'<{p}fill><{p}patternFill patternType="solid"><{p}fgColor rgb="{argb}"/>'
                f'<{p}bgColor rgb="{argb}"/></{p}patternFill></{p}fill>'
            )
            fill_id = self._fill_ids[colour] = self._find_or_add("fills", self.fills, fill)
        return self._with(index, fillId=str(fill_id), applyFill="1")

    def with_date_format(self, index: int, code: str) -> int:
        """Format ``index``, given a date format ``code`` unless it already shows dates."""
        head, _ = self._xf_start(index)
        current = int(_attr(head, "numFmtId") or 0)
        shown = self.codes.get(current) or BUILTIN_FORMATS.get(current)
        if shown and is_date_format(shown):
            return index
        fmt = self.formats.get(code)
        if fmt is None:
            fmt = max([163, *self._format_ids]) + 1
            self._format_ids.add(fmt)
            self.formats[code] = fmt
            self.codes[fmt] = code
            self.added["numFmts"].append(
                f'<{self.prefix}numFmt numFmtId="{fmt}" formatCode={quoteattr(code)}/>'
            )
        return self._with(index, numFmtId=str(fmt), applyNumberFormat="1")

    def bold(self, index: int = 0) -> int:
        """Format ``index`` with a bold font."""
        p = self.prefix
        font_id = self._find_or_add("fonts", self.fonts, f'<{p}font><{p}b val="1"/></{p}font>')
        return self._with(index, fontId=str(font_id), applyFont="1")

    def _find_or_add(self, parent: str, items: list[str], xml: str) -> int:
        want = _normal(xml)
        for i, item in enumerate(items):
            if _normal(item) == want:
                return i
        items.append(xml)
        self.added[parent].append(xml)
        return len(items) - 1

    @property
    def changed(self) -> bool:
        return any(self.added.values())

    def result(self) -> bytes:
        text = self.text
        p = self.prefix
        # In the order the schema has them, so each insertion finds its place unchanged.
        for parent, before in (
            ("numFmts", "fonts"),
            ("fonts", "fills"),
            ("fills", "borders"),
            ("cellXfs", "cellStyles"),
        ):
            new = self.added[parent]
            if not new:
                continue
            m = re.search(rf"<{p}{parent}\b[^>]*?(/?)>", text)
            if m is None:
                # no such list yet (numFmts is optional): add it where the schema wants it
                at = re.search(rf"<{p}({before}|fonts|fills|borders|cellStyleXfs|cellXfs)\b", text)
                if at is None:
                    raise Unusual(f"styles.xml has no place for {parent}")
                block = f'<{p}{parent} count="{len(new)}">' + "".join(new) + f"</{p}{parent}>"
                text = text[: at.start()] + block + text[at.start() :]
                continue
            count = len(self.xfs) if parent == "cellXfs" else len(self.fills) if parent == "fills" else None
            if parent == "fonts":
                count = len(self.fonts)
            if parent == "numFmts":
                count = len(self.format_list) + len(new)
            head = _set_attr(m.group(0), "count", str(count))
            if m.group(1):  # <numFmts/>: open it
                head = head[:-2].rstrip() + ">"
                text = text[: m.start()] + head + "".join(new) + f"</{p}{parent}>" + text[m.end() :]
                continue
            close = text.index(f"</{p}{parent}", m.end())
            text = text[: m.start()] + head + text[m.end() : close] + "".join(new) + text[close:]
        return text.encode("utf-8")


# ---------------------------------------------------------------------- the zip


def rewrite_zip(original: bytes, replaced: dict[str, bytes], added: dict[str, bytes] | None = None) -> bytes:
    """The package with some parts' bytes replaced (and some added); every other part as it was."""
    added = added or {}
    src = zipfile.ZipFile(io.BytesIO(original))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = replaced.get(info.filename)
            if data is None:
                data = src.read(info)
            new = zipfile.ZipInfo(info.filename, info.date_time)
            new.external_attr = info.external_attr
            new.compress_type = (
                zipfile.ZIP_DEFLATED if info.compress_type != zipfile.ZIP_STORED else zipfile.ZIP_STORED
            )
            dst.writestr(new, data)
        for name, data in added.items():
            info = zipfile.ZipInfo(name, dt.datetime.now().timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(info, data)
    return out.getvalue()


# ---------------------------------------------------------------------- writing a sheet


def splice_cells(
    scan: SheetScan,
    wanted: dict[tuple[int, int], dict[str, Any]],
    styles: StyleBook,
    epoch: dt.datetime,
    *,
    date_format: str,
    datetime_format: str,
    keep_formulas: bool = False,
) -> bytes:
    """The sheet part with each (row, col) of ``wanted`` given its new "value" and/or "fill".

    ``keep_formulas``: the workbook has a calculation chain, so no formula may be overwritten.

    A cell keeps its format, with a fill or a date format added on top; a cell that did not
    exist gets the format Excel would give it (the row's, else the column's).
    """
    if scan.implicit:
        raise Unusual("rows or cells without references")
    data, p = scan.data, scan.prefix
    splice = Splice(data)
    spans: dict[int, set[int]] = {}
    top_row = top_col = 0
    for r, c in sorted(wanted):
        w = wanted[(r, c)]
        existing = next(((s, e, st) for col, s, e, st in scan.cells.get(r, ()) if col == c), None)
        style = existing[2] if existing else scan.inherited_style(r, c)
        before = style
        value = w.get("value")
        if isinstance(value, dt.date):
            has_time = isinstance(value, dt.datetime) and value.replace(tzinfo=None).time() != dt.time()
            style = styles.with_date_format(style, datetime_format if has_time else date_format)
        if "fill" in w:
            style = styles.with_fill(style, w["fill"])
        if existing is not None:
            start, end = scan.cell_span(existing[0], existing[1])
            if holds_shared_formula(data, start, end):
                raise Unusual("a shared or array formula would be overwritten")
            if keep_formulas and "value" in w and _ANY_FORMULA.search(data, start, end):
                # Excel's calculation chain would name a formula that is gone: it calls that a
                # corrupt file. openpyxl drops the chain when it saves.
                raise Unusual("a formula listed in the calculation chain would be overwritten")
            if "value" in w:
                splice.replace(start, end, cell_xml(p, r, c, value, style, epoch))
            elif style != before:
                head_end = tag_end(data, start)
                splice.replace(
                    start, head_end, _set_attr(data[start:head_end].decode("utf-8"), "s", str(style))
                )
            else:
                continue
        else:
            if value is None and style == before:
                continue  # already blank and unformatted: don't make a cell just to empty it
            xml = cell_xml(p, r, c, value, style, epoch)
            if not xml:
                continue
            row = scan.rows.get(r)
            if row is None or row[1] == -1:
                raise Unusual(f"row {r} has no cells to add to")
            at = next((s for col, s, _, _ in scan.cells.get(r, ()) if col > c), row[1])
            splice.insert(at, xml)
            spans.setdefault(r, set()).add(c)
        top_row, top_col = max(top_row, r), max(top_col, c)
    for r, cols in spans.items():
        _widen_spans(splice, scan, r, cols)
    set_dimension(splice, scan, top_row, top_col)
    return splice.result()


def _widen_spans(splice: Splice, scan: SheetScan, row: int, cols: set[int]) -> None:
    """Keep a row's optional ``spans`` hint true after cells were added to it."""
    start = scan.rows[row][0]
    end = tag_end(scan.data, start)
    head = scan.data[start:end].decode("utf-8")
    spans = _attr(head, "spans")
    if not spans:
        return
    try:
        ranges = [(int(a), int(b or a)) for a, _, b in (part.partition(":") for part in spans.split())]
    except ValueError:
        return
    if all(any(a <= c <= b for a, b in ranges) for c in cols):
        return
    lo = min([a for a, _ in ranges] + list(cols))
    hi = max([b for _, b in ranges] + list(cols))
    splice.replace(start, end, _set_attr(head, "spans", f"{lo}:{hi}"))


def splice_sheet(
    scan: SheetScan,
    header: list[str],
    rows: list[list[Any]],
    *,
    replace: bool,
    widths: list[int],
    styles: StyleBook,
    epoch: dt.datetime,
    date_format: str,
    datetime_format: str,
) -> bytes:
    """Another worksheet (History, Summary) with ``rows`` appended, or replaced by ``header`` and ``rows``."""
    if scan.sheet_data is None:
        raise Unusual("the worksheet has no sheetData")
    data, p = scan.data, scan.prefix
    splice = Splice(data)

    def row(r: int, values: list[Any], base: int) -> str:
        cells = []
        for c, v in enumerate(values, 1):
            if v is None or v == "":
                continue
            style = base
            if isinstance(v, dt.date):
                has_time = isinstance(v, dt.datetime) and v.time() != dt.time()
                style = styles.with_date_format(base, datetime_format if has_time else date_format)
            cells.append(cell_xml(p, r, c, v, style, epoch))
        return row_xml(p, r, cells) if cells else ""

    start, end = element_span(data, scan.sheet_data[0], scan.sheet_data[1])
    if replace:
        bold = styles.bold(0)
        body = [row(1, list(header), bold)] + [row(r, list(v), 0) for r, v in enumerate(rows, 2)]
        splice.replace(start, end, f"<{p}sheetData>" + "".join(body) + f"</{p}sheetData>")
        cols = (
            f"<{p}cols>"
            + "".join(
                f'<{p}col min="{i}" max="{i}" width="{w}" customWidth="1"/>' for i, w in enumerate(widths, 1)
            )
            + f"</{p}cols>"
        )
        if scan.cols is not None:
            c_start, c_end = element_span(data, scan.cols[0], scan.cols[1])
            splice.replace(c_start, c_end, cols)
        elif widths:
            splice.insert(start, cols)
        last_row = 1 + len(rows)
        last_col = max([len(header)] + [len(r) for r in rows] + [1])
        _exact_dimension(splice, scan, last_row, last_col)
    else:
        first = max(scan.max_row, scan.last_row_element, 1) + 1  # after rows with only a height, too
        body = "".join(row(r, list(v), 0) for r, v in enumerate(rows, first))
        if scan.sheet_data[1] == -1:  # <sheetData/>
            splice.replace(start, end, f"<{p}sheetData>{body}</{p}sheetData>")
        else:
            splice.insert(scan.sheet_data[1], body)
        set_dimension(splice, scan, first + len(rows) - 1, max([len(r) for r in rows] + [1]))
    return splice.result()


def _exact_dimension(splice: Splice, scan: SheetScan, last_row: int, last_col: int) -> None:
    if scan.dimension is None:
        return
    end = tag_end(scan.data, scan.dimension)
    tag = scan.data[scan.dimension : end].decode("utf-8")
    splice.replace(scan.dimension, end, _set_attr(tag, "ref", f"A1:{get_column_letter(last_col)}{last_row}"))


_CALC_FOLLOWERS = (
    "oleSize",
    "customWorkbookViews",
    "pivotCaches",
    "smartTagPr",
    "smartTagTypes",
    "webPublishing",
    "fileRecoveryPr",
    "webPublishObjects",
    "extLst",
)


def full_calc_on_load(workbook_xml: bytes) -> bytes:
    """workbook.xml asking Excel to recalculate every formula when it opens the file.

    Formulas elsewhere may read the cells just written, and their saved results are now stale.
    """
    _check_utf8(workbook_xml)
    text = workbook_xml.decode("utf-8-sig")
    m = re.search(r"<(\w+:)?workbook\b", text)
    if not m:
        raise Unusual("workbook.xml has no workbook")
    p = m.group(1) or ""
    calc = re.search(rf"<{p}calcPr\b[^>]*>", text)
    if calc:
        text = text[: calc.start()] + _set_attr(calc.group(0), "fullCalcOnLoad", "1") + text[calc.end() :]
    else:
        follower = re.search(rf"<{p}(?:{'|'.join(_CALC_FOLLOWERS)})\b|</{p}workbook\s*>", text)
        text = text[: follower.start()] + f'<{p}calcPr fullCalcOnLoad="1"/>' + text[follower.start() :]
    return text.encode("utf-8")


_ANY_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")


def holds_formulas(part: bytes) -> bool:
    return _ANY_FORMULA.search(part) is not None


# ---------------------------------------------------------------------- adding a worksheet

REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
WORKSHEET_REL = REL_NS + "/worksheet"
WORKSHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"


def empty_sheet(*, selected: bool) -> bytes:
    """A new worksheet part with a frozen header row and no cells yet."""
    tab = ' tabSelected="1"' if selected else ""
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<worksheet xmlns="{MAIN_NS}" xmlns:r="{REL_NS}"><dimension ref="A1"/>'
        f'<sheetViews><sheetView{tab} workbookViewId="0">'
        '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
        '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
        '<sheetFormatPr defaultRowHeight="15"/><sheetData/>'
        '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>'
    ).encode()


def _insert_before_close(text: str, element: str, xml: str) -> str:
    found = list(re.finditer(rf"</(?:\w+:)?{element}\s*>", text))
    m = found[-1] if found else None
    if m is None:
        raise Unusual(f"no {element} to add to")
    return text[: m.start()] + xml + text[m.start() :]


def _prefix(text: str, element: str) -> str:
    m = re.search(rf"<(\w+:)?{element}\b", text)
    if m is None:
        raise Unusual(f"no {element}")
    return m.group(1) or ""


def add_sheet(
    workbook_xml: bytes,
    rels_xml: bytes,
    content_types: bytes,
    *,
    name: str,
    part: str,
    workbook_part: str,
    first: bool,
) -> tuple[bytes, bytes, bytes]:
    """workbook.xml, its relationships and [Content_Types].xml with worksheet ``name`` added.

    ``first`` puts it first and makes it the active tab; otherwise it goes last.
    """
    import posixpath

    for data in (workbook_xml, rels_xml, content_types):
        _check_utf8(data)
    wb, rels, types = (d.decode("utf-8-sig") for d in (workbook_xml, rels_xml, content_types))
    ids = set(re.findall(r"""\bId\s*=\s*["']([^"']+)["']""", rels))
    n = len(ids) + 1
    while f"rId{n}" in ids:
        n += 1
    rid = f"rId{n}"
    target = posixpath.relpath(part, posixpath.dirname(workbook_part) or ".")
    rp = _prefix(rels, "Relationships")
    rels = _insert_before_close(
        rels,
        "Relationships",
        f'<{rp}Relationship Id="{rid}" Type="{WORKSHEET_REL}" Target={quoteattr(target)}/>',
    )
    tp = _prefix(types, "Types")
    types = _insert_before_close(
        types, "Types", f'<{tp}Override PartName="/{part}" ContentType="{WORKSHEET_TYPE}"/>'
    )

    root = re.search(r"<(\w+:)?workbook\b[^>]*>", wb)
    if root is None:
        raise Unusual("workbook.xml has no workbook")
    p = root.group(1) or ""
    declared = re.search(rf"""xmlns:(\w+)\s*=\s*["']{re.escape(REL_NS)}["']""", root.group(0))
    r_id = f'{declared.group(1)}:id="{rid}"' if declared else f'xmlns:fsr="{REL_NS}" fsr:id="{rid}"'
    sheet_ids = [int(x) for x in re.findall(rf"""<{p}sheet\b[^>]*\bsheetId\s*=\s*["'](\d+)["']""", wb)]
    tag = f'<{p}sheet name={quoteattr(name)} sheetId="{max(sheet_ids, default=0) + 1}" {r_id}/>'
    sheets = re.search(rf"<{p}sheets\b[^>]*>", wb)
    if sheets is None or sheets.group(0).endswith("/>"):
        raise Unusual("workbook.xml lists no sheets")
    if not first:
        wb = _insert_before_close(wb, "sheets", tag)
    else:
        wb = wb[: sheets.end()] + tag + wb[sheets.end() :]
        # Sheet-scoped names count sheets by position: every one moved one place right.
        wb = re.sub(
            rf"(<{p}definedName\b[^>]*\blocalSheetId\s*=\s*[\"'])(\d+)",
            lambda m: m.group(1) + str(int(m.group(2)) + 1),
            wb,
        )
        view = re.search(rf"<{p}workbookView\b[^>]*>", wb)
        if view:
            head = _set_attr(view.group(0), "activeTab", "0")
            if _attr(head, "firstSheet") is not None:
                head = _set_attr(head, "firstSheet", "0")
            wb = wb[: view.start()] + head + wb[view.end() :]
    return wb.encode("utf-8"), rels.encode("utf-8"), types.encode("utf-8")


_TAB_SELECTED = re.compile(rb"""\s+tabSelected\s*=\s*["'](?:1|true)["']""")
_SHEET_VIEW = re.compile(rb"<(?:\w+:)?sheetView\b[^>]*>")


def unselect_tab(data: bytes) -> bytes:
    """A worksheet part whose tab is no longer selected (another sheet became the active one)."""
    end = data.find(b"sheetData")
    head = data[: end if end != -1 else len(data)]
    out, pos = [], 0
    for m in _SHEET_VIEW.finditer(head):
        out += [data[pos : m.start()], _TAB_SELECTED.sub(b"", m.group(0))]
        pos = m.end()
    return b"".join(out) + data[pos:] if out else data
