"""Fitting a draft to its limit: RULES.md section 5's word and character caps, and a cell's size.

A draft that is too long has its optional parts shortened at word boundaries (the longest first,
to equal lengths), then left out, then the template's brief form is used; a word is never cut.
"""

from __future__ import annotations

from .wording import shorten_chars, shorten_words

OPTIONAL = ("talking_points", "highlights", "open_questions")
REQUIRED_TEXT = ("company", "job_title", "interviewer", "interviewer_role", "other_contact")
# In the last resort a huge required cell (a pasted job ad as Job title) is cut to this.
REQUIRED_CAP_WORDS = 8


def _water_level(sizes: list[int], total: int) -> int:
    """The largest cap c with sum(min(size, c)) <= total: shortening the longest parts first,
    to equal lengths, keeps a little of each rather than all of one."""
    lo, hi = 0, max(sizes, default=0)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if sum(min(n, mid) for n in sizes) <= total:
            lo = mid
        else:
            hi = mid - 1
    return lo


def fit(render_with, cells: dict[str, str], size, limit: int, shorten, minimum: int) -> tuple[str, str]:
    """Render, shortening the optional parts, then the brief form, then huge required cells,
    until ``size(message) <= limit``. Returns the last render even if it still does not fit
    (lint then says so). A part shortened below ``minimum`` is left out: a stub of two words
    reads worse than no sentence."""
    subject, message = render_with(cells, False)
    for _ in range(12):
        excess = size(message) - limit
        if excess <= 0:
            return subject, message
        # Only the parts this template shows count (a final note has no Talking points).
        used = [k for k in OPTIONAL if cells[k] and cells[k][:30] in message]
        if not used:
            break
        sizes = [size(cells[k]) for k in used]
        cap = _water_level(sizes, max(sum(sizes) - excess, 0))
        for k, n in zip(used, sizes, strict=True):
            if n > cap:
                short = shorten(cells[k], cap)
                cells[k] = short if size(short) >= minimum else ""
        subject, message = render_with(cells, False)
    subject, message = render_with(cells, True)
    if size(message) <= limit:
        return subject, message
    for k in REQUIRED_TEXT:
        cells[k] = shorten_words(cells[k], REQUIRED_CAP_WORDS)
    for k in OPTIONAL:
        cells[k] = ""
    return render_with(cells, True)


CELL_CHARS = 32_767  # Excel's cell (Google's: 50,000; Airtable's: 100,000): fits every store
SHORT_CELL_CHARS = 200  # each of REQUIRED_TEXT in the short draft of a row that can't fit


def fit_cell(render_with, cells: dict[str, str]) -> tuple[str, str, str]:
    """A draft within :data:`CELL_CHARS` (a word can be a huge paste): the optional parts cut,
    else a short draft, and the key of the longest required cell, for a Problem."""
    subject, message = fit(render_with, dict(cells), len, CELL_CHARS, shorten_chars, 12)
    if len(message) <= CELL_CHARS and len(subject) <= CELL_CHARS:
        return subject, message, ""
    short = {k: "" if k in OPTIONAL else shorten_chars(v, SHORT_CELL_CHARS) for k, v in cells.items()}
    subject, message = render_with(short, True)
    return subject[:CELL_CHARS], message[:CELL_CHARS], max(REQUIRED_TEXT, key=lambda k: len(cells[k]))
