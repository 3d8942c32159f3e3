"""Row-level access in the query layer, on a real load of the tiny portal.

In tests/tiny_portal.py sales rep 王强 owns members 1, 2 and 5 and 赵敏 owns 3 and 4;
after-sales 李娜 looks after 1, 2 and 5 and 周杰 after 3 and 4.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from tiny_portal import write_portal

from etl.load import run_load
from queries import run_query
from queries.access import MEMBER_TABLES, RAW_TEXT_TABLES, Viewer

ALL_FILTERS = {"segment": None, "tier": None, "sales_rep": None, "band": None}
PAID = {1, 2, 3, 5}


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    config = write_portal(tmp_path_factory.mktemp("access") / "portal")
    report = run_load(config, progress=False)
    con = duckdb.connect(str(report.snapshot), read_only=True)
    yield con
    con.close()


def health_members(con: duckdb.DuckDBPyConnection, viewer: Viewer) -> set[int]:
    frame = run_query(con, "member_health_list", ALL_FILTERS, viewer=viewer)
    return set(frame["member_id"])


@pytest.mark.parametrize(
    ("viewer", "expected"),
    [
        (Viewer("admin", "admin"), PAID),
        (Viewer("boss", "director"), PAID),
        (Viewer("ceo", "executive"), PAID),
        (Viewer("wq", "sales_rep", "王强"), {1, 2, 5}),
        (Viewer("zm", "sales_rep", "赵敏"), {3}),
        (Viewer("ln", "after_sales", "李娜"), {1, 2, 5}),
        (Viewer("zj", "after_sales", "周杰"), {3}),
        (Viewer("nobody", "sales_rep", "不存在"), set()),
        (Viewer("unnamed", "after_sales", None), set()),
    ],
)
def test_health_list_by_role(
    snapshot: duckdb.DuckDBPyConnection, viewer: Viewer, expected: set[int]
) -> None:
    assert health_members(snapshot, viewer) == expected


def test_rep_cannot_open_other_member(snapshot: duckdb.DuckDBPyConnection) -> None:
    rep = Viewer("zm", "sales_rep", "赵敏")

    assert run_query(snapshot, "member_profile", {"member_id": 1}, viewer=rep).empty
    assert run_query(snapshot, "member_contracts", {"member_id": 1}, viewer=rep).empty
    assert run_query(snapshot, "member_daily_metrics", {"member_id": 1}, viewer=rep).empty
    assert not run_query(snapshot, "member_profile", {"member_id": 3}, viewer=rep).empty


def test_band_counts_restricted(snapshot: duckdb.DuckDBPyConnection) -> None:
    rep = Viewer("zm", "sales_rep", "赵敏")

    counts = run_query(snapshot, "member_health_band_counts", ALL_FILTERS, viewer=rep)

    # Member 3 is the rep's only paid member, and it is at risk.
    assert dict(zip(counts["band"], counts["members"], strict=True)) == {"at_risk": 1}


def test_restriction_does_not_leak_to_next_query(snapshot: duckdb.DuckDBPyConnection) -> None:
    health_members(snapshot, Viewer("zm", "sales_rep", "赵敏"))

    assert health_members(snapshot, Viewer("boss", "director")) == PAID


def test_every_member_table_restricted(snapshot: duckdb.DuckDBPyConnection) -> None:
    with_member_id = {
        row[0]
        for row in snapshot.execute(
            "select table_name from information_schema.columns "
            "where column_name = 'member_id' and table_schema = 'main'"
        ).fetchall()
    }

    assert with_member_id - set(MEMBER_TABLES) == set()


def test_unknown_role_rejected() -> None:
    with pytest.raises(ValueError, match="Unknown role 'intern'"):
        Viewer("x", "intern")


def test_tables_of_published_snapshot_listed(tmp_path: Path) -> None:
    # Guards the list itself: each name must be a table a load publishes.
    config = write_portal(tmp_path / "portal")
    report = run_load(config, progress=False)
    with duckdb.connect(str(report.snapshot), read_only=True) as con:
        tables = {row[0] for row in con.execute("show tables").fetchall()}

    assert set(MEMBER_TABLES) <= tables


def test_every_raw_text_table_masked(snapshot: duckdb.DuckDBPyConnection) -> None:
    with_raw = {
        row[0]
        for row in snapshot.execute(
            "select table_name from information_schema.columns "
            "where column_name = 'raw' and table_schema = 'main'"
        ).fetchall()
    }

    assert with_raw == {"rejected_rows"}
    assert with_raw - set(RAW_TEXT_TABLES) == set()


def test_raw_text_columns_exist(snapshot: duckdb.DuckDBPyConnection) -> None:
    for table, text_columns in RAW_TEXT_TABLES.items():
        columns = {row[0] for row in snapshot.execute(f"describe {table}").fetchall()}
        listed = {*text_columns.whole, *text_columns.cells, text_columns.cell_name} - {None}

        assert listed <= columns, table


@pytest.mark.parametrize(
    ("viewer", "expected"),
    [
        (Viewer("admin", "admin"), "full"),
        (Viewer("boss", "director"), "masked"),
        (Viewer("ceo", "executive"), "masked"),
        (Viewer("wq", "sales_rep", "王强"), "none"),
        (Viewer("ln", "after_sales", "李娜"), "none"),
    ],
)
def test_raw_text_access_by_role(viewer: Viewer, expected: str) -> None:
    assert viewer.raw_text_access == expected
