"""Bring your own sheet (issue 13): synonyms, ``[columns]``, and what a sheet that matches too little is told."""

from __future__ import annotations

import openpyxl
import pytest
from click.testing import CliRunner

from followsync import cli
from followsync.core import schema

NOW = "2026-11-25T09:00"


@pytest.fixture
def runner(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FOLLOWSYNC_NOW", NOW)
    monkeypatch.delenv("FOLLOWSYNC_CONFIG", raising=False)
    yield CliRunner()
    schema.use_columns(())  # the [columns] a command read stay with this thread: not for the next test


def invoke(runner, *args):
    return runner.invoke(cli.main, list(args), catch_exceptions=False)


def workbook(path, rows):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    for row in rows:
        ws.append(row)
    wb.save(path)


def test_the_issues_headers_are_read_through_synonyms():
    header = schema.locate_header(
        [["Company Name", "Position", "Date Applied", "Interview Date", "Contact", "Contact Email"]]
    )
    assert header is not None
    assert list(header.positions) == [
        "Company",
        "Job title",
        "Applied on",
        "Interview at",
        "Interviewer",
        "Interviewer email",
    ]


@pytest.mark.parametrize(
    "text", ["Company Name", "company_name", " COMPANY-NAME ", "Company name (optional)"]
)
def test_synonyms_ignore_case_spaces_and_punctuation(text):
    assert schema.match_header(text) is schema.BY_NAME["Company"]


def test_a_followsync_name_wins_over_a_synonym_and_the_synonym_stays_the_persons():
    header = schema.locate_header([["Position", "Company", "Job title", "Applied on"]])
    assert header is not None
    assert header.positions["Job title"] == 2 and not header.problems
    alone = schema.locate_header([["Position", "Company", "Applied on"]])
    assert alone is not None and alone.positions["Job title"] == 0


def test_columns_in_the_config_map_a_header_and_the_sheet_runs(runner, tmp_path):
    path = tmp_path / "mine.xlsx"
    header = ["Firm", "Opening", "Applied", "Status", "Interview Date", "Boss", "Email", "Pay"]
    workbook(
        path,
        [
            header,
            [
                "Acme",
                "Analyst",
                "2026-11-01",
                "Interviewed",
                "2026-11-24",
                "Dana Lee",
                "d@acme.example",
                "50k",
            ],
        ],
    )
    (tmp_path / "followsync.toml").write_text('[columns]\n"Boss" = "Interviewer"\n"Pay" = ""\n')
    result = invoke(runner, "run", "--tracker", "mine.xlsx")
    assert result.exit_code == 0, result.output
    ws = openpyxl.load_workbook(path)["Sheet1"]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    assert rows[0][: len(header)] == header
    assert rows[1][5] == "Dana Lee" and rows[1][7] == "50k"
    draft = rows[1][rows[0].index("Draft message")]
    assert "Dana" in draft  # Boss was read as the Interviewer


def test_a_wrong_target_in_columns_lists_the_columns_one_can_name(runner, tmp_path):
    workbook(tmp_path / "mine.xlsx", [["Company", "Job title", "Status"]])
    (tmp_path / "followsync.toml").write_text('[columns]\n"Boss" = "Intervewer"\n"X" = "Due"\n')
    result = invoke(runner, "check", "--tracker", "mine.xlsx")
    assert result.exit_code == 2
    assert "'Intervewer' is not a followsync column (did you mean 'Interviewer'?)" in result.output
    assert "'Due' is a column followsync writes itself" in result.output
    assert "Interviewer email" in result.output  # the valid ones are listed


def test_a_sheet_that_matches_too_little_is_told_the_lines_to_add(runner, tmp_path):
    workbook(
        tmp_path / "mine.xlsx",
        [["Firma", "Stelle", "Compnay", "Status"], ["Acme", "Analyst", "x", "Applied"]],
    )
    result = invoke(runner, "check", "--tracker", "mine.xlsx")
    assert result.exit_code == 3
    assert "[columns]" in result.output
    assert '"Firma" = "Company"' in result.output
    assert '"Compnay" = "Company"' in result.output
    assert '# "Stelle" = ""' in result.output
