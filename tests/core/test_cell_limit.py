"""Issue 12, case 6: a draft always fits a store's cell (32,767 characters in .xlsx)."""

from __future__ import annotations

from followsync import run as sync
from followsync.backends.memory import MemoryBackend
from followsync.config import Config, Profile
from followsync.core import schema

from ..conftest import NOW, day, grid_of

EXCEL_CELL_CHARS = 32_767
BLOB = "x" * 40_000  # a paste without a single space: one "word"
PROFILE = Config(profile=Profile(name="Alex Morgan", email="alex@example.com", phone="+1 555 0100"))


def row(**cells):
    return {
        "ID": "acme-1",
        "Company": "Acme",
        "Job title": "Engineer",
        "Interviewer": "Ms. Jane Jones",
        "Interview at": day(-10),
        "Thank-you sent": day(-9),
        **cells,
    }


def message_of(backend):
    t = schema.frame(backend.grid, "Tracker")
    return t.frame["draft_message"].iat[0], t.frame["problems"].iat[0]


def test_a_huge_optional_part_is_shortened_and_the_call_to_action_and_sign_off_stay():
    backend = MemoryBackend(grid_of([row(**{"Talking points": BLOB})]))
    result = sync.run(backend, PROFILE, NOW, lock_timeout=1)
    message, problems = message_of(backend)
    assert len(message) <= EXCEL_CELL_CHARS
    assert message.rstrip().endswith("alex@example.com") and "Best regards," in message
    assert not result.problems, result.problems  # lint finds the call to action and the sign-off
    calls = backend.write_calls
    assert not sync.run(backend, PROFILE, NOW, lock_timeout=1).changes and backend.write_calls == calls


def test_a_huge_required_cell_gets_a_short_draft_and_a_problem_naming_it():
    backend = MemoryBackend(grid_of([row(Company=BLOB)]))
    result = sync.run(backend, PROFILE, NOW, lock_timeout=1)
    message, problems = message_of(backend)
    assert 0 < len(message) <= EXCEL_CELL_CHARS and "Best regards," in message
    said = [p for p in result.problems if p.column == "Company"]
    assert said and "40,000 characters: too long" in said[0].message
    assert "too long" in problems
    calls = backend.write_calls
    assert not sync.run(backend, PROFILE, NOW, lock_timeout=1).changes and backend.write_calls == calls
