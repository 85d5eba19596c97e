"""A synced tracker of varied rows reads the same through the scan as through openpyxl's full
load (issue 17): the same typed frame, the same fills, the same cells computed from them, and a
no-op run writes nothing on either path."""

from __future__ import annotations

import shutil

import pandas as pd

from followsync import run as sync
from followsync.backends.xlsx.backend import XlsxBackend
from followsync.config import Config
from followsync.core.compute import compute
from followsync.core.layout import load as load_layout

from ...conftest import NOW
from ...varied import varied_rows
from .test_xlsx_parts import fast_and_slow


def same_frame(new: pd.DataFrame, old: pd.DataFrame) -> None:
    """Equal frames, with the same dtypes and, in object columns, values of the same types."""
    pd.testing.assert_frame_equal(new, old, check_exact=True)
    for column in old.columns:
        kinds = [type(v) for v in new[column]], [type(v) for v in old[column]]
        assert kinds[0] == kinds[1], column


def test_a_varied_synced_tracker_reads_and_computes_the_same_on_both_paths(tmp_path):
    path = tmp_path / "t.xlsx"
    XlsxBackend(path).create(load_layout(), varied_rows())
    sync.run(XlsxBackend(path), Config(), NOW, force=True)  # every followsync cell and fill written
    quick, slow = fast_and_slow(path)
    assert quick.grid == slow.grid
    assert quick.fills == slow.fills and quick.fills
    assert quick.sheets == slow.sheets
    fast_tracker, slow_tracker = (sync.read_tracker(s, Config()) for s in (quick, slow))
    same_frame(fast_tracker.frame, slow_tracker.frame)
    same_frame(compute(fast_tracker, NOW, Config()).cells, compute(slow_tracker, NOW, Config()).cells)
    # The no-op day: the same tracker again, on the scan's path and on openpyxl's, writes nothing.
    copy = tmp_path / "copy.xlsx"
    shutil.copy(path, copy)
    full = XlsxBackend(copy)
    full._open = full._load  # type: ignore[method-assign]
    for backend in (XlsxBackend(path), full):
        result = sync.run(backend, Config(), NOW, force=True)
        assert not result.changes.cells and not result.changes.fills
        assert backend.last_save is None
