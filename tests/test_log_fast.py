"""The DuckDB fast path gives the same rows, counts and rejections as the Python parser."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import duckdb
import pytest
from test_access_logs import DATA, SHOPS, make_config

from etl import access_logs, log_fast

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from access_log_ingest import write_log


def load_all(tmp_path: Path, name: str, files: list[str], base_dir: Path, fast: bool, fmt: str):
    con = duckdb.connect(str(tmp_path / f"{name}.duckdb"))
    cfg = make_config(files, base_dir, fmt)
    shops = {**SHOPS, **{str(member): member for member in range(1, 2_001)}}
    result = access_logs.load_access_logs(con, cfg, shops, "Asia/Shanghai", progress=False)
    views = con.execute("select * from stg_page_views order by file, line_no").fetchall()
    hits = con.execute("select * from stg_bot_hits order by all").fetchall()
    rejected = [(r.file, r.line_no, r.reason, r.column, r.value, r.raw) for r in result.rejections]
    stats = [
        (s.file, s.read, s.loaded, s.bots, dict(s.skipped), dict(s.rejected)) for s in result.stats
    ]
    return views, hits, rejected, stats


@pytest.mark.parametrize("fmt", ["combined", "common"])
def test_fast_path_matches_python_path(tmp_path, monkeypatch, fmt):
    # 3,000 generated lines (shops 1..2000 as ids, crawlers, assets, malformed lines) and
    # every hand-written case file, escapes and invalid bytes included.
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


def test_fast_path_is_taken_for_combined():
    context = access_logs.LineContext(make_config(["x"]), SHOPS, "Asia/Shanghai")
    try:
        assert context.fast is not None
    finally:
        context.close()
