"""The terminal's side of a command: a closed pipe ends quietly, errors go to stderr."""

from __future__ import annotations

import os
import sys

from rich.console import Console as RichConsole

from .errors import EXIT_OK


class Console(RichConsole):
    """rich's Console, but a closed pipe ends the command quietly with 0 (rich's own says 1)."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        quiet_stdout()
        raise SystemExit(EXIT_OK)


def quiet_stdout() -> None:
    """Point stdout at the null device, so the interpreter's last flush finds no closed pipe."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # no real stdout (a test runner's)
        pass


def err_console(out: RichConsole) -> RichConsole:
    """Where errors go: stderr, beside ``out`` (a test's console keeps them in one capture)."""
    if out.file is sys.stdout or getattr(out.file, "name", "") == "<stdout>":
        return RichConsole(stderr=True, highlight=False, soft_wrap=True)
    return out
