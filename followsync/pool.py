"""``[[trackers]]`` a few at a time (issue 17): a coach's fifty Sheets wait on the network
together, not one after another.

:func:`run_pooled` runs one function per tracker in a small thread pool (``parallel`` in
followsync.toml, 4 by default) and gives the results back in the configured order, whatever
order they finished in. What a store allows decides what may overlap, tracker by tracker
(:func:`lane_of`):

- **Airtable** allows 5 requests a second per base (and 429 with a 30 s lockout past it), and
  each backend paces itself alone, so trackers of one base run one after another; trackers of
  different bases run together, at most :data:`AIRTABLE_BASES_AT_ONCE` (a token may make 50
  requests a second in all: https://support.airtable.com/docs/managing-api-call-limits-in-airtable).
- **Google Sheets** counts 60 read and 60 write requests a minute per user per project
  (https://developers.google.com/workspace/sheets/api/limits; 429 past it, which the backend
  retries with backoff), so at most :data:`GOOGLE_AT_ONCE` trackers of one credentials file run
  at once; trackers of one spreadsheet, one after another.
- **.xlsx** files are read and computed by Python itself, where threads only take turns (and
  openpyxl's warnings, which tell the rewrite what a load dropped, are caught process-wide),
  so local files run one after another, beside the network stores.

Each tracker still runs under its own lock (``run.tracker_lock``), as it did in sequence.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from .backends import kind_of
from .config import Config, TrackerSpec

#: trackers of one Google credentials file at once (Google counts requests per user a minute)
GOOGLE_AT_ONCE = 4
#: Airtable bases at once: each paced to 5 requests a second, under a token's 50 in all
AIRTABLE_BASES_AT_ONCE = 8
#: how many trackers of one limit (the second of :func:`lane_of`) may run at once
AT_ONCE = {"google": GOOGLE_AT_ONCE, "airtable": AIRTABLE_BASES_AT_ONCE}

T = TypeVar("T")


def lane_of(spec: TrackerSpec, config: Config) -> tuple[str, str | None]:
    """``(lane, limit)``: trackers of one lane run one after another; of one ``limit``, at most
    its store's :data:`AT_ONCE` at once (None: no limit beyond the pool's)."""
    kind = kind_of(spec.location)
    if kind == "airtable":
        base = spec.location.removeprefix("airtable:").split("/", 1)[0]
        token = config.airtable_token_file or ""
        return f"airtable:{base}", f"airtable:token:{token}"
    if kind == "google":
        from .backends.google.location import parse_location

        key = (parse_location(spec.location) or (spec.location, None))[0]
        credentials = config.google_credentials or os.environ.get("FOLLOWSYNC_GOOGLE_CREDENTIALS") or ""
        return f"google:{key}", f"google:credentials:{credentials}"
    return "xlsx", None


def lanes(specs: Sequence[TrackerSpec], config: Config) -> list[list[int]]:
    """The trackers (by index) of each lane, lanes and trackers in the configured order."""
    out: dict[str, list[int]] = {}
    for i, spec in enumerate(specs):
        out.setdefault(lane_of(spec, config)[0], []).append(i)
    return list(out.values())


def run_pooled(
    specs: Sequence[TrackerSpec],
    config: Config,
    run_one: Callable[[TrackerSpec], T],
    *,
    workers: int | None = None,
    progress: Callable[[TrackerSpec], None] | None = None,
) -> list[T]:
    """``run_one(spec)`` for every tracker, at most ``workers`` (default ``config.parallel``) at
    once and within each store's limits; the results in the order of ``specs``.

    ``progress(spec)`` is called as each finishes, one call at a time. An exception ``run_one``
    does not catch stops the lanes from starting another tracker and is raised once the
    running ones have finished.
    """
    workers = config.parallel if workers is None else workers
    groups = lanes(specs, config)
    if workers <= 1 or len(groups) <= 1:  # nothing could overlap: in this thread, as always
        results = []
        for spec in specs:
            results.append(run_one(spec))
            if progress:
                progress(spec)
        return results
    return _in_threads(specs, config, run_one, groups, min(workers, len(groups)), progress)


def _in_threads(
    specs: Sequence[TrackerSpec],
    config: Config,
    run_one: Callable[[TrackerSpec], T],
    groups: list[list[int]],
    workers: int,
    progress: Callable[[TrackerSpec], None] | None,
) -> list[T]:
    """:func:`run_pooled`'s threads: one task per lane, a semaphore per limit."""
    limits: dict[str, threading.Semaphore] = {}
    for spec in specs:
        limit = lane_of(spec, config)[1]
        if limit is not None:
            limits.setdefault(limit, threading.Semaphore(AT_ONCE[limit.split(":", 1)[0]]))
    done: dict[int, T] = {}
    said = threading.Lock()
    stop = threading.Event()

    def lane(indices: list[int]) -> None:
        for i in indices:
            if stop.is_set():
                return
            limit = lane_of(specs[i], config)[1]
            try:
                with limits[limit] if limit is not None else contextlib.nullcontext():
                    done[i] = run_one(specs[i])
            except BaseException:
                stop.set()
                raise
            if progress:
                with said:
                    progress(specs[i])

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="followsync") as pool:
        futures = [pool.submit(lane, g) for g in groups]
        try:
            for f in futures:
                f.result()
        except BaseException:
            stop.set()
            raise
    return [done[i] for i in range(len(specs))]
