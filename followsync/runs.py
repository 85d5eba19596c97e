"""Running every tracker of a config, and what follows a run: calendar, mail, ``--json``.

:func:`run_all` is what ``followsync run`` does, as a Python API: each tracker is run under
its own lock, a failure in one does not stop the others, and the exit code is the worst of
them. :func:`after_run` refreshes the calendar file and mails the digest.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import run as sync
from .backends import open_backend
from .config import Config, TrackerSpec
from .errors import EXIT_OK, FollowsyncError, UsageError
from .outputs import calendar as ics

log = logging.getLogger("followsync")

JSON_VERSION = 1


@dataclass
class Outcome:
    """One tracker's run: its result, or the error that stopped it."""

    spec: TrackerSpec
    result: sync.RunResult | None = None
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
            return [TrackerSpec(t.name, _resolved(t.location, config), t.worksheet) for t in named]
        return [TrackerSpec("tracker", location, config.worksheet)]
    found = config.targets()
    if not found:
        open_backend(None, config)  # raises the "no tracker given" UsageError
    return [TrackerSpec(t.name, _resolved(t.location, config), t.worksheet) for t in found]


def one(config: Config, location: str | None):
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
            backend = open_backend(spec.location, config, spec.worksheet)
            try:
                outcome.result = sync.run(backend, config, now, dry_run=dry_run, force=force, name=spec.name)
            finally:
                backend.close()
            log.info(
                "%s: %d rows, %d cells changed", spec.name, outcome.result.rows, _changed(outcome.result)
            )
        except FollowsyncError as e:
            outcome.error = e
            log.warning("%s: %s", spec.name, e.message)
        outcomes.append(outcome)
        if progress:
            progress(spec)
    return outcomes


def _resolved(location: str, config: Config) -> str:
    if config.path is None or location.startswith(("airtable:", "http://", "https://")):
        return location
    if not location.lower().endswith((".xlsx", ".xlsm")):
        return location  # a Google key or URL
    path = Path(location).expanduser()
    return str(path if path.is_absolute() else config.path.parent / path)


def worst(outcomes: Sequence[Outcome]) -> int:
    return max((o.exit_code for o in outcomes), default=EXIT_OK)


def _changed(result: sync.RunResult) -> int:
    return len(result.changes.cells) + len(result.changes.fills)


# --------------------------------------------------------------------------------------
# --json


def to_json(outcomes: Sequence[Outcome], now: dt.datetime) -> dict[str, Any]:
    """The run's result in the documented, stable shape of ``followsync run --json``."""
    trackers = []
    for o in outcomes:
        entry: dict[str, Any] = {
            "name": o.spec.name,
            "location": o.spec.location,
            "ok": o.error is None,
            "exit_code": o.exit_code,
            "error": o.error.message if o.error else None,
            "sheet": None,
            "rows": 0,
            "cells_changed": 0,
            "written": False,
            "dry_run": False,
            "due": {"overdue": 0, "today": 0, "soon": 0},
            "actions": [],
            "problems": [],
            "skipped": [],
        }
        r = o.result
        if r is not None:
            entry.update(
                sheet=r.sheet,
                rows=r.rows,
                cells_changed=_changed(r),
                written=bool(r.applied and r.applied.write_calls),
                dry_run=r.dry_run,
                due=r.by_urgency(),
                actions=[
                    {
                        "row": d.row,
                        "id": d.id,
                        "company": d.company,
                        "job_title": d.job_title,
                        "next_action": d.next_action,
                        "due": d.due.isoformat() if d.due else None,
                        "urgency": d.urgency,
                        "reminder": d.reminder,
                    }
                    for d in r.due
                ],
                problems=[
                    {"sheet": p.sheet, "row": p.row, "column": p.column, "message": p.message, "fix": p.fix}
                    for p in r.problems
                ],
                skipped=list(r.applied.skipped) if r.applied else [],
            )
        trackers.append(entry)
    return {
        "version": JSON_VERSION,
        "now": now.isoformat(),
        "exit_code": worst(outcomes),
        "trackers": trackers,
    }


# --------------------------------------------------------------------------------------
# After the run: the calendar file and the mail


def calendar_items(outcomes: Sequence[Outcome]) -> list[ics.CalendarItem]:
    return [item for o in outcomes if o.result for item in o.result.calendar]


def refresh_calendar(path: Path, outcomes: Sequence[Outcome], now: dt.datetime) -> bool:
    """Rewrite the ``[calendar] path`` file; True when its content changed."""
    if any(o.error for o in outcomes):
        # A tracker that failed would lose its events; keep yesterday's file instead.
        log.warning("calendar %s not refreshed: a tracker failed", path)
        return False
    try:
        return ics.write(path, calendar_items(outcomes), now)
    except OSError as e:
        raise UsageError(
            f"Cannot write the calendar file {path}: {e.strerror or e}.",
            hint="Set [calendar] path (or -o) to a file in a folder you can write to.",
        ) from None


def something_due(outcomes: Sequence[Outcome]) -> bool:
    return any(d.urgency in ("overdue", "today") for o in outcomes if o.result for d in o.result.due)


def mail_digest(config: Config, outcomes: Sequence[Outcome], digest: str, now: dt.datetime) -> str | None:
    """Mail the digest (and, once a week, the report) when something is due; the Message-ID."""
    from .outputs import mail as notify
    from .outputs import report

    settings = config.notify
    if settings is None or not something_due(outcomes):
        return None
    attachments = []
    if settings.weekly_report and _weekly_due(config, now):
        for o in outcomes:
            if o.result and o.result.summary is not None:
                html = report.render(o.result.summary, title=f"Job search: {o.spec.name}", now=now)
                attachments.append(notify.Attachment(f"followsync-{o.spec.name}.html", html.encode(), "text/html"))
    due = sum(1 for o in outcomes if o.result for d in o.result.due if d.urgency in ("overdue", "today"))
    message_id = notify.send(
        settings,
        subject=f"followsync: {due} follow-up{'s' if due != 1 else ''} due ({now:%a %d %b})",
        text=digest,
        attachments=attachments,
    )
    if attachments:
        _weekly_stamp(config).write_text(now.date().isoformat())
    return message_id


def _weekly_stamp(config: Config) -> Path:
    import hashlib

    import platformdirs

    key = hashlib.sha1(str(config.path or "default").encode()).hexdigest()[:12]
    folder = Path(platformdirs.user_state_dir("followsync"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"weekly-report-{key}"


def _weekly_due(config: Config, now: dt.datetime) -> bool:
    stamp = _weekly_stamp(config)
    try:
        last = dt.date.fromisoformat(stamp.read_text().strip())
    except (OSError, ValueError):
        return True
    return (now.date() - last).days >= 7


def plain(render: Callable[[Any], None]) -> str:
    """What a rich printer prints, as plain text (for mail)."""
    from rich.console import Console

    buffer = io.StringIO()
    render(Console(file=buffer, width=100, color_system=None, highlight=False, soft_wrap=True))
    return buffer.getvalue()
