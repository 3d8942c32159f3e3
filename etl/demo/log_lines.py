"""The requests of one log day: shop sessions, portal pages, crawlers, scanners, broken lines."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from urllib.parse import quote

import numpy as np

from etl.demo import catalog, traffic
from etl.demo.history import HOUR_SHARES
from etl.demo.portal_db import ad_id_for
from etl.demo.scenario import Portal

# A session goes on to one more page with this probability, so it has 1 / (1 - p) pages.
PAGES_CONTINUE = 0.45
PAGES_PER_SESSION = 1 / (1 - PAGES_CONTINUE)
ASSET_SHARE = 0.25
INQUIRY_POST_SHARE = 0.02
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
HOUR_CUMULATIVE = np.cumsum(HOUR_SHARES).tolist()
SOURCE_CUMULATIVE = np.cumsum(traffic.SOURCE_WEIGHTS).tolist()
STATIC_ASSETS = (
    "/static/css/shop.css?v=20240312",
    "/static/js/jquery.min.js",
    "/static/js/shop.js?v=3",
    "/static/img/logo.png",
    "/favicon.ico",
)
SHOP_SUBPAGES = ("products/", "about.html", "contact.html", "news/", "certificates.html")
SCANNER_PATHS = (
    "/wp-login.php",
    "/.env",
    "/phpmyadmin/index.php",
    "/admin/config.php",
    "/.git/config",
    "/shop/../../etc/passwd",
    "/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php",
)


@dataclass
class DayLog:
    """Lines of one local day as (second of day, sequence number, text) before sorting."""

    day: dt.date
    rng: random.Random
    entries: list[tuple[int, int, bytes]] = field(default_factory=list)

    def add(
        self,
        second: int,
        address: str,
        request: str,
        status: int,
        size: int,
        referrer: str,
        agent: str,
    ) -> None:
        """Append one combined-format line; requests past midnight belong to the next file."""
        if not 0 <= second < 86400:
            return
        hours, rest = divmod(second, 3600)
        stamp = (
            f"{self.day.day:02d}/{MONTHS[self.day.month - 1]}/{self.day.year}:"
            f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d} +0800"
        )
        line = f'{address} - - [{stamp}] "{request}" {status} {size} "{referrer}" "{agent}"'
        self.entries.append((second, len(self.entries), line.encode("ascii")))

    def random_second(self) -> int:
        hour = self.rng.choices(range(24), cum_weights=HOUR_CUMULATIVE)[0]
        return hour * 3600 + self.rng.randrange(3600)

    def protocol(self) -> str:
        return "HTTP/2.0" if self.rng.random() < 0.4 else "HTTP/1.1"


def shop_session(log: DayLog, portal: Portal, position: int, has_ads: bool) -> None:
    """Add one visitor's pages in one shop, entered from a referrer of a drawn source class."""
    rng = log.rng
    company = portal.companies[position]
    source = traffic.SOURCE_CLASSES[_pick(rng, SOURCE_CUMULATIVE)]
    visitor = traffic.new_visitor(rng, wechat=source == "social" and rng.random() < 0.75)
    second = log.random_second()
    referrer, query = _entry(log, portal, position, source, has_ads, visitor, second)

    host = traffic.MOBILE_HOME if visitor.mobile else traffic.HOME
    shop_root = f"/shop/{company.slug}/" if rng.random() < 0.8 else f"/shop/{company.company_id}/"
    page = shop_root if rng.random() < 0.55 else _shop_subpage(shop_root, rng)
    target = page + query
    while True:
        status = 304 if rng.random() < 0.06 else 200
        size = 0 if status == 304 else rng.randint(9000, 60000)
        log.add(
            second,
            visitor.address,
            f"GET {target} {log.protocol()}",
            status,
            size,
            referrer,
            visitor.agent,
        )
        if rng.random() < ASSET_SHARE:
            _assets(log, second, visitor, host + target)
        referrer = host + target
        second += rng.randint(6, 180)
        if rng.random() >= PAGES_CONTINUE:
            break
        target = _shop_subpage(shop_root, rng)

    if rng.random() < INQUIRY_POST_SHARE:
        log.add(
            second,
            visitor.address,
            f"POST {shop_root}inquiry.html {log.protocol()}",
            302,
            0,
            referrer,
            visitor.agent,
        )


def _entry(
    log: DayLog,
    portal: Portal,
    position: int,
    source: str,
    has_ads: bool,
    visitor: traffic.Visitor,
    second: int,
) -> tuple[str, str]:
    """Return the first page's referrer and query string for the source class."""
    rng = log.rng
    company = portal.companies[position]
    segment = catalog.SEGMENTS[company.segment]
    if source == "search":
        keyword = traffic.search_keyword(segment, company.name, company.city, rng)
        return traffic.search_referrer(keyword, rng), ""
    if source == "internal":
        keyword = rng.choice(segment.keywords)
        return traffic.internal_referrer(segment, keyword, rng), ""
    if source == "social":
        return traffic.social_referrer(rng), ""
    if source == "ad" and has_ads and rng.random() < 0.7:
        click = f"/ad/click?id={ad_id_for(position)}&pos={rng.randint(1, 6)}"
        log.add(
            second - 1,
            visitor.address,
            f"GET {click} {log.protocol()}",
            302,
            0,
            traffic.HOME + f"/category/{segment.slug}/",
            visitor.agent,
        )
        return traffic.HOME + click, ""
    if source == "ad":
        campaign = f"?utm_source=baidu&utm_medium=cpc&utm_campaign={segment.slug}"
        return "https://www.baidu.com/", campaign
    if source == "referral":
        return traffic.referral_referrer(rng), ""
    return "-", ""


def _shop_subpage(shop_root: str, rng: random.Random) -> str:
    if rng.random() < 0.6:
        return f"{shop_root}products/{rng.randint(100000, 999999)}.html"
    return shop_root + rng.choice(SHOP_SUBPAGES)


def _assets(log: DayLog, second: int, visitor: traffic.Visitor, page_url: str) -> None:
    for asset in log.rng.sample(STATIC_ASSETS, log.rng.randint(1, 2)):
        status = 304 if log.rng.random() < 0.5 else 200
        size = 0 if status == 304 else log.rng.randint(800, 90000)
        log.add(
            second,
            visitor.address,
            f"GET {asset} {log.protocol()}",
            status,
            size,
            page_url,
            visitor.agent,
        )


def portal_page(log: DayLog, portal: Portal) -> None:
    """Add a request for a portal page outside the shops: home, search, category, news, login."""
    rng = log.rng
    visitor = traffic.new_visitor(rng)
    segment = rng.choice(catalog.SEGMENTS)
    keyword = rng.choice(segment.keywords)
    draw = rng.random()
    if draw < 0.2:
        path, status = "/", 200
    elif draw < 0.45:
        path, status = f"/search?kw={quote(keyword)}&page={rng.randint(1, 4)}", 200
    elif draw < 0.7:
        path, status = f"/category/{segment.slug}/", 200
    elif draw < 0.9:
        path, status = f"/news/{rng.randint(10000, 39999)}.html", 200
    elif draw < 0.95:
        path, status = f"/product/{rng.randint(1000000, 9999999)}.html", 404
    else:
        path, status = "/member/login.php", 200

    referrer = traffic.search_referrer(keyword, rng) if rng.random() < 0.5 else "-"
    method = "POST" if path == "/member/login.php" and rng.random() < 0.5 else "GET"
    second = log.random_second()
    size = rng.randint(300, 2000) if status == 404 else rng.randint(15000, 80000)
    log.add(
        second,
        visitor.address,
        f"{method} {path} {log.protocol()}",
        status,
        size,
        referrer,
        visitor.agent,
    )
    if rng.random() < ASSET_SHARE:
        _assets(log, second, visitor, traffic.HOME + path)


def crawl(log: DayLog, portal: Portal, hits: int) -> None:
    """Crawler requests; each crawler that shows up also fetches /robots.txt first."""
    rng = log.rng
    seen: set[str] = set()
    for _ in range(hits):
        _, agent, prefix, _ = rng.choices(traffic.CRAWLERS, weights=traffic.CRAWLER_WEIGHTS)[0]
        address = f"{prefix}{rng.randint(1, 254)}"
        second = log.random_second()
        if agent not in seen:
            seen.add(agent)
            log.add(max(second - 2, 0), address, "GET /robots.txt HTTP/1.1", 200, 312, "-", agent)
        log.add(
            second,
            address,
            f"GET {_crawled_path(portal, rng)} HTTP/1.1",
            404 if rng.random() < 0.03 else 200,
            rng.randint(5000, 60000),
            "-",
            agent,
        )


def _crawled_path(portal: Portal, rng: random.Random) -> str:
    draw = rng.random()
    company = rng.choice(portal.companies)
    if draw < 0.45:
        return f"/shop/{company.slug}/"
    if draw < 0.55:
        return f"/shop/{company.company_id}/"
    if draw < 0.7:
        return f"/shop/{company.slug}/products/{rng.randint(100000, 999999)}.html"
    segment = rng.choice(catalog.SEGMENTS)
    if draw < 0.85:
        return f"/category/{segment.slug}/?page={rng.randint(1, 30)}"
    return f"/news/{rng.randint(10000, 39999)}.html"


def stealth_crawl(log: DayLog, portal: Portal, scale: float) -> None:
    """Add a scraper with a browser's user agent that reads /robots.txt, then many shops fast."""
    rng = log.rng
    visitor = traffic.new_visitor(rng)
    second = log.random_second()
    log.add(second, visitor.address, "GET /robots.txt HTTP/1.1", 200, 312, "-", visitor.agent)
    for _ in range(max(3, round(60 * scale * rng.random()))):
        second += rng.randint(1, 4)
        company = rng.choice(portal.companies)
        log.add(
            second,
            visitor.address,
            f"GET /shop/{company.slug}/contact.html HTTP/1.1",
            200,
            rng.randint(9000, 30000),
            "-",
            visitor.agent,
        )


def scan(log: DayLog) -> None:
    """Add a vulnerability scanner's probe, or a TLS handshake sent to the plain HTTP port."""
    rng = log.rng
    address = traffic.client_address(rng, mobile=False)
    second = log.random_second()
    if rng.random() < 0.15:
        # nginx logs the handshake's bytes escaped as \xHH and responds with status 400.
        request = "".join(f"\\x{rng.randrange(256):02X}" for _ in range(24))
        log.add(second, address, request, 400, 157, "-", "-")
        return
    log.add(
        second,
        address,
        f"GET {rng.choice(SCANNER_PATHS)} HTTP/1.1",
        404,
        555,
        "-",
        rng.choice(traffic.SCANNER_AGENTS),
    )


def malformed_line(sample: bytes, rng: random.Random) -> bytes:
    """Return a line that no combined-format parser accepts, made from a real one."""
    kind = rng.randrange(3)
    if kind == 0:
        # A write cut short, as when a disk fills or the process is killed.
        return sample[: rng.randint(10, max(11, len(sample) // 2))]
    if kind == 1:
        noise = bytes(rng.choice(range(0x80, 0x100)) for _ in range(rng.randint(20, 80)))
        return noise.replace(b"\n", b"")
    start, end = sample.index(b"[") + 1, sample.index(b"]")
    return sample[:start] + b"32/Foo/2026:25:61:99 +0800" + sample[end:]


def _pick(rng: random.Random, cumulative: list[float]) -> int:
    return rng.choices(range(len(cumulative)), cum_weights=cumulative)[0]
