"""One run: read, compute, diff, apply (DESIGN.md "One run, as data").

:func:`compute` is pure: a read tracker and ``now`` in, followsync's columns out.
:func:`diff` turns those into a :class:`~followsync.backends.base.ChangeSet` holding only the
owned cells (and colours, and blank IDs) whose value differs from what the sheet holds, so a
run with nothing new writes nothing. :func:`run` does the I/O around them, under a lock.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import unicodedata
import zoneinfo
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from . import rules as rules_mod
from . import schema
from .backends.base import (
    Applied,
    Backend,
    CellWrite,
    ChangeSet,
    FillWrite,
    RowRef,
    Snapshot,
    row_fingerprint,
)
from .config import Config
from .errors import TrackerBusy, TrackerUnreadable, UsageError
from .layout import load as load_layout

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
# Computing


def new_id(company: str, salt: str, taken: set[str]) -> str:
    """A short, unique, readable ID like ``acme-7k2`` (stable for the same row and salt)."""
    ascii_ = unicodedata.normalize("NFKD", company).encode("ascii", "ignore").decode().lower()
    words = re.findall(r"[a-z0-9]+", ascii_)
    slug = words[0][:10] if words else "job"
    alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
    for attempt in range(1000):
        digest = int(hashlib.sha1(f"{salt}|{attempt}".encode()).hexdigest(), 16)
        suffix = "".join(alphabet[(digest >> (6 * k)) % 36] for k in range(3))
        candidate = f"{slug}-{suffix}"
        if candidate.lower() not in taken:
            taken.add(candidate.lower())
            return candidate
    raise AssertionError("no free ID")  # 36**3 suffixes per company name


def compute(tracker: schema.Tracker, now: dt.datetime, config: Config) -> tuple[pd.DataFrame, list[schema.Problem]]:
    """followsync's columns for every row, by canonical name, plus ``_colour`` and ``_rule``.

    Returns the frame and every Problem found (cells that did not parse, data that
    contradicts itself). ``ID`` holds the row's ID, a new one where it was blank.
    """
    frame = tracker.frame
    plan = rules_mod.plan(frame, now, config.rules)
    problems = list(tracker.problems) + rules_mod.check(frame, now, tracker.sheet)
    by_row: dict[int, list[str]] = {}
    for p in problems:
        if p.row is not None and p.row > tracker.header.row + 1:
            by_row.setdefault(p.row, []).append(p.short())

    taken = {str(v).lower() for v in frame["id"] if v}
    ids = []
    for cid, company, job, row in zip(frame["id"], frame["company"], frame["job_title"], frame["_row"], strict=True):
        ids.append(cid or new_id(company or "", f"{company}|{job}|{row}", taken))

    colours = load_layout().colours
    out = pd.DataFrame(index=frame.index)
    out["ID"] = ids
    out["Next action"] = plan["next_action"]
    out["Due"] = plan["due"]
    out["Reminder"] = plan["reminder"]
    out["Draft subject"] = ""
    out["Draft message"] = ""
    out["LinkedIn note"] = ""
    out["Problems"] = ["; ".join(by_row.get(r, [])) for r in frame["_row"]]
    out["_colour"] = pd.Series([colours.get(c) if c else None for c in plan["colour"]], index=out.index, dtype=object)
    out["_rule"] = plan["rule"]
    out["_colour_name"] = plan["colour"]
    return out, problems


# --------------------------------------------------------------------------------------
# Diffing


def _is_blank(value: Any) -> bool:
    if value is None or (isinstance(value, str) and value == ""):
        return True
    return not isinstance(value, str) and bool(pd.isna(value))


def _same(column: str, current: Any, new: Any) -> bool:
    blank_new, blank_cur = _is_blank(new), _is_blank(current)
    if blank_new or blank_cur:
        return blank_new and blank_cur
    if column == "Due":
        try:
            return schema.parse_date(current) == pd.Timestamp(new).date()
        except schema.BadCell:
            return False
    return schema.as_text(current) == str(new) if not isinstance(current, str) else current == str(new)


def _cell_value(column: str, value: Any) -> Any:
    if _is_blank(value):
        return None
    if column == "Due":
        return pd.Timestamp(value).date()
    return value


def diff(tracker: schema.Tracker, snapshot: Snapshot, computed: pd.DataFrame) -> ChangeSet:
    """Only what differs: owned cells, blank IDs, and the two colour cells' backgrounds."""
    header = tracker.header
    positions = header.positions
    changes = ChangeSet(sheet=tracker.sheet, header_row=header.row)
    changes.add_columns = [n for n in ("ID", *schema.OWNED_NAMES) if n not in positions]
    frame = tracker.frame
    grid = snapshot.grid
    for i, index in enumerate(frame["_index"].tolist()):
        raw = grid[index]
        current_id = frame["id"].iat[i] or None
        ref = RowRef(
            id=current_id,
            index=index,
            fingerprint=() if current_id else row_fingerprint(raw, positions),
            handle=snapshot.handles.get(index),
        )
        if not current_id:
            changes.cells.append(CellWrite(ref, "ID", computed["ID"].iat[i]))
        for name in schema.OWNED_NAMES:
            key = schema.BY_NAME[name].key
            new = computed[name].iat[i]
            if not _same(name, frame[key].iat[i], new):
                changes.cells.append(CellWrite(ref, name, _cell_value(name, new)))
        colour = computed["_colour"].iat[i]
        for name in schema.COLOUR_COLUMNS:
            pos = positions.get(name)
            current = snapshot.fills.get((index, pos)) if pos is not None else None
            if (current or "").upper() != (colour or "").upper():
                changes.fills.append(FillWrite(ref, name, colour))
    return changes


# --------------------------------------------------------------------------------------
# The run


@dataclass
class DueItem:
    """One line of the digest."""

    row: int
    id: str
    company: str
    job_title: str
    next_action: str
    due: dt.date | None
    urgency: str
    reminder: str


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

    @property
    def exit_code(self) -> int:
        from .errors import EXIT_OK, EXIT_PROBLEMS

        return EXIT_PROBLEMS if self.problems else EXIT_OK

    def by_urgency(self) -> dict[str, int]:
        counts = {u: 0 for u in ("overdue", "today", "soon")}
        for item in self.due:
            counts[item.urgency] = counts.get(item.urgency, 0) + 1
        return counts


def digest(tracker: schema.Tracker, computed: pd.DataFrame) -> list[DueItem]:
    """What is due: overdue first, then today, then soon; earliest first within each."""
    frame = tracker.frame
    items = []
    for i in range(len(frame)):
        urgency = computed["_colour_name"].iat[i]
        if urgency not in ("overdue", "today", "soon"):
            continue
        due = computed["Due"].iat[i]
        items.append(
            DueItem(
                row=int(frame["_row"].iat[i]),
                id=str(computed["ID"].iat[i]),
                company=frame["company"].iat[i] or "",
                job_title=frame["job_title"].iat[i] or "",
                next_action=computed["Next action"].iat[i],
                due=None if pd.isna(due) else pd.Timestamp(due).date(),
                urgency=urgency,
                reminder=computed["Reminder"].iat[i],
            )
        )
    order = {"overdue": 0, "today": 1, "soon": 2}
    return sorted(items, key=lambda d: (order[d.urgency], d.due or dt.date.max, d.row))


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
) -> RunResult:
    """Read the tracker, compute every row, and write what changed (unless ``dry_run``)."""
    if dry_run:
        return _run(backend, config, now, dry_run=True, force=force)
    with tracker_lock(backend, LOCK_TIMEOUT if lock_timeout is None else lock_timeout):
        return _run(backend, config, now, dry_run=False, force=force)


def _run(backend: Backend, config: Config, now: dt.datetime, *, dry_run: bool, force: bool) -> RunResult:
    snapshot = backend.read()
    tracker = read_tracker(snapshot, config)
    computed, problems = compute(tracker, now, config)
    changes = diff(tracker, snapshot, computed)
    applied = None
    if not dry_run and changes:
        applied = backend.apply(changes, force=force)
    return RunResult(
        location=backend.location,
        sheet=tracker.sheet,
        rows=len(tracker.frame),
        changes=changes,
        applied=applied,
        problems=problems,
        due=digest(tracker, computed),
        dry_run=dry_run,
    )


def check(backend: Backend, config: Config, now: dt.datetime) -> tuple[schema.Tracker, list[schema.Problem]]:
    """Read and validate without writing: every Problem of the tracker."""
    snapshot = backend.read()
    tracker = read_tracker(snapshot, config)
    _, problems = compute(tracker, now, config)
    return tracker, problems
