"""The tracker template in ``sheet_templates/``: column order, notes, widths, colours."""

from __future__ import annotations

import tomllib
from functools import cache

from ..backends.base import Layout, LayoutColumn
from . import shipped
from .schema import BY_NAME


def template_text(name: str) -> str:
    """A file shipped in ``sheet_templates/``."""
    return shipped.read_text(name)


@cache
def load() -> Layout:
    """The shipped layout, checked against the schema's columns."""
    data = tomllib.loads(template_text("layout.toml"))
    cols = []
    for entry in data["column"]:
        col = BY_NAME[entry["name"]]
        cols.append(
            LayoutColumn(
                column=col,
                width=int(entry.get("width", 14)),
                note=entry.get("note", ""),
                number_format=entry.get("format"),
                choices=col.choices,
                hidden=bool(entry.get("hidden", False)),
            )
        )
    return Layout(
        worksheet=data.get("worksheet", "Tracker"),
        columns=tuple(cols),
        colours=dict(data["colours"]),
        header_fill=data.get("header_fill", "#D9D9D9"),
    )
