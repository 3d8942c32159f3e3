"""The 续费风险 page's queue exports: the files a click produces hold exactly the queue's rows.

The fixture snapshot (tests/snapshot_fixture.py with tests/renewal_fixture.py) as of
2026-03-31: every pending contract is scored by the health rule without events, so each risk
is 50%. Here member 3 is handed to after-sales owner 周杰; all others stay with 赵敏. A
director whose staff name is 赵敏 ticks "only my customers" and widens the queue to 200 days
(up to 2026-10-17):

    contract  member  end date    days left  amount  at risk  owner
    402       4       2026-06-30  91         59,800  29,900   赵敏
    201       2       2026-05-31  61         39,800  19,900   赵敏
    301       3       2026-03-31  0          19,800   9,900   周杰  (left out: not mine)
    501       5       2026-08-31  153        12,000   6,000   赵敏

Contracts 102 (275 days left) and 601 (355) end after the 200 days. The download buttons
build their file only on a click, in Streamlit's download thread; the test runs that same
deferred callable through Streamlit's media file manager and reads the finished file.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import duckdb
import openpyxl
import pytest
from signin import app_engine, sign_in
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest, app_test

from store import actions
from store.audit import list_exports

REPO_ROOT = Path(__file__).resolve().parent.parent
RISK = "views/renewal_risk.py"
TIMEOUT = 60

HEADERS = {
    "zh-CN": [
        "会员ID",
        "公司",
        "合同ID",
        "会员等级",
        "到期日",
        "剩余天数",
        "合同金额（元）",
        "流失风险",
        "预期流失金额（元）",
        "风险原因",
        "健康分",
        "售后负责人",
        "销售",
        "最近跟进",
    ],
    "en": [
        "Member ID",
        "Company",
        "Contract ID",
        "Tier",
        "End date",
        "Days left",
        "Contract amount (CNY)",
        "Churn risk",
        "Expected revenue at risk (CNY)",
        "Reasons",
        "Health score",
        "After-sales owner",
        "Sales rep",
        "Last contact",
    ],
}
# Member 2 has the contact recorded below as its last contact. The others have none ("—").
LAST_CONTACT = {"zh-CN": "已联系 2026-03-20", "en": "Contacted 2026-03-20"}


def expected_cells(language: str) -> list[list]:
    """The queue's rows as xlsx cells. No metric is below the peer median, so reasons are empty."""
    contact = LAST_CONTACT[language]
    return [
        [4, "上海华东化工有限公司", 402, "金牌", "2026-06-30", 91, 59800, "50.0%", 29900, "",
         50, "赵敏", "李娜", "—"],
        [2, "宁波精密机械有限公司", 201, "金牌", "2026-05-31", 61, 39800, "50.0%", 19900, "",
         30, "赵敏", "李娜", contact],
        [5, "南京新材料化工有限公司", 501, "银牌", "2026-08-31", 153, 12000, "50.0%", 6000, "",
         50, "赵敏", "王芳", "—"],
    ]  # fmt: skip


def expected_lines(language: str) -> list[str]:
    """The queue's rows as CSV lines: amounts and scores are written as Python floats."""
    contact = LAST_CONTACT[language]
    return [
        "4,上海华东化工有限公司,402,金牌,2026-06-30,91,59800.0,50.0%,29900.0,,50.0,赵敏,李娜,—",
        f"2,宁波精密机械有限公司,201,金牌,2026-05-31,61,39800.0,50.0%,19900.0,,30.0,赵敏,李娜,{contact}",
        "5,南京新材料化工有限公司,501,银牌,2026-08-31,153,12000.0,50.0%,6000.0,,50.0,赵敏,王芳,—",
    ]


@pytest.fixture
def media(monkeypatch: pytest.MonkeyPatch) -> list[MediaFileManager]:
    """Streamlit's media file managers that AppTest creates, one per run, in order."""
    managers: list[MediaFileManager] = []

    class RecordingMediaFileManager(MediaFileManager):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            managers.append(self)

    monkeypatch.setattr(app_test, "MediaFileManager", RecordingMediaFileManager)
    return managers


@pytest.fixture
def queue_portal(published):
    """The fixture snapshot with member 3 moved to 周杰, and one contact of member 2."""
    with duckdb.connect(str(published.snapshot)) as con:
        for table in ("members", "contract_renewals", "renewal_risk"):
            con.execute(f"update {table} set after_sales_owner = '周杰' where member_id = 3")
    actions.record_action(
        app_engine(),
        member_id=2,
        contract_id=201,
        action="contacted",
        action_on=dt.date(2026, 3, 20),
        recorded_by="zm",
    )
    return published


def open_my_queue(language: str) -> AppTest:
    at = sign_in(
        AppTest.from_file(REPO_ROOT / "app.py", default_timeout=TIMEOUT), "director", "赵敏"
    )
    at.session_state["lang"] = language
    at.run()
    at.switch_page(RISK).run()
    at.sidebar.checkbox(key="risk.mine").check().run()
    at.sidebar.number_input(key="risk.days").set_value(200).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def download(at: AppTest, media: list[MediaFileManager], key: str) -> bytes:
    """Click the download button `key` as the browser would: run its deferred file."""
    file_id = at.download_button(key=key).proto.deferred_file_id
    # The last run registered the buttons shown now, on that run's manager.
    manager = media[-1]
    url = manager.execute_deferred(file_id)
    return manager.read_file(url.rsplit("/", 1)[1]).content


def xlsx_rows(content: bytes) -> list[list]:
    book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    assert len(book.sheetnames) == 1
    return [list(row) for row in book[book.sheetnames[0]].iter_rows(values_only=True)]


def csv_lines(content: bytes) -> list[str]:
    assert content.startswith(b"\xef\xbb\xbf")  # the UTF-8 byte-order mark Excel needs
    return content.decode("utf-8-sig").split("\r\n")


@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_queue_exports_hold_queue_rows(queue_portal, media, language: str) -> None:
    at = open_my_queue(language)
    table = at.dataframe[0].value

    xlsx = xlsx_rows(download(at, media, "risk.export.xlsx"))
    lines = csv_lines(download(at, media, "risk.export.csv"))

    assert list(table.columns) == HEADERS[language]
    assert table[HEADERS[language][2]].to_list() == [402, 201, 501]
    assert xlsx[0] == HEADERS[language]
    assert xlsx[1:] == expected_cells(language)
    assert lines[0] == ",".join(HEADERS[language])
    assert lines[1:] == [*expected_lines(language), ""]


def test_xlsx_amounts_are_numbers(queue_portal, media) -> None:
    at = open_my_queue("zh-CN")

    xlsx = xlsx_rows(download(at, media, "risk.export.xlsx"))

    contract_ids = [row[2] for row in xlsx[1:]]
    amounts = [row[6] for row in xlsx[1:]]
    at_risk = [row[8] for row in xlsx[1:]]
    days_left = [row[5] for row in xlsx[1:]]
    assert contract_ids == [402, 201, 501]
    assert all(isinstance(value, int | float) for value in [*amounts, *at_risk, *days_left])
    assert sum(amounts) == 111600  # 59,800 + 39,800 + 12,000
    assert sum(at_risk) == 55800  # half of each
    assert days_left == [91, 61, 153]


def test_queue_exports_audited(queue_portal, media) -> None:
    at = open_my_queue("zh-CN")

    download(at, media, "risk.export.xlsx")
    download(at, media, "risk.export.csv")

    audit = list_exports(app_engine()).sort_values("id")
    assert audit["export_name"].to_list() == ["renewal_risk_queue", "renewal_risk_queue"]
    assert audit["file_format"].to_list() == ["xlsx", "csv"]
    assert audit["row_count"].to_list() == [3, 3]
    assert audit["username"].to_list() == ["director", "director"]
    filters = json.loads(audit["filters"].iloc[0])
    assert filters["risk.mine"] is True
    assert filters["risk.days"] == 200
