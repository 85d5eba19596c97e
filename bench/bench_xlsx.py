"""How long `followsync run` takes on generated .xlsx trackers, side by side with its peers.

    taskset -c 0 python -m bench.bench_xlsx [ROWS ...]            (default: 1000 20000)
    taskset -c 0 python -m bench.bench_xlsx --no-op [ROWS ...]    (the no-op side by side only)

Per size it first prints, side by side (issue 17), a day with nothing to do, each measured in a
child process of its own so that peak memory (ru_maxrss) is that job's alone:

- followsync: `sync.run` (what `followsync run` does for one tracker) on a tracker already
  synced, writing nothing;
- the plain peer: an openpyxl script doing the same job (load the workbook, read every row and
  the colour columns' fills, put the owned cells, save);
- the floor: unzip the worksheet part and parse it with expat, nothing else;

and the ratios (followsync / floor, peer / followsync). followsync remembers the rows it read
and wrote (backends/xlsx/row_memo.py): the first no-op after the write and the next ones are
printed apart. Then four real runs with the time of each stage: the first (every followsync
cell written, the Summary added), two with nothing to write, and one after a tenth of the rows
changed (by openpyxl, which rewrites every row: none of them is remembered). Each line splits the run into its
stages: read (the file scanned), frame (cells parsed), rules, drafts, lint, summary, calendar,
digest, diff and apply (the changes spliced into the file and saved); "other" is the rest of
compute and run. Total is the wall time of the whole run. It also says how each run saved
("spliced" or "rewritten" by openpyxl), the file's size, the time of the whole command as cron
runs it (`followsync run --quiet`, start-up and printing included), and the peak memory.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import zoneinfo
from pathlib import Path

from followsync import run as sync
from followsync.backends.xlsx.backend import XlsxBackend
from followsync.config import Config
from followsync.core import drafts, lint, rules
from followsync.core.layout import demo_rows
from followsync.core.layout import load as load_layout
from followsync.outputs import calendar as ics
from followsync.outputs import summary

NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=zoneinfo.ZoneInfo("Europe/Berlin"))

#: (column, module or class, function): the stages of a run, timed where sync.run calls them
STAGES = [
    ("read", XlsxBackend, "read"),
    ("frame", sync, "read_tracker"),
    ("rules", rules, "plan"),
    ("drafts", drafts, "render"),
    ("lint", lint, "lint_frame"),
    ("summary", summary, "compute"),
    ("calendar", ics, "items_from"),
    ("digest", sync, "digest"),
    ("diff", sync, "diff"),
    ("apply", XlsxBackend, "apply"),
]


def generated_rows(n: int, seed: int = 7, today: dt.date | None = None) -> list[dict]:
    """n rows made from the demo rows (dated from ``today``, default NOW's), names and dates varied;
    tests/core/test_quiet_day.py uses them too."""
    rng = random.Random(seed)
    base = demo_rows(today or NOW.date())
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


@contextlib.contextmanager
def stage_timers():
    """Wrap each stage's function so the time spent in it adds up in the dict yielded."""
    spent = {name: 0.0 for name, _, _ in STAGES}
    originals = []
    for name, owner, attr in STAGES:
        original = getattr(owner, attr)
        originals.append((owner, attr, original))

        def timed(*args, _name=name, _original=original, **kwargs):
            start = time.perf_counter()
            try:
                return _original(*args, **kwargs)
            finally:
                spent[_name] += time.perf_counter() - start

        setattr(owner, attr, timed)
    try:
        yield spent
    finally:
        for owner, attr, original in originals:
            setattr(owner, attr, original)


def timed_run(path: Path) -> dict:
    """One `sync.run` on the tracker at ``path``, with the time of each stage."""
    backend = XlsxBackend(path)
    with stage_timers() as spent:
        start = time.perf_counter()
        result = sync.run(backend, Config(), NOW, force=True)
        total = time.perf_counter() - start
    t = dict(spent)
    t["total"] = total
    t["other"] = total - sum(spent.values())
    t["cells"] = len(result.changes.cells) + len(result.changes.fills)
    t["saved"] = backend.last_save or "-"
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


def cli_run(path: Path) -> str:
    """The whole command, as cron runs it: start-up, a run with nothing to write, and its output."""
    command = [
        sys.executable,
        "-m",
        "followsync.cli",
        "run",
        "--tracker",
        str(path),
        "--quiet",
        "--now",
        NOW.isoformat(),
    ]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    took = time.perf_counter() - start
    lines = len(done.stdout.splitlines())
    return f"`followsync run --quiet` (no-op, exit {done.returncode}, {lines} lines printed) {took:.2f}s"


COLUMNS = [
    "read",
    "frame",
    "rules",
    "drafts",
    "lint",
    "summary",
    "calendar",
    "digest",
    "diff",
    "apply",
    "other",
]


# ---------------------------------------------------------------------- a no-op day, side by side


def in_child(kind: str, path: Path) -> dict:
    """One job in a fresh interpreter (on the same CPUs): its time and its peak memory."""
    command = [sys.executable, "-m", "bench.noop_child", kind, str(path)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{kind} on {path} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def noop_side_by_side(n: int, path: Path, repeat: int = 3) -> None:
    """A no-op day at ``n`` rows: followsync, the plain peer and the floor, medians of ``repeat``.

    CPU seconds are printed beside the wall time: on a shared machine they move less.
    """
    got = {"first": in_child("followsync", path)}  # the first read after the write
    got["first"]["peak"] = got["first"]["peak_mib"]
    for kind in ("followsync", "peer", "floor"):
        runs = [in_child(kind, path) for _ in range(1 if kind == "peer" and n > 20000 else repeat)]
        runs.sort(key=lambda r: r["seconds"])
        got[kind] = runs[len(runs) // 2] | {"peak": max(r["peak_mib"] for r in runs)}
    f, p, fl, first = got["followsync"], got["peer"], got["floor"], got["first"]
    print(
        f"{n:>7} no-op day, wall (CPU) seconds and peak memory: "
        f"followsync {f['seconds']:.2f}s ({f['cpu']:.2f}s) {f['peak']:.0f} MiB, {f['cells']} cells written"
        f" | plain peer {p['seconds']:.2f}s ({p['cpu']:.2f}s) {p['peak']:.0f} MiB"
        f" | floor {fl['seconds']:.2f}s ({fl['cpu']:.2f}s) {fl['peak']:.0f} MiB\n"
        f"{'':>7} followsync/floor {f['seconds'] / fl['seconds']:.1f}x ({f['cpu'] / fl['cpu']:.1f}x CPU),"
        f" peer/followsync {p['seconds'] / f['seconds']:.1f}x ({p['cpu'] / f['cpu']:.1f}x CPU)\n"
        f"{'':>7} the first no-op after followsync wrote the file: {first['seconds']:.2f}s"
        f" ({first['cpu']:.2f}s) {first['peak']:.0f} MiB, {first['cpu'] / fl['cpu']:.1f}x the floor's CPU"
    )


def main(sizes: list[int], noop_only: bool = False) -> None:
    # The rows followsync remembers between reads (backends/xlsx/row_memo.py) go to a folder of
    # the bench's own, so that every figure starts from the same place and no user cache grows.
    with tempfile.TemporaryDirectory() as cache:
        os.environ["FOLLOWSYNC_CACHE_DIR"] = cache
        _main(sizes, noop_only)


def _main(sizes: list[int], noop_only: bool) -> None:
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "tracker.xlsx"
            XlsxBackend(path).create(load_layout(), generated_rows(n))
            sync.run(XlsxBackend(path), Config(), NOW, force=True)  # the first run: now in sync
            noop_side_by_side(n, path)
    if not noop_only:
        stages(sizes)


def stages(sizes: list[int]) -> None:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"seconds per stage; {cores} core(s) available to this process")
    print(
        f"{'rows':>7} {'run':<11}" + "".join(f"{c:>9}" for c in COLUMNS) + f"{'total':>9}{'cells':>9}  saved"
    )
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "tracker.xlsx"
            XlsxBackend(path).create(load_layout(), generated_rows(n))
            for label in ("first", "no-op", "no-op again"):
                print(_line(n, label, timed_run(path)))
            touch_a_tenth(path, n)
            print(_line(n, "10% edited", timed_run(path)))
            print(f"{'':>7} file size {path.stat().st_size / 1e6:.1f} MB; {cli_run(path)}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory {peak:.0f} MB")


def _line(n: int, label: str, t: dict) -> str:
    return (
        f"{n:>7} {label:<11}"
        + "".join(f"{t[c]:>8.2f}s" for c in COLUMNS)
        + f"{t['total']:>8.2f}s{t['cells']:>9}  {t['saved']}"
    )


if __name__ == "__main__":
    args = sys.argv[1:]
    main([int(a) for a in args if a != "--no-op"] or [1000, 20000], noop_only="--no-op" in args)
