"""One job of bench_xlsx's no-op side by side, in a process of its own: its time and peak memory.

    python -m bench.noop_child followsync|peer|floor PATH

Each job imports only what it uses, so that its peak memory (ru_maxrss) is its own.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path


def child_noop(path: str) -> dict:
    """followsync's no-op run on ``path`` (already synced)."""
    from bench.bench_xlsx import NOW
    from followsync import run as sync
    from followsync.backends.xlsx.backend import XlsxBackend
    from followsync.config import Config

    backend = XlsxBackend(path)
    start, cpu = time.perf_counter(), time.process_time()
    result = sync.run(backend, Config(), NOW, force=True)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {"seconds": seconds, "cpu": cpu, "cells": len(result.changes.cells) + len(result.changes.fills)}


def child_peer(path: str) -> dict:
    """The plain peer: what an openpyxl script does for the same job on a day with nothing to do."""
    import openpyxl

    from followsync.core.layout import load as load_layout

    layout = load_layout()
    owned_names = {lc.column.name for lc in layout.columns if lc.column.owner != "user"}
    start, cpu = time.perf_counter(), time.process_time()
    wb = openpyxl.load_workbook(path)
    ws = wb[layout.worksheet]
    rows = ws.iter_rows()
    header = [c.value for c in next(rows)]
    owned = [i for i, name in enumerate(header) if name in owned_names]
    colours = [header.index(name) for name in ("Next action", "Due") if name in header]
    seen = 0
    for row in rows:
        values = [c.value for c in row]
        seen += sum(1 for i in colours if row[i].fill.fill_type == "solid")
        for i in owned:
            row[i].value = values[i]  # the same value again: nothing to change
    out = Path(path).with_suffix(".peer.xlsx")
    wb.save(out)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    out.unlink()
    return {"seconds": seconds, "cpu": cpu, "cells": 0, "fills": seen}


def child_floor(path: str) -> dict:
    """The floor: unzip the worksheet part and parse it with expat, nothing else."""
    import zipfile
    from xml.parsers import expat

    start, cpu = time.perf_counter(), time.process_time()
    with zipfile.ZipFile(path) as z:
        data = z.read("xl/worksheets/sheet1.xml")
    expat.ParserCreate().Parse(data, True)
    return {"seconds": time.perf_counter() - start, "cpu": time.process_time() - cpu, "cells": 0}


CHILDREN = {"followsync": child_noop, "peer": child_peer, "floor": child_floor}


def peak_mib() -> float:
    """This process's peak resident memory. VmHWM starts afresh at exec; ru_maxrss keeps the
    forking parent's peak, which would count the bench's own memory in every job."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if __name__ == "__main__":
    result = CHILDREN[sys.argv[1]](sys.argv[2])
    result["peak_mib"] = peak_mib()
    print(json.dumps(result))
