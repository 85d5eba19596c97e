"""Render one real example of each draft type into README.md (between the drafts markers).

    python scripts/readme_examples.py          # rewrite README.md
    python scripts/readme_examples.py --check  # exit 1 if README.md is stale

The examples come from the demo tracker on a fixed day with a sample profile, through the
same code path as `followsync run`; tests/test_docs.py checks README.md matches.
"""

from __future__ import annotations

import datetime as dt
import sys
import zoneinfo
from pathlib import Path

from followsync.config import Config, Profile
from followsync.core import drafts as drafts_mod
from followsync.core import rules, schema
from followsync.core.layout import demo_rows
from followsync.core.layout import load as load_layout

README = Path(__file__).resolve().parents[1] / "README.md"
START, END = "<!-- drafts:start -->", "<!-- drafts:end -->"
NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=zoneinfo.ZoneInfo("Europe/Berlin"))
PROFILE = Profile(
    name="Alex Morgan",
    email="alex@example.com",
    phone="+44 20 7946 0000",
    highlights="eight years of B2B marketing and a record of launches on time",
)
EXAMPLES = [
    ("Thank-you note (rule 7)", "Brightwave Media", "message"),
    ("Follow-up (rule 9)", "Cedar Health", "message"),
    ("Friendly reminder (rule 10)", "Evergreen Energy", "message"),
    ("Call script (rule 11, OK to call)", "Fjord Software", "message"),
    ("Email to another contact (rule 11)", "Granite Insurance", "message"),
    ("Final note (rule 12)", "Harbor Logistics", "message"),
    ("Reply to a rejection (rule 3)", "Kestrel Games", "message"),
    ("LinkedIn connection note", "Brightwave Media", "linkedin"),
]


def render() -> str:
    names = [lc.column.name for lc in load_layout().columns]
    rows = demo_rows(NOW.date())
    grid = [names] + [[r.get(n) for n in names] for r in rows]
    tracker = schema.frame(grid, "Tracker")
    config = Config(profile=PROFILE)
    plan = rules.plan(tracker.frame, NOW, config.rules)
    drafts = drafts_mod.render(tracker.frame, plan, NOW, config)
    out = [
        START,
        "",
        f"Rendered by `python scripts/readme_examples.py` from the demo tracker on {NOW:%A %-d %B %Y},",
        f"with `[profile] name = \"{PROFILE.name}\"`; a test keeps them current.",
        "",
    ]
    companies = tracker.frame["company"].tolist()
    for title, company, what in EXAMPLES:
        i = companies.index(company)
        out.append(f"**{title}**")
        out.append("")
        if what == "linkedin":
            body = drafts["linkedin_note"].iat[i]
            out.append(f"{len(body)} characters:")
            out.append("")
        else:
            subject = drafts["draft_subject"].iat[i]
            body = drafts["draft_message"].iat[i]
            if subject:
                out.append(f"Subject: {subject}")
                out.append("")
        out.append("```text")
        out.extend(body.splitlines())
        out.append("```")
        out.append("")
    out.append(END)
    return "\n".join(out)


def main(argv: list[str]) -> int:
    text = README.read_text(encoding="utf-8")
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    updated = head + render() + tail
    if "--check" in argv:
        return 0 if updated == text else 1
    README.write_text(updated, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
