"""Where the shipped ``sheet_templates/`` are: the tracker layout, demo rows, message templates.

The repository keeps them at its top level, where a person browsing it finds them; the wheel
carries them inside the package as ``followsync/sheet_templates/`` (see ``pyproject.toml``), so
an installed followsync and a source checkout find the same files.
"""

from __future__ import annotations

from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

#: The message templates' folder inside sheet_templates/.
MESSAGES = "messages"


def root() -> Traversable:
    """The ``sheet_templates/`` folder: the installed package's, else the source checkout's."""
    installed = resources.files("followsync").joinpath("sheet_templates")
    if installed.is_dir():
        return installed
    return Path(__file__).resolve().parents[2] / "sheet_templates"


def read_text(*parts: str) -> str:
    """A shipped file's text, e.g. ``read_text("messages", "thank_you.j2")``."""
    return root().joinpath(*parts).read_text(encoding="utf-8")


def names(folder: str = MESSAGES) -> list[str]:
    """The file names in a shipped folder, sorted."""
    return sorted(p.name for p in root().joinpath(folder).iterdir() if p.is_file())
