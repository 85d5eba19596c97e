"""A small, read-only adapter over ``imapclient``.

:func:`connect` opens the mailbox (``ssl``, ``starttls`` or ``none``) and logs in (password, or
XOAUTH2 through imapclient's ``oauth2_login``). What it hands back is a :class:`Mailbox` around
a :class:`ReadOnlyClient`: a wrapper through which only an allow-list of imapclient methods is
reachable. Folders are selected with ``readonly=True`` (IMAP ``EXAMINE``), messages fetched
with ``BODY.PEEK[...]`` only (a plain ``BODY[...]`` or ``RFC822`` would mark them read), and
STORE, COPY, MOVE, EXPUNGE, DELETE, CREATE, RENAME, CLOSE (which expunges) and APPEND to any
folder but Drafts raise :class:`~followsync.inbox.errors.RefusedCommand` before a byte is sent.

Folders are found by their RFC 6154 special-use flags (``\\Sent``, ``\\Drafts``, ``\\Junk``,
``\\All``), so "Gesendet" and "Entwürfe" work; INBOX by its name.

Reading is narrow and incremental: SEARCH runs on the server with the tracker's contact
addresses (FROM for incoming mail, TO/CC in Sent) and a SINCE floor; :class:`ReadState` keeps
each folder's UIDVALIDITY and last UID seen (and which addresses were searched up to it) in a
JSON file in the state folder, so a daily run fetches only what is new. Nothing of a message's
body is stored there: only UIDs, and the Message-IDs needed to thread replies and drafts.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import socket
import ssl
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import InboxError, RefusedCommand
from .messages import Message, parse
from .settings import InboxSettings

ROLES = {"sent": b"\\Sent", "drafts": b"\\Drafts", "junk": b"\\Junk", "all": b"\\All"}

# Every imapclient method the adapter may call. Anything else raises RefusedCommand.
ALLOWED = frozenset(
    {
        "capabilities",
        "has_capability",
        "namespace",
        "list_folders",
        "find_special_folder",
        "select_folder",
        "unselect_folder",
        "folder_status",
        "search",
        "fetch",
        "append",
        "noop",
        "logout",
        "shutdown",
        "id_",
    }
)
# Data items FETCH may ask for: none of them sets \Seen.
_FETCH_ITEM = re.compile(
    r"^(UID|FLAGS|INTERNALDATE|ENVELOPE|RFC822\.SIZE|BODYSTRUCTURE|BODY\.PEEK\[[A-Z0-9.\- ()]*\](<\d+(\.\d+)?>)?)$",
    re.I,
)
HEADER_ITEM = "BODY.PEEK[HEADER]"
TEXT_ITEM = "BODY.PEEK[TEXT]<0.200000>"  # a reply's own text is at the top; attachments are not needed
FETCH_ITEMS = (HEADER_ITEM, TEXT_ITEM, "INTERNALDATE", "FLAGS")
SEARCH_CHUNK = 25  # search keys per SEARCH command


class ReadOnlyClient:
    """Wraps an ``imapclient.IMAPClient``; only the methods in :data:`ALLOWED` are reachable.

    ``select_folder`` is always read-only; ``fetch`` takes only items from :data:`_FETCH_ITEM`;
    ``append`` only to ``drafts_folder`` (set once Drafts is found) and only with ``\\Draft``.
    """

    def __init__(self, client: Any):
        object.__setattr__(self, "_client", client)
        object.__setattr__(self, "drafts_folder", None)

    def __setattr__(self, name: str, value: Any) -> None:
        if name != "drafts_folder":
            raise AttributeError(name)
        object.__setattr__(self, name, value)

    def __getattr__(self, name: str) -> Any:
        if name not in ALLOWED:
            raise RefusedCommand(f"The read-only mailbox adapter refused {name!r}: followsync never changes mail.")
        return getattr(self._client, name)

    def select_folder(self, folder: str, readonly: bool = True) -> dict:
        if not readonly:
            raise RefusedCommand(f"The read-only mailbox adapter refused to SELECT {folder!r} read-write.")
        return self._client.select_folder(folder, readonly=True)

    def fetch(self, messages: Any, data: Sequence[str], modifiers: Any = None) -> dict:
        items = [data] if isinstance(data, str | bytes) else list(data)
        for item in items:
            text = item.decode() if isinstance(item, bytes) else str(item)
            if not _FETCH_ITEM.match(text):
                raise RefusedCommand(f"The read-only mailbox adapter refused FETCH {text}: it could mark mail as read.")
        return self._client.fetch(messages, items, modifiers)

    def append(self, folder: str, msg: bytes, flags: Sequence[bytes] = (), msg_time: Any = None) -> Any:
        if self.drafts_folder is None or folder != self.drafts_folder:
            raise RefusedCommand(f"The read-only mailbox adapter refused APPEND to {folder!r}: only Drafts takes new drafts.")
        if b"\\Draft" not in [f if isinstance(f, bytes) else str(f).encode() for f in flags]:
            raise RefusedCommand("The read-only mailbox adapter refused an APPEND without the \\Draft flag.")
        return self._client.append(folder, msg, flags=flags, msg_time=msg_time)


# --------------------------------------------------------------------------------------
# Connecting


def _error(e: BaseException, settings: InboxSettings) -> InboxError:
    """One sentence for a failure to reach or use the mailbox; never the secret."""
    import imapclient.exceptions as ix

    where = f"{settings.host}:{settings.port}"
    if isinstance(e, InboxError):
        return e
    if isinstance(e, ix.LoginError):
        return InboxError(
            f"The mail server {settings.host} refused the login for {settings.username}.",
            reason="auth",
            hint="Check [inbox] username and the password; most providers need an app password or OAuth.",
        )
    if isinstance(e, ssl.SSLError | ssl.CertificateError):
        return InboxError(f"The TLS connection to {where} failed ({type(e).__name__}).", reason="tls",
                          hint="Check [inbox] security and port, or set cafile for a self-signed certificate.")
    if isinstance(e, TimeoutError | socket.timeout):
        return InboxError(f"The mail server {where} did not answer in time.", reason="timeout")
    if isinstance(e, socket.gaierror):
        return InboxError(f"The mail server {settings.host} cannot be found (DNS).", reason="unreachable")
    if isinstance(e, ConnectionError | OSError):
        return InboxError(f"The mail server {where} cannot be reached ({type(e).__name__}).", reason="unreachable")
    if isinstance(e, ix.IMAPClientError):
        first = str(e).splitlines()[0][:200] if str(e) else type(e).__name__
        return InboxError(f"The mail server {settings.host} answered with an error: {first}", reason="imap")
    return InboxError(f"Reading the mailbox at {where} failed ({type(e).__name__}).", reason="imap")


def connect(settings: InboxSettings, *, token: Callable[[], str] | None = None) -> Mailbox:
    """Open and log in to the mailbox ``settings`` describe. Raises :class:`InboxError`.

    ``token`` returns an OAuth access token for ``auth = "google"`` (the lead passes one built
    from the ``followsync auth google`` credentials with the mail scope).
    """
    import imapclient

    if settings.auth == "google":
        if token is None:
            raise InboxError("auth = \"google\" needs a Google token, and none was given.", reason="password",
                             hint="Run `followsync auth google` with the mail scope.")
        secret = None
    else:
        secret = settings.secret()  # before connecting: a missing password needs no server
    context = None
    if settings.security != "none":
        context = ssl.create_default_context(cafile=str(settings.cafile) if settings.cafile else None)
    client = None
    try:
        client = imapclient.IMAPClient(
            settings.host,
            port=settings.port,
            ssl=settings.security == "ssl",
            ssl_context=context if settings.security == "ssl" else None,
            timeout=settings.timeout,
        )
        if settings.security == "starttls":
            client.starttls(context)
        if settings.auth == "google":
            assert token is not None
            client.oauth2_login(settings.username, token())
        elif settings.auth == "xoauth2":
            client.oauth2_login(settings.username, secret)
        else:
            client.login(settings.username, secret)
    except BaseException as e:
        if client is not None:
            with contextlib.suppress(Exception):
                client.shutdown()
        if isinstance(e, KeyboardInterrupt | SystemExit):
            raise
        raise _error(e, settings) from None
    return Mailbox(client, settings=settings)


# --------------------------------------------------------------------------------------
# State


@dataclass
class FolderState:
    uidvalidity: int
    last_uid: int
    keys: list[str]


class ReadState:
    """Per mailbox and folder: UIDVALIDITY, the last UID read, and which search keys (contact
    addresses) were read up to it; and Message-ID -> row IDs of the person's sent mail, plus
    the last message per row, for threading. JSON in ``<state_dir>/inbox-state.json``."""

    MAX_THREADS = 2000

    def __init__(self, path: Path, mailbox_key: str):
        self.path = path
        self.key = mailbox_key
        self._all: dict[str, Any] = {}
        try:
            self._all = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(self._all, dict):
                self._all = {}
        except (OSError, ValueError):
            self._all = {}
        mine = self._all.get(mailbox_key)
        self.data: dict[str, Any] = mine if isinstance(mine, dict) else {}
        self.data.setdefault("folders", {})
        self.data.setdefault("threads", {})
        self.data.setdefault("last", {})

    @classmethod
    def at(cls, state_dir: Path | None, mailbox_key: str) -> ReadState:
        if state_dir is None:
            from ..config import state_dir as default_state_dir

            state_dir = default_state_dir()
        return cls(Path(state_dir) / "inbox-state.json", mailbox_key)

    def folder(self, name: str) -> FolderState | None:
        raw = self.data["folders"].get(name)
        try:
            return FolderState(int(raw["uidvalidity"]), int(raw["last_uid"]), list(raw["keys"]))
        except (TypeError, KeyError, ValueError):
            return None

    def set_folder(self, name: str, st: FolderState) -> None:
        self.data["folders"][name] = {"uidvalidity": st.uidvalidity, "last_uid": st.last_uid, "keys": sorted(st.keys)}

    @property
    def threads(self) -> dict[str, list[str]]:
        return self.data["threads"]

    @property
    def last(self) -> dict[str, list[str]]:
        """row ID -> [Message-ID, References...] of the conversation's last message."""
        return self.data["last"]

    def save(self) -> None:
        threads = self.data["threads"]
        if len(threads) > self.MAX_THREADS:
            self.data["threads"] = dict(list(threads.items())[-self.MAX_THREADS :])
        self._all[self.key] = self.data
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self._all, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(tmp, self.path)


# --------------------------------------------------------------------------------------
# The mailbox


def search_criteria(key: str) -> list[str]:
    """A search key of the state (``from:a``, ``to:a``, ``cc:a``, ``ref:<id>``) as IMAP criteria."""
    kind, _, value = key.partition(":")
    if kind == "from":
        return ["FROM", value]
    if kind == "to":
        return ["TO", value]
    if kind == "cc":
        return ["CC", value]
    if kind == "ref":
        return ["OR", "HEADER", "In-Reply-To", value, "HEADER", "References", value]
    raise ValueError(key)


def or_criteria(keys: Sequence[str]) -> list[str]:
    """``OR OR k1 k2 k3``: any of the keys (prefix form, no parentheses needed)."""
    out: list[str] = ["OR"] * (len(keys) - 1)
    for k in keys:
        out.extend(search_criteria(k))
    return out


class Mailbox:
    """An open, logged-in mailbox. Use it as a context manager; it logs out on exit."""

    def __init__(self, client: Any, *, settings: InboxSettings | None = None):
        self.client = client if isinstance(client, ReadOnlyClient) else ReadOnlyClient(client)
        self.settings = settings
        self._folders: dict[str, str] | None = None

    def __enter__(self) -> Mailbox:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        try:
            self.client.logout()
        except Exception:
            with contextlib.suppress(Exception):
                self.client.shutdown()

    def folders(self) -> dict[str, str]:
        """Role -> folder name: ``inbox`` always, ``sent``, ``drafts``, ``junk``, ``all`` when the
        server flags them (RFC 6154); imapclient's name heuristics only when no folder is flagged."""
        if self._folders is not None:
            return self._folders
        found: dict[str, str] = {"inbox": "INBOX"}
        listing = self.client.list_folders()
        for flags, _, name in listing:
            names = {bytes(f).lower() if isinstance(f, bytes) else str(f).encode().lower() for f in flags}
            if b"\\noselect" in names or b"\\nonexistent" in names:
                continue
            for role, flag in ROLES.items():
                if flag.lower() in names and role not in found:
                    found[role] = name
        if not any(r in found for r in ROLES):
            for role, flag in ROLES.items():
                name = self.client.find_special_folder(flag)
                if name:
                    found[role] = name
        if "drafts" in found:
            self.client.drafts_folder = found["drafts"]
        self._folders = found
        return found

    def read(
        self,
        folder: str,
        keys: Sequence[str],
        *,
        since: dt.date,
        state: ReadState | None,
        role: str,
    ) -> list[Message]:
        """The messages in ``folder`` matching any of ``keys`` since ``since``, new ones only.

        Keys already read up to the folder's last UID (same UIDVALIDITY) are searched above
        it; new keys over the whole range. The state is updated in memory, not saved.
        """
        info = self.client.select_folder(folder, readonly=True)
        uidvalidity = int(info.get(b"UIDVALIDITY", 0))
        uidnext = info.get(b"UIDNEXT")
        st = state.folder(folder) if state else None
        if st is None or st.uidvalidity != uidvalidity:
            st = FolderState(uidvalidity, 0, [])
        wanted = list(dict.fromkeys(keys))
        old = [k for k in wanted if k in set(st.keys)] if st.last_uid else []
        new = [k for k in wanted if k not in set(old)]
        uids: set[int] = set()
        for chunk_keys, above in ((old, st.last_uid), (new, 0)):
            for i in range(0, len(chunk_keys), SEARCH_CHUNK):
                part = chunk_keys[i : i + SEARCH_CHUNK]
                criteria: list[Any] = ["SINCE", since]
                if above:
                    criteria += ["UID", f"{above + 1}:*"]
                criteria += or_criteria(part)
                uids.update(u for u in self.client.search(criteria) if u > above)
        if uidnext:
            last = max(int(uidnext) - 1, st.last_uid)
        else:
            everything = self.client.search(["UID", f"{st.last_uid + 1}:*"])
            last = max([st.last_uid, *everything])
        messages = self.fetch(sorted(uids), role=role)
        if state is not None:
            # Thread keys come and go with the sent mail: keep only those searched this time.
            kept = {k for k in st.keys if not k.startswith("ref:")} | set(wanted)
            state.set_folder(folder, FolderState(uidvalidity, last, sorted(kept)))
        return messages

    def fetch(self, uids: Sequence[int], *, role: str) -> list[Message]:
        out: list[Message] = []
        for i in range(0, len(uids), 200):
            chunk = list(uids[i : i + 200])
            if not chunk:
                continue
            data = self.client.fetch(chunk, list(FETCH_ITEMS))
            for uid in chunk:
                item = data.get(uid)
                if not item:
                    continue
                header = item.get(b"BODY[HEADER]") or b""
                text = item.get(b"BODY[TEXT]<0>") or b""
                out.append(
                    parse(
                        bytes(header) + bytes(text),
                        folder=role,
                        uid=uid,
                        internal_date=_aware(item.get(b"INTERNALDATE")),
                        flags=tuple(f.decode() if isinstance(f, bytes) else str(f) for f in item.get(b"FLAGS", ())),
                    )
                )
        return out

    def has_message_id(self, folder: str, message_id: str) -> bool:
        """Whether ``folder`` holds a message with this Message-ID (SEARCH HEADER, read-only)."""
        self.client.select_folder(folder, readonly=True)
        return bool(self.client.search(["HEADER", "Message-ID", message_id]))

    def append_draft(self, raw: bytes, *, when: dt.datetime | None = None) -> None:
        """APPEND one new message to Drafts with the ``\\Draft`` flag (the only write)."""
        folder = self.folders().get("drafts")
        if folder is None:
            raise InboxError("The mailbox has no Drafts folder (no folder flagged \\Drafts).", reason="folder")
        self.client.append(folder, raw, flags=(b"\\Draft",), msg_time=when)


def _aware(value: Any) -> dt.datetime | None:
    if not isinstance(value, dt.datetime):
        return None
    return value if value.tzinfo else value.astimezone()


def incoming_keys(addresses: Iterable[str], message_ids: Iterable[str] = ()) -> list[str]:
    """Search keys for INBOX/Junk/All: mail from the contacts, bounces, replies to our mail."""
    keys = [f"from:{a}" for a in addresses] + ["from:mailer-daemon", "from:postmaster"]
    keys += [f"ref:{m}" for m in message_ids]
    return keys


def sent_keys(addresses: Iterable[str]) -> list[str]:
    """Search keys for Sent: mail to or copied to the contacts."""
    out: list[str] = []
    for a in addresses:
        out += [f"to:{a}", f"cc:{a}"]
    return out
