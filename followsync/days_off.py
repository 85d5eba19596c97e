"""Public holidays, for ``[rules] holidays``: through the maintained ``holidays`` package."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable


def holiday_calendar(region: str, years: Iterable[int]) -> dict[dt.date, str]:
    """The public holidays of ``region`` ("DE", or with a subdivision "DE-BY") in ``years``."""
    import holidays  # only when [rules] holidays is set

    country, _, subdiv = region.strip().upper().partition("-")
    return dict(holidays.country_holidays(country, subdiv=subdiv or None, years=list(years)))
