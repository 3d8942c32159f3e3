"""One load at a time per warehouse: an exclusive, non-blocking flock on <warehouse.dir>/load.lock.

`python -m etl load` takes the lock before it touches the warehouse and keeps it to the end.
A second load finds the lock taken and stops at once (exit status 3) without changing
anything. The kernel drops a flock when its process ends, however it ends, so a load killed
part-way never leaves a stale lock. The lock file itself stays. It contains the pid and start
time of the last load that took it, which a rejected load prints.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from etl.errors import LoadError

logger = logging.getLogger(__name__)

LOCK_FILE = "load.lock"

# Lock files this process holds, so that clean-up steps can check they run under the lock.
_held: set[Path] = set()


class LoadLocked(LoadError):
    """Another load holds the warehouse's lock; this one changed nothing."""


def lock_path(warehouse_dir: Path) -> Path:
    return warehouse_dir / LOCK_FILE


def holds_lock(warehouse_dir: Path) -> bool:
    """True while this process holds the load lock of `warehouse_dir`."""
    return lock_path(warehouse_dir).resolve() in _held


@contextmanager
def load_lock(warehouse_dir: Path) -> Iterator[Path]:
    """Hold the warehouse's load lock for the block; raise LoadLocked if another load has it."""
    path = _lock_file(warehouse_dir)
    handle = path.open("a+", encoding="utf-8")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "unknown"
        handle.close()
        raise LoadLocked(
            f"Another load is running on {warehouse_dir} ({holder}); it holds {path}. This run "
            "stopped without changing anything; the next scheduled run will load as usual."
        ) from None

    try:
        handle.seek(0)
        handle.truncate()
        started = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        handle.write(f"pid {os.getpid()}, started {started}\n")
        handle.flush()
        _held.add(path.resolve())
        logger.info("Took the load lock %s.", path)
        yield path
    finally:
        _held.discard(path.resolve())
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


def _lock_file(warehouse_dir: Path) -> Path:
    try:
        warehouse_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise LoadError(
            f"Warehouse directory {warehouse_dir} cannot be created: {error.strerror}. "
            "Set warehouse.dir to a writable directory."
        ) from None
    return lock_path(warehouse_dir)
