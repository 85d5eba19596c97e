"""The Google emulator answers the real services' limits as Google words them (issue 11).

Each rule is cited where the emulator defines it (tests/emulators/google.py, "The real services'
limits"); these tests hold it to the status, the error envelope and the message. Requests go through
the real google-auth ``AuthorizedSession`` (service account, or an OAuth user for the 7-day rule).
"""

from __future__ import annotations

import json
from typing import Any

import gspread
import pytest
import requests
from google.oauth2 import service_account

from tests.emulators import google as g
from tests.emulators.google import OWNER_EMAIL, SERVICE_ACCOUNT_EMAIL, GoogleEmulator, emulated_session

SHEETS = "https://sheets.googleapis.com/v4/spreadsheets"


class Clock:
    def __init__(self, t: float = 1_000_000.0):
        self.t = t

    def __call__(self) -> float:
        return self.t


def session_for(emu: GoogleEmulator, tmp_path) -> Any:
    path = tmp_path / f"sa-{id(emu)}.json"
    emu.write_key_file(path)
    creds = service_account.Credentials.from_service_account_file(str(path), scopes=gspread.auth.DEFAULT_SCOPES)
    return emulated_session(creds, emu.url)


@pytest.fixture(scope="module")
def emu():
    with GoogleEmulator() as e:
        yield e


@pytest.fixture(scope="module")
def http(emu, tmp_path_factory):
    return session_for(emu, tmp_path_factory.mktemp("sa"))


def error(r: requests.Response) -> dict[str, Any]:
    return r.json()["error"]


def batch(http, sid: str, *reqs: dict) -> requests.Response:
    return http.post(f"{SHEETS}/{sid}:batchUpdate", json={"requests": list(reqs)})


def new_book(emu: GoogleEmulator, rows: list[list[Any]] | None = None) -> tuple[str, int]:
    sid = emu.create_spreadsheet("Jobs", {"Tracker": rows or [["ID", "Company"], ["a-1", "Acme"]]})
    return sid, emu.sheet(sid, "Tracker").sheet_id


# --------------------------------------------------------------------------------------
# Request size
# --------------------------------------------------------------------------------------


def values_body(n_cells: int, chars: int) -> dict:
    return {"values": [["x" * chars] for _ in range(n_cells)]}


def test_a_request_body_over_10485760_bytes_is_refused_before_anything_is_done(emu, http):
    sid, _ = new_book(emu)
    emu.reset_stats()
    body = values_body(300, 40_000)  # 300 cells of 40,000 characters: about 12 MB
    size = len(json.dumps(body).encode())
    assert size > g.MAX_REQUEST_BYTES
    r = http.put(f"{SHEETS}/{sid}/values/Tracker!A1:A300", params={"valueInputOption": "RAW"}, json=body)
    assert r.status_code == 400
    assert error(r) == {
        "code": 400,
        "message": "Request payload size exceeds the limit: 10485760 bytes.",
        "status": "INVALID_ARGUMENT",
    }
    assert emu.values(sid, "Tracker")[0] == ["ID", "Company"]  # nothing written
    st = emu.stats()
    assert st["too_large"] == 1 and st["largest_request"] >= size and emu.largest_request == st["largest_request"]
    assert st["largest_request_path"].startswith("PUT /v4/spreadsheets/{id}/values/")


def test_a_body_of_exactly_the_limit_passes_the_size_check(emu, http):
    sid, _ = new_book(emu)
    body = values_body(1, 10)
    raw = json.dumps(body)
    pad = g.MAX_REQUEST_BYTES - len(raw.encode())
    raw = raw[:-1] + " " * pad + "}"  # JSON whitespace: the same request, exactly 10,485,760 bytes
    assert len(raw.encode()) == g.MAX_REQUEST_BYTES
    emu.reset_stats()
    r = http.put(
        f"{SHEETS}/{sid}/values/Tracker!A1",
        params={"valueInputOption": "RAW"},
        data=raw,
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 200, r.text
    assert emu.largest_request == g.MAX_REQUEST_BYTES


def test_the_payload_limit_can_be_lifted_for_a_test(tmp_path):
    with GoogleEmulator(max_request_bytes=None) as e:
        http = session_for(e, tmp_path)
        sid, _ = new_book(e)
        r = http.put(
            f"{SHEETS}/{sid}/values/Tracker!A1:A300",
            params={"valueInputOption": "RAW"},
            json=values_body(300, 40_000),
        )
        assert r.status_code == 200 and e.stats()["too_large"] == 0
        assert e.largest_request > g.MAX_REQUEST_BYTES


# --------------------------------------------------------------------------------------
# Sheet titles are case-insensitive
# --------------------------------------------------------------------------------------


def test_add_sheet_refuses_a_title_that_differs_only_by_case(emu, http):
    sid = emu.create_spreadsheet("Jobs", {"Tracker": [["ID"]], "summary": [["mine"]]})
    r = batch(http, sid, {"addSheet": {"properties": {"title": "Summary"}}})
    assert r.status_code == 400
    assert error(r) == {
        "code": 400,
        "message": 'Invalid requests[0].addSheet: A sheet with the name "Summary" already exists. '
        "Please enter another name.",
        "status": "INVALID_ARGUMENT",
    }
    assert [s.title for s in emu.spreadsheet(sid).sheets] == ["Tracker", "summary"]


def test_a_refused_title_refuses_the_whole_batch(emu, http):
    sid = emu.create_spreadsheet("Jobs", {"Tracker": [["ID"]], "HISTORY": [["mine"]]})
    r = batch(
        http,
        sid,
        {"addSheet": {"properties": {"title": "Summary"}}},
        {"addSheet": {"properties": {"title": "History"}}},
    )
    assert r.status_code == 400 and "requests[1].addSheet" in error(r)["message"]
    assert [s.title for s in emu.spreadsheet(sid).sheets] == ["Tracker", "HISTORY"]


def test_rename_refuses_another_sheets_title_in_any_case_but_a_sheet_may_change_its_own_case(emu, http):
    sid = emu.create_spreadsheet("Jobs", {"Tracker": [["ID"]], "Other": [[1]]})
    other = emu.sheet(sid, "Other").sheet_id
    r = batch(
        http,
        sid,
        {"updateSheetProperties": {"properties": {"sheetId": other, "title": "TRACKER"}, "fields": "title"}},
    )
    assert r.status_code == 400
    assert error(r)["message"] == (
        'Invalid requests[0].updateSheetProperties: A sheet with the name "TRACKER" already exists. '
        "Please enter another name."
    )
    r = batch(
        http,
        sid,
        {"updateSheetProperties": {"properties": {"sheetId": other, "title": "OTHER"}, "fields": "title"}},
    )
    assert r.status_code == 200 and emu.sheet(sid, "OTHER").sheet_id == other


def test_exact_titles_only_when_the_old_comparison_is_asked_for(tmp_path):
    with GoogleEmulator(case_insensitive_titles=False) as e:
        http = session_for(e, tmp_path)
        sid = e.create_spreadsheet("Jobs", {"Tracker": [["ID"]], "summary": [["mine"]]})
        assert batch(http, sid, {"addSheet": {"properties": {"title": "Summary"}}}).status_code == 200


# --------------------------------------------------------------------------------------
# 50,000 characters per cell, 10 million cells per spreadsheet
# --------------------------------------------------------------------------------------


def test_a_cell_over_50000_characters_is_refused_by_values_writes(emu, http):
    sid, _ = new_book(emu)
    ok = http.put(
        f"{SHEETS}/{sid}/values/Tracker!C1", params={"valueInputOption": "RAW"}, json={"values": [["y" * 50_000]]}
    )
    assert ok.status_code == 200
    for option in ("RAW", "USER_ENTERED"):
        r = http.post(
            f"{SHEETS}/{sid}/values:batchUpdate",
            json={"valueInputOption": option, "data": [{"range": "Tracker!D1", "values": [["z" * 50_001]]}]},
        )
        assert r.status_code == 400
        assert error(r) == {
            "code": 400,
            "message": "Your input contains more than the maximum of 50000 characters in a single cell.",
            "status": "INVALID_ARGUMENT",
        }
    assert emu.sheet(sid, "Tracker").cell(0, 3) == {}


def test_a_cell_over_50000_characters_is_refused_by_update_cells(emu, http):
    sid, sheet_id = new_book(emu)
    for kind in ("stringValue", "formulaValue"):
        text = ("=" if kind == "formulaValue" else "") + "w" * 50_001
        r = batch(
            http,
            sid,
            {
                "updateCells": {
                    "start": {"sheetId": sheet_id, "rowIndex": 5, "columnIndex": 0},
                    "rows": [{"values": [{"userEnteredValue": {kind: text}}]}],
                    "fields": "userEnteredValue",
                }
            },
        )
        assert r.status_code == 400
        assert error(r)["message"] == (
            "Invalid requests[0].updateCells: Your input contains more than the maximum of 50000 "
            "characters in a single cell."
        )


def test_ten_million_cells_per_spreadsheet_on_every_request_that_grows_a_grid(emu, http):
    sid, sheet_id = new_book(emu)  # Tracker: 1000 x 26 = 26,000 cells
    msg = "This action would increase the number of cells in the workbook above the limit of 10000000 cells."
    wide = {"rowCount": 1000, "columnCount": 9975}  # 9,975,000 + 26,000: over by 1,000
    r = batch(http, sid, {"addSheet": {"properties": {"title": "Big", "gridProperties": wide}}})
    assert r.status_code == 400 and error(r)["message"] == f"Invalid requests[0].addSheet: {msg}"
    wide["columnCount"] = (g.MAX_CELLS - 26_000) // 1000  # 9,974 columns: exactly 10,000,000 cells in all
    r = batch(http, sid, {"addSheet": {"properties": {"title": "Big", "gridProperties": wide}}})
    assert r.status_code == 200
    big = emu.sheet(sid, "Big").sheet_id
    growing = [
        ("appendDimension", {"appendDimension": {"sheetId": sheet_id, "dimension": "ROWS", "length": 1}}),
        (
            "insertDimension",
            {
                "insertDimension": {
                    "range": {"sheetId": big, "dimension": "COLUMNS", "startIndex": 0, "endIndex": 1}
                }
            },
        ),
        (
            "updateSheetProperties",
            {
                "updateSheetProperties": {
                    "properties": {"sheetId": sheet_id, "gridProperties": {"rowCount": 1001}},
                    "fields": "gridProperties.rowCount",
                }
            },
        ),
        (
            "appendCells",
            {
                "appendCells": {
                    "sheetId": sheet_id,
                    "rows": [{"values": [{"userEnteredValue": {"stringValue": "n"}}]}] * 999,
                    "fields": "userEnteredValue",
                }
            },
        ),
    ]
    for kind, req in growing:
        r = batch(http, sid, req)
        assert r.status_code == 400, kind
        assert error(r)["message"] == f"Invalid requests[0].{kind}: {msg}", kind
    r = http.post(
        f"{SHEETS}/{sid}/values/Tracker!A1:append",
        params={"valueInputOption": "RAW", "insertDataOption": "INSERT_ROWS"},
        json={"values": [["new"]]},
    )
    assert r.status_code == 400 and error(r)["message"] == msg
    assert emu.sheet(sid, "Tracker").row_count == 1000


# --------------------------------------------------------------------------------------
# Grid limits on every write kind
# --------------------------------------------------------------------------------------


def _past_grid_batch_requests(sheet_id: int) -> list[tuple[str, dict]]:
    past = {"sheetId": sheet_id, "startRowIndex": 999, "endRowIndex": 1001, "startColumnIndex": 0, "endColumnIndex": 1}
    wide = {"sheetId": sheet_id, "startRowIndex": 0, "endRowIndex": 1, "startColumnIndex": 25, "endColumnIndex": 27}
    cell = {"userEnteredValue": {"stringValue": "v"}}
    return [
        ("updateCells range", {"updateCells": {"range": past, "rows": [{"values": [cell]}] * 2, "fields": "*"}}),
        (
            "updateCells start",
            {
                "updateCells": {
                    "start": {"sheetId": sheet_id, "rowIndex": 999, "columnIndex": 0},
                    "rows": [{"values": [cell]}] * 2,
                    "fields": "userEnteredValue",
                }
            },
        ),
        ("repeatCell rows", {"repeatCell": {"range": past, "cell": cell, "fields": "userEnteredValue"}}),
        ("repeatCell columns", {"repeatCell": {"range": wide, "cell": cell, "fields": "userEnteredValue"}}),
        (
            "setDataValidation",
            {"setDataValidation": {"range": past, "rule": {"condition": {"type": "BOOLEAN"}}}},
        ),
        ("updateBorders", {"updateBorders": {"range": past, "top": {"style": "SOLID"}}}),
        ("mergeCells", {"mergeCells": {"range": past, "mergeType": "MERGE_ALL"}}),
        ("addProtectedRange", {"addProtectedRange": {"protectedRange": {"range": past}}}),
        ("sortRange", {"sortRange": {"range": past, "sortSpecs": [{"dimensionIndex": 0}]}}),
    ]


def test_every_batch_update_write_past_the_grid_is_refused_as_exceeding_grid_limits(emu, http):
    sid, sheet_id = new_book(emu)
    for name, req in _past_grid_batch_requests(sheet_id):
        r = batch(http, sid, req)
        assert r.status_code == 400, name
        body = error(r)
        assert body["status"] == "INVALID_ARGUMENT", name
        assert "exceeds grid limits. Max rows: 1000, max columns: 26" in body["message"], (name, body)
    assert emu.values(sid, "Tracker") == [["ID", "Company"], ["a-1", "Acme"]]


def test_every_values_write_past_the_grid_is_refused_as_exceeding_grid_limits(emu, http):
    sid, _ = new_book(emu)
    raw = {"valueInputOption": "RAW"}
    calls = [
        ("update rows", lambda: http.put(f"{SHEETS}/{sid}/values/Tracker!A1000", params=raw, json={"values": [["a"], ["b"]]})),
        ("update columns", lambda: http.put(f"{SHEETS}/{sid}/values/Tracker!Z1", params=raw, json={"values": [["a", "b"]]})),
        ("update range", lambda: http.put(f"{SHEETS}/{sid}/values/Tracker!A1001", params=raw, json={"values": [["a"]]})),
        (
            "batchUpdate",
            lambda: http.post(
                f"{SHEETS}/{sid}/values:batchUpdate",
                json={"valueInputOption": "RAW", "data": [{"range": "Tracker!AA1", "values": [["a"]]}]},
            ),
        ),
        ("clear", lambda: http.post(f"{SHEETS}/{sid}/values/Tracker!A1:A1001:clear")),
        ("batchClear", lambda: http.post(f"{SHEETS}/{sid}/values:batchClear", json={"ranges": ["Tracker!AB1"]})),
    ]
    for name, call in calls:
        r = call()
        assert r.status_code == 400, name
        assert "exceeds grid limits. Max rows: 1000, max columns: 26" in error(r)["message"], (name, r.text)
    assert emu.values(sid, "Tracker") == [["ID", "Company"], ["a-1", "Acme"]]


# --------------------------------------------------------------------------------------
# Per-minute quotas
# --------------------------------------------------------------------------------------


def test_quotas_are_off_by_default(emu, http):
    sid, _ = new_book(emu)
    for _ in range(70):
        assert http.get(f"{SHEETS}/{sid}/values/Tracker!A1").status_code == 200


def test_the_read_quota_answers_429_resource_exhausted_without_retry_after(tmp_path):
    clock = Clock()
    with GoogleEmulator(read_quota_per_minute=3, write_quota_per_minute=2, clock=clock) as e:
        http = session_for(e, tmp_path)
        sid, _ = new_book(e)
        for _ in range(3):
            assert http.get(f"{SHEETS}/{sid}/values/Tracker!A1").status_code == 200
        r = http.get(f"{SHEETS}/{sid}", params={"fields": "sheets.properties"})
        assert r.status_code == 429 and "Retry-After" not in r.headers
        body = error(r)
        assert (body["code"], body["status"]) == (429, "RESOURCE_EXHAUSTED")
        assert body["message"] == (
            "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute per user' "
            "of service 'sheets.googleapis.com' for consumer 'project_number:000000000000'."
        )
        info = body["details"][0]
        assert info["@type"] == "type.googleapis.com/google.rpc.ErrorInfo"
        assert info["reason"] == "RATE_LIMIT_EXCEEDED"
        assert info["metadata"]["quota_limit"] == "ReadRequestsPerMinutePerUser"
        # developerMetadata.search is a read; writes have their own quota, still free
        r = http.post(f"{SHEETS}/{sid}/developerMetadata:search", json={"dataFilters": [{"developerMetadataLookup": {"metadataKey": "k"}}]})
        assert r.status_code == 429
        w = http.put(f"{SHEETS}/{sid}/values/Tracker!C1", params={"valueInputOption": "RAW"}, json={"values": [[1]]})
        assert w.status_code == 200
        # Drive is not the Sheets quota
        assert http.get(f"https://www.googleapis.com/drive/v3/files/{sid}").status_code == 200
        clock.t += 61  # the minute has passed
        assert http.get(f"{SHEETS}/{sid}/values/Tracker!A1").status_code == 200
        assert e.stats()["quota_refused"] == 2


def test_the_write_quota_and_an_optional_retry_after(tmp_path):
    with GoogleEmulator(write_quota_per_minute=1, quota_retry_after=30) as e:
        http = session_for(e, tmp_path)
        sid, sheet_id = new_book(e)
        assert batch(http, sid, {"appendDimension": {"sheetId": sheet_id, "dimension": "ROWS", "length": 1}}).status_code == 200
        r = http.post(f"{SHEETS}/{sid}/values/Tracker!A1:clear")
        assert r.status_code == 429 and r.headers["Retry-After"] == "30"
        assert "'Write requests per minute per user'" in error(r)["message"]
        assert error(r)["details"][0]["metadata"]["quota_metric"] == "sheets.googleapis.com/write_requests"
        e.advance(60.5)
        assert http.post(f"{SHEETS}/{sid}/values/Tracker!A1:clear").status_code == 200


def test_gspread_sees_the_quota_as_an_api_error_429(tmp_path):
    with GoogleEmulator(read_quota_per_minute=1) as e:
        path = tmp_path / "sa.json"
        e.write_key_file(path)
        creds = service_account.Credentials.from_service_account_file(str(path), scopes=gspread.auth.DEFAULT_SCOPES)
        gc = gspread.Client(auth=creds, session=emulated_session(creds, e.url))
        sid, _ = new_book(e)
        ss = gc.open_by_key(sid)
        with pytest.raises(gspread.exceptions.APIError) as info:
            ss.worksheet("Tracker").get_all_values()
        assert info.value.response.status_code == 429


# --------------------------------------------------------------------------------------
# Protected ranges
# --------------------------------------------------------------------------------------


def protect(emu: GoogleEmulator, sid: str, gr: dict, *, warning_only: bool = False, editors: list[str] | None = None, unprotected: list[dict] | None = None) -> None:
    """A protected range made by the owner in the Sheets UI (the service account is not an editor)."""

    def add(sheet):
        pr = {
            "protectedRangeId": 4242 + len(sheet.protected_ranges),
            "range": {"sheetId": sheet.sheet_id, **gr},
            "requestingUserCanEdit": True,
            "editors": {} if warning_only else {"users": [OWNER_EMAIL, *(editors or [])]},
            "_creator": OWNER_EMAIL,
        }
        if warning_only:
            pr["warningOnly"] = True
        if unprotected:
            pr["unprotectedRanges"] = [{"sheetId": sheet.sheet_id, **u} for u in unprotected]
        sheet.protected_ranges.append(pr)

    emu.edit(sid, "Tracker", add)


PROTECTED = {
    "code": 403,
    "message": "You are trying to edit a protected cell or object. Please contact the spreadsheet owner to "
    "remove protection if you need to edit.",
    "status": "PERMISSION_DENIED",
}
COLUMN_B = {"startColumnIndex": 1, "endColumnIndex": 2}


def test_a_hard_protected_range_refuses_every_write_kind_by_another_editor(emu, http):
    sid, sheet_id = new_book(emu)
    protect(emu, sid, COLUMN_B)
    raw = {"valueInputOption": "RAW"}
    cell = {"userEnteredValue": {"stringValue": "v"}}
    calls = {
        "values.update": lambda: http.put(f"{SHEETS}/{sid}/values/Tracker!A2:B2", params=raw, json={"values": [["x", "y"]]}),
        "values.batchUpdate": lambda: http.post(
            f"{SHEETS}/{sid}/values:batchUpdate",
            json={"valueInputOption": "RAW", "data": [{"range": "Tracker!A3", "values": [["ok"]]}, {"range": "Tracker!B5", "values": [["no"]]}]},
        ),
        "values.append": lambda: http.post(f"{SHEETS}/{sid}/values/Tracker!A1:append", params=raw, json={"values": [["n", "m"]]}),
        "values.clear": lambda: http.post(f"{SHEETS}/{sid}/values/Tracker!A2:B2:clear"),
        "values.batchClear": lambda: http.post(f"{SHEETS}/{sid}/values:batchClear", json={"ranges": ["Tracker!B2"]}),
        "updateCells": lambda: batch(
            http,
            sid,
            {"updateCells": {"start": {"sheetId": sheet_id, "rowIndex": 1, "columnIndex": 1}, "rows": [{"values": [cell]}], "fields": "userEnteredValue"}},
        ),
        "repeatCell (a colour)": lambda: batch(
            http,
            sid,
            {
                "repeatCell": {
                    "range": {"sheetId": sheet_id, "startRowIndex": 1, "endRowIndex": 2},
                    "cell": {"userEnteredFormat": {"backgroundColor": {"red": 1}}},
                    "fields": "userEnteredFormat.backgroundColor",
                }
            },
        ),
    }
    for name, call in calls.items():
        r = call()
        assert r.status_code == 403, (name, r.text)
        assert error(r) == PROTECTED, name
    assert emu.values(sid, "Tracker") == [["ID", "Company"], ["a-1", "Acme"]]  # all or nothing
    assert emu.backgrounds(sid, "Tracker") == {}
    ok = http.put(f"{SHEETS}/{sid}/values/Tracker!C2", params=raw, json={"values": [["outside"]]})
    assert ok.status_code == 200


def test_sorting_or_deleting_protected_cells_is_refused_too(emu, http):
    sid, sheet_id = new_book(emu)
    protect(emu, sid, {"startRowIndex": 1, "endRowIndex": 2})  # row 2, the coach's
    for req in (
        {"sortRange": {"range": {"sheetId": sheet_id, "startRowIndex": 1, "endRowIndex": 5}, "sortSpecs": [{"dimensionIndex": 0}]}},
        {"deleteDimension": {"range": {"sheetId": sheet_id, "dimension": "ROWS", "startIndex": 0, "endIndex": 3}}},
        {"deleteDimension": {"range": {"sheetId": sheet_id, "dimension": "COLUMNS", "startIndex": 1, "endIndex": 2}}},
    ):
        r = batch(http, sid, req)
        assert (r.status_code, error(r)) == (403, PROTECTED), req
    ok = batch(http, sid, {"deleteDimension": {"range": {"sheetId": sheet_id, "dimension": "ROWS", "startIndex": 5, "endIndex": 6}}})
    assert ok.status_code == 200
    assert emu.values(sid, "Tracker") == [["ID", "Company"], ["a-1", "Acme"]]


def test_warning_only_ranges_editors_the_owner_and_unprotected_parts_may_be_written(emu, http, tmp_path):
    raw = {"valueInputOption": "RAW"}
    sid, _ = new_book(emu)
    protect(emu, sid, COLUMN_B, warning_only=True)
    assert http.put(f"{SHEETS}/{sid}/values/Tracker!B2", params=raw, json={"values": [["w"]]}).status_code == 200
    sid, _ = new_book(emu)
    protect(emu, sid, COLUMN_B, editors=[SERVICE_ACCOUNT_EMAIL])
    assert http.put(f"{SHEETS}/{sid}/values/Tracker!B2", params=raw, json={"values": [["e"]]}).status_code == 200
    sid, _ = new_book(emu)
    protect(emu, sid, {}, unprotected=[{"startRowIndex": 1, "endRowIndex": 2}])  # a protected sheet, row 2 open
    assert http.put(f"{SHEETS}/{sid}/values/Tracker!B2", params=raw, json={"values": [["u"]]}).status_code == 200
    assert http.put(f"{SHEETS}/{sid}/values/Tracker!B3", params=raw, json={"values": [["u"]]}).status_code == 403


def test_a_range_the_service_account_protects_stays_writable_to_it(emu, http):
    sid, sheet_id = new_book(emu)
    r = batch(http, sid, {"addProtectedRange": {"protectedRange": {"range": {"sheetId": sheet_id, **COLUMN_B}}}})
    assert r.status_code == 200
    ok = http.put(f"{SHEETS}/{sid}/values/Tracker!B2", params={"valueInputOption": "RAW"}, json={"values": [["mine"]]})
    assert ok.status_code == 200


def test_protection_can_be_switched_off_and_its_status_chosen(tmp_path):
    with GoogleEmulator(enforce_protection=False) as e:
        http = session_for(e, tmp_path)
        sid, _ = new_book(e)
        protect(e, sid, COLUMN_B)
        assert http.put(f"{SHEETS}/{sid}/values/Tracker!B2", params={"valueInputOption": "RAW"}, json={"values": [["x"]]}).status_code == 200
    with GoogleEmulator(protected_status=400) as e:
        http = session_for(e, tmp_path)
        sid, _ = new_book(e)
        protect(e, sid, COLUMN_B)
        r = http.put(f"{SHEETS}/{sid}/values/Tracker!B2", params={"valueInputOption": "RAW"}, json={"values": [["x"]]})
        assert r.status_code == 400 and error(r)["status"] == "INVALID_ARGUMENT"


# --------------------------------------------------------------------------------------
# OAuth refresh tokens of apps left in "Testing"
# --------------------------------------------------------------------------------------


def refresh(emu: GoogleEmulator, client_id: str, token: str) -> requests.Response:
    return requests.post(
        emu.token_uri,
        data={"grant_type": "refresh_token", "client_id": client_id, "client_secret": "s3cret", "refresh_token": token},
        timeout=10,
    )


def test_a_testing_apps_refresh_token_expires_after_7_days():
    clock = Clock()
    with GoogleEmulator(clock=clock) as e:
        e.add_oauth_client("testing-app", "s3cret", "1//testing", publishing_status="testing")
        e.add_oauth_client("published-app", "s3cret", "1//published")
        assert refresh(e, "testing-app", "1//testing").status_code == 200
        clock.t += g.TESTING_REFRESH_TOKEN_SECONDS - 1
        assert refresh(e, "testing-app", "1//testing").status_code == 200
        clock.t += 1
        r = refresh(e, "testing-app", "1//testing")
        assert r.status_code == 400
        assert r.json() == {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}
        e.advance(365 * 86400)
        assert refresh(e, "published-app", "1//published").status_code == 200  # "In production": no expiry


def test_google_auth_reports_the_expired_testing_token_as_invalid_grant(tmp_path):
    from google.auth.exceptions import RefreshError
    from google.oauth2 import credentials as user_credentials

    with GoogleEmulator() as e:
        e.add_oauth_client("testing-app", "s3cret", "1//weekly", publishing_status="testing", issued_at=e.now() - 8 * 86400)
        sid = e.create_spreadsheet("Mine", {"Tracker": [["ID"]]}, share_with_service_account=False)
        creds = user_credentials.Credentials(
            token=None,
            refresh_token="1//weekly",
            client_id="testing-app",
            client_secret="s3cret",
            token_uri="https://oauth2.googleapis.com/token",
        )
        gc = gspread.Client(auth=creds, session=emulated_session(creds, e.url))
        with pytest.raises(RefreshError, match="invalid_grant"):
            gc.open_by_key(sid)
