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
    con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any] | None = None
) -> pd.DataFrame:
    """Run query `name` on `con` with `params` bound by name and return its rows."""
    sql = query_text(name)
    logger.debug("Running query %s with parameters %s.", name, sorted(params or {}))
    return con.execute(sql, params or {}).df()
