"""Access-log loading: one small file per case in tests/data/logs/, real DuckDB files.

Shops for every test: slug `acme` and id `101` are member 101, `beta` and `202` member 202.
The portal host is www.portal.cn. Timestamps are +0800 unless a case states otherwise, so
10:00:00 local is 02:00:00 UTC on the same Shanghai day.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import shutil
from collections import Counter
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest

from etl import access_logs
from etl.access_logs import LogResult, load_access_logs
from etl.config import AccessLogConfig
from etl.errors import ConfigError, SourceError
from etl.log_build import staged_rejections

DATA = Path(__file__).parent / "data" / "logs"
SHOPS = {"acme": 101, "101": 101, "beta": 202, "202": 202}
CHROME = (
    b"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    b"Chrome/120.0.0.0 Safari/537.36"
)
IPHONE_WECHAT = (
    b"Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    b"(KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.40(0x18002831) NetType/WIFI "
    b"Language/zh_CN"
)
MAY_1 = dt.date(2024, 5, 1)
UTC_0200 = dt.datetime(2024, 5, 1, 2, 0, 0)
STATIC = [".css", ".js", ".png", ".jpg", ".gif", ".ico", ".txt"]


def make_config(files: list[str], base_dir: Path = DATA, log_format: str = "combined"):
    return AccessLogConfig(
        files=files,
        base_dir=base_dir,
        format=log_format,
        shop_path_patterns=[r"^/shop/(?P<shop>[^/?#]+)"],
        portal_hosts=["www.portal.cn"],
        ad_click_paths=["/ad/click"],
        static_extensions=STATIC,
    )


def load(tmp_path: Path, files: list[str], log_format: str = "combined", base_dir=DATA):
    con = duckdb.connect(str(tmp_path / "work.duckdb"))
    cfg = make_config(files, base_dir, log_format)
    result = load_access_logs(con, cfg, SHOPS, "Asia/Shanghai", progress=False)
    return con, result


def page_views(con) -> list[tuple]:
    return con.execute("select * from stg_page_views order by file, line_no").fetchall()


def bot_hits(con) -> list[tuple]:
    return con.execute(
        "select * from stg_bot_hits order by day, member_id nulls first, bot_name"
    ).fetchall()


def vid(address: bytes, agent: bytes) -> str:
    """visitor_id as documented: first 16 hex digits of MD5 of address, a space, raw agent."""
    return hashlib.md5(address + b" " + agent).hexdigest()[:16]


def only_stats(result: LogResult):
    assert len(result.stats) == 1
    stats = result.stats[0]
    assert stats.reconciles()
    return stats


# One row per case: file, lines read, page views, bot hits, skipped and rejected by reason.
OUTCOMES = [
    ("combined_normal.log", 1, 1, 0, {}, {}),
    ("ipv6.log", 1, 1, 0, {}, {}),
    ("escaped_quote.log", 1, 1, 0, {}, {}),
    ("dash_bytes.log", 1, 1, 0, {}, {}),
    ("invalid_utf8_referrer.log", 3, 3, 0, {}, {}),
    ("truncated.log", 2, 1, 0, {}, {"unparseable_line": 1}),
    ("bad_timestamp.log", 2, 0, 0, {}, {"invalid_timestamp": 2}),
    ("utc_evening.log", 1, 1, 0, {}, {}),
    ("bot_user_agent.log", 2, 0, 2, {}, {}),
    # Three lines from the client that fetched robots.txt, one from another agent.
    ("bot_robots_txt.log", 4, 1, 3, {}, {}),
    ("static_asset.log", 1, 0, 0, {"static_asset": 1}, {}),
    ("not_found.log", 1, 0, 0, {"status_not_counted": 1}, {}),
    ("post.log", 1, 0, 0, {"method_not_counted": 1}, {}),
    ("unknown_shop.log", 1, 0, 0, {"unknown_shop": 1}, {}),
    ("not_shop_page.log", 1, 0, 0, {"not_shop_page": 1}, {}),
    ("invalid_request.log", 1, 0, 0, {}, {"invalid_request": 1}),
    ("gzip_named.log.gz", 1, 1, 0, {}, {}),
    ("gzip_without_suffix.log", 1, 1, 0, {}, {}),
    # A raw 0xFF byte in the shop part of the path: a key that names no member.
    ("invalid_utf8_shop.log", 1, 0, 0, {"unknown_shop": 1}, {}),
    # 9999-12-31 23:00 -14:00 is in the year 10000 in UTC, 0001-01-01 00:00 +14:00 in the
    # year 0; 0001-01-05 is a time like any other.
    ("calendar_ends.log", 3, 1, 0, {}, {"invalid_timestamp": 2}),
    ("request_trailing_space.log", 2, 2, 0, {}, {}),
    # An agent of 70,000 characters.
    ("long_agent.log", 1, 1, 0, {}, {}),
]


@pytest.mark.parametrize(("name", "read", "loaded", "bots", "skipped", "rejected"), OUTCOMES)
def test_outcome_counts(tmp_path, name, read, loaded, bots, skipped, rejected):
    con, result = load(tmp_path, [name])
    stats = only_stats(result)

    assert stats.file == name
    assert stats.read == read
    assert stats.loaded == loaded
    assert stats.bots == bots
    assert stats.skipped == Counter(skipped)
    assert stats.rejected == Counter(rejected)
    assert len(page_views(con)) == loaded
    assert len(staged_rejections(con)) == sum(rejected.values())


def test_combined_line_row(tmp_path):
    con, _ = load(tmp_path, ["combined_normal.log"])
    # www.baidu.com sends the keyword as wd=, and %E9%92%A2%E7%AE%A1 is UTF-8 for 钢管.
    assert page_views(con) == [
        (
            101,
            UTC_0200,
            MAY_1,
            vid(b"203.0.113.7", CHROME),
            "search",
            "Baidu",
            "钢管",
            "combined_normal.log",
            1,
        ),
    ]


def test_common_format_row(tmp_path):
    con, result = load(tmp_path, ["common.log"], log_format="common")
    # Member id in the path. No referrer or agent in the common format, so direct traffic.
    assert page_views(con) == [
        (202, UTC_0200, MAY_1, vid(b"203.0.113.8", b""), "direct", None, None, "common.log", 1),
    ]
    assert only_stats(result).loaded == 1


def test_combined_line_in_common_format_rejected(tmp_path):
    _, result = load(tmp_path, ["combined_normal.log"], log_format="common")
    assert only_stats(result).rejected == Counter({"unparseable_line": 1})


def test_ipv6_wechat_row(tmp_path):
    con, _ = load(tmp_path, ["ipv6.log"])
    # Upper-case slug ACME still finds member 101. No referrer but the WeChat agent: social.
    assert page_views(con) == [
        (
            101,
            UTC_0200,
            MAY_1,
            vid(b"2001:db8::1", IPHONE_WECHAT),
            "social",
            None,
            None,
            "ipv6.log",
            1,
        ),
    ]


def test_escaped_quote_keeps_fields(tmp_path):
    con, _ = load(tmp_path, ["escaped_quote.log"])
    agent = b'Mozilla/5.0 (compatible; \\"Quoted\\" Browser 1.0)'
    assert page_views(con) == [
        (
            202,
            UTC_0200,
            MAY_1,
            vid(b"203.0.113.9", agent),
            "search",
            "360",
            "阀门",
            "escaped_quote.log",
            1,
        ),
    ]


def test_dash_bytes_and_304_row(tmp_path):
    con, _ = load(tmp_path, ["dash_bytes.log"])
    # Status 304 counts, and the referrer is on the portal host, so internal.
    assert page_views(con) == [
        (
            101,
            UTC_0200,
            MAY_1,
            vid(b"203.0.113.10", CHROME),
            "internal",
            None,
            None,
            "dash_bytes.log",
            1,
        ),
    ]


def test_invalid_utf8_referrer_rows(tmp_path):
    con, _ = load(tmp_path, ["invalid_utf8_referrer.log"])
    visitor = vid(b"203.0.113.11", CHROME)
    second = dt.timedelta(seconds=1)
    # Line 1: raw GBK bytes B8 D6 B9 DC are 钢管. Line 2: %FF%FE%FD is neither UTF-8 nor
    # GB18030, so three U+FFFD. Line 3: raw invalid bytes in another site's path: referral.
    assert page_views(con) == [
        (101, UTC_0200, MAY_1, visitor, "search", "Sogou", "钢管", "invalid_utf8_referrer.log", 1),
        (
            101,
            UTC_0200 + second,
            MAY_1,
            visitor,
            "search",
            "Shenma",
            "\ufffd" * 3,
            "invalid_utf8_referrer.log",
            2,
        ),
        (
            101,
            UTC_0200 + 2 * second,
            MAY_1,
            visitor,
            "referral",
            None,
            None,
            "invalid_utf8_referrer.log",
            3,
        ),
    ]


def test_truncated_line_rejected_with_raw(tmp_path):
    con, _ = load(tmp_path, ["truncated.log"])
    raw = (
        '203.0.113.12 - - [01/May/2024:10:00:05 +0800] "GET /shop/acme/ HTTP/1.1" 200 100 "-" '
        '"Mozilla/5.0 (Win'
    )
    assert [
        (r.source, r.file, r.line_no, r.reason, r.column, r.raw) for r in staged_rejections(con)
    ] == [("access_logs", "truncated.log", 2, "unparseable_line", None, raw)]
    assert [row[-1] for row in page_views(con)] == [1]


def test_bad_timestamps_rejected(tmp_path):
    con, _ = load(tmp_path, ["bad_timestamp.log"])
    assert [(r.line_no, r.reason, r.column, r.value) for r in staged_rejections(con)] == [
        (1, "invalid_timestamp", "time", "31/Feb/2024:10:00:00 +0800"),
        (2, "invalid_timestamp", "time", "01/Foo/2024:10:00:00 +0800"),
    ]


def test_utc_evening_counts_next_shanghai_day(tmp_path):
    con, result = load(tmp_path, ["utc_evening.log"])
    # 17:30 UTC is 01:30 the next day in Shanghai (UTC+8). utm_source in the request: ad.
    assert page_views(con) == [
        (
            101,
            dt.datetime(2024, 5, 1, 17, 30),
            dt.date(2024, 5, 2),
            vid(b"203.0.113.14", CHROME),
            "ad",
            None,
            None,
            "utc_evening.log",
            1,
        ),
    ]
    assert (result.stats[0].data_from, result.stats[0].data_to) == ("2024-05-02", "2024-05-02")


def test_bot_by_user_agent(tmp_path):
    con, _ = load(tmp_path, ["bot_user_agent.log"])
    assert page_views(con) == []
    # The shop page keeps its member, but /about is not a shop page, so member_id is null.
    assert bot_hits(con) == [
        (MAY_1, None, "Baiduspider", "user_agent", 1),
        (MAY_1, 101, "Baiduspider", "user_agent", 1),
    ]


def test_bot_by_robots_txt(tmp_path):
    con, _ = load(tmp_path, ["bot_robots_txt.log"])
    # Lines 1 to 3 share address and Chrome agent, and line 2 fetches /robots.txt, so line 1
    # counts as a bot too. Line 4 has the same address but the WeChat agent: a page view.
    assert bot_hits(con) == [
        (MAY_1, None, "unidentified", "robots_txt", 1),
        (MAY_1, 101, "unidentified", "robots_txt", 1),
        (MAY_1, 202, "unidentified", "robots_txt", 1),
    ]
    assert page_views(con) == [
        (
            202,
            UTC_0200 + dt.timedelta(seconds=3),
            MAY_1,
            vid(b"198.51.100.5", IPHONE_WECHAT),
            "social",
            None,
            None,
            "bot_robots_txt.log",
            4,
        ),
    ]


@pytest.mark.parametrize("name", ["gzip_named.log.gz", "gzip_without_suffix.log"])
def test_gzip_by_magic_bytes(tmp_path, name):
    con, _ = load(tmp_path, [name])
    assert page_views(con) == [
        (101, UTC_0200, MAY_1, vid(b"203.0.113.21", CHROME), "search", "Bing", "valve", name, 1),
    ]


def test_invalid_request_rejected(tmp_path):
    con, _ = load(tmp_path, ["invalid_request.log"])
    assert [(r.line_no, r.reason, r.column) for r in staged_rejections(con)] == [
        (1, "invalid_request", "request"),
    ]


def test_many_files_and_batches(tmp_path, monkeypatch):
    # Batches of 2 rows: the 3 page views of invalid_utf8_referrer.log need two inserts.
    monkeypatch.setattr(access_logs, "BATCH_ROWS", 2)
    con, result = load(tmp_path, ["invalid_utf8_referrer.log", "combined_normal.log", "*.log"])
    names = [stats.file for stats in result.stats]

    # Each file once, in pattern order, then the rest of *.log sorted by name.
    assert names[:2] == ["invalid_utf8_referrer.log", "combined_normal.log"]
    assert len(names) == len(set(names))
    assert all(stats.reconciles() for stats in result.stats)
    loaded = sum(stats.loaded for stats in result.stats)
    assert len(page_views(con)) == loaded


def test_loads_append(tmp_path):
    con = duckdb.connect(str(tmp_path / "work.duckdb"))
    cfg = make_config(["combined_normal.log"])
    load_access_logs(con, cfg, SHOPS, "Asia/Shanghai", progress=False)
    load_access_logs(con, cfg, SHOPS, "Asia/Shanghai", progress=False)
    assert len(page_views(con)) == 2


def test_progress_bar_shown(tmp_path, capsys):
    con = duckdb.connect(str(tmp_path / "work.duckdb"))
    load_access_logs(con, make_config(["combined_normal.log"]), SHOPS, "Asia/Shanghai", True)
    assert "access logs" in capsys.readouterr().err


def test_pattern_without_file_raises(tmp_path):
    with pytest.raises(SourceError, match=r"'missing/\*\.log' .* matches no file"):
        load(tmp_path, ["missing/*.log"])


def test_pattern_matching_only_a_directory_raises(tmp_path):
    (tmp_path / "logs.d").mkdir()
    with pytest.raises(SourceError, match="matches no file"):
        load(tmp_path, ["logs.d"], base_dir=tmp_path)


def test_truncated_gzip_raises(tmp_path):
    with pytest.raises(SourceError, match=r"gzip_truncated\.log\.gz cannot be read to its end"):
        load(tmp_path, ["gzip_truncated.log.gz"])


def test_unreadable_file_raises(tmp_path):
    # A directory named like a log cannot be opened as a file. A chmod 000 file would not
    # do, because the tests may run as root, which reads it anyway.
    bad = tmp_path / "dir.log"
    bad.mkdir()
    with pytest.raises(SourceError, match=r"dir\.log cannot be read"):
        access_logs.open_log(bad)


def test_shop_pattern_without_group_raises(tmp_path):
    con = duckdb.connect(str(tmp_path / "work.duckdb"))
    cfg = make_config(["combined_normal.log"])
    cfg = AccessLogConfig(**{**cfg.__dict__, "shop_path_patterns": [r"^/shop/(\d+)"]})
    with pytest.raises(ConfigError, match="no named group `shop`"):
        load_access_logs(con, cfg, SHOPS, "Asia/Shanghai", progress=False)


def test_absolute_pattern_and_gz_copy(tmp_path):
    copy = tmp_path / "day.log.gz"
    copy.write_bytes(gzip.compress((DATA / "combined_normal.log").read_bytes()))
    shutil.copy(DATA / "post.log", tmp_path / "post.log")
    con, result = load(tmp_path, [str(tmp_path / "*.gz"), "post.log"], base_dir=tmp_path)
    assert [stats.file for stats in result.stats] == ["day.log.gz", "post.log"]
    assert [row[0] for row in page_views(con)] == [101]


@pytest.mark.parametrize(
    ("zone", "first_day"),
    [
        ("Asia/Shanghai", dt.date(2024, 5, 1)),
        # Days of daylight-saving changes: New York 10 Mar 2024 at 02:00, Santiago 7 Apr 2024
        # at midnight, Lord Howe 7 Apr 2024 by half an hour.
        ("America/New_York", dt.date(2024, 3, 10)),
        ("America/Santiago", dt.date(2024, 4, 6)),
        ("Australia/Lord_Howe", dt.date(2024, 4, 6)),
    ],
)
def test_clock_matches_zoneinfo(zone, first_day):
    """Compare Clock with datetime.strptime and astimezone every 7 minutes over two days."""
    clock = access_logs.Clock(zone)
    tz = ZoneInfo(zone)
    start = dt.datetime.combine(first_day, dt.time(), dt.UTC)
    for offset in ("+0000", "+0530", "-0700", "+0845"):
        log_zone = dt.datetime.strptime(offset, "%z").tzinfo
        for step in range(0, 2 * 24 * 60, 7):
            moment = (start + dt.timedelta(minutes=step)).astimezone(log_zone)
            text = moment.strftime("%d/%b/%Y:%H:%M:%S %z")
            expected_day = moment.astimezone(tz).date()
            epoch, day = clock.parse(text.encode())
            assert epoch == int(moment.timestamp()), text
            assert dt.date(1970, 1, 1) + dt.timedelta(days=day) == expected_day, text


def test_calendar_ends_rows(tmp_path):
    con, _ = load(tmp_path, ["calendar_ends.log"])
    assert [(r.line_no, r.reason, r.column, r.value) for r in staged_rejections(con)] == [
        (1, "invalid_timestamp", "time", "31/Dec/9999:23:00:00 -1400"),
        (2, "invalid_timestamp", "time", "01/Jan/0001:00:00:00 +1400"),
    ]
    # Asia/Shanghai kept local mean time (+08:05:43) then, so the local day is 5 January.
    assert [(row[0], row[1], row[2], row[-1]) for row in page_views(con)] == [
        (101, dt.datetime(1, 1, 5), dt.date(1, 1, 5), 3)
    ]


def test_trailing_space_after_request(tmp_path):
    # Spaces after the protocol, or after the path of a request without one, are dropped.
    con, _ = load(tmp_path, ["request_trailing_space.log"])
    assert [(row[0], row[-1]) for row in page_views(con)] == [(101, 1), (202, 2)]


def test_wrong_format_warns(tmp_path, caplog):
    # JSON lines read as combined: every line is unparseable, which names the setting.
    _, result = load(tmp_path, ["json_lines.log"])
    assert only_stats(result).rejected == Counter({"unparseable_line": 3})
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert warnings == [
        "Access log json_lines.log: none of its 3 lines has the configured format; check that "
        "access_logs.format (and log_format for a custom one) matches the server's log format"
    ]


def test_partly_unparseable_file_does_not_warn(tmp_path, caplog):
    _, result = load(tmp_path, ["truncated.log"])
    assert only_stats(result).rejected == Counter({"unparseable_line": 1})
    assert [r for r in caplog.records if r.levelname == "WARNING"] == []


def test_line_too_long_rejected(tmp_path, monkeypatch):
    # Lines over 2,500 bytes are too long, read 1,024 bytes at a time. Line 2 (5,000 bytes)
    # and the last line, without newline, are kept as their first 2,000 bytes; line 3 (2,500
    # bytes) is just short enough.
    monkeypatch.setattr(access_logs, "MAX_LINE_BYTES", 2_500)
    monkeypatch.setattr(access_logs, "BLOCK_BYTES", 1_024)
    line = (DATA / "combined_normal.log").read_bytes()
    padded = line.replace(b'Safari/537.36"', b"Safari/537.36" + b"x" * (2_501 - len(line)) + b'"')
    assert len(padded) == 2_500 + 1
    (tmp_path / "long.log").write_bytes(line + b"y" * 5_000 + b"\n" + padded + b"z" * 10_000)

    con, result = load(tmp_path, ["long.log"], base_dir=tmp_path)

    assert [(row[0], row[-1]) for row in page_views(con)] == [(101, 1), (101, 3)]
    assert [(r.line_no, r.reason, r.raw) for r in staged_rejections(con)] == [
        (2, "line_too_long", "y" * 2_000),
        (4, "line_too_long", "z" * 2_000),
    ]
    assert only_stats(result).rejected == Counter({"line_too_long": 2})


def test_line_too_long_ending_in_next_block(tmp_path, monkeypatch):
    # 1,900 bytes carried, then a block in which the line ends at 700 more: 2,600 bytes, too
    # long, kept up to its newline and no further.
    line = (DATA / "combined_normal.log").read_bytes()
    monkeypatch.setattr(access_logs, "MAX_LINE_BYTES", 2_500)
    monkeypatch.setattr(access_logs, "BLOCK_BYTES", len(line) + 1_900)
    (tmp_path / "long.log").write_bytes(line + b"y" * 1_900 + b"w" * 700 + b"\n" + line)

    con, _ = load(tmp_path, ["long.log"], base_dir=tmp_path)

    assert [(row[0], row[-1]) for row in page_views(con)] == [(101, 1), (101, 3)]
    rejected = [(r.line_no, r.reason, r.raw) for r in staged_rejections(con)]
    assert rejected == [(2, "line_too_long", "y" * 1_900 + "w" * 100)]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (b"31/Dec/9999:23:00:00 -1400", "clf"),
        (b"01/Jan/0001:00:00:00 +1400", "clf"),
        (b"9999-12-31T23:00:00-14:00", "iso"),
        (b"0001-01-01T00:00:00+14:00", "iso"),
        (b"0001-01-01T00:00:00", "iso"),
        (b"1e20", "epoch"),
        (b"-62135596800", "epoch"),
    ],
)
def test_clock_refuses_times_past_calendar_ends(text, kind):
    # Each is outside the years 1 to 9999 in UTC or in Asia/Shanghai, or within a day of it.
    assert access_logs.Clock("Asia/Shanghai").parse_kind(text, kind) is None


def test_clock_takes_times_near_calendar_ends():
    clock = access_logs.Clock("Asia/Shanghai")
    assert clock.parse_kind(b"0001-01-02T00:00:00+00:00", "iso") == (access_logs.MIN_EPOCH, -719161)
    assert clock.parse_kind(b"30/Dec/9999:23:59:59 +0000", "clf") == (
        access_logs.MAX_EPOCH,
        2932896,
    )
