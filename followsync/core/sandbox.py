"""The sandbox message templates render in: no way out, and a budget of steps, time and output.

A template in the user's ``templates_dir`` is code someone may have copied from anywhere, and
what it renders lands in a sheet shared with a coach. So templates render in Jinja2's
:class:`~jinja2.sandbox.ImmutableSandboxedEnvironment`: no attribute starting with ``_``
(``cycler.__init__.__globals__.os.environ`` is refused), no method that changes a list or a
dict, ``range`` at most 100,000 long.

The sandbox does not bound resources, so :class:`BudgetedEnvironment` adds a budget per render
(:func:`budget`): every loop step (each ``{% for %}`` iterates through :meth:`~BudgetedEnvironment.
budget_iter`, laid into the template's syntax tree), call, attribute look-up and ``*``/``**``
counts a step; and the render stops, as a :class:`BudgetExceeded` naming the template's line,
after :data:`MAX_STEPS` steps, :data:`MAX_SECONDS` seconds, or :data:`MAX_OUTPUT` characters.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Generator, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

MAX_STEPS = 1_000_000  # loop steps, calls and look-ups in one render; a message needs a few hundred
MAX_SECONDS = 5.0  # wall time of one render; a message takes well under a millisecond
MAX_OUTPUT = 1_000_000  # characters one render may produce; a cell holds at most 100,000
MAX_REPEAT = 100_000  # the longest str/list a ``*`` may make, the largest ``**`` result's digits


class BudgetExceeded(jinja2.TemplateRuntimeError):
    """A template used more steps, time or output than a message can need."""


class _Budget:
    __slots__ = ("steps", "deadline", "output")

    def __init__(self) -> None:
        self.steps = 0
        self.output = 0
        self.deadline = time.monotonic() + MAX_SECONDS

    def step(self, n: int = 1) -> None:
        self.steps += n
        if self.steps > MAX_STEPS:
            raise BudgetExceeded(
                f"the template takes more than {MAX_STEPS:,} steps (a loop that never ends?)"
            )
        if self.steps % 1024 == 0 and time.monotonic() > self.deadline:
            raise BudgetExceeded(f"the template takes more than {MAX_SECONDS:g} s to render")

    def wrote(self, chunk: str) -> None:
        self.output += len(chunk)
        if self.output > MAX_OUTPUT:
            raise BudgetExceeded(f"the template writes more than {MAX_OUTPUT:,} characters")
        self.step()


class BudgetedEnvironment(ImmutableSandboxedEnvironment):
    """The immutable sandbox, with a budget for each render (see the module's docstring)."""

    intercepted_binops = frozenset({"*", "**"})

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._budgets = threading.local()

    @property
    def _budget(self) -> _Budget:
        current = getattr(self._budgets, "current", None)
        if current is None:  # rendered outside budget(): a budget of its own
            current = self._budgets.current = _Budget()
        return current

    @contextmanager
    def budget(self) -> Iterator[_Budget]:
        """A fresh budget for the renders within."""
        outer = getattr(self._budgets, "current", None)
        self._budgets.current = _Budget()
        try:
            yield self._budgets.current
        finally:
            self._budgets.current = outer

    def render_chunks(self, chunks: Iterator[str]) -> str:
        """Join a template's output, counting it against the budget. An output too long is
        thrown into the template where it writes, so the error names that line."""
        out = []
        budget = self._budget
        for chunk in chunks:
            try:
                budget.wrote(chunk)
            except BudgetExceeded as e:
                if not isinstance(chunks, Generator):
                    raise
                chunks.throw(e)
            out.append(chunk)
        return "".join(out)

    # Every {% for %} iterates through this (see _parse).
    def budget_iter(self, iterable: Iterable[Any]) -> Iterator[Any]:
        budget = self._budget
        for item in iterable:
            budget.step()
            yield item

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        tree = super()._parse(source, name, filename)
        for loop in tree.find_all(nodes.For):
            loop.iter = nodes.Call(
                nodes.EnvironmentAttribute("budget_iter", lineno=loop.lineno),
                [loop.iter],
                [],
                None,
                None,
                lineno=loop.lineno,
            )
        return tree

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        __self._budget.step()
        return super().call(__context, __obj, *args, **kwargs)

    def getattr(self, obj: Any, attribute: str) -> Any:
        self._budget.step()
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        self._budget.step()
        return super().getitem(obj, argument)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        self._budget.step()
        if operator == "*":
            for seq, n in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(n, int) and len(seq) * n > MAX_REPEAT:
                    raise BudgetExceeded(f"the template makes a value longer than {MAX_REPEAT:,}")
        ints = isinstance(left, int) and isinstance(right, int)
        if (
            operator == "**"
            and ints
            and right > 0
            and abs(left) > 1
            and right * abs(left).bit_length() > MAX_REPEAT
        ):
            raise BudgetExceeded(f"the template computes a number of more than {MAX_REPEAT:,} bits")
        return super().call_binop(context, operator, left, right)
