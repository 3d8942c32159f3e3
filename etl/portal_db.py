"""Read the portal's database through SQLAlchemy, with the SQL each portal configures.

Portals name their tables differently, so each entity is read by a query from the config that
returns the canonical columns below. Rows with a missing key or an unparseable value are
rejected with the query name, the row's position in the result and the column at fault.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from etl.config import ENV_DATABASE_URL
from etl.errors import DatabaseUrlError, SourceError
from etl.rows import Rejection, SourceStats

logger = logging.getLogger(__name__)

SOURCE = "portal_db"

# Canonical columns per query, each with the parser for its values.
EVENT_COLUMNS = {"event_id": "id", "member_id": "id", "occurred_at": "timestamp"}
QUERY_COLUMNS: dict[str, dict[str, str]] = {
    "members": {
        "member_id": "id",
        "company_name": "text",
        "segment": "text",
        "province": "optional_text",
        "company_size": "optional_text",
        "registered_on": "date",
        "shop_slug": "slug",
        "sales_rep": "optional_text",
        "after_sales_owner": "optional_text",
    },
    "contracts": {
        "contract_id": "id",
        "member_id": "id",
        "tier": "text",
        "start_date": "date",
        "end_date": "date",
        "amount_cny": "amount",
    },
    "inquiries": EVENT_COLUMNS,
    "messages": EVENT_COLUMNS,
    "contact_views": EVENT_COLUMNS,
    "ad_clicks": EVENT_COLUMNS,
    "followups": {
        "followup_id": "id",
        "member_id": "id",
        "sales_rep": "optional_text",
        "followed_at": "timestamp",
    },
    "sales_staff": {"staff_name": "text", "team": "optional_text"},
    "shop_openings": {
        "contract_id": "id",
        "member_id": "id",
        "paid_on": "date",
        "shop_opened_on": "optional_date",
        "materials_uploaded_on": "optional_date",
    },
}
# Queries a portal may leave unconfigured (an empty database.queries.<name>): empty tables.
OPTIONAL_QUERIES = frozenset({"followups", "sales_staff", "shop_openings"})
# Columns a query may omit; they are then null.
OPTIONAL_COLUMNS: dict[str, dict[str, str]] = {
    "members": {
        "credit_code": "optional_text",
        "registered_capital_cny": "optional_amount",
        "staff_count": "optional_count",
        # Contact details; etl/contacts.py moves them to the member_contacts table.
        "contact_phone": "optional_text",
        "contact_mobile": "optional_text",
        "contact_email": "optional_text",
        "contact_wechat": "optional_text",
    },
}


@dataclass
class PortalData:
    """Typed rows per query name, with counts and rejected rows."""

    tables: dict[str, pd.DataFrame]
    stats: list[SourceStats] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)


# Written in place of each secret part of a database URL.
MASK = "***"
# Query parameters whose names contain one of these words (any case) have their values masked,
# e.g. ?password=, ?sslpassword=, ?api_key=, ?auth_token=.
_SECRET_PARAMETER = re.compile(
    r"[?&;][^=&;]*(?:password|passwd|pwd|secret|token|key)[^=&;]*=([^&;]*)", re.IGNORECASE
)
_HIGHEST_PORT = 65535


def masked_url(url: object) -> str:
    """Return the URL with every password replaced by ***, for logs and messages; never raises.

    It works on the text, so a malformed URL is masked as well as a valid one. Masked are the
    userinfo password (from the first ':' after '://' to the last '@', since an unencoded
    password may itself contain '@', '/' or '?'), the values of secret-like query parameters,
    and, in a URL without '@', a "port" that is not a number together with the rest of the URL
    (`user:password/db` parses as host and port). Text without '://' is masked whole.

    NOTE: without '@', a password of digits up to 65535 cannot be told from a port, so it stays
    visible, and SQLAlchemy accepts such a URL as host and port.
    An '@' in a query value hides the host and database too, which errs towards hiding.
    """
    text = str(url)
    output: list[str] = []
    position = 0
    for start, end in _merged(_secret_spans(text)):
        output += [text[position:start], MASK]
        position = end
    output.append(text[position:])
    return "".join(output)


def redact_url_secrets(message: str, url: object) -> str:
    """Replace in `message` every secret that `masked_url` hides in `url`, raw or decoded.

    For error texts from drivers and SQLAlchemy, which may quote the URL or its parts.
    """
    text = str(url)
    secrets = set()
    for start, end in _secret_spans(text):
        secrets.update({text[start:end], urllib.parse.unquote(text[start:end])})
    # Replace longer secrets first, so that one containing a shorter one is masked whole.
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        message = message.replace(secret, MASK)
    return message


def _secret_spans(text: str) -> list[tuple[int, int]]:
    spans = [match.span(1) for match in _SECRET_PARAMETER.finditer(text)]
    separator = text.find("://")
    if separator < 0:
        return [(0, len(text))]

    rest = separator + 3
    # sqlite:///path has an empty authority, so there is no userinfo to mask.
    if text.startswith("/", rest):
        return spans

    at = text.rfind("@")
    if at >= rest:
        colon = text.find(":", rest, at)
        if colon >= 0:
            spans.append((colon + 1, at))
        return spans

    end = min((i for i in (text.find("/", rest), text.find("?", rest)) if i >= 0), default=None)
    authority = text[rest:end]
    colon = authority.find(":", authority.rfind("]") + 1)
    if colon >= 0 and not _is_port(authority[colon + 1 :]):
        spans.append((rest + colon + 1, len(text)))
    return spans


def _is_port(text: str) -> bool:
    return text == "" or (text.isascii() and text.isdigit() and int(text) <= _HIGHEST_PORT)


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def database_setting(key: str, env_var: str) -> str:
    """Return where a database URL came from: the environment variable when set, else the key.

    The name comes first, then the source in brackets: "PORTAL_DATABASE_URL (environment
    variable)" or "database.url (config file)".
    """
    if os.environ.get(env_var):
        return f"{env_var} (environment variable)"
    return f"{key} (config file)"


def parse_database_url(url: str, setting: str) -> sa.URL:
    """Parse a SQLAlchemy URL; raise DatabaseUrlError naming `setting` and the masked URL.

    SQLAlchemy's own errors are not passed on, because some quote the password (a password
    without '@' becomes the port, and int() then fails with the password in its message).
    """
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError, TypeError):
        raise DatabaseUrlError(_invalid_url_message(url, setting)) from None

    # An unencoded '@' in the password leaves the rest of the password in the host name.
    if parsed.host is not None and "@" in parsed.host:
        raise DatabaseUrlError(_invalid_url_message(url, setting)) from None
    return parsed


def create_database_engine(url: str, setting: str, **options: Any) -> sa.Engine:
    """Create a SQLAlchemy engine for `url`; raise DatabaseUrlError naming `setting` on failure.

    Failures are an invalid URL, an unknown dialect and a driver module that is not installed.
    Nothing connects yet, so an unreachable server fails later, at the first query.
    """
    parsed = parse_database_url(url, setting)
    try:
        return sa.create_engine(parsed, **options)
    except ImportError as error:
        raise DatabaseUrlError(
            f"{setting}: the URL {masked_url(url)} needs the database driver module "
            f"{error.name or '(unnamed)'}, which is not installed. Install it in the virtual "
            "environment, e.g. `.venv/bin/pip install pymysql` for mysql+pymysql or "
            "`.venv/bin/pip install psycopg2-binary` for postgresql."
        ) from None
    except (ArgumentError, ValueError, TypeError) as error:
        reason = redact_url_secrets(_first_line(error), url)
        raise DatabaseUrlError(
            f"{setting}: the URL {masked_url(url)} is not usable: {reason}. "
            "Check the dialect, the driver and the query parameters."
        ) from None


def _invalid_url_message(url: str, setting: str) -> str:
    return (
        f"{setting} is not a valid SQLAlchemy URL: {masked_url(url)}. Write it as "
        "dialect+driver://user:password@host:port/database, with '@', ':', '/' and '?' in the "
        "user name or password percent-encoded ('@' as %40), or as sqlite:///path."
    )


def read_portal(url: str, queries: dict[str, str]) -> PortalData:
    """Run every configured query and return typed rows; raise SourceError if one fails."""
    engine = _create_engine(url)
    data = PortalData(tables={})
    try:
        with engine.connect() as connection:
            for name, columns in QUERY_COLUMNS.items():
                columns = {**columns, **OPTIONAL_COLUMNS.get(name, {})}
                sql = queries.get(name, "")
                if name in OPTIONAL_QUERIES and not sql.strip():
                    logger.info("database.queries.%s is not set; no %s loaded", name, name)
                    data.tables[name] = pd.DataFrame(columns=list(columns))
                    continue
                frame = _run_query(connection, name, sql, url)
                rows, stats, rejections = _type_rows(name, frame, columns)
                data.tables[name] = rows
                data.stats.append(stats)
                data.rejections.extend(rejections)
                logger.info("Read %d rows of %s, rejected %d", stats.read, name, len(rejections))
    except SQLAlchemyError as error:
        raise SourceError(
            f"Portal database {masked_url(url)} could not be read: {error.__class__.__name__}: "
            f"{redact_url_secrets(_first_line(error), url)}. Check database.url and that the "
            "server is reachable."
        ) from None
    finally:
        engine.dispose()

    _reject_orphans(data)
    return data


def _create_engine(url: str) -> sa.Engine:
    engine = create_database_engine(url, database_setting("database.url", ENV_DATABASE_URL))

    if engine.dialect.name == "sqlite":
        database = engine.url.database or ""
        # SQLite would silently create an empty database for a mistyped path.
        if database not in ("", ":memory:") and not Path(database).is_file():
            raise SourceError(
                f"Portal database file {database} not found (database.url). Check the path, "
                "or create a demo portal with `python -m etl demo --out DIR`."
            )
    return engine


def _run_query(connection: sa.Connection, name: str, sql: str, url: str) -> pd.DataFrame:
    try:
        result = connection.execute(sa.text(sql))
    except SQLAlchemyError as error:
        raise SourceError(
            f"Query database.queries.{name} failed on {masked_url(url)}: "
            f"{redact_url_secrets(_first_line(error), url)}. Fix the SQL in the config file."
        ) from None

    frame = pd.DataFrame(result.fetchall(), columns=[key.lower() for key in result.keys()])
    missing = [column for column in QUERY_COLUMNS[name] if column not in frame.columns]
    if missing:
        raise SourceError(
            f"Query database.queries.{name} returns no column {', '.join(missing)}; it returns "
            f"{', '.join(frame.columns) or 'no columns'}. Alias the portal's columns to these "
            "names in the SQL (docs/configuration.md lists them)."
        )
    for column in OPTIONAL_COLUMNS.get(name, {}):
        if column not in frame.columns:
            frame[column] = None
    return frame


def _type_rows(
    name: str, frame: pd.DataFrame, columns: dict[str, str]
) -> tuple[pd.DataFrame, SourceStats, list[Rejection]]:
    stats = SourceStats(source=SOURCE, file=name, read=len(frame))
    rejections: list[Rejection] = []
    typed_rows: list[dict[str, object]] = []
    seen_keys: set[object] = set()
    key_column = next(iter(columns))

    for position, record in enumerate(frame.to_dict("records"), start=1):
        typed, rejection = _type_record(name, position, record, columns)
        if rejection is None and name == "contracts" and typed["end_date"] < typed["start_date"]:
            rejection = _rejection(
                name, position, "end_date", record["end_date"], "end_before_start", record
            )
        if rejection is None and typed[key_column] in seen_keys:
            rejection = _rejection(
                name, position, key_column, record[key_column], "duplicate_key", record
            )
        if rejection is not None:
            rejections.append(rejection)
            stats.rejected[rejection.reason] += 1
            continue
        seen_keys.add(typed[key_column])
        typed_rows.append(typed)

    stats.loaded = len(typed_rows)
    rows = pd.DataFrame(typed_rows, columns=list(columns))
    _set_date_range(stats, rows)
    return rows, stats, rejections


def _set_date_range(stats: SourceStats, rows: pd.DataFrame) -> None:
    """Record the first and last day of the rows' main date column, for the data-status page."""
    date_column = next(
        (name for name in ("occurred_at", "start_date", "registered_on") if name in rows), None
    )
    if date_column is None or rows.empty:
        return
    days = pd.to_datetime(rows[date_column]).dt.date
    stats.data_from = days.min().isoformat()
    stats.data_to = days.max().isoformat()


def _type_record(
    name: str, position: int, record: dict[str, object], columns: dict[str, str]
) -> tuple[dict[str, object], Rejection | None]:
    typed: dict[str, object] = {}
    for column, kind in columns.items():
        value = record[column]
        try:
            typed[column] = PARSERS[kind](value)
        except ValueError as error:
            return typed, _rejection(name, position, column, value, str(error), record)
    return typed, None


def _rejection(
    name: str, position: int, column: str, value: object, reason: str, record: dict[str, object]
) -> Rejection:
    raw = ", ".join(f"{key}={record[key]!r}" for key in record)
    return Rejection(
        source=SOURCE,
        file=name,
        line_no=position,
        reason=reason,
        column=column,
        value=None if _is_missing(value) else str(value)[:200],
        raw=raw[:2000],
    )


def _reject_orphans(data: PortalData) -> None:
    """Reject contracts and events whose member_id is not among the loaded members."""
    members = set(data.tables["members"]["member_id"])
    for stats in data.stats:
        name = stats.file
        table = data.tables[name]
        if name == "members" or table.empty or "member_id" not in table.columns:
            continue
        orphan = ~table["member_id"].isin(members)
        for record in table[orphan].to_dict("records"):
            data.rejections.append(
                Rejection(
                    source=SOURCE,
                    file=name,
                    line_no=None,
                    reason="unknown_member",
                    column="member_id",
                    value=str(record["member_id"]),
                    raw=", ".join(f"{key}={value!r}" for key, value in record.items())[:2000],
                )
            )
        if orphan.any():
            stats.rejected["unknown_member"] += int(orphan.sum())
            stats.loaded -= int(orphan.sum())
        data.tables[name] = table[~orphan].reset_index(drop=True)


def _is_missing(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and pd.isna(value):
        return True
    return isinstance(value, str) and not value.strip()


def _parse_id(value: object) -> int:
    if _is_missing(value):
        raise ValueError("missing_value")
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ValueError("invalid_id") from None
    if number < 0:
        raise ValueError("invalid_id")
    return number


def _parse_text(value: object) -> str:
    if _is_missing(value):
        raise ValueError("missing_value")
    return str(value).strip()


def _parse_optional_text(value: object) -> str | None:
    return None if _is_missing(value) else str(value).strip()


def _parse_slug(value: object) -> str | None:
    return None if _is_missing(value) else str(value).strip().lower()


def _parse_date(value: object) -> dt.date:
    if _is_missing(value):
        raise ValueError("missing_value")
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        raise ValueError("invalid_date") from None


def _parse_timestamp(value: object) -> dt.datetime:
    if _is_missing(value):
        raise ValueError("missing_value")
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())
    try:
        return dt.datetime.fromisoformat(str(value).strip()).replace(tzinfo=None)
    except ValueError:
        raise ValueError("invalid_timestamp") from None


def _parse_amount(value: object) -> float:
    if _is_missing(value):
        raise ValueError("missing_value")
    try:
        amount = float(str(value).strip().replace(",", ""))
    except ValueError:
        raise ValueError("invalid_amount") from None
    if amount < 0 or amount != amount:
        raise ValueError("invalid_amount")
    return round(amount, 2)


def _parse_optional_date(value: object) -> dt.date | None:
    return None if _is_missing(value) else _parse_date(value)


def _parse_optional_amount(value: object) -> float | None:
    return None if _is_missing(value) else _parse_amount(value)


def _parse_optional_count(value: object) -> int | None:
    if _is_missing(value):
        return None
    try:
        number = float(str(value).strip().replace(",", ""))
    except ValueError:
        raise ValueError("invalid_count") from None
    if number < 0 or not number.is_integer():
        raise ValueError("invalid_count")
    return int(number)


PARSERS = {
    "optional_date": _parse_optional_date,
    "optional_amount": _parse_optional_amount,
    "optional_count": _parse_optional_count,
    "id": _parse_id,
    "text": _parse_text,
    "optional_text": _parse_optional_text,
    "slug": _parse_slug,
    "date": _parse_date,
    "timestamp": _parse_timestamp,
    "amount": _parse_amount,
}


def _first_line(error: Exception) -> str:
    text = str(getattr(error, "orig", None) or error)
    return text.splitlines()[0] if text else error.__class__.__name__
