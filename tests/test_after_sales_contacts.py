"""After-sales contacts as a renewal-risk feature: counts by hand, the cutoff, the app database.

As of 2026-11-30 with 60 days of lead time and the default 180-day contact window, contract 12
of member 1 (2025-01-01..2025-12-31) has its cutoff day on 2025-11-01 and counts the contacts
dated 2025-05-05..2025-10-31. Contacts come from a real SQLite app database written through
store/actions.py, or from a frame shaped like what etl.renewals.read_contacts returns.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import sqlite3
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import sqlalchemy as sa
from tiny_portal import write_portal

import store
from dashboard.renewals_tables import reason_text
from etl.errors import SourceError
from etl.load import run_load
from etl.renewals import (
    RenewalSettings,
    build_contract_renewals,
    feature_frame,
    read_contacts,
    score_pending,
)
from scoring import renewal_risk
from store import actions

AS_OF = dt.date(2026, 11, 30)
SETTINGS = RenewalSettings()
WEIGHTS = {"inquiries": 0.3, "messages": 0.1, "contact_views": 0.2, "ad_clicks": 0.05}
CUTOFF = dt.date(2025, 11, 1)

# contract_id, member_id, tier, start_date, end_date, amount_cny
CONTRACTS = [
    (11, 1, "A", "2024-01-01", "2024-12-31", 10000.0),
    (12, 1, "A", "2025-01-01", "2025-12-31", 10000.0),
    (21, 2, "A", "2025-01-01", "2025-12-31", 10000.0),
]
# member_id, action_on
CONTACTS = [
    (1, "2025-05-04"),  # one day before the window of 12
    (1, "2025-05-05"),  # first day of the window of 12
    (1, "2025-08-20"),
    (1, "2025-10-31"),  # the day before the cutoff of 12
    (2, "2025-10-01"),
]


def history_database(contracts: list[tuple] = CONTRACTS) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(
        "create table members as select * from (values (1, 'a', '机床', 'r', 'o'), "
        "(2, 'b', '机床', 'r', 'o'), (3, 'c', '机床', 'r', 'o'), (4, 'd', '机床', 'r', 'o')) "
        "as m(member_id, company_name, segment, sales_rep, after_sales_owner)"
    )
    con.execute(
        "create table contracts (contract_id bigint, member_id bigint, tier varchar, "
        "start_date date, end_date date, amount_cny double)"
    )
    con.executemany("insert into contracts values (?, ?, ?, ?, ?, ?)", contracts)
    con.execute(
        "create table stg_events (kind varchar, event_id bigint, member_id bigint, "
        "occurred_at timestamp)"
    )
    build_contract_renewals(con, SETTINGS, AS_OF)
    return con


def contact_frame(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["member_id", "action_on"])


def features_of(
    rows: list[tuple], settings: RenewalSettings = SETTINGS, contracts: list[tuple] = CONTRACTS
) -> pd.DataFrame:
    con = history_database(contracts)
    features = feature_frame(con, settings, AS_OF, WEIGHTS, contact_frame(rows))
    return features.set_index("contract_id")


def record(engine, member_id: int, action: str, action_on: str) -> None:
    actions.record_action(
        engine,
        member_id=member_id,
        action=action,
        action_on=dt.date.fromisoformat(action_on),
        recorded_by="ln",
    )


def test_contacts_counted_by_hand() -> None:
    features = features_of(CONTACTS)

    assert features.loc[12, "cutoff"] == CUTOFF
    # 05-05, 08-20 and 10-31; 05-04 is 181 days before the cutoff.
    assert features.loc[12, "after_sales_contacts"] == 3
    # Contract 11: cutoff 2024-11-01, window 2024-05-05..2024-10-31: none of the dates.
    assert features.loc[11, "after_sales_contacts"] == 0
    # Contract 21 of member 2, same dates as 12: the contact on 2025-10-01.
    assert features.loc[21, "after_sales_contacts"] == 1


def test_contact_from_cutoff_day_changes_nothing() -> None:
    before = features_of(CONTACTS)

    for late_day in ("2025-11-01", "2025-11-02", "2026-11-29"):
        after = features_of([*CONTACTS, (1, late_day)])

        assert after.loc[12].to_dict() == before.loc[12].to_dict(), late_day
        pd.testing.assert_frame_equal(
            renewal_risk.model_inputs(after.loc[[12]]),
            renewal_risk.model_inputs(before.loc[[12]]),
        )


def test_contact_day_before_cutoff_adds_one() -> None:
    before = features_of(CONTACTS)
    after = features_of([*CONTACTS, (1, "2025-10-31")])

    assert after.loc[12, "after_sales_contacts"] == before.loc[12, "after_sales_contacts"] + 1
    unchanged = [column for column in before.columns if column != "after_sales_contacts"]
    assert after.loc[12, unchanged].to_dict() == before.loc[12, unchanged].to_dict()
    # log1p(4) against log1p(3): the model input moves with the count.
    inputs = renewal_risk.model_inputs(after.loc[[12]])
    assert inputs.loc[12, "log_after_sales_contacts"] == pytest.approx(1.6094379, abs=1e-7)


def test_contact_window_setting() -> None:
    short_window = features_of(CONTACTS, RenewalSettings(contact_window_days=73))
    no_window = features_of(CONTACTS, RenewalSettings(contact_window_days=0))

    # 73 days before 2025-11-01 is 2025-08-20: 08-20 and 10-31 count.
    assert short_window.loc[12, "after_sales_contacts"] == 2
    assert no_window.loc[12, "after_sales_contacts"] == 0


def test_outcomes_never_count(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    engine = store.engine_for(url)
    for action in actions.ACTION_CODES:
        record(engine, 1, action, "2025-10-01")
    record(engine, 2, "renewed", "2025-10-01")
    record(engine, 2, "lost", "2025-10-02")

    contacts = read_contacts(url)
    features = features_of(list(contacts.itertuples(index=False, name=None)))

    # contacted, effect_report_sent, offer_made; renewed and lost are outcomes.
    assert contacts["member_id"].to_list() == [1, 1, 1]
    assert features.loc[12, "after_sales_contacts"] == 3
    assert features.loc[21, "after_sales_contacts"] == 0


def test_read_only_engine_rejects_writes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    record(store.engine_for(url), 1, "contacted", "2025-10-01")
    engine = actions.read_only_engine(url)

    with pytest.raises(sa.exc.OperationalError, match="readonly database"):
        with engine.begin() as connection:
            connection.exec_driver_sql("delete from renewal_actions")
    engine.dispose()

    assert read_contacts(url)["member_id"].to_list() == [1]


def test_missing_app_database(tmp_path: Path) -> None:
    path = tmp_path / "absent" / "app.db"

    contacts = read_contacts(f"sqlite:///{path}")

    assert contacts.empty
    assert not path.exists()
    assert not path.parent.exists()


def test_app_database_without_actions_table(tmp_path: Path) -> None:
    path = tmp_path / "app.db"
    with sqlite3.connect(path) as connection:
        connection.execute("create table other (id integer)")
    connection.close()

    contacts = read_contacts(f"sqlite:///{path}")

    assert contacts.empty
    with sqlite3.connect(path) as connection:
        tables = connection.execute("select name from sqlite_master").fetchall()
    connection.close()
    assert tables == [("other",)]


def test_unreadable_app_database(tmp_path: Path) -> None:
    path = tmp_path / "app.db"
    path.write_bytes(b"not a database at all, " * 100)

    with pytest.raises(SourceError, match=r"App database sqlite:///.*app\.db could not be read"):
        read_contacts(f"sqlite:///{path}")
    assert path.read_bytes() == b"not a database at all, " * 100


# --- a whole load of the tiny portal ---------------------------------------------------------


def test_load_without_app_database(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    config = write_portal(tmp_path / "portal")
    app_db = tmp_path / "portal" / "app.db"

    with caplog.at_level(logging.INFO, logger="etl.renewals"):
        report = run_load(config, progress=False)

    assert not app_db.exists()
    assert any("does not exist; after-sales contacts count as 0" in m for m in caplog.messages)
    with duckdb.connect(str(report.snapshot), read_only=True) as con:
        counts = con.execute(
            "select contract_id, after_sales_contacts from renewal_risk order by contract_id"
        ).fetchall()
        window = con.execute(
            "select value from renewal_settings where key = 'contact_window_days'"
        ).fetchone()
    # The pending contracts of the tiny portal, none with a contact.
    assert counts == [(11, 0), (12, 0), (14, 0), (16, 0)]
    assert window == ("180",)


def test_load_reads_app_database_unchanged(tmp_path: Path) -> None:
    config = write_portal(tmp_path / "portal")
    app_db = tmp_path / "portal" / "app.db"
    engine = store.engine_for(f"sqlite:///{app_db}")
    # Contract 12 (member 2, ends 2027-01-31): cutoff = as_of 2026-11-30, because
    # end - 60 days = 2026-12-02 is later; window 2026-06-03..2026-11-29.
    record(engine, 2, "contacted", "2026-11-29")  # counts
    record(engine, 2, "offer_made", "2026-06-03")  # counts: first day of the window
    record(engine, 2, "effect_report_sent", "2026-06-02")  # one day too early
    record(engine, 2, "lost", "2026-11-01")  # an outcome
    record(engine, 2, "contacted", "2026-11-30")  # the cutoff day
    # Contract 11 (member 1, ends 2026-12-31): cutoff 2026-11-01; this is that day.
    record(engine, 1, "contacted", "2026-11-01")
    engine.dispose()
    digest = hashlib.sha256(app_db.read_bytes()).hexdigest()
    modified = app_db.stat().st_mtime_ns

    report = run_load(config, progress=False)

    assert hashlib.sha256(app_db.read_bytes()).hexdigest() == digest
    assert app_db.stat().st_mtime_ns == modified
    # No journal or WAL file appeared beside it.
    assert [path.name for path in app_db.parent.glob("app.db*")] == ["app.db"]
    with duckdb.connect(str(report.snapshot), read_only=True) as con:
        counts = con.execute(
            "select contract_id, after_sales_contacts from renewal_risk order by contract_id"
        ).fetchall()
    assert counts == [(11, 0), (12, 2), (14, 0), (16, 0)]


# --- the model and its reasons ---------------------------------------------------------------

# Four members with one equal contract each, 2025-01-01..2025-12-31 (cutoff 2025-11-01).
# Members 1 and 2 renewed on 2026-01-01 (contracts 102, 202, cutoff 2026-11-01, pending); 3
# and 4 churned. The decided contracts differ only in their contacts, so the model learns
# that fewer contacts mean more risk and every other input has no weight.
REASON_CONTRACTS = [
    (101, 1, "A", "2025-01-01", "2025-12-31", 10000.0),
    (102, 1, "A", "2026-01-01", "2026-12-31", 10000.0),
    (201, 2, "A", "2025-01-01", "2025-12-31", 10000.0),
    (202, 2, "A", "2026-01-01", "2026-12-31", 10000.0),
    (301, 3, "A", "2025-01-01", "2025-12-31", 10000.0),
    (401, 4, "A", "2025-01-01", "2025-12-31", 10000.0),
]
REASON_CONTACTS = [
    *[(1, day) for day in ("2025-09-01", "2025-09-10", "2025-09-20")],
    *[(2, day) for day in ("2025-09-01", "2025-09-10", "2025-09-20")],
    # Member 2 again before the cutoff of 202 (window 2026-05-05..2026-10-31); member 1 not.
    *[(2, day) for day in ("2026-09-01", "2026-09-10", "2026-09-20")],
]


def test_few_contacts_give_reason() -> None:
    features = features_of(
        REASON_CONTACTS, RenewalSettings(min_training_contracts=2), REASON_CONTRACTS
    ).reset_index()
    decided = features[features["outcome"].isin(renewal_risk.DECIDED)]

    method, scored = score_pending(
        features, decided, RenewalSettings(min_training_contracts=2), AS_OF, WEIGHTS
    )
    rows = scored.set_index("contract_id")

    assert decided.set_index("contract_id")["after_sales_contacts"].to_dict() == {
        101: 3,
        201: 3,
        301: 0,
        401: 0,
    }
    assert method == "model"
    assert rows["after_sales_contacts"].to_dict() == {102: 0, 202: 3}
    # 102 has fewer contacts than the training mean: that is its one reason. 202 has as many
    # as the renewed contracts had, so nothing raises its risk above the average.
    assert rows.loc[102, "reasons"] == "after_sales_contacts"
    assert rows.loc[202, "reasons"] == ""
    assert rows.loc[102, "risk"] > 0.5 > rows.loc[202, "risk"]
    assert reason_text(rows.loc[102, "reasons"], "zh-CN") == "售后联系次数"
    assert reason_text(rows.loc[102, "reasons"], "en") == "After-sales contacts"
