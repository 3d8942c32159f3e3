"""Tests of the demo portal generator on small portals (scale 0.05), read back from the files."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import re
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import openpyxl
import pytest
import sqlalchemy as sa

from etl.config import load_config
from etl.demo import generate_demo
from etl.demo.access_logs import expected_shop_views
from etl.demo.catalog import SEGMENTS, TIERS
from etl.demo.history import Contract, Shop, intensity
from etl.demo.scenario import Portal
from etl.demo.sheets import call_months, target_months
from etl.demo.world import Company

END = dt.date(2026, 11, 30)
SCALE = 0.05

COMBINED = re.compile(
    rb'^(?P<addr>\S+) \S+ \S+ \[(?P<time>[^\]]+)\] "(?P<request>[^"]*)" (?P<status>\d{3}) '
    rb'(?P<size>\d+|-) "(?P<referrer>[^"]*)" "(?P<agent>[^"]*)"$'
)
CANONICAL_COLUMNS = {
    "members": [
        "member_id",
        "company_name",
        "segment",
        "province",
        "company_size",
        "registered_on",
        "shop_slug",
        "sales_rep",
        "after_sales_owner",
        "credit_code",
        "registered_capital_cny",
        "staff_count",
        "contact_phone",
        "contact_mobile",
    ],
    "contracts": ["contract_id", "member_id", "tier", "start_date", "end_date", "amount_cny"],
    "inquiries": ["event_id", "member_id", "occurred_at"],
    "messages": ["event_id", "member_id", "occurred_at"],
    "contact_views": ["event_id", "member_id", "occurred_at"],
    "ad_clicks": ["event_id", "member_id", "occurred_at"],
    "followups": ["followup_id", "member_id", "sales_rep", "followed_at"],
    "sales_staff": ["staff_name", "team"],
    "shop_openings": [
        "contract_id",
        "member_id",
        "paid_on",
        "shop_opened_on",
        "materials_uploaded_on",
    ],
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_demo(
        tmp_path_factory.mktemp("seed7"), seed=7, scale=SCALE, end_date=END, progress=False
    )


@pytest.fixture(scope="module")
def query_results(demo: Path) -> dict[str, list[dict]]:
    config = load_config(demo)
    engine = sa.create_engine(config.database_url)
    results = {}
    with engine.connect() as connection:
        for name, sql in config.queries.items():
            result = connection.execute(sa.text(sql))
            results[name] = [dict(row._mapping) for row in result]
            results[f"{name}.columns"] = list(result.keys())
    engine.dispose()
    return results


@pytest.fixture(scope="module")
def contracts_by_member(query_results: dict) -> dict[int, list[dict]]:
    grouped = defaultdict(list)
    for row in query_results["contracts"]:
        grouped[row["member_id"]].append(row)
    for rows in grouped.values():
        rows.sort(key=lambda row: row["start_date"])
    return grouped


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def _log_lines(demo: Path) -> dict[str, list[bytes]]:
    return {
        path.name: gzip.decompress(path.read_bytes()).split(b"\n")[:-1]
        for path in sorted((demo.parent / "logs").glob("access.log-*.gz"))
    }


def _date(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def test_same_seed_gives_identical_bytes(demo: Path, tmp_path: Path) -> None:
    again = generate_demo(tmp_path, seed=7, scale=SCALE, end_date=END, progress=False)

    first, second = _files(demo.parent), _files(again.parent)
    assert sorted(first) == sorted(second)
    for name, content in first.items():
        assert content == second[name], name


def test_other_seed_gives_other_files(demo: Path, tmp_path: Path) -> None:
    other = generate_demo(tmp_path, seed=8, scale=SCALE, end_date=END, progress=False)

    first, second = _files(demo.parent), _files(other.parent)
    assert first["portal.db"] != second["portal.db"]
    assert first["logs/access.log-20261130.gz"] != second["logs/access.log-20261130.gz"]
    assert first["sheets/电话统计.csv"] != second["sheets/电话统计.csv"]


def test_config_is_valid_and_points_at_files(demo: Path) -> None:
    config = load_config(demo)

    assert config.timezone == "Asia/Shanghai"
    assert config.database_url == f"sqlite:///{demo.parent / 'portal.db'}"
    assert sorted(config.queries) == sorted(CANONICAL_COLUMNS)
    assert config.access_logs.format == "combined"
    assert config.access_logs.portal_hosts == ["www.jixie-demo.cn", "m.jixie-demo.cn"]
    assert config.access_logs.ad_click_paths == ["/ad/click"]
    assert len(list(demo.parent.glob(config.access_logs.files[0]))) == 90
    assert config.sales_targets.file.is_file()
    assert config.sales_targets.sheet == "销售目标"
    assert config.call_counts.file.is_file()
    assert config.warehouse_dir == demo.parent / "warehouse"


def test_queries_return_canonical_columns(query_results: dict) -> None:
    for name, columns in CANONICAL_COLUMNS.items():
        assert query_results[f"{name}.columns"] == columns, name


def test_member_counts_at_small_scale(query_results: dict) -> None:
    members = query_results["members"]
    paid = {
        row["member_id"]
        for row in query_results["contracts"]
        if _date(row["start_date"]) <= END <= _date(row["end_date"])
    }
    segment_of = {row["member_id"]: row["segment"] for row in members}

    # round(3000 * 0.05) companies; about 600 * 0.05 of them paid on the end date.
    assert len(members) == 150
    assert 20 <= len(paid) <= 60
    assert {segment_of[member] for member in paid} == {segment.name for segment in SEGMENTS}
    assert len({row["shop_slug"] for row in members}) == 150
    assert all(re.fullmatch(r"[a-z0-9]+", row["shop_slug"]) for row in members)
    assert len({row["sales_rep"] for row in members} - {None}) == 10
    assert len({row["after_sales_owner"] for row in members} - {None}) == 5


def test_every_tier_paid_on_end_date(query_results: dict) -> None:
    tiers = {
        row["tier"]
        for row in query_results["contracts"]
        if _date(row["start_date"]) <= END <= _date(row["end_date"])
    }

    assert tiers == {tier.name for tier in TIERS}


def test_contracts_cover_a_year(query_results: dict) -> None:
    for row in query_results["contracts"]:
        start, end = _date(row["start_date"]), _date(row["end_date"])
        assert start <= end
        assert 363 <= (end - start).days <= 365
        assert start <= END
        assert row["amount_cny"] > 0


def test_contracts_have_renewals_churn_and_new_members(contracts_by_member: dict) -> None:
    outcomes = Counter()
    for rows in contracts_by_member.values():
        for current, following in zip(rows, [*rows[1:], None], strict=True):
            end = _date(current["end_date"])
            gap = None if following is None else (_date(following["start_date"]) - end).days
            if gap is not None and -60 <= gap <= 30:
                if gap <= 0:
                    outcomes["early"] += 1
                elif gap == 1:
                    outcomes["on_time"] += 1
                else:
                    outcomes["grace"] += 1
                outcomes["tier_change"] += current["tier"] != following["tier"]
            elif end + dt.timedelta(days=30) < END:
                outcomes["churned"] += 1
    first_starts = [_date(rows[0]["start_date"]) for rows in contracts_by_member.values()]

    assert outcomes["on_time"] > 0
    assert outcomes["early"] + outcomes["grace"] > 0
    assert outcomes["churned"] > 0
    assert outcomes["tier_change"] > 0
    assert any((END - start).days < 28 for start in first_starts)


def test_events_fall_in_paid_periods(query_results: dict, contracts_by_member: dict) -> None:
    for name in ("inquiries", "messages", "contact_views", "ad_clicks"):
        rows = query_results[name]
        assert rows, name
        assert len({row["event_id"] for row in rows}) == len(rows)
        for row in rows:
            moment = dt.datetime.strptime(row["occurred_at"], "%Y-%m-%d %H:%M:%S")
            contracts = contracts_by_member[row["member_id"]]
            assert any(
                _date(c["start_date"]) <= moment.date() <= _date(c["end_date"]) for c in contracts
            ), (name, row)
            assert moment.date() <= END


def test_log_files_one_per_day(demo: Path) -> None:
    names = sorted(path.name for path in (demo.parent / "logs").iterdir())
    days = [END - dt.timedelta(days=offset) for offset in range(89, -1, -1)]

    assert names == [f"access.log-{day:%Y%m%d}.gz" for day in days]


def test_gzip_header_has_no_name_or_time(demo: Path) -> None:
    header = (demo.parent / "logs" / "access.log-20261130.gz").read_bytes()[:10]

    # Bytes 0-1 are the gzip magic, byte 3 the flags (0x08 = file name), bytes 4-7 the mtime.
    assert header[:2] == b"\x1f\x8b"
    assert header[3] & 0x08 == 0
    assert header[4:8] == b"\x00\x00\x00\x00"


def test_log_lines_parse_except_malformed(demo: Path) -> None:
    for name, lines in _log_lines(demo).items():
        day = dt.datetime.strptime(name[len("access.log-") : -3], "%Y%m%d").date()
        bad = 0
        for line in lines:
            match = COMBINED.match(line)
            try:
                moment = dt.datetime.strptime(match["time"].decode(), "%d/%b/%Y:%H:%M:%S %z")
            except (TypeError, ValueError, UnicodeDecodeError):
                bad += 1
                continue
            assert moment.date() == day, line
            assert moment.utcoffset() == dt.timedelta(hours=8)
        assert 1 <= bad <= 5, name
        assert len(lines) > 200, name


def test_logs_hold_every_kind_of_traffic(demo: Path) -> None:
    text = b"\n".join(line for lines in _log_lines(demo).values() for line in lines)
    expected = [
        rb'"GET /shop/[a-z0-9]+/ ',
        rb'"GET /shop/\d+/ ',
        rb"/shop/[a-z0-9]+/products/\d+\.html",
        rb"/shop/[a-z0-9]+/contact\.html",
        rb'"POST /shop/',
        rb"GET /robots\.txt",
        rb"https://www\.baidu\.com/s\?wd=%",
        rb"https://m\.baidu\.com/s\?word=%",
        rb"https://www\.baidu\.com/link\?url=",
        rb"https://www\.so\.com/s\?q=%",
        rb"https://www\.sogou\.com/web\?query=%",
        rb"https://m\.sm\.cn/s\?q=%",
        rb"https://cn\.bing\.com/search\?q=",
        rb"https://www\.jixie-demo\.cn/search\?kw=%",
        rb"https://www\.jixie-demo\.cn/ad/click\?id=\d+",
        rb"\?utm_source=",
        rb"MicroMessenger",
        rb"DingTalk",
        rb"UCBrowser",
        rb"baiduboxapp",
        rb"Baiduspider",
        rb"360Spider",
        rb"Sogou web spider",
        rb"YisouSpider",
        rb"Bytespider",
        rb"Googlebot",
        rb"bingbot",
        rb'" 404 ',
        rb'" 304 0 ',
        rb"/static/",
        rb'"-" "Mozilla',
    ]
    missing = [pattern for pattern in expected if not re.search(pattern, text)]

    assert missing == []


def test_call_counts_csv_is_gbk(demo: Path) -> None:
    raw = (demo.parent / "sheets" / "电话统计.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    rows = list(csv.reader(io.StringIO(raw.decode("gbk"), newline="")))

    assert rows[0] == ["月份", "销售", "通话次数", "有效通话", "备注"]
    # 24 months x 10 sales reps.
    assert len(rows) - 1 == 240
    assert b"\r\n" in raw
    assert all(int(row[3]) <= int(row[2]) for row in rows[1:])


def test_sheet_reps_match_database(demo: Path, query_results: dict) -> None:
    raw = (demo.parent / "sheets" / "电话统计.csv").read_bytes().decode("gbk")
    sheet_reps = {row[1] for row in list(csv.reader(io.StringIO(raw)))[1:]}
    database_reps = {row["sales_rep"] for row in query_results["members"]} - {None}

    assert sheet_reps == database_reps


def test_sales_targets_mix_notations(demo: Path) -> None:
    workbook = openpyxl.load_workbook(demo.parent / "sheets" / "销售目标.xlsx")
    sheet = workbook["销售目标"]
    rows = list(sheet.iter_rows(values_only=True))
    amounts = [row[2] for row in rows[1:-1]]
    months = [row[0] for row in rows[1:-1]]

    assert rows[0] == ("月份", "销售", "目标金额", "备注")
    assert len(rows) - 2 == 240
    assert rows[-1][0] == "合计"
    assert any(isinstance(amount, (int, float)) for amount in amounts)
    assert any(isinstance(amount, str) and amount.startswith("¥") for amount in amounts)
    assert any(isinstance(amount, str) and amount.endswith("万") for amount in amounts)
    assert any(isinstance(month, dt.datetime) for month in months)
    assert any(
        isinstance(month, str) and re.fullmatch(r"\d{4}年\d{1,2}月", month) for month in months
    )


def test_tier_price_changes_on_date() -> None:
    gold = next(tier for tier in TIERS if tier.name == "金牌会员")

    assert gold.price_on(dt.date(2024, 12, 31)) == 19800
    assert gold.price_on(dt.date(2025, 1, 1)) == 22800


def test_sheet_month_ranges() -> None:
    calls = call_months(END)
    targets = target_months(END)

    assert (calls[0], calls[-1], len(calls)) == (dt.date(2024, 12, 1), dt.date(2026, 11, 1), 24)
    assert (targets[0], targets[-1], len(targets)) == (
        dt.date(2025, 1, 1),
        dt.date(2026, 12, 1),
        24,
    )


def test_intensity_weekday_and_decline() -> None:
    shop = Shop(position=0, quality=2.0, conversion=1.0, decline_start=dt.date(2026, 11, 2))
    days = [dt.date(2026, 11, 2), dt.date(2026, 11, 17), dt.date(2026, 12, 6)]
    ordinals = np.array([day.toordinal() for day in days])

    # 2 Nov 2026 is a Monday: 2.0 x 1.15, decline not yet begun = 2.3.
    # 17 Nov is a Tuesday, 15 of 30 decline days: 2.0 x 1.15 x (1 - 0.65 x 15/30) = 1.5525.
    # 6 Dec is a Sunday past the decline: 2.0 x 0.55 x 0.35 = 0.385.
    assert intensity(shop, ordinals) == pytest.approx([2.3, 1.5525, 0.385])


def _company(company_id: int, registered: dt.date) -> Company:
    return Company(
        company_id=company_id,
        name="苏州恒通机械有限公司",
        slug=f"shop{company_id}",
        segment=0,
        province="江苏省",
        city="苏州",
        size="10-50人",
        registered_at=dt.datetime.combine(registered, dt.time(9)),
        sales_rep_id=None,
        after_sales_id=None,
        contact_name="张伟",
        mobile="13800000000",
        telephone="0512-66880000",
        address="江苏省苏州市",
    )


def test_expected_views_follow_contract_and_registration() -> None:
    gold = next(index for index, tier in enumerate(TIERS) if tier.name == "金牌会员")
    portal = Portal(
        end_date=dt.date(2026, 11, 8),
        history_start=dt.date(2023, 11, 9),
        companies=[_company(1, dt.date(2020, 1, 1)), _company(2, dt.date(2026, 11, 6))],
        shops=[Shop(0, 1.0, 1.0, None), Shop(1, 2.0, 1.0, None)],
        sales_reps=[],
        after_sales=[],
        contracts=[Contract(0, gold, dt.date(2025, 11, 6), dt.date(2026, 11, 5), 19800.0)],
        events={},
    )

    views = expected_shop_views(portal, dt.date(2026, 11, 2), 7)[:, [0, 6]]

    # On Monday 2 and Sunday 8 November, 4 views a day x exposure x quality x weekday factor
    # (Monday 1.15, Sunday 0.55):
    # company 1 is gold (1.7) on Monday and free (0.05) on Sunday: 7.82 and 0.11;
    # company 2 registered on 6 November, then free with quality 2: 0 and 0.22.
    assert views[0].tolist() == pytest.approx([7.82, 0.11])
    assert views[1].tolist() == pytest.approx([0.0, 0.22])


def test_scale_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="scale must be positive, got 0"):
        generate_demo(tmp_path, scale=0, progress=False)
