"""A tracker in Google Sheets, through the real gspread and google-auth clients.

Calls per run are constant, whatever the number of rows:

- :meth:`GoogleSheetsBackend.read` is ONE ``spreadsheets.get`` with ``includeGridData`` and a
  tight ``fields`` mask: every cell's ``effectiveValue`` (numbers, dates as serial numbers,
  text, booleans and error values, formulas as their result), the background of cells that have
  one, the sheet's properties and its protected ranges.
- :meth:`GoogleSheetsBackend.apply` re-reads the worksheet's values (``values.get`` with
  ``UNFORMATTED_VALUE`` and ``SERIAL_NUMBER``) just before writing, finds every row by its ID
  in that fresh grid (:func:`~followsync.backends.base.locate`), and writes every value, colour,
  added header cell and the warning-only protection of followsync's columns in ONE
  ``spreadsheets.batchUpdate``, which Google applies atomically. No change, no call.

So a run is 1 read + 1 re-read + 1 write = 3 calls. The re-read, not a row number remembered
from :meth:`read`, is what keeps a coach's sort, insert or delete between read and write from
putting a value on another row. (Developer metadata on rows was considered and not used: no
batchUpdate request can address cells through it, so it would still need a read at write time.)

Every request carries a timeout; 429, 5xx and Drive's rate-limit 403s are retried with capped
exponential backoff and jitter, honouring ``Retry-After``, within a bound on the total wait
(:mod:`.transport`, on :mod:`followsync.backends.http`). The requests are built by the pure
functions of :mod:`.requests`, and cells cross the wire through :mod:`.wire`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import requests
from gspread.exceptions import APIError

from ...core.cells import parse_date
from ...core.changes import Applied, CellWrite, ChangeSet, FillWrite, SheetWrite, Snapshot
from ...core.layout import Layout
from ...core.schema import BY_NAME, COLOUR_COLUMNS, OWNED_NAMES, USER_COLUMNS, column_letter, locate_header
from ...errors import RemoteError, TrackerError, TrackerNotFound, UsageError
from ..base import Backend, foreign_sheet, locate
from ..http import GaveUp, RetryPolicy
from . import auth as google_auth
from .location import parse_location
from .requests import (
    CellEdit,
    LayoutTarget,
    SheetInfo,
    layout_requests,
    new_sheet_id,
    protect_requests,
    sheet_requests,
    update_cells_requests,
)
from .transport import (
    ENV_API_URL,
    RetryingHTTPClient,
    api_error,
    api_status,
    gave_up_error,
    mount,
    rate_limited,
    refresh_error,
    retry_after_of,
    short_message,
)
from .wire import READ_FIELDS, a1_sheet, grid_from_ranges, grid_from_sheet, grid_from_values

if TYPE_CHECKING:
    from ...config import Config

DEFAULT_SHEET = "Tracker"
ROLES = ("reader", "commenter", "writer")


# --------------------------------------------------------------------------------------
# The backend


class GoogleSheetsBackend(Backend):
    """One worksheet of a Google spreadsheet.

    The worksheet is the one with ``gid``, else the one titled ``worksheet``, else the one titled
    ``Tracker``, else the first. Credentials are loaded on the first request (see
    :mod:`followsync.backends.google.auth` for where they are looked for).
    """

    companion_sheets = ("Summary",)
    _narrowed = False  # whether the last read covered one named worksheet only
    _all_sheets: list[dict[str, Any]] | None = None  # every worksheet's properties, when it did not
    _first_rows: dict[str, list[Any]] | None = None  # each worksheet's first row, as read

    def __init__(
        self,
        key: str,
        *,
        gid: int | None = None,
        worksheet: str | None = None,
        credentials_path: Path | None = None,
        api_url: str | None = None,
        timeout: float = 30,
        max_wait: float = 120,
    ):
        self.key = key
        self.gid = gid
        self.worksheet = worksheet
        self.credentials_path = google_auth.credentials_path(credentials_path)
        self.api_url = api_url or os.environ.get(ENV_API_URL) or None
        self.timeout = timeout
        self.retry = RetryPolicy(max_wait=max_wait)
        self.location = f"https://docs.google.com/spreadsheets/d/{key}" + (
            f"#gid={gid}" if gid is not None else ""
        )
        self._http: RetryingHTTPClient | None = None
        self._creds: google_auth.LoadedCredentials | None = None
        self._info: SheetInfo | None = None

    @classmethod
    def from_location(
        cls, location: str, config: Config, worksheet: str | None = None
    ) -> GoogleSheetsBackend:
        """The backend for a ``--tracker`` URL or key, with credentials from the environment or config."""
        parsed = parse_location(location)
        if parsed is None:
            raise UsageError(
                f"{location!r} is not a Google Sheets URL or key; copy the sheet's URL from the browser's address bar."
            )
        key, gid = parsed
        configured = getattr(config, "google_credentials", None)
        explicit = os.environ.get(google_auth.ENV_CREDENTIALS) or configured
        return cls(
            key,
            gid=gid,
            worksheet=worksheet if worksheet is not None else getattr(config, "worksheet", None),
            credentials_path=Path(explicit) if explicit else None,
        )

    # -- connection --------------------------------------------------------------------

    @property
    def http(self) -> RetryingHTTPClient:
        """gspread's HTTP client on an AuthorizedSession, made on first use."""
        if self._http is None:
            from google.auth.transport.requests import AuthorizedSession, Request

            self._creds = google_auth.load_credentials(self.credentials_path)
            token_session = requests.Session()
            mount(token_session, self.api_url)
            session = AuthorizedSession(
                self._creds.credentials,
                refresh_timeout=self.timeout,
                auth_request=Request(token_session),
            )
            mount(session, self.api_url)
            self._http = RetryingHTTPClient(session, self.timeout, self.retry)
        return self._http

    def close(self) -> None:
        if self._http is not None:
            self._http.session.close()
            self._http = None

    def _call(self, what: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run one API call, turning every failure into a followsync error that says what to do."""
        from google.auth.exceptions import RefreshError, TransportError

        http = self.http
        try:
            return fn(http, *args, **kwargs)
        except GaveUp as e:
            raise gave_up_error(e, what) from None
        except APIError as e:
            raise api_error(
                e,
                what,
                key=self.key,
                credentials=self.credentials_path,
                creds=self._creds,
                title=self._title_hint(),
            ) from None
        except RefreshError as e:
            raise refresh_error(e, credentials=self.credentials_path, creds=self._creds) from None
        except (TransportError, requests.RequestException) as e:
            raise RemoteError(
                f"Could not reach Google ({type(e).__name__}) while followsync tried to {what}; "
                "nothing was written. Check the network and try again."
            ) from None

    def _title_hint(self) -> str:
        return self._info.title if self._info else self.worksheet or DEFAULT_SHEET

    # -- reading -----------------------------------------------------------------------

    def _fetch(self, fields: str, grid: bool, what: str, narrow: bool = True) -> dict[str, Any]:
        params: dict[str, Any] = {"fields": fields, "includeGridData": "true" if grid else "false"}
        # A known title narrows the grid data to that worksheet; otherwise every worksheet's comes
        # back and the choice is made here, which keeps it to one call.
        title = self._info.title if self._info else (self.worksheet if self.gid is None else None)
        self._narrowed = bool(grid and title and narrow)
        if grid and title and narrow:
            params["ranges"] = a1_sheet(title)
        return self._call(what, lambda h: h.spreadsheets_get(self.key, params=params))

    def _choose(self, sheets: list[dict[str, Any]]) -> dict[str, Any]:
        by_title = {s["properties"].get("title"): s for s in sheets}
        if self.gid is not None:
            for s in sheets:
                if s["properties"].get("sheetId") == self.gid:
                    return s
            raise TrackerNotFound(
                f"The spreadsheet {self.key} has no worksheet with gid {self.gid}; its worksheets are "
                f"{', '.join(map(repr, by_title))}. Check the #gid= part of the URL."
            )
        want = self.worksheet or (self._info.title if self._info else None)
        if want is not None:
            if want in by_title:
                return by_title[want]
            raise TrackerNotFound(
                f"The spreadsheet {self.key} has no worksheet named {want!r}; its worksheets are "
                f"{', '.join(map(repr, by_title))}. Check [tracker] worksheet."
            )
        if DEFAULT_SHEET in by_title:
            return by_title[DEFAULT_SHEET]
        if not sheets:
            raise TrackerNotFound(f"The spreadsheet {self.key} has no worksheets.")
        # followsync's own Summary is the first tab (and History may be): never the tracker.
        ours = {*self.companion_sheets, "History"}
        candidates = [s for s in sheets if s["properties"].get("title") not in ours] or sheets
        return min(candidates, key=lambda s: s["properties"].get("index", 0))

    def _sheet_requests(self, writes: list[SheetWrite]) -> tuple[list[dict[str, Any]], list[str]]:
        """Requests that append History rows (or replace a sheet), in the same batchUpdate, and the
        worksheets left alone as the person's own.

        The worksheets are found in what :meth:`read` saw when it read them all; after a read
        narrowed to one named worksheet, one metadata call finds them.
        """
        if self._all_sheets is not None:
            sheets = [{"properties": dict(p)} for p in self._all_sheets]  # the read saw them all
        else:
            meta = self._call(
                "list the worksheets",
                lambda h: h.spreadsheets_get(self.key, params={"fields": "sheets.properties(sheetId,title)"}),
            )
            sheets = meta.get("sheets", [])
        titles = {sh["properties"]["title"] for sh in sheets}
        first_rows = dict(self._first_rows or {})
        for sw in writes:
            if sw.name in titles and sw.mode == "append" and sw.name not in first_rows:
                first_rows[sw.name] = self._first_row(sw.name)  # a narrowed read did not see that worksheet
        return sheet_requests(writes, sheets, first_rows)

    def _first_row(self, name: str) -> list[Any]:
        params = {"valueRenderOption": "UNFORMATTED_VALUE", "majorDimension": "ROWS"}
        body = self._call(
            f"read the {name} worksheet",
            lambda h: h.values_get(self.key, f"{a1_sheet(name)}!1:1", params=params),
        )
        values = body.get("values", [])
        return values[0] if values else []

    def read_sheet(self, name: str) -> list[list[Any]] | None:
        """Another worksheet's values (History), or None when the spreadsheet has none by that name."""
        meta = self._call(
            "list the worksheets",
            lambda h: h.spreadsheets_get(self.key, params={"fields": "sheets.properties(title)"}),
        )
        if name not in {sh["properties"]["title"] for sh in meta.get("sheets", [])}:
            return None
        params = {"valueRenderOption": "UNFORMATTED_VALUE", "dateTimeRenderOption": "SERIAL_NUMBER"}
        body = self._call(
            f"read the {name} worksheet", lambda h: h.values_get(self.key, a1_sheet(name), params=params)
        )
        rows = grid_from_values(body.get("values", []))
        # Dates come back as serial numbers: History's first column is its Date.
        for row in rows[1:]:
            if row and isinstance(row[0], int | float) and not isinstance(row[0], bool):
                row[0] = parse_date(row[0])
        return rows

    def _remember(self, sheet: dict[str, Any]) -> SheetInfo:
        self._info = SheetInfo.of(sheet)
        return self._info

    def read(self) -> Snapshot:
        """The worksheet's raw values and the colour columns' backgrounds, in one API call."""
        meta = self._fetch(READ_FIELDS, True, "read the tracker")
        sheet = self._choose(meta.get("sheets", []))
        info = self._remember(sheet)
        grid, all_fills = grid_from_sheet(sheet)
        header = locate_header(grid, info.title)
        fills: dict[tuple[int, int], str] = {}
        if header is not None:
            cols = {header.positions[n] for n in COLOUR_COLUMNS if n in header.positions}
            fills = {k: v for k, v in all_fills.items() if k[1] in cols and k[0] > header.row}
            info.key_columns = {
                c.name: header.positions[c.name] for c in USER_COLUMNS if c.name in header.positions
            }
            info.header_row = header.row
        # The Summary (issue "coach") comes along when the read covered every worksheet; a read
        # narrowed to one named worksheet can't tell, and the run then leaves the Summary alone.
        sheets: dict[str, list[list[Any]]] = {}
        everything = meta.get("sheets", [])
        self._all_sheets = None if self._narrowed else [sh["properties"] for sh in everything]
        self._first_rows = {
            sh["properties"].get("title"): (grid_from_sheet(sh)[0][:1] or [[]])[0] for sh in everything
        }
        summary = next((sh for sh in everything if sh["properties"].get("title") == "Summary"), None)
        if summary is not None:
            sheets["Summary"] = grid_from_sheet(summary)[0]
        elif len(everything) > 1 or not self._narrowed:
            sheets["Summary"] = []
        return Snapshot(info.title, grid, fills, sheets=sheets)

    def _reread(self, full: bool = False) -> list[list[Any]]:
        """The worksheet's values now, just before writing: what :func:`locate` needs, in one call.

        That is the rows down to the header in full, and the columns from A to the last of the ID
        and the user's columns; followsync's own columns, the bulk of a tracker's bytes (the
        drafts), are left out. Should the header have moved down, a key column now lie beyond that
        range (a coach inserted or moved columns), or the range no longer fit the grid, the whole
        sheet is read instead (one more call, only then).
        """
        assert self._info is not None
        info = self._info
        params = {
            "valueRenderOption": "UNFORMATTED_VALUE",
            "dateTimeRenderOption": "SERIAL_NUMBER",
            "majorDimension": "ROWS",
        }
        what = "re-read the tracker before writing"
        sheet = a1_sheet(info.title)
        if info.key_columns and not full:
            last = max(info.key_columns.values())
            top = info.header_row + 1
            ranges = [f"{sheet}!1:{top}", f"{sheet}!A:{column_letter(last)}"]

            def narrow(h: RetryingHTTPClient) -> Any:
                try:
                    return h.values_batch_get(self.key, ranges, params=dict(params))
                except APIError as e:
                    if api_status(e) == 400 and "parse range" not in str(e.error.get("message", "")).lower():
                        return None  # the grid shrank under the range
                    raise

            body = self._call(what, narrow)
            if body is not None:
                grid = grid_from_ranges(body.get("valueRanges", []))
                header = locate_header(grid, info.title)
                if (
                    header is not None
                    and header.row < top
                    and all(
                        pos <= last for name, pos in header.positions.items() if BY_NAME[name].owner == "user"
                    )
                ):
                    return grid
        body = self._call(what, lambda h: h.values_get(self.key, sheet, params=params))
        return grid_from_values(body.get("values", []))

    # -- writing -----------------------------------------------------------------------

    def apply(self, changes: ChangeSet, *, force: bool = False) -> Applied:
        """Write ``changes`` in one atomic batchUpdate, rows found by ID in a fresh re-read.

        A no-op change set makes no call. Rows that moved are followed; rows that are gone, or
        blank-ID rows that changed, are skipped and listed in ``Applied.skipped``.

        A write Google refused for the rate (429) is retried after the wait, with a new re-read
        and new row positions, since a coach may have sorted meanwhile. A write whose outcome is
        unknown (a timeout, a dropped connection, a 5xx) is never sent again: the run stops and
        says so; running again is safe, because rows are found by ID and nothing is appended twice.
        """
        if not changes:
            return Applied()
        if self._info is None:
            self.read()
        waited, attempt = 0.0, 0
        while True:
            attempt += 1
            applied, reqs, needed = self._prepare(changes)
            if not reqs:
                return applied
            retry_after = self._write_once(reqs)
            if retry_after is False:
                applied.write_calls = 1
                assert self._info is not None
                self._info.column_count = max(self._info.column_count, needed)
                return applied
            wait = self.retry.next_wait(attempt, waited, retry_after or None)
            if wait is None:
                break
            self.retry.wait(wait, "Google Sheets (too many requests)")
            waited += wait
        raise RemoteError(
            f"Google Sheets kept answering 429 (too many requests) to the write; gave up after {attempt} attempts and "
            f"{waited:.0f}s of waiting, nothing was written. Try again later."
        )

    def _write_once(self, reqs: list[dict[str, Any]]) -> float | None | bool:
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
                raise RemoteError(
                    f"Google Sheets {what} while followsync wrote the tracker; the write may or may not "
                    "have happened, so followsync did not send it again.",
                    hint="Run followsync again: it finds rows by ID and writes only what still differs.",
                ) from None

        policy = self.retry
        attempts, policy.max_attempts = policy.max_attempts, 1  # never resent inside the client
        try:
            return self._call("write the tracker", send)
        finally:
            policy.max_attempts = attempts

    def _prepare(self, changes: ChangeSet) -> tuple[Applied, list[dict[str, Any]], int]:
        """Re-read, find every row and column, and build the requests: (applied, requests, width)."""
        assert self._info is not None
        info = self._info
        # New columns go right of the header: a run that adds some reads the whole width, the
        # person's unheaded columns included, so it never writes over them.
        grid = self._reread(full=bool(changes.add_columns))
        where = locate(changes, grid)
        self._check_new_columns(grid, where.header_row, where.new_columns)
        applied = Applied(skipped=list(where.skipped), columns_added=len(where.new_columns))
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
                c.value, c.set_value = ch.value, True
                applied.cells += 1
        applied.skipped += [
            f"column {name!r} is gone (deleted while followsync ran); skipped its cells, run followsync again"
            for name in sorted(gone)
        ]
        reqs += update_cells_requests(info.sheet_id, cells)
        if changes.sheets:
            more, foreign = self._sheet_requests(changes.sheets)
            reqs += more
            applied.skipped += [foreign_sheet(name) for name in foreign]
        if reqs:
            owned = [where.columns[n] for n in OWNED_NAMES if n in where.columns]
            reqs += protect_requests(info, owned)
        return applied, reqs, needed

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

    def protect(self, columns: Sequence[str]) -> None:
        """Warn (not block) anyone who edits ``columns``: a warning-only protected range over them."""
        snap = self.read()
        header = locate_header(snap.grid, snap.sheet)
        if header is None:
            raise TrackerError(
                f"Worksheet {snap.sheet!r} has no tracker header to protect; run `followsync init` first."
            )
        assert self._info is not None
        reqs = protect_requests(self._info, [header.positions[c] for c in columns if c in header.positions])
        if reqs:
            self._call("protect followsync's columns", lambda h: h.batch_update(self.key, {"requests": reqs}))

    def share(self, email: str, role: str = "writer", message: str | None = None) -> None:
        """Share the spreadsheet with ``email`` (a coach) through a Drive permission; Google emails them."""
        if role not in ROLES:
            raise UsageError(f"{role!r} is not a role; use one of {', '.join(ROLES)}.")
        if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email or ""):
            raise UsageError(f"{email!r} is not an email address.")
        self._call(
            f"share the sheet with {email}",
            lambda h: h.insert_permission(
                self.key, email, perm_type="user", role=role, notify=True, email_message=message
            ),
        )

    # -- init --------------------------------------------------------------------------

    def create(self, layout: Layout, rows: Sequence[dict[str, Any]] = ()) -> None:
        """Lay ``layout`` (and ``rows``) into a blank worksheet, or a new one, in ONE batchUpdate.

        The requests are :func:`~followsync.backends.google.requests.layout_requests`. A worksheet
        holding data is refused, unless it already is a followsync tracker: then the layout is laid
        again over the columns it has, and no value is written.
        """
        meta = self._fetch(READ_FIELDS, True, "look at the worksheet", narrow=False)
        sheets = meta.get("sheets", [])
        sheet, new_title = self._init_target(sheets, layout)
        if sheet is None:
            n_rows = max(1000, len(rows) + 100)
            info = SheetInfo(new_sheet_id(sheets), new_title, n_rows, len(layout.columns), 0, [])
            grid: list[list[Any]] = []
            self._info, new = info, True
        else:
            info, new = self._remember(sheet), False
            grid, _ = grid_from_sheet(sheet)
        header = locate_header(grid, info.title)
        if grid and header is None:
            raise UsageError(
                f"Worksheet {info.title!r} of spreadsheet {self.key} already holds data that is not a "
                "followsync tracker; followsync will not write over it. Use a blank worksheet "
                "(add one and pass its URL with #gid=, or set [tracker] worksheet)."
            )
        reqs = layout_requests(layout, LayoutTarget(info, header, new), rows)
        self._call("lay out the tracker", lambda h: h.batch_update(self.key, {"requests": reqs}))

    def _init_target(self, sheets: list[dict[str, Any]], layout: Layout) -> tuple[dict[str, Any] | None, str]:
        """The worksheet ``init`` lays the tracker into, or (None, title) for one to add."""
        if self.gid is not None or self.worksheet:
            try:
                return self._choose(sheets), ""
            except TrackerNotFound:
                if self.gid is not None:
                    raise
                return None, str(self.worksheet)
        titles = {s["properties"].get("title"): s for s in sheets}
        if layout.worksheet in titles:
            return titles[layout.worksheet], ""
        first = min(sheets, key=lambda s: s["properties"].get("index", 0)) if sheets else None
        if first is not None and not grid_from_sheet(first)[0]:
            return first, ""
        return None, layout.worksheet

    def lock_name(self) -> str:
        return f"gsheets-{self.key}-{self.gid if self.gid is not None else self.worksheet or ''}"
