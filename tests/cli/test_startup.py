"""Issue 17: the commands that compute nothing start without the heavy libraries.

Each case runs ``python -X importtime -m followsync ...`` in a fresh interpreter and reads the
modules it imported from the importtime lines on stderr (the issue's own measure).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from followsync import __version__, cli

ROOT = Path(__file__).resolve().parents[2]

#: top-level modules none of the light commands may import
HEAVY = frozenset(
    [
        "pandas",
        "numpy",
        "gspread",
        "google.auth",
        "pyairtable",
        "matplotlib",
        "jinja2",
        "openpyxl",
        "imapclient",
        "babel",
        "dateparser",
    ]
)
_IMPORTED = re.compile(r"^import time:\s+\d+ \|\s+\d+ \|\s*(\S+)\s*$")


def imported(args: list[str], cwd: Path) -> tuple[subprocess.CompletedProcess, set[str]]:
    """Run followsync with ``args``; its result, and every module it imported."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), COLUMNS="100")
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "followsync", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
    )
    names = {m[1] for line in done.stderr.splitlines() if (m := _IMPORTED.match(line))}
    return done, names


def heavy_in(names: set[str]) -> set[str]:
    """The heavy libraries among ``names`` (a package or any of its submodules)."""
    return {h for h in HEAVY if any(n == h or n.startswith(h + ".") for n in names)}


def _commands(group=cli.main, prefix=()) -> list[tuple[str, ...]]:
    out = []
    for name, command in sorted(group.commands.items()):
        out.append((*prefix, name))
        if hasattr(command, "commands"):
            out += _commands(command, (*prefix, name))
    return out


@pytest.mark.parametrize("args", [("--help",), ("-h",), *[(*c, "--help") for c in _commands()]], ids=" ".join)
def test_help_imports_none_of_the_heavy_libraries(args, tmp_path):
    done, names = imported(list(args), tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Usage: followsync" in done.stdout
    assert "followsync.cli" in names  # the measure sees the program's own imports
    assert heavy_in(names) == set()


def test_version_prints_the_version_and_imports_none_of_the_heavy_libraries(tmp_path):
    done, names = imported(["--version"], tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == f"followsync, version {__version__}"
    assert heavy_in(names) == set()


def test_commands_that_compute_nothing_start_light(tmp_path):
    (tmp_path / "followsync.toml").write_text('[tracker]\nlocation = "tracker.xlsx"\n', encoding="utf-8")
    for args in (["schedule"], ["templates", "list"], ["templates", "export", str(tmp_path / "mine")]):
        done, names = imported(args, tmp_path)
        assert done.returncode == 0, (args, done.stderr[-2000:])
        assert heavy_in(names) == set(), args
    assert (tmp_path / "mine" / "follow_up.j2").is_file()
    # The measure is real: a command that computes does import them (here failing for want of a tracker).
    done, names = imported(["check", "--tracker", str(tmp_path / "missing.xlsx")], tmp_path)
    assert "Traceback" not in done.stderr
    assert {"pandas", "openpyxl"} <= heavy_in(names)
