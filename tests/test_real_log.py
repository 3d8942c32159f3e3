"""The real Apache log in tests/data/real-logs/: every one of its 10,000 lines is accounted for.

The expected counts were computed apart from the loader, with crawlerdetect called directly
and awk, on the unmodified file:

1. Crawler agents: for each line split on `"` into 7 fields, field 6 is the agent; the lines
   whose agent `CrawlerDetect().is_crawler()` flags: 2,583 lines.
2. awk -F'"' reads the file twice. Pass one collects (address, agent) of lines whose request
   path is /robots.txt. Pass two checks each line in the loader's order: not 7 fields
   (one line, 8,899, whose agent has no closing quote) -> rejected; crawler agent -> bot;
   robots.txt client -> bot (174 lines); method other than GET (42 HEAD, 5 POST and 1 OPTIONS,
   minus the 7 of those sent by bots = 41); status neither 2xx nor 304 (274); last path
   segment ending in a static extension (5,216); path under /presentations/, /blog/ or
   /projects/ -> page view (1,087); under /articles/ -> unknown shop (230); else not a shop
   page (394).

1 + 2,583 + 174 + 41 + 274 + 5,216 + 1,087 + 230 + 394 = 10,000.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import duckdb

from etl.access_logs import load_access_logs
from etl.config import SETTINGS, AccessLogConfig
from etl.log_build import staged_rejections

LOG_DIR = Path(__file__).parent / "data" / "real-logs"
LOG_NAME = "apache-combined-2015-05.log"
DEFAULT_STATIC = next(s.default for s in SETTINGS if s.key == "access_logs.static_extensions")
# `articles` matches a shop pattern but is not in SHOPS, so its views are unknown shops.
SHOPS = {"presentations": 1, "blog": 2, "projects": 3}


def load_real_log(tmp_path: Path):
    cfg = AccessLogConfig(
        files=[LOG_NAME],
        base_dir=LOG_DIR,
        format="combined",
        shop_path_patterns=[
            r"^/(?P<shop>presentations|blog|projects)/",
            r"^/(?P<shop>articles)/",
        ],
        portal_hosts=["semicomplete.com"],
        ad_click_paths=["/ad/click"],
        static_extensions=DEFAULT_STATIC,
    )
    con = duckdb.connect(str(tmp_path / "work.duckdb"))
    result = load_access_logs(con, cfg, SHOPS, "Asia/Shanghai", progress=False)
    return con, result


def test_real_log_counts(tmp_path):
    _, result = load_real_log(tmp_path)
    (stats,) = result.stats

    assert stats.read == 10_000
    assert stats.loaded == 1_087
    assert stats.bots == 2_583 + 174
    assert stats.skipped == Counter(
        static_asset=5_216,
        not_shop_page=394,
        status_not_counted=274,
        unknown_shop=230,
        method_not_counted=41,
    )
    assert stats.rejected == Counter(unparseable_line=1)
    total = stats.loaded + stats.bots + sum(stats.skipped.values()) + sum(stats.rejected.values())
    assert total == 10_000


def test_real_log_tables(tmp_path):
    con, result = load_real_log(tmp_path)

    views = con.execute("select count(*) from stg_page_views").fetchone()[0]
    assert views == 1_087
    by_detection = dict(
        con.execute("select detected_by, sum(hits) from stg_bot_hits group by all").fetchall()
    )
    assert by_detection == {"user_agent": 2_583, "robots_txt": 174}
    assert [(r.line_no, r.reason) for r in staged_rejections(con)] == [(8_899, "unparseable_line")]
    # 17 May 10:05 UTC to 20 May 21:05 UTC is 17 May 18:05 to 21 May 05:05 in Shanghai.
    assert (result.stats[0].data_from, result.stats[0].data_to) == ("2015-05-17", "2015-05-21")
