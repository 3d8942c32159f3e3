"""Plotly figures of the sales page; labels come translated, data as query results."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from i18n import translate

NEW_COLOUR = "#1565c0"
RENEWAL_COLOUR = "#64b5f6"
TARGET_COLOUR = "#424242"
RANGE_COLOUR = "#2e7d32"
OTHER_COLOUR = "#9e9e9e"


def target_bars(rows: pd.DataFrame, names: list[str], language: str) -> go.Figure:
    """Stacked new and renewal amounts per row, with the target and projection as markers."""
    figure = go.Figure()
    figure.add_bar(
        x=names,
        y=rows["signed_new_cny"],
        name=translate(language, "sales.signed_new"),
        marker_color=NEW_COLOUR,
    )
    figure.add_bar(
        x=names,
        y=rows["signed_renewal_cny"],
        name=translate(language, "sales.signed_renewal"),
        marker_color=RENEWAL_COLOUR,
    )
    figure.add_scatter(
        x=names,
        y=rows["target_cny"],
        mode="markers",
        marker={"symbol": "line-ew-open", "size": 28, "color": TARGET_COLOUR},
        name=translate(language, "sales.target"),
    )
    figure.add_scatter(
        x=names,
        y=rows["projected_cny"],
        mode="markers",
        marker={"symbol": "diamond-open", "size": 10, "color": NEW_COLOUR},
        name=translate(language, "sales.projected"),
    )
    figure.update_layout(
        title=translate(language, "sales.chart_title"),
        barmode="stack",
        margin={"t": 48, "b": 24},
    )
    return figure


def count_bars(
    counts: pd.DataFrame,
    value_column: str,
    title_key: str,
    language: str,
    highlight: tuple[int, int] | None = None,
) -> go.Figure:
    """Bars of a count per number of follow-ups; bars inside `highlight` are green."""
    colours = [
        RANGE_COLOUR if highlight and highlight[0] <= n <= highlight[1] else OTHER_COLOUR
        for n in counts["followups"]
    ]
    figure = go.Figure(go.Bar(x=counts["followups"], y=counts[value_column], marker_color=colours))
    figure.update_layout(
        title=translate(language, title_key),
        xaxis_title=translate(language, "sales.col.followups"),
        margin={"t": 48, "b": 24},
    )
    return figure
