"""The quick pass over a worksheet's cells, for :func:`.scan.scan_chunks`.

Most of a worksheet is its <sheetData>, and most of the cost of scanning it was the Python
handlers expat calls for each element (issue 17). The quick pass reads the cells of the plain
shapes every spreadsheet program writes (a value, an inline string, an empty styled cell) with
one regular expression per cell, gives each to the same _Scanner.cell_end the handlers use,
and lets expat parse the same bytes without handlers, so a file expat refuses is still refused.
Any other shape anywhere in sheetData (a formula, rich text, a comment, whitespace between
tags, an attribute with an entity) and the whole part is scanned by the handlers instead.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from openpyxl.utils import column_index_from_string

from .row_memo import row_key
from .scan import Known, check_utf8
from .values import excel_date, typed, xml_text

if TYPE_CHECKING:
    from .row_memo import PartMemo
    from .scan import _Scanner


@functools.lru_cache(maxsize=4)
def _quick_patterns(
    prefix: str,
) -> tuple[re.Pattern[bytes], re.Pattern[bytes], bytes, int, re.Pattern[bytes]]:
    p = re.escape(prefix.encode())
    plain = rb'(?:\s+[A-Za-z_][\w.:-]*\s*=\s*"[^"<&\t\n\r]*")*'  # attributes without entities
    attrs = rb"(" + plain + rb")\s*"
    t = rb"<" + p + rb"t" + plain + rb"\s*"
    cell = re.compile(
        rb"<" + p + rb"c" + attrs + rb"(?:/>|>(?:<" + p + rb"v>([^<]*)</" + p + rb"v>"
        + rb"|<" + p + rb"is>" + t + rb">([^<]*)</" + p + rb"t></" + p + rb"is>"
        + rb"|(<" + p + rb"is>" + t + rb"/></" + p + rb"is>))</" + p + rb"c>)"
    )  # fmt: skip
    row = re.compile(rb"<" + p + rb"row" + attrs + rb"(/?)>")
    row_end = b"</" + prefix.encode() + b"row>"
    # The shape of nearly every cell, read without a dict of its attributes: r, s and t in this
    # order; an empty cell ends "/>" or, as openpyxl writes it, " />".
    usual = re.compile(
        rb'<' + p + rb'c r="([A-Z]{1,3})([1-9][0-9]{0,6})"(?: s="([0-9]{1,9})")?(?: t="([a-zA-Z]{1,9})")?'
        + rb"(?: ?/>|>(?:<" + p + rb"v>([^<]*)</" + p + rb"v>"
        + rb'|<' + p + rb'is><' + p + rb't(?: xml:space="preserve")?>([^<]*)</' + p + rb"t></" + p + rb"is>)</"
        + p + rb"c>)"
    )  # fmt: skip
    return cell, row, row_end, len(b"</" + prefix.encode() + b"c>"), usual


_ATTR = re.compile(rb'([A-Za-z_][\w.:-]*)\s*=\s*"([^"]*)"')


_SHEET_DATA = re.compile(rb"<((?:[A-Za-z_][\w.-]*:)?)sheetData>")


def scan_quickly(scanner: _Scanner, chunks: Iterator[bytes], memo: PartMemo | None = None) -> bool:
    """Scan the part, given piece by piece, with the quick pass over its cells; False when the
    part is not one it takes. The handlers read what comes before and after <sheetData>; its
    rows go to the quick pass a run of whole rows at a time (the rows ``memo`` remembers taken
    from it), and to expat without handlers, so a file expat refuses is still refused."""
    buf, m = b"", None
    for chunk in chunks:  # the head: up to the cells
        buf += chunk
        m = _SHEET_DATA.search(buf)
        if m is not None:
            break
    if m is None:
        return False
    check_utf8(buf)
    head, buf, base = buf[: m.end()], buf[m.end() :], m.end()
    pis = head.count(b"<?")
    if b"<!" in head or pis > 1:
        return False  # comments, CDATA, a DOCTYPE, processing instructions: expat's handlers
    parser = scanner.parser
    scanner.window = (head, 0)
    parser.Parse(head, False)  # the handlers read what comes before the cells
    prefix = m.group(1).decode()
    if scanner.scan.prefix != prefix or scanner.scan.sheet_data is None:
        return False
    handlers = parser.StartElementHandler, parser.EndElementHandler, parser.CharacterDataHandler
    parser.StartElementHandler = parser.EndElementHandler = parser.CharacterDataHandler = None
    end_tag, row_end = b"</" + m.group(1) + b"sheetData>", b"</" + m.group(1) + b"row>"
    while True:
        stop = buf.find(end_tag)
        if stop >= 0:
            cut = stop  # the last rows
        else:
            last = buf.rfind(row_end)  # a row never spans two pieces
            cut = last + len(row_end) if last >= 0 else 0
        if cut:  # whole rows: buf[:cut]
            spans = _quick_rows(scanner, buf, cut, prefix, base, memo)
            if spans is None:
                return False
            if not _checked(scanner, buf, spans, cut):
                return False
            buf, base = buf[cut:], base + cut
        if stop >= 0:
            break
        more = next(chunks, None)
        if more is None:
            return False  # <sheetData> without its end: expat's handlers say so
        buf += more
    tail = buf + b"".join(chunks)
    if b"<!" in tail or pis + tail.count(b"<?") > 1:
        return False
    parser.StartElementHandler, parser.EndElementHandler, parser.CharacterDataHandler = handlers
    scanner.window = (tail, base)
    parser.Parse(tail, True)
    return True


def _checked(scanner: _Scanner, buf: bytes, spans: list[tuple[int, int]], cut: int) -> bool:
    """Give expat the rows parsed of buf[:cut] (those the memo gave were checked when they were
    remembered): well-formed, in UTF-8, every character allowed, no comment or processing
    instruction besides the part's XML declaration."""
    view, unparsed = memoryview(buf), cut
    for start, end in spans:
        if buf.find(b"<?", start, end) >= 0 or buf.find(b"<!", start, end) >= 0:
            return False
        scanner.parser.Parse(view[start:end], False)
        unparsed -= end - start
    scanner.unparsed += unparsed
    return True


def _quick_rows(
    scanner: _Scanner, data: bytes, stop: int, prefix: str, base: int, memo: PartMemo | None
) -> list[tuple[int, int]] | None:
    """:func:`_quick_cells` over data[:stop], whole rows, each row ``memo`` knows (its number,
    length and hash, see :mod:`.row_memo`) taken from it instead; None at a shape not taken.
    Rows go into the scan in file order, as parsing them all would. The spans parsed, which
    expat must see: the rows taken from the memo were well-formed when they were remembered."""
    if memo is None:
        return [(0, stop)] if _quick_cells(scanner, data, 0, stop, prefix, base) else None
    _, row_rx, row_end, _, _ = _quick_patterns(prefix)
    view, known, ends = memoryview(data), memo.known, len(row_end)
    pos = run = 0  # the next row; the first of the rows not yet in the scan
    spans: list[tuple[int, int]] = []
    parsed: list[tuple[int, int, bytes]] = []  # (row, length, hash) of those
    while pos < stop:
        m = row_rx.match(data, pos, stop)
        if m is None or m.group(2) or not m.group(1).startswith(b' r="'):
            break  # not a numbered row with cells (whitespace, <row/>): the rest is parsed
        head = m.group(1)
        number = head[4 : head.index(b'"', 4)]
        row = int(number) if number.isdigit() else 0
        entry = known.get(row)
        if entry is not None and data.startswith(row_end, pos + entry[0] - ends, stop):
            end = pos + entry[0]  # where the remembered row ended: the same bytes end there
            key = row_key(view[pos:end])
            if key == entry[1]:
                if run < pos:
                    if not _quick_cells(scanner, data, run, pos, prefix, base):
                        return None
                    spans.append((run, pos))
                if memo.recall(scanner, row, base + pos, base + end - ends):
                    run = end
                else:
                    run = pos  # its number met already: parsed, as the handlers' steps say
                pos = end
                continue
        close = data.find(row_end, m.end(), stop)
        if close < 0:
            break
        end = close + ends
        if row:
            parsed.append((row, end - pos, row_key(view[pos:end])))
        pos = end
    if run < stop:
        if not _quick_cells(scanner, data, run, stop, prefix, base):
            return None
        spans.append((run, stop))
    memo.remember(parsed)
    return spans


def _quick_cells(scanner: _Scanner, data: bytes, pos: int, stop: int, prefix: str, base: int = 0) -> bool:
    """Read every row and cell of data[pos:stop] (a piece of the part, from offset ``base``) as the
    handlers would; False at a shape not taken. The usual cell inline, the rest in _other_shape."""
    patterns = _quick_patterns(prefix)
    usual_match, values, texts = patterns[4].match, scanner.values, scanner.shared_texts
    columns = Known(_column_number)  # b"AB" -> 28, as met
    styles, kinds = Known(int, {None: 0}), Known(bytes.decode, {None: "n"})
    dates, durations, epoch, strings = scanner.dates, scanner.durations, scanner.epoch, scanner.shared_strings
    # The row being read, so that its cells need no look-ups: digits, [column, style, ...], values.
    row_digits, row, in_row, row_cells, row_values = b"", 0, False, list[int](), list[Any]()
    max_row = max_col = last_col = 0
    try:
        while pos < stop:
            m = usual_match(data, pos, stop) if in_row else None
            if m is None:  # any other shape: through the handlers' own steps
                scanner.col, row_digits = last_col, b""
                step = _other_shape(scanner, data, pos, stop, in_row, patterns, base)
                if step is None:
                    return False
                pos, in_row = step
                last_col = scanner.col
                continue
            letters, digits, s, k, v, t = m.groups()
            if digits != row_digits:
                row_digits, row = digits, int(digits)
                row_cells, row_values = _lists_of(scanner, row)
                max_row = row if row > max_row else max_row
            last_col = col = columns[letters]
            style = styles[s]
            row_cells += (col, style)
            max_col = col if col > max_col else max_col
            pos = m.end()
            if v is None and t is None:
                continue  # an empty (styled) cell: nothing to put in the grid
            # The type read from its bytes (t="..."; none is a number): no look-up for the usual three.
            if t is not None and k == b"inlineStr" and b"&" not in t and b"\r" not in t:
                value: Any = texts[t]  # most of a tracker's text (see _other_value, scan.shared_text)
            elif v and (k is None or k == b"n") and b"&" not in v and b"\r" not in v:
                value = float(v) if (b"." in v or b"E" in v or b"e" in v) else int(v)
                if style in dates:
                    value = excel_date(value, epoch, style in durations)
            elif v and k == b"s":
                value = strings[int(v)]
            else:
                value = _other_value(kinds[k], v, t, style, scanner)
                if value is _SKIP:
                    continue
            n = len(row_values)
            if n != col - 1:  # not the next column: a gap, or a column met again
                _place(values, row, row_values, col, value)
            else:
                row_values.append(value)
                if not n:
                    values[row] = row_values  # the row's first value (a row's list is new to it)
        return not in_row
    finally:
        scanner.col = last_col
        scan = scanner.scan
        scan.max_row, scan.max_col = max(scan.max_row, max_row), max(scan.max_col, max_col)


def _place(values: dict[int, list[Any]], row: int, row_values: list[Any], col: int, value: Any) -> None:
    """Put ``value`` in column ``col`` of a row's values when it is not the next one along."""
    n = len(row_values)
    if n >= col:
        row_values[col - 1] = value
        return
    if not n:
        values[row] = row_values
    row_values.extend([None] * (col - 1 - n))
    row_values.append(value)


def _lists_of(scanner: _Scanner, row: int) -> tuple[list[int], list[Any]]:
    """Row ``row``'s [column, style, ...] and its values so far (a new list: not yet in values)."""
    if row != scanner.row:
        scanner.scan.irregular = True  # a cell outside the row element of its number
    cell_styles = scanner.cell_styles
    return cell_styles.get(row) or cell_styles.setdefault(row, []), scanner.values.get(row) or []


def _column_number(letters: bytes) -> int:
    return column_index_from_string(letters.decode())


_SKIP = object()  # a cell without a value: nothing to put in the grid


def _other_value(kind: str, v: bytes | None, t: bytes | None, style: int, scanner: _Scanner) -> Any:
    """The value of a usual-shaped cell that is neither a plain number nor a shared string."""
    if kind == "inlineStr":
        if t is None:
            return _SKIP
        return xml_text(t) if b"&" in t or b"\r" in t else t.decode("utf-8")
    if not v:
        return _SKIP
    text = xml_text(v) if b"&" in v or b"\r" in v else v.decode("utf-8")
    if not text:
        return _SKIP
    return typed(text, kind, style, scanner.dates, scanner.durations, scanner.epoch, scanner.shared_strings)


def _other_shape(
    scanner: _Scanner, data: bytes, pos: int, stop: int, in_row: bool, patterns: tuple, base: int
) -> tuple[int, bool] | None:
    """One step at ``pos`` through the handlers' own steps: a cell of another shape, a row's end
    or a row's start. The position after it and whether a row is still open; None at a shape
    not taken."""
    cell_rx, row_rx, row_end, _, _ = patterns
    state, cell_end = scanner.state, scanner.cell_end
    if in_row:
        if data.startswith(row_end, pos):  # the row's end, the step taken most
            scanner.row_spans[scanner.row] = (scanner.row_start, base + pos)
            return pos + len(row_end), False
        m = cell_rx.match(data, pos, stop)
        if m is not None:
            state.clear()
            state["attrs"] = {k.decode(): v.decode() for k, v in _ATTR.findall(m.group(1))}
            v, t = m.group(2), m.group(3)
            if v is not None:  # <c ...><v>...</v></c>
                state["v"] = True
                state["vtext"] = xml_text(v)
            elif t is not None or m.group(4) is not None:  # <c ...><is><t>...</t></is></c>
                state["is"] = ["" if t is None else xml_text(t)]
            cell_end()  # else <c .../>
            return m.end(), True
        return None
    m = row_rx.match(data, pos, stop)
    if m is None:
        return None
    head = m.group(1)
    if head.startswith(b' r="') and b"customFormat" not in head:
        # the row's number is all start_row reads here (its style counts only with customFormat)
        attrs = {"r": head[4 : head.index(b'"', 4)].decode()}
    else:
        attrs = {k.decode(): v.decode() for k, v in _ATTR.findall(head)}
    scanner.start_row(attrs, at=base + pos)
    if m.group(2):  # <row .../>
        scanner.row_spans[scanner.row] = (scanner.row_start, -1)
        return m.end(), False
    return m.end(), True


def row_positions(
    data: bytes, start: int, end: int, row: int, prefix: str
) -> list[tuple[int, int, int, int]] | None:
    """The cells of the row element data[start:end] ("<row" to just past "</row>") as
    :func:`.scan.cell_positions` gives them, found with the quick pass's pattern; None at any
    other shape, and the caller asks expat. A first run writes every row: expat's handlers per
    row cost as much as the whole scan did."""
    _, row_rx, row_end, close_len, usual = _quick_patterns(prefix)
    m = row_rx.match(data, start, end)
    if m is None or m.group(2):
        return None
    pos, digits, match, out = m.end(), str(row).encode(), usual.match, []
    while not data.startswith(row_end, pos):
        c = match(data, pos, end)
        if c is None or c.group(2) != digits:
            return None
        letters, _, s, _, v, t = c.groups()
        stop = c.end()
        # expat's end event: just past an empty cell, at the "</c>" of a full one
        out.append(
            (
                column_index_from_string(letters.decode()),
                pos,
                stop if v is None and t is None else stop - close_len,
                int(s) if s else 0,
            )
        )
        pos = stop
    return out if pos + len(row_end) == end else None
