"""Import of industry lists (GBK CSV, xlsx) and their matching with registered members."""

from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from etl.errors import SourceError
from etl.universe import LIST_COLUMNS, match_universe, read_universe

COLUMNS = {
    "company_name": "企业名称",
    "segment": "行业",
    "province": "省份",
    "registered_capital": "注册资本",
    "staff_count": "员工人数",
    "credit_code": "统一社会信用代码",
}
# Valid codes; the check characters are worked out in tests/test_company_names.py.
CODE_A = "91320200MA1MX3K8Y1"
CODE_B = "91440300708461136T"
CODE_C = "11100000000013127D"

CSV_TEXT = (
    "2026年行业企业名录,,,,,\n"
    "企业名称,行业,省份,注册资本,员工人数,统一社会信用代码\n"
    f'江苏恒达机械有限公司,工程机械行业,江苏省,"1,000万元",1200,{CODE_A}\n'
    "东方精机股份有限公司,机床工具,浙江省,3.1万,12,\n"
    "华宇重工有限公司,工程机械行业,山东省,500(万元人民币),-,91320200MA1MX3K8Y2\n"
    ",机床工具,浙江省,100万,,\n"
    "坏金额有限公司,机床工具,浙江省,很多,,\n"
    ",,,,,\n"
    "合计,,,,,\n"
)


def write_gbk_csv(path: Path) -> Path:
    path.write_bytes(CSV_TEXT.encode("gbk"))
    return path


def test_gbk_csv_rows_amounts_and_rejections(tmp_path: Path) -> None:
    path = write_gbk_csv(tmp_path / "名录.csv")

    data = read_universe([path], COLUMNS, segment_names={"工程机械行业": "工程机械"})

    rows = data.rows.set_index("line_no")
    assert list(rows.index) == [3, 4, 5]
    assert rows.loc[3, "company_name"] == "江苏恒达机械有限公司"
    assert rows.loc[3, "segment"] == "工程机械"  # mapped through segment_names
    assert rows.loc[3, "registered_capital_cny"] == 10_000_000.0  # 1,000万元
    assert rows.loc[4, "registered_capital_cny"] == 31_000.0  # 3.1万
    assert rows.loc[5, "registered_capital_cny"] == 5_000_000.0  # 500(万元人民币)
    assert rows.loc[3, "staff_count"] == 1200
    assert pd.isna(rows.loc[5, "staff_count"])
    assert rows.loc[3, "credit_code"] == CODE_A
    # A code whose check character is wrong is dropped, and the reason is kept.
    assert pd.isna(rows.loc[5, "credit_code"])
    assert rows.loc[5, "credit_code_problem"] == "credit_code_check"

    stats = data.stats[0]
    # 7 rows below the header: 3 loaded, 2 rejected, 1 blank, 1 total.
    assert (stats.read, stats.loaded) == (7, 3)
    assert dict(stats.rejected) == {"missing_value": 1, "invalid_amount": 1}
    assert dict(stats.skipped) == {"blank_row": 1, "total_row": 1}
    assert stats.reconciles()
    bad = {(r.line_no, r.column, r.value, r.reason) for r in data.rejections}
    assert bad == {
        (6, "企业名称", None, "missing_value"),
        (7, "注册资本", "很多", "invalid_amount"),
    }


def test_xlsx_with_only_required_columns(tmp_path: Path) -> None:
    path = tmp_path / "协会名单.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["序号", "行业", "企业名称", "注册资本"])
    sheet.append([1, "机床工具", "ＡＢＣ精机（集团）有限公司", 80_000_000])
    sheet.append([2, "机床工具", "大成机床有限公司", "1.5亿"])
    workbook.save(path)

    data = read_universe([path], COLUMNS)

    assert list(data.rows.columns) == LIST_COLUMNS
    assert data.rows["company_name"].tolist() == ["ABC精机(集团)有限公司", "大成机床有限公司"]
    assert data.rows["registered_capital_cny"].tolist() == [80_000_000.0, 150_000_000.0]
    assert data.rows["province"].isna().all()
    assert data.rows["line_no"].tolist() == [2, 3]


def test_missing_required_header_names_universe_key(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text("公司,行业\n甲有限公司,机床工具\n", encoding="utf-8")

    with pytest.raises(SourceError, match=r"企业名称 \(universe\.columns\.company_name\)"):
        read_universe([path], COLUMNS)


def list_rows(*rows: dict) -> pd.DataFrame:
    base = {
        "source_file": "list.csv",
        "segment": "工程机械",
        "province": None,
        "registered_capital_cny": None,
        "staff_count": None,
        "credit_code": None,
        "credit_code_problem": None,
    }
    return pd.DataFrame([{**base, **row} for row in rows], columns=LIST_COLUMNS)


MEMBERS = pd.DataFrame(
    [
        # member_id, company_name, segment, province, credit_code, capital, staff
        (1, "徐州恒达机械有限公司", "工程机械", "江苏省", CODE_A, None, None),
        (2, "苏州恒达机械有限公司", "工程机械", "江苏省", None, None, None),
        (3, "华宇重工股份有限公司", "工程机械", "山东省", None, 2e8, None),
        (4, "新乡东方液压有限公司", "液压气动", "河南省", CODE_B, None, None),
    ],
    columns=[
        "member_id",
        "company_name",
        "segment",
        "province",
        "credit_code",
        "registered_capital_cny",
        "staff_count",
    ],
)


def test_match_by_code_name_and_review() -> None:
    universe = list_rows(
        # line 2: the code decides, although the name has no city.
        {"line_no": 2, "company_name": "恒达机械有限公司", "credit_code": CODE_A},
        # line 3: name match after width, suffix and brackets; member 3 takes the staff count.
        {"line_no": 3, "company_name": "华宇重工（有限公司）", "staff_count": 900},
        # line 4: 恒达机械 without a code or place fits members 1 and 2: review, not merged.
        {"line_no": 4, "company_name": "恒达机械有限公司"},
        # line 5: the only candidate carries another valid code: review.
        {"line_no": 5, "company_name": "东方液压有限公司", "credit_code": CODE_C},
        # line 6: 苏州 rules member 1 (徐州) out, which leaves member 2.
        {"line_no": 6, "company_name": "苏州恒达机械有限公司"},
        # line 7: unknown to the portal.
        {"line_no": 7, "company_name": "巨力起重有限公司", "registered_capital_cny": 6e7},
        # line 8: the same unknown company again, in full-width with brackets.
        {"line_no": 8, "company_name": "巨力起重（有限公司）"},
    )

    result = match_universe(universe, MEMBERS)

    companies = result.companies
    members = companies[companies["is_registered"]].set_index("member_id")
    assert members.loc[1, "matched_by"] == "credit_code"
    assert members.loc[3, "matched_by"] == "name"
    assert members.loc[3, "staff_count"] == 900
    assert members.loc[3, "registered_capital_cny"] == 2e8  # the member's own value wins
    assert members.loc[2, "matched_by"] == "name"
    assert members.loc[2, "line_no"] == 6
    assert not members.loc[4, "in_list"]

    # 4 members + line 4 + line 5 + line 7 (line 8 is the same company) = 7.
    assert len(companies) == 7
    only_listed = companies[~companies["is_registered"]].set_index("line_no")
    assert sorted(only_listed.index) == [4, 5, 7]
    assert only_listed.loc[4, "review_reason"] == "several_candidates"
    assert only_listed.loc[5, "review_reason"] == "credit_code_differs"
    assert pd.isna(only_listed.loc[7, "review_reason"])

    review = result.review.sort_values(["line_no", "member_id"])
    assert list(zip(review["line_no"], review["member_id"], review["reason"], strict=True)) == [
        (4, 1, "several_candidates"),
        (4, 2, "several_candidates"),
        (5, 4, "credit_code_differs"),
    ]


def test_province_column_disagreeing_sends_to_review() -> None:
    universe = list_rows(
        {"line_no": 2, "company_name": "华宇重工有限公司", "province": "河北省"},
    )

    result = match_universe(universe, MEMBERS)

    assert result.review[["member_id", "reason"]].values.tolist() == [[3, "place_differs"]]
    assert not result.companies.set_index("member_id").loc[3, "in_list"]


@pytest.fixture(scope="module")
def demo_universe(tmp_path_factory: pytest.TempPathFactory):
    """The demo's lists read and matched against its members, at a small scale."""
    from etl.config import load_config
    from etl.demo import generate_demo
    from etl.portal_db import read_portal
    from etl.universe import universe_columns, universe_paths

    config = load_config(generate_demo(tmp_path_factory.mktemp("demo"), scale=0.1, progress=False))
    data = read_universe(
        universe_paths(config),
        universe_columns(config),
        segment_names=config.settings["universe.segment_names"],
    )
    members = read_portal(config.database_url, config.queries).tables["members"]
    return config, data, members, match_universe(data.rows, members)


def test_demo_lists_are_gbk_csv_and_xlsx(demo_universe) -> None:
    _, data, _, _ = demo_universe
    csv_path, xlsx_path = (Path(stats.file) for stats in data.stats)
    raw = csv_path.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert raw.decode("gbk").splitlines()[1].startswith("企业名称,行业")
    assert xlsx_path.suffix == ".xlsx"
    # Every row loads; the CSV's totals row is skipped and counted.
    assert [dict(stats.rejected) for stats in data.stats] == [{}, {}]
    assert dict(data.stats[0].skipped) == {"total_row": 1}
    # The list's 工程机械行业 is mapped back to the portal's 工程机械.
    assert "工程机械行业" not in set(data.rows["segment"])


def test_demo_has_under_covered_segments_and_big_strangers(demo_universe) -> None:
    _, _, members, result = demo_universe
    companies = result.companies
    assert companies["member_id"].dropna().nunique() == len(members)
    only_listed = companies[~companies["is_registered"]].groupby("segment").size()
    registered = companies[companies["is_registered"]].groupby("segment").size()
    # The generator lists 2.5 unregistered companies per registered one in these segments,
    # and 0.3 elsewhere (plus four big ones each).
    for segment in ("矿山机械", "纺织机械", "食品机械"):
        assert only_listed[segment] > 2 * registered[segment], segment
    assert only_listed["机床工具"] < registered["机床工具"]
    big = companies["registered_capital_cny"].ge(50_000_000) | companies["staff_count"].ge(500)
    never = companies[big & ~companies["is_registered"]].groupby("segment").size()
    assert (never >= 4).all()
    assert len(never) == 10
    assert set(companies["matched_by"].dropna()) == {"credit_code", "name"}


def test_load_universe_from_config(tmp_path: Path) -> None:
    """universe.* keys of a real config file, a GBK list and the members of a DuckDB file."""
    import duckdb

    from etl.config import load_config
    from etl.universe import load_universe

    write_gbk_csv(tmp_path / "名录.csv")
    (tmp_path / "portal.toml").write_text(
        '[database]\nurl = "sqlite:///unused.db"\n\n[database.queries]\n'
        + "".join(
            f'{name} = "select 1"\n'
            for name in ("members", "contracts", "inquiries", "messages", "contact_views")
        )
        + 'ad_clicks = "select 1"\n\n[universe]\nfiles = ["名*.csv"]\n'
        'segment_names = { "工程机械行业" = "工程机械" }\n',
        encoding="utf-8",
    )
    config = load_config(tmp_path / "portal.toml")
    con = duckdb.connect()
    con.register("members_frame", MEMBERS)
    con.execute("create table stg_members as select * from members_frame")
    con.execute("create table members as select * from members_frame")

    data = load_universe(con, config)

    assert [stats.loaded for stats in data.stats] == [3]
    matched = con.execute(
        "select member_id, matched_by from universe_companies where in_list and is_registered"
    ).fetchall()
    # Line 3, 江苏恒达机械有限公司 with CODE_A, is member 1 by its credit code; line 5,
    # 华宇重工有限公司 (山东省), is member 3 by name. Line 4, 东方精机, is no member.
    assert sorted(matched) == [(1, "credit_code"), (3, "name")]
    listed_only = con.execute(
        "select company_name, segment from universe_companies where not is_registered"
    ).fetchall()
    assert listed_only == [("东方精机股份有限公司", "机床工具")]


def test_universe_file_not_found_names_key(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from etl.universe import universe_paths

    config = SimpleNamespace(
        path=tmp_path / "portal.toml", settings={"universe.files": ["lists/*.csv"]}
    )
    with pytest.raises(SourceError, match=r"universe\.files: lists/\*\.csv matches no file"):
        universe_paths(config)
