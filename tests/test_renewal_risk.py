"""Renewal-risk features, the leak guard, the backtest, and the model on the demo portal.

Hand-built history (as of 2026-11-30, lead time 60 days): contract 12 of member 1 runs
2025-01-01..2025-12-31, so its cutoff day is 2025-11-01; its recent window is 2025-08-03..
2025-10-31 and the one before it 2025-05-05..2025-08-02, which is also its 180-day window of
after-sales contacts.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from signin import sign_in
from streamlit.testing.v1 import AppTest

from etl.demo import generate_demo
from etl.load import run_load
from etl.renewals import (
    RenewalSettings,
    build_contract_renewals,
    build_tables,
    calibration_lines,
    feature_frame,
    score_pending,
)
from scoring import renewal_risk

AS_OF = dt.date(2026, 11, 30)
SETTINGS = RenewalSettings()
WEIGHTS = {"inquiries": 0.3, "messages": 0.1, "contact_views": 0.2, "ad_clicks": 0.05}
REPO_ROOT = Path(__file__).resolve().parent.parent

CONTRACTS = [
    (11, 1, "A", "2024-01-01", "2024-12-31", 10000.0),
    (12, 1, "A", "2025-01-01", "2025-12-31", 10000.0),
    # Renews 12 after its cutoff day: must not count as a prior renewal of 12.
    (13, 1, "A", "2025-12-20", "2026-12-19", 10000.0),
    (21, 2, "A", "2025-02-01", "2026-01-31", 10000.0),
    (31, 3, "A", "2024-12-01", "2025-11-30", 10000.0),
]
EVENTS = [
    ("inquiries", 1, "2025-05-04 10:00:00"),  # contract days only
    ("inquiries", 1, "2025-05-05 10:00:00"),  # first day of the earlier window
    ("inquiries", 1, "2025-08-02 10:00:00"),  # last day of the earlier window
    ("inquiries", 1, "2025-08-03 10:00:00"),  # first day of the recent window
    ("inquiries", 1, "2025-10-31 23:59:59"),  # last day before the cutoff
    ("inquiries", 1, "2025-11-01 00:00:00"),  # the cutoff day: excluded
    ("inquiries", 1, "2025-12-15 10:00:00"),  # after the cutoff
    ("messages", 1, "2025-09-01 10:00:00"),
    ("messages", 1, "2025-11-20 10:00:00"),  # after the cutoff
    ("inquiries", 3, "2025-09-15 10:00:00"),
    ("inquiries", 2, "2025-11-10 10:00:00"),
]
# member_id, action_on: after-sales contacts as the app database returns them.
CONTACTS = [
    (1, "2025-05-04"),  # the day before the contact window
    (1, "2025-05-05"),  # first day of the contact window
    (1, "2025-10-31"),  # last day before the cutoff
    (1, "2025-11-01"),  # the cutoff day: excluded
    (1, "2025-12-01"),  # after the cutoff
    (3, "2025-09-15"),
]
FEATURE_COLUMNS = [
    "cutoff",
    "inquiries_recent",
    "inquiries_before",
    "inquiries_contract",
    "contract_days",
    "messages_recent",
    "contact_views_recent",
    "ad_clicks_recent",
    "after_sales_contacts",
    "prior_renewals",
    "tenure_days",
    "health_at_cutoff",
]


def history_database(contracts: list[tuple], events: list[tuple]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(
        "create table members as select * from (values (1, 'a', '机床', 'r', 'o'), "
        "(2, 'b', '机床', 'r', 'o'), (3, 'c', '机床', 'r', 'o')) "
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
    con.executemany(
        "insert into stg_events values (?, ?, ?, ?)",
        [(kind, i, member, at) for i, (kind, member, at) in enumerate(events)],
    )
    build_contract_renewals(con, SETTINGS, AS_OF)
    return con


def features_of(
    con: duckdb.DuckDBPyConnection, contacts: list[tuple] | None = None
) -> pd.DataFrame:
    frame = pd.DataFrame(contacts or [], columns=["member_id", "action_on"])
    return feature_frame(con, SETTINGS, AS_OF, WEIGHTS, frame).set_index("contract_id")


def test_features_counted_by_hand() -> None:
    features = features_of(history_database(CONTRACTS, EVENTS), CONTACTS)
    row = features.loc[12]

    assert row["cutoff"] == dt.date(2025, 11, 1)
    assert row["inquiries_recent"] == 2  # 08-03 and 10-31
    assert row["inquiries_before"] == 2  # 05-05 and 08-02
    assert row["inquiries_contract"] == 5  # 05-04 to 10-31, from the start on 2025-01-01
    assert row["contract_days"] == 304
    assert row["messages_recent"] == 1
    assert row["after_sales_contacts"] == 2  # 05-05 and 10-31
    assert row["prior_renewals"] == 1  # 11 renewed by 12 on 2025-01-01; 13 comes later
    assert row["tenure_days"] == 670  # 2024-01-01 to 2025-11-01, 2024 a leap year
    # Peers in tier A with cutoff 2024-11-02..2025-11-01: 12 and 31 (1 inquiry, no message).
    # Percentiles 100, 100, 50, 50: (30 + 10 + 10 + 2.5) / 0.65 = 80.77, shown as 80.8.
    assert row["health_at_cutoff"] == 80.8


def test_no_data_after_cutoff_leaks() -> None:
    full = features_of(history_database(CONTRACTS, EVENTS), CONTACTS)
    cutoff = full.loc[12, "cutoff"].isoformat()

    # The same portal as it was on the cutoff day: later events, contracts and contacts removed.
    earlier_contracts = [c for c in CONTRACTS if c[3] < cutoff]
    earlier_events = [e for e in EVENTS if e[2] < cutoff]
    earlier_contacts = [c for c in CONTACTS if c[1] < cutoff]
    truncated = features_of(history_database(earlier_contracts, earlier_events), earlier_contacts)

    # Without contract 13 the outcome (the label) changes; the features must not.
    assert full.loc[12, "outcome"] == "renewed"
    assert truncated.loc[12, "outcome"] == "churned"
    assert full.loc[12, FEATURE_COLUMNS].to_dict() == truncated.loc[12, FEATURE_COLUMNS].to_dict()
    pd.testing.assert_frame_equal(
        renewal_risk.model_inputs(full.loc[[12]]), renewal_risk.model_inputs(truncated.loc[[12]])
    )


def test_own_early_renewal_not_a_feature() -> None:
    # With 90 days of early renewal, 14 renews 12 on 2025-10-12, before 12's cutoff day.
    settings = RenewalSettings(early_days=90)
    contracts = [*CONTRACTS[:2], (14, 1, "A", "2025-10-12", "2026-10-11", 10000.0)]
    con = history_database(contracts, EVENTS)
    con.execute("drop table contract_renewals")
    build_contract_renewals(con, settings, AS_OF)
    features = feature_frame(con, settings, AS_OF, WEIGHTS).set_index("contract_id")

    assert features.loc[12, "outcome"] == "renewed"
    assert features.loc[12, "decided_on"] == dt.date(2025, 10, 12)
    # Only 11's renewal (by 12 on 2025-01-01) is a prior renewal of 12.
    assert features.loc[12, "prior_renewals"] == 1


def test_peer_percentiles_ties_and_window() -> None:
    frame = pd.DataFrame(
        {
            "tier": ["A", "A", "A", "A", "B"],
            "cutoff": pd.to_datetime(
                ["2025-01-01", "2025-06-01", "2025-06-01", "2026-06-02", "2025-06-01"]
            ).date,
            "inquiries_recent": [4, 2, 2, 0, 9],
            "messages_recent": [0, 0, 0, 0, 0],
            "contact_views_recent": [0, 0, 0, 0, 0],
            "ad_clicks_recent": [0, 0, 0, 0, 0],
        }
    )
    scored = renewal_risk.add_event_health(frame, {"inquiries": 1.0})

    # Row 0 alone in its window: 50. Rows 1, 2 tie below row 0 (rank 1.5 of 3): 25.
    # Row 3 (2026-06-02) is more than 365 days after the others: alone, 50. Tier B alone: 50.
    assert scored["pct_inquiries"].to_list() == [50.0, 25.0, 25.0, 50.0, 50.0]
    assert scored["health_at_cutoff"].to_list() == [50.0, 25.0, 25.0, 50.0, 50.0]


def test_calibration_table_by_hand() -> None:
    labels = np.array([0, 1, 0, 1, 1])
    predicted = np.array([0.1, 0.15, 0.5, 0.9, 1.0])

    table = renewal_risk.calibration_table(labels, predicted)

    assert table["contracts"].to_list() == [2, 0, 1, 0, 2]
    assert table["mean_predicted"].iloc[0] == pytest.approx(0.125)
    assert table["observed_churn_rate"].iloc[0] == pytest.approx(0.5)
    assert np.isnan(table["mean_predicted"].iloc[1])
    assert table["observed_churn_rate"].iloc[4] == pytest.approx(1.0)


def test_backtest_splits_by_decision_day() -> None:
    decided = pd.DataFrame(
        {
            "decided_on": pd.to_datetime(
                ["2025-01-01", "2025-02-01", "2025-03-01", "2025-04-01", "2025-05-01"]
            ).date,
            "outcome": ["renewed", "churned", "renewed", "churned", "renewed"],
            "health_at_cutoff": [80.0, 20.0, 60.0, 30.0, 90.0],
        }
    )

    result = renewal_risk.run_backtest(decided, test_share=0.4, min_training=100)

    # floor(5 x 0.6) = 3: the test set starts at the fourth decision, 2025-04-01.
    assert result.split_date == dt.date(2025, 4, 1)
    rows = result.metrics.set_index("scorer")
    assert rows.index.to_list() == ["health_rule", "constant"]
    assert rows.loc["health_rule", "train_contracts"] == 3
    assert rows.loc["health_rule", "test_contracts"] == 2
    # Rule risks 0.7 (churned) and 0.1 (renewed): perfectly ordered; Brier (0.09 + 0.01) / 2.
    assert rows.loc["health_rule", "roc_auc"] == pytest.approx(1.0)
    assert rows.loc["health_rule", "brier"] == pytest.approx(0.05)
    # Constant: the training churn rate 1/3 for both.
    assert rows.loc["constant", "roc_auc"] == pytest.approx(0.5)
    assert rows.loc["constant", "brier"] == pytest.approx(((2 / 3) ** 2 + (1 / 3) ** 2) / 2)


def test_calibration_report_lines() -> None:
    decided = pd.DataFrame(
        {
            "decided_on": pd.to_datetime(
                ["2025-01-01", "2025-02-01", "2025-03-01", "2025-04-01", "2025-05-01"]
            ).date,
            "outcome": ["renewed", "churned", "renewed", "churned", "renewed"],
            "health_at_cutoff": [80.0, 20.0, 60.0, 30.0, 90.0],
        }
    )
    result = renewal_risk.run_backtest(decided, test_share=0.4, min_training=100)

    lines = calibration_lines(result.calibration)

    # Test set: 2025-04-01 (churned, rule risk 0.7) and 2025-05-01 (renewed, risk 0.1). Without
    # a model the health rule is the main scorer; three of five bins are empty.
    assert lines == [
        "  calibration of health_rule (bin, mean predicted risk, observed churn rate, contracts)",
        "    0.0-0.2  predicted 0.100  observed 0.000  contracts 1",
        "    0.2-0.4  predicted n/a  observed n/a  contracts 0",
        "    0.4-0.6  predicted n/a  observed n/a  contracts 0",
        "    0.6-0.8  predicted 0.700  observed 1.000  contracts 1",
        "    0.8-1.0  predicted n/a  observed n/a  contracts 0",
    ]


def test_calibration_without_decided_contracts() -> None:
    result = renewal_risk.run_backtest(
        pd.DataFrame(columns=["decided_on", "outcome", "health_at_cutoff"]), 0.3, 100
    )

    assert calibration_lines(result.calibration) == ["  calibration: no decided contracts to test"]


def test_build_tables_reports_calibration() -> None:
    con = history_database(CONTRACTS, EVENTS)
    # build_tables creates contract_renewals itself and joins the health mart.
    con.execute("drop table contract_renewals")
    con.execute(
        "create table member_health (member_id bigint, health_score double, band varchar, "
        "low_reasons varchar)"
    )

    lines = build_tables(con, SETTINGS, AS_OF, WEIGHTS)
    published = con.execute("select * from risk_calibration order by bin_low").df()

    # The report ends with the published calibration table: a header and five bins.
    assert lines[-6:] == calibration_lines(published)
    assert lines[-6].startswith("  calibration of health_rule ")
    assert published["contracts"].sum() > 0


def test_rule_takes_over_with_short_history() -> None:
    features = features_of(history_database(CONTRACTS, EVENTS)).reset_index()
    decided = features[features["outcome"].isin(renewal_risk.DECIDED)]

    method, scored = score_pending(features, decided, SETTINGS, AS_OF, WEIGHTS)

    assert len(decided) < SETTINGS.min_training_contracts
    assert method == "rule"
    # Pending contract 13: risk = (100 - its health at the cutoff) / 100.
    row = scored.set_index("contract_id").loc[13]
    assert row["risk"] == pytest.approx((100 - row["health_at_cutoff"]) / 100)


# --- the demo portal ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_load(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    config = generate_demo(tmp_path_factory.mktemp("risk_demo"), progress=False)
    return config, run_load(config, progress=False)


def test_model_beats_rule_and_constant(demo_load: tuple[Path, object]) -> None:
    _, report = demo_load
    with duckdb.connect(str(report.snapshot), read_only=True) as con:
        auc = dict(con.execute("select scorer, roc_auc from risk_backtest").fetchall())
        method = con.execute("select distinct method from renewal_risk").fetchall()

    assert method == [("model",)]
    assert auc["model"] > auc["health_rule"]
    assert auc["model"] > auc["constant"]
    assert auc["constant"] == pytest.approx(0.5)


def test_load_report_lists_backtest(demo_load: tuple[Path, object]) -> None:
    _, report = demo_load
    text = report.render()

    assert "scored by model" in text
    assert "backtest model" in text
    assert "backtest health_rule" in text
    assert "calibration of model (bin, mean predicted risk, observed churn rate, contracts)" in text


def test_risk_rows_and_reasons(demo_load: tuple[Path, object]) -> None:
    _, report = demo_load
    with duckdb.connect(str(report.snapshot), read_only=True) as con:
        bad = con.execute(
            "select count(*) from renewal_risk where risk < 0 or risk > 1 "
            "or abs(expected_revenue_at_risk - risk * amount_cny) > 1e-6"
        ).fetchone()[0]
        reasons = con.execute(
            "select distinct unnest(string_split(reasons, ',')) from renewal_risk "
            "where reasons <> ''"
        ).fetchall()
        not_pending = con.execute(
            "select count(*) from renewal_risk as r join contract_renewals as c "
            "using (contract_id) where c.outcome <> 'pending'"
        ).fetchone()[0]

    assert bad == 0
    assert not_pending == 0
    assert {code for (code,) in reasons} <= set(renewal_risk.REASON_OF_FEATURE.values())


def test_risk_page_with_model(demo_load: tuple[Path, object]) -> None:
    config, _ = demo_load
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PORTAL_CONFIG", str(config))
        at = sign_in(AppTest.from_file(REPO_ROOT / "app.py", default_timeout=60))
        at.run()
        at.switch_page("views/renewal_risk.py").run()

    assert not at.exception, [e.value for e in at.exception]
    assert not at.warning
    backtest = at.dataframe[1].value
    assert backtest["方法"].to_list() == ["逻辑回归模型", "健康分规则", "常数基线"]
    queue = at.dataframe[0].value
    at_risk = queue["预期流失金额（元）"].to_list()
    assert at_risk == sorted(at_risk, reverse=True)
