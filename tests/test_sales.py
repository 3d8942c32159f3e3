"""Sales marts on small hand-built data: gap, run-rate projection, renewals, follow-ups."""

import datetime as dt

import duckdb
import pandas as pd
import pytest

from etl import warehouse
from etl.renewals import RenewalSettings, build_contract_renewals
from etl.sales import run_rate_projection, sales_performance

AS_OF = dt.date(2026, 11, 10)
NOV = dt.date(2026, 11, 1)
OCT = dt.date(2026, 10, 1)


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        (dt.date(2026, 11, 10), 36_000.0),  # 12,000 in 10 of 30 days: 12,000 × 30 / 10
        (dt.date(2026, 11, 1), 360_000.0),  # 12,000 on day 1: 12,000 × 30 / 1
        (dt.date(2026, 11, 30), 12_000.0),  # the last day: what was signed
        (dt.date(2026, 12, 5), 12_000.0),  # after the month
        (dt.date(2026, 10, 31), None),  # before the month
    ],
)
def test_run_rate_projection(as_of, expected):
    assert run_rate_projection(12_000, NOV, dt.date(2026, 11, 30), as_of) == expected


@pytest.fixture
def performance() -> pd.DataFrame:
    targets = pd.DataFrame(
        {
            "month": [NOV, OCT, NOV],
            "sales_rep": ["张三", "张三", "李四"],
            "target_cny": [50_000.0, 40_000.0, 30_000.0],
        }
    )
    signed = pd.DataFrame(
        {
            "month": [NOV, NOV, OCT, NOV],
            "sales_rep": ["张三", "张三", "张三", "王五"],
            "kind": ["new", "renewal", "new", "new"],
            "amount_cny": [12_000.0, 6_000.0, 45_000.0, 5_000.0],
        }
    )
    staff = pd.DataFrame({"staff_name": ["张三", "李四"], "team": ["华东组", "华东组"]})
    rows = sales_performance(targets, signed, staff, AS_OF)
    return rows.set_index(["period", "period_start", "sales_rep"])


def test_month_gap_and_projection(performance: pd.DataFrame) -> None:
    zhang = performance.loc[("month", NOV, "张三")]
    assert (zhang["signed_new_cny"], zhang["signed_renewal_cny"]) == (12_000, 6_000)
    assert zhang["signed_cny"] == 18_000
    assert zhang["gap_cny"] == 50_000 - 18_000
    assert (zhang["days_elapsed"], zhang["days_in_period"]) == (10, 30)
    assert zhang["projected_cny"] == pytest.approx(18_000 * 30 / 10)  # 54,000
    assert zhang["projected_gap_cny"] == pytest.approx(50_000 - 54_000)
    assert zhang["team"] == "华东组"

    october = performance.loc[("month", OCT, "张三")]
    assert october["gap_cny"] == 40_000 - 45_000  # over target: a negative gap
    assert october["projected_cny"] == 45_000  # the month has ended

    li = performance.loc[("month", NOV, "李四")]
    assert (li["signed_cny"], li["gap_cny"], li["projected_cny"]) == (0, 30_000, 0)

    # 王五 signed without a target: no gap, and no team.
    wang = performance.loc[("month", NOV, "王五")]
    assert pd.isna(wang["target_cny"])
    assert pd.isna(wang["gap_cny"])
    assert wang["projected_cny"] == pytest.approx(15_000)
    assert pd.isna(wang["team"])


def test_quarter_adds_months(performance: pd.DataFrame) -> None:
    zhang = performance.loc[("quarter", OCT, "张三")]
    assert zhang["period_end"] == dt.date(2026, 12, 31)
    assert zhang["target_cny"] == 90_000  # 40,000 + 50,000
    assert zhang["signed_cny"] == 63_000  # 45,000 + 18,000
    assert zhang["gap_cny"] == 27_000
    # 31 days of October and 10 of November elapsed out of 92 in the quarter.
    assert (zhang["days_elapsed"], zhang["days_in_period"]) == (41, 92)
    assert zhang["projected_cny"] == pytest.approx(63_000 * 92 / 41)


def _table(con: duckdb.DuckDBPyConnection, name: str, sql_columns: str, rows: list) -> None:
    con.execute(f"create table {name} ({sql_columns})")
    if rows:
        marks = ", ".join("?" for _ in rows[0])
        con.executemany(f"insert into {name} values ({marks})", rows)


@pytest.fixture
def crm() -> duckdb.DuckDBPyConnection:
    """Members A-F, their contracts, follow-ups and shop openings; as of 2026-11-30."""
    con = duckdb.connect()
    _table(
        con,
        "members",
        "member_id BIGINT, company_name VARCHAR, segment VARCHAR, sales_rep VARCHAR, "
        "after_sales_owner VARCHAR, is_paid BOOLEAN",
        [
            (1, "A", "s", "张三", "客服甲", True),
            (2, "B", "s", "张三", "客服甲", True),
            (3, "C", "s", "李四", "客服甲", True),
            (4, "D", "s", "李四", "客服甲", True),
            (5, "E", "s", "李四", None, False),
            (6, "F", "s", "张三", None, False),
        ],
    )

    day = dt.date.fromisoformat

    _table(
        con,
        "contracts",
        "contract_id BIGINT, member_id BIGINT, tier VARCHAR, start_date DATE, end_date DATE, "
        "amount_cny DOUBLE",
        [
            (1, 1, "t", day("2025-01-01"), day("2025-12-31"), 8000.0),
            (2, 1, "t", day("2026-01-01"), day("2026-12-31"), 9000.0),
            (3, 2, "t", day("2025-01-01"), day("2025-12-31"), 5000.0),
            (4, 2, "t", day("2026-06-01"), day("2027-05-31"), 7000.0),
            (5, 3, "t", day("2026-03-01"), day("2027-02-28"), 6000.0),
            (6, 4, "t", day("2025-02-01"), day("2026-01-31"), 4000.0),
            (7, 4, "t", day("2026-05-01"), day("2027-04-30"), 4000.0),
        ],
    )

    _table(con, "sales_staff", "staff_name VARCHAR, team VARCHAR", [("张三", "一组")])

    stamps = [
        (3, "2026-01-05 10:00"),
        (3, "2026-02-01 10:00"),
        (3, "2026-02-20 10:00"),
        (3, "2026-03-05 10:00"),  # after the deal
        (2, "2025-06-01 10:00"),  # the first follow-up, while contract 3 runs
        (2, "2026-05-01 10:00"),
        (2, "2026-05-20 10:00"),
        (5, "2026-10-01 10:00"),
        (5, "2026-11-01 10:00"),
        (6, "2026-11-25 10:00"),
    ]

    _table(
        con,
        "followups",
        "followup_id BIGINT, member_id BIGINT, sales_rep VARCHAR, followed_at TIMESTAMP",
        [
            (i + 1, member, None, dt.datetime.fromisoformat(at))
            for i, (member, at) in enumerate(stamps)
        ],
    )

    _table(
        con,
        "stg_shop_openings",
        "contract_id BIGINT, member_id BIGINT, paid_on DATE, shop_opened_on DATE, "
        "materials_uploaded_on DATE",
        [
            (2, 1, day("2026-11-01"), day("2026-11-03"), day("2026-11-06")),
            (4, 2, day("2026-11-01"), day("2026-11-09"), day("2026-11-05")),
            (5, 3, day("2026-11-10"), None, None),
            (7, 4, day("2026-11-28"), None, None),
        ],
    )

    build_contract_renewals(con, RenewalSettings(), dt.date(2026, 11, 30))
    warehouse.build_mart(con, "sales_signed", {})
    warehouse.build_mart(con, "sales_prospects", {"as_of": dt.date(2026, 11, 30)})
    warehouse.build_mart(con, "sales_won_deals", {})
    warehouse.build_mart(con, "shop_openings", {"as_of": dt.date(2026, 11, 30), "deadline_days": 7})
    return con


def test_new_and_renewal(crm: duckdb.DuckDBPyConnection) -> None:
    kinds = dict(crm.execute("select contract_id, kind from sales_signed").fetchall())
    # Renewal windows run from 60 days before to 30 days after a contract's end.
    # 2: contract 1 ended the day before, a renewal. 4: contract 3 ended 2025-12-31, 152 days
    # before. 7: contract 6 ended 2026-01-31, 90 days before its start: past the 30-day grace,
    # so a win-back, which is new business.
    assert kinds == {
        1: "new",
        2: "renewal",
        3: "new",
        4: "new",
        5: "new",
        6: "new",
        7: "new",
    }
    teams = dict(crm.execute("select contract_id, team from sales_signed").fetchall())
    assert teams[1] == "一组"
    assert teams[5] is None


def test_followups_of_won_deals(crm: duckdb.DuckDBPyConnection) -> None:
    won = dict(crm.execute("select contract_id, followups from sales_won_deals").fetchall())
    # CRM data starts 2025-06-01, so only new contracts from then count: 4, 5 and 7.
    # Contract 4: follow-ups after contract 3 ended (2025-12-31) up to 2026-06-01: 2.
    # Contract 5: follow-ups up to 2026-03-01: 3 (the one on 2026-03-05 is after).
    # Contract 7, member 4's win-back, had no follow-ups at all: 0.
    assert won == {4: 2, 5: 3, 7: 0}


def test_prospects_and_stale_days(crm: duckdb.DuckDBPyConnection) -> None:
    rows = crm.execute(
        "select member_id, followups, last_followup_on, days_since_followup, team "
        "from sales_prospects order by member_id"
    ).fetchall()
    # Only E and F pay nothing on 2026-11-30. E: 2026-11-30 - 2026-11-01 = 29 days.
    assert rows == [
        (5, 2, dt.date(2026, 11, 1), 29, None),
        (6, 1, dt.date(2026, 11, 25), 5, "一组"),
    ]


def test_shop_opening_status(crm: duckdb.DuckDBPyConnection) -> None:
    rows = crm.execute(
        "select contract_id, days_to_open, days_to_materials, deadline_on, status "
        "from shop_openings order by contract_id"
    ).fetchall()
    # Deadline = payment + 7 days. Contract 4 opened on day 8 (2026-11-09): late.
    # Contract 5 paid 2026-11-10, deadline 2026-11-17 passed by 2026-11-30: overdue.
    assert rows == [
        (2, 2, 5, dt.date(2026, 11, 8), "on_time"),
        (4, 8, 4, dt.date(2026, 11, 8), "late"),
        (5, None, None, dt.date(2026, 11, 17), "overdue"),
        (7, None, None, dt.date(2026, 12, 5), "in_progress"),
    ]
