"""The adapter with a fake imapclient: Gmail's folder list, XOAUTH2, and error sentences."""

from __future__ import annotations

import socket

import imapclient
import pytest

from followsync.inbox import InboxError
from followsync.inbox.imap import Mailbox, connect, or_criteria
from followsync.inbox.settings import from_dict

GMAIL_LIST = [
    ((b"\\HasNoChildren",), b"/", "INBOX"),
    ((b"\\HasChildren", b"\\Noselect"), b"/", "[Gmail]"),
    ((b"\\All", b"\\HasNoChildren"), b"/", "[Gmail]/Alle Nachrichten"),
    ((b"\\Drafts", b"\\HasNoChildren"), b"/", "[Gmail]/Entwürfe"),
    ((b"\\HasNoChildren", b"\\Sent"), b"/", "[Gmail]/Gesendet"),
    ((b"\\HasNoChildren", b"\\Junk"), b"/", "[Gmail]/Spam"),
    ((b"\\HasNoChildren", b"\\Trash"), b"/", "[Gmail]/Papierkorb"),
]


class FakeClient:
    def __init__(self, host, port=None, ssl=True, ssl_context=None, timeout=None, listing=GMAIL_LIST, fail=None):
        self.calls = [("connect", host, port, ssl)]
        self.listing = listing
        self.fail = fail

    def starttls(self, context):
        self.calls.append(("starttls",))

    def login(self, user, password):
        if self.fail:
            raise self.fail
        self.calls.append(("login", user))

    def oauth2_login(self, user, token):
        self.calls.append(("oauth2_login", user, token))

    def list_folders(self):
        return self.listing

    def find_special_folder(self, flag):
        return None

    def logout(self):
        self.calls.append(("logout",))

    def shutdown(self):
        self.calls.append(("shutdown",))


def settings(**kw):
    return from_dict({"host": "imap.gmail.com", "username": "alex@gmail.com", "password_env": "FS_FAKE_PW", **kw})


@pytest.fixture
def fake(monkeypatch):
    made = []

    def factory(*a, **kw):
        c = FakeClient(*a, **kw)
        made.append(c)
        return c

    monkeypatch.setattr(imapclient, "IMAPClient", factory)
    monkeypatch.setenv("FS_FAKE_PW", "app-password")
    return made


def test_gmail_folders_by_flag_in_any_language(fake):
    with connect(settings()) as mb:
        assert mb.folders() == {
            "inbox": "INBOX",
            "all": "[Gmail]/Alle Nachrichten",
            "drafts": "[Gmail]/Entwürfe",
            "sent": "[Gmail]/Gesendet",
            "junk": "[Gmail]/Spam",
        }
        assert mb.client.drafts_folder == "[Gmail]/Entwürfe"
    assert fake[0].calls == [("connect", "imap.gmail.com", 993, True), ("login", "alex@gmail.com"), ("logout",)]


def test_xoauth2_with_a_token_command_and_with_google(fake):
    s = from_dict({"preset": "outlook", "username": "alex@outlook.com", "auth": "xoauth2",
                   "password_command": ["python3", "-c", "print('tok-123')"]})
    connect(s).close()
    assert ("oauth2_login", "alex@outlook.com", "tok-123") in fake[0].calls
    g = from_dict({"preset": "gmail", "username": "alex@gmail.com", "auth": "google"})
    connect(g, token=lambda: "ya29.token").close()
    assert ("oauth2_login", "alex@gmail.com", "ya29.token") in fake[1].calls
    with pytest.raises(InboxError, match="needs a Google token"):
        connect(g)


def test_starttls_comes_before_the_login(fake):
    connect(settings(security="starttls")).close()
    assert [c[0] for c in fake[0].calls] == ["connect", "starttls", "login", "logout"]
    assert fake[0].calls[0] == ("connect", "imap.gmail.com", 143, False)


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (imapclient.exceptions.LoginError("[AUTHENTICATIONFAILED] Invalid credentials"), "auth"),
        (TimeoutError(), "timeout"),
        (socket.gaierror(), "unreachable"),
        (ConnectionRefusedError(), "unreachable"),
        (imapclient.exceptions.IMAPClientError("BAD something"), "imap"),
    ],
)
def test_failures_are_one_sentence_with_a_reason(monkeypatch, error, reason):
    monkeypatch.setenv("FS_FAKE_PW", "app-password")
    monkeypatch.setattr(imapclient, "IMAPClient", lambda *a, **kw: FakeClient(*a, fail=error, **kw))
    with pytest.raises(InboxError) as e:
        connect(settings())
    assert e.value.reason == reason and e.value.exit_code == 4
    assert "app-password" not in str(e.value) and "\n" not in e.value.message


def test_a_missing_password_needs_no_server(monkeypatch):
    monkeypatch.delenv("FS_FAKE_PW", raising=False)
    monkeypatch.setattr(imapclient, "IMAPClient", lambda *a, **kw: pytest.fail("connected"))
    with pytest.raises(InboxError, match="FS_FAKE_PW"):
        connect(settings())


def test_or_criteria_is_prefix_form():
    assert or_criteria(["from:a@x", "from:b@x", "to:c@x"]) == ["OR", "OR", "FROM", "a@x", "FROM", "b@x", "TO", "c@x"]
    assert or_criteria(["ref:<m@x>"]) == ["OR", "HEADER", "In-Reply-To", "<m@x>", "HEADER", "References", "<m@x>"]


def test_a_server_without_special_use_falls_back_to_names():
    class Plain(FakeClient):
        def find_special_folder(self, flag):
            return {b"\\Sent": "INBOX.Sent Items", b"\\Drafts": "INBOX.Drafts"}.get(flag)

    mb = Mailbox(Plain("h", listing=[((b"\\HasNoChildren",), b".", "INBOX")]))
    assert mb.folders() == {"inbox": "INBOX", "sent": "INBOX.Sent Items", "drafts": "INBOX.Drafts"}


def test_where_all_mail_exists_it_is_read_instead_of_inbox(tmp_path):
    from followsync import inbox

    from .conftest import NOW, demo_frame, fixture_messages

    class AllMail(Mailbox):
        reads: list = []

        def folders(self):
            return {"inbox": "INBOX", "all": "[Gmail]/All Mail", "sent": "[Gmail]/Sent Mail", "junk": "[Gmail]/Spam"}

        def read(self, folder, keys, *, since, state, role):
            self.reads.append((folder, role))
            if role == "all":  # All Mail holds the sent mail too
                return fixture_messages("inbox") + fixture_messages("sent")
            return fixture_messages("junk") if role == "junk" else []

        def close(self):
            pass

    s = from_dict({"host": "imap.gmail.com", "username": "alex@example.com", "password_env": "X"})
    f = inbox.scan(s, demo_frame(), now=NOW, state_dir=tmp_path, open_mailbox=lambda _s: AllMail(object()))
    assert AllMail.reads == [("[Gmail]/Sent Mail", "sent"), ("[Gmail]/All Mail", "all"), ("[Gmail]/Spam", "junk")]
    assert {s.row_id for s in f.recorded} == {"A1", "E5", "F6"}  # the sent mail found in All Mail
    assert f.suggested_status["B2"] == "Rejected"
