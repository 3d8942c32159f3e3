"""The dashboard's own read-write database, reached through SQLAlchemy.

It contains what staff create (users, follow-up actions, the export audit), never data derived
from a load, so it survives reloads and is backed up apart from the warehouse. SQLite by
default (`app.database_url`); any SQLAlchemy server database by URL. Each table module
under store/ defines its tables on the shared `metadata`.
"""

from __future__ import annotations

import logging
from functools import cache

import sqlalchemy as sa

from etl.portal_db import create_database_engine, masked_url

logger = logging.getLogger(__name__)

metadata = sa.MetaData()


@cache
def engine_for(url: str, setting: str = "app.database_url") -> sa.Engine:
    """Return the engine for `url`, creating any missing tables once per process.

    Raises DatabaseUrlError naming `setting` (where the URL came from) for an invalid URL or a
    missing driver, and SQLAlchemyError when the database cannot be reached.
    """
    # Import the table modules so that their tables are on `metadata` before create_all.
    from store import tables  # noqa: F401  (imported for its side effect)

    engine = create_database_engine(url, setting)
    metadata.create_all(engine)
    logger.info("App database ready: %s", masked_url(url))
    return engine
