"""The Mail link column: a ``mailto:`` link per row with an email draft (issue 13).

One click on it opens the row's draft in the person's mail program, addressed and with its
subject and body filled in. Pure: the frame, the plan and the drafts as written in, the links
(and a Problem where a draft is too long for a link) out.

The link follows RFC 6068 (https://www.rfc-editor.org/rfc/rfc6068): ``mailto:to?subject=..&body=..``,
every character outside the unreserved set percent-encoded as UTF-8 (``urllib.parse.quote``),
line breaks as ``%0D%0A`` (section 5: "line breaks in the body of a message MUST be encoded
with "%0D%0A""). ``urllib.parse.urlsplit`` and ``parse_qs`` read it back to the same text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from email.utils import getaddresses
from typing import Any

import pandas as pd

from . import schema
from .cells import is_blank

COLUMN = "Mail link"

# No standard limits a mailto: URL (RFC 6068 leaves it to the programs), but the programs do:
# Chrome refuses links of about 2,000 characters, Firefox opens up to 2,008, Outlook and
# Windows Mail take 2,046 to 2,083 and Gmail about 1,620 ("Effective maximum mailto: body
# lengths", https://newbedev.com/effective-maximum-mailto-body-lengths, and
# https://superruub.wordpress.com/2013/05/30/mailto-protocol-character-limit/). 2,000 is the
# limit commonly cited as safe; a longer link leaves the body out (the Problems cell says so).
MAX_CHARS = 2000


@dataclass(frozen=True)
class MailLink:
    """One row's link, and whether the body had to be left out to keep it short enough."""

    url: str
    without_body: bool = False
    full_length: int = 0  # the length of the link with the body, when it was left out


def _address(value: Any) -> str:
    """The first address in a cell such as ``Ana Ruiz <ana@acme.com>`` or ``jo@x.org``."""
    if is_blank(value):
        return ""
    for _name, addr in getaddresses([str(value)]):
        if "@" in addr:
            return addr.strip()
    return ""


# What urllib.parse.quote(text, safe=...) makes of each UTF-8 byte: itself when unreserved
# (RFC 3986's letters, digits and "-._~", quote's always-safe set) or in ``safe``, else %XX.
_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def _table(safe: bytes) -> tuple[str, ...]:
    return tuple(chr(b) if b in _UNRESERVED or b in safe else f"%{b:02X}" for b in range(256))


_QUOTED, _QUOTED_ADDRESS = _table(b""), _table(b"@")


def _quote(text: str, table: tuple[str, ...] = _QUOTED) -> str:
    """``urllib.parse.quote(text, safe="")`` (``safe="@"`` with _QUOTED_ADDRESS), the same text
    at half the cost: one look-up per byte (a run links thousands of drafts)."""
    return "".join([table[b] for b in text.encode("utf-8")])


def _encode(text: str) -> str:
    """A header value percent-encoded for a mailto: URL (RFC 6068 section 2), CRLF line breaks."""
    crlf = text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\r\n")
    return _quote(crlf)


def link(to: str, subject: str, body: str, limit: int | None = None) -> MailLink:
    """The ``mailto:`` link for a message; without its body when the whole link would be
    longer than ``limit`` characters (:data:`MAX_CHARS`), and without the subject too if even
    that is too long."""
    limit = MAX_CHARS if limit is None else limit
    # "@" may stay as it is in an addr-spec (RFC 6068 section 2); everything else is encoded.
    head = "mailto:" + _quote(to, _QUOTED_ADDRESS)
    fields = [("subject", subject), ("body", body)]
    parts = [f"{k}={_encode(v)}" for k, v in fields if v]
    url = head + ("?" + "&".join(parts) if parts else "")
    if len(url) <= limit:
        return MailLink(url)
    short = head + (f"?subject={_encode(subject)}" if subject else "")
    if len(short) > limit:
        short = head
    return MailLink(short, without_body=True, full_length=len(url))


def links(
    tracker: schema.Tracker,
    plan: pd.DataFrame,
    subjects: list[str],
    messages: list[str],
    ids: list[str],
    given: Sequence[str | None] | None = None,
) -> tuple[list[str], list[schema.Problem]]:
    """The Mail link cell of every row, and a Problem on each row whose link left the body out.

    A row gets a link when its next message goes by email (the plan's medium ``email``, or
    ``other_contact`` for rule 11) and it has a Draft message; a call script or a row with
    nothing to send gets none. The link is addressed to Interviewer email (the address in Other
    contact when the plan writes to them) and carries the drafts as they are in the sheet,
    the person's own edits included. Where ``given`` holds a link, that is the row's: one known
    to be what this would make, with no Problem (a reused row's, core/draft_memo.py).
    """
    frame = tracker.frame
    mediums = plan["medium"].tolist()
    emails, others = frame["interviewer_email"].tolist(), frame["other_contact"].tolist()
    rows = frame["_row"].tolist()
    out: list[str] = []
    problems: list[schema.Problem] = []
    for i, medium in enumerate(mediums):
        known = given[i] if given is not None else None
        if known is not None:
            out.append(known)
            continue
        message = "" if is_blank(messages[i]) else str(messages[i])
        if medium not in ("email", "other_contact") or not message.strip():
            out.append("")
            continue
        to = _address(others[i] if medium == "other_contact" else emails[i])
        subject = "" if is_blank(subjects[i]) else str(subjects[i])
        made = link(to, subject, message)
        out.append(made.url)
        if made.without_body:
            problems.append(
                schema.Problem(
                    tracker.sheet,
                    int(rows[i]),
                    COLUMN,
                    f"the draft makes a link of {made.full_length:,} characters, longer than mail programs "
                    f"open (about {MAX_CHARS:,}), so the link opens the message without its body",
                    "copy the text of Draft message into the message, or shorten the draft",
                    ids[i] or None,
                )
            )
    return out, problems
