"""Write tables as xlsx and CSV exports, whole and in chunks, with formula neutralisation.

Text that a spreadsheet would read as a formula (a cell starting with = + - @, a tab or a
carriage return) gets a leading single quote, so opening an export never runs a formula.
Real numbers stay numeric, negative ones included; text such as "0571-1234" or "007" is
written as text, so leading zeros stay.

Exports are never capped. The writers take an iterable of DataFrame chunks and write each
chunk as it comes: CSV row by row, xlsx through XlsxWriter's constant_memory mode, which
flushes every finished row to a temporary file. A query export (`write_query_csv`,
`write_query_xlsx`) reads its rows from a DuckDB cursor in chunks of CHUNK_VECTORS * 2048
rows (20,480), so no step keeps the whole result in memory. An xlsx worksheet has at most
1,048,576 rows, so longer exports continue on further sheets ("data (2)", ...) instead of
being cut.

The finished file is not streamed to the browser. In Streamlit 1.67, st.download_button
reads whatever its deferred callable returns into one bytes object (a returned file object
is read whole by `convert_data_to_bytes_and_infer_mime`), and MemoryMediaFileStorage keeps
those bytes until its cleanup deletes them, at the second script run after the click (in any
session). So each export costs one copy of the finished file in server memory until then,
while writing it goes through disk, chunk by chunk.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import chain
from numbers import Integral, Real
from pathlib import Path
from typing import IO, Any

import duckdb
import numpy as np
import pandas as pd
import xlsxwriter

from queries import query_text
from queries.access import Viewer, restrict

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIME = "text/csv"
# Excel's limits: worksheet name length and rows per worksheet (the header row included).
MAX_SHEET_NAME = 31
MAX_SHEET_ROWS = 1_048_576
# DuckDB vectors (2048 rows each) per chunk of a query export: 20,480 rows.
CHUNK_VECTORS = 10
# Sort columns a caller may name in `order_by`: lower-case identifiers, quoted in the SQL too.
ORDER_COLUMN = re.compile(r"[a-z_][a-z0-9_]*")
XLSX_OPTIONS = {
    "constant_memory": True,
    "strings_to_numbers": False,
    "strings_to_formulas": False,
    "strings_to_urls": False,
}


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


def write_csv(columns: list[str], chunks: Iterable[pd.DataFrame], handle: IO[bytes]) -> int:
    """Write UTF-8 CSV with a byte-order mark (Excel needs it for Chinese); return the rows."""
    text = io.TextIOWrapper(handle, encoding="utf-8-sig", newline="", write_through=True)
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow([neutralise(str(column)) for column in columns])
    rows = 0
    for chunk in chunks:
        for row in chunk.itertuples(index=False, name=None):
            writer.writerow(["" if (v := cell_value(value)) is None else v for value in row])
        rows += len(chunk)
    text.flush()
    text.detach()
    return rows


def write_xlsx(
    columns: list[str],
    chunks: Iterable[pd.DataFrame],
    target: str | Path | IO[bytes],
    sheet_name: str = "data",
) -> int:
    """Write an xlsx workbook row by row; return the data rows written."""
    workbook = xlsxwriter.Workbook(target, XLSX_OPTIONS)
    header = workbook.add_format({"bold": True})
    base = _sheet_name(sheet_name)
    sheet = _new_sheet(workbook, base, 1, columns, header)
    sheets, sheet_row, rows = 1, 1, 0
    for chunk in chunks:
        for row in chunk.itertuples(index=False, name=None):
            if sheet_row == MAX_SHEET_ROWS:
                sheets += 1
                sheet = _new_sheet(workbook, base, sheets, columns, header)
                sheet_row = 1
            for col, value in enumerate(row):
                _write_cell(sheet, sheet_row, col, cell_value(value))
            sheet_row += 1
        rows += len(chunk)
    workbook.close()
    return rows


def to_csv_bytes(table: pd.DataFrame) -> bytes:
    """Return the table as CSV bytes, for small tables; large ones go through write_csv."""
    buffer = io.BytesIO()
    write_csv(list(table.columns), [table], buffer)
    return buffer.getvalue()


def to_xlsx_bytes(table: pd.DataFrame, sheet_name: str = "data") -> bytes:
    """Return the table as xlsx bytes, with text as text cells and numbers as number cells."""
    buffer = io.BytesIO()
    write_xlsx(list(table.columns), [table], buffer, sheet_name)
    return buffer.getvalue()


def query_chunks(
    con: duckdb.DuckDBPyConnection,
    name: str,
    params: dict[str, Any],
    viewer: Viewer,
    order_by: Sequence[tuple[str, bool]] = (),
) -> tuple[list[str], Iterator[pd.DataFrame]]:
    """Run query `name` restricted to `viewer`; return its columns and a chunk iterator.

    `order_by` pairs (column, ascending) sort the query's result again, nulls last, before
    the query's own order, which then only breaks ties (see `ordered_sql`). The iterator
    yields at least one chunk, empty but typed when the query has no rows. The cursor closes
    when the iterator is exhausted or garbage-collected.
    """
    cursor = con.cursor()
    try:
        restrict(cursor, viewer)
        cursor.execute(ordered_sql(query_text(name), order_by), params)
        columns = [column[0] for column in cursor.description]
    except BaseException:
        cursor.close()
        raise
    return columns, _chunks(cursor)


def ordered_sql(sql: str, order_by: Sequence[tuple[str, bool]]) -> str:
    """Wrap `sql` so that its rows are sorted by `order_by`, nulls last.

    Raise ValueError for a column name that is not a plain identifier. DuckDB does not keep
    a subquery's order, so callers list every column that decides the order, including the
    query's own tie-breakers.
    """
    if not order_by:
        return sql
    terms = []
    for column, ascending in order_by:
        if not ORDER_COLUMN.fullmatch(column):
            raise ValueError(
                f"Invalid sort column {column!r}; use a result column name of lower-case "
                "letters, digits and underscores."
            )
        terms.append(f'"{column}" {"asc" if ascending else "desc"} nulls last')
    return f"select * from (\n{sql}\n) as sorted_rows order by {', '.join(terms)}"


def transform_chunks(
    chunks: Iterator[pd.DataFrame], transform: Callable[[pd.DataFrame], pd.DataFrame]
) -> tuple[list[str], Iterator[pd.DataFrame]]:
    """Apply `transform` to every chunk; return the transformed columns and chunks.

    The header comes from the first chunk's transform, which is why `query_chunks` yields
    a typed empty chunk for a query without rows. `transform` runs outside the Streamlit
    script run (see dashboard/widgets.py), so it must take its language as an argument.
    """
    first = transform(next(chunks))
    return list(first.columns), chain([first], (transform(chunk) for chunk in chunks))


def _chunks(cursor: duckdb.DuckDBPyConnection) -> Iterator[pd.DataFrame]:
    try:
        # The first chunk is yielded even when empty, so callers see the typed columns.
        yield cursor.fetch_df_chunk(CHUNK_VECTORS)
        while True:
            chunk = cursor.fetch_df_chunk(CHUNK_VECTORS)
            if chunk.empty:
                return
            yield chunk
    finally:
        cursor.close()


def write_query_csv(
    con: duckdb.DuckDBPyConnection,
    name: str,
    params: dict[str, Any],
    viewer: Viewer,
    handle: IO[bytes],
) -> int:
    """Stream query `name`, restricted to `viewer`, into CSV; return the rows written."""
    columns, chunks = query_chunks(con, name, params, viewer)
    return write_csv(columns, chunks, handle)


def write_query_xlsx(
    con: duckdb.DuckDBPyConnection,
    name: str,
    params: dict[str, Any],
    viewer: Viewer,
    target: str | Path | IO[bytes],
) -> int:
    """Stream query `name`, restricted to `viewer`, into xlsx; return the rows written."""
    columns, chunks = query_chunks(con, name, params, viewer)
    return write_xlsx(columns, chunks, target, sheet_name=name)


def _new_sheet(workbook: Any, base: str, number: int, columns: list[str], header: Any) -> Any:
    name = base if number == 1 else f"{base[: MAX_SHEET_NAME - 6]} ({number})"
    sheet = workbook.add_worksheet(name)
    for col, column in enumerate(columns):
        sheet.write_string(0, col, neutralise(str(column)), header)
    return sheet


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
