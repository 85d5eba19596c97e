"""followsync's own worksheets beside the tracker (the Summary, History), decided in one place.

Stores spell no sheet name: the run asks a store to read ``SUMMARY_READS`` along with the
tracker (``Backend.read(also=...)``), tells it which titles are followsync's own
(``OWN_SHEETS``: never taken for the tracker), and hands it :class:`SheetWrite`\\ s naming the
worksheet to write. Every store finds a worksheet by name without letter case (Google and Excel
both refuse two titles that differ only in case), through :func:`find_title`.

A worksheet called Summary (in any case) that followsync did not make is the person's: it is
left alone and the Summary goes to ``Summary (followsync)`` (:func:`place_summary`), on every
store alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

SUMMARY = "Summary"
HISTORY = "History"
#: where followsync's Summary goes when the person has a worksheet called Summary of their own
OWN_SUFFIX = " (followsync)"
SUMMARY_ELSEWHERE = SUMMARY + OWN_SUFFIX
#: the worksheets a run reads along with the tracker, in full
SUMMARY_READS = (SUMMARY, SUMMARY_ELSEWHERE)
#: followsync's own worksheets: a store never takes one of these for the tracker
OWN_SHEETS = (SUMMARY, HISTORY, SUMMARY_ELSEWHERE)


def find_title(titles: Iterable[str], name: str) -> str | None:
    """The title among ``titles`` that stands for ``name``: ``name`` itself, else the one equal
    to it without letter case, else None."""
    titles = list(titles)
    if name in titles:
        return name
    return next((t for t in titles if t.casefold() == name.casefold()), None)


def is_own(title: str, own: Iterable[str] = OWN_SHEETS) -> bool:
    """Whether ``title`` is one of the ``own`` worksheet names, in any letter case."""
    return any(title.casefold() == name.casefold() for name in own)


def _trimmed(row: Sequence[Any] | None) -> list[str]:
    out = ["" if v is None else str(v) for v in (row or [])]
    while out and out[-1] == "":
        out.pop()
    return out


def owns_rows(first_row: Sequence[Any] | None, header: Sequence[Any]) -> bool:
    """Whether a worksheet whose first row is ``first_row`` is followsync's, for ``header``.

    A missing or empty worksheet is followsync's to fill; otherwise its first row (trailing
    blanks aside) must be the ``header`` followsync writes (trailing blanks aside too).
    """
    first = _trimmed(first_row)
    return not first or first == _trimmed(header)


def owns_summary(rows: Sequence[Sequence[Any]], title: Any) -> bool:
    """Whether a worksheet holding ``rows`` is followsync's Summary: empty, or headed ``title``.

    Only the first cell counts: a store without free grids (Airtable's tables) names the other
    fields of the first row itself.
    """
    first = _trimmed(rows[0] if rows else None)
    return not first or first[0] == str(title)


@dataclass(frozen=True)
class Placement:
    """Where the run writes the Summary: the worksheet's name, what it holds now, and what to say."""

    name: str
    current: list[list[Any]]
    note: str | None = None


def place_summary(sheets: Mapping[str, list[list[Any]]], title: Any) -> Placement | None:
    """The Summary's worksheet, given the worksheets a store read (``Snapshot.sheets``).

    None when the store read none (it has no other worksheets), or when both ``Summary`` and
    ``Summary (followsync)`` are the person's own.
    """
    if SUMMARY not in sheets:
        return None
    mine = sheets[SUMMARY]
    if owns_summary(mine, title):
        return Placement(SUMMARY, mine)
    elsewhere = sheets.get(SUMMARY_ELSEWHERE, [])
    if not owns_summary(elsewhere, title):
        return None
    return Placement(
        SUMMARY_ELSEWHERE,
        elsewhere,
        f"A worksheet named {SUMMARY!r} (in some letter case) is the person's own, so followsync "
        f"left it alone and wrote its Summary to {SUMMARY_ELSEWHERE!r}.",
    )


def changed_cells(
    current: Sequence[Sequence[Any]], wanted: Sequence[Sequence[Any]]
) -> dict[tuple[int, int], Any]:
    """The cells of ``wanted`` that differ from ``current``, below the first row (the title),
    with ``None`` for a cell ``current`` has that ``wanted`` no longer does.

    Both grids are plain values (see ``outputs.summary_sheet.plain_grid``); positions are
    0-based, the worksheet's first row being row 0.
    """
    out: dict[tuple[int, int], Any] = {}
    for r in range(1, max(len(current), len(wanted))):
        old = list(current[r]) if r < len(current) else []
        new = list(wanted[r]) if r < len(wanted) else []
        for c in range(max(len(old), len(new))):
            before = old[c] if c < len(old) else ""
            after = new[c] if c < len(new) else ""
            if before != after:
                out[(r, c)] = None if after == "" else after
    return out
