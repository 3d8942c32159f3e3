"""Write the demo portal's SQLite database with a Chinese portal's own table and column names.

The layout follows the habits of common PHP portal systems: a `jx_` table prefix, the company
id named `userid`, registration and some event times as Unix seconds, contract expiry as the
first day no longer covered. portal.toml maps all of it to the canonical columns.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from pathlib import Path

import sqlalchemy as sa

from etl.demo import catalog
from etl.demo.history import EVENT_KINDS
from etl.demo.scenario import Portal

logger = logging.getLogger(__name__)

CHINA_OFFSET_SECONDS = 8 * 3600
LOCAL_EPOCH = dt.datetime(1970, 1, 1)
ROOT_CATEGORY_ID = 1

metadata = sa.MetaData()

category = sa.Table(
    "jx_category",
    metadata,
    sa.Column("catid", sa.Integer, primary_key=True),
    sa.Column("parentid", sa.Integer, nullable=False),
    sa.Column("catname", sa.String(50), nullable=False),
    sa.Column("catdir", sa.String(50), nullable=False),
    sa.Column("listorder", sa.Integer, nullable=False),
)

admin_user = sa.Table(
    "jx_admin_user",
    metadata,
    sa.Column("userid", sa.Integer, primary_key=True),
    sa.Column("username", sa.String(30), nullable=False, unique=True),
    sa.Column("truename", sa.String(30), nullable=False),
    sa.Column("department", sa.String(30), nullable=False),
    sa.Column("mobile", sa.String(20)),
)

member_grade = sa.Table(
    "jx_member_grade",
    metadata,
    sa.Column("groupid", sa.Integer, primary_key=True),
    sa.Column("groupname", sa.String(30), nullable=False),
    sa.Column("price", sa.Integer, nullable=False),
)

company = sa.Table(
    "jx_company",
    metadata,
    sa.Column("userid", sa.Integer, primary_key=True),
    sa.Column("company", sa.String(100), nullable=False),
    sa.Column("catid", sa.Integer, nullable=False),
    sa.Column("areaname", sa.String(30)),
    sa.Column("city", sa.String(30)),
    sa.Column("scale", sa.String(20)),
    sa.Column("regtime", sa.Integer, nullable=False),
    sa.Column("homepage", sa.String(60), nullable=False, unique=True),
    sa.Column("groupid", sa.Integer, nullable=False),
    sa.Column("sales_uid", sa.Integer),
    sa.Column("service_uid", sa.Integer),
    sa.Column("linkman", sa.String(30)),
    sa.Column("mobile", sa.String(20)),
    sa.Column("telephone", sa.String(20)),
    sa.Column("address", sa.String(200)),
)

member_contract = sa.Table(
    "jx_member_contract",
    metadata,
    sa.Column("itemid", sa.Integer, primary_key=True),
    sa.Column("userid", sa.Integer, nullable=False, index=True),
    sa.Column("groupid", sa.Integer, nullable=False),
    sa.Column("fromdate", sa.Date, nullable=False),
    sa.Column("todate", sa.Date, nullable=False),
    sa.Column("amount", sa.Float, nullable=False),
    sa.Column("note", sa.String(100)),
)

ad = sa.Table(
    "jx_ad",
    metadata,
    sa.Column("adid", sa.Integer, primary_key=True),
    sa.Column("userid", sa.Integer, nullable=False),
    sa.Column("placeid", sa.Integer, nullable=False),
)

inquiry = sa.Table(
    "jx_inquiry",
    metadata,
    sa.Column("itemid", sa.Integer, primary_key=True),
    sa.Column("touserid", sa.Integer, nullable=False, index=True),
    sa.Column("title", sa.String(100), nullable=False),
    sa.Column("addtime", sa.DateTime, nullable=False),
)

guestbook = sa.Table(
    "jx_guestbook",
    metadata,
    sa.Column("itemid", sa.Integer, primary_key=True),
    sa.Column("userid", sa.Integer, nullable=False, index=True),
    sa.Column("content", sa.String(500), nullable=False),
    sa.Column("addtime", sa.Integer, nullable=False),
)

contact_view_log = sa.Table(
    "jx_contact_view_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("userid", sa.Integer, nullable=False, index=True),
    sa.Column("viewtime", sa.DateTime, nullable=False),
)

ad_click_log = sa.Table(
    "jx_ad_click_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("adid", sa.Integer, nullable=False),
    sa.Column("userid", sa.Integer, nullable=False, index=True),
    sa.Column("clicktime", sa.Integer, nullable=False),
)


def write_portal_db(portal: Portal, path: Path, seed: int) -> dict[str, int]:
    """Create the database at `path`, replacing an older one; return row counts per table."""
    path.unlink(missing_ok=True)
    rng = random.Random(f"demo:{seed}:database")
    rows = {
        category: _category_rows(),
        admin_user: _staff_rows(portal),
        member_grade: _grade_rows(portal.end_date),
        company: _company_rows(portal),
        member_contract: _contract_rows(portal),
        ad: _ad_rows(portal),
        **_event_rows(portal, rng),
    }

    engine = sa.create_engine(f"sqlite:///{path}")
    try:
        with engine.begin() as connection:
            metadata.create_all(connection)
            for table, table_rows in rows.items():
                if table_rows:
                    connection.execute(table.insert(), table_rows)
    finally:
        engine.dispose()

    counts = {table.name: len(table_rows) for table, table_rows in rows.items()}
    logger.info("Wrote portal database %s: %s", path, counts)
    return counts


def _category_rows() -> list[dict]:
    rows = [
        {
            "catid": ROOT_CATEGORY_ID,
            "parentid": 0,
            "catname": "机械设备",
            "catdir": "jixie",
            "listorder": 0,
        }
    ]
    for index, segment in enumerate(catalog.SEGMENTS):
        rows.append(
            {
                "catid": _category_id(index),
                "parentid": ROOT_CATEGORY_ID,
                "catname": segment.name,
                "catdir": segment.slug,
                "listorder": index + 1,
            }
        )
    return rows


def _category_id(segment: int) -> int:
    return 11 + segment


def _staff_rows(portal: Portal) -> list[dict]:
    staff = portal.sales_reps + portal.after_sales
    return [
        {
            "userid": person.staff_id,
            "username": f"staff{person.staff_id}",
            "truename": person.name,
            "department": person.department,
            "mobile": person.mobile,
        }
        for person in staff
    ]


def _grade_rows(end_date: dt.date) -> list[dict]:
    free_id, free_name = catalog.FREE_GRADE
    rows = [{"groupid": free_id, "groupname": free_name, "price": 0}]
    for tier in catalog.TIERS:
        rows.append(
            {"groupid": tier.grade_id, "groupname": tier.name, "price": tier.price_on(end_date)}
        )
    return rows


def _company_rows(portal: Portal) -> list[dict]:
    """Build one row per company; `groupid` is the grade of the contract covering the end date."""
    current_grade = {
        contract.company: catalog.TIERS[contract.tier].grade_id
        for contract in portal.contracts
        if contract.start <= portal.end_date <= contract.end
    }
    return [
        {
            "userid": item.company_id,
            "company": item.name,
            "catid": _category_id(item.segment),
            "areaname": item.province,
            "city": item.city,
            "scale": item.size,
            "regtime": _unix_seconds(item.registered_at),
            "homepage": item.slug,
            "groupid": current_grade.get(position, catalog.FREE_GRADE[0]),
            "sales_uid": item.sales_rep_id,
            "service_uid": item.after_sales_id,
            "linkman": item.contact_name,
            "mobile": item.mobile,
            "telephone": item.telephone,
            "address": item.address,
        }
        for position, item in enumerate(portal.companies)
    ]


def _contract_rows(portal: Portal) -> list[dict]:
    """Contracts in signing order; `todate` is the expiry, the day after the last one covered."""
    return [
        {
            "itemid": 50001 + index,
            "userid": portal.companies[contract.company].company_id,
            "groupid": catalog.TIERS[contract.tier].grade_id,
            "fromdate": contract.start,
            "todate": contract.end + dt.timedelta(days=1),
            "amount": contract.amount,
            "note": None,
        }
        for index, contract in enumerate(portal.contracts)
    ]


def _ad_rows(portal: Portal) -> list[dict]:
    """Build one ad slot per company that ever had a tier with ads."""
    holders = sorted({c.company for c in portal.contracts if catalog.TIERS[c.tier].has_ads})
    return [
        {
            "adid": ad_id_for(position),
            "userid": portal.companies[position].company_id,
            "placeid": 1 + position % 6,
        }
        for position in holders
    ]


def ad_id_for(position: int) -> int:
    """Return the ad id of the company at `position`; access logs use it in /ad/click URLs."""
    return 3001 + position


def _event_rows(portal: Portal, rng: random.Random) -> dict[sa.Table, list[dict]]:
    """Event tables with ids in time order; times as DateTime or Unix seconds, as portals do."""
    ids = [company.company_id for company in portal.companies]
    builders = {
        "inquiries": (inquiry, _inquiry_row),
        "messages": (guestbook, _guestbook_row),
        "contact_views": (contact_view_log, _contact_view_row),
        "ad_clicks": (ad_click_log, _ad_click_row),
    }
    tables = {}
    for kind in EVENT_KINDS:
        table, build_row = builders[kind]
        positions, local_seconds = portal.events[kind]
        tables[table] = [
            build_row(1 + index, position, ids[position], int(seconds), rng)
            for index, (position, seconds) in enumerate(
                zip(positions.tolist(), local_seconds.tolist(), strict=True)
            )
        ]
    return tables


def _inquiry_row(
    event_id: int, position: int, member_id: int, local: int, rng: random.Random
) -> dict:
    return {
        "itemid": event_id,
        "touserid": member_id,
        "title": rng.choice(catalog.INQUIRY_TITLES),
        "addtime": _local_datetime(local),
    }


def _guestbook_row(
    event_id: int, position: int, member_id: int, local: int, rng: random.Random
) -> dict:
    return {
        "itemid": event_id,
        "userid": member_id,
        "content": rng.choice(catalog.GUESTBOOK_TEXTS),
        "addtime": local - CHINA_OFFSET_SECONDS,
    }


def _contact_view_row(
    event_id: int, position: int, member_id: int, local: int, rng: random.Random
) -> dict:
    return {"id": event_id, "userid": member_id, "viewtime": _local_datetime(local)}


def _ad_click_row(
    event_id: int, position: int, member_id: int, local: int, rng: random.Random
) -> dict:
    return {
        "id": event_id,
        "adid": ad_id_for(position),
        "userid": member_id,
        "clicktime": local - CHINA_OFFSET_SECONDS,
    }


def _local_datetime(local_seconds: int) -> dt.datetime:
    """Convert seconds since 1970-01-01 00:00 local clock time to a naive local datetime."""
    return LOCAL_EPOCH + dt.timedelta(seconds=local_seconds)


def _unix_seconds(local: dt.datetime) -> int:
    return int(local.replace(tzinfo=dt.UTC).timestamp()) - CHINA_OFFSET_SECONDS
