"""The coach's figures, each checked on a hand-built tracker (today is Wed 25 Nov 2026)."""

from __future__ import annotations

import datetime as dt

import pytest

from followsync import rules, summary

from .conftest import NOW, day, tracker_of


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
    assert d.reminder.startswith("Overdue by 2 days")


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
    lay = summary.layout(s, title="Alex's job search")
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
    assert grid[overdue.row][:7] == [
        "Row",
        "ID",
        "Company",
        "Job title",
        "Next action",
        "Due",
        "Days overdue",
    ]
    assert grid[overdue.row + 1][:7] == [5, "d", "Delta", "", "Follow up", day(-2), 2]
    rates = lay.sections["response_rates"]
    assert grid[rates.row + 1][:4] == [0, 5, 2, "40%"]
    # The per-week table is where the sections say: the source of the Sheets chart.
    weeks = lay.sections["weeks"]
    assert grid[weeks.row][:5] == ["Week", "Week of", "Applications", "Interviews", "Messages sent"]
    assert weeks.rows == len(s.weeks) + 1 and weeks.columns == 5
    assert grid[weeks.row + weeks.rows - 1][0] == "2026-W48"
    assert summary.to_grid(s, title="Alex's job search") == grid


def test_an_empty_tracker_summarises_to_zeros():
    s = summarise([{"ID": "a", "Company": "Alpha"}])
    assert (s.applications, s.funnel["Interviewed"], s.thank_you_share, s.response_rates) == (1, 0, None, ())
    grid = summary.to_grid(s)
    column = [r[0] for r in grid]
    assert (
        "No interviews yet." in column and "Nothing overdue." in column and "Nothing due this week." in column
    )
    assert [w.week for w in s.weeks] == ["2026-W48"]
