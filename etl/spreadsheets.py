"""Staff spreadsheets: monthly sales targets and call counts per rep, from xlsx or CSV.

The file type follows the extension (.xlsx and .xlsm through openpyxl, .csv and .txt through
the csv module), so either sheet may be kept in either form. CSV text may be UTF-8 (with or
without a byte-order mark), GBK, GB18030, or UTF-16 with a byte-order mark, as Excel's
"Unicode text" export writes it. Fields may be separated by commas, tabs or semicolons.

The header row is the first of the top HEADER_SEARCH_ROWS rows that contains every configured
header, so title rows above it are passed over. Headers match after normalising width, case,
spaces and byte-order marks. Blank rows and totals rows (合计, 总计) are skipped and counted.
A row that cannot be loaded becomes a Rejection, and a problem
with the whole file raises SourceError (or ConfigError for a bad `columns` or `sheet` key).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import chain, islice
from pathlib import Path

import charset_normalizer
import openpyxl
import pandas as pd
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from etl import values
from etl.config import SETTINGS, SheetConfig
from etl.errors import ConfigError, SourceError
from etl.rows import Rejection, SourceStats

logger = logging.getLogger(__name__)

SALES_TARGETS = "sales_targets"
CALL_COUNTS = "call_counts"

HEADER_SEARCH_ROWS = 10
CSV_DELIMITERS = (",", "\t", ";")
XLSX_EXTENSIONS = (".xlsx", ".xlsm")
CSV_EXTENSIONS = (".csv", ".txt")
ENCODINGS = ("auto", "utf-8", "utf-8-sig", "gbk", "gb18030")
MAX_RAW_CHARS = 2000

# Labels of a totals row below the data, in the month or rep column; such rows are skipped.
TOTAL_LABELS = frozenset({"合计", "总计", "小计", "合計", "總計", "小計", "total", "subtotal"})

_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


@dataclass
class SheetData:
    """Typed rows of one sheet, its row counts and its rejected rows.

    `stats` is None when the sheet is not configured. `stats.read` counts the rows below the
    header row, blank ones included. Title rows above the header are not data and not counted.
    """

    rows: pd.DataFrame
    stats: SourceStats | None
    rejections: list[Rejection]


@dataclass(frozen=True)
class _Spec:
    """The source name of one kind of sheet, and its value column with the parser for it."""

    source: str
    value_column: str
    parse_value: Callable[[object], float | int | None]
    invalid_reason: str
    dtype: str
    # The config table whose keys error messages name, and what one data row stands for.
    key_prefix: str = ""
    rows_described: str = "one row per rep and month"

    @property
    def column_names(self) -> tuple[str, str, str]:
        return ("month", "sales_rep", self.value_column)

    @property
    def keys(self) -> str:
        return self.key_prefix or f"spreadsheets.{self.source}"


@dataclass(frozen=True)
class _Record:
    """One CSV record or worksheet row: its 1-based line or row number, cells and raw text."""

    line_no: int
    cells: list[object]
    raw: str


@dataclass
class _Table:
    """The rows below the header row, and the position of each required column in them."""

    header_line: int
    positions: dict[str, int]
    records: Iterable[_Record]
    description: str
    header_cells: list[object] = field(default_factory=list)


def _parse_target(value: object) -> float | None:
    amount = values.parse_amount(value)
    if amount is not None and amount < 0:
        raise ValueError(f"invalid amount {value!r}: a sales target cannot be negative")
    return amount


_TARGETS = _Spec(SALES_TARGETS, "target_cny", _parse_target, "invalid_amount", "float64")
_CALLS = _Spec(CALL_COUNTS, "calls", values.parse_count, "invalid_count", "int64")


def read_sales_targets(sheet: SheetConfig) -> SheetData:
    """Read monthly sales targets per rep: rows (month, sales_rep, target_cny)."""
    return _read_sheet(sheet, _TARGETS)


def read_call_counts(sheet: SheetConfig) -> SheetData:
    """Read monthly call counts per rep: rows (month, sales_rep, calls)."""
    return _read_sheet(sheet, _CALLS)


def _read_sheet(sheet: SheetConfig, spec: _Spec) -> SheetData:
    if sheet.file is None:
        logger.info("spreadsheets.%s.file is not set; no %s loaded", spec.source, spec.source)
        return SheetData(_frame([], spec), None, [])

    columns = _column_headers(sheet, spec)
    path = Path(sheet.file)
    table = _open_table(path, sheet, spec, columns)
    data = _load_rows(table, spec, columns, str(path))

    stats = data.stats
    logger.info(
        "%s: %s, header at line %d; read %d rows, loaded %d, skipped %d, rejected %d",
        path,
        table.description,
        table.header_line,
        stats.read,
        stats.loaded,
        sum(stats.skipped.values()),
        sum(stats.rejected.values()),
    )
    return data


# --- configuration ---------------------------------------------------------------------------


def _column_headers(sheet: SheetConfig, spec: _Spec) -> dict[str, str]:
    """Return the header text of each required column, checked, with defaults filled in."""
    prefix = f"spreadsheets.{spec.source}"
    if not isinstance(sheet.sheet, str):
        raise ConfigError(
            f"key {prefix}.sheet must be a string (a worksheet name, or empty for the first "
            f"sheet), got {type(sheet.sheet).__name__} {sheet.sheet!r}."
        )
    if sheet.encoding not in ENCODINGS:
        raise ConfigError(
            f"key spreadsheets.encoding is {sheet.encoding!r}; use one of {', '.join(ENCODINGS)}."
        )
    if not isinstance(sheet.columns, dict):
        raise ConfigError(
            f"key {prefix}.columns must be a table of column name = header text, "
            f"got {type(sheet.columns).__name__} {sheet.columns!r}."
        )

    unknown = sorted(set(sheet.columns) - set(spec.column_names))
    if unknown:
        raise ConfigError(
            f"unknown key {prefix}.columns.{unknown[0]}; the columns of this sheet are "
            f"{', '.join(spec.column_names)}."
        )

    defaults = _default_columns(spec)
    headers = {name: sheet.columns.get(name, defaults[name]) for name in spec.column_names}
    for name, header in headers.items():
        if not isinstance(header, str) or not _normalise_header(header):
            raise ConfigError(
                f"key {prefix}.columns.{name} must be the non-empty header text of the "
                f"{name} column, got {type(header).__name__} {header!r}."
            )

    normalised = [_normalise_header(header) for header in headers.values()]
    if len(set(normalised)) < len(normalised):
        raise ConfigError(
            f"keys {prefix}.columns.* give the same header twice ({headers}); give each "
            "column its own header."
        )
    return headers


def _default_columns(spec: _Spec) -> dict[str, str]:
    key = f"spreadsheets.{spec.source}.columns"
    return next(setting.default for setting in SETTINGS if setting.key == key)


def _normalise_header(text: object) -> str:
    """Fold a header for matching: NFKC width, no whitespace or byte-order mark, case-folded."""
    if text is None:
        return ""
    folded = unicodedata.normalize("NFKC", str(text)).replace("\ufeff", "").replace("\u200b", "")
    return "".join(folded.split()).casefold()


# --- opening the file ------------------------------------------------------------------------


def _open_table(path: Path, sheet: SheetConfig, spec: _Spec, columns: dict[str, str]) -> _Table:
    suffix = path.suffix.lower()
    if suffix in XLSX_EXTENSIONS:
        return _xlsx_table(path, sheet.sheet, spec, columns)
    if suffix in CSV_EXTENSIONS:
        return _csv_table(path, sheet.encoding, spec, columns)
    if suffix == ".xls":
        raise SourceError(
            f"{path}: the old .xls format cannot be read; open the file in Excel or WPS, save "
            f"it as .xlsx or CSV, and point {spec.keys}.file at the new file."
        )
    raise SourceError(
        f"{path}: unsupported file type {suffix or '(no extension)'!r}; save the sheet as "
        f".xlsx or .csv and set {spec.keys}.file to it."
    )


def _read_bytes(path: Path, spec: _Spec) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise SourceError(
            f"{path}: spreadsheet not found; check {spec.keys}.file "
            "(relative paths start at the config file's directory), or leave it empty to skip."
        ) from None
    except OSError as error:
        raise SourceError(
            f"{path}: spreadsheet cannot be read ({error.strerror or error}); check the file's "
            f"permissions or {spec.keys}.file."
        ) from None


def _find_table(
    records: Iterator[_Record], path: Path, spec: _Spec, columns: dict[str, str]
) -> tuple[_Table | None, list[_Record]]:
    """Find the header row among the first rows; return the table, or None and those rows."""
    head = list(islice(records, HEADER_SEARCH_ROWS))
    for index, record in enumerate(head):
        positions = _match_header(record, path, spec, columns)
        if positions is not None:
            rest = chain(head[index + 1 :], records)
            return _Table(record.line_no, positions, rest, "", record.cells), head
    return None, head


def _match_header(
    record: _Record, path: Path, spec: _Spec, columns: dict[str, str]
) -> dict[str, int] | None:
    found: dict[str, list[int]] = {}
    for position, cell in enumerate(record.cells):
        found.setdefault(_normalise_header(cell), []).append(position)

    expected_keys = {name: _normalise_header(header) for name, header in columns.items()}
    if not all(key in found for key in expected_keys.values()):
        return None

    for name, key in expected_keys.items():
        if len(found[key]) > 1:
            letters = ", ".join(get_column_letter(p + 1) for p in found[key])
            raise SourceError(
                f"{path}: line {record.line_no}: column {columns[name]} appears more than once "
                f"in the header row (columns {letters}); rename or delete the extra one."
            )
    return {name: found[key][0] for name, key in expected_keys.items()}


def _missing_columns_error(
    path: Path, head: list[_Record], spec: _Spec, columns: dict[str, str], hint: str = ""
) -> SourceError:
    """Build the error for a sheet whose first rows lack a required header."""
    nonblank = [record for record in head if not _is_blank(record.cells)]
    if not nonblank:
        return SourceError(
            f"{path}: the sheet is empty; expected a header row with "
            f"{', '.join(columns.values())} and {spec.rows_described}."
        )

    # The row with the most matching headers is the one the user most likely meant.
    def matches(record: _Record) -> int:
        cells = {_normalise_header(cell) for cell in record.cells}
        return sum(_normalise_header(header) in cells for header in columns.values())

    best = max(nonblank, key=matches)
    cells = {_normalise_header(cell) for cell in best.cells}
    missing = [
        f"{header} ({spec.keys}.columns.{name})"
        for name, header in columns.items()
        if _normalise_header(header) not in cells
    ]
    header_text = ", ".join(str(cell) for cell in best.cells if not values.is_missing(cell))
    fix = "rename the column or set the key"
    if len(missing) > 1:
        fix = "rename the columns or set the keys"
    noun = "column" if len(missing) == 1 else "columns"
    return SourceError(
        f"{path}: required {noun} {' and '.join(missing)} not found in the first "
        f"{HEADER_SEARCH_ROWS} rows; the header row (line {best.line_no}) has: {header_text}; "
        f"{fix}.{hint}"
    )


# --- xlsx ------------------------------------------------------------------------------------


def _xlsx_table(path: Path, sheet_name: str, spec: _Spec, columns: dict[str, str]) -> _Table:
    records = _xlsx_records(path, sheet_name, spec)
    table, head = _find_table(iter(records), path, spec, columns)
    if table is None:
        raise _missing_columns_error(path, head, spec, columns)
    table.description = "xlsx" + (f" sheet {sheet_name}" if sheet_name else "")
    return table


def _xlsx_records(path: Path, sheet_name: str, spec: _Spec) -> list[_Record]:
    """Read every row of the worksheet into memory, then close the workbook."""
    data = _read_bytes(path, spec)
    try:
        # NOTE: data_only reads the values Excel cached for formulas. A workbook written by a
        # program that does not calculate formulas has no cached values, so its formula cells
        # read as empty and their rows are rejected as missing_value.
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError) as error:
        raise SourceError(
            f"{path}: not a readable xlsx workbook ({error}); open it in Excel or WPS and "
            f"save it again as .xlsx, or save it as CSV and set {spec.keys}.file."
        ) from None

    try:
        worksheet = _pick_worksheet(workbook, path, sheet_name, spec)
        # openpyxl documents that some writers store a wrong <dimension>, and read-only mode
        # would then cut rows short.
        worksheet.reset_dimensions()
        return [
            _Record(row_no, list(row), _raw_text(row))
            for row_no, row in enumerate(worksheet.iter_rows(values_only=True), start=1)
        ]
    finally:
        workbook.close()


def _pick_worksheet(workbook, path: Path, sheet_name: str, spec: _Spec):
    names = workbook.sheetnames
    if not sheet_name:
        worksheet = workbook.worksheets[0] if workbook.worksheets else None
    elif sheet_name in names:
        worksheet = workbook[sheet_name]
    else:
        raise SourceError(
            f"{path}: worksheet {sheet_name!r} not found; the workbook has {', '.join(names)}. "
            f"Set {spec.keys}.sheet to one of them, or leave it empty for the "
            "first."
        )

    if worksheet is None or not hasattr(worksheet, "iter_rows"):
        raise SourceError(
            f"{path}: {sheet_name or 'the first sheet'} is not a worksheet with cells; set "
            f"{spec.keys}.sheet to the worksheet that holds the table."
        )
    return worksheet


def _raw_text(cells: Iterable[object]) -> str:
    texts = [_cell_text(cell) for cell in cells]
    while texts and not texts[-1]:
        texts.pop()
    return "\t".join(texts)[:MAX_RAW_CHARS]


def _cell_text(cell: object) -> str:
    if cell is None:
        return ""
    if isinstance(cell, dt.datetime) and cell.time() == dt.time():
        return cell.date().isoformat()
    if isinstance(cell, dt.date | dt.datetime):
        return cell.isoformat()
    return str(cell)


# --- CSV -------------------------------------------------------------------------------------


def _csv_table(path: Path, encoding: str, spec: _Spec, columns: dict[str, str]) -> _Table:
    """Decode the file and find its header, trying encodings and delimiters in turn.

    A candidate encoding counts as right only when the decoded text contains every configured
    header. That check is what tells a GBK file from Big5 or from bytes that happen to be
    valid UTF-8, since such text often decodes without error but into the wrong characters.
    """
    data = _read_bytes(path, spec)
    first_head: list[_Record] | None = None

    for candidate in _candidate_encodings(data, encoding):
        text = _decode(data, candidate, path, strict=encoding != "auto")
        if text is None:
            continue
        for delimiter in CSV_DELIMITERS:
            table, head = _find_table(_csv_records(text, delimiter, path), path, spec, columns)
            if table is not None:
                table.description = f"CSV in {candidate}, delimiter {delimiter!r}"
                return table
            if first_head is None:
                first_head = head

    if first_head is None:
        raise SourceError(
            f"{path}: the text encoding could not be detected; save the file as UTF-8 or set "
            "spreadsheets.encoding to its encoding (utf-8, gbk or gb18030)."
        )
    hint = (
        " If the header looks garbled, set spreadsheets.encoding to the file's encoding."
        if encoding == "auto"
        else f" The file was decoded as {encoding}; if the header looks garbled, set "
        "spreadsheets.encoding to auto or to the file's encoding."
    )
    raise _missing_columns_error(path, first_head, spec, columns, hint)


def _candidate_encodings(data: bytes, encoding: str) -> Iterator[str]:
    """Yield the encodings to try, most likely first.

    charset-normalizer guesses wrong on short Chinese text: a GBK "月份,销售" reads as cp949
    (Korean) with charset-normalizer 3.5. So a byte-order mark decides first, then strict
    UTF-8, which random GBK bytes rarely pass, then GB18030, a superset of GBK that covers
    every Unicode character. charset-normalizer comes last, for files in other encodings
    such as Big5.
    """
    if encoding != "auto":
        # "utf-8" also accepts a file that starts with a byte-order mark, and drops the mark.
        yield "utf-8-sig" if encoding == "utf-8" else encoding
        return
    if data.startswith(_UTF8_BOM):
        yield "utf-8-sig"
        return
    if data.startswith(_UTF16_BOMS):
        yield "utf-16"
        return

    yield "utf-8"
    yield "gb18030"
    tried = {"utf_8", "gb18030", "ascii"}
    for match in charset_normalizer.from_bytes(data):
        if match.encoding not in tried:
            tried.add(match.encoding)
            yield match.encoding


def _decode(data: bytes, encoding: str, path: Path, strict: bool) -> str | None:
    """Decode strictly; on failure raise SourceError when `strict`, else return None."""
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        if not strict:
            logger.debug("%s: not %s (%s)", path, encoding, error)
            return None
        line = data.count(b"\n", 0, error.start) + 1
        bad = data[error.start : error.end].hex(" ")
        name = "utf-8" if encoding == "utf-8-sig" else encoding
        advice = (
            "GB18030 covers characters that GBK lacks, so try gb18030."
            if encoding == "gbk"
            else "Use auto, utf-8, gbk or gb18030."
        )
        raise SourceError(
            f"{path}: line {line}, byte offset {error.start}: bytes {bad} are not valid "
            f"{name}; set spreadsheets.encoding to the encoding the file was saved in. {advice}"
        ) from None


def _csv_records(text: str, delimiter: str, path: Path) -> Iterator[_Record]:
    """Yield the records of CSV text with the line each starts on and its original text."""
    consumed: list[str] = []

    def lines() -> Iterator[str]:
        for line in io.StringIO(text, newline=""):
            consumed.append(line)
            yield line

    reader = csv.reader(lines(), delimiter=delimiter)
    start = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise SourceError(
                f"{path}: line {reader.line_num}: the CSV cannot be parsed ({error}); "
                "fix the line or save the sheet again from Excel or WPS."
            ) from None
        raw = "".join(consumed).rstrip("\r\n")[:MAX_RAW_CHARS]
        consumed.clear()
        yield _Record(start, list(cells), raw)
        start = reader.line_num + 1


# --- rows ------------------------------------------------------------------------------------


def _load_rows(table: _Table, spec: _Spec, columns: dict[str, str], file: str) -> SheetData:
    """Parse each row below the header; keep the first of duplicate (month, sales_rep) rows."""
    stats = SourceStats(source=spec.source, file=file)
    rejections: list[Rejection] = []
    rows: list[tuple[dt.date, str, float | int]] = []
    first_line: dict[tuple[dt.date, str], int] = {}

    for record in table.records:
        stats.read += 1
        if _is_blank(record.cells):
            stats.skipped["blank_row"] += 1
            continue
        if _is_total_row(record, table.positions):
            stats.skipped["total_row"] += 1
            continue

        row, rejection = _parse_record(record, table.positions, spec, columns, file)
        if row is not None and (row[0], row[1]) in first_line:
            logger.debug(
                "%s: line %d repeats month %s and rep %s of line %d",
                file,
                record.line_no,
                row[0],
                row[1],
                first_line[(row[0], row[1])],
            )
            key_text = f"{row[0]:%Y-%m} {row[1]}"
            rejection = _reject(spec, file, record, "duplicate_row", None, key_text)
        if rejection is not None:
            stats.rejected[rejection.reason] += 1
            rejections.append(rejection)
            continue

        first_line[(row[0], row[1])] = record.line_no
        rows.append(row)
        stats.loaded += 1

    if rows:
        stats.data_from = min(row[0] for row in rows).isoformat()
        stats.data_to = max(row[0] for row in rows).isoformat()
    if rejections:
        logger.warning("%s: %d rows rejected: %s", file, len(rejections), dict(stats.rejected))
    return SheetData(_frame(rows, spec), stats, rejections)


def _parse_record(
    record: _Record, positions: dict[str, int], spec: _Spec, columns: dict[str, str], file: str
) -> tuple[tuple | None, Rejection | None]:
    """Parse the required cells of one row; the first bad cell rejects the row."""
    parsers: dict[str, tuple[Callable[[object], object], str]] = {
        "month": (values.parse_month, "invalid_month"),
        "sales_rep": (_parse_rep, "invalid_sales_rep"),
        spec.value_column: (spec.parse_value, spec.invalid_reason),
    }
    parsed = []
    for name, (parse, invalid_reason) in parsers.items():
        position = positions[name]
        cell = record.cells[position] if position < len(record.cells) else None
        try:
            value = parse(cell)
        except ValueError as error:
            logger.debug("%s: line %d: %s", file, record.line_no, error)
            return None, _reject(spec, file, record, invalid_reason, columns[name], cell)
        if value is None:
            return None, _reject(spec, file, record, "missing_value", columns[name], cell)
        parsed.append(value)
    return tuple(parsed), None


def _parse_rep(cell: object) -> str | None:
    """Return the rep's name as written, without surrounding spaces; None when empty."""
    if values.is_missing(cell):
        return None
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)  # an employee number typed into a number cell
    if isinstance(cell, dt.date | bool):
        raise ValueError(f"invalid sales rep {cell!r}: expected a name")
    return str(cell).replace("\ufeff", "").replace("\u200b", "").strip()


def _reject(
    spec: _Spec, file: str, record: _Record, reason: str, column: str | None, cell: object
) -> Rejection:
    return Rejection(
        source=spec.source,
        file=file,
        line_no=record.line_no,
        reason=reason,
        column=column,
        value=_cell_text(cell),
        raw=record.raw,
    )


def _is_total_row(record: _Record, positions: dict[str, int]) -> bool:
    for name in ("month", "sales_rep"):
        position = positions[name]
        if (
            position < len(record.cells)
            and _normalise_header(record.cells[position]) in TOTAL_LABELS
        ):
            return True
    return False


def _is_blank(cells: list[object]) -> bool:
    return all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in cells)


def _frame(rows: list[tuple], spec: _Spec) -> pd.DataFrame:
    month, rep, value = spec.column_names
    return pd.DataFrame(
        {
            month: pd.Series([row[0] for row in rows], dtype=object),
            rep: pd.Series([row[1] for row in rows], dtype="str"),
            value: pd.Series([row[2] for row in rows], dtype=spec.dtype),
        }
    )


# --- any table -------------------------------------------------------------------------------

# One row of a sheet: its 1-based line or row number, its cells and its original text.
SheetRow = _Record


@dataclass
class SheetTable:
    """The rows below a sheet's header row, and the position of each column found in it.

    `positions` contains every required column and those optional columns the header has.
    """

    header_line: int
    positions: dict[str, int]
    rows: list[SheetRow]
    description: str


def read_table(
    path: Path,
    columns: dict[str, str],
    *,
    optional_columns: dict[str, str] | None = None,
    sheet_name: str = "",
    encoding: str = "auto",
    key_prefix: str,
    rows_described: str,
) -> SheetTable:
    """Find the header row of any xlsx or CSV sheet and return the rows below it, untyped.

    `columns` and `optional_columns` map a column name to its header text. The header row is
    the first row among the top HEADER_SEARCH_ROWS that has every required header. The header
    is found, and CSV text is decoded, the same way as for the staff sheets. Error messages
    name the config keys under `key_prefix` (such as `universe`), and the message for an empty
    sheet names `rows_described` as the expected content.
    """
    spec = _Spec(
        source=key_prefix,
        value_column="",
        parse_value=values.parse_amount,
        invalid_reason="",
        dtype="object",
        key_prefix=key_prefix,
        rows_described=rows_described,
    )
    table = _open_table(Path(path), SheetConfig(None, sheet_name, columns, encoding), spec, columns)
    positions = dict(table.positions)
    found = {_normalise_header(cell): index for index, cell in enumerate(table.header_cells)}
    for name, header in (optional_columns or {}).items():
        if _normalise_header(header) in found:
            positions[name] = found[_normalise_header(header)]
    return SheetTable(table.header_line, positions, list(table.records), table.description)
