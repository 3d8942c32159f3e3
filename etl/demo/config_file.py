"""Write portal.toml, the config through which the ETL reads the demo portal."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from etl.demo import catalog

logger = logging.getLogger(__name__)

DATABASE_FILE = "portal.db"
LOG_GLOB = "logs/access.log-*.gz"
SALES_TARGETS_FILE = "sheets/销售目标.xlsx"
SALES_TARGETS_SHEET = "销售目标"
CALL_COUNTS_FILE = "sheets/电话统计.csv"

# SQL that maps the portal's own tables to the canonical columns of each query.
QUERIES = {
    "members": """
select c.userid as member_id,
       c.company as company_name,
       cat.catname as segment,
       c.areaname as province,
       c.scale as company_size,
       date(c.regtime, 'unixepoch', '+8 hours') as registered_on,
       lower(c.homepage) as shop_slug,
       rep.truename as sales_rep,
       svc.truename as after_sales_owner,
       c.creditcode as credit_code,
       c.regcapital * 10000 as registered_capital_cny,
       c.employees as staff_count,
       c.telephone as contact_phone,
       c.mobile as contact_mobile
from jx_company as c
join jx_category as cat on cat.catid = c.catid
left join jx_admin_user as rep on rep.userid = c.sales_uid
left join jx_admin_user as svc on svc.userid = c.service_uid
order by c.userid
""",
    "contracts": """
select k.itemid as contract_id,
       k.userid as member_id,
       g.groupname as tier,
       k.fromdate as start_date,
       date(k.todate, '-1 day') as end_date,
       k.amount as amount_cny
from jx_member_contract as k
join jx_member_grade as g on g.groupid = k.groupid
order by k.itemid
""",
    "inquiries": """
select itemid as event_id,
       touserid as member_id,
       strftime('%Y-%m-%d %H:%M:%S', addtime) as occurred_at
from jx_inquiry
order by itemid
""",
    "messages": """
select itemid as event_id,
       userid as member_id,
       datetime(addtime, 'unixepoch', '+8 hours') as occurred_at
from jx_guestbook
order by itemid
""",
    "contact_views": """
select id as event_id,
       userid as member_id,
       strftime('%Y-%m-%d %H:%M:%S', viewtime) as occurred_at
from jx_contact_view_log
order by id
""",
    "ad_clicks": """
select id as event_id,
       userid as member_id,
       datetime(clicktime, 'unixepoch', '+8 hours') as occurred_at
from jx_ad_click_log
order by id
""",
    "followups": """
select f.itemid as followup_id,
       f.userid as member_id,
       rep.truename as sales_rep,
       strftime('%Y-%m-%d %H:%M:%S', f.addtime) as followed_at
from jx_crm_followup as f
left join jx_admin_user as rep on rep.userid = f.sales_uid
order by f.itemid
""",
    "sales_staff": """
select u.truename as staff_name,
       g.groupname as team
from jx_admin_user as u
join jx_sales_group as g on g.userid = u.userid
order by u.userid
""",
    "shop_openings": """
select itemid as contract_id,
       userid as member_id,
       paydate as paid_on,
       opendate as shop_opened_on,
       uploaddate as materials_uploaded_on
from jx_shop_open
order by itemid
""",
}

# The universe lists that etl/demo/universe.py writes, and its segment names mapped back.
UNIVERSE_CSV_FILE = "sheets/行业企业名录.csv"
UNIVERSE_XLSX_FILE = "sheets/协会会员名单.xlsx"
UNIVERSE_SEGMENT_NAMES = {"工程机械行业": "工程机械", "液压气动元件": "液压气动"}

SHOP_PATH_PATTERNS = (r"^/shop/(?P<shop>[^/?#]+)",)
AD_CLICK_PATHS = ("/ad/click",)


def write_config(out_dir: Path) -> Path:
    """Write out_dir/portal.toml with paths relative to it; return its path."""
    path = out_dir / "portal.toml"
    path.write_text(render_config(), encoding="utf-8")
    logger.info("Wrote %s", path)
    return path


def render_config() -> str:
    """Return the TOML text; every key is one that etl.config.SETTINGS lists."""
    lines = [
        "# Demo portal written by `python -m etl demo`; all names and numbers are made up.",
        "",
        "[portal]",
        f"name = {_string(catalog.PORTAL_NAME)}",
        f"timezone = {_string(catalog.PORTAL_TIMEZONE)}",
        "",
        "[warehouse]",
        'dir = "warehouse"',
        "",
        "[database]",
        f"url = {_string('sqlite:///' + DATABASE_FILE)}",
        "",
        "[database.queries]",
        *(f"{name} = '''{sql}'''" for name, sql in QUERIES.items()),
        "",
        "[access_logs]",
        f"files = {_strings([LOG_GLOB])}",
        'format = "combined"',
        f"shop_path_patterns = {_strings(SHOP_PATH_PATTERNS)}",
        f"portal_hosts = {_strings([catalog.PORTAL_HOST, catalog.PORTAL_MOBILE_HOST])}",
        f"ad_click_paths = {_strings(AD_CLICK_PATHS)}",
        "",
        "[spreadsheets]",
        'encoding = "auto"',
        "",
        "[spreadsheets.sales_targets]",
        f"file = {_string(SALES_TARGETS_FILE)}",
        f"sheet = {_string(SALES_TARGETS_SHEET)}",
        'columns = { month = "月份", sales_rep = "销售", target_cny = "目标金额" }',
        "",
        "[spreadsheets.call_counts]",
        f"file = {_string(CALL_COUNTS_FILE)}",
        'columns = { month = "月份", sales_rep = "销售", calls = "通话次数" }',
        "",
        "[health]",
        "window_days = 30",
        "onboarding_days = 28",
        "",
        "[universe]",
        f"files = {_strings([UNIVERSE_CSV_FILE, UNIVERSE_XLSX_FILE])}",
        "segment_names = { "
        + ", ".join(f"{_string(k)} = {_string(v)}" for k, v in UNIVERSE_SEGMENT_NAMES.items())
        + " }",
        "big_registered_capital_cny = 50000000",
        "big_staff_count = 500",
        "",
        "[sales]",
        "required_calls_per_month = 400",
        "stale_followup_days = 14",
        "shop_open_deadline_days = 7",
        "",
        "[auth]",
        "# The login page lists the demo users; see `python -m dashboard.users demo`.",
        "demo = true",
        "",
    ]
    return "\n".join(lines)


def _string(value: str) -> str:
    # A JSON string of printable text is a valid TOML basic string.
    return json.dumps(value, ensure_ascii=False)


def _strings(values: list[str] | tuple[str, ...]) -> str:
    return "[" + ", ".join(_string(value) for value in values) + "]"
