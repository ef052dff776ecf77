"""Plotly figures for the pages, built from small aggregated frames (never raw posts).

Each builder takes what DuckDB already aggregated and returns a styled figure; the page
shows it with :func:`territoires.ui.render.chart` (summary sentence + data table + CSV).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

import pandas as pd
import plotly.graph_objects as go

from territoires import periods
from territoires.periods import mark_bars, note
from territoires.text.i18n import t, weekday_names
from territoires.ui.render import PALETTE, style_fig
from territoires.ui.state import View


def split_periods(df: pd.DataFrame, col: str, grain: str, view: View
                  ) -> tuple[pd.DataFrame, set[date], str]:
    """``df`` without its future periods (after the as-of day: nothing collected yet), the
    partial periods left (the as-of day, or a week not wholly inside the window and the
    data), and the legend note naming them (docs/dashboard.md, "Périodes incomplètes")."""
    found = periods.states(pd.Series(df[col]).unique(), grain, view.since, view.until_excl,
                           view.today)
    keep = df[df[col].map(found) != periods.FUTURE].reset_index(drop=True)
    partial = {p for p, s in found.items() if s == periods.PARTIAL}
    return keep, partial, t("chart.partial.week" if grain == "week" else "chart.partial.day")


def _dates(fig: go.Figure) -> go.Figure:
    """Day/month ticks (plotly's month names are English only)."""
    fig.update_xaxes(tickformat="%d/%m", hoverformat="%d/%m/%Y")
    return fig


def lines(df: pd.DataFrame, x: str, y: str, series: str, labels: dict[str, str] | None = None,
          markers: pd.DataFrame | None = None, marker_label: str = "",
          partial: Collection[object] = (), partial_label: str = "") -> go.Figure:
    """One line per ``series`` value; optional ``markers`` (x, y, series) drawn as points.

    Segments touching a ``partial`` x value are dotted (the solid line stops before them);
    a legend entry ``partial_label`` says why."""
    fig = go.Figure()
    dotted = False
    for n, (name, g) in enumerate(df.groupby(series, sort=False)):
        label = (labels or {}).get(name, str(name))
        color = PALETTE[n % len(PALETTE)]
        flags = [v in partial for v in g[x]]
        if any(flags):
            dotted = True
            fig.add_trace(go.Scatter(  # under the solid line: shows only where it stops
                x=g[x], y=g[y], mode="lines", name=label, legendgroup=label,
                showlegend=False, hoverinfo="skip",
                line={"width": 2.5, "color": color, "dash": "dot"}))
        fig.add_trace(go.Scatter(
            x=g[x], y=[None if f else v for f, v in zip(flags, g[y], strict=True)],
            mode="lines", name=label, legendgroup=label,
            line={"width": 2.5, "color": color}))
        if any(flags):  # the partial points themselves, hoverable
            fig.add_trace(go.Scatter(
                x=g[x][flags], y=g[y][flags], mode="markers", name=label, legendgroup=label,
                showlegend=False, marker={"color": color, "size": 7, "symbol": "circle-open"},
                hovertemplate=f"%{{y}} ({partial_label})"))
    if dotted:
        note(fig, partial_label, bars=False)
    if markers is not None and len(markers):
        fig.add_trace(go.Scatter(x=markers[x], y=markers[y], mode="markers+text",
                                 name=marker_label, text=[marker_label] * len(markers),
                                 textposition="top center",
                                 marker={"size": 13, "color": "#e1000f", "symbol": "star"}))
    return _dates(style_fig(fig))


def stacked_bars(df: pd.DataFrame, x: str, y: str, series: str,
                 labels: dict[object, str] | None = None,
                 partial: Collection[object] = (), partial_label: str = "") -> go.Figure:
    """Stacked bars; those at a ``partial`` x value lighter and hatched."""
    fig = go.Figure()
    xs: list[object] = []
    for n, (name, g) in enumerate(df.groupby(series, sort=False)):
        fig.add_trace(go.Bar(x=g[x], y=g[y], name=(labels or {}).get(name, str(name)),
                             marker_color=PALETTE[n % len(PALETTE)]))
        xs = list(g[x])
    fig.update_layout(barmode="stack")
    return _dates(style_fig(mark_bars(fig, [v in partial for v in xs], partial_label)))


def bars_with_target(df: pd.DataFrame, x: str, y: str, name: str, target: float | None,
                     target_label: str, percent: bool = True,
                     partial: Collection[object] = (), partial_label: str = "") -> go.Figure:
    fig = go.Figure(go.Bar(x=df[x], y=df[y], name=name, marker_color=PALETTE[0]))
    mark_bars(fig, [v in partial for v in df[x]], partial_label)
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


def heatmap(grid: pd.DataFrame, title: str, scale_title: str = "") -> go.Figure:
    """A weekday × hour grid (``weekday`` 0 = Monday, ``hour``, ``n``), with its colour scale
    under it (horizontal: it keeps the grid's width on a phone), titled ``scale_title``."""
    z = grid.pivot(index="weekday", columns="hour", values="n").reindex(
        index=range(7), columns=range(24), fill_value=0)
    fig = go.Figure(go.Heatmap(z=z.values, x=[f"{h}h" for h in range(24)], y=weekday_names(),
                               colorscale=[[0, "#f5f5fe"], [1, "#000091"]], showscale=True,
                               colorbar={"title": {"text": scale_title, "side": "top"},
                                         "orientation": "h", "y": -0.18, "yanchor": "top",
                                         "thickness": 12, "len": 1, "x": 0.5},
                               hovertemplate="%{y} %{x} : %{z}<extra></extra>"))
    fig = style_fig(fig, height=340)
    fig.update_layout(title={"text": title, "font": {"size": 14}}, hovermode="closest")
    fig.update_yaxes(autorange="reversed", rangemode="normal")
    return fig
