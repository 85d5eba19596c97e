"""What a run remembers of the run before it, for dating a Mark sent tick (core/ticks.py).

The tracker holds no trace of a run that changed nothing (invariant 2: a no-op run writes
nothing), so the previous run is remembered beside the inbox's state: one small JSON file per
tracker under ``$FOLLOWSYNC_STATE_DIR``, else the user state folder. Written after each run
that was not a dry run; a file that is missing or unreadable is a first run.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Iterable
from pathlib import Path

from .backends.base import Backend
from .config import state_dir
from .core.schema import Tracker
from .core.ticks import PreviousRun
from .outputs.files import atomic_write

log = logging.getLogger(__name__)


def stamp_path(backend: Backend) -> Path:
    """The file that remembers ``backend``'s last run."""
    return state_dir("runs") / (hashlib.sha1(backend.lock_name().encode()).hexdigest()[:16] + ".json")


def load(backend: Backend) -> PreviousRun | None:
    """The previous run of this tracker, or None when there was none (or it is not known)."""
    try:
        data = json.loads(stamp_path(backend).read_text(encoding="utf-8"))
        return PreviousRun(
            dt.date.fromisoformat(data["day"]), frozenset(str(t).lower() for t in data.get("ticked", []))
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def save(backend: Backend, now: dt.datetime, ticked: Iterable[str]) -> None:
    """Remember this run: its day and the IDs whose Mark sent is still ticked. A folder that
    can't be written is logged and the run goes on (the next tick is then dated today)."""
    data = {
        "day": now.date().isoformat(),
        "at": now.isoformat(),
        "ticked": sorted({t.lower() for t in ticked if t}),
    }
    try:
        atomic_write(stamp_path(backend), json.dumps(data).encode())
    except OSError as e:
        log.warning("could not remember this run in %s: %s", stamp_path(backend).parent, e)


def still_ticked(tracker: Tracker) -> list[str]:
    """The IDs whose Mark sent a run left ticked (a row it could not record)."""
    frame = tracker.frame
    ticked = frame["mark_sent"].fillna(False).to_numpy(dtype=bool)
    return [str(i) for i, t in zip(frame["id"].tolist(), ticked, strict=True) if t and i]
