"""Export clicks after the idle limit or an account change: a notice file, one WARNING, no audit.

The download button runs build_export in Streamlit's download thread, without a rerun, so
the session's own idle check does not run at the click. Clicks go through Streamlit's real
MediaFileManager (execute_deferred), as the browser's request does.
"""

from __future__ import annotations

import csv
import io
import logging
import time
from pathlib import Path
from typing import ClassVar

import openpyxl
import pandas as pd
import pytest
import streamlit.testing.v1.app_test as app_test_module
from signin import app_engine, ensure_user, sign_in
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from dashboard import widgets
from dashboard.widgets import ExportAudit, ExportRejected, build_export, check_account
from queries.access import Viewer
from store import users
from store.audit import list_exports

REPO_ROOT = Path(__file__).resolve().parent.parent
DIRECTOR = Viewer("director", "director")
TABLE = pd.DataFrame({"n": [1, 2, 3]})
IDLE_NOTICE_ZH = (
    "页面无操作的时间已超过会话空闲时限，因此未导出任何数据。请刷新页面、重新登录后再导出。"
)
ACCOUNT_NOTICE_ZH = (
    "打开页面后您的账号已被停用或角色已变更，因此未导出任何数据。请刷新页面后再导出。"
)


def table_rows():
    return ["n"], iter([TABLE])


def csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def widget_warnings(caplog) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == "dashboard.widgets" and record.levelno >= logging.WARNING
    ]


def test_check_account_idle_limit(published):
    ensure_user("director")
    # Rendered at t = 1000 s with a 60 s limit: 59 s later passes, 75 s later is rejected.
    audit = ExportAudit(app_engine(), DIRECTOR, "sample", {}, 1000.0, 60, "zh-CN")

    check_account(audit, now=1059.0)
    with pytest.raises(ExportRejected) as info:
        check_account(audit, now=1075.0)

    assert info.value.reason == "idle_expired"
    assert str(info.value) == (
        "The page ran 75 s before the click, more than the idle limit of 60 s; reload the "
        "page and sign in again to export."
    )


def test_idle_export_gives_notice(published, caplog):
    ensure_user("director")
    audit = ExportAudit(app_engine(), DIRECTOR, "sample", {}, time.time() - 75, 60, "zh-CN")

    data = build_export(table_rows, "csv", "sample", audit)

    assert csv_rows(data) == [["导出被拒绝"], [IDLE_NOTICE_ZH]]
    assert list_exports(app_engine()).empty
    assert widget_warnings(caplog) == [
        "Export sample (csv) rejected for user director: idle_expired"
    ]


def test_idle_xlsx_notice_in_english(published):
    ensure_user("director")
    audit = ExportAudit(app_engine(), DIRECTOR, "sample", {}, time.time() - 75, 60, "en")

    data = build_export(table_rows, "xlsx", "sample", audit)

    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert [row for row in sheet.iter_rows(values_only=True)] == [
        ("Export rejected",),
        (
            "The page was open without activity for longer than the session idle limit, so "
            "no data was exported. Reload the page, sign in again and export once more.",
        ),
    ]


def test_export_within_limit_delivered(published):
    ensure_user("director")
    audit = ExportAudit(app_engine(), DIRECTOR, "sample", {}, time.time() - 30, 60, "zh-CN")

    data = build_export(table_rows, "csv", "sample", audit)

    assert csv_rows(data) == [["n"], ["1"], ["2"], ["3"]]
    assert list_exports(app_engine())["row_count"].tolist() == [3]


# --- clicks on a page ------------------------------------------------------------------


class RecordingManager(MediaFileManager):
    """Streamlit's own manager, kept so that the test can click the page's downloads."""

    created: ClassVar[list[RecordingManager]] = []

    def __init__(self, storage) -> None:
        super().__init__(storage)
        RecordingManager.created.append(self)


@pytest.fixture
def health_page(published, monkeypatch) -> AppTest:
    """The health page, signed in as a sales rep, with a 1-minute idle limit."""
    with published.config.open("a", encoding="utf-8") as handle:
        handle.write("\n[auth]\nsession_idle_minutes = 1\n")
    RecordingManager.created = []
    monkeypatch.setattr(app_test_module, "MediaFileManager", RecordingManager)
    at = sign_in(AppTest.from_file(REPO_ROOT / "app.py", default_timeout=60), "sales_rep", "张伟")
    at.run()
    at.switch_page("views/member_health.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def click(at: AppTest, key: str) -> bytes:
    file_id = at.download_button(key=key).proto.deferred_file_id
    manager = RecordingManager.created[-1]
    url = manager.execute_deferred(file_id)
    return manager.read_file(url.rsplit("/", 1)[1]).content


def test_page_click_after_idle_limit(health_page, monkeypatch, caplog):
    # 75 s after the page ran, against the configured limit of 1 minute = 60 s.
    later = time.time() + 75
    monkeypatch.setattr(widgets.time, "time", lambda: later)

    data = click(health_page, "health.export.csv")

    assert csv_rows(data) == [["导出被拒绝"], [IDLE_NOTICE_ZH]]
    assert list_exports(app_engine()).empty
    assert widget_warnings(caplog) == [
        "Export member_health (csv) rejected for user sales_rep: idle_expired"
    ]


@pytest.mark.parametrize("change", ["disabled", "role", "deleted"])
def test_page_click_after_account_change(health_page, caplog, change):
    engine = app_engine()
    if change == "disabled":
        users.set_disabled(engine, "sales_rep", True)
    elif change == "role":
        users.set_role(engine, "sales_rep", "sales_rep", "李娜")
    else:
        with engine.begin() as connection:
            connection.execute(users.users.delete().where(users.users.c.username == "sales_rep"))

    data = click(health_page, "health.export.csv")

    assert csv_rows(data) == [["导出被拒绝"], [ACCOUNT_NOTICE_ZH]]
    assert list_exports(app_engine()).empty
    assert widget_warnings(caplog) == [
        "Export member_health (csv) rejected for user sales_rep: account_changed"
    ]
    # Streamlit logs a traceback only for an exception from the callable; there is none.
    assert not [record for record in caplog.records if record.exc_info]


def test_page_click_in_time_delivered(health_page):
    data = click(health_page, "health.export.csv")

    rows = csv_rows(data)
    # 张伟 is the sales rep of members 1 and 3 in the fixture: a header and two rows.
    assert len(rows) == 3
    assert list_exports(app_engine())["row_count"].tolist() == [2]
