"""Tables of the market-share page, with translated headers; numbers stay numbers."""

from __future__ import annotations

import pandas as pd

from dashboard.formatting import format_date
from i18n import label, translate

COMPANY_GROUPS = (
    "known",
    "listed",
    "registered",
    "paying",
    "big",
    "big_not_paying",
    "big_never_registered",
)


def overall(segments: pd.DataFrame) -> dict[str, float]:
    """Return the totals over all segments: known, registered, paying and penetration."""
    known = int(segments["known_companies"].sum())
    paying = int(segments["paying"].sum())
    return {
        "known": known,
        "registered": int(segments["registered"].sum()),
        "paying": paying,
        "penetration": paying / known if known else 0.0,
    }


def under_covered(segments: pd.DataFrame) -> list[str]:
    """Return the segments whose penetration is below the overall penetration."""
    level = overall(segments)["penetration"]
    return segments.loc[segments["penetration"] < level, "segment"].tolist()


def segment_table(segments: pd.DataFrame, language: str) -> pd.DataFrame:
    """Build the per-segment table; shares are fractions, shown as percentages by the page."""

    def tr(key: str) -> str:
        return translate(language, key)

    low = set(under_covered(segments))
    return pd.DataFrame(
        {
            tr("col.segment"): segments["segment"],
            tr("market.col.known"): segments["known_companies"].astype("Int64"),
            tr("market.col.listed"): segments["listed_companies"].astype("Int64"),
            tr("market.col.registered"): segments["registered"].astype("Int64"),
            tr("market.col.paying"): segments["paying"].astype("Int64"),
            tr("market.col.penetration"): segments["penetration"].astype("Float64"),
            tr("market.col.penetration_change"): (
                segments["penetration_change"].astype("Float64") * 100
            ).round(1),
            tr("market.col.revenue"): segments["revenue_cny"].astype("Float64"),
            tr("market.col.revenue_share"): segments["revenue_share"].astype("Float64"),
            tr("market.col.revenue_change"): segments["revenue_change"].astype("Float64"),
            tr("market.col.big_not_paying"): segments["big_not_paying"].astype("Int64"),
            tr("market.col.big_never_registered"): segments["big_never_registered"].astype("Int64"),
            tr("market.col.top5_share"): segments["top5_revenue_share"].astype("Float64"),
            tr("market.col.hhi"): segments["revenue_hhi"].astype("Float64").round(0),
            tr("market.col.coverage"): [
                tr("market.coverage.low" if segment in low else "market.coverage.ok")
                for segment in segments["segment"]
            ],
        }
    ).reset_index(drop=True)


def percent_columns(language: str) -> list[str]:
    """Return the headers of segment_table that hold fractions."""
    keys = ("penetration", "revenue_share", "revenue_change", "top5_share")
    return [translate(language, f"market.col.{key}") for key in keys]


def _yes_no(values: pd.Series, language: str) -> list[str]:
    return [translate(language, "market.yes" if value else "market.no") for value in values]


def companies_table(companies: pd.DataFrame, language: str) -> pd.DataFrame:
    """Build the drill-down table of the companies behind one number."""

    def tr(key: str) -> str:
        return translate(language, key)

    return pd.DataFrame(
        {
            tr("market.col.company_key"): companies["company_key"],
            tr("col.member_id"): companies["member_id"].astype("Int64"),
            tr("col.company"): companies["company_name"],
            tr("col.segment"): companies["segment"],
            tr("market.col.province"): companies["province"],
            tr("market.col.credit_code"): companies["credit_code"],
            tr("market.col.capital"): companies["registered_capital_cny"].astype("Float64"),
            tr("market.col.staff"): companies["staff_count"].astype("Int64"),
            tr("market.col.in_list"): _yes_no(companies["in_list"], language),
            tr("market.col.is_registered"): _yes_no(companies["is_registered"], language),
            tr("market.col.is_paid"): _yes_no(companies["is_paid"], language),
            tr("col.sales_rep"): companies["sales_rep"],
            tr("market.col.signed"): companies["signed_cny"].astype("Float64"),
        }
    ).reset_index(drop=True)


def targets_table(targets: pd.DataFrame, language: str) -> pd.DataFrame:
    """Build the target list of big companies that do not pay, never-registered ones marked."""

    def tr(key: str) -> str:
        return translate(language, key)

    return pd.DataFrame(
        {
            tr("col.company"): targets["company_name"],
            tr("col.segment"): targets["segment"],
            tr("market.col.province"): targets["province"],
            tr("market.col.credit_code"): targets["credit_code"],
            tr("market.col.capital"): targets["registered_capital_cny"].astype("Float64"),
            tr("market.col.staff"): targets["staff_count"].astype("Int64"),
            tr("market.col.never_registered"): _yes_no(~targets["is_registered"], language),
            tr("col.member_id"): targets["member_id"].astype("Int64"),
            tr("col.sales_rep"): targets["sales_rep"],
            tr("market.col.registered_on"): [
                format_date(day, language) for day in targets["registered_on"]
            ],
        }
    ).reset_index(drop=True)


def review_table(review: pd.DataFrame, language: str) -> pd.DataFrame:
    """Build the table of list rows left for a person to check, with the reason translated."""

    def tr(key: str) -> str:
        return translate(language, key)

    return pd.DataFrame(
        {
            tr("market.col.list_file"): review["source_file"],
            tr("market.col.list_line"): review["line_no"].astype("Int64"),
            tr("market.col.list_name"): review["list_company_name"],
            tr("market.col.list_code"): review["list_credit_code"],
            tr("market.col.list_province"): review["list_province"],
            tr("col.segment"): review["segment"],
            tr("col.member_id"): review["member_id"].astype("Int64"),
            tr("market.col.member_name"): review["member_company_name"],
            tr("market.col.member_code"): review["member_credit_code"],
            tr("market.col.member_province"): review["member_province"],
            tr("market.col.review_reason"): [
                label("market.review_reason", reason, language) for reason in review["reason"]
            ],
        }
    ).reset_index(drop=True)
