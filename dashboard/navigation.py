"""The dashboard's pages, their titles and which roles may open them.

app.py builds the navigation from PAGES; each new page adds one entry here. Page files live
in views/, not pages/: Streamlit serves a `pages/` folder beside the entry script by file name
without running app.py, which would skip the language switch and the login form.
"""

from __future__ import annotations

from dataclasses import dataclass

from queries.access import ROLES


@dataclass(frozen=True)
class PageSpec:
    """One page: its file under views/, the catalog key of its title, its URL path and roles."""

    file: str
    title_key: str
    url_path: str
    roles: tuple[str, ...] = ROLES
    default: bool = False


PAGES: tuple[PageSpec, ...] = (
    PageSpec("views/member_health.py", "page.health.title", "member_health", default=True),
    PageSpec("views/member_detail.py", "page.detail.title", "member_detail"),
    PageSpec("views/data_status.py", "page.status.title", "data_status"),
    PageSpec(
        "views/renewals.py",
        "page.renewals.title",
        "renewals",
        roles=("admin", "director", "executive", "sales_rep"),
    ),
    PageSpec("views/renewal_risk.py", "page.risk.title", "renewal_risk"),
    PageSpec(
        "views/market_share.py",
        "page.market.title",
        "market_share",
        roles=("admin", "director", "executive"),
    ),
    PageSpec(
        "views/sales.py",
        "page.sales.title",
        "sales",
        roles=("admin", "director", "executive"),
    ),
    PageSpec("views/users.py", "page.users.title", "users", roles=("admin",)),
    PageSpec("views/export_audit.py", "page.export_audit.title", "export_audit", roles=("admin",)),
)


def pages_for(role: str) -> tuple[PageSpec, ...]:
    return tuple(page for page in PAGES if role in page.roles)
