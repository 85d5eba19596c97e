"""Demo rows for ``followsync init --demo``, dated relative to today so they never go stale."""

from __future__ import annotations

import datetime as dt
import tomllib
from typing import Any

from .layout import template_text
from .schema import BY_NAME


def rows(today: dt.date) -> list[dict[str, Any]]:
    """The demo rows of ``sheet_templates/demo.toml`` as canonical column name -> value."""
    out = []
    for entry in tomllib.loads(template_text("demo.toml"))["row"]:
        row: dict[str, Any] = {}
        for name, value in entry.items():
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
