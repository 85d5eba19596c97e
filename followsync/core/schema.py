"""The tracker's columns, header matching, and parsing raw cells into a typed frame.

RULES.md section 1 is the contract: header names match case-insensitively, ignoring spaces,
punctuation and a trailing ``(optional)``; the header is the first of the first 10 rows that
holds at least three known names; unknown columns are kept and never touched.

Everything here is pure: it takes raw cell values (whatever a backend read) and returns a
pandas DataFrame plus a list of :class:`Problem`. Nothing here raises for a user's mistake.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

# --------------------------------------------------------------------------------------
# Columns


@dataclass(frozen=True)
class Column:
    """One column of the tracker: its header, the frame key, its kind and owner."""

    name: str
    key: str
    kind: str  # text, date, datetime, date_or_phrase, count, yesno, choice, date_or_url
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
    # Tick it after sending the draft: the next run records the send (issue "Drafts").
    Column("Mark sent", "mark_sent", "yesno", choices=YES_NO),
    # followsync's own columns, right of the user's
    Column("Next action", "next_action", "text", "followsync"),
    Column("Due", "due", "date", "followsync"),
    Column("Reminder", "reminder", "text", "followsync"),
    Column("Draft subject", "draft_subject", "text", "followsync"),
    Column("Draft message", "draft_message", "text", "followsync"),
    Column("LinkedIn note", "linkedin_note", "text", "followsync"),
    Column("Problems", "problems", "text", "followsync"),
    # What followsync wrote last time (a hidden column), so it can tell a person's edit of a
    # draft from its own text, and notice status changes. Travels with the sheet.
    Column("Draft state", "draft_state", "text", "followsync"),
)

BY_NAME = {c.name: c for c in COLUMNS}
BY_KEY = {c.key: c for c in COLUMNS}
USER_COLUMNS = tuple(c for c in COLUMNS if c.owner == "user")
OWNED_COLUMNS = tuple(c for c in COLUMNS if c.owner == "followsync")
OWNED_NAMES = tuple(c.name for c in OWNED_COLUMNS)
# The status colour is a background on these two (RULES.md section 4).
COLOUR_COLUMNS = ("Next action", "Due")

HEADER_SCAN_ROWS = 10
HEADER_MIN_KNOWN = 3


def normalize_header(text: Any) -> str:
    """The matching form of a header: lower case, no trailing "(optional)", letters only."""
    if text is None:
        return ""
    s = str(text).strip().lower()
    s = re.sub(r"\(\s*optional\s*\)[\W_]*$", "", s)
    return re.sub(r"[\W_]+", "", s)


_NORMALIZED = {normalize_header(c.name): c for c in COLUMNS}


def match_header(text: Any) -> Column | None:
    """The known column a header cell names, or None for a column of the user's own."""
    return _NORMALIZED.get(normalize_header(text))


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
    positions: dict[str, int] = {}
    problems = []
    for i, v in enumerate(cells):
        col = match_header(v)
        if col is None:
            continue
        if col.name in positions:
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


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    s = ""
    n = index + 1
    while n:
        n, rem = divmod(n - 1, 26)
        s = chr(65 + rem) + s
    return s


# --------------------------------------------------------------------------------------
# Cells


@dataclass(frozen=True)
class CellError:
    """A cell whose value cannot be read: an error value like ``#REF!`` or an uncomputed formula."""

    text: str


ERROR_LITERALS = frozenset(
    {"#REF!", "#N/A", "#VALUE!", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!", "#ERROR!", "#SPILL!", "#CALC!"}
)

MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ]
    )
    for m in names
}
WEEKDAYS = {
    name: i
    for i, names in enumerate(
        [
            ("monday", "mon"),
            ("tuesday", "tue", "tues"),
            ("wednesday", "wed"),
            ("thursday", "thu", "thurs"),
            ("friday", "fri"),
            ("saturday", "sat"),
            ("sunday", "sun"),
        ]
    )
    for name in names
}
NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fourteen": 14,
    "a couple of": 2,
    "a few": 3,
}

_EXCEL_EPOCH = dt.datetime(1899, 12, 30)
_SERIAL_MAX = 2958465  # 9999-12-31
_TIME = r"(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?\s*([ap]\.?m\.?)?)?"
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})" + _TIME + r"$", re.I)
_NUMERIC = re.compile(r"(\d{1,2})([/.\-])(\d{1,2})\2(\d{4})" + _TIME + r"$", re.I)
_DAY_MONTH = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?\.? ([a-z]+)\.?,? (\d{4})" + _TIME + r"$", re.I)
_MONTH_DAY = re.compile(r"([a-z]+)\.? (\d{1,2})(?:st|nd|rd|th)?,? (\d{4})" + _TIME + r"$", re.I)

DATE_HINT = "write it as 2026-11-03, 3 Nov 2026 or Nov 3, 2026"


class BadCell(ValueError):
    """A cell that does not parse; the message says what was expected."""


def _time_part(h, m, s, ampm) -> dt.time | None:
    if h is None:
        return None
    hour, minute, second = int(h), int(m), int(s or 0)
    if ampm:
        if not 1 <= hour <= 12:
            raise BadCell("the hour of a time with am/pm must be 1 to 12")
        hour = hour % 12 + (12 if ampm.lower().startswith("p") else 0)
    if hour > 23 or minute > 59 or second > 59:
        raise BadCell("the time is not a valid time of day")
    return dt.time(hour, minute, second)


def _combine(y: int, mo: int, d: int, t: dt.time | None) -> dt.datetime:
    try:
        day = dt.date(y, mo, d)
    except ValueError as e:
        raise BadCell(f"there is no such date ({e})") from None
    return dt.datetime.combine(day, t or dt.time())


def parse_datetime(value: Any, date_order: str = "DMY") -> tuple[dt.datetime | None, bool]:
    """Parse a date cell into (datetime, has_time). Blank gives (None, False).

    Accepts real dates and date-times, spreadsheet serial numbers, ISO text, ``3 Nov 2026``,
    ``Nov 3, 2026`` and ``03/11/2026`` read in ``date_order``. Raises :class:`BadCell`.
    """
    stamp, has_time = _parse_datetime(value, date_order)
    # Outside these years a date is a typo, and pandas cannot hold it anyway.
    if stamp is not None and not MIN_YEAR <= stamp.year <= MAX_YEAR:
        raise BadCell(f"{stamp.date().isoformat()} is not a plausible date (the year must be {MIN_YEAR} to {MAX_YEAR})")
    return stamp, has_time


MIN_YEAR, MAX_YEAR = 1900, 2200


def _parse_datetime(value: Any, date_order: str) -> tuple[dt.datetime | None, bool]:
    if value is None:
        return None, False
    if isinstance(value, CellError):
        raise BadCell(f"the cell holds {value.text}, not a date")
    if isinstance(value, bool):
        raise BadCell(f"{value!r} is not a date")
    if isinstance(value, pd.Timestamp):
        if pd.isna(value):
            return None, False
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime):
        has_time = value.time() != dt.time()
        return value.replace(tzinfo=None), has_time
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time()), False
    if isinstance(value, int | float):
        if not math.isfinite(value) or not 1 <= value <= _SERIAL_MAX:
            raise BadCell(f"{value!r} is not a date (as a spreadsheet serial number it is out of range)")
        stamp = _EXCEL_EPOCH + dt.timedelta(days=float(value))
        stamp = stamp.replace(microsecond=0) + dt.timedelta(seconds=round(stamp.microsecond / 1e6))
        return stamp, float(value) != int(value)
    text = " ".join(str(value).split())
    if not text:
        return None, False
    if text.upper() in ERROR_LITERALS:
        raise BadCell(f"the cell holds {text}, not a date")
    if m := _ISO.match(text):
        y, mo, d = int(m[1]), int(m[2]), int(m[3])
        t = _time_part(m[4], m[5], m[6], m[7])
        return _combine(y, mo, d, t), t is not None
    if m := _NUMERIC.match(text):
        a, b, y = int(m[1]), int(m[3]), int(m[4])
        d, mo = (a, b) if date_order == "DMY" else (b, a)
        t = _time_part(m[5], m[6], m[7], m[8])
        return _combine(y, mo, d, t), t is not None
    for rx, day_first in ((_DAY_MONTH, True), (_MONTH_DAY, False)):
        if m := rx.match(text):
            d_s, mon_s = (m[1], m[2]) if day_first else (m[2], m[1])
            mo = MONTHS.get(mon_s.lower())
            if mo is None:
                raise BadCell(f"{mon_s!r} is not a month; {DATE_HINT}")
            t = _time_part(m[4], m[5], m[6], m[7])
            return _combine(int(m[3]), mo, int(d_s), t), t is not None
    raise BadCell(f"{_quote(text)} is not a date; {DATE_HINT}")


def parse_date(value: Any, date_order: str = "DMY") -> dt.date | None:
    """Like :func:`parse_datetime`, keeping the date only."""
    stamp, _ = parse_datetime(value, date_order)
    return stamp.date() if stamp else None


@dataclass(frozen=True)
class Phrase:
    """An expected-response phrase, read relative to the interview date (RULES.md section 3)."""

    kind: str  # next_week, days, weekday, end_of_month, this_week
    n: int = 0

    def resolve(self, interview: dt.date) -> dt.date:
        if self.kind == "next_week":
            monday = interview - dt.timedelta(days=interview.weekday())
            return monday + dt.timedelta(days=11)  # Friday of the following week
        if self.kind == "this_week":
            friday = interview + dt.timedelta(days=(4 - interview.weekday()) % 7)
            return friday if friday > interview else friday + dt.timedelta(days=7)
        if self.kind == "days":
            return interview + dt.timedelta(days=self.n)
        if self.kind == "weekday":
            ahead = (self.n - interview.weekday()) % 7 or 7
            return interview + dt.timedelta(days=ahead)
        if self.kind == "end_of_month":
            first_next = (interview.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
            return first_next - dt.timedelta(days=1)
        raise AssertionError(self.kind)


_NUM = "|".join(sorted((re.escape(w) for w in NUMBER_WORDS), key=len, reverse=True))
_IN_N = re.compile(rf"(?:in|within|after)\s+(\d+|{_NUM})\s+(day|week)s?$")
_WEEKDAY = re.compile(r"(?:by|on|before|until|next)\s+(?:this\s+|next\s+)?([a-z]+)$")
PHRASE_HINT = (
    "use a date, or one of: next week, end of next week, in 10 days, in 2 weeks, by Friday, end of month"
)


def parse_phrase(text: str) -> Phrase | None:
    """The phrase an Expected response by cell holds, or None when it holds none we know."""
    s = re.sub(r"[^a-z0-9 ]+", " ", text.lower())
    s = " ".join(s.replace(" the ", " ").split())
    s = s.removeprefix("the ").removeprefix("by ").strip() if s.startswith(("by end", "by the end")) else s
    s = s.replace("end of the", "end of")
    if s in ("next week", "end of next week", "by next week", "within next week"):
        return Phrase("next_week")
    if s in ("this week", "end of this week", "end of week", "by end of week", "by end of this week"):
        return Phrase("this_week")
    if s in ("end of month", "end of this month", "by end of month", "end of the month"):
        return Phrase("end_of_month")
    if s in ("tomorrow",):
        return Phrase("days", 1)
    if m := _IN_N.match(s):
        n = int(m[1]) if m[1].isdigit() else NUMBER_WORDS[m[1]]
        return Phrase("days", n * (7 if m[2] == "week" else 1))
    if m := _WEEKDAY.match(s):
        day = WEEKDAYS.get(m[1])
        if day is not None:
            return Phrase("weekday", day)
    return None


def parse_expected(value: Any, date_order: str = "DMY") -> dt.date | Phrase | None:
    """A date, or a phrase relative to the interview. Raises :class:`BadCell`."""
    if isinstance(value, str):
        phrase = parse_phrase(value)
        if phrase is not None:
            return phrase
    try:
        return parse_date(value, date_order)
    except BadCell:
        raise BadCell(f"{_quote(value)} is neither a date nor a timeline followsync understands") from None


def parse_count(value: Any) -> int | None:
    """Follow-ups sent: a whole number, blank meaning 0. Raises :class:`BadCell`."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, CellError):
        raise BadCell(f"the cell holds {value.text}, not a number")
    if isinstance(value, bool):
        raise BadCell(f"{value!r} is not a whole number")
    if isinstance(value, int):
        n = value
    elif isinstance(value, float):
        if not math.isfinite(value) or value != int(value):
            raise BadCell(f"{value!r} is not a whole number")
        n = int(value)
    else:
        text = str(value).strip()
        if not re.fullmatch(r"\d+(\.0+)?", text):
            raise BadCell(f"{_quote(text)} is not a whole number")
        n = int(float(text))
    if n < 0:
        raise BadCell(f"{n} is negative")
    if n > 1000:
        raise BadCell(f"{n} follow-ups is not plausible")
    return n


_TRUE = {"yes", "y", "true", "1", "x", "ok", "✓", "✔", "checked"}
_FALSE = {"no", "n", "false", "0", "", "-"}


def parse_yesno(value: Any) -> bool | None:
    """OK to call: yes/no (a checkbox's True/False too). Raises :class:`BadCell`."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    s = str(value).strip().lower()
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False if s else None
    raise BadCell(f"{_quote(value)} is not yes or no")


def parse_choice(value: Any, choices: Iterable[str]) -> str | None:
    """A drop-down value, matched like headers are. Raises :class:`BadCell`."""
    text = as_text(value)
    if not text:
        return None
    wanted = normalize_header(text)
    for c in choices:
        if normalize_header(c) == wanted:
            return c
    raise BadCell(f"{_quote(text)} is not one of: {', '.join(choices)}")


def as_text(value: Any) -> str:
    """A cell as text for text columns; numbers keep no trailing ``.0``."""
    if value is None:
        return ""
    if isinstance(value, CellError):
        return ""
    if isinstance(value, float) and math.isfinite(value) and value == int(value):
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M") if value.time() != dt.time() else value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def _quote(value: Any) -> str:
    s = str(value)
    return repr(s if len(s) <= 40 else s[:37] + "...")


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


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def frame(grid: Sequence[Sequence[Any]], sheet: str, date_order: str = "DMY") -> Tracker | None:
    """Read a grid of raw cells into a :class:`Tracker`; None when no header is found."""
    header = locate_header(grid, sheet)
    if header is None:
        return None
    problems = list(header.problems)
    owned_positions = {header.positions[n] for n in OWNED_NAMES if n in header.positions}
    data: dict[str, list[Any]] = {c.key: [] for c in COLUMNS}
    rows, indexes = [], []
    for gi in range(header.row + 1, len(grid)):
        raw = grid[gi]
        # A row is blank when every user cell is blank (stale owned cells don't make a row).
        if all(_blank(v) for i, v in enumerate(raw) if i not in owned_positions):
            continue
        rows.append(gi + 1)
        indexes.append(gi)
        for c in COLUMNS:
            pos = header.positions.get(c.name)
            data[c.key].append(raw[pos] if pos is not None and pos < len(raw) else None)
    out = pd.DataFrame({"_row": pd.array(rows, dtype="int64"), "_index": pd.array(indexes, dtype="int64")})
    for c in COLUMNS:
        values = data[c.key]
        if c.owner == "followsync":
            # followsync's own cells are never a user's mistake; sync compares them raw.
            out[c.key] = pd.Series(values, dtype=object)
            continue
        header_text = str(header.cells[header.positions[c.name]]) if c.name in header.positions else c.name
        parsed, bad = _parse_column(c, values, date_order)
        for i, msg in bad.items():
            ident = as_text(data["id"][i]) or None
            problems.append(Problem(sheet, rows[i], header_text, msg, _fix_for(c), ident))
        for k, v in parsed.items():
            out[k] = v
        if c.kind not in ("text",) or c.key == "id":
            out[f"{c.key}_bad"] = pd.array([i in bad for i in range(len(values))], dtype="bool")
    return Tracker(sheet, header, out, problems)


def _fix_for(c: Column) -> str:
    return {
        "date": DATE_HINT,
        "datetime": DATE_HINT + " (a time like 14:30 may follow)",
        "date_or_phrase": PHRASE_HINT,
        "count": "write a whole number such as 0, 1 or 2",
        "yesno": "choose Yes or No",
        "choice": "choose from the drop-down: " + ", ".join(c.choices),
        "date_or_url": "put the date you connected, or the profile URL",
        "text": "replace the error with text",
    }.get(c.kind, "")


def _parse_column(c: Column, values: list[Any], date_order: str) -> tuple[dict[str, Any], dict[int, str]]:
    """Parse one column; unique values are parsed once, since trackers repeat many values."""
    bad: dict[int, str] = {}
    cache: dict[Any, Any] = {}

    def each(fn):
        out = []
        for i, v in enumerate(values):
            try:
                hashable = (type(v), v) if not isinstance(v, list | dict) else (type(v), repr(v))
            except TypeError:
                hashable = None
            try:
                if hashable is not None and hashable in cache:
                    result = cache[hashable]
                else:
                    result = fn(v)
                    if hashable is not None:
                        cache[hashable] = result
                if isinstance(result, BadCell):
                    raise result
            except BadCell as e:
                if hashable is not None:
                    cache[hashable] = e
                bad[i] = str(e)
                result = None
            out.append(result)
        return out

    if c.kind == "text":
        def text(v):
            if isinstance(v, CellError) or (isinstance(v, str) and v.strip().upper() in ERROR_LITERALS):
                raise BadCell(f"the cell holds {getattr(v, 'text', v)}")
            return as_text(v)

        return {c.key: pd.Series(each(text), dtype=object)}, bad
    if c.kind == "date":
        days = each(lambda v: parse_date(v, date_order))
        return {c.key: pd.to_datetime(pd.Series(days, dtype="object"), errors="coerce").astype("datetime64[ns]")}, bad
    if c.kind == "datetime":
        stamps = each(lambda v: parse_datetime(v, date_order))
        when = [s[0] if s else None for s in stamps]
        timed = [bool(s and s[1]) for s in stamps]
        return {
            c.key: pd.to_datetime(pd.Series(when, dtype="object"), errors="coerce").astype("datetime64[ns]"),
            f"{c.key}_has_time": pd.array(timed, dtype="bool"),
        }, bad
    if c.kind == "date_or_phrase":
        return {c.key: pd.Series(each(lambda v: parse_expected(v, date_order)), dtype=object)}, bad
    if c.kind == "count":
        return {c.key: pd.array(each(parse_count), dtype="Int64")}, bad
    if c.kind == "yesno":
        return {c.key: pd.array(each(parse_yesno), dtype="boolean")}, bad
    if c.kind == "choice":
        return {c.key: pd.Series(each(lambda v: parse_choice(v, c.choices)), dtype=object)}, bad
    if c.kind == "date_or_url":
        def linkedin(v):
            if _blank(v):
                return ""
            if isinstance(v, CellError):
                raise BadCell(f"the cell holds {v.text}")
            return as_text(v) or "yes"

        return {c.key: pd.Series(each(linkedin), dtype=object)}, bad
    raise AssertionError(c.kind)
