"""A loopback emulator of the parts of Google's web APIs that followsync uses.

It serves, on ``http://127.0.0.1:PORT`` (``emu.url``), what three Google hosts serve:

* ``oauth2.googleapis.com/token``: the OAuth2 token endpoint (RFC 7523 JWT-bearer grant for a
  service account, refresh-token grant for a user's OAuth client);
* ``sheets.googleapis.com/v4/spreadsheets``: Sheets API v4 (``spreadsheets.create/get/batchUpdate``,
  ``spreadsheets.values.get/batchGet/update/batchUpdate/append/clear/batchClear``,
  ``spreadsheets.developerMetadata.get/search``);
* ``www.googleapis.com/drive/v3/files``: Drive API v3 (``files.create/get/list/delete``,
  ``permissions.create/list/delete``).

Where the answers come from
---------------------------
Response shapes, defaults, omitted fields and error envelopes follow gspread 6.2's recorded real
responses in ``../shared/fixtures/gspread-cassettes`` (cited per handler as ``[fixture NAME]``) and,
where no recording exists, the published references (``[Sheets v4 ref]``
https://developers.google.com/sheets/api/reference/rest, ``[Drive v3 ref]``
https://developers.google.com/drive/api/reference/rest/v3, ``[OAuth2 ref]``
https://developers.google.com/identity/protocols/oauth2/service-account#httprest). A few behaviours
are simplifications, each stated where it is made; the main ones:

* formulas: only ``=A1`` / ``='Sheet'!A1`` references, arithmetic on numbers (``=1+1``, ``=4/2``) and
  ``=DATE(y,m,d)`` are evaluated; any other function is ``#NAME?`` and anything else ``#ERROR!``.
  Formulas are not rewritten when rows move.
* number formats: dates/times with the usual ``yyyy mm dd hh mm ss`` tokens, ``0.00``/``#,##0``/``%``
  patterns, otherwise the API's general format (up to 10 significant digits).
* ``values.append`` appends below the block of non-blank rows found from the range (for a one-cell
  range, in that cell's column; a blank starting cell is written to directly).
* colours are kept as Google keeps them: 8 bits per channel, answered as float32 (``0.5`` -> ``0.49803922``).
* request kinds Google has and the emulator lacks (named ranges, merges kept, filters, groups,
  copy/paste...) answer 501 ``NOT_IMPLEMENTED`` naming the kind, never a silent no-op; ``updateBorders``,
  ``mergeCells`` and ``unmergeCells`` are checked and accepted but not kept.
* a ``ROWS`` developer-metadata location longer than one row is anchored on its first row and keeps
  its length; one-row locations (what followsync uses) move with their row exactly as in Google.
* ``sortRange`` over every column moves whole rows (metadata, heights, formats with them); over some
  columns it moves only those cells.

Using it from a test
--------------------
::

    from tests.emulators.google import GoogleEmulator, emulated_session
    with GoogleEmulator() as emu:
        key = emu.write_key_file(tmp_path / "sa.json")
        sid = emu.create_spreadsheet("Jobs", {"Tracker": [["ID", "Company"], ["a-1", "Acme"]]})
        creds = google.oauth2.service_account.Credentials.from_service_account_file(
            tmp_path / "sa.json", scopes=gspread.auth.DEFAULT_SCOPES)
        gc = gspread.Client(auth=creds, session=emulated_session(creds, emu.url))
        gc.open_by_key(sid).worksheet("Tracker").get_all_values()

``emulated_session`` is the one way real clients reach the emulator: a
``google.auth.transport.requests.AuthorizedSession`` with a requests transport adapter mounted on
Google's three hosts that rewrites ``https://<google host>`` to ``emu.url`` (path and query kept); the
token refresh goes through the same adapter, so a key file whose ``token_uri`` is Google's also works.

The Python API (``GoogleEmulator``) is stable: ``start/stop`` (or ``with``), ``url``, ``token_uri``,
``write_key_file``, ``create_spreadsheet``, ``values``, ``backgrounds``, ``sheet`` (a live :class:`Sheet`
with helpers such as ``value``, ``formatted``, ``set_value``, ``set_background``, ``note``,
``validation``, ``row_metadata``, ``protected_ranges``, ``frozen_rows``), ``edit``, ``sort_rows``,
``insert_rows``, ``delete_rows``, ``insert_columns``, ``move_column``, ``share``, ``permissions``,
``on_request``, ``fail``, ``stats``, ``reset_stats``, ``largest_request``, ``now``, ``advance``,
``revoke_service_account``, ``add_oauth_client`` (``publishing_status="testing"`` for 7-day refresh
tokens), ``revoke_refresh_token``. The real services' limits it enforces (request size, sheet titles
in any case, cell and spreadsheet sizes, grid limits, quotas, protected ranges, Testing apps'
tokens) are listed, with their sources, under "The real services' limits" and on
:class:`GoogleEmulator`. Every API request needs ``Authorization: Bearer <token from /token>``. Over HTTP,
``GET /_emulator/stats`` returns ``stats()`` and ``POST /_emulator/reset`` clears the counts (not the
data). Standalone: ``python -m tests.emulators.google --port 8765 --key-file sa.json``.

Secrets: the private key only goes to the key file a test asks for; tokens are never logged.
"""

from __future__ import annotations

import argparse
import ast
import base64
import copy
import datetime as dt
import functools
import json
import random
import re
import secrets
import socket
import struct
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

SERVICE_ACCOUNT_EMAIL = "followsync-test@emulator.iam.gserviceaccount.com"
#: The person who owns the spreadsheets made with ``create_spreadsheet`` (and whose OAuth tokens act as).
OWNER_EMAIL = "owner@example.com"
SPREADSHEET_MIME = "application/vnd.google-apps.spreadsheet"
GOOGLE_HOSTS = (
    "https://sheets.googleapis.com",
    "https://www.googleapis.com",
    "https://oauth2.googleapis.com",
)
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
_EPOCH = dt.datetime(1899, 12, 30)
_WRITER_ROLES = {"owner", "organizer", "fileOrganizer", "writer"}

# [fixture ClientTest.test_create] spreadsheets.get -> properties.defaultFormat / spreadsheetTheme.
_DEFAULT_FORMAT: dict[str, Any] = {
    "backgroundColor": {"red": 1, "green": 1, "blue": 1},
    "padding": {"top": 2, "right": 3, "bottom": 2, "left": 3},
    "verticalAlignment": "BOTTOM",
    "wrapStrategy": "OVERFLOW_CELL",
    "textFormat": {
        "foregroundColor": {},
        "fontFamily": "arial,sans,sans-serif",
        "fontSize": 10,
        "bold": False,
        "italic": False,
        "strikethrough": False,
        "underline": False,
        "foregroundColorStyle": {"rgbColor": {}},
    },
    "backgroundColorStyle": {"rgbColor": {"red": 1, "green": 1, "blue": 1}},
}
_THEME: dict[str, Any] = {
    "primaryFontFamily": "Arial",
    "themeColors": [
        {"colorType": "TEXT", "color": {"rgbColor": {}}},
        {"colorType": "BACKGROUND", "color": {"rgbColor": {"red": 1, "green": 1, "blue": 1}}},
        {
            "colorType": "ACCENT1",
            "color": {"rgbColor": {"red": 0.25882354, "green": 0.52156866, "blue": 0.95686275}},
        },
        {
            "colorType": "ACCENT2",
            "color": {"rgbColor": {"red": 0.91764706, "green": 0.2627451, "blue": 0.20784314}},
        },
        {
            "colorType": "ACCENT3",
            "color": {"rgbColor": {"red": 0.9843137, "green": 0.7372549, "blue": 0.015686275}},
        },
        {
            "colorType": "ACCENT4",
            "color": {"rgbColor": {"red": 0.20392157, "green": 0.65882355, "blue": 0.3254902}},
        },
        {"colorType": "ACCENT5", "color": {"rgbColor": {"red": 1, "green": 0.42745098, "blue": 0.003921569}}},
        {
            "colorType": "ACCENT6",
            "color": {"rgbColor": {"red": 0.27450982, "green": 0.7411765, "blue": 0.7764706}},
        },
        {"colorType": "LINK", "color": {"rgbColor": {"red": 0.06666667, "green": 0.33333334, "blue": 0.8}}},
    ],
}

# =====================================================================================
# Errors
# =====================================================================================

# google.rpc.Code names by HTTP status, as Google's JSON error envelope carries them.
_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    501: "NOT_IMPLEMENTED",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
# [fixture ClientTest.test_access_non_existing_spreadsheet] 404, [... test_access_private_spreadsheet] 403;
# the others are the messages Google sends with those codes.
_MESSAGES = {
    400: "Request contains an invalid argument.",
    401: "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or "
    "other valid authentication credential. See "
    "https://developers.google.com/identity/sign-in/web/devconsole-project.",
    403: "The caller does not have permission",
    404: "Requested entity was not found.",
    409: "The operation was aborted.",
    429: "Quota exceeded for quota metric 'Write requests' and limit 'Write requests per minute per user' "
    "of service 'sheets.googleapis.com' for consumer 'project_number:000000000000'.",
    500: "Internal error encountered.",
    502: "Bad Gateway",
    503: "The service is currently unavailable.",
    504: "The request timed out. Please try again.",
}
_MISSING_CREDENTIALS = (
    "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie "
    "or other valid authentication credential. See "
    "https://developers.google.com/identity/sign-in/web/devconsole-project."
)


class ApiError(Exception):
    """An error answer in Google's JSON envelope ``{"error": {"code", "message", "status"}}``.

    Drive v3 errors carry ``errors: [{domain, reason, message}]`` instead of ``status`` [Drive v3 ref,
    "Resolve errors"]; gspread reads only ``code`` and ``message`` from either.
    """

    def __init__(
        self,
        code: int,
        message: str | None = None,
        *,
        details: list | None = None,
        headers: dict[str, str] | None = None,
        drive_reason: str | None = None,
    ):
        super().__init__(message or _MESSAGES.get(code, "Error"))
        self.code = code
        self.message = message or _MESSAGES.get(code, "Error")
        self.details = details
        self.headers = headers or {}
        self.drive_reason = drive_reason

    def body(self) -> dict[str, Any]:
        err: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.drive_reason:
            err["errors"] = [{"message": self.message, "domain": "global", "reason": self.drive_reason}]
        else:
            err["status"] = _STATUS.get(self.code, "UNKNOWN")
        if self.details:
            err["details"] = self.details
        return {"error": err}


_PRETTY: dict[bool, dict[str, Any]] = {True: {"indent": 2}, False: {"separators": (",", ":")}}


def _bad(message: str) -> ApiError:
    return ApiError(400, message)


class _OAuthError(Exception):
    """An OAuth2 token-endpoint error: ``{"error": ..., "error_description": ...}`` [OAuth2 ref]."""

    def __init__(self, status: int, error: str, description: str):
        super().__init__(description)
        self.status, self.error, self.description = status, error, description


# =====================================================================================
# The real services' limits (issue 11)
# =====================================================================================
# Each limit below is what Google really does, with where that is written down. The ones that
# could refuse what followsync sends today can be switched off per emulator (constructor flags).

#: Google's front end refuses any request body over 10 MiB before the Sheets API sees it:
#: ``400 INVALID_ARGUMENT "Request payload size exceeds the limit: 10485760 bytes."``
#: [issue googleworkspace/dotnet-samples#23, "Request payload size exceeds the limit: 10485760
#: bytes.": "The API infrastructure does have a size limit for a single request. If you exceed that
#: limit, break your work into multiple requests."]. The Sheets usage-limits page
#: (https://developers.google.com/sheets/api/limits, "Quota limits") states no hard size and
#: recommends "a 2 MB maximum payload".
MAX_REQUEST_BYTES = 10_485_760
PAYLOAD_TOO_LARGE = "Request payload size exceeds the limit: 10485760 bytes."

#: A cell holds at most 50,000 characters [Google Drive Help "Files you can store in Google Drive",
#: https://support.google.com/drive/answer/37603, Spreadsheets: "50,000 characters per cell";
#: pull request ONE-F-M/one_fm#1926 "As per google sheet rules, one cell cannot have value with
#: length above 50,000"; dhis2/dhis2-utils#117 "Fix for 50000 character limit in cells"]. The
#: API's words for it:
MAX_CELL_CHARS = 50_000
CELL_TOO_LONG = "Your input contains more than the maximum of 50000 characters in a single cell."

#: "Up to 10 million cells or 18,278 columns for spreadsheets" [Google Drive Help "Files you can
#: store in Google Drive", https://support.google.com/drive/answer/37603]; every request that
#: grows a grid past it is refused (see ``_Batch._check_cells``).
MAX_CELLS = 10_000_000

#: [Sheets usage limits, https://developers.google.com/sheets/api/limits]: read and write requests
#: are each limited to 60 per minute per user per project (300 per project); "If your app sends 350
#: requests in one minute, the additional 50 requests exceed the quota and generates a 429: Too many
#: requests"; "Read requests are calls to any method that retrieves data from a spreadsheet, such
#: as get or search. Write requests are calls to any method that changes a spreadsheet, such as
#: update, clear". The answer is ``429 RESOURCE_EXHAUSTED`` worded as below [issues
#: google/garf#299 "APIError: [429]: Quota exceeded for quota metric 'Read requests' and limit 'Read
#: requests per minute per user' of service 'sheets.googleapis.com' for consumer
#: 'project_number:...'", r-lib/gargle#160 (the 'Read requests per minute' wording)], with a
#: google.rpc.ErrorInfo detail and, usually, NO ``Retry-After`` header (gargle#159/#160 and
#: gspread's own backoff, which waits by exponential backoff because there is nothing to read).
SHEETS_QUOTA_PER_MINUTE = 60
_QUOTA_NAMES = {
    "read": ("Read requests", "ReadRequestsPerMinutePerUser", "read_requests"),
    "write": ("Write requests", "WriteRequestsPerMinutePerUser", "write_requests"),
}

#: A hard (not warning-only) protected range refuses an edit by anyone but the spreadsheet's owner
#: and the range's editors (its creator among them) [Sheets v4 ref, ProtectedRange: "warningOnly:
#: True if this protected range will show a warning when editing. Warning-based protection means
#: that every user can edit data in the protected range, except editing will prompt a warning";
#: "editors: The users and groups with edit access to the protected range"]. The words are Google's
#: [theoephraim/node-google-spreadsheet#20; issue googleapis/google-api-php-client#1943 on who may
#: still edit]; the status is 403 PERMISSION_DENIED as the brief and
#: https://taourl.com/read-2979796.html ("the API responds with a 403 error (Permission Denied)")
#: say. Some reports show the same words under ``Invalid data[0]:`` (a 400 form); the status is
#: the constructor's ``protected_status`` so a test can pick either.
PROTECTED_CELL = (
    "You are trying to edit a protected cell or object. Please contact the spreadsheet owner to "
    "remove protection if you need to edit."
)

#: "A Google Cloud Platform project with an OAuth consent screen configured for an external user
#: type and a publishing status of 'Testing' is issued a refresh token expiring in 7 days"
#: [Google Identity, "Using OAuth 2.0 to Access Google APIs", Refresh token expiration,
#: https://developers.google.com/identity/protocols/oauth2#expiration; issue tarickb/sasl-xoauth2#29
#: "GMail tokens expire after a week": "the 'Publishing status' of my app was 'Testing'. My
#: understanding is that's why the OAuth tokens are revoked after 7 days"]. The token endpoint then
#: answers ``400 {"error": "invalid_grant", "error_description": "Token has been expired or
#: revoked."}``.
TESTING_REFRESH_TOKEN_SECONDS = 7 * 24 * 3600


def _quota_error(kind: str, retry_after: float | None) -> ApiError:
    metric, limit, metric_id = _QUOTA_NAMES[kind]
    headers = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else {}
    return ApiError(
        429,
        f"Quota exceeded for quota metric '{metric}' and limit '{metric} per minute per user' of service "
        "'sheets.googleapis.com' for consumer 'project_number:000000000000'.",
        details=[
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "RATE_LIMIT_EXCEEDED",
                "domain": "googleapis.com",
                "metadata": {
                    "quota_location": "global",
                    "quota_metric": f"sheets.googleapis.com/{metric_id}",
                    "quota_limit": limit,
                    "service": "sheets.googleapis.com",
                    "consumer": "projects/000000000000",
                },
            },
            {
                "@type": "type.googleapis.com/google.rpc.Help",
                "links": [
                    {
                        "description": "Request a higher quota limit.",
                        "url": "https://cloud.google.com/docs/quotas/help/request_increase",
                    }
                ],
            },
        ],
        headers=headers,
    )


def _in_grid_range(gr: dict, r: int, c: int) -> bool:
    return (
        gr.get("startRowIndex", 0) <= r < gr.get("endRowIndex", 1 << 62)
        and gr.get("startColumnIndex", 0) <= c < gr.get("endColumnIndex", 1 << 62)
    )


def protects_area(book: Spreadsheet, sheet: Sheet, r0: int, r1: int, c0: int, c1: int, actor: str) -> bool:
    """Whether a hard protected range that ``actor`` may not edit overlaps the area [r0, r1) x [c0, c1)
    (structural edits: sorting it, deleting its rows or columns). An overlap lying wholly inside one
    of the range's ``unprotectedRanges`` does not count."""
    for pr in sheet.protected_ranges:
        if pr.get("warningOnly") or actor == book.owner or actor == pr.get("_creator"):
            continue
        if actor in ((pr.get("editors") or {}).get("users") or []):
            continue
        g = pr["range"]
        lo_r, hi_r = max(r0, g.get("startRowIndex", 0)), min(r1, g.get("endRowIndex", 1 << 62))
        lo_c, hi_c = max(c0, g.get("startColumnIndex", 0)), min(c1, g.get("endColumnIndex", 1 << 62))
        if lo_r >= hi_r or lo_c >= hi_c:
            continue
        if any(
            u.get("startRowIndex", 0) <= lo_r
            and hi_r <= u.get("endRowIndex", 1 << 62)
            and u.get("startColumnIndex", 0) <= lo_c
            and hi_c <= u.get("endColumnIndex", 1 << 62)
            for u in pr.get("unprotectedRanges") or []
        ):
            continue
        return True
    return False


def protection_of(book: Spreadsheet, sheet: Sheet, r: int, c: int, actor: str) -> dict | None:
    """The hard protected range that keeps ``actor`` from editing cell (r, c), or None.

    Warning-only ranges never refuse; the owner, the range's creator and its listed editors may
    edit; ``unprotectedRanges`` inside a protected sheet stay open (see ``PROTECTED_CELL``).
    """
    for pr in sheet.protected_ranges:
        if pr.get("warningOnly") or actor == book.owner or actor == pr.get("_creator"):
            continue
        if actor in ((pr.get("editors") or {}).get("users") or []):
            continue
        if not _in_grid_range(pr["range"], r, c):
            continue
        if any(_in_grid_range(u, r, c) for u in pr.get("unprotectedRanges") or []):
            continue
        return pr
    return None


# =====================================================================================
# Small value helpers: serial dates, colours, A1 notation, field masks
# =====================================================================================


def to_serial(value: dt.date | dt.datetime) -> float | int:
    """The spreadsheet serial number of a date (days since 1899-12-30, time as a fraction)."""
    if isinstance(value, dt.datetime):
        delta = value.replace(tzinfo=None) - _EPOCH
        return delta.days + delta.seconds / 86400 + delta.microseconds / 86400e6
    return (value - _EPOCH.date()).days


def from_serial(serial: float) -> dt.datetime:
    return _EPOCH + dt.timedelta(days=float(serial))


def _float32(x: float) -> float:
    """The shortest decimal that reads back as the same float32, as Google prints stored floats."""
    f32 = struct.unpack("f", struct.pack("f", x))[0]
    for digits in range(1, 10):
        v = float(f"{x:.{digits}g}")
        if struct.unpack("f", struct.pack("f", v))[0] == f32:
            return v
    return f32


def quantize_color(color: dict[str, Any]) -> dict[str, Any]:
    """A colour as Google stores it: 8 bits per channel, read back as float32, zero channels omitted.

    [fixture WorksheetTest.test_update_tab_color]: ``blue: 0.5`` is answered as ``0.49803922`` (127/255).
    """
    out: dict[str, Any] = {}
    for k, v in color.items():
        if k in ("red", "green", "blue") and isinstance(v, int | float) and not isinstance(v, bool):
            q = int(float(v) * 255 + 1e-6) / 255
            if q:
                out[k] = 1 if q == 1 else _float32(q)
        elif k == "alpha":
            out[k] = v
    return out


def color_to_hex(color: dict[str, Any] | None) -> str | None:
    """``{"red": 1, "green": 0.9}`` -> ``"#FFE500"`` (the API omits zero components)."""
    if color is None:
        return None
    return "#" + "".join(f"{round(float(color.get(k, 0)) * 255):02X}" for k in ("red", "green", "blue"))


def hex_to_color(text: str) -> dict[str, float]:
    text = text.lstrip("#")
    return quantize_color(
        {k: int(text[i : i + 2], 16) / 255 for k, i in (("red", 0), ("green", 2), ("blue", 4))}
    )


def col_letters(index: int) -> str:
    """0 -> ``A``, 26 -> ``AA``."""
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


def col_index(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n - 1


def quote_title(title: str) -> str:
    """A sheet title as the API writes it in a range: bare when it can be, else single-quoted.

    [fixture SpreadsheetTest.test_values_get]: ``Sheet1!A1:D2`` but ``'🌵 test_values_get 1'!A1:J10``.
    """
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", title) and not re.fullmatch(
        r"[A-Za-z]{1,3}\d+|[Rr]\d*[Cc]\d*", title
    ):
        return title
    return "'" + title.replace("'", "''") + "'"


def a1_window(r0: int, r1: int, c0: int, c1: int) -> str:
    start = f"{col_letters(c0)}{r0 + 1}"
    if r1 - r0 == 1 and c1 - c0 == 1:
        return start
    return f"{start}:{col_letters(c1 - 1)}{r1}"


def parse_mask(text: str) -> dict[str, Any]:
    """A field mask (``a.b,c(d,e/f)``) as a tree of names; ``{}`` under a name selects all of it.

    Both ``.`` and ``/`` separate path segments, as Google accepts both [Sheets v4 ref, "Field masks"].
    """
    pos = 0
    text = re.sub(r"\s+", "", text)

    def merge(into: dict, other: dict) -> None:
        for k, v in other.items():
            if k in into:
                if into[k] == {} or v == {}:
                    into[k] = {}
                else:
                    merge(into[k], v)
            else:
                into[k] = v

    def parse_list() -> dict:
        nonlocal pos
        tree: dict = {}
        while pos < len(text):
            merge(tree, parse_item())
            if pos < len(text) and text[pos] == ",":
                pos += 1
                continue
            break
        return tree

    def parse_item() -> dict:
        nonlocal pos
        names = []
        while True:
            m = re.compile(r"[A-Za-z0-9_*@]+").match(text, pos)
            if not m:
                raise _bad(f"Invalid field selection {text}")
            names.append(m.group())
            pos = m.end()
            if pos < len(text) and text[pos] in "./":
                pos += 1
                continue
            break
        sub: dict = {}
        if pos < len(text) and text[pos] == "(":
            pos += 1
            sub = parse_list()
            if pos >= len(text) or text[pos] != ")":
                raise _bad(f"Invalid field selection {text}")
            pos += 1
        for n in reversed(names):
            sub = {n: sub}
        return sub

    tree = parse_list()
    if pos != len(text):
        raise _bad(f"Invalid field selection {text}")
    return tree


def _sel(tree: dict | None, *names: str) -> dict | None:
    """The part of a mask below ``names``: ``{}`` if all of it is selected, ``None`` if none."""
    if tree is None:
        return {}
    for n in names:
        if tree == {} or "*" in tree:
            return {}
        if n not in tree:
            return None
        tree = tree[n]
    return tree


def apply_mask(obj: Any, tree: dict) -> Any:
    """Keep only the selected fields, as a partial response does.

    A selected object that is present stays even when nothing selected inside it is set, and list
    elements hold their positions; only empty lists (unset repeated fields) disappear.
    [fixture WorksheetTest.test_get_notes]: ``fields=sheets.data.rowData.values.note`` on a sheet with
    no notes answers ``{"sheets": [{"data": [{}]}]}``; [fixture WorksheetTest.test_clear_tab_color]:
    ``fields=sheets.properties.tabColorStyle`` on a sheet without one answers ``{"sheets": [{"properties": {}}]}``.
    """
    if tree == {} or "*" in tree:
        return obj
    if isinstance(obj, list):
        return [apply_mask(x, tree) for x in obj]
    if not isinstance(obj, dict):
        return obj
    out = {}
    for k, sub in tree.items():
        if k in obj:
            v = apply_mask(obj[k], sub)
            if v == []:
                continue
            out[k] = v
    return out


def _mask_paths(tree: dict, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    if not tree:
        return [prefix]
    out = []
    for k, v in tree.items():
        out.extend(_mask_paths(v, (*prefix, k)))
    return out


# =====================================================================================
# Values: formulas, formatting, user-entered parsing
# =====================================================================================

_ERROR_TEXT = {
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
_DATE_TYPES = {"DATE", "TIME", "DATE_TIME"}
# en_US defaults for a date type without a pattern.
_DEFAULT_PATTERNS = {"DATE": "M/d/yyyy", "TIME": "h:mm:ss am/pm", "DATE_TIME": "M/d/yyyy H:mm:ss"}


def _err(kind: str, message: str) -> dict[str, Any]:
    return {"errorValue": {"type": kind, "message": message}}


def _arith(node: ast.AST) -> float:
    if (
        isinstance(node, ast.Constant)
        and isinstance(node.value, int | float)
        and not isinstance(node.value, bool)
    ):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.UAdd | ast.USub):
        v = _arith(node.operand)
        return -v if isinstance(node.op, ast.USub) else v
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Sub | ast.Mult | ast.Div):
        a, b = _arith(node.left), _arith(node.right)
        if isinstance(node.op, ast.Add):
            return a + b
        if isinstance(node.op, ast.Sub):
            return a - b
        if isinstance(node.op, ast.Mult):
            return a * b
        return a / b
    raise ValueError("unsupported")


def _num_out(x: float) -> float | int:
    """A number as the API's JSON writes it: ``2`` not ``2.0`` [fixture ...date_time_render_options]."""
    if isinstance(x, bool):
        return x
    if float(x).is_integer() and abs(x) < 2**53:
        return int(x)
    return x


def general_format(x: float) -> str:
    """The API's automatic number format: integers bare, else up to 10 significant digits."""
    if float(x).is_integer() and abs(x) < 1e15:
        return str(int(x))
    s = f"{x:.10g}"
    return s.upper() if "e" in s else s


_DT_TOKEN = re.compile(r'yyyy|yy|mmmmm|mmmm|mmm|mm|m|dddd|ddd|dd|d|hh|h|ss|s|am/pm|a/p|"[^"]*"|\\.|.', re.I)


def format_datetime(serial: float, pattern: str) -> str:
    """Render a serial date with a Sheets date-time pattern (``yyyy-mm-dd``, ``M/d/yyyy H:mm:ss``...)."""
    d = from_serial(serial + 1e-9)  # round half-seconds the same way every time
    toks = _DT_TOKEN.findall(pattern)
    kinds = [t.lower() for t in toks]
    twelve = any(k in ("am/pm", "a/p") for k in kinds)
    fields = [i for i, k in enumerate(kinds) if k[0] in "ymdhs" and not k.startswith(('"', "\\"))]
    out = []
    for i, (tok, k) in enumerate(zip(toks, kinds, strict=True)):
        if k in ("m", "mm"):
            pos = fields.index(i)
            prev = kinds[fields[pos - 1]] if pos > 0 else ""
            nxt = kinds[fields[pos + 1]] if pos + 1 < len(fields) else ""
            minutes = prev.startswith("h") or nxt.startswith("s")
            v = d.minute if minutes else d.month
            out.append(f"{v:02d}" if k == "mm" else str(v))
        elif k == "yyyy":
            out.append(f"{d.year:04d}")
        elif k == "yy":
            out.append(f"{d.year % 100:02d}")
        elif k == "mmmmm":
            out.append(d.strftime("%B")[0])
        elif k == "mmmm":
            out.append(d.strftime("%B"))
        elif k == "mmm":
            out.append(d.strftime("%b"))
        elif k == "dddd":
            out.append(d.strftime("%A"))
        elif k == "ddd":
            out.append(d.strftime("%a"))
        elif k in ("dd", "d"):
            out.append(f"{d.day:02d}" if k == "dd" else str(d.day))
        elif k in ("hh", "h"):
            h = d.hour % 12 or 12 if twelve else d.hour
            out.append(f"{h:02d}" if k == "hh" else str(h))
        elif k in ("ss", "s"):
            out.append(f"{d.second:02d}" if k == "ss" else str(d.second))
        elif k in ("am/pm", "a/p"):
            ampm = "AM" if d.hour < 12 else "PM"
            out.append(ampm if k == "am/pm" else ampm[0])
        elif tok.startswith('"'):
            out.append(tok[1:-1])
        elif tok.startswith("\\"):
            out.append(tok[1:])
        else:
            out.append(tok)
    return "".join(out)


def format_number(x: float, number_format: dict[str, Any] | None) -> str:
    """The formatted value of a number under a cell's ``numberFormat`` [Sheets v4 ref, "Date and number formats"]."""
    nf = number_format or {}
    kind = nf.get("type", "NUMBER")
    pattern = nf.get("pattern", "")
    if kind in _DATE_TYPES:
        return format_datetime(x, pattern or _DEFAULT_PATTERNS[kind])
    if not pattern:
        pattern = {"PERCENT": "0.00%", "CURRENCY": "$#,##0.00", "SCIENTIFIC": "0.00E+00"}.get(kind, "")
    if not pattern or kind == "TEXT":
        return general_format(x)
    section = pattern.split(";")[0]
    m = re.search(r"[#0,]*\.?[#0]*(?:E\+?0+)?", section)
    core = m.group() if m and m.group() else "0"
    prefix, suffix = section[: m.start()] if m else "", section[m.end() :] if m else ""
    prefix, suffix = prefix.replace('"', ""), suffix.replace('"', "")
    if "%" in section:
        x = x * 100
    decimals = len(core.split(".")[1].split("E")[0]) if "." in core else 0
    if "E" in core.upper():
        body = f"{x:.{decimals}E}"
    else:
        body = f"{x:,.{decimals}f}" if "," in core else f"{x:.{decimals}f}"
    return f"{prefix}{body}{suffix}"


def format_value(ev: dict[str, Any], number_format: dict[str, Any] | None) -> str:
    if "numberValue" in ev:
        return format_number(ev["numberValue"], number_format)
    if "stringValue" in ev:
        return ev["stringValue"]
    if "boolValue" in ev:
        return "TRUE" if ev["boolValue"] else "FALSE"
    if "errorValue" in ev:
        return _ERROR_TEXT.get(ev["errorValue"].get("type", "ERROR"), "#ERROR!")
    return ""


_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?")


def parse_user_entered(value: Any) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """``(userEnteredValue, numberFormat to apply)`` for a value sent with ``valueInputOption=USER_ENTERED``.

    As typed into the UI in the en_US locale [Sheets v4 ref, ValueInputOption]: ``=`` starts a formula,
    a leading ``'`` forces text, numbers (``0042`` -> 42, ``1,234``, ``12%``), ``TRUE``/``FALSE`` and
    ISO or M/D/YYYY dates are parsed; [fixture WorksheetTest.test_get_all_values_date_time_render_options]
    ``"2020-01-01"`` becomes serial 43831 shown as ``2020-01-01``.
    """
    if isinstance(value, bool):
        return {"boolValue": value}, None
    if isinstance(value, int | float):
        return {"numberValue": value}, None
    text = str(value)
    if text == "":
        return None, None
    if text.startswith("'"):
        return {"stringValue": text[1:]}, None
    if text.startswith("=") and len(text) > 1:
        return {"formulaValue": text}, None
    t = text.strip()
    if t.upper() in ("TRUE", "FALSE"):
        return {"boolValue": t.upper() == "TRUE"}, None
    if _NUMBER.fullmatch(t):
        return {"numberValue": float(t) if not re.fullmatch(r"[+-]?\d+", t) else int(t)}, None
    if _THOUSANDS.fullmatch(t):
        decimals = len(t.partition(".")[2])
        pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
        return {"numberValue": float(t.replace(",", ""))}, {"type": "NUMBER", "pattern": pattern}
    if t.endswith("%") and _NUMBER.fullmatch(t[:-1]):
        return {"numberValue": float(t[:-1]) / 100}, {"type": "PERCENT", "pattern": "0%"}
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?", t)
    if m:
        try:
            y, mo, d = int(m[1]), int(m[2]), int(m[3])
            if m[4]:
                when = dt.datetime(y, mo, d, int(m[4]), int(m[5]), int(m[6] or 0))
                return {"numberValue": to_serial(when)}, {
                    "type": "DATE_TIME",
                    "pattern": "yyyy-mm-dd hh:mm:ss",
                }
            return {"numberValue": to_serial(dt.date(y, mo, d))}, {"type": "DATE", "pattern": "yyyy-mm-dd"}
        except ValueError:
            pass
    m = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", t)
    if m:
        try:
            return {"numberValue": to_serial(dt.date(int(m[3]), int(m[1]), int(m[2])))}, {
                "type": "DATE",
                "pattern": "M/d/yyyy",
            }
        except ValueError:
            pass
    return {"stringValue": text}, None


def parse_raw(value: Any) -> dict[str, Any] | None:
    """``valueInputOption=RAW``: stored as sent, strings stay strings (``=1+1`` included)."""
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int | float):
        return {"numberValue": value}
    text = str(value)
    return {"stringValue": text} if text != "" else None


def python_to_cell(value: Any) -> dict[str, Any] | None:
    """A cell for a Python value given to ``create_spreadsheet`` or ``Sheet.set_value``.

    Dates become serial numbers with a ``DATE`` (``yyyy-mm-dd``) or ``DATE_TIME`` number format, as a
    person typing a date gets; a str starting with ``=`` is a formula.
    """
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return {
            "userEnteredValue": {"numberValue": to_serial(value)},
            "userEnteredFormat": {"numberFormat": {"type": "DATE_TIME", "pattern": "yyyy-mm-dd hh:mm:ss"}},
        }
    if isinstance(value, dt.date):
        return {
            "userEnteredValue": {"numberValue": to_serial(value)},
            "userEnteredFormat": {"numberFormat": {"type": "DATE", "pattern": "yyyy-mm-dd"}},
        }
    if isinstance(value, bool):
        return {"userEnteredValue": {"boolValue": value}}
    if isinstance(value, int | float):
        return {"userEnteredValue": {"numberValue": value}}
    text = str(value)
    if text == "":
        return None
    if text.startswith("=") and len(text) > 1:
        return {"userEnteredValue": {"formulaValue": text}}
    return {"userEnteredValue": {"stringValue": text}}


# =====================================================================================
# The model: a spreadsheet of sheets of rows of cells
# =====================================================================================
#
# A cell is a dict holding what the API stores for it: ``userEnteredValue``, ``userEnteredFormat``,
# ``note``, ``dataValidation``. Cell dicts are never changed in place, only replaced, so cloning a
# sheet for an atomic batchUpdate copies one dict per row and nothing more.


class Row:
    """One grid row: its cells by column index, its height, the developer metadata anchored on it."""

    __slots__ = ("cells", "pixel_size", "meta", "hidden")

    def __init__(
        self, cells: dict[int, dict] | None = None, pixel_size: int = 21, meta: list[int] | None = None
    ):
        self.cells: dict[int, dict] = cells if cells is not None else {}
        self.pixel_size = pixel_size
        self.meta: list[int] = meta if meta is not None else []
        self.hidden = False

    def clone(self) -> Row:
        r = Row(dict(self.cells), self.pixel_size, list(self.meta))
        r.hidden = self.hidden
        return r


class Column:
    """One grid column's properties: width, hidden, developer metadata anchored on it."""

    __slots__ = ("pixel_size", "meta", "hidden")

    def __init__(self, pixel_size: int = 100, meta: list[int] | None = None):
        self.pixel_size = pixel_size
        self.meta: list[int] = meta if meta is not None else []
        self.hidden = False

    def clone(self) -> Column:
        c = Column(self.pixel_size, list(self.meta))
        c.hidden = self.hidden
        return c


class Sheet:
    """One worksheet (a "grid" in API terms). Tests read it through ``emu.sheet()`` / ``emu.edit()``.

    Attributes: ``sheet_id``, ``title``, ``index``, ``rows`` (list of :class:`Row`), ``columns``,
    ``frozen_rows``, ``frozen_columns``, ``hidden``, ``protected_ranges`` (API ``ProtectedRange`` dicts).
    Row/column indexes in the helper methods are 0-based, like the API's.
    """

    def __init__(
        self, book: Spreadsheet, sheet_id: int, title: str, index: int, rows: int = 1000, cols: int = 26
    ):
        self._book = book
        self.sheet_id = sheet_id
        self.title = title
        self.index = index
        self.rows: list[Row] = [Row() for _ in range(rows)]
        self.columns: list[Column] = [Column() for _ in range(cols)]
        self.frozen_rows = 0
        self.frozen_columns = 0
        self.hidden = False
        self.hide_gridlines = False
        self.tab_color: dict | None = None
        self.protected_ranges: list[dict[str, Any]] = []
        self.charts: list[dict[str, Any]] = []  # EmbeddedChart resources anchored on this sheet

    def clone(self, book: Spreadsheet) -> Sheet:
        s = copy.copy(self)
        s._book = book
        s.rows = [r.clone() for r in self.rows]
        s.columns = [c.clone() for c in self.columns]
        s.protected_ranges = copy.deepcopy(self.protected_ranges)
        s.charts = copy.deepcopy(self.charts)
        s.tab_color = copy.deepcopy(self.tab_color)
        return s

    # -- sizes ---------------------------------------------------------------------------
    @property
    def row_count(self) -> int:
        return len(self.rows)

    @property
    def column_count(self) -> int:
        return len(self.columns)

    # -- cells -----------------------------------------------------------------------------
    def _check(self, r: int, c: int) -> None:
        if not (0 <= r < self.row_count and 0 <= c < self.column_count):
            raise IndexError(
                f"({r}, {c}) is outside the {self.row_count}x{self.column_count} grid of {self.title!r}"
            )

    def cell(self, r: int, c: int) -> dict[str, Any]:
        """A copy of the stored cell (``userEnteredValue``, ``userEnteredFormat``, ``note``, ``dataValidation``)."""
        self._check(r, c)
        return copy.deepcopy(self.rows[r].cells.get(c) or {})

    def value(self, r: int, c: int) -> Any:
        """The cell's effective value as a Python value (dates as serial numbers, errors as ``#NAME?``...)."""
        self._check(r, c)
        ev, _ = effective(self, r, c)
        return _py(ev)

    def formatted(self, r: int, c: int) -> str:
        """What the cell shows (the API's ``formattedValue``)."""
        self._check(r, c)
        ev, nf = effective(self, r, c)
        return format_value(ev, nf) if ev else ""

    def set_value(self, r: int, c: int, value: Any) -> None:
        """Type a value as a person would (formats other than a date's number format are kept)."""
        self._check(r, c)
        new = python_to_cell(value) or {}
        old = self.rows[r].cells.get(c) or {}
        merged = {k: v for k, v in old.items() if k != "userEnteredValue"}
        if "userEnteredValue" in new:
            merged["userEnteredValue"] = new["userEnteredValue"]
        if "userEnteredFormat" in new:
            fmt = dict(merged.get("userEnteredFormat", {}))
            fmt.update(new["userEnteredFormat"])
            merged["userEnteredFormat"] = fmt
        _put(self.rows[r], c, merged)

    def clear(self, r: int, c: int) -> None:
        self.set_value(r, c, None)

    def background(self, r: int, c: int) -> str | None:
        self._check(r, c)
        return color_to_hex(
            ((self.rows[r].cells.get(c) or {}).get("userEnteredFormat") or {}).get("backgroundColor")
        )

    def set_background(self, r: int, c: int, hex_color: str | None) -> None:
        self._check(r, c)
        cell = dict(self.rows[r].cells.get(c) or {})
        fmt = dict(cell.get("userEnteredFormat") or {})
        fmt.pop("backgroundColor", None)
        fmt.pop("backgroundColorStyle", None)
        if hex_color:
            fmt["backgroundColor"] = hex_to_color(hex_color)
            fmt["backgroundColorStyle"] = {"rgbColor": hex_to_color(hex_color)}
        cell["userEnteredFormat"] = fmt
        _put(self.rows[r], c, cell)

    def note(self, r: int, c: int) -> str | None:
        self._check(r, c)
        return (self.rows[r].cells.get(c) or {}).get("note")

    def set_note(self, r: int, c: int, text: str | None) -> None:
        self._check(r, c)
        cell = dict(self.rows[r].cells.get(c) or {})
        cell.pop("note", None)
        if text:
            cell["note"] = text
        _put(self.rows[r], c, cell)

    def validation(self, r: int, c: int) -> dict[str, Any] | None:
        self._check(r, c)
        return copy.deepcopy((self.rows[r].cells.get(c) or {}).get("dataValidation"))

    def number_format(self, r: int, c: int) -> dict[str, Any] | None:
        self._check(r, c)
        return copy.deepcopy(
            ((self.rows[r].cells.get(c) or {}).get("userEnteredFormat") or {}).get("numberFormat")
        )

    def values(self) -> list[list[Any]]:
        """Effective values of the whole sheet, trailing blanks trimmed (as ``emu.values``)."""
        rendered = [
            [
                _py(effective(self, r, c)[0]) if c in row.cells else ""
                for c in range(max(row.cells, default=-1) + 1)
            ]
            for r, row in enumerate(self.rows)
        ]
        return _trim(rendered)

    # -- metadata, protection ------------------------------------------------------------
    def row_metadata(self, r: int) -> list[dict[str, Any]]:
        """The developer metadata whose location starts on row ``r``, as API resources."""
        return [self._book._meta_resource(mid, r) for mid in self.rows[r].meta]

    def developer_metadata(self) -> list[dict[str, Any]]:
        """Every developer metadata located on this sheet (on it, its rows or its columns), as API resources."""
        return [m for m in self._book._all_meta_resources() if _meta_sheet_id(m) == self.sheet_id]

    def row_of_metadata(self, key: str, value: str | None = None) -> list[int]:
        """Rows carrying metadata ``key`` (and ``value`` if given)."""
        out = []
        for r, row in enumerate(self.rows):
            for mid in row.meta:
                rec = self._book.metadata[mid]
                if rec["metadataKey"] == key and (value is None or rec.get("metadataValue") == value):
                    out.append(r)
        return out

    def properties(self) -> dict[str, Any]:
        """The sheet's ``SheetProperties`` [fixture ClientTest.test_create]: frozen counts omitted when 0."""
        grid: dict[str, Any] = {"rowCount": self.row_count, "columnCount": self.column_count}
        if self.frozen_rows:
            grid["frozenRowCount"] = self.frozen_rows
        if self.frozen_columns:
            grid["frozenColumnCount"] = self.frozen_columns
        if self.hide_gridlines:
            grid["hideGridlines"] = True
        props: dict[str, Any] = {
            "sheetId": self.sheet_id,
            "title": self.title,
            "index": self.index,
            "sheetType": "GRID",
            "gridProperties": grid,
        }
        if self.hidden:
            props["hidden"] = True
        if self.tab_color:
            props["tabColor"] = copy.deepcopy(self.tab_color)
            props["tabColorStyle"] = {"rgbColor": copy.deepcopy(self.tab_color)}
        return props


def _put(row: Row, c: int, cell: dict | None) -> None:
    """Replace a cell; an empty one is dropped (the API does not tell an empty cell from a missing one)."""
    if cell and any(v not in (None, {}, "") for v in cell.values()):
        row.cells[c] = {k: v for k, v in cell.items() if v not in (None, {}, "")}
    else:
        row.cells.pop(c, None)


def _py(ev: dict | None) -> Any:
    if not ev:
        return ""
    if "numberValue" in ev:
        return _num_out(ev["numberValue"])
    if "stringValue" in ev:
        return ev["stringValue"]
    if "boolValue" in ev:
        return ev["boolValue"]
    return _ERROR_TEXT.get(ev.get("errorValue", {}).get("type", "ERROR"), "#ERROR!")


def _trim(grid: list[list[Any]]) -> list[list[Any]]:
    """Drop trailing blank cells of each row and trailing blank rows, as the values API does."""
    out = []
    for row in grid:
        n = len(row)
        while n and row[n - 1] in ("", None):
            n -= 1
        out.append(row[:n])
    while out and not out[-1]:
        out.pop()
    return out


def _meta_sheet_id(resource: dict) -> int | None:
    loc = resource.get("location", {})
    if "dimensionRange" in loc:
        return loc["dimensionRange"].get("sheetId", 0)
    if "sheetId" in loc:
        return loc["sheetId"]
    return None


class Spreadsheet:
    """A spreadsheet (a Drive file): its sheets, developer metadata, Drive permissions and times."""

    def __init__(self, sid: str, title: str, owner: str):
        self.id = sid
        self.title = title
        self.locale = "en_US"
        self.time_zone = "Etc/GMT"
        self.sheets: list[Sheet] = []
        #: developer metadata by id: ``metadataId, metadataKey, metadataValue, visibility`` plus
        #: ``_kind`` (SPREADSHEET, SHEET, ROW, COLUMN), ``_sheet`` (sheet id) and ``_span`` (length).
        self.metadata: dict[int, dict[str, Any]] = {}
        self.owner = owner
        self.permissions: list[dict[str, Any]] = []
        self.notifications: list[dict[str, Any]] = []
        self.created = _now_rfc3339()
        self.modified = self.created
        self.trashed = False

    def clone(self) -> Spreadsheet:
        s = copy.copy(self)
        s.sheets = [sh.clone(s) for sh in self.sheets]
        s.metadata = copy.deepcopy(self.metadata)
        return s

    def adopt(self, other: Spreadsheet) -> None:
        """Take over a clone's state, keeping the Sheet objects tests may hold on to."""
        old = {sh.sheet_id: sh for sh in self.sheets}
        new_sheets = []
        for sh in other.sheets:
            target = old.get(sh.sheet_id, sh)
            if target is not sh:
                target.__dict__.update(sh.__dict__)
            target._book = self
            new_sheets.append(target)
        self.__dict__.update({k: v for k, v in other.__dict__.items() if k != "sheets"})
        self.sheets = new_sheets

    def sheet_by_id(self, sheet_id: Any) -> Sheet | None:
        return next((s for s in self.sheets if s.sheet_id == sheet_id), None)

    def sheet_by_title(self, title: str) -> Sheet | None:
        return next((s for s in self.sheets if s.title == title), None)

    def sheet_named_like(self, title: str, folded: bool = True) -> Sheet | None:
        """The sheet a new title would clash with: Google compares sheet names case-insensitively
        [pull request socialpoint-labs/sheetfu#26, "Google sheets internally ignores case for sheet
        names ... trying to create 2 sheets with the same name but different cases fails, wether you
        do it from the spreadsheet UI or the API"; the refusal's words: issue
        asimlqt/php-google-spreadsheet-client#170, 'A sheet with the name "New Worksheet" already
        exists. Please enter another name.']. ``folded=False`` is the old exact comparison."""
        if not folded:
            return self.sheet_by_title(title)
        key = title.casefold()
        return next((s for s in self.sheets if s.title.casefold() == key), None)

    def first_sheet(self) -> Sheet:
        visible = [s for s in self.sheets if not s.hidden] or self.sheets
        return min(visible, key=lambda s: s.index)

    def reindex(self) -> None:
        self.sheets.sort(key=lambda s: s.index)
        for i, s in enumerate(self.sheets):
            s.index = i

    # -- developer metadata locations ------------------------------------------------------
    def _positions(self) -> dict[int, int]:
        """Where each row/column-anchored metadata id sits now (one scan, not one per id)."""
        pos: dict[int, int] = {}
        for sh in self.sheets:
            for i, row in enumerate(sh.rows):
                for mid in row.meta:
                    pos[mid] = i
            for i, col in enumerate(sh.columns):
                for mid in col.meta:
                    pos[mid] = i
        return pos

    def _meta_resource(
        self, mid: int, index: int | None = None, positions: dict[int, int] | None = None
    ) -> dict:
        """A ``DeveloperMetadata`` resource [Sheets v4 ref, spreadsheets.developerMetadata]."""
        rec = self.metadata[mid]
        kind = rec["_kind"]
        if kind == "SPREADSHEET":
            loc: dict[str, Any] = {"locationType": "SPREADSHEET", "spreadsheet": True}
        elif kind == "SHEET":
            loc = {"locationType": "SHEET", "sheetId": rec["_sheet"]}
        else:
            if index is None:
                index = (positions if positions is not None else self._positions())[mid]
            dim: dict[str, Any] = {
                "sheetId": rec["_sheet"],
                "dimension": "ROWS" if kind == "ROW" else "COLUMNS",
                "startIndex": index,
                "endIndex": index + rec["_span"],
            }
            loc = {"locationType": kind, "dimensionRange": dim}
        out: dict[str, Any] = {"metadataId": mid, "metadataKey": rec["metadataKey"]}
        if rec.get("metadataValue") is not None:
            out["metadataValue"] = rec["metadataValue"]
        out["location"] = loc
        out["visibility"] = rec["visibility"]
        return out

    def _all_meta_resources(self) -> list[dict[str, Any]]:
        pos = self._positions()
        return [self._meta_resource(mid, positions=pos) for mid in self.metadata]


def _now_rfc3339() -> str:
    now = dt.datetime.now(dt.UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def effective(sheet: Sheet, r: int, c: int, depth: int = 0) -> tuple[dict | None, dict | None]:
    """``(effectiveValue, effective numberFormat)`` of a cell; formulas are evaluated (see module doc)."""
    if r >= sheet.row_count:
        return None, None
    cell = sheet.rows[r].cells.get(c)
    if not cell:
        return None, None
    uev = cell.get("userEnteredValue")
    nf = (cell.get("userEnteredFormat") or {}).get("numberFormat")
    if not uev:
        return None, nf
    if "formulaValue" in uev:
        ev, auto = _eval_formula(sheet, uev["formulaValue"], depth)
        return ev, nf or auto
    return uev, nf


_REF = re.compile(r"(?:('(?:[^']|'')+'|[A-Za-z0-9_]+)!)?\$?([A-Za-z]{1,3})\$?(\d+)")


def _eval_formula(sheet: Sheet, formula: str, depth: int) -> tuple[dict, dict | None]:
    body = formula[1:].strip()
    if depth > 30:
        return _err("REF", "Circular dependency detected."), None
    m = _REF.fullmatch(body)
    if m:
        target = sheet
        if m[1]:
            name = m[1][1:-1].replace("''", "'") if m[1].startswith("'") else m[1]
            target = sheet._book.sheet_by_title(name)
            if target is None:
                return _err("REF", f"Unresolved sheet name '{name}'."), None
        r, c = int(m[3]) - 1, col_index(m[2])
        if r >= target.row_count or c >= target.column_count:
            return _err("REF", f"Reference {body} is out of range."), None
        ev, nf = effective(target, r, c, depth + 1)
        # A reference to a blank cell shows 0, as in the Sheets UI.
        return (ev or {"numberValue": 0}), nf
    m = re.fullmatch(r"DATE\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*\)", body, re.I)
    if m:
        try:
            serial = to_serial(dt.date(int(m[1]), int(m[2]), int(m[3])))
        except ValueError:
            return _err("NUM", "DATE evaluates to an out of range value."), None
        return {"numberValue": serial}, {"type": "DATE", "pattern": _DEFAULT_PATTERNS["DATE"]}
    if re.fullmatch(r"[0-9.\s+\-*/()eE]+", body):
        try:
            return {"numberValue": _arith(ast.parse(body, mode="eval").body)}, None
        except ZeroDivisionError:
            return _err("DIVIDE_BY_ZERO", "Function DIVIDE parameter 2 cannot be zero."), None
        except (ValueError, SyntaxError):
            return _err("ERROR", "Formula parse error."), None
    m = re.match(r"([A-Za-z_][A-Za-z0-9_.]*)\s*\(", body)
    if m:
        return _err("NAME", f"Unknown function: '{m[1].lower()}'."), None
    return _err("NAME", f"Unknown range name: '{body}'."), None


def render(sheet: Sheet, r: int, c: int, value_render: str, date_render: str) -> Any:
    """One cell as ``values.get`` returns it [Sheets v4 ref, ValueRenderOption / DateTimeRenderOption].

    [fixture WorksheetTest.test_get_all_values_date_time_render_options]: UNFORMATTED + SERIAL_NUMBER
    gives ``43831``, UNFORMATTED + FORMATTED_STRING ``"2020-01-01"``, FORMATTED_VALUE ``"2020-01-01"``
    whatever the date option; ``=4/2`` gives ``2`` unformatted and ``"2"`` formatted.
    """
    cell = sheet.rows[r].cells.get(c)
    if not cell:
        return ""
    uev = cell.get("userEnteredValue") or {}
    if value_render == "FORMULA" and "formulaValue" in uev:
        return uev["formulaValue"]
    ev, nf = effective(sheet, r, c)
    if not ev:
        return ""
    if value_render == "FORMATTED_VALUE":
        return format_value(ev, nf)
    if "numberValue" in ev:
        if date_render == "FORMATTED_STRING" and nf and nf.get("type") in _DATE_TYPES:
            return format_value(ev, nf)
        return _num_out(ev["numberValue"])
    if "errorValue" in ev:
        return format_value(ev, nf)
    return ev.get("stringValue", ev.get("boolValue", ""))


# =====================================================================================
# Ranges: A1 notation and GridRange / DimensionRange
# =====================================================================================

_A1_END = re.compile(r"\$?([A-Za-z]{0,3})\$?(\d*)")


def _split_title(text: str) -> tuple[str | None, str | None]:
    """``'My sheet'!A1:B`` -> ``("My sheet", "A1:B")``; ``Tracker`` -> ``("Tracker", None)``."""
    if text.startswith("'"):
        i, title = 1, []
        while i < len(text):
            if text[i] == "'":
                if i + 1 < len(text) and text[i + 1] == "'":
                    title.append("'")
                    i += 2
                    continue
                break
            title.append(text[i])
            i += 1
        rest = text[i + 1 :]
        if rest.startswith("!"):
            return "".join(title), rest[1:]
        if rest == "":
            return "".join(title), None
        raise _bad(f"Unable to parse range: {text}")
    if "!" in text:
        title, _, cells = text.rpartition("!")
        return title, cells
    return None, text


def resolve_a1(book: Spreadsheet, text: str) -> tuple[Sheet, int, int, int, int]:
    """``(sheet, r0, r1, c0, c1)`` (half-open) for an A1 range; open ends run to the grid's edge.

    Accepts ``Sheet1``, ``'Quoted name'!A1:B2``, ``A:C``, ``2:5``, ``A2:Z`` (open-ended) and a bare
    ``A1:B2`` (first visible sheet) [Sheets v4 ref, "A1 notation"]. Past the grid is
    ``Range (...) exceeds grid limits. Max rows: N, max columns: M`` (Google's message).
    """
    title, cells = _split_title(text)
    if title is None:
        named = book.sheet_by_title(text)
        if named is not None:
            title, cells = text, None
    sheet = book.sheet_by_title(title) if title is not None else book.first_sheet()
    if sheet is None:
        raise _bad(f"Unable to parse range: {text}")
    if not cells:
        return sheet, 0, sheet.row_count, 0, sheet.column_count
    parts = cells.split(":")
    if len(parts) > 2:
        raise _bad(f"Unable to parse range: {text}")
    ends = []
    for p in parts:
        m = _A1_END.fullmatch(p)
        if not m or (not m[1] and not m[2]):
            raise _bad(f"Unable to parse range: {text}")
        ends.append((col_index(m[1]) if m[1] else None, int(m[2]) - 1 if m[2] else None))
    if any(r is not None and r < 0 for _, r in ends):
        raise _bad(f"Unable to parse range: {text}")
    (sc, sr), (ec, er) = ends[0], ends[-1]
    if len(parts) == 1:
        if sc is None:  # "5" is row 5
            c0, c1, r0, r1 = 0, sheet.column_count, sr, sr + 1
        elif sr is None:  # "B" is column B
            c0, c1, r0, r1 = sc, sc + 1, 0, sheet.row_count
        else:
            c0, c1, r0, r1 = sc, sc + 1, sr, sr + 1
    else:
        c0 = sc if sc is not None else 0
        r0 = sr if sr is not None else 0
        c1 = ec + 1 if ec is not None else sheet.column_count
        r1 = er + 1 if er is not None else sheet.row_count
        if sc is None and ec is not None:
            c0 = 0
        c0, c1 = min(c0, c1 - 1), max(c1, c0 + 1)
        r0, r1 = min(r0, r1 - 1), max(r1, r0 + 1)
    if r1 > sheet.row_count or c1 > sheet.column_count:
        raise _bad(
            f"Range ({quote_title(sheet.title)}!{cells}) exceeds grid limits. "
            f"Max rows: {sheet.row_count}, max columns: {sheet.column_count}"
        )
    return sheet, r0, r1, c0, c1


def echo_range(sheet: Sheet, r0: int, r1: int, c0: int, c1: int) -> str:
    return f"{quote_title(sheet.title)}!{a1_window(r0, r1, c0, c1)}"


def _int(v: Any, where: str, name: str) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        if isinstance(v, str) and re.fullmatch(r"-?\d+", v):
            return int(v)
        raise _bad(f"Invalid value at '{where}.{name}' (TYPE_INT32), {json.dumps(v)}")
    return v


def grid_range(book: Spreadsheet, gr: dict | None, where: str) -> tuple[Sheet, int, int, int, int]:
    """``(sheet, r0, r1, c0, c1)`` of a ``GridRange``; missing indexes mean unbounded [Sheets v4 ref, GridRange]."""
    gr = gr or {}
    sid = _int(gr.get("sheetId", 0), where, "sheetId")
    sheet = book.sheet_by_id(sid)
    if sheet is None:
        raise _bad(f"Invalid {where}: No grid with id: {sid}")
    r0 = _int(gr.get("startRowIndex", 0), where, "startRowIndex")
    r1 = _int(gr.get("endRowIndex", sheet.row_count), where, "endRowIndex")
    c0 = _int(gr.get("startColumnIndex", 0), where, "startColumnIndex")
    c1 = _int(gr.get("endColumnIndex", sheet.column_count), where, "endColumnIndex")
    if r0 < 0 or c0 < 0 or r1 < r0 or c1 < c0:
        raise _bad(f"Invalid {where}: The start index must be less than or equal to the end index.")
    if r1 > sheet.row_count or c1 > sheet.column_count:
        raise _bad(
            f"Invalid {where}: Range ({quote_title(sheet.title)}!{a1_window(r0, max(r1, r0 + 1), c0, max(c1, c0 + 1))}) "
            f"exceeds grid limits. Max rows: {sheet.row_count}, max columns: {sheet.column_count}"
        )
    return sheet, r0, r1, c0, c1


def dimension_range(book: Spreadsheet, dr: dict | None, where: str) -> tuple[Sheet, str, int, int]:
    """``(sheet, ROWS|COLUMNS, start, end)`` of a ``DimensionRange``."""
    dr = dr or {}
    sid = _int(dr.get("sheetId", 0), where, "sheetId")
    sheet = book.sheet_by_id(sid)
    if sheet is None:
        raise _bad(f"Invalid {where}: No grid with id: {sid}")
    dim = dr.get("dimension")
    if dim not in ("ROWS", "COLUMNS"):
        raise _bad(f"Invalid {where}: range.dimension must be ROWS or COLUMNS.")
    count = sheet.row_count if dim == "ROWS" else sheet.column_count
    start = _int(dr.get("startIndex", 0), where, "startIndex")
    end = _int(dr.get("endIndex", count), where, "endIndex")
    if start < 0 or end < start:
        raise _bad(f"Invalid {where}: The start index must be less than or equal to the end index.")
    return sheet, dim, start, end


def _out_range(gr: dict) -> dict:
    """A GridRange as the API returns it: ``sheetId`` 0 omitted [fixture WorksheetTest.test_add_protected_range_warning]."""
    out = {k: v for k, v in gr.items() if not (k == "sheetId" and v == 0)}
    return out


def _shift_span(start: int, end: int, at: int, n: int) -> tuple[int, int]:
    """A [start, end) span after inserting ``n`` at ``at`` (grows when inserted strictly inside)."""
    if at <= start:
        return start + n, end + n
    if at < end:
        return start, end + n
    return start, end


def _cut_span(start: int, end: int, at: int, n: int) -> tuple[int, int]:
    """A [start, end) span after deleting [at, at+n)."""

    def f(i: int) -> int:
        return i if i <= at else max(at, i - n)

    return f(start), f(end)


# =====================================================================================
# Structural edits shared by batchUpdate requests and the coach actions
# =====================================================================================


def _adjust_protected(sheet: Sheet, dim: str, fn: Callable[[int, int], tuple[int, int]]) -> None:
    keys = ("startRowIndex", "endRowIndex") if dim == "ROWS" else ("startColumnIndex", "endColumnIndex")
    kept = []
    for pr in sheet.protected_ranges:
        rng = pr.get("range", {})
        if keys[0] in rng or keys[1] in rng:
            count = sheet.row_count if dim == "ROWS" else sheet.column_count
            s, e = fn(rng.get(keys[0], 0), rng.get(keys[1], count))
            if e <= s:
                continue  # its cells are all gone, and with them the protection
            if keys[0] in rng:
                rng[keys[0]] = s
            if keys[1] in rng:
                rng[keys[1]] = e
        kept.append(pr)
    sheet.protected_ranges = kept


def insert_dimension(sheet: Sheet, dim: str, at: int, n: int, inherit_from_before: bool = False) -> None:
    """Insert ``n`` blank rows/columns at ``at``; what sits there and below moves down with its metadata.

    New cells take the formats of the neighbour (before or after) as Google's ``inheritFromBefore`` does.
    """
    if dim == "ROWS":
        src = at - 1 if inherit_from_before else at
        fmt_row = sheet.rows[src] if 0 <= src < sheet.row_count else None
        new_rows = []
        for _ in range(n):
            row = Row(pixel_size=fmt_row.pixel_size if fmt_row else 21)
            if fmt_row:
                for c, cell in fmt_row.cells.items():
                    if cell.get("userEnteredFormat"):
                        row.cells[c] = {"userEnteredFormat": copy.deepcopy(cell["userEnteredFormat"])}
            new_rows.append(row)
        sheet.rows[at:at] = new_rows
        if at < sheet.frozen_rows:
            sheet.frozen_rows += n
    else:
        for row in sheet.rows:
            if row.cells and max(row.cells) >= at:
                row.cells = {(c + n if c >= at else c): v for c, v in row.cells.items()}
        sheet.columns[at:at] = [Column() for _ in range(n)]
        if at < sheet.frozen_columns:
            sheet.frozen_columns += n
    _adjust_protected(sheet, dim, lambda s, e: _shift_span(s, e, at, n))


def delete_dimension(book: Spreadsheet, sheet: Sheet, dim: str, start: int, end: int) -> None:
    """Delete rows/columns [start, end): their cells and the developer metadata anchored on them go too."""
    n = end - start
    _adjust_protected(sheet, dim, lambda s, e: _cut_span(s, e, start, n))
    if dim == "ROWS":
        for row in sheet.rows[start:end]:
            for mid in row.meta:
                book.metadata.pop(mid, None)
        del sheet.rows[start:end]
        sheet.frozen_rows -= max(0, min(end, sheet.frozen_rows) - start)
    else:
        for col in sheet.columns[start:end]:
            for mid in col.meta:
                book.metadata.pop(mid, None)
        del sheet.columns[start:end]
        for row in sheet.rows:
            if row.cells and max(row.cells) >= start:
                row.cells = {
                    (c - n if c >= end else c): v for c, v in row.cells.items() if not start <= c < end
                }
        sheet.frozen_columns -= max(0, min(end, sheet.frozen_columns) - start)


def move_dimension(sheet: Sheet, dim: str, start: int, end: int, dest: int) -> None:
    """``moveDimension``: move [start, end) so it starts at ``dest`` counted *before* the removal [Sheets v4 ref]."""
    count = sheet.row_count if dim == "ROWS" else sheet.column_count
    order = list(range(count))
    block = order[start:end]
    rest = order[:start] + order[end:]
    insert_at = dest if dest <= start else dest - (end - start)
    order = rest[:insert_at] + block + rest[insert_at:]
    new_index = {old: new for new, old in enumerate(order)}
    if dim == "ROWS":
        sheet.rows = [sheet.rows[i] for i in order]
    else:
        sheet.columns = [sheet.columns[i] for i in order]
        for row in sheet.rows:
            if row.cells:
                row.cells = {new_index[c]: v for c, v in row.cells.items()}

    def remap(s: int, e: int) -> tuple[int, int]:
        moved = sorted(new_index[i] for i in range(s, min(e, count)))
        if moved and moved[-1] - moved[0] == len(moved) - 1:
            return moved[0], moved[-1] + 1
        return s, e  # no longer contiguous: Google keeps such a range where it was

    _adjust_protected(sheet, dim, remap)


def _sort_key_cmp(a: tuple, b: tuple, descending: list[bool]) -> int:
    # Each key is (category, value); blanks (category 9) sort last in both orders, as in Google Sheets.
    for (ca, va), (cb, vb), desc in zip(a, b, descending, strict=True):
        if ca == 9 or cb == 9:
            if ca != cb:
                return -1 if cb == 9 else 1
            continue
        if (ca, va) != (cb, vb):
            less = (ca, va) < (cb, vb)
            return (1 if less else -1) if desc else (-1 if less else 1)
    return 0


def _sort_value(sheet: Sheet, r: int, c: int) -> tuple[int, Any]:
    ev, _ = effective(sheet, r, c)
    if not ev:
        return 9, 0
    if "numberValue" in ev:
        return 0, ev["numberValue"]
    if "stringValue" in ev:
        return (1, ev["stringValue"].lower()) if ev["stringValue"] != "" else (9, 0)
    if "boolValue" in ev:
        return 2, ev["boolValue"]
    return 3, ev["errorValue"].get("type", "")


def sort_range(sheet: Sheet, r0: int, r1: int, c0: int, c1: int, specs: list[tuple[int, bool]]) -> None:
    """Sort rows [r0, r1) by ``(column, descending)`` specs: numbers, then text, then booleans; blanks last.

    Over every column, whole rows move (their metadata, heights and formats too); otherwise only the
    cells of columns [c0, c1) move.
    """
    keys = {r: tuple(_sort_value(sheet, r, c) for c, _ in specs) for r in range(r0, r1)}
    desc = [d for _, d in specs]
    order = sorted(
        range(r0, r1), key=functools.cmp_to_key(lambda a, b: _sort_key_cmp(keys[a], keys[b], desc))
    )
    if c0 == 0 and c1 == sheet.column_count:
        sheet.rows[r0:r1] = [sheet.rows[i] for i in order]
        return
    moved = [{c: v for c, v in sheet.rows[i].cells.items() if c0 <= c < c1} for i in order]
    for r, cells in zip(range(r0, r1), moved, strict=True):
        row = sheet.rows[r]
        row.cells = {c: v for c, v in row.cells.items() if not c0 <= c < c1}
        row.cells.update(cells)


# =====================================================================================
# spreadsheets.batchUpdate
# =====================================================================================

_CELL_FIELDS = {
    "userEnteredValue",
    "userEnteredFormat",
    "note",
    "dataValidation",
    "textFormatRuns",
    "hyperlink",
    "effectiveValue",
    "formattedValue",
    "effectiveFormat",
    "pivotTable",
    "dataSourceTable",
    "dataSourceFormula",
    "chipRuns",
}
_WRITABLE = ("userEnteredValue", "userEnteredFormat", "note", "dataValidation", "textFormatRuns")
_NUMBER_FORMAT_TYPES = {
    "NUMBER_FORMAT_TYPE_UNSPECIFIED",
    "TEXT",
    "NUMBER",
    "PERCENT",
    "CURRENCY",
    "DATE",
    "TIME",
    "DATE_TIME",
    "SCIENTIFIC",
}
_REQUEST_KINDS = {
    "updateCells",
    "repeatCell",
    "appendDimension",
    "insertDimension",
    "deleteDimension",
    "moveDimension",
    "updateSheetProperties",
    "updateSpreadsheetProperties",
    "updateDimensionProperties",
    "setDataValidation",
    "addProtectedRange",
    "updateProtectedRange",
    "deleteProtectedRange",
    "createDeveloperMetadata",
    "updateDeveloperMetadata",
    "deleteDeveloperMetadata",
    "addSheet",
    "deleteSheet",
    "sortRange",
    "autoResizeDimensions",
    "updateBorders",
    "mergeCells",
    "unmergeCells",
    "appendCells",
    "addChart",
    "deleteEmbeddedObject",
}
# Request kinds the real API has and this emulator does not: a clear 400 rather than a silent no-op.
_KNOWN_UNSUPPORTED = {
    "addNamedRange",
    "updateNamedRange",
    "deleteNamedRange",
    "addConditionalFormatRule",
    "updateConditionalFormatRule",
    "deleteConditionalFormatRule",
    "setBasicFilter",
    "clearBasicFilter",
    "addFilterView",
    "duplicateSheet",
    "copyPaste",
    "cutPaste",
    "findReplace",
    "pasteData",
    "textToColumns",
    "autoFill",
    "addBanding",
    "deleteRange",
    "insertRange",
    "deleteDuplicates",
    "trimWhitespace",
    "randomizeRange",
    "addDimensionGroup",
    "deleteDimensionGroup",
    "updateDimensionGroup",
}


def _normalise_cell_input(cd: Any, where: str) -> dict:
    """Check a ``CellData`` sent for writing; mirror ``*ColorStyle.rgbColor`` onto ``*Color``."""
    if not isinstance(cd, dict):
        raise _bad(
            f"Invalid value at '{where}' (type.googleapis.com/google.apps.sheets.v4.CellData), {json.dumps(cd)}"
        )
    for k in cd:
        if k not in _CELL_FIELDS:
            raise _bad(
                f"Invalid JSON payload received. Unknown name \"{k}\" at '{where}': Cannot find field."
            )
    cd = copy.deepcopy(cd)
    uev = cd.get("userEnteredValue")
    if uev is not None:
        kinds = [
            k for k in uev if k in ("stringValue", "numberValue", "boolValue", "formulaValue", "errorValue")
        ]
        if len(kinds) != 1 or len(uev) != 1:
            raise _bad(
                f"Invalid {where}.userEnteredValue: exactly one of stringValue, numberValue, boolValue, formulaValue must be set."
            )
        k = kinds[0]
        v = uev[k]
        if k == "errorValue":
            raise _bad(f"Invalid {where}: errorValue is read-only and cannot be set.")
        if k == "numberValue":
            if isinstance(v, str):
                try:
                    uev[k] = float(v)
                except ValueError:
                    raise _bad(
                        f"Invalid value at '{where}.user_entered_value.number_value' (TYPE_DOUBLE), {json.dumps(v)}"
                    ) from None
            elif isinstance(v, bool) or not isinstance(v, int | float):
                raise _bad(
                    f"Invalid value at '{where}.user_entered_value.number_value' (TYPE_DOUBLE), {json.dumps(v)}"
                )
        elif k == "boolValue" and not isinstance(v, bool):
            raise _bad(
                f"Invalid value at '{where}.user_entered_value.bool_value' (TYPE_BOOL), {json.dumps(v)}"
            )
        elif k in ("stringValue", "formulaValue") and not isinstance(v, str):
            raise _bad(f"Invalid value at '{where}.user_entered_value.{k}' (TYPE_STRING), {json.dumps(v)}")
        elif k in ("stringValue", "formulaValue") and len(v) > MAX_CELL_CHARS:
            raise _bad(f"Invalid {'.'.join(where.split('.')[:2])}: {CELL_TOO_LONG}")  # see MAX_CELL_CHARS
    fmt = cd.get("userEnteredFormat")
    if fmt is not None:
        nf = fmt.get("numberFormat")
        if nf is not None and nf.get("type", "NUMBER") not in _NUMBER_FORMAT_TYPES:
            raise _bad(
                f"Invalid value at '{where}.user_entered_format.number_format.type' "
                f"(type.googleapis.com/google.apps.sheets.v4.NumberFormat.Type), {json.dumps(nf.get('type'))}"
            )
        style = fmt.pop("backgroundColorStyle", None)
        if style and "rgbColor" in style and "backgroundColor" not in fmt:
            fmt["backgroundColor"] = style["rgbColor"]
        for comp, val in (fmt.get("backgroundColor") or {}).items():
            if comp in ("red", "green", "blue", "alpha") and not (
                isinstance(val, int | float) and 0 <= val <= 1
            ):
                raise _bad(
                    f"Invalid {where}.userEnteredFormat.backgroundColor: {comp} must be between 0 and 1."
                )
        if "backgroundColor" in fmt:
            fmt["backgroundColor"] = quantize_color(fmt["backgroundColor"])
        tf = fmt.get("textFormat")
        if tf:
            st = tf.pop("foregroundColorStyle", None)
            if st and "rgbColor" in st and "foregroundColor" not in tf:
                tf["foregroundColor"] = st["rgbColor"]
            if "foregroundColor" in tf:
                tf["foregroundColor"] = quantize_color(tf["foregroundColor"])
    return cd


def _cell_paths(fields: Any, where: str) -> list[tuple[str, ...]]:
    if not isinstance(fields, str) or not fields.strip():
        raise _bad(f"Invalid {where}: At least one field must be specified.")
    try:
        return list(_cell_paths_cached(fields))
    except ApiError as e:
        raise _bad(f"Invalid {where}: {e.message}") from None


@functools.lru_cache(maxsize=256)
def _cell_paths_cached(fields: str) -> tuple[tuple[str, ...], ...]:
    """The CellData paths a ``fields`` mask names (cached: a batch repeats the same few masks)."""
    if fields.strip() == "*":
        return tuple((f,) for f in _WRITABLE)
    paths: list[tuple[str, ...]] = []
    for p in _mask_paths(parse_mask(fields)):
        if p[0] == "*":
            paths.extend((f,) for f in _WRITABLE)
            continue
        if p[0] not in _CELL_FIELDS:
            raise _bad(f"Invalid field mask: '{'.'.join(p)}' is not a field of CellData.")
        if p[0] in ("effectiveValue", "formattedValue", "effectiveFormat"):
            continue  # read-only: what is computed from the other fields
        # The *ColorStyle fields are the same thing as the *Color fields; write them once.
        p = tuple("backgroundColor" if x == "backgroundColorStyle" else x for x in p)
        p = tuple("foregroundColor" if x == "foregroundColorStyle" else x for x in p)
        if p[-1] == "rgbColor":
            p = p[:-1]
        paths.append(p)
    return tuple(paths)


def _merge_cell(old: dict | None, new: dict, paths: list[tuple[str, ...]]) -> dict | None:
    cell = copy.deepcopy(old) if old else {}
    for path in paths:
        src: Any = new
        for p in path:
            src = src.get(p) if isinstance(src, dict) else None
        dst = cell
        for p in path[:-1]:
            if not isinstance(dst.get(p), dict):
                dst[p] = {}
            dst = dst[p]
        if src is None:
            dst.pop(path[-1], None)
        else:
            dst[path[-1]] = copy.deepcopy(src)
    fmt = cell.get("userEnteredFormat")
    if fmt is not None:
        # The API answers with both the colour and its ColorStyle twin [fixture WorksheetTest.test_format].
        fmt.pop("backgroundColorStyle", None)
        if "backgroundColor" in fmt:
            fmt["backgroundColorStyle"] = {"rgbColor": copy.deepcopy(fmt["backgroundColor"])}
        tf = fmt.get("textFormat")
        if tf is not None:
            tf.pop("foregroundColorStyle", None)
            if "foregroundColor" in tf:
                tf["foregroundColorStyle"] = {"rgbColor": copy.deepcopy(tf["foregroundColor"])}
            if not tf:
                fmt.pop("textFormat")
        if not fmt:
            cell.pop("userEnteredFormat")
    uev = cell.get("userEnteredValue")
    if uev is not None and uev.get("stringValue") == "":
        cell.pop("userEnteredValue")
    return cell or None


class _Batch:
    """Applies one batchUpdate's requests, in order, to a clone of the spreadsheet.

    [Sheets v4 ref, spreadsheets.batchUpdate]: "Each request is validated before being applied. If any
    request is not valid then the entire request will fail and nothing will be applied." The caller
    swaps the clone in only when every request went through. Error texts follow Google's
    ``Invalid requests[i].<kind>: ...`` form [fixture WorksheetTest.test_hide_show_worksheet].
    """

    def __init__(
        self,
        book: Spreadsheet,
        rng: random.Random,
        actor: str = SERVICE_ACCOUNT_EMAIL,
        *,
        folded_titles: bool = True,
        protection: bool = True,
        protected_status: int = 403,
    ):
        self.book = book
        self.rng = rng
        self.actor = actor
        self.folded_titles = folded_titles
        self.protection = protection
        self.protected_status = protected_status

    def _new_id(self, taken: set[int]) -> int:
        while True:
            n = self.rng.randrange(1, 2**31 - 1)
            if n not in taken:
                return n

    def apply(self, i: int, req: Any) -> dict[str, Any]:
        if not isinstance(req, dict) or len(req) == 0:
            raise _bad(f"Invalid requests[{i}]: No request set.")
        if len(req) > 1:
            first, second = list(req)[:2]
            raise _bad(
                f"Invalid value at 'requests[{i}]' (oneof), oneof field 'kind' is already set. Cannot set '{second}'"
            )
        ((kind, body),) = req.items()
        where = f"requests[{i}].{kind}"
        handler = getattr(self, "_" + kind, None)
        if kind not in _REQUEST_KINDS or handler is None:
            if kind in _KNOWN_UNSUPPORTED:
                raise ApiError(501, f"The emulator does not implement {kind} (requests[{i}]).")
            raise _bad(
                f"Invalid JSON payload received. Unknown name \"{kind}\" at 'requests[{i}]': Cannot find field."
            )
        if not isinstance(body, dict):
            raise _bad(f"Invalid value at '{where}', {json.dumps(body)}")
        return handler(body, where) or {}

    # -- cells ---------------------------------------------------------------------------
    def _refuse_area(self, sheet: Sheet, r0: int, r1: int, c0: int, c1: int) -> None:
        """Sorting or deleting protected cells is an edit too (see ``PROTECTED_CELL``)."""
        if (
            self.protection
            and sheet.protected_ranges
            and protects_area(self.book, sheet, r0, r1, c0, c1, self.actor)
        ):
            raise ApiError(self.protected_status, PROTECTED_CELL)

    def _write(self, sheet: Sheet, r: int, c: int, cd: dict, paths: list[tuple[str, ...]]) -> None:
        if self.protection and sheet.protected_ranges and protection_of(self.book, sheet, r, c, self.actor):
            raise ApiError(self.protected_status, PROTECTED_CELL)  # see PROTECTED_CELL
        row = sheet.rows[r]
        _put(row, c, _merge_cell(row.cells.get(c), cd, paths))

    def _updateCells(self, body: dict, where: str) -> None:
        paths = _cell_paths(body.get("fields"), where)
        rows = body.get("rows") or []
        if "range" in body and "start" in body:
            raise _bad(f"Invalid {where}: Only one of start or range may be set.")
        if "range" in body:
            sheet, r0, r1, c0, c1 = grid_range(self.book, body["range"], where)
            bounded = True
        else:
            start = body.get("start") or {}
            sid = _int(start.get("sheetId", 0), where, "start.sheetId")
            sheet = self.book.sheet_by_id(sid)
            if sheet is None:
                raise _bad(f"Invalid {where}: No grid with id: {sid}")
            r0 = _int(start.get("rowIndex", 0), where, "start.rowIndex")
            c0 = _int(start.get("columnIndex", 0), where, "start.columnIndex")
            r1, c1, bounded = sheet.row_count, sheet.column_count, False
        written: set[tuple[int, int]] = set()
        for i, rd in enumerate(rows):
            values = (rd or {}).get("values") or []
            r = r0 + i
            for j, cd in enumerate(values):
                c = c0 + j
                if bounded and r >= r1:
                    raise _bad(
                        f"Invalid {where}: Attempting to write row: {r}, beyond the last requested row of: {r1 - 1}"
                    )
                if bounded and c >= c1:
                    raise _bad(
                        f"Invalid {where}: Attempting to write column: {c}, beyond the last requested column of: {c1 - 1}"
                    )
                if r >= sheet.row_count or c >= sheet.column_count:
                    raise _bad(
                        f"Invalid {where}: Range ({quote_title(sheet.title)}!{col_letters(c)}{r + 1}) exceeds grid "
                        f"limits. Max rows: {sheet.row_count}, max columns: {sheet.column_count}"
                    )
                self._write(sheet, r, c, _normalise_cell_input(cd, f"{where}.rows[{i}].values[{j}]"), paths)
                written.add((r, c))
        if bounded:
            # [Sheets v4 ref, UpdateCellsRequest.range]: cells of the range not in rows have the fields cleared.
            for r in range(r0, r1):
                row = sheet.rows[r]
                for c in [c for c in row.cells if c0 <= c < c1 and (r, c) not in written]:
                    self._write(sheet, r, c, {}, paths)

    def _repeatCell(self, body: dict, where: str) -> None:
        sheet, r0, r1, c0, c1 = grid_range(self.book, body.get("range"), where)
        paths = _cell_paths(body.get("fields"), where)
        cd = _normalise_cell_input(body.get("cell") or {}, f"{where}.cell")
        for r in range(r0, r1):
            for c in range(c0, c1):
                self._write(sheet, r, c, cd, paths)

    def _appendCells(self, body: dict, where: str) -> None:
        sid = _int(body.get("sheetId", 0), where, "sheetId")
        sheet = self.book.sheet_by_id(sid)
        if sheet is None:
            raise _bad(f"Invalid {where}: No grid with id: {sid}")
        paths = _cell_paths(body.get("fields"), where)
        last = max((r for r, row in enumerate(sheet.rows) if row.cells), default=-1)
        rows = body.get("rows") or []
        need = last + 1 + len(rows) - sheet.row_count
        if need > 0:
            sheet.rows.extend(Row() for _ in range(need))
            self._check_cells(where)  # the grid grows: MAX_CELLS holds here too
        for i, rd in enumerate(rows):
            for j, cd in enumerate((rd or {}).get("values") or []):
                if j >= sheet.column_count:
                    raise _bad(
                        f"Invalid {where}: Attempting to write column: {j}, beyond the last requested column of: {sheet.column_count - 1}"
                    )
                self._write(
                    sheet, last + 1 + i, j, _normalise_cell_input(cd, f"{where}.rows[{i}].values[{j}]"), paths
                )

    def _setDataValidation(self, body: dict, where: str) -> None:
        sheet, r0, r1, c0, c1 = grid_range(self.book, body.get("range"), where)
        rule = body.get("rule")
        if rule is not None and not (rule.get("condition") or {}).get("type"):
            raise _bad(f"Invalid {where}: rule.condition.type is required.")
        for r in range(r0, r1):
            for c in range(c0, c1):
                self._write(sheet, r, c, {"dataValidation": rule} if rule else {}, [("dataValidation",)])

    def _updateBorders(self, body: dict, where: str) -> None:
        grid_range(self.book, body.get("range"), where)  # borders are not kept; the range must be valid

    def _mergeCells(self, body: dict, where: str) -> None:
        grid_range(self.book, body.get("range"), where)

    def _unmergeCells(self, body: dict, where: str) -> None:
        grid_range(self.book, body.get("range"), where)

    # -- dimensions ----------------------------------------------------------------------
    def _appendDimension(self, body: dict, where: str) -> None:
        sid = _int(body.get("sheetId", 0), where, "sheetId")
        sheet = self.book.sheet_by_id(sid)
        if sheet is None:
            raise _bad(f"Invalid {where}: No grid with id: {sid}")
        n = _int(body.get("length", 0), where, "length")
        if n <= 0:
            raise _bad(f"Invalid {where}: length must be greater than 0.")
        dim = body.get("dimension")
        if dim == "ROWS":
            sheet.rows.extend(Row() for _ in range(n))
        elif dim == "COLUMNS":
            sheet.columns.extend(Column() for _ in range(n))
        else:
            raise _bad(f"Invalid {where}: dimension must be ROWS or COLUMNS.")
        self._check_cells(where)

    def _check_cells(self, where: str) -> None:
        total = sum(s.row_count * s.column_count for s in self.book.sheets)
        if total > MAX_CELLS:
            raise _bad(
                f"Invalid {where}: This action would increase the number of cells in the workbook above the limit of 10000000 cells."
            )

    def _insertDimension(self, body: dict, where: str) -> None:
        sheet, dim, start, end = dimension_range(self.book, body.get("range"), where)
        count = sheet.row_count if dim == "ROWS" else sheet.column_count
        if start > count:
            raise _bad(
                f"Invalid {where}: range.startIndex ({start}) is after the last {dim.lower()[:-1]} in the grid ({count})."
            )
        if end == start:
            raise _bad(f"Invalid {where}: range must not be empty.")
        inherit = bool(body.get("inheritFromBefore", False))
        if inherit and start == 0:
            raise _bad(f"Invalid {where}: Cannot inherit from before when inserting at index 0.")
        insert_dimension(sheet, dim, start, end - start, inherit)
        self._check_cells(where)

    def _deleteDimension(self, body: dict, where: str) -> None:
        sheet, dim, start, end = dimension_range(self.book, body.get("range"), where)
        count = sheet.row_count if dim == "ROWS" else sheet.column_count
        if end > count:
            raise _bad(
                f"Invalid {where}: range.endIndex ({end}) is after the last {dim.lower()[:-1]} in the grid ({count})."
            )
        if start == 0 and end == count:
            raise _bad(f"Invalid {where}: You can't delete all the {dim.lower()} on the sheet.")
        if dim == "ROWS":
            self._refuse_area(sheet, start, end, 0, sheet.column_count)
        else:
            self._refuse_area(sheet, 0, sheet.row_count, start, end)
        delete_dimension(self.book, sheet, dim, start, end)

    def _moveDimension(self, body: dict, where: str) -> None:
        sheet, dim, start, end = dimension_range(self.book, body.get("source"), where)
        count = sheet.row_count if dim == "ROWS" else sheet.column_count
        dest = _int(body.get("destinationIndex", 0), where, "destinationIndex")
        if end > count or dest > count or dest < 0:
            raise _bad(f"Invalid {where}: the source or destination is outside the grid.")
        if start < dest < end:
            raise _bad(f"Invalid {where}: destinationIndex cannot be within the source range.")
        move_dimension(sheet, dim, start, end, dest)

    def _updateDimensionProperties(self, body: dict, where: str) -> None:
        sheet, dim, start, end = dimension_range(self.book, body.get("range"), where)
        count = sheet.row_count if dim == "ROWS" else sheet.column_count
        if end > count:
            raise _bad(
                f"Invalid {where}: range.endIndex ({end}) is after the last {dim.lower()[:-1]} in the grid ({count})."
            )
        props = body.get("properties") or {}
        fields = body.get("fields")
        if not fields:
            raise _bad(f"Invalid {where}: At least one field must be specified.")
        paths = [p[0] for p in _mask_paths(parse_mask(fields))]
        items = sheet.rows if dim == "ROWS" else sheet.columns
        for p in paths:
            if p not in (
                "pixelSize",
                "hiddenByUser",
                "developerMetadata",
                "hiddenByFilter",
                "dataSourceColumnReference",
                "*",
            ):
                raise _bad(f"Invalid {where}: Invalid field mask: '{p}'.")
        for item in items[start:end]:
            if "pixelSize" in paths or "*" in paths:
                size = _int(
                    props.get("pixelSize", 21 if dim == "ROWS" else 100), where, "properties.pixelSize"
                )
                item.pixel_size = size
            if "hiddenByUser" in paths or "*" in paths:
                item.hidden = bool(props.get("hiddenByUser", False))

    def _autoResizeDimensions(self, body: dict, where: str) -> None:
        sheet, dim, start, end = dimension_range(self.book, body.get("dimensions"), where)
        # An estimate of Google's fit: 7 px per character of the longest shown value, plus padding.
        if dim == "COLUMNS":
            for c in range(start, min(end, sheet.column_count)):
                longest = max(
                    (
                        len(format_value(*effective(sheet, r, c)))
                        for r, row in enumerate(sheet.rows)
                        if c in row.cells and effective(sheet, r, c)[0]
                    ),
                    default=0,
                )
                sheet.columns[c].pixel_size = max(21, 7 * longest + 10) if longest else 100
        else:
            for row in sheet.rows[start:end]:
                row.pixel_size = 21

    def _sortRange(self, body: dict, where: str) -> None:
        sheet, r0, r1, c0, c1 = grid_range(self.book, body.get("range"), where)
        specs = []
        for k, spec in enumerate(body.get("sortSpecs") or []):
            col = _int(spec.get("dimensionIndex", 0), where, f"sortSpecs[{k}].dimensionIndex")
            if not c0 <= col < c1:
                raise _bad(
                    f"Invalid {where}: sortSpecs[{k}].dimensionIndex {col} is outside the range being sorted."
                )
            order = spec.get("sortOrder", "ASCENDING")
            if order not in ("ASCENDING", "DESCENDING"):
                raise _bad(f"Invalid value at '{where}.sort_specs[{k}].sort_order', {json.dumps(order)}")
            specs.append((col, order == "DESCENDING"))
        if not specs:
            raise _bad(f"Invalid {where}: sortSpecs must not be empty.")
        self._refuse_area(sheet, r0, r1, c0, c1)
        sort_range(sheet, r0, r1, c0, c1, specs)

    # -- sheets --------------------------------------------------------------------------
    def _updateSheetProperties(self, body: dict, where: str) -> None:
        props = body.get("properties") or {}
        sid = _int(props.get("sheetId", 0), where, "properties.sheetId")
        sheet = self.book.sheet_by_id(sid)
        if sheet is None:
            raise _bad(f"Invalid {where}: No grid with id: {sid}")
        fields = body.get("fields")
        if not fields:
            raise _bad(f"Invalid {where}: At least one field must be specified.")
        paths = _mask_paths(parse_mask(fields))
        if ("*",) in paths:
            paths = [("title",), ("index",), ("hidden",), ("gridProperties",), ("tabColor",)]
        grid = props.get("gridProperties") or {}
        for p in paths:
            if p[0] == "title":
                title = props.get("title")
                if not title:
                    raise _bad(f"Invalid {where}: The sheet name cannot be empty.")
                other = self.book.sheet_named_like(title, self.folded_titles)
                if other is not None and other is not sheet:
                    raise _bad(
                        f'Invalid {where}: A sheet with the name "{title}" already exists. Please enter another name.'
                    )
                sheet.title = title
            elif p[0] == "index":
                sheet.index = _int(props.get("index", 0), where, "properties.index") - 0.5
                self.book.reindex()
            elif p[0] == "hidden":
                hidden = bool(props.get("hidden", False))
                if hidden and all(s.hidden or s is sheet for s in self.book.sheets):
                    raise _bad(f"Invalid {where}: You can't hide all the sheets in a document.")
                sheet.hidden = hidden
            elif p[0] in ("tabColor", "tabColorStyle"):
                col = props.get("tabColor") or (props.get("tabColorStyle") or {}).get("rgbColor")
                sheet.tab_color = quantize_color(col) if col else None
            elif p[0] == "gridProperties":
                names = (
                    [p[1]]
                    if len(p) > 1
                    else ["rowCount", "columnCount", "frozenRowCount", "frozenColumnCount", "hideGridlines"]
                )
                for name in names:
                    self._grid_property(sheet, name, grid, where)
            elif p[0] not in ("sheetId", "sheetType", "rightToLeft"):
                raise _bad(f"Invalid {where}: Invalid field mask: '{'.'.join(p)}'.")

    def _grid_property(self, sheet: Sheet, name: str, grid: dict, where: str) -> None:
        if name == "rowCount":
            n = _int(grid.get("rowCount", 0), where, "properties.gridProperties.rowCount")
            if n < 1:
                raise _bad(f"Invalid {where}: Sheet must have at least 1 row.")
            if n < sheet.row_count:
                delete_dimension(self.book, sheet, "ROWS", n, sheet.row_count)
            else:
                sheet.rows.extend(Row() for _ in range(n - sheet.row_count))
        elif name == "columnCount":
            n = _int(grid.get("columnCount", 0), where, "properties.gridProperties.columnCount")
            if n < 1:
                raise _bad(f"Invalid {where}: Sheet must have at least 1 column.")
            if n < sheet.column_count:
                delete_dimension(self.book, sheet, "COLUMNS", n, sheet.column_count)
            else:
                sheet.columns.extend(Column() for _ in range(n - sheet.column_count))
        elif name == "frozenRowCount":
            n = _int(grid.get("frozenRowCount", 0), where, "properties.gridProperties.frozenRowCount")
            if n >= sheet.row_count and n > 0:
                raise _bad(f"Invalid {where}: You can't freeze all visible rows on the sheet.")
            sheet.frozen_rows = n
        elif name == "frozenColumnCount":
            n = _int(grid.get("frozenColumnCount", 0), where, "properties.gridProperties.frozenColumnCount")
            if n >= sheet.column_count and n > 0:
                raise _bad(f"Invalid {where}: You can't freeze all visible columns on the sheet.")
            sheet.frozen_columns = n
        elif name == "hideGridlines":
            sheet.hide_gridlines = bool(grid.get("hideGridlines", False))
        else:
            raise _bad(f"Invalid {where}: Invalid field mask: 'gridProperties.{name}'.")
        self._check_cells(where)

    def _updateSpreadsheetProperties(self, body: dict, where: str) -> None:
        props = body.get("properties") or {}
        for p in _mask_paths(parse_mask(body.get("fields") or "")):
            if p[0] == "title":
                self.book.title = props.get("title") or self.book.title
            elif p[0] == "locale":
                self.book.locale = props.get("locale") or self.book.locale
            elif p[0] == "timeZone":
                self.book.time_zone = props.get("timeZone") or self.book.time_zone

    def _addSheet(self, body: dict, where: str) -> dict:
        props = body.get("properties") or {}
        taken = {s.sheet_id for s in self.book.sheets}
        sid = props.get("sheetId")
        if sid is None:
            sid = self._new_id(taken)
        elif _int(sid, where, "properties.sheetId") in taken:
            raise _bad(f"Invalid {where}: A sheet with id {sid} already exists.")
        title = props.get("title")
        if not title:
            n = len(self.book.sheets) + 1
            while self.book.sheet_named_like(f"Sheet{n}", self.folded_titles):
                n += 1
            title = f"Sheet{n}"
        if self.book.sheet_named_like(title, self.folded_titles):
            raise _bad(
                f'Invalid {where}: A sheet with the name "{title}" already exists. Please enter another name.'
            )
        grid = props.get("gridProperties") or {}
        index = props.get("index", len(self.book.sheets))
        sheet = Sheet(
            self.book, sid, title, index - 0.5, grid.get("rowCount", 1000), grid.get("columnCount", 26)
        )
        sheet.frozen_rows = grid.get("frozenRowCount", 0)
        sheet.frozen_columns = grid.get("frozenColumnCount", 0)
        sheet.hidden = bool(props.get("hidden", False))
        self.book.sheets.append(sheet)
        self.book.reindex()
        self._check_cells(where)
        # [fixture SpreadsheetTest.test_values_batch_get]: the reply carries the new sheet's properties.
        return {"addSheet": {"properties": sheet.properties()}}

    def _addChart(self, body: dict, where: str) -> dict:
        """AddChartRequest [Sheets v4 ref, spreadsheets.batchUpdate AddChartRequest; EmbeddedChart].

        Checks what Google rejects: a chart with no spec, source ranges on unknown sheets or
        outside the grid, and an anchor on an unknown sheet. The chart is kept on its anchor
        sheet (``Sheet.charts``), goes with it when the sheet is deleted, and comes back in
        ``spreadsheets.get`` under ``sheets[].charts``. Nothing is drawn.
        """
        chart = copy.deepcopy(body.get("chart") or {})
        spec = chart.get("spec")
        if not spec:
            raise _bad(f"Invalid {where}: chart.spec must be set.")
        basic = spec.get("basicChart") or {}
        for part in ("domains", "series"):
            for k, item in enumerate(basic.get(part) or []):
                key = "domain" if part == "domains" else "series"
                for j, src in enumerate(((item.get(key) or {}).get("sourceRange") or {}).get("sources") or []):
                    grid_range(self.book, src, f"{where}.chart.spec.basicChart.{part}[{k}].{key}.sourceRange.sources[{j}]")
        position = chart.get("position") or {}
        anchor = ((position.get("overlayPosition") or {}).get("anchorCell") or {}).get("sheetId", position.get("sheetId"))
        sheet = self.book.sheet_by_id(_int(anchor if anchor is not None else 0, where, "chart.position"))
        if sheet is None:
            raise _bad(f"Invalid {where}: No grid with id: {anchor}")
        taken = {c["chartId"] for sh in self.book.sheets for c in sh.charts}
        chart["chartId"] = chart.get("chartId") or self._new_id(taken)
        sheet.charts.append(chart)
        return {"addChart": {"chart": copy.deepcopy(chart)}}

    def _deleteEmbeddedObject(self, body: dict, where: str) -> None:
        """DeleteEmbeddedObjectRequest [Sheets v4 ref, spreadsheets.batchUpdate
        DeleteEmbeddedObjectRequest: "Deletes the embedded object with the given ID"]: here a
        chart, by its ``objectId`` (the chart's chartId); an unknown id is a 400."""
        oid = _int(body.get("objectId", -1), where, "objectId")
        for sheet in self.book.sheets:
            for chart in sheet.charts:
                if chart.get("chartId") == oid:
                    sheet.charts.remove(chart)
                    return
        raise _bad(f"Invalid {where}: No object with id: {oid}")

    def _deleteSheet(self, body: dict, where: str) -> None:
        sid = _int(body.get("sheetId", 0), where, "sheetId")
        sheet = self.book.sheet_by_id(sid)
        if sheet is None:
            raise _bad(f"Invalid {where}: No grid with id: {sid}")
        if len(self.book.sheets) == 1:
            raise _bad(f"Invalid {where}: You can't remove all the sheets in a document.")
        for mid in [m for m, rec in self.book.metadata.items() if rec.get("_sheet") == sid]:
            del self.book.metadata[mid]
        self.book.sheets.remove(sheet)
        self.book.reindex()

    # -- protected ranges ----------------------------------------------------------------
    def _protected_by_id(self, pid: Any, where: str) -> tuple[Sheet, dict]:
        for sheet in self.book.sheets:
            for pr in sheet.protected_ranges:
                if pr["protectedRangeId"] == pid:
                    return sheet, pr
        raise _bad(f"Invalid {where}: No protected range with id: {pid}")

    def _addProtectedRange(self, body: dict, where: str) -> dict:
        pr = body.get("protectedRange") or {}
        rng = pr.get("range")
        if rng is None:
            raise _bad(f"Invalid {where}: protectedRange.range must be set.")
        sheet, *_ = grid_range(self.book, rng, where)
        taken = {p["protectedRangeId"] for s in self.book.sheets for p in s.protected_ranges}
        pid = pr.get("protectedRangeId") or self._new_id(taken)
        if pid in taken:
            raise _bad(f"Invalid {where}: A protected range with id {pid} already exists.")
        stored: dict[str, Any] = {
            "protectedRangeId": pid,
            "range": {"sheetId": sheet.sheet_id, **{k: v for k, v in rng.items() if k != "sheetId"}},
        }
        if pr.get("description"):
            stored["description"] = pr["description"]
        if pr.get("warningOnly"):
            stored["warningOnly"] = True
            if (pr.get("editors") or {}).get("users") or (pr.get("editors") or {}).get("groups"):
                raise _bad(f"Invalid {where}: Cannot set editors on a warning-only protected range.")
        stored["requestingUserCanEdit"] = True
        stored["editors"] = {k: v for k, v in (pr.get("editors") or {}).items() if v}
        stored["_creator"] = self.actor
        sheet.protected_ranges.append(stored)
        # [fixture WorksheetTest.test_add_protected_range_warning]: reply echoes it, sheetId 0 omitted.
        return {"addProtectedRange": {"protectedRange": _protected_out(stored, with_creator=False)}}

    def _updateProtectedRange(self, body: dict, where: str) -> None:
        pr = body.get("protectedRange") or {}
        sheet, stored = self._protected_by_id(pr.get("protectedRangeId"), where)
        fields = body.get("fields")
        if not fields:
            raise _bad(f"Invalid {where}: At least one field must be specified.")
        for p in _mask_paths(parse_mask(fields)):
            name = p[0]
            if name == "range":
                new_sheet, *_ = grid_range(self.book, pr.get("range"), where)
                if new_sheet is not sheet:
                    sheet.protected_ranges.remove(stored)
                    new_sheet.protected_ranges.append(stored)
                    sheet = new_sheet
                stored["range"] = {
                    "sheetId": new_sheet.sheet_id,
                    **{k: v for k, v in pr["range"].items() if k != "sheetId"},
                }
            elif name in ("description", "warningOnly", "editors", "unprotectedRanges", "namedRangeId"):
                if pr.get(name) in (None, False, "", {}):
                    stored.pop(name, None)
                else:
                    stored[name] = copy.deepcopy(pr[name])
            else:
                raise _bad(f"Invalid {where}: Invalid field mask: '{name}'.")

    def _deleteProtectedRange(self, body: dict, where: str) -> None:
        sheet, stored = self._protected_by_id(body.get("protectedRangeId"), where)
        sheet.protected_ranges.remove(stored)

    # -- developer metadata --------------------------------------------------------------
    def _location(self, loc: Any, where: str) -> tuple[str, int | None, int | None, int]:
        """``(kind, sheet id, start index, span)`` of a DeveloperMetadataLocation."""
        if (
            not isinstance(loc, dict)
            or sum(k in loc for k in ("spreadsheet", "sheetId", "dimensionRange")) != 1
        ):
            raise _bad(
                f"Invalid {where}: Exactly one of spreadsheet, sheetId or dimensionRange must be set in the location."
            )
        if loc.get("spreadsheet"):
            return "SPREADSHEET", None, None, 0
        if "sheetId" in loc:
            sid = _int(loc["sheetId"], where, "location.sheetId")
            if self.book.sheet_by_id(sid) is None:
                raise _bad(f"Invalid {where}: No grid with id: {sid}")
            return "SHEET", sid, None, 0
        sheet, dim, start, end = dimension_range(self.book, loc["dimensionRange"], where)
        count = sheet.row_count if dim == "ROWS" else sheet.column_count
        if end > count or end <= start:
            raise _bad(
                f"Invalid {where}: The dimension range [{start}, {end}) is not within the grid (size {count})."
            )
        return ("ROW" if dim == "ROWS" else "COLUMN"), sheet.sheet_id, start, end - start

    def _attach(self, mid: int, kind: str, sid: int | None, start: int | None) -> None:
        if kind in ("ROW", "COLUMN"):
            sheet = self.book.sheet_by_id(sid)
            items = sheet.rows if kind == "ROW" else sheet.columns
            items[start].meta.append(mid)

    def _detach(self, mid: int) -> None:
        for sheet in self.book.sheets:
            for item in (*sheet.rows, *sheet.columns):
                if mid in item.meta:
                    item.meta.remove(mid)
                    return

    def _createDeveloperMetadata(self, body: dict, where: str) -> dict:
        md = body.get("developerMetadata") or {}
        key = md.get("metadataKey")
        if not key:
            raise _bad(f"Invalid {where}: Developer metadata must have a key.")
        vis = md.get("visibility")
        if vis not in ("DOCUMENT", "PROJECT"):
            raise _bad(
                f"Invalid {where}: Developer metadata visibility must be specified as DOCUMENT or PROJECT."
            )
        kind, sid, start, span = self._location(md.get("location"), where)
        mid = md.get("metadataId")
        if mid is None:
            mid = self._new_id(set(self.book.metadata))
        elif _int(mid, where, "developerMetadata.metadataId") in self.book.metadata:
            raise _bad(f"Invalid {where}: Developer metadata with id {mid} already exists.")
        self.book.metadata[mid] = {
            "metadataId": mid,
            "metadataKey": key,
            "metadataValue": md.get("metadataValue"),
            "visibility": vis,
            "_kind": kind,
            "_sheet": sid,
            "_span": span,
        }
        self._attach(mid, kind, sid, start)
        return {"createDeveloperMetadata": {"developerMetadata": self.book._meta_resource(mid, start)}}

    def _updateDeveloperMetadata(self, body: dict, where: str) -> dict:
        filters = body.get("dataFilters") or []
        if not filters:
            raise _bad(f"Invalid {where}: dataFilters must not be empty.")
        md = body.get("developerMetadata") or {}
        fields = body.get("fields")
        if not fields:
            raise _bad(f"Invalid {where}: At least one field must be specified.")
        names = [p[0] for p in _mask_paths(parse_mask(fields))]
        if "*" in names:
            names = ["metadataKey", "metadataValue", "visibility", "location"]
        matched = {mid for f in filters for mid in match_filter(self.book, f, where)}
        for mid in matched:
            rec = self.book.metadata[mid]
            for name in names:
                if name == "metadataKey":
                    if not md.get("metadataKey"):
                        raise _bad(f"Invalid {where}: Developer metadata must have a key.")
                    rec["metadataKey"] = md["metadataKey"]
                elif name == "metadataValue":
                    rec["metadataValue"] = md.get("metadataValue")
                elif name == "visibility":
                    if md.get("visibility") not in ("DOCUMENT", "PROJECT"):
                        raise _bad(
                            f"Invalid {where}: Developer metadata visibility must be DOCUMENT or PROJECT."
                        )
                    rec["visibility"] = md["visibility"]
                elif name == "location":
                    kind, sid, start, span = self._location(md.get("location"), where)
                    self._detach(mid)
                    rec.update(_kind=kind, _sheet=sid, _span=span)
                    self._attach(mid, kind, sid, start)
                elif name != "metadataId":
                    raise _bad(f"Invalid {where}: Invalid field mask: '{name}'.")
        pos = self.book._positions()
        return {
            "updateDeveloperMetadata": {
                "developerMetadata": [self.book._meta_resource(m, positions=pos) for m in sorted(matched)]
            }
        }

    def _deleteDeveloperMetadata(self, body: dict, where: str) -> dict:
        f = body.get("dataFilter")
        if not f:
            raise _bad(f"Invalid {where}: dataFilter must be set.")
        matched = sorted(match_filter(self.book, f, where))
        pos = self.book._positions()
        gone = [self.book._meta_resource(m, positions=pos) for m in matched]
        for mid in matched:
            self._detach(mid)
            del self.book.metadata[mid]
        return {"deleteDeveloperMetadata": {"deletedDeveloperMetadata": gone}}


def _protected_out(stored: dict, with_creator: bool = True) -> dict:
    """A ProtectedRange as answered: the range without sheetId 0; in spreadsheets.get the editors
    include whoever made it, in the addProtectedRange reply they do not
    [fixtures WorksheetTest.test_add_protected_range_warning / _normal]."""
    out = {k: copy.deepcopy(v) for k, v in stored.items() if not k.startswith("_")}
    out["range"] = _out_range(out["range"])
    if with_creator and stored.get("_creator"):
        users = out.setdefault("editors", {}).setdefault("users", [])
        if stored["_creator"] not in users:
            users.insert(0, stored["_creator"])
    return out


def match_filter(book: Spreadsheet, data_filter: dict, where: str = "dataFilters") -> list[int]:
    """Metadata ids a ``DataFilter`` selects [Sheets v4 ref, DataFilter / DeveloperMetadataLookup].

    ``developerMetadataLookup`` matches on id, key, value, visibility, location type and location
    (``EXACT_LOCATION`` by default, or ``INTERSECTING_LOCATION``); ``a1Range`` / ``gridRange`` match the
    row/column metadata that intersects them.
    """
    pos = book._positions()
    out = []
    if "developerMetadataLookup" in data_filter:
        lk = data_filter["developerMetadataLookup"] or {}
        loc = lk.get("metadataLocation")
        strategy = lk.get("locationMatchingStrategy", "EXACT_LOCATION")
        want_loc = None
        if loc is not None:
            loc = {k: v for k, v in loc.items() if k != "locationType"}
            want_loc = _Batch(book, random.Random())._location(loc, where)
        for mid, rec in book.metadata.items():
            if "metadataId" in lk and lk["metadataId"] != mid:
                continue
            if "metadataKey" in lk and lk["metadataKey"] != rec["metadataKey"]:
                continue
            if "metadataValue" in lk and lk["metadataValue"] != rec.get("metadataValue"):
                continue
            if "visibility" in lk and lk["visibility"] != rec["visibility"]:
                continue
            if "locationType" in lk and lk["locationType"] != rec["_kind"]:
                continue
            if want_loc is not None:
                kind, sid, start, span = want_loc
                here = (rec["_kind"], rec["_sheet"], pos.get(mid), rec["_span"])
                if strategy == "INTERSECTING_LOCATION":
                    if kind == "SPREADSHEET":
                        pass
                    elif kind == "SHEET":
                        if rec["_sheet"] != sid:
                            continue
                    elif not (
                        here[0] == kind
                        and here[1] == sid
                        and here[2] < start + span
                        and start < here[2] + here[3]
                    ):
                        continue
                elif here != (kind, sid, start, span):
                    continue
            out.append(mid)
        return out
    if "a1Range" in data_filter or "gridRange" in data_filter:
        if "a1Range" in data_filter:
            sheet, r0, r1, c0, c1 = resolve_a1(book, data_filter["a1Range"])
        else:
            sheet, r0, r1, c0, c1 = grid_range(book, data_filter["gridRange"], where)
        for mid, rec in book.metadata.items():
            if rec["_sheet"] != sheet.sheet_id or rec["_kind"] not in ("ROW", "COLUMN"):
                continue
            lo, hi = (r0, r1) if rec["_kind"] == "ROW" else (c0, c1)
            if pos[mid] < hi and lo < pos[mid] + rec["_span"]:
                out.append(mid)
        return out
    raise _bad(f"Invalid {where}: a DataFilter needs developerMetadataLookup, a1Range or gridRange.")


# =====================================================================================
# Rendering a spreadsheet for spreadsheets.get
# =====================================================================================


def _cell_out(sheet: Sheet, r: int, c: int, cell: dict, want: dict) -> dict[str, Any]:
    """``CellData`` with only the wanted fields computed (10,000-row reads stay fast).

    Stored cell dicts are never changed in place (see the model), so the answer may share them.
    """
    everything = want == {} or "*" in want
    out: dict[str, Any] = {}
    if (everything or "userEnteredValue" in want) and cell.get("userEnteredValue"):
        out["userEnteredValue"] = cell["userEnteredValue"]
    if everything or "effectiveValue" in want or "formattedValue" in want or "effectiveFormat" in want:
        ev, nf = effective(sheet, r, c)
        if ev and (everything or "effectiveValue" in want):
            out["effectiveValue"] = ev
        if ev and (everything or "formattedValue" in want):
            out["formattedValue"] = format_value(ev, nf)
        if everything or "effectiveFormat" in want:
            eff = copy.deepcopy(_DEFAULT_FORMAT)
            for k, v in (cell.get("userEnteredFormat") or {}).items():
                if isinstance(v, dict) and isinstance(eff.get(k), dict):
                    eff[k] = {**eff[k], **v}
                else:
                    eff[k] = v
            if nf:
                eff["numberFormat"] = nf
            eff.setdefault("hyperlinkDisplayType", "PLAIN_TEXT")
            out["effectiveFormat"] = eff
    for name in ("userEnteredFormat", "note", "dataValidation", "textFormatRuns"):
        if (everything or name in want) and cell.get(name):
            out[name] = cell[name]
    if not everything:
        for name, sub in want.items():
            if sub and name in out:
                out[name] = apply_mask(out[name], sub)
    return out


def grid_data(
    book: Spreadsheet, sheet: Sheet, window: tuple[int, int, int, int], want: dict
) -> dict[str, Any]:
    """One ``GridData`` for the window [r0, r1) x [c0, c1), restricted to the ``want`` mask.

    [fixture WorksheetTest.test_get_notes]: cells with nothing selected are ``{}`` (they hold positions),
    trailing ones are dropped, and a row with none is ``{}``. ``startRow``/``startColumn`` are omitted when 0.
    ``rowMetadata``/``columnMetadata`` cover every row/column of the window.
    """
    r0, r1, c0, c1 = window
    out: dict[str, Any] = {}
    if r0 and _sel(want, "startRow") is not None:
        out["startRow"] = r0
    if c0 and _sel(want, "startColumn") is not None:
        out["startColumn"] = c0
    cell_want = _sel(want, "rowData", "values")
    if cell_want is not None:
        row_data: list[dict] = []
        for r in range(r0, r1):
            row = sheet.rows[r]
            values: list[dict] = []
            for c in sorted(k for k in row.cells if c0 <= k < c1):
                cd = _cell_out(sheet, r, c, row.cells[c], cell_want)
                if cd:
                    values.extend({} for _ in range(c - c0 - len(values)))
                    values.append(cd)
            row_data.append({"values": values} if values else {})
        while row_data and not row_data[-1]:
            row_data.pop()
        if row_data:
            out["rowData"] = row_data
    for key, items, lo, hi in (
        ("rowMetadata", sheet.rows, r0, r1),
        ("columnMetadata", sheet.columns, c0, c1),
    ):
        meta_want = _sel(want, key)
        if meta_want is None:
            continue
        entries = []
        for i in range(lo, hi):
            item = items[i]
            entry: dict[str, Any] = {"pixelSize": item.pixel_size}
            if item.hidden:
                entry["hiddenByUser"] = True
            if item.meta:
                entry["developerMetadata"] = [book._meta_resource(mid, i) for mid in item.meta]
            entries.append(apply_mask(entry, meta_want) if meta_want else entry)
        out[key] = entries
    return out


def spreadsheet_json(
    book: Spreadsheet, mask: dict | None, include_grid: bool, ranges: list[str], sheets_only: bool = False
) -> dict[str, Any]:
    """The ``Spreadsheet`` resource [fixture ClientTest.test_create; Sheets v4 ref, spreadsheets.get].

    With a ``fields`` mask, grid data is returned when the mask selects it and ``includeGridData`` is
    ignored (as documented); with ``ranges`` only the sheets those ranges touch are returned, each with
    one ``GridData`` per range.
    """
    windows: dict[int, list[tuple[int, int, int, int]]] = {}
    order: list[Sheet] = []
    if ranges:
        for text in ranges:
            sheet, r0, r1, c0, c1 = resolve_a1(book, text)
            if sheet.sheet_id not in windows:
                windows[sheet.sheet_id] = []
                order.append(sheet)
            windows[sheet.sheet_id].append((r0, r1, c0, c1))
        order.sort(key=lambda s: s.index)
    else:
        order = sorted(book.sheets, key=lambda s: s.index)
    out: dict[str, Any] = {
        "spreadsheetId": book.id,
        "properties": {
            "title": book.title,
            "locale": book.locale,
            "autoRecalc": "ON_CHANGE",
            "timeZone": book.time_zone,
            "defaultFormat": copy.deepcopy(_DEFAULT_FORMAT),
            "spreadsheetTheme": copy.deepcopy(_THEME),
        },
        "sheets": [],
        "spreadsheetUrl": f"https://docs.google.com/spreadsheets/d/{book.id}/edit",
    }
    pos = book._positions() if book.metadata else {}
    top_meta = [
        book._meta_resource(m, positions=pos)
        for m, rec in book.metadata.items()
        if rec["_kind"] == "SPREADSHEET"
    ]
    if top_meta:
        out["developerMetadata"] = top_meta
    for sheet in order:
        sj: dict[str, Any] = {"properties": sheet.properties()}
        if sheet.protected_ranges:
            sj["protectedRanges"] = [_protected_out(p) for p in sheet.protected_ranges]
        if sheet.charts:
            sj["charts"] = copy.deepcopy(sheet.charts)
        sheet_meta = [
            book._meta_resource(m, positions=pos)
            for m, rec in book.metadata.items()
            if rec["_kind"] == "SHEET" and rec["_sheet"] == sheet.sheet_id
        ]
        if sheet_meta:
            sj["developerMetadata"] = sheet_meta
        out["sheets"].append(sj)
    if mask is not None:
        out = apply_mask(out, mask)
    data_want = _sel(mask, "sheets", "data") if mask is not None else ({} if include_grid else None)
    if data_want is not None:
        sheets_out = out.setdefault("sheets", [{} for _ in order])
        for sheet, sj in zip(order, sheets_out, strict=True):
            wins = windows.get(sheet.sheet_id) or [(0, sheet.row_count, 0, sheet.column_count)]
            sj["data"] = [grid_data(book, sheet, w, data_want) for w in wins]
    return out


# =====================================================================================
# The emulator
# =====================================================================================


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _bool_param(query: dict[str, list[str]], name: str, default: bool = False) -> bool:
    v = query.get(name, [None])[-1]
    return default if v is None else v.lower() in ("true", "1")


def _path_key(path: str) -> str:
    """A request path with ids and ranges replaced by ``{id}``/``{range}``, for per-endpoint counts."""
    p = re.sub(r"^/v4/spreadsheets/[^/:]+", "/v4/spreadsheets/{id}", path)
    p = re.sub(r"/values/[^:]+", "/values/{range}", p)
    p = re.sub(r"/developerMetadata/[^:/]+$", "/developerMetadata/{id}", p)
    p = re.sub(r"^/drive/v3/files/[^/]+", "/drive/v3/files/{id}", p)
    return re.sub(r"/permissions/[^/]+$", "/permissions/{id}", p)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "GoogleEmulator/1.0"

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes: without this, Nagle + delayed ACK add ~40 ms a call.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
        pass  # quiet, and request lines could carry tokens in query strings

    def _go(self) -> None:
        self.server.emulator._handle(self)  # type: ignore[attr-defined]

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _go


class GoogleEmulator:
    """The emulator: a ``ThreadingHTTPServer`` on 127.0.0.1 in a background thread, plus test controls.

    ``latency`` seconds are added to every API request (not to the token or ``/_emulator`` endpoints).

    The real services' limits (each cited where its constant is defined, "The real services' limits"):

    * ``max_request_bytes`` (default 10,485,760, ``MAX_REQUEST_BYTES``): a larger request body is
      refused with ``400 "Request payload size exceeds the limit: 10485760 bytes."``; ``None`` lifts it;
    * ``case_insensitive_titles`` (default on): ``addSheet`` / ``updateSheetProperties`` refuse a title
      that differs from another sheet's only by case;
    * 50,000 characters per cell and 10 million cells per spreadsheet (always on);
    * ``read_quota_per_minute`` / ``write_quota_per_minute`` (default ``None``: off; Google's is 60 per
      user): the Sheets requests over it in the last 60 s of ``clock`` answer ``429
      RESOURCE_EXHAUSTED`` without ``Retry-After`` unless ``quota_retry_after`` is set;
    * ``enforce_protection`` (default on): a write by someone other than the owner, the range's
      creator or its editors to a hard protected range answers ``protected_status`` (403);
      warning-only ranges never refuse;
    * OAuth clients added with ``publishing_status="testing"``: their refresh tokens stop working 7
      days (``TESTING_REFRESH_TOKEN_SECONDS``) of ``clock`` after they were issued.

    ``clock`` (default ``time.time``) is the emulator's clock for quotas and token ages;
    :meth:`advance` moves it forward without waiting.
    """

    def __init__(
        self,
        latency: float = 0.0,
        *,
        port: int = 0,
        seed: int = 4,
        max_request_bytes: int | None = MAX_REQUEST_BYTES,
        case_insensitive_titles: bool = True,
        read_quota_per_minute: int | None = None,
        write_quota_per_minute: int | None = None,
        quota_retry_after: float | None = None,
        enforce_protection: bool = True,
        protected_status: int = 403,
        clock: Callable[[], float] = time.time,
    ):
        self.latency = latency
        self.max_request_bytes = max_request_bytes
        self.case_insensitive_titles = case_insensitive_titles
        self.read_quota_per_minute = read_quota_per_minute
        self.write_quota_per_minute = write_quota_per_minute
        self.quota_retry_after = quota_retry_after
        self.enforce_protection = enforce_protection
        self.protected_status = protected_status
        self.clock = clock
        self._clock_offset = 0.0
        self._quota_log: dict[tuple[str, str], list[float]] = {}
        self._port = port
        self._lock = threading.RLock()
        self._rng = random.Random(seed)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._key_id = secrets.token_hex(20)
        self._revoked = False
        self._books: dict[str, Spreadsheet] = {}
        self._tokens: dict[str, dict[str, Any]] = {}
        self._oauth_clients: dict[str, dict[str, Any]] = {}
        self._failures: list[dict[str, Any]] = []
        self._callback: Callable[[str, str, int], None] | None = None
        self._perm_seq = 0
        self.reset_stats()

    # -- lifecycle -----------------------------------------------------------------------
    def start(self) -> None:
        if self._server is not None:
            return
        server = ThreadingHTTPServer(("127.0.0.1", self._port), _Handler)
        server.daemon_threads = True
        server.emulator = self  # type: ignore[attr-defined]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="google-emulator", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._server = None

    def __enter__(self) -> GoogleEmulator:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the emulator is not started")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def token_uri(self) -> str:
        return self.url + "/token"

    # -- credentials ---------------------------------------------------------------------
    def write_key_file(self, path: str | Path) -> dict[str, Any]:
        """Write a service-account JSON key (the emulator's one RSA key) whose ``token_uri`` is the emulator.

        The shape is Google's downloadable key file [OAuth2 ref, "Creating a service account"].
        """
        pem = self._key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
        info = {
            "type": "service_account",
            "project_id": "followsync-emulator",
            "private_key_id": self._key_id,
            "private_key": pem,
            "client_email": SERVICE_ACCOUNT_EMAIL,
            "client_id": "100000000000000000001",
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": self.token_uri,
            "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
            "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/"
            + SERVICE_ACCOUNT_EMAIL.replace("@", "%40"),
            "universe_domain": "googleapis.com",
        }
        p = Path(path)
        p.write_text(json.dumps(info, indent=2))
        p.chmod(0o600)
        return info

    def now(self) -> float:
        """The emulator's time: ``clock()`` plus what :meth:`advance` added."""
        return self.clock() + self._clock_offset

    def advance(self, seconds: float) -> None:
        """Move the emulator's clock forward (token ages, quota windows) without waiting."""
        with self._lock:
            self._clock_offset += seconds

    def revoke_service_account(self) -> None:
        """From now on the token endpoint refuses the service account (``invalid_grant``) and its tokens are dead."""
        with self._lock:
            self._revoked = True
            self._tokens = {t: v for t, v in self._tokens.items() if v["email"] != SERVICE_ACCOUNT_EMAIL}

    def add_oauth_client(
        self,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        *,
        email: str = OWNER_EMAIL,
        scopes: tuple[str, ...] = (
            "https://www.googleapis.com/auth/spreadsheets",
            "https://www.googleapis.com/auth/drive",
        ),
        publishing_status: str = "production",
        issued_at: float | None = None,
    ) -> None:
        """Accept ``refresh_token`` grants for this OAuth client; its tokens act as ``email``.

        ``publishing_status="testing"`` is an app left in "Testing" on its OAuth consent screen: the
        refresh token, issued at ``issued_at`` (default: now on the emulator's clock), is refused
        with ``invalid_grant`` once 7 days have passed (``TESTING_REFRESH_TOKEN_SECONDS``).
        """
        if publishing_status not in ("production", "testing"):
            raise ValueError(f"publishing_status must be 'production' or 'testing', not {publishing_status!r}")
        with self._lock:
            self._oauth_clients[client_id] = {
                "secret": client_secret,
                "refresh_tokens": {refresh_token},
                "issued": {refresh_token: self.now() if issued_at is None else issued_at},
                "publishing_status": publishing_status,
                "email": email,
                "scopes": tuple(scopes),
            }

    def revoke_refresh_token(self, refresh_token: str) -> None:
        with self._lock:
            for client in self._oauth_clients.values():
                client["refresh_tokens"].discard(refresh_token)

    # -- spreadsheets ----------------------------------------------------------------------
    def _new_spreadsheet_id(self) -> str:
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        while True:
            sid = "1" + "".join(self._rng.choice(alphabet) for _ in range(43))
            if sid not in self._books:
                return sid

    def _new_book(self, title: str, owner: str) -> Spreadsheet:
        book = Spreadsheet(self._new_spreadsheet_id(), title, owner)
        self._perm_seq += 1
        book.permissions.append(
            {
                "kind": "drive#permission",
                "id": f"{self._rng.randrange(10**19, 10**20)}",
                "type": "user",
                "emailAddress": owner,
                "role": "owner",
                "displayName": owner.split("@")[0],
                "deleted": False,
                "pendingOwner": False,
            }
        )
        self._books[book.id] = book
        return book

    def create_spreadsheet(
        self,
        title: str,
        sheets: dict[str, list[list[Any]]] | None = None,
        *,
        share_with_service_account: bool = True,
    ) -> str:
        """Make a spreadsheet owned by ``OWNER_EMAIL`` (shared as writer with the service account) and return its id.

        ``sheets`` maps titles to grids of Python values (see :func:`python_to_cell`); a grid gets at
        least 1000 rows and 26 columns like a new sheet in Google. ``None`` makes one empty ``Sheet1``.
        """
        with self._lock:
            book = self._new_book(title, OWNER_EMAIL)
            for i, (name, grid) in enumerate((sheets or {"Sheet1": []}).items()):
                width = max((len(r) for r in grid), default=0)
                sheet = Sheet(
                    book,
                    0 if i == 0 else self._rng.randrange(1, 2**31 - 1),
                    name,
                    i,
                    max(1000, len(grid)),
                    max(26, width),
                )
                for r, values in enumerate(grid):
                    for c, v in enumerate(values):
                        cell = python_to_cell(v)
                        if cell:
                            sheet.rows[r].cells[c] = cell
                book.sheets.append(sheet)
            if share_with_service_account:
                self._add_permission(
                    book,
                    {"type": "user", "role": "writer", "emailAddress": SERVICE_ACCOUNT_EMAIL},
                    False,
                    None,
                )
            return book.id

    def _book(self, spreadsheet_id: str) -> Spreadsheet:
        book = self._books.get(spreadsheet_id)
        if book is None or book.trashed:
            raise KeyError(f"no spreadsheet {spreadsheet_id!r}")
        return book

    def _sheet(self, spreadsheet_id: str, sheet_title: str) -> Sheet:
        sheet = self._book(spreadsheet_id).sheet_by_title(sheet_title)
        if sheet is None:
            raise KeyError(f"no sheet {sheet_title!r} in {spreadsheet_id!r}")
        return sheet

    def sheet(self, spreadsheet_id: str, sheet_title: str) -> Sheet:
        """The live :class:`Sheet` (the same object across API calls), for assertions."""
        with self._lock:
            return self._sheet(spreadsheet_id, sheet_title)

    def spreadsheet(self, spreadsheet_id: str) -> Spreadsheet:
        with self._lock:
            return self._book(spreadsheet_id)

    def values(self, spreadsheet_id: str, sheet_title: str) -> list[list[Any]]:
        """Effective values as Python values (dates as serial numbers), trailing blanks trimmed like the API."""
        with self._lock:
            return self._sheet(spreadsheet_id, sheet_title).values()

    def backgrounds(self, spreadsheet_id: str, sheet_title: str) -> dict[tuple[int, int], str]:
        """``{(row, col): "#RRGGBB"}`` (0-based) of every cell with a background colour set."""
        with self._lock:
            sheet = self._sheet(spreadsheet_id, sheet_title)
            out = {}
            for r, row in enumerate(sheet.rows):
                for c, cell in row.cells.items():
                    color = (cell.get("userEnteredFormat") or {}).get("backgroundColor")
                    if color is not None:
                        out[(r, c)] = color_to_hex(color)
            return out

    def edit(self, spreadsheet_id: str, sheet_title: str, fn: Callable[[Sheet], Any]) -> Any:
        """Run ``fn(sheet)`` under the emulator's lock (a coach editing) and return what it returns."""
        with self._lock:
            book = self._book(spreadsheet_id)
            result = fn(self._sheet(spreadsheet_id, sheet_title))
            book.modified = _now_rfc3339()
            return result

    def sort_rows(
        self,
        spreadsheet_id: str,
        sheet_title: str,
        column: int,
        *,
        start_row: int = 1,
        descending: bool = False,
    ) -> None:
        """A coach's "Sort sheet" on ``column`` below row ``start_row`` (0-based): whole rows move, metadata too."""
        with self._lock:
            sheet = self._sheet(spreadsheet_id, sheet_title)
            sort_range(sheet, start_row, sheet.row_count, 0, sheet.column_count, [(column, descending)])

    def insert_rows(self, spreadsheet_id: str, sheet_title: str, at: int, count: int = 1) -> None:
        """Insert ``count`` blank rows before 0-based row ``at`` (rows below, their metadata and protections shift)."""
        with self._lock:
            insert_dimension(
                self._sheet(spreadsheet_id, sheet_title), "ROWS", at, count, inherit_from_before=at > 0
            )

    def delete_rows(self, spreadsheet_id: str, sheet_title: str, at: int, count: int = 1) -> None:
        """Delete rows [at, at+count) with their developer metadata."""
        with self._lock:
            book = self._book(spreadsheet_id)
            delete_dimension(book, self._sheet(spreadsheet_id, sheet_title), "ROWS", at, at + count)

    def insert_columns(self, spreadsheet_id: str, sheet_title: str, at: int, count: int = 1) -> None:
        with self._lock:
            insert_dimension(
                self._sheet(spreadsheet_id, sheet_title), "COLUMNS", at, count, inherit_from_before=at > 0
            )

    def move_column(self, spreadsheet_id: str, sheet_title: str, source: int, destination: int) -> None:
        """Drag column ``source`` so that it ends up at 0-based index ``destination`` (formats and notes move with it)."""
        with self._lock:
            sheet = self._sheet(spreadsheet_id, sheet_title)
            dest = destination + 1 if destination > source else destination
            move_dimension(sheet, "COLUMNS", source, source + 1, dest)

    def share(self, spreadsheet_id: str, email: str, role: str = "writer") -> None:
        """Grant ``email`` a Drive role on the file, as its owner would in the UI (no notification)."""
        with self._lock:
            self._add_permission(
                self._books[spreadsheet_id],
                {"type": "user", "role": role, "emailAddress": email},
                False,
                None,
            )

    def permissions(self, spreadsheet_id: str) -> list[dict[str, Any]]:
        """The file's Drive permissions; each also carries ``notification`` (sendNotificationEmail, emailMessage)."""
        with self._lock:
            book = self._books[spreadsheet_id]
            out = []
            for p in book.permissions:
                q = copy.deepcopy(p)
                q["notification"] = next(
                    (n for n in book.notifications if n["permissionId"] == p["id"]), None
                )
                out.append(q)
            return out

    # -- test controls ---------------------------------------------------------------------
    def on_request(self, callback: Callable[[str, str, int], None] | None) -> None:
        """``callback(method, path, n)`` runs before each API request is handled (n counts from the last reset)."""
        self._callback = callback

    def fail(
        self,
        status: int,
        *,
        times: int = 1,
        retry_after: float | None = None,
        path_contains: str = "",
        method: str | None = None,
        message: str | None = None,
    ) -> None:
        """Answer the next ``times`` matching API requests with ``status`` in Google's error envelope.

        A ``Retry-After`` header is sent when ``retry_after`` is given. The token endpoint is only
        affected when ``path_contains`` names it (``"/token"``).
        """
        with self._lock:
            self._failures.append(
                {
                    "status": status,
                    "times": times,
                    "retry_after": retry_after,
                    "path_contains": path_contains,
                    "method": method.upper() if method else None,
                    "message": message,
                }
            )

    def stats(self) -> dict[str, Any]:
        """API calls since the last reset: ``requests``, ``by_method``, ``by_path`` (ids and ranges shown as
        ``{id}``/``{range}``), ``token_requests`` (counted apart), ``bytes_received`` (request bodies),
        ``bytes_sent`` (response bodies), ``largest_request`` (the largest request body, in bytes, refused
        or not) with its ``largest_request_path``, ``too_large`` (requests refused for their size) and
        ``quota_refused`` (429s from the per-minute quotas)."""
        with self._lock:
            return copy.deepcopy(self._stats)

    def reset_stats(self) -> None:
        """Zero the counts (the data stays)."""
        with self._lock:
            self._stats: dict[str, Any] = {
                "requests": 0,
                "by_method": {},
                "by_path": {},
                "token_requests": 0,
                "bytes_received": 0,
                "bytes_sent": 0,
                "largest_request": 0,
                "largest_request_path": None,
                "too_large": 0,
                "quota_refused": 0,
            }

    @property
    def largest_request(self) -> int:
        """The largest API request body since the last reset, in bytes (for a bench to print)."""
        with self._lock:
            return int(self._stats["largest_request"])

    # -- HTTP ------------------------------------------------------------------------------
    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        method = h.command
        length = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(length) if length else b""
        split = urlsplit(h.path)
        path, query = split.path, parse_qs(split.query, keep_blank_values=True)
        status, payload, headers = 200, None, {}
        try:
            if path == "/token":
                status, payload = self._token_endpoint(method, raw, path)
            elif path.startswith("/_emulator/"):
                status, payload = self._control(method, path)
            else:
                status, payload, headers = self._api(method, path, query, raw, h.headers)
        except ApiError as e:
            status, payload, headers = e.code, e.body(), e.headers
        except Exception as e:  # a bug here must reach the test as a 500, not a hung socket
            status, payload = 500, ApiError(500, f"Emulator error: {type(e).__name__}: {e}").body()
        # Google pretty-prints JSON answers unless the request says prettyPrint=false.
        pretty = query.get("prettyPrint", ["true"])[-1] != "false"
        body = b"" if payload is None else json.dumps(payload, **_PRETTY[pretty]).encode()
        if not path.startswith("/_emulator/") and path != "/token":
            with self._lock:
                self._stats["bytes_sent"] += len(body)
        try:
            h.send_response(status)
            if payload is not None:
                h.send_header("Content-Type", "application/json; charset=UTF-8")
            for k, v in headers.items():
                h.send_header(k, v)
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            if body and method != "HEAD":
                h.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            h.close_connection = True  # the client gave up waiting (its timeout): nothing to answer

    def _control(self, method: str, path: str) -> tuple[int, Any]:
        if path == "/_emulator/stats" and method == "GET":
            return 200, self.stats()
        if path == "/_emulator/reset" and method == "POST":
            self.reset_stats()
            return 200, self.stats()
        raise ApiError(404)

    def _take_failure(self, method: str, path: str) -> None:
        for rule in self._failures:
            if rule["method"] and rule["method"] != method:
                continue
            if rule["path_contains"] and rule["path_contains"] not in path:
                continue
            if path == "/token" and "/token" not in rule["path_contains"]:
                continue
            rule["times"] -= 1
            if rule["times"] <= 0:
                self._failures.remove(rule)
            headers = {}
            if rule["retry_after"] is not None:
                headers["Retry-After"] = f"{rule['retry_after']:g}"
            raise ApiError(rule["status"], rule["message"], headers=headers)

    # -- token endpoint -------------------------------------------------------------------
    def _token_endpoint(self, method: str, raw: bytes, path: str) -> tuple[int, dict]:
        """``POST /token`` [OAuth2 ref, "Making the access token request"; RFC 7523 / RFC 6749 section 6]."""
        with self._lock:
            self._stats["token_requests"] += 1
            try:
                self._take_failure(method, path)
            except ApiError as e:
                return e.code, {"error": "temporarily_unavailable", "error_description": e.message}
        if method != "POST":
            return 405, {"error": "invalid_request", "error_description": "Only POST is supported."}
        form = {k: v[-1] for k, v in parse_qs(raw.decode("utf-8", "replace")).items()}
        try:
            grant = form.get("grant_type", "")
            if grant == JWT_BEARER:
                email, scopes = self._verify_jwt(form.get("assertion", ""))
            elif grant == "refresh_token":
                email, scopes = self._verify_refresh(form)
            else:
                raise _OAuthError(400, "unsupported_grant_type", f"Invalid grant_type: {grant}")
        except _OAuthError as e:
            return e.status, {"error": e.error, "error_description": e.description}
        token = "ya29.emu-" + secrets.token_urlsafe(32)
        with self._lock:
            self._tokens[token] = {"email": email, "scopes": set(scopes)}
        answer = {"access_token": token, "expires_in": 3599, "token_type": "Bearer"}
        if grant == "refresh_token":
            answer["scope"] = " ".join(scopes)
        return 200, answer

    def _verify_jwt(self, assertion: str) -> tuple[str, list[str]]:
        parts = assertion.split(".")
        if len(parts) != 3:
            raise _OAuthError(400, "invalid_request", "Invalid JWT: the assertion is not a JWT.")
        try:
            header = json.loads(_b64url_decode(parts[0]))
            claims = json.loads(_b64url_decode(parts[1]))
            signature = _b64url_decode(parts[2])
        except ValueError:
            raise _OAuthError(400, "invalid_request", "Invalid JWT: malformed.") from None
        if header.get("alg") != "RS256":
            raise _OAuthError(400, "invalid_grant", "Invalid JWT Signature.")
        try:
            self._key.public_key().verify(
                signature, f"{parts[0]}.{parts[1]}".encode(), padding.PKCS1v15(), hashes.SHA256()
            )
        except InvalidSignature:
            raise _OAuthError(400, "invalid_grant", "Invalid JWT Signature.") from None
        if claims.get("iss") != SERVICE_ACCOUNT_EMAIL:
            raise _OAuthError(400, "invalid_grant", "Invalid grant: account not found")
        if self._revoked:
            raise _OAuthError(400, "invalid_grant", "Invalid JWT Signature.")
        if claims.get("aud") not in (self.token_uri, "https://oauth2.googleapis.com/token"):
            raise _OAuthError(
                400,
                "invalid_grant",
                "Invalid JWT: Failed audience check. The expected audience is the token endpoint.",
            )
        now = time.time()
        iat, exp = claims.get("iat"), claims.get("exp")
        if (
            not isinstance(iat, int | float)
            or not isinstance(exp, int | float)
            or exp < now
            or iat > now + 300
            or exp - iat > 3600
        ):
            raise _OAuthError(
                400,
                "invalid_grant",
                "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. "
                "Check your iat and exp values in the JWT claim.",
            )
        scopes = str(claims.get("scope", "")).split()
        if not scopes:
            raise _OAuthError(400, "invalid_scope", "Invalid OAuth scope or ID token audience provided.")
        return SERVICE_ACCOUNT_EMAIL, scopes

    def _verify_refresh(self, form: dict[str, str]) -> tuple[str, list[str]]:
        with self._lock:
            client = self._oauth_clients.get(form.get("client_id", ""))
            if client is None:
                raise _OAuthError(401, "invalid_client", "The OAuth client was not found.")
            if client["secret"] != form.get("client_secret"):
                raise _OAuthError(401, "invalid_client", "Unauthorized")
            token = form.get("refresh_token")
            if token not in client["refresh_tokens"]:
                raise _OAuthError(400, "invalid_grant", "Token has been expired or revoked.")
            if (
                client.get("publishing_status") == "testing"
                and self.now() >= client["issued"][token] + TESTING_REFRESH_TOKEN_SECONDS
            ):  # see TESTING_REFRESH_TOKEN_SECONDS
                raise _OAuthError(400, "invalid_grant", "Token has been expired or revoked.")
            return client["email"], list(client["scopes"])

    # -- API requests ------------------------------------------------------------------------
    def _api(
        self, method: str, path: str, query: dict[str, list[str]], raw: bytes, headers: Any
    ) -> tuple[int, Any, dict]:
        with self._lock:
            st = self._stats
            st["requests"] += 1
            st["by_method"][method] = st["by_method"].get(method, 0) + 1
            key = _path_key(path)
            st["by_path"][key] = st["by_path"].get(key, 0) + 1
            st["bytes_received"] += len(raw)
            if len(raw) > st["largest_request"]:
                st["largest_request"], st["largest_request_path"] = len(raw), f"{method} {key}"
            n = st["requests"]
            callback = self._callback
            if self.max_request_bytes is not None and len(raw) > self.max_request_bytes:
                st["too_large"] += 1  # see MAX_REQUEST_BYTES: refused before anything else is looked at
                raise ApiError(400, PAYLOAD_TOO_LARGE.replace("10485760", str(self.max_request_bytes)))
        if callback is not None:
            callback(method, path, n)
        if self.latency:
            time.sleep(self.latency)
        with self._lock:
            ident = self._authenticate(headers)
            self._take_failure(method, path)
            self._charge_quota(ident, method, path)
            try:
                body = json.loads(raw) if raw.strip() else {}
            except ValueError:
                raise _bad("Invalid JSON payload received. Unexpected token.") from None
            return self._route(method, path, query, body, ident)

    def _charge_quota(self, ident: dict, method: str, path: str) -> None:
        """Google's per-minute, per-user read and write quotas on the Sheets API (see
        ``SHEETS_QUOTA_PER_MINUTE``); Drive calls are not counted. A refused request is not counted."""
        if not path.startswith("/v4/spreadsheets"):
            return
        kind = "read" if method == "GET" or path.endswith("developerMetadata:search") else "write"
        limit = self.read_quota_per_minute if kind == "read" else self.write_quota_per_minute
        if not limit:
            return
        now = self.now()
        log = [t for t in self._quota_log.get((ident["email"], kind), []) if t > now - 60.0]
        if len(log) >= limit:
            self._quota_log[(ident["email"], kind)] = log
            self._stats["quota_refused"] += 1
            raise _quota_error(kind, self.quota_retry_after)
        log.append(now)
        self._quota_log[(ident["email"], kind)] = log

    def _authenticate(self, headers: Any) -> dict[str, Any]:
        auth = headers.get("Authorization", "")
        challenge = {"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'}
        if not auth.startswith("Bearer "):
            raise ApiError(401, _MISSING_CREDENTIALS, headers=challenge)
        ident = self._tokens.get(auth[len("Bearer ") :].strip())
        if ident is None:
            raise ApiError(
                401,
                headers={
                    **challenge,
                    "WWW-Authenticate": challenge["WWW-Authenticate"] + ', error="invalid_token"',
                },
            )
        return ident

    @staticmethod
    def _need_scope(ident: dict, api: str, write: bool) -> None:
        base = "https://www.googleapis.com/auth/"
        ok = {base + "drive", base + "drive.file"}
        if api == "sheets":
            ok.add(base + "spreadsheets")
        if not write:
            ok |= (
                {base + "drive.readonly", base + "spreadsheets.readonly"}
                if api == "sheets"
                else {base + "drive.readonly", base + "drive.metadata.readonly"}
            )
        if not ok & ident["scopes"]:
            raise ApiError(
                403,
                "Request had insufficient authentication scopes.",
                details=[
                    {
                        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                        "reason": "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
                        "domain": "googleapis.com",
                    }
                ],
            )

    def _access(self, sid: str, ident: dict, write: bool, drive: bool = False) -> Spreadsheet:
        """The spreadsheet if the caller may see it (and write to it): 404 unknown, 403 not shared.

        [fixture ClientTest.test_access_private_spreadsheet / test_access_non_existing_spreadsheet].
        Drive hides files a caller cannot see behind ``File not found`` [Drive v3 ref, "Resolve errors"].
        """
        book = self._books.get(sid)
        roles = []
        if book is not None and not book.trashed:
            roles = [
                p["role"]
                for p in book.permissions
                if p.get("emailAddress") == ident["email"] or p["type"] == "anyone"
            ]
        if book is None or book.trashed or (drive and not roles):
            if drive:
                raise ApiError(404, f"File not found: {sid}.", drive_reason="notFound")
            raise ApiError(404)
        if not roles:
            raise ApiError(403)
        if write and not any(r in _WRITER_ROLES for r in roles):
            if drive:
                raise ApiError(
                    403,
                    "The user does not have sufficient permissions for this file.",
                    drive_reason="insufficientFilePermissions",
                )
            raise ApiError(403)
        return book

    def _route(
        self, method: str, path: str, query: dict[str, list[str]], body: Any, ident: dict
    ) -> tuple[int, Any, dict]:
        if path.startswith("/drive/v3/files"):
            return self._drive(method, path, query, body, ident)
        if not path.startswith("/v4/spreadsheets"):
            raise ApiError(404, f"The requested URL {path} was not found on this server.")
        write = method != "GET"
        self._need_scope(ident, "sheets", write)
        if path == "/v4/spreadsheets" and method == "POST":
            return 200, self._sheets_create(body, ident), {}
        m = re.fullmatch(r"/v4/spreadsheets/([^/:]+)(?::(batchUpdate))?", path)
        if m:
            if m[2] and method == "POST":
                book = self._access(m[1], ident, write=True)
                return 200, self._batch_update(book, body, ident["email"]), {}
            if not m[2] and method == "GET":
                book = self._access(m[1], ident, write=False)
                fields = query.get("fields", [None])[-1]
                mask = parse_mask(fields) if fields else None
                return (
                    200,
                    spreadsheet_json(
                        book, mask, _bool_param(query, "includeGridData"), query.get("ranges", [])
                    ),
                    {},
                )
        m = re.fullmatch(r"/v4/spreadsheets/([^/:]+)/values:(batchGet|batchUpdate|batchClear)", path)
        if m:
            book = self._access(m[1], ident, write=m[2] != "batchGet")
            if m[2] == "batchGet" and method == "GET":
                return 200, self._values_batch_get(book, query), {}
            if m[2] == "batchUpdate" and method == "POST":
                return 200, self._values_batch_update(book, body, ident["email"]), {}
            if m[2] == "batchClear" and method == "POST":
                return 200, self._values_batch_clear(book, body, ident["email"]), {}
        m = re.fullmatch(r"/v4/spreadsheets/([^/:]+)/values/(.+?)(:append|:clear)?", path)
        if m:
            rng = unquote(m[2])
            who = ident["email"]
            if m[3] == ":append" and method == "POST":
                book = self._access(m[1], ident, write=True)
                return 200, self._values_append(book, rng, query, body, who), {}
            if m[3] == ":clear" and method == "POST":
                book = self._access(m[1], ident, write=True)
                return 200, self._values_clear(book, [rng], single=True, actor=who), {}
            if not m[3] and method == "GET":
                book = self._access(m[1], ident, write=False)
                return 200, self._value_range(book, rng, query), {}
            if not m[3] and method == "PUT":
                return 200, self._values_update(self._access(m[1], ident, write=True), rng, query, body, who), {}
        m = re.fullmatch(r"/v4/spreadsheets/([^/:]+)/developerMetadata(?::search|/(\d+))", path)
        if m:
            book = self._access(m[1], ident, write=False)
            if m[2] and method == "GET":
                mid = int(m[2])
                if mid not in book.metadata:
                    raise ApiError(404, f"No developer metadata with ID {mid}")
                return 200, book._meta_resource(mid), {}
            if not m[2] and method == "POST":
                return 200, self._metadata_search(book, body), {}
        raise ApiError(404, f"The requested URL {path} was not found on this server.")

    # -- Sheets handlers ---------------------------------------------------------------------
    def _sheets_create(self, body: dict, ident: dict) -> dict:
        """``spreadsheets.create``: the new Spreadsheet resource, the caller as owner [Sheets v4 ref]."""
        props = body.get("properties") or {}
        book = self._new_book(props.get("title") or "Untitled spreadsheet", ident["email"])
        if props.get("locale"):
            book.locale = props["locale"]
        if props.get("timeZone"):
            book.time_zone = props["timeZone"]
        sheet_specs = body.get("sheets") or [{"properties": {}}]
        batch = self._new_batch(book, ident["email"])
        try:
            for i, spec in enumerate(sheet_specs):
                p = dict(spec.get("properties") or {})
                if i == 0 and "sheetId" not in p:
                    p["sheetId"] = 0
                batch.apply(i, {"addSheet": {"properties": p}})
        except ApiError:
            del self._books[book.id]
            raise
        return spreadsheet_json(book, None, False, [])

    def _new_batch(self, book: Spreadsheet, actor: str) -> _Batch:
        return _Batch(
            book,
            self._rng,
            actor,
            folded_titles=self.case_insensitive_titles,
            protection=self.enforce_protection,
            protected_status=self.protected_status,
        )

    def _refuse_protected(self, book: Spreadsheet, sheet: Sheet, r: int, c: int, actor: str | None) -> None:
        """A write to a cell of a hard protected range is refused (see ``PROTECTED_CELL``)."""
        if (
            actor
            and self.enforce_protection
            and sheet.protected_ranges
            and protection_of(book, sheet, r, c, actor) is not None
        ):
            raise ApiError(self.protected_status, PROTECTED_CELL)

    def _batch_update(self, book: Spreadsheet, body: dict, actor: str = SERVICE_ACCOUNT_EMAIL) -> dict:
        """``spreadsheets.batchUpdate``, all or nothing (see :class:`_Batch`); replies mirror the requests."""
        requests = body.get("requests")
        if not isinstance(requests, list) or not requests:
            raise _bad("Must specify at least one request.")
        clone = book.clone()
        batch = self._new_batch(clone, actor)
        replies = [batch.apply(i, req) for i, req in enumerate(requests)]
        book.adopt(clone)
        book.modified = _now_rfc3339()
        out: dict[str, Any] = {"spreadsheetId": book.id, "replies": replies}
        if body.get("includeSpreadsheetInResponse"):
            out["updatedSpreadsheet"] = spreadsheet_json(
                book, None, bool(body.get("responseIncludeGridData")), body.get("responseRanges") or []
            )
        return out

    @staticmethod
    def _render_options(query: dict[str, list[str]]) -> tuple[str, str, str]:
        vro = query.get("valueRenderOption", ["FORMATTED_VALUE"])[-1]
        dtro = query.get("dateTimeRenderOption", ["SERIAL_NUMBER"])[-1]
        major = query.get("majorDimension", ["ROWS"])[-1]
        if vro not in ("FORMATTED_VALUE", "UNFORMATTED_VALUE", "FORMULA"):
            raise _bad(
                f"Invalid value at 'value_render_option' (type.googleapis.com/google.apps.sheets.v4.ValueRenderOption), \"{vro}\""
            )
        if dtro not in ("SERIAL_NUMBER", "FORMATTED_STRING"):
            raise _bad(
                f"Invalid value at 'date_time_render_option' (type.googleapis.com/google.apps.sheets.v4.DateTimeRenderOption), \"{dtro}\""
            )
        if major not in ("ROWS", "COLUMNS", "DIMENSION_UNSPECIFIED"):
            raise _bad(
                f"Invalid value at 'major_dimension' (type.googleapis.com/google.apps.sheets.v4.Dimension), \"{major}\""
            )
        return vro, dtro, "COLUMNS" if major == "COLUMNS" else "ROWS"

    def _value_range(self, book: Spreadsheet, rng: str, query: dict[str, list[str]]) -> dict:
        """A ``ValueRange`` [fixture SpreadsheetTest.test_values_get]: the range echoed over the whole
        grid it covers (``A:A`` on 10 rows -> ``A1:A10``), trailing blanks trimmed, ``values`` omitted
        when there are none [fixture WorksheetTest.test_sort]."""
        vro, dtro, major = self._render_options(query)
        sheet, r0, r1, c0, c1 = resolve_a1(book, rng)
        grid: list[list[Any]] = []
        for r in range(r0, r1):
            row = sheet.rows[r]
            present = [c for c in row.cells if c0 <= c < c1]
            if not present:
                grid.append([])
                continue
            line = [""] * (max(present) - c0 + 1)
            for c in present:
                line[c - c0] = render(sheet, r, c, vro, dtro)
            grid.append(line)
        if major == "COLUMNS":
            width = max((len(x) for x in grid), default=0)
            grid = [[grid[i][j] if j < len(grid[i]) else "" for i in range(len(grid))] for j in range(width)]
        values = _trim(grid)
        out: dict[str, Any] = {"range": echo_range(sheet, r0, r1, c0, c1), "majorDimension": major}
        if values:
            out["values"] = values
        return out

    def _values_batch_get(self, book: Spreadsheet, query: dict[str, list[str]]) -> dict:
        """``values.batchGet`` [fixture SpreadsheetTest.test_values_batch_get]."""
        out: dict[str, Any] = {"spreadsheetId": book.id}
        ranges = query.get("ranges", [])
        if ranges:
            out["valueRanges"] = [self._value_range(book, r, query) for r in ranges]
        return out

    def _write_values(
        self,
        book: Spreadsheet,
        rng: str,
        values: Any,
        option: str,
        major: str,
        where: str = "data.values",
        actor: str | None = None,
    ) -> dict:
        if not isinstance(values, list) or not all(isinstance(v, list) for v in values):
            msg = f"Invalid value at '{where}' (type.googleapis.com/google.protobuf.ListValue), {json.dumps(values)}"
            # [fixture WorksheetTest.test_add_validation]: the BadRequest details Google adds.
            raise ApiError(
                400,
                msg,
                details=[
                    {
                        "@type": "type.googleapis.com/google.rpc.BadRequest",
                        "fieldViolations": [{"field": where, "description": msg}],
                    }
                ],
            )
        if option not in ("RAW", "USER_ENTERED"):
            raise _bad(
                f"Invalid value at 'value_input_option' (type.googleapis.com/google.apps.sheets.v4.ValueInputOption), \"{option}\""
            )
        if major == "COLUMNS":
            width = max((len(x) for x in values), default=0)
            values = [
                [values[i][j] if j < len(values[i]) else None for i in range(len(values))]
                for j in range(width)
            ]
        sheet, r0, r1, c0, c1 = resolve_a1(book, rng)
        rows, cols = len(values), max((len(x) for x in values), default=0)
        anchor = r1 - r0 == 1 and c1 - c0 == 1
        if not anchor:
            if rows > r1 - r0:
                raise _bad(
                    f"Requested writing within range [{echo_range(sheet, r0, r1, c0, c1)}], but tried writing to row [{r0 + rows}]"
                )
            if cols > c1 - c0:
                raise _bad(
                    f"Requested writing within range [{echo_range(sheet, r0, r1, c0, c1)}], but tried writing to column [{col_letters(c0 + cols - 1)}]"
                )
        if r0 + rows > sheet.row_count or c0 + cols > sheet.column_count:
            raise _bad(
                f"Range ({quote_title(sheet.title)}!{a1_window(r0, r0 + max(rows, 1), c0, c0 + max(cols, 1))}) exceeds grid "
                f"limits. Max rows: {sheet.row_count}, max columns: {sheet.column_count}"
            )
        # [fixture WorksheetTest.test_update_cells_noncontiguous]: updatedRows/Columns/Cells count only the
        # non-null values sent; updatedRange spans all of them.
        cells, touched_rows, touched_cols = 0, set(), set()
        for i, line in enumerate(values):
            for j, v in enumerate(line):
                if v is None:
                    continue  # [Sheets v4 ref, ValueRange.values]: null values are skipped
                if isinstance(v, dict | list):
                    raise _bad(f"Invalid values[{i}][{j}]: {json.dumps(v)}")
                if isinstance(v, str) and len(v) > MAX_CELL_CHARS:
                    raise _bad(CELL_TOO_LONG)  # see MAX_CELL_CHARS
                self._refuse_protected(book, sheet, r0 + i, c0 + j, actor)
                uev, nf = parse_user_entered(v) if option == "USER_ENTERED" else (parse_raw(v), None)
                row = sheet.rows[r0 + i]
                cell = dict(row.cells.get(c0 + j) or {})
                cell.pop("userEnteredValue", None)
                if uev:
                    cell["userEnteredValue"] = uev
                fmt = cell.get("userEnteredFormat") or {}
                if nf and "numberFormat" not in fmt:
                    cell["userEnteredFormat"] = {**fmt, "numberFormat": nf}
                _put(row, c0 + j, cell)
                cells += 1
                touched_rows.add(i)
                touched_cols.add(j)
        out: dict[str, Any] = {"spreadsheetId": book.id}
        if rows and cols:
            out.update(
                updatedRange=echo_range(sheet, r0, r0 + rows, c0, c0 + cols),
                updatedRows=len(touched_rows),
                updatedColumns=len(touched_cols),
                updatedCells=cells,
            )
        else:
            out["updatedRange"] = echo_range(sheet, r0, r1, c0, c1)
        return out

    def _values_update(
        self, book: Spreadsheet, rng: str, query: dict[str, list[str]], body: dict, actor: str | None = None
    ) -> dict:
        """``values.update`` [fixture WorksheetTest.test_update_cell, ...test_values_get]."""
        option = query.get("valueInputOption", [None])[-1]
        if not option:
            raise _bad("'valueInputOption' is required but not specified")
        clone = book.clone()
        out = self._write_values(
            clone, rng, body.get("values"), option, body.get("majorDimension") or "ROWS", actor=actor
        )
        book.adopt(clone)
        book.modified = _now_rfc3339()
        return out

    def _values_batch_update(self, book: Spreadsheet, body: dict, actor: str | None = None) -> dict:
        """``values.batchUpdate`` [fixture WorksheetTest.test_batch_update], atomic like batchUpdate."""
        option = body.get("valueInputOption")
        if not option:
            raise _bad("'valueInputOption' is required but not specified")
        clone = book.clone()
        responses = []
        for k, vr in enumerate(body.get("data") or []):
            if not vr.get("range"):
                raise _bad(f"Invalid data[{k}]: range is required.")
            responses.append(
                self._write_values(
                    clone,
                    vr["range"],
                    vr.get("values"),
                    option,
                    vr.get("majorDimension") or "ROWS",
                    f"data[{k}].values",
                    actor,
                )
            )
        book.adopt(clone)
        book.modified = _now_rfc3339()
        written = [r for r in responses if "updatedRows" in r]
        out: dict[str, Any] = {"spreadsheetId": book.id}
        if written:
            out.update(
                totalUpdatedRows=sum(r["updatedRows"] for r in written),
                totalUpdatedColumns=max(r["updatedColumns"] for r in written),
                totalUpdatedCells=sum(r["updatedCells"] for r in written),
                totalUpdatedSheets=len({r["updatedRange"].rpartition("!")[0] for r in written}),
            )
        out["responses"] = responses
        return out

    def _values_append(
        self, book: Spreadsheet, rng: str, query: dict[str, list[str]], body: dict, actor: str | None = None
    ) -> dict:
        """``values.append`` [fixture WorksheetTest.test_delete_row, ...test_insert_row]: writes after the
        table found from the range (simplified, see module doc); rows are added as needed."""
        option = query.get("valueInputOption", [None])[-1]
        if not option:
            raise _bad("'valueInputOption' is required but not specified")
        values = body.get("values")
        clone = book.clone()
        sheet, r0, r1, c0, c1 = resolve_a1(clone, rng)
        anchor = r1 - r0 == 1 and c1 - c0 == 1
        cols_hi = c0 + 1 if anchor else c1
        rows_hi = sheet.row_count if anchor else r1

        def filled(r: int) -> bool:
            return any(c0 <= c < cols_hi for c in sheet.rows[r].cells)

        first = next((r for r in range(r0, rows_hi) if filled(r)), None)
        table = None
        if first is not None and not (anchor and first != r0):
            last = first
            while last + 1 < rows_hi and filled(last + 1):
                last += 1
            right = max(c for r in range(first, last + 1) for c in sheet.rows[r].cells if c0 <= c < cols_hi)
            table = (first, last + 1, c0, right + 1)
            at = last + 1
        else:
            at = r0
        n = len(values) if isinstance(values, list) else 0
        if query.get("insertDataOption", ["OVERWRITE"])[-1] == "INSERT_ROWS":
            insert_dimension(sheet, "ROWS", min(at, sheet.row_count), n)
        elif at + n > sheet.row_count:
            sheet.rows.extend(Row() for _ in range(at + n - sheet.row_count))
        if sum(s.row_count * s.column_count for s in clone.sheets) > MAX_CELLS:  # see MAX_CELLS
            raise _bad(
                "This action would increase the number of cells in the workbook above the limit of 10000000 cells."
            )
        updates = self._write_values(
            clone,
            f"{quote_title(sheet.title)}!{col_letters(c0)}{at + 1}",
            values,
            option,
            body.get("majorDimension") or "ROWS",
            actor=actor,
        )
        book.adopt(clone)
        book.modified = _now_rfc3339()
        out: dict[str, Any] = {"spreadsheetId": book.id}
        if table:
            out["tableRange"] = echo_range(sheet, *table)
        out["updates"] = updates
        return out

    def _values_clear(
        self, book: Spreadsheet, ranges: list[str], single: bool, actor: str | None = None
    ) -> dict:
        """``values.clear`` / ``batchClear``: values go, formats stay [fixture WorksheetTest.test_sort: clearedRange]."""
        cleared = []
        for rng in ranges:  # a protected cell in any range refuses the whole request, before any change
            sheet, r0, r1, c0, c1 = resolve_a1(book, rng)
            for r in range(r0, r1):
                for c in [c for c in sheet.rows[r].cells if c0 <= c < c1]:
                    self._refuse_protected(book, sheet, r, c, actor)
        for rng in ranges:
            sheet, r0, r1, c0, c1 = resolve_a1(book, rng)
            for r in range(r0, r1):
                row = sheet.rows[r]
                for c in [c for c in row.cells if c0 <= c < c1]:
                    cell = dict(row.cells[c])
                    cell.pop("userEnteredValue", None)
                    _put(row, c, cell)
            cleared.append(echo_range(sheet, r0, r1, c0, c1))
        book.modified = _now_rfc3339()
        if single:
            return {"spreadsheetId": book.id, "clearedRange": cleared[0]}
        return {"spreadsheetId": book.id, "clearedRanges": cleared}

    def _values_batch_clear(self, book: Spreadsheet, body: dict, actor: str | None = None) -> dict:
        ranges = body.get("ranges") or []
        for rng in ranges:  # validate all first: nothing is cleared when one range is bad
            resolve_a1(book, rng)
        return self._values_clear(book, ranges, single=False, actor=actor)

    def _metadata_search(self, book: Spreadsheet, body: dict) -> dict:
        """``developerMetadata.search`` [Sheets v4 ref]: each match with the filters that matched it; ``{}`` if none."""
        filters = body.get("dataFilters") or []
        if not filters:
            raise _bad("Invalid dataFilters: at least one data filter must be specified.")
        hits: dict[int, list[dict]] = {}
        for f in filters:
            for mid in match_filter(book, f):
                hits.setdefault(mid, []).append(f)
        if not hits:
            return {}
        pos = book._positions()
        return {
            "matchedDeveloperMetadata": [
                {"developerMetadata": book._meta_resource(mid, positions=pos), "dataFilters": fs}
                for mid, fs in hits.items()
            ]
        }

    # -- Drive v3 ------------------------------------------------------------------------------
    def _file_resource(self, book: Spreadsheet) -> dict[str, Any]:
        """A Drive ``File`` [Drive v3 ref, files]; the default answer has only kind, id, name, mimeType
        [fixture ClientTest.test_create]."""
        owner = next((p for p in book.permissions if p["role"] == "owner"), None)
        return {
            "kind": "drive#file",
            "id": book.id,
            "name": book.title,
            "mimeType": SPREADSHEET_MIME,
            "trashed": False,
            "createdTime": book.created,
            "modifiedTime": book.modified,
            "webViewLink": f"https://docs.google.com/spreadsheets/d/{book.id}/edit?usp=drivesdk",
            "owners": [
                {
                    "kind": "drive#user",
                    "emailAddress": owner["emailAddress"],
                    "displayName": owner["displayName"],
                }
            ]
            if owner
            else [],
        }

    @staticmethod
    def _drive_fields(resource: dict, query: dict[str, list[str]], default: tuple[str, ...]) -> dict:
        fields = query.get("fields", [None])[-1]
        if fields:
            return apply_mask(resource, parse_mask(fields))
        return {k: resource[k] for k in default if k in resource}

    def _drive(
        self, method: str, path: str, query: dict[str, list[str]], body: Any, ident: dict
    ) -> tuple[int, Any, dict]:
        write = method != "GET"
        self._need_scope(ident, "drive", write)
        default_file = ("kind", "id", "name", "mimeType")
        default_perm = ("kind", "id", "type", "role")
        if path == "/drive/v3/files":
            if method == "POST":
                if body.get("mimeType") != SPREADSHEET_MIME:
                    raise ApiError(
                        400, "The emulator only creates Google Sheets files.", drive_reason="badRequest"
                    )
                book = self._new_book(body.get("name") or "Untitled spreadsheet", ident["email"])
                book.sheets.append(Sheet(book, 0, "Sheet1", 0))
                return 200, self._drive_fields(self._file_resource(book), query, default_file), {}
            if method == "GET":
                return 200, self._files_list(query, ident), {}
        m = re.fullmatch(r"/drive/v3/files/([^/]+)", path)
        if m:
            if method == "GET":
                book = self._access(m[1], ident, write=False, drive=True)
                return 200, self._drive_fields(self._file_resource(book), query, default_file), {}
            if method == "DELETE":
                book = self._access(m[1], ident, write=False, drive=True)
                if not any(
                    p.get("emailAddress") == ident["email"] and p["role"] == "owner" for p in book.permissions
                ):
                    raise ApiError(
                        403,
                        "The user does not have sufficient permissions for this file.",
                        drive_reason="insufficientFilePermissions",
                    )
                del self._books[book.id]
                return 204, None, {}
        m = re.fullmatch(r"/drive/v3/files/([^/]+)/permissions(?:/([^/]+))?", path)
        if m:
            if method == "POST" and not m[2]:
                book = self._access(m[1], ident, write=True, drive=True)
                notify = _bool_param(query, "sendNotificationEmail", default=True)
                message = query.get("emailMessage", [None])[-1]
                perm = self._add_permission(book, body, notify, message, query)
                return 200, self._drive_fields(perm, query, default_perm), {}
            if method == "GET" and not m[2]:
                book = self._access(m[1], ident, write=False, drive=True)
                fields = query.get("fields", [None])[-1]
                perms = copy.deepcopy(book.permissions)
                if fields:
                    out = apply_mask(
                        {"kind": "drive#permissionList", "permissions": perms}, parse_mask(fields)
                    )
                else:
                    out = {
                        "kind": "drive#permissionList",
                        "permissions": [{k: p[k] for k in default_perm} for p in perms],
                    }
                return 200, out, {}
            if method == "DELETE" and m[2]:
                book = self._access(m[1], ident, write=True, drive=True)
                perm = next((p for p in book.permissions if p["id"] == m[2]), None)
                if perm is None:
                    raise ApiError(404, f"Permission not found: {m[2]}.", drive_reason="notFound")
                if perm["role"] == "owner":
                    raise ApiError(
                        403, "The owner of a file cannot be removed.", drive_reason="cannotRemoveOwner"
                    )
                book.permissions.remove(perm)
                return 204, None, {}
        raise ApiError(404, f"The requested URL {path} was not found on this server.")

    def _add_permission(
        self, book: Spreadsheet, body: dict, notify: bool, message: str | None, query: dict | None = None
    ) -> dict:
        """``permissions.create`` [Drive v3 ref, permissions.create]; a second grant to the same address updates its role."""
        kind, role = body.get("type"), body.get("role")
        if kind not in ("user", "group", "domain", "anyone"):
            raise ApiError(400, f"Invalid permission type: {kind}", drive_reason="invalid")
        if role not in ("owner", "organizer", "fileOrganizer", "writer", "commenter", "reader"):
            raise ApiError(400, f"Invalid permission role: {role}", drive_reason="invalid")
        if kind in ("user", "group") and not body.get("emailAddress"):
            raise ApiError(400, "The permission emailAddress field is required.", drive_reason="required")
        if kind == "domain" and not body.get("domain"):
            raise ApiError(400, "The permission domain field is required.", drive_reason="required")
        if role == "owner" and not _bool_param(query or {}, "transferOwnership"):
            raise ApiError(
                403,
                "The transferOwnership parameter must be enabled when the permission role is 'owner'.",
                drive_reason="forbidden",
            )
        email = body.get("emailAddress")
        existing = next((p for p in book.permissions if email and p.get("emailAddress") == email), None)
        if existing is not None:
            if existing["role"] != "owner":
                existing["role"] = role
            perm = existing
        else:
            perm = {
                "kind": "drive#permission",
                "id": "anyoneWithLink" if kind == "anyone" else str(self._rng.randrange(10**19, 10**20)),
                "type": kind,
                "role": role,
            }
            if email:
                perm["emailAddress"] = email
                perm["displayName"] = email.split("@")[0]
            if kind == "domain":
                perm["domain"] = body["domain"]
            perm["deleted"] = False
            perm["pendingOwner"] = False
            book.permissions.append(perm)
        if kind in ("user", "group"):
            book.notifications.append(
                {
                    "permissionId": perm["id"],
                    "emailAddress": email,
                    "sendNotificationEmail": notify,
                    "emailMessage": message,
                }
            )
        return copy.deepcopy(perm)

    def _files_list(self, query: dict[str, list[str]], ident: dict) -> dict:
        """``files.list`` [fixture ClientTest.test_list_spreadsheet_files]: only ``mimeType`` and ``name``
        clauses of ``q`` are understood; the rest of ``q`` is ignored."""
        q = query.get("q", [""])[-1]
        mime = re.search(r"mimeType\s*=\s*['\"]([^'\"]+)['\"]", q)
        name = re.search(r"name\s*=\s*['\"]([^'\"]+)['\"]", q)
        files = []
        for book in self._books.values():
            if book.trashed or not any(
                p.get("emailAddress") == ident["email"] or p["type"] == "anyone" for p in book.permissions
            ):
                continue
            if mime and mime[1] != SPREADSHEET_MIME:
                continue
            if name and name[1] != book.title:
                continue
            files.append(self._file_resource(book))
        fields = query.get("fields", [None])[-1]
        out = {"kind": "drive#fileList", "incompleteSearch": False, "files": files}
        if fields:
            masked = apply_mask(out, parse_mask(fields))
            # Drive (not a proto-JSON API) keeps an empty list [fixture ClientTest.test_no_found_exeption].
            if _sel(parse_mask(fields), "files") is not None:
                masked.setdefault("files", [])
            return masked
        out["files"] = [{k: f[k] for k in ("kind", "id", "name", "mimeType")} for f in files]
        return out


# =====================================================================================
# Pointing the real clients at the emulator
# =====================================================================================


def emulated_session(credentials: Any, emu_url: str, timeout: float | None = None) -> Any:
    """An ``AuthorizedSession`` for ``credentials`` whose requests to Google's hosts go to ``emu_url``.

    A requests ``HTTPAdapter`` mounted on ``https://sheets.googleapis.com``, ``https://www.googleapis.com``
    and ``https://oauth2.googleapis.com`` rewrites the scheme+host to ``emu_url`` and keeps path and
    query; the token refresh uses the same adapter. Pass it to ``gspread.Client(auth=creds, session=...)``.
    """
    import requests
    from google.auth.transport.requests import AuthorizedSession, Request

    class _Rewrite(requests.adapters.HTTPAdapter):
        def send(self, request: Any, *args: Any, **kwargs: Any) -> Any:
            for host in GOOGLE_HOSTS:
                if request.url.startswith(host):
                    request.url = emu_url.rstrip("/") + request.url[len(host) :]
                    break
            if timeout is not None and kwargs.get("timeout") is None:
                kwargs["timeout"] = timeout
            return super().send(request, *args, **kwargs)

    def mount(session: Any) -> Any:
        adapter = _Rewrite()
        for host in GOOGLE_HOSTS:
            session.mount(host, adapter)
        return session

    auth_request = Request(session=mount(requests.Session()))
    return mount(AuthorizedSession(credentials, auth_request=auth_request))


def main(argv: list[str] | None = None, until: threading.Event | None = None) -> int:
    """``python -m tests.emulators.google --port 8765 --key-file sa.json``: serve until Ctrl-C."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--key-file", default="sa.json", help="where to write the service-account key (mode 0600)"
    )
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every API call")
    parser.add_argument(
        "--title", default="followsync tracker", help="title of the spreadsheet made at start"
    )
    args = parser.parse_args(argv)
    emu = GoogleEmulator(latency=args.latency, port=args.port)
    emu.start()
    emu.write_key_file(args.key_file)
    sid = emu.create_spreadsheet(args.title)
    print(f"Google emulator listening on {emu.url}", flush=True)
    print(f"service-account key written to {args.key_file} ({SERVICE_ACCOUNT_EMAIL})", flush=True)
    print(f"spreadsheet id: {sid}", flush=True)
    print(
        f"use it with: FOLLOWSYNC_GOOGLE_API_URL={emu.url} FOLLOWSYNC_GOOGLE_CREDENTIALS={args.key_file}",
        flush=True,
    )
    try:
        (until or threading.Event()).wait()
    except KeyboardInterrupt:
        pass
    finally:
        emu.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
