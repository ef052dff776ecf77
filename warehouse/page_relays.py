"""The relays page: the window's relay figures, relays over time (local authors or not),
the most relayed city posts and the new local tweetos.

Relays as the metric defines them (:mod:`warehouse.relays`), aggregated in the same
statement: the rows never leave DuckDB. Helpers: :mod:`warehouse.page_base`.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pandas as pd

from model import Territory
from warehouse import relays
from warehouse.metrics_base import Con, compose, period_params, window_utc
from warehouse.page_base import (
    Figure,
    alone,
    bind,
    bucket,
    grain_for,
    on_table,
    periods,
    window_table,
)
from warehouse.post_lookup import post_details

# the figures of the page as selects over ``relays`` (page_base.Figure)
_TIME = {
    grain: ((), compose(
        "SELECT", bucket(grain, "created_at"), "AS period, is_local AS local,",
        "sum(n)::BIGINT AS relays FROM (",
        "SELECT time_bucket(INTERVAL 15 MINUTE, created_at) AS created_at, is_local,",
        "count(*) AS n FROM relays GROUP BY ALL) GROUP BY ALL",  # per 15 minutes first
    ))
    for grain in ("day", "week")
}
# counted first, then the listed originals' instants from the territory's timeline; their
# texts and authors are read for those rows only (warehouse/post_lookup.post_details)
_TOP = (
    ("""
top AS (
    SELECT platform, relayed_post_id AS post_id, count(*) AS relays,
           count(*) FILTER (WHERE is_local) AS local_relays
    FROM relays WHERE relayed_post_id IS NOT NULL
    GROUP BY platform, relayed_post_id
    ORDER BY relays DESC, local_relays DESC, relayed_post_id
    LIMIT $limit
)""",),
    """
SELECT r.platform, r.post_id, t.created_at, r.relays, r.local_relays
FROM top r
LEFT JOIN territory_timeline t ON t.territory = $terr AND t.platform = r.platform
     AND t.post_id = r.post_id
ORDER BY r.relays DESC, r.local_relays DESC, r.post_id
""",
)
_RELAYS_TIME_SQL = {grain: alone(relays.WINDOW_CTES, f) for grain, f in _TIME.items()}
_TOP_RELAYED_SQL = alone(relays.WINDOW_CTES, _TOP)
_TOP_COLUMNS = ["platform", "post_id", "created_at", "author_id", "username", "text", "relays",
                "local_relays", "url"]


def relay_figures(con: Con, territory: Territory, since: date, until: date,
                  platform: str | None = None) -> dict[str, int]:
    """``relays``, ``local_relays``, ``local_tweetos`` and ``potential_reach`` of the window:
    the headline's relay figures (:func:`warehouse.relays.relay_summary`), one statement."""
    return relays.relay_summary(con, territory, since, until, platform=platform)


def relays_over_time(con: Con, territory: Territory, since: date, until: date,
                     platform: str | None = None) -> pd.DataFrame:
    """``period, local, relays``: the window's relays per local day (or week), local
    authors or not, zeros included."""
    grain = grain_for(since, until)
    p = {**relays.params(territory, since, until, platform), "tz": territory.timezone}
    return _every_period(since, until, grain, con.execute(_RELAYS_TIME_SQL[grain], p).df())


def _every_period(since: date, until: date, grain: str, got: pd.DataFrame) -> pd.DataFrame:
    full = pd.MultiIndex.from_product([periods(since, until, grain), [True, False]],
                                      names=["period", "local"])
    if len(got):
        got["period"] = pd.to_datetime(got["period"]).dt.date
        s = got.groupby(["period", "local"])["relays"].sum()
    else:
        s = pd.Series(dtype="int64", index=pd.MultiIndex.from_tuples([], names=["period", "local"]))
    return s.reindex(full, fill_value=0).astype("int64").reset_index(name="relays")


def top_relayed_posts(con: Con, territory: Territory, since: date, until: date,
                      platform: str | None = None, limit: int = 10) -> pd.DataFrame:
    """City posts most relayed (reposted or quoted) in the window."""
    p = {**relays.params(territory, since, until, platform), "limit": int(limit)}
    return _with_details(con, con.execute(_TOP_RELAYED_SQL, p).df())


def _with_details(con: Con, top: pd.DataFrame) -> pd.DataFrame:
    top = post_details(con, top)
    return top.rename(columns={"author_username": "username"})[_TOP_COLUMNS]


def new_local_tweetos(con: Con, territory: Territory, tweetos: pd.DataFrame, since: date,
                      until: date, days: int = 7) -> pd.DataFrame:
    """Local tweetos (``tweetos``: the rows of :func:`warehouse.metrics.local_tweetos` for
    ``[since, until)``) whose first post landed for the territory falls in the window's last
    ``days`` days."""
    df = tweetos
    start = window_utc(territory, max(since, until - timedelta(days=days)), until)[0]
    return df[pd.to_datetime(df["first_seen"]) >= pd.Timestamp(start)].reset_index(drop=True)


def overview(con: Con, territory: Territory, since: date, until: date,
             platform: str | None = None, top: int = 10, *, page: bool = True
             ) -> dict[str, Any]:
    """What the Relais page draws of the window, from one computation of its relays and
    their authors' locality: ``tweetos`` (every local tweeto,
    :func:`warehouse.relays.local_tweetos`) and ``top`` (the ``top`` most relayed city posts,
    :func:`top_relayed_posts`), then, for the page, ``figures`` (:func:`relay_figures`),
    ``newcomers`` (:func:`new_local_tweetos`) and ``over_time`` (:func:`relays_over_time`);
    each equal to its own function's. ``page=False``: the first two only (the review's).

    The window's relays are materialized once, as a temporary table of ``con``: each
    statement computing them judges every relay author's locality again (docs/benchmark.md,
    "2026-12-07, one window per page")."""
    p = {**relays.params(territory, since, until, platform), "tz": territory.timezone,
         **period_params({territory.slug: [window_utc(territory, since, until)]}),
         "limit": 2**62}
    with window_table(con, "relays", relays.WINDOW_CTES, p):
        def run(figure: Figure, **values: Any) -> Any:
            sql = on_table(figure)
            return con.execute(sql, bind(sql, {**p, **values}))

        tweetos = run(relays.TWEETOS).df()
        out = {"tweetos": tweetos, "top": _with_details(con, run(_TOP, limit=top).df())}
        if page:
            grain = grain_for(since, until)
            out.update(
                figures=relays.summary_row(run(relays.SUMMARY)),
                newcomers=new_local_tweetos(con, territory, tweetos, since, until),
                over_time=_every_period(since, until, grain, run(_TIME[grain]).df()),
            )
        return out
