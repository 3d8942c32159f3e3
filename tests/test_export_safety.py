"""Exports: whole tables, streamed in chunks, formulas neutralised, numbers kept, audited."""

from __future__ import annotations

import csv
import io
import tracemalloc
from pathlib import Path

import duckdb
import openpyxl
import pandas as pd
import pytest
from signin import app_engine, ensure_user, sign_in
from streamlit.testing.v1 import AppTest

from dashboard import exports
from dashboard.navigation import pages_for
from dashboard.widgets import ExportAudit, build_export
from queries.access import Viewer
from store.audit import list_exports

REPO_ROOT = Path(__file__).resolve().parent.parent
DIRECTOR = Viewer("director", "director")

# Every dangerous first character, each next to a real number that must stay a number.
DANGEROUS = pd.DataFrame(
    {
        "text": ['=HYPERLINK("x")', "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd", "0571", "ok"],
        "phone": ["+86 138", "0138001", "-", "13800138000", "", "007", "0", "010-1234"],
        "amount": [-12.5, -3.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0],
        "count": pd.array([-1, -2, 0, 1, 2, 3, 4, None], dtype="Int64"),
    }
)
EXPECTED_TEXT = ['\'=HYPERLINK("x")', "'+1+1", "'-2+3", "'@SUM(A1)", "'\tcmd", "'\rcmd"]
EXPECTED_TEXT += ["0571", "ok"]
EXPECTED_PHONE = ["'+86 138", "0138001", "'-", "13800138000", "", "007", "0", "010-1234"]


def frame_rows(table: pd.DataFrame):
    return lambda: (list(table.columns), iter([table]))


def audit_for(published, name: str = "sample", filters=None) -> ExportAudit:
    # The export checks the account again on the click, so the user must exist.
    ensure_user("director")
    return ExportAudit(app_engine(), DIRECTOR, name, filters or {"health.segment": "化工"})


def test_xlsx_export_cells(published):
    handle = build_export(frame_rows(DANGEROUS), "xlsx", "sample", audit_for(published))
    sheet = openpyxl.load_workbook(io.BytesIO(handle)).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [row[0].replace("_x000D_", "\r") for row in rows] == EXPECTED_TEXT
    assert [row[1] for row in rows] == EXPECTED_PHONE
    assert [row[2] for row in rows] == [-12.5, -3, 0, 1, 2, 3, 4, 5]
    assert [row[3] for row in rows] == [-1, -2, 0, 1, 2, 3, 4, None]
    # Numbers are number cells (n), codes with leading zeros are text cells (s).
    assert sheet["C2"].data_type == "n"
    assert sheet["D3"].data_type == "n"
    assert sheet["B3"].data_type == "s"


def test_csv_export_cells(published):
    handle = build_export(frame_rows(DANGEROUS), "csv", "sample", audit_for(published))
    text = handle.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == ["text", "phone", "amount", "count"]
    assert [row[0] for row in rows[1:]] == EXPECTED_TEXT
    assert [row[1] for row in rows[1:]] == EXPECTED_PHONE
    # Negative numbers are written bare, so a spreadsheet reads them as numbers.
    assert [row[2] for row in rows[1:]] == [
        "-12.5",
        "-3.0",
        "0.0",
        "1.0",
        "2.0",
        "3.0",
        "4.0",
        "5.0",
    ]
    assert [row[3] for row in rows[1:]] == ["-1", "-2", "0", "1", "2", "3", "4", ""]


def test_each_export_audited(published):
    build_export(frame_rows(DANGEROUS), "csv", "sample", audit_for(published))
    build_export(frame_rows(DANGEROUS.head(3)), "xlsx", "health", audit_for(published, "health"))
    audit = list_exports(app_engine())
    assert audit[
        ["username", "role", "export_name", "file_format", "row_count"]
    ].values.tolist() == [
        ["director", "director", "health", "xlsx", 3],
        ["director", "director", "sample", "csv", 8],
    ]
    assert audit["filters"].tolist() == ['{"health.segment": "化工"}'] * 2
    assert audit["exported_at"].notna().all()


@pytest.fixture
def big_table(tmp_path) -> Path:
    """120,000 rows: an id, a text column with a formula-like value, and a negative amount."""
    path = tmp_path / "big.duckdb"
    con = duckdb.connect(str(path))
    con.execute(
        "create table members as select range as member_id, "
        "'=company ' || range as company_name, -range / 4 as amount, "
        "'rep' as sales_rep, 'svc' as after_sales_owner from range(120000)"
    )
    con.close()
    return path


def test_query_export_streams_in_chunks(big_table):
    con = duckdb.connect(str(big_table), read_only=True)
    cursor = con.cursor()
    cursor.execute("select * from members order by member_id")
    sizes = [len(chunk) for chunk in exports._chunks(cursor)]
    con.close()
    # 120,000 rows in chunks of at most 10 vectors * 2048 rows = 20,480: at least 6 chunks.
    assert sum(sizes) == 120_000
    assert max(sizes) <= 20_480
    assert len(sizes) >= 6


def test_query_export_whole_and_bounded_memory(big_table, tmp_path, monkeypatch):
    monkeypatch.setattr(exports, "query_text", lambda name: "select * from members")
    con = duckdb.connect(str(big_table), read_only=True)
    tracemalloc.start()
    full = con.execute("select * from members").df()
    _, full_peak = tracemalloc.get_traced_memory()
    del full
    tracemalloc.reset_peak()
    target = tmp_path / "out.csv"
    with target.open("wb") as handle:
        rows = exports.write_query_csv(con, "any", {}, Viewer("rep", "sales_rep", "rep"), handle)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    con.close()
    assert rows == 120_000
    # Fetching the whole result peaks near 30 MB of Python memory; streaming stays under a
    # quarter of that.
    assert peak < full_peak / 4, (peak, full_peak)
    lines = target.read_text(encoding="utf-8-sig").splitlines()
    assert len(lines) == 120_001
    assert lines[2] == "1,'=company 1,-0.25,rep,svc"


def test_transform_applied_per_chunk(big_table, monkeypatch):
    """A per-chunk transform gets every row once, in chunks, and keeps memory bounded."""
    monkeypatch.setattr(exports, "query_text", lambda name: "select * from members")
    con = duckdb.connect(str(big_table), read_only=True)
    sizes: list[int] = []

    def label_amounts(chunk: pd.DataFrame) -> pd.DataFrame:
        sizes.append(len(chunk))
        return pd.DataFrame({"会员ID": chunk["member_id"], "金额": chunk["amount"].abs()})

    tracemalloc.start()
    full = con.execute("select * from members").df()
    _, full_peak = tracemalloc.get_traced_memory()
    del full
    tracemalloc.reset_peak()
    _, chunks = exports.query_chunks(con, "members", {}, Viewer("a", "admin"))
    columns, chunks = exports.transform_chunks(chunks, label_amounts)
    rows = exports.write_csv(columns, chunks, io.BytesIO())
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    con.close()

    assert rows == 120_000
    assert columns == ["会员ID", "金额"]
    # 120,000 rows in chunks of at most 20,480: six or more calls, each row once.
    assert sum(sizes) == 120_000
    assert max(sizes) <= 20_480
    assert len(sizes) >= 6
    # About 30 MB to fetch all rows at once; streaming measured 7.7 MB, 1.8 MB of it the CSV
    # kept in the BytesIO.
    assert peak < full_peak / 2, (peak, full_peak)


def test_query_export_xlsx_whole(tmp_path, monkeypatch):
    """30,000 rows come in two chunks (20,480 + 9,520) and all reach the worksheet."""
    monkeypatch.setattr(exports, "query_text", lambda name: "select * from members")
    con = duckdb.connect(str(tmp_path / "mid.duckdb"))
    con.execute(
        "create table members as select range as member_id, -range as amount, "
        "'rep' as sales_rep, 'svc' as after_sales_owner from range(30000)"
    )
    target = tmp_path / "out.xlsx"
    rows = exports.write_query_xlsx(con, "members", {}, Viewer("a", "admin"), target)
    con.close()
    assert rows == 30_000
    sheet = openpyxl.load_workbook(target, read_only=True)["members"]
    values = list(sheet.iter_rows(values_only=True))
    assert len(values) == 30_001
    assert values[-1] == (29_999, -29_999, "rep", "svc")


def test_xlsx_continues_on_new_sheets(monkeypatch, tmp_path):
    """With 5 rows per sheet (header + 4), 10 rows fill sheets of 4, 4 and 2; none is lost."""
    monkeypatch.setattr(exports, "MAX_SHEET_ROWS", 5)
    table = pd.DataFrame({"n": range(10)})
    path = tmp_path / "split.xlsx"
    assert exports.write_xlsx(["n"], [table.iloc[:3], table.iloc[3:]], path, "data") == 10
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["data", "data (2)", "data (3)"]
    values = [
        [row[0] for row in book[name].iter_rows(values_only=True)] for name in book.sheetnames
    ]
    assert values == [["n", 0, 1, 2, 3], ["n", 4, 5, 6, 7], ["n", 8, 9]]


def test_audit_page_for_admin(published):
    build_export(
        frame_rows(DANGEROUS), "csv", "member_health", audit_for(published, "member_health")
    )
    at = sign_in(AppTest.from_file(REPO_ROOT / "app.py", default_timeout=60), "admin")
    at.run()
    at.switch_page("views/export_audit.py").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert table["用户名"].tolist() == ["director"]
    assert table["导出内容"].tolist() == ["member_health"]
    assert table["行数"].tolist() == [8]
    assert table["筛选条件"].tolist() == ['{"health.segment": "化工"}']


@pytest.mark.parametrize("role", ["director", "executive", "sales_rep", "after_sales"])
def test_audit_page_not_for_others(published, role):
    assert "views/export_audit.py" not in [page.file for page in pages_for(role)]
    alone = AppTest.from_file(REPO_ROOT / "views/export_audit.py", default_timeout=60)
    sign_in(alone, role, "赵敏" if role in ("sales_rep", "after_sales") else None).run()
    assert [error.value for error in alone.error] == ["只有管理员可以打开此页。"]
    assert not alone.dataframe


def _filters_script():
    import json

    import streamlit as st

    from dashboard.widgets import page_filters

    st.session_state.setdefault("health.segment", "化工")
    st.session_state.setdefault("health.band", None)
    st.session_state.setdefault("health.table", {"selection": {"rows": [1]}})
    st.session_state.setdefault("detail.other", "x")
    st.session_state.setdefault("health.password", "not-in-audit")
    st.query_params["member"] = "4"
    st.code(json.dumps(page_filters("health.export"), ensure_ascii=False, sort_keys=True))


def test_page_filters_from_session():
    """Scalar widget values under the export key's prefix and the URL query; nothing else."""
    at = AppTest.from_function(_filters_script).run()
    assert not at.exception
    assert at.code[0].value == '{"health.band": null, "health.segment": "化工", "url.member": "4"}'
