"""Each queries/*.sql file run with bound parameters on the fixture snapshot.

Expected rows come from the hand-chosen numbers in snapshot_fixture.py; each comment shows
the arithmetic.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest
from market_fixture import QUERY_PARAMS as MARKET_QUERY_PARAMS
from renewal_fixture import QUERY_PARAMS as RENEWAL_QUERY_PARAMS
from snapshot_fixture import AS_OF, RUN_FINISHED_AT

from queries import query_names, run_query
from queries.access import Viewer

DIRECTOR = Viewer(username="director", role="director")

ALL = {"segment": None, "tier": None, "sales_rep": None, "band": None}


@pytest.fixture
def con(published):
    connection = duckdb.connect(str(published.current), read_only=True)
    yield connection
    connection.close()


def rows(frame, columns):
    return [tuple(row) for row in frame[columns].itertuples(index=False, name=None)]


def test_every_query_file_runs(con):
    params = {
        "member_health_list": ALL,
        "member_health_band_counts": ALL,
        "member_profile": {"member_id": 1},
        "member_daily_metrics": {"member_id": 1},
        "member_traffic_sources": {"member_id": 1},
        "member_vs_peer_median": {"member_id": 1},
        "member_contracts": {"member_id": 1},
        "member_contacts": {"member_id": 1},
        "member_top_keywords": {"member_id": 1, "max_rows": 5},
        "last_load_run": {"now_utc": RUN_FINISHED_AT, "today": AS_OF},
        "rejected_rows_sample": {"max_rows": 5},
    }
    params.update(MARKET_QUERY_PARAMS)
    params.update(RENEWAL_QUERY_PARAMS)
    for name in sorted(query_names()):
        frame = run_query(con, name, params.get(name, {}), viewer=DIRECTOR)
        assert len(frame) > 0, name


def test_health_list_order_and_cells(con):
    frame = run_query(con, "member_health_list", ALL, viewer=DIRECTOR)
    # Scores ascending, onboarding (null score) last; ties at 50.0 by company name.
    assert frame["member_id"].to_list() == [2, 4, 5, 3, 1, 6]
    member_2 = frame[frame["member_id"] == 2].iloc[0]
    assert member_2["company_name"] == "宁波精密机械有限公司"
    assert member_2["sales_rep"] == "李娜"
    # 10 views a day x 30 days; 2 inquiries a day x 30 days.
    assert member_2["page_views"] == 300
    assert member_2["inquiries"] == 60
    assert member_2["health_score"] == 30.0
    assert member_2["band"] == "at_risk"
    assert member_2["low_reasons"] == "page_views,contact_views"
    assert member_2["fallen_metrics"] == "page_views"


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"segment": "化工"}, [4, 5, 6]),
        ({"tier": "金牌"}, [2, 4, 1]),
        ({"sales_rep": "张伟"}, [3, 1]),
        ({"band": "watch"}, [4, 5, 3]),
        ({"segment": "机械", "tier": "金牌"}, [2, 1]),
        ({"segment": "机械", "band": "onboarding"}, []),
    ],
)
def test_health_list_filters(con, filters, expected):
    frame = run_query(con, "member_health_list", {**ALL, **filters}, viewer=DIRECTOR)
    assert frame["member_id"].to_list() == expected


@pytest.mark.parametrize(
    "hostile",
    ["机械' or '1'='1", "'; drop table members; --", '化工" or 1=1 --', "%", "机械 --"],
)
def test_hostile_filter_values_match_nothing(con, hostile):
    for column in ("segment", "tier", "sales_rep", "band"):
        frame = run_query(con, "member_health_list", {**ALL, column: hostile}, viewer=DIRECTOR)
        assert frame.empty, column
    counts = run_query(
        con, "member_health_band_counts", {**ALL, "segment": hostile}, viewer=DIRECTOR
    )
    assert counts.empty
    assert run_query(con, "member_contracts", {"member_id": 1}, viewer=DIRECTOR)[
        "contract_id"
    ].to_list() == [
        101,
        102,
    ]


def test_band_counts(con):
    frame = run_query(con, "member_health_band_counts", ALL, viewer=DIRECTOR)
    assert dict(zip(frame["band"], frame["members"], strict=True)) == {
        "at_risk": 1,
        "healthy": 1,
        "onboarding": 1,
        "watch": 3,
    }
    chemicals = run_query(
        con, "member_health_band_counts", {**ALL, "segment": "化工"}, viewer=DIRECTOR
    )
    assert dict(zip(chemicals["band"], chemicals["members"], strict=True)) == {
        "onboarding": 1,
        "watch": 2,
    }


def test_filter_options(con):
    frame = run_query(con, "member_health_filter_options", {}, viewer=DIRECTOR)
    assert sorted(frame["segment"].unique()) == ["化工", "机械"]
    assert sorted(frame["sales_rep"].unique()) == ["张伟", "李娜", "王芳"]
    assert len(frame) == 6


def test_member_profile(con):
    profile = run_query(con, "member_profile", {"member_id": 4}, viewer=DIRECTOR).iloc[0]
    assert profile["company_name"] == "上海华东化工有限公司"
    assert profile["current_tier"] == "金牌"
    assert profile["health_score"] == 50.0
    assert profile["window_start"].date() == dt.date(2026, 3, 2)
    former = run_query(con, "member_profile", {"member_id": 7}, viewer=DIRECTOR).iloc[0]
    assert not former["is_paid"]
    assert former["band"] is None


def test_daily_metrics(con):
    frame = run_query(con, "member_daily_metrics", {"member_id": 2}, viewer=DIRECTOR)
    # 2026-01-31 to 2026-03-31 is 60 days: 30 at 20 views, then 30 at 10 views.
    assert len(frame) == 60
    assert frame["page_views"].sum() == 30 * 20 + 30 * 10
    assert frame["day"].iloc[0].date() == dt.date(2026, 1, 31)
    onboarding = run_query(con, "member_daily_metrics", {"member_id": 6}, viewer=DIRECTOR)
    assert len(onboarding) == 10


def test_traffic_sources_over_window(con):
    frame = run_query(con, "member_traffic_sources", {"member_id": 2}, viewer=DIRECTOR)
    # Member 2 in the window: (5, 2, 1, 0, 0, 2) views a day x 30 days.
    assert rows(frame, ["source_class", "page_views"]) == [
        ("search", 150),
        ("direct", 60),
        ("internal", 60),
        ("social", 30),
        ("ad", 0),
        ("referral", 0),
    ]
    assert run_query(con, "member_traffic_sources", {"member_id": 7}, viewer=DIRECTOR).empty


def test_member_vs_peer_median(con):
    frame = run_query(con, "member_vs_peer_median", {"member_id": 1}, viewer=DIRECTOR)
    # Peers of member 1 are members 1 and 2: median of 600 and 300 is 450, and so on.
    assert rows(frame, ["metric", "member_value", "peer_median", "peer_count"]) == [
        ("page_views", 600, 450.0, 2),
        ("unique_visitors", 200, 160.0, 2),
        ("inquiries", 30, 45.0, 2),
        ("messages", 30, 15.0, 2),
        ("contact_views", 90, 60.0, 2),
        ("ad_clicks", 30, 15.0, 2),
    ]
    # Onboarding member 6 is compared with the one scored peer, member 5.
    onboarding = run_query(con, "member_vs_peer_median", {"member_id": 6}, viewer=DIRECTOR)
    assert onboarding["peer_median"].to_list() == [240.0, 100.0, 30.0, 0.0, 30.0, 0.0]
    assert onboarding["member_value"].to_list() == [40, 15, 0, 0, 10, 0]


def test_contracts(con):
    frame = run_query(con, "member_contracts", {"member_id": 4}, viewer=DIRECTOR)
    assert rows(frame, ["contract_id", "tier", "amount_cny"]) == [
        (401, "银牌", 19800.0),
        (402, "金牌", 59800.0),
    ]


def test_top_keywords_in_window_only(con):
    frame = run_query(con, "member_top_keywords", {"member_id": 1, "max_rows": 10}, viewer=DIRECTOR)
    # 6 and 4 views a day over 30 window days; 旧关键词 lies in the previous window.
    assert rows(frame, ["keyword_rank", "keyword", "search_engine", "page_views"]) == [
        (1, "挖掘机配件", "baidu", 180),
        (2, "o'ring seal", "bing", 120),
    ]
    top_one = run_query(
        con, "member_top_keywords", {"member_id": 1, "max_rows": 1}, viewer=DIRECTOR
    )
    assert top_one["keyword"].to_list() == ["挖掘机配件"]


def test_health_settings(con):
    frame = run_query(con, "health_settings", {}, viewer=DIRECTOR)
    settings = dict(zip(frame["key"], frame["value"], strict=True))
    assert settings["healthy_min"] == 60.0
    assert settings["weight.inquiries"] == 0.3
    assert len(settings) == 11


def test_last_load_run_freshness(con):
    now = RUN_FINISHED_AT + dt.timedelta(hours=5, minutes=30)
    frame = run_query(
        con, "last_load_run", {"now_utc": now, "today": dt.date(2026, 4, 3)}, viewer=DIRECTOR
    )
    run = frame.iloc[0]
    # Run ids are the start time as text: 01:05 finish minus 5 minutes.
    assert run["run_id"] == "20260401T010000000000Z"
    assert run["status"] == "published"
    # 330 minutes / 60 = 5.5 hours; 2026-04-03 minus data_to 2026-03-31 = 3 days.
    assert run["hours_since_load"] == 5.5
    assert run["days_since_data"] == 3


def test_load_status_latest_run_only(con):
    frame = run_query(con, "load_status_by_source", {}, viewer=DIRECTOR)
    assert rows(
        frame, ["source", "read_rows", "loaded_rows", "bot_rows", "skipped_rows", "rejected_rows"]
    ) == [
        ("access_logs", 1000, 850, 100, 40, 10),
        ("portal_db", 8, 7, 0, 0, 1),
        ("sales_targets", 5, 4, 0, 0, 1),
    ]


def test_outcomes_by_reason(con):
    frame = run_query(con, "load_outcomes_by_reason", {}, viewer=DIRECTOR)
    assert rows(frame, ["outcome", "reason", "row_count"]) == [
        ("rejected", "unparseable_line", 7),
        ("rejected", "invalid_timestamp", 3),
        ("rejected", "missing_value", 1),
        ("rejected", "brand_new_code", 1),
        ("skipped", "static_asset", 30),
        ("skipped", "not_shop_page", 10),
    ]


def test_rejected_rows_sample(con):
    frame = run_query(con, "rejected_rows_sample", {"max_rows": 100}, viewer=DIRECTOR)
    assert len(frame) == 12
    limited = run_query(con, "rejected_rows_sample", {"max_rows": 3}, viewer=DIRECTOR)
    assert limited["line_no"].to_list() == [101, 102, 103]


def test_bot_hits_summary(con):
    frame = run_query(con, "bot_hits_summary", {}, viewer=DIRECTOR)
    assert rows(frame, ["bot_name", "hits", "shop_hits"]) == [
        ("Baiduspider", 200, 170),
        ("Googlebot", 5, 0),
    ]


@pytest.mark.parametrize("name", ["../etl/config", "members; drop table x", "missing_query"])
def test_unknown_query_name_rejected(con, name):
    with pytest.raises(ValueError, match="Unknown query"):
        run_query(con, name, {}, viewer=DIRECTOR)


def test_health_settings_order(con):
    frame = run_query(con, "health_settings", {}, viewer=DIRECTOR)
    assert frame["key"].to_list()[:6] == [
        "window_days",
        "onboarding_days",
        "healthy_min",
        "watch_min",
        "fall_share",
        "weight.page_views",
    ]
