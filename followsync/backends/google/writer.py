"""The write path of :class:`~followsync.backends.google.backend.GoogleSheetsBackend`: ``apply``.

A run's writes go out in batchUpdates of whole rows that fit Google's request size, each
re-read and located just before it is sent, the History and Summary in the last one; then one
read checks that every row's stamp sits on the row it was meant for and puts back what a
coach's sort, insert or delete made land elsewhere. The pure parts (splitting, stamps, what to
put back) are in :mod:`.writes`; the requests in :mod:`.requests`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from gspread.exceptions import APIError

from ...core.changes import UNREAD, Applied, CellWrite, ChangeSet, FillWrite, SheetWrite
from ...core.layout import load
from ...core.mailto import COLUMN as LINK_COLUMN
from ...core.own_sheets import find_title
from ...core.schema import BY_NAME, OWNED_NAMES, column_letter, locate_header
from ...errors import FollowsyncError, RemoteError, TrackerError, TrackerNotFound
from ..base import Located, foreign_sheet, locate
from ..http import GaveUp, RetryPolicy
from ..stale import grid_cell, keep_theirs
from .requests import (
    CellEdit,
    SheetInfo,
    column_requests,
    protect_requests,
    sheet_requests,
    update_cells_requests,
)
from .transport import RetryingHTTPClient, api_status, rate_limited, retry_after_of, short_message
from .wire import a1_sheet, grid_from_sheet, hex_to_color
from .writes import (
    BATCH_BYTES,
    MAX_REPAIRS,
    MAX_REQUEST_BYTES,
    STAMP_FIELDS,
    Ledger,
    Seen,
    Stamp,
    body_bytes,
    landed_stamps,
    repairs,
    split,
    stamp_request,
    stamps_of,
    unstamp_request,
)


class Writer:
    """``apply`` and its batches, for the backend that provides the connection and the re-read."""

    key: str
    retry: RetryPolicy
    _info: SheetInfo | None
    _all_sheets: list[dict[str, Any]] | None
    _first_rows: dict[str, list[Any]] | None
    #: the tracker's grid and fills as last read: what a row's own values were, to put them back
    _seen: tuple[list[list[Any]], dict[tuple[int, int], str]] = ([], {})
    _key_columns_now: dict[str, int] = {}  # noqa: RUF012 - replaced, never mutated
    _protect_pending = True
    _rows_seen = 0  # rows the last re-read saw
    #: what one batchUpdate of rows may hold (estimated); tests make it small
    batch_bytes = BATCH_BYTES

    if TYPE_CHECKING:

        def _call(self, what: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any: ...
        def _reread(self, full: bool = False, also: Sequence[str] = ()) -> list[list[Any]]: ...
        def read(self) -> Any: ...

    def _sheet_requests(self, writes: list[SheetWrite]) -> tuple[list[dict[str, Any]], list[str]]:
        """Requests that append History rows (or replace or update a sheet in place), in the same
        batchUpdate, and what to tell the person: the worksheets left alone as theirs.

        The worksheets are found in what :meth:`read` saw when it read them all; after a read
        narrowed to one named worksheet, one metadata call finds them. A write that brings a
        chart to a worksheet already there reads that worksheet's charts, to replace them.
        """
        if self._all_sheets is not None:
            sheets = [{"properties": dict(p)} for p in self._all_sheets]  # the read saw them all
        else:
            meta = self._call(
                "list the worksheets",
                lambda h: h.spreadsheets_get(
                    self.key, params={"fields": "sheets.properties(sheetId,title,gridProperties(rowCount))"}
                ),
            )
            sheets = meta.get("sheets", [])
        titles = [sh["properties"]["title"] for sh in sheets]
        first_rows = dict(self._first_rows or {})
        charted = False
        for sw in writes:
            title = find_title(titles, sw.name)
            if title is not None and sw.mode == "append" and title not in first_rows:
                first_rows[title] = self._first_row(title)  # a narrowed read did not see that worksheet
            charted = charted or (title is not None and sw.mode != "append" and sw.chart is not None)
        reqs, foreign = sheet_requests(writes, sheets, first_rows, self._charts() if charted else None)
        return reqs, [foreign_sheet(name) for name in foreign]

    def _charts(self) -> dict[int, list[int]]:
        """The chart ids on each worksheet, by sheetId."""
        body = self._call(
            "list the charts",
            lambda h: h.spreadsheets_get(self.key, params={"fields": "sheets(properties(sheetId),charts(chartId))"}),
        )
        return {
            sh["properties"]["sheetId"]: [c["chartId"] for c in sh.get("charts", []) if "chartId" in c]
            for sh in body.get("sheets", [])
        }

    def _first_row(self, name: str) -> list[Any]:
        params = {"valueRenderOption": "UNFORMATTED_VALUE", "majorDimension": "ROWS"}
        body = self._call(
            f"read the {name} worksheet",
            lambda h: h.values_get(self.key, f"{a1_sheet(name)}!1:1", params=params),
        )
        values = body.get("values", [])
        return values[0] if values else []

    def apply(self, changes: ChangeSet, *, force: bool = False) -> Applied:
        """Write ``changes`` in atomic batchUpdates of whole rows, rows found by ID in a fresh re-read.

        A no-op change set makes no call. The writes are split into batches that fit Google's
        request size (:func:`.writes.split`), each re-read, located and sent in turn; the History
        and Summary go in the last. Every written row is stamped, and after the last batch one read
        checks that every stamp sits on the row it was meant for, and puts back what a coach's sort,
        insert or delete made land elsewhere (:func:`.writes.repairs`). Rows that moved are
        followed; rows that are gone, or blank-ID rows that changed, are skipped and listed in
        ``Applied.skipped``.

        A write Google refused for the rate (429) is retried after the wait, with a new re-read
        and new row positions, since a coach may have sorted meanwhile. A write whose outcome is
        unknown (a timeout, a dropped connection, a 5xx) is never sent again: the run stops and
        says so; running again is safe, because rows are found by ID and nothing is appended twice.
        """
        if not changes:
            return Applied()
        if self._info is None:
            self.read()
        total = Applied()
        ledger = Ledger()
        self._protect_pending = True
        for part in split(changes, self.batch_bytes):
            self._write_part(part, ledger, total)
        self._settle(changes, ledger, total)
        return total

    def _write_part(self, part: ChangeSet, ledger: Ledger, total: Applied, budget: int | None = None) -> None:
        """Write one batch of whole rows (re-read, locate, send), retrying a 429 with a new re-read."""
        waited, attempt = 0.0, 0
        while True:
            attempt += 1
            applied, reqs, needed, stamps = self._prepare(part, ledger)
            if not reqs:
                _add(total, applied)
                return
            if body_bytes({"requests": reqs}) > MAX_REQUEST_BYTES:
                self._split_again(part, ledger, total, budget or self.batch_bytes)
                return
            retry_after = self._write_once(reqs, written_before=total.write_calls)
            if retry_after is False:
                applied.write_calls = 1
                _add(total, applied)
                ledger.stamps.update(stamps)
                ledger.made = ledger.made or bool(stamps)
                self._protect_pending = False
                assert self._info is not None
                self._info.column_count = max(self._info.column_count, needed)
                return
            wait = self.retry.next_wait(attempt, waited, retry_after or None)
            if wait is None:
                break
            self.retry.wait(wait, "Google's per-minute write quota to refill")
            waited += wait
        done = (
            f"the {total.write_calls} batch(es) before it were written, the rest was not"
            if total.write_calls
            else "nothing was written"
        )
        raise RemoteError(
            f"Google Sheets kept answering 429 (too many requests) to the write; gave up after {attempt} attempts and "
            f"{waited:.0f}s of waiting, {done}. Try again later."
        )

    def _split_again(self, part: ChangeSet, ledger: Ledger, total: Applied, budget: int) -> None:
        """A batch whose body came out over Google's limit: send it in halves, or refuse one row that is."""
        halves = split(part, budget // 2)
        if len(halves) < 2:
            assert self._info is not None
            raise TrackerError(
                f"sheet {self._info.title!r}: one row's cells make a request over Google's limit of "
                f"{MAX_REQUEST_BYTES:,} bytes; nothing more was written.",
                hint="Shorten the longest cells of that row (drafts, Notes) and run again.",
            )
        for half in halves:
            self._write_part(half, ledger, total, budget // 2)

    def _settle(self, changes: ChangeSet, ledger: Ledger, total: Applied) -> None:
        """Check every stamp of the writes sits on its row, put back what landed elsewhere, unstamp."""
        if not ledger.made:
            return
        seen = Seen(self._seen[0], self._seen[1], changes)
        for attempt in range(MAX_REPAIRS + 1):
            if not ledger.stamps:
                break
            landed, grid = self._where_stamps(ledger)
            fix, moved = repairs(ledger, landed, grid, seen)
            ledger.next_round()
            if fix is None:
                break
            if attempt == MAX_REPAIRS:
                total.skipped.append(
                    f"rows kept moving while followsync wrote them; {moved} may hold another row's values, "
                    "run followsync again"
                )
                break
            fix.sheet = changes.sheet
            total.skipped += [n for n in fix.notes if n not in total.skipped]
            repaired = Applied()
            for part in split(fix, self.batch_bytes):
                self._write_part(part, ledger, repaired)
            total.write_calls += repaired.write_calls
            total.skipped += [s for s in repaired.skipped if s not in total.skipped]
        try:
            self._call(
                "tidy up its row stamps",
                lambda h: h.batch_update(self.key, {"requests": [unstamp_request()]}),
            )
            total.write_calls += 1
        except FollowsyncError:
            total.skipped.append("followsync's row stamps (invisible) were left; the next run removes them")

    def _where_stamps(self, ledger: Ledger) -> tuple[dict[str, int], list[list[Any]]]:
        """Where this round's stamps are now, and the ID and user columns there, in one call."""
        assert self._info is not None
        info = self._info
        sheet = a1_sheet(info.title)
        last = max(self._key_columns_now.values(), default=-1)
        # The rows the re-read saw and some: stamps move down only as far as rows are inserted,
        # and a stamp not found there makes the check read the whole sheet.
        bottom = min(self._rows_seen + 200, info.row_count)
        ranges = (
            [sheet]
            if last < 0
            else [f"{sheet}!1:{info.header_row + 1}", f"{sheet}!A1:{column_letter(last)}{bottom}"]
        )
        for full in (False, True):
            params = {
                "fields": STAMP_FIELDS,
                "includeGridData": "true",
                "ranges": [sheet] if full else ranges,
            }

            def get(h: RetryingHTTPClient, p: dict[str, Any] = params, full: bool = full) -> Any:
                try:
                    return h.spreadsheets_get(self.key, params=p)
                except APIError as e:
                    if not full and api_status(e) == 400:
                        return {}  # the grid shrank under the range: read it whole
                    raise

            meta = self._call("check where its writes landed", get)
            if not meta and not full:
                continue
            found = next(
                (s for s in meta.get("sheets", []) if s["properties"].get("sheetId") == info.sheet_id), None
            )
            if found is None:
                raise TrackerNotFound(
                    f"The worksheet {info.title!r} disappeared while followsync wrote it; run followsync again."
                )
            grid, _ = grid_from_sheet(found)
            header = locate_header(grid, info.title)
            landed = landed_stamps(found, f"{ledger.token}:{ledger.round}:")
            if full or (
                header is not None
                and len(landed) == len(ledger.stamps)
                and all(p <= last for n, p in header.positions.items() if BY_NAME[n].owner == "user")
            ):
                return landed, grid
        raise AssertionError("unreachable")

    def _write_once(self, reqs: list[dict[str, Any]], written_before: int = 0) -> float | None | bool:
        """Send the batchUpdate once: False when written, else the Retry-After (or None) of a
        rate-limit refusal. Any other failure raises; one whose outcome is unknown says so."""

        def send(h: RetryingHTTPClient) -> float | None | bool:
            try:
                h.batch_update(self.key, {"requests": reqs})
                return False
            except GaveUp as e:
                last = e.last
                if isinstance(last, APIError) and rate_limited(last):
                    return retry_after_of(last)
                what = (
                    f"answered {api_status(last)} ({short_message(last)})"
                    if isinstance(last, APIError)
                    else f"did not answer in time ({type(last).__name__})"
                )
                earlier = (
                    f" (the {written_before} batch(es) before it were written)" if written_before else ""
                )
                raise RemoteError(
                    f"Google Sheets {what} while followsync wrote the tracker; the write may or may not "
                    f"have happened{earlier}, so followsync did not send it again.",
                    hint="Run followsync again: it finds rows by ID and writes only what still differs.",
                ) from None

        policy = self.retry
        attempts, policy.max_attempts = policy.max_attempts, 1  # never resent inside the client
        try:
            return self._call("write the tracker", send)
        finally:
            policy.max_attempts = attempts

    def _prepare(
        self, changes: ChangeSet, ledger: Ledger
    ) -> tuple[Applied, list[dict[str, Any]], int, dict[str, Stamp]]:
        """Re-read, find every row and column, and build the requests: (applied, requests, width, stamps)."""
        assert self._info is not None
        info = self._info
        # New columns go right of the header: a run that adds some reads the whole width, the
        # person's unheaded columns included, so it never writes over them.
        also = sorted({cw.column for cw in changes.cells if cw.was is not UNREAD})
        grid = self._reread(full=bool(changes.add_columns), also=also)
        self._rows_seen = len(grid)
        where = locate(changes, grid)
        changes, theirs = keep_theirs(changes, where, grid_cell(grid))  # typed since the read: kept
        self._check_new_columns(grid, where.header_row, where.new_columns)
        self._key_columns_now = {
            n: c for n, c in where.columns.items() if n in BY_NAME and BY_NAME[n].owner == "user"
        }
        applied = Applied(skipped=list(where.skipped) + theirs, columns_added=len(where.new_columns))
        reqs: list[dict[str, Any]] = []
        needed = max(where.columns.values(), default=-1) + 1
        if needed > info.column_count:
            reqs.append(
                {
                    "appendDimension": {
                        "sheetId": info.sheet_id,
                        "dimension": "COLUMNS",
                        "length": needed - info.column_count,
                    }
                }
            )
        reqs += self._dress_new_columns(where.header_row, where.new_columns)
        cells = _cell_edits(changes, where, applied)
        reqs += update_cells_requests(info.sheet_id, cells)
        stamps: dict[str, Stamp] = {}
        for gi, stamp in stamps_of(changes, where.rows, where.columns).items():
            ledger.seq += 1
            stamps[ledger.value(ledger.seq)] = stamp
            reqs.append(
                stamp_request(info.sheet_id, gi, ledger.value(ledger.seq), ledger.first_id + ledger.seq)
            )
        if changes.sheets:
            more, foreign = self._sheet_requests(changes.sheets)
            reqs += more
            applied.skipped += foreign
        if reqs and self._protect_pending:
            owned = [where.columns[n] for n in OWNED_NAMES if n in where.columns]
            reqs += protect_requests(info, owned)
        return applied, reqs, needed, stamps

    def _dress_new_columns(self, header_row: int, new_columns: dict[str, int]) -> list[dict[str, Any]]:
        """What ``init`` gives a column, for the columns a run adds: the header's note, fill and
        wrapping, the cells' number format and wrapping, drop-down or checkbox, width, hidden."""
        if not new_columns:
            return []
        assert self._info is not None
        layout = load()
        by_name = {lc.column.name: lc for lc in layout.columns}
        header_fill = {"backgroundColor": hex_to_color(layout.header_fill), "textFormat": {"bold": True}}
        reqs: list[dict[str, Any]] = []
        for name, col in new_columns.items():
            if name in by_name:
                reqs += column_requests(self._info.sheet_id, header_row, col, by_name[name], header_fill, False)
        return reqs

    def _check_new_columns(self, grid: list[list[Any]], header_row: int, new_columns: dict[str, int]) -> None:
        """Refuse to add a column over values the person keeps there without a header."""
        assert self._info is not None
        for name, col in new_columns.items():
            taken = next(
                (
                    gi
                    for gi in range(header_row + 1, len(grid))
                    if col < len(grid[gi]) and grid[gi][col] not in (None, "")
                ),
                None,
            )
            if taken is not None:
                letter = column_letter(col)
                raise TrackerError(
                    f"sheet {self._info.title!r}: column {letter} has no header but holds values (row {taken + 1}); "
                    f"followsync would add its column {name!r} there. Nothing was written.",
                    hint=f"Give column {letter} a header, or move its values, and run again.",
                )


def _cell_edits(changes: ChangeSet, where: Located, applied: Applied) -> dict[int, dict[int, CellEdit]]:
    """Every cell to write, by grid row and column where they are now (added headers too),
    counted into ``applied``; cells of a column deleted meanwhile are skipped, with a message."""
    cells: dict[int, dict[int, CellEdit]] = {}
    for name, col in where.new_columns.items():
        cells.setdefault(where.header_row, {})[col] = CellEdit(value=name, set_value=True)
    gone: set[str] = set()
    writes: list[CellWrite | FillWrite] = [*changes.cells, *changes.fills]
    for ch in writes:
        gi = where.rows.get(ch.row)
        if gi is None:
            continue  # skipped by locate, with its message
        if ch.column not in where.columns:
            gone.add(ch.column)
            continue
        c = cells.setdefault(gi, {}).setdefault(where.columns[ch.column], CellEdit())
        if isinstance(ch, FillWrite):
            c.colour, c.set_fill = ch.colour, True
            applied.fills += 1
        else:
            c.value, c.set_value, c.link = ch.value, True, ch.column == LINK_COLUMN
            applied.cells += 1
    applied.skipped += [
        f"column {name!r} is gone (deleted while followsync ran); skipped its cells, run followsync again"
        for name in sorted(gone)
    ]
    return cells


def _add(total: Applied, part: Applied) -> None:
    """Count one batch's outcome into the run's."""
    total.cells += part.cells
    total.fills += part.fills
    total.columns_added += part.columns_added
    total.write_calls += part.write_calls
    total.skipped += [s for s in part.skipped if s not in total.skipped]
