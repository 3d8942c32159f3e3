"""segment_share on a small hand-built warehouse: penetration, revenue, big companies."""

import datetime as dt
from types import SimpleNamespace

import duckdb
import pandas as pd
import pytest

from etl.universe import LIST_COLUMNS, build_segment_share, match_universe, write_match

AS_OF = dt.date(2026, 11, 30)
YEAR_BEFORE = dt.date(2025, 11, 30)
TWO_YEARS_BEFORE = dt.date(2024, 11, 30)


# The two settings build_segment_share reads.
SETTINGS = SimpleNamespace(
    settings={"universe.big_registered_capital_cny": 50_000_000, "universe.big_staff_count": 500}
)


MEMBERS = pd.DataFrame(
    {
        "member_id": [1, 2, 3, 4],
        "company_name": [
            "徐州恒达机械有限公司",
            "天工重工有限公司",
            "巨石机械有限公司",
            "精工机床有限公司",
        ],
        "segment": ["工程机械", "工程机械", "工程机械", "机床工具"],
        "province": ["江苏省", "山东省", "河南省", "浙江省"],
        "registered_on": pd.to_datetime(["2020-01-01", "2026-03-01", "2019-05-05", "2024-01-01"]),
        "is_paid": [True, True, False, False],
        "credit_code": [None, None, None, None],
        "registered_capital_cny": [None, None, None, None],
        "staff_count": [None, None, 800, None],
    }
)
CONTRACTS = pd.DataFrame(
    {
        "contract_id": [11, 12, 21, 41],
        "member_id": [1, 1, 2, 4],
        "start_date": pd.to_datetime(["2025-01-01", "2026-01-01", "2026-04-01", "2025-06-01"]),
        "end_date": pd.to_datetime(["2025-12-31", "2026-12-31", "2027-03-31", "2026-05-31"]),
        "amount_cny": [8000.0, 10000.0, 30000.0, 20000.0],
    }
)
LIST = pd.DataFrame(
    [
        ("list.csv", 2, "恒达机械有限公司", "工程机械", "江苏", None, None, None, None),
        ("list.csv", 3, "巨力起重有限公司", "工程机械", None, 6e7, None, None, None),
        ("list.csv", 4, "小河机械厂", "工程机械", None, 1e6, None, None, None),
    ],
    columns=LIST_COLUMNS,
)


@pytest.fixture
def segment_share() -> pd.DataFrame:
    con = duckdb.connect()
    con.register("members_frame", MEMBERS)
    con.execute("create table members as select * from members_frame")
    con.register("contracts_frame", CONTRACTS)
    con.execute(
        "create table contracts as select contract_id, member_id, start_date::date as "
        "start_date, end_date::date as end_date, amount_cny from contracts_frame"
    )
    con.execute("alter table members alter registered_on type date")

    write_match(con, match_universe(LIST, MEMBERS))
    build_segment_share(con, SETTINGS, AS_OF, YEAR_BEFORE, TWO_YEARS_BEFORE)
    return con.execute("select * from segment_share").df().set_index("segment")


def test_counts_and_penetration(segment_share: pd.DataFrame) -> None:
    machinery = segment_share.loc["工程机械"]
    # Known: members 1, 2, 3 and the two list-only companies (巨力起重, 小河机械厂) = 5.
    # Member 1 is both in the list and registered, so it counts once.
    assert machinery["known_companies"] == 5
    assert machinery["listed_companies"] == 3
    assert machinery["registered"] == 3
    assert machinery["paying"] == 2  # members 1 and 2
    assert machinery["penetration"] == pytest.approx(2 / 5)
    assert machinery["registered_share"] == pytest.approx(3 / 5)

    tools = segment_share.loc["机床工具"]
    assert (tools["known_companies"], tools["registered"], tools["paying"]) == (1, 1, 0)
    assert tools["penetration"] == 0


def test_revenue_share_and_concentration(segment_share: pd.DataFrame) -> None:
    machinery = segment_share.loc["工程机械"]
    # Contracts starting in (2025-11-30, 2026-11-30]: 12 (10,000) and 21 (30,000).
    assert machinery["revenue_cny"] == 40_000
    # Contract 41 started on 2025-06-01, before the year, so 机床工具 has no revenue.
    assert segment_share.loc["机床工具", "revenue_cny"] == 0
    assert machinery["revenue_share"] == pytest.approx(1.0)
    assert segment_share.loc["机床工具", "revenue_share"] == 0
    # Two payers hold 10,000 and 30,000: top five = all; HHI = (0.25² + 0.75²) × 10,000.
    assert machinery["top5_revenue_share"] == pytest.approx(1.0)
    assert machinery["revenue_hhi"] == pytest.approx(6250)
    assert pd.isna(segment_share.loc["机床工具", "top5_revenue_share"])


def test_change_against_a_year_earlier(segment_share: pd.DataFrame) -> None:
    machinery = segment_share.loc["工程机械"]
    # On 2025-11-30 the known companies were those in the list (1, 巨力, 小河) and member 3,
    # registered in 2019; member 2 registered in 2026 and is in no list: 4 known.
    assert machinery["known_year_before"] == 4
    assert machinery["registered_year_before"] == 2  # members 1 and 3
    assert machinery["paying_year_before"] == 1  # contract 11 covered 2025-11-30
    assert machinery["penetration_year_before"] == pytest.approx(0.25)
    assert machinery["penetration_change"] == pytest.approx(0.4 - 0.25)
    # Revenue a year earlier: contracts starting in (2024-11-30, 2025-11-30]: 11 (8,000).
    assert machinery["revenue_year_before_cny"] == 8000
    assert machinery["revenue_change"] == pytest.approx((40_000 - 8000) / 8000)

    tools = segment_share.loc["机床工具"]
    assert tools["paying_year_before"] == 1  # contract 41 covered 2025-11-30
    assert tools["penetration_change"] == pytest.approx(0 - 1.0)
    assert tools["revenue_change"] == pytest.approx((0 - 20_000) / 20_000)


def test_big_companies_not_paying(segment_share: pd.DataFrame) -> None:
    machinery = segment_share.loc["工程机械"]
    # Big: member 3 (800 staff) and 巨力起重 (registered capital 60,000,000 yuan).
    assert machinery["big_companies"] == 2
    assert machinery["big_not_paying"] == 2
    assert machinery["big_never_registered"] == 1
