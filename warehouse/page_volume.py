"""Volume per local day (or week) and kind of post, for the conversations page.

Kinds: interpellations and relays as the metrics define them, the city's replies, mentions
of a city account, posts with a tracked hashtag (helpers: :mod:`warehouse.page_base`).
"""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd

from model import Territory
from warehouse.activity import TAGGED_CTE, TAGS_CTE
from warehouse.metrics_base import CITY_CTE, TP_CTE, Con, compose, with_ctes
from warehouse.page_base import (
    INTER_CTES,
    MENTIONED_CTE,
    REL_CTES,
    bucket,
    grain_for,
    inter_params,
    params,
    periods,
)

KINDS = ("interpellations", "city_replies", "mentions", "hashtag_posts", "relays")

_KIND_CITY_REPLIES = """
    SELECT p.created_at, 'city_replies' AS kind FROM tp p
    SEMI JOIN city_ids c ON c.platform = p.platform AND c.id = p.author_id
    WHERE NOT p.is_repost AND p.reply_to_id IS NOT NULL"""
_KIND_MENTIONS = """
    SELECT created_at, 'mentions' AS kind FROM mentioned"""
_KIND_HASHTAGS = """
    SELECT created_at, 'hashtag_posts' AS kind FROM tagged WHERE first_tag"""
_VOLUME_SQL = {
    grain: compose(
        with_ctes(CITY_CTE, TP_CTE, TAGS_CTE, TAGGED_CTE, MENTIONED_CTE, *INTER_CTES[1:],
                  *REL_CTES),
        ", kinds AS (",
        _KIND_CITY_REPLIES, "UNION ALL", _KIND_MENTIONS, "UNION ALL", _KIND_HASHTAGS,
        "UNION ALL SELECT created_at, 'interpellations' FROM _dq_inter",
        "UNION ALL SELECT created_at, 'relays' FROM _dq_rel",
        ")",
        # counted per 15-minute UTC bucket first: a time zone offset is a multiple of 15
        # minutes, so a bucket never straddles a local midnight, and the zone arithmetic runs
        # on a few thousand buckets instead of millions of posts
        "SELECT", bucket(grain, "created_at"), "AS period, kind, sum(n)::BIGINT AS posts FROM (",
        "SELECT time_bucket(INTERVAL 15 MINUTE, created_at) AS created_at, kind, count(*) AS n",
        "FROM kinds GROUP BY ALL) GROUP BY ALL",
    )
    for grain in ("day", "week")
}


def volume_by_kind(
    con: Con, territory: Territory, since: date, until: date, as_of: datetime,
    platform: str | None = None,
) -> pd.DataFrame:
    """Posts per local day (or week, beyond 3 months) and kind: ``period, kind, posts``.

    Kinds: interpellations (judged at ``as_of``) and relays, as the metric functions define
    them (:mod:`warehouse.interpellations`, :mod:`warehouse.relays`), replies by the city's
    accounts, mentions of a city account by others (reposts excluded), posts with a tracked
    hashtag; one statement. Every (period, kind) pair is present, zeros included.
    """
    grain = grain_for(since, until)
    p = {**params(territory, since, until, platform),
         **inter_params(con, territory, since, until, as_of, platform)}
    out = con.execute(_VOLUME_SQL[grain], p).df()
    full = pd.MultiIndex.from_product([periods(since, until, grain), KINDS],
                                      names=["period", "kind"])
    if len(out):
        out["period"] = pd.to_datetime(out["period"]).dt.date
        out = out.groupby(["period", "kind"])["posts"].sum()
    else:
        out = pd.Series(dtype="int64",
                        index=pd.MultiIndex.from_tuples([], names=["period", "kind"]))
    return out.reindex(full, fill_value=0).astype("int64").reset_index(name="posts")
