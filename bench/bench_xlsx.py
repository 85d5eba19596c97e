"""How long `followsync run` takes on generated .xlsx trackers, and where the time goes.

    python bench/bench_xlsx.py [ROWS ...]     (default: 1000 20000)

Prints, per size: the first run (every owned cell written), a second run (nothing to write)
and a run after a tenth of the rows changed, each split into read (openpyxl load), frame
(parsing cells), compute (everything `run` computes: the rules, the drafts, lint and the
problems; its main parts are also timed apart, in brackets), diff, and apply (openpyxl save +
rename). Total is read + frame + compute + diff + apply.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
import tempfile
import time
import zoneinfo
from pathlib import Path

from followsync import demo, drafts, lint, rules, sync
from followsync.backends.xlsx import XlsxBackend
from followsync.config import Config
from followsync.layout import load as load_layout

NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=zoneinfo.ZoneInfo("Europe/Berlin"))


def generated_rows(n: int, seed: int = 7) -> list[dict]:
    """n rows made from the demo rows, with names and dates varied."""
    rng = random.Random(seed)
    base = demo.rows(NOW.date())
    out = []
    for i in range(n):
        row = dict(rng.choice(base))
        row["Company"] = f"{row['Company']} {i}"
        shift = dt.timedelta(days=rng.randint(-10, 10))
        for name, value in row.items():
            if isinstance(value, dt.date) and name != "Applied on":
                row[name] = value + shift
        out.append(row)
    return out


def timed_run(path: Path) -> dict[str, float]:
    """One run, with the time of each stage."""
    cfg = Config()
    t = {}
    start = time.perf_counter()
    backend = XlsxBackend(path)
    snapshot = backend.read()
    t["read"] = time.perf_counter() - start
    mark = time.perf_counter()
    tracker = sync.read_tracker(snapshot, cfg)
    t["frame"] = time.perf_counter() - mark
    mark = time.perf_counter()
    plan = rules.plan(tracker.frame, NOW, cfg.rules)
    t["plan"] = time.perf_counter() - mark
    # The parts of compute, timed apart for the breakdown (compute below does them again).
    mark = time.perf_counter()
    rendered = drafts.render(tracker.frame, plan, NOW, cfg)
    t["drafts"] = time.perf_counter() - mark
    mark = time.perf_counter()
    lint.lint_frame(tracker.frame, plan, rendered, cfg)
    t["lint"] = time.perf_counter() - mark
    mark = time.perf_counter()
    computed = sync.compute(tracker, NOW, cfg)  # the plan again, drafts, lint, problems
    t["compute"] = time.perf_counter() - mark
    mark = time.perf_counter()
    changes = sync.diff(tracker, snapshot, computed.cells)
    t["diff"] = time.perf_counter() - mark
    mark = time.perf_counter()
    if changes:
        backend.apply(changes)
    t["apply"] = time.perf_counter() - mark
    t["total"] = time.perf_counter() - start - t["plan"] - t["drafts"] - t["lint"]
    t["cells"] = len(changes.cells) + len(changes.fills)
    return t


def touch_a_tenth(path: Path, n: int) -> None:
    """Mark a tenth of the rows' thank-you notes as sent today (a realistic day's edits)."""
    import openpyxl

    wb = openpyxl.load_workbook(path)
    ws = wb[load_layout().worksheet]
    header = [c.value for c in ws[1]]
    col = header.index("Thank-you sent") + 1
    for r in range(2, n + 2, 10):
        ws.cell(r, col).value = NOW.date()
    wb.save(path)


def main(sizes: list[int]) -> None:
    print(
        f"{'rows':>7} {'run':<12} {'read':>7} {'frame':>7} {'compute':>8} {'(rules':>7} {'drafts':>7} {'lint)':>7} "
        f"{'diff':>7} {'apply':>7} {'total':>7} {'cells':>8}"
    )
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "tracker.xlsx"
            XlsxBackend(path).create(load_layout(), generated_rows(n))
            for label in ("first", "no-op"):
                t = timed_run(path)
                print(_line(n, label, t))
            touch_a_tenth(path, n)
            print(_line(n, "10% edited", timed_run(path)))
            print(f"{'':>7} file size {path.stat().st_size / 1e6:.1f} MB")


def _line(n: int, label: str, t: dict[str, float]) -> str:
    return (
        f"{n:>7} {label:<12} {t['read']:>6.2f}s {t['frame']:>6.2f}s {t['compute']:>7.2f}s {t['plan']:>6.2f}s "
        f"{t['drafts']:>6.2f}s {t['lint']:>6.2f}s {t['diff']:>6.2f}s {t['apply']:>6.2f}s {t['total']:>6.2f}s {t['cells']:>8}"
    )


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1000, 20000])
