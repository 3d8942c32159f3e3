"""Row-level access: which members a viewer may see, enforced for every query.

Before a query runs, `restrict` gives its cursor temporary views named like the member-level
tables (members, contracts, member_daily, ...) that keep only the viewer's members. DuckDB
looks up temporary objects before the snapshot's own tables, so every SQL file, export and
drill-down reads the restricted rows without naming the restriction itself. Temporary views
belong to the cursor, so viewers in other Streamlit sessions are not affected.

Tables that keep source text as read (RAW_TEXT_TABLES: a rejected log line, a rejected portal
row with its phones) are limited by role the same way. Admins, who fix the data, read the text
in full. Directors and executives read every row with the text masked. Sales reps and
after-sales staff read no rows, because a rejected row has no trusted owner; they see only the
counts by reason in load_outcomes.
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
class RawTextColumns:
    """The columns of a published table that hold source text as read.

    `whole` columns hold free text of any shape (a log line with a client address, a portal
    row with phones and WeChat ids), which no pattern masks reliably, so masked viewers see
    RAW_TEXT_MASK instead. `cells` hold one source value each: their e-mail addresses and
    phone-like digit runs are masked, and the whole cell when `cell_name` names a contact
    column.
    """

    whole: tuple[str, ...]
    cells: tuple[str, ...] = ()
    cell_name: str | None = None


# Published tables with source text. tests/test_access.py fails when a published table has a
# `raw` column but is missing here.
RAW_TEXT_TABLES = {
    "rejected_rows": RawTextColumns(whole=("raw",), cells=("value",), cell_name="column_name"),
}
ROLES_READING_RAW_TEXT = frozenset({"admin"})
ROLES_READING_MASKED_RAW_TEXT = frozenset({"director", "executive"})
RAW_TEXT_MASK = "***"
# Source column names of contact details, in the portal's English names and the Chinese
# headers of staff sheets. A rejected value of such a column is masked whole.
CONTACT_COLUMN_PATTERN = "phone|mobile|tel|mail|wechat|weixin|qq|contact|电话|手机|邮箱|微信|联系"
EMAIL_PATTERN = r"[^\s@,;:'\"<>()]+@([^\s@,;:'\"<>()]+)"
# The reference to EMAIL_PATTERN's domain group in an RE2 replacement string.
EMAIL_DOMAIN_GROUP = r"\1"
# Chinese mobiles (13812345678, 138 1234 5678), landlines with area code (0571-88881234) and
# any run of 7 or more digits. ISO dates such as 2026-13-45 stay readable.
PHONE_PATTERN = r"\+?\d{7,}|\d{3,4}[ -]\d{7,8}|1\d{2}[ -]\d{4}[ -]\d{4}"


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

    @property
    def raw_text_access(self) -> str:
        """Return `full`, `masked` or `none`: how this viewer reads RAW_TEXT_TABLES."""
        if self.role in ROLES_READING_RAW_TEXT:
            return "full"
        if self.role in ROLES_READING_MASKED_RAW_TEXT:
            return "masked"
        return "none"


def restrict(cursor: duckdb.DuckDBPyConnection, viewer: Viewer) -> None:
    """Create the cursor's temporary views that limit member-level tables to `viewer`.

    Contact details are then masked for every viewer who does not own the member
    (queries/contacts.py), directors and executives included, and RAW_TEXT_TABLES are
    masked or emptied for every viewer but admins.
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
    if viewer.raw_text_access != "full":
        _restrict_raw_text(cursor, viewer, catalog, present)


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


def _restrict_raw_text(
    cursor: duckdb.DuckDBPyConnection, viewer: Viewer, catalog: str, present: set[str]
) -> None:
    for table, text_columns in RAW_TEXT_TABLES.items():
        if table not in present:
            continue
        source = f'"{catalog}".main.{table}'
        if viewer.raw_text_access == "none":
            selected = "*"
            where = "where false"
        else:
            selected = _masked_columns(cursor, catalog, table, text_columns)
            where = ""
        cursor.execute(
            f"create or replace temp view {table} as select {selected} from {source} {where}"
        )


def _masked_columns(
    cursor: duckdb.DuckDBPyConnection, catalog: str, table: str, text_columns: RawTextColumns
) -> str:
    """Return the select list of `table` with its source-text columns masked, in table order."""
    names = [
        row[0]
        for row in cursor.execute(
            "select column_name from information_schema.columns where table_catalog = ? "
            "and table_schema = 'main' and table_name = ? order by ordinal_position",
            [catalog, table],
        ).fetchall()
    ]
    replaced = {
        column: f'case when "{column}" is null then null else {_sql_text(RAW_TEXT_MASK)} end'
        for column in text_columns.whole
    }
    for column in text_columns.cells:
        replaced[column] = masked_cell_sql(column, text_columns.cell_name)
    selected = []
    for name in names:
        expression = replaced.get(name, f'"{name}"')
        selected.append(f'{expression} as "{name}"')
    return ", ".join(selected)


def masked_cell_sql(column: str, name_column: str | None) -> str:
    """Return SQL that masks one source value, whole for a contact column.

    Other values keep their text, but each e-mail address keeps only its domain
    (***@example.com) and each phone becomes RAW_TEXT_MASK. A cell masked whole keeps its
    length as stars.
    """
    value = f'"{column}"'
    is_contact = (
        f"regexp_matches(lower(coalesce(\"{name_column}\", '')), "
        f"{_sql_text(CONTACT_COLUMN_PATTERN)})"
        if name_column
        else "false"
    )
    emails_masked = (
        f"regexp_replace({value}, {_sql_text(EMAIL_PATTERN)}, "
        f"{_sql_text(RAW_TEXT_MASK + '@' + EMAIL_DOMAIN_GROUP)}, 'g')"
    )
    phones_masked = (
        f"regexp_replace({emails_masked}, {_sql_text(PHONE_PATTERN)}, "
        f"{_sql_text(RAW_TEXT_MASK)}, 'g')"
    )
    return (
        f"case when {value} is null then null "
        f"when {is_contact} then repeat('*', length({value})) "
        f"else {phones_masked} end"
    )


def _sql_text(text: str) -> str:
    """Quote `text` as an SQL string literal."""
    return "'" + text.replace("'", "''") + "'"
