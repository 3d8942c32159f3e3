"""Plotly figures of the renewal pages: rate trend, Pareto curve, calibration."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard.renewals_tables import group_label, pareto_frame, period_label
from i18n import translate


def rate_trend(rates: pd.DataFrame, period_kind: str, language: str) -> go.Figure:
    """Lines of the renewal rate by count per period, one per group; dashed a year earlier."""
    figure = go.Figure()
    for group, rows in rates.sort_values("period").groupby("group_value", sort=True):
        name = group_label(group, language)
        periods = [period_label(period, period_kind) for period in rows["period"]]
        figure.add_trace(
            go.Scatter(x=periods, y=rows["rate_by_count"], mode="lines+markers", name=name)
        )
        if rates["group_value"].nunique() == 1:
            figure.add_trace(
                go.Scatter(
                    x=periods,
                    y=rows["rate_by_amount"],
                    mode="lines+markers",
                    name=translate(language, "renewals.chart.by_amount"),
                )
            )
            figure.add_trace(
                go.Scatter(
                    x=periods,
                    y=rows["year_earlier_rate_by_count"],
                    mode="lines",
                    line={"dash": "dash"},
                    name=translate(language, "renewals.chart.year_earlier"),
                )
            )
    figure.update_layout(
        title=translate(language, "renewals.chart.trend_title"),
        yaxis={"tickformat": ".0%", "range": [0, 1.05]},
        xaxis={"type": "category"},
        legend={"orientation": "h"},
    )
    return figure


def pareto_chart(revenue: pd.DataFrame, language: str) -> go.Figure:
    """Pareto chart: revenue per member as bars, cumulative revenue share as a line."""
    frame = pareto_frame(revenue)
    ranks = list(range(1, len(frame) + 1))
    figure = go.Figure()
    figure.add_trace(
        go.Bar(x=ranks, y=frame["revenue_cny"], name=translate(language, "renewals.col.revenue"))
    )
    figure.add_trace(
        go.Scatter(
            x=ranks,
            y=frame["revenue_share"],
            yaxis="y2",
            mode="lines",
            name=translate(language, "renewals.col.cumulative_share"),
        )
    )
    figure.update_layout(
        title=translate(language, "renewals.chart.pareto_title"),
        xaxis={"title": translate(language, "renewals.chart.member_rank")},
        yaxis={"title": translate(language, "renewals.col.revenue")},
        yaxis2={"overlaying": "y", "side": "right", "tickformat": ".0%", "range": [0, 1.02]},
        legend={"orientation": "h"},
    )
    return figure


def calibration_chart(calibration: pd.DataFrame, language: str) -> go.Figure:
    """Mean predicted risk against the observed churn rate per bin, beside the diagonal."""
    filled = calibration.dropna(subset=["mean_predicted"])
    figure = go.Figure()
    figure.add_trace(
        go.Scatter(
            x=[0, 1],
            y=[0, 1],
            mode="lines",
            line={"dash": "dot"},
            name=translate(language, "risk.chart.perfect"),
        )
    )
    figure.add_trace(
        go.Scatter(
            x=filled["mean_predicted"],
            y=filled["observed_churn_rate"],
            mode="lines+markers",
            text=filled["contracts"],
            name=translate(language, "risk.chart.observed"),
        )
    )
    figure.update_layout(
        title=translate(language, "risk.chart.calibration_title"),
        xaxis={"title": translate(language, "risk.col.mean_predicted"), "tickformat": ".0%"},
        yaxis={"title": translate(language, "risk.col.observed_churn_rate"), "tickformat": ".0%"},
    )
    return figure
