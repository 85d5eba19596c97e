"""The run on the in-memory backend: the contract, plus what only sync itself does."""

from __future__ import annotations

import copy
import threading

import pytest

from followsync import run as sync
from followsync.backends.memory import MemoryBackend
from followsync.config import Config
from followsync.core.compute import new_id
from followsync.errors import TrackerBusy, TrackerUnreadable

from .backends.contract import BackendContract, Harness, demo_grid
from .conftest import NOW


class MemoryHarness(Harness):
    def __init__(self):
        self.backend = None

    def make_new(self):
        self.backend = MemoryBackend()
        return self.backend

    def make(self, grid):
        self.backend = MemoryBackend(grid)
        return self.backend

    def grid(self):
        return copy.deepcopy(self.backend.grid)

    def fills(self):
        return dict(self.backend.fills)

    def edit(self, fn):
        # Backgrounds travel with their rows, as in a real sheet: remap them by row identity.
        old = {id(row): i for i, row in enumerate(self.backend.grid)}
        new = fn(list(self.backend.grid))
        moved = {old[id(row)]: j for j, row in enumerate(new) if id(row) in old}
        self.backend.fills = {(moved[r], c): v for (r, c), v in self.backend.fills.items() if r in moved}
        self.backend.grid = new

    def between(self, fn):
        self.backend.before_apply = lambda _b: fn()

    def write_calls(self):
        return self.backend.write_calls


class TestMemoryContract(BackendContract):
    @pytest.fixture
    def harness(self):
        return MemoryHarness()


def test_empty_sheet_is_a_clear_error():
    with pytest.raises(TrackerUnreadable, match="empty"):
        sync.run(MemoryBackend([]), Config(), NOW)
    with pytest.raises(TrackerUnreadable, match="no header row"):
        sync.run(MemoryBackend([["Name", "Phone"], ["x", "y"]]), Config(), NOW)


def test_ids_are_short_unique_and_readable():
    taken: set[str] = set()
    ids = [new_id("Acme Robotics GmbH", f"salt{i}", taken) for i in range(50)]
    assert len(set(ids)) == 50
    assert all(i.startswith("acme-") and len(i) == 8 for i in ids)
    assert new_id("Émile & Söhne", "x", set()).startswith("emile-")
    assert new_id("", "x", set()).startswith("job-")


def test_second_run_waits_for_the_lock_then_gives_up():
    backend = MemoryBackend(demo_grid())
    held = threading.Event()
    release = threading.Event()

    def hold():
        with sync.tracker_lock(backend, timeout=1):
            held.set()
            release.wait(5)

    t = threading.Thread(target=hold)
    t.start()
    held.wait(5)
    try:
        with pytest.raises(TrackerBusy, match="waited 0.2 s") as e:
            sync.run(backend, Config(), NOW, lock_timeout=0.2)
        assert e.value.exit_code == 3
        assert backend.write_calls == 0 and backend.reads == 0
    finally:
        release.set()
        t.join()
    assert sync.run(backend, Config(), NOW, lock_timeout=0.2).applied.write_calls == 1


def test_default_lock_wait_is_ten_seconds():
    assert sync.LOCK_TIMEOUT == 10


def test_dry_run_takes_no_lock_and_writes_nothing():
    backend = MemoryBackend(demo_grid())
    with sync.tracker_lock(backend, timeout=1):
        result = sync.run(backend, Config(), NOW, dry_run=True)
    assert result.changes and backend.write_calls == 0


def test_digest_is_overdue_then_today_then_soon():
    backend = MemoryBackend(demo_grid())
    result = sync.run(backend, Config(), NOW)
    urgencies = [d.urgency for d in result.due]
    assert urgencies == sorted(urgencies, key=["overdue", "today", "soon"].index)
    assert {"overdue", "today", "soon"} <= set(urgencies)


def test_resolve_now():
    assert sync.resolve_now("2026-11-25T09:00", "Europe/Berlin").isoformat() == "2026-11-25T09:00:00+01:00"
    assert sync.resolve_now("2026-11-25T09:00+00:00", "Europe/Berlin").hour == 10
    with pytest.raises(Exception, match="not a date-time"):
        sync.resolve_now("someday", None)


def test_now_from_environment(monkeypatch):
    monkeypatch.setenv("FOLLOWSYNC_NOW", "2026-01-02T03:04")
    assert sync.resolve_now(None, "UTC").isoformat() == "2026-01-02T03:04:00+00:00"


def test_on_and_now_take_days_as_people_type_them():
    import datetime as dt

    from followsync.errors import UsageError

    now = dt.datetime(2026, 11, 25, 9, 0)  # a Wednesday
    on = {t: sync.resolve_on("--on", t, now) for t in ("yesterday", "fri", "wed", "today", "25/11/2026")}
    assert on == {
        "yesterday": dt.date(2026, 11, 24),
        "fri": dt.date(2026, 11, 20),  # the last Friday
        "wed": dt.date(2026, 11, 25),  # today is one
        "today": dt.date(2026, 11, 25),
        "25/11/2026": dt.date(2026, 11, 25),
    }
    assert sync.resolve_on("--on", "11/24/2026", now, "MDY") == dt.date(2026, 11, 24)
    with pytest.raises(UsageError, match="in the future"):
        sync.resolve_on("--on", "tomorrow", now)
    with pytest.raises(UsageError, match="not a day") as bad:
        sync.resolve_on("--on", "someday", now)
    assert "yesterday" in (bad.value.hint or "")
    assert sync.resolve_now("2026-11-25T09:00", "Europe/Berlin").hour == 9
    later = sync.resolve_now("tomorrow 9am", "Europe/Berlin")
    assert (later.hour, later.minute) == (9, 0) and str(later.tzinfo) == "Europe/Berlin"


def test_a_lock_wait_at_a_terminal_says_what_it_waits_for(monkeypatch):
    import io
    import sys

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    backend = MemoryBackend(demo_grid())
    said = Terminal()
    monkeypatch.setattr(sys, "stderr", said)
    with sync.tracker_lock(backend, timeout=5):
        pass  # free: no wait, nothing said
    assert said.getvalue() == ""
    import filelock

    monkeypatch.setattr(filelock, "FileLock", _BusyLock)
    with pytest.raises(TrackerBusy), sync.tracker_lock(backend, timeout=5):
        pass
    assert "waiting for another followsync run on" in said.getvalue()


class _BusyLock:
    """A lock another run holds for ever (no wall-clock wait in the test)."""

    def __init__(self, path, timeout):
        pass

    def acquire(self, timeout=None):
        import filelock

        raise filelock.Timeout("held")

    def release(self):
        pass
