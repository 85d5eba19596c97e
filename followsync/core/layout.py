"""The tracker template in ``sheet_templates/``: column order, notes, widths, colours; and the
demo rows for ``followsync init --demo``, dated relative to today so they never go stale."""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass
from functools import cache
from typing import Any

from . import shipped
from .schema import BY_NAME, Column


@dataclass(frozen=True)
class LayoutColumn:
    """One column of a new tracker as ``followsync init`` lays it out."""

    column: Column
    width: int  # in characters
    note: str
    number_format: str | None = None  # e.g. "yyyy-mm-dd" for dates
    choices: tuple[str, ...] = ()
    hidden: bool = False
    wrap: bool = False  # multi-line text: wrapped, aligned to the top, rows tall enough
    checkbox: bool = False  # a Yes/No the person ticks (Mark sent): a real checkbox where the store has them


@dataclass(frozen=True)
class Layout:
    """The tracker template: columns in order, and the colour palette (RULES.md section 4)."""

    worksheet: str
    columns: tuple[LayoutColumn, ...]
    colours: dict[str, str]  # colour name -> "#RRGGBB"
    header_fill: str = "#D9D9D9"


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
                wrap=bool(entry.get("wrap", False)),
                checkbox=bool(entry.get("checkbox", False)) and col.kind in ("yesno", "tick_or_date"),
            )
        )
    return Layout(
        worksheet=data.get("worksheet", "Tracker"),
        columns=tuple(cols),
        colours=dict(data["colours"]),
        header_fill=data.get("header_fill", "#D9D9D9"),
    )


DEMO_LANGUAGES = ("de", "fr", "es")  # the tables of a demo row that hold its words in a language


def demo_rows(today: dt.date, language: str = "en") -> list[dict[str, Any]]:
    """The demo rows of ``sheet_templates/demo.toml`` as canonical column name -> value; with
    ``language`` 'de', 'fr' or 'es', a row's text cells in that language where it has them."""
    out = []
    for entry in tomllib.loads(template_text("demo.toml"))["row"]:
        row: dict[str, Any] = {}
        entry = {**entry, **entry.get(language, {})}
        for name, value in entry.items():
            if name in DEMO_LANGUAGES:
                continue
            kind = BY_NAME[name].kind
            if kind in ("date", "date_or_url") and isinstance(value, int):
                value = today + dt.timedelta(days=value)
            elif kind == "datetime":
                days, _, clock = str(value).partition(" ")
                day = today + dt.timedelta(days=int(days))
                if clock:
                    hour, minute = map(int, clock.split(":"))
                    value = dt.datetime.combine(day, dt.time(hour, minute))
                else:
                    value = day
            row[name] = value
        out.append(row)
    return out
