"""One exception tree for everything a user can run into.

Each class carries the exit code the CLI uses, so ``cli.py`` turns any of them into a
message and a code with one ``except`` (todoman's pattern). A message says what is wrong
and, where possible, what to run or change next. Messages never include secrets.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_USAGE = 2
EXIT_TRACKER = 3
EXIT_NOTIFY = 4

# The only copy: `followsync --help`, cli.py's docstring and README's table are made from it
# (scripts/readme_examples.py writes README's; tests/cli/test_docs.py checks it).
EXIT_CODES: dict[int, str] = {
    EXIT_OK: "done",
    EXIT_PROBLEMS: "done, but some rows have Problems (`followsync check` lists them)",
    EXIT_USAGE: "usage or config error",
    EXIT_TRACKER: "the tracker could not be read or written (missing, not a workbook, open in Excel, "
    "locked by another run, refused a mass rewrite)",
    EXIT_NOTIFY: "done, but the digest mail could not be sent (`[notify]`) or the mailbox not read (`[inbox]`)",
}


def exit_codes_text(width: int = 78) -> str:
    """:data:`EXIT_CODES` as plain text, for ``--help`` and a docstring."""
    lines = ["Exit codes:"]
    for code, meaning in EXIT_CODES.items():
        lines += textwrap.wrap(meaning, width, initial_indent=f"  {code}  ", subsequent_indent="     ")
    return "\n".join(lines)


class FollowsyncError(Exception):
    """Base class: a message meant for a person, and the exit code it implies."""

    exit_code = EXIT_TRACKER

    def __init__(self, message: str, *, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n{self.hint}" if self.hint else self.message


class UsageError(FollowsyncError):
    """A command was called with arguments that cannot work."""

    exit_code = EXIT_USAGE


class ConfigError(UsageError):
    """followsync.toml (or a setting from the environment) is invalid.

    ``problems`` lists each problem found (vdirsyncer's ``UserError.problems``), so code that
    gathers them from several parts of the file need not read them back out of the message.
    """

    def __init__(self, message: str, *, hint: str | None = None, problems: Iterable[str] = ()):
        super().__init__(message, hint=hint)
        self.problems = list(problems)

    @classmethod
    def listing(cls, what: str, problems: list[str], *, verb: str = "has") -> ConfigError:
        """One error for every problem: ``{what} has 2 problems:`` and a line for each."""
        count = f"{len(problems)} problem{'s' if len(problems) > 1 else ''}"
        return cls(f"{what} {verb} {count}:\n" + "\n".join(f"  - {p}" for p in problems), problems=problems)


class TrackerError(FollowsyncError):
    """The tracker could not be read or written."""

    exit_code = EXIT_TRACKER


class TrackerNotFound(TrackerError):
    """The tracker does not exist where the location says."""


class TrackerUnreadable(TrackerError):
    """The tracker exists but is not something followsync can read."""


class TrackerBusy(TrackerError):
    """Another run holds the lock, or the file is open in a spreadsheet program."""


class StaleRead(TrackerBusy):
    """The tracker changed since it was read: what was computed from that read must not be
    written. :func:`followsync.run.run` reads and computes again (a few times)."""


class WriteRefused(TrackerError):
    """followsync would lose something of the user's if it wrote; ``--force`` overrides."""


class AuthError(TrackerError):
    """Credentials are missing, unreadable, revoked, or lack access to the tracker."""


class RemoteError(TrackerError):
    """The remote service failed, even after retrying."""


class NotifyError(FollowsyncError):
    """Mail could not be sent (the tracker was written). ``reason`` says why, for code that
    reacts to it: ``password`` (no password to read), ``unreachable``, ``timeout``, ``tls``,
    ``auth``, ``refused`` (the server would not take the message) or ``smtp`` (anything else)."""

    exit_code = EXIT_NOTIFY

    def __init__(self, message: str, *, reason: str, hint: str | None = None):
        super().__init__(message, hint=hint)
        self.reason = reason
