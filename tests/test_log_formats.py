"""Lines real servers write, one file per case in tests/data/logs/, and the other formats.

Shops, portal host and time zone as in test_access_logs.py: `acme`/`101` are member 101,
`beta`/`202` member 202; 10:00:00 +0800 is 02:00:00 UTC on 1 May 2024 in Shanghai.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import duckdb
import pytest
from test_access_logs import CHROME, DATA, MAY_1, SHOPS, STATIC, UTC_0200, page_views, vid

from etl.access_logs import load_access_logs
from etl.config import AccessLogConfig
from etl.errors import ConfigError
from etl.log_build import staged_rejections
from etl.log_formats import make_format

TLS_VALUE = "\x16\x03\x01\x00\ufffd\x01\x00\x00\ufffd\x03\x03\ufffd"
NGINX_MAIN = (
    '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent '
    '"$http_referer" "$http_user_agent" "$http_x_forwarded_for" $request_time'
)
APACHE_CUSTOM = '%a %t "%m %U%q %H" %>s %B "%{Referer}i" "%{User-Agent}i" %D'


def config(files, log_format="combined", text="", hosts=()):
    return AccessLogConfig(
        files=files,
        base_dir=DATA,
        format=log_format,
        shop_path_patterns=[r"^/shop/(?P<shop>[^/?#]+)"],
        portal_hosts=["www.portal.cn"],
        ad_click_paths=["/ad/click"],
        static_extensions=STATIC,
        log_format=text,
        shop_host_patterns=list(hosts),
    )


def load(tmp_path, cfg):
    con = duckdb.connect(str(tmp_path / "work.duckdb"))
    result = load_access_logs(con, cfg, SHOPS, "Asia/Shanghai", progress=False)
    (stats,) = result.stats
    assert stats.reconciles()
    return con, result, stats


def direct_row(visitor, name, member=101, at=UTC_0200, day=MAY_1):
    return (member, at, day, visitor, "direct", None, None, name, 1)


# file, the client bytes the visitor is hashed from: each loads as one direct view of acme.
LOADED = [
    # The zone suffix stays part of the address.
    ("ipv6_zone.log", b"fe80::1%eth0"),
    # HostnameLookups On writes a host name in place of the address.
    ("hostname_client.log", b"client-7.example.net"),
    # An X-Forwarded-For list as the client: the left-most address is the visitor's.
    ("forwarded_for_client.log", b"203.0.113.31"),
    ("http3.log", b"203.0.113.30"),
    # HTTP/0.9 style: no protocol after the path.
    ("no_protocol.log", b"203.0.113.30"),
    # Apache writes "" for an empty authenticated user.
    ("empty_user.log", b"203.0.113.30"),
    # Raw bytes FF FE in the path: the shop key before them is still acme.
    ("invalid_utf8_path.log", b"203.0.113.30"),
]


@pytest.mark.parametrize(("name", "client"), LOADED)
def test_line_loads_as_direct_view(tmp_path, name, client):
    con, _, stats = load(tmp_path, config([name]))
    assert (stats.read, stats.loaded) == (1, 1)
    assert page_views(con) == [direct_row(vid(client, CHROME), name)]


def test_invalid_utf8_agent_hashes_raw_bytes(tmp_path):
    con, _, _ = load(tmp_path, config(["invalid_utf8_agent.log"]))
    agent = b"Mozilla/5.0 (Linux; Android 10; \xc4\xe3\xba\xc3\xff) Mobile"
    assert page_views(con) == [direct_row(vid(b"203.0.113.30", agent), "invalid_utf8_agent.log")]


def test_nginx_hex_escapes_keep_fields(tmp_path):
    con, _, _ = load(tmp_path, config(["nginx_hex_escape.log"]))
    # \x22 is a double quote: the so.com keyword is "valve" with its quotes; the visitor
    # hash is over the agent exactly as logged.
    agent = b"Mozilla/5.0 (compatible; \\x22Quoted\\x22 Browser 1.0)"
    assert page_views(con) == [
        (101, UTC_0200, MAY_1, vid(b"203.0.113.30", agent), "search", "360", '"valve"',
         "nginx_hex_escape.log", 1),
    ]  # fmt: skip


def test_long_line_loads(tmp_path):
    con, _, _ = load(tmp_path, config(["long_line.log"]))
    # A 40,000-byte referrer: still one Bing search view with keyword valve.
    assert [row[4:7] for row in page_views(con)] == [("search", "Bing", "valve")]


@pytest.mark.parametrize(
    ("name", "reason", "value"),
    [
        ("empty_request.log", "empty_request", ""),
        ("dash_request.log", "empty_request", "-"),
        # Raw TLS ClientHello bytes; A5, A1 and FA are not UTF-8, so U+FFFD in the value.
        ("tls_raw_bytes.log", "invalid_request", TLS_VALUE),
    ],
)
def test_line_rejected_with_reason(tmp_path, name, reason, value):
    con, _, stats = load(tmp_path, config([name]))
    assert stats.rejected == Counter({reason: 1})
    assert [(r.file, r.line_no, r.reason, r.column, r.value) for r in staged_rejections(con)] == [
        (name, 1, reason, "request", value)
    ]
    assert page_views(con) == []


def test_dash_status_skipped(tmp_path):
    _, _, stats = load(tmp_path, config(["dash_status.log"]))
    assert stats.skipped == Counter(status_not_counted=1)


@pytest.mark.parametrize(
    "name",
    [
        # 30 Apr 19:00 -0700 is 1 May 02:00 UTC.
        "minus_offset.log",
        # 1 May 07:45 +0545 (Nepal) is 1 May 02:00 UTC.
        "nepal_offset.log",
    ],
)
def test_any_offset_stored_in_utc(tmp_path, name):
    con, _, _ = load(tmp_path, config([name]))
    assert [row[1:3] for row in page_views(con)] == [(UTC_0200, MAY_1)]


VHOST_PATTERN = r"^(?!www\.)(?P<shop>[a-z0-9-]+)\.portal\.example$"


def test_vhost_combined_host_patterns(tmp_path):
    cfg = config(["vhost_combined.log"], "vhost_combined", hosts=[VHOST_PATTERN])
    con, _, stats = load(tmp_path, cfg)
    # Line 1: subdomain acme -> 101. Line 2: www is excluded, the path names beta -> 202.
    # Line 3: subdomain `nobody` names no member. Line 4: www host, not a shop path.
    assert [(row[0], row[-1]) for row in page_views(con)] == [(101, 1), (202, 2)]
    assert stats.skipped == Counter(unknown_shop=1, not_shop_page=1)


def test_json_lines(tmp_path):
    con, _, stats = load(tmp_path, config(["json_lines.log"], "json"))
    # Line 1: XFF left-most 203.0.113.50; raw GBK B8D6 B9DC in the Baidu referrer is 钢管.
    # Line 2: Baiduspider, a bot hit on member 202. Line 3: the object is cut off.
    assert page_views(con) == [
        (101, UTC_0200, MAY_1, vid(b"203.0.113.50", CHROME), "search", "Baidu", "钢管",
         "json_lines.log", 1),
    ]  # fmt: skip
    hits = con.execute("select * from stg_bot_hits").fetchall()
    assert hits == [(MAY_1, 202, "Baiduspider", "user_agent", 1)]
    assert (stats.read, stats.bots) == (3, 1)
    assert [(r.line_no, r.reason) for r in staged_rejections(con)] == [(3, "unparseable_line")]


def test_json_lines_with_template_names(tmp_path):
    log = tmp_path / "app.json"
    log.write_text(
        '{"ts":"2024-05-01T10:00:00+08:00","ip":"203.0.113.70","req":"GET /shop/beta/ HTTP/1.1",'
        '"code":200,"ua":"Mozilla/5.0 X","ref":"-"}\n',
        encoding="utf-8",
    )
    template = (
        '{"ts":"$time_iso8601","ip":"$remote_addr","req":"$request","code":$status,'
        '"ua":"$http_user_agent","ref":"$http_referer"}'
    )
    cfg = AccessLogConfig(**{**config([str(log)], "json", template).__dict__})
    con, _, _ = load(tmp_path, cfg)
    assert [row[:4] for row in page_views(con)] == [
        (202, UTC_0200, MAY_1, vid(b"203.0.113.70", b"Mozilla/5.0 X"))
    ]


def test_custom_nginx_format(tmp_path):
    con, _, stats = load(tmp_path, config(["custom_nginx.log"], "custom", NGINX_MAIN))
    # Line 1: the visitor is the X-Forwarded-For client, not the proxy 10.0.0.7.
    assert [(row[0], row[3], row[4], row[6]) for row in page_views(con)] == [
        (101, vid(b"203.0.113.60", CHROME), "search", "钢管"),
        (202, vid(b"10.0.0.7", CHROME), "direct", None),
    ]
    assert stats.loaded == 2


def test_custom_apache_format(tmp_path):
    con, _, _ = load(tmp_path, config(["custom_apache.log"], "custom", APACHE_CUSTOM))
    assert page_views(con) == [direct_row(vid(b"203.0.113.61", CHROME), "custom_apache.log")]


def test_combined_with_appended_fields(tmp_path):
    # The nginx main format above is combined plus two fields; format combined reads it.
    con, _, _ = load(tmp_path, config(["custom_nginx.log"]))
    assert [row[3] for row in page_views(con)] == [vid(b"10.0.0.7", CHROME)] * 2


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("custom", "", "access_logs.log_format is empty"),
        ("custom", "%h %l %u", "has no time variable"),
        ("custom", "$remote_addr [$time_local]", "has no request"),
        ("custom", "plain words", "names no variable"),
        ("custom", '%h %{%d/%m/%Y}t "%r"', "custom time layout"),
        ("w3c", "", "use one of"),
    ],
)
def test_bad_format_raises(name, text, message):
    with pytest.raises(ConfigError, match=message):
        make_format(name, text)


def test_epoch_time_format(tmp_path):
    log = tmp_path / "epoch.log"
    log.write_text('203.0.113.80 1714528800.123 "GET /shop/acme/ HTTP/1.1" 200\n')
    cfg = config([str(log)], "custom", '$remote_addr $msec "$request" $status')
    con, _, _ = load(tmp_path, cfg)
    # 1714528800 is 2024-05-01 02:00:00 UTC.
    assert [row[1:3] for row in page_views(con)] == [(dt.datetime(2024, 5, 1, 2), MAY_1)]


def test_json_backslash_kept(tmp_path):
    # The line contains `ac\\x6de`, which json.loads reads as `ac\x6de`. That backslash stays,
    # so the shop key is `ac\x6de`, not `acme`.
    con, _, stats = load(tmp_path, config(["json_backslash.log"], "json"))
    assert stats.skipped == Counter({"unknown_shop": 1})
    assert page_views(con) == []
