"""Login through app.py with AppTest on the fixture snapshot and a real SQLite app database."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest
from signin import TEST_PASSWORD, app_engine, ensure_user, sign_in
from streamlit.testing.v1 import AppTest

from dashboard.navigation import PAGES
from dashboard.session import LAST_ACTIVE_KEY, VIEWER_KEY
from store import users

# The one login failure message, with the defaults of 5 failures and 15 minutes.
FAILED = (
    "登录失败：用户名或密码不正确，或账号已锁定或停用。"
    "连续输错 5 次密码后账号锁定 15 分钟；需要帮助请联系管理员。"
)

REPO_ROOT = Path(__file__).resolve().parent.parent
APP = REPO_ROOT / "app.py"
TIMEOUT = 60
LOCKOUT = dt.timedelta(minutes=15)


def fresh_app() -> AppTest:
    return AppTest.from_file(APP, default_timeout=TIMEOUT)


def submit_login(at: AppTest, username: str, password: str) -> AppTest:
    at.text_input(key="auth.username").input(username)
    at.text_input(key="auth.password").input(password)
    at.button[0].click()
    return at.run()


def add_auth_settings(config: Path, text: str) -> None:
    with config.open("a", encoding="utf-8") as handle:
        handle.write(f"\n[auth]\n{text}\n")


def test_no_data_before_login(published):
    at = fresh_app().run()
    assert not at.exception
    assert [title.value for title in at.title] == ["登录"]
    assert not at.dataframe
    assert not at.metric
    assert VIEWER_KEY not in at.session_state


def test_login_then_pages(published):
    ensure_user("director")
    at = submit_login(fresh_app().run(), "director", TEST_PASSWORD)
    assert not at.exception
    assert at.session_state[VIEWER_KEY].role == "director"
    assert at.title[0].value == "会员健康度"
    # The fixture has 6 paid members (1-6; 7 is a former member), all visible to a director.
    assert at.metric[0].value == "6"


def test_wrong_password_message(published):
    ensure_user("director")
    at = submit_login(fresh_app().run(), "director", "wrong-password")
    assert [error.value for error in at.error] == [FAILED]
    assert not at.dataframe


def test_unknown_user_same_message(published):
    at = submit_login(fresh_app().run(), "nobody", "whatever-123")
    assert [error.value for error in at.error] == [FAILED]


def test_lockout_after_repeated_failures(published):
    add_auth_settings(published.config, "max_failed_logins = 3\nlockout_minutes = 10")
    ensure_user("director")
    at = fresh_app().run()
    locked_message = FAILED.replace("5 次", "3 次").replace("15 分钟", "10 分钟")
    for _ in range(2):
        at = submit_login(at, "director", "wrong-password")
        assert at.error[0].value == locked_message
    # The third failure in a row locks the account for 10 minutes.
    at = submit_login(at, "director", "wrong-password")
    assert users.get_user(app_engine(), "director").locked_until is not None
    # Now even the right password is refused, with the same message as any failure.
    at = submit_login(at, "director", TEST_PASSWORD)
    assert at.error[0].value == locked_message
    assert VIEWER_KEY not in at.session_state


def test_lock_ends_after_lockout(published):
    engine = app_engine()
    ensure_user("director")
    start = dt.datetime(2026, 12, 1, 9, 0)
    for minute in range(5):
        result = users.authenticate(
            engine,
            "director",
            "wrong",
            max_failures=5,
            lockout=LOCKOUT,
            now=start + dt.timedelta(minutes=minute),
        )
    # The fifth failure at 09:04 locks until 09:19.
    assert result.reason == "locked"
    assert result.locked_until == dt.datetime(2026, 12, 1, 9, 19)
    at_918 = dt.datetime(2026, 12, 1, 9, 18)
    refused = users.authenticate(
        engine, "director", TEST_PASSWORD, max_failures=5, lockout=LOCKOUT, now=at_918
    )
    assert refused.reason == "locked"
    at_920 = dt.datetime(2026, 12, 1, 9, 20)
    accepted = users.authenticate(
        engine, "director", TEST_PASSWORD, max_failures=5, lockout=LOCKOUT, now=at_920
    )
    assert accepted.user is not None
    assert users.get_user(engine, "director").failed_logins == 0


def test_success_resets_failure_count(published):
    engine = app_engine()
    ensure_user("director")
    for _ in range(4):
        users.authenticate(engine, "director", "wrong", max_failures=5, lockout=LOCKOUT)
    assert users.get_user(engine, "director").failed_logins == 4
    users.authenticate(engine, "director", TEST_PASSWORD, max_failures=5, lockout=LOCKOUT)
    assert users.get_user(engine, "director").failed_logins == 0


def test_password_stored_as_argon2_hash(published):
    ensure_user("director")
    with app_engine().connect() as con:
        stored = con.execute(users.users.select()).mappings().one()["password_hash"]
    assert stored.startswith("$argon2id$")
    assert TEST_PASSWORD not in stored


def test_idle_session_expires(published):
    add_auth_settings(published.config, "session_idle_minutes = 5")
    at = sign_in(fresh_app())
    at.session_state[LAST_ACTIVE_KEY] = time.time() - 5 * 60 - 1
    at.run()
    assert VIEWER_KEY not in at.session_state
    assert at.warning[0].value == "长时间未操作，已自动退出，请重新登录。"
    assert not at.dataframe


def test_active_session_stays(published):
    add_auth_settings(published.config, "session_idle_minutes = 5")
    at = sign_in(fresh_app())
    at.session_state[LAST_ACTIVE_KEY] = time.time() - 4 * 60
    at.run()
    assert at.session_state[VIEWER_KEY].username == "director"
    assert at.dataframe


def test_disabling_ends_open_session(published):
    at = sign_in(fresh_app()).run()
    assert at.dataframe
    users.set_disabled(app_engine(), "director")
    at.run()
    assert VIEWER_KEY not in at.session_state
    assert at.warning[0].value == "您的账号已停用或已删除，访问已结束。"
    assert not at.dataframe


def test_disabled_user_cannot_sign_in(published):
    ensure_user("director")
    users.set_disabled(app_engine(), "director")
    at = submit_login(fresh_app().run(), "director", TEST_PASSWORD)
    # The same message as a wrong password, so the form does not reveal the account.
    assert at.error[0].value == FAILED


def test_role_change_applies_on_next_rerun(published):
    at = sign_in(fresh_app()).run()
    assert at.metric[0].value == "6"
    # 王芳 is the sales rep of members 5, 6 and 7; 7 is a former member, so 2 are paid.
    users.set_role(app_engine(), "director", "sales_rep", "王芳")
    at.run()
    assert at.session_state[VIEWER_KEY].role == "sales_rep"
    assert at.metric[0].value == "2"


def test_logout(published):
    at = sign_in(fresh_app()).run()
    at.button(key="auth.logout").click().run()
    assert VIEWER_KEY not in at.session_state
    # The rerun goes through app.py, which shows the login form and no page.
    assert at.title[0].value == "登录"
    assert not at.dataframe
    assert fresh_app().run().title[0].value == "登录"


@pytest.mark.parametrize("page", [spec.file for spec in PAGES])
def test_page_file_alone_needs_login(published, page):
    at = AppTest.from_file(REPO_ROOT / page, default_timeout=TIMEOUT).run()
    assert not at.exception
    assert [warning.value for warning in at.warning] == ["请先登录。"]
    assert not at.dataframe
    assert not at.metric


@pytest.mark.parametrize(("demo", "shown"), [(True, True), (False, False)])
def test_demo_notice_only_for_demo(published, demo, shown):
    add_auth_settings(published.config, f"demo = {'true' if demo else 'false'}")
    ensure_user("sales_rep", "王芳", username="sales")
    at = fresh_app().run()
    notices = [info.value for info in at.info]
    if shown:
        (notice,) = notices
        assert notice.startswith("这是演示环境")
        assert "`sales`: 销售 (王芳)" in notice
    else:
        assert notices == []


# --- the admin page of users ---------------------------------------------------------------


def open_users_page() -> AppTest:
    at = sign_in(fresh_app(), "admin").run()
    at.switch_page("views/users.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_users_page_lists_users(published):
    ensure_user("sales_rep", "王芳", username="wang")
    at = open_users_page()
    table = at.dataframe[0].value
    assert table["用户名"].tolist() == ["admin", "wang"]
    assert table["角色"].tolist() == ["管理员", "销售"]
    assert table["员工姓名"].fillna("").tolist() == ["", "王芳"]


def test_users_page_adds_user(published):
    at = open_users_page()
    at.text_input(key="users.add.username").input("li")
    at.selectbox(key="users.add.role").select("sales_rep")
    at.text_input(key="users.add.staff_name").input("李娜")
    at.text_input(key="users.add.password").input("long-enough-1")
    at.button(key="FormSubmitter:users.add-新增").click().run()
    assert [s.value for s in at.success] == ["已新增用户 li。"]
    user = users.get_user(app_engine(), "li")
    assert (user.role, user.staff_name) == ("sales_rep", "李娜")


def test_users_page_rejects_rep_without_staff_name(published):
    at = open_users_page()
    at.text_input(key="users.add.username").input("li")
    at.selectbox(key="users.add.role").select("sales_rep")
    at.text_input(key="users.add.password").input("long-enough-1")
    at.button(key="FormSubmitter:users.add-新增").click().run()
    assert [e.value for e in at.error] == ["销售和售后角色必须填写员工姓名。"]
    assert users.get_user(app_engine(), "li") is None


def test_users_page_disables_user(published):
    ensure_user("director")
    at = open_users_page()
    at.selectbox(key="users.change.username").select("director")
    at.run()
    at.button(key="users.disable").click().run()
    assert [s.value for s in at.success] == ["已停用 director，其访问立即结束。"]
    assert users.get_user(app_engine(), "director").disabled


def test_users_page_not_for_director(published):
    at = sign_in(AppTest.from_file(REPO_ROOT / "views/users.py", default_timeout=TIMEOUT))
    at.run()
    assert [e.value for e in at.error] == ["只有管理员可以打开此页。"]
    assert not at.dataframe


def test_users_page_no_own_role_change(published):
    ensure_user("director")
    at = open_users_page()
    at.selectbox(key="users.change.username").select("admin")
    at.run()

    assert "不能修改自己的角色，请由其他管理员修改。" in [c.value for c in at.caption]
    assert not [b for b in at.button if b.key == "FormSubmitter:users.role-设置角色"]

    at.selectbox(key="users.change.username").select("director")
    at.run()
    at.selectbox(key="users.change.role").select("executive")
    at.button(key="FormSubmitter:users.role-设置角色").click().run()
    assert users.get_user(app_engine(), "director").role == "executive"


def test_users_page_trims_and_warns_staff_name(published):
    at = open_users_page()
    at.text_input(key="users.add.username").input("zheng")
    at.selectbox(key="users.add.role").select("sales_rep")
    at.text_input(key="users.add.staff_name").input(" 郑博 ")
    at.text_input(key="users.add.password").input("long-enough-1")
    at.button(key="FormSubmitter:users.add-新增").click().run()

    assert [s.value for s in at.success] == ["已新增用户 zheng。"]
    # 郑博 owns no member of the fixture; t() escapes the underscore of sales_rep.
    assert [w.value for w in at.warning] == [
        "当前数据中没有 sales\\_rep 为 郑博 的会员，因此 zheng 看不到任何会员。"
        "请对照门户数据检查姓名写法。"
    ]
    assert users.get_user(app_engine(), "zheng").staff_name == "郑博"


def test_users_page_known_staff_no_warning(published):
    at = open_users_page()
    at.text_input(key="users.add.username").input("zhang")
    at.selectbox(key="users.add.role").select("sales_rep")
    at.text_input(key="users.add.staff_name").input("张伟")
    at.text_input(key="users.add.password").input("long-enough-1")
    at.button(key="FormSubmitter:users.add-新增").click().run()

    assert [s.value for s in at.success] == ["已新增用户 zhang。"]
    assert not at.warning


def test_users_page_rejects_long_staff_name(published):
    at = open_users_page()
    at.text_input(key="users.add.username").input("zheng")
    at.selectbox(key="users.add.role").select("sales_rep")
    at.text_input(key="users.add.staff_name").input("张" * 5000)
    at.text_input(key="users.add.password").input("long-enough-1")
    at.button(key="FormSubmitter:users.add-新增").click().run()

    assert [e.value for e in at.error] == [
        "员工姓名最多 50 个可打印字符，须与门户数据中的写法一致。"
    ]
    assert users.get_user(app_engine(), "zheng") is None
