"""商铺详情: one member's daily metrics, traffic sources, peer comparison and contracts."""

from functools import partial

import streamlit as st

from dashboard import charts, tables
from dashboard.formatting import format_date, format_number, is_missing
from dashboard.logs import shorten
from dashboard.members import member_options, requested_member
from dashboard.renewals_actions import show_action_timeline
from dashboard.snapshot import require_snapshot
from dashboard.widgets import export_buttons, export_query_buttons, page_header
from i18n import current_language, label, t

KEYWORD_ROWS = 10
# The export passes BIGINT's maximum as max_rows to member_top_keywords.sql, which ranks every
# keyword, so the file contains all keywords in the order of the table's first KEYWORD_ROWS.
ALL_KEYWORDS = 2**63 - 1

language = current_language()
snapshot = require_snapshot()
page_header("page.detail.title", snapshot)

names = member_options(
    snapshot.query("member_health_list", segment=None, tier=None, sales_rep=None, band=None)
)
if not names:
    st.info(t("detail.no_members"))
    st.stop()

raw_member = st.query_params.get("member")
requested = requested_member(raw_member)
member_ids = list(names)
if raw_member and requested not in names:
    st.warning(t("detail.not_found", member=shorten(raw_member)))
start = member_ids.index(requested) if requested in names else 0
member_id = st.selectbox(
    t("detail.pick"), member_ids, index=start, format_func=names.get, key="detail.member"
)
st.query_params["member"] = str(member_id)

profile = snapshot.query("member_profile", member_id=member_id).iloc[0]
band = t("value.missing") if is_missing(profile["band"]) else label("band", profile["band"])
st.caption(
    t(
        "detail.summary",
        segment=profile["segment"],
        tier=profile["current_tier"],
        rep=profile["sales_rep"],
        score=format_number(profile["health_score"], language, 1),
        band=band,
    )
)
# Contact details come masked from the query layer unless this viewer owns the member.
contacts = snapshot.query("member_contacts", member_id=member_id)
if not contacts.empty:
    found = contacts.iloc[0].dropna()
    if not found.empty:
        items = [f"{t(f'contacts.{column}')} {value}" for column, value in found.items()]
        st.caption(t("contacts.line", items="; ".join(items)))
if not is_missing(profile["window_start"]):
    st.caption(
        t(
            "detail.window",
            start=format_date(profile["window_start"], language),
            end=format_date(profile["window_end"], language),
        )
    )

st.subheader(t("detail.daily_title"))
daily = snapshot.query("member_daily_metrics", member_id=member_id)
if daily.empty:
    st.info(t("detail.daily_empty"))
else:
    st.plotly_chart(charts.daily_lines(daily, language), key="detail.daily")

left, right = st.columns(2)
with left:
    st.subheader(t("detail.sources_title"))
    sources = snapshot.query("member_traffic_sources", member_id=member_id)
    if sources.empty or sources["page_views"].sum() == 0:
        st.info(t("detail.sources_empty"))
    else:
        st.plotly_chart(charts.sources_pie(sources, language), key="detail.sources")
        sources_table = tables.sources_table(sources, language)
        st.dataframe(sources_table, hide_index=True)
        export_buttons(sources_table, f"traffic_sources_{member_id}", key="detail.sources")

with right:
    st.subheader(t("detail.peer_title"))
    peers = snapshot.query("member_vs_peer_median", member_id=member_id)
    if peers.empty:
        st.info(t("detail.peer_empty"))
    else:
        peer_table = tables.peer_table(peers, language)
        st.dataframe(peer_table, hide_index=True)
        export_buttons(peer_table, f"peer_median_{member_id}", key="detail.peers")

st.subheader(t("detail.contracts_title"))
contracts = snapshot.query("member_contracts", member_id=member_id)
if contracts.empty:
    st.info(t("detail.contracts_empty"))
else:
    st.dataframe(tables.contracts_table(contracts, language, for_export=False), hide_index=True)
    export_buttons(
        tables.contracts_table(contracts, language, for_export=True),
        f"contracts_{member_id}",
        key="detail.contracts",
    )

st.subheader(t("detail.keywords_title"))
keywords = snapshot.query("member_top_keywords", member_id=member_id, max_rows=KEYWORD_ROWS)
if keywords.empty:
    st.info(t("detail.keywords_empty"))
else:
    if len(keywords) == KEYWORD_ROWS:
        st.caption(t("detail.keywords_export_note", count=KEYWORD_ROWS))
    st.dataframe(tables.keywords_table(keywords, language), hide_index=True)
    export_query_buttons(
        snapshot,
        "member_top_keywords",
        {"member_id": member_id, "max_rows": ALL_KEYWORDS},
        f"keywords_{member_id}",
        key="detail.keywords",
        transform=partial(tables.keywords_table, language=language),
        filters={"member_id": member_id},
    )

show_action_timeline(member_id)
