"""The Airtable backend against Airtable as it really behaves (issue 11): list cursors that expire,
computed fields that refuse writes, and a Retry-After no run waits an hour for."""

from __future__ import annotations

import pytest

from followsync.backends.airtable.backend import AirtableBackend
from followsync.core.changes import CellWrite, ChangeSet, RowRef
from followsync.core.schema import locate_header
from followsync.errors import RemoteError
from tests.emulators.airtable import AirtableEmulator

from .test_airtable_backend import BASE, TRACKER_FIELDS, Clock, backend, make_tracker


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def emu(clock: Clock):
    with AirtableEmulator(BASE, "TOKEN", rate_limit=5.0, lockout=30.0, clock=clock) as e:
        yield e


def listing(request) -> bool:
    return request.path.startswith(f"/v0/{BASE}/") and request.method in ("GET", "POST")


def test_a_cursor_that_expires_mid_read_restarts_the_read_once(emu, clock):
    make_tracker(emu, 250)
    pages = []

    def restart_on_the_second_page(request):
        if listing(request):
            pages.append(request)
            if len(pages) == 2:
                emu.expire_cursors()

    emu.on_request(restart_on_the_second_page)
    snap = backend(emu, clock).read()
    assert len(snap.grid) == 251 and len(set(snap.handles.values())) == 250
    assert len(pages) == 2 + 3  # two pages, the refused third... then the listing again from page one


def test_a_cursor_that_keeps_expiring_says_so_not_field_types(emu, clock):
    make_tracker(emu, 250)

    def always(request):
        if listing(request) and (request.query.get("offset") or (request.body or {}).get("offset")):
            emu.expire_cursors()

    emu.on_request(always)
    with pytest.raises(RemoteError) as e:
        backend(emu, clock).read()
    text = str(e.value)
    assert "cursor expired" in text and "field" not in text and "run followsync again" in text.lower()


def test_a_computed_field_in_followsyncs_place_is_named_and_the_rest_lands(emu, clock):
    fields = [
        f
        if f["name"] != "Next action"
        else {"name": "Next action", "type": "formula", "options": {"formula": "'x'"}}
        for f in TRACKER_FIELDS
    ]
    make_tracker(emu, 3, fields=fields)
    b = backend(emu, clock)
    snap = b.read()
    header = locate_header(snap.grid)
    cs = ChangeSet(snap.sheet, header.row)
    for gi in range(1, len(snap.grid)):
        ref = RowRef(snap.grid[gi][header.positions["ID"]], gi, (), snap.handles[gi])
        cs.cells += [CellWrite(ref, "Next action", "Follow up"), CellWrite(ref, "Reminder", f"remind {gi}")]
    applied = b.apply(cs)
    assert applied.cells == 3  # the Reminders
    assert [r["fields"].get("Reminder") for r in emu.records("Tracker")] == [
        "remind 1",
        "remind 2",
        "remind 3",
    ]
    (note,) = [s for s in applied.skipped if "Next action" in s]
    assert "formula" in note and "Rename" in note
    assert not any(req.method == "PATCH" and "Next action" in str(req.body) for req in emu.log)


def test_a_retry_after_of_an_hour_is_not_waited_for(emu, clock):
    make_tracker(emu, 3)
    b = backend(emu, clock)
    emu.fail(429, times=50, retry_after=3600)
    with pytest.raises(RemoteError, match="too many requests"):
        b.read()
    assert all(w < 3600 for w in b.transport.waits)
    assert sum(clock.sleeps) <= b.transport.policy.max_wait + 5


def test_the_two_stores_share_one_retry_policy():
    from followsync.backends.google.backend import GoogleSheetsBackend
    from followsync.backends.http import RetryPolicy

    g = GoogleSheetsBackend("k" * 44)
    a = AirtableBackend(BASE, "Tracker", token="t", api_url="http://127.0.0.1:9")
    assert isinstance(g.retry, RetryPolicy) and isinstance(a.transport.policy, RetryPolicy)
    assert g.retry.max_wait > 60 and g.retry.cap >= 60  # outlasts Google's one-minute quota refill


@pytest.mark.parametrize(
    "type_",
    ["formula", "rollup", "lookup", "count", "autoNumber", "createdTime", "lastModifiedTime", "createdBy",
     "lastModifiedBy", "button"],
)  # fmt: skip
def test_a_run_names_a_computed_field_in_followsyncs_place_up_front_and_writes_the_rest(emu, clock, type_):
    """Issue 11: a computed field named like a followsync column is a Problem naming the table, the
    field and its type, and what to do; it is never written (the emulator would refuse the whole
    batch with 422), and the other columns land; the next run is idle and says it again."""
    from followsync import run as sync
    from followsync.config import Config

    from ...conftest import NOW

    fields = [f if f["name"] != "Reminder" else {"name": "Reminder", "type": type_} for f in TRACKER_FIELDS]
    make_tracker(emu, 3, fields=fields)
    emu.reset_stats()
    first = sync.run(backend(emu, clock), Config(), NOW, lock_timeout=2)
    (problem,) = [p for p in first.problems if p.column == "Reminder"]
    assert problem.sheet == "Tracker" and problem.row is None
    assert type_ in problem.message and "computes itself" in problem.message and "rename" in problem.fix
    assert not any("Reminder" in c.column for c in first.changes.cells)
    assert not any(r.method == "PATCH" and "Reminder" in str(r.body) for r in emu.log)
    assert not [s for s in first.applied.skipped if "Reminder" in s]  # named up front, not skipped
    assert all(r["fields"].get("Draft state") for r in emu.records("Tracker"))  # the rest landed
    clock.sleep(1.0)
    emu.reset_stats()
    again = sync.run(backend(emu, clock), Config(), NOW, lock_timeout=2)
    assert not again.changes and [p for p in again.problems if p.column == "Reminder"]
    assert emu.stats()["by_method"] == {"GET": 2}
