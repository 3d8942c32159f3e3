"""Message catalogs (zh-CN default, en) and `t(key, **values)` for everything a user sees.

Each language has a folder (`i18n/zh-CN/`, `i18n/en/`) of TOML files, one per area of the
product, whose keys are written dotted (`band.healthy = "健康"`). They are merged into one flat
dictionary per language, and a key defined in two files of one language is an error. A
missing key raises KeyError, because it is a bug in the code. Codes that come from the data
(ETL reason codes, metric names, statuses) go through `label()`, which shows the code itself
when no catalog knows it yet.
"""

from __future__ import annotations

import logging
import re
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

import streamlit as st

logger = logging.getLogger(__name__)

LANGUAGES = ("zh-CN", "en")
DEFAULT_LANGUAGE = "zh-CN"
# Session-state key of the language switch in app.py.
LANGUAGE_KEY = "lang"

CATALOG_DIR = Path(__file__).resolve().parent

_warned_codes: set[tuple[str, str]] = set()

# Characters that start Markdown formatting, math or links in Streamlit text elements.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]$~<>|#])")


@cache
def catalog(language: str) -> dict[str, str]:
    """Merge the TOML files of `language` into a flat dictionary of dotted keys."""
    if language not in LANGUAGES:
        raise ValueError(f"Unknown language {language!r}; use one of {', '.join(LANGUAGES)}.")
    merged: dict[str, str] = {}
    for path in sorted((CATALOG_DIR / language).glob("*.toml")):
        with path.open("rb") as handle:
            messages = _flatten(tomllib.load(handle), "")
        duplicates = sorted(set(messages) & set(merged))
        if duplicates:
            raise ValueError(
                f"Message keys {', '.join(duplicates)} in {path} are already defined in another "
                f"file of i18n/{language}/; keep each key in one file."
            )
        merged.update(messages)
    return merged


def _flatten(node: dict[str, Any], prefix: str) -> dict[str, str]:
    flat: dict[str, str] = {}
    for name, value in node.items():
        key = f"{prefix}{name}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{key}."))
        else:
            flat[key] = str(value)
    return flat


def current_language() -> str:
    """Return the language chosen in the session, or the default outside a Streamlit run."""
    if not st.runtime.exists():
        return DEFAULT_LANGUAGE
    language = st.session_state.get(LANGUAGE_KEY, DEFAULT_LANGUAGE)
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def translate(language: str, key: str, **values: Any) -> str:
    """Format the message `key` of `language` with str.format; raise KeyError if missing."""
    messages = catalog(language)
    if key not in messages:
        raise KeyError(f"Message key {key!r} is missing from the i18n/{language}/ catalogs.")
    return messages[key].format(**values) if values else messages[key]


def t(key: str, **values: Any) -> str:
    """Format the message `key` in the session's language, for a Streamlit element.

    Streamlit renders captions, alerts and labels as Markdown, so text values from the data
    (company names, reps, segments) are escaped and show as typed instead of turning into
    links, formulas or emphasis. Tables and exports use `translate`, which does not escape.
    """
    plain = {name: _escape_markdown(value) for name, value in values.items()}
    return translate(current_language(), key, **plain)


def _escape_markdown(value: Any) -> Any:
    return _MARKDOWN_SPECIAL.sub(r"\\\1", value) if isinstance(value, str) else value


def has_key(key: str, language: str | None = None) -> bool:
    return key in catalog(language or current_language())


def label(prefix: str, code: str, language: str | None = None) -> str:
    """Translate a data code such as `reason.unparseable_line`; show the code if unknown.

    The ETL may add reason codes before the catalogs know them, so an unknown code is shown
    as it is and logged once per prefix and code.
    """
    language = language or current_language()
    key = f"{prefix}.{code}"
    if key in catalog(language):
        return catalog(language)[key]
    if (prefix, code) not in _warned_codes:
        _warned_codes.add((prefix, code))
        logger.warning("No catalog entry %s in i18n/%s.toml; showing the code.", key, language)
    return code
