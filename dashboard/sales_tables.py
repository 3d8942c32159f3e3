"""Tables and period labels of the sales page, with translated headers; numbers stay numbers."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from dashboard.formatting import format_date
from i18n import label, translate

PERIODS = ("month", "quarter")
AMOUNTS = (
    "target_cny",
    "signed_new_cny",
    "signed_renewal_cny",
    "signed_cny",
    "gap_cny",
    "projected_cny",
    "projected_gap_cny",
)
# The industry's rule of thumb for the follow-ups a won deal takes.
WON_FOLLOWUPS_RANGE = (8, 11)


def period_label(start: dt.date, period: str, language: str) -> str:
    """Name a month (2026年11月) or a quarter (2026年第4季度) by its first day."""
    start = pd.Timestamp(start).date()
    return translate(
        language,
        f"sales.period_value.{period}",
        year=start.year,
        month=start.month,
        quarter=(start.month - 1) // 3 + 1,
    )


def default_period(periods: pd.DataFrame, as_of: dt.date) -> int:
    """Return the row position of the period that contains `as_of`, else of the latest one."""
    for position, (start, end) in enumerate(
        zip(periods["period_start"], periods["period_end"], strict=True)
    ):
        if pd.Timestamp(start).date() <= as_of <= pd.Timestamp(end).date():
            return position
    return 0


def totals(performance: pd.DataFrame) -> dict[str, float | None]:
    """Sum the amounts over all reps; the gaps are total target minus total signed or projected.

    An amount that is missing for every rep (no targets, say) stays None.
    """
    sums: dict[str, float | None] = {}
    for column in AMOUNTS:
        values = performance[column].dropna()
        sums[column] = float(values.sum()) if len(values) else None
    for gap, amount in (("gap_cny", "signed_cny"), ("projected_gap_cny", "projected_cny")):
        target, done = sums["target_cny"], sums[amount]
        sums[gap] = None if target is None or done is None else target - done
    return sums


def team_rows(performance: pd.DataFrame, language: str) -> pd.DataFrame:
    """Sum the reps' rows per team; reps without a team form one group."""
    grouped = performance.assign(
        team=performance["team"].fillna(translate(language, "sales.no_team"))
    )
    summed = grouped.groupby("team", as_index=False, sort=True)[list(AMOUNTS)].sum(min_count=1)
    return summed


def performance_table(rows: pd.DataFrame, language: str, *, by_team: bool) -> pd.DataFrame:
    """Build the target table per team or per rep, with completion as a fraction."""

    def tr(key: str) -> str:
        return translate(language, key)

    table = pd.DataFrame({tr("sales.col.team"): rows["team"].fillna(tr("sales.no_team"))})
    if not by_team:
        table[tr("sales.col.sales_rep")] = rows["sales_rep"].fillna(tr("sales.no_rep"))
    headers = {
        "target_cny": "target",
        "signed_new_cny": "signed_new",
        "signed_renewal_cny": "signed_renewal",
        "signed_cny": "signed",
        "gap_cny": "gap",
        "projected_cny": "projected",
        "projected_gap_cny": "projected_gap",
    }
    for column, key in headers.items():
        table[tr(f"sales.col.{key}")] = rows[column].astype("Float64")
    target = rows["target_cny"].astype("Float64")
    completion = rows["signed_cny"].astype("Float64") / target.where(target > 0)
    table.insert(table.columns.get_loc(tr("sales.col.gap")), tr("sales.col.completion"), completion)
    return table.reset_index(drop=True)


def calls_table(calls: pd.DataFrame, language: str) -> pd.DataFrame:
    def tr(key: str) -> str:
        return translate(language, key)

    return pd.DataFrame(
        {
            tr("sales.col.month"): [format_date(day, language)[:7] for day in calls["month"]],
            tr("sales.col.sales_rep"): calls["sales_rep"],
            tr("sales.col.team"): calls["team"].fillna(tr("sales.no_team")),
            tr("sales.col.calls"): calls["calls"].astype("Int64"),
            tr("sales.col.required_calls"): calls["required_calls"].astype("Int64"),
            tr("sales.col.below_required"): [
                tr("market.yes") if below else tr("market.no") for below in calls["below_required"]
            ],
        }
    ).reset_index(drop=True)


def won_summary(won: pd.DataFrame) -> dict[str, float]:
    """Count won deals, their median follow-ups and those within WON_FOLLOWUPS_RANGE."""
    deals = int(won["deals"].sum())
    if deals == 0:
        return {"deals": 0, "median": None, "in_range": 0}
    expanded = won["followups"].repeat(won["deals"].astype(int))
    low, high = WON_FOLLOWUPS_RANGE
    in_range = int(won.loc[won["followups"].between(low, high), "deals"].sum())
    return {"deals": deals, "median": float(expanded.median()), "in_range": in_range}


def stale_table(stale: pd.DataFrame, language: str) -> pd.DataFrame:
    def tr(key: str) -> str:
        return translate(language, key)

    return pd.DataFrame(
        {
            tr("col.member_id"): stale["member_id"].astype("Int64"),
            tr("col.company"): stale["company_name"],
            tr("col.segment"): stale["segment"],
            tr("sales.col.sales_rep"): stale["sales_rep"],
            tr("sales.col.team"): stale["team"].fillna(tr("sales.no_team")),
            tr("sales.col.followups"): stale["followups"].astype("Int64"),
            tr("sales.col.last_followup"): [
                format_date(day, language) for day in stale["last_followup_on"]
            ],
            tr("sales.col.days_since"): stale["days_since_followup"].astype("Int64"),
        }
    ).reset_index(drop=True)


def opening_months_table(months: pd.DataFrame, language: str) -> pd.DataFrame:
    def tr(key: str) -> str:
        return translate(language, key)

    table = pd.DataFrame(
        {
            tr("sales.col.month"): [format_date(day, language)[:7] for day in months["month"]],
            tr("sales.col.contracts"): months["contracts"].astype("Int64"),
            tr("sales.col.median_open"): months["median_days_to_open"].astype("Float64"),
            tr("sales.col.median_materials"): months["median_days_to_materials"].astype("Float64"),
        }
    )
    for status in ("on_time", "late", "overdue", "in_progress"):
        table[tr(f"sales.col.{status}")] = months[status].astype("Int64")
    return table.reset_index(drop=True)


def late_openings_table(late: pd.DataFrame, language: str) -> pd.DataFrame:
    def tr(key: str) -> str:
        return translate(language, key)

    return pd.DataFrame(
        {
            tr("sales.col.contract_id"): late["contract_id"].astype(str),
            tr("col.member_id"): late["member_id"].astype("Int64"),
            tr("col.company"): late["company_name"],
            tr("sales.col.sales_rep"): late["sales_rep"],
            tr("sales.col.after_sales"): late["after_sales_owner"],
            tr("sales.col.paid_on"): [format_date(d, language) for d in late["paid_on"]],
            tr("sales.col.deadline"): [format_date(d, language) for d in late["deadline_on"]],
            tr("sales.col.opened_on"): [format_date(d, language) for d in late["shop_opened_on"]],
            tr("sales.col.uploaded_on"): [
                format_date(d, language) for d in late["materials_uploaded_on"]
            ],
            tr("sales.col.days_to_open"): late["days_to_open"].astype("Int64"),
            tr("sales.col.days_to_materials"): late["days_to_materials"].astype("Int64"),
            tr("sales.col.status"): [label("sales.status", s, language) for s in late["status"]],
        }
    ).reset_index(drop=True)
