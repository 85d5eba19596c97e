"""README, templates and code agree with RULES.md (the contract)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from followsync import config
from followsync.core import rules, schema
from followsync.core.layout import load as load_layout

ROOT = Path(__file__).resolve().parents[2]
RULES_MD = (ROOT / "docs" / "RULES.md").read_text(encoding="utf-8")
README = (ROOT / "README.md").read_text(encoding="utf-8")
SHARED = ROOT.parent / "shared"


def test_docs_copy_of_rules_is_current():
    if not (SHARED / "RULES.md").exists():
        pytest.skip("../shared/RULES.md is not beside this checkout")
    assert (SHARED / "RULES.md").read_text(encoding="utf-8") == RULES_MD


def test_every_column_of_rules_md_is_in_the_schema_and_layout_in_order():
    documented = re.findall(r"^\| (?!column|---)([^|]+?) \|", RULES_MD.split("## 2.")[0], re.M)
    # Issue "Drafts" adds a Mark sent tick box and a hidden state column to RULES.md's list.
    # Issue 15 (the inbox) adds an Accept inbox tick box and the Inbox column, and issue 16
    # Language (a row's language for its drafts), and issue 13 the Mail link, with no rule text.
    added = {"Mark sent", "Draft state", "Accept inbox", "Inbox", "Language", "Mail link"}
    assert sorted(documented) == sorted(c.name for c in schema.COLUMNS if c.name not in added)
    assert documented[-7:] == [n for n in schema.OWNED_NAMES if n not in added]
    assert {lc.column.name for lc in load_layout().columns} == {c.name for c in schema.COLUMNS}


def test_next_action_labels_match_the_table():
    table = RULES_MD.split("## 3.")[1].split("## 4.")[0]
    assert set(re.findall(r"`([A-Z][^`]+)`", table)) >= set(rules.LABELS.values())


def test_colours_match_section_4():
    section = RULES_MD.split("## 4.")[1].split("## 5.")[0]
    hexes = dict(re.findall(r"^\| (\w+) \|.*\| `(#[0-9A-F]{6})` \|$", section, re.M))
    assert hexes == load_layout().colours


# Options on top of RULES.md's contract (it stays unchanged): README's reference documents them.
ON_TOP_OF_RULES_MD = {"holidays"}


def test_every_rule_setting_is_documented_in_rules_md():
    for key in config.SPEC["rules"]:
        if key in ON_TOP_OF_RULES_MD:
            assert f"`{key}`" not in RULES_MD and f"`{key}`" in README, key
            continue
        assert f"`{key}" in RULES_MD, key


def test_readme_quick_start_is_exactly_two_commands():
    block = README.split("## Quick start", 1)[1].split("```", 2)[1]
    lines = [line for line in block.strip().splitlines() if line.strip()]
    assert lines == [
        "pip install . && followsync init tracker.xlsx --demo && followsync run --tracker tracker.xlsx",
        "pip install '.[test]' && pytest",
    ]


def test_readme_names_every_column_exit_code_and_the_cron_line():
    for c in schema.COLUMNS:
        assert c.name in README, c.name
    for code in range(4):
        assert f"| {code} |" in README
    assert "0 8 * * *" in README and "followsync run --quiet" in README


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "'.[test]'" in ci and re.search(r"^pytest$", ci, re.M)


def test_readme_draft_examples_are_what_the_code_renders():
    import runpy

    script = runpy.run_path(str(ROOT / "scripts" / "readme_examples.py"))
    assert script["main"](["--check"]) == 0, "README.md is stale: run python scripts/readme_examples.py"
    for kind in (
        "Thank-you note",
        "Follow-up",
        "Friendly reminder",
        "Call script",
        "another contact",
        "Final note",
        "rejection",
        "LinkedIn",
    ):
        assert kind in README


def _readme_script() -> dict:
    import runpy

    return runpy.run_path(str(ROOT / "scripts" / "readme_examples.py"))


def _section(title: str) -> str:
    """README's text from the heading `title` to the next heading of the same level or higher."""
    level = title.split(" ")[0]
    body = README.split(f"\n{title}\n", 1)[1]
    stops = [m.start() for m in re.finditer(rf"^#{{1,{len(level)}}} ", body, re.M)]
    return body[: stops[0]] if stops else body


def test_commands_are_documented():
    table = _section("## Commands").strip().split("\n\n")[0]  # the table right under the heading
    paths = _readme_script()["command_paths"]()
    leaves = [p for p in paths if not any(q[: len(p)] == p and q != p for q in paths)]  # not `auth` itself
    assert ("share",) in leaves and ("auth", "google") in leaves
    for path in leaves:
        assert f"| `followsync {' '.join(path)}" in table, (
            f"README's Commands table lacks followsync {' '.join(path)}"
        )


def test_readme_exit_codes_are_the_table_in_errors():
    from followsync.errors import EXIT_CODES

    rows = re.findall(r"^\| (\d) \| (.+) \|$", _section("### Exit codes"), re.M)
    assert {int(code): meaning for code, meaning in rows} == EXIT_CODES


def test_help_and_cli_docstring_show_the_exit_codes_from_errors():
    from click.testing import CliRunner

    from followsync import cli
    from followsync.errors import EXIT_CODES, exit_codes_text

    assert exit_codes_text() in (cli.__doc__ or "")
    shown = CliRunner().invoke(cli.main, ["--help"], terminal_width=80).output
    flat = " ".join(shown.split())
    for code, meaning in EXIT_CODES.items():
        assert f"{code} {meaning}" in flat


def test_readme_configuration_section_is_the_spec():
    section = _section("## Configuration")
    script = _readme_script()
    assert script["config_reference"]().strip() in section, "run python scripts/readme_examples.py"
    rows = re.findall(r"^\| `(\w+)` \|", section, re.M)
    expected = [key for key, s in config.SPEC.items() if isinstance(s, config.Setting)]
    expected += [key for s in config.SPEC.values() if isinstance(s, config.Section) for key in s]
    assert rows == expected
