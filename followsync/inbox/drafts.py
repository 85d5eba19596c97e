"""Drafts in the mail client (``drafts = true``): one APPEND to Drafts per due email action.

Each :class:`DueDraft` becomes one message with the ``\\Draft`` flag: From the profile, To the
contact, the draft's subject and body, threaded with In-Reply-To/References to the last message
of the conversation when there is one. Its Message-ID is derived from the row ID, the action and
the draft's text (:func:`message_id`), so a re-run that finds it already in Drafts (SEARCH
HEADER Message-ID) adds nothing, and an edited draft text gets a new one. followsync never
edits or deletes a draft: once the person changes or sends it, it is theirs.
"""

from __future__ import annotations

import datetime as dt
import email.policy
import email.utils
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage


@dataclass(frozen=True)
class DueDraft:
    """A due email action, as the lead hands it over from the run's plan.

    ``action`` names it (the Next action, e.g. ``Send thank-you note``); ``to`` is the contact
    address; ``in_reply_to``/``references`` thread it (``scan`` fills them from the mailbox
    when blank).
    """

    row_id: str
    action: str
    to: str
    subject: str
    body: str
    in_reply_to: str = ""
    references: tuple[str, ...] = field(default=())


def message_id(d: DueDraft, sender: str) -> str:
    """``<followsync.{hash}@{sender's domain}>``, the same for the same row, action and text."""
    digest = hashlib.sha256("\x1f".join((d.row_id, d.action, d.to.lower(), d.subject, d.body)).encode()).hexdigest()
    domain = sender.rpartition("@")[2] or "followsync.invalid"
    return f"<followsync.{digest[:32]}@{domain}>"


def build(d: DueDraft, *, sender: str, sender_name: str = "", now: dt.datetime | None = None) -> EmailMessage:
    """The draft message for ``d`` (not yet appended)."""
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["From"] = email.utils.formataddr((sender_name, sender)) if sender_name else sender
    msg["To"] = d.to
    msg["Subject"] = d.subject
    msg["Date"] = email.utils.format_datetime(now or dt.datetime.now(dt.UTC))
    msg["Message-ID"] = message_id(d, sender)
    if d.in_reply_to:
        msg["In-Reply-To"] = d.in_reply_to
        refs = list(dict.fromkeys([*d.references, d.in_reply_to]))
        msg["References"] = " ".join(refs)
    msg["X-Followsync-Row"] = d.row_id
    msg.set_content(d.body)
    return msg


def threaded(d: DueDraft, last: Sequence[str] | None) -> DueDraft:
    """``d`` with In-Reply-To/References from ``last`` ([Message-ID, References...]) if unset."""
    if d.in_reply_to or not last:
        return d
    mid, *refs = last
    return DueDraft(d.row_id, d.action, d.to, d.subject, d.body, mid, tuple(refs))
