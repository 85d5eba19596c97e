"""A few hundred rows with varied (and some unreadable) values, and a strict comparison.

The tests that pin a function's output before it is rewritten for speed run the old and the
new implementation on these rows and compare with :func:`assert_same`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from typing import Any

from followsync.core import schema

from .conftest import NOW, TODAY

# A second clock: Tuesday 1 December 2026, late in the evening (another month, another week).
LATER = (NOW + dt.timedelta(days=6)).replace(hour=23, minute=30)


def _day(rng: random.Random, spread: int = 60) -> dt.date:
    return TODAY + dt.timedelta(days=rng.randint(-spread, spread // 4))


def _date_cell(rng: random.Random, around: dt.date | None = None) -> Any:
    """A date cell: blank, a date, ISO text, a datetime, or something unreadable."""
    base = around or _day(rng)
    on = base + dt.timedelta(days=rng.randint(-3, 12))
    return rng.choice(
        [None, None, on, on, on, on.isoformat(), dt.datetime.combine(on, dt.time(0)), "not a date", ""]
    )


def varied_rows(n: int = 400, seed: int = 11) -> list[dict[str, Any]]:
    """Rows by column name: every status, blank and odd cells, interviews past and ahead."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        interview_day = _day(rng)
        interview = rng.choice(
            [
                None,
                interview_day,
                dt.datetime.combine(interview_day, dt.time(rng.randint(7, 23), rng.choice((0, 30)))),
                dt.datetime.combine(interview_day, dt.time(9)),
                f"{interview_day.isoformat()} 14:30",
                "soon-ish",  # unreadable: a Problem, rule 0
                TODAY,
                dt.datetime.combine(TODAY, dt.time(8)),
            ]
        )
        row = {
            "ID": rng.choice([None, "", f"id-{i}", f"ID-{i}", f" sp-{i} ", "dup", 1000 + i]),
            "Company": rng.choice([None, "", f"Co {i}", f"  Acme {i}  ", "Ünïcode GmbH", 42, 3.0]),
            "Job title": rng.choice([None, "", "Analyst", " Engineer ", "Data person"]),
            "Applied on": _date_cell(rng, interview_day - dt.timedelta(days=20)),
            "Status": rng.choice([None, None, None, *schema.STATUSES, "bogus", " waiting "]),
            "Interview at": interview,
            "Interviewer": rng.choice([None, "Sam Lee", "Ms. Jane Jones"]),
            "Interviewer phone": rng.choice([None, "+49 30 1234"]),
            "OK to call": rng.choice([None, "Yes", "No"]),
            "Expected response by": rng.choice([None, _day(rng), "in two weeks"]),
            "Thank-you sent": _date_cell(rng, interview_day),
            "Follow-ups sent": rng.choice([None, 0, 1, 2, 3, 4, "two"]),
            "Last follow-up": _date_cell(rng, interview_day + dt.timedelta(days=7)),
            "Response on": _date_cell(rng, interview_day + dt.timedelta(days=5)),
            "Rejection reply sent": rng.choice([None, None, None, _date_cell(rng, interview_day)]),
            "Notes": rng.choice([None, "", "not a duplicate"]),
        }
        rows.append(row)
    return rows


def varied_history(rows: list[dict[str, Any]], n: int = 300, seed: int = 12) -> list[dict[str, Any]]:
    """History rows: known IDs (any case) and unknown ones, dates of every form, every kind."""
    rng = random.Random(seed)
    ids = [str(r["ID"]) for r in rows if r["ID"] not in (None, "")] + ["nobody", "", None]
    whats = [
        "Sent the thank-you note",
        "Followed up (1)",
        "Sent a friendly reminder",
        "Sent the final note",
        "Replied to the rejection",
        "Status: Waiting -> Offer",
        "",
        None,
    ]
    out = []
    for _ in range(n):
        ident = rng.choice(ids)
        if isinstance(ident, str) and rng.random() < 0.3:
            ident = ident.upper()
        on = _day(rng)
        out.append(
            {
                "Date": rng.choice(
                    [on, on.isoformat(), dt.datetime.combine(on, dt.time(10)), "not a date", None]
                ),
                "ID": ident,
                "Company": "?",
                "What happened": rng.choice(whats),
                "Medium": "Email",
                "Message": "",
            }
        )
    return out


def assert_same(new: Any, old: Any, where: str = "result") -> None:
    """Equal, and of the same types all the way down (a date is not a Timestamp, 1 not 1.0)."""
    assert type(new) is type(old), f"{where}: {type(new).__name__} != {type(old).__name__}"
    if dataclasses.is_dataclass(old):
        for f in dataclasses.fields(old):
            assert_same(getattr(new, f.name), getattr(old, f.name), f"{where}.{f.name}")
    elif isinstance(old, dict):
        assert list(new) == list(old), f"{where}: keys {list(new)} != {list(old)}"
        for k in old:
            assert_same(new[k], old[k], f"{where}[{k!r}]")
    elif isinstance(old, list | tuple):
        assert len(new) == len(old), f"{where}: {len(new)} items != {len(old)}"
        for i, (a, b) in enumerate(zip(new, old, strict=True)):
            assert_same(a, b, f"{where}[{i}]")
    else:
        assert new == old, f"{where}: {new!r} != {old!r}"
