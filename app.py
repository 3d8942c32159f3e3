"""Streamlit entry point: the language switch and the navigation between pages."""

import streamlit as st

from i18n import DEFAULT_LANGUAGE, LANGUAGE_KEY, LANGUAGES, t

st.set_page_config(layout="wide")

if LANGUAGE_KEY not in st.session_state:
    st.session_state[LANGUAGE_KEY] = DEFAULT_LANGUAGE
language_names = {code: t(f"language.{code}") for code in LANGUAGES}
st.sidebar.selectbox(
    t("app.language"), LANGUAGES, key=LANGUAGE_KEY, format_func=language_names.__getitem__
)

pages = [
    st.Page(
        "pages/member_health.py",
        title=t("page.health.title"),
        url_path="member_health",
        default=True,
    ),
    st.Page("pages/member_detail.py", title=t("page.detail.title"), url_path="member_detail"),
    st.Page("pages/data_status.py", title=t("page.status.title"), url_path="data_status"),
]
st.navigation(pages).run()
