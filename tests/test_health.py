"""Tests of scoring.health against results computed by hand.

Metric tuples below are always in HEALTH_METRICS order: page_views, unique_visitors,
inquiries, messages, contact_views, ad_clicks. Default weights are 0.2, 0.15, 0.3, 0.1, 0.2
and 0.05, which sum to 1, so a score is the plain sum of weight × percentile.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import duckdb
import pandas as pd
import pytest

from etl.config import HEALTH_METRICS, HealthConfig
from scoring.health import health_settings_rows, score_members

AS_OF = dt.date(2024, 6, 30)
# 30-day window ending on 2024-06-30.
WINDOW_START = dt.date(2024, 6, 1)
LONG_AGO = dt.date(2023, 1, 1)
SEGMENT = "machinery"
TIER = "gold"

DEFAULTS = HealthConfig(
    window_days=30,
    onboarding_days=28,
    healthy_min=60.0,
    watch_min=40.0,
    fall_share=0.3,
    weights=dict(zip(HEALTH_METRICS, (0.2, 0.15, 0.3, 0.1, 0.2, 0.05), strict=True)),
)

# Three members with distinct values in every metric, so each metric ranks them 0, 50, 100.
TRIO = {
    1: (10, 5, 3, 0, 4, 9),
    2: (20, 8, 1, 2, 6, 1),
    3: (40, 6, 2, 5, 2, 5),
}


def settings(**changes: object) -> HealthConfig:
    return dataclasses.replace(DEFAULTS, **changes)


def member(
    member_id: int,
    totals: tuple[int, ...],
    prev: tuple[int, ...] | None = None,
    segment: str | None = SEGMENT,
    tier: str | None = TIER,
    first_paid_on: dt.date = LONG_AGO,
) -> dict[str, object]:
    """Build one input row; previous totals default to the current ones, so nothing falls."""
    row: dict[str, object] = {
        "member_id": member_id,
        "segment": segment,
        "tier": tier,
        "first_paid_on": first_paid_on,
    }
    row.update(zip(HEALTH_METRICS, totals, strict=True))
    row.update(zip((f"prev_{m}" for m in HEALTH_METRICS), prev or totals, strict=True))
    return row


def metrics_frame(*members: dict[str, object]) -> pd.DataFrame:
    return pd.DataFrame(list(members))


def expected_row(
    member_id: int,
    totals: tuple[int, ...],
    *,
    peer_count: int,
    rates: tuple[float | None, float | None],
    pct: tuple[float, ...] | None,
    score: float | None,
    band: str,
    low_reasons: str | None,
    fallen: str = "",
    prev: tuple[int, ...] | None = None,
    segment: str | None = SEGMENT,
    tier: str | None = TIER,
    window_start: dt.date = WINDOW_START,
) -> dict[str, object]:
    """Build one expected member_health row; pct None means an onboarding member."""
    row: dict[str, object] = {
        "member_id": member_id,
        "as_of": AS_OF,
        "window_start": window_start,
        "window_end": AS_OF,
        "segment": segment,
        "tier": tier,
        "peer_count": peer_count,
        "status": "scored" if pct is not None else "onboarding",
    }
    row.update(zip(HEALTH_METRICS, totals, strict=True))
    row.update(zip((f"prev_{m}" for m in HEALTH_METRICS), prev or totals, strict=True))
    row["inquiries_per_1000_views"], row["contact_view_rate"] = rates
    row.update(zip((f"pct_{m}" for m in HEALTH_METRICS), pct or (None,) * 6, strict=True))
    row["health_score"] = score
    row["band"] = band
    row["low_reasons"] = low_reasons
    row["fallen_metrics"] = fallen
    return row


def records(frame: pd.DataFrame) -> list[dict[str, object]]:
    """Return the rows as dicts with every missing value as None."""
    return [
        {column: (None if pd.isna(value) else value) for column, value in row.items()}
        for row in frame.to_dict("records")
    ]


def column_by_member(frame: pd.DataFrame, column: str) -> dict[int, object]:
    return dict(zip(frame["member_id"], frame[column], strict=True))


def test_three_distinct_members_rank_0_50_100() -> None:
    frame = metrics_frame(*(member(i, totals) for i, totals in TRIO.items()))

    result = score_members(frame, DEFAULTS, AS_OF)

    # Member 1: pct (0, 0, 100, 0, 50, 100); score = 0.3*100 + 0.2*50 + 0.05*100 = 45.0.
    # Gaps below 50: page_views 0.2*100 = 20, unique_visitors 0.15*100 = 15, messages 10.
    # Rates: 3*1000/10 = 300.0 and 4/10 = 0.4.
    # Member 2: pct (50, 100, 0, 50, 100, 0); score = 10 + 15 + 0 + 5 + 20 + 0 = 50.0.
    # Gaps: inquiries 0.3*100 = 30, ad_clicks 0.05*100 = 5. Rates 1000/20 = 50.0, 6/20 = 0.3.
    # Member 3: pct (100, 50, 50, 100, 0, 50); score = 20 + 7.5 + 15 + 10 + 0 + 2.5 = 55.0.
    # Gap: contact_views 0.2*100 = 20. Rates 2000/40 = 50.0, 2/40 = 0.05.
    assert records(result) == [
        expected_row(
            1, TRIO[1], peer_count=3, rates=(300.0, 0.4), pct=(0, 0, 100, 0, 50, 100),
            score=45.0, band="watch", low_reasons="page_views,unique_visitors",
        ),
        expected_row(
            2, TRIO[2], peer_count=3, rates=(50.0, 0.3), pct=(50, 100, 0, 50, 100, 0),
            score=50.0, band="watch", low_reasons="inquiries,ad_clicks",
        ),
        expected_row(
            3, TRIO[3], peer_count=3, rates=(50.0, 0.05), pct=(100, 50, 50, 100, 0, 50),
            score=55.0, band="watch", low_reasons="contact_views",
        ),
    ]  # fmt: skip


def test_ties_share_average_rank() -> None:
    totals = {
        1: (10, 5, 4, 1, 7, 0),
        2: (20, 5, 4, 0, 7, 0),
        3: (20, 5, 4, 3, 1, 0),
        4: (30, 9, 4, 2, 1, 0),
    }
    frame = metrics_frame(*(member(i, values) for i, values in totals.items()))

    result = score_members(frame, DEFAULTS, AS_OF)

    # n = 4, percentile = 100*(rank-1)/3.
    # page_views 10,20,20,30: ranks 1, 2.5, 2.5, 4 -> 0, 50, 50, 100.
    # unique_visitors 5,5,5,9: ranks 2, 2, 2, 4 -> 100/3 three times, then 100.
    # inquiries and ad_clicks all equal: rank 2.5 -> 50.
    # messages 1,0,3,2: ranks 2, 1, 4, 3 -> 100/3, 0, 100, 200/3.
    # contact_views 7,7,1,1: ranks 3.5, 3.5, 1.5, 1.5 -> 250/3, 250/3, 50/3, 50/3.
    # Member 1: 0 + 0.15*100/3 + 15 + 0.1*100/3 + 0.2*250/3 + 2.5 = 22.5 + 60/3 = 42.5.
    #   Gaps: page_views 20, unique_visitors 0.15*200/3 = 10, messages 0.1*200/3 = 6.67.
    # Member 2: 10 + 5 + 15 + 0 + 50/3 + 2.5 = 49.1666... -> 49.2.
    #   Gaps: unique_visitors 10 and messages 0.1*100 = 10 tie; unique_visitors comes first.
    # Member 3: 10 + 5 + 15 + 10 + 10/3 + 2.5 = 45.8333... -> 45.8.
    #   Gaps: contact_views 0.2*250/3 = 16.67, unique_visitors 10.
    # Member 4: 20 + 15 + 15 + 20/3 + 10/3 + 2.5 = 62.5, healthy. Gap: contact_views 16.67.
    assert records(result) == [
        expected_row(
            1, totals[1], peer_count=4, rates=(400.0, 0.7),
            pct=(0, 100 / 3, 50, 100 / 3, 250 / 3, 50),
            score=42.5, band="watch", low_reasons="page_views,unique_visitors",
        ),
        expected_row(
            2, totals[2], peer_count=4, rates=(200.0, 0.35),
            pct=(50, 100 / 3, 50, 0, 250 / 3, 50),
            score=49.2, band="watch", low_reasons="unique_visitors,messages",
        ),
        expected_row(
            3, totals[3], peer_count=4, rates=(200.0, 0.05),
            pct=(50, 100 / 3, 50, 100, 50 / 3, 50),
            score=45.8, band="watch", low_reasons="contact_views,unique_visitors",
        ),
        expected_row(
            4, totals[4], peer_count=4, rates=(4 * 1000 / 30, 1 / 30),
            pct=(100, 100, 50, 200 / 3, 50 / 3, 50),
            score=62.5, band="healthy", low_reasons="contact_views",
        ),
    ]  # fmt: skip


def test_group_of_one_gets_50() -> None:
    frame = metrics_frame(member(7, (12, 3, 0, 1, 6, 2)))

    result = score_members(frame, settings(window_days=7), AS_OF)

    # Every percentile 50, so the score is 50.0 and no metric is below 50.
    # A 7-day window ending 2024-06-30 starts on 2024-06-24. Rates: 0/12 = 0.0, 6/12 = 0.5.
    assert records(result) == [
        expected_row(
            7, (12, 3, 0, 1, 6, 2), peer_count=1, rates=(0.0, 0.5), pct=(50,) * 6,
            score=50.0, band="watch", low_reasons="", window_start=dt.date(2024, 6, 24),
        ),
    ]  # fmt: skip


def test_peer_groups_ranked_apart() -> None:
    frame = metrics_frame(
        member(1, (10, 0, 0, 0, 0, 0), tier="gold"),
        member(2, (20, 0, 0, 0, 0, 0), tier="gold"),
        member(3, (15, 0, 0, 0, 0, 0), tier="silver"),
        member(4, (30, 0, 0, 0, 0, 0), tier="silver"),
        member(5, (99, 0, 0, 0, 0, 0), segment="chemicals", tier="gold"),
    )

    result = score_members(frame, DEFAULTS, AS_OF)

    # Ranked together, page views 10, 15, 20, 30 would give 0, 33.3, 66.7, 100.
    # Apart, each pair gives 0 and 100, and the other metrics tie at rank 1.5 -> 50.
    # Low member: 0.8*50 = 40.0 (watch, exactly watch_min); high member: 40 + 20 = 60.0
    # (healthy, exactly healthy_min). Member 5 is alone in chemicals/gold -> 50 everywhere.
    low = (0, 50, 50, 50, 50, 50)
    high = (100, 50, 50, 50, 50, 50)
    assert records(result) == [
        expected_row(
            1, (10, 0, 0, 0, 0, 0), peer_count=2, rates=(0.0, 0.0), pct=low, score=40.0,
            band="watch", low_reasons="page_views",
        ),
        expected_row(
            2, (20, 0, 0, 0, 0, 0), peer_count=2, rates=(0.0, 0.0), pct=high, score=60.0,
            band="healthy", low_reasons="",
        ),
        expected_row(
            3, (15, 0, 0, 0, 0, 0), peer_count=2, rates=(0.0, 0.0), pct=low, score=40.0,
            band="watch", low_reasons="page_views", tier="silver",
        ),
        expected_row(
            4, (30, 0, 0, 0, 0, 0), peer_count=2, rates=(0.0, 0.0), pct=high, score=60.0,
            band="healthy", low_reasons="", tier="silver",
        ),
        expected_row(
            5, (99, 0, 0, 0, 0, 0), peer_count=1, rates=(0.0, 0.0), pct=(50,) * 6,
            score=50.0, band="watch", low_reasons="", segment="chemicals",
        ),
    ]  # fmt: skip


def test_onboarding_member_left_out_of_ranks() -> None:
    # as_of - 28 days = 2024-06-02 (scored, not fewer than 28 days);
    # as_of - 27 days = 2024-06-03 (onboarding).
    frame = metrics_frame(
        member(1, (10, 0, 0, 0, 0, 0)),
        member(2, (20, 0, 0, 0, 0, 0)),
        member(3, (30, 0, 0, 0, 0, 0), first_paid_on=dt.date(2024, 6, 2)),
        member(
            4, (1000, 0, 5, 0, 20, 0), prev=(2000, 0, 5, 0, 20, 0),
            first_paid_on=dt.date(2024, 6, 3),
        ),
        member(5, (8, 0, 0, 0, 0, 0), tier="silver", first_paid_on=dt.date(2024, 6, 30)),
    )  # fmt: skip

    result = score_members(frame, DEFAULTS, AS_OF)

    # Scored gold members 1-3: page views 10, 20, 30 -> 0, 50, 100, and the others tie -> 50.
    # Scores 0.8*50 = 40.0, 50.0, 40 + 20 = 60.0. With member 4 ranked in, member 3 would
    # not be top. Member 4 keeps its rates (5*1000/1000 = 5.0, 20/1000 = 0.02) and its fall:
    # page views 2000 -> 1000 is a drop of 1000 > 0.3*2000 = 600. Member 5 is the only
    # silver member and onboarding, so its group has 0 scored members.
    assert records(result) == [
        expected_row(
            1, (10, 0, 0, 0, 0, 0), peer_count=3, rates=(0.0, 0.0),
            pct=(0, 50, 50, 50, 50, 50), score=40.0, band="watch", low_reasons="page_views",
        ),
        expected_row(
            2, (20, 0, 0, 0, 0, 0), peer_count=3, rates=(0.0, 0.0), pct=(50,) * 6,
            score=50.0, band="watch", low_reasons="",
        ),
        expected_row(
            3, (30, 0, 0, 0, 0, 0), peer_count=3, rates=(0.0, 0.0),
            pct=(100, 50, 50, 50, 50, 50), score=60.0, band="healthy", low_reasons="",
        ),
        expected_row(
            4, (1000, 0, 5, 0, 20, 0), prev=(2000, 0, 5, 0, 20, 0), peer_count=3,
            rates=(5.0, 0.02), pct=None, score=None, band="onboarding", low_reasons=None,
            fallen="page_views",
        ),
        expected_row(
            5, (8, 0, 0, 0, 0, 0), tier="silver", peer_count=0, rates=(0.0, 0.0), pct=None,
            score=None, band="onboarding", low_reasons=None,
        ),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("healthy_min", "watch_min", "bands"),
    [
        # Scores 45.0, 50.0, 55.0 exactly at the thresholds: >= puts them in the higher band.
        (55.0, 45.0, {1: "watch", 2: "watch", 3: "healthy"}),
        # Thresholds just above the scores.
        (55.1, 45.1, {1: "at_risk", 2: "watch", 3: "watch"}),
        (50.0, 50.0, {1: "at_risk", 2: "healthy", 3: "healthy"}),
    ],
)
def test_band_boundaries(healthy_min: float, watch_min: float, bands: dict[int, str]) -> None:
    frame = metrics_frame(*(member(i, totals) for i, totals in TRIO.items()))
    config = settings(healthy_min=healthy_min, watch_min=watch_min)

    result = score_members(frame, config, AS_OF)

    assert column_by_member(result, "band") == bands


def five_members_by_unique_visitors() -> pd.DataFrame:
    """Five peers equal in every metric except unique visitors, which run 1 to 5."""
    return metrics_frame(*(member(i, (10, i, 1, 1, 1, 1)) for i in range(1, 6)))


def test_score_rounds_half_up() -> None:
    result = score_members(five_members_by_unique_visitors(), DEFAULTS, AS_OF)

    # Equal metrics rank 3 of 5 -> 100*2/4 = 50; unique visitors give 0, 25, 50, 75, 100.
    # Score = 0.85*50 + 0.15*pct = 42.5 + 0.15*pct: 42.5, 46.25, 50.0, 53.75, 57.5.
    # Half up gives 46.3 and 53.8, where round-half-even of 46.25 gives 46.2.
    assert column_by_member(result, "health_score") == {
        1: 42.5,
        2: 46.3,
        3: 50.0,
        4: 53.8,
        5: 57.5,
    }
    assert round(46.25, 1) == 46.2


def test_band_uses_rounded_score() -> None:
    config = settings(healthy_min=46.3)

    result = score_members(five_members_by_unique_visitors(), config, AS_OF)

    # Member 2 scores exactly 46.25, shown as 46.3, which reaches healthy_min = 46.3.
    assert column_by_member(result, "band") == {
        1: "watch",
        2: "healthy",
        3: "healthy",
        4: "healthy",
        5: "healthy",
    }


def test_low_reasons_order_and_ties() -> None:
    # Each metric is a permutation of 1..5, so value v has percentile 25*(v-1).
    frame = metrics_frame(
        member(1, (2, 1, 4, 1, 3, 1)),
        member(2, (1, 5, 2, 5, 1, 5)),
        member(3, (3, 2, 1, 2, 2, 2)),
        member(4, (4, 3, 3, 3, 4, 3)),
        member(5, (5, 4, 5, 4, 5, 4)),
    )

    result = score_members(frame, DEFAULTS, AS_OF)

    # Gap = weight*(100 - pct) for pct below 50.
    # Member 1: page_views 0.2*75 = 15 ties unique_visitors 0.15*100 = 15 (page_views is
    #   earlier); messages 10 and ad_clicks 5 are smaller.
    # Member 2: inquiries 0.3*75 = 22.5 first, then page_views 20 ahead of contact_views 20.
    # Member 3: inquiries 0.3*100 = 30, contact_views 0.2*75 = 15, unique_visitors 11.25,
    #   messages 7.5, ad_clicks 3.75.
    # Members 4 and 5 have no percentile below 50.
    assert column_by_member(result, "low_reasons") == {
        1: "page_views,unique_visitors",
        2: "inquiries,page_views",
        3: "inquiries,contact_views",
        4: "",
        5: "",
    }


def test_falls_beyond_fall_share() -> None:
    frame = metrics_frame(
        # Page views 10 -> 7: a drop of 3 = 0.3*10, exactly fall_share, so not a fall.
        member(1, (7, 0, 0, 0, 0, 0), prev=(10, 0, 0, 0, 0, 0)),
        # 10 -> 6: a drop of 4 > 3.
        member(2, (6, 0, 0, 0, 0, 0), prev=(10, 0, 0, 0, 0, 0)),
        # Zero before and now: no positive previous total.
        member(3, (0, 0, 0, 0, 0, 0), prev=(0, 0, 0, 0, 0, 0)),
        # Every metric 100 -> 69: drops of 31 > 30, listed in metric order.
        member(4, (69,) * 6, prev=(100,) * 6),
        # Rises are not falls.
        member(5, (50, 5, 5, 5, 5, 5), prev=(5, 1, 1, 1, 1, 1)),
    )

    result = score_members(frame, DEFAULTS, AS_OF)

    assert column_by_member(result, "fallen_metrics") == {
        1: "",
        2: "page_views",
        3: "",
        4: "page_views,unique_visitors,inquiries,messages,contact_views,ad_clicks",
        5: "",
    }


@pytest.mark.parametrize(
    ("fall_share", "previous", "current", "fallen"),
    [
        # Drops of exactly fall_share × previous: 0.4*10 = 4, 0.45*100 = 45, 0.35*180 = 63.
        # In floats, 100*(1 - 0.45) > 55 and 0.35*180 < 63, so either float form of the rule
        # would wrongly call the last two falls.
        (0.4, 10, 6, ""),
        (0.45, 100, 55, ""),
        (0.35, 180, 117, ""),
        # One more unit of drop is a fall.
        (0.4, 10, 5, "page_views"),
        (0.45, 100, 54, "page_views"),
        (0.35, 180, 116, "page_views"),
    ],
)
def test_fall_share_boundary_exact(
    fall_share: float, previous: int, current: int, fallen: str
) -> None:
    frame = metrics_frame(member(1, (current, 0, 0, 0, 0, 0), prev=(previous, 0, 0, 0, 0, 0)))

    result = score_members(frame, settings(fall_share=fall_share), AS_OF)

    assert column_by_member(result, "fallen_metrics") == {1: fallen}


def test_zero_page_views_null_rates() -> None:
    frame = metrics_frame(member(1, (0, 0, 3, 1, 2, 0)))

    result = score_members(frame, DEFAULTS, AS_OF)

    # Inquiries and contact views without page views: both rates are null.
    assert records(result) == [
        expected_row(
            1, (0, 0, 3, 1, 2, 0), peer_count=1, rates=(None, None), pct=(50,) * 6,
            score=50.0, band="watch", low_reasons="",
        ),
    ]  # fmt: skip


def test_custom_weights() -> None:
    weights = {
        "page_views": 2,
        "unique_visitors": 1,
        "inquiries": 0,
        "messages": 0,
        "contact_views": 0,
        "ad_clicks": 1,
    }
    frame = metrics_frame(*(member(i, totals) for i, totals in TRIO.items()))

    result = score_members(frame, settings(weights=weights), AS_OF)

    # Weights sum to 4. Percentiles as in the three-member test.
    # Member 1: (2*0 + 0 + 1*100)/4 = 25.0, at risk. Gaps: page_views 200, unique_visitors 100.
    # Member 2: (2*50 + 100 + 0)/4 = 50.0. inquiries (pct 0) has weight 0, so only ad_clicks.
    # Member 3: (2*100 + 50 + 50)/4 = 75.0. contact_views (pct 0) has weight 0: no reason.
    assert records(result) == [
        expected_row(
            1, TRIO[1], peer_count=3, rates=(300.0, 0.4), pct=(0, 0, 100, 0, 50, 100),
            score=25.0, band="at_risk", low_reasons="page_views,unique_visitors",
        ),
        expected_row(
            2, TRIO[2], peer_count=3, rates=(50.0, 0.3), pct=(50, 100, 0, 50, 100, 0),
            score=50.0, band="watch", low_reasons="ad_clicks",
        ),
        expected_row(
            3, TRIO[3], peer_count=3, rates=(50.0, 0.05), pct=(100, 50, 50, 100, 0, 50),
            score=75.0, band="healthy", low_reasons="",
        ),
    ]  # fmt: skip


def test_null_segment_is_one_group() -> None:
    frame = metrics_frame(
        member(1, (10, 0, 0, 0, 0, 0), segment=None),
        member(2, (20, 0, 0, 0, 0, 0), segment=None),
        member(3, (5, 0, 0, 0, 0, 0)),
    )

    result = score_members(frame, DEFAULTS, AS_OF)

    # Members 1 and 2 rank against each other (page views 0 and 100); member 3 is alone.
    assert column_by_member(result, "peer_count") == {1: 2, 2: 2, 3: 1}
    assert column_by_member(result, "pct_page_views") == {1: 0.0, 2: 100.0, 3: 50.0}


def test_rows_sorted_by_member_id() -> None:
    frame = metrics_frame(*(member(i, TRIO[4 - i]) for i in (3, 1, 2)))

    result = score_members(frame, DEFAULTS, AS_OF)

    assert result["member_id"].tolist() == [1, 2, 3]
    # Member 1 has the totals of TRIO[3], whose score is 55.0 in the three-member test.
    assert column_by_member(result, "health_score") == {1: 55.0, 2: 50.0, 3: 45.0}


def test_output_columns_match_warehouse_doc() -> None:
    frame = metrics_frame(member(1, TRIO[1]))

    result = score_members(frame, DEFAULTS, AS_OF)

    metrics = list(HEALTH_METRICS)
    assert result.columns.tolist() == [
        "member_id", "as_of", "window_start", "window_end", "segment", "tier", "peer_count",
        "status", *metrics, *(f"prev_{m}" for m in metrics), "inquiries_per_1000_views",
        "contact_view_rate", *(f"pct_{m}" for m in metrics), "health_score", "band",
        "low_reasons", "fallen_metrics",
    ]  # fmt: skip


def test_empty_input_gives_empty_frame() -> None:
    frame = metrics_frame(member(1, TRIO[1])).iloc[0:0]

    result = score_members(frame, DEFAULTS, AS_OF)

    assert len(result) == 0
    assert len(result.columns) == 32


def test_datetime64_first_paid_on_accepted() -> None:
    # DuckDB returns DATE columns to pandas as datetime64; the boundary must not move.
    frame = metrics_frame(
        member(1, TRIO[1], first_paid_on=dt.date(2024, 6, 2)),
        member(2, TRIO[2], first_paid_on=dt.date(2024, 6, 3)),
    )
    frame["first_paid_on"] = pd.to_datetime(frame["first_paid_on"])

    result = score_members(frame, DEFAULTS, AS_OF)

    # 28 days before as_of is scored, 27 days is onboarding.
    assert column_by_member(result, "status") == {1: "scored", 2: "onboarding"}


def test_rows_load_into_duckdb_with_nulls(tmp_path) -> None:
    frame = metrics_frame(
        member(1, (0, 0, 0, 0, 0, 0)),
        member(2, (5, 0, 0, 0, 0, 0), first_paid_on=AS_OF),
    )
    result = score_members(frame, DEFAULTS, AS_OF)
    con = duckdb.connect(str(tmp_path / "health.duckdb"))

    con.register("scored_rows", result)
    con.execute("create table member_health as select * from scored_rows")
    rows = con.execute(
        "select member_id, typeof(as_of), inquiries_per_1000_views is null, "
        "health_score is null, pct_page_views is null, low_reasons, fallen_metrics "
        "from member_health order by member_id"
    ).fetchall()
    con.close()

    # Member 1 has no page views (null rates) and is scored alone: no reasons, "" not null.
    # Member 2 is onboarding: null score, percentiles and low_reasons.
    assert rows == [
        (1, "DATE", True, False, False, "", ""),
        (2, "DATE", False, True, True, None, ""),
    ]


def test_health_settings_rows_defaults() -> None:
    assert health_settings_rows(DEFAULTS) == [
        ("window_days", 30.0),
        ("onboarding_days", 28.0),
        ("healthy_min", 60.0),
        ("watch_min", 40.0),
        ("fall_share", 0.3),
        ("weight.page_views", 0.2),
        ("weight.unique_visitors", 0.15),
        ("weight.inquiries", 0.3),
        ("weight.messages", 0.1),
        ("weight.contact_views", 0.2),
        ("weight.ad_clicks", 0.05),
    ]


def test_missing_column_rejected() -> None:
    frame = metrics_frame(member(1, TRIO[1])).drop(columns=["prev_messages"])

    with pytest.raises(ValueError, match="metrics has no column prev_messages"):
        score_members(frame, DEFAULTS, AS_OF)


def test_duplicate_member_rejected() -> None:
    frame = metrics_frame(member(1, TRIO[1]), member(1, TRIO[2]))

    with pytest.raises(ValueError, match=r"more than one row for member_id 1\. Aggregate"):
        score_members(frame, DEFAULTS, AS_OF)


@pytest.mark.parametrize("value", [-1, 2.5, None])
def test_invalid_total_rejected(value: object) -> None:
    frame = metrics_frame(member(1, TRIO[1]), member(2, TRIO[2]))
    frame["inquiries"] = frame["inquiries"].astype("object")
    frame.loc[1, "inquiries"] = value

    with pytest.raises(
        ValueError, match=r"column inquiries has an invalid value in 1 of 2 rows \(member_id 2"
    ):
        score_members(frame, DEFAULTS, AS_OF)


def test_missing_first_paid_on_rejected() -> None:
    frame = metrics_frame(member(1, TRIO[1]), member(9, TRIO[2], first_paid_on=None))

    with pytest.raises(
        ValueError, match=r"first_paid_on is missing or invalid in 1 of 2 rows \(member_id 9"
    ):
        score_members(frame, DEFAULTS, AS_OF)


def test_weights_missing_metric_rejected() -> None:
    weights = dict(DEFAULTS.weights)
    del weights["ad_clicks"]
    frame = metrics_frame(member(1, TRIO[1]))

    with pytest.raises(ValueError, match=r"missing metrics \['ad_clicks'\]"):
        score_members(frame, settings(weights=weights), AS_OF)


def test_thresholds_out_of_order_rejected() -> None:
    frame = metrics_frame(member(1, TRIO[1]))

    with pytest.raises(ValueError, match=r"health\.watch_min"):
        score_members(frame, settings(healthy_min=30.0, watch_min=40.0), AS_OF)
