"""Access logs (nginx or Apache, combined or common format) to shop page views and bot hits.

Each file is read twice as a byte stream. The first pass only collects the clients
(address and user agent) that fetched /robots.txt, so that all their requests in that file,
the earlier ones too, count as bot hits. The second pass parses every line and inserts page
views into DuckDB in batches of BATCH_ROWS. Memory stays bounded by the batch, the set of
robots.txt clients and the capped caches, never by the file's size. A gzipped file is
decompressed twice, which costs time but keeps the design streaming.
"""

from __future__ import annotations

import datetime as dt
import glob
import gzip
import logging
import re
import zlib
from collections import Counter
from dataclasses import dataclass, field
from hashlib import blake2b
from pathlib import Path
from typing import BinaryIO
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import duckdb
import pyarrow as pa
from tqdm import tqdm

from etl.bots import ROBOTS_TXT, USER_AGENT, BotDetector, robots_client_name
from etl.config import AccessLogConfig
from etl.errors import ConfigError, SourceError
from etl.rows import Rejection, SourceStats
from etl.traffic_sources import TrafficClassifier

logger = logging.getLogger(__name__)

SOURCE = "access_logs"
BATCH_ROWS = 50_000
RAW_MAX_CHARS = 2_000
# Progress and the byte count are updated every this many lines, not on every line.
PROGRESS_EVERY_LINES = 20_000
CACHE_MAX_ENTRIES = 200_000

CREATE_PAGE_VIEWS = """
create table if not exists stg_page_views (
    member_id bigint, viewed_at timestamp, day date, visitor_id varchar,
    source_class varchar, search_engine varchar, keyword varchar, file varchar, line_no bigint
)"""
CREATE_BOT_HITS = """
create table if not exists stg_bot_hits (
    day date, member_id bigint, bot_name varchar, detected_by varchar, hits bigint
)"""
INSERT_PAGE_VIEWS = """
insert into stg_page_views
select member_id, make_timestamp(epoch_s * 1000000), date '1970-01-01' + day_num::integer,
       visitor_id, source_class, search_engine, keyword, $file, line_no
from _access_log_batch"""
INSERT_BOT_HITS = """
insert into stg_bot_hits
select date '1970-01-01' + day_num::integer, member_id, bot_name, detected_by, hits
from _access_log_batch"""

# A quoted field: Apache escapes `"` and `\` with a backslash, nginx writes \xHH.
_QUOTED = rb'"([^"\\]*(?:\\.[^"\\]*)*)"'
_PREFIX = rb"^(\S+) \S+ \S+ \[([^\]]*)\] " + _QUOTED + rb" (\d{3}) (\d+|-)"
LINE_PATTERNS = {
    "combined": re.compile(_PREFIX + rb" " + _QUOTED + rb" " + _QUOTED + rb"\s*$"),
    "common": re.compile(_PREFIX + rb"\s*$"),
}
ESCAPE = re.compile(rb"\\(x[0-9A-Fa-f]{2}|.)")
# A timestamp without its minutes and seconds: `10/Oct/2000:13 -0700`.
HOUR_PATTERN = re.compile(rb"^(\d{2})/([A-Za-z]{3})/(\d{4}):(\d{2}) ([+-])(\d{2})(\d{2})$")
MONTHS = {
    name: number
    for number, name in enumerate(
        (
            b"jan",
            b"feb",
            b"mar",
            b"apr",
            b"may",
            b"jun",
            b"jul",
            b"aug",
            b"sep",
            b"oct",
            b"nov",
            b"dec",
        ),
        start=1,
    )
}
UNIX_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
GZIP_MAGIC = b"\x1f\x8b"


@dataclass
class LogResult:
    """Per-file counts and rejected lines of one load_access_logs call."""

    stats: list[SourceStats] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)


def load_access_logs(
    con: duckdb.DuckDBPyConnection,
    cfg: AccessLogConfig,
    shops: dict[str, int],
    timezone: str,
    progress: bool,
) -> LogResult:
    """Append the page views and bot hits of every configured log file to `con`.

    The `file` column and the stats name each file relative to cfg.base_dir when it lies
    inside it, so rows stay the same when the config directory moves.

    Raises SourceError when a pattern matches no file or a file cannot be read to its end,
    and ConfigError when a shop path pattern is invalid. Row problems become Rejections.
    """
    con.execute(CREATE_PAGE_VIEWS)
    con.execute(CREATE_BOT_HITS)

    paths = resolve_log_files(cfg)
    context = LineContext(cfg, shops, timezone)
    result = LogResult()
    total_bytes = sum(path.stat().st_size for path in paths)
    with tqdm(
        total=total_bytes, unit="B", unit_scale=True, desc="access logs", disable=not progress
    ) as bar:
        for path in paths:
            loader = FileLoader(con, context, path, display_name(path, cfg.base_dir))
            stats, rejections = loader.load(bar)
            result.stats.append(stats)
            result.rejections.extend(rejections)
    return result


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


def open_log(path: Path) -> tuple[BinaryIO, BinaryIO]:
    """Open `path` as (line reader, raw file). Gzip is detected by its magic bytes."""
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


class Clock:
    """Access-log timestamps to (UTC epoch seconds, local day number since 1970-01-01).

    Results are cached per distinct timestamp, and the costly part (date, hour, offset and
    the zone's UTC offset) per distinct hour, so a day's log parses about 24 full dates.
    """

    def __init__(self, timezone: str) -> None:
        self.zone = ZoneInfo(timezone)
        self._seconds: dict[bytes, tuple[int, int] | None] = {}
        self._hours: dict[bytes, tuple[int, int | None] | None] = {}

    def parse(self, text: bytes) -> tuple[int, int] | None:
        """Return (epoch seconds, local day) for `10/Oct/2000:13:55:36 -0700`, else None."""
        cached = self._seconds.get(text, False)
        if cached is not False:
            return cached

        value = self._parse_second(text)
        if len(self._seconds) >= CACHE_MAX_ENTRIES:
            self._seconds.clear()
        self._seconds[text] = value
        return value

    def _parse_second(self, text: bytes) -> tuple[int, int] | None:
        # Layout `dd/Mon/yyyy:HH:MM:SS +zzzz`: bytes 15-16 are minutes, 18-19 seconds.
        if len(text) != 26 or text[14:15] != b":" or text[17:18] != b":":
            return None
        minute, second = text[15:17], text[18:20]
        if not (minute.isdigit() and second.isdigit()) or minute > b"59" or second > b"59":
            return None
        hour = self._hours.get(text[:14] + text[20:], False)
        if hour is False:
            hour = self._parse_hour(text[:14] + text[20:])
            if len(self._hours) >= CACHE_MAX_ENTRIES:
                self._hours.clear()
            self._hours[text[:14] + text[20:]] = hour
        if hour is None:
            return None

        hour_epoch, zone_offset = hour
        epoch = hour_epoch + int(minute) * 60 + int(second)
        if zone_offset is None:
            zone_offset = self._zone_offset(epoch)
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
        zone_offset = self._zone_offset(hour_epoch)
        # A log offset like +0530 puts a zone transition on the hour inside this log hour.
        if zone_offset != self._zone_offset(hour_epoch + 3599):
            return hour_epoch, None
        return hour_epoch, zone_offset

    def _zone_offset(self, epoch: int) -> int:
        moment = dt.datetime.fromtimestamp(epoch, self.zone)
        return int((moment.utcoffset() or dt.timedelta()).total_seconds())


class LineContext:
    """State shared by the files of one load: patterns, caches, shop map and time zone."""

    def __init__(self, cfg: AccessLogConfig, shops: dict[str, int], timezone: str) -> None:
        self.line_pattern = LINE_PATTERNS[cfg.format]
        self.has_agent = cfg.format == "combined"
        self.shop_patterns = compile_shop_patterns(cfg.shop_path_patterns)
        self.static_extensions = frozenset(ext.lower() for ext in cfg.static_extensions)
        self.shops = {str(key).lower(): member for key, member in shops.items()}
        self.clock = Clock(timezone)
        self.bots = BotDetector(CACHE_MAX_ENTRIES)
        self.traffic = TrafficClassifier(cfg.portal_hosts, cfg.ad_click_paths, CACHE_MAX_ENTRIES)
        self._agents: dict[bytes, tuple[str, str | None]] = {}

    def agent(self, raw: bytes) -> tuple[str, str | None]:
        """Return (decoded agent, crawler family or None), cached per distinct agent."""
        cached = self._agents.get(raw)
        if cached is not None:
            return cached

        text = decode_field(raw, "replace")
        value = (text, self.bots.bot_name(text))
        if len(self._agents) >= CACHE_MAX_ENTRIES:
            self._agents.clear()
        self._agents[raw] = value
        return value

    def shop_member(self, path: str) -> int | bool | None:
        """Return the member id of a shop path, None for an unknown shop, False for no shop."""
        for pattern in self.shop_patterns:
            match = pattern.search(path)
            if match is None:
                continue
            key = match.group("shop").lower()
            if "%" in key:
                key = unquote(key, errors="replace").lower()
            return self.shops.get(key)
        return False

    def is_static(self, path: str) -> bool:
        slash = path.rfind("/")
        dot = path.rfind(".")
        return dot > slash and path[dot:].lower() in self.static_extensions


def compile_shop_patterns(patterns: list[str]) -> list[re.Pattern[str]]:
    """Compile access_logs.shop_path_patterns; each needs a named group `shop`."""
    compiled = []
    for pattern in patterns:
        try:
            regex = re.compile(pattern)
        except re.error as error:
            raise ConfigError(
                f"access_logs.shop_path_patterns: {pattern!r} is not a valid regular "
                f"expression ({error}). Fix it, e.g. '^/shop/(?P<shop>[^/?#]+)'."
            ) from None
        if "shop" not in regex.groupindex:
            raise ConfigError(
                f"access_logs.shop_path_patterns: {pattern!r} has no named group `shop`. "
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
    """Split `GET /path?query HTTP/1.1` into (method, path, query), or None if malformed."""
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


def visitor_id(address: bytes, agent: bytes) -> str:
    """Return a 16-hex-digit hash of client address and user agent, stable across loads."""
    return blake2b(address + b" " + agent, digest_size=8).hexdigest()


def is_counted_status(status: bytes) -> bool:
    return status[:1] == b"2" or status == b"304"


def scan_robots_clients(context: LineContext, reader: BinaryIO) -> set[tuple[bytes, bytes]]:
    """Return the (address, agent) pairs that request /robots.txt in one file."""
    clients: set[tuple[bytes, bytes]] = set()
    for line in reader:
        if b"robots.txt" not in line:
            continue
        match = context.line_pattern.match(line)
        if match is None:
            continue
        request = split_request(match.group(3))
        if request is not None and request[1] == "/robots.txt":
            agent = match.group(7) if context.has_agent else b""
            clients.add((match.group(1), agent))
    return clients


class PageViewBatch:
    """Page-view rows collected in memory and inserted BATCH_ROWS at a time."""

    COLUMNS = (
        "member_id",
        "epoch_s",
        "day_num",
        "visitor_id",
        "source_class",
        "search_engine",
        "keyword",
        "line_no",
    )

    def __init__(self, con: duckdb.DuckDBPyConnection, file: str) -> None:
        self.con = con
        self.file = file
        self.rows: list[tuple] = []

    def append(self, row: tuple) -> None:
        self.rows.append(row)
        if len(self.rows) >= BATCH_ROWS:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        columns = zip(*self.rows, strict=True)
        table = pa.table(dict(zip(self.COLUMNS, columns, strict=True)))
        insert_table(self.con, table, INSERT_PAGE_VIEWS, {"file": self.file})
        self.rows = []


def insert_table(con: duckdb.DuckDBPyConnection, table: pa.Table, sql: str, params=None) -> None:
    con.register("_access_log_batch", table)
    try:
        con.execute(sql, params or {})
    finally:
        con.unregister("_access_log_batch")


def insert_bot_hits(con: duckdb.DuckDBPyConnection, hits: Counter) -> None:
    """Insert bot hits aggregated by (day number, member id, bot name, detected_by)."""
    if not hits:
        return
    keys = list(hits)
    table = pa.table(
        {
            "day_num": [key[0] for key in keys],
            "member_id": pa.array([key[1] for key in keys], pa.int64()),
            "bot_name": [key[2] for key in keys],
            "detected_by": [key[3] for key in keys],
            "hits": [hits[key] for key in keys],
        }
    )
    insert_table(con, table, INSERT_BOT_HITS)


class FileLoader:
    """Reads one log file: the robots.txt pass, then the parsing pass."""

    def __init__(
        self, con: duckdb.DuckDBPyConnection, context: LineContext, path: Path, name: str
    ) -> None:
        self.con = con
        self.context = context
        self.path = path
        self.name = name
        self.stats = SourceStats(source=SOURCE, file=name)
        # NOTE: every rejected line is kept with up to RAW_MAX_CHARS of text, so a file in the
        # wrong format (all lines rejected) keeps about its own size in memory.
        self.rejections: list[Rejection] = []
        self.bot_hits: Counter[tuple[int, int | None, str, str]] = Counter()
        self.robots_clients: set[tuple[bytes, bytes]] = set()
        self.first_day: int | None = None
        self.last_day: int | None = None

    def load(self, bar: tqdm) -> tuple[SourceStats, list[Rejection]]:
        """Read the file and return its counts and rejected lines."""
        self.robots_clients = self._read(scan_robots_clients)

        batch = PageViewBatch(self.con, self.name)
        self._read(lambda context, reader: self._parse_lines(reader, batch, bar))
        batch.flush()
        insert_bot_hits(self.con, self.bot_hits)

        self._finish_stats()
        return self.stats, self.rejections

    def _read(self, consume):
        reader, raw = open_log(self.path)
        try:
            with raw, reader:
                return consume(self.context, reader)
        except (EOFError, zlib.error, gzip.BadGzipFile, OSError) as error:
            raise SourceError(
                f"Access log {self.path} cannot be read to its end: {error}. A gzip file "
                "that ends early was usually copied while it was still being written. Copy "
                "it again, or remove it from access_logs.files."
            ) from None

    def _parse_lines(self, reader: BinaryIO, batch: PageViewBatch, bar: tqdm) -> None:
        raw_file = reader if not isinstance(reader, gzip.GzipFile) else reader.fileobj
        position = 0
        line_no = 0
        for line_no, line in enumerate(reader, start=1):
            row = self._parse_line(line, line_no)
            if row is not None:
                batch.append(row)
            if line_no % PROGRESS_EVERY_LINES == 0:
                position = self._advance(bar, raw_file, position)
        self.stats.read = line_no
        self._advance(bar, raw_file, position)

    @staticmethod
    def _advance(bar: tqdm, raw_file, position: int) -> int:
        current = raw_file.tell()
        bar.update(current - position)
        return current

    def _parse_line(self, line: bytes, line_no: int) -> tuple | None:
        """Count one line's outcome and return its page-view row when it is one."""
        context = self.context
        match = context.line_pattern.match(line)
        if match is None:
            self._reject(line_no, "unparseable_line", line)
            return None
        groups = match.groups()
        address, time_text, request, status = groups[0], groups[1], groups[2], groups[3]
        referrer, agent = (groups[5], groups[6]) if context.has_agent else (b"-", b"")

        times = context.clock.parse(time_text)
        if times is None:
            self._reject(line_no, "invalid_timestamp", line, "time", time_text)
            return None
        epoch, day = times
        self._see_day(day)

        parts = split_request(request)
        if parts is None:
            self._reject(line_no, "invalid_request", line, "request", request)
            return None
        method, path, query = parts

        agent_text, bot = context.agent(agent)
        if bot is None and (address, agent) in self.robots_clients:
            bot = robots_client_name(agent_text)
            self._count_bot(day, path, bot, ROBOTS_TXT)
            return None
        if bot is not None:
            self._count_bot(day, path, bot, USER_AGENT)
            return None

        member = self._counted_member(method, status, path)
        if member is None:
            return None

        referrer_text = decode_field(referrer, "surrogateescape")
        source_class, engine, keyword = context.traffic.classify(referrer_text, query, agent_text)
        self.stats.loaded += 1
        visitor = visitor_id(address, agent)
        return (member, epoch, day, visitor, source_class, engine, keyword, line_no)

    def _counted_member(self, method: bytes, status: bytes, path: str) -> int | None:
        """Return the member id of a counted shop view, or None after counting the skip."""
        context = self.context
        if method != b"GET":
            reason = "method_not_counted"
        elif not is_counted_status(status):
            reason = "status_not_counted"
        elif context.is_static(path):
            reason = "static_asset"
        else:
            member = context.shop_member(path)
            if member is not None and member is not False:
                return member
            reason = "not_shop_page" if member is False else "unknown_shop"
        self.stats.skipped[reason] += 1
        return None

    def _count_bot(self, day: int, path: str, name: str, detected_by: str) -> None:
        member = None
        if not self.context.is_static(path):
            found = self.context.shop_member(path)
            member = found if found is not False else None
        self.bot_hits[(day, member, name, detected_by)] += 1
        self.stats.bots += 1

    def _see_day(self, day: int) -> None:
        if self.first_day is None or day < self.first_day:
            self.first_day = day
        if self.last_day is None or day > self.last_day:
            self.last_day = day

    def _reject(
        self,
        line_no: int,
        reason: str,
        line: bytes,
        column: str | None = None,
        value: bytes | None = None,
    ) -> None:
        self.stats.rejected[reason] += 1
        self.rejections.append(
            Rejection(
                source=SOURCE,
                file=self.name,
                line_no=line_no,
                reason=reason,
                column=column,
                value=None if value is None else value.decode("utf-8", "replace"),
                raw=line.decode("utf-8", "replace").rstrip("\r\n")[:RAW_MAX_CHARS],
            )
        )

    def _finish_stats(self) -> None:
        if self.first_day is not None:
            self.stats.data_from = _day_text(self.first_day)
            self.stats.data_to = _day_text(self.last_day)
        if not self.stats.reconciles():
            logger.error("Access log %s: counts do not add up: %s", self.name, self.stats)
        logger.info(
            "Access log %s: %d lines, %d page views, %d bot hits, skipped %s, rejected %s",
            self.name,
            self.stats.read,
            self.stats.loaded,
            self.stats.bots,
            dict(self.stats.skipped),
            dict(self.stats.rejected),
        )


def _day_text(day: int) -> str:
    return dt.date.fromordinal(UNIX_EPOCH_ORDINAL + day).isoformat()
