"""The wheel carries the templates (kept at the repository's top), works in a fresh venv, and
declares the console script."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import tomllib
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
        for p in (ROOT / "sheet_templates").rglob("*")
        if p.is_file()
    }
    shipped = {"followsync/" + name for name in shipped}
    assert shipped and shipped <= names
    assert "followsync/sheet_templates/messages/thank_you.j2" in names


def test_console_script_is_declared(wheel):
    entry = next(n for n in wheel.namelist() if n.endswith("entry_points.txt"))
    assert "followsync = followsync.cli:main" in wheel.read(entry).decode()


def test_sheet_templates_are_at_the_top_of_the_repository():
    assert (ROOT / "sheet_templates" / "layout.toml").is_file()
    assert (ROOT / "sheet_templates" / "messages" / "thank_you.j2").is_file()
    assert not (ROOT / "followsync" / "sheet_templates").exists()


def test_every_package_is_listed_for_the_build():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {
        ".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "followsync").rglob("__init__.py")
    }
    assert found <= listed, f"add to [tool.setuptools] packages: {sorted(found - listed)}"


def test_the_wheel_works_in_a_fresh_venv(wheel, tmp_path):
    """Installed from the wheel alone, followsync finds its templates and renders a draft."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    purelib = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()
    )
    with zipfile.ZipFile(wheel.filename) as whl:  # a wheel is a zip: unpacking it installs it
        whl.extractall(purelib)
    # The dependencies come from this environment, after the venv's own site-packages.
    (purelib / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    cli = [str(python), "-I", "-c", "import sys; from followsync.cli import main; sys.exit(main())"]

    def followsync(*args):
        return subprocess.run([*cli, *args], capture_output=True, text=True, timeout=300, cwd=tmp_path)

    made = followsync("init", "tracker.xlsx", "--demo")
    assert made.returncode == 0, made.stderr
    ran = followsync("run", "--tracker", "tracker.xlsx", "--now", "2026-11-25T09:00", "--quiet")
    assert ran.returncode in (0, 1), ran.stderr  # 1: the demo rows have Problems on purpose
    where = subprocess.run(
        [str(python), "-I", "-c", "import followsync, pathlib; print(pathlib.Path(followsync.__file__).parent)"],
        capture_output=True, text=True, check=True, cwd=tmp_path,
    ).stdout.strip()
    assert Path(where).is_relative_to(purelib)  # the wheel's copy ran, not the checkout
    import openpyxl

    sheet = openpyxl.load_workbook(tmp_path / "tracker.xlsx")["Tracker"]
    header = [c.value for c in sheet[1]]
    drafts = [r[header.index("Draft message")] for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert any(d and "Best regards" in d for d in drafts)
