"""A Dovecot of the tests' own, a seeded mailbox per test, and the demo tracker.

The server runs from a config in a temporary folder (the form ``dovecot --version`` needs:
2.3 or 2.4), with Maildir mail under it and a static passdb: any user name, password
``secret``. Each test gets its own user, so its own mailbox, seeded from ``fixtures/*.eml``
(``inbox-*`` into INBOX, ``sent-*`` into Sent, ``junk-*`` into Junk, ``drafts-*`` into the
Drafts folder "Entwürfe"). Most tests talk IMAP to ``doveadm exec imap`` over a pipe (imapclient's
``stream=True``); the connect-and-login tests use the daemon on 127.0.0.1, plain and TLS.

Run as root (as CI is), the mail processes run as ``nobody`` (Dovecot refuses mail access as
root); otherwise everything runs as the current user, rootless.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import grp
import imaplib
import itertools
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
import zoneinfo
from dataclasses import dataclass
from pathlib import Path

import pytest

from followsync.core import schema
from followsync.inbox.imap import Mailbox
from followsync.inbox.messages import Message, parse

from ..conftest import grid_of

FIXTURES = Path(__file__).parent / "fixtures"
PASSWORD = "Tr0ub4dor-fs-test"  # the static passdb's one password
DRAFTS = "Entwürfe"
FOLDER_OF = {"inbox": "INBOX", "sent": "Sent", "junk": "Junk", "drafts": DRAFTS}
# Wednesday 25 November 2026, 09:00 in Berlin, as in the other suites.
NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=zoneinfo.ZoneInfo("Europe/Berlin"))
OWN = ("alex@example.com",)


# --------------------------------------------------------------------------------------
# Fixture messages and the demo tracker


def fixture_files(prefix: str) -> list[Path]:
    return sorted(FIXTURES.glob(f"{prefix}-*.eml"))


def fixture_messages(prefix: str) -> list[Message]:
    return [parse(p.read_bytes(), folder=prefix, uid=i + 1) for i, p in enumerate(fixture_files(prefix))]


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


DEMO_HEADER = [c.name for c in schema.USER_COLUMNS] + ["Draft subject"]
DEMO_ROWS = [
    {"ID": "A1", "Company": "Acme", "Interviewer": "Jane Jones", "Interviewer email": "Jane@Acme.example",
     "Interview at": "2026-11-20 10:00", "Status": "Interviewed", "Draft subject": "Thank you for the interview"},
    {"ID": "B2", "Company": "Globex", "Interviewer": "Tom Baker", "Interviewer email": "tom@globex.example",
     "Other contact": "Globex Recruiting <recruiting@globex.example>", "Interview at": "2026-11-17",
     "Thank-you sent": "2026-11-17", "Status": "Interviewed"},
    {"ID": "C3", "Company": "Initech", "Interviewer": "Priya Raman", "Interviewer email": "priya@initech.example",
     "Interview at": "2026-11-16", "Thank-you sent": "2026-11-16", "Status": "Interviewed",
     "Draft subject": "Following up: Product Manager"},
    {"ID": "D4", "Company": "Umbrella", "Interviewer": "Sam Lee", "Interviewer email": "sam@umbrella.example",
     "Interview at": "2026-11-18", "Thank-you sent": "2026-11-18", "Status": "Interviewed"},
    {"ID": "E5", "Company": "Hooli", "Interviewer": "Lee Chen", "Interviewer email": "lee@hooli.example",
     "Interview at": "2026-11-20", "Status": "Interviewed", "Draft subject": "Thank you for the interview"},
    {"ID": "F6", "Company": "Vandelay", "Interviewer": "Mia Costanza", "Interviewer email": "mia@vandelay.example",
     "Interview at": "2026-11-16", "Thank-you sent": "2026-11-16", "Status": "Interviewed",
     "Draft subject": "Following up: Import Coordinator"},
    {"ID": "G7", "Company": "Beispiel GmbH", "Interviewer": "Klaus Becker",
     "Interviewer email": "k.becker@beispiel.example", "Interview at": "2026-11-20", "Status": "Interviewed"},
    {"ID": "H8", "Company": "Exemple SA", "Interviewer": "Claire Martin",
     "Interviewer email": "claire.martin@exemple.example", "Interview at": "2026-11-19", "Status": "Interviewed"},
]


def demo_frame(rows=None):
    t = schema.frame(grid_of(rows or DEMO_ROWS, header=DEMO_HEADER), "Tracker")
    assert t is not None
    return t.frame


@pytest.fixture
def frame():
    return demo_frame()


# --------------------------------------------------------------------------------------
# Dovecot


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _self_signed(folder: Path) -> tuple[Path, Path]:
    """A throwaway certificate for localhost and 127.0.0.1 (the cryptography package)."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=7))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    key_path.chmod(0o600)
    return cert_path, key_path


def dovecot_version() -> str | None:
    exe = shutil.which("dovecot") or ("/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None)
    if exe is None:
        return None
    out = subprocess.run([exe, "--version"], capture_output=True, text=True, check=False).stdout
    m = re.match(r"(\d+\.\d+)", out.strip())
    return m.group(1) if m else None


def _users() -> dict[str, str | int]:
    """Who runs what: rootless as the current user; as root, mail as nobody."""
    if os.geteuid() != 0:
        me = pwd.getpwuid(os.getuid())
        group = grp.getgrgid(os.getgid()).gr_name
        return {"internal": me.pw_name, "group": group, "login": me.pw_name, "uid": me.pw_uid, "gid": me.pw_gid}
    nobody = pwd.getpwnam("nobody")

    def exists(name: str) -> bool:
        try:
            pwd.getpwnam(name)
            return True
        except KeyError:
            return False

    return {
        "internal": "dovecot" if exists("dovecot") else "nobody",
        "group": grp.getgrgid(pwd.getpwnam("dovecot").pw_gid).gr_name if exists("dovecot") else grp.getgrgid(nobody.pw_gid).gr_name,
        "login": "dovenull" if exists("dovenull") else "nobody",
        "uid": nobody.pw_uid,
        "gid": nobody.pw_gid,
    }


def config_23(root: Path, users: dict, imap_port: int, imaps_port: int, cert: Path, key: Path) -> str:
    """Dovecot 2.3's config form: mail_location, passdb/userdb with driver and args."""
    return f"""\
base_dir = {root}/run
state_dir = {root}/state
instance_name = followsync-test-{imap_port}
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
default_internal_user = {users['internal']}
default_internal_group = {users['group']}
default_login_user = {users['login']}
first_valid_uid = 0
first_valid_gid = 0
mail_uid = {users['uid']}
mail_gid = {users['gid']}
mail_location = maildir:{root}/mail/%u:LAYOUT=fs
passdb {{
  driver = static
  args = password={PASSWORD}
}}
userdb {{
  driver = static
  args = uid={users['uid']} gid={users['gid']} home={root}/home/%u
}}
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Sent {{
    auto = create
    special_use = \\Sent
  }}
  mailbox Junk {{
    auto = create
    special_use = \\Junk
  }}
  mailbox "{DRAFTS}" {{
    auto = create
    special_use = \\Drafts
  }}
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
"""


def config_24(root: Path, users: dict, imap_port: int, imaps_port: int, cert: Path, key: Path) -> str:
    """Dovecot 2.4's config form: versioned, mail_driver/mail_path, named passdb/userdb blocks."""
    return f"""\
dovecot_config_version = 2.4.0
dovecot_storage_version = 2.4.0
base_dir = {root}/run
state_dir = {root}/state
instance_name = followsync-test-{imap_port}
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_server_cert_file = {cert}
ssl_server_key_file = {key}
auth_allow_cleartext = yes
auth_mechanisms = plain login
auth_failure_delay = 0
default_internal_user = {users['internal']}
default_internal_group = {users['group']}
default_login_user = {users['login']}
first_valid_uid = 0
first_valid_gid = 0
mail_uid = {users['uid']}
mail_gid = {users['gid']}
mail_driver = maildir
mail_path = {root}/mail/%{{user}}
mailbox_list_layout = fs
passdb static {{
  password = {PASSWORD}
}}
userdb static {{
  fields {{
    uid = {users['uid']}
    gid = {users['gid']}
    home = {root}/home/%{{user}}
  }}
}}
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Sent {{
    auto = create
    special_use = \\Sent
  }}
  mailbox Junk {{
    auto = create
    special_use = \\Junk
  }}
  mailbox "{DRAFTS}" {{
    auto = create
    special_use = \\Drafts
  }}
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    listen = 127.0.0.1
    port = {imap_port}
  }}
  inet_listener imaps {{
    listen = 127.0.0.1
    port = {imaps_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
"""


@dataclass
class Dovecot:
    root: Path
    conf: Path
    version: str
    imap_port: int
    imaps_port: int
    cert: Path
    users: dict
    process: subprocess.Popen | None = None
    _counter: itertools.count = itertools.count(1)

    def command(self, user: str) -> str:
        """The shell command imapclient's ``stream=True`` runs: a preauthenticated IMAP session."""
        return f"env USER={user} HOME={self.root}/home doveadm -c {self.conf} exec imap 2>>{self.root}/exec.log"

    def new_user(self) -> str:
        return f"t{os.getpid()}x{next(self._counter)}"

    def raw_session(self, user: str) -> imaplib.IMAP4_stream:
        """A plain imaplib session over the pipe, for seeding and inspecting (not the adapter)."""
        return imaplib.IMAP4_stream(self.command(user))

    def seed(self, user: str, *, prefixes=("inbox", "sent", "junk", "drafts")) -> None:
        s = self.raw_session(user)
        try:
            for prefix in prefixes:
                for p in fixture_files(prefix):
                    typ, data = s.append(_quote(FOLDER_OF[prefix]), None, None, p.read_bytes().replace(b"\n", b"\r\n"))
                    assert typ == "OK", (p, data)
        finally:
            s.logout()

    def snapshot(self, user: str) -> dict[str, list[tuple[bytes, bytes]]]:
        """Folder -> [(UID, FLAGS)] for every folder, read with EXAMINE and FETCH (FLAGS)."""
        s = self.raw_session(user)
        out = {}
        try:
            for folder in FOLDER_OF.values():
                typ, _ = s.select(_quote(folder), readonly=True)
                assert typ == "OK"
                typ, data = s.fetch("1:*", "(UID FLAGS)")
                rows = [d for d in data if d] if typ == "OK" else []
                # \Recent belongs to the session, not the message: leave it out.
                out[folder] = sorted(re.sub(rb"\\Recent ?", b"", d).replace(b" )", b")") for d in rows)
        finally:
            s.logout()
        return out

    def start_daemon(self) -> None:
        if self.process is not None:
            return
        self.process = subprocess.Popen(
            ["dovecot", "-F", "-c", str(self.conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                err = self.process.stderr.read().decode() if self.process.stderr else ""
                raise RuntimeError(f"dovecot exited: {err} {self.log()}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.imap_port), timeout=0.2):
                return
            time.sleep(0.05)
        raise RuntimeError("dovecot did not start listening: " + self.log())

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log(self) -> str:
        p = self.root / "dovecot.log"
        return p.read_text(errors="replace")[-3000:] if p.exists() else ""


def _quote(folder: str) -> str:
    """A folder name for imaplib: modified UTF-7 and quoted."""
    from imapclient.imap_utf7 import encode

    return '"' + encode(folder).decode() + '"'


@pytest.fixture(scope="session")
def dovecot():
    version = dovecot_version()
    if version is None or shutil.which("doveadm") is None:
        pytest.skip("dovecot is not installed (apt-get install dovecot-imapd); the IMAP tests need it")
    root = Path(tempfile.mkdtemp(prefix="followsync-dovecot-"))
    root.chmod(0o755)  # the mail processes (nobody, when run as root) must reach mail/
    users = _users()
    for sub in ("run", "state", "mail", "home"):
        (root / sub).mkdir()
    if os.geteuid() == 0:
        for sub in ("mail", "home"):
            os.chown(root / sub, int(users["uid"]), int(users["gid"]))
    cert, key = _self_signed(root)
    imap_port, imaps_port = _free_port(), _free_port()
    form = config_24 if tuple(int(x) for x in version.split(".")) >= (2, 4) else config_23
    conf = root / "dovecot.conf"
    conf.write_text(form(root, users, imap_port, imaps_port, cert, key), encoding="utf-8")
    server = Dovecot(root, conf, version, imap_port, imaps_port, cert, users)
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def _seeded(dovecot):
    """One mailbox seeded over IMAP; each test gets a copy of its Maildir (much faster)."""
    user = dovecot.new_user()
    dovecot.seed(user)
    return dovecot.root / "mail" / user


@pytest.fixture
def mail_user(dovecot, _seeded):
    """A fresh user whose mailbox holds every fixture message."""
    user = dovecot.new_user()
    target = dovecot.root / "mail" / user
    shutil.copytree(_seeded, target, symlinks=True)
    if os.geteuid() == 0:
        uid, gid = int(dovecot.users["uid"]), int(dovecot.users["gid"])
        for path in [target, *target.rglob("*")]:
            os.lchown(path, uid, gid)
    return user


def pipe_client(command: str):
    """An ``imapclient.IMAPClient`` over a pipe to ``command`` (``stream=True``).

    imapclient 3+/4 sets a socket timeout even in stream mode, where there is no socket; the
    subclass skips that one step.
    """
    import imapclient

    class PipeClient(imapclient.IMAPClient):
        def _set_read_timeout(self):
            if self.stream:
                return
            super()._set_read_timeout()

    return PipeClient(command, stream=True, ssl=False)


@pytest.fixture
def open_pipe(dovecot):
    """``open_mailbox`` for ``scan``: a Mailbox over ``doveadm exec imap`` for ``user``."""

    def factory(user: str):
        def opener(_settings):
            return Mailbox(pipe_client(dovecot.command(user)))

        return opener

    return factory


@pytest.fixture
def imap_log(monkeypatch):
    """Every IMAP command line the client sends, as text (literals' contents excluded)."""
    sent: list[bytes] = []
    for cls in (imaplib.IMAP4, imaplib.IMAP4_stream):
        original = cls.send

        def send(self, data, _original=original):
            sent.append(bytes(data))
            return _original(self, data)

        monkeypatch.setattr(cls, "send", send)

    class Log:
        def clear(self) -> None:
            sent.clear()

        def commands(self) -> list[str]:
            out = []
            for chunk in sent:
                m = re.match(rb"^[A-Z]{4}\d+ (.*?)\r?\n?$", chunk, re.S)
                if m:
                    out.append(m.group(1).split(b"\r\n")[0].decode("utf-8", "replace"))
            return out

        def verbs(self) -> list[str]:
            verbs = []
            for c in self.commands():
                words = c.split()
                verb = words[1] if words[0].upper() == "UID" and len(words) > 1 else words[0]
                verbs.append(verb.upper())
            return verbs

    return Log()
