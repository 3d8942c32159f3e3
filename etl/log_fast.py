"""The fast path of access-log parsing: a block of lines at a time.

For the built-in formats, the C scanner (etl/log_native.py) checks each line, cuts out the
fields as Arrow string views, parses the timestamp and computes the visitor id. Without the
scanner, and for custom formats, the block is split with numpy and handed to DuckDB as an
Arrow column, and DuckDB checks the format's pattern (RE2), cuts out the fields, parses the
timestamps and splits the request. Python classifies only the distinct quarter hours (for
the zone's offset), agents, host and path pairs, and referrers, and its results are joined
back. The rows go straight to a Parquet part of the chunk. FastPool parses WORKERS blocks at
once, each with its own DuckDB connection, and the reader finishes them in file order.

A line takes the Python path (access_logs.FileParser.parse_line) instead when it has a byte
that is not printable ASCII or a backslash (escapes to undo, text that may not be UTF-8),
when the pattern or the simple request layout does not match, or when its timestamp is
invalid. So every line still ends up as a row or a rejection with its reason, as the Python
path alone would give it. Only formats with `%t`/`$time_local` and a whole request take this
path; the others are parsed line by line in Python.
"""

from __future__ import annotations

import logging
import queue
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from etl import log_native
from etl.log_formats import BUILTIN_FORMATS, RegexFormat

logger = logging.getLogger(__name__)

BACKSLASH = ord("\\")
# Printable ASCII and the newline: the bytes a fast line may have.
PLAIN_BYTES = bytes(range(0x20, 0x80)) + b"\n"
NEWLINE = ord("\n")
REQUEST_PATTERN = r"^([A-Za-z]+) (/[^ ?#]*)(?:\?([^ #]*))?(?: HTTP/[0-9.]+)?\s*$"
UTM_PATTERN = r"(?i)(^|[&;])utm_[A-Za-z]+="
STATIC_PATTERN = r"\.[^./]*$"
CLF_LAYOUT = "%d/%b/%Y:%H:%M:%S %z"
# The layout the Python path accepts (access_logs.Clock): strptime alone also takes one-digit
# days, short years, the second 60 and offsets beyond 14 hours.
CLF_TIME_PATTERN = (
    r"\d{2}/[A-Za-z]{3}/\d{4}:(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d [+-](?:0\d|1[0-4])[0-5]\d"
)
# Blocks parsed at once, each by its own parser (DuckDB connection) on its own thread. DuckDB
# releases the GIL, so one block's SQL runs while Python classifies another's values.
WORKERS = 2
# DuckDB memory per parser; with WORKERS parsers and the blocks in flight this stays well
# under the 2 GB a load may use.
MEMORY_LIMIT = "512MB"
# Distinct (host, path) pairs remembered across blocks; about 100 bytes each.
PATH_CACHE_ROWS = 2_000_000
# The visitor id: the client's first address and the agent, hashed (as log_scan.c does).
VISITOR_SQL = (
    "left(md5(trim(split_part(case when m.forwarded_for in ('-', '') then m.client "
    "else m.forwarded_for end, ',', 1)) || ' ' || m.agent), 16)"
)
FIELD_DEFAULTS = {"forwarded_for": "-", "referrer": "-", "agent": "", "host": "", "status": "-"}


def supports(fmt) -> bool:
    """Return whether the format can take the fast path."""
    return (
        isinstance(fmt, RegexFormat)
        and bool(fmt.named_pattern)
        and "time_clf" in fmt.roles
        and "request" in fmt.roles
    )


# Checks that a fast line has a built-in format, for the line and its parts `f` split at
# quotes. Fast lines are printable ASCII without backslashes and end with a newline, so \s is
# a space or that newline. One pattern covers the line up to the referrer's opening quote.
# No class in it matches a quote, so its quotes are the line's first three and the parts agree.
# The checks are stricter than the formats' patterns (no brackets in the head's first fields,
# no ", " list as the client): a line they refuse takes the Python path, which parses it by
# the full pattern.
HEAD_CLF = r'[^\s",\[\]]+(?:,[^\s",\[\]]+)* [^\s"\[\]]* [^\s"\[\]]* \[[^\s"\[\]]+ [+-]\d{4}\] '
HEAD_VHOST = r'[^\s":\[\]]+:(?:\d+|-) ' + HEAD_CLF
# The request as REQUEST_PATTERN takes it, then status and bytes.
REQUEST_STATUS = r'"[A-Za-z]+ /[^ ?#"]*(?:\?[^ #"]*)?(?: HTTP/[0-9.]+)? *" (?:\d{3}|-) [^\s"]*'
# After the agent's closing quote: nothing, or whitespace and anything.
COMBINED_TAIL = (
    "f[5] = ' ' and len(f) >= 7 and (len(f) = 7 and f[7] = '' or left(f[7], 1) in (' ', chr(10)))"
)
QUOTE_SPLIT_CHECKS = {
    "combined": f"regexp_matches(line, '^{HEAD_CLF}{REQUEST_STATUS} \"') and {COMBINED_TAIL}",
    "vhost_combined": (
        f"regexp_matches(line, '^{HEAD_VHOST}{REQUEST_STATUS} \"') and {COMBINED_TAIL}"
    ),
    "common": f"regexp_full_match(line, '{HEAD_CLF}{REQUEST_STATUS}\\s*')",
}


def quote_split_condition(name: str) -> str:
    """Return the SQL check that a line split at quotes (`f`) has the built-in format `name`."""
    return QUOTE_SPLIT_CHECKS[name]


def sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def split_lines(data: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Return (line start offsets with the end appended, True for lines for Python)."""
    array = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(array == NEWLINE) + 1
    offsets = np.concatenate(([0], ends)).astype(np.int64)
    slow = np.zeros(len(ends), dtype=bool)
    # Most blocks are plain ASCII without escapes; these C-speed checks skip the scan below.
    if data.isascii() and b"\\" not in data and not data.translate(None, PLAIN_BYTES):
        return offsets, slow

    # Not ASCII, a backslash escape, or a control byte other than the newline.
    special = np.flatnonzero(
        (array >= 0x80) | (array == BACKSLASH) | ((array < 0x20) & (array != NEWLINE))
    )
    if len(special):
        slow[np.unique(np.searchsorted(ends, special, side="right"))] = True
    return offsets, slow


class FastParser:
    """Parses blocks of one load in DuckDB; `context` is the access_logs.LineContext."""

    def __init__(self, context) -> None:
        self.context = context
        fmt = context.format
        # One thread per parser: the pool runs a parser per core instead.
        self.con = duckdb.connect(config={"memory_limit": MEMORY_LIMIT, "threads": 1})
        self.con.execute(
            "create table _paths (host varchar, path varchar, static boolean, shop varchar)"
        )
        roles = fmt.roles
        # One regexp_replace that writes the groups apart by \x01: measured here (DuckDB
        # 2.0.1) about twice as fast as regexp_extract with a list of group names.
        groups = "\x01".join(f"\\{number}" for number in range(1, len(roles) + 1))
        self.extract = (
            f"string_split(regexp_replace(line, {sql_text(fmt.named_pattern)}, "
            f"{sql_text(groups)}), '\x01')"
        )
        position = {role: number for number, role in enumerate(roles, start=1)}
        self.fields = {
            role: (f"f[{position[role]}]" if role in position else sql_text(default))
            for role, default in FIELD_DEFAULTS.items()
        }
        self.fields["client"] = f"f[{position['client']}]" if "client" in position else "'-'"
        self.fields["time"] = f"f[{position['time_clf']}]"
        self.fields["request"] = f"f[{position['request']}]"
        self.condition = f"len(f) = {len(roles)}"
        self.request_check = f"regexp_matches(request, {sql_text(REQUEST_PATTERN)})"
        builtin = next((n for n, text in BUILTIN_FORMATS.items() if text == fmt.text), None)
        self.builtin = builtin
        # The C scanner reads the built-in formats; without it DuckDB splits them at quotes.
        self.native = log_native.library() if builtin is not None else None
        self.buffers = log_native.ScanBuffers()
        if builtin is not None:
            self._split_by_quotes(builtin)
        self.static = sorted(context.static_extensions)

    def _split_by_quotes(self, name: str) -> None:
        """Use string splits for the built-in formats: checks on short parts cost less.

        Fast lines have no backslash, so no quoted field holds a quote, and splitting at
        quotes gives the fields. Checking the head and the status part by patterns, rather
        than the whole line, leaves the long referrer and agent unscanned.
        """
        self.extract = "string_split(line, '\"')"
        self.condition = quote_split_condition(name)
        self.request_check = "true"  # the condition checked the request too
        vhost = name == "vhost_combined"
        self.fields = {
            "time": "split_part(split_part(f[1], '[', 2), ']', 1)",
            "client": f"split_part(f[1], ' ', {2 if vhost else 1})",
            "host": "split_part(split_part(f[1], ' ', 1), ':', 1)" if vhost else "''",
            "request": "f[2]",
            "status": "split_part(trim(f[3]), ' ', 1)",
            "referrer": "f[4]" if name != "common" else "'-'",
            "agent": "f[6]" if name != "common" else "''",
            "forwarded_for": "'-'",
        }

    def close(self) -> None:
        self.con.close()

    def parse_block(
        self,
        data: bytes,
        first_line_no: int,
        target: Path,
        slow_line: Callable[[bytes, int], None],
        lines: int | None = None,
    ) -> int:
        """Stage the lines of `data` (complete lines, `lines` of them when the caller counted);
        return how many rows went to `target`."""
        if self.native is not None:
            return self._parse_scanned(data, first_line_no, target, slow_line, lines)

        offsets, slow = split_lines(data)
        for index in np.flatnonzero(slow):
            slow_line(data[offsets[index] : offsets[index + 1]], first_line_no + int(index))

        fast = np.flatnonzero(~slow)
        if not len(fast):
            return 0
        # Fast lines are printable ASCII, so the buffer is valid UTF-8 as it is.
        lines = pa.LargeStringArray.from_buffers(
            len(slow), pa.py_buffer(offsets), pa.py_buffer(data)
        )
        if len(fast) < len(slow):
            lines = lines.take(pa.array(fast))
        block = pa.table({"line": lines, "line_no": pa.array(fast + first_line_no, pa.int64())})
        return self._parse_table(block, target, slow_line)

    def _parse_scanned(
        self, data: bytes, first_line_no: int, target: Path, slow_line, lines: int | None
    ) -> int:
        """Stage the lines the C scanner takes; hand the others to `slow_line` in order."""
        scanned = log_native.scan(self.native, data, self.builtin, lines, self.buffers)
        starts = scanned.starts
        for index in scanned.slow.tolist():
            slow_line(data[starts[index] : starts[index + 1]], first_line_no + index)

        table = scanned.table
        if not table.num_rows:
            return 0
        epochs = table["epoch"].to_numpy()
        table = table.append_column("day", pa.array(self._local_days(epochs)))
        table = table.set_column(0, "line_no", pa.array(table["line"].to_numpy() + first_line_no))
        con = self.con
        con.register("_scanned", table)
        try:
            host = "lower(host)" if self.builtin == "vhost_combined" else "host"
            con.execute(
                f"create or replace temp view _matched as "
                f"select * replace ({host} as host) from _scanned"
            )
            self._lookup_agents(con)
            self._lookup_shops(con)
            self._lookup_referrers(con)
            rows = self._copy_rows(con, "_matched", target)
        finally:
            con.unregister("_scanned")
        self._check_rows(rows, table.num_rows)
        return rows

    def _local_days(self, epochs: np.ndarray) -> np.ndarray:
        """Return each epoch's day number in the portal's zone, one zone look-up per quarter."""
        unique, inverse = np.unique(epochs // 900, return_inverse=True)
        clock = self.context.clock
        offsets = np.array([clock.zone_offset(int(q) * 900) for q in unique], dtype=np.int64)
        return ((epochs + offsets[inverse]) // 86400).astype(np.int32)

    def _copy_rows(self, con, source: str, target: Path) -> int:
        # Measured on a 244,000-row part: Parquet version 2 with snappy took about a fifth less
        # CPU time than version 1 with lz4, and made a part of 4.4 MB instead of 6.2 MB.
        options = "format parquet, compression snappy, parquet_version v2"
        copied = con.execute(
            f"copy ({self._row_sql(source)}) to {sql_text(str(target))} ({options})"
        ).fetchall()
        return copied[0][0]

    @staticmethod
    def _check_rows(rows: int, lines: int) -> None:
        # Each taken line gives one row. A look-up table with a key twice would multiply
        # rows, and one without a key would drop them, so the counts must agree.
        if rows != lines:
            raise RuntimeError(
                f"Access-log fast path wrote {rows} rows for {lines} lines "
                "because a look-up table has a key twice or lacks one; this is a bug, please "
                "report it. The load stops and the published snapshot stays as it was."
            )

    def _parse_table(self, block: pa.Table, target: Path, slow_line) -> int:
        con = self.con
        con.register("_block", block)
        try:
            return self._stage_table(con, target, slow_line)
        finally:
            con.unregister("_block")

    def _stage_table(self, con: duckdb.DuckDBPyConnection, target: Path, slow_line) -> int:
        self._match(con)
        unmatched = "select line, line_no from _block anti join _matched using (line_no)"
        for line, line_no in con.execute(unmatched).fetchall():
            slow_line(line.encode("utf-8"), line_no)

        self._lookup_times(con)
        self._lookup_agents(con)
        self._lookup_shops(con)
        self._lookup_referrers(con)
        con.execute(
            f"""
            create or replace temp view _timed as
            select m.*, t.epoch, t.day, {VISITOR_SQL} as visitor
            from _matched as m
            join _times as t using (time)
            where t.epoch is not null"""
        )
        rows = self._copy_rows(con, "_timed", target)
        invalid: list[tuple[str, int]] = []
        if con.execute("select count(*) from _times where epoch is null").fetchall()[0][0]:
            invalid_times = """
                select b.line, b.line_no
                from _matched as m
                join _times as t using (time)
                join _block as b using (line_no)
                where t.epoch is null"""
            invalid = con.execute(invalid_times).fetchall()
        for line, line_no in invalid:
            slow_line(line.encode("utf-8"), line_no)

        matched = con.execute("select count(*) from _matched").fetchall()[0][0]
        self._check_rows(rows, matched - len(invalid))
        return rows

    def _match(self, con: duckdb.DuckDBPyConnection) -> None:
        """Match the format; keep lines whose request is `METHOD /path[?query][ HTTP/x]`."""
        fields = self.fields
        con.execute(
            f"""
            create or replace temp table _matched as
            with

            extracted as (
                select line_no, line, {self.extract} as f from _block
            ),

            fields as (
                select line_no, {fields["time"]} as time, {fields["client"]} as client,
                       {fields["forwarded_for"]} as forwarded_for,
                       {fields["status"]} as status, {fields["referrer"]} as referrer,
                       {fields["agent"]} as agent, lower({fields["host"]}) as host,
                       {fields["request"]} as request
                from extracted
                where {self.condition}
            ),

            requests as (
                select *, split_part(request, ' ', 2) as target
                from fields
                where {self.request_check}
            )

            select line_no, time, client, forwarded_for, status, referrer, agent, host,
                   split_part(request, ' ', 1) as method,
                   split_part(target, '?', 1) as path,
                   case when strpos(target, '?') > 0
                        then substr(target, strpos(target, '?') + 1) else '' end as query
            from requests"""
        )

    def _lookup(self, con, name: str, frame: pd.DataFrame) -> None:
        con.register("_lookup_frame", frame)
        try:
            con.execute(f"create or replace temp table {name} as select * from _lookup_frame")
        finally:
            con.unregister("_lookup_frame")

    def _lookup_times(self, con) -> None:
        """Parse distinct timestamps in DuckDB; the zone's offset comes per quarter hour.

        Only the exact layout CLF_TIME_PATTERN is parsed here. Divisions round down, as
        Python's do, because DuckDB's `//` truncates toward zero (a day late before 1970).
        Zone offsets change only on quarter hours, so one Python look-up per quarter hour
        gives the local day. An invalid timestamp, and one in the years 0001 or 9999, gets a
        null epoch and takes the Python path, which rejects it with its reason or parses it.
        """
        con.execute(
            f"""
            create or replace temp table _parsed_times as
            select time,
                   case when regexp_full_match(time, {sql_text(CLF_TIME_PATTERN)})
                             and substr(time, 8, 4) not in ('0000', '0001', '9999')
                        then epoch(try_strptime(time, {sql_text(CLF_LAYOUT)}))::bigint
                   end as epoch
            from (select distinct time from _matched)"""
        )
        quarters = con.execute(
            "select distinct floor(epoch / 900)::bigint from _parsed_times where epoch is not null"
        ).fetchall()
        clock = self.context.clock
        frame = pd.DataFrame(
            {
                "quarter": [row[0] for row in quarters],
                "offset": [clock.zone_offset(row[0] * 900) for row in quarters],
            },
            columns=["quarter", "offset"],
        ).astype("int64")
        self._lookup(con, "_quarters", frame)
        con.execute(
            """
            create or replace temp table _times as
            select p.time, p.epoch, floor((p.epoch + q.offset) / 86400)::integer as day
            from _parsed_times as p
            left join _quarters as q on floor(p.epoch / 900)::bigint = q.quarter"""
        )

    def _lookup_agents(self, con) -> None:
        agents = [row[0] for row in con.execute("select distinct agent from _matched").fetchall()]
        values = [self.context.agent(agent.encode("ascii")) for agent in agents]
        frame = pd.DataFrame(
            {
                "agent": agents,
                "bot": [value[1] for value in values],
                "alias": [value[2] for value in values],
                "wechat": [self.context.traffic.is_wechat(value[0]) for value in values],
            },
            columns=["agent", "bot", "alias", "wechat"],
        )
        self._lookup(con, "_agents", frame.astype({"bot": object, "alias": object}))

    def _lookup_shops(self, con) -> None:
        """Add the (host, path) pairs not seen in earlier blocks to the `_paths` table.

        The table lives for the whole load, so each distinct pair goes through Python once,
        and it is emptied when it reaches PATH_CACHE_ROWS rows to bound memory.
        """
        if con.execute("select count(*) from _paths").fetchall()[0][0] >= PATH_CACHE_ROWS:
            con.execute("delete from _paths")
        # regexp_extract gives '' when a path has no extension, which no extension equals.
        extensions = ", ".join(sql_text(ext) for ext in self.static if ext)
        static = (
            f"lower(regexp_extract(m.path, {sql_text(STATIC_PATTERN)})) in ({extensions})"
            if extensions
            else "false"
        )
        con.execute(
            f"""
            create or replace temp table _new_paths as
            select distinct m.host, m.path, {static} as static
            from _matched as m
            anti join _paths as p using (host, path)"""
        )
        # Static assets belong to no shop, so only the other pairs go through Python.
        con.execute("insert into _paths select host, path, true, null from _new_paths where static")
        pairs = con.execute("select host, path from _new_paths where not static").fetchall()
        shop_key = self.context.shop_key
        frame = pd.DataFrame(
            {
                "host": [pair[0] for pair in pairs],
                "path": [pair[1] for pair in pairs],
                "shop": pd.array(
                    [shop_key(host.encode(), path) for host, path in pairs], dtype=object
                ),
            },
            columns=["host", "path", "shop"],
        )
        con.register("_lookup_frame", frame)
        try:
            con.execute(
                "insert into _paths select host, path, false, shop::varchar from _lookup_frame"
            )
        finally:
            con.unregister("_lookup_frame")

    def _lookup_referrers(self, con) -> None:
        referrers = [
            row[0]
            for row in con.execute(
                "select distinct referrer from _matched join _agents using (agent) "
                "where bot is null"
            ).fetchall()
        ]
        classes = [self.context.traffic.classify_referrer(referrer) for referrer in referrers]
        frame = pd.DataFrame(
            {
                "referrer": referrers,
                "ref_class": [c[0] for c in classes],
                "ref_engine": pd.array([c[1] for c in classes], dtype=object),
                "ref_keyword": pd.array([c[2] for c in classes], dtype=object),
            },
            columns=["referrer", "ref_class", "ref_engine", "ref_keyword"],
        )
        self._lookup(con, "_referrers", frame)

    def _row_sql(self, source: str) -> str:
        """Return the query of the rows of `source`: _matched's columns, epoch, day, visitor."""
        return f"""
        with rows as (
            select m.line_no, m.epoch, m.day,
                   m.visitor,
                   p.shop,
                   case
                       when m.method <> 'GET' then 'method_not_counted'
                       when not (m.status like '2%' or m.status = '304')
                           then 'status_not_counted'
                       when p.static then 'static_asset'
                       when p.shop is null then 'not_shop_page'
                       else 'view'
                   end as outcome,
                   a.bot, a.alias, m.path = '/robots.txt' as robots,
                   regexp_matches(m.query, {sql_text(UTM_PATTERN)}) as utm,
                   a.wechat, m.referrer
            from {source} as m
            join _agents as a using (agent)
            join _paths as p using (host, path)
        )
        select r.line_no, r.epoch::bigint as epoch, r.day::integer as day, r.visitor,
               r.shop::varchar as shop, r.outcome, r.bot::varchar as bot,
               r.alias::varchar as alias, r.robots,
               case
                   when r.outcome <> 'view' or r.bot is not null then null
                   when r.utm then 'ad'
                   when f.ref_class in ('direct', 'referral') and r.wechat then 'social'
                   else f.ref_class
               end::varchar as source_class,
               case when r.outcome = 'view' and r.bot is null and not r.utm
                         and f.ref_class = 'search' then f.ref_engine end::varchar
                   as search_engine,
               case when r.outcome = 'view' and r.bot is null and not r.utm
                         and f.ref_class = 'search' then f.ref_keyword end::varchar as keyword
        from rows as r
        left join _referrers as f using (referrer)
        """


SlowLines = list[tuple[bytes, int]]


class FastPool:
    """Parses blocks on WORKERS threads, each with its own FastParser.

    A block's lines for the Python path are returned, not parsed here, so the caller
    handles them in file order, on its own thread.
    """

    def __init__(self, context, workers: int = WORKERS) -> None:
        self.parsers: queue.SimpleQueue[FastParser] = queue.SimpleQueue()
        self._all = [FastParser(context) for _ in range(workers)]
        for parser in self._all:
            self.parsers.put(parser)
        self.workers = workers
        self.executor = ThreadPoolExecutor(workers, thread_name_prefix="log-block")

    def submit(self, data: bytes, first_line_no: int, target: Path, lines: int) -> Future:
        """Start parsing `data` (`lines` lines); the future gives (rows written to `target`,
        slow lines)."""
        return self.executor.submit(self._parse, data, first_line_no, target, lines)

    def _parse(
        self, data: bytes, first_line_no: int, target: Path, lines: int
    ) -> tuple[int, SlowLines]:
        slow: SlowLines = []
        parser = self.parsers.get()
        try:
            rows = parser.parse_block(
                data, first_line_no, target, lambda line, number: slow.append((line, number)), lines
            )
        finally:
            self.parsers.put(parser)
        return rows, slow

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)
        for parser in self._all:
            parser.close()
