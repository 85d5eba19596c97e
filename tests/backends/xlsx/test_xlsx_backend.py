"""The .xlsx backend against real workbooks built with openpyxl in tmp_path.

Each apply test reloads the saved file with openpyxl and compares cells, so what is checked is
what Excel would open, not the backend's in-memory copy.
"""

from __future__ import annotations

import datetime as dt
import os
import stat
import tempfile
import zipfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl.chart import BarChart, Reference
from openpyxl.comments import Comment
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Font, PatternFill
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table

from followsync.backends.xlsx.backend import XlsxBackend
from followsync.core import layout as layout_mod
from followsync.core.cells import CellError
from followsync.core.changes import CellWrite, ChangeSet, FillWrite, RowRef, row_fingerprint
from followsync.core.schema import locate_header
from followsync.errors import (
    StaleRead,
    TrackerBusy,
    TrackerError,
    TrackerNotFound,
    TrackerUnreadable,
    UsageError,
    WriteRefused,
)

HEADER = ["ID", "Company", "Job title", "Interview at", "Interviewer phone", "My score", "Next action", "Due"]
NEXT, DUE = 6, 7  # 0-based columns of the owned ones in HEADER
D1 = dt.datetime(2026, 11, 3, 14, 30)
D2 = dt.datetime(2026, 11, 10)


def save(wb: openpyxl.Workbook, path: Path) -> Path:
    wb.save(path)
    return path


def tracker(path: Path, rows, *, title: str = "Tracker", above: int = 0, header=HEADER) -> Path:
    """A workbook whose sheet ``title`` holds ``above`` title rows, the header, then ``rows``."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    for i in range(above):
        ws.append([f"My job search, part {i + 1}"])
    ws.append(header)
    for r in rows:
        ws.append(r)
    return save(wb, path)


def patch_sheet(path: Path, old: str, new: str, member: str = "xl/worksheets/sheet1.xml") -> None:
    """Rewrite one part of the zip: how a test gets a formula with a saved result, as Excel saves it."""
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    text = parts[member].decode().replace("<v></v>", "<v />")  # as openpyxl writes it with lxml
    assert old in text, text[-600:]
    parts[member] = text.replace(old, new).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for n, data in parts.items():
            z.writestr(n, data)


def ref(snapshot, gi: int) -> RowRef:
    """The RowRef sync would make for grid row ``gi`` of ``snapshot``."""
    header = locate_header(snapshot.grid)
    row = snapshot.grid[gi]
    rid = row[header.positions["ID"]]
    if rid:
        return RowRef(str(rid), gi)
    return RowRef(None, gi, row_fingerprint(row, header.positions))


def style_of(cell) -> tuple:
    return (
        cell.value,
        cell.data_type,
        cell.number_format,
        cell.font.b,
        cell.font.i,
        cell.fill.fill_type,
        cell.fill.fgColor.rgb,
        cell.comment.text if cell.comment else None,
    )


def every_cell(ws) -> dict[str, tuple]:
    return {c.coordinate: style_of(c) for row in ws.iter_rows() for c in row}


# ------------------------------------------------------------------------------ read


def test_picks_the_named_sheet_then_tracker_then_the_first(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "Notes"
    for name in ("Tracker", "Old"):
        wb.create_sheet(name).append(HEADER)
    path = save(wb, tmp_path / "t.xlsx")
    assert XlsxBackend(path).read().sheet == "Tracker"
    assert XlsxBackend(path, worksheet="Old").read().grid == [HEADER]

    del wb["Tracker"]
    save(wb, path)
    assert XlsxBackend(path).read().sheet == "Notes"

    with pytest.raises(TrackerNotFound, match=r"no worksheet 'Jobs'.*'Notes', 'Old'"):
        XlsxBackend(path, worksheet="Jobs").read()


def test_reads_raw_values_with_the_header_on_row_3(tmp_path):
    long_text = "x" * 10_000
    path = tracker(
        tmp_path / "t.xlsx",
        [["acme-1", "Acme 🚀", "Engineer", D1, "0049 30 1234", 7.5, None, None], [None, "Bolt", long_text]],
        above=2,
    )
    snap = XlsxBackend(path).read()
    assert snap.sheet == "Tracker"
    assert snap.grid[0][0] == "My job search, part 1"
    assert snap.grid[2] == HEADER
    row = snap.grid[3]
    assert row[:6] == ["acme-1", "Acme 🚀", "Engineer", D1, "0049 30 1234", 7.5]
    assert isinstance(row[4], str)
    assert snap.grid[4][2] == long_text
    assert locate_header(snap.grid).row == 2


def test_formula_results_come_from_the_saved_values(tmp_path):
    path = tracker(
        tmp_path / "t.xlsx", [["a-1", "Acme", '=B2&" Ltd"', "=DATE(2026,11,3)", '=IF(1>2,"x","")', "=1/0"]]
    )
    # As Excel saves them: a text result, a date (a number in a date format), an empty text, an error.
    patch_sheet(
        path,
        '<c r="C2"><f>B2&amp;" Ltd"</f><v /></c>',
        '<c r="C2" t="str"><f>B2&amp;" Ltd"</f><v>Acme Ltd</v></c>',
    )
    patch_sheet(
        path,
        '<c r="E2"><f>IF(1&gt;2,"x","")</f><v /></c>',
        '<c r="E2" t="str"><f>IF(1&gt;2,"x","")</f><v></v></c>',
    )
    patch_sheet(path, '<c r="F2"><f>1/0</f><v /></c>', '<c r="F2" t="e"><f>1/0</f><v>#DIV/0!</v></c>')
    row = XlsxBackend(path).read().grid[1]
    assert row[2] == "Acme Ltd"
    assert row[3] == CellError(
        "formula =DATE(2026,11,3) has no saved result; open and save the file in Excel or LibreOffice"
    )
    assert row[4] == ""
    assert row[5] == CellError("#DIV/0!")


@pytest.mark.parametrize("with_reference", [True, False])
def test_numbers_dates_and_booleans_saved_by_formulas(tmp_path, with_reference):
    path = tracker(tmp_path / "t.xlsx", [["a-1", "Acme", "=1=1", "=DATE(2026,11,3)", "=2*3", "=1/4"]])
    wb = openpyxl.load_workbook(path)
    wb.active["D2"].number_format = "yyyy-mm-dd"
    save(wb, path)
    patch_sheet(path, '<c r="C2"><f>1=1</f><v /></c>', '<c r="C2" t="b"><f>1=1</f><v>1</v></c>')
    patch_sheet(path, "<f>DATE(2026,11,3)</f><v />", "<f>DATE(2026,11,3)</f><v>46329</v>")
    # A cell may leave out its reference (Excel never does); openpyxl's own reading takes over.
    r = ' r="E2"' if with_reference else ""
    patch_sheet(path, '<c r="E2"><f>2*3</f><v /></c>', f"<c{r}><f>2*3</f><v>6</v></c>")
    patch_sheet(path, '<c r="F2"><f>1/4</f><v /></c>', '<c r="F2"><f>1/4</f><v>0.25</v></c>')
    row = XlsxBackend(path).read().grid[1]
    assert row[2:6] == [True, dt.datetime(2026, 11, 3), 6, 0.25]


def test_error_values_and_dates(tmp_path):
    path = tracker(tmp_path / "t.xlsx", [["a-1", "#REF!", "Engineer", dt.date(2026, 11, 3)]])
    row = XlsxBackend(path).read().grid[1]
    assert row[1] == CellError("#REF!")
    assert row[3] == dt.datetime(2026, 11, 3)


def test_reads_fills_of_the_colour_columns_only(tmp_path):
    path = tracker(
        tmp_path / "t.xlsx", [["a-1", "Acme", None, None, None, None, "Follow up", D2], ["a-2", "Bolt"]]
    )
    wb = openpyxl.load_workbook(path)
    ws = wb["Tracker"]
    ws["G2"].fill = PatternFill("solid", start_color="FFF4CCCC")
    ws["H2"].fill = PatternFill("solid", start_color="FFFCE5CD")
    ws["B2"].fill = PatternFill("solid", start_color="FF00FF00")  # a user column: not reported
    ws["G3"].fill = PatternFill("solid", start_color=openpyxl.styles.colors.Color(theme=4))  # theme: ignored
    save(wb, path)
    assert XlsxBackend(path).read().fills == {(1, NEXT): "#F4CCCC", (1, DUE): "#FCE5CD"}


def test_empty_sheet_reads_as_an_empty_grid(tmp_path):
    path = save(openpyxl.Workbook(), tmp_path / "t.xlsx")
    snap = XlsxBackend(path).read()
    assert snap.grid == [] and snap.fills == {}


def test_missing_file_says_how_to_create_one(tmp_path):
    with pytest.raises(TrackerNotFound) as e:
        XlsxBackend(tmp_path / "nope.xlsx").read()
    assert "nope.xlsx does not exist" in str(e.value)
    assert "followsync init" in str(e.value)


@pytest.mark.parametrize(
    "content, expected",
    [
        (b"ID,Company\nacme-1,Acme\n", r"csv\.xlsx is not an \.xlsx workbook; save it as Excel Workbook"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512, r"csv\.xlsx is an old Excel 97-2003"),
    ],
)
def test_a_file_that_is_not_xlsx_is_unreadable(tmp_path, content, expected):
    path = tmp_path / "csv.xlsx"
    path.write_bytes(content)
    with pytest.raises(TrackerUnreadable, match=expected):
        XlsxBackend(path).read()


def test_a_zip_that_is_not_a_workbook_is_unreadable(tmp_path):
    path = tmp_path / "doc.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("hello.txt", "hi")
    with pytest.raises(TrackerUnreadable, match=r"doc\.xlsx is not an \.xlsx workbook"):
        XlsxBackend(path).read()


def test_permission_denied_is_unreadable_even_for_root(tmp_path, monkeypatch):
    path = tracker(tmp_path / "t.xlsx", [])

    def denied(self):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", denied)
    with pytest.raises(TrackerUnreadable, match=r"t\.xlsx cannot be read: permission denied"):
        XlsxBackend(path).read()


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads any file")
def test_permission_denied_is_unreadable(tmp_path):
    path = tracker(tmp_path / "t.xlsx", [])
    path.chmod(0)
    try:
        with pytest.raises(TrackerUnreadable, match="permission denied"):
            XlsxBackend(path).read()
    finally:
        path.chmod(0o600)


# ------------------------------------------------------------------------------ apply


def rich_tracker(path: Path) -> Path:
    """A tracker with everything a person might have in it, for invariant 1."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Tracker"
    ws.append(HEADER)
    ws.append(
        ["acme-1", "Acme", "Engineer", D1, "0049 30 1234", "=LEN(B2)", "Old action", dt.date(2026, 1, 1)]
    )
    ws.append([None, "Bolt", "Designer", D2, "+49 30 1234", 3])
    ws.append(["cog-3", "Cog", '=UPPER("pm")', None, "0030 1", None])
    ws["B2"].font = Font(bold=True)
    ws["C3"].fill = PatternFill("solid", start_color="FF00FF00")
    ws["A2"].comment = Comment("the coach's note", "Coach")
    ws["D2"].number_format = "dd.mm.yyyy hh:mm"
    other = wb.create_sheet("Contacts")
    other.append(["Name", "Phone"])
    other.append(["Ana", "0049 1"])
    other["B2"].font = Font(italic=True)
    return save(wb, path)


def test_apply_changes_only_owned_cells_colours_and_a_blank_id(tmp_path):
    path = rich_tracker(tmp_path / "t.xlsx")
    before = openpyxl.load_workbook(path)
    backend = XlsxBackend(path)
    snap = backend.read()
    acme, bolt = ref(snap, 1), ref(snap, 2)
    changes = ChangeSet(
        "Tracker",
        0,
        add_columns=["Reminder"],
        cells=[
            CellWrite(acme, "Next action", "Follow up"),
            CellWrite(acme, "Due", dt.date(2026, 11, 11)),
            CellWrite(acme, "Reminder", "Email Ms. Jones today"),
            CellWrite(bolt, "ID", "bolt-2"),
            CellWrite(bolt, "Next action", "Send thank-you note"),
        ],
        fills=[FillWrite(acme, "Next action", "#F4CCCC"), FillWrite(acme, "Due", "#F4CCCC")],
    )
    applied = backend.apply(changes)
    assert (applied.cells, applied.fills, applied.columns_added, applied.write_calls) == (5, 2, 1, 1)
    assert applied.skipped == []

    after = openpyxl.load_workbook(path)
    ws = after["Tracker"]
    written = {"G2", "H2", "I2", "A3", "G3", "I1"}
    old = every_cell(before["Tracker"])
    new = every_cell(ws)
    for coord, was in old.items():
        if coord not in written:
            assert new[coord] == was, coord
    assert {k for k in new if k not in old and new[k][0] is not None} <= written
    assert ws["B4"].value == "Cog" and ws["F2"].value == "=LEN(B2)" and ws["C4"].data_type == "f"
    assert ws["E2"].value == "0049 30 1234" and ws["E2"].data_type == "s"
    assert ws["D2"].value == D1 and ws["D2"].number_format == "dd.mm.yyyy hh:mm"
    assert every_cell(after["Contacts"]) == every_cell(before["Contacts"])
    assert after.sheetnames == ["Tracker", "Contacts"]
    # and what was written
    assert ws["G2"].value == "Follow up" and ws["G2"].fill.fgColor.rgb == "FFF4CCCC"
    assert ws["H2"].value == dt.datetime(2026, 11, 11) and ws["H2"].number_format == "yyyy-mm-dd"
    assert ws["H2"].fill.fill_type == "solid"
    assert ws["I1"].value == "Reminder" and ws["I2"].value == "Email Ms. Jones today"
    assert ws["A3"].value == "bolt-2" and ws["G3"].value == "Send thank-you note"
    # read back by the backend too: same values, fills reported
    again = XlsxBackend(path).read()
    assert again.grid[1][NEXT] == "Follow up"
    assert again.fills == {(1, NEXT): "#F4CCCC", (1, DUE): "#F4CCCC"}


def test_new_header_cells_take_the_last_header_cells_style(tmp_path):
    path = tracker(tmp_path / "t.xlsx", [["a-1", "Acme"]])
    wb = openpyxl.load_workbook(path)
    wb.active["H1"].font = Font(bold=True, color="FF0000FF")
    save(wb, path)
    backend = XlsxBackend(path)
    snap = backend.read()
    backend.apply(
        ChangeSet(
            "Tracker",
            0,
            add_columns=["Reminder", "Problems"],
            cells=[CellWrite(ref(snap, 1), "Problems", "x")],
        )
    )
    ws = openpyxl.load_workbook(path).active
    assert [ws["I1"].value, ws["J1"].value, ws["J2"].value] == ["Reminder", "Problems", "x"]
    assert ws["J1"].font.b and ws["J1"].font.color.rgb == "FF0000FF"


def test_an_empty_change_set_leaves_the_file_alone(tmp_path):
    path = rich_tracker(tmp_path / "t.xlsx")
    old_bytes, old_mtime = path.read_bytes(), path.stat().st_mtime_ns
    backend = XlsxBackend(path)
    backend.read()
    applied = backend.apply(ChangeSet("Tracker", 0))
    assert applied.write_calls == 0
    assert path.read_bytes() == old_bytes and path.stat().st_mtime_ns == old_mtime
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.xlsx"]


def test_the_backup_holds_the_previous_bytes_and_permissions_are_kept(tmp_path):
    path = tracker(tmp_path / "t.xlsx", [["a-1", "Acme"]])
    path.chmod(0o640)
    (tmp_path / "t.xlsx.bak").write_bytes(b"an older backup")
    old_bytes = path.read_bytes()
    backend = XlsxBackend(path)
    snap = backend.read()
    backend.apply(ChangeSet("Tracker", 0, cells=[CellWrite(ref(snap, 1), "Next action", "Follow up")]))
    assert (tmp_path / "t.xlsx.bak").read_bytes() == old_bytes
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert openpyxl.load_workbook(path).active["G2"].value == "Follow up"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.xlsx", "t.xlsx.bak"]


# A change the splice writes (a cell), and one only openpyxl can (a new column).
SPLICED, REWRITTEN = "splice", "openpyxl"


def one_write(snap, how: str) -> ChangeSet:
    changes = ChangeSet("Tracker", 0, cells=[CellWrite(ref(snap, 1), "Next action", "Follow up")])
    if how == REWRITTEN:
        changes.add_columns.append("Reminder")
    return changes


def break_the_write(monkeypatch, how: str, damage) -> None:
    """Make the save of ``how`` call ``damage(filename)`` where it writes the new file."""
    if how == REWRITTEN:
        real_save = openpyxl.Workbook.save

        def save(self, filename):
            damage(filename, lambda: real_save(self, filename))

        monkeypatch.setattr(openpyxl.Workbook, "save", save)
    else:
        real_fsync = os.fsync

        def fsync(fd):
            damage(os.readlink(f"/proc/self/fd/{fd}"), lambda: real_fsync(fd))

        monkeypatch.setattr(os, "fsync", fsync)


@pytest.mark.parametrize("how", [SPLICED, REWRITTEN])
def test_a_failed_save_leaves_the_original_untouched(tmp_path, monkeypatch, how):
    path = tracker(tmp_path / "t.xlsx", [["a-1", "Acme"]])
    old_bytes = path.read_bytes()
    backend = XlsxBackend(path)
    snap = backend.read()

    def disk_full(filename, write):
        Path(filename).write_bytes(b"half a workbook")
        raise OSError(28, "No space left on device")

    break_the_write(monkeypatch, how, disk_full)
    with pytest.raises(TrackerError, match=r"could not save .*No space left on device.*unchanged") as e:
        backend.apply(one_write(snap, how))
    assert e.value.exit_code == 3
    assert path.read_bytes() == old_bytes
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.xlsx"]  # no temp file, no .bak left behind


def apply_after_a_save(backend, changes):
    """Apply ``changes`` computed before someone saved the file: refused as stale (the run reads
    and computes again); a backend that has not read the file (closed) finds rows by ID in it."""
    with pytest.raises(StaleRead):
        backend.apply(changes)
    backend.close()
    return backend.apply(changes)


def test_rows_sorted_by_someone_else_are_found_by_id(tmp_path):
    rows = [["a-1", "Acme"], ["b-2", "Bolt"], [None, "Cog", "PM"], ["d-4", "Dune"]]
    path = tracker(tmp_path / "t.xlsx", rows)
    backend = XlsxBackend(path)
    snap = backend.read()
    refs = [ref(snap, gi) for gi in range(1, 5)]
    # A coach sorts the rows the other way round and deletes Dune, then saves.
    tracker(path, [["b-2", "Bolt"], [None, "Cog", "PM"], ["a-1", "Acme"]])
    changes = ChangeSet(
        "Tracker",
        0,
        cells=[CellWrite(r, "Next action", f"action for {row[1]}") for r, row in zip(refs, rows, strict=True)]
        + [CellWrite(refs[2], "ID", "cog-3")],
    )
    applied = apply_after_a_save(backend, changes)
    ws = openpyxl.load_workbook(path).active
    got = {ws.cell(r, 2).value: (ws.cell(r, 1).value, ws.cell(r, 7).value) for r in range(2, 5)}
    assert got == {
        "Bolt": ("b-2", "action for Bolt"),
        "Acme": ("a-1", "action for Acme"),
        "Cog": (None, None),
    }
    assert applied.cells == 2
    assert any("'d-4' is gone" in s for s in applied.skipped)
    assert any("sheet row 4 changed" in s for s in applied.skipped)


def test_a_blank_id_row_that_stayed_put_gets_its_id(tmp_path):
    path = tracker(tmp_path / "t.xlsx", [["a-1", "Acme"], [None, "Cog", "PM"]])
    backend = XlsxBackend(path)
    snap = backend.read()
    wb = openpyxl.load_workbook(path)
    wb.active["B2"] = "Acme Corp"  # an unrelated edit meanwhile: the file is read again
    save(wb, path)
    applied = apply_after_a_save(
        backend, ChangeSet("Tracker", 0, cells=[CellWrite(ref(snap, 2), "ID", "cog-2")])
    )
    ws = openpyxl.load_workbook(path).active
    assert (ws["A3"].value, ws["B2"].value, applied.skipped) == ("cog-2", "Acme Corp", [])


@pytest.mark.parametrize(
    "lock, program",
    [("~$t.xlsx", "Microsoft Excel"), ("~$acker.xlsx", "Microsoft Excel"), (".~lock.{}#", "LibreOffice")],
)
def test_refuses_while_the_file_is_open_in_a_spreadsheet_program(tmp_path, lock, program):
    name = "tracker.xlsx" if "acker" in lock else "t.xlsx"
    path = tracker(tmp_path / name, [["a-1", "Acme"]])
    (tmp_path / lock.format(name)).write_bytes(b"owner")
    old_bytes = path.read_bytes()
    backend = XlsxBackend(path)
    snap = backend.read()
    with pytest.raises(TrackerBusy, match=rf"open in {program}.*close it and run again"):
        backend.apply(ChangeSet("Tracker", 0, cells=[CellWrite(ref(snap, 1), "Next action", "x")]))
    assert path.read_bytes() == old_bytes


def parts_of(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def tracker_with_a_chart(path: Path) -> Path:
    path = tracker(path, [["a-1", "Acme", None, None, None, 3], ["b-2", "Bolt", None, None, None, 5]])
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    chart = BarChart()
    chart.add_data(Reference(ws, min_col=6, min_row=1, max_row=3), titles_from_data=True)
    ws.add_chart(chart, "J2")
    return save(wb, path)


def test_a_chart_is_kept_byte_for_byte_when_cells_are_written(tmp_path):
    path = tracker_with_a_chart(tmp_path / "t.xlsx")
    before = parts_of(path)
    backend = XlsxBackend(path)
    snap = backend.read()
    applied = backend.apply(one_write(snap, SPLICED))
    assert applied.cells == 1
    after = parts_of(path)
    assert openpyxl.load_workbook(path).active["G2"].value == "Follow up"
    assert set(after) == set(before)
    changed = {n for n in before if before[n] != after[n]}
    assert changed == {"xl/worksheets/sheet1.xml"}  # the chart, its drawing and every other part as they were


def test_refuses_to_drop_a_chart_unless_forced(tmp_path):
    path = tracker_with_a_chart(tmp_path / "t.xlsx")
    old_bytes = path.read_bytes()
    backend = XlsxBackend(path)
    snap = backend.read()
    changes = one_write(snap, REWRITTEN)  # a new column: only openpyxl adds those, and it drops charts
    with pytest.raises(WriteRefused, match=r"(?s)holds charts.*--force") as e:
        backend.apply(changes)
    assert "t.xlsx.bak" in str(e.value)
    assert path.read_bytes() == old_bytes
    backend.apply(changes, force=True)
    assert (tmp_path / "t.xlsx.bak").read_bytes() == old_bytes
    assert openpyxl.load_workbook(path).active["G2"].value == "Follow up"


def test_merged_cells_in_an_owned_column_are_skipped(tmp_path):
    path = tracker(tmp_path / "t.xlsx", [["a-1", "Acme"], ["b-2", "Bolt"], ["c-3", "Cog"]])
    wb = openpyxl.load_workbook(path)
    wb.active.merge_cells("G2:H3")
    save(wb, path)
    backend = XlsxBackend(path)
    snap = backend.read()
    a, c = ref(snap, 1), ref(snap, 3)
    changes = ChangeSet(
        "Tracker",
        0,
        cells=[
            CellWrite(a, "Next action", "x"),
            CellWrite(a, "Due", dt.date(2026, 11, 3)),
            CellWrite(c, "Due", D2),
        ],
        fills=[FillWrite(a, "Next action", "#F4CCCC")],
    )
    applied = backend.apply(changes)
    assert applied.cells == 1 and applied.fills == 0
    assert len(applied.skipped) == 2
    assert all("merged cells G2:H3" in s for s in applied.skipped)
    ws = openpyxl.load_workbook(path).active
    assert ws["G2"].value is None and ws["H4"].value == D2
    assert "G2:H3" in {str(r) for r in ws.merged_cells.ranges}


def test_text_that_starts_with_equals_is_stored_as_text(tmp_path):
    path = tracker(tmp_path / "t.xlsx", [["a-1", "Acme"]])
    backend = XlsxBackend(path)
    snap = backend.read()
    backend.apply(ChangeSet("Tracker", 0, cells=[CellWrite(ref(snap, 1), "Next action", '=HYPERLINK("x")')]))
    cell = openpyxl.load_workbook(path).active["G2"]
    assert (cell.value, cell.data_type) == ('=HYPERLINK("x")', "s")
    assert XlsxBackend(path).read().grid[1][NEXT] == '=HYPERLINK("x")'


def test_a_users_date_format_on_due_is_kept_and_fills_can_be_cleared(tmp_path):
    path = tracker(tmp_path / "t.xlsx", [["a-1", "Acme", None, None, None, None, "x", D2]])
    wb = openpyxl.load_workbook(path)
    wb.active["H2"].number_format = "dd.mm.yyyy"
    wb.active["G2"].fill = PatternFill("solid", start_color="FFF4CCCC")
    save(wb, path)
    backend = XlsxBackend(path)
    snap = backend.read()
    a = ref(snap, 1)
    backend.apply(
        ChangeSet(
            "Tracker",
            0,
            cells=[CellWrite(a, "Due", dt.date(2026, 12, 1))],
            fills=[FillWrite(a, "Next action", None)],
        )
    )
    ws = openpyxl.load_workbook(path).active
    assert (ws["H2"].value, ws["H2"].number_format) == (dt.datetime(2026, 12, 1), "dd.mm.yyyy")
    assert ws["G2"].fill.fill_type is None
    assert XlsxBackend(path).read().fills == {}


def test_saved_formula_results_survive_a_write(tmp_path):
    path = tracker(tmp_path / "t.xlsx", [["a-1", "Acme", '=B2&" Ltd"', None, None, "=2*3"]])
    patch_sheet(
        path,
        '<c r="C2"><f>B2&amp;" Ltd"</f><v /></c>',
        '<c r="C2" t="str"><f>B2&amp;" Ltd"</f><v>Acme Ltd</v></c>',
    )
    patch_sheet(path, '<c r="F2"><f>2*3</f><v /></c>', '<c r="F2"><f>2*3</f><v>6</v></c>')
    backend = XlsxBackend(path)
    snap = backend.read()
    backend.apply(ChangeSet("Tracker", 0, cells=[CellWrite(ref(snap, 1), "Next action", "Follow up")]))
    row = XlsxBackend(path).read().grid[1]
    assert row[2] == "Acme Ltd" and row[5] == 6 and row[NEXT] == "Follow up"
    ws = openpyxl.load_workbook(path).active
    assert ws["C2"].value == '=B2&" Ltd"' and ws["F2"].value == "=2*3"


# ------------------------------------------------------------------------------ create


def test_create_lays_out_a_new_tracker(tmp_path):
    layout = layout_mod.load()
    path = tmp_path / "new.xlsx"
    XlsxBackend(path).create(
        layout, [{"ID": "acme-1", "Company": "Acme", "Applied on": dt.date(2026, 11, 1)}]
    )
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [layout.worksheet]
    ws = wb[layout.worksheet]
    names = [lc.column.name for lc in layout.columns]
    assert [c.value for c in ws[1]] == names
    for i, lc in enumerate(layout.columns, start=1):
        head = ws.cell(1, i)
        letter = head.column_letter
        assert head.font.b and head.fill.fgColor.rgb == "FF" + layout.header_fill.lstrip("#").upper()
        if lc.note:
            assert (head.comment.text, head.comment.author) == (lc.note, "followsync")
        assert ws.column_dimensions[letter].width == lc.width
        assert bool(ws.column_dimensions[letter].hidden) == lc.hidden
        if lc.number_format:
            assert ws.cell(2, i).number_format == ws.cell(1000, i).number_format == lc.number_format
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref.startswith("A1:")
    lists = {str(dv.sqref): dv.formula1 for dv in ws.data_validations.dataValidation}
    for i, lc in enumerate(layout.columns, start=1):
        letter = ws.cell(1, i).column_letter
        if lc.choices:
            assert lists[f"{letter}2:{letter}1000"] == '"' + ",".join(lc.choices) + '"'
    assert len(lists) == sum(1 for lc in layout.columns if lc.choices) >= 3
    applied_on = names.index("Applied on") + 1
    assert ws.cell(2, 1).value == "acme-1" and ws.cell(2, applied_on).value == dt.datetime(2026, 11, 1)
    snap = XlsxBackend(path).read()
    assert len(snap.grid) == 2 and snap.grid[0] == names
    assert not [p.name for p in tmp_path.iterdir() if p.name != "new.xlsx"]


def test_create_refuses_to_overwrite(tmp_path):
    path = tmp_path / "t.xlsx"
    path.write_bytes(b"mine")
    with pytest.raises(UsageError, match="won't overwrite"):
        XlsxBackend(path).create(layout_mod.load())
    assert path.read_bytes() == b"mine"


@pytest.mark.skipif(os.name != "posix", reason="symlinks")
def test_lock_name_is_the_resolved_path(tmp_path, monkeypatch):
    # Two runs reaching the same file by different paths must share one lock.
    real = tracker(tmp_path / "t.xlsx", [])
    (tmp_path / "link.xlsx").symlink_to(real)
    monkeypatch.chdir(tmp_path)
    names = {XlsxBackend(p).lock_name() for p in ("t.xlsx", "./t.xlsx", real, tmp_path / "link.xlsx")}
    assert names == {str(real.resolve())}


def test_refuses_to_drop_an_extension_openpyxl_cannot_keep(tmp_path):
    path = tracker(tmp_path / "t.xlsx", [["a-1", "Acme"]])
    # Conditional formatting with Excel 2010 features (data bars) lives in a worksheet extension.
    ext = (
        '<extLst><ext uri="{78C0D931-6437-407d-A8EE-F0AAD7539E65}" '
        'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">'
        "<x14:conditionalFormattings/></ext></extLst></worksheet>"
    )
    patch_sheet(path, "</worksheet>", ext)
    backend = XlsxBackend(path)
    snap = backend.read()
    assert backend.apply(one_write(snap, SPLICED)).cells == 1  # spliced in: the extension stays
    assert ext.encode() in parts_of(path)["xl/worksheets/sheet1.xml"]
    snap = backend.read()
    changes = one_write(snap, REWRITTEN)
    with pytest.raises(WriteRefused, match=r"(?s)Conditional Formatting extension.*--force"):
        backend.apply(changes)
    assert backend.apply(changes, force=True).cells == 1


def test_a_broken_workbook_is_unreadable_not_a_traceback(tmp_path):
    path = tracker(tmp_path / "t.xlsx", [["a-1", "Acme"]])
    patch_sheet(path, "<sheetData>", "<sheetData><row", member="xl/worksheets/sheet1.xml")
    with pytest.raises(TrackerUnreadable, match=r"t\.xlsx is not an \.xlsx workbook followsync can read"):
        XlsxBackend(path).read()


def test_a_styled_empty_cell_far_away_does_not_grow_the_grid(tmp_path):
    path = tracker(tmp_path / "t.xlsx", [["a-1", "Acme"]])
    wb = openpyxl.load_workbook(path)
    wb.active["XFD1048576"].fill = PatternFill("solid", start_color="FFFFFF00")
    save(wb, path)
    grid = XlsxBackend(path).read().grid
    assert len(grid) == 2 and max(len(r) for r in grid) == len(HEADER)


def test_a_column_neither_in_the_header_nor_added_is_skipped(tmp_path):
    path = tracker(tmp_path / "t.xlsx", [["a-1", "Acme"]])
    backend = XlsxBackend(path)
    snap = backend.read()
    applied = backend.apply(
        ChangeSet(
            "Tracker", 0, cells=[CellWrite(ref(snap, 1), "Reminder", "x"), CellWrite(ref(snap, 1), "Due", D2)]
        )
    )
    assert applied.cells == 1 and applied.skipped == [
        "sheet 'Tracker' has no column 'Reminder'; its cells were not written"
    ]


@pytest.mark.skipif(os.name != "posix", reason="symlinks")
def test_a_tracker_reached_through_a_symlink_stays_a_symlink(tmp_path):
    real = tracker(tmp_path / "real.xlsx", [["a-1", "Acme"]])
    link = tmp_path / "link.xlsx"
    link.symlink_to(real)
    backend = XlsxBackend(link)
    snap = backend.read()
    backend.apply(ChangeSet("Tracker", 0, cells=[CellWrite(ref(snap, 1), "Next action", "Follow up")]))
    assert link.is_symlink()
    assert openpyxl.load_workbook(real).active["G2"].value == "Follow up"
    assert (tmp_path / "real.xlsx.bak").exists()


@pytest.mark.parametrize("how", [SPLICED, REWRITTEN])
def test_a_file_saved_by_someone_else_during_the_save_is_not_overwritten(tmp_path, monkeypatch, how):
    path = tracker(tmp_path / "t.xlsx", [["a-1", "Acme"]])
    backend = XlsxBackend(path)
    snap = backend.read()
    real_save = openpyxl.Workbook.save

    def while_the_coach_saves(filename, write):
        write()
        coach = openpyxl.load_workbook(path)
        coach.active["B3"] = "the coach's new row"
        real_save(coach, path)

    break_the_write(monkeypatch, how, while_the_coach_saves)
    with pytest.raises(TrackerBusy, match="saved by someone else.*nothing was written"):
        backend.apply(one_write(snap, how))
    monkeypatch.undo()
    assert openpyxl.load_workbook(path).active["B3"].value == "the coach's new row"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.xlsx"]


def test_apply_writes_to_the_sheet_that_was_read_even_if_another_is_named_tracker_now(tmp_path):
    path = tracker(tmp_path / "t.xlsx", [["a-1", "Acme"]], title="Jobs")
    backend = XlsxBackend(path)
    snap = backend.read()
    assert snap.sheet == "Jobs"
    wb = openpyxl.load_workbook(path)
    wb.create_sheet("Tracker", 0).append(["a summary the coach added"])
    save(wb, path)
    apply_after_a_save(
        backend, ChangeSet("Jobs", 0, cells=[CellWrite(ref(snap, 1), "Next action", "Follow up")])
    )
    wb = openpyxl.load_workbook(path)
    assert wb["Jobs"]["G2"].value == "Follow up"
    assert [[c.value for c in r] for r in wb["Tracker"].iter_rows()] == [["a summary the coach added"]]


def test_a_chart_sheet_is_never_the_tracker(tmp_path):
    path = tracker(tmp_path / "t.xlsx", [["a-1", "Acme"]], title="Jobs")
    wb = openpyxl.load_workbook(path)
    chart = BarChart()
    chart.add_data(Reference(wb["Jobs"], min_col=2, min_row=1, max_row=2), titles_from_data=True)
    wb.create_chartsheet("Chart", 0).add_chart(chart)
    save(wb, path)
    assert XlsxBackend(path).read().sheet == "Jobs"
    with pytest.raises(TrackerNotFound, match="'Chart' is a chart sheet"):
        XlsxBackend(path, worksheet="Chart").read()


def test_refuses_to_add_a_column_over_values_that_have_no_header(tmp_path):
    path = tracker(
        tmp_path / "t.xlsx", [["a-1", "Acme"], ["b-2", "Bolt", None, None, None, None, None, None, "my note"]]
    )
    old_bytes = path.read_bytes()
    backend = XlsxBackend(path)
    snap = backend.read()
    changes = ChangeSet(
        "Tracker", 0, add_columns=["Reminder"], cells=[CellWrite(ref(snap, 1), "Reminder", "x")]
    )
    with pytest.raises(
        TrackerError, match=r"(?s)column I has no header but holds values \(row 3\).*give column I a header"
    ):
        backend.apply(changes)
    assert path.read_bytes() == old_bytes


def test_sheet_features_survive_a_write(tmp_path):
    path = tracker(tmp_path / "t.xlsx", [["a-1", "Acme", "Engineer"], ["b-2", "Bolt", "Designer"]])
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    ws.add_table(Table(displayName="Jobs", ref="A1:F3"))
    ws.conditional_formatting.add(
        "B2:B3",
        CellIsRule(operator="equal", formula=['"Acme"'], fill=PatternFill("solid", start_color="FFFF0000")),
    )
    dv = DataValidation(type="list", formula1='"Engineer,Designer"')
    dv.add("C2:C100")
    ws.add_data_validation(dv)
    wb.defined_names["companies"] = DefinedName("companies", attr_text="Tracker!$B$2:$B$3")
    ws["B2"].hyperlink = "https://acme.example/jobs"
    ws.row_dimensions[2].height = 30
    ws.column_dimensions["B"].width = 25
    ws.freeze_panes = "C2"
    save(wb, path)
    backend = XlsxBackend(path)
    snap = backend.read()
    backend.apply(ChangeSet("Tracker", 0, cells=[CellWrite(ref(snap, 1), "Next action", "Follow up")]))
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    assert ws["G2"].value == "Follow up"
    assert ws.tables["Jobs"].ref == "A1:F3"
    assert [str(r.sqref) for r in ws.conditional_formatting] == ["B2:B3"]
    assert [str(d.sqref) for d in ws.data_validations.dataValidation] == ["C2:C100"]
    assert wb.defined_names["companies"].attr_text == "Tracker!$B$2:$B$3"
    assert ws["B2"].hyperlink.target == "https://acme.example/jobs"
    assert ws.row_dimensions[2].height == 30 and ws.column_dimensions["B"].width == 25
    assert ws.freeze_panes == "C2"


@settings(max_examples=25, deadline=None)
@given(order=st.permutations(range(6)), keep=st.lists(st.booleans(), min_size=6, max_size=6))
def test_whatever_a_coach_does_to_the_rows_no_value_lands_on_another_row(order, keep):
    rows = [[f"id-{i}", f"Company {i}"] for i in range(5)] + [[None, "No ID yet"]]
    with tempfile.TemporaryDirectory() as folder:
        path = tracker(Path(folder) / "t.xlsx", rows)
        backend = XlsxBackend(path)
        snap = backend.read()
        refs = [ref(snap, gi) for gi in range(1, 7)]
        tracker(path, [rows[i] for i in order if keep[i]])  # sorted and trimmed, then saved
        changes = ChangeSet(
            "Tracker",
            0,
            cells=[CellWrite(r, "Next action", f"for {row[1]}") for r, row in zip(refs, rows, strict=True)],
        )
        applied = apply_after_a_save(backend, changes)
        ws = openpyxl.load_workbook(path).active
        for r in range(2, ws.max_row + 1):
            company, action = ws.cell(r, 2).value, ws.cell(r, 7).value
            assert action in (None, f"for {company}")
        kept_with_id = sum(1 for i in range(5) if keep[i])
        assert applied.cells + len(applied.skipped) == 6
        assert applied.cells >= kept_with_id


def test_a_save_that_keeps_size_and_mtime_is_still_noticed(tmp_path):
    # FAT and SMB keep mtimes to 2 s: a coach's save can look like no change at all.
    path = tracker(tmp_path / "t.xlsx", [["a-1", "Acme"], ["b-2", "Bolt"]])
    before = path.stat()
    backend = XlsxBackend(path)
    snap = backend.read()
    refs = [ref(snap, 1), ref(snap, 2)]
    tracker(path, [["b-2", "Acme"], ["a-1", "Bolt"]])  # the coach swaps the two IDs
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    apply_after_a_save(
        backend, ChangeSet("Tracker", 0, cells=[CellWrite(r, "Next action", f"for {r.id}") for r in refs])
    )
    ws = openpyxl.load_workbook(path).active
    assert [(ws.cell(r, 1).value, ws.cell(r, 7).value) for r in (2, 3)] == [
        ("b-2", "for b-2"),
        ("a-1", "for a-1"),
    ]


def test_text_is_cleaned_of_control_characters_and_cut_to_excels_limit(tmp_path):
    path = tracker(tmp_path / "t.xlsx", [["a-1", "Acme"]])
    backend = XlsxBackend(path)
    snap = backend.read()
    a = ref(snap, 1)
    backend.apply(
        ChangeSet(
            "Tracker",
            0,
            cells=[CellWrite(a, "Next action", "Call\x0bnow\x00"), CellWrite(a, "Due", "y" * 40_000)],
        )
    )
    ws = openpyxl.load_workbook(path).active
    assert ws["G2"].value == "Callnow" and ws["H2"].value == "y" * 32767


def test_create_in_a_missing_folder_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="does not exist"):
        XlsxBackend(tmp_path / "nope" / "t.xlsx").create(layout_mod.load())


@pytest.mark.parametrize(
    "part, kind",
    [
        ("xl/threadedComments/threadedComment1.xml", "threaded comments"),
        ("xl/metadata.xml", "dynamic-array formulas"),
        ("xl/richData/rdrichvalue.xml", "pictures in cells"),
        ("customXml/item1.xml", "custom XML data"),
        ("xl/connections.xml", "data connections"),
    ],
)
def test_parts_openpyxl_would_drop_silently_are_kept_or_refused(tmp_path, part, kind):
    import zipfile

    from followsync import run as sync
    from followsync.config import Config
    from followsync.core.layout import demo_rows
    from followsync.core.layout import load as load_layout
    from followsync.errors import WriteRefused

    from ...conftest import NOW

    plain = tmp_path / "plain.xlsx"
    XlsxBackend(plain).create(load_layout(), demo_rows(NOW.date()))
    path = tmp_path / "tracker.xlsx"
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(path, "w") as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item.filename))
        dst.writestr(part, "<x/>")
    # A run splices its cells in: the part is kept as it was.
    backend = XlsxBackend(path)
    assert sync.run(backend, Config(), NOW, lock_timeout=1).applied.cells > 0
    assert backend.last_save == "spliced"
    assert parts_of(path)[part] == b"<x/>"
    # Adding a column takes openpyxl, which would drop the part: refused.
    before = path.read_bytes()
    snap = backend.read()
    changes = ChangeSet(
        "Tracker", 0, add_columns=["My new column"], cells=[CellWrite(ref(snap, 1), "Next action", "x")]
    )
    with pytest.raises(WriteRefused, match=kind):
        backend.apply(changes)
    assert path.read_bytes() == before
