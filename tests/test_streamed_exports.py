"""Streamed exports clicked on the pages: whole tables, as shown, restricted, masked, audited.

A download is clicked as the browser does it: Streamlit's MediaFileManager runs the button's
deferred callable (execute_deferred) outside the script run, and the file is read back from
its storage. The manager that AppTest creates is the real one, recorded so the test can reach it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from pathlib import Path
from typing import ClassVar

import duckdb
import openpyxl
import pandas as pd
import pytest
import streamlit.testing.v1.app_test as app_test_module
from signin import app_engine, ensure_user, sign_in
from snapshot_fixture import ACCESS_LOG, WINDOW_START
from streamlit.runtime.download_data_util import convert_data_to_bytes_and_infer_mime
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from dashboard import exports, sales_tables, tables
from dashboard.widgets import ExportAudit, build_export
from queries import query_names, run_query
from queries.access import MEMBER_TABLES, Viewer
from store import actions
from store.audit import list_exports

REPO_ROOT = Path(__file__).resolve().parent.parent
APP = REPO_ROOT / "app.py"
TIMEOUT = 60
DIRECTOR = Viewer("director", "director")

REJECTED_HEADERS = {
    "zh-CN": ["数据源", "文件", "行号", "列", "值", "原因", "原始内容"],
    "en": ["Source", "File", "Line", "Column", "Value", "Reason", "Raw text"],
}
HEALTH_HEADERS = {
    "zh-CN": ["会员ID", "公司", "行业", "会员等级", "销售", "点击次数"],
    "en": ["Member ID", "Company", "Segment", "Tier", "Sales rep", "Page views"],
}


class RecordingMediaFileManager(MediaFileManager):
    """Streamlit's own manager, remembered so that a test can click downloads."""

    created: ClassVar[list[RecordingMediaFileManager]] = []

    def __init__(self, storage) -> None:
        super().__init__(storage)
        RecordingMediaFileManager.created.append(self)


@pytest.fixture
def clicks(monkeypatch):
    RecordingMediaFileManager.created = []
    monkeypatch.setattr(app_test_module, "MediaFileManager", RecordingMediaFileManager)
    return RecordingMediaFileManager.created


def open_page(page: str, role="director", staff=None, language=None, **query) -> AppTest:
    at = sign_in(AppTest.from_file(APP, default_timeout=TIMEOUT), role, staff)
    if language:
        at.session_state["lang"] = language
    at.run()
    at.query_params.update(query)
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def download(at: AppTest, key: str) -> bytes:
    """Click the download button with widget key `key` and return the file's bytes."""
    file_id = at.download_button(key=key).proto.deferred_file_id
    # AppTest makes a new manager per run; the last run registered the buttons shown now.
    manager = RecordingMediaFileManager.created[-1]
    url = manager.execute_deferred(file_id)
    return manager.read_file(url.rsplit("/", 1)[1]).content


def csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def xlsx_rows(data: bytes) -> list[list]:
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    return [
        [v.replace("_x000D_", "\r") if isinstance(v, str) else v for v in row]
        for row in sheet.iter_rows(values_only=True)
    ]


def as_cells(table: pd.DataFrame) -> list[list]:
    """The shown table's rows as export cells: the exact values the writers produce."""
    return [[exports.cell_value(v) for v in row] for row in table.itertuples(index=False)]


def as_csv_text(table: pd.DataFrame) -> list[list[str]]:
    return [["" if v is None else str(v) for v in row] for row in as_cells(table)]


def last_audit() -> dict:
    return list_exports(app_engine()).iloc[0].to_dict()


# --- data status: rejected rows and bot hits -----------------------------------------------


@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_rejected_rows_export_whole(published, clicks, language):
    at = open_page("views/data_status.py", language=language)
    page_table = at.dataframe[2].value
    rows = csv_rows(download(at, "status.rejected.csv"))

    assert rows[0] == REJECTED_HEADERS[language]
    assert list(page_table.columns) == REJECTED_HEADERS[language]
    # 7 unparseable lines + 3 invalid timestamps + 1 members row + 1 targets row = 12.
    assert len(rows) - 1 == 12
    assert rows[1:] == as_csv_text(page_table)
    # The targets sheet's value "=1+2" is neutralised in the export.
    assert rows[12][4] == "'=1+2"
    audit = last_audit()
    assert (audit["export_name"], audit["file_format"], audit["row_count"]) == (
        "rejected_rows",
        "csv",
        12,
    )
    assert audit["username"] == "director"


def add_rejected_lines(snapshot: Path, count: int) -> None:
    """Add `count` unparseable access-log lines 1000.. to the latest run of the snapshot."""
    con = duckdb.connect(str(snapshot))
    try:
        run_id = con.execute(
            "select run_id from load_runs order by started_at desc limit 1"
        ).fetchone()[0]
        con.execute(
            "insert into rejected_rows select ?, 'access_logs', ?, 1000 + range, null, null, "
            "'unparseable_line', 'line ' || range from range(?)",
            [run_id, ACCESS_LOG, count],
        )
    finally:
        con.close()


def test_rejected_rows_beyond_shown(published, clicks):
    """The page shows the first 100 rejected rows; the export contains all 162."""
    add_rejected_lines(published.snapshot, 150)
    at = open_page("views/data_status.py")
    page_table = at.dataframe[2].value
    rows = xlsx_rows(download(at, "status.rejected.xlsx"))

    assert len(page_table) == 100
    assert "表中最多显示前 100 行；导出文件包含最近一次加载的全部被拒绝的行。" in [
        caption.value for caption in at.caption
    ]
    # 12 rows of the fixture + 150 added = 162, in the order the page shows the first 100.
    assert len(rows) - 1 == 162
    assert rows[1:101] == as_cells(page_table)
    # Access-log lines 101-107, 201-203 and 1000-1149 (160 rows) come before the other sources.
    assert rows[160][:3] == ["访问日志", ACCESS_LOG, 1149]
    assert rows[-1][:3] == ["销售目标表", "targets.xlsx", 6]
    assert last_audit()["row_count"] == 162


def test_bot_hits_export_as_shown(published, clicks):
    at = open_page("views/data_status.py", language="en")
    page_table = at.dataframe[3].value
    rows = xlsx_rows(download(at, "status.bots.xlsx"))
    assert rows[0] == list(page_table.columns)
    # Baiduspider: 120 + 80 = 200 hits, 100 + 70 = 170 on shop pages; Googlebot: 5 and 0.
    assert [row[:4] for row in rows[1:]] == [
        ["Baiduspider", "User agent", 200, 170],
        ["Googlebot", "robots.txt request", 5, 0],
    ]
    assert rows[1:] == as_cells(page_table)


# --- member health -------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_health_export_matches_page(published, clicks, language):
    at = open_page("views/member_health.py", language=language)
    at.selectbox(key="health.sort").set_value("page_views_desc").run()
    page_table = at.dataframe[0].value.drop(columns=at.dataframe[0].value.columns[-1])
    rows = xlsx_rows(download(at, "health.export.xlsx"))

    assert rows[0][:6] == HEALTH_HEADERS[language]
    assert rows[0] == list(page_table.columns)
    # Window page views: 4 -> 900, 1 -> 600, 2 -> 300, 5 -> 240, 3 -> 150, 6 -> 40.
    assert [row[0] for row in rows[1:]] == [4, 1, 2, 5, 3, 6]
    assert rows[1:] == as_cells(page_table)
    audit = last_audit()
    assert (audit["export_name"], audit["row_count"]) == ("member_health", 6)
    assert json.loads(audit["filters"]) == {
        "band": None,
        "sales_rep": None,
        "segment": None,
        "sort": "page_views_desc",
        "tier": None,
    }


def test_health_export_filtered(published, clicks):
    at = open_page("views/member_health.py")
    at.selectbox(key="health.segment").set_value("化工").run()
    rows = csv_rows(download(at, "health.export.csv"))
    # 化工 members 4, 5 (50.0 each, by company name) and onboarding member 6 last.
    assert [row[0] for row in rows[1:]] == ["4", "5", "6"]
    assert rows[3][1] == "'=常州涂料化工有限公司"
    assert json.loads(last_audit()["filters"])["segment"] == "化工"


@pytest.mark.parametrize(
    ("role", "staff", "expected"),
    [
        # Score order: 3 (50.0) before 1 (70.0); 2 (30.0) before 4 (50.0).
        ("sales_rep", "张伟", ["3", "1"]),
        ("sales_rep", "李娜", ["2", "4"]),
        ("sales_rep", "nobody", []),
        # 赵敏 is the after-sales owner of every fixture member.
        ("after_sales", "赵敏", ["2", "4", "5", "3", "1", "6"]),
    ],
)
def test_health_export_only_own_members(published, clicks, role, staff, expected):
    at = open_page("views/member_health.py", role=role, staff=staff)
    if not expected:
        assert not [b for b in at.get("download_button") if b.key.startswith("health.export")]
        return
    rows = csv_rows(download(at, "health.export.csv"))
    assert [row[0] for row in rows[1:]] == expected
    assert last_audit()["row_count"] == len(expected)


def test_health_sql_order_equals_page_order(published):
    """For every sort choice, the streamed export's SQL order is the page's pandas order."""
    con = duckdb.connect(str(published.current), read_only=True)
    params = {"segment": None, "tier": None, "sales_rep": None, "band": None}
    try:
        health = run_query(con, "member_health_list", params, viewer=DIRECTOR)
        for sort_key in tables.HEALTH_SORTS:
            _, chunks = exports.query_chunks(
                con, "member_health_list", params, DIRECTOR, tables.health_order(sort_key)
            )
            streamed = pd.concat(list(chunks))["member_id"].tolist()
            on_page = tables.sort_health(health, sort_key)["member_id"].tolist()
            assert streamed == on_page, sort_key
    finally:
        con.close()


# --- other growing tables ------------------------------------------------------------------


def test_market_companies_export_as_shown(published, clicks):
    at = open_page("views/market_share.py")
    # Tables of the page: segments, the drill-down, big-company targets, review.
    page_table = at.dataframe[1].value
    rows = xlsx_rows(download(at, "market.drill_export.xlsx"))
    assert rows[0] == list(page_table.columns)
    assert rows[1:] == as_cells(page_table)
    assert last_audit()["row_count"] == len(page_table)


def test_sales_calls_export_as_shown(published, clicks):
    at = open_page("views/sales.py", language="en")
    # Tables of the page: teams, reps, calls, ...
    page_table = at.dataframe[2].value
    rows = csv_rows(download(at, "sales.calls_export.csv"))
    assert rows[0] == list(page_table.columns)
    # March 2026, fewest calls first: 李娜 95 is below the required 100, 张伟 120 is not.
    assert rows[1:] == [
        ["2026-03", "李娜", "一组", "95", "100", "Yes"],
        ["2026-03", "张伟", "一组", "120", "100", "No"],
    ]
    assert rows[1:] == as_csv_text(page_table)


def add_keywords(snapshot: Path, count: int) -> None:
    """Give member 1 `count` more keywords, keyword n with n views on the window's first day."""
    con = duckdb.connect(str(snapshot))
    try:
        for n in range(1, count + 1):
            con.execute(
                "insert into member_search_keywords values (1, ?, 'Sogou', ?, ?)",
                [WINDOW_START, f"关键词{n:02d}", n],
            )
    finally:
        con.close()


def test_keywords_export_beyond_shown(published, clicks):
    """The page shows the top 10 keywords; the export contains all 13, in the same order."""
    add_keywords(published.snapshot, 11)
    at = open_page("views/member_detail.py", member="1")
    page_table = at.dataframe[-1].value
    rows = xlsx_rows(download(at, "detail.keywords.xlsx"))

    assert len(page_table) == 10
    assert "表中显示点击次数最多的前 10 个关键词；导出文件包含评分窗口内的全部关键词。" in [
        caption.value for caption in at.caption
    ]
    # 挖掘机配件 (6 x 30 = 180 views), o'ring seal (4 x 30 = 120), then 关键词11 .. 关键词01.
    assert len(rows) - 1 == 13
    assert rows[1:11] == as_cells(page_table)
    assert [row[1] for row in rows[1:4]] == ["挖掘机配件", "o'ring seal", "关键词11"]
    assert rows[-1][1:] == ["关键词01", "搜狗", 1]


# --- contact details -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("viewer", "expected"),
    [
        # 0571-88881234: 3 kept, 6 starred, 4 kept; 13812345678: 3 kept, 4 starred, 4 kept.
        (DIRECTOR, ["057******1234", "138****5678", "l***@example.com", "w***"]),
        (Viewer("exec", "executive"), ["057******1234", "138****5678", "l***@example.com", "w***"]),
        (
            Viewer("zw", "sales_rep", "张伟"),
            ["0571-88881234", "13812345678", "li.na@example.com", "wxid_abc123"],
        ),
        (Viewer("ln", "sales_rep", "李娜"), None),
    ],
)
def test_streamed_contacts_masked(published, viewer, expected):
    """A streamed, re-sorted, transformed export reads the same masked contact view."""
    con = duckdb.connect(str(published.current), read_only=True)
    try:
        _, chunks = exports.query_chunks(
            con, "member_contacts", {"member_id": 1}, viewer, [("contact_mobile", True)]
        )
        columns, chunks = exports.transform_chunks(chunks, lambda chunk: chunk.astype(str))
        handle = io.BytesIO()
        written = exports.write_csv(columns, chunks, handle)
    finally:
        con.close()
    rows = csv_rows(handle.getvalue())
    if expected is None:
        assert written == 0
        return
    assert rows[1] == expected


# Member-level tables named with a catalog or schema ("main.members") would skip the
# temporary views that restrict rows and mask contacts.
QUALIFIED_TABLE = re.compile(
    r"(?:\bmain|\"[^\"]+\")\s*\.\s*(?:main\s*\.\s*)?(" + "|".join(MEMBER_TABLES) + r")\b"
)


def test_no_query_bypasses_restriction():
    for name in sorted(query_names()):
        sql = (REPO_ROOT / "queries" / f"{name}.sql").read_text(encoding="utf-8")
        assert not QUALIFIED_TABLE.search(sql), name


# --- the writer's contract -----------------------------------------------------------------


def test_empty_query_keeps_headers(published):
    """A streamed export without rows still has its localized header, and 0 rows."""
    con = duckdb.connect(str(published.current), read_only=True)
    params = {"period_start": dt.date(2030, 1, 1), "period_end": dt.date(2030, 1, 31)}
    try:
        _, chunks = exports.query_chunks(con, "sales_calls", params, DIRECTOR)
        columns, chunks = exports.transform_chunks(
            chunks, lambda chunk: sales_tables.calls_table(chunk, "zh-CN")
        )
        handle = io.BytesIO()
        written = exports.write_csv(columns, chunks, handle)
    finally:
        con.close()
    assert written == 0
    assert csv_rows(handle.getvalue()) == [
        ["月份", "销售", "团队", "通话次数", "要求次数", "未达标"]
    ]


def test_sort_column_checked():
    with pytest.raises(ValueError, match="Invalid sort column 'x; drop table members'"):
        exports.ordered_sql("select 1", [("x; drop table members", True)])


def test_export_bytes_not_copied_by_streamlit(published):
    """Streamlit keeps the returned bytes object itself: one copy of the file in memory."""
    ensure_user("director")
    table = pd.DataFrame({"n": range(1000)})
    audit = ExportAudit(app_engine(), DIRECTOR, "numbers", {})
    data = build_export(lambda: (["n"], iter([table])), "csv", "numbers", audit)
    assert convert_data_to_bytes_and_infer_mime(data, ValueError())[0] is data


def test_risk_queue_export_as_shown(published, clicks):
    """The queue export has the page's rows and the last contact from the app database."""
    actions.record_action(
        app_engine(),
        member_id=2,
        contract_id=201,
        action="contacted",
        action_on=dt.date(2026, 3, 20),
        recorded_by="director",
    )
    at = open_page("views/renewal_risk.py")
    page_table = at.dataframe[0].value
    rows = xlsx_rows(download(at, "risk.export.xlsx"))

    assert rows[0] == list(page_table.columns)
    assert rows[1:] == as_cells(page_table)
    # Pending contracts ending by 2026-03-31 + 90 days: 201 (member 2, 2026-05-31) and 301
    # (member 3, 2026-03-31); 402 ends on 2026-06-30, 91 days out.
    assert sorted(row[0] for row in rows[1:]) == [2, 3]
    last_contact = {row[0]: row[-1] for row in rows[1:]}
    assert last_contact == {2: "已联系 2026-03-20", 3: "—"}
    assert last_audit()["row_count"] == 2


@pytest.mark.parametrize(
    ("page", "table_index", "key", "row_count"),
    [
        # Big and not paying: 巨力起重 (capital 80,000,000) and 长江化工 (900 staff).
        ("views/market_share.py", 2, "market.targets_export", 2),
        # For review: 新材料化工 (member 5 is in another province), 西湖化工 (bad credit code).
        ("views/market_share.py", 3, "market.review_export", 2),
        # Stale prospect: member 7, last followed up 21 days before as_of.
        ("views/sales.py", 3, "sales.stale_export", 1),
        # Late shop opening: contract 601, materials 10 days after payment.
        ("views/sales.py", 5, "sales.late_export", 1),
        # Pending contracts ending after 2026-03-31 and by 2026-06-30: 201 and 402.
        ("views/renewals.py", 1, "renewals.due", 2),
    ],
)
def test_streamed_export_equals_page_table(published, clicks, page, table_index, key, row_count):
    at = open_page(page, language="en")
    page_table = at.dataframe[table_index].value
    rows = xlsx_rows(download(at, f"{key}.xlsx"))
    assert rows[0] == list(page_table.columns)
    assert len(rows) - 1 == row_count
    assert rows[1:] == as_cells(page_table)
    assert last_audit()["row_count"] == row_count


def test_action_timeline_exports(published, clicks):
    # Two actions of member 2, newest first on the page and in the file.
    for day, action, note in (
        (dt.date(2026, 3, 2), "contacted", "=1+1"),
        (dt.date(2026, 3, 9), "offer_made", "九折"),
    ):
        actions.record_action(
            app_engine(),
            member_id=2,
            action=action,
            action_on=day,
            recorded_by="director",
            note=note,
        )
    at = open_page("views/member_detail.py", member="2")
    timeline = at.dataframe[-1].value
    rows = csv_rows(download(at, "detail.actions.csv"))

    assert rows[0] == list(timeline.columns)
    assert rows[1:] == as_csv_text(timeline)
    assert len(rows) == 3
    # A note that starts like a formula is written as text.
    assert "'=1+1" in rows[2]
    assert last_audit()["row_count"] == 2


def test_users_table_exports(published, clicks):
    ensure_user("sales_rep", "王芳", username="wang")
    at = open_page("views/users.py", role="admin")
    page_table = at.dataframe[0].value
    rows = xlsx_rows(download(at, "users.export.xlsx"))

    assert rows[0] == ["用户名", "角色", "员工姓名", "状态", "锁定至 (UTC)"]
    assert [row[:2] for row in rows[1:]] == [["admin", "管理员"], ["wang", "销售"]]
    assert len(rows) - 1 == len(page_table)
    assert last_audit()["row_count"] == 2


# --- rejected rows by role: full for admins, masked for directors, none for restricted ------

REJECTED_MEMBER_RAW = (
    "member_id=9, company_name='己机床有限公司', registered_on='2026-13-45', "
    "contact_phone='0571-88889999', contact_mobile='13912345678', "
    "contact_email='chen@example.com', contact_wechat='wxid_secret'"
)
# Page columns 数据源, 文件, 行号, 列, 值, 原因 of the added member row. They are the same for
# every role that may read the row, and only 原始内容 differs.
REJECTED_MEMBER_CELLS = ["门户数据库", "members", 9, "registered_on", "2026-13-45", "日期无效"]
REJECTED_SECRETS = ("88889999", "13912345678", "chen@example.com", "wxid_secret")


def add_rejected_member(snapshot: Path) -> None:
    """Add a portal members row 9 rejected for its date, with its contacts in the raw text."""
    con = duckdb.connect(str(snapshot))
    try:
        run_id = con.execute(
            "select run_id from load_runs order by started_at desc limit 1"
        ).fetchone()[0]
        con.execute(
            "insert into rejected_rows values (?, 'portal_db', 'members', 9, 'registered_on', "
            "'2026-13-45', 'invalid_date', ?)",
            [run_id, REJECTED_MEMBER_RAW],
        )
    finally:
        con.close()


@pytest.mark.parametrize(
    ("role", "raw"),
    [("admin", REJECTED_MEMBER_RAW), ("director", "***"), ("executive", "***")],
)
def test_rejected_member_row_by_role(published, clicks, role, raw):
    add_rejected_member(published.snapshot)
    at = open_page("views/data_status.py", role=role)
    page_table = at.dataframe[2].value
    rows = csv_rows(download(at, "status.rejected.csv"))
    sheet = xlsx_rows(download(at, "status.rejected.xlsx"))

    # The fixture's 12 rows and the member row. Sorted by source, file and line, the member
    # row comes after the 10 access-log rows and members row 8.
    assert len(page_table) == 13
    assert page_table.iloc[11].tolist() == [*REJECTED_MEMBER_CELLS, raw]
    assert len(rows) - 1 == 13
    assert rows[12] == [
        "门户数据库",
        "members",
        "9",
        "registered_on",
        "2026-13-45",
        "日期无效",
        raw,
    ]
    assert sheet[12] == [*REJECTED_MEMBER_CELLS, raw]
    page_and_export = "\n".join(",".join(row) for row in rows) + page_table.to_csv()
    for secret in REJECTED_SECRETS:
        assert (secret in page_and_export) == (role == "admin"), secret
    masked_note = "原始内容已隐藏，值中的电话和邮箱已遮盖；只有管理员可以查看完整内容。"
    assert (masked_note in [c.value for c in at.caption]) == (role != "admin")


@pytest.mark.parametrize(("role", "staff"), [("sales_rep", "张伟"), ("after_sales", "赵敏")])
def test_rejected_rows_hidden_from_restricted(published, clicks, role, staff):
    add_rejected_member(published.snapshot)
    at = open_page("views/data_status.py", role=role, staff=staff)
    text = "\n".join(frame.value.to_csv() for frame in at.dataframe)

    # Sources, outcomes by reason and bot hits; no rejected-row table and no export of it.
    assert len(at.dataframe) == 3
    assert [info.value for info in at.info] == [
        "被拒绝的行含有原始数据，只有管理员、总监和高管可以查看；上表列出了各原因的行数。"
    ]
    assert "status.rejected.csv" not in [button.key for button in at.get("download_button")]
    for secret in REJECTED_SECRETS:
        assert secret not in text
    # The counts by reason stay: 7 unparseable lines, 3 invalid timestamps, 1 missing value.
    outcomes = at.dataframe[1].value
    assert outcomes["行数"].to_list()[:3] == [7, 3, 1]
