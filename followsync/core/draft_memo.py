"""What lets a run take a row's drafts from the sheet instead of rendering them again.

A row's drafts, their lint findings and its Mail link are a pure function of a few inputs:
the row's cells that :mod:`.drafts` reads (``drafts.ROW_KEYS``), the message kind, whether it
gets a LinkedIn note, the day its words count from (``wording.said_on``), its language, the
plan's medium and Interviewer email (for the link), the templates' sources and the settings
they and lint read. :func:`fingerprint` hashes all of them.

After a run writes a row's drafts, its Draft state keeps a *memo*: a hash of the fingerprint
together with the texts and the link written (:func:`memo`), written only when those are
followsync's own and nothing was wrong with them (no lint finding, no too-long input, no link
without its body). The next run computes today's fingerprint and hashes it with the cells it
reads: equal to the memo means the inputs are what they were and the cells hold exactly what
followsync wrote for them, so rendering again would give the same texts, lint would find
nothing again and the link would come out the same. Anything else (an edited cell, a changed
input, template or setting, a state without a memo: a first run, a v1 state, a blank or broken
one) falls back to the full computation.

The code that renders, lints and links is part of the fingerprint too, as a hash of the core's
source (:func:`code_digest`): a new release or a local edit makes every row again once, with no
version number to remember to bump.
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
import pandas as pd

from .cells import is_blank

if TYPE_CHECKING:
    from ..config import Config

Reuse = Sequence[tuple[str, str] | None]  # per row: (Next action, memo) of its Draft state

def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:  # pragma: no cover - both are dependencies
        return "?"


# The libraries whose behaviour the texts depend on (Jinja renders; Babel writes the dates).
_LIBRARIES = (_version("jinja2"), _version("babel"))


@dataclass(frozen=True)
class Rendered:
    """What ``drafts.render`` says of each row besides its texts, in the frame's ``attrs``: the
    key of an input too long for the draft to fit a cell (or ""), whether the drafts were taken
    from the sheet, and the row's fingerprint (None for a row without drafts).

    Never changed once made, so a copy is the same object: pandas deep-copies a frame's attrs
    each time a column is taken from it, which for three lists of a run's rows cost more than
    the rendering they save.
    """

    too_long: list[str]
    reused: list[bool]
    fingerprints: list[str | None]

    def __copy__(self) -> Rendered:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Rendered:
        return self


# A templates_dir holding more than these (a folder of other things) is not hashed on every run:
# its rows are rendered, as without a memo.
MAX_TEMPLATE_BYTES = 8 << 20
MAX_TEMPLATE_FOLDERS = 500


def templates_digest(env: jinja2.Environment) -> str | None:
    """A hash of every file each of the environment's loaders can load from (names and bytes),
    or None when a loader is not a folder on disk or holds more than MAX_TEMPLATE_BYTES (then
    nothing is memoised)."""
    loader = env.loader
    loaders = loader.loaders if isinstance(loader, jinja2.ChoiceLoader) else [loader]
    h = hashlib.sha1()
    read = 0
    folders = 0
    for one in loaders:
        if not isinstance(one, jinja2.FileSystemLoader):
            return None
        for folder in one.searchpath:
            # A folder's place in the search, not its path: followsync installed elsewhere (a new
            # venv, another Python) has the same templates, and no row need be made again.
            folders += 1
            h.update(f"\0folder {folders}\0".encode())
            # Into linked folders too, as the loader goes; a loop of links ends at the limit.
            for depth, (root, dirs, files) in enumerate(os.walk(folder, followlinks=True)):
                dirs.sort()
                for name in sorted(files):
                    path = os.path.join(root, name)
                    h.update(f"\0{os.path.relpath(path, folder)}\0".encode())
                    try:
                        with open(path, "rb") as f:
                            data = f.read(MAX_TEMPLATE_BYTES + 1 - read)
                    except OSError:
                        return None  # unreadable: rendering says what is wrong, if it needs it
                    read += len(data)
                    if read > MAX_TEMPLATE_BYTES:
                        return None
                    h.update(data)
                if depth > MAX_TEMPLATE_FOLDERS:
                    return None
    return h.hexdigest()


@functools.cache
def code_digest(folder: Path = Path(__file__).parent) -> str | None:
    """A hash of the core's source (the ``.py`` files of ``folder``, by name and bytes): the code
    that renders, lints and links drafts lives there. None when it can't be read (a build that
    ships no source): then nothing is memoised."""
    h = hashlib.sha1()
    try:
        for path in sorted(folder.glob("*.py")):
            h.update(f"\0{path.name}\0".encode())
            h.update(path.read_bytes())
    except OSError:
        return None
    return h.hexdigest()


def config_fingerprint(config: Config, env: jinja2.Environment, language: str) -> str | None:
    """What the drafts of ``language``, their lint and links read besides the row: the settings,
    the templates, the libraries and the code (:func:`code_digest`); None when the templates or
    the code can't be hashed."""
    templates, code = templates_digest(env), code_digest()
    if templates is None or code is None:
        return None
    settings = (
        code,
        _LIBRARIES,
        language,
        repr(config.profile),
        repr(config.rules),
        config.language,
        config.signoff,
        str(config.templates_dir),
        templates,
    )
    return hashlib.sha1(repr(settings).encode()).hexdigest()


def fingerprint(settings: str, row: Mapping[str, Any], keys: tuple[str, ...], *extra: Any) -> str:
    """A row's fingerprint: ``settings`` (:func:`config_fingerprint`), the row's values of
    ``keys`` and ``extra`` (kind, LinkedIn, the day, language, medium, ...). ``repr`` tells the
    types apart ('1' from 1, a date from a text), so equal fingerprints mean equal inputs."""
    values = (settings, *extra, *map(row.get, keys))
    return hashlib.sha1(repr(values).encode("utf-8", "surrogatepass")).hexdigest()


def memo(fp: str, subject: str, message: str, note: str, link: str) -> str:
    """The memo Draft state keeps: the fingerprint and what was written for it, in one hash."""
    h = hashlib.sha1(fp.encode())
    for part in (subject, message, note, link):
        h.update(b"\0")
        h.update(part.encode("utf-8", "surrogatepass"))
    return h.hexdigest()[:20]


def as_written(value: Any) -> str | None:
    """A draft or link cell as the text a run would have written into it: a blank cell is "";
    None for a cell that is neither text nor blank (a number typed over it), never a memo's."""
    if isinstance(value, str):
        return value
    return "" if is_blank(value) else None


def sheet_cells(frame: pd.DataFrame, keys: tuple[str, ...]) -> list[list[Any]] | None:
    """The frame's columns ``keys`` (the draft and Mail link cells), one list each; None without them all."""
    if not all(k in frame.columns for k in keys):
        return None
    return [frame[k].tolist() for k in keys]


def from_sheet(
    fp: str, sheet: list[list[Any]] | None, i: int, state: tuple[str, str] | None, action: str
) -> tuple[str, str, str, str] | None:
    """Row ``i``'s drafts as its cells hold them, when its Draft state's memo says they are what
    rendering gives for ``fp`` (and were linted and linked without a finding); else None."""
    if sheet is None or state is None or not state[1] or state[0] != action:
        return None
    written = [as_written(column[i]) for column in sheet]
    subject, message, note, link = written
    if subject is None or message is None or note is None or link is None:
        return None
    if memo(fp, subject, message, note, link) != state[1]:
        return None
    return subject, message, note, ""
