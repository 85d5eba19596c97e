"""Where Google requests go, how long they may take, and retrying them (on :mod:`..http`).

``$FOLLOWSYNC_GOOGLE_API_URL`` points the real clients at another server (the loopback emulator
in ``tests/emulators/google.py``) through a transport adapter that rewrites Google's hosts, so
gspread, google-auth and requests stay in the path.
"""

from __future__ import annotations

from typing import Any

import requests
from gspread.exceptions import APIError
from gspread.http_client import HTTPClient

from ..http import GaveUp, RetryPolicy, retry_after

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
        waited = 0.0
        attempt = 0
        while True:
            attempt += 1
            self.requests_made += 1
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
            self.policy.wait(wait)
            waited += wait
