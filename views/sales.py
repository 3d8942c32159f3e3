"""销售管理: targets against signed amounts, follow-ups, calls and shop-opening times."""

from functools import partial

import pandas as pd
import streamlit as st

from dashboard import sales_charts, sales_tables
from dashboard.formatting import format_cny
from dashboard.snapshot import require_snapshot
from dashboard.widgets import export_buttons, export_query_buttons, labelled_select, page_header
from i18n import current_language, t

language = current_language()
snapshot = require_snapshot()
page_header("page.sales.title", snapshot)

settings = dict(snapshot.query("sales_settings").itertuples(index=False, name=None))
as_of_rows = snapshot.query("sales_as_of")
if not settings or as_of_rows.empty:
    st.info(t("sales.empty"))
    st.stop()
as_of = pd.Timestamp(as_of_rows["as_of"].iloc[0]).date()
stale_days = int(settings["stale_followup_days"])
st.caption(t("sales.caption", as_of=as_of))

with st.sidebar:
    period = labelled_select(
        t("sales.period_label"),
        {kind: t(f"sales.period.{kind}") for kind in sales_tables.PERIODS},
        key="sales.period",
    )
periods = snapshot.query("sales_periods", period=period)
if periods.empty:
    st.info(t("sales.empty"))
    st.stop()
with st.sidebar:
    choice = st.selectbox(
        t("sales.period_choice"),
        list(range(len(periods))),
        index=sales_tables.default_period(periods, as_of),
        format_func=lambda position: sales_tables.period_label(
            periods["period_start"].iloc[position], period, language
        ),
        key=f"sales.period_start.{period}",
    )
period_start = pd.Timestamp(periods["period_start"].iloc[choice]).date()
period_end = pd.Timestamp(periods["period_end"].iloc[choice]).date()

# --- targets against signed amounts ---------------------------------------------------------
performance = snapshot.query("sales_performance", period=period, period_start=period_start)
sums = sales_tables.totals(performance)
if not performance.empty:
    elapsed = int(performance["days_elapsed"].iloc[0])
    total_days = int(performance["days_in_period"].iloc[0])
    st.caption(t("sales.progress", elapsed=elapsed, total=total_days))
columns = st.columns(5)
columns[0].metric(t("sales.target"), format_cny(sums["target_cny"], language))
columns[1].metric(t("sales.signed_new"), format_cny(sums["signed_new_cny"], language))
columns[2].metric(t("sales.signed_renewal"), format_cny(sums["signed_renewal_cny"], language))
columns[3].metric(t("sales.gap"), format_cny(sums["gap_cny"], language))
columns[4].metric(t("sales.projected"), format_cny(sums["projected_cny"], language))

percent = {t("sales.col.completion"): st.column_config.NumberColumn(format="percent")}
st.subheader(t("sales.team_heading"))
teams = sales_tables.team_rows(performance, language)
team_table = sales_tables.performance_table(teams, language, by_team=True)
st.dataframe(team_table, hide_index=True, column_config=percent, key="sales.teams")
export_buttons(team_table, "sales_by_team", key="sales.teams_export")

st.subheader(t("sales.rep_heading"))
rep_table = sales_tables.performance_table(performance, language, by_team=False)
st.dataframe(
    rep_table,
    hide_index=True,
    column_config=percent,
    placeholder=t("value.missing"),
    key="sales.reps",
)
export_buttons(rep_table, "sales_by_rep", key="sales.reps_export")
if not performance.empty:
    names = rep_table[t("sales.col.sales_rep")].tolist()
    st.plotly_chart(
        sales_charts.target_bars(performance, names, language), key="sales.target_chart"
    )

# --- calls ----------------------------------------------------------------------------------
st.subheader(t("sales.calls_heading"))
call_params = {"period_start": period_start, "period_end": period_end}
calls = snapshot.query("sales_calls", **call_params)
if calls.empty:
    st.info(t("sales.calls_empty"))
else:
    st.caption(
        t(
            "sales.calls_caption",
            required=int(settings["required_calls_per_month"]),
            below=int(calls["below_required"].sum()),
        )
    )
    calls_table = sales_tables.calls_table(calls, language)
    below = calls["below_required"].tolist()
    styled = calls_table.style.apply(
        lambda row: ["color: #c62828; font-weight: bold" if below[row.name] else ""] * len(row),
        axis=1,
    )
    st.dataframe(styled, hide_index=True, key="sales.calls")
    export_query_buttons(
        snapshot,
        "sales_calls",
        call_params,
        "sales_calls",
        key="sales.calls_export",
        transform=partial(sales_tables.calls_table, language=language),
        filters={"period": period, **call_params},
    )

# --- follow-ups -----------------------------------------------------------------------------
st.subheader(t("sales.followups_heading"))
prospects = snapshot.query("sales_followup_counts", stale_days=stale_days)
won = snapshot.query("sales_won_followups")
chart_columns = st.columns(2)
if not prospects.empty:
    chart_columns[0].plotly_chart(
        sales_charts.count_bars(prospects, "prospects", "sales.prospects_chart_title", language),
        key="sales.prospects_chart",
    )
summary = sales_tables.won_summary(won)
if summary["deals"]:
    chart_columns[1].plotly_chart(
        sales_charts.count_bars(
            won,
            "deals",
            "sales.won_chart_title",
            language,
            highlight=sales_tables.WON_FOLLOWUPS_RANGE,
        ),
        key="sales.won_chart",
    )
    st.caption(
        t(
            "sales.won_caption",
            deals=summary["deals"],
            median=f"{summary['median']:g}",
            in_range=summary["in_range"],
        )
    )
else:
    st.info(t("sales.won_empty"))

st.markdown(f"**{t('sales.stale_heading', days=stale_days)}**")
stale = snapshot.query("sales_stale_prospects", stale_days=stale_days)
if stale.empty:
    st.info(t("sales.stale_empty"))
else:
    st.dataframe(sales_tables.stale_table(stale, language), hide_index=True, key="sales.stale")
    export_query_buttons(
        snapshot,
        "sales_stale_prospects",
        {"stale_days": stale_days},
        "stale_prospects",
        key="sales.stale_export",
        transform=partial(sales_tables.stale_table, language=language),
    )

# --- shop opening ---------------------------------------------------------------------------
st.subheader(t("sales.opening_heading"))
st.caption(t("sales.opening_caption", days=int(settings["shop_open_deadline_days"])))
months = snapshot.query("sales_shop_opening_months")
if months.empty:
    st.info(t("sales.opening_empty"))
else:
    months_table = sales_tables.opening_months_table(months, language)
    st.dataframe(months_table, hide_index=True, placeholder=t("value.missing"), key="sales.open")
    export_buttons(months_table, "shop_opening_months", key="sales.open_export")
    st.markdown(f"**{t('sales.opening_late_heading')}**")
    late = snapshot.query("sales_shop_openings_late")
    if late.empty:
        st.info(t("sales.opening_late_empty"))
    else:
        late_table = sales_tables.late_openings_table(late, language)
        st.dataframe(late_table, hide_index=True, placeholder=t("value.missing"), key="sales.late")
        export_query_buttons(
            snapshot,
            "sales_shop_openings_late",
            {},
            "shop_openings_late",
            key="sales.late_export",
            transform=partial(sales_tables.late_openings_table, language=language),
        )
