"""What a quiet day costs on each store (issue 19): the morning after, nobody having edited.

    python bench/bench_quiet.py [ROWS ...]     (default: 2000 20000)

Per size and store (.xlsx, the Google Sheets emulator, the Airtable emulator), a first run
writes a generated tracker (bench_xlsx.generated_rows), then the next morning's run is measured:

- rows: the tracker rows it wrote (those whose action, due date or urgency moved overnight);
- cells, fills: the tracker cells and backgrounds it wrote (the store's ``Applied``);
- summary: the cells of the Summary it wrote (rewritten whole, for now);
- calls: API requests (token requests apart); for .xlsx, the saves;
- sent, received: bytes on the wire, measured at the client (requests' adapter); for .xlsx, the
  bytes written to disk: the file, and its ``.bak``.

The first run is made as fast as the emulators allow (no latency; Airtable unpaced); the quiet day
with Airtable's real pacing (5 requests a second) and 150 ms a call on both emulators, so its time
is what the calls cost, the emulator's own work aside.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import openpyxl  # noqa: E402

from bench.bench_airtable import BASE, TOKEN, airtable_value  # noqa: E402
from bench.bench_google import grid, on_the_wire  # noqa: E402
from bench.bench_xlsx import NOW, generated_rows  # noqa: E402
from followsync import run as sync  # noqa: E402
from followsync.backends.airtable.backend import AirtableBackend  # noqa: E402
from followsync.backends.airtable.transport import MIN_INTERVAL  # noqa: E402
from followsync.backends.google import auth as google_auth  # noqa: E402
from followsync.backends.google.backend import GoogleSheetsBackend  # noqa: E402
from followsync.backends.xlsx.backend import XlsxBackend  # noqa: E402
from followsync.config import Config  # noqa: E402
from followsync.core.layout import load as load_layout  # noqa: E402
from tests.emulators.airtable import AirtableEmulator  # noqa: E402
from tests.emulators.google import GoogleEmulator  # noqa: E402

NEXT_DAY = NOW + dt.timedelta(days=1)
LATENCY = 0.15


def figures(result, seconds: float, calls: int, sent: int, received: int) -> dict:
    changes = result.changes
    return {
        "rows": len({ch.row for ch in [*changes.cells, *changes.fills]}),
        "cells": result.applied.cells if result.applied else 0,
        "fills": result.applied.fills if result.applied else 0,
        "summary": sum(len(r) for sw in changes.sheets if sw.name == "Summary" for r in sw.rows),
        "calls": calls,
        "sent": sent,
        "received": received,
        "seconds": seconds,
    }


def on_wire(run) -> dict:
    google_auth.forget_shared_credentials()  # each measured run gets its token like a new process
    start = time.perf_counter()
    with on_the_wire() as seen:
        result = run()
    seconds = time.perf_counter() - start
    api = [x for x in seen if not x[0].split("?")[0].endswith("/token")]
    return figures(result, seconds, len(api), sum(x[1] for x in api), sum(x[2] for x in api))


def xlsx(n: int, tmp: Path) -> dict:
    path = tmp / f"tracker-{n}.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Tracker"
    for row in grid(n):
        ws.append(row)
    wb.save(path)
    sync.run(XlsxBackend(path), Config(), NOW, lock_timeout=30)
    bak = path.parent / f"{path.name}.bak"
    stamps = {p: p.stat().st_mtime_ns if p.exists() else None for p in (path, bak)}
    start = time.perf_counter()
    result = sync.run(XlsxBackend(path), Config(), NEXT_DAY, lock_timeout=30)
    seconds = time.perf_counter() - start
    written = sum(p.stat().st_size for p in (path, bak) if p.exists() and p.stat().st_mtime_ns != stamps[p])
    saves = result.applied.write_calls if result.applied else 0
    return figures(result, seconds, saves, written, 0)


def google(n: int, tmp: Path) -> dict:
    with GoogleEmulator(latency=0.0) as emu:
        key = tmp / "sa.json"
        emu.write_key_file(key)
        sid = emu.create_spreadsheet("bench", {"Tracker": [list(r) for r in grid(n)]})

        def run(now):
            backend = GoogleSheetsBackend(sid, credentials_path=key, api_url=emu.url, timeout=300)
            return sync.run(backend, Config(), now, lock_timeout=30)

        run(NOW)
        emu.latency = LATENCY
        return on_wire(lambda: run(NEXT_DAY))


def airtable(n: int) -> dict:
    with AirtableEmulator(BASE, TOKEN, rate_limit=None, latency=0.0) as emu:
        AirtableBackend(BASE, "Tracker", token=TOKEN, api_url=emu.url).create(load_layout(), [])
        emu.add_records("Tracker", [{k: airtable_value(v) for k, v in r.items()} for r in generated_rows(n)])

        def run(now, interval):
            backend = AirtableBackend(BASE, "Tracker", token=TOKEN, api_url=emu.url)
            backend.transport.interval = interval
            return sync.run(backend, Config(), now, lock_timeout=30)

        run(NOW, 0.0)
        emu.latency = LATENCY
        return on_wire(lambda: run(NEXT_DAY, MIN_INTERVAL))


def main(sizes: list[int]) -> None:
    print(
        f"{'rows':>6}  {'store':<8} {'rows written':>12} {'cells':>6} {'fills':>6} {'summary':>8} {'calls':>6}"
        f" {'sent':>9} {'received':>9} {'time':>7}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for n in sorted(sizes):
            for store, measure in (
                ("xlsx", lambda n=n: xlsx(n, Path(tmp))),
                ("google", lambda n=n: google(n, Path(tmp))),
                ("airtable", lambda n=n: airtable(n)),
            ):
                r = measure()
                print(
                    f"{n:>6}  {store:<8} {r['rows']:>12} {r['cells']:>6} {r['fills']:>6} {r['summary']:>8}"
                    f" {r['calls']:>6} {_mb(r['sent']):>9} {_mb(r['received']):>9} {r['seconds']:>6.1f}s"
                )


def _mb(n: float) -> str:
    return f"{n / 1e6:.2f}MB" if n >= 10_000 else f"{n / 1e3:.1f}kB"


if __name__ == "__main__":
    os.environ.pop("FOLLOWSYNC_AIRTABLE_API_URL", None)
    os.environ.pop("FOLLOWSYNC_GOOGLE_API_URL", None)
    main([int(a) for a in sys.argv[1:]] or [2000, 20000])
