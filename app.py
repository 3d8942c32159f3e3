"""Streamlit entry point: the language switch, the login and the navigation between pages.

No page runs before login: require_viewer shows only the login form until a user signs in,
and the navigation offers only the pages in dashboard/navigation.py PAGES that the role may
open, so a page added there is covered without further code. A link opened before login
(/member_detail?member=3) leads to its page once the user has signed in, when the role may
open that page.
"""

import streamlit as st

from dashboard.auth import follow_link, require_viewer
from dashboard.logs import configure_logging
from dashboard.navigation import pages_for
from i18n import DEFAULT_LANGUAGE, LANGUAGE_KEY, LANGUAGES, t

configure_logging()
st.set_page_config(layout="wide")

if LANGUAGE_KEY not in st.session_state:
    st.session_state[LANGUAGE_KEY] = DEFAULT_LANGUAGE
language_names = {code: t(f"language.{code}") for code in LANGUAGES}
st.sidebar.selectbox(
    t("app.language"), LANGUAGES, key=LANGUAGE_KEY, format_func=language_names.__getitem__
)

viewer = require_viewer()
pages = {
    spec.url_path: st.Page(
        spec.file, title=t(spec.title_key), url_path=spec.url_path, default=spec.default
    )
    for spec in pages_for(viewer.role)
}
page = st.navigation(list(pages.values()))
follow_link(viewer, pages)
page.run()
