"""The pure builders of Sheets API requests, without the emulator: what ``init`` and a run would send."""

from __future__ import annotations

import datetime as dt

from followsync.backends.google.requests import (
    PROTECT_DESCRIPTION,
    CellEdit,
    LayoutTarget,
    SheetInfo,
    chart_request,
    layout_requests,
    protect_requests,
    sheet_requests,
    update_cells_requests,
)
from followsync.core import layout as tracker_layout
from followsync.core.changes import ChartSpec, SheetWrite
from followsync.core.schema import locate_header

LAYOUT = tracker_layout.load()
NAMES = [lc.column.name for lc in LAYOUT.columns]


def info(**kw) -> SheetInfo:
    base = {
        "sheet_id": 7,
        "title": "Tracker",
        "row_count": 1000,
        "column_count": 26,
        "frozen_rows": 0,
        "protected": [],
    }
    return SheetInfo(**{**base, **kw})


def kinds(reqs: list[dict]) -> list[str]:
    return [next(iter(r)) for r in reqs]


# ------------------------------------------------------------------------------ layout_requests


def test_a_new_worksheet_is_added_first_then_laid_out():
    target = LayoutTarget(info(row_count=1000, column_count=len(NAMES)), new=True)
    reqs = layout_requests(LAYOUT, target)
    assert reqs[0] == {
        "addSheet": {
            "properties": {
                "sheetId": 7,
                "title": "Tracker",
                "gridProperties": {"rowCount": 1000, "columnCount": len(NAMES)},
            }
        }
    }
    frozen = [r for r in reqs if "updateSheetProperties" in r]
    assert frozen[0]["updateSheetProperties"]["properties"]["gridProperties"] == {"frozenRowCount": 1}
    headers = [r["updateCells"] for r in reqs if "updateCells" in r]
    assert [h["rows"][0]["values"][0]["userEnteredValue"]["stringValue"] for h in headers] == NAMES
    assert all(h["fields"].startswith("userEnteredValue,note,") for h in headers)
    widths = [r for r in reqs if "updateDimensionProperties" in r]
    assert len(widths) == len(NAMES)
    assert kinds(reqs)[-1] == "addProtectedRange"  # followsync's columns, warning only


def test_a_blank_worksheet_is_not_added_and_grows_to_fit():
    reqs = layout_requests(LAYOUT, LayoutTarget(info(row_count=10, column_count=3)), rows=[{}] * 20)
    assert "addSheet" not in kinds(reqs)
    grow = [r["appendDimension"] for r in reqs if "appendDimension" in r]
    assert grow == [
        {"sheetId": 7, "dimension": "COLUMNS", "length": len(NAMES) - 3},
        {"sheetId": 7, "dimension": "ROWS", "length": 1 + 20 - 10},
    ]


def test_mark_sent_is_a_checkbox_and_choices_a_drop_down():
    reqs = layout_requests(LAYOUT, LayoutTarget(info()))
    rules = {
        r["setDataValidation"]["range"]["startColumnIndex"]: r["setDataValidation"]["rule"]
        for r in reqs
        if "setDataValidation" in r
    }
    assert rules[NAMES.index("Mark sent")] == {"condition": {"type": "BOOLEAN"}}
    status = rules[NAMES.index("Status")]
    assert status["condition"]["type"] == "ONE_OF_LIST" and status["strict"] is False


def test_rows_are_written_typed_with_the_columns_formats():
    rows = [{"Company": "Acme", "Applied on": dt.date(2026, 3, 2)}, {"Company": "=not a formula"}]
    reqs = layout_requests(LAYOUT, LayoutTarget(info()), rows)
    body = [
        r["updateCells"] for r in reqs if "updateCells" in r and r["updateCells"]["start"]["rowIndex"] == 1
    ]
    assert len(body) == 1 and body[0]["fields"] == "userEnteredValue,userEnteredFormat.numberFormat"
    first, second = (row["values"] for row in body[0]["rows"])
    company, applied = NAMES.index("Company"), NAMES.index("Applied on")
    assert first[company] == {"userEnteredValue": {"stringValue": "Acme"}}
    assert first[applied]["userEnteredValue"] == {
        "numberValue": (dt.date(2026, 3, 2) - dt.date(1899, 12, 30)).days
    }
    assert first[applied]["userEnteredFormat"]["numberFormat"]["type"] == "DATE"
    assert second[company] == {"userEnteredValue": {"stringValue": "=not a formula"}}  # text stays text
    assert (
        "userEnteredValue" not in second[applied] and second[applied]["userEnteredFormat"]
    )  # blank, still a date


def test_over_an_existing_tracker_only_its_columns_are_laid_and_no_value_written():
    grid = [["Company", "ID", "Status", "Next action", "My own column"]]
    header = locate_header(grid)
    target = LayoutTarget(info(column_count=5), header=header)
    reqs = layout_requests(LAYOUT, target, rows=[{"Company": "Acme"}])
    cells = [r["updateCells"] for r in reqs if "updateCells" in r]
    assert sorted(c["start"]["columnIndex"] for c in cells) == [0, 1, 2, 3]
    assert all("userEnteredValue" not in c["fields"] for c in cells)  # the header stays as typed
    assert "appendDimension" not in kinds(reqs)
    protected = [r["addProtectedRange"]["protectedRange"]["range"] for r in reqs if "addProtectedRange" in r]
    assert protected == [{"sheetId": 7, "startColumnIndex": 3, "endColumnIndex": 4}]  # Next action


# ------------------------------------------------------------------------------ protection


def test_protection_already_right_asks_nothing():
    ours = {
        "protectedRangeId": 1,
        "description": PROTECT_DESCRIPTION,
        "warningOnly": True,
        "range": {"sheetId": 7, "startColumnIndex": 2, "endColumnIndex": 4},
    }
    assert protect_requests(info(protected=[ours]), [2, 3]) == []
    moved = protect_requests(info(protected=[ours]), [2, 3, 5])
    assert kinds(moved) == ["deleteProtectedRange", "addProtectedRange", "addProtectedRange"]


def test_someone_elses_protection_is_left_alone():
    theirs = {"protectedRangeId": 9, "description": "the coach's", "range": {"sheetId": 7}}
    assert kinds(protect_requests(info(protected=[theirs]), [1])) == ["addProtectedRange"]


# ------------------------------------------------------------------------------ cells


def test_neighbouring_cells_on_consecutive_rows_are_one_request():
    cells = {r: {4: CellEdit("x", True), 5: CellEdit("y", True)} for r in range(1, 101)}
    reqs = update_cells_requests(7, cells)
    assert len(reqs) == 1
    block = reqs[0]["updateCells"]
    assert block["start"] == {"sheetId": 7, "rowIndex": 1, "columnIndex": 4}
    assert len(block["rows"]) == 100 and block["fields"] == "userEnteredValue"


def test_cells_setting_different_fields_are_never_in_one_mask():
    cells = {1: {0: CellEdit("x", True), 1: CellEdit(colour="#F4CCCC", set_fill=True)}}
    reqs = update_cells_requests(7, cells)
    assert [r["updateCells"]["fields"] for r in reqs] == [
        "userEnteredValue",
        "userEnteredFormat.backgroundColor",
    ]


# ------------------------------------------------------------------------------ other worksheets


def test_a_persons_own_worksheet_is_left_alone_and_named():
    sheets = [{"properties": {"sheetId": 3, "title": "History"}}]
    write = SheetWrite("History", ["Date", "ID", "What happened"], [["2026-03-02", "a-1", "sent"]])
    reqs, foreign = sheet_requests([write], sheets, {"History": ["My", "notes"]})
    assert reqs == [] and foreign == ["History"]
    reqs, foreign = sheet_requests([write], sheets, {"History": ["Date", "ID", "What happened", ""]})
    assert kinds(reqs) == ["appendCells"] and foreign == []


def test_a_missing_worksheet_is_added_with_its_header_and_a_replaced_one_stays_where_it_is():
    sheets = [{"properties": {"sheetId": 3, "title": "Summary", "gridProperties": {"rowCount": 1000}}}]
    history = SheetWrite("History", ["Date", "ID"], [["2026-03-02", "a-1"]])
    summary = SheetWrite("summary", ["Figure", "Value"], [["Applied", 3]], mode="replace", show_first=True)
    reqs, foreign = sheet_requests([history, summary], sheets, {})
    # The Summary (found without case) is rewritten in place: its sheetId, and formulas pointing
    # at it, stay; nothing is deleted.
    assert kinds(reqs) == ["addSheet", "appendCells", "updateCells", "updateCells"]
    assert reqs[1]["appendCells"]["rows"][0]["values"][0] == {"userEnteredValue": {"stringValue": "Date"}}
    assert "index" not in reqs[0]["addSheet"]["properties"] and foreign == []
    assert reqs[2]["updateCells"] == {"range": {"sheetId": 3}, "fields": "userEnteredValue"}
    assert reqs[3]["updateCells"]["start"]["sheetId"] == 3


def test_a_new_worksheet_shown_first_goes_first_and_an_update_writes_only_its_cells():
    new = SheetWrite("Summary", ["Figure", "Value"], [["Applied", 3]], mode="replace", show_first=True)
    reqs, _ = sheet_requests([new], [], {})
    assert kinds(reqs) == ["addSheet", "appendCells"] and reqs[0]["addSheet"]["properties"]["index"] == 0
    sheets = [{"properties": {"sheetId": 7, "title": "Summary", "gridProperties": {"rowCount": 2}}}]
    update = SheetWrite(
        "Summary",
        ["Figure", "Value"],
        [["Applied", 4], ["Offers", 1]],
        mode="update",
        cells={(1, 1): 4, (2, 0): "Offers", (2, 1): 1},
    )
    reqs, _ = sheet_requests([update], sheets, {})
    assert kinds(reqs) == ["appendDimension", "updateCells", "updateCells"]  # row 3 is past the grid
    assert [r["updateCells"]["start"] for r in reqs[1:]] == [
        {"sheetId": 7, "rowIndex": 1, "columnIndex": 1},
        {"sheetId": 7, "rowIndex": 2, "columnIndex": 0},
    ]


def test_a_chart_is_a_column_chart_over_the_table():
    chart = ChartSpec(title="Per week", first_row=0, last_row=5, domain_column=0, series_columns=(1, 2))
    spec = chart_request(7, chart, anchor_column=4)["addChart"]["chart"]
    assert spec["spec"]["basicChart"]["chartType"] == "COLUMN"
    assert len(spec["spec"]["basicChart"]["series"]) == 2
    assert spec["position"]["overlayPosition"]["anchorCell"] == {
        "sheetId": 7,
        "rowIndex": 1,
        "columnIndex": 4,
    }
