"""续费分析: renewal rates by count and amount, the coming renewals and revenue concentration."""

from functools import partial

import pandas as pd
import streamlit as st

from dashboard import renewals_charts, renewals_tables
from dashboard.formatting import format_cny
from dashboard.snapshot import require_snapshot
from dashboard.widgets import export_buttons, export_query_buttons, labelled_select, page_header
from i18n import current_language, t

DUE_MONTHS = 3
DEFAULT_PERIODS = {"month": 12, "quarter": 4}

# Tables a load of this version publishes; older snapshots have none of them.
RENEWAL_TABLES = 5

language = current_language()
snapshot = require_snapshot()
page_header("page.renewals.title", snapshot)

if snapshot.query("renewal_tables_present")["tables_present"].iloc[0] < RENEWAL_TABLES:
    st.info(t("renewals.no_data"))
    st.stop()
settings = dict(snapshot.query("renewal_settings").itertuples(index=False, name=None))
as_of = pd.Timestamp(settings["as_of"])
st.caption(
    t(
        "renewals.definition",
        early=settings["early_days"],
        grace=settings["grace_days"],
        as_of=as_of.date(),
    )
)

with st.sidebar:
    period_kind = labelled_select(
        t("renewals.period_label"),
        {kind: t(f"renewals.period.{kind}") for kind in renewals_tables.PERIODS},
        key="renewals.period",
    )
    dimension = labelled_select(
        t("renewals.dimension_label"),
        {code: t(f"renewals.dimension.{code}") for code in renewals_tables.DIMENSIONS},
        key="renewals.dimension",
    )

rates = snapshot.query("renewal_rates", period=period_kind, dimension=dimension)
if rates.empty:
    st.info(t("renewals.empty"))
    st.stop()

# Periods up to the one holding as_of, the latest DEFAULT_PERIODS of them chosen at first.
periods = sorted(p for p in rates["period"].unique() if p <= as_of)
labels = {period: renewals_tables.period_label(period, period_kind) for period in periods}
chosen = st.select_slider(
    t("renewals.range"),
    options=periods,
    value=(periods[max(0, len(periods) - DEFAULT_PERIODS[period_kind])], periods[-1]),
    format_func=labels.__getitem__,
    key=f"renewals.range.{period_kind}",
)
in_range = [period for period in periods if chosen[0] <= period <= chosen[1]]
current = rates[rates["period"].isin(in_range)]
totals = renewals_tables.rate_totals(current)
closed = renewals_tables.closed_periods(current)
earlier = renewals_tables.rate_totals(renewals_tables.year_earlier(rates, closed))
st.caption(t("renewals.rates_period_rule"))
if len(closed) < len(in_range):
    st.caption(t("renewals.rates_closed_only", periods=len(in_range) - len(closed)))


def delta(key: str) -> str | None:
    if totals[key] is None or earlier[key] is None:
        return None
    return t("renewals.delta_points", points=f"{100 * (totals[key] - earlier[key]):+.1f}")


row = st.columns(4)
row[0].metric(
    t("renewals.rate_by_count"),
    renewals_tables.percent(totals["rate_by_count"], language),
    delta=delta("rate_by_count"),
)
row[1].metric(
    t("renewals.rate_by_amount"),
    renewals_tables.percent(totals["rate_by_amount"], language),
    delta=delta("rate_by_amount"),
)
row[2].metric(
    t("renewals.year_earlier_by_count"),
    renewals_tables.percent(earlier["rate_by_count"], language),
)
row[3].metric(
    t("renewals.year_earlier_by_amount"),
    renewals_tables.percent(earlier["rate_by_amount"], language),
)
row = st.columns(4)
for column, outcome in zip(row, ("due", "renewed", "churned", "pending"), strict=True):
    column.metric(
        t(f"renewals.outcome.{outcome}"),
        f"{int(totals[f'{outcome}_count']):,}",
        delta=format_cny(totals[f"{outcome}_amount"], language),
        delta_color="off",
    )

st.plotly_chart(renewals_charts.rate_trend(current, period_kind, language), key="renewals.trend")
st.subheader(t("renewals.table_title"))
table = renewals_tables.rates_table(current, period_kind, language)
st.dataframe(table, hide_index=True)
export_buttons(table, "renewal_rates", key="renewals.rates")

st.subheader(t("renewals.due_title", months=DUE_MONTHS))
due = snapshot.query("renewal_due_next", months=DUE_MONTHS)
if due.empty:
    st.info(t("renewals.due_none"))
else:
    due_totals = renewals_tables.due_totals(due)
    st.caption(
        t(
            "renewals.due_summary_outcomes",
            contracts=due_totals["contracts"],
            amount=format_cny(due_totals["amount"], language),
            renewed=due_totals["renewed"],
            renewed_amount=format_cny(due_totals["renewed_amount"], language),
            pending=due_totals["pending"],
            pending_amount=format_cny(due_totals["pending_amount"], language),
        )
    )
    due_table = renewals_tables.due_next_table(due, language)
    st.dataframe(due_table, hide_index=True)
    export_query_buttons(
        snapshot,
        "renewal_due_next",
        {"months": DUE_MONTHS},
        "renewals_due",
        key="renewals.due",
        transform=partial(renewals_tables.due_next_table, language=language),
    )

st.subheader(t("renewals.concentration_title"))
revenue = snapshot.query("renewal_concentration")
if revenue.empty:
    st.info(t("renewals.concentration_empty"))
else:
    share = renewals_tables.concentration(revenue)
    st.metric(
        t("renewals.top_share", top=share["top_members"], members=share["members"]),
        renewals_tables.percent(share["top_revenue_share"], language),
    )
    st.caption(t("renewals.concentration_definition"))
    st.plotly_chart(renewals_charts.pareto_chart(revenue, language), key="renewals.pareto")
    revenue_table = renewals_tables.concentration_table(revenue, language)
    st.dataframe(revenue_table, hide_index=True)
    export_buttons(revenue_table, "revenue_concentration", key="renewals.concentration")
