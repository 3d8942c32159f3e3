"""Plotly figures for the pages; labels come in translated, data as query results."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from i18n import label, translate

BAND_COLOURS = {
    "healthy": "#2e7d32",
    "watch": "#f9a825",
    "at_risk": "#c62828",
    "onboarding": "#78909c",
}
DAILY_METRICS = ("page_views", "unique_visitors", "inquiries")


def band_bar(counts: dict[str, int], language: str) -> go.Figure:
    """Bar chart of members per band, in the order healthy, watch, at risk, onboarding."""
    bands = list(counts)
    frame = pd.DataFrame(
        {
            "band": [label("band", band, language) for band in bands],
            "members": [counts[band] for band in bands],
            "colour": [BAND_COLOURS.get(band, "#9e9e9e") for band in bands],
        }
    )
    figure = go.Figure(
        go.Bar(
            x=frame["band"],
            y=frame["members"],
            marker_color=frame["colour"],
            text=frame["members"],
            textposition="outside",
        )
    )
    figure.update_layout(
        title=translate(language, "health.chart_title"),
        yaxis_title=translate(language, "health.chart_members"),
        margin={"t": 48, "b": 24},
    )
    return figure


def daily_lines(daily: pd.DataFrame, language: str) -> go.Figure:
    """Line chart of daily page views, visitors and inquiries."""
    long = daily.melt(id_vars="day", value_vars=list(DAILY_METRICS), var_name="metric")
    long["metric"] = [label("metric", metric, language) for metric in long["metric"]]
    figure = px.line(
        long,
        x="day",
        y="value",
        color="metric",
        labels={
            "day": translate(language, "col.day"),
            "value": "",
            "metric": translate(language, "col.metric"),
        },
    )
    # Plotly names months in English ("Sep 6"); numeric dates read the same in both languages.
    figure.update_xaxes(tickformat="%Y-%m-%d")
    figure.update_layout(margin={"t": 24, "b": 24})
    return figure


def sources_pie(sources: pd.DataFrame, language: str) -> go.Figure:
    """Pie chart of page views by traffic-source class."""
    names = [label("source", code, language) for code in sources["source_class"]]
    figure = go.Figure(go.Pie(labels=names, values=sources["page_views"], sort=False))
    figure.update_layout(margin={"t": 24, "b": 24})
    return figure


def reasons_bar(by_reason: pd.DataFrame, language: str) -> go.Figure:
    """Horizontal bar chart of rejected rows per translated reason."""
    figure = go.Figure(
        go.Bar(
            x=by_reason["rows"],
            y=by_reason["reason"],
            orientation="h",
            text=by_reason["rows"],
            textposition="outside",
        )
    )
    figure.update_layout(
        title=translate(language, "status.chart_title"),
        xaxis_title=translate(language, "col.rows"),
        yaxis={"autorange": "reversed"},
        margin={"t": 48, "b": 24},
    )
    return figure
