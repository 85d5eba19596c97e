"""Cells on the wire: the Sheets API's values, colours and grids, to and from Python values.

Pure functions over the API's JSON; no requests are made here.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ...core.cells import ERROR_LITERALS, CellError

DATE_PATTERN = "yyyy-mm-dd"
DATETIME_PATTERN = "yyyy-mm-dd hh:mm"

# What a read asks for, and nothing else (Sheets API "fields" partial-response syntax): the
# worksheets' properties and protected ranges (META_FIELDS), every cell's value (values.batchGet,
# VALUE_PARAMS), and the backgrounds of the colour columns only (BACKGROUND_FIELDS).
META_FIELDS = (
    "sheets(properties(sheetId,title,index,sheetType,gridProperties(rowCount,columnCount,frozenRowCount)),"
    "protectedRanges(protectedRangeId,description,warningOnly,range))"
)
BACKGROUND_FIELDS = "sheets(data(startRow,startColumn,rowData(values(userEnteredFormat/backgroundColor))))"
VALUE_PARAMS = {
    "valueRenderOption": "UNFORMATTED_VALUE",
    "dateTimeRenderOption": "SERIAL_NUMBER",
    "majorDimension": "ROWS",
}
# What ``init`` asks for: every worksheet's cells (a blank one, or one already a tracker).
READ_FIELDS = (
    "sheets(properties(sheetId,title,index,gridProperties(rowCount,columnCount,frozenRowCount)),"
    "protectedRanges(protectedRangeId,description,warningOnly,range),"
    "data(startRow,startColumn,rowData(values(effectiveValue,userEnteredFormat/backgroundColor))))"
)

# Sheets API ErrorValue.type -> the text a spreadsheet shows.
ERROR_TEXT = {
    "ERROR": "#ERROR!",
    "NULL_VALUE": "#NULL!",
    "DIVIDE_BY_ZERO": "#DIV/0!",
    "VALUE": "#VALUE!",
    "REF": "#REF!",
    "NAME": "#NAME?",
    "NUM": "#NUM!",
    "N_A": "#N/A",
    "LOADING": "#LOADING",
}

_EPOCH = dt.datetime(1899, 12, 30)


def hex_to_color(colour: str) -> dict[str, float]:
    """``"#F4CCCC"`` -> the API's Color ``{"red": 0.956.., "green": 0.8, "blue": 0.8}``."""
    c = colour.lstrip("#")
    # Full precision: Sheets keeps colours as 8-bit channels and a rounded fraction just under
    # n/255 could come back as n-1.
    return {k: int(c[i : i + 2], 16) / 255 for k, i in (("red", 0), ("green", 2), ("blue", 4))}


def color_to_hex(color: dict[str, Any] | None) -> str | None:
    """The API's Color -> ``"#RRGGBB"``; missing components are 0. White counts as no fill."""
    if not color:
        return None
    out = "#" + "".join(f"{round(float(color.get(k, 0)) * 255):02X}" for k in ("red", "green", "blue"))
    return None if out == "#FFFFFF" else out


def to_serial(value: dt.date) -> float | int:
    """A date (or date-time) as a spreadsheet serial number, days since 1899-12-30."""
    if isinstance(value, dt.datetime):
        delta = value.replace(tzinfo=None) - _EPOCH
        return delta.days + delta.seconds / 86400
    return (value - _EPOCH.date()).days


def typed_value(value: Any) -> dict[str, Any] | None:
    """A Python value as a typed ``userEnteredValue``: text stays text (``=x``, ``0049``), never parsed."""
    if hasattr(value, "item") and not isinstance(value, str | dt.date):
        value = value.item()  # numpy scalars from a pandas frame
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, dt.date):
        return {"numberValue": to_serial(value)}
    if isinstance(value, int | float):
        return {"numberValue": value}
    return {"stringValue": str(value)}


def date_format(value: Any, pattern: str | None = None) -> dict[str, str] | None:
    """The numberFormat a date or date-time value needs to show as one; None for other values."""
    if isinstance(value, dt.datetime):
        return {"type": "DATE_TIME", "pattern": pattern or DATETIME_PATTERN}
    if isinstance(value, dt.date):
        return {"type": "DATE", "pattern": pattern or DATE_PATTERN}
    return None


def cell_value(cell: dict[str, Any]) -> Any:
    """A CellData's effectiveValue as a raw Snapshot value."""
    ev = cell.get("effectiveValue")
    if not ev:
        return None
    if "numberValue" in ev:
        return ev["numberValue"]
    if "stringValue" in ev:
        return ev["stringValue"]
    if "boolValue" in ev:
        return ev["boolValue"]
    if "errorValue" in ev:
        kind = ev["errorValue"].get("type", "ERROR")
        return CellError(ERROR_TEXT.get(kind, "#ERROR!"))
    return None


def _trim(grid: list[list[Any]]) -> list[list[Any]]:
    for row in grid:
        while row and row[-1] in (None, ""):
            row.pop()
    while grid and not grid[-1]:
        grid.pop()
    return grid


def grid_from_sheet(sheet: dict[str, Any]) -> tuple[list[list[Any]], dict[tuple[int, int], str]]:
    """A sheet's GridData as a grid of raw values and the backgrounds that are set."""
    grid: list[list[Any]] = []
    fills: dict[tuple[int, int], str] = {}
    for data in sheet.get("data", []) or []:
        r0, c0 = data.get("startRow", 0), data.get("startColumn", 0)
        for r, row_data in enumerate(data.get("rowData", []) or []):
            gi = r0 + r
            while len(grid) <= gi:
                grid.append([])
            row = grid[gi]
            for c, cell in enumerate(row_data.get("values", []) or []):
                gc = c0 + c
                value = cell_value(cell)
                if value is not None:
                    while len(row) <= gc:
                        row.append(None)
                    row[gc] = value
                colour = color_to_hex((cell.get("userEnteredFormat") or {}).get("backgroundColor"))
                if colour:
                    fills[(gi, gc)] = colour
    return _trim(grid), fills


def grid_from_values(values: list[list[Any]]) -> list[list[Any]]:
    """``values.get`` rows (UNFORMATTED_VALUE) in the same form as :func:`grid_from_sheet` gives."""
    out = []
    for row in values:
        out.append(
            [
                None if v == "" else CellError(v) if isinstance(v, str) and v in ERROR_LITERALS else v
                for v in row
            ]
        )
    return _trim(out)


def grid_from_ranges(parts: list[dict[str, Any]]) -> list[list[Any]]:
    """A re-read's two ``valueRanges`` (the rows down to the header, then columns A to the last
    key column) as one grid: the header rows in full over the key columns' rows."""
    head = grid_from_values(parts[0].get("values", [])) if parts else []
    grid = grid_from_values(parts[1].get("values", [])) if len(parts) > 1 else []
    while len(grid) < len(head):
        grid.append([])
    for r, cells in enumerate(head):
        grid[r] = cells
    return grid


def with_columns(grid: list[list[Any]], parts: list[dict[str, Any]], columns: list[int]) -> list[list[Any]]:
    """``grid`` with the one-column ``valueRanges`` ``parts`` laid in at ``columns``."""
    for part, col in zip(parts, columns, strict=False):
        for r, cells in enumerate(grid_from_values(part.get("values", []))):
            while len(grid) <= r:
                grid.append([])
            row = grid[r]
            if cells and col >= len(row):
                row.extend([None] * (col + 1 - len(row)))
            if cells:
                row[col] = cells[0]
    return grid


def a1_sheet(title: str) -> str:
    """A sheet title as an A1 range covering the whole sheet."""
    return "'" + title.replace("'", "''") + "'"
