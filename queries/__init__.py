"""One .sql file per question a page asks, and `run_query` to run one with bound parameters.

A query's name is its file name without `.sql`; only files present in this folder can run.
Parameters are DuckDB named parameters (`$segment`); a filter passed as None means "all" and
each query handles that in its own SQL.
"""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from queries.access import Viewer, restrict

logger = logging.getLogger(__name__)

QUERY_DIR = Path(__file__).resolve().parent


@cache
def query_names() -> frozenset[str]:
    """Return the allow-list: the names of the .sql files in this folder."""
    return frozenset(path.stem for path in QUERY_DIR.glob("*.sql"))


@cache
def query_text(name: str) -> str:
    """Return the SQL of query `name`; raise ValueError for a name not in the allow-list."""
    if name not in query_names():
        known = ", ".join(sorted(query_names()))
        raise ValueError(f"Unknown query {name!r}; use one of the files in {QUERY_DIR}: {known}.")
    return (QUERY_DIR / f"{name}.sql").read_text(encoding="utf-8")


def run_query(
    con: duckdb.DuckDBPyConnection,
    name: str,
    params: dict[str, Any] | None = None,
    *,
    viewer: Viewer,
) -> pd.DataFrame:
    """Run query `name` on a new cursor of `con`, limited to the rows `viewer` may see.

    The viewer is required, so no caller can run a query without the row restriction.
    """
    sql = query_text(name)
    logger.debug(
        "Running query %s for %s with parameters %s.", name, viewer.username, sorted(params or {})
    )
    cursor = con.cursor()
    try:
        restrict(cursor, viewer)
        return cursor.execute(sql, params or {}).df()
    finally:
        cursor.close()
