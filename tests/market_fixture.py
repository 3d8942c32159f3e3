"""Market-share and sales tables for the fixture snapshot, built by the real ETL code.

The inputs are chosen by hand on top of the members and contracts of snapshot_fixture.py
(as of 2026-03-31); test_market_pages.py works out the numbers they give.

Universe list rows and what they become:
- 重工机械有限公司 (浙江): member 1, 杭州重工机械有限公司, by name.
- 上海华东化工股份有限公司: member 4, 上海华东化工有限公司, by name.
- 新材料化工有限公司 (江苏): the only candidate, member 5, is in 浙江: review, not merged.
- 巨力起重有限公司 (机械, capital 8,000万元): big, never registered.
- 长江化工有限公司 (化工, 900 staff): big, never registered.
- 东海机械有限公司 (机械) and 江南化工有限公司 (化工): small, never registered.
- 西湖化工有限公司 (化工): its credit code fails the check, listed for review.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import duckdb
import pandas as pd

from etl import universe
from etl.sales import build_sales_marts, create_portal_tables, years_before
from etl.universe import LIST_COLUMNS

AS_OF = dt.date(2026, 3, 31)
REQUIRED_CALLS = 100

LIST_ROWS = [
    # line, name, segment, province, capital (yuan), staff, credit code
    (2, "重工机械有限公司", "机械", "浙江省", None, None, None),
    (3, "上海华东化工股份有限公司", "化工", None, None, None, None),
    (4, "新材料化工有限公司", "化工", "江苏省", None, None, None),
    (5, "巨力起重有限公司", "机械", None, 80_000_000.0, None, None),
    (6, "长江化工有限公司", "化工", None, None, 900, None),
    (7, "东海机械有限公司", "机械", None, 1_000_000.0, 20, None),
    (8, "江南化工有限公司", "化工", None, None, None, None),
    (9, "西湖化工有限公司", "化工", None, None, None, None),
]
STAFF = {"staff_name": ["张伟", "李娜", "王芳"], "team": ["一组", "一组", "二组"]}
# member_id, followed_at: member 6 before its first contract (2026-03-22), member 7 lately.
FOLLOWUPS = [
    (6, "2026-02-01 10:00"),
    (6, "2026-02-15 10:00"),
    (6, "2026-03-01 10:00"),
    (6, "2026-03-20 10:00"),
    (7, "2026-03-01 10:00"),
    (7, "2026-03-10 10:00"),
]
# contract_id, member_id, paid_on, shop_opened_on, materials_uploaded_on
OPENINGS = [
    (102, 1, "2025-12-30", "2026-01-02", "2026-01-03"),
    (601, 6, "2026-03-20", "2026-03-25", "2026-03-30"),
]


# The settings the builders read, in the form of Config.settings.
FIXTURE_SETTINGS = SimpleNamespace(
    settings={
        "universe.big_registered_capital_cny": 50_000_000,
        "universe.big_staff_count": 500,
        "sales.required_calls_per_month": REQUIRED_CALLS,
        "sales.stale_followup_days": 14,
        "sales.shop_open_deadline_days": 7,
    }
)


def list_frame() -> pd.DataFrame:
    rows = []
    for line, name, segment, province, capital, staff, _ in LIST_ROWS:
        problem = "credit_code_check" if name.startswith("西湖") else None
        rows.append(("名录.csv", line, name, segment, province, capital, staff, None, problem))
    return pd.DataFrame(rows, columns=LIST_COLUMNS)


def add_market_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Build universe_companies, universe_review, segment_share and the sales tables."""
    members = con.execute(
        "select member_id, company_name, segment, province, null as credit_code, "
        "null as registered_capital_cny, null as staff_count from members"
    ).df()
    universe.write_match(con, universe.match_universe(list_frame(), members))
    universe.build_segment_share(
        con, FIXTURE_SETTINGS, AS_OF, years_before(AS_OF, 1), years_before(AS_OF, 2)
    )

    followups = pd.DataFrame(
        {
            "followup_id": range(1, len(FOLLOWUPS) + 1),
            "member_id": [member for member, _ in FOLLOWUPS],
            "sales_rep": [None] * len(FOLLOWUPS),
            "followed_at": [dt.datetime.fromisoformat(at) for _, at in FOLLOWUPS],
        }
    )
    openings = pd.DataFrame(
        [(c, m, *(dt.date.fromisoformat(d) for d in days)) for c, m, *days in OPENINGS],
        columns=["contract_id", "member_id", "paid_on", "shop_opened_on", "materials_uploaded_on"],
    )
    create_portal_tables(
        con,
        {"followups": followups, "sales_staff": pd.DataFrame(STAFF), "shop_openings": openings},
    )
    build_sales_marts(con, FIXTURE_SETTINGS, AS_OF)


# Parameters of the market and sales queries for tests that run every query file.
QUERY_PARAMS = {
    "market_segment_companies": {
        "segment": None,
        "company_group": "known",
        "big_capital": 50_000_000.0,
        "big_staff": 500,
    },
    "market_big_targets": {"segment": None, "big_capital": 50_000_000.0, "big_staff": 500},
    "sales_periods": {"period": "month"},
    "sales_performance": {"period": "month", "period_start": dt.date(2026, 3, 1)},
    "sales_calls": {"period_start": dt.date(2026, 3, 1), "period_end": dt.date(2026, 3, 31)},
    "sales_followup_counts": {"stale_days": 14},
    "sales_stale_prospects": {"stale_days": 14},
}
