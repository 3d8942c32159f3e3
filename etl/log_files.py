"""Log file identity and the incremental state of access-log staging.

A file is known by its device, inode, and a hash of its first HEAD_BYTES bytes of
*decompressed* content, together with how many bytes and lines of that content were read.
Matching by content lets a file keep its history through `access.log` -> `access.log.1`
(same inode) and `access.log.1` -> `access.log.2.gz` (new inode, same content).

The state lives in `<dir>/manifest.json`; parsed rows live in Parquet chunks under
`<dir>/chunks/`. A new manifest is written to a temporary file and renamed over the old one
only after all chunks it names are complete, so a run killed at any point leaves a manifest
whose chunks all exist; chunks that no manifest names are removed by the next run.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import json
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from etl.errors import SourceError

logger = logging.getLogger(__name__)

HEAD_BYTES = 4096
MANIFEST = "manifest.json"
CHUNKS = "chunks"
GZIP_MAGIC = b"\x1f\x8b"
MANIFEST_VERSION = 1


@dataclass
class FileEntry:
    """What is known of one file's content: identity, bytes and lines read, its chunks."""

    id: str
    name: str
    device: int
    inode: int
    head_len: int
    head_hash: str
    offset: int = 0
    lines: int = 0
    chunks: list[str] = field(default_factory=list)
    # The chunk of a last line without its newline: parsed, but read again next run.
    tail: str | None = None


@dataclass
class Manifest:
    settings: str
    entries: dict[str, FileEntry] = field(default_factory=dict)


def open_log(path: Path) -> tuple[BinaryIO, BinaryIO]:
    """Open `path` as (content reader, raw file). Gzip is detected by its magic bytes."""
    try:
        raw = path.open("rb")
        magic = raw.read(2)
        raw.seek(0)
    except OSError as error:
        raise SourceError(
            f"Access log {path} cannot be read: {error.strerror or error}. Check that the "
            "file exists and is readable by this user, or remove it from access_logs.files."
        ) from None
    if magic == GZIP_MAGIC:
        return gzip.GzipFile(fileobj=raw, mode="rb"), raw
    return raw, raw


def is_gzip(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(2) == GZIP_MAGIC


def read_head(path: Path, length: int) -> bytes:
    """Return the first `length` bytes of the decompressed content (fewer if it is shorter)."""
    reader, raw = open_log(path)
    try:
        with raw, reader:
            return reader.read(length)
    except (EOFError, OSError) as error:
        raise unreadable(path, error) from None


def unreadable(path: Path, error: Exception) -> SourceError:
    return SourceError(
        f"Access log {path} cannot be read to its end: {error}. A gzip file that ends early "
        "was usually copied while it was still being written. Copy it again, or remove it "
        "from access_logs.files."
    )


def digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


class LogState:
    """The manifest of one staging directory, and the entries this run claims."""

    def __init__(self, directory: Path, settings: str) -> None:
        self.directory = directory
        self.chunk_dir = directory / CHUNKS
        self.chunk_dir.mkdir(parents=True, exist_ok=True)
        self.old = self._read_manifest(settings)
        self.claimed: dict[str, FileEntry] = {}
        self._remove_orphans(self.old)

    def _read_manifest(self, settings: str) -> Manifest:
        path = self.directory / MANIFEST
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return Manifest(settings)
        except (OSError, ValueError) as error:
            logger.warning(
                "Access-log manifest %s unreadable (%s); reading all logs again", path, error
            )
            return Manifest(settings)
        if data.get("version") != MANIFEST_VERSION or data.get("settings") != settings:
            logger.info("Access-log settings changed since the last load; reading all logs again")
            return Manifest(settings)
        entries = {item["id"]: FileEntry(**item) for item in data.get("entries", [])}
        return Manifest(settings, entries)

    def _remove_orphans(self, manifest: Manifest) -> None:
        """Remove chunks that the manifest does not name: leftovers of killed runs."""
        known = {chunk for entry in manifest.entries.values() for chunk in entry.chunks}
        for path in self.chunk_dir.iterdir():
            if path.name.split(".", 1)[0] not in known:
                path.unlink(missing_ok=True)

    def claim(self, path: Path, name: str) -> tuple[FileEntry, bool]:
        """Return (entry, duplicate) for `path`.

        The entry is a copy of the known entry whose content `path` continues, or a new
        entry at offset 0. `duplicate` is True when another file of this run already
        claimed the same content: that file is then not read again.
        """
        stat = path.stat()
        unclaimed = [e for e in self.old.entries.values() if e.id not in self.claimed]
        # Unclaimed entries first, the one with this inode first among them, then the longest.
        candidates = sorted(
            (*unclaimed, *self.claimed.values()),
            key=lambda e: (
                e.id in self.claimed,
                (e.device, e.inode) != (stat.st_dev, stat.st_ino),
                -e.offset,
            ),
        )
        heads: dict[int, bytes] = {}
        plain_size = None if is_gzip(path) else stat.st_size
        for entry in candidates:
            # An empty file has no content to be known by, so it continues nothing.
            if entry.head_len == 0 or (plain_size is not None and plain_size < entry.offset):
                continue
            if entry.head_len not in heads:
                heads[entry.head_len] = read_head(path, entry.head_len)
            head = heads[entry.head_len]
            if len(head) != entry.head_len or digest(head) != entry.head_hash:
                continue
            if entry.id in self.claimed:
                return entry, True
            found = dataclasses.replace(entry, name=name, chunks=list(entry.chunks))
            found.device, found.inode = stat.st_dev, stat.st_ino
            self.claimed[found.id] = found
            return found, False
        return self._new_entry(path, name, stat), False

    def _new_entry(self, path: Path, name: str, stat: os.stat_result) -> FileEntry:
        head = read_head(path, HEAD_BYTES)
        seed = f"{stat.st_dev}:{stat.st_ino}:{time.time_ns()}".encode() + head
        entry = FileEntry(
            id=digest(seed)[:20],
            name=name,
            device=stat.st_dev,
            inode=stat.st_ino,
            head_len=len(head),
            head_hash=digest(head),
        )
        self.claimed[entry.id] = entry
        return entry

    def restart(self, entry: FileEntry, path: Path) -> FileEntry:
        """Replace a claimed entry whose content ended before its offset by a new one."""
        del self.claimed[entry.id]
        logger.warning("Access log %s is shorter than what was read of it; reading it again", path)
        return self._new_entry(path, entry.name, path.stat())

    def update_head(self, entry: FileEntry, path: Path) -> None:
        """Widen the fingerprint to HEAD_BYTES once the content has grown that long."""
        if entry.head_len < HEAD_BYTES and entry.offset > entry.head_len:
            head = read_head(path, min(HEAD_BYTES, entry.offset))
            entry.head_len, entry.head_hash = len(head), digest(head)

    def commit(self) -> None:
        """Write the manifest of the claimed entries, then remove chunks no entry names."""
        manifest = Manifest(self.old.settings, dict(self.claimed))
        data = {
            "version": MANIFEST_VERSION,
            "settings": manifest.settings,
            "entries": [dataclasses.asdict(entry) for entry in manifest.entries.values()],
        }
        target = self.directory / MANIFEST
        temporary = self.directory / f".{MANIFEST}.{os.getpid()}"
        with temporary.open("w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=1)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
        self.old = manifest
        self._remove_orphans(manifest)
