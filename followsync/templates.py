"""The shipped message templates, and copying them out for a person to edit.

A template in the person's ``templates_dir`` overrides the shipped one of the same name
(``core/drafts.py``); ``followsync templates list`` shows which, and ``followsync templates
export DIR`` gives them a copy to start from.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from .core import shipped
from .errors import UsageError


@dataclass(frozen=True)
class Template:
    """One shipped message template, and the person's file that overrides it, if any."""

    name: str
    overridden_by: Path | None


def listing(templates_dir: Path | None) -> list[Template]:
    """Every shipped message template, with the person's override where ``templates_dir`` has one."""
    out = []
    for name in shipped.names():
        mine = templates_dir / name if templates_dir else None
        out.append(Template(name, mine if mine is not None and mine.is_file() else None))
    return out


def export(folder: Path, name: str | None = None, language: str = "en") -> list[Path]:
    """Copy the shipped templates (or the one named) into ``folder``; never overwrite a file.

    ``language`` picks the set: English (``messages/``), else ``messages/de/``, ``fr/``, ``es/``.
    Nothing is copied when any target exists, so a second export cannot half-overwrite a
    person's edited set.
    """
    where = shipped.MESSAGES if language == "en" else f"{shipped.MESSAGES}/{language}"
    available = shipped.names(where)
    if name is not None:
        wanted = name if name.endswith(".j2") else f"{name}.j2"
        if wanted not in available:
            raise UsageError(
                f"There is no shipped template {name!r}.",
                hint="Choose one of: " + ", ".join(available) + " (see `followsync templates list`).",
            )
        available = [wanted]
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{folder} is a file, not a folder.", hint="Name a folder to copy the templates into.")
    taken = [folder / n for n in available if (folder / n).exists()]
    if taken:
        raise UsageError(
            f"{taken[0]} already exists" + (f" (and {len(taken) - 1} more)" if len(taken) > 1 else "") + "; nothing copied.",
            hint="Export into an empty folder, or name one template: `followsync templates export DIR thank_you`.",
        )
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for n in available:
        source = shipped.root().joinpath(*where.split("/"), n)
        with source.open("rb") as src, (folder / n).open("xb") as dst:
            shutil.copyfileobj(src, dst)
        written.append(folder / n)
    return written
