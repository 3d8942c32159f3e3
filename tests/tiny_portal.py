"""A tiny hand-written portal: SQLite database, one access log, two staff sheets, a config.

The numbers the tests expect from it are worked out by hand in test_load.py. As of
2026-11-30 with a 30-day window: the window is 2026-11-01..30, the previous window
2026-10-02..31. Members 1, 2 and 3 share segment 机床 and tier 银牌会员, so they form one peer
group; member 5 started on 2026-11-20 and is onboarding; member 4's contract ended in 2024.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import openpyxl
import sqlalchemy as sa

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0 Safari/537.36"
)
WECHAT = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.44 NetType/WIFI Language/zh_CN"
)
BAIDUSPIDER = "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)"


def _line(ip: str, stamp: str, path: str, referrer: str, agent: str, status: int = 200) -> str:
    return f'{ip} - - [{stamp}] "GET {path} HTTP/1.1" {status} 5120 "{referrer}" "{agent}"'


# Line numbers matter: the malformed line is line 16.
LOG_LINES = [
    # Previous window: member 1 (alpha) three views from one visitor, member 3 (gamma) two.
    _line("5.5.5.5", "20/Oct/2026:09:00:00 +0800", "/shop/alpha/", "-", CHROME),
    _line("5.5.5.5", "20/Oct/2026:09:01:00 +0800", "/shop/alpha/about.html", "-", CHROME),
    _line("5.5.5.5", "21/Oct/2026:09:00:00 +0800", "/shop/alpha/", "-", CHROME),
    _line("7.7.7.7", "22/Oct/2026:09:00:00 +0800", "/shop/gamma/", "-", CHROME),
    _line("7.7.7.7", "23/Oct/2026:09:00:00 +0800", "/shop/3/", "-", CHROME),
    # Window, member 1: search with keyword 挖掘机, portal-internal, direct by id, ad by utm.
    _line(
        "1.1.1.1",
        "10/Nov/2026:10:00:00 +0800",
        "/shop/alpha/",
        "https://www.baidu.com/s?wd=%E6%8C%96%E6%8E%98%E6%9C%BA",
        CHROME,
    ),
    _line(
        "1.1.1.1",
        "10/Nov/2026:10:01:00 +0800",
        "/shop/alpha/products/1.html",
        "https://www.tiny-portal.cn/search?kw=lathe",
        CHROME,
    ),
    _line("2.2.2.2", "11/Nov/2026:10:00:00 +0800", "/shop/1/", "-", CHROME),
    _line(
        "3.3.3.3", "12/Nov/2026:10:00:00 +0800", "/shop/alpha/?utm_source=newsletter", "-", CHROME
    ),
    # A crawler and an asset: neither is a page view.
    _line("9.9.9.9", "12/Nov/2026:11:00:00 +0800", "/shop/alpha/", "-", BAIDUSPIDER),
    _line("1.1.1.1", "10/Nov/2026:10:00:01 +0800", "/shop/alpha/logo.png", "-", CHROME),
    # Window, member 2 (beta): WeChat, another website, and a UTC stamp on 1 Nov in Shanghai.
    _line("4.4.4.4", "15/Nov/2026:10:00:00 +0800", "/shop/beta/", "-", WECHAT),
    _line(
        "4.4.4.4",
        "15/Nov/2026:10:05:00 +0800",
        "/shop/beta/",
        "https://www.example.com/list",
        CHROME,
    ),
    _line("6.6.6.6", "31/Oct/2026:16:30:00 +0000", "/shop/beta/", "-", CHROME),
    # Member 4 is not paid, member 5 is onboarding.
    _line("8.8.8.8", "16/Nov/2026:10:00:00 +0800", "/shop/delta/", "-", CHROME),
    "this line is not an access log line",
    _line("8.8.8.9", "25/Nov/2026:10:00:00 +0800", "/shop/epsilon/", "-", CHROME),
]

MEMBERS = [
    # id, name, segment, province, size, registered, slug, rep, after-sales
    (1, "甲机床有限公司", "机床", "浙江", "50-99人", "2020-03-01", "alpha", "王强", "李娜"),
    (2, "乙机床有限公司", "机床", "江苏", "100-499人", "2021-05-10", "beta", "王强", "李娜"),
    (3, "丙机床有限公司", "机床", "山东", "10-49人", "2019-01-20", "gamma", "赵敏", "周杰"),
    (4, "丁包装机械厂", "包装机械", "广东", "10-49人", "2018-07-07", "delta", "赵敏", "周杰"),
    (5, "戊机床科技", "机床", "浙江", "10-49人", "2026-11-01", "epsilon", "王强", "李娜"),
]

CONTRACTS = [
    # id, member, tier, start, end, amount
    (11, 1, "银牌会员", "2026-01-01", "2026-12-31", 12800.00),
    (12, 2, "银牌会员", "2026-02-01", "2027-01-31", 12800.00),
    (13, 3, "银牌会员", "2025-06-01", "2026-05-31", 11800.00),
    (14, 3, "银牌会员", "2026-06-01", "2027-05-31", 12800.00),
    (15, 4, "普通会员", "2023-03-01", "2024-02-29", 6800.00),
    (16, 5, "金牌会员", "2026-11-20", "2027-11-19", 19800.00),
]

# (table, member, local time) for the four event tables.
EVENTS = [
    ("xj_inquiry", 1, "2026-11-03 09:00:00"),
    ("xj_inquiry", 1, "2026-11-13 09:00:00"),
    ("xj_inquiry", 1, "2026-11-23 09:00:00"),
    ("xj_inquiry", 2, "2026-11-05 09:00:00"),
    ("xj_inquiry", 3, "2026-10-10 09:00:00"),
    ("xj_inquiry", 3, "2026-10-11 09:00:00"),
    ("ly_guestbook", 2, "2026-11-06 09:00:00"),
    ("ly_guestbook", 2, "2026-11-07 09:00:00"),
    ("ly_guestbook", 3, "2026-11-08 09:00:00"),
    ("lx_contact_view", 1, "2026-11-09 09:00:00"),
    ("lx_contact_view", 2, "2026-11-09 10:00:00"),
    ("gg_click", 3, "2026-11-10 09:00:00"),
]

QUERIES = {
    "members": """
        select c.cid as member_id, c.cname as company_name, c.hangye as segment,
               c.sheng as province, c.guimo as company_size, c.regdate as registered_on,
               c.shopname as shop_slug, c.xiaoshou as sales_rep, c.shouhou as after_sales_owner
        from qy_company as c""",
    "contracts": """
        select h.hid as contract_id, h.cid as member_id, h.jibie as tier,
               h.kaishi as start_date, h.jieshu as end_date, h.jine as amount_cny
        from hy_contract as h""",
    "inquiries": "select id as event_id, cid as member_id, t as occurred_at from xj_inquiry",
    "messages": "select id as event_id, cid as member_id, t as occurred_at from ly_guestbook",
    "contact_views": (
        "select id as event_id, cid as member_id, t as occurred_at from lx_contact_view"
    ),
    "ad_clicks": "select id as event_id, cid as member_id, t as occurred_at from gg_click",
}


def write_database(path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "create table qy_company (cid integer primary key, cname text, hangye text, "
            "sheng text, guimo text, regdate text, shopname text, xiaoshou text, shouhou text)"
        )
        connection.exec_driver_sql(
            "create table hy_contract (hid integer primary key, cid integer, jibie text, "
            "kaishi text, jieshu text, jine real)"
        )
        for table in ("xj_inquiry", "ly_guestbook", "lx_contact_view", "gg_click"):
            connection.exec_driver_sql(
                f"create table {table} (id integer primary key, cid integer, t text)"
            )
        connection.exec_driver_sql(
            "insert into qy_company values (?, ?, ?, ?, ?, ?, ?, ?, ?)", MEMBERS
        )
        connection.exec_driver_sql("insert into hy_contract values (?, ?, ?, ?, ?, ?)", CONTRACTS)
        for event_id, (table, member_id, occurred_at) in enumerate(EVENTS, start=1):
            connection.exec_driver_sql(
                f"insert into {table} values (?, ?, ?)", (event_id, member_id, occurred_at)
            )
    engine.dispose()


def write_sheets(directory: Path) -> tuple[Path, Path]:
    targets = directory / "销售目标.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["月份", "销售", "目标金额"])
    sheet.append(["2026年11月", "王强", "¥120,000.00"])
    sheet.append([dt.date(2026, 11, 1), "赵敏", "8万"])
    workbook.save(targets)

    calls = directory / "电话统计.csv"
    with calls.open("w", encoding="gbk", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["月份", "销售", "通话次数"])
        writer.writerow(["2026-11", "王强", "310"])
        writer.writerow(["2026-11", "赵敏", "285"])
    return targets, calls


def write_portal(directory: Path, *, log_lines: list[str] | None = None) -> Path:
    """Write the whole tiny portal into `directory` and return the path of its config."""
    directory.mkdir(parents=True, exist_ok=True)
    write_database(directory / "portal.db")
    (directory / "logs").mkdir(exist_ok=True)
    lines = LOG_LINES if log_lines is None else log_lines
    (directory / "logs" / "access.log").write_text("\n".join(lines) + "\n", encoding="utf-8")
    write_sheets(directory)

    queries = "\n".join(f'{name} = """{sql}"""' for name, sql in QUERIES.items())
    config = directory / "portal.toml"
    config.write_text(
        f"""
[portal]
name = "小型测试门户"
as_of = "2026-11-30"

[warehouse]
dir = "warehouse"

[database]
url = "sqlite:///portal.db"

[database.queries]
{queries}

[access_logs]
files = ["logs/access.log*"]
portal_hosts = ["www.tiny-portal.cn"]

[spreadsheets.sales_targets]
file = "销售目标.xlsx"

[spreadsheets.call_counts]
file = "电话统计.csv"
""",
        encoding="utf-8",
    )
    return config
