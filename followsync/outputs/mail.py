"""Email the digest (and, weekly, the report) through SMTP with STARTTLS: ``[notify]``.

::

    [notify]
    host = "smtp.example.com"
    port = 587                         # default
    username = "alex@example.com"
    password_env = "FOLLOWSYNC_SMTP_PASSWORD"   # or: password_file = "~/.config/followsync/smtp"
    sender = "Alex Morgan <alex@example.com>"
    to = "alex@example.com"            # or a list
    coach = "coach@example.com"        # optional: gets a copy (Cc)
    weekly_report = true               # attach the HTML report once a week
    starttls = true                    # default; false only for a relay on this machine

The password is read when mail is sent, from the environment variable or the file named, and
is never written to a message, a log line or an exception. Every failure becomes a
:class:`NotifyError` whose message is one sentence a person can act on; its exit code (4) lets
cron tell "the sheet was written, but mail failed" from a tracker error.
"""

from __future__ import annotations

import datetime as dt
import logging
import mimetypes
import os
import smtplib
import socket
import ssl
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, getaddresses, make_msgid
from pathlib import Path
from typing import TYPE_CHECKING

from ..config import NotifySettings, address_of, state_dir, warn_if_shared
from ..errors import NotifyError
from . import digest

if TYPE_CHECKING:
    from ..config import Config
    from .results import Outcome

log = logging.getLogger(__name__)



# --------------------------------------------------------------------------------------
# The message


@dataclass(frozen=True)
class Attachment:
    """A file to attach: its name, its bytes, and its MIME type."""

    filename: str
    content: bytes
    mime_type: str = "application/octet-stream"

    @classmethod
    def from_path(cls, path: str | os.PathLike) -> Attachment:
        p = Path(path)
        mime, _ = mimetypes.guess_type(p.name)
        return cls(p.name, p.read_bytes(), mime or "application/octet-stream")


def build_message(
    settings: NotifySettings,
    *,
    subject: str,
    text: str,
    html: str | None = None,
    attachments: Iterable[Attachment | str | os.PathLike] = (),
    cc_coach: bool = True,
) -> EmailMessage:
    """The email: plain text, an HTML alternative when given, then the attachments."""
    msg = EmailMessage()
    msg["From"] = settings.sender
    msg["To"] = ", ".join(settings.to)
    if cc_coach and settings.coach:
        msg["Cc"] = ", ".join(settings.coach)
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(
        "followsync", domain=address_of(settings.sender).rpartition("@")[2] or None
    )
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: vacation responders stay quiet
    msg.set_content(text)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    for item in attachments:
        att = item if isinstance(item, Attachment) else Attachment.from_path(item)
        maintype, _, subtype = att.mime_type.partition("/")
        msg.add_attachment(
            att.content, maintype=maintype, subtype=subtype or "octet-stream", filename=att.filename
        )
    return msg


def recipients(settings: NotifySettings, *, cc_coach: bool = True) -> list[str]:
    """The bare addresses the message goes to: the person's, then the coach's."""
    named = list(settings.to) + (list(settings.coach) if cc_coach else [])
    return [addr for _, addr in getaddresses(named) if addr]


# --------------------------------------------------------------------------------------
# Sending


def read_password(settings: NotifySettings) -> str | None:
    """The password, read now from the environment or the file; None without a login."""
    if not settings.username:
        return None
    if settings.password_env:
        value = os.environ.get(settings.password_env, "")
        if not value:
            raise NotifyError(
                f"The mail password is not set: the environment variable {settings.password_env} is empty or missing.",
                reason="password",
                hint=f"Set {settings.password_env} where followsync runs (for cron, in the crontab or a file it sources).",
            )
        return value
    assert settings.password_file is not None  # NotifySettings.from_dict saw to it
    try:
        lines = settings.password_file.read_text(encoding="utf-8").splitlines()
        warn_if_shared(settings.password_file)
    except OSError as e:
        raise NotifyError(
            f"The mail password file {settings.password_file} cannot be read ({e.strerror or type(e).__name__}).",
            reason="password",
        ) from None
    value = lines[0].strip() if lines else ""
    if not value:
        raise NotifyError(f"The mail password file {settings.password_file} is empty.", reason="password")
    return value


def send(
    settings: NotifySettings,
    *,
    subject: str,
    text: str,
    html: str | None = None,
    attachments: Iterable[Attachment | str | os.PathLike] = (),
    cc_coach: bool = True,
) -> str:
    """Send one email through ``settings``' server; returns its Message-ID.

    STARTTLS (when ``starttls``) is required before the login: a server that does not offer it
    is an error, never a fallback to plain text. Raises :class:`NotifyError` for every failure.
    """
    password = read_password(settings)  # before connecting: a missing password needs no server
    msg = build_message(
        settings, subject=subject, text=text, html=html, attachments=attachments, cc_coach=cc_coach
    )
    to_addrs = recipients(settings, cc_coach=cc_coach)
    server = settings.server
    log.info("Mailing %r to %d recipient(s) through %s", subject, len(to_addrs), server)
    try:
        refused = _deliver(settings, msg, to_addrs, password)
    except NotifyError:
        raise
    except OSError as e:  # smtplib's, ssl's and socket's errors are all OSErrors
        raise _smtp_failure(settings, e) or _connection_failure(settings, e) from None
    if refused:
        log.warning("The mail server %s refused some recipients: %s", server, ", ".join(refused))
    log.info("Mail sent to %s", ", ".join(to_addrs))
    return msg["Message-ID"]


def _deliver(
    settings: NotifySettings, msg: EmailMessage, to_addrs: list[str], password: str | None
) -> dict[str, tuple[int, bytes]]:
    """One SMTP session: STARTTLS, the login, the message; the recipients the server refused."""
    server = settings.server
    with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout) as smtp:
        smtp.ehlo()
        if settings.starttls:
            if not smtp.has_extn("starttls"):
                raise NotifyError(
                    f"The mail server {server} does not offer STARTTLS, so followsync will not send through it.",
                    reason="tls",
                    hint="Check host and port (587 is the usual submission port with STARTTLS).",
                )
            context = ssl.create_default_context(cafile=str(settings.cafile) if settings.cafile else None)
            smtp.starttls(context=context)
            smtp.ehlo()
        if password is not None:
            log.debug("Logging in to %s as %s", server, settings.username)
            smtp.login(settings.username, password)
        return smtp.send_message(msg, from_addr=address_of(settings.sender), to_addrs=to_addrs)


def _smtp_failure(settings: NotifySettings, e: OSError) -> NotifyError | None:
    """The sentence for what the SMTP server said; None for an error below SMTP."""
    server = settings.server
    if isinstance(e, smtplib.SMTPAuthenticationError):
        return NotifyError(
            f"The mail server {server} refused the login for {settings.username} ({_reply(e)}).",
            reason="auth",
            hint="Check notify.username and the password; some providers need an app password.",
        )
    if isinstance(e, smtplib.SMTPNotSupportedError):
        return NotifyError(
            f"The mail server {server} does not accept a login (no AUTH); leave notify.username blank if it needs none.",
            reason="auth",
        )
    if isinstance(e, smtplib.SMTPRecipientsRefused):
        return NotifyError(
            f"The mail server {server} refused every recipient: {', '.join(e.recipients)}.", reason="refused"
        )
    if isinstance(e, smtplib.SMTPSenderRefused):
        return NotifyError(
            f"The mail server {server} refused the sender {e.sender} ({_reply(e)}).", reason="refused"
        )
    if isinstance(e, smtplib.SMTPDataError):
        return NotifyError(f"The mail server {server} refused the message ({_reply(e)}).", reason="refused")
    if isinstance(e, smtplib.SMTPServerDisconnected):
        if isinstance(e.__context__, TimeoutError):  # smtplib wraps a read timeout in this
            return NotifyError(
                f"The mail server {server} did not answer within {settings.timeout:g} seconds.",
                reason="timeout",
            )
        return NotifyError(
            f"The mail server {server} closed the connection before the mail was sent.", reason="smtp"
        )
    if isinstance(e, smtplib.SMTPException):
        return NotifyError(f"Sending mail through {server} failed: {_reply(e)}.", reason="smtp")
    return None


def _connection_failure(settings: NotifySettings, e: OSError) -> NotifyError:
    """The sentence for a failure to reach the server or to encrypt the connection."""
    server = settings.server
    if isinstance(e, ssl.SSLCertVerificationError):
        return NotifyError(
            f"The mail server {server} has a certificate followsync cannot trust ({e.verify_message}).",
            reason="tls",
            hint="For a server with a private certificate, set notify.cafile to its CA certificate.",
        )
    if isinstance(e, ssl.SSLError):
        return NotifyError(f"The encrypted connection to {server} failed ({e.reason or e}).", reason="tls")
    if isinstance(e, TimeoutError):
        return NotifyError(
            f"The mail server {server} did not answer within {settings.timeout:g} seconds.", reason="timeout"
        )
    if isinstance(e, ConnectionRefusedError):
        return NotifyError(
            f"The mail server {server} is not accepting connections (connection refused).",
            reason="unreachable",
            hint="Check notify.host and notify.port, and that the server is up.",
        )
    if isinstance(e, socket.gaierror):
        return NotifyError(
            f"The mail server name {settings.host!r} cannot be resolved.", reason="unreachable"
        )
    return NotifyError(
        f"The mail server {server} cannot be reached ({e.strerror or type(e).__name__}).",
        reason="unreachable",
    )


def _reply(e: smtplib.SMTPException) -> str:
    """The server's reply code and first line, short; never anything followsync sent."""
    code = getattr(e, "smtp_code", None)
    raw = getattr(e, "smtp_error", b"")
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw or e)
    first = (text.splitlines() or [""])[0][:120]
    return f"{code} {first}".strip() if code else first or type(e).__name__


# --------------------------------------------------------------------------------------
# After a run: the digest, and once a week the report


def something_due(outcomes: Sequence[Outcome]) -> bool:
    return any(d.urgency in ("overdue", "today") for o in outcomes if o.result for d in o.result.due)


def mail_digest(config: Config, outcomes: Sequence[Outcome], now: dt.datetime) -> str | None:
    """Mail the digest (and, once a week, the report) when something is due; the Message-ID."""
    from . import report  # matplotlib: only when a report may be attached

    settings = config.notify
    if settings is None or not something_due(outcomes):
        return None
    attachments = []
    if settings.weekly_report and _weekly_due(config, now):
        for o in outcomes:
            if o.result and o.result.summary is not None:
                html = report.render(o.result.summary, title=digest.title(config.profile.name, o.spec.name, o.spec.location), now=now)
                attachments.append(Attachment(f"followsync-{o.spec.name}.html", html.encode(), "text/html"))
    due = sum(1 for o in outcomes if o.result for d in o.result.due if d.urgency in ("overdue", "today"))
    message_id = send(
        settings,
        subject=f"followsync: {due} follow-up{'s' if due != 1 else ''} due ({now:%a %d %b})",
        text=digest.text(outcomes, config.profile.name),
        attachments=attachments,
    )
    if attachments:
        _weekly_stamp(config).write_text(now.date().isoformat())
    return message_id


def _weekly_stamp(config: Config) -> Path:
    import hashlib

    key = hashlib.sha1(str(config.path or "default").encode()).hexdigest()[:12]
    folder = state_dir()
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"weekly-report-{key}"


def _weekly_due(config: Config, now: dt.datetime) -> bool:
    stamp = _weekly_stamp(config)
    try:
        last = dt.date.fromisoformat(stamp.read_text().strip())
    except (OSError, ValueError):
        return True
    return (now.date() - last).days >= 7
