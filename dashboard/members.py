"""The member picker's choices and the member named in the URL (?member=ID)."""

from __future__ import annotations

import logging

import pandas as pd

from dashboard.logs import shorten

logger = logging.getLogger(__name__)


def member_options(health: pd.DataFrame) -> dict[int, str]:
    """Map each paid member's id to "company (id)", in the order of the health list.

    The health list puts the lowest scores first, so the default member is the one most in
    need of attention.
    """
    pairs = zip(health["member_id"], health["company_name"], strict=True)
    return {int(member_id): f"{name} ({int(member_id)})" for member_id, name in pairs}


def requested_member(value: str | None) -> int | None:
    """Parse the member query parameter; None when absent or not a whole number."""
    if value is None or not value.strip():
        return None
    try:
        return int(value.strip())
    except ValueError:
        logger.info("Ignoring query parameter member=%r: not a member id.", shorten(value))
        return None
