"""The export audit: one row per file a user downloaded (who, what, filters, rows, when)."""

from __future__ import annotations

import json
import logging
from typing import Any

import pandas as pd
import sqlalchemy as sa

from queries.access import Viewer
from store import metadata
from store.users import utc_now

logger = logging.getLogger(__name__)

export_audit = sa.Table(
    "export_audit",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("exported_at", sa.DateTime, nullable=False),
    sa.Column("username", sa.String(64), nullable=False),
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("export_name", sa.String(255), nullable=False),
    sa.Column("file_format", sa.String(8), nullable=False),
    sa.Column("filters", sa.Text, nullable=False),
    sa.Column("row_count", sa.BigInteger, nullable=False),
)


def record_export(
    engine: sa.Engine,
    viewer: Viewer,
    export_name: str,
    file_format: str,
    filters: dict[str, Any],
    row_count: int,
) -> None:
    """Write one audit row; filters are stored as JSON text with sorted keys."""
    filters_text = json.dumps(filters, ensure_ascii=False, sort_keys=True, default=str)
    with engine.begin() as con:
        con.execute(
            export_audit.insert().values(
                exported_at=utc_now(),
                username=viewer.username,
                role=viewer.role,
                export_name=export_name,
                file_format=file_format,
                filters=filters_text,
                row_count=row_count,
            )
        )
    logger.info(
        "Export %s.%s by %s: %d rows, filters %s.",
        export_name,
        file_format,
        viewer.username,
        row_count,
        filters_text,
    )


def list_exports(engine: sa.Engine) -> pd.DataFrame:
    """Every audit row, newest first."""
    query = sa.select(export_audit).order_by(export_audit.c.id.desc())
    with engine.connect() as con:
        rows = con.execute(query).mappings().all()
    columns = [column.name for column in export_audit.columns]
    return pd.DataFrame([dict(row) for row in rows], columns=columns)
