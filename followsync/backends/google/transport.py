"""Where Google requests go, how long they may take, retrying them (on :mod:`..http`), and
what their error answers mean.

``$FOLLOWSYNC_GOOGLE_API_URL`` points the real clients at another server (the loopback emulator
in ``tests/emulators/google.py``) through a transport adapter that rewrites Google's hosts, so
gspread, google-auth and requests stay in the path.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from gspread.exceptions import APIError
from gspread.http_client import HTTPClient

from ...errors import AuthError, RemoteError, TrackerError, TrackerNotFound
from ..http import GaveUp, RetryPolicy, retry_after
from .auth import SETUP_HINT, LoadedCredentials

log = logging.getLogger("followsync.backends.google")

ENV_API_URL = "FOLLOWSYNC_GOOGLE_API_URL"
# The hosts the clients talk to; with an API URL set, all of them go there instead.
GOOGLE_HOSTS = (
    "https://sheets.googleapis.com",
    "https://www.googleapis.com",
    "https://oauth2.googleapis.com",
)


class ApiUrlAdapter(requests.adapters.HTTPAdapter):
    """Sends requests for Google's hosts to ``api_url`` instead (the emulator), path and query kept."""

    def __init__(self, api_url: str):
        super().__init__()
        self.api_url = api_url.rstrip("/")

    def send(self, request, *args, **kwargs):
        for host in GOOGLE_HOSTS:
            if request.url.startswith(host + "/"):
                request.url = self.api_url + request.url[len(host) :]
                break
        return super().send(request, *args, **kwargs)


def mount(session: requests.Session, api_url: str | None) -> None:
    """Send ``session``'s requests for Google's hosts to ``api_url``, when one is set."""
    if api_url:
        adapter = ApiUrlAdapter(api_url)
        for host in GOOGLE_HOSTS:
            session.mount(host + "/", adapter)


_RETRY_STATUS = {408, 429, 500, 502, 503, 504}
_RATE_REASONS = {"rateLimitExceeded", "userRateLimitExceeded"}


def api_status(err: APIError) -> int:
    """The HTTP status of an error answer."""
    code = err.code if isinstance(err.code, int) and err.code > 0 else err.response.status_code
    return int(code)


def _reasons(err: APIError) -> set[str]:
    out = set()
    for e in err.error.get("errors", []) or []:
        if isinstance(e, dict) and e.get("reason"):
            out.add(e["reason"])
    for d in err.error.get("details", []) or []:
        if isinstance(d, dict) and d.get("reason"):
            out.add(d["reason"])
    return out


def rate_limited(err: APIError) -> bool:
    """Whether Google refused for the rate: a 429, or one of Drive's rate-limit 403s."""
    status = api_status(err)
    return status == 429 or (status == 403 and bool(_reasons(err) & _RATE_REASONS))


def retry_after_of(err: APIError) -> float | None:
    """The seconds the error answer's ``Retry-After`` asks for, or None."""
    return retry_after(err.response.headers if err.response is not None else None)


def short_message(e: APIError) -> str:
    """The first line of Google's error message, at most 160 characters."""
    msg = str(e.error.get("message", "")).strip().splitlines()
    text = msg[0] if msg else str(e.error.get("status", ""))
    return text if len(text) <= 160 else text[:157] + "..."


class RetryingHTTPClient(HTTPClient):
    """gspread's HTTPClient with a timeout on every request and bounded retries.

    gspread 6.2's BackOffHTTPClient retries a persistent 429 forever and sets no timeout; this
    one gives up (raising :class:`GaveUp`) once ``policy.max_attempts`` or ``policy.max_wait``
    would be exceeded. ``requests_made`` counts requests sent, retries included.
    """

    def __init__(self, session: requests.Session, timeout: float, policy: RetryPolicy):
        super().__init__(auth=None, session=session)  # type: ignore[arg-type]
        self.set_timeout(timeout)
        self.policy = policy
        self.requests_made = 0

    def request(self, method: str, endpoint: str, *args: Any, **kwargs: Any) -> requests.Response:
        # Compact JSON answers: Google pretty-prints them otherwise, about 2.3x the bytes (issue 19).
        params = kwargs.get("params")
        if params is None or isinstance(params, dict):
            kwargs["params"] = {**(params or {}), "prettyPrint": "false"}
        waited = 0.0
        attempt = 0
        while True:
            attempt += 1
            self.requests_made += 1
            log.debug("Google request %s %s", method.upper(), urlsplit(str(endpoint)).path)
            try:
                return super().request(method, endpoint, *args, **kwargs)
            except APIError as err:
                if not (api_status(err) in _RETRY_STATUS or rate_limited(err)):
                    raise
                last: Exception = err
                after = retry_after_of(err)
            except (requests.ConnectionError, requests.Timeout) as err:
                last, after = err, None
            wait = self.policy.next_wait(attempt, waited, after)
            if wait is None:
                raise GaveUp(last, attempt, waited) from None
            self.policy.wait(wait, _waiting_for(last, method, after))
            waited += wait


def _waiting_for(err: Exception, method: str, after: float | None) -> str:
    """What a retry waits for, in words, for the INFO line of a long wait."""
    if isinstance(err, APIError) and rate_limited(err):
        kind = "read" if method.upper() == "GET" else "write"
        told = " (it asked, with Retry-After)" if after is not None else " (a minute at most)"
        return f"Google's per-minute {kind} quota to refill after a 429{told}"
    if isinstance(err, APIError):
        return f"Google Sheets to recover from HTTP {api_status(err)}"
    return f"Google Sheets to answer again ({type(err).__name__})"


# --------------------------------------------------------------------------------------
# What Google's error answers mean, in one sentence each


def gave_up_error(e: GaveUp, what: str) -> RemoteError:
    """One sentence for retries that ran out while followsync tried to ``what``."""
    if isinstance(e.last, APIError):
        cause = f"kept answering {api_status(e.last)} ({short_message(e.last)})"
    else:
        cause = f"could not be reached ({type(e.last).__name__})"
    return RemoteError(
        f"Google Sheets {cause} while followsync tried to {what}; gave up after {e.attempts} "
        f"attempts and {e.waited:.0f}s of waiting, nothing was written. Try again later."
    )


def api_error(
    e: APIError, what: str, *, key: str, credentials: Path, creds: LoadedCredentials | None, title: str
) -> TrackerError:
    """One sentence, saying what to do, for an error answer from Google to ``what`` followsync tried."""
    status = api_status(e)
    message = str(e.error.get("message", ""))
    if status == 401:
        return AuthError(
            f"Google rejected the credentials in {credentials} (401) when followsync tried to "
            f"{what}; {SETUP_HINT}."
        )
    if status == 403:
        if "has not been used" in message or "is disabled" in message:
            return AuthError(
                "The Google Sheets API (or Drive API) is not enabled for the credentials' Cloud project; "
                "enable it in Google Cloud Console (APIs & Services > Library) and run again."
            )
        if creds and creds.client_email:
            return AuthError(
                f"The spreadsheet {key} is not shared with the service account; share the sheet "
                f"with {creds.client_email} as Editor (Share button in Google Sheets) and run again."
            )
        return AuthError(
            f"Your Google account may not {what} in spreadsheet {key}; ask its owner to share it "
            "with you as Editor, or run `followsync auth google` as the right account."
        )
    if status == 404:
        return TrackerNotFound(
            f"No Google spreadsheet with key {key} (404); check the URL or key in --tracker or "
            "[tracker] location, copied from the browser's address bar."
        )
    if status == 400 and "parse range" in message.lower():
        return TrackerNotFound(
            f"The spreadsheet {key} has no worksheet named {title!r}; check "
            "[tracker] worksheet (or the #gid in the URL)."
        )
    return RemoteError(
        f"Google Sheets refused to {what} ({status}: {short_message(e)}); nothing was written."
    )


def refresh_error(e: Exception, *, credentials: Path, creds: LoadedCredentials | None) -> TrackerError:
    """One sentence, saying what to do, for a sign-in google-auth could not refresh."""
    text = str(e.args[0]) if e.args else ""
    if getattr(e, "retryable", False):
        # google-auth has already retried a 5xx / temporarily_unavailable answer a few times.
        return RemoteError(
            "Google's sign-in service did not answer properly (it asked to be retried, and google-auth "
            "did); nothing was written. Try again in a few minutes."
        )
    if creds and creds.kind == "service_account":
        if "invalid_grant" in text:
            return AuthError(
                f"Google no longer accepts the service account key in {credentials} "
                "(invalid_grant: revoked, deleted, or the computer's clock is wrong); make a new JSON key "
                "in Google Cloud Console and point google.credentials at it."
            )
        return AuthError(
            f"Google refused the service account key in {credentials}; make a new JSON key "
            "in Google Cloud Console and point google.credentials at it."
        )
    # An OAuth app left in "Testing" on its consent screen gets refresh tokens that Google
    # expires after 7 days (invalid_grant): publishing the app ("In production") ends that.
    return AuthError(
        f"Your Google sign-in stored in {credentials} was revoked or has expired; "
        "run `followsync auth google` again (if it expires every week, your OAuth app is still in "
        '"Testing": publish it in Google Cloud Console, APIs & Services > OAuth consent screen).'
    )
