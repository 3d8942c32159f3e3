"""Crawler detection by user agent, with the Chinese in-app browsers that must stay browsers."""

from __future__ import annotations

import pytest

from etl.bots import BotDetector, bot_name, robots_client_name

# user agent, expected crawler family (None: a real browser)
AGENTS = [
    (
        "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)",
        "Baiduspider",
    ),
    (
        "Mozilla/5.0 (Linux;u;Android 4.2.2;zh-cn;) AppleWebKit/534.46 (KHTML,like Gecko) "
        "Version/5.1 Mobile Safari/10600.6.3 (compatible; Baiduspider/2.0; "
        "+http://www.baidu.com/search/spider.html)",
        "Baiduspider",
    ),
    ("Baiduspider-image+(+http://www.baidu.com/search/spider.htm)", "Baiduspider"),
    (
        "Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/50.0.2661.102 Safari/537.36; 360Spider",
        "360Spider",
    ),
    ("Sogou web spider/4.0(+http://www.sogou.com/docs/help/webmasters.htm#07)", "Sogou"),
    (
        "Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/69.0.3497.81 YisouSpider/5.0 Safari/537.36",
        "YisouSpider",
    ),
    (
        "Mozilla/5.0 (Linux; Android 5.0) AppleWebKit/537.36 (KHTML, like Gecko) Mobile "
        "Safari/537.36 (compatible; Bytespider; spider-feedback@bytedance.com)",
        "Bytespider",
    ),
    ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "Googlebot"),
    ("Googlebot-Image/1.0", "Googlebot"),
    ("Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", "bingbot"),
    ("msnbot-media/1.1 (+http://search.msn.com/msnbot.htm)", "bingbot"),
    ("Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)", "YandexBot"),
    (
        "Mozilla/5.0 (compatible; archive.org_bot +http://www.archive.org/details/archive.org_bot)",
        "archive.org_bot",
    ),
    ("magpie-crawler/1.1 (U; Linux amd64; en-GB; +http://www.brandwatch.net)", "magpie-crawler"),
    ("curl/7.68.0", "curl"),
    # Browsers whose agents name an engine or an app, not crawlers:
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 16_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
        "Gecko) Mobile/15E148 DingTalk/7.0.10 Channel/201200 language/zh-Hans-CN",
        None,
    ),
    (
        "Mozilla/5.0 (Linux; U; Android 10; zh-CN; V1986A Build/QP1A.190711.020) "
        "AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/78.0.3904.108 "
        "UCBrowser/13.4.0.1306 Mobile Safari/537.36",
        None,
    ),
    (
        "Mozilla/5.0 (Linux; Android 10; V1986A Build/QP1A.190711.020; wv) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Version/4.0 Chrome/76.0.3809.89 Mobile Safari/537.36 T7/12.10 "
        "SP-engine/2.28.0 baiduboxapp/12.10.0.10 (Baidu; P1 10) NABar/1.0",
        None,
    ),
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 14_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
        "Gecko) Mobile/15E148 MicroMessenger/8.0.2(0x18000239) NetType/WIFI Language/zh_CN",
        None,
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/70.0.3538.25 Safari/537.36 Core/1.70.3870.400 QQBrowser/10.8.4405.400",
        None,
    ),
    (
        "Mozilla/5.0 (Linux; U; Android 4.4.4; zh-cn; MI 4LTE Build/KTU84P) AppleWebKit/534.30 "
        "(KHTML, like Gecko) Version/4.0 Mobile Safari/534.30 baidubrowser/6.3.13.0 "
        "(Baidu; P1 4.4.4)",
        None,
    ),
    (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 "
        "Safari/537.36",
        None,
    ),
    ("-", None),
    ("", None),
]


@pytest.mark.parametrize(("agent", "expected"), AGENTS)
def test_agent_table(agent, expected):
    assert bot_name(agent) == expected


def test_cache_by_agent_bounded():
    detector = BotDetector(cache_size=2)
    for version in range(5):
        detector.bot_name(f"Googlebot/{version}.0")
    assert len(detector._cache) <= 2
    assert detector.bot_name("Googlebot/4.0") == "Googlebot"


@pytest.mark.parametrize(
    ("agent", "expected"),
    [
        ("Mozilla/5.0 (Windows NT 5.1; rv:6.0.2) Gecko/20100101 Firefox/6.0.2", "unidentified"),
        ("Java/1.8.0_151", "Java"),
        ("-", "unidentified"),
        ("", "unidentified"),
    ],
)
def test_robots_client_name(agent, expected):
    assert robots_client_name(agent) == expected


def test_long_agents_checked_by_their_start():
    # Without the cap, crawlerdetect took minutes on an agent of 70,000 characters.
    assert bot_name("Mozilla/5.0 " + "x" * 70_000) is None
    crawler = "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)"
    assert bot_name(crawler + " " + "x" * 70_000) == "Baiduspider"
    # A crawler's name past the first 512 characters is not looked for.
    assert bot_name("Mozilla/5.0 " + "x" * 600 + " Baiduspider/2.0") is None
