"""Demo portal generator: a fake machinery portal's database, access logs and staff sheets.

Output is reproducible: the same seed, scale and end date give byte-identical files.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

from etl.demo.access_logs import write_access_logs
from etl.demo.config_file import DATABASE_FILE, write_config
from etl.demo.crm import write_crm
from etl.demo.portal_db import write_portal_db
from etl.demo.scenario import build_portal
from etl.demo.sheets import write_sheets
from etl.demo.universe import write_universe

logger = logging.getLogger(__name__)

DEFAULT_END_DATE = dt.date(2026, 11, 30)

__all__ = ["DEFAULT_END_DATE", "generate_demo"]


def generate_demo(
    out_dir: Path,
    seed: int = 7,
    scale: float = 1.0,
    end_date: dt.date = DEFAULT_END_DATE,
    *,
    progress: bool = True,
) -> Path:
    """Write a complete demo portal into `out_dir` and return the path of its portal.toml.

    `scale` multiplies the number of companies and the traffic; 0.05 gives a small portal that
    still has every segment and tier, 90 days of logs, crawlers and malformed lines.
    `progress` shows a progress bar while the access logs are written.
    """
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}; use 1 for the default size.")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    logger.info(
        "Generating demo portal in %s (seed %d, scale %g, end %s)", out_dir, seed, scale, end_date
    )

    portal = build_portal(seed, scale, end_date)
    write_portal_db(portal, out_dir / DATABASE_FILE, seed)
    write_crm(portal, out_dir / DATABASE_FILE, seed)
    write_universe(portal, out_dir, seed)
    write_access_logs(portal, out_dir / "logs", seed, scale, progress=progress)
    write_sheets(out_dir, portal.sales_reps, end_date, seed)
    return write_config(out_dir)
