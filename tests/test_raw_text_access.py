"""Rejected rows by role, on a real load of the tiny portal with one invalid member row.

Member 6 (己机床有限公司, sales rep 王强) has the registration date 2026-13-45, so the load
rejects its row whole, with its phones, e-mail and WeChat id in the raw text, and rejects its
contract 17 as unknown_member. With the access log's unparseable line 16 the load rejects
three rows. Admins read them in full, directors and executives with the source text masked,
sales reps and after-sales staff not at all (only the counts by reason).
"""

from __future__ import annotations

import io
from pathlib import Path

import duckdb
import openpyxl
import pandas as pd
import pytest
import sqlalchemy as sa
from tiny_portal import write_portal

from dashboard import exports
from etl.load import run_load
from queries import run_query
from queries.access import Viewer, masked_cell_sql

CONTACT_QUERY_COLUMNS = (
    "c.shouhou as after_sales_owner, c.dianhua as contact_phone, c.shouji as contact_mobile, "
    "c.youxiang as contact_email, c.weixin as contact_wechat"
)
MEMBER_ROW_RAW = (
    "member_id=6, company_name='己机床有限公司', segment='机床', province='浙江', "
    "company_size='10-49人', registered_on='2026-13-45', shop_slug='zeta', sales_rep='王强', "
    "after_sales_owner='李娜', contact_phone='0571-88889999', contact_mobile='13912345678', "
    "contact_email='chen@example.com', contact_wechat='wxid_secret', credit_code=None, "
    "registered_capital_cny=None, staff_count=None"
)
CONTRACT_ROW_RAW = (
    "contract_id=17, member_id=6, tier='银牌会员', start_date=datetime.date(2026, 1, 1), "
    "end_date=datetime.date(2026, 12, 31), amount_cny=9800.0"
)
# (source, file, line_no, column_name, value, reason, raw), in the query's order: by source,
# file and line. The contract has no line because it was rejected after typing.
FULL_ROWS = [
    (
        "access_logs",
        "logs/access.log",
        16,
        None,
        None,
        "unparseable_line",
        "this line is not an access log line",
    ),
    ("portal_db", "contracts", None, "member_id", "6", "unknown_member", CONTRACT_ROW_RAW),
    ("portal_db", "members", 6, "registered_on", "2026-13-45", "invalid_date", MEMBER_ROW_RAW),
]
# Directors and executives: every raw text is "***"; the values hold no phone or e-mail.
MASKED_ROWS = [(*row[:6], "***") for row in FULL_ROWS]
SECRETS = ("88889999", "13912345678", "chen@example.com", "wxid_secret")

ROLES = [
    (Viewer("admin", "admin"), FULL_ROWS),
    (Viewer("boss", "director"), MASKED_ROWS),
    (Viewer("ceo", "executive"), MASKED_ROWS),
    (Viewer("wq", "sales_rep", "王强"), []),
    (Viewer("zm", "sales_rep", "赵敏"), []),
    (Viewer("ln", "after_sales", "李娜"), []),
]


def add_rejected_member(directory: Path, config: Path) -> None:
    """Add member 6 with an invalid registration date and contacts, and its contract 17."""
    engine = sa.create_engine(f"sqlite:///{directory / 'portal.db'}")
    with engine.begin() as connection:
        for column in ("dianhua", "shouji", "youxiang", "weixin"):
            connection.exec_driver_sql(f"alter table qy_company add column {column} text")
        connection.exec_driver_sql(
            "insert into qy_company values (6, '己机床有限公司', '机床', '浙江', '10-49人', "
            "'2026-13-45', 'zeta', '王强', '李娜', '0571-88889999', '13912345678', "
            "'chen@example.com', 'wxid_secret')"
        )
        connection.exec_driver_sql(
            "insert into hy_contract values (17, 6, '银牌会员', '2026-01-01', '2026-12-31', 9800.0)"
        )
    engine.dispose()
    text = config.read_text(encoding="utf-8")
    config.write_text(
        text.replace("c.shouhou as after_sales_owner", CONTACT_QUERY_COLUMNS), encoding="utf-8"
    )


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    directory = tmp_path_factory.mktemp("raw_text") / "portal"
    config = write_portal(directory)
    add_rejected_member(directory, config)
    report = run_load(config, progress=False)
    con = duckdb.connect(str(report.snapshot), read_only=True)
    yield con
    con.close()


def as_tuples(frame: pd.DataFrame) -> list[tuple]:
    return [
        tuple(None if pd.isna(value) else value for value in row)
        for row in frame.itertuples(index=False)
    ]


@pytest.mark.parametrize(("viewer", "expected"), ROLES, ids=lambda v: getattr(v, "role", ""))
def test_rejected_rows_by_role(snapshot, viewer, expected):
    frame = run_query(snapshot, "rejected_rows", {}, viewer=viewer)

    assert as_tuples(frame) == expected


@pytest.mark.parametrize(("viewer", "expected"), ROLES, ids=lambda v: getattr(v, "role", ""))
def test_rejected_rows_sample_by_role(snapshot, viewer, expected):
    frame = run_query(snapshot, "rejected_rows_sample", {"max_rows": 100}, viewer=viewer)

    assert as_tuples(frame) == expected


@pytest.mark.parametrize(("viewer", "expected"), ROLES, ids=lambda v: getattr(v, "role", ""))
def test_rejected_rows_csv_by_role(snapshot, viewer, expected):
    handle = io.BytesIO()
    written = exports.write_query_csv(snapshot, "rejected_rows", {}, viewer, handle)
    text = handle.getvalue().decode("utf-8-sig")

    assert written == len(expected)
    assert len(text.splitlines()) == 1 + len(expected)
    for secret in SECRETS:
        assert (secret in text) == (viewer.role == "admin"), secret


@pytest.mark.parametrize(("viewer", "expected"), ROLES, ids=lambda v: getattr(v, "role", ""))
def test_rejected_rows_xlsx_by_role(snapshot, viewer, expected):
    handle = io.BytesIO()
    written = exports.write_query_xlsx(snapshot, "rejected_rows", {}, viewer, handle)
    sheet = openpyxl.load_workbook(io.BytesIO(handle.getvalue())).active
    rows = [tuple(row) for row in sheet.iter_rows(min_row=2, values_only=True)]

    assert written == len(expected)
    assert [row[6] for row in rows] == [row[6] for row in expected]


@pytest.mark.parametrize(("viewer", "_"), ROLES, ids=lambda v: getattr(v, "role", ""))
def test_reason_counts_for_every_role(snapshot, viewer, _):
    frame = run_query(snapshot, "load_outcomes_by_reason", {}, viewer=viewer)
    rejected = frame[frame["outcome"] == "rejected"]

    # One row each: log line 16, member 6, contract 17.
    assert dict(zip(rejected["reason"], rejected["row_count"], strict=True)) == {
        "unparseable_line": 1,
        "invalid_date": 1,
        "unknown_member": 1,
    }


def test_restriction_does_not_leak_to_admin(snapshot):
    run_query(snapshot, "rejected_rows", {}, viewer=Viewer("wq", "sales_rep", "王强"))

    frame = run_query(snapshot, "rejected_rows", {}, viewer=Viewer("admin", "admin"))

    assert len(frame) == 3


MASKED_CELLS = [
    # (column_name, value, masked value)
    ("contact_mobile", "13912345678", "*" * 11),
    ("contact_email", "chen@example.com", "*" * 16),
    ("联系电话", "0571-88889999", "*" * 13),
    ("contact_wechat", "wxid_secret", "*" * 11),
    ("备注", "call 13912345678 or chen@example.com", "call *** or ***@example.com"),
    ("note", "0571-88889999", "***"),
    ("note", "138 1234 5678", "***"),
    ("registered_on", "2026-13-45", "2026-13-45"),
    ("time", "31/Feb/2026:10:00:00", "31/Feb/2026:10:00:00"),
    ("目标金额", "=1+2", "=1+2"),
    (None, "chen@example.com", "***@example.com"),
    ("note", None, None),
]


@pytest.mark.parametrize(("name", "value", "expected"), MASKED_CELLS)
def test_masked_cell(name, value, expected):
    with duckdb.connect() as con:
        con.execute("create table cells (column_name varchar, value varchar)")
        con.execute("insert into cells values (?, ?)", [name, value])
        masked = con.execute(
            f"select {masked_cell_sql('value', 'column_name')} from cells"
        ).fetchone()[0]

    assert masked == expected


def test_contact_value_masked_for_director(tmp_path):
    path = tmp_path / "snapshot.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute(
            "create table load_runs (run_id varchar, started_at timestamp, "
            "finished_at timestamp, config_file varchar, as_of date, status varchar)"
        )
        con.execute(
            "create table rejected_rows (run_id varchar, source varchar, file varchar, "
            "line_no bigint, column_name varchar, value varchar, reason varchar, raw varchar)"
        )
        con.execute("insert into load_runs values ('r1', now(), now(), 'p.toml', null, 'ok')")
        con.execute(
            "insert into rejected_rows values ('r1', 'universe', 'list.xlsx', 3, '联系电话', "
            "'13912345678', 'invalid_phone', '己机床,13912345678')"
        )
    with duckdb.connect(str(path), read_only=True) as con:
        director = run_query(con, "rejected_rows", {}, viewer=Viewer("boss", "director"))
        admin = run_query(con, "rejected_rows", {}, viewer=Viewer("admin", "admin"))

    # 11 digits in a contact column: 11 stars; the raw text: the mask.
    assert director[["value", "raw"]].iloc[0].tolist() == ["*" * 11, "***"]
    assert admin[["value", "raw"]].iloc[0].tolist() == ["13912345678", "己机床,13912345678"]
