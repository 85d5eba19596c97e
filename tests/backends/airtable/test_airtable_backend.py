"""The Airtable backend, with the real pyairtable client, against the loopback emulator.

Request counts come from the emulator's own log, so they count what went over the wire. The
emulator enforces Airtable's 5 requests a second; backend and emulator share a fake clock, so
the backend's pacing and backoff cost no wall-clock time.

With ``FOLLOWSYNC_LIVE_AIRTABLE_TOKEN`` and ``FOLLOWSYNC_LIVE_AIRTABLE_TABLE``
(``BASE_ID/TABLE``, a scratch tracker made by ``followsync init``) set, the round-trip tests
also run against real Airtable.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import socket
from pathlib import Path

import pytest
import requests

from followsync import run as sync
from followsync.backends.airtable.backend import ENV_TOKEN, AirtableBackend, parse_location
from followsync.backends.airtable.fields import (
    URGENCY_CHOICES,
    _from_airtable,
    _to_airtable,
    _typed,
    field_spec,
)
from followsync.config import Config
from followsync.core import layout, schema
from followsync.core.changes import CellWrite, ChangeSet, FillWrite, RowRef, SheetWrite
from followsync.core.layout import demo_rows
from followsync.core.schema import COLOUR_COLUMNS, STATUSES, locate_header, match_header
from followsync.errors import AuthError, RemoteError, TrackerError, TrackerNotFound, UsageError, WriteRefused
from tests.emulators.airtable import AirtableEmulator

from ..contract import BackendContract, Harness, demo_grid, owned, read_back

BASE = "appTESTBASE000001"
PALETTE = layout.load().colours
RED, BLUE = PALETTE["overdue"], PALETTE["waiting"]


class Clock:
    """Fake monotonic time shared by the emulator's rate limit and the backend's pacing."""

    def __init__(self) -> None:
        self.t = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def emu(clock: Clock):
    with AirtableEmulator(BASE, "TOKEN", rate_limit=5.0, lockout=30.0, clock=clock) as e:
        yield e


def backend(
    emu: AirtableEmulator, clock: Clock, table: str = "Tracker", token: str = "TOKEN", base: str = BASE
):
    return AirtableBackend(base, table, token=token, api_url=emu.url, sleep=clock.sleep, clock=clock)


TRACKER_FIELDS = [
    {"name": "ID", "type": "singleLineText"},
    {"name": "Company", "type": "singleLineText"},
    {"name": "Applied on", "type": "date"},
    {
        "name": "Interview at",
        "type": "dateTime",
        "options": {"dateFormat": {"name": "iso"}, "timeFormat": {"name": "24hour"}, "timeZone": "utc"},
    },
    {"name": "OK to call", "type": "checkbox"},
    {"name": "Follow-ups sent", "type": "number"},
    {"name": "Status", "type": "singleSelect", "options": {"choices": [{"name": s} for s in STATUSES]}},
    {"name": "Next action", "type": "singleLineText"},
    {"name": "Due", "type": "date"},
    {"name": "Reminder", "type": "multilineText"},
    {
        "name": "Urgency",
        "type": "singleSelect",
        "options": {"choices": [{"name": n, "color": c} for n, c in URGENCY_CHOICES.items()]},
    },
]


def make_tracker(emu: AirtableEmulator, n: int, fields=TRACKER_FIELDS, name: str = "Tracker") -> list[str]:
    emu.create_table(name, fields)
    return emu.add_records(name, [{"ID": f"id{i:05}", "Company": f"Company {i}"} for i in range(n)])


def refs_of(snap) -> list[RowRef]:
    header = locate_header(snap.grid)
    return [
        RowRef(snap.grid[gi][header.positions["ID"]], gi, (), snap.handles[gi])
        for gi in range(1, len(snap.grid))
    ]


def patches(emu: AirtableEmulator) -> list[dict]:
    return [r.body for r in emu.log if r.method == "PATCH"]


def assert_only_patch_without_typecast(emu: AirtableEmulator) -> None:
    methods = {r.method for r in emu.log}
    assert "PUT" not in methods
    for r in emu.log:
        if isinstance(r.body, dict):
            assert not r.body.get("typecast"), r.body


# ---------------------------------------------------------------------------------- location


def test_parse_location():
    assert parse_location("airtable:appAbC123dEf456gH/Tracker") == ("appAbC123dEf456gH", "Tracker")
    assert parse_location("airtable:appX/tbl0123456789abcd") == ("appX", "tbl0123456789abcd")
    assert parse_location("airtable:appX/Job hunt/2026") == ("appX", "Job hunt/2026")
    for bad in ("airtable:appX", "airtable:/Tracker", "airtable:baseX/Tracker", "airtable:appX/ "):
        with pytest.raises(UsageError, match="airtable:BASE_ID/TABLE"):
            parse_location(bad)


def test_token_from_env_then_file(monkeypatch, tmp_path: Path, emu, clock):
    make_tracker(emu, 1)
    emu.rate_limit = None  # these backends pace on the real clock; the emulator's is fake
    monkeypatch.setenv("FOLLOWSYNC_AIRTABLE_API_URL", emu.url)
    monkeypatch.delenv(ENV_TOKEN, raising=False)
    token_file = tmp_path / "token"
    token_file.write_text("TOKEN\n")
    b = AirtableBackend.from_location(f"airtable:{BASE}/Tracker", Config(airtable_token_file=token_file))
    assert len(b.read().grid) == 2
    monkeypatch.setenv(ENV_TOKEN, "TOKEN")
    b = AirtableBackend.from_location(
        f"airtable:{BASE}/Tracker", Config(airtable_token_file=tmp_path / "missing")
    )
    assert b.location == f"airtable:{BASE}/Tracker"
    assert len(b.read().grid) == 2


def test_missing_token_says_how_to_set_it(monkeypatch, tmp_path):
    monkeypatch.delenv(ENV_TOKEN, raising=False)
    with pytest.raises(AuthError) as e:
        AirtableBackend.from_location(f"airtable:{BASE}/Tracker", Config())
    assert "FOLLOWSYNC_AIRTABLE_TOKEN" in str(e.value) and "token_file" in str(e.value)
    with pytest.raises(AuthError, match="Cannot read the Airtable token file"):
        AirtableBackend.from_location(
            f"airtable:{BASE}/Tracker", Config(airtable_token_file=tmp_path / "nope")
        )


# ---------------------------------------------------------------------------------- read


def test_read_is_one_schema_read_plus_pages(emu, clock):
    ids = make_tracker(emu, 250)
    emu.update_record("Tracker", ids[0], {"Applied on": "2026-11-03", "Interview at": "2026-11-10T14:30:00.000Z",
                                          "OK to call": True, "Follow-ups sent": 2, "Status": "Waiting",
                                          "Next action": "Follow up", "Due": "2026-11-17", "Urgency": "overdue"})  # fmt: skip
    emu.reset_stats()
    snap = backend(emu, clock).read()
    stats = emu.stats()
    assert stats["requests"] == 1 + math.ceil(250 / 100)
    assert stats["by_path"] == {f"/v0/meta/bases/{BASE}/tables": 1, f"/v0/{BASE}/{snap_table_id(emu)}": 3}
    # Header = field names in the table's order; Urgency is shown as fills, not as a column.
    assert snap.grid[0] == [f["name"] for f in TRACKER_FIELDS if f["name"] != "Urgency"]
    assert snap.sheet == "Tracker"
    assert len(snap.grid) == 251 and [snap.handles[gi] for gi in range(1, 251)] == ids
    row = dict(zip(snap.grid[0], snap.grid[1], strict=True))
    assert row["Applied on"] == dt.date(2026, 11, 3)
    assert row["Interview at"] == dt.datetime(2026, 11, 10, 14, 30)
    assert row["OK to call"] is True and row["Follow-ups sent"] == 2 and row["Status"] == "Waiting"
    assert row["Due"] == dt.date(2026, 11, 17)
    assert snap.grid[2][snap.grid[0].index("OK to call")] is None  # unchecked = blank
    na, due = snap.grid[0].index("Next action"), snap.grid[0].index("Due")
    # Airtable keeps the colour's name, and reads as that name (no palette in the store)
    assert snap.fills == {(1, na): "overdue", (1, due): "overdue"}


def snap_table_id(emu: AirtableEmulator, name: str = "Tracker") -> str:
    return emu.table_schema(name)["id"]


def test_a_text_field_holding_a_date_is_read_as_text_and_never_written(emu, clock):
    fields = [dict(f) for f in TRACKER_FIELDS]
    fields[2] = {"name": "Applied on", "type": "singleLineText"}
    emu.create_table("Tracker", fields)
    emu.add_records("Tracker", [{"ID": "a", "Applied on": "3 Nov 2026"}])
    b = backend(emu, clock)
    snap = b.read()
    assert snap.grid[1][2] == "3 Nov 2026"
    (ref,) = refs_of(snap)
    b.apply(ChangeSet("Tracker", 0, cells=[CellWrite(ref, "Next action", "Follow up")]))
    (body,) = patches(emu)
    applied_on = emu.table_schema("Tracker")["fields"][2]["id"]
    assert all(applied_on not in r["fields"] for r in body["records"])
    assert emu.records("Tracker")[0]["fields"]["Applied on"] == "3 Nov 2026"


# ---------------------------------------------------------------------------------- apply


def test_apply_patches_only_changed_fields_ten_records_a_request(emu, clock):
    make_tracker(emu, 40)
    b = backend(emu, clock)
    snap = b.read()
    refs = refs_of(snap)[:25]
    changes = ChangeSet(
        "Tracker",
        0,
        cells=[CellWrite(r, "Next action", "Send thank-you note") for r in refs]
        + [CellWrite(r, "Due", dt.date(2026, 11, 26)) for r in refs[:5]],
        fills=[FillWrite(r, c, BLUE, "waiting") for r in refs for c in ("Next action", "Due")],
    )
    emu.reset_stats()
    applied = b.apply(changes)
    assert emu.stats() == {
        "requests": 3,
        "by_method": {"PATCH": 3},
        "by_path": {f"/v0/{BASE}/{snap_table_id(emu)}": 3},
    }
    assert (applied.cells, applied.fills, applied.write_calls, applied.skipped) == (30, 50, 3, [])
    assert [len(body["records"]) for body in patches(emu)] == [10, 10, 5]
    ids = {f["name"]: f["id"] for f in emu.table_schema("Tracker")["fields"]}
    first = patches(emu)[0]["records"][0]["fields"]
    assert first == {
        ids["Next action"]: "Send thank-you note",
        ids["Due"]: "2026-11-26",
        ids["Urgency"]: "waiting",
    }
    assert patches(emu)[2]["records"][0]["fields"] == {
        ids["Next action"]: "Send thank-you note",
        ids["Urgency"]: "waiting",
    }
    assert_only_patch_without_typecast(emu)
    records = emu.records("Tracker")
    assert records[0]["fields"] == {"ID": "id00000", "Company": "Company 0", "Next action": "Send thank-you note",
                                    "Due": "2026-11-26", "Urgency": "waiting"}  # fmt: skip
    assert "Next action" not in records[30]["fields"]
    # Read back: the colour is a fill on Next action and Due again.
    again = b.read()
    header = again.grid[0]
    assert again.fills[(1, header.index("Next action"))] == "waiting" == again.fills[(1, header.index("Due"))]


def test_clearing_a_colour_and_a_cell(emu, clock):
    ids = make_tracker(emu, 1)
    emu.update_record("Tracker", ids[0], {"Next action": "Follow up", "Urgency": "today"})
    b = backend(emu, clock)
    (ref,) = refs_of(b.read())
    b.apply(
        ChangeSet(
            "Tracker",
            0,
            cells=[CellWrite(ref, "Next action", None)],
            fills=[FillWrite(ref, "Next action", None)],
        )
    )
    assert emu.records("Tracker")[0]["fields"] == {"ID": "id00000", "Company": "Company 0"}


def test_no_op_makes_no_request(emu, clock):
    make_tracker(emu, 3)
    b = backend(emu, clock)
    b.read()
    emu.reset_stats()
    applied = b.apply(ChangeSet("Tracker", 0))
    assert emu.stats()["requests"] == 0 and applied.write_calls == 0
    # A fresh backend too: it does not even read the schema for nothing.
    backend(emu, clock).apply(ChangeSet("Tracker", 0))
    assert emu.stats()["requests"] == 0


def test_2000_records_sync_in_pages_plus_batches_without_a_429(emu, clock):
    make_tracker(emu, 2000)
    b = backend(emu, clock)
    emu.reset_stats()
    snap = b.read()
    refs = refs_of(snap)
    changed = refs[::3]  # 667 records
    changes = ChangeSet("Tracker", 0, cells=[CellWrite(r, "Reminder", f"Write to {r.id}") for r in changed])
    b.apply(changes)
    pages = math.ceil(2000 / 100)
    assert emu.stats()["requests"] == 1 + pages + math.ceil(len(changed) / 10)  # 1 + 20 + 67
    assert b.transport.waits == []  # no 429 or 5xx was ever answered: nothing retried
    assert min(clock.sleeps) > 0.2  # paced under 5 a second, on the shared clock
    assert sum(1 for r in emu.records("Tracker") if r["fields"].get("Reminder")) == len(changed)
    # Re-sync at once, with a new backend (pacing is per base, not per backend): the same
    # values read back, nothing left to change, and still no 429.
    emu.reset_stats()
    snap2 = backend(emu, clock).read()
    col = snap2.grid[0].index("Reminder")
    assert [snap2.grid[r.index][col] for r in changed] == [f"Write to {r.id}" for r in changed]
    assert emu.stats()["by_method"] == {"GET": 1 + pages}


def test_a_lockout_is_waited_out_not_shown_to_the_user(emu, clock):
    make_tracker(emu, 150)
    # Someone else's script floods the base: Airtable locks every client out for 30 s.
    flood = requests.Session()
    flood.headers["Authorization"] = "Bearer TOKEN"
    statuses = [flood.get(f"{emu.url}/v0/{BASE}/Tracker").status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    b = backend(emu, clock)
    snap = b.read()
    assert len(snap.grid) == 151
    assert b.transport.waits == [30.0]  # one 429 seen, the lockout waited out, then it went on


def test_an_unreachable_airtable_is_one_sentence(clock):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nobody listens here once the socket is closed
    b = AirtableBackend(
        BASE, "Tracker", token="TOKEN", api_url=f"http://127.0.0.1:{port}", sleep=clock.sleep, clock=clock
    )
    with pytest.raises(RemoteError) as e:
        b.read()
    assert "Cannot reach Airtable" in str(e.value)
    assert b.transport.waits == [1.0, 2.0, 4.0, 8.0, 16.0]


def test_retry_after_and_5xx_backoff(emu, clock):
    make_tracker(emu, 12)
    b = backend(emu, clock)
    refs = refs_of(b.read())
    emu.fail(429, retry_after=2)
    emu.fail(503, times=2, method="PATCH")
    applied = b.apply(ChangeSet("Tracker", 0, cells=[CellWrite(r, "Next action", "Follow up") for r in refs]))
    # One PATCH answered 429 (Retry-After: 2), then 503 twice: exponential backoff by attempt.
    assert b.transport.waits == [2.0, 2.0, 4.0]
    assert applied.cells == 12 and applied.write_calls == 2
    assert all(r["fields"]["Next action"] == "Follow up" for r in emu.records("Tracker"))


def test_a_service_that_stays_down_is_one_sentence(emu, clock):
    make_tracker(emu, 1)
    emu.fail(500, times=100)
    b = backend(emu, clock)
    with pytest.raises(RemoteError) as e:
        b.read()
    assert b.transport.waits == [1.0, 2.0, 4.0, 8.0, 16.0]
    assert "try again later" in str(e.value) and "\n" not in str(e.value)


def test_a_record_deleted_mid_run_is_skipped_and_the_rest_land(emu, clock):
    ids = make_tracker(emu, 25)
    b = backend(emu, clock)
    refs = refs_of(b.read())

    deleted = []

    def coach(req):
        if req.method == "PATCH" and not deleted:  # just before the first write lands
            emu.delete_record("Tracker", ids[3])
            deleted.append(ids[3])

    emu.on_request(coach)
    applied = b.apply(ChangeSet("Tracker", 0, cells=[CellWrite(r, "Next action", "Follow up") for r in refs]))
    assert applied.skipped == [
        "row with ID 'id00003' is gone (deleted in Airtable while followsync ran); skipped it"
    ]
    assert applied.cells == 24
    assert applied.write_calls == 4  # the refused batch, its retry without the record, two more
    records = emu.records("Tracker")
    assert len(records) == 24 and all(r["fields"]["Next action"] == "Follow up" for r in records)


def test_when_the_error_names_no_record_each_is_tried_alone(emu, clock):
    ids = make_tracker(emu, 4)
    b = backend(emu, clock)
    refs = refs_of(b.read())
    emu.delete_record("Tracker", ids[1])
    emu.fail(404, method="PATCH")  # an answer that does not say which record is gone
    applied = b.apply(ChangeSet("Tracker", 0, cells=[CellWrite(r, "Next action", "Follow up") for r in refs]))
    assert applied.cells == 3 and len(applied.skipped) == 1 and "id00001" in applied.skipped[0]
    assert [len(p["records"]) for p in patches(emu) if "records" in p] == [4]
    assert sum(1 for r in emu.log if r.method == "PATCH" and "/rec" in r.path) == 4
    assert all(r["fields"]["Next action"] == "Follow up" for r in emu.records("Tracker"))


def test_a_partly_applied_run_is_safe_to_repeat_and_converges(emu, clock):
    make_tracker(emu, 30)
    b = backend(emu, clock)
    refs = refs_of(b.read())
    seen = []

    def outage(req):
        if req.method == "PATCH":
            seen.append(req)
            if len(seen) == 2:  # the first batch landed; Airtable goes down for the rest
                emu.fail(502, times=6, method="PATCH")

    emu.on_request(outage)
    changes = ChangeSet(
        "Tracker",
        0,
        cells=[CellWrite(r, "Next action", f"Follow up {r.id}") for r in refs],
        fills=[FillWrite(r, "Next action", RED, "overdue") for r in refs],
    )
    with pytest.raises(RemoteError):
        b.apply(changes)
    landed = [r for r in emu.records("Tracker") if "Next action" in r["fields"]]
    assert len(landed) == 10
    backend(emu, clock).apply(changes)  # the next run repeats the same change set
    for rec, ref in zip(emu.records("Tracker"), refs, strict=True):
        assert rec["fields"]["Next action"] == f"Follow up {ref.id}" and rec["fields"]["Urgency"] == "overdue"


def test_fields_differing_in_case_and_spacing_are_matched(emu, clock):
    fields = [
        {"name": "id", "type": "singleLineText"},
        {"name": "COMPANY", "type": "singleLineText"},
        {"name": "Interview  At", "type": "date"},
        {"name": "next action", "type": "singleLineText"},
        {"name": " due ", "type": "date"},
        {"name": "my own column", "type": "singleLineText"},
    ]
    emu.create_table("Jobs", fields)
    emu.add_records("Jobs", [{"id": "a", "COMPANY": "Acme", "my own column": "mine"}])
    b = backend(emu, clock, table="jobs")  # the table name's case differs too
    snap = b.read()
    assert snap.grid[0] == [f["name"] for f in fields]
    (ref,) = refs_of(snap)
    applied = b.apply(
        ChangeSet(
            "Jobs", 0, add_columns=["Next action", "Due"], cells=[CellWrite(ref, "Due", dt.date(2026, 12, 1))]
        )
    )
    assert applied.columns_added == 0
    assert [f["name"] for f in emu.table_schema("Jobs")["fields"]] == [f["name"] for f in fields]
    assert emu.records("Jobs")[0]["fields"] == {
        "id": "a",
        "COMPANY": "Acme",
        " due ": "2026-12-01",
        "my own column": "mine",
    }


def test_missing_owned_fields_and_urgency_are_created(emu, clock):
    emu.create_table("Tracker", TRACKER_FIELDS[:7])
    emu.add_records("Tracker", [{"ID": "a", "Company": "Acme"}])
    b = backend(emu, clock)
    (ref,) = refs_of(b.read())
    applied = b.apply(
        ChangeSet(
            "Tracker",
            0,
            add_columns=["Next action", "Due", "Draft message"],
            cells=[CellWrite(ref, "Next action", "Follow up"), CellWrite(ref, "Due", dt.date(2026, 12, 1))],
            fills=[FillWrite(ref, "Next action", RED, "overdue"), FillWrite(ref, "Due", RED, "overdue")],
        )
    )
    assert (applied.columns_added, applied.write_calls, applied.cells, applied.fills) == (3, 5, 2, 2)
    types = {f["name"]: f["type"] for f in emu.table_schema("Tracker")["fields"]}
    assert {k: types[k] for k in ("Next action", "Due", "Draft message", "Urgency")} == {
        "Next action": "singleLineText",
        "Due": "date",
        "Draft message": "multilineText",
        "Urgency": "singleSelect",
    }
    desc = {f["name"]: f.get("description") for f in emu.table_schema("Tracker")["fields"]}
    notes = {lc.column.name: lc.note for lc in layout.load().columns}
    assert desc["Due"] == notes["Due"]
    assert emu.records("Tracker")[0]["fields"]["Urgency"] == "overdue"


# ---------------------------------------------------------------------------------- create


def test_create_makes_typed_fields_urgency_and_rows(emu, clock):
    lay = layout.load()
    rows = [
        {"ID": f"d{i}", "Company": "Acme", "Applied on": dt.date(2026, 11, 1), "Status": "interviewed",
         "OK to call": "Yes", "Follow-ups sent": 1, "Interviewer phone": "0049 30 1234", "Last medium": "Email"}
        for i in range(23)
    ]  # fmt: skip
    emu.reset_stats()
    backend(emu, clock).create(lay, rows)
    assert emu.stats()["by_method"] == {"GET": 1, "POST": 1 + 3}  # schema, the table, 10 + 10 + 3 rows
    schema = emu.table_schema("Tracker")
    fields = {f["name"]: f for f in schema["fields"]}
    assert [f["name"] for f in schema["fields"]] == [lc.column.name for lc in lay.columns] + ["Urgency"]
    expected = {
        "ID": "singleLineText", "Applied on": "date", "Interview at": "dateTime", "Status": "singleSelect",
        "Last medium": "singleSelect", "OK to call": "checkbox", "Follow-ups sent": "number",
        "Interviewer email": "email", "Interviewer phone": "phoneNumber", "Draft message": "multilineText",
        "Notes": "multilineText", "Talking points": "multilineText", "Due": "date", "Company": "singleLineText",
    }  # fmt: skip
    assert {name: fields[name]["type"] for name in expected} == expected
    assert fields["Follow-ups sent"]["options"] == {"precision": 0}
    assert [c["name"] for c in fields["Status"]["options"]["choices"]] == list(STATUSES)
    assert [c["name"] for c in fields["Last medium"]["options"]["choices"]] == [
        "Email",
        "Phone",
        "LinkedIn",
        "Other",
    ]
    urgency = [(c["name"], c["color"]) for c in fields["Urgency"]["options"]["choices"]]
    assert urgency == [
        ("overdue", "redLight2"), ("today", "orangeLight2"), ("soon", "yellowLight2"), ("waiting", "blueLight2"),
        ("done", "greenLight2"), ("closed", "grayLight2"), ("problem", "purpleLight2"),
    ]  # fmt: skip
    assert list(URGENCY_CHOICES) == list(PALETTE)  # the same names, in RULES.md's order
    notes = {lc.column.name: lc.note for lc in lay.columns}
    assert all(fields[n].get("description") == notes[n] for n in notes if notes[n])
    records = emu.records("Tracker")
    assert len(records) == 23
    assert records[0]["fields"] == {"ID": "d0", "Company": "Acme", "Applied on": "2026-11-01", "Status": "Interviewed",
                                    "OK to call": True, "Follow-ups sent": 1, "Interviewer phone": "0049 30 1234",
                                    "Last medium": "Email"}  # fmt: skip
    assert_only_patch_without_typecast(emu)
    # The new tracker reads back with the columns followsync knows.
    header = locate_header(backend(emu, clock).read().grid)
    assert set(header.positions) == {lc.column.name for lc in lay.columns}


def test_create_refuses_a_foreign_table_and_completes_a_tracker(emu, clock):
    emu.create_table(
        "Tracker", [{"name": "Name", "type": "singleLineText"}, {"name": "Price", "type": "number"}]
    )
    with pytest.raises(WriteRefused, match="not a followsync tracker"):
        backend(emu, clock).create(layout.load(), [])
    make_tracker(emu, 2, name="Jobs")
    backend(emu, clock, table="Jobs").create(layout.load(), [{"ID": "new"}])
    names = [f["name"] for f in emu.table_schema("Jobs")["fields"]]
    assert set(names) >= {lc.column.name for lc in layout.load().columns}
    assert len(emu.records("Jobs")) == 2  # rows only go into an empty table


# ---------------------------------------------------------------------------------- a whole run


def test_sync_run_on_the_demo_tracker_then_a_second_run_writes_nothing(emu, clock):
    from ...conftest import NOW

    b = backend(emu, clock)
    b.create(layout.load(), demo_rows(NOW.date()))
    emu.reset_stats()
    first = sync.run(b, Config(), NOW, lock_timeout=2)
    assert first.problems == [] and first.applied.skipped == []
    rows = len(emu.records("Tracker"))
    # schema, one page, the records about to be patched again (issue 20: one page), the PATCHes
    assert emu.stats()["requests"] == 1 + 1 + 1 + math.ceil(rows / 10)
    assert_only_patch_without_typecast(emu)
    clock.sleep(1.0)
    emu.reset_stats()
    second = sync.run(b, Config(), NOW, lock_timeout=2)
    assert not second.changes and second.applied is None
    assert emu.stats()["by_method"] == {"GET": 2}
    # A status changed by hand becomes a line in the History table, made on first use.
    cedar = next(r for r in emu.records("Tracker") if r["fields"]["Company"] == "Cedar Health")
    emu.update_record("Tracker", cedar["id"], {"Status": "Rejected"})
    clock.sleep(1.0)
    third = sync.run(b, Config(), NOW, lock_timeout=2)
    assert [h["What happened"] for h in third.history] == [f"Status: {cedar['fields']['Status']} -> Rejected"]
    history = b.read_sheet(sync.HISTORY)
    assert history[0] == ["Date", "ID", "Company", "What happened", "Medium", "Message"]
    assert history[1][:4] == [
        NOW.date(),
        cedar["fields"]["ID"],
        "Cedar Health",
        third.history[0]["What happened"],
    ]
    assert {f["name"]: f["type"] for f in emu.table_schema("History")["fields"]}["Date"] == "date"
    assert b.read_sheet("Summary") is None


def test_other_tables_append_and_replace(emu, clock):
    make_tracker(emu, 1)
    b = backend(emu, clock)
    b.read()
    for n in (3, 2):
        rows = [[f"item {i}", i] for i in range(n)]
        b.apply(
            ChangeSet("Tracker", 0, sheets=[SheetWrite("Summary", ["Name", "Count"], rows, mode="replace")])
        )
        b.apply(ChangeSet("Tracker", 0, sheets=[SheetWrite("Log", ["Name", "Count"], rows)]))
    assert [r["fields"]["Name"] for r in emu.records("Summary")] == ["item 0", "item 1"]
    assert [r["fields"].get("Count") for r in emu.records("Log")] == ["0", "1", "2", "0", "1"]
    assert_only_patch_without_typecast(emu)


# ---------------------------------------------------------------------------------- errors


def one_sentence(e: pytest.ExceptionInfo) -> str:
    text = str(e.value)
    assert "\n" not in text and text.endswith(".")
    assert "pat-secret" not in text
    return text


def test_error_401_bad_token(emu, clock):
    make_tracker(emu, 1)
    with pytest.raises(AuthError) as e:
        backend(emu, clock, token="pat-secret-WRONG").read()
    text = one_sentence(e)
    assert "401" in text and "https://airtable.com/create/tokens" in text and ENV_TOKEN in text


def test_error_403_missing_scope_and_wrong_base(emu, clock):
    make_tracker(emu, 1)
    emu.add_token("NO-SCHEMA-WRITE", {"data.records:read", "data.records:write", "schema.bases:read"})
    b = backend(emu, clock, token="NO-SCHEMA-WRITE")
    (ref,) = refs_of(b.read())
    with pytest.raises(AuthError) as e:
        b.apply(
            ChangeSet(
                "Tracker", 0, add_columns=["Draft subject"], cells=[CellWrite(ref, "Draft subject", "Hi")]
            )
        )
    assert "schema.bases:write" in one_sentence(e)
    with pytest.raises(AuthError) as e:
        backend(emu, clock, base="appSOMEOTHERBASE1").read()
    text = one_sentence(e)
    assert "appSOMEOTHERBASE1" in text and "schema.bases:read" in text


def test_error_404_wrong_table(emu, clock):
    make_tracker(emu, 1)
    with pytest.raises(TrackerNotFound) as e:
        backend(emu, clock, table="Trackr").read()
    text = one_sentence(e)
    assert "'Trackr'" in text and "'Tracker'" in text
    # A table deleted between the schema read and the listing: Airtable's 404.
    b = backend(emu, clock, table="tbl00000000000000")
    b._schema = {
        "id": "tbl00000000000000",
        "name": "Gone",
        "fields": [{"id": "fldA", "name": "Next action", "type": "singleLineText"}],
    }
    with pytest.raises(TrackerNotFound) as e:
        b.apply(
            ChangeSet(
                "Tracker", 0, cells=[CellWrite(RowRef("a", 1, (), "recAAAAAAAAAAAAAA"), "Next action", "x")]
            )
        )
    assert "404" in one_sentence(e)


def test_error_422_bad_field_value(emu, clock):
    fields = [dict(f) for f in TRACKER_FIELDS]
    fields[8] = {"name": "Due", "type": "singleSelect", "options": {"choices": [{"name": "soon"}]}}
    make_tracker(emu, 1, fields=fields)
    b = backend(emu, clock)
    (ref,) = refs_of(b.read())
    with pytest.raises(TrackerError) as e:
        b.apply(ChangeSet("Tracker", 0, cells=[CellWrite(ref, "Due", dt.date(2026, 12, 1))]))
    text = one_sentence(e)
    assert "422" in text and "INVALID_MULTIPLE_CHOICE_OPTIONS" in text and "run followsync again" in text
    assert_only_patch_without_typecast(emu)
    assert [c["name"] for c in emu.table_schema("Tracker")["fields"][8]["options"]["choices"]] == ["soon"]


# ---------------------------------------------------------------------------------- emulator or live

LIVE_TOKEN = os.environ.get("FOLLOWSYNC_LIVE_AIRTABLE_TOKEN")
LIVE_TABLE = os.environ.get("FOLLOWSYNC_LIVE_AIRTABLE_TABLE")


@pytest.fixture(params=["emulator", "live"])
def tracker(request, emu, clock):
    """A followsync tracker with some rows: on the emulator, or the live scratch table."""
    if request.param == "live":
        if not (LIVE_TOKEN and LIVE_TABLE):
            pytest.skip(
                "set FOLLOWSYNC_LIVE_AIRTABLE_TOKEN and FOLLOWSYNC_LIVE_AIRTABLE_TABLE to run against Airtable"
            )
        base_id, table = parse_location(f"airtable:{LIVE_TABLE}")
        b = AirtableBackend(base_id, table, token=LIVE_TOKEN, api_url="https://api.airtable.com")
    else:
        b = backend(emu, clock)
    # Makes the table (emulator), or completes the scratch tracker's fields and fills it if empty (live).
    b.create(layout.load(), [{"ID": f"t{i}", "Company": "followsync test"} for i in range(12)])
    return b


def test_round_trip_then_nothing_to_write(tracker):
    snap = tracker.read()
    refs = refs_of(snap)
    assert refs, "the tracker needs rows"
    stamp = dt.datetime.now(dt.UTC).strftime("%H%M%S%f")
    changes = ChangeSet(
        snap.sheet,
        0,
        cells=[CellWrite(r, "Reminder", f"check {stamp} {r.id}") for r in refs]
        + [CellWrite(r, "Due", dt.date(2026, 12, 1)) for r in refs],
        fills=[FillWrite(r, "Next action", BLUE, "waiting") for r in refs],
    )
    applied = tracker.apply(changes)
    assert applied.skipped == [] and applied.write_calls == math.ceil(len(refs) / 10)
    again = tracker.read()
    header = again.grid[0]
    for r in refs:
        row = again.grid[r.index]
        assert row[header.index("Reminder")] == f"check {stamp} {r.id}"
        assert row[header.index("Due")] == dt.date(2026, 12, 1)
        assert again.fills[(r.index, header.index("Next action"))] == "waiting"
    before = tracker.requests_made
    assert tracker.apply(ChangeSet(again.sheet, 0)).write_calls == 0
    assert tracker.requests_made == before


# ---------------------------------------------------------------------------------- the contract


class AirtableHarness(Harness):
    """tests/contract.py's harness on the emulator: a coach's edits go through the base itself."""

    supports_summary = False  # a run writes no Summary table on Airtable (yet)

    def __init__(self, emu: AirtableEmulator, clock: Clock):
        self.emu, self.clock = emu, clock
        self.table = ""
        self.made = 0
        self.hook = None

    def make_new(self):
        self.made += 1
        self.table = f"Tracker {self.made}"
        return backend(self.emu, self.clock, table=self.table)

    def make(self, grid):
        # A new table each time: Airtable's API cannot delete tables.
        self.made += 1
        self.table = f"Tracker {self.made}"
        header, rows = grid[0], grid[1:]
        fields = []
        for c, name in enumerate(header):
            column = match_header(name)
            spec = field_spec(column) if column else {"name": name, "type": "singleLineText"}
            try:
                for row in rows:
                    _typed(spec, row[c] if c < len(row) else None)
            except ValueError:
                spec = {"name": name, "type": "singleLineText"}  # a person's text in a typed column
            fields.append(spec)
        self.emu.create_table(self.table, fields)
        self.emu.add_records(self.table, [self._cells(fields, row) for row in rows])
        b = backend(self.emu, self.clock, table=self.table)
        real_apply = b.apply

        def apply(changes, **kw):
            if self.hook:
                self.hook()
            return real_apply(changes, **kw)

        b.apply = apply
        return b

    @staticmethod
    def _cells(fields, row, before=None) -> dict:
        out = {}
        for c, f in enumerate(fields):
            value = row[c] if c < len(row) else None
            if before is None and value in (None, ""):
                continue
            if before is not None and value == (before[c] if c < len(before) else None):
                continue
            out[f["name"]] = _to_airtable(f, value)
        return out

    def _fields(self):
        return [f for f in self.emu.table_schema(self.table)["fields"] if f["name"] != "Urgency"]

    def grid(self):
        fields = self._fields()
        records = self.emu.records(self.table)
        return [[f["name"] for f in fields]] + [
            [_from_airtable(f, r["fields"].get(f["name"])) for f in fields] for r in records
        ]

    def fills(self):
        header = locate_header(self.grid())
        out = {}
        for gi, record in enumerate(self.emu.records(self.table), start=1):
            urgency = record["fields"].get("Urgency")
            for name in COLOUR_COLUMNS:
                if urgency and name in header.positions:
                    out[(gi, header.positions[name])] = PALETTE[urgency]
        return out

    def edit(self, fn):
        fields = self._fields()
        grid = self.grid()
        ids = [r["id"] for r in self.emu.records(self.table)]
        origin = {id(row): (rid, list(row)) for row, rid in zip(grid[1:], ids, strict=True)}
        new = fn(list(grid))
        kept = set()
        for row in new[1:]:
            if id(row) not in origin:
                self.emu.add_records(self.table, [self._cells(fields, row)])
                continue
            rid, before = origin[id(row)]
            kept.add(rid)
            changed = self._cells(fields, row, before)
            if changed:
                self.emu.update_record(self.table, rid, changed)
        for rid in ids:
            if rid not in kept:
                self.emu.delete_record(self.table, rid)

    def between(self, fn):
        self.hook = fn

    def write_calls(self):
        return sum(1 for r in self.emu.log if r.method != "GET" and not r.path.endswith("/listRecords"))


class TestAirtableContract(BackendContract):
    @pytest.fixture
    def harness(self, emu, clock):
        return AirtableHarness(emu, clock)

    def test_row_inserted_above_between_read_and_write_with_blank_ids(self, harness):
        """Airtable rows are found by record id, so a row inserted above moves nothing: every
        row, IDs blank or not, gets its own values, and nothing needs skipping."""
        backend_ = harness.make(demo_grid())

        def insert_on_top():
            harness.edit(lambda g: [g[0], ["", "Zeta Corp", "Late Entry"] + [None] * (len(g[0]) - 3), *g[1:]])

        harness.between(insert_on_top)
        result = self.run(backend_)
        assert result.applied is not None and result.applied.skipped == []
        t = read_back(harness.grid())
        zeta = t.frame[t.frame["company"] == "Zeta Corp"]
        assert owned(t, "Next action")[zeta.index[0]] in (None, "")
        self._each_row_has_its_own_values(harness)
        harness.between(lambda: None)
        self.run(backend_)
        assert not self.run(backend_).changes


def test_fields_a_run_adds_to_a_persons_own_table_are_typed_like_init(emu, clock):
    """A person's own table with only user fields: a run adds Mark sent (a checkbox) and
    followsync's fields, typed and described as ``init`` makes them (issue 13, item 2)."""
    from ...conftest import NOW

    emu.create_table(
        "Tracker",
        [
            {"name": "Company", "type": "singleLineText"},
            {"name": "Job title", "type": "singleLineText"},
            {"name": "Applied on", "type": "date"},
            {"name": "Status", "type": "singleSelect", "options": {"choices": [{"name": s} for s in STATUSES]}},
            {"name": "Interview at", "type": "dateTime", "options": {"dateFormat": {"name": "iso"}, "timeFormat": {"name": "24hour"}, "timeZone": "utc"}},
            {"name": "Interviewer", "type": "singleLineText"},
            {"name": "Interviewer email", "type": "email"},
        ],
    )
    emu.add_records(
        "Tracker",
        [
            {"Company": "Acme", "Job title": "Engineer", "Applied on": "2026-11-01", "Status": "Interviewed",
             "Interview at": "2026-11-18T10:00:00.000Z", "Interviewer": "Ms. Jane Jones", "Interviewer email": "jane@acme.example"},
            {"Company": "Beta", "Job title": "Analyst", "Applied on": "2026-11-12", "Status": "Applied"},
        ],
    )
    b = backend(emu, clock)
    sync.run(b, Config(), NOW, lock_timeout=2)
    fields = {f["name"]: f for f in emu.table_schema("Tracker")["fields"]}
    by_name = {lc.column.name: lc for lc in layout.load().columns}
    for name in ("ID", "Mark sent", *[n for n in by_name if by_name[n].column.owner == "followsync" and n not in schema.ADDED_WHEN_WRITTEN]):
        assert name in fields, name
        assert fields[name]["type"] == field_spec(by_name[name].column)["type"], name
        assert fields[name].get("description") == (by_name[name].note or None), name
    assert fields["Mark sent"]["type"] == "checkbox"
    assert fields["Due"]["type"] == "date" and fields["Draft message"]["type"] == "multilineText"
    clock.sleep(1.0)
    emu.reset_stats()
    again = sync.run(b, Config(), NOW, lock_timeout=2)
    assert again.applied is None or again.applied.write_calls == 0


def test_the_mail_link_is_a_url_field_that_opens_the_draft(emu, clock):
    """Issue 13: Mail link is a URL field (Airtable shows it as a link) holding the row's mailto:."""
    from urllib.parse import parse_qs, urlsplit

    from ...conftest import NOW

    emu.create_table(
        "Tracker",
        [
            {"name": "Company", "type": "singleLineText"},
            {"name": "Job title", "type": "singleLineText"},
            {"name": "Status", "type": "singleSelect", "options": {"choices": [{"name": s} for s in STATUSES]}},
            {"name": "Interview at", "type": "date", "options": {"dateFormat": {"name": "iso"}}},
            {"name": "Interviewer", "type": "singleLineText"},
            {"name": "Interviewer email", "type": "email"},
        ],
    )
    emu.add_records(
        "Tracker",
        [
            {"Company": "Acme", "Job title": "Engineer", "Status": "Interviewed", "Interview at": "2026-11-24",
             "Interviewer": "Ms. Jane Jones", "Interviewer email": "jane@acme.example"},
            {"Company": "Beta", "Job title": "Analyst", "Status": "Applied"},
        ],
    )
    b = backend(emu, clock)
    sync.run(b, Config(), NOW, lock_timeout=2)
    fields = {f["name"]: f for f in emu.table_schema("Tracker")["fields"]}
    assert fields["Mail link"]["type"] == "url"
    by_company = {r["fields"]["Company"]: r["fields"] for r in emu.records("Tracker")}
    url = by_company["Acme"]["Mail link"]
    assert url.startswith("mailto:jane@acme.example?")
    query = parse_qs(urlsplit(url).query)
    assert query["subject"] == [by_company["Acme"]["Draft subject"]]
    assert query["body"][0].replace("\r\n", "\n") == by_company["Acme"]["Draft message"]
    assert "Mail link" not in by_company["Beta"]
    clock.sleep(1.0)
    emu.reset_stats()
    again = sync.run(b, Config(), NOW, lock_timeout=2)
    assert again.applied is None or again.applied.write_calls == 0
