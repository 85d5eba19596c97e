"""The Summary on Google Sheets is updated in place (issue 19): only the cells that changed,
never a deleteSheet + addSheet, so its sheetId (and a person's formulas pointing at it) stay."""

from __future__ import annotations

import datetime as dt

import pytest

from followsync import run as sync
from followsync.backends.google import writer
from followsync.config import Config

from ...conftest import NOW
from ...emulators.google import GoogleEmulator
from ..contract import demo_grid, plain
from .test_gsheets_backend import backend


@pytest.fixture(scope="module")
def emu():
    with GoogleEmulator(latency=0.0) as e:
        yield e


@pytest.fixture
def key_path(emu, tmp_path, monkeypatch):
    monkeypatch.delenv("FOLLOWSYNC_GOOGLE_CREDENTIALS", raising=False)
    monkeypatch.delenv("FOLLOWSYNC_GOOGLE_API_URL", raising=False)
    path = tmp_path / "sa.json"
    emu.write_key_file(path)
    return path


def _spy(monkeypatch) -> list[list[dict]]:
    """The other-worksheet requests of each batchUpdate a run sends."""
    sent: list[list[dict]] = []
    real = writer.sheet_requests

    def spy(*args, **kwargs):
        reqs, foreign = real(*args, **kwargs)
        sent.append(reqs)
        return reqs, foreign

    monkeypatch.setattr(writer, "sheet_requests", spy)
    return sent


def _summary(emu, sid):
    return next(s for s in emu.spreadsheet(sid).sheets if s.title == "Summary")


def test_a_changed_figure_updates_the_summary_in_place_keeping_its_sheet_id(emu, key_path, monkeypatch):
    sid = emu.create_spreadsheet("Jobs", {"Tracker": demo_grid()})
    sent = _spy(monkeypatch)
    first = sync.run(backend(emu, key_path, sid), Config(), NOW, lock_timeout=1)
    assert first.applied is not None
    made = _summary(emu, sid)
    sheet_id, index = made.sheet_id, made.index
    assert index == 0  # the first tab a coach sees
    assert [k for reqs in sent for r in reqs for k in r] == ["addSheet", "appendCells", "addChart"]
    sent.clear()

    later = sync.run(backend(emu, key_path, sid), Config(), NOW + dt.timedelta(days=9), lock_timeout=1)
    [write] = [sw for sw in later.changes.sheets if sw.name == "Summary"]
    kinds = [k for reqs in sent for r in reqs for k in r]
    assert "deleteSheet" not in kinds and "addSheet" not in kinds and "appendCells" not in kinds
    assert set(kinds) <= {"updateCells", "appendDimension", "deleteEmbeddedObject", "addChart"}
    written = sum(
        len(row.get("values", []))
        for reqs in sent
        for r in reqs
        if "updateCells" in r
        for row in r["updateCells"].get("rows", [])
    )
    assert written == len(write.cells) < sum(len(r) for r in plain(emu.values(sid, "Summary")))
    now = _summary(emu, sid)
    assert (now.sheet_id, now.index) == (sheet_id, 0)
    assert len([s for s in emu.spreadsheet(sid).sheets if s.title.casefold() == "summary"]) == 1
    from followsync.outputs.summary_sheet import summary_sheet

    assert later.summary is not None
    want = summary_sheet(later.summary)
    assert plain(emu.values(sid, "Summary")) == plain([want.header, *want.rows])


def test_an_unchanged_summary_sends_no_summary_request(emu, key_path, monkeypatch):
    sid = emu.create_spreadsheet("Jobs", {"Tracker": demo_grid()})
    sync.run(backend(emu, key_path, sid), Config(), NOW, lock_timeout=1)
    sent = _spy(monkeypatch)
    emu.reset_stats()
    # The same day an hour on: only the "Updated" line could differ, and it alone writes nothing.
    again = sync.run(backend(emu, key_path, sid), Config(), NOW + dt.timedelta(hours=1), lock_timeout=1)
    assert not again.changes.sheets and sent == []
    assert emu.stats()["by_method"].get("POST") is None  # no batchUpdate at all
