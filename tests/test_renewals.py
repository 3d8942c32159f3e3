"""Renewal outcomes and rates on hand-built contract histories, as of 2026-11-30.

Windows: a new contract renews an old one when it starts from 60 days before to 30 days after
the old one's end date. Tiers rank A < B < C. Each member below is one edge case; the
expected outcome of every contract is worked out in the comment beside it.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd
import pytest

from dashboard import renewals_tables
from etl.errors import LoadError
from etl.renewals import RenewalSettings, build_contract_renewals
from queries import run_query
from queries.access import Viewer

AS_OF = dt.date(2026, 11, 30)
SETTINGS = RenewalSettings(tier_order=("A", "B", "C"))
DIRECTOR = Viewer("boss", "director")

# member_id, segment, sales_rep, after_sales_owner
MEMBERS = [
    (1, "机床", "王强", "李娜"),
    (2, "机床", "王强", "李娜"),
    (3, "机床", "赵敏", "周杰"),
    (4, "包装", "赵敏", "周杰"),
    (5, "包装", "王强", "李娜"),
    (6, "包装", "赵敏", "周杰"),
    (7, "机床", "王强", "李娜"),
    (8, "机床", "赵敏", "周杰"),
    (9, "包装", "王强", "李娜"),
]

# contract_id, member_id, tier, start_date, end_date, amount_cny
CONTRACTS = [
    # Renewed early: 102 starts 46 days before 101 ends. 102 has no successor: churned.
    (101, 1, "A", "2024-01-01", "2024-12-31", 10000.0),
    (102, 1, "A", "2024-11-15", "2025-11-14", 10000.0),
    # Renewed inside the grace period (20 days after), at a new price.
    (201, 2, "A", "2024-03-01", "2025-02-28", 10000.0),
    (202, 2, "A", "2025-03-20", "2026-03-19", 12000.0),
    # 302 starts 45 days after 301 ends: 301 churned, 302 is a win-back (new business)
    # that 303 renews 4 days early; 303 is pending.
    (301, 3, "B", "2024-06-01", "2025-05-31", 20000.0),
    (302, 3, "B", "2025-07-15", "2026-07-14", 20000.0),
    (303, 3, "B", "2026-07-10", "2027-07-09", 20000.0),
    # Two overlapping contracts: 403 starts the day after 401 ends (an upgrade A -> B) but
    # 150 days before 402 ends, so 402, with no contract in its window, is churned.
    (401, 4, "A", "2025-01-01", "2025-12-31", 10000.0),
    (402, 4, "B", "2025-06-01", "2026-05-31", 20000.0),
    (403, 4, "B", "2026-01-01", "2026-12-31", 20000.0),
    # A downgrade C -> B on time.
    (501, 5, "C", "2024-09-01", "2025-08-31", 40000.0),
    (502, 5, "B", "2025-09-01", "2026-08-31", 20000.0),
    # Back after a gap year: 601 churned, 602 is new business renewed by 603.
    (601, 6, "A", "2023-06-01", "2024-05-31", 10000.0),
    (602, 6, "A", "2025-06-01", "2026-05-31", 10000.0),
    (603, 6, "A", "2026-06-01", "2027-05-31", 10000.0),
    # Ends on 29 February 2024; 702 starts 30 days later, the last day of the grace period.
    (701, 7, "B", "2023-03-01", "2024-02-29", 20000.0),
    (702, 7, "B", "2024-03-30", "2025-03-29", 20000.0),
    # 802 starts exactly 60 days early; its own grace period ends on as_of: still pending.
    (801, 8, "A", "2025-01-01", "2025-12-31", 10000.0),
    (802, 8, "A", "2025-11-01", "2026-10-31", 10000.0),
    # Not due yet.
    (901, 9, "C", "2026-01-01", "2026-12-31", 40000.0),
]

# contract_id: outcome, renewal_kind, renewal_contract_id, tier_change, days_from_end,
# amount_change_cny
EXPECTED = {
    101: ("renewed", "first", 102, "same", -46, 0.0),
    102: ("churned", "later", None, None, None, None),
    201: ("renewed", "first", 202, "same", 20, 2000.0),
    202: ("churned", "later", None, None, None, None),
    301: ("churned", "first", None, None, None, None),
    302: ("renewed", "first", 303, "same", -4, 0.0),
    303: ("pending", "later", None, None, None, None),
    401: ("renewed", "first", 403, "upgrade", 1, 10000.0),
    402: ("churned", "first", None, None, None, None),
    403: ("pending", "later", None, None, None, None),
    501: ("renewed", "first", 502, "downgrade", 1, -20000.0),
    502: ("churned", "later", None, None, None, None),
    601: ("churned", "first", None, None, None, None),
    602: ("renewed", "first", 603, "same", 1, 0.0),
    603: ("pending", "later", None, None, None, None),
    701: ("renewed", "first", 702, "same", 30, 0.0),
    702: ("churned", "later", None, None, None, None),
    801: ("renewed", "first", 802, "same", -60, 0.0),
    802: ("pending", "later", None, None, None, None),
    901: ("pending", "first", None, None, None, None),
}


def history_database(
    contracts: list[tuple] = CONTRACTS, settings: RenewalSettings = SETTINGS
) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(
        "create table members (member_id bigint, company_name varchar, segment varchar, "
        "sales_rep varchar, after_sales_owner varchar)"
    )
    con.executemany(
        "insert into members values (?, ?, ?, ?, ?)",
        [(m, f"公司{m}", segment, rep, owner) for m, segment, rep, owner in MEMBERS],
    )
    con.execute(
        "create table contracts (contract_id bigint, member_id bigint, tier varchar, "
        "start_date date, end_date date, amount_cny double)"
    )
    con.executemany("insert into contracts values (?, ?, ?, ?, ?, ?)", contracts)
    build_contract_renewals(con, settings, AS_OF)
    return con


@pytest.fixture(scope="module")
def renewals() -> duckdb.DuckDBPyConnection:
    con = history_database()
    yield con
    con.close()


def outcome_rows(con: duckdb.DuckDBPyConnection) -> dict[int, tuple]:
    rows = con.execute(
        "select contract_id, outcome, renewal_kind, renewal_contract_id, tier_change, "
        "days_from_end, amount_change_cny from contract_renewals order by contract_id"
    ).fetchall()
    return {row[0]: row[1:] for row in rows}


def test_one_row_per_contract(renewals: duckdb.DuckDBPyConnection) -> None:
    assert renewals.execute("select count(*) from contract_renewals").fetchone()[0] == 20


@pytest.mark.parametrize("contract_id", sorted(EXPECTED))
def test_outcome_of_each_edge(renewals: duckdb.DuckDBPyConnection, contract_id: int) -> None:
    assert outcome_rows(renewals)[contract_id] == EXPECTED[contract_id]


def test_windows_and_due_periods(renewals: duckdb.DuckDBPyConnection) -> None:
    row = renewals.execute(
        "select due_month, due_quarter, window_start, window_end, early_days, grace_days, "
        "decided_on, started_as from contract_renewals where contract_id = 701"
    ).fetchone()
    # 2024-02-29 - 60 days = 2023-12-31; + 30 days = 2024-03-30; decided when 702 started.
    assert row == (
        dt.date(2024, 2, 1),
        dt.date(2024, 1, 1),
        dt.date(2023, 12, 31),
        dt.date(2024, 3, 30),
        60,
        30,
        dt.date(2024, 3, 30),
        "new",
    )


def test_churn_decided_after_grace(renewals: duckdb.DuckDBPyConnection) -> None:
    decided = renewals.execute(
        "select decided_on, started_as from contract_renewals where contract_id = 702"
    ).fetchone()
    # 2025-03-29 + 30 days = 2025-04-28 is the last day of grace; churn is known the day after.
    assert decided == (dt.date(2025, 4, 29), "renewal")


def test_wider_grace_renews_win_back() -> None:
    con = history_database(settings=RenewalSettings(tier_order=("A", "B", "C"), grace_days=45))

    # With 45 days of grace, 302 (45 days after 301 ended) renews 301 and is a later renewal.
    assert outcome_rows(con)[301] == ("renewed", "first", 302, "same", 45, 0.0)
    assert outcome_rows(con)[302][:2] == ("renewed", "later")


def test_tiers_ranked_by_median_amount() -> None:
    # Without tier_order the medians rank A (10,000) < B (20,000) < C (40,000), as given.
    con = history_database(settings=RenewalSettings())

    assert outcome_rows(con)[401][3] == "upgrade"
    assert outcome_rows(con)[501][3] == "downgrade"


def rates(con: duckdb.DuckDBPyConnection, period: str, dimension: str) -> pd.DataFrame:
    return run_query(
        con, "renewal_rates", {"period": period, "dimension": dimension}, viewer=DIRECTOR
    )


def test_rates_over_all_contracts(renewals: duckdb.DuckDBPyConnection) -> None:
    frame = rates(renewals, "quarter", "all")
    totals = frame[["renewed_count", "churned_count", "renewed_amount", "churned_amount"]].sum()

    # Renewed: 101 201 302 401 501 602 701 801 = 8 contracts, 10+10+20+10+40+10+20+10 = 130k.
    # Churned: 102 202 301 402 502 601 702 = 7 contracts, 10+12+20+20+20+10+20 = 112k.
    assert totals.to_dict() == {
        "renewed_count": 8,
        "churned_count": 7,
        "renewed_amount": 130000.0,
        "churned_amount": 112000.0,
    }


def test_rates_by_kind(renewals: duckdb.DuckDBPyConnection) -> None:
    frame = rates(renewals, "quarter", "renewal_kind")
    by_kind = frame.groupby("group_value")[["renewed_count", "churned_count"]].sum()

    # First renewals: 8 renewed; 301, 402, 601 churned. Later: 102, 202, 502, 702 churned.
    assert by_kind.loc["first"].to_list() == [8, 3]
    assert by_kind.loc["later"].to_list() == [0, 4]


def test_quarter_rate_and_year_earlier(renewals: duckdb.DuckDBPyConnection) -> None:
    frame = rates(renewals, "quarter", "all").set_index("period")
    q1_2025 = frame.loc[pd.Timestamp("2025-01-01")]
    q1_2024 = frame.loc[pd.Timestamp("2024-01-01")]

    # 2025 Q1 due: 201 (renewed, 10k), 702 (churned, 20k): 1/2 by count, 10/30 by amount.
    assert (q1_2025["due_count"], q1_2025["renewed_count"], q1_2025["churned_count"]) == (2, 1, 1)
    assert q1_2025["rate_by_count"] == pytest.approx(0.5)
    assert q1_2025["rate_by_amount"] == pytest.approx(10000 / 30000)
    # 2024 Q1 due: 701 only, renewed: the year-earlier rates are 1.
    assert q1_2024["rate_by_count"] == pytest.approx(1.0)
    assert q1_2025["year_earlier_rate_by_count"] == pytest.approx(1.0)
    assert q1_2025["year_earlier_rate_by_amount"] == pytest.approx(1.0)


def test_pending_quarter_has_no_rate(renewals: duckdb.DuckDBPyConnection) -> None:
    frame = rates(renewals, "quarter", "all").set_index("period")
    q4_2026 = frame.loc[pd.Timestamp("2026-10-01")]

    # 2026 Q4 due: 802 (10k), 403 (20k), 901 (40k), all pending.
    assert (q4_2026["due_count"], q4_2026["pending_count"]) == (3, 3)
    assert q4_2026["pending_amount"] == 70000.0
    assert pd.isna(q4_2026["rate_by_count"])


def test_tier_changes_counted(renewals: duckdb.DuckDBPyConnection) -> None:
    frame = rates(renewals, "month", "tier")

    # 401 (tier A, due 2025-12) upgraded; 501 (tier C, due 2025-08) downgraded.
    upgrades = frame[frame["upgrade_count"] > 0][["period", "group_value"]].to_numpy().tolist()
    downgrades = frame[frame["downgrade_count"] > 0][["period", "group_value"]]
    assert upgrades == [[pd.Timestamp("2025-12-01"), "A"]]
    assert downgrades.to_numpy().tolist() == [[pd.Timestamp("2025-08-01"), "C"]]


def test_duplicate_contract_ids_stop_the_load() -> None:
    duplicated = [*CONTRACTS, (101, 1, "A", "2025-01-01", "2025-12-31", 10000.0)]

    with pytest.raises(LoadError, match="21 contracts with 20 distinct ids"):
        history_database(contracts=duplicated)


def test_rates_leave_out_pending_periods() -> None:
    """A period with pending contracts counts in the totals but not in the rates.

    October: 7 renewed, 3 churned, none pending. November: 4 renewed early, 0 churned yet,
    5 pending. Rate by count over closed periods only: 7 / (7 + 3) = 70%, not 11 / 14.
    """
    rates = pd.DataFrame(
        {
            "period": pd.to_datetime(["2026-10-01", "2026-11-01"]),
            "due_count": [10, 9],
            "renewed_count": [7, 4],
            "churned_count": [3, 0],
            "pending_count": [0, 5],
            "due_amount": [100.0, 90.0],
            "renewed_amount": [70.0, 40.0],
            "churned_amount": [30.0, 0.0],
            "pending_amount": [0.0, 50.0],
        }
    )

    totals = renewals_tables.rate_totals(rates)

    assert totals["due_count"] == 19
    assert totals["pending_count"] == 5
    assert totals["rate_by_count"] == 0.7
    assert totals["rate_by_amount"] == 0.7
    assert renewals_tables.closed_periods(rates) == [pd.Timestamp("2026-10-01")]


# --- a period with a pending contract in any group has no rate in every group ---------------

# contract_id, due_month, tier, sales_rep, outcome, amount_cny; one member per contract.
PERIOD_ROWS = [
    (1, "2026-10-01", "gold", "王强", "renewed", 100.0),
    (2, "2026-10-01", "silver", "周欢", "churned", 50.0),
    (3, "2026-10-01", "silver", "周欢", "renewed", 50.0),
    # November: gold is complete (2 renewed early), silver still has contract 6 pending.
    (4, "2026-11-01", "gold", "王强", "renewed", 200.0),
    (5, "2026-11-01", "gold", "王强", "renewed", 100.0),
    (6, "2026-11-01", "silver", "周欢", "pending", 50.0),
    (7, "2026-11-01", "silver", "周欢", "renewed", 40.0),
]


@pytest.fixture
def period_rows() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    frame = pd.DataFrame(
        PERIOD_ROWS,
        columns=["contract_id", "due_month", "tier", "sales_rep", "outcome", "amount_cny"],
    )
    con.register("period_frame", frame)
    con.execute(
        "create table members as select contract_id as member_id, sales_rep, "
        "'李娜' as after_sales_owner from period_frame"
    )
    con.execute(
        """
        create table contract_renewals as
        select contract_id, contract_id as member_id, outcome, amount_cny,
            cast(null as varchar) as tier_change, cast(due_month as date) as due_month,
            cast(date_trunc('quarter', cast(due_month as date)) as date) as due_quarter,
            '机床' as segment, tier, sales_rep, 'first' as renewal_kind
        from period_frame
        """
    )
    yield con
    con.close()


def test_pending_period_out_for_every_group(period_rows: duckdb.DuckDBPyConnection) -> None:
    frame = rates(period_rows, "month", "tier").set_index(["period", "group_value"])
    november = pd.Timestamp("2026-11-01")
    october = pd.Timestamp("2026-10-01")

    # November gold is fully decided, but silver has contract 6 pending: no rate for either.
    assert frame.loc[(november, "gold"), "pending_count"] == 0
    assert pd.isna(frame.loc[(november, "gold"), "rate_by_count"])
    assert pd.isna(frame.loc[(november, "gold"), "rate_by_amount"])
    assert pd.isna(frame.loc[(november, "silver"), "rate_by_count"])
    # October silver: 1 renewed of 2, 50 of 100.
    assert frame.loc[(october, "silver"), "rate_by_count"] == 0.5
    assert frame.loc[(october, "silver"), "rate_by_amount"] == 0.5


@pytest.mark.parametrize("dimension", ["all", "segment", "tier", "sales_rep", "renewal_kind"])
def test_overall_rate_same_per_grouping(
    period_rows: duckdb.DuckDBPyConnection, dimension: str
) -> None:
    totals = renewals_tables.rate_totals(rates(period_rows, "month", dimension))

    # October only: 2 renewed of 3 decided; 150 of 200. Counting November gold as well gave
    # (2 + 2) / (3 + 2) = 80% under the tier grouping.
    assert totals["rate_by_count"] == pytest.approx(2 / 3)
    assert totals["rate_by_amount"] == 0.75
    # The counts still cover both months: 7 due, 1 pending.
    assert totals["due_count"] == 7
    assert totals["pending_count"] == 1


def test_groups_add_up_to_overall(period_rows: duckdb.DuckDBPyConnection) -> None:
    by_tier = rates(period_rows, "month", "tier")
    rated = by_tier[by_tier["rate_by_count"].notna()]

    # Rated rows are October gold (1 of 1) and silver (1 of 2): 2 of 3, as overall.
    assert rated["renewed_count"].sum() == 2
    assert (rated["renewed_count"] + rated["churned_count"]).sum() == 3


def test_pending_period_by_viewer_scope(period_rows: duckdb.DuckDBPyConnection) -> None:
    wang = Viewer("wq", "sales_rep", "王强")
    zhou = Viewer("zh", "sales_rep", "周欢")
    params = {"period": "month", "dimension": "all"}

    mine = run_query(period_rows, "renewal_rates", params, viewer=wang).set_index("period")
    other = run_query(period_rows, "renewal_rates", params, viewer=zhou).set_index("period")

    # 王强's November contracts 4 and 5 are both renewed and none of his is pending: 100%.
    assert mine.loc[pd.Timestamp("2026-11-01"), "rate_by_count"] == 1.0
    # 周欢 has contract 6 pending in November: no rate.
    assert pd.isna(other.loc[pd.Timestamp("2026-11-01"), "rate_by_count"])


# --- contracts due in the next months, whatever their outcome -----------------------------


@pytest.fixture
def due_soon() -> duckdb.DuckDBPyConnection:
    # 902 renews 901 (ends 2026-12-31) 46 days early, so 901 is renewed before it is due.
    con = history_database([*CONTRACTS, (902, 9, "C", "2026-11-15", "2027-11-14", 40000.0)])
    con.execute("create table renewal_settings (key varchar, value varchar)")
    con.execute("insert into renewal_settings values ('as_of', ?)", [AS_OF.isoformat()])
    con.execute(
        "create table renewal_risk as select 403 as contract_id, 0.25 as risk, "
        "5000.0 as expected_revenue_at_risk"
    )
    yield con
    con.close()


def test_due_next_lists_early_renewals(due_soon: duckdb.DuckDBPyConnection) -> None:
    due = run_query(due_soon, "renewal_due_next", {"months": 3}, viewer=DIRECTOR)

    # Ending 2026-12-01..2027-02-28: 403 (pending, 20k) and 901 (renewed early, 40k), both on
    # 2026-12-31. 902, 303 and 603 end later.
    assert due["contract_id"].to_list() == [403, 901]
    assert due["outcome"].to_list() == ["pending", "renewed"]
    assert due["risk"].to_list()[0] == 0.25
    assert pd.isna(due["risk"].to_list()[1])


def test_due_next_totals_and_labels(due_soon: duckdb.DuckDBPyConnection) -> None:
    due = run_query(due_soon, "renewal_due_next", {"months": 3}, viewer=DIRECTOR)

    totals = renewals_tables.due_totals(due)
    table = renewals_tables.due_next_table(due, "zh-CN")

    assert totals == {
        "contracts": 2,
        "amount": 60000.0,
        "renewed": 1,
        "renewed_amount": 40000.0,
        "pending": 1,
        "pending_amount": 20000.0,
    }
    assert table["续费结果"].to_list() == ["待定", "已提前续费"]
    assert table["流失风险"].to_list() == ["25.0%", "—"]
