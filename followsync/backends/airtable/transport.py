"""How followsync talks HTTP to Airtable: paced under the rate limit, retried on :mod:`..http`.

Requests are paced under Airtable's 5 a second per base; 429s and 5xx are retried with the
shared :class:`~followsync.backends.http.RetryPolicy`, honouring ``Retry-After`` (a 429 without
one waits out Airtable's 30 s lockout), within its bound on the total wait.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import requests

from ...errors import RemoteError
from ..http import RetryPolicy, retry_after

#: Seconds between two requests: 4.5 a second, safely under Airtable's 5 per base.
MIN_INTERVAL = 1 / 4.5
LOCKOUT = 30.0  # Airtable refuses every request for 30 s after a 429
MAX_RETRIES = 5
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
            self.policy.wait(wait)
            waited += wait
