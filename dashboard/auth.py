"""Login, idle expiry and logout for the dashboard; app.py calls `require_viewer` first.

Until a user signs in, the app shows only the login form: no page runs and no query is made.
On every rerun the signed-in user's row is read again, so a disabled account or a changed
role takes effect at the user's next click, and a session idle for longer than
auth.session_idle_minutes must sign in again.

The app database URL comes from Streamlit secrets (APP_DATABASE_URL) when set, else from the
environment variable of the same name, else from the config's app.database_url. It is never
shown or logged with its password.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

import store
from dashboard.navigation import LinkTarget, link_target, page_for_link, page_title_key
from dashboard.session import LAST_ACTIVE_KEY, VIEWER_KEY, signed_in_viewer
from dashboard.snapshot import SnapshotMissing, read_portal_config
from dashboard.users import DEMO_PASSWORD, config_value
from etl.config import ENV_APP_DATABASE_URL
from etl.errors import DatabaseUrlError
from etl.portal_db import database_setting, masked_url, redact_url_secrets
from i18n import t
from queries.access import Viewer
from store import users

logger = logging.getLogger(__name__)

# A sentence for the login form after the app signed the user out (catalog key).
SIGNED_OUT_REASON_KEY = "auth.signed_out_reason"
# The LinkTarget of the URL a signed-out user opened, followed once after login.
LINK_TARGET_KEY = "auth.link_target"


@dataclass(frozen=True)
class AuthSettings:
    database_url: str
    demo: bool
    idle_seconds: int
    max_failures: int
    lockout: dt.timedelta
    # Where database_url came from: the config key or the secret / environment variable.
    database_setting: str = "app.database_url"

    def engine(self) -> sa.Engine:
        return store.engine_for(self.database_url, self.database_setting)


def auth_settings() -> AuthSettings:
    """Read the login settings from the portal config; raise SnapshotMissing without one."""
    config = read_portal_config()
    secret_url = _secret(ENV_APP_DATABASE_URL)
    return AuthSettings(
        database_url=secret_url or config.app_database_url,
        database_setting=(
            f"{ENV_APP_DATABASE_URL} (Streamlit secret)"
            if secret_url
            else database_setting("app.database_url", ENV_APP_DATABASE_URL)
        ),
        demo=config_value(config, "auth.demo") is True,
        idle_seconds=60 * config_value(config, "auth.session_idle_minutes"),
        max_failures=max(1, config_value(config, "auth.max_failed_logins")),
        lockout=dt.timedelta(minutes=config_value(config, "auth.lockout_minutes")),
    )


def require_viewer() -> Viewer:
    """Return the signed-in viewer, or show the login form and stop the run (app.py)."""
    settings = _settings_or_stop()
    viewer = _session_viewer(settings)
    if viewer is None:
        remember_link()
        login_form(settings)
        st.stop()
    _account_box(viewer)
    return viewer


def remember_link() -> None:
    """Keep the page and query of the URL a signed-out user opened, for `follow_link`."""
    target = link_target(st.context.url, st.query_params.to_dict())
    if target is None:
        st.session_state.pop(LINK_TARGET_KEY, None)
    else:
        st.session_state[LINK_TARGET_KEY] = target


def follow_link(viewer: Viewer, pages: Mapping[str, Any]) -> None:
    """Switch to the page a link named before login, if the viewer's role may open it.

    `pages` maps each url_path to its st.Page; call this after st.navigation and before
    running the page. A page the role may not open leaves the user on the page Streamlit
    chose (the default page) with a warning that names the linked page.
    """
    target = st.session_state.pop(LINK_TARGET_KEY, None)
    if not isinstance(target, LinkTarget):
        return

    spec = page_for_link(target, viewer.role)
    if spec is None:
        logger.info(
            "User %s (role %s) followed a link to page %s, which the role may not open.",
            viewer.username,
            viewer.role,
            target.url_path,
        )
        st.warning(t("auth.link_not_allowed", page=t(page_title_key(target.url_path))))
        return
    st.switch_page(pages[spec.url_path], query_params=target.query)


def verified_viewer() -> Viewer:
    """Return the signed-in viewer after the idle and account checks, else stop the run.

    Every query asks for its viewer through here (dashboard.session.current_viewer), so the
    checks hold even when a page file runs without app.py, as AppTest does on every rerun
    and as Streamlit would for a `pages/` folder beside app.py (page files live in views/).
    """
    settings = _settings_or_stop()
    viewer = _session_viewer(settings)
    if viewer is None:
        reason = st.session_state.get(SIGNED_OUT_REASON_KEY) or "auth.sign_in_first"
        st.warning(t(reason))
        st.stop()
    return viewer


def _settings_or_stop() -> AuthSettings:
    """Return the login settings once the app database opens; else show why and stop the run."""
    try:
        settings = auth_settings()
    except SnapshotMissing as missing:
        st.info(str(missing))
        st.stop()
        raise  # Not reached, because st.stop() raises; it ends the branch for type checkers.

    try:
        settings.engine()
    except DatabaseUrlError as error:
        # The message shows the URL masked; the page names only the setting.
        logger.error("App database setting is invalid: %s", error)
        _stop_for_app_database(settings)
    except SQLAlchemyError as error:
        reason = redact_url_secrets(str(error).splitlines()[0], settings.database_url)
        logger.error(
            "App database %s (%s) cannot be used: %s: %s",
            masked_url(settings.database_url),
            settings.database_setting,
            error.__class__.__name__,
            reason,
        )
        _stop_for_app_database(settings)
    return settings


def _stop_for_app_database(settings: AuthSettings) -> None:
    # Only the name, e.g. APP_DATABASE_URL: "(environment variable)" is not in the catalogs.
    name = settings.database_setting.split(" ", 1)[0]
    st.error(t("auth.app_database_failed", setting=name))
    st.stop()


def sign_in(viewer: Viewer) -> None:
    st.session_state[VIEWER_KEY] = viewer
    st.session_state[LAST_ACTIVE_KEY] = time.time()
    st.session_state.pop(SIGNED_OUT_REASON_KEY, None)


def sign_out(reason_key: str | None = None) -> None:
    """Forget the session's viewer; `reason_key` is shown above the login form."""
    viewer = signed_in_viewer()
    if viewer is not None:
        logger.info("User %s signed out (%s).", viewer.username, reason_key or "logout")
    st.session_state.pop(VIEWER_KEY, None)
    st.session_state.pop(LAST_ACTIVE_KEY, None)
    if reason_key:
        st.session_state[SIGNED_OUT_REASON_KEY] = reason_key


def _session_viewer(settings: AuthSettings) -> Viewer | None:
    """The viewer of this session after the idle and account checks, else None."""
    viewer = signed_in_viewer()
    if viewer is None:
        return None

    last_active = st.session_state.get(LAST_ACTIVE_KEY)
    now = time.time()
    if not isinstance(last_active, int | float) or now - last_active > settings.idle_seconds:
        sign_out("auth.expired")
        return None

    user = users.get_user(settings.engine(), viewer.username)
    if user is None or user.disabled:
        sign_out("auth.access_ended")
        return None

    current = user.viewer()
    if current != viewer:
        logger.info("User %s now has role %s.", user.username, user.role)
    st.session_state[VIEWER_KEY] = current
    st.session_state[LAST_ACTIVE_KEY] = now
    return current


def login_form(settings: AuthSettings) -> None:
    """Show the login form and, for the demo, the demo users; sign in on a valid submit."""
    st.title(t("auth.title"))
    reason = st.session_state.get(SIGNED_OUT_REASON_KEY)
    if reason:
        st.warning(t(reason))
    if settings.demo:
        _demo_notice(settings)

    with st.form("auth.login"):
        username = st.text_input(t("auth.username"), key="auth.username")
        password = st.text_input(t("auth.password"), type="password", key="auth.password")
        submitted = st.form_submit_button(t("auth.submit"))
    if not submitted:
        return

    result = users.authenticate(
        settings.engine(),
        username,
        password,
        max_failures=settings.max_failures,
        lockout=settings.lockout,
    )
    if result.user is None:
        # One message for every failure, so the form does not reveal which user names exist
        # or are locked or disabled. Operators find the reason in the log.
        logger.info("Login failed for user name %r: %s", username, result.reason)
        minutes = max(1, round(settings.lockout.total_seconds() / 60))
        st.error(t("auth.failed.any", attempts=settings.max_failures, minutes=minutes))
        return
    sign_in(result.user.viewer())
    st.rerun()


def _demo_notice(settings: AuthSettings) -> None:
    lines = [t("auth.demo_notice", password=DEMO_PASSWORD)]
    for user in users.list_users(settings.engine()):
        role = t(f"role.{user.role}")
        staff = f" ({user.staff_name})" if user.staff_name else ""
        lines.append(f"- `{user.username}`: {role}{staff}")
    st.info("\n".join(lines))


def _account_box(viewer: Viewer) -> None:
    with st.sidebar:
        staff = f" ({viewer.staff_name})" if viewer.staff_name else ""
        st.caption(
            t("auth.signed_in_as", user=viewer.username, role=t(f"role.{viewer.role}")) + staff
        )
        st.button(t("auth.logout"), key="auth.logout", on_click=sign_out)


def _secret(name: str) -> str | None:
    """Return Streamlit secret `name` when a secrets file sets it, else None."""
    try:
        value = st.secrets.get(name)
    except FileNotFoundError:
        return None
    return value if isinstance(value, str) and value else None
