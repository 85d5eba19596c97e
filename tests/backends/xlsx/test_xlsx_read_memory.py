"""What a read of a large tracker does not hold (issue 17): a copy of every row, a dict of every
colour, a tuple per row for where it sits. Each is pinned by what the read gives, never by size."""

from __future__ import annotations

import pytest

from followsync.backends.xlsx.backend import XlsxBackend
from followsync.backends.xlsx.spans import RowSpans
from followsync.core.changes import CellWrite, ChangeSet, FillWrite

from .test_xlsx_backend import ref, tracker
from .test_xlsx_parts import fast_and_slow


def rows(n: int) -> list[list]:
    return [[f"id-{i}", f"Company {i}", None, None, None, i] for i in range(n)]


def test_a_snapshot_shares_the_scans_rows_and_a_write_leaves_it_as_read(tmp_path):
    backend = XlsxBackend(tracker(tmp_path / "t.xlsx", rows(10)))
    snap = backend.read()
    book = backend._book
    assert book is not None and snap.grid[3] is book.grid[3]  # shared, not copied
    before = [list(r) for r in snap.grid]
    backend.apply(ChangeSet("Tracker", 0, cells=[CellWrite(ref(snap, 3), "Next action", "Follow up")]))
    assert backend.last_save == "spliced"
    assert snap.grid == before  # the written row got a new list; the Snapshot is what was read
    assert backend.read().grid[3][6] == "Follow up"


def test_fills_are_looked_up_when_asked_and_agree_with_openpyxl(tmp_path):
    path = tracker(tmp_path / "t.xlsx", rows(12))
    backend = XlsxBackend(path)
    snap = backend.read()
    writes = [FillWrite(ref(snap, g), "Next action", "#FFC7CE") for g in (2, 5)]
    writes.append(FillWrite(ref(snap, 7), "Due", "#C6EFCE"))
    backend.apply(ChangeSet("Tracker", 0, fills=writes))
    spliced = XlsxBackend(path).read()
    assert not isinstance(spliced.fills, dict)  # a view of the scan, not a dict of every colour
    assert spliced.fills.get((2, 6)) == "#FFC7CE" and spliced.fills.get((3, 6)) is None
    assert spliced.fills.get((0, 6)) is None  # the header row is not a colour cell
    assert spliced.fills.get((2, 0)) is None  # nor is a column other than the colour columns
    with pytest.raises(KeyError):
        spliced.fills[(3, 6)]
    quick, slow = fast_and_slow(path)  # the second through openpyxl's whole load
    assert isinstance(slow.fills, dict) and dict(quick.fills) == slow.fills and len(quick.fills) == 3


def test_row_spans_behave_as_the_dict_they_replace():
    spans, plain = RowSpans(), {}
    for row, span in [(1, (10, 40)), (2, (40, -1)), (5, (50, 90)), (300, (100, 140)), (2, (40, 60))]:
        spans[row] = span
        plain[row] = span
    assert spans == plain and len(spans) == 4 and list(spans) == [1, 2, 5, 300]
    assert 2 in spans and 3 not in spans and 0 not in spans and 10**6 not in spans and "1" not in spans
    assert spans[2] == (40, 60) and spans.get(4) is None
    with pytest.raises(KeyError):
        spans[4]
    del spans[5]
    assert 5 not in spans and len(spans) == 3
