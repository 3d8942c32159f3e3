"""Benchmark: access-log ingest against GoAccess on the same generated combined log.

    .venv/bin/python bench/access_log_ingest.py --lines 2000000

Writes a combined-format log of N lines (shop pages, assets, other pages, crawlers, a few
malformed lines) from a pool of browser visitors (--visitors) to a temporary directory.
Ingests it end to end: load_access_logs (parse, crawlers, traffic sources, shop
attribution, into a temporary DuckDB file) and the daily rollup per member and day. With
--without-scanner, DuckDB checks and splits the lines, as where no C compiler is found.
When `goaccess` is on PATH, runs `goaccess FILE --log-format=COMBINED -o report.json` on
the same file. Prints lines per second of both, their ratio, and the peak resident memory
of this process (ru_maxrss). Writing the log before the ingest streams, so the peak is the
ingest's. With --log FILE the script ingests that file instead (a file of odd lines, to
measure memory on), and --no-goaccess skips GoAccess.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from etl import log_native
from etl.access_logs import load_access_logs
from etl.config import SETTINGS, AccessLogConfig

SHOP_COUNT = 2_000
BROWSERS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/{v}.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_{v} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Mobile/15E148 MicroMessenger/8.0.{v}(0x18002831) NetType/WIFI Language/zh_CN",
    "Mozilla/5.0 (Linux; Android 13; V2{v}A) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 "
    "Chrome/98.0.4758.101 Mobile Safari/537.36 T7/13.{v} baiduboxapp/13.{v}.0.10 (Baidu; P1 13)",
]
CRAWLERS = [
    "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)",
    "Sogou web spider/4.0(+http://www.sogou.com/docs/help/webmasters.htm#07)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
]
REFERRERS = [
    "-",
    "https://www.baidu.com/s?wd=%E9%92%A2%E7%AE%A1{v}",
    "https://www.baidu.com/link?url=x{v}",
    "https://m.sm.cn/s?q=%E9%98%80%E9%97%A8{v}",
    "https://www.portal.cn/search?kw=pipe{v}",
    "https://mp.weixin.qq.com/s/{v}",
    "https://www.example{v}.com/",
]


def write_log(path: Path, lines: int, seed: int = 7, visitors: int = 100_000) -> None:
    """Write `lines` combined-format lines spread over one day in +0800.

    Browser lines come from `visitors` distinct (address, agent) pairs. With 0, every line
    has a new random address, so GoAccess's per-visitor tables grow with the file.
    """
    rng = random.Random(seed)
    pool = [visitor(rng) for _ in range(visitors)]
    start = dt.datetime(2024, 5, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    with path.open("w", encoding="utf-8") as out:
        for number in range(lines):
            moment = start + dt.timedelta(seconds=number * 86_400 // max(lines, 1))
            out.write(make_line(rng, moment, number, pool))


def visitor(rng: random.Random) -> tuple[str, str]:
    """Return a random (client address, browser agent) pair."""
    address = f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
    return address, rng.choice(BROWSERS).format(v=rng.randrange(40))


def make_line(
    rng: random.Random, moment: dt.datetime, number: int, pool: list[tuple[str, str]]
) -> str:
    if number % 997 == 0:
        return "malformed line without fields\n"
    roll = rng.random()
    if roll < 0.1:
        address = f"10.0.{rng.randrange(4)}.{rng.randrange(1, 255)}"
        agent = rng.choice(CRAWLERS)
    else:
        address, agent = rng.choice(pool) if pool else visitor(rng)
    shop = rng.randrange(1, SHOP_COUNT + 1)
    if roll < 0.55:
        path = f"/shop/{shop}/products/{rng.randrange(50)}"
    elif roll < 0.85:
        path = f"/shop/{shop}/img/{rng.randrange(50)}.jpg"
    else:
        path = f"/news/{rng.randrange(1000)}.html"
    status = "200" if rng.random() < 0.95 else "404"
    referrer = rng.choice(REFERRERS).format(v=rng.randrange(500))
    stamp = moment.strftime("%d/%b/%Y:%H:%M:%S %z")
    size = rng.randrange(200, 40_000)
    return f'{address} - - [{stamp}] "GET {path} HTTP/1.1" {status} {size} "{referrer}" "{agent}"\n'


def cpu_seconds(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def run_ingest(log: Path, workdir: Path) -> tuple[float, float, int]:
    """Return (wall seconds, CPU seconds of all threads, lines read) of the ingest."""
    static = next(s.default for s in SETTINGS if s.key == "access_logs.static_extensions")
    cfg = AccessLogConfig(
        files=[log.name],
        base_dir=log.parent,
        format="combined",
        shop_path_patterns=[r"^/shop/(?P<shop>[^/?#]+)"],
        portal_hosts=["www.portal.cn"],
        ad_click_paths=["/ad/click"],
        static_extensions=static,
    )
    shops = {str(member): member for member in range(1, SHOP_COUNT + 1)}
    con = duckdb.connect(str(workdir / "bench.duckdb"))
    cpu_started = cpu_seconds(resource.RUSAGE_SELF)
    started = time.perf_counter()
    result = load_access_logs(con, cfg, shops, "Asia/Shanghai", progress=False)
    days = con.execute(
        "create table daily as select member_id, day, count(*) as page_views, "
        "count(distinct visitor_id) as visitors from stg_page_views group by all"
    ).fetchall()
    elapsed = time.perf_counter() - started
    cpu = cpu_seconds(resource.RUSAGE_SELF) - cpu_started
    del days
    stats = result.stats[0]
    print(
        f"ingest: {stats.read} lines, {stats.loaded} page views, {stats.bots} bot hits, "
        f"skipped {dict(stats.skipped)}, rejected {dict(stats.rejected)}"
    )
    con.close()
    return elapsed, cpu, stats.read


def run_goaccess(log: Path, workdir: Path) -> tuple[float, float] | None:
    """Return (wall seconds, CPU seconds) of GoAccess, or None when it is not installed."""
    if shutil.which("goaccess") is None:
        return None
    cpu_started = cpu_seconds(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(
        ["goaccess", str(log), "--log-format=COMBINED", "-o", str(workdir / "report.json")],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - started, cpu_seconds(resource.RUSAGE_CHILDREN) - cpu_started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--lines",
        type=int,
        default=2_000_000,
        help="number of lines in the generated log (default 2,000,000)",
    )
    parser.add_argument(
        "--visitors",
        type=int,
        default=100_000,
        help="distinct browser visitors in the log (default 100,000); 0 gives every line "
        "a new random address",
    )
    parser.add_argument(
        "--log",
        type=Path,
        help="ingest this file as a combined log instead of a generated one, such as a file "
        "of odd lines to measure peak memory on",
    )
    parser.add_argument(
        "--no-goaccess",
        action="store_true",
        help="skip the GoAccess run",
    )
    parser.add_argument(
        "--without-scanner",
        action="store_true",
        help="check and split lines in DuckDB, as a load does where no C compiler is found",
    )
    args = parser.parse_args()
    if args.without_scanner:
        log_native.library = lambda: None
    elif log_native.library() is None:
        print("C scanner: not built (see the warning above); lines are checked in DuckDB")

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        if args.log is None:
            log = workdir / "access.log"
            write_log(log, args.lines, visitors=args.visitors)
            size_mb = log.stat().st_size / 1e6
            print(f"log: {args.lines} lines, {size_mb:.0f} MB, {args.visitors} browser visitors")
        else:
            log = args.log.resolve()
            print(f"log: {log}, {log.stat().st_size / 1e6:.0f} MB")

        ingest_s, ingest_cpu, lines = run_ingest(log, workdir)
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        ingest_rate = lines / ingest_s
        print(
            f"ingest: {ingest_s:.1f} s ({ingest_cpu:.1f} s CPU), {ingest_rate:,.0f} lines/s, "
            f"peak RSS {peak_mb:.0f} MB"
        )

        if args.no_goaccess:
            return
        goaccess = run_goaccess(log, workdir)
        if goaccess is None:
            print("goaccess: not on PATH, no comparison")
            return
        goaccess_s, goaccess_cpu = goaccess
        goaccess_rate = lines / goaccess_s
        print(
            f"goaccess: {goaccess_s:.1f} s ({goaccess_cpu:.1f} s CPU), {goaccess_rate:,.0f} lines/s"
        )
        print(f"ingest / goaccess speed: {ingest_rate / goaccess_rate:.2f}")
        # CPU seconds vary less than wall time when other work shares the machine.
        print(f"ingest / goaccess speed by CPU time: {goaccess_cpu / ingest_cpu:.2f}")


if __name__ == "__main__":
    main()
