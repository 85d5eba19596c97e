"""Hypothesis plays the person and the coach between runs (vdirsyncer's SyncMachine; LAYOUT.md
example 11, DESIGN.md's invariants).

The rules sort, insert, delete and copy rows, edit user cells and drafts, clear an ID, tick
Mark sent, delete one of followsync's columns, record a send, and run followsync on a later day.
After every run:

1. user cells are unchanged, except a blank ID filled and the cells a recorded send writes;
2. a second run at the same moment writes nothing;
3. History keeps every row it had and gains exactly the rows this run reports, once each;
4. every ID is filled, and no ID is repeated unless a copied row brought it (reported);
5. when the coach sorts between followsync's read and write, no value lands on another row;
6. a draft the person typed is kept while its row's Next action stays the same: typed between
   runs (its Draft state cleared, unreadable or its column deleted, or not), or between
   followsync's read and its write (issue 20).

Three bugs the machine found (a ticked copy never idle, a send on a new row with no ID in
History, a status change on a copy recorded every run) are kept below as regression tests.

The memory store takes most examples; the .xlsx store runs a few, slower ones.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule

from followsync import run as sync
from followsync.config import Config
from followsync.core import schema
from followsync.core.sends import HISTORY_COLUMNS
from followsync.errors import UsageError, WriteRefused

from .backends.contract import demo_grid, plain, read_back
from .backends.xlsx.test_xlsx_contract import XlsxHarness
from .conftest import NOW
from .test_run import MemoryHarness

DEMO = demo_grid()
COMPANIES = ("Acme Robotics", "Zeta Corp", "Nordlicht GmbH", "Okapi Labs", "")
DATES = st.integers(-40, 5).map(lambda n: NOW.date() + dt.timedelta(days=n))
USER_EDITS = st.one_of(
    st.tuples(st.just("Status"), st.sampled_from((*schema.STATUSES, None))),
    st.tuples(
        st.sampled_from(("Applied on", "Thank-you sent", "Last follow-up", "Response on")), DATES | st.none()
    ),
    st.tuples(st.just("Interview at"), DATES.map(lambda d: dt.datetime.combine(d, dt.time(14)))),
    st.tuples(st.just("Follow-ups sent"), st.integers(0, 3) | st.none()),
    st.tuples(st.just("Last medium"), st.sampled_from((*schema.MEDIUMS, None))),
    st.tuples(st.sampled_from(("Company", "Notes", "Interviewer")), st.sampled_from(COMPANIES) | st.none()),
)


def is_blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def repeated(grid) -> set[str]:
    ids = [str(i).lower() for i in read_back(grid).frame["id"] if i]
    return {i for i in ids if ids.count(i) > 1}


class TrackerMachine(RuleBasedStateMachine):
    """One tracker, edited by people between runs of followsync."""

    def make_harness(self):
        return MemoryHarness()

    @initialize(rows=st.lists(st.integers(1, len(DEMO) - 1), min_size=1, max_size=5, unique=True))
    def start(self, rows):
        self.harness = self.make_harness()
        self.backend = self.harness.make([DEMO[0], *(list(DEMO[i]) for i in rows)])
        self.now = NOW
        self.typed: dict[str, Any] = {}  # row ID -> the Draft message the person typed there

    # -- what the person and the coach do ----------------------------------------------

    def header(self) -> schema.Header:
        header = schema.locate_header(self.harness.grid())
        assert header is not None
        return header

    def rows(self) -> int:
        return len(self.harness.grid()) - self.header().row - 1

    def set_cell(self, at: int, name: str, value: Any) -> None:
        header = self.header()
        if name not in header.positions or not self.rows():
            return
        gi, col = header.row + 1 + at % self.rows(), header.positions[name]

        def edit(g):
            g[gi].extend([None] * (col + 1 - len(g[gi])))
            g[gi][col] = value
            return g

        self.harness.edit(edit)

    @rule(column=st.sampled_from(("Company", "Status", "Applied on", "ID")), reverse=st.booleans())
    def sort(self, column, reverse):
        col, top = self.header().positions[column], self.header().row + 1
        key = lambda r: str(r[col]) if col < len(r) and r[col] is not None else ""  # noqa: E731
        self.harness.edit(lambda g: [*g[:top], *sorted(g[top:], key=key, reverse=reverse)])

    @rule(at=st.integers(0, 50), company=st.sampled_from(COMPANIES[:-1]), applied=DATES)
    def insert_row(self, at, company, applied):
        header = self.header()
        row: list[Any] = [None] * header.width
        for name, value in (("Company", company), ("Job title", "Engineer"), ("Applied on", applied)):
            row[header.positions[name]] = value
        gi = header.row + 1 + at % (self.rows() + 1)
        self.harness.edit(lambda g: [*g[:gi], row, *g[gi:]])

    @precondition(lambda self: self.rows() > 1)
    @rule(at=st.integers(0, 50))
    def delete_row(self, at):
        gi = self.header().row + 1 + at % self.rows()
        self.harness.edit(lambda g: [r for i, r in enumerate(g) if i != gi])

    @precondition(lambda self: self.rows() > 0)
    @rule(at=st.integers(0, 50), to=st.integers(0, 50))
    def copy_row(self, at, to):
        top = self.header().row + 1
        source, gi = top + at % self.rows(), top + to % (self.rows() + 1)

        def copy(g):
            row = list(g[source])  # its ID, drafts and Mark sent too
            return [*g[:gi], row, *g[gi:]]

        self.harness.edit(copy)

    @rule(at=st.integers(0, 50), edit=USER_EDITS)
    def edit_user_cell(self, at, edit):
        self.set_cell(at, *edit)

    @rule(at=st.integers(0, 50), text=st.sampled_from(("Hi Jane, thanks again!", "", "See you Tuesday")))
    def edit_draft(self, at, text):
        ident = self.unique_id_at(at)
        self.set_cell(at, "Draft message", text)
        if ident is not None:
            if text:
                self.typed[ident] = norm(text)
            else:
                self.typed.pop(ident, None)

    def unique_id_at(self, at: int) -> str | None:
        """The ID of the row ``at`` points to, when it is on that row only."""
        if not self.rows():
            return None
        header, grid = self.header(), self.harness.grid()
        ident = cell(grid[header.row + 1 + at % self.rows()], header.positions["ID"])
        return None if is_blank(ident) or str(ident).lower() in repeated(grid) else str(ident)

    @rule(at=st.integers(0, 50), state=st.sampled_from((None, "", "v1|pasted over", "garbage")), edit=st.booleans())
    def clear_draft_state(self, at, state, edit):
        """A coach clears Draft state, or pastes over it; on a row whose draft the person edited, or not."""
        if edit:
            self.edit_draft(at, "Hi Jane, thanks again!")
        self.set_cell(at, "Draft state", state)

    @rule(at=st.integers(0, 50))
    def clear_id(self, at):
        self.set_cell(at, "ID", None)

    @rule(at=st.integers(0, 50))
    def tick_mark_sent(self, at):
        self.set_cell(at, "Mark sent", "Yes")

    @rule(name=st.sampled_from(schema.OWNED_NAMES))
    def delete_followsync_column(self, name):
        col = self.header().positions.get(name)
        if name == "Draft message":
            self.typed.clear()
        if col is not None:
            self.harness.edit(lambda g: [[v for c, v in enumerate(r) if c != col] for r in g])

    # -- followsync ----------------------------------------------------------------------

    @rule(days=st.integers(0, 3))
    def run_later(self, days):
        self.now += dt.timedelta(days=days)
        self.run_and_check()

    @precondition(lambda self: self.rows() > 0)
    @rule(at=st.integers(0, 50), medium=st.sampled_from((None, "email", "linkedin")))
    def sent(self, at, medium):
        t = read_back(self.harness.grid())
        ident = t.frame["id"].iat[at % len(t.frame)]
        if ident and str(ident).lower() not in repeated(self.harness.grid()):
            self.run_and_check({ident: sync.Send(medium)})

    @precondition(lambda self: self.rows() > 1)
    @rule(column=st.sampled_from(("Company", "Applied on")), reverse=st.booleans())
    def run_while_the_coach_sorts(self, column, reverse):
        """A sort between followsync's read and its write: no value lands on another row."""
        before = self.harness.grid()
        self.harness.between(lambda: self.sort(column, reverse))
        try:
            result = self.run(force=True)
        finally:
            self.harness.between(lambda: None)
        self.check_rows_kept_their_values(before, self.harness.grid(), result)
        self.run_and_check()  # the next run catches up, and every invariant holds again

    @precondition(lambda self: self.rows() > 0)
    @rule(
        at=st.integers(0, 50),
        text=st.sampled_from(("Hi Jane, typed during the run.", "See you Tuesday")),
        days=st.integers(0, 3),
    )
    def run_while_the_person_types(self, at, text, days):
        """A draft typed between followsync's read and its write is not overwritten (issue 20)."""
        self.now += dt.timedelta(days=days)
        if "Draft message" not in self.header().positions:
            return self.run_and_check()  # the first run adds the column
        before, ident = self.harness.grid(), self.unique_id_at(at)
        typed: list[bool] = []

        def type_it():  # where the run writes nothing, it never gets here: nothing was typed
            if not typed:
                typed.append(True)
                self.set_cell(at, "Draft message", text)

        self.harness.between(type_it)
        try:
            self.run(force=True)
        finally:
            self.harness.between(lambda: None)
        if ident is not None and typed:
            was, now = by_row_id(before)[ident], by_row_id(self.harness.grid()).get(ident)
            action = was.get("Next action")
            if now is not None and action is not None and now.get("Next action") == action:
                assert now.get("Draft message") == norm(text), (ident, now.get("Draft message"))
            self.typed[ident] = norm(text)
        self.run_and_check()

    def run(self, sends=None, force=False) -> sync.RunResult:
        return sync.run(self.backend, Config(), self.now, lock_timeout=2, sends=sends, force=force)

    def run_and_check(self, sends=None):
        before, calls = self.harness.grid(), self.harness.write_calls()
        history = plain(self.backend.read_sheet("History") or [])
        try:
            result = self.run(sends)
        except UsageError:  # a send with nothing to record: refused before any write
            assert sends and self.harness.write_calls() == calls and self.harness.grid() == before
            return
        except WriteRefused:  # most of followsync's cells would change: the person says --force
            assert self.harness.write_calls() == calls and self.harness.grid() == before
            result = self.run(sends, force=True)
        after = self.harness.grid()
        self.check_user_cells(before, after, result, sends or {})
        self.check_history(history, result)
        self.check_ids(before, after, result)
        self.check_typed_drafts(before, after)
        calls = self.harness.write_calls()
        again = self.run()
        assert not again.changes, again.changes
        assert self.harness.write_calls() == calls

    # -- the invariants ------------------------------------------------------------------

    def check_user_cells(self, before, after, result, sends):
        hb = schema.locate_header(before)
        assert hb is not None and len(after) == len(before)
        frame = read_back(before).frame
        wanted = {str(k).lower() for k in sends}
        sent = {
            int(i)
            for i, ticked, ident in zip(
                frame["_index"], frame["mark_sent"].fillna(False), frame["id"], strict=True
            )
            if ticked or (ident and str(ident).lower() in wanted)
        }
        written = {(cw.row.index, cw.column) for cw in result.changes.cells}
        for gi in range(hb.row + 1, len(before)):
            for c, name in enumerate(hb.cells):
                column = schema.match_header(name) if not is_blank(name) else None
                if is_blank(name) or (column is not None and column.owner != "user"):
                    continue
                was, now = (cell(before[gi], c), cell(after[gi], c))
                if was == now:
                    continue
                canonical = column.name if column else str(name)
                assert (gi, canonical) in written, (gi, canonical, was, now)
                assert (canonical == "ID" and is_blank(was)) or gi in sent, (gi, canonical, was, now)

    def check_history(self, history, result):
        added = plain([[h.get(c) for c in HISTORY_COLUMNS] for h in result.history])
        header = history[:1] or ([list(HISTORY_COLUMNS)] if added else [])
        assert plain(self.backend.read_sheet("History") or []) == header + history[1:] + added
        assert len({tuple(r) for r in added}) == len(added), added
        assert all(r[1] for r in added), added  # each names its row's ID

    def check_ids(self, before, after, result):
        ids = read_back(after).frame["id"].tolist()
        assert all(not is_blank(i) for i in ids), ids
        assert repeated(after) <= repeated(before), (repeated(before), repeated(after))
        reported = {str(p.key).lower() for p in result.problems if p.column == "ID"}
        assert repeated(after) <= reported

    def check_typed_drafts(self, before, after):
        """A draft the person typed stays while the row's Next action does, state or no state."""
        was, now = by_row_id(before), by_row_id(after)
        for ident, text in list(self.typed.items()):
            row, then = now.get(ident), was.get(ident)
            action = then.get("Next action") if then else None
            if row is None or then is None or action is None or row.get("Next action") != action:
                self.typed.pop(ident)  # gone, copied, or on to its next action: a new draft is due
                continue
            if then.get("Draft message") == text:
                assert row.get("Draft message") in (text, None), (ident, text, row.get("Draft message"))

    def check_rows_kept_their_values(self, before, after, result):
        """Each row with an ID holds, in every column, what it held or what the run wrote for it."""
        was, now = by_row_id(before), by_row_id(after)
        assert set(was) <= set(now)
        written = {(cw.row.id, cw.column): norm(cw.value) for cw in result.changes.cells if cw.row.id}
        for ident in was:
            for name, value in now[ident].items():
                old = was[ident].get(name)
                assert value in (old, written.get((ident, name), old)), (ident, name, old, value)


def by_row_id(grid) -> dict[str, dict[str, Any]]:
    """Each row whose ID is on no other row: its cells by header, plain."""
    header = schema.locate_header(grid)
    assert header is not None
    rows = grid[header.row + 1 :]
    ids = [cell(r, header.positions["ID"]) for r in rows]
    return {
        str(i): {str(h): norm(cell(r, c)) for c, h in enumerate(header.cells) if not is_blank(h)}
        for i, r in zip(ids, rows, strict=True)
        if not is_blank(i) and ids.count(i) == 1
    }


def norm(v: Any) -> Any:
    return plain([[v, "end"]])[0][0]


def cell(row, c):
    return row[c] if c < len(row) else None


TrackerMachine.TestCase.settings = settings(
    max_examples=8,
    stateful_step_count=10,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestTrackerMachine = TrackerMachine.TestCase


class XlsxTrackerMachine(TrackerMachine):
    """The same people on a real .xlsx file: fewer, slower examples."""

    def make_harness(self):
        return XlsxHarness(Path(tempfile.mkdtemp(prefix="followsync-machine-")) / "tracker.xlsx")


XlsxTrackerMachine.TestCase.settings = settings(
    max_examples=2,
    stateful_step_count=6,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestXlsxTrackerMachine = XlsxTrackerMachine.TestCase


def test_a_ticked_copy_is_recorded_once_not_every_run():
    harness = MemoryHarness()
    backend = harness.make(DEMO)
    sync.run(backend, Config(), NOW, lock_timeout=2)
    header = schema.locate_header(harness.grid())
    assert header is not None
    at = next(i for i, r in enumerate(harness.grid()) if r[header.positions["Company"]] == "Brightwave Media")

    def tick_and_copy(g):
        g[at][header.positions["Mark sent"]] = "Yes"
        return [*g, list(g[at])]  # the coach copies the ticked row, its ID too

    harness.edit(tick_and_copy)
    sync.run(backend, Config(), NOW, lock_timeout=2)
    history = backend.read_sheet("History") or []
    again = sync.run(backend, Config(), NOW, lock_timeout=2)
    assert len(history) <= 2 and not again.changes and (backend.read_sheet("History") or []) == history


def test_a_send_on_a_new_row_names_its_id_in_history():
    harness = MemoryHarness()
    grid = [list(r) for r in DEMO]
    header = grid[0]
    at = next(i for i, r in enumerate(grid) if r[header.index("Company")] == "Brightwave Media")
    grid[at][header.index("ID")], grid[at][header.index("Mark sent")] = None, "Yes"
    backend = harness.make(grid)
    sync.run(backend, Config(), NOW, lock_timeout=2)
    ident = harness.grid()[at][header.index("ID")]
    history = backend.read_sheet("History") or []
    assert ident and [r[1] for r in history[1:]] == [ident]


def test_a_status_change_on_a_copy_goes_to_history_once():
    harness = MemoryHarness()
    backend = harness.make(DEMO)
    sync.run(backend, Config(), NOW, lock_timeout=2)
    header = schema.locate_header(harness.grid())
    assert header is not None
    at = next(i for i, r in enumerate(harness.grid()) if r[header.positions["Company"]] == "Acme Robotics")

    def copy_and_move_on(g):
        copy = list(g[at])  # the coach copies the row, its ID too
        g[at][header.positions["Status"]] = "Next round"
        return [*g, copy]

    harness.edit(copy_and_move_on)
    sync.run(backend, Config(), NOW, lock_timeout=2)
    history = backend.read_sheet("History") or []
    again = sync.run(backend, Config(), NOW, lock_timeout=2)
    assert not again.history and (backend.read_sheet("History") or []) == history

    def clear_the_copys_id(g):
        g[-1][header.positions["ID"]] = None
        return g

    harness.edit(clear_the_copys_id)  # as the Problem asks: now the change is said, once
    fixed = sync.run(backend, Config(), NOW, lock_timeout=2)
    assert [h["What happened"] for h in fixed.history] == ["Status: Interview scheduled -> Next round"]
    assert not sync.run(backend, Config(), NOW, lock_timeout=2).history
