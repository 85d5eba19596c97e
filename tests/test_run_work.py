"""Issue 17: a run does no work whose result nothing reads (counted calls, never timings)."""

from __future__ import annotations

from followsync import run as sync
from followsync.backends.memory import MemoryBackend
from followsync.config import Config
from followsync.core.layout import demo_rows
from followsync.inbox import wire

from .conftest import NOW, TODAY, grid_of


def test_without_an_inbox_no_due_drafts_are_made(monkeypatch):
    """The due drafts only go to the mailbox's Drafts folder: without [inbox] nobody reads them."""
    calls = []
    monkeypatch.setattr(wire, "due_drafts", lambda *a: calls.append(a) or [])
    result = sync.run(MemoryBackend(grid_of(demo_rows(TODAY))), Config(), NOW)
    assert result.due  # there is something due: drafts would be made if they were wanted
    assert calls == []
