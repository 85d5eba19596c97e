"""Issue "Drafts" end to end on the in-memory backend: drafts in the sheet, edits kept,
lint in Problems, sends recorded (by `sent` and by the Mark sent tick), History."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt

import pandas as pd
import pytest

from followsync import run as sync
from followsync.backends.memory import MemoryBackend
from followsync.config import Config, Profile
from followsync.core import cells, lint, schema
from followsync.errors import UsageError

from ..backends.contract import demo_grid
from ..conftest import NOW, TODAY

PROFILE = Config(profile=Profile(name="Alex Morgan", email="alex@example.com", phone="+44 20 7946 0000", highlights="eight years of B2B marketing"))


def run(backend, config=PROFILE, now=NOW, **kw):
    return sync.run(backend, config, now, lock_timeout=1, **kw)


def read(backend) -> schema.Tracker:
    return schema.frame(backend.grid, "Tracker")


def cell(backend, company, name):
    t = read(backend)
    i = t.frame.index[t.frame["company"] == company][0]
    v = t.frame[schema.BY_NAME[name].key][i]
    return None if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and v != v) else v


def set_cell(backend, company, name, value):
    t = read(backend)
    i = t.frame.index[t.frame["company"] == company][0]
    backend.grid[int(t.frame["_index"][i])][t.header.positions[name]] = value


def test_every_action_has_a_draft_that_passes_lint():
    backend = MemoryBackend(demo_grid())
    result = run(backend)
    assert result.problems == [] and result.exit_code == 0
    t = read(backend)
    drafted = {3, 7, 9, 10, 11, 12}
    from followsync.core import rules

    plan = rules.plan(t.frame, NOW)
    for i in t.frame.index:
        message = t.frame["draft_message"][i]
        if plan["rule"][i] in drafted:
            assert message and "Alex Morgan" in message, t.frame["company"][i]
            kind = "call_script" if plan["medium"][i] == "phone" else "thank_you"
            assert lint.lint_draft(t.frame["draft_subject"][i] or "", message, kind=kind, row=t.frame.loc[i].to_dict(), config=PROFILE) == []
        else:
            assert message in (None, ""), t.frame["company"][i]
    assert cell(backend, "Brightwave Media", "Draft subject") == "Thank you for the Marketing Manager interview at Brightwave Media"
    assert cell(backend, "Brightwave Media", "LinkedIn note")


def test_no_profile_still_drafts_and_asks_once():
    backend = MemoryBackend(demo_grid())
    result = run(backend, config=Config())
    assert result.exit_code == 0 and result.problems == []
    assert any("[profile]" in n for n in result.notes)
    assert "Best regards," in cell(backend, "Brightwave Media", "Draft message")


def test_hand_edited_draft_survives_three_runs_then_yields_to_a_new_action():
    backend = MemoryBackend(demo_grid())
    run(backend)
    mine = "Dear Ms. Jones,\n\nThank you so much for yesterday. Could you tell me about the next steps?\n\nBest regards,\nAlex Morgan"
    set_cell(backend, "Brightwave Media", "Draft message", mine)
    for _ in range(3):
        result = run(backend)
        assert cell(backend, "Brightwave Media", "Draft message") == mine
        assert not [c for c in result.changes.cells if c.column == "Draft message" and c.value != mine]
    assert not run(backend).changes  # and it's stable
    # the next day, the generated drafts of other rows may change; the edit still holds
    run(backend, now=NOW + dt.timedelta(hours=20))
    assert cell(backend, "Brightwave Media", "Draft message") == mine
    # sent: the Next action changes, so the new draft replaces the edit
    run(backend, sends={cell(backend, "Brightwave Media", "ID"): sync.Send()})
    assert cell(backend, "Brightwave Media", "Next action") == "Follow up"
    assert cell(backend, "Brightwave Media", "Draft message") != mine


def test_edited_draft_is_linted_into_problems():
    backend = MemoryBackend(demo_grid())
    run(backend)
    set_cell(backend, "Delta Freight", "Draft message", "Hi, just checking in. Any news? I need this job ASAP.")
    result = run(backend)
    problems = cell(backend, "Delta Freight", "Problems")
    assert "pushy" in problems and result.exit_code == 1
    assert cell(backend, "Delta Freight", "Draft message").startswith("Hi, just checking in")


def test_a_draft_kept_without_its_draft_state_column_is_linted_and_the_state_written_again():
    """Issue 20: the coach deletes "that odd column"; the person's edited draft is not replaced."""
    backend = MemoryBackend(demo_grid())
    run(backend)
    mine = "Hi, just checking in. Any news? I need this job ASAP."
    set_cell(backend, "Delta Freight", "Draft message", mine)
    col = read(backend).header.positions["Draft state"]
    backend.grid = [[v for c, v in enumerate(r) if c != col] for r in backend.grid]
    result = run(backend)
    assert cell(backend, "Delta Freight", "Draft message") == mine
    assert "pushy" in cell(backend, "Delta Freight", "Problems")  # kept, and linted
    assert cell(backend, "Delta Freight", "Draft state")  # the column is back, filled
    assert len([n for n in result.notes if "Draft state was missing" in n]) == 1
    again = run(backend)
    assert cell(backend, "Delta Freight", "Draft message") == mine and not again.changes
    assert not [n for n in again.notes if "Draft state" in n]
    # Without its state on a row whose Next action isn't the one computed, the draft is replaced.
    set_cell(backend, "Delta Freight", "Draft state", None)
    set_cell(backend, "Delta Freight", "Next action", "Something else")
    run(backend)
    assert cell(backend, "Delta Freight", "Draft message") not in (mine, None)


def test_the_mass_rewrite_guard_counts_rows_whose_draft_state_is_lost():
    """A synced tracker whose Draft state column was deleted is still one followsync synced: a run
    that would then rewrite most of its cells stops and asks for --force."""
    from followsync.core.changes import CellWrite, ChangeSet, RowRef
    from followsync.core.diff import refuse_mass_rewrite
    from followsync.errors import WriteRefused

    backend = MemoryBackend(demo_grid())
    run(backend)
    col = read(backend).header.positions["Draft state"]
    backend.grid = [[v for c, v in enumerate(r) if c != col] for r in backend.grid]
    tracker = read(backend)
    changes = ChangeSet("Tracker", 0)
    for i, index in enumerate(tracker.frame["_index"]):
        ref = RowRef(tracker.frame["id"].iat[i], int(index))
        changes.cells += [CellWrite(ref, name, "x") for name in schema.OWNED_NAMES]
    with pytest.raises(WriteRefused, match="synced before"):
        refuse_mass_rewrite(tracker, changes)


def test_mark_sent_tick_records_the_send_and_adds_history():
    backend = MemoryBackend(demo_grid())
    run(backend)
    draft = cell(backend, "Brightwave Media", "Draft message")
    set_cell(backend, "Brightwave Media", "Mark sent", "Yes")
    before = copy.deepcopy(backend.grid)
    result = run(backend)
    assert cell(backend, "Brightwave Media", "Mark sent") is None
    assert cells.parse_date(cell(backend, "Brightwave Media", "Thank-you sent")) == TODAY
    assert cell(backend, "Brightwave Media", "Last medium") == "Email"
    assert cell(backend, "Brightwave Media", "Next action") == "Follow up"
    history = backend.read_sheet("History")
    assert history[0] == ["Date", "ID", "Company", "What happened", "Medium", "Message"]
    assert history[1][2] == "Brightwave Media" and history[1][5] == draft
    # the only user cells written: the send's and the tick
    t = schema.frame(before, "Tracker")
    user_writes = {c.column for c in result.changes.cells if schema.BY_NAME[c.column].owner == "user"}
    assert user_writes == {"Thank-you sent", "Last medium", "Mark sent"}
    assert t is not None


def test_sent_records_a_follow_up_by_id():
    backend = MemoryBackend(demo_grid())
    run(backend)
    ident = cell(backend, "Evergreen Energy", "ID")
    run(backend, sends={ident.upper(): sync.Send("phone", TODAY - dt.timedelta(days=1))})
    assert cell(backend, "Evergreen Energy", "Follow-ups sent") == 2
    assert cells.parse_date(cell(backend, "Evergreen Energy", "Last follow-up")) == TODAY - dt.timedelta(days=1)
    assert cell(backend, "Evergreen Energy", "Last medium") == "Phone"
    assert cell(backend, "Evergreen Energy", "Next action") == "Call or try another contact"
    assert backend.read_sheet("History")[1][3].startswith("Sent")


def test_sent_with_unknown_id_or_nothing_to_send_is_a_usage_error():
    backend = MemoryBackend(demo_grid())
    run(backend)
    with pytest.raises(UsageError, match="No row with ID"):
        run(backend, sends={"nope-123": sync.Send()})
    with pytest.raises(UsageError, match="nothing to record"):
        run(backend, sends={cell(backend, "Maple Analytics", "ID"): sync.Send()})


def test_status_change_is_added_to_history():
    backend = MemoryBackend(demo_grid())
    run(backend)
    set_cell(backend, "Juniper Bank", "Status", "Next round")
    run(backend)
    rows = backend.read_sheet("History")
    assert rows[-1][3] == "Status: Interviewed -> Next round"
    assert not run(backend).changes


def test_possible_duplicate_is_a_problem_unless_notes_say_otherwise():
    grid = demo_grid()
    header = grid[0]
    dup = list(grid[2])
    dup[header.index("Notes")] = None
    grid.append(dup)
    backend = MemoryBackend(grid)
    result = run(backend)
    assert [p.message for p in result.problems] == ["possible duplicate of row 3 (same Company and Job title)"]
    backend.grid[-1][header.index("Notes")] = "Not a duplicate: a second opening in Leeds"
    assert run(backend).problems == []


def test_custom_template_overrides_the_shipped_one(tmp_path):
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "thank_you.j2").write_text(
        "{% set subject %}Thanks from {{ sender.name }}{% endset %}{{ salutation }},\\n\\nThank you! Could we talk about next steps?\\n\\nBest regards,\\n{{ sender.name }}\\n"
    )
    cfg = dataclasses.replace(PROFILE, templates_dir=folder)
    backend = MemoryBackend(demo_grid())
    try:
        run(backend, config=cfg)
    except Exception as e:  # a variable name the shipped templates don't have shows up here
        pytest.fail(f"override failed: {e}")
    assert cell(backend, "Brightwave Media", "Draft subject") == "Thanks from Alex Morgan"


def test_no_thank_you_draft_before_the_interview_of_the_day():
    # RULES.md rule 6: at 09:00 before a 10:00 interview the row prepares; the thank-you draft
    # ("... today") comes only after the interview.
    grid = demo_grid()
    header = grid[0]
    row = grid[1]
    row[header.index("Interview at")] = dt.datetime.combine(TODAY, dt.time(10, 0))
    for name in ("Thank-you sent", "Last follow-up", "Response on", "Status", "Follow-ups sent"):
        if name in header:
            row[header.index(name)] = None
    company = row[header.index("Company")]
    backend = MemoryBackend(grid)
    run(backend)
    assert cell(backend, company, "Next action") == "Prepare: ask about the timeline"
    assert cell(backend, company, "Draft message") is None
    run(backend, now=NOW.replace(hour=11))
    assert cell(backend, company, "Next action") == "Send thank-you note"
    assert "today" in cell(backend, company, "Draft message")
