"""Database URLs with passwords: masked in every log line, message and page, valid or not.

Each URL below is run through the load command, the users command and the login page, as
real subprocesses or AppTest runs, and their whole output must not contain its password.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from tiny_portal import write_portal

import store
from etl.errors import DatabaseUrlError
from etl.portal_db import (
    create_database_engine,
    masked_url,
    parse_database_url,
    redact_url_secrets,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 60

# (URL, password, masked URL), derived by hand from the masking rules. The userinfo password
# runs from the first ':' after '://' to the last '@'. Without '@', a port that is not a
# number hides the rest. Secret-like query values are hidden, and text without '://' whole.
MASKING_CASES = [
    # No '@', so SQLAlchemy reads the password as a port: "S3cretAPP" is not a number.
    ("postgresql://app:S3cretAPP/appdb", "S3cretAPP", "postgresql://app:***"),
    ("mysql+pymysql://report:S3cretPW9/portal", "S3cretPW9", "mysql+pymysql://report:***"),
    # An unencoded '@' inside the password: everything up to the last '@' is hidden.
    (
        "mysql+pymysql://report:S3cret@PW10@127.0.0.1/portal",
        "S3cret@PW10",
        "mysql+pymysql://report:***@127.0.0.1/portal",
    ),
    (
        "sqlite:////srv/portal.db?password=S3cretPW5",
        "S3cretPW5",
        "sqlite:////srv/portal.db?password=***",
    ),
    (
        "postgresql://etl@db:5432/portal?sslmode=require&PassWord=S3cretQ&api_token=T0ken9",
        "S3cretQ",
        "postgresql://etl@db:5432/portal?sslmode=require&PassWord=***&api_token=***",
    ),
    # A password that contains '/' and '?' still ends at the last '@'.
    ("postgresql://u:pa/ss?wd@db/portal", "pa/ss?wd", "postgresql://u:***@db/portal"),
    # A six-digit "port" is above 65535, so it cannot be a port and is hidden.
    ("postgresql://u:123456/portal", "123456", "postgresql://u:***"),
    ("S3cretOnly", "S3cretOnly", "***"),
]

# URLs that SQLAlchemy cannot use safely, each with its password.
MALFORMED_URLS = [
    ("postgresql://app:S3cretAPP/appdb", "S3cretAPP"),
    ("mysql+pymysql://report:S3cretPW9/portal", "S3cretPW9"),
    ("mysql+pymysql://report:S3cret@PW10@127.0.0.1/portal", "PW10"),
]


@pytest.mark.parametrize(("url", "password", "expected"), MASKING_CASES)
def test_masked_url_cases(url, password, expected):
    masked = masked_url(url)

    assert masked == expected
    assert password not in masked


@pytest.mark.parametrize("url", ["sqlite:///relative.db", "sqlite://", "duckdb:///:memory:"])
def test_masked_url_keeps_plain_urls(url):
    assert masked_url(url) == url


def test_masked_url_never_raises():
    assert masked_url(None) == "***"
    assert masked_url("mysql://u:p@") == "mysql://u:***@"
    assert masked_url("://:@?password=") == "://:***@?password=***"


def test_redact_decoded_password():
    url = "postgresql://etl:pa%40ss@db/portal?token=abc123"
    message = "auth failed for etl with pa@ss and pa%40ss, token abc123"

    assert redact_url_secrets(message, url) == "auth failed for etl with *** and ***, token ***"


@pytest.mark.parametrize(("url", "password"), MALFORMED_URLS)
def test_parse_error_names_setting(url, password):
    with pytest.raises(DatabaseUrlError) as info:
        parse_database_url(url, "APP_DATABASE_URL (environment variable)")

    message = str(info.value)
    assert message.startswith("APP_DATABASE_URL (environment variable) is not a valid SQLAlchemy")
    assert password not in message
    assert "\n" not in message
    # No chained exception carries the raw value into a printed traceback.
    assert info.value.__cause__ is None
    assert info.value.__suppress_context__


def test_unknown_dialect_names_setting():
    with pytest.raises(DatabaseUrlError, match=r"^database\.url \(config file\): the URL nosuch"):
        create_database_engine("nosuch://etl:S3cret7@db/portal", "database.url (config file)")


# --- python -m etl load ------------------------------------------------------------------


def run_load(config: Path, url: str, env_var: str = "PORTAL_DATABASE_URL"):
    env = {**os.environ, env_var: url}
    return subprocess.run(
        [sys.executable, "-m", "etl", "load", "--config", str(config), "--no-progress"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.parametrize(("url", "password"), MALFORMED_URLS)
@pytest.mark.parametrize("env_var", ["PORTAL_DATABASE_URL", "APP_DATABASE_URL"])
def test_load_rejects_malformed_url(tmp_path, url, password, env_var):
    config = write_portal(tmp_path / "portal")

    result = run_load(config, url, env_var)

    output = result.stdout + result.stderr
    assert result.returncode == 1
    assert password not in output
    assert "Traceback" not in output
    assert f"{env_var} (environment variable) is not a valid SQLAlchemy URL" in result.stderr
    # One log line: the failure, its message and the fix.
    assert len(result.stderr.strip().splitlines()) == 1


def test_load_masks_query_password(tmp_path):
    config = write_portal(tmp_path / "portal")
    url = f"sqlite:///{config.parent / 'portal.db'}?password=S3cretPW5"

    result = run_load(config, url)

    output = result.stdout + result.stderr
    assert result.returncode == 0, result.stderr
    assert "S3cretPW5" not in output
    assert f"database sqlite:///{config.parent / 'portal.db'}?password=***" in result.stderr


# --- python -m dashboard.users -----------------------------------------------------------


def run_users(config: Path, url: str):
    return subprocess.run(
        [sys.executable, "-m", "dashboard.users", "--config", str(config), "list"],
        cwd=REPO_ROOT,
        env={**os.environ, "APP_DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(("url", "password"), MALFORMED_URLS)
def test_users_cli_rejects_malformed_url(tmp_path, url, password):
    config = write_portal(tmp_path / "portal")

    result = run_users(config, url)

    assert result.returncode == 1
    assert password not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith(
        "Refused: APP_DATABASE_URL (environment variable) is not a valid SQLAlchemy URL: "
    )


# --- the login page ----------------------------------------------------------------------


def page_texts(at: AppTest) -> list[str]:
    """Every text element of the run, exceptions included."""
    elements = [*at.title, *at.error, *at.warning, *at.info, *at.markdown, *at.caption]
    return [str(element.value) for element in elements] + [str(e.value) for e in at.exception]


@pytest.mark.parametrize(("url", "password"), MALFORMED_URLS)
def test_login_page_hides_malformed_url(published, monkeypatch, caplog, url, password):
    monkeypatch.setenv("APP_DATABASE_URL", url)
    caplog.set_level(logging.INFO)

    at = AppTest.from_file(REPO_ROOT / "app.py", default_timeout=TIMEOUT).run()

    assert not at.exception
    # t() escapes Markdown in values, so the underscores arrive as \_.
    assert [error.value for error in at.error] == [
        "应用数据库设置（APP\\_DATABASE\\_URL）无效或无法连接，暂时无法登录。"
        "运维人员可在服务器日志中查看详情。"
    ]
    assert not at.text_input
    assert all(password not in text for text in page_texts(at))
    assert password not in caplog.text
    assert "APP_DATABASE_URL (environment variable) is not a valid SQLAlchemy URL" in caplog.text


def test_login_page_logs_query_password_masked(published, monkeypatch, caplog):
    app_db = published.config.parent / "app-secret.db"
    monkeypatch.setenv("APP_DATABASE_URL", f"sqlite:///{app_db}?password=S3cretPW5")
    store.engine_for.cache_clear()
    caplog.set_level(logging.INFO)

    at = AppTest.from_file(REPO_ROOT / "app.py", default_timeout=TIMEOUT).run()

    assert not at.exception
    assert [title.value for title in at.title] == ["登录"]
    assert "S3cretPW5" not in caplog.text
    assert f"App database ready: sqlite:///{app_db}?password=***" in caplog.text


def test_streamlit_hides_error_details():
    config = (REPO_ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8")

    assert 'showErrorDetails = "none"' in config.splitlines()
