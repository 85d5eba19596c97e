"""Airtable's retries on the shared policy (backends/http.py): Retry-After in both forms, and its bound."""

from __future__ import annotations

import email.utils
import time

import pytest
import requests

from followsync.backends.airtable.transport import LOCKOUT, Transport
from followsync.errors import RemoteError

from .test_airtable_backend import Clock, backend, clock, emu, make_tracker  # noqa: F401 - fixtures


class Canned(requests.adapters.BaseAdapter):
    """Answers each request with the next (status, headers) of ``answers``."""

    def __init__(self, answers: list[tuple[int, dict[str, str]]]):
        super().__init__()
        self.answers = list(answers)
        self.sent = 0

    def send(self, request, **kwargs):
        status, headers = self.answers.pop(0)
        self.sent += 1
        response = requests.Response()
        response.status_code, response.request, response.url = status, request, request.url
        response.headers.update(headers)
        response._content = b"{}"
        return response

    def close(self):
        pass


def transport(answers: list[tuple[int, dict[str, str]]]) -> tuple[Transport, Canned]:
    fake = Clock()
    t = Transport(fake.sleep, fake, ("https://api.airtable.test", "appCANNED"))
    adapter = Canned(answers)
    t.mount("https://", adapter)
    return t, adapter


def test_an_http_date_retry_after_is_honoured():
    when = email.utils.formatdate(time.time() + 12, usegmt=True)
    t, adapter = transport([(429, {"Retry-After": when}), (200, {})])
    assert t.get("https://api.airtable.test/v0/appCANNED/Tracker").status_code == 200
    assert len(t.waits) == 1 and 10 < t.waits[0] <= 12  # not the 30 s lockout, not 1 s of backoff
    assert adapter.sent == 2


def test_a_huge_retry_after_is_returned_not_waited_for():
    t, adapter = transport([(503, {"Retry-After": "86400"}), (200, {})])
    assert t.get("https://api.airtable.test/v0/appCANNED/Tracker").status_code == 503
    assert t.waits == [] and adapter.sent == 1


def test_a_huge_retry_after_from_airtable_is_one_sentence(emu, clock):  # noqa: F811
    make_tracker(emu, 3)
    emu.fail(429, retry_after=3600)
    b = backend(emu, clock)
    with pytest.raises(RemoteError, match="too many requests"):
        b.read()
    assert b.transport.waits == []  # an hour is past the bound: stop and say so, rather than hang


def test_lockouts_are_waited_out_within_the_bound(emu, clock):  # noqa: F811
    make_tracker(emu, 3)
    emu.fail(429, times=100)  # 429s without Retry-After: each waits out Airtable's lockout
    b = backend(emu, clock)
    with pytest.raises(RemoteError):
        b.read()
    assert b.transport.waits == [LOCKOUT] * 4  # a fifth 30 s would pass the 120 s bound
    assert sum(b.transport.waits) <= b.transport.policy.max_wait
