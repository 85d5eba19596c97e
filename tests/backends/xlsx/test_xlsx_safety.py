"""Issue 12, cases 1 and 3 on a real .xlsx: a person's save during a run is never lost, and
the tracker and its .bak keep their owner, group and mode."""

from __future__ import annotations

import os
import stat

import pytest

from followsync import run as sync
from followsync.backends.xlsx import backend as xlsx_backend
from followsync.config import Config
from followsync.core import schema
from followsync.errors import TrackerBusy, TrackerUnreadable

from ...conftest import NOW
from ..contract import demo_grid, read_back
from .test_xlsx_contract import XlsxHarness

MINE = "Dear Ms. Jones, my own words, typed while followsync ran. Best regards, Alex"


def run(backend):
    return sync.run(backend, Config(), NOW, lock_timeout=2)


def cell_of(harness, company, column):
    t = read_back(harness.grid())
    row = t.frame[t.frame["company"] == company].index[0]
    value = t.frame[schema.BY_NAME[column].key].iat[row]
    return None if value is None or value == "" else value


def set_cell(company, column, value):
    def edit(g):
        h = g[0]
        for row in g[1:]:
            if row[h.index("Company")] == company:
                row[h.index(column)] = value
        return g

    return edit


@pytest.fixture
def synced(tmp_path):
    """A demo tracker after one run, and a company whose draft the next run will rewrite."""
    harness = XlsxHarness(tmp_path / "tracker.xlsx")
    backend = harness.make(demo_grid())
    run(backend)
    frame = read_back(harness.grid()).frame
    company = next(
        c
        for c, a in zip(frame["company"], frame["draft_message"], strict=True)
        if a and cell_of(harness, c, "Next action") == "Follow up"
    )
    harness.edit(set_cell(company, "Talking points", "the new data platform and its roadmap"))
    return harness, backend, company


def test_a_draft_typed_during_the_run_is_kept(synced):
    harness, backend, company = synced
    harness.between(lambda: harness.edit(set_cell(company, "Draft message", MINE)))
    result = run(backend)
    assert cell_of(harness, company, "Draft message") == MINE
    assert result.applied is not None  # the rest was written, from the second read
    assert not run(backend).changes.cells


def test_a_save_in_the_last_moment_before_the_rename_is_kept(synced, monkeypatch):
    harness, backend, company = synced
    real = xlsx_backend.XlsxBackend._changed_on_disk
    saved = []
    real_replace = xlsx_backend.XlsxBackend._replace

    def replace(self, tmp, target):
        def late_check(_self=self):
            changed = real(_self)
            if not saved:  # the person saves right after followsync's last look
                saved.append(True)
                harness.edit(set_cell(company, "Draft message", MINE))
            return changed

        monkeypatch.setattr(self, "_changed_on_disk", late_check)
        try:
            return real_replace(self, tmp, target)
        finally:
            monkeypatch.delattr(self, "_changed_on_disk")

    monkeypatch.setattr(xlsx_backend.XlsxBackend, "_replace", replace)
    before = harness.path.read_bytes()
    run(backend)
    assert saved
    assert cell_of(harness, company, "Draft message") == MINE
    # the .bak is the file as it was just before followsync's write: the person's save
    bak = harness.path.with_name(harness.path.name + ".bak").read_bytes()
    assert bak != before
    assert MINE in str(read_back_bytes(bak, harness.path.parent))


def read_back_bytes(data, folder):
    path = folder / "bak-copy.xlsx"
    path.write_bytes(data)
    return XlsxHarness(path).grid()


def test_a_file_that_keeps_changing_stops_the_run_with_nothing_written(synced, monkeypatch):
    harness, backend, company = synced
    real_apply = backend.apply
    count = []

    def apply(changes, **kw):
        count.append(1)
        harness.edit(set_cell(company, "Notes", f"edit {len(count)}"))
        return real_apply(changes, **kw)

    backend.apply = apply
    with pytest.raises(TrackerBusy, match="during each of 3 tries; nothing was written"):
        run(backend)
    assert len(count) == sync.READ_ATTEMPTS
    assert cell_of(harness, company, "Notes") == "edit 3"


@pytest.mark.skipif(os.geteuid() != 0, reason="changing a file's owner takes root")
def test_a_run_as_root_keeps_owner_group_and_mode_of_tracker_and_bak(synced):
    harness, backend, company = synced
    os.chown(harness.path, 1234, 2345)
    os.chmod(harness.path, 0o640)
    run(backend)
    for path in (harness.path, harness.path.with_name(harness.path.name + ".bak")):
        st = os.stat(path)
        assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (1234, 2345, 0o640), path


def test_a_read_only_tracker_is_refused(synced):
    harness, backend, company = synced
    os.chmod(harness.path, 0o444)
    before = harness.path.read_bytes()
    with pytest.raises(TrackerUnreadable, match=r"(?s)read-only \(mode 0444\).*chmod u\+w"):
        run(backend)
    assert harness.path.read_bytes() == before
