"""Health score of paid members, as defined for table member_health in docs/warehouse.md.

Percentiles, scores, band thresholds, low-reason gaps and falls are computed with exact
fractions. Weights, thresholds and fall_share enter as the decimals they print as
(`str(0.15) == "0.15"`), so a score that is exactly 46.25 in decimal arithmetic is 46.25 here
and rounds half up to 46.3, where float arithmetic and `round()` may give 46.2.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Sequence
from fractions import Fraction

import pandas as pd

from etl.config import HEALTH_METRICS, HealthConfig

logger = logging.getLogger(__name__)

PEER_KEYS = ["segment", "tier"]
PREV_COLUMNS = tuple(f"prev_{metric}" for metric in HEALTH_METRICS)
PCT_COLUMNS = tuple(f"pct_{metric}" for metric in HEALTH_METRICS)
INPUT_COLUMNS = ("member_id", *PEER_KEYS, "first_paid_on", *HEALTH_METRICS, *PREV_COLUMNS)
OUTPUT_COLUMNS = (
    "member_id",
    "as_of",
    "window_start",
    "window_end",
    *PEER_KEYS,
    "peer_count",
    "status",
    *HEALTH_METRICS,
    *PREV_COLUMNS,
    "inquiries_per_1000_views",
    "contact_view_rate",
    *PCT_COLUMNS,
    "health_score",
    "band",
    "low_reasons",
    "fallen_metrics",
)

STATUS_SCORED = "scored"
STATUS_ONBOARDING = "onboarding"
BAND_HEALTHY = "healthy"
BAND_WATCH = "watch"
BAND_AT_RISK = "at_risk"
BAND_ONBOARDING = "onboarding"
MAX_LOW_REASONS = 2
FLOAT_SCORE_COLUMNS = (*PCT_COLUMNS, "health_score")
# Up to this many offending member ids are named in an error message.
MAX_IDS_IN_ERROR = 10

ONE_HUNDRED = Fraction(100)
MIDDLE_PERCENTILE = Fraction(50)


def score_members(metrics: pd.DataFrame, settings: HealthConfig, as_of: dt.date) -> pd.DataFrame:
    """Score each paid member against its peer group and return the member_health rows.

    `metrics` has one row per paid member with the columns in INPUT_COLUMNS: member_id,
    segment, tier, first_paid_on, and the window and previous-window totals of each metric.
    The result has the columns in OUTPUT_COLUMNS, one row per input row, sorted by member_id.

    - Peer groups are (segment, tier) pairs. A null segment or tier is a group value of its
      own, so members without a segment are ranked together rather than dropped.
    - A member is onboarding when `(as_of - first_paid_on).days < onboarding_days`. It is left
      out of every peer group and gets null percentiles and health_score, band "onboarding"
      and a null low_reasons. Its totals, rates and fallen_metrics are filled in, and its
      peer_count is the number of scored members in its group, which may be 0.
    - health_score is rounded half up to one decimal from its exact value. The band compares
      that rounded score with healthy_min and watch_min, so a displayed 60.0 is healthy when
      healthy_min is 60.
    - low_reasons and fallen_metrics are metric names joined by "," without spaces, and ""
      when there are none. fallen_metrics lists metrics in HEALTH_METRICS order, low_reasons
      largest gap first. low_reasons is null only for onboarding members.

    Raise ValueError naming the setting, column, member ids and values when settings or
    metrics are invalid.
    """
    _check_settings(settings)
    as_of = _check_as_of(as_of)
    frame = _checked_metrics(metrics)

    onboarding = _onboarding_mask(frame, as_of, settings.onboarding_days)
    scored = ~onboarding
    peer_count = scored.groupby([frame[key] for key in PEER_KEYS], dropna=False).transform("sum")
    percentiles = _peer_percentiles(frame, scored)

    result = _assemble(frame, settings, as_of, peer_count, onboarding)
    for column, values in _score_columns(percentiles, settings).items():
        result[column] = pd.Series(
            values, index=frame.index, dtype="float64" if column in FLOAT_SCORE_COLUMNS else "str"
        )
    result["fallen_metrics"] = pd.Series(
        _fallen_metrics(frame, _exact(settings.fall_share)), index=frame.index, dtype="str"
    )

    logger.info(
        "Scored %d members as of %s: %d onboarding, %d peer groups.",
        len(frame),
        as_of,
        int(onboarding.sum()),
        frame.loc[scored, PEER_KEYS].drop_duplicates().shape[0],
    )
    return result.reset_index(drop=True)[list(OUTPUT_COLUMNS)]


def health_settings_rows(settings: HealthConfig) -> list[tuple[str, float]]:
    """Return the (key, value) rows of table health_settings, weights last in metric order."""
    _check_settings(settings)
    rows = [
        ("window_days", float(settings.window_days)),
        ("onboarding_days", float(settings.onboarding_days)),
        ("healthy_min", float(settings.healthy_min)),
        ("watch_min", float(settings.watch_min)),
        ("fall_share", float(settings.fall_share)),
    ]
    rows.extend((f"weight.{metric}", float(settings.weights[metric])) for metric in HEALTH_METRICS)
    return rows


def _check_settings(settings: HealthConfig) -> None:
    if settings.window_days < 1:
        raise ValueError(f"health.window_days is {settings.window_days}. Set it to 1 or more days.")
    if settings.onboarding_days < 0:
        raise ValueError(
            f"health.onboarding_days is {settings.onboarding_days}. Set it to 0 or more days."
        )
    if not 0 <= settings.watch_min <= settings.healthy_min <= 100:
        raise ValueError(
            f"health.watch_min ({settings.watch_min}) and health.healthy_min "
            f"({settings.healthy_min}) must satisfy 0 <= watch_min <= healthy_min <= 100."
        )
    if settings.fall_share < 0:
        raise ValueError(f"health.fall_share is {settings.fall_share}. Set it to 0 or more.")

    missing = [metric for metric in HEALTH_METRICS if metric not in settings.weights]
    unknown = sorted(set(settings.weights) - set(HEALTH_METRICS))
    if missing or unknown:
        raise ValueError(
            f"health.weights has missing metrics {missing} and unknown metrics {unknown}. "
            f"Give exactly one weight for each of {', '.join(HEALTH_METRICS)}."
        )
    values = list(settings.weights.values())
    if any(not math.isfinite(value) or value < 0 for value in values) or sum(values) <= 0:
        raise ValueError(
            f"health.weights are {settings.weights}, but each must be zero or positive, "
            "with a positive sum."
        )


def _check_as_of(as_of: dt.date) -> dt.date:
    if isinstance(as_of, dt.datetime):
        return as_of.date()
    if not isinstance(as_of, dt.date):
        raise TypeError(f"as_of is {as_of!r}. Pass a datetime.date.")
    return as_of


def _checked_metrics(metrics: pd.DataFrame) -> pd.DataFrame:
    """Return a copy sorted by member_id with integer totals, or raise naming the bad rows."""
    missing = [column for column in INPUT_COLUMNS if column not in metrics.columns]
    if missing:
        raise ValueError(
            f"metrics has no column {', '.join(missing)}. The query that feeds score_members "
            f"must return {', '.join(INPUT_COLUMNS)}."
        )

    frame = metrics.loc[:, list(INPUT_COLUMNS)].copy()
    _check_member_ids(frame["member_id"])
    frame["member_id"] = frame["member_id"].astype("int64")
    frame = frame.sort_values("member_id", kind="stable").reset_index(drop=True)

    for column in (*HEALTH_METRICS, *PREV_COLUMNS):
        frame[column] = _checked_totals(frame, column)
    frame["first_paid_on"] = _checked_first_paid_on(frame)
    return frame


def _check_member_ids(member_ids: pd.Series) -> None:
    if member_ids.isna().any():
        raise ValueError(
            f"metrics has {int(member_ids.isna().sum())} rows without member_id. "
            "Every paid member needs its portal member id."
        )
    duplicated = member_ids[member_ids.duplicated()].unique().tolist()
    if duplicated:
        raise ValueError(
            f"metrics has more than one row for member_id {_name_ids(duplicated)}. "
            "Aggregate the totals to one row per member."
        )


def _checked_totals(frame: pd.DataFrame, column: str) -> pd.Series:
    values = pd.to_numeric(frame[column], errors="coerce")
    bad = values.isna() | (values < 0) | (values % 1 != 0)
    if bad.any():
        examples = ", ".join(
            f"member_id {member_id}: {value!r}"
            for member_id, value in zip(
                frame.loc[bad, "member_id"][:MAX_IDS_IN_ERROR],
                frame.loc[bad, column][:MAX_IDS_IN_ERROR],
                strict=True,
            )
        )
        raise ValueError(
            f"metrics column {column} has an invalid value in {int(bad.sum())} of {len(frame)} "
            f"rows ({examples}). Totals must be whole numbers of 0 or more, so count missing "
            "activity as 0."
        )
    return values.astype("int64")


def _checked_first_paid_on(frame: pd.DataFrame) -> pd.Series:
    days = pd.to_datetime(frame["first_paid_on"], errors="coerce")
    bad = days.isna()
    if bad.any():
        examples = ", ".join(
            f"member_id {member_id}: {value!r}"
            for member_id, value in zip(
                frame.loc[bad, "member_id"][:MAX_IDS_IN_ERROR],
                frame.loc[bad, "first_paid_on"][:MAX_IDS_IN_ERROR],
                strict=True,
            )
        )
        raise ValueError(
            f"metrics column first_paid_on is missing or invalid in {int(bad.sum())} of "
            f"{len(frame)} rows ({examples}). Give the start date of each paid member's "
            "first contract."
        )
    return days.dt.normalize()


def _name_ids(member_ids: Sequence[object]) -> str:
    named = ", ".join(str(member_id) for member_id in member_ids[:MAX_IDS_IN_ERROR])
    more = len(member_ids) - MAX_IDS_IN_ERROR
    return f"{named} and {more} more" if more > 0 else named


def _onboarding_mask(frame: pd.DataFrame, as_of: dt.date, onboarding_days: int) -> pd.Series:
    """Mark members whose first contract started fewer than onboarding_days days before as_of."""
    days_paid = (pd.Timestamp(as_of) - frame["first_paid_on"]).dt.days
    return days_paid < onboarding_days


def _peer_percentiles(frame: pd.DataFrame, scored: pd.Series) -> list[list[Fraction | None]]:
    """Return per row the exact percentile of each metric in its peer group, None if onboarding.

    Ties share the mean of their ranks and the smallest value has rank 1. The percentile is
    100 × (rank − 1) / (n − 1) over the n scored members of the group, and 50 in a group of one.
    """
    peers = frame.loc[scored]
    groups = peers.groupby(PEER_KEYS, dropna=False)
    sizes = groups["member_id"].transform("size")
    rows: list[list[Fraction | None]] = [[None] * len(HEALTH_METRICS) for _ in range(len(frame))]

    for position, metric in enumerate(HEALTH_METRICS):
        # Average ranks are multiples of 0.5, which floats hold exactly.
        ranks = groups[metric].rank(method="average")
        for index, rank, size in zip(peers.index, ranks, sizes, strict=True):
            rows[index][position] = _percentile(Fraction(rank), int(size))
    return rows


def _percentile(rank: Fraction, size: int) -> Fraction:
    if size == 1:
        return MIDDLE_PERCENTILE
    return ONE_HUNDRED * (rank - 1) / (size - 1)


def _score_columns(
    percentiles: list[list[Fraction | None]], settings: HealthConfig
) -> dict[str, list[object]]:
    """Compute the pct_*, health_score, band and low_reasons columns from exact percentiles."""
    weights = {metric: _exact(settings.weights[metric]) for metric in HEALTH_METRICS}
    columns: dict[str, list[object]] = {
        column: [_to_float(row[position]) for row in percentiles]
        for position, column in enumerate(PCT_COLUMNS)
    }

    scores = [_weighted_score(row, weights) for row in percentiles]
    columns["health_score"] = [_to_float(score) for score in scores]
    columns["band"] = [_band(score, settings) for score in scores]
    columns["low_reasons"] = [_low_reasons(row, weights) for row in percentiles]
    return columns


def _weighted_score(
    percentiles: list[Fraction | None], weights: dict[str, Fraction]
) -> Fraction | None:
    """Return the weighted mean of the percentiles rounded half up to one decimal."""
    if percentiles[0] is None:
        return None
    total = sum(
        (
            weights[metric] * percentile
            for metric, percentile in zip(HEALTH_METRICS, percentiles, strict=True)
        ),
        Fraction(0),
    )
    mean = total / sum(weights.values())
    return Fraction(math.floor(mean * 10 + Fraction(1, 2)), 10)


def _band(score: Fraction | None, settings: HealthConfig) -> str:
    if score is None:
        return BAND_ONBOARDING
    if score >= _exact(settings.healthy_min):
        return BAND_HEALTHY
    if score >= _exact(settings.watch_min):
        return BAND_WATCH
    return BAND_AT_RISK


def _low_reasons(percentiles: list[Fraction | None], weights: dict[str, Fraction]) -> str | None:
    """Name the positively weighted metrics below 50 with the largest weight × (100 − percentile).

    Ties keep HEALTH_METRICS order, because sorted() is stable.
    """
    if percentiles[0] is None:
        return None
    gaps = [
        (weights[metric] * (ONE_HUNDRED - percentile), metric)
        for metric, percentile in zip(HEALTH_METRICS, percentiles, strict=True)
        if weights[metric] > 0 and percentile < MIDDLE_PERCENTILE
    ]
    largest = sorted(gaps, key=lambda gap: gap[0], reverse=True)[:MAX_LOW_REASONS]
    return ",".join(metric for _, metric in largest)


def _fallen_metrics(frame: pd.DataFrame, fall_share: Fraction) -> list[str]:
    """Name per row the metrics that fell by more than fall_share of a positive previous total."""
    fallen: list[list[str]] = [[] for _ in range(len(frame))]
    for metric in HEALTH_METRICS:
        pairs = zip(frame[metric].tolist(), frame[f"prev_{metric}"].tolist(), strict=True)
        for index, (current, previous) in enumerate(pairs):
            if previous > 0 and previous - current > fall_share * previous:
                fallen[index].append(metric)
    return [",".join(names) for names in fallen]


def _assemble(
    frame: pd.DataFrame,
    settings: HealthConfig,
    as_of: dt.date,
    peer_count: pd.Series,
    onboarding: pd.Series,
) -> pd.DataFrame:
    """Build the identity, window, totals and rate columns of the result."""
    window_start = as_of - dt.timedelta(days=settings.window_days - 1)
    result = pd.DataFrame(index=frame.index)
    result["member_id"] = frame["member_id"]
    # Date objects, not datetime64, so that DuckDB stores DATE rather than TIMESTAMP.
    result["as_of"] = pd.Series([as_of] * len(frame), index=frame.index, dtype="object")
    result["window_start"] = pd.Series(
        [window_start] * len(frame), index=frame.index, dtype="object"
    )
    result["window_end"] = result["as_of"].copy()
    for key in PEER_KEYS:
        result[key] = frame[key]
    result["peer_count"] = peer_count.astype("int64")
    result["status"] = onboarding.map({True: STATUS_ONBOARDING, False: STATUS_SCORED}).astype("str")

    for column in (*HEALTH_METRICS, *PREV_COLUMNS):
        result[column] = frame[column]

    views = frame["page_views"].where(frame["page_views"] > 0).astype("float64")
    result["inquiries_per_1000_views"] = frame["inquiries"] * 1000 / views
    result["contact_view_rate"] = frame["contact_views"] / views
    return result


def _exact(value: float) -> Fraction:
    """Return the decimal a setting prints as, so that 0.15 is 3/20 and not its binary float."""
    return Fraction(str(value))


def _to_float(value: Fraction | None) -> float:
    return math.nan if value is None else float(value)
