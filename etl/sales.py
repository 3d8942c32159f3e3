"""The market-share and sales-management marts of a load.

`build_marts` runs after the core marts (members, contracts) exist and before staging tables
are dropped. It publishes the industry universe and segment_share (etl/universe.py), and the
sales tables: signed contracts as new or renewal, targets against signed amounts per rep and
period with a run-rate projection, CRM prospects and won deals, and shop-opening times.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING

import duckdb
import pandas as pd

from etl import universe, warehouse
from etl.config import Config

if TYPE_CHECKING:
    from etl.load import LoadReport
    from etl.portal_db import PortalData

logger = logging.getLogger(__name__)

PERFORMANCE_COLUMNS = [
    "period",
    "period_start",
    "period_end",
    "sales_rep",
    "team",
    "target_cny",
    "signed_new_cny",
    "signed_renewal_cny",
    "signed_cny",
    "gap_cny",
    "days_elapsed",
    "days_in_period",
    "projected_cny",
    "projected_gap_cny",
]


def build_marts(
    con: duckdb.DuckDBPyConnection, config: Config, report: LoadReport, portal: PortalData
) -> None:
    """Publish the universe, segment_share and the sales tables; add the lists' row counts."""
    as_of = report.as_of
    if as_of is None:
        raise ValueError("build_marts needs report.as_of; resolve it before building marts.")
    create_portal_tables(con, portal.tables)

    lists = universe.load_universe(con, config)
    report.stats.extend(lists.stats)
    report.rejections.extend(lists.rejections)
    year_before = years_before(as_of, 1)
    universe.build_segment_share(con, config, as_of, year_before, years_before(as_of, 2))

    build_sales_marts(con, config, as_of)


def build_sales_marts(con: duckdb.DuckDBPyConnection, config: Config, as_of: dt.date) -> None:
    """Build the sales tables from members, contracts, sales_targets, followups, sales_staff
    and stg_shop_openings, which this drops. Only `config.settings` is read."""
    settings = config.settings
    warehouse.build_mart(con, "sales_signed", {})
    warehouse.build_mart(con, "sales_prospects", {"as_of": as_of})
    warehouse.build_mart(con, "sales_won_deals", {})
    warehouse.build_mart(
        con,
        "shop_openings",
        {"as_of": as_of, "deadline_days": settings["sales.shop_open_deadline_days"]},
    )
    con.execute("drop table stg_shop_openings")

    performance = sales_performance(
        con.execute("select month, sales_rep, target_cny from sales_targets").df(),
        con.execute("select month, sales_rep, kind, amount_cny from sales_signed").df(),
        con.execute("select staff_name, team from sales_staff").df(),
        as_of,
    )
    _create_from_frame(con, "sales_performance", performance)
    _create_from_frame(con, "sales_settings", sales_settings_frame(config))


def create_portal_tables(con: duckdb.DuckDBPyConnection, tables: dict[str, pd.DataFrame]) -> None:
    """Create followups, sales_staff and stg_shop_openings from the optional portal queries.

    `tables` maps a query name to its typed rows, as PortalData.tables does; a missing or
    empty one leaves its table empty.
    """
    schemas = {
        "followups": (
            "followups",
            "followup_id BIGINT, member_id BIGINT, sales_rep VARCHAR, followed_at TIMESTAMP",
        ),
        "sales_staff": ("sales_staff", "staff_name VARCHAR, team VARCHAR"),
        "shop_openings": (
            "stg_shop_openings",
            "contract_id BIGINT, member_id BIGINT, paid_on DATE, shop_opened_on DATE, "
            "materials_uploaded_on DATE",
        ),
    }
    for query, (table, schema) in schemas.items():
        con.execute(f"create table {table} ({schema})")
        frame = tables.get(query)
        if frame is None or frame.empty:
            continue
        con.register("portal_frame", frame)
        try:
            names = ", ".join(frame.columns)
            con.execute(f"insert into {table} ({names}) select {names} from portal_frame")
        finally:
            con.unregister("portal_frame")


def _create_from_frame(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    con.register("sales_frame", frame)
    try:
        con.execute(f"create table {table} as select * from sales_frame")
    finally:
        con.unregister("sales_frame")


# --- targets against signed amounts -----------------------------------------------------------


def run_rate_projection(
    signed: float, period_start: dt.date, period_end: dt.date, as_of: dt.date
) -> float | None:
    """Project the amount signed by `period_end` at the pace so far; None before the start.

    signed × days in period ÷ days elapsed, where both counts include `as_of` and both ends.
    A period that has ended projects what it signed.
    """
    if as_of < period_start:
        return None
    if as_of >= period_end:
        return float(signed)
    elapsed = (as_of - period_start).days + 1
    total = (period_end - period_start).days + 1
    return float(signed) * total / elapsed


def sales_performance(
    targets: pd.DataFrame, signed: pd.DataFrame, staff: pd.DataFrame, as_of: dt.date
) -> pd.DataFrame:
    """Build one row per rep and month, and per rep and quarter, of PERFORMANCE_COLUMNS.

    `targets` has month, sales_rep, target_cny; `signed` has month, sales_rep, kind
    ('new' or 'renewal') and amount_cny. A rep with signed amounts but no target gets a null
    target and gap. A rep's team comes from `staff` (staff_name, team).
    """
    monthly = _monthly_totals(targets, signed)
    quarterly = monthly.assign(period_start=monthly["period_start"].map(quarter_start))
    quarterly = (
        quarterly.groupby(["period_start", "sales_rep"], dropna=False, as_index=False)
        .agg(
            target_cny=("target_cny", lambda s: s.sum(min_count=1)),
            signed_new_cny=("signed_new_cny", "sum"),
            signed_renewal_cny=("signed_renewal_cny", "sum"),
        )
        .assign(period="quarter")
    )
    rows = pd.concat([monthly.assign(period="month"), quarterly], ignore_index=True)
    rows["period_end"] = [
        month_end(start) if period == "month" else quarter_end(start)
        for start, period in zip(rows["period_start"], rows["period"], strict=True)
    ]
    return _add_measures(rows, staff, as_of)


def _monthly_totals(targets: pd.DataFrame, signed: pd.DataFrame) -> pd.DataFrame:
    amounts = (
        signed.pivot_table(
            index=["month", "sales_rep"],
            columns="kind",
            values="amount_cny",
            aggfunc="sum",
            fill_value=0.0,
            dropna=False,
        )
        .reindex(columns=["new", "renewal"], fill_value=0.0)
        .reset_index()
        .rename(columns={"new": "signed_new_cny", "renewal": "signed_renewal_cny"})
    )
    amounts.columns.name = None
    monthly = targets[["month", "sales_rep", "target_cny"]].merge(
        amounts, on=["month", "sales_rep"], how="outer"
    )
    monthly[["signed_new_cny", "signed_renewal_cny"]] = monthly[
        ["signed_new_cny", "signed_renewal_cny"]
    ].fillna(0.0)
    monthly["month"] = [_as_date(month) for month in monthly["month"]]
    return monthly.rename(columns={"month": "period_start"})


def _add_measures(rows: pd.DataFrame, staff: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    teams = dict(zip(staff["staff_name"], staff["team"], strict=True))
    rows["team"] = [teams.get(rep) for rep in rows["sales_rep"]]
    rows["signed_cny"] = rows["signed_new_cny"] + rows["signed_renewal_cny"]
    rows["gap_cny"] = rows["target_cny"] - rows["signed_cny"]
    rows["days_in_period"] = [
        (end - start).days + 1
        for start, end in zip(rows["period_start"], rows["period_end"], strict=True)
    ]
    rows["days_elapsed"] = [
        min(max((as_of - start).days + 1, 0), total)
        for start, total in zip(rows["period_start"], rows["days_in_period"], strict=True)
    ]
    rows["projected_cny"] = [
        run_rate_projection(signed, start, end, as_of)
        for signed, start, end in zip(
            rows["signed_cny"], rows["period_start"], rows["period_end"], strict=True
        )
    ]
    rows["projected_cny"] = rows["projected_cny"].astype("Float64")
    rows["projected_gap_cny"] = rows["target_cny"] - rows["projected_cny"]
    rows = rows.sort_values(["period", "period_start", "sales_rep"], na_position="last")
    return rows[PERFORMANCE_COLUMNS].reset_index(drop=True)


def sales_settings_frame(config: Config) -> pd.DataFrame:
    """Return the sales and universe settings the load used, as key and value rows."""
    keys = (
        "sales.required_calls_per_month",
        "sales.stale_followup_days",
        "sales.shop_open_deadline_days",
        "universe.big_registered_capital_cny",
        "universe.big_staff_count",
    )
    return pd.DataFrame(
        {
            "key": [key.split(".", 1)[1] for key in keys],
            "value": [float(config.settings[key]) for key in keys],
        }
    )


# --- calendar --------------------------------------------------------------------------------


def _as_date(value: object) -> dt.date:
    return pd.Timestamp(value).date()


def month_end(start: dt.date) -> dt.date:
    following = dt.date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


def quarter_start(day: dt.date) -> dt.date:
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def quarter_end(start: dt.date) -> dt.date:
    return month_end(dt.date(start.year, start.month + 2, 1))


def years_before(day: dt.date, years: int) -> dt.date:
    """Return the same day `years` years earlier; 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)
