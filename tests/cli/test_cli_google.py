"""The command line on Google Sheets, end to end: the real gspread and google-auth clients
against the loopback emulator (tests/emulators/google.py), as a user would run it."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from followsync import cli

from ..emulators.google import GoogleEmulator


@pytest.fixture(scope="module")
def emu():
    with GoogleEmulator() as e:
        yield e


@pytest.fixture
def google(emu, tmp_path, monkeypatch):
    key = tmp_path / "sa.json"
    info = emu.write_key_file(key)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FOLLOWSYNC_GOOGLE_API_URL", emu.url)
    monkeypatch.setenv("FOLLOWSYNC_GOOGLE_CREDENTIALS", str(key))
    monkeypatch.setenv("FOLLOWSYNC_NOW", "2026-11-25T09:00")
    sid = emu.create_spreadsheet("My job search")
    return sid, f"https://docs.google.com/spreadsheets/d/{sid}/edit#gid=0", info


def invoke(*args):
    return CliRunner().invoke(cli.main, list(args), catch_exceptions=False)


def test_init_run_share_sent_history(emu, google):
    sid, url, _ = google
    assert invoke("init", url, "--demo").exit_code == 0
    emu.reset_stats()
    first = invoke("run", "--json")
    assert first.exit_code == 0, first.output
    assert json.loads(first.output)["trackers"][0]["written"]
    stats = emu.stats()
    # a read of 3 (issue 19), re-read, write; then where the row stamps landed, and their removal (issue 11)
    assert stats["requests"] <= 7 and stats["by_method"].get("POST") == 2
    emu.reset_stats()
    again = json.loads(invoke("run", "--json").output)["trackers"][0]
    assert again["cells_changed"] == 0 and emu.stats()["requests"] == 3  # the read alone (issue 19: 3 calls)
    shared = invoke("share", "coach@example.org", "--role", "commenter", "--message", "My tracker")
    assert shared.exit_code == 0
    assert any(p.get("emailAddress") == "coach@example.org" and p["role"] == "commenter" for p in emu.permissions(sid))
    ident = again["actions"][0]["id"]
    assert invoke("sent", ident, "--medium", "email").exit_code == 0
    timeline = invoke("history", ident)
    assert "2026-11-25  Sent the final note (follow-up 4) (Email)" in timeline.output
    assert ident not in invoke("run", "--json").output  # nothing due for it any more


def test_init_refuses_a_worksheet_with_data(emu, google):
    sid, url, _ = google
    emu.edit(sid, "Sheet1", lambda sheet: sheet.set_value(0, 0, "My own notes"))
    result = invoke("init", url)
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_errors_are_one_sentence_without_the_key(emu, google, tmp_path):
    sid, url, info = google
    invoke("init", url)
    secret = info["private_key"].splitlines()[1]
    wrong = invoke("run", "--tracker", "https://docs.google.com/spreadsheets/d/1NoSuchSheet0000000000000000000/edit")
    assert wrong.exit_code == 3 and secret not in wrong.output and "Traceback" not in wrong.output
    (tmp_path / "broken.json").write_text("{not json")
    broken = CliRunner(env={"FOLLOWSYNC_GOOGLE_CREDENTIALS": str(tmp_path / "broken.json")}).invoke(
        cli.main, ["run", "--tracker", url], catch_exceptions=False
    )
    assert broken.exit_code == 3 and "broken.json" in broken.output


def test_a_revoked_key_is_one_sentence(tmp_path, monkeypatch):
    with GoogleEmulator() as emu:  # its own: a revoked account would outlive the test
        key = tmp_path / "sa.json"
        info = emu.write_key_file(key)
        sid = emu.create_spreadsheet("Jobs")
        monkeypatch.chdir(tmp_path)
        monkeypatch.setenv("FOLLOWSYNC_GOOGLE_API_URL", emu.url)
        monkeypatch.setenv("FOLLOWSYNC_GOOGLE_CREDENTIALS", str(key))
        url = f"https://docs.google.com/spreadsheets/d/{sid}/edit"
        assert invoke("init", url, "--demo").exit_code == 0
        emu.revoke_service_account()
        revoked = invoke("run", "-v", "--tracker", url)
    assert revoked.exit_code == 3 and "Traceback" not in revoked.output
    assert info["private_key"].splitlines()[1] not in revoked.output and info["private_key_id"] not in revoked.output


def test_summary_worksheet_with_a_native_chart_written_in_the_same_batch(emu, google):
    sid, url, _ = google
    invoke("init", url, "--demo")
    emu.reset_stats()
    assert invoke("run").exit_code == 0
    # cells, colours, Summary and chart: one batchUpdate (and one removing the row stamps)
    assert emu.stats()["by_method"].get("POST") == 2
    summary = emu.sheet(sid, "Summary")
    assert summary.index == 0  # the first tab a coach sees
    values = [v for row in emu.values(sid, "Summary") for v in row]
    assert "Applications by status" in values and "Overdue actions" in values
    (chart,) = summary.charts
    basic = chart["spec"]["basicChart"]
    assert chart["spec"]["title"] == "Applications and interviews per week" and len(basic["series"]) == 2
    source = basic["domains"][0]["domain"]["sourceRange"]["sources"][0]
    assert source["sheetId"] == summary.sheet_id
    assert emu.values(sid, "Summary")[source["startRowIndex"]][0] == "Week"
    # nothing changed: no write, and the Summary (and its chart) stay as they are
    emu.reset_stats()
    assert invoke("run").exit_code == 0
    assert emu.stats()["by_method"].get("POST", 0) == 0 and len(emu.sheet(sid, "Summary").charts) == 1


def test_a_bare_key_still_finds_the_tracker_once_the_summary_is_first(emu, google):
    sid, _url, _ = google
    assert invoke("init", sid, "--demo").exit_code == 0
    assert invoke("run", "--tracker", sid).exit_code == 0
    assert emu.sheet(sid, "Summary").index == 0
    again = invoke("run", "--tracker", sid)
    assert again.exit_code == 0 and "15 rows" in again.output
