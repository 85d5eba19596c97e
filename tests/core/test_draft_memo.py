"""Drafts that are not made again when nothing they depend on changed (core/draft_memo.py).

A row whose Draft state's memo matches today's fingerprint and its cells takes its drafts, its
lint (none) and its Mail link from the sheet; anything else renders as before. The counter on
``drafts._render_row`` says which rows were rendered; the outputs are compared with a run that
can reuse nothing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd
import pytest

from bench.bench_xlsx import generated_rows
from followsync import run as sync
from followsync.backends.memory import MemoryBackend
from followsync.config import Config, Profile
from followsync.core import compute as compute_mod
from followsync.core import draft_memo, drafts, lint, mailto, rules, schema, shipped
from followsync.core.compute import DraftState

from ..conftest import NOW, TODAY, grid_of

ROWS = 60


@pytest.fixture
def rendered(monkeypatch) -> list[str]:
    """The Company of every row ``drafts._render_row`` renders, in order."""
    seen: list[str] = []
    original = drafts._render_row

    def counting(row, *args, **kwargs):
        seen.append(str(row.get("company")))
        return original(row, *args, **kwargs)

    monkeypatch.setattr(drafts, "_render_row", counting)
    return seen


def tracker_rows() -> list[dict]:
    rows = generated_rows(ROWS, today=TODAY)
    for i, row in enumerate(rows):
        row["Company"] = f"Company {i:03d}"  # one name per row, to tell them apart
    return rows


def run(backend, config: Config | None = None, now: dt.datetime = NOW):
    return sync.run(backend, config or Config(), now, lock_timeout=5, force=True)


def frame(backend) -> pd.DataFrame:
    tracker = schema.frame(backend.grid, "Tracker")
    assert tracker is not None
    return tracker.frame


def set_cell(backend, company: str, name: str, value) -> None:
    f = frame(backend)
    i = f.index[f["company"] == company][0]
    header = backend.grid[0]
    backend.grid[int(f["_index"][i])][header.index(name)] = value


def drafted(backend) -> list[str]:
    """The companies of the rows with a draft or a LinkedIn note."""
    f = frame(backend)
    has = f["draft_message"].fillna("").astype(bool) | f["linkedin_note"].fillna("").astype(bool)
    return f.loc[has, "company"].tolist()


def synced(config: Config | None = None) -> MemoryBackend:
    backend = MemoryBackend(grid_of(tracker_rows()))
    run(backend, config)
    return backend


def test_an_unchanged_day_renders_no_row_and_a_changed_one_renders_just_those(rendered):
    backend = MemoryBackend(grid_of(tracker_rows()))
    run(backend)
    day1 = list(rendered)
    assert len(day1) >= ROWS / 3 and sorted(day1) == sorted(drafted(backend))

    rendered.clear()
    result = run(backend)
    assert rendered == [] and not result.changes.cells  # day 2: nothing rendered, nothing written

    first, second, third = drafted(backend)[:3]
    set_cell(backend, first, "Job title", "Platform Wizard")
    set_cell(backend, second, "Draft message", "My own words, asking about the timeline?")
    set_cell(backend, third, "Company", "Renamed Ltd")
    rendered.clear()
    run(backend)
    assert sorted(rendered) == sorted([first, second, "Renamed Ltd"])  # day 3: exactly the changed rows
    assert "Platform Wizard" in str(frame(backend).set_index("company").loc[first, "draft_message"])
    rendered.clear()
    run(backend)
    assert rendered == [second]  # the person's draft, kept, is not followsync's: rendered to compare


def computed(backend, config: Config, now: dt.datetime = NOW, *, memos: bool = True) -> compute_mod.Computed:
    tracker = sync.read_tracker(backend.read(), config)
    if not memos:  # the same tracker as a run that can reuse nothing sees it (v1 states)
        v1 = [
            compute_mod.OLD_STATE_VERSION + str(s)[2:].rsplit("|", 1)[0] if s else s
            for s in tracker.frame["draft_state"]
        ]
        tracker.frame["draft_state"] = pd.Series(v1, index=tracker.frame.index, dtype=object)
    return compute_mod.compute(tracker, now, config)


@pytest.mark.parametrize("days", [0, 1, 3])
def test_what_a_reused_row_gets_is_what_rendering_gives(days, rendered):
    backend = synced()
    set_cell(backend, drafted(backend)[0], "Draft subject", "Edited subject")
    now = NOW + dt.timedelta(days=days)
    rendered.clear()
    reused = computed(backend, Config(), now)
    assert len(rendered) < len(drafted(backend)) / 2
    full = computed(backend, Config(), now, memos=False)
    assert len(rendered) > len(drafted(backend))
    cells, again = (c.cells.drop(columns=["Draft state"]) for c in (reused, full))
    pd.testing.assert_frame_equal(cells, again)
    assert reused.problems == full.problems and reused.notes == full.notes
    states = [(s.action, s.status, s.hashes) for s in map(DraftState.parse, full.cells["Draft state"]) if s]
    assert states == [
        (s.action, s.status, s.hashes) for s in map(DraftState.parse, reused.cells["Draft state"]) if s
    ]


def test_a_v1_tracker_keeps_its_edits_renders_once_and_then_not(rendered):
    backend = synced()
    header = backend.grid[0]
    col = header.index("Draft state")
    for row in backend.grid[1:]:  # as a tracker synced before the memo was kept looks
        if len(row) > col and row[col]:
            row[col] = compute_mod.OLD_STATE_VERSION + row[col][2:].rsplit("|", 1)[0]
    company = drafted(backend)[0]
    set_cell(backend, company, "Draft message", "Dear Ms. Jones, my own words. Any update on the timeline?")
    rendered.clear()
    result = run(backend)
    assert sorted(rendered) == sorted(drafted(backend))  # the upgrade: every drafted row once
    assert (
        frame(backend).set_index("company").loc[company, "draft_message"].startswith("Dear Ms. Jones, my own")
    )
    assert {c.column for c in result.changes.cells} == {"Draft state"}  # states rewritten, nothing else
    assert all(DraftState.parse(s).memo is not None for s in frame(backend)["draft_state"] if s)
    rendered.clear()
    run(backend)
    assert rendered == [company]


@pytest.mark.parametrize("state", [None, "", "v2|pasted over", "garbage"])
def test_a_row_whose_draft_state_is_blank_or_broken_is_rendered(state, rendered):
    backend = synced()
    company = drafted(backend)[1]
    set_cell(backend, company, "Draft state", state)
    rendered.clear()
    run(backend)
    assert rendered == [company]
    rendered.clear()
    run(backend)
    assert rendered == []


def test_a_changed_template_profile_or_setting_renders_every_row(rendered, tmp_path):
    backend = synced()
    every = sorted(drafted(backend))
    source = shipped.root().joinpath(shipped.MESSAGES, "follow_up.j2").read_text()
    (tmp_path / "follow_up.j2").write_text(
        source.replace("{{ salutation }},", "{{ salutation }}, hello again,", 1)
    )
    rendered.clear()
    computed(backend, Config())
    assert rendered == []  # the same settings: nothing rendered
    for config in (
        Config(templates_dir=tmp_path),
        Config(profile=Profile(name="Alex Morgan")),
        Config(signoff="Cheers,"),
        Config(rules=dataclasses.replace(Config().rules, max_words=120)),
    ):
        rendered.clear()
        computed(backend, config)
        assert sorted(rendered) == every, config


def test_an_edited_template_file_renders_again(rendered, tmp_path):
    source = shipped.root().joinpath(shipped.MESSAGES, "follow_up.j2").read_text()
    (tmp_path / "follow_up.j2").write_text(source)
    config = Config(templates_dir=tmp_path)
    backend = synced(config)
    rendered.clear()
    run(backend, config)
    assert rendered == []
    (tmp_path / "follow_up.j2").write_text(
        source.replace("{{ salutation }},", "{{ salutation }}, hello again,", 1)
    )
    run(backend, config)
    assert sorted(rendered) == sorted(drafted(backend))
    assert any("hello again" in str(m) for m in frame(backend)["draft_message"])


def test_a_row_s_language_changed_renders_that_row(rendered):
    backend = synced()
    company = drafted(backend)[2]
    set_cell(backend, company, "Language", "de")
    rendered.clear()
    run(backend)
    assert rendered == [company]


def test_a_mail_link_typed_over_is_made_again(rendered):
    backend = synced()
    f = frame(backend)
    company = f.loc[f["mail_link"].fillna("").astype(bool), "company"].iloc[0]
    link = f.set_index("company").loc[company, "mail_link"]
    set_cell(backend, company, "Mail link", "mailto:someone@else.org")
    rendered.clear()
    run(backend)
    assert rendered == [company]
    assert frame(backend).set_index("company").loc[company, "mail_link"] == link


def test_a_draft_with_lint_findings_is_linted_every_run(rendered):
    backend = synced()
    company = drafted(backend)[0]
    set_cell(backend, company, "Company", "ASAP Logistics")  # the drafts now say something pushy
    for _ in range(2):
        rendered.clear()
        result = run(backend)
        assert rendered == ["ASAP Logistics"]
        assert [p for p in result.problems if "pushy" in p.message and p.key]


def test_an_unchanged_day_neither_lints_nor_links_again(monkeypatch):
    backend = synced()
    calls: list[str] = []
    for module, name in ((lint, "lint_draft"), (lint, "lint_linkedin"), (mailto, "link")):
        original = getattr(module, name)
        monkeypatch.setattr(
            module, name, lambda *a, _o=original, _n=name, **k: calls.append(_n) or _o(*a, **k)
        )
    f = frame(backend)
    company = f.loc[f["mail_link"].fillna("").astype(bool), "company"].iloc[0]
    set_cell(backend, company, "Draft message", "My own words: any update on the timeline?")
    result = run(backend)
    assert sorted(calls) == ["link", "lint_draft", "lint_linkedin"]  # the edited row's, no other
    assert {c.column for c in result.changes.cells} == {"Mail link", "Problems"}  # its link, its lint


def test_a_column_of_the_drafts_shares_what_render_says_of_its_rows():
    backend = synced()
    tracker = sync.read_tracker(backend.read(), Config())
    plan = rules.plan(tracker.frame, NOW)
    out = drafts.render(tracker.frame, plan, NOW, Config())
    # pandas deep-copies attrs into every column taken: a run's lists copied each time cost more
    # than the rendering a memo saves
    assert out["draft_message"].attrs["rendered"] is out.attrs["rendered"]


def test_a_template_edited_in_a_linked_folder_renders_again(rendered, tmp_path):
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "ps.j2").write_text("P.S. Happy to send more about {{ company }}.")
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "parts").symlink_to(tmp_path / "shared", target_is_directory=True)
    source = shipped.root().joinpath(shipped.MESSAGES, "follow_up.j2").read_text()
    (tmp_path / "templates" / "follow_up.j2").write_text(source + '\n{% include "parts/ps.j2" %}\n')
    config = Config(templates_dir=tmp_path / "templates")
    backend = synced(config)
    rendered.clear()
    run(backend, config)
    assert rendered == []
    (tmp_path / "shared" / "ps.j2").write_text("P.S. Glad to send more about {{ company }}.")
    run(backend, config)
    assert sorted(rendered) == sorted(drafted(backend))
    assert any("Glad to send" in str(m) for m in frame(backend)["draft_message"])


def test_the_same_templates_in_another_folder_hash_the_same(tmp_path):
    # followsync installed elsewhere (a new venv) must not make every row's drafts again
    import jinja2

    def digest(folder):
        return draft_memo.templates_digest(jinja2.Environment(loader=jinja2.FileSystemLoader(str(folder))))

    first, second = tmp_path / "a" / "messages", tmp_path / "elsewhere" / "b" / "messages"
    for folder in (first, second):
        folder.mkdir(parents=True)
        (folder / "thank_you.j2").write_text("Thank you, {{ interviewer }}.")
        (folder / "_signoff.j2").write_text("Best regards,")
    assert digest(first) is not None and digest(first) == digest(second)
    (second / "thank_you.j2").write_text("Thanks, {{ interviewer }}.")
    assert digest(second) != digest(first)


def test_the_codes_hash_follows_its_source_not_its_place(tmp_path):
    # a new release (or a local edit) of the rendering code makes every row again; a move does not

    first, second = tmp_path / "a" / "core", tmp_path / "b" / "core"
    for folder in (first, second):
        folder.mkdir(parents=True)
        (folder / "drafts.py").write_text("X = 1\n")
        (folder / "lint.py").write_text("Y = 2\n")
    assert draft_memo.code_digest(first) is not None
    assert draft_memo.code_digest(first) == draft_memo.code_digest(second)
    (second / "lint.py").write_text("Y = 3\n")
    draft_memo.code_digest.cache_clear()
    assert draft_memo.code_digest(second) != draft_memo.code_digest(first)
    draft_memo.code_digest.cache_clear()
    assert draft_memo.code_digest() is not None  # the installed core's own source is readable


def test_after_an_upgrade_rows_are_rendered_once_then_taken_from_the_sheet(rendered, monkeypatch):
    # A new version of the code (same texts) changes every fingerprint: the rows are made again
    # once, their memos written anew, and the next run takes them from the sheet again.
    backend = synced()
    monkeypatch.setattr(draft_memo, "code_digest", lambda: "the next release")
    rendered.clear()
    run(backend)
    assert sorted(rendered) == sorted(drafted(backend))
    rendered.clear()
    result = run(backend)
    assert rendered == [] and not result.changes.cells
