"""The DuckDB side of a load: staging tables, marts, data checks and atomic publishing.

A load builds a whole new database file under `<warehouse.dir>/snapshots/` with the suffix
`.building`. Once its checks pass, it is renamed to `.duckdb` and the symbolic link
`<warehouse.dir>/current.duckdb` is replaced to point at it. Readers that opened the previous
snapshot keep reading that file until they reopen the link.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from pathlib import Path

import duckdb
import pandas as pd

from etl.errors import LoadError
from etl.lock import holds_lock

logger = logging.getLogger(__name__)

MARTS_DIR = Path(__file__).parent / "marts"
CURRENT_LINK = "current.duckdb"
BUILDING_SUFFIX = ".building"

STAGING_SCHEMAS = {
    "stg_members": """
        member_id BIGINT, company_name VARCHAR, segment VARCHAR, province VARCHAR,
        company_size VARCHAR, registered_on DATE, shop_slug VARCHAR, sales_rep VARCHAR,
        after_sales_owner VARCHAR, credit_code VARCHAR, registered_capital_cny DOUBLE,
        staff_count BIGINT""",
    "stg_contracts": """
        contract_id BIGINT, member_id BIGINT, tier VARCHAR, start_date DATE, end_date DATE,
        amount_cny DOUBLE""",
    "stg_events": "kind VARCHAR, event_id BIGINT, member_id BIGINT, occurred_at TIMESTAMP",
    "stg_page_views": """
        member_id BIGINT, viewed_at TIMESTAMP, day DATE, visitor_id VARCHAR,
        source_class VARCHAR, search_engine VARCHAR, keyword VARCHAR, file VARCHAR,
        line_no BIGINT""",
    "stg_bot_hits": """
        day DATE, member_id BIGINT, bot_name VARCHAR, detected_by VARCHAR, hits BIGINT""",
    "stg_log_rejections": """
        file VARCHAR, line_no BIGINT, reason VARCHAR, column_name VARCHAR, value VARCHAR,
        raw VARCHAR""",
    "sales_targets": "month DATE, sales_rep VARCHAR, target_cny DOUBLE",
    "call_counts": "month DATE, sales_rep VARCHAR, calls BIGINT",
    "load_runs": """
        run_id VARCHAR, started_at TIMESTAMP, finished_at TIMESTAMP, config_file VARCHAR,
        as_of DATE, status VARCHAR""",
    "load_sources": """
        run_id VARCHAR, source VARCHAR, file VARCHAR, read_rows BIGINT, loaded_rows BIGINT,
        bot_rows BIGINT, skipped_rows BIGINT, rejected_rows BIGINT, data_from DATE,
        data_to DATE, loaded_at TIMESTAMP""",
    "load_outcomes": """
        run_id VARCHAR, source VARCHAR, file VARCHAR, outcome VARCHAR, reason VARCHAR,
        rows BIGINT""",
    "rejected_rows": """
        run_id VARCHAR, source VARCHAR, file VARCHAR, line_no BIGINT, column_name VARCHAR,
        value VARCHAR, reason VARCHAR, raw VARCHAR""",
    "health_settings": "key VARCHAR, value DOUBLE",
}

# Staging tables that are dropped before publishing; the rest is the published schema.
STAGING_ONLY = (
    "stg_members",
    "stg_contracts",
    "stg_events",
    "stg_page_views",
    "stg_bot_hits",
    "stg_log_rejections",
)


def create_tables(con: duckdb.DuckDBPyConnection) -> None:
    for table, columns in STAGING_SCHEMAS.items():
        con.execute(f"create table {table} ({columns})")


def insert_frame(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    """Append `frame` to `table`, matching columns by name and casting to the table's types."""
    if table not in STAGING_SCHEMAS:
        raise ValueError(f"insert_frame: unknown table {table!r}")
    if frame.empty:
        return
    columns = ", ".join(f'"{column}"' for column in frame.columns)
    con.register("incoming_frame", frame)
    try:
        con.execute(f"insert into {table} ({columns}) select {columns} from incoming_frame")
    finally:
        con.unregister("incoming_frame")


def insert_rows(con: duckdb.DuckDBPyConnection, table: str, rows: list[tuple]) -> None:
    if table not in STAGING_SCHEMAS:
        raise ValueError(f"insert_rows: unknown table {table!r}")
    if not rows:
        return
    placeholders = ", ".join("?" for _ in rows[0])
    con.executemany(f"insert into {table} values ({placeholders})", rows)


def build_mart(con: duckdb.DuckDBPyConnection, name: str, params: dict[str, object]) -> int:
    """Create table `name` from etl/marts/<name>.sql with bound parameters; return its rows."""
    sql = (MARTS_DIR / f"{name}.sql").read_text(encoding="utf-8")
    con.execute(f"create table {name} as\n{sql}", params)
    count = con.execute(f"select count(*) from {name}").fetchone()[0]
    logger.info("Built mart %s: %d rows", name, count)
    return count


def query_mart(
    con: duckdb.DuckDBPyConnection, name: str, params: dict[str, object]
) -> pd.DataFrame:
    sql = (MARTS_DIR / f"{name}.sql").read_text(encoding="utf-8")
    return con.execute(sql, params).df()


def check_snapshot(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Run the data checks on a built snapshot; return the failures, empty when all pass."""
    checks = {
        "member_daily has one row per member and day": """
            select count(*) from (
                select member_id, day from member_daily group by all having count(*) > 1)""",
        "member_daily source columns add up to page_views": """
            select count(*) from member_daily
            where views_search + views_internal + views_social + views_ad + views_referral
                + views_direct <> page_views""",
        "member_health has one row per paid member": """
            select abs((select count(*) from member_health)
                - (select count(*) from members where is_paid))""",
        "members have unique ids": """
            select count(*) - count(distinct member_id) from members""",
        "contracts reference known members": """
            select count(*) from contracts as c anti join members as m using (member_id)""",
        "source files reconcile": """
            select count(*) from load_sources
            where read_rows <> loaded_rows + bot_rows + skipped_rows + rejected_rows""",
    }
    failures = []
    for name, sql in checks.items():
        bad = con.execute(sql).fetchone()[0]
        if bad:
            failures.append(f"{name}: {bad} offending rows")
    return failures


def drop_staging(con: duckdb.DuckDBPyConnection) -> None:
    for table in STAGING_ONLY:
        con.execute(f"drop table if exists {table}")


def snapshot_dir(warehouse_dir: Path) -> Path:
    return warehouse_dir / "snapshots"


def new_building_path(warehouse_dir: Path, started_at: dt.datetime) -> Path:
    """Return a fresh path for a snapshot under construction, removing leftovers of killed runs."""
    directory = snapshot_dir(warehouse_dir)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise LoadError(
            f"Warehouse directory {directory} cannot be created: {error.strerror}. "
            "Set warehouse.dir to a writable directory."
        ) from None

    # Only a run holding the load lock may remove them: without it, a .building file may
    # belong to a load that is still running (etl/lock.py; `python -m etl load` holds it).
    leftovers = sorted(directory.glob(f"*{BUILDING_SUFFIX}*"))
    if leftovers and not holds_lock(warehouse_dir):
        logger.info("Keeping %d unfinished snapshots: this run holds no load lock.", len(leftovers))
        leftovers = []
    for leftover in leftovers:
        logger.warning("Removing unfinished snapshot %s left by an earlier run", leftover)
        leftover.unlink(missing_ok=True)

    stamp = started_at.strftime("%Y%m%dT%H%M%S%fZ")
    return directory / f"snapshot-{stamp}-{os.getpid()}.duckdb{BUILDING_SUFFIX}"


def current_snapshot(warehouse_dir: Path) -> Path | None:
    link = warehouse_dir / CURRENT_LINK
    return link.resolve() if link.exists() else None


def publish(building: Path, warehouse_dir: Path, keep: int) -> Path:
    """Rename the finished file and atomically point current.duckdb at it; prune old ones."""
    final = building.with_name(building.name.removesuffix(BUILDING_SUFFIX))
    building.rename(final)

    link = warehouse_dir / CURRENT_LINK
    temporary_link = warehouse_dir / f".{CURRENT_LINK}.{os.getpid()}"
    temporary_link.unlink(missing_ok=True)
    temporary_link.symlink_to(final.relative_to(warehouse_dir))
    os.replace(temporary_link, link)
    logger.info("Published snapshot %s", final)

    _prune_snapshots(warehouse_dir, keep, final)
    return final


def _prune_snapshots(warehouse_dir: Path, keep: int, current: Path) -> None:
    # Names embed the UTC start time, so name order is age order.
    snapshots = sorted(snapshot_dir(warehouse_dir).glob("snapshot-*.duckdb"), reverse=True)
    kept = {current, *snapshots[:keep]}
    for snapshot in snapshots:
        if snapshot in kept:
            continue
        logger.info("Removing old snapshot %s (warehouse.keep_snapshots=%d)", snapshot, keep)
        snapshot.unlink(missing_ok=True)
        Path(f"{snapshot}.wal").unlink(missing_ok=True)


def previous_history(warehouse_dir: Path) -> dict[str, pd.DataFrame]:
    """Return load_runs and load_sources of the current snapshot, to carry them forward."""
    current = current_snapshot(warehouse_dir)
    if current is None:
        return {}
    try:
        with duckdb.connect(str(current), read_only=True) as con:
            return {
                "load_runs": con.execute("select * from load_runs").df(),
                "load_sources": con.execute("select * from load_sources").df(),
            }
    except duckdb.Error as error:
        logger.warning("Could not read load history from %s: %s", current, error)
        return {}
