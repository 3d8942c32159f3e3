"""Each role against each page in PAGES and each query/export: exactly which members appear.

Fixture members (tests/snapshot_fixture.py): sales reps 张伟 (1, 3), 李娜 (2, 4) and
王芳 (5, 6 and the former member 7); after-sales owner 赵敏 for all seven. Members 1-6 are
paid and appear in the health list; 7 appears only in member-level tables.

Pages added by other modules are covered automatically: every page in PAGES is opened for
every role, and no text the page renders may name a member the role must not see.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from signin import sign_in
from snapshot_fixture import AS_OF, FORMER_MEMBER, MEMBERS
from streamlit.testing.v1 import AppTest

from dashboard import exports
from dashboard.navigation import PAGES, pages_for
from queries import query_names, run_query
from queries.access import ROLES, Viewer

REPO_ROOT = Path(__file__).resolve().parent.parent
APP = REPO_ROOT / "app.py"
TIMEOUT = 60

COMPANY = {member_id: values[0] for member_id, values in MEMBERS.items()}
COMPANY[FORMER_MEMBER[0]] = FORMER_MEMBER[1]
ALL_MEMBERS = frozenset(COMPANY)

# (role, staff_name) -> the member ids that role may see.
MATRIX: dict[tuple[str, str | None], frozenset[int]] = {
    ("admin", None): ALL_MEMBERS,
    ("director", None): ALL_MEMBERS,
    ("executive", None): ALL_MEMBERS,
    ("sales_rep", "张伟"): frozenset({1, 3}),
    ("sales_rep", "李娜"): frozenset({2, 4}),
    ("sales_rep", "王芳"): frozenset({5, 6, 7}),
    ("after_sales", "赵敏"): ALL_MEMBERS,
    ("after_sales", "孙丽"): frozenset(),
}
PAID = frozenset(MEMBERS)


def test_matrix_covers_every_role():
    assert {role for role, _ in MATRIX} == set(ROLES)


def open_as(role: str, staff_name: str | None, page: str | None = None, **query) -> AppTest:
    at = sign_in(AppTest.from_file(APP, default_timeout=TIMEOUT), role, staff_name)
    at.run()
    if page:
        at.query_params.update(query)
        at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def rendered_text(at: AppTest) -> str:
    """All text a user can read on the page: headings, captions, tables, choices, notices."""
    parts: list[str] = []
    for kind in ("title", "subheader", "caption", "markdown", "info", "warning", "error"):
        parts.extend(str(element.value) for element in getattr(at, kind))
    parts.extend(f"{metric.label} {metric.value}" for metric in at.metric)
    for frame in at.dataframe:
        parts.append(frame.value.to_csv(index=False))
    for select in at.selectbox:
        parts.extend(str(option) for option in select.options)
    return "\n".join(parts)


def shown_member_ids(at: AppTest) -> set[int]:
    ids: set[int] = set()
    for frame in at.dataframe:
        if "会员ID" in frame.value.columns:
            ids.update(int(value) for value in frame.value["会员ID"].dropna())
    return ids


@pytest.mark.parametrize("page", [spec for spec in PAGES], ids=lambda spec: spec.url_path)
@pytest.mark.parametrize(("role", "staff_name"), list(MATRIX), ids=lambda v: str(v))
def test_page_shows_no_hidden_member(published, page, role, staff_name):
    visible = MATRIX[(role, staff_name)]
    if role in page.roles:
        at = open_as(role, staff_name, page.file)
    else:
        # Not in this role's navigation; run the file alone, as AppTest and a misconfigured
        # server might: it must still show no hidden member.
        assert page not in pages_for(role)
        at = AppTest.from_file(REPO_ROOT / page.file, default_timeout=TIMEOUT)
        sign_in(at, role, staff_name).run()
        assert not at.exception, [e.value for e in at.exception]
    text = rendered_text(at)
    for member_id in ALL_MEMBERS - visible:
        assert COMPANY[member_id] not in text, (page.file, role, staff_name, member_id)
    assert shown_member_ids(at) <= visible


@pytest.mark.parametrize(("role", "staff_name"), list(MATRIX), ids=lambda v: str(v))
def test_health_page_rows_exact(published, role, staff_name):
    at = open_as(role, staff_name)
    expected = MATRIX[(role, staff_name)] & PAID
    assert shown_member_ids(at) == expected
    assert at.metric[0].value == str(len(expected))


@pytest.mark.parametrize(("role", "staff_name"), list(MATRIX), ids=lambda v: str(v))
def test_detail_picker_exact(published, role, staff_name):
    at = open_as(role, staff_name, "views/member_detail.py")
    expected = MATRIX[(role, staff_name)] & PAID
    if not expected:
        assert [info.value for info in at.info] == ["暂无可查看的付费会员。"]
        return
    options = at.selectbox(key="detail.member").options
    assert sorted(options) == sorted(f"{COMPANY[i]} ({i})" for i in expected)


def test_detail_url_of_hidden_member(published):
    """王芳 asks for member 4 (李娜's) by URL: refused, and her own member is shown instead."""
    at = open_as("sales_rep", "王芳", "views/member_detail.py", member="4")
    assert at.warning[0].value.startswith("会员 4 不在您可查看的付费会员中")
    assert COMPANY[4] not in rendered_text(at)


def snapshot_connection(published) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(published.snapshot), read_only=True)


QUERY_PARAMS = {
    "member_health_list": {"segment": None, "tier": None, "sales_rep": None, "band": None},
}
# Values for the parameters queries use; any other parameter is bound to None ("all").
PARAM_VALUES = {
    "max_rows": 100,
    "days": 3650,
    "months": 120,
    "today": AS_OF,
    "now_utc": dt.datetime.combine(AS_OF, dt.time(12)),
}
# Queries of this module's time that must run with the values above.
CORE_QUERIES = {
    "member_contracts",
    "member_daily_metrics",
    "member_health_band_counts",
    "member_health_filter_options",
    "member_health_list",
    "member_profile",
    "member_top_keywords",
    "member_traffic_sources",
    "member_vs_peer_median",
}


@pytest.mark.parametrize(("role", "staff_name"), list(MATRIX), ids=lambda v: str(v))
def test_every_member_query_restricted(published, role, staff_name):
    """Every query with a member_id column returns only the role's members, for member 1..7."""
    viewer = Viewer(f"{role}-{staff_name}", role, staff_name)
    visible = MATRIX[(role, staff_name)]
    con = snapshot_connection(published)
    unrunnable = set()
    try:
        for name in sorted(query_names()):
            for member_id in sorted(ALL_MEMBERS):
                try:
                    frame = run_query(con, name, _params(name, member_id), viewer=viewer)
                except duckdb.Error:
                    unrunnable.add(name)
                    continue
                if "member_id" in frame.columns:
                    assert set(frame["member_id"].dropna().astype(int)) <= visible, name
    finally:
        con.close()
    assert not unrunnable & CORE_QUERIES


def _params(name: str, member_id: int) -> dict[str, object]:
    sql = (REPO_ROOT / "queries" / f"{name}.sql").read_text(encoding="utf-8")
    names = set(re.findall(r"\$([a-z_]+)", sql))
    values = {**PARAM_VALUES, "member_id": member_id}
    return {param: values.get(param) for param in names}


@pytest.mark.parametrize(("role", "staff_name"), list(MATRIX), ids=lambda v: str(v))
def test_export_rows_exact(published, role, staff_name, tmp_path):
    """The health export of each role holds exactly its paid members, one CSV row each."""
    viewer = Viewer(f"{role}-{staff_name}", role, staff_name)
    con = snapshot_connection(published)
    try:
        path = tmp_path / "health.csv"
        with path.open("wb") as handle:
            rows = exports.write_query_csv(
                con, "member_health_list", QUERY_PARAMS["member_health_list"], viewer, handle
            )
    finally:
        con.close()
    frame = pd.read_csv(path, encoding="utf-8-sig")
    expected = MATRIX[(role, staff_name)] & PAID
    assert rows == len(expected)
    assert set(frame["member_id"]) == expected


# --- contact details: full for the member's sales rep, after-sales owner and admins -------

FULL_1 = ["0571-88881234", "13812345678", "li.na@example.com", "wxid_abc123"]
# 0571-88881234 has 13 characters: 3 kept, 6 starred, 4 kept; 13812345678: 3, 4 starred, 4.
MASKED_1 = ["057******1234", "138****5678", "l***@example.com", "w***"]
CONTACTS_OF_1 = {
    ("admin", None): FULL_1,
    ("director", None): MASKED_1,
    ("executive", None): MASKED_1,
    ("sales_rep", "张伟"): FULL_1,  # member 1's sales rep
    ("sales_rep", "李娜"): None,  # cannot see member 1 at all
    ("sales_rep", "王芳"): None,
    ("after_sales", "赵敏"): FULL_1,  # member 1's after-sales owner
    ("after_sales", "孙丽"): None,
}


@pytest.mark.parametrize(("role", "staff_name"), list(MATRIX), ids=lambda v: str(v))
def test_contacts_masked_unless_owner(published, role, staff_name):
    viewer = Viewer(f"{role}-{staff_name}", role, staff_name)
    con = snapshot_connection(published)
    try:
        frame = run_query(con, "member_contacts", {"member_id": 1}, viewer=viewer)
        exported = io.BytesIO()
        exports.write_query_csv(con, "member_contacts", {"member_id": 1}, viewer, exported)
    finally:
        con.close()
    expected = CONTACTS_OF_1[(role, staff_name)]
    if expected is None:
        assert frame.empty
        return
    assert frame.iloc[0].tolist() == expected
    # Exports read the same masked view.
    assert exported.getvalue().decode("utf-8-sig").splitlines()[1] == ",".join(expected)


def test_contacts_on_detail_page(published):
    director = open_as("director", None, "views/member_detail.py", member="1")
    admin = open_as("admin", None, "views/member_detail.py", member="1")
    director_text = rendered_text(director)
    # The caption is Markdown, so the mask's asterisks are escaped to show as typed.
    assert (
        r"联系方式：电话 057\*\*\*\*\*\*1234; 手机 138\*\*\*\*5678; "
        r"邮箱 l\*\*\*@example.com; 微信 w\*\*\*"
    ) in director_text
    assert "13812345678" not in director_text
    assert "手机 13812345678" in rendered_text(admin)
