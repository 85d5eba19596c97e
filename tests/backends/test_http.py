"""The one retry policy of the HTTP stores (Google Sheets and Airtable): backoff, Retry-After, the bound."""

from __future__ import annotations

import datetime as dt

import pytest
from requests.structures import CaseInsensitiveDict

from followsync.backends.http import RetryPolicy, retry_after

NOW = dt.datetime(2026, 12, 1, 20, 0, 0, tzinfo=dt.UTC)


# ------------------------------------------------------------------------------ Retry-After


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("120", 120.0), (" 7 ", 7.0), ("2.5", 2.5), ("0", 0.0), ("-3", 0.0)],
)
def test_retry_after_reads_delta_seconds(value, seconds):
    assert retry_after(value) == seconds


def test_retry_after_reads_an_http_date():
    assert retry_after("Tue, 01 Dec 2026 20:01:30 GMT", now=NOW) == 90.0
    assert retry_after("Tue, 01 Dec 2026 20:01:30 -0000", now=NOW) == 90.0  # zone unknown: UTC
    assert retry_after("Tue, 01 Dec 2026 21:01:30 +0100", now=NOW) == 90.0


def test_a_retry_after_date_in_the_past_is_no_wait():
    assert retry_after("Tue, 01 Dec 2026 19:00:00 GMT", now=NOW) == 0.0


@pytest.mark.parametrize("value", [None, "", "  ", "soon", "nan", "inf", "Tue, 99 Foo 2026"])
def test_an_unreadable_retry_after_is_none(value):
    assert retry_after(value) is None


def test_retry_after_reads_a_responses_headers():
    headers = CaseInsensitiveDict({"retry-after": "30", "Content-Type": "application/json"})
    assert retry_after(headers) == 30.0
    assert retry_after(CaseInsensitiveDict({"Content-Type": "text/plain"})) is None
    assert retry_after({"Retry-After": "Tue, 01 Dec 2026 20:00:10 GMT"}, now=NOW) == 10.0


# ------------------------------------------------------------------------------ the policy


def policy(**kw) -> RetryPolicy:
    slept: list[float] = []
    return RetryPolicy(sleep=slept.append, random=lambda: 0.5, **kw)


def test_backoff_doubles_half_fixed_half_random():
    p = policy()
    assert [p.delay(n, None) for n in range(1, 6)] == [0.75, 1.5, 3.0, 6.0, 12.0]
    assert p.delay(10, None) == 24.0  # capped at 32 s before the jitter


def test_without_jitter_the_backoff_is_exact():
    p = policy(jitter=0.0)
    assert [p.delay(n, None) for n in range(1, 6)] == [1.0, 2.0, 4.0, 8.0, 16.0]


def test_retry_after_beats_a_shorter_backoff_and_never_shortens_it():
    p = policy()
    assert p.delay(1, 7.0) == 7.0
    assert p.delay(5, 1.0) == 12.0


def test_the_attempts_are_bounded():
    p = policy(max_attempts=3)
    assert p.next_wait(1, 0.0) == 0.75
    assert p.next_wait(2, 0.75) == 1.5
    assert p.next_wait(3, 2.25) is None


def test_the_total_wait_is_bounded():
    p = policy(max_wait=20)
    waited, waits = 0.0, []
    attempt = 1
    while (wait := p.next_wait(attempt, waited)) is not None:
        waits.append(wait)
        waited += wait
        attempt += 1
    assert waits == [0.75, 1.5, 3.0, 6.0]  # the next (12 s) would pass 20 s
    assert sum(waits) <= 20


def test_a_huge_retry_after_is_capped_by_giving_up_not_waited_for():
    p = policy(max_wait=120)
    assert p.next_wait(1, 0.0, retry_after("3600")) is None
    assert p.next_wait(1, 0.0, retry_after("Tue, 01 Dec 2026 23:00:00 GMT", now=NOW)) is None
    assert p.next_wait(1, 0.0, 120.0) == 120.0  # up to the bound is obeyed
    assert p.next_wait(2, 60.0, 61.0) is None  # the bound counts what was waited already


def test_wait_sleeps_and_remembers():
    slept: list[float] = []
    p = RetryPolicy(sleep=slept.append)
    p.wait(1.5)
    p.wait(3.0)
    assert slept == p.waits == [1.5, 3.0]
