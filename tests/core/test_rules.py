"""RULES.md sections 2-4: every rule, every colour, and the boundaries."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd
import pytest

from followsync.config import Rules
from followsync.core import rules

from ..conftest import NOW, TODAY, day, tracker_of

INTERVIEWED = {"Company": "Acme", "Job title": "Engineer", "Interviewer": "Ms. Jane Jones"}


def plan_one(row: dict, now=NOW, rule_config: Rules | None = None) -> pd.Series:
    t = tracker_of([{**INTERVIEWED, **row}])
    return rules.plan(t.frame, now, rule_config).iloc[0]


def due_of(p: pd.Series):
    return None if pd.isna(p["due"]) else p["due"].date()


@pytest.mark.parametrize("status", ["Offer", "Accepted", "offer"])
def test_rule_1_offer_is_done(status):
    p = plan_one({"Status": status, "Interview at": day(-3)})
    assert (p["rule"], p["next_action"], p["colour"]) == (1, "", "done")


@pytest.mark.parametrize("status", ["Withdrawn", "Closed"])
def test_rule_2_withdrawn_or_closed(status):
    p = plan_one({"Status": status, "Interview at": day(-3)})
    assert (p["rule"], p["next_action"], p["colour"]) == (2, "", "closed")


def test_rule_3_reply_to_rejection_day_after_response():
    p = plan_one({"Status": "Rejected", "Interview at": day(-9), "Response on": day(-3)})
    assert (p["rule"], p["next_action"]) == (3, "Reply to the rejection")
    assert due_of(p) == day(-2)
    assert p["colour"] == "overdue"


def test_rule_3_without_response_date_is_due_today():
    p = plan_one({"Status": "Rejected", "Interview at": day(-9)})
    assert due_of(p) == TODAY and p["colour"] == "today"


def test_rule_4_rejection_answered():
    p = plan_one(
        {
            "Status": "Rejected",
            "Interview at": day(-9),
            "Response on": day(-3),
            "Rejection reply sent": day(-2),
        }
    )
    assert (p["rule"], p["next_action"], p["colour"]) == (4, "", "closed")


def test_rule_5_no_interview_no_fill():
    p = plan_one({"Applied on": day(-3)})
    assert (p["rule"], p["next_action"], p["colour"], p["status"]) == (5, "", "", "Applied")


def test_rule_6_interview_ahead():
    p = plan_one({"Interview at": day(5)})
    assert (p["rule"], p["next_action"]) == (6, "Prepare: ask about the timeline")
    assert due_of(p) == day(5) and p["colour"] == "waiting" and p["status"] == "Interview scheduled"


def test_rule_6_interview_later_today_is_still_ahead():
    # NOW is 09:00; the interview is at 10:00 the same day: prepare, don't thank yet.
    p = plan_one({"Interview at": pd.Timestamp(TODAY) + pd.Timedelta(hours=10)})
    assert (p["rule"], p["next_action"]) == (6, "Prepare: ask about the timeline")
    assert due_of(p) == TODAY and p["colour"] == "today"


def test_rule_6_ends_at_the_interview_time():
    at = pd.Timestamp(TODAY) + pd.Timedelta(hours=10)
    before = plan_one({"Interview at": at}, now=NOW.replace(hour=9, minute=59))
    after = plan_one({"Interview at": at}, now=NOW.replace(hour=11))
    assert before["rule"] == 6
    assert (after["rule"], after["next_action"]) == (7, "Send thank-you note")
    assert due_of(after) == day(1)  # 24 hours from 10:00


def test_rule_6_a_date_alone_today_is_not_ahead():
    p = plan_one({"Interview at": TODAY})
    assert p["rule"] == 7


def test_rule_7_thank_you_24_hours_after_a_timed_interview():
    p = plan_one({"Interview at": pd.Timestamp(day(-1)) + pd.Timedelta(hours=15)})
    assert (p["rule"], p["next_action"]) == (7, "Send thank-you note")
    assert due_of(p) == TODAY and p["colour"] == "today"


def test_rule_7_interview_today_is_due_tomorrow_and_soon():
    p = plan_one({"Interview at": TODAY})
    assert p["rule"] == 7 and due_of(p) == day(1) and p["colour"] == "soon"


def test_rule_7_thank_you_of_an_earlier_round_does_not_count():
    p = plan_one({"Interview at": day(-2), "Thank-you sent": day(-20)})
    assert p["rule"] == 7 and due_of(p) == day(-1) and p["colour"] == "overdue"


def test_thank_you_keeps_its_24_hours_on_a_weekend():
    # Interview on Friday 27 Nov: the note is due Saturday, not moved to Monday.
    p = plan_one({"Interview at": day(2)}, now=NOW + pd.Timedelta(days=3))
    assert p["rule"] == 7 and due_of(p) == day(3)


def test_rule_8_they_answered_since_the_interview():
    p = plan_one({"Interview at": day(-6), "Thank-you sent": day(-5), "Response on": day(-1)})
    assert (p["rule"], p["next_action"], p["colour"]) == (8, "", "waiting")
    assert "update it" in p["reminder"]


def test_rule_9_follow_up_a_week_after_the_interview():
    p = plan_one({"Interview at": day(-6), "Thank-you sent": day(-5)})
    assert (p["rule"], p["next_action"]) == (9, "Follow up")
    assert due_of(p) == day(1) and p["colour"] == "soon"


def test_rule_9_expected_date_plus_one():
    p = plan_one({"Interview at": day(-6), "Thank-you sent": day(-5), "Expected response by": day(-2)})
    assert due_of(p) == day(-1) and p["colour"] == "overdue"


def test_rule_9_next_week_waits_until_end_of_next_week():
    # Interview Monday 16 Nov: "next week" is Friday 27 Nov, the follow-up is due the day
    # after (Saturday), moved to Monday 30 Nov.
    p = plan_one({"Interview at": day(-9), "Thank-you sent": day(-8), "Expected response by": "next week"})
    assert due_of(p) == day(5)


def test_rule_10_friendly_reminder_a_week_after():
    p = plan_one(
        {
            "Interview at": day(-20),
            "Thank-you sent": day(-19),
            "Follow-ups sent": 1,
            "Last follow-up": day(-7),
        }
    )
    assert (p["rule"], p["next_action"], due_of(p), p["colour"]) == (
        10,
        "Send a friendly reminder",
        TODAY,
        "today",
    )


@pytest.mark.parametrize(
    "extra, medium, words",
    [
        (
            {"OK to call": "Yes", "Interviewer phone": "0049 30 1234"},
            "phone",
            "call Ms. Jane Jones on 0049 30 1234",
        ),
        (
            {
                "OK to call": "No",
                "Interviewer phone": "0049 30 1234",
                "Other contact": "Ana Ruiz <ana@acme.com>",
            },
            "other_contact",
            "email Ana Ruiz",
        ),
        ({"OK to call": "Yes"}, "email", "email Ms. Jane Jones once more"),
    ],
)
def test_rule_11_picks_the_medium(extra, medium, words):
    p = plan_one(
        {
            "Interview at": day(-30),
            "Thank-you sent": day(-29),
            "Follow-ups sent": 2,
            "Last follow-up": day(-9),
            **extra,
        }
    )
    assert (p["rule"], p["next_action"], p["medium"]) == (11, "Call or try another contact", medium)
    assert words in p["reminder"]


BOUNCED_FOLLOW_UP = {"Interview at": day(-30), "Thank-you sent": day(-29), "Interviewer email": "jane@acme.com"}


@pytest.mark.parametrize(
    "extra, medium, words",
    [
        ({"Other contact": "Ana Ruiz <ana@acme.com>"}, "other_contact", "email Ana Ruiz <ana@acme.com> about the Engineer role at Acme, since your email to Ms. Jane Jones bounced"),
        ({"OK to call": "Yes", "Interviewer phone": "0049 30 1234"}, "phone", "call Ms. Jane Jones on 0049 30 1234"),
        ({}, "linkedin", "message Ms. Jane Jones on LinkedIn"),
        # The other contact's mail bounced too: LinkedIn, not another email to either.
        ({"Other contact": "Ana Ruiz <ana@acme.com>", "other_contact_bounced": True}, "linkedin", "on LinkedIn"),
    ],
)
@pytest.mark.parametrize("count, step_due", [(0, day(-23)), (1, day(-2)), (3, day(-2))])
def test_a_bounce_makes_rule_11s_other_contact_the_next_step(extra, medium, words, count, step_due):
    """The inbox step's bounce: whichever follow-up was next (rules 9 to 12), rule 11's other
    medium or contact replaces it, due when that follow-up was."""
    row = {**INTERVIEWED, **BOUNCED_FOLLOW_UP, "Follow-ups sent": count, **extra}
    if count:
        row["Last follow-up"] = day(-9)
    t = tracker_of([{k: v for k, v in row.items() if not k.endswith("_bounced")}])
    frame = t.frame.assign(interviewer_email_bounced=True, other_contact_bounced=bool(extra.get("other_contact_bounced")))
    p = rules.plan(frame, NOW).iloc[0]
    assert (p["rule"], p["next_action"], p["medium"]) == (11, "Call or try another contact", medium)
    assert due_of(p) == step_due
    assert words in p["reminder"] and "bounced" in p["reminder"]


def test_a_bounce_leaves_the_thank_you_and_other_rows_as_they_were():
    t = tracker_of([
        {**INTERVIEWED, "Interview at": day(-1), "Interviewer email": "jane@acme.com"},
        {**INTERVIEWED, **BOUNCED_FOLLOW_UP, "Follow-ups sent": 2, "Last follow-up": day(-9), "Other contact": "ana@acme.com"},
        {**INTERVIEWED, **BOUNCED_FOLLOW_UP, "Other contact": "Ana Ruiz <ana@acme.com>"},
    ])
    frame = t.frame.assign(interviewer_email_bounced=[True, False, False], other_contact_bounced=[False, True, True])
    p = rules.plan(frame, NOW)
    assert list(p["rule"]) == [7, 11, 9]
    # Rule 11 when only the Other contact bounced: the interviewer once more.
    assert list(p["medium"]) == ["email", "email", "email"]
    assert "email Ms. Jane Jones once more" in p["reminder"].iloc[1]


def test_rule_12_final_note():
    p = plan_one(
        {
            "Interview at": day(-40),
            "Thank-you sent": day(-39),
            "Follow-ups sent": 3,
            "Last follow-up": day(-5),
        }
    )
    assert (p["rule"], p["next_action"], due_of(p), p["colour"]) == (
        12,
        "Send a final note and move on",
        day(2),
        "soon",
    )


def test_due_exactly_two_days_out_is_soon_and_three_is_waiting():
    base = {"Interview at": day(-40), "Thank-you sent": day(-39), "Follow-ups sent": 3}
    assert plan_one({**base, "Last follow-up": day(-5)})["colour"] == "soon"  # Friday
    p = plan_one({**base, "Last follow-up": day(-4)})  # Saturday -> Monday
    assert due_of(p) == day(5) and p["colour"] == "waiting"


def test_rule_13_closed_after_four_follow_ups():
    p = plan_one(
        {
            "Interview at": day(-60),
            "Thank-you sent": day(-59),
            "Follow-ups sent": 4,
            "Last follow-up": day(-5),
        }
    )
    assert (p["rule"], p["next_action"], p["colour"]) == (13, "", "closed")
    assert "mark this application Closed" in p["reminder"]


def test_saturday_follow_up_moves_to_monday_unless_configured():
    row = {
        "Interview at": day(-20),
        "Thank-you sent": day(-19),
        "Follow-ups sent": 1,
        "Last follow-up": day(-4),
    }
    assert due_of(plan_one(row)) == day(5)  # Sat 28 Nov -> Mon 30 Nov
    keep = dataclasses.replace(Rules(), skip_weekends=False)
    assert due_of(plan_one(row, rule_config=keep)) == day(3)


def test_sunday_follow_up_moves_to_monday():
    row = {
        "Interview at": day(-20),
        "Thank-you sent": day(-19),
        "Follow-ups sent": 1,
        "Last follow-up": day(-3),
    }
    assert due_of(plan_one(row)) == day(5)


def test_follow_ups_of_an_earlier_round_reset():
    # L < I: a new round began; n counts as 0 and the first follow-up rule applies.
    p = plan_one(
        {"Interview at": day(-6), "Thank-you sent": day(-5), "Follow-ups sent": 3, "Last follow-up": day(-30)}
    )
    assert p["rule"] == 9 and due_of(p) == day(1)


def test_bad_date_in_a_needed_column_is_a_problem_row():
    t = tracker_of([{**INTERVIEWED, "Interview at": "32/13/2026"}])
    p = rules.plan(t.frame, NOW).iloc[0]
    assert (p["rule"], p["next_action"], p["colour"]) == (0, "", "problem")
    assert [pr.column for pr in t.problems] == ["Interview at"]


def test_bad_date_in_a_column_not_needed_still_computes():
    # Last follow-up is only needed once follow-ups were sent.
    t = tracker_of(
        [{**INTERVIEWED, "Interview at": day(-6), "Thank-you sent": day(-5), "Last follow-up": "soon-ish"}]
    )
    p = rules.plan(t.frame, NOW).iloc[0]
    assert p["rule"] == 9 and p["colour"] == "soon"
    assert len(t.problems) == 1


def test_unreadable_expected_response_makes_the_first_follow_up_uncomputable():
    row = {**INTERVIEWED, "Interview at": day(-6), "Thank-you sent": day(-5), "Expected response by": "soonish"}
    t = tracker_of([row])
    p = rules.plan(t.frame, NOW).iloc[0]
    assert (p["rule"], p["colour"]) == (0, "problem")
    assert t.problems[0].column == "Expected response by"
    # ... but a row past its first follow-up no longer needs it
    later = {**row, "Interview at": day(-20), "Thank-you sent": day(-19), "Follow-ups sent": 1, "Last follow-up": day(-7)}
    assert rules.plan(tracker_of([later]).frame, NOW).iloc[0]["rule"] == 10


def test_rule_13_needs_no_last_follow_up_date():
    t = tracker_of([{**INTERVIEWED, "Interview at": day(-40), "Thank-you sent": day(-39), "Follow-ups sent": 5}])
    p = rules.plan(t.frame, NOW).iloc[0]
    assert (p["rule"], p["colour"]) == (13, "closed")


def test_answered_rejection_needs_no_response_date():
    row = {**INTERVIEWED, "Status": "Rejected", "Interview at": day(-20), "Rejection reply sent": day(-5)}
    t = tracker_of([{**row, "Response on": "garbage"}])
    assert rules.plan(t.frame, NOW).iloc[0]["rule"] == 4


def test_custom_thresholds():
    custom = dataclasses.replace(Rules(), call_after=3, final_after=5, follow_up_gap_days=10)
    base = {"Interview at": day(-60), "Thank-you sent": day(-59), "Last follow-up": day(-8)}
    assert plan_one({**base, "Follow-ups sent": 2}, rule_config=custom)["rule"] == 10
    assert plan_one({**base, "Follow-ups sent": 4}, rule_config=custom)["rule"] == 11
    p = plan_one({**base, "Follow-ups sent": 5}, rule_config=custom)
    assert p["rule"] == 12 and due_of(p) == day(2)
    assert plan_one({**base, "Follow-ups sent": 6}, rule_config=custom)["rule"] == 13


def test_inferred_status_in_reminder():
    p = plan_one({"Interview at": day(-6), "Thank-you sent": day(-5), "Response on": day(-1)})
    assert p["status"] == "Interviewed" and "Status still says Interviewed" in p["reminder"]


def test_reminder_names_urgency_what_whom_and_medium():
    p = plan_one({"Interview at": day(-12), "Thank-you sent": day(-11)})
    assert p["reminder"].startswith("Overdue since Fri 20 Nov: ")
    assert "email Ms. Jane Jones" in p["reminder"] and "Engineer" in p["reminder"]


def test_check_finds_contradictions():
    t = tracker_of(
        [
            {**INTERVIEWED, "Interview at": day(-6), "Thank-you sent": day(2)},
            {**INTERVIEWED, "Interview at": day(-20), "Thank-you sent": day(-19), "Follow-ups sent": 2},
            {
                **INTERVIEWED,
                "Interview at": day(-20),
                "Thank-you sent": day(-10),
                "Follow-ups sent": 1,
                "Last follow-up": day(-15),
            },
            {**INTERVIEWED, "Interview at": day(-20), "Follow-ups sent": "2.5"},
            {
                **INTERVIEWED,
                "Interview at": day(-20),
                "Thank-you sent": day(-19),
                "Follow-ups sent": 1,
                "Last follow-up": day(-12),
            },
        ]
    )
    found = {(p.row, p.column) for p in rules.check(t.frame, NOW, "Tracker") + t.problems}
    assert found == {
        (2, "Thank-you sent"),
        (3, "Last follow-up"),
        (4, "Last follow-up"),
        (5, "Follow-ups sent"),
    }
    # the rows are still planned where the rules can be applied
    planned = rules.plan(t.frame, NOW)
    assert planned["rule"].tolist() == [9, 0, 10, 7, 10]  # row 5 needs no count yet


def test_vectorised_plan_matches_row_by_row():
    rows = [
        {"Status": "Offer", "Interview at": day(-3)},
        {"Interview at": day(4)},
        {"Interview at": day(-1)},
        {"Interview at": day(-9), "Thank-you sent": day(-8), "Follow-ups sent": 2, "Last follow-up": day(-1)},
        {"Applied on": day(-1)},
    ]
    together = rules.plan(tracker_of([{**INTERVIEWED, **r} for r in rows]).frame, NOW)
    for i, r in enumerate(rows):
        alone = plan_one(r)
        assert together.iloc[i]["rule"] == alone["rule"]
        assert together.iloc[i]["reminder"] == alone["reminder"]


def test_follow_up_skips_public_holidays_when_configured():
    # Last follow-up Fri 18 Dec 2026: due Fri 25 Dec, Christmas; 26 Dec is a German holiday and
    # a Saturday, 27 Dec a Sunday: the follow-up lands on Mon 28 Dec.
    row = {
        "Interview at": day(-20),
        "Thank-you sent": day(-19),
        "Follow-ups sent": 1,
        "Last follow-up": day(23),
    }
    later = NOW + pd.Timedelta(days=25)
    assert due_of(plan_one(row, now=later)) == day(30)
    german = dataclasses.replace(Rules(), holidays="DE")
    assert due_of(plan_one(row, now=later, rule_config=german)) == day(33)
    # Holidays apply with weekends kept, too: 1 Jan 2027 (a Friday) moves to Sat 2 Jan.
    row["Last follow-up"] = day(30)
    weekends = dataclasses.replace(Rules(), holidays="DE", skip_weekends=False)
    assert due_of(plan_one(row, now=later, rule_config=weekends)) == day(38)


def test_holidays_setting_is_validated_and_takes_a_subdivision():
    from followsync import config

    assert config.from_dict({"rules": {"holidays": "DE-BY"}}).rules.holidays == "DE-BY"
    bavaria = config.Rules(holidays="DE-BY").holiday_dates([2026])
    assert dt.date(2026, 1, 6) in bavaria  # Epiphany: Bavaria's, not Berlin's
    assert dt.date(2026, 1, 6) not in config.Rules(holidays="DE-BE").holiday_dates([2026])
    with pytest.raises(config.ConfigError, match="holidays"):
        config.from_dict({"rules": {"holidays": "XX"}})
