"""Formatting of amounts, numbers, dates and reason lists for the screen.

Chinese shows large amounts in 万 (10^4) and 亿 (10^8), as readers there expect; English shows
the whole number with thousands separators.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pandas as pd

from i18n import label, translate

WAN = 10_000
YI = 100_000_000


def is_missing(value: Any) -> bool:
    """Return True for None, NaN, NaT and pandas NA."""
    return value is None or bool(pd.isna(value))


def format_cny(amount: float | None, language: str) -> str:
    """Format an amount in yuan: ¥3.98万 and ¥1.2亿 in Chinese, ¥39,800 in English."""
    if is_missing(amount):
        return translate(language, "value.missing")

    sign = "-" if amount < 0 else ""
    value = abs(float(amount))
    if language == "zh-CN" and value >= WAN:
        return f"{sign}¥{_chinese_units(value)}"
    decimals = 0 if math.isclose(value, round(value)) else 2
    return f"{sign}¥{value:,.{decimals}f}"


def _chinese_units(value: float) -> str:
    # Round in 万 first: 99,999,999 rounds to 10000.00万, which reads better as 1亿.
    in_wan = round(value / WAN, 2)
    if in_wan < WAN:
        return f"{_trim(in_wan)}万"
    return f"{_trim(round(value / YI, 2))}亿"


def _trim(number: float) -> str:
    text = f"{number:,.2f}".rstrip("0").rstrip(".")
    return text


def format_number(value: float | None, language: str, decimals: int = 0) -> str:
    """Format a count or score with thousands separators and fixed decimals."""
    if is_missing(value):
        return translate(language, "value.missing")
    return f"{float(value):,.{decimals}f}"


def format_date(value: Any, language: str) -> str:
    """Format a date as YYYY-MM-DD, the form both languages use in tables."""
    if is_missing(value):
        return translate(language, "value.missing")
    return pd.Timestamp(value).date().isoformat()


def format_timestamp(value: Any, language: str) -> str:
    """Format a timestamp to the minute, as YYYY-MM-DD HH:MM."""
    if is_missing(value):
        return translate(language, "value.missing")
    stamp = pd.Timestamp(value)
    return dt.datetime(stamp.year, stamp.month, stamp.day, stamp.hour, stamp.minute).strftime(
        "%Y-%m-%d %H:%M"
    )


def split_codes(codes: Any) -> list[str]:
    """Split a comma-separated list of codes such as "page_views,contact_views"."""
    if is_missing(codes):
        return []
    return [code.strip() for code in str(codes).split(",") if code.strip()]


def health_reasons(low_reasons: Any, fallen_metrics: Any, language: str) -> str:
    """Join the low and fallen metrics into one text: "低: 询价次数；下降: 点击次数"."""
    parts = [
        translate(language, "health.reason_low", metric=label("metric", code, language))
        for code in split_codes(low_reasons)
    ]
    parts += [
        translate(language, "health.reason_fall", metric=label("metric", code, language))
        for code in split_codes(fallen_metrics)
    ]
    return translate(language, "list.separator").join(parts)
