"""The .xlsx fast path: scanning parts with expat and splicing changes into them.

The reference is openpyxl: what the scan reads must be what openpyxl's full load reads, and
what the splice writes must read back in openpyxl (and LibreOffice, where installed) as the
values asked for, with every other cell and part of the file as it was.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import shutil
import subprocess
import tempfile
import warnings
import zipfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.styles import Font, PatternFill
from openpyxl.workbook.defined_name import DefinedName

from followsync.backends.xlsx.backend import XlsxBackend
from followsync.core.cells import CellError
from followsync.core.changes import CellWrite, ChangeSet, FillWrite, SheetWrite

from .test_xlsx_backend import HEADER, ref, save, tracker

NEXT, DUE = "Next action", "Due"

# Values a person's cells hold, as openpyxl writes them: text of every kind, numbers, dates.
texts = st.text(st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from("\n\t"), max_size=40)
values = st.one_of(
    st.none(),
    texts,
    st.sampled_from(
        ["0049 30 1234", "=SUM(A1)", "  padded  ", "line one\nline two", "a & b <c>", "Ünïcødé ✓ 🎉"]
    ),
    st.integers(-(10**9), 10**9),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.booleans(),
    st.dates(dt.date(1990, 1, 1), dt.date(2040, 12, 31)),
    st.datetimes(dt.datetime(1990, 1, 1), dt.datetime(2040, 12, 31)).map(lambda d: d.replace(microsecond=0)),
)


def fast_and_slow(path: Path):
    """The snapshot read by the scan, and the one read through openpyxl's full load."""
    fast = XlsxBackend(path)
    quick = fast.read()
    assert fast._book is not None, "the scan fell back to openpyxl"
    slow = XlsxBackend(path)
    slow._open = slow._load  # type: ignore[method-assign]  # read() as it was before the scan
    return quick, slow.read()


def sheet_bytes(path: Path, member: str = "xl/worksheets/sheet1.xml") -> bytes:
    with zipfile.ZipFile(path) as z:
        return z.read(member)


def parts_of(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def write_parts(path: Path, members: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for n, data in members.items():
            z.writestr(n, data)


def edit_sheet(path: Path, edit) -> None:
    """Rewrite the first worksheet's XML with ``edit(text)``: how a test imitates another writer."""
    members = parts_of(path)
    members["xl/worksheets/sheet1.xml"] = edit(members["xl/worksheets/sheet1.xml"].decode()).encode()
    write_parts(path, members)


def every_value(path: Path) -> dict[tuple[str, str], object]:
    wb = openpyxl.load_workbook(path)
    return {
        (ws.title, c.coordinate): (c.value, c.number_format, c.fill.fgColor.rgb if c.fill.fill_type else None)
        for ws in wb.worksheets
        for row in ws.iter_rows()
        for c in row
    }


def with_shared_strings(path: Path) -> Path:
    """Rewrite openpyxl's inline strings as a shared string table, the way Excel saves text."""
    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n) for n in z.namelist()}
    table: dict[str, int] = {}

    def shared(m: re.Match) -> str:
        index = table.setdefault(m.group(3) or "", len(table))
        return f'<c r="{m.group(1)}"{m.group(2)} t="s"><v>{index}</v></c>'

    inline = re.compile(
        r'<c r="([A-Z]+\d+)"((?: s="\d+")?) t="inlineStr"><is>(?:<t(?: xml:space="preserve")?>(.*?)</t>|<t\s*/>)</is></c>',
        re.S,
    )
    for name in [n for n in members if n.startswith("xl/worksheets/sheet")]:
        members[name] = inline.sub(shared, members[name].decode()).encode()
    ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    items = "".join(f'<si><t xml:space="preserve">{t}</t></si>' for t in table)
    members["xl/sharedStrings.xml"] = (
        f'<sst xmlns="{ns}" count="{len(table)}" uniqueCount="{len(table)}">{items}</sst>'.encode()
    )
    rels = members["xl/_rels/workbook.xml.rels"].decode()
    members["xl/_rels/workbook.xml.rels"] = rels.replace(
        "</Relationships>",
        '<Relationship Id="rIdSST" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'sharedStrings" Target="sharedStrings.xml"/></Relationships>',
    ).encode()
    types = members["[Content_Types].xml"].decode()
    members["[Content_Types].xml"] = types.replace(
        "</Types>",
        '<Override PartName="/xl/sharedStrings.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
    ).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for n, data in members.items():
            z.writestr(n, data)
    return path


# ------------------------------------------------------------------------------ reading


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.lists(values, min_size=1, max_size=8), min_size=0, max_size=6), shared=st.booleans())
def test_the_scan_reads_what_openpyxl_reads(rows, shared):
    with tempfile.TemporaryDirectory() as folder:
        path = tracker(Path(folder) / "t.xlsx", rows)
        if shared:
            with_shared_strings(path)
            assert b't="s"' in sheet_bytes(path)
        quick, slow = fast_and_slow(path)
        assert quick.grid == slow.grid
        assert quick.fills == slow.fills


def test_the_scan_reads_formulas_errors_rich_text_fills_and_date_styles(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Tracker"
    ws.append(HEADER)
    ws.append(
        ["a-1", "Acme", dt.datetime(2026, 11, 3, 14, 30), "=1+1", 3.5, True, "Email", dt.date(2026, 11, 30)]
    )
    ws.append(["b-2", "Bolt", None, None, None, None, "Call", None])
    ws["G2"].fill = PatternFill("solid", start_color="FFF4CCCC", end_color="FFF4CCCC")
    ws["H3"].fill = PatternFill("solid", start_color="FFCFE2F3", end_color="FFCFE2F3")
    ws["C3"].number_format = "[h]:mm"
    ws["C3"].value = 1.5  # a duration
    ws["B3"].font = Font(bold=True)
    save(wb, tmp_path / "t.xlsx")
    # Excel's way of saving a formula's result and an error value; and a shared string with runs.
    edit_sheet(
        tmp_path / "t.xlsx",
        lambda sheet: re.sub(r"<f>1\+1</f>(<v\s*/>|<v></v>)?", "<f>1+1</f><v>2</v>", sheet).replace(
            "</sheetData>", '<row r="4"><c r="A4" t="e"><v>#REF!</v></c></row></sheetData>'
        ),
    )
    quick, slow = fast_and_slow(tmp_path / "t.xlsx")
    assert quick.grid == slow.grid
    assert quick.fills == slow.fills == {(1, 6): "#F4CCCC", (2, 7): "#CFE2F3"}
    assert quick.grid[1][3] == 2 and quick.grid[3][0] == CellError("#REF!")
    assert isinstance(quick.grid[2][2], dt.timedelta)


def test_a_formula_without_a_saved_result_says_so(tmp_path):
    path = tracker(tmp_path / "t.xlsx", [["a-1", '=B1&"x"']])
    quick, slow = fast_and_slow(path)
    assert quick.grid == slow.grid
    assert isinstance(quick.grid[1][1], CellError) and "no saved result" in quick.grid[1][1].text


def test_a_prefixed_namespace_is_read_and_written_with_its_prefix(tmp_path):
    path = tracker(tmp_path / "t.xlsx", [["a-1", "Acme"]])
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"

    def prefixed(text: str) -> str:
        # Some writers (the Open XML SDK) spell every element with a prefix.
        text = text.replace(f'xmlns="{main}"', f'xmlns:x="{main}"')
        return re.sub(r"<(/?)(?!\?)(\w+)([\s>/])", lambda m: f"<{m.group(1)}x:{m.group(2)}{m.group(3)}", text)

    edit_sheet(path, prefixed)
    backend = XlsxBackend(path)
    snap = backend.read()
    assert backend._book is not None and backend._scan.prefix == "x:"
    assert snap.grid[1][:2] == ["a-1", "Acme"]
    backend.apply(ChangeSet("Tracker", 0, cells=[CellWrite(ref(snap, 1), NEXT, "Follow up")]))
    assert backend.last_save == "spliced"
    assert b'<x:c r="G2" t="inlineStr"><x:is><x:t>Follow up</x:t></x:is></x:c>' in sheet_bytes(path)
    assert openpyxl.load_workbook(path).active["G2"].value == "Follow up"


# ------------------------------------------------------------------------------ writing

owned = st.sampled_from([NEXT, DUE])
written = st.one_of(
    st.none(),
    texts.filter(lambda s: s.strip() == s or s),
    st.dates(dt.date(2020, 1, 1), dt.date(2030, 12, 31)),
)
colours = st.one_of(st.none(), st.sampled_from(["#F4CCCC", "#CFE2F3", "#D9EAD3", "#FFF2CC"]))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    start=st.lists(
        st.tuples(st.one_of(st.none(), texts), st.one_of(st.none(), st.dates())), min_size=1, max_size=5
    ),
    cells=st.lists(st.tuples(st.integers(0, 4), owned, written), max_size=10),
    fills=st.lists(st.tuples(st.integers(0, 4), owned, colours), max_size=10),
    shared=st.booleans(),
)
def test_spliced_cells_read_back_in_openpyxl_and_nothing_else_moves(start, cells, fills, shared):
    rows = [[f"id-{i}", f"Company {i}", None, None, None, i, nxt, due] for i, (nxt, due) in enumerate(start)]
    with tempfile.TemporaryDirectory() as folder:
        path = tracker(Path(folder) / "t.xlsx", rows)
        wb = openpyxl.load_workbook(path)
        wb.active["F2"].fill = PatternFill("solid", start_color="FF123456", end_color="FF123456")
        wb.create_sheet("Notes").append(["the person's own sheet", 42])
        save(wb, path)
        if shared:
            with_shared_strings(path)
        before = every_value(path)
        backend = XlsxBackend(path)
        snap = backend.read()
        n = len(rows)
        changes = ChangeSet(
            "Tracker",
            0,
            cells=[CellWrite(ref(snap, 1 + i % n), col, v) for i, col, v in cells],
            fills=[FillWrite(ref(snap, 1 + i % n), col, c) for i, col, c in fills],
        )
        expect_value, expect_fill = {}, {}
        for i, col, v in cells:
            expect_value[(2 + i % n, HEADER.index(col) + 1)] = v
        for i, col, c in fills:
            expect_fill[(2 + i % n, HEADER.index(col) + 1)] = c
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # openpyxl warns about anything it finds odd in a file
            backend.apply(changes)
            assert backend.last_save in ("spliced", None)
            wb = openpyxl.load_workbook(path)
        ws = wb["Tracker"]
        for (r, c), v in expect_value.items():
            got = ws.cell(r, c).value
            if isinstance(v, dt.date):
                assert got == dt.datetime.combine(v, dt.time()) and ws.cell(r, c).is_date
            elif v == "":
                assert got in ("", None)
            else:
                assert got == v
        for (r, c), colour in expect_fill.items():
            fill = ws.cell(r, c).fill
            if colour is None:
                assert fill.fill_type is None
            else:
                assert fill.fill_type == "solid" and fill.fgColor.rgb == "FF" + colour[1:]
        after = every_value(path)
        touched = {
            ("Tracker", f"{openpyxl.utils.get_column_letter(c)}{r}") for r, c in (*expect_value, *expect_fill)
        }
        assert {k: v for k, v in after.items() if k not in touched and v[0] is not None} == {
            k: v for k, v in before.items() if k not in touched and v[0] is not None
        }
        # and the file reads the same through the scan as through openpyxl
        quick, slow = fast_and_slow(path)
        assert quick.grid == slow.grid and quick.fills == slow.fills


def test_formats_are_reused_not_piled_up_run_after_run(tmp_path):
    path = tracker(tmp_path / "t.xlsx", [["a-1", "Acme"], ["b-2", "Bolt"]])
    backend = XlsxBackend(path)
    for colour in ["#F4CCCC", "#CFE2F3", "#F4CCCC", "#CFE2F3", "#F4CCCC"]:
        snap = backend.read()
        backend.apply(
            ChangeSet(
                "Tracker",
                0,
                cells=[CellWrite(ref(snap, 1), DUE, dt.date(2026, 12, 1))],
                fills=[FillWrite(ref(snap, g), c, colour) for g in (1, 2) for c in (NEXT, DUE)],
            )
        )
        assert backend.last_save == "spliced"
    styles = parts_of(path)["xl/styles.xml"].decode()
    # one fill per colour, one format per (colour, date or not): the file stops growing
    assert styles.count("FFF4CCCC") == 2 and styles.count("FFCFE2F3") == 2  # fgColor and bgColor
    first = len(styles)
    snap = backend.read()
    backend.apply(ChangeSet("Tracker", 0, fills=[FillWrite(ref(snap, 1), NEXT, "#CFE2F3")]))
    assert len(parts_of(path)["xl/styles.xml"].decode()) == first


def test_a_users_date_format_and_a_column_style_are_kept(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Tracker"
    ws.append(HEADER)
    ws.append(["a-1", "Acme"])
    ws["H2"].number_format = "dd/mm/yyyy"
    ws["H2"].value = dt.date(2026, 1, 1)
    save(wb, tmp_path / "t.xlsx")
    backend = XlsxBackend(tmp_path / "t.xlsx")
    snap = backend.read()
    backend.apply(ChangeSet("Tracker", 0, cells=[CellWrite(ref(snap, 1), DUE, dt.date(2026, 12, 24))]))
    assert backend.last_save == "spliced"
    cell = openpyxl.load_workbook(tmp_path / "t.xlsx").active["H2"]
    assert cell.value == dt.datetime(2026, 12, 24) and cell.number_format == "dd/mm/yyyy"


def test_a_shared_formula_in_an_owned_cell_goes_through_openpyxl(tmp_path):
    path = tracker(
        tmp_path / "t.xlsx",
        [["a-1", "Acme", None, None, None, 1, None], ["b-2", "Bolt", None, None, None, 2]],
    )

    def shared_formula(text: str) -> str:
        text = text.replace(
            '<c r="F2" t="n"><v>1</v></c>',
            '<c r="F2" t="n"><v>1</v></c><c r="G2"><f t="shared" ref="G2:G3" si="0">F2*2</f><v>2</v></c>',
        )
        text = text.replace(
            '<c r="F3" t="n"><v>2</v></c>',
            '<c r="F3" t="n"><v>2</v></c><c r="G3"><f t="shared" si="0"/><v>4</v></c>',
        )
        assert text.count("<f") == 2, text
        return text

    edit_sheet(path, shared_formula)
    backend = XlsxBackend(path)
    snap = backend.read()
    assert snap.grid[1][6] == 2 and snap.grid[2][6] == 4  # the saved results, the shared one too
    backend.apply(ChangeSet("Tracker", 0, cells=[CellWrite(ref(snap, 1), NEXT, "Follow up")]))
    assert backend.last_save == "rewritten"  # openpyxl knows how to unshare the formula
    ws = openpyxl.load_workbook(path).active
    assert ws["G2"].value == "Follow up" and ws["G3"].value == "=F3*2"


def test_history_is_appended_and_a_new_summary_comes_first_the_tracker_stays_active(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Tracker"
    ws.append(HEADER)
    ws.append(["a-1", "Acme"])
    history = wb.create_sheet("History")
    history.append(["On", "ID", "What"])
    history.append([dt.date(2026, 11, 1), "a-1", "Thank-you note sent"])
    wb.defined_names["companies"] = DefinedName("companies", attr_text="Tracker!$B$2:$B$3")
    ws.defined_names["local"] = DefinedName("local", attr_text="Tracker!$A$1")
    save(wb, tmp_path / "t.xlsx")
    backend = XlsxBackend(tmp_path / "t.xlsx")
    snap = backend.read()
    changes = ChangeSet(
        "Tracker",
        0,
        cells=[CellWrite(ref(snap, 1), NEXT, "Follow up")],
        sheets=[
            SheetWrite("History", ["On", "ID", "What"], [[dt.date(2026, 11, 25), "a-1", "Follow-up sent"]]),
            SheetWrite(
                "Summary",
                ["Summary", ""],
                [["Applications", 1], [], ["Updated", "2026-11-25"]],
                "replace",
                show_first=True,
            ),
        ],
    )
    backend.apply(changes)
    assert backend.last_save == "spliced"
    wb = openpyxl.load_workbook(tmp_path / "t.xlsx")
    assert wb.sheetnames == ["Summary", "Tracker", "History"]
    assert wb.active.title == "Tracker"  # the Summary sits first; the workbook opens on the tracker
    with zipfile.ZipFile(tmp_path / "t.xlsx") as z:
        assert {i.compress_type for i in z.infolist()} == {zipfile.ZIP_DEFLATED}  # the new part too
    assert [bool(ws.sheet_view.tabSelected) for ws in wb.worksheets] == [False, True, False]
    assert [list(r) for r in wb["History"].iter_rows(values_only=True)] == [
        ["On", "ID", "What"],
        [dt.datetime(2026, 11, 1), "a-1", "Thank-you note sent"],
        [dt.datetime(2026, 11, 25), "a-1", "Follow-up sent"],
    ]
    summary = wb["Summary"]
    assert summary["A1"].value == "Summary" and summary["A1"].font.b and summary["B2"].value == 1
    assert summary.freeze_panes == "A2"
    assert wb["Tracker"].defined_names["local"].attr_text == "Tracker!$A$1"  # still the Tracker's
    assert wb.defined_names["companies"].attr_text == "Tracker!$B$2:$B$3"
    # The next Summary replaces this one in place.
    snap = backend.read(also=("Summary",))
    assert snap.sheets["Summary"][0] == ["Summary", None]
    backend.apply(
        ChangeSet(
            "Tracker", 0, sheets=[SheetWrite("Summary", ["Summary", ""], [["Applications", 2]], "replace")]
        )
    )
    assert backend.last_save == "spliced"
    wb = openpyxl.load_workbook(tmp_path / "t.xlsx")
    assert wb.sheetnames == ["Summary", "Tracker", "History"]
    assert [list(r) for r in wb["Summary"].iter_rows(values_only=True)] == [
        ["Summary", None],
        ["Applications", 2],
    ]


def test_a_whole_run_on_a_demo_tracker_is_spliced_and_a_second_writes_nothing(tmp_path):
    from followsync import run as sync
    from followsync.config import Config
    from followsync.core.layout import demo_rows
    from followsync.core.layout import load as load_layout

    now = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)
    path = tmp_path / "t.xlsx"
    XlsxBackend(path).create(load_layout(), demo_rows(now.date()))
    backend = XlsxBackend(path)
    result = sync.run(backend, Config(), now)
    assert result.applied.cells > 0 and backend.last_save == "spliced"
    first = path.read_bytes()
    backend = XlsxBackend(path)
    sync.run(backend, Config(), now)
    assert path.read_bytes() == first and backend.last_save is None
    assert openpyxl.load_workbook(path).sheetnames[0] == "Summary"


# ------------------------------------------------------------------------------ LibreOffice

soffice = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.skipif(soffice is None, reason="LibreOffice is not installed (.ci/run installs it)")
def test_libreoffice_opens_a_spliced_tracker_and_sees_the_values(tmp_path):
    """An independent reader: LibreOffice converts the spliced workbook to CSV without complaint."""
    from followsync import run as sync
    from followsync.config import Config
    from followsync.core.layout import demo_rows
    from followsync.core.layout import load as load_layout

    now = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)
    path = tmp_path / "t.xlsx"
    XlsxBackend(path).create(load_layout(), demo_rows(now.date()))
    backend = XlsxBackend(path)
    sync.run(backend, Config(), now)
    assert backend.last_save == "spliced"
    expected = openpyxl.load_workbook(path)["Tracker"]
    out = tmp_path / "csv"
    profile = tmp_path / "lo-profile"
    done = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,2",
            "--outdir",
            str(out),
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    sheet = next(out.glob("*-Tracker.csv"))
    with open(sheet, newline="", encoding="utf-8") as f:
        got = list(csv.reader(f))
    header = got[0]
    assert header[: len(HEADER[:2])] == ["ID", "Company"]
    col = {name: i for i, name in enumerate(header)}
    for r, row in enumerate(got[1:], start=2):
        assert row[col["Next action"]] == (expected.cell(r, col["Next action"] + 1).value or "")
        assert row[col["Draft message"]] == (expected.cell(r, col["Draft message"] + 1).value or "")
        due = expected.cell(r, col["Due"] + 1).value
        assert row[col["Due"]] == (due.strftime("%Y-%m-%d") if due else "")


@pytest.mark.parametrize("chain, how", [(False, "spliced"), (True, "rewritten")])
def test_a_formula_in_the_calculation_chain_is_never_spliced_away(tmp_path, chain, how):
    path = tracker(tmp_path / "t.xlsx", [["a-1", "Acme", None, None, None, 1, "=F2*2"]])
    members = parts_of(path)
    if chain:  # as Excel saves it: the chain lists every formula cell
        members["xl/calcChain.xml"] = (
            b'<calcChain xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><c r="G2" i="1"/></calcChain>'
        )
    write_parts(path, members)
    backend = XlsxBackend(path)
    snap = backend.read()
    backend.apply(ChangeSet("Tracker", 0, cells=[CellWrite(ref(snap, 1), NEXT, "Follow up")]))
    assert backend.last_save == how
    assert openpyxl.load_workbook(path).active["G2"].value == "Follow up"
    if chain:
        assert "xl/calcChain.xml" not in parts_of(path)  # openpyxl drops the chain; Excel rebuilds it


def libreoffice(*args: str, profile: Path) -> None:
    done = subprocess.run(
        [soffice, f"-env:UserInstallation=file://{profile}", "--headless", *args],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.skipif(soffice is None, reason="LibreOffice is not installed (.ci/run installs it)")
def test_a_tracker_saved_by_libreoffice_is_scanned_and_spliced(tmp_path):
    """A file as LibreOffice writes it (shared strings, its own styles): read like openpyxl reads it,
    written by splicing, and a second run writes nothing."""
    from followsync import run as sync
    from followsync.config import Config
    from followsync.core.layout import demo_rows
    from followsync.core.layout import load as load_layout

    now = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)
    made = tmp_path / "made" / "t.xlsx"
    made.parent.mkdir()
    XlsxBackend(made).create(load_layout(), demo_rows(now.date()))
    libreoffice("--convert-to", "xlsx", "--outdir", str(tmp_path), str(made), profile=tmp_path / "lo")
    path = tmp_path / "t.xlsx"
    assert b"sharedStrings" in path.read_bytes()
    quick, slow = fast_and_slow(path)
    assert quick.grid == slow.grid and quick.fills == slow.fills
    backend = XlsxBackend(path)
    result = sync.run(backend, Config(), now)
    assert backend.last_save == "spliced" and result.applied.cells > 0
    ws = openpyxl.load_workbook(path)["Tracker"]
    header = [c.value for c in ws[1]]
    cells = result.changes.cells
    for ch in cells[:200]:
        got = ws.cell(ch.row.index + 1, header.index(ch.column) + 1).value  # nothing moved rows meanwhile
        want = ch.value
        if isinstance(want, dt.date) and not isinstance(want, dt.datetime):
            want = dt.datetime.combine(want, dt.time())
        assert got == want or (got in (None, "") and want in (None, "")), (ch.column, got, want)
    again = path.read_bytes()
    sync.run(XlsxBackend(path), Config(), now)
    assert path.read_bytes() == again
    # and LibreOffice opens what followsync wrote
    libreoffice("--convert-to", "csv", "--outdir", str(tmp_path / "csv"), str(path), profile=tmp_path / "lo")
