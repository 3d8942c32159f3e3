"""Access logs (nginx or Apache, any line format) to shop page views and bot hits.

A load works in two steps. Staging reads only the content of each file that no earlier load
read (etl/log_files.py knows which) and parses it line by line into Parquet chunks: one row
per parsed line with its time, visitor, shop key, outcome, crawler name and traffic source,
plus the rejected lines with their reasons. Building then reads every chunk of the files
still on disk into DuckDB and decides there what needs all lines at once: clients that
fetched /robots.txt, clients above the request rate, and which shop keys are members.
Memory stays bounded by one batch of rows and the capped caches, never by a file's size.

The shop is staged as its key (slug, id or host part), not as a member id, so a member added
to the portal later gets its earlier views at the next load without reading the logs again.
"""

from __future__ import annotations

import datetime as dt
import glob
import gzip
import hashlib
import json
import logging
import re
import tempfile
import zlib
from collections import Counter, deque
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import BinaryIO
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from tqdm import tqdm

from etl import log_fast
from etl.bots import BotDetector, robots_client_name
from etl.config import AccessLogConfig
from etl.errors import ConfigError, SourceError
from etl.log_build import LogResult, build_staging
from etl.log_files import FileEntry, LogState, open_log, unreadable
from etl.log_formats import CLF, EPOCH, Fields, make_format
from etl.rows import SourceStats
from etl.traffic_sources import TrafficClassifier

logger = logging.getLogger(__name__)

__all__ = ["LogResult", "load_access_logs", "open_log", "resolve_log_files"]

SOURCE = "access_logs"
BATCH_ROWS = 50_000
RAW_MAX_CHARS = 2_000
# Rejections keep up to RAW_MAX_CHARS of their line, so fewer of them make a batch.
REJECT_BATCH_ROWS = 10_000
# Content is read and parsed this many bytes at a time (whole lines).
BLOCK_BYTES = 64 << 20
# A longer line is rejected as `line_too_long` and only its start is kept, so one line without
# a newline in a huge file cannot fill memory. Not less than BLOCK_BYTES: a longer line never
# fits in one block, so every such line is found while carried from block to block.
MAX_LINE_BYTES = 64 << 20
# Parsing costs memory per line as well as per byte, so a block of more lines than this
# (short or blank lines) is parsed in pieces. Logged requests average 150 to 300 bytes, which
# makes a block 200,000 to 450,000 lines.
MAX_BLOCK_LINES = 500_000
CACHE_MAX_ENTRIES = 200_000
# Bumped when parsing changes what a staged row holds, so old chunks are read again.
PARSER_VERSION = 4

ROW_SCHEMA = pa.schema(
    [
        ("line_no", pa.int64()),
        ("epoch", pa.int64()),
        ("day", pa.int32()),
        ("visitor", pa.string()),
        ("shop", pa.string()),
        ("outcome", pa.string()),
        ("bot", pa.string()),
        ("alias", pa.string()),
        ("robots", pa.bool_()),
        ("source_class", pa.string()),
        ("search_engine", pa.string()),
        ("keyword", pa.string()),
    ]
)
REJECT_SCHEMA = pa.schema(
    [
        ("line_no", pa.int64()),
        ("reason", pa.string()),
        ("column_name", pa.string()),
        ("value", pa.string()),
        ("raw", pa.string()),
    ]
)
VIEW = "view"
ESCAPE = re.compile(rb"\\(x[0-9A-Fa-f]{2}|.)")
# A timestamp without its minutes and seconds: `10/Oct/2000:13 -0700`.
HOUR_PATTERN = re.compile(rb"^(\d{2})/([A-Za-z]{3})/(\d{4}):(\d{2}) ([+-])(\d{2})(\d{2})$")
MONTHS = {
    name.encode(): number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
        start=1,
    )
}
UNIX_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
# Times the clock accepts, in UTC: a day inside the calendar's ends, so that the local day
# and the time stay between the years 1 and 9999 in any zone.
MIN_EPOCH = (dt.date(1, 1, 2).toordinal() - UNIX_EPOCH_ORDINAL) * 86400
MAX_EPOCH = (dt.date(9999, 12, 31).toordinal() - UNIX_EPOCH_ORDINAL) * 86400 - 1


def load_access_logs(
    con: duckdb.DuckDBPyConnection,
    cfg: AccessLogConfig,
    shops: dict[str, int],
    timezone: str,
    progress: bool,
    staging_dir: Path | None = None,
) -> LogResult:
    """Append the page views and bot hits of every configured log file to `con`.

    With `staging_dir`, parsed content is kept there and only new content is read on the
    next call; without it every file is read in full into a temporary directory.
    The `file` column and the stats name each file relative to cfg.base_dir when it lies
    inside it, so rows stay the same when the config directory moves.

    Raises SourceError when a pattern matches no file or a file cannot be read to its end,
    and ConfigError when a pattern or format is invalid. Row problems become Rejections.
    """
    context = LineContext(cfg, shops, timezone)
    paths = resolve_log_files(cfg)
    try:
        if staging_dir is None:
            with tempfile.TemporaryDirectory(prefix="access-logs-") as temporary:
                return _load(con, cfg, context, paths, Path(temporary), progress)
        return _load(con, cfg, context, paths, Path(staging_dir), progress)
    finally:
        context.close()


def _load(
    con: duckdb.DuckDBPyConnection,
    cfg: AccessLogConfig,
    context: LineContext,
    paths: list[Path],
    directory: Path,
    progress: bool,
) -> LogResult:
    state = LogState(directory, settings_key(cfg, context.timezone))
    duplicates: dict[str, SourceStats] = {}
    order: list[tuple[str, str | None]] = []  # (file name, entry id or None for a duplicate)
    total_bytes = sum(path.stat().st_size for path in paths)
    with tqdm(
        total=total_bytes, unit="B", unit_scale=True, desc="access logs", disable=not progress
    ) as bar:
        for path in paths:
            name = display_name(path, cfg.base_dir)
            entry, duplicate = state.claim(path, name)
            if duplicate:
                duplicates[name] = duplicate_stats(path, name, entry)
                order.append((name, None))
            else:
                entry = stage_file(state, entry, path, context, bar)
                order.append((name, entry.id))
    state.commit()

    result = build_staging(con, state, context.shops, cfg.bot_max_requests_per_minute)
    by_name = {stats.file: stats for stats in result.stats}
    by_name.update(duplicates)
    result.stats = [by_name.get(name) or SourceStats(source=SOURCE, file=name) for name, _ in order]
    return result


def settings_key(cfg: AccessLogConfig, timezone: str) -> str:
    """Hash of every setting that changes what a staged row holds."""
    settings = {
        "version": PARSER_VERSION,
        "format": cfg.format,
        "log_format": cfg.log_format,
        "shop_path_patterns": cfg.shop_path_patterns,
        "shop_host_patterns": cfg.shop_host_patterns,
        "portal_hosts": cfg.portal_hosts,
        "ad_click_paths": cfg.ad_click_paths,
        "static_extensions": cfg.static_extensions,
        "timezone": timezone,
    }
    text = json.dumps(settings, sort_keys=True, ensure_ascii=False)
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def resolve_log_files(cfg: AccessLogConfig) -> list[Path]:
    """Expand cfg.files against cfg.base_dir, in pattern order, each file once."""
    paths: dict[Path, None] = {}
    for pattern in cfg.files:
        full_pattern = str(Path(cfg.base_dir) / Path(pattern).expanduser())
        matches = [Path(name) for name in sorted(glob.glob(full_pattern, recursive=True))]
        files = [path for path in matches if path.is_file()]
        if not files:
            raise SourceError(
                f"Access-log pattern {pattern!r} in access_logs.files matches no file "
                f"(looked for {full_pattern}). Fix the pattern, which is relative to the "
                "config file's directory, or remove it."
            )
        for path in files:
            paths.setdefault(path.resolve(), None)
    return list(paths)


def display_name(path: Path, base_dir: Path) -> str:
    """Return the path relative to the config directory when inside it, else absolute."""
    base = Path(base_dir).resolve()
    return path.relative_to(base).as_posix() if path.is_relative_to(base) else str(path)


class Clock:
    """Access-log timestamps to (UTC epoch seconds, local day number since 1970-01-01).

    Results are cached per distinct timestamp, and the costly part (date, hour, offset and
    the zone's UTC offset) per distinct hour, so a day's log parses about 24 full dates.
    """

    def __init__(self, timezone: str) -> None:
        self.zone = ZoneInfo(timezone)
        self._seconds: dict[bytes, tuple[int, int] | None] = {}
        self._hours: dict[bytes, tuple[int, int | None] | None] = {}

    def parse_kind(self, text: bytes, kind: str) -> tuple[int, int] | None:
        """Parse a CLF, ISO 8601 or epoch-seconds timestamp; None when it is not valid."""
        if kind == CLF:
            return self.parse(text)
        cached = self._seconds.get(text, False)
        if cached is not False:
            return cached
        value = self._parse_epoch(text) if kind == EPOCH else self._parse_iso(text)
        self._remember(self._seconds, text, value)
        return value

    def parse(self, text: bytes) -> tuple[int, int] | None:
        """Return (epoch seconds, local day) for `10/Oct/2000:13:55:36 -0700`, else None."""
        cached = self._seconds.get(text, False)
        if cached is not False:
            return cached

        value = self._parse_second(text)
        self._remember(self._seconds, text, value)
        return value

    @staticmethod
    def _remember(cache: dict, key: bytes, value) -> None:
        if len(cache) >= CACHE_MAX_ENTRIES:
            cache.clear()
        cache[key] = value

    def _with_day(self, epoch: int) -> tuple[int, int] | None:
        if not MIN_EPOCH <= epoch <= MAX_EPOCH:
            return None
        return epoch, (epoch + self.zone_offset(epoch)) // 86400

    def _parse_epoch(self, text: bytes) -> tuple[int, int] | None:
        try:
            return self._with_day(int(float(text)))
        except (ValueError, OverflowError):
            return None

    def _parse_iso(self, text: bytes) -> tuple[int, int] | None:
        try:
            moment = dt.datetime.fromisoformat(text.decode("ascii"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=self.zone)
            return self._with_day(int(moment.timestamp()))
        except (ValueError, OverflowError, UnicodeDecodeError):
            return None

    def _parse_second(self, text: bytes) -> tuple[int, int] | None:
        # Layout `dd/Mon/yyyy:HH:MM:SS +zzzz`: bytes 15-16 are minutes, 18-19 seconds.
        if len(text) != 26 or text[14:15] != b":" or text[17:18] != b":":
            return None
        minute, second = text[15:17], text[18:20]
        if not (minute.isdigit() and second.isdigit()) or minute > b"59" or second > b"59":
            return None
        key = text[:14] + text[20:]
        hour = self._hours.get(key, False)
        if hour is False:
            hour = self._parse_hour(key)
            self._remember(self._hours, key, hour)
        if hour is None:
            return None

        hour_epoch, zone_offset = hour
        epoch = hour_epoch + int(minute) * 60 + int(second)
        if zone_offset is None:
            zone_offset = self.zone_offset(epoch)
        return epoch, (epoch + zone_offset) // 86400

    def _parse_hour(self, key: bytes) -> tuple[int, int | None] | None:
        """Return (epoch of the hour's start, zone offset in seconds or None when it changes)."""
        match = HOUR_PATTERN.match(key)
        if match is None:
            return None
        day, month_name, year, hour, sign, off_hours, off_minutes = match.groups()
        month = MONTHS.get(month_name.lower())
        if month is None or int(off_hours) > 14 or int(off_minutes) > 59:
            return None
        try:
            start = dt.datetime(int(year), month, int(day), int(hour))
        except ValueError:
            return None

        offset = (int(off_hours) * 3600 + int(off_minutes) * 60) * (1 if sign == b"+" else -1)
        days = start.toordinal() - UNIX_EPOCH_ORDINAL
        hour_epoch = days * 86400 + start.hour * 3600 - offset
        if hour_epoch < MIN_EPOCH or hour_epoch + 3599 > MAX_EPOCH:
            return None
        zone_offset = self.zone_offset(hour_epoch)
        # A log offset like +0530 puts a zone transition on the hour inside this log hour.
        if zone_offset != self.zone_offset(hour_epoch + 3599):
            return hour_epoch, None
        return hour_epoch, zone_offset

    def zone_offset(self, epoch: int) -> int:
        moment = dt.datetime.fromtimestamp(epoch, self.zone)
        return int((moment.utcoffset() or dt.timedelta()).total_seconds())


class LineContext:
    """State shared by the files of one load: format, patterns, caches and time zone."""

    def __init__(self, cfg: AccessLogConfig, shops: dict[str, int], timezone: str) -> None:
        self.format = make_format(cfg.format, cfg.log_format)
        self.path_patterns = compile_shop_patterns(
            cfg.shop_path_patterns, "access_logs.shop_path_patterns", "^/shop/(?P<shop>[^/?#]+)"
        )
        self.host_patterns = compile_shop_patterns(
            cfg.shop_host_patterns,
            "access_logs.shop_host_patterns",
            r"^(?P<shop>[a-z0-9-]+)\.portal\.example$",
        )
        self.static_extensions = frozenset(ext.lower() for ext in cfg.static_extensions)
        self.shops = {str(key).lower(): member for key, member in shops.items()}
        self.timezone = timezone
        self.clock = Clock(timezone)
        self.bots = BotDetector(CACHE_MAX_ENTRIES)
        self.traffic = TrafficClassifier(cfg.portal_hosts, cfg.ad_click_paths, CACHE_MAX_ENTRIES)
        self._agents: dict[bytes, tuple[str, str | None, str]] = {}
        self._hosts: dict[bytes, str | None] = {}
        self.fast = log_fast.FastPool(self) if log_fast.supports(self.format) else None

    def close(self) -> None:
        if self.fast is not None:
            self.fast.close()

    def agent(self, raw: bytes) -> tuple[str, str | None, str]:
        """Return (decoded agent, crawler family or None, name if found by behaviour)."""
        cached = self._agents.get(raw)
        if cached is not None:
            return cached

        text = decode_field(raw, "replace")
        value = (text, self.bots.bot_name(text), robots_client_name(text))
        if len(self._agents) >= CACHE_MAX_ENTRIES:
            self._agents.clear()
        self._agents[raw] = value
        return value

    def shop_key(self, host: bytes, path: str) -> str | None:
        """Return the lower-case shop key of a request by its host, then path; else None."""
        if self.host_patterns and host:
            key = self._host_key(host)
            if key is not None:
                return key
        for pattern in self.path_patterns:
            match = pattern.search(path)
            if match is not None:
                return normalize_key(match.group("shop"))
        return None

    def _host_key(self, host: bytes) -> str | None:
        cached = self._hosts.get(host, False)
        if cached is not False:
            return cached
        text = host.decode("utf-8", "replace").lower().partition(":")[0].rstrip(".")
        key = None
        for pattern in self.host_patterns:
            match = pattern.search(text)
            if match is not None:
                key = normalize_key(match.group("shop"))
                break
        if len(self._hosts) >= CACHE_MAX_ENTRIES:
            self._hosts.clear()
        self._hosts[host] = key
        return key

    def is_static(self, path: str) -> bool:
        slash = path.rfind("/")
        dot = path.rfind(".")
        return dot > slash and path[dot:].lower() in self.static_extensions


def normalize_key(key: str) -> str:
    """Return the key lower-cased and percent-decoded.

    Bytes that are not UTF-8 (carried as surrogate escapes) become U+FFFD, so such a key
    names no member.
    """
    key = key.lower()
    if "%" in key:
        key = unquote(key, errors="replace").lower()
    if not key.isascii():
        key = key.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return key


def compile_shop_patterns(patterns: list[str], setting: str, example: str) -> list[re.Pattern]:
    """Compile shop path or host patterns; each needs a named group `shop`."""
    compiled = []
    for pattern in patterns:
        try:
            regex = re.compile(pattern)
        except re.error as error:
            raise ConfigError(
                f"{setting}: {pattern!r} is not a valid regular expression ({error}). "
                f"Fix it, e.g. {example!r}."
            ) from None
        if "shop" not in regex.groupindex:
            raise ConfigError(
                f"{setting}: {pattern!r} has no named group `shop`. "
                "Wrap the member id or slug part in (?P<shop>...)."
            )
        compiled.append(regex)
    return compiled


def decode_field(raw: bytes, errors: str) -> str:
    """Undo the log's backslash escapes and decode UTF-8 with the given error handler."""
    if b"\\" in raw:
        raw = ESCAPE.sub(_unescape, raw)
    return raw.decode("utf-8", errors)


def _unescape(match: re.Match[bytes]) -> bytes:
    token = match.group(1)
    if token[:1] == b"x" and len(token) == 3:
        return bytes([int(token[1:], 16)])
    return {b"n": b"\n", b"t": b"\t", b"r": b"\r"}.get(token, token)


def split_request(request: bytes) -> tuple[bytes, str, str] | None:
    """Split `GET /path?query HTTP/1.1` into (method, path, query), or None if malformed.

    Trailing spaces are not part of the target.
    """
    request = request.rstrip(b" ")
    parts = request.split(b" ")
    if len(parts) == 3 and parts[2].startswith(b"HTTP/"):
        method, target = parts[0], parts[1]
    else:
        # HTTP/0.9 (no protocol) or a target with unescaped spaces.
        method, _, rest = request.partition(b" ")
        target, separator, protocol = rest.rpartition(b" ")
        if not separator or not protocol.startswith(b"HTTP/"):
            target = rest
    if not method.isalpha() or not target:
        return None

    text = decode_field(target, "surrogateescape")
    if not text.startswith("/") and "://" in text:
        # Absolute form (`GET http://host/path HTTP/1.1`), sent to proxies.
        text = "/" + text.split("://", 1)[1].partition("/")[2]
    path, _, query = text.partition("?")
    return method, path.partition("#")[0], query


def client_address(fields: Fields) -> bytes:
    """Return the left-most address of X-Forwarded-For when logged, else of the client field."""
    source = fields.forwarded_for
    if source in (b"-", b""):
        source = fields.client
    return source.split(b",", 1)[0].strip()


def visitor_id(address: bytes, agent: bytes) -> str:
    """Return a 16-hex-digit hash of client address and user agent, stable across loads.

    The first half of MD5 over `address agent`, as DuckDB's md5() gives it on the fast path.
    """
    return hashlib.md5(address + b" " + agent, usedforsecurity=False).hexdigest()[:16]


def is_counted_status(status: bytes) -> bool:
    return status[:1] == b"2" or status == b"304"


class ChunkWriter:
    """Rows and rejections of one read of one file, written as a Parquet chunk pair."""

    def __init__(self, directory: Path, base: str) -> None:
        self.directory = directory
        self.temporary = f"tmp-{base}"
        self.columns: dict[str, list] = {name: [] for name in ROW_SCHEMA.names}
        self.rejections: dict[str, list] = {name: [] for name in REJECT_SCHEMA.names}
        self.writer: pq.ParquetWriter | None = None
        self.reject_writer: pq.ParquetWriter | None = None
        self.lines = 0
        self.fast_parts = 0

    def new_part(self) -> Path:
        """Return the temporary path of the next Parquet part that DuckDB writes."""
        self.fast_parts += 1
        return self.directory / f"{self.temporary}.fast{self.fast_parts}"

    def add(self, row: tuple) -> None:
        for values, value in zip(self.columns.values(), row, strict=True):
            values.append(value)
        self.lines += 1
        if len(self.columns["line_no"]) >= BATCH_ROWS:
            self._flush()

    def reject(self, line_no: int, reason: str, line: bytes, column=None, value=None) -> None:
        self.lines += 1
        rejected = self.rejections
        rejected["line_no"].append(line_no)
        rejected["reason"].append(reason)
        rejected["column_name"].append(column)
        rejected["value"].append(None if value is None else value.decode("utf-8", "replace"))
        rejected["raw"].append(line.decode("utf-8", "replace")[:RAW_MAX_CHARS])
        if len(rejected["line_no"]) >= REJECT_BATCH_ROWS:
            self._flush_rejections()

    def _flush(self) -> None:
        table = pa.table(self.columns, schema=ROW_SCHEMA)
        if self.writer is None:
            self.writer = pq.ParquetWriter(self.directory / f"{self.temporary}.rows", ROW_SCHEMA)
        self.writer.write_table(table)
        self.columns = {name: [] for name in ROW_SCHEMA.names}

    def _flush_rejections(self) -> None:
        # A file in the wrong format rejects every line, so rejections stream like rows.
        table = pa.table(self.rejections, schema=REJECT_SCHEMA)
        if self.reject_writer is None:
            path = self.directory / f"{self.temporary}.rejects"
            self.reject_writer = pq.ParquetWriter(path, REJECT_SCHEMA)
        self.reject_writer.write_table(table)
        self.rejections = {name: [] for name in REJECT_SCHEMA.names}

    def close(self, name: str) -> None:
        """Write what is left and move both files to their final names."""
        self._flush()
        self._flush_rejections()
        assert self.writer is not None and self.reject_writer is not None
        self.writer.close()
        self.reject_writer.close()
        (self.directory / f"{self.temporary}.rows").replace(self.directory / f"{name}.rows.parquet")
        (self.directory / f"{self.temporary}.rejects").replace(
            self.directory / f"{name}.rejects.parquet"
        )
        for part in range(1, self.fast_parts + 1):
            written = self.directory / f"{self.temporary}.fast{part}"
            if written.exists():  # not written for a block without fast lines
                written.replace(self.directory / f"{name}.rows-{part}.parquet")


def stage_file(
    state: LogState, entry: FileEntry, path: Path, context: LineContext, bar: tqdm
) -> FileEntry:
    """Parse the content of `path` past entry.offset into chunks; return the updated entry."""
    if entry.tail is not None:
        entry.chunks.remove(entry.tail)
        entry.tail = None
    try:
        if not _stage_from_offset(state, entry, path, context, bar):
            entry = state.restart(entry, path)
            _stage_from_offset(state, entry, path, context, bar)
    except (EOFError, zlib.error, gzip.BadGzipFile, OSError) as error:
        raise unreadable(path, error) from None
    state.update_head(entry, path)
    return entry


def _stage_from_offset(
    state: LogState, entry: FileEntry, path: Path, context: LineContext, bar: tqdm
) -> bool:
    """Read from entry.offset to the end; False when the content ends before the offset."""
    reader, raw = open_log(path)
    with raw, reader:
        if not skip_to(reader, raw, entry.offset):
            return False
        parser = FileParser(context, state.chunk_dir, entry)
        parser.run(reader, raw, bar)
    return True


def skip_to(reader: BinaryIO, raw: BinaryIO, offset: int) -> bool:
    """Move `reader` to `offset` bytes of content; False when the content is shorter."""
    if reader is raw:
        reader.seek(0, 2)
        if reader.tell() < offset:
            return False
        reader.seek(offset)
        return True
    remaining = offset
    while remaining:
        block = reader.read(min(remaining, 1 << 20))
        if not block:
            return False
        remaining -= len(block)
    return True


def block_pieces(data: bytes, start: int, stop: int, lines: int) -> Iterator[tuple[int, int, int]]:
    """Yield (start, stop, lines) of pieces of data[start:stop], each of whole lines and at
    most MAX_BLOCK_LINES of them. `lines` is the number of newlines in the range."""
    if lines <= MAX_BLOCK_LINES:
        yield start, stop, lines
        return

    # Halve by bytes at a line end; when the first line is over half, it is the first piece.
    middle = data.rfind(b"\n", start, (start + stop) // 2) + 1
    if middle <= start:
        middle = data.find(b"\n", start, stop) + 1
    first = data.count(b"\n", start, middle)
    yield from block_pieces(data, start, middle, first)
    yield from block_pieces(data, middle, stop, lines - first)


class FileParser:
    """Parses lines of one file from the entry's offset and writes its chunks."""

    def __init__(self, context: LineContext, directory: Path, entry: FileEntry) -> None:
        self.context = context
        self.directory = directory
        self.entry = entry

    def run(self, reader: BinaryIO, raw: BinaryIO, bar: tqdm) -> None:
        entry = self.entry
        start = entry.offset
        writer = ChunkWriter(self.directory, f"{entry.id}-{start}")
        position, line_no = start, entry.lines
        carry = b""
        # Bytes read of a line over MAX_LINE_BYTES, of which `carry` keeps the start; else 0.
        long_line = 0
        raw_position = raw.tell()
        pending: deque[Future] = deque()
        while block := reader.read(BLOCK_BYTES):
            if carry:
                newline = block.find(b"\n")
                length = (long_line or len(carry)) + (len(block) if newline < 0 else newline)
                if length > MAX_LINE_BYTES:
                    if not long_line:
                        rest = block[: RAW_MAX_CHARS if newline < 0 else newline]
                        carry = (carry + rest)[:RAW_MAX_CHARS]
                    if newline < 0:
                        long_line = length
                        bar.update(raw.tell() - raw_position)
                        raw_position = raw.tell()
                        continue
                    # The long line ends in this block: reject it and go on after it.
                    line_no += 1
                    writer.reject(line_no, "line_too_long", carry)
                    position += length + 1
                    carry, long_line = b"", 0
                    block = block[newline + 1 :]

            end = block.rfind(b"\n") + 1
            if end:
                # One copy of the block's whole lines, joined to the line started before.
                data = b"".join((carry, memoryview(block)[:end]))
                carry = block[end:]
                for low, high, lines in block_pieces(data, 0, len(data), data.count(b"\n")):
                    piece = data if high - low == len(data) else data[low:high]
                    pending.append(self.start_block(writer, piece, line_no, lines))
                    line_no += lines
                    # Blocks finish in file order; one more than the workers waits in memory.
                    while len(pending) > self.in_flight():
                        self.finish_block(writer, pending.popleft())
                position += len(data)
            else:
                carry += block
            bar.update(raw.tell() - raw_position)
            raw_position = raw.tell()
        while pending:
            self.finish_block(writer, pending.popleft())
        if writer.lines:
            name = f"{entry.id}-{start}-{position}"
            writer.close(name)
            entry.chunks.append(name)
        entry.offset, entry.lines = position, line_no
        if carry:
            self._stage_tail(carry, position, line_no + 1, long_line)

    def in_flight(self) -> int:
        fast = self.context.fast
        return 0 if fast is None else fast.workers

    def start_block(self, writer: ChunkWriter, data: bytes, line_no: int, lines: int) -> Future:
        """Stage the `lines` complete lines of `data`, numbered after `line_no`, maybe on a
        worker."""
        fast = self.context.fast
        if fast is not None:
            return fast.submit(data, line_no + 1, writer.new_part(), lines)
        for number, line in enumerate(data.split(b"\n")[:-1], start=line_no + 1):
            self.parse_line(writer, line, number)
        done: Future = Future()
        done.set_result((0, []))
        return done

    def finish_block(self, writer: ChunkWriter, block: Future) -> None:
        """Count a parsed block's rows and parse its lines left to the Python path."""
        rows, slow = block.result()
        writer.lines += rows
        for line, number in slow:
            self.parse_line(writer, line, int(number))

    def _stage_tail(self, line: bytes, position: int, line_no: int, long_line: int) -> None:
        """Stage a last line without newline in its own chunk, read again next run.

        For a line over MAX_LINE_BYTES, `long_line` is its length and `line` its start.
        """
        name = f"{self.entry.id}-{position}-{position + (long_line or len(line))}t"
        writer = ChunkWriter(self.directory, name)
        if long_line:
            writer.reject(line_no, "line_too_long", line)
        else:
            self.parse_line(writer, line, line_no)
        writer.close(name)
        self.entry.chunks.append(name)
        self.entry.tail = name

    def parse_line(self, writer: ChunkWriter, line: bytes, line_no: int) -> None:
        """Add one line's row to `writer`, or its rejection."""
        context = self.context
        line = line.rstrip(b"\r\n")
        fields = context.format.parse(line)
        if fields is None:
            writer.reject(line_no, "unparseable_line", line)
            return

        times = context.clock.parse_kind(fields.time, fields.time_kind)
        if times is None:
            writer.reject(line_no, "invalid_timestamp", line, "time", fields.time)
            return
        request = fields.request
        if request in (b"", b"-"):
            writer.reject(line_no, "empty_request", line, "request", request)
            return
        parts = split_request(request)
        if parts is None:
            writer.reject(line_no, "invalid_request", line, "request", request)
            return

        writer.add(self.row(fields, times, parts, line_no))

    def row(self, fields: Fields, times: tuple[int, int], parts, line_no: int) -> tuple:
        context = self.context
        method, path, query = parts
        agent_text, bot, alias = context.agent(fields.agent)
        static = context.is_static(path)
        shop = None if static else context.shop_key(fields.host, path)

        if method != b"GET":
            outcome = "method_not_counted"
        elif not is_counted_status(fields.status):
            outcome = "status_not_counted"
        elif static:
            outcome = "static_asset"
        elif shop is None:
            outcome = "not_shop_page"
        else:
            outcome = VIEW

        source = (None, None, None)
        if outcome == VIEW and bot is None:
            referrer = decode_field(fields.referrer, "surrogateescape")
            source = context.traffic.classify(referrer, query, agent_text)
        visitor = visitor_id(client_address(fields), fields.agent)
        return (
            line_no,
            times[0],
            times[1],
            visitor,
            shop,
            outcome,
            bot,
            alias,
            path == "/robots.txt",
            *source,
        )


def duplicate_stats(path: Path, name: str, entry: FileEntry) -> SourceStats:
    """Stats of a file whose content another file of this load already holds."""
    reader, raw = open_log(path)
    lines = 0
    last = b"\n"
    try:
        with raw, reader:
            for block in iter(lambda: reader.read(1 << 20), b""):
                lines += block.count(b"\n")
                last = block[-1:]
            lines += last != b"\n"
    except (EOFError, zlib.error, gzip.BadGzipFile, OSError) as error:
        raise unreadable(path, error) from None
    logger.info("Access log %s holds the same content as %s; not counted twice", name, entry.name)
    return SourceStats(source=SOURCE, file=name, read=lines, skipped=Counter(duplicate_file=lines))
