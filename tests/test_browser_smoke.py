"""Start `streamlit run app.py` on the fixture snapshot and open each page in headless Chromium.

Uses Debian's /usr/bin/chromium through Playwright; Playwright's own browser download is not
used. Fails when a page shows an exception or an error alert.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from signin import TEST_PASSWORD, ensure_user
from snapshot_fixture import build_snapshot

REPO_ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SERVER_START_SECONDS = 60
PAGE_LOAD_MS = 60_000
# URL path of each page (st.Page url_path; the default page is served at the root) and the
# title it must show.
PAGES = [
    ("", "会员健康度"),
    ("member_detail", "商铺详情"),
    ("data_status", "数据状态"),
    ("users", "用户管理"),
    ("export_audit", "导出记录"),
    ("renewals", "续费分析"),
    ("renewal_risk", "续费风险"),
    ("market_share", "行业占有率"),
    ("sales", "销售管理"),
]
ERROR_SELECTOR = '[data-testid="stException"], [data-testid="stAlertContentError"]'

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing; install Debian's chromium package"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_health(base_url: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {server.returncode} before serving.")
        try:
            with urllib.request.urlopen(f"{base_url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    raise TimeoutError(
        f"streamlit did not answer {base_url}/_stcore/health within {SERVER_START_SECONDS} s."
    )


@pytest.fixture
def server_url(tmp_path):
    paths = build_snapshot(tmp_path / "portal")
    ensure_user("admin", config=paths.config)
    port = free_port()
    env = {**os.environ, "PORTAL_CONFIG": str(paths.config)}
    command = [
        sys.executable, "-m", "streamlit", "run", "app.py",
        "--server.headless", "true",
        "--server.address", "127.0.0.1",
        "--server.port", str(port),
        "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    log = (tmp_path / "streamlit.log").open("w")
    server = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        base_url = f"http://127.0.0.1:{port}"
        wait_for_health(base_url, server)
        yield base_url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def test_pages_render_in_chromium(server_url):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page()
            # The server's very first request goes to a page URL, before any login: Streamlit
            # may then run the page file without app.py, and it must still show no data.
            page.goto(f"{server_url}/member_detail?member=1", timeout=PAGE_LOAD_MS)
            page.wait_for_load_state("networkidle", timeout=PAGE_LOAD_MS)
            page.wait_for_timeout(1_000)
            assert page.locator('[data-testid="stDataFrame"]').count() == 0
            assert page.get_by_text("杭州重工机械有限公司").count() == 0

            sign_in_page(page, f"{server_url}/")
            for index, (path, title) in enumerate(PAGES):
                if index:
                    # A reload would start a new session, which must sign in again; moving
                    # through the sidebar keeps it.
                    page.get_by_role("link", name=title).first.click()
                heading = page.get_by_role("heading", name=title)
                heading.first.wait_for(timeout=PAGE_LOAD_MS)
                # Let the script run finish: the last table of each page renders after the title.
                page.wait_for_selector('[data-testid="stDataFrame"]', timeout=PAGE_LOAD_MS)
                page.wait_for_load_state("networkidle", timeout=PAGE_LOAD_MS)
                errors = page.locator(ERROR_SELECTOR)
                assert errors.count() == 0, f"/{path}: {errors.all_inner_texts()}"
                if index == 0:
                    download_health_csv(page)
        finally:
            browser.close()


def sign_in_page(page, url: str) -> None:
    page.goto(url, timeout=PAGE_LOAD_MS)
    page.get_by_role("heading", name="登录").first.wait_for(timeout=PAGE_LOAD_MS)
    assert page.locator('[data-testid="stDataFrame"]').count() == 0
    page.get_by_label("用户名").fill("admin")
    page.get_by_label("密码").fill(TEST_PASSWORD)
    page.get_by_role("button", name="登录").click()


def download_health_csv(page) -> None:
    """Download the health table as CSV: the whole table, audited for the Export log page."""
    with page.expect_download(timeout=PAGE_LOAD_MS) as download_info:
        page.get_by_role("button", name="导出 CSV").first.click()
    path = download_info.value.path()
    lines = Path(path).read_text(encoding="utf-8-sig").splitlines()
    # Header and the fixture's 6 paid members; member 6's name is neutralised.
    assert len(lines) == 7
    assert any(",'=常州涂料化工有限公司," in line for line in lines)
