"""Matching the fixture mailbox to the demo tracker (pure: no server)."""

from __future__ import annotations

import datetime as dt

import pytest

from followsync.inbox.match import explain, label, match
from followsync.inbox.messages import parse

from .conftest import NOW, OWN, demo_frame, fixture_messages


@pytest.fixture
def findings():
    sent = fixture_messages("sent")
    received = fixture_messages("inbox") + fixture_messages("junk")
    return match(demo_frame(), OWN, sent, received, NOW)


def test_a_send_in_sent_is_recorded_with_its_own_date(findings):
    recorded = {s.row_id: s for s in findings.recorded}
    assert recorded["A1"].on == dt.date(2026, 11, 20)
    assert recorded["A1"].to == "jane@acme.example"  # the sheet says Jane@Acme.example
    assert recorded["F6"].on == dt.date(2026, 11, 23)
    assert recorded["E5"].on == dt.date(2026, 11, 21)


def test_a_send_with_another_subject_is_only_a_suggestion(findings):
    (c3,) = [s for s in findings.sends if s.row_id == "C3"]
    assert not c3.recorded and "differs from the Draft subject" in c3.reason


def test_a_send_before_the_last_recorded_one_is_ignored():
    frame = demo_frame()
    frame.loc[frame["id"] == "A1", "thank_you_sent"] = dt.datetime(2026, 11, 20)
    f = match(frame, OWN, fixture_messages("sent"), [], NOW)
    assert not [s for s in f.sends if s.row_id == "A1"]
    assert any("not after the last recorded send" in line for line in explain(f, "A1"))


def test_sent_by_someone_else_or_to_a_near_address_is_not_a_send():
    raw = (b"From: alex@example.com\r\nTo: xjane@acme.example\r\nSubject: Thank you for the interview\r\n"
           b"Date: Sat, 21 Nov 2026 10:00:00 +0000\r\nMessage-ID: <n@x>\r\n\r\nhi\r\n")
    other = raw.replace(b"From: alex@example.com", b"From: alex@example.com.evil.example").replace(b"xjane", b"jane")
    f = match(demo_frame(), OWN, [parse(raw), parse(other)], [], NOW)
    assert not f.sends


def test_replies_mark_rows_answered_with_the_inbox_text(findings):
    assert set(findings.answered) == {"A1", "B2", "C3", "F6", "G7", "H8"}
    assert findings.inbox["B2"].startswith("Globex Talent Acquisition replied on 24 Nov: reads like a rejection")
    assert findings.inbox["B2"].endswith("tick Accept inbox to set Status to Rejected")
    assert findings.suggested_status == {"A1": "Next round", "B2": "Rejected", "C3": "Offer", "G7": "Rejected", "H8": "Next round"}
    assert findings.inbox["F6"] == "Mia Costanza replied on 24 Nov: update Status"


def test_a_thread_matches_a_reply_from_another_address(findings):
    (reply,) = [r for r in findings.replies if r.message.sender == "hiring@acme.example"]
    assert reply.rows == ("A1",) and reply.how == "thread"
    assert reply.label.kind == "invitation"


def test_quoted_offer_is_not_an_offer(findings):
    (reply,) = [r for r in findings.replies if r.rows == ("F6",)]
    assert reply.label.kind == "other" and reply.label.status is None


def test_german_and_french(findings):
    g = [r for r in findings.replies if r.rows == ("G7",)][0].label
    assert g.kind == "rejection" and "leider müssen wir ihnen mitteilen" in g.phrase
    f = [r for r in findings.replies if r.rows == ("H8",)][0].label
    assert f.kind == "invitation" and "second entretien" in f.phrase


def test_out_of_office_leaves_the_row_as_it_was(findings):
    assert "D4" not in findings.answered and "D4" not in findings.suggested_status
    assert "automatic reply" in findings.inbox["D4"] and "not an answer" in findings.inbox["D4"]
    (auto,) = [r for r in findings.replies if r.rows == ("D4",)]
    assert auto.auto and auto.label is None


def test_a_bounce_is_a_problem_not_an_answer(findings):
    assert findings.problems == {"E5": ["mail to lee@hooli.example bounced: check Interviewer email"]}
    assert "E5" not in findings.answered


def test_mail_before_the_interview_and_subject_alone_never_match(findings):
    senders = {r.message.sender for r in findings.replies}
    assert "someone@elsewhere.example" not in senders  # same subject as A1's draft, unknown sender
    jane = [r for r in findings.replies if r.message.sender == "jane@acme.example"]
    assert not jane  # her 18 Nov mail came before the 20 Nov interview
    assert any("before the interview" in line for line in explain(findings, "A1"))


def test_several_candidate_rows_are_listed_none_picked():
    rows = [
        {"ID": "R1", "Company": "Acme", "Interviewer email": "jane@acme.example", "Interview at": "2026-11-10"},
        {"ID": "R2", "Company": "Acme", "Other contact": "Jane <jane@acme.example>", "Interview at": "2026-11-12"},
    ]
    raw = (b"From: Jane Jones <jane@acme.example>\r\nSubject: Update\r\nDate: Tue, 24 Nov 2026 10:00:00 +0100\r\n"
           b"Message-ID: <j@x>\r\n\r\nWe regret to inform you that the role has been filled.\r\n")
    f = match(demo_frame(rows), OWN, [], [parse(raw)], NOW)
    assert f.answered == {} and f.suggested_status == {}
    assert f.replies[0].rows == ("R1", "R2") and f.replies[0].ambiguous
    assert "R1, R2" in f.inbox["R1"] and "none picked" in f.notes[0]


def test_a_thread_from_an_earlier_run_still_matches():
    raw = (b"From: hr@acme.example\r\nSubject: Re: hi\r\nDate: Tue, 24 Nov 2026 10:00:00 +0100\r\n"
           b"References: <old-sent@example.com>\r\nMessage-ID: <r@x>\r\n\r\nThanks, talk soon.\r\n")
    f = match(demo_frame(), OWN, [], [parse(raw)], NOW, threads={"<old-sent@example.com>": ["A1"]})
    assert f.answered == {"A1": dt.date(2026, 11, 24)}


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Unfortunately, we will not be moving forward with your application.", "rejection"),
        ("Unfortunately the role is closed; there were many other candidates.", "rejection"),  # two weak
        ("Unfortunately I am travelling.", "other"),  # one weak phrase is not enough
        ("We would like to schedule a call next week.", "invitation"),
        ("Wir möchten Sie gerne zu einem zweiten Gespräch einladen.", "invitation"),
        ("We are pleased to extend an offer for the role.", "offer"),
        ("Wir freuen uns, Ihnen ein Vertragsangebot zu unterbreiten.", "offer"),
        ("Nous sommes ravis de vous proposer le poste.", "offer"),
        ("Nous avons le regret de vous informer que votre candidature n'a pas été retenue.", "rejection"),
        ("Thanks, we will be in touch.", "other"),
    ],
)
def test_phrase_rules(text, kind):
    assert label("", text).kind == kind


def test_explain_says_why(findings):
    lines = explain(findings, "A1")
    assert lines[0] == "A1:"
    assert any("recorded as the pending send" in line for line in lines)
    assert any("matched by thread" in line for line in lines)
    assert explain(findings, "nope") == ["nope: no such row with an ID in the tracker"]


def test_lines_show_what_would_be_written(findings):
    text = "\n".join(findings.lines())
    assert "A1: record send on 2026-11-20 to jane@acme.example" in text
    assert "C3: suggest send" in text
    assert "E5: Problem: mail to lee@hooli.example bounced" in text


def test_an_ats_notice_counts_but_a_generated_newsletter_does_not():
    ats = fixture_messages("junk")[0]
    assert ats.auto == "Auto-Submitted: auto-generated"
    raw = (b"From: recruiting@globex.example\r\nAuto-Submitted: auto-generated\r\nSubject: Jobs you may like\r\n"
           b"Date: Tue, 24 Nov 2026 10:00:00 +0100\r\nMessage-ID: <n@x>\r\n\r\nTen new roles this week.\r\n")
    f = match(demo_frame(), OWN, [], [ats, parse(raw)], NOW)
    assert f.suggested_status == {"B2": "Rejected"}
    assert [(r.message.subject[:4], r.auto) for r in f.replies] == [("Jobs", "Auto-Submitted: auto-generated"), ("Your", "")]
    assert f.inbox["B2"].startswith("Globex Talent Acquisition replied on 24 Nov: reads like a rejection")


def test_mail_to_the_contact_before_the_interview_is_not_suggested():
    raw = (b"From: alex@example.com\r\nTo: jane@acme.example\r\nSubject: See you on Friday\r\n"
           b"Date: Wed, 18 Nov 2026 10:00:00 +0100\r\nMessage-ID: <s@x>\r\n\r\nhi\r\n")
    f = match(demo_frame(), OWN, [parse(raw)], [], NOW)
    assert f.sends == [] and any("before the interview" in line for line in explain(f, "A1"))
