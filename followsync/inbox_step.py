"""The run's inbox step (issue 15): with ``[inbox]``, the mailbox is read before the rules, and
a failing mailbox never stops the tracker's write. Used by :mod:`followsync.run`."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, TypeVar

from .backends.base import Backend
from .config import Config, state_dir
from .core.schema import Tracker
from .errors import FollowsyncError

log = logging.getLogger("followsync")


class _Computed(Protocol):
    drafts: list[Any]  # the due email actions' drafts, for the mailbox's Drafts folder


P = TypeVar("P", bound=_Computed)  # one computation of the run (run._Pass)


class InboxStep:
    """The run's inbox step: scan the mailbox when ``[inbox]`` is set; a failing mailbox is
    kept as ``error`` (exit 4) and the run goes on without it."""

    def __init__(
        self, config: Config, now: dt.datetime, dry_run: bool, open_mailbox: Callable[[Any], Any] | None, state_dir: Path
    ):
        self.config, self.now, self.dry_run, self.open_mailbox = config, now, dry_run, open_mailbox
        self.state_dir = state_dir
        self.findings: Any = None
        self.error: FollowsyncError | None = None

    def scan(self, compute_with: Callable[[Any], P], tracker: Tracker, full: bool = False) -> P:
        settings = self.config.inbox
        if settings is None:
            return compute_with(None)
        from . import inbox

        done: list[P] = []

        def after_match(findings: Any) -> list[Any]:
            done.append(compute_with(findings))
            return done[-1].drafts

        try:
            self.findings = inbox.scan(
                settings, tracker.frame, now=self.now, state_dir=self.state_dir,
                profile_addresses=own_addresses(self.config), due_drafts=after_match, dry_run=self.dry_run,
                full=full, sender_name=self.config.profile.name, token=mail_token(self.config),
                open_mailbox=self.open_mailbox,
            )
        except inbox.InboxError as e:
            self.error, self.findings = e, None
            log.warning("%s", e.message)
            return compute_with(None)
        return done[-1]


def inbox_state_dir(backend: Backend) -> Path:
    """Where the inbox's read state of this tracker is kept: a folder per tracker (each of
    ``[[trackers]]`` reads the mailbox for its own rows) under ``$FOLLOWSYNC_STATE_DIR``, else
    the user state folder."""
    return state_dir("inbox") / hashlib.sha1(backend.lock_name().encode()).hexdigest()[:16]


def own_addresses(config: Config) -> list[str] | None:
    """The person's own addresses: ``[inbox] address`` (or username), and ``[profile] email``."""
    assert config.inbox is not None
    own = list(config.inbox.addresses)
    profile = config.profile.email.strip().lower()
    if profile and profile not in own:
        own.append(profile)
    return own or None


def mail_token(config: Config) -> Callable[[], str] | None:
    """For ``[inbox] auth = "google"``: the access token of ``followsync auth google``'s credentials."""
    if config.inbox is None or config.inbox.auth != "google":
        return None
    from .backends.google.auth import mail_token as google_mail_token
    from .inbox import InboxError

    def token() -> str:
        try:
            return google_mail_token(config.google_credentials)
        except FollowsyncError as e:  # a mailbox that cannot log in: exit 4, the tracker still written
            raise InboxError(e.message, reason="password") from None

    return token
