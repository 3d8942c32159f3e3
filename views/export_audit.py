"""导出记录 (admins only): every export, newest first: who, what, filters, rows, when."""

import pandas as pd
import streamlit as st

from dashboard.auth import auth_settings
from dashboard.formatting import format_timestamp
from dashboard.session import current_viewer
from dashboard.widgets import export_buttons, page_header
from i18n import current_language, t
from store.audit import list_exports

page_header("page.export_audit.title")
viewer = current_viewer()
# Navigation offers this page to admins only; this check also holds when the file runs alone.
if viewer.role != "admin":
    st.error(t("users.admins_only"))
    st.stop()

language = current_language()
audit = list_exports(auth_settings().engine())
if audit.empty:
    st.info(t("audit.empty"))
    st.stop()

table = pd.DataFrame(
    {
        t("audit.col.exported_at"): [format_timestamp(v, language) for v in audit["exported_at"]],
        t("users.col.username"): audit["username"],
        t("users.col.role"): [t(f"role.{role}") for role in audit["role"]],
        t("audit.col.export_name"): audit["export_name"],
        t("audit.col.file_format"): audit["file_format"],
        t("audit.col.filters"): audit["filters"],
        t("audit.col.row_count"): audit["row_count"].astype("Int64"),
    }
)
st.caption(t("audit.caption", count=len(table)))
st.dataframe(table, hide_index=True)
export_buttons(table, "export_audit", key="audit.export")
