"""The fixture snapshot's member_contacts table: known phones, e-mail and WeChat ids."""

from __future__ import annotations

import duckdb

# member_id -> (contact_phone, contact_mobile, contact_email, contact_wechat)
CONTACTS = {
    1: ("0571-88881234", "13812345678", "li.na@example.com", "wxid_abc123"),
    5: (None, "13900001111", None, None),
    7: (None, "13700007777", "old@example.com", None),
}


def add_contact_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        "create table member_contacts (member_id bigint, contact_phone varchar, "
        "contact_mobile varchar, contact_email varchar, contact_wechat varchar)"
    )
    for member_id, values in CONTACTS.items():
        con.execute("insert into member_contacts values (?, ?, ?, ?, ?)", [member_id, *values])
