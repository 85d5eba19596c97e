"""Issue 12, case 5: a user's mistake gives one sentence and exit 2 or 3, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from followsync import cli

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def demo(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FOLLOWSYNC_LOCK_DIR", str(tmp_path / "locks"))
    done = CliRunner().invoke(cli.main, ["init", "tracker.xlsx", "--demo"])
    assert done.exit_code == 0, done.output
    return tmp_path


def _one_sentence(done, code: int) -> str:
    assert done.exit_code == code, done.output
    assert done.exception is None or isinstance(done.exception, SystemExit), done.exception
    assert "Traceback" not in done.output
    return done.output


def test_a_huge_day_count_is_refused_by_config_validation(demo):
    (demo / "followsync.toml").write_text(
        '[tracker]\nlocation = "tracker.xlsx"\n[rules]\nfollow_up_gap_days = 1000000000000\n'
    )
    out = _one_sentence(CliRunner().invoke(cli.main, ["run", "--now", "2026-11-25T09:00"]), 2)
    assert "rules.follow_up_gap_days" in out and "365" in out


@pytest.mark.parametrize("stamp", ["9999-12-31T23:59", "0001-01-01T00:00"])
def test_now_outside_1900_to_2200_is_refused(demo, stamp):
    out = _one_sentence(CliRunner().invoke(cli.main, ["run", "--now", stamp]), 2)
    assert stamp in out and "1900 to 2200" in out


def test_an_unusable_lock_folder_names_the_setting(demo, monkeypatch):
    monkeypatch.setenv("FOLLOWSYNC_LOCK_DIR", "/proc/nope")
    out = _one_sentence(CliRunner().invoke(cli.main, ["run", "--now", "2026-11-25T09:00"]), 2)
    assert "FOLLOWSYNC_LOCK_DIR" in out and "/proc/nope" in out


def test_an_ascii_terminal_gets_replacement_characters(demo):
    # A company with a character ASCII lacks, shown in the digest of a dry run.
    import openpyxl

    wb = openpyxl.load_workbook(demo / "tracker.xlsx")
    ws = wb["Tracker"]
    header = [c.value for c in ws[1]]
    ws.cell(2, header.index("Company") + 1, "Café Größe ✨")
    wb.save(demo / "tracker.xlsx")
    env = dict(os.environ, PYTHONIOENCODING="ascii", PYTHONPATH=str(ROOT), COLUMNS="200")
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from followsync.cli import main; main()",
            "run",
            "--dry-run",
            "--now",
            "2026-11-25T09:00",
        ],
        capture_output=True,
        text=True,
        cwd=demo,
        env=env,
        encoding="ascii",
        errors="strict",
        timeout=120,
    )
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode in (0, 1), done.stderr
    assert "Caf? Gr??e ?" in done.stdout


def test_a_template_that_escapes_the_sandbox_exits_2_naming_file_and_line(demo, monkeypatch):
    monkeypatch.setenv("FOLLOWSYNC_TEST_SECRET", "hunter2-secret")
    (demo / "mine").mkdir()
    (demo / "mine" / "follow_up.j2").write_text("Hello,\n{{ cycler.__init__.__globals__.os.environ }}\n")
    (demo / "followsync.toml").write_text('templates_dir = "mine"\n[tracker]\nlocation = "tracker.xlsx"\n')
    out = _one_sentence(CliRunner().invoke(cli.main, ["run", "--now", "2026-11-25T09:00"]), 2)
    assert "follow_up.j2, line 2" in out and "unsafe" in out and "hunter2" not in out
