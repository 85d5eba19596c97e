"""The Google Sheets backend with the real gspread, google-auth and requests, against the loopback emulator.

Requests are counted by the emulator (``emu.stats()``), never by the backend itself; a coach's edit
"between two requests" is played with ``emu.on_request``, which runs before a given request is
handled. Retries use an injected sleep, so the tests assert the waits asked for, not wall time.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import stat

import pandas as pd
import pytest

from followsync import run as sync
from followsync.backends.google.auth import load_credentials, store_token
from followsync.backends.google.backend import GoogleSheetsBackend, parse_location
from followsync.config import Config
from followsync.core import cells, schema
from followsync.core.changes import CellWrite, ChangeSet, FillWrite, RowRef
from followsync.core.layout import load as load_layout
from followsync.errors import AuthError, RemoteError, TrackerError, TrackerNotFound, UsageError

from ...conftest import NOW
from ...emulators.google import SERVICE_ACCOUNT_EMAIL, GoogleEmulator
from ..contract import BackendContract, Harness

KEY = "1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms"
# The columns a first run adds (Inbox only comes with [inbox]'s first write).
OWNED = [n for n in schema.OWNED_NAMES if n not in schema.ADDED_WHEN_WRITTEN]
HEADER = ["ID", "Company", "Job title", "Interview at", "Interviewer phone", "Notes", *OWNED]
COL = {n: i for i, n in enumerate(HEADER)}
RED = "#F4CCCC"
BLUE = "#CFE2F3"


#: Calls every apply that writes rows adds (issue 11): one read of where the row stamps landed,
#: one batchUpdate removing them.
CHECK, TIDY = 1, 1


def row(ident, company, interview=None, phone=None, notes=None):
    return [ident, company, "Engineer", interview, phone, notes]


ROWS = [
    row("a-1", "Acme", dt.date(2026, 11, 20), "0049 30 1234"),
    row("b-2", "Beta", dt.date(2026, 11, 18), "+44 20 7946", "=1/0"),
    row("c-3", "Cobalt", dt.date(2026, 11, 16)),
    row("d-4", "Delta", dt.date(2026, 11, 10)),
]


class Sleeps(list):
    """An injected sleep: records each wait instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture(scope="module")
def shared_emu():
    with GoogleEmulator(latency=0.0) as e:
        yield e


@pytest.fixture
def emu(shared_emu):
    """The module's emulator (stopping one takes half a second), with counts and hooks reset per test.

    Tests that leave lasting state (a revoked account, unused failure rules) use ``fresh_emu``.
    """
    shared_emu.reset_stats()
    yield shared_emu
    shared_emu.on_request(None)


@pytest.fixture
def fresh_emu():
    with GoogleEmulator(latency=0.0) as e:
        yield e


@pytest.fixture
def key_path(emu, tmp_path):
    path = tmp_path / "sa.json"
    emu.write_key_file(path)
    return path


@pytest.fixture(autouse=True)
def _no_env(monkeypatch):
    monkeypatch.delenv("FOLLOWSYNC_GOOGLE_CREDENTIALS", raising=False)
    monkeypatch.delenv("FOLLOWSYNC_GOOGLE_API_URL", raising=False)


def backend(emu, key_path, sid, **kw) -> GoogleSheetsBackend:
    kw.setdefault("timeout", 5)
    b = GoogleSheetsBackend(sid, credentials_path=key_path, api_url=emu.url, **kw)
    b.retry.sleep = Sleeps()
    b.retry.random = lambda: 0.5
    return b


def tracker(emu, rows=ROWS, header=HEADER, title="Tracker", **more) -> str:
    return emu.create_spreadsheet("Jobs", {title: [header, *rows], **more})


def api_calls(emu) -> int:
    return emu.stats()["requests"]


def writes(emu) -> int:
    return sum(n for m, n in emu.stats()["by_method"].items() if m != "GET")


def actions_for_every_row(snap, ids=("a-1", "b-2", "c-3", "d-4")) -> ChangeSet:
    """Next action "do <id>" and a red Due for every row: a value that says which row it belongs to."""
    header = schema.locate_header(snap.grid)
    id_col = header.positions["ID"]
    index = {r[id_col]: gi for gi, r in enumerate(snap.grid) if gi > header.row and r}
    cs = ChangeSet(snap.sheet, header.row)
    for ident in ids:
        ref = RowRef(ident, index[ident])
        cs.cells.append(CellWrite(ref, "Next action", f"do {ident}"))
        cs.fills.append(FillWrite(ref, "Due", RED))
    return cs


def owned_by_id(emu, sid, column="Next action", title="Tracker") -> dict[str, object]:
    grid = emu.values(sid, title)
    header = schema.locate_header(grid)
    i, c = header.positions["ID"], header.positions[column]
    return {r[i]: (r[c] if c < len(r) else "") for r in grid[header.row + 1 :] if r and r[i]}


# --------------------------------------------------------------------------------------
# Locations


@pytest.mark.parametrize(
    "text, expected",
    [
        (f"https://docs.google.com/spreadsheets/d/{KEY}/edit#gid=123", (KEY, 123)),
        (f"https://docs.google.com/spreadsheets/d/{KEY}/edit?gid=7#gid=7", (KEY, 7)),
        (f"https://docs.google.com/spreadsheets/d/{KEY}", (KEY, None)),
        (f"https://docs.google.com/spreadsheets/d/{KEY}/edit", (KEY, None)),
        (f"https://docs.google.com/spreadsheets/u/1/d/{KEY}/edit#gid=0", (KEY, 0)),
        (KEY, (KEY, None)),
        ("tracker.xlsx", None),
        ("airtable:appXXXXXXXXXXXXXX/Tracker", None),
        ("short-key", None),
        ("https://example.com/spreadsheets/d/" + KEY, None),
        ("a" * 61, None),
    ],
)
def test_parse_location(text, expected):
    assert parse_location(text) == expected


def test_a_key_shaped_existing_file_is_not_a_key(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / KEY).write_text("x")
    assert parse_location(KEY) is None


def test_from_location_takes_credentials_from_config_and_gid_from_url(tmp_path):
    cfg = Config(google_credentials=tmp_path / "sa.json", worksheet="Jobs")
    b = GoogleSheetsBackend.from_location(
        f"https://docs.google.com/spreadsheets/d/{KEY}/edit#gid=5", cfg, None
    )
    assert (b.key, b.gid, b.worksheet, b.credentials_path) == (KEY, 5, "Jobs", tmp_path / "sa.json")
    with pytest.raises(UsageError):
        GoogleSheetsBackend.from_location("not a sheet", cfg, None)


def test_environment_credentials_win_over_config(tmp_path, monkeypatch):
    monkeypatch.setenv("FOLLOWSYNC_GOOGLE_CREDENTIALS", str(tmp_path / "env.json"))
    b = GoogleSheetsBackend.from_location(KEY, Config(google_credentials=tmp_path / "cfg.json"), "Tracker")
    assert b.credentials_path == tmp_path / "env.json" and b.worksheet == "Tracker"


def test_the_environment_points_the_real_clients_at_the_emulator(emu, key_path, monkeypatch):
    from followsync.backends import open_backend

    sid = tracker(emu)
    monkeypatch.setenv("FOLLOWSYNC_GOOGLE_API_URL", emu.url)
    monkeypatch.setenv("FOLLOWSYNC_GOOGLE_CREDENTIALS", str(key_path))
    b = open_backend(f"https://docs.google.com/spreadsheets/d/{sid}/edit#gid=0", Config())
    assert isinstance(b, GoogleSheetsBackend) and b.read().grid[1][0] == "a-1"
    assert emu.stats()["token_requests"] == 1 and api_calls(emu) == 3  # properties, values, colours


# --------------------------------------------------------------------------------------
# Credentials and access: one sentence that says what to do, never the key


def _one_sentence(err: Exception) -> str:
    text = str(err)
    assert "\n" not in text and "Traceback" not in text
    assert "PRIVATE KEY" not in text and "private_key" not in text
    return text


def test_missing_credentials_file(emu, tmp_path):
    sid = tracker(emu)
    with pytest.raises(AuthError) as e:
        backend(emu, tmp_path / "nope.json", sid).read()
    assert "followsync auth google" in _one_sentence(e.value) and api_calls(emu) == 0


def test_garbage_credentials_file(emu, tmp_path):
    sid = tracker(emu)
    bad = tmp_path / "bad.json"
    bad.write_text("-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----\n")
    with pytest.raises(AuthError) as e:
        backend(emu, bad, sid).read()
    assert "not a Google service-account key" in _one_sentence(e.value)


def test_damaged_service_account_key_is_not_quoted(emu, tmp_path, key_path):
    info = json.loads(key_path.read_text())
    info["private_key"] = "-----BEGIN PRIVATE KEY-----\nnot-a-key\n-----END PRIVATE KEY-----\n"
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(info))
    with pytest.raises(AuthError) as e:
        backend(emu, broken, tracker(emu)).read()
    assert "new JSON key" in _one_sentence(e.value) and "not-a-key" not in str(e.value)


def test_unreadable_credentials_file(emu, key_path):
    if os.geteuid() == 0:
        pytest.skip("root reads every file")
    key_path.chmod(0)
    with pytest.raises(AuthError) as e:
        backend(emu, key_path, tracker(emu)).read()
    assert "Cannot read" in _one_sentence(e.value)


def test_revoked_service_account(fresh_emu, tmp_path):
    emu, key_path = fresh_emu, tmp_path / "sa.json"
    emu.write_key_file(key_path)
    sid = tracker(emu)
    emu.revoke_service_account()
    with pytest.raises(AuthError) as e:
        backend(emu, key_path, sid).read()
    assert "invalid_grant" in _one_sentence(e.value) and "new JSON key" in str(e.value)


def test_token_endpoint_outage_is_a_remote_error_not_an_auth_error(fresh_emu, tmp_path):
    emu, key_path = fresh_emu, tmp_path / "sa.json"
    emu.write_key_file(key_path)
    sid = tracker(emu)
    emu.fail(503, times=5, path_contains="/token")  # google-auth itself retries the token call 3 times
    with pytest.raises(RemoteError) as e:
        backend(emu, key_path, sid).read()
    assert "sign-in service" in _one_sentence(e.value) and api_calls(emu) == 0


def test_sheet_not_shared_with_the_service_account(emu, key_path):
    sid = emu.create_spreadsheet("Private", {"Tracker": [HEADER, *ROWS]}, share_with_service_account=False)
    with pytest.raises(AuthError) as e:
        backend(emu, key_path, sid).read()
    text = _one_sentence(e.value)
    assert f"share the sheet with {SERVICE_ACCOUNT_EMAIL} as Editor" in text


def test_wrong_key(emu, key_path):
    tracker(emu)
    with pytest.raises(TrackerNotFound) as e:
        backend(emu, key_path, KEY).read()
    assert "check the URL or key" in _one_sentence(e.value)


def test_wrong_gid_and_wrong_worksheet_name(emu, key_path):
    sid = tracker(emu)
    with pytest.raises(TrackerNotFound, match="no worksheet with gid 999"):
        backend(emu, key_path, sid, gid=999).read()
    with pytest.raises(TrackerNotFound, match="no worksheet named 'Jobs'"):
        backend(emu, key_path, sid, worksheet="Jobs").read()


def test_user_token_is_stored_0600_and_refreshes_against_the_emulator(emu, tmp_path):
    """The stored half of ``followsync auth google`` (the browser consent itself needs a person)."""
    from google.oauth2.credentials import Credentials

    emu.add_oauth_client("client-1.apps.googleusercontent.com", "s3cret", "1//refresh-me")
    creds = Credentials(
        token=None,
        refresh_token="1//refresh-me",
        token_uri="https://oauth2.googleapis.com/token",
        client_id="client-1.apps.googleusercontent.com",
        client_secret="s3cret",
    )
    token = store_token(creds, tmp_path / "cfg" / "google-token.json")
    assert stat.S_IMODE(token.stat().st_mode) == 0o600
    assert load_credentials(token).kind == "authorized_user"
    sid = tracker(emu)
    snap = backend(emu, token, sid).read()
    assert snap.grid[1][0] == "a-1" and emu.stats()["token_requests"] == 1


def test_revoked_user_token(emu, tmp_path):
    from google.oauth2.credentials import Credentials

    emu.add_oauth_client("client-1", "s3cret", "1//good")
    creds = Credentials(None, refresh_token="1//gone", token_uri="https://oauth2.googleapis.com/token",
                        client_id="client-1", client_secret="s3cret")  # fmt: skip
    token = store_token(creds, tmp_path / "google-token.json")
    with pytest.raises(AuthError) as e:
        backend(emu, token, tracker(emu)).read()
    assert "run `followsync auth google` again" in _one_sentence(e.value)


# --------------------------------------------------------------------------------------
# Reading


def test_read_asks_for_raw_values_colour_column_fills_and_properties_only(emu, key_path):
    sid = tracker(emu)
    emu.edit(
        sid,
        "Tracker",
        lambda s: (s.set_background(1, COL["Due"], RED), s.set_background(1, COL["Notes"], BLUE)),
    )
    emu.reset_stats()
    snap = backend(emu, key_path, sid).read()
    assert emu.stats()["by_path"] == {
        "/v4/spreadsheets/{id}": 2,  # the worksheets' properties, then the colour columns' backgrounds
        "/v4/spreadsheets/{id}/values:batchGet": 1,  # every value
    }
    assert snap.sheet == "Tracker" and snap.grid[0] == HEADER
    acme, beta = snap.grid[1], snap.grid[2]
    assert acme[COL["Interview at"]] == schema_serial(dt.date(2026, 11, 20))  # a serial number, not text
    assert cells.parse_date(acme[COL["Interview at"]]) == dt.date(2026, 11, 20)
    assert acme[COL["Interviewer phone"]] == "0049 30 1234"
    assert beta[COL["Notes"]] == cells.CellError("#DIV/0!")
    assert snap.fills == {(1, COL["Due"]): RED}  # Notes' fill is not a colour column's


def schema_serial(day: dt.date) -> int:
    return (day - dt.date(1899, 12, 30)).days


def test_worksheet_choice_gid_then_name_then_tracker_then_first(emu, key_path):
    sid = emu.create_spreadsheet(
        "Jobs", {"Old": [HEADER, ROWS[0]], "Tracker": [HEADER, ROWS[1]], "Other": [HEADER, ROWS[2]]}
    )
    other = emu.sheet(sid, "Other").sheet_id
    assert backend(emu, key_path, sid).read().sheet == "Tracker"
    assert backend(emu, key_path, sid, worksheet="Old").read().sheet == "Old"
    assert backend(emu, key_path, sid, gid=other, worksheet="Old").read().grid[1][0] == "c-3"
    first = emu.create_spreadsheet("Jobs", {"Mine": [HEADER, ROWS[0]], "Later": [HEADER]})
    assert backend(emu, key_path, first).read().sheet == "Mine"


# --------------------------------------------------------------------------------------
# Writing


def test_apply_is_one_batch_update_with_typed_values(emu, key_path):
    sid = tracker(emu)
    b = backend(emu, key_path, sid)
    snap = b.read()
    ref = RowRef("a-1", 1)
    due = dt.date(2026, 11, 27)
    changes = ChangeSet(
        snap.sheet,
        0,
        cells=[
            CellWrite(ref, "Draft message", "=SUM(A1)"),
            CellWrite(ref, "Draft subject", "+1 for the role"),
            CellWrite(ref, "LinkedIn note", "@Jane thanks"),
            CellWrite(ref, "Reminder", "0049 30 1234"),
            CellWrite(ref, "Due", due),
        ],
        fills=[FillWrite(ref, "Next action", RED), FillWrite(ref, "Due", RED)],
    )
    emu.reset_stats()
    applied = b.apply(changes)
    stats = emu.stats()
    # the write, then the check of where it landed and the batchUpdate that removes the row stamps
    assert stats["by_path"].get("/v4/spreadsheets/{id}:batchUpdate") == 1 + TIDY and writes(emu) == 1 + TIDY
    assert stats["requests"] == 2 + CHECK + TIDY  # the ID re-read and the write
    assert (applied.cells, applied.fills, applied.write_calls, applied.skipped) == (5, 2, 1 + TIDY, [])
    sheet = emu.sheet(sid, "Tracker")
    for name, text in [("Draft message", "=SUM(A1)"), ("Draft subject", "+1 for the role"),
                       ("LinkedIn note", "@Jane thanks"), ("Reminder", "0049 30 1234")]:  # fmt: skip
        assert sheet.cell(1, COL[name])["userEnteredValue"] == {"stringValue": text}
    assert sheet.cell(1, COL["Due"])["userEnteredValue"] == {"numberValue": schema_serial(due)}
    assert sheet.number_format(1, COL["Due"])["type"] == "DATE"
    assert sheet.formatted(1, COL["Due"]) == "2026-11-27"
    assert emu.backgrounds(sid, "Tracker") == {(1, COL["Next action"]): RED, (1, COL["Due"]): RED}
    # The user's cells are as they were: the phone is text, the formula a formula.
    assert sheet.cell(1, COL["Interviewer phone"])["userEnteredValue"] == {"stringValue": "0049 30 1234"}
    assert sheet.cell(2, COL["Notes"])["userEnteredValue"] == {"formulaValue": "=1/0"}
    # ... and a read gives back exactly what was written, so a re-run has nothing to change.
    again = b.read()
    assert again.grid[1][COL["Draft message"]] == "=SUM(A1)" and again.grid[1][COL["Due"]] == schema_serial(
        due
    )
    assert again.fills == {(1, COL["Next action"]): RED, (1, COL["Due"]): RED}


def test_every_palette_colour_reads_back_as_written(emu, key_path):
    palette = sorted(load_layout().colours.values())
    rows = [row(f"p-{i}", f"Co {i}") for i in range(len(palette))]
    b = backend(emu, key_path, tracker(emu, rows=rows))
    snap = b.read()
    cs = ChangeSet(
        snap.sheet, 0, fills=[FillWrite(RowRef(f"p-{i}", i + 1), "Due", c) for i, c in enumerate(palette)]
    )
    b.apply(cs)
    assert sorted(b.read().fills.values()) == palette


def test_no_op_apply_makes_no_call(emu, key_path):
    b = backend(emu, key_path, tracker(emu))
    snap = b.read()
    emu.reset_stats()
    applied = b.apply(ChangeSet(snap.sheet, 0))
    assert api_calls(emu) == 0 and applied.write_calls == 0


def test_clearing_a_value_and_a_fill(emu, key_path):
    sid = tracker(emu)
    emu.edit(
        sid,
        "Tracker",
        lambda s: (s.set_value(1, COL["Reminder"], "old"), s.set_background(1, COL["Due"], RED)),
    )
    b = backend(emu, key_path, sid)
    b.read()
    ref = RowRef("a-1", 1)
    b.apply(
        ChangeSet("Tracker", 0, cells=[CellWrite(ref, "Reminder", None)], fills=[FillWrite(ref, "Due", None)])
    )
    assert emu.sheet(sid, "Tracker").cell(1, COL["Reminder"]).get("userEnteredValue") is None
    assert emu.backgrounds(sid, "Tracker") == {}


def test_added_columns_get_their_header_even_past_the_grid_edge(emu, key_path):
    user = HEADER[:6]
    sid = emu.create_spreadsheet("Jobs", {"Tracker": [user, *ROWS]})
    emu.edit(sid, "Tracker", lambda s: s.columns.__delitem__(slice(8, None)))  # an 8-column grid
    b = backend(emu, key_path, sid)
    snap = b.read()
    cs = ChangeSet(snap.sheet, 0, add_columns=OWNED)
    cs.cells.append(CellWrite(RowRef("c-3", 3), "Problems", "Interview at: bad date"))
    emu.reset_stats()
    applied = b.apply(cs)
    assert writes(emu) == 1 + TIDY and applied.columns_added == len(OWNED)
    grid = emu.values(sid, "Tracker")
    assert grid[0] == HEADER and grid[3][COL["Problems"]] == "Interview at: bad date"


def test_apply_protects_followsyncs_columns_warning_only_once(emu, key_path):
    sid = tracker(emu)
    b = backend(emu, key_path, sid)
    b.apply(actions_for_every_row(b.read()))
    ranges = emu.sheet(sid, "Tracker").protected_ranges
    assert len(ranges) == 1 and ranges[0]["warningOnly"] is True
    assert (ranges[0]["range"]["startColumnIndex"], ranges[0]["range"]["endColumnIndex"]) == (
        COL[OWNED[0]],
        len(HEADER),
    )
    snap = b.read()
    cs = actions_for_every_row(snap)
    cs.cells = [CellWrite(c.row, c.column, "again " + c.value) for c in cs.cells]
    emu.reset_stats()
    b.apply(cs)
    assert len(emu.sheet(sid, "Tracker").protected_ranges) == 1
    assert emu.stats()["bytes_received"] > 0


def test_protect_on_its_own(emu, key_path):
    sid = tracker(emu)
    backend(emu, key_path, sid).protect(["Next action", "Due"])
    (pr,) = emu.sheet(sid, "Tracker").protected_ranges
    assert pr["warningOnly"] and (pr["range"]["startColumnIndex"], pr["range"]["endColumnIndex"]) == (6, 8)


# --------------------------------------------------------------------------------------
# A coach editing between two requests: values follow their row or are skipped


def _before_reread(emu, action, skip=0):
    """Run ``action`` just before the backend's re-read, i.e. after read() and before the write.

    The re-read is the first values GET after read(); ``skip=1`` when the hook goes in before
    a whole run, whose read makes one values GET of its own first.
    """
    done = []
    seen = []

    def hook(method, path, n):
        if not done and method == "GET" and "/values" in path:
            seen.append(path)
            if len(seen) <= skip:
                return
            done.append(path)
            action()

    emu.on_request(hook)
    return done


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(
            lambda emu, sid: emu.sort_rows(sid, "Tracker", COL["Company"], descending=True), id="sort"
        ),
        pytest.param(lambda emu, sid: emu.insert_rows(sid, "Tracker", 1, 2), id="insert-above"),
        pytest.param(lambda emu, sid: emu.delete_rows(sid, "Tracker", 2), id="delete"),
        pytest.param(lambda emu, sid: emu.move_column(sid, "Tracker", COL["ID"], 5), id="move-id-column"),
        pytest.param(
            lambda emu, sid: emu.move_column(sid, "Tracker", COL["Next action"], 0), id="move-owned-column"
        ),
        pytest.param(lambda emu, sid: emu.insert_columns(sid, "Tracker", 0, 2), id="insert-columns-left"),
        pytest.param(lambda emu, sid: emu.insert_rows(sid, "Tracker", 0), id="insert-above-header"),
    ],
)
def test_coach_edit_between_read_and_write_misplaces_nothing(emu, key_path, edit):
    sid = tracker(emu)
    b = backend(emu, key_path, sid)
    snap = b.read()
    hooked = _before_reread(emu, lambda: edit(emu, sid))
    applied = b.apply(actions_for_every_row(snap))
    assert hooked
    got = owned_by_id(emu, sid)
    for ident, value in got.items():
        assert value == f"do {ident}", (ident, value)
    gone = {"a-1", "b-2", "c-3", "d-4"} - set(got)
    assert [s for s in applied.skipped if "gone" in s] == [
        f"row with ID {g!r} is gone (deleted while followsync ran); skipped it" for g in sorted(gone)
    ]
    # Every red Due sits on a row whose Next action names it.
    grid = emu.values(sid, "Tracker")
    header = schema.locate_header(grid)
    for r, c in emu.backgrounds(sid, "Tracker"):
        assert c == header.positions["Due"]
        assert grid[r][header.positions["Next action"]] == f"do {grid[r][header.positions['ID']]}"


def test_the_re_read_leaves_the_drafts_out(emu, key_path):
    long_rows = [r + ["Follow up", None, "Remind me", "Subject", "Dear Jane, " * 200] for r in ROWS]
    sid = tracker(emu, rows=long_rows)
    b = backend(emu, key_path, sid)
    snap = b.read()
    read_bytes = emu.stats()["bytes_sent"]
    emu.reset_stats()
    b.apply(actions_for_every_row(snap))
    stats = emu.stats()
    assert stats["by_path"] == {
        "/v4/spreadsheets/{id}/values:batchGet": 1,
        "/v4/spreadsheets/{id}:batchUpdate": 1 + TIDY,
        "/v4/spreadsheets/{id}": CHECK,  # where the stamps are: the ID and user columns only
    }
    drafts = len("Dear Jane, " * 200) * len(ROWS)
    assert read_bytes > drafts > stats["bytes_sent"]  # neither the re-read nor the check brings them


def test_columns_inserted_left_of_the_key_columns_make_the_re_read_whole(emu, key_path):
    sid = tracker(emu)
    b = backend(emu, key_path, sid)
    cs = actions_for_every_row(b.read())
    _before_reread(emu, lambda: emu.insert_columns(sid, "Tracker", 0))
    emu.reset_stats()
    b.apply(cs)
    assert emu.stats()["by_method"] == {"GET": 2 + CHECK, "POST": 1 + TIDY}
    assert all(value == f"do {ident}" for ident, value in owned_by_id(emu, sid).items())


def test_owned_column_deleted_between_read_and_write_is_skipped(emu, key_path):
    sid = tracker(emu)
    b = backend(emu, key_path, sid)
    cs = actions_for_every_row(b.read())
    _before_reread(
        emu, lambda: emu.edit(sid, "Tracker", lambda s: [r.cells.pop(COL["Due"], None) for r in s.rows])
    )
    applied = b.apply(cs)
    assert applied.cells == 4 and applied.fills == 0
    assert applied.skipped == [
        "column 'Due' is gone (deleted while followsync ran); skipped its cells, run followsync again"
    ]
    assert emu.backgrounds(sid, "Tracker") == {} and owned_by_id(emu, sid)["c-3"] == "do c-3"


def test_worksheet_renamed_between_read_and_write(emu, key_path):
    sid = tracker(emu)
    b = backend(emu, key_path, sid)
    cs = actions_for_every_row(b.read())
    _before_reread(emu, lambda: emu.edit(sid, "Tracker", lambda s: setattr(s, "title", "Renamed")))
    with pytest.raises(TrackerNotFound, match="no worksheet named 'Tracker'"):
        b.apply(cs)
    assert writes(emu) == 0


def test_credentials_rejected_with_401(fresh_emu, tmp_path):
    emu, key_path = fresh_emu, tmp_path / "sa.json"
    emu.write_key_file(key_path)
    b = backend(emu, key_path, tracker(emu))
    emu.fail(401, times=3)  # google-auth refreshes the token and tries again twice before giving up
    with pytest.raises(AuthError) as e:
        b.read()
    assert "rejected the credentials" in _one_sentence(e.value)


def test_blank_id_row_shifted_by_an_insert_is_skipped_not_misplaced(emu, key_path):
    sid = tracker(
        emu, rows=[row(None, "Acme", dt.date(2026, 11, 20)), row(None, "Beta", dt.date(2026, 11, 18))]
    )
    b = backend(emu, key_path, sid)
    snap = b.read()
    header = schema.locate_header(snap.grid)
    cs = ChangeSet(snap.sheet, 0)
    for gi, ident in ((1, "acme-new"), (2, "beta-new")):
        from followsync.core.changes import row_fingerprint

        ref = RowRef(None, gi, row_fingerprint(snap.grid[gi], header.positions))
        cs.cells += [CellWrite(ref, "ID", ident), CellWrite(ref, "Next action", f"do {ident}")]

    def coach():
        emu.insert_rows(sid, "Tracker", 1)
        emu.edit(sid, "Tracker", lambda s: s.set_value(1, COL["Company"], "Zeta"))

    _before_reread(emu, coach)
    applied = b.apply(cs)
    assert applied.cells == 0 and len(applied.skipped) == 2
    grid = emu.values(sid, "Tracker")
    assert [r[:2] for r in grid[1:]] == [["", "Zeta"], ["", "Acme"], ["", "Beta"]]
    assert all(len(r) <= COL["Next action"] for r in grid[1:])


def test_sync_run_with_a_coach_sorting_mid_run(emu, key_path):
    """The whole run (rules, diff, apply) with a sort between read and write."""
    sid = tracker(emu)
    b = backend(emu, key_path, sid)
    first = sync.run(b, Config(), NOW, lock_timeout=1)
    expected = owned_by_id(emu, sid)
    assert first.applied and first.applied.cells > 0
    emu.edit(
        sid,
        "Tracker",
        lambda s: [s.clear(r, c) for r in range(1, 5) for c in range(COL["Next action"], len(HEADER))],
    )
    hooked = _before_reread(emu, lambda: emu.sort_rows(sid, "Tracker", COL["Company"], descending=True))
    second = sync.run(b, Config(), NOW, lock_timeout=1)
    assert hooked and second.applied and not second.applied.skipped
    assert owned_by_id(emu, sid) == expected
    emu.on_request(None)
    assert not sync.run(b, Config(), NOW, lock_timeout=1).changes


# --------------------------------------------------------------------------------------
# Failing servers: bounded retries, honest messages, nothing half-written


def test_persistent_429_gives_up_within_the_bound_having_written_nothing(fresh_emu, tmp_path):
    emu, key_path = fresh_emu, tmp_path / "sa.json"
    emu.write_key_file(key_path)
    sid = tracker(emu)
    b = backend(emu, key_path, sid)
    b.retry.max_wait = 20
    snap = b.read()
    before = emu.values(sid, "Tracker")
    emu.fail(429, times=1000, path_contains=":batchUpdate")
    emu.reset_stats()
    with pytest.raises(RemoteError) as e:
        b.apply(actions_for_every_row(snap))
    assert "nothing was written" in str(e.value) and "429" in str(e.value)
    waits = b.retry.sleep
    assert waits == [0.75, 1.5, 3.0, 6.0]  # 1, 2, 4, 8 s halved-plus-jitter; the next (12 s) would pass 20 s
    assert sum(waits) <= 20
    assert emu.stats()["by_method"]["POST"] == len(waits) + 1
    assert emu.values(sid, "Tracker") == before and emu.backgrounds(sid, "Tracker") == {}


def test_attempts_are_capped_even_with_time_left(fresh_emu, tmp_path):
    emu, key_path = fresh_emu, tmp_path / "sa.json"
    emu.write_key_file(key_path)
    b = backend(emu, key_path, tracker(emu))
    b.retry.max_attempts = 3
    emu.fail(503, times=10)
    with pytest.raises(RemoteError, match="gave up after 3 attempts"):
        b.read()
    assert len(b.retry.sleep) == 2


def test_429_then_success_honours_retry_after(emu, key_path):
    sid = tracker(emu)
    b = backend(emu, key_path, sid)
    snap = b.read()
    emu.fail(429, times=2, retry_after=7, path_contains=":batchUpdate")
    applied = b.apply(actions_for_every_row(snap))
    assert b.retry.sleep == [7.0, 7.0]  # Retry-After beats the 0.75 s and 1.5 s backoff
    assert applied.write_calls == 1 + TIDY and owned_by_id(emu, sid)["a-1"] == "do a-1"


def test_a_retry_after_longer_than_the_bound_is_not_waited_for(emu, key_path):
    b = backend(emu, key_path, tracker(emu), max_wait=30)
    b.retry.sleep = Sleeps()
    emu.fail(429, times=1, retry_after=3600)
    with pytest.raises(RemoteError):
        b.read()
    assert b.retry.sleep == []


def test_server_errors_are_retried(emu, key_path):
    b = backend(emu, key_path, tracker(emu))
    emu.fail(500, times=1)
    emu.fail(502, times=1)
    assert b.read().grid[1][0] == "a-1"
    assert b.retry.sleep == [0.75, 1.5]


def test_every_request_has_a_timeout(tmp_path):
    slow = GoogleEmulator(latency=1.0)
    with slow:
        key = tmp_path / "slow.json"
        slow.write_key_file(key)
        sid = slow.create_spreadsheet("Jobs", {"Tracker": [HEADER, *ROWS]})
        b = GoogleSheetsBackend(sid, credentials_path=key, api_url=slow.url, timeout=0.2)
        b.retry.sleep, b.retry.max_attempts = Sleeps(), 2
        with pytest.raises(RemoteError, match="could not be reached"):
            b.read()


def test_a_404_is_not_retried(emu, key_path):
    b = backend(emu, key_path, KEY)
    with pytest.raises(TrackerNotFound):
        b.read()
    assert b.retry.sleep == [] and api_calls(emu) == 1


# --------------------------------------------------------------------------------------
# init, share


def test_create_lays_the_template_in_one_batch_update(emu, key_path):
    sid = emu.create_spreadsheet("New", None)  # one blank Sheet1, as Google makes it
    layout = load_layout()
    from followsync.core.layout import demo_rows

    rows = demo_rows(NOW.date())
    b = backend(emu, key_path, sid)
    emu.reset_stats()
    b.create(layout, rows)
    assert writes(emu) == 1 and api_calls(emu) == 2
    sheet = emu.sheet(sid, "Sheet1")
    names = [lc.column.name for lc in layout.columns]
    grid = emu.values(sid, "Sheet1")
    assert grid[0] == names and len(grid) == 1 + len(rows)
    assert sheet.frozen_rows == 1
    assert sheet.note(0, 0) == layout.columns[0].note
    assert sheet.background(0, 0) == layout.header_fill
    status = names.index("Status")
    rule = sheet.validation(5, status)
    assert rule["condition"]["type"] == "ONE_OF_LIST"
    assert [v["userEnteredValue"] for v in rule["condition"]["values"]] == list(schema.STATUSES)
    assert sheet.validation(5, names.index("Mark sent"))["condition"]["type"] == "BOOLEAN"  # a checkbox
    applied_on = names.index("Applied on")
    assert sheet.number_format(500, applied_on) == {"type": "DATE", "pattern": "yyyy-mm-dd"}
    for i, lc in enumerate(layout.columns):
        assert sheet.columns[i].hidden == lc.hidden
    assert (
        sheet.columns[names.index("Draft message")].pixel_size > sheet.columns[names.index("ID")].pixel_size
    )
    assert any(p["warningOnly"] for p in sheet.protected_ranges)
    # The tracker reads back as one, with real dates.
    t = schema.frame(backend(emu, key_path, sid).read().grid, "Sheet1")
    assert t is not None and len(t.frame) == len(rows) and not [p for p in t.problems if "date" in p.message]


def test_a_ticked_checkbox_records_the_send(emu, key_path):
    from ..contract import demo_grid

    sid = emu.create_spreadsheet("Jobs", {"Tracker": demo_grid()})
    sync.run(backend(emu, key_path, sid), Config(), NOW, lock_timeout=1)
    values = emu.values(sid, "Tracker")
    header = values[0]
    row = next(i for i, r in enumerate(values) if r[header.index("Company")] == "Brightwave Media")
    emu.edit(sid, "Tracker", lambda sheet: sheet.set_value(row, header.index("Mark sent"), True))
    sync.run(backend(emu, key_path, sid), Config(), NOW, lock_timeout=1)
    t = schema.frame(emu.values(sid, "Tracker"), "Tracker")
    i = t.frame.index[t.frame["company"] == "Brightwave Media"][0]
    assert t.frame["thank_you_sent"][i].date() == NOW.date() and pd.isna(t.frame["mark_sent"][i])
    assert t.frame["next_action"][i] == "Follow up"


def test_create_refuses_a_worksheet_with_foreign_data(emu, key_path):
    sid = emu.create_spreadsheet("Budget", {"Sheet1": [["Month", "Rent"], ["Jan", 900]]})
    b = backend(emu, key_path, sid, worksheet="Sheet1")
    emu.reset_stats()
    with pytest.raises(UsageError, match="not a followsync tracker"):
        b.create(load_layout(), [])
    assert writes(emu) == 0 and emu.values(sid, "Sheet1") == [["Month", "Rent"], ["Jan", 900]]


def test_create_adds_a_tracker_worksheet_next_to_foreign_data(emu, key_path):
    sid = emu.create_spreadsheet("Budget", {"Sheet1": [["Month", "Rent"], ["Jan", 900]]})
    backend(emu, key_path, sid).create(load_layout(), [])
    assert emu.values(sid, "Tracker")[0][0] == "ID"
    assert emu.values(sid, "Sheet1") == [["Month", "Rent"], ["Jan", 900]]


def test_create_on_an_existing_tracker_keeps_its_values(emu, key_path):
    sid = tracker(emu)
    before = emu.values(sid, "Tracker")
    backend(emu, key_path, sid).create(load_layout(), [{"Company": "Demo"}])
    sheet = emu.sheet(sid, "Tracker")
    assert emu.values(sid, "Tracker") == before and sheet.frozen_rows == 1 and sheet.note(0, 0)


def test_share_records_a_drive_permission(emu, key_path):
    sid = tracker(emu)
    b = backend(emu, key_path, sid)
    b.share("coach@example.com", "commenter", "Here is my tracker")
    (perm,) = [p for p in emu.permissions(sid) if p.get("emailAddress") == "coach@example.com"]
    assert perm["role"] == "commenter" and perm["type"] == "user"
    assert perm["notification"]["emailMessage"] == "Here is my tracker"
    with pytest.raises(UsageError):
        b.share("coach@example.com", "owner")
    with pytest.raises(UsageError):
        b.share("not-an-email", "reader")


# --------------------------------------------------------------------------------------
# Scale: calls stay constant


def test_5000_rows_sync_in_batches_that_fit_and_resync_writes_nothing(emu, key_path):
    """A first run's worth of writes (every owned cell, both colours, on 5,000 rows), diffed by sync.diff.

    The rules are left out (they are the slow part, and not the backend's); what is computed is a
    frame of owned values as rules.plan and drafts would give them.
    """
    rows = [
        row(f"r-{i}", f"Company {i}", dt.date(2026, 11, 1) + dt.timedelta(days=i % 40), f"00{i}")
        for i in range(5000)
    ]
    sid = tracker(emu, rows=rows, header=HEADER[:6])
    # the emulator lays 5,000 rows and their columns' formats in one request: on a loaded
    # machine that takes longer than the 5 s the other tests allow (this one counts requests)
    b = backend(emu, key_path, sid, timeout=60)
    emu.reset_stats()
    snap = b.read()
    t = schema.frame(snap.grid, snap.sheet)
    n = len(t.frame)
    body = "Dear Ms. Jones,\n\nThank you for the interview. " * 12 + "\n\nBest regards,\nAlex Morgan"
    computed = pd.DataFrame(
        {
            "ID": t.frame["id"],
            "Next action": ["Follow up"] * n,
            "Due": pd.to_datetime([dt.date(2026, 12, 1) + dt.timedelta(days=i % 9) for i in range(n)]),
            "Reminder": [f"Follow up with Company {i} by email" for i in range(n)],
            "Draft subject": ["Following up on the Engineer position"] * n,
            "Draft message": [body] * n,
            "LinkedIn note": ["=Hi Jane, thank you for your time"] * n,
            "Mail link": ["mailto:jane@acme.com?subject=Following%20up"] * n,
            "Problems": [""] * n,
            "Draft state": [f"state-{i}" for i in range(n)],
            "_colour": [RED if i % 2 else BLUE for i in range(n)],
        }
    )
    changes = sync.diff(t, snap, computed)
    applied = b.apply(changes)
    assert (
        applied.cells == n * (len(OWNED) - 1) and applied.fills == 2 * n and not applied.skipped
    )  # Problems blank
    assert applied.columns_added == len(OWNED) + 1  # and Mark sent
    # About 8 MB of cells: the read (properties, then every value), then batches of whole rows
    # under the limit, each after a re-read that finds the rows (and at most two first-row reads
    # of the other worksheets it writes), then one check of where they landed and the stamps removed.
    stats = emu.stats()
    rereads = stats["by_path"]["/v4/spreadsheets/{id}/values:batchGet"] + stats["by_path"].get(
        "/v4/spreadsheets/{id}/values/{range}", 0
    )
    batches = writes(emu) - TIDY
    assert 2 <= batches <= 6 and applied.write_calls == batches + TIDY
    assert batches + 1 <= rereads <= batches + 3  # + the read's values
    assert stats["requests"] == 1 + rereads + batches + CHECK + TIDY
    assert stats["largest_request"] < 5_000_000 and stats["too_large"] == 0
    emu.reset_stats()
    again = b.read()
    t2 = schema.frame(again.grid, again.sheet)
    assert not sync.diff(t2, again, computed)
    assert b.apply(sync.diff(t2, again, computed)).write_calls == 0
    assert emu.stats()["requests"] == 3 and writes(emu) == 0  # the read: properties, values, colours
    assert t2.frame["linkedin_note"].iat[4999] == "=Hi Jane, thank you for your time"


# --------------------------------------------------------------------------------------
# The shared backend contract (tests/contract.py), on the emulated Google Sheets


class GoogleHarness(Harness):
    """The contract's harness: a tracker in the emulator, edited through the emulator's own grid."""

    def __init__(self, emu, key_path):
        self.emu, self.key_path, self.sid = emu, key_path, None

    supports_sharing = supports_protection = True

    def make_new(self):
        return self.make([])

    def make(self, grid):
        self.sid = self.emu.create_spreadsheet("Jobs", {"Tracker": [[v for v in r] for r in grid]})
        self.emu.reset_stats()
        return backend(self.emu, self.key_path, self.sid)

    def grid(self):
        return [[None if v == "" else v for v in r] for r in self.emu.values(self.sid, "Tracker")]

    def fills(self):
        header = schema.locate_header(self.grid())
        cols = {header.positions[n] for n in schema.COLOUR_COLUMNS if n in header.positions}
        return {k: v for k, v in self.emu.backgrounds(self.sid, "Tracker").items() if k[1] in cols}

    def edit(self, fn):
        """Apply ``fn(grid)``: rows it kept move whole (formats too), as a sort or delete in Sheets does."""
        from ...emulators.google import Row

        old = self.grid()
        new = fn([list(r) for r in old])

        def change(sheet):
            rows, used, out = sheet.rows, set(), []
            for i, values in enumerate(new):
                match = next((j for j, o in enumerate(old) if j not in used and o == values), None)
                if match is None and i < len(old) and i not in used and not any(o == old[i] for o in new):
                    match = i  # the same row with some cells changed
                if match is None:
                    out.append(Row())
                else:
                    used.add(match)
                    out.append(rows[match])
                for c, v in enumerate(values):
                    if match is None or (old[match][c] if c < len(old[match]) else None) != v:
                        sheet.rows = out + rows[len(out) :]  # so set_value finds the row
                        sheet.set_value(len(out) - 1, c, v)
            sheet.rows = out + [Row() for _ in range(len(rows) - len(out))]

        self.emu.edit(self.sid, "Tracker", change)

    def between(self, fn):
        _before_reread(self.emu, fn, skip=1)  # installed before the run: its read comes first

    def write_calls(self):
        return writes(self.emu)


class TestGoogleSheetsContract(BackendContract):
    @pytest.fixture
    def harness(self, emu, key_path):
        return GoogleHarness(emu, key_path)


def test_recorded_sends_go_to_a_history_worksheet_in_the_same_batch(emu, key_path):
    from ..contract import demo_grid

    sid = emu.create_spreadsheet("Jobs", {"Tracker": demo_grid()})
    b = backend(emu, key_path, sid)
    sync.run(b, Config(), NOW, lock_timeout=1)
    t = schema.frame(emu.values(sid, "Tracker"), "Tracker")
    ident = t.frame["id"][t.frame["company"] == "Brightwave Media"].iat[0]
    emu.reset_stats()
    sync.run(backend(emu, key_path, sid), Config(), NOW, lock_timeout=1, sends={ident: sync.Send("email")})
    stats = emu.stats()
    assert stats["by_method"].get("POST") == 1 + TIDY  # one batchUpdate wrote the cells and the History
    history = backend(emu, key_path, sid).read_sheet("History")
    assert history[0] == ["Date", "ID", "Company", "What happened", "Medium", "Message"]
    assert history[1][1:3] == [ident, "Brightwave Media"] and history[1][0] == NOW.date()
    # a second send appends below the first
    ident2 = t.frame["id"][t.frame["company"] == "Cedar Health"].iat[0]
    sync.run(backend(emu, key_path, sid), Config(), NOW, lock_timeout=1, sends={ident2: sync.Send()})
    rows = backend(emu, key_path, sid).read_sheet("History")
    assert [r[2] for r in rows[1:]] == ["Brightwave Media", "Cedar Health"]
    assert backend(emu, key_path, sid).read_sheet("Nope") is None


def test_a_write_refused_for_the_rate_is_retried_with_rows_found_again(emu, key_path):
    sid = tracker(emu)
    b = backend(emu, key_path, sid)
    snap = b.read()
    emu.fail(429, times=1, retry_after=5, path_contains=":batchUpdate")

    waits = []

    def coach_sorts_while_we_wait(seconds):
        waits.append(seconds)
        emu.sort_rows(sid, "Tracker", COL["Company"], start_row=1, descending=True)

    b.retry.sleep = coach_sorts_while_we_wait
    applied = b.apply(actions_for_every_row(snap))
    assert waits == [5.0] and applied.write_calls == 1 + TIDY
    assert owned_by_id(emu, sid) == {i: f"do {i}" for i in ("a-1", "b-2", "c-3", "d-4")}


def test_a_write_with_an_unknown_outcome_is_not_sent_again(emu, key_path):
    sid = tracker(emu)
    b = backend(emu, key_path, sid)
    snap = b.read()
    emu.fail(503, times=1, path_contains=":batchUpdate")
    emu.reset_stats()
    with pytest.raises(RemoteError, match="may or may not") as e:
        b.apply(actions_for_every_row(snap))
    assert "run followsync again" in str(e.value).lower()
    assert emu.stats()["by_method"].get("POST") == 1  # sent once, never resent


def test_new_columns_never_go_over_unheaded_values(emu, key_path):
    header = ["ID", "Company", "Job title", "Interview at"]
    sid = emu.create_spreadsheet("Jobs", {"Tracker": [header, ["a-1", "Acme", "Eng", "2026-11-20", "my note"]]})
    b = backend(emu, key_path, sid)
    before = emu.values(sid, "Tracker")
    with pytest.raises(TrackerError, match="column E has no header but holds values"):
        sync.run(b, Config(), NOW, lock_timeout=1)
    assert emu.values(sid, "Tracker") == before


def test_a_history_sheet_of_the_persons_own_is_left_alone_even_after_a_narrow_read(emu, key_path):
    from followsync.core.changes import SheetWrite

    sid = emu.create_spreadsheet("Jobs", {"Tracker": [HEADER, *ROWS], "History": [["My diary"], ["Called Acme"]]})
    b = backend(emu, key_path, sid, worksheet="Tracker")  # the read covers Tracker only
    snap = b.read()
    changes = actions_for_every_row(snap)
    changes.sheets.append(SheetWrite("History", ["Date", "ID", "Company", "What happened", "Medium", "Message"], [["x"]]))
    applied = b.apply(changes)
    assert any("History" in m for m in applied.skipped)
    assert emu.values(sid, "History") == [["My diary"], ["Called Acme"]]


# --------------------------------------------------------------------------------------
# A person's own sheet: the columns a run appends are dressed like init (issue 13, item 2)


def test_columns_a_run_appends_are_dressed_like_init(emu, key_path):
    from followsync.backends.google.requests import _pixels

    own = [
        ["Company", "Job title", "Applied on", "Status", "Interview at", "Interviewer", "Interviewer email"],
        ["Acme", "Engineer", dt.date(2026, 11, 1), "Interviewed", dt.datetime(2026, 11, 18, 10), "Ms. Jane Jones", "jane@acme.example"],
        ["Beta", "Analyst", dt.date(2026, 10, 20), "Waiting", dt.datetime(2026, 11, 2, 14), "Sam Patel", "sam@beta.example"],
    ]
    sid = emu.create_spreadsheet("Mine", {"Jobs": own})
    sync.run(backend(emu, key_path, sid), Config(), NOW, lock_timeout=1)
    sheet = emu.sheet(sid, "Jobs")
    header = emu.values(sid, "Jobs")[0]
    added = header[len(own[0]) :]
    assert header[: len(own[0])] == own[0]
    assert added == ["ID", "Mark sent", *OWNED]  # Mark sent too
    layout = {lc.column.name: lc for lc in load_layout().columns}
    for name in added:
        lc, c = layout[name], header.index(name)
        assert sheet.note(0, c) == lc.note, name
        assert sheet.background(0, c) == load_layout().header_fill, name
        assert sheet.columns[c].hidden == lc.hidden, name
        assert sheet.columns[c].pixel_size == _pixels(lc.width), name
        if lc.number_format:
            assert sheet.number_format(2, c) == {"type": "DATE", "pattern": lc.number_format}, name
        fmt = sheet.cell(2, c).get("userEnteredFormat") or {}
        wrapped = fmt.get("wrapStrategy") == "WRAP" and fmt.get("verticalAlignment") == "TOP"
        assert wrapped == lc.wrap, name
    assert sheet.columns[header.index("Draft state")].hidden
    assert sheet.validation(2, header.index("Mark sent"))["condition"]["type"] == "BOOLEAN"  # a checkbox
    assert sheet.formatted(1, header.index("Due")).startswith("2026-")  # a date, not a serial number
    # the person's own columns are left as they were
    assert sheet.note(0, 0) is None and not sheet.columns[0].hidden
    emu.reset_stats()
    sync.run(backend(emu, key_path, sid), Config(), NOW, lock_timeout=1)
    assert writes(emu) == 0  # a second run writes nothing


def test_a_new_tracker_wraps_its_multi_line_columns(emu, key_path):
    sid = emu.create_spreadsheet("New", None)
    layout = load_layout()
    backend(emu, key_path, sid).create(layout, [])
    sheet = emu.sheet(sid, "Sheet1")
    for i, lc in enumerate(layout.columns):
        fmt = sheet.cell(5, i).get("userEnteredFormat") or {}
        assert (fmt.get("wrapStrategy") == "WRAP" and fmt.get("verticalAlignment") == "TOP") == lc.wrap
        header = sheet.cell(0, i)["userEnteredFormat"]
        assert header["wrapStrategy"] == "WRAP" and header["verticalAlignment"] == "TOP"


def test_history_messages_wrap(emu, key_path):
    from ..contract import demo_grid

    sid = emu.create_spreadsheet("Jobs", {"Tracker": demo_grid()})
    sync.run(backend(emu, key_path, sid), Config(), NOW, lock_timeout=1)
    values = emu.values(sid, "Tracker")
    header = values[0]
    row = next(i for i, r in enumerate(values) if r[header.index("Company")] == "Brightwave Media")
    emu.edit(sid, "Tracker", lambda sheet: sheet.set_value(row, header.index("Mark sent"), True))
    sync.run(backend(emu, key_path, sid), Config(), NOW, lock_timeout=1)
    history = emu.values(sid, "History")
    sheet = emu.sheet(sid, "History")
    message = history[0].index("Message")
    multi = [r for r in range(1, len(history)) if "\n" in str(history[r][message] or "")]
    assert multi
    for r in multi:
        fmt = sheet.cell(r, message)["userEnteredFormat"]
        assert fmt["wrapStrategy"] == "WRAP" and fmt["verticalAlignment"] == "TOP"
