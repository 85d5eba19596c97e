"""A run: read, compute, diff, apply (DESIGN.md "One run, as data"), for one tracker or many.

:func:`~followsync.core.compute.compute` is pure: a read tracker and ``now`` in, followsync's columns out.
:func:`~followsync.core.diff.diff` turns those into a :class:`~followsync.core.changes.ChangeSet` holding only the
owned cells (and colours, and blank IDs) whose value differs from what the sheet holds, so a
run with nothing new writes nothing. :func:`run` does the I/O around them, under a lock.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import zoneinfo
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .backends import Location, open_backend
from .backends.base import Backend
from .config import Config, TrackerSpec
from .core import schema
from .core.changes import (
    Applied,
    ChangeSet,
    SheetWrite,
    Snapshot,
)
from .core.compute import DueItem, compute, digest
from .core.diff import diff, refuse_mass_rewrite
from .core.sends import Send, record_sends
from .errors import EXIT_OK, FollowsyncError, TrackerBusy, TrackerUnreadable, UsageError
from .outputs import calendar as ics
from .outputs import summary as summary_mod
from .outputs.summary import SUMMARY_SHEET, plain_grid, summary_body, summary_sheet

log = logging.getLogger("followsync")

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
        stamp = _typed_now(text, tz)
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=tz) if tz else stamp.astimezone()
    return stamp.astimezone(tz) if tz else stamp


def _typed_now(text: str, tz: dt.tzinfo | None) -> dt.datetime:
    """``--now`` as people type it ("tomorrow 9am", "fri 14:00"), read against the real clock."""
    from .core.cells import parse_typed

    clock = dt.datetime.now(tz) if tz else dt.datetime.now().astimezone()
    typed = parse_typed(text, clock.replace(tzinfo=None), prefer="current_period")
    if typed is None:
        raise UsageError(
            f"--now {text!r} is not a date-time.", hint="Use ISO form, e.g. --now 2026-11-25T09:00, or 'tomorrow 9am'."
        )
    when, has_time, _ = typed
    return when if has_time else dt.datetime.combine(when.date(), clock.time().replace(microsecond=0))


def resolve_on(option: str, text: str | None, now: dt.datetime, date_order: str = "DMY") -> dt.date | None:
    """A past day given on the command line (``--on``): strict forms, or "yesterday", "fri"...

    Read against ``now``; a weekday alone means the last one (today's included), and a day
    after today is refused.
    """
    from .core.cells import WEEKDAYS, BadCell, parse_date, parse_typed

    if not text:
        return None
    try:
        on = parse_date(text, date_order)
    except BadCell:
        typed = parse_typed(text, now.replace(tzinfo=None), date_order, prefer="past")
        if typed is None:
            raise UsageError(
                f"{option} {text!r} is not a day.",
                hint="Use a date like 2026-11-25 or 25 Nov 2026, or a word like today, yesterday or fri.",
            ) from None
        on = typed[0].date()
        if text.strip().lower() in WEEKDAYS and (now.date() - on).days == 7:
            on = now.date()  # "wed" on a Wednesday: today
    if on is not None and on > now.date():
        raise UsageError(f"{option} {text!r} is in the future; record it once it has happened.")
    return on


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
    summary: summary_mod.Summary | None = None
    calendar: list[ics.CalendarItem] = field(default_factory=list)  # one per due action
    name: str = ""  # the tracker's name in [[trackers]]

    @property
    def exit_code(self) -> int:
        from .errors import EXIT_OK, EXIT_PROBLEMS

        return EXIT_PROBLEMS if self.problems else EXIT_OK

    @property
    def cells_changed(self) -> int:
        """Cells written (or, on a dry run, that would be): values and colours."""
        return len(self.changes.cells) + len(self.changes.fills)

    def by_urgency(self) -> dict[str, int]:
        counts = {u: 0 for u in ("overdue", "today", "soon")}
        for item in self.due:
            counts[item.urgency] = counts.get(item.urgency, 0) + 1
        return counts


def lock_path(backend: Backend) -> Path:
    import platformdirs

    name = hashlib.sha1(backend.lock_name().encode()).hexdigest()[:16]
    folder = Path(
        os.environ.get("FOLLOWSYNC_LOCK_DIR") or Path(platformdirs.user_cache_dir("followsync")) / "locks"
    )
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{name}.lock"


def _say_waiting(what: str, seconds: float) -> None:
    """A wait of more than a few seconds, at a terminal, says what it waits for (on stderr)."""
    import sys

    from .backends.http import NOTICE_SECONDS

    log.info("waiting for %s", what)
    if seconds >= NOTICE_SECONDS and sys.stderr.isatty():
        print(f"followsync: waiting for {what}...", file=sys.stderr, flush=True)


@contextmanager
def tracker_lock(backend: Backend, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
    """Keep two runs on one tracker apart: the second waits ``timeout`` s, then gives up."""
    import filelock

    path = lock_path(backend)
    lock = filelock.FileLock(str(path), timeout=timeout)
    try:
        try:
            lock.acquire(timeout=0)
        except filelock.Timeout:
            _say_waiting(f"another followsync run on {backend.location} (up to {timeout:g} s)", timeout)
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
        tracker = read_tracker(
            Snapshot(snapshot.sheet, recorded.grid, snapshot.fills, snapshot.handles), config
        )
    computed = compute(tracker, now, config)
    changes = diff(tracker, snapshot, computed.cells, skip=computed.duplicate_ids)
    changes.cells.extend(recorded.writes)
    # Columns a send needs that the sheet (as read, before the send was laid in) lacks.
    changes.add_columns += [n for n in recorded.columns if n not in as_read and n not in changes.add_columns]
    history = recorded.history + _unsaid(computed.history, recorded.history)
    if history:
        changes.sheets.append(_history_write(history))
    summary = summary_mod.compute(
        tracker.frame, computed.plan, computed.cells, now, thank_you_hours=config.rules.thank_you_hours
    )
    notes = computed.notes + recorded.notes
    _refresh_summary(snapshot, summary, changes, notes)
    if not force and not dry_run:
        refuse_mass_rewrite(tracker, changes)
    _log_cells(changes)
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
        calendar=ics.items_from(name or backend.location, tracker.frame, computed.cells, now),
        name=name,
    )


def _unsaid(noticed: list[dict[str, Any]], recorded: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The status changes a run noticed, less those of rows a reply just recorded (it said them)."""
    from .core.sends import REPLIED

    replied = {str(h["ID"]).lower() for h in recorded if str(h["What happened"]).startswith(REPLIED)}
    return [h for h in noticed if not (str(h["ID"]).lower() in replied and str(h["What happened"]).startswith("Status:"))]


def _log_cells(changes: ChangeSet) -> None:
    """At ``-vv``, each cell a run writes: row and column, its value only where it is no message."""
    if not log.isEnabledFor(logging.DEBUG):
        return
    for ch in changes.cells:
        shown = "(text)" if ch.column in _UNLOGGED else repr(str(ch.value)[:60])
        log.debug("cell %s / %s <- %s", ch.row.id or f"row {ch.row.index + 1}", ch.column, shown)


_UNLOGGED = frozenset({"Draft subject", "Draft message", "LinkedIn note", "Notes", "Draft state"})


def _history_write(history: list[dict[str, Any]]) -> SheetWrite:
    """The rows a run appends to the History worksheet."""
    from .core.sends import HISTORY_COLUMNS

    return SheetWrite(
        HISTORY_SHEET, list(HISTORY_COLUMNS), [[h.get(c) for c in HISTORY_COLUMNS] for h in history]
    )


def _refresh_summary(
    snapshot: Snapshot, summary: summary_mod.Summary, changes: ChangeSet, notes: list[str]
) -> None:
    """Rewrite the Summary worksheet the tracker has, when its figures changed."""
    current = snapshot.sheets.get(SUMMARY_SHEET)
    if current is None:
        return
    write = summary_sheet(summary)
    if current and plain_grid(current[:1]) != plain_grid([write.header]):
        # A worksheet of the person's own that happens to be called Summary: never touch it.
        notes.append(
            f"A worksheet named {SUMMARY_SHEET!r} that followsync did not make is in the tracker; "
            "followsync leaves it alone (rename it to get followsync's Summary)."
        )
    elif summary_body(current) != summary_body([write.header, *write.rows]):
        changes.sheets.append(write)


HISTORY_SHEET = "History"


def check(backend: Backend, config: Config, now: dt.datetime) -> tuple[schema.Tracker, list[schema.Problem]]:
    """Read and validate without writing: every Problem of the tracker."""
    snapshot = backend.read()
    tracker = read_tracker(snapshot, config)
    return tracker, compute(tracker, now, config).problems


@dataclass
class Checked:
    """One tracker's ``check``: its Problems, or the error that stopped reading it."""

    name: str
    location: str
    rows: int = 0
    problems: list[schema.Problem] = field(default_factory=list)
    error: FollowsyncError | None = None

    @property
    def exit_code(self) -> int:
        from .errors import EXIT_PROBLEMS

        return self.error.exit_code if self.error else (EXIT_PROBLEMS if self.problems else EXIT_OK)


def check_all(specs: Sequence[TrackerSpec], config: Config, now: dt.datetime) -> list[Checked]:
    """:func:`check` of each tracker; one that cannot be read does not stop the others."""
    out = []
    for spec in specs:
        try:
            with open_backend(spec.location, config, spec.worksheet) as backend:
                tracker, problems = check(backend, config, now)
            out.append(Checked(spec.name, backend.location, len(tracker.frame), problems))
        except FollowsyncError as e:
            out.append(Checked(spec.name, spec.location, error=e))
    return out


# --------------------------------------------------------------------------------------
# Every tracker of a config
#
# run_all is what ``followsync run`` does, as a Python API: each tracker is run under its own
# lock, a failure in one does not stop the others, and the exit code is the worst of them.


@dataclass
class Outcome:
    """One tracker's run: its result, or the error that stopped it."""

    spec: TrackerSpec
    result: RunResult | None = None
    error: FollowsyncError | None = None

    @property
    def exit_code(self) -> int:
        if self.error is not None:
            return self.error.exit_code
        return self.result.exit_code if self.result else EXIT_OK


def targets(config: Config, location: str | None) -> list[TrackerSpec]:
    """The trackers to run: ``--tracker`` alone when given, else every one in the config.

    ``--tracker`` takes a location or the name of one of ``[[trackers]]``. A relative path from
    ``--tracker`` is read from the current folder; one from the config, from its folder.
    """
    if location is not None:
        if not location.strip():
            raise UsageError("--tracker is empty.")
        named = [t for t in config.targets() if t.name == location]
        if named:
            return [_from_config(t, config) for t in named]
        return [TrackerSpec("tracker", location, config.worksheet)]
    found = config.targets()
    if not found:
        open_backend(None, config)  # raises the "no tracker given" UsageError
    return [_from_config(t, config) for t in found]


def _from_config(spec: TrackerSpec, config: Config) -> TrackerSpec:
    return TrackerSpec(spec.name, Location.parse(spec.location, config).target, spec.worksheet)


def one(config: Config, location: str | None) -> Backend:
    """The backend of the one tracker a command works on (``check``, ``sent``, ``report``...)."""
    specs = targets(config, location)
    if len(specs) > 1:
        names = ", ".join(t.name for t in specs)
        raise UsageError(
            f"followsync.toml names {len(specs)} trackers ({names}); this command works on one.",
            hint="Pick it with --tracker NAME.",
        )
    return open_backend(specs[0].location, config, specs[0].worksheet)


def run_all(
    specs: Sequence[TrackerSpec],
    config: Config,
    now: dt.datetime,
    *,
    dry_run: bool = False,
    force: bool = False,
    progress: Callable[[TrackerSpec], None] | None = None,
) -> list[Outcome]:
    """Run each tracker; errors are caught per tracker so the others still run."""
    outcomes = []
    for spec in specs:
        outcome = Outcome(spec)
        try:
            with open_backend(spec.location, config, spec.worksheet) as backend:
                result = outcome.result = run(
                    backend, config, now, dry_run=dry_run, force=force, name=spec.name
                )
            log.info("%s: %d rows, %d cells changed", spec.name, result.rows, result.cells_changed)
        except FollowsyncError as e:
            outcome.error = e
            log.warning("%s: %s", spec.name, e.message)
        outcomes.append(outcome)
        if progress:
            progress(spec)
    return outcomes


def worst(outcomes: Sequence[Outcome]) -> int:
    return max((o.exit_code for o in outcomes), default=EXIT_OK)


# --------------------------------------------------------------------------------------
# Reading without a run: the report's figures, one application's history


def summarise(backend: Backend, config: Config, now: dt.datetime) -> summary_mod.Summary:
    """The figures of one tracker and its History, as ``followsync report`` shows them."""
    snapshot = backend.read()
    tracker = read_tracker(snapshot, config)
    computed = compute(tracker, now, config)
    try:
        rows = backend.read_sheet(HISTORY_SHEET) or []
    except UsageError:
        rows = []  # a store without a History (yet): the report uses the tracker alone
    return summary_mod.compute(
        tracker.frame,
        computed.plan,
        computed.cells,
        now,
        _records(rows),
        thank_you_hours=config.rules.thank_you_hours,
    )


def draft_of(backend: Backend, config: Config, now: dt.datetime, row_id: str) -> dict[str, Any]:
    """Row ``row_id``'s current draft, as a run would write it (read-only): ID, Company, Next
    action, Due and the Draft subject, message and LinkedIn note."""
    from .core.compute import DRAFT_FIELDS

    tracker = read_tracker(backend.read(), config)
    computed = compute(tracker, now, config).cells
    ids = [str(v or "").lower() for v in computed["ID"].tolist()]
    if row_id.lower() not in ids:
        raise UsageError(
            f"No row with ID {row_id!r} in sheet {tracker.sheet!r}.",
            hint="IDs are in the tracker's ID column; `followsync today` lists the ones with something due.",
        )
    i = ids.index(row_id.lower())
    wanted = ("ID", "Next action", "Due", *DRAFT_FIELDS)
    out = {name: computed[name].iat[i] for name in wanted if name in computed}
    out["Company"] = str(tracker.frame["company"].iat[i] or "")
    return out


def history_of(backend: Backend, row_id: str) -> list[dict[str, Any]]:
    """The History rows of one application (by ID, any case), oldest first as written."""
    entries = _records(backend.read_sheet(HISTORY_SHEET) or [])
    return [e for e in entries if str(e.get("ID") or "").lower() == row_id.lower()]


def _records(rows: list[list[Any]]) -> list[dict[str, Any]]:
    """A worksheet's rows as dicts keyed by its first row."""
    header = [str(h) for h in rows[0]] if rows else []
    return [dict(zip(header, r, strict=False)) for r in rows[1:]]
