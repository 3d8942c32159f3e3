"""Portal configuration: one TOML file, validated at start against the SETTINGS table.

Every key a portal can set is listed in SETTINGS with its type, default and help text.
docs/configuration.md is generated from the same table, and a test checks that they agree.
Relative paths in the file are resolved against the directory that contains it.
"""

from __future__ import annotations

import datetime as dt
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from etl.errors import ConfigError
from etl.log_formats import FORMAT_NAMES as LOG_FORMAT_NAMES

# Environment variables that override keys, so that secrets stay out of the file.
ENV_DATABASE_URL = "PORTAL_DATABASE_URL"
ENV_APP_DATABASE_URL = "APP_DATABASE_URL"

REQUIRED = object()


@dataclass(frozen=True)
class Setting:
    """One configuration key: dotted name, Python type, default, unit and help text."""

    key: str
    kind: type | tuple[type, ...]
    default: Any
    help: str
    unit: str = ""


SOURCE_QUERIES = ("members", "contracts", "inquiries", "messages", "contact_views", "ad_clicks")
HEALTH_METRICS = (
    "page_views",
    "unique_visitors",
    "inquiries",
    "messages",
    "contact_views",
    "ad_clicks",
)

SETTINGS: tuple[Setting, ...] = (
    Setting("portal.name", str, "", "Portal name shown in the dashboard header."),
    Setting(
        "portal.timezone",
        str,
        "Asia/Shanghai",
        "IANA time zone in which days are counted; log timestamps are stored in UTC.",
    ),
    Setting(
        "portal.as_of",
        (str, dt.date),
        None,
        "Last day the metrics cover (YYYY-MM-DD); by default the last day of access-log data.",
    ),
    Setting(
        "warehouse.dir",
        str,
        "warehouse",
        "Directory for published snapshots and the one a running load builds.",
    ),
    Setting(
        "warehouse.keep_snapshots",
        int,
        3,
        "Number of published snapshots kept, the current one included.",
        "snapshots",
    ),
    Setting(
        "database.url",
        str,
        REQUIRED,
        "SQLAlchemy URL of the portal database; the environment variable "
        f"{ENV_DATABASE_URL} overrides it. Relative sqlite paths are resolved against "
        "the config file's directory.",
    ),
    Setting(
        "app.database_url",
        str,
        "sqlite:///app.db",
        "SQLAlchemy URL of the dashboard's own read-write database (users, follow-up actions, "
        f"export audit); the environment variable {ENV_APP_DATABASE_URL} overrides it. "
        "Relative sqlite paths are resolved against the config file's directory.",
    ),
    *(
        Setting(
            f"database.queries.{name}",
            str,
            REQUIRED,
            f"SQL that returns the portal's {name.replace('_', ' ')} with the column names "
            "listed in docs/configuration.md.",
        )
        for name in SOURCE_QUERIES
    ),
    Setting(
        "access_logs.files",
        list,
        [],
        "Glob patterns of access-log files, plain or gzipped, relative to the config file.",
    ),
    Setting(
        "access_logs.format",
        str,
        "combined",
        "Log line format: combined, common, vhost_combined (combined after a leading "
        "virtual host, `%v:%p` or `$host`), custom (see access_logs.log_format) or json "
        "(JSON lines, nginx `escape=json`).",
    ),
    Setting(
        "access_logs.shop_path_patterns",
        list,
        [r"^/shop/(?P<shop>[^/?#]+)"],
        "Regular expressions matched against the request path; the named group `shop` "
        "holds a member id or shop slug.",
    ),
    Setting(
        "access_logs.portal_hosts",
        list,
        [],
        "Host names of the portal itself; referrers from them count as portal-internal.",
    ),
    Setting(
        "access_logs.ad_click_paths",
        list,
        ["/ad/click"],
        "Path prefixes of the portal's ad-click redirects; a shop view referred from one "
        "counts as ad traffic.",
    ),
    Setting(
        "access_logs.static_extensions",
        list,
        [
            ".css",
            ".js",
            ".png",
            ".jpg",
            ".jpeg",
            ".gif",
            ".ico",
            ".svg",
            ".webp",
            ".woff",
            ".woff2",
            ".ttf",
            ".map",
            ".xml",
            ".txt",
        ],
        "File extensions whose requests are assets, not page views.",
    ),
    Setting(
        "access_logs.log_format",
        str,
        "",
        "With format custom: the server's nginx log_format or Apache LogFormat string, "
        'e.g. `$remote_addr - $remote_user [$time_local] "$request" $status '
        "$body_bytes_sent`. With format json: optionally the nginx JSON log_format, whose "
        '`"key":"$variable"` pairs name the fields.',
    ),
    Setting(
        "access_logs.shop_host_patterns",
        list,
        [],
        "Regular expressions matched against the logged host (format vhost_combined, custom "
        "or json); the named group `shop` holds a member id or shop slug, e.g. "
        "`^(?P<shop>[a-z0-9-]+)\\.portal\\.example$`. Checked before the path patterns.",
    ),
    Setting(
        "access_logs.bot_max_requests_per_minute",
        int,
        120,
        "A client (address and user agent) with more requests than this in one minute counts "
        "as a crawler for that whole day; 0 turns the check off.",
        "requests",
    ),
    Setting(
        "spreadsheets.sales_targets.file",
        str,
        "",
        "xlsx or CSV with monthly sales targets per rep; empty to skip.",
    ),
    Setting(
        "spreadsheets.sales_targets.sheet",
        str,
        "",
        "Worksheet name in the xlsx; empty for the first sheet.",
    ),
    Setting(
        "spreadsheets.sales_targets.columns",
        dict,
        {"month": "月份", "sales_rep": "销售", "target_cny": "目标金额"},
        "Header of each required column in the sheet.",
    ),
    Setting(
        "spreadsheets.call_counts.file",
        str,
        "",
        "xlsx or CSV with monthly call counts per rep; empty to skip.",
    ),
    Setting(
        "spreadsheets.call_counts.sheet",
        str,
        "",
        "Worksheet name in the xlsx; empty for the first sheet.",
    ),
    Setting(
        "spreadsheets.call_counts.columns",
        dict,
        {"month": "月份", "sales_rep": "销售", "calls": "通话次数"},
        "Header of each required column in the sheet.",
    ),
    Setting(
        "spreadsheets.encoding",
        str,
        "auto",
        "Text encoding of CSV sheets: auto (detected), utf-8, utf-8-sig, gbk or gb18030.",
    ),
    Setting("health.window_days", int, 30, "Length of the health-score window.", "days"),
    Setting(
        "health.onboarding_days",
        int,
        28,
        "Members whose first paid contract started fewer days ago are onboarding, not scored.",
        "days",
    ),
    Setting("health.healthy_min", (int, float), 60, "Lowest score in the healthy band.", "points"),
    Setting("health.watch_min", (int, float), 40, "Lowest score in the watch band.", "points"),
    Setting(
        "health.fall_share",
        (int, float),
        0.3,
        "A metric that falls by more than this share against the previous window is a reason.",
        "share",
    ),
    *(
        Setting(
            f"health.weights.{metric}",
            (int, float),
            weight,
            f"Weight of {metric.replace('_', ' ')} in the health score.",
        )
        for metric, weight in zip(HEALTH_METRICS, (0.2, 0.15, 0.3, 0.1, 0.2, 0.05), strict=True)
    ),
    Setting(
        "renewals.early_days",
        int,
        60,
        "A new contract of the same member that starts this many days before a contract's end "
        "date, or later, renews it.",
        "days",
    ),
    Setting(
        "renewals.grace_days",
        int,
        30,
        "Grace period after a contract's end date: a new contract that starts within it still "
        "renews the old one; once it has passed without one, the contract is churned.",
        "days",
    ),
    Setting(
        "renewals.tier_order",
        list,
        [],
        "Tier names from lowest to highest, for upgrades and downgrades; empty to order tiers "
        "by their median contract amount.",
    ),
    Setting(
        "renewals.lead_days",
        int,
        60,
        "The renewal-risk model sees each contract as it was this many days before its end "
        "date; no data from later days enters its features.",
        "days",
    ),
    Setting(
        "renewals.min_training_contracts",
        int,
        200,
        "Fewest decided (renewed or churned) contracts the risk model is trained on; with "
        "fewer, a rule from the health score gives the risk.",
        "contracts",
    ),
    Setting(
        "renewals.backtest_share",
        (int, float),
        0.3,
        "Share of decided contracts, the most recently decided ones, that the backtest scores "
        "after training on the earlier ones.",
        "share",
    ),
    Setting(
        "renewals.risk_horizon_days",
        int,
        365,
        "Pending contracts that end within this many days after as_of get a renewal risk.",
        "days",
    ),
    Setting(
        "renewals.queue_days",
        int,
        90,
        "Default length of the after-sales queue: contracts ending within this many days.",
        "days",
    ),
    Setting(
        "renewals.contact_window_days",
        int,
        180,
        "The risk model counts the after-sales contacts (contacted, effect report sent, offer "
        "made) recorded for the member in this many days before each contract's feature "
        "cutoff; 0 leaves the count at 0.",
        "days",
    ),
    Setting(
        "auth.demo",
        bool,
        False,
        "True only for the generated demo: the login page then says it is a demo and lists "
        "the demo users. Never set it on a real portal.",
    ),
    Setting(
        "auth.session_idle_minutes",
        int,
        30,
        "A signed-in session without any action for this long must sign in again.",
        "minutes",
    ),
    Setting(
        "auth.max_failed_logins",
        int,
        5,
        "Failed logins in a row that lock an account.",
        "attempts",
    ),
    Setting(
        "auth.lockout_minutes",
        int,
        15,
        "How long a locked account refuses every login, the right password included.",
        "minutes",
    ),
    # Market share and sales management (etl/universe.py, etl/sales.py).
    *(
        Setting(
            f"database.queries.{name}",
            str,
            "",
            f"SQL that returns {what}; empty when the portal has none, which leaves the "
            "table empty. Columns are listed in docs/configuration.md.",
        )
        for name, what in (
            ("followups", "the CRM follow-ups of sales reps with prospects"),
            ("sales_staff", "the sales staff and their teams"),
            ("shop_openings", "each paid contract's payment, shop-opening and upload dates"),
        )
    ),
    Setting(
        "universe.files",
        list,
        [],
        "xlsx or CSV lists of the enterprises known in the industry, relative to the config "
        "file; empty when there are none, so the universe is the registered companies.",
    ),
    Setting("universe.sheet", str, "", "Worksheet name in each xlsx; empty for the first sheet."),
    Setting(
        "universe.columns",
        dict,
        {
            "company_name": "企业名称",
            "segment": "行业",
            "province": "省份",
            "registered_capital": "注册资本",
            "staff_count": "员工人数",
            "credit_code": "统一社会信用代码",
        },
        "Header of each column; company_name and segment are required, the others are read "
        "when the header is present.",
    ),
    Setting(
        "universe.segment_names",
        dict,
        {},
        "Segment names of the lists mapped to the portal's segments, e.g. "
        '`{ "工程机械行业" = "工程机械" }`; names not listed are used as written.',
    ),
    Setting(
        "universe.big_registered_capital_cny",
        (int, float),
        50_000_000,
        "A company with at least this registered capital counts as big.",
        "CNY",
    ),
    Setting(
        "universe.big_staff_count",
        int,
        500,
        "A company with at least this many staff counts as big.",
        "people",
    ),
    Setting(
        "sales.required_calls_per_month",
        int,
        300,
        "Calls each rep is expected to make per month.",
        "calls",
    ),
    Setting(
        "sales.stale_followup_days",
        int,
        14,
        "A prospect whose last follow-up is more days before as_of than this is listed.",
        "days",
    ),
    Setting(
        "sales.shop_open_deadline_days",
        int,
        7,
        "Days from payment by which the shop must be opened and its materials uploaded.",
        "days",
    ),
)


@dataclass(frozen=True)
class SheetConfig:
    """One staff spreadsheet: its file (None when not configured), sheet and column headers."""

    file: Path | None
    sheet: str
    columns: dict[str, str]
    encoding: str


@dataclass(frozen=True)
class HealthConfig:
    window_days: int
    onboarding_days: int
    healthy_min: float
    watch_min: float
    fall_share: float
    weights: dict[str, float]


@dataclass(frozen=True)
class AccessLogConfig:
    files: list[str]
    base_dir: Path
    format: str
    shop_path_patterns: list[str]
    portal_hosts: list[str]
    ad_click_paths: list[str]
    static_extensions: list[str]
    log_format: str = ""
    shop_host_patterns: list[str] = field(default_factory=list)
    bot_max_requests_per_minute: int = 120


@dataclass(frozen=True)
class Config:
    path: Path
    portal_name: str
    timezone: str
    as_of: dt.date | None
    warehouse_dir: Path
    keep_snapshots: int
    database_url: str
    app_database_url: str
    queries: dict[str, str]
    access_logs: AccessLogConfig
    sales_targets: SheetConfig
    call_counts: SheetConfig
    health: HealthConfig
    raw: dict[str, Any] = field(repr=False, default_factory=dict)
    # The validated value of every key in SETTINGS, defaults filled in.
    settings: dict[str, Any] = field(repr=False, default_factory=dict)


def load_config(path: str | Path) -> Config:
    """Read and validate the TOML file at `path`; raise ConfigError naming the key at fault."""
    path = Path(path).resolve()
    try:
        with path.open("rb") as handle:
            raw = tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(
            f"Config file {path} not found. Pass an existing file with --config, or create "
            "a demo with `python -m etl demo --out DIR`."
        ) from None
    except IsADirectoryError:
        raise ConfigError(
            f"Config path {path} is a directory; pass the TOML file, e.g. {path}/portal.toml."
        ) from None
    except UnicodeDecodeError as error:
        raise ConfigError(
            f"Config file {path} is not UTF-8 (byte {error.start}): TOML files must be saved "
            "as UTF-8. Convert it, e.g. `iconv -f gbk -t utf-8`."
        ) from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"Config file {path} is not valid TOML: {error}.") from None

    _reject_unknown_keys(raw, path)
    values = {setting.key: _read_setting(raw, setting, path) for setting in SETTINGS}
    return _build_config(path, values, raw)


def _build_config(path: Path, values: dict[str, Any], raw: dict[str, Any]) -> Config:
    base_dir = path.parent
    timezone = values["portal.timezone"]
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"{path}: key portal.timezone has unknown time zone {timezone!r}; "
            "use an IANA name such as Asia/Shanghai."
        ) from None

    log_format = values["access_logs.format"]
    if log_format not in LOG_FORMAT_NAMES:
        raise ConfigError(
            f"{path}: key access_logs.format is {log_format!r}; use "
            f"{', '.join(LOG_FORMAT_NAMES[:-1])} or {LOG_FORMAT_NAMES[-1]}."
        )
    if log_format == "custom" and not values["access_logs.log_format"].strip():
        raise ConfigError(
            f'{path}: key access_logs.format is "custom" but access_logs.log_format is empty. '
            "Copy the server's nginx log_format or Apache LogFormat string into it."
        )
    if values["access_logs.bot_max_requests_per_minute"] < 0:
        raise ConfigError(
            f"{path}: key access_logs.bot_max_requests_per_minute must be 0 (off) or more."
        )

    encoding = values["spreadsheets.encoding"].lower()
    if encoding not in ("auto", "utf-8", "utf-8-sig", "gbk", "gb18030"):
        raise ConfigError(
            f"{path}: key spreadsheets.encoding is {encoding!r}; "
            "use auto, utf-8, utf-8-sig, gbk or gb18030."
        )

    healthy_min = float(values["health.healthy_min"])
    watch_min = float(values["health.watch_min"])
    if not 0 <= watch_min <= healthy_min <= 100:
        raise ConfigError(
            f"{path}: keys health.watch_min ({watch_min}) and health.healthy_min "
            f"({healthy_min}) must satisfy 0 <= watch_min <= healthy_min <= 100."
        )
    _check_range(values, "health.window_days", 1, None, path)
    _check_range(values, "health.onboarding_days", 0, None, path)
    _check_range(values, "health.fall_share", 0, 1, path)
    _check_range(values, "warehouse.keep_snapshots", 1, None, path)
    weights = {metric: float(values[f"health.weights.{metric}"]) for metric in HEALTH_METRICS}
    if any(weight < 0 for weight in weights.values()) or sum(weights.values()) <= 0:
        raise ConfigError(
            f"{path}: keys health.weights.* must be zero or positive, with a positive sum; "
            f"got {weights}."
        )

    return Config(
        path=path,
        portal_name=values["portal.name"],
        timezone=timezone,
        as_of=_parse_date(values["portal.as_of"], "portal.as_of", path),
        warehouse_dir=_resolve(base_dir, values["warehouse.dir"]),
        keep_snapshots=values["warehouse.keep_snapshots"],
        database_url=_database_url(values["database.url"], base_dir),
        app_database_url=_database_url(values["app.database_url"], base_dir),
        queries={
            key.removeprefix("database.queries."): value
            for key, value in values.items()
            if key.startswith("database.queries.")
        },
        access_logs=AccessLogConfig(
            files=values["access_logs.files"],
            base_dir=base_dir,
            format=log_format,
            shop_path_patterns=values["access_logs.shop_path_patterns"],
            portal_hosts=[host.lower() for host in values["access_logs.portal_hosts"]],
            ad_click_paths=values["access_logs.ad_click_paths"],
            static_extensions=[ext.lower() for ext in values["access_logs.static_extensions"]],
            log_format=values["access_logs.log_format"],
            shop_host_patterns=values["access_logs.shop_host_patterns"],
            bot_max_requests_per_minute=values["access_logs.bot_max_requests_per_minute"],
        ),
        sales_targets=_sheet_config(values, "sales_targets", base_dir, encoding),
        call_counts=_sheet_config(values, "call_counts", base_dir, encoding),
        health=HealthConfig(
            window_days=values["health.window_days"],
            onboarding_days=values["health.onboarding_days"],
            healthy_min=healthy_min,
            watch_min=watch_min,
            fall_share=float(values["health.fall_share"]),
            weights=weights,
        ),
        raw=raw,
        settings=values,
    )


def _check_range(
    values: dict[str, Any], key: str, low: float, high: float | None, path: Path
) -> None:
    value = values[key]
    if value < low or (high is not None and value > high):
        allowed = f"from {low} to {high}" if high is not None else f"{low} or more"
        raise ConfigError(f"{path}: key {key} is {value}; set it to {allowed}.")


def _sheet_config(values: dict[str, Any], name: str, base_dir: Path, encoding: str) -> SheetConfig:
    file = values[f"spreadsheets.{name}.file"]
    return SheetConfig(
        file=_resolve(base_dir, file) if file else None,
        sheet=values[f"spreadsheets.{name}.sheet"],
        columns=values[f"spreadsheets.{name}.columns"],
        encoding=encoding,
    )


def _read_setting(raw: dict[str, Any], setting: Setting, path: Path) -> Any:
    node: Any = raw
    for part in setting.key.split("."):
        if not isinstance(node, dict) or part not in node:
            node = REQUIRED
            break
        node = node[part]

    if setting.key == "database.url" and os.environ.get(ENV_DATABASE_URL):
        return os.environ[ENV_DATABASE_URL]
    if setting.key == "app.database_url" and os.environ.get(ENV_APP_DATABASE_URL):
        return os.environ[ENV_APP_DATABASE_URL]
    if node is REQUIRED:
        if setting.default is REQUIRED:
            raise ConfigError(f"{path}: required key {setting.key} is missing. {setting.help}")
        return setting.default

    # bool is a subclass of int, so `true` would otherwise pass as a number.
    if (isinstance(node, bool) and setting.kind is not bool) or not isinstance(node, setting.kind):
        expected = _type_names(setting.kind)
        raise ConfigError(
            f"{path}: key {setting.key} must be {expected}, got {type(node).__name__} "
            f"{node!r}. {setting.help}"
        )
    if setting.kind is list and not all(isinstance(item, str) for item in node):
        raise ConfigError(f"{path}: key {setting.key} must be a list of strings, got {node!r}.")
    return node


def _reject_unknown_keys(raw: dict[str, Any], path: Path) -> None:
    known = {setting.key for setting in SETTINGS}
    prefixes = {key.rsplit(".", 1)[0] for key in known}
    # Column maps are tables whose keys are the column names, checked by the sheet reader.
    open_tables = {key for key in known if key.endswith(".columns")}

    def walk(node: dict[str, Any], prefix: str) -> None:
        for name, value in node.items():
            key = f"{prefix}{name}"
            if key in open_tables or key in known:
                continue
            if isinstance(value, dict) and key in prefixes:
                walk(value, f"{key}.")
                continue
            raise ConfigError(
                f"{path}: unknown key {key}. See docs/configuration.md for the keys a "
                "portal can set."
            )

    walk(raw, "")


def _parse_date(value: Any, key: str, path: Path) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"{path}: key {key} is {value!r}; write a date as YYYY-MM-DD.") from None


def _database_url(url: str, base_dir: Path) -> str:
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and url != "sqlite://":
        return prefix + str(_resolve(base_dir, url[len(prefix) :]))
    return url


def _resolve(base_dir: Path, value: str) -> Path:
    candidate = Path(value).expanduser()
    return candidate if candidate.is_absolute() else (base_dir / candidate).resolve()


def _type_names(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {
        str: "a string",
        int: "an integer",
        float: "a number",
        list: "a list",
        dict: "a table",
        dt.date: "a date",
    }
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def render_settings_table() -> str:
    """Render SETTINGS as the Markdown table that docs/configuration.md embeds."""
    lines = ["| key | type | default | unit | meaning |", "| --- | --- | --- | --- | --- |"]
    for setting in SETTINGS:
        if setting.default is REQUIRED:
            default = "required"
        elif setting.default in (None, "", []):
            default = "(empty)"
        else:
            default = (
                f"`{setting.default!r}`"
                if not isinstance(setting.default, str)
                else (f"`{setting.default}`")
            )
        kind = _type_names(setting.kind).replace("a ", "").replace("an ", "")
        help_text = setting.help.replace("|", "\\|")
        default = default.replace("|", "\\|")
        lines.append(f"| `{setting.key}` | {kind} | {default} | {setting.unit} | {help_text} |")
    return "\n".join(lines)
