"""Plotly figures for the pages, built from small aggregated frames (never raw posts).

Each builder takes what DuckDB already aggregated and returns a styled figure; the page
shows it with :func:`territoires.ui.render.chart` (summary sentence + data table + CSV).
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from territoires.ui.i18n import weekday_names
from territoires.ui.render import PALETTE, style_fig


def _dates(fig: go.Figure) -> go.Figure:
    """Day/month ticks (plotly's month names are English only)."""
    fig.update_xaxes(tickformat="%d/%m", hoverformat="%d/%m/%Y")
    return fig


def lines(df: pd.DataFrame, x: str, y: str, series: str, labels: dict[str, str] | None = None,
          markers: pd.DataFrame | None = None, marker_label: str = "") -> go.Figure:
    """One line per ``series`` value; optional ``markers`` (x, y, series) drawn as points."""
    fig = go.Figure()
    for n, (name, g) in enumerate(df.groupby(series, sort=False)):
        label = (labels or {}).get(name, str(name))
        fig.add_trace(go.Scatter(x=g[x], y=g[y], mode="lines", name=label,
                                 line={"width": 2.5, "color": PALETTE[n % len(PALETTE)]}))
    if markers is not None and len(markers):
        fig.add_trace(go.Scatter(x=markers[x], y=markers[y], mode="markers+text",
                                 name=marker_label, text=[marker_label] * len(markers),
                                 textposition="top center",
                                 marker={"size": 13, "color": "#e1000f", "symbol": "star"}))
    return _dates(style_fig(fig))


def stacked_bars(df: pd.DataFrame, x: str, y: str, series: str,
                 labels: dict[object, str] | None = None) -> go.Figure:
    fig = go.Figure()
    for n, (name, g) in enumerate(df.groupby(series, sort=False)):
        fig.add_trace(go.Bar(x=g[x], y=g[y], name=(labels or {}).get(name, str(name)),
                             marker_color=PALETTE[n % len(PALETTE)]))
    fig.update_layout(barmode="stack")
    return _dates(style_fig(fig))


def bars_with_target(df: pd.DataFrame, x: str, y: str, name: str, target: float | None,
                     target_label: str, percent: bool = True) -> go.Figure:
    fig = go.Figure(go.Bar(x=df[x], y=df[y], name=name, marker_color=PALETTE[0]))
    fig.update_xaxes(type="category")
    if target is not None:
        fig.add_hline(y=target, line={"color": PALETTE[1], "dash": "dash", "width": 2},
                      annotation_text=target_label, annotation_position="top left")
    fig = style_fig(fig)
    if percent:
        fig.update_yaxes(tickformat=".0%", range=[0, 1.05])
    return fig


def hbars(df: pd.DataFrame, label: str, value: str) -> go.Figure:
    d = df.iloc[::-1]
    fig = go.Figure(go.Bar(x=d[value], y=d[label], orientation="h", marker_color=PALETTE[0]))
    fig = style_fig(fig, height=max(220, 26 * len(df) + 60))
    fig.update_layout(hovermode="closest")
    return fig


def heatmap(grid: pd.DataFrame, title: str) -> go.Figure:
    """A weekday × hour grid (``weekday`` 0 = Monday, ``hour``, ``n``)."""
    z = grid.pivot(index="weekday", columns="hour", values="n").reindex(
        index=range(7), columns=range(24), fill_value=0)
    fig = go.Figure(go.Heatmap(z=z.values, x=[f"{h}h" for h in range(24)], y=weekday_names(),
                               colorscale=[[0, "#f5f5fe"], [1, "#000091"]], showscale=False,
                               hovertemplate="%{y} %{x} : %{z}<extra></extra>"))
    fig = style_fig(fig, height=280)
    fig.update_layout(title={"text": title, "font": {"size": 14}}, hovermode="closest")
    fig.update_yaxes(autorange="reversed", rangemode="normal")
    return fig
