"""The demo's lists of known enterprises: a GBK CSV directory and an xlsx association list.

Most registered companies appear under a variant of their name (city left off, province put
in front, another legal-form suffix, spaces), often with their credit code. Companies that
never registered are added per segment: many in the under-covered segments, and a few big
ones in every segment. A few rows name a trade name that two registered companies share, so
the review list has something to show.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import random
from dataclasses import dataclass
from pathlib import Path

import xlsxwriter

from etl.company_names import CREDIT_CODE_CHARS, credit_code_check_char, split_company_name
from etl.demo import catalog
from etl.demo.config_file import UNIVERSE_CSV_FILE, UNIVERSE_SEGMENT_NAMES, UNIVERSE_XLSX_FILE
from etl.demo.scenario import Portal

logger = logging.getLogger(__name__)

CSV_FILE = UNIVERSE_CSV_FILE
XLSX_FILE = UNIVERSE_XLSX_FILE
HEADERS = ("企业名称", "行业", "省份", "注册资本", "员工人数", "统一社会信用代码")
XLSX_HEADERS = ("序号", "统一社会信用代码", "企业名称", "行业", "省份", "员工人数", "注册资本")
# Segments the portal has barely reached: the lists know many more companies there.
UNDER_COVERED = ("矿山机械", "纺织机械", "食品机械")
# The directory calls some segments by a longer name; portal.toml maps them back.
LIST_SEGMENT_NAMES = {portal: listed for listed, portal in UNIVERSE_SEGMENT_NAMES.items()}
BIG_UNREGISTERED_PER_SEGMENT = 4
WORKBOOK_CREATED = dt.datetime(2025, 1, 1, 9, 0, 0)


@dataclass(frozen=True)
class Profile:
    """What a registry knows of a company: credit code, capital in 万元 and staff."""

    credit_code: str
    capital_wan: float
    staff: int


@dataclass(frozen=True)
class ListRow:
    name: str
    segment: str
    province: str
    profile: Profile
    show_code: bool


def company_profiles(count: int, seed: int) -> list[Profile]:
    """Draw one profile per company position; one company in twenty is big."""
    rng = random.Random(f"demo:{seed}:profiles")
    return [_profile(rng, big=rng.random() < 0.05) for _ in range(count)]


def _profile(rng: random.Random, big: bool) -> Profile:
    if big:
        capital = rng.choice((5000, 8000, 12000, 30000, 50000, 120000))
        staff = rng.randint(300, 5000)
    else:
        capital = rng.choice((50, 100, 200, 300, 500, 800, 1000, 2000))
        staff = rng.randint(8, 280)
    return Profile(credit_code(rng), float(capital), staff)


def credit_code(rng: random.Random) -> str:
    """Draw a valid unified social credit code of an enterprise (91 + region + org code)."""
    region = rng.choice(("320300", "320500", "330200", "370200", "440300", "410700", "110108"))
    org = "".join(rng.choice(CREDIT_CODE_CHARS) for _ in range(9))
    first17 = f"91{region}{org}"
    return first17 + credit_code_check_char(first17)


def write_universe(portal: Portal, out_dir: Path, seed: int) -> dict[str, int]:
    """Write both lists under out_dir; return the data rows written to each."""
    rng = random.Random(f"demo:{seed}:universe")
    profiles = company_profiles(len(portal.companies), seed)
    rows = _registered_rows(portal, profiles, rng)
    rows += _unregistered_rows(portal, rng)
    rows += _ambiguous_rows(portal, rng)
    rng.shuffle(rows)

    xlsx_positions = {position for position in range(len(rows)) if rng.random() < 0.3}
    in_xlsx = [rows[position] for position in sorted(xlsx_positions)]
    # A few companies are in both lists; they must count once.
    in_csv = [
        row
        for position, row in enumerate(rows)
        if position not in xlsx_positions or rng.random() < 0.1
    ]
    (out_dir / CSV_FILE).parent.mkdir(parents=True, exist_ok=True)
    _write_csv(out_dir / CSV_FILE, in_csv, rng)
    _write_xlsx(out_dir / XLSX_FILE, in_xlsx, rng)
    counts = {CSV_FILE: len(in_csv), XLSX_FILE: len(in_xlsx)}
    logger.info("Wrote universe lists %s", counts)
    return counts


def _registered_rows(portal: Portal, profiles: list[Profile], rng: random.Random) -> list[ListRow]:
    rows = []
    for position, company in enumerate(portal.companies):
        if rng.random() > 0.6:
            continue
        segment = catalog.SEGMENTS[company.segment].name
        rows.append(
            ListRow(
                name=_variant(company.name, company.city, company.province, rng),
                segment=segment,
                province=company.province,
                profile=profiles[position],
                show_code=rng.random() < 0.6,
            )
        )
    return rows


def _variant(name: str, city: str, province: str, rng: random.Random) -> str:
    """Write a registered name the way another directory might."""
    draw = rng.random()
    if draw < 0.4:
        return name
    if draw < 0.6 and name.startswith(city):
        return name[len(city) :]
    if draw < 0.75:
        return province + name
    if draw < 0.9 and name.endswith("有限公司") and not name.endswith("股份有限公司"):
        return name.removesuffix("有限公司") + "有限责任公司"
    return f"{name[: len(city)]} {name[len(city) :]}"


def _unregistered_rows(portal: Portal, rng: random.Random) -> list[ListRow]:
    taken = {split_company_name(company.name).core for company in portal.companies}
    registered = [0] * len(catalog.SEGMENTS)
    for company in portal.companies:
        registered[company.segment] += 1

    rows = []
    for index, segment in enumerate(catalog.SEGMENTS):
        share = 2.5 if segment.name in UNDER_COVERED else 0.3
        for number in range(round(registered[index] * share) + BIG_UNREGISTERED_PER_SEGMENT):
            province, city = _place(rng)
            name = _new_name(city, taken, rng)
            big = number < BIG_UNREGISTERED_PER_SEGMENT
            rows.append(
                ListRow(name, segment.name, province, _profile(rng, big), rng.random() < 0.7)
            )
    return rows


def _ambiguous_rows(portal: Portal, rng: random.Random) -> list[ListRow]:
    """Rows whose name without a city fits two registered companies."""
    by_core: dict[str, list] = {}
    for company in portal.companies:
        by_core.setdefault(split_company_name(company.name).core, []).append(company)
    shared = sorted(core for core, companies in by_core.items() if len(companies) > 1)
    rows = []
    for core in shared[:3]:
        company = by_core[core][0]
        segment = catalog.SEGMENTS[company.segment].name
        rows.append(ListRow(f"{core}有限公司", segment, "", _profile(rng, False), False))
    return rows


def _place(rng: random.Random) -> tuple[str, str]:
    weights = [weight for _, weight, _ in catalog.PROVINCES]
    province, _, cities = rng.choices(catalog.PROVINCES, weights=weights)[0]
    return province, rng.choice(cities)


def _new_name(city: str, taken: set[str], rng: random.Random) -> str:
    while True:
        first, second = rng.sample(catalog.BRAND_SYLLABLES, 2)
        trade, _ = rng.choice(catalog.TRADE_WORDS)
        name = f"{city}{first[0]}{second[0]}{trade}{rng.choice(catalog.COMPANY_SUFFIXES)}"
        core = split_company_name(name).core
        if core not in taken:
            taken.add(core)
            return name


def _capital_text(capital_wan: float, rng: random.Random) -> str:
    """Write registered capital the ways directories do: 1,000万元, 500(万元人民币), 1.2亿."""
    draw = rng.random()
    if capital_wan >= 10000 and draw < 0.5:
        return f"{capital_wan / 10000:g}亿元"
    if draw < 0.6:
        return f"{capital_wan:,.0f}万元"
    if draw < 0.9:
        return f"{capital_wan:g}(万元人民币)"
    return f"{capital_wan / 10000:g}亿"


def _segment_text(segment: str) -> str:
    return LIST_SEGMENT_NAMES.get(segment, segment)


def _write_csv(path: Path, rows: list[ListRow], rng: random.Random) -> None:
    """Write the directory as Excel on a Chinese Windows saves CSV: GBK, CRLF."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(("机械行业企业名录（演示数据）",))
    writer.writerow(HEADERS)
    for row in rows:
        writer.writerow(
            (
                row.name,
                _segment_text(row.segment),
                row.province,
                _capital_text(row.profile.capital_wan, rng),
                row.profile.staff if rng.random() < 0.85 else "",
                row.profile.credit_code if row.show_code else "",
            )
        )
    writer.writerow(("合计", "", "", "", "", ""))
    path.write_bytes(buffer.getvalue().encode("gbk"))


def _write_xlsx(path: Path, rows: list[ListRow], rng: random.Random) -> None:
    workbook = xlsxwriter.Workbook(str(path))
    workbook.set_properties({"created": WORKBOOK_CREATED, "author": "行业协会"})
    sheet = workbook.add_worksheet("会员名单")
    sheet.write_row(0, 0, XLSX_HEADERS)
    for number, row in enumerate(rows, start=1):
        capital: object = row.profile.capital_wan * 10000
        if rng.random() < 0.5:
            capital = _capital_text(row.profile.capital_wan, rng)
        sheet.write_row(
            number,
            0,
            (
                number,
                row.profile.credit_code if row.show_code else "",
                row.name,
                _segment_text(row.segment),
                row.province,
                row.profile.staff,
                capital,
            ),
        )
    workbook.close()
