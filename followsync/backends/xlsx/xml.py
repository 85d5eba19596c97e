"""An ``.xlsx`` workbook read and changed part by part, without a full openpyxl round trip.

openpyxl builds an object for every cell of every sheet and writes the whole workbook again.
On a 20,000-row tracker that was most of a run, and whatever openpyxl does not model (charts,
pictures, extensions) was lost on save. Here a worksheet part is scanned once with expat,
which also notes where each row and cell sits in the part's bytes; a write splices new cells
into those bytes and copies every other part of the zip as it was. Shared strings, number
formats and fills are read from their parts directly (:mod:`.package`), the way openpyxl's
loader reads them, so values come out exactly as openpyxl gives them.

Anything this module does not expect (cells without references, shared formulas being
overwritten, a part not in UTF-8, ...) raises :class:`Unusual`, and the caller falls back to
openpyxl for that write: a slow path that is right is better than a fast one that guesses.
"""

from __future__ import annotations

import datetime as dt
import io
import posixpath
import re
import zipfile
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape, quoteattr

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.compat import safe_string
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import range_boundaries
from openpyxl.utils.datetime import to_excel

from .scan import ANY_FORMULA, MAIN_NS, SheetScan, Unusual, check_utf8
from .writes import LINE_HEIGHT, MAX_ROW_HEIGHT, new_height, text_lines

if TYPE_CHECKING:
    from .styles import StyleBook

EXCEL_CELL_CHARS = 32767


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


def set_attr(tag: str, name: str, value: str) -> str:
    """``tag`` (a start tag's text) with attribute ``name`` set to ``value``."""
    pattern = re.compile(rf"""(\s{name}\s*=\s*)(["'])[^"']*\2""")
    if pattern.search(tag):
        return pattern.sub(lambda m: f'{m.group(1)}"{value}"', tag, count=1)
    close = len(tag) - (2 if tag.endswith("/>") else 1)
    return f'{tag[:close].rstrip()} {name}="{value}"{tag[close:]}'


def attr(tag: str, name: str) -> str | None:
    m = re.search(rf"""\s{name}\s*=\s*(["'])([^"']*)\1""", tag)
    return m.group(2) if m else None


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
    heights: dict[int, tuple[float, float]] | None = None,
) -> bytes:
    """The sheet part with each (row, col) of ``wanted`` given its new "value" and/or "fill"
    (and with "wrap", text wrapped and aligned to the top).

    ``keep_formulas``: the workbook has a calculation chain, so no formula may be overwritten.
    ``heights``: row -> the heights in points its multi-line cells needed before and need after
    this write, for the rows where one was written (see :func:`~.writes.new_height`).

    A cell keeps its format, with a fill or a date format added on top; a cell that did not
    exist gets the format Excel would give it (the row's, else the column's).
    """
    if scan.implicit:
        raise Unusual("rows or cells without references")
    splice = Splice(scan.data)
    spans: dict[int, set[int]] = {}
    top_row = top_col = 0
    for r, c in sorted(wanted):
        w = wanted[(r, c)]
        existing = next(((s, e, st) for col, s, e, st in scan.cells_in(r) if col == c), None)
        before = existing[2] if existing else scan.inherited_style(r, c)
        style = _new_style(before, w, styles, date_format, datetime_format)
        if existing is not None:
            if not _change_cell(splice, scan, existing, r, c, w, style, before, epoch, keep_formulas):
                continue
        elif _add_cell(splice, scan, r, c, w.get("value"), style, before, epoch):
            spans.setdefault(r, set()).add(c)
        else:
            continue
        top_row, top_col = max(top_row, r), max(top_col, c)
    heights = heights or {}
    for r in sorted(set(spans) | {r for r in heights if r in scan.rows}):
        _row_head(splice, scan, r, spans.get(r, set()), heights.get(r))
    set_dimension(splice, scan, top_row, top_col)
    return splice.result()


def _new_style(
    style: int, w: dict[str, Any], styles: StyleBook, date_format: str, datetime_format: str
) -> int:
    """Cell format ``style`` with what the write ``w`` adds: a date format, a fill."""
    value = w.get("value")
    if isinstance(value, dt.date):
        has_time = isinstance(value, dt.datetime) and value.replace(tzinfo=None).time() != dt.time()
        style = styles.with_date_format(style, datetime_format if has_time else date_format)
    if "fill" in w:
        style = styles.with_fill(style, w["fill"])
    if w.get("wrap"):
        style = styles.wrapped(style)
    return style


def _change_cell(
    splice: Splice,
    scan: SheetScan,
    existing: tuple[int, int, int],
    r: int,
    c: int,
    w: dict[str, Any],
    style: int,
    before: int,
    epoch: dt.datetime,
    keep_formulas: bool,
) -> bool:
    """Write ``w`` over the cell that is there (``existing``); False when nothing changes."""
    data = scan.data
    start, end = scan.cell_span(existing[0], existing[1])
    if holds_shared_formula(data, start, end):
        raise Unusual("a shared or array formula would be overwritten")
    if keep_formulas and "value" in w and ANY_FORMULA.search(data, start, end):
        # Excel's calculation chain would name a formula that is gone: it calls that a
        # corrupt file. openpyxl drops the chain when it saves.
        raise Unusual("a formula listed in the calculation chain would be overwritten")
    if "value" in w:
        splice.replace(start, end, cell_xml(scan.prefix, r, c, w["value"], style, epoch))
    elif style != before:
        head_end = tag_end(data, start)
        splice.replace(start, head_end, set_attr(data[start:head_end].decode("utf-8"), "s", str(style)))
    else:
        return False
    return True


def _add_cell(
    splice: Splice, scan: SheetScan, r: int, c: int, value: Any, style: int, before: int, epoch: dt.datetime
) -> bool:
    """Add a cell where the row has none; False when there is nothing to add."""
    if value is None and style == before:
        return False  # already blank and unformatted: don't make a cell just to empty it
    xml = cell_xml(scan.prefix, r, c, value, style, epoch)
    if not xml:
        return False
    row = scan.rows.get(r)
    if row is None or row[1] == -1:
        raise Unusual(f"row {r} has no cells to add to")
    at = next((s for col, s, _, _ in scan.cells_in(r) if col > c), row[1])
    splice.insert(at, xml)
    return True


def _row_head(
    splice: Splice, scan: SheetScan, row: int, cols: set[int], heights: tuple[float, float] | None
) -> None:
    """A row's start tag, its optional ``spans`` hint kept true after cells were added to it
    (``cols``), and its height following its multi-line cells (``heights``: before, after)."""
    start = scan.rows[row][0]
    end = tag_end(scan.data, start)
    old = scan.data[start:end].decode("utf-8")
    head = _widen_spans(old, cols)
    if heights is not None:
        try:
            current = float(attr(head, "ht") or "") if attr(head, "customHeight") in ("1", "true") else None
        except ValueError:
            current = None
        head = with_height(head, new_height(current, *heights))
    if head != old:
        splice.replace(start, end, head)


def with_height(head: str, height: float | None) -> str:
    """A ``<row>`` start tag with ``ht`` (and ``customHeight``) set to ``height``; None: as it is."""
    if height is None:
        return head
    current = attr(head, "ht")
    try:
        same = current is not None and abs(float(current) - height) < 0.01
    except ValueError:
        same = False
    if same and attr(head, "customHeight") in ("1", "true"):
        return head
    return set_attr(set_attr(head, "ht", f"{height:g}"), "customHeight", "1")


def _widen_spans(head: str, cols: set[int]) -> str:
    spans = attr(head, "spans")
    if not spans or not cols:
        return head
    try:
        ranges = [(int(a), int(b or a)) for a, _, b in (part.partition(":") for part in spans.split())]
    except ValueError:
        return head
    if all(any(a <= c <= b for a, b in ranges) for c in cols):
        return head
    lo = min([a for a, _ in ranges] + list(cols))
    hi = max([b for _, b in ranges] + list(cols))
    return set_attr(head, "spans", f"{lo}:{hi}")


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
        lines = 1
        for c, v in enumerate(values, 1):
            if v is None or v == "":
                continue
            style = base
            if isinstance(v, dt.date):
                has_time = isinstance(v, dt.datetime) and v.time() != dt.time()
                style = styles.with_date_format(base, datetime_format if has_time else date_format)
            if isinstance(v, str) and "\n" in v:  # a message: wrapped, top-aligned, all its lines shown
                style = styles.wrapped(style)
                lines = max(lines, text_lines(v, widths[c - 1] if c - 1 < len(widths) else 10))
            cells.append(cell_xml(p, r, c, v, style, epoch))
        if not cells:
            return ""
        xml = row_xml(p, r, cells)
        if lines > 1:
            height = min(MAX_ROW_HEIGHT, lines * LINE_HEIGHT + 3.0)
            xml = with_height(xml[: xml.index(">") + 1], height) + xml[xml.index(">") + 1 :]
        return xml

    start, end = element_span(data, scan.sheet_data[0], scan.sheet_data[1])
    if replace:
        bold = styles.bold(0)
        body = [row(1, list(header), bold)] + [row(r, list(v), 0) for r, v in enumerate(rows, 2)]
        splice.replace(start, end, f"<{p}sheetData>" + "".join(body) + f"</{p}sheetData>")
        _put_widths(splice, scan, start, widths)
        last_row = 1 + len(rows)
        last_col = max([len(header)] + [len(r) for r in rows] + [1])
        _exact_dimension(splice, scan, last_row, last_col)
    else:
        first = max(scan.max_row, scan.last_row_element, 1) + 1  # after rows with only a height, too
        appended = "".join(row(r, list(v), 0) for r, v in enumerate(rows, first))
        if scan.sheet_data[1] == -1:  # <sheetData/>
            splice.replace(start, end, f"<{p}sheetData>{appended}</{p}sheetData>")
        else:
            splice.insert(scan.sheet_data[1], appended)
        set_dimension(splice, scan, first + len(rows) - 1, max([len(r) for r in rows] + [1]))
    return splice.result()


def _put_widths(splice: Splice, scan: SheetScan, sheet_data: int, widths: list[int]) -> None:
    """The sheet's column widths (its <cols>) replaced by ``widths``."""
    p = scan.prefix
    cols = "".join(
        f'<{p}col min="{i}" max="{i}" width="{w}" customWidth="1"/>' for i, w in enumerate(widths, 1)
    )
    if scan.cols is not None:
        c_start, c_end = element_span(scan.data, scan.cols[0], scan.cols[1])
        splice.replace(c_start, c_end, f"<{p}cols>{cols}</{p}cols>")
    elif widths:
        splice.insert(sheet_data, f"<{p}cols>{cols}</{p}cols>")


def _exact_dimension(splice: Splice, scan: SheetScan, last_row: int, last_col: int) -> None:
    if scan.dimension is None:
        return
    end = tag_end(scan.data, scan.dimension)
    tag = scan.data[scan.dimension : end].decode("utf-8")
    splice.replace(scan.dimension, end, set_attr(tag, "ref", f"A1:{get_column_letter(last_col)}{last_row}"))


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
    active: int | None = None,
) -> tuple[bytes, bytes, bytes]:
    """workbook.xml, its relationships and [Content_Types].xml with worksheet ``name`` added.

    ``first`` puts it first; otherwise it goes last. ``active`` is the tab the workbook opens
    on, by position in the new order (None: as it was, or the new first sheet).
    """
    for data in (workbook_xml, rels_xml, content_types):
        check_utf8(data)
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
    wb = _list_sheet(wb, name, rid, first=first, active=active)
    return wb.encode("utf-8"), rels.encode("utf-8"), types.encode("utf-8")


def _list_sheet(wb: str, name: str, rid: str, *, first: bool, active: int | None = None) -> str:
    """workbook.xml's text with a ``<sheet>`` for ``name`` (relationship ``rid``) in its list."""
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
        return _insert_before_close(wb, "sheets", tag)
    wb = wb[: sheets.end()] + tag + wb[sheets.end() :]
    # Sheet-scoped names count sheets by position: every one moved one place right.
    wb = re.sub(
        rf"(<{p}definedName\b[^>]*\blocalSheetId\s*=\s*[\"'])(\d+)",
        lambda m: m.group(1) + str(int(m.group(2)) + 1),
        wb,
    )
    view = re.search(rf"<{p}workbookView\b[^>]*>", wb)
    if view:
        head = set_attr(view.group(0), "activeTab", str(active or 0))
        if attr(head, "firstSheet") is not None:
            head = set_attr(head, "firstSheet", "0")
        wb = wb[: view.start()] + head + wb[view.end() :]
    return wb


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


def select_tab(data: bytes) -> bytes:
    """A worksheet part whose tab is selected (the sheet the workbook opens on)."""
    end = data.find(b"sheetData")
    head = data[: end if end != -1 else len(data)]
    m = _SHEET_VIEW.search(head)
    if m is None or _TAB_SELECTED.search(m.group(0)):
        return data
    tag = m.group(0).decode("utf-8")
    return data[: m.start()] + set_attr(tag, "tabSelected", "1").encode("utf-8") + data[m.end() :]
