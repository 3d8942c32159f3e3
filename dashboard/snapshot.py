"""The published snapshot the pages read: found through the portal config, opened read-only.

The path comes from PORTAL_CONFIG (default data/demo/portal.toml under the repo root) and
then `<warehouse.dir>/current.duckdb`, a symbolic link that each load replaces. Connections
and query results are cached by the link's target and its modification time, so the first
rerun after a publish reads the new snapshot and never mixes two.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import streamlit as st

from dashboard.session import current_viewer
from etl.config import Config, load_config
from etl.errors import ConfigError
from i18n import t
from queries import run_query
from queries.access import Viewer

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parent.parent
CONFIG_ENV = "PORTAL_CONFIG"
DEFAULT_CONFIG = "data/demo/portal.toml"
SNAPSHOT_LINK = "current.duckdb"


@dataclass(frozen=True)
class Snapshot:
    """One published snapshot file and the portal settings the pages need beside it."""

    path: Path
    mtime_ns: int
    portal_name: str
    timezone: str

    def query(self, name: str, **params: Any) -> pd.DataFrame:
        """Run queries/<name>.sql with `params` bound, cached per snapshot and parameters.

        A failed query (a snapshot from an older schema, say) shows a plain sentence and
        stops the page instead of a traceback.
        """
        viewer = current_viewer()
        viewer_key = (viewer.username, viewer.role, viewer.staff_name)
        try:
            return _cached_query(
                str(self.path), self.mtime_ns, viewer_key, name, tuple(sorted(params.items()))
            )
        except duckdb.Error as error:
            logger.exception("Query %s failed on snapshot %s.", name, self.path)
            st.error(t("snapshot.query_failed", name=name, path=self.path, error=error))
            st.stop()
            raise  # Not reached, because st.stop() raises; it ends the branch for type checkers.


class SnapshotMissing(Exception):
    """No snapshot to read; the message is a catalog sentence for the user."""


def config_path() -> Path:
    """Return the portal config path from PORTAL_CONFIG; relative paths start at the repo."""
    path = Path(os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG).expanduser()
    return path if path.is_absolute() else REPO_ROOT / path


def read_portal_config() -> Config:
    """Load the portal config; raise SnapshotMissing when it is missing or invalid."""
    path = config_path()
    if not path.is_file():
        raise SnapshotMissing(t("snapshot.no_config", path=path))

    try:
        return load_config(path)
    except ConfigError as error:
        logger.warning("Portal config %s is invalid: %s", path, error)
        raise SnapshotMissing(t("snapshot.invalid_config", path=path, error=error)) from None


def locate_snapshot() -> Snapshot:
    """Resolve config -> current.duckdb -> snapshot file; raise SnapshotMissing if absent."""
    config = read_portal_config()
    path = config_path()
    link = config.warehouse_dir / SNAPSHOT_LINK
    target = link.resolve()
    if not target.is_file():
        raise SnapshotMissing(t("snapshot.no_snapshot", path=link, config=path))

    return Snapshot(
        path=target,
        mtime_ns=target.stat().st_mtime_ns,
        portal_name=config.portal_name,
        timezone=config.timezone,
    )


def require_snapshot() -> Snapshot:
    """Return the current snapshot, or show why there is none and stop the page."""
    try:
        return locate_snapshot()
    except SnapshotMissing as missing:
        st.info(str(missing))
        st.stop()
        raise  # Not reached, because st.stop() raises; it ends the branch for type checkers.


def _close(con: duckdb.DuckDBPyConnection) -> None:
    con.close()


@st.cache_resource(max_entries=4, on_release=_close, show_spinner=False)
def _connect(path: str, mtime_ns: int) -> duckdb.DuckDBPyConnection:
    """Open one read-only connection per snapshot file; mtime_ns is part of the cache key."""
    logger.info("Opening snapshot %s (mtime %s) read-only.", path, mtime_ns)
    return duckdb.connect(path, read_only=True)


@st.cache_data(max_entries=512, show_spinner=False)
def _cached_query(
    path: str,
    mtime_ns: int,
    viewer_key: tuple[str, str, str | None],
    name: str,
    params: tuple[tuple[str, Any], ...],
) -> pd.DataFrame:
    # The viewer is part of the cache key, so one user's rows are never served to another.
    viewer = Viewer(*viewer_key)
    return run_query(_connect(path, mtime_ns), name, dict(params), viewer=viewer)
