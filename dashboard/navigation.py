"""The dashboard's pages, their titles and which roles may open them.

app.py builds the navigation from PAGES; each new page adds one entry here.
"""

from __future__ import annotations

from dataclasses import dataclass

from queries.access import ROLES


@dataclass(frozen=True)
class PageSpec:
    """One page: its file under pages/, the catalog key of its title, its URL path and roles."""

    file: str
    title_key: str
    url_path: str
    roles: tuple[str, ...] = ROLES
    default: bool = False


PAGES: tuple[PageSpec, ...] = (
    PageSpec("pages/member_health.py", "page.health.title", "member_health", default=True),
    PageSpec("pages/member_detail.py", "page.detail.title", "member_detail"),
    PageSpec("pages/data_status.py", "page.status.title", "data_status"),
    PageSpec(
        "pages/renewals.py",
        "page.renewals.title",
        "renewals",
        roles=("admin", "director", "executive", "sales_rep"),
    ),
    PageSpec("pages/renewal_risk.py", "page.risk.title", "renewal_risk"),
    PageSpec(
        "pages/market_share.py",
        "page.market.title",
        "market_share",
        roles=("admin", "director", "executive"),
    ),
    PageSpec(
        "pages/sales.py",
        "page.sales.title",
        "sales",
        roles=("admin", "director", "executive"),
    ),
    PageSpec("pages/users.py", "page.users.title", "users", roles=("admin",)),
    PageSpec("pages/export_audit.py", "page.export_audit.title", "export_audit", roles=("admin",)),
)


def pages_for(role: str) -> tuple[PageSpec, ...]:
    return tuple(page for page in PAGES if role in page.roles)
