"""The long view (the Tendances page) and the weekly review's counts of past periods, read
from the daily rollups only (:mod:`warehouse.rollups`): fast at any size, and unchanged when
retention purges the posts.

* ``posts`` from ``daily_posts`` (every post landed for the territory, reposts included: the
  whole territory even when an account is chosen);
* ``interpellations``, ``answered``, ``relays``, ``local_relays``, ``hashtag_posts`` from
  ``daily_activity``: the whole territory (``account = ''``), or one city account's rows
  (the interpellations addressed to it, the reposts and quotes of its posts). What each
  means, ``answered`` in particular (the answers known when the day was last recomputed):
  :mod:`warehouse.rollup_counts` and docs/metrics.md, "History: the daily rollups".

Periods are given by their first day and the day after their last (local dates).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import pandas as pd

from model import Territory
from warehouse.metrics_base import Con, check_platform

GRAINS = ("month", "week")
COUNTS = ("posts", "interpellations", "answered", "relays", "local_relays", "hashtag_posts")

_PERIODS_SQL = """
WITH periods AS (
    SELECT unnest($p_k::INTEGER[]) AS k, unnest($p_d0::DATE[]) AS d0,
           unnest($p_d1::DATE[]) AS d1
),
dp AS (
    SELECT day, sum(posts) AS posts FROM daily_posts
    WHERE territory = $terr AND day >= $d0 AND day < $d1
      AND ($platform::VARCHAR IS NULL OR platform = $platform::VARCHAR)
    GROUP BY day
),
da AS (
    SELECT day, sum(interpellations) AS interpellations, sum(answered) AS answered,
           sum(relays) AS relays, sum(local_relays) AS local_relays,
           sum(hashtag_posts) AS hashtag_posts
    FROM daily_activity
    WHERE territory = $terr AND day >= $d0 AND day < $d1
      AND account = coalesce(lower($account::VARCHAR), '')
      AND ($platform::VARCHAR IS NULL OR platform = $platform::VARCHAR)
    GROUP BY day
),
pp AS (
    SELECT pr.k, sum(dp.posts) AS posts
    FROM periods pr LEFT JOIN dp ON dp.day >= pr.d0 AND dp.day < pr.d1 GROUP BY pr.k
),
pa AS (
    SELECT pr.k, sum(da.interpellations) AS interpellations, sum(da.answered) AS answered,
           sum(da.relays) AS relays, sum(da.local_relays) AS local_relays,
           sum(da.hashtag_posts) AS hashtag_posts
    FROM periods pr LEFT JOIN da ON da.day >= pr.d0 AND da.day < pr.d1 GROUP BY pr.k
)
SELECT pr.k, pr.d0 AS period, pr.d1 AS period_end,
       coalesce(pp.posts, 0)::BIGINT AS posts,
       coalesce(pa.interpellations, 0)::BIGINT AS interpellations,
       coalesce(pa.answered, 0)::BIGINT AS answered,
       coalesce(pa.relays, 0)::BIGINT AS relays,
       coalesce(pa.local_relays, 0)::BIGINT AS local_relays,
       coalesce(pa.hashtag_posts, 0)::BIGINT AS hashtag_posts
FROM periods pr JOIN pp USING (k) JOIN pa USING (k)
ORDER BY pr.k
"""
# the first day the territory has rollups (posts landed), and the first day no longer frozen
_SPAN_SQL = """
SELECT (SELECT min(day) FROM daily_posts WHERE territory = $terr
          AND ($platform::VARCHAR IS NULL OR platform = $platform::VARCHAR)),
       (SELECT frozen_before FROM retention_horizon WHERE territory = $terr)
"""


def _counts(con: Con, territory: Territory, bounds: Sequence[tuple[date, date]],
            platform: str | None, account: str | None) -> pd.DataFrame:
    values: dict[str, Any] = {
        "terr": territory.slug, "platform": check_platform(platform),
        "account": account.lstrip("@") if account else None,
        "p_k": list(range(len(bounds))), "p_d0": [b[0] for b in bounds],
        "p_d1": [b[1] for b in bounds],
        "d0": min((b[0] for b in bounds), default=date(1970, 1, 1)),
        "d1": max((b[1] for b in bounds), default=date(1970, 1, 1)),
    }
    df = con.execute(_PERIODS_SQL, values).df()
    df["response_rate"] = [a / n if n else None
                           for a, n in zip(df["answered"], df["interpellations"], strict=True)]
    return df


def period_starts(grain: str, since: date, until: date) -> list[tuple[date, date]]:
    """The months (first day) or ISO weeks (Monday) meeting ``[since, until)``, as
    ``(start, end)`` (end excluded); the first and last may reach outside it."""
    if grain not in GRAINS:
        raise ValueError(f"unknown grain {grain!r} (expected one of {', '.join(GRAINS)})")
    out: list[tuple[date, date]] = []
    if grain == "week":
        start = since - timedelta(days=since.weekday())
        while start < until:
            out.append((start, start + timedelta(days=7)))
            start += timedelta(days=7)
        return out
    start = since.replace(day=1)
    while start < until:
        end = (start + timedelta(days=32)).replace(day=1)
        out.append((start, end))
        start = end
    return out


def trends(
    con: Con,
    territory: Territory,
    since: date,
    until: date,
    grain: str,
    platform: str | None = None,
    account: str | None = None,
) -> pd.DataFrame:
    """One row per month or ISO week (``grain``) meeting ``[since, until)``: ``period`` (its
    first day), ``period_end`` (excluded), :data:`COUNTS`, ``response_rate`` (answered /
    interpellations, None without any), and ``data_from`` (the territory's first day with
    rollups: a period starting before it is not whole) and ``frozen_before`` (the retention
    horizon: days before it are counted as they were when their posts were purged)."""
    df = _counts(con, territory, period_starts(grain, since, until), platform, account)
    first, frozen = con.execute(
        _SPAN_SQL, {"terr": territory.slug, "platform": check_platform(platform)}).fetchall()[0]
    df["data_from"] = first
    df["frozen_before"] = frozen
    return df.drop(columns=["k"])


def period_counts(
    con: Con,
    territory: Territory,
    periods: Sequence[tuple[date, date]],
    platform: str | None = None,
    account: str | None = None,
) -> list[dict[str, Any]]:
    """:data:`COUNTS` and ``response_rate`` of each ``(since, until)`` of ``periods``, plus
    ``frozen``: whether the period reaches before the retention horizon (its posts are gone;
    the rollups are all that is left of it)."""
    df = _counts(con, territory, periods, platform, account)
    row = con.execute("SELECT frozen_before FROM retention_horizon WHERE territory = $terr",
                      {"terr": territory.slug}).fetchall()
    frozen = row[0][0] if row else None
    out = []
    for rec, (since, _until) in zip(df.to_dict("records"), periods, strict=True):
        got: dict[str, Any] = {k: int(rec[k]) for k in COUNTS}
        got["response_rate"] = rec["response_rate"]
        got["frozen"] = frozen is not None and since < frozen
        out.append(got)
    return out


# A past period's figures read from the rollups (:func:`past_figures`): always, those that
# depend neither on the as-of instant nor on profiles (the same numbers as the headline's
# while the posts are there); once retention reached the period, these too
ROLLED = ("interpellations", "relays", "hashtag_posts")
ROLLED_FROZEN = ("answered", "local_relays")
RATE_DIGITS = 4  # as the headline's response_rate (warehouse/metrics.py)
_KEEP = ("territory", "since", "until", "as_of")


def past_figures(
    con: Con,
    territory: Territory,
    periods: Sequence[tuple[date, date]],
    headlines: Sequence[dict[str, Any]],
) -> list[dict[str, Any]]:
    """The weekly review's previous periods (``headlines``: their headline figures, from the
    facts) with their counts from the daily rollups, so the comparisons survive retention.

    While a period's posts are all there, :data:`ROLLED` replace the headline's (equal
    numbers). Once retention reached it, its answered count and response rate, and its local
    relays, are the rollups' too (the answers known when it froze), and every other figure
    (times, local tweetos, the expected-answer family) is unknown (``None``): what is left of
    the facts would give a part of the period as if it were the whole."""
    out = []
    for head, rolled in zip(headlines, period_counts(con, territory, periods), strict=True):
        got = {**head, **{k: rolled[k] for k in ROLLED}}
        if rolled["frozen"]:
            got.update({k: None for k in got if k not in _KEEP})
            got.update({k: rolled[k] for k in (*ROLLED, *ROLLED_FROZEN)})
            rate = rolled["response_rate"]
            got["response_rate"] = None if rate is None else round(rate, RATE_DIGITS)
        out.append(got)
    return out
