"""The C line scanner (log_scan.c) for the built-in formats: building, loading and calling it.

The first load that needs the scanner compiles it with the system C compiler (`cc`, or $CC)
into build/ at the top of the project. The file name carries a digest of the source, so a
changed source is built again. Without a compiler, or when the build fails, `library()` logs
why once and returns None, and the fast path checks lines in DuckDB instead.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import logging
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pyarrow as pa

logger = logging.getLogger(__name__)

SOURCE = Path(__file__).with_name("log_scan.c")
BUILD_DIR = Path(__file__).resolve().parents[1] / "build"
COMPILE_FLAGS = ["-O3", "-shared", "-fPIC", "-std=c11"]
LINK_FLAGS = ["-lm"]
# The built-in formats the scanner reads, with the number log_scan.c uses for each.
FORMATS = {"common": 0, "combined": 1, "vhost_combined": 2}
# The fields it writes, in log_scan.c's order.
FIELDS = ("client", "host", "method", "path", "query", "status", "referrer", "agent", "visitor")
VIEW_BYTES = 16
# Views hold 32-bit offsets into the block.
MAX_BLOCK_BYTES = 2**31 - 1


class Scan(NamedTuple):
    """A scanned block: the taken lines as a table, and the lines left to Python."""

    table: pa.Table  # line (index in the block), epoch, and one string view column per field
    slow: np.ndarray  # indexes of the lines left
    starts: np.ndarray  # each line's start in the block, and the end after the last


@functools.cache
def library() -> ctypes.CDLL | None:
    """Return the built scanner, building it first if needed; None when it cannot be built."""
    try:
        path = build()
    except (OSError, subprocess.CalledProcessError) as error:
        detail = getattr(error, "stderr", "") or error
        logger.warning(
            "Access-log C scanner not built (%s); lines are checked in DuckDB instead, "
            "which is slower. Install a C compiler (Debian: apt-get install gcc) to use it.",
            str(detail).strip(),
        )
        return None

    lib = ctypes.CDLL(str(path))
    lib.log_scan_prepare.argtypes = []
    lib.log_scan_prepare.restype = None
    lib.log_scan_prepare()
    lib.log_scan_block.argtypes = [
        ctypes.c_char_p,
        ctypes.c_int64,
        ctypes.c_int32,
        ctypes.c_int64,
        *[ctypes.c_void_p] * 7,
    ]
    lib.log_scan_block.restype = ctypes.c_int64
    return lib


def build() -> Path:
    """Compile log_scan.c unless this source's build exists; return the shared library."""
    source = SOURCE.read_bytes()
    digest = hashlib.sha256(source + " ".join(COMPILE_FLAGS + LINK_FLAGS).encode()).hexdigest()[:16]
    target = BUILD_DIR / f"log_scan-{digest}.so"
    if target.exists():
        return target

    compiler = shutil.which(os.environ.get("CC", "cc"))
    if compiler is None:
        raise OSError(f"no C compiler found as {os.environ.get('CC', 'cc')!r}")
    BUILD_DIR.mkdir(exist_ok=True)
    # Built under a temporary name and renamed, so a parallel load never opens half a file.
    handle, temporary = tempfile.mkstemp(suffix=".so", dir=BUILD_DIR)
    os.close(handle)
    try:
        subprocess.run(
            [compiler, *COMPILE_FLAGS, "-o", temporary, str(SOURCE), *LINK_FLAGS],
            check=True,
            capture_output=True,
            text=True,
        )
        os.replace(temporary, target)
    finally:
        Path(temporary).unlink(missing_ok=True)
    logger.info("Built the access-log C scanner: %s", target)
    return target


class ScanBuffers:
    """The scanner's output arrays, kept from one block to the next of a parser.

    Fresh arrays for every block cost page faults, about a sixth of the scan's time. The
    arrays a Scan refers to are valid until the next scan with the same buffers.
    """

    def __init__(self) -> None:
        self.capacity = -1

    def reserve(self, lines: int) -> None:
        """Make room for `lines` lines, with an eighth more so slightly longer blocks fit."""
        if lines <= self.capacity:
            return
        capacity = lines + lines // 8
        self.views = np.empty((len(FIELDS), capacity, VIEW_BYTES), dtype=np.uint8)
        self.epochs = np.empty(capacity, dtype=np.int64)
        self.ids = np.empty((capacity, VIEW_BYTES), dtype=np.uint8)
        self.rows = np.empty(capacity, dtype=np.int64)
        self.slow = np.empty(capacity, dtype=np.int64)
        self.slow_count = np.zeros(1, dtype=np.int64)
        self.starts = np.empty(capacity + 1, dtype=np.int64)
        self.capacity = capacity


def scan(
    lib: ctypes.CDLL,
    data: bytes,
    fmt: str,
    lines: int | None = None,
    buffers: ScanBuffers | None = None,
) -> Scan:
    """Scan `data` (complete lines, `lines` of them when known) in the built-in format `fmt`."""
    if len(data) > MAX_BLOCK_BYTES:
        raise ValueError(f"block of {len(data)} bytes is over the scanner's {MAX_BLOCK_BYTES}")
    out = buffers or ScanBuffers()
    out.reserve(data.count(b"\n") if lines is None else lines)

    row_count = lib.log_scan_block(
        data,
        len(data),
        FORMATS[fmt],
        out.capacity,
        out.views.ctypes.data,
        out.epochs.ctypes.data,
        out.ids.ctypes.data,
        out.rows.ctypes.data,
        out.slow.ctypes.data,
        out.slow_count.ctypes.data,
        out.starts.ctypes.data,
    )

    data_buffers = [pa.py_buffer(data), pa.py_buffer(out.ids)]
    columns = {
        "line": pa.array(out.rows[:row_count]),
        "epoch": pa.array(out.epochs[:row_count]),
    }
    for number, name in enumerate(FIELDS):
        views = pa.py_buffer(out.views[number, :row_count])
        columns[name] = pa.Array.from_buffers(
            pa.string_view(), row_count, [None, views, *data_buffers]
        )
    return Scan(pa.table(columns), out.slow[: out.slow_count[0]], out.starts)
