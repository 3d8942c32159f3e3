"""Logging of the dashboard's packages, and the shortening of user values in messages."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from signin import ensure_user
from streamlit.testing.v1 import AppTest

from dashboard.logs import HANDLER_NAME, PACKAGES, configure_logging, shorten
from dashboard.members import requested_member

REPO_ROOT = Path(__file__).resolve().parent.parent
APP = REPO_ROOT / "app.py"
TIMEOUT = 60
WRONG_PASSWORD = "wrong-password-7391"


@pytest.fixture
def unconfigured():
    """Remove this module's handlers and levels, as in a new process, and again afterwards."""

    def reset() -> None:
        for package in PACKAGES:
            logger = logging.getLogger(package)
            logger.setLevel(logging.NOTSET)
            for handler in [h for h in logger.handlers if h.get_name() == HANDLER_NAME]:
                logger.removeHandler(handler)

    reset()
    yield
    reset()


def own_handlers(package: str) -> list[logging.Handler]:
    return [h for h in logging.getLogger(package).handlers if h.get_name() == HANDLER_NAME]


def test_failed_login_logged(published, unconfigured, caplog):
    ensure_user("director")
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.text_input(key="auth.username").input("director")
    at.text_input(key="auth.password").input(WRONG_PASSWORD)
    at.button[0].click()
    at.run()

    records = [
        r for r in caplog.records if r.name == "dashboard.auth" and r.levelno == logging.INFO
    ]
    assert len(records) == 1
    assert "director" in records[0].getMessage()
    for record in caplog.records:
        assert WRONG_PASSWORD not in record.getMessage()


def test_reruns_add_no_handler(published, unconfigured):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.run()
    at.run()

    for package in PACKAGES:
        assert len(own_handlers(package)) == 1, package
        assert logging.getLogger(package).level == logging.INFO, package


def test_log_line_has_time_level_name(unconfigured):
    configure_logging()
    record = logging.getLogger("dashboard.auth").makeRecord(
        "dashboard.auth", logging.INFO, __file__, 1, "User %s signed out.", ("li",), None
    )

    line = own_handlers("dashboard")[0].format(record)

    assert re.fullmatch(
        r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3} INFO dashboard.auth: User li signed out\.",
        line,
    )


def test_shorten_long_value():
    # 39 characters of the value and the ellipsis make 40.
    assert shorten("9" * 5000) == "9" * 39 + "…"
    assert len(shorten("9" * 5000)) == 40
    assert shorten("9" * 40) == "9" * 40
    assert shorten("abc", max_chars=2) == "a…"
    assert shorten(12345) == "12345"


def test_member_parameter_log_shortened(unconfigured, caplog):
    configure_logging()
    value = "x" * 5000

    assert requested_member(value) is None

    messages = [r.getMessage() for r in caplog.records if r.name == "dashboard.members"]
    # %r quotes the shortened value: 39 x, the ellipsis and two quotes.
    assert messages == [f"Ignoring query parameter member='{'x' * 39}…': not a member id."]
