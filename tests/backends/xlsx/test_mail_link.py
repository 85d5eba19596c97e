"""The Mail link column on .xlsx: a real hyperlink, on the openpyxl path and the splice path (issue 13)."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from urllib.parse import parse_qs, urlsplit

import openpyxl
import pytest

from followsync import run as sync
from followsync.backends.xlsx import rewritten
from followsync.backends.xlsx.backend import XlsxBackend
from followsync.config import Config

NOW = dt.datetime(2026, 11, 20, 9, 0)
HEADER = ["Company", "Job title", "Applied on", "Status", "Interview at", "Interviewer", "Interviewer email"]
ROWS = [
    [
        "Acme",
        "Engineer",
        dt.date(2026, 11, 1),
        "Interviewed",
        dt.datetime(2026, 11, 19, 10),
        "Ms. Jane Jones",
        "jane@acme.example",
    ],
    ["Cobalt", "Designer", dt.date(2026, 11, 12), "Applied", None, None, None],
]


def _workbook(path):
    wb = openpyxl.Workbook()
    ws = wb.worksheets[0]
    ws.title = "Jobs"
    for row in [HEADER, *ROWS]:
        ws.append(row)
    wb.save(path)


def _links(path):
    ws = openpyxl.load_workbook(path)["Jobs"]
    header = [c.value for c in ws[1]]
    col = header.index("Mail link") + 1
    return ws, [(ws.cell(r, col).value, ws.cell(r, col).hyperlink) for r in (2, 3)], header


def _hyperlink_count(path):
    """(hyperlink elements in the worksheets, hyperlink relationships of the worksheets)."""
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/")}
    sheets = sum(len(re.findall(r"<(?:\w+:)?hyperlink\b", t)) for n, t in parts.items() if n.endswith(".xml"))
    rels = sum(t.count("relationships/hyperlink") for n, t in parts.items() if n.endswith(".rels"))
    return sheets, rels


def test_mail_link_is_a_hyperlink_that_opens_the_draft_and_a_second_run_writes_nothing(tmp_path):
    path = tmp_path / "mine.xlsx"
    _workbook(path)
    sync.run(XlsxBackend(path), Config(), NOW)  # adds the columns: openpyxl's path
    ws, links, header = _links(path)
    (url, link), (other, other_link) = links
    assert url.startswith("mailto:jane@acme.example?") and link is not None and link.target == url
    assert other is None and other_link is None  # nothing to send yet: no link
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    assert query["subject"] == [ws.cell(2, header.index("Draft subject") + 1).value]
    assert query["body"][0].replace("\r\n", "\n") == ws.cell(2, header.index("Draft message") + 1).value
    before = path.read_bytes()
    again = sync.run(XlsxBackend(path), Config(), NOW)
    assert again.applied is None or again.applied.write_calls == 0
    assert path.read_bytes() == before


def test_a_changed_draft_relinks_the_cell_on_the_splice_path(tmp_path, monkeypatch):
    path = tmp_path / "mine.xlsx"
    _workbook(path)
    sync.run(XlsxBackend(path), Config(), NOW)
    wb = openpyxl.load_workbook(path)
    ws = wb["Jobs"]
    ws.cell(2, HEADER.index("Interviewer email") + 1, "j.jones@acme.example")
    wb.save(path)

    def no_rewrite(*a, **k):
        raise AssertionError("the splice path should write this")

    monkeypatch.setattr(rewritten.RewrittenBook, "write", no_rewrite)
    sync.run(XlsxBackend(path), Config(), NOW)
    _, links, _ = _links(path)
    url, link = links[0]
    assert url.startswith("mailto:j.jones@acme.example?") and link.target == url
    assert _hyperlink_count(path) == (1, 1)  # the old link replaced, not kept
    # the row has nothing more to send (withdrawn): the link goes with the draft
    monkeypatch.undo()
    wb = openpyxl.load_workbook(path)
    wb["Jobs"].cell(2, HEADER.index("Status") + 1, "Withdrawn")
    wb.save(path)
    monkeypatch.setattr(rewritten.RewrittenBook, "write", no_rewrite)
    sync.run(XlsxBackend(path), Config(), NOW)
    _, links, _ = _links(path)
    assert links[0] == (None, None)
    assert _hyperlink_count(path) == (0, 0)


@pytest.mark.parametrize("body_lines", [400])
def test_a_draft_too_long_for_a_link_links_without_its_body(tmp_path, body_lines):
    from followsync.core import mailto

    made = mailto.link("jane@acme.example", "Thank you", "A line of the draft.\n" * body_lines)
    assert made.without_body and len(made.url) <= mailto.MAX_CHARS
    assert parse_qs(urlsplit(made.url).query) == {"subject": ["Thank you"]}
