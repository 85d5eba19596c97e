"""The read tracker kept out of the garbage collector's full passes during a run (issue 17).

A run reads the whole workbook (a 50,000-row tracker is millions of objects), then builds its
frames, plans and drafts, allocating enough for CPython to start several full collections; each
walked every object of the read again, though none of them can be garbage while the run holds
the read. That was about a tenth of a no-op run's time on a large ``.xlsx``.

:func:`read_objects_frozen` moves what exists when it is entered (the read) to the permanent
generation (:func:`gc.freeze`), so full collections look only at what the run makes after it,
and gives it back (:func:`gc.unfreeze`) when the last run inside it leaves. It changes no
result: a frozen object still goes the moment nothing refers to it; only a reference cycle
among the frozen waits for the unfreeze. Runs of ``[[trackers]]`` may overlap in threads
(:mod:`followsync.pool`), so the first in freezes and the last out unfreezes; a process that
froze objects itself (gc.get_freeze_count() already non-zero) is left as it is.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_inside = 0  # runs inside read_objects_frozen that froze


@contextmanager
def read_objects_frozen() -> Iterator[None]:
    """Freeze every object alive now for the duration (see the module's docstring)."""
    global _inside
    with _lock:
        mine = _inside > 0 or not gc.get_freeze_count()  # another's freeze is not ours to undo
        if mine:
            gc.freeze()  # for a second run too: its read joins the first's
            _inside += 1
    try:
        yield
    finally:
        if mine:
            with _lock:
                _inside -= 1
                if _inside == 0:
                    gc.unfreeze()
