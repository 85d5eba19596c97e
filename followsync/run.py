"""One run: read, compute, diff, apply (DESIGN.md "One run, as data").

:func:`compute` is pure: a read tracker and ``now`` in, followsync's columns out.
:func:`diff` turns those into a :class:`~followsync.core.changes.ChangeSet` holding only the
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

from .backends.base import Backend, put_cell
from .config import Config
from .core import rules as rules_mod
from .core import schema
from .core.changes import (
    Applied,
    CellWrite,
    ChangeSet,
    ChartSpec,
    FillWrite,
    RowRef,
    SheetWrite,
    Snapshot,
    row_fingerprint,
)
from .core.layout import load as load_layout
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


DRAFT_FIELDS = ("Draft subject", "Draft message", "LinkedIn note")
DRAFT_KEYS = ("draft_subject", "draft_message", "linkedin_note")
STATE_VERSION = "v1"


@dataclass(frozen=True)
class DraftState:
    """What followsync wrote into a row last time: kept in the hidden Draft state column.

    ``hashes`` are of the three draft cells as followsync wrote them; a cell whose text no
    longer matches its hash was edited by a person, and is kept while ``action`` stays the same.
    """

    action: str = ""
    status: str = ""
    hashes: tuple[str, str, str] = ("", "", "")

    @classmethod
    def parse(cls, text: Any) -> DraftState | None:
        parts = str(text).split("|") if isinstance(text, str) else []
        if len(parts) != 6 or parts[0] != STATE_VERSION:
            return None
        return cls(parts[1], parts[2], (parts[3], parts[4], parts[5]))

    def __str__(self) -> str:
        return "|".join((STATE_VERSION, self.action, self.status, *self.hashes))


def text_hash(text: Any) -> str:
    if _is_blank(text):
        return ""
    return hashlib.sha1(str(text).replace("\r\n", "\n").strip().encode()).hexdigest()[:10]


@dataclass
class Computed:
    """What :func:`compute` returns: followsync's cells per row, and what it found."""

    cells: pd.DataFrame  # owned columns by name, plus "ID", "_colour", "_colour_name", "_rule"
    plan: pd.DataFrame
    problems: list[schema.Problem]
    history: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    duplicate_ids: frozenset[str] = frozenset()  # lower-cased IDs found on several rows


def repeated_ids(tracker: schema.Tracker) -> tuple[set[str], list[schema.Problem]]:
    """IDs on more than one row (a copied row, say): a Problem on each, naming the others."""
    rows_of: dict[str, list[int]] = {}
    for ident, row in zip(tracker.frame["id"], tracker.frame["_row"], strict=True):
        if ident:
            rows_of.setdefault(str(ident).lower(), []).append(int(row))
    repeated = {k for k, rows in rows_of.items() if len(rows) > 1}
    problems = []
    for ident, row in zip(tracker.frame["id"], tracker.frame["_row"], strict=True):
        if ident and str(ident).lower() in repeated:
            others = ", ".join(str(r) for r in rows_of[str(ident).lower()] if r != row)
            problems.append(
                schema.Problem(
                    tracker.sheet, int(row), "ID", f"ID {ident!r} is also on row {others}; followsync leaves these rows alone",
                    "clear the ID of the copy (followsync gives it a new one) or give it its own", str(ident),
                )
            )
    return repeated, problems


def keep_edits(
    frame: pd.DataFrame, plan: pd.DataFrame, generated: pd.DataFrame
) -> tuple[dict[str, list[str]], list[str], list[tuple[int, str, str]]]:
    """The drafts to write, the new Draft state per row, and the Status changes a person made.

    A draft cell whose text differs from what followsync last wrote (its hash in Draft state)
    is the person's: it is kept while the row's Next action stays the same. A row that can't be
    computed (its Problems first) keeps its cells and state as they are.
    """
    final = {name: generated[key].tolist() for name, key in zip(DRAFT_FIELDS, DRAFT_KEYS, strict=True)}
    states: list[str] = []
    changes: list[tuple[int, str, str]] = []
    actions, statuses = plan["next_action"].tolist(), plan["status"].tolist()
    stuck = (plan["rule"] == 0).tolist()
    status_cells = frame["status"].tolist()
    old_states = frame["draft_state"].tolist()
    current = [frame[key].tolist() for key in DRAFT_KEYS]
    for i in range(len(frame)):
        if stuck[i]:
            for f, name in enumerate(DRAFT_FIELDS):
                final[name][i] = "" if _is_blank(current[f][i]) else str(current[f][i])
            states.append("" if _is_blank(old_states[i]) else old_states[i])
            continue
        action, status = actions[i], statuses[i]
        old = DraftState.parse(old_states[i])
        hashes = []
        for f, name in enumerate(DRAFT_FIELDS):
            mine = current[f][i]
            edited = old is not None and old.action == action and not _is_blank(mine) and text_hash(mine) != old.hashes[f]
            if edited and final[name][i]:
                final[name][i] = str(mine)
                hashes.append(old.hashes[f])
            else:
                hashes.append(text_hash(final[name][i]))
        states.append(str(DraftState(action, status, tuple(hashes))))
        # A change the person made to Status (not one followsync inferred from the dates).
        if old is not None and old.status and old.status != status and status_cells[i]:
            changes.append((i, old.status, status))
    return final, states, changes


def compute(tracker: schema.Tracker, now: dt.datetime, config: Config) -> Computed:
    """followsync's columns for every row: the plan, the drafts (keeping a person's edits),
    lint, and every Problem (cells that did not parse, data that contradicts itself, possible
    duplicates, drafts that fail lint). ``ID`` holds a new ID where the row's was blank.
    """
    from .core import drafts, lint
    from .core import sends as sending

    frame = tracker.frame
    plan = rules_mod.plan(frame, now, config.rules)
    repeated, id_problems = repeated_ids(tracker)
    problems = list(tracker.problems) + id_problems + rules_mod.check(frame, now, tracker.sheet) + duplicates(tracker)

    taken = {str(v).lower() for v in frame["id"] if v}
    ids = []
    for cid, company, job, row in zip(frame["id"], frame["company"], frame["job_title"], frame["_row"], strict=True):
        ids.append(cid or new_id(company or "", f"{company}|{job}|{row}", taken))

    generated = drafts.render(frame, plan, now, config)
    final, states, status_changes = keep_edits(frame, plan, generated)
    history = []
    for i, before, after in status_changes:
        row = frame.iloc[i].to_dict()
        row["id"] = ids[i]
        history.append(sending.history_entry(row, on=now.date(), what=f"Status: {before} -> {after}"))

    out = pd.DataFrame(index=frame.index)
    out["ID"] = ids
    out["Next action"] = plan["next_action"]
    out["Due"] = plan["due"]
    out["Reminder"] = plan["reminder"]
    for name in DRAFT_FIELDS:
        out[name] = pd.Series(final[name], index=frame.index, dtype=object)

    drafts_df = pd.DataFrame(
        {key: final[name] for name, key in zip(DRAFT_FIELDS, DRAFT_KEYS, strict=True)}, index=frame.index
    )
    rows = frame["_row"].tolist()
    for index, findings in lint.lint_frame(frame, plan, drafts_df, config).items():
        i = frame.index.get_loc(index)
        for finding in findings:
            problems.append(schema.Problem(tracker.sheet, rows[i], None, finding, key=ids[i]))

    by_row: dict[int, list[str]] = {}
    for p in problems:
        if p.row is not None and p.row > tracker.header.row + 1:
            by_row.setdefault(p.row, []).append(p.short())
    out["Problems"] = ["; ".join(by_row.get(r, [])) for r in rows]
    out["Draft state"] = states
    colours = load_layout().colours
    out["_colour"] = pd.Series([colours.get(c) if c else None for c in plan["colour"]], index=out.index, dtype=object)
    out["_rule"] = plan["rule"]
    out["_colour_name"] = plan["colour"]
    notes = []
    if config.profile.is_empty and any(final["Draft message"]):
        notes.append("Drafts are signed without a name: fill in [profile] (name, email, phone) in followsync.toml.")
    return Computed(out, plan, problems, history, notes, frozenset(repeated))


def duplicates(tracker: schema.Tracker) -> list[schema.Problem]:
    """Rows whose Company and Job title repeat an earlier row's, unless Notes say otherwise."""
    frame = tracker.frame
    seen: dict[tuple[str, str], int] = {}
    out = []
    for company, job, notes, row, ident in zip(
        frame["company"], frame["job_title"], frame["notes"], frame["_row"], frame["id"], strict=True
    ):
        if not company or not job:
            continue
        key = (schema.normalize_header(company), schema.normalize_header(job))
        if key in seen and not re.search(r"duplicate|second application|re-?appl|another (role|opening)", notes or "", re.I):
            out.append(
                schema.Problem(
                    tracker.sheet,
                    int(row),
                    "Company",
                    f"possible duplicate of row {seen[key]} (same Company and Job title)",
                    "merge the two rows, or write 'not a duplicate' in Notes",
                    ident or None,
                )
            )
        seen.setdefault(key, int(row))
    return out


# --------------------------------------------------------------------------------------
# Diffing


def _is_blank(value: Any) -> bool:
    if value is None or (isinstance(value, str) and value == ""):
        return True
    return not isinstance(value, str) and bool(pd.isna(value))


def _comparable(column: str, value: Any) -> Any:
    """A cell value in the form two runs agree on: None, a date (Due), or text."""
    if _is_blank(value):
        return None
    if column == "Due":
        if isinstance(value, pd.Timestamp):
            return value.date()
        try:
            return schema.parse_date(value)
        except schema.BadCell:
            return ("unreadable", repr(value))  # differs from every date: rewritten
    return value if isinstance(value, str) else schema.as_text(value)


def _cell_value(column: str, value: Any) -> Any:
    if _is_blank(value):
        return None
    if column == "Due":
        return pd.Timestamp(value).date()
    return value


def diff(
    tracker: schema.Tracker, snapshot: Snapshot, computed: pd.DataFrame, skip: frozenset[str] = frozenset()
) -> ChangeSet:
    """Only what differs: owned cells, blank IDs, and the two colour cells' backgrounds.

    Rows whose ID is in ``skip`` (IDs on several rows: a Problem) are left alone, since no
    write could tell them apart.
    """
    header = tracker.header
    positions = header.positions
    changes = ChangeSet(sheet=tracker.sheet, header_row=header.row)
    changes.add_columns = [n for n in ("ID", *schema.OWNED_NAMES) if n not in positions]
    frame = tracker.frame
    grid = snapshot.grid
    indexes = frame["_index"].tolist()
    ids = [v or None for v in frame["id"].tolist()]
    refs = [
        RowRef(
            id=ident,
            index=index,
            fingerprint=() if ident else row_fingerprint(grid[index], positions),
            handle=snapshot.handles.get(index),
        )
        for ident, index in zip(ids, indexes, strict=True)
    ]
    new_ids = computed["ID"].tolist()
    changes.cells.extend(CellWrite(ref, "ID", new) for ref, ident, new in zip(refs, ids, new_ids, strict=True) if not ident)
    # Column by column: the lists are plain Python, so a 20,000-row tracker diffs quickly.
    left_alone = [bool(ident) and ident.lower() in skip for ident in ids]
    for name in schema.OWNED_NAMES:
        current = frame[schema.BY_NAME[name].key].tolist()
        wanted = computed[name].tolist()
        for ref, cur, new, alone in zip(refs, current, wanted, left_alone, strict=True):
            if not alone and _comparable(name, cur) != _comparable(name, new):
                changes.cells.append(CellWrite(ref, name, _cell_value(name, new)))
    colours = computed["_colour"].tolist()
    for name in schema.COLOUR_COLUMNS:
        pos = positions.get(name)
        for ref, index, colour, alone in zip(refs, indexes, colours, left_alone, strict=True):
            if alone:
                continue
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


def digest(tracker: schema.Tracker, computed: pd.DataFrame) -> list[DueItem]:
    """What is due: overdue first, then today, then soon; earliest first within each."""
    frame = tracker.frame
    # Each column is read once into a list: per-row pandas access is slow.
    urgencies = computed["_colour_name"].tolist()
    listed = [urgency in ("overdue", "today", "soon") for urgency in urgencies]
    due = computed["Due"]
    missing = due.isna().tolist()
    if due.dtype.kind == "M":
        days = due.dt.date.tolist()
    else:
        days = [
            pd.Timestamp(d).date() if wanted and not gone else None
            for d, wanted, gone in zip(due.tolist(), listed, missing, strict=True)
        ]
    rows, ids = frame["_row"].tolist(), computed["ID"].tolist()
    company, job = frame["company"].tolist(), frame["job_title"].tolist()
    actions, reminders = computed["Next action"].tolist(), computed["Reminder"].tolist()
    items = [
        DueItem(
            row=int(rows[i]),
            id=str(ids[i]),
            company=company[i] or "",
            job_title=job[i] or "",
            next_action=actions[i],
            due=None if missing[i] else days[i],
            urgency=urgencies[i],
            reminder=reminders[i],
        )
        for i, wanted in enumerate(listed)
        if wanted
    ]
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


#: A run that would rewrite more than this share of a synced tracker's owned cells stops
#: and asks for --force: a changed template or rule, or a broken read, not a normal day.
MASS_REWRITE_SHARE = 0.5


def refuse_mass_rewrite(tracker: schema.Tracker, changes: ChangeSet) -> None:
    """Stop before rewriting most of a tracker that followsync has synced before."""
    frame = tracker.frame
    synced = frame["draft_state"].map(lambda v: DraftState.parse(v) is not None).sum()
    if len(frame) < 4 or synced < len(frame) / 2:
        return  # a new tracker, or too small to tell
    owned = [n for n in schema.OWNED_NAMES]
    total = len(frame) * len(owned)
    counts: dict[str, int] = {}
    for ch in changes.cells:
        if ch.column in owned:
            counts[ch.column] = counts.get(ch.column, 0) + 1
    changed = sum(counts.values())
    if changed <= total * MASS_REWRITE_SHARE:
        return
    from .errors import WriteRefused

    detail = ", ".join(f"{n} {counts[n]}" for n in owned if counts.get(n))
    raise WriteRefused(
        f"This run would rewrite {changed} of {total} of followsync's cells in sheet {tracker.sheet!r} "
        f"({detail}), more than half of a tracker it has synced before. Nothing was written.",
        hint="If you changed a template or a rule, that is expected: run again with --force "
        "(see what would change with --dry-run). Otherwise check that the sheet reads as you expect.",
    )


@dataclass(frozen=True)
class Send:
    """A message the person says they sent: ``followsync sent ID`` or a Mark sent tick."""

    medium: str | None = None
    on: dt.date | None = None


@dataclass
class Recorded:
    grid: list[list[Any]]
    writes: list[CellWrite] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def record_sends(
    tracker: schema.Tracker, snapshot: Snapshot, config: Config, now: dt.datetime, sends: dict[str, Send]
) -> Recorded:
    """Record each ticked Mark sent and each ``sends`` entry (by ID) as sent.

    Returns the grid with the user cells updated (so the rules then see the send), the user
    cell writes (the send's dates, count and medium, and the cleared tick), and History rows.
    These are the only writes to a person's columns besides a blank ID.
    """
    from .core import sends as sending
    from .errors import UsageError

    frame = tracker.frame
    marked = frame["mark_sent"].fillna(False).to_numpy(dtype=bool)
    wanted = {k.lower(): (k, v) for k, v in sends.items()}
    found = set()
    out = Recorded(grid=snapshot.grid)
    todo = []
    for i in range(len(frame)):
        ident = (frame["id"].iat[i] or "").lower()
        if marked[i] or (ident and ident in wanted):
            if ident in found and ident in wanted:
                raise UsageError(
                    f"ID {wanted[ident][0]!r} is on more than one row of sheet {tracker.sheet!r}; nothing was recorded.",
                    hint="Give each row its own ID (clear the copy's ID and run followsync), then record the send.",
                )
            todo.append(i)
            found.add(ident)
    missing = [wanted[k][0] for k in wanted if k not in found]
    if missing:
        raise UsageError(f"No row with ID {', '.join(map(repr, missing))} in sheet {tracker.sheet!r}.", hint="IDs are in the tracker's ID column; `followsync run` fills blank ones.")
    if not todo:
        return out
    plan = rules_mod.plan(frame, now, config.rules)
    grid = [list(r) for r in snapshot.grid]
    positions = dict(tracker.header.positions)
    width = tracker.header.width
    for i in todo:
        index = int(frame["_index"].iat[i])
        ident = frame["id"].iat[i] or None
        send = wanted.get((ident or "").lower(), (None, Send()))[1]
        row = frame.iloc[i].to_dict()
        plan_row = plan.iloc[i].to_dict()
        ref = RowRef(
            ident,
            index,
            () if ident else row_fingerprint(snapshot.grid[index], tracker.header.positions),
            handle=snapshot.handles.get(index),
        )
        try:
            updates = sending.record(row, plan_row, on=send.on or now.date(), medium=send.medium)
        except UsageError as e:
            if not marked[i]:
                raise
            out.notes.append(f"Row {int(frame['_row'].iat[i])}: Mark sent is ticked, but {e.message.split(': ', 1)[-1]} Cleared the tick.")
            updates = {}
        message = row.get("draft_message") if not _is_blank(row.get("draft_message")) else ""
        if updates:
            entry_row = dict(row, id=ident or "")
            out.history.append(
                sending.history_entry(entry_row, plan_row, on=send.on or now.date(), medium=updates.get("Last medium"), message=str(message or ""), updates=updates)
            )
        if marked[i]:
            updates["Mark sent"] = None
        for name, value in updates.items():
            if name not in positions:
                positions[name] = width
                width += 1
                out.columns.append(name)
            put_cell(grid, index, positions[name], value)
            out.writes.append(CellWrite(ref, name, value))
    for name in out.columns:
        put_cell(grid, tracker.header.row, positions[name], name)
    out.grid = grid
    return out


def check(backend: Backend, config: Config, now: dt.datetime) -> tuple[schema.Tracker, list[schema.Problem]]:
    """Read and validate without writing: every Problem of the tracker."""
    snapshot = backend.read()
    tracker = read_tracker(snapshot, config)
    return tracker, compute(tracker, now, config).problems
