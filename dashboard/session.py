"""Who is using this browser session, as the query layer needs to know."""

from __future__ import annotations

import streamlit as st

from queries.access import Viewer

VIEWER_KEY = "viewer"

# NOTE: there is no login yet, so a session without a signed-in viewer runs as this local
# demo director, who sees every member; the page header says the dashboard is a local demo.
LOCAL_DEMO_VIEWER = Viewer(username="local-demo", role="director")


def current_viewer() -> Viewer:
    """Return the signed-in viewer of this session, or the local demo viewer."""
    viewer = st.session_state.get(VIEWER_KEY)
    return viewer if isinstance(viewer, Viewer) else LOCAL_DEMO_VIEWER
