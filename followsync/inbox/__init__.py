"""The inbox step (issue 15): what was sent, what came back, read from the mailbox over IMAP.

The interface for ``followsync run`` is one call::

    findings = inbox.scan(settings, tracker.frame, now=now, state_dir=None,
                          profile_addresses=None, due_drafts=None, dry_run=False)

It connects, reads Sent and INBOX/Junk (or All Mail) incrementally, matches the messages to the
frame's rows (:func:`followsync.inbox.match.match`), appends drafts when asked, and returns
:class:`~followsync.inbox.match.Findings`. Call ``findings.commit()`` once the tracker is
written, to save the read state. A mailbox that fails raises
:class:`~followsync.inbox.errors.InboxError` (exit code 4) with one sentence; the run still
writes the tracker.

Rooms: ``settings`` (the ``[inbox]`` table), ``imap`` (the read-only adapter and the state
file), ``messages`` (parsing, pure), ``match`` (the rules, pure), ``labels`` (the phrase
rules, pure), ``drafts`` (the APPENDed drafts), ``errors``, and ``wire`` (the findings laid into
the tracker by ``followsync run``). README's "Inbox" section is the user's guide.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import pandas as pd

from ..errors import FollowsyncError
from .drafts import DueDraft, build, message_id, threaded
from .errors import InboxError, RefusedCommand
from .imap import Mailbox, ReadState, connect, incoming_keys, sent_keys
from .match import Findings, contact_addresses, explain, match, rows_of
from .settings import InboxSettings, from_dict

__all__ = [
    "DueDraft",
    "Findings",
    "InboxError",
    "InboxSettings",
    "RefusedCommand",
    "explain",
    "from_dict",
    "scan",
    "since_floor",
]


def since_floor(frame: pd.DataFrame, now: dt.datetime, lookback_days: int) -> dt.date:
    """The SINCE date: the earliest Applied on / Interview at of a row with a contact, minus a
    week, but never earlier than ``lookback_days`` before ``now``."""
    floor = now.date() - dt.timedelta(days=lookback_days)
    dates = []
    for r in rows_of(frame):
        if not r.contacts:
            continue
        for d in (r.applied, r.interview.date() if r.interview else None):
            if d is not None:
                dates.append(d)
    if dates:
        return max(floor, min(dates) - dt.timedelta(days=7))
    return floor


def scan(
    settings: InboxSettings,
    frame: pd.DataFrame,
    *,
    now: dt.datetime,
    state_dir: Path | None = None,
    profile_addresses: Iterable[str] | None = None,
    due_drafts: Sequence[DueDraft] | Callable[[Findings], Sequence[DueDraft]] | None = None,
    dry_run: bool = False,
    full: bool = False,
    sender_name: str = "",
    token: Callable[[], str] | None = None,
    open_mailbox: Callable[[InboxSettings], Mailbox] | None = None,
) -> Findings:
    """Read the mailbox and match it to ``frame``. Raises :class:`InboxError` on failure.

    - ``profile_addresses``: the person's own addresses (default: ``settings.addresses``);
      the first is the drafts' From.
    - ``due_drafts``: the run's due email actions; appended to Drafts only when
      ``settings.drafts`` and not ``dry_run``; one already there (same Message-ID) is skipped.
      A callable is given the findings once matched and returns them (``followsync run``
      applies the findings, runs the rules, and hands back what is due, in one session).
    - ``dry_run``: read and match, append nothing, save no state (``commit`` does nothing).
    - ``full``: read the whole range again, as if no earlier run had (for ``followsync inbox
      --explain ID``, which must see the row's whole conversation); saves no state.
    - ``token``: an access token provider for ``auth = "google"``.
    - ``open_mailbox``: for tests (a Dovecot over a pipe); default :func:`imap.connect`.
    """
    own = [a.lower() for a in (profile_addresses or settings.addresses)]
    state = ReadState.at(state_dir, settings.state_key)
    if full:
        state.data["folders"] = {}
        dry_run = True
    contacts = contact_addresses(frame)
    since = since_floor(frame, now, settings.lookback_days)
    opener = open_mailbox or (lambda s: connect(s, token=token))
    try:
        mailbox = opener(settings)
        with mailbox:
            folders = mailbox.folders()
            sent, received, read = _read_mail(mailbox, folders, contacts, since, state, own)
            findings = match(frame, own, sent, received, now, threads=state.threads)
            findings.read = read
            state.threads.update(findings.threads)
            state.last.update(findings.last_message)
            if callable(due_drafts):
                due_drafts = due_drafts(findings)
            if due_drafts and settings.drafts and not dry_run:
                sender = own[0] if own else settings.username
                _append_drafts(mailbox, folders, findings, due_drafts, state, sender, sender_name, now)
    except FollowsyncError:  # an InboxError, or the run's own from ``due_drafts``
        raise
    except Exception as e:
        from .imap import _error

        raise _error(e, settings) from None
    if not dry_run:
        findings._commit = state.save
    return findings


def _read_mail(
    mailbox: Mailbox,
    folders: dict[str, str],
    contacts: list[str],
    since: dt.date,
    state: ReadState,
    own: list[str],
) -> tuple[list, list, dict[str, int]]:
    """(sent, received, how many were read per folder role): Sent, then INBOX and Junk (or All
    Mail and Junk), each searched for the contacts, incrementally."""
    sent: list = []
    received: list = []
    read: dict[str, int] = {}
    if contacts and "sent" in folders:
        got = mailbox.read(folders["sent"], sent_keys(contacts), since=since, state=state, role="sent")
        sent += got
        read["sent"] = len(got)
    # Replies threaded to mail the person sent (this run's and earlier runs').
    refs = [m.message_id for m in sent if m.message_id] + list(state.threads)[-50:]
    keys = incoming_keys(contacts, list(dict.fromkeys(refs))[-60:]) if contacts else []
    incoming_roles = ["all", "junk"] if "all" in folders else ["inbox", "junk"]
    for role in incoming_roles:
        if role in folders and keys:
            got = mailbox.read(folders[role], keys, since=since, state=state, role=role)
            received += got
            read[role] = len(got)
    # All Mail holds the person's own sent mail too: count it as sent.
    seen_ids = {m.message_id for m in sent if m.message_id}
    for m in list(received):
        if m.sender in own:
            received.remove(m)
            if m.message_id not in seen_ids:
                sent.append(m)
                seen_ids.add(m.message_id)
    return sent, _unique(received), read


def _append_drafts(
    mailbox: Mailbox,
    folders: dict[str, str],
    findings: Findings,
    due: Sequence[DueDraft],
    state: ReadState,
    sender: str,
    sender_name: str,
    now: dt.datetime,
) -> None:
    """APPEND each due draft to Drafts, threaded to its conversation, unless one with its
    deterministic Message-ID is there already; ``findings`` says which were added or present."""
    if "drafts" not in folders:
        raise InboxError("The mailbox has no Drafts folder (none is flagged \\Drafts).", reason="folder")
    for d in due:
        d = threaded(d, state.last.get(d.row_id))
        mid = message_id(d, sender)
        if mailbox.has_message_id(folders["drafts"], mid):
            findings.drafts_present.append((d.row_id, d.action))
            continue
        raw = build(d, sender=sender, sender_name=sender_name, now=now).as_bytes()
        mailbox.append_draft(raw, when=now)
        findings.drafts_added.append((d.row_id, d.action))


def _unique(messages: list) -> list:
    """Drop a message read twice (All Mail and Junk, or a search key overlap)."""
    out, seen = [], set()
    for m in messages:
        key = m.message_id or (m.folder, m.uid)
        if key in seen:
            continue
        seen.add(key)
        out.append(m)
    return out
