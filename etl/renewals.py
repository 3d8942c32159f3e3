"""Renewal marts of a load: outcomes per contract, renewal risk, and the risk backtest.

`build_marts` runs after the other marts, while the staging tables still exist. The risk
features count portal events (stg_events) over the whole contract history, because the access
logs behind member_daily cover only their own days. Page-view metrics are therefore no model
input. After-sales contacts come from the actions staff record in the app database, which
`read_contacts` only reads. Published tables: contract_renewals, renewal_risk, risk_backtest,
risk_calibration and renewal_settings (docs/warehouse.md).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import duckdb
import pandas as pd
import sqlalchemy as sa

from etl import warehouse
from etl.config import SETTINGS, Config
from etl.errors import ConfigError, LoadError, SourceError
from etl.portal_db import masked_url, redact_url_secrets
from scoring import renewal_risk
from store import actions

logger = logging.getLogger(__name__)

PREFIX = "renewals."


@dataclass(frozen=True)
class RenewalSettings:
    """The renewals.* keys of a portal config, defaults filled in (docs/configuration.md)."""

    early_days: int = 60
    grace_days: int = 30
    tier_order: tuple[str, ...] = ()
    lead_days: int = 60
    min_training_contracts: int = 200
    backtest_share: float = 0.3
    risk_horizon_days: int = 365
    queue_days: int = 90
    contact_window_days: int = 180


def renewal_settings(config: Config) -> RenewalSettings:
    """Read the renewals.* keys (already type-checked by load_config) and check their ranges."""
    section = config.raw.get("renewals", {})
    values = {}
    for setting in SETTINGS:
        if setting.key.startswith(PREFIX):
            name = setting.key.removeprefix(PREFIX)
            values[name] = section.get(name, setting.default)
    values["tier_order"] = tuple(values["tier_order"])
    values["backtest_share"] = float(values["backtest_share"])

    for name in (
        "early_days",
        "grace_days",
        "lead_days",
        "risk_horizon_days",
        "queue_days",
        "contact_window_days",
    ):
        if values[name] < 0:
            raise ConfigError(
                f"{config.path}: key {PREFIX}{name} is {values[name]}; use 0 or more."
            )
    if values["min_training_contracts"] < 2:
        raise ConfigError(
            f"{config.path}: key {PREFIX}min_training_contracts is "
            f"{values['min_training_contracts']}; use 2 or more."
        )
    if not 0 < values["backtest_share"] < 1:
        raise ConfigError(
            f"{config.path}: key {PREFIX}backtest_share is {values['backtest_share']}; use a "
            "share between 0 and 1, such as 0.3."
        )
    return RenewalSettings(**values)


def build_marts(con: duckdb.DuckDBPyConnection, config: Config, as_of: dt.date) -> list[str]:
    """Build the renewal tables in the load's database; return lines for the load report."""
    settings = renewal_settings(config)
    contacts = read_contacts(config.app_database_url)
    return build_tables(con, settings, as_of, config.health.weights, contacts)


def read_contacts(url: str) -> pd.DataFrame:
    """Read member_id and action_on of the recorded contacts from the app database at `url`.

    The load never writes there. A missing SQLite file or a database without recorded
    actions gives no rows, so the contact feature is 0 for every contract.
    """
    try:
        engine = actions.read_only_engine(url)
        if engine is None:
            logger.info(
                "App database %s does not exist; after-sales contacts count as 0",
                masked_url(url),
            )
            return pd.DataFrame(columns=["member_id", "action_on"])
        try:
            contacts = actions.contact_dates(engine)
        finally:
            engine.dispose()
    except sa.exc.SQLAlchemyError as error:
        raise SourceError(
            f"App database {masked_url(url)} could not be read for after-sales contacts: "
            f"{error.__class__.__name__}: "
            f"{redact_url_secrets(str(error).splitlines()[0], url)}. Check "
            "app.database_url (or APP_DATABASE_URL) and that the database is reachable."
        ) from None

    logger.info(
        "Read %d after-sales contacts of %d members from app database %s",
        len(contacts),
        contacts["member_id"].nunique(),
        masked_url(url),
    )
    return contacts


def build_tables(
    con: duckdb.DuckDBPyConnection,
    settings: RenewalSettings,
    as_of: dt.date,
    weights: dict[str, float],
    contacts: pd.DataFrame | None = None,
) -> list[str]:
    """Create the five renewal tables from contracts, members, member_health and stg_events.

    `contacts` contains the recorded after-sales contacts (member_id, action_on), or is None.
    """
    build_contract_renewals(con, settings, as_of)

    features = feature_frame(con, settings, as_of, weights, contacts)
    decided = features[features["outcome"].isin(renewal_risk.DECIDED)]
    backtest = renewal_risk.run_backtest(
        decided, settings.backtest_share, settings.min_training_contracts
    )
    method, scored = score_pending(features, decided, settings, as_of, weights)

    _create_table(con, "risk_backtest", backtest.metrics.assign(method=method))
    _create_table(con, "risk_calibration", backtest.calibration)
    _publish_risk(con, scored)
    _publish_settings(con, settings, as_of, method, len(decided))
    lines = report_lines(backtest.metrics, method, len(decided), len(scored))
    return lines + calibration_lines(backtest.calibration)


def build_contract_renewals(
    con: duckdb.DuckDBPyConnection, settings: RenewalSettings, as_of: dt.date
) -> int:
    """Create contract_renewals from the tables contracts and members; return its rows."""
    _create_tier_ranks(con, settings.tier_order)
    rows = warehouse.build_mart(
        con,
        "contract_renewals",
        {"as_of": as_of, "early_days": settings.early_days, "grace_days": settings.grace_days},
    )
    contracts, distinct = con.execute(
        "select count(*), count(distinct contract_id) from contracts"
    ).fetchone()
    if not rows == contracts == distinct:
        raise LoadError(
            f"contract_renewals has {rows} rows for {contracts} contracts with {distinct} "
            "distinct ids; each contract must have one row. Check the contracts query for "
            "duplicate contract_id values."
        )
    con.execute("drop table renewal_tier_ranks")
    return rows


def _create_tier_ranks(con: duckdb.DuckDBPyConnection, tier_order: tuple[str, ...]) -> None:
    """Rank tiers by renewals.tier_order, or else by their median contract amount."""
    if tier_order:
        ranks = pd.DataFrame({"tier": list(tier_order), "tier_rank": range(len(tier_order))})
        unknown = con.execute(
            "select distinct tier from contracts where tier not in (select unnest(?))",
            [list(tier_order)],
        ).fetchall()
        if unknown:
            logger.warning(
                "Tiers %s are missing from renewals.tier_order; their changes show as unknown.",
                ", ".join(str(row[0]) for row in unknown),
            )
    else:
        ranks = con.execute(
            "select tier, rank() over (order by median(amount_cny), tier) as tier_rank "
            "from contracts group by tier"
        ).df()
    con.register("tier_rank_frame", ranks)
    con.execute("create temp table renewal_tier_ranks as select * from tier_rank_frame")
    con.unregister("tier_rank_frame")


def feature_frame(
    con: duckdb.DuckDBPyConnection,
    settings: RenewalSettings,
    as_of: dt.date,
    weights: dict[str, float],
    contacts: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Return the risk features of every contract, event health score included.

    Needs the tables contract_renewals and stg_events in `con`. `contacts` contains the
    recorded after-sales contacts (member_id, action_on), or is None when there are none.
    """
    _create_contacts_table(con, contacts)
    features = warehouse.query_mart(
        con,
        "renewal_features",
        {
            "lead_days": settings.lead_days,
            "as_of": as_of,
            "contact_window_days": settings.contact_window_days,
        },
    )
    con.execute("drop table renewal_contacts")
    for column in ("cutoff", "end_date", "decided_on"):
        features[column] = pd.to_datetime(features[column]).dt.date
    return renewal_risk.add_event_health(features, weights)


def _create_contacts_table(con: duckdb.DuckDBPyConnection, contacts: pd.DataFrame | None) -> None:
    """Fill the temporary table renewal_contacts(member_id, action_on) that the mart reads."""
    con.execute("create temp table renewal_contacts (member_id bigint, action_on date)")
    if contacts is None or contacts.empty:
        return
    frame = pd.DataFrame(
        {
            "member_id": contacts["member_id"].astype("int64"),
            "action_on": pd.to_datetime(contacts["action_on"]),
        }
    )
    con.register("contacts_frame", frame)
    con.execute(
        "insert into renewal_contacts select member_id, cast(action_on as date) from contacts_frame"
    )
    con.unregister("contacts_frame")


def score_pending(
    features: pd.DataFrame,
    decided: pd.DataFrame,
    settings: RenewalSettings,
    as_of: dt.date,
    weights: dict[str, float],
) -> tuple[str, pd.DataFrame]:
    """Score pending contracts ending within the horizon; return the method and the rows."""
    horizon_end = as_of + dt.timedelta(days=settings.risk_horizon_days)
    pending = features[
        (features["outcome"] == "pending") & (features["end_date"] <= horizon_end)
    ].copy()

    trainable = (
        len(decided) >= settings.min_training_contracts and decided["outcome"].nunique() == 2
    )
    if trainable and not pending.empty:
        model = renewal_risk.fit_model(decided)
        pending["risk"] = renewal_risk.predict_model(model, pending)
        pending["reasons"] = renewal_risk.model_reasons(model, pending, decided)
    else:
        pending["risk"] = renewal_risk.predict_rule(pending)
        pending["reasons"] = renewal_risk.rule_reasons(pending, weights)
    method = "model" if trainable else "rule"
    logger.info(
        "Renewal risk by %s for %d pending contracts (%d decided contracts, minimum %d)",
        method,
        len(pending),
        len(decided),
        settings.min_training_contracts,
    )
    return method, pending.assign(method=method)


def _publish_risk(con: duckdb.DuckDBPyConnection, scored: pd.DataFrame) -> None:
    columns = [
        "contract_id",
        "member_id",
        "end_date",
        "cutoff",
        "amount_cny",
        "risk",
        "reasons",
        "method",
        "health_at_cutoff",
        "inquiries_recent",
        "inquiries_before",
        "after_sales_contacts",
    ]
    frame = scored[columns] if not scored.empty else pd.DataFrame(columns=columns)
    con.register("risk_frame", frame)
    con.execute(
        """
        create table renewal_risk as
        select
            r.contract_id, r.member_id, m.company_name, c.segment, c.tier, m.sales_rep,
            m.after_sales_owner, cast(r.end_date as date) as end_date,
            cast(r.cutoff as date) as feature_cutoff, c.renewal_kind,
            cast(r.amount_cny as double) as amount_cny, cast(r.risk as double) as risk,
            cast(r.risk * r.amount_cny as double) as expected_revenue_at_risk,
            cast(r.reasons as varchar) as reasons, cast(r.method as varchar) as method,
            cast(r.health_at_cutoff as double) as health_at_cutoff,
            cast(r.inquiries_recent as bigint) as inquiries_recent,
            cast(r.inquiries_before as bigint) as inquiries_before,
            cast(r.after_sales_contacts as bigint) as after_sales_contacts,
            h.health_score, h.band, h.low_reasons
        from risk_frame as r
        join contract_renewals as c using (contract_id)
        join members as m on m.member_id = r.member_id
        left join member_health as h on h.member_id = r.member_id
        order by expected_revenue_at_risk desc, end_date, contract_id
        """
    )
    con.unregister("risk_frame")


def _publish_settings(
    con: duckdb.DuckDBPyConnection,
    settings: RenewalSettings,
    as_of: dt.date,
    method: str,
    decided: int,
) -> None:
    rows = [
        ("as_of", as_of.isoformat()),
        ("method", method),
        ("decided_contracts", str(decided)),
        ("early_days", str(settings.early_days)),
        ("grace_days", str(settings.grace_days)),
        ("lead_days", str(settings.lead_days)),
        ("min_training_contracts", str(settings.min_training_contracts)),
        ("backtest_share", str(settings.backtest_share)),
        ("risk_horizon_days", str(settings.risk_horizon_days)),
        ("queue_days", str(settings.queue_days)),
        ("contact_window_days", str(settings.contact_window_days)),
    ]
    _create_table(con, "renewal_settings", pd.DataFrame(rows, columns=["key", "value"]))


def _create_table(con: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame) -> None:
    con.register("renewal_frame", frame)
    con.execute(f"create table {name} as select * from renewal_frame")
    con.unregister("renewal_frame")


def report_lines(metrics: pd.DataFrame, method: str, decided: int, scored: int) -> list[str]:
    """Format the risk backtest for the load report."""
    lines = [
        f"Renewal risk: {scored:,} pending contracts scored by {method}; "
        f"{decided:,} decided contracts"
    ]
    for row in metrics.itertuples(index=False):
        auc = "n/a" if pd.isna(row.roc_auc) else f"{row.roc_auc:.3f}"
        brier = "n/a" if pd.isna(row.brier) else f"{row.brier:.3f}"
        lines.append(
            f"  backtest {row.scorer:<12} ROC AUC {auc}  Brier {brier}  "
            f"(train {row.train_contracts:,}, test {row.test_contracts:,})"
        )
    return lines


def calibration_lines(calibration: pd.DataFrame) -> list[str]:
    """Format the backtest's calibration table: per predicted-risk bin, its test contracts.

    An empty bin has no mean predicted risk and no observed churn rate, shown as n/a.
    """
    if calibration.empty or "scorer" not in calibration.columns:
        return ["  calibration: no decided contracts to test"]

    scorer = calibration["scorer"].iloc[0]
    lines = [
        f"  calibration of {scorer} (bin, mean predicted risk, observed churn rate, contracts)"
    ]
    for row in calibration.itertuples(index=False):
        predicted = "n/a" if pd.isna(row.mean_predicted) else f"{row.mean_predicted:.3f}"
        observed = "n/a" if pd.isna(row.observed_churn_rate) else f"{row.observed_churn_rate:.3f}"
        lines.append(
            f"    {row.bin_low:.1f}-{row.bin_high:.1f}  predicted {predicted}  "
            f"observed {observed}  contracts {row.contracts:,}"
        )
    return lines
