"""Follow-up actions that after-sales staff record per member (contacted, offer made, ...).

They live in the app database, not the warehouse, so a load never changes them. Each row
names the member and, when recorded from the risk queue, the contract it was about. A load
reads the contact actions through `read_only_engine` and `contact_dates` for the risk model.
"""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
import urllib.parse
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import sqlalchemy as sa

from etl.portal_db import database_setting, parse_database_url
from store import metadata

logger = logging.getLogger(__name__)

ACTION_CODES = ("contacted", "effect_report_sent", "offer_made", "renewed", "lost")
# Actions that are contacts with the member. "renewed" and "lost" record the outcome of a
# renewal, so counting them as contacts would feed the label into the risk model.
CONTACT_ACTIONS = ("contacted", "effect_report_sent", "offer_made")
MAX_NOTE = 2000
# The portal's time zone when the caller has no config (etl.config's portal.timezone default).
DEFAULT_TIMEZONE = "Asia/Shanghai"

renewal_actions = sa.Table(
    "renewal_actions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("member_id", sa.BigInteger, nullable=False, index=True),
    sa.Column("contract_id", sa.BigInteger, nullable=True),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("action_on", sa.Date, nullable=False),
    sa.Column("note", sa.Text, nullable=False, default=""),
    sa.Column("recorded_by", sa.String(64), nullable=False),
    sa.Column("recorded_at", sa.DateTime, nullable=False),
)

COLUMNS = [column.name for column in renewal_actions.columns]


class FutureActionDateError(ValueError):
    """Rejection of an action dated after today in the portal's time zone."""

    def __init__(self, action_on: dt.date, today: dt.date, timezone: str) -> None:
        super().__init__(
            f"Action date {action_on.isoformat()} is after today ({today.isoformat()} in "
            f"{timezone}); enter the day the action took place."
        )
        self.action_on = action_on
        self.today = today


def today_in(timezone: str, now: dt.datetime | None = None) -> dt.date:
    """Return the date in `timezone` at `now`, an aware datetime (by default the current time)."""
    moment = now if now is not None else dt.datetime.now(dt.UTC)
    return moment.astimezone(ZoneInfo(timezone)).date()


def record_action(
    engine: sa.Engine,
    *,
    member_id: int,
    action: str,
    action_on: dt.date,
    recorded_by: str,
    note: str = "",
    contract_id: int | None = None,
    timezone: str = DEFAULT_TIMEZONE,
    now: dt.datetime | None = None,
) -> int:
    """Store one action and return its id.

    Raises ValueError for an unknown action or a long note, and FutureActionDateError when
    `action_on` is after today in `timezone` (the portal's portal.timezone) at `now`.
    """
    if action not in ACTION_CODES:
        raise ValueError(f"Unknown action {action!r}; use one of {', '.join(ACTION_CODES)}.")
    if len(note) > MAX_NOTE:
        raise ValueError(f"Note has {len(note)} characters; shorten it to {MAX_NOTE} or fewer.")
    today = today_in(timezone, now)
    if action_on > today:
        raise FutureActionDateError(action_on, today, timezone)

    values = {
        "member_id": int(member_id),
        "contract_id": None if contract_id is None else int(contract_id),
        "action": action,
        "action_on": action_on,
        "note": note.strip(),
        "recorded_by": recorded_by,
        "recorded_at": dt.datetime.now(dt.UTC).replace(tzinfo=None),
    }
    with engine.begin() as connection:
        result = connection.execute(sa.insert(renewal_actions).values(**values))
    action_id = int(result.inserted_primary_key[0])
    logger.info(
        "Action %s recorded for member %s by %s (id %d)", action, member_id, recorded_by, action_id
    )
    return action_id


def member_actions(engine: sa.Engine, member_id: int) -> pd.DataFrame:
    """Return the member's actions, newest first."""
    query = (
        sa.select(renewal_actions)
        .where(renewal_actions.c.member_id == int(member_id))
        .order_by(renewal_actions.c.action_on.desc(), renewal_actions.c.id.desc())
    )
    with engine.connect() as connection:
        rows = connection.execute(query).fetchall()
    return pd.DataFrame(rows, columns=COLUMNS)


def last_actions(engine: sa.Engine, member_ids: list[int]) -> pd.DataFrame:
    """Return the latest action of each listed member: member_id, action, action_on, note."""
    if not member_ids:
        return pd.DataFrame(columns=["member_id", "action", "action_on", "note"])
    ranked = (
        sa.select(
            renewal_actions.c.member_id,
            renewal_actions.c.action,
            renewal_actions.c.action_on,
            renewal_actions.c.note,
            sa.func.row_number()
            .over(
                partition_by=renewal_actions.c.member_id,
                order_by=(renewal_actions.c.action_on.desc(), renewal_actions.c.id.desc()),
            )
            .label("position"),
        )
        .where(renewal_actions.c.member_id.in_([int(m) for m in member_ids]))
        .subquery()
    )
    query = sa.select(ranked.c.member_id, ranked.c.action, ranked.c.action_on, ranked.c.note)
    with engine.connect() as connection:
        rows = connection.execute(query.where(ranked.c.position == 1)).fetchall()
    return pd.DataFrame(rows, columns=["member_id", "action", "action_on", "note"])


def read_only_engine(url: str) -> sa.Engine | None:
    """Return an engine that reads the app database at `url`, or None if its SQLite file is missing.

    Unlike `store.engine_for`, it creates no file and no table. A SQLite file is opened with
    `mode=ro`, so SQLite itself rejects writes. A server database gets a plain engine, and
    only the callers' statements keep it unchanged.
    """
    parsed = parse_database_url(url, database_setting("app.database_url", "APP_DATABASE_URL"))
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return sa.create_engine(parsed)

    path = Path(parsed.database)
    if not path.is_file():
        return None
    uri = f"file:{urllib.parse.quote(str(path.resolve()))}?mode=ro"
    return sa.create_engine(
        "sqlite://", creator=lambda: sqlite3.connect(uri, uri=True, check_same_thread=False)
    )


def contact_dates(engine: sa.Engine) -> pd.DataFrame:
    """Return member_id and action_on of every contact action, or no rows without the table.

    Only CONTACT_ACTIONS count. An app database that no page has written to yet has no
    renewal_actions table, which means no contacts.
    """
    columns = ["member_id", "action_on"]
    if not sa.inspect(engine).has_table(renewal_actions.name):
        return pd.DataFrame(columns=columns)

    query = (
        sa.select(renewal_actions.c.member_id, renewal_actions.c.action_on)
        .where(renewal_actions.c.action.in_(CONTACT_ACTIONS))
        .order_by(renewal_actions.c.member_id, renewal_actions.c.action_on)
    )
    with engine.connect() as connection:
        rows = connection.execute(query).fetchall()
    return pd.DataFrame(rows, columns=columns)
