"""What reading a large tracker does not do (issue 17): keep the worksheet part's bytes, note
where every cell sits, hold the whole part in memory while scanning, run the garbage collector
over the scan's lists. Each is pinned by what is read or located, never by time."""

from __future__ import annotations

import gc

import pytest
from openpyxl.utils.datetime import CALENDAR_WINDOWS_1900

from followsync.backends.xlsx import quick as quick_mod
from followsync.backends.xlsx import scan as scan_mod
from followsync.backends.xlsx import spliced
from followsync.backends.xlsx.backend import XlsxBackend
from followsync.backends.xlsx.scan import Unusual, scan_chunks, scan_sheet
from followsync.core.changes import CellWrite, ChangeSet

from .test_xlsx_backend import ref, tracker
from .test_xlsx_parts import fast_and_slow

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def rows(n: int) -> list[list]:
    return [[f"id-{i}", f"Company {i}", None, None, None, i] for i in range(n)]


def test_a_read_keeps_no_part_bytes_and_locates_no_cell(tmp_path):
    backend = XlsxBackend(tracker(tmp_path / "t.xlsx", rows(30)))
    snap = backend.read(also=("Summary",))
    scan = backend._scan
    assert scan is not None and len(snap.grid) == 31
    assert scan.part is None  # the part is read again only when a write needs it
    assert scan._located == {} and scan._everywhere is None


def test_a_write_finds_again_only_the_rows_it_writes(tmp_path, monkeypatch):
    backend = XlsxBackend(tracker(tmp_path / "t.xlsx", rows(30)))
    snap = backend.read()
    book, scan = backend._book, backend._scan
    assert book is not None and scan is not None
    parsed = []
    real = quick_mod.row_positions
    monkeypatch.setattr(
        quick_mod,
        "row_positions",
        lambda data, start, end, row, prefix: parsed.append(end - start) or real(data, start, end, row, prefix),
    )
    monkeypatch.setattr(scan_mod, "cell_positions", None)  # the usual shapes need no expat handlers
    applied, data = book.write(
        ChangeSet("Tracker", 0, cells=[CellWrite(ref(snap, 5), "Next action", "Follow up")])
    )
    assert applied.cells == 1 and data is not None
    assert set(scan._located) == {6}  # grid row 5 is sheet row 6: only its bytes were read again
    assert len(parsed) == 1 and parsed[0] < len(scan.data) / 10


def test_written_cells_land_where_the_scan_saw_them(tmp_path):
    # the row's cells found again in its bytes: the write gives the same workbook as openpyxl's
    path = tracker(tmp_path / "t.xlsx", rows(12))
    backend = XlsxBackend(path)
    snap = backend.read()
    backend.apply(
        ChangeSet("Tracker", 0, cells=[CellWrite(ref(snap, g), "Next action", f"n{g}") for g in (1, 7)])
    )
    assert backend.last_save == "spliced"
    quick, slow = fast_and_slow(path)
    assert quick.grid == slow.grid and quick.grid[7][6] == "n7" and quick.grid[1][6] == "n1"


def test_cells_outside_their_rows_element_are_found_by_reading_the_whole_part():
    # <row r="2"> holding a cell of row 3: a row's bytes alone would miss it
    sheet = (
        f'<worksheet xmlns="{MAIN}"><sheetData>'
        '<row r="1"><c r="A1"><v>1</v></c></row>'
        '<row r="2"><c r="A2"><v>2</v></c><c r="B3" s="1"><v>3</v></c></row>'
        '<row r="3"><c r="A3"><v>4</v></c></row>'
        "</sheetData></worksheet>"
    ).encode()
    scan = scan_sheet(sheet, shared_strings=[], epoch=CALENDAR_WINDOWS_1900)
    assert scan.irregular
    assert [(col, style) for col, _, _, style in scan.cells_in(3)] == [(2, 1), (1, 0)]
    assert scan._everywhere is not None


def pieces(data: bytes, size: int):
    return iter([data[i : i + size] for i in range(0, len(data), size)])


@pytest.mark.parametrize("size", [1, 7, 64, 1000, 10**6])
def test_a_part_scanned_piece_by_piece_reads_as_the_whole_part(tmp_path, size):
    path = tracker(tmp_path / "t.xlsx", rows(40))
    book = spliced.SplicedBook(path.read_bytes(), lambda wb: "Tracker")
    data = book.read(book.parts["Tracker"])
    whole = scan_sheet(data, shared_strings=book.shared_strings, epoch=book.epoch)
    reloads = []
    scanned = scan_chunks(
        pieces(data, size),
        lambda: reloads.append(1) or data,
        shared_strings=book.shared_strings,
        epoch=book.epoch,
    )
    assert not reloads  # the quick pass took it: the whole part was never asked for
    assert scanned == whole and scanned.rows == whole.rows and scanned.grid == whole.grid


def test_the_tracker_part_is_inflated_a_piece_at_a_time(tmp_path, monkeypatch):
    path = tracker(tmp_path / "t.xlsx", rows(200))
    monkeypatch.setattr(spliced, "PIECE", 512)
    sizes = []
    real = spliced.SplicedBook._pieces

    def counted(self, part):
        for piece in real(self, part):
            sizes.append(len(piece))
            yield piece

    monkeypatch.setattr(spliced.SplicedBook, "_pieces", counted)
    quick, slow = fast_and_slow(path)
    assert quick.grid == slow.grid
    assert len(sizes) > 10 and max(sizes) == 512


def test_a_broken_part_read_in_pieces_is_still_refused():
    sheet = (
        f'<worksheet xmlns="{MAIN}"><sheetData><row r="1"><c r="A1"><v>1</v></c></row><row r="2"></sheetData>'
    )
    with pytest.raises(Unusual, match="broken"):
        scan_chunks(
            pieces(sheet.encode(), 16), lambda: sheet.encode(), shared_strings=[], epoch=CALENDAR_WINDOWS_1900
        )


def test_rows_alike_share_one_list_of_their_cells_styles(tmp_path):
    backend = XlsxBackend(tracker(tmp_path / "t.xlsx", rows(5)))
    backend.read()
    scan = backend._scan
    assert scan is not None
    assert scan.cell_styles[3] is scan.cell_styles[4]
    assert scan.style_at(3, 6) == scan.style_at(4, 6) == 0 and scan.style_at(3, 9) is None


def test_the_garbage_collector_waits_while_a_part_is_scanned():
    body = "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>' for r in range(1, 5001))
    sheet = f'<worksheet xmlns="{MAIN}"><sheetData>{body}</sheetData></worksheet>'.encode()
    collections = []

    def note(phase, info):
        if phase == "start":
            collections.append(info["generation"])

    gc.callbacks.append(note)
    try:
        scan = scan_sheet(sheet, shared_strings=[], epoch=CALENDAR_WINDOWS_1900)
        # none while scanning (5,000 rows' lists would set off a dozen), one once it is done
        assert len(collections) <= 1 and gc.isenabled()
        with pytest.raises(Unusual):
            scan_sheet(sheet[:-20], shared_strings=[], epoch=CALENDAR_WINDOWS_1900)
        assert gc.isenabled()  # resumed however the scan ends
    finally:
        gc.callbacks.remove(note)
    assert len(scan.grid) == 5000


def test_a_short_text_repeated_down_a_column_is_one_string_and_a_long_one_is_not(tmp_path):
    # Statuses, actions and days repeat by the thousand: one string each, not one per cell.
    long = "A talking point that goes on " * 5
    grid = [[f"id-{i}", "Interview scheduled", long] for i in range(40)]
    snap = XlsxBackend(tracker(tmp_path / "t.xlsx", grid)).read()
    statuses = [row[1] for row in snap.grid[1:]]
    assert statuses == ["Interview scheduled"] * 40
    assert len({id(s) for s in statuses}) == 1
    longs = [row[2] for row in snap.grid[1:]]
    assert longs == [long] * 40 and len({id(s) for s in longs}) == 40


def test_a_rows_cells_found_by_the_quick_pattern_are_where_expat_finds_them(tmp_path):
    backend = XlsxBackend(tracker(tmp_path / "t.xlsx", rows(20)))
    backend.read()
    scan = backend._scan
    assert scan is not None
    data = scan.data
    everywhere = scan_mod.cell_positions(data, 0, len(data), scan.prefix)
    for row, (start, end) in scan.rows.items():
        end = data.index(b">", end) + 1
        assert quick_mod.row_positions(data, start, end, row, scan.prefix) == everywhere.get(row, [])
    # a shape the pattern does not take (a formula) is left to expat
    start, end = scan.rows[2]
    end = data.index(b">", end) + 1
    odd = data[:start] + data[start:end].replace(b"<v>", b"<f>1+1</f><v>", 1) + data[end:]
    assert quick_mod.row_positions(odd, start, end + len(b"<f>1+1</f>"), 2, scan.prefix) is None
