"""Dates as people type them, through dateparser: "Nov 30 2026 2pm", "mid December", "next Friday".

:mod:`followsync.core.cells` tries its strict forms first and comes here for the rest. A cell
must name a fixed day: a relative one ("next Friday") would move every day, except in Expected
response by, where it is read from the interview date (``Phrase`` "typed"), and on the command
line, where it is read from ``now``. A small phrase layer in front of dateparser reads what it
does not ("mid December", "2 weeks").
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

_PART_OF_MONTH = re.compile(r"\b(early|mid|middle of|late|end of)\s+(?=[a-z]{3})", re.I)
_PART_DAY = {"early": "5", "mid": "15", "middle of": "15", "late": "25", "end of": "28"}
_HAS_TIME = re.compile(r"\d\s*[ap]\.?m\b|\d:\d\d|\bnoon\b|\bmidnight\b", re.I)
_BARE_SPAN = re.compile(r"^(\d+|a|an|one|two|three|four|five|six)\s+(day|week|month)s?$", re.I)


def _phrase_text(text: str) -> str:
    """A small phrase layer in front of dateparser: "mid December" -> "15 December", "2 weeks" -> "in 2 weeks"."""
    text = " ".join(text.split())
    text = _PART_OF_MONTH.sub(lambda m: _PART_DAY[m[1].lower()] + " ", text)
    return f"in {text}" if _BARE_SPAN.match(text) else text


def parse_typed(
    text: str, base: dt.datetime, date_order: str = "DMY", prefer: str = "future"
) -> tuple[dt.datetime, bool, bool] | None:
    """``text`` read by dateparser against ``base``: (when, has_time, relative), or None.

    ``relative`` says the result depends on ``base`` ("next Friday", "2 weeks", "Dec 15" without
    a year); ``prefer`` ("future", "past") picks which way an ambiguous day is read.
    """
    import dateparser  # only for text the strict forms refused

    def at(when: dt.datetime) -> dt.datetime | None:
        settings: Any = {
            "RELATIVE_BASE": when,
            "PREFER_DATES_FROM": prefer,
            "DATE_ORDER": date_order,
            "RETURN_AS_TIMEZONE_AWARE": False,
            "PARSERS": ["relative-time", "absolute-time"],
        }
        return dateparser.parse(_phrase_text(text), languages=["en"], settings=settings)

    found = at(base)
    if found is None:
        return None
    has_time = bool(_HAS_TIME.search(text))
    if not has_time:
        found = dt.datetime.combine(found.date(), dt.time())
    moved = at(base + dt.timedelta(days=400, hours=5))
    relative = moved is None or moved.date() != found.date()
    return found, has_time, relative

