"""Mail through a real SMTP server on loopback (aiosmtpd): STARTTLS, AUTH, and every failure."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import ipaddress
import logging
import socket
import ssl
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from followsync.errors import EXIT_NOTIFY, ConfigError, FollowsyncError
from followsync.outputs.mail import Attachment, NotifyError, NotifySettings, build_message, send

USER = "alex@example.com"
PASSWORD = "s3cret-Pa55-word"
DIGEST = "3 actions due today:\n- Thank-you note: Acme (Marketing Manager)\n"
REPORT_HTML = "<!DOCTYPE html><html><body><h1>Coaching report</h1></body></html>"


# --------------------------------------------------------------------------------------
# A loopback SMTP server with STARTTLS and AUTH


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost: (cert.pem, key.pem)."""
    folder = tmp_path_factory.mktemp("tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


class Mailbox:
    """aiosmtpd handler: keeps every message with the session facts a test checks."""

    def __init__(self) -> None:
        self.messages: list[dict] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(
            {
                "mail_from": envelope.mail_from,
                "rcpt_tos": list(envelope.rcpt_tos),
                "data": envelope.original_content or envelope.content,
                "tls": session.ssl is not None,
                "authenticated": session.authenticated,
            }
        )
        return "250 OK"


def _authenticate(server, session, envelope, mechanism, auth_data):
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == USER.encode()
        and auth_data.password == PASSWORD.encode()
    )
    return AuthResult(success=ok, handled=False)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server(certificate):
    """A server that requires STARTTLS, then AUTH; yields (port, mailbox)."""
    cert_path, key_path = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    mailbox = Mailbox()
    controller = Controller(
        mailbox,
        hostname="127.0.0.1",
        port=_free_port(),
        tls_context=context,
        require_starttls=True,
        auth_required=True,
        auth_require_tls=True,
        authenticator=_authenticate,
    )
    controller.start()
    try:
        yield controller.port, mailbox
    finally:
        controller.stop()


def settings_for(port: int, certificate, **over) -> NotifySettings:
    table = {
        "host": "127.0.0.1",
        "port": port,
        "username": USER,
        "password_env": "FOLLOWSYNC_TEST_SMTP_PASSWORD",
        "sender": f"Alex Morgan <{USER}>",
        "to": USER,
        "coach": "Chris Coach <coach@example.org>",
        "timeout": 5,
        "cafile": str(certificate[0]),
    }
    table.update(over)
    return NotifySettings.from_dict({k: v for k, v in table.items() if v is not None})


@pytest.fixture(autouse=True)
def _password(monkeypatch):
    monkeypatch.setenv("FOLLOWSYNC_TEST_SMTP_PASSWORD", PASSWORD)


# --------------------------------------------------------------------------------------
# Sending


def test_digest_and_report_arrive_over_starttls_after_login(smtp_server, certificate, caplog):
    port, mailbox = smtp_server
    settings = settings_for(port, certificate)
    caplog.set_level(logging.DEBUG, logger="followsync")
    message_id = send(
        settings,
        subject="followsync: 3 actions due",
        text=DIGEST,
        attachments=[Attachment("report.html", REPORT_HTML.encode(), "text/html")],
    )
    assert len(mailbox.messages) == 1
    got = mailbox.messages[0]
    assert got["tls"] and got["authenticated"]
    assert got["mail_from"] == USER
    assert got["rcpt_tos"] == [USER, "coach@example.org"]
    msg = email.message_from_bytes(got["data"], policy=email.policy.default)
    assert msg["Subject"] == "followsync: 3 actions due"
    assert msg["Message-ID"] == message_id
    assert msg["Cc"] == "Chris Coach <coach@example.org>"
    assert msg.get_body(("plain",)).get_content().replace("\r\n", "\n") == DIGEST
    (report,) = list(msg.iter_attachments())
    assert report.get_filename() == "report.html"
    assert report.get_content_type() == "text/html"
    assert report.get_payload(decode=True).decode() == REPORT_HTML
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("followsync"))
    assert "Mailing" in ours and "Logging in" in ours  # the log is on, and still holds no password
    assert PASSWORD not in ours


def test_html_alternative_and_no_coach_copy(smtp_server, certificate):
    port, mailbox = smtp_server
    send(settings_for(port, certificate), subject="Weekly", text="plain", html="<p>rich</p>", cc_coach=False)
    got = mailbox.messages[0]
    assert got["rcpt_tos"] == [USER]
    msg = email.message_from_bytes(got["data"], policy=email.policy.default)
    assert msg["Cc"] is None
    assert msg.get_body(("html",)).get_content().strip() == "<p>rich</p>"
    assert msg.get_body(("plain",)).get_content().strip() == "plain"


def test_password_from_a_file(smtp_server, certificate, tmp_path, monkeypatch):
    port, mailbox = smtp_server
    monkeypatch.delenv("FOLLOWSYNC_TEST_SMTP_PASSWORD")
    secret = tmp_path / "smtp-password"
    secret.write_text(PASSWORD + "\n")
    send(settings_for(port, certificate, password_env=None, password_file=str(secret)), subject="s", text="t")
    assert len(mailbox.messages) == 1


def test_refused_login(smtp_server, certificate, monkeypatch):
    port, mailbox = smtp_server
    monkeypatch.setenv("FOLLOWSYNC_TEST_SMTP_PASSWORD", "wrong-password")
    with pytest.raises(NotifyError) as info:
        send(settings_for(port, certificate), subject="s", text="t")
    err = info.value
    assert err.reason == "auth" and err.exit_code == EXIT_NOTIFY == 4
    assert isinstance(err, FollowsyncError)
    assert "refused the login" in err.message and "535" in err.message
    assert "wrong-password" not in str(err) and err.__cause__ is None
    assert mailbox.messages == []


def test_server_down():
    port = _free_port()  # nothing listens there any more
    settings = NotifySettings(host="127.0.0.1", port=port, sender=USER, to=(USER,), timeout=5)
    with pytest.raises(NotifyError) as info:
        send(settings, subject="s", text="t")
    assert info.value.reason == "unreachable"
    assert "connection refused" in info.value.message


def test_server_that_never_answers_times_out():
    # The kernel accepts the connection into the backlog; nobody ever sends a greeting.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        settings = NotifySettings(
            host="127.0.0.1", port=listener.getsockname()[1], sender=USER, to=(USER,), timeout=0.3
        )
        with pytest.raises(NotifyError) as info:
            send(settings, subject="s", text="t")
    assert info.value.reason == "timeout"
    assert "did not answer within 0.3 seconds" in info.value.message


def test_untrusted_certificate_is_refused(smtp_server, certificate):
    port, mailbox = smtp_server
    with pytest.raises(NotifyError) as info:
        send(settings_for(port, certificate, cafile=None), subject="s", text="t")
    assert info.value.reason == "tls"
    assert "cannot trust" in info.value.message
    assert mailbox.messages == []


def test_server_without_starttls_gets_no_password(certificate):
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        with pytest.raises(NotifyError) as info:
            send(settings_for(controller.port, certificate), subject="s", text="t")
    finally:
        controller.stop()
    assert info.value.reason == "tls"
    assert "does not offer STARTTLS" in info.value.message
    assert mailbox.messages == []


def test_missing_password_fails_before_connecting(monkeypatch, certificate):
    monkeypatch.delenv("FOLLOWSYNC_TEST_SMTP_PASSWORD")
    # Port 1 on loopback: were it contacted, the error would be 'unreachable', not 'password'.
    with pytest.raises(NotifyError) as info:
        send(settings_for(1, certificate), subject="s", text="t")
    assert info.value.reason == "password"
    assert "FOLLOWSYNC_TEST_SMTP_PASSWORD" in info.value.message


def test_message_attaches_a_file_by_path(tmp_path):
    report = tmp_path / "report.html"
    report.write_text(REPORT_HTML)
    settings = NotifySettings(host="h", sender=USER, to=(USER,))
    msg = build_message(settings, subject="s", text="t", attachments=[report])
    (part,) = list(msg.iter_attachments())
    assert part.get_filename() == "report.html" and part.get_content_type() == "text/html"
    assert msg["Auto-Submitted"] == "auto-generated"


# --------------------------------------------------------------------------------------
# [notify] settings


def test_settings_defaults_and_paths(tmp_path):
    s = NotifySettings.from_dict(
        {
            "host": "smtp.example.com",
            "username": USER,
            "password_file": "secrets/smtp",
            "sender": USER,
            "to": [USER, "Alex <alex@work.example>"],
        },
        base_dir=tmp_path,
    )
    assert (s.port, s.starttls, s.weekly_report, s.timeout) == (587, True, False, 30.0)
    assert s.to == (USER, "Alex <alex@work.example>") and s.coach == ()
    assert s.password_file == tmp_path / "secrets" / "smtp"
    assert PASSWORD not in repr(s)


def test_settings_list_every_problem_at_once():
    with pytest.raises(ConfigError) as info:
        NotifySettings.from_dict(
            {
                "port": 70000,
                "username": USER,
                "password_env": "A",
                "password_file": "b",
                "sender": "not an address",
                "to": ["ok@example.com", "nope"],
                "weekly_report": "yes",
                "from": USER,
            }
        )
    text = str(info.value)
    assert "have 7 problems" in text
    for fragment in (
        "notify.host is required",
        "notify.port: 70000",
        "both set",
        "notify.sender: 'not an address'",
        "notify.to: 'nope'",
        "notify.weekly_report: 'yes' is not true or false",
        "notify.from (the From address is called sender)",
    ):
        assert fragment in text


def test_settings_refuse_a_login_without_a_password_and_plain_text_passwords():
    with pytest.raises(ConfigError) as info:
        NotifySettings.from_dict(
            {"host": "smtp.example.com", "username": USER, "sender": USER, "to": USER, "starttls": False}
        )
    text = str(info.value)
    assert "add password_env or password_file" in text
    assert "unencrypted" in text
    # A relay on this machine may go without STARTTLS.
    s = NotifySettings.from_dict(
        {
            "host": "localhost",
            "port": 25,
            "username": USER,
            "password_env": "X",
            "sender": USER,
            "to": USER,
            "starttls": False,
        }
    )
    assert s.starttls is False
