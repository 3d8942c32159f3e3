"""Widgets the pages share: the page header, choice filters and export buttons."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import duckdb
import pandas as pd
import sqlalchemy as sa
import streamlit as st

from dashboard import exports
from dashboard.auth import auth_settings
from dashboard.exports import CSV_MIME, XLSX_MIME
from dashboard.session import current_viewer
from dashboard.snapshot import Snapshot
from i18n import t
from queries.access import Viewer
from store.audit import record_export


def page_header(title_key: str, snapshot: Snapshot | None = None) -> None:
    """Show the page title and the portal name."""
    st.title(t(title_key))
    if snapshot is not None and snapshot.portal_name:
        st.caption(t("app.portal", name=snapshot.portal_name))


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


def export_buttons(
    table: pd.DataFrame, file_stem: str, key: str, *, filters: dict[str, Any] | None = None
) -> None:
    """Offer the whole table as xlsx and CSV downloads, exactly as shown, each one audited.

    The file is written only when the user clicks, to a temporary file, and the click is
    recorded in the export audit with `filters` (by default the page's filter widgets: the
    session-state values whose key starts like `key`, e.g. health.*, and the URL's query).
    """
    columns = list(table.columns)
    _download_pair(file_stem, key, filters, lambda: (columns, iter([table])))


def export_query_buttons(
    snapshot: Snapshot,
    name: str,
    params: dict[str, Any],
    file_stem: str,
    key: str,
    *,
    headers: dict[str, str] | None = None,
) -> None:
    """Offer query `name` as xlsx and CSV downloads streamed from the snapshot in chunks.

    For tables too large to hold: nothing is read until the click, then rows go from a
    DuckDB cursor to the file chunk by chunk. `headers` renames result columns.
    """
    viewer = current_viewer()

    def rows() -> tuple[list[str], Iterator[pd.DataFrame]]:
        con = duckdb.connect(str(snapshot.path), read_only=True)
        columns, chunks = exports.query_chunks(con, name, params, viewer)
        return [(headers or {}).get(c, c) for c in columns], _closing(chunks, con)

    _download_pair(file_stem, key, dict(params), rows)


def _download_pair(
    file_stem: str,
    key: str,
    filters: dict[str, Any] | None,
    rows: Callable[[], tuple[list[str], Iterator[pd.DataFrame]]],
) -> None:
    audit = ExportAudit(
        engine=auth_settings().engine(),
        viewer=current_viewer(),
        export_name=file_stem,
        filters=page_filters(key) if filters is None else filters,
    )
    xlsx_column, csv_column = st.columns(2)
    for column, file_format, mime in (
        (xlsx_column, "xlsx", XLSX_MIME),
        (csv_column, "csv", CSV_MIME),
    ):
        column.download_button(
            t(f"export.{file_format}"),
            data=partial(build_export, rows, file_format, file_stem, audit),
            file_name=f"{file_stem}.{file_format}",
            mime=mime,
            key=f"{key}.{file_format}",
            on_click="ignore",
        )


@dataclass(frozen=True)
class ExportAudit:
    """What the audit row of an export needs, captured while the page runs."""

    engine: sa.Engine
    viewer: Viewer
    export_name: str
    filters: dict[str, Any]


def build_export(
    rows: Callable[[], tuple[list[str], Iterator[pd.DataFrame]]],
    file_format: str,
    file_stem: str,
    audit: ExportAudit,
) -> bytes:
    """Write the export through a temporary file, record it, and return the file's bytes.

    Streamlit calls this on the click, in another thread. Writing goes chunk by chunk to
    disk; Streamlit accepts only bytes, text or in-memory buffers back, so the finished file
    is read once and held by Streamlit while it is downloaded.
    """
    with tempfile.TemporaryFile() as handle:
        columns, chunks = rows()
        if file_format == "csv":
            count = exports.write_csv(columns, chunks, handle)
        else:
            count = exports.write_xlsx(columns, chunks, handle, sheet_name=file_stem)
        record_export(
            audit.engine, audit.viewer, audit.export_name, file_format, audit.filters, count
        )
        handle.seek(0)
        return handle.read()


def page_filters(key: str) -> dict[str, Any]:
    """The page's filter values: session-state scalars sharing `key`'s prefix, and the URL.

    Widgets whose key contains "password" are left out, so no password reaches the audit.
    """
    prefix = key.split(".", 1)[0] + "."
    values = {
        name: value
        for name, value in st.session_state.items()
        if isinstance(name, str)
        and name.startswith(prefix)
        and "password" not in name
        and isinstance(value, str | int | float | bool | type(None))
    }
    values.update({f"url.{name}": value for name, value in st.query_params.items()})
    return dict(sorted(values.items()))


def _closing(
    chunks: Iterator[pd.DataFrame], con: duckdb.DuckDBPyConnection
) -> Iterator[pd.DataFrame]:
    try:
        yield from chunks
    finally:
        con.close()
