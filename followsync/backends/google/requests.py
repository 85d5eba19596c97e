"""Pure builders of Sheets API ``batchUpdate`` requests: no I/O, so they are tested without a server.

:class:`~followsync.backends.google.backend.GoogleSheetsBackend` reads what they need, calls
one of them and sends what it returns in one ``spreadsheets.batchUpdate``.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ...core.changes import ChartSpec, SheetWrite
from ...core.layout import Layout, LayoutColumn
from ...core.own_sheets import find_title
from ..base import owns_sheet
from .wire import date_format, hex_to_color, typed_value

if TYPE_CHECKING:
    from ...core.schema import Header

PROTECT_DESCRIPTION = "followsync: columns followsync writes on every run"
#: a cell of multi-line text (a draft, a header of two lines): wrapped, aligned to the top
WRAPPED = {"wrapStrategy": "WRAP", "verticalAlignment": "TOP"}
WRAPPED_FIELDS = "userEnteredFormat.wrapStrategy,userEnteredFormat.verticalAlignment"


@dataclass
class SheetInfo:
    """What a read learnt about the worksheet that the write needs."""

    sheet_id: int
    title: str
    row_count: int
    column_count: int
    frozen_rows: int
    protected: list[dict[str, Any]]
    #: where the ID and the user's known columns were at read time; the re-read needs only these
    key_columns: dict[str, int] = field(default_factory=dict)
    header_row: int = 0

    @classmethod
    def of(cls, sheet: dict[str, Any]) -> SheetInfo:
        """What a Sheet of ``spreadsheets.get`` says about the worksheet."""
        p = sheet["properties"]
        g = p.get("gridProperties", {})
        return cls(
            sheet_id=p.get("sheetId", 0),
            title=p["title"],
            row_count=g.get("rowCount", 1000),
            column_count=g.get("columnCount", 26),
            frozen_rows=g.get("frozenRowCount", 0),
            protected=list(sheet.get("protectedRanges", []) or []),
        )


@dataclass
class LayoutTarget:
    """The worksheet ``init`` lays a tracker into: a blank one, one already a tracker (``header``
    found), or one to add (``new``)."""

    sheet: SheetInfo
    header: Header | None = None
    new: bool = False


def _runs(indexes: Sequence[int]) -> list[tuple[int, int]]:
    """Sorted column indexes as half-open runs: [2, 3, 4, 7] -> [(2, 5), (7, 8)]."""
    out: list[tuple[int, int]] = []
    for i in sorted(set(indexes)):
        if out and out[-1][1] == i:
            out[-1] = (out[-1][0], i + 1)
        else:
            out.append((i, i + 1))
    return out


@dataclass
class CellEdit:
    """One cell to write: which of value / fill / number format it sets."""

    value: Any = None
    set_value: bool = False
    colour: str | None = None
    set_fill: bool = False
    # The Mail link column: the cell links to its URL (TextFormat.link, "the link destination of
    # the text"; a cell emptied is unlinked, since the field is in the request's mask).
    link: bool = False

    def signature(self) -> tuple[bool, bool, str | None, bool]:
        fmt = date_format(self.value) if self.set_value else None
        return self.set_value, self.set_fill, fmt["type"] if fmt else None, self.link and self.set_value

    def data(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.set_value and (v := typed_value(self.value)) is not None:
            out["userEnteredValue"] = v
        fmt: dict[str, Any] = {}
        if self.set_fill and self.colour:
            fmt["backgroundColor"] = hex_to_color(self.colour)
        if self.set_value and (nf := date_format(self.value)):
            fmt["numberFormat"] = nf
        if self.link and self.set_value and isinstance(self.value, str) and self.value:
            fmt["textFormat"] = {"link": {"uri": self.value}}
        if fmt:
            out["userEnteredFormat"] = fmt
        return out


def _fields(sig: tuple[bool, bool, str | None, bool]) -> str:
    parts = []
    if sig[0]:
        parts.append("userEnteredValue")
    if sig[1]:
        parts.append("userEnteredFormat.backgroundColor")
    if sig[2]:
        parts.append("userEnteredFormat.numberFormat")
    if sig[3]:
        parts.append("userEnteredFormat.textFormat.link")
    return ",".join(parts)


def update_cells_requests(sheet_id: int, cells: dict[int, dict[int, CellEdit]]) -> list[dict[str, Any]]:
    """As few ``updateCells`` requests as write exactly these cells and no others.

    Within a row, neighbouring cells that set the same things form one run; runs at the same
    columns on consecutive rows merge into one block, so a first run on 5,000 rows is a handful
    of requests, not 35,000. A ``fields`` mask is per request, so cells are only grouped with
    cells that set the same fields (a mask would clear a field the cell does not set).
    """
    blocks: list[tuple[int, int, tuple, list[list[dict[str, Any]]]]] = []
    open_blocks: dict[tuple[int, tuple], int] = {}  # (start column, signatures) -> index in blocks
    for gi in sorted(cells):
        row = cells[gi]
        runs: list[tuple[int, list[tuple], list[dict[str, Any]]]] = []
        for col in sorted(row):
            cell = row[col]
            sig = cell.signature()
            if runs and runs[-1][0] + len(runs[-1][1]) == col and runs[-1][1][0] == sig:
                runs[-1][1].append(sig)
                runs[-1][2].append(cell.data())
            else:
                runs.append((col, [sig], [cell.data()]))
        still_open: dict[tuple[int, tuple], int] = {}
        for col, sigs, datas in runs:
            key = (col, tuple(sigs))
            bi = open_blocks.get(key)
            if bi is not None and blocks[bi][0] + len(blocks[bi][3]) == gi:
                blocks[bi][3].append(datas)
            else:
                bi = len(blocks)
                blocks.append((gi, col, key[1], [datas]))
            still_open[key] = bi
        open_blocks = still_open
    return [
        {
            "updateCells": {
                "start": {"sheetId": sheet_id, "rowIndex": gi, "columnIndex": col},
                "rows": [{"values": datas} for datas in rows],
                "fields": _fields(sigs[0]),
            }
        }
        for gi, col, sigs, rows in blocks
    ]


def sheet_requests(
    writes: Sequence[SheetWrite],
    sheets: list[dict[str, Any]],
    first_rows: dict[str, list[Any]],
    charts: dict[int, list[int]] | None = None,
) -> tuple[list[dict[str, Any]], list[str]]:
    """Requests that append rows to another worksheet, or replace or update it in place, in the
    same batchUpdate, and the worksheets left alone because they are the person's own.

    ``sheets`` are the spreadsheet's worksheets as the API lists them; ``first_rows`` holds the
    first row of every worksheet an append may go to; ``charts`` the chart ids on each sheet (by
    sheetId) a write with a chart replaces. Titles are matched as Google matches them, without
    case (:func:`~followsync.core.own_sheets.find_title`). A worksheet that is there is never
    deleted: it keeps its sheetId, so a person's formulas and links pointing at it keep working.
    """
    sheets = list(sheets)
    ids = {sh["properties"]["title"]: sh["properties"]["sheetId"] for sh in sheets}
    rows_of = {
        sh["properties"]["sheetId"]: sh["properties"].get("gridProperties", {}).get("rowCount")
        for sh in sheets
    }
    reqs: list[dict[str, Any]] = []
    foreign: list[str] = []
    for sw in writes:
        title = find_title(ids, sw.name) or sw.name
        sheet_id = ids.get(title)
        if sheet_id is not None and sw.mode == "append" and not owns_sheet(first_rows.get(title), sw.header):
            foreign.append(title)  # a worksheet of the person's own with that name: left alone
            continue
        if sheet_id is None:
            sheet_id = new_sheet_id(sheets)
            sheets.append({"properties": {"sheetId": sheet_id}})
            ids[title] = sheet_id
            reqs.append({"addSheet": {"properties": _new_sheet_properties(sw, sheet_id, title)}})
            reqs.append(_append(sheet_id, [list(sw.header), *sw.rows]))
        elif sw.mode == "append":
            reqs.append(_append(sheet_id, list(sw.rows)))
        else:
            reqs += _in_place(sw, sheet_id, rows_of.get(sheet_id))
            reqs += [
                {"deleteEmbeddedObject": {"objectId": c}}
                for c in (charts or {}).get(sheet_id, [])
                if sw.chart
            ]
        if sw.chart is not None:
            width = max(len(r) for r in [sw.header, *sw.rows])
            reqs.append(chart_request(sheet_id, sw.chart, anchor_column=width + 1))
    return reqs, foreign


def _new_sheet_properties(sw: SheetWrite, sheet_id: int, title: str) -> dict[str, Any]:
    props: dict[str, Any] = {"sheetId": sheet_id, "title": title}
    if sw.show_first:
        props["index"] = 0  # the Summary: what a coach opening the sheet sees first
    if sw.mode == "append":
        props["gridProperties"] = {"frozenRowCount": 1}
    return props


def _append(sheet_id: int, rows: list[list[Any]]) -> dict[str, Any]:
    return {
        "appendCells": {
            "sheetId": sheet_id,
            "rows": [{"values": [_appended_cell(v) for v in row]} for row in rows],
            "fields": "userEnteredValue,userEnteredFormat.numberFormat," + WRAPPED_FIELDS,
        }
    }


def _in_place(sw: SheetWrite, sheet_id: int, row_count: int | None) -> list[dict[str, Any]]:
    """Requests that replace or update an existing worksheet's values where it is.

    ``update`` writes only ``sw.cells`` (neighbours in a row as one ``updateCells``); ``replace``
    clears the values and writes the whole grid from A1. Rows past the grid are added first.
    """
    grid = [list(sw.header), *sw.rows]
    if sw.mode == "update":
        cells = dict(sw.cells)
        edits: dict[int, dict[int, CellEdit]] = {}
        for (r, c), value in sorted(cells.items()):
            edits.setdefault(r, {})[c] = CellEdit(value=value, set_value=True)
        out = update_cells_requests(sheet_id, edits)
        needed = max((r for r, _ in cells), default=-1) + 1
    else:
        clear = {"updateCells": {"range": {"sheetId": sheet_id}, "fields": "userEnteredValue"}}
        start = {"sheetId": sheet_id, "rowIndex": 0, "columnIndex": 0}
        rows = [{"values": [CellEdit(value=v, set_value=True).data() for v in row]} for row in grid]
        out = [clear, {"updateCells": {"start": start, "rows": rows, "fields": "userEnteredValue"}}]
        needed = len(grid)
    if row_count is not None and needed > row_count:
        grow = {"appendDimension": {"sheetId": sheet_id, "dimension": "ROWS", "length": needed - row_count}}
        out.insert(0, grow)
    return out


def _appended_cell(value: Any) -> dict[str, Any]:
    """A cell of another sheet's row (History): its value, a date's format, and a message of
    several lines wrapped and aligned to the top."""
    data = CellEdit(value=value, set_value=True).data()
    if isinstance(value, str) and "\n" in value:
        data["userEnteredFormat"] = {**data.get("userEnteredFormat", {}), **WRAPPED}
    return data


def protect_requests(info: SheetInfo, owned: Sequence[int]) -> list[dict[str, Any]]:
    """Requests that make followsync's protected ranges cover exactly ``owned`` columns, or []."""
    ours = [p for p in info.protected if str(p.get("description", "")).startswith("followsync")]
    have = sorted(
        (p["range"].get("startColumnIndex", 0), p["range"].get("endColumnIndex", info.column_count))
        for p in ours
        if p.get("warningOnly") and "startRowIndex" not in p.get("range", {})
    )
    want = _runs(owned)
    if have == want and len(ours) == len(want):
        return []
    reqs: list[dict[str, Any]] = [
        {"deleteProtectedRange": {"protectedRangeId": p["protectedRangeId"]}}
        for p in ours
        if "protectedRangeId" in p
    ]
    for start, end in want:
        reqs.append(
            {
                "addProtectedRange": {
                    "protectedRange": {
                        "range": {"sheetId": info.sheet_id, "startColumnIndex": start, "endColumnIndex": end},
                        "description": PROTECT_DESCRIPTION,
                        "warningOnly": True,
                    }
                }
            }
        )
    return reqs


# --------------------------------------------------------------------------------------
# init: laying out a tracker


def layout_requests(
    layout: Layout, target: LayoutTarget, rows: Sequence[dict[str, Any]] = ()
) -> list[dict[str, Any]]:
    """The requests that lay ``layout`` (and ``rows``) into ``target``, for ONE batchUpdate.

    Header with notes and fill, frozen header row, drop-downs for choice columns, date
    formats, widths and hidden columns. Over a worksheet that already is a followsync tracker,
    the layout is laid again over the columns it has, and no value is written.
    """
    info, header = target.sheet, target.header
    reqs: list[dict[str, Any]] = []
    if target.new:
        reqs.append(
            {
                "addSheet": {
                    "properties": {
                        "sheetId": info.sheet_id,
                        "title": info.title,
                        "gridProperties": {"rowCount": info.row_count, "columnCount": info.column_count},
                    }
                }
            }
        )
    placed: list[tuple[int, LayoutColumn]]
    if header is not None:
        placed = [
            (header.positions[lc.column.name], lc)
            for lc in layout.columns
            if lc.column.name in header.positions
        ]
        header_row, write_header, rows = header.row, False, ()
    else:
        placed = list(enumerate(layout.columns))
        header_row, write_header = 0, True
    width = max((c for c, _ in placed), default=-1) + 1
    reqs += _grow_requests(info, width, header_row + 1 + len(rows))
    reqs.append(
        {
            "updateSheetProperties": {
                "properties": {
                    "sheetId": info.sheet_id,
                    "gridProperties": {"frozenRowCount": header_row + 1},
                },
                "fields": "gridProperties.frozenRowCount",
            }
        }
    )
    header_fill = {"backgroundColor": hex_to_color(layout.header_fill), "textFormat": {"bold": True}}
    for col, lc in placed:
        reqs += column_requests(info.sheet_id, header_row, col, lc, header_fill, write_header)
    if rows:
        reqs.append(rows_request(info.sheet_id, header_row, layout, placed, rows))
    reqs += protect_requests(info, [c for c, lc in placed if lc.column.owner == "followsync"])
    return reqs


def _grow_requests(info: SheetInfo, width: int, height: int) -> list[dict[str, Any]]:
    """``appendDimension`` requests that make the grid at least ``width`` columns and ``height`` rows."""
    reqs: list[dict[str, Any]] = []
    if width > info.column_count:
        reqs.append(
            {
                "appendDimension": {
                    "sheetId": info.sheet_id,
                    "dimension": "COLUMNS",
                    "length": width - info.column_count,
                }
            }
        )
    if height > info.row_count:
        reqs.append(
            {
                "appendDimension": {
                    "sheetId": info.sheet_id,
                    "dimension": "ROWS",
                    "length": height - info.row_count,
                }
            }
        )
    return reqs


def column_requests(
    sheet_id: int,
    header_row: int,
    col: int,
    lc: LayoutColumn,
    header_fill: dict[str, Any],
    write_header: bool,
) -> list[dict[str, Any]]:
    """One column of the layout: its header cell (note, fill, and the name when ``write_header``),
    the number format and validation of the cells below, its width and whether it is hidden."""
    cell: dict[str, Any] = {"note": lc.note, "userEnteredFormat": {**header_fill, **WRAPPED}}
    fields = "note,userEnteredFormat.backgroundColor,userEnteredFormat.textFormat.bold," + WRAPPED_FIELDS
    if write_header:
        cell["userEnteredValue"] = {"stringValue": lc.column.name}
        fields = "userEnteredValue," + fields
    reqs: list[dict[str, Any]] = [
        {
            "updateCells": {
                "start": {"sheetId": sheet_id, "rowIndex": header_row, "columnIndex": col},
                "rows": [{"values": [cell]}],
                "fields": fields,
            }
        }
    ]
    below = {
        "sheetId": sheet_id,
        "startRowIndex": header_row + 1,
        "startColumnIndex": col,
        "endColumnIndex": col + 1,
    }
    reqs += _cell_formats(below, lc)
    if (rule := _validation(lc)) is not None:
        reqs.append({"setDataValidation": {"range": below, "rule": rule}})
    reqs.append(
        {
            "updateDimensionProperties": {
                "range": {
                    "sheetId": sheet_id,
                    "dimension": "COLUMNS",
                    "startIndex": col,
                    "endIndex": col + 1,
                },
                "properties": {"pixelSize": _pixels(lc.width), "hiddenByUser": lc.hidden},
                "fields": "pixelSize,hiddenByUser",
            }
        }
    )
    return reqs


def _cell_formats(below: dict[str, Any], lc: LayoutColumn) -> list[dict[str, Any]]:
    """The number format and the wrapping of a layout column's cells below the header."""
    reqs: list[dict[str, Any]] = []
    if lc.number_format:
        number = {"userEnteredFormat": {"numberFormat": _column_format(lc.number_format)}}
        reqs.append({"repeatCell": {"range": below, "cell": number, "fields": "userEnteredFormat.numberFormat"}})
    if lc.wrap:
        # multi-line text: every line shown (Sheets sizes the rows to wrapped text itself)
        wrapped = {"userEnteredFormat": dict(WRAPPED)}
        reqs.append({"repeatCell": {"range": below, "cell": wrapped, "fields": WRAPPED_FIELDS}})
    return reqs


def _validation(lc: LayoutColumn) -> dict[str, Any] | None:
    """The data validation rule of a layout column's cells: a checkbox, a drop-down, or None."""
    if lc.checkbox:
        # Sheets has real checkboxes: tick it, and the next run records the send.
        return {"condition": {"type": "BOOLEAN"}}
    if lc.choices:
        return {
            "condition": {"type": "ONE_OF_LIST", "values": [{"userEnteredValue": c} for c in lc.choices]},
            "showCustomUi": True,
            "strict": False,
        }
    return None


def rows_request(
    sheet_id: int,
    header_row: int,
    layout: Layout,
    placed: Sequence[tuple[int, LayoutColumn]],
    rows: Sequence[dict[str, Any]],
) -> dict[str, Any]:
    """One ``updateCells`` that writes ``rows`` under the header, in the ``placed`` columns."""
    formats = {lc.column.name: lc.number_format for lc in layout.columns}
    body = []
    for r in rows:
        values = []
        for _, lc in placed:
            v = r.get(lc.column.name)
            cell: dict[str, Any] = {}
            if (tv := typed_value(v)) is not None:
                cell["userEnteredValue"] = tv
            # Date columns keep their format on every row, blank ones included (the
            # repeatCell above would otherwise be cleared by this request's mask).
            if nf := _column_format(formats.get(lc.column.name)) or date_format(v):
                cell["userEnteredFormat"] = {"numberFormat": nf}
            values.append(cell)
        body.append({"values": values})
    return {
        "updateCells": {
            "start": {"sheetId": sheet_id, "rowIndex": header_row + 1, "columnIndex": 0},
            "rows": body,
            "fields": "userEnteredValue,userEnteredFormat.numberFormat",
        }
    }


def _column_format(pattern: str | None) -> dict[str, str] | None:
    """A layout column's number format pattern as the API's NumberFormat."""
    if not pattern:
        return None
    return {"type": "DATE_TIME" if "h" in pattern.lower() else "DATE", "pattern": pattern}


def _pixels(chars: int) -> int:
    """A width in characters as pixels, roughly as Sheets' default font renders them."""
    return int(chars * 7 + 12)


def chart_request(sheet_id: int, chart: ChartSpec, anchor_column: int) -> dict[str, Any]:
    """An ``addChart`` for a table of the sheet: a column chart, one series per column."""

    def source(col: int) -> dict[str, Any]:
        return {
            "sourceRange": {
                "sources": [
                    {
                        "sheetId": sheet_id,
                        "startRowIndex": chart.first_row,
                        "endRowIndex": chart.last_row + 1,
                        "startColumnIndex": col,
                        "endColumnIndex": col + 1,
                    }
                ]
            }
        }

    return {
        "addChart": {
            "chart": {
                "spec": {
                    "title": chart.title,
                    "basicChart": {
                        "chartType": "COLUMN",
                        "legendPosition": "BOTTOM_LEGEND",
                        "headerCount": 1,
                        "domains": [{"domain": source(chart.domain_column)}],
                        "series": [
                            {"series": source(c), "targetAxis": "LEFT_AXIS"} for c in chart.series_columns
                        ],
                    },
                },
                "position": {
                    "overlayPosition": {
                        "anchorCell": {"sheetId": sheet_id, "rowIndex": 1, "columnIndex": anchor_column}
                    }
                },
            }
        }
    }


def new_sheet_id(sheets: list[dict[str, Any]]) -> int:
    used = {s["properties"].get("sheetId") for s in sheets}
    n = 1_000_000 + random.randrange(1_000_000_000)
    while n in used:
        n += 1
    return n
