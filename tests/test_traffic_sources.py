"""Traffic-source classification: referrer, request query and agent to class, engine, keyword."""

from __future__ import annotations

import pytest

from etl.traffic_sources import TrafficClassifier, classify, decode_keyword

PORTAL = ["www.portal.cn", "portal.cn"]
AD_PATHS = ["/ad/click"]
CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0.0.0 Safari/537.36"
WECHAT = "Mozilla/5.0 (iPhone) Mobile/15E148 MicroMessenger/8.0.40 NetType/WIFI"

# referrer, expected (source_class, search_engine, keyword), with no request query, Chrome agent.
REFERRERS = [
    ("https://www.baidu.com/s?wd=%E9%92%A2%E7%AE%A1&ie=utf-8", ("search", "Baidu", "钢管")),
    ("https://m.baidu.com/s?word=%E9%98%80%E9%97%A8", ("search", "Baidu", "阀门")),
    ("https://www.baidu.com/link?url=abc123", ("search", "Baidu", None)),
    ("http://www.baidu.com/s?wd=%B8%D6%B9%DC&ie=gbk", ("search", "Baidu", "钢管")),
    ("https://baidu.com/s?wd=%E6%B3%95%E5%85%B0", ("search", "Baidu", "法兰")),
    ("https://tieba.baidu.com/p/123", ("referral", None, None)),
    ("https://www.so.com/s?q=%E6%B3%B5", ("search", "360", "泵")),
    ("https://www.sogou.com/web?query=pump+valve", ("search", "Sogou", "pump valve")),
    ("https://m.sm.cn/s?q=%E6%B3%B5", ("search", "Shenma", "泵")),
    ("https://cn.bing.com/search?q=steel+pipe&form=QBLH", ("search", "Bing", "steel pipe")),
    ("https://www.google.com.hk/search?q=flange", ("search", "Google", "flange")),
    ("https://www.google.com/", ("search", "Google", None)),
    (
        "https://yandex.ru/search/?text=%D0%BD%D0%B0%D1%81%D0%BE%D1%81",
        ("search", "Yandex", "насос"),
    ),
    ("https://duckduckgo.com/?q=gasket", ("search", "DuckDuckGo", "gasket")),
    ("https://search.yahoo.com/search?p=bolt", ("search", "Yahoo", "bolt")),
    ("https://www.portal.cn/search?kw=pipe", ("internal", None, None)),
    ("https://shop7.portal.cn/", ("internal", None, None)),
    ("https://www.portal.cn/ad/click?id=9", ("ad", None, None)),
    ("https://mp.weixin.qq.com/s/abc", ("social", None, None)),
    ("https://weibo.com/123", ("social", None, None)),
    ("https://www.douyin.com/video/1", ("social", None, None)),
    ("https://www.toutiao.com/article/1/", ("social", None, None)),
    ("https://so.toutiao.com/search?keyword=%E9%98%80%E9%97%A8", ("search", "Toutiao", "阀门")),
    ("https://servicewechat.com/wx1234567890abcdef/3/page-frame.html", ("social", None, None)),
    ("android-app://com.tencent.mm", ("social", None, None)),
    ("android-app://com.sina.weibo/", ("social", None, None)),
    ("https://www.example.com/links", ("referral", None, None)),
    ("https://notportal.cn/", ("referral", None, None)),
    ("android-app://com.example.app", ("referral", None, None)),
    ("-", ("direct", None, None)),
    ("", ("direct", None, None)),
]


@pytest.mark.parametrize(("referrer", "expected"), REFERRERS)
def test_referrer_table(referrer, expected):
    assert classify(referrer, "", CHROME, PORTAL, AD_PATHS) == expected


def test_utm_in_request_is_ad():
    source = classify(
        "https://www.baidu.com/s?wd=x", "utm_source=baidu&utm_medium=cpc", CHROME, PORTAL, AD_PATHS
    )
    assert source == ("ad", None, None)


def test_utm_in_referrer_is_not_ad():
    source = classify("https://www.example.com/?utm_source=x", "page=2", CHROME, PORTAL, AD_PATHS)
    assert source == ("referral", None, None)


@pytest.mark.parametrize(
    ("referrer", "expected"),
    [
        ("-", ("social", None, None)),
        ("https://www.example.com/", ("social", None, None)),
        # A search engine or the portal itself still wins over the WeChat agent.
        ("https://www.so.com/s?q=x", ("search", "360", "x")),
        ("https://www.portal.cn/", ("internal", None, None)),
    ],
)
def test_wechat_agent(referrer, expected):
    assert classify(referrer, "", WECHAT, PORTAL, AD_PATHS) == expected


def test_raw_gbk_bytes_in_keyword():
    # The access-log reader decodes referrers with surrogateescape. B8 D6 B9 DC is GBK 钢管.
    raw = b"https://www.sogou.com/web?query=\xb8\xd6\xb9\xdc"
    referrer = raw.decode("utf-8", "surrogateescape")
    assert classify(referrer, "", CHROME, PORTAL, AD_PATHS) == ("search", "Sogou", "钢管")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("%E9%92%A2%E7%AE%A1", "钢管"),
        ("%B8%D6%B9%DC", "钢管"),
        ("%FF%FE%FD", "\ufffd\ufffd\ufffd"),
        ("+", None),
        ("", None),
        ("a++b", "a b"),
    ],
)
def test_decode_keyword(value, expected):
    assert decode_keyword(value) == expected


def test_cache_bounded():
    classifier = TrafficClassifier(PORTAL, AD_PATHS, cache_size=3)
    for number in range(10):
        classifier.classify(f"https://site{number}.example/", "", CHROME)
    assert len(classifier._by_referrer) <= 3
    assert classifier.classify("https://site9.example/", "", CHROME) == ("referral", None, None)
