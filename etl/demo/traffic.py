"""Visitors of the demo portal: client addresses, user agents, referrers and search keywords."""

from __future__ import annotations

import random
from dataclasses import dataclass
from urllib.parse import quote

from etl.demo import catalog

HOME = f"https://{catalog.PORTAL_HOST}"
MOBILE_HOME = f"https://{catalog.PORTAL_MOBILE_HOST}"

# First octets of address blocks that Chinese ISPs announce.
IPV4_PREFIXES = (
    27,
    36,
    39,
    42,
    58,
    59,
    60,
    61,
    101,
    106,
    110,
    111,
    112,
    113,
    114,
    115,
    116,
    117,
    118,
    119,
    120,
    121,
    122,
    123,
    124,
    125,
    171,
    175,
    180,
    182,
    183,
    202,
    211,
    218,
    219,
    221,
    223,
)
# IPv6 prefixes of China Telecom, China Mobile and China Unicom mobile networks.
IPV6_PREFIXES = ("240e", "2409", "2408")

_DESKTOP = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/{v}.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/{v}.0.0.0 Safari/537.36 Edg/{v}.0.0.0",
    "Mozilla/5.0 (Windows NT 10.0; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/108.0.0.0 Safari/537.36 QIHU 360SE",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/{v}.0.0.0 Safari/537.36 Core/1.94.{n}.400 QQBrowser/12.{n}.0.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:{v}.0) Gecko/20100101 Firefox/{v}.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.{n} Safari/605.1.15",
)
_MOBILE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_{n} like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.{n} Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 13; V2{n}A) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/{v}.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 12; HarmonyOS; NOH-AN{n}; HMSCore 6.13.0.302) "
    "AppleWebKit/537.36 (KHTML, like Gecko) Chrome/99.0.4844.88 HuaweiBrowser/14.0.{n}.300 "
    "Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; U; Android 11; zh-CN; PDEM{n} Build/RKQ1.200903.002) "
    "AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/100.0.4896.58 "
    "UCBrowser/15.5.{n}.1221 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 12; V2154A; wv) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Version/4.0 Chrome/97.0.4692.98 Mobile Safari/537.36 T7/13.32 SP-engine/2.70.0 "
    "baiduboxapp/13.{n}.0.10 (Baidu; P1 12) NABar/1.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 AliApp(DingTalk/7.0.{n}) com.laiwang.DingTalk/31045395 "
    "Channel/201200 language/zh-Hans-CN WK",
    "Mozilla/5.0 (Linux; U; Android 13; zh-cn; M2012K11AC Build/TKQ1.220829.002) "
    "AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/109.0.5414.118 "
    "Mobile Safari/537.36 XiaoMi/MiuiBrowser/18.{n}.10",
)
_WECHAT = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_{n} like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.{n}(0x18003{n}2c) NetType/WIFI "
    "Language/zh_CN",
    "Mozilla/5.0 (Linux; Android 13; PGT-AN{n} Build/HONORPGT-AN10; wv) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Version/4.0 Chrome/107.0.5304.141 Mobile Safari/537.36 XWEB/5{n}9 "
    "MMWEBSDK/20231202 MicroMessenger/8.0.{n}.2540(0x28002D3B) WeChat/arm64 Weixin "
    "NetType/4G Language/zh_CN ABI/arm64",
)

# (name shown in reports, user agent, address prefix, weight)
CRAWLERS = (
    (
        "Baiduspider",
        "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)",
        "220.181.108.",
        0.25,
    ),
    (
        "Baiduspider",
        "Mozilla/5.0 (Linux;u;Android 4.2.2;zh-cn;) AppleWebKit/534.46 (KHTML,like "
        "Gecko) Version/5.1 Mobile Safari/10600.6.3 (compatible; Baiduspider/2.0; "
        "+http://www.baidu.com/search/spider.html)",
        "116.179.37.",
        0.1,
    ),
    (
        "Bytespider",
        "Mozilla/5.0 (Linux; Android 5.0) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Mobile Safari/537.36 (compatible; Bytespider; spider-feedback@bytedance.com)",
        "110.249.201.",
        0.18,
    ),
    (
        "YisouSpider",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 10_3 like Mac OS X) AppleWebKit/602.1.50 "
        "(KHTML, like Gecko) CriOS/56.0.2924.75 Mobile/14E5239e YisouSpider/5.0 Safari/602.1",
        "42.156.137.",
        0.1,
    ),
    (
        "360Spider",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like "
        "Gecko) Chrome/91.0.4472.124 Safari/537.36; 360Spider",
        "42.236.10.",
        0.08,
    ),
    (
        "Sogou web spider",
        "Sogou web spider/4.0(+http://www.sogou.com/docs/help/webmasters.htm#07)",
        "123.126.113.",
        0.08,
    ),
    (
        "Googlebot",
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "66.249.66.",
        0.07,
    ),
    (
        "bingbot",
        "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
        "40.77.167.",
        0.07,
    ),
    (
        "AhrefsBot",
        "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
        "51.222.253.",
        0.04,
    ),
)
CRAWLER_WEIGHTS = tuple(crawler[3] for crawler in CRAWLERS)

SCANNER_AGENTS = ("Mozilla/5.0 zgrab/0.x", "curl/8.4.0", "-")

SOURCE_CLASSES = ("search", "internal", "social", "ad", "referral", "direct")
SOURCE_WEIGHTS = (0.42, 0.24, 0.09, 0.07, 0.06, 0.12)

SEARCH_ENGINES = (
    ("baidu", 0.30),
    ("baidu_mobile", 0.25),
    ("baidu_link", 0.12),
    ("so", 0.09),
    ("sogou", 0.08),
    ("shenma", 0.08),
    ("bing", 0.05),
    ("google", 0.03),
)
REFERRAL_SITES = (
    "https://bbs.jixiezhijia-demo.cn/thread-{n}-1-1.html",
    "https://www.xuanxing-demo.com/article/{n}.html",
    "http://www.zhaobiao-demo.cn/info/{n}.html",
    "https://baike.shebei-demo.org/item/{n}",
)


@dataclass(frozen=True)
class Visitor:
    address: str
    agent: str
    mobile: bool


def new_visitor(rng: random.Random, wechat: bool = False) -> Visitor:
    """Draw a browser visitor; `wechat` gives WeChat's in-app browser."""
    if wechat:
        template, mobile = rng.choice(_WECHAT), True
    elif rng.random() < 0.55:
        template, mobile = rng.choice(_MOBILE), True
    else:
        template, mobile = rng.choice(_DESKTOP), False
    agent = template.format(v=rng.randint(112, 131), n=rng.randint(1, 60))
    return Visitor(client_address(rng, mobile), agent, mobile)


def client_address(rng: random.Random, mobile: bool) -> str:
    """Draw an address in a Chinese ISP block; one mobile visitor in four comes over IPv6."""
    if mobile and rng.random() < 0.25:
        groups = ":".join(f"{rng.randint(0, 0xFFFF):x}" for _ in range(3))
        return f"{rng.choice(IPV6_PREFIXES)}:{groups}::{rng.randint(1, 0xFFFF):x}"
    return (
        f"{rng.choice(IPV4_PREFIXES)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}."
        f"{rng.randint(1, 254)}"
    )


def search_referrer(keyword: str, rng: random.Random) -> str:
    """Build a search engine's result-page URL; Baidu's /link URLs and Google carry no keyword."""
    engines, weights = zip(*SEARCH_ENGINES, strict=True)
    engine = rng.choices(engines, weights=weights)[0]
    encoded = quote(keyword)
    if engine == "baidu":
        if rng.random() < 0.02:
            # Older Baidu result pages still send GBK-encoded keywords.
            return f"https://www.baidu.com/s?wd={quote(keyword.encode('gbk'))}&ie=gbk"
        if rng.random() < 0.01:
            # A client that sent raw UTF-8: nginx logs bytes outside ASCII as \xHH.
            raw = "".join(f"\\x{byte:02X}" for byte in keyword.encode())
            return f"https://www.baidu.com/s?wd={raw}&ie=utf-8"
        return f"https://www.baidu.com/s?wd={encoded}&rsv_spt=1&ie=utf-8"
    if engine == "baidu_mobile":
        return f"https://m.baidu.com/s?word={encoded}&sa=ib&ms=1"
    if engine == "baidu_link":
        token = "".join(rng.choices("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_-", k=43))
        return f"https://www.baidu.com/link?url={token}&wd=&eqid={rng.getrandbits(64):016x}"
    if engine == "so":
        return f"https://www.so.com/s?q={encoded}&src=srp&fr=none"
    if engine == "sogou":
        return f"https://www.sogou.com/web?query={encoded}&ie=utf8"
    if engine == "shenma":
        return f"https://m.sm.cn/s?q={encoded}&from=wm{rng.randint(100000, 999999)}"
    if engine == "bing":
        return f"https://cn.bing.com/search?q={encoded}&form=QBLH"
    return "https://www.google.com/"


def internal_referrer(segment: catalog.Segment, keyword: str, rng: random.Random) -> str:
    """Build the URL of a portal page that lists shops: search, category, home or news."""
    host = MOBILE_HOME if rng.random() < 0.3 else HOME
    draw = rng.random()
    if draw < 0.4:
        return f"{host}/search?kw={quote(keyword)}"
    if draw < 0.7:
        return f"{host}/category/{segment.slug}/"
    if draw < 0.85:
        return f"{host}/"
    return f"{host}/news/{rng.randint(10000, 39999)}.html"


def social_referrer(rng: random.Random) -> str:
    draw = rng.random()
    if draw < 0.6:
        return "-"
    if draw < 0.85:
        return "https://mp.weixin.qq.com/"
    return f"https://weibo.com/{rng.randint(1000000000, 7999999999)}/N{rng.randint(100, 999)}"


def referral_referrer(rng: random.Random) -> str:
    return rng.choice(REFERRAL_SITES).format(n=rng.randint(1000, 99999))


def search_keyword(
    segment: catalog.Segment, company_name: str, city: str, rng: random.Random
) -> str:
    """Draw a keyword that leads a buyer to this shop: a product, the company, city and product."""
    draw = rng.random()
    if draw < 0.5:
        return rng.choice(segment.keywords)
    if draw < 0.7:
        return company_name
    if draw < 0.9:
        return f"{city}{rng.choice(segment.keywords)}"
    return rng.choice(catalog.GENERIC_KEYWORDS)
