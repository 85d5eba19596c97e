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
* Requests are paced under Airtable's 5 a second per base, and 429s and 5xx are retried with the
  backoff of :mod:`followsync.backends.http`, which honours ``Retry-After`` (a 429 without one
  waits out Airtable's 30 s lockout) within a bound on the total wait (:mod:`.transport`).
"""

from __future__ import annotations

import dataclasses
import os
import re
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import pyairtable
import requests

from ...config import warn_if_shared
from ...core.cells import (
    normalize_header,
)
from ...core.changes import Applied, CellWrite, ChangeSet, FillWrite, RowRef, SheetWrite, Snapshot
from ...core.layout import Layout
from ...core.schema import BY_NAME, header_positions
from ...errors import (
    AuthError,
    FollowsyncError,
    RemoteError,
    TrackerNotFound,
    UsageError,
    WriteRefused,
)
from ..base import Backend, foreign_sheet
from . import refetch
from .fields import (
    COMPUTED_TYPES,
    URGENCY,
    _from_airtable,
    _gone_message,
    _notes,
    _owns_table,
    _to_airtable,
    computed_field,
    computed_problems,
    field_spec,
    find_field,
    find_table,
    sheet_field_spec,
    urgency_spec,
)
from .transport import ENV_TOKEN, Transport, cursor_expired, error_for, error_of, record_missing

if TYPE_CHECKING:
    from ...config import Config


ENV_API_URL = "FOLLOWSYNC_AIRTABLE_API_URL"
DEFAULT_API_URL = "https://api.airtable.com"
SCOPES_HINT = "data.records:read, data.records:write, schema.bases:read, and schema.bases:write for init"

PAGE_SIZE = 100  # Airtable's largest page
BATCH = 10  # Airtable's most records per write request

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
            warn_if_shared(path)
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
        self.transport = Transport(sleep, clock, (endpoint, base_id))
        self.transport.headers.update(self.api.session.headers)
        self.api.session = self.transport
        self.api.api_key = token
        self._base = self.api.base(base_id)
        self._schema: dict[str, Any] | None = None
        self._tables: list[dict[str, Any]] = []  # every table of the base, as last read

    @classmethod
    def from_location(cls, location: str, config: Config, worksheet: str | None = None) -> AirtableBackend:
        """The backend for ``airtable:BASE_ID/TABLE``, with the token from the environment or config.

        ``worksheet`` is accepted, as every store's constructor takes it, and ignored: the table
        is named in the location.
        """
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
        found = find_table(tables, self.table_name)
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
        for name, i in header_positions([f.get("name") for f in grid_fields]).items():
            columns[name] = grid_fields[i]  # as the frame reads them: "Status" before a "Stage" synonym
        return columns, urgency, grid_fields

    # ------------------------------------------------------------------ read

    def read(self, also: Sequence[str] = ()) -> Snapshot:
        """One schema read, then every record, 100 a page. Other tables are not read along
        (``also`` is left out): a run writes no Summary table on Airtable."""
        self._load_schema()
        columns, urgency, fields = self._columns()
        grid: list[list[Any]] = [[f["name"] for f in fields]]
        fills: dict[tuple[int, int], str] = {}
        handles: dict[int, Any] = {}
        position = {f["id"]: i for i, f in enumerate(fields)}
        colour_cols = [position[columns[n]["id"]] for n in ("Next action", "Due") if n in columns]
        for attempt in (1, 2):
            del grid[1:]
            fills.clear()
            handles.clear()
            try:
                for page in self._table.iterate(page_size=PAGE_SIZE, use_field_ids=True):
                    for record in page:
                        cells = record.get("fields", {})
                        gi = len(grid)
                        grid.append([_from_airtable(f, cells.get(f["id"])) for f in fields])
                        handles[gi] = record["id"]
                        # The Urgency's name stands for the colour (Snapshot.fills takes names too).
                        named = str(cells.get(urgency["id"]) or "") if urgency else ""
                        if named:
                            for c in colour_cols:
                                fills[(gi, c)] = named
                break
            except requests.HTTPError as e:
                if not cursor_expired(e):
                    raise self._error(e, "records.read") from None
                if attempt == 2:
                    raise RemoteError(
                        f"Airtable's list cursor expired twice while followsync read {self.location} "
                        "(LIST_RECORDS_ITERATOR_NOT_AVAILABLE: the listing took too long); nothing was "
                        "written. Run followsync again."
                    ) from None
                # Airtable forgets a listing's cursor after a while (or a server restart): the
                # read starts again from the first page, once.
        name = self._schema["name"]  # type: ignore[index]
        return Snapshot(name, grid, fills, handles, problems=computed_problems(name, columns))

    # ------------------------------------------------------------------ apply

    def apply(self, changes: ChangeSet, *, force: bool = False) -> Applied:
        """PATCH the changed fields of changed records, 10 a request, by record id."""
        if not changes:
            return Applied()
        applied = Applied()
        self._table_schema()
        columns, urgency = self._add_fields(changes, applied)
        patches = _Patches()
        self._cell_patches(changes.cells, columns, patches, applied)
        self._fill_patches(changes.fills, urgency, patches, applied)
        try:
            refetch.drop_theirs(self._table, patches, applied)  # a cell typed since the read stays theirs
        except requests.HTTPError as e:
            raise self._error(e, "records.read") from None
        self._send(patches, applied)
        # The tracker first: it is the system of record; History only narrates it.
        for sw in changes.sheets:
            try:
                applied.write_calls += self._write_sheet(sw, applied)
            except FollowsyncError as e:
                e.message = f"The tracker was updated, but its {sw.name} table was not: {e.message}"
                raise
        applied.skipped = list(dict.fromkeys(applied.skipped))  # a missing field is said once, not per row
        return applied

    def _add_fields(
        self, changes: ChangeSet, applied: Applied
    ) -> tuple[dict[str, dict[str, Any]], dict[str, Any] | None]:
        """Create the fields the change set adds, and Urgency when a fill needs it: (columns, Urgency)."""
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
        return columns, urgency

    def _cell_patches(
        self,
        cells: Sequence[CellWrite],
        columns: dict[str, dict[str, Any]],
        patches: _Patches,
        applied: Applied,
    ) -> None:
        """Add each cell to its record's PATCH, by field id."""
        for cw in cells:
            rid = self._record_of(cw.row, applied)
            f = columns.get(cw.column) or find_field(self._table_schema(), cw.column)
            if rid is None:
                continue
            if f is None:
                applied.skipped.append(f"the table has no field {cw.column!r}; {cw.column} was not written")
                continue
            if f.get("type") in COMPUTED_TYPES:
                applied.skipped.append(computed_field(f, cw.column))
                continue
            patches.fields.setdefault(rid, {})[f["id"]] = _to_airtable(f, cw.value)
            patches.counts.setdefault(rid, [0, 0])[0] += 1
            patches.refs[rid] = cw.row
            refetch.checks(patches, rid, f, cw)

    def _fill_patches(
        self, fills: Sequence[FillWrite], urgency: dict[str, Any] | None, patches: _Patches, applied: Applied
    ) -> None:
        """Add each fill on Next action to its record's PATCH as the Urgency: the colour's name."""
        choices = {c["name"] for c in (urgency or {}).get("options", {}).get("choices", [])}
        for fw in fills:
            rid = self._record_of(fw.row, applied)
            if rid is None:
                continue
            patches.refs[rid] = fw.row
            if fw.column != "Next action":
                patches.counts.setdefault(rid, [0, 0])[1] += 1
                continue  # Due shows the same Urgency; nothing more to write
            name = fw.name if fw.colour else None
            if fw.colour and not name:
                applied.skipped.append(
                    f"colour {fw.colour} has no name in followsync's palette; Urgency of {rid} left as is"
                )
                continue
            if name is not None and name not in choices:
                applied.skipped.append(
                    f"the Urgency field has no option {name!r}; add it in Airtable (followsync never invents options)"
                )
                continue
            assert urgency is not None  # made by _add_fields for any fill on Next action
            if urgency.get("type") in COMPUTED_TYPES:
                applied.skipped.append(computed_field(urgency, URGENCY))
                continue
            patches.fields.setdefault(rid, {})[urgency["id"]] = name
            patches.counts.setdefault(rid, [0, 0])[1] += 1

    def _send(self, patches: _Patches, applied: Applied) -> None:
        """PATCH the records, 10 a request, and count what landed."""
        for rid, (_, fills) in patches.counts.items():
            if rid not in patches.fields:  # only redundant fills: nothing to send
                applied.fills += fills
        items = list(patches.fields.items())
        for start in range(0, len(items), BATCH):
            landed, calls = self._patch(items[start : start + BATCH], patches.refs, applied.skipped)
            applied.write_calls += calls
            for rid in landed:
                applied.cells += patches.counts[rid][0]
                applied.fills += patches.counts[rid][1]

    def _record_of(self, ref: RowRef, applied: Applied) -> str | None:
        if ref.handle:
            return str(ref.handle)
        applied.skipped.append(
            f"row {ref.index + 1} has no Airtable record id; skipped it, run followsync again"
        )
        return None

    def _patch(
        self, batch: list[tuple[str, dict[str, Any]]], refs: dict[str, RowRef], skipped: list[str]
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
                status, kind, message = error_of(e)
                if not record_missing(status, kind):
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
        self, pending: dict[str, dict[str, Any]], refs: dict[str, RowRef], skipped: list[str]
    ) -> tuple[list[str], int]:
        landed, calls = [], 0
        for rid, fields in pending.items():
            calls += 1
            try:
                self._table.update(rid, fields, typecast=False)
                landed.append(rid)
            except requests.HTTPError as e:
                status, kind, _ = error_of(e)
                if not record_missing(status, kind):
                    raise self._error(e, "records.write") from None
                skipped.append(_gone_message(rid, refs.get(rid)))
        return landed, calls

    # ------------------------------------------------------------------ other tables (History)

    def read_sheet(self, name: str) -> list[list[Any]] | None:
        """Another table of the base (History) as a grid, header first; None when there is none."""
        self._load_schema()
        table = find_table(self._tables, name)
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
        table = find_table(self._tables, sw.name)
        if table is not None and not _owns_table(table, sw.header):
            applied.skipped.append(foreign_sheet(sw.name, "table", "first field"))
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
        existing = find_table(data.get("tables", []), self.table_name)
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
        return error_for(
            exc, doing, base=self.base_id, table=self.table_name, location=self.location, field=field
        )


@dataclasses.dataclass
class _Patches:
    """What one run PATCHes: the fields per record id, the cells and fills each counts for, and
    the row each record is (for the message when it is gone)."""

    fields: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    counts: dict[str, list[int]] = dataclasses.field(default_factory=dict)  # record id -> [cells, fills]
    refs: dict[str, RowRef] = dataclasses.field(default_factory=dict)
    #: record id -> field id -> (the write, the field), for the cells read: see .refetch
    read: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
