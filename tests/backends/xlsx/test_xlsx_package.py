"""The workbook's small parts read directly (issue 17): the same facts openpyxl's loader gives.

The reference is openpyxl: its read-only loader for the names, parts, shared strings, date and
duration styles, epoch and fills, and its full load for every value and colour a read gives.
"""

from __future__ import annotations

import datetime as dt
import io
import tempfile
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.chart import BarChart, Reference
from openpyxl.reader.strings import read_string_table
from openpyxl.styles import PatternFill
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from followsync.backends.xlsx.backend import XlsxBackend
from followsync.backends.xlsx.package import read_package, read_shared_strings
from followsync.backends.xlsx.scan import MAIN_NS
from followsync.backends.xlsx.spliced import SplicedBook

from .test_xlsx_backend import HEADER
from .test_xlsx_parts import fast_and_slow, with_shared_strings

# ------------------------------------------------------------------------------ shared strings

plain = st.text(st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from("\n\t\r "), max_size=12)
text_xml = st.one_of(
    plain.map(lambda t: f'<t xml:space="preserve">{escape(t)}</t>'),
    plain.map(lambda t: f"<t>{escape(t)}</t>"),
    st.just("<t/>"),
    st.just("<t>x005F_x000D_ keep &amp; &#233;</t>"),
)
run = st.tuples(st.booleans(), text_xml).map(
    lambda p: "<r>" + ('<rPr><b/><sz val="11"/><color rgb="FFFF0000"/></rPr>' if p[0] else "") + p[1] + "</r>"
)
phonetic = st.sampled_from(
    ['<rPh sb="0" eb="1"><t>カナ</t></rPh>', '<phoneticPr fontId="1" type="noConversion"/>']
)
si = st.one_of(
    text_xml,
    st.lists(run, min_size=1, max_size=3).map("".join),
    st.tuples(text_xml, st.lists(phonetic, max_size=2)).map(lambda p: p[0] + "".join(p[1])),
    st.tuples(st.lists(run, max_size=2), phonetic).map(lambda p: "".join(p[0]) + p[1]),
    st.just(""),
    st.just("<t>a</t><t>b</t>"),  # not what Excel writes: goes to openpyxl's reader
    st.just("<t>a<b/>c</t>"),
)


@settings(max_examples=200, deadline=None)
@given(items=st.lists(si, max_size=8), prefixed=st.booleans())
def test_shared_strings_read_as_openpyxl_reads_them(items, prefixed):
    if prefixed:
        body = "".join(f"<x:si>{i}</x:si>" for i in items).replace("<", "<x:").replace("<x:/", "</x:")
        body = body.replace("<x:x:", "<x:").replace("</x:x:", "</x:")
        xml = f'<?xml version="1.0"?>\r\n<x:sst xmlns:x="{MAIN_NS}">{body}</x:sst>'
    else:
        xml = (
            f'<?xml version="1.0"?>\r\n<sst xmlns="{MAIN_NS}" count="{len(items)}">'
            + "".join(f"<si>{i}</si>" for i in items)
            + "</sst>"
        )
    data = xml.encode()
    assert read_shared_strings(data) == read_string_table(io.BytesIO(data))


# ------------------------------------------------------------------------------ styles and the rest

FORMATS = [
    "General",
    "0.00",
    "yyyy-mm-dd",
    "d-mmm-yy",
    "mm/dd/yyyy hh:mm",
    "[h]:mm:ss",
    "h:mm",
    "[mm]:ss",
    "dd/mm/yyyy;@",
    '"Due "yyyy-mm-dd',
    "0%",
    "@",
    "m/d/yyyy",  # a builtin's code, written as custom by some programs
    "[$-409]mmmm d, yyyy",
]
FILLS = [None, "FFF4CCCC", "00C9DAF8", "theme", "gray125", "FFFFFFFF"]


def styled_tracker(
    path: Path, cells: list[tuple[int, float | int | str | dt.date, int, int]], mac: bool
) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.worksheets[0]
    ws.title = "Tracker"
    if mac:
        wb.epoch = CALENDAR_MAC_1904
    ws.append(HEADER)
    for i, (col, value, fmt, fill) in enumerate(cells):
        c = ws.cell(2 + i, col, value)
        c.number_format = FORMATS[fmt]
        kind = FILLS[fill]
        if kind == "theme":
            c.fill = PatternFill("solid", fgColor=openpyxl.styles.colors.Color(theme=4))
        elif kind == "gray125":
            c.fill = PatternFill("gray125")
        elif kind is not None:
            c.fill = PatternFill("solid", fgColor=kind)
    chart = BarChart()
    chart.add_data(Reference(ws, min_col=6, min_row=1, max_row=3), titles_from_data=True)
    wb.create_chartsheet("Chart").add_chart(chart)
    wb.create_sheet("Notes").append(["a note"])
    wb.save(path)
    return path


cell_values = st.one_of(
    st.integers(0, 60000),
    st.floats(0, 60000, allow_nan=False, width=32),
    st.dates(dt.date(1990, 1, 1), dt.date(2040, 12, 31)),
    st.just("text"),
)
styled_cells = st.lists(
    st.tuples(
        st.integers(1, len(HEADER)),
        cell_values,
        st.integers(0, len(FORMATS) - 1),
        st.integers(0, len(FILLS) - 1),
    ),
    max_size=10,
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cells=styled_cells, mac=st.booleans(), shared=st.booleans())
def test_number_formats_dates_and_fills_read_as_openpyxl_reads_them(cells, mac, shared):
    with tempfile.TemporaryDirectory() as folder:
        path = styled_tracker(Path(folder) / "t.xlsx", cells, mac)
        if shared:
            with_shared_strings(path)
        data = path.read_bytes()
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            direct = read_package(z, z.namelist())
        loaded = SplicedBook._loaded(data)
        assert direct.parts == loaded.parts
        assert direct.sheetnames == loaded.sheetnames
        assert direct.shared_strings == loaded.shared_strings
        assert direct.date_styles == loaded.date_styles
        assert direct.timedelta_styles == loaded.timedelta_styles
        assert direct.epoch == loaded.epoch
        assert direct.xf_fills == loaded.xf_fills
        assert direct.fills == loaded.fills
        quick, slow = fast_and_slow(path)
        assert quick.grid == slow.grid
        assert quick.fills == slow.fills


def test_a_read_does_not_load_the_workbook_through_openpyxl(tmp_path, monkeypatch):
    path = styled_tracker(tmp_path / "t.xlsx", [(6, dt.date(2026, 11, 20), 2, 1), (7, 3, 5, 1)], False)
    with_shared_strings(path)

    def refuse(*args, **kwargs):
        raise AssertionError("openpyxl.load_workbook was called")

    monkeypatch.setattr(openpyxl, "load_workbook", refuse)
    monkeypatch.setattr("openpyxl.reader.excel.load_workbook", refuse)
    backend = XlsxBackend(path)
    snap = backend.read()
    assert backend._book is not None
    assert snap.grid[1][5] == dt.datetime(2026, 11, 20)
    assert snap.fills


def test_parts_the_direct_read_does_not_take_go_to_openpyxls_reader(tmp_path):
    path = with_shared_strings(styled_tracker(tmp_path / "t.xlsx", [(2, "x", 0, 1)], False))
    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n) for n in z.namelist()}
    # two plain texts in one string: not what Excel writes, so openpyxl's own reader reads it
    members["xl/sharedStrings.xml"] = members["xl/sharedStrings.xml"].replace(b"<si>", b"<si><t>a</t>", 1)
    with zipfile.ZipFile(path, "w") as z:
        for n, d in members.items():
            z.writestr(n, d)
    quick, slow = fast_and_slow(path)
    assert quick.grid == slow.grid
    assert quick.fills == slow.fills


# ------------------------------------------------------------------------------ the quick pass over the cells

_cell_shapes = st.sampled_from(
    [
        '<c r="{ref}" s="1"><v>42</v></c>',
        '<c r="{ref}"><v>3.5E2</v></c>',
        '<c r="{ref}" s="2"/>',
        '<c r="{ref}" s="2" t="n" />',  # an empty cell as openpyxl writes it
        '<c r="{ref}" t="inlineStr"><is><t>a &amp; b &lt;c&gt; &#233;&#x1F389;</t></is></c>',
        '<c r="{ref}" s="3" t="inlineStr"><is><t xml:space="preserve"> line\r\none\rtwo </t></is></c>',
        '<c r="{ref}" t="inlineStr"><is><t/></is></c>',
        '<c r="{ref}" t="inlineStr"><is><t></t></is></c>',
        '<c r="{ref}" t="s"><v>0</v></c>',
        '<c r="{ref}" t="b"><v>1</v></c>',
        '<c r="{ref}" t="e"><v>#N/A</v></c>',
        '<c r="{ref}" t="str"><v>text</v></c>',
        '<c r="{ref}" t="n"><v></v></c>',
        '<c r="{ref}" t="inlineStr"><v>7</v></c>',
        '<c r="{ref}" t="s"><is><t>x</t></is></c>',
        '<c t="inlineStr" r="{ref}" s="1"><is><t>attributes in another order</t></is></c>',
        '<c r="{ref}"  s="1" ><v>5</v></c>',
        '<c r="{ref}" s="1"><f>1+1</f><v>2</v></c>',  # a formula: the handlers read the part
        '<c r="{ref}" t="inlineStr"><is><r><t>rich</t></r></is></c>',  # rich text: the handlers too
        '<c s="1"><v>9</v></c>',  # no reference
    ]
)


@settings(max_examples=150, deadline=None)
@given(
    rows=st.lists(st.lists(_cell_shapes, max_size=5), max_size=5),
    prefixed=st.booleans(),
    empty_rows=st.booleans(),
    date_style=st.booleans(),
)
def test_the_quick_pass_reads_what_the_handlers_read(rows, prefixed, empty_rows, date_style):
    import dataclasses

    from openpyxl.utils import get_column_letter
    from openpyxl.utils.datetime import CALENDAR_WINDOWS_1900

    from followsync.backends.xlsx import scan

    body = []
    for r, cells in enumerate(rows, start=1):
        xml = "".join(
            shape.format(ref=f"{get_column_letter(c)}{r}") for c, shape in enumerate(cells, start=1)
        )
        body.append(
            f'<row r="{r}" spans="1:5" x14ac:dyDescent="0.25">{xml}</row>'
            if xml or not empty_rows
            else f'<row r="{r}"/>'
        )
    sheet = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{MAIN_NS}" '
        'xmlns:x14ac="http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac">'
        f'<dimension ref="A1:E5"/><cols><col min="1" max="2" width="9" style="1"/></cols><sheetData>{"".join(body)}</sheetData>'
        '<mergeCells count="1"><mergeCell ref="A1:B1"/></mergeCells></worksheet>'
    )
    if prefixed:
        sheet = (
            sheet.replace("<", "<x:").replace("<x:/", "</x:").replace("<x:?", "<?").replace("</x:x:", "</x:")
        )
        sheet = sheet.replace(f'xmlns="{MAIN_NS}"', f'xmlns:x="{MAIN_NS}"')
    data = sheet.encode()
    dates = frozenset({1} if date_style else set())
    quick = scan.scan_sheet(data, shared_strings=["shared"], date_styles=dates, epoch=CALENDAR_WINDOWS_1900)
    handlers = scan._Scanner(data, ["shared"], dates, frozenset(), CALENDAR_WINDOWS_1900)
    handlers.parser.Parse(data, True)
    slow = handlers.scan
    slow.rows, slow.cell_styles = handlers.row_spans, handlers.cell_styles
    if handlers.values:
        slow.grid = [handlers.values.get(r) or [] for r in range(1, max(handlers.values) + 1)]
    for f in dataclasses.fields(quick):
        if f.compare:  # not the loader of the part's bytes, nor what was found in them again
            assert getattr(quick, f.name) == getattr(slow, f.name), f.name
    # Where the cells are, found again in one row's bytes when a write asks: expat's offsets
    # in the whole part, each span one whole cell element.
    everywhere = scan.cell_positions(data, 0, len(data), quick.prefix)
    p = quick.prefix
    for r in range(1, len(rows) + 2):
        found = quick.cells_in(r)
        assert found == everywhere.get(r, [])
        for _, start, event, _ in found:
            begin, end = quick.cell_span(start, event)
            cell = data[begin:end]
            assert cell.startswith(f"<{p}c ".encode()) and cell.endswith((b"/>", f"</{p}c>".encode()))
