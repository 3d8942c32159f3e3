"""Widgets the pages share: the page header, choice filters and export buttons."""

from __future__ import annotations

import io
import logging
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
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
from i18n import DEFAULT_LANGUAGE, current_language, t, translate
from queries.access import Viewer
from store import users
from store.audit import record_export

logger = logging.getLogger(__name__)

# A per-chunk transform of a streamed export: query rows in, the rows of the shown table out.
ChunkTransform = Callable[[pd.DataFrame], pd.DataFrame]


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
    transform: ChunkTransform | None = None,
    order_by: Sequence[tuple[str, bool]] = (),
    filters: dict[str, Any] | None = None,
) -> None:
    """Offer query `name` as xlsx and CSV downloads streamed from the snapshot in chunks.

    For tables that grow with the portal: nothing is read until the click, then rows go
    from a DuckDB cursor, restricted to the viewer, to the file chunk by chunk. `transform`
    turns each chunk into the table the page shows (labels, formats, localized headers);
    pass the same function the page uses, with the language bound, because it runs in
    Streamlit's download thread where the session's language cannot be read. `headers`
    then renames columns, `order_by` re-sorts (see exports.ordered_sql), and `filters`
    goes into the audit (default: the page's filter widgets, as for export_buttons).
    The click reads the snapshot file the page ran on, so the export matches the page even
    after a new load. If later loads have pruned that file (warehouse.keep_snapshots) and no
    connection in the process still has it open, the click fails until the page reloads.
    """
    viewer = current_viewer()

    def rows() -> tuple[list[str], Iterator[pd.DataFrame]]:
        con = duckdb.connect(str(snapshot.path), read_only=True)
        try:
            columns, chunks = exports.query_chunks(con, name, params, viewer, order_by)
            if transform is not None:
                columns, chunks = exports.transform_chunks(chunks, transform)
        except BaseException:
            con.close()
            raise
        return [(headers or {}).get(c, c) for c in columns], _closing(chunks, con)

    _download_pair(file_stem, key, filters, rows)


def _download_pair(
    file_stem: str,
    key: str,
    filters: dict[str, Any] | None,
    rows: Callable[[], tuple[list[str], Iterator[pd.DataFrame]]],
) -> None:
    settings = auth_settings()
    audit = ExportAudit(
        engine=settings.engine(),
        viewer=current_viewer(),
        export_name=file_stem,
        filters=page_filters(key) if filters is None else filters,
        rendered_at=time.time(),
        idle_seconds=settings.idle_seconds,
        language=current_language(),
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
    """Viewer, filters, render time and settings of an export, captured while the page runs."""

    engine: sa.Engine
    viewer: Viewer
    export_name: str
    filters: dict[str, Any]
    # time.time() when the page ran; with on_click="ignore" the click causes no rerun, so
    # the idle limit (auth.session_idle_minutes, in seconds) is checked against this time.
    rendered_at: float = field(default_factory=time.time)
    # None: no idle limit, for callers outside a page run.
    idle_seconds: float | None = None
    # The session's language, for the notice file of a rejected export.
    language: str = DEFAULT_LANGUAGE


def build_export(
    rows: Callable[[], tuple[list[str], Iterator[pd.DataFrame]]],
    file_format: str,
    file_stem: str,
    audit: ExportAudit,
) -> bytes:
    """Write the export through a temporary file, record it, and return the file's bytes.

    Streamlit calls this on the click, in another thread. A rejected click (see
    check_account) returns a file that holds only the reason, because an exception here
    would reach the user only as Streamlit's generic failure, with a traceback in the
    server log. Writing goes chunk by chunk to disk. Returning an open file instead of
    bytes would save nothing: Streamlit 1.67 reads a returned file whole into bytes and
    keeps them in memory while the file can be downloaded (see dashboard/exports.py).
    Bytes let the temporary file be deleted at once.
    """
    try:
        check_account(audit)
    except ExportRejected as rejected:
        logger.warning(
            "Export %s (%s) rejected for user %s: %s",
            audit.export_name,
            file_format,
            audit.viewer.username,
            rejected.reason,
        )
        return rejection_notice(file_format, file_stem, audit.language, rejected.reason)

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


class ExportRejected(PermissionError):
    """The click came after the idle limit, or after the account was disabled or changed.

    `reason` is `idle_expired` or `account_changed`; the catalogs hold export.rejected.<reason>.
    """

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def check_account(audit: ExportAudit, now: float | None = None) -> None:
    """Raise ExportRejected if the page is idle too long or the account changed since it ran.

    The page's rows were chosen for that role and staff name. The click comes later, in
    another thread and without a rerun, so the session's own idle check does not run then.
    So an idle page, a disabled account or a changed role must be rejected here.
    """
    idle = (now if now is not None else time.time()) - audit.rendered_at
    if audit.idle_seconds is not None and idle > audit.idle_seconds:
        raise ExportRejected(
            f"The page ran {idle:.0f} s before the click, more than the idle limit of "
            f"{audit.idle_seconds:.0f} s; reload the page and sign in again to export.",
            "idle_expired",
        )

    user = users.get_user(audit.engine, audit.viewer.username)
    if user is not None and not user.disabled and user.viewer() == audit.viewer:
        return
    raise ExportRejected(
        f"User {audit.viewer.username!r} is disabled, deleted or has another role now; "
        "reload the page to export.",
        "account_changed",
    )


def rejection_notice(file_format: str, file_stem: str, language: str, reason: str) -> bytes:
    """Return an xlsx or CSV file whose one cell states why the export was rejected."""
    header = translate(language, "export.rejected.title")
    notice = pd.DataFrame({header: [translate(language, f"export.rejected.{reason}")]})
    handle = io.BytesIO()
    if file_format == "csv":
        exports.write_csv([header], iter([notice]), handle)
    else:
        exports.write_xlsx([header], iter([notice]), handle, sheet_name=file_stem)
    return handle.getvalue()


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
