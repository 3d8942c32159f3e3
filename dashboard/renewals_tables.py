"""Tables and totals of the renewal pages, translated and ready for st.dataframe and export.

Rates are shares (0.42); the tables show them as percentages with one decimal.
"""

from __future__ import annotations

import math

import pandas as pd
import sqlalchemy as sa

from dashboard.formatting import is_missing, split_codes
from dashboard.renewals_actions import with_last_contact
from dashboard.tables import DETAIL_PAGE_PATH
from i18n import label, translate
from queries.access import OWNER_COLUMN

PERIODS = ("month", "quarter")
DIMENSIONS = ("all", "segment", "tier", "sales_rep", "renewal_kind")
OUTCOMES = ("renewed", "churned", "pending")
ACTIONS = ("contacted", "effect_report_sent", "offer_made", "renewed", "lost")
TOP_MEMBER_SHARE = 0.2
COUNT_COLUMNS = ("due_count", "renewed_count", "churned_count", "pending_count")
AMOUNT_COLUMNS = ("due_amount", "renewed_amount", "churned_amount", "pending_amount")


def percent(value: float | None, language: str) -> str:
    if is_missing(value):
        return translate(language, "value.missing")
    return f"{100 * float(value):.1f}%"


def rate_totals(rates: pd.DataFrame) -> dict[str, float | None]:
    """Sum counts and amounts over the rows; rates only from periods with no pending contract.

    Renewals are decided early but churn only after the grace period. So a period that still
    has a pending contract in any group would overstate the rate. Its rows count in the totals
    but not in the rates, which therefore do not depend on how the rows are grouped.
    """
    totals: dict[str, float | None] = {
        column: float(rates[column].sum()) for column in (*COUNT_COLUMNS, *AMOUNT_COLUMNS)
    }
    closed = rates[rates["period"].isin(closed_periods(rates))]
    renewed = float(closed["renewed_count"].sum())
    decided = renewed + float(closed["churned_count"].sum())
    renewed_amount = float(closed["renewed_amount"].sum())
    decided_amount = renewed_amount + float(closed["churned_amount"].sum())
    totals["rate_by_count"] = renewed / decided if decided else None
    totals["rate_by_amount"] = renewed_amount / decided_amount if decided_amount else None
    return totals


def closed_periods(rates: pd.DataFrame) -> list[pd.Timestamp]:
    """Return the periods of `rates` in which no contract is pending any more."""
    pending = rates.groupby("period")["pending_count"].sum()
    return sorted(period for period, count in pending.items() if count == 0)


def year_earlier(rates: pd.DataFrame, periods: list[pd.Timestamp]) -> pd.DataFrame:
    """Return the rows of the periods one year before `periods`."""
    earlier = {period - pd.DateOffset(years=1) for period in periods}
    return rates[rates["period"].isin(earlier)]


def rates_table(rates: pd.DataFrame, period_kind: str, language: str) -> pd.DataFrame:
    """Build the rates table per period and group, with a year earlier beside, newest first."""
    ordered = rates.sort_values(["period", "group_value"], ascending=[False, True])
    table = pd.DataFrame(
        {
            translate(language, "renewals.col.period"): [
                period_label(period, period_kind) for period in ordered["period"]
            ],
            translate(language, "renewals.col.group"): [
                group_label(value, language) for value in ordered["group_value"]
            ],
        }
    )
    for column in (*COUNT_COLUMNS, "upgrade_count", "downgrade_count", *AMOUNT_COLUMNS):
        table[translate(language, f"renewals.col.{column}")] = ordered[column].to_numpy()
    for column in (
        "rate_by_count",
        "rate_by_amount",
        "year_earlier_rate_by_count",
        "year_earlier_rate_by_amount",
    ):
        table[translate(language, f"renewals.col.{column}")] = [
            percent(value, language) for value in ordered[column]
        ]
    return table


def period_label(period: pd.Timestamp, period_kind: str) -> str:
    period = pd.Timestamp(period)
    if period_kind == "quarter":
        return f"{period.year}Q{(period.month - 1) // 3 + 1}"
    return f"{period.year}-{period.month:02d}"


def group_label(value: object, language: str) -> str:
    if is_missing(value):
        return translate(language, "value.missing")
    if value in ("all", "first", "later"):
        return label("renewals.group", str(value), language)
    return str(value)


def due_next_table(due: pd.DataFrame, language: str) -> pd.DataFrame:
    """Build the table of contracts due soon with their outcome, and the risk when scored."""
    return pd.DataFrame(
        {
            translate(language, "col.member_id"): due["member_id"].to_numpy(),
            translate(language, "col.company"): due["company_name"].to_numpy(),
            translate(language, "col.segment"): due["segment"].to_numpy(),
            translate(language, "col.tier"): due["tier"].to_numpy(),
            translate(language, "col.sales_rep"): due["sales_rep"].to_numpy(),
            translate(language, "renewals.col.end_date"): pd.to_datetime(due["end_date"]).dt.date,
            translate(language, "renewals.col.amount"): due["amount_cny"].to_numpy(),
            translate(language, "renewals.col.renewal_kind"): [
                label("renewals.group", kind, language) for kind in due["renewal_kind"]
            ],
            translate(language, "renewals.col.outcome"): [
                label("renewals.due_outcome", outcome, language) for outcome in due["outcome"]
            ],
            translate(language, "risk.col.risk"): [percent(v, language) for v in due["risk"]],
        }
    )


def due_totals(due: pd.DataFrame) -> dict[str, float]:
    """Return the contracts and amount due, in total and per outcome (renewed, pending)."""
    totals = {"contracts": len(due), "amount": float(due["amount_cny"].sum())}
    for outcome in ("renewed", "pending"):
        rows = due[due["outcome"] == outcome]
        totals[outcome] = len(rows)
        totals[f"{outcome}_amount"] = float(rows["amount_cny"].sum())
    return totals


def queue_owner_column(role: str) -> str:
    """Return the risk_queue $owner_column that makes "mine" match a viewer of `role`.

    Sales reps own members through members.sales_rep and after-sales staff through
    members.after_sales_owner. Other roles may be either, so both columns count.
    """
    return OWNER_COLUMN.get(role, "either")


def concentration(revenue: pd.DataFrame, top_share: float = TOP_MEMBER_SHARE) -> dict[str, float]:
    """Return the share of revenue from the top `top_share` of members (rounded up)."""
    members = len(revenue)
    total = float(revenue["revenue_cny"].sum())
    top = math.ceil(members * top_share) if members else 0
    ordered = revenue["revenue_cny"].sort_values(ascending=False)
    top_revenue = float(ordered.iloc[:top].sum())
    return {
        "members": members,
        "top_members": top,
        "revenue": total,
        "top_revenue": top_revenue,
        "top_revenue_share": top_revenue / total if total else None,
    }


def pareto_frame(revenue: pd.DataFrame) -> pd.DataFrame:
    """Return members largest first with cumulative shares of members and of revenue."""
    ordered = revenue.sort_values("revenue_cny", ascending=False, kind="stable").reset_index(
        drop=True
    )
    total = ordered["revenue_cny"].sum()
    ordered["member_share"] = (ordered.index + 1) / len(ordered)
    ordered["revenue_share"] = ordered["revenue_cny"].cumsum() / total if total else 0.0
    return ordered


def concentration_table(revenue: pd.DataFrame, language: str) -> pd.DataFrame:
    frame = pareto_frame(revenue)
    return pd.DataFrame(
        {
            translate(language, "col.member_id"): frame["member_id"].to_numpy(),
            translate(language, "col.company"): frame["company_name"].to_numpy(),
            translate(language, "col.segment"): frame["segment"].to_numpy(),
            translate(language, "renewals.col.revenue"): frame["revenue_cny"].to_numpy(),
            translate(language, "renewals.col.cumulative_share"): [
                percent(value, language) for value in frame["revenue_share"]
            ],
        }
    )


def reason_text(codes: object, language: str) -> str:
    """Translate comma-separated reason codes, joined by the language's list separator."""
    names = [label("risk.reason", code, language) for code in split_codes(codes)]
    return translate(language, "list.separator").join(names)


def detail_link(member_id: int) -> str:
    return f"{DETAIL_PAGE_PATH}?member={int(member_id)}"


def queue_table(queue: pd.DataFrame, language: str) -> pd.DataFrame:
    """Build the after-sales queue table as shown and exported, in the queue's order."""
    missing = translate(language, "value.missing")
    last_contact = [
        missing
        if is_missing(action)
        else f"{label('action', action, language)} {pd.Timestamp(day).date().isoformat()}"
        for action, day in zip(queue["last_action"], queue["last_action_on"], strict=True)
    ]
    return pd.DataFrame(
        {
            translate(language, "col.member_id"): queue["member_id"].to_numpy(),
            translate(language, "col.company"): queue["company_name"].to_numpy(),
            # A member can have two overlapping contracts in the queue, so the contract ID is shown.
            translate(language, "risk.col.contract_id"): queue["contract_id"].to_numpy(),
            translate(language, "col.tier"): queue["tier"].to_numpy(),
            translate(language, "renewals.col.end_date"): pd.to_datetime(queue["end_date"]).dt.date,
            translate(language, "risk.col.days_left"): queue["days_left"].to_numpy(),
            translate(language, "renewals.col.amount"): queue["amount_cny"].to_numpy(),
            translate(language, "risk.col.risk"): [percent(v, language) for v in queue["risk"]],
            translate(language, "risk.col.expected_revenue_at_risk"): queue[
                "expected_revenue_at_risk"
            ]
            .round(0)
            .to_numpy(),
            translate(language, "risk.col.reasons"): [
                reason_text(codes, language) for codes in queue["reasons"]
            ],
            translate(language, "col.health_score"): queue["health_score"].to_numpy(),
            translate(language, "risk.col.owner"): queue["after_sales_owner"].to_numpy(),
            translate(language, "col.sales_rep"): queue["sales_rep"].to_numpy(),
            translate(language, "risk.col.last_contact"): last_contact,
        }
    )


def queue_table_with_contacts(
    queue: pd.DataFrame, engine: sa.Engine, language: str
) -> pd.DataFrame:
    """Build queue_table for risk_queue rows, their last contact read from the app database.

    The streamed export applies it to each chunk, so it reads only that chunk's members.
    """
    return queue_table(with_last_contact(queue, engine), language)


def backtest_table(backtest: pd.DataFrame, language: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            translate(language, "risk.col.scorer"): [
                label("risk.scorer", code, language) for code in backtest["scorer"]
            ],
            translate(language, "risk.col.roc_auc"): backtest["roc_auc"].round(3).to_numpy(),
            translate(language, "risk.col.brier"): backtest["brier"].round(3).to_numpy(),
            translate(language, "risk.col.train_contracts"): backtest["train_contracts"].to_numpy(),
            translate(language, "risk.col.test_contracts"): backtest["test_contracts"].to_numpy(),
            translate(language, "risk.col.test_churn_rate"): [
                percent(value, language) for value in backtest["test_churn_rate"]
            ],
        }
    )


def calibration_view(calibration: pd.DataFrame, language: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            translate(language, "risk.col.bin"): [
                f"{100 * low:.0f}%–{100 * high:.0f}%"
                for low, high in zip(calibration["bin_low"], calibration["bin_high"], strict=True)
            ],
            translate(language, "risk.col.contracts"): calibration["contracts"].to_numpy(),
            translate(language, "risk.col.mean_predicted"): [
                percent(value, language) for value in calibration["mean_predicted"]
            ],
            translate(language, "risk.col.observed_churn_rate"): [
                percent(value, language) for value in calibration["observed_churn_rate"]
            ],
        }
    )
