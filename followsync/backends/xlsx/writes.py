"""What both ways of writing a workbook share: where each change lands, and another sheet's widths.

:class:`~.spliced.SplicedBook` and :class:`~.rewritten.RewrittenBook` write the same
:class:`~followsync.backends.base.ChangeSet` and must skip the same cells with the same words.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from openpyxl.utils.cell import range_boundaries

from ...core.changes import Applied, ChangeSet, RowRef, SheetWrite
from ...core.layout import load
from ..base import Located

DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"

#: gives (grid row, column) for a change's row and column, or None to skip it
Target = Callable[[RowRef, str], "tuple[int, int] | None"]


def targets(sheet: str, where: Located, changes: ChangeSet, merges: list[str], applied: Applied) -> Target:
    """A function giving (grid row, column) for a change's row and column, or None to skip it."""
    columns = [c.column for c in changes.cells] + [f.column for f in changes.fills]
    merged = _merged_cells(merges, {where.columns[c] + 1 for c in columns if c in where.columns})
    blocked: set[tuple[int, int]] = set()
    missing: set[str] = set()

    def target(ref: RowRef, column: str) -> tuple[int, int] | None:
        gi = where.rows.get(ref)
        if gi is None:
            return None  # skipped by locate, with its message
        col = where.columns.get(column)
        if col is None:
            if column not in missing:
                missing.add(column)
                applied.skipped.append(
                    f"sheet {sheet!r} has no column {column!r}; its cells were not written"
                )
            return None
        rng = merged.get((gi + 1, col + 1))
        if rng is not None:
            if (gi, col) not in blocked:
                blocked.add((gi, col))
                applied.skipped.append(
                    f"sheet {sheet!r} row {gi + 1}, column {column!r} is part of merged cells {rng}; "
                    "not written. Unmerge those cells to let followsync fill them"
                )
            return None
        return gi, col

    return target


def _merged_cells(ranges: list[str], columns: set[int]) -> dict[tuple[int, int], str]:
    """(row, col) -> range, for the merged cells (ranges like "A1:B2") in ``columns`` (1-based)."""
    out: dict[tuple[int, int], str] = {}
    for coord in ranges:
        try:
            min_col, min_row, max_col, max_row = range_boundaries(coord)
        except (ValueError, TypeError):
            continue
        for c in columns:
            if (min_col or 1) <= c <= (max_col or min_col or 1):
                for r in range(min_row or 1, (max_row or min_row or 1) + 1):
                    out[(r, c)] = coord
    return out


def sheet_widths(sw: SheetWrite) -> list[int]:
    widths = []
    for i, head in enumerate(sw.header):
        longest = max(
            [len(str(head or ""))] + [len(str(r[i])) for r in sw.rows[:50] if i < len(r) and r[i] is not None]
        )
        widths.append(min(max(10, longest + 2), 60))
    return widths


# ---------------------------------------------------------------------- multi-line cells

LINE_HEIGHT = 15.0  # points: one line of the default 11-point font, as Excel and Calc space it
HEADER_HEIGHT = 2 * LINE_HEIGHT  # a header row fits two-line headers
MAX_ROW_HEIGHT = 409.0  # Excel's limit is 409.5 points
DEFAULT_WIDTH = 14  # characters, for a column the layout does not know


def layout_columns() -> dict[str, Any]:
    """The shipped layout's columns by name (what ``init`` gives a column, ``run`` gives too)."""
    return {lc.column.name: lc for lc in load().columns}


def wraps(column: str | None, value: Any, wrapped: frozenset[str]) -> bool:
    """Whether a cell followsync writes is shown wrapped and aligned to the top: a column of
    multi-line text in the layout (``wrapped``), or any text holding a line break."""
    return (column is not None and column in wrapped) or (isinstance(value, str) and "\n" in value)


def text_lines(value: Any, width: float) -> int:
    """How many lines ``value`` takes in a wrapped cell ``width`` characters wide (a guess on the
    safe side: words wrap early, and proportional letters are not all narrower than digits)."""
    if value is None or value == "":
        return 0
    per_line = max(4, int(width * 1.1) - 2)
    lines = 0
    for line in str(value).split("\n"):
        lines += max(1, -(-len(line.rstrip()) // per_line))
    return lines


def row_height(cells: Sequence[tuple[Any, float]]) -> float:
    """The height in points of a row whose wrapped cells are ``(value, width in characters)``."""
    lines = max([text_lines(v, w) for v, w in cells] + [1])
    return min(MAX_ROW_HEIGHT, lines * LINE_HEIGHT + (3.0 if lines > 1 else 0.0))


def new_height(current: float | None, before: float, after: float) -> float | None:
    """The height to give a row whose multi-line cells needed ``before`` points and now need
    ``after``; ``current`` is its custom height (None: it has none). None: leave it as it is.

    A height followsync gave (it equals ``before``) follows the cells; a person's own is kept,
    only ever grown to show every line.
    """
    if current is None:
        return after if after > LINE_HEIGHT else None
    if abs(current - before) < 0.01:
        return after if abs(current - after) >= 0.01 else None
    return after if after > current else None
