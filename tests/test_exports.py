"""xlsx and CSV export bytes: read back, formulas neutralised, numbers numeric, codes as text."""

from __future__ import annotations

import csv
import io

import duckdb
import openpyxl
import pandas as pd
import pytest

from dashboard.exports import neutralise, to_csv_bytes, to_xlsx_bytes
from dashboard.tables import health_table
from queries import run_query
from queries.access import Viewer

TEXTS = ["=1+2", "-x", "@SUM(A1)", "+86 571", "\tx", "\rx", "0571-1234", "plain", "中文"]
EXPECTED_TEXTS = [
    "'=1+2",
    "'-x",
    "'@SUM(A1)",
    "'+86 571",
    "'\tx",
    "'\rx",
    "0571-1234",
    "plain",
    "中文",
]


def sample() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "text": TEXTS,
            "count": pd.array([-5, 0, 1, 2, 3, 4, 5, 6, None], dtype="Int64"),
            "share": [3.5, -0.25, 0.0, 1.0, 2.5, 3.0, 4.0, 5.0, None],
        }
    )


def read_xlsx(data: bytes) -> list[list]:
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    return [[unescape(cell.value) for cell in row] for row in sheet.iter_rows()]


def unescape(value):
    # XlsxWriter stores a carriage return as the OOXML escape _x000D_, which Excel decodes
    # and openpyxl 3.1 leaves as it is.
    return value.replace("_x000D_", "\r") if isinstance(value, str) else value


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("=1+2", "'=1+2"),
        ("-x", "'-x"),
        ("@SUM", "'@SUM"),
        ("+86", "'+86"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("0571-1234", "0571-1234"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_neutralise(text, expected):
    assert neutralise(text) == expected


def test_xlsx_round_trip():
    rows = read_xlsx(to_xlsx_bytes(sample(), "sample"))
    assert rows[0] == ["text", "count", "share"]
    assert [row[0] for row in rows[1:]] == EXPECTED_TEXTS
    assert [row[1] for row in rows[1:]] == [-5, 0, 1, 2, 3, 4, 5, 6, None]
    assert [row[2] for row in rows[1:]] == [3.5, -0.25, 0, 1, 2.5, 3, 4, 5, None]


def test_xlsx_cell_types():
    sheet = openpyxl.load_workbook(io.BytesIO(to_xlsx_bytes(sample()))).active
    assert sheet["A2"].data_type == "s"
    assert sheet["A8"].value == "0571-1234"
    assert sheet["A8"].data_type == "s"
    assert sheet["B2"].data_type == "n"
    assert sheet["B2"].value == -5
    assert sheet["C2"].value == 3.5


def test_csv_round_trip():
    rows = read_csv(to_csv_bytes(sample()))
    assert rows[0] == ["text", "count", "share"]
    assert [row[0] for row in rows[1:]] == EXPECTED_TEXTS
    assert [row[1] for row in rows[1:]] == ["-5", "0", "1", "2", "3", "4", "5", "6", ""]
    assert rows[1][2] == "3.5"
    assert rows[-1] == ["中文", "", ""]


def test_formula_header_neutralised():
    frame = pd.DataFrame({"=cmd": [1]})
    assert read_xlsx(to_xlsx_bytes(frame))[0] == ["'=cmd"]
    assert read_csv(to_csv_bytes(frame))[0] == ["'=cmd"]


def test_health_table_export(published):
    """The export of the health table keeps numbers numeric and neutralises member 6's name."""
    con = duckdb.connect(str(published.current), read_only=True)
    try:
        health = run_query(
            con,
            "member_health_list",
            {"segment": "化工", "tier": None, "sales_rep": None, "band": None},
            viewer=Viewer("director", "director"),
        )
    finally:
        con.close()
    rows = read_xlsx(to_xlsx_bytes(health_table(health, "zh-CN")))

    assert rows[0][:6] == ["会员ID", "公司", "行业", "会员等级", "销售", "点击次数"]
    # Members 4, 5, 6 in score order; 6 is onboarding with no score.
    assert [row[0] for row in rows[1:]] == [4, 5, 6]
    assert rows[3][1] == "'=常州涂料化工有限公司"
    assert rows[1][5] == 900
    assert rows[3][11] is None
    assert rows[1][12] == "关注"
    assert rows[1][13] == "下降：广告点击次数"
