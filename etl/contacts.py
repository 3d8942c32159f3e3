"""Members' contact details: split off the portal's members rows into member_contacts.

Phones, e-mail addresses and WeChat ids are the most sensitive member data, so they live in
their own published table, which the query layer masks for every viewer who does not own
the member (queries/contacts.py). The members query may leave out any contact column; it is
then null.
"""

from __future__ import annotations

import logging

import duckdb
import pandas as pd

from etl.portal_db import PortalData

logger = logging.getLogger(__name__)

CONTACT_COLUMNS = ("contact_phone", "contact_mobile", "contact_email", "contact_wechat")
TABLE = "member_contacts"


def stage_contacts(con: duckdb.DuckDBPyConnection, portal: PortalData) -> None:
    """Write member_contacts from the members rows and drop those columns from them."""
    members = portal.tables["members"]
    present = [column for column in CONTACT_COLUMNS if column in members.columns]
    contacts = pd.DataFrame({"member_id": members["member_id"].astype("int64")})
    for column in CONTACT_COLUMNS:
        values = members[column] if column in members.columns else None
        contacts[column] = pd.Series(values, index=members.index, dtype="object")
    portal.tables["members"] = members.drop(columns=present)

    con.execute(
        f"create or replace table {TABLE} (member_id BIGINT PRIMARY KEY, "
        + ", ".join(f"{column} VARCHAR" for column in CONTACT_COLUMNS)
        + ")"
    )
    if contacts.empty:
        return
    con.register("incoming_contacts", contacts)
    try:
        con.execute(f"insert into {TABLE} select * from incoming_contacts")
    finally:
        con.unregister("incoming_contacts")
    logger.info("Staged contact details of %d members.", len(contacts))
