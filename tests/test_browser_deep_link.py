"""A link opened in headless Chromium before login leads to its page and member after login.

Runs `streamlit run app.py` on the fixture snapshot, as tests/test_browser_smoke.py does.
AppTest sets the URL by hand, so only a browser shows that Streamlit's client keeps the page
path and the query while the login form is up.
"""

from __future__ import annotations

import pytest
from signin import TEST_PASSWORD, ensure_user
from test_browser_smoke import CHROMIUM, CHROMIUM_ARGS, PAGE_LOAD_MS, server_url

# server_url is the fixture that starts streamlit; listing it marks the import as used.
__all__ = ["server_url"]

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing; install Debian's chromium package"
)


def open_and_sign_in(browser, url: str, username: str):
    """Open `url` signed out, submit the login form and return the page."""
    page = browser.new_page()
    page.goto(url, timeout=PAGE_LOAD_MS)
    page.get_by_role("heading", name="登录").first.wait_for(timeout=PAGE_LOAD_MS)
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(TEST_PASSWORD)
    page.get_by_role("button", name="登录").click()
    return page


def launch(playwright):
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )


def test_member_link_through_login(server_url):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            page = open_and_sign_in(browser, f"{server_url}/member_detail?member=4", "admin")
            page.get_by_role("heading", name="商铺详情").first.wait_for(timeout=PAGE_LOAD_MS)
            # Member 4 (上海华东化工有限公司) is in 化工, tier 金牌, with sales rep 李娜.
            page.get_by_text("化工 · 金牌 · 销售 李娜").first.wait_for(timeout=PAGE_LOAD_MS)
            assert page.url.endswith("/member_detail?member=4")
        finally:
            browser.close()


def test_link_role_may_not_open(server_url, tmp_path):
    """A sales rep's link to the market page ends on the default page with the warning."""
    from playwright.sync_api import sync_playwright

    # server_url built the fixture portal under tmp_path / "portal".
    ensure_user("sales_rep", "王芳", config=tmp_path / "portal" / "portal.toml")
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            page = open_and_sign_in(browser, f"{server_url}/market_share", "sales_rep")
            page.get_by_role("heading", name="会员健康度").first.wait_for(timeout=PAGE_LOAD_MS)
            warning = "您的角色不能打开链接中的页面（行业占有率），已为您打开默认页面。"
            page.get_by_text(warning).first.wait_for(timeout=PAGE_LOAD_MS)
            assert page.get_by_role("heading", name="行业占有率").count() == 0
        finally:
            browser.close()
