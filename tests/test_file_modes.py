"""Issue 12, case 3: files followsync makes respect the umask; a secret file others can read
gets a warning naming it and the chmod to run."""

from __future__ import annotations

import logging
import os
import stat

import pytest

from followsync.backends.airtable.backend import read_token
from followsync.config import Config, NotifySettings
from followsync.outputs import mail
from followsync.outputs.files import atomic_write


@pytest.fixture
def umask_077():
    old = os.umask(0o077)
    yield
    os.umask(old)


def test_a_new_output_file_respects_the_umask(tmp_path, umask_077):
    path = tmp_path / "followups.ics"
    atomic_write(path, b"BEGIN:VCALENDAR")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_rewritten_output_file_never_gets_wider_than_the_umask(tmp_path, umask_077):
    path = tmp_path / "report.html"
    path.write_bytes(b"old")
    os.chmod(path, 0o644)
    atomic_write(path, b"<html>")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_rewritten_output_file_keeps_a_narrower_mode(tmp_path):
    path = tmp_path / "report.html"
    path.write_bytes(b"old")
    os.chmod(path, 0o600)
    old = os.umask(0o022)
    try:
        atomic_write(path, b"<html>")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def _secret(tmp_path, mode):
    path = tmp_path / "secret"
    path.write_text("s3cret-value\n")
    os.chmod(path, mode)
    return path


def test_a_token_file_others_can_read_is_warned_about(tmp_path, caplog, monkeypatch):
    monkeypatch.delenv("FOLLOWSYNC_AIRTABLE_TOKEN", raising=False)
    path = _secret(tmp_path, 0o644)
    with caplog.at_level(logging.WARNING, logger="followsync"):
        assert read_token(Config(airtable_token_file=path)) == "s3cret-value"
    assert f"run `chmod 600 {path}`" in caplog.text and "s3cret" not in caplog.text


def test_a_private_token_file_is_not_warned_about(tmp_path, caplog, monkeypatch):
    monkeypatch.delenv("FOLLOWSYNC_AIRTABLE_TOKEN", raising=False)
    path = _secret(tmp_path, 0o600)
    with caplog.at_level(logging.WARNING, logger="followsync"):
        read_token(Config(airtable_token_file=path))
    assert "chmod" not in caplog.text


def test_a_mail_password_file_others_can_read_is_warned_about(tmp_path, caplog):
    path = _secret(tmp_path, 0o640)
    settings = NotifySettings.from_dict(
        {
            "host": "smtp.example.com",
            "username": "a",
            "password_file": str(path),
            "sender": "a@example.com",
            "to": "a@example.com",
        }
    )
    with caplog.at_level(logging.WARNING, logger="followsync"):
        assert mail.read_password(settings) == "s3cret-value"
    assert f"chmod 600 {path}" in caplog.text
