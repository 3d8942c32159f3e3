"""`python -m etl load` under cron: one load at a time, recovery after a kill, retention.

Each test runs the real command line as a subprocess on the tiny portal (tests/tiny_portal.py).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from tiny_portal import LOG_LINES, write_portal

from etl.lock import LoadLocked, load_lock

REPO_ROOT = Path(__file__).resolve().parent.parent
EXIT_LOCKED = 3


@pytest.fixture
def portal(tmp_path: Path) -> Path:
    return write_portal(tmp_path / "portal")


def warehouse(portal: Path) -> Path:
    return portal.parent / "warehouse"


def start_load(portal: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "etl", "load", "--config", str(portal), "--no-progress"],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run_load_cli(portal: Path) -> subprocess.CompletedProcess:
    process = start_load(portal)
    stdout, stderr = process.communicate(timeout=300)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def wait_for(condition, process: subprocess.Popen, what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert process.poll() is None, f"the load ended before {what}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.005)


def current_target(portal: Path) -> Path:
    return (warehouse(portal) / "current.duckdb").resolve()


def building_files(portal: Path) -> list[Path]:
    return sorted((warehouse(portal) / "snapshots").glob("*.building*"))


def test_locked_warehouse_exits_3_at_once(portal):
    first = run_load_cli(portal)
    assert first.returncode == 0, first.stderr
    published = current_target(portal)

    with load_lock(warehouse(portal)):
        started = time.monotonic()
        second = run_load_cli(portal)
        elapsed = time.monotonic() - started

    assert second.returncode == EXIT_LOCKED
    assert "Another load is running on" in second.stderr
    assert f"pid {os.getpid()}" in second.stderr
    # It stops before reading any source; Python start-up is most of this time.
    assert elapsed < 30
    assert current_target(portal) == published
    assert building_files(portal) == []


def test_two_loads_started_together(tmp_path):
    """Both start at once; whichever takes the lock loads, the other exits 3 at once."""
    # 300 copies of the log make the load last seconds, far longer than the gap between the
    # two processes reaching the lock.
    portal = write_portal(tmp_path / "portal", log_lines=LOG_LINES * 300)
    loads = [start_load(portal), start_load(portal)]
    results = [load.communicate(timeout=300) for load in loads]
    codes = [load.returncode for load in loads]

    assert sorted(codes) == [0, EXIT_LOCKED], results
    loser = codes.index(EXIT_LOCKED)
    winner = loads[1 - loser]
    assert f"pid {winner.pid}," in results[loser][1]
    assert "Another load is running on" in results[loser][1]
    assert building_files(portal) == []


def test_killed_load_keeps_snapshot_and_next_run_recovers(portal):
    first = run_load_cli(portal)
    assert first.returncode == 0, first.stderr
    published = current_target(portal)

    killed = start_load(portal)
    wait_for(lambda: building_files(portal), killed, "the load started building")
    os.kill(killed.pid, signal.SIGKILL)
    killed.communicate(timeout=60)
    assert killed.returncode == -signal.SIGKILL

    # The killed run left its half-built file; the published snapshot is untouched.
    assert building_files(portal) != []
    assert current_target(portal) == published
    with duckdb.connect(str(published), read_only=True) as con:
        assert con.execute("select count(*) from members").fetchone()[0] > 0

    rerun = run_load_cli(portal)
    assert rerun.returncode == 0, rerun.stderr
    assert "Removing unfinished snapshot" in rerun.stderr
    assert building_files(portal) == []
    assert current_target(portal) != published


def test_old_snapshots_removed_after_count(portal):
    with portal.open("a", encoding="utf-8") as handle:
        handle.write("\n")
    text = portal.read_text(encoding="utf-8").replace(
        "[warehouse]", "[warehouse]\nkeep_snapshots = 2", 1
    )
    if "keep_snapshots = 2" not in text:
        text += '\n[warehouse]\ndir = "warehouse"\nkeep_snapshots = 2\n'
    portal.write_text(text, encoding="utf-8")

    published = []
    for _ in range(3):
        result = run_load_cli(portal)
        assert result.returncode == 0, result.stderr
        published.append(current_target(portal))

    remaining = sorted((warehouse(portal) / "snapshots").glob("snapshot-*.duckdb"))
    # Three loads with keep_snapshots = 2: the oldest is removed, the newest is current.
    assert remaining == sorted(published[1:])
    assert current_target(portal) == published[2]


def test_lock_is_released_and_reusable(tmp_path):
    with load_lock(tmp_path), pytest.raises(LoadLocked):
        # A second open file description in the same process is refused too.
        with load_lock(tmp_path):
            pass
    with load_lock(tmp_path) as path:
        assert path == tmp_path / "load.lock"
