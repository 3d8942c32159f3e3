"""Write the staff's spreadsheets as staff keep them: mixed month and amount notations.

销售目标.xlsx contains monthly targets per rep, some amounts typed as text like "¥120,000.00" or
"12万", and a total row at the bottom. 电话统计.csv contains monthly call counts per rep, saved in
GBK with Chinese headers, as Excel on a Chinese Windows saves CSV.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import random
from pathlib import Path

import xlsxwriter

from etl.demo.config_file import CALL_COUNTS_FILE, SALES_TARGETS_FILE, SALES_TARGETS_SHEET
from etl.demo.world import Staff

logger = logging.getLogger(__name__)

TARGET_HEADERS = ("月份", "销售", "目标金额", "备注")
CALL_HEADERS = ("月份", "销售", "通话次数", "有效通话", "备注")
# XlsxWriter stamps the creation time into the file; a fixed one keeps output reproducible.
WORKBOOK_CREATED = dt.datetime(2025, 1, 1, 9, 0, 0)
# Months with more deals: before the Spring Festival and in the autumn buying season.
MONTH_FACTORS = (1.1, 0.7, 1.0, 1.0, 1.0, 1.05, 0.95, 0.95, 1.1, 1.1, 1.15, 1.2)


def write_sheets(
    out_dir: Path, sales_reps: list[Staff], end_date: dt.date, seed: int
) -> dict[str, int]:
    """Write both sheets under out_dir; return the data rows written to each."""
    rng = random.Random(f"demo:{seed}:sheets")
    targets = out_dir / SALES_TARGETS_FILE
    calls = out_dir / CALL_COUNTS_FILE
    targets.parent.mkdir(parents=True, exist_ok=True)

    counts = {
        targets.name: write_sales_targets(targets, sales_reps, end_date, rng),
        calls.name: write_call_counts(calls, sales_reps, end_date, rng),
    }
    logger.info("Wrote spreadsheets %s", counts)
    return counts


def target_months(end_date: dt.date) -> list[dt.date]:
    """Targets are set per calendar year: all of last year and this year, 24 months."""
    return [
        dt.date(year, month, 1)
        for year in (end_date.year - 1, end_date.year)
        for month in range(1, 13)
    ]


def call_months(end_date: dt.date) -> list[dt.date]:
    """Return the first days of the 24 months up to and including the month of `end_date`."""
    months = []
    year, month = end_date.year, end_date.month
    for _ in range(24):
        months.append(dt.date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


def write_sales_targets(
    path: Path, sales_reps: list[Staff], end_date: dt.date, rng: random.Random
) -> int:
    """Write the targets workbook; return the number of rep-month rows (the total row aside)."""
    workbook = xlsxwriter.Workbook(str(path))
    workbook.set_properties({"created": WORKBOOK_CREATED, "author": "销售部"})
    sheet = workbook.add_worksheet(SALES_TARGETS_SHEET)
    month_format = workbook.add_format({"num_format": 'yyyy"年"m"月"'})
    money_format = workbook.add_format({"num_format": "#,##0"})
    sheet.write_row(0, 0, TARGET_HEADERS)
    sheet.set_column(0, 3, 14)

    bases = {rep.staff_id: rng.randrange(80_000, 260_000, 10_000) for rep in sales_reps}
    row = 1
    total = 0
    for month in target_months(end_date):
        for rep in sales_reps:
            amount = round(bases[rep.staff_id] * MONTH_FACTORS[month.month - 1], -3)
            total += amount
            _write_month(sheet, row, month, month_format, rng)
            sheet.write_string(row, 1, rep.name)
            _write_amount(sheet, row, amount, money_format, rng)
            row += 1

    sheet.write_string(row, 0, "合计")
    sheet.write_number(row, 2, total, money_format)
    workbook.close()
    return row - 1


def _write_month(sheet, row: int, month: dt.date, month_format, rng: random.Random) -> None:
    draw = rng.random()
    if draw < 0.5:
        sheet.write_datetime(row, 0, dt.datetime.combine(month, dt.time()), month_format)
    elif draw < 0.9:
        sheet.write_string(row, 0, f"{month.year}年{month.month}月")
    else:
        sheet.write_string(row, 0, f"{month.year}/{month.month}")


def _write_amount(sheet, row: int, amount: float, money_format, rng: random.Random) -> None:
    """Most amounts are numbers; staff typed some as ¥ text or in units of 万 (10,000)."""
    draw = rng.random()
    if draw < 0.75:
        sheet.write_number(row, 2, amount, money_format)
    elif draw < 0.9:
        sheet.write_string(row, 2, f"¥{amount:,.2f}")
    else:
        sheet.write_string(row, 2, f"{amount / 10_000:g}万")
    if draw > 0.97:
        sheet.write_string(row, 3, "含续费")


def write_call_counts(
    path: Path, sales_reps: list[Staff], end_date: dt.date, rng: random.Random
) -> int:
    """Write the GBK call-count CSV with CRLF line ends; return the number of data rows."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CALL_HEADERS)
    rows = 0
    for month in call_months(end_date):
        # The current month is counted up to the end date only.
        share = (
            end_date.day / 30
            if month.month == end_date.month and month.year == end_date.year
            else 1.0
        )
        for rep in sales_reps:
            calls = round(rng.randint(280, 900) * share)
            effective = round(calls * rng.uniform(0.4, 0.7))
            label = f"{month.year}年{month.month}月" if rng.random() < 0.8 else f"{month:%Y-%m}"
            note = "休假" if rng.random() < 0.03 else ""
            writer.writerow((label, rep.name, calls, effective, note))
            rows += 1

    path.write_bytes(buffer.getvalue().encode("gbk"))
    return rows
