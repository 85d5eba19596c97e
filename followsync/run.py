"""One run: read, compute, diff, apply (DESIGN.md "One run, as data").

:func:`~followsync.core.compute.compute` is pure: a read tracker and ``now`` in, followsync's columns out.
:func:`~followsync.core.diff.diff` turns those into a :class:`~followsync.core.changes.ChangeSet` holding only the
owned cells (and colours, and blank IDs) whose value differs from what the sheet holds, so a
run with nothing new writes nothing. :func:`run` does the I/O around them, under a lock.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import zoneinfo
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .backends.base import Backend
from .config import Config
from .core import schema
from .core.changes import (
    Applied,
    ChangeSet,
    ChartSpec,
    SheetWrite,
    Snapshot,
)
from .core.compute import DueItem, compute, digest
from .core.diff import diff, refuse_mass_rewrite
from .core.sends import Send, record_sends
from .errors import TrackerBusy, TrackerUnreadable, UsageError
from .outputs import calendar as ics
from .outputs import summary as summary_mod

LOCK_TIMEOUT = 10.0  # seconds a second run waits for the first (DESIGN.md invariant 6)


# --------------------------------------------------------------------------------------
# The clock


def resolve_now(text: str | None, timezone: str | None) -> dt.datetime:
    """``now`` in the configured zone: from ``--now``/``$FOLLOWSYNC_NOW`` when given."""
    tz = zoneinfo.ZoneInfo(timezone) if timezone else None
    text = text or os.environ.get("FOLLOWSYNC_NOW")
    if not text:
        now = dt.datetime.now(tz) if tz else dt.datetime.now().astimezone()
        return now
    try:
        stamp = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(
            f"--now {text!r} is not a date-time; use ISO form, e.g. --now 2026-11-25T09:00"
        ) from None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=tz) if tz else stamp.astimezone()
    return stamp.astimezone(tz) if tz else stamp


# --------------------------------------------------------------------------------------
# Reading


def read_tracker(snapshot: Snapshot, config: Config) -> schema.Tracker:
    """The typed tracker of a snapshot, or a clear error when the sheet has no header."""
    tracker = schema.frame(snapshot.grid, snapshot.sheet, config.date_order)
    if tracker is not None:
        return tracker
    if not any(any(v not in (None, "") for v in row) for row in snapshot.grid):
        raise TrackerUnreadable(
            f"Sheet {snapshot.sheet!r} is empty.",
            hint="Create a tracker with `followsync init LOCATION`, or name the worksheet that holds it.",
        )
    raise TrackerUnreadable(
        f"Sheet {snapshot.sheet!r} has no header row: none of its first {schema.HEADER_SCAN_ROWS} rows "
        f"names at least {schema.HEADER_MIN_KNOWN} of followsync's columns (Company, Job title, Interview at, ...).",
        hint="Rename your headers to match the column list in README.md, or create a new tracker with `followsync init`.",
    )


# --------------------------------------------------------------------------------------
# The run


@dataclass
class RunResult:
    """What one run found and did, for the digest, ``--json`` and the exit code."""

    location: str
    sheet: str
    rows: int
    changes: ChangeSet
    applied: Applied | None
    problems: list[schema.Problem]
    due: list[DueItem]
    dry_run: bool = False
    notes: list[str] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    summary: Any = None  # summary.Summary
    calendar: list[Any] = field(default_factory=list)  # ics.CalendarItem, one per due action
    name: str = ""  # the tracker's name in [[trackers]]

    @property
    def exit_code(self) -> int:
        from .errors import EXIT_OK, EXIT_PROBLEMS

        return EXIT_PROBLEMS if self.problems else EXIT_OK

    def by_urgency(self) -> dict[str, int]:
        counts = {u: 0 for u in ("overdue", "today", "soon")}
        for item in self.due:
            counts[item.urgency] = counts.get(item.urgency, 0) + 1
        return counts


def lock_path(backend: Backend) -> Path:
    import platformdirs

    name = hashlib.sha1(backend.lock_name().encode()).hexdigest()[:16]
    folder = Path(os.environ.get("FOLLOWSYNC_LOCK_DIR") or Path(platformdirs.user_cache_dir("followsync")) / "locks")
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{name}.lock"


@contextmanager
def tracker_lock(backend: Backend, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
    """Keep two runs on one tracker apart: the second waits ``timeout`` s, then gives up."""
    import filelock

    path = lock_path(backend)
    lock = filelock.FileLock(str(path), timeout=timeout)
    try:
        lock.acquire()
    except filelock.Timeout:
        raise TrackerBusy(
            f"Another followsync run is working on {backend.location}; waited {timeout:g} s for it and gave up.",
            hint="Nothing was written. Run again once it has finished (cron runs overlapping? space them out).",
        ) from None
    try:
        yield
    finally:
        lock.release()


def run(
    backend: Backend,
    config: Config,
    now: dt.datetime,
    *,
    dry_run: bool = False,
    force: bool = False,
    lock_timeout: float | None = None,
    sends: dict[str, Send] | None = None,
    name: str = "",
) -> RunResult:
    """Read the tracker, compute every row, and write what changed (unless ``dry_run``).

    ``sends`` records messages sent (by row ID) first, as ``followsync sent`` does.
    """
    if dry_run:
        return _run(backend, config, now, dry_run=True, force=force, sends=sends, name=name)
    with tracker_lock(backend, LOCK_TIMEOUT if lock_timeout is None else lock_timeout):
        return _run(backend, config, now, dry_run=False, force=force, sends=sends, name=name)


def _run(
    backend: Backend,
    config: Config,
    now: dt.datetime,
    *,
    dry_run: bool,
    force: bool,
    sends: dict[str, Send] | None = None,
    name: str = "",
) -> RunResult:
    snapshot = backend.read()
    tracker = read_tracker(snapshot, config)
    as_read = dict(tracker.header.positions)
    recorded = record_sends(tracker, snapshot, config, now, sends or {})
    if recorded.writes:
        tracker = read_tracker(Snapshot(snapshot.sheet, recorded.grid, snapshot.fills, snapshot.handles), config)
    computed = compute(tracker, now, config)
    changes = diff(tracker, snapshot, computed.cells, skip=computed.duplicate_ids)
    changes.cells.extend(recorded.writes)
    # Columns a send needs that the sheet (as read, before the send was laid in) lacks.
    changes.add_columns += [n for n in recorded.columns if n not in as_read and n not in changes.add_columns]
    history = recorded.history + computed.history
    if history:
        from .core.sends import HISTORY_COLUMNS

        changes.sheets.append(SheetWrite(HISTORY_SHEET, list(HISTORY_COLUMNS), [[h.get(c) for c in HISTORY_COLUMNS] for h in history]))
    summary = summary_mod.compute(
        tracker.frame, computed.plan, computed.cells, now, thank_you_hours=config.rules.thank_you_hours
    )
    notes = computed.notes + recorded.notes
    current = snapshot.sheets.get(SUMMARY_SHEET)
    if current is not None:
        write = summary_sheet(summary)
        if current and _plain_grid(current[:1]) != _plain_grid([write.header]):
            # A worksheet of the person's own that happens to be called Summary: never touch it.
            notes.append(
                f"A worksheet named {SUMMARY_SHEET!r} that followsync did not make is in the tracker; "
                "followsync leaves it alone (rename it to get followsync's Summary)."
            )
        elif _summary_body(current) != _summary_body([write.header, *write.rows]):
            changes.sheets.append(write)
    if not force and not dry_run:
        refuse_mass_rewrite(tracker, changes)
    applied = None
    if not dry_run and changes:
        applied = backend.apply(changes, force=force)
    return RunResult(
        location=backend.location,
        sheet=tracker.sheet,
        rows=len(tracker.frame),
        changes=changes,
        applied=applied,
        problems=computed.problems,
        due=digest(tracker, computed.cells),
        dry_run=dry_run,
        notes=notes,
        history=history,
        summary=summary,
        calendar=ics.items_from(name or backend.location, tracker.frame, computed.cells),
        name=name,
    )


HISTORY_SHEET = "History"
SUMMARY_SHEET = "Summary"


def summary_sheet(summary: Any) -> SheetWrite:
    """The Summary worksheet: the figures as a grid (dates as text, read the same everywhere)
    and a chart of applications and interviews per week."""
    laid = summary_mod.layout(summary)
    grid = [[v.isoformat() if isinstance(v, dt.date) else v for v in row] for row in laid.grid]
    chart = None
    weeks = laid.sections.get("weeks")
    if weeks is not None and weeks.rows > 1:
        chart = ChartSpec(
            "Applications and interviews per week",
            first_row=weeks.row,
            last_row=weeks.row + weeks.rows - 1,
            domain_column=0,
            series_columns=(2, 3),
        )
    return SheetWrite(SUMMARY_SHEET, grid[0], grid[1:], mode="replace", chart=chart)


def _plain_grid(grid: list[list[Any]]) -> list[list[Any]]:
    """A grid as comparable plain values: dates as ISO text, whole floats as ints, no trailing blanks."""
    out = []
    for row in grid or []:
        cells = []
        for v in row:
            if isinstance(v, dt.datetime):
                v = v.date().isoformat() if v.time() == dt.time() else v.isoformat()
            elif isinstance(v, dt.date):
                v = v.isoformat()
            elif isinstance(v, float) and v == int(v):
                v = int(v)
            cells.append("" if v is None else v)
        while cells and cells[-1] == "":
            cells.pop()
        out.append(cells)
    while out and not out[-1]:
        out.pop()
    return out


def _summary_body(grid: list[list[Any]]) -> list[list[Any]]:
    """The Summary without its "Updated" line, so a day passing alone rewrites nothing."""
    return [row for row in _plain_grid(grid) if not (row and row[0] == "Updated")]


def check(backend: Backend, config: Config, now: dt.datetime) -> tuple[schema.Tracker, list[schema.Problem]]:
    """Read and validate without writing: every Problem of the tracker."""
    snapshot = backend.read()
    tracker = read_tracker(snapshot, config)
    return tracker, compute(tracker, now, config).problems
