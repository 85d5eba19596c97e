"""Where each row element sits in a worksheet part, held in two arrays instead of a dict of tuples.

A scan notes, for every row, the offsets of its start tag and of its end tag (-1 for an empty
``<row/>``). Held as a dict of tuples of ints that is 150 bytes a row, 11 MB for a 50,000-row
tracker and its Summary (issue 17); row numbers are dense, so two arrays indexed by the row's
number hold the same in 16 bytes a row.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator, MutableMapping

_ABSENT = -2  # no row element of that number (an end of -1 is an empty row's)


class RowSpans(MutableMapping[int, tuple[int, int]]):
    """Row number -> (offset of "<row", offset of "</row>" or -1): a dict's interface; its
    rows come out in the order of their numbers."""

    def __init__(self) -> None:
        self._starts = array("q")
        self._ends = array("q")
        self._count = 0

    def __setitem__(self, row: int, span: tuple[int, int]) -> None:
        if row < 0:
            raise KeyError(row)
        starts, ends = self._starts, self._ends
        if row >= len(starts):
            grow = max(row + 1 - len(starts), len(starts))  # doubling: a scan notes rows in order
            starts.extend(array("q", [_ABSENT]) * grow)
            ends.extend(array("q", [_ABSENT]) * grow)
        if starts[row] == _ABSENT:
            self._count += 1
        starts[row], ends[row] = span

    def __getitem__(self, row: int) -> tuple[int, int]:
        if 0 <= row < len(self._starts):
            start = self._starts[row]
            if start != _ABSENT:
                return start, self._ends[row]
        raise KeyError(row)

    def __contains__(self, row: object) -> bool:
        return isinstance(row, int) and 0 <= row < len(self._starts) and self._starts[row] != _ABSENT

    def __delitem__(self, row: int) -> None:
        self[row]  # a KeyError for a row not noted
        self._starts[row] = self._ends[row] = _ABSENT
        self._count -= 1

    def __iter__(self) -> Iterator[int]:
        return (row for row, start in enumerate(self._starts) if start != _ABSENT)

    def __len__(self) -> int:
        return self._count

    def __eq__(self, other: object) -> bool:
        if isinstance(other, RowSpans | dict):
            return dict(self.items()) == dict(other.items())
        return NotImplemented

    def __repr__(self) -> str:
        return f"RowSpans({dict(self.items())!r})"
