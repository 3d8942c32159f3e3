"""After-sales actions on the pages: the risk queue's last contact, the form, the timeline.

Actions are read from and written to the app database (store/actions.py) that the login
uses, so they survive loads and restarts. Callers pass only members the viewer may see.
"""

from __future__ import annotations

import logging

import pandas as pd
import sqlalchemy as sa
import streamlit as st

from dashboard.auth import auth_settings
from dashboard.session import current_viewer
from dashboard.widgets import export_buttons
from i18n import current_language, label, t, translate
from store import actions

logger = logging.getLogger(__name__)

TIMELINE_KEY = "renewals.timeline"


def app_engine() -> sa.Engine:
    return auth_settings().engine()


def with_last_contact(queue: pd.DataFrame, engine: sa.Engine) -> pd.DataFrame:
    """Add last_action, last_action_on and last_note of each queue member."""
    last = actions.last_actions(engine, queue["member_id"].tolist()).rename(
        columns={"action": "last_action", "action_on": "last_action_on", "note": "last_note"}
    )
    return queue.merge(last, on="member_id", how="left")


def action_form(
    queue: pd.DataFrame, engine: sa.Engine, key: str, timezone: str = actions.DEFAULT_TIMEZONE
) -> None:
    """Show the form that records one action for a member of the queue.

    The date cannot be later than today in `timezone`, the portal's time zone.
    """
    today = actions.today_in(timezone)
    names = dict(zip(queue["member_id"], queue["company_name"], strict=True))
    contracts = dict(zip(queue["member_id"], queue["contract_id"], strict=True))
    action_labels = {code: t(f"action.{code}") for code in actions.ACTION_CODES}

    with st.form(key, clear_on_submit=True):
        member_id = st.selectbox(
            t("action.member"),
            list(names),
            format_func=lambda member: f"{names[member]} ({member})",
            key=f"{key}.member",
        )
        action = st.selectbox(
            t("action.action"), list(action_labels), format_func=action_labels.__getitem__
        )
        action_on = st.date_input(t("action.date"), value=today, max_value=today, key=f"{key}.date")
        note = st.text_area(t("action.note"), max_chars=actions.MAX_NOTE, key=f"{key}.note")
        submitted = st.form_submit_button(t("action.submit"))

    if not submitted or member_id is None:
        return

    # Streamlit 1.67 already resets a date after max_value to today. record_action checks
    # again, because the rule must hold for every caller and Streamlit version.
    try:
        actions.record_action(
            engine,
            member_id=int(member_id),
            contract_id=int(contracts[member_id]),
            action=action,
            action_on=action_on,
            note=note or "",
            recorded_by=current_viewer().username,
            timezone=timezone,
        )
    except actions.FutureActionDateError as error:
        logger.warning("Action for member %s rejected: %s", member_id, error)
        st.error(t("action.future_date", date=error.action_on, today=error.today))
        return
    st.success(t("action.saved", company=names[member_id], action=action_labels[action]))


def timeline_table(history: pd.DataFrame, language: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            translate(language, "action.date"): pd.to_datetime(history["action_on"]).dt.date,
            translate(language, "action.action"): [
                label("action", code, language) for code in history["action"]
            ],
            translate(language, "action.note"): history["note"].to_numpy(),
            translate(language, "action.recorded_by"): history["recorded_by"].to_numpy(),
            translate(language, "risk.col.contract_id"): history["contract_id"].to_numpy(),
        }
    )


def show_action_timeline(member_id: int) -> None:
    """Show the member's recorded actions, newest first (the end of the member-detail page)."""
    st.subheader(t("action.timeline_title"))
    history = actions.member_actions(app_engine(), member_id)
    if history.empty:
        st.caption(t("action.timeline_empty"))
        return
    timeline = timeline_table(history, current_language())
    st.dataframe(timeline, hide_index=True, key=TIMELINE_KEY)
    export_buttons(timeline, f"actions_{member_id}", key="detail.actions")
