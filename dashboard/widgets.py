"""Widgets the pages share: the page header, choice filters and export buttons."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd
import streamlit as st

from dashboard.exports import CSV_MIME, XLSX_MIME, to_csv_bytes, to_xlsx_bytes
from dashboard.snapshot import Snapshot
from i18n import t


def page_header(title_key: str, snapshot: Snapshot | None = None) -> None:
    """Show the page title, the portal name and the notice that this demo has no login."""
    st.title(t(title_key))
    if snapshot is not None and snapshot.portal_name:
        st.caption(t("app.portal", name=snapshot.portal_name))
    st.caption(t("app.demo_notice"))


def choice_filter(
    label: str,
    options: Sequence[Any],
    key: str,
    format_option: Callable[[Any], str] = str,
) -> Any | None:
    """Show a selectbox whose first option, None, means all; return the chosen value."""
    # Labels are computed during the run, in the session's language: AppTest calls
    # format_func again after the run, when the session's language cannot be read.
    labels: dict[Any, str] = {None: t("filter.all")}
    labels.update({option: format_option(option) for option in options})
    return st.selectbox(label, list(labels), key=key, format_func=labels.__getitem__)


def labelled_select(label: str, labels: dict[Any, str], key: str) -> Any:
    """Show a selectbox over the keys of `labels`, displaying their values."""
    return st.selectbox(label, list(labels), key=key, format_func=labels.__getitem__)


def export_buttons(table: pd.DataFrame, file_stem: str, key: str) -> None:
    """Offer the table as xlsx and CSV downloads, exactly as shown."""
    xlsx_column, csv_column = st.columns(2)
    xlsx_column.download_button(
        t("export.xlsx"),
        data=to_xlsx_bytes(table, sheet_name=file_stem),
        file_name=f"{file_stem}.xlsx",
        mime=XLSX_MIME,
        key=f"{key}.xlsx",
        on_click="ignore",
    )
    csv_column.download_button(
        t("export.csv"),
        data=to_csv_bytes(table),
        file_name=f"{file_stem}.csv",
        mime=CSV_MIME,
        key=f"{key}.csv",
        on_click="ignore",
    )
