"""What a row's drafts depend on, read a column at a time (core/draft_inputs.py), and the
memory and passes a no-op run no longer spends (issue 17): a reused row is never made into a
dict of its values, the column helpers give what the per-row code gives, a fingerprint tells
every changed input apart, a text column parses as parse_distinct does, and a Draft state
holds no dict of its own."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from followsync.config import Config
from followsync.core import cells, draft_inputs, drafts, rules, schema
from followsync.core.cells import BadCell, CellError
from followsync.core.compute import DraftState
from followsync.core.distinct import parse_distinct, parse_text

from ..conftest import NOW, TODAY
from .test_draft_memo import frame, synced
from .test_drafts_equivalence import varied_rows


@pytest.fixture(scope="module")
def varied() -> tuple[pd.DataFrame, pd.DataFrame]:
    rows = varied_rows(300, seed=11)
    header = list(dict.fromkeys(name for row in rows for name in row))
    tracker = schema.frame([header] + [[row.get(h) for h in header] for row in rows], "Tracker")
    assert tracker is not None
    return tracker.frame, rules.plan(tracker.frame, NOW)


def test_a_reused_row_is_never_made_into_a_dict(monkeypatch):
    backend = synced()
    f, _ = rules.implausible_dates(frame(backend), NOW, "Tracker")  # as compute plans it
    plan = rules.plan(f, NOW)
    reuse = [(s.action, s.memo) if s and s.memo else None for s in map(DraftState.parse, f["draft_state"])]
    made: list[dict] = []
    original = drafts.frame_records

    def counting(*args, **kwargs):
        for row in original(*args, **kwargs):
            made.append(row)
            yield row

    monkeypatch.setattr(drafts, "frame_records", counting)
    out = drafts.render(f, plan, NOW, Config(), reuse=reuse)
    reused, prints = out.attrs["rendered"].reused, out.attrs["rendered"].fingerprints
    # Every drafted row with a memo came from the sheet; only those without one (a lint finding
    # keeps none) were made into a dict of their values, and rendered.
    assert sum(reused) >= 10 and all(reused[i] == (reuse[i] is not None) for i, fp in enumerate(prints) if fp)
    assert [r["company"] for r in made] == [
        f["company"].iat[i] for i, fp in enumerate(prints) if fp and not reused[i]
    ]
    made.clear()
    # A row whose input changed is the only one made into a dict, and rendered.
    i = reused.index(True)
    f.loc[f.index[i], "job_title"] = "Platform Wizard"
    out = drafts.render(f, plan, NOW, Config(), reuse=reuse)
    assert [r["job_title"] for r in made] == ["Platform Wizard"]
    assert "Platform Wizard" in out["draft_message"].iat[i] + out["linkedin_note"].iat[i]


def test_the_columns_give_what_each_row_gives(varied):
    f, plan = varied
    records = list(cells.frame_records(f, drafts.MEMO_KEYS))
    for key in ("interview_at", "last_follow_up", "company"):
        assert draft_inputs.days(f, key) == [cells.as_date(r.get(key)) for r in records]
    odd = pd.DataFrame(
        {"d": pd.Series([pd.Timestamp("2026-01-02"), None, dt.date(2026, 1, 3), "x"], dtype=object)}
    )
    assert draft_inputs.days(odd, "d") == [dt.date(2026, 1, 2), None, dt.date(2026, 1, 3), None]
    assert draft_inputs.days(odd, "none") == [None] * 4
    for key in drafts.MEMO_KEYS:
        assert draft_inputs.values(f, key) == [r.get(key) for r in records] or key == "interview_at"
    statuses = [cells.text(s) for s in plan["status"]]
    for today in (TODAY, TODAY - dt.timedelta(days=5), TODAY + dt.timedelta(days=5)):
        got = draft_inputs.linkedin_notes(
            draft_inputs.days(f, "interview_at"),
            draft_inputs.values(f, "interviewer"),
            draft_inputs.values(f, "linkedin"),
            statuses,
            today,
        )
        want = [drafts.wants_linkedin_note(r, s, today) for r, s in zip(records, statuses, strict=True)]
        assert got == want and any(want) and not all(want)
    shuffled = plan.sample(frac=1, random_state=2)
    by_label = draft_inputs.aligned(shuffled, ("rule", "status"), f.index, dates=("due",))
    assert by_label["rule"] == plan["rule"].tolist()
    assert by_label["due"] == [cells.as_date(d) for d in plan["due"]]


def test_a_fingerprint_tells_every_input_apart(varied):
    f, _ = varied
    f = f.iloc[:4].copy()
    base = draft_inputs.Fingerprints(f, drafts.MEMO_KEYS, [0, 1, 2, 3])
    extra = ("thank_you", True, None, "en", "email")
    first = base.of("settings", 0, extra)
    assert first == draft_inputs.Fingerprints(f, drafts.MEMO_KEYS, [0]).of("settings", 0, extra)
    assert first != base.of("other settings", 0, extra) and first != base.of("settings", 0, extra[:-1])
    changes = {
        "company": "Other Co",
        "interview_at": f["interview_at"].iat[0] + pd.Timedelta(seconds=1),
        "interview_at_has_time": not f["interview_at_has_time"].iat[0],
        "follow_ups_sent": (f["follow_ups_sent"].iat[0] or 0) + 1,
        "interviewer_email": "someone.else@example.com",
        "language": "de",
    }
    for key, value in changes.items():
        changed = f.copy()
        changed.loc[changed.index[0], key] = value
        assert draft_inputs.Fingerprints(changed, drafts.MEMO_KEYS, [0]).of("settings", 0, extra) != first, (
            key
        )
    # the same value in a column of another type is another input
    typed = f.astype({"follow_ups_sent": object})
    assert draft_inputs.Fingerprints(typed, drafts.MEMO_KEYS, [0]).of("settings", 0, extra) != first


def test_a_text_column_parses_as_each_distinct_cell_does():
    values = [
        "Acme", "  Acme  ", "#REF!", " #n/a ", "#hashtag", "", "   ", None, 1, 1.0, True, dt.date(2026, 1, 2),
        CellError("#VALUE!"), "x\u00a0", "Acme", "#REF!", None, 0, "naïve", "# not an error",
    ]  # fmt: skip
    for column in (values, values[::-1], [v for v in values if isinstance(v, str)], [None] * 3, []):
        bad_text: dict[int, str] = {}
        bad_distinct: dict[int, str] = {}
        got = parse_text(column, cells._text_cell, bad_text, BadCell)
        want = parse_distinct(column, cells._text_cell, bad_distinct, BadCell)
        assert [(type(v), v) for v in got] == [(type(v), v) for v in want]
        assert list(bad_text.items()) == list(bad_distinct.items())  # the same Problems, in row order


def test_a_draft_state_is_small():
    one = DraftState.parse("v2|Send thank-you note|Interviewing|a1|b2|c3|memo1")
    two = DraftState.parse(
        "|".join(["v2", "Send thank-you ", "note", "Interviewing", "d4", "e5", "f6", "memo2"])
    )
    assert one is not None and not hasattr(one, "__dict__")  # slots: no dict per row
    assert two is None  # eight parts: not a state
    three = DraftState.parse("".join(["v2|Send thank-you", " note|Interview", "ing|d4|e5|f6|memo2"]))
    assert three is not None and three.action is one.action and three.status is one.status  # shared


def test_a_no_op_row_keeps_its_hashes_without_comparing_each_cell(monkeypatch):
    from followsync import run as sync
    from followsync.core import compute as compute_mod

    from .test_draft_memo import set_cell

    backend = synced()
    calls: list[int] = []
    original = compute_mod._draft_cell
    monkeypatch.setattr(compute_mod, "_draft_cell", lambda *a: calls.append(1) or original(*a))
    tracker = sync.read_tracker(backend.read(), Config())
    before = compute_mod.compute(tracker, NOW, Config())
    assert calls == []  # every row's cells hold what it gets: their hashes kept, no cell compared
    assert before.cells["Draft state"].tolist() == [
        s or "" for s in tracker.frame["draft_state"]
    ]  # as they were
    company = tracker.frame.loc[tracker.frame["draft_message"].fillna("").astype(bool), "company"].iloc[0]
    set_cell(backend, company, "Draft message", "My own words: any news on the timeline?")
    tracker = sync.read_tracker(backend.read(), Config())
    after = compute_mod.compute(tracker, NOW, Config())
    assert len(calls) == 3  # the edited row's three cells, no other row's
    i = tracker.frame.index[tracker.frame["company"] == company][0]
    assert after.cells["Draft message"][i] == "My own words: any news on the timeline?"  # kept as theirs
