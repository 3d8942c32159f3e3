"""续费风险: the after-sales call list, sorted by expected revenue at risk, and the backtest."""

from functools import partial

import streamlit as st

from dashboard import renewals_actions, renewals_charts, renewals_tables
from dashboard.formatting import format_cny, format_date
from dashboard.session import current_viewer
from dashboard.snapshot import require_snapshot
from dashboard.widgets import choice_filter, export_buttons, export_query_buttons, page_header
from i18n import current_language, t

# Tables a load of this version publishes; older snapshots have none of them.
RENEWAL_TABLES = 5

language = current_language()
snapshot = require_snapshot()
viewer = current_viewer()
page_header("page.risk.title", snapshot)

if snapshot.query("renewal_tables_present")["tables_present"].iloc[0] < RENEWAL_TABLES:
    st.info(t("renewals.no_data"))
    st.stop()
settings = dict(snapshot.query("renewal_settings").itertuples(index=False, name=None))

if settings["method"] == "rule":
    st.warning(
        t(
            "risk.rule_notice",
            decided=settings["decided_contracts"],
            minimum=settings["min_training_contracts"],
        )
    )
else:
    st.caption(t("risk.model_notice", lead=settings["lead_days"]))

with st.sidebar:
    days = st.number_input(
        t("risk.days"),
        min_value=1,
        max_value=int(settings["risk_horizon_days"]) or 1,
        value=min(int(settings["queue_days"]), int(settings["risk_horizon_days"]) or 1),
        step=1,
        key="risk.days",
    )
    # "Mine": the members the viewer is responsible for by role when they have a staff name,
    # else the contracts of a chosen after-sales owner.
    if viewer.staff_name:
        owner_column = renewals_tables.queue_owner_column(viewer.role)
        mine = st.checkbox(
            t("risk.mine"),
            value=viewer.role == "after_sales",
            help=t(f"risk.mine_help.{owner_column}"),
            key="risk.mine",
        )
        owner = viewer.staff_name if mine else None
    else:
        owner_column = "after_sales_owner"
        owners = snapshot.query("risk_owner_options")["after_sales_owner"].tolist()
        owner = choice_filter(t("risk.owner"), owners, key="risk.owner")

queue = snapshot.query("risk_queue", days=int(days), owner=owner, owner_column=owner_column)
st.caption(t("risk.queue_caption", days=int(days)))
columns = st.columns(3)
columns[0].metric(t("risk.contracts"), f"{len(queue):,}")
columns[1].metric(t("risk.amount_due"), format_cny(queue["amount_cny"].sum(), language))
columns[2].metric(
    t("risk.expected_at_risk"), format_cny(queue["expected_revenue_at_risk"].sum(), language)
)

if queue.empty:
    st.info(t("risk.queue_empty"))
else:
    engine = renewals_actions.app_engine()
    queue = renewals_actions.with_last_contact(queue, engine)
    table = renewals_tables.queue_table(queue, language)
    st.dataframe(table, hide_index=True, key="risk.queue")
    export_query_buttons(
        snapshot,
        "risk_queue",
        {"days": int(days), "owner": owner, "owner_column": owner_column},
        "renewal_risk_queue",
        key="risk.export",
        transform=partial(
            renewals_tables.queue_table_with_contacts, engine=engine, language=language
        ),
    )

    st.subheader(t("action.form_title"))
    renewals_actions.action_form(queue, engine, key="risk.action", timezone=snapshot.timezone)

st.subheader(t("risk.backtest_title"))
backtest = snapshot.query("risk_backtest")
if backtest.empty:
    st.info(t("risk.backtest_empty"))
else:
    first = backtest.iloc[0]
    st.caption(
        t(
            "risk.backtest_caption",
            train=int(first["train_contracts"]),
            test=int(first["test_contracts"]),
            since=format_date(first["test_first_decided_on"], language),
        )
    )
    backtest_view = renewals_tables.backtest_table(backtest, language)
    st.dataframe(backtest_view, hide_index=True)
    export_buttons(backtest_view, "risk_backtest", key="risk.backtest_export")

    calibration = snapshot.query("risk_calibration")
    st.plotly_chart(
        renewals_charts.calibration_chart(calibration, language), key="risk.calibration"
    )
    calibration_table = renewals_tables.calibration_view(calibration, language)
    st.dataframe(calibration_table, hide_index=True)
    export_buttons(calibration_table, "risk_calibration", key="risk.calibration_export")
