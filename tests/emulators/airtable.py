"""A loopback emulator of the Airtable Web API, for testing followsync without the internet.

Its answers are built from Airtable's published API reference
(https://airtable.com/developers/web/api/introduction) and the error pages that go with it:

* records: `List records <https://airtable.com/developers/web/api/list-records>`__ (``GET
  /v0/{baseId}/{tableIdOrName}`` and its ``POST .../listRecords`` twin; ``pageSize`` at most
  100, an opaque ``offset`` cursor, ``fields[]``, ``returnFieldsByFieldId``, ``cellFormat``,
  ``maxRecords``), `create <https://airtable.com/developers/web/api/create-records>`__,
  `update <https://airtable.com/developers/web/api/update-multiple-records>`__ (PATCH merges,
  PUT clears every field not sent), `delete
  <https://airtable.com/developers/web/api/delete-multiple-records>`__, at most 10 records a
  request; empty cells are left out of a record's ``fields`` as Airtable does; ``typecast``
  converts values and invents select options, as Airtable does;
* metadata: `get base schema <https://airtable.com/developers/web/api/get-base-schema>`__,
  `create table <https://airtable.com/developers/web/api/create-table>`__, `create field
  <https://airtable.com/developers/web/api/create-field>`__, update table and field (name and
  description only, as in the reference), with the options of the `field model
  <https://airtable.com/developers/web/api/field-model>`__ required where Airtable requires them;
* `errors <https://airtable.com/developers/web/api/errors>`__: 401 ``AUTHENTICATION_REQUIRED``,
  403 ``INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND`` (unknown base, or a token without the `scope
  <https://airtable.com/developers/web/api/scopes>`__ the route needs), 404 ``NOT_FOUND`` and
  ``TABLE_NOT_FOUND``, 422 (``INVALID_VALUE_FOR_COLUMN``, ``INVALID_MULTIPLE_CHOICE_OPTIONS``,
  ``UNKNOWN_FIELD_NAME``, ``ROW_DOES_NOT_EXIST``, ``INVALID_REQUEST_UNKNOWN``...), and 429 per
  the `rate limits <https://airtable.com/developers/web/api/rate-limits>`__: 5 requests a second
  per base, then every request is refused for 30 s (``lockout``, configurable so tests need
  not wait).

Limits as Airtable has them (cited where defined): list cursors that time out
(``CURSOR_LIFETIME``, :meth:`AirtableEmulator.expire_cursors`) with ``422
LIST_RECORDS_ITERATOR_NOT_AVAILABLE``; computed fields (``COMPUTED_TYPES``: formula, rollup,
lookup, count, autonumber, created/last-modified time and by, button) that refuse every write with
``422 INVALID_VALUE_FOR_COLUMN``; number, currency, percent, checkbox, single and multiple
selects, date, dateTime and text types (email, url, phoneNumber, multilineText, richText: any
string, as Airtable's API takes them) with their validation.

Test hooks: :meth:`AirtableEmulator.fail` (faults on demand), ``latency``,
:meth:`AirtableEmulator.set_computed` (a computed cell's value), :meth:`AirtableEmulator.traffic`
and ``largest_request`` (the largest request body),
:meth:`AirtableEmulator.on_request` (change the base between two requests, like a coach
editing), request counts at ``GET /_emulator/stats`` (``{"requests", "by_method",
"by_path"}``, the shape of the Google emulator's) reset by ``POST /_emulator/reset``, and the
full request log in :attr:`AirtableEmulator.log`.

Standalone: ``python -m tests.emulators.airtable --port 8766 --base appTESTBASE000001 --token
TOKEN`` serves an empty base until interrupted.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import json
import random
import re
import string
import threading
import time
import urllib.parse
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

ALL_SCOPES = frozenset({"data.records:read", "data.records:write", "schema.bases:read", "schema.bases:write"})
MAX_PAGE_SIZE = 100
MAX_RECORDS_PER_REQUEST = 10

TEXT_TYPES = {"singleLineText", "multilineText", "email", "url", "phoneNumber", "richText"}
NUMBER_TYPES = {"number", "currency", "percent"}
#: Field types whose value Airtable computes: it refuses any write to them with ``422
#: INVALID_VALUE_FOR_COLUMN 'Field "X" cannot accept a value because the field is computed'``
#: [issue justkd/AirpuckJS#3: '{type: "INVALID_VALUE_FOR_COLUMN", message: "Field "date" cannot accept
#: a value because the field is computed"}' for a "Created Time" field; Sybit-Education/airtable.java#46
#: (lookup fields, same words); PipedreamHQ/pipedream#6318: "No uneditable (Lookup, Rollup, Formula,
#: Autonumber, Created at, Last modified at, Created by, Last modified by) fields" ... "[422] -
#: INVALID_VALUE_FOR_COLUMN"]. The type names are the `field model
#: <https://airtable.com/developers/web/api/field-model>`__'s (``multipleLookupValues`` is a lookup's
#: type in a schema; ``lookup`` is accepted as the same thing). A test gives them values with
#: :meth:`AirtableEmulator.set_computed`; ``autoNumber``, ``createdTime``, ``lastModifiedTime``,
#: ``createdBy`` and ``lastModifiedBy`` the emulator fills itself.
COMPUTED_TYPES = {
    "formula", "rollup", "lookup", "multipleLookupValues", "count", "autoNumber", "createdTime",
    "lastModifiedTime", "createdBy", "lastModifiedBy", "button",
}  # fmt: skip
SELECT_TYPES = {"singleSelect", "multipleSelects"}
FIELD_TYPES = TEXT_TYPES | NUMBER_TYPES | SELECT_TYPES | {"date", "dateTime", "checkbox"} | COMPUTED_TYPES
# Field types a table's first (primary) field may have.
PRIMARY_TYPES = TEXT_TYPES | NUMBER_TYPES | {"date", "dateTime", "formula", "autoNumber"}
#: The user the emulator's token acts as (``createdBy`` / ``lastModifiedBy``), in the field model's
#: collaborator shape.
EMULATOR_USER = {"id": "usrEMULATOR000001", "email": "owner@example.com", "name": "Emulator Owner"}
#: [List records, https://airtable.com/developers/web/api/list-records, "offset"]: "Iteration may
#: timeout due to client inactivity or server restarts. In that case, the client will receive a 422
#: response with error message LIST_RECORDS_ITERATOR_NOT_AVAILABLE. It may then restart iteration from
#: the beginning." (quoted in the community thread
#: https://community.airtable.com/t5/development-apis/offset-value-invalid-output-does-not-match-api-documentation/td-p/59344
#: and in simonw/airtable-export#7). The lifetime is not published ("expire in minutes" say the
#: projects that meet it); the emulator's default, measured since the cursor was last used, is:
CURSOR_LIFETIME = 300.0
SELECT_COLOURS = [
    f"{base}{shade}"
    for shade in ("Light2", "Light1", "Bright", "Dark1")
    for base in ("blue", "cyan", "teal", "green", "yellow", "orange", "red", "pink", "purple", "gray")
]
DATE_FORMATS = {"local": "l", "friendly": "LL", "us": "M/D/YYYY", "european": "D/M/YYYY", "iso": "YYYY-MM-DD"}
TIME_FORMATS = {"12hour": "h:mma", "24hour": "HH:mm"}

_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_ISO_STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?$")


class ApiError(Exception):
    """An Airtable error answer: status, ``error.type`` and ``error.message``."""

    def __init__(
        self, status: int, type_: str, message: str | None = None, headers: dict[str, str] | None = None
    ):
        super().__init__(f"{status} {type_}: {message}")
        self.status = status
        self.type = type_
        self.message = message
        self.headers = headers or {}

    def body(self) -> Any:
        if self.status == 429:
            # The reference's 429 envelope (a list, unlike every other error).
            return {"errors": [{"error": "RATE_LIMIT_REACHED", "message": self.message}]}
        if self.message is None:
            return {"error": self.type}
        if self.message == "":
            return {"error": {"type": self.type}}  # a type and no message (LIST_RECORDS_ITERATOR_NOT_AVAILABLE)
        return {"error": {"type": self.type, "message": self.message}}


def _new_id(prefix: str) -> str:
    return prefix + "".join(random.choices(string.ascii_letters + string.digits, k=14))


@dataclass
class EmulatedRequest:
    """What :meth:`AirtableEmulator.on_request` callbacks and :attr:`AirtableEmulator.log` see."""

    method: str
    path: str  # percent-decoded, without the query
    query: dict[str, list[str]]
    body: Any  # parsed JSON, or None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class _Fault:
    status: int
    times: int
    retry_after: float | None
    method: str | None


@dataclass
class _Table:
    id: str
    name: str
    fields: list[dict[str, Any]]
    description: str | None = None
    views: list[dict[str, Any]] = field(default_factory=list)
    records: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> {createdTime, cells}

    @property
    def primary_field_id(self) -> str:
        return self.fields[0]["id"]

    def field(self, key: str) -> dict[str, Any] | None:
        for f in self.fields:
            if f["id"] == key:
                return f
        for f in self.fields:
            if f["name"] == key:
                return f
        return None

    def model(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "name": self.name, "primaryFieldId": self.primary_field_id}
        if self.description:
            out["description"] = self.description
        out["fields"] = copy.deepcopy(self.fields)
        out["views"] = copy.deepcopy(self.views)
        return out


class AirtableEmulator:
    """One Airtable base behind a loopback HTTP server.

    ``cursor_lifetime`` is how long (on ``clock``) an unused list cursor lives (``None``: forever);
    :meth:`expire_cursors` drops every live cursor, as a server restart does. Either way the next
    page answers ``422 LIST_RECORDS_ITERATOR_NOT_AVAILABLE`` (see ``CURSOR_LIFETIME``).
    :attr:`largest_request` and :meth:`traffic` give the request count and largest request body.

    ``rate_limit`` is requests per second per base (``None`` or 0 turns the limit off);
    ``lockout`` the seconds every request is refused after it was exceeded; ``latency`` seconds
    added to each request; ``clock`` the monotonic clock the rate limit is measured on (tests
    pass a fake one shared with the client's pacing, so nobody waits). ``token`` is accepted
    with ``scopes`` (all four by default); :meth:`add_token` registers more.
    """

    def __init__(
        self,
        base_id: str = "appTESTBASE000001",
        token: str = "TOKEN",
        rate_limit: float | None = 5.0,
        lockout: float = 30.0,
        latency: float = 0.0,
        *,
        scopes: Iterable[str] = ALL_SCOPES,
        clock: Callable[[], float] = time.monotonic,
        host: str = "127.0.0.1",
        port: int = 0,
        cursor_lifetime: float | None = CURSOR_LIFETIME,
    ):
        self.base_id = base_id
        self.cursor_lifetime = cursor_lifetime
        self._traffic = {"requests": 0, "largest_request": 0, "largest_request_path": None}
        self._autonumber: Counter[str] = Counter()
        self.rate_limit = rate_limit
        self.lockout = lockout
        self.latency = latency
        self.clock = clock
        self.tokens: dict[str, frozenset[str]] = {token: frozenset(scopes)}
        self.tables: list[_Table] = []
        self.log: list[EmulatedRequest] = []
        self._host, self._port = host, port
        self._lock = threading.RLock()
        self._callbacks: list[Callable[[EmulatedRequest], None]] = []
        self._faults: deque[_Fault] = deque()
        self._recent: deque[float] = deque()  # times of the requests of the last second
        self._locked_until = float("-inf")
        self._iterators: dict[str, list[str]] = {}
        self._iterator_used: dict[str, float] = {}
        self._by_method: Counter[str] = Counter()
        self._by_path: Counter[str] = Counter()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> AirtableEmulator:
        """Serve in a background thread; :attr:`url` is then the endpoint to use."""
        emulator = self

        class Handler(_Handler):
            emu = emulator

        self._server = ThreadingHTTPServer((self._host, self._port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="airtable-emulator", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> AirtableEmulator:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The endpoint, e.g. ``http://127.0.0.1:54321`` (pyairtable's ``endpoint_url``)."""
        assert self._server is not None, "start() the emulator first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # ------------------------------------------------------------------ test API

    def add_token(self, token: str, scopes: Iterable[str]) -> None:
        """Accept another personal access token, with only these scopes."""
        with self._lock:
            self.tokens[token] = frozenset(scopes)

    def create_table(self, name: str, fields: list[dict[str, Any]], description: str | None = None) -> str:
        """Create a table as the metadata API would; options may be left out here. Returns its id."""
        with self._lock:
            return self._create_table(
                {"name": name, "fields": fields, "description": description}, strict=False
            )["id"]

    def table_schema(self, table: str) -> dict[str, Any]:
        """The table model (as the metadata API returns it) of a table, by name or id."""
        with self._lock:
            return self._table(table).model()

    def records(self, table: str) -> list[dict[str, Any]]:
        """Every record in listing order, as the API returns them (fields by name, empties left out)."""
        with self._lock:
            t = self._table(table)
            return [self._record_json(t, rid, by_id=False) for rid in t.records]

    def add_records(
        self, table: str, list_of_fields: Iterable[dict[str, Any]], typecast: bool = False
    ) -> list[str]:
        """Add records (field name or id -> value, validated like the API). Returns their ids."""
        with self._lock:
            t = self._table(table)
            return [self._create_record(t, dict(f), typecast) for f in list_of_fields]

    def update_record(
        self, table: str, record_id: str, fields: dict[str, Any], typecast: bool = False
    ) -> None:
        """Change some cells of a record, as a person editing the base would."""
        with self._lock:
            t = self._table(table)
            if record_id not in t.records:
                raise KeyError(record_id)
            self._write_cells(t, t.records[record_id]["cells"], fields, typecast)

    def delete_record(self, table: str, record_id: str) -> None:
        with self._lock:
            del self._table(table).records[record_id]

    def fail(
        self, status: int, times: int = 1, retry_after: float | None = None, method: str | None = None
    ) -> None:
        """Answer the next ``times`` API requests (of ``method``, if given) with ``status``."""
        with self._lock:
            self._faults.append(_Fault(status, times, retry_after, method.upper() if method else None))

    def expire_cursors(self) -> None:
        """Forget every live list cursor (a server restart): their next page answers 422
        ``LIST_RECORDS_ITERATOR_NOT_AVAILABLE``. Safe to call from an :meth:`on_request` callback."""
        with self._lock:
            self._iterators.clear()
            self._iterator_used.clear()

    def set_computed(self, table: str, record_id: str, field_name: str, value: Any) -> None:
        """Give a computed field's cell its value (what Airtable would have computed), bypassing the
        write check the API applies (see ``COMPUTED_TYPES``)."""
        with self._lock:
            t = self._table(table)
            f = t.field(field_name)
            if f is None or f["type"] not in COMPUTED_TYPES:
                raise KeyError(f"{field_name!r} is not a computed field of {table!r}")
            cells = t.records[record_id]["cells"]
            if _empty(value):
                cells.pop(f["id"], None)
            else:
                cells[f["id"]] = copy.deepcopy(value)

    @property
    def largest_request(self) -> int:
        """The largest request body (bytes) since the last :meth:`reset_stats`."""
        with self._lock:
            return int(self._traffic["largest_request"])

    def traffic(self) -> dict[str, Any]:
        """``{"requests", "largest_request", "largest_request_path"}`` since the last reset (apart from
        :meth:`stats`, whose shape tests compare whole)."""
        with self._lock:
            return dict(self._traffic)

    def on_request(self, callback: Callable[[EmulatedRequest], None]) -> None:
        """Call ``callback(request)`` before each API request is handled (after it is counted)."""
        with self._lock:
            self._callbacks.append(callback)

    def stats(self) -> dict[str, Any]:
        """``{"requests": N, "by_method": {...}, "by_path": {...}}`` since the last reset."""
        with self._lock:
            return {
                "requests": sum(self._by_method.values()),
                "by_method": dict(self._by_method),
                "by_path": dict(self._by_path),
            }

    def reset_stats(self) -> None:
        """Forget the counts and the request log; the data stays."""
        with self._lock:
            self._by_method.clear()
            self._by_path.clear()
            self.log.clear()
            self._traffic = {"requests": 0, "largest_request": 0, "largest_request_path": None}

    # ------------------------------------------------------------------ dispatch

    def handle(self, req: EmulatedRequest, size: int | None = None) -> tuple[int, Any, dict[str, str]]:
        """Answer one request: (status, JSON body, extra headers). ``size``: its body's bytes."""
        if req.path.startswith("/_emulator/"):
            return self._control(req)
        with self._lock:
            if size is None:
                size = len(json.dumps(req.body).encode()) if req.body is not None else 0
            tr = self._traffic
            tr["requests"] += 1
            if size > tr["largest_request"]:
                tr["largest_request"], tr["largest_request_path"] = size, f"{req.method} {req.path}"
            self.log.append(req)
            self._by_method[req.method] += 1
            self._by_path[req.path] += 1
            callbacks = list(self._callbacks)
        for cb in callbacks:
            cb(req)
        if self.latency:
            time.sleep(self.latency)
        try:
            with self._lock:
                return 200, self._route(req), {}
        except ApiError as e:
            return e.status, e.body(), e.headers

    def _control(self, req: EmulatedRequest) -> tuple[int, Any, dict[str, str]]:
        if req.method == "GET" and req.path == "/_emulator/stats":
            return 200, self.stats(), {}
        if req.method == "POST" and req.path == "/_emulator/reset":
            self.reset_stats()
            return 200, {"ok": True}, {}
        return 404, {"error": "NOT_FOUND"}, {}

    def _route(self, req: EmulatedRequest) -> Any:
        self._fault(req)
        scopes = self._authenticate(req)
        parts = [p for p in req.path.split("/") if p]
        if len(parts) < 2 or parts[0] != "v0":
            raise ApiError(404, "NOT_FOUND", "Could not find what you are looking for")
        if parts[1] == "meta":
            if len(parts) < 4 or parts[2] != "bases":
                raise ApiError(404, "NOT_FOUND", "Could not find what you are looking for")
            self._base(parts[3], scopes, "schema.bases:write" if req.method != "GET" else "schema.bases:read")
            return self._route_meta(req, parts[4:])
        write = req.method != "GET" and not (req.method == "POST" and parts[-1] == "listRecords")
        self._base(parts[1], scopes, "data.records:write" if write else "data.records:read")
        if len(parts) < 3:
            raise ApiError(404, "NOT_FOUND", "Could not find what you are looking for")
        t = self._table_or_404(parts[2])
        rest = parts[3:]
        m = req.method
        if not rest:
            if m == "GET":
                return self._list(t, _query_params(req.query))
            if m == "POST":
                return self._create(t, _json_body(req))
            if m in ("PATCH", "PUT"):
                return self._update_many(t, _json_body(req), replace=m == "PUT")
            if m == "DELETE":
                return self._delete_many(t, req.query.get("records[]", []))
        elif len(rest) == 1 and rest[0] == "listRecords" and m == "POST":
            return self._list(t, _json_body(req))
        elif len(rest) == 1:
            rid = rest[0]
            if m == "GET":
                return self._record_json(
                    t,
                    self._record_or_404(t, rid),
                    by_id=_truthy(req.query.get("returnFieldsByFieldId", ["0"])[-1]),
                )
            if m in ("PATCH", "PUT"):
                body = _json_body(req)
                self._record_or_404(t, rid)
                return self._update_one(
                    t,
                    rid,
                    body.get("fields"),
                    replace=m == "PUT",
                    typecast=bool(body.get("typecast")),
                    by_id=bool(body.get("returnFieldsByFieldId")),
                )
            if m == "DELETE":
                self._record_or_404(t, rid)
                del t.records[rid]
                return {"id": rid, "deleted": True}
        raise ApiError(404, "NOT_FOUND", "Could not find what you are looking for")

    def _route_meta(self, req: EmulatedRequest, parts: list[str]) -> Any:
        m = req.method
        if parts == ["tables"]:
            if m == "GET":
                return {"tables": [t.model() for t in self.tables]}
            if m == "POST":
                return self._create_table(_json_body(req), strict=True)
        if len(parts) == 2 and parts[0] == "tables" and m == "PATCH":
            t = self._table_or_404(parts[1])
            body = _json_body(req)
            if "name" in body:
                self._check_table_name(body["name"], other_than=t)
                t.name = body["name"]
            if "description" in body:
                t.description = body["description"]
            return t.model()
        if len(parts) == 3 and parts[0] == "tables" and parts[2] == "fields" and m == "POST":
            t = self._table_or_404(parts[1])
            f = self._new_field(t, _json_body(req), strict=True)
            t.fields.append(f)
            return copy.deepcopy(f)
        if len(parts) == 4 and parts[0] == "tables" and parts[2] == "fields" and m == "PATCH":
            t = self._table_or_404(parts[1])
            f = next((f for f in t.fields if f["id"] == parts[3]), None)
            if f is None:
                raise ApiError(404, "NOT_FOUND", f"Could not find field {parts[3]}")
            body = _json_body(req)
            unknown = set(body) - {"name", "description"}
            if unknown:
                raise ApiError(
                    422,
                    "INVALID_REQUEST_UNKNOWN",
                    f"Only name and description can be updated, not {sorted(unknown)}",
                )
            if "name" in body:
                self._check_field_name(t, body["name"], other_than=f)
                f["name"] = body["name"]
            if "description" in body:
                f["description"] = body["description"]
            return copy.deepcopy(f)
        raise ApiError(404, "NOT_FOUND", "Could not find what you are looking for")

    # ------------------------------------------------------------------ gatekeeping

    def _fault(self, req: EmulatedRequest) -> None:
        for fault in list(self._faults):
            if fault.method and fault.method != req.method:
                continue
            fault.times -= 1
            if fault.times <= 0:
                self._faults.remove(fault)
            headers = {"Retry-After": _seconds(fault.retry_after)} if fault.retry_after is not None else {}
            if fault.status == 429:
                raise ApiError(
                    429, "RATE_LIMIT_REACHED", "Rate limit exceeded. Please try again later", headers
                )
            kind = {
                401: "AUTHENTICATION_REQUIRED",
                403: "INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND",
                404: "NOT_FOUND",
            }
            raise ApiError(
                fault.status, kind.get(fault.status, "SERVER_ERROR"), "Injected by the emulator", headers
            )

    def _authenticate(self, req: EmulatedRequest) -> frozenset[str]:
        auth = req.headers.get("authorization", "")
        token = auth[7:] if auth.lower().startswith("bearer ") else None
        if token is None or token not in self.tokens:
            raise ApiError(401, "AUTHENTICATION_REQUIRED", "Authentication required")
        return self.tokens[token]

    def _base(self, base_id: str, scopes: frozenset[str], needs: str) -> None:
        # Airtable answers "unknown base" and "token lacks the scope" alike, so as not to leak
        # which bases exist.
        if base_id != self.base_id or needs not in scopes:
            raise ApiError(
                403,
                "INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND",
                "Invalid permissions, or the requested model was not found. Check that both your user and your "
                "token have the required permissions, and that the model names and/or ids are correct.",
            )
        self._rate_limit()

    def _rate_limit(self) -> None:
        if not self.rate_limit:
            return
        now = self.clock()
        if now < self._locked_until:
            raise ApiError(429, "RATE_LIMIT_REACHED", "Rate limit exceeded. Please try again later")
        while self._recent and self._recent[0] <= now - 1.0:
            self._recent.popleft()
        if len(self._recent) >= self.rate_limit:
            self._locked_until = now + self.lockout
            self._recent.clear()
            raise ApiError(429, "RATE_LIMIT_REACHED", "Rate limit exceeded. Please try again later")
        self._recent.append(now)

    def _table(self, key: str) -> _Table:
        for t in self.tables:
            if t.id == key:
                return t
        for t in self.tables:
            if t.name == key:
                return t
        raise KeyError(key)

    def _table_or_404(self, key: str) -> _Table:
        try:
            return self._table(key)
        except KeyError:
            raise ApiError(
                404, "TABLE_NOT_FOUND", f"Could not find table {key} in application {self.base_id}"
            ) from None

    def _record_or_404(self, t: _Table, rid: str) -> str:
        if rid not in t.records:
            raise ApiError(404, "NOT_FOUND", f"Could not find a record with ID {rid}")
        return rid

    # ------------------------------------------------------------------ schema

    def _check_table_name(self, name: Any, other_than: _Table | None = None) -> None:
        if not isinstance(name, str) or not name.strip():
            raise ApiError(422, "INVALID_REQUEST_UNKNOWN", "Table name must be a non-empty string")
        if any(t is not other_than and t.name.lower() == name.lower() for t in self.tables):
            raise ApiError(422, "DUPLICATE_TABLE_NAME", f"A table named {name!r} already exists")

    def _check_field_name(
        self, t: _Table | None, name: Any, other_than: dict | None = None, taken: Iterable[str] = ()
    ) -> None:
        if not isinstance(name, str) or not name.strip():
            raise ApiError(422, "DUPLICATE_OR_EMPTY_FIELD_NAME", "Field names must be non-empty")
        existing = [f["name"] for f in (t.fields if t else []) if f is not other_than] + list(taken)
        if name.lower() in (n.lower() for n in existing):
            raise ApiError(422, "DUPLICATE_OR_EMPTY_FIELD_NAME", f"Duplicate field name: {name}")

    def _create_table(self, body: dict[str, Any], strict: bool) -> dict[str, Any]:
        name = body.get("name")
        self._check_table_name(name)
        specs = body.get("fields")
        if not isinstance(specs, list) or not specs:
            raise ApiError(422, "INVALID_REQUEST_UNKNOWN", "A table needs at least one field")
        if specs[0].get("type") not in PRIMARY_TYPES:
            raise ApiError(
                422,
                "INVALID_FIELD_TYPE_FOR_PRIMARY",
                f"Field type {specs[0].get('type')!r} cannot be a table's primary field",
            )
        t = _Table(_new_id("tbl"), name, [], body.get("description") or None)
        t.views = [{"id": _new_id("viw"), "name": "Grid view", "type": "grid"}]
        for spec in specs:
            t.fields.append(self._new_field(t, spec, strict))
        self.tables.append(t)
        return t.model()

    def _new_field(self, t: _Table, spec: dict[str, Any], strict: bool) -> dict[str, Any]:
        name, type_ = spec.get("name"), spec.get("type")
        self._check_field_name(t, name)
        if type_ not in FIELD_TYPES:
            raise ApiError(422, "INVALID_FIELD_TYPE", f"Field type {type_!r} is not supported")
        options = _field_options(type_, spec.get("options"), strict)
        f: dict[str, Any] = {"id": _new_id("fld"), "name": name, "type": type_}
        if spec.get("description"):
            f["description"] = spec["description"]
        if options is not None:
            f["options"] = options
        return f

    # ------------------------------------------------------------------ records

    def _list(self, t: _Table, params: dict[str, Any]) -> dict[str, Any]:
        unsupported = set(params) - {
            "pageSize", "offset", "fields", "returnFieldsByFieldId", "cellFormat", "timeZone", "userLocale",
            "maxRecords", "view", "filterByFormula",
        }  # fmt: skip
        if unsupported:
            raise ApiError(
                422, "INVALID_REQUEST_UNKNOWN", f"The emulator does not support {sorted(unsupported)}"
            )
        size = _int_param(params.get("pageSize", MAX_PAGE_SIZE), "pageSize")
        if not 1 <= size <= MAX_PAGE_SIZE:
            raise ApiError(422, "INVALID_PAGE_SIZE", f"pageSize must be between 1 and {MAX_PAGE_SIZE}")
        view = params.get("view")
        if view is not None and view not in {v["id"] for v in t.views} | {v["name"] for v in t.views}:
            raise ApiError(422, "VIEW_NAME_NOT_FOUND", f"View {view} not found")
        cell_format = params.get("cellFormat", "json")
        if cell_format not in ("json", "string"):
            raise ApiError(422, "INVALID_REQUEST_UNKNOWN", "cellFormat must be json or string")
        if cell_format == "string" and not (params.get("timeZone") and params.get("userLocale")):
            raise ApiError(
                422, "INVALID_REQUEST_UNKNOWN", "cellFormat=string requires timeZone and userLocale"
            )
        wanted = params.get("fields")
        if wanted is not None:
            wanted = [wanted] if isinstance(wanted, str) else list(wanted)
            for key in wanted:
                if t.field(key) is None:
                    raise ApiError(422, "UNKNOWN_FIELD_NAME", f'Unknown field name: "{key}"')
        by_id = _truthy(params.get("returnFieldsByFieldId", False))
        offset = params.get("offset")
        if offset:
            iterator, _, start_after = str(offset).partition("/")
            ids = self._iterators.get(iterator)
            used = self._iterator_used.get(iterator)
            if (
                ids is not None
                and used is not None
                and self.cursor_lifetime is not None
                and self.clock() - used > self.cursor_lifetime
            ):  # see CURSOR_LIFETIME: timed out for inactivity
                self._iterators.pop(iterator, None)
                self._iterator_used.pop(iterator, None)
                ids = None
            if ids is None or start_after not in ids:
                # Airtable's answer is the bare type (see CURSOR_LIFETIME), no message.
                raise ApiError(422, "LIST_RECORDS_ITERATOR_NOT_AVAILABLE", "")
            position = ids.index(start_after) + 1
        else:
            # Airtable's cursor is server-side: the listing is the table as it was at the first page.
            iterator = _new_id("itr")
            ids = list(t.records)
            if params.get("filterByFormula") is not None:
                wanted_ids = _record_ids_of(str(params["filterByFormula"]))
                ids = [rid for rid in ids if rid in wanted_ids]
            max_records = params.get("maxRecords")
            if max_records is not None:
                ids = ids[: _int_param(max_records, "maxRecords")]
            self._iterators[iterator] = ids
            position = 0
        page_ids = [rid for rid in ids[position : position + size] if rid in t.records]
        end = position + size
        records = [self._record_json(t, rid, by_id, wanted, cell_format) for rid in page_ids]
        out: dict[str, Any] = {"records": records}
        if end < len(ids):
            out["offset"] = f"{iterator}/{ids[end - 1]}"
            self._iterator_used[iterator] = self.clock()
        else:
            self._iterators.pop(iterator, None)
            self._iterator_used.pop(iterator, None)
        return out

    def _record_json(
        self, t: _Table, rid: str, by_id: bool, wanted: list[str] | None = None, cell_format: str = "json"
    ) -> dict[str, Any]:
        rec = t.records[rid]
        keep = None if wanted is None else {t.field(k)["id"] for k in wanted}  # type: ignore[index]
        fields = {}
        for f in t.fields:
            if keep is not None and f["id"] not in keep:
                continue
            value = rec["cells"].get(f["id"])
            if _empty(value):
                continue  # Airtable leaves empty cells out of a record
            fields[f["id"] if by_id else f["name"]] = (
                _as_string(f, value) if cell_format == "string" else value
            )
        return {"id": rid, "createdTime": rec["createdTime"], "fields": fields}

    def _create(self, t: _Table, body: dict[str, Any]) -> dict[str, Any]:
        typecast, by_id = bool(body.get("typecast")), bool(body.get("returnFieldsByFieldId"))
        if "records" in body:
            items = body["records"]
            _check_batch(items)
            created = [self._create_record(t, dict(_fields_of(item)), typecast) for item in items]
            return {"records": [self._record_json(t, rid, by_id) for rid in created]}
        rid = self._create_record(t, dict(body.get("fields") or {}), typecast)
        return self._record_json(t, rid, by_id)

    def _create_record(self, t: _Table, fields: dict[str, Any], typecast: bool) -> str:
        cells: dict[str, Any] = {}
        self._write_cells(t, cells, fields, typecast)
        rid = _new_id("rec")
        stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        self._autonumber[t.id] += 1
        for f in t.fields:  # what Airtable fills itself (see COMPUTED_TYPES)
            if f["type"] == "autoNumber":
                cells[f["id"]] = self._autonumber[t.id]
            elif f["type"] in ("createdTime", "lastModifiedTime"):
                cells[f["id"]] = stamp
            elif f["type"] in ("createdBy", "lastModifiedBy"):
                cells[f["id"]] = dict(EMULATOR_USER)
        t.records[rid] = {"createdTime": stamp, "cells": cells}
        return rid

    def _update_many(self, t: _Table, body: dict[str, Any], replace: bool) -> dict[str, Any]:
        if "performUpsert" in body:
            raise ApiError(422, "INVALID_REQUEST_UNKNOWN", "The emulator does not support performUpsert")
        items = body.get("records")
        _check_batch(items)
        typecast, by_id = bool(body.get("typecast")), bool(body.get("returnFieldsByFieldId"))
        for item in items:
            if not isinstance(item, dict) or "id" not in item:
                raise ApiError(422, "INVALID_RECORDS", "Each record to update needs an id")
            if item["id"] not in t.records:
                # The whole batch is refused, and only the first missing record is named.
                raise ApiError(
                    422, "ROW_DOES_NOT_EXIST", f"Record ID {item['id']} does not exist in this table"
                )
        # Validate every record before changing any: a batch lands whole or not at all.
        staged = {}
        for item in items:
            cells = {} if replace else dict(t.records[item["id"]]["cells"])
            self._write_cells(t, cells, dict(_fields_of(item)), typecast)
            staged[item["id"]] = cells
        for rid, cells in staged.items():
            t.records[rid]["cells"] = cells
        return {"records": [self._record_json(t, item["id"], by_id) for item in items]}

    def _update_one(
        self, t: _Table, rid: str, fields: Any, replace: bool, typecast: bool, by_id: bool
    ) -> dict[str, Any]:
        if not isinstance(fields, dict):
            raise ApiError(
                422, "INVALID_REQUEST_MISSING_FIELDS", 'Could not find field "fields" in the request body'
            )
        cells = {} if replace else dict(t.records[rid]["cells"])
        self._write_cells(t, cells, fields, typecast)
        t.records[rid]["cells"] = cells
        return self._record_json(t, rid, by_id)

    def _delete_many(self, t: _Table, ids: list[str]) -> dict[str, Any]:
        _check_batch(ids)
        for rid in ids:
            self._record_or_404(t, rid)
        for rid in ids:
            del t.records[rid]
        return {"records": [{"id": rid, "deleted": True} for rid in ids]}

    def _write_cells(self, t: _Table, cells: dict[str, Any], fields: dict[str, Any], typecast: bool) -> None:
        new = {}
        for key, value in fields.items():
            f = t.field(key)
            if f is None:
                raise ApiError(422, "UNKNOWN_FIELD_NAME", f'Unknown field name: "{key}"')
            if f["type"] in COMPUTED_TYPES:  # see COMPUTED_TYPES
                raise ApiError(
                    422,
                    "INVALID_VALUE_FOR_COLUMN",
                    f'Field "{f["name"]}" cannot accept a value because the field is computed',
                )
            new[f["id"]] = _cell_value(f, value, typecast)
        for fid, value in new.items():
            if _empty(value):
                cells.pop(fid, None)
            else:
                cells[fid] = value
        if new:
            stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
            for f in t.fields:
                if f["type"] == "lastModifiedTime":
                    cells[f["id"]] = stamp
                elif f["type"] == "lastModifiedBy":
                    cells[f["id"]] = dict(EMULATOR_USER)


# ---------------------------------------------------------------------- values


def _field_options(type_: str, options: Any, strict: bool) -> dict[str, Any] | None:
    """The options Airtable stores for a new field; raise 422 where required ones are missing."""

    def need(cond: bool, what: str) -> None:
        if not cond:
            raise ApiError(
                422, "INVALID_FIELD_TYPE_OPTIONS_FOR_CREATE", f"Field of type {type_} needs {what}"
            )

    options = dict(options or {})
    if type_ in TEXT_TYPES:
        need(not options, "no options")
        return None
    if type_ in NUMBER_TYPES:
        # [field model]: number and currency precision 0-8 (currency also a symbol), percent 0-8.
        if not strict:
            options.setdefault("precision", 0)
            if type_ == "currency":
                options.setdefault("symbol", "$")
        need(
            isinstance(options.get("precision"), int) and 0 <= options["precision"] <= 8,
            "options.precision (0-8)",
        )
        if type_ == "currency":
            need(isinstance(options.get("symbol"), str) and options["symbol"], "options.symbol")
            return {"precision": options["precision"], "symbol": options["symbol"]}
        return {"precision": options["precision"]}
    if type_ in COMPUTED_TYPES:
        # Kept as given (formula text, result type, linked fields...): the emulator does not compute
        # them; a test sets their values (AirtableEmulator.set_computed).
        return options or None
    if type_ == "checkbox":
        if not strict:
            options = {"icon": "check", "color": "greenBright", **options}
        need(bool(options.get("icon")) and bool(options.get("color")), "options.icon and options.color")
        return {"icon": options["icon"], "color": options["color"]}
    if type_ in ("date", "dateTime"):
        if not strict:
            options.setdefault("dateFormat", {"name": "iso"})
            if type_ == "dateTime":
                options.setdefault("timeFormat", {"name": "24hour"})
                options.setdefault("timeZone", "utc")
        date_format = options.get("dateFormat") or {}
        need(
            date_format.get("name") in DATE_FORMATS,
            "options.dateFormat.name (local, friendly, us, european or iso)",
        )
        out: dict[str, Any] = {
            "dateFormat": {"name": date_format["name"], "format": DATE_FORMATS[date_format["name"]]}
        }
        if type_ == "dateTime":
            time_format = options.get("timeFormat") or {}
            need(time_format.get("name") in TIME_FORMATS, "options.timeFormat.name (12hour or 24hour)")
            need(isinstance(options.get("timeZone"), str), "options.timeZone")
            out["timeFormat"] = {"name": time_format["name"], "format": TIME_FORMATS[time_format["name"]]}
            out["timeZone"] = options["timeZone"]
        return out
    if type_ in SELECT_TYPES:
        choices = options.get("choices")
        if not strict and choices is None:
            choices = []
        need(isinstance(choices, list), "options.choices")
        out_choices = []
        for i, c in enumerate(choices):
            need(
                isinstance(c, dict) and isinstance(c.get("name"), str) and c["name"],
                "a name for every choice",
            )
            colour = c.get("color") or SELECT_COLOURS[i % len(SELECT_COLOURS)]
            need(colour in SELECT_COLOURS, f"a known choice colour, not {colour!r}")
            out_choices.append({"id": _new_id("sel"), "name": c["name"], "color": colour})
        return {"choices": out_choices}
    raise AssertionError(type_)


def _bad_value(f: dict[str, Any], value: Any) -> ApiError:
    shown = json.dumps(value)
    return ApiError(
        422, "INVALID_VALUE_FOR_COLUMN", f'Field "{f["name"]}" cannot accept the provided value: {shown}'
    )


def _cell_value(f: dict[str, Any], value: Any, typecast: bool) -> Any:
    """Validate (and with ``typecast``, convert) a value written to field ``f``; the stored form."""
    type_ = f["type"]
    if value is None:
        return None
    if type_ in TEXT_TYPES:
        if isinstance(value, str):
            return value
        if typecast and isinstance(value, int | float | bool):
            return str(value)
        raise _bad_value(f, value)
    if type_ in NUMBER_TYPES:
        if isinstance(value, bool):
            raise _bad_value(f, value)
        if isinstance(value, int | float):
            return value
        if typecast and isinstance(value, str):
            try:
                n = float(value.strip())
            except ValueError:
                return None  # Airtable's typecast leaves an unparseable number blank
            return int(n) if n == int(n) else n
        raise _bad_value(f, value)
    if type_ == "checkbox":
        if isinstance(value, bool):
            return value
        if typecast:
            return str(value).strip().lower() in ("true", "yes", "1", "checked", "x")
        raise _bad_value(f, value)
    if type_ == "date":
        if isinstance(value, str) and (m := _ISO_DATE.match(value)):
            try:
                return dt.date(int(m[1]), int(m[2]), int(m[3])).isoformat()
            except ValueError:
                pass
        if isinstance(value, str) and _ISO_STAMP.match(value):
            return _parse_stamp(f, value).date().isoformat()
        raise ApiError(
            422,
            "INVALID_VALUE_FOR_COLUMN",
            f"Cannot parse date value {json.dumps(value)} for field {f['name']}",
        )
    if type_ == "dateTime":
        if isinstance(value, str) and (_ISO_STAMP.match(value) or _ISO_DATE.match(value)):
            stamp = _parse_stamp(f, value if "T" in value else value + "T00:00:00")
            return stamp.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        raise ApiError(
            422,
            "INVALID_VALUE_FOR_COLUMN",
            f"Cannot parse date value {json.dumps(value)} for field {f['name']}",
        )
    if type_ == "multipleSelects":
        # [field model, Multiple select]: an array of choice names; typecast also splits a string
        # on commas and adds unknown choices, as for a single select.
        if typecast and isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise _bad_value(f, value)
        one = {**f, "type": "singleSelect"}
        return [_cell_value(one, v, typecast) for v in dict.fromkeys(value)]
    if type_ == "singleSelect":
        if not isinstance(value, str):
            raise _bad_value(f, value)
        choices = f["options"]["choices"]
        if any(c["name"] == value for c in choices):
            return value
        if not typecast:
            raise ApiError(
                422,
                "INVALID_MULTIPLE_CHOICE_OPTIONS",
                f'Insufficient permissions to create new select option ""{value}""',
            )
        # typecast: Airtable quietly adds the unknown option to the field
        choices.append(
            {"id": _new_id("sel"), "name": value, "color": SELECT_COLOURS[len(choices) % len(SELECT_COLOURS)]}
        )
        return value
    raise AssertionError(type_)


def _parse_stamp(f: dict[str, Any], value: str) -> dt.datetime:
    try:
        stamp = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(
            422,
            "INVALID_VALUE_FOR_COLUMN",
            f"Cannot parse date value {json.dumps(value)} for field {f['name']}",
        ) from None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=dt.UTC)
    return stamp.astimezone(dt.UTC)


def _as_string(f: dict[str, Any], value: Any) -> str:
    """A cell as ``cellFormat=string`` renders it (en-us, dates in the field's own format)."""
    if f["type"] == "checkbox":
        return "checked"
    if f["type"] in ("createdBy", "lastModifiedBy") and isinstance(value, dict):
        return str(value.get("name", ""))
    if isinstance(value, list):
        return ", ".join(_as_string({**f, "type": "singleLineText"}, v) for v in value)
    if f["type"] in ("date", "dateTime", "createdTime", "lastModifiedTime") and isinstance(value, str):
        if f["type"] in ("createdTime", "lastModifiedTime"):
            return value[:10] + " " + value[11:16]
        day = dt.date.fromisoformat(value[:10])
        name = f["options"]["dateFormat"]["name"]
        text = day.isoformat() if name == "iso" else f"{day.month}/{day.day}/{day.year}"
        if f["type"] == "dateTime":
            text += " " + value[11:16]
        return text
    if isinstance(value, float) and value == int(value):
        value = int(value)
    return str(value)


def _empty(value: Any) -> bool:
    return value is None or value is False or value == "" or value == []


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.lower() in ("1", "true")
    return bool(value)


def _int_param(value: Any, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ApiError(422, "INVALID_REQUEST_UNKNOWN", f"{name} must be a number") from None


def _check_batch(items: Any) -> None:
    if not isinstance(items, list) or not items:
        raise ApiError(422, "INVALID_RECORDS", "records must be a non-empty array")
    if len(items) > MAX_RECORDS_PER_REQUEST:
        raise ApiError(
            422, "INVALID_RECORDS", f"You may only send up to {MAX_RECORDS_PER_REQUEST} records a request"
        )


def _fields_of(item: Any) -> dict[str, Any]:
    if not isinstance(item, dict) or not isinstance(item.get("fields"), dict):
        raise ApiError(422, "INVALID_RECORDS", 'Each record needs a "fields" object')
    return item["fields"]


def _seconds(value: float) -> str:
    return str(int(value)) if float(value) == int(value) else str(value)


def _query_params(query: dict[str, list[str]]) -> dict[str, Any]:
    """GET query parameters in the shape of a ``listRecords`` body."""
    out: dict[str, Any] = {}
    for key, values in query.items():
        if key in ("fields[]", "fields"):
            out["fields"] = values
        else:
            out[key] = values[-1]
    return out


def _json_body(req: EmulatedRequest) -> dict[str, Any]:
    if not isinstance(req.body, dict):
        raise ApiError(422, "INVALID_REQUEST_BODY", "The request body must be a JSON object")
    return req.body


# ---------------------------------------------------------------------- HTTP


class _Handler(BaseHTTPRequestHandler):
    emu: AirtableEmulator
    protocol_version = "HTTP/1.1"  # keep-alive, like the real service
    # Headers and body go out as separate writes; without this, Nagle's algorithm and delayed
    # ACKs add ~40 ms to every request on loopback.
    disable_nagle_algorithm = True

    def _serve(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                self._send(
                    400,
                    {"error": {"type": "INVALID_REQUEST_BODY", "message": "Could not parse the JSON body"}},
                    {},
                )
                return
        req = EmulatedRequest(
            method=self.command,
            path=urllib.parse.unquote(url.path),
            query=urllib.parse.parse_qs(url.query, keep_blank_values=True),
            body=body,
            headers={k.lower(): v for k, v in self.headers.items()},
        )
        status, payload, headers = self.emu.handle(req, size=len(raw))
        self._send(status, payload, headers)

    def _send(self, status: int, payload: Any, headers: dict[str, str]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib's name
        pass  # quiet: tests read stats, not logs; and headers may carry a token


def main(argv: list[str] | None = None) -> None:
    """``python -m tests.emulators.airtable``: serve an empty base until interrupted."""
    p = argparse.ArgumentParser(description="Loopback emulator of the Airtable Web API (tests only).")
    p.add_argument("--port", type=int, default=8766)
    p.add_argument("--base", default="appTESTBASE000001")
    p.add_argument("--token", default="TOKEN")
    p.add_argument(
        "--rate-limit", type=float, default=5.0, help="requests per second per base; 0 turns it off"
    )
    p.add_argument("--lockout", type=float, default=30.0, help="seconds refused after the limit was exceeded")
    p.add_argument("--latency", type=float, default=0.0, help="seconds added to every request")
    args = p.parse_args(argv)
    emu = AirtableEmulator(
        args.base, args.token, args.rate_limit or None, args.lockout, args.latency, port=args.port
    )
    emu.start()
    print(
        f"Airtable emulator for base {args.base} at {emu.url} (FOLLOWSYNC_AIRTABLE_API_URL={emu.url})",
        flush=True,
    )
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        emu.stop()


if __name__ == "__main__":
    main()


#: The one ``filterByFormula`` shape the emulator evaluates: records by id, ``RECORD_ID()='rec…'``
#: alone or several inside ``OR(...)`` (`List records
#: <https://airtable.com/developers/web/api/list-records>`__, "filterByFormula"; RECORD_ID() in
#: the `formula field reference <https://support.airtable.com/docs/formula-field-reference>`__).
#: Any other formula is refused as Airtable refuses one it can't parse, ``422
#: INVALID_FILTER_BY_FORMULA``, so a test never passes on a formula the emulator does not know.
_RECORD_ID_TERM = re.compile(r"\s*RECORD_ID\(\)\s*=\s*'(rec[A-Za-z0-9]+)'\s*")


def _record_ids_of(formula: str) -> set[str]:
    text = formula.strip()
    inner = text[3:-1] if text.upper().startswith("OR(") and text.endswith(")") else text
    terms = inner.split(",")
    found = [_RECORD_ID_TERM.fullmatch(term) for term in terms]
    if not terms or not all(found):
        raise ApiError(422, "INVALID_FILTER_BY_FORMULA", f"The formula for filtering records is invalid: {formula}")
    return {m.group(1) for m in found if m}
