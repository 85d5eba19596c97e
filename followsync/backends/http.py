"""The one retry policy of the stores that talk HTTP (Google Sheets and Airtable).

Capped exponential backoff, with or without jitter, that honours ``Retry-After`` and gives up
once another wait would pass a bound on the total wait or on the attempts. A server asking for
an hour's wait is therefore not obeyed: the run stops and says so, rather than hang.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import math
import random
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

log = logging.getLogger("followsync.backends.http")

#: A wait at least this long is said at INFO: a run that sits still should say why.
SAY_WAITS_FROM = 5.0


#: Google's per-minute quotas refill a minute after a request: the backoff must reach that far,
#: and the total wait pass it with room (waits are half fixed, half random).
GOOGLE_CAP = 60.0
GOOGLE_MAX_WAIT = 180.0
GOOGLE_ATTEMPTS = 10


@dataclass
class RetryPolicy:
    """Capped exponential backoff with jitter, honouring Retry-After, within ``max_wait`` seconds in all.

    The backoff before attempt ``n + 1`` is ``min(cap, base * 2 ** (n - 1))``; ``jitter`` is the
    share of it that is random (0.5: half fixed, half random; 0: exactly the backoff).
    ``sleep`` and ``random`` are injectable so tests assert the waits asked for, not wall time.
    """

    max_wait: float = 120.0
    base: float = 1.0
    cap: float = 32.0
    max_attempts: int = 8
    jitter: float = 0.5
    sleep: Callable[[float], object] = time.sleep
    random: Callable[[], float] = random.random
    waits: list[float] = field(default_factory=list)  # every wait requested, for tests and messages

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """The wait before attempt ``attempt + 1``: the backoff, jittered, never under Retry-After."""
        backoff = min(self.cap, self.base * 2 ** (attempt - 1))
        wait = backoff * (1 - self.jitter) + self.random() * backoff * self.jitter if self.jitter else backoff
        return max(wait, retry_after) if retry_after is not None else wait

    def next_wait(self, attempt: int, waited: float, retry_after: float | None = None) -> float | None:
        """The wait before attempt ``attempt + 1``, or None when the attempts or the total wait would
        run out (``waited`` is what this request has waited so far)."""
        wait = self.delay(attempt, retry_after)
        if attempt >= self.max_attempts or waited + wait > self.max_wait:
            return None
        return wait

    def wait(self, seconds: float, what: str = "the server to accept requests again") -> None:
        """Sleep ``seconds``, and remember the wait; one of :data:`SAY_WAITS_FROM` or more is logged
        at INFO with ``what`` it waits for, so a run that sits still says so, and one of
        :data:`NOTICE_SECONDS` or more is said on stderr at a terminal."""
        self.waits.append(seconds)
        if seconds >= SAY_WAITS_FROM:
            log.info("waiting %.0f s for %s", seconds, what)
        if seconds >= NOTICE_SECONDS and _stderr_is_terminal():
            print(f"followsync: waiting {seconds:.0f} s for {what} before trying again...", file=sys.stderr, flush=True)
        self.sleep(seconds)


def google_policy(max_wait: float = GOOGLE_MAX_WAIT) -> RetryPolicy:
    """Google's retries: the backoff reaches :data:`GOOGLE_CAP` (a minute) and the total wait may
    pass Google's 60 s refill of the per-minute quotas, which answer 429 without ``Retry-After``:
    1, 2, 4 ... 32, 60, 60 s (half of each random) within :data:`GOOGLE_MAX_WAIT`, so a run that hits
    the quota waits the minute out instead of giving up before the refill."""
    return RetryPolicy(max_wait=max_wait, cap=GOOGLE_CAP, max_attempts=GOOGLE_ATTEMPTS)


NOTICE_SECONDS = 3.0  # a wait this long, at a terminal, is said on stderr


def _stderr_is_terminal() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


class GaveUp(Exception):
    """The retries ran out; ``last`` is the final error (an APIError or a requests exception)."""

    def __init__(self, last: Exception, attempts: int, waited: float):
        super().__init__(str(last))
        self.last, self.attempts, self.waited = last, attempts, waited


def retry_after(
    headers_or_value: Mapping[str, str] | str | None, now: dt.datetime | None = None
) -> float | None:
    """The seconds a ``Retry-After`` asks for, from a response's headers or the header's value.

    Both forms of RFC 9110 are read: delta-seconds (``120``; a fraction is accepted too) and an
    HTTP-date (``Wed, 21 Oct 2026 07:28:00 GMT``, counted from ``now``, default the clock). A
    date in the past is 0; a missing or unreadable value is None.
    """
    if headers_or_value is None or isinstance(headers_or_value, str):
        value = headers_or_value
    else:
        value = headers_or_value.get("Retry-After")
    if not value or not value.strip():
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # "-0000": the date is in UTC, its source zone unknown
        when = when.replace(tzinfo=dt.UTC)
    now = now or dt.datetime.now(dt.UTC)
    return max(0.0, (when - now).total_seconds())
