"""Google credentials for followsync: finding, loading and storing them, with messages a person can act on.

Two kinds of credentials file are accepted, told apart by their ``"type"`` field:

- a service account's JSON key (``"type": "service_account"``), the cron-friendly way: the
  sheet is shared with the account's ``client_email`` as Editor;
- an OAuth token of the user's own (``"type": "authorized_user"``), which
  ``followsync auth google`` stores after the installed-app flow (:func:`authorize_user`).

Where the file is: an explicit path, else ``$FOLLOWSYNC_GOOGLE_CREDENTIALS``, else
``google.credentials`` in followsync.toml, else the token ``followsync auth google`` stored
(:func:`default_token_path`). Every failure becomes one :class:`~followsync.errors.AuthError`
sentence that says what to do; no message ever quotes the file's contents.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...errors import AuthError

# Drive (not drive.file) because followsync shares and opens sheets the user made elsewhere.
SCOPES = (
    "https://www.googleapis.com/auth/spreadsheets",
    "https://www.googleapis.com/auth/drive",
)
# Reading the mailbox over IMAP with XOAUTH2 ([inbox] auth = "google"); IMAP has no narrower scope.
MAIL_SCOPE = "https://mail.google.com/"
ENV_CREDENTIALS = "FOLLOWSYNC_GOOGLE_CREDENTIALS"
TOKEN_NAME = "google-token.json"

SETUP_HINT = (
    "run `followsync auth google`, or set google.credentials in followsync.toml "
    "(or $FOLLOWSYNC_GOOGLE_CREDENTIALS) to a service-account JSON key"
)


def default_token_path() -> Path:
    """Where ``followsync auth google`` keeps the user's refreshable token."""
    import platformdirs

    return Path(platformdirs.user_config_dir("followsync")) / TOKEN_NAME


def credentials_path(explicit: str | os.PathLike | None = None, configured: Path | None = None) -> Path:
    """The credentials file to use: explicit, else the environment, else the config, else the stored token."""
    if explicit:
        return Path(explicit).expanduser()
    env = os.environ.get(ENV_CREDENTIALS)
    if env:
        return Path(env).expanduser()
    if configured:
        return Path(configured).expanduser()
    return default_token_path()


@dataclass
class LoadedCredentials:
    """google-auth credentials plus what messages need: their kind and the service account's email."""

    credentials: Any
    kind: str  # "service_account" or "authorized_user"
    path: Path
    client_email: str | None = None


def load_credentials(path: Path) -> LoadedCredentials:
    """Read a service-account key or an authorized-user token from ``path``. Raises AuthError."""
    from google.oauth2 import credentials as user_credentials
    from google.oauth2 import service_account

    if not path.exists():
        raise AuthError(f"No Google credentials at {path}: {SETUP_HINT}.")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        reason = e.strerror if isinstance(e, OSError) and e.strerror else "it is not text"
        raise AuthError(
            f"Cannot read the Google credentials file {path} ({reason}); check its permissions, or {SETUP_HINT}."
        ) from None
    try:
        info = json.loads(text)
    except ValueError:
        info = None
    kind = info.get("type") if isinstance(info, dict) else None
    if kind not in ("service_account", "authorized_user"):
        raise AuthError(
            f"{path} is not a Google service-account key or OAuth token (expected JSON with "
            f'"type": "service_account" or "authorized_user"); {SETUP_HINT}.'
        )
    try:
        if kind == "service_account":
            creds = service_account.Credentials.from_service_account_info(info, scopes=list(SCOPES))
            return LoadedCredentials(creds, kind, path, info.get("client_email"))
        creds = user_credentials.Credentials.from_authorized_user_info(info, scopes=list(SCOPES))
        # google-auth always points user tokens at Google's token endpoint; keep the file's, so the
        # emulator (or another endpoint the token came from) refreshes it.
        if info.get("token_uri"):
            creds = creds.with_token_uri(info["token_uri"])
        return LoadedCredentials(creds, kind, path)
    except (ValueError, KeyError, TypeError):
        # google-auth's own message may quote fields; ours names the file only.
        what = "service-account key" if kind == "service_account" else "OAuth token"
        raise AuthError(
            f"The Google {what} in {path} is incomplete or damaged; "
            + (
                "download a new JSON key for the service account and point google.credentials at it."
                if kind == "service_account"
                else "run `followsync auth google` again."
            )
        ) from None


_shared: dict[tuple[str, int, int], LoadedCredentials] = {}
_shared_lock = threading.Lock()


def shared_credentials(path: Path) -> LoadedCredentials:
    """:func:`load_credentials`, once per credentials file: trackers that use the same file share
    one credentials object, so N trackers of one person make one token request (issue 19).

    Keyed by the file's real path, modification time and size: a file replaced (a new key, a
    token stored again by ``followsync auth google``) is loaded again. google-auth refreshes the
    shared token when it nears its expiry, for whichever tracker asks first.
    """
    try:
        st = os.stat(path)
    except OSError:
        return load_credentials(path)  # its own clear message
    key = (os.path.realpath(path), st.st_mtime_ns, st.st_size)
    with _shared_lock:
        loaded = _shared.get(key)
        if loaded is None:
            loaded = load_credentials(path)
            for old in [k for k in _shared if k[0] == key[0]]:
                del _shared[old]
            _shared[key] = loaded
        return loaded


def forget_shared_credentials() -> None:
    """Drop every shared credentials object (tests; a long-lived process after a revocation)."""
    with _shared_lock:
        _shared.clear()


def store_token(credentials: Any, token_path: Path) -> Path:
    """Write an authorized-user token (refresh token included) readable by its owner only (0600).

    Written to a temporary file in the same folder and renamed, so a crash never leaves half a token
    and the token is never world-readable, not even for a moment.
    """
    token_path = Path(token_path).expanduser()
    token_path.parent.mkdir(parents=True, exist_ok=True)
    data = json.loads(credentials.to_json())
    data["type"] = "authorized_user"
    fd, tmp = tempfile.mkstemp(prefix=".google-token-", dir=token_path.parent)  # mkstemp makes it 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1)
        os.chmod(tmp, 0o600)
        os.replace(tmp, token_path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return token_path


def mail_token(configured: Path | None = None) -> str:
    """A fresh access token for IMAP's XOAUTH2, from the token ``followsync auth google`` stored
    with the mail scope. Raises AuthError saying what to do; never shows the token."""
    from google.auth.transport.requests import Request

    loaded = load_credentials(credentials_path(None, configured))
    if loaded.kind != "authorized_user":
        raise AuthError(
            f"[inbox] auth = \"google\" needs your own sign-in, but {loaded.path} is a service account's key; "
            "run `followsync auth google` (a service account cannot read your mailbox)."
        )
    granted = json.loads(loaded.path.read_text(encoding="utf-8")).get("scopes") or []
    if MAIL_SCOPE not in granted:
        raise AuthError(
            f"The Google sign-in in {loaded.path} does not allow reading mail; "
            "run `followsync auth google` again now that [inbox] auth = \"google\" is set."
        )
    try:
        loaded.credentials.refresh(Request())
    except Exception as e:  # google-auth raises transport and refresh errors of many kinds
        raise AuthError(
            f"Google did not renew the mail sign-in ({type(e).__name__}); run `followsync auth google` again."
        ) from None
    return str(loaded.credentials.token)


def authorize_user(
    client_secrets: Path,
    token_path: Path | None = None,
    *,
    open_browser: bool = True,
    scopes: tuple[str, ...] = SCOPES,
) -> Path:
    """Run Google's installed-app OAuth flow once and store a refreshable token (0600); return its path.

    ``client_secrets`` is the "Desktop app" OAuth client JSON downloaded from Google Cloud Console.
    A browser opens at Google's consent page; the answer comes back to a loopback port this
    function listens on. ``scopes``: :data:`SCOPES`, plus :data:`MAIL_SCOPE` for ``[inbox]``.
    """
    from google_auth_oauthlib.flow import InstalledAppFlow

    client_secrets = Path(client_secrets).expanduser()
    if not client_secrets.exists():
        raise AuthError(
            f"No OAuth client file at {client_secrets}: download the Desktop app client JSON from "
            "Google Cloud Console (APIs & Services > Credentials) and pass its path."
        )
    try:
        flow = InstalledAppFlow.from_client_secrets_file(str(client_secrets), scopes=list(scopes))
    except (ValueError, KeyError, OSError):
        raise AuthError(
            f"{client_secrets} is not an OAuth client file; download the Desktop app client JSON from "
            "Google Cloud Console (APIs & Services > Credentials)."
        ) from None
    try:
        creds = flow.run_local_server(
            port=0, open_browser=open_browser, access_type="offline", prompt="consent"
        )
    except Exception as e:  # the flow raises oauthlib/requests errors of many kinds
        raise AuthError(
            f"Google sign-in did not complete ({type(e).__name__}); run `followsync auth google` again."
        ) from None
    return store_token(creds, token_path or default_token_path())
