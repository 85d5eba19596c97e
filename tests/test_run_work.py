"""Issue 17: a run does no work whose result nothing reads (counted calls, never timings)."""

from __future__ import annotations

import dataclasses
import gc

from followsync import run as sync
from followsync.backends.memory import MemoryBackend
from followsync.config import Config
from followsync.core import diff as diff_mod
from followsync.core.changes import RowRef
from followsync.core.layout import demo_rows
from followsync.inbox import wire
from followsync.outputs import calendar as ics
from followsync.outputs import summary as summary_mod
from followsync.outputs import summary_sheet
from followsync.run_gc import read_objects_frozen

from .conftest import NOW, TODAY, grid_of


def test_without_an_inbox_no_due_drafts_are_made(monkeypatch):
    """The due drafts only go to the mailbox's Drafts folder: without [inbox] nobody reads them."""
    calls = []
    monkeypatch.setattr(wire, "due_drafts", lambda *a: calls.append(a) or [])
    result = sync.run(MemoryBackend(grid_of(demo_rows(TODAY))), Config(), NOW)
    assert result.due  # there is something due: drafts would be made if they were wanted
    assert calls == []


def test_the_read_is_kept_out_of_full_collections_during_the_run_only(monkeypatch):
    """The read is frozen (gc.freeze) while the run computes, and given back after it."""
    frozen_while_computing = []
    compute = sync.compute

    def counting(*a, **k):
        frozen_while_computing.append(gc.get_freeze_count())
        return compute(*a, **k)

    monkeypatch.setattr(sync, "compute", counting)
    assert gc.get_freeze_count() == 0
    sync.run(MemoryBackend(grid_of(demo_rows(TODAY))), Config(), NOW)
    assert frozen_while_computing and all(n > 0 for n in frozen_while_computing)
    assert gc.get_freeze_count() == 0


def test_a_process_s_own_freeze_is_left_alone():
    gc.freeze()
    try:
        before = gc.get_freeze_count()
        with read_objects_frozen():
            assert gc.get_freeze_count() == before  # not frozen again, so not unfrozen after
        assert gc.get_freeze_count() == before
    finally:
        gc.unfreeze()


def test_overlapping_runs_unfreeze_when_the_last_leaves():
    with read_objects_frozen():
        with read_objects_frozen():
            pass
        assert gc.get_freeze_count() > 0  # the first is still running
    assert gc.get_freeze_count() == 0


def test_a_no_op_run_finds_no_row_again(monkeypatch):
    """How a row is found at write time (its RowRef) is made only for a row that is written."""
    backend = MemoryBackend(grid_of(demo_rows(TODAY)))
    sync.run(backend, Config(), NOW)
    made = []
    monkeypatch.setattr(diff_mod, "RowRef", lambda **kw: made.append(kw) or RowRef(**kw))
    result = sync.run(backend, Config(), NOW)
    assert not result.changes and made == []
    backend.grid[1][backend.grid[0].index("Next action")] = "typed over"  # one row to write again
    result = sync.run(backend, Config(), NOW)
    assert [ch.column for ch in result.changes.cells] == ["Next action"]
    assert len(made) == 1


def test_the_calendar_items_are_made_only_when_read(monkeypatch):
    calls = []
    items_from = ics.items_from
    monkeypatch.setattr(ics, "items_from", lambda *a: calls.append(a) or items_from(*a))
    result = sync.run(MemoryBackend(grid_of(demo_rows(TODAY))), Config(), NOW)
    assert calls == []  # nothing wrote a calendar
    items = result.calendar
    assert items and result.calendar is items and len(calls) == 1
    assert items == items_from(*calls[0])


def test_the_summary_as_read_and_as_wanted_are_each_made_plain_once(monkeypatch):
    backend = MemoryBackend(grid_of(demo_rows(TODAY)))
    sync.run(backend, Config(), NOW)  # writes the Summary worksheet
    made_plain = []
    plain_grid = summary_sheet.plain_grid
    monkeypatch.setattr(summary_sheet, "plain_grid", lambda g: made_plain.append(g) or plain_grid(g))
    result = sync.run(backend, Config(), NOW)
    assert not result.changes.sheets  # the Summary as it was: not rewritten
    assert len(made_plain) == 2


def test_a_no_op_run_compares_no_due_cell_the_long_way(monkeypatch):
    """A Due as read that is the day computed is the same cell without parsing it again; one
    typed over is still written."""
    backend = MemoryBackend(grid_of(demo_rows(TODAY)))
    sync.run(backend, Config(), NOW)
    compared = []
    comparable = diff_mod._comparable
    monkeypatch.setattr(diff_mod, "_comparable", lambda c, v: compared.append(c) or comparable(c, v))
    assert not sync.run(backend, Config(), NOW).changes
    assert compared == []
    due = backend.grid[0].index("Due")
    row = next(r for r in backend.grid[1:] if r[due] is not None)
    was = row[due]
    row[due] = "not a date"
    result = sync.run(backend, Config(), NOW)
    assert [(ch.column, ch.value) for ch in result.changes.cells] == [("Due", was)]


def test_the_timelines_are_made_only_when_read(monkeypatch):
    """A run reads the Summary's figures (its worksheet, the digest); the timelines, which only
    the report shows, are made the first time they are read, and are what they always were."""
    calls = []
    timelines = summary_mod._timelines
    monkeypatch.setattr(summary_mod, "_timelines", lambda *a: calls.append(a) or timelines(*a))
    result = sync.run(MemoryBackend(grid_of(demo_rows(TODAY))), Config(), NOW)
    assert calls == [] and result.summary is not None
    made = result.summary.timelines
    assert made and result.summary.timelines is made and len(calls) == 1
    assert all(isinstance(t, summary_mod.Timeline) for t in made)
    assert result.summary == dataclasses.replace(result.summary)  # replace reads them too


def test_a_normal_day_is_not_checked_for_a_mass_rewrite_row_by_row(monkeypatch):
    """Whether most of followsync's cells would change is counted first: a run that writes few
    (most runs) parses no Draft state to ask whether the tracker was synced before."""
    backend = MemoryBackend(grid_of(demo_rows(TODAY)))
    sync.run(backend, Config(), NOW)
    parsed = []
    state = diff_mod.DraftState

    class Counting(state):  # type: ignore[misc,valid-type]
        @classmethod
        def parse(cls, text):
            parsed.append(text)
            return state.parse(text)

    monkeypatch.setattr(diff_mod, "DraftState", Counting)
    backend.grid[1][backend.grid[0].index("Next action")] = "typed over"
    result = sync.run(backend, Config(), NOW)
    assert [ch.column for ch in result.changes.cells] == ["Next action"]
    assert parsed == []
