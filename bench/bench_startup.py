"""Start-up time of the commands a person types and waits for, against a bare Python start.

    python bench/bench_startup.py [RUNS]     (default: 5; each figure is the median)

Side by side, each in a fresh interpreter (wall time of the whole process, measured here):

- bare Python (``python -c pass``): the floor;
- ``followsync --help`` and ``followsync --version`` (``python -m followsync ...``);
- ``followsync <cmd> --help`` for a command that computes (``run``);
- what every command paid before issue 17: importing the program whole (``followsync.run``
  and the outputs, as ``followsync.cli`` did), for the ratio of what lazy imports saved.

Then, for ``--help``, the heavy libraries ``python -X importtime`` shows it imported (none).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("pandas", "numpy", "gspread", "google.auth", "pyairtable", "matplotlib", "jinja2", "openpyxl",
         "imapclient", "babel", "dateparser")  # fmt: skip
WHOLE = "import followsync.cli, followsync.run, followsync.outputs.calendar, followsync.outputs.mail, followsync.outputs.today"

CASES = [
    ("bare python", ["-c", "pass"]),
    ("followsync --help", ["-m", "followsync", "--help"]),
    ("followsync --version", ["-m", "followsync", "--version"]),
    ("followsync run --help", ["-m", "followsync", "run", "--help"]),
    ("the program whole (before)", ["-c", WHOLE]),
]


#: as an installed copy runs: its bytecode compiled once (in a folder of its own, not the
#: worktree's), even where PYTHONDONTWRITEBYTECODE is set
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
ENV.update(PYTHONPATH=str(ROOT), PYTHONPYCACHEPREFIX=tempfile.mkdtemp(prefix="followsync-pyc-"))


def median_seconds(args: list[str], runs: int) -> float:
    env = ENV
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, *args], env=env, cwd=ROOT, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def heavy_imported(args: list[str]) -> list[str]:
    env = ENV
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *args], env=env, cwd=ROOT, capture_output=True, text=True
    )
    names = {
        line.rsplit("|", 1)[-1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:")
    }
    return sorted(h for h in HEAVY if any(n == h or n.startswith(h + ".") for n in names))


def main(runs: int = 5) -> None:
    for _label, args in CASES:
        median_seconds(args, 1)  # compile the bytecode, warm the file cache
    print(f"start-up, median of {runs} runs (python {sys.version.split()[0]})")
    bare = None
    for label, args in CASES:
        s = median_seconds(args, runs)
        bare = bare or s
        print(f"  {label:<28} {s:6.3f} s  {s / bare:5.1f}x bare python")
    found = heavy_imported(["-m", "followsync", "--help"])
    print(f"  heavy libraries imported by --help: {', '.join(found) if found else 'none'}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
