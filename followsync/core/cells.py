"""What a cell means, both ways: raw cells parsed into typed values, and frame values read back.

Parsing (RULES.md section 1): :func:`parse_date`, :func:`parse_datetime`, :func:`parse_expected`,
:func:`parse_count`, :func:`parse_yesno` and :func:`parse_choice` take whatever a backend read
and return a typed value or raise :class:`BadCell` with a message a person can act on;
:func:`parse_column` does a whole column at once, as ``schema.frame`` needs it.

Reading back: :func:`is_blank`, :func:`text`, :func:`texts`, :func:`as_date` and :func:`as_count`
say what blank, text, a date and a count mean for a value of the typed frame (NaN, NA and NaT are blank), and
:func:`frame_records` / :func:`aligned_records` give a frame's rows as plain dicts, fast.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .distinct import parse_distinct, parse_text
from .language import foreign_phrase
from .typed_dates import parse_typed

if TYPE_CHECKING:
    from .schema import Column


# --------------------------------------------------------------------------------------
# Parsing raw cells


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
        raise BadCell(
            f"{stamp.date().isoformat()} is not a plausible date (the year must be {MIN_YEAR} to {MAX_YEAR})"
        )
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
            month = MONTHS.get(mon_s.lower())
            if month is None:
                raise BadCell(f"{mon_s!r} is not a month")
            t = _time_part(m[4], m[5], m[6], m[7])
            return _combine(int(m[3]), month, int(d_s), t), t is not None
    return _typed_date(text, date_order)


def _typed_date(text: str, date_order: str) -> tuple[dt.datetime, bool]:
    """A date cell's text the strict forms refused: a fixed day dateparser reads, or :class:`BadCell`."""
    typed = parse_typed(text, dt.datetime(2000, 1, 1), date_order) if len(text) <= 60 else None
    if typed is None:
        raise BadCell(f"{_quote(text)} is not a date")
    if typed[2]:
        raise BadCell(f"{_quote(text)} moves with the day it is read; a date cell needs the day itself")
    return typed[0], typed[1]


def parse_date(value: Any, date_order: str = "DMY") -> dt.date | None:
    """Like :func:`parse_datetime`, keeping the date only."""
    stamp, _ = parse_datetime(value, date_order)
    return stamp.date() if stamp else None


@dataclass(frozen=True)
class Phrase:
    """An expected-response phrase, read relative to the interview date (RULES.md section 3)."""

    kind: str  # next_week, days, weekday, end_of_month, this_week, typed
    n: int = 0
    text: str = ""  # kind "typed": what was written, read by dateparser from the interview date
    date_order: str = "DMY"

    def resolve(self, interview: dt.date) -> dt.date:
        if self.kind == "typed":
            base = dt.datetime.combine(interview, dt.time())
            typed = parse_typed(self.text, base, self.date_order)
            return typed[0].date() if typed else interview
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
    "use a date, or a timeline from the interview such as: next week, in 10 days, 2 weeks, "
    "by Friday, next Friday 2pm, mid December, end of month"
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
    foreign = foreign_phrase(text)  # "nächste Woche", "dans 10 jours", "la próxima semana"
    return Phrase(*foreign) if foreign else None


def parse_expected(value: Any, date_order: str = "DMY") -> dt.date | Phrase | None:
    """A date, or a phrase relative to the interview. Raises :class:`BadCell`."""
    if isinstance(value, str):
        phrase = parse_phrase(value)
        if phrase is not None:
            return phrase
    try:
        return parse_date(value, date_order)
    except BadCell:
        pass
    if isinstance(value, str) and len(value) <= 60:
        base = dt.datetime(2000, 1, 3)  # a Monday: only whether the text is relative matters here
        typed = parse_typed(value, base, date_order)
        if typed is not None:
            return Phrase("typed", text=" ".join(value.split()), date_order=date_order)
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
    raise BadCell(f"{_quote(text)} is not one of the choices")


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
# A column at once


def normalize_header(text: Any) -> str:
    """The matching form of a header: lower case, no trailing "(optional)", letters only."""
    if text is None:
        return ""
    s = str(text).strip().lower()
    if "(" in s:  # only then can it end in "(optional)"
        s = _OPTIONAL.sub("", s)
    return _NOT_LETTERS.sub("", s)


_OPTIONAL = re.compile(r"\(\s*optional\s*\)[\W_]*$")  # compiled once: a run normalizes every ID
_NOT_LETTERS = re.compile(r"[\W_]+")


def is_blank_cell(v: Any) -> bool:
    """A raw cell as read holds nothing: None, or only whitespace (what makes a row blank)."""
    return v is None or (isinstance(v, str) and not v.strip())


def fix_for(c: Column) -> str:
    """How to fix a cell of column ``c`` that did not parse."""
    return {
        "date": DATE_HINT,
        "datetime": DATE_HINT + " (a time like 14:30 may follow)",
        "date_or_phrase": PHRASE_HINT,
        "count": "write a whole number such as 0, 1 or 2",
        "yesno": "choose Yes or No",
        "tick_or_date": "choose Yes, or type the day you sent it",
        "choice": "choose from the drop-down: " + ", ".join(c.choices),
        "date_or_url": "put the date you connected, or the profile URL",
        "text": "replace the error with text",
    }.get(c.kind, "")


def parse_column(c: Column, values: list[Any], date_order: str) -> tuple[dict[str, Any], dict[int, str]]:
    """Parse one column: its frame columns by key, and ``{position: message}`` for the cells
    that did not parse. Unique values are parsed once, since trackers repeat many values."""
    bad: dict[int, str] = {}

    def each(fn: Callable[[Any], Any]) -> list[Any]:
        return _parse_each(values, fn, bad)

    if c.kind == "text":
        return {c.key: pd.Series(parse_text(values, _text_cell, bad, BadCell), dtype=object)}, bad
    if c.kind == "date":
        days = each(lambda v: parse_date(v, date_order))
        return {
            c.key: pd.to_datetime(pd.Series(days, dtype="object"), errors="coerce").astype("datetime64[ns]")
        }, bad
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
    if c.kind == "tick_or_date":
        from .ticks import parse_tick_column  # Mark sent: a tick, or the day it was sent

        return parse_tick_column(c.key, values, each, date_order), bad
    if c.kind == "choice":
        return {c.key: pd.Series(each(lambda v: parse_choice(v, c.choices)), dtype=object)}, bad
    if c.kind == "date_or_url":
        return {c.key: pd.Series(each(_linkedin_cell), dtype=object)}, bad
    raise AssertionError(c.kind)


def _parse_each(values: list[Any], fn: Callable[[Any], Any], bad: dict[int, str]) -> list[Any]:
    """``fn`` of every value (None where it raised :class:`BadCell`, its message in ``bad``),
    each distinct value parsed once (:func:`.distinct.parse_distinct`)."""
    return parse_distinct(values, fn, bad, BadCell)


def _text_cell(v: Any) -> str:
    if type(v) is str:  # most cells: what as_text makes of them, without its other checks
        stripped = v.strip()
        if stripped.upper() in ERROR_LITERALS:
            raise BadCell(f"the cell holds {v}")
        return stripped
    if isinstance(v, CellError) or (isinstance(v, str) and v.strip().upper() in ERROR_LITERALS):
        raise BadCell(f"the cell holds {getattr(v, 'text', v)}")
    return as_text(v)


def _linkedin_cell(v: Any) -> str:
    if is_blank_cell(v):
        return ""
    if isinstance(v, CellError):
        raise BadCell(f"the cell holds {v.text}")
    return as_text(v) or "yes"


# --------------------------------------------------------------------------------------
# Frame values read back


def text(value: Any) -> str:
    """A cell as stripped text; None, NaN, NA and NaT are ''."""
    if type(value) is str:  # most cells, and what the rest of this comes to for them
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    try:
        if value is pd.NA or value is pd.NaT:
            return ""
    except TypeError:  # pragma: no cover - defensive
        pass
    return " ".join(str(value).split()) if not isinstance(value, str) else value.strip()


def texts(column: pd.Series) -> list[str]:
    """:func:`text` of every value of a column (most are text already)."""
    return [v.strip() if type(v) is str else text(v) for v in column.tolist()]


def as_date(value: Any, *, parse: bool = False) -> dt.date | None:
    """A frame value (Timestamp, datetime, date, NaT) as a date; None for anything else,
    unless ``parse``: then text and serial numbers are read as :func:`parse_date` reads them
    (None where they do not parse)."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.date()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not parse:
        return None
    try:
        return parse_date(value)
    except BadCell:
        return None


def frame_records(frame: pd.DataFrame, keys: tuple[str, ...]) -> Iterator[dict[str, Any]]:
    """``frame.to_dict("records")`` with only the columns ``keys`` names (those it has): the
    same values, at a fraction of the cost for a wide frame, one dict at a time (a run's worth
    of dicts alive at once could set off a full garbage collection, which on a process holding
    a large workbook took longer than the drafts).

    Built column by column: pandas gives a row's values by iterating each column, then
    converts the values of object and extension columns (NumPy scalars to Python ones, pd.NA
    to None). A column holding only the plain types of _PLAIN, which that conversion leaves
    as they are, is used as iterated; any other goes through ``to_dict`` itself.
    """
    if not frame.columns.is_unique:  # not a tracker frame: the plain conversion
        return iter(frame.to_dict("records"))
    columns = [k for k in keys if k in frame.columns]
    if not columns:
        return ({} for _ in range(len(frame)))
    values = [_column_values(frame, k) for k in columns]
    return (dict(zip(columns, row, strict=True)) for row in zip(*values, strict=True))


_NO_DEFAULT: Any = object()


def aligned_records(
    frame: pd.DataFrame, keys: tuple[str, ...], index: pd.Index, default: Any = _NO_DEFAULT
) -> Iterator[dict[str, Any]]:
    """:func:`frame_records` in the order of ``index``: for each label, the record of
    ``frame``'s row with that label (as a dict keyed by ``frame.index`` would give it),
    ``default`` where there is none, KeyError without a default."""
    records = frame_records(frame, keys)
    if frame.index.is_unique and frame.index.equals(index):
        return records
    by_label = dict(zip(frame.index, records, strict=True))
    if default is _NO_DEFAULT:
        return (by_label[label] for label in index)
    return (by_label.get(label, default) for label in index)


# Types that to_dict's conversion (pandas' maybe_box_native) returns as they are; not pd.NA,
# which it turns into None.
_PLAIN = frozenset({str, type(None), float, int, bool, dt.date, dt.datetime, pd.Timestamp, type(pd.NaT)})


_MASKED = (pd.arrays.IntegerArray, pd.arrays.BooleanArray, pd.arrays.FloatingArray)  # Int64, boolean, ...


def _column_values(frame: pd.DataFrame, key: str) -> list[Any]:
    column = frame[key]
    # A NumPy column's tolist gives what iterating it gives (its objects; Python scalars for
    # numbers and bools), in C rather than an item call per value (issue 17).
    numpy = isinstance(column.dtype, np.dtype) and column.dtype.kind in "biufO"
    if isinstance(column.array, _MASKED):
        # to_dict's conversion of a masked column: its values as Python scalars, pd.NA as None.
        return column.array.to_numpy(dtype=object, na_value=None).tolist()
    # A text column's tolist gives what iterating it gives (its str and its missing value).
    text_ = isinstance(column.dtype, pd.StringDtype)
    values = column.tolist() if numpy or text_ else list(column)
    if _PLAIN.issuperset(map(type, values)):
        return values
    return [row[key] for row in frame[[key]].to_dict("records")]


def as_count(value: Any) -> int:
    """A count of the frame (Follow-ups sent, a plan's rule) as an int; blank (None, NaN, NA) is 0."""
    return 0 if value is None or pd.isna(value) else int(value)


def is_blank(value: Any) -> bool:
    """A frame value holds nothing: None, ``""``, or a missing value (NaN, NA, NaT)."""
    if value is None or (isinstance(value, str) and value == ""):
        return True
    return not isinstance(value, str) and bool(pd.isna(value))
