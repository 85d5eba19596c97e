"""The Summary worksheet: a :class:`~followsync.outputs.summary.Summary` laid out as a grid of
plain cells, and the :class:`~followsync.core.changes.SheetWrite` that puts it in the tracker.

Only the figures are computed in ``summary.py``; here they become rows a person reads at the
top of the workbook, and the run compares them with what the sheet already shows, so a day on
which no figure moved rewrites nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from ..core.changes import ChartSpec, SheetWrite
from ..core.own_sheets import SUMMARY, Placement, changed_cells
from .summary import WEEK_DAYS, Summary, percent

#: the Summary worksheet's first cell, by which a run knows the worksheet is followsync's
TITLE = "Job search summary"


@dataclass(frozen=True)
class Section:
    """Where a table sits in :func:`layout`'s grid: 0-based row of its header, rows, columns."""

    row: int
    rows: int  # the header row included
    columns: int


@dataclass(frozen=True)
class SummaryGrid:
    """The Summary worksheet as :func:`layout` lays it out: the grid, and where each table is."""

    grid: list[list[Any]]
    sections: dict[str, Section]


class _Tables:
    """A grid being laid out, one titled table after another."""

    def __init__(self) -> None:
        self.grid: list[list[Any]] = []
        self.sections: dict[str, Section] = {}

    def table(
        self, name: str, heading: str, header: list[str], body: list[list[Any]], empty: str = ""
    ) -> None:
        grid = self.grid
        grid.append([heading])
        if not body and empty:
            grid.append([empty])
        else:
            self.sections[name] = Section(len(grid), len(body) + 1, len(header))
            grid.append(header)
            grid.extend(body)
        grid.append([])

    def done(self) -> SummaryGrid:
        grid = self.grid
        while grid and not grid[-1]:
            grid.pop()
        width = max(len(r) for r in grid)
        return SummaryGrid([r + [""] * (width - len(r)) for r in grid], self.sections)


def layout(summary: Summary, *, title: str = TITLE) -> SummaryGrid:
    """The Summary worksheet as a rectangular grid, and where each table is in it.

    ``sections["weeks"]`` is the per-week table (Week, Week of, Applications, Interviews,
    Messages sent), the source range for a native chart on Google Sheets.
    """
    s = summary
    tables = _Tables()
    tables.grid += [[title], ["Updated", s.today], []]
    tables.table(
        "status",
        "Applications by status",
        ["Status", "Applications"],
        [[status, count] for status, count in s.by_status.items()] + [["Total", s.applications]],
    )
    if s.inferred_statuses:
        tables.grid.insert(
            len(tables.grid) - 1, [f"({s.inferred_statuses} with a blank Status, counted by their dates)"]
        )
    _figures(tables, s)
    _action_tables(tables, s)
    tables.table(
        "weeks",
        "Applications and interviews per week",
        list(WEEKS_HEADER),
        [[w.week, w.monday, w.applications, w.interviews, w.messages] for w in s.weeks],
    )
    return tables.done()


def _figures(tables: _Tables, s: Summary) -> None:
    """The "At a glance" figures and the response rates."""
    share = percent(s.thank_you_share)
    tables.table(
        "figures",
        "At a glance",
        ["Figure", "Value"],
        [
            ["Interviews this month", s.interviews_this_month],
            ["  of which still to come", s.interviews_ahead],
            ["Thank-you notes within 24 hours", f"{s.thank_you_on_time} of {s.thank_you_expected} ({share})"],
            ["Follow-ups sent", s.follow_ups_sent],
            ["Overdue actions", len(s.overdue)],
            ["Interviewed (funnel)", s.funnel.get("Interviewed", 0)],
            ["Offers", s.offers],
        ],
    )
    tables.table(
        "response_rates",
        "Response rate after each follow-up",
        ["Follow-ups sent", "Applications", "Responded", "Response rate"],
        [[r.follow_ups, r.applications, r.responded, percent(r.rate)] for r in s.response_rates],
        empty="No interviews yet.",
    )


def _action_tables(tables: _Tables, s: Summary) -> None:
    """The overdue actions, and those due this week."""
    action_header = ["Row", "ID", "Company", "Job title", "Next action", "Due"]
    # No "days overdue" count: it would change every cell of the table every morning (issue 19);
    # Due says since when, and the terminal digest and report count the days.
    tables.table(
        "overdue",
        "Overdue actions",
        action_header,
        [[a.row, a.id, a.company, a.job_title, a.next_action, a.due] for a in s.overdue],
        empty="Nothing overdue.",
    )
    tables.table(
        "due",
        f"Due in the next {WEEK_DAYS} days",
        action_header,
        [[a.row, a.id, a.company, a.job_title, a.next_action, a.due] for a in s.due_this_week],
        empty="Nothing due this week.",
    )


def to_grid(summary: Summary, *, title: str = TITLE) -> list[list[Any]]:
    """The Summary worksheet: a title, then sections with a heading and a small table each.

    Rectangular; every value is a str, int or datetime.date (shares are text like '75%').
    """
    return layout(summary, title=title).grid


SUMMARY_SHEET = SUMMARY
WEEKS_HEADER = ["Week", "Week of", "Applications", "Interviews", "Messages sent"]


def summary_sheet(summary: Summary) -> SheetWrite:
    """The Summary worksheet: the figures as a grid (dates as text, read the same everywhere)
    and a chart of applications and interviews per week."""
    laid = layout(summary)
    grid = [[v.isoformat() if isinstance(v, dt.date) else v for v in row] for row in laid.grid]
    chart = None
    weeks = laid.sections.get("weeks")
    if weeks is not None and weeks.rows > 1:
        chart = ChartSpec(
            "Applications and interviews per week",
            first_row=weeks.row,
            last_row=weeks.row + weeks.rows - 1,
            domain_column=0,
            series_columns=(2, 3),
        )
    return SheetWrite(SUMMARY_SHEET, grid[0], grid[1:], mode="replace", chart=chart)


def plain_grid(grid: list[list[Any]]) -> list[list[Any]]:
    """A grid as comparable plain values: dates as ISO text, whole floats as ints, no trailing blanks."""
    out = []
    for row in grid or []:
        # A row of text, ints and blanks (most rows) needs no conversion call per cell (issue 17).
        kinds = set(map(type, row))
        if kinds <= _PLAIN:
            values = list(row)
        elif kinds <= _PLAIN_OR_NONE:
            values = ["" if v is None else v for v in row]
        else:
            values = [_plain(v) for v in row]
        while values and values[-1] == "":
            values.pop()
        out.append(values)
    while out and not out[-1]:
        out.pop()
    return out


_PLAIN = frozenset({str, int})
_PLAIN_OR_NONE = _PLAIN | {type(None)}


def _plain(v: Any) -> Any:
    if isinstance(v, dt.datetime):
        return v.date().isoformat() if v.time() == dt.time() else v.isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, float) and v == int(v):
        return int(v)
    return "" if v is None else v


def summary_body(grid: list[list[Any]]) -> list[list[Any]]:
    """The Summary without its "Updated" line, so a day passing alone rewrites nothing."""
    return _body_of(plain_grid(grid))


def _body_of(plain: list[list[Any]]) -> list[list[Any]]:
    """:func:`summary_body` of a grid that is plain already (plain_grid of it is itself)."""
    return [row for row in plain if not (row and row[0] == "Updated")]


def summary_update(summary: Summary, placement: Placement) -> SheetWrite | None:
    """What brings the Summary worksheet as read (``placement.current``) to ``summary``.

    None when no figure moved (the "Updated" line alone never rewrites it); the whole grid when
    the worksheet is missing or empty; otherwise an ``update`` of only the cells that changed,
    rows added or removed included, so the worksheet (and a person's formulas pointing at it)
    stays. The chart is asked for again only when the weekly table moved or grew.
    """
    write = summary_sheet(summary)
    write.name, write.show_first = placement.name, True
    current = plain_grid(placement.current)
    if not current:
        return write
    wanted = plain_grid([write.header, *write.rows])
    if _body_of(current) == _body_of(wanted):  # both plain already: not made plain again
        return None
    write.mode = "update"
    write.cells = changed_cells(current, wanted)
    if write.chart is not None and _weeks_rows(current) == (write.chart.first_row, write.chart.last_row):
        write.chart = None  # the chart there still covers the weekly table
    return write


def _weeks_rows(grid: list[list[Any]]) -> tuple[int, int] | None:
    """The first and last row of the weekly table in a Summary grid (plain values), if any."""
    if WEEKS_HEADER not in grid:
        return None
    first = last = grid.index(WEEKS_HEADER)
    while last + 1 < len(grid) and grid[last + 1]:
        last += 1
    return first, last
