"""Mark sent: what a person put in it, and the day a send is recorded on (issue 13, item 4).

A date typed into Mark sent is the day the message went out. A plain tick says only *that* it
went out, some time after the run that wrote the draft: when the previous run was recent (at
most :data:`RECENT_DAYS` working days ago) and the tick was not there then, the send is
recorded on the day of that run, since a person mostly sends a draft the day they see it; else
on the day of this run. Either way the run says which day it recorded, and how to correct it.

Pure: values and dates in, values and dates out. Where the previous run is remembered is the
run's business (``followsync/run_stamp.py``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from .cells import _FALSE, _TRUE, BadCell, _quote, parse_date

# "At most two days ago", counted in working days (as follow-ups are, with ``skip_weekends``):
# a tick on Friday after Friday's run is Friday's at Monday's run.
RECENT_DAYS = 2


def parse_tick(value: Any, date_order: str = "DMY") -> tuple[bool, dt.date | None] | None:
    """A Mark sent cell: None (blank or No), (True, None) for a tick or Yes, (True, day) for a
    date typed in. Raises :class:`BadCell` for anything else."""
    if value is None:
        return None
    if isinstance(value, bool):
        return (True, None) if value else None
    if isinstance(value, int | float) and value in (0, 1):
        return (True, None) if value else None
    if isinstance(value, str):
        s = value.strip().lower()
        if s in _TRUE:
            return True, None
        if s in _FALSE:
            return None
    try:
        day = parse_date(value, date_order)
    except BadCell:
        raise BadCell(f"{_quote(value)} is neither Yes nor a date") from None
    return (True, day) if day else None


def parse_tick_column(key: str, values: list[Any], parse_each: Any, date_order: str) -> dict[str, Any]:
    """Mark sent's frame columns: ``key`` (ticked, a date counts) and ``<key>_on`` (the typed day)."""
    parsed = parse_each(lambda v: parse_tick(v, date_order))
    ticked = [bool(p) if p is not None else None for p in parsed]
    days = [p[1] if p else None for p in parsed]
    return {
        key: pd.array(ticked, dtype="boolean"),
        f"{key}_on": pd.to_datetime(pd.Series(days, dtype="object"), errors="coerce").astype(
            "datetime64[ns]"
        ),
    }


@dataclass(frozen=True)
class PreviousRun:
    """What a run remembers of the run before it: its day, and the rows (lower-cased IDs)
    whose Mark sent was still ticked when it ended (a tick it had to leave)."""

    day: dt.date
    ticked: frozenset[str] = field(default_factory=frozenset)


def working_days(
    after: dt.date, until: dt.date, skip_weekends: bool = True, off: Iterable[dt.date] = ()
) -> int:
    """The working days in (``after``, ``until``]: Saturdays and Sundays (with ``skip_weekends``)
    and the days in ``off`` (public holidays) not counted."""
    days_off = set(off)
    n, day = 0, after
    while day < until:
        day += dt.timedelta(days=1)
        if (skip_weekends and day.weekday() >= 5) or day in days_off:
            continue
        n += 1
    return n


@dataclass(frozen=True)
class SendDay:
    """The day a Mark sent is recorded on, and why (:data:`TYPED`, :data:`PREVIOUS`, :data:`TODAY`)."""

    day: dt.date
    why: str


TYPED, PREVIOUS, TODAY = "typed", "previous run", "today"


def send_day(
    typed: dt.date | None,
    today: dt.date,
    previous: PreviousRun | None,
    ident: str | None,
    *,
    skip_weekends: bool = True,
    off: Iterable[dt.date] = (),
) -> SendDay:
    """The day a Mark sent on the row ``ident`` records: the typed date; else the previous run's
    day, when that run was at most :data:`RECENT_DAYS` working days ago and the tick was not
    there when it ended; else ``today`` (a first run, a long gap, a tick left standing)."""
    if typed is not None:
        return SendDay(typed, TYPED)
    recent = (
        previous is not None
        and previous.day < today
        and (ident or "").lower() not in previous.ticked
        and working_days(previous.day, today, skip_weekends, off) <= RECENT_DAYS
    )
    if recent:
        assert previous is not None  # recent says so
        return SendDay(previous.day, PREVIOUS)
    return SendDay(today, TODAY)


def day_text(day: dt.date) -> str:
    """``Fri 27 Nov``."""
    return f"{day:%a} {day.day} {day:%b}"


def explain(row_name: str, sent: SendDay, column: str) -> str:
    """The run's note for a send recorded from a tick or a typed date, and how to correct it."""
    if sent.why == TYPED:
        return f"{row_name}: recorded as sent {day_text(sent.day)} (the date typed in Mark sent)."
    why = "the day of the previous run" if sent.why == PREVIOUS else "the day of this run"
    return (
        f"{row_name}: recorded as sent {day_text(sent.day)} ({why}); if you sent it another day, "
        f"correct {column}, and next time type the date in Mark sent instead of ticking it."
    )


def history_words(sent: SendDay) -> str:
    """What the History's "What happened" adds about the date of a Mark sent."""
    if sent.why == TYPED:
        return "date typed in Mark sent"
    if sent.why == PREVIOUS:
        return "ticked in Mark sent: dated the day of the previous run"
    return "ticked in Mark sent: dated the day of the run"
