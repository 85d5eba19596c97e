"""The command line with [inbox]: `run --dry-run` and `check` show the inbox step, `inbox --explain`,
a failing mailbox exits 4 with the tracker written, and `auth google` asks for the mail scope."""

from __future__ import annotations

import json

import openpyxl
import pytest
from click.testing import CliRunner

from followsync import cli
from followsync.errors import EXIT_NOTIFY, EXIT_PROBLEMS, AuthError
from followsync.inbox.imap import Mailbox

from ..conftest import grid_of
from .conftest import DEMO_HEADER, DEMO_ROWS, pipe_client

CONFIG = """
[tracker]
location = "tracker.xlsx"

[inbox]
host = "127.0.0.1"
security = "none"
username = "alex@example.com"
password_env = "UNUSED"
"""


@pytest.fixture
def here(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FOLLOWSYNC_NOW", "2026-11-25T09:00")
    monkeypatch.setenv("FOLLOWSYNC_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("FOLLOWSYNC_CONFIG", str(tmp_path / "followsync.toml"))
    (tmp_path / "followsync.toml").write_text(CONFIG, encoding="utf-8")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Tracker"
    for row in grid_of(DEMO_ROWS, header=DEMO_HEADER):
        ws.append(row)
    wb.save(tmp_path / "tracker.xlsx")
    return tmp_path


@pytest.fixture
def mailbox(monkeypatch, dovecot, mail_user):
    """`followsync`'s own connect, pointed at the seeded Dovecot over a pipe."""
    monkeypatch.setattr("followsync.inbox.connect", lambda _s, token=None: Mailbox(pipe_client(dovecot.command(mail_user))))


def invoke(*args):
    return CliRunner().invoke(cli.main, list(args), catch_exceptions=False)


def test_dry_run_and_check_show_the_inbox_step_and_explain_says_why(here, mailbox):
    dry = invoke("run", "--dry-run")
    assert "The inbox step would write:" in dry.output
    assert "A1: record send on 2026-11-20 to jane@acme.example" in dry.output
    assert not (here / "state").exists()  # a dry run saves no read state
    check = invoke("check")
    assert "Inbox: the next run would write:" in check.output
    assert "E5: Problem: mail to lee@hooli.example bounced: check Interviewer email" in check.output
    explained = invoke("inbox", "--explain", "D4")
    assert explained.exit_code == 0 and explained.output.startswith("D4:")
    assert "automatic reply" in explained.output


def test_a_run_writes_the_inbox_column_then_reads_only_new_mail(here, mailbox):
    first = invoke("run")
    assert first.exit_code == EXIT_PROBLEMS  # the bounce is a Problem
    ws = openpyxl.load_workbook(here / "tracker.xlsx")["Tracker"]
    header = [c.value for c in ws[1]]
    inbox = {r[0]: r[header.index("Inbox")] for r in ws.iter_rows(min_row=2, values_only=True)}
    assert "tick Accept inbox to set Status to Rejected" in inbox["B2"]
    [saved] = (here / "state").rglob("inbox-state.json")  # one tracker: one read state
    assert json.loads(saved.read_text(encoding="utf-8"))  # saved once the tracker was written
    assert "Inbox: nothing new in the mailbox." in invoke("check").output


def test_a_failing_mailbox_exits_4_and_the_tracker_is_still_written(here, monkeypatch):
    def refused(_s, token=None):
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr("followsync.inbox.connect", refused)
    result = invoke("run")
    assert result.exit_code == EXIT_NOTIFY
    assert "Inbox:" in result.output and "The tracker was written without it." in result.output
    ws = openpyxl.load_workbook(here / "tracker.xlsx")["Tracker"]
    assert "Next action" in [c.value for c in ws[1]]


def test_explain_without_an_inbox_section_says_what_to_add(here):
    (here / "followsync.toml").write_text('[tracker]\nlocation = "tracker.xlsx"\n', encoding="utf-8")
    result = invoke("inbox", "--explain", "A1")
    assert result.exit_code == 2 and "no [inbox] section" in result.output


def test_auth_google_asks_for_the_mail_scope_only_with_inbox_auth_google(here, monkeypatch):
    from followsync.backends.google import auth

    asked: list[tuple[str, ...]] = []
    monkeypatch.setattr(auth, "authorize_user", lambda *a, scopes=auth.SCOPES, **k: asked.append(scopes) or here / "t.json")
    invoke("auth", "google", "--client-secrets", "client.json")
    (here / "followsync.toml").write_text(CONFIG.replace('password_env = "UNUSED"', 'auth = "google"'), encoding="utf-8")
    signed = invoke("auth", "google", "--client-secrets", "client.json")
    assert asked == [auth.SCOPES, (*auth.SCOPES, auth.MAIL_SCOPE)]
    assert "reads your mail" in signed.output


def test_mail_token_needs_a_sign_in_with_the_mail_scope(tmp_path):
    from followsync.backends.google.auth import mail_token

    token = tmp_path / "token.json"
    info = {"type": "authorized_user", "client_id": "x", "client_secret": "y", "refresh_token": "z"}
    token.write_text(json.dumps({**info, "scopes": ["https://www.googleapis.com/auth/spreadsheets"]}), encoding="utf-8")
    with pytest.raises(AuthError, match="does not allow reading mail; run `followsync auth google` again"):
        mail_token(token)
