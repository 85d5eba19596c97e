"""What a run found and did: the result every output reads (digest, --json, mail, calendar).

:func:`followsync.run.run` makes a :class:`RunResult` per tracker; :func:`followsync.run.run_all`
an :class:`Outcome` per tracker of a config. They live here, beside the outputs that read them,
so that the outputs never import the run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from ..config import TrackerSpec
from ..core import schema
from ..core.changes import Applied, ChangeSet
from ..core.compute import DueItem
from ..errors import EXIT_OK, EXIT_PROBLEMS, FollowsyncError
from .calendar import CalendarItem
from .summary import Summary


@dataclass
class RunResult:
    """What one run found and did, for the digest, ``--json`` and the exit code."""

    location: str
    sheet: str
    rows: int
    changes: ChangeSet
    applied: Applied | None
    problems: list[schema.Problem]
    due: list[DueItem]
    dry_run: bool = False
    notes: list[str] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    summary: Summary | None = None
    name: str = ""  # the tracker's name in [[trackers]]
    inbox: list[str] = field(default_factory=list)  # what the inbox step found, message by message
    inbox_error: FollowsyncError | None = None  # the mailbox failed: the tracker was still written
    #: makes :attr:`calendar` when it is first read (the run's frame and computed cells, as they
    #: were at its end: nothing changes them after)
    calendar_of: Callable[[], list[CalendarItem]] | None = field(default=None, repr=False, compare=False)

    @cached_property
    def calendar(self) -> list[CalendarItem]:
        """One item per due action and interview ahead. Made only when asked for (the ``.ics``
        file): most runs write no calendar, and at 20,000 rows it took a tenth of a second or
        more (issue 17)."""
        made, self.calendar_of = (self.calendar_of() if self.calendar_of else []), None
        return made

    @property
    def exit_code(self) -> int:
        code = EXIT_PROBLEMS if self.problems else EXIT_OK
        return max(code, self.inbox_error.exit_code) if self.inbox_error is not None else code

    @property
    def cells_changed(self) -> int:
        """Cells written (or, on a dry run, that would be): values and colours."""
        return len(self.changes.cells) + len(self.changes.fills)

    def by_urgency(self) -> dict[str, int]:
        counts = {u: 0 for u in ("overdue", "today", "soon")}
        for item in self.due:
            counts[item.urgency] = counts.get(item.urgency, 0) + 1
        return counts


@dataclass
class Outcome:
    """One tracker's run: its result, or the error that stopped it."""

    spec: TrackerSpec
    result: RunResult | None = None
    error: FollowsyncError | None = None

    @property
    def exit_code(self) -> int:
        if self.error is not None:
            return self.error.exit_code
        return self.result.exit_code if self.result else EXIT_OK


@dataclass
class Checked:
    """One tracker's ``check``: its Problems, or the error that stopped reading it."""

    name: str
    location: str
    rows: int = 0
    problems: list[schema.Problem] = field(default_factory=list)
    error: FollowsyncError | None = None

    @property
    def exit_code(self) -> int:
        return self.error.exit_code if self.error else (EXIT_PROBLEMS if self.problems else EXIT_OK)
