"""The tracker's columns, header matching, and parsing raw cells into a typed frame.

RULES.md section 1 is the contract: header names match case-insensitively, ignoring spaces,
punctuation and a trailing ``(optional)``; the header is the first of the first 10 rows that
holds at least three known names; unknown columns are kept and never touched.

Everything here is pure: it takes raw cell values (whatever a backend read) and returns a
pandas DataFrame plus a list of :class:`Problem`. Nothing here raises for a user's mistake.
What one cell means (the parsers, blank, text, dates) is in :mod:`followsync.core.cells`.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from itertools import zip_longest
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ConfigError
from .cells import as_text, fix_for, is_blank_cell, normalize_header, parse_column
from .header_names import SYNONYMS

# --------------------------------------------------------------------------------------
# Columns


@dataclass(frozen=True)
class Column:
    """One column of the tracker: its header, the frame key, its kind and owner."""

    name: str
    key: str
    kind: str  # text, date, datetime, date_or_phrase, count, yesno, tick_or_date, choice, date_or_url
    owner: str = "user"  # "user" or "followsync"
    choices: tuple[str, ...] = ()


STATUSES = (
    "Applied",
    "Interview scheduled",
    "Interviewed",
    "Waiting",
    "Next round",
    "Offer",
    "Accepted",
    "Rejected",
    "Withdrawn",
    "Closed",
)
MEDIUMS = ("Email", "Phone", "LinkedIn", "Other")
YES_NO = ("Yes", "No")
LANGUAGE_CODES = ("en", "de", "fr", "es")  # core/language.py LANGUAGES

COLUMNS: tuple[Column, ...] = (
    Column("ID", "id", "text"),
    Column("Company", "company", "text"),
    Column("Job title", "job_title", "text"),
    Column("Location", "location", "text"),
    Column("Applied on", "applied_on", "date"),
    Column("Status", "status", "choice", choices=STATUSES),
    Column("Interview at", "interview_at", "datetime"),
    Column("Interviewer", "interviewer", "text"),
    Column("Interviewer role", "interviewer_role", "text"),
    Column("Interviewer email", "interviewer_email", "text"),
    Column("Interviewer phone", "interviewer_phone", "text"),
    Column("OK to call", "ok_to_call", "yesno", choices=YES_NO),
    Column("Other contact", "other_contact", "text"),
    Column("Expected response by", "expected_response_by", "date_or_phrase"),
    Column("Thank-you sent", "thank_you_sent", "date"),
    Column("Follow-ups sent", "follow_ups_sent", "count"),
    Column("Last follow-up", "last_follow_up", "date"),
    Column("Last medium", "last_medium", "choice", choices=MEDIUMS),
    Column("Response on", "response_on", "date"),
    Column("Rejection reply sent", "rejection_reply_sent", "date"),
    Column("LinkedIn", "linkedin", "date_or_url"),
    Column("Talking points", "talking_points", "text"),
    Column("Highlights", "highlights", "text"),
    Column("Open questions", "open_questions", "text"),
    Column("Notes", "notes", "text"),
    Column("Language", "language", "choice", choices=LANGUAGE_CODES),
    # Tick it after sending the draft, or type the day you sent it: the next run records the
    # send (issue "Drafts"; the day: core/ticks.py).
    Column("Mark sent", "mark_sent", "tick_or_date", choices=YES_NO),
    # Tick it to apply the Inbox cell's suggestion (Status, Response on); the run clears it.
    Column("Accept inbox", "accept_inbox", "yesno", choices=YES_NO),
    # followsync's own columns, right of the user's
    Column("Next action", "next_action", "text", "followsync"),
    Column("Due", "due", "date", "followsync"),
    Column("Reminder", "reminder", "text", "followsync"),
    Column("Draft subject", "draft_subject", "text", "followsync"),
    Column("Draft message", "draft_message", "text", "followsync"),
    Column("LinkedIn note", "linkedin_note", "text", "followsync"),
    # A mailto: link that opens the email draft in the mail program (issue 13, core/mailto.py).
    Column("Mail link", "mail_link", "text", "followsync"),
    Column("Problems", "problems", "text", "followsync"),
    # What the mailbox said about the row (issue 15, only with [inbox]): date, sender, label.
    Column("Inbox", "inbox", "text", "followsync"),
    # What followsync wrote last time (a hidden column), so it can tell a person's edit of a
    # draft from its own text, and notice status changes. Travels with the sheet.
    Column("Draft state", "draft_state", "text", "followsync"),
)

BY_NAME = {c.name: c for c in COLUMNS}
BY_KEY = {c.key: c for c in COLUMNS}
USER_COLUMNS = tuple(c for c in COLUMNS if c.owner == "user")
OWNED_COLUMNS = tuple(c for c in COLUMNS if c.owner == "followsync")
OWNED_NAMES = tuple(c.name for c in OWNED_COLUMNS)
# Owned columns a run adds to a sheet only when it writes one of their cells (issue 15's
# Inbox, written only with [inbox]); the others are added on the first run.
ADDED_WHEN_WRITTEN = ("Inbox",)
# The status colour is a background on these two (RULES.md section 4).
COLOUR_COLUMNS = ("Next action", "Due")

HEADER_SCAN_ROWS = 10
HEADER_MIN_KNOWN = 3


_NORMALIZED = {normalize_header(c.name): c for c in COLUMNS}
_SYNONYMS = {normalize_header(k): BY_NAME[v] for k, v in SYNONYMS.items()}
#: ``[columns]`` of followsync.toml as :func:`header_map` reads it (normalized header -> column,
#: None for "the person's own"). Set once per opened tracker (``backends.open_backend``), so the
#: stores' header lookups and :func:`frame` agree on where each column is.
_MAPPED: ContextVar[Mapping[str, Column | None]] = ContextVar("followsync_columns", default=MappingProxyType({}))
EXACT, SYNONYM = 0, 1  # how a header matched: its own name or [columns], or a synonym


def _match(text: Any) -> tuple[Column | None, int]:
    key = normalize_header(text)
    mapped = _MAPPED.get()
    if key in mapped:
        return mapped[key], EXACT
    if key in _NORMALIZED:
        return _NORMALIZED[key], EXACT
    return _SYNONYMS.get(key), SYNONYM


def match_header(text: Any) -> Column | None:
    """The known column a header cell names (its name, a synonym, or ``[columns]``), or None for
    a column of the user's own."""
    return _match(text)[0]


MAPPABLE = tuple(c.name for c in USER_COLUMNS)  # followsync's own columns are not a person's to map


def header_map(columns: Iterable[tuple[str, str]]) -> dict[str, Column | None]:
    """``[columns]`` (header -> followsync column, "" for "my own column") checked and read.

    Raises :class:`ConfigError` listing every wrong target and the columns one can name."""
    out: dict[str, Column | None] = {}
    wrong = []
    for header, target in columns:
        col = _NORMALIZED.get(normalize_header(target)) if target else None
        if target and (col is None or col.owner != "user"):
            close = difflib.get_close_matches(str(target), MAPPABLE, n=1, cutoff=0.6)
            why = "is a column followsync writes itself" if col else "is not a followsync column"
            why += f" (did you mean {close[0]!r}?)" if close and not col else ""
            wrong.append(f"columns.{header!r} = {target!r}: {target!r} {why}")
            continue
        out[normalize_header(header)] = col
    if wrong:
        error = ConfigError.listing("The [columns] table", wrong)
        error.hint = f'A header can be mapped to one of: {", ".join(MAPPABLE)}; or to "" to keep it your own.'
        raise error
    return out


def use_columns(columns: Iterable[tuple[str, str]]) -> None:
    """Read headers through ``[columns]`` from now on (in this thread)."""
    _MAPPED.set(header_map(columns))


@contextmanager
def mapped_columns(columns: Iterable[tuple[str, str]]) -> Iterator[None]:
    """Read headers through ``[columns]`` inside the ``with`` block."""
    token = _MAPPED.set(header_map(columns))
    try:
        yield
    finally:
        _MAPPED.reset(token)


def _guess(text: str) -> Column | None:
    """The column a header most likely means: a close spelling of a name or synonym, or a name
    inside it (``Company (legal name)``); None when nothing is close."""
    names = {k: c for k, c in {**_SYNONYMS, **_NORMALIZED}.items() if c.owner == "user"}
    key = normalize_header(text)
    close = difflib.get_close_matches(key, list(names), n=1, cutoff=0.75)
    if close:
        return names[close[0]]
    inside = [k for k in names if len(k) >= 5 and k in key]
    return names[max(inside, key=len)] if inside else None


def mapping_hint(grid: Sequence[Sequence[Any]]) -> str:
    """For a sheet whose header matches too little: its headers, each with the ``[columns]``
    line that maps it (a best guess), ready to paste into followsync.toml."""
    rows = list(grid[:HEADER_SCAN_ROWS])
    best = max(rows, key=lambda r: sum(bool(as_text(v)) for v in r), default=[])
    lines = []
    for v in best:
        text = as_text(v)
        if not text or match_header(text) is not None:
            continue
        guess = _guess(text)
        key = json.dumps(text, ensure_ascii=False)  # a TOML basic string
        lines.append(
            f'{key} = "{guess.name}"'
            if guess
            else f'# {key} = ""   # your own column, or one of the names below'
        )
    if not lines:
        return ""
    return (
        "Map its headers in followsync.toml (each line a guess: check it), or rename them:\n[columns]\n"
        + "\n".join(lines)
        + f"\nfollowsync's columns: {', '.join(MAPPABLE)}."
    )


# --------------------------------------------------------------------------------------
# Problems


@dataclass(frozen=True)
class Problem:
    """Something wrong with one cell (or row) of the tracker, said so a person can fix it.

    ``row`` is the sheet's own 1-based row number; ``column`` the header as the user wrote it.
    """

    sheet: str
    row: int | None
    column: str | None
    message: str
    fix: str = ""
    key: str | None = None  # the row's ID, when it has one

    def where(self) -> str:
        parts = [f"sheet {self.sheet!r}"]
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column!r}")
        return ", ".join(parts)

    def short(self) -> str:
        """The text for the row's Problems cell (the sheet and row are implied there)."""
        head = f"{self.column}: " if self.column else ""
        tail = f" ({self.fix})" if self.fix else ""
        return f"{head}{self.message}{tail}"

    def __str__(self) -> str:
        tail = f" Fix: {self.fix}" if self.fix else ""
        return f"{self.where()}: {self.message}.{tail}"


# --------------------------------------------------------------------------------------
# Header


@dataclass
class Header:
    """Where the header is and which known column sits in which grid column."""

    row: int  # 0-based index into the grid
    cells: list[Any]
    positions: dict[str, int]  # canonical column name -> 0-based column index
    problems: list[Problem] = field(default_factory=list)

    @property
    def width(self) -> int:
        """Index one past the last non-blank header cell."""
        last = -1
        for i, v in enumerate(self.cells):
            if v not in (None, ""):
                last = i
        return last + 1


def locate_header(grid: Sequence[Sequence[Any]], sheet: str = "") -> Header | None:
    """Find the header: the first of the first 10 rows holding three or more known names."""
    for r, row in enumerate(grid[:HEADER_SCAN_ROWS]):
        known = {c.name for c in (match_header(v) for v in row) if c}
        if len(known) >= HEADER_MIN_KNOWN:
            return _read_header(r, list(row), sheet)
    return None


def _read_header(r: int, cells: list[Any], sheet: str) -> Header:
    """Own names and ``[columns]`` first, then synonyms for the columns still missing: a second
    name for a column already found (``Position`` beside ``Job title``) is the person's own."""
    positions: dict[str, int] = {}
    problems = []
    matches = [(i, v, *_match(v)) for i, v in enumerate(cells)]
    for i, v, col, rank in sorted(matches, key=lambda m: m[3]):
        if col is None:
            continue
        if col.name in positions:
            if rank == SYNONYM:
                continue
            problems.append(
                Problem(
                    sheet,
                    r + 1,
                    str(v),
                    f"duplicate header: {col.name!r} is also column {column_letter(positions[col.name])}",
                    "rename or delete one of them; followsync uses the first",
                )
            )
            continue
        positions[col.name] = i
    return Header(r, cells, positions, problems)


def header_positions(cells: Sequence[Any]) -> dict[str, int]:
    """Which known column sits where in one header row, as :func:`locate_header` decides it
    (own names and ``[columns]`` before synonyms; the first of two alike)."""
    return _read_header(0, list(cells), "").positions


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    s = ""
    n = index + 1
    while n:
        n, rem = divmod(n - 1, 26)
        s = chr(65 + rem) + s
    return s


# --------------------------------------------------------------------------------------
# The typed frame


@dataclass
class Tracker:
    """A read tracker: the typed frame, where each column is, and what is wrong with cells.

    ``frame`` has one row per data row (blank rows dropped) with the keys of :data:`COLUMNS`
    as columns, plus ``_row`` (the 1-based sheet row), ``_index`` (the grid index) and, per
    parsed column, ``<key>_bad`` (True where the cell did not parse).
    """

    sheet: str
    header: Header
    frame: pd.DataFrame
    problems: list[Problem]


def frame(grid: Sequence[Sequence[Any]], sheet: str, date_order: str = "DMY") -> Tracker | None:
    """Read a grid of raw cells into a :class:`Tracker`; None when no header is found."""
    header = locate_header(grid, sheet)
    if header is None:
        return None
    problems = list(header.problems)
    owned_positions = {header.positions[n] for n in OWNED_NAMES if n in header.positions}
    # A row is blank when every user cell is blank (stale owned cells don't make a row).
    indexes = [
        gi
        for gi in range(header.row + 1, len(grid))
        if not all(is_blank_cell(v) for i, v in enumerate(grid[gi]) if i not in owned_positions)
    ]
    rows = [gi + 1 for gi in indexes]
    # The kept rows turned into columns at once (issue 17: a Python step per cell cost more);
    # zip_longest pads the ragged rows with None. Each column is let go once it is in the frame
    # (_take): all of them twice over, as tuples and lists, was a run's largest use of memory.
    columns = list(zip_longest(*(grid[gi] for gi in indexes)))
    ids = _take(columns, header.positions.get(BY_KEY["id"].name), len(indexes))
    out = pd.DataFrame({"_row": pd.array(rows, dtype="int64"), "_index": pd.array(indexes, dtype="int64")})
    for c in COLUMNS:
        values = ids if c.key == "id" else _take(columns, header.positions.get(c.name), len(indexes))
        if c.owner == "followsync":
            # followsync's own cells are never a user's mistake; diff compares them raw.
            out[c.key] = pd.Series(values, dtype=object)
            continue
        header_text = str(header.cells[header.positions[c.name]]) if c.name in header.positions else c.name
        parsed, bad = parse_column(c, values, date_order)
        for i, msg in bad.items():
            ident = as_text(ids[i]) or None
            problems.append(Problem(sheet, rows[i], header_text, msg, fix_for(c), ident))
        for k, v in parsed.items():
            out[k] = v
        if c.kind not in ("text",) or c.key == "id":
            flags = np.zeros(len(values), dtype=bool)
            flags[list(bad)] = True
            out[f"{c.key}_bad"] = pd.array(flags, dtype="bool")
    return Tracker(sheet, header, out, problems)


def _take(columns: list[tuple[Any, ...]], pos: int | None, n: int) -> list[Any]:
    """The ``n`` cells of column ``pos``, taken out of ``columns``; all None without one, or
    past every row's end."""
    if pos is None or pos >= len(columns):
        return [None] * n
    cells, columns[pos] = list(columns[pos]), ()
    return cells
