"""Renewal tables for the fixture snapshot, built by the real ETL code (etl/renewals.py).

On the contracts of snapshot_fixture.py as of 2026-03-31: 101 is renewed by 102, 401 by 402
(an upgrade, 银牌 to 金牌), 701 churned; the other six are pending. Three decided contracts
are fewer than the model needs, so the health rule gives the risks. The snapshot has no
portal events, so every event count is zero.
"""

from __future__ import annotations

import datetime as dt

import duckdb

from etl.renewals import RenewalSettings, build_tables

AS_OF = dt.date(2026, 3, 31)
WEIGHTS = {"inquiries": 0.3, "messages": 0.1, "contact_views": 0.2, "ad_clicks": 0.05}

QUERY_PARAMS = {
    "renewal_rates": {"period": "month", "dimension": "all"},
    "renewal_due_next": {"months": 3},
    "risk_queue": {"days": 90, "owner": None, "owner_column": "after_sales_owner"},
}


def add_renewal_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        "create temp table stg_events (kind varchar, event_id bigint, member_id bigint, "
        "occurred_at timestamp)"
    )
    build_tables(con, RenewalSettings(), AS_OF, WEIGHTS)
    con.execute("drop table temp.stg_events")
