"""Masking of members' contact details in the query layer, for every viewer.

Only the member's own sales rep, its after-sales owner and admins see its phones, e-mail and
WeChat id in full; everyone else, directors and executives included, sees them masked
(13812345678 -> 138****5678, li.na@example.com -> l***@example.com, wxid_abc123 -> w***).
`mask_contacts` gives a query's cursor a temporary view named member_contacts that does
this; DuckDB resolves the name to it before the snapshot's table, so no SQL file and no
export can read the unmasked column. It runs after the row restriction and keeps it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import duckdb

if TYPE_CHECKING:
    from queries.access import Viewer

TABLE = "member_contacts"
PHONE_COLUMNS = ("contact_phone", "contact_mobile")
# Roles that see every member's contacts unmasked.
UNMASKED_ROLES = frozenset({"admin"})


def mask_phone(column: str) -> str:
    """SQL keeping the first 3 and last 4 characters of a phone, starring the rest."""
    return (
        f"case when {column} is null then null "
        f"when length({column}) >= 8 then left({column}, 3) "
        f"|| repeat('*', length({column}) - 7) || right({column}, 4) "
        f"else repeat('*', length({column})) end"
    )


def mask_email(column: str) -> str:
    """SQL keeping the first character of the name and the domain of an e-mail address."""
    return (
        f"case when {column} is null then null "
        f"when position('@' in {column}) > 1 then left({column}, 1) || '***' "
        f"|| substr({column}, position('@' in {column})) "
        f"else repeat('*', length({column})) end"
    )


def mask_text(column: str) -> str:
    """SQL keeping only the first character of an id such as a WeChat id."""
    return f"case when {column} is null then null else left({column}, 1) || '***' end"


def mask_contacts(
    cursor: duckdb.DuckDBPyConnection, viewer: Viewer, catalog: str, restricted: bool
) -> None:
    """Create the cursor's masked member_contacts view; `restricted` keeps only visible rows."""
    source = f'"{catalog}".main.{TABLE}'
    if viewer.role in UNMASKED_ROLES:
        owned = "true"
    else:
        cursor.execute(
            "create or replace temp table owned_members as select member_id "
            f'from "{catalog}".main.members where sales_rep = ? or after_sales_owner = ?',
            [viewer.staff_name, viewer.staff_name],
        )
        owned = "c.member_id in (select member_id from temp.main.owned_members)"

    masked = {column: mask_phone(f"c.{column}") for column in PHONE_COLUMNS}
    masked["contact_email"] = mask_email("c.contact_email")
    masked["contact_wechat"] = mask_text("c.contact_wechat")
    selected = ", ".join(
        f"case when {owned} then c.{column} else {expression} end as {column}"
        for column, expression in masked.items()
    )
    where = (
        "where c.member_id in (select member_id from temp.main.visible_members)"
        if restricted
        else ""
    )
    cursor.execute(
        f"create or replace temp view {TABLE} as select c.member_id, {selected} "
        f"from {source} as c {where}"
    )
