"""A person's own workbook: the columns a run appends get what ``init`` gives them (issue 13, item 2).

Number formats (so Due shows a date, not ###), widths, header notes, Draft state hidden,
drop-downs (Mark sent's Yes/No among them), multi-line columns wrapped; and a Mark sent column,
which README tells the person to tick, is added when missing.
"""

from __future__ import annotations

import datetime as dt

import openpyxl

from followsync import run as sync
from followsync.backends.xlsx.backend import XlsxBackend
from followsync.config import Config
from followsync.core import schema
from followsync.core.layout import load

NOW = dt.datetime(2026, 11, 20, 9, 0)
OWN = [
    ["Company", "Job title", "Applied on", "Status", "Interview at", "Interviewer", "Interviewer email"],
    [
        "Acme",
        "Engineer",
        dt.date(2026, 11, 1),
        "Interviewed",
        dt.datetime(2026, 11, 18, 10),
        "Ms. Jane Jones",
        "jane@acme.example",
    ],
    [
        "Beta",
        "Analyst",
        dt.date(2026, 10, 20),
        "Waiting",
        dt.datetime(2026, 11, 2, 14),
        "Sam Patel",
        "sam@beta.example",
    ],
    ["Cobalt", "Designer", dt.date(2026, 11, 12), "Applied", None, None, None],
]


def _own_workbook(path):
    wb = openpyxl.Workbook()
    ws = wb.worksheets[0]
    ws.title = "Jobs"
    for row in OWN:
        ws.append(row)
    ws.column_dimensions["A"].width = 22
    wb.save(path)


def _validations(ws) -> dict[str, str]:
    """Cell range -> the list a drop-down offers."""
    return {str(dv.sqref): dv.formula1 for dv in ws.data_validations.dataValidation}


def test_columns_a_run_appends_are_dressed_like_init(tmp_path):
    path = tmp_path / "mine.xlsx"
    _own_workbook(path)
    sync.run(XlsxBackend(path), Config(), NOW)
    wb = openpyxl.load_workbook(path)
    ws = wb["Jobs"]
    header = [c.value for c in ws[1]]
    assert header[: len(OWN[0])] == OWN[0]  # the person's own columns, as they were
    added = header[len(OWN[0]) :]
    assert added == ["ID", "Mark sent", *[n for n in schema.OWNED_NAMES if n not in schema.ADDED_WHEN_WRITTEN]]  # Mark sent too
    layout = {lc.column.name: lc for lc in load().columns}
    letters = {name: openpyxl.utils.get_column_letter(header.index(name) + 1) for name in added}
    for name in added:
        lc, letter = layout[name], letters[name]
        dim = ws.column_dimensions[letter]
        assert dim.width == lc.width, name
        assert bool(dim.hidden) == lc.hidden, name
        assert ws[f"{letter}1"].comment is not None and ws[f"{letter}1"].comment.text == lc.note, name
        for r in range(2, len(OWN) + 1):
            cell = ws[f"{letter}{r}"]
            if lc.number_format:
                assert cell.number_format == lc.number_format, (name, r)
            assert cell.alignment.vertical == "top", (name, r)  # beside a draft of many lines
            if lc.wrap and cell.value:
                assert cell.alignment.wrap_text, (name, r)
    assert ws.column_dimensions[letters["Draft state"]].hidden
    # Due holds a date shown as one, in a column wide enough for it
    due = ws[f"{letters['Due']}2"]
    assert isinstance(due.value, dt.datetime) and due.number_format == "yyyy-mm-dd"
    assert ws.column_dimensions[letters["Due"]].width >= 11
    mark = letters["Mark sent"]
    assert _validations(ws)[f"{mark}2:{mark}1000"] == '"Yes,No"'
    assert ws.column_dimensions["A"].width == 22  # the person's own width kept
    # The header row fits two-line headers; rows with drafts are as tall as their lines.
    assert ws.row_dimensions[1].height >= 30
    draft = ws[f"{letters['Draft message']}2"]
    assert draft.value and draft.value.count("\n") >= 4
    assert ws.row_dimensions[2].height >= 15 * (draft.value.count("\n") + 1)
    # and a second run writes nothing
    before = path.read_bytes()
    again = sync.run(XlsxBackend(path), Config(), NOW)
    assert again.applied is None or again.applied.write_calls == 0
    assert path.read_bytes() == before


def test_a_tick_in_the_added_mark_sent_column_is_recorded(tmp_path):
    path = tmp_path / "mine.xlsx"
    _own_workbook(path)
    sync.run(XlsxBackend(path), Config(), NOW)
    wb = openpyxl.load_workbook(path)
    ws = wb["Jobs"]
    header = [c.value for c in ws[1]]
    ws.cell(2, header.index("Mark sent") + 1, "Yes")
    wb.save(path)
    sync.run(XlsxBackend(path), Config(), NOW)
    wb = openpyxl.load_workbook(path)
    ws = wb["Jobs"]
    assert ws.cell(2, header.index("Mark sent") + 1).value is None  # recorded, and cleared
    assert ws.cell(2, header.index("Next action") + 1).value != "Send thank-you note"
    # History's Message, the draft that was sent: wrapped, at the top, in a row tall enough
    history = wb["History"]
    names = [c.value for c in history[1]]
    message = names.index("Message") + 1
    rows = [r for r in range(2, history.max_row + 1) if "\n" in str(history.cell(r, message).value or "")]
    assert rows
    for r in rows:
        cell = history.cell(r, message)
        assert cell.alignment.wrap_text and cell.alignment.vertical == "top"
        assert history.row_dimensions[r].height >= 15 * (cell.value.count("\n") + 1)


def test_a_new_tracker_wraps_its_multi_line_columns_and_its_header(tmp_path):
    path = tmp_path / "new.xlsx"
    XlsxBackend(path).create(load())
    ws = openpyxl.load_workbook(path)["Tracker"]
    header = [c.value for c in ws[1]]
    assert ws.row_dimensions[1].height >= 30
    assert all(c.alignment.wrap_text and c.alignment.vertical == "top" for c in ws[1])
    for lc in load().columns:
        letter = openpyxl.utils.get_column_letter(header.index(lc.column.name) + 1)
        alignment = ws.column_dimensions[letter].alignment
        assert bool(alignment.wrap_text) == lc.wrap and alignment.vertical == "top", lc.column.name
    assert {lc.column.name for lc in load().columns if lc.wrap} >= {
        "Draft message",
        "LinkedIn note",
        "Reminder",
        "Problems",
    }
