"""The layers' borders, read from the code's imports (LAYOUT.md, example 2).

``core`` never reaches the stores, the outputs, the run or the CLI; stores, the inbox and the
outputs see only ``core``, ``errors`` and ``config`` (and themselves); ``config`` sees only
``errors`` (and the holidays leaf, ``days_off``); nothing imports ``cli``. Every import counts: relative or absolute, at the top,
inside a function or under ``TYPE_CHECKING``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import followsync

PACKAGE = Path(followsync.__file__).parent
ALLOWED = {
    "backends": {"backends", "core", "errors", "config"},
    "inbox": {"inbox", "core", "errors", "config"},
    "outputs": {"outputs", "core", "config", "errors"},
    "config": {"config", "errors", "days_off"},
    "days_off": {"days_off"},  # public holidays, a leaf that [rules] holidays reads
    "errors": {"errors"},
}
FORBIDDEN = {"core": {"backends", "outputs", "inbox", "run", "cli"}}
#: The crossings the design keeps, with their reasons: SPEC declares ``[inbox]``'s keys, and the
#: checks that need IMAP knowledge (presets, security, where the secret is) sit beside the IMAP code.
#: ``python -m followsync`` is the command itself, so its ``__main__`` starts the CLI.
DECLARED = {("followsync.config", "followsync.inbox.settings"), ("followsync.__main__", "followsync.cli")}


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
    return (module.split(".") + [""])[1]


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
    assert sorted(crossings() - DECLARED) == []


def test_the_reader_sees_every_kind_of_import():
    """The check is only as good as its reading: relative, nested and type-only imports count."""
    seen = {m for path in PACKAGE.rglob("*.py") for m in imports(path)}
    assert {"followsync.backends", "followsync.core.rules", "followsync.outputs.results"} <= seen
    run = imports(PACKAGE / "run.py")
    assert "followsync.backends" in run and "followsync.core.compute" in run  # ``from .backends import``
    assert "followsync.outputs.results" in imports(PACKAGE / "outputs" / "digest.py")  # under TYPE_CHECKING
    assert "followsync.backends.google.auth" in imports(PACKAGE / "cli" / "setup.py")  # inside a function


# --------------------------------------------------------------------------------------
# Stores spell no domain words (LAYOUT.md, example 4): the core hands each store the sheet
# names, which sheet goes first, the colour's name and the checkbox columns.

DOMAIN_WORDS = ("Summary", "History", "Mark sent", "Accept inbox")


def _docstrings(tree: ast.AST) -> set[int]:
    """The ids of the docstring nodes of a module, its classes and functions."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                out.add(id(body[0].value))
    return out


def domain_words(path: Path) -> list[str]:
    """Each string constant (docstrings aside; comments are not in the tree) of ``path`` that
    spells a domain word or a colour of the RULES palette."""
    from followsync.core.layout import load

    palette = [hexv.casefold() for hexv in load().colours.values()]
    tree = ast.parse(path.read_text(), str(path))
    skip = _docstrings(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            text = node.value
            if any(w in text for w in DOMAIN_WORDS) or any(h in text.casefold() for h in palette):
                where = path.relative_to(PACKAGE) if path.is_relative_to(PACKAGE) else path.name
                found.append(f"{where}:{node.lineno}: {text!r}")
    return found


def test_stores_spell_no_domain_word_or_palette_colour():
    assert [hit for path in sorted((PACKAGE / "backends").rglob("*.py")) for hit in domain_words(path)] == []


def test_the_domain_word_check_sees_a_constant(tmp_path):
    spelled = tmp_path / "store.py"
    spelled.write_text('"""History here is a docstring."""\nNAME = "Summary"\nRED = "#f4cccc"  # History\n')
    assert [h.split(": ", 1)[1] for h in domain_words(spelled)] == ["'Summary'", "'#f4cccc'"]
