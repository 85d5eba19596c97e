"""What a run says: the text digest for the terminal and mail, and the ``--json`` shape.

Both are made from the same :class:`~followsync.run.Outcome` list, side by side, so a field
added to one is easy to add to the other. The JSON shape is documented in README and stable
(``JSON_VERSION``); tests/outputs/test_porcelain.py pins it.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape

from ..errors import EXIT_OK

if TYPE_CHECKING:
    from ..core.compute import DueItem
    from .results import Outcome, RunResult

JSON_VERSION = 1

URGENCY_STYLE = {"overdue": "bold red", "today": "bold dark_orange", "soon": "yellow"}
URGENCY_TITLE = {"overdue": "Overdue", "today": "Due today", "soon": "Due soon"}


# --------------------------------------------------------------------------------------
# The text digest


def title(profile_name: str, tracker_name: str, location: str) -> str:
    """The heading of a tracker's report, digest and table: whose job search it is."""
    named = tracker_name if tracker_name and tracker_name != "tracker" else ""
    if profile_name:
        return f"Job search: {profile_name}" + (f" ({named})" if named else "")
    return f"Job search: {named or location}"


def report_outcomes(
    out: Console,
    outcomes: Sequence[Outcome],
    *,
    quiet: bool = False,
    err: Console | None = None,
    profile_name: str | None = None,
) -> None:
    """Each tracker's digest; a failed tracker's error in its place (on ``err`` when given: stderr).

    With ``profile_name`` (the mail's digest), each tracker's part is headed by its :func:`title`.
    """
    for o in outcomes:
        if profile_name is not None:
            out.print(f"[bold]{escape(title(profile_name, o.spec.name, o.spec.location))}[/]")
        if o.error is not None:
            to = err or out
            to.print(f"[bold red]{escape(o.spec.name)}:[/] {escape(o.error.message)}")
            if o.error.hint:
                to.print(escape(o.error.hint))
        elif o.result is not None:
            report_run(out, o.result, quiet=quiet)


def report_run(out: Console, result: RunResult, *, quiet: bool = False) -> None:
    """The digest: what changed, what is due (overdue, today, soon), and the problems."""
    pressing = [d for d in result.due if d.urgency in ("overdue", "today")]
    skipped = result.applied and result.applied.skipped
    if quiet and not pressing and not result.problems and not skipped and result.inbox_error is None:
        return
    where = f"{escape(result.location)} ({escape(result.sheet)})"
    n_cells = result.cells_changed
    if result.dry_run:
        out.print(f"{where}: {result.rows} rows; would change {n_cells} cells (dry run, nothing written).")
        for ch in result.changes.cells:
            label = ch.row.id or f"sheet row {ch.row.index + 1}"
            out.print(f"  {escape(label)}: {escape(ch.column)} -> {escape(_show(ch.value))}")
    else:
        changed = f"updated {n_cells} cells" if result.changes else "nothing to update"
        out.print(f"{where}: {result.rows} rows, {changed}.")
    if result.applied:
        for msg in result.applied.skipped:
            out.print(f"[yellow]Skipped:[/] {escape(msg)}")
    shown = pressing if quiet else result.due
    width = max((len(d.id) for d in shown), default=0)
    today = result.summary.today if result.summary is not None else None
    for urgency in ("overdue", "today", "soon"):
        items = [d for d in shown if d.urgency == urgency]
        if not items:
            continue
        out.print(f"[{URGENCY_STYLE[urgency]}]{URGENCY_TITLE[urgency]}[/]")
        for d in items:
            out.print(f"  {escape(d.id.ljust(width))}  {escape(d.reminder)}{_late(d, today)}")
    if not quiet and not result.due:
        out.print("Nothing due in the next days.")
    if result.problems:
        out.print(
            f"[magenta]{len(result.problems)} problem{'s' if len(result.problems) != 1 else ''}[/] (run `followsync check` for fixes):"
        )
        for p in result.problems[:20]:
            out.print(f"  {escape(str(p))}")
        if len(result.problems) > 20:
            out.print(f"  ... and {len(result.problems) - 20} more")
    for note in result.notes:
        out.print(escape(note))
    if result.dry_run and result.inbox:
        out.print("The inbox step would write:")
        for line in result.inbox:
            out.print(f"  {escape(line)}")
    if result.inbox_error is not None:
        out.print(f"[bold red]Inbox:[/] {escape(result.inbox_error.message)} The tracker was written without it.")


def _late(d: DueItem, today: dt.date | None) -> str:
    """' (5 days late)' after an overdue Reminder: the digest and mail count the days, as the
    Reminder stored in the tracker does not (it stays the same from one day to the next)."""
    if d.urgency != "overdue" or d.due is None or today is None or d.due >= today:
        return ""
    n = (today - d.due).days
    return f" ({n} day{'s' if n != 1 else ''} late)"


def _show(value: Any) -> str:
    if value is None:
        return "(blank)"
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).replace("\n", " ")
    return text if len(text) <= 70 else text[:67] + "..."


def plain(render: Callable[[Console], None]) -> str:
    """What a rich printer prints, as plain text (for mail)."""
    buffer = io.StringIO()
    render(Console(file=buffer, width=100, color_system=None, highlight=False, soft_wrap=True))
    return buffer.getvalue()


def text(outcomes: Sequence[Outcome], profile_name: str = "") -> str:
    """The digest a mail carries: what ``followsync run --quiet`` prints, as plain text, each
    tracker headed by its :func:`title` ("Job search: Alex Morgan")."""
    return plain(lambda console: report_outcomes(console, outcomes, quiet=True, profile_name=profile_name))


# --------------------------------------------------------------------------------------
# --json


def to_json(outcomes: Sequence[Outcome], now: dt.datetime) -> dict[str, Any]:
    """The run's result in the documented, stable shape of ``followsync run --json``."""
    return {
        "version": JSON_VERSION,
        "now": now.isoformat(),
        "exit_code": max((o.exit_code for o in outcomes), default=EXIT_OK),  # run.worst
        "trackers": [_tracker_json(o) for o in outcomes],
    }


def _tracker_json(o: Outcome) -> dict[str, Any]:
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
            cells_changed=r.cells_changed,
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
                    "subject": d.subject,
                    "message": d.message,
                }
                for d in r.due
            ],
            problems=[
                {"sheet": p.sheet, "row": p.row, "column": p.column, "message": p.message, "fix": p.fix}
                for p in r.problems
            ],
            skipped=list(r.applied.skipped) if r.applied else [],
        )
    return entry
