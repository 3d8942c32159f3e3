"""Write the demo portal's nginx access logs: one gzipped combined-format file per local day.

Shop views per member and day are Poisson draws around the same expected traffic that drives
the portal database's events, so logs and database tell one story. Each file also contains portal
pages, static assets, crawlers, scanners, form posts and a few malformed lines.
"""

from __future__ import annotations

import datetime as dt
import gzip
import logging
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from etl.demo import catalog
from etl.demo.history import VIEWS_PER_DAY, WEEKDAY_FACTORS, intensity
from etl.demo.log_lines import (
    PAGES_PER_SESSION,
    DayLog,
    crawl,
    malformed_line,
    portal_page,
    scan,
    shop_session,
    stealth_crawl,
)
from etl.demo.scenario import Portal

logger = logging.getLogger(__name__)

LOG_DAYS = 90
FILE_PREFIX = "access.log-"
# Shops of companies without a contract stay online with little traffic.
FREE_SHOP_EXPOSURE = 0.05
# Requests per day at scale 1 besides shop sessions.
PORTAL_PAGES_PER_DAY = 1000
CRAWLER_HITS_PER_DAY = 900
SCANNER_HITS_PER_DAY = 20


@dataclass(frozen=True)
class LogSummary:
    """Files written, with the line count and the malformed-line count of each."""

    files: list[Path]
    lines: dict[str, int]
    malformed: dict[str, int]


def write_access_logs(
    portal: Portal, log_dir: Path, seed: int, scale: float, progress: bool = True
) -> LogSummary:
    """Write log_dir/access.log-YYYYMMDD.gz for the last LOG_DAYS days up to the end date.

    Older access.log-*.gz files in log_dir are removed first, since the ETL reads them all.
    """
    log_dir.mkdir(parents=True, exist_ok=True)
    for old in sorted(log_dir.glob(f"{FILE_PREFIX}*.gz")):
        old.unlink()

    days = [portal.end_date - dt.timedelta(days=offset) for offset in range(LOG_DAYS - 1, -1, -1)]
    views = expected_shop_views(portal, days[0], len(days))
    np_rng = np.random.default_rng([seed, 2])
    summary = LogSummary([], {}, {})
    for index, day in enumerate(tqdm(days, desc="access logs", unit="day", disable=not progress)):
        sessions = np_rng.poisson(views[:, index] / PAGES_PER_SESSION)
        path = log_dir / f"{FILE_PREFIX}{day:%Y%m%d}.gz"
        lines, malformed = _day_lines(portal, day, sessions, seed, scale)
        _write_gzip(path, lines)
        summary.files.append(path)
        summary.lines[path.name] = len(lines)
        summary.malformed[path.name] = malformed

    logger.info(
        "Wrote %d access-log files with %d lines to %s",
        len(summary.files),
        sum(summary.lines.values()),
        log_dir,
    )
    return summary


def expected_shop_views(portal: Portal, first_day: dt.date, day_count: int) -> np.ndarray:
    """Expected shop page views per company (rows) and consecutive day from `first_day`."""
    ordinals = np.arange(first_day.toordinal(), first_day.toordinal() + day_count)
    exposure = np.full((len(portal.companies), day_count), FREE_SHOP_EXPOSURE)
    first, last = ordinals[0], ordinals[-1]
    for contract in portal.contracts:
        start = max(contract.start.toordinal(), first)
        end = min(contract.end.toordinal(), last)
        if start <= end:
            span = slice(start - first, end - first + 1)
            tier_exposure = catalog.TIERS[contract.tier].exposure
            row = exposure[contract.company]
            row[span] = np.maximum(row[span], tier_exposure)

    # A shop exists from its company's registration day on.
    registered = np.array([company.registered_at.toordinal() for company in portal.companies])
    exposure[ordinals[None, :] < registered[:, None]] = 0.0

    shop_intensity = np.vstack([intensity(shop, ordinals) for shop in portal.shops])
    return VIEWS_PER_DAY * exposure * shop_intensity


def _day_lines(
    portal: Portal, day: dt.date, sessions: np.ndarray, seed: int, scale: float
) -> tuple[list[bytes], int]:
    """Return the day's lines in time order and how many of them are malformed."""
    log = DayLog(day, random.Random(f"demo:{seed}:logs:{day.isoformat()}"))
    ad_holders = {
        c.company
        for c in portal.contracts
        if catalog.TIERS[c.tier].has_ads and c.start <= day <= c.end
    }
    for position in np.flatnonzero(sessions).tolist():
        for _ in range(int(sessions[position])):
            shop_session(log, portal, position, position in ad_holders)

    weekday = float(WEEKDAY_FACTORS[day.weekday()])
    for _ in range(_count(log.rng, PORTAL_PAGES_PER_DAY * scale * weekday)):
        portal_page(log, portal)
    crawl(log, portal, _count(log.rng, CRAWLER_HITS_PER_DAY * scale))
    stealth_crawl(log, portal, scale)
    for _ in range(max(1, _count(log.rng, SCANNER_HITS_PER_DAY * scale))):
        scan(log)

    lines = [text for _, _, text in sorted(log.entries)]
    malformed = log.rng.randint(1, 5)
    for _ in range(malformed):
        position = log.rng.randrange(len(lines))
        lines.insert(position, malformed_line(lines[position], log.rng))
    return lines, malformed


def _count(rng: random.Random, mean: float) -> int:
    """A count near `mean` with Poisson-like spread, from the standard library's generator."""
    if mean <= 0:
        return 0
    return max(0, round(rng.gauss(mean, mean**0.5)))


def _write_gzip(path: Path, lines: list[bytes]) -> None:
    # No file name and mtime 0 in the gzip header, so the same lines give the same bytes.
    with (
        path.open("wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6) as archive,
    ):
        archive.write(b"\n".join(lines) + b"\n")
