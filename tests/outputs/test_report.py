"""The coaching report: one self-contained page, and what headless Chromium makes of it."""

from __future__ import annotations

import base64
import io
import re
import shutil
import subprocess

import numpy as np
import pytest
from matplotlib import image as mpimg

from followsync.outputs import report

from ..conftest import NOW, day
from .test_summary import HISTORY, ROWS, summarise

TITLE = "Alex Morgan: job search"


@pytest.fixture(scope="module")
def page() -> str:
    return report.render(summarise(ROWS, HISTORY), title=TITLE, now=NOW)


def pngs(html: str) -> list[np.ndarray]:
    found = re.findall(r'<img alt="[^"]+" src="data:image/png;base64,([A-Za-z0-9+/=]+)">', html)
    return [mpimg.imread(io.BytesIO(base64.b64decode(b)), format="png") for b in found]


def test_report_holds_the_figures_and_three_charts(page):
    assert page.startswith("<!DOCTYPE html>") and f"<title>{TITLE}</title>" in page
    for text in (
        "<b>9</b><span>applications</span>",
        "<b>6</b><span>interviews this month (1 ahead)</span>",
        "<b>67%</b><span>thank-you notes within 24 h (4 of 6)</span>",
        "<b>6</b><span>follow-ups sent</span>",
        '<div class="card alert"><b>1</b><span>overdue actions</span>',
        "<b>1</b><span>offers</span>",
        "Due in the next 7 days",
    ):
        assert text in page
    # The overdue row, with its lateness; the due list in date order.
    assert re.search(r'<tr class="overdue"><td>Mon 23 Nov \(2 d late\)</td><td>Delta</td>', page)
    due = re.findall(r"<tr class=\"\"><td>(\w{3} \d+ \w{3})</td><td>(\w+)</td>", page)
    assert [company for _, company in due] == ["Charlie", "Echo", "India", "Bravo"]
    charts = pngs(page)
    assert len(charts) == 3  # funnel, activity per week, timeline
    for chart in charts:
        assert chart.shape[0] > 100 and chart.shape[1] > 300
        assert chart[..., :3].std() > 0.05  # drawn on, not a blank canvas


def test_report_needs_no_network(page):
    assert not re.search(r"(src|href)\s*=\s*[\"']?(https?:)?//", page, re.I)
    for needle in ("<script", "<link", "@import", "url(", "@font-face"):
        assert needle not in page.lower()


def test_text_from_the_sheet_is_escaped():
    rows = [
        {
            "ID": "x",
            "Company": "<script>alert(1)</script> & Co",
            "Interview at": day(-10),
            "Thank-you sent": day(-9),
        }
    ]
    html = report.render(summarise(rows), title="A & B", now=NOW)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in html
    assert "<title>A &amp; B</title>" in html


def test_a_tracker_without_activity_still_renders(tmp_path):
    out = report.write(
        tmp_path / "r" / "report.html", summarise([{"ID": "a", "Company": "Alpha"}]), title=TITLE, now=NOW
    )
    html = out.read_text(encoding="utf-8")
    assert "No applications yet." in html and "No interviews yet." in html and "Nothing overdue." in html
    assert len(pngs(html)) == 2


def test_timeline_shows_interviewed_applications_most_recent_first():
    t = summarise(ROWS)
    picked = report.pick_timelines(t, limit=3)
    # b (interview ahead, 28 Nov), then c (24 Nov), then h (answered 22 Nov).
    assert [p.id for p in picked] == ["b", "c", "h"]
    everyone = [p.id for p in report.pick_timelines(t)]
    assert len(everyone) == 9 and everyone[-1] == "a"  # a, with no interview, after the rest


@pytest.mark.skipif(
    not shutil.which("chromium"), reason="Debian's chromium is not installed (apt-get install chromium)"
)
def test_report_renders_in_headless_chromium(tmp_path, page):
    html = tmp_path / "report.html"
    html.write_text(page, encoding="utf-8")
    shot = tmp_path / "shot.png"
    cmd = [
        shutil.which("chromium"),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        f"--user-data-dir={tmp_path / 'profile'}",
        f"--screenshot={shot}",
        "--window-size=1200,1600",
        html.as_uri(),
    ]
    done = subprocess.run(
        cmd, capture_output=True, timeout=120, env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    )
    assert shot.exists(), done.stderr.decode(errors="replace")[-2000:]
    pixels = mpimg.imread(str(shot))[..., :3]
    assert pixels.shape[:2] == (1600, 1200)
    assert pixels.std() > 0.1  # not a blank page
    assert (pixels.min(axis=2) < 0.5).mean() > 0.01  # text and bars: dark pixels in numbers
    # The charts loaded: Google blue (#4285F4) from the funnel and activity bars is on screen.
    blue = np.abs(pixels - np.array([0x42, 0x85, 0xF4]) / 255).max(axis=2) < 0.03
    assert blue.sum() > 2000
