"""The [inbox] table: defaults, presets, and errors that name `[inbox] key`."""

from __future__ import annotations

import sys

import pytest

from followsync.errors import ConfigError
from followsync.inbox.errors import InboxError
from followsync.inbox.settings import PRESETS, from_dict

BASE = {"host": "imap.example.com", "username": "alex@example.com", "password_env": "FS_TEST_IMAP"}


def test_defaults_follow_the_issue():
    s = from_dict(BASE)
    assert (s.host, s.port, s.security, s.auth, s.drafts) == ("imap.example.com", 993, "ssl", "password", False)
    assert s.addresses == ("alex@example.com",)


@pytest.mark.parametrize(("security", "port"), [("ssl", 993), ("starttls", 143)])
def test_port_defaults_by_security(security, port):
    assert from_dict({**BASE, "security": security}).port == port


def test_none_is_only_for_localhost():
    assert from_dict({**BASE, "host": "127.0.0.1", "security": "none"}).port == 143
    assert from_dict({**BASE, "host": "localhost", "security": "none"}).security == "none"
    with pytest.raises(ConfigError, match=r"\[inbox\] security: \"none\" would send the password unencrypted"):
        from_dict({**BASE, "security": "none"})


def test_address_list_or_string_lower_cased():
    assert from_dict({**BASE, "address": "Alex@Example.com"}).addresses == ("alex@example.com",)
    s = from_dict({**BASE, "address": ["alex@example.com", "a.example@work.example"]})
    assert s.addresses == ("alex@example.com", "a.example@work.example")
    with pytest.raises(ConfigError, match=r"\[inbox\] address: 'alex' is not an email address"):
        from_dict({**BASE, "address": ["alex"]})


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"host": None}, r"\[inbox\] host: is missing"),
        ({"username": None}, r"\[inbox\] username: is missing"),
        ({"password_env": None}, r"\[inbox\] password_env: is missing"),
        ({"password_file": "pw.txt"}, r"\[inbox\] password_file: and password_env are both set"),
        ({"security": "tls"}, r"\[inbox\] security: 'tls' is not one of"),
        ({"port": 0}, r"\[inbox\] port: 0 is not a port number"),
        ({"port": "993"}, r"\[inbox\] port: must be a whole number"),
        ({"drafts": "yes"}, r"\[inbox\] drafts: must be true or false"),
        ({"auth": "kerberos"}, r"\[inbox\] auth: 'kerberos' is not one of"),
        ({"folder": "INBOX"}, r"\[inbox\] folder: is not a setting"),
        ({"preset": "aol"}, r"\[inbox\] preset: 'aol' is not one of"),
        ({"auth": "google"}, r"\[inbox\] password_env: is not used with auth = \"google\""),
    ],
)
def test_errors_name_the_key(change, message):
    section = {k: v for k, v in {**BASE, **change}.items() if v is not None}
    with pytest.raises(ConfigError, match=message):
        from_dict(section)


def test_every_problem_is_listed_at_once():
    with pytest.raises(ConfigError) as e:
        from_dict({"security": "tls", "drafts": 1})
    text = str(e.value)
    for key in ("host", "username", "security", "drafts", "password_env"):
        assert f"[inbox] {key}" in text


def test_presets_fill_host_and_port_and_keys_win():
    s = from_dict({"preset": "gmail", "username": "alex@gmail.com", "password_env": "X"})
    assert (s.host, s.port, s.security) == ("imap.gmail.com", 993, "ssl")
    assert "app password" in s.notes[0]
    assert from_dict({"preset": "fastmail", "username": "a@fastmail.com", "password_env": "X"}).host == "imap.fastmail.com"
    assert from_dict({"preset": "icloud", "username": "a@icloud.com", "password_env": "X"}).host == "imap.mail.me.com"
    assert from_dict({"preset": "gmail", "host": "imap.other.example", "username": "a@b.example", "password_env": "X"}).host == "imap.other.example"
    assert set(PRESETS) == {"gmail", "outlook", "microsoft365", "fastmail", "icloud"}


def test_microsoft_needs_oauth():
    with pytest.raises(ConfigError, match=r"\[inbox\] auth: Microsoft 365 requires OAuth"):
        from_dict({"preset": "microsoft365", "username": "a@corp.example", "password_env": "X"})
    s = from_dict({"preset": "office365", "username": "a@corp.example", "auth": "xoauth2", "password_command": "get-token --imap"})
    assert s.host == "outlook.office365.com" and s.password_command == ("get-token", "--imap")
    assert from_dict({"preset": "gmail", "username": "a@gmail.com", "auth": "google"}).auth == "google"


def test_secret_from_env_file_and_command(tmp_path, monkeypatch):
    monkeypatch.setenv("FS_TEST_IMAP", "hunter2")
    assert from_dict(BASE).secret() == "hunter2"
    (tmp_path / "pw").write_text("from-file\nignored\n")
    s = from_dict({**{k: v for k, v in BASE.items() if k != "password_env"}, "password_file": "pw"}, base_dir=tmp_path)
    assert s.secret() == "from-file"
    cmd = [sys.executable, "-c", "print('from-command')"]
    s = from_dict({**{k: v for k, v in BASE.items() if k != "password_env"}, "password_command": cmd})
    assert s.secret() == "from-command"


def test_missing_secret_says_where_never_what(tmp_path, monkeypatch):
    monkeypatch.delenv("FS_TEST_IMAP", raising=False)
    with pytest.raises(InboxError, match="FS_TEST_IMAP is empty or missing") as e:
        from_dict(BASE).secret()
    assert e.value.exit_code == 4 and e.value.reason == "password"
    cmd = [sys.executable, "-c", "import sys; print('s3cret-output', file=sys.stderr); sys.exit(3)"]
    s = from_dict({**{k: v for k, v in BASE.items() if k != "password_env"}, "password_command": cmd})
    with pytest.raises(InboxError, match="exit code 3") as e:
        s.secret()
    assert "s3cret" not in str(e.value)


def test_repr_never_shows_the_secret(monkeypatch):
    monkeypatch.setenv("FS_TEST_IMAP", "hunter2")
    s = from_dict(BASE)
    assert "hunter2" not in repr(s) and "FS_TEST_IMAP" in repr(s)
