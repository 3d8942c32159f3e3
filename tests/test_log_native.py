"""The C line scanner: its fields, visitor ids and build, against the Python parser."""

from __future__ import annotations

import hashlib
import logging
import random

import pytest

from etl import access_logs, log_native

LINE = (
    '{client} - - [01/May/2024:10:00:00 +0800] "GET /shop/acme/list?page=2 HTTP/1.1" 200 5120 '
    '"https://www.baidu.com/s?wd=x" "{agent}"\n'
)


def scan(data: bytes, fmt: str = "combined") -> log_native.Scan:
    lib = log_native.library()
    assert lib is not None, "the C scanner did not build; see the warning logged"
    return log_native.scan(lib, data, fmt)


def test_scan_fields_epoch_and_starts():
    # 01/May/2024 10:00 at +0800 is 02:00 UTC: 19,844 days after 1970-01-01, so the epoch is
    # 19844 * 86400 + 2 * 3600 = 1,714,528,800.
    first = LINE.format(client="203.0.113.7", agent="Mozilla/5.0 (X11; Linux x86_64)")
    data = (first + "not a log line\n").encode()
    scanned = scan(data)

    assert scanned.table.to_pylist() == [
        {
            "line": 0,
            "epoch": 1_714_528_800,
            "client": "203.0.113.7",
            "host": "",
            "method": "GET",
            "path": "/shop/acme/list",
            "query": "page=2",
            "status": "200",
            "referrer": "https://www.baidu.com/s?wd=x",
            "agent": "Mozilla/5.0 (X11; Linux x86_64)",
            "visitor": hashlib.md5(b"203.0.113.7 Mozilla/5.0 (X11; Linux x86_64)").hexdigest()[:16],
        }
    ]
    assert scanned.slow.tolist() == [1]
    assert scanned.starts.tolist() == [0, len(first), len(data)]


def test_visitor_ids_match_hashlib():
    # Agent lengths 30 to 160 put the end of `address agent` at every place in MD5's 64-byte
    # chunks, both sides of the 56-byte padding limit, over one to three chunks. Ids are
    # computed for two rows at once, so the order is shuffled to pair short with long
    # messages. Messages of 248 bytes and more (agents of 239 and more here) need more than
    # the four chunks a pair handles.
    # The client is an X-Forwarded-For list, so only its first address counts.
    lengths = [*range(30, 161), 237, 238, 239, 300, 5_000]
    random.Random(3).shuffle(lengths)
    agents = ["a" * (length - 1) + "z" for length in lengths]
    data = "".join(LINE.format(client="10.0.0.1,172.16.0.9", agent=a) for a in agents).encode()
    scanned = scan(data)

    expected = [access_logs.visitor_id(b"10.0.0.1", agent.encode()) for agent in agents]
    assert scanned.table["visitor"].to_pylist() == expected


def test_vhost_and_common_fields():
    vhost = (
        "Shop-A.Portal.example:443 198.51.100.4 - - [01/May/2024:10:00:00 +0800] "
        '"GET /p HTTP/2.0" 304 - "-" "curl/8.5"\n'
    )
    common = '198.51.100.4 - - [01/May/2024:10:00:00 -0000] "HEAD /p" - 12  \n'

    row = scan(vhost.encode(), "vhost_combined").table.to_pylist()[0]
    # The host keeps its case here; the fast path lowers it in SQL.
    assert (row["host"], row["client"], row["status"], row["agent"]) == (
        "Shop-A.Portal.example",
        "198.51.100.4",
        "304",
        "curl/8.5",
    )
    row = scan(common.encode(), "common").table.to_pylist()[0]
    # 10:00 at an offset of zero is 10:00 UTC: 19844 * 86400 + 36000 = 1,714,557,600.
    assert (row["method"], row["status"], row["referrer"], row["agent"], row["epoch"]) == (
        "HEAD",
        "-",
        "-",
        "",
        1_714_557_600,
    )


@pytest.mark.parametrize(
    "line",
    [
        # A byte the fast path may not read: non-ASCII, a backslash escape, a tab, a CR.
        LINE.format(client="203.0.113.7", agent="Mozilla/5.0 ä"),
        LINE.format(client="203.0.113.7", agent='Mozilla/5.0 \\"x\\"'),
        LINE.format(client="203.0.113.7", agent="Mozilla/5.0\tx"),
        LINE.format(client="203.0.113.7", agent="Mozilla/5.0").replace("\n", "\r\n"),
        # Layouts the built-in patterns reject.
        LINE.format(client="10.0.0.1, 10.0.0.2", agent="x"),
        LINE.format(client="10.0.0.1,", agent="x"),
        LINE.format(client="203.0.113.7", agent="x").replace(" 200 ", " 20 "),
        LINE.format(client="203.0.113.7", agent="x").replace("/shop/acme/list", "shop"),
        LINE.format(client="203.0.113.7", agent="x").replace("?page=2", "#top"),
        LINE.format(client="203.0.113.7", agent="x").replace('x"\n', 'x"y\n'),
        LINE.format(client="203.0.113.7", agent="x").replace("01/May", "31/Apr"),
        LINE.format(client="203.0.113.7", agent="x").replace("+0800", "+1460"),
        LINE.format(client="203.0.113.7", agent="x").replace("2024", "0000"),
    ],
)
def test_odd_lines_left_to_python(line):
    scanned = scan(line.encode("utf-8"))
    assert scanned.table.num_rows == 0
    assert scanned.slow.tolist() == [0]


def test_month_names_in_any_case():
    line = LINE.format(client="203.0.113.7", agent="x").replace("May", "mAY")
    assert scan(line.encode()).table["epoch"].to_pylist() == [1_714_528_800]


def fresh_library(caplog):
    """Return library() as a first load would get it, with its warnings in `caplog`."""
    log_native.library.cache_clear()
    try:
        with caplog.at_level(logging.WARNING, logger="etl.log_native"):
            return log_native.library()
    finally:
        log_native.library.cache_clear()


def test_build_without_compiler(tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(log_native, "BUILD_DIR", tmp_path / "build")
    monkeypatch.setenv("CC", str(tmp_path / "no-such-cc"))
    assert fresh_library(caplog) is None
    assert "no C compiler found" in caplog.text
    assert "checked in DuckDB instead" in caplog.text


def test_failed_compile_logged(tmp_path, monkeypatch, caplog):
    source = tmp_path / "broken.c"
    source.write_text("int log_scan_block(void) { return }\n")
    monkeypatch.setattr(log_native, "SOURCE", source)
    monkeypatch.setattr(log_native, "BUILD_DIR", tmp_path / "build")
    assert fresh_library(caplog) is None
    assert "broken.c" in caplog.text
    # No half-built library is left behind for the next load to pick up.
    assert list((tmp_path / "build").iterdir()) == []


def test_build_redone_on_source_change(tmp_path, monkeypatch):
    source = tmp_path / "log_scan.c"
    source.write_bytes(log_native.SOURCE.read_bytes())
    monkeypatch.setattr(log_native, "SOURCE", source)
    monkeypatch.setattr(log_native, "BUILD_DIR", tmp_path / "build")

    first = log_native.build()
    assert log_native.build() == first
    source.write_bytes(source.read_bytes() + b"\n/* changed */\n")
    second = log_native.build()

    assert second != first
    assert sorted(path.name for path in (tmp_path / "build").iterdir()) == sorted(
        [first.name, second.name]
    )
