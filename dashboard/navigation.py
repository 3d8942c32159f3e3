"""The dashboard's pages, their titles and which roles may open them.

app.py builds the navigation from PAGES; each new page adds one entry here. Page files live
in views/, not pages/: Streamlit serves a `pages/` folder beside the entry script by file name
without running app.py, which would skip the language switch and the login form. A link to a
page opened before login is kept as a LinkTarget (dashboard/auth.py) and followed after it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

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


@dataclass(frozen=True)
class LinkTarget:
    """The page and query parameters of a link opened before login."""

    url_path: str
    query: dict[str, str] = field(default_factory=dict)


def pages_for(role: str) -> tuple[PageSpec, ...]:
    return tuple(page for page in PAGES if role in page.roles)


def link_target(url: str | None, query: Mapping[str, str]) -> LinkTarget | None:
    """Return the page a browser URL names, with its query, or None for no known page.

    The page is the URL path's last segment, so a base path (server.baseUrlPath) before it
    does not matter. `url` is st.context.url, which leaves out the query string.
    """
    if not url:
        return None
    segment = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
    if segment not in {page.url_path for page in PAGES}:
        return None
    return LinkTarget(segment, {str(name): str(value) for name, value in query.items()})


def page_for_link(target: LinkTarget, role: str) -> PageSpec | None:
    """Return the page of `target` if `role` may open it, else None."""
    return next((page for page in pages_for(role) if page.url_path == target.url_path), None)


def page_title_key(url_path: str) -> str:
    """Return the catalog key of the title of the page at `url_path`."""
    return next(page.title_key for page in PAGES if page.url_path == url_path)
