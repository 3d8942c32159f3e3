"""The renewals and renewal-risk pages through AppTest, on a real load of the tiny portal.

tests/tiny_portal.py as of 2026-11-30: contract 13 (member 3, 11,800) is renewed by 14,
contract 15 (member 4, 6,800, ending 2024-02-29) churned, and 11, 12, 14, 16 are pending.
Two decided contracts are fewer than the 200 the model needs, so the health rule scores.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest
from signin import app_engine, sign_in
from streamlit.testing.v1 import AppTest
from tiny_portal import write_portal

import store
from etl.load import run_load
from store import actions

REPO_ROOT = Path(__file__).resolve().parent.parent
APP = REPO_ROOT / "app.py"
RENEWALS = "views/renewals.py"
RISK = "views/renewal_risk.py"
DETAIL = "views/member_detail.py"
TIMEOUT = 60


@pytest.fixture
def portal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    config = write_portal(tmp_path / "portal")
    run_load(config, progress=False)
    monkeypatch.setenv("PORTAL_CONFIG", str(config))
    return config


def open_page(page: str, role: str = "director", staff_name: str | None = None, **query):
    at = sign_in(AppTest.from_file(APP, default_timeout=TIMEOUT), role, staff_name)
    at.run()
    at.query_params.update(query)
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {metric.label: metric.value for metric in at.metric}


def test_renewal_rates_shown(portal: Path) -> None:
    at = open_page(RENEWALS)

    assert at.title[0].value == "续费分析"
    shown = metrics(at)
    # Decided: 13 renewed (11,800) and 15 churned (6,800): 1/2 by count, 11,800/18,600 by
    # amount. Nothing was due a year earlier.
    assert shown["续费率（按数量）"] == "50.0%"
    assert shown["续费率（按金额）"] == "63.4%"
    assert shown["去年同期（按数量）"] == "—"
    assert shown["到期"] == "2"
    assert shown["已续费"] == "1"
    assert shown["已流失"] == "1"


def test_due_next_three_months(portal: Path) -> None:
    at = open_page(RENEWALS)
    due = at.dataframe[1].value

    # 2026-12-01..2027-02-28: contract 11 (member 1) and 12 (member 2), 12,800 each, both
    # pending; none was renewed early.
    assert due["会员ID"].to_list() == [1, 2]
    assert due["续费结果"].to_list() == ["待定", "待定"]
    summary = "共 2 份合同，合同金额 ¥2.56万：已提前续费 0 份（¥0），待定 2 份（¥2.56万）。"
    assert summary in [caption.value for caption in at.caption]


def test_rates_caption_states_period_rule(portal: Path) -> None:
    at = open_page(RENEWALS)

    rule = (
        "只要某期间还有待定合同，该期间在所有分组中都不计续费率。"
        "因此无论怎样分组，总续费率都相同，各分组合起来就是总数。"
    )
    assert [caption.value for caption in at.caption].count(rule) == 1


def test_revenue_concentration(portal: Path) -> None:
    at = open_page(RENEWALS)

    # Started 2025-12-01..2026-11-30: members 1, 2, 3 at 12,800 and member 5 at 19,800.
    # Top 20% of 4 members, rounded up, is member 5: 19,800 / 58,200 = 34.0%.
    assert metrics(at)["前 1 名会员（共 4 名）的收入占比"] == "34.0%"
    assert at.dataframe[2].value["会员ID"].to_list() == [5, 1, 2, 3]


def test_renewals_page_in_english(portal: Path) -> None:
    at = sign_in(AppTest.from_file(APP, default_timeout=TIMEOUT))
    at.session_state["lang"] = "en"
    at.run()
    at.switch_page(RENEWALS).run()

    assert not at.exception
    assert at.title[0].value == "Renewals"
    assert metrics(at)["Renewal rate by count"] == "50.0%"


def test_risk_queue_by_rule(portal: Path) -> None:
    at = open_page(RISK)

    assert at.title[0].value == "续费风险"
    assert "少于训练模型所需的 200 份" in at.warning[0].value
    queue = at.dataframe[0].value
    # Contract 11: its peers (tier 银牌会员, cutoff 2025-11-02..2026-11-01) are 11 and 13, both
    # without events: every percentile 50, risk 0.5, at risk 6,400. Contract 12 (cutoff
    # 2026-11-30) beats peers 11, 13, 14 on inquiries (1 vs 0, 0, 2: 66.7), messages and
    # contact views (100) and ties on ad clicks (33.3): score 51.667 / 0.65 = 79.5, risk 20.5%.
    assert queue["会员ID"].to_list() == [1, 2]
    assert queue["流失风险"].to_list() == ["50.0%", "20.5%"]
    assert queue["预期流失金额（元）"].to_list() == [6400.0, 2624.0]
    assert queue["剩余天数"].to_list() == [31, 62]
    assert queue["风险原因"].to_list() == ["", "广告点击少"]


def test_mine_filter_for_after_sales(portal: Path) -> None:
    # 周杰 looks after members 3 and 4: contract 14 ends in 182 days, beyond 90.
    at = open_page(RISK, role="after_sales", staff_name="周杰")
    assert at.checkbox[0].value is True
    assert at.info[0].value == "没有符合条件的合同。"

    at.sidebar.number_input[0].set_value(200).run()
    assert at.dataframe[0].value["会员ID"].to_list() == [3]


def test_mine_filter_for_sales_rep(portal: Path) -> None:
    # 王强 is the sales rep of members 1, 2 and 5 and after-sales owner of none. Within 90
    # days: contracts 11 (member 1) and 12 (member 2), as without the filter.
    at = open_page(RISK, role="sales_rep", staff_name="王强")
    assert at.checkbox(key="risk.mine").value is False
    assert at.dataframe[0].value["会员ID"].to_list() == [1, 2]

    at.checkbox(key="risk.mine").check().run()

    assert not at.exception
    assert at.dataframe[0].value["会员ID"].to_list() == [1, 2]


def test_owner_filter_for_director(portal: Path) -> None:
    at = open_page(RISK)
    at.sidebar.selectbox(key="risk.owner").select("周杰").run()

    assert at.info[0].value == "没有符合条件的合同。"


def record_contact(at: AppTest) -> AppTest:
    at.selectbox(key="risk.action.member").select(2)
    at.text_area(key="risk.action.note").input("发了三月效果报告")
    at.date_input(key="risk.action.date").set_value(dt.date(2026, 11, 28))
    at.button[0].click().run()
    return at


def test_action_survives_reload_and_restart(portal: Path) -> None:
    at = record_contact(open_page(RISK))
    assert at.success[0].value == "已为 乙机床有限公司 记录：已联系。"

    # A new load, then a restart: a new session on a new engine reads the app database afresh.
    run_load(portal, progress=False)
    store.engine_for.cache_clear()
    again = open_page(RISK)
    queue = again.dataframe[0].value
    assert queue.loc[queue["会员ID"] == 2, "最近跟进"].to_list() == ["已联系 2026-11-28"]

    detail = open_page(DETAIL, member="2")
    timeline = detail.dataframe[-1].value
    assert timeline["跟进动作"].to_list() == ["已联系"]
    assert timeline["备注"].to_list() == ["发了三月效果报告"]
    assert timeline["记录人"].to_list() == ["director"]


def test_action_date_limited_to_today(portal: Path) -> None:
    at = open_page(RISK)
    # The portal's time zone is Asia/Shanghai (UTC+8).
    today = dt.datetime.now(dt.UTC).astimezone(ZoneInfo("Asia/Shanghai")).date()
    assert at.date_input(key="risk.action.date").max == today

    # A client that sends a later date anyway: Streamlit 1.67 replaces a date beyond
    # max_value with the default, today, so no future date reaches the app database.
    at.selectbox(key="risk.action.member").select(2)
    at.date_input(key="risk.action.date").set_value(today + dt.timedelta(days=1))
    at.button[0].click().run()

    assert not at.error
    assert at.success[0].value == "已为 乙机床有限公司 记录：已联系。"
    stored = actions.member_actions(app_engine(portal), 2)
    assert stored["action_on"].to_list() == [today]


def test_backtest_shown_without_model(portal: Path) -> None:
    at = open_page(RISK)
    backtest = at.dataframe[1].value

    # Training: contract 15 (decided 2024-03-31); test: contract 13 (decided 2026-06-01).
    assert backtest["方法"].to_list() == ["健康分规则", "常数基线"]
    assert backtest["训练合同数"].to_list() == [1, 1]
    assert backtest["测试合同数"].to_list() == [1, 1]
    captions = [caption.value for caption in at.caption]
    assert (
        "按时间回测：用 2026-06-01 之前决定的 1 份合同训练，对此后决定的 1 份合同打分。" in captions
    )


@pytest.mark.parametrize("page", [RENEWALS, RISK])
def test_older_snapshot_says_reload(published, page: str) -> None:
    # A snapshot from before the renewal tables: the fixture snapshot without them.
    with duckdb.connect(str(published.snapshot)) as con:
        for table in ("contract_renewals", "renewal_risk", "risk_backtest", "risk_calibration"):
            con.execute(f"drop table {table}")
    at = open_page(page)

    assert at.info[0].value.startswith("当前快照没有续费数据")
