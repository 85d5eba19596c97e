"""The ``followsync run --json`` shape, pinned: every key and the type of its value.

Scripts read this output (README documents it), so a change here is a change of
``JSON_VERSION``. The runs are of the demo tracker, of one with a Problem, and of one missing.
"""

from __future__ import annotations

import json

from followsync import run as sync
from followsync.backends.xlsx.backend import XlsxBackend
from followsync.config import Config, TrackerSpec
from followsync.core.layout import demo_rows
from followsync.core.layout import load as load_layout
from followsync.outputs import digest

from ..conftest import NOW, TODAY

TOP = {"version": int, "now": str, "exit_code": int, "trackers": list}
TRACKER = {
    "name": str,
    "location": str,
    "ok": bool,
    "exit_code": int,
    "error": (str, type(None)),
    "sheet": (str, type(None)),
    "rows": int,
    "cells_changed": int,
    "written": bool,
    "dry_run": bool,
    "due": dict,
    "actions": list,
    "problems": list,
    "skipped": list,
}
ACTION = {
    "row": int,
    "id": str,
    "company": str,
    "job_title": str,
    "next_action": str,
    "due": (str, type(None)),
    "urgency": str,
    "reminder": str,
    "subject": str,  # the row's draft, to send from a script
    "message": str,
}
PROBLEM = {
    "sheet": str,
    "row": (int, type(None)),
    "column": (str, type(None)),
    "message": str,
    "fix": (str, type(None)),
}


def assert_shape(value: dict, shape: dict) -> None:
    assert set(value) == set(shape)
    for key, kind in shape.items():
        assert isinstance(value[key], kind), (key, value[key])


def run_json(tmp_path, rows_of: dict) -> dict:
    specs = []
    for name, rows in rows_of.items():
        path = tmp_path / f"{name}.xlsx"
        if rows is not None:
            XlsxBackend(path).create(load_layout(), rows)
        specs.append(TrackerSpec(name, str(path)))
    outcomes = sync.run_all(specs, Config(), NOW)
    # What the CLI prints: the dict survives json, unchanged.
    data = json.loads(json.dumps(digest.to_json(outcomes, NOW)))
    assert data == digest.to_json(outcomes, NOW)
    return data


def test_the_json_of_a_run_has_a_fixed_shape(tmp_path):
    copied = demo_rows(TODAY)
    data = run_json(tmp_path, {"demo": demo_rows(TODAY), "copied": copied + copied[:1], "gone": None})
    assert_shape(data, TOP)
    assert data["version"] == digest.JSON_VERSION == 1
    assert data["now"] == NOW.isoformat()
    assert data["exit_code"] == 3  # the missing tracker: the worst of the three
    ok, copied_, gone = data["trackers"]
    for entry in data["trackers"]:
        assert_shape(entry, TRACKER)
        assert set(entry["due"]) == {"overdue", "today", "soon"}
        assert all(isinstance(n, int) for n in entry["due"].values())
        assert all(isinstance(s, str) for s in entry["skipped"])
        for action in entry["actions"]:
            assert_shape(action, ACTION)
        for problem in entry["problems"]:
            assert_shape(problem, PROBLEM)
    assert ok["ok"] and ok["error"] is None and ok["sheet"] == "Tracker" and ok["written"]
    assert ok["actions"] and all(a["due"] for a in ok["actions"])
    assert copied_["problems"] and copied_["exit_code"] == 1
    assert not gone["ok"] and gone["exit_code"] == 3 and gone["sheet"] is None and gone["rows"] == 0
    assert "gone.xlsx" in gone["error"]
