"""Referrer, request query and user agent to a traffic-source class, search engine and keyword.

Classes, as docs/warehouse.md defines them: `search`, `internal`, `social`, `ad`, `referral`,
`direct`. A referrer may arrive with raw bytes that are not UTF-8. The access-log reader decodes
it with `surrogateescape`, and keywords are decoded from those bytes again here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import unquote_to_bytes

SEARCH = "search"
INTERNAL = "internal"
SOCIAL = "social"
AD = "ad"
REFERRAL = "referral"
DIRECT = "direct"

Source = tuple[str, str | None, str | None]


@dataclass(frozen=True)
class SearchEngine:
    """A search engine: its name, the host suffixes it serves and its keyword parameters."""

    name: str
    hosts: tuple[str, ...]
    keyword_params: tuple[str, ...]


SEARCH_ENGINES: tuple[SearchEngine, ...] = (
    # www.baidu.com sends wd=, m.baidu.com and wap.baidu.com send word=. Most modern Baidu
    # referrers are /link?url=... redirects that carry no keyword at all.
    # Other baidu.com hosts (tieba, zhidao, baike) are Baidu's forums and wiki, not search.
    SearchEngine("Baidu", ("www.baidu.com", "m.baidu.com", "wap.baidu.com"), ("wd", "word")),
    SearchEngine("360", ("so.com", "so.360.cn", "haosou.com"), ("q",)),
    SearchEngine("Sogou", ("sogou.com",), ("query", "keyword")),
    SearchEngine("Shenma", ("sm.cn",), ("q",)),
    SearchEngine("Bing", ("bing.com",), ("q",)),
    SearchEngine(
        "Yandex",
        ("yandex.ru", "yandex.com", "yandex.com.tr", "yandex.by", "yandex.kz", "yandex.ua"),
        ("text",),
    ),
    SearchEngine("DuckDuckGo", ("duckduckgo.com",), ("q",)),
    # Toutiao's search; its other hosts are the news feed, social traffic.
    SearchEngine("Toutiao", ("so.toutiao.com",), ("keyword",)),
    SearchEngine("Yahoo", ("search.yahoo.com", "search.yahoo.co.jp"), ("p",)),
)

# Google serves search from google.<country TLD> and google.com(.xx) / google.co(.xx).
GOOGLE_HOST = re.compile(r"(?:^|\.)google\.(?:com?\.)?[a-z]{2,3}$")

# Hosts, and the Android package names that apps send as `android-app://<package>`.
SOCIAL_HOSTS: tuple[tuple[str, str], ...] = (
    ("weixin.qq.com", "WeChat"),
    ("wx.qq.com", "WeChat"),
    ("servicewechat.com", "WeChat"),  # WeChat mini programs
    ("com.tencent.mm", "WeChat"),
    ("com.sina.weibo", "Weibo"),
    ("com.ss.android.ugc.aweme", "Douyin"),
    ("com.ss.android.article.news", "Toutiao"),
    ("weibo.com", "Weibo"),
    ("weibo.cn", "Weibo"),
    ("t.cn", "Weibo"),
    ("douyin.com", "Douyin"),
    ("iesdouyin.com", "Douyin"),
    ("toutiao.com", "Toutiao"),
)

# WeChat's in-app browser often sends no referrer at all, so its agent marks social traffic.
WECHAT_AGENT_MARK = "MicroMessenger"

UTM_PARAM = re.compile(r"(?:^|[&;])utm_[A-Za-z]+=", re.IGNORECASE)
REFERRER_URL = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+.-]*:)?//([^/?#]*)([^?#]*)(?:\?([^#]*))?")


def classify(
    referrer: str,
    request_query: str,
    user_agent: str,
    portal_hosts: Iterable[str],
    ad_click_paths: Iterable[str],
) -> Source:
    """Return (source_class, search_engine, keyword) for one request.

    `search_engine` is set for `search` only and `keyword` only when the referrer carries one.
    """
    classifier = _classifier_for(tuple(portal_hosts), tuple(ad_click_paths))
    return classifier.classify(referrer, request_query, user_agent)


@lru_cache(maxsize=16)
def _classifier_for(portal_hosts: tuple[str, ...], ad_click_paths: tuple[str, ...]):
    return TrafficClassifier(portal_hosts, ad_click_paths)


class TrafficClassifier:
    """Classifier for one portal, with caches by referrer and by referrer host.

    The caches are cleared when they reach `cache_size` entries, so memory stays bounded on
    logs with millions of distinct referrers.
    """

    def __init__(
        self,
        portal_hosts: Iterable[str],
        ad_click_paths: Iterable[str],
        cache_size: int = 200_000,
    ) -> None:
        self.portal_hosts = tuple(host.lower().strip(".") for host in portal_hosts if host)
        self.ad_click_paths = tuple(path for path in ad_click_paths if path)
        self.cache_size = cache_size
        self._by_referrer: dict[str, Source] = {}
        self._by_host: dict[str, tuple[str, SearchEngine | str | None]] = {}

    def classify(self, referrer: str, request_query: str, user_agent: str) -> Source:
        """Return (source_class, search_engine, keyword) for one request."""
        if request_query and UTM_PARAM.search(request_query):
            return (AD, None, None)

        source = self.classify_referrer(referrer)
        if source[0] in (DIRECT, REFERRAL) and WECHAT_AGENT_MARK in user_agent:
            return (SOCIAL, None, None)
        return source

    @staticmethod
    def is_wechat(user_agent: str) -> bool:
        """Return whether the agent is WeChat's in-app browser."""
        return WECHAT_AGENT_MARK in user_agent

    def classify_referrer(self, referrer: str) -> Source:
        """Classify by referrer alone: no `utm_` check and no WeChat agent check."""
        cached = self._by_referrer.get(referrer)
        if cached is not None:
            return cached

        source = self._classify_referrer_uncached(referrer)
        if len(self._by_referrer) >= self.cache_size:
            self._by_referrer.clear()
        self._by_referrer[referrer] = source
        return source

    def _classify_referrer_uncached(self, referrer: str) -> Source:
        referrer = referrer.strip()
        if referrer in ("", "-"):
            return (DIRECT, None, None)

        match = REFERRER_URL.match(referrer)
        if match is None:
            # Not a URL (an app name, "android-app://...", garbage): some other site or app.
            return (REFERRAL, None, None)
        host = _normalize_host(match.group(1))
        path = match.group(2) or "/"
        query = match.group(3) or ""

        kind, detail = self._host_kind(host)
        if kind == INTERNAL:
            if any(path.startswith(prefix) for prefix in self.ad_click_paths):
                return (AD, None, None)
            return (INTERNAL, None, None)
        if kind == SEARCH:
            assert isinstance(detail, SearchEngine)
            return (SEARCH, detail.name, find_keyword(query, detail.keyword_params))
        return (kind, None, None)

    def _host_kind(self, host: str) -> tuple[str, SearchEngine | str | None]:
        cached = self._by_host.get(host)
        if cached is not None:
            return cached

        kind = self._host_kind_uncached(host)
        if len(self._by_host) >= self.cache_size:
            self._by_host.clear()
        self._by_host[host] = kind
        return kind

    def _host_kind_uncached(self, host: str) -> tuple[str, SearchEngine | str | None]:
        if any(_host_in(host, portal) for portal in self.portal_hosts):
            return (INTERNAL, None)
        for engine in SEARCH_ENGINES:
            if any(_host_in(host, suffix) for suffix in engine.hosts):
                return (SEARCH, engine)
        if GOOGLE_HOST.search(host):
            return (SEARCH, GOOGLE)
        for suffix, platform in SOCIAL_HOSTS:
            if _host_in(host, suffix):
                return (SOCIAL, platform)
        return (REFERRAL, None)


GOOGLE = SearchEngine("Google", (), ("q",))


def find_keyword(query: str, params: tuple[str, ...]) -> str | None:
    """Return the first non-empty value of `params` in `query`, percent-decoded."""
    values: dict[str, str] = {}
    for pair in query.split("&"):
        name, _, value = pair.partition("=")
        if name in params and name not in values:
            values[name] = value
    for name in params:
        keyword = decode_keyword(values.get(name, ""))
        if keyword:
            return keyword
    return None


def decode_keyword(value: str) -> str | None:
    """Percent-decode a query value: UTF-8 first, then GB18030, else UTF-8 with U+FFFD.

    Chinese engines sent GBK keywords for years (Baidu's `ie=gbk`), and GB18030 is a superset
    of GBK. Raw non-ASCII bytes carried in as surrogate escapes are decoded the same way.
    """
    if not value:
        return None
    raw = value.replace("+", " ").encode("utf-8", "surrogateescape")
    data = unquote_to_bytes(raw)
    for encoding in ("utf-8", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        text = data.decode("utf-8", "replace")
    text = " ".join(text.split())
    return text or None


# Hosts that redirect to another and are read as it: baidu.com serves www.baidu.com's search,
# while its other subdomains (tieba, zhidao) are no search.
HOST_ALIASES = {"baidu.com": "www.baidu.com"}


def _normalize_host(netloc: str) -> str:
    host = netloc.rpartition("@")[2]
    if host.startswith("["):
        return host.partition("]")[0][1:].lower()
    host = host.partition(":")[0].lower().rstrip(".")
    return HOST_ALIASES.get(host, host)


def _host_in(host: str, domain: str) -> bool:
    """Return whether `host` is `domain` or one of its subdomains."""
    return host == domain or host.endswith("." + domain)
