"""The wheel carries the templates, and the console script is declared."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation", "-q", "-w", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode != 0 and "No module named" in done.stderr and "setuptools" in done.stderr:
        pytest.skip("setuptools is not installed here (pip install '.[test]' brings it)")
    assert done.returncode == 0, done.stderr
    (path,) = out.glob("followsync-*.whl")
    return zipfile.ZipFile(path)


def test_sheet_templates_are_inside_the_wheel(wheel):
    names = set(wheel.namelist())
    shipped = {
        str(p.relative_to(ROOT)).replace("\\", "/")
        for p in (ROOT / "followsync" / "sheet_templates").rglob("*")
        if p.is_file()
    }
    assert shipped and shipped <= names
    assert "followsync/sheet_templates/messages/thank_you.j2" in names


def test_console_script_is_declared(wheel):
    entry = next(n for n in wheel.namelist() if n.endswith("entry_points.txt"))
    assert "followsync = followsync.cli:main" in wheel.read(entry).decode()
