"""用户管理 (admins only): list users, add one, change role, reset password, disable."""

import pandas as pd
import streamlit as st

from dashboard.auth import auth_settings
from dashboard.session import current_viewer
from dashboard.snapshot import SnapshotMissing, locate_snapshot
from dashboard.users import owned_member_count
from dashboard.widgets import export_buttons, labelled_select, page_header
from i18n import t
from queries.access import OWNER_COLUMN, ROLES
from store import users

page_header("page.users.title")
viewer = current_viewer()
# Navigation offers this page to admins only; this check also holds when the file runs alone.
if viewer.role != "admin":
    st.error(t("users.admins_only"))
    st.stop()

engine = auth_settings().engine()
role_labels = {role: t(f"role.{role}") for role in ROLES}


def show_outcome(action, message: str) -> None:
    """Run an action on the users table; show `message`, or the refusal's catalog sentence.

    After an add or a role change, warn when a sales rep's or after-sales user's staff name
    owns no member in the published snapshot, since that user would see nothing.
    """
    try:
        user = action()
    except users.UserError as error:
        st.error(t(f"users.error.{error.code}"))
        return
    st.success(message)
    warn_if_owns_nothing(user)


def warn_if_owns_nothing(user: users.User) -> None:
    if user.role not in OWNER_COLUMN or user.staff_name is None:
        return
    try:
        snapshot = locate_snapshot()
    except SnapshotMissing:
        return
    if owned_member_count(snapshot.path, user.role, user.staff_name) == 0:
        st.warning(
            t(
                "users.staff_owns_nothing",
                user=user.username,
                staff=user.staff_name,
                column=OWNER_COLUMN[user.role],
            )
        )


all_users = users.list_users(engine)
users_table = pd.DataFrame(
    {
        t("users.col.username"): [u.username for u in all_users],
        t("users.col.role"): [role_labels[u.role] for u in all_users],
        t("users.col.staff_name"): [u.staff_name for u in all_users],
        t("users.col.status"): [
            t("users.status.disabled" if u.disabled else "users.status.active") for u in all_users
        ],
        t("users.col.locked_until"): [u.locked_until for u in all_users],
    }
)
st.dataframe(users_table, hide_index=True, placeholder="")
export_buttons(users_table, "users", key="users.export")
st.caption(t("users.staff_name_help", columns=", ".join(OWNER_COLUMN.values())))

st.subheader(t("users.add_title"))
with st.form("users.add", clear_on_submit=True):
    new_name = st.text_input(t("users.col.username"), key="users.add.username")
    new_role = labelled_select(t("users.col.role"), role_labels, key="users.add.role")
    new_staff = st.text_input(t("users.col.staff_name"), key="users.add.staff_name")
    new_password = st.text_input(t("auth.password"), type="password", key="users.add.password")
    if st.form_submit_button(t("users.add_submit")):
        show_outcome(
            lambda: users.add_user(engine, new_name, new_password, new_role, new_staff),
            t("users.added", user=new_name.strip()),
        )

if all_users:
    st.subheader(t("users.change_title"))
    names = [u.username for u in all_users]
    target = st.selectbox(t("users.col.username"), names, key="users.change.username")
    role_column, password_column, access_column = st.columns(3)
    # An admin who changed their own role could lock everyone out of this page.
    if target == viewer.username:
        role_column.caption(t("users.not_own_role"))
    else:
        with role_column, st.form("users.role"):
            role = labelled_select(t("users.col.role"), role_labels, key="users.change.role")
            staff = st.text_input(t("users.col.staff_name"), key="users.change.staff_name")
            if st.form_submit_button(t("users.set_role")):
                show_outcome(
                    lambda: users.set_role(engine, target, role, staff),
                    t("users.role_set", user=target, role=role_labels[role]),
                )
    with password_column, st.form("users.password", clear_on_submit=True):
        password = st.text_input(t("auth.password"), type="password", key="users.change.password")
        if st.form_submit_button(t("users.reset_password")):
            show_outcome(
                lambda: users.reset_password(engine, target, password),
                t("users.password_reset", user=target),
            )
    with access_column:
        if target == viewer.username:
            st.caption(t("users.not_yourself"))
        else:
            if st.button(t("users.disable"), key="users.disable"):
                show_outcome(
                    lambda: users.set_disabled(engine, target, True),
                    t("users.disabled", user=target),
                )
            if st.button(t("users.enable"), key="users.enable"):
                show_outcome(
                    lambda: users.set_disabled(engine, target, False),
                    t("users.enabled", user=target),
                )
