"""The demo portal's sales data: registry details, teams, CRM follow-ups and shop openings.

Adds to the SQLite database that etl/demo/portal_db.py wrote: credit code, registered
capital and staff on jx_company for most companies, jx_sales_group (rep -> team),
jx_crm_followup and jx_shop_open. Before each new-business contract the company gets about
9.5 follow-ups (normally distributed, sd 2.5, 3 to 18) in the 120 days before. Some prospects
get 1 to 10 follow-ups, the last one often weeks ago.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from pathlib import Path

import sqlalchemy as sa

from etl.demo.scenario import Portal
from etl.demo.universe import company_profiles

logger = logging.getLogger(__name__)

TEAMS = ("华东一组", "华东二组", "华北华中组")
FIRST_CONTRACT_ID = 50001  # as etl/demo/portal_db.py numbers jx_member_contract
RENEWAL_GAP_DAYS = 90
FOLLOWUP_NOTES = ("电话沟通", "微信发送报价", "上门拜访", "发送案例", "约定下次回访", "客户考虑中")

metadata = sa.MetaData()

sales_group = sa.Table(
    "jx_sales_group",
    metadata,
    sa.Column("userid", sa.Integer, primary_key=True),
    sa.Column("groupname", sa.String(30), nullable=False),
)

crm_followup = sa.Table(
    "jx_crm_followup",
    metadata,
    sa.Column("itemid", sa.Integer, primary_key=True),
    sa.Column("userid", sa.Integer, nullable=False, index=True),
    sa.Column("sales_uid", sa.Integer),
    sa.Column("addtime", sa.DateTime, nullable=False),
    sa.Column("content", sa.String(200)),
)

shop_open = sa.Table(
    "jx_shop_open",
    metadata,
    sa.Column("itemid", sa.Integer, primary_key=True),
    sa.Column("userid", sa.Integer, nullable=False),
    sa.Column("paydate", sa.Date, nullable=False),
    sa.Column("opendate", sa.Date),
    sa.Column("uploaddate", sa.Date),
)


def write_crm(portal: Portal, path: Path, seed: int) -> dict[str, int]:
    """Add the sales tables and columns to the database at `path`; return rows per table."""
    rng = random.Random(f"demo:{seed}:crm")
    rows = {
        sales_group: _group_rows(portal),
        crm_followup: _followup_rows(portal, rng),
        shop_open: _opening_rows(portal, rng),
    }
    engine = sa.create_engine(f"sqlite:///{path}")
    try:
        with engine.begin() as connection:
            _add_registry_columns(connection, portal, seed)
            metadata.create_all(connection)
            for table, table_rows in rows.items():
                if table_rows:
                    connection.execute(table.insert(), table_rows)
    finally:
        engine.dispose()
    counts = {table.name: len(table_rows) for table, table_rows in rows.items()}
    logger.info("Wrote CRM tables to %s: %s", path, counts)
    return counts


def _add_registry_columns(connection: sa.Connection, portal: Portal, seed: int) -> None:
    """Add creditcode, regcapital (万元) and employees; some companies leave them empty."""
    for column in ("creditcode varchar(18)", "regcapital real", "employees integer"):
        connection.execute(sa.text(f"alter table jx_company add column {column}"))
    rng = random.Random(f"demo:{seed}:registry")
    updates = []
    for company, profile in zip(
        portal.companies, company_profiles(len(portal.companies), seed), strict=True
    ):
        updates.append(
            {
                "userid": company.company_id,
                "code": profile.credit_code if rng.random() < 0.6 else None,
                "capital": profile.capital_wan if rng.random() < 0.7 else None,
                "staff": profile.staff if rng.random() < 0.7 else None,
            }
        )
    connection.execute(
        sa.text(
            "update jx_company set creditcode = :code, regcapital = :capital, "
            "employees = :staff where userid = :userid"
        ),
        updates,
    )


def _group_rows(portal: Portal) -> list[dict]:
    return [
        {"userid": rep.staff_id, "groupname": TEAMS[index % len(TEAMS)]}
        for index, rep in enumerate(portal.sales_reps)
    ]


def _followup_rows(portal: Portal, rng: random.Random) -> list[dict]:
    """Follow-ups before each new-business contract, and with current prospects."""
    events: list[tuple[dt.datetime, int, int | None]] = []
    last_end: dict[int, dt.date] = {}
    for contract in portal.contracts:
        previous = last_end.get(contract.company)
        is_new = previous is None or (contract.start - previous).days > RENEWAL_GAP_DAYS
        last_end[contract.company] = max(previous or contract.end, contract.end)
        if is_new:
            count = max(3, min(18, round(rng.gauss(9.5, 2.5))))
            events += _spread(portal, contract.company, contract.start, 120, count, rng)

    paying = {c.company for c in portal.contracts if c.start <= portal.end_date <= c.end}
    for position, company in enumerate(portal.companies):
        if position in paying or company.sales_rep_id is None or rng.random() > 0.35:
            continue
        last = portal.end_date - dt.timedelta(days=int(rng.expovariate(1 / 20)))
        events += _spread(portal, position, last, 150, rng.randint(1, 10), rng, inclusive=True)

    events.sort()
    return [
        {
            "itemid": 700001 + index,
            "userid": portal.companies[position].company_id,
            "sales_uid": rep,
            "addtime": moment,
            "content": rng.choice(FOLLOWUP_NOTES),
        }
        for index, (moment, position, rep) in enumerate(events)
    ]


def _spread(
    portal: Portal,
    position: int,
    until: dt.date,
    days: int,
    count: int,
    rng: random.Random,
    *,
    inclusive: bool = False,
) -> list[tuple[dt.datetime, int, int | None]]:
    """Draw `count` follow-up times in the `days` days up to `until` (the day included or not)."""
    rep = portal.companies[position].sales_rep_id
    last_offset = 0 if inclusive else 1
    moments = []
    for _ in range(count):
        day = until - dt.timedelta(days=rng.randint(last_offset, days))
        moment = dt.datetime.combine(day, dt.time(rng.randint(9, 18), rng.randint(0, 59)))
        moments.append((moment, position, rep))
    return moments


def _opening_rows(portal: Portal, rng: random.Random) -> list[dict]:
    """Payment, shop-opening and upload dates of the contracts of the last 400 days."""
    since = portal.end_date - dt.timedelta(days=400)
    rows = []
    for index, contract in enumerate(portal.contracts):
        if contract.start < since or contract.start > portal.end_date:
            continue
        paid = contract.start - dt.timedelta(days=rng.randint(0, 3))
        opened = paid + dt.timedelta(days=rng.choices(range(15), weights=_DELAY_WEIGHTS)[0])
        uploaded = opened + dt.timedelta(days=rng.choices(range(8), weights=_DELAY_WEIGHTS[:8])[0])
        rows.append(
            {
                "itemid": FIRST_CONTRACT_ID + index,
                "userid": portal.companies[contract.company].company_id,
                "paydate": paid,
                "opendate": opened if opened <= portal.end_date else None,
                "uploaddate": uploaded if uploaded <= portal.end_date else None,
            }
        )
    return rows


# Days of delay: most shops open within a few days, a tail takes two weeks.
_DELAY_WEIGHTS = (8, 14, 12, 9, 7, 5, 4, 3, 2, 2, 2, 1, 1, 1, 1)
