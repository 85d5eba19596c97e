"""Issue 19 on Google: a read asks only for what a run uses, in compact JSON, with one token per credentials file."""

from __future__ import annotations

import gspread.http_client
import pytest

from followsync import run as sync
from followsync.backends.google import auth as google_auth
from followsync.config import Config

from . import test_gsheets_backend as base
from .test_gsheets_backend import COL, NOW, backend, tracker

# the fixtures of the backend's tests
shared_emu, emu, key_path, _no_env = base.shared_emu, base.emu, base.key_path, base._no_env

RED, BLUE = "#F4CCCC", "#C9DAF8"


@pytest.fixture(autouse=True)
def _fresh_tokens():
    google_auth.forget_shared_credentials()
    yield
    google_auth.forget_shared_credentials()


def test_every_request_asks_for_compact_json(emu, key_path, monkeypatch):
    sent = []
    original = gspread.http_client.HTTPClient.request

    def record(self, method, endpoint, *args, **kwargs):
        sent.append((method, endpoint, dict(kwargs.get("params") or {})))
        return original(self, method, endpoint, *args, **kwargs)

    monkeypatch.setattr(gspread.http_client.HTTPClient, "request", record)
    sync.run(backend(emu, key_path, tracker(emu)), Config(), NOW, lock_timeout=5)
    assert {m for m, _, _ in sent} >= {"get", "post"}  # reads and the write
    assert all(p.get("prettyPrint") == "false" for _, _, p in sent), sent


def test_compact_json_is_smaller_than_what_google_sends_by_default(emu, key_path):
    b = backend(emu, key_path, tracker(emu))
    b.read()
    compact = emu.stats()["bytes_sent"]
    emu.reset_stats()
    params = {"fields": "sheets(data(rowData(values(effectiveValue))))", "includeGridData": "true"}
    b.http.session.request("GET", f"{emu.url}/v4/spreadsheets/{b.key}", params=params).raise_for_status()
    pretty = emu.stats()["bytes_sent"]
    emu.reset_stats()
    b.http.session.request(
        "GET", f"{emu.url}/v4/spreadsheets/{b.key}", params={**params, "prettyPrint": "false"}
    ).raise_for_status()
    assert emu.stats()["bytes_sent"] * 2 < pretty
    assert compact > 0


def test_backgrounds_come_for_the_colour_columns_only(emu, key_path):
    sid = tracker(emu)

    def paint(s):
        for r in range(0, 5):
            s.set_background(r, COL["Notes"], BLUE)  # the person's own colour: not asked for
        s.set_background(1, COL["Due"], RED)

    emu.edit(sid, "Tracker", paint)
    b = backend(emu, key_path, sid)
    emu.reset_stats()
    snap = b.read()
    assert snap.fills == {(1, COL["Due"]): RED}
    by_path = emu.stats()["by_path"]
    assert by_path == {"/v4/spreadsheets/{id}": 2, "/v4/spreadsheets/{id}/values:batchGet": 1}


def test_trackers_with_the_same_credentials_share_one_token(emu, key_path):
    sids = [tracker(emu) for _ in range(4)]
    emu.reset_stats()
    for sid in sids:
        sync.run(backend(emu, key_path, sid), Config(), NOW, lock_timeout=5)
    assert emu.stats()["token_requests"] == 1
    assert emu.stats()["by_method"].get("POST") == 2 * len(sids)  # each tracker written, its row stamps removed


def test_other_credentials_or_a_replaced_file_get_their_own_token(emu, key_path, tmp_path):
    sid = tracker(emu)
    other = tmp_path / "other.json"
    emu.write_key_file(other)
    emu.reset_stats()
    backend(emu, key_path, sid).read()
    backend(emu, other, sid).read()
    assert emu.stats()["token_requests"] == 2
    key_path.write_text(key_path.read_text() + "\n")  # a new key saved over the old one
    backend(emu, key_path, sid).read()
    assert emu.stats()["token_requests"] == 3
