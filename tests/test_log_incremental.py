"""Incremental access-log loads of the tiny portal: rotation, append, truncation, re-delivery.

The tiny portal's log (tests/tiny_portal.py) has 17 lines: 14 page views, 1 crawler hit,
1 asset and 1 malformed line. Its 13 page views of paid members on covered days show in
member_daily (member 4's view is not paid). Each new line below is a direct view of member 1
(alpha) on a November day, so it adds 1 to both totals.
"""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import duckdb
import pytest
from tiny_portal import CHROME, _line, write_portal

from etl.errors import SourceError
from etl.load import run_load
from etl.log_files import LogState


def new_lines(count: int, day: int = 20) -> str:
    return "".join(
        _line(f"9.1.1.{n}", f"{day}/Nov/2026:10:00:00 +0800", "/shop/alpha/", "-", CHROME) + "\n"
        for n in range(count)
    )


@pytest.fixture
def portal(tmp_path: Path) -> Path:
    return write_portal(tmp_path / "portal")


def logs(portal: Path) -> Path:
    return portal.parent / "logs"


def staging(portal: Path) -> Path:
    return portal.parent / "warehouse" / "staging" / "access_logs"


def totals(portal: Path) -> tuple[int, int, int]:
    """(page views in member_daily, log lines read, log lines loaded) of the current snapshot."""
    path = portal.parent / "warehouse" / "current.duckdb"
    with duckdb.connect(str(path), read_only=True) as con:
        views = con.execute("select sum(page_views) from member_daily").fetchone()[0]
        read, loaded = con.execute(
            "select sum(read_rows), sum(loaded_rows) from load_sources where source = "
            "'access_logs' and run_id = (select max(run_id) from load_runs)"
        ).fetchone()
    return views, read, loaded


def chunk_names(portal: Path) -> set[str]:
    return {path.name for path in (staging(portal) / "chunks").iterdir()}


def file_stats(report) -> dict[str, tuple[int, int]]:
    return {s.file: (s.read, s.loaded) for s in report.stats if s.source == "access_logs"}


def test_first_load_then_nothing_new(portal):
    run_load(portal, progress=False)
    first_chunks = chunk_names(portal)
    run_load(portal, progress=False)

    assert totals(portal) == (13, 17, 14)
    # The second run read nothing: the same chunk files, no new ones.
    assert chunk_names(portal) == first_chunks


def test_rotation_rename_then_compress(portal):
    run_load(portal, progress=False)
    first_chunks = chunk_names(portal)

    # logrotate: access.log -> access.log.1 (same inode), a new access.log with 2 lines.
    (logs(portal) / "access.log").rename(logs(portal) / "access.log.1")
    (logs(portal) / "access.log").write_text(new_lines(2), encoding="utf-8")
    report = run_load(portal, progress=False)
    assert totals(portal) == (15, 19, 16)
    assert file_stats(report) == {"logs/access.log": (2, 2), "logs/access.log.1": (17, 14)}
    assert first_chunks <= chunk_names(portal)

    # Next rotation: access.log.1 -> access.log.2.gz (new inode, same content) and
    # access.log -> access.log.1.
    rotated = logs(portal) / "access.log.1"
    (logs(portal) / "access.log.2.gz").write_bytes(gzip.compress(rotated.read_bytes()))
    rotated.unlink()
    (logs(portal) / "access.log").rename(rotated)
    before = chunk_names(portal)
    report = run_load(portal, progress=False)
    assert totals(portal) == (15, 19, 16)
    assert file_stats(report) == {"logs/access.log.1": (2, 2), "logs/access.log.2.gz": (17, 14)}
    assert chunk_names(portal) == before


def test_append_reads_from_last_offset(portal):
    run_load(portal, progress=False)
    with (logs(portal) / "access.log").open("a", encoding="utf-8") as handle:
        handle.write(new_lines(3))

    report = run_load(portal, progress=False)

    assert totals(portal) == (16, 20, 17)
    # One new chunk, starting where the first one ended.
    manifest = json.loads((staging(portal) / "manifest.json").read_text())
    (entry,) = manifest["entries"]
    first, second = entry["chunks"]
    assert first.split("-")[2] == second.split("-")[1]
    assert entry["lines"] == 20
    assert file_stats(report) == {"logs/access.log": (20, 17)}


def test_partial_last_line_counted_once(portal):
    run_load(portal, progress=False)
    line = new_lines(1)
    with (logs(portal) / "access.log").open("a", encoding="utf-8") as handle:
        handle.write(line[:-1])  # the server has not written the newline yet

    run_load(portal, progress=False)
    assert totals(portal) == (14, 18, 15)

    with (logs(portal) / "access.log").open("a", encoding="utf-8") as handle:
        handle.write("\n" + new_lines(1, day=21))
    run_load(portal, progress=False)
    assert totals(portal) == (15, 19, 16)


def test_copytruncate(portal):
    run_load(portal, progress=False)
    log = logs(portal) / "access.log"

    # logrotate copytruncate: copy to access.log.1, truncate, the server writes 1 line.
    shutil.copy(log, logs(portal) / "access.log.1")
    log.write_text(new_lines(1), encoding="utf-8")
    report = run_load(portal, progress=False)

    assert totals(portal) == (14, 18, 15)
    assert file_stats(report) == {"logs/access.log": (1, 1), "logs/access.log.1": (17, 14)}


def test_truncated_without_copy_drops_old_lines(portal):
    run_load(portal, progress=False)
    (logs(portal) / "access.log").write_text(new_lines(2), encoding="utf-8")

    run_load(portal, progress=False)

    # Only the 2 new lines are left on disk, so only they count.
    assert totals(portal) == (2, 2, 2)


def test_replaced_with_longer_content(portal):
    run_load(portal, progress=False)
    log = logs(portal) / "access.log"
    replacement = new_lines(30)
    assert len(replacement) > log.stat().st_size
    log.write_text(replacement, encoding="utf-8")

    run_load(portal, progress=False)

    assert totals(portal) == (30, 30, 30)


def test_redelivered_copy_counts_once(portal):
    run_load(portal, progress=False)
    shutil.copy(logs(portal) / "access.log", logs(portal) / "access.log-20261130")

    report = run_load(portal, progress=False)

    assert totals(portal) == (13, 34, 14)
    copy = next(s for s in report.stats if s.file.endswith("access.log-20261130"))
    assert (copy.read, copy.loaded, dict(copy.skipped)) == (17, 0, {"duplicate_file": 17})


def test_killed_before_manifest_leaves_old_state(portal, monkeypatch):
    run_load(portal, progress=False)
    first_snapshot = (portal.parent / "warehouse" / "current.duckdb").resolve()
    manifest = (staging(portal) / "manifest.json").read_text()
    with (logs(portal) / "access.log").open("a", encoding="utf-8") as handle:
        handle.write(new_lines(2))

    def killed(self):
        raise KeyboardInterrupt

    monkeypatch.setattr(LogState, "commit", killed)
    with pytest.raises(KeyboardInterrupt):
        run_load(portal, progress=False)
    monkeypatch.undo()

    assert (portal.parent / "warehouse" / "current.duckdb").resolve() == first_snapshot
    assert (staging(portal) / "manifest.json").read_text() == manifest
    run_load(portal, progress=False)
    assert totals(portal) == (15, 19, 16)
    # The killed run's chunk was removed as an orphan and written again: one per range.
    ranges = [name.split(".")[0] for name in chunk_names(portal) if name.endswith("rows.parquet")]
    assert len(ranges) == len(set(ranges)) == 2


def test_failed_build_keeps_snapshot_and_next_run_completes(portal):
    run_load(portal, progress=False)
    first_snapshot = (portal.parent / "warehouse" / "current.duckdb").resolve()
    with (logs(portal) / "access.log").open("a", encoding="utf-8") as handle:
        handle.write(new_lines(2))
    sheet = portal.parent / "电话统计.csv"
    good_sheet = sheet.read_bytes()
    sheet.write_text("月份,销售\n2026-11,王强\n", encoding="gbk")

    with pytest.raises(SourceError):
        run_load(portal, progress=False)
    assert (portal.parent / "warehouse" / "current.duckdb").resolve() == first_snapshot
    assert totals(portal) == (13, 17, 14)

    sheet.write_bytes(good_sheet)
    run_load(portal, progress=False)
    assert totals(portal) == (15, 19, 16)


def test_settings_change_reads_again(portal):
    run_load(portal, progress=False)
    text = portal.read_text(encoding="utf-8")
    # Views referred by the portal host become referral when it is no longer configured.
    portal.write_text(text.replace('["www.tiny-portal.cn"]', "[]"), encoding="utf-8")
    first_chunks = chunk_names(portal)

    run_load(portal, progress=False)

    assert totals(portal) == (13, 17, 14)
    assert not (first_chunks & chunk_names(portal))


def test_empty_new_log_after_rotation(portal):
    # logrotate's `create` before the first load: the new access.log is empty and sorts
    # first. The rotated file is new content; the empty file must not pass for its copy.
    (logs(portal) / "access.log").rename(logs(portal) / "access.log.1")
    (logs(portal) / "access.log").write_text("", encoding="utf-8")
    report = run_load(portal, progress=False)
    assert file_stats(report) == {"logs/access.log": (0, 0), "logs/access.log.1": (17, 14)}

    (logs(portal) / "access.log").write_text(new_lines(1), encoding="utf-8")
    run_load(portal, progress=False)
    assert totals(portal) == (14, 18, 15)
