"""End-to-end loads of the tiny portal (tests/tiny_portal.py), numbers computed by hand."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest
import sqlalchemy as sa
from tiny_portal import LOG_LINES, write_portal

from etl.__main__ import main
from etl.errors import ConfigError, LoadError, SourceError
from etl.load import run_load

PUBLISHED_TABLES = (
    "members",
    "contracts",
    "member_daily",
    "member_search_keywords",
    "member_health",
    "health_settings",
    "sales_targets",
    "call_counts",
    "bot_hits_daily",
)


@pytest.fixture
def portal(tmp_path: Path) -> Path:
    return write_portal(tmp_path / "portal")


def connect(config: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(config.parent / "warehouse" / "current.duckdb"), read_only=True)


@contextmanager
def sqlalchemy_connection(path: Path) -> Iterator[sa.Connection]:
    engine = sa.create_engine(f"sqlite:///{path}")
    try:
        with engine.begin() as connection:
            yield connection
    finally:
        engine.dispose()


def rows_of(con: duckdb.DuckDBPyConnection, sql: str, *params: object) -> list[tuple]:
    return con.execute(sql, list(params)).fetchall()


def test_load_publishes_snapshot(portal: Path) -> None:
    report = run_load(portal, progress=False)

    assert report.as_of == dt.date(2026, 11, 30)
    assert report.snapshot is not None
    assert (portal.parent / "warehouse" / "current.duckdb").resolve() == report.snapshot
    with connect(portal) as con:
        tables = {
            row[0] for row in rows_of(con, "select table_name from information_schema.tables")
        }
    assert not any(name.startswith("stg_") for name in tables)
    assert set(PUBLISHED_TABLES) <= tables


def test_member_daily_page_views_and_sources(portal: Path) -> None:
    run_load(portal, progress=False)

    with connect(portal) as con:
        # From the first log day: 42 days (2026-10-20..11-30) for members 1, 2 and 3, and
        # 2026-11-20..30 (11 days) for member 5: 3 * 42 + 11 = 137.
        assert rows_of(con, "select count(*) from member_daily") == [(137,)]
        assert rows_of(con, "select count(*) from member_daily where member_id = 4") == [(0,)]
        daily = rows_of(
            con,
            "select member_id, day, page_views, unique_visitors, views_search, views_internal,"
            " views_social, views_ad, views_referral, views_direct, inquiries, messages,"
            " contact_views, ad_clicks from member_daily where page_views > 0"
            " order by member_id, day",
        )
    d = dt.date
    assert daily == [
        # Member 1: two October days from one visitor.
        (1, d(2026, 10, 20), 2, 1, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0),
        (1, d(2026, 10, 21), 1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0),
        # Baidu search plus a portal search from 1.1.1.1; the logo is an asset.
        (1, d(2026, 11, 10), 2, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0),
        (1, d(2026, 11, 11), 1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0),
        # The crawler's view on 12 Nov is not counted; the utm_ view is ad traffic.
        (1, d(2026, 11, 12), 1, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0),
        # 31 Oct 16:30 UTC is 1 Nov 00:30 in Shanghai.
        (2, d(2026, 11, 1), 1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0),
        # Same address, two agents: two visitors, one WeChat view and one referral.
        (2, d(2026, 11, 15), 2, 2, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0),
        (3, d(2026, 10, 22), 1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0),
        (3, d(2026, 10, 23), 1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0),
        (5, d(2026, 11, 25), 1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0),
    ]


def test_member_daily_portal_events(portal: Path) -> None:
    run_load(portal, progress=False)

    with connect(portal) as con:
        totals = rows_of(
            con,
            "select member_id, sum(inquiries), sum(messages), sum(contact_views), sum(ad_clicks)"
            " from member_daily group by member_id order by member_id",
        )
    # Member 3's two inquiries of 10 and 11 October come before the first log day, so
    # member_daily leaves them out; the health score still counts them (see below).
    assert totals == [(1, 3, 0, 1, 0), (2, 1, 2, 1, 0), (3, 0, 1, 0, 1), (5, 0, 0, 0, 0)]


def test_search_keyword_recorded(portal: Path) -> None:
    run_load(portal, progress=False)

    with connect(portal) as con:
        keywords = rows_of(con, "select * from member_search_keywords")
    assert keywords == [(1, dt.date(2026, 11, 10), "Baidu", "挖掘机", 1)]


def test_health_scores_of_peer_group(portal: Path) -> None:
    """Peer group 机床/银牌会员 = members 1, 2, 3; percentile = 100 * (rank - 1) / 2.

    Window totals (page views, visitors, inquiries, messages, contact views, ad clicks):
    member 1: 4, 3, 3, 0, 1, 0; member 2: 3, 3, 1, 2, 1, 0; member 3: 0, 0, 0, 1, 0, 1.
    Percentiles: page views 100/50/0; visitors 75/75/0 (tie of ranks 2 and 3); inquiries
    100/50/0; messages 0/100/50; contact views 75/75/0; ad clicks 25/25/100.
    Weights .2 .15 .3 .1 .2 .05:
    member 1: 20 + 11.25 + 30 + 0 + 15 + 1.25 = 77.5 (healthy)
    member 2: 10 + 11.25 + 15 + 10 + 15 + 1.25 = 62.5 (healthy)
    member 3: 0 + 0 + 0 + 5 + 0 + 5 = 10.0 (at risk)
    Low reasons by weight * (100 - percentile) among percentiles below 50: member 1 messages
    10, ad clicks 3.75; member 2 ad clicks 3.75; member 3 inquiries 30, then page views and
    contact views tie at 20 and the earlier metric wins.
    """
    run_load(portal, progress=False)

    with connect(portal) as con:
        health = rows_of(
            con,
            "select member_id, segment, tier, peer_count, status, page_views, unique_visitors,"
            " inquiries, messages, contact_views, ad_clicks, pct_page_views,"
            " pct_unique_visitors, pct_inquiries, pct_messages, pct_contact_views,"
            " pct_ad_clicks, health_score, band, low_reasons from member_health"
            " where status = 'scored' order by member_id",
        )
    assert health == [
        (
            1,
            "机床",
            "银牌会员",
            3,
            "scored",
            4,
            3,
            3,
            0,
            1,
            0,
            100.0,
            75.0,
            100.0,
            0.0,
            75.0,
            25.0,
            77.5,
            "healthy",
            "messages,ad_clicks",
        ),
        (
            2,
            "机床",
            "银牌会员",
            3,
            "scored",
            3,
            3,
            1,
            2,
            1,
            0,
            50.0,
            75.0,
            50.0,
            100.0,
            75.0,
            25.0,
            62.5,
            "healthy",
            "ad_clicks",
        ),
        (
            3,
            "机床",
            "银牌会员",
            3,
            "scored",
            0,
            0,
            0,
            1,
            0,
            1,
            0.0,
            0.0,
            0.0,
            50.0,
            0.0,
            100.0,
            10.0,
            "at_risk",
            "inquiries,page_views",
        ),
    ]


def test_health_falls_and_rates(portal: Path) -> None:
    run_load(portal, progress=False)

    with connect(portal) as con:
        rows = rows_of(
            con,
            "select member_id, prev_page_views, prev_unique_visitors, prev_inquiries,"
            " fallen_metrics, inquiries_per_1000_views, contact_view_rate"
            " from member_health order by member_id",
        )
    by_member = {row[0]: row[1:] for row in rows}
    # Member 1: 3 October views from one visitor, more in November: no fall.
    assert by_member[1][:4] == (3, 1, 0, "")
    # 3 inquiries * 1000 / 4 views; 1 contact view / 4 views.
    assert by_member[1][4:] == (750.0, 0.25)
    # Member 3: 2 views, 1 visitor and 2 inquiries in October, none in November.
    assert by_member[3][:4] == (2, 1, 2, "page_views,unique_visitors,inquiries")
    assert by_member[3][4:] == (None, None)


def test_onboarding_member_not_scored(portal: Path) -> None:
    run_load(portal, progress=False)

    with connect(portal) as con:
        row = rows_of(
            con,
            "select status, band, health_score, pct_page_views, page_views, peer_count"
            " from member_health where member_id = 5",
        )
    # Member 5 started 2026-11-20, 10 days before as_of: under 28 days, onboarding.
    assert row == [("onboarding", "onboarding", None, None, 1, 0)]


def test_members_mart_paid_status(portal: Path) -> None:
    run_load(portal, progress=False)

    with connect(portal) as con:
        members = rows_of(
            con, "select member_id, is_paid, current_tier, first_paid_on from members"
        )
    d = dt.date
    assert members == [
        (1, True, "银牌会员", d(2026, 1, 1)),
        (2, True, "银牌会员", d(2026, 2, 1)),
        (3, True, "银牌会员", d(2025, 6, 1)),
        (4, False, None, d(2023, 3, 1)),
        (5, True, "金牌会员", d(2026, 11, 20)),
    ]


def test_load_report_reconciles(portal: Path) -> None:
    report = run_load(portal, progress=False)

    log_stats = [s for s in report.stats if s.file.endswith("access.log")]
    assert len(log_stats) == 1
    stats = log_stats[0]
    # 17 lines: 14 shop page views (member 4's view counts too, because it is a known shop
    # even though it is not paid), 1 crawler, 1 asset and 1 malformed line.
    assert stats.read == 17
    assert stats.loaded == 14
    assert stats.bots == 1
    assert sum(stats.skipped.values()) == 1
    assert sum(stats.rejected.values()) == 1
    assert all(s.reconciles() for s in report.stats)
    rendered = report.render().splitlines()
    assert "access_logs         1          17          14         1          1         1" in (
        rendered
    )
    assert "  rejected access_logs unparseable_line: 1" in rendered

    with connect(portal) as con:
        rejected = rows_of(con, "select source, file, line_no, reason from rejected_rows")
    assert len(rejected) == 1
    assert rejected[0][2] == 16
    assert rejected[0][1].endswith("access.log")


def test_sheets_loaded(portal: Path) -> None:
    run_load(portal, progress=False)

    with connect(portal) as con:
        targets = rows_of(con, "select * from sales_targets order by sales_rep")
        calls = rows_of(con, "select * from call_counts order by sales_rep")
    november = dt.date(2026, 11, 1)
    assert targets == [(november, "王强", 120000.0), (november, "赵敏", 80000.0)]
    assert calls == [(november, "王强", 310), (november, "赵敏", 285)]


def test_second_load_changes_nothing(portal: Path) -> None:
    first = run_load(portal, progress=False)
    second = run_load(portal, progress=False)

    assert first.snapshot != second.snapshot
    for table in PUBLISHED_TABLES:
        with duckdb.connect(str(first.snapshot), read_only=True) as con:
            before = con.execute(f"select * from {table} order by all").fetchall()
        with duckdb.connect(str(second.snapshot), read_only=True) as con:
            after = con.execute(f"select * from {table} order by all").fetchall()
        assert before == after, table
    with connect(portal) as con:
        assert rows_of(con, "select count(*) from load_runs") == [(2,)]


def test_missing_log_keeps_last_snapshot(portal: Path) -> None:
    first = run_load(portal, progress=False)
    shutil.rmtree(portal.parent / "logs")

    with pytest.raises(SourceError, match=r"logs/access\.log\*"):
        run_load(portal, progress=False)

    assert (portal.parent / "warehouse" / "current.duckdb").resolve() == first.snapshot
    leftovers = list((portal.parent / "warehouse" / "snapshots").glob("*.building"))
    assert leftovers == []


def test_sheet_without_column_keeps_last_snapshot(portal: Path) -> None:
    first = run_load(portal, progress=False)
    sheet = portal.parent / "电话统计.csv"
    sheet.write_text("月份,销售\n2026-11,王强\n", encoding="gbk")

    with pytest.raises(SourceError, match="通话次数"):
        run_load(portal, progress=False)

    assert (portal.parent / "warehouse" / "current.duckdb").resolve() == first.snapshot


def test_config_wrong_type_names_key(portal: Path) -> None:
    text = portal.read_text(encoding="utf-8").replace('dir = "warehouse"', "dir = 5")
    portal.write_text(text, encoding="utf-8")

    with pytest.raises(ConfigError, match=r"warehouse\.dir must be a string, got int 5"):
        run_load(portal, progress=False)


def test_missing_database_names_file(portal: Path) -> None:
    os.remove(portal.parent / "portal.db")

    with pytest.raises(LoadError, match=r"portal\.db not found"):
        run_load(portal, progress=False)


def test_cli_exit_status(portal: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["load", "--config", str(portal), "--no-progress"]) == 0
    assert "Published" in capsys.readouterr().out

    os.remove(portal.parent / "portal.db")
    assert main(["load", "--config", str(portal), "--no-progress"]) == 1


def test_real_apache_log_reconciles(tmp_path: Path) -> None:
    """The real 10,000-line Apache log, loaded end to end with three paths mapped to shops.

    The split per outcome is the one tests/test_real_log.py derives without the loader; here
    "articles" is not a shop path, so its 230 lines count as not_shop_page instead of
    unknown_shop and the skipped total stays 5,216 + 394 + 230 + 274 + 41 = 6,155.
    """
    config = write_portal(tmp_path / "portal", log_lines=[])
    real_log = Path(__file__).parent / "data" / "real-logs" / "apache-combined-2015-05.log"
    shutil.copy(real_log, config.parent / "logs" / "access.log")
    with sqlalchemy_connection(config.parent / "portal.db") as connection:
        for member_id, slug in ((1, "presentations"), (2, "blog"), (3, "projects")):
            connection.exec_driver_sql(
                "update qy_company set shopname = ? where cid = ?", (slug, member_id)
            )
        connection.exec_driver_sql(
            "update hy_contract set kaishi = '2015-01-01', jieshu = '2015-12-31'"
            " where hid in (11, 12, 14)"
        )
    text = config.read_text(encoding="utf-8").replace('as_of = "2026-11-30"\n', "")
    config.write_text(
        text.replace(
            'portal_hosts = ["www.tiny-portal.cn"]',
            'portal_hosts = ["semicomplete.com", "www.semicomplete.com"]\n'
            'shop_path_patterns = ["^/(?P<shop>presentations|blog|projects)/"]',
        ),
        encoding="utf-8",
    )

    report = run_load(config, progress=False)

    stats = next(s for s in report.stats if s.source == "access_logs")
    assert stats.read == 10_000
    assert stats.loaded == 1_087
    assert stats.bots == 2_583 + 174
    assert sum(stats.skipped.values()) == 6_155
    assert dict(stats.rejected) == {"unparseable_line": 1}
    with connect(config) as con:
        assert rows_of(con, "select sum(page_views) from member_daily") == [(1_087,)]
        assert rows_of(con, "select sum(hits) from bot_hits_daily") == [(2_757,)]
        assert rows_of(con, "select count(*) from rejected_rows where source = 'access_logs'") == [
            (1,)
        ]


def test_cli_demo_end_date_yesterday(tmp_path: Path) -> None:
    """`--end-date yesterday` names the day before today in Asia/Shanghai."""
    out = tmp_path / "demo"
    shanghai_today = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()

    assert main(["demo", "--out", str(out), "--scale", "0.05", "--end-date", "yesterday"]) == 0

    last_log = sorted((out / "logs").glob("access.log-*.gz"))[-1].name
    yesterday = shanghai_today - dt.timedelta(days=1)
    assert last_log == f"access.log-{yesterday:%Y%m%d}.gz"


def test_cli_demo_rejects_bad_end_date(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["demo", "--out", str(tmp_path), "--end-date", "30/11/2026"])

    assert exit_info.value.code == 2


def test_future_log_line_keeps_as_of(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    future = LOG_LINES[0].replace("20/Oct/2026:09:00:00", "01/Jan/2099:10:00:00")
    config = write_portal(tmp_path / "portal", log_lines=[*LOG_LINES, future])
    text = config.read_text(encoding="utf-8").replace('as_of = "2026-11-30"\n', "")
    config.write_text(text, encoding="utf-8")

    report = run_load(config, progress=False)

    # The last real day in the log is 25 November (member 5's view).
    assert report.as_of == dt.date(2026, 11, 25)
    assert "1 access-log rows are dated after today" in caplog.text
    with connect(config) as con:
        assert rows_of(con, "select count(*) from member_health where status = 'scored'") == [(3,)]
        assert rows_of(con, "select max(day) from member_daily") == [(dt.date(2026, 11, 25),)]


def test_as_of_after_data_warns(portal: Path, caplog: pytest.LogCaptureFixture) -> None:
    text = portal.read_text(encoding="utf-8").replace("2026-11-30", "2027-06-01")
    portal.write_text(text, encoding="utf-8")

    run_load(portal, progress=False)

    assert "portal.as_of 2027-06-01 is after the last day with data (2026-11-25)" in caplog.text


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--scale", "0"], "invalid scale '0'"),
        (["--scale", "-1"], "invalid scale '-1'"),
        (["--scale", "big"], "invalid scale 'big'"),
    ],
)
def test_cli_demo_usage_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], arguments: list[str], message: str
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["demo", "--out", str(tmp_path), *arguments])

    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_cli_demo_out_is_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    existing = tmp_path / "portal.toml"
    existing.write_text("", encoding="utf-8")

    with pytest.raises(SystemExit) as exit_info:
        main(["demo", "--out", str(existing)])

    assert exit_info.value.code == 2
    assert "exists and is not a directory" in capsys.readouterr().err
