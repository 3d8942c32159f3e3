"""Age of the published data: the clock the status page compares against, and the limit."""

from __future__ import annotations

import datetime as dt
import math
from zoneinfo import ZoneInfo

# Data older than this many days gets a warning on the status page.
STALE_DAYS = 2


def clock(timezone: str) -> tuple[dt.datetime, dt.date]:
    """Return now in UTC (naive, like the snapshot's timestamps) and today in the portal's zone."""
    now = dt.datetime.now(dt.UTC)
    return now.replace(tzinfo=None), now.astimezone(ZoneInfo(timezone)).date()


def is_stale(hours_since_load: float | None, days_since_data: float | None, days: int) -> bool:
    """Return True when the last load or the newest data is older than `days` days."""
    hours = _number(hours_since_load)
    data_days = _number(days_since_data)
    return (hours is not None and hours > days * 24) or (data_days is not None and data_days > days)


def _number(value: float | None) -> float | None:
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) else number
