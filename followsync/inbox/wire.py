"""The inbox step of ``followsync run``: :class:`Findings` laid into the tracker (issue 15).

:func:`followsync.run._run` calls these around the rules; all of it is pure (a tracker and the
findings in, cell writes and a tracker for the rules out):

- :func:`accept` applies a ticked **Accept inbox**: the Inbox cell's suggested Status and
  Response on (the reply's date), then clears the tick. It is the only way Status changes.
- :func:`sends_of` turns the recorded sends into the ``sends`` that ``record_sends`` records
  exactly as Mark sent does, with the message's own date.
- :func:`for_rules` is the tracker the rules see: rows that were answered count as answered
  (rule 8) and bounces are Problems, while the sheet's Response on and Status stay as they are.
- :func:`due_drafts` lists the run's due email actions for ``drafts = true``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from typing import Any

import numpy as np
import pandas as pd

from ..core import rules as rules_mod
from ..core import schema
from ..core.cells import as_date, is_blank, text
from ..core.changes import CellWrite, Snapshot
from ..core.compute import DueItem
from ..core.sends import FOLLOW_UPS, REJECTION, THANK_YOU, Send, UserCells
from .drafts import DueDraft
from .match import Findings, addresses_in

_SENDABLE = (THANK_YOU, REJECTION, *FOLLOW_UPS)
_REPLIED = re.compile(r"\breplied on (\d{1,2} [A-Z][a-z]{2}):")
_BOUNCED = re.compile(r"mail to (\S+@\S+) bounced: check (Interviewer email|Other contact)")
_SUGGESTION = re.compile(
    r"replied on (\d{1,2} [A-Z][a-z]{2}):.*tick Accept inbox to set Status to ([A-Z][\w ]+)$"
)


@dataclasses.dataclass
class Accepted:
    """What :func:`accept` did: the grid with the Status laid in, and the writes."""

    grid: list[list[Any]]
    writes: list[CellWrite] = dataclasses.field(default_factory=list)
    columns: list[str] = dataclasses.field(default_factory=list)
    notes: list[str] = dataclasses.field(default_factory=list)


def _day(day_month: str, now: dt.datetime) -> dt.date | None:
    """``24 Nov`` as a date: the latest one on or before ``now``."""
    try:
        day = dt.datetime.strptime(f"{day_month} {now.year}", "%d %b %Y").date()
    except ValueError:
        return None
    return day if day <= now.date() else day.replace(year=day.year - 1)


def suggestion(cell: Any, now: dt.datetime) -> tuple[str, dt.date] | None:
    """The (Status, reply date) an Inbox cell suggests, or None. The cell names the day and
    month; the year is the latest that puts the date on or before ``now``."""
    m = _SUGGESTION.search(text(cell))
    day = _day(m.group(1), now) if m else None
    if not m or day is None or m.group(2).strip() not in schema.STATUSES:
        return None
    return m.group(2).strip(), day


def answered_on(cell: Any, now: dt.datetime) -> dt.date | None:
    """The reply date an Inbox cell records ("Jane Jones replied on 24 Nov: ..."), or None.

    The sheet is the memory: a later run, which reads only new mail, still sees the reply."""
    m = _REPLIED.search(text(cell))
    return _day(m.group(1), now) if m else None


def accept(
    tracker: schema.Tracker, snapshot: Snapshot, findings: Findings | None, now: dt.datetime
) -> Accepted:
    """Apply each ticked Accept inbox: this run's suggestion for the row, else its Inbox cell's."""
    frame = tracker.frame
    out = Accepted(grid=snapshot.grid)
    ticked = frame["accept_inbox"].fillna(False).to_numpy(dtype=bool)
    if not ticked.any():
        return out
    edits = UserCells(tracker, snapshot)
    for i in [int(i) for i in ticked.nonzero()[0]]:
        row = frame.iloc[i].to_dict()
        ident = text(row.get("id"))
        index = int(row["_index"])
        updates: dict[str, Any] = {"Accept inbox": None}
        found = None
        if findings is not None and ident in findings.suggested_status and ident in findings.answered:
            found = (findings.suggested_status[ident], findings.answered[ident])
        found = found or suggestion(row.get("inbox"), now)
        if found is None:
            out.notes.append(
                f"Row {int(row['_row'])}: Accept inbox is ticked, but the Inbox cell suggests no Status. Cleared the tick."
            )
        else:
            # The History's "Status: Interviewed -> Rejected" row comes from the rules' pass.
            status, on = found
            updates.update({"Status": status, "Response on": on})
        edits.put(index, ident or None, updates)
    out.grid, out.writes, out.columns = edits.done(), edits.writes, edits.columns
    return out


def sends_of(findings: Findings, tracker: schema.Tracker, now: dt.datetime, rules: Any) -> dict[str, Send]:
    """The recorded sends, by row ID, for rows whose next action is a message to send."""
    frame = tracker.frame
    plan = rules_mod.plan(frame, now, rules)
    actions = {text(i): text(a) for i, a in zip(frame["id"], plan["next_action"], strict=True) if text(i)}
    return {
        s.row_id: Send(medium="Email", on=s.on)
        for s in findings.recorded
        if actions.get(s.row_id) in _SENDABLE
    }


def for_rules(tracker: schema.Tracker, findings: Findings, now: dt.datetime) -> schema.Tracker:
    """The tracker the rules see: answered rows (this run's replies, and those an Inbox cell
    records) have a Response on (rule 8), bounces are Problems. The sheet is not changed."""
    frame = tracker.frame.copy()
    response = frame["response_on"].astype(object)
    for i, ident in enumerate(frame["id"]):
        on = findings.answered.get(text(ident)) or answered_on(frame["inbox"].iat[i], now)
        if on is None:
            continue
        current, interview = as_date(response.iat[i]), as_date(frame["interview_at"].iat[i])
        if current is None or (interview is not None and current < interview):
            response.iat[i] = pd.Timestamp(on)
    frame["response_on"] = pd.to_datetime(response)
    problems = list(tracker.problems)
    flags = {column: np.zeros(len(frame), dtype=bool) for column in _BOUNCE_FLAGS}
    for i, ident, row, texts in _bounces(frame, findings):
        problems += [schema.Problem(tracker.sheet, row, None, t, key=ident) for t in texts]
        for t in texts:
            if m := _BOUNCED.search(t):
                flags[m.group(2)][i] = True
    # The rules' bounce input: rule 11's other contact (or LinkedIn) becomes the next step.
    for column, values in flags.items():
        frame[_BOUNCE_FLAGS[column]] = values
    return schema.Tracker(tracker.sheet, tracker.header, frame, problems)


_BOUNCE_FLAGS = dict(zip(("Interviewer email", "Other contact"), rules_mod.BOUNCED, strict=True))


def _bounces(frame: pd.DataFrame, findings: Findings) -> list[tuple[int, str, int, list[str]]]:
    """(position, row ID, sheet row, Problem texts) of rows whose mail bounced: this run's
    bounces, and those an Inbox cell records while the address is still in its column."""
    out = []
    for i, (ident, row, cell, email, other) in enumerate(
        zip(
            frame["id"].map(text),
            frame["_row"],
            frame["inbox"],
            frame["interviewer_email"],
            frame["other_contact"],
            strict=True,
        )
    ):
        texts = list(findings.problems.get(ident, []))
        m = _BOUNCED.search(text(cell))
        if not texts and m:
            still = addresses_in(email if m.group(2) == "Interviewer email" else other)
            texts = [m.group(0)] if m.group(1).lower() in still else []
        if texts:
            out.append((i, ident, int(row), texts))
    return out


def inbox_cells(frame: pd.DataFrame, findings: Findings) -> pd.Series:
    """The Inbox column: this run's line for a row with news (a bounce when nothing else came),
    else what the cell holds."""
    values = []
    for i, c in zip(frame["id"].map(text), frame["inbox"], strict=True):
        news = findings.inbox.get(i) or "; ".join(findings.problems.get(i, []))
        values.append(news or (None if is_blank(c) else c))
    return pd.Series(values, index=frame.index, dtype=object)


def due_drafts(
    frame: pd.DataFrame, plan: pd.DataFrame, cells: pd.DataFrame, due: list[DueItem]
) -> list[DueDraft]:
    """One :class:`DueDraft` per email action due today or overdue (a draft and an address),
    none to an address whose mail bounced (the Inbox cell says so)."""
    now_due = {d.id for d in due if d.urgency in ("overdue", "today")}
    inbox = cells["Inbox"] if "Inbox" in cells.columns else pd.Series(None, index=cells.index, dtype=object)
    out = []
    # Each column read once (issue 17): a DataFrame look-up per row cost more than the loop.
    mediums, actions = plan["medium"].tolist(), plan["next_action"].tolist()
    for i, ident in enumerate(cells["ID"].tolist()):
        medium = mediums[i]
        if ident not in now_due or medium not in ("email", "other_contact"):
            continue
        column = "other_contact" if medium == "other_contact" else "interviewer_email"
        to = addresses_in(frame[column].iat[i])
        subject, body = text(cells["Draft subject"].iat[i]), cells["Draft message"].iat[i]
        bounced = _BOUNCED.search(text(inbox.iat[i]))
        if bounced and to and bounced.group(1).lower() == to[0]:
            continue
        if to and subject and not is_blank(body):
            out.append(DueDraft(ident, text(actions[i]), to[0], subject, str(body)))
    return out
