"""An iCalendar file of the actions that are due: one all-day event per action.

``followsync calendar -o followups.ics`` (and ``[calendar] path``, refreshed by every run)
writes what :func:`write` makes. The file is meant to be imported into, or subscribed to
from, Google Calendar, Outlook or Apple Calendar, so it keeps to what their importers need
(RFC 5545 as they read it): one ``VCALENDAR`` with ``PRODID`` and ``VERSION:2.0``, and on
every ``VEVENT`` a ``UID``, a ``DTSTAMP`` in UTC, and all-day ``DTSTART``/``DTEND`` as
``VALUE=DATE``.

Updating in place: an event's UID is a hash of the tracker's name, the row's ID and the
action, so the same action on the same row keeps its UID from run to run and a subscribing
calendar moves the event instead of adding a second one. When the action is done (the row's
Next action changes or goes blank) its UID is no longer in the file and the event disappears.
When an event's content changes, :func:`write` raises its ``SEQUENCE`` above the one in the
previous file, which is what importers use to tell a newer copy of an event from an older one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from icalendar import Alarm, Calendar, Component, Event

from ..core.cells import texts
from ..errors import UsageError
from .files import atomic_write
from .summary import cells_of

if TYPE_CHECKING:
    from .results import Outcome

log = logging.getLogger("followsync")

PRODID = "-//followsync//followsync//EN"
UID_DOMAIN = "followsync"
CALENDAR_NAME = "Job follow-ups (followsync)"
# The alarm fires this long after the start of the all-day event, i.e. at 09:00 local time.
ALARM_AFTER_START = dt.timedelta(hours=9)

# A short title per Next action (rules.LABELS); an unknown action is used as it is.
SHORT_LABELS = {
    "Send thank-you note": "Thank-you note",
    "Follow up": "Follow up",
    "Send a friendly reminder": "Friendly reminder",
    "Call or try another contact": "Call or try another contact",
    "Send a final note and move on": "Final note",
    "Reply to the rejection": "Reply to the rejection",
    "Prepare: ask about the timeline": "Interview: ask about the timeline",
}


@dataclass(frozen=True)
class CalendarItem:
    """One due action of one row: what an event is made from.

    ``tracker`` names the tracker (the ``[[trackers]]`` name, or its location) so that two
    trackers with the same row ID never share a UID.
    """

    tracker: str
    id: str
    company: str
    job_title: str
    next_action: str
    due: dt.date
    reminder: str = ""
    draft_subject: str = ""
    draft_message: str = ""
    row: int | None = None
    at: dt.datetime | None = None  # an interview's start (in UTC): a timed event, not an all-day one

    @property
    def uid(self) -> str:
        return event_uid(self.tracker, self.id, self.next_action)

    def title_on(self, today: dt.date) -> str:
        """The title on ``today``: an overdue action says so (it is shown on today)."""
        if self.at is None and self.due < today:
            return f"{self.title} (overdue since {self.due:%a %d %b})"
        return self.title

    @property
    def title(self) -> str:
        label = SHORT_LABELS.get(self.next_action, self.next_action)
        if self.at is not None:
            label = "Interview"
        company = self.company or self.id or "an application"
        return f"{label}: {company} ({self.job_title})" if self.job_title else f"{label}: {company}"

    @property
    def description(self) -> str:
        reminder = timeless(self.reminder)
        parts = [reminder] if reminder else []
        if self.draft_subject or self.draft_message:
            draft = ["Draft"]
            if self.draft_subject:
                draft.append(f"Subject: {self.draft_subject}")
            if self.draft_message:
                draft += ["", self.draft_message]
            parts.append("\n".join(draft))
        where = f"Tracker: {self.tracker}, row ID {self.id}" if self.tracker else f"Row ID {self.id}"
        if self.row is not None:
            where += f" (sheet row {self.row})"
        parts.append(where)
        return "\n\n".join(parts)


_URGENCY = re.compile(r"^(?:Overdue[^:]*|Due [^:]*):\s*")


def timeless(reminder: str) -> str:
    """A Reminder without its 'Due tomorrow: ' lead, which is wrong once the day comes."""
    rest = _URGENCY.sub("", reminder or "", count=1)
    return rest[:1].upper() + rest[1:]


def event_uid(tracker: str, row_id: str, next_action: str) -> str:
    """A UID that stays the same for the same tracker, row ID and action, run after run."""
    digest = hashlib.sha256(f"{tracker}\x1f{row_id}\x1f{next_action}".encode()).hexdigest()[:24]
    return f"{digest}@{UID_DOMAIN}"


def items_from(
    tracker: str, frame: pd.DataFrame, computed: pd.DataFrame, now: dt.datetime | None = None
) -> list[CalendarItem]:
    """The calendar items of one tracker: every row with a Next action and a Due date, and
    (given ``now``) every interview ahead with its time.

    ``frame`` is ``schema.Tracker.frame``; ``computed`` is what ``sync.compute`` returned for
    it (columns by name: ID, Next action, Due, Reminder, Draft subject, Draft message).
    """
    computed = cells_of(computed)
    # Each column is read once into a list: per-row pandas access is slow.
    actions = texts(computed["Next action"])
    due = computed["Due"]
    wanted = [bool(action) and not gone for action, gone in zip(actions, due.isna().tolist(), strict=True)]
    if due.dtype.kind == "M":
        days = due.dt.date.tolist()
    else:
        days = [pd.Timestamp(d).date() if w else None for d, w in zip(due.tolist(), wanted, strict=True)]
    ids = texts(computed["ID"])
    company = texts(frame["company"])
    job = texts(frame["job_title"])
    reminders = texts(computed["Reminder"])
    blank = [""] * len(frame)
    subjects = texts(computed["Draft subject"]) if "Draft subject" in computed else blank
    messages = texts(computed["Draft message"]) if "Draft message" in computed else blank
    rows = [int(r) for r in frame["_row"].tolist()]
    interviews = interviews_from(tracker, frame, ids, now) if now is not None else []
    return interviews + [
        CalendarItem(
            tracker=tracker,
            id=ids[k],
            company=company[k],
            job_title=job[k],
            next_action=actions[k],
            due=days[k],
            reminder=reminders[k],
            draft_subject=subjects[k],
            draft_message=messages[k],
            row=rows[k],
        )
        for k, w in enumerate(wanted)
        if w
    ]


def _event(item: CalendarItem, stamp: dt.datetime, sequence: int, today: dt.date) -> Event:
    event = Event()
    event.add("uid", item.uid)
    event.add("dtstamp", stamp)
    if item.at is not None:  # the interview itself: a busy, timed hour
        event.add("dtstart", item.at)
        event.add("dtend", item.at + INTERVIEW_LENGTH)
    else:
        day = max(item.due, today)  # an overdue action is on today, where it is seen
        event.add("dtstart", day)
        # DTEND of an all-day event is exclusive: the day after.
        event.add("dtend", day + dt.timedelta(days=1))
        # A reminder to act on, not a meeting: it must not mark the day as busy.
        event.add("transp", "TRANSPARENT")
    event.add("summary", item.title_on(today))
    event.add("description", item.description)
    if sequence:
        event.add("sequence", sequence)
    event.add("categories", ["Job search"])
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", item.title_on(today))
    trigger = -INTERVIEW_ALARM_BEFORE if item.at is not None else ALARM_AFTER_START
    alarm.add("trigger", trigger, parameters={"RELATED": "START"})
    event.add_component(alarm)
    return event


INTERVIEW = "Interview"  # an interview event's next_action (and its UID's)
INTERVIEW_LENGTH = dt.timedelta(hours=1)
INTERVIEW_ALARM_BEFORE = dt.timedelta(hours=1)


def interviews_from(tracker: str, frame: pd.DataFrame, ids: list[str], now: dt.datetime) -> list[CalendarItem]:
    """One timed item per interview ahead of ``now`` (Interview at with a time), UID per row."""
    if "interview_at_has_time" not in frame:
        return []
    zone = now.tzinfo or dt.UTC
    local_now = pd.Timestamp(now.replace(tzinfo=None))
    at, timed = frame["interview_at"].tolist(), frame["interview_at_has_time"].fillna(False).tolist()
    company, job = texts(frame["company"]), texts(frame["job_title"])
    rows = [int(r) for r in frame["_row"].tolist()]
    out = []
    for k, (when, has_time) in enumerate(zip(at, timed, strict=True)):
        if not has_time or pd.isna(when) or pd.Timestamp(when) <= local_now or not ids[k]:
            continue
        start = pd.Timestamp(when).to_pydatetime().replace(tzinfo=zone).astimezone(dt.UTC)
        out.append(
            CalendarItem(tracker, ids[k], company[k], job[k], INTERVIEW, start.date(), row=rows[k], at=start)
        )
    return out


def _calendar(
    items: Iterable[CalendarItem], now: dt.datetime, prodid: str, sequences: Mapping[str, int]
) -> Calendar:
    stamp = (now if now.tzinfo else now.astimezone()).astimezone(dt.UTC).replace(microsecond=0)
    cal = Calendar()
    cal.add("prodid", prodid)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", CALENDAR_NAME)
    seen: set[str] = set()
    today = now.date()
    for item in sorted(items, key=lambda it: (it.due, it.tracker, it.id, it.next_action)):
        if item.uid in seen:  # the same action listed twice: one event
            continue
        seen.add(item.uid)
        cal.add_component(_event(item, stamp, sequences.get(item.uid, 0), today))
    return cal


def build(
    items: Iterable[CalendarItem],
    now: dt.datetime,
    *,
    prodid: str = PRODID,
    sequences: Mapping[str, int] | None = None,
) -> bytes:
    """The ``.ics`` bytes (CRLF lines, folded at 75 octets) for the given due actions.

    ``now`` becomes every event's DTSTAMP (in UTC). ``sequences`` maps a UID to its SEQUENCE;
    :func:`write` passes what it worked out from the previous file.
    """
    return _calendar(items, now, prodid, sequences or {}).to_ical()


# --------------------------------------------------------------------------------------
# Writing only what changed


def _fingerprint(event: Component) -> bytes:
    """An event's content without DTSTAMP and SEQUENCE, which change without the content."""
    lines = event.to_ical().split(b"\r\n")
    return b"\r\n".join(line for line in lines if not line.startswith((b"DTSTAMP", b"SEQUENCE")))


def _previous(path: Path) -> tuple[bytes | None, dict[str, tuple[int, bytes]]]:
    """The file's bytes and, per UID, its SEQUENCE and fingerprint; nothing if unreadable."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None, {}
    try:
        cal = Calendar.from_ical(data)
    except ValueError:
        return data, {}
    events = {}
    for event in cal.walk("VEVENT"):
        uid = str(event.get("uid", ""))
        events[uid] = (int(event.get("sequence", 0)), _fingerprint(event))
    return data, events


def _strip_dtstamp(data: bytes) -> bytes:
    return b"\r\n".join(line for line in data.split(b"\r\n") if not line.startswith(b"DTSTAMP"))


def write(
    path: str | os.PathLike, items: Iterable[CalendarItem], now: dt.datetime, *, prodid: str = PRODID
) -> bool:
    """Write the calendar to ``path`` atomically, only when its content changed.

    Content means everything but DTSTAMP: a run with nothing new leaves the file (and its
    modification time) as it was, so a subscribing calendar has nothing to fetch. Returns True
    when the file was written.
    """
    path = Path(path)
    items = list(items)
    old_bytes, old_events = _previous(path)
    # First pass at sequence 0 to learn each event's content, then keep or raise the old one.
    draft = _calendar(items, now, prodid, {})
    sequences = {}
    for event in draft.walk("VEVENT"):
        uid = str(event["uid"])
        if uid in old_events:
            old_sequence, old_fingerprint = old_events[uid]
            sequences[uid] = old_sequence if old_fingerprint == _fingerprint(event) else old_sequence + 1
    data = _calendar(items, now, prodid, sequences).to_ical()
    if old_bytes is not None and _strip_dtstamp(old_bytes) == _strip_dtstamp(data):
        return False
    atomic_write(path, data)
    return True


# --------------------------------------------------------------------------------------
# After a run: the [calendar] path file


def calendar_items(outcomes: Sequence[Outcome]) -> list[CalendarItem]:
    return [item for o in outcomes if o.result for item in o.result.calendar]


def refresh_calendar(path: Path, outcomes: Sequence[Outcome], now: dt.datetime) -> bool:
    """Rewrite the ``[calendar] path`` file; True when its content changed."""
    if any(o.error for o in outcomes):
        # A tracker that failed would lose its events; keep yesterday's file instead.
        log.warning("calendar %s not refreshed: a tracker failed", path)
        return False
    try:
        return write(path, calendar_items(outcomes), now)
    except OSError as e:
        raise UsageError(
            f"Cannot write the calendar file {path}: {e.strerror or e}.",
            hint="Set [calendar] path (or -o) to a file in a folder you can write to.",
        ) from None
