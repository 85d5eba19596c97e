"""The store registry: one Location parser, lazy store imports, backends closed by ``with``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from followsync.backends import STORES, Location, store_class
from followsync.backends.memory import MemoryBackend
from followsync.config import Config

SHEET_URL = "https://docs.google.com/spreadsheets/d/1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789/edit#gid=0"


def test_a_relative_path_from_the_config_is_read_from_its_folder(tmp_path):
    cfg = Config(path=tmp_path / "followsync.toml")
    assert Location.parse("jobs/tracker.xlsx", cfg) == Location(
        "jobs/tracker.xlsx", "xlsx", str(tmp_path / "jobs" / "tracker.xlsx")
    )
    absolute = str(tmp_path / "elsewhere.xlsx")
    assert Location.parse(absolute, cfg).target == absolute


def test_a_path_from_the_command_line_is_read_from_the_current_folder(tmp_path):
    assert Location.parse("tracker.xlsx") == Location("tracker.xlsx", "xlsx", "tracker.xlsx")


def test_remote_locations_are_kept_as_written(tmp_path):
    cfg = Config(path=tmp_path / "followsync.toml")
    assert Location.parse(SHEET_URL, cfg) == Location(SHEET_URL, "google", SHEET_URL)
    assert Location.parse("airtable:appXYZ/Jobs", cfg) == Location(
        "airtable:appXYZ/Jobs", "airtable", "airtable:appXYZ/Jobs"
    )


def test_every_store_kind_names_a_class():
    for kind in STORES:
        assert isinstance(store_class(kind), type)


def test_opening_an_xlsx_loads_no_client_library_of_another_store(tmp_path):
    code = (
        "import sys\n"
        "from followsync.backends import open_backend\n"
        "from followsync.config import Config\n"
        f"with open_backend({str(tmp_path / 't.xlsx')!r}, Config()) as b:\n"
        "    pass\n"
        "loaded = [m for m in ('gspread', 'pyairtable', 'google.auth') if m in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root)
    assert done.returncode == 0, done.stderr


def test_a_backend_is_closed_when_its_with_block_ends():
    closed = []

    class Counting(MemoryBackend):
        def close(self) -> None:
            closed.append(True)

    backend = Counting([["Company"]])
    with backend as b:
        assert b is backend
    assert closed == [True]
    try:
        with Counting([["Company"]]):
            raise KeyError("boom")
    except KeyError:
        pass
    assert closed == [True, True]
