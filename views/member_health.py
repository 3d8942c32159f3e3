"""会员健康度: every paid member's window metrics, health score, band and reasons."""

from functools import partial

import streamlit as st

from dashboard import charts, tables
from dashboard.snapshot import require_snapshot
from dashboard.widgets import (
    choice_filter,
    export_buttons,
    export_query_buttons,
    labelled_select,
    page_header,
)
from i18n import current_language, label, t

language = current_language()
snapshot = require_snapshot()
page_header("page.health.title", snapshot)

options = snapshot.query("member_health_filter_options")
with st.sidebar:
    segment = choice_filter(
        t("col.segment"), sorted(options["segment"].dropna().unique()), key="health.segment"
    )
    tier = choice_filter(
        t("col.tier"), sorted(options["tier"].dropna().unique()), key="health.tier"
    )
    sales_rep = choice_filter(
        t("col.sales_rep"), sorted(options["sales_rep"].dropna().unique()), key="health.sales_rep"
    )
    band = choice_filter(
        t("col.band"),
        tables.BANDS,
        key="health.band",
        format_option=lambda code: label("band", code),
    )
    sort_labels = {key: t(f"sort.{key}") for key in tables.HEALTH_SORTS}
    sort_key = labelled_select(t("sort.label"), sort_labels, key="health.sort")

filters = {"segment": segment, "tier": tier, "sales_rep": sales_rep, "band": band}
health = snapshot.query("member_health_list", **filters)
counts = tables.band_counts(snapshot.query("member_health_band_counts", **filters))
settings = snapshot.query("health_settings")

if not health.empty:
    st.caption(
        t(
            "health.window",
            start=health["window_start"].min().date(),
            end=health["window_end"].max().date(),
        )
    )

metric_columns = st.columns(1 + len(counts))
metric_columns[0].metric(t("health.paid_members"), len(health))
for column, (band_code, count) in zip(metric_columns[1:], counts.items(), strict=True):
    column.metric(label("band", band_code), count)

if health.empty:
    st.info(t("health.empty"))
else:
    table = tables.health_table(tables.sort_health(health, sort_key), language)
    st.caption(t("health.drill_hint"))
    event = st.dataframe(
        tables.with_detail_links(table, language),
        hide_index=True,
        column_config={
            t("col.detail"): st.column_config.LinkColumn(display_text=t("health.open_detail"))
        },
        key="health.table",
        placeholder=t("value.missing"),
        on_select="rerun",
        selection_mode="single-row",
    )
    chosen = tables.selected_member(table, event.selection.rows, language)
    if chosen is not None:
        st.switch_page("views/member_detail.py", query_params={"member": str(chosen)})
    export_query_buttons(
        snapshot,
        "member_health_list",
        filters,
        "member_health",
        key="health.export",
        transform=partial(tables.health_table, language=language),
        order_by=tables.health_order(sort_key),
        filters={**filters, "sort": sort_key},
    )
    st.plotly_chart(charts.band_bar(counts, language), key="health.bands")

st.subheader(t("health.settings_heading"))
values = tables.settings_values(settings)
st.caption(
    t(
        "health.settings_caption",
        healthy=values.get("healthy_min"),
        watch=values.get("watch_min"),
        onboarding=values.get("onboarding_days"),
    )
)
settings_table = tables.settings_table(settings, language)
st.dataframe(settings_table, hide_index=True)
export_buttons(settings_table, "health_settings", key="health.settings_export")
