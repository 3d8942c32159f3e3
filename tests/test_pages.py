"""Each page rendered through Streamlit's AppTest on the fixture snapshot.

The app starts from app.py (navigation and language switch) and switches to each page, as a
user would. Expected numbers are the fixture's hand-chosen values; comments give the sums.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest
from signin import sign_in
from snapshot_fixture import AS_OF, build_snapshot
from streamlit.testing.v1 import AppTest

from dashboard.freshness import is_stale

REPO_ROOT = Path(__file__).resolve().parent.parent
APP = REPO_ROOT / "app.py"
HEALTH = "views/member_health.py"
DETAIL = "views/member_detail.py"
STATUS = "views/data_status.py"
TIMEOUT = 60


def open_page(page: str | None = None, language: str | None = None, **query) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    if Path(os.environ["PORTAL_CONFIG"]).is_file():
        sign_in(at)
    if language:
        at.session_state["lang"] = language
    at.run()
    if page:
        at.query_params.update(query)
        at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {metric.label: metric.value for metric in at.metric}


def column(at: AppTest, index: int, name: str) -> list:
    return at.dataframe[index].value[name].to_list()


# --- member health -------------------------------------------------------------------------


def test_health_metrics(published):
    at = open_page()
    assert at.title[0].value == "会员健康度"
    # 6 paid members: 1 healthy (member 1), 3 watch (3, 4, 5), 1 at risk (2), 1 onboarding (6).
    assert metrics(at) == {"付费会员": "6", "健康": "1", "关注": "3", "风险": "1", "新开通": "1"}


def test_health_table_rows(published):
    at = open_page()
    table = at.dataframe[0].value
    # Lowest score first; the three 50.0 scores by company name; onboarding last.
    assert table["会员ID"].to_list() == [2, 4, 5, 3, 1, 6]
    assert table["健康分"].to_list()[:5] == [30.0, 50.0, 50.0, 50.0, 70.0]
    assert table["健康等级"].to_list() == ["风险", "关注", "关注", "关注", "健康", "新开通"]
    member_2 = table.iloc[0].to_dict()
    assert member_2["公司"] == "宁波精密机械有限公司"
    assert member_2["销售"] == "李娜"
    # Member 2 in the window: 10 views, 2 inquiries, 1 contact view a day over 30 days.
    assert member_2["点击次数"] == 300
    assert member_2["访客数"] == 120
    assert member_2["询价次数"] == 60
    assert member_2["联系方式查看次数"] == 30
    assert member_2["原因"] == "低：点击次数；低：联系方式查看次数；下降：点击次数"
    assert member_2["详情"] == "member_detail?member=2"
    assert table.iloc[4]["原因"] == "低：询价次数"


def test_health_settings_shown(published):
    at = open_page()
    settings = at.dataframe[1].value
    values = dict(zip(settings["设置"], settings["数值"], strict=True))
    assert values["权重：询价次数"] == 0.3
    assert values["健康最低分"] == 60.0
    assert values["评分窗口（天）"] == 30.0
    captions = [caption.value for caption in at.caption]
    assert any("≥ 60 为健康，≥ 40 为关注" in caption for caption in captions)
    assert "已登录：director（销售总监）" in captions


@pytest.mark.parametrize(
    ("key", "value", "expected_ids", "expected_paid"),
    [
        ("health.segment", "化工", [4, 5, 6], "3"),
        ("health.tier", "金牌", [2, 4, 1], "3"),
        ("health.sales_rep", "张伟", [3, 1], "2"),
        ("health.band", "watch", [4, 5, 3], "3"),
    ],
)
def test_health_filters_narrow_rows(published, key, value, expected_ids, expected_paid):
    at = open_page()
    at.selectbox(key=key).set_value(value).run()
    assert not at.exception
    assert column(at, 0, "会员ID") == expected_ids
    assert metrics(at)["付费会员"] == expected_paid


def test_health_filters_combine(published):
    at = open_page()
    at.selectbox(key="health.segment").set_value("机械")
    at.selectbox(key="health.tier").set_value("金牌").run()
    assert column(at, 0, "会员ID") == [2, 1]
    assert metrics(at) == {"付费会员": "2", "健康": "1", "关注": "0", "风险": "1", "新开通": "0"}


def test_health_filter_without_rows(published):
    at = open_page()
    at.selectbox(key="health.segment").set_value("化工")
    at.selectbox(key="health.band").set_value("healthy").run()
    assert not at.exception
    assert [info.value for info in at.info] == ["没有符合筛选条件的付费会员。"]
    assert metrics(at)["付费会员"] == "0"


def test_health_sort(published):
    at = open_page()
    at.selectbox(key="health.sort").set_value("page_views_desc").run()
    # Window page views: 4 -> 900, 1 -> 600, 2 -> 300, 5 -> 240, 3 -> 150, 6 -> 40.
    assert column(at, 0, "会员ID") == [4, 1, 2, 5, 3, 6]


def test_health_exports_offered(published):
    at = open_page()
    labels = [button.label for button in at.get("download_button")]
    assert labels.count("导出 Excel") == 2
    assert labels.count("导出 CSV") == 2


def test_health_row_selection_opens_detail(published):
    at = open_page()
    # Row position 1 of the default order [2, 4, 5, 3, 1, 6] is member 4.
    at.session_state["health.table"] = {"selection": {"rows": [1], "columns": [], "cells": []}}
    at.run()
    assert not at.exception
    assert at.title[0].value == "商铺详情"
    assert at.query_params["member"] == "4"
    assert at.selectbox(key="detail.member").value == 4


def test_english_switch(published):
    at = open_page()
    at.selectbox(key="lang").set_value("en").run()
    assert not at.exception
    assert at.title[0].value == "Member health"
    assert metrics(at) == {
        "Paid members": "6",
        "Healthy": "1",
        "Watch": "3",
        "At risk": "1",
        "Onboarding": "1",
    }
    table = at.dataframe[0].value
    assert list(table.columns[:6]) == [
        "Member ID",
        "Company",
        "Segment",
        "Tier",
        "Sales rep",
        "Page views",
    ]
    assert table.iloc[0]["Band"] == "At risk"
    assert table.iloc[0]["Reasons"] == "low: Page views; low: Contact views; fell: Page views"


# --- member detail -------------------------------------------------------------------------


def test_detail_from_query_param(published):
    at = open_page(DETAIL, member="1")
    assert at.title[0].value == "商铺详情"
    assert at.selectbox(key="detail.member").value == 1
    sources, peers, contracts, keywords = (frame.value for frame in at.dataframe)

    # Member 1 per window day: (10, 4, 2, 1, 1, 2) views by source, x 30 days.
    assert dict(zip(sources["流量来源"], sources["点击次数"], strict=True)) == {
        "搜索引擎": 300,
        "站内": 120,
        "社交媒体": 60,
        "直接访问": 60,
        "广告": 30,
        "其他网站": 30,
    }
    # Peers: members 1 and 2; the median of two values is their mean.
    assert peers["指标"].to_list() == [
        "点击次数",
        "访客数",
        "询价次数",
        "留言条数",
        "联系方式查看次数",
        "广告点击次数",
    ]
    assert peers["本会员"].to_list() == [600, 200, 30, 30, 90, 30]
    assert peers["同组中位数"].to_list() == [450.0, 160.0, 45.0, 15.0, 60.0, 15.0]
    assert peers["同组已评分会员数"].to_list() == [2] * 6

    assert contracts["合同编号"].to_list() == ["101", "102"]
    assert contracts["金额"].to_list() == ["¥3.98万", "¥3.98万"]
    assert keywords["关键词"].to_list() == ["挖掘机配件", "o'ring seal"]
    assert keywords["点击次数"].to_list() == [180, 120]
    assert len(at.get("plotly_chart")) == 2


def test_detail_default_is_lowest_score(published):
    at = open_page(DETAIL)
    # Without ?member= the picker starts at the top of the health list: member 2 (30.0).
    assert at.selectbox(key="detail.member").value == 2
    assert at.query_params["member"] == "2"


def test_detail_picker_changes_member(published):
    at = open_page(DETAIL, member="1")
    at.selectbox(key="detail.member").set_value(4).run()
    contracts = at.dataframe[2].value
    # Member 4 upgraded from 银牌 (¥1.98万) to 金牌 (¥5.98万).
    assert contracts["会员等级"].to_list() == ["银牌", "金牌"]
    assert contracts["金额"].to_list() == ["¥1.98万", "¥5.98万"]
    assert at.query_params["member"] == "4"


def test_detail_english_amounts(published):
    at = open_page(DETAIL, language="en", member="4")
    assert at.title[0].value == "Member detail"
    contracts = at.dataframe[2].value
    assert contracts["Amount"].to_list() == ["¥19,800", "¥59,800"]


@pytest.mark.parametrize("member", ["99", "7", "abc"])
def test_detail_unknown_member(published, member):
    at = open_page(DETAIL, member=member)
    assert [w.value for w in at.warning] == [
        f"会员 {member} 不在您可查看的付费会员中，下面显示的是列表中的第一个会员。"
    ]
    assert at.selectbox(key="detail.member").value == 2


def test_detail_onboarding_member(published):
    at = open_page(DETAIL, member="6")
    peers = at.dataframe[1].value
    # Member 6's only scored peer is member 5.
    assert peers["同组中位数"].to_list() == [240.0, 100.0, 30.0, 0.0, 30.0, 0.0]
    assert [info.value for info in at.info] == ["评分窗口内没有带关键词的搜索引擎访问。"]


# --- data status ---------------------------------------------------------------------------


@pytest.fixture
def recent_load(tmp_path, monkeypatch):
    """A snapshot whose last load finished 5.5 hours ago, for freshness numbers."""
    finished = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(hours=5, minutes=30)
    paths = build_snapshot(tmp_path / "recent", finished_at=finished)
    monkeypatch.setenv("PORTAL_CONFIG", str(paths.config))
    return finished


def test_status_page(recent_load):
    at = open_page(STATUS)
    assert at.title[0].value == "数据状态"
    status_metrics = metrics(at)
    assert status_metrics["完成时间（UTC）"] == recent_load.strftime("%Y-%m-%d %H:%M")
    assert status_metrics["数据截至"] == "2026-03-31"
    assert status_metrics["状态"] == "已发布"
    # 330 minutes since the load; a run slower than 6 minutes would show 5.6.
    assert status_metrics["距上次加载（小时）"] == "5.5"
    today = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()
    days = (today - AS_OF).days
    assert status_metrics["距最新数据（天）"] == f"{days:,}"
    # The newest data (2026-03-31) is more than 2 days old.
    assert [w.value for w in at.warning] == [
        f"数据可能已过时：上次加载在 5.5 小时前，最新数据是 {days:,} 天前。"
        "请运行 `make run` 重新加载。"
    ]


def test_status_tables(published):
    at = open_page(STATUS)
    sources, outcomes, rejected, bots = (frame.value for frame in at.dataframe)
    # Run 2 only; run 1's 500-row access log is not status_metrics.
    assert sources["数据源"].to_list() == ["访问日志", "门户数据库", "销售目标表"]
    assert sources["读取行数"].to_list() == [1000, 8, 5]
    assert sources["载入行数"].to_list() == [850, 7, 4]
    assert sources["拒绝行数"].to_list() == [10, 1, 1]
    assert sources["数据截止日"].to_list() == ["2026-03-31", "—", "2026-03-01"]

    # brand_new_code has no catalog entry yet, so the code itself is status_metrics.
    assert list(zip(outcomes["原因"], outcomes["行数"], strict=True)) == [
        ("无法解析的行", 7),
        ("时间无效", 3),
        ("缺少值", 1),
        ("brand_new_code", 1),
        ("静态资源", 30),
        ("非商铺页面", 10),
    ]
    assert len(rejected) == 12
    last = rejected.iloc[-1].to_dict()
    assert (last["文件"], last["行号"], last["列"], last["值"]) == (
        "targets.xlsx",
        6,
        "目标金额",
        "=1+2",
    )
    assert bots["请求数"].to_list() == [200, 5]
    assert bots["识别方式"].to_list() == ["用户代理", "访问 robots.txt"]


def test_status_page_file_alone(published):
    """The page file also runs on its own, in Chinese by default."""
    at = sign_in(AppTest.from_file(REPO_ROOT / STATUS, default_timeout=TIMEOUT)).run()
    assert not at.exception
    assert at.title[0].value == "数据状态"
    assert len(at.dataframe) == 4


@pytest.mark.parametrize(
    ("hours", "days", "stale"),
    [(5.5, 0, False), (48.0, 2, False), (48.5, 0, True), (1.0, 3, True), (None, None, False)],
)
def test_is_stale(hours, days, stale):
    assert is_stale(hours, days, 2) is stale


# --- no snapshot, new snapshot -------------------------------------------------------------


@pytest.mark.parametrize("page", [None, DETAIL, STATUS])
def test_missing_config_message(tmp_path, monkeypatch, page):
    monkeypatch.setenv("PORTAL_CONFIG", str(tmp_path / "absent.toml"))
    at = open_page(page)
    (info,) = at.info
    assert info.value.startswith("尚未加载数据：找不到配置文件")
    assert "`make run`" in info.value
    assert "python -m etl load --config" in info.value
    assert not at.dataframe


def test_missing_snapshot_message(tmp_path, monkeypatch):
    from snapshot_fixture import write_portal_config

    config = write_portal_config(tmp_path / "empty")
    monkeypatch.setenv("PORTAL_CONFIG", str(config))
    at = open_page(language="en")
    (info,) = at.info
    link = tmp_path / "empty" / "warehouse" / "current.duckdb"
    assert info.value == (
        f"No data has been loaded yet: {link} does not exist. Run `make run`, or "
        f"`python -m etl load --config {config}`, then reload this page."
    )


def test_new_publish_read_on_rerun(published):
    at = open_page()
    assert metrics(at)["付费会员"] == "6"

    # Publish a second snapshot without member 6, as a load replaces the link.
    paths = build_snapshot(published.config.parent, snapshot_name="snapshot-2.duckdb")
    con = duckdb.connect(str(paths.snapshot))
    con.execute("delete from member_health where member_id = 6")
    con.close()

    at.run()
    assert metrics(at)["付费会员"] == "5"
    assert metrics(at)["新开通"] == "0"


def test_empty_tables_show_sentences(published):
    con = duckdb.connect(str(published.snapshot))
    for (table,) in con.execute("select table_name from information_schema.tables").fetchall():
        con.execute(f'delete from "{table}"')
    con.close()

    at = open_page()
    assert [info.value for info in at.info] == ["没有符合筛选条件的付费会员。"]
    assert metrics(at)["付费会员"] == "0"
    at.switch_page(DETAIL).run()
    assert not at.exception
    assert [info.value for info in at.info] == ["暂无可查看的付费会员。"]
    at.switch_page(STATUS).run()
    assert not at.exception
    assert [info.value for info in at.info] == [
        "快照中没有加载记录。",
        "最近一次加载没有数据源记录。",
        "最近一次加载没有跳过或拒绝任何行。",
        "最近一次加载没有被拒绝的行。",
        "快照中没有爬虫请求记录。",
    ]


def test_no_pages_folder_beside_app():
    """Streamlit serves a pages/ folder by file name without app.py, skipping login and language."""
    assert not (REPO_ROOT / "pages").exists()


@pytest.mark.parametrize("value", ["9" * 5000, "x" * 5000])
def test_detail_long_member_parameter_shortened(published, value):
    at = open_page(DETAIL, member=value)

    # The first 39 characters of the value and an ellipsis, 40 in all.
    assert [w.value for w in at.warning] == [
        f"会员 {value[:39]}… 不在您可查看的付费会员中，下面显示的是列表中的第一个会员。"
    ]
