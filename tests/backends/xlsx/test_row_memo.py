"""Rows remembered between reads (issue 17, backends/xlsx/row_memo.py): a scan that takes rows
from the memo gives exactly the scan that parses them all, whatever changed in between; a memo
of another context, a damaged or planted one, is not used; it is private to its owner."""

from __future__ import annotations

import datetime as dt
import gzip
import os
import pickle
import stat

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import CALENDAR_WINDOWS_1900

from followsync import run as sync
from followsync.backends.xlsx import quick as quick_mod
from followsync.backends.xlsx import row_memo
from followsync.backends.xlsx.backend import XlsxBackend
from followsync.backends.xlsx.scan import scan_chunks, scan_sheet
from followsync.config import Config
from followsync.core.changes import CellWrite, ChangeSet
from followsync.core.layout import demo_rows
from followsync.core.layout import load as load_layout
from followsync.core.own_sheets import SUMMARY_READS

from .test_xlsx_backend import ref, tracker
from .test_xlsx_read_work import pieces

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
SHARED = ["alpha", "beta & gamma"]
NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)

# A cell: (style, what it holds); style 1 is a date format
cells = st.tuples(
    st.sampled_from([0, 1, 2]),
    st.one_of(
        st.none(),
        st.integers(-5, 50000),
        st.sampled_from([0.5, 1e-3, 45000.25]),
        st.text(st.sampled_from("ab <>&\"'é\r\n"), max_size=6).map(lambda t: ("str", t)),
        st.sampled_from([("s", 0), ("s", 1), ("b", 1)]),
    ),
)
rows = st.lists(st.lists(cells, min_size=0, max_size=5), min_size=1, max_size=8)


def cell_xml(row: int, col: int, style: int, held) -> str:
    r = f'r="{get_column_letter(col)}{row}"' + (f' s="{style}"' if style else "")
    if held is None:
        return f"<c {r}/>"
    if isinstance(held, tuple):
        kind, v = held
        if kind == "str":
            text = v.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
            return f'<c {r} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'
        return f'<c {r} t="{kind}"><v>{v}</v></c>'
    return f"<c {r}><v>{held}</v></c>"


def part(body: dict[int, list]) -> bytes:
    xml = "".join(
        f'<row r="{n}">' + "".join(cell_xml(n, i + 1, s, h) for i, (s, h) in enumerate(cs)) + "</row>"
        for n, cs in body.items()
    )
    return f'<worksheet xmlns="{MAIN}"><sheetData>{xml}</sheetData></worksheet>'.encode()


def scanned(data: bytes, memo=None, size=None):
    return scan_chunks(
        pieces(data, size or len(data)),
        lambda: data,
        shared_strings=SHARED,
        date_styles={1},
        epoch=CALENDAR_WINDOWS_1900,
        memo_file=memo,
    )


def plain(data: bytes):
    return scan_sheet(data, shared_strings=SHARED, date_styles={1}, epoch=CALENDAR_WINDOWS_1900)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    before=rows,
    after=rows,
    keep=st.lists(st.booleans(), min_size=8, max_size=8),
    size=st.sampled_from([None, 9, 64, 300]),
)
def test_a_scan_with_rows_remembered_is_the_scan_that_parses_them_all(
    tmp_path_factory, before, after, keep, size
):
    memo = tmp_path_factory.mktemp("memo") / "part.pickle.gz"
    old = {n + 1: cs for n, cs in enumerate(before)}
    # the next version: some rows as they were, the others changed (or gone, or new)
    new = {n + 1: (old[n + 1] if keep[n] and n + 1 in old else cs) for n, cs in enumerate(after)}
    first = scanned(part(old), memo, size)
    assert first == plain(part(old)) and first.grid == plain(part(old)).grid
    again = scanned(part(new), memo, size)
    whole = plain(part(new))
    assert again == whole
    assert again.grid == whole.grid and again.rows == whole.rows and again.cell_styles == whole.cell_styles
    # and the memo now holds this version's rows, each as it reads
    context = row_memo.context_of(SHARED, frozenset({1}), frozenset(), CALENDAR_WINDOWS_1900)
    known = row_memo.PartMemo(memo, context).known
    assert set(known) == set(new)
    grid = whole.grid + [[]] * len(new)
    assert all(known[r][3] == (grid[r - 1] or None) for r in new)
    assert scanned(part(new), memo, size) == whole


def test_unchanged_rows_are_taken_from_the_memo_and_changed_ones_parsed(tmp_path, monkeypatch):
    memo = tmp_path / "m.pickle.gz"
    body = {n: [(0, ("str", f"row {n}")), (1, 45000 + n), (2, None)] for n in range(1, 41)}
    scanned(part(body), memo)
    recalls = []
    real = row_memo.PartMemo.recall
    monkeypatch.setattr(
        row_memo.PartMemo, "recall", lambda self, sc, row, *a: recalls.append(row) or real(self, sc, row, *a)
    )
    body[7] = [(0, ("str", "changed")), (1, 45000), (2, None)]
    got = scanned(part(body), memo)
    assert got == plain(part(body)) and got.grid[6][0] == "changed"
    assert sorted(recalls) == [n for n in range(1, 41) if n != 7]


def test_a_memo_of_another_context_is_not_used(tmp_path):
    memo = tmp_path / "m.pickle.gz"
    data = part({1: [(1, 45000)], 2: [(0, ("s", 1))]})
    scanned(data, memo)
    # style 1 is no longer a date format: the same bytes mean something else
    other = scan_chunks(
        pieces(data, len(data)),
        lambda: data,
        shared_strings=SHARED,
        epoch=CALENDAR_WINDOWS_1900,
        memo_file=memo,
    )
    assert other.grid[0] == [45000] and other == scan_sheet(
        data, shared_strings=SHARED, epoch=CALENDAR_WINDOWS_1900
    )
    # other shared strings
    strings = ["x", "y"]
    third = scan_chunks(
        pieces(data, len(data)),
        lambda: data,
        shared_strings=strings,
        date_styles={1},
        epoch=CALENDAR_WINDOWS_1900,
        memo_file=memo,
    )
    assert third.grid[1] == ["y"]


class Planted:
    def __reduce__(self):
        return (os.system, ("touch planted",))


def test_a_damaged_or_planted_memo_is_ignored_and_runs_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    data = part({1: [(0, 5)], 2: [(0, ("str", "two"))]})
    memo = tmp_path / "m.pickle.gz"
    memo.write_bytes(b"not a gzip file")
    assert scanned(data, memo) == plain(data)
    context = row_memo.context_of(SHARED, frozenset({1}), frozenset(), CALENDAR_WINDOWS_1900)
    with gzip.open(memo, "wb") as f:
        pickle.dump((row_memo.FORMAT, context, {1: (0, b"", None, [Planted()])}), f)
    assert scanned(data, memo) == plain(data)
    assert not (tmp_path / "planted").exists()


def test_the_memo_is_private_and_a_part_of_other_shapes_is_not_remembered(tmp_path):
    memo = tmp_path / "m.pickle.gz"
    scanned(part({1: [(0, 5)], 2: [(0, 6)]}), memo)
    assert stat.S_IMODE(memo.stat().st_mode) == 0o600
    # row 2 twice: the part's rows are not remembered, and the old memo goes
    twice = part({1: [(0, 5)], 2: [(0, 6)]}).replace(
        b"</sheetData>", b'<row r="2"><c r="B2"><v>7</v></c></row></sheetData>'
    )
    assert scanned(twice, memo) == plain(twice)
    assert not memo.exists()


def test_a_run_the_day_after_reads_every_row_from_the_memo_and_writes_the_same(tmp_path, monkeypatch):
    path = tmp_path / "t.xlsx"
    XlsxBackend(path).create(load_layout(), demo_rows(NOW.date()))
    sync.run(XlsxBackend(path), Config(), NOW, force=True)
    assert sync.run(XlsxBackend(path), Config(), NOW, force=True).changes.cells == []
    recalls = []
    real = row_memo.PartMemo.recall
    monkeypatch.setattr(
        row_memo.PartMemo, "recall", lambda self, sc, row, *a: recalls.append(row) or real(self, sc, row, *a)
    )
    copy = tmp_path / "copy.xlsx"
    copy.write_bytes(path.read_bytes())
    later = NOW + dt.timedelta(days=9)
    remembered = sync.run(XlsxBackend(path), Config(), later, force=True, dry_run=True)
    parsed = sync.run(XlsxBackend(copy), Config(), later, force=True, dry_run=True)  # no memo of this path
    rows_in_file = XlsxBackend(path).read().grid
    assert len(recalls) >= len(rows_in_file)  # the tracker's rows, and the Summary's
    assert remembered.changes == parsed.changes and remembered.changes.cells


def test_a_write_after_a_read_from_the_memo_splices_the_same_bytes(tmp_path):
    path = tracker(tmp_path / "t.xlsx", [[f"id-{i}", f"Company {i}", None, None, None, i] for i in range(30)])
    XlsxBackend(path).read()  # the memo made
    copy = tmp_path / "copy.xlsx"
    copy.write_bytes(path.read_bytes())
    remembered, parsed = XlsxBackend(path), XlsxBackend(copy)
    snap = remembered.read()
    assert snap == parsed.read()
    change = ChangeSet("Tracker", 0, cells=[CellWrite(ref(snap, g), "Next action", f"n{g}") for g in (3, 17)])
    remembered.apply(change)
    parsed.apply(change)
    assert remembered.last_save == parsed.last_save == "spliced"
    assert path.read_bytes() == copy.read_bytes()


def test_a_write_leaves_the_memo_holding_the_rows_it_wrote(tmp_path, monkeypatch):
    # the read after a run that wrote (the next run, a person's `today`) parses nothing
    path = tmp_path / "t.xlsx"
    XlsxBackend(path).create(load_layout(), demo_rows(NOW.date()))
    assert sync.run(XlsxBackend(path), Config(), NOW, force=True).changes.cells
    parsed = []
    real = quick_mod._quick_cells
    monkeypatch.setattr(
        quick_mod,
        "_quick_cells",
        lambda sc, data, pos, stop, *a: parsed.append(stop - pos) or real(sc, data, pos, stop, *a),
    )
    snap = XlsxBackend(path).read(also=SUMMARY_READS)
    assert parsed == [] and len(snap.grid) > 5 and snap.sheets["Summary"]
    copy = tmp_path / "copy.xlsx"
    copy.write_bytes(path.read_bytes())
    assert XlsxBackend(copy).read(also=SUMMARY_READS) == snap  # as parsing every row reads it
    assert parsed
