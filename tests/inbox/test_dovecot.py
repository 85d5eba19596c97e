"""The inbox step against a real Dovecot, over `doveadm exec imap` (a pipe per session)."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json

import pytest

from followsync import inbox
from followsync.inbox.drafts import DueDraft
from followsync.inbox.errors import RefusedCommand
from followsync.inbox.imap import Mailbox
from followsync.inbox.settings import from_dict

from .conftest import DRAFTS, NOW, fixture, pipe_client

SETTINGS = from_dict({"host": "127.0.0.1", "security": "none", "username": "alex@example.com", "password_env": "UNUSED"})
WRITES = {"STORE", "COPY", "MOVE", "EXPUNGE", "DELETE", "CREATE", "RENAME", "CLOSE", "SELECT", "SUBSCRIBE", "UNSUBSCRIBE"}


def due(row_id="A1", action="Follow up", to="jane@acme.example", subject="Following up: Data Analyst"):
    return DueDraft(row_id, action, to, subject, f"Dear Jane,\n\nA note for {row_id}.\n\nBest regards,\nAlex\n")


def run(open_pipe, user, frame, state_dir, **kw):
    settings = kw.pop("settings", SETTINGS)
    return inbox.scan(settings, frame, now=NOW, state_dir=state_dir, open_mailbox=open_pipe(user), **kw)


def test_folders_by_special_use(dovecot, mail_user):
    with Mailbox(pipe_client(dovecot.command(mail_user))) as mb:
        assert mb.folders() == {"inbox": "INBOX", "sent": "Sent", "junk": "Junk", "drafts": DRAFTS}


def test_a_run_on_the_seeded_mailbox(dovecot, mail_user, open_pipe, frame, tmp_path, imap_log):
    before = dovecot.snapshot(mail_user)
    imap_log.clear()
    f = run(open_pipe, mail_user, frame, tmp_path)
    commands, verbs = imap_log.commands(), set(imap_log.verbs())
    after = dovecot.snapshot(mail_user)
    # Read-only: the same messages with the same flags (none \Seen) in every folder.
    assert after == before
    assert {k: len(v) for k, v in after.items()} == {"INBOX": 9, "Sent": 4, "Junk": 1, DRAFTS: 1}
    assert all(b"\\Seen" not in flags for rows in after.values() for flags in rows)
    # Done when: a thank-you recorded with the message's date, a reply pauses the row, a
    # rejection is suggested, the out-of-office ignored, the bounce a Problem.
    assert {s.row_id: s.on for s in f.recorded}["A1"] == dt.date(2026, 11, 20)
    assert "A1" in f.answered and "D4" not in f.answered
    assert f.suggested_status["B2"] == "Rejected" and f.suggested_status["G7"] == "Rejected"
    assert f.problems["E5"] == ["mail to lee@hooli.example bounced: check Interviewer email"]
    assert f.read == {"sent": 4, "inbox": 8, "junk": 1}  # the stranger's mail is not even fetched
    # Every command was a reading one.
    assert verbs <= {"CAPABILITY", "LIST", "EXAMINE", "SEARCH", "FETCH", "LOGOUT", "NOOP"}, verbs
    assert not verbs & WRITES
    fetches = [c for c in commands if " FETCH " in f" {c} "]
    assert fetches and all("BODY.PEEK[" in c and "BODY[" not in c for c in fetches)


def test_drafts_exactly_once_per_due_action(dovecot, mail_user, open_pipe, frame, tmp_path, imap_log):
    settings = from_dict({"host": "127.0.0.1", "security": "none", "username": "alex@example.com",
                          "password_env": "UNUSED", "drafts": True})
    drafts = [due("A1"), due("F6", to="mia@vandelay.example", subject="Following up: Import Coordinator")]
    before = dovecot.snapshot(mail_user)
    imap_log.clear()
    f1 = run(open_pipe, mail_user, frame, tmp_path, settings=settings, due_drafts=drafts, sender_name="Alex Example")
    f1.commit()
    assert f1.drafts_added == [("A1", "Follow up"), ("F6", "Follow up")]
    appends = [c for c in imap_log.commands() if c.startswith("APPEND")]
    assert len(appends) == 2 and all(c.startswith('APPEND "Entw&APw-rfe" (\\Draft)') for c in appends)
    assert not set(imap_log.verbs()) & WRITES
    f2 = run(open_pipe, mail_user, frame, tmp_path, settings=settings, due_drafts=drafts)
    assert f2.drafts_added == [] and f2.drafts_present == [("A1", "Follow up"), ("F6", "Follow up")]
    after = dovecot.snapshot(mail_user)
    assert len(after[DRAFTS]) == 3
    assert after[DRAFTS][0] == before[DRAFTS][0]  # the person's own draft, untouched
    for name in ("INBOX", "Sent", "Junk"):
        assert after[name] == before[name]
    # The draft: \Draft, From the profile, To the contact, threaded to the conversation's last message.
    s = dovecot.raw_session(mail_user)
    s.select('"Entw&APw-rfe"', readonly=True)
    typ, data = s.fetch("2", "(FLAGS BODY.PEEK[])")
    s.logout()
    assert b"\\Draft" in data[0][0]
    msg = email.message_from_bytes(data[0][1], policy=email.policy.default)
    assert msg["From"] == "Alex Example <alex@example.com>" and msg["To"] == "jane@acme.example"
    assert msg["In-Reply-To"] == "<inv-20261123-1@acme.example>"
    assert "<thanks-acme-1@example.com>" in msg["References"]
    assert msg["Message-ID"].startswith("<followsync.") and msg.get_content().startswith("Dear Jane")


def test_a_changed_draft_text_is_a_new_draft(dovecot, mail_user, open_pipe, frame, tmp_path):
    settings = from_dict({"host": "127.0.0.1", "security": "none", "username": "alex@example.com",
                          "password_env": "UNUSED", "drafts": True})
    run(open_pipe, mail_user, frame, tmp_path, settings=settings, due_drafts=[due()])
    f = run(open_pipe, mail_user, frame, tmp_path, settings=settings, due_drafts=[due(subject="Checking in")])
    assert f.drafts_added == [("A1", "Follow up")]
    assert len(dovecot.snapshot(mail_user)[DRAFTS]) == 3


def test_dry_run_appends_nothing_and_keeps_no_state(dovecot, mail_user, open_pipe, frame, tmp_path):
    settings = from_dict({"host": "127.0.0.1", "security": "none", "username": "alex@example.com",
                          "password_env": "UNUSED", "drafts": True})
    f = run(open_pipe, mail_user, frame, tmp_path, settings=settings, due_drafts=[due()], dry_run=True)
    f.commit()
    assert f.drafts_added == [] and len(dovecot.snapshot(mail_user)[DRAFTS]) == 1
    assert not (tmp_path / "inbox-state.json").exists()
    assert f.recorded  # the findings themselves are all there


def test_a_daily_run_reads_only_new_mail(dovecot, mail_user, open_pipe, frame, tmp_path):
    first = run(open_pipe, mail_user, frame, tmp_path)
    first.commit()
    state = json.loads((tmp_path / "inbox-state.json").read_text())
    folders = state[SETTINGS.state_key]["folders"]
    assert folders["INBOX"]["last_uid"] == 9 and folders["Sent"]["last_uid"] == 4
    assert "from:jane@acme.example" in folders["INBOX"]["keys"]
    # No message text is kept: only UIDs, search keys and Message-IDs for threading.
    text = (tmp_path / "inbox-state.json").read_text()
    assert "Thank you for the interview" not in text and "regret" not in text and "Jane Jones" not in text
    assert state[SETTINGS.state_key]["threads"]["<thanks-acme-1@example.com>"] == ["A1"]
    second = run(open_pipe, mail_user, frame, tmp_path)
    second.commit()
    assert second.read == {"sent": 0, "inbox": 0, "junk": 0}
    # New mail from Sam (D4), who was out of office: the next run reads just that one.
    s = dovecot.raw_session(mail_user)
    new = fixture("inbox-offer.eml").replace(b"priya@initech.example", b"sam@umbrella.example")
    new = new.replace(b"<CAoffer123@mail.initech.example>", b"<sam-2@umbrella.example>")
    s.append("INBOX", None, None, new.replace(b"\n", b"\r\n"))
    s.logout()
    # --explain reads everything again, and keeps the state as it was.
    explained = run(open_pipe, mail_user, frame, tmp_path, full=True)
    assert explained.read == {"sent": 4, "inbox": 9, "junk": 1}  # Sam's new mail too
    assert any("recorded as the pending send" in line for line in inbox.explain(explained, "A1"))
    third = run(open_pipe, mail_user, frame, tmp_path)
    assert third.read == {"sent": 0, "inbox": 1, "junk": 0}
    assert third.suggested_status == {"D4": "Offer"}
    # A new row's contact is searched over the whole range, the others only above the last UID.
    rows = frame.copy()
    rows.loc[rows["id"] == "H8", "interviewer_email"] = "someone@elsewhere.example"
    fourth = run(open_pipe, mail_user, rows, tmp_path)
    assert fourth.read["inbox"] == 2  # Sam's new mail (not committed) and the stranger's


def test_a_new_uidvalidity_reads_everything_again(dovecot, mail_user, open_pipe, frame, tmp_path):
    run(open_pipe, mail_user, frame, tmp_path).commit()
    path = tmp_path / "inbox-state.json"
    state = json.loads(path.read_text())
    state[SETTINGS.state_key]["folders"]["INBOX"]["uidvalidity"] += 1
    path.write_text(json.dumps(state))
    assert run(open_pipe, mail_user, frame, tmp_path).read["inbox"] == 8


REFUSED = [
    lambda c: c.add_flags([1], [b"\\Seen"]),
    lambda c: c.set_flags([1], [b"\\Deleted"]),
    lambda c: c.copy([1], "Junk"),
    lambda c: c.move([1], "Junk"),
    lambda c: c.expunge(),
    lambda c: c.delete_messages([1]),
    lambda c: c.delete_folder("Junk"),
    lambda c: c.create_folder("New"),
    lambda c: c.rename_folder("Junk", "Spam"),
    lambda c: c.close_folder(),
    lambda c: c.select_folder("INBOX", readonly=False),
    lambda c: c.fetch([1], ["BODY[]"]),
    lambda c: c.fetch([1], ["RFC822"]),
    lambda c: c.fetch([1], "RFC822.TEXT"),
    lambda c: c.append("INBOX", b"Subject: x\r\n\r\nx", flags=(b"\\Draft",)),
    lambda c: c.append(DRAFTS, b"Subject: x\r\n\r\nx", flags=()),
    lambda c: c._imap,
]


def test_the_adapter_refuses_every_verb_that_changes_mail(dovecot, mail_user, imap_log):
    with Mailbox(pipe_client(dovecot.command(mail_user))) as mb:
        mb.folders()
        mb.client.select_folder("INBOX")
        for i, call in enumerate(REFUSED):
            imap_log.clear()
            with pytest.raises(RefusedCommand):
                call(mb.client)
            assert imap_log.commands() == [], i  # refused before a byte was sent
    after = dovecot.snapshot(mail_user)
    assert {k: len(v) for k, v in after.items()} == {"INBOX": 9, "Sent": 4, "Junk": 1, DRAFTS: 1}
    assert all(b"\\Seen" not in f and b"\\Deleted" not in f for rows in after.values() for f in rows)


def test_a_broken_pipe_is_an_inbox_error(frame, tmp_path):
    def opener(_settings):
        return Mailbox(pipe_client("echo '* BYE go away'; exit 1"))

    with pytest.raises(inbox.InboxError) as e:
        inbox.scan(SETTINGS, frame, now=NOW, state_dir=tmp_path, open_mailbox=opener)
    assert e.value.exit_code == 4 and "\n" not in e.value.message


def test_a_message_to_two_contacts_of_one_row_is_one_send(frame):
    from followsync.inbox.match import match
    from followsync.inbox.messages import parse

    rows = frame.copy()
    rows.loc[rows["id"] == "A1", "other_contact"] = "HR <hr@acme.example>"
    raw = fixture("sent-thank-you-acme.eml").replace(b"To: Jane Jones <jane@acme.example>", b"To: jane@acme.example, hr@acme.example")
    f = match(rows, ["alex@example.com"], [parse(raw)], [], NOW)
    assert [(s.row_id, s.recorded) for s in f.sends] == [("A1", True)]
