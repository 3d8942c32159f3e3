"""Command line for dashboard users: `python -m dashboard.users COMMAND`.

Commands: add, set-role, reset-password, disable, enable, list, and demo (the demo users of a
generated demo portal). The app database comes from --database-url, else from the config's
app.database_url (the environment variable APP_DATABASE_URL overrides it). Passwords are read
without echo, or from the first line of standard input with --password-stdin. They are never
taken as an argument, because arguments stay in the shell history and the process list.

Exit status: 0 done, 1 refused or failed (the message says why and what to do), 2 usage error.
"""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys
from pathlib import Path
from typing import Any

import duckdb
import sqlalchemy as sa

import store
from etl.config import ENV_APP_DATABASE_URL, SETTINGS, Config, load_config
from etl.errors import ConfigError
from etl.portal_db import database_setting, masked_url, redact_url_secrets
from queries.access import OWNER_COLUMN, ROLES
from store import users

logger = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_REFUSED = 1
REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = REPO_ROOT / "data" / "demo" / "portal.toml"

# The demo's users: one per role. Their password is printed by `demo`, shown on the demo's
# login page and written in the READMEs; `demo` refuses configs without auth.demo = true.
DEMO_PASSWORD = "demo1234"
DEMO_USERS = (
    ("admin", "admin"),
    ("director", "director"),
    ("executive", "executive"),
    ("sales", "sales_rep"),
    ("service", "after_sales"),
)


def config_value(config: Config, key: str) -> Any:
    """Return a setting's value from the loaded config, or its default from SETTINGS."""
    node: Any = config.raw
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return next(setting.default for setting in SETTINGS if setting.key == key)
        node = node[part]
    return node


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        config = (
            load_config(args.config)
            if args.database_url is None or args.command == "demo"
            else None
        )
        url = args.database_url or config.app_database_url
        engine = store.engine_for(url, _url_setting(args))
        return args.handler(args, engine, config)
    except (users.UserError, ConfigError) as error:
        print(f"Refused: {error}", file=sys.stderr)
        return EXIT_REFUSED
    except sa.exc.SQLAlchemyError as error:
        reason = redact_url_secrets(str(error).splitlines()[0], url)
        print(
            f"Failed: the app database {masked_url(url)} could not be used: "
            f"{error.__class__.__name__}: {reason}. Check {_url_setting(args)} and that the "
            "database is reachable.",
            file=sys.stderr,
        )
        return EXIT_REFUSED


def _url_setting(args: argparse.Namespace) -> str:
    """Name where the app database URL came from, for error messages."""
    if args.database_url is not None:
        return "--database-url"
    return database_setting("app.database_url", ENV_APP_DATABASE_URL)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m dashboard.users", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--config",
        type=Path,
        default=Path(os.environ.get("PORTAL_CONFIG") or DEFAULT_CONFIG),
        help="portal TOML config (default: $PORTAL_CONFIG, else data/demo/portal.toml)",
    )
    parser.add_argument("--database-url", help="SQLAlchemy URL of the app database instead")
    commands = parser.add_subparsers(required=True, dest="command", metavar="COMMAND")

    add = _command(commands, "add", "create a user", _add)
    _role_arguments(add)
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")

    set_role = _command(commands, "set-role", "change a user's role and staff name", _set_role)
    _role_arguments(set_role)

    reset = _command(commands, "reset-password", "set a new password, clear a lock", _reset)
    reset.add_argument("--password-stdin", action="store_true", help="read it from stdin")

    _command(commands, "disable", "end a user's access at once", _disable)
    _command(commands, "enable", "let a disabled user sign in again", _enable)
    listing = commands.add_parser("list", help="show every user")
    listing.set_defaults(handler=_list)
    demo = commands.add_parser("demo", help="create the demo users (demo configs only)")
    demo.set_defaults(handler=_demo)
    return parser


def _command(commands: Any, name: str, help_text: str, handler: Any) -> argparse.ArgumentParser:
    command = commands.add_parser(name, help=help_text)
    command.add_argument("username")
    command.set_defaults(handler=handler)
    return command


def _role_arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument("--role", required=True, choices=ROLES)
    command.add_argument(
        "--staff-name",
        help="the person's name in members.sales_rep / after_sales_owner (needed by "
        "sales_rep and after_sales)",
    )


def _add(args: argparse.Namespace, engine: sa.Engine, config: Config | None) -> int:
    user = users.add_user(engine, args.username, _password(args), args.role, args.staff_name)
    print(f"Added {user.username} ({user.role}).")
    _warn_if_owns_nothing(user, _snapshot_path(args, config))
    return EXIT_OK


def _set_role(args: argparse.Namespace, engine: sa.Engine, config: Config | None) -> int:
    user = users.set_role(engine, args.username, args.role, args.staff_name)
    print(f"{user.username} is now {user.role}; it applies on their next click.")
    _warn_if_owns_nothing(user, _snapshot_path(args, config))
    return EXIT_OK


def _snapshot_path(args: argparse.Namespace, config: Config | None) -> Path | None:
    """Return the published snapshot of the portal config, or None without a valid config."""
    if config is None:
        try:
            config = load_config(args.config)
        except ConfigError:
            return None
    return config.warehouse_dir / "current.duckdb"


def _warn_if_owns_nothing(user: users.User, snapshot: Path | None) -> None:
    """Print a warning when a sales rep's or after-sales user's staff name owns no member."""
    if user.role not in OWNER_COLUMN or user.staff_name is None:
        return
    count = owned_member_count(snapshot, user.role, user.staff_name) if snapshot else None
    column = OWNER_COLUMN[user.role]
    if count is None:
        print(
            f"Warning: staff name {user.staff_name!r} not checked, because there is no "
            "published snapshot; check it against the portal data after the first load.",
            file=sys.stderr,
        )
    elif count == 0:
        print(
            f"Warning: no member in the published snapshot {snapshot} has {column} = "
            f"{user.staff_name!r}, so {user.username} sees no members. Check the spelling "
            "against the portal data.",
            file=sys.stderr,
        )


def owned_member_count(snapshot: Path, role: str, staff_name: str) -> int | None:
    """Count the snapshot's members whose owner column for `role` equals `staff_name`.

    Returns None when there is no snapshot file to check against.
    """
    if not snapshot.is_file():
        return None
    column = OWNER_COLUMN[role]
    con = duckdb.connect(str(snapshot), read_only=True)
    try:
        row = con.execute(
            f"select count(*) from members where {column} = ?", [staff_name]
        ).fetchone()
    finally:
        con.close()
    return int(row[0]) if row else 0


def _reset(args: argparse.Namespace, engine: sa.Engine, _config: Config | None) -> int:
    user = users.reset_password(engine, args.username, _password(args))
    print(f"New password set for {user.username}; failed logins and any lock cleared.")
    return EXIT_OK


def _disable(args: argparse.Namespace, engine: sa.Engine, _config: Config | None) -> int:
    user = users.set_disabled(engine, args.username, True)
    print(f"Disabled {user.username}; an open session ends on its next click.")
    return EXIT_OK


def _enable(args: argparse.Namespace, engine: sa.Engine, _config: Config | None) -> int:
    user = users.set_disabled(engine, args.username, False)
    print(f"Enabled {user.username}.")
    return EXIT_OK


def _list(_args: argparse.Namespace, engine: sa.Engine, _config: Config | None) -> int:
    print("username\trole\tstaff_name\tdisabled\tlocked_until")
    for user in users.list_users(engine):
        locked = (
            user.locked_until.isoformat(sep=" ", timespec="seconds") if user.locked_until else ""
        )
        print(f"{user.username}\t{user.role}\t{user.staff_name or ''}\t{user.disabled}\t{locked}")
    return EXIT_OK


def _demo(_args: argparse.Namespace, engine: sa.Engine, config: Config | None) -> int:
    """Create or reset the demo users; staff names come from the published demo snapshot."""
    if config is None or config_value(config, "auth.demo") is not True:
        raise users.UserError(
            "The demo users are only for a config with auth.demo = true (the generated demo); "
            "add real users with the `add` command."
        )
    staff = demo_staff_names(config.warehouse_dir / "current.duckdb")
    for username, role in DEMO_USERS:
        staff_name = staff.get(role)
        if users.get_user(engine, username) is None:
            users.add_user(engine, username, DEMO_PASSWORD, role, staff_name)
        else:
            users.set_role(engine, username, role, staff_name)
            users.reset_password(engine, username, DEMO_PASSWORD)
            users.set_disabled(engine, username, False)
        print(f"Demo user {username} ({role}{', ' + staff_name if staff_name else ''})")
    print(f"Demo password for each: {DEMO_PASSWORD}")
    return EXIT_OK


def demo_staff_names(snapshot: Path) -> dict[str, str]:
    """Pick the sales rep and the after-sales owner with the most members in the snapshot."""
    if not snapshot.exists():
        raise users.UserError(
            f"No published snapshot at {snapshot}; run `python -m etl load --config ...` first."
        )
    con = duckdb.connect(str(snapshot), read_only=True)
    try:
        picks = {}
        for role, column in (("sales_rep", "sales_rep"), ("after_sales", "after_sales_owner")):
            row = con.execute(
                f"select {column} from members where {column} is not null "
                f"group by {column} order by count(*) desc, {column} limit 1"
            ).fetchone()
            if row is None:
                raise users.UserError(f"The snapshot {snapshot} names no {column}.")
            picks[role] = row[0]
        return picks
    finally:
        con.close()


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("New password: ")
    if getpass.getpass("Repeat it: ") != first:
        raise users.UserError("The two passwords differ; run the command again.")
    return first


if __name__ == "__main__":
    sys.exit(main())
