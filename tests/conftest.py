"""Shared test helpers: build a tracker grid from dicts, a fixed clock, an isolated lock dir."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

import pytest

from followsync.core import schema

# Wednesday 25 November 2026, 09:00 in Berlin: the clock of every rule test.
NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=zoneinfo.ZoneInfo("Europe/Berlin"))
TODAY = NOW.date()


def day(offset: int) -> dt.date:
    return TODAY + dt.timedelta(days=offset)


def grid_of(rows: list[dict[str, Any]], header: list[str] | None = None) -> list[list[Any]]:
    """A grid whose header holds every user column (or ``header``), rows by column name."""
    names = header or [c.name for c in schema.USER_COLUMNS]
    return [list(names)] + [[r.get(n) for n in names] for r in rows]


def tracker_of(rows: list[dict[str, Any]], **kw) -> schema.Tracker:
    t = schema.frame(grid_of(rows, **kw), "Tracker")
    assert t is not None
    return t


@pytest.fixture(autouse=True)
def _isolated(tmp_path_factory, monkeypatch):
    """Locks and config lookups never touch the developer's own folders."""
    monkeypatch.setenv("FOLLOWSYNC_LOCK_DIR", str(tmp_path_factory.mktemp("locks")))
    monkeypatch.setenv("FOLLOWSYNC_STATE_DIR", str(tmp_path_factory.mktemp("state")))
    monkeypatch.setenv("FOLLOWSYNC_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("xdg-config")))
    monkeypatch.delenv("FOLLOWSYNC_CONFIG", raising=False)
    monkeypatch.delenv("FOLLOWSYNC_NOW", raising=False)
