"""The figures a career coach looks at: the Summary worksheet and the report are made of them.

:func:`compute` is pure: the typed frame, its plan, the computed columns, ``now`` and the
History rows in, a :class:`Summary` out. :func:`to_grid` lays a Summary out as a worksheet.

Definitions (each figure is pinned down by a test):

- *Applications by status*: every row counts once, under its Status, or under the status
  inferred from its dates when the cell is blank (RULES.md section 3: Interviewed when the
  interview is today or past, Interview scheduled when it is ahead, Applied otherwise).
- *Interviews this month*: rows whose Interview at falls in today's calendar month, held or
  still ahead (``interviews_ahead`` counts the latter). A row holds only its latest round, so
  an earlier round that month is not counted.
- *Thank-you notes within 24 hours*: of the interviews held whose window has closed (the
  24 hours, ``thank_you_hours``, are over) or that were already thanked, how many have a
  Thank-you sent on or before the day the window ends. Thank-you sent is a date, so "within
  24 hours" is read to the day, as the rules read it.
- *Follow-ups sent*: the sum of Follow-ups sent over all rows (earlier rounds included).
- *Response rate after n follow-ups*: of the rows whose interview has happened and that have
  sent exactly ``n`` follow-ups in this round (n = 0: the thank-you note only), how many got
  an answer since the interview (Response on on or after the Interview at day). A row that
  stopped at n because the employer answered counts as a response after the n-th follow-up.
- *Overdue actions*: rows whose action's due day is before today (the ``overdue`` colour).
- *The week's due list*: actions due today or in the six days after.
- *Per ISO week*: applications (Applied on), interviews (Interview at) and messages sent
  (thank-you notes, follow-ups, rejection replies: from the tracker's dates and the History,
  each send counted once) per ISO week, from the first week with activity (at most ``weeks``
  weeks back) to this week, or up to four weeks ahead when interviews are scheduled then.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from operator import attrgetter
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..core import cells, schema

if TYPE_CHECKING:
    from ..core.compute import Computed

# What a History row's "What happened" starts with, by the kind of event it records
# (sending.py's words).
_HISTORY_KINDS = (
    ("Sent the thank-you", "thank_you"),
    ("Followed up", "follow_up"),
    ("Sent a friendly reminder", "follow_up"),
    ("Sent the final note", "follow_up"),
    ("Replied to the rejection", "rejection_reply"),
)
SENT_KINDS = frozenset({"thank_you", "follow_up", "rejection_reply"})
KIND_LABELS = {
    "applied": "Applied",
    "interview": "Interview",
    "thank_you": "Thank-you note",
    "follow_up": "Follow-up",
    "response": "Response",
    "rejection_reply": "Rejection reply",
    "note": "Note",
    "next": "Next",
}
INTERVIEWED_STATUSES = frozenset({"Interviewed", "Next round", "Offer", "Accepted"})
OFFER_STATUSES = frozenset({"Offer", "Accepted"})
WEEK_DAYS = 7  # the due list covers today and the six days after
WEEKS_AHEAD = 4


@dataclass(frozen=True)
class ActionLine:
    """One row's next action, for the overdue and due lists."""

    row: int
    id: str
    company: str
    job_title: str
    next_action: str
    due: dt.date
    reminder: str
    days_overdue: int = 0


@dataclass(frozen=True)
class FollowUpRate:
    """Rows that sent exactly ``follow_ups`` follow-ups, and how many of them got an answer."""

    follow_ups: int
    applications: int
    responded: int

    @property
    def rate(self) -> float | None:
        return self.responded / self.applications if self.applications else None


@dataclass(frozen=True)
class WeekCount:
    """Activity in one ISO week."""

    week: str  # "2026-W48"
    monday: dt.date
    applications: int
    interviews: int
    messages: int


@dataclass(frozen=True)
class TimelineEvent:
    on: dt.date
    kind: str  # a key of KIND_LABELS
    label: str


@dataclass(frozen=True)
class Timeline:
    """One application's history, oldest first, and its next action (``kind`` "next")."""

    row: int
    id: str
    company: str
    job_title: str
    status: str
    events: tuple[TimelineEvent, ...]

    @property
    def last_activity(self) -> dt.date | None:
        done = [e.on for e in self.events if e.kind != "next"]
        return max(done) if done else None


class _MadeWhenRead:
    """:attr:`Summary.timelines`, made the first time it is read (issue 17): a run reads only the
    figures (the Summary worksheet, the digest), and 50,000 timelines took a third of a second.
    It is given a tuple, or a function making the tuple from the inputs of the figures (which
    nothing changes after :func:`compute`); read, it is that tuple (equality, repr and
    ``dataclasses.replace`` read it too), so the Summary is the same either way."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.slot = name  # kept in the instance's __dict__ by the field's own name (so pickles match)

    def __get__(self, summary: Any, owner: type | None = None) -> tuple[Timeline, ...]:
        if summary is None:
            return ()  # the class's: the field's default
        value = summary.__dict__[self.slot]
        if callable(value):
            value = summary.__dict__[self.slot] = value()
        return value

    def __set__(self, summary: Any, value: tuple[Timeline, ...] | Callable[[], tuple[Timeline, ...]]) -> None:
        summary.__dict__[self.slot] = value


@dataclass(frozen=True)
class Summary:
    """Every figure of the Summary worksheet and the coaching report."""

    today: dt.date
    applications: int
    by_status: dict[str, int]  # in schema.STATUSES order, statuses with no rows left out
    inferred_statuses: int  # rows whose Status cell was blank
    funnel: dict[str, int]  # Applied, Interviewed, Offer
    interviews_this_month: int
    interviews_ahead: int  # of those, still to come
    thank_you_on_time: int
    thank_you_expected: int
    thank_you_sent: int  # this round's thank-you notes sent at all
    follow_ups_sent: int
    response_rates: tuple[FollowUpRate, ...]
    overdue: tuple[ActionLine, ...]
    due_this_week: tuple[ActionLine, ...]
    weeks: tuple[WeekCount, ...]
    timelines: _MadeWhenRead = _MadeWhenRead()

    @property
    def thank_you_share(self) -> float | None:
        return self.thank_you_on_time / self.thank_you_expected if self.thank_you_expected else None

    @property
    def offers(self) -> int:
        return self.funnel.get("Offer", 0)


# --------------------------------------------------------------------------------------
# Computing


def cells_of(computed: Computed | pd.DataFrame | None) -> pd.DataFrame | None:
    """The owned columns by name, from ``sync.compute``'s result or the frame itself."""
    if computed is None or isinstance(computed, pd.DataFrame):
        return computed
    return computed.cells


def history_kind(what_happened: str) -> str:
    """The kind of a History row's event: thank_you, follow_up, rejection_reply, or note."""
    text = cells.text(what_happened)
    for prefix, kind in _HISTORY_KINDS:
        if text.startswith(prefix):
            return kind
    return "note"


def iso_week(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _days(column: pd.Series) -> list[dt.date | None]:
    """:func:`cells.as_date` of every value of a column; a datetime column is converted all at once."""
    if isinstance(column.dtype, np.dtype) and column.dtype.kind == "M":
        # numpy makes the days (None for NaT) at once, flooring as .dt.date does (no time zone)
        return column.to_numpy().astype("datetime64[D]").tolist()
    if column.dtype.kind == "M":
        return [
            None if gone else day
            for day, gone in zip(column.dt.date.tolist(), column.isna().tolist(), strict=True)
        ]
    return [cells.as_date(v, parse=True) for v in column.tolist()]


def _counts(column: pd.Series) -> list[int]:
    """:func:`cells.as_count` of every value of a column (blanks are 0)."""
    if pd.api.types.is_integer_dtype(column.dtype):
        return column.fillna(0).astype("int64").tolist()
    return [cells.as_count(v) for v in column.tolist()]


@dataclass(frozen=True)
class _Columns:
    """The columns :func:`compute` reads, each once, as plain lists: per-row pandas access is slow."""

    today: dt.date
    ids: list[str]
    rows: list[int]
    company: list[str]
    job: list[str]
    raw_status: list[str]
    status: list[str]
    interview: list[dt.date | None]
    applied: list[dt.date | None]
    thanked: list[dt.date | None]
    last: list[dt.date | None]
    response: list[dt.date | None]
    rejection_reply: list[dt.date | None]
    counts: list[int]
    actions: list[str]
    dues: list[dt.date | None]
    reminders: list[str]
    held: list[bool]  # the interview is today or past

    @classmethod
    def read(
        cls, frame: pd.DataFrame, plan: pd.DataFrame, computed: pd.DataFrame | None, today: dt.date
    ) -> _Columns:
        interview = _days(frame["interview_at"])
        return cls(
            today=today,
            ids=cells.texts(computed["ID"] if computed is not None else frame["id"]),
            rows=[int(v) for v in frame["_row"].tolist()],
            company=cells.texts(frame["company"]),
            job=cells.texts(frame["job_title"]),
            raw_status=cells.texts(frame["status"]),
            status=cells.texts(plan["status"]),
            interview=interview,
            applied=_days(frame["applied_on"]),
            thanked=_days(frame["thank_you_sent"]),
            last=_days(frame["last_follow_up"]),
            response=_days(frame["response_on"]),
            rejection_reply=_days(frame["rejection_reply_sent"]),
            counts=_counts(frame["follow_ups_sent"]),
            actions=cells.texts(plan["next_action"]),
            dues=_days(plan["due"]),
            reminders=cells.texts(plan["reminder"]),
            held=[i is not None and i <= today for i in interview],
        )


def compute(
    frame: pd.DataFrame,
    plan: pd.DataFrame,
    computed: pd.DataFrame | None,
    now: dt.datetime,
    history: Iterable[Mapping[str, Any]] = (),
    *,
    thank_you_hours: int = 24,
    weeks: int = 12,
) -> Summary:
    """The Summary of one tracker (see the module's docstring for each definition).

    ``frame`` is ``schema.Tracker.frame``, ``plan`` is ``rules.plan(frame, now, rules)``,
    ``computed`` what ``sync.compute`` returned (for the IDs it gave blank rows; None uses the
    frame's), ``history`` the History worksheet's rows as dicts (Date, ID, Company, What
    happened, Medium, Message). ``thank_you_hours`` is ``[rules] thank_you_hours``.
    """
    today = now.date()
    c = _Columns.read(frame, plan, cells_of(computed), today)
    this_month = [i is not None and (i.year, i.month) == (today.year, today.month) for i in c.interview]
    on_time, expected, sent = _thank_you_notes(c, frame["interview_at"], thank_you_hours)
    overdue, due_week = _action_lines(c)
    statuses = Counter(c.status)
    event = _Events()
    from_history = _history_events(c, history, event)
    per_week = _weeks(_tallies(c, from_history), today, weeks)
    return Summary(
        today=today,
        applications=len(frame),
        by_status={s: statuses[s] for s in schema.STATUSES if statuses[s]},
        inferred_statuses=c.raw_status.count(""),  # texts: a blank is ""
        funnel=_funnel(c),
        interviews_this_month=sum(this_month),
        interviews_ahead=sum(1 for m, h in zip(this_month, c.held, strict=True) if m and not h),
        thank_you_on_time=on_time,
        thank_you_expected=expected,
        thank_you_sent=sent,
        follow_ups_sent=sum(c.counts),
        response_rates=_follow_up_rates(c),
        overdue=tuple(sorted(overdue, key=lambda a: (a.due, a.row))),
        due_this_week=tuple(sorted(due_week, key=lambda a: (a.due, a.row))),
        weeks=per_week,
        timelines=partial(_timelines, c, from_history, event),
    )


def _funnel(c: _Columns) -> dict[str, int]:
    """Applied, Interviewed, Offer: every row, those interviewed, those with an offer."""
    return {
        "Applied": len(c.rows),
        "Interviewed": sum(
            1 for h, s in zip(c.held, c.raw_status, strict=True) if h or s in INTERVIEWED_STATUSES
        ),
        "Offer": sum(1 for s in c.raw_status if s in OFFER_STATUSES),
    }


def _thank_you_notes(c: _Columns, interview_at: pd.Series, thank_you_hours: int) -> tuple[int, int, int]:
    """Thank-you notes on time, expected, and sent at all: this round's (on or after the
    interview day), within the window."""
    window = pd.Timedelta(hours=thank_you_hours)
    if interview_at.dtype.kind == "M":
        deadlines = _days(interview_at + window)
    else:
        deadlines = [
            (pd.Timestamp(v) + window).date() if h else None
            for v, h in zip(interview_at, c.held, strict=True)
        ]
    on_time = expected = sent = 0
    for h, i, t, deadline in zip(c.held, c.interview, c.thanked, deadlines, strict=True):
        if not h or i is None or deadline is None:  # held: both are known
            continue
        this_round = t is not None and t >= i
        sent += this_round
        if this_round or deadline < c.today:
            expected += 1
            on_time += this_round and t is not None and t <= deadline
    return on_time, expected, sent


def _follow_up_rates(c: _Columns) -> tuple[FollowUpRate, ...]:
    """The response rate after each number of follow-ups, of the rows interviewed."""
    # Follow-ups before the latest interview belong to an earlier round (RULES.md section 2).
    rates: dict[int, list[int]] = {}
    for h, i, lf, n, r in zip(c.held, c.interview, c.last, c.counts, c.response, strict=True):
        if h and i is not None:
            tally = rates.setdefault(0 if lf is not None and lf < i else n, [0, 0])
            tally[0] += 1
            tally[1] += r is not None and r >= i
    return tuple(FollowUpRate(f, a, r) for f, (a, r) in sorted(rates.items()))


def _action_lines(c: _Columns) -> tuple[list[ActionLine], list[ActionLine]]:
    """The actions overdue, and those due today or in the six days after."""
    overdue, due_week = [], []
    today = c.today
    week_end = today + dt.timedelta(days=WEEK_DAYS)
    for k, (action, due) in enumerate(zip(c.actions, c.dues, strict=True)):
        if not action or due is None:
            continue
        line = (c.rows[k], c.ids[k], c.company[k], c.job[k], action, due, c.reminders[k])
        if due < today:
            overdue.append(ActionLine(*line, (today - due).days))
        elif due < week_end:
            due_week.append(ActionLine(*line))
    return overdue, due_week


class _Events:
    """Makes timeline events. Events are immutable and trackers repeat days: each distinct
    event is made once, and shared."""

    def __init__(self) -> None:
        self.made: dict[tuple[dt.date, str, str], TimelineEvent] = {}

    def __call__(self, on: dt.date, kind: str, label: str) -> TimelineEvent:
        shared = self.made.get((on, kind, label))
        if shared is None:
            shared = self.made[on, kind, label] = TimelineEvent(on, kind, label)
        return shared


def _row_events(c: _Columns, k: int, event: _Events) -> list[TimelineEvent]:
    """Row ``k``'s events from its own dates."""
    n = c.counts[k]
    dated = [
        (c.applied[k], "applied", "Applied"),
        (c.interview[k], "interview", "Interview" if c.held[k] else "Interview (scheduled)"),
        (c.thanked[k], "thank_you", "Thank-you note"),
        (c.last[k], "follow_up", f"Follow-up {n}" if n else "Follow-up"),
        (c.response[k], "response", "Response"),
        (c.rejection_reply[k], "rejection_reply", "Rejection reply"),
    ]
    return [event(on, kind, label) for on, kind, label in dated if on is not None]


def _history_events(
    c: _Columns, history: Iterable[Mapping[str, Any]], event: _Events
) -> dict[int, list[TimelineEvent]]:
    """The History's events by row (by ID), less those the row's dates have (the same day and
    kind) and those said twice."""
    row_of_id = {ident.lower(): k for k, ident in enumerate(c.ids) if ident}
    added: dict[int, list[TimelineEvent]] = {}
    for entry in history:
        k = row_of_id.get(cells.text(entry.get("ID")).lower())
        on = cells.as_date(entry.get("Date"), parse=True)
        if k is None or on is None:
            continue
        what = cells.text(entry.get("What happened"))
        kind = history_kind(what)
        known = added.setdefault(k, [])
        if any(e.on == on and e.kind == kind for e in [*_row_events(c, k, event), *known]):
            continue
        known.append(event(on, kind, what or KIND_LABELS[kind]))
    return added


def _timelines(
    c: _Columns, from_history: dict[int, list[TimelineEvent]], event: _Events
) -> tuple[Timeline, ...]:
    """Each application's timeline: its dates' events, then the History's, and its next action."""
    timelines = []
    for k in range(len(c.rows)):
        planned = _row_events(c, k, event) + from_history.get(k, [])
        due = c.dues[k]
        if c.actions[k] and due is not None:
            planned.append(event(due, "next", c.actions[k]))
        # Oldest first, the next action after the events of its day: the sort is stable and
        # the next action comes last, so sorting by day alone orders it so.
        planned.sort(key=_on)
        timelines.append(Timeline(c.rows[k], c.ids[k], c.company[k], c.job[k], c.status[k], tuple(planned)))
    return tuple(timelines)


_on = attrgetter("on")
_WEEK_COLUMNS = {"applied": 0, "interview": 1, **{kind: 2 for kind in SENT_KINDS}}


def _tallies(c: _Columns, from_history: dict[int, list[TimelineEvent]]) -> dict[dt.date, list[int]]:
    """Applications, interviews and messages sent per Monday: every timeline's events, counted
    from the columns without making the timelines (each distinct day once: trackers repeat days)."""
    tallies: dict[dt.date, list[int]] = {}

    def count(kind: str, days: Mapping[dt.date | None, int]) -> None:
        column = _WEEK_COLUMNS.get(kind)
        if column is None:
            return  # a Response: not an activity of the person's
        for on, n in days.items():
            if on is not None:
                tallies.setdefault(_monday(on), [0, 0, 0])[column] += n

    count("applied", Counter(c.applied))
    count("interview", Counter(c.interview))
    count("thank_you", Counter(c.thanked))
    count("follow_up", Counter(c.last))
    count("rejection_reply", Counter(c.rejection_reply))
    for events in from_history.values():
        for e in events:
            count(e.kind, {e.on: 1})
    return tallies


def _weeks(tallies: dict[dt.date, list[int]], today: dt.date, weeks: int) -> tuple[WeekCount, ...]:
    this_week = _monday(today)
    earliest = this_week - dt.timedelta(weeks=max(weeks, 1) - 1)
    start = max(earliest, min(tallies, default=this_week))
    start = min(start, this_week)
    ahead = [
        m for m, t in tallies.items() if t[1] and this_week < m <= this_week + dt.timedelta(weeks=WEEKS_AHEAD)
    ]
    end = max(ahead, default=this_week)
    out = []
    monday = start
    while monday <= end:
        a, i, m = tallies.get(monday, (0, 0, 0))
        out.append(WeekCount(iso_week(monday), monday, a, i, m))
        monday += dt.timedelta(weeks=1)
    return tuple(out)


def percent(value: float | None) -> str:
    """0.75 -> '75%'; None (nothing to divide) -> '-'."""
    return "-" if value is None else f"{round(value * 100)}%"
