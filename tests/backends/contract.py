"""The backend contract: the same cases, run against every backend (vdirsyncer's pattern).

A backend's test module subclasses :class:`BackendContract` with a ``harness`` fixture that
returns an object with these methods:

- ``make(grid) -> Backend``: a new tracker whose worksheet holds ``grid`` (row 0 the header);
- ``grid() -> list[list]``: the tracker's current values as the store holds them;
- ``fills() -> dict[(row, col), "#RRGGBB"]``: current backgrounds of the colour columns
  (Next action, Due; or what stands for them, such as Airtable's Urgency);
- ``edit(fn)``: change the tracker behind followsync's back, as a coach would, through the
  store itself: ``fn(grid) -> grid`` gets and returns the rows (header first);
- ``between(fn)``: run ``fn()`` after followsync's read and before its write;
- ``write_calls() -> int``: write requests made to the store so far;
- ``make_new() -> Backend``: a backend at a location that holds no tracker yet, for ``create()``;
  ``grid()`` then shows what it made.

What a store lacks is said by flags on the harness class (vdirsyncer's ``supports_metadata``),
defaults in :class:`Harness`; a case for something a store lacks checks the clear refusal.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from followsync import run as sync
from followsync.config import Config
from followsync.core import cells, schema
from followsync.core.changes import CellWrite, ChangeSet, RowRef, SheetWrite
from followsync.core.layout import demo_rows
from followsync.core.layout import load as load_layout
from followsync.core.sends import HISTORY_COLUMNS
from followsync.errors import FollowsyncError, UsageError

from ..conftest import NOW, TODAY, day

HEADER = [lc.column.name for lc in load_layout().columns if lc.column.owner == "user"]


def demo_grid() -> list[list[Any]]:
    rows = demo_rows(TODAY)
    return [list(HEADER)] + [[r.get(n) for n in HEADER] for r in rows]


def read_back(grid) -> schema.Tracker:
    t = schema.frame(grid, "Tracker")
    assert t is not None
    return t


def owned(t: schema.Tracker, name: str) -> list[Any]:
    """An owned column's raw values as read back, blanks as None."""
    values = t.frame[schema.BY_NAME[name].key].tolist()
    return [None if v is None or (isinstance(v, float) and v != v) or v == "" else v for v in values]


def by_id(t: schema.Tracker, name: str) -> dict[str, Any]:
    return dict(zip(t.frame["id"], owned(t, name), strict=True))


def as_date(value) -> dt.date | None:
    return cells.parse_date(value) if value not in (None, "") else None


def user_cells(grid, exclude=("ID",)) -> dict[tuple[tuple[Any, Any], str], Any]:
    """Every user cell keyed by (row's Company+Job title, header), for before/after checks."""
    header = schema.locate_header(grid)
    assert header is not None
    out = {}
    keep = {
        n: i for n, i in header.positions.items() if schema.BY_NAME[n].owner == "user" and n not in exclude
    }
    unknown = [
        i for i, v in enumerate(header.cells) if v not in (None, "") and schema.match_header(v) is None
    ]
    for row in grid[header.row + 1 :]:
        ident = (row[header.positions["Company"]], row[header.positions["Job title"]])
        for name, i in keep.items():
            out[(ident, name)] = row[i] if i < len(row) else None
        for i in unknown:
            out[(ident, str(header.cells[i]))] = row[i] if i < len(row) else None
    return out


def plain(grid) -> list[list[Any]]:
    """Another worksheet's values as every store can give them back: dates as ISO text, whole
    floats as ints, blanks as None, no trailing blanks."""
    out = []
    for row in grid or []:
        cells = []
        for v in row:
            if isinstance(v, dt.datetime):
                v = v.date() if v.time() == dt.time() else v
            if isinstance(v, dt.date):
                v = v.isoformat()
            elif isinstance(v, float) and v == int(v):
                v = int(v)
            cells.append(None if v == "" else v)
        while cells and cells[-1] is None:
            cells.pop()
        out.append(cells)
    return out


class Harness:
    """The capability flags a store's harness sets where it differs from these defaults."""

    #: cell backgrounds of the colour columns (or what stands for them, Airtable's Urgency)
    supports_fills = True
    #: worksheets (or tables) besides the tracker: ``read_sheet`` and ``SheetWrite``
    supports_worksheets = True
    #: ``Backend.share``
    supports_sharing = False
    #: ``Backend.protect``
    supports_protection = False
    #: a Summary worksheet (or table) that a run keeps up to date
    supports_summary = True


class BackendContract:
    """Cases every backend passes. Subclasses provide the ``harness`` fixture."""

    config = Config()
    #: the store tells a save since the read (a file's bytes): the run reads and computes again
    #: instead of writing values from the old read, so nothing is skipped (issue 12, case 1)
    reads_again = False

    def run(self, backend, **kw) -> sync.RunResult:
        return sync.run(backend, self.config, NOW, lock_timeout=2, **kw)

    def expected(self, grid) -> dict[str, tuple[str, str]]:
        """Company -> (Next action, colour name) as the rules compute them from user cells."""
        from followsync.core import rules

        t = read_back(grid)
        p = rules.plan(t.frame, NOW)
        return dict(zip(t.frame["company"], zip(p["next_action"], p["colour"], strict=True), strict=True))

    # -- the main path --------------------------------------------------------------

    def test_demo_tracker_gets_its_actions_and_colours(self, harness):
        backend = harness.make(demo_grid())
        result = self.run(backend)
        assert result.problems == []
        t = read_back(harness.grid())
        expected = self.expected(demo_grid())
        colours = load_layout().colours
        fills = harness.fills()
        action_col, due_col = t.header.positions["Next action"], t.header.positions["Due"]
        actions = owned(t, "Next action")
        assert len(actions) == len(expected)
        for company, index, action in zip(t.frame["company"], t.frame["_index"], actions, strict=True):
            want_action, colour = expected[company]
            assert (action or "") == want_action, company
            if not harness.supports_fills:
                continue
            assert fills.get((index, action_col)) == colours.get(colour), (company, colour)
            assert fills.get((index, due_col)) == colours.get(colour), (company, colour)

    def test_second_run_writes_nothing(self, harness):
        backend = harness.make(demo_grid())
        self.run(backend)
        calls = harness.write_calls()
        before = harness.grid()
        result = self.run(backend)
        assert not result.changes
        assert harness.write_calls() == calls
        assert harness.grid() == before

    def test_user_cells_untouched_and_ids_filled_once(self, harness):
        grid = demo_grid()
        grid[0].append("Salary")
        for row in grid[1:]:
            row.append("90k")
        grid[3][HEADER.index("ID")] = "keep-me"
        backend = harness.make(grid)
        before = user_cells(harness.grid())
        self.run(backend)
        after_grid = harness.grid()
        assert user_cells(after_grid) == before
        t = read_back(after_grid)
        ids = t.frame["id"].tolist()
        assert "keep-me" in ids and all(ids) and len(set(ids)) == len(ids)
        self.run(
            backend,
        )
        assert read_back(harness.grid()).frame["id"].tolist() == ids

    def test_missing_owned_columns_are_appended_at_the_right(self, harness):
        grid = demo_grid()
        harness.make(grid)
        t = read_back(harness.grid())
        assert not set(schema.OWNED_NAMES) & set(t.header.positions)
        self.run(harness.make(grid))
        t = read_back(harness.grid())
        width = len(HEADER)
        added = [n for n in schema.OWNED_NAMES if n not in schema.ADDED_WHEN_WRITTEN]
        assert [t.header.positions[n] for n in added] == list(range(width, width + len(added)))
        assert not set(schema.ADDED_WHEN_WRITTEN) & set(t.header.positions)  # Inbox: only with [inbox]

    def test_dry_run_writes_nothing(self, harness):
        backend = harness.make(demo_grid())
        before = harness.grid()
        result = self.run(backend, dry_run=True)
        assert result.changes and result.applied is None
        assert harness.grid() == before and harness.write_calls() == 0

    # -- bad input ------------------------------------------------------------------

    def test_bad_row_is_reported_and_the_others_processed(self, harness):
        grid = demo_grid()
        bad: list[Any] = [None] * len(HEADER)
        bad[HEADER.index("Company")] = "Broken Co"
        bad[HEADER.index("Job title")] = "Tester"
        bad[HEADER.index("Interview at")] = "last Tuesday-ish"
        grid.insert(3, bad)
        backend = harness.make(grid)
        result = self.run(backend)
        assert [(p.row, p.column) for p in result.problems] == [(4, "Interview at")]
        assert result.exit_code == 1
        t = read_back(harness.grid())
        problems = by_id(t, "Problems")
        row = t.frame.index[t.frame["company"] == "Broken Co"][0]
        assert "Interview at" in problems[t.frame["id"][row]]
        assert sum(1 for a in owned(t, "Next action") if a) == sum(
            1 for a, _ in self.expected(demo_grid()).values() if a
        )

    # -- a coach editing during the run (DESIGN.md invariant 4) ---------------------

    def _each_row_has_its_own_values(self, harness):
        t = read_back(harness.grid())
        expected = self.expected(harness.grid())
        for company, action in zip(t.frame["company"], owned(t, "Next action"), strict=True):
            if company in expected:
                assert (action or "") in ("", expected[company][0]), company

    @staticmethod
    def set_cell(company: str, column: str, value):
        def edit(g):
            h = g[0]
            for row in g[1:]:
                if row[h.index("Company")] == company:
                    row[h.index(column)] = value
            return g

        return edit

    def news_for_everyone(self, harness):
        """Give several rows new facts, so the next run has writes for them."""
        harness.edit(self.set_cell("Brightwave Media", "Thank-you sent", day(0)))
        harness.edit(self.set_cell("Delta Freight", "Follow-ups sent", 1))
        harness.edit(self.set_cell("Delta Freight", "Last follow-up", day(0)))
        harness.edit(self.set_cell("Juniper Bank", "Status", "Next round"))
        harness.edit(self.set_cell("Acme Robotics", "Interview at", day(-1)))

    def test_rows_sorted_between_read_and_write(self, harness):
        backend = harness.make(demo_grid())
        self.run(backend)  # IDs assigned
        self.news_for_everyone(harness)
        harness.between(
            lambda: harness.edit(lambda g: [g[0], *sorted(g[1:], key=lambda r: str(r[1]), reverse=True)])
        )
        result = self.run(backend)
        assert result.applied is not None and result.applied.cells >= 5 and not result.applied.skipped
        self._each_row_has_its_own_values(harness)
        harness.between(lambda: None)
        # Every cell already sits on its row; only the Summary (which names rows) catches up.
        after = self.run(backend).changes
        assert not after.cells and not after.fills

    def test_row_deleted_between_read_and_write(self, harness):
        backend = harness.make(demo_grid())
        self.run(backend)
        self.news_for_everyone(harness)
        harness.between(
            lambda: harness.edit(
                lambda g: [r for r in g if r is g[0] or r[g[0].index("Company")] != "Brightwave Media"]
            )
        )
        result = self.run(backend)
        assert result.applied is not None
        if self.reads_again:
            assert not result.applied.skipped
        else:
            assert [m for m in result.applied.skipped if "gone" in m] and len(result.applied.skipped) == 1
        t = read_back(harness.grid())
        assert "Brightwave Media" not in set(t.frame["company"])
        assert (
            by_id(t, "Next action")[t.frame["id"][t.frame["company"] == "Delta Freight"].iat[0]]
            == "Send a friendly reminder"
        )
        self._each_row_has_its_own_values(harness)

    def test_row_inserted_above_between_read_and_write_with_blank_ids(self, harness):
        grid = demo_grid()
        backend = harness.make(grid)

        def insert_on_top():
            harness.edit(lambda g: [g[0], ["", "Zeta Corp", "Late Entry"] + [None] * (len(g[0]) - 3), *g[1:]])

        harness.between(insert_on_top)
        result = self.run(backend)
        # Rows without an ID moved down one: their changes are skipped, none misplaced; or,
        # where the store tells (reads_again), the run read the new rows and did them all.
        assert result.applied is not None and bool(result.applied.skipped) != self.reads_again
        t = read_back(harness.grid())
        zeta = t.frame[t.frame["company"] == "Zeta Corp"]
        assert owned(t, "Next action")[zeta.index[0]] in (None, "")
        self._each_row_has_its_own_values(harness)
        # The next run converges.
        harness.between(lambda: None)
        self.run(backend)
        assert not self.run(backend).changes

    # -- making a tracker -----------------------------------------------------------

    def test_create_lays_out_a_tracker_that_runs(self, harness):
        backend = harness.make_new()
        layout = load_layout()
        rows = demo_rows(TODAY)
        backend.create(layout, rows)
        t = read_back(harness.grid())
        assert [n for n in t.header.positions if n in HEADER] == HEADER
        assert t.frame["company"].tolist() == [r["Company"] for r in rows]
        assert t.frame["job_title"].tolist() == [r["Job title"] for r in rows]
        result = self.run(backend)
        assert result.problems == []
        assert not self.run(backend).changes

    def test_create_never_writes_over_a_persons_data(self, harness):
        grid = [["Month", "Rent", "Notes"], ["Jan", 900, "paid"]]
        backend = harness.make(grid)
        before = harness.grid()
        with pytest.raises(FollowsyncError):
            backend.create(load_layout(), demo_rows(TODAY))
        assert harness.grid() == before

    # -- other worksheets -----------------------------------------------------------

    def _apply_sheet(self, backend, write: SheetWrite):
        snap = backend.read()
        return backend.apply(ChangeSet(snap.sheet, 0, sheets=[write]))

    def test_read_sheet_is_none_until_a_send_starts_the_history(self, harness):
        if not harness.supports_worksheets:
            pytest.skip("this store has no other worksheets")
        backend = harness.make(demo_grid())
        assert backend.read_sheet("History") is None
        self.run(backend)
        ident = by_id_of(harness, "Brightwave Media")
        self.run(backend, sends={ident: sync.Send("email")})
        history = plain(backend.read_sheet("History"))
        assert history[0] == list(HISTORY_COLUMNS)
        assert [(r[0], r[1], r[2]) for r in history[1:]] == [(TODAY.isoformat(), ident, "Brightwave Media")]

    def test_sheet_write_appends_below_and_replaces_whole(self, harness):
        if not harness.supports_worksheets:
            pytest.skip("this store has no other worksheets")
        backend = harness.make(demo_grid())
        header = list(HISTORY_COLUMNS)
        first = [day(-1), "acme-1", "Acme Robotics", "Thank-you sent", "Email", "Thanks"]
        second = [day(0), "delt-1", "Delta Freight", "Follow-up 1 sent", "LinkedIn", "Hello"]
        assert self._apply_sheet(backend, SheetWrite("History", header, [first])).skipped == []
        assert self._apply_sheet(backend, SheetWrite("History", header, [second])).skipped == []
        assert plain(backend.read_sheet("History")) == plain([header, first, second])
        board = ["Figure", "Value"]  # text: Airtable's other tables hold text and dates only
        self._apply_sheet(
            backend, SheetWrite("Summary", board, [["Applied", "3"], ["Interviews", "1"]], mode="replace")
        )
        applied = self._apply_sheet(backend, SheetWrite("Summary", board, [["Applied", "4"]], mode="replace"))
        assert applied.skipped == []
        assert plain(backend.read_sheet("Summary")) == [board, ["Applied", "4"]]
        assert plain(backend.read_sheet("History")) == plain([header, first, second])
        assert (
            read_back(harness.grid()).frame["company"].tolist()
            == read_back(demo_grid()).frame["company"].tolist()
        )

    def test_a_worksheet_of_the_persons_own_is_left_alone(self, harness):
        if not harness.supports_worksheets:
            pytest.skip("this store has no other worksheets")
        backend = harness.make(demo_grid())
        diary = [["My diary", "Mood"], ["Called Acme", "good"]]
        self._apply_sheet(backend, SheetWrite("History", diary[0], diary[1:]))
        ours = SheetWrite(
            "History", list(HISTORY_COLUMNS), [[day(0), "acme-1", "Acme Robotics", "x", None, None]]
        )
        applied = self._apply_sheet(backend, ours)
        assert [m for m in applied.skipped if "'History'" in m and "not followsync's" in m], applied.skipped
        assert plain(backend.read_sheet("History")) == diary

    # -- the Summary: placed by the run, found without case, updated where it changed ---

    def _summary_of(self, result: sync.RunResult) -> list[list[Any]]:
        from followsync.outputs.summary_sheet import summary_sheet

        assert result.summary is not None
        write = summary_sheet(result.summary)
        return plain([write.header, *write.rows])

    @pytest.mark.parametrize("title", ["Summary", "summary", "SUMMARY"])
    def test_a_persons_own_summary_in_any_case_is_left_alone(self, harness, title):
        if not harness.supports_summary:
            pytest.skip("this store keeps no Summary")
        backend = harness.make(demo_grid())
        mine = [["My own summary", "Mood"], ["Week 1", "good"]]
        self._apply_sheet(backend, SheetWrite(title, mine[0], mine[1:], mode="replace"))
        first = self.run(backend)
        said = [n for n in first.notes if "'Summary (followsync)'" in n]
        assert len(said) == 1, first.notes  # said once, by the run, where the Summary went
        assert first.applied is not None and not [m for m in first.applied.skipped if "Summary" in m]
        assert plain(backend.read_sheet(title)) == mine
        assert plain(backend.read_sheet("Summary (followsync)")) == self._summary_of(first)
        again = self.run(backend)  # found again: nothing to write, nothing to say
        assert not again.changes and not [n for n in again.notes if "Summary" in n]

    def test_the_summary_is_found_in_any_case_and_updated_where_it_changed(self, harness):
        if not harness.supports_summary:
            pytest.skip("this store keeps no Summary")
        backend = harness.make(demo_grid())
        first = self.run(backend)
        made = plain(backend.read_sheet("summary"))
        assert made == self._summary_of(first) and made[0] == ["Job search summary"]
        later = sync.run(backend, self.config, NOW + dt.timedelta(days=9), lock_timeout=2)
        [write] = [sw for sw in later.changes.sheets if sw.name == "Summary"]
        assert write.mode == "update" and 0 < len(write.cells) < sum(len(r) for r in made)
        assert plain(backend.read_sheet("Summary")) == self._summary_of(later)
        assert not self.run_on(backend, NOW + dt.timedelta(days=9)).changes.sheets

    def run_on(self, backend, now: dt.datetime) -> sync.RunResult:
        return sync.run(backend, self.config, now, lock_timeout=2)

    # -- a column that is not there -------------------------------------------------

    def test_a_write_to_a_missing_column_is_skipped_and_the_rest_written(self, harness):
        grid = demo_grid()
        for n, row in enumerate(grid[1:]):
            row[HEADER.index("ID")] = f"row-{n}"
        backend = harness.make(grid)
        snap = backend.read()
        index = 1 + next(n for n, r in enumerate(grid[1:]) if r[HEADER.index("Company")] == "Juniper Bank")
        ref = RowRef(f"row-{index - 1}", index, handle=snap.handles.get(index))
        changes = ChangeSet(
            snap.sheet,
            0,
            cells=[CellWrite(ref, "Next action", "Call them"), CellWrite(ref, "Status", "Offer")],
        )
        applied = backend.apply(changes)
        assert [m for m in applied.skipped if "Next action" in m] and applied.cells == 1, applied
        t = read_back(harness.grid())
        assert "Next action" not in t.header.positions
        assert by_id(t, "Status")[f"row-{index - 1}"] == "Offer"

    # -- what only some stores have -------------------------------------------------

    def test_share_where_the_store_can(self, harness):
        backend = harness.make(demo_grid())
        if harness.supports_sharing:
            backend.share("coach@example.com", "commenter")
        else:
            with pytest.raises(UsageError, match="share"):
                backend.share("coach@example.com", "commenter")

    def test_protect_where_the_store_can(self, harness):
        backend = harness.make(demo_grid())
        self.run(backend)
        if harness.supports_protection:
            backend.protect(list(schema.OWNED_NAMES))
            assert not self.run(backend).changes
        else:
            with pytest.raises(UsageError):
                backend.protect(list(schema.OWNED_NAMES))


    # -- what a person types during a run; a lost Draft state (issue 20) ---------------

    def _drafted(self, harness) -> str:
        """The Company of a row that holds a Draft message."""
        return next(c for c, m in by_company(harness, "Draft message").items() if m)

    def test_a_draft_typed_between_read_and_write_is_kept(self, harness):
        backend = harness.make(demo_grid())
        self.run(backend)
        company = self._drafted(harness)
        harness.edit(self.set_cell(company, "Draft message", None))  # so the run writes it again
        mine = "Hi Jane, typed while followsync was running."
        harness.between(lambda: harness.edit(self.set_cell(company, "Draft message", mine)))
        result = self.run(backend)
        harness.between(lambda: None)
        assert by_company(harness, "Draft message")[company] == mine
        assert result.applied is not None
        if not self.reads_again:  # the store saw the cell change under the write, and says so
            assert [s for s in result.applied.skipped if "Draft message changed while followsync ran" in s]
        # From now on the text is the person's: the next runs keep it and write nothing.
        again = self.run(backend)
        assert by_company(harness, "Draft message")[company] == mine
        assert not [c for c in again.changes.cells if c.column == "Draft message"]
        assert not self.run(backend).changes.cells

    @pytest.mark.parametrize("state", [None, "v1|pasted over"], ids=["blank", "unreadable"])
    def test_an_edited_draft_whose_draft_state_is_lost_is_kept(self, harness, state):
        from followsync.core.compute import DraftState

        backend = harness.make(demo_grid())
        self.run(backend)
        company = self._drafted(harness)
        mine = "Dear Ms. Jones, thank you again. My own words, edited by hand."
        harness.edit(self.set_cell(company, "Draft message", mine))
        harness.edit(self.set_cell(company, "Draft state", state))
        result = self.run(backend)
        assert by_company(harness, "Draft message")[company] == mine
        assert DraftState.parse(by_company(harness, "Draft state")[company]) is not None  # written again
        (note,) = [n for n in result.notes if "Draft state" in n]
        assert "kept the drafts" in note
        again = self.run(backend)
        assert by_company(harness, "Draft message")[company] == mine
        assert not again.changes.cells and not [n for n in again.notes if "Draft state" in n]

    # -- a copied row (issue 12, case 2) ----------------------------------------------

    def test_a_tick_on_a_row_whose_id_was_copied_is_left_alone(self, harness):
        backend = harness.make(demo_grid())
        self.run(backend)
        t = read_back(harness.grid())
        actions = owned(t, "Next action")
        source = next(i for i, a in enumerate(actions) if a == "Send thank-you note")
        index = int(t.frame["_index"].iat[source])
        tick = t.header.positions["Mark sent"]

        def copy_and_tick(g):
            copy = list(g[index])
            copy[tick] = "Yes"
            return [*g, copy]

        harness.edit(copy_and_tick)
        ident = t.frame["id"].iat[source]
        for _ in range(2):
            result = self.run(backend)
            assert result.history == []
            assert not [c for c in result.changes.cells if c.column in ("Thank-you sent", "Mark sent")]
        t = read_back(harness.grid())
        rows = t.frame[t.frame["id"] == ident]
        assert len(rows) == 2
        assert [str(v).lower() for v in rows["mark_sent"].tolist()].count("true") == 1
        # Rows with one ID can't be told apart by ID, so their cells aren't written: the Problem
        # on each (naming the other) is in the run's result, the digest and `followsync check`.
        first, second = (int(r) for r in rows["_row"])
        said = {p.row: p.message for p in result.problems if p.column == "ID"}
        assert f"also on row {second}" in said[first] and f"also on row {first}" in said[second]
        assert rows["thank_you_sent"].isna().all()  # no send recorded on either
        calls = harness.write_calls()
        assert not self.run(backend).changes and harness.write_calls() == calls


def by_company(harness, name: str) -> dict[str, Any]:
    """Company -> an owned column's value, as the tracker now holds it."""
    t = read_back(harness.grid())
    return dict(zip(t.frame["company"], owned(t, name), strict=True))


def by_id_of(harness, company: str) -> str:
    """The ID the tracker now gives the row of ``company``."""
    t = read_back(harness.grid())
    return t.frame["id"][t.frame["company"] == company].iat[0]
