"""Parsers for the values staff type into spreadsheets: Chinese dates, months, amounts, counts.

Each parser takes a cell as read from xlsx (str, int, float, date, datetime or None) or CSV
(str). It returns None for a missing value (empty, or a dash such as "-" or "—") and the parsed
value otherwise. Invalid input raises ValueError with a message that names the value and the
expected forms.
Text is normalised with Unicode NFKC first, so full-width digits, "￥", "，" and "（）" read as
their ASCII forms.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

# Text that means "no value" in a cell: empty, or a dash that staff type as a placeholder.
MISSING_MARKERS = frozenset({"", "-", "--", "—", "——", "–", "/", "n/a", "na", "null", "none"})

# Excel's 1900 date system counts days from 1899-12-30, which absorbs its fictional 1900-02-29.
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_EXCEL_MAX_SERIAL = 2958465  # 9999-12-31

_CENT = Decimal("0.01")

_MULTIPLIERS = {
    "": Decimal(1),
    "千": Decimal(1_000),
    "万": Decimal(10_000),
    "十万": Decimal(100_000),
    "百万": Decimal(1_000_000),
    "千万": Decimal(10_000_000),
    "亿": Decimal(100_000_000),
}

_CURRENCY = r"(?:¥|人民币|rmb|cny)"

# A number with optional thousands separators in groups of three, or a plain number that may
# carry an exponent (Excel writes large numbers as 1.2e+05 in CSV).
_NUMBER = r"(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d*)?(?:e[-+]?\d+)?|\.\d+)"

_AMOUNT = re.compile(
    rf"(?P<sign1>[-+])?(?P<currency>{_CURRENCY})?(?P<sign2>[-+])?"
    rf"(?P<number>{_NUMBER})(?P<unit>.*)"
)

# The unit after an amount, with or without brackets: 元, 万, 万元, 亿元, 万元人民币, 人民币万元.
_AMOUNT_UNIT = re.compile(rf"{_CURRENCY}?(?P<multiplier>千|万|十万|百万|千万|亿)?元?{_CURRENCY}?")

_COUNT = re.compile(rf"(?P<sign>[-+])?(?P<number>{_NUMBER})(?P<multiplier>万)?(?:次|通|个|人次)?")

# Dates: 2024/3/5, 2024-03-05, 2024.3.5, 2024年3月5日 (日 or 号), each with an optional time.
_TIME = r"(?:[ t]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
_DATE = re.compile(
    rf"(?P<year>\d{{4}})(?P<sep>[-/.])(?P<month>\d{{1,2}})(?P=sep)(?P<day>\d{{1,2}}){_TIME}"
    rf"|(?P<cn_year>\d{{4}})年(?P<cn_month>\d{{1,2}})月(?P<cn_day>\d{{1,2}})[日号]{_TIME}"
    rf"|(?P<compact>\d{{8}})"
)

# Months: 2026-03, 2026/3, 2026.03, 2026年3月, 2026年3月份, 202603.
_MONTH = re.compile(
    r"(?P<year>\d{4})[-/.](?P<month>\d{1,2})"
    r"|(?P<cn_year>\d{4})年(?P<cn_month>\d{1,2})月份?"
    r"|(?P<compact>\d{6})"
)


def normalise_text(value: str) -> str:
    """Apply NFKC, drop byte-order marks and zero-width spaces, and strip outer whitespace."""
    text = unicodedata.normalize("NFKC", value)
    return text.replace("\ufeff", "").replace("\u200b", "").strip()


def is_missing(value: object) -> bool:
    """Tell whether a cell is empty: None, NaN or a missing marker such as "-"."""
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and normalise_text(value).casefold() in MISSING_MARKERS


def parse_amount(value: object) -> float | None:
    """Parse an amount in yuan, rounded to the fen (0.01), or None when the cell is missing.

    Accepts numbers and text such as "¥1,200.00", "￥1,200", "12,000元", "1.2万" (12,000),
    "1,000万元" (10,000,000), "500(万元人民币)" (5,000,000), "500（万元）" and "1.5亿".
    Arithmetic runs in Decimal, so "3.1万" gives exactly 31000.0 and not 31000.000000000004.
    """
    if is_missing(value):
        return None
    if isinstance(value, bool):
        raise ValueError(f"invalid amount {value!r}: expected a number, not a true/false cell")
    if isinstance(value, int | float | Decimal):
        return _to_fen(_decimal_from_number(value, "amount"))
    if not isinstance(value, str):
        raise ValueError(f"invalid amount {value!r}: expected a number or text")

    text = _compact(value)
    match = _AMOUNT.fullmatch(text)
    multiplier = _amount_multiplier(match.group("unit")) if match else None
    if match is None or multiplier is None or (match["sign1"] and match["sign2"]):
        raise ValueError(
            f"invalid amount {value!r}: expected a number such as 1200, ¥1,200.00, 12,000元, "
            "1.2万, 1,000万元 or 500(万元人民币)"
        )

    number = Decimal(match["number"].replace(",", "")) * multiplier
    negative = "-" in (match["sign1"], match["sign2"])
    return _to_fen(-number if negative else number)


def parse_count(value: object) -> int | None:
    """Parse a whole, non-negative count such as "120", "1,200", "120次" or "1.2万".

    Returns None when the cell is missing; raises ValueError for fractions and negatives.
    """
    if is_missing(value):
        return None
    if isinstance(value, bool):
        raise ValueError(f"invalid count {value!r}: expected a whole number, not true/false")

    if isinstance(value, int | float | Decimal):
        number = _decimal_from_number(value, "count")
    elif isinstance(value, str):
        match = _COUNT.fullmatch(_compact(value))
        if match is None:
            raise ValueError(f"invalid count {value!r}: expected a whole number such as 120")
        number = Decimal(match["number"].replace(",", ""))
        if match["multiplier"]:
            number *= _MULTIPLIERS["万"]
        if match["sign"] == "-":
            number = -number
    else:
        raise ValueError(f"invalid count {value!r}: expected a whole number or text")

    if number < 0:
        raise ValueError(f"invalid count {value!r}: a count cannot be negative")
    if number != number.to_integral_value():
        raise ValueError(f"invalid count {value!r}: a count must be a whole number")
    return int(number)


def parse_date(value: object) -> dt.date | None:
    """Parse a day such as "2024/3/5", "2024-03-05", "2024.3.5", "2024年3月5日" or "20240305".

    Date and datetime cells give their date, and a time after the date is ignored. A numeric
    cell (int or float) is read as an Excel serial day number, because that is what xlsx stores
    for a date in a cell without a date format. An integer of eight digits is YYYYMMDD instead.
    Digits in text are never read as a serial, because a CSV saved by Excel holds the date as
    displayed, and a bare five-digit number there is more likely a typo than a date.
    """
    if is_missing(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        raise ValueError(f"invalid date {value!r}: expected a date, not true/false")
    if isinstance(value, int | float):
        return _date_from_number(value)
    if not isinstance(value, str):
        raise ValueError(f"invalid date {value!r}: expected a date or text")

    match = _DATE.fullmatch(normalise_text(value).casefold())
    if match is None:
        raise ValueError(
            f"invalid date {value!r}: expected a date such as 2024/3/5, 2024-03-05 or 2024年3月5日"
        )
    if match["compact"]:
        digits = match["compact"]
        return _make_date(value, int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    if match["year"]:
        return _make_date(value, int(match["year"]), int(match["month"]), int(match["day"]))
    return _make_date(value, int(match["cn_year"]), int(match["cn_month"]), int(match["cn_day"]))


def parse_month(value: object) -> dt.date | None:
    """Parse a month and return its first day, or None when the cell is missing.

    Accepts "2026-03", "2026/3", "2026.03", "2026年3月", "2026年3月份", "202603", a six-digit
    number 202603, and any day parse_date accepts ("2026/3/5" gives 2026-03-01).
    """
    if is_missing(value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 100000 <= value <= 999999:
        value = str(value)  # YYYYMM typed into a number cell

    if isinstance(value, str):
        match = _MONTH.fullmatch(normalise_text(value).casefold())
        if match is not None:
            return _month_from_match(value, match)

    try:
        day = parse_date(value)
    except _InvalidCalendarDate as error:
        raise ValueError(f"invalid month {value!r}: {error.detail}") from None
    except ValueError:
        raise ValueError(
            f"invalid month {value!r}: expected a month such as 2026-03, 2026/3, 2026年3月 "
            "or 202603, or a date in that month"
        ) from None
    return None if day is None else day.replace(day=1)


def _month_from_match(value: str, match: re.Match[str]) -> dt.date:
    if match["compact"]:
        year, month = int(match["compact"][:4]), int(match["compact"][4:])
    elif match["year"]:
        year, month = int(match["year"]), int(match["month"])
    else:
        year, month = int(match["cn_year"]), int(match["cn_month"])
    return _make_date(value, year, month, 1, kind="month")


class _InvalidCalendarDate(ValueError):
    """A value in a date layout whose year, month or day is out of range, such as 2026/2/30."""

    def __init__(self, message: str, detail: str) -> None:
        super().__init__(message)
        self.detail = detail


def _make_date(value: object, year: int, month: int, day: int, kind: str = "date") -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError as error:
        raise _InvalidCalendarDate(f"invalid {kind} {value!r}: {error}", str(error)) from None


def _date_from_number(value: int | float) -> dt.date:
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"invalid date {value!r}: expected a date")
    if isinstance(value, int) and 10_000_000 <= value <= 99_999_999:
        digits = str(value)
        return _make_date(value, int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    if not 1 <= value <= _EXCEL_MAX_SERIAL:
        raise ValueError(
            f"invalid date {value!r}: a number is read as an Excel serial day, "
            f"which must lie between 1 and {_EXCEL_MAX_SERIAL}"
        )
    return _EXCEL_EPOCH + dt.timedelta(days=int(value))


def _compact(value: str) -> str:
    """Normalise text and drop all whitespace, so "¥ 1,200 万" reads as "¥1,200万"."""
    return "".join(normalise_text(value).casefold().split())


def _amount_multiplier(unit: str) -> Decimal | None:
    """Return the multiplier a unit such as "万元" or "(万元人民币)" stands for, or None."""
    if unit.startswith("(") and unit.endswith(")"):
        unit = unit[1:-1]
        if not unit:
            return None
    match = _AMOUNT_UNIT.fullmatch(unit)
    return _MULTIPLIERS[match["multiplier"] or ""] if match else None


def _decimal_from_number(value: int | float | Decimal, kind: str) -> Decimal:
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"invalid {kind} {value!r}: expected a finite number")
    # repr gives the shortest text that round-trips, so 0.1 becomes Decimal("0.1") exactly.
    return value if isinstance(value, Decimal) else Decimal(repr(value))


def _to_fen(number: Decimal) -> float:
    try:
        return float(number.quantize(_CENT, rounding=ROUND_HALF_UP))
    except InvalidOperation:
        raise ValueError(f"invalid amount {number}: the number is too large") from None
