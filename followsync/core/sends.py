"""Recording a sent message: the user-column updates, and the History row.

``followsync sent ID`` and a tick in ``Mark sent`` both land here, so they record a send the
same way (issue 3). Pure: a row and its plan in, a dict of cell updates out. These are the only
writes to user columns besides ID, and only on the person's say-so.

What a send records, by the row's Next action (RULES.md section 3):

==============================================  ==================================================
Next action                                     updates
==============================================  ==================================================
Send thank-you note (rule 7)                    Thank-you sent = on
Follow up, Send a friendly reminder, Call or    Follow-ups sent = n + 1, Last follow-up = on
try another contact, Send a final note and      (n = 0 when Last follow-up < Interview at: those
move on (rules 9-12)                            follow-ups belong to an earlier round)
Reply to the rejection (rule 3)                 Rejection reply sent = on
==============================================  ==================================================

and Last medium (Email, Phone, LinkedIn or Other) every time. A blank Next action or ``Prepare:
ask about the timeline`` has nothing to send, and is a :class:`~followsync.errors.UsageError`.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..errors import UsageError
from . import rules as rules_mod
from . import schema, ticks
from .cells import as_count, as_date, is_blank, text
from .changes import CellWrite, RowRef, Snapshot, put_cell, row_fingerprint
from .schema import MEDIUMS

if TYPE_CHECKING:
    from ..config import Config

THANK_YOU = "Send thank-you note"
REJECTION = "Reply to the rejection"
PREPARE = "Prepare: ask about the timeline"
FOLLOW_UPS = (
    "Follow up",
    "Send a friendly reminder",
    "Call or try another contact",
    "Send a final note and move on",
)

# What the History's "What happened" says for each action.
_DONE = {
    THANK_YOU: "Sent the thank-you note",
    REJECTION: "Replied to the rejection",
    "Follow up": "Followed up",
    "Send a friendly reminder": "Sent a friendly reminder",
    "Call or try another contact": "Followed up again",
    "Send a final note and move on": "Sent the final note",
}
# The plan's medium for rule 11 (and the others), as the Last medium choice.
_PLANNED_MEDIUM = {"phone": "Phone", "other_contact": "Email", "email": "Email", "linkedin": "LinkedIn"}

# The user column that holds the date of a send, by what :func:`record` updates.
_DATED = ("Thank-you sent", "Rejection reply sent", "Last follow-up")

REPLIED = "Got a reply"  # the History's words for ``followsync replied``

HISTORY_COLUMNS = ("Date", "ID", "Company", "What happened", "Medium", "Message")


def medium_choice(medium: str | None, plan_row: Mapping[str, Any] | None = None) -> str:
    """``email``/``phone``/``linkedin``/``other`` (any case) as the Last medium choice.

    Blank means the medium the plan chose (rule 11: Phone when calling), else Email.
    """
    m = text(medium)
    if not m:
        planned = text((plan_row or {}).get("medium")).lower()
        return _PLANNED_MEDIUM.get(planned, "Email")
    for choice in MEDIUMS:
        if choice.lower() == m.lower():
            return choice
    raise UsageError(
        f"{m!r} is not a medium.", hint="Use one of: " + ", ".join(c.lower() for c in MEDIUMS) + "."
    )


def _describe(row: Mapping[str, Any]) -> str:
    ident = text(row.get("id"))
    company = text(row.get("company"))
    who = f"Row {ident}" if ident else f"Row {text(row.get('_row')) or '?'}"
    return f"{who} ({company})" if company else who


def follow_ups_this_round(row: Mapping[str, Any]) -> int:
    """Follow-ups sent in this round: blank is 0, and an earlier round's (L < I) count is 0.

    A send records the next one; a draft says which one it is (its ``attempt``).
    """
    n = as_count(row.get("follow_ups_sent"))
    last, interview = as_date(row.get("last_follow_up")), as_date(row.get("interview_at"))
    if last is not None and interview is not None and last < interview:
        return 0
    return n


def record(
    row: Mapping[str, Any], plan_row: Mapping[str, Any], *, on: dt.date, medium: str | None
) -> dict[str, Any]:
    """The user-column updates (canonical column name -> value) for having sent the next message.

    ``row`` is the tracker frame's row, ``plan_row`` its plan (``next_action``, ``medium``),
    ``on`` the day it was sent, ``medium`` email/phone/linkedin/other (blank: the planned one).
    Raises :class:`UsageError` when the row has nothing to send.
    """
    action = text(plan_row.get("next_action"))
    if not action or action == PREPARE:
        why = (
            f"its next action is {action!r}: the interview has not happened yet"
            if action
            else "it has no next action"
        )
        raise UsageError(
            f"{_describe(row)}: nothing to record, because {why}.",
            hint="Run `followsync run` to see which rows have a message to send.",
        )
    if action not in _DONE:
        raise UsageError(f"{_describe(row)}: followsync does not know the next action {action!r}.")
    updates: dict[str, Any] = {}
    if action == THANK_YOU:
        updates["Thank-you sent"] = on
    elif action == REJECTION:
        updates["Rejection reply sent"] = on
    else:
        updates["Follow-ups sent"] = follow_ups_this_round(row) + 1
        updates["Last follow-up"] = on
    updates["Last medium"] = medium_choice(medium, plan_row)
    return updates


def what_happened(plan_row: Mapping[str, Any], updates: Mapping[str, Any] | None = None) -> str:
    """The History's words for a send: 'Sent a friendly reminder (follow-up 2)'."""
    action = text(plan_row.get("next_action"))
    done = _DONE.get(action, action)
    if updates and "Follow-ups sent" in updates:
        done += f" (follow-up {updates['Follow-ups sent']})"
    return done


def history_entry(
    row: Mapping[str, Any],
    plan_row: Mapping[str, Any] | None = None,
    *,
    on: dt.date,
    medium: str | None = None,
    message: str = "",
    what: str | None = None,
    updates: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """One row for the History worksheet (:data:`HISTORY_COLUMNS`).

    For a send, pass ``plan_row`` (and the ``updates`` from :func:`record`, to number the
    follow-up); the medium defaults to the planned one. For anything else, such as a status
    change ``run`` noticed, pass ``what`` ('Status: Waiting -> Rejected') and no plan row.
    """
    if what is None:
        if plan_row is None:
            raise ValueError("history_entry needs either plan_row (a send) or what")
        what = what_happened(plan_row, updates)
        medium_text = medium_choice(medium, plan_row)
    else:
        medium_text = medium_choice(medium, plan_row) if (medium or plan_row is not None) else ""
    return {
        "Date": on,
        "ID": text(row.get("id")),
        "Company": text(row.get("company")),
        "What happened": what,
        "Medium": medium_text,
        "Message": message or "",
    }


@dataclass(frozen=True)
class Send:
    """A message the person says they sent: ``followsync sent ID`` or a Mark sent tick.

    With ``reply``, an answer they got instead (``followsync replied ID``): Response on, and
    ``status`` (one of :data:`~followsync.core.schema.STATUSES`) when given.
    """

    medium: str | None = None
    on: dt.date | None = None
    reply: bool = False
    status: str | None = None
    tick: ticks.SendDay | None = None  # a Mark sent alone: how its day ``on`` was found


def status_choice(given: str) -> str:
    """A Status as typed (any case, or the start of one: "next" is Next round), or UsageError."""
    wanted = " ".join(given.split()).lower()
    exact = [s for s in schema.STATUSES if s.lower() == wanted]
    found = exact or [s for s in schema.STATUSES if wanted and s.lower().startswith(wanted)]
    if len(found) == 1:
        return found[0]
    which = "could be " + " or ".join(found) if found else "is not a Status"
    raise UsageError(f"{given!r} {which}.", hint="Use one of: " + ", ".join(schema.STATUSES) + ".")


def _record_reply(row: Mapping[str, Any], send: Send, on: dt.date, out: Recorded) -> dict[str, Any]:
    """Response on (and Status when given) for an answer, its History row added to ``out``."""
    updates: dict[str, Any] = {"Response on": on}
    if send.status:
        updates["Status"] = send.status
    what = REPLIED + (f"; Status set to {send.status}" if send.status else "")
    out.history.append(history_entry(row, on=on, what=what, medium=send.medium))
    return updates


@dataclass
class Recorded:
    """What :func:`record_sends` did: the grid with the sends laid in, and what to write."""

    grid: list[list[Any]]
    writes: list[CellWrite] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: History entries (by position) of rows whose ID was blank, with the row's grid index:
    #: the run names them once it has given those rows their IDs (:meth:`name_new_rows`).
    unnamed: dict[int, int] = field(default_factory=dict)

    def name_new_rows(self, ids_by_index: Mapping[int, str]) -> None:
        """Put each new row's ID (as the run gives it, by grid index) into its History entries."""
        for at, index in self.unnamed.items():
            self.history[at]["ID"] = ids_by_index.get(index, "")


class UserCells:
    """A run's edits to the person's own cells: laid into a copy of the grid (so the rules then
    see them), listed as writes, a missing column added right of the header.

    Recording sends and applying Accept inbox both fill in a person's cells this way.
    """

    def __init__(self, tracker: schema.Tracker, snapshot: Snapshot) -> None:
        self._tracker, self._snapshot = tracker, snapshot
        self.grid = [list(r) for r in snapshot.grid]
        self._positions = dict(tracker.header.positions)
        self._width = tracker.header.width
        self.writes: list[CellWrite] = []
        self.columns: list[str] = []

    def put(self, index: int, ident: str | None, updates: dict[str, Any]) -> None:
        """Set ``updates`` (column name -> value) on grid row ``index``, the row whose ID is ``ident``."""
        # A row without an ID is found at write time by its place and its user cells as read.
        positions = self._tracker.header.positions
        ref = RowRef(
            ident,
            index,
            () if ident else row_fingerprint(self._snapshot.grid[index], positions),
            handle=self._snapshot.handles.get(index),
        )
        for name, value in updates.items():
            if name not in self._positions:
                self._positions[name] = self._width
                self._width += 1
                self.columns.append(name)
            put_cell(self.grid, index, self._positions[name], value)
            self.writes.append(CellWrite(ref, name, value))

    def done(self) -> list[list[Any]]:
        """The grid with every edit in, and a header cell for each column added."""
        for name in self.columns:
            put_cell(self.grid, self._tracker.header.row, self._positions[name], name)
        return self.grid


def record_sends(
    tracker: schema.Tracker,
    snapshot: Snapshot,
    config: Config,
    now: dt.datetime,
    sends: dict[str, Send],
    previous: ticks.PreviousRun | None = None,
) -> Recorded:
    """Record each ticked Mark sent and each ``sends`` entry (by ID) as sent.

    A Mark sent is recorded on the date typed in it, else on the day :func:`ticks.send_day`
    gives from the ``previous`` run (the run's notes and History say which).

    Returns the grid with the user cells updated (so the rules then see the send), the user
    cell writes (the send's dates, count and medium, and the cleared tick), and History rows.
    These are the only writes to a person's columns besides a blank ID.
    """
    frame = tracker.frame
    marked = frame["mark_sent"].fillna(False).to_numpy(dtype=bool)
    wanted = {k.lower(): (k, v) for k, v in sends.items()}
    out = Recorded(grid=snapshot.grid)
    todo = _rows_to_record(tracker, marked, wanted)
    if not todo:
        return out
    plan = rules_mod.plan(frame, now, config.rules, config.language)
    edits = UserCells(tracker, snapshot)
    for i in todo:
        index = int(frame["_index"].iat[i])
        ident = frame["id"].iat[i] or None
        send = wanted.get((ident or "").lower(), (None, None))[1]
        if send is None:  # a Mark sent alone: its day is the typed one, or the tick's
            day = _tick_day(frame, i, now, previous, config)
            send = Send(on=day.day, tick=day)
        edits.put(index, ident, _record_row(frame, plan, i, bool(marked[i]), send, now, out))
    out.grid, out.writes, out.columns = edits.done(), edits.writes, edits.columns
    return out


def _tick_day(
    frame: pd.DataFrame, i: int, now: dt.datetime, previous: ticks.PreviousRun | None, config: Config
) -> ticks.SendDay:
    """The day the Mark sent on the row at frame position ``i`` is recorded on."""
    typed = frame["mark_sent_on"].iat[i] if "mark_sent_on" in frame else None
    today = now.date()
    off = config.rules.holiday_dates({today.year - 1, today.year}) if config.rules.holidays else ()
    return ticks.send_day(
        as_date(typed),
        today,
        previous,
        frame["id"].iat[i] or None,
        skip_weekends=config.rules.skip_weekends,
        off=off,
    )


def _rows_to_record(
    tracker: schema.Tracker, marked: np.ndarray, wanted: dict[str, tuple[str, Send]]
) -> list[int]:
    """The frame positions of the rows to record: ticked, or named in ``wanted`` (by lower-cased
    ID). A named ID on several rows, or on none, is a UsageError: nothing is recorded. A tick on
    a row whose ID is on another row too (a copied row) is left alone, tick and all, until the
    person fixes the ID (the Problem of ``compute.repeated_ids`` says so): its writes could not
    find their row, so it would be recorded again on every run."""
    ids = [(v or "").lower() for v in tracker.frame["id"].tolist()]
    counts = Counter(ids)
    found = set()
    todo = []
    # Only the ticked rows and those ``wanted`` names can be recorded: a quiet day has none
    # (issue 17), so the rows are not walked one by one. In row order, as the rows are.
    named = [i for i, ident in enumerate(ids) if ident and ident in wanted] if wanted else []
    for i in sorted({*np.flatnonzero(marked).tolist(), *named}):
        ident = ids[i]
        if marked[i] and ident and counts[ident] > 1 and ident not in wanted:
            continue
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
        raise UsageError(
            f"No row with ID {', '.join(map(repr, missing))} in sheet {tracker.sheet!r}.",
            hint="IDs are in the tracker's ID column; `followsync run` fills blank ones.",
        )
    return todo


def _record_row(
    frame: pd.DataFrame, plan: pd.DataFrame, i: int, marked: bool, send: Send, now: dt.datetime, out: Recorded
) -> dict[str, Any]:
    """The user-cell updates for the send on the row at frame position ``i``, its History row
    added to ``out``. A tick on a row with nothing to send is cleared, with a note."""
    if not frame["id"].iat[i]:  # the run gives the row its ID after this: name_new_rows puts it in
        before = len(out.history)
        updates = _record_row_entries(frame, plan, i, marked, send, now, out)
        out.unnamed.update({at: int(frame["_index"].iat[i]) for at in range(before, len(out.history))})
        return updates
    return _record_row_entries(frame, plan, i, marked, send, now, out)


def _record_row_entries(
    frame: pd.DataFrame, plan: pd.DataFrame, i: int, marked: bool, send: Send, now: dt.datetime, out: Recorded
) -> dict[str, Any]:
    ident = frame["id"].iat[i] or None
    row = frame.iloc[i].to_dict()
    plan_row = plan.iloc[i].to_dict()
    if send.reply:
        updates = _record_reply(dict(row, id=ident or ""), send, send.on or now.date(), out)
        return dict(updates, **({"Mark sent": None} if marked else {}))
    try:
        updates = record(row, plan_row, on=send.on or now.date(), medium=send.medium)
    except UsageError as e:
        if not marked:
            raise
        out.notes.append(
            f"Row {int(frame['_row'].iat[i])}: Mark sent is ticked, but {e.message.split(': ', 1)[-1]} Cleared the tick."
        )
        updates = {}
    message = row.get("draft_message") if not is_blank(row.get("draft_message")) else ""
    if updates:
        entry_row = dict(row, id=ident or "")
        entry = history_entry(
            entry_row,
            plan_row,
            on=send.on or now.date(),
            medium=updates.get("Last medium"),
            message=str(message or ""),
            updates=updates,
        )
        if send.tick is not None:
            entry["What happened"] += f" ({ticks.history_words(send.tick)})"
            dated = next(c for c in _DATED if c in updates)
            out.notes.append(ticks.explain(_describe(entry_row), send.tick, dated))
        out.history.append(entry)
    if marked:
        updates["Mark sent"] = None
    return updates
