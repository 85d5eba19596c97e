"""Matching mail to tracker rows: what was sent, who answered, what it reads like (pure).

:func:`match` takes the tracker frame (columns as in ``followsync/core/schema.py``), the
person's own addresses, the messages read from Sent and from INBOX/Junk/All, and ``now``, and
returns :class:`Findings`. It matches strictly and acts only where it is certain:

- **Sends.** A message in Sent, from one of the person's addresses to a row's contact (exact
  address, case-insensitive), dated after the row's last recorded send (the latest of
  Thank-you sent, Last follow-up, Rejection reply sent), whose normalised subject equals the
  row's Draft subject, is a :class:`Send` with ``recorded=True`` and the message's own date;
  the same without the subject match, sent after the interview, is a suggestion
  (``recorded=False``).
- **Replies.** A message from a row's contact, or threaded (In-Reply-To/References) to a
  message the person sent to a row's contact, dated after the interview (else after Applied
  on), is a :class:`Reply`. With exactly one candidate row the row is answered; with several
  all are listed and none is picked. A subject alone never matches.
- **Labels** (:mod:`.labels`). Phrase rules on the reply's own text (quoted text stripped) and subject: one
  strong phrase or two weak ones make a label (rejection, invitation, offer, or other when
  none fits), with the phrase that matched and the Status to suggest. Mail only suggests.
- **Automatic mail.** Auto-replies (``Auto-Submitted`` other than ``no``, ``X-Autoreply``,
  out-of-office subjects in en/de/fr) leave the row as it was and are noted; a bounce naming a
  row's contact is a Problem for that row. One exception: an ``Auto-Submitted:
  auto-generated`` notice (what applicant tracking systems send) whose text is clearly a
  rejection, invitation or offer is the employer's answer and counts as a reply; an
  ``auto-replied`` message (out of office) never does.

:func:`explain` gives the reasons, line by line, for ``followsync inbox --explain ID``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from .labels import LABEL_WORDS, PHRASES, STATUS_FOR, Label, label  # noqa: F401 (re-exported)
from .messages import Message, normalise_subject

_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")


# --------------------------------------------------------------------------------------
# Findings


@dataclass(frozen=True)
class MessageRef:
    """What followsync keeps of a message: never its body."""

    date: dt.datetime
    sender: str
    sender_name: str
    subject: str
    message_id: str
    folder: str
    uid: int

    @classmethod
    def of(cls, m: Message) -> MessageRef:
        return cls(m.date, m.sender, m.sender_name, m.subject, m.message_id, m.folder, m.uid)


@dataclass(frozen=True)
class Send:
    """A message the person sent to a row's contact, found in Sent.

    ``recorded`` True: the subject matches the row's Draft subject, so the lead records it as
    the row's pending send exactly as Mark sent does (``sends.record(row, plan, on=self.on,
    medium="email")``), with the message's own date. False: a suggestion only (``reason`` says
    why). ``to`` is the contact's address as matched.
    """

    row_id: str
    on: dt.date
    at: dt.datetime
    to: str
    message: MessageRef
    recorded: bool
    reason: str


@dataclass(frozen=True)
class Reply:
    """A message from a row's contact (or threaded to one the person sent them).

    ``rows`` are the candidate rows' IDs: one means the row is answered; several mean none is
    picked (``ambiguous``). ``auto`` is non-blank for an auto-reply (not an answer). ``label``
    is None for auto-replies. ``how`` is ``address`` or ``thread``.
    """

    rows: tuple[str, ...]
    message: MessageRef
    label: Label | None
    auto: str
    how: str

    @property
    def ambiguous(self) -> bool:
        return len(self.rows) > 1


@dataclass(frozen=True)
class Bounce:
    """A delivery failure for a row's contact: ``problem`` is the Problems cell text."""

    row_id: str
    address: str
    column: str
    message: MessageRef
    problem: str


@dataclass
class Findings:
    """What the inbox step found, for the lead to apply. Every mapping is keyed by row ID.

    - ``sends``: :class:`Send` per row (at most one recorded send per row: the earliest new
      matching message; later ones are suggestions), oldest first.
    - ``replies``: every :class:`Reply`, oldest first (auto-replies and ambiguous ones included).
    - ``answered``: row ID -> the date (local) of the latest real reply from that row's
      contact; the rules treat these rows as answered (rule 8): no nudge goes out.
    - ``inbox``: row ID -> the text for the followsync-owned **Inbox** cell, one line about the
      latest message ("Jane Jones replied on 24 Nov: reads like a rejection ("regret to inform
      you"); tick Accept inbox to set Status to Rejected").
    - ``suggested_status``: row ID -> the Status that ticking **Accept inbox** applies (with
      Response on = the reply's date, from ``answered``); absent when there is nothing to suggest.
    - ``problems``: row ID -> Problem texts (bounces: "mail to jane@... bounced: check
      Interviewer email").
    - ``bounces``: every :class:`Bounce`.
    - ``notes``: lines for ``--dry-run``/``check`` that are not about one row (ambiguous
      matches, messages from a contact before the interview, ...).
    - ``trace``: row ID -> the reasons, for :func:`explain`.
    - ``drafts_added`` / ``drafts_present``: (row ID, action) of drafts appended to Drafts this
      run, and of those already there (filled by ``scan``).
    - ``read``: folder role -> how many messages were fetched this run.
    - ``threads``: Message-ID of a message the person sent -> the rows it went to (kept in the
      state file, so a later reply threaded to it still matches).
    - ``last_message``: row ID -> [Message-ID, References...] of the conversation's latest
      message read this run (threads the row's next draft).
    """

    sends: list[Send] = field(default_factory=list)
    replies: list[Reply] = field(default_factory=list)
    answered: dict[str, dt.date] = field(default_factory=dict)
    inbox: dict[str, str] = field(default_factory=dict)
    suggested_status: dict[str, str] = field(default_factory=dict)
    problems: dict[str, list[str]] = field(default_factory=dict)
    bounces: list[Bounce] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    trace: dict[str, list[str]] = field(default_factory=dict)
    drafts_added: list[tuple[str, str]] = field(default_factory=list)
    drafts_present: list[tuple[str, str]] = field(default_factory=list)
    read: dict[str, int] = field(default_factory=dict)
    threads: dict[str, list[str]] = field(default_factory=dict)
    last_message: dict[str, list[str]] = field(default_factory=dict)
    _commit: Any = field(default=None, repr=False)

    @property
    def recorded(self) -> list[Send]:
        return [s for s in self.sends if s.recorded]

    def commit(self) -> None:
        """Save the incremental read state (UIDVALIDITY, last UID). Call it once the tracker
        is written, so mail read by a run whose write failed is read again next time. A
        ``dry_run`` scan has nothing to commit."""
        if self._commit is not None:
            self._commit()
            self._commit = None

    def lines(self) -> list[str]:
        """What the inbox step would write, message by message (``--dry-run``, ``check``)."""
        out: list[str] = []
        for s in self.sends:
            verb = "record send" if s.recorded else "suggest send"
            out.append(
                f"{s.row_id}: {verb} on {s.on.isoformat()} to {s.to} ({s.message.subject!r}): {s.reason}"
            )
        for row_id, text in self.inbox.items():
            out.append(f"{row_id}: Inbox = {text}")
        for row_id, texts in self.problems.items():
            out.extend(f"{row_id}: Problem: {t}" for t in texts)
        out.extend(self.notes)
        out.extend(f"{r}: draft {a} added to Drafts" for r, a in self.drafts_added)
        out.extend(f"{r}: draft {a} already in Drafts" for r, a in self.drafts_present)
        return out


# --------------------------------------------------------------------------------------
# Rows


@dataclass(frozen=True)
class Row:
    """What matching needs of one tracker row."""

    id: str
    contacts: Mapping[str, str]  # address -> the column it came from
    who: str
    interview: dt.datetime | None
    applied: dt.date | None
    last_send: dt.date | None
    draft_subject: str


def _blank(v: Any) -> bool:
    if v is None or v is pd.NaT or v is pd.NA:
        return True
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _text(v: Any) -> str:
    return "" if _blank(v) else " ".join(str(v).split())


def _stamp(v: Any) -> dt.datetime | None:
    if _blank(v):
        return None
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime().replace(tzinfo=None)
    if isinstance(v, dt.datetime):
        return v.replace(tzinfo=None)
    if isinstance(v, dt.date):
        return dt.datetime.combine(v, dt.time())
    try:
        return pd.Timestamp(str(v)).to_pydatetime().replace(tzinfo=None)
    except (ValueError, TypeError):
        return None


def addresses_in(cell: Any) -> list[str]:
    """Every email address in a cell, lower case, in order, once."""
    return list(dict.fromkeys(a.lower().strip(".") for a in _EMAIL.findall(_text(cell))))


def rows_of(frame: pd.DataFrame) -> list[Row]:
    """The frame's rows with an ID, as :class:`Row`."""
    rows: list[Row] = []
    cols = set(frame.columns)
    for rec in frame.to_dict("records"):
        rid = _text(rec.get("id")) or (f"row {rec['_row']}" if "_row" in cols else "")
        if not rid:
            continue
        contacts: dict[str, str] = {}
        for a in addresses_in(rec.get("interviewer_email")):
            contacts.setdefault(a, "Interviewer email")
        for a in addresses_in(rec.get("other_contact")):
            contacts.setdefault(a, "Other contact")
        sends = [
            s.date()
            for k in ("thank_you_sent", "last_follow_up", "rejection_reply_sent")
            if (s := _stamp(rec.get(k)))
        ]
        applied = _stamp(rec.get("applied_on"))
        rows.append(
            Row(
                id=rid,
                contacts=contacts,
                who=_text(rec.get("interviewer")) or _text(rec.get("company")),
                interview=_stamp(rec.get("interview_at")),
                applied=applied.date() if applied else None,
                last_send=max(sends) if sends else None,
                draft_subject=_text(rec.get("draft_subject")),
            )
        )
    return rows


def contact_addresses(frame: pd.DataFrame) -> list[str]:
    """Every contact address of the tracker (Interviewer email, Other contact), for SEARCH."""
    out: dict[str, None] = {}
    for r in rows_of(frame):
        out.update(dict.fromkeys(r.contacts))
    return list(out)


# --------------------------------------------------------------------------------------
# Matching


def _local(stamp: dt.datetime, now: dt.datetime) -> dt.datetime:
    """A message's date as a naive local time, in the tracker's (``now``'s) zone."""
    if now.tzinfo is not None and stamp.tzinfo is not None:
        return stamp.astimezone(now.tzinfo).replace(tzinfo=None)
    return stamp.replace(tzinfo=None)


def _day(d: dt.date) -> str:
    return f"{d.day} {d.strftime('%b')}"


def match(
    frame: pd.DataFrame,
    own: Iterable[str],
    sent: Sequence[Message],
    received: Sequence[Message],
    now: dt.datetime,
    *,
    threads: Mapping[str, Iterable[str]] | None = None,
) -> Findings:
    """Match the messages to the tracker's rows. Pure; see the module docstring for the rules.

    ``own`` are the person's addresses; ``sent`` the messages read from Sent (and the person's
    own messages found in All Mail); ``received`` those from INBOX, Junk and All Mail.
    ``threads`` are Message-IDs the person sent in earlier runs -> their rows (the state file).
    """
    m = _Matcher.of(frame, own, now, threads)
    for message in sorted(sent, key=lambda x: x.date):
        m.sent(message)
    for message in sorted(received, key=lambda x: x.date):
        m.received(message)
    return m.done()


@dataclass
class _Matcher:
    """One :func:`match`: the rows, their contacts, and what was found so far."""

    rows: list[Row]
    own: set[str]
    now: dt.datetime
    by_address: dict[str, list[Row]]
    thread_rows: dict[str, set[str]]
    f: Findings = field(default_factory=Findings)
    last_seen: dict[str, tuple[dt.datetime, list[str]]] = field(default_factory=dict)
    recorded_rows: set[str] = field(default_factory=set)
    latest: dict[str, tuple[dt.datetime, str]] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        frame: pd.DataFrame,
        own: Iterable[str],
        now: dt.datetime,
        threads: Mapping[str, Iterable[str]] | None,
    ) -> _Matcher:
        rows = rows_of(frame)
        by_address: dict[str, list[Row]] = {}
        for r in rows:
            for a in r.contacts:
                by_address.setdefault(a, []).append(r)
        known = {r.id for r in rows}
        thread_rows = {k: {x for x in v if x in known} for k, v in (threads or {}).items()}
        out = cls(rows, {a.lower() for a in own}, now, by_address, thread_rows)
        for r in rows:
            if not r.contacts:
                out.f.trace[r.id] = ["no contact address: Interviewer email and Other contact hold none"]
            else:
                out.f.trace[r.id] = ["contacts: " + ", ".join(f"{a} ({c})" for a, c in r.contacts.items())]
        return out

    def seen(self, row_id: str, m: Message) -> None:
        """``m`` is the latest message of the row's conversation so far (threads its next draft)."""
        if m.message_id and (row_id not in self.last_seen or self.last_seen[row_id][0] <= m.date):
            self.last_seen[row_id] = (m.date, [m.message_id, *m.references[-9:]])

    def note_latest(self, row_id: str, local: dt.datetime, text: str) -> None:
        if row_id not in self.latest or self.latest[row_id][0] <= local:
            self.latest[row_id] = (local, text)

    # Sends, and the Message-IDs the person sent to each row (for threading).

    def sent(self, m: Message) -> None:
        if m.sender not in self.own:
            return
        local = _local(m.date, self.now)
        done: set[str] = set()  # a message to two contacts of one row is one send
        for a in m.recipients:
            for r in self.by_address.get(a, []):
                if r.id in done:
                    continue
                done.add(r.id)
                self.thread(m, r)
                self.seen(r.id, m)
                self.send(m, r, a, local)

    def thread(self, m: Message, r: Row) -> None:
        if m.message_id:
            self.thread_rows.setdefault(m.message_id, set()).add(r.id)
            self.f.threads.setdefault(m.message_id, [])
            if r.id not in self.f.threads[m.message_id]:
                self.f.threads[m.message_id].append(r.id)

    def send(self, m: Message, r: Row, a: str, local: dt.datetime) -> None:
        """A message the person sent to row ``r``'s address ``a``: recorded, suggested, or neither."""
        f, when = self.f, f"sent {local.date().isoformat()} to {a} ({m.subject!r})"
        if r.last_send is not None and local.date() <= r.last_send:
            f.trace[r.id].append(f"{when}: not after the last recorded send {r.last_send.isoformat()}")
            return
        same = bool(r.draft_subject) and normalise_subject(m.subject) == normalise_subject(r.draft_subject)
        if not same and r.interview is not None and local < r.interview:
            f.trace[r.id].append(f"{when}: before the interview, nothing to suggest")
            return
        if same and r.id not in self.recorded_rows:
            self.recorded_rows.add(r.id)
            reason = "the subject matches the Draft subject"
            f.sends.append(Send(r.id, local.date(), local, a, MessageRef.of(m), True, reason))
        else:
            reason = (
                "a send for this row is already recorded from an earlier message"
                if same
                else "no Draft subject to compare"
                if not r.draft_subject
                else f"the subject differs from the Draft subject {r.draft_subject!r}"
            )
            f.sends.append(Send(r.id, local.date(), local, a, MessageRef.of(m), False, reason))
        f.trace[r.id].append(
            f"{when}: "
            + ("recorded as the pending send" if f.sends[-1].recorded else f"suggested only: {reason}")
        )

    # Replies, auto-replies and bounces.

    def received(self, m: Message) -> None:
        if m.sender in self.own:
            return
        local = _local(m.date, self.now)
        if m.bounced:
            self.bounce(m, local)
            return
        candidates, how = self.candidates(m)
        kept = [r for r in candidates if self.after_floor(r, m, local)]
        if not kept:
            return
        lab = label(m.subject, m.body)
        # An applicant tracking system's notice is automatic too (RFC 3834 auto-generated),
        # but it is the employer's answer: it counts when its text clearly says one.
        notice = m.auto == "Auto-Submitted: auto-generated" and lab.kind != "other"
        if m.auto and not notice:
            self.automatic(m, kept, how, local)
        else:
            self.reply(m, kept, how, local, lab)

    def bounce(self, m: Message, local: dt.datetime) -> None:
        f = self.f
        for a in m.bounced:
            for r in self.by_address.get(a, []):
                column = r.contacts[a]
                text = f"mail to {a} bounced: check {column}"
                f.bounces.append(Bounce(r.id, a, column, MessageRef.of(m), text))
                if text not in f.problems.setdefault(r.id, []):
                    f.problems[r.id].append(text)
                f.trace[r.id].append(
                    f"{local.date().isoformat()}: delivery failure for {a}: a Problem, not an answer"
                )

    def candidates(self, m: Message) -> tuple[list[Row], str]:
        """The rows ``m`` may answer, and how: by thread (References), else by the sender's address."""
        refs = m.references
        threaded = set().union(*(self.thread_rows.get(ref, set()) for ref in refs)) if refs else set()
        if threaded:
            candidates = [r for r in self.rows if r.id in threaded]
            # A thread shared by several rows: the sender's address may still pick one.
            if len(candidates) > 1:
                by_sender = [r for r in candidates if m.sender in r.contacts]
                if len(by_sender) == 1:
                    candidates = by_sender
            if candidates:
                return candidates, "thread"
        return list(self.by_address.get(m.sender, [])), "address"

    def after_floor(self, r: Row, m: Message, local: dt.datetime) -> bool:
        """A reply is dated after the interview (else after Applied on); an earlier one is traced."""
        floor = r.interview or (dt.datetime.combine(r.applied, dt.time()) if r.applied else None)
        if floor is not None and local < floor:
            what = "the interview" if r.interview else "Applied on"
            self.f.trace[r.id].append(
                f"{local.date().isoformat()} from {m.sender} ({m.subject!r}): before {what} ({floor.date().isoformat()}), not a reply"
            )
            return False
        return True

    def automatic(self, m: Message, kept: list[Row], how: str, local: dt.datetime) -> None:
        self.f.replies.append(Reply(tuple(r.id for r in kept), MessageRef.of(m), None, m.auto, how))
        for r in kept:
            self.f.trace[r.id].append(
                f"{local.date().isoformat()} from {m.sender}: automatic ({m.auto}), not an answer"
            )
            self.note_latest(
                r.id,
                local,
                f"{m.who}: automatic reply on {_day(local.date())} ({m.auto}); not an answer, nothing changed",
            )

    def reply(self, m: Message, kept: list[Row], how: str, local: dt.datetime, lab: Label) -> None:
        f, ids = self.f, tuple(r.id for r in kept)
        for r in kept:
            self.seen(r.id, m)
        f.replies.append(Reply(ids, MessageRef.of(m), lab, "", how))
        said = lab.words + (f" ({lab.phrase!r})" if lab.phrase else "")
        if len(kept) > 1:
            note = (
                f"{m.who} wrote on {_day(local.date())} ({m.subject!r}); it matches rows "
                + ", ".join(ids)
                + ": none picked, set Response on by hand"
            )
            f.notes.append(note)
            for r in kept:
                f.trace[r.id].append(
                    f"{local.date().isoformat()} from {m.sender}: a reply, but rows {', '.join(ids)} all match; none picked"
                )
                self.note_latest(r.id, local, note)
            return
        r = kept[0]
        f.answered[r.id] = local.date()
        text = f"{m.who} replied on {_day(local.date())}: {said}"
        if lab.status:
            text += f"; tick Accept inbox to set Status to {lab.status}"
            f.suggested_status[r.id] = lab.status
        else:
            f.suggested_status.pop(r.id, None)
        self.latest[r.id] = (local, text)
        f.trace[r.id].append(
            f"{local.date().isoformat()} from {m.sender} ({m.subject!r}), matched by {how}: answered; {said}"
        )

    def done(self) -> Findings:
        f = self.f
        for rid, (_, text) in self.latest.items():
            f.inbox[rid] = text
        for rid, (_, chain) in self.last_seen.items():
            f.last_message[rid] = chain
        for r in self.rows:
            if len(f.trace[r.id]) == 1 and r.contacts:
                f.trace[r.id].append("no message read this run was sent to or came from these addresses")
        return f


def explain(findings: Findings, row_id: str) -> list[str]:
    """Why a row matched or did not, as lines of text (``followsync inbox --explain ID``)."""
    lines = findings.trace.get(row_id)
    if lines is None:
        return [f"{row_id}: no such row with an ID in the tracker"]
    out = [f"{row_id}:"] + [f"  {line}" for line in lines]
    if row_id in findings.inbox:
        out.append(f"  Inbox: {findings.inbox[row_id]}")
    for p in findings.problems.get(row_id, []):
        out.append(f"  Problem: {p}")
    return out
