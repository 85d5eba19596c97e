"""A coach's many trackers: ``[[trackers]]`` one after another against a few at a time.

    python bench/bench_trackers.py [TRACKERS] [ROWS]     (default: 50 200)

TRACKERS Google Sheets of ROWS rows each, on the loopback emulator with 150 ms added to every
call (tests/emulators/google.py), one service account for them all. Each is run once to write
followsync's columns; then the measured no-op day (the same morning again: nothing to write, so
each tracker is its read, 3 calls) is run through ``run.run_all`` with ``parallel = 1`` (in
sequence, as before issue 17) and with the default ``parallel`` (Google: at most
``pool.GOOGLE_AT_ONCE`` of one credentials at once). Each line gives the wall time, the calls
the emulator answered, the CPU time of the process (the emulator's included; threads do not
share it out) and the ratio to the sequence; the outcomes of the two are checked equal.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_google import LATENCY, grid  # noqa: E402
from bench.bench_xlsx import NOW  # noqa: E402
from followsync import pool  # noqa: E402
from followsync import run as sync  # noqa: E402
from followsync.config import Config, TrackerSpec  # noqa: E402
from tests.emulators.google import GoogleEmulator  # noqa: E402


def timed(emu: GoogleEmulator, config: Config) -> tuple[float, float, int, list]:
    emu.reset_stats()
    start, cpu = time.perf_counter(), time.process_time()
    outcomes = sync.run_all(list(config.trackers), config, NOW)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    errors = [o.error for o in outcomes if o.error]
    assert not errors, errors[0]
    return seconds, cpu, emu.stats()["requests"], [(o.spec.name, o.result.cells_changed) for o in outcomes]


def main(trackers: int = 50, rows: int = 200) -> None:
    with tempfile.TemporaryDirectory() as tmp, GoogleEmulator(latency=LATENCY) as emu:
        key = Path(tmp) / "sa.json"
        emu.write_key_file(key)
        os.environ["FOLLOWSYNC_GOOGLE_API_URL"] = emu.url
        os.environ.setdefault("FOLLOWSYNC_LOCK_DIR", tmp)
        body = [list(r) for r in grid(rows)]
        specs = tuple(
            TrackerSpec(f"client{i:02d}", emu.create_spreadsheet(f"client {i}", {"Tracker": body}))
            for i in range(trackers)
        )
        config = Config(trackers=specs, google_credentials=key)
        first, _, _, _ = timed(emu, dataclasses.replace(config, parallel=8))
        print(
            f"{trackers} Google trackers of {rows} rows, {LATENCY * 1000:.0f} ms a call (first run: {first:.1f} s)"
        )
        print(f"  {'no-op day':<30} {'time':>7} {'CPU':>7} {'calls':>6} {'vs sequence':>12}")
        base = None
        for label, parallel in (
            ("in sequence (parallel = 1)", 1),
            (f"pooled (parallel = {Config().parallel})", None),
        ):
            cfg = config if parallel is None else dataclasses.replace(config, parallel=parallel)
            seconds, cpu, calls, outcome = timed(emu, cfg)
            base = base or (seconds, outcome)
            assert outcome == base[1] and all(changed == 0 for _, changed in outcome)
            print(f"  {label:<30} {seconds:6.1f}s {cpu:6.1f}s {calls:>6} {base[0] / seconds:11.1f}x")
        print(f"  (Google trackers of one credentials at most {pool.GOOGLE_AT_ONCE} at once)")


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    main(*args)
