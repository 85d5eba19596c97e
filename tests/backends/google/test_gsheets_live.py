"""The backend contract against real Google Sheets, when credentials are given.

Set ``FOLLOWSYNC_LIVE_GOOGLE_CREDENTIALS`` (a service-account key or an OAuth token file) and
``FOLLOWSYNC_LIVE_SHEET`` (the URL or key of a scratch spreadsheet shared with that account as
Editor: the tests overwrite its ``Tracker`` worksheet). Without them, every case is skipped
with that reason. The harness edits the sheet through gspread, as a coach's browser would
through the same API: values and backgrounds move with their rows.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from followsync.backends.google.auth import SCOPES, load_credentials
from followsync.backends.google.backend import GoogleSheetsBackend, parse_location
from followsync.backends.google.wire import color_to_hex, hex_to_color
from followsync.core.schema import COLOUR_COLUMNS, locate_header

from ..contract import BackendContract, Harness

CREDS = os.environ.get("FOLLOWSYNC_LIVE_GOOGLE_CREDENTIALS")
SHEET = os.environ.get("FOLLOWSYNC_LIVE_SHEET")
WORKSHEET = "Tracker"


def _plain(v: Any) -> Any:
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return v


class LiveGoogleHarness(Harness):
    supports_sharing = supports_protection = True

    def __init__(self):
        import gspread

        loaded = load_credentials(Path(CREDS).expanduser())
        creds = loaded.credentials
        if hasattr(creds, "with_scopes") and getattr(creds, "requires_scopes", False):
            creds = creds.with_scopes(list(SCOPES))
        self.key, _gid = parse_location(SHEET)
        session = None
        if os.environ.get("FOLLOWSYNC_GOOGLE_API_URL"):
            # the same harness against the emulator, to check the harness itself
            from ...emulators.google import emulated_session

            session = emulated_session(creds, os.environ["FOLLOWSYNC_GOOGLE_API_URL"])
        self.sh = gspread.Client(auth=creds, session=session).open_by_key(self.key)
        titles = [ws.title for ws in self.sh.worksheets()]
        self.ws = self.sh.worksheet(WORKSHEET) if WORKSHEET in titles else self.sh.add_worksheet(WORKSHEET, 100, 40)
        self.writes = 0
        self.hook = None

    def make(self, grid):
        # a clean worksheet: no values, no formats, no protections of an earlier case
        meta = self.sh.fetch_sheet_metadata({"fields": "sheets(properties(sheetId,title),protectedRanges(protectedRangeId))"})
        reqs = [{"updateCells": {"range": {"sheetId": self.ws.id}, "fields": "*"}}]
        for s in meta["sheets"]:
            if s["properties"]["title"] == WORKSHEET:
                reqs += [{"deleteProtectedRange": {"protectedRangeId": p["protectedRangeId"]}} for p in s.get("protectedRanges", [])]
        self.sh.batch_update({"requests": reqs})
        self.ws.update([[_plain(v) for v in row] for row in grid], "A1", value_input_option="RAW")
        backend = GoogleSheetsBackend(self.key, worksheet=WORKSHEET, credentials_path=Path(CREDS).expanduser())
        real_apply, real_reread = backend.apply, backend._reread

        def apply(changes, **kw):
            applied = real_apply(changes, **kw)
            self.writes += applied.write_calls
            return applied

        def reread():
            if self.hook:
                self.hook()
            return real_reread()

        backend.apply, backend._reread = apply, reread
        return backend

    def _cells(self):
        data = self.sh.fetch_sheet_metadata(
            {
                "includeGridData": "true",
                "ranges": WORKSHEET,
                "fields": "sheets.data.rowData.values(effectiveValue,userEnteredFormat.backgroundColor)",
            }
        )
        rows = data["sheets"][0]["data"][0].get("rowData", [])
        values, fills = [], []
        for r in rows:
            vals, bgs = [], []
            for c in r.get("values", []):
                ev = c.get("effectiveValue", {})
                vals.append(next(iter(ev.values())) if ev else None)
                bgs.append(color_to_hex(c.get("userEnteredFormat", {}).get("backgroundColor")))
            values.append(vals)
            fills.append(bgs)
        return values, fills

    def grid(self):
        values, _ = self._cells()
        while values and not any(v not in (None, "") for v in values[-1]):
            values.pop()
        return values

    def fills(self):
        values, fills = self._cells()
        header = locate_header(values)
        cols = {header.positions[n] for n in COLOUR_COLUMNS if n in header.positions}
        return {(r, c): f for r, row in enumerate(fills) for c, f in enumerate(row) if f and c in cols}

    def edit(self, fn):
        values, fills = self._cells()
        origin = {id(r): i for i, r in enumerate(values)}
        new = fn(list(values))
        width = max(len(r) for r in [*values, *new, [None]])
        rows = []
        for j in range(max(len(values), len(new))):
            row = new[j] if j < len(new) else []
            src = origin.get(id(row))
            cells = []
            for c in range(width):
                v = row[c] if c < len(row) else None
                cell: dict[str, Any] = {}
                if isinstance(v, bool):
                    cell["userEnteredValue"] = {"boolValue": v}
                elif isinstance(v, int | float):
                    cell["userEnteredValue"] = {"numberValue": v}
                elif v not in (None, ""):
                    cell["userEnteredValue"] = {"stringValue": str(_plain(v))}
                bg = fills[src][c] if src is not None and c < len(fills[src]) else None
                if bg:
                    cell["userEnteredFormat"] = {"backgroundColor": hex_to_color(bg)}
                cells.append(cell)
            rows.append({"values": cells})
        self.sh.batch_update(
            {
                "requests": [
                    {
                        "updateCells": {
                            "range": {"sheetId": self.ws.id, "startRowIndex": 0, "startColumnIndex": 0},
                            "rows": rows,
                            "fields": "userEnteredValue,userEnteredFormat.backgroundColor",
                        }
                    }
                ]
            }
        )

    def between(self, fn):
        self.hook = fn

    def write_calls(self):
        return self.writes


@pytest.mark.skipif(
    not (CREDS and SHEET),
    reason="set FOLLOWSYNC_LIVE_GOOGLE_CREDENTIALS and FOLLOWSYNC_LIVE_SHEET to run the contract against real Google Sheets",
)
class TestLiveGoogleContract(BackendContract):
    @pytest.fixture
    def harness(self):
        return LiveGoogleHarness()
