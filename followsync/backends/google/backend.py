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
exponential backoff and jitter, honouring ``Retry-After``, within a bound on the total wait.
``$FOLLOWSYNC_GOOGLE_API_URL`` points the real clients at another server (the loopback emulator
in ``tests/emulators/google.py``) through a transport adapter that rewrites Google's hosts, so
gspread, google-auth and requests stay in the path.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import os
import random
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from gspread.exceptions import APIError
from gspread.http_client import HTTPClient

from ...core.cells import ERROR_LITERALS, CellError, parse_date
from ...core.changes import Applied, ChangeSet, ChartSpec, FillWrite, SheetWrite, Snapshot
from ...core.layout import Layout
from ...core.schema import BY_NAME, COLOUR_COLUMNS, OWNED_NAMES, USER_COLUMNS, column_letter, locate_header
from ...errors import AuthError, RemoteError, TrackerError, TrackerNotFound, UsageError
from ..base import Backend, locate
from . import auth as google_auth
from .location import parse_location

ENV_API_URL = "FOLLOWSYNC_GOOGLE_API_URL"
SHEETS_URL = "https://sheets.googleapis.com/v4/spreadsheets"
# The hosts the clients talk to; with an API URL set, all of them go there instead.
GOOGLE_HOSTS = (
    "https://sheets.googleapis.com",
    "https://www.googleapis.com",
    "https://oauth2.googleapis.com",
)
DEFAULT_SHEET = "Tracker"
PROTECT_DESCRIPTION = "followsync: columns followsync writes on every run"
DATE_PATTERN = "yyyy-mm-dd"
DATETIME_PATTERN = "yyyy-mm-dd hh:mm"
ROLES = ("reader", "commenter", "writer")

# What a read asks for, and nothing else (Sheets API "fields" partial-response syntax).
READ_FIELDS = (
    "sheets(properties(sheetId,title,index,gridProperties(rowCount,columnCount,frozenRowCount)),"
    "protectedRanges(protectedRangeId,description,warningOnly,range),"
    "data(startRow,startColumn,rowData(values(effectiveValue,userEnteredFormat/backgroundColor))))"
)
META_FIELDS = (
    "sheets(properties(sheetId,title,index,gridProperties(rowCount,columnCount,frozenRowCount)),"
    "protectedRanges(protectedRangeId,description,warningOnly,range))"
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


# --------------------------------------------------------------------------------------
# Transport: where requests go, how long they may take, and retrying


class ApiUrlAdapter(requests.adapters.HTTPAdapter):
    """Sends requests for Google's hosts to ``api_url`` instead (the emulator), path and query kept."""

    def __init__(self, api_url: str):
        super().__init__()
        self.api_url = api_url.rstrip("/")

    def send(self, request, *args, **kwargs):
        for host in GOOGLE_HOSTS:
            if request.url.startswith(host + "/"):
                request.url = self.api_url + request.url[len(host) :]
                break
        return super().send(request, *args, **kwargs)


def _mount(session: requests.Session, api_url: str | None) -> None:
    if api_url:
        adapter = ApiUrlAdapter(api_url)
        for host in GOOGLE_HOSTS:
            session.mount(host + "/", adapter)


@dataclass
class RetryPolicy:
    """Capped exponential backoff with jitter, honouring Retry-After, within ``max_wait`` seconds in all.

    ``sleep`` and ``random`` are injectable so tests assert the waits asked for, not wall time.
    """

    max_wait: float = 120.0
    base: float = 1.0
    cap: float = 32.0
    max_attempts: int = 8
    sleep: Callable[[float], None] = time.sleep
    random: Callable[[], float] = random.random
    waits: list[float] = field(default_factory=list)  # every wait requested, for tests and messages

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """The wait before attempt ``attempt + 1``: half fixed, half random, never under Retry-After."""
        backoff = min(self.cap, self.base * 2 ** (attempt - 1))
        wait = backoff / 2 + self.random() * backoff / 2
        return max(wait, retry_after) if retry_after is not None else wait


class GaveUp(Exception):
    """The retries ran out; ``last`` is the final error (an APIError or a requests exception)."""

    def __init__(self, last: Exception, attempts: int, waited: float):
        super().__init__(str(last))
        self.last, self.attempts, self.waited = last, attempts, waited


_RETRY_STATUS = {408, 429, 500, 502, 503, 504}
_RATE_REASONS = {"rateLimitExceeded", "userRateLimitExceeded"}


def _status(err: APIError) -> int:
    code = err.code if isinstance(err.code, int) and err.code > 0 else err.response.status_code
    return int(code)


def _reasons(err: APIError) -> set[str]:
    out = set()
    for e in err.error.get("errors", []) or []:
        if isinstance(e, dict) and e.get("reason"):
            out.add(e["reason"])
    for d in err.error.get("details", []) or []:
        if isinstance(d, dict) and d.get("reason"):
            out.add(d["reason"])
    return out


def _retry_after(response: requests.Response | None) -> float | None:
    value = response.headers.get("Retry-After") if response is not None else None
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - dt.datetime.now(when.tzinfo or dt.UTC)).total_seconds())


class RetryingHTTPClient(HTTPClient):
    """gspread's HTTPClient with a timeout on every request and bounded retries.

    gspread 6.2's BackOffHTTPClient retries a persistent 429 forever and sets no timeout; this
    one gives up (raising :class:`GaveUp`) once ``policy.max_attempts`` or ``policy.max_wait``
    would be exceeded. ``requests_made`` counts requests sent, retries included.
    """

    def __init__(self, session: requests.Session, timeout: float, policy: RetryPolicy):
        super().__init__(auth=None, session=session)  # type: ignore[arg-type]
        self.set_timeout(timeout)
        self.policy = policy
        self.requests_made = 0

    def request(self, method: str, endpoint: str, *args: Any, **kwargs: Any) -> requests.Response:
        waited = 0.0
        attempt = 0
        while True:
            attempt += 1
            self.requests_made += 1
            try:
                return super().request(method, endpoint, *args, **kwargs)
            except APIError as err:
                status = _status(err)
                if not (status in _RETRY_STATUS or (status == 403 and _reasons(err) & _RATE_REASONS)):
                    raise
                last: Exception = err
                retry_after = _retry_after(err.response)
            except (requests.ConnectionError, requests.Timeout) as err:
                last, retry_after = err, None
            wait = self.policy.delay(attempt, retry_after)
            if attempt >= self.policy.max_attempts or waited + wait > self.policy.max_wait:
                raise GaveUp(last, attempt, waited) from None
            self.policy.waits.append(wait)
            self.policy.sleep(wait)
            waited += wait


# --------------------------------------------------------------------------------------
# Cells on the wire


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


def a1_sheet(title: str) -> str:
    """A sheet title as an A1 range covering the whole sheet."""
    return "'" + title.replace("'", "''") + "'"


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
class _Cell:
    """One cell to write: which of value / fill / number format it sets."""

    value: Any = None
    set_value: bool = False
    colour: str | None = None
    set_fill: bool = False

    def signature(self) -> tuple[bool, bool, str | None]:
        fmt = date_format(self.value) if self.set_value else None
        return self.set_value, self.set_fill, fmt["type"] if fmt else None

    def data(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.set_value and (v := typed_value(self.value)) is not None:
            out["userEnteredValue"] = v
        fmt: dict[str, Any] = {}
        if self.set_fill and self.colour:
            fmt["backgroundColor"] = hex_to_color(self.colour)
        if self.set_value and (nf := date_format(self.value)):
            fmt["numberFormat"] = nf
        if fmt:
            out["userEnteredFormat"] = fmt
        return out


def _fields(sig: tuple[bool, bool, str | None]) -> str:
    parts = []
    if sig[0]:
        parts.append("userEnteredValue")
    if sig[1]:
        parts.append("userEnteredFormat.backgroundColor")
    if sig[2]:
        parts.append("userEnteredFormat.numberFormat")
    return ",".join(parts)


def update_cells_requests(sheet_id: int, cells: dict[int, dict[int, _Cell]]) -> list[dict[str, Any]]:
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


# --------------------------------------------------------------------------------------
# The backend


@dataclass
class _SheetInfo:
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


class GoogleSheetsBackend(Backend):
    """One worksheet of a Google spreadsheet.

    The worksheet is the one with ``gid``, else the one titled ``worksheet``, else the one titled
    ``Tracker``, else the first. Credentials are loaded on the first request (see
    :mod:`followsync.google_auth` for where they are looked for).
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
        self._info: _SheetInfo | None = None

    @classmethod
    def from_location(cls, location: str, config: Any, worksheet: str | None) -> GoogleSheetsBackend:
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
            _mount(token_session, self.api_url)
            session = AuthorizedSession(
                self._creds.credentials,
                refresh_timeout=self.timeout,
                auth_request=Request(token_session),
            )
            _mount(session, self.api_url)
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
            if isinstance(e.last, APIError):
                cause = f"kept answering {_status(e.last)} ({_short(e.last)})"
            else:
                cause = f"could not be reached ({type(e.last).__name__})"
            raise RemoteError(
                f"Google Sheets {cause} while followsync tried to {what}; gave up after {e.attempts} "
                f"attempts and {e.waited:.0f}s of waiting, nothing was written. Try again later."
            ) from None
        except APIError as e:
            raise self._api_error(e, what) from None
        except RefreshError as e:
            raise self._refresh_error(e) from None
        except (TransportError, requests.RequestException) as e:
            raise RemoteError(
                f"Could not reach Google ({type(e).__name__}) while followsync tried to {what}; "
                "nothing was written. Check the network and try again."
            ) from None

    def _api_error(self, e: APIError, what: str) -> TrackerError:
        status = _status(e)
        message = str(e.error.get("message", ""))
        if status == 401:
            return AuthError(
                f"Google rejected the credentials in {self.credentials_path} (401) when followsync tried to "
                f"{what}; {google_auth.SETUP_HINT}."
            )
        if status == 403:
            if "has not been used" in message or "is disabled" in message:
                return AuthError(
                    "The Google Sheets API (or Drive API) is not enabled for the credentials' Cloud project; "
                    "enable it in Google Cloud Console (APIs & Services > Library) and run again."
                )
            if self._creds and self._creds.client_email:
                return AuthError(
                    f"The spreadsheet {self.key} is not shared with the service account; share the sheet "
                    f"with {self._creds.client_email} as Editor (Share button in Google Sheets) and run again."
                )
            return AuthError(
                f"Your Google account may not {what} in spreadsheet {self.key}; ask its owner to share it "
                "with you as Editor, or run `followsync auth google` as the right account."
            )
        if status == 404:
            return TrackerNotFound(
                f"No Google spreadsheet with key {self.key} (404); check the URL or key in --tracker or "
                "[tracker] location, copied from the browser's address bar."
            )
        if status == 400 and "parse range" in message.lower():
            return TrackerNotFound(
                f"The spreadsheet {self.key} has no worksheet named {self._title_hint()!r}; check "
                "[tracker] worksheet (or the #gid in the URL)."
            )
        return RemoteError(f"Google Sheets refused to {what} ({status}: {_short(e)}); nothing was written.")

    def _refresh_error(self, e: Exception) -> TrackerError:
        text = str(e.args[0]) if e.args else ""
        if getattr(e, "retryable", False):
            # google-auth has already retried a 5xx / temporarily_unavailable answer a few times.
            return RemoteError(
                "Google's sign-in service did not answer properly (it asked to be retried, and google-auth "
                "did); nothing was written. Try again in a few minutes."
            )
        if self._creds and self._creds.kind == "service_account":
            if "invalid_grant" in text:
                return AuthError(
                    f"Google no longer accepts the service account key in {self.credentials_path} "
                    "(invalid_grant: revoked, deleted, or the computer's clock is wrong); make a new JSON key "
                    "in Google Cloud Console and point google.credentials at it."
                )
            return AuthError(
                f"Google refused the service account key in {self.credentials_path}; make a new JSON key "
                "in Google Cloud Console and point google.credentials at it."
            )
        return AuthError(
            f"Your Google sign-in stored in {self.credentials_path} was revoked or has expired; "
            "run `followsync auth google` again."
        )

    def _title_hint(self) -> str:
        return self._info.title if self._info else self.worksheet or DEFAULT_SHEET

    # -- reading -----------------------------------------------------------------------

    def _fetch(self, fields: str, grid: bool, what: str, narrow: bool = True) -> dict[str, Any]:
        params: dict[str, Any] = {"fields": fields, "includeGridData": "true" if grid else "false"}
        # A known title narrows the grid data to that worksheet; otherwise every worksheet's comes
        # back and the choice is made here, which keeps it to one call.
        title = self._info.title if self._info else (self.worksheet if self.gid is None else None)
        self._narrowed = bool(grid and title and narrow)
        if self._narrowed:
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

    def _sheet_requests(self, writes: list[SheetWrite]) -> list[dict[str, Any]]:
        """Requests that append History rows (or replace a sheet), in the same batchUpdate.

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
        ids = {sh["properties"]["title"]: sh["properties"]["sheetId"] for sh in sheets}
        reqs: list[dict[str, Any]] = []
        for sw in writes:
            rows = list(sw.rows)
            sheet_id = ids.get(sw.name)
            first = (self._first_rows or {}).get(sw.name)
            if sheet_id is not None and sw.mode == "append" and first is None:
                first = self._first_row(sw.name)  # a narrowed read did not see that worksheet
            if sheet_id is not None and sw.mode == "append" and first and [str(v) for v in first] != list(sw.header):
                # A worksheet of the person's own with that name: leave it alone.
                self._foreign.append(sw.name)
                continue
            if sheet_id is not None and sw.mode == "replace":
                reqs.append({"deleteSheet": {"sheetId": sheet_id}})
                sheet_id = None
            if sheet_id is None:
                sheet_id = _new_sheet_id(sheets)
                sheets.append({"properties": {"sheetId": sheet_id}})
                props: dict[str, Any] = {"sheetId": sheet_id, "title": sw.name}
                if sw.mode == "replace":
                    props["index"] = 0  # the Summary: what a coach opening the sheet sees first
                else:
                    props["gridProperties"] = {"frozenRowCount": 1}
                reqs.append({"addSheet": {"properties": props}})
                rows.insert(0, list(sw.header))
            reqs.append(
                {
                    "appendCells": {
                        "sheetId": sheet_id,
                        "rows": [{"values": [_Cell(value=v, set_value=True).data() for v in row]} for row in rows],
                        "fields": "userEnteredValue,userEnteredFormat.numberFormat",
                    }
                }
            )
            if sw.chart is not None:
                reqs.append(chart_request(sheet_id, sw.chart, anchor_column=max(len(r) for r in rows) + 1))
        return reqs

    def _first_row(self, name: str) -> list[Any]:
        params = {"valueRenderOption": "UNFORMATTED_VALUE", "majorDimension": "ROWS"}
        body = self._call(f"read the {name} worksheet", lambda h: h.values_get(self.key, f"{a1_sheet(name)}!1:1", params=params))
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
        body = self._call(f"read the {name} worksheet", lambda h: h.values_get(self.key, a1_sheet(name), params=params))
        rows = grid_from_values(body.get("values", []))
        # Dates come back as serial numbers: History's first column is its Date.
        for row in rows[1:]:
            if row and isinstance(row[0], int | float) and not isinstance(row[0], bool):
                row[0] = parse_date(row[0])
        return rows

    def _remember(self, sheet: dict[str, Any]) -> _SheetInfo:
        p = sheet["properties"]
        g = p.get("gridProperties", {})
        self._info = _SheetInfo(
            sheet_id=p.get("sheetId", 0),
            title=p["title"],
            row_count=g.get("rowCount", 1000),
            column_count=g.get("columnCount", 26),
            frozen_rows=g.get("frozenRowCount", 0),
            protected=list(sheet.get("protectedRanges", []) or []),
        )
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
                    if _status(e) == 400 and "parse range" not in str(e.error.get("message", "")).lower():
                        return None  # the grid shrank under the range
                    raise

            body = self._call(what, narrow)
            if body is not None:
                parts = body.get("valueRanges", [])
                head = grid_from_values(parts[0].get("values", [])) if parts else []
                grid = grid_from_values(parts[1].get("values", [])) if len(parts) > 1 else []
                while len(grid) < len(head):
                    grid.append([])
                for r, cells in enumerate(head):
                    grid[r] = cells
                header = locate_header(grid, info.title)
                header_in_full = header is not None and header.row < top
                if header_in_full and all(
                    pos <= last for name, pos in header.positions.items() if BY_NAME[name].owner == "user"
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
        waited = 0.0
        for attempt in range(1, self.retry.max_attempts + 1):
            applied, reqs, needed = self._prepare(changes)
            if not reqs:
                return applied
            retry_after = self._write_once(reqs)
            if retry_after is False:
                applied.write_calls = 1
                assert self._info is not None
                self._info.column_count = max(self._info.column_count, needed)
                return applied
            wait = self.retry.delay(attempt, retry_after or None)
            if waited + wait > self.retry.max_wait:
                break
            self.retry.waits.append(wait)
            self.retry.sleep(wait)
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
                if isinstance(last, APIError) and (
                    _status(last) == 429 or (_status(last) == 403 and bool(_reasons(last) & _RATE_REASONS))
                ):
                    return _retry_after(last.response)
                what = (
                    f"answered {_status(last)} ({_short(last)})"
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
        for name, col in where.new_columns.items():
            taken = next(
                (gi for gi in range(where.header_row + 1, len(grid)) if col < len(grid[gi]) and grid[gi][col] not in (None, "")),
                None,
            )
            if taken is not None:
                letter = column_letter(col)
                raise TrackerError(
                    f"sheet {info.title!r}: column {letter} has no header but holds values (row {taken + 1}); "
                    f"followsync would add its column {name!r} there. Nothing was written.",
                    hint=f"Give column {letter} a header, or move its values, and run again.",
                )
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
        cells: dict[int, dict[int, _Cell]] = {}
        for name, col in where.new_columns.items():
            cells.setdefault(where.header_row, {})[col] = _Cell(value=name, set_value=True)
        gone: set[str] = set()
        for ch in (*changes.cells, *changes.fills):
            gi = where.rows.get(ch.row)
            if gi is None:
                continue  # skipped by locate, with its message
            if ch.column not in where.columns:
                gone.add(ch.column)
                continue
            c = cells.setdefault(gi, {}).setdefault(where.columns[ch.column], _Cell())
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
            self._foreign: list[str] = []
            reqs += self._sheet_requests(changes.sheets)
            applied.skipped += [
                f"worksheet {name!r} is not followsync's (its first row differs); left it alone" for name in self._foreign
            ]
        if reqs:
            owned = [where.columns[n] for n in OWNED_NAMES if n in where.columns]
            reqs += self._protect_requests(owned)
        return applied, reqs, needed

    def _protect_requests(self, owned: Sequence[int]) -> list[dict[str, Any]]:
        """Requests that make followsync's protected ranges cover exactly ``owned`` columns, or []."""
        assert self._info is not None
        info = self._info
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
                            "range": {
                                "sheetId": info.sheet_id,
                                "startColumnIndex": start,
                                "endColumnIndex": end,
                            },
                            "description": PROTECT_DESCRIPTION,
                            "warningOnly": True,
                        }
                    }
                }
            )
        return reqs

    def protect(self, columns: Sequence[str]) -> None:
        """Warn (not block) anyone who edits ``columns``: a warning-only protected range over them."""
        snap = self.read()
        header = locate_header(snap.grid, snap.sheet)
        if header is None:
            raise TrackerError(
                f"Worksheet {snap.sheet!r} has no tracker header to protect; run `followsync init` first."
            )
        reqs = self._protect_requests([header.positions[c] for c in columns if c in header.positions])
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

        Header with notes and fill, frozen header row, drop-downs for choice columns, date
        formats, widths and hidden columns. A worksheet holding data is refused, unless it already
        is a followsync tracker: then the layout is laid again over the columns it has, and no
        value is written.
        """
        meta = self._fetch(READ_FIELDS, True, "look at the worksheet", narrow=False)
        sheets = meta.get("sheets", [])
        target, new_title = self._init_target(sheets, layout)
        reqs: list[dict[str, Any]] = []
        if target is None:
            sheet_id = _new_sheet_id(sheets)
            n_rows = max(1000, len(rows) + 100)
            reqs.append(
                {
                    "addSheet": {
                        "properties": {
                            "sheetId": sheet_id,
                            "title": new_title,
                            "gridProperties": {"rowCount": n_rows, "columnCount": len(layout.columns)},
                        }
                    }
                }
            )
            grid: list[list[Any]] = []
            self._info = _SheetInfo(sheet_id, new_title, n_rows, len(layout.columns), 0, [])
            column_count, row_count = len(layout.columns), n_rows
        else:
            info = self._remember(target)
            sheet_id, column_count, row_count = info.sheet_id, info.column_count, info.row_count
            grid, _ = grid_from_sheet(target)
        header = locate_header(grid, self._info.title)
        if grid and header is None:
            raise UsageError(
                f"Worksheet {self._info.title!r} of spreadsheet {self.key} already holds data that is not a "
                "followsync tracker; followsync will not write over it. Use a blank worksheet "
                "(add one and pass its URL with #gid=, or set [tracker] worksheet)."
            )
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
        if width > column_count:
            reqs.append(
                {
                    "appendDimension": {
                        "sheetId": sheet_id,
                        "dimension": "COLUMNS",
                        "length": width - column_count,
                    }
                }
            )
        if header_row + 1 + len(rows) > row_count:
            reqs.append(
                {
                    "appendDimension": {
                        "sheetId": sheet_id,
                        "dimension": "ROWS",
                        "length": header_row + 1 + len(rows) - row_count,
                    }
                }
            )
        reqs.append(
            {
                "updateSheetProperties": {
                    "properties": {"sheetId": sheet_id, "gridProperties": {"frozenRowCount": header_row + 1}},
                    "fields": "gridProperties.frozenRowCount",
                }
            }
        )
        header_fill = {"backgroundColor": hex_to_color(layout.header_fill), "textFormat": {"bold": True}}
        for col, lc in placed:
            cell: dict[str, Any] = {"note": lc.note, "userEnteredFormat": header_fill}
            fields = "note,userEnteredFormat.backgroundColor,userEnteredFormat.textFormat.bold"
            if write_header:
                cell["userEnteredValue"] = {"stringValue": lc.column.name}
                fields = "userEnteredValue," + fields
            reqs.append(
                {
                    "updateCells": {
                        "start": {"sheetId": sheet_id, "rowIndex": header_row, "columnIndex": col},
                        "rows": [{"values": [cell]}],
                        "fields": fields,
                    }
                }
            )
            below = {
                "sheetId": sheet_id,
                "startRowIndex": header_row + 1,
                "startColumnIndex": col,
                "endColumnIndex": col + 1,
            }
            if lc.number_format:
                reqs.append(
                    {
                        "repeatCell": {
                            "range": below,
                            "cell": {"userEnteredFormat": {"numberFormat": _column_format(lc.number_format)}},
                            "fields": "userEnteredFormat.numberFormat",
                        }
                    }
                )
            if lc.column.name == "Mark sent":
                # Sheets has real checkboxes: tick it, and the next run records the send.
                reqs.append({"setDataValidation": {"range": below, "rule": {"condition": {"type": "BOOLEAN"}}}})
            elif lc.choices:
                reqs.append(
                    {
                        "setDataValidation": {
                            "range": below,
                            "rule": {
                                "condition": {
                                    "type": "ONE_OF_LIST",
                                    "values": [{"userEnteredValue": c} for c in lc.choices],
                                },
                                "showCustomUi": True,
                                "strict": False,
                            },
                        }
                    }
                )
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
        if rows:
            formats = {lc.column.name: lc.number_format for lc in layout.columns}
            body = []
            for r in rows:
                values = []
                for _, lc in placed:
                    v = r.get(lc.column.name)
                    cell = {}
                    if (tv := typed_value(v)) is not None:
                        cell["userEnteredValue"] = tv
                    # Date columns keep their format on every row, blank ones included (the
                    # repeatCell above would otherwise be cleared by this request's mask).
                    if nf := _column_format(formats.get(lc.column.name)) or date_format(v):
                        cell["userEnteredFormat"] = {"numberFormat": nf}
                    values.append(cell)
                body.append({"values": values})
            reqs.append(
                {
                    "updateCells": {
                        "start": {"sheetId": sheet_id, "rowIndex": header_row + 1, "columnIndex": 0},
                        "rows": body,
                        "fields": "userEnteredValue,userEnteredFormat.numberFormat",
                    }
                }
            )
        reqs += self._protect_requests([c for c, lc in placed if lc.column.owner == "followsync"])
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
                        "series": [{"series": source(c), "targetAxis": "LEFT_AXIS"} for c in chart.series_columns],
                    },
                },
                "position": {
                    "overlayPosition": {"anchorCell": {"sheetId": sheet_id, "rowIndex": 1, "columnIndex": anchor_column}}
                },
            }
        }
    }


def _new_sheet_id(sheets: list[dict[str, Any]]) -> int:
    used = {s["properties"].get("sheetId") for s in sheets}
    n = 1_000_000 + random.randrange(1_000_000_000)
    while n in used:
        n += 1
    return n


def _short(e: APIError) -> str:
    msg = str(e.error.get("message", "")).strip().splitlines()
    text = msg[0] if msg else str(e.error.get("status", ""))
    return text if len(text) <= 160 else text[:157] + "..."
