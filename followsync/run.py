"""A run: read, compute, diff, apply (DESIGN.md "One run, as data"), for one tracker or many.

:func:`~followsync.core.compute.compute` is pure: a read tracker and ``now`` in, followsync's columns out.
:func:`~followsync.core.diff.diff` turns those into a :class:`~followsync.core.changes.ChangeSet` holding only the
owned cells (and colours, and blank IDs) whose value differs from what the sheet holds, so a
run with nothing new writes nothing. :func:`run` does the I/O around them, under a lock.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import logging
import os
import zoneinfo
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

from . import run_stamp
from .backends import Location, open_backend
from .backends.base import Backend
from .config import Config, TrackerSpec
from .core import schema
from .core.changes import (
    ChangeSet,
    SheetWrite,
    Snapshot,
)
from .core.compute import DueItem, compute, digest
from .core.diff import diff, refuse_mass_rewrite
from .core.own_sheets import HISTORY, SUMMARY_READS, place_summary
from .core.sends import Send, record_sends
from .core.ticks import PreviousRun
from .errors import EXIT_OK, FollowsyncError, StaleRead, TrackerBusy, TrackerUnreadable, UsageError
from .inbox_step import InboxStep, inbox_state_dir, mail_token, own_addresses
from .outputs import calendar as ics
from .outputs import summary as summary_mod
from .outputs.results import Checked, Outcome, RunResult
from .outputs.summary_sheet import TITLE as SUMMARY_TITLE
from .outputs.summary_sheet import summary_update
from .run_gc import read_objects_frozen

log = logging.getLogger("followsync")

LOCK_TIMEOUT = 10.0  # seconds a second run waits for the first (DESIGN.md invariant 6)
READ_ATTEMPTS = 3  # reads and computes of a run whose tracker keeps changing under it
NOW_YEARS = (1900, 2200)  # --now outside these is a typo: dates near 1 or 9999 overflow


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
    if not NOW_YEARS[0] <= stamp.year <= NOW_YEARS[1]:
        raise UsageError(
            f"--now {text.strip()!r} is outside the years {NOW_YEARS[0]} to {NOW_YEARS[1]}; "
            "give a date-time in them, e.g. --now 2026-11-25T09:00"
        )
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
        hint=schema.mapping_hint(snapshot.grid)
        or "Rename your headers to match the column list in README.md, or create a new tracker with `followsync init`.",
    )


# --------------------------------------------------------------------------------------
# The run


def lock_path(backend: Backend) -> Path:
    import platformdirs

    name = hashlib.sha1(backend.lock_name().encode()).hexdigest()[:16]
    folder = Path(
        os.environ.get("FOLLOWSYNC_LOCK_DIR") or Path(platformdirs.user_cache_dir("followsync")) / "locks"
    )
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UsageError(
            f"followsync cannot create its lock folder {folder} ({e.strerror or e}); "
            "set FOLLOWSYNC_LOCK_DIR to a folder it can write, e.g. FOLLOWSYNC_LOCK_DIR=/tmp"
        ) from None
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
    except OSError as e:  # (after Timeout, an OSError too) a lock folder that exists but is not writable
        raise UsageError(
            f"followsync cannot write its lock file {path} ({e.strerror or e}); "
            "set FOLLOWSYNC_LOCK_DIR to a folder it can write, e.g. FOLLOWSYNC_LOCK_DIR=/tmp"
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
    open_mailbox: Callable[[Any], Any] | None = None,
) -> RunResult:
    """Read the tracker, compute every row, and write what changed (unless ``dry_run``).

    ``sends`` records messages sent (by row ID) first, as ``followsync sent`` does. With
    ``[inbox]`` the mailbox is read first (``open_mailbox``: for tests, see ``inbox.scan``).
    """
    if dry_run:
        return _run(backend, config, now, dry_run=True, force=force, sends=sends, name=name, open_mailbox=open_mailbox)
    with tracker_lock(backend, LOCK_TIMEOUT if lock_timeout is None else lock_timeout):
        # A person who saves the tracker during the run wins: what was computed from the read
        # before their save is never written (StaleRead); the run reads and computes again.
        for attempt in range(1, READ_ATTEMPTS + 1):
            try:
                return _run(backend, config, now, dry_run=False, force=force, sends=sends, name=name, open_mailbox=open_mailbox)
            except StaleRead as e:
                log.info("%s: changed during the run (try %d of %d)", backend.location, attempt, READ_ATTEMPTS)
                if attempt == READ_ATTEMPTS:
                    raise TrackerBusy(
                        f"{backend.location} was saved by someone else during each of {READ_ATTEMPTS} tries; "
                        "nothing was written.",
                        hint="Run followsync again when nobody is editing the tracker.",
                    ) from e
        raise AssertionError("unreachable")


def _run(
    backend: Backend,
    config: Config,
    now: dt.datetime,
    *,
    dry_run: bool,
    force: bool,
    sends: dict[str, Send] | None = None,
    name: str = "",
    open_mailbox: Callable[[Any], Any] | None = None,
) -> RunResult:
    snapshot = backend.read(also=SUMMARY_READS)
    with read_objects_frozen():  # the read lives all run: no full collection walks it again
        tracker = read_tracker(snapshot, config)
        step = InboxStep(config, now, dry_run, open_mailbox, inbox_state_dir(backend))
        previous = run_stamp.load(backend)  # for the day of a Mark sent tick
        pass_ = step.scan(lambda found: _compute(snapshot, tracker, config, now, sends or {}, found, previous), tracker)
        changes, notes = pass_.changes, pass_.notes
        if not force and not dry_run:
            refuse_mass_rewrite(pass_.tracker, changes)
        _log_cells(changes)
        applied = None
        if not dry_run and changes:
            applied = backend.apply(changes, force=force)
        if step.findings is not None and not dry_run:
            step.findings.commit()  # the tracker is written: the mail read is now accounted for
        if not dry_run:
            run_stamp.save(backend, now, run_stamp.still_ticked(pass_.tracker))
        return RunResult(
            location=backend.location,
            sheet=pass_.tracker.sheet,
            rows=len(pass_.tracker.frame),
            changes=changes,
            applied=applied,
            problems=pass_.computed.problems,
            due=pass_.due,
            dry_run=dry_run,
            notes=notes,
            history=pass_.history,
            summary=pass_.summary,
            calendar_of=partial(ics.items_from, name or backend.location, pass_.tracker.frame, pass_.computed.cells, now),
            name=name,
            inbox=step.findings.lines() if step.findings is not None else [],
            inbox_error=step.error,
        )


@dataclass
class _Pass:
    """One computation of a run: the tracker as recorded, its computed cells and the changes."""

    tracker: schema.Tracker
    computed: Any
    changes: ChangeSet
    history: list[dict[str, Any]]
    notes: list[str]
    summary: summary_mod.Summary
    due: list[DueItem]
    drafts: list[Any]


def _compute(
    snapshot: Snapshot, tracker: schema.Tracker, config: Config, now: dt.datetime,
    sends: dict[str, Send], findings: Any = None, previous: PreviousRun | None = None,
) -> _Pass:
    """Record the sends (and the inbox's findings, when there are any), run the rules, diff."""
    from .inbox import wire

    as_read, original = dict(tracker.header.positions), snapshot
    accepted = wire.accept(tracker, snapshot, findings, now)
    if accepted.writes:
        snapshot = dataclasses.replace(snapshot, grid=accepted.grid)
        tracker = read_tracker(snapshot, config)
    if findings is not None:
        sends = {**wire.sends_of(findings, tracker, now, config.rules), **sends}
    recorded = record_sends(tracker, snapshot, config, now, sends, previous)
    if recorded.writes:
        tracker = read_tracker(
            Snapshot(snapshot.sheet, recorded.grid, snapshot.fills, snapshot.handles), config
        )
    computed = compute(wire.for_rules(tracker, findings, now) if findings is not None else tracker, now, config)
    if findings is not None:
        computed.cells["Inbox"] = wire.inbox_cells(tracker.frame, findings)
    if recorded.unnamed:  # a send recorded on a row with no ID yet (the dict is of every row)
        recorded.name_new_rows(dict(zip(tracker.frame["_index"].tolist(), computed.cells["ID"].tolist(), strict=True)))
    changes = diff(tracker, original, computed.cells, skip=computed.duplicate_ids)
    _leave_unwritable(original, computed, changes)
    changes.cells.extend(accepted.writes + recorded.writes)
    # Columns a send needs that the sheet (as read, before the send was laid in) lacks.
    wanted = accepted.columns + recorded.columns
    changes.add_columns += [n for n in wanted if n not in as_read and n not in changes.add_columns]
    history = recorded.history + _unsaid(computed.history, recorded.history)
    if history:
        changes.sheets.append(_history_write(history))
    summary = summary_mod.compute(
        tracker.frame, computed.plan, computed.cells, now, thank_you_hours=config.rules.thank_you_hours
    )
    notes = computed.notes + accepted.notes + recorded.notes
    _refresh_summary(original, summary, changes, notes)
    due = digest(tracker, computed.cells)
    # The due drafts go only to the mailbox's Drafts folder: made only when the inbox step read
    # the mail (findings) and appends drafts; without [inbox] nothing would read them (issue 17).
    wants_drafts = findings is not None and config.inbox is not None and config.inbox.drafts
    drafts = wire.due_drafts(tracker.frame, computed.plan, computed.cells, due) if wants_drafts else []
    return _Pass(tracker, computed, changes, history, notes, summary, due, drafts)


def inbox_findings(
    backend: Backend, config: Config, now: dt.datetime, *, full: bool = False,
    open_mailbox: Callable[[Any], Any] | None = None,
) -> Any:
    """What the inbox step would write, read-only and saving nothing (``check``; ``full`` reads
    the whole range again, for ``followsync inbox --explain``). Raises InboxError (exit 4)."""
    if config.inbox is None:
        raise UsageError(
            "followsync.toml has no [inbox] section, so followsync does not read your mailbox.",
            hint="Add one (README: Inbox), then run this again.",
        )
    from . import inbox

    tracker = read_tracker(backend.read(), config)
    return inbox.scan(
        config.inbox, tracker.frame, now=now, state_dir=inbox_state_dir(backend), profile_addresses=own_addresses(config),
        dry_run=True, full=full, sender_name=config.profile.name, token=mail_token(config), open_mailbox=open_mailbox,
    )


def _leave_unwritable(snapshot: Snapshot, computed: Any, changes: ChangeSet) -> None:
    """The store's Problems up front (a column it can't write): named first, their cells not written."""
    if not snapshot.problems:
        return
    computed.problems[:0] = snapshot.problems
    names = {c.name for c in (schema.match_header(p.column) for p in snapshot.problems if p.column) if c}
    changes.cells = [c for c in changes.cells if c.column not in names]


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
        HISTORY, list(HISTORY_COLUMNS), [[h.get(c) for c in HISTORY_COLUMNS] for h in history]
    )


def _refresh_summary(
    snapshot: Snapshot, summary: summary_mod.Summary, changes: ChangeSet, notes: list[str]
) -> None:
    """Bring the tracker's Summary worksheet up to date, only where its cells changed.

    Where it goes is decided here, for every store alike (:func:`~.core.own_sheets.place_summary`):
    a worksheet called Summary in any case that followsync did not make is left alone, and the
    Summary goes to ``Summary (followsync)``, said once in the run that writes it.
    """
    placement = place_summary(snapshot.sheets, SUMMARY_TITLE)
    if placement is None:
        return
    write = summary_update(summary, placement)
    if write is None:
        return
    changes.sheets.append(write)
    if placement.note:
        notes.append(placement.note)


def check(backend: Backend, config: Config, now: dt.datetime) -> tuple[schema.Tracker, list[schema.Problem]]:
    """Read and validate without writing: every Problem of the tracker."""
    snapshot = backend.read()
    tracker = read_tracker(snapshot, config)
    return tracker, [*snapshot.problems, *compute(tracker, now, config).problems]


def check_all(specs: Sequence[TrackerSpec], config: Config, now: dt.datetime) -> list[Checked]:
    """:func:`check` of each tracker; one that cannot be read does not stop the others."""
    out = []
    for spec in specs:
        try:
            mine = for_tracker(config, spec)
            with open_backend(spec.location, mine, spec.worksheet) as backend:
                tracker, problems = check(backend, mine, now)
            out.append(Checked(spec.name, backend.location, len(tracker.frame), problems))
        except FollowsyncError as e:
            out.append(Checked(spec.name, spec.location, error=e))
    return out


# --------------------------------------------------------------------------------------
# Every tracker of a config
#
# run_all is what ``followsync run`` does, as a Python API: each tracker is run under its own
# lock, a failure in one does not stop the others, and the exit code is the worst of them.


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
    return TrackerSpec(spec.name, Location.parse(spec.location, config).target, spec.worksheet, spec.language)


def for_tracker(config: Config, spec: TrackerSpec) -> Config:
    """The configuration one tracker runs with: its own ``language`` when ``[[trackers]]`` sets one."""
    return replace(config, language=spec.language) if spec.language else config


def configured(config: Config, location: str | None) -> Config:
    """The configuration a one-tracker command (``check``, ``sent``...) works with: that
    tracker's own ``language`` when ``[[trackers]]`` gives it one."""
    try:
        specs = targets(config, location)
    except FollowsyncError:  # one() says what is wrong
        return config
    return for_tracker(config, specs[0]) if len(specs) == 1 else config


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
    """Run each tracker; errors are caught per tracker so the others still run.

    Several trackers run a few at a time (``parallel``, within each store's limits: see
    :mod:`followsync.pool`); the outcomes come back in the order of ``specs``.
    """
    from .pool import run_pooled

    def one_tracker(spec: TrackerSpec) -> Outcome:
        outcome = Outcome(spec)
        try:
            with open_backend(spec.location, config, spec.worksheet) as backend:
                result = outcome.result = run(
                    backend, for_tracker(config, spec), now, dry_run=dry_run, force=force, name=spec.name
                )
            log.info("%s: %d rows, %d cells changed", spec.name, result.rows, result.cells_changed)
        except FollowsyncError as e:
            outcome.error = e
            log.warning("%s: %s", spec.name, e.message)
        return outcome

    return run_pooled(specs, config, one_tracker, progress=progress)


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
        rows = backend.read_sheet(HISTORY) or []
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
    entries = _records(backend.read_sheet(HISTORY) or [])
    return [e for e in entries if str(e.get("ID") or "").lower() == row_id.lower()]


def _records(rows: list[list[Any]]) -> list[dict[str, Any]]:
    """A worksheet's rows as dicts keyed by its first row."""
    header = [str(h) for h in rows[0]] if rows else []
    return [dict(zip(header, r, strict=False)) for r in rows[1:]]
