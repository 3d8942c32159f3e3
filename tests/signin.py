"""Sign an AppTest session in as a real user of the fixture's app database.

The user is created in the app database of the portal config (app.database_url, by default
app.db next to the config) and the session holds their Viewer, exactly as after a login, so
the per-rerun account check in dashboard/auth.py passes without the login form.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

import store
from dashboard.session import LAST_ACTIVE_KEY, VIEWER_KEY
from etl.config import load_config
from store import users

TEST_PASSWORD = "test-password-1"


def app_engine(config: Path | None = None):
    """The app database engine of `config` (default: $PORTAL_CONFIG)."""
    path = config or Path(os.environ["PORTAL_CONFIG"])
    return store.engine_for(load_config(path).app_database_url)


def ensure_user(
    role: str,
    staff_name: str | None = None,
    username: str | None = None,
    config: Path | None = None,
) -> users.User:
    """Create the user if missing (name defaults to the role) and return it."""
    engine = app_engine(config)
    name = username or role
    user = users.get_user(engine, name)
    if user is None:
        user = users.add_user(engine, name, TEST_PASSWORD, role, staff_name)
    return user


def sign_in(
    at: AppTest,
    role: str = "director",
    staff_name: str | None = None,
    username: str | None = None,
) -> AppTest:
    """Put a signed-in viewer of `role` into the session of `at` (not yet run)."""
    user = ensure_user(role, staff_name, username)
    at.session_state[VIEWER_KEY] = user.viewer()
    at.session_state[LAST_ACTIVE_KEY] = time.time()
    return at
