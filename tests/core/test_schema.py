"""RULES.md sections 1-2: header matching and cell parsing, with Hypothesis properties."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from followsync.core import cells, schema
from followsync.core.cells import BadCell, CellError, Phrase

from ..conftest import grid_of


@pytest.mark.parametrize(
    "text, name",
    [
        ("Job title", "Job title"),
        ("JOB TITLE", "Job title"),
        ("job_title", "Job title"),
        ("Thank you sent", "Thank-you sent"),
        ("Follow-ups sent (optional)", "Follow-ups sent"),
        ("  Interview At  ", "Interview at"),
        ("OK to call?", "OK to call"),
        ("Notes (optional):", "Notes"),
        ("Salary", None),
        (None, None),
    ],
)
def test_header_matching(text, name):
    col = schema.match_header(text)
    assert (col.name if col else None) == name


def test_header_on_row_three_with_unknown_columns():
    grid = [
        ["My job hunt"],
        [],
        ["Company", "Salary", "Job title", "Interview at"],
        ["Acme", 90000, "Eng", "2026-11-03"],
    ]
    t = schema.frame(grid, "Tracker")
    assert t.header.row == 2
    assert t.header.positions == {"Company": 0, "Job title": 2, "Interview at": 3}
    assert t.frame["_row"].tolist() == [4]


def test_header_needs_three_known_names_in_first_ten_rows():
    assert schema.frame([["Company", "Notes"], ["Acme", "x"]], "T") is None
    late = [[None]] * 10 + [["Company", "Job title", "Status"]]
    assert schema.frame(late, "T") is None


def test_duplicate_header_is_a_problem_and_first_wins():
    grid = [["Company", "Job title", "Company", "Interview at"], ["Acme", "Eng", "Other", None]]
    t = schema.frame(grid, "Tracker")
    assert t.frame["company"].tolist() == ["Acme"]
    assert len(t.problems) == 1 and "duplicate header" in t.problems[0].message
    assert t.problems[0].row == 1 and t.problems[0].column == "Company"


def test_blank_rows_in_the_middle_are_skipped():
    grid = grid_of([{"Company": "A"}, {}, {"Company": "B"}])
    t = schema.frame(grid, "Tracker")
    assert t.frame["company"].tolist() == ["A", "B"]
    assert t.frame["_row"].tolist() == [2, 4]


def test_missing_columns_are_blank():
    t = schema.frame([["Company", "Job title", "Interview at"], ["A", "B", None]], "T")
    assert t.frame["follow_ups_sent"].isna().all()
    assert t.frame["status"].tolist() == [None]


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2026-11-03", dt.date(2026, 11, 3)),
        ("3 Nov 2026", dt.date(2026, 11, 3)),
        ("3 November 2026", dt.date(2026, 11, 3)),
        ("Nov 3, 2026", dt.date(2026, 11, 3)),
        ("03/11/2026", dt.date(2026, 11, 3)),
        ("03.11.2026", dt.date(2026, 11, 3)),
        (dt.date(2026, 11, 3), dt.date(2026, 11, 3)),
        (dt.datetime(2026, 11, 3, 14, 30), dt.date(2026, 11, 3)),
        (46329, dt.date(2026, 11, 3)),
        (46329.75, dt.date(2026, 11, 3)),
        ("", None),
        (None, None),
    ],
)
def test_date_forms(value, expected):
    assert cells.parse_date(value) == expected


def test_date_order_mdy():
    assert cells.parse_date("03/11/2026", "MDY") == dt.date(2026, 3, 11)


def test_datetime_keeps_time():
    assert cells.parse_datetime("2026-11-03 14:30") == (dt.datetime(2026, 11, 3, 14, 30), True)
    assert cells.parse_datetime("3 Nov 2026 2:30 pm") == (dt.datetime(2026, 11, 3, 14, 30), True)
    assert cells.parse_datetime(46329.5) == (dt.datetime(2026, 11, 3, 12, 0), True)


@pytest.mark.parametrize(
    "value", ["31/02/2026", "tomorrow-ish", "#REF!", CellError("#N/A"), True, -5, 10**9, "2026-13-01"]
)
def test_bad_dates_raise_badcell(value):
    with pytest.raises(BadCell):
        cells.parse_date(value)


@pytest.mark.parametrize(
    "text, interview, expected",
    [
        ("next week", dt.date(2026, 11, 16), dt.date(2026, 11, 27)),  # Monday -> Friday of next week
        ("end of next week", dt.date(2026, 11, 20), dt.date(2026, 11, 27)),  # Friday -> next Friday
        ("in 10 days", dt.date(2026, 11, 16), dt.date(2026, 11, 26)),
        ("in 2 weeks", dt.date(2026, 11, 16), dt.date(2026, 11, 30)),
        ("in two weeks", dt.date(2026, 11, 16), dt.date(2026, 11, 30)),
        ("by Friday", dt.date(2026, 11, 16), dt.date(2026, 11, 20)),
        ("by Friday", dt.date(2026, 11, 20), dt.date(2026, 11, 27)),  # the first Friday *after*
        ("By Tuesday.", dt.date(2026, 11, 16), dt.date(2026, 11, 17)),
        ("end of month", dt.date(2026, 11, 16), dt.date(2026, 11, 30)),
        ("end of the month", dt.date(2026, 12, 5), dt.date(2026, 12, 31)),
    ],
)
def test_phrases_relative_to_interview(text, interview, expected):
    phrase = cells.parse_expected(text)
    assert isinstance(phrase, Phrase)
    assert phrase.resolve(interview) == expected


def test_expected_accepts_dates_and_rejects_junk():
    assert cells.parse_expected("2026-12-01") == dt.date(2026, 12, 1)
    with pytest.raises(BadCell, match="timeline"):
        cells.parse_expected("when they feel like it")


@pytest.mark.parametrize(
    "value, n", [(None, None), ("", None), (0, 0), (2, 2), (2.0, 2), ("3", 3), ("3.0", 3)]
)
def test_counts(value, n):
    assert cells.parse_count(value) == n


@pytest.mark.parametrize("value", ["2.5", 2.5, "two", -1, True, "#VALUE!"])
def test_bad_counts(value):
    with pytest.raises(BadCell):
        cells.parse_count(value)


def test_problem_names_sheet_row_and_column():
    grid = [
        ["Company", "Job title", "Interview At (optional)"],
        ["A", "B", "yesterday"],
        ["C", "D", "2026-11-01"],
    ]
    t = schema.frame(grid, "Applications")
    (p,) = t.problems
    assert (p.sheet, p.row, p.column) == ("Applications", 2, "Interview At (optional)")
    assert "sheet 'Applications', row 2, column 'Interview At (optional)'" in str(p)
    assert t.frame["interview_at"].notna().tolist() == [False, True]


def test_error_values_emoji_and_long_cells():
    long = "🚀" * 10_000
    grid = grid_of([{"Company": "#REF!", "Notes": long, "Applied on": "#N/A", "Job title": "Dev 🎯"}])
    t = schema.frame(grid, "Tracker")
    assert {p.column for p in t.problems} == {"Company", "Applied on"}
    assert t.frame["notes"].iat[0] == long and t.frame["job_title"].iat[0] == "Dev 🎯"


def test_phone_text_stays_text():
    t = schema.frame(grid_of([{"Company": "A", "Interviewer phone": "0049 30 1234"}]), "T")
    assert t.frame["interviewer_phone"].iat[0] == "0049 30 1234"


# ---- properties --------------------------------------------------------------------

dates = st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2100, 12, 31))
MONTH_ABBR = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


@given(dates)
def test_every_accepted_text_form_round_trips(d):
    forms = [
        d.isoformat(),
        f"{d.day} {MONTH_ABBR[d.month - 1]} {d.year}",
        f"{MONTH_ABBR[d.month - 1]} {d.day}, {d.year}",
        f"{d.day:02d}/{d.month:02d}/{d.year}",
    ]
    for text in forms:
        assert cells.parse_date(text) == d
    assert cells.parse_date(f"{d.month:02d}/{d.day:02d}/{d.year}", "MDY") == d


@given(dates)
def test_serial_numbers_round_trip(d):
    serial = (d - dt.date(1899, 12, 30)).days
    assert cells.parse_date(serial) == d
    assert cells.parse_date(float(serial) + 0.25) == d


@settings(max_examples=300)
@given(st.one_of(st.text(), st.integers(), st.floats(allow_nan=True), st.booleans(), st.none()))
def test_parsers_never_crash(value):
    for parse in (cells.parse_date, cells.parse_expected, cells.parse_count, cells.parse_yesno):
        try:
            parse(value)
        except BadCell as e:
            assert str(e)


@settings(max_examples=100)
@given(
    st.lists(
        st.lists(st.one_of(st.text(max_size=12), st.integers(), st.none(), dates), max_size=8), max_size=12
    )
)
def test_frame_never_crashes_on_arbitrary_grids(grid):
    header = ["ID", "Company", "Job title", "Interview at", "Follow-ups sent", "Last follow-up"]
    t = schema.frame([header, *grid], "Tracker")
    assert t is not None
    for p in t.problems:
        assert p.row is not None and p.column


@given(st.text())
def test_header_normalisation_is_idempotent(text):
    n = cells.normalize_header(text)
    assert cells.normalize_header(n) == n


@pytest.mark.parametrize(
    "value, expected",
    [
        ("Nov 30 2026 2pm", (dt.datetime(2026, 11, 30, 14, 0), True)),
        ("30 November 2026 at 9:15am", (dt.datetime(2026, 11, 30, 9, 15), True)),
        ("Monday, 30 November 2026", (dt.datetime(2026, 11, 30), False)),
    ],
)
def test_dates_as_people_type_them(value, expected):
    assert cells.parse_datetime(value) == expected


def test_a_relative_date_cell_is_refused_and_the_fix_is_said_once():
    with pytest.raises(BadCell, match="moves with the day"):
        cells.parse_datetime("next Friday 2pm")
    t = schema.frame(grid_of([{"Company": "A", "Job title": "B", "Interview at": "tomorrowish", "Status": "Zzz"}]), "T")
    for p in t.problems:
        assert p.fix and str(p).count(p.fix.split(" (")[0]) == 1, str(p)  # the hint, without its tail
        assert str(p).count("Interviewed") <= 1  # the Status choices are listed once
    assert {p.column for p in t.problems} == {"Interview at", "Status"}


@pytest.mark.parametrize(
    "text, interview, expected",
    [
        ("next Friday 2pm", dt.date(2026, 11, 30), dt.date(2026, 12, 4)),
        ("2 weeks", dt.date(2026, 11, 16), dt.date(2026, 11, 30)),
        ("mid December", dt.date(2026, 11, 16), dt.date(2026, 12, 15)),
        ("mid January", dt.date(2026, 12, 10), dt.date(2027, 1, 15)),  # the next one after the interview
        ("Dec 3", dt.date(2026, 11, 16), dt.date(2026, 12, 3)),
    ],
)
def test_typed_timelines_are_read_from_the_interview(text, interview, expected):
    phrase = cells.parse_expected(text)
    assert isinstance(phrase, Phrase)
    assert phrase.resolve(interview) == expected


def test_typed_dates_honour_date_order():
    assert cells.parse_date("3/11/2026 2pm", "DMY") == dt.date(2026, 11, 3)
    assert cells.parse_date("3/11/2026 2pm", "MDY") == dt.date(2026, 3, 11)
    assert cells.parse_expected("Nov 30 2026 2pm") == dt.date(2026, 11, 30)
