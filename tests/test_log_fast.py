"""The fast path gives the same rows, counts and rejections as the Python parser.

Each test runs twice: with the C scanner checking and splitting lines, and with DuckDB doing
it, as a load does where no C compiler is found.
"""

from __future__ import annotations

import random
import re
import sys
from pathlib import Path

import duckdb
import pytest
import test_access_logs
from test_access_logs import DATA, SHOPS, make_config

from etl import access_logs, log_fast, log_native
from etl.log_build import staged_rejections

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from access_log_ingest import write_log


@pytest.fixture(autouse=True, params=["c", "duckdb"])
def scanner(request, monkeypatch):
    if request.param == "duckdb":
        monkeypatch.setattr(log_native, "library", lambda: None)
    return request.param


def load_all(
    tmp_path: Path,
    name: str,
    files: list[str],
    base_dir: Path,
    fast: bool,
    fmt: str,
    timezone: str = "Asia/Shanghai",
):
    con = duckdb.connect(str(tmp_path / f"{name}.duckdb"))
    cfg = make_config(files, base_dir, fmt)
    shops = {**SHOPS, **{str(member): member for member in range(1, 2_001)}}
    result = access_logs.load_access_logs(con, cfg, shops, timezone, progress=False)
    views = con.execute("select * from stg_page_views order by file, line_no").fetchall()
    hits = con.execute("select * from stg_bot_hits order by all").fetchall()
    rejected = [
        (r.file, r.line_no, r.reason, r.column, r.value, r.raw) for r in staged_rejections(con)
    ]
    stats = [
        (s.file, s.read, s.loaded, s.bots, dict(s.skipped), dict(s.rejected)) for s in result.stats
    ]
    return views, hits, rejected, stats


@pytest.mark.parametrize("block_bytes", [access_logs.BLOCK_BYTES, 4_096])
@pytest.mark.parametrize("fmt", ["combined", "common"])
def test_fast_path_matches_python_path(tmp_path, monkeypatch, fmt, block_bytes):
    # 3,000 generated lines (shops 1..2000 as ids, crawlers, assets, malformed lines) and
    # every hand-written case file, escapes and invalid bytes included. With 4 KB blocks a
    # file is about a hundred blocks, parsed by the workers in parallel and finished in order.
    monkeypatch.setattr(access_logs, "BLOCK_BYTES", block_bytes)
    write_log(tmp_path / "generated.log", 3_000)
    if fmt == "common":
        # The same lines without referrer and agent.
        text = (tmp_path / "generated.log").read_text(encoding="utf-8")
        common = re.sub(r' "[^"]*" "[^"]*"$', "", text, flags=re.MULTILINE)
        (tmp_path / "generated.log").write_text(common, encoding="utf-8")
    for case in DATA.glob("*.log"):
        (tmp_path / case.name).write_bytes(case.read_bytes())
    files = ["*.log"]

    fast = load_all(tmp_path, "fast", files, tmp_path, True, fmt)
    monkeypatch.setattr(log_fast, "supports", lambda _format: False)
    slow = load_all(tmp_path, "slow", files, tmp_path, False, fmt)

    assert fast[3] == slow[3]
    assert fast[2] == slow[2]
    assert fast[1] == slow[1]
    assert fast[0] == slow[0]
    # Enough page views that the fast path carried most of them.
    assert sum(row[2] for row in fast[3]) > 1_000


def test_fast_path_is_taken_for_combined(scanner):
    context = access_logs.LineContext(make_config(["x"]), SHOPS, "Asia/Shanghai")
    try:
        assert context.fast is not None
        parsers = context.fast._all
        assert all((parser.native is not None) == (scanner == "c") for parser in parsers)
    finally:
        context.close()


# Characters that move field borders in the built-in formats.
MUTATION_CHARS = ['"', " ", "[", "]", ",", ":", "-", "+", "0", "a", "?", "#", "/"]


def mutated_lines(lines: list[str], count: int, seed: int) -> list[str]:
    """Return `count` variants of `lines`, each with one to three characters inserted,
    deleted or replaced at random places (printable ASCII only, so the fast path reads them)."""
    rng = random.Random(seed)
    variants = []
    for _ in range(count):
        line = rng.choice(lines)
        for _ in range(rng.randint(1, 3)):
            place = rng.randrange(len(line) + 1)
            char = rng.choice(MUTATION_CHARS)
            action = rng.choice(("insert", "delete", "replace"))
            if action == "insert":
                line = line[:place] + char + line[place:]
            elif action == "delete":
                line = line[:place] + line[place + 1 :]
            else:
                line = line[:place] + char + line[place + 1 :]
        variants.append(line)
    return variants


@pytest.mark.parametrize(
    ("fmt", "sample"),
    [
        ("combined", "combined_normal.log"),
        ("common", "common.log"),
        ("vhost_combined", "vhost_combined.log"),
    ],
)
def test_fast_path_matches_python_path_on_mutated_lines(tmp_path, monkeypatch, fmt, sample):
    # 2,000 lines, each a real line with a few characters changed where fields meet. The
    # fast path must accept only what the format's pattern parses and leave the rest to the
    # Python parser, so both paths give the same rows and rejections.
    lines = (DATA / sample).read_text(encoding="ascii").splitlines()
    text = "\n".join(lines + mutated_lines(lines, 2_000, seed=11)) + "\n"
    (tmp_path / "mutated.log").write_text(text, encoding="ascii")

    fast = load_all(tmp_path, "fast", ["mutated.log"], tmp_path, True, fmt)
    monkeypatch.setattr(log_fast, "supports", lambda _format: False)
    slow = load_all(tmp_path, "slow", ["mutated.log"], tmp_path, False, fmt)

    assert fast == slow
    # Both outcomes occur: mutations that keep the line valid and ones that break it.
    stats = fast[3][0]
    assert stats[2] + stats[3] + sum(stats[4].values()) > 500
    assert sum(stats[5].values()) > 100


LINE = (
    '203.0.113.7 - - [{time}] "GET /shop/acme/ HTTP/1.1" 200 5120 "-" '
    '"Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0.0.0 Safari/537.36"\n'
)


@pytest.mark.parametrize(
    "time",
    [
        "1/May/2024:10:00:00 +0800",  # one-digit day
        "01/May/24:10:00:00 +0800",  # two-digit year
        "01/May/2024:10:00:60 +0800",  # second 60
        "01/May/2024:24:00:00 +0800",  # hour 24
        "01/May/2024:10:00:00 +1500",  # offset beyond 14 hours
        "01/May/0000:10:00:00 +0800",  # year 0
        "31/Feb/2024:10:00:00 +0800",  # no such date
    ],
)
def test_fast_path_rejects_loose_timestamps(tmp_path, time):
    (tmp_path / "time.log").write_text(LINE.format(time=time), encoding="ascii")
    views, _hits, rejected, _stats = load_all(
        tmp_path, "fast", ["time.log"], tmp_path, True, "combined"
    )
    assert views == []
    assert rejected == [
        ("time.log", 1, "invalid_timestamp", "time", time, LINE.format(time=time).rstrip("\n"))
    ]


def test_fast_path_day_before_1970(tmp_path):
    # 01/May/0024 10:00 +0800 is 02:00 UTC. Asia/Shanghai then kept local mean time,
    # +08:05:43, so the local day is 1 May 0024. DuckDB's `//` truncates toward zero and
    # gave 2 May.
    (tmp_path / "old.log").write_text(
        LINE.format(time="01/May/0024:10:00:00 +0800"), encoding="ascii"
    )
    views, _hits, rejected, _stats = load_all(
        tmp_path, "fast", ["old.log"], tmp_path, True, "combined"
    )
    assert rejected == []
    assert [(row[1].year, row[1].hour, row[2].isoformat()) for row in views] == [
        (24, 2, "0024-05-01")
    ]


def test_fast_path_without_static_extensions(tmp_path, monkeypatch):
    # With no static extensions configured, a path without an extension is no asset: the
    # shop page of the file stays a page view on both paths.
    monkeypatch.setattr(test_access_logs, "STATIC", [])
    fast = load_all(tmp_path, "fast", ["combined_normal.log"], DATA, True, "combined")
    monkeypatch.setattr(log_fast, "supports", lambda _format: False)
    slow = load_all(tmp_path, "slow", ["combined_normal.log"], DATA, False, "combined")

    assert fast == slow
    assert [row[-1] for row in fast[0]] == [1]


def test_fast_path_days_across_dst_change(tmp_path, monkeypatch):
    # New York moved from -05:00 to -04:00 at 07:00 UTC on 10 March 2024. Lines every 20
    # minutes from 03:00 to 08:40 UTC, written in UTC: local midnight is 05:00 UTC, so the
    # lines from 03:00 to 04:40 (6 lines) fall on 9 March and the 12 lines after on 10 March.
    lines = [
        LINE.format(time=f"10/Mar/2024:{hour:02d}:{minute:02d}:00 +0000")
        for hour in range(3, 9)
        for minute in (0, 20, 40)
    ]
    (tmp_path / "dst.log").write_text("".join(lines), encoding="ascii")
    fast = load_all(tmp_path, "fast", ["dst.log"], tmp_path, True, "combined", "America/New_York")
    monkeypatch.setattr(log_fast, "supports", lambda _format: False)
    slow = load_all(tmp_path, "slow", ["dst.log"], tmp_path, False, "combined", "America/New_York")

    assert fast == slow
    days = [row[2].isoformat() for row in fast[0]]
    assert days == ["2024-03-09"] * 6 + ["2024-03-10"] * 12


def test_block_pieces_split_at_line_ends(monkeypatch):
    monkeypatch.setattr(access_logs, "MAX_BLOCK_LINES", 2)
    data = b"a\nb\nc\nd\ne\n"
    assert list(access_logs.block_pieces(data, 0, len(data), 5)) == [
        (0, 4, 2),
        (4, 6, 1),
        (6, 10, 2),
    ]
    # A first line longer than half the range is a piece of its own.
    data = b"xxxxxxxxxx\na\nb\n"
    assert list(access_logs.block_pieces(data, 0, len(data), 3)) == [(0, 11, 1), (11, 15, 2)]


@pytest.mark.parametrize("fast", [True, False])
def test_short_lines_and_rejections_batched(tmp_path, monkeypatch, fast):
    # Blocks of at most 2 lines and rejections written 2 at a time: every line is still
    # there once, in order, whichever path parsed it.
    monkeypatch.setattr(access_logs, "MAX_BLOCK_LINES", 2)
    monkeypatch.setattr(access_logs, "REJECT_BATCH_ROWS", 2)
    if not fast:
        monkeypatch.setattr(log_fast, "supports", lambda _format: False)
    line = LINE.format(time="01/May/2024:10:00:00 +0800")
    text = line + "\n\nnot a log line\n" + line.replace("acme", "beta") + "\nx\n" + line
    (tmp_path / "short.log").write_text(text, encoding="ascii")

    views, _hits, rejected, stats = load_all(
        tmp_path, "short", ["short.log"], tmp_path, fast, "combined"
    )

    assert [(row[0], row[-1]) for row in views] == [(101, 1), (202, 5), (101, 8)]
    assert rejected == [
        ("short.log", number, "unparseable_line", None, None, raw)
        for number, raw in ((2, ""), (3, ""), (4, "not a log line"), (6, ""), (7, "x"))
    ]
    assert stats == [("short.log", 8, 3, 0, {}, {"unparseable_line": 5})]
