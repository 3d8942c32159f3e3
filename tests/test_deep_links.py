"""A link opened before login leads to its page and member after login, if the role may."""

from __future__ import annotations

from pathlib import Path

import pytest
from signin import TEST_PASSWORD, ensure_user
from streamlit.testing.v1 import AppTest

from dashboard.auth import LINK_TARGET_KEY
from dashboard.navigation import LinkTarget, link_target, page_for_link

REPO_ROOT = Path(__file__).resolve().parent.parent
APP = REPO_ROOT / "app.py"
TIMEOUT = 60
BASE_URL = "http://localhost:8501"


@pytest.mark.parametrize(
    ("url", "query", "expected"),
    [
        (
            f"{BASE_URL}/member_detail",
            {"member": "4"},
            LinkTarget("member_detail", {"member": "4"}),
        ),
        # Behind a reverse proxy with server.baseUrlPath = "dash".
        ("https://bi.example.com/dash/sales/", {}, LinkTarget("sales", {})),
        (BASE_URL, {"member": "4"}, None),
        (f"{BASE_URL}/", {}, None),
        (f"{BASE_URL}/no_such_page", {"member": "4"}, None),
        (None, {"member": "4"}, None),
    ],
)
def test_link_target_from_url(url, query, expected):
    assert link_target(url, query) == expected


def test_page_for_link_by_role():
    market = LinkTarget("market_share", {})
    assert page_for_link(market, "director").url_path == "market_share"
    assert page_for_link(market, "sales_rep") is None
    assert page_for_link(LinkTarget("member_detail", {"member": "1"}), "after_sales") is not None


def open_link(path: str, **query: str) -> AppTest:
    """Open app.py signed out, as a browser does for BASE_URL/<path>?<query>."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.context["url"] = f"{BASE_URL}/{path}" if path else BASE_URL
    at.query_params.update(query)
    return at.run()


def submit_login(at: AppTest, username: str) -> AppTest:
    at.text_input(key="auth.username").input(username)
    at.text_input(key="auth.password").input(TEST_PASSWORD)
    at.button[0].click()
    return at.run()


def test_member_link_through_login(published):
    ensure_user("director")
    at = open_link("member_detail", member="4")
    assert [title.value for title in at.title] == ["登录"]
    assert not at.dataframe
    assert at.session_state[LINK_TARGET_KEY] == LinkTarget("member_detail", {"member": "4"})

    at = submit_login(at, "director")
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "商铺详情"
    assert at.selectbox(key="detail.member").value == 4
    assert at.query_params["member"] == "4"
    assert LINK_TARGET_KEY not in at.session_state
    assert not at.warning


def test_link_kept_after_failed_login(published):
    ensure_user("director")
    at = open_link("member_detail", member="5")
    at.text_input(key="auth.username").input("director")
    at.text_input(key="auth.password").input("wrong-password")
    at.button[0].click()
    at.run()
    assert [title.value for title in at.title] == ["登录"]

    at = submit_login(at, "director")
    assert at.title[0].value == "商铺详情"
    assert at.selectbox(key="detail.member").value == 5


def test_link_to_page_role_may_not_open(published):
    """A sales rep's link to the market page ends on the default page with a warning."""
    ensure_user("sales_rep", "王芳")
    at = submit_login(open_link("market_share"), "sales_rep")
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "会员健康度"
    assert [warning.value for warning in at.warning] == [
        "您的角色不能打开链接中的页面（行业占有率），已为您打开默认页面。"
    ]
    # 王芳 is the sales rep of paid members 5 and 6.
    assert at.dataframe[0].value["会员ID"].tolist() == [5, 6]


def test_link_to_hidden_member(published):
    """After login, the detail page still rejects a member the sales rep does not own."""
    ensure_user("sales_rep", "王芳")
    at = submit_login(open_link("member_detail", member="4"), "sales_rep")
    assert at.title[0].value == "商铺详情"
    assert at.warning[0].value.startswith("会员 4 不在您可查看的付费会员中")
    assert at.selectbox(key="detail.member").value == 5


def test_root_link_opens_default_page(published):
    ensure_user("director")
    at = submit_login(open_link(""), "director")
    assert at.title[0].value == "会员健康度"
    assert not at.warning
    assert LINK_TARGET_KEY not in at.session_state
