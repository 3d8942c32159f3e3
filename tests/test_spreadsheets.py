"""Staff spreadsheets read from real xlsx and CSV files in UTF-8, GBK, GB18030 and more."""

import datetime as dt
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import xlsxwriter

from etl.config import SheetConfig
from etl.errors import ConfigError, SourceError
from etl.rows import Rejection
from etl.spreadsheets import read_call_counts, read_sales_targets

TARGET_COLUMNS = {"month": "月份", "sales_rep": "销售", "target_cny": "目标金额"}
CALL_COLUMNS = {"month": "月份", "sales_rep": "销售", "calls": "通话次数"}

# The same call-count sheet as staff type it: three month spellings, a count with a thousands
# separator and one with 次. GBK can encode every character in it.
CALLS_TEXT = (
    '月份,销售,通话次数\r\n2026年3月,张三,120\r\n2026/3,李四,"1,200"\r\n2026-04,张三,95次\r\n'
)


def sheet_config(path, columns=CALL_COLUMNS, sheet="", encoding="auto"):
    return SheetConfig(file=path, sheet=sheet, columns=dict(columns), encoding=encoding)


def write_bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def expected_frame(rows, value_column, dtype):
    return pd.DataFrame(
        {
            "month": pd.Series([row[0] for row in rows], dtype=object),
            "sales_rep": pd.Series([row[1] for row in rows], dtype="str"),
            value_column: pd.Series([row[2] for row in rows], dtype=dtype),
        }
    )


def build_xlsx(path: Path, rows, title="Sheet1", extra_sheets=()):
    workbook = openpyxl.Workbook()
    worksheet = workbook.active
    worksheet.title = title
    for row in rows:
        worksheet.append(list(row))
    for name in extra_sheets:
        workbook.create_sheet(name).append(["说明"])
    workbook.save(path)
    return worksheet, path


# --- encodings -------------------------------------------------------------------------------


@pytest.mark.parametrize("setting", ["auto", "explicit"])
def test_three_encodings_same_rows(tmp_path, setting):
    # GBK and GB18030 encode these characters to the same bytes; the UTF-8 file differs.
    files = {
        "gbk": write_bytes(tmp_path / "calls_gbk.csv", CALLS_TEXT.encode("gbk")),
        "gb18030": write_bytes(tmp_path / "calls_gb18030.csv", CALLS_TEXT.encode("gb18030")),
        "utf-8-sig": write_bytes(tmp_path / "calls_bom.csv", CALLS_TEXT.encode("utf-8-sig")),
    }
    # Hand check: 2026年3月 and 2026/3 are March, "1,200" is 1200, 95次 is 95.
    expected = expected_frame(
        [
            (dt.date(2026, 3, 1), "张三", 120),
            (dt.date(2026, 3, 1), "李四", 1200),
            (dt.date(2026, 4, 1), "张三", 95),
        ],
        "calls",
        "int64",
    )

    for encoding, path in files.items():
        config = sheet_config(path, encoding="auto" if setting == "auto" else encoding)
        data = read_call_counts(config)

        pd.testing.assert_frame_equal(data.rows, expected)
        assert data.rejections == []
        assert data.stats.source == "call_counts"
        assert data.stats.file == str(path)
        assert (data.stats.read, data.stats.loaded) == (3, 3)
        assert (data.stats.data_from, data.stats.data_to) == ("2026-03-01", "2026-04-01")
        assert data.stats.reconciles()


def test_gb18030_character_outside_gbk(tmp_path):
    # 䶮 (U+4DAE) is the two bytes FE 9F in GB18030, a code that GBK leaves unassigned.
    text = "月份,销售,通话次数\n2026-03,李䶮,80\n"
    path = write_bytes(tmp_path / "calls.csv", text.encode("gb18030"))

    for encoding in ("auto", "gb18030"):
        data = read_call_counts(sheet_config(path, encoding=encoding))

        assert data.rows["sales_rep"].tolist() == ["李䶮"]
        assert data.rows["calls"].tolist() == [80]


def test_explicit_gbk_decode_error_names_offset(tmp_path):
    text = "月份,销售,通话次数\n2026-03,李䶮,80\n"
    path = write_bytes(tmp_path / "calls.csv", text.encode("gb18030"))

    with pytest.raises(SourceError) as caught:
        read_call_counts(sheet_config(path, encoding="gbk"))

    # Line 1 has 8 two-byte characters, two commas and a newline: 19 bytes. On line 2,
    # "2026-03," is 8 bytes and 李 is 2, so 䶮 starts at byte 19 + 8 + 2 = 29.
    message = str(caught.value)
    assert str(path) in message
    assert "line 2, byte offset 29" in message
    assert "spreadsheets.encoding" in message
    assert "gb18030" in message


def test_explicit_gbk_on_utf8_file(tmp_path):
    path = write_bytes(tmp_path / "calls.csv", CALLS_TEXT.encode("utf-8"))

    with pytest.raises(SourceError) as caught:
        read_call_counts(sheet_config(path, encoding="gbk"))

    # UTF-8 月份 is E6 9C 88 E4 BB BD, then ",", then 销 E9 94 80: GBK reads E6 9C, 88 E4,
    # BB BD, the comma, then E9 94; the lone 80 at byte 9 is invalid.
    assert "line 1, byte offset 9" in str(caught.value)


def test_explicit_utf8_on_gbk_file(tmp_path):
    text = "month,rep,calls\r\n2026-03,张三,120\r\n"
    path = write_bytes(tmp_path / "calls.csv", text.encode("gbk"))
    columns = {"month": "month", "sales_rep": "rep", "calls": "calls"}

    with pytest.raises(SourceError) as caught:
        read_call_counts(sheet_config(path, columns=columns, encoding="utf-8"))

    # Line 1 is 17 bytes with its CRLF, and "2026-03," 8 more, so GBK 张 (D5 C5) starts at 25.
    message = str(caught.value)
    assert "line 2, byte offset 25: bytes d5 are not valid utf-8;" in message
    assert "spreadsheets.encoding" in message


def test_explicit_utf8_accepts_bom(tmp_path):
    path = write_bytes(tmp_path / "calls.csv", CALLS_TEXT.encode("utf-8-sig"))

    data = read_call_counts(sheet_config(path, encoding="utf-8"))

    assert data.rows["calls"].tolist() == [120, 1200, 95]


def test_big5_detected_by_charset_normalizer(tmp_path):
    # Big5 bytes also decode as GB18030 but into the wrong characters, so the header check
    # rejects that reading. charset-normalizer's guess (big5) then finds the headers.
    text = "月份,銷售,通話次數\n2026-03,陳大文,120\n2026-04,林小美,95\n"
    path = write_bytes(tmp_path / "calls.csv", text.encode("big5"))
    columns = {"month": "月份", "sales_rep": "銷售", "calls": "通話次數"}

    data = read_call_counts(sheet_config(path, columns=columns))

    assert data.rows["sales_rep"].tolist() == ["陳大文", "林小美"]
    assert data.rows["calls"].tolist() == [120, 95]


def test_utf16_tab_separated_text(tmp_path):
    # Excel's "Unicode text" export: UTF-16 with a byte-order mark, fields split by tabs.
    text = "月份\t销售\t通话次数\r\n2026-03\t张三\t120\r\n"
    path = write_bytes(tmp_path / "calls.txt", text.encode("utf-16"))

    data = read_call_counts(sheet_config(path))

    pd.testing.assert_frame_equal(
        data.rows, expected_frame([(dt.date(2026, 3, 1), "张三", 120)], "calls", "int64")
    )


# --- xlsx ------------------------------------------------------------------------------------


def test_sales_targets_xlsx_with_title_row(tmp_path):
    worksheet, path = build_xlsx(
        tmp_path / "targets.xlsx",
        [
            ["2026年销售目标（单位：元）"],
            [None],
            ["月份", "销售", "目标金额\u3000", "备注"],
            [dt.datetime(2026, 3, 1), "张三", "¥120,000.00", None],
            ["2026年3月", " 李四 ", "12万", "新人"],
            ["2026/4", "张三", 150000, None],
            [None, None, None, None],
            ["2026-04", "李四", 98765.43, None],
            ["合计", None, "=SUM(C4:C8)", None],
        ],
    )
    worksheet["A4"].number_format = "yyyy年m月"
    worksheet.parent.save(path)

    data = read_sales_targets(sheet_config(path, columns=TARGET_COLUMNS))

    # Rows 4 to 9 are data. Row 7 is blank and row 9 is a totals row, so both are skipped and
    # four rows load. ¥120,000.00 and 12万 are both 120000, and number cells keep their values.
    expected = expected_frame(
        [
            (dt.date(2026, 3, 1), "张三", 120000.0),
            (dt.date(2026, 3, 1), "李四", 120000.0),
            (dt.date(2026, 4, 1), "张三", 150000.0),
            (dt.date(2026, 4, 1), "李四", 98765.43),
        ],
        "target_cny",
        "float64",
    )
    pd.testing.assert_frame_equal(data.rows, expected)
    assert data.rejections == []
    assert data.stats.source == "sales_targets"
    assert (data.stats.read, data.stats.loaded) == (6, 4)
    assert dict(data.stats.skipped) == {"blank_row": 1, "total_row": 1}
    assert data.stats.reconciles()


def test_xlsx_written_by_xlsxwriter(tmp_path):
    # XlsxWriter stores text in the shared-strings table, as Excel does, while openpyxl 3.1
    # writes inline strings, so this reads a second layout of the same data.
    path = tmp_path / "targets.xlsx"
    workbook = xlsxwriter.Workbook(path)
    worksheet = workbook.add_worksheet("目标")
    month_format = workbook.add_format({"num_format": "yyyy年m月"})
    worksheet.write_row(0, 0, ["月份", "销售", "目标金额"])
    worksheet.write_datetime(1, 0, dt.datetime(2026, 6, 1), month_format)
    worksheet.write_row(1, 1, ["王五", "1,000万元"])
    worksheet.write_row(2, 0, ["2026年6月", "赵六", "1.5亿"])
    workbook.close()

    data = read_sales_targets(sheet_config(path, columns=TARGET_COLUMNS))

    assert data.rows.to_dict("records") == [
        {"month": dt.date(2026, 6, 1), "sales_rep": "王五", "target_cny": 10_000_000.0},
        {"month": dt.date(2026, 6, 1), "sales_rep": "赵六", "target_cny": 150_000_000.0},
    ]


def test_xlsx_rejections_use_worksheet_rows(tmp_path):
    _, path = build_xlsx(
        tmp_path / "targets.xlsx",
        [
            ["销售目标"],
            ["月份", "销售", "目标金额"],
            ["2026-03", "张三", "十二万"],
            ["2026-03", "李四", -5000],
            ["2026-03", "王五", "1,000万元"],
            ["2026-03", "王五", "500(万元人民币)"],
            ["2026-03", "赵六", None],
        ],
    )

    data = read_sales_targets(sheet_config(path, columns=TARGET_COLUMNS))

    assert data.rows["target_cny"].tolist() == [10_000_000.0]
    assert [(r.line_no, r.reason, r.column, r.value) for r in data.rejections] == [
        (3, "invalid_amount", "目标金额", "十二万"),
        (4, "invalid_amount", "目标金额", "-5000"),
        (6, "duplicate_row", None, "2026-03 王五"),
        (7, "missing_value", "目标金额", ""),
    ]
    assert data.rejections[0].raw == "2026-03\t张三\t十二万"
    assert dict(data.stats.rejected) == {
        "invalid_amount": 2,
        "duplicate_row": 1,
        "missing_value": 1,
    }
    assert data.stats.reconciles()


def test_xlsx_named_worksheet(tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active.title = "说明"
    workbook.active.append(["本表由销售部维护"])
    targets = workbook.create_sheet("目标")
    targets.append(["月份", "销售", "目标金额"])
    targets.append(["2026-05", "张三", "3.1万"])
    path = tmp_path / "targets.xlsx"
    workbook.save(path)

    data = read_sales_targets(sheet_config(path, columns=TARGET_COLUMNS, sheet="目标"))

    assert data.rows.to_dict("records") == [
        {"month": dt.date(2026, 5, 1), "sales_rep": "张三", "target_cny": 31000.0}
    ]


def test_xlsx_unknown_worksheet(tmp_path):
    _, path = build_xlsx(tmp_path / "targets.xlsx", [["月份"]], title="目标")

    with pytest.raises(SourceError) as caught:
        read_sales_targets(sheet_config(path, columns=TARGET_COLUMNS, sheet="2026"))

    message = str(caught.value)
    assert "'2026' not found" in message
    assert "目标" in message
    assert "spreadsheets.sales_targets.sheet" in message


def test_call_counts_from_xlsx(tmp_path):
    _, path = build_xlsx(
        tmp_path / "calls.xlsx",
        [["月份", "销售", "通话次数"], [202603, "张三", 120], ["2026-03", "李四", "88次"]],
    )

    data = read_call_counts(sheet_config(path))

    assert data.rows["month"].tolist() == [dt.date(2026, 3, 1)] * 2
    assert data.rows["calls"].tolist() == [120, 88]


# --- headers ---------------------------------------------------------------------------------


def test_missing_column_xlsx(tmp_path):
    _, path = build_xlsx(
        tmp_path / "targets.xlsx", [["月份", "销售", "目标"], ["2026-03", "张三", 100]]
    )

    with pytest.raises(SourceError) as caught:
        read_sales_targets(sheet_config(path, columns=TARGET_COLUMNS))

    message = str(caught.value)
    assert str(path) in message
    assert "required column 目标金额 (spreadsheets.sales_targets.columns.target_cny)" in message
    assert "the header row (line 1) has: 月份, 销售, 目标" in message
    assert "rename the column or set the key" in message


def test_missing_column_csv_gbk(tmp_path):
    text = "通话统计\n月份,销售员,次数\n2026-03,张三,1\n"
    path = write_bytes(tmp_path / "calls.csv", text.encode("gbk"))

    with pytest.raises(SourceError) as caught:
        read_call_counts(sheet_config(path))

    message = str(caught.value)
    assert "销售 (spreadsheets.call_counts.columns.sales_rep)" in message
    assert "通话次数 (spreadsheets.call_counts.columns.calls)" in message
    assert "(line 2) has: 月份, 销售员, 次数" in message


def test_headers_match_after_normalising(tmp_path):
    # Full-width letters, an ideographic space, a space inside 销 售 and another case.
    text = "\ufeff 月份 ,销 售,ＴＡＲＧＥＴ\u3000\n2026-03,张三,1.2万\n"
    path = write_bytes(tmp_path / "targets.csv", text.encode("utf-8"))
    columns = {"month": "月份", "sales_rep": "销售", "target_cny": "Target"}

    data = read_sales_targets(sheet_config(path, columns=columns))

    assert data.rows["target_cny"].tolist() == [12000.0]


def test_header_below_ten_rows_not_found(tmp_path):
    rows = [["标题"]] * 10 + [["月份", "销售", "通话次数"], ["2026-03", "张三", 1]]
    _, path = build_xlsx(tmp_path / "calls.xlsx", rows)

    with pytest.raises(SourceError, match="not found in the first 10 rows"):
        read_call_counts(sheet_config(path))


def test_duplicate_header(tmp_path):
    path = write_bytes(tmp_path / "calls.csv", "月份,销售,通话次数,销售\n".encode())

    with pytest.raises(SourceError, match=r"column 销售 appears more than once .*columns B, D"):
        read_call_counts(sheet_config(path))


def test_partial_columns_use_defaults(tmp_path):
    text = "月份,销售,本月目标\n2026-03,张三,500(万元)\n"
    path = write_bytes(tmp_path / "targets.csv", text.encode("gb18030"))

    data = read_sales_targets(sheet_config(path, columns={"target_cny": "本月目标"}))

    assert data.rows["target_cny"].tolist() == [5_000_000.0]


# --- rows ------------------------------------------------------------------------------------


def test_csv_rejections_with_line_numbers(tmp_path):
    lines = [
        "月份,销售,通话次数,备注",  # 1
        "2026-03,张三,120,",  # 2 loaded
        "2026-13,李四,80,",  # 3 invalid_month
        "2026-03,,50,",  # 4 missing_value (销售)
        "2026-03,王五,12.5,",  # 5 invalid_count
        "",  # 6 blank_row
        "2026-03,赵六,-3,",  # 7 invalid_count
        "2026/3,张三,130,",  # 8 duplicate_row of line 2
        '2026-04,孙八,,"第一行',  # 9 missing_value; the quoted note runs on to line 10
        '第二行"',  # 10
        "2026-04,周九,七十,",  # 11 invalid_count
        "2026-04,吴十,70,",  # 12 loaded
    ]
    path = write_bytes(tmp_path / "calls.csv", ("\n".join(lines) + "\n").encode("gbk"))

    data = read_call_counts(sheet_config(path))

    assert data.rows.to_dict("records") == [
        {"month": dt.date(2026, 3, 1), "sales_rep": "张三", "calls": 120},
        {"month": dt.date(2026, 4, 1), "sales_rep": "吴十", "calls": 70},
    ]
    file = str(path)
    assert data.rejections == [
        Rejection("call_counts", file, 3, "invalid_month", "月份", "2026-13", "2026-13,李四,80,"),
        Rejection("call_counts", file, 4, "missing_value", "销售", "", "2026-03,,50,"),
        Rejection("call_counts", file, 5, "invalid_count", "通话次数", "12.5", lines[4]),
        Rejection("call_counts", file, 7, "invalid_count", "通话次数", "-3", lines[6]),
        Rejection("call_counts", file, 8, "duplicate_row", None, "2026-03 张三", lines[7]),
        Rejection("call_counts", file, 9, "missing_value", "通话次数", "", "\n".join(lines[8:10])),
        Rejection("call_counts", file, 11, "invalid_count", "通话次数", "七十", lines[10]),
    ]
    # Ten records below the header (lines 9 and 10 are one): 2 loaded + 1 blank + 7 rejected.
    stats = data.stats
    assert (stats.read, stats.loaded) == (10, 2)
    assert dict(stats.skipped) == {"blank_row": 1}
    assert dict(stats.rejected) == {
        "invalid_month": 1,
        "missing_value": 2,
        "invalid_count": 3,
        "duplicate_row": 1,
    }
    assert stats.reconciles()


def test_short_row_is_missing_value(tmp_path):
    path = write_bytes(tmp_path / "calls.csv", "月份,销售,通话次数\n2026-03,张三\n".encode())

    data = read_call_counts(sheet_config(path))

    assert [(r.line_no, r.reason, r.column) for r in data.rejections] == [
        (2, "missing_value", "通话次数")
    ]


# --- whole-file problems ---------------------------------------------------------------------


def test_not_configured_returns_empty(tmp_path):
    data = read_sales_targets(sheet_config(None, columns=TARGET_COLUMNS))

    assert data.stats is None
    assert data.rejections == []
    assert list(data.rows.columns) == ["month", "sales_rep", "target_cny"]
    assert data.rows.empty
    assert str(data.rows["target_cny"].dtype) == "float64"


def test_missing_file(tmp_path):
    path = tmp_path / "nowhere.csv"

    with pytest.raises(SourceError) as caught:
        read_call_counts(sheet_config(path))

    assert str(path) in str(caught.value)
    assert "spreadsheets.call_counts.file" in str(caught.value)


def test_empty_csv(tmp_path):
    path = write_bytes(tmp_path / "calls.csv", b"\n\n")

    with pytest.raises(SourceError, match="the sheet is empty"):
        read_call_counts(sheet_config(path))


def test_corrupt_xlsx(tmp_path):
    path = write_bytes(tmp_path / "targets.xlsx", "月份,销售\n".encode())

    with pytest.raises(SourceError, match="not a readable xlsx workbook"):
        read_sales_targets(sheet_config(path, columns=TARGET_COLUMNS))


@pytest.mark.parametrize(("name", "message"), [("t.xls", "old .xls"), ("t.ods", "'.ods'")])
def test_unsupported_extension(tmp_path, name, message):
    path = write_bytes(tmp_path / name, b"x")

    with pytest.raises(SourceError, match=message):
        read_sales_targets(sheet_config(path, columns=TARGET_COLUMNS))


@pytest.mark.parametrize(
    ("columns", "key"),
    [
        ({"month": 3}, "spreadsheets.sales_targets.columns.month"),
        ({"target_cny": ""}, "spreadsheets.sales_targets.columns.target_cny"),
        ({"target": "目标"}, "spreadsheets.sales_targets.columns.target"),
        ({"sales_rep": "月份"}, "spreadsheets.sales_targets.columns"),
    ],
)
def test_bad_columns_key(tmp_path, columns, key):
    path = write_bytes(tmp_path / "targets.csv", "月份,销售,目标金额\n".encode())

    with pytest.raises(ConfigError) as caught:
        read_sales_targets(sheet_config(path, columns=columns))

    assert key in str(caught.value)
