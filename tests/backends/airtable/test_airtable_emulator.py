"""The Airtable emulator answers like Airtable's published API reference says.

Raw HTTP (``requests``) checks the wire shapes; the real ``pyairtable`` checks that the
client's models accept the emulator's answers.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import pyairtable
import pytest
import requests

from tests.emulators.airtable import AirtableEmulator

BASE = "appTESTBASE000001"
ROOT = Path(__file__).resolve().parents[3]


class Clock:
    """A fake monotonic clock: time passes only when someone sleeps."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


FIELDS = [
    {"name": "ID", "type": "singleLineText"},
    {"name": "Company", "type": "singleLineText"},
    {"name": "Applied on", "type": "date", "options": {"dateFormat": {"name": "iso"}}},
    {"name": "OK to call", "type": "checkbox", "options": {"icon": "check", "color": "greenBright"}},
    {"name": "Follow-ups sent", "type": "number", "options": {"precision": 0}},
    {
        "name": "Status",
        "type": "singleSelect",
        "options": {"choices": [{"name": "Applied"}, {"name": "Waiting"}]},
    },
    {"name": "Notes", "type": "multilineText"},
]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def emu(clock: Clock):
    with AirtableEmulator(BASE, "TOKEN", rate_limit=5.0, lockout=30.0, clock=clock) as e:
        e.create_table("Tracker", FIELDS)
        yield e


class Client:
    """Raw HTTP to the emulator; each call advances the fake clock by 0.25 s to stay under 5/s."""

    def __init__(self, emu: AirtableEmulator, clock: Clock, token: str = "TOKEN"):
        self.emu, self.clock = emu, clock
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def __call__(self, method: str, path: str, **kw) -> requests.Response:
        self.clock.advance(0.25)
        return self.session.request(method, self.emu.url + path, **kw)


@pytest.fixture
def http(emu: AirtableEmulator, clock: Clock) -> Client:
    return Client(emu, clock)


def error_type(r: requests.Response) -> str:
    body = r.json()
    if "errors" in body:
        return body["errors"][0]["error"]
    return body["error"]["type"] if isinstance(body["error"], dict) else body["error"]


def test_list_pages_of_100_with_an_offset_cursor(emu, http):
    ids = emu.add_records("Tracker", [{"ID": f"r{i:03}"} for i in range(250)])
    seen, offsets, params = [], [], {}
    while True:
        r = http("GET", f"/v0/{BASE}/Tracker", params=params)
        assert r.status_code == 200
        body = r.json()
        seen += [rec["id"] for rec in body["records"]]
        if "offset" not in body:
            break
        offsets.append(body["offset"])
        params = {"offset": body["offset"]}
    assert seen == ids  # creation order, nothing twice, nothing lost
    assert len(offsets) == 2
    assert http("GET", f"/v0/{BASE}/Tracker", params={"pageSize": 101}).status_code == 422
    bad = http("GET", f"/v0/{BASE}/Tracker", params={"offset": "itrNOPE/recNOPE"})
    assert (bad.status_code, error_type(bad)) == (422, "LIST_RECORDS_ITERATOR_NOT_AVAILABLE")


def test_page_size_and_max_records(emu, http):
    emu.add_records("Tracker", [{"ID": str(i)} for i in range(30)])
    body = http("GET", f"/v0/{BASE}/Tracker", params={"pageSize": 7}).json()
    assert len(body["records"]) == 7 and "offset" in body
    body = http("GET", f"/v0/{BASE}/Tracker", params={"maxRecords": 5}).json()
    assert len(body["records"]) == 5 and "offset" not in body


def test_empty_cells_are_left_out_of_records(emu, http):
    emu.add_records(
        "Tracker", [{"ID": "a", "Company": "", "OK to call": False, "Notes": None, "Follow-ups sent": 0}]
    )
    (rec,) = http("GET", f"/v0/{BASE}/Tracker").json()["records"]
    assert rec["fields"] == {"ID": "a", "Follow-ups sent": 0}
    assert rec["id"].startswith("rec") and len(rec["id"]) == 17 and rec["createdTime"].endswith("Z")


def test_fields_filter_field_ids_and_string_cell_format(emu, http):
    emu.add_records(
        "Tracker", [{"ID": "a", "Company": "Acme", "Applied on": "2026-11-03", "OK to call": True}]
    )
    schema = emu.table_schema("Tracker")
    ids = {f["name"]: f["id"] for f in schema["fields"]}
    r = http(
        "GET",
        f"/v0/{BASE}/Tracker",
        params={"fields[]": ["Company", "Applied on"], "returnFieldsByFieldId": "1"},
    )
    assert r.json()["records"][0]["fields"] == {ids["Company"]: "Acme", ids["Applied on"]: "2026-11-03"}
    assert error_type(http("GET", f"/v0/{BASE}/Tracker", params={"fields[]": "Nope"})) == "UNKNOWN_FIELD_NAME"
    assert http("GET", f"/v0/{BASE}/Tracker", params={"cellFormat": "string"}).status_code == 422
    r = http(
        "GET",
        f"/v0/{BASE}/Tracker",
        params={"cellFormat": "string", "timeZone": "UTC", "userLocale": "en-us"},
    )
    assert r.json()["records"][0]["fields"]["OK to call"] == "checked"
    # The POST variant takes the same parameters in its body.
    r = http(
        "POST", f"/v0/{BASE}/Tracker/listRecords", json={"fields": ["ID"], "returnFieldsByFieldId": True}
    )
    assert r.json()["records"][0]["fields"] == {ids["ID"]: "a"}


def test_table_id_and_name_both_address_a_table(emu, http):
    table_id = emu.table_schema("Tracker")["id"]
    emu.add_records("Tracker", [{"ID": "a"}])
    assert http("GET", f"/v0/{BASE}/{table_id}").json() == http("GET", f"/v0/{BASE}/Tracker").json()


def test_create_patch_put_delete(emu, http):
    r = http("POST", f"/v0/{BASE}/Tracker", json={"records": [{"fields": {"ID": str(i)}} for i in range(11)]})
    assert (r.status_code, error_type(r)) == (422, "INVALID_RECORDS")
    r = http(
        "POST",
        f"/v0/{BASE}/Tracker",
        json={"records": [{"fields": {"ID": "a", "Company": "Acme", "Notes": "n"}}]},
    )
    rid = r.json()["records"][0]["id"]
    # PATCH merges: only the fields sent change.
    r = http("PATCH", f"/v0/{BASE}/Tracker", json={"records": [{"id": rid, "fields": {"Company": "Beta"}}]})
    assert r.json()["records"][0]["fields"] == {"ID": "a", "Company": "Beta", "Notes": "n"}
    # PUT replaces: every field not sent is cleared.
    r = http("PUT", f"/v0/{BASE}/Tracker/{rid}", json={"fields": {"Company": "Gamma"}})
    assert r.json()["fields"] == {"Company": "Gamma"}
    r = http("DELETE", f"/v0/{BASE}/Tracker", params={"records[]": [rid]})
    assert r.json() == {"records": [{"id": rid, "deleted": True}]}
    assert emu.records("Tracker") == []
    r = http("GET", f"/v0/{BASE}/Tracker/{rid}")
    assert (r.status_code, error_type(r)) == (404, "NOT_FOUND")


def test_a_batch_naming_a_deleted_record_is_refused_whole(emu, http):
    keep, gone = emu.add_records("Tracker", [{"ID": "keep"}, {"ID": "gone"}])
    emu.delete_record("Tracker", gone)
    r = http(
        "PATCH",
        f"/v0/{BASE}/Tracker",
        json={
            "records": [{"id": keep, "fields": {"Company": "X"}}, {"id": gone, "fields": {"Company": "Y"}}]
        },
    )
    assert (r.status_code, error_type(r)) == (422, "ROW_DOES_NOT_EXIST")
    assert gone in r.json()["error"]["message"]
    assert emu.records("Tracker")[0]["fields"] == {"ID": "keep"}


def test_field_validation_and_typecast(emu, http):
    (rid,) = emu.add_records("Tracker", [{"ID": "a"}])

    def patch(fields, typecast=False):
        body = {"records": [{"id": rid, "fields": fields}], "typecast": typecast}
        return http("PATCH", f"/v0/{BASE}/Tracker", json=body)

    r = patch({"Applied on": "3rd of Nov"})
    assert (r.status_code, error_type(r)) == (422, "INVALID_VALUE_FOR_COLUMN")
    assert (patch({"Applied on": "2026-02-30"}).status_code, patch({"OK to call": "yes"}).status_code) == (
        422,
        422,
    )
    r = patch({"Status": "Wating"})
    assert (r.status_code, error_type(r)) == (422, "INVALID_MULTIPLE_CHOICE_OPTIONS")
    assert error_type(patch({"Nope": 1})) == "UNKNOWN_FIELD_NAME"
    # typecast invents the misspelt option, which is why followsync never sends it.
    assert patch({"Status": "Wating", "Follow-ups sent": "2"}, typecast=True).status_code == 200
    status = next(f for f in emu.table_schema("Tracker")["fields"] if f["name"] == "Status")
    assert [c["name"] for c in status["options"]["choices"]] == ["Applied", "Waiting", "Wating"]
    assert emu.records("Tracker")[0]["fields"]["Follow-ups sent"] == 2


def test_errors_in_airtables_envelopes(emu, http, clock):
    no_auth = requests.get(f"{emu.url}/v0/{BASE}/Tracker")
    assert (no_auth.status_code, no_auth.json()) == (
        401,
        {"error": {"type": "AUTHENTICATION_REQUIRED", "message": "Authentication required"}},
    )
    assert Client(emu, clock, token="WRONG")("GET", f"/v0/{BASE}/Tracker").status_code == 401
    r = http("GET", "/v0/appSOMEOTHERBASE1/Tracker")
    assert (r.status_code, error_type(r)) == (403, "INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND")
    r = http("GET", f"/v0/{BASE}/Nope")
    assert (r.status_code, error_type(r)) == (404, "TABLE_NOT_FOUND")
    assert r.json()["error"]["message"] == f"Could not find table Nope in application {BASE}"
    assert http("GET", "/v1/whatever").status_code == 404


def test_token_scopes(emu, clock):
    emu.add_token("READER", {"data.records:read", "schema.bases:read"})
    emu.add_token("WRITER", {"data.records:read", "data.records:write", "schema.bases:read"})
    reader, writer = Client(emu, clock, "READER"), Client(emu, clock, "WRITER")
    assert reader("GET", f"/v0/{BASE}/Tracker").status_code == 200
    assert reader("POST", f"/v0/{BASE}/Tracker/listRecords", json={}).status_code == 200
    assert reader("POST", f"/v0/{BASE}/Tracker", json={"fields": {"ID": "x"}}).status_code == 403
    assert writer("POST", f"/v0/{BASE}/Tracker", json={"fields": {"ID": "x"}}).status_code == 200
    new_table = {"name": "T2", "fields": [{"name": "Name", "type": "singleLineText"}]}
    r = writer("POST", f"/v0/meta/bases/{BASE}/tables", json=new_table)
    assert (r.status_code, error_type(r)) == (403, "INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND")
    assert writer("GET", f"/v0/meta/bases/{BASE}/tables").status_code == 200


def test_metadata_api(emu, http):
    # Options are required where Airtable requires them.
    r = http(
        "POST", f"/v0/meta/bases/{BASE}/tables", json={"name": "T", "fields": [{"name": "D", "type": "date"}]}
    )
    assert (r.status_code, error_type(r)) == (422, "INVALID_FIELD_TYPE_OPTIONS_FOR_CREATE")
    r = http("POST", f"/v0/meta/bases/{BASE}/tables", json={"name": "tracker", "fields": FIELDS})
    assert error_type(r) == "DUPLICATE_TABLE_NAME"
    fields = [
        {"name": "Name", "type": "singleLineText", "description": "the key"},
        {
            "name": "At",
            "type": "dateTime",
            "options": {"dateFormat": {"name": "iso"}, "timeFormat": {"name": "24hour"}, "timeZone": "utc"},
        },
        {
            "name": "Colour",
            "type": "singleSelect",
            "options": {"choices": [{"name": "red", "color": "redLight2"}]},
        },
    ]
    r = http("POST", f"/v0/meta/bases/{BASE}/tables", json={"name": "T2", "fields": fields})
    assert r.status_code == 200
    table = r.json()
    assert table["id"].startswith("tbl") and table["primaryFieldId"] == table["fields"][0]["id"]
    assert table["fields"][0]["description"] == "the key"
    assert table["fields"][1]["options"]["timeFormat"] == {"name": "24hour", "format": "HH:mm"}
    assert table["fields"][2]["options"]["choices"][0]["color"] == "redLight2"
    r = http(
        "POST",
        f"/v0/meta/bases/{BASE}/tables/{table['id']}/fields",
        json={"name": "Due", "type": "date", "options": {"dateFormat": {"name": "iso"}}},
    )
    assert r.json()["type"] == "date"
    r = http(
        "POST", f"/v0/meta/bases/{BASE}/tables/T2/fields", json={"name": "due", "type": "singleLineText"}
    )
    assert error_type(r) == "DUPLICATE_OR_EMPTY_FIELD_NAME"
    r = http(
        "PATCH",
        f"/v0/meta/bases/{BASE}/tables/{table['id']}/fields/{table['fields'][0]['id']}",
        json={"name": "Key"},
    )
    assert r.json()["name"] == "Key"
    names = [t["name"] for t in http("GET", f"/v0/meta/bases/{BASE}/tables").json()["tables"]]
    assert names == ["Tracker", "T2"]


def test_pyairtable_accepts_the_emulators_answers(emu, clock):
    emu.rate_limit = None
    emu.add_records(
        "Tracker", [{"ID": str(i), "Applied on": "2026-11-03", "Status": "Waiting"} for i in range(120)]
    )
    api = pyairtable.Api("TOKEN", endpoint_url=emu.url)
    schema = api.base(BASE).schema()  # validated by pyairtable's pydantic models
    table_schema = schema.table("Tracker")
    assert [f.name for f in table_schema.fields] == [f["name"] for f in FIELDS]
    assert table_schema.field("Status").options.choices[1].name == "Waiting"
    table = api.table(BASE, "Tracker")
    assert len(table.all()) == 120
    created = table.batch_create([{"ID": "new"}] * 12)  # two requests: 10 + 2
    assert len(created) == 12
    assert emu.stats()["by_method"]["POST"] == 2


def test_rate_limit_then_lockout(emu, clock):
    session = requests.Session()
    session.headers["Authorization"] = "Bearer TOKEN"

    def get():
        return session.get(f"{emu.url}/v0/{BASE}/Tracker")

    assert [get().status_code for _ in range(5)] == [200] * 5  # five in the same instant
    r = get()
    assert r.status_code == 429
    assert r.json() == {
        "errors": [{"error": "RATE_LIMIT_REACHED", "message": "Rate limit exceeded. Please try again later"}]
    }
    clock.advance(29.9)
    assert get().status_code == 429  # still locked out
    clock.advance(0.2)
    assert get().status_code == 200


def test_requests_under_five_a_second_are_never_refused(emu, clock):
    session = requests.Session()
    session.headers["Authorization"] = "Bearer TOKEN"
    statuses = []
    for _ in range(40):
        clock.advance(0.2)
        statuses.append(session.get(f"{emu.url}/v0/{BASE}/Tracker").status_code)
    assert statuses == [200] * 40


def test_faults_on_demand(emu, http):
    emu.fail(503, times=2, retry_after=3)
    first = http("GET", f"/v0/{BASE}/Tracker")
    assert (first.status_code, first.headers["Retry-After"]) == (503, "3")
    assert http("GET", f"/v0/{BASE}/Tracker").status_code == 503
    assert http("GET", f"/v0/{BASE}/Tracker").status_code == 200
    emu.fail(500, method="PATCH")
    assert http("GET", f"/v0/{BASE}/Tracker").status_code == 200  # only PATCH fails
    assert http("PATCH", f"/v0/{BASE}/Tracker", json={"records": []}).status_code == 500


def test_on_request_lets_a_test_edit_the_base_mid_run(emu, http):
    ids = emu.add_records("Tracker", [{"ID": str(i)} for i in range(150)])
    seen = []

    def coach(req):
        seen.append((req.method, req.path))
        if len(seen) == 2:  # between the first and the second page
            emu.delete_record("Tracker", ids[120])

    emu.on_request(coach)
    first = http("GET", f"/v0/{BASE}/Tracker").json()
    second = http("GET", f"/v0/{BASE}/Tracker", params={"offset": first["offset"]}).json()
    listed = [r["id"] for r in first["records"] + second["records"]]
    assert ids[120] not in listed and len(listed) == 149
    assert seen == [("GET", f"/v0/{BASE}/Tracker")] * 2


def test_stats_and_reset_over_http(emu, http):
    emu.add_records("Tracker", [{"ID": "a"}])
    http("GET", f"/v0/{BASE}/Tracker")
    http("GET", f"/v0/meta/bases/{BASE}/tables")
    http(
        "PATCH",
        f"/v0/{BASE}/Tracker",
        json={"records": [{"id": emu.records("Tracker")[0]["id"], "fields": {}}]},
    )
    stats = requests.get(f"{emu.url}/_emulator/stats").json()
    assert stats == {
        "requests": 3,
        "by_method": {"GET": 2, "PATCH": 1},
        "by_path": {f"/v0/{BASE}/Tracker": 2, f"/v0/meta/bases/{BASE}/tables": 1},
    }
    assert requests.post(f"{emu.url}/_emulator/reset").status_code == 200
    assert emu.stats() == {"requests": 0, "by_method": {}, "by_path": {}}
    assert len(emu.records("Tracker")) == 1  # data kept


def test_runs_standalone():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.emulators.airtable",
            "--port",
            str(port),
            "--base",
            BASE,
            "--token",
            "TOKEN",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                requests.get(f"{url}/_emulator/stats", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.05)
        r = requests.get(f"{url}/v0/meta/bases/{BASE}/tables", headers={"Authorization": "Bearer TOKEN"})
        assert (r.status_code, r.json()) == (200, {"tables": []})
        assert requests.get(f"{url}/v0/meta/bases/{BASE}/tables").status_code == 401
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_latency_is_added_to_every_api_request(emu, http, monkeypatch):
    import tests.emulators.airtable as module

    slept = []
    monkeypatch.setattr(module.time, "sleep", slept.append)  # record the delay rather than wait it
    emu.latency = 0.15
    http("GET", f"/v0/{BASE}/Tracker")
    http("GET", f"/v0/meta/bases/{BASE}/tables")
    requests.get(f"{emu.url}/_emulator/stats")  # the control routes are not slowed
    assert slept == [0.15, 0.15]
