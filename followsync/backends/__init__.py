"""Tracker stores. :func:`open_backend` picks one from what the user wrote as LOCATION.

A new store is a folder here plus a line in :data:`STORES`; every store is built the same
way, ``Class.from_location(location, config, worksheet)``.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from ..errors import UsageError

if TYPE_CHECKING:
    from ..config import Config
    from .base import Backend

#: store_kind -> "module:Class", imported only when a tracker of that kind is opened, so a
#: command on an .xlsx never loads the Google or Airtable client libraries.
STORES = {
    "xlsx": "followsync.backends.xlsx.backend:XlsxBackend",
    "google": "followsync.backends.google.backend:GoogleSheetsBackend",
    "airtable": "followsync.backends.airtable.backend:AirtableBackend",
}


def kind_of(location: str) -> str:
    """``airtable``, ``google`` or ``xlsx``, from the text of a location."""
    if location.startswith("airtable:"):
        return "airtable"
    from .google.location import SHEETS_ADDRESS, parse_location

    return "google" if parse_location(location) is not None or SHEETS_ADDRESS.match(location.strip()) else "xlsx"


#: What a tracker's LOCATION can be, for the message that refuses anything else.
ACCEPTED_FORMS = (
    "an .xlsx file (tracker.xlsx), a Google Sheets URL or key "
    "(https://docs.google.com/spreadsheets/d/KEY/edit), or airtable:BASE_ID/TABLE"
)
_AIRTABLE = re.compile(r"^airtable:[^/\s]+/\S.*$")


@dataclass(frozen=True)
class Location:
    """A tracker's location as the user wrote it, its store, and where that is.

    ``target`` is ``text`` with a relative .xlsx path read from the config file's folder when
    the location came from that file; from ``--tracker``, it is read from the current folder.
    """

    text: str
    store_kind: str
    target: str

    @classmethod
    def parse(cls, text: str, config: Config | None = None, *, new: bool = False) -> Location:
        """``config``: the file the location was written in (None: it came from ``--tracker``).

        ``new``: a tracker to make (``init``, ``import``): only the forms followsync can create
        are taken, so ``jobs.csv`` or ``"My Jobs"`` is refused rather than made an .xlsx."""
        kind = kind_of(text)
        _check_form(text, kind, new)
        target = text
        if kind == "xlsx" and config is not None:
            target = str(config.resolve(text))  # as every path setting is read
        return cls(text, kind, target)


def _check_form(text: str, kind: str, new: bool) -> None:
    from .google.location import parse_location

    if kind == "google" and parse_location(text) is None:
        raise UsageError(
            f"{text!r} is a Google Sheets address that names no spreadsheet.",
            hint="Open the spreadsheet and copy its address from the browser: "
            "https://docs.google.com/spreadsheets/d/KEY/edit.",
        )
    wrong = (kind == "xlsx" and not text.strip().lower().endswith(".xlsx")) or (
        kind == "airtable" and not _AIRTABLE.match(text.strip())
    )
    if new and wrong:
        csv = " To make a tracker from a list you have, use `followsync import FILE --to tracker.xlsx`."
        raise UsageError(
            f"followsync cannot make a tracker at {text!r}.",
            hint=f"A tracker's location is {ACCEPTED_FORMS}."
            + (csv if text.lower().endswith((".csv", ".ods", ".xls")) else ""),
        )


class Store(Protocol):
    """What the registry needs of a store's class: one constructor, the same for every store."""

    def from_location(self, location: str, config: Config, worksheet: str | None) -> Backend: ...


def store_class(store_kind: str) -> Store:
    """The class of a store, imported now."""
    module, _, name = STORES[store_kind].partition(":")
    return getattr(importlib.import_module(module), name)


def open_backend(location: str | None, config: Config, worksheet: str | None = None) -> Backend:
    """The backend for ``location`` (``--tracker``), else the config's ``[tracker] location``.

    Use it as a context manager, ``with open_backend(...) as backend:``, so it is closed.
    """
    if not location and not config.location:
        raise UsageError(
            "No tracker given.",
            hint="Pass --tracker LOCATION (an .xlsx path, a Google Sheets URL, or airtable:BASE/TABLE), "
            "set [tracker] location in followsync.toml, or create one with `followsync init tracker.xlsx --demo`.",
        )
    where = Location.parse(location) if location else Location.parse(str(config.location), config)
    from ..core.schema import use_columns  # here: pandas stays out of `--help` (issue 17)

    use_columns(config.columns)  # [columns]: the store's header lookups and the frame agree
    return store_class(where.store_kind).from_location(where.target, config, worksheet or config.worksheet)
