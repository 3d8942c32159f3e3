"""Build xlsx and CSV bytes of a table for download.

Text that a spreadsheet would read as a formula (a cell starting with = + - @, a tab or a
carriage return) gets a leading single quote, so opening an export never runs a formula.
Real numbers stay numeric; text such as "0571-1234" is written as text, so leading zeros stay.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd
import xlsxwriter

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIME = "text/csv"
# Excel's limit on worksheet names.
MAX_SHEET_NAME = 31


def neutralise(text: str) -> str:
    """Prefix a single quote to text that a spreadsheet would read as a formula."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def cell_value(value: Any) -> str | int | float | None:
    """Return a cell's value for export: None for missing, numbers as numbers, else text."""
    if value is None or (not isinstance(value, str) and bool(pd.isna(value))):
        return None
    if isinstance(value, bool | np.bool_):
        return str(value)
    if isinstance(value, Integral):
        return int(value)
    if isinstance(value, Real):
        return float(value)
    if isinstance(value, pd.Timestamp | dt.datetime):
        return pd.Timestamp(value).isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return neutralise(str(value))


def to_csv_bytes(table: pd.DataFrame) -> bytes:
    """Write the table as UTF-8 CSV with a byte-order mark, which Excel needs for Chinese."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise(str(column)) for column in table.columns])
    for row in table.itertuples(index=False, name=None):
        writer.writerow(["" if (v := cell_value(value)) is None else v for value in row])
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx_bytes(table: pd.DataFrame, sheet_name: str = "data") -> bytes:
    """Write the table as one xlsx worksheet: text as text cells, numbers as number cells."""
    buffer = io.BytesIO()
    options = {
        "in_memory": True,
        "strings_to_numbers": False,
        "strings_to_formulas": False,
        "strings_to_urls": False,
    }
    workbook = xlsxwriter.Workbook(buffer, options)
    sheet = workbook.add_worksheet(_sheet_name(sheet_name))
    header = workbook.add_format({"bold": True})

    for col, column in enumerate(table.columns):
        sheet.write_string(0, col, neutralise(str(column)), header)
    for row_index, row in enumerate(table.itertuples(index=False, name=None), start=1):
        for col, value in enumerate(row):
            _write_cell(sheet, row_index, col, cell_value(value))

    workbook.close()
    return buffer.getvalue()


def _write_cell(sheet: Any, row: int, col: int, value: str | int | float | None) -> None:
    if value is None:
        sheet.write_blank(row, col, None)
    elif isinstance(value, str):
        sheet.write_string(row, col, value)
    elif isinstance(value, float) and not math.isfinite(value):
        sheet.write_string(row, col, str(value))
    else:
        sheet.write_number(row, col, value)


def _sheet_name(name: str) -> str:
    cleaned = "".join("_" if char in "[]:*?/\\" else char for char in name)
    return cleaned[:MAX_SHEET_NAME] or "data"
