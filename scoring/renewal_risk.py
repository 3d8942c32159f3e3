"""Renewal risk: the probability that a contract is not renewed, with its backtest and reasons.

Input is one row per contract from etl/marts/renewal_features.sql: event counts, after-sales
contacts and history as of the contract's cutoff day (a fixed lead time before its end date).
The model is a scikit-learn logistic regression on standardised numeric inputs and one-hot tier
and segment.
The fallback rule is the event health score at the cutoff: risk = (100 - score) / 100.

The event health score follows the member health score (docs/warehouse.md), restricted to
the portal-database metrics, because access logs rarely reach back to the cutoff of a decided
contract. Peers are the contracts of the same tier whose cutoff falls in the 365 days up to
this one's, so a score never depends on data after its cutoff.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

logger = logging.getLogger(__name__)

EVENT_METRICS = ("inquiries", "messages", "contact_views", "ad_clicks")
PEER_DAYS = 365
NUMERIC_FEATURES = (
    "log_inquiries",
    "log_inquiries_180",
    "contract_inquiry_rate",
    "inquiry_trend",
    "log_messages",
    "log_contact_views",
    "log_ad_clicks",
    "log_after_sales_contacts",
    "health_at_cutoff",
    "tenure_years",
    "prior_renewals",
    "first_renewal",
    "log_amount",
)
CATEGORICAL_FEATURES = ("tier", "segment")
# Reason code of each model input; one-hot columns of a category share their category's code.
REASON_OF_FEATURE = {
    "log_inquiries": "inquiries",
    "log_inquiries_180": "inquiries",
    "contract_inquiry_rate": "inquiries",
    "inquiry_trend": "inquiry_trend",
    "log_messages": "messages",
    "log_contact_views": "contact_views",
    "log_ad_clicks": "ad_clicks",
    "log_after_sales_contacts": "after_sales_contacts",
    "health_at_cutoff": "health_score",
    "tenure_years": "tenure",
    "prior_renewals": "prior_renewals",
    "first_renewal": "first_renewal",
    "log_amount": "amount",
    "tier": "tier",
    "segment": "segment",
}
MAX_REASONS = 3
# Inverse regularisation strength of the logistic regression. The inputs are correlated
# (three inquiry counts, the health score built from them), and a few hundred training
# contracts overfit at scikit-learn's default of 1.0. Backtest ROC AUC on the demo portal
# (seed 7): 0.699 at C=1.0 and 0.712 at C=0.1 at scale 0.4; 0.775 and 0.798 at scale 1.
REGULARISATION_C = 0.1
CALIBRATION_EDGES = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
DECIDED = ("renewed", "churned")


@dataclass(frozen=True)
class Backtest:
    """Backtest results: one metrics row per scorer and the calibration table of the main one."""

    metrics: pd.DataFrame
    calibration: pd.DataFrame
    split_date: object


def add_event_health(features: pd.DataFrame, weights: dict[str, float]) -> pd.DataFrame:
    """Add pct_<metric> and health_at_cutoff (0 to 100, one decimal) to the feature rows."""
    frame = features.copy()
    cutoffs = pd.to_datetime(frame["cutoff"]).to_numpy()
    for metric in EVENT_METRICS:
        frame[f"pct_{metric}"] = np.nan
    for _tier, rows in frame.groupby("tier", sort=False, dropna=False):
        index = rows.index.to_numpy()
        tier_cutoffs = cutoffs[frame.index.get_indexer(index)]
        for metric in EVENT_METRICS:
            values = rows[f"{metric}_recent"].to_numpy(dtype=float)
            frame.loc[index, f"pct_{metric}"] = _peer_percentiles(values, tier_cutoffs)

    used = {metric: weights.get(metric, 0.0) for metric in EVENT_METRICS}
    total = sum(used.values())
    if total <= 0:
        frame["health_at_cutoff"] = 50.0
        return frame
    score = sum(frame[f"pct_{metric}"] * weight for metric, weight in used.items()) / total
    frame["health_at_cutoff"] = score.map(_round_half_up)
    return frame


def _peer_percentiles(values: np.ndarray, cutoffs: np.ndarray) -> np.ndarray:
    """Percentile of each value among peers whose cutoff is in the PEER_DAYS up to its own."""
    window = np.timedelta64(PEER_DAYS, "D")
    result = np.empty(len(values))
    for i, (value, cutoff) in enumerate(zip(values, cutoffs, strict=True)):
        peers = values[(cutoffs <= cutoff) & (cutoffs > cutoff - window)]
        if len(peers) <= 1:
            result[i] = 50.0
            continue
        less = np.count_nonzero(peers < value)
        equal = np.count_nonzero(peers == value)
        # Average rank among ties, smallest value rank 1: percentile = 100 (rank - 1) / (n - 1).
        result[i] = 100.0 * (less + (equal - 1) / 2) / (len(peers) - 1)
    return result


def _round_half_up(value: float) -> float:
    return math.floor(value * 10 + 0.5 + 1e-9) / 10


def model_inputs(features: pd.DataFrame) -> pd.DataFrame:
    """Return the model's input columns derived from feature rows with health_at_cutoff."""
    inputs = pd.DataFrame(index=features.index)
    inputs["log_inquiries"] = np.log1p(features["inquiries_recent"].astype(float))
    inputs["log_inquiries_180"] = np.log1p(
        features["inquiries_recent"].astype(float) + features["inquiries_before"].astype(float)
    )
    # Inquiries per year of the contract so far; +0.5 keeps a shop without any finite.
    days = features["contract_days"].astype(float).clip(lower=1)
    inputs["contract_inquiry_rate"] = np.log(
        (features["inquiries_contract"].astype(float) + 0.5) * 365 / days
    )
    inputs["inquiry_trend"] = np.log(
        (features["inquiries_recent"].astype(float) + 1)
        / (features["inquiries_before"].astype(float) + 1)
    )
    inputs["log_messages"] = np.log1p(features["messages_recent"].astype(float))
    inputs["log_contact_views"] = np.log1p(features["contact_views_recent"].astype(float))
    inputs["log_ad_clicks"] = np.log1p(features["ad_clicks_recent"].astype(float))
    inputs["log_after_sales_contacts"] = np.log1p(features["after_sales_contacts"].astype(float))
    inputs["health_at_cutoff"] = features["health_at_cutoff"].astype(float)
    inputs["tenure_years"] = features["tenure_days"].astype(float) / 365.0
    inputs["prior_renewals"] = features["prior_renewals"].astype(float)
    inputs["first_renewal"] = (features["renewal_kind"] == "first").astype(float)
    inputs["log_amount"] = np.log1p(features["amount_cny"].astype(float).clip(lower=0))
    for column in CATEGORICAL_FEATURES:
        inputs[column] = features[column].fillna("").astype(str)
    return inputs


def churned(features: pd.DataFrame) -> np.ndarray:
    """Return the label: 1 for a churned contract, 0 for a renewed one."""
    return (features["outcome"] == "churned").to_numpy(dtype=int)


def fit_model(features: pd.DataFrame) -> Pipeline:
    """Fit the logistic regression on decided contracts; raise ValueError with one class."""
    labels = churned(features)
    if len(set(labels)) < 2:
        raise ValueError(
            f"Training needs renewed and churned contracts; all {len(labels)} have one outcome."
        )
    preprocess = ColumnTransformer(
        [
            ("numeric", StandardScaler(), list(NUMERIC_FEATURES)),
            ("category", OneHotEncoder(handle_unknown="ignore"), list(CATEGORICAL_FEATURES)),
        ],
        sparse_threshold=0.0,
    )
    model = Pipeline(
        [
            ("preprocess", preprocess),
            ("regression", LogisticRegression(C=REGULARISATION_C, max_iter=2000)),
        ]
    )
    model.fit(model_inputs(features), labels)
    return model


def predict_model(model: Pipeline, features: pd.DataFrame) -> np.ndarray:
    return model.predict_proba(model_inputs(features))[:, 1]


def predict_rule(features: pd.DataFrame) -> np.ndarray:
    """Return the rule's risk: (100 - event health score at the cutoff) / 100."""
    return ((100.0 - features["health_at_cutoff"].astype(float)) / 100.0).to_numpy()


def model_reasons(model: Pipeline, features: pd.DataFrame, training: pd.DataFrame) -> list[str]:
    """Return per contract the reason codes whose inputs raise its risk most, comma-separated.

    A column's contribution is its coefficient times the contract's transformed value less
    the training mean, which is the change in log-odds against an average training contract.
    """
    preprocess = model.named_steps["preprocess"]
    coefficients = model.named_steps["regression"].coef_[0]
    baseline = preprocess.transform(model_inputs(training)).mean(axis=0)
    contributions = (preprocess.transform(model_inputs(features)) - baseline) * coefficients

    codes = [_reason_code(name) for name in preprocess.get_feature_names_out()]
    grouped = pd.DataFrame(contributions, columns=codes).T.groupby(level=0, sort=False).sum().T
    return [_top_positive(row) for _, row in grouped.iterrows()]


def _reason_code(column: str) -> str:
    name = column.split("__", 1)[1]
    for feature, code in REASON_OF_FEATURE.items():
        if name == feature or name.startswith(f"{feature}_"):
            return code
    raise ValueError(f"Model column {column!r} has no reason code; add it to REASON_OF_FEATURE.")


def _top_positive(contributions: pd.Series) -> str:
    positive = contributions[contributions > 1e-9].sort_values(ascending=False, kind="stable")
    return ",".join(positive.index[:MAX_REASONS])


def rule_reasons(features: pd.DataFrame, weights: dict[str, float]) -> list[str]:
    """Return per contract the event metrics below the peer median, worst weighted first."""
    reasons = []
    for _, row in features.iterrows():
        gaps = {
            metric: weights.get(metric, 0.0) * (100 - row[f"pct_{metric}"])
            for metric in EVENT_METRICS
            if weights.get(metric, 0.0) > 0 and row[f"pct_{metric}"] < 50
        }
        ordered = sorted(gaps, key=lambda metric: -gaps[metric])
        reasons.append(",".join(ordered[:2]))
    return reasons


def split_date(decided: pd.DataFrame, test_share: float) -> object:
    """Return the first decision day of the test set: the latest `test_share` of decisions."""
    days = decided["decided_on"].sort_values(kind="stable").reset_index(drop=True)
    position = min(len(days) - 1, max(0, math.floor(len(days) * (1 - test_share))))
    return days.iloc[position]


def run_backtest(decided: pd.DataFrame, test_share: float, min_training: int) -> Backtest:
    """Train on contracts decided before the split day, score those decided on it or later.

    The rule and the constant baseline are always scored. The model is left out when fewer
    than `min_training` contracts were decided before the split day, or all had one outcome.
    """
    if decided.empty:
        empty = pd.DataFrame(columns=[*_metrics_row("", np.array([]), np.array([]), 0, None)])
        return Backtest(_typed_metrics(empty), calibration_table(np.array([]), np.array([])), None)
    split = split_date(decided, test_share)
    train = decided[decided["decided_on"] < split]
    test = decided[decided["decided_on"] >= split]
    labels = churned(test)
    churn_rate = float(churned(train).mean()) if len(train) else float(labels.mean())

    scorers = {
        "health_rule": predict_rule(test),
        "constant": np.full(len(test), churn_rate),
    }
    if len(train) >= min_training and len(set(churned(train))) == 2:
        scorers = {"model": predict_model(fit_model(train), test), **scorers}

    rows = [
        _metrics_row(name, labels, predicted, len(train), split)
        for name, predicted in scorers.items()
    ]
    main = next(iter(scorers))
    calibration = calibration_table(labels, scorers[main]).assign(scorer=main)
    return Backtest(_typed_metrics(pd.DataFrame(rows)), calibration, split)


def _typed_metrics(metrics: pd.DataFrame) -> pd.DataFrame:
    # A metric that cannot be computed is None; keep the columns numeric for DuckDB.
    for column in ("test_churn_rate", "roc_auc", "brier"):
        metrics[column] = pd.to_numeric(metrics[column]).astype("float64")
    return metrics


def _metrics_row(
    scorer: str, labels: np.ndarray, predicted: np.ndarray, train_count: int, split: object
) -> dict[str, object]:
    both = len(set(labels)) == 2
    return {
        "scorer": scorer,
        "train_contracts": train_count,
        "test_contracts": len(labels),
        "test_first_decided_on": split,
        "test_churn_rate": float(labels.mean()) if len(labels) else None,
        "roc_auc": float(roc_auc_score(labels, predicted)) if both else None,
        "brier": float(brier_score_loss(labels, predicted)) if len(labels) else None,
    }


def calibration_table(labels: np.ndarray, predicted: np.ndarray) -> pd.DataFrame:
    """Return per predicted-risk bin the contracts, mean predicted risk and observed churn."""
    edges = CALIBRATION_EDGES
    bins = np.clip(np.searchsorted(edges, predicted, side="right") - 1, 0, len(edges) - 2)
    rows = []
    for index in range(len(edges) - 1):
        inside = bins == index
        rows.append(
            {
                "bin_low": edges[index],
                "bin_high": edges[index + 1],
                "contracts": int(inside.sum()),
                "mean_predicted": float(predicted[inside].mean()) if inside.any() else np.nan,
                "observed_churn_rate": float(labels[inside].mean()) if inside.any() else np.nan,
            }
        )
    return pd.DataFrame(rows)
