"""The inbox step's one error: the mailbox could not be read (or a draft not added).

It exits 4, like a digest mail that could not be sent: the tracker is written first, and the
run says in one sentence why the mailbox failed. ``reason`` is for code that reacts to it:
``password`` (no secret to read), ``unreachable``, ``timeout``, ``tls``, ``auth`` (login
refused), ``folder`` (a folder followsync needs is missing), ``refused`` (the adapter refused a
command that would change mail: a bug, never a user's mistake) or ``imap`` (anything else).
Messages never include a password or token.
"""

from __future__ import annotations

from ..errors import EXIT_NOTIFY, FollowsyncError

REASONS = ("password", "unreachable", "timeout", "tls", "auth", "folder", "refused", "imap")


class InboxError(FollowsyncError):
    """The mailbox could not be read; the tracker's write does not depend on it (exit 4)."""

    exit_code = EXIT_NOTIFY

    def __init__(self, message: str, *, reason: str, hint: str | None = None):
        super().__init__(message, hint=hint)
        assert reason in REASONS, reason
        self.reason = reason


class RefusedCommand(InboxError):
    """The read-only adapter was asked for an IMAP command that changes mail."""

    def __init__(self, message: str):
        super().__init__(message, reason="refused")
