"""The market-share and sales pages through Streamlit's AppTest on the fixture snapshot.

The numbers follow from snapshot_fixture.py (members, contracts, sheets; as of 2026-03-31)
and market_fixture.py (lists, follow-ups, teams, shop openings); comments give the sums.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from signin import sign_in
from streamlit.testing.v1 import AppTest

REPO_ROOT = Path(__file__).resolve().parent.parent
APP = REPO_ROOT / "app.py"
MARKET = "views/market_share.py"
SALES = "views/sales.py"
TIMEOUT = 60


def open_page(page: str, role: str = "director", language: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    if Path(os.environ["PORTAL_CONFIG"]).is_file():
        sign_in(at, role=role, staff_name="张伟" if role == "sales_rep" else None)
    if language:
        at.session_state["lang"] = language
    at.run()
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {metric.label: metric.value for metric in at.metric}


# Position of each table on its page, in the order the page draws them.
TABLES = {
    "market.segments": 0,
    "market.drill": 1,
    "market.targets": 2,
    "market.review": 3,
    "sales.teams": 0,
    "sales.reps": 1,
    "sales.calls": 2,
    "sales.stale": 3,
    "sales.open": 4,
    "sales.late": 5,
}


def frame(at: AppTest, name: str):
    return at.dataframe[TABLES[name]].value


# --- market share ----------------------------------------------------------------------------


def test_market_totals(published):
    at = open_page(MARKET)
    assert at.title[0].value == "行业占有率"
    # Known: 7 members + 6 companies only in the list (巨力, 东海, 新材料 under review, 长江,
    # 江南, 西湖) = 13; paying: members 1-6; 6 / 13 = 46.2%. 化工 (3/7) is below it.
    assert metrics(at) == {
        "已知企业": "13",
        "已注册": "7",
        "付费会员": "6",
        "整体渗透率": "46.2%",
        "渗透率低于整体的行业": "1",
    }


def test_market_segment_table(published):
    table = frame(open_page(MARKET), "market.segments").set_index("行业")
    # 化工: members 4, 5, 6 + 新材料, 长江, 江南, 西湖 = 7 known, 3 paying: 3/7.
    assert table.loc["化工", "已知企业"] == 7
    assert table.loc["化工", "渗透率"] == pytest.approx(3 / 7)
    assert table.loc["化工", "覆盖"] == "偏低"
    # 机械: members 1, 2, 3, 7 + 巨力, 东海 = 6 known, 3 paying.
    assert table.loc["机械", "渗透率"] == pytest.approx(0.5)
    assert table.loc["机械", "覆盖"] == "正常"
    # Revenue, contracts starting 2025-04-01..2026-03-31: 机械 102 + 201 + 301
    # = 39,800 + 39,800 + 19,800 = 99,400; 化工 402 + 501 + 601 = 59,800 + 12,000 + 9,800
    # = 81,600; share 99,400 / 181,000.
    assert table.loc["机械", "营收（元）"] == 99_400
    assert table.loc["化工", "营收（元）"] == 81_600
    assert table.loc["机械", "营收占比"] == pytest.approx(99_400 / 181_000)
    # A year earlier (2025-03-31) 机械 had 6 known and 1 paying (contract 101): 1/6, so the
    # change is (1/2 - 1/6) × 100 = 33.3 points.
    assert table.loc["机械", "渗透率同比（百分点）"] == pytest.approx(33.3)
    # HHI of 化工: (59,800² + 12,000² + 9,800²) / 81,600² × 10,000 = 5,731 (rounded).
    assert table.loc["化工", "营收集中度（HHI）"] == 5731
    assert list(table.index) == ["化工", "机械"]  # lowest penetration first


def test_market_targets_and_review(published):
    at = open_page(MARKET)
    targets = frame(at, "market.targets")
    assert targets["公司"].tolist() == ["巨力起重有限公司", "长江化工有限公司"]
    assert targets["从未注册"].tolist() == ["是", "是"]
    review = frame(at, "market.review")
    assert list(zip(review["行号"], review["原因"], strict=True)) == [
        (4, "地区不一致"),
        (9, "信用代码校验位错误"),
    ]
    assert review["会员ID"].tolist()[0] == 5


def test_market_drill_down(published):
    at = open_page(MARKET)
    at.selectbox(key="market.drill_segment").set_value("化工")
    at.selectbox(key="market.drill_group").set_value("big_never_registered").run()
    companies = frame(at, "market.drill")
    assert companies["公司"].tolist() == ["长江化工有限公司"]
    assert companies["员工人数"].tolist() == [900]

    at.selectbox(key="market.drill_group").set_value("paying").run()
    assert sorted(frame(at, "market.drill")["会员ID"].tolist()) == [4, 5, 6]


def test_market_page_in_english(published):
    at = open_page(MARKET, language="en")
    assert at.title[0].value == "Market share"
    assert "Overall penetration" in metrics(at)


def test_market_page_not_offered_to_reps(published):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    sign_in(at, role="sales_rep", staff_name="张伟")
    at.run()
    with pytest.raises(Exception, match="market_share"):
        at.switch_page(MARKET).run()


# --- sales -----------------------------------------------------------------------------------


def test_sales_month_targets(published):
    at = open_page(SALES)
    # March 2026, the month of as_of: targets 张伟 100,000 + 李娜 80,000 = 180,000; signed:
    # contract 601 (member 6, 王芳, new) 9,800; gap 180,000 - 9,800 = 170,200.
    assert metrics(at) == {
        "目标": "¥18万",
        "新签": "¥9,800",
        "续费": "¥0",
        "距目标还差": "¥17.02万",
        "按当前进度预计": "¥9,800",
    }
    reps = frame(at, "sales.reps").set_index("销售")
    assert reps.loc["张伟", "差额（元）"] == 100_000
    assert reps.loc["王芳", "新签（元）"] == 9800
    assert reps.loc["王芳", "团队"] == "二组"
    teams = frame(at, "sales.teams").set_index("团队")
    assert teams.loc["一组", "目标（元）"] == 180_000


def test_sales_quarter_projection(published):
    at = open_page(SALES)
    at.selectbox(key="sales.period").set_value("quarter").run()
    reps = frame(at, "sales.reps").set_index("销售")
    # Q1 2026: contract 102 (member 1, 张伟) started 2026-01-01, the day after contract 101
    # ended: a renewal of 39,800. The quarter has ended on as_of, so projected = signed.
    assert reps.loc["张伟", "续费（元）"] == 39_800
    assert reps.loc["张伟", "差额（元）"] == 100_000 - 39_800
    assert reps.loc["张伟", "预计（元）"] == 39_800


def test_sales_calls_and_followups(published):
    at = open_page(SALES)
    calls = frame(at, "sales.calls")
    # 李娜 made 95 calls in March against 100 required.
    assert list(zip(calls["销售"], calls["未达标"], strict=True)) == [
        ("李娜", "是"),
        ("张伟", "否"),
    ]
    stale = frame(at, "sales.stale")
    # Member 7: last follow-up 2026-03-10, 21 days before 2026-03-31, over 14.
    assert stale["会员ID"].tolist() == [7]
    assert stale["未跟进天数"].tolist() == [21]
    captions = [caption.value for caption in at.caption]
    # Contract 601 of member 6 followed 4 follow-ups (2026-02-01 .. 2026-03-20).
    assert any("新签 1 单，成交前跟进次数中位数 4 次" in text for text in captions)


def test_sales_shop_openings(published):
    late = frame(open_page(SALES), "sales.late")
    # Contract 601: paid 2026-03-20, deadline 2026-03-27, materials on 2026-03-30: late.
    assert late["合同编号"].tolist() == ["601"]
    assert late["状态"].tolist() == ["超期完成"]
    assert late["上传天数"].tolist() == [10]
