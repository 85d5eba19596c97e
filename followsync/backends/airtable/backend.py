"""Airtable: the tracker as a table of a base, through the real ``pyairtable`` client.

Location: ``airtable:BASE_ID/TABLE`` (a table name or a ``tbl…`` id). The personal access
token comes from ``$FOLLOWSYNC_AIRTABLE_TOKEN``, else from the file named by ``[airtable]
token_file`` in ``followsync.toml``; it needs the scopes ``data.records:read``,
``data.records:write``, ``schema.bases:read``, and ``schema.bases:write`` for ``followsync
init`` (and for adding followsync's fields to an existing table). ``$FOLLOWSYNC_AIRTABLE_API_URL``
points the client elsewhere (the test emulator).

How it talks to Airtable (https://airtable.com/developers/web/api/introduction):

* :meth:`AirtableBackend.read` is one schema read (field names, types and select choices, in
  the table's field order) plus the record listing, 100 records a page with the ``offset``
  cursor. Grid row 0 is the field names; each record is one grid row in listing order, and
  ``Snapshot.handles`` maps the row to its record id.
* Airtable cells have no background, so the status colour is the single-select field
  **Urgency** (RULES.md section 1): it reads as a fill on Next action and Due, and a
  :class:`~followsync.core.changes.FillWrite` on Next action writes the colour's *name*.
* :meth:`AirtableBackend.apply` PATCHes only the changed fields of the changed records, 10
  records a request, addressed by record id; never PUT (which clears every field not sent) and
  never ``typecast`` (which invents select options from typos). A record deleted by someone
  else during the run is skipped with a message and the rest of its batch is written; a run cut
  short is safe to repeat.
* Requests are paced under Airtable's 5 a second per base, and 429s and 5xx are retried with
  backoff that honours ``Retry-After`` (a 429 without one waits out Airtable's 30 s lockout).
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import re
import time
import zoneinfo
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pyairtable
import requests

from ...core.cells import (
    CellError,
    as_text,
    normalize_header,
    parse_choice,
    parse_count,
    parse_datetime,
    parse_yesno,
)
from ...core.changes import Applied, ChangeSet, SheetWrite, Snapshot
from ...core.layout import Layout
from ...core.schema import BY_NAME, Column, match_header
from ...errors import (
    AuthError,
    FollowsyncError,
    RemoteError,
    TrackerError,
    TrackerNotFound,
    UsageError,
    WriteRefused,
)
from ..base import Backend

if TYPE_CHECKING:
    from ...config import Config

ENV_TOKEN = "FOLLOWSYNC_AIRTABLE_TOKEN"
ENV_API_URL = "FOLLOWSYNC_AIRTABLE_API_URL"
DEFAULT_API_URL = "https://api.airtable.com"
SCOPES_HINT = "data.records:read, data.records:write, schema.bases:read, and schema.bases:write for init"

URGENCY = "Urgency"
#: RULES.md section 4's colour names, in order, with the Airtable choice colour of each.
URGENCY_CHOICES = {
    "overdue": "redLight2",
    "today": "orangeLight2",
    "soon": "yellowLight2",
    "waiting": "blueLight2",
    "done": "greenLight2",
    "closed": "grayLight2",
    "problem": "purpleLight2",
}
URGENCY_NOTE = (
    "Written by followsync: how urgent the next action is (overdue, today, soon, waiting, done, closed, "
    "problem), the colour a spreadsheet tracker gives Next action and Due."
)

PAGE_SIZE = 100  # Airtable's largest page
BATCH = 10  # Airtable's most records per write request
#: Seconds between two requests: 4.5 a second, safely under Airtable's 5 per base.
MIN_INTERVAL = 1 / 4.5
LOCKOUT = 30.0  # Airtable refuses every request for 30 s after a 429
MAX_RETRIES = 5
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
#: Methods safe to send twice; a POST that creates something is retried only after a 429
#: (which means it was not processed).
IDEMPOTENT = frozenset({"GET", "HEAD", "PATCH", "PUT", "DELETE"})

# Long text in Airtable for these; single line text for the other text columns.
MULTILINE = frozenset(
    {
        "Talking points",
        "Highlights",
        "Open questions",
        "Notes",
        "Reminder",
        "Draft message",
        "LinkedIn note",
        "Problems",
    }
)
CHECKBOX_OPTIONS = {"icon": "check", "color": "greenBright"}
DATE_OPTIONS = {"dateFormat": {"name": "iso"}}
# "client": Airtable shows the time in each viewer's own zone; followsync reads it in the
# zone of the machine it runs on.
DATETIME_OPTIONS = {"dateFormat": {"name": "iso"}, "timeFormat": {"name": "24hour"}, "timeZone": "client"}

_RECORD_ID = re.compile(r"\brec[A-Za-z0-9]{14}\b")
_TABLE_ID = re.compile(r"^tbl[A-Za-z0-9]{14}$")


def parse_location(location: str) -> tuple[str, str]:
    """``airtable:BASE_ID/TABLE`` -> ``(base_id, table)``; the table may be a name or a ``tbl…`` id."""
    text = location.strip()
    if text.lower().startswith("airtable:"):
        text = text[len("airtable:") :]
    text = text.lstrip("/")
    base_id, sep, table = text.partition("/")
    base_id, table = base_id.strip(), table.strip()
    if not sep or not base_id.startswith("app") or not table:
        raise UsageError(
            f"{location!r} is not an Airtable location; write it as airtable:BASE_ID/TABLE, "
            "e.g. airtable:appAbC123dEf456gH/Tracker (the base id starts with 'app')."
        )
    return base_id, table


def read_token(config: Config | None) -> str:
    """The personal access token: ``$FOLLOWSYNC_AIRTABLE_TOKEN``, else ``[airtable] token_file``."""
    token = os.environ.get(ENV_TOKEN, "").strip()
    path = getattr(config, "airtable_token_file", None)
    if not token and path is not None:
        try:
            token = path.read_text(encoding="utf-8").strip()
        except OSError as e:
            raise AuthError(
                f"Cannot read the Airtable token file {path} ({e.strerror or e}); fix [airtable] token_file in "
                f"followsync.toml or set ${ENV_TOKEN}."
            ) from None
    if not token:
        raise AuthError(
            f"No Airtable token: set ${ENV_TOKEN} to a personal access token from "
            f"https://airtable.com/create/tokens (scopes {SCOPES_HINT}), or name a file holding it in "
            "followsync.toml under [airtable] token_file."
        )
    return token


#: When each base may next be sent a request, per (endpoint, base, clock): shared by every
#: backend of the process, so two backends on one base (a run, then ``history``) stay under
#: the limit together.
_NEXT_REQUEST_AT: dict[tuple[str, str, Any], float] = {}


class _Transport(requests.Session):
    """pyairtable's HTTP session, paced under the rate limit and retrying what is safe to retry.

    ``sleep`` and ``clock`` are injected so tests pace and back off on a fake clock.
    ``sent`` counts every request sent on the wire; ``waits`` the backoff sleeps.
    """

    def __init__(
        self,
        sleep: Callable[[float], Any],
        clock: Callable[[], float],
        key: tuple[str, str],
        interval: float = MIN_INTERVAL,
    ):
        super().__init__()
        self.sleep = sleep
        self.clock = clock
        self.interval = interval
        self.sent = 0
        self.waits: list[float] = []
        self._key = (*key, clock)

    def _pace(self) -> None:
        now = self.clock()
        next_at = _NEXT_REQUEST_AT.get(self._key)
        if next_at is not None and now < next_at:
            self.sleep(next_at - now)
            now = max(self.clock(), next_at)
        _NEXT_REQUEST_AT[self._key] = now + self.interval

    def _wait(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.sleep(seconds)

    def request(self, method, url, *args, **kwargs):  # type: ignore[override]
        method = method.upper()
        safe = method in IDEMPOTENT or url.rstrip("/").endswith("/listRecords")
        for attempt in itertools.count():
            self._pace()
            try:
                response = super().request(method, url, *args, **kwargs)
            except (requests.ConnectionError, requests.Timeout) as e:
                if safe and attempt < MAX_RETRIES:
                    self._wait(float(2**attempt))
                    continue
                host = urlsplit(url).netloc
                raise RemoteError(
                    f"Cannot reach Airtable at {host} ({type(e).__name__}); check the network and run followsync again."
                ) from None
            self.sent += 1
            status = response.status_code
            if status in RETRY_STATUSES and attempt < MAX_RETRIES and (safe or status == 429):
                self._wait(_retry_after(response) or (LOCKOUT if status == 429 else float(2**attempt)))
                continue
            return response
        raise AssertionError("unreachable")


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date; fall back to the default wait


def _error_of(exc: requests.HTTPError) -> tuple[int, str, str]:
    response = exc.response
    status = response.status_code if response is not None else 0
    try:
        body = response.json() if response is not None else {}
    except ValueError:
        body = {}
    err = body.get("error") if isinstance(body, dict) else None
    if isinstance(err, dict):
        return status, str(err.get("type", "")), str(err.get("message", ""))
    if isinstance(err, str):
        return status, err, ""
    errors = body.get("errors") if isinstance(body, dict) else None
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        return status, str(errors[0].get("error", "")), str(errors[0].get("message", ""))
    return status, "", ""


class AirtableBackend(Backend):
    """One table of an Airtable base.

    ``sleep`` (and ``clock``, which it must advance) are injectable so tests neither wait for
    the pacing nor for the backoff; ``api_url`` defaults to ``$FOLLOWSYNC_AIRTABLE_API_URL``,
    else Airtable itself.
    """

    def __init__(
        self,
        base_id: str,
        table: str,
        *,
        token: str,
        api_url: str | None = None,
        sleep: Callable[[float], Any] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.base_id = base_id
        self.table_name = table
        self.location = f"airtable:{base_id}/{table}"
        endpoint = api_url or os.environ.get(ENV_API_URL) or DEFAULT_API_URL
        self.api = pyairtable.Api(token, endpoint_url=endpoint, retry_strategy=None, timeout=(10, 120))
        # Our session does the pacing and retrying; keep pyairtable's Authorization header.
        self.transport = _Transport(sleep, clock, (endpoint, base_id))
        self.transport.headers.update(self.api.session.headers)
        self.api.session = self.transport
        self.api.api_key = token
        self._base = self.api.base(base_id)
        self._schema: dict[str, Any] | None = None
        self._tables: list[dict[str, Any]] = []  # every table of the base, as last read

    @classmethod
    def from_location(cls, location: str, config: Config) -> AirtableBackend:
        """The backend for ``airtable:BASE_ID/TABLE``, with the token from the environment or config."""
        base_id, table = parse_location(location)
        return cls(base_id, table, token=read_token(config))

    def lock_name(self) -> str:
        return self.location

    def close(self) -> None:
        self.transport.close()

    @property
    def requests_made(self) -> int:
        """Requests sent so far, retries included."""
        return self.transport.sent

    # ------------------------------------------------------------------ schema

    def _load_schema(self) -> dict[str, Any]:
        """Read the base's schema (one request) and find this table in it."""
        try:
            data = self.api.request("GET", self._base.urls.tables)
        except requests.HTTPError as e:
            raise self._error(e, "schema.read") from None
        tables = data.get("tables", []) if isinstance(data, dict) else []
        self._tables = tables
        found = _find_table(tables, self.table_name)
        if found is None:
            names = ", ".join(repr(t.get("name")) for t in tables) or "none"
            raise TrackerNotFound(
                f"Base {self.base_id} has no table {self.table_name!r} (its tables: {names}); fix the table name "
                f"or tbl… id in {self.location}, or create it with followsync init."
            )
        self._schema = found
        return found

    def _table_schema(self) -> dict[str, Any]:
        return self._schema if self._schema is not None else self._load_schema()

    @property
    def _table(self) -> pyairtable.Table:
        # By id once known, so a table renamed mid-run is still found.
        return self._base.table(self._schema["id"] if self._schema else self.table_name)

    def _columns(self) -> tuple[dict[str, dict[str, Any]], dict[str, Any] | None, list[dict[str, Any]]]:
        """(canonical column -> field, the Urgency field or None, the grid's fields in order)."""
        columns: dict[str, dict[str, Any]] = {}
        urgency = None
        grid_fields = []
        for f in self._table_schema().get("fields", []):
            if urgency is None and normalize_header(f.get("name")) == normalize_header(URGENCY):
                urgency = f
                continue
            grid_fields.append(f)
            col = match_header(f.get("name"))
            if col is not None and col.name not in columns:
                columns[col.name] = f
        return columns, urgency, grid_fields

    # ------------------------------------------------------------------ read

    def read(self) -> Snapshot:
        """One schema read, then every record, 100 a page."""
        self._load_schema()
        columns, urgency, fields = self._columns()
        grid: list[list[Any]] = [[f["name"] for f in fields]]
        fills: dict[tuple[int, int], str] = {}
        handles: dict[int, Any] = {}
        position = {f["id"]: i for i, f in enumerate(fields)}
        colour_cols = [position[columns[n]["id"]] for n in ("Next action", "Due") if n in columns]
        palette = {name.lower(): hexv for name, hexv in _palette().items()}
        try:
            for page in self._table.iterate(page_size=PAGE_SIZE, use_field_ids=True):
                for record in page:
                    cells = record.get("fields", {})
                    gi = len(grid)
                    grid.append([_from_airtable(f, cells.get(f["id"])) for f in fields])
                    handles[gi] = record["id"]
                    hexv = palette.get(str(cells.get(urgency["id"], "")).lower()) if urgency else None
                    if hexv:
                        for c in colour_cols:
                            fills[(gi, c)] = hexv
        except requests.HTTPError as e:
            raise self._error(e, "records.read") from None
        return Snapshot(self._schema["name"], grid, fills, handles)  # type: ignore[index]

    # ------------------------------------------------------------------ apply

    def apply(self, changes: ChangeSet, *, force: bool = False) -> Applied:
        """PATCH the changed fields of changed records, 10 a request, by record id."""
        if not changes:
            return Applied()
        applied = Applied()
        self._table_schema()
        columns, urgency, _ = self._columns()
        for name in changes.add_columns:
            if name not in columns:
                spec = (
                    field_spec(BY_NAME[name], _notes().get(name, ""))
                    if name in BY_NAME
                    else {"name": name, "type": "multilineText"}
                )
                self._create_field(spec)
                applied.columns_added += 1
                applied.write_calls += 1
        wants_urgency = any(fw.column == "Next action" for fw in changes.fills)
        if wants_urgency and urgency is None:
            self._create_field(urgency_spec())
            applied.write_calls += 1
        columns, urgency, _ = self._columns()

        patches: dict[str, dict[str, Any]] = {}
        counts: dict[str, list[int]] = {}  # record id -> [cells, fills]
        refs: dict[str, Any] = {}
        for cw in changes.cells:
            rid = self._record_of(cw.row, applied)
            f = columns.get(cw.column) or _find_field(self._table_schema(), cw.column)
            if rid is None:
                continue
            if f is None:
                applied.skipped.append(f"the table has no field {cw.column!r}; {cw.column} was not written")
                continue
            patches.setdefault(rid, {})[f["id"]] = _to_airtable(f, cw.value)
            counts.setdefault(rid, [0, 0])[0] += 1
            refs[rid] = cw.row
        by_hex = {hexv.upper(): name for name, hexv in _palette().items()}
        choices = {c["name"] for c in (urgency or {}).get("options", {}).get("choices", [])}
        for fw in changes.fills:
            rid = self._record_of(fw.row, applied)
            if rid is None:
                continue
            refs[rid] = fw.row
            if fw.column != "Next action":
                counts.setdefault(rid, [0, 0])[1] += 1
                continue  # Due shows the same Urgency; nothing more to write
            name = by_hex.get(fw.colour.upper()) if fw.colour else None
            if fw.colour and name is None:
                applied.skipped.append(
                    f"colour {fw.colour} is not one of followsync's; Urgency of {rid} left as is"
                )
                continue
            if name is not None and name not in choices:
                applied.skipped.append(
                    f"the Urgency field has no option {name!r}; add it in Airtable (followsync never invents options)"
                )
                continue
            patches.setdefault(rid, {})[urgency["id"]] = name  # type: ignore[index]
            counts.setdefault(rid, [0, 0])[1] += 1

        for rid in counts:
            if rid not in patches:  # only redundant fills: nothing to send
                applied.fills += counts[rid][1]
        items = list(patches.items())
        for start in range(0, len(items), BATCH):
            landed, calls = self._patch(items[start : start + BATCH], refs, applied.skipped)
            applied.write_calls += calls
            for rid in landed:
                applied.cells += counts[rid][0]
                applied.fills += counts[rid][1]
        # The tracker first: it is the system of record; History only narrates it.
        for sw in changes.sheets:
            try:
                applied.write_calls += self._write_sheet(sw, applied)
            except FollowsyncError as e:
                e.message = f"The tracker was updated, but its {sw.name} table was not: {e.message}"
                raise
        applied.skipped = list(dict.fromkeys(applied.skipped))  # a missing field is said once, not per row
        return applied

    def _record_of(self, ref: Any, applied: Applied) -> str | None:
        if ref.handle:
            return str(ref.handle)
        applied.skipped.append(
            f"row {ref.index + 1} has no Airtable record id; skipped it, run followsync again"
        )
        return None

    def _patch(
        self, batch: list[tuple[str, dict[str, Any]]], refs: dict[str, Any], skipped: list[str]
    ) -> tuple[list[str], int]:
        """Write one batch (at most 10 records); drop records deleted meanwhile. (landed, requests)."""
        pending = dict(batch)
        calls = 0
        while pending:
            calls += 1
            try:
                # One request: pyairtable sends at most 10 records a request; typecast stays off.
                self._table.batch_update(
                    [{"id": rid, "fields": f} for rid, f in pending.items()], typecast=False
                )
                return list(pending), calls
            except requests.HTTPError as e:
                status, kind, message = _error_of(e)
                if not _record_missing(status, kind):
                    raise self._error(e, "records.write") from None
                gone = [rid for rid in _RECORD_ID.findall(message) if rid in pending]
                if not gone:
                    # The answer did not say which record is gone: find out one by one.
                    landed, more = self._patch_singly(pending, refs, skipped)
                    return landed, calls + more
                for rid in gone:
                    del pending[rid]
                    skipped.append(_gone_message(rid, refs.get(rid)))
        return [], calls

    def _patch_singly(
        self, pending: dict[str, dict[str, Any]], refs: dict[str, Any], skipped: list[str]
    ) -> tuple[list[str], int]:
        landed, calls = [], 0
        for rid, fields in pending.items():
            calls += 1
            try:
                self._table.update(rid, fields, typecast=False)
                landed.append(rid)
            except requests.HTTPError as e:
                status, kind, _ = _error_of(e)
                if not _record_missing(status, kind):
                    raise self._error(e, "records.write") from None
                skipped.append(_gone_message(rid, refs.get(rid)))
        return landed, calls

    # ------------------------------------------------------------------ other tables (History)

    def read_sheet(self, name: str) -> list[list[Any]] | None:
        """Another table of the base (History) as a grid, header first; None when there is none."""
        self._load_schema()
        table = _find_table(self._tables, name)
        if table is None:
            return None
        fields = table.get("fields", [])
        grid: list[list[Any]] = [[f["name"] for f in fields]]
        try:
            for page in self._base.table(table["id"]).iterate(page_size=PAGE_SIZE, use_field_ids=True):
                grid.extend([_from_airtable(f, r["fields"].get(f["id"])) for f in fields] for r in page)
        except requests.HTTPError as e:
            raise self._error(e, "records.read") from None
        return grid

    def _write_sheet(self, sw: SheetWrite, applied: Applied) -> int:
        """Append rows to (or replace the rows of) another table, made if missing. Returns requests.

        A table of that name whose first field is not followsync's is the person's own: it is
        left alone (never given new fields or records), and the skip is reported.
        """
        calls = 0
        if not self._tables:
            self._load_schema()
        table = _find_table(self._tables, sw.name)
        first = (table or {}).get("fields", [{}])[0].get("name") if table and table.get("fields") else None
        if table is not None and normalize_header(first or "") != normalize_header(sw.header[0]):
            applied.skipped.append(f"table {sw.name!r} is not followsync's (its first field differs); left it alone")
            return 0
        if table is None:
            specs = [sheet_field_spec(name, first=i == 0) for i, name in enumerate(sw.header)]
            try:
                table = self.api.request(
                    "POST", self._base.urls.tables, json={"name": sw.name, "fields": specs}
                )
            except requests.HTTPError as e:
                raise self._error(e, "schema.write", sw.name) from None
            self._tables.append(table)
            calls += 1
        fields = {normalize_header(f["name"]): f for f in table.get("fields", [])}
        for name in sw.header:
            if normalize_header(name) not in fields:
                try:
                    created = self.api.request(
                        "POST", self._base.table(table["id"]).urls.fields, json=sheet_field_spec(name)
                    )
                except requests.HTTPError as e:
                    raise self._error(e, "schema.write", name) from None
                table.setdefault("fields", []).append(created)
                fields[normalize_header(name)] = created
                calls += 1
        target = self._base.table(table["id"])
        try:
            if sw.mode == "replace":
                old = [r["id"] for page in target.iterate(page_size=PAGE_SIZE, fields=[]) for r in page]
                for start in range(0, len(old), BATCH):
                    target.batch_delete(old[start : start + BATCH])
                    calls += 1
            records = []
            for row in sw.rows:
                record = {}
                for name, value in zip(sw.header, row, strict=False):
                    f = fields[normalize_header(name)]
                    converted = _to_airtable(f, value)
                    if converted not in (None, "", False):
                        record[f["id"]] = converted
                records.append(record)
            for start in range(0, len(records), BATCH):
                target.batch_create(records[start : start + BATCH], typecast=False)
                calls += 1
        except requests.HTTPError as e:
            raise self._error(e, "records.write", sw.name) from None
        return calls

    def _create_field(self, spec: dict[str, Any]) -> dict[str, Any]:
        try:
            created = self.api.request("POST", self._table.urls.fields, json=spec)
        except requests.HTTPError as e:
            raise self._error(e, "schema.write", spec["name"]) from None
        self._table_schema().setdefault("fields", []).append(created)
        return created

    # ------------------------------------------------------------------ create

    def create(self, layout: Layout, rows: Sequence[dict[str, Any]] = ()) -> None:
        """Create the table with typed fields and the Urgency select, then add ``rows``, 10 a request."""
        try:
            data = self.api.request("GET", self._base.urls.tables)
        except requests.HTTPError as e:
            raise self._error(e, "schema.read") from None
        existing = _find_table(data.get("tables", []), self.table_name)
        if existing is not None:
            self._schema = existing
            columns, urgency, fields = self._columns()
            if len(columns) < 3:
                raise WriteRefused(
                    f"Base {self.base_id} already has a table {existing['name']!r} that is not a followsync tracker; "
                    "name a new table in the location, or rename that one."
                )
            # Already a tracker: add what is missing, and the rows only to an empty table.
            for lc in layout.columns:
                if lc.column.name not in columns:
                    self._create_field(field_spec(lc.column, lc.note))
            if urgency is None:
                self._create_field(urgency_spec())
            if rows and self._table.first() is None:
                self._add_rows(rows)
            return
        if _TABLE_ID.match(self.table_name):
            raise UsageError(
                f"{self.location} names a table id that does not exist; give the new table a name instead."
            )
        specs = [field_spec(lc.column, lc.note) for lc in layout.columns] + [urgency_spec()]
        body = {
            "name": self.table_name,
            "description": "Job applications, kept by followsync.",
            "fields": specs,
        }
        try:
            self._schema = self.api.request("POST", self._base.urls.tables, json=body)
        except requests.HTTPError as e:
            raise self._error(e, "schema.write") from None
        if rows:
            self._add_rows(rows)

    def _add_rows(self, rows: Sequence[dict[str, Any]]) -> None:
        columns, _, _ = self._columns()
        records = []
        for row in rows:
            fields = {}
            for name, value in row.items():
                f = columns.get(name)
                if f is not None and value not in (None, ""):
                    fields[f["id"]] = _to_airtable(f, value)
            records.append(fields)
        for start in range(0, len(records), BATCH):
            try:
                self._table.batch_create(records[start : start + BATCH], typecast=False)
            except requests.HTTPError as e:
                raise self._error(e, "records.write") from None

    # ------------------------------------------------------------------ errors

    def _error(self, exc: requests.HTTPError, doing: str, field: str | None = None) -> FollowsyncError:
        """One sentence, saying what to do, for an error answer from Airtable."""
        status, kind, message = _error_of(exc)
        base = self.base_id
        if status == 401:
            return AuthError(
                f"Airtable did not accept the token (401 {kind}); create a personal access token at "
                f"https://airtable.com/create/tokens and put it in ${ENV_TOKEN} or the [airtable] token_file."
            )
        if status == 403:
            scope = {
                "schema.read": "schema.bases:read",
                "schema.write": "schema.bases:write",
                "records.read": "data.records:read",
                "records.write": "data.records:write",
            }[doing]
            return AuthError(
                f"Airtable refused access to base {base} (403 {kind}); check the base id in {self.location} and "
                f"give the token access to that base with the {scope} scope."
            )
        if status == 404:
            return TrackerNotFound(
                f"Airtable found no table {self.table_name!r} in base {base} (404 {kind}); check the base id and "
                f"the table name or tbl… id in {self.location}."
            )
        if status == 422:
            what = f"field {field!r}" if field else "a value followsync wrote"
            return TrackerError(
                f"Airtable refused {what} in {self.location} (422 {kind}: {message}); give followsync's fields "
                "their types back (Due a date, the others text) or rename the field, then run followsync again."
            )
        if status == 429:
            return RemoteError(
                f"Airtable kept answering 'too many requests' for base {base} after {MAX_RETRIES} retries; "
                "wait a minute and run followsync again."
            )
        return RemoteError(
            f"Airtable failed with HTTP {status} {kind} even after retrying; try again later "
            "(https://status.airtable.com)."
        )


# ---------------------------------------------------------------------- fields and values


def field_spec(column: Column, note: str = "") -> dict[str, Any]:
    """The Airtable field for one of the tracker's columns (RULES.md section 1)."""
    name = column.name
    spec: dict[str, Any] = {"name": name}
    if name == "Interview at" or column.kind == "datetime":
        spec.update(type="dateTime", options=DATETIME_OPTIONS)
    elif column.kind == "date":
        spec.update(type="date", options=DATE_OPTIONS)
    elif column.kind == "choice":
        spec.update(type="singleSelect", options={"choices": [{"name": c} for c in column.choices]})
    elif column.kind == "yesno" or name == "Mark sent":
        spec.update(type="checkbox", options=CHECKBOX_OPTIONS)
    elif column.kind == "count":
        spec.update(type="number", options={"precision": 0})
    elif name == "Interviewer email":
        spec["type"] = "email"
    elif name == "Interviewer phone":
        spec["type"] = "phoneNumber"
    elif name in MULTILINE:
        spec["type"] = "multilineText"
    else:
        spec["type"] = "singleLineText"
    if note:
        spec["description"] = note
    return spec


def sheet_field_spec(name: str, first: bool = False) -> dict[str, Any]:
    """A field of another table (History): dates as dates, messages as long text, else text."""
    key = normalize_header(name)
    if key in ("date", "on", "when"):
        return {"name": name, "type": "date", "options": DATE_OPTIONS}
    if key in ("message", "notes", "whathappened") and not first:
        return {"name": name, "type": "multilineText"}
    return {"name": name, "type": "singleLineText"}


def urgency_spec() -> dict[str, Any]:
    """The Urgency single select, its choices coloured like RULES.md section 4."""
    return {
        "name": URGENCY,
        "type": "singleSelect",
        "description": URGENCY_NOTE,
        "options": {"choices": [{"name": n, "color": c} for n, c in URGENCY_CHOICES.items()]},
    }


def _palette() -> dict[str, str]:
    from ...core.layout import load

    return load().colours


def _notes() -> dict[str, str]:
    from ...core.layout import load

    return {lc.column.name: lc.note for lc in load().columns}


def _find_field(table: dict[str, Any], name: str) -> dict[str, Any] | None:
    """A field by its name as headers are matched (for columns the schema does not know)."""
    key = normalize_header(name)
    return next((f for f in table.get("fields", []) if normalize_header(f.get("name")) == key), None)


def _find_table(tables: list[dict[str, Any]], key: str) -> dict[str, Any] | None:
    for t in tables:
        if t.get("id") == key:
            return t
    for t in tables:
        if t.get("name") == key:
            return t
    folded = " ".join(key.split()).casefold()
    matches = [t for t in tables if " ".join(str(t.get("name", "")).split()).casefold() == folded]
    return matches[0] if len(matches) == 1 else None


def _from_airtable(f: dict[str, Any], value: Any) -> Any:
    """A cell as the schema expects raw values: dates as dates, checkboxes as bools, the rest text."""
    if value is None:
        return None
    kind = f.get("type")
    if isinstance(value, dict) and ("error" in value or "specialValue" in value):
        return CellError(str(value.get("error") or value.get("specialValue") or "#ERROR!"))
    if kind == "date" and isinstance(value, str):
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return value
    if kind == "dateTime" and isinstance(value, str):
        try:
            stamp = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
        return _local(stamp, (f.get("options") or {}).get("timeZone"))
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return int(value) if isinstance(value, float) and value.is_integer() else value
    if isinstance(value, list):
        return ", ".join(str(_from_airtable({}, v)) for v in value if v is not None)
    if isinstance(value, dict):
        return str(
            value.get("name") or value.get("email") or value.get("filename") or value.get("url") or value
        )
    return str(value)


def _local(stamp: dt.datetime, zone: str | None) -> dt.datetime:
    """An Airtable timestamp (UTC) as a naive date-time in the field's zone (the machine's for 'client')."""
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=dt.UTC)
    if zone == "utc":
        return stamp.astimezone(dt.UTC).replace(tzinfo=None)
    if zone and zone != "client":
        try:
            return stamp.astimezone(zoneinfo.ZoneInfo(zone)).replace(tzinfo=None)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            pass
    return stamp.astimezone().replace(tzinfo=None)


def _to_airtable(f: dict[str, Any], value: Any) -> Any:
    """A value for field ``f`` in the form Airtable accepts without typecast.

    A value that does not fit the field's type is sent as text: Airtable then refuses it with a
    422 that names the field, which is the message the user needs.
    """
    try:
        return _typed(f, value)
    except ValueError:
        return as_text(value)


def _typed(f: dict[str, Any], value: Any) -> Any:
    kind = f.get("type")
    if kind == "checkbox":
        return bool(parse_yesno(value))
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if kind == "date":
        stamp, _ = parse_datetime(value)
        return stamp.date().isoformat() if stamp else None
    if kind == "dateTime":
        if isinstance(value, dt.datetime):
            stamp = value if value.tzinfo else value.astimezone()
        else:
            naive, _ = parse_datetime(value)
            if naive is None:
                return None
            stamp = naive.astimezone()  # a time as typed is the user's local time
        return stamp.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    if kind in ("number", "currency", "percent"):
        if isinstance(value, int | float) and not isinstance(value, bool):
            return value
        return parse_count(value)
    if kind == "singleSelect":
        col = match_header(f.get("name"))
        return parse_choice(value, col.choices) if col and col.choices else as_text(value)
    return as_text(value) if not isinstance(value, str) else value


def _record_missing(status: int, kind: str) -> bool:
    """Whether an error answer means "that record is gone" (not the table, not a bad value)."""
    if status == 404:
        return kind != "TABLE_NOT_FOUND"
    return status == 422 and kind in ("ROW_DOES_NOT_EXIST", "MODEL_ID_NOT_FOUND", "NOT_FOUND")


def _gone_message(rid: str, ref: Any) -> str:
    name = f"ID {ref.id!r}" if ref is not None and ref.id else f"record {rid}"
    # The wording of base.locate's message, so every backend reports a vanished row alike.
    return f"row with {name} is gone (deleted in Airtable while followsync ran); skipped it"
