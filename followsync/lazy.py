"""A module imported on first use, so ``followsync --help`` starts without pandas (issue 17).

``cli.py`` names the modules its commands use at the top, as usual, but through
:func:`module`: the import happens when a command first reaches into it, not when the
program starts. A command that never computes (``--help``, ``--version``, ``schedule``,
``templates``) never pays for pandas, the store clients or Jinja2.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


class LazyModule:
    """Stands for the module ``name``; the first attribute read imports it (thread-safe:
    :func:`importlib.import_module` holds the import lock)."""

    __slots__ = ("_name",)

    def __init__(self, name: str):
        self._name = name

    def _module(self) -> ModuleType:
        return importlib.import_module(self._name)

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._module(), attr)

    def __repr__(self) -> str:
        return f"<lazy module {self._name!r}>"


def module(name: str) -> Any:
    """``name`` (dotted, absolute), imported when first used."""
    return LazyModule(name)


def function(name: str, attr: str) -> Any:
    """The callable ``attr`` of module ``name``, imported when first called."""

    def call(*args: Any, **kwargs: Any) -> Any:
        return getattr(importlib.import_module(name), attr)(*args, **kwargs)

    call.__name__ = call.__qualname__ = attr
    return call
