"""Hostile input through every filter: quotes, SQL fragments, very long strings.

Every query parameter, every page's URL parameters and the login form get each value in
HOSTILE; the result must be an ordinary answer (usually no rows) or a clear message, and
the data must be intact afterwards. Secrets: a password in a database URL never reaches the
output of a failed load.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from signin import TEST_PASSWORD, app_engine, ensure_user, sign_in
from streamlit.testing.v1 import AppTest
from tiny_portal import write_portal

from dashboard.navigation import PAGES
from etl.load import run_load
from queries import query_names, run_query
from queries.access import Viewer
from store import users

REPO_ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 60
HOSTILE = [
    "'",
    '"',
    "' OR '1'='1",
    "1' OR 1=1 --",
    "1; DROP TABLE members; --",
    "'); DELETE FROM users; --",
    "\\",
    "%",
    "_%",
    "$member_id",
    "{member}",
    "?",
    "中文' OR 1=1",
    "x" * 100_000,
]
# Ordinary parameter values; each test replaces one parameter at a time with a hostile value.
ORDINARY = {"member_id": 1, "max_rows": 10, "days": 30, "months": 12}
# What a numeric parameter may answer to text: DuckDB's conversion error, which names the
# value, never a changed database.
CONVERSION_ERRORS = (duckdb.ConversionException, duckdb.InvalidInputException)


def query_parameters(name: str) -> set[str]:
    sql = (REPO_ROOT / "queries" / f"{name}.sql").read_text(encoding="utf-8")
    return set(re.findall(r"\$([a-z_]+)", sql))


def test_queries_take_no_text_formatting():
    """SQL files hold only $name parameters: no Python format fields or %s to fill in."""
    for name in query_names():
        sql = (REPO_ROOT / "queries" / f"{name}.sql").read_text(encoding="utf-8")
        code = "\n".join(line.split("--", 1)[0] for line in sql.splitlines())
        assert not re.search(r"\{[a-z_]*\}|%s|%\(", code), name


@pytest.fixture(scope="module")
def loaded_snapshot(tmp_path_factory) -> Path:
    """A real load of the tiny portal: every published table, those of other modules too."""
    portal = write_portal(tmp_path_factory.mktemp("injection") / "portal")
    return run_load(portal, progress=False).snapshot


@pytest.mark.parametrize("name", sorted(query_names()))
def test_every_query_parameter_bound(loaded_snapshot, name):
    params = query_parameters(name)
    con = duckdb.connect(str(loaded_snapshot), read_only=True)
    viewer = Viewer("director", "director")
    try:
        members_before = con.execute("select count(*) from members").fetchone()[0]
        for param in sorted(params):
            for value in HOSTILE:
                bound = {p: ORDINARY.get(p) for p in params}
                bound[param] = value
                try:
                    frame = run_query(con, name, bound, viewer=viewer)
                except CONVERSION_ERRORS as error:
                    assert param in ORDINARY or "onver" in str(error), (name, param, error)
                    continue
                # A text filter with a value no row has matches nothing, or is ignored.
                assert len(frame) <= members_before * 10_000
        assert con.execute("select count(*) from members").fetchone()[0] == members_before
    finally:
        con.close()


@pytest.mark.parametrize("page", PAGES, ids=lambda spec: spec.url_path)
def test_pages_with_hostile_url_parameters(published, page):
    """Every page, opened with hostile URL parameters, runs without a traceback."""
    for value in [*HOSTILE[:-1], "x" * 5_000]:
        at = sign_in(AppTest.from_file(REPO_ROOT / "app.py", default_timeout=TIMEOUT), "admin")
        at.run()
        at.query_params.update({"member": value, "segment": value, "rep": value, "q": value})
        at.switch_page(page.file).run()
        assert not at.exception, (page.file, value[:40], [e.value for e in at.exception])


def test_detail_page_hostile_member(published):
    at = sign_in(AppTest.from_file(REPO_ROOT / "app.py", default_timeout=TIMEOUT)).run()
    at.query_params["member"] = "1 OR 1=1"
    at.switch_page("views/member_detail.py").run()
    assert at.warning[0].value == (
        "会员 1 OR 1=1 不在您可查看的付费会员中，下面显示的是列表中的第一个会员。"
    )


@pytest.mark.parametrize("value", HOSTILE)
def test_login_form_hostile_input(published, value):
    ensure_user("director")
    at = AppTest.from_file(REPO_ROOT / "app.py", default_timeout=TIMEOUT).run()
    at.text_input(key="auth.username").input(value)
    at.text_input(key="auth.password").input(value)
    at.button[0].click().run()
    assert not at.exception
    assert [error.value for error in at.error] == [
        "登录失败：用户名或密码不正确，或账号已锁定或停用。"
        "连续输错 5 次密码后账号锁定 15 分钟；需要帮助请联系管理员。"
    ]
    assert [u.username for u in users.list_users(app_engine())] == ["director"]
    assert users.get_user(app_engine(), "director").failed_logins == 0


def test_hostile_password_round_trip(published):
    """A password full of quotes and SQL works as a password, nothing more."""
    engine = app_engine()
    password = '\'; DROP TABLE users; -- "x"'
    users.add_user(engine, "odd", password, "admin")
    result = users.authenticate(
        engine, "odd", password, max_failures=5, lockout=users.dt.timedelta(1)
    )
    assert result.user is not None
    assert (
        users.authenticate(
            engine, "odd", TEST_PASSWORD, max_failures=5, lockout=users.dt.timedelta(1)
        ).reason
        == "bad_credentials"
    )


def test_password_in_url_never_printed(tmp_path):
    """A failing load names the database with the password masked, in every output."""
    portal = write_portal(tmp_path / "portal")
    secret = "S3cret-Pa55"
    env = {
        **os.environ,
        "PORTAL_DATABASE_URL": f"postgresql+psycopg2://report:{secret}@127.0.0.1:9/portal",
    }
    result = subprocess.run(
        [sys.executable, "-m", "etl", "load", "--config", str(portal), "--no-progress"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1
    assert secret not in result.stdout + result.stderr
    assert "report:***@127.0.0.1:9/portal" in result.stderr
