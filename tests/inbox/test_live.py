"""An opt-in smoke test against a real mailbox: set FOLLOWSYNC_LIVE_IMAP_HOST, _USER and
_PASSWORD (and optionally _PORT, _SECURITY). It only reads: it lists folders and examines INBOX."""

from __future__ import annotations

import os

import pytest

from followsync.inbox.imap import connect
from followsync.inbox.settings import from_dict

LIVE = {k: os.environ.get(f"FOLLOWSYNC_LIVE_IMAP_{k}") for k in ("HOST", "USER", "PASSWORD", "PORT", "SECURITY")}

pytestmark = pytest.mark.skipif(
    not (LIVE["HOST"] and LIVE["USER"] and LIVE["PASSWORD"]),
    reason="set FOLLOWSYNC_LIVE_IMAP_HOST, FOLLOWSYNC_LIVE_IMAP_USER and FOLLOWSYNC_LIVE_IMAP_PASSWORD to run",
)


def test_live_mailbox_connects_and_reads_only():
    section = {"host": LIVE["HOST"], "username": LIVE["USER"], "password_env": "FOLLOWSYNC_LIVE_IMAP_PASSWORD"}
    if LIVE["PORT"]:
        section["port"] = int(LIVE["PORT"])
    if LIVE["SECURITY"]:
        section["security"] = LIVE["SECURITY"]
    with connect(from_dict(section)) as mb:
        folders = mb.folders()
        assert folders["inbox"] == "INBOX"
        info = mb.client.select_folder("INBOX", readonly=True)
        assert b"READ-ONLY" in info or b"READ-WRITE" not in info
