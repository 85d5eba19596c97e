"""The one small interface every tracker store implements.

A backend knows the wire and nothing of the rules. It has two required methods,
:meth:`Backend.read` and :meth:`Backend.apply`, one for ``followsync init``
(:meth:`Backend.create`), and optional ones (:meth:`Backend.share`, :meth:`Backend.protect`)
that raise :class:`~followsync.errors.UsageError` where the store has no such thing.

Rows are addressed by their ID (or, for a row whose ID is blank, by its position plus a
fingerprint of its user cells), and columns by header name, *at write time*: a backend never
trusts a row or column number remembered from :meth:`read`, because a coach may sort, insert
or delete rows in between (DESIGN.md invariant 4).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Self

from ..core.changes import Applied, ChangeSet, RowRef, Snapshot, row_fingerprint
from ..core.layout import Layout
from ..core.own_sheets import OWN_SHEETS, owns_rows
from ..core.schema import locate_header
from ..errors import UsageError


class Backend(ABC):
    """A tracker in some store. Subclasses implement :meth:`read` and :meth:`apply`."""

    #: what the user passed as LOCATION, for messages
    location: str
    #: the names of followsync's own worksheets (any letter case): never taken for the tracker.
    #: The core's list by default; a store spells none of them.
    own_sheets: tuple[str, ...] = OWN_SHEETS

    @abstractmethod
    def read(self, also: Sequence[str] = ()) -> Snapshot:
        """Read the whole worksheet: every raw value, and the colour columns' backgrounds.

        ``also`` names other worksheets to read along, in full, into ``Snapshot.sheets`` (each
        found without letter case, ``[]`` when missing); a store without other worksheets
        leaves ``Snapshot.sheets`` empty.
        """

    @abstractmethod
    def apply(self, changes: ChangeSet, *, force: bool = False) -> Applied:
        """Write the changes in as few requests as the store allows, rows found by ID.

        All or nothing where the store allows it. ``force`` overrides a refusal that protects
        something of the user's the store would lose (an ``.xlsx`` with charts, say).
        """

    def create(self, layout: Layout, rows: Sequence[dict[str, Any]] = ()) -> None:
        """Make a new tracker from ``layout``, with ``rows`` (canonical name -> value)."""
        raise UsageError(f"followsync cannot create a tracker at {self.location}")

    def share(self, email: str, role: str = "writer", message: str | None = None) -> None:
        """Share the tracker with someone (a coach)."""
        raise UsageError(f"{self.location} cannot be shared by followsync; share it in its own app")

    def protect(self, columns: Sequence[str]) -> None:
        """Warn anyone who edits followsync's own columns, where the store can."""
        raise UsageError(f"{self.location} has no protected ranges")

    def read_sheet(self, name: str) -> list[list[Any]] | None:
        """Another worksheet's values (History), or None when it doesn't exist."""
        raise UsageError(f"{self.location} cannot read other worksheets yet")

    def lock_name(self) -> str:
        """A stable name for this tracker, for the lock that keeps two runs apart."""
        return self.location

    def close(self) -> None:  # noqa: B027 - optional, and most backends hold nothing
        """Release what the backend holds (files, sessions)."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Close the backend on the way out, error or not."""
        self.close()


@dataclass
class Located:
    """Where a change set's rows and columns are in a freshly read grid."""

    header_row: int
    columns: dict[str, int]  # canonical name -> column index, new columns included
    new_columns: dict[str, int]  # the added ones only
    rows: dict[RowRef, int]  # row -> grid index now
    skipped: list[str]


def locate(changes: ChangeSet, grid: Sequence[Sequence[Any]]) -> Located:
    """Find, in ``grid`` as it is now, the header, each column, and each row of ``changes``.

    Rows are found by ID; a row that was read with a blank ID must still be at its old index
    with a blank ID and the same user cells. Anything else is skipped with a message, so a
    value can be lost to a concurrent edit but never land on another row.
    """
    from ..errors import TrackerError

    header = locate_header(grid, changes.sheet)
    if header is None:
        raise TrackerError(
            f"The header row of sheet {changes.sheet!r} disappeared while followsync was running; "
            "nothing was written. Run followsync again."
        )
    columns = dict(header.positions)
    new_columns: dict[str, int] = {}
    width = header.width
    for name in changes.add_columns:
        if name not in columns:
            columns[name] = new_columns[name] = width
            width += 1
    id_col = columns.get("ID")
    by_id: dict[str, list[int]] = {}
    if id_col is not None:
        for gi in range(header.row + 1, len(grid)):
            row = grid[gi]
            key = _id_text(row[id_col] if id_col < len(row) else None)
            if key:
                by_id.setdefault(key, []).append(gi)
    rows: dict[RowRef, int] = {}
    skipped: list[str] = []
    for ref in changes.rows():
        if ref.id:
            found = by_id.get(ref.id, [])
            if len(found) == 1:
                rows[ref] = found[0]
            elif not found:
                skipped.append(f"row with ID {ref.id!r} is gone (deleted while followsync ran); skipped it")
            else:
                skipped.append(
                    f"ID {ref.id!r} now appears on {len(found)} rows; skipped it. Give each row its own ID"
                )
            continue
        gi = ref.index
        row = grid[gi] if gi < len(grid) else []
        still_blank = id_col is None or not _id_text(row[id_col] if id_col < len(row) else None)
        if gi > header.row and still_blank and row_fingerprint(row, header.positions) == ref.fingerprint:
            rows[ref] = gi
        else:
            skipped.append(
                f"sheet row {gi + 1} changed while followsync ran (it had no ID yet); skipped it, "
                "run followsync again"
            )
    return Located(header.row, columns, new_columns, rows, skipped)


def _id_text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v == int(v):
        v = int(v)
    return str(v).strip()


def owns_sheet(first_row: Sequence[Any] | None, header: Sequence[str]) -> bool:
    """Whether a worksheet (or table) whose first row is ``first_row`` is followsync's own.

    A missing or empty worksheet is followsync's to fill. One whose first row (trailing blanks
    aside) differs from the header followsync writes is the person's: it is left alone, and
    :func:`foreign_sheet` says so.
    """
    return owns_rows(first_row, header)


def foreign_sheet(name: str, kind: str = "worksheet", part: str = "first row") -> str:
    """The one message for a worksheet (or table) of the person's own that a run left alone."""
    return f"{kind} {name!r} is not followsync's (its {part} differs); left it alone"
