"""One load run: read every configured source, build the marts, check and publish a snapshot."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd

from etl import contacts, log_build, renewals, sales, warehouse
from etl.access_logs import load_access_logs
from etl.config import Config, load_config
from etl.errors import LoadError
from etl.portal_db import PortalData, masked_url, read_portal
from etl.rows import Rejection, SourceStats
from etl.spreadsheets import read_call_counts, read_sales_targets
from scoring.health import health_settings_rows, score_members

logger = logging.getLogger(__name__)

EVENT_QUERIES = ("inquiries", "messages", "contact_views", "ad_clicks")


@dataclass
class LoadReport:
    """Row counts of a finished load per source file: read, loaded, filtered and rejected."""

    run_id: str
    config_file: Path
    as_of: dt.date | None = None
    snapshot: Path | None = None
    stats: list[SourceStats] = field(default_factory=list)
    # Rejected rows of every source except the access logs, which stay in stg_log_rejections.
    rejections: list[Rejection] = field(default_factory=list)
    # Lines that marts add to the report, such as the renewal-risk backtest.
    extra_lines: list[str] = field(default_factory=list)

    def render(self) -> str:
        """Format the report as plain text: one row per source, then counts by reason."""
        lines = [f"Load {self.run_id}: config {self.config_file}, as of {self.as_of}"]
        header = f"{'source':<14} {'files':>6} {'read':>11} {'loaded':>11} {'bots':>9}"
        lines.append(f"{header} {'skipped':>10} {'rejected':>9}")
        for source, totals in self._source_totals().items():
            lines.append(
                f"{source:<14} {totals['files']:>6,} {totals['read']:>11,} "
                f"{totals['loaded']:>11,} {totals['bots']:>9,} {totals['skipped']:>10,} "
                f"{totals['rejected']:>9,}"
            )
        for outcome in ("skipped", "rejected"):
            for (source, reason), rows in sorted(self._totals(outcome).items()):
                lines.append(f"  {outcome} {source} {reason}: {rows:,}")
        lines.extend(self.extra_lines)
        lines.append(f"Published {self.snapshot}" if self.snapshot else "Nothing published")
        return "\n".join(lines)

    def _source_totals(self) -> dict[str, dict[str, int]]:
        totals: dict[str, dict[str, int]] = {}
        for stats in self.stats:
            row = totals.setdefault(
                stats.source,
                {"files": 0, "read": 0, "loaded": 0, "bots": 0, "skipped": 0, "rejected": 0},
            )
            row["files"] += 1
            row["read"] += stats.read
            row["loaded"] += stats.loaded
            row["bots"] += stats.bots
            row["skipped"] += sum(stats.skipped.values())
            row["rejected"] += sum(stats.rejected.values())
        return totals

    def _totals(self, outcome: str) -> dict[tuple[str, str], int]:
        totals: dict[tuple[str, str], int] = {}
        for stats in self.stats:
            for reason, rows in getattr(stats, outcome).items():
                key = (stats.source, reason)
                totals[key] = totals.get(key, 0) + rows
        return totals


def run_load(config_path: str | Path, progress: bool = True) -> LoadReport:
    """Load every source named in the config and publish a snapshot; raise LoadError if none."""
    config = load_config(config_path)
    started_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    report = LoadReport(run_id=started_at.strftime("%Y%m%dT%H%M%S%fZ"), config_file=config.path)
    logger.info(
        "Load %s started: config %s, database %s",
        report.run_id,
        config.path,
        masked_url(config.database_url),
    )

    history = warehouse.previous_history(config.warehouse_dir)
    building = warehouse.new_building_path(config.warehouse_dir, started_at)
    con = duckdb.connect(str(building))
    try:
        _build(con, config, report, progress)
        _record_run(con, config, report, started_at, history)
        failures = warehouse.check_snapshot(con)
        if failures:
            raise LoadError(
                "The built snapshot failed its data checks, so it was not published: "
                + "; ".join(failures)
            )
        warehouse.drop_staging(con)
        con.execute("checkpoint")
        con.close()
        report.snapshot = warehouse.publish(building, config.warehouse_dir, config.keep_snapshots)
    except BaseException:
        con.close()
        building.unlink(missing_ok=True)
        raise
    return report


def _build(
    con: duckdb.DuckDBPyConnection, config: Config, report: LoadReport, progress: bool
) -> None:
    warehouse.create_tables(con)

    portal = read_portal(config.database_url, config.queries)
    contacts.stage_contacts(con, portal)
    _stage_portal(con, portal)
    report.stats.extend(portal.stats)
    report.rejections.extend(portal.rejections)

    logs = load_access_logs(
        con,
        config.access_logs,
        _shop_index(portal.tables["members"]),
        config.timezone,
        progress,
        staging_dir=config.warehouse_dir / "staging" / "access_logs",
    )
    report.stats.extend(logs.stats)

    for reader, sheet, table in (
        (read_sales_targets, config.sales_targets, "sales_targets"),
        (read_call_counts, config.call_counts, "call_counts"),
    ):
        if sheet.file is None:
            continue
        data = reader(sheet)
        warehouse.insert_frame(con, table, data.rows)
        report.stats.append(data.stats)
        report.rejections.extend(data.rejections)

    report.as_of = _resolve_as_of(con, config)
    _build_marts(con, config, report.as_of)
    report.extra_lines.extend(renewals.build_marts(con, config, report.as_of))
    sales.build_marts(con, config, report, portal)


def _stage_portal(con: duckdb.DuckDBPyConnection, portal: PortalData) -> None:
    warehouse.insert_frame(con, "stg_members", portal.tables["members"])
    warehouse.insert_frame(con, "stg_contracts", portal.tables["contracts"])
    for kind in EVENT_QUERIES:
        events = portal.tables[kind].assign(kind=kind)
        warehouse.insert_frame(con, "stg_events", events)


def _shop_index(members: pd.DataFrame) -> dict[str, int]:
    """Map each member id (as text) and lower-case shop slug to the member id."""
    index = {str(member_id): int(member_id) for member_id in members["member_id"]}
    for member_id, slug in zip(members["member_id"], members["shop_slug"], strict=True):
        if isinstance(slug, str) and slug:
            index.setdefault(slug.lower(), int(member_id))
    return index


def _resolve_as_of(con: duckdb.DuckDBPyConnection, config: Config) -> dt.date:
    """Return portal.as_of, else the last day of log data, else of portal events, else today.

    Days after today in the portal's time zone come from wrong clocks or forged lines, so they
    never move as_of; they are logged, and the marts leave them out.
    """
    today = dt.datetime.now(ZoneInfo(config.timezone)).date()
    last_log_day, future_rows = con.execute(
        "select max(day) filter (where day <= $today), count(*) filter (where day > $today) "
        "from (select day from stg_page_views union all select day from stg_bot_hits)",
        {"today": today},
    ).fetchone()
    if future_rows:
        logger.warning(
            "%d access-log rows are dated after today (%s in %s) and are left out of the "
            "marts; check the web servers' clocks",
            future_rows,
            today,
            config.timezone,
        )
    last_event = con.execute(
        "select max(cast(occurred_at as date)) from stg_events "
        "where cast(occurred_at as date) <= $today",
        {"today": today},
    ).fetchone()[0]

    if config.as_of is not None:
        last_data_day = max(day for day in (last_log_day, last_event, dt.date.min) if day)
        if config.as_of > last_data_day:
            logger.warning(
                "portal.as_of %s is after the last day with data (%s); days after it count "
                "as no activity",
                config.as_of,
                last_data_day,
            )
        return config.as_of
    return last_log_day or last_event or today


def _build_marts(con: duckdb.DuckDBPyConnection, config: Config, as_of: dt.date) -> None:
    window = config.health.window_days
    window_start = as_of - dt.timedelta(days=window - 1)
    previous_end = window_start - dt.timedelta(days=1)
    previous_start = previous_end - dt.timedelta(days=window - 1)
    first_log_day = con.execute(
        "select min(day) from (select day from stg_page_views union all "
        "select day from stg_bot_hits)"
    ).fetchone()[0]
    # member_daily starts with the logs: days before them would show page views as zero.
    first_day = first_log_day or previous_start

    warehouse.build_mart(con, "members", {"as_of": as_of})
    con.execute("create table contracts as select * from stg_contracts order by contract_id")
    warehouse.build_mart(con, "member_daily", {"first_day": first_day, "as_of": as_of})
    warehouse.build_mart(con, "member_search_keywords", {})
    warehouse.build_mart(con, "bot_hits_daily", {})

    inputs = warehouse.query_mart(
        con,
        "health_inputs",
        {
            "as_of": as_of,
            "window_start": window_start,
            "previous_start": previous_start,
            "previous_end": previous_end,
        },
    )
    health = score_members(inputs, config.health, as_of)
    con.register("health_frame", health)
    con.execute("create table member_health as select * from health_frame")
    con.unregister("health_frame")
    warehouse.insert_rows(con, "health_settings", health_settings_rows(config.health))


def _record_run(
    con: duckdb.DuckDBPyConnection,
    config: Config,
    report: LoadReport,
    started_at: dt.datetime,
    history: dict[str, pd.DataFrame],
) -> None:
    for table, frame in history.items():
        warehouse.insert_frame(con, table, frame)

    finished_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    warehouse.insert_rows(
        con,
        "load_runs",
        [
            (
                report.run_id,
                started_at,
                finished_at,
                str(config.path),
                report.as_of,
                "published",
            )
        ],
    )
    warehouse.insert_rows(
        con,
        "load_sources",
        [
            (
                report.run_id,
                s.source,
                s.file,
                s.read,
                s.loaded,
                s.bots,
                sum(s.skipped.values()),
                sum(s.rejected.values()),
                s.data_from,
                s.data_to,
                finished_at,
            )
            for s in report.stats
        ],
    )
    warehouse.insert_rows(
        con,
        "load_outcomes",
        [
            (report.run_id, s.source, s.file, outcome, reason, rows)
            for s in report.stats
            for outcome, counter in (("skipped", s.skipped), ("rejected", s.rejected))
            for reason, rows in sorted(counter.items())
        ],
    )
    warehouse.insert_rows(
        con,
        "rejected_rows",
        [
            (report.run_id, r.source, r.file, r.line_no, r.column, r.value, r.reason, r.raw)
            for r in report.rejections
        ],
    )
    # Access-log rejections are copied in SQL, because a file in the wrong format has millions.
    con.execute(
        "insert into rejected_rows select $run_id, $source, file, line_no, column_name, value,"
        " reason, raw from stg_log_rejections",
        {"run_id": report.run_id, "source": log_build.SOURCE},
    )
