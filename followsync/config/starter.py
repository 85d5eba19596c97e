"""The starter ``followsync.toml`` that ``followsync init`` writes: every setting of
:data:`~followsync.config.spec.SPEC` with its help, the ones a person is likely to change first."""

from __future__ import annotations

from typing import Any

from .spec import SPEC, Section, Setting, _section


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return str(v)
    return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _shown(s: Setting) -> Any:
    return s.example if s.example is not None else s.default


def starter_toml(location: str) -> str:
    """The followsync.toml that ``init`` writes: the tracker named, everything else explained.

    Every setting of :data:`SPEC` is there, commented out at its default (or an example), so
    the file read back gives the defaults; uncommenting all of it gives a valid file too.
    """
    lines = [
        "# followsync configuration. Every setting has a default; uncomment what you want to change.",
        "# Docs: `followsync --help`, and README.md.",
        "",
    ]
    # Top-level keys must come before the first [section] in TOML.
    for key, spec in SPEC.items():
        if isinstance(spec, Setting):
            lines += [f"# {spec.help}", f"# {key} = {_toml_value(_shown(spec))}"]
    tracker = _section("tracker")
    lines += ["", f"# {tracker.help}", "[tracker]", f"location = {_toml_value(location)}"]
    lines += _starter_settings(tracker, skip=("location",))
    for name, spec in SPEC.items():
        if isinstance(spec, Section) and name != "tracker":
            lines += ["", f"# {spec.help}"] + (
                _starter_tables(name, spec) if spec.many else [f"# [{name}]", *_starter_settings(spec)]
            )
    return "\n".join(lines) + "\n"


def _starter_settings(spec: Section, skip: tuple[str, ...] = ()) -> list[str]:
    lines = []
    if spec.free is not None:
        lines.append(f"# {spec.free.help}, e.g.")
        lines += [f"# {_toml_value(k)} = {_toml_value(v)}" for k, v in (spec.free.example or {}).items()]
    for key, s in spec.settings.items():
        if key in skip:
            continue
        if s.instead_of:  # indented, so uncommenting "# key = " lines keeps one of the two
            lines += [f"# or, instead of {s.instead_of}, {s.help}:", f"#   {key} = {_toml_value(_shown(s))}"]
        else:
            required = " (required)" if s.required else ""
            lines += [f"# {s.help}{required}", f"# {key} = {_toml_value(_shown(s))}"]
    return lines


def _starter_tables(name: str, spec: Section) -> list[str]:
    """An array of tables, as one example table; its keys indented to say "fill in together"."""
    return [f"# [[{name}]]"] + [
        f"#   {key} = {_toml_value(_shown(s))}   # {s.help}" for key, s in spec.items()
    ]
