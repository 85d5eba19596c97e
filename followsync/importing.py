"""``followsync import FILE --to LOCATION``: a followsync tracker made from the list a person has.

The list is a CSV (read by pandas, the delimiter sniffed: ``,`` ``;`` or tab) or a workbook,
.xlsx, .xls or .ods (read by python-calamine through ``pandas.read_excel(engine="calamine")``).
Its header is found and matched as a tracker's is (synonyms and ``[columns]``, RULES.md section 1);
columns that match nothing are kept, as the person's own, between followsync's user columns and
its own. The new tracker is made by the store's ``create``, as ``init`` makes one, and never
over a tracker that holds rows.

An interview long past: a job seeker importing last month's applications has not forgotten to
say thank you three weeks ago, and a thank-you note now would read oddly. A row whose interview
was more than :data:`LATE_DAYS` days before the import, with Thank-you sent blank, gets the
interview's day in Thank-you sent (so the rules go on to the follow-up, which is still worth
sending) and a line in Notes that says so; clearing that cell brings the thank-you back.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

from .config import Config
from .core import schema
from .core.cells import BadCell, as_text, parse_datetime
from .core.layout import Layout, LayoutColumn
from .core.layout import load as load_layout
from .creating import Made, create
from .errors import UsageError

READERS = {".csv": "csv", ".xlsx": "calamine", ".xlsm": "calamine", ".xls": "calamine", ".ods": "calamine"}
#: An interview more than this many days before the import is too long ago for a thank-you note.
LATE_DAYS = 3


def read_list(path: Path) -> tuple[list[list[Any]], str]:
    """The file's first sheet as rows of cells (blanks None), and the sheet's name."""
    kind = READERS.get(path.suffix.lower())
    if kind is None:
        raise UsageError(
            f"followsync cannot import {path.name}: it reads .csv, .xlsx, .xls and .ods files.",
            hint="Save the list in one of those forms (File > Save as / Download as).",
        )
    if not path.is_file():
        raise UsageError(f"{path} does not exist.")
    try:
        if kind == "csv":
            data = pd.read_csv(path, header=None, dtype=str, keep_default_na=False, sep=None, engine="python")
            sheet = path.stem
        else:
            book = pd.read_excel(path, engine="calamine", header=None, sheet_name=None)
            sheet, data = next(iter(book.items()))
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError, StopIteration) as e:
        raise UsageError(f"followsync cannot read {path.name}: {e}") from None
    return [[_cell(v) for v in row] for row in data.itertuples(index=False)], str(sheet)


def _cell(v: Any) -> Any:
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NaT:
        return None
    if isinstance(v, pd.Timestamp):
        v = v.to_pydatetime()
    if isinstance(v, dt.datetime) and v.time() == dt.time():
        return v.date()
    if isinstance(v, str):
        return v.strip() or None
    return v


def _layout(own: list[str]) -> Layout:
    """The shipped layout with the person's own columns after followsync's user columns."""
    base = load_layout()
    cols = list(base.columns)
    at = next(i for i, lc in enumerate(cols) if lc.column.owner == "followsync")
    extra = [
        LayoutColumn(schema.Column(name, f"own_{i}", "text"), width=max(10, min(40, len(name) + 2)), note="")
        for i, name in enumerate(own)
    ]
    return replace(base, columns=tuple(cols[:at] + extra + cols[at:]))


def _value(column: schema.Column, value: Any, date_order: str) -> Any:
    """A date cell as a date (so the tracker holds dates, not text); anything else as it came."""
    if column.kind not in ("date", "datetime") or value is None:
        return value
    try:
        stamp, has_time = parse_datetime(value, date_order)
    except BadCell:
        return value  # the run says what is wrong with it, row and column
    if stamp is None:
        return None
    return stamp if has_time and column.kind == "datetime" else stamp.date()


def rows_of(
    grid: list[list[Any]], sheet: str, config: Config, today: dt.date
) -> tuple[list[dict[str, Any]], list[str], int]:
    """(rows by column name, the person's own headers, rows whose late thank-you was skipped)."""
    header = schema.locate_header(grid, sheet)
    if header is None:
        raise UsageError(
            f"{sheet!r} has no header followsync can read: none of its first {schema.HEADER_SCAN_ROWS} rows "
            f"names at least {schema.HEADER_MIN_KNOWN} of its columns.",
            hint=schema.mapping_hint(grid) or "Put a header row with Company, Job title and Status first.",
        )
    known = {i: schema.BY_NAME[name] for name, i in header.positions.items()}
    own = {i: as_text(v) for i, v in enumerate(header.cells) if i not in known and as_text(v)}
    rows, skipped = [], 0
    for raw in grid[header.row + 1 :]:
        if all(v is None for v in raw):
            continue
        row = {c.name: _value(c, raw[i], config.date_order) for i, c in known.items() if i < len(raw)}
        row |= {name: raw[i] for i, name in own.items() if i < len(raw) and raw[i] is not None}
        skipped += _skip_late_thank_you(row, today)
        rows.append(row)
    return rows, list(own.values()), skipped


def _skip_late_thank_you(row: dict[str, Any], today: dt.date) -> int:
    """1 when the row's interview is too long ago for a thank-you (see the module's note)."""
    when = row.get("Interview at")
    day = when.date() if isinstance(when, dt.datetime) else when
    if (
        not isinstance(day, dt.date)
        or row.get("Thank-you sent") is not None
        or (today - day).days <= LATE_DAYS
    ):
        return 0
    row["Thank-you sent"] = day
    note = (
        f"Imported {today.isoformat()}: the interview was {(today - day).days} days before, too long ago "
        "for a thank-you note, so Thank-you sent holds the interview's day and the next step is the "
        "follow-up. Clear Thank-you sent to be asked for the note anyway."
    )
    row["Notes"] = f"{row['Notes']}\n{note}" if row.get("Notes") else note
    return 1


def import_list(path: Path, location: str, config: Config, now: dt.datetime) -> Made:
    """``followsync import FILE --to LOCATION``: read the list, make the tracker, say what was made."""
    grid, sheet = read_list(path)
    rows, own, skipped = rows_of(grid, sheet, config, now.date())
    if not rows:
        raise UsageError(f"{path.name} has a header but no rows to import.")
    made = create(location, config, rows, "imported", _layout(own))
    if own:
        made.lines.append(f"Kept your own column{'s' * (len(own) != 1)}: {', '.join(own)}.")
    if skipped:
        made.lines.append(
            f"{skipped} row{'s' * (skipped != 1)} had an interview more than {LATE_DAYS} days ago and no "
            "Thank-you sent: no late thank-you is asked for (their Notes say so); the follow-up comes next."
        )
    return made
