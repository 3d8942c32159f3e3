"""A tiny published snapshot with hand-chosen numbers, for the dashboard tests.

Six paid members in two segments (机械, 化工) and two tiers (金牌, 银牌), one former member,
60 days of member_daily ending on AS_OF, and member_health rows whose scores follow the rules
in docs/warehouse.md. Every daily value is constant within a window, so a window total is
the daily value times 30 (ten days for the onboarding member 6).

Peer groups among scored members: (机械, 金牌) = {1, 2}, (机械, 银牌) = {3}, (化工, 金牌) = {4},
(化工, 银牌) = {5}; member 6 is onboarding in (化工, 银牌).
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
from contacts_fixture import add_contact_table
from market_fixture import add_market_tables
from renewal_fixture import add_renewal_tables

AS_OF = dt.date(2026, 3, 31)
WINDOW_START = dt.date(2026, 3, 2)
FIRST_DAY = dt.date(2026, 1, 31)
RUN_STARTED_AT = dt.datetime(2026, 4, 1, 1, 0, 0)
RUN_FINISHED_AT = dt.datetime(2026, 4, 1, 1, 5, 0)

METRICS = ("page_views", "unique_visitors", "inquiries", "messages", "contact_views", "ad_clicks")
SOURCES = ("search", "internal", "social", "ad", "referral", "direct")

# member_id: company_name, segment, tier, sales_rep, first day of member_daily
MEMBERS = {
    1: ("杭州重工机械有限公司", "机械", "金牌", "张伟", FIRST_DAY),
    2: ("宁波精密机械有限公司", "机械", "金牌", "李娜", FIRST_DAY),
    3: ("苏州液压机械厂", "机械", "银牌", "张伟", FIRST_DAY),
    4: ("上海华东化工有限公司", "化工", "金牌", "李娜", FIRST_DAY),
    5: ("南京新材料化工有限公司", "化工", "银牌", "王芳", FIRST_DAY),
    # A name starting with "=" checks that exports neutralise formulas end to end.
    6: ("=常州涂料化工有限公司", "化工", "银牌", "王芳", dt.date(2026, 3, 22)),
}
FORMER_MEMBER = (7, "无锡旧客户机械厂", "机械", None, "王芳")

# Daily values (page_views, unique_visitors, inquiries, messages, contact_views, ad_clicks)
# and the page views split by source (search, internal, social, ad, referral, direct),
# for the window and for the previous window.
DAILY_WINDOW = {
    1: ((20, 8, 1, 1, 3, 1), (10, 4, 2, 1, 1, 2)),
    2: ((10, 5, 2, 0, 1, 0), (5, 2, 1, 0, 0, 2)),
    3: ((5, 3, 0, 0, 1, 0), (2, 1, 0, 0, 0, 2)),
    4: ((30, 12, 3, 1, 2, 0), (15, 6, 3, 0, 3, 3)),
    5: ((8, 4, 1, 0, 1, 0), (4, 2, 0, 0, 0, 2)),
    6: ((4, 2, 0, 0, 1, 0), (2, 0, 0, 0, 0, 2)),
}
DAILY_PREVIOUS = {
    1: DAILY_WINDOW[1],
    2: ((20, 5, 2, 0, 1, 0), (10, 4, 2, 1, 1, 2)),
    3: DAILY_WINDOW[3],
    4: ((30, 12, 3, 1, 2, 1), (15, 6, 3, 0, 3, 3)),
    5: ((8, 4, 2, 0, 1, 0), (4, 2, 0, 0, 0, 2)),
}

# Window totals as member_health stores them; unique_visitors is the distinct count over
# the window, so it is smaller than 30 times the daily value.
WINDOW_TOTALS = {
    1: (600, 200, 30, 30, 90, 30),
    2: (300, 120, 60, 0, 30, 0),
    3: (150, 60, 0, 0, 30, 0),
    4: (900, 300, 90, 30, 60, 0),
    5: (240, 100, 30, 0, 30, 0),
    6: (40, 15, 0, 0, 10, 0),
}
PREVIOUS_TOTALS = {
    1: (600, 200, 30, 30, 90, 30),
    2: (600, 120, 60, 0, 30, 0),
    3: (150, 60, 0, 0, 30, 0),
    4: (900, 300, 90, 30, 60, 30),
    5: (240, 100, 60, 0, 30, 0),
    6: (0, 0, 0, 0, 0, 0),
}

# Percentiles in the peer group: member 1 beats member 2 on every metric but inquiries;
# groups of one get 50. Score 1 = 100 x (0.2 + 0.15 + 0.1 + 0.2 + 0.05) = 70.0 (healthy),
# score 2 = 100 x 0.3 = 30.0 (at_risk), scores 3 to 5 = 50.0 (watch).
# Low reasons of member 2: weight x (100 - pct) is 20 for page_views and contact_views,
# 15 for unique_visitors; the tie goes to page_views. Falls: member 2 page views 600 -> 300,
# member 4 ad clicks 30 -> 0, member 5 inquiries 60 -> 30.
HEALTH = {
    # pct tuple, score, band, status, peer_count, low_reasons, fallen_metrics
    1: ((100, 100, 0, 100, 100, 100), 70.0, "healthy", "scored", 2, "inquiries", None),
    2: (
        (0, 0, 100, 0, 0, 0),
        30.0,
        "at_risk",
        "scored",
        2,
        "page_views,contact_views",
        "page_views",
    ),
    3: ((50,) * 6, 50.0, "watch", "scored", 1, None, None),
    4: ((50,) * 6, 50.0, "watch", "scored", 1, None, "ad_clicks"),
    5: ((50,) * 6, 50.0, "watch", "scored", 1, None, "inquiries"),
    6: ((None,) * 6, None, "onboarding", "onboarding", 1, None, None),
}

# contract_id, member_id, tier, start_date, end_date, amount_cny
CONTRACTS = (
    (101, 1, "金牌", "2025-01-01", "2025-12-31", 39800.0),
    (102, 1, "金牌", "2026-01-01", "2026-12-31", 39800.0),
    (201, 2, "金牌", "2025-06-01", "2026-05-31", 39800.0),
    (301, 3, "银牌", "2025-04-01", "2026-03-31", 19800.0),
    (401, 4, "银牌", "2024-07-01", "2025-06-30", 19800.0),
    (402, 4, "金牌", "2025-07-01", "2026-06-30", 59800.0),
    (501, 5, "银牌", "2025-09-01", "2026-08-31", 12000.0),
    (601, 6, "银牌", "2026-03-22", "2027-03-21", 9800.0),
    (701, 7, "银牌", "2024-01-01", "2024-12-31", 8000.0),
)

HEALTH_SETTINGS = {
    "window_days": 30.0,
    "onboarding_days": 28.0,
    "healthy_min": 60.0,
    "watch_min": 40.0,
    "fall_share": 0.3,
    "weight.page_views": 0.2,
    "weight.unique_visitors": 0.15,
    "weight.inquiries": 0.3,
    "weight.messages": 0.1,
    "weight.contact_views": 0.2,
    "weight.ad_clicks": 0.05,
}

ACCESS_LOG = "logs/access.log.1.gz"
# source, file, read, loaded, bots, skipped, rejected, data_from, data_to
LOAD_SOURCES = (
    ("access_logs", ACCESS_LOG, 1000, 850, 100, 40, 10, FIRST_DAY, AS_OF),
    ("portal_db", "members", 8, 7, 0, 0, 1, None, None),
    ("sales_targets", "targets.xlsx", 5, 4, 0, 0, 1, dt.date(2026, 1, 1), dt.date(2026, 3, 1)),
)
# source, file, outcome, reason, rows; "brand_new_code" is a reason code missing from both catalogs.
LOAD_OUTCOMES = (
    ("access_logs", ACCESS_LOG, "skipped", "static_asset", 30),
    ("access_logs", ACCESS_LOG, "skipped", "not_shop_page", 10),
    ("access_logs", ACCESS_LOG, "rejected", "unparseable_line", 7),
    ("access_logs", ACCESS_LOG, "rejected", "invalid_timestamp", 3),
    ("portal_db", "members", "rejected", "missing_value", 1),
    ("sales_targets", "targets.xlsx", "rejected", "brand_new_code", 1),
)

# day, bot_name, detected_by, hits, shop_hits
BOT_HITS = (
    (dt.date(2026, 3, 30), "Baiduspider", "user_agent", 120, 100),
    (dt.date(2026, 3, 31), "Baiduspider", "user_agent", 80, 70),
    (dt.date(2026, 3, 31), "Googlebot", "robots_txt", 5, 0),
)

SCHEMA = """
create table members (member_id bigint, company_name varchar, segment varchar,
    province varchar, company_size varchar, registered_on date, shop_slug varchar,
    sales_rep varchar, after_sales_owner varchar, is_paid boolean, current_tier varchar,
    first_paid_on date);
create table contracts (contract_id bigint, member_id bigint, tier varchar, start_date date,
    end_date date, amount_cny double);
create table member_daily (member_id bigint, day date, page_views bigint,
    unique_visitors bigint, views_search bigint, views_internal bigint, views_social bigint,
    views_ad bigint, views_referral bigint, views_direct bigint, contact_views bigint,
    ad_clicks bigint, messages bigint, inquiries bigint);
create table member_search_keywords (member_id bigint, day date, search_engine varchar,
    keyword varchar, page_views bigint);
create table member_health (member_id bigint, as_of date, window_start date, window_end date,
    segment varchar, tier varchar, peer_count bigint, status varchar,
    page_views bigint, unique_visitors bigint, inquiries bigint, messages bigint,
    contact_views bigint, ad_clicks bigint,
    prev_page_views bigint, prev_unique_visitors bigint, prev_inquiries bigint,
    prev_messages bigint, prev_contact_views bigint, prev_ad_clicks bigint,
    inquiries_per_1000_views double, contact_view_rate double,
    pct_page_views double, pct_unique_visitors double, pct_inquiries double,
    pct_messages double, pct_contact_views double, pct_ad_clicks double,
    health_score double, band varchar, low_reasons varchar, fallen_metrics varchar);
create table health_settings (key varchar, value double);
create table sales_targets (month date, sales_rep varchar, target_cny double);
create table call_counts (month date, sales_rep varchar, calls bigint);
create table bot_hits_daily (day date, bot_name varchar, detected_by varchar, hits bigint,
    shop_hits bigint);
create table load_runs (run_id varchar, started_at timestamp, finished_at timestamp,
    config_file varchar, as_of date, status varchar);
create table load_sources (run_id varchar, source varchar, file varchar, read_rows bigint,
    loaded_rows bigint, bot_rows bigint, skipped_rows bigint, rejected_rows bigint,
    data_from varchar, data_to varchar, loaded_at timestamp);
create table load_outcomes (run_id varchar, source varchar, file varchar, outcome varchar,
    reason varchar, rows bigint);
create table rejected_rows (run_id varchar, source varchar, file varchar, line_no bigint,
    column_name varchar, value varchar, reason varchar, raw varchar);
"""

PORTAL_TOML = """\
[portal]
name = "测试机械网"
timezone = "Asia/Shanghai"
as_of = "{as_of}"

[warehouse]
dir = "warehouse"

[database]
url = "sqlite:///portal-not-used.sqlite"

[database.queries]
members = "select 1"
contracts = "select 1"
inquiries = "select 1"
messages = "select 1"
contact_views = "select 1"
ad_clicks = "select 1"
"""


@dataclass(frozen=True)
class FixturePaths:
    """Where a built fixture lives: its portal.toml, the snapshot file and current.duckdb."""

    config: Path
    snapshot: Path
    current: Path


def write_portal_config(directory: Path) -> Path:
    """Write a minimal valid portal.toml; its database is never opened by the dashboard."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "portal.toml"
    path.write_text(PORTAL_TOML.format(as_of=AS_OF.isoformat()), encoding="utf-8")
    return path


def build_snapshot(
    directory: Path,
    *,
    finished_at: dt.datetime = RUN_FINISHED_AT,
    snapshot_name: str = "snapshot-1.duckdb",
) -> FixturePaths:
    """Write portal.toml, a snapshot under warehouse/snapshots/ and the current.duckdb link.

    `finished_at` (UTC) is the end of the latest load run; tests of freshness set it relative
    to the clock. Building again with another `snapshot_name` republishes, as a load does.
    """
    config = write_portal_config(directory)
    snapshots = directory / "warehouse" / "snapshots"
    snapshots.mkdir(parents=True, exist_ok=True)
    snapshot = snapshots / snapshot_name
    snapshot.unlink(missing_ok=True)

    con = duckdb.connect(str(snapshot))
    try:
        con.execute(SCHEMA)
        _insert_members(con)
        _insert_daily(con)
        _insert_keywords(con)
        _insert_health(con)
        _insert_load_bookkeeping(con, finished_at)
        _insert_staff_sheets(con)
        # The sales marts classify renewals from contract_renewals, so renewals come first.
        add_renewal_tables(con)
        add_market_tables(con)
        add_contact_table(con)
    finally:
        con.close()

    current = directory / "warehouse" / "current.duckdb"
    temporary = current.with_name("current.duckdb.tmp")
    temporary.unlink(missing_ok=True)
    os.symlink(Path("snapshots") / snapshot_name, temporary)
    temporary.replace(current)
    return FixturePaths(config=config, snapshot=snapshot, current=current)


def _insert(con: duckdb.DuckDBPyConnection, table: str, rows) -> None:
    """Insert rows in one statement; executemany costs a round trip per row."""
    columns = [name for name, *_ in con.execute(f"describe {table}").fetchall()]
    frame = pd.DataFrame(list(rows), columns=columns)
    con.register("incoming", frame)
    con.execute(f"insert into {table} select * from incoming")
    con.unregister("incoming")


def _insert_members(con: duckdb.DuckDBPyConnection) -> None:
    rows = []
    for member_id, (name, segment, tier, rep, _) in MEMBERS.items():
        first_paid = min(c[3] for c in CONTRACTS if c[1] == member_id)
        rows.append(
            (
                member_id,
                name,
                segment,
                "浙江",
                "50-99",
                "2024-01-01",
                f"shop{member_id}",
                rep,
                "赵敏",
                True,
                tier,
                first_paid,
            )
        )
    former_id, name, segment, tier, rep = FORMER_MEMBER
    rows.append(
        (
            former_id,
            name,
            segment,
            "江苏",
            "10-49",
            "2023-06-01",
            f"shop{former_id}",
            rep,
            "赵敏",
            False,
            tier,
            "2024-01-01",
        )
    )
    _insert(con, "members", rows)
    _insert(con, "contracts", CONTRACTS)


def _insert_daily(con: duckdb.DuckDBPyConnection) -> None:
    rows = []
    for member_id, (*_, first_day) in MEMBERS.items():
        day = first_day
        while day <= AS_OF:
            in_window = day >= WINDOW_START
            metrics, split = (DAILY_WINDOW if in_window else DAILY_PREVIOUS)[member_id]
            page_views, visitors, inquiries, messages, contact_views, ad_clicks = metrics
            rows.append(
                (
                    member_id,
                    day,
                    page_views,
                    visitors,
                    *split,
                    contact_views,
                    ad_clicks,
                    messages,
                    inquiries,
                )
            )
            day += dt.timedelta(days=1)
    _insert(con, "member_daily", rows)


def _insert_keywords(con: duckdb.DuckDBPyConnection) -> None:
    """Insert member 1's keywords: 6 views of 挖掘机配件 (baidu) and 4 of "o'ring seal" (bing)
    per window day, and 10 of 旧关键词 per previous-window day, which the window excludes."""
    rows = []
    day = FIRST_DAY
    while day <= AS_OF:
        if day >= WINDOW_START:
            rows.append((1, day, "baidu", "挖掘机配件", 6))
            rows.append((1, day, "bing", "o'ring seal", 4))
        else:
            rows.append((1, day, "baidu", "旧关键词", 10))
        day += dt.timedelta(days=1)
    _insert(con, "member_search_keywords", rows)


def _insert_health(con: duckdb.DuckDBPyConnection) -> None:
    rows = []
    for member_id, (pct, score, band, status, peers, low, fallen) in HEALTH.items():
        _, segment, tier, _, _ = MEMBERS[member_id]
        totals = WINDOW_TOTALS[member_id]
        page_views, inquiries, contact_views = totals[0], totals[2], totals[4]
        per_1000 = inquiries * 1000 / page_views if page_views else None
        contact_rate = contact_views / page_views if page_views else None
        rows.append(
            (
                member_id,
                AS_OF,
                WINDOW_START,
                AS_OF,
                segment,
                tier,
                peers,
                status,
                *totals,
                *PREVIOUS_TOTALS[member_id],
                per_1000,
                contact_rate,
                *pct,
                score,
                band,
                low,
                fallen,
            )
        )
    _insert(con, "member_health", rows)
    _insert(con, "health_settings", HEALTH_SETTINGS.items())


def _insert_load_bookkeeping(con: duckdb.DuckDBPyConnection, finished_at: dt.datetime) -> None:
    started_at = finished_at - dt.timedelta(minutes=5)
    older = started_at - dt.timedelta(days=1)
    # Run ids are text made from the start time, as the ETL writes them.
    old_run, run = (moment.strftime("%Y%m%dT%H%M%S%fZ") for moment in (older, started_at))
    _insert(
        con,
        "load_runs",
        [
            (old_run, older, older + dt.timedelta(minutes=4), "portal.toml", AS_OF, "published"),
            (run, started_at, finished_at, "portal.toml", AS_OF, "published"),
        ],
    )

    # The older run read fewer rows of the same log; the page must show the latest run only.
    # data_from and data_to are ISO date text, as the ETL writes them.
    sources = [(old_run, "access_logs", ACCESS_LOG, 500, 500, 0, 0, 0, FIRST_DAY, AS_OF, older)]
    sources += [(run, *row, finished_at - dt.timedelta(minutes=1)) for row in LOAD_SOURCES]
    sources = [(*row[:8], _iso(row[8]), _iso(row[9]), row[10]) for row in sources]
    _insert(con, "load_sources", sources)
    _insert(con, "load_outcomes", [(run, *row) for row in LOAD_OUTCOMES])
    _insert(con, "rejected_rows", _rejected_rows(run))
    _insert(con, "bot_hits_daily", BOT_HITS)


def _iso(day: dt.date | None) -> str | None:
    return None if day is None else day.isoformat()


def _rejected_rows(run: str) -> list[tuple]:
    """Return one rejected row per rejected count in LOAD_OUTCOMES, 12 in all."""
    unparseable = [
        (
            run,
            "access_logs",
            ACCESS_LOG,
            100 + line,
            None,
            None,
            "unparseable_line",
            f"garbage line {line}",
        )
        for line in range(1, 8)
    ]
    bad_time = [
        (
            run,
            "access_logs",
            ACCESS_LOG,
            200 + line,
            "time",
            "31/Feb/2026:10:00:00",
            "invalid_timestamp",
            "1.2.3.4 - - [31/Feb/2026:10:00:00 +0800] ...",
        )
        for line in range(1, 4)
    ]
    return [
        *unparseable,
        *bad_time,
        (run, "portal_db", "members", 8, "company_name", None, "missing_value", "8,,"),
        (
            run,
            "sales_targets",
            "targets.xlsx",
            6,
            "目标金额",
            "=1+2",
            "brand_new_code",
            "2026-03,张伟,=1+2",
        ),
    ]


def _insert_staff_sheets(con: duckdb.DuckDBPyConnection) -> None:
    _insert(
        con,
        "sales_targets",
        [("2026-03-01", "张伟", 100000.0), ("2026-03-01", "李娜", 80000.0)],
    )
    _insert(
        con,
        "call_counts",
        [("2026-03-01", "张伟", 120), ("2026-03-01", "李娜", 95)],
    )
