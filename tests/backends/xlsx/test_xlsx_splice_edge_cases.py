"""Edge cases of the .xlsx splice, each once a bug: files as Excel and LibreOffice write them.

Every test builds a workbook with openpyxl, edits its XML where needed to look like what Excel
or LibreOffice write, runs the backend's spliced write and checks the file that results.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import openpyxl
from openpyxl.formatting.rule import Rule
from openpyxl.styles.differential import DifferentialStyle
from openpyxl.styles.numbers import NumberFormat

from followsync.backends.xlsx.backend import XlsxBackend
from followsync.core.changes import CellWrite, ChangeSet, SheetWrite

from .test_xlsx_backend import ref, tracker
from .test_xlsx_parts import parts_of as members
from .test_xlsx_parts import write_parts as write_members

NEXT, DUE = "Next action", "Due"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def sheet_names(path: Path) -> list[str]:
    workbook = members(path)["xl/workbook.xml"].decode()
    return re.findall(r"<(?:\w+:)?sheet\b[^>]*\bname=\"([^\"]+)\"", workbook)


def summary(rows=(("Applications", 1),)) -> SheetWrite:
    return SheetWrite("Summary", ["Summary", ""], [list(r) for r in rows], "replace", show_first=True)


# ------------------------------------------------------------------------------ new worksheets


def test_a_new_summary_is_listed_in_the_workbook_when_the_tracker_has_formulas(tmp_path):
    # The user loses the Summary (and History) on the first run of any tracker holding a formula:
    # workbook.xml is rebuilt from the original bytes by full_calc_on_load, dropping the new <sheet>;
    # every later run adds another orphan sheetN.xml and no tab is selected any more.
    path = tracker(tmp_path / "t.xlsx", [["a-1", "Acme", None, None, None, 1]])
    wb = openpyxl.load_workbook(path)
    wb.active["I2"] = "=F2*2"  # any formula anywhere in the workbook
    wb.save(path)
    backend = XlsxBackend(path)
    snap = backend.read()
    backend.apply(
        ChangeSet(
            "Tracker",
            0,
            cells=[CellWrite(ref(snap, 1), NEXT, "Follow up")],
            sheets=[
                SheetWrite(
                    "History", ["On", "ID", "What"], [[dt.date(2026, 11, 25), "a-1", "Follow-up sent"]]
                ),
                summary(),
            ],
        )
    )
    assert backend.last_save == "spliced"
    assert sheet_names(path) == ["Summary", "Tracker", "History"]
    assert openpyxl.load_workbook(path).sheetnames == ["Summary", "Tracker", "History"]


def test_a_new_summary_does_not_repeat_a_sheet_name_that_differs_only_in_case(tmp_path):
    # Excel treats sheet names case-insensitively: a user's own "summary" sheet plus followsync's
    # new "Summary" is a file Excel has to repair (openpyxl and LibreOffice rename one on load).
    path = tracker(tmp_path / "t.xlsx", [["a-1", "Acme"]])
    wb = openpyxl.load_workbook(path)
    wb.create_sheet("summary").append(["my own notes"])
    wb.save(path)
    backend = XlsxBackend(path)
    snap = backend.read()
    backend.apply(
        ChangeSet("Tracker", 0, cells=[CellWrite(ref(snap, 1), NEXT, "Follow up")], sheets=[summary()])
    )
    assert backend.last_save == "spliced"
    names = [n.lower() for n in sheet_names(path)]
    assert len(names) == len(set(names)), sheet_names(path)


# ------------------------------------------------------------------------------ other worksheets


def test_history_rows_are_appended_in_row_order_after_a_row_that_only_has_a_height(tmp_path):
    # A History sheet where the user made row 6 taller (Excel and LibreOffice write <row r="6" ht=..>
    # with no cells): the new rows land after it as rows 3..7, so row 6 appears twice and rows go
    # backwards; Excel says the file is corrupt and repairs it.
    path = tracker(tmp_path / "t.xlsx", [["a-1", "Acme"]])
    wb = openpyxl.load_workbook(path)
    history = wb.create_sheet("History")
    history.append(["On", "ID", "What"])
    history.append([dt.date(2026, 11, 1), "a-1", "Thank-you note sent"])
    history.row_dimensions[6].height = 30
    wb.save(path)
    backend = XlsxBackend(path)
    backend.read()
    rows = [[dt.date(2026, 11, 25), "a-1", f"Follow-up {i}"] for i in range(5)]
    backend.apply(ChangeSet("Tracker", 0, sheets=[SheetWrite("History", ["On", "ID", "What"], rows)]))
    assert backend.last_save == "spliced"
    numbers = [int(r) for r in re.findall(rb"<row r=\"(\d+)\"", members(path)["xl/worksheets/sheet2.xml"])]
    assert numbers == sorted(set(numbers)), numbers


def test_replacing_the_summary_leaves_no_formula_in_excels_calculation_chain_dangling(tmp_path):
    # A coach added a formula next to the Summary's figures; Excel lists it in xl/calcChain.xml.
    # Replacing the Summary removes the formula but keeps the chain: Excel reports the file as
    # corrupt ("Removed Records: Formula from /xl/calcChain.xml"). splice_cells guards this; splice_sheet does not.
    path = tracker(tmp_path / "t.xlsx", [["a-1", "Acme"]])
    wb = openpyxl.load_workbook(path)
    sheet = wb.create_sheet("Summary")
    sheet.append(["Summary"])
    sheet.append(["Applications", 1, "=B2*2"])
    wb.save(path)
    parts = members(path)
    parts["xl/worksheets/sheet2.xml"] = re.sub(
        rb"<f>B2\*2</f>(<v\s*/>|<v></v>)?", b"<f>B2*2</f><v>2</v>", parts["xl/worksheets/sheet2.xml"]
    )
    # as Excel saves it: the chain names every formula cell by sheetId and reference
    parts["xl/calcChain.xml"] = f'<calcChain xmlns="{MAIN}"><c r="C2" i="2"/></calcChain>'.encode()
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"</Types>",
        b'<Override PartName="/xl/calcChain.xml" '
        b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.calcChain+xml"/></Types>',
    )
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>",
        b'<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/calcChain" '
        b'Target="calcChain.xml"/></Relationships>',
    )
    write_members(path, parts)
    backend = XlsxBackend(path)
    assert backend.read(also=("Summary",)).sheets["Summary"][1] == ["Applications", 1, 2]
    backend.apply(ChangeSet("Tracker", 0, sheets=[summary([("Applications", 2)])]))
    after = members(path)
    chained = re.findall(rb"<c r=\"([A-Z]+\d+)\" i=\"2\"", after.get("xl/calcChain.xml", b""))
    summary_xml = after["xl/worksheets/sheet2.xml"].decode()
    for cell in chained:
        assert re.search(rf'<c r="{cell.decode()}"[^>]*>(?:(?!</c>).)*<f[\s>/]', summary_xml), (
            f"calcChain names Summary!{cell.decode()}, which holds no formula any more"
        )


# ------------------------------------------------------------------------------ styles.xml


def _with_conditional_number_format(path: Path, code: str, fmt_id: int) -> None:
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    dxf = DifferentialStyle(numFmt=NumberFormat(numFmtId=fmt_id, formatCode=code))
    ws.conditional_formatting.add("F2:H100", Rule(type="expression", dxf=dxf, formula=["$H2<TODAY()"]))
    wb.save(path)


def test_a_date_format_of_a_conditional_format_is_not_borrowed_for_a_cell(tmp_path):
    # The Due date followsync writes shows as 46357 in Excel and LibreOffice (and reads back as a
    # number next run): StyleBook takes numFmt ids from <dxfs> too, and points the cell's format
    # at id 170, which <numFmts> does not define.
    path = tracker(tmp_path / "t.xlsx", [["a-1", "Acme"]])
    _with_conditional_number_format(path, "yyyy-mm-dd", 170)
    backend = XlsxBackend(path)
    snap = backend.read()
    backend.apply(ChangeSet("Tracker", 0, cells=[CellWrite(ref(snap, 1), DUE, dt.date(2026, 12, 1))]))
    assert backend.last_save == "spliced"
    cell = openpyxl.load_workbook(path).active["H2"]
    assert cell.value == dt.datetime(2026, 12, 1) and cell.is_date
    assert XlsxBackend(path).read().grid[1][7] == dt.datetime(2026, 12, 1)


def test_the_number_format_count_counts_the_number_formats_list_only(tmp_path):
    # <numFmts count> is set from every <numFmt> in styles.xml, those inside <dxfs> included, so
    # it no longer matches the list (a broken count; Excel's own files never have one).
    path = tracker(tmp_path / "t.xlsx", [["a-1", "Acme", None, None, None, 0.5]])
    wb = openpyxl.load_workbook(path)
    wb.active["F2"].number_format = "0.0%"
    wb.save(path)
    _with_conditional_number_format(path, "0.00%", 180)
    backend = XlsxBackend(path)
    snap = backend.read()
    backend.apply(ChangeSet("Tracker", 0, cells=[CellWrite(ref(snap, 1), DUE, dt.date(2026, 12, 1))]))
    assert backend.last_save == "spliced"
    styles = members(path)["xl/styles.xml"].decode()
    block = re.search(r"<numFmts\b[^>]*>(.*?)</numFmts>", styles, re.S)
    assert block is not None
    count = int(re.search(r'count="(\d+)"', block.group(0)).group(1))
    assert count == len(re.findall(r"<numFmt\b", block.group(1))), block.group(0)


def test_a_namespace_bound_to_two_prefixes_is_read_by_openpyxl(tmp_path):
    # <x:worksheet xmlns:x=MAIN xmlns=MAIN> with unprefixed children: legal, and the scan would
    # know only one of the two spellings, so openpyxl reads it.
    path = tracker(tmp_path / "t.xlsx", [["a-1", "Acme"]])
    parts = members(path)
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    sheet = sheet.replace(f'<worksheet xmlns="{MAIN}"', f'<x:worksheet xmlns:x="{MAIN}" xmlns="{MAIN}"', 1)
    sheet = sheet.replace("</worksheet>", "</x:worksheet>")
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    write_members(path, parts)
    backend = XlsxBackend(path)
    snap = backend.read()
    assert snap.grid[1][:2] == ["a-1", "Acme"]
    assert backend._book is None  # read by openpyxl, not the scan
