"""Which days and weeks of a chart hold complete data (no Streamlit: the report uses it too).

A local day is *complete* when it ended before the data's as-of instant (the last
collection, capped at now); the as-of day itself is *partial* (collected up to as-of) and
later days are *future* (nothing collected yet). A week (a local ISO week, Monday first) is
complete when its seven days are inside the window and complete; a week whose Monday is
after the as-of day is future. Charts leave future points out, draw partial ones apart, and
no comparison treats a partial period as a whole one (docs/dashboard.md, "Périodes
incomplètes").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta

import plotly.graph_objects as go

COMPLETE, PARTIAL, FUTURE = "complete", "partial", "future"
PARTIAL_OPACITY = 0.4
PARTIAL_PATTERN = "/"
PARTIAL_GREY = "#6a6a6a"


def last_complete_day(today: date) -> date:
    """The last local day wholly before the as-of instant, whose local date is ``today``."""
    return today - timedelta(days=1)


def day_state(day: date, today: date) -> str:
    return FUTURE if day > today else PARTIAL if day == today else COMPLETE


def week_state(monday: date, since: date, until: date, today: date) -> str:
    """The week starting ``monday`` for a window ``[since, until)`` judged on ``today``."""
    if monday > today:
        return FUTURE
    end = monday + timedelta(days=7)
    return COMPLETE if since <= monday and end <= until and end <= today else PARTIAL


def states(periods: Iterable[date], grain: str, since: date, until: date, today: date
           ) -> dict[date, str]:
    """Each period start (a day, or a week's Monday when ``grain`` is ``week``): its state."""
    if grain == "week":
        return {p: week_state(p, since, until, today) for p in periods}
    return {p: day_state(p, today) for p in periods}


def period_complete(until: date, today: date) -> bool:
    """Whether a period ending before ``until`` (excluded) had ended at the as-of day."""
    return until <= today


# -- drawing them apart ----------------------------------------------------------------------
def note(fig: go.Figure, label: str, bars: bool) -> None:
    """A legend entry (no data) saying what the lighter or dotted points are."""
    if bars:
        fig.add_trace(go.Bar(x=[None], y=[None], name=label, hoverinfo="skip",
                             marker={"color": PARTIAL_GREY, "opacity": PARTIAL_OPACITY,
                                     "pattern": {"shape": PARTIAL_PATTERN}}))
    else:
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", name=label, hoverinfo="skip",
                                 line={"color": PARTIAL_GREY, "dash": "dot", "width": 2.5}))


def mark_bars(fig: go.Figure, flags: Sequence[bool], label: str) -> go.Figure:
    """The bars at the positions where ``flags`` is true drawn lighter and hatched (every bar
    trace of ``fig``), with a legend note ``label``."""
    if not any(flags):
        return fig
    for tr in list(fig.data):
        if tr.type == "bar":
            tr.marker.opacity = [PARTIAL_OPACITY if f else 1.0 for f in flags]
            tr.marker.pattern = {"shape": [PARTIAL_PATTERN if f else "" for f in flags]}
    note(fig, label, bars=True)
    return fig
