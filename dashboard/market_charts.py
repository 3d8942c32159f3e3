"""Plotly figures of the market-share page; labels come translated, data as query results."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from i18n import translate

NOW_COLOUR = "#1565c0"
BEFORE_COLOUR = "#90caf9"
LOW_COLOUR = "#c62828"


def penetration_bars(segments: pd.DataFrame, overall: float, language: str) -> go.Figure:
    """Bars of penetration per segment, now and a year earlier, with the overall level."""
    figure = go.Figure()
    figure.add_bar(
        x=segments["segment"],
        y=segments["penetration_year_before"],
        name=translate(language, "market.chart_year_before"),
        marker_color=BEFORE_COLOUR,
    )
    figure.add_bar(
        x=segments["segment"],
        y=segments["penetration"],
        name=translate(language, "market.chart_now"),
        marker_color=[
            LOW_COLOUR if value < overall else NOW_COLOUR for value in segments["penetration"]
        ],
    )
    figure.add_hline(
        y=overall,
        line_dash="dash",
        annotation_text=translate(language, "market.chart_overall"),
    )
    figure.update_layout(
        title=translate(language, "market.chart_title"),
        barmode="group",
        yaxis_tickformat=".0%",
        margin={"t": 48, "b": 24},
    )
    return figure


def revenue_bars(segments: pd.DataFrame, language: str) -> go.Figure:
    """Bars of revenue per segment, labelled with the segment's share of the total."""
    ordered = segments.sort_values("revenue_cny", ascending=False)
    figure = go.Figure(
        go.Bar(
            x=ordered["segment"],
            y=ordered["revenue_cny"],
            text=[f"{share:.0%}" if pd.notna(share) else "" for share in ordered["revenue_share"]],
            textposition="outside",
            marker_color=NOW_COLOUR,
        )
    )
    figure.update_layout(
        title=translate(language, "market.revenue_chart_title"),
        yaxis_title=translate(language, "market.col.revenue"),
        margin={"t": 48, "b": 24},
    )
    return figure
