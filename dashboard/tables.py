"""Turn query results into the tables a page shows and exports, with translated headers.

Each function takes the DataFrame a query returned and the language, and returns a new
DataFrame. Numbers stay numbers, so st.dataframe sorts them and exports keep them numeric.
"""

from __future__ import annotations

import pandas as pd

from dashboard.formatting import format_cny, format_date, format_timestamp, health_reasons
from i18n import has_key, label, translate

METRICS = ("page_views", "unique_visitors", "inquiries", "messages", "contact_views", "ad_clicks")
BANDS = ("healthy", "watch", "at_risk", "onboarding")
DETAIL_PAGE_PATH = "member_detail"

# Sort choice -> (columns, ascending) applied to the member_health_list result.
HEALTH_SORTS: dict[str, tuple[list[str], list[bool]]] = {
    "score_asc": (["health_score", "company_name"], [True, True]),
    "score_desc": (["health_score", "company_name"], [False, True]),
    "page_views_desc": (["page_views", "company_name"], [False, True]),
    "inquiries_desc": (["inquiries", "company_name"], [False, True]),
    "company": (["company_name"], [True]),
}

# The order member_health_list.sql itself returns; it breaks the ties of every sort choice.
HEALTH_BASE_ORDER = [("health_score", True), ("company_name", True), ("member_id", True)]


def health_order(sort_key: str) -> list[tuple[str, bool]]:
    """Return (column, ascending) pairs that sort in SQL as sort_health does in pandas.

    sort_health is a stable sort of the query's order, so the query's order follows the
    chosen columns as tie-breakers; nulls go last in both.
    """
    if sort_key not in HEALTH_SORTS:
        raise ValueError(f"Unknown sort {sort_key!r}; use one of {', '.join(HEALTH_SORTS)}.")
    columns, ascending = HEALTH_SORTS[sort_key]
    return [*zip(columns, ascending, strict=True), *HEALTH_BASE_ORDER]


def sort_health(health: pd.DataFrame, sort_key: str) -> pd.DataFrame:
    """Sort the health list by a HEALTH_SORTS key; members without a score go last."""
    if sort_key not in HEALTH_SORTS:
        raise ValueError(f"Unknown sort {sort_key!r}; use one of {', '.join(HEALTH_SORTS)}.")
    columns, ascending = HEALTH_SORTS[sort_key]
    return health.sort_values(columns, ascending=ascending, na_position="last", kind="stable")


def health_table(health: pd.DataFrame, language: str) -> pd.DataFrame:
    """Build the member table: company, peer group, rep, window metrics, score, band, reasons."""

    def tr(key: str) -> str:
        return translate(language, key)

    table = pd.DataFrame(
        {
            tr("col.member_id"): health["member_id"].astype("Int64"),
            tr("col.company"): health["company_name"],
            tr("col.segment"): health["segment"],
            tr("col.tier"): health["tier"],
            tr("col.sales_rep"): health["sales_rep"],
        }
    )
    for metric in METRICS:
        table[tr(f"metric.{metric}")] = health[metric].astype("Int64")
    table[tr("col.health_score")] = health["health_score"].astype("Float64")
    table[tr("col.band")] = [label("band", band, language) for band in health["band"]]
    table[tr("col.reasons")] = [
        health_reasons(low, fallen, language)
        for low, fallen in zip(health["low_reasons"], health["fallen_metrics"], strict=True)
    ]
    return table.reset_index(drop=True)


def with_detail_links(table: pd.DataFrame, language: str) -> pd.DataFrame:
    """Add a column of relative links to the detail page, e.g. member_detail?member=3."""
    member_ids = table[translate(language, "col.member_id")]
    links = [f"{DETAIL_PAGE_PATH}?member={int(member_id)}" for member_id in member_ids]
    return table.assign(**{translate(language, "col.detail"): links})


def selected_member(table: pd.DataFrame, rows: list[int], language: str) -> int | None:
    """Return the member id of the first selected row position, or None without a selection."""
    if not rows:
        return None
    return int(table.iloc[rows[0]][translate(language, "col.member_id")])


def band_counts(counts: pd.DataFrame) -> dict[str, int]:
    """Map every band, in display order, to its member count (zero when absent)."""
    found = dict(zip(counts["band"], counts["members"], strict=True))
    ordered = {band: int(found.get(band, 0)) for band in BANDS}
    ordered.update({band: int(n) for band, n in found.items() if band not in ordered})
    return ordered


def settings_table(settings: pd.DataFrame, language: str) -> pd.DataFrame:
    """Build the settings table with translated names; each weight names its metric."""
    names = []
    for key in settings["key"]:
        if key.startswith("weight."):
            metric = label("metric", key.removeprefix("weight."), language)
            names.append(translate(language, "setting.weight", metric=metric))
        else:
            names.append(label("setting", key, language))
    return pd.DataFrame(
        {
            translate(language, "col.setting"): names,
            translate(language, "col.value"): settings["value"].astype("Float64"),
        }
    )


def settings_values(settings: pd.DataFrame) -> dict[str, str]:
    """Map each setting key to its value as short text: 60.0 -> "60", 0.3 -> "0.3"."""
    pairs = zip(settings["key"], settings["value"], strict=True)
    return {key: f"{value:g}" for key, value in pairs}


def peer_table(peers: pd.DataFrame, language: str) -> pd.DataFrame:
    """Build the peer table: per metric, the member's window total beside the peer median."""
    return pd.DataFrame(
        {
            translate(language, "col.metric"): [
                label("metric", metric, language) for metric in peers["metric"]
            ],
            translate(language, "col.member_value"): peers["member_value"].astype("Int64"),
            translate(language, "col.peer_median"): peers["peer_median"].astype("Float64"),
            translate(language, "col.peer_count"): peers["peer_count"].astype("Int64"),
        }
    )


def sources_table(sources: pd.DataFrame, language: str) -> pd.DataFrame:
    """Build the traffic-source table: page views per source class in the window."""
    return pd.DataFrame(
        {
            translate(language, "col.source_class"): [
                label("source", code, language) for code in sources["source_class"]
            ],
            translate(language, "metric.page_views"): sources["page_views"].astype("Int64"),
        }
    )


def contracts_table(contracts: pd.DataFrame, language: str, *, for_export: bool) -> pd.DataFrame:
    """Build the contract table. The amount is ¥ text on screen and a number in exports."""

    def tr(key: str) -> str:
        return translate(language, key)

    table = pd.DataFrame(
        {
            # Contract ids are codes: text keeps any leading zeros in exports.
            tr("col.contract_id"): contracts["contract_id"].astype(str),
            tr("col.tier"): contracts["tier"],
            tr("col.start_date"): [format_date(day, language) for day in contracts["start_date"]],
            tr("col.end_date"): [format_date(day, language) for day in contracts["end_date"]],
        }
    )
    if for_export:
        table[tr("col.amount_cny")] = contracts["amount_cny"].astype("Float64")
    else:
        table[tr("col.amount")] = [format_cny(a, language) for a in contracts["amount_cny"]]
    return table


def keywords_table(keywords: pd.DataFrame, language: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            translate(language, "col.rank"): keywords["keyword_rank"].astype("Int64"),
            translate(language, "col.keyword"): keywords["keyword"],
            translate(language, "col.search_engine"): [
                label("engine", engine, language) for engine in keywords["search_engine"]
            ],
            translate(language, "metric.page_views"): keywords["page_views"].astype("Int64"),
        }
    )


def load_sources_table(sources: pd.DataFrame, language: str) -> pd.DataFrame:
    """Build the load table: per source file, row counts, data range and load time."""

    def tr(key: str) -> str:
        return translate(language, key)

    table = pd.DataFrame(
        {
            tr("col.source"): [label("source_name", s, language) for s in sources["source"]],
            tr("col.file"): sources["file"],
        }
    )
    for column in ("read_rows", "loaded_rows", "bot_rows", "skipped_rows", "rejected_rows"):
        table[tr(f"col.{column}")] = sources[column].astype("Int64")
    table[tr("col.data_from")] = [format_date(d, language) for d in sources["data_from"]]
    table[tr("col.data_to")] = [format_date(d, language) for d in sources["data_to"]]
    table[tr("col.loaded_at")] = [format_timestamp(s, language) for s in sources["loaded_at"]]
    return table


def outcomes_table(outcomes: pd.DataFrame, language: str) -> pd.DataFrame:
    """Build the outcome table: rows per source, outcome and reason, with translated codes."""
    return pd.DataFrame(
        {
            translate(language, "col.source"): [
                label("source_name", s, language) for s in outcomes["source"]
            ],
            translate(language, "col.outcome"): [
                label("outcome", o, language) for o in outcomes["outcome"]
            ],
            translate(language, "col.reason"): [
                label("reason", r, language) for r in outcomes["reason"]
            ],
            translate(language, "col.rows"): outcomes["row_count"].astype("Int64"),
        }
    )


def rejected_by_reason(outcomes: pd.DataFrame, language: str) -> pd.DataFrame:
    """Sum rejected rows per translated reason, most first, for the bar chart."""
    rejected = outcomes[outcomes["outcome"] == "rejected"]
    totals = rejected.groupby("reason", as_index=False)["row_count"].sum()
    totals = totals.sort_values(["row_count", "reason"], ascending=[False, True])
    return pd.DataFrame(
        {
            "reason": [label("reason", r, language) for r in totals["reason"]],
            "rows": totals["row_count"].astype(int).to_list(),
        }
    )


def rejected_rows_table(rejected: pd.DataFrame, language: str) -> pd.DataFrame:
    """Build the rejected-row table: file, line, column, value and reason of each row."""

    def tr(key: str) -> str:
        return translate(language, key)

    return pd.DataFrame(
        {
            tr("col.source"): [label("source_name", s, language) for s in rejected["source"]],
            tr("col.file"): rejected["file"],
            tr("col.line_no"): rejected["line_no"].astype("Int64"),
            tr("col.column"): rejected["column_name"],
            tr("col.cell_value"): rejected["value"],
            tr("col.reason"): [label("reason", r, language) for r in rejected["reason"]],
            tr("col.raw"): rejected["raw"],
        }
    )


def bots_table(bots: pd.DataFrame, language: str) -> pd.DataFrame:
    def tr(key: str) -> str:
        return translate(language, key)

    return pd.DataFrame(
        {
            # Crawler names are product names and stay as logged; only placeholders translate.
            tr("col.bot_name"): [
                translate(language, f"bot.{name}") if has_key(f"bot.{name}", language) else name
                for name in bots["bot_name"]
            ],
            tr("col.detected_by"): [label("detected_by", d, language) for d in bots["detected_by"]],
            tr("col.hits"): bots["hits"].astype("Int64"),
            tr("col.shop_hits"): bots["shop_hits"].astype("Int64"),
            tr("col.first_day"): [format_date(d, language) for d in bots["first_day"]],
            tr("col.last_day"): [format_date(d, language) for d in bots["last_day"]],
        }
    )
