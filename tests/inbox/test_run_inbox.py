"""Issue 15's "Done when": `followsync run` with [inbox] on the demo tracker and a seeded Dovecot."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from followsync import run as sync
from followsync.backends.memory import MemoryBackend
from followsync.config import from_dict
from followsync.core import schema
from followsync.errors import EXIT_NOTIFY

from ..conftest import grid_of
from .conftest import DEMO_HEADER, DEMO_ROWS, DRAFTS, NOW, _quote

INBOX = {"host": "127.0.0.1", "security": "none", "username": "alex@example.com", "password_env": "UNUSED"}


def config(**inbox):
    return from_dict({"profile": {"name": "Alex Example"}, "inbox": {**INBOX, **inbox}})


def tracker():
    return MemoryBackend(grid_of(DEMO_ROWS, header=[*DEMO_HEADER, "Accept inbox"]))


def cell(backend, row_id, column):
    t = schema.frame(backend.grid, "Tracker")
    assert t is not None
    value = t.frame[t.frame["id"] == row_id].iloc[0][schema.BY_NAME[column].key]
    if value is None or value is pd.NaT or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    return value.date() if isinstance(value, pd.Timestamp) else value


@pytest.fixture
def state(tmp_path, monkeypatch):
    monkeypatch.setenv("FOLLOWSYNC_STATE_DIR", str(tmp_path))
    return tmp_path


def test_a_run_closes_the_loop(dovecot, mail_user, open_pipe, state):
    backend, before, own_drafts = tracker(), dovecot.snapshot(mail_user), drafts_in(dovecot, mail_user)
    result = sync.run(backend, config(drafts=True), NOW, open_mailbox=open_pipe(mail_user))
    # A thank-you found in Sent is recorded as Mark sent would, with the message's own date.
    assert cell(backend, "A1", "Thank-you sent") == dt.date(2026, 11, 20)
    assert cell(backend, "A1", "Last medium") == "Email"
    history = backend.sheets["History"]
    assert [r[:4] for r in history[1:] if r[1] == "A1"] == [
        [dt.date(2026, 11, 20), "A1", "Acme", "Sent the thank-you note"]
    ]
    # A reply pauses the row: no follow-up, Status and Response on untouched; a rejection is
    # only suggested.
    assert cell(backend, "B2", "Next action") is None
    assert cell(backend, "B2", "Status") == "Interviewed" and cell(backend, "B2", "Response on") is None
    assert "tick Accept inbox to set Status to Rejected" in cell(backend, "B2", "Inbox")
    # An out-of-office reply changes nothing (noted); a bounce is a Problem.
    assert cell(backend, "D4", "Next action") == "Follow up"
    assert "automatic reply" in cell(backend, "D4", "Inbox")
    assert "mail to lee@hooli.example bounced: check Interviewer email" in cell(backend, "E5", "Problems")
    # One draft per due email action, in Drafts.
    due_email = [
        d
        for d in result.due
        if d.urgency in ("overdue", "today") and d.next_action != "Prepare: ask about the timeline"
    ]
    assert due_email and len(dovecot.snapshot(mail_user)[DRAFTS]) == 1 + len(due_email)
    assert any("added to Drafts" in line for line in result.inbox)
    # Exactly one per due email action: to the row's contact, with its Draft subject.
    first = drafts_in(dovecot, mail_user)
    expected = sorted((cell(backend, d.id, "Interviewer email").lower(), d.subject) for d in due_email)
    assert [d for d in first if d not in own_drafts] == expected

    # The next run adds no draft; nothing changed Status.
    again = sync.run(backend, config(drafts=True), NOW, open_mailbox=open_pipe(mail_user))
    assert not any("added to Drafts" in line for line in again.inbox)
    assert len(dovecot.snapshot(mail_user)[DRAFTS]) == 1 + len(due_email)
    assert drafts_in(dovecot, mail_user) == first
    assert cell(backend, "B2", "Status") == "Interviewed"
    assert "mail to lee@hooli.example bounced" in cell(backend, "E5", "Problems")  # kept by the Inbox cell

    # Accept inbox applies the suggestion (from the Inbox cell: that mail was read already),
    # and the rejection's reply is the one new draft.
    row = next(i for i, r in enumerate(backend.grid) if r and r[0] == "B2")
    backend.grid[row][backend.grid[0].index("Accept inbox")] = "Yes"
    third = sync.run(backend, config(drafts=True), NOW, open_mailbox=open_pipe(mail_user))
    assert cell(backend, "B2", "Status") == "Rejected"
    assert cell(backend, "B2", "Response on") == dt.date(2026, 11, 24)
    assert cell(backend, "B2", "Accept inbox") is None
    assert cell(backend, "B2", "Next action") == "Reply to the rejection"
    assert [line for line in third.inbox if "added to Drafts" in line] == [
        "B2: draft Reply to the rejection added to Drafts"
    ]
    assert [r[3] for r in backend.sheets["History"][1:] if r[1] == "B2"] == [
        "Status: Interviewed -> Rejected"
    ]
    after = dovecot.snapshot(mail_user)
    assert len(after[DRAFTS]) == 2 + len(due_email)
    # Every message's flags as they were.
    for name in ("INBOX", "Sent", "Junk"):
        assert after[name] == before[name]
    assert after[DRAFTS][0] == before[DRAFTS][0]


def test_dry_run_writes_nothing_and_shows_the_findings(dovecot, mail_user, open_pipe, state):
    backend = tracker()
    grid = [list(r) for r in backend.grid]
    result = sync.run(backend, config(drafts=True), NOW, dry_run=True, open_mailbox=open_pipe(mail_user))
    assert backend.grid == grid and not list(state.rglob("inbox-state.json"))
    assert any(line.startswith("A1: record send on 2026-11-20") for line in result.inbox)
    assert len(dovecot.snapshot(mail_user)[DRAFTS]) == 1


def test_a_failing_mailbox_still_writes_the_tracker_and_exits_4(state):
    backend = tracker()

    def broken(_settings):
        raise ConnectionRefusedError(111, "Connection refused")

    result = sync.run(backend, config(), NOW, open_mailbox=broken)
    assert result.inbox_error is not None and result.exit_code == EXIT_NOTIFY
    assert "127.0.0.1" in result.inbox_error.message
    assert cell(backend, "B2", "Next action") == "Follow up"  # written, without the mailbox
    assert "Inbox" not in backend.grid[0]


def test_each_tracker_keeps_its_own_read_state(dovecot, mail_user, open_pipe, state):
    grid = grid_of(DEMO_ROWS, header=DEMO_HEADER)
    one, two = MemoryBackend(grid, location="memory:one"), MemoryBackend(grid, location="memory:two")
    for backend in (one, two):  # as run_all does for [[trackers]]: one mailbox, two trackers
        sync.run(backend, config(), NOW, open_mailbox=open_pipe(mail_user))
        assert cell(backend, "A1", "Thank-you sent") == dt.date(2026, 11, 20)


def drafts_in(dovecot, user) -> list[tuple[str, str]]:
    """(To, Subject) of every message in Drafts, read with EXAMINE and BODY.PEEK."""
    import email

    s = dovecot.raw_session(user)
    try:
        assert s.select(_quote(DRAFTS), readonly=True)[0] == "OK"
        typ, data = s.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (TO SUBJECT)])")
    finally:
        s.logout()
    heads = [email.message_from_bytes(d[1]) for d in data if isinstance(d, tuple)]
    return sorted((str(h["To"] or ""), str(h["Subject"] or "")) for h in heads)


def test_a_bounce_makes_the_other_contact_the_next_step(dovecot, mail_user, open_pipe, state):
    # Hooli's thank-you (in Sent) bounced; the row's follow-up is overdue, so rule 11's other
    # contact is the next step: its Next action, Reminder and draft, and the one draft in Drafts.
    hooli = {"Interview at": "2026-11-16", "Other contact": "Hooli Talent <talent@hooli.example>"}
    rows = [dict(r, **hooli) if r["ID"] == "E5" else r for r in DEMO_ROWS]
    backend = MemoryBackend(grid_of(rows, header=[*DEMO_HEADER, "Accept inbox"]))
    before = drafts_in(dovecot, mail_user)
    result = sync.run(backend, config(drafts=True), NOW, open_mailbox=open_pipe(mail_user))
    assert cell(backend, "E5", "Thank-you sent") == dt.date(2026, 11, 21)
    assert cell(backend, "E5", "Next action") == "Call or try another contact"
    assert "email Hooli Talent" in cell(backend, "E5", "Reminder") and "bounced" in cell(
        backend, "E5", "Reminder"
    )
    assert cell(backend, "E5", "Draft message").startswith("Dear Hooli Talent")
    assert "mail to lee@hooli.example bounced: check Interviewer email" in cell(backend, "E5", "Problems")
    added = [d for d in drafts_in(dovecot, mail_user) if d not in before]
    assert [d for d in added if "hooli" in d[0]] == [
        ("talent@hooli.example", cell(backend, "E5", "Draft subject"))
    ]
    assert "E5: draft Call or try another contact added to Drafts" in result.inbox
    # The next run reads no new mail: the Inbox cell keeps the bounce, and the step stays.
    again = sync.run(backend, config(drafts=True), NOW, open_mailbox=open_pipe(mail_user))
    assert cell(backend, "E5", "Next action") == "Call or try another contact"
    assert not any("added to Drafts" in line for line in again.inbox)
    assert len(drafts_in(dovecot, mail_user)) == len(before) + len(added)


def test_a_bounce_without_another_contact_points_to_linkedin(dovecot, mail_user, open_pipe, state):
    backend = tracker()
    sync.run(backend, config(drafts=True), NOW, open_mailbox=open_pipe(mail_user))
    assert cell(backend, "E5", "Next action") == "Call or try another contact"
    assert "message Lee Chen on LinkedIn" in cell(backend, "E5", "Reminder")
    assert cell(backend, "E5", "LinkedIn note")
