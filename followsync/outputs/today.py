"""``followsync today`` and ``followsync show``: what now, as a table and as a paste-ready draft;
and the ``--json`` of ``check``, ``history`` and ``calendar`` (each shape only grows)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..core.cells import as_date
from .digest import JSON_VERSION, URGENCY_STYLE, URGENCY_TITLE, title

if TYPE_CHECKING:
    from .calendar import CalendarItem
    from .results import Checked, Outcome


def print_today(out: Console, outcomes: Sequence[Outcome], profile_name: str = "", err: Console | None = None) -> None:
    """One table per tracker: overdue, due today and soon, with the draft subject."""
    for o in outcomes:
        if o.error is not None:
            (err or out).print(f"[bold red]{escape(o.spec.name)}:[/] {escape(o.error.message)}")
            continue
        r = o.result
        assert r is not None
        heading = escape(title(profile_name, o.spec.name, r.location))
        if not r.due:
            out.print(f"[bold]{heading}[/]: nothing due in the next days.")
            continue
        table = Table(title=heading, title_justify="left", show_lines=False)
        for name in ("When", "ID", "Company", "Next action", "Draft subject"):
            table.add_column(name, overflow="fold")
        for d in r.due:
            style = URGENCY_STYLE.get(d.urgency, "")
            when = URGENCY_TITLE.get(d.urgency, d.urgency) + (f" ({d.due:%a %d %b})" if d.due else "")
            table.add_row(
                f"[{style}]{escape(when)}[/]", escape(d.id), escape(d.company), escape(d.next_action), escape(d.subject)
            )
        out.print(table)


def print_draft(out: Console, draft: dict[str, Any]) -> None:
    """A row's draft, ready to paste: the subject, a blank line, the message; the LinkedIn note after."""
    action = str(draft.get("Next action") or "")
    subject, message = str(draft.get("Draft subject") or ""), str(draft.get("Draft message") or "")
    if not (subject or message):
        out.print(f"{escape(str(draft.get('ID')))}: no draft" + (f" (next action: {escape(action)})." if action else "."))
        return
    out.print(f"Subject: {escape(subject)}\n\n{escape(message)}")
    note = str(draft.get("LinkedIn note") or "")
    if note:
        out.print(f"\nLinkedIn note:\n{escape(note)}")


def check_json(checked: Sequence[Checked]) -> dict[str, Any]:
    """``check --json``: per tracker, its rows and Problems (the run's problem shape), or its error."""
    return {
        "version": JSON_VERSION,
        "exit_code": max((c.exit_code for c in checked), default=0),
        "trackers": [
            {
                "name": c.name,
                "location": c.location,
                "ok": c.error is None,
                "exit_code": c.exit_code,
                "error": c.error.message if c.error else None,
                "rows": c.rows,
                "problems": [
                    {"sheet": p.sheet, "row": p.row, "column": p.column, "message": p.message, "fix": p.fix}
                    for p in c.problems
                ],
            }
            for c in checked
        ],
    }


def history_json(row_id: str, entries: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """``history ID --json``: the dated entries, oldest first."""

    def day(v: Any) -> str | None:
        d = as_date(v)
        return d.isoformat() if d else (str(v) if v not in (None, "") else None)

    return {
        "version": JSON_VERSION,
        "id": row_id,
        "entries": [
            {
                "date": day(e.get("Date")),
                "what": str(e.get("What happened") or ""),
                "medium": str(e.get("Medium") or ""),
                "message": str(e.get("Message") or ""),
            }
            for e in entries
        ],
    }


def calendar_json(path: str, items: Sequence[CalendarItem], changed: bool, today: dt.date) -> dict[str, Any]:
    """``calendar --json``: the file and its events (an overdue one shown on ``today``)."""
    return {
        "version": JSON_VERSION,
        "path": path,
        "changed": changed,
        "events": [
            {
                "uid": i.uid,
                "tracker": i.tracker,
                "id": i.id,
                "title": i.title_on(today),
                "date": max(i.due, today).isoformat(),
                "at": i.at.isoformat() if i.at else None,  # an interview's start, in UTC
                "due": i.due.isoformat(),
                "overdue": i.at is None and i.due < today,
            }
            for i in items
        ],
    }
