"""行业占有率: per segment, companies known, registered and paying, penetration and revenue."""

from functools import partial

import pandas as pd
import streamlit as st

from dashboard import market_charts, market_tables
from dashboard.formatting import format_cny
from dashboard.snapshot import require_snapshot
from dashboard.widgets import (
    choice_filter,
    export_buttons,
    export_query_buttons,
    labelled_select,
    page_header,
)
from i18n import current_language, t

language = current_language()
snapshot = require_snapshot()
page_header("page.market.title", snapshot)

settings = dict(snapshot.query("sales_settings").itertuples(index=False, name=None))
segments = snapshot.query("market_segment_share")
if segments.empty or not settings:
    st.info(t("market.empty"))
    st.stop()

big_capital = settings["big_registered_capital_cny"]
big_staff = int(settings["big_staff_count"])
as_of = snapshot.query("sales_as_of")["as_of"].iloc[0]
st.caption(
    t(
        "market.caption",
        as_of=pd.Timestamp(as_of).date(),
        capital=format_cny(big_capital, language),
        staff=big_staff,
    )
)

totals = market_tables.overall(segments)
low = market_tables.under_covered(segments)
columns = st.columns(5)
columns[0].metric(t("market.total_known"), f"{totals['known']:,}")
columns[1].metric(t("market.total_registered"), f"{totals['registered']:,}")
columns[2].metric(t("market.total_paying"), f"{totals['paying']:,}")
columns[3].metric(t("market.total_penetration"), f"{totals['penetration']:.1%}")
columns[4].metric(t("market.under_covered"), len(low))

st.subheader(t("market.table_heading"))
st.caption(t("market.table_hint"))
table = market_tables.segment_table(segments, language)
st.dataframe(
    table,
    hide_index=True,
    column_config={
        name: st.column_config.NumberColumn(format="percent")
        for name in market_tables.percent_columns(language)
    },
    placeholder=t("value.missing"),
    key="market.segments",
)
export_buttons(table, "segment_share", key="market.segments_export")
chart_columns = st.columns(2)
chart_columns[0].plotly_chart(
    market_charts.penetration_bars(segments, totals["penetration"], language),
    key="market.penetration_chart",
)
chart_columns[1].plotly_chart(
    market_charts.revenue_bars(segments, language), key="market.revenue_chart"
)

st.subheader(t("market.drill_heading"))
drill_columns = st.columns(2)
with drill_columns[0]:
    segment = choice_filter(
        t("market.drill_segment"), segments["segment"].tolist(), key="market.drill_segment"
    )
with drill_columns[1]:
    group = labelled_select(
        t("market.drill_group"),
        {code: t(f"market.group.{code}") for code in market_tables.COMPANY_GROUPS},
        key="market.drill_group",
    )
drill_params = {
    "segment": segment,
    "company_group": group,
    "big_capital": big_capital,
    "big_staff": big_staff,
}
companies = snapshot.query("market_segment_companies", **drill_params)
st.caption(t("market.drill_count", count=len(companies)))
company_table = market_tables.companies_table(companies, language)
st.dataframe(company_table, hide_index=True, placeholder=t("value.missing"), key="market.drill")
export_query_buttons(
    snapshot,
    "market_segment_companies",
    drill_params,
    "market_companies",
    key="market.drill_export",
    transform=partial(market_tables.companies_table, language=language),
    filters={"segment": segment, "company_group": group},
)

st.subheader(t("market.targets_heading"))
target_params = {"segment": segment, "big_capital": big_capital, "big_staff": big_staff}
targets = snapshot.query("market_big_targets", **target_params)
if targets.empty:
    st.info(t("market.targets_empty"))
else:
    never = int((~targets["is_registered"]).sum())
    st.caption(t("market.targets_caption", count=len(targets), never=never))
    target_table = market_tables.targets_table(targets, language)
    st.dataframe(
        target_table, hide_index=True, placeholder=t("value.missing"), key="market.targets"
    )
    export_query_buttons(
        snapshot,
        "market_big_targets",
        target_params,
        "big_company_targets",
        key="market.targets_export",
        transform=partial(market_tables.targets_table, language=language),
        filters={"segment": segment},
    )

st.subheader(t("market.review_heading"))
review = snapshot.query("market_review")
if review.empty:
    st.info(t("market.review_empty"))
else:
    st.caption(t("market.review_caption"))
    review_table = market_tables.review_table(review, language)
    st.dataframe(review_table, hide_index=True, placeholder=t("value.missing"), key="market.review")
    export_query_buttons(
        snapshot,
        "market_review",
        {},
        "universe_review",
        key="market.review_export",
        transform=partial(market_tables.review_table, language=language),
    )
