"""Spikes: days when a tracked hashtag, or the mentions of the city, run far above their
usual level (today's page, the hashtags page), and the posts behind one.

Helpers: :mod:`warehouse.page_base`.
"""

from __future__ import annotations

from datetime import date, timedelta
from statistics import median

import pandas as pd

from model import Territory, tag_key
from warehouse import activity
from warehouse.metrics_base import (
    CITY_CTE,
    TP_CTE,
    Con,
    base_params,
    compose,
    url_expr,
    window_utc,
    with_ctes,
)
from warehouse.page_base import MENTIONED_CTE, bucket, platform_kw

SPIKE_FACTOR = 3.0  # a day is a spike at 3× its usual level (median of the previous 28 days)
SPIKE_MIN_POSTS = 10  # ... and at least this many posts
SPIKE_BASELINE_DAYS = 28

_MENTIONS_SQL = compose(
    with_ctes(CITY_CTE, TP_CTE, MENTIONED_CTE),
    "SELECT", bucket("day", "created_at"), "AS period, sum(n)::BIGINT AS posts FROM (",
    "SELECT time_bucket(INTERVAL 15 MINUTE, created_at) AS created_at, count(*) AS n",
    "FROM mentioned GROUP BY ALL) GROUP BY ALL",  # per 15 minutes first (page_volume)
)


def daily_series(con: Con, territory: Territory, first: date, until: date,
                 platform: str | None = None) -> pd.DataFrame:
    """``series, day, posts`` over ``[first, until)``: each tracked hashtag (from
    :func:`warehouse.activity.hashtag_activity`) and ``mentions`` (posts mentioning a city
    account, as in :func:`warehouse.page_volume.volume_by_kind`), zeros included."""
    days = [first + timedelta(days=i) for i in range((until - first).days)]
    p = base_params(territory, *window_utc(territory, first, until), platform=platform)
    p["tz"] = territory.timezone
    own = con.execute(_MENTIONS_SQL, p).df()
    rows: dict[tuple[str, date], int] = {}
    for r in own.itertuples():
        rows[("mentions", pd.Timestamp(r.period).date())] = int(r.posts)
    ha = activity.hashtag_activity(con, territory, first, until, **platform_kw(platform))
    for r in ha.itertuples():
        rows[(r.hashtag, pd.Timestamp(r.local_date).date())] = int(r.posts)
    series = ["mentions", *territory.hashtags]
    return pd.DataFrame(
        [(s, d, rows.get((s, d), 0)) for s in series for d in days],
        columns=["series", "day", "posts"],
    )


def detect_spikes(daily: pd.DataFrame, days: list[date], factor: float = SPIKE_FACTOR,
                  min_posts: int = SPIKE_MIN_POSTS,
                  baseline_days: int = SPIKE_BASELINE_DAYS) -> pd.DataFrame:
    """Days among ``days`` where a series is far above its usual level.

    Usual = the median of the ``baseline_days`` days before (zeros count). A spike has at
    least ``min_posts`` posts and ``factor`` times the usual (the usual counted as at least
    1). Returns ``series, day, posts, usual``.
    """
    out = []
    for series, g in daily.groupby("series", sort=False):
        by_day = dict(zip(g["day"], g["posts"], strict=True))
        for d in days:
            n = int(by_day.get(d, 0))
            before = [int(by_day.get(d - timedelta(days=i), 0))
                      for i in range(1, baseline_days + 1)]
            usual = float(median(before)) if before else 0.0
            if n >= min_posts and n >= factor * max(usual, 1.0):
                out.append((series, d, n, usual))
    return pd.DataFrame(out, columns=["series", "day", "posts", "usual"])


def spikes(con: Con, territory: Territory, days: tuple[date, ...],
           platform: str | None = None) -> pd.DataFrame:
    """Spikes on the given local days (with 28 days of history before the first)."""
    if not days:
        return pd.DataFrame(columns=["series", "day", "posts", "usual"])
    first = min(days) - timedelta(days=SPIKE_BASELINE_DAYS)
    daily = daily_series(con, territory, first, max(days) + timedelta(days=1), platform)
    return detect_spikes(daily, sorted(days))


def hashtag_series(con: Con, territory: Territory, act: pd.DataFrame, since: date, until: date
                   ) -> dict[str, pd.DataFrame]:
    """Per tracked hashtag and local day of ``[since, until)``: ``series`` (local_date,
    hashtag, posts; zeros included) and the ``spikes`` among those days (hashtag,
    local_date, posts, usual). ``act`` is :func:`warehouse.metrics.hashtag_activity` from
    :data:`SPIKE_BASELINE_DAYS` days before ``since`` (the spikes' history) to ``until``."""
    first = since - timedelta(days=SPIKE_BASELINE_DAYS)
    all_days = [first + timedelta(days=i) for i in range((until - first).days)]
    by = {(pd.Timestamp(r.local_date).date(), r.hashtag): int(r.posts) for r in act.itertuples()}
    daily = pd.DataFrame([(tag, d, by.get((d, tag), 0)) for tag in territory.hashtags
                          for d in all_days], columns=["series", "day", "posts"])
    days = [d for d in all_days if d >= since]
    found = detect_spikes(daily, days).rename(columns={"series": "hashtag", "day": "local_date"})
    series = daily[daily["day"] >= since].rename(columns={"series": "hashtag", "day": "local_date"})
    return {"series": series[["local_date", "hashtag", "posts"]].reset_index(drop=True),
            "spikes": found}


_SPIKE_POSTS_SQL = compose(
    with_ctes(CITY_CTE, TP_CTE, MENTIONED_CTE),
    """
SELECT p.platform, p.id AS post_id, p.created_at, u.username, u.name, x.text,
       """,
    url_expr("p", "u"),
    """ AS url
FROM tp p
JOIN posts x ON x.platform = p.platform AND x.id = p.id  -- text and counts (tp may omit them)
    -- with the post's instant (tp's is posts'): the scan reads only the window's row
    -- groups (warehouse/post_lookup.py, docs/benchmark.md "Posts in time order")
    AND x.created_at = p.created_at AND x.created_at >= $t0 AND x.created_at < $t1
LEFT JOIN accounts u ON u.platform = p.platform AND u.id = p.author_id
WHERE CASE WHEN $tag IS NULL THEN
          EXISTS (SELECT 1 FROM mentioned m WHERE m.platform = p.platform AND m.id = p.id)
      ELSE EXISTS (SELECT 1 FROM post_hashtags h WHERE h.platform = p.platform
                   AND h.post_id = p.id AND h.tag = $tag) END
ORDER BY coalesce(x.retweet_count, 0) + coalesce(x.quote_count, 0) DESC, p.created_at, p.id
LIMIT $limit
""",
)


def spike_posts(con: Con, territory: Territory, series: str, day: date, limit: int = 50,
                platform: str | None = None) -> pd.DataFrame:
    """The posts behind a spike: ``series`` is a tracked hashtag (as configured) or
    ``mentions``; most reposted first."""
    p = base_params(territory, *window_utc(territory, day, day + timedelta(days=1)), platform)
    p["tag"] = None if series == "mentions" else tag_key(series)
    p["limit"] = int(limit)
    return con.execute(_SPIKE_POSTS_SQL, p).df()
