"""The after-sales queue query and the actions store, on hand-made rows.

The queue rows are written straight into a DuckDB file shaped like the published tables; the
actions go to a real SQLite app database through SQLAlchemy.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import sqlalchemy as sa

import store
from dashboard.renewals_tables import queue_owner_column, queue_table
from queries import run_query
from queries.access import Viewer
from store import actions

AS_OF = dt.date(2026, 11, 30)
DIRECTOR = Viewer("boss", "director")

# contract_id, member_id, sales_rep, after-sales owner, end_date, amount_cny, risk
RISKS = [
    (1, 10, "王强", "李娜", "2026-12-10", 10000.0, 0.5),  # at risk 5,000, 10 days left
    (2, 20, "周欢", "李娜", "2026-12-31", 20000.0, 0.25),  # at risk 5,000, 31 days left
    (3, 30, "李娜", "周杰", "2027-01-20", 40000.0, 0.5),  # at risk 20,000, 51 days left
    (4, 40, "王强", "周杰", "2027-06-30", 90000.0, 0.9),  # 212 days left: beyond 90
    (5, 50, "周欢", "李娜", "2026-11-20", 8000.0, 0.75),  # in grace, -10 days: at risk 6,000
]


@pytest.fixture
def snapshot(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(tmp_path / "queue.duckdb"))
    con.execute("create table renewal_settings (key varchar, value varchar)")
    con.execute("insert into renewal_settings values ('as_of', ?)", [AS_OF.isoformat()])
    frame = pd.DataFrame(
        RISKS,
        columns=[
            "contract_id",
            "member_id",
            "sales_rep",
            "after_sales_owner",
            "end_date",
            "amount",
            "risk",
        ],
    )
    con.register("risk_rows", frame)
    # Restricted viewers see only the members whose sales_rep or after_sales_owner they are.
    con.execute(
        "create table members as select member_id, sales_rep, after_sales_owner from risk_rows"
    )
    con.execute(
        """
        create table renewal_risk as
        select contract_id, member_id, 'company ' || member_id as company_name,
            '机床' as segment, '银牌' as tier, sales_rep, after_sales_owner,
            cast(end_date as date) as end_date, amount as amount_cny, risk,
            risk * amount as expected_revenue_at_risk, 'inquiries' as reasons,
            'model' as method, 50.0 as health_score, 'watch' as band, '' as low_reasons,
            'first' as renewal_kind
        from risk_rows
        """
    )
    yield con
    con.close()


def queue(
    con: duckdb.DuckDBPyConnection,
    days: int,
    owner: str | None,
    owner_column: str = "after_sales_owner",
    viewer: Viewer = DIRECTOR,
) -> pd.DataFrame:
    params = {"days": days, "owner": owner, "owner_column": owner_column}
    return run_query(con, "risk_queue", params, viewer=viewer)


def my_queue(con: duckdb.DuckDBPyConnection, viewer: Viewer, days: int = 90) -> pd.DataFrame:
    """Return the queue with "mine" ticked, as the risk page requests it."""
    return queue(con, days, viewer.staff_name, queue_owner_column(viewer.role), viewer)


def test_queue_order_and_horizon(snapshot: duckdb.DuckDBPyConnection) -> None:
    frame = queue(snapshot, 90, None)

    # At risk 20,000 (3), 6,000 (5), then 5,000 twice: fewer days left first (1 before 2).
    assert frame["contract_id"].to_list() == [3, 5, 1, 2]
    assert frame["days_left"].to_list() == [51, -10, 10, 31]


def test_queue_for_one_owner(snapshot: duckdb.DuckDBPyConnection) -> None:
    assert queue(snapshot, 90, "周杰")["contract_id"].to_list() == [3]
    assert queue(snapshot, 365, "周杰")["contract_id"].to_list() == [4, 3]


def test_owner_column_by_role() -> None:
    assert queue_owner_column("sales_rep") == "sales_rep"
    assert queue_owner_column("after_sales") == "after_sales_owner"
    assert queue_owner_column("admin") == "either"
    assert queue_owner_column("director") == "either"
    assert queue_owner_column("executive") == "either"


def test_mine_for_sales_rep(snapshot: duckdb.DuckDBPyConnection) -> None:
    # 周欢 is the sales rep of members 20 and 50, after-sales owner of none: contracts 5
    # (at risk 6,000) and 2 (5,000). Matching after_sales_owner instead gave no rows.
    frame = my_queue(snapshot, Viewer("sales", "sales_rep", "周欢"))

    assert frame["contract_id"].to_list() == [5, 2]


def test_mine_for_after_sales(snapshot: duckdb.DuckDBPyConnection) -> None:
    # 李娜 looks after members 10, 20 and 50 (contracts 1, 2, 5). She is also the sales rep of
    # member 30, but an after-sales viewer's "mine" is by after_sales_owner only.
    frame = my_queue(snapshot, Viewer("ln", "after_sales", "李娜"))

    assert frame["contract_id"].to_list() == [5, 1, 2]


def test_mine_either_column_for_admin(snapshot: duckdb.DuckDBPyConnection) -> None:
    # An admin named 李娜: after-sales owner of 1, 2, 5 and sales rep of 3 (at risk 20,000).
    frame = my_queue(snapshot, Viewer("admin", "admin", "李娜"))

    assert frame["contract_id"].to_list() == [3, 5, 1, 2]


def test_future_action_date_rejected(app_url: str) -> None:
    engine = store.engine_for(app_url)
    # 2026-12-04 17:00 UTC is 2026-12-05 01:00 in Shanghai (UTC+8): the 5th is today there.
    now = dt.datetime(2026, 12, 4, 17, 0, tzinfo=dt.UTC)
    first_id = actions.record_action(
        engine,
        member_id=1,
        action="contacted",
        action_on=dt.date(2026, 12, 5),
        recorded_by="ln",
        now=now,
    )

    with pytest.raises(
        actions.FutureActionDateError, match=r"2026-12-06 is after today \(2026-12-05"
    ):
        actions.record_action(
            engine,
            member_id=1,
            action="contacted",
            action_on=dt.date(2026, 12, 6),
            recorded_by="ln",
            now=now,
        )
    # In UTC the same moment is still 2026-12-04, so the 5th is in the future there.
    with pytest.raises(actions.FutureActionDateError, match=r"after today \(2026-12-04 in UTC\)"):
        actions.record_action(
            engine,
            member_id=1,
            action="contacted",
            action_on=dt.date(2026, 12, 5),
            recorded_by="ln",
            timezone="UTC",
            now=now,
        )

    # Only the first action was stored.
    assert first_id == 1
    assert actions.member_actions(engine, 1)["action_on"].to_list() == [dt.date(2026, 12, 5)]


@pytest.fixture
def app_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'app.db'}"


def test_action_survives_engine_restart(app_url: str) -> None:
    engine = store.engine_for(app_url)
    actions.record_action(
        engine,
        member_id=10,
        contract_id=1,
        action="offer_made",
        action_on=dt.date(2026, 11, 28),
        note="九折续费",
        recorded_by="ln",
    )

    # A new process: a fresh engine on the same file.
    fresh = sa.create_engine(app_url)
    history = actions.member_actions(fresh, 10)
    fresh.dispose()

    assert history[["action", "action_on", "note", "recorded_by", "contract_id"]].to_dict(
        "records"
    ) == [
        {
            "action": "offer_made",
            "action_on": dt.date(2026, 11, 28),
            "note": "九折续费",
            "recorded_by": "ln",
            "contract_id": 1,
        }
    ]


def test_last_action_by_date_then_order(app_url: str) -> None:
    engine = store.engine_for(app_url)
    for member_id, action, day in [
        (10, "contacted", dt.date(2026, 11, 1)),
        (10, "effect_report_sent", dt.date(2026, 11, 20)),
        # Recorded later but dated earlier: not the last action.
        (10, "contacted", dt.date(2026, 11, 5)),
        (20, "contacted", dt.date(2026, 11, 3)),
        (20, "lost", dt.date(2026, 11, 3)),
    ]:
        actions.record_action(
            engine, member_id=member_id, action=action, action_on=day, recorded_by="ln"
        )

    last = actions.last_actions(engine, [10, 20, 30]).sort_values("member_id")

    assert last[["member_id", "action"]].to_numpy().tolist() == [
        [10, "effect_report_sent"],
        [20, "lost"],
    ]


def test_unknown_action_rejected(app_url: str) -> None:
    engine = store.engine_for(app_url)

    with pytest.raises(ValueError, match="Unknown action 'called'; use one of contacted"):
        actions.record_action(
            engine, member_id=1, action="called", action_on=AS_OF, recorded_by="ln"
        )


def test_long_note_rejected(app_url: str) -> None:
    engine = store.engine_for(app_url)

    with pytest.raises(ValueError, match="Note has 2001 characters"):
        actions.record_action(
            engine, member_id=1, action="contacted", action_on=AS_OF, recorded_by="ln",
            note="x" * 2001,
        )  # fmt: skip


def test_queue_table_last_contact(snapshot: duckdb.DuckDBPyConnection) -> None:
    frame = queue(snapshot, 90, None).assign(
        last_action=["contacted", None, None, None],
        last_action_on=[dt.date(2026, 11, 28), None, None, None],
    )

    table = queue_table(frame, "zh-CN")

    assert table["最近跟进"].to_list() == ["已联系 2026-11-28", "—", "—", "—"]
    assert table["流失风险"].to_list() == ["50.0%", "75.0%", "50.0%", "25.0%"]
    assert table["预期流失金额（元）"].to_list() == [20000.0, 6000.0, 5000.0, 5000.0]
