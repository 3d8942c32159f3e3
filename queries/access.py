"""Row-level access: which members a viewer may see, enforced for every query.

Before a query runs, `restrict` gives its cursor temporary views named like the member-level
tables (members, contracts, member_daily, ...) that keep only the viewer's members. DuckDB
looks up temporary objects before the snapshot's own tables, so every SQL file, export and
drill-down reads the restricted rows without naming the restriction itself. Temporary views
belong to the cursor, so viewers in other Streamlit sessions are not affected.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from queries import contacts

# Roles and what they see. The product's Chinese names are in the catalogs under role.<code>.
ROLES = ("admin", "director", "executive", "sales_rep", "after_sales")
ROLES_SEEING_ALL_MEMBERS = frozenset({"admin", "director", "executive"})
# The members column that names the staff member a restricted role is matched against.
OWNER_COLUMN = {"sales_rep": "sales_rep", "after_sales": "after_sales_owner"}

# Published tables with a member_id column. tests/test_access.py fails when a published
# table has member_id but is missing here, so a new mart cannot leak rows.
MEMBER_TABLES = (
    "members",
    "member_contacts",
    "contracts",
    "member_daily",
    "member_search_keywords",
    "member_health",
    "contract_renewals",
    "renewal_risk",
    "universe_companies",
    "universe_review",
    "followups",
    "sales_signed",
    "sales_prospects",
    "sales_won_deals",
    "shop_openings",
)


@dataclass(frozen=True)
class Viewer:
    """A signed-in user, with the role and staff name that decide which rows they may read.

    `staff_name` is the name the portal database uses for this person in members.sales_rep
    or members.after_sales_owner; restricted roles see the members whose column matches it.
    """

    username: str
    role: str
    staff_name: str | None = None

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(
                f"Unknown role {self.role!r} for user {self.username!r}; use one of "
                f"{', '.join(ROLES)}."
            )

    @property
    def sees_all_members(self) -> bool:
        return self.role in ROLES_SEEING_ALL_MEMBERS


def restrict(cursor: duckdb.DuckDBPyConnection, viewer: Viewer) -> None:
    """Create the cursor's temporary views that limit member-level tables to `viewer`.

    Contact details are then masked for every viewer who does not own the member
    (queries/contacts.py), directors and executives included.
    """
    catalog = cursor.execute("select current_database()").fetchone()[0]
    present = {
        row[0]
        for row in cursor.execute(
            "select table_name from information_schema.tables "
            "where table_catalog = ? and table_schema = 'main'",
            [catalog],
        ).fetchall()
    }
    if not viewer.sees_all_members:
        _restrict_rows(cursor, viewer, catalog, present)
    if contacts.TABLE in present:
        contacts.mask_contacts(cursor, viewer, catalog, restricted=not viewer.sees_all_members)


def _restrict_rows(
    cursor: duckdb.DuckDBPyConnection, viewer: Viewer, catalog: str, present: set[str]
) -> None:
    owner_column = OWNER_COLUMN[viewer.role]

    # A viewer without a staff name matches no member: an empty set, never everything.
    cursor.execute(
        f"create or replace temp table visible_members as select member_id "
        f'from "{catalog}".main.members where {owner_column} = ?',
        [viewer.staff_name],
    )
    for table in MEMBER_TABLES:
        if table not in present:
            continue
        cursor.execute(
            f'create or replace temp view {table} as select * from "{catalog}".main.{table} '
            f"where member_id in (select member_id from temp.main.visible_members)"
        )
