"""Imports every table module, so that `store.metadata` knows all tables.

A new table module under store/ adds its import here.
"""

from store import actions, audit, users  # noqa: F401  (imported for their tables)
