"""Tracker stores. :func:`open_backend` picks one from what the user wrote as LOCATION."""

from __future__ import annotations

from ..config import Config
from ..errors import UsageError
from .base import Backend


def kind_of(location: str) -> str:
    """``airtable``, ``google`` or ``xlsx``, from the text of a location."""
    if location.startswith("airtable:"):
        return "airtable"
    from .google.location import parse_location

    return "google" if parse_location(location) is not None else "xlsx"


def open_backend(location: str | None, config: Config, worksheet: str | None = None) -> Backend:
    """The backend for ``location`` (``--tracker``), else the config's ``[tracker] location``."""
    from_config = not location
    location = location or config.location
    if not location:
        raise UsageError(
            "No tracker given.",
            hint="Pass --tracker LOCATION (an .xlsx path, a Google Sheets URL, or airtable:BASE/TABLE), "
            "set [tracker] location in followsync.toml, or create one with `followsync init tracker.xlsx --demo`.",
        )
    worksheet = worksheet or config.worksheet
    kind = kind_of(location)
    if kind == "airtable":
        from .airtable.backend import AirtableBackend

        return AirtableBackend.from_location(location, config)
    if kind == "google":
        from .google.backend import GoogleSheetsBackend

        return GoogleSheetsBackend.from_location(location, config, worksheet)
    from .xlsx.backend import XlsxBackend

    # A path from followsync.toml is relative to that file; one from --tracker to the cwd.
    path = config.resolve(location) if from_config else location
    return XlsxBackend(path, worksheet=worksheet)
