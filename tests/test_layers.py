"""The layers' borders, read from the code's imports (LAYOUT.md, example 2).

``core`` never reaches the stores, the outputs, the run or the CLI; stores see only ``core``,
``errors`` and ``config``; outputs see only ``core``, ``config`` and ``errors``; nothing
imports ``cli``. Every import counts: relative or absolute, at the top or inside a function.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import followsync

PACKAGE = Path(followsync.__file__).parent
LAYERS = {"runs": "run"}  # runs.py is being merged into run.py: one layer
ALLOWED = {
    "backends": {"backends", "core", "errors", "config"},
    "outputs": {"outputs", "core", "config", "errors"},
}
FORBIDDEN = {"core": {"backends", "outputs", "run", "cli"}}

#: Crossings today's tree still has while the layout is being split (issue 10, step 2).
#: Each is a strict xfail: when a crossing goes, its case fails until it is taken off this list.
KNOWN_CROSSINGS = {
    ("followsync.core.layout", "followsync.backends.base"),  # Layout/LayoutColumn, until core/changes.py
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_module(name: str) -> bool:
    path = PACKAGE.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def imports(path: Path) -> set[str]:
    """Every followsync module ``path`` imports, relative imports resolved."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            source = ".".join([*base, *([node.module] if node.module else [])])
            # ``from . import parts`` names a module: count the module, not its package
            out |= {f"{source}.{a.name}" if is_module(f"{source}.{a.name}") else source for a in node.names}
    return {m for m in out if m.split(".")[0] == "followsync"}


def layer(module: str) -> str:
    part = (module.split(".") + [""])[1]
    return LAYERS.get(part, part)


def crossings() -> set[tuple[str, str]]:
    out = set()
    for path in sorted(PACKAGE.rglob("*.py")):
        importer = module_name(path)
        for imported in imports(path):
            mine, theirs = layer(importer), layer(imported)
            if (
                (theirs == "cli" and mine != "cli")
                or theirs in FORBIDDEN.get(mine, set())
                or (mine in ALLOWED and theirs not in ALLOWED[mine])
            ):
                out.add((importer, imported))
    return out


def test_layers_keep_to_their_borders():
    assert sorted(crossings() - KNOWN_CROSSINGS) == []


@pytest.mark.xfail(strict=True, reason="a crossing the layout split has yet to remove (KNOWN_CROSSINGS)")
@pytest.mark.parametrize("crossing", sorted(KNOWN_CROSSINGS), ids="->".join)
def test_known_crossing_is_gone(crossing):
    assert crossing not in crossings()
