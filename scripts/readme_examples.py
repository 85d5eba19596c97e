"""Write the parts of README.md that the code knows best, each between its markers.

    python scripts/readme_examples.py          # rewrite README.md
    python scripts/readme_examples.py --check  # exit 1 if README.md is stale

- the draft examples (drafts): one of each type, from the demo tracker on a fixed day with a
  sample profile, through the same code path as `followsync run`;
- one thank-you note per other language (drafts-languages): German, French, Spanish;
- the exit codes (exit-codes): from `followsync.errors.EXIT_CODES`, their only copy;
- the command reference (commands): every command's `--help`;
- the configuration reference (config): every setting of `followsync.config.SPEC`.

tests/cli/test_docs.py checks README.md matches.
"""

from __future__ import annotations

import datetime as dt
import sys
import zoneinfo
from dataclasses import replace
from pathlib import Path

import click
from click.testing import CliRunner

from followsync import cli
from followsync.config import SPEC, Config, Profile, Section, Setting
from followsync.core import drafts as drafts_mod
from followsync.core import rules, schema
from followsync.core.layout import demo_rows
from followsync.core.layout import load as load_layout
from followsync.errors import EXIT_CODES

README = Path(__file__).resolve().parents[1] / "README.md"
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


def markers(name: str) -> tuple[str, str]:
    return f"<!-- {name}:start -->", f"<!-- {name}:end -->"


def draft_examples() -> str:
    names = [lc.column.name for lc in load_layout().columns]
    rows = demo_rows(NOW.date())
    grid = [names] + [[r.get(n) for n in names] for r in rows]
    tracker = schema.frame(grid, "Tracker")
    assert tracker is not None  # the demo rows are a tracker
    config = Config(profile=PROFILE)
    plan = rules.plan(tracker.frame, NOW, config.rules)
    drafts = drafts_mod.render(tracker.frame, plan, NOW, config)
    out = [
        f"Rendered by `python scripts/readme_examples.py` from the demo tracker on {NOW:%A %-d %B %Y},",
        f'with `[profile] name = "{PROFILE.name}"`; a test keeps them current.',
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
    return "\n".join(out)


# One example per language: the thank-you note, with the profile's highlights in that language.
LANGUAGE_EXAMPLES = {
    "de": ("German", "acht Jahre B2B-Marketing und Produkteinführungen, die stets pünktlich kamen"),
    "fr": ("French", "huit ans de marketing B2B et des lancements toujours livrés dans les délais"),
    "es": ("Spanish", "ocho años de marketing B2B y lanzamientos siempre entregados a tiempo"),
}


def language_examples() -> str:
    names = [lc.column.name for lc in load_layout().columns]
    out = [
        "Rendered by `python scripts/readme_examples.py` from the demo tracker in each language, on the",
        "same day and with the same profile as above; a test keeps them current.",
        "",
    ]
    for language, (title, highlights) in LANGUAGE_EXAMPLES.items():
        rows = demo_rows(NOW.date(), language)
        tracker = schema.frame([names] + [[r.get(n) for n in names] for r in rows], "Tracker")
        assert tracker is not None
        config = Config(profile=replace(PROFILE, highlights=highlights), language=language)
        plan = rules.plan(tracker.frame, NOW, config.rules, config.language)
        drafts = drafts_mod.render(tracker.frame, plan, NOW, config)
        i = tracker.frame["company"].tolist().index("Brightwave Media")
        out += [f"**{title}** (`language = \"{language}\"`), the thank-you note", ""]
        out += [f"Subject: {drafts['draft_subject'].iat[i]}", "", "```text"]
        out += drafts["draft_message"].iat[i].splitlines()
        out += ["```", ""]
    return "\n".join(out)


def exit_codes() -> str:
    rows = [f"| {code} | {meaning} |" for code, meaning in EXIT_CODES.items()]
    return "\n".join(["| code | meaning |", "| --- | --- |", *rows, ""])


def command_paths(group: click.Group = cli.main, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command's words after `followsync`, a group's own commands after it."""
    out = []
    for name in group.list_commands(click.Context(group)):
        command = group.get_command(click.Context(group), name)
        path = (*prefix, name)
        out.append(path)
        if isinstance(command, click.Group):
            out += command_paths(command, path)
    return out


def help_text(path: tuple[str, ...]) -> str:
    # A fixed width, so the text does not depend on the terminal that runs this.
    result = CliRunner().invoke(
        cli.main, [*path, "--help"], prog_name="followsync", terminal_width=80, obj={}
    )
    assert result.exit_code == 0, result.output
    return result.output.rstrip()


def commands() -> str:
    out = [
        "<details><summary>Every command's <code>--help</code> (written by "
        "<code>python scripts/readme_examples.py</code>)</summary>",
        "",
    ]
    for path in [(), *command_paths()]:
        out += [f"#### `{' '.join(('followsync', *path))}`", "", "```text", help_text(path), "```", ""]
    out += ["</details>", ""]
    return "\n".join(out)


def _cell(s: Setting) -> str:
    text = s.help + (f"; instead of `{s.instead_of}`" if s.instead_of else "")
    return text.replace("|", "\\|").replace("<", "&lt;")


def _default(s: Setting) -> str:
    if s.required:
        return "required"
    if s.default in (None, "", ()):
        return ""
    if isinstance(s.default, bool):
        return "`true`" if s.default else "`false`"
    return f"`{s.default}`"


def config_reference() -> str:
    """One table per section of SPEC (the top-level settings first), every setting a row."""
    out = ["Written by `python scripts/readme_examples.py` from `SPEC` in `followsync/config/spec.py`.", ""]
    tables: list[tuple[str, dict[str, Setting] | Section]] = [
        ("At the top (before any section)", {key: s for key, s in SPEC.items() if isinstance(s, Setting)})
    ]
    for name, spec in SPEC.items():
        if isinstance(spec, Section):
            tables.append(((f"`[[{name}]]`" if spec.many else f"`[{name}]`") + f": {spec.help}", spec))
    for title, settings in tables:
        out += [f"**{title}**", "", "| setting | default | what it does |", "| --- | --- | --- |"]
        out += [f"| `{key}` | {_default(s)} | {_cell(s)} |" for key, s in settings.items()]
        free = getattr(settings, "free", None)
        if free is not None:
            k, v = next(iter(free.example.items()))
            out.append(f'| any header | | {_cell(free)}, e.g. `"{k}" = "{v}"` |')
        out.append("")
    return "\n".join(out)


BLOCKS = {
    "exit-codes": exit_codes,
    "commands": commands,
    "drafts": draft_examples,
    "drafts-languages": language_examples,
    "config": config_reference,
}


def main(argv: list[str]) -> int:
    text = README.read_text(encoding="utf-8")
    updated = text
    for name, render in BLOCKS.items():
        start, end = markers(name)
        head, found, rest = updated.partition(start)
        _, found_end, tail = rest.partition(end)
        if not (found and found_end):
            print(f"README.md has no {start} ... {end}", file=sys.stderr)
            return 1
        updated = head + start + "\n\n" + render().rstrip("\n") + "\n\n" + end + tail
    if "--check" in argv:
        return 0 if updated == text else 1
    README.write_text(updated, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
