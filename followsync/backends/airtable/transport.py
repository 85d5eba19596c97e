"""How followsync talks HTTP to Airtable: paced under the rate limit, retried on :mod:`..http`,
and what its error answers mean.

Requests are paced under Airtable's 5 a second per base; 429s and 5xx are retried with the
shared :class:`~followsync.backends.http.RetryPolicy`, honouring ``Retry-After`` (a 429 without
one waits out Airtable's 30 s lockout), within its bound on the total wait.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import requests

from ...errors import AuthError, FollowsyncError, RemoteError, TrackerError, TrackerNotFound
from ..http import RetryPolicy, retry_after

log = logging.getLogger("followsync.backends.airtable")

#: Seconds between two requests: 4.5 a second, safely under Airtable's 5 per base.
MIN_INTERVAL = 1 / 4.5
LOCKOUT = 30.0  # Airtable refuses every request for 30 s after a 429
MAX_RETRIES = 5
ENV_TOKEN = "FOLLOWSYNC_AIRTABLE_TOKEN"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
#: Methods safe to send twice; a POST that creates something is retried only after a 429
#: (which means it was not processed).
IDEMPOTENT = frozenset({"GET", "HEAD", "PATCH", "PUT", "DELETE"})


def retry_policy(sleep: Callable[[float], Any]) -> RetryPolicy:
    """Airtable's retries: 1, 2, 4, 8, 16 s without jitter, at most :data:`MAX_RETRIES`, within
    the shared bound on the total wait (so a Retry-After of an hour is not waited for)."""
    return RetryPolicy(max_attempts=MAX_RETRIES + 1, jitter=0.0, sleep=sleep)


#: When each base may next be sent a request, per (endpoint, base, clock): shared by every
#: backend of the process, so two backends on one base (a run, then ``history``) stay under
#: the limit together.
_NEXT_REQUEST_AT: dict[tuple[str, str, Any], float] = {}


class Transport(requests.Session):
    """pyairtable's HTTP session, paced under the rate limit and retrying what is safe to retry.

    ``sleep`` and ``clock`` are injected so tests pace and back off on a fake clock.
    ``sent`` counts every request sent on the wire; ``waits`` the backoff sleeps.
    """

    def __init__(
        self,
        sleep: Callable[[float], Any],
        clock: Callable[[], float],
        key: tuple[str, str],
        interval: float = MIN_INTERVAL,
    ):
        super().__init__()
        self.sleep = sleep
        self.clock = clock
        self.interval = interval
        self.policy = retry_policy(sleep)
        self.sent = 0
        self._key = (*key, clock)

    @property
    def waits(self) -> list[float]:
        """Every backoff wait asked for (the pacing aside)."""
        return self.policy.waits

    def _pace(self) -> None:
        now = self.clock()
        next_at = _NEXT_REQUEST_AT.get(self._key)
        if next_at is not None and now < next_at:
            self.sleep(next_at - now)
            now = max(self.clock(), next_at)
        _NEXT_REQUEST_AT[self._key] = now + self.interval

    def request(self, method, url, *args, **kwargs):
        method = method.upper()
        safe = method in IDEMPOTENT or url.rstrip("/").endswith("/listRecords")
        attempt, waited = 0, 0.0
        while True:
            attempt += 1
            self._pace()
            log.debug("Airtable request %s %s", method.upper(), urlsplit(url).path)
            try:
                response = super().request(method, url, *args, **kwargs)
            except (requests.ConnectionError, requests.Timeout) as e:
                wait = self.policy.next_wait(attempt, waited) if safe else None
                if wait is None:
                    host = urlsplit(url).netloc
                    raise RemoteError(
                        f"Cannot reach Airtable at {host} ({type(e).__name__}); check the network and run "
                        "followsync again."
                    ) from None
            else:
                self.sent += 1
                status = response.status_code
                if status not in RETRY_STATUSES or not (safe or status == 429):
                    return response
                after = retry_after(response.headers) or (LOCKOUT if status == 429 else None)
                wait = self.policy.next_wait(attempt, waited, after)
                if wait is None:
                    return response
            self.policy.wait(wait, "Airtable to accept requests again (after a 429 or a failure)")
            waited += wait


# ---------------------------------------------------------------------- error answers


def error_of(exc: requests.HTTPError) -> tuple[int, str, str]:
    response = exc.response
    status = response.status_code if response is not None else 0
    try:
        body = response.json() if response is not None else {}
    except ValueError:
        body = {}
    err = body.get("error") if isinstance(body, dict) else None
    if isinstance(err, dict):
        return status, str(err.get("type", "")), str(err.get("message", ""))
    if isinstance(err, str):
        return status, err, ""
    errors = body.get("errors") if isinstance(body, dict) else None
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        return status, str(errors[0].get("error", "")), str(errors[0].get("message", ""))
    return status, "", ""


def cursor_expired(exc: requests.HTTPError) -> bool:
    """Whether a listing failed because Airtable forgot its ``offset`` cursor (a 422 with no message)."""
    status, kind, _ = error_of(exc)
    return status == 422 and kind == "LIST_RECORDS_ITERATOR_NOT_AVAILABLE"


def record_missing(status: int, kind: str) -> bool:
    """Whether an error answer means "that record is gone" (not the table, not a bad value)."""
    if status == 404:
        return kind != "TABLE_NOT_FOUND"
    return status == 422 and kind in ("ROW_DOES_NOT_EXIST", "MODEL_ID_NOT_FOUND", "NOT_FOUND")


def error_for(
    exc: requests.HTTPError, doing: str, *, base: str, table: str, location: str, field: str | None = None
) -> FollowsyncError:
    """One sentence, saying what to do, for an error answer from Airtable."""
    status, kind, message = error_of(exc)
    if status == 401:
        return AuthError(
            f"Airtable did not accept the token (401 {kind}); create a personal access token at "
            f"https://airtable.com/create/tokens and put it in ${ENV_TOKEN} or the [airtable] token_file."
        )
    if status == 403:
        scope = {
            "schema.read": "schema.bases:read",
            "schema.write": "schema.bases:write",
            "records.read": "data.records:read",
            "records.write": "data.records:write",
        }[doing]
        return AuthError(
            f"Airtable refused access to base {base} (403 {kind}); check the base id in {location} and "
            f"give the token access to that base with the {scope} scope."
        )
    if status == 404:
        return TrackerNotFound(
            f"Airtable found no table {table!r} in base {base} (404 {kind}); check the base id and "
            f"the table name or tbl… id in {location}."
        )
    if status == 422:
        what = f"field {field!r}" if field else "a value followsync wrote"
        return TrackerError(
            f"Airtable refused {what} in {location} (422 {kind}: {message}); give followsync's fields "
            "their types back (Due a date, the others text) or rename the field, then run followsync again."
        )
    if status == 429:
        return RemoteError(
            f"Airtable kept answering 'too many requests' for base {base} even after retrying; "
            "wait a minute and run followsync again."
        )
    return RemoteError(
        f"Airtable failed with HTTP {status} {kind} even after retrying; try again later "
        "(https://status.airtable.com)."
    )
