"""Connect and log in to a Dovecot daemon on 127.0.0.1: plain, TLS, STARTTLS, and failures."""

from __future__ import annotations

import pytest

from followsync import inbox
from followsync.inbox.imap import connect
from followsync.inbox.settings import from_dict

from .conftest import DRAFTS, NOW, PASSWORD, _free_port


@pytest.fixture(scope="module")
def daemon(dovecot):
    dovecot.start_daemon()
    return dovecot


@pytest.fixture
def password(monkeypatch):
    monkeypatch.setenv("FS_TEST_IMAP_PASSWORD", PASSWORD)
    return "FS_TEST_IMAP_PASSWORD"


def settings(**kw):
    base = {"host": "127.0.0.1", "username": "alex@example.com", "password_env": "FS_TEST_IMAP_PASSWORD", "timeout": 5,
            "address": "alex@example.com"}
    return from_dict({**base, **kw})


def test_plain_login_on_localhost(daemon, password, imap_log):
    with connect(settings(security="none", port=daemon.imap_port, username="plain-user")) as mb:
        assert mb.folders()["drafts"] == DRAFTS
    assert "LOGIN" in imap_log.verbs()


def test_the_password_is_never_logged(daemon, password, caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    with connect(settings(security="none", port=daemon.imap_port, username="log-user")) as mb:
        mb.folders()
    assert "LOGIN" in caplog.text  # imapclient logs the command, redacted
    assert PASSWORD not in caplog.text


def test_tls_login_with_a_throwaway_certificate(daemon, password):
    s = settings(security="ssl", port=daemon.imaps_port, cafile=str(daemon.cert), username="tls-user")
    with connect(s) as mb:
        assert mb.folders()["sent"] == "Sent"


def test_starttls_login(daemon, password):
    s = settings(security="starttls", port=daemon.imap_port, cafile=str(daemon.cert), username="starttls-user")
    with connect(s) as mb:
        assert mb.folders()["junk"] == "Junk"


def test_a_whole_scan_over_tls(daemon, password, mail_user, frame, tmp_path):
    s = settings(security="ssl", port=daemon.imaps_port, cafile=str(daemon.cert), username=mail_user)
    before = daemon.snapshot(mail_user)
    f = inbox.scan(s, frame, now=NOW, state_dir=tmp_path)
    assert f.suggested_status["B2"] == "Rejected" and f.read["inbox"] == 8
    assert daemon.snapshot(mail_user) == before


def test_an_unknown_certificate_is_a_tls_error(daemon, password):
    with pytest.raises(inbox.InboxError, match="TLS connection") as e:
        connect(settings(security="ssl", port=daemon.imaps_port))
    assert e.value.reason == "tls" and e.value.exit_code == 4


def test_a_wrong_password_is_one_sentence_without_the_password(daemon, monkeypatch):
    monkeypatch.setenv("FS_TEST_IMAP_PASSWORD", "not-the-password")
    with pytest.raises(inbox.InboxError) as e:
        connect(settings(security="none", port=daemon.imap_port))
    assert e.value.reason == "auth"
    assert str(e.value).startswith("The mail server 127.0.0.1 refused the login for alex@example.com.")
    assert "not-the-password" not in str(e.value)


def test_a_server_that_is_down(password):
    with pytest.raises(inbox.InboxError, match="cannot be reached") as e:
        connect(settings(security="none", port=_free_port()))
    assert e.value.reason == "unreachable"


def test_scan_raises_inbox_error_when_the_mailbox_fails(password, frame, tmp_path):
    with pytest.raises(inbox.InboxError) as e:
        inbox.scan(settings(security="none", port=_free_port()), frame, now=NOW, state_dir=tmp_path)
    assert e.value.exit_code == 4
