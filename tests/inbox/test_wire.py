"""The inbox step's pure parts: what an Inbox cell says, and the tracker the rules see."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from followsync.core import schema
from followsync.core.compute import DueItem
from followsync.inbox import wire
from followsync.inbox.match import Findings

from ..conftest import grid_of
from .conftest import DEMO_HEADER, DEMO_ROWS, NOW

CELL = 'Tom Baker replied on 24 Nov: reads like a rejection ("regret to inform you"); tick Accept inbox to set Status to Rejected'


def test_an_inbox_cell_names_the_suggestion_and_the_reply_date():
    assert wire.suggestion(CELL, NOW) == ("Rejected", dt.date(2026, 11, 24))
    assert wire.answered_on(CELL, NOW) == dt.date(2026, 11, 24)
    # Early in January, "30 Dec" is last year's.
    assert wire.answered_on(CELL.replace("24 Nov", "30 Dec"), dt.datetime(2027, 1, 3)) == dt.date(
        2026, 12, 30
    )
    auto = "Sam Lee: automatic reply on 23 Nov (auto-replied); not an answer, nothing changed"
    assert wire.answered_on(auto, NOW) is None and wire.suggestion(auto, NOW) is None
    assert wire.suggestion(CELL.replace("Rejected", "Hired"), NOW) is None  # not a Status


def test_the_rules_see_answered_rows_and_bounces_but_the_sheet_keeps_its_cells():
    tracker = schema.frame(grid_of(DEMO_ROWS, header=[*DEMO_HEADER, "Inbox"]), "Tracker")
    assert tracker is not None
    findings = Findings(answered={"C3": dt.date(2026, 11, 24)})
    seen = wire.for_rules(tracker, findings, NOW)
    by_id = seen.frame.set_index("id")["response_on"]
    assert by_id["C3"].date() == dt.date(2026, 11, 24)
    assert tracker.frame.set_index("id")["response_on"].isna().all()  # the read tracker is untouched


def test_a_bounce_recorded_in_the_inbox_cell_stays_a_problem_until_the_address_is_fixed():
    bounce = "mail to lee@hooli.example bounced: check Interviewer email"
    rows = [dict(r, Inbox=bounce) if r["ID"] == "E5" else r for r in DEMO_ROWS]
    tracker = schema.frame(grid_of(rows, header=[*DEMO_HEADER, "Inbox"]), "Tracker")
    assert tracker is not None
    assert [p.message for p in wire.for_rules(tracker, Findings(), NOW).problems if p.key == "E5"] == [bounce]
    fixed = [
        dict(r, **{"Interviewer email": "lee.chen@hooli.example"}) if r["ID"] == "E5" else r for r in rows
    ]
    tracker = schema.frame(grid_of(fixed, header=[*DEMO_HEADER, "Inbox"]), "Tracker")
    assert tracker is not None
    assert not [p for p in wire.for_rules(tracker, Findings(), NOW).problems if p.key == "E5"]


def test_no_draft_goes_to_an_address_whose_mail_bounced():
    frame = pd.DataFrame(
        {"interviewer_email": ["lee@hooli.example", "jane@acme.example"], "other_contact": [None, None]}
    )
    plan = pd.DataFrame({"medium": ["email", "email"], "next_action": ["Follow up", "Follow up"]})
    cells = pd.DataFrame(
        {
            "ID": ["E5", "A1"],
            "Draft subject": ["Following up", "Following up"],
            "Draft message": ["Dear Lee", "Dear Jane"],
            "Inbox": ["mail to lee@hooli.example bounced: check Interviewer email", None],
        }
    )
    due = [DueItem(2, i, "", "", "Follow up", NOW.date(), "today", "") for i in ("E5", "A1")]
    assert [(d.row_id, d.to) for d in wire.due_drafts(frame, plan, cells, due)] == [
        ("A1", "jane@acme.example")
    ]


def test_the_rules_see_which_address_bounced():
    bounce = "mail to recruiting@globex.example bounced: check Other contact"
    rows = [dict(r, Inbox=bounce) if r["ID"] == "B2" else r for r in DEMO_ROWS]
    tracker = schema.frame(grid_of(rows, header=[*DEMO_HEADER, "Inbox"]), "Tracker")
    assert tracker is not None
    findings = Findings(problems={"E5": ["mail to lee@hooli.example bounced: check Interviewer email"]})
    seen = wire.for_rules(tracker, findings, NOW).frame.set_index("id")
    assert list(seen.index[seen["interviewer_email_bounced"]]) == ["E5"]
    assert list(seen.index[seen["other_contact_bounced"]]) == ["B2"]
