"""Recording a sent message: which user columns change, and the History row."""

from __future__ import annotations

import datetime as dt

import pytest

from followsync.core import schema
from followsync.core import sends as sending
from followsync.errors import UsageError

ON = dt.date(2026, 11, 25)
HEADER = ["ID", "Company", "Job title", "Interview at", "Follow-ups sent", "Last follow-up", "Thank-you sent"]


def row(interview="2026-11-03", n=None, last=None, thank_you="2026-11-04"):
    """A typed frame row, as sync hands it over."""
    grid = [HEADER, ["acme-7k2", "Acme", "Marketing Manager", interview, n, last, thank_you]]
    return schema.frame(grid, "Tracker").frame.iloc[0]


def plan(action, medium="email", rule=0):
    return {"next_action": action, "medium": medium, "rule": rule}


def test_thank_you_note():
    assert sending.record(
        row(thank_you=None), plan("Send thank-you note", rule=7), on=ON, medium="email"
    ) == {
        "Thank-you sent": ON,
        "Last medium": "Email",
    }


@pytest.mark.parametrize(
    ("action", "n", "expected"),
    [
        ("Follow up", None, 1),  # blank counts as 0
        ("Follow up", 0, 1),
        ("Send a friendly reminder", 1, 2),
        ("Call or try another contact", 2, 3),
        ("Send a final note and move on", 3, 4),
    ],
)
def test_follow_ups_count_up_and_date_the_last_one(action, n, expected):
    last = "2026-11-10" if n else None
    updates = sending.record(row(n=n, last=last), plan(action), on=ON, medium="Email")
    assert updates == {"Follow-ups sent": expected, "Last follow-up": ON, "Last medium": "Email"}


def test_follow_ups_of_an_earlier_round_do_not_count():
    # L < I: the two follow-ups were before the latest interview, so this is the first of the round
    updates = sending.record(
        row(interview="2026-11-20", n=2, last="2026-11-10"), plan("Follow up"), on=ON, medium="email"
    )
    assert updates["Follow-ups sent"] == 1
    same_day = sending.record(
        row(interview="2026-11-10", n=2, last="2026-11-10"), plan("Follow up"), on=ON, medium=""
    )
    assert same_day["Follow-ups sent"] == 3  # L = I is this round


def test_rejection_reply():
    assert sending.record(row(), plan("Reply to the rejection", rule=3), on=ON, medium="linkedin") == {
        "Rejection reply sent": ON,
        "Last medium": "LinkedIn",
    }


@pytest.mark.parametrize(
    ("medium", "planned", "expected"),
    [
        ("phone", "email", "Phone"),
        ("OTHER", "email", "Other"),
        ("LinkedIn", "email", "LinkedIn"),
        ("", "phone", "Phone"),  # blank: the plan's medium (rule 11 by phone)
        (None, "other_contact", "Email"),  # an email to the other contact is still an email
        ("", "", "Email"),
    ],
)
def test_last_medium(medium, planned, expected):
    updates = sending.record(
        row(n=2, last="2026-11-17"), plan("Call or try another contact", planned), on=ON, medium=medium
    )
    assert updates["Last medium"] == expected


def test_an_unknown_medium_is_a_usage_error():
    with pytest.raises(UsageError, match="'fax' is not a medium"):
        sending.record(row(), plan("Follow up"), on=ON, medium="fax")


@pytest.mark.parametrize("action", ["", "Prepare: ask about the timeline"])
def test_nothing_to_record(action):
    with pytest.raises(UsageError) as e:
        sending.record(row(), plan(action), on=ON, medium="email")
    assert e.value.message.startswith("Row acme-7k2 (Acme): nothing to record")
    assert e.value.exit_code == 2


def test_history_entry_for_a_send():
    r, p = row(n=1, last="2026-11-10"), plan("Send a friendly reminder")
    updates = sending.record(r, p, on=ON, medium="email")
    entry = sending.history_entry(r, p, on=ON, medium="email", message="Dear Ms. Jones, ...", updates=updates)
    assert entry == {
        "Date": ON,
        "ID": "acme-7k2",
        "Company": "Acme",
        "What happened": "Sent a friendly reminder (follow-up 2)",
        "Medium": "Email",
        "Message": "Dear Ms. Jones, ...",
    }
    assert tuple(entry) == sending.HISTORY_COLUMNS


def test_history_entry_for_a_status_change():
    entry = sending.history_entry(row(), on=ON, what="Status: Waiting -> Rejected")
    assert entry["What happened"] == "Status: Waiting -> Rejected"
    assert entry["Medium"] == "" and entry["Message"] == ""
    with pytest.raises(ValueError):
        sending.history_entry(row(), on=ON)
