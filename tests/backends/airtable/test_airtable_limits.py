"""The Airtable emulator answers the real service's limits as Airtable words them (issue 11).

Each rule is cited where the emulator defines it (tests/emulators/airtable.py: ``CURSOR_LIFETIME``,
``COMPUTED_TYPES``, the field types); raw HTTP checks the wire shapes and the real ``pyairtable``
checks what a client sees.
"""

from __future__ import annotations

import pyairtable
import pytest
import requests

from tests.emulators import airtable as a
from tests.emulators.airtable import AirtableEmulator

BASE = "appTESTBASE000001"


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


COMPUTED = [
    ("Score", "formula", {"formula": "{Follow-ups} * 2", "result": {"type": "number"}}),
    ("Total", "rollup", None),
    ("Contact names", "multipleLookupValues", None),
    ("Old lookup", "lookup", None),
    ("Contacts", "count", None),
    ("Number", "autoNumber", None),
    ("Created", "createdTime", None),
    ("Modified", "lastModifiedTime", None),
    ("Creator", "createdBy", None),
    ("Editor", "lastModifiedBy", None),
    ("Open", "button", None),
]

FIELDS = [
    {"name": "ID", "type": "singleLineText"},
    {"name": "Follow-ups", "type": "number", "options": {"precision": 0}},
    {"name": "Salary", "type": "currency", "options": {"precision": 2, "symbol": "€"}},
    {"name": "Chance", "type": "percent", "options": {"precision": 0}},
    {"name": "OK to call", "type": "checkbox"},
    {"name": "Stage", "type": "singleSelect", "options": {"choices": [{"name": "Applied"}, {"name": "Offer"}]}},
    {"name": "Tags", "type": "multipleSelects", "options": {"choices": [{"name": "remote"}, {"name": "senior"}]}},
    {"name": "Applied on", "type": "date"},
    {"name": "Interview", "type": "dateTime"},
    {"name": "Email", "type": "email"},
    {"name": "Link", "type": "url"},
    {"name": "Phone", "type": "phoneNumber"},
    {"name": "Notes", "type": "multilineText"},
    {"name": "Rich", "type": "richText"},
    *({"name": n, "type": t, **({"options": o} if o else {})} for n, t, o in COMPUTED),
]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def emu(clock):
    with AirtableEmulator(BASE, "TOKEN", rate_limit=None, clock=clock) as e:
        e.create_table("Tracker", FIELDS)
        yield e


@pytest.fixture
def http(emu):
    s = requests.Session()
    s.headers["Authorization"] = "Bearer TOKEN"

    def call(method: str, path: str, **kw) -> requests.Response:
        return s.request(method, emu.url + path, **kw)

    return call


# --------------------------------------------------------------------------------------
# List cursors expire
# --------------------------------------------------------------------------------------


def first_page(emu, http) -> str:
    emu.add_records("Tracker", [{"ID": f"r{i:03}"} for i in range(250)])
    body = http("GET", f"/v0/{BASE}/Tracker").json()
    return body["offset"]


EXPIRED = {"error": {"type": "LIST_RECORDS_ITERATOR_NOT_AVAILABLE"}}


def test_a_cursor_unused_for_longer_than_its_lifetime_answers_422_iterator_not_available(emu, http, clock):
    offset = first_page(emu, http)
    clock.t += a.CURSOR_LIFETIME - 1
    r = http("GET", f"/v0/{BASE}/Tracker", params={"offset": offset})
    assert r.status_code == 200  # used again in time: its life starts over
    offset = r.json()["offset"]
    clock.t += a.CURSOR_LIFETIME + 1
    r = http("GET", f"/v0/{BASE}/Tracker", params={"offset": offset})
    assert (r.status_code, r.json()) == (422, EXPIRED)
    r = http("GET", f"/v0/{BASE}/Tracker")  # restarting from the beginning works
    assert r.status_code == 200 and len(r.json()["records"]) == 100


def test_expire_cursors_is_a_server_restart_even_mid_listing(emu, http):
    offset = first_page(emu, http)
    emu.expire_cursors()
    r = http("POST", f"/v0/{BASE}/Tracker/listRecords", json={"offset": offset})
    assert (r.status_code, r.json()) == (422, EXPIRED)


def test_pyairtable_sees_the_expired_cursor_as_a_422_http_error(emu, clock):
    emu.add_records("Tracker", [{"ID": f"r{i:03}"} for i in range(250)])
    pages = 0

    def restart_after_the_first_page(req):
        nonlocal pages
        if req.method == "GET" and "/Tracker" in req.path:
            pages += 1
            if pages == 2:
                emu.expire_cursors()

    emu.on_request(restart_after_the_first_page)
    table = pyairtable.Api("TOKEN", endpoint_url=emu.url).table(BASE, "Tracker")
    with pytest.raises(requests.HTTPError) as info:
        table.all()
    assert info.value.response.status_code == 422
    assert "LIST_RECORDS_ITERATOR_NOT_AVAILABLE" in info.value.response.text


def test_cursor_lifetime_none_keeps_cursors_forever(clock):
    with AirtableEmulator(BASE, "TOKEN", rate_limit=None, clock=clock, cursor_lifetime=None) as e:
        e.create_table("Tracker", [{"name": "ID", "type": "singleLineText"}])
        e.add_records("Tracker", [{"ID": str(i)} for i in range(150)])
        s = requests.Session()
        s.headers["Authorization"] = "Bearer TOKEN"
        offset = s.get(f"{e.url}/v0/{BASE}/Tracker").json()["offset"]
        clock.t += 10**6
        assert s.get(f"{e.url}/v0/{BASE}/Tracker", params={"offset": offset}).status_code == 200


# --------------------------------------------------------------------------------------
# Computed fields refuse writes
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name,type_", [(n, t) for n, t, _ in COMPUTED])
def test_every_computed_field_type_refuses_a_write_with_422(emu, http, name, type_):
    (rid,) = emu.add_records("Tracker", [{"ID": "a"}])
    for method, path, body in (
        ("POST", f"/v0/{BASE}/Tracker", {"records": [{"fields": {"ID": "b", name: 1}}]}),
        ("PATCH", f"/v0/{BASE}/Tracker", {"records": [{"id": rid, "fields": {"ID": "c", name: "x"}}]}),
        ("PUT", f"/v0/{BASE}/Tracker/{rid}", {"fields": {name: None}}),
    ):
        r = http(method, path, json=body)
        assert r.status_code == 422, (type_, method)
        assert r.json() == {
            "error": {
                "type": "INVALID_VALUE_FOR_COLUMN",
                "message": f'Field "{name}" cannot accept a value because the field is computed',
            }
        }
    assert [rec["fields"]["ID"] for rec in emu.records("Tracker")] == ["a"]  # the batch landed not at all


def test_a_computed_field_named_by_id_is_refused_too_and_the_batch_is_whole(emu, http):
    ids = emu.add_records("Tracker", [{"ID": "a"}, {"ID": "b"}])
    fid = {f["name"]: f["id"] for f in emu.table_schema("Tracker")["fields"]}["Score"]
    r = http(
        "PATCH",
        f"/v0/{BASE}/Tracker",
        json={"records": [{"id": ids[0], "fields": {"ID": "A"}}, {"id": ids[1], "fields": {fid: 3}}]},
    )
    assert r.status_code == 422 and r.json()["error"]["type"] == "INVALID_VALUE_FOR_COLUMN"
    assert [rec["fields"]["ID"] for rec in emu.records("Tracker")] == ["a", "b"]


def test_the_fields_airtable_fills_itself_and_values_a_test_sets(emu, http):
    first, second = emu.add_records("Tracker", [{"ID": "a"}, {"ID": "b"}])
    emu.set_computed("Tracker", first, "Score", 4)
    emu.set_computed("Tracker", first, "Contact names", ["Ann", "Bo"])
    records = {r["id"]: r["fields"] for r in http("GET", f"/v0/{BASE}/Tracker").json()["records"]}
    assert (records[first]["Number"], records[second]["Number"]) == (1, 2)
    assert records[first]["Created"].endswith("Z") and records[first]["Modified"] == records[first]["Created"]
    assert records[first]["Creator"] == a.EMULATOR_USER == records[first]["Editor"]
    assert records[first]["Score"] == 4 and records[first]["Contact names"] == ["Ann", "Bo"]
    assert "Score" not in records[second]
    with pytest.raises(KeyError):
        emu.set_computed("Tracker", first, "ID", "not computed")
    types = {f["name"]: f["type"] for f in emu.table_schema("Tracker")["fields"]}
    assert {types[n] for n, _, _ in COMPUTED} == {t for _, t, _ in COMPUTED}


def test_pyairtable_update_of_a_computed_field_raises_a_422(emu):
    (rid,) = emu.add_records("Tracker", [{"ID": "a"}])
    table = pyairtable.Api("TOKEN", endpoint_url=emu.url).table(BASE, "Tracker")
    with pytest.raises(requests.HTTPError) as info:
        table.batch_update([{"id": rid, "fields": {"Contacts": 2}}])
    assert info.value.response.status_code == 422
    assert "cannot accept a value because the field is computed" in info.value.response.text


# --------------------------------------------------------------------------------------
# More field types, with their validation
# --------------------------------------------------------------------------------------


def bad(http, fields: dict, typecast: bool = False) -> requests.Response:
    return http("POST", f"/v0/{BASE}/Tracker", json={"records": [{"fields": fields}], "typecast": typecast})


def test_numbers_currency_and_percent_take_numbers_only(emu, http):
    r = bad(http, {"ID": "n", "Follow-ups": 2, "Salary": 51000.5, "Chance": 0.25})
    assert r.status_code == 200
    assert {k: r.json()["records"][0]["fields"][k] for k in ("Follow-ups", "Salary", "Chance")} == {
        "Follow-ups": 2,
        "Salary": 51000.5,
        "Chance": 0.25,
    }
    for name in ("Follow-ups", "Salary", "Chance"):
        r = bad(http, {name: "a lot"})
        assert r.status_code == 422 and r.json()["error"]["type"] == "INVALID_VALUE_FOR_COLUMN"
        assert bad(http, {name: True}).status_code == 422
    assert bad(http, {"Salary": "12.5"}, typecast=True).json()["records"][0]["fields"]["Salary"] == 12.5
    schema = {f["name"]: f for f in emu.table_schema("Tracker")["fields"]}
    assert schema["Salary"]["options"] == {"precision": 2, "symbol": "€"}


def test_checkbox_takes_booleans_and_false_is_left_out(emu, http):
    assert bad(http, {"OK to call": "yes"}).status_code == 422
    r = bad(http, {"ID": "c", "OK to call": False})
    assert "OK to call" not in r.json()["records"][0]["fields"]
    assert bad(http, {"OK to call": True}).json()["records"][0]["fields"]["OK to call"] is True


def test_single_and_multiple_selects_take_known_choices_typecast_adds_them(emu, http):
    r = bad(http, {"Stage": "Offer", "Tags": ["remote", "senior"]})
    assert r.status_code == 200 and r.json()["records"][0]["fields"]["Tags"] == ["remote", "senior"]
    r = bad(http, {"Tags": ["onsite"]})
    assert r.status_code == 422 and r.json()["error"]["type"] == "INVALID_MULTIPLE_CHOICE_OPTIONS"
    assert bad(http, {"Tags": "remote"}).status_code == 422  # an array, unless typecast
    r = bad(http, {"Tags": "remote, onsite"}, typecast=True)
    assert r.json()["records"][0]["fields"]["Tags"] == ["remote", "onsite"]
    tags = {f["name"]: f for f in emu.table_schema("Tracker")["fields"]}["Tags"]
    assert [c["name"] for c in tags["options"]["choices"]] == ["remote", "senior", "onsite"]
    assert bad(http, {"Stage": ["Offer"]}).status_code == 422


def test_dates_and_date_times_take_iso_text(emu, http):
    r = bad(http, {"Applied on": "2026-11-30", "Interview": "2026-12-02T14:30:00+01:00"})
    f = r.json()["records"][0]["fields"]
    assert (f["Applied on"], f["Interview"]) == ("2026-11-30", "2026-12-02T13:30:00.000Z")
    for value in ("30/11/2026", "tomorrow", 20261130):
        r = bad(http, {"Applied on": value})
        assert r.status_code == 422 and r.json()["error"]["type"] == "INVALID_VALUE_FOR_COLUMN"


def test_text_types_take_strings(emu, http):
    fields = {
        "Email": "ann@example.com",
        "Link": "https://example.com/job",
        "Phone": "+44 20 7946 0000",
        "Notes": "line 1\nline 2",
        "Rich": "**bold**",
    }
    got = bad(http, fields).json()["records"][0]["fields"]
    assert {k: got[k] for k in fields} == fields
    for name in fields:
        assert bad(http, {name: ["a list"]}).status_code == 422


def test_the_largest_request_is_counted_apart_from_stats(emu, http):
    emu.reset_stats()
    http("POST", f"/v0/{BASE}/Tracker", json={"records": [{"fields": {"Notes": "x" * 5000}}]})
    http("GET", f"/v0/{BASE}/Tracker")
    t = emu.traffic()
    assert t["requests"] == 2 and t["largest_request"] > 5000 and t["largest_request_path"] == f"POST /v0/{BASE}/Tracker"
    assert emu.largest_request == t["largest_request"]
    assert set(emu.stats()) == {"requests", "by_method", "by_path"}
