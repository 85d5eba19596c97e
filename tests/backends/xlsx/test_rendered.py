"""A run's demo tracker as LibreOffice Calc prints it: every line of every draft inside its cell.

Calc paints a cell's text from what the file says: without wrapping and a row tall enough, a
draft of twelve lines showed only its last ("Best regards,"), the others drawn over the
neighbouring rows and the header (issue 13, item 1). The tracker is converted to PDF with
``soffice --headless --convert-to pdf``, and ``pdftotext -bbox`` gives each word's box, in
points, as Calc placed it.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
from html import unescape
from pathlib import Path

import openpyxl
import pytest

from followsync import run as sync
from followsync.backends.xlsx.backend import XlsxBackend
from followsync.config import Config
from followsync.core.layout import demo_rows, load

pytestmark = pytest.mark.skipif(
    shutil.which("soffice") is None or shutil.which("pdftotext") is None,
    reason="needs LibreOffice (soffice) and poppler-utils (pdftotext)",
)

NOW = dt.datetime(2026, 11, 20, 9, 0)
_WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>')


def _render(path: Path, out: Path) -> Path:
    """``path`` as LibreOffice prints it, to a PDF in ``out`` (its own profile: runs may overlap)."""
    profile = out / "lo-profile"
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out),
            str(path),
        ],
        check=True,
        capture_output=True,
        timeout=240,
        env={**os.environ, "HOME": str(out)},
    )
    return out / (path.stem + ".pdf")


def _pages(pdf: Path) -> list[list[tuple[float, float, float, float, str]]]:
    """Each page's words as (xMin, yMin, xMax, yMax, text), in reading order."""
    text = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    pages = []
    for page in text.split("<page ")[1:]:
        words = [
            (float(a), float(b), float(c), float(d), unescape(w)) for a, b, c, d, w in _WORD.findall(page)
        ]
        pages.append(sorted(words, key=lambda w: (round(w[1], 1), w[0])))
    return pages


def _demo_run(tmp_path: Path) -> Path:
    path = tmp_path / "tracker.xlsx"
    backend = XlsxBackend(path)
    backend.create(load(), demo_rows(NOW.date()))
    sync.run(XlsxBackend(path), Config(), NOW)
    return path


def _column(ws, name: str) -> int:
    return next(c.column for c in ws[1] if c.value == name)


def _check_column(pages, ws, name: str) -> int:
    """Every cell of column ``name`` shows all its words inside its own cell; the number checked."""
    col = _column(ws, name)
    heights = {r: ws.row_dimensions[r].height or 15.0 for r in range(1, ws.max_row + 1)}
    cells = [
        (r, str(ws.cell(r, col).value).split())
        for r in range(2, ws.max_row + 1)
        if ws.cell(r, col).value not in (None, "")
    ]
    head_words = name.split()
    # The header's page: the first of the tracker's pages with the header in its top line.
    first_tracker = next(i for i, words in enumerate(pages) if words and words[0][4] == "ID")
    start = header = None
    for i in range(first_tracker, len(pages)):
        top = [w for w in pages[i] if abs(w[1] - pages[i][0][1]) < 0.5]
        texts = [w[4] for w in top]
        for k in range(len(texts) - len(head_words) + 1):
            if texts[k : k + len(head_words)] == head_words:
                start, header = i, top[k : k + len(head_words)]
                break
        if start is not None:
            break
    assert start is not None and header is not None, f"no page shows the header {name!r}"
    header_y, left = header[0][1], header[0][0]
    width = (
        ws.column_dimensions[openpyxl.utils.get_column_letter(col)].width * 7.0 + 4
    )  # points, as Calc prints
    # Calc's row tops, measured like the text in them: the header's text sits as far below its
    # row's top as a cell's first line below its own (both aligned to the top).
    assert all(w[3] <= header_y + heights[1] for w in header), "the header spills out of its row"
    # The words of the column's pages, from the header on, in order (the header left out).
    words = [
        (p, w) for p in range(start, len(pages)) for w in pages[p] if left - 2 <= w[0] < left + width - 2
    ]
    words = words[len(head_words) :]
    texts = [w[4] for _, w in words]
    at = 0
    checked = 0
    previous_bottom: tuple[int, float] = (start, header_y + heights[1])
    for r, expected in cells:
        # The cell's words come next, all of them (a row too short clips the last lines).
        found = next(
            (
                i
                for i in range(at, len(texts) - len(expected) + 1)
                if texts[i : i + len(expected)] == expected
            ),
            None,
        )
        assert found is not None, f"row {r}: not every word of its {name} is printed"
        page, first = words[found]
        own = [w for p, w in words[found : found + len(expected)]]
        assert all(p == page for p, _ in words[found : found + len(expected)]), f"row {r} is split over pages"
        top_y = first[1]  # where the cell's first line is, which is its top plus the padding
        if page == start:
            # On the header's page, the rows above are exactly as tall as the file says.
            predicted = header_y + sum(heights[k] for k in range(1, r))
            assert abs(top_y - predicted) < 1.5, f"row {r}: printed at {top_y:.1f}, expected {predicted:.1f}"
        bottom_y = top_y + heights[r]
        assert all(w[3] <= bottom_y for w in own), f"row {r}: its {name} runs below its cell"
        prev_page, prev_bottom = previous_bottom
        if prev_page == page:
            assert top_y >= prev_bottom - 0.5, f"row {r}: its {name} overlaps the row above or the header"
        previous_bottom = (page, bottom_y)
        at = found + len(expected)
        checked += 1
    return checked


def test_every_line_of_a_draft_is_printed_inside_its_cell(tmp_path):
    path = _demo_run(tmp_path)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[0] == "Summary" and wb.active.title == "Tracker"  # opens on the tracker
    ws = wb["Tracker"]
    col = _column(ws, "Draft message")
    drafts = [ws.cell(r, col).value for r in range(2, ws.max_row + 1)]
    assert sum(1 for d in drafts if d and d.count("\n") >= 6) >= 3  # the demo has long drafts
    printed = tmp_path / "print"
    printed.mkdir()
    pages = _pages(_render(path, printed))
    assert _check_column(pages, ws, "Draft message") >= 5
    assert _check_column(pages, ws, "Reminder") >= 10
    assert _check_column(pages, ws, "LinkedIn note") >= 1


def test_a_second_run_of_the_rendered_tracker_writes_nothing(tmp_path):
    path = _demo_run(tmp_path)
    before = path.read_bytes()
    again = sync.run(XlsxBackend(path), Config(), NOW)
    assert again.applied is None or again.applied.write_calls == 0
    assert path.read_bytes() == before
