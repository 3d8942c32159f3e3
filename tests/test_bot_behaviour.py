"""Crawlers found by behaviour: robots.txt fetches across files, and the request rate."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import replace

import duckdb
from test_access_logs import CHROME, SHOPS, make_config

from etl.access_logs import load_access_logs

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0"


def line(address: str, stamp: str, path: str, agent: str) -> str:
    return f'{address} - - [{stamp}] "GET {path} HTTP/1.1" 200 100 "-" "{agent}"\n'


def load(tmp_path, files, max_per_minute=120):
    cfg = replace(make_config(files, tmp_path), bot_max_requests_per_minute=max_per_minute)
    con = duckdb.connect(str(tmp_path / "work.duckdb"))
    result = load_access_logs(con, cfg, SHOPS, "Asia/Shanghai", progress=False)
    return con, result


def write_rate_log(tmp_path):
    """Client A: 121 requests in 10:00 on 1 May, 1 on 2 May. Client B: 120 in 10:00 on 1 May."""
    chrome = CHROME.decode()
    lines = [
        line("198.51.100.1", f"01/May/2024:10:00:{n % 60:02d} +0800", "/shop/acme/", chrome)
        for n in range(121)
    ]
    lines.append(line("198.51.100.1", "02/May/2024:10:00:00 +0800", "/shop/acme/", chrome))
    lines += [
        line("198.51.100.2", f"01/May/2024:10:00:{n % 60:02d} +0800", "/shop/beta/", FIREFOX)
        for n in range(120)
    ]
    (tmp_path / "rate.log").write_text("".join(lines), encoding="utf-8")


def test_client_above_rate_is_bot_for_that_day(tmp_path):
    write_rate_log(tmp_path)
    con, result = load(tmp_path, ["rate.log"])

    # A: 121 > 120 in one minute, so its 121 hits of 1 May are crawler hits; its 2 May view
    # counts. B: exactly 120, not above the limit: 120 views.
    assert con.execute("select * from stg_bot_hits").fetchall() == [
        (dt.date(2024, 5, 1), 101, "unidentified", "rate", 121)
    ]
    views = con.execute(
        "select member_id, day, count(*) from stg_page_views group by all order by all"
    )
    assert views.fetchall() == [(101, dt.date(2024, 5, 2), 1), (202, dt.date(2024, 5, 1), 120)]
    (stats,) = result.stats
    assert (stats.read, stats.loaded, stats.bots) == (242, 121, 121)


def test_rate_check_off(tmp_path):
    write_rate_log(tmp_path)
    con, result = load(tmp_path, ["rate.log"], max_per_minute=0)

    assert con.execute("select count(*) from stg_bot_hits").fetchone()[0] == 0
    assert result.stats[0].loaded == 242


def test_robots_txt_in_another_file_marks_client(tmp_path):
    chrome = CHROME.decode()
    (tmp_path / "a.log").write_text(
        line("198.51.100.9", "01/May/2024:10:00:00 +0800", "/shop/acme/", chrome)
        + line("198.51.100.9", "01/May/2024:10:00:01 +0800", "/shop/acme/", FIREFOX),
        encoding="utf-8",
    )
    (tmp_path / "b.log").write_text(
        line("198.51.100.9", "01/May/2024:11:00:00 +0800", "/robots.txt", chrome),
        encoding="utf-8",
    )
    con, result = load(tmp_path, ["a.log", "b.log"])

    # The Chrome client fetched robots.txt in b.log, so its view in a.log is a crawler hit.
    # The same address with Firefox is another client, so its view stays a view.
    hits = con.execute("select member_id, detected_by, hits from stg_bot_hits order by all")
    assert hits.fetchall() == [(101, "robots_txt", 1), (None, "robots_txt", 1)]
    assert [(s.file, s.loaded, s.bots) for s in result.stats] == [("a.log", 1, 1), ("b.log", 0, 1)]
    assert Counter(s.read for s in result.stats) == Counter({2: 1, 1: 1})
