"""Catalogs: same keys and placeholders in both languages, every key the code uses exists,
unknown data codes fall back to the code, and amounts format as each language expects."""

from __future__ import annotations

import logging
import re
import string
from pathlib import Path

import pytest

import i18n
from dashboard.formatting import format_cny, health_reasons
from dashboard.tables import BANDS, HEALTH_SORTS, METRICS
from i18n import LANGUAGES, catalog, label, t, translate

REPO_ROOT = Path(__file__).resolve().parent.parent
SOURCES = [
    REPO_ROOT / "app.py",
    *sorted((REPO_ROOT / "views").glob("*.py")),
    *sorted((REPO_ROOT / "dashboard").glob("*.py")),
]
# t("key"...), translate(language, "key"...), page_header("key"...).
KEY_PATTERNS = [
    re.compile(r"""\bt\(\s*["']([^"'{}]+)["']"""),
    re.compile(r"""\btranslate\(\s*\w+\s*,\s*["']([^"'{}]+)["']"""),
    re.compile(r"""\bpage_header\(\s*["']([^"'{}]+)["']"""),
]
SOURCE_CLASSES = ("search", "internal", "social", "ad", "referral", "direct")


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field}


def keys_used_in_sources() -> set[str]:
    keys = set()
    for path in SOURCES:
        text = path.read_text(encoding="utf-8")
        for pattern in KEY_PATTERNS:
            keys.update(pattern.findall(text))
    return keys


def test_catalogs_have_same_keys():
    chinese, english = catalog("zh-CN"), catalog("en")
    assert sorted(set(chinese) - set(english)) == []
    assert sorted(set(english) - set(chinese)) == []


def test_placeholders_match():
    chinese, english = catalog("zh-CN"), catalog("en")
    mismatched = [
        key for key in chinese if placeholders(chinese[key]) != placeholders(english[key])
    ]
    assert mismatched == []


def test_scan_finds_keys():
    # Guards the scan itself: a broken pattern would find nothing and pass vacuously.
    used = keys_used_in_sources()
    assert "page.health.title" in used
    assert "health.reason_low" in used
    assert len(used) > 60


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_literal_key_exists(language):
    missing = sorted(keys_used_in_sources() - set(catalog(language)))
    assert missing == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_computed_keys_exist(language):
    keys = [f"metric.{m}" for m in METRICS] + [f"band.{b}" for b in BANDS]
    keys += [f"source.{s}" for s in SOURCE_CLASSES] + [f"sort.{s}" for s in HEALTH_SORTS]
    keys += [f"language.{code}" for code in LANGUAGES]
    keys += [
        f"setting.{k}"
        for k in ("window_days", "onboarding_days", "healthy_min", "watch_min", "fall_share")
    ]
    assert sorted(set(keys) - set(catalog(language))) == []


def test_missing_key_raises():
    with pytest.raises(KeyError, match=re.escape("no.such.key")):
        translate("zh-CN", "no.such.key")


def test_t_defaults_to_chinese_outside_streamlit():
    assert i18n.t("page.health.title") == "会员健康度"
    assert translate("en", "page.health.title") == "Member health"


def test_translate_formats_values():
    assert translate("zh-CN", "health.reason_low", metric="询价次数") == "低：询价次数"
    assert translate("en", "health.reason_fall", metric="Page views") == "fell: Page views"


def test_unknown_code_falls_back_and_warns_once(caplog):
    i18n._warned_codes.discard(("reason", "code_from_the_future"))
    with caplog.at_level(logging.WARNING, logger="i18n"):
        assert label("reason", "code_from_the_future", "zh-CN") == "code_from_the_future"
        assert label("reason", "code_from_the_future", "en") == "code_from_the_future"
    warnings = [r for r in caplog.records if "code_from_the_future" in r.getMessage()]
    assert len(warnings) == 1


def test_known_codes_translate():
    assert label("reason", "unparseable_line", "zh-CN") == "无法解析的行"
    assert label("band", "at_risk", "en") == "At risk"


@pytest.mark.parametrize(
    ("amount", "language", "expected"),
    [
        (39800, "zh-CN", "¥3.98万"),
        (120_000_000, "zh-CN", "¥1.2亿"),
        (120_000, "zh-CN", "¥12万"),
        (9800, "zh-CN", "¥9,800"),
        (10_000, "zh-CN", "¥1万"),
        # 99,999,999 rounds to 10000万, which reads as 1亿.
        (99_999_999, "zh-CN", "¥1亿"),
        (-39800, "zh-CN", "-¥3.98万"),
        (1200.5, "zh-CN", "¥1,200.50"),
        (39800, "en", "¥39,800"),
        (120_000_000, "en", "¥120,000,000"),
        (None, "zh-CN", "—"),
        (float("nan"), "en", "—"),
    ],
)
def test_format_cny(amount, language, expected):
    assert format_cny(amount, language) == expected


def test_health_reasons_text():
    assert health_reasons("inquiries", None, "zh-CN") == "低：询价次数"
    assert (
        health_reasons("page_views,contact_views", "page_views", "zh-CN")
        == "低：点击次数；低：联系方式查看次数；下降：点击次数"
    )
    assert health_reasons(None, "ad_clicks", "en") == "fell: Ad clicks"
    assert health_reasons(None, None, "en") == ""


def test_t_escapes_markdown_in_values():
    """Portal data in a caption must show as typed, not as a link, formula or emphasis."""
    segment = "工程$x^2$机械 **粗** [链接](http://127.0.0.1:1/) <b>华</b>_桂_"

    shown = t("app.portal", name=segment)

    assert shown == translate(
        "zh-CN",
        "app.portal",
        name=r"工程\$x^2\$机械 \*\*粗\*\* \[链接\](http://127.0.0.1:1/) \<b\>华\</b\>\_桂\_",
    )


def test_translate_keeps_values_for_tables():
    assert "a_b" in translate("en", "app.portal", name="a_b")
