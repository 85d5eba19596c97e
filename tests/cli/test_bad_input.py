"""DESIGN.md invariant 5 end to end on .xlsx: every kind of bad input gives a Problem or a clear
error naming sheet, row and column, never a traceback, and the other rows are still done."""

from __future__ import annotations

import zipfile

import openpyxl
import pytest
from click.testing import CliRunner

from followsync import cli
from followsync import run as sync
from followsync.backends.xlsx.backend import XlsxBackend
from followsync.config import Config
from followsync.core import schema

from ..conftest import NOW

GOOD = ["Acme", "Engineer", "2026-11-20", "2026-11-20"]


def messy_workbook(path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Jobs"
    ws["A1"] = "My job hunt 🚀"
    # header on row 3, with a merged cell over two columns, a duplicate and an unknown column
    ws.append([])
    ws.append(["Company", "Job title", "Interview at", "Thank-you sent", "Company", "Salary", "Notes", "Notes"])
    ws.merge_cells("G3:H3")
    ws.append(GOOD + [None, "90k", "fine"])
    ws.append([])  # a blank row in the middle
    ws.append(["Broken Ref", "Analyst", "#REF!", None])
    ws.append(["Formula Co", "Designer", "=TODAY()-3", None])  # never computed: no saved result
    ws.append(["Emoji 🎯", "Dev " + "✨" * 10_000, "3 Nov 2026", "4 Nov 2026"])
    ws.append(["Bad Count", "PM", "2026-11-01", "2026-11-02"])
    ws.append(["Typo Co", "QA", "31/02/2026", None])
    wb.save(path)


def test_messy_sheet_is_processed_with_clear_problems(tmp_path):
    path = tmp_path / "messy.xlsx"
    messy_workbook(path)
    result = sync.run(XlsxBackend(path), Config(), NOW, lock_timeout=1)
    where = {(p.sheet, p.row, p.column) for p in result.problems}
    assert ("Jobs", 3, "Company") in where  # the duplicate header
    assert ("Jobs", 6, "Interview at") in where  # #REF!
    assert ("Jobs", 7, "Interview at") in where  # a formula with no saved result
    assert ("Jobs", 10, "Interview at") in where  # 31 February
    for p in result.problems:
        assert str(p).startswith(f"sheet 'Jobs', row {p.row}")
    t = schema.frame(XlsxBackend(path).read().grid, "Jobs")
    actions = dict(zip(t.frame["company"], t.frame["next_action"], strict=True))
    assert actions["Acme"] == "Follow up"
    assert actions["Emoji 🎯"] == "Follow up"
    assert actions["Broken Ref"] is None or actions["Broken Ref"] == ""
    problems = dict(zip(t.frame["company"], t.frame["problems"], strict=True))
    assert "#REF!" in problems["Broken Ref"] and "saved result" in problems["Formula Co"]
    assert result.exit_code == 1


@pytest.mark.parametrize(
    "make, words",
    [
        (lambda p: openpyxl.Workbook().save(p), "empty"),
        (lambda p: p.write_text("Company;Job title\nAcme;Eng\n"), "not an .xlsx workbook"),
        (lambda p: zipfile.ZipFile(p, "w").writestr("hello.txt", "hi"), "not an .xlsx workbook"),
        (lambda p: p.write_bytes(b"\xd0\xcf\x11\xe0" + b"\0" * 600), "not an .xlsx workbook"),  # an old .xls
    ],
)
def test_unreadable_trackers_exit_3_with_a_sentence(tmp_path, monkeypatch, make, words):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "tracker.xlsx"
    make(path)
    result = CliRunner().invoke(cli.main, ["run", "--tracker", str(path), "--now", "2026-11-25T09:00"])
    assert result.exit_code == 3, result.output
    assert words in result.output and "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
