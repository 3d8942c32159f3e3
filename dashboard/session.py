"""The signed-in viewer of a browser session, as the query layer needs it.

app.py signs the user in (dashboard/auth.py) before any page runs and keeps the Viewer under
VIEWER_KEY. A query without a signed-in viewer stops the page and never runs as a default user.
"""

from __future__ import annotations

import streamlit as st

from queries.access import Viewer

VIEWER_KEY = "viewer"
# time.time() of the session's last rerun while signed in; idle expiry counts from it.
LAST_ACTIVE_KEY = "auth.last_active"


class NotSignedIn(RuntimeError):
    """A page or query ran in a session without a signed-in user."""


def current_viewer() -> Viewer:
    """Return the signed-in viewer after the idle and account checks; else stop the run.

    Outside a Streamlit run (no session to sign in to) it raises NotSignedIn.
    """
    if not st.runtime.exists():
        raise NotSignedIn("No Streamlit session, so nobody is signed in; pass a Viewer instead.")
    # Imported here because dashboard.auth imports this module.
    from dashboard.auth import verified_viewer

    return verified_viewer()


def signed_in_viewer() -> Viewer | None:
    """Return the session's viewer, or None when no user is signed in."""
    viewer = st.session_state.get(VIEWER_KEY)
    return viewer if isinstance(viewer, Viewer) else None
