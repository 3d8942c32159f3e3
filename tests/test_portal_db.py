"""Reading the portal database through SQLAlchemy: typing, rejected rows, errors."""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path

import pytest
import sqlalchemy as sa
from tiny_portal import QUERIES, write_database

from etl.errors import DatabaseUrlError, SourceError
from etl.portal_db import masked_url, read_portal


@pytest.fixture
def database(tmp_path: Path) -> str:
    path = tmp_path / "portal.db"
    write_database(path)
    return f"sqlite:///{path}"


def execute(url: str, sql: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql(sql)
    engine.dispose()


def test_rows_typed(database: str) -> None:
    data = read_portal(database, QUERIES)

    contracts = data.tables["contracts"]
    first = contracts.iloc[0].to_dict()
    assert first == {
        "contract_id": 11,
        "member_id": 1,
        "tier": "银牌会员",
        "start_date": dt.date(2026, 1, 1),
        "end_date": dt.date(2026, 12, 31),
        "amount_cny": 12800.0,
    }
    inquiries = data.tables["inquiries"]
    assert inquiries.iloc[0]["occurred_at"] == dt.datetime(2026, 11, 3, 9, 0)
    assert [s.read for s in data.stats] == [5, 6, 6, 3, 2, 1]
    assert data.rejections == []


def test_bad_rows_rejected_with_reason(database: str) -> None:
    execute(
        database,
        "insert into hy_contract values (20, 1, '银牌会员', '2026-05-01', '2026-04-01', 100)",
    )
    execute(
        database,
        "insert into hy_contract values (21, 1, '银牌会员', '2026-13-01', '2027-01-01', 100)",
    )
    execute(
        database,
        "insert into hy_contract values (22, 1, '银牌会员', '2026-01-01', '2027-01-01', 'twelve')",
    )
    execute(
        database,
        "insert into hy_contract values (23, 99, '银牌会员', '2026-01-01', '2027-01-01', 100)",
    )
    execute(
        database, "insert into qy_company values (6, '', '机床', '', '', '2020-01-01', 'x', '', '')"
    )

    data = read_portal(database, QUERIES)

    reasons = sorted(
        (r.file, r.line_no, r.column, r.value, r.reason)
        for r in data.rejections
        if r.line_no is not None
    )
    assert reasons == [
        ("contracts", 7, "end_date", "2026-04-01", "end_before_start"),
        ("contracts", 8, "start_date", "2026-13-01", "invalid_date"),
        ("contracts", 9, "amount_cny", "twelve", "invalid_amount"),
        ("members", 6, "company_name", None, "missing_value"),
    ]
    orphans = [(r.file, r.value, r.reason) for r in data.rejections if r.line_no is None]
    assert orphans == [("contracts", "99", "unknown_member")]
    contract_stats = next(s for s in data.stats if s.file == "contracts")
    assert contract_stats.read == 10
    assert contract_stats.loaded == 6
    assert contract_stats.reconciles()


def test_duplicate_key_rejected(database: str) -> None:
    queries = dict(
        QUERIES,
        inquiries="select id as event_id, cid as member_id, t as occurred_at"
        " from xj_inquiry union all select 1, 1, '2026-11-03 09:00:00'",
    )

    data = read_portal(database, queries)

    duplicates = [(r.file, r.line_no, r.reason) for r in data.rejections]
    assert duplicates == [("inquiries", 7, "duplicate_key")]


def test_missing_column_names_query(database: str) -> None:
    queries = dict(
        QUERIES, members="select cid as member_id, cname as company_name from qy_company"
    )

    with pytest.raises(
        SourceError,
        match=r"database\.queries\.members returns no column "
        r"segment, province",
    ):
        read_portal(database, queries)


def test_failing_sql_names_query(database: str) -> None:
    queries = dict(QUERIES, messages="select * from no_such_table")

    with pytest.raises(SourceError, match=r"database\.queries\.messages failed.*no_such_table"):
        read_portal(database, queries)


def test_missing_sqlite_file(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"absent\.db not found"):
        read_portal(f"sqlite:///{tmp_path / 'absent.db'}", QUERIES)


def test_password_masked() -> None:
    masked = masked_url("mysql+pymysql://etl:s3cret@db.example/portal")

    assert "s3cret" not in masked
    assert masked == "mysql+pymysql://etl:***@db.example/portal"


def test_missing_driver_names_module() -> None:
    if importlib.util.find_spec("pymysql") is not None:
        pytest.skip("PyMySQL is installed here, so its absence cannot be shown")

    with pytest.raises(
        DatabaseUrlError, match=r"driver module pymysql, which is not installed"
    ) as info:
        read_portal("mysql+pymysql://etl:s3cret@127.0.0.1/portal", QUERIES)

    assert "s3cret" not in str(info.value)


def test_date_range_recorded(database: str) -> None:
    data = read_portal(database, QUERIES)

    ranges = {s.file: (s.data_from, s.data_to) for s in data.stats}
    assert ranges["inquiries"] == ("2026-10-10", "2026-11-23")
    assert ranges["contracts"] == ("2023-03-01", "2026-11-20")
    assert ranges["members"] == ("2018-07-07", "2026-11-01")
