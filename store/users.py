"""Dashboard users: argon2 password hashes, roles, staff names, lockout and disabling.

A user's `staff_name` is the name the portal uses for them in members.sales_rep or
members.after_sales_owner; it decides which members a sales rep or after-sales user sees.
Repeated failed logins lock the account for a while; a disabled account cannot sign in, and
the dashboard re-reads the row on every rerun, so disabling ends an open session at once.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from queries.access import OWNER_COLUMN, ROLES, Viewer
from store import metadata

logger = logging.getLogger(__name__)

MIN_PASSWORD_LENGTH = 8
MAX_USERNAME_LENGTH = 64
# Far above the length of a person's name, so pasted text is caught; the column allows 128.
MAX_STAFF_NAME_LENGTH = 50

users = sa.Table(
    "users",
    metadata,
    sa.Column("username", sa.String(MAX_USERNAME_LENGTH), primary_key=True),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("staff_name", sa.String(128)),
    sa.Column("disabled", sa.Boolean, nullable=False, default=False),
    sa.Column("failed_logins", sa.Integer, nullable=False, default=0),
    sa.Column("locked_until", sa.DateTime),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)

_hasher = PasswordHasher()
# Verified against when the username is unknown, so that a wrong name costs as long as a
# wrong password and response times do not reveal which usernames exist.
_UNKNOWN_USER_HASH = _hasher.hash("no such user: timing filler")


class UserError(ValueError):
    """A user command that cannot be done; the message names the user or value and the fix.

    `code` names the case for the admin page, which shows the catalog sentence
    users.error.<code> instead of the English message.
    """

    def __init__(self, message: str, code: str = "other") -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class User:
    username: str
    role: str
    staff_name: str | None
    disabled: bool
    failed_logins: int
    locked_until: dt.datetime | None

    def viewer(self) -> Viewer:
        return Viewer(username=self.username, role=self.role, staff_name=self.staff_name)


@dataclass(frozen=True)
class LoginResult:
    """The outcome of one login attempt: `user` when it succeeded, else a reason code.

    Reasons: `bad_credentials` (unknown user or wrong password), `locked` (too many failures;
    `locked_until` gives until when), `disabled`.
    """

    user: User | None
    reason: str | None = None
    locked_until: dt.datetime | None = None


def utc_now() -> dt.datetime:
    """The current UTC time without a zone, as the users table stores it."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def add_user(
    engine: sa.Engine, username: str, password: str, role: str, staff_name: str | None = None
) -> User:
    """Create a user; raise UserError if the name is taken or a value is not allowed."""
    username = _check_username(username)
    staff_name = _check_staff_name(staff_name, username)
    _check_role(role, staff_name, username)
    _check_password(password)
    now = utc_now()
    with engine.begin() as con:
        if _row(con, username) is not None:
            raise UserError(
                f"User {username!r} already exists; use set-role or reset-password.", "exists"
            )
        con.execute(
            users.insert().values(
                username=username,
                password_hash=_hasher.hash(password),
                role=role,
                staff_name=staff_name,
                disabled=False,
                failed_logins=0,
                locked_until=None,
                created_at=now,
                updated_at=now,
            )
        )
    logger.info("Added user %s with role %s.", username, role)
    return _require(engine, username)


def set_role(engine: sa.Engine, username: str, role: str, staff_name: str | None = None) -> User:
    """Change a user's role and staff name; the change applies on their next rerun.

    Raises UserError (code last_admin) when the change would leave no active admin.
    """
    staff_name = _check_staff_name(staff_name, username)
    _check_role(role, staff_name, username)
    _update(engine, username, role=role, staff_name=staff_name)
    logger.info("Set role of user %s to %s.", username, role)
    return _require(engine, username)


def reset_password(engine: sa.Engine, username: str, password: str) -> User:
    """Set a new password and clear failed logins and any lock."""
    _check_password(password)
    _update(
        engine,
        username,
        password_hash=_hasher.hash(password),
        failed_logins=0,
        locked_until=None,
    )
    logger.info("Reset the password of user %s.", username)
    return _require(engine, username)


def set_disabled(engine: sa.Engine, username: str, disabled: bool = True) -> User:
    """Disable (or enable again) a user; a disabled user's open session ends on its next rerun.

    Raises UserError (code last_admin) when disabling would leave no active admin.
    """
    _update(engine, username, disabled=disabled)
    logger.info("%s user %s.", "Disabled" if disabled else "Enabled", username)
    return _require(engine, username)


def get_user(engine: sa.Engine, username: str) -> User | None:
    with engine.connect() as con:
        row = _row(con, username)
    return _user(row) if row is not None else None


def list_users(engine: sa.Engine) -> list[User]:
    with engine.connect() as con:
        rows = con.execute(sa.select(users).order_by(users.c.username)).mappings().all()
    return [_user(row) for row in rows]


def authenticate(
    engine: sa.Engine,
    username: str,
    password: str,
    *,
    max_failures: int,
    lockout: dt.timedelta,
    now: dt.datetime | None = None,
) -> LoginResult:
    """Check a login; count failures and lock the account after `max_failures` in a row.

    A locked account refuses even the right password until the lock ends, so guessing gains
    nothing while locked.
    """
    now = now or utc_now()
    with engine.begin() as con:
        row = _row(con, username.strip())
        if row is None:
            _verify(_UNKNOWN_USER_HASH, password)
            logger.info("Failed login for unknown user name.")
            return LoginResult(None, "bad_credentials")
        if row["locked_until"] is not None and row["locked_until"] > now:
            logger.info("Refused login for locked user %s.", row["username"])
            return LoginResult(None, "locked", row["locked_until"])
        if not _verify(row["password_hash"], password):
            return _record_failure(con, row, now, max_failures, lockout)
        if row["disabled"]:
            logger.info("Refused login for disabled user %s.", row["username"])
            return LoginResult(None, "disabled")

        con.execute(
            users.update()
            .where(users.c.username == row["username"])
            .values(failed_logins=0, locked_until=None)
        )
    logger.info("User %s signed in.", row["username"])
    return LoginResult(_require(engine, row["username"]))


def _record_failure(
    con: sa.Connection,
    row: sa.RowMapping,
    now: dt.datetime,
    max_failures: int,
    lockout: dt.timedelta,
) -> LoginResult:
    failures = int(row["failed_logins"]) + 1
    locked_until = now + lockout if failures >= max_failures else None
    con.execute(
        users.update()
        .where(users.c.username == row["username"])
        .values(failed_logins=0 if locked_until else failures, locked_until=locked_until)
    )
    if locked_until:
        logger.warning(
            "User %s locked until %s after %d failed logins.",
            row["username"],
            locked_until,
            failures,
        )
        return LoginResult(None, "locked", locked_until)
    logger.info("Failed login %d for user %s.", failures, row["username"])
    return LoginResult(None, "bad_credentials")


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _row(con: sa.Connection, username: str) -> sa.RowMapping | None:
    return con.execute(sa.select(users).where(users.c.username == username)).mappings().first()


def _user(row: sa.RowMapping) -> User:
    return User(
        username=row["username"],
        role=row["role"],
        staff_name=row["staff_name"],
        disabled=bool(row["disabled"]),
        failed_logins=int(row["failed_logins"]),
        locked_until=row["locked_until"],
    )


def _require(engine: sa.Engine, username: str) -> User:
    user = get_user(engine, username)
    if user is None:
        raise UserError(f"No user {username!r}; list the users with the `list` command.", "no_user")
    return user


def _update(engine: sa.Engine, username: str, **values: object) -> None:
    """Update one user's row; roll back and raise UserError if it leaves no active admin."""
    with engine.begin() as con:
        admins_before = _active_admins(con)
        result = con.execute(
            users.update()
            .where(users.c.username == username)
            .values(**values, updated_at=utc_now())
        )
        if result.rowcount == 0:
            raise UserError(
                f"No user {username!r}; list the users with the `list` command.", "no_user"
            )
        # Leaving the block by an exception rolls the update back.
        if admins_before and not _active_admins(con):
            raise UserError(
                f"User {username!r} is the last active admin, so this change would leave "
                "nobody who can manage users. Make another user admin first.",
                "last_admin",
            )


def _active_admins(con: sa.Connection) -> list[str]:
    # FOR UPDATE locks the admin rows on server databases, so two admins cannot demote each
    # other at once; SQLite has no row locks but allows one writer at a time.
    query = (
        sa.select(users.c.username)
        .where(users.c.role == "admin", sa.not_(users.c.disabled))
        .with_for_update()
    )
    return list(con.execute(query).scalars())


def _check_username(username: str) -> str:
    name = username.strip()
    if not name or len(name) > MAX_USERNAME_LENGTH or any(char.isspace() for char in name):
        raise UserError(
            f"User name {username!r} is not allowed; use 1 to {MAX_USERNAME_LENGTH} characters "
            "without spaces.",
            "bad_username",
        )
    return name


def _check_staff_name(staff_name: str | None, username: str) -> str | None:
    """Return the staff name without surrounding spaces, or None when empty.

    Owner columns are compared exactly, so " 郑博 " would match no member.
    """
    name = (staff_name or "").strip()
    if len(name) > MAX_STAFF_NAME_LENGTH or any(not char.isprintable() for char in name):
        raise UserError(
            f"Staff name {name[:60]!r}{'...' if len(name) > 60 else ''} for user {username!r} "
            f"is not allowed; use at most {MAX_STAFF_NAME_LENGTH} printable characters, as "
            "the name appears in the portal data.",
            "bad_staff_name",
        )
    return name or None


def _check_role(role: str, staff_name: str | None, username: str) -> None:
    if role not in ROLES:
        raise UserError(
            f"Unknown role {role!r} for user {username!r}; use one of {ROLES}.", "bad_role"
        )
    if role in OWNER_COLUMN and not (staff_name or "").strip():
        raise UserError(
            f"Role {role} needs --staff-name for user {username!r}: the name the portal uses "
            f"in members.{OWNER_COLUMN[role]}, which decides the members they see.",
            "needs_staff_name",
        )


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(
            f"The password has {len(password)} characters; use at least {MIN_PASSWORD_LENGTH}.",
            "short_password",
        )
