"""The coach's figures, each checked on a hand-built tracker (today is Wed 25 Nov 2026)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd
import pytest

from followsync import run as sync
from followsync.config import Config
from followsync.core import cells as core_cells
from followsync.core import rules, schema
from followsync.outputs import summary, summary_sheet

from ..conftest import NOW, day, tracker_of
from ..varied import LATER, assert_same, varied_history, varied_rows


def at(offset: int, hour: int | None = None):
    return dt.datetime.combine(day(offset), dt.time(hour)) if hour is not None else day(offset)


# One row per situation; the comment says what each row stands for.
ROWS = [
    # a: applied only; Status blank -> Applied
    {"ID": "a", "Company": "Alpha", "Applied on": day(-2)},
    # b: interview on Sat 28 Nov; Status blank -> Interview scheduled
    {"ID": "b", "Company": "Bravo", "Applied on": day(-10), "Interview at": at(3, 10)},
    # c: interviewed yesterday 14:00, thank-you window still open (due today)
    {"ID": "c", "Company": "Charlie", "Status": "Interviewed", "Interview at": at(-1, 14)},
    # d: thanked the next day (on time); first follow-up was due Mon 23 Nov -> overdue
    {
        "ID": "d",
        "Company": "Delta",
        "Status": "Waiting",
        "Interview at": at(-10, 11),
        "Thank-you sent": day(-9),
    },
    # e: thanked three days late; two follow-ups; the third step is due tomorrow
    {
        "ID": "e",
        "Company": "Echo",
        "Job title": "Analyst",
        "Status": "Waiting",
        "Interview at": at(-20, 9),
        "Thank-you sent": day(-17),
        "Follow-ups sent": 2,
        "Last follow-up": day(-6),
    },
    # f: one follow-up, then they answered: a response after follow-up 1
    {
        "ID": "f",
        "Company": "Foxtrot",
        "Status": "Next round",
        "Interview at": day(-30),
        "Thank-you sent": day(-29),
        "Follow-ups sent": 1,
        "Last follow-up": day(-20),
        "Response on": day(-15),
    },
    # g: never thanked; rejected, and the rejection answered
    {
        "ID": "g",
        "Company": "Golf",
        "Status": "Rejected",
        "Interview at": day(-55),
        "Response on": day(-40),
        "Rejection reply sent": day(-39),
    },
    # h: thanked the same day; an offer
    {
        "ID": "h",
        "Company": "Hotel",
        "Status": "Offer",
        "Interview at": at(-8, 16),
        "Thank-you sent": day(-8),
        "Response on": day(-3),
    },
    # i: a new round on Fri 20 Nov; its 3 follow-ups belong to the earlier round
    {
        "ID": "i",
        "Company": "India",
        "Interview at": at(-5, 10),
        "Thank-you sent": day(-4),
        "Follow-ups sent": 3,
        "Last follow-up": day(-12),
    },
]
HISTORY = [
    {
        "Date": day(-13),
        "ID": "e",
        "Company": "Echo",
        "What happened": "Followed up (follow-up 1)",
        "Medium": "Email",
        "Message": "",
    },
    # the same send the tracker's Last follow-up holds: counted once
    {
        "Date": day(-6),
        "ID": "e",
        "Company": "Echo",
        "What happened": "Sent a friendly reminder (follow-up 2)",
        "Medium": "Email",
        "Message": "",
    },
    {
        "Date": "2026-11-24",
        "ID": "E",
        "Company": "Echo",
        "What happened": "Status: Waiting -> Waiting",
        "Medium": "",
        "Message": "",
    },
    {
        "Date": day(-1),
        "ID": "nobody",
        "Company": "?",
        "What happened": "Followed up",
        "Medium": "Email",
        "Message": "",
    },
    {
        "Date": "not a date",
        "ID": "e",
        "Company": "Echo",
        "What happened": "Followed up",
        "Medium": "Email",
        "Message": "",
    },
]


def summarise(rows=ROWS, history=(), **kw) -> summary.Summary:
    t = tracker_of(rows)
    return summary.compute(t.frame, rules.plan(t.frame, NOW), None, NOW, history, **kw)


@pytest.fixture(scope="module")
def s() -> summary.Summary:
    return summarise()


def test_applications_by_status_with_blank_statuses_inferred(s):
    assert s.applications == 9
    assert s.by_status == {
        "Applied": 1,
        "Interview scheduled": 1,
        "Interviewed": 2,
        "Waiting": 2,
        "Next round": 1,
        "Offer": 1,
        "Rejected": 1,
    }
    assert list(s.by_status) == [
        k for k in summary.schema.STATUSES if k in s.by_status
    ]  # the drop-down's order
    assert s.inferred_statuses == 3


def test_funnel(s):
    # Interviewed: every row whose interview has happened (b's is ahead; a has none).
    assert s.funnel == {"Applied": 9, "Interviewed": 7, "Offer": 1}
    assert s.offers == 1


def test_interviews_this_month(s):
    # November: b (ahead), c, d, e, h, i; f's (26 Oct) and g's (1 Oct) are last month's.
    assert (s.interviews_this_month, s.interviews_ahead) == (6, 1)


def test_thank_you_notes_within_24_hours(s):
    # Window closed or thanked: d e f g h i (c's closes at the end of today).
    # On time: d, f and i (the next day), h (the same day); e was three days late, g never thanked.
    assert (s.thank_you_on_time, s.thank_you_expected, s.thank_you_sent) == (4, 6, 5)
    assert s.thank_you_share == pytest.approx(4 / 6)


def test_thank_you_window_follows_the_rule_setting():
    # With 72 hours, e's note three days after a 09:00 interview is on time too.
    assert summarise(thank_you_hours=72).thank_you_on_time == 5


def test_follow_ups_sent_is_the_sum_of_the_column(s):
    assert s.follow_ups_sent == 2 + 1 + 3


def test_response_rate_after_each_follow_up_number(s):
    rates = {r.follow_ups: (r.applications, r.responded) for r in s.response_rates}
    # n = 0: c d g h i (i's follow-ups were in the earlier round); g and h got an answer.
    assert rates == {0: (5, 2), 1: (1, 1), 2: (1, 0)}
    by_n = {r.follow_ups: r for r in s.response_rates}
    assert by_n[0].rate == pytest.approx(0.4) and by_n[1].rate == 1.0 and by_n[2].rate == 0.0
    assert summary.FollowUpRate(3, 0, 0).rate is None


def test_overdue_actions_with_their_rows(s):
    (d,) = s.overdue
    assert (d.id, d.row, d.next_action, d.due, d.days_overdue) == ("d", 5, "Follow up", day(-2), 2)
    assert d.reminder.startswith("Overdue since Mon 23 Nov")


def test_the_weeks_due_list(s):
    assert [(a.id, a.next_action, a.due) for a in s.due_this_week] == [
        ("c", "Send thank-you note", day(0)),
        ("e", "Call or try another contact", day(1)),
        ("i", "Follow up", day(2)),
        ("b", "Prepare: ask about the timeline", day(3)),
    ]


def test_activity_per_iso_week(s):
    weeks = {w.week: w for w in s.weeks}
    # From g's interview (1 Oct, W40) to this week (W48), every week listed, empty ones too.
    assert [w.week for w in s.weeks] == [f"2026-W{n}" for n in range(40, 49)]
    assert weeks["2026-W48"].monday == dt.date(2026, 11, 23)
    assert (weeks["2026-W48"].applications, weeks["2026-W48"].interviews) == (1, 2)  # a; c and b
    assert (weeks["2026-W46"].applications, weeks["2026-W46"].interviews) == (1, 1)  # b (Sun 15); d
    # Messages in W47: thank-you notes of d, h, i and e's second follow-up.
    assert weeks["2026-W47"].messages == 4
    assert weeks["2026-W46"].messages == 1  # i's follow-up of the earlier round, 13 Nov
    assert sum(w.interviews for w in s.weeks) == 8 and sum(w.applications for w in s.weeks) == 2


def test_history_adds_earlier_sends_once():
    s = summarise(history=HISTORY)
    weeks = {w.week: w for w in s.weeks}
    assert weeks["2026-W46"].messages == 2  # and e's first follow-up, known only from the History
    assert weeks["2026-W47"].messages == 4  # e's second: in both, counted once
    echo = next(t for t in s.timelines if t.id == "e")
    assert [(e.on, e.kind) for e in echo.events] == [
        (day(-20), "interview"),
        (day(-17), "thank_you"),
        (day(-13), "follow_up"),
        (day(-6), "follow_up"),
        (day(-1), "note"),  # the status change, matched to e by ID whatever its case
        (day(1), "next"),
    ]
    assert echo.last_activity == day(-1)


def test_weeks_reach_ahead_for_scheduled_interviews_but_not_far():
    soon = summarise([{"ID": "x", "Company": "X", "Applied on": day(-2), "Interview at": day(14)}])
    assert [w.week for w in soon.weeks] == ["2026-W48", "2026-W49", "2026-W50"]
    far = summarise([{"ID": "x", "Company": "X", "Applied on": day(-2), "Interview at": day(60)}])
    assert [w.week for w in far.weeks] == ["2026-W48"]
    long_ago = summarise([{"ID": "x", "Company": "X", "Applied on": day(-200)}], weeks=4)
    assert [w.week for w in long_ago.weeks] == ["2026-W45", "2026-W46", "2026-W47", "2026-W48"]


def test_grid_is_a_readable_rectangular_worksheet_of_plain_values(s):
    lay = summary_sheet.layout(s, title="Alex's job search")
    grid = lay.grid
    assert grid[0][0] == "Alex's job search" and grid[1][:2] == ["Updated", day(0)]
    assert len({len(r) for r in grid}) == 1
    for row in grid:
        for v in row:
            assert type(v) in (str, int, float, dt.date), (row, v)
    column = [r[0] for r in grid]
    for heading in (
        "Applications by status",
        "At a glance",
        "Response rate after each follow-up",
        "Overdue actions",
        "Due in the next 7 days",
        "Applications and interviews per week",
    ):
        assert heading in column
    status = lay.sections["status"]
    assert grid[status.row + status.rows - 1][:2] == ["Total", 9]
    at_a_glance = lay.sections["figures"]
    figures = {r[0]: r[1] for r in grid[at_a_glance.row + 1 : at_a_glance.row + at_a_glance.rows]}
    assert figures["Interviews this month"] == 6
    assert figures["Thank-you notes within 24 hours"] == "4 of 6 (67%)"
    assert figures["Follow-ups sent"] == 6
    overdue = lay.sections["overdue"]
    assert grid[overdue.row][:6] == ["Row", "ID", "Company", "Job title", "Next action", "Due"]
    assert grid[overdue.row + 1][:6] == [5, "d", "Delta", "", "Follow up", day(-2)]
    rates = lay.sections["response_rates"]
    assert grid[rates.row + 1][:4] == [0, 5, 2, "40%"]
    # The per-week table is where the sections say: the source of the Sheets chart.
    weeks = lay.sections["weeks"]
    assert grid[weeks.row][:5] == ["Week", "Week of", "Applications", "Interviews", "Messages sent"]
    assert weeks.rows == len(s.weeks) + 1 and weeks.columns == 5
    assert grid[weeks.row + weeks.rows - 1][0] == "2026-W48"
    assert summary_sheet.to_grid(s, title="Alex's job search") == grid


def test_an_empty_tracker_summarises_to_zeros():
    s = summarise([{"ID": "a", "Company": "Alpha"}])
    assert (s.applications, s.funnel["Interviewed"], s.thank_you_share, s.response_rates) == (1, 0, None, ())
    grid = summary_sheet.to_grid(s)
    column = [r[0] for r in grid]
    assert (
        "No interviews yet." in column and "Nothing overdue." in column and "Nothing due this week." in column
    )
    assert [w.week for w in s.weeks] == ["2026-W48"]


# --------------------------------------------------------------------------------------
# The same figures as before compute was rewritten over column lists (for speed): the
# per-row implementation it replaced, kept here as the reference.


def _reference_compute(frame, plan, computed, now, history=(), *, thank_you_hours=24, weeks=12):
    computed = summary.cells_of(computed)
    cell_text, _count = core_cells.text, core_cells.as_count

    def _day(value):
        return core_cells.as_date(value, parse=True)

    TimelineEvent = summary.TimelineEvent
    today = now.date()
    n = len(frame)
    ids = [cell_text(v) for v in (computed["ID"] if computed is not None else frame["id"])]
    rows = [int(v) for v in frame["_row"]]
    company = [cell_text(v) for v in frame["company"]]
    job = [cell_text(v) for v in frame["job_title"]]
    raw_status = [cell_text(v) for v in frame["status"]]
    status = [cell_text(v) for v in plan["status"]]
    interview_at = list(frame["interview_at"])
    interview = [_day(v) for v in interview_at]
    applied = [_day(v) for v in frame["applied_on"]]
    thanked = [_day(v) for v in frame["thank_you_sent"]]
    last = [_day(v) for v in frame["last_follow_up"]]
    response = [_day(v) for v in frame["response_on"]]
    rejection_reply = [_day(v) for v in frame["rejection_reply_sent"]]
    counts = [_count(v) for v in frame["follow_ups_sent"]]
    held = [i is not None and i <= today for i in interview]

    by_status = {s: status.count(s) for s in schema.STATUSES if status.count(s)}
    funnel = {
        "Applied": n,
        "Interviewed": sum(1 for k in range(n) if held[k] or raw_status[k] in summary.INTERVIEWED_STATUSES),
        "Offer": sum(1 for s in raw_status if s in summary.OFFER_STATUSES),
    }
    this_month = [i is not None and (i.year, i.month) == (today.year, today.month) for i in interview]
    on_time = expected = sent = 0
    for k in range(n):
        if not held[k]:
            continue
        deadline = (pd.Timestamp(interview_at[k]) + pd.Timedelta(hours=thank_you_hours)).date()
        this_round = thanked[k] is not None and thanked[k] >= interview[k]
        sent += this_round
        if this_round or deadline < today:
            expected += 1
            on_time += this_round and thanked[k] <= deadline
    round_counts = [
        0 if (last[k] is not None and interview[k] is not None and last[k] < interview[k]) else counts[k]
        for k in range(n)
    ]
    rates = {}
    for k in range(n):
        if held[k]:
            tally = rates.setdefault(round_counts[k], [0, 0])
            tally[0] += 1
            tally[1] += response[k] is not None and response[k] >= interview[k]
    response_rates = tuple(summary.FollowUpRate(f, a, r) for f, (a, r) in sorted(rates.items()))
    overdue, due_week = [], []
    for k in range(n):
        action = cell_text(plan["next_action"].iat[k])
        due = _day(plan["due"].iat[k])
        if not action or due is None:
            continue
        line = summary.ActionLine(
            rows[k], ids[k], company[k], job[k], action, due, cell_text(plan["reminder"].iat[k])
        )
        if due < today:
            overdue.append(dataclasses.replace(line, days_overdue=(today - due).days))
        elif due < today + dt.timedelta(days=summary.WEEK_DAYS):
            due_week.append(line)
    events = [[] for _ in range(n)]
    for k in range(n):
        found = [
            (applied[k], "applied", "Applied"),
            (interview[k], "interview", "Interview" if held[k] else "Interview (scheduled)"),
            (thanked[k], "thank_you", "Thank-you note"),
            (last[k], "follow_up", f"Follow-up {counts[k]}" if counts[k] else "Follow-up"),
            (response[k], "response", "Response"),
            (rejection_reply[k], "rejection_reply", "Rejection reply"),
        ]
        events[k] = [TimelineEvent(on, kind, label) for on, kind, label in found if on is not None]
    row_of_id = {ident.lower(): k for k, ident in enumerate(ids) if ident}
    for entry in history:
        k = row_of_id.get(cell_text(entry.get("ID")).lower())
        on = _day(entry.get("Date"))
        if k is None or on is None:
            continue
        what = cell_text(entry.get("What happened"))
        kind = summary.history_kind(what)
        if any(e.on == on and e.kind == kind for e in events[k]):
            continue
        events[k].append(TimelineEvent(on, kind, what or summary.KIND_LABELS[kind]))
    timelines = []
    for k in range(n):
        planned = list(events[k])
        action, due = cell_text(plan["next_action"].iat[k]), _day(plan["due"].iat[k])
        if action and due is not None:
            planned.append(TimelineEvent(due, "next", action))
        planned.sort(key=lambda e: (e.on, e.kind == "next"))
        timelines.append(summary.Timeline(rows[k], ids[k], company[k], job[k], status[k], tuple(planned)))
    return summary.Summary(
        today=today,
        applications=n,
        by_status=by_status,
        inferred_statuses=sum(1 for s in raw_status if not s),
        funnel=funnel,
        interviews_this_month=sum(this_month),
        interviews_ahead=sum(1 for k in range(n) if this_month[k] and not held[k]),
        thank_you_on_time=on_time,
        thank_you_expected=expected,
        thank_you_sent=sent,
        follow_ups_sent=sum(counts),
        response_rates=response_rates,
        overdue=tuple(sorted(overdue, key=lambda a: (a.due, a.row))),
        due_this_week=tuple(sorted(due_week, key=lambda a: (a.due, a.row))),
        weeks=_reference_weeks(events, today, weeks),
        timelines=tuple(timelines),
    )


def _reference_weeks(events, today, weeks):
    tallies = {}
    for row_events in events:
        for e in row_events:
            column = {"applied": 0, "interview": 1}.get(e.kind, 2 if e.kind in summary.SENT_KINDS else None)
            if column is not None:
                tallies.setdefault(summary._monday(e.on), [0, 0, 0])[column] += 1
    this_week = summary._monday(today)
    earliest = this_week - dt.timedelta(weeks=max(weeks, 1) - 1)
    start = min(max(earliest, min(tallies, default=this_week)), this_week)
    ahead = [
        m
        for m, t in tallies.items()
        if t[1] and this_week < m <= this_week + dt.timedelta(weeks=summary.WEEKS_AHEAD)
    ]
    end = max(ahead, default=this_week)
    out = []
    monday = start
    while monday <= end:
        a, i, m = tallies.get(monday, (0, 0, 0))
        out.append(summary.WeekCount(summary.iso_week(monday), monday, a, i, m))
        monday += dt.timedelta(weeks=1)
    return tuple(out)


@pytest.mark.parametrize("now", [NOW, LATER], ids=["wed-25-nov", "tue-1-dec-late"])
def test_compute_over_varied_rows_is_what_the_per_row_version_computed(now):
    rows = varied_rows()
    t = tracker_of(rows)
    computed = sync.compute(t, now, Config())
    history = varied_history(rows)
    for cells in (computed, computed.cells, None):
        for kw in ({}, {"thank_you_hours": 48, "weeks": 30}, {"thank_you_hours": 0, "weeks": 1}):
            new = summary.compute(t.frame, computed.plan, cells, now, history, **kw)
            assert_same(new, _reference_compute(t.frame, computed.plan, cells, now, history, **kw))


def test_compute_over_no_rows_is_what_the_per_row_version_computed():
    t = tracker_of([])
    plan = rules.plan(t.frame, NOW)
    assert_same(summary.compute(t.frame, plan, None, NOW), _reference_compute(t.frame, plan, None, NOW))


def test_compute_over_loosely_typed_columns_is_what_the_per_row_version_computed():
    """Padded text, None and NaN in the plan and the IDs; dates and counts in object columns."""
    t = tracker_of(varied_rows())
    computed = sync.compute(t, NOW, Config())
    plan = computed.plan.copy()
    plan["next_action"] = pd.Series(
        [None if k % 7 == 0 else f" {a} " if k % 5 == 0 else a for k, a in enumerate(plan["next_action"])],
        dtype=object,
    )
    plan["reminder"] = [float("nan") if k % 3 == 0 else f"{r}  " for k, r in enumerate(plan["reminder"])]
    plan["status"] = [f" {s}" if k % 2 else s for k, s in enumerate(plan["status"])]
    plan["due"] = pd.Series([None if k % 4 == 0 else d for k, d in enumerate(plan["due"])], dtype=object)
    cells = computed.cells.assign(
        ID=pd.Series(
            [[None, 17, f" {i} ", i][k % 4] for k, i in enumerate(computed.cells["ID"])], dtype=object
        )
    )
    frame = t.frame.copy()
    frame["follow_ups_sent"] = pd.Series(frame["follow_ups_sent"].tolist(), dtype=object)
    frame["interview_at"] = pd.Series(frame["interview_at"].tolist(), dtype=object)
    frame["company"] = [f"  {c}" if k % 3 else c for k, c in enumerate(frame["company"])]
    history = varied_history(varied_rows())
    assert_same(
        summary.compute(frame, plan, cells, NOW, history),
        _reference_compute(frame, plan, cells, NOW, history),
    )


def test_the_overdue_table_reads_the_same_the_next_morning():
    """A row still overdue tomorrow gives the same line (issue 19: no day count in a stored cell)."""
    t = tracker_of(ROWS)
    today = summary_sheet.layout(summary.compute(t.frame, rules.plan(t.frame, NOW), None, NOW, ()))
    later = NOW + dt.timedelta(days=1)
    tomorrow = summary_sheet.layout(summary.compute(t.frame, rules.plan(t.frame, later), None, later, ()))
    assert today.sections["overdue"].rows > 1

    def table(lay):
        sec = lay.sections["overdue"]
        return lay.grid[sec.row : sec.row + sec.rows]

    still = [line for line in table(today) if line in table(tomorrow)]
    assert still and len(still) == len(table(today))  # every line of today's table stands tomorrow
