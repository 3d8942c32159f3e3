"""Parsers of Chinese dates, months, amounts and counts, as staff type them into sheets."""

import datetime as dt
from decimal import Decimal

import pytest

from etl.values import is_missing, parse_amount, parse_count, parse_date, parse_month

AMOUNTS = [
    (1200, 1200.0),
    (1200.5, 1200.5),
    (Decimal("99.999"), 100.0),
    ("1200", 1200.0),
    ("¥1,200.00", 1200.0),
    ("￥1,200", 1200.0),
    ("¥ 120,000.00", 120000.0),
    ("RMB 1,200", 1200.0),
    ("12,000元", 12000.0),
    ("1,200元人民币", 1200.0),
    ("1.2万", 12000.0),
    ("3.1万", 31000.0),  # 3.1 × 10,000 in Decimal; in float 3.1 * 10000 = 31000.000000000004
    ("12万", 120000.0),
    ("1,000万元", 10_000_000.0),
    ("500(万元人民币)", 5_000_000.0),
    ("500（万元）", 5_000_000.0),  # full-width brackets
    ("人民币500万元", 5_000_000.0),
    ("1.5亿", 150_000_000.0),
    ("２，４００元", 2400.0),  # full-width digits and comma
    ("-¥1,200", -1200.0),
    ("1.2e5", 120000.0),  # how Excel writes a large number into CSV
    ("0.005", 0.01),  # half a fen rounds up
    ("1234.565", 1234.57),
    (0.1 + 0.2, 0.3),  # float noise is cut at the fen
]


@pytest.mark.parametrize(("text", "expected"), AMOUNTS)
def test_parse_amount_valid(text, expected):
    assert parse_amount(text) == expected


@pytest.mark.parametrize("text", [None, "", "  ", "-", "－", "—", "--", "N/A", float("nan")])
def test_parse_amount_missing(text):
    assert parse_amount(text) is None


@pytest.mark.parametrize(
    "text",
    ["abc", "¥", "万", "1.2.3", "1,2000", "12万万", "500()", "500(万元", "--5", "1.2万美元", True],
)
def test_parse_amount_invalid(text):
    with pytest.raises(ValueError, match="invalid amount") as caught:
        parse_amount(text)

    assert repr(text) in str(caught.value)


def test_parse_amount_invalid_names_forms():
    with pytest.raises(ValueError) as caught:
        parse_amount("十二万")

    assert "1.2万" in str(caught.value)
    assert "500(万元人民币)" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("120", 120),
        ("120次", 120),
        ("1,200", 1200),
        ("1,200通", 1200),
        ("120.0", 120),
        (120, 120),
        (120.0, 120),
        ("1.2万", 12000),
        ("０", 0),
    ],
)
def test_parse_count_valid(text, expected):
    assert parse_count(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("12.5", "whole number"),
        (12.5, "whole number"),
        ("-3", "negative"),
        (-3, "negative"),
        ("七十", "expected a whole number"),
        ("12次次", "expected a whole number"),
        (False, "true/false"),
    ],
)
def test_parse_count_invalid(text, message):
    with pytest.raises(ValueError, match=message):
        parse_count(text)


def test_parse_count_missing():
    assert parse_count("") is None
    assert parse_count("-") is None
    assert parse_count(None) is None


MARCH_2026 = dt.date(2026, 3, 1)


@pytest.mark.parametrize(
    "value",
    [
        "2026-03",
        "2026-3",
        "2026/3",
        "2026.03",
        "2026年3月",
        "2026年03月份",
        "２０２６年３月",
        "202603",
        202603,
        202603.0,
        "2026/3/5",
        "2026-03-31",
        "2026年3月5日",
        "2026-03-05 00:00:00",
        dt.date(2026, 3, 9),
        dt.datetime(2026, 3, 9, 14, 30),
        46087,  # Excel serial day: 46087 days after 1899-12-30 is 2026-03-06
    ],
)
def test_parse_month_valid(value):
    assert parse_month(value) == MARCH_2026


@pytest.mark.parametrize(
    ("value", "detail"),
    [
        ("2026-13", "month must be in 1..12"),
        ("2026年0月", "month must be in 1..12"),
        ("2026/2/30", "day is out of range"),
        ("3月", "expected a month"),
        ("26-03", "expected a month"),
        ("March 2026", "expected a month"),
        ("2026", "expected a month"),
    ],
)
def test_parse_month_invalid(value, detail):
    with pytest.raises(ValueError, match="invalid month") as caught:
        parse_month(value)

    assert detail in str(caught.value)


@pytest.mark.parametrize(
    "value",
    [
        "2024/3/5",
        "2024-03-05",
        "2024-3-5",
        "2024.3.5",
        "2024年3月5日",
        "2024年3月5号",
        "2024/3/5 0:00",
        "2024-03-05T08:00:00",
        "20240305",
        20240305,
        dt.date(2024, 3, 5),
        dt.datetime(2024, 3, 5, 23, 59),
        45356,  # Excel serial: 2024-03-05 is 45356 days after 1899-12-30
        45356.75,  # a serial with a time of day keeps its date
    ],
)
def test_parse_date_valid(value):
    assert parse_date(value) == dt.date(2024, 3, 5)


@pytest.mark.parametrize(
    ("value", "detail"),
    [
        ("45356", "expected a date"),  # text digits are never an Excel serial
        ("2024/3-5", "expected a date"),
        ("2024/2/30", "day is out of range"),
        ("2024年13月1日", "month must be in 1..12"),
        ("3月5日", "expected a date"),
        (0, "Excel serial"),
        (float("inf"), "expected a date"),
    ],
)
def test_parse_date_invalid(value, detail):
    with pytest.raises(ValueError, match="invalid date") as caught:
        parse_date(value)

    assert detail in str(caught.value)


def test_is_missing_markers():
    assert is_missing(" — ")
    assert is_missing("\u3000")  # an ideographic space only
    assert not is_missing("0")
    assert not is_missing(0)
