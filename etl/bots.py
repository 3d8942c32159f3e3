"""Crawler detection by user agent (the crawlerdetect package) and by robots.txt fetches.

crawlerdetect 0.4.2 strips browser tokens (Mozilla, Safari, Chrome, ...) from the agent and
then matches one large pattern of known crawlers, ending with a generic
`[a-z0-9_-]*(bot|crawl|spider|...)`. It reports the matched text ("Sogou web", "Yandex",
"MJ12bot"), so the main engines' crawlers are given one family name here. Chinese in-app
browsers that mention an engine (baiduboxapp, DingTalk, UC Browser, MicroMessenger,
QQBrowser) do not match it; tests/test_bots.py pins those cases.
"""

from __future__ import annotations

import re

from crawlerdetect import CrawlerDetect

USER_AGENT = "user_agent"
ROBOTS_TXT = "robots_txt"

# First match wins; checked only on agents crawlerdetect already reports as crawlers.
FAMILIES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern, re.IGNORECASE))
    for name, pattern in (
        ("Baiduspider", r"baiduspider"),
        ("360Spider", r"360spider|haosouspider"),
        ("Sogou", r"sogou\w* ?(web|inst|pic|news|video|orion)? ?spider"),
        ("YisouSpider", r"yisouspider"),
        ("Bytespider", r"bytespider"),
        ("Googlebot", r"googlebot|google-inspectiontool|adsbot-google|mediapartners-google"),
        ("bingbot", r"bingbot|bingpreview|msnbot"),
        ("YandexBot", r"yandex"),
        ("Yahoo Slurp", r"slurp"),
        ("DuckDuckBot", r"duckduckbot"),
        ("Applebot", r"applebot"),
        ("PetalBot", r"petalbot"),
    )
)

# A client found only by its robots.txt fetch: its agent's first product token names it,
# unless that token is the generic "Mozilla".
PRODUCT_TOKEN = re.compile(r"^\s*([A-Za-z][\w.!+-]*)")
UNIDENTIFIED = "unidentified"


# crawlerdetect's patterns take time that grows with the square of the agent's length (0.15 s
# at 1,000 characters, 2 s at 4,000 measured here), so only the start of an agent is checked.
# Crawlers name themselves within it: their agents run to about 250 characters.
AGENT_CHECK_CHARS = 512


class BotDetector:
    """Crawler check by user agent, cached per distinct agent.

    The cache is cleared when it reaches `cache_size` entries, so memory stays bounded.
    """

    def __init__(self, cache_size: int = 100_000) -> None:
        self._detector = CrawlerDetect()
        self._cache: dict[str, str | None] = {}
        self.cache_size = cache_size

    def bot_name(self, user_agent: str) -> str | None:
        """Return the crawler family for `user_agent`, or None for a browser or an empty agent."""
        if user_agent in self._cache:
            return self._cache[user_agent]

        name = self._classify(user_agent)
        if len(self._cache) >= self.cache_size:
            self._cache.clear()
        self._cache[user_agent] = name
        return name

    def _classify(self, user_agent: str) -> str | None:
        agent = user_agent.strip()[:AGENT_CHECK_CHARS]
        if agent in ("", "-") or not self._detector.is_crawler(agent):
            return None

        for family, pattern in FAMILIES:
            if pattern.search(agent):
                return family
        return token_name(agent, self._detector.get_matches())


def token_name(agent: str, matched: str | None) -> str:
    """Return the agent token around crawlerdetect's match, without its version.

    The match is often part of a token ("org_bot" in "archive.org_bot", "magpie-crawl" in
    "magpie-crawler/1.1"), so the whole token names the crawler better.
    """
    if not matched:
        return UNIDENTIFIED
    start = agent.lower().find(matched.lower())
    if start < 0:
        return matched
    end = start + len(matched)
    while start > 0 and agent[start - 1] not in TOKEN_BREAKS:
        start -= 1
    while end < len(agent) and agent[end] not in TOKEN_BREAKS:
        end += 1
    name = agent[start:end].partition("/")[0].strip("+-_.:,")
    return name or matched


TOKEN_BREAKS = frozenset(' ;()[],"')

_DEFAULT = BotDetector()


def bot_name(user_agent: str) -> str | None:
    """Return the crawler family for `user_agent` from a shared cached detector, else None."""
    return _DEFAULT.bot_name(user_agent)


def robots_client_name(user_agent: str) -> str:
    """Return a name for a client that fetched /robots.txt but whose agent is not a known bot."""
    match = PRODUCT_TOKEN.match(user_agent)
    if match is None or match.group(1).lower() == "mozilla":
        return UNIDENTIFIED
    return match.group(1)
