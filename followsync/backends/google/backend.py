"""A tracker in Google Sheets, through the real gspread and google-auth clients.

Calls per run:

- :meth:`GoogleSheetsBackend.read` asks for what a run uses and nothing else (issue 19): the
  worksheets' properties and protected ranges (``spreadsheets.get`` with a ``fields`` mask),
  every value (``values.batchGet`` with ``UNFORMATTED_VALUE`` and ``SERIAL_NUMBER``: numbers,
  dates as serial numbers, text, booleans, error values, formulas as their result) and the
  backgrounds of the colour columns only (``spreadsheets.get`` over those columns). Every
  request asks for compact JSON (``prettyPrint=false``), and trackers sharing a credentials
  file share one token (:func:`~.auth.shared_credentials`).
- ``apply`` (:mod:`.writer`) writes in batchUpdates of whole rows that fit Google's request size
  (:mod:`.writes`): for each, a re-read of the worksheet's ID and user columns (``values`` with
  ``UNFORMATTED_VALUE`` and ``SERIAL_NUMBER``) just before writing, every row found by its ID in
  that fresh grid (:func:`~followsync.backends.base.locate`), and ONE ``spreadsheets.batchUpdate``
  of its values, colours and row stamps (History, Summary, added headers and the warning-only
  protection go in the first or last), which Google applies atomically. Then ONE read finds
  where the row stamps are (developer metadata moves with its row) and puts back what a coach's
  sort, insert or delete made land on another row; ONE batchUpdate removes the stamps. No
  change, no call.

So a quiet day is the 3 calls of the read; a run that fits one batch adds 1 re-read + 1 write
+ 1 check + 1 tidy-up. The re-read, not a row number remembered from :meth:`read`, is what
keeps a coach's edit before the write from putting a value on another row; the stamps catch one
while the write is on its way. (No batchUpdate request can address cells through developer
metadata, which is why the stamps are checked after the write rather than written through.)

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

from ...core.cells import normalize_header, parse_date
from ...core.changes import Snapshot
from ...core.layout import Layout
from ...core.own_sheets import find_title, is_own
from ...core.schema import BY_NAME, COLOUR_COLUMNS, USER_COLUMNS, column_letter, locate_header
from ...errors import RemoteError, TrackerError, TrackerNotFound, UsageError
from ..base import Backend
from ..http import GOOGLE_MAX_WAIT, GaveUp, google_policy
from . import auth as google_auth
from .location import parse_location
from .requests import (
    LayoutTarget,
    SheetInfo,
    layout_requests,
    new_sheet_id,
    protect_requests,
)
from .transport import (
    ENV_API_URL,
    RetryingHTTPClient,
    api_error,
    api_status,
    gave_up_error,
    mount,
    refresh_error,
)
from .wire import (
    BACKGROUND_FIELDS,
    META_FIELDS,
    READ_FIELDS,
    VALUE_PARAMS,
    a1_sheet,
    grid_from_ranges,
    grid_from_sheet,
    grid_from_values,
    with_columns,
)
from .writer import Writer

if TYPE_CHECKING:
    from ...config import Config

DEFAULT_SHEET = "Tracker"
ROLES = ("reader", "commenter", "writer")


# --------------------------------------------------------------------------------------
# The backend


class GoogleSheetsBackend(Writer, Backend):
    """One worksheet of a Google spreadsheet.

    The worksheet is the one with ``gid``, else the one titled ``worksheet``, else the one titled
    ``Tracker``, else the first. Credentials are loaded on the first request (see
    :mod:`followsync.backends.google.auth` for where they are looked for).
    """

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
        max_wait: float = GOOGLE_MAX_WAIT,
    ):
        self.key = key
        self.gid = gid
        self.worksheet = worksheet
        self.credentials_path = google_auth.credentials_path(credentials_path)
        self.api_url = api_url or os.environ.get(ENV_API_URL) or None
        self.timeout = timeout
        self.retry = google_policy(max_wait)
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

            self._creds = google_auth.shared_credentials(self.credentials_path)
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
        candidates = [
            s for s in sheets if not is_own(s["properties"].get("title", ""), self.own_sheets)
        ] or sheets
        return min(candidates, key=lambda s: s["properties"].get("index", 0))

    def read_sheet(self, name: str) -> list[list[Any]] | None:
        """Another worksheet's values (History), or None when the spreadsheet has none by that name."""
        meta = self._call(
            "list the worksheets",
            lambda h: h.spreadsheets_get(self.key, params={"fields": "sheets.properties(title)"}),
        )
        titles = [sh["properties"]["title"] for sh in meta.get("sheets", [])]
        name = find_title(titles, name) or name  # Google's titles ignore case
        if name not in titles:
            return None
        params = {"valueRenderOption": "UNFORMATTED_VALUE", "dateTimeRenderOption": "SERIAL_NUMBER"}
        body = self._call(
            f"read the {name} worksheet", lambda h: h.values_get(self.key, a1_sheet(name), params=params)
        )
        rows = grid_from_values(body.get("values", []))
        # Dates come back as serial numbers: a first column headed as a date (History's) is one.
        dated = bool(rows and rows[0]) and normalize_header(str(rows[0][0])) in ("date", "on", "when")
        for row in rows[1:] if dated else []:
            if row and isinstance(row[0], int | float) and not isinstance(row[0], bool):
                row[0] = parse_date(row[0])
        return rows

    def _remember(self, sheet: dict[str, Any]) -> SheetInfo:
        self._info = SheetInfo.of(sheet)
        return self._info

    def read(self, also: Sequence[str] = ()) -> Snapshot:
        """The worksheet's raw values and the colour columns' backgrounds: what a run uses, no more.

        Three small calls (issue 19): the worksheets' properties and protected ranges (which one
        is the tracker, its id and size); every value of the tracker, of the worksheets named in
        ``also`` (found without case) and of each other worksheet's first row, in one
        ``values.batchGet``; and the backgrounds of the
        colour columns' data rows only (none when there are no data rows).
        """
        what = "read the tracker"
        meta = self._call(what, lambda h: h.spreadsheets_get(self.key, params={"fields": META_FIELDS}))
        everything = meta.get("sheets", [])
        grids = [sh for sh in everything if sh["properties"].get("sheetType", "GRID") == "GRID"]
        info = self._remember(self._choose(grids))
        others = [t for t in (sh["properties"].get("title") for sh in grids) if t != info.title]
        # Google compares titles without case: each of ``also`` is the worksheet of that name in any case.
        wanted = {n: find_title(others, n) for n in also}
        whole = set(wanted.values())
        ranges = [a1_sheet(info.title)] + [
            a1_sheet(t) if t in whole else f"{a1_sheet(t)}!1:1" for t in others
        ]
        body = self._call(what, lambda h: h.values_batch_get(self.key, ranges, params=dict(VALUE_PARAMS)))
        parts = [grid_from_values(part.get("values", [])) for part in body.get("valueRanges", [])]
        parts += [[] for _ in range(len(ranges) - len(parts))]
        grid = parts[0]
        header = locate_header(grid, info.title)
        fills: dict[tuple[int, int], str] = {}
        if header is not None:
            info.key_columns = {
                c.name: header.positions[c.name] for c in USER_COLUMNS if c.name in header.positions
            }
            info.header_row = header.row
            cols = sorted({header.positions[n] for n in COLOUR_COLUMNS if n in header.positions})
            if cols and len(grid) > header.row + 1:
                fills = self._backgrounds(info.title, cols, header.row)
        self._narrowed = False
        self._all_sheets = [sh["properties"] for sh in everything]
        read = dict(zip([info.title, *others], parts, strict=True))
        self._first_rows = {title: (rows[:1] or [[]])[0] for title, rows in read.items()}
        sheets = {n: read.get(t, []) if t is not None else [] for n, t in wanted.items()}
        self._seen = (grid, fills)
        return Snapshot(info.title, grid, fills, sheets=sheets)

    def _backgrounds(self, title: str, cols: list[int], header_row: int) -> dict[tuple[int, int], str]:
        """The backgrounds set on columns ``cols`` below the header (0-based positions)."""
        runs: list[list[int]] = []
        for c in cols:
            if runs and runs[-1][1] == c - 1:
                runs[-1][1] = c
            else:
                runs.append([c, c])
        top = header_row + 2  # the first data row, 1-based
        # Open-ended ranges: rows added since the values were read can't put them past the grid.
        ranges = [f"{a1_sheet(title)}!{column_letter(a)}{top}:{column_letter(b)}" for a, b in runs]
        params = {"includeGridData": "true", "ranges": ranges, "fields": BACKGROUND_FIELDS}
        body = self._call("read the tracker's colours", lambda h: h.spreadsheets_get(self.key, params=params))
        fills: dict[tuple[int, int], str] = {}
        for sheet in body.get("sheets", []) or []:
            fills.update(grid_from_sheet(sheet)[1])
        wanted = set(cols)
        return {k: v for k, v in fills.items() if k[1] in wanted and k[0] > header_row}

    def _reread(self, full: bool = False, also: Sequence[str] = ()) -> list[list[Any]]:
        """The worksheet's values now, just before writing: what :func:`locate` needs, in one call.

        That is the rows down to the header in full, the columns from A to the last of the ID and
        the user's columns, and the columns ``also`` names (those about to be written, to leave a
        cell typed meanwhile alone: :mod:`..stale`); followsync's other columns are left out.
        Should the header have moved down, a key or written column now lie elsewhere (a coach
        inserted or moved columns), or the range no longer fit the grid, the whole sheet is read
        instead (one more call, only then).
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
            read = locate_header(self._seen[0], info.title) if also else None
            written = {n: read.positions[n] for n in also if n in read.positions} if read else {}
            extra = sorted({c for c in written.values() if c > last})
            ranges = [f"{sheet}!1:{top}", f"{sheet}!A:{column_letter(last)}"]
            ranges += [f"{sheet}!{column_letter(c)}:{column_letter(c)}" for c in extra]

            def narrow(h: RetryingHTTPClient) -> Any:
                try:
                    return h.values_batch_get(self.key, ranges, params=dict(params))
                except APIError as e:
                    if api_status(e) == 400 and "parse range" not in str(e.error.get("message", "")).lower():
                        return None  # the grid shrank under the range
                    raise

            body = self._call(what, narrow)
            if body is not None:
                parts = body.get("valueRanges", [])
                grid = with_columns(grid_from_ranges(parts[:2]), parts[2:], extra)
                header = locate_header(grid, info.title)
                if (
                    header is not None
                    and header.row < top
                    and all(
                        pos <= last for name, pos in header.positions.items() if BY_NAME[name].owner == "user"
                    )
                    and all(header.positions.get(n) == c for n, c in written.items())
                ):
                    return grid
        body = self._call(what, lambda h: h.values_get(self.key, sheet, params=params))
        return grid_from_values(body.get("values", []))

    # -- writing (apply and its batches: .writer) ---------------------------------------

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
