"""The users command line, run as a real subprocess on a SQLite app database."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

import store
from store import users

REPO_ROOT = Path(__file__).resolve().parent.parent


def cli(*args: str, stdin: str = "", config: Path | None = None) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "dashboard.users"]
    if config is not None:
        command += ["--config", str(config)]
    return subprocess.run(
        [*command, *args], input=stdin, capture_output=True, text=True, cwd=REPO_ROOT, timeout=60
    )


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'app.db'}"


def test_add_list_set_role_disable(url):
    added = cli(
        "--database-url",
        url,
        "add",
        "wang",
        "--role",
        "sales_rep",
        "--staff-name",
        "王芳",
        "--password-stdin",
        stdin="first-pass-1\n",
    )
    assert added.returncode == 0, added.stderr
    assert added.stdout == "Added wang (sales_rep).\n"

    assert cli("--database-url", url, "set-role", "wang", "--role", "director").returncode == 0
    assert cli("--database-url", url, "disable", "wang").returncode == 0
    listing = cli("--database-url", url, "list")
    assert listing.stdout.splitlines() == [
        "username\trole\tstaff_name\tdisabled\tlocked_until",
        "wang\tdirector\t\tTrue\t",
    ]


def test_reset_password_clears_lock(url):
    cli(
        "--database-url",
        url,
        "add",
        "li",
        "--role",
        "admin",
        "--password-stdin",
        stdin="first-pass-1\n",
    )
    engine = store.engine_for(url)
    for _ in range(5):
        users.authenticate(engine, "li", "wrong", max_failures=5, lockout=users.dt.timedelta(1))
    assert users.get_user(engine, "li").locked_until is not None

    reset = cli(
        "--database-url", url, "reset-password", "li", "--password-stdin", stdin="second-pass-2\n"
    )
    assert reset.returncode == 0, reset.stderr
    user = users.get_user(engine, "li")
    assert user.locked_until is None
    result = users.authenticate(
        engine, "li", "second-pass-2", max_failures=5, lockout=users.dt.timedelta(1)
    )
    assert result.user is not None


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (
            ("add", "x", "--role", "sales_rep", "--password-stdin"),
            "long-enough-1\n",
            "Refused: Role sales_rep needs --staff-name for user 'x'",
        ),
        (
            ("add", "x", "--role", "admin", "--password-stdin"),
            "short\n",
            "Refused: The password has 5 characters; use at least 8.",
        ),
        (
            ("set-role", "ghost", "--role", "admin"),
            "",
            "Refused: No user 'ghost'; list the users with the `list` command.",
        ),
        (("disable", "ghost"), "", "Refused: No user 'ghost'"),
    ],
)
def test_refusals_exit_1(url, args, stdin, message):
    result = cli("--database-url", url, *args, stdin=stdin)
    assert result.returncode == 1
    assert result.stderr.startswith(message)


def test_duplicate_user_refused(url):
    first = cli(
        "--database-url",
        url,
        "add",
        "a",
        "--role",
        "admin",
        "--password-stdin",
        stdin="long-enough-1\n",
    )
    assert first.returncode == 0
    again = cli(
        "--database-url",
        url,
        "add",
        "a",
        "--role",
        "admin",
        "--password-stdin",
        stdin="long-enough-1\n",
    )
    assert again.returncode == 1
    assert "already exists" in again.stderr


def test_unknown_role_is_usage_error(url):
    result = cli("--database-url", url, "add", "a", "--role", "boss")
    assert result.returncode == 2
    assert "invalid choice: 'boss'" in result.stderr


def test_password_never_stored_or_printed(url):
    result = cli(
        "--database-url",
        url,
        "add",
        "a",
        "--role",
        "admin",
        "--password-stdin",
        stdin="visible-secret-9\n",
    )
    assert "visible-secret-9" not in result.stdout + result.stderr
    with store.engine_for(url).connect() as con:
        dump = "\n".join(str(row) for row in con.execute(sa.select(users.users)))
    assert "visible-secret-9" not in dump


def test_demo_users_need_demo_config(published):
    result = cli("demo", config=published.config)
    assert result.returncode == 1
    assert "only for a config with auth.demo = true" in result.stderr


def test_demo_users_one_per_role(published):
    with published.config.open("a", encoding="utf-8") as handle:
        handle.write("\n[auth]\ndemo = true\n")
    result = cli("demo", config=published.config)
    assert result.returncode == 0, result.stderr
    engine = store.engine_for(f"sqlite:///{published.config.parent / 'app.db'}")
    # Fixture: 张伟, 李娜 and 王芳 own 2, 2 and 3 members (王芳: 5, 6 and former 7), so 王芳
    # has the most; every member's after-sales owner is 赵敏.
    assert [(u.username, u.role, u.staff_name) for u in users.list_users(engine)] == [
        ("admin", "admin", None),
        ("director", "director", None),
        ("executive", "executive", None),
        ("sales", "sales_rep", "王芳"),
        ("service", "after_sales", "赵敏"),
    ]
    # Running it again resets them without error.
    assert cli("demo", config=published.config).returncode == 0


def add_admin(url: str, name: str) -> None:
    result = cli(
        "--database-url",
        url,
        "add",
        name,
        "--role",
        "admin",
        "--password-stdin",
        stdin="long-enough-1\n",
    )
    assert result.returncode == 0, result.stderr


LAST_ADMIN = (
    "Refused: User 'li' is the last active admin, so this change would leave nobody who can "
    "manage users. Make another user admin first.\n"
)


@pytest.mark.parametrize("args", [("set-role", "li", "--role", "director"), ("disable", "li")])
def test_last_admin_kept(url, args):
    add_admin(url, "li")

    result = cli("--database-url", url, *args)

    assert result.returncode == 1
    assert result.stderr == LAST_ADMIN
    user = users.get_user(store.engine_for(url), "li")
    assert (user.role, user.disabled) == ("admin", False)


def test_second_admin_may_step_down(url):
    add_admin(url, "li")
    add_admin(url, "zhao")

    # Two active admins: one may become director, then the other is the last one.
    assert cli("--database-url", url, "set-role", "zhao", "--role", "director").returncode == 0
    assert cli("--database-url", url, "disable", "li").stderr == LAST_ADMIN
    # A disabled admin does not count: with zhao back as admin and li disabled, zhao is last.
    assert cli("--database-url", url, "set-role", "zhao", "--role", "admin").returncode == 0
    assert cli("--database-url", url, "disable", "li").returncode == 0
    assert cli("--database-url", url, "disable", "zhao").stderr.startswith(
        "Refused: User 'zhao' is the last active admin"
    )


def add_rep(url: str, staff_name: str, config: Path | None = None):
    args = ["--database-url", url] if url else []
    return cli(
        *args,
        "add",
        "zheng",
        "--role",
        "sales_rep",
        "--staff-name",
        staff_name,
        "--password-stdin",
        stdin="long-enough-1\n",
        config=config,
    )


def test_staff_name_trimmed(url):
    result = add_rep(url, " 郑博 ")

    assert result.returncode == 0, result.stderr
    assert users.get_user(store.engine_for(url), "zheng").staff_name == "郑博"


@pytest.mark.parametrize(
    "staff_name", ["张" * 51, "郑\n博", "张" * 5000], ids=["51_chars", "newline", "5000_chars"]
)
def test_bad_staff_name_refused(url, staff_name):
    result = add_rep(url, staff_name)

    assert result.returncode == 1
    assert "is not allowed; use at most 50 printable characters" in result.stderr
    assert users.get_user(store.engine_for(url), "zheng") is None


def test_staff_name_of_50_accepted(url):
    assert add_rep(url, "张" * 50).returncode == 0


def test_unknown_staff_name_warns(published):
    """郑博 is nobody's sales rep in the fixture snapshot; 张伟 owns members 1 and 3."""
    snapshot = published.config.parent / "warehouse" / "current.duckdb"

    result = add_rep("", " 郑博 ", config=published.config)

    assert result.returncode == 0, result.stderr
    assert result.stdout == "Added zheng (sales_rep).\n"
    assert result.stderr == (
        f"Warning: no member in the published snapshot {snapshot} has sales_rep = '郑博', "
        "so zheng sees no members. Check the spelling against the portal data.\n"
    )
    known = cli(
        "set-role",
        "zheng",
        "--role",
        "sales_rep",
        "--staff-name",
        "张伟",
        config=published.config,
    )
    assert known.returncode == 0, known.stderr
    assert known.stderr == ""
