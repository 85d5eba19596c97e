"""Issue 19 on Google: the morning after, with nobody editing, a run writes only the rows that moved.

Against the emulator with the real gspread: day 1 writes a generated 2,000-row tracker, day 2
(the next morning, no edit) is counted in requests (the emulator's) and in cells (the worksheet's
values before and after, compared cell by cell), and every changed cell is on a row whose action,
due date or urgency changed (``tests/core/test_quiet_day.may_change``).
"""

from __future__ import annotations

import pytest

from followsync import run as sync
from followsync.backends.google import auth as google_auth
from followsync.config import Config

from ...conftest import NOW, grid_of
from ...core.test_quiet_day import NEXT_DAY, generated_rows, may_change
from . import test_gsheets_backend as base
from .test_gsheets_backend import CHECK, TIDY, backend

# the fixtures of the backend's tests
shared_emu, emu, key_path, _no_env = base.shared_emu, base.emu, base.key_path, base._no_env

READ = 3  # the sheets' properties, the values, the colour columns' backgrounds
CHARTS = 1  # the chart ids, read when the Summary's weekly table moved


@pytest.fixture(autouse=True)
def _fresh_tokens():
    google_auth.forget_shared_credentials()
    yield
    google_auth.forget_shared_credentials()


def changed_cells(before: list[list], after: list[list]) -> list[tuple[int, int]]:
    out = []
    for r in range(max(len(before), len(after))):
        old = before[r] if r < len(before) else []
        new = after[r] if r < len(after) else []
        for c in range(max(len(old), len(new))):
            if (old[c] if c < len(old) else None) != (new[c] if c < len(new) else None):
                out.append((r, c))
    return out


def test_a_quiet_day_on_google_writes_only_rows_that_moved_in_one_batch(emu, key_path):
    sid = emu.create_spreadsheet("Jobs", {"Tracker": grid_of(generated_rows(2000))})
    first = sync.run(backend(emu, key_path, sid, timeout=60), Config(), NOW, lock_timeout=5)
    day1_sent = emu.stats()["bytes_received"]
    allowed = may_change(backend(emu, key_path, sid, timeout=60), Config(), NEXT_DAY)
    before = emu.values(sid, "Tracker")
    emu.reset_stats()

    result = sync.run(backend(emu, key_path, sid, timeout=60), Config(), NEXT_DAY, lock_timeout=5)

    stats = emu.stats()
    after = emu.values(sid, "Tracker")
    changed = changed_cells(before, after)
    ids = before[0].index("ID")
    assert {str(before[r][ids]).lower() for r, _ in changed} <= allowed
    assert len(changed) == result.applied.cells == len(result.changes.cells)
    assert 0 < len(changed) < first.applied.cells / 10
    # one read, one batch of rows (its re-read and batchUpdate), the stamps' check and tidy-up;
    # and one listing of the charts: the Summary's lists above its weekly table changed length
    # overnight, so the table moved and its chart is anchored anew (outputs/summary_sheet.py)
    assert stats["requests"] == READ + 2 + CHECK + TIDY + CHARTS
    assert stats["by_method"] == {"GET": READ + 1 + CHECK + CHARTS, "POST": 1 + TIDY}
    assert stats["bytes_received"] < day1_sent / 4
