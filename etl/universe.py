"""The industry universe: imported lists of known enterprises, merged with the members.

Each row of a list is matched to a registered member by a valid unified social credit code,
else by the company name's matching core (etl/company_names.py). A name that fits several
members, or one member whose place or credit code disagrees, is not merged. The row then
stays a company of its own, and a row in `universe_review` records the reason. Rows of
several lists that name the same company (same valid code, or same core and place) count
once.
"""

from __future__ import annotations

import datetime as dt
import glob
import logging
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from etl import values, warehouse
from etl.company_names import (
    CompanyName,
    clean_credit_code,
    credit_code_problem,
    places_conflict,
    province_name,
    split_company_name,
)
from etl.config import Config
from etl.errors import ConfigError, SourceError
from etl.rows import Rejection, SourceStats
from etl.spreadsheets import SheetRow, read_table

logger = logging.getLogger(__name__)

SOURCE = "universe"
REQUIRED_COLUMNS = ("company_name", "segment")
OPTIONAL_COLUMNS = ("province", "registered_capital", "staff_count", "credit_code")
TOTAL_LABELS = frozenset({"合计", "总计", "小计", "total"})

LIST_COLUMNS = [
    "source_file",
    "line_no",
    "company_name",
    "segment",
    "province",
    "registered_capital_cny",
    "staff_count",
    "credit_code",
    "credit_code_problem",
]
COMPANY_COLUMNS = [
    "company_key",
    "member_id",
    "company_name",
    "segment",
    "province",
    "credit_code",
    "registered_capital_cny",
    "staff_count",
    "in_list",
    "is_registered",
    "matched_by",
    "source_file",
    "line_no",
    "credit_code_problem",
    "review_reason",
]
REVIEW_COLUMNS = [
    "source_file",
    "line_no",
    "list_company_name",
    "list_credit_code",
    "list_province",
    "segment",
    "member_id",
    "member_company_name",
    "member_credit_code",
    "member_province",
    "reason",
]


@dataclass
class UniverseData:
    """The rows of every list, with counts and rejected rows per file."""

    rows: pd.DataFrame
    stats: list[SourceStats] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)


@dataclass
class MatchResult:
    """The universe, one row per company, and the pairs left for a person to decide."""

    companies: pd.DataFrame
    review: pd.DataFrame


# --- reading ---------------------------------------------------------------------------------


def universe_paths(config: Config) -> list[Path]:
    """Expand universe.files (globs allowed) against the config directory, in order."""
    paths: list[Path] = []
    for pattern in config.settings.get("universe.files", []):
        full = config.path.parent / pattern
        matched = sorted(glob.glob(str(full)))
        if not matched:
            raise SourceError(
                f"universe.files: {pattern} matches no file under {config.path.parent}; fix "
                "the path (relative to the config file) or remove it from the list."
            )
        paths.extend(Path(path) for path in matched)
    return paths


def universe_columns(config: Config) -> dict[str, str]:
    """Return universe.columns with defaults filled in; raise ConfigError for an unknown name."""
    from etl.config import SETTINGS

    default = next(s.default for s in SETTINGS if s.key == "universe.columns")
    configured = config.settings.get("universe.columns", default)
    unknown = sorted(set(configured) - set(REQUIRED_COLUMNS) - set(OPTIONAL_COLUMNS))
    if unknown:
        raise ConfigError(
            f"{config.path}: unknown key universe.columns.{unknown[0]}; the columns are "
            f"{', '.join(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)}."
        )
    return {**default, **configured}


def read_universe(
    paths: list[Path],
    columns: dict[str, str],
    *,
    sheet_name: str = "",
    encoding: str = "auto",
    segment_names: dict[str, str] | None = None,
) -> UniverseData:
    """Read every list into rows of LIST_COLUMNS; bad rows become rejections."""
    data = UniverseData(rows=pd.DataFrame(columns=LIST_COLUMNS))
    frames = []
    for path in paths:
        table = read_table(
            path,
            {name: columns[name] for name in REQUIRED_COLUMNS},
            optional_columns={name: columns[name] for name in OPTIONAL_COLUMNS if name in columns},
            sheet_name=sheet_name,
            encoding=encoding,
            key_prefix="universe",
            rows_described="one row per company",
        )
        rows, stats, rejections = _parse_rows(
            path, table.rows, table.positions, columns, segment_names or {}
        )
        logger.info(
            "%s: %s, header at line %d; read %d rows, loaded %d, rejected %d",
            path,
            table.description,
            table.header_line,
            stats.read,
            stats.loaded,
            sum(stats.rejected.values()),
        )
        frames.append(pd.DataFrame(rows, columns=LIST_COLUMNS))
        data.stats.append(stats)
        data.rejections.extend(rejections)
    if frames:
        data.rows = pd.concat(frames, ignore_index=True)
    return data


def _parse_rows(
    path: Path,
    rows: list[SheetRow],
    positions: dict[str, int],
    columns: dict[str, str],
    segment_names: dict[str, str],
) -> tuple[list[dict], SourceStats, list[Rejection]]:
    stats = SourceStats(source=SOURCE, file=str(path))
    parsed: list[dict] = []
    rejections: list[Rejection] = []
    for row in rows:
        stats.read += 1
        cells = {name: _cell(row, position) for name, position in positions.items()}
        if all(values.is_missing(cell) for cell in row.cells):
            stats.skipped["blank_row"] += 1
            continue
        if str(cells["company_name"] or "").strip() in TOTAL_LABELS:
            stats.skipped["total_row"] += 1
            continue
        record, rejection = _parse_row(path, row, cells, columns, segment_names)
        if rejection is not None:
            stats.rejected[rejection.reason] += 1
            rejections.append(rejection)
            continue
        parsed.append(record)
        stats.loaded += 1
    return parsed, stats, rejections


def _cell(row: SheetRow, position: int) -> object:
    return row.cells[position] if position < len(row.cells) else None


def _parse_row(
    path: Path,
    row: SheetRow,
    cells: dict[str, object],
    columns: dict[str, str],
    segment_names: dict[str, str],
) -> tuple[dict | None, Rejection | None]:
    """Type one row; the first bad cell rejects it. A bad credit code only drops the code."""

    def reject(name: str, reason: str) -> tuple[None, Rejection]:
        cell = cells.get(name)
        text = None if values.is_missing(cell) else str(cell)
        return None, Rejection(SOURCE, str(path), row.line_no, reason, columns[name], text, row.raw)

    texts = {}
    for name in ("company_name", "segment", "province"):
        cell = cells.get(name)
        texts[name] = None if values.is_missing(cell) else values.normalise_text(str(cell))
    for name in REQUIRED_COLUMNS:
        if texts[name] is None:
            return reject(name, "missing_value")

    try:
        capital = values.parse_amount(cells.get("registered_capital"))
    except ValueError:
        return reject("registered_capital", "invalid_amount")
    try:
        staff = values.parse_count(cells.get("staff_count"))
    except ValueError:
        return reject("staff_count", "invalid_count")

    code = clean_credit_code(
        None if values.is_missing(cells.get("credit_code")) else cells.get("credit_code")
    )
    problem = None if code is None else credit_code_problem(code)
    if problem is not None:
        logger.debug("%s: line %d: credit code %s: %s", path, row.line_no, code, problem)
    segment = segment_names.get(texts["segment"], texts["segment"])
    return {
        "source_file": str(path),
        "line_no": row.line_no,
        "company_name": texts["company_name"],
        "segment": segment,
        "province": texts["province"],
        "registered_capital_cny": capital,
        "staff_count": staff,
        "credit_code": code if problem is None else None,
        "credit_code_problem": problem,
    }, None


# --- matching --------------------------------------------------------------------------------


@dataclass
class _Member:
    member_id: int
    name: CompanyName
    province: str | None
    code: str | None


def match_universe(universe: pd.DataFrame, members: pd.DataFrame) -> MatchResult:
    """Merge list rows with members; return the universe and the review list.

    `universe` has LIST_COLUMNS. `members` has member_id, company_name, segment, province,
    credit_code, registered_capital_cny and staff_count.
    """
    index = _member_index(members)
    by_code = {m.code: m for m in index.values() if m.code}
    by_core: dict[str, list[_Member]] = {}
    for member in index.values():
        by_core.setdefault(member.name.core, []).append(member)

    matched: dict[int, dict] = {}
    unmatched: list[dict] = []
    review: list[dict] = []
    for record in _records(universe):
        member, reasons = _match_one(record, by_code, by_core)
        if member is not None:
            matched.setdefault(member.member_id, {**record, "matched_by": reasons[0][1]})
            continue
        review.extend(_review_row(record, members_row, reason) for members_row, reason in reasons)
        unmatched.append({**record, "review_reason": reasons[0][1] if reasons else None})

    companies = pd.DataFrame(
        _member_companies(members, matched) + _list_companies(unmatched), columns=COMPANY_COLUMNS
    )
    review_frame = pd.DataFrame(review, columns=REVIEW_COLUMNS)
    for frame in (companies, review_frame):
        for column in ("member_id", "line_no"):
            frame[column] = frame[column].astype("Int64")
    companies["staff_count"] = companies["staff_count"].astype("Int64")
    return MatchResult(companies=companies, review=review_frame)


def _member_index(members: pd.DataFrame) -> dict[int, _Member]:
    index = {}
    for row in _records(members):
        code = clean_credit_code(row.get("credit_code"))
        index[int(row["member_id"])] = _Member(
            member_id=int(row["member_id"]),
            name=split_company_name(str(row["company_name"])),
            province=province_name(row.get("province")),
            code=code if code and credit_code_problem(code) is None else None,
        )
    return index


def _match_one(
    record: dict, by_code: dict[str, _Member], by_core: dict[str, list[_Member]]
) -> tuple[_Member | None, list[tuple[_Member, str]]]:
    """Return the member a row is, or None and the (candidate, reason) pairs to review."""
    code = record["credit_code"]
    if code and code in by_code:
        return by_code[code], [(by_code[code], "credit_code")]

    name = split_company_name(record["company_name"])
    province = province_name(record["province"])
    candidates = by_core.get(name.core, [])
    if not candidates:
        return None, []

    problems = []
    for member in candidates:
        if code and member.code and code != member.code:
            problems.append((member, "credit_code_differs"))
        elif places_conflict(name, member.name) or (
            province and member.province and province != member.province
        ):
            problems.append((member, "place_differs"))
    rejected = {member.member_id for member, _ in problems}
    fitting = [member for member in candidates if member.member_id not in rejected]
    # A place or code that rules the other candidates out leaves one: that one is the company.
    if len(fitting) == 1:
        return fitting[0], [(fitting[0], "name")]
    if len(fitting) > 1:
        return None, [(member, "several_candidates") for member in fitting]
    return None, problems


def _review_row(record: dict, member: _Member, reason: str) -> dict:
    return {
        "source_file": record["source_file"],
        "line_no": record["line_no"],
        "list_company_name": record["company_name"],
        "list_credit_code": record["credit_code"],
        "list_province": record["province"],
        "segment": record["segment"],
        "member_id": member.member_id,
        "member_company_name": None,
        "member_credit_code": member.code,
        "member_province": member.province,
        "reason": reason,
    }


def _member_companies(members: pd.DataFrame, matched: dict[int, dict]) -> list[dict]:
    """Every member is in the universe; a matched list row fills the member's gaps."""
    companies = []
    for row in _records(members):
        member_id = int(row["member_id"])
        listed = matched.get(member_id, {})
        companies.append(
            {
                "company_key": f"m{member_id}",
                "member_id": member_id,
                "company_name": row["company_name"],
                "segment": row["segment"],
                "province": row["province"] or listed.get("province"),
                "credit_code": _first(
                    clean_credit_code(row.get("credit_code")), listed.get("credit_code")
                ),
                "registered_capital_cny": _first(
                    row.get("registered_capital_cny"), listed.get("registered_capital_cny")
                ),
                "staff_count": _first(row.get("staff_count"), listed.get("staff_count")),
                "in_list": bool(listed),
                "is_registered": True,
                "matched_by": listed.get("matched_by"),
                "source_file": listed.get("source_file"),
                "line_no": listed.get("line_no"),
                "credit_code_problem": listed.get("credit_code_problem"),
                "review_reason": None,
            }
        )
    return companies


def _list_companies(unmatched: list[dict]) -> list[dict]:
    """One company per distinct unmatched row: same valid code, or same core and place."""
    companies: dict[str, dict] = {}
    for record in unmatched:
        key = _dedupe_key(record)
        if key in companies:
            continue
        companies[key] = {
            "company_key": f"u{len(companies) + 1}",
            "member_id": None,
            "company_name": record["company_name"],
            "segment": record["segment"],
            "province": record["province"],
            "credit_code": record["credit_code"],
            "registered_capital_cny": record["registered_capital_cny"],
            "staff_count": record["staff_count"],
            "in_list": True,
            "is_registered": False,
            "matched_by": None,
            "source_file": record["source_file"],
            "line_no": record["line_no"],
            "credit_code_problem": record["credit_code_problem"],
            "review_reason": record.get("review_reason"),
        }
    return list(companies.values())


def _dedupe_key(record: dict) -> str:
    if record["credit_code"]:
        return "code:" + record["credit_code"]
    name = split_company_name(record["company_name"])
    place = ",".join(sorted(name.places)) or province_name(record["province"]) or ""
    return f"name:{name.core}|{place}"


def _records(frame: pd.DataFrame) -> list[dict]:
    """Return the rows as dicts with None, not NaN, for missing values."""
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def _first(*candidates: object) -> object:
    for value in candidates:
        if value is not None and not (isinstance(value, float) and pd.isna(value)):
            return value
    return None


# --- load ------------------------------------------------------------------------------------

UNIVERSE_SCHEMA = """
    company_key VARCHAR, member_id BIGINT, company_name VARCHAR, segment VARCHAR,
    province VARCHAR, credit_code VARCHAR, registered_capital_cny DOUBLE, staff_count BIGINT,
    in_list BOOLEAN, is_registered BOOLEAN, matched_by VARCHAR, source_file VARCHAR,
    line_no BIGINT, credit_code_problem VARCHAR, review_reason VARCHAR"""
REVIEW_SCHEMA = """
    source_file VARCHAR, line_no BIGINT, list_company_name VARCHAR, list_credit_code VARCHAR,
    list_province VARCHAR, segment VARCHAR, member_id BIGINT, member_company_name VARCHAR,
    member_credit_code VARCHAR, member_province VARCHAR, reason VARCHAR"""


def load_universe(con: duckdb.DuckDBPyConnection, config: Config) -> UniverseData:
    """Read the configured lists, match them with stg_members, write the universe tables."""
    data = read_universe(
        universe_paths(config),
        universe_columns(config),
        sheet_name=config.settings.get("universe.sheet", ""),
        encoding=config.sales_targets.encoding,
        segment_names=config.settings.get("universe.segment_names", {}),
    )
    members = con.execute(
        "select member_id, company_name, segment, province, credit_code, "
        "registered_capital_cny, staff_count from stg_members order by member_id"
    ).df()
    result = match_universe(data.rows, members)
    write_match(con, result)
    logger.info(
        "Universe: %d companies (%d only in lists), %d pairs to review",
        len(result.companies),
        int((~result.companies["is_registered"].astype(bool)).sum()),
        len(result.review),
    )
    return data


def write_match(con: duckdb.DuckDBPyConnection, result: MatchResult) -> None:
    """Create universe_companies and universe_review from a match result."""
    for table, schema, frame in (
        ("universe_companies", UNIVERSE_SCHEMA, result.companies),
        ("universe_review", REVIEW_SCHEMA, result.review),
    ):
        con.execute(f"create table {table} ({schema})")
        if frame.empty:
            continue
        con.register("universe_frame", frame)
        try:
            names = ", ".join(frame.columns)
            con.execute(f"insert into {table} ({names}) select {names} from universe_frame")
        finally:
            con.unregister("universe_frame")
    con.execute(
        "update universe_review as r set member_company_name = m.company_name "
        "from members as m where m.member_id = r.member_id"
    )


def build_segment_share(
    con: duckdb.DuckDBPyConnection,
    config: Config,
    as_of: dt.date,
    year_before: dt.date,
    two_years_before: dt.date,
) -> None:
    """Build the segment_share mart from universe_companies, members and contracts."""
    warehouse.build_mart(
        con,
        "segment_share",
        {
            "as_of": as_of,
            "year_before": year_before,
            "two_years_before": two_years_before,
            "big_capital": float(config.settings["universe.big_registered_capital_cny"]),
            "big_staff": int(config.settings["universe.big_staff_count"]),
        },
    )
