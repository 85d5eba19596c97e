"""How a run's writes reach a Google worksheet: in batches that fit, stamped, verified (issue 11).

Pure functions, no I/O; :meth:`~followsync.backends.google.backend.GoogleSheetsBackend.apply`
does the calls.

**Batches that fit.** Google refuses any request body over 10,485,760 bytes
(:data:`MAX_REQUEST_BYTES`). :func:`split` cuts a change set into parts of whole rows whose
estimated bodies stay under :data:`BATCH_BYTES` (well under the limit): the first part adds the
new columns, the last carries the History and Summary worksheets. Each part is one atomic
``batchUpdate``, so a run cut off between two parts leaves every row either as it was or fully
written, and no History row is appended until every row has been; the next run writes what
still differs.

**Rows that cannot be misplaced.** A batchUpdate addresses cells by row number, and a coach may
sort, insert or delete rows after the re-read that found those numbers, or while the request is
on its way. So every row a batch writes also gets, in the same atomic request, a row-located
developer metadata "stamp" (key :data:`STAMP_KEY`) naming the row the values were meant for.
Developer metadata on a row moves with the row when rows are sorted, inserted or deleted, so
after the last batch one read finds where every stamp is now and which row sits there:
:func:`repairs` turns every stamp that landed on another row into writes that put that row's own
values back (its ID too, when followsync had written one there) and the meant row's values where
that row is now. Those writes are stamped and verified in turn, a few rounds at most; the stamps
are deleted at the end.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ...core.changes import CellWrite, ChangeSet, FillWrite, RowRef, SheetWrite, row_fingerprint
from ...core.mailto import COLUMN as LINK_COLUMN
from ...core.schema import locate_header
from ..base import _id_text

#: Google's limit on a request body ("Request payload size exceeds the limit: 10485760 bytes.").
MAX_REQUEST_BYTES = 10_485_760
#: What one batchUpdate of rows may hold, by the estimate of :func:`split`: well under the limit.
BATCH_BYTES = 5_000_000
#: Developer metadata key of the stamps (invisible in the Sheets UI).
STAMP_KEY = "followsync.write"
#: Rounds of repair after the writes, at most (each one stamped and verified again).
MAX_REPAIRS = 3
#: What the check after the writes reads: each row's stamps and the values of the ID and user columns.
STAMP_FIELDS = (
    "sheets(properties(sheetId,title),data(startRow,startColumn,"
    "rowMetadata(developerMetadata(metadataKey,metadataValue)),rowData(values(effectiveValue))))"
)
#: What a row's request costs beyond its cells: the updateCells wrapper and the stamp.
_ROW_OVERHEAD = 600


def body_bytes(body: Any) -> int:
    """The size of ``body`` as gspread sends it (``requests``' ``json=``: ``json.dumps`` defaults)."""
    return len(json.dumps(body).encode())


def _estimate(value: Any) -> int:
    """Bytes a value takes as JSON, roughly (dates and other non-JSON values as their text)."""
    return len(json.dumps(value, default=str).encode())


def _row_cost(writes: Sequence[CellWrite | FillWrite]) -> int:
    values = [(w.column, w.value if isinstance(w, CellWrite) else w.colour) for w in writes]
    # A Mail link is sent twice: as the cell's text and as its link's uri.
    links = [w.value for w in writes if isinstance(w, CellWrite) and w.column == LINK_COLUMN]
    return (_estimate(values) + _estimate(links)) * 2 + _ROW_OVERHEAD  # a value's cell JSON is about twice its own


def _sheet_cost(sheets: Sequence[SheetWrite]) -> int:
    return sum(_estimate(sw.rows) * 3 + _estimate(sw.header) + 2_000 for sw in sheets)


def _writes(changes: ChangeSet) -> list[CellWrite | FillWrite]:
    return [*changes.cells, *changes.fills]


def split(changes: ChangeSet, budget: int = BATCH_BYTES) -> list[ChangeSet]:
    """``changes`` as parts of whole rows, each estimated under ``budget`` bytes.

    Rows keep their order; the first part adds the new columns; the History and Summary writes
    go in the last part (a part of their own when they would not fit in it).
    """
    by_row: dict[RowRef, list[CellWrite | FillWrite]] = {}
    for w in _writes(changes):
        by_row.setdefault(w.row, []).append(w)
    parts: list[ChangeSet] = []
    current = ChangeSet(changes.sheet, changes.header_row, add_columns=list(changes.add_columns))
    size = 0
    for ref in sorted(by_row, key=lambda r: r.index):
        cost = _row_cost(by_row[ref])
        if size and size + cost > budget:
            parts.append(current)
            current, size = ChangeSet(changes.sheet, changes.header_row), 0
        for w in by_row[ref]:
            if isinstance(w, CellWrite):
                current.cells.append(w)
            else:
                current.fills.append(w)
        size += cost
    if changes.sheets:
        if size and size + _sheet_cost(changes.sheets) > budget:
            parts.append(current)
            current = ChangeSet(changes.sheet, changes.header_row)
        current.sheets = list(changes.sheets)
    parts.append(current)
    return [p for p in parts if p]


# --------------------------------------------------------------------------------------
# Stamps


def stamp_request(sheet_id: int, row: int, value: str, metadata_id: int | None = None) -> dict[str, Any]:
    """A ``createDeveloperMetadata`` on grid row ``row``: it moves with the row from then on.

    ``metadata_id`` (a positive 32-bit number, unique in the spreadsheet) names it, so the server
    need not look for a free one per stamp."""
    ident = {"metadataId": metadata_id} if metadata_id is not None else {}
    return {
        "createDeveloperMetadata": {
            "developerMetadata": {
                **ident,
                "metadataKey": STAMP_KEY,
                "metadataValue": value,
                "visibility": "DOCUMENT",
                "location": {
                    "dimensionRange": {
                        "sheetId": sheet_id,
                        "dimension": "ROWS",
                        "startIndex": row,
                        "endIndex": row + 1,
                    }
                },
            }
        }
    }


def unstamp_request() -> dict[str, Any]:
    """A ``deleteDeveloperMetadata`` of every stamp (of this run and of any run cut short)."""
    return {
        "deleteDeveloperMetadata": {"dataFilter": {"developerMetadataLookup": {"metadataKey": STAMP_KEY}}}
    }


@dataclass
class Stamp:
    """What one batch wrote on one row: meant for ``ref``; ``cells`` and ``fills`` by column."""

    ref: RowRef
    cells: dict[str, Any] = field(default_factory=dict)
    fills: dict[str, str | None] = field(default_factory=dict)


@dataclass
class Ledger:
    """The stamps of one apply: those of the round being written, and whether any was made."""

    token: str = field(default_factory=lambda: secrets.token_hex(4))
    #: the first metadata id of this apply's stamps: random, so a run cut short leaves none in the way
    first_id: int = field(default_factory=lambda: 1_000_000_000 + secrets.randbelow(1_000_000_000))
    round: int = 0
    stamps: dict[str, Stamp] = field(default_factory=dict)
    made: bool = False
    seq: int = 0

    def value(self, n: int) -> str:
        return f"{self.token}:{self.round}:{n}"

    def next_round(self) -> None:
        self.round += 1
        self.stamps = {}


def stamps_of(changes: ChangeSet, rows: dict[RowRef, int], columns: dict[str, int]) -> dict[int, Stamp]:
    """The stamp of every located row of ``changes``: grid row -> what it is written."""
    out: dict[int, Stamp] = {}
    for w in _writes(changes):
        gi = rows.get(w.row)
        if gi is None or w.column not in columns:
            continue
        st = out.setdefault(gi, Stamp(w.row))
        if isinstance(w, FillWrite):
            st.fills[w.column] = w.colour
        else:
            st.cells[w.column] = w.value
    return out


def landed_stamps(sheet: dict[str, Any], prefix: str) -> dict[str, int]:
    """Where each stamp whose value starts with ``prefix`` is now: value -> grid row."""
    out: dict[str, int] = {}
    for data in sheet.get("data", []) or []:
        r0 = data.get("startRow", 0)
        for i, entry in enumerate(data.get("rowMetadata", []) or []):
            for md in entry.get("developerMetadata", []) or []:
                value = str(md.get("metadataValue", ""))
                if md.get("metadataKey") == STAMP_KEY and value.startswith(prefix):
                    out[value] = r0 + i
    return out


# --------------------------------------------------------------------------------------
# Repairs


@dataclass
class Seen:
    """What the run knows of each row, to put a row's own values back: the read and the plan."""

    grid: list[list[Any]]
    fills: dict[tuple[int, int], str]
    changes: ChangeSet

    def __post_init__(self) -> None:
        header = locate_header(self.grid)
        self.positions = dict(header.positions) if header else {}
        self.header_row = header.row if header else 0
        id_col = self.positions.get("ID")
        self.by_id: dict[str, int] = {}
        self.by_print: dict[tuple, list[int]] = {}
        for gi in range(self.header_row + 1, len(self.grid)) if header else ():
            row = self.grid[gi]
            ident = _id_text(row[id_col] if id_col is not None and id_col < len(row) else None)
            if ident:
                self.by_id[ident] = gi
            self.by_print.setdefault(row_fingerprint(row, self.positions), []).append(gi)
        self.planned: dict[Any, dict[str, Any]] = {}
        for w in _writes(self.changes):
            key = w.row.id or ("row", w.row.fingerprint)
            kind = "fill" if isinstance(w, FillWrite) else "cell"
            self.planned.setdefault(key, {})[f"{kind}:{w.column}"] = (
                w.colour if isinstance(w, FillWrite) else w.value
            )

    def read_row(self, fingerprint: tuple) -> int | None:
        """The row of the read with these user cells, when exactly one has them."""
        found = self.by_print.get(fingerprint, [])
        return found[0] if len(found) == 1 else None

    def own(self, ident: str | None, fingerprint: tuple, gi: int | None, kind: str, column: str) -> Any:
        """The value (or fill) a row should hold in ``column``: planned this run, else as read."""
        planned = self.planned.get(ident or ("row", fingerprint), {})
        if f"{kind}:{column}" in planned:
            return planned[f"{kind}:{column}"]
        if gi is None:
            return None
        col = self.positions.get(column)
        if col is None:
            return None
        if kind == "fill":
            return self.fills.get((gi, col))
        row = self.grid[gi]
        return row[col] if col < len(row) else None


@dataclass
class _Fix(ChangeSet):
    """The writes that put rows right, and what to tell the person."""

    notes: list[str] = field(default_factory=list)


def _landed_right(stamp: Stamp, row: Sequence[Any], id_col: int | None, positions: dict[str, int]) -> bool:
    now_id = _id_text(row[id_col] if id_col is not None and id_col < len(row) else None)
    if stamp.ref.id:
        return now_id == stamp.ref.id
    filled = _id_text(stamp.cells.get("ID"))
    return now_id == filled and row_fingerprint(row, positions) == stamp.ref.fingerprint


def repairs(
    ledger: Ledger, landed: dict[str, int], grid: list[list[Any]], seen: Seen
) -> tuple[_Fix | None, int]:
    """Writes that undo every stamp of the round that landed on another row: (change set, rows).

    The row that received another row's values gets its own back (planned this run, else as
    read; its ID as read when followsync had written one over it, blank when it had none), and
    the meant row's values are written again where that row is now (by ID), or skipped when it
    is gone. None when every stamp landed on its row.
    """
    header = locate_header(grid)
    if header is None:
        return None, 0
    positions = header.positions
    id_col = positions.get("ID")
    fix = _Fix("", header.row)
    moved = 0
    for value, stamp in ledger.stamps.items():
        j = landed.get(value)
        if j is None:
            continue  # the row that received it was deleted since: nothing of it is left to misplace
        row = grid[j] if j < len(grid) else []
        if _landed_right(stamp, row, id_col, positions):
            continue
        moved += 1
        print_now = row_fingerprint(row, positions)
        now_id = _id_text(row[id_col] if id_col is not None and id_col < len(row) else None) or None
        if "ID" in stamp.cells:
            # followsync wrote an ID here: the row's own ID is the one the read saw on these user cells.
            gi = seen.read_row(print_now)
            own_id = None
            if gi is not None and seen.positions.get("ID") is not None:
                cells = seen.grid[gi]
                c = seen.positions["ID"]
                own_id = _id_text(cells[c] if c < len(cells) else None) or None
        else:
            own_id = now_id
            gi = seen.by_id.get(now_id) if now_id else seen.read_row(print_now)
        here = RowRef(now_id, j, print_now)
        for column in stamp.cells:
            back = own_id if column == "ID" else seen.own(own_id, print_now, gi, "cell", column)
            fix.cells.append(CellWrite(here, column, back))
        for column in stamp.fills:
            fix.fills.append(FillWrite(here, column, seen.own(own_id, print_now, gi, "fill", column)))
        if stamp.ref.id:  # the meant row, wherever it is now
            fix.cells += [CellWrite(stamp.ref, c, v) for c, v in stamp.cells.items()]
            fix.fills += [FillWrite(stamp.ref, c, v) for c, v in stamp.fills.items()]
        else:  # a row without an ID can't be told from others once moved: the next run finds it
            fix.notes.append(
                f"sheet row {stamp.ref.index + 1} moved while followsync wrote it (it had no ID yet); "
                "put back what landed elsewhere, run followsync again"
            )
    return (fix if fix else None), moved
