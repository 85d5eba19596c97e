"""Issue 17: ``[[trackers]]`` a few at a time, within each store's limits (followsync/pool.py).

End to end, the real gspread and pyairtable clients talk to the loopback emulators; each
tracker's run is recorded as start and end events, and the emulators' request hooks hold a
tracker until another has started, so overlap is shown by events, never by the clock.
"""

from __future__ import annotations

import json
import threading

import pytest
from click.testing import CliRunner

from followsync import cli, pool
from followsync import run as sync
from followsync.config import Config, TrackerSpec

from .emulators.airtable import AirtableEmulator
from .emulators.google import GoogleEmulator

BASE, TOKEN = "appPOOLBASE000001", "pool-token"
WAIT = 10.0  # seconds a hook waits for an event that, pooled, comes at once


def invoke(*args):
    return CliRunner().invoke(cli.main, list(args), catch_exceptions=False)


class Timeline:
    """Start and end events of each tracker's run, in the order they happened."""

    def __init__(self, monkeypatch):
        self.events: list[tuple[str, str]] = []
        self._seen: dict[tuple[str, str], threading.Event] = {}
        self._lock = threading.Lock()
        real = sync.run

        def recorded(backend, config, now, **kw):
            self._say("start", kw.get("name", ""))
            try:
                return real(backend, config, now, **kw)
            finally:
                self._say("end", kw.get("name", ""))

        monkeypatch.setattr(sync, "run", recorded)

    def _say(self, what: str, name: str) -> None:
        with self._lock:
            self.events.append((what, name))
        self.event(name, what).set()

    def event(self, name: str, what: str = "start") -> threading.Event:
        """Set once ``name``'s run has reached ``what`` (start or end)."""
        with self._lock:
            return self._seen.setdefault((what, name), threading.Event())

    def overlapped(self, a: str, b: str) -> bool:
        """Whether ``a`` and ``b`` were running at the same moment."""
        running: set[str] = set()
        for what, name in self.events:
            if what == "start":
                running.add(name)
                if {a, b} <= running:
                    return True
            else:
                running.discard(name)
        return False


@pytest.fixture
def stores(tmp_path, monkeypatch):
    """A Google Sheet, two tables of one Airtable base and a missing .xlsx, in [[trackers]]."""
    with GoogleEmulator() as google, AirtableEmulator(BASE, TOKEN, rate_limit=None, latency=0.02) as airtable:
        key = tmp_path / "sa.json"
        google.write_key_file(key)
        monkeypatch.chdir(tmp_path)
        monkeypatch.setenv("FOLLOWSYNC_GOOGLE_API_URL", google.url)
        monkeypatch.setenv("FOLLOWSYNC_GOOGLE_CREDENTIALS", str(key))
        monkeypatch.setenv("FOLLOWSYNC_AIRTABLE_API_URL", airtable.url)
        monkeypatch.setenv("FOLLOWSYNC_AIRTABLE_TOKEN", TOKEN)
        monkeypatch.setenv("FOLLOWSYNC_NOW", "2026-11-25T09:00")
        sid = google.create_spreadsheet("Sam's job search")
        locations = {
            "sam": f"https://docs.google.com/spreadsheets/d/{sid}/edit#gid=0",
            "ana": f"airtable:{BASE}/Ana",
            "ben": f"airtable:{BASE}/Ben",
        }
        for location in locations.values():
            assert invoke("init", location, "--demo").exit_code == 0
        locations["gone"] = str(tmp_path / "gone.xlsx")
        (tmp_path / "followsync.toml").write_text(
            "".join(f'[[trackers]]\nname = "{n}"\nlocation = "{loc}"\n\n' for n, loc in locations.items()),
            encoding="utf-8",
        )
        yield google, airtable, locations


def test_trackers_overlap_across_stores_but_never_on_one_airtable_base(stores, monkeypatch):
    google, airtable, names = stores
    timeline = Timeline(monkeypatch)
    held = threading.Event()

    def hold_google(method, path, n):  # the Sheet's first request waits for an Airtable tracker
        if not held.is_set():
            held.set()
            timeline.event("ana").wait(WAIT)

    google.on_request(hold_google)
    done = invoke("run", "--json")
    assert done.exit_code == 3, done.output  # the worst of them: the missing file
    assert [t["name"] for t in json.loads(done.output)["trackers"]] == list(names)  # as configured
    assert timeline.overlapped("sam", "ana")  # the pool ran the Sheet and the base together
    assert not timeline.overlapped("ana", "ben")  # one base: one after another
    assert {("end", "ana"), ("end", "ben"), ("end", "sam")} <= set(timeline.events)


def test_text_output_keeps_the_configured_order(stores, monkeypatch):
    google, airtable, names = stores
    timeline = Timeline(monkeypatch)

    def hold_google(method, path, n):  # the Sheet, first in the config, finishes last
        timeline.event("ben", "end").wait(WAIT)

    google.on_request(hold_google)
    done = invoke("run", "--dry-run")
    assert done.exit_code == 3
    assert timeline.events.index(("end", "ben")) < timeline.events.index(("end", "sam"))
    where = [names["sam"].split("/d/")[1].split("/")[0], "/Ana", "/Ben"]
    shown = [done.stdout.find(w) for w in where]
    assert -1 not in shown and shown == sorted(shown), done.stdout


def _specs(n: int, location: str) -> list[TrackerSpec]:
    return [TrackerSpec(f"t{i}", location.format(i=i)) for i in range(n)]


def _gathering(target: int):
    """A run_one that waits (up to WAIT) for ``target`` runs at once; it records the most seen."""
    lock, enough = threading.Lock(), threading.Event()
    seen = {"now": 0, "most": 0}

    def run_one(spec: TrackerSpec) -> str:
        with lock:
            seen["now"] += 1
            seen["most"] = max(seen["most"], seen["now"])
            if seen["now"] >= target:
                enough.set()
        enough.wait(WAIT)
        # Held a moment longer, so a run the limit should keep out would show, as one more at once.
        threading.Event().wait(0.2)
        with lock:
            seen["now"] -= 1
        return spec.name

    return run_one, seen


def test_google_trackers_of_one_credentials_run_at_most_four_at_once():
    specs = _specs(9, "https://docs.google.com/spreadsheets/d/1Sheet{i}xxxxxxxxxxxxxxxxxxxxxxxxxx/edit")
    run_one, seen = _gathering(pool.GOOGLE_AT_ONCE)
    order: list[str] = []
    results = pool.run_pooled(specs, Config(parallel=8), run_one, progress=lambda s: order.append(s.name))
    assert results == [s.name for s in specs]
    assert seen["most"] == pool.GOOGLE_AT_ONCE
    assert sorted(order) == sorted(results)  # progress once per tracker


def test_results_come_back_in_the_configured_order_whatever_finishes_first():
    specs = [TrackerSpec(f"t{i}", f"airtable:appBASE{i:012d}/T") for i in range(3)]
    last = threading.Event()

    def run_one(spec: TrackerSpec) -> str:
        if spec.name == "t0":
            last.wait(WAIT)  # the first finishes last
        if spec.name == "t2":
            last.set()
        return spec.name

    assert pool.run_pooled(specs, Config(parallel=3), run_one) == ["t0", "t1", "t2"]
    assert last.is_set()


def test_xlsx_files_and_parallel_1_run_one_after_another(tmp_path):
    run_one, seen = _gathering(2)
    files = _specs(3, str(tmp_path / "t{i}.xlsx"))
    assert pool.run_pooled(files, Config(parallel=4), run_one) == ["t0", "t1", "t2"]
    assert seen["most"] == 1
    run_one, seen = _gathering(2)
    bases = [TrackerSpec(f"t{i}", f"airtable:appBASE{i:012d}/T") for i in range(3)]
    pool.run_pooled(bases, Config(parallel=1), run_one)
    assert seen["most"] == 1


def test_a_bug_in_one_tracker_is_raised_after_the_running_ones_finish():
    specs = [TrackerSpec("t0", "airtable:appBASE000000000000/T"), TrackerSpec("t1", "airtable:appBASE000000000001/T"),
             TrackerSpec("t2", "airtable:appBASE000000000001/U")]  # fmt: skip
    started, raised, finished = threading.Event(), threading.Event(), []

    def run_one(spec: TrackerSpec) -> str:
        if spec.name == "t0":
            started.wait(WAIT)
            raised.set()
            raise RuntimeError("a bug")
        started.set()
        raised.wait(WAIT)
        finished.append(spec.name)
        return spec.name

    with pytest.raises(RuntimeError, match="a bug"):
        pool.run_pooled(specs, Config(parallel=2), run_one)
    assert finished == ["t1"]  # t1 was running and finished; t2, of its lane, never started


def test_the_parallel_setting(tmp_path):
    from followsync import config as config_mod
    from followsync.errors import ConfigError

    path = tmp_path / "followsync.toml"
    assert config_mod.Config().parallel == 4
    path.write_text("parallel = 1\n", encoding="utf-8")
    assert config_mod.load(path).parallel == 1
    path.write_text("parallel = 0\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="parallel"):
        config_mod.load(path)


def test_airtable_bases_of_one_token_run_at_most_eight_at_once():
    specs = [TrackerSpec(f"t{i}", f"airtable:appBASE{i:012d}/T") for i in range(10)]
    run_one, seen = _gathering(pool.AIRTABLE_BASES_AT_ONCE)
    assert pool.run_pooled(specs, Config(parallel=16), run_one) == [s.name for s in specs]
    assert seen["most"] == pool.AIRTABLE_BASES_AT_ONCE
