"""``followsync init``: make a tracker, and say exactly what was made where (issue 13, item 5).

Before it creates anything, :func:`init_tracker` looks at what the location holds: demo rows
are refused where a person's data already is (the worksheet or table is named), and when the
store lays the tracker into a new worksheet beside a person's own, the lines it returns say so.
The counts in those lines are read back from the store after it wrote, never assumed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from .backends import Location, open_backend
from .config import Config
from .core import schema
from .core.cells import is_blank_cell
from .core.changes import Snapshot
from .core.layout import Layout, demo_rows
from .core.layout import load as load_layout
from .errors import TrackerNotFound, TrackerUnreadable, UsageError


@dataclass
class Made:
    """What ``init`` (or ``import``) did: the worksheet that is now the tracker, and what to say."""

    location: str
    sheet: str
    rows: int
    lines: list[str] = field(default_factory=list)


def peek(location: str, config: Config) -> Snapshot | None:
    """What the location holds now, or None where there is nothing yet (a new file or table)."""
    try:
        with open_backend(location, config) as backend:
            return backend.read()
    except (TrackerNotFound, TrackerUnreadable):
        return None


def data_rows(snapshot: Snapshot | None) -> int:
    """Rows below the header (or below row 1 of a sheet that is not a tracker) holding anything."""
    if snapshot is None:
        return 0
    header = schema.locate_header(snapshot.grid, snapshot.sheet)
    start = header.row + 1 if header is not None else 0
    return sum(1 for row in snapshot.grid[start:] if any(not is_blank_cell(v) for v in row))


def _noun(location: str) -> str:
    return {"airtable": "Table", "google": "Worksheet"}.get(Location.parse(location).store_kind, "Sheet")


def _where(snapshot: Snapshot, location: str) -> str:
    return f"{_noun(location)} {snapshot.sheet!r} of {location}"


def create(
    location: str, config: Config, rows: list[dict[str, Any]], what: str, layout: Layout | None = None
) -> Made:
    """Lay ``layout`` (the shipped one) and ``rows`` at ``location``; ``what`` names the rows ("demo")."""
    Location.parse(location, new=True)  # jobs.csv, "My Jobs": refused, with the forms that work
    before = peek(location, config)
    held = data_rows(before)
    if rows and before is not None and held:
        raise UsageError(
            f"{_where(before, location)} already holds {held} row{'s' * (held != 1)}; "
            f"followsync will not put {what} rows beside them.",
            hint=f"Give a new file, spreadsheet or table for the {what} rows"
            + (", or run init without --demo to make that sheet a tracker." if what == "demo" else "."),
        )
    with open_backend(location, config) as backend:
        backend.create(layout or load_layout(), rows)
    with open_backend(location, config) as backend:
        after = backend.read()
    made = Made(location, after.sheet, data_rows(after))
    added = made.rows - (held if before is not None and before.sheet == after.sheet else 0)
    if before is None:
        made.lines.append(f"Created {location} ({_noun(location).lower()} {after.sheet!r})")
    elif before.sheet != after.sheet:
        made.lines.append(
            f"Added a new worksheet {after.sheet!r} to {location} and made it the tracker: "
            f"{before.sheet!r} holds data that is not a followsync tracker, and was left as it is."
        )
    elif held:
        made.lines.append(
            f"{_where(after, location)} is now a followsync tracker: its columns were added, "
            f"its {held} row{'s' * (held != 1)} kept as {'they were' if held != 1 else 'it was'}"
        )
    else:
        made.lines.append(f"{_where(after, location)} is now a followsync tracker")
    if rows:
        made.lines[-1] += f", with {added} {what} row{'s' * (added != 1)}."
    else:
        made.lines[-1] += "."
    return made


def init_tracker(location: str, config: Config, now: dt.datetime, demo: bool) -> Made:
    """``followsync init LOCATION [--demo]``."""
    return create(location, config, demo_rows(now.date()) if demo else [], "demo")
