"""数据状态: the last load, each source's rows, rejected rows by reason, and freshness."""

from functools import partial

import streamlit as st

from dashboard import charts, tables
from dashboard.formatting import format_date, format_number, format_timestamp
from dashboard.freshness import STALE_DAYS, clock, is_stale
from dashboard.session import current_viewer
from dashboard.snapshot import require_snapshot
from dashboard.widgets import export_buttons, export_query_buttons, page_header
from i18n import current_language, label, t

REJECTED_SAMPLE_ROWS = 100

language = current_language()
snapshot = require_snapshot()
page_header("page.status.title", snapshot)

now_utc, today = clock(snapshot.timezone)
runs = snapshot.query("last_load_run", now_utc=now_utc, today=today)
st.subheader(t("status.last_run"))
if runs.empty:
    st.info(t("status.no_runs"))
else:
    run = runs.iloc[0]
    columns = st.columns([2, 1, 1, 1, 1])
    columns[0].metric(t("status.finished_at"), format_timestamp(run["finished_at"], language))
    columns[1].metric(t("status.as_of"), format_date(run["as_of"], language))
    columns[2].metric(t("status.run_status"), label("run_status", run["status"]))
    columns[3].metric(
        t("status.hours_since_load"), format_number(run["hours_since_load"], language, 1)
    )
    columns[4].metric(t("status.days_since_data"), format_number(run["days_since_data"], language))
    if is_stale(run["hours_since_load"], run["days_since_data"], STALE_DAYS):
        st.warning(
            t(
                "status.stale",
                hours=format_number(run["hours_since_load"], language, 1),
                days=format_number(run["days_since_data"], language),
            )
        )

st.subheader(t("status.sources_title"))
sources = snapshot.query("load_status_by_source")
if sources.empty:
    st.info(t("status.sources_empty"))
else:
    sources_table = tables.load_sources_table(sources, language)
    st.dataframe(sources_table, hide_index=True)
    export_buttons(sources_table, "load_sources", key="status.sources")

st.subheader(t("status.outcomes_title"))
outcomes = snapshot.query("load_outcomes_by_reason")
if outcomes.empty:
    st.info(t("status.outcomes_empty"))
else:
    outcomes_table = tables.outcomes_table(outcomes, language)
    st.dataframe(outcomes_table, hide_index=True)
    export_buttons(outcomes_table, "load_outcomes", key="status.outcomes")
    by_reason = tables.rejected_by_reason(outcomes, language)
    if not by_reason.empty:
        st.plotly_chart(charts.reasons_bar(by_reason, language), key="status.reasons")

st.subheader(t("status.rejected_title", count=REJECTED_SAMPLE_ROWS))
# The query layer hides rejected rows from sales reps and after-sales staff and masks their
# source text for directors and executives. The page only adds a note for the case that applies.
raw_text_access = current_viewer().raw_text_access
rejected = snapshot.query("rejected_rows_sample", max_rows=REJECTED_SAMPLE_ROWS)
if raw_text_access == "none":
    st.info(t("status.rejected_hidden"))
elif rejected.empty:
    st.info(t("status.rejected_empty"))
else:
    rejected_table = tables.rejected_rows_table(rejected, language)
    st.caption(t("status.rejected_export_note", count=REJECTED_SAMPLE_ROWS))
    if raw_text_access == "masked":
        st.caption(t("status.rejected_masked"))
    st.dataframe(rejected_table, hide_index=True, placeholder=t("value.missing"))
    export_query_buttons(
        snapshot,
        "rejected_rows",
        {},
        "rejected_rows",
        key="status.rejected",
        transform=partial(tables.rejected_rows_table, language=language),
    )

st.subheader(t("status.bots_title"))
bots = snapshot.query("bot_hits_summary")
if bots.empty:
    st.info(t("status.bots_empty"))
else:
    st.dataframe(tables.bots_table(bots, language), hide_index=True)
    export_query_buttons(
        snapshot,
        "bot_hits_summary",
        {},
        "bot_hits",
        key="status.bots",
        transform=partial(tables.bots_table, language=language),
    )
