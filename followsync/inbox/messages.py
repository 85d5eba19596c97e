"""A fetched message as a small record: who, when, what, and the reply's own text (pure).

:func:`parse` reads raw RFC 5322 bytes with the standard library (``policy=default``) into a
:class:`Message`. The body keeps only what the sender wrote this time: quoted lines (``>``),
and everything from an attribution line (``On ... wrote:``, ``Am ... schrieb ...:``,
``Le ... a écrit :``) or a forwarded/quoted header block (Outlook's ``From: / Sent:``, Gmail's
``---------- Forwarded message ---------``, ``-----Original Message-----`` and their German
and French forms) onwards, are cut. A delivery status notification (``multipart/report;
report-type=delivery-status``) names its failed recipients in :attr:`Message.bounced`.

Nothing here is stored: the sheet and History get only the date, sender, subject and a label.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import email.utils
import html
import re
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.message import Message as _StdMessage

# --------------------------------------------------------------------------------------
# The record


@dataclass(frozen=True)
class Message:
    """One message, as far as followsync needs it. Addresses are lower case.

    ``date`` is timezone-aware (the Date header; the server's INTERNALDATE when that is
    missing or broken). ``references`` holds References then In-Reply-To, without duplicates.
    ``auto`` says why it is an automatic message (``Auto-Submitted: auto-replied``,
    ``X-Autoreply``, ``out-of-office subject``), blank when a person wrote it. ``bounced`` lists
    the failed recipients of a delivery failure report. ``folder`` is the role it was read
    from (inbox, sent, junk, all, drafts), ``uid`` its IMAP UID there.
    """

    date: dt.datetime
    sender: str
    sender_name: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    subject: str
    message_id: str
    in_reply_to: str
    references: tuple[str, ...]
    auto: str
    body: str
    bounced: tuple[str, ...] = ()
    folder: str = ""
    uid: int = 0
    bounced_message_id: str = ""
    flags: tuple[str, ...] = field(default=())

    @property
    def recipients(self) -> tuple[str, ...]:
        return self.to + tuple(a for a in self.cc if a not in self.to)

    @property
    def who(self) -> str:
        """The sender as a person would name them: the display name, else the address."""
        return self.sender_name or self.sender


# --------------------------------------------------------------------------------------
# Parsing

_MSGID = re.compile(r"<[^<>\s]+>")
_OOO_SUBJECT = re.compile(
    r"\b(out of (the )?office|automatic reply|auto[- ]?reply|autoreply|away from (the )?office|on vacation|"
    r"abwesenheitsnotiz|abwesenheit|automatische antwort|nicht im b(ü|ue)ro|"
    r"r(é|e)ponse automatique|absent(e)? du bureau|message d'absence|absence du bureau)\b",
    re.I,
)


def parse(raw: bytes, *, folder: str = "", uid: int = 0, internal_date: dt.datetime | None = None,
          flags: tuple[str, ...] = ()) -> Message:
    """Parse raw message bytes. Never raises for a malformed message: fields are left blank."""
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    sender_name, sender = _first_address(msg, "From")
    subject = _header(msg, "Subject")
    refs = _ids(_header(msg, "References"))
    in_reply_to = next(iter(_ids(_header(msg, "In-Reply-To"))), "")
    references = tuple(dict.fromkeys(refs + ((in_reply_to,) if in_reply_to else ())))
    bounced, bounced_id = _bounce(msg)
    auto = "" if bounced else _auto(msg, subject)
    return Message(
        date=_date(msg, internal_date),
        sender=sender,
        sender_name=sender_name,
        to=_addresses(msg, "To"),
        cc=_addresses(msg, "Cc"),
        subject=subject,
        message_id=next(iter(_ids(_header(msg, "Message-ID"))), ""),
        in_reply_to=in_reply_to,
        references=references,
        auto=auto,
        body="" if bounced else strip_quoted(_text(msg)),
        bounced=bounced,
        folder=folder,
        uid=uid,
        bounced_message_id=bounced_id,
        flags=tuple(flags),
    )


def _header(msg: _StdMessage, name: str) -> str:
    try:
        value = msg.get(name)
    except Exception:  # a header the parser cannot decode
        return ""
    return " ".join(str(value).split()) if value is not None else ""


def _ids(text: str) -> tuple[str, ...]:
    return tuple(_MSGID.findall(text))


def _addresses(msg: _StdMessage, name: str) -> tuple[str, ...]:
    try:
        values = msg.get_all(name) or []
        pairs = email.utils.getaddresses([str(v) for v in values])
    except Exception:
        return ()
    out: list[str] = []
    for _, addr in pairs:
        a = addr.strip().lower()
        if "@" in a and a not in out:
            out.append(a)
    return tuple(out)


def _first_address(msg: _StdMessage, name: str) -> tuple[str, str]:
    try:
        values = msg.get_all(name) or []
        pairs = email.utils.getaddresses([str(v) for v in values])
    except Exception:
        return "", ""
    for display, addr in pairs:
        if addr:
            return display.strip(), addr.strip().lower()
    return "", ""


def _date(msg: _StdMessage, fallback: dt.datetime | None) -> dt.datetime:
    text = _header(msg, "Date")
    stamp = None
    if text:
        try:
            stamp = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            stamp = None
    if stamp is None:
        stamp = fallback or dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=dt.UTC)
    return stamp


def _auto(msg: _StdMessage, subject: str) -> str:
    submitted = _header(msg, "Auto-Submitted").lower()
    if submitted and submitted.split(";")[0].strip() != "no":
        return f"Auto-Submitted: {submitted.split(';')[0].strip()}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress"):
        value = _header(msg, name)
        if value and name != "X-Auto-Response-Suppress":
            return f"{name}: {value}"
    if _header(msg, "Precedence").lower() == "auto_reply":
        return "Precedence: auto_reply"
    if _OOO_SUBJECT.search(subject):
        return "out-of-office subject"
    return ""


def _bounce(msg: EmailMessage) -> tuple[tuple[str, ...], str]:
    """(failed recipients, the bounced message's Message-ID) of a DSN; ((), "") otherwise."""
    if msg.get_content_type() != "multipart/report":
        return (), ""
    if str(msg.get_param("report-type") or "").lower() != "delivery-status":
        return (), ""
    failed: list[str] = []
    original = ""
    for part in msg.walk():
        ctype = part.get_content_type()
        if ctype == "message/delivery-status":
            for block in _status_blocks(part):
                action = (block.get("Action") or "").strip().lower()
                recipient = block.get("Final-Recipient") or block.get("Original-Recipient") or ""
                addr = str(recipient).split(";", 1)[-1].strip().strip("<>").lower()
                if action.startswith("failed") and "@" in addr and addr not in failed:
                    failed.append(addr)
        elif ctype in ("text/rfc822-headers", "message/rfc822") and not original:
            try:
                inner = part.get_content()
                if isinstance(inner, str):
                    inner = email.message_from_string(inner, policy=email.policy.default)
                original = next(iter(_ids(_header(inner, "Message-ID"))), "")
            except Exception:
                pass
    return tuple(failed), original


def _status_blocks(part: _StdMessage) -> list[_StdMessage]:
    payload = part.get_payload()
    if isinstance(payload, list):
        return [p for p in payload if isinstance(p, _StdMessage)]
    # Some parsers leave the report as text: split it into header blocks ourselves.
    text = payload if isinstance(payload, str) else ""
    return [email.message_from_string(b.strip() + "\n") for b in re.split(r"\n\s*\n", text) if b.strip()]


def _text(msg: EmailMessage) -> str:
    """The text the sender wrote: the plain part, else the HTML part without its tags."""
    try:
        part = msg.get_body(preferencelist=("plain", "html"))
    except Exception:
        part = None
    if part is None:
        return ""
    try:
        content = part.get_content()
    except Exception:  # an unknown charset or broken transfer encoding
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    if not isinstance(content, str):
        return ""
    if part.get_content_type() == "text/html":
        content = html_to_text(content)
    return content


def html_to_text(markup: str) -> str:
    """A rough text form of HTML mail: blocks become lines, quoted blocks become ``>`` lines."""
    s = re.sub(r"(?is)<(script|style|head)\b.*?</\1>", "", markup)
    s = re.sub(r"(?is)<blockquote\b.*?</blockquote>", "\n> (quoted)\n", s)
    s = re.sub(r"(?i)<br\s*/?>|</(p|div|tr|li|h\d)>", "\n", s)
    s = re.sub(r"(?s)<[^>]+>", "", s)
    return html.unescape(s)


# --------------------------------------------------------------------------------------
# Quoted text

# A line where the quoted part begins; everything from it on is cut.
_CUT = [
    re.compile(p, re.I)
    for p in (
        r"^-{2,}\s*(original message|ursprüngliche nachricht|message d'origine|message original)\s*-{2,}",
        r"^-{2,}\s*(forwarded message|weitergeleitete nachricht|message transféré)\s*-{0,}",
        r"^begin forwarded message:",
        r"^_{10,}$",  # Outlook's rule above the quoted header block
    )
]
# An attribution, possibly wrapped over two or three lines: joined before matching.
_ATTRIBUTION = re.compile(
    r"^(on\b.{0,200}\bwrote|am\b.{0,200}\bschrieb\b.{0,120}|le\b.{0,200}\ba [ée]crit)\s*:\s*$", re.I
)
# Outlook's quoted header block: From:/Von:/De : followed soon by Sent:/Gesendet:/Envoyé :/Date:.
_HEADER_FROM = re.compile(r"^\*?(from|von|de)\s?:", re.I)
_HEADER_NEXT = re.compile(r"^\*?(sent|date|gesendet|datum|envoy[ée]|to|an|à|subject|betreff|objet)\s?:", re.I)


def strip_quoted(text: str) -> str:
    """The new text of a reply: no quoted lines, nothing after an attribution, no signature."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    for i, line in enumerate(lines):
        s = line.strip()
        if line.rstrip() == "--" or line == "-- ":
            break  # the signature separator
        if any(rx.search(s) for rx in _CUT):
            break
        if _ATTRIBUTION.match(s) or (
            re.match(r"^(on|am|le)\b", s, re.I)
            and any(_ATTRIBUTION.match(" ".join(x.strip() for x in lines[i : i + n])) for n in (2, 3))
        ):
            break
        if _HEADER_FROM.match(s) and any(_HEADER_NEXT.match(x.strip()) for x in lines[i + 1 : i + 4]):
            break
        if s.startswith(">"):
            continue
        kept.append(line.rstrip())
    while kept and not kept[-1].strip():
        kept.pop()
    while kept and not kept[0].strip():
        kept.pop(0)
    return "\n".join(kept)


# --------------------------------------------------------------------------------------
# Subjects

_PREFIX = re.compile(r"^\s*((re|fwd?|aw|wg|tr|antw|sv|vs|rif|r)\s*(\[\d+\]|\(\d+\))?\s*:\s*)+", re.I)


def normalise_subject(subject: str) -> str:
    """The subject for comparing: no Re:/Fwd:/AW:/WG:/TR: prefixes, lower case, single spaces."""
    s = " ".join((subject or "").split())
    s = _PREFIX.sub("", s)
    return " ".join(s.casefold().split())
