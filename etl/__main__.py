"""Command line: `python -m etl demo` builds a demo portal, `python -m etl load` loads one.

Exit status of `load` (docs/operations.md explains what to do for each):
  0  a snapshot was published (rejected rows do not change that);
  1  nothing was published (the message names the file or key and the fix); the last
     snapshot stays current;
  2  usage error (unknown option, missing --config);
  3  another load of the same warehouse is running; this run stopped at once and changed
     nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from etl.errors import LoadError

if TYPE_CHECKING:
    from etl.config import Config

logger = logging.getLogger("etl")

# The demo portal counts days in this time zone, so "yesterday" is its yesterday.
DEMO_TIMEZONE = "Asia/Shanghai"

EXIT_PUBLISHED = 0
EXIT_NOT_PUBLISHED = 1
EXIT_USAGE = 2  # argparse's own status for a usage error
EXIT_LOCKED = 3


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    return args.handler(args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m etl", description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    demo = commands.add_parser("demo", help="write a demo portal: database, logs, spreadsheets")
    demo.add_argument(
        "--out", required=True, type=_output_directory, help="directory to write it to"
    )
    demo.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    demo.add_argument(
        "--scale",
        type=_positive_scale,
        default=1.0,
        help="size factor: 1 gives about 3,000 companies and 600 paid members",
    )
    demo.add_argument(
        "--end-date",
        type=_parse_end_date,
        default=dt.date(2026, 11, 30),
        help="last day of the demo data: YYYY-MM-DD, or `yesterday` in Asia/Shanghai "
        "(default 2026-11-30, so that the same seed gives the same files)",
    )
    demo.set_defaults(handler=_run_demo)

    load = commands.add_parser("load", help="load a portal into DuckDB and publish a snapshot")
    load.add_argument("--config", required=True, type=Path, help="the portal's TOML config")
    load.add_argument("--no-progress", action="store_true", help="hide progress bars")
    load.set_defaults(handler=_run_load)
    return parser


def _output_directory(value: str) -> Path:
    path = Path(value)
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"{value} exists and is not a directory; name a directory")
    return path


def _positive_scale(value: str) -> float:
    try:
        scale = float(value)
    except ValueError:
        scale = 0.0
    if not scale > 0:
        raise argparse.ArgumentTypeError(f"invalid scale {value!r}; use a number above 0, e.g. 1")
    return scale


def _parse_end_date(value: str) -> dt.date:
    if value == "yesterday":
        return dt.datetime.now(ZoneInfo(DEMO_TIMEZONE)).date() - dt.timedelta(days=1)
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"invalid date {value!r}; write YYYY-MM-DD or yesterday"
        ) from None


def _run_demo(args: argparse.Namespace) -> int:
    from etl.demo import generate_demo

    config_path = generate_demo(args.out, seed=args.seed, scale=args.scale, end_date=args.end_date)
    print(f"Demo portal written; load it with: python -m etl load --config {config_path}")
    return EXIT_PUBLISHED


def _run_load(args: argparse.Namespace) -> int:
    from etl.config import load_config
    from etl.load import run_load
    from etl.lock import LoadLocked, load_lock

    try:
        config = load_config(args.config)
        _check_database_urls(config)
        # The lock comes before any change to the warehouse, leftover removal included.
        with load_lock(config.warehouse_dir):
            report = run_load(args.config, progress=not args.no_progress)
    except LoadLocked as error:
        logger.error("Load not started: %s", error)
        return EXIT_LOCKED
    except LoadError as error:
        logger.error("Load failed, nothing published; the last snapshot stays current. %s", error)
        return EXIT_NOT_PUBLISHED
    print(report.render())
    return EXIT_PUBLISHED


def _check_database_urls(config: Config) -> None:
    """Parse both database URLs before the load starts; raise DatabaseUrlError if one is invalid.

    The app database is read only late in a load (after-sales contacts for the renewal
    risk), and an invalid URL must stop the run with one line, before any work is done.
    """
    from etl.config import ENV_APP_DATABASE_URL, ENV_DATABASE_URL
    from etl.portal_db import database_setting, parse_database_url

    parse_database_url(config.database_url, database_setting("database.url", ENV_DATABASE_URL))
    parse_database_url(
        config.app_database_url, database_setting("app.database_url", ENV_APP_DATABASE_URL)
    )


if __name__ == "__main__":
    sys.exit(main())
