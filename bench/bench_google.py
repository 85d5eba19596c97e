"""Calls, bytes sent, the largest request and time per run on Google Sheets, against the emulator
with 150 ms a call and Google's real limits (10,485,760 bytes a request): a first run and a
quiet next day, and side by side what a plain gspread script does.

    python bench/bench_google.py [--followsync-only] [ROWS ...]     (default: 1000 10000 20000)

Per size, two runs of followsync on one tracker: the first (every followsync cell written) and
a quiet next day (the next morning, nothing edited). Each line gives the calls, the largest
request body and the largest answer, and the bytes sent and received in all, measured at the
client (requests' adapter), token requests apart. Then the main read before and after issue 19:
the one ``spreadsheets.get`` of every cell's value and format that Google pretty-prints by default,
against the three compact calls a read makes now (properties, values, the colour columns'
backgrounds).

With ``--peers``, the same reminders written three ways, side by side:

- followsync: one read; then per batch of whole rows (under 5 MB, estimated) one re-read by ID and
  one atomic batchUpdate (values, colours and row stamps); then one read checking where the stamps
  landed and one batchUpdate removing them. A quiet day (nothing changed) is the read alone;
- plain gspread: ``get_all_records()`` then ``update_cell()`` for each changed cell;
- gspread-dataframe: ``get_as_dataframe()`` then ``set_with_dataframe()`` of the whole sheet
  (values only: no colours, and every cell is rewritten, the user's too).

Each plain ``update_cell`` is one call, so at 1,000 and 10,000 rows that script would run for
minutes to hours; its calls are counted exactly and its time is extrapolated from the measured
time per call at the smallest size (marked "est.").
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import gspread  # noqa: E402
import requests.adapters  # noqa: E402
from google.oauth2.service_account import Credentials  # noqa: E402

from bench.bench_xlsx import NOW, generated_rows  # noqa: E402
from followsync import run as sync  # noqa: E402
from followsync.backends.google import auth as google_auth  # noqa: E402
from followsync.backends.google.backend import GoogleSheetsBackend  # noqa: E402
from followsync.backends.google.wire import READ_FIELDS  # noqa: E402
from followsync.config import Config  # noqa: E402
from followsync.core.layout import load as load_layout  # noqa: E402
from tests.emulators.google import GoogleEmulator, emulated_session  # noqa: E402

LATENCY = 0.15
SAMPLE = 200  # update_cell calls timed at the larger sizes, the rest extrapolated
USER_NAMES = [lc.column.name for lc in load_layout().columns if lc.column.owner == "user"]


def grid(n: int) -> list[list]:
    return [USER_NAMES] + [[r.get(c) for c in USER_NAMES] for r in generated_rows(n)]


def measure(emu: GoogleEmulator, fn) -> dict:
    emu.reset_stats()
    start = time.perf_counter()
    fn()
    seconds = time.perf_counter() - start
    s = emu.stats()
    return {
        "calls": s["requests"],
        "bytes": s["bytes_received"],
        "largest": s["largest_request"],
        "refused": s["too_large"],
        "seconds": seconds,
    }


def followsync_run(emu, key, sid, now=NOW):
    backend = GoogleSheetsBackend(sid, credentials_path=key, api_url=emu.url, timeout=120)
    return sync.run(backend, Config(), now, lock_timeout=30)


@contextlib.contextmanager
def on_the_wire():
    """Every HTTP exchange's (url, request bytes, answer bytes), as the client sent and got them."""
    seen: list[tuple[str, int, int]] = []
    original = requests.adapters.HTTPAdapter.send

    def send(self, request, *args, **kwargs):
        response = original(self, request, *args, **kwargs)
        body = request.body or b""
        seen.append((request.url or "", len(body), len(response.content)))
        return response

    requests.adapters.HTTPAdapter.send = send  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        requests.adapters.HTTPAdapter.send = original  # type: ignore[method-assign]


def wire_run(fn) -> dict:
    google_auth.forget_shared_credentials()  # each measured run gets its token like a new process
    start = time.perf_counter()
    with on_the_wire() as seen:
        fn()
    seconds = time.perf_counter() - start
    api = [x for x in seen if not x[0].split("?")[0].endswith("/token")]
    return {
        "calls": len(api),
        "tokens": len(seen) - len(api),
        "largest request": max((x[1] for x in api), default=0),
        "largest answer": max((x[2] for x in api), default=0),
        "sent": sum(x[1] for x in api),
        "received": sum(x[2] for x in api),
        "seconds": seconds,
    }


def old_read(emu, key, sid, pretty: bool = True) -> int:
    """The bytes of the read before issue 19: one spreadsheets.get of every cell's value and format."""
    backend = GoogleSheetsBackend(sid, credentials_path=key, api_url=emu.url, timeout=120)
    params = {"fields": READ_FIELDS, "includeGridData": "true", "ranges": "'Tracker'"}
    if not pretty:
        params["prettyPrint"] = "false"
    url = f"{emu.url}/v4/spreadsheets/{sid}"
    answer = backend.http.session.request("GET", url, params=params)  # around the client: no prettyPrint
    answer.raise_for_status()
    return len(answer.content)


def quiet_days(sizes: list[int]) -> None:
    print(
        f"{'rows':>6}  {'run':<26} {'calls':>5} {'tokens':>6} {'largest req':>12} {'largest ans':>12}"
        f" {'sent':>9} {'received':>9} {'time':>7}"
    )
    with tempfile.TemporaryDirectory() as tmp, GoogleEmulator(latency=LATENCY) as emu:
        key = Path(tmp) / "sa.json"
        emu.write_key_file(key)
        for n in sorted(sizes):
            sid = emu.create_spreadsheet("bench", {"Tracker": [list(r) for r in grid(n)]})
            for label, now in (("first run", NOW), ("quiet next day", NOW + dt.timedelta(days=1))):
                r = wire_run(lambda sid=sid, now=now: followsync_run(emu, key, sid, now))
                print(
                    f"{n:>6}  {label:<26} {r['calls']:>5} {r['tokens']:>6} {_mb(r['largest request']):>12}"
                    f" {_mb(r['largest answer']):>12} {_mb(r['sent']):>9} {_mb(r['received']):>9}"
                    f" {r['seconds']:>6.1f}s"
                )
            before, compact = old_read(emu, key, sid), old_read(emu, key, sid, pretty=False)
            backend = GoogleSheetsBackend(sid, credentials_path=key, api_url=emu.url, timeout=120)
            r = wire_run(backend.read)
            print(
                f"{'':>6}  main read: before {_mb(before)} in 1 call ({_mb(compact)} had it been compact),"
                f" now {_mb(r['received'])} in {r['calls']} calls ({before / max(r['received'], 1):.1f}x less)"
            )


def _mb(n: float) -> str:
    return f"{n / 1e6:.2f}MB" if n >= 10_000 else f"{n / 1e3:.1f}kB"


def plain_gspread(emu, key, sid, changes, limit=None):
    creds = Credentials.from_service_account_file(
        str(key), scopes=["https://www.googleapis.com/auth/spreadsheets"]
    )
    ws = gspread.Client(auth=creds, session=emulated_session(creds, emu.url)).open_by_key(sid).sheet1
    ws.get_all_records()
    header = ws.row_values(1)
    missing = {ch.column for ch in changes.cells} - set(header)
    if len(header) + len(missing) > ws.col_count:
        ws.add_cols(len(header) + len(missing) - ws.col_count)  # update_cell can't write past the grid
    done = 0
    for ch in changes.cells[:limit]:
        if ch.column not in header:
            header.append(ch.column)
            ws.update_cell(1, len(header), ch.column)
        value = ch.value.isoformat() if hasattr(ch.value, "isoformat") else ch.value
        ws.update_cell(ch.row.index + 1, header.index(ch.column) + 1, "" if value is None else value)
        done += 1
    return done


def with_dataframe(emu, key, sid, computed):
    from gspread_dataframe import get_as_dataframe, set_with_dataframe

    creds = Credentials.from_service_account_file(
        str(key), scopes=["https://www.googleapis.com/auth/spreadsheets"]
    )
    ws = gspread.Client(auth=creds, session=emulated_session(creds, emu.url)).open_by_key(sid).sheet1
    df = get_as_dataframe(ws)
    for name in (
        "ID",
        "Next action",
        "Due",
        "Reminder",
        "Draft subject",
        "Draft message",
        "LinkedIn note",
        "Problems",
    ):
        df[name] = computed[name].astype(str).where(computed[name].notna(), "").tolist()
    set_with_dataframe(ws, df, resize=True)


def main(sizes: list[int], followsync_only: bool = False) -> None:
    print(f"{'rows':>6}  {'how':<34} {'calls':>7} {'sent':>9} {'largest':>9} {'time':>10}")
    per_call = None
    with tempfile.TemporaryDirectory() as tmp, GoogleEmulator(latency=LATENCY) as emu:
        key = Path(tmp) / "sa.json"
        emu.write_key_file(key)
        for n in sorted(sizes):
            data = grid(n)
            # followsync: first run, then a run with nothing to change
            sid = emu.create_spreadsheet("bench", {"Tracker": [list(r) for r in data]})
            r = measure(emu, lambda sid=sid: followsync_run(emu, key, sid))
            print(_line(n, "followsync, first run", r))
            r = measure(emu, lambda sid=sid: followsync_run(emu, key, sid))
            print(_line(n, "followsync, nothing changed", r))
            if followsync_only:
                continue
            # what the plain scripts would write: the same cells, from the same computation
            sid = emu.create_spreadsheet("bench", {"Tracker": [list(r) for r in data]})
            backend = GoogleSheetsBackend(sid, credentials_path=key, api_url=emu.url, timeout=120)
            snap = backend.read()
            tracker = sync.read_tracker(snap, Config())
            computed = sync.compute(tracker, NOW, Config()).cells
            changes = sync.diff(tracker, snap, computed)
            if per_call is None or n <= 100:
                r = measure(emu, lambda sid=sid, changes=changes: plain_gspread(emu, key, sid, changes))
                per_call = r["seconds"] / max(r["calls"], 1)
                print(_line(n, "gspread update_cell per cell", r))
            else:
                r = measure(
                    emu, lambda sid=sid, changes=changes: plain_gspread(emu, key, sid, changes, SAMPLE)
                )
                calls = r["calls"] - SAMPLE + len(changes.cells)
                est = {
                    "calls": calls,
                    "bytes": r["bytes"] / SAMPLE * len(changes.cells),
                    "seconds": per_call * calls,
                }
                print(_line(n, "gspread update_cell per cell", est, estimate=True))
            sid = emu.create_spreadsheet("bench", {"Tracker": [list(r) for r in data]})
            try:
                r = measure(emu, lambda sid=sid, computed=computed: with_dataframe(emu, key, sid, computed))
            except gspread.exceptions.APIError as e:  # one request of the whole sheet: over the limit
                r = {**measure(emu, lambda: None), "refused": 1, "error": str(e)[:40]}
            print(_line(n, "gspread-dataframe, whole sheet", r))


def _line(n: int, how: str, r: dict, estimate: bool = False) -> str:
    t = f"{r['seconds']:.1f}s" + (" est." if estimate else "")
    largest = f"{r['largest'] / 1e6:>7.2f}MB" if "largest" in r else f"{'':>9}"
    refused = "  REFUSED: request over 10,485,760 bytes" if r.get("refused") else ""
    return f"{n:>6}  {how:<34} {r['calls']:>7} {r['bytes'] / 1e6:>7.2f}MB {largest} {t:>10}{refused}"


if __name__ == "__main__":
    args = sys.argv[1:]
    only = "--followsync-only" in args
    sizes = [int(a) for a in args if a != "--followsync-only"] or [1000, 10000, 20000]
    quiet_days(sizes)
    print()
    main(sizes, followsync_only=only)
