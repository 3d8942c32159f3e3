"""Company names and unified social credit codes: normalise for matching, validate codes.

Two records name the same company when their credit codes agree, or, without codes, when
their names agree after `split_company_name` has folded width, brackets, spaces and
punctuation and has cut the legal-form suffix and the leading place names. The place names
cut off are kept, so that 徐州恒达机械 and 苏州恒达机械 are not taken for one company.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# GB 32100-2015: the 31 characters of a credit code, digits and capitals without I O Z S V.
CREDIT_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
# Weight of each of the first 17 positions: 3**i mod 31.
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
CREDIT_CODE_LENGTH = 18

# Longest first, so 股份有限公司 is cut whole and not as 有限公司 after 股份.
LEGAL_FORM_SUFFIXES = (
    "股份有限公司",
    "有限责任公司",
    "股份合作公司",
    "有限公司",
    "股份公司",
    "公司",
)

# Provinces and province-level cities with their official suffixes; both forms match.
PROVINCES = (
    ("北京", "市"),
    ("天津", "市"),
    ("上海", "市"),
    ("重庆", "市"),
    ("河北", "省"),
    ("山西", "省"),
    ("辽宁", "省"),
    ("吉林", "省"),
    ("黑龙江", "省"),
    ("江苏", "省"),
    ("浙江", "省"),
    ("安徽", "省"),
    ("福建", "省"),
    ("江西", "省"),
    ("山东", "省"),
    ("河南", "省"),
    ("湖北", "省"),
    ("湖南", "省"),
    ("广东", "省"),
    ("海南", "省"),
    ("四川", "省"),
    ("贵州", "省"),
    ("云南", "省"),
    ("陕西", "省"),
    ("甘肃", "省"),
    ("青海", "省"),
    ("台湾", "省"),
    ("内蒙古", "自治区"),
    ("广西", "壮族自治区"),
    ("西藏", "自治区"),
    ("宁夏", "回族自治区"),
    ("新疆", "维吾尔自治区"),
    ("香港", "特别行政区"),
    ("澳门", "特别行政区"),
)

# Prefecture-level cities where most machinery makers sit. A city missing here stays part of
# the name, which makes matching stricter, never looser.
CITIES = (
    "石家庄 唐山 秦皇岛 邯郸 邢台 保定 张家口 承德 沧州 廊坊 衡水 太原 大同 长治 晋城 临汾 "
    "沈阳 大连 鞍山 抚顺 本溪 丹东 锦州 营口 辽阳 铁岭 长春 吉林 四平 哈尔滨 齐齐哈尔 大庆 "
    "牡丹江 南京 无锡 徐州 常州 苏州 南通 连云港 淮安 盐城 扬州 镇江 泰州 宿迁 昆山 江阴 "
    "张家港 常熟 杭州 宁波 温州 嘉兴 湖州 绍兴 金华 衢州 舟山 台州 丽水 义乌 合肥 芜湖 蚌埠 "
    "淮南 马鞍山 安庆 滁州 阜阳 福州 厦门 莆田 泉州 漳州 南昌 景德镇 九江 赣州 济南 青岛 "
    "淄博 枣庄 东营 烟台 潍坊 济宁 泰安 威海 日照 临沂 德州 聊城 滨州 菏泽 郑州 开封 洛阳 "
    "平顶山 安阳 新乡 焦作 许昌 漯河 南阳 商丘 信阳 周口 驻马店 武汉 黄石 十堰 宜昌 襄阳 "
    "荆州 长沙 株洲 湘潭 衡阳 岳阳 常德 广州 深圳 珠海 汕头 佛山 江门 湛江 肇庆 惠州 东莞 "
    "中山 南宁 柳州 桂林 海口 成都 自贡 绵阳 德阳 宜宾 贵阳 遵义 昆明 西安 宝鸡 咸阳 兰州 "
    "西宁 银川 乌鲁木齐 呼和浩特 包头 鄂尔多斯"
).split()

_PLACE_PREFIXES: tuple[tuple[str, str], ...] = tuple(
    sorted(
        [(name + suffix, name) for name, suffix in PROVINCES]
        + [(name, name) for name, _ in PROVINCES]
        + [(city + "市", city) for city in CITIES]
        + [(city, city) for city in CITIES],
        key=lambda pair: -len(pair[0]),
    )
)
_PLACE_NAMES = frozenset(name for _, name in _PLACE_PREFIXES) | frozenset(
    text for text, _ in _PLACE_PREFIXES
)

_OPEN_BRACKETS = "([{【〔〖「『<《"
_CLOSE_BRACKETS = ")]}】〕〗」』>》"
_BRACKETED = re.compile(
    rf"[{re.escape(_OPEN_BRACKETS)}]([^{re.escape(_CLOSE_BRACKETS)}]*)"
    rf"[{re.escape(_CLOSE_BRACKETS)}]"
)
# Whitespace, punctuation and symbols: anything that is not a letter or a digit.
_NOT_WORD = re.compile(r"[\W_]+")


@dataclass(frozen=True)
class CompanyName:
    """A name split for matching: the core that must agree, and the place names cut off."""

    core: str
    places: frozenset[str]


def split_company_name(name: str) -> CompanyName:
    """Split a company name into its matching core and its place names.

    Steps: NFKC (full-width letters, digits and brackets become half-width) and case folding;
    a bracketed place name such as （北京） moves to the places, other bracket characters are
    dropped but their text is kept; spaces and punctuation go; one legal-form suffix is cut;
    then leading province and city names move to the places, as long as some core is left.
    """
    text = unicodedata.normalize("NFKC", name).casefold()
    places: set[str] = set()

    def bracketed(match: re.Match[str]) -> str:
        inner = _NOT_WORD.sub("", match.group(1))
        if inner in _PLACE_NAMES:
            places.add(_place_name(inner))
            return ""
        return inner

    text = _NOT_WORD.sub("", _BRACKETED.sub(bracketed, text))
    text = _cut_legal_form(text)
    core, leading = _cut_leading_places(text)
    return CompanyName(core=core, places=frozenset(places | leading))


def normalise_company_name(name: str) -> str:
    """Return the matching core of a company name (see split_company_name)."""
    return split_company_name(name).core


def _cut_legal_form(text: str) -> str:
    for suffix in LEGAL_FORM_SUFFIXES:
        if text.endswith(suffix) and len(text) > len(suffix):
            return text[: -len(suffix)]
    return text


def _cut_leading_places(text: str) -> tuple[str, set[str]]:
    """Cut place names from the front while a core of two or more characters remains."""
    places: set[str] = set()
    while True:
        for prefix, place in _PLACE_PREFIXES:
            if text.startswith(prefix) and len(text) - len(prefix) >= 2:
                places.add(place)
                text = text[len(prefix) :]
                break
        else:
            return text, places


def _place_name(text: str) -> str:
    for prefix, place in _PLACE_PREFIXES:
        if text == prefix:
            return place
    return text


def province_name(value: object) -> str | None:
    """Return a province or city as a place name without its suffix (江苏省 -> 江苏), or None."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    text = _NOT_WORD.sub("", unicodedata.normalize("NFKC", str(value)))
    return _place_name(text) if text else None


def places_conflict(first: CompanyName, second: CompanyName) -> bool:
    """Tell whether both names carry place names and none of them is shared."""
    return bool(first.places and second.places and not first.places & second.places)


def clean_credit_code(value: object) -> str | None:
    """Return the code in canonical form (NFKC, upper case, no spaces), or None when empty."""
    if value is None:
        return None
    text = "".join(unicodedata.normalize("NFKC", str(value)).upper().split())
    return text or None


def credit_code_check_char(first17: str) -> str:
    """Compute the 18th character of a credit code from its first 17 (GB 32100-2015).

    check = 31 - (sum of value × weight mod 31), where 31 maps to 0.
    """
    if len(first17) != CREDIT_CODE_LENGTH - 1:
        raise ValueError(f"expected the first 17 characters of a credit code, got {first17!r}")
    total = 0
    for char, weight in zip(first17, CREDIT_CODE_WEIGHTS, strict=True):
        position = CREDIT_CODE_CHARS.find(char)
        if position < 0:
            raise ValueError(
                f"character {char!r} in {first17!r} is not allowed in a credit code; "
                f"use digits and capitals other than I, O, Z, S and V"
            )
        total += position * weight
    return CREDIT_CODE_CHARS[(31 - total % 31) % 31]


def credit_code_problem(value: object) -> str | None:
    """Return why a credit code is invalid (a reason code), or None when it is valid."""
    code = clean_credit_code(value)
    if code is None:
        return "missing_value"
    if len(code) != CREDIT_CODE_LENGTH:
        return "credit_code_length"
    if any(char not in CREDIT_CODE_CHARS for char in code):
        return "credit_code_character"
    if credit_code_check_char(code[:17]) != code[17]:
        return "credit_code_check"
    return None


def is_valid_credit_code(value: object) -> bool:
    """Tell whether `value` is an 18-character credit code whose check character agrees."""
    return credit_code_problem(value) is None
