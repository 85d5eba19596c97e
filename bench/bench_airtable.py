"""Calls and time per `followsync run` on Airtable, against the loopback emulator.

    python bench/bench_airtable.py [ROWS ...]     (default: 100 1000 10000)

The emulator adds 150 ms of latency to every call and enforces Airtable's 5 requests a
second per base, as the real service does; followsync paces itself under that. For each size:
the first run (every record gets its reminders), a second run (nothing to write) and a run
after a tenth of the records changed. Calls = schema read + pages + ceil(changed / 10).
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_xlsx import NOW, generated_rows  # noqa: E402
from followsync import run as sync  # noqa: E402
from followsync.backends.airtable.backend import AirtableBackend  # noqa: E402
from followsync.config import Config  # noqa: E402
from followsync.core.layout import load as load_layout  # noqa: E402
from tests.emulators.airtable import AirtableEmulator  # noqa: E402

BASE, TOKEN = "appBENCHBASE00001", "bench-token"


def airtable_value(value):
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=dt.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    if value in ("Yes", "No"):
        return value == "Yes"
    return value


def one_run(emu: AirtableEmulator) -> dict:
    emu.reset_stats()
    backend = AirtableBackend(BASE, "Tracker", token=TOKEN, api_url=emu.url)
    start = time.perf_counter()
    result = sync.run(backend, Config(), NOW, lock_timeout=30)
    seconds = time.perf_counter() - start
    stats = emu.stats()
    return {
        "seconds": seconds,
        "calls": stats["requests"],
        "by_method": stats["by_method"],
        "records": len({c.row for c in result.changes.cells}),
    }


def main(sizes: list[int]) -> None:
    print(f"{'rows':>6} {'run':<11} {'calls':>6} {'GET':>5} {'PATCH':>6} {'POST':>5} {'records':>8} {'time':>8}")
    for n in sizes:
        with AirtableEmulator(BASE, TOKEN, rate_limit=5.0, latency=0.15) as emu:
            AirtableBackend(BASE, "Tracker", token=TOKEN, api_url=emu.url).create(load_layout(), [])
            rows = [{k: airtable_value(v) for k, v in r.items()} for r in generated_rows(n)]
            emu.add_records("Tracker", rows)
            for label in ("first", "no-op"):
                print(_line(n, label, one_run(emu)))
            for i, record in enumerate(emu.records("Tracker")):
                if i % 10 == 0:
                    emu.update_record("Tracker", record["id"], {"Thank-you sent": NOW.date().isoformat()})
            print(_line(n, "10% edited", one_run(emu)))
            time.sleep(1.1)  # let the per-second window pass between sizes


def _line(n: int, label: str, r: dict) -> str:
    m = r["by_method"]
    return (
        f"{n:>6} {label:<11} {r['calls']:>6} {m.get('GET', 0):>5} {m.get('PATCH', 0):>6} {m.get('POST', 0):>5} "
        f"{r['records']:>8} {r['seconds']:>7.1f}s"
    )


if __name__ == "__main__":
    os.environ.pop("FOLLOWSYNC_AIRTABLE_API_URL", None)
    main([int(a) for a in sys.argv[1:]] or [100, 1000, 10000])
