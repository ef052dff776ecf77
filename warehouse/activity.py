"""Volume, hashtag activity and conversations (docs/metrics.md, "Hashtag activity",
"Conversation").

* ``posts_total``: distinct posts landed for the territory (seen in a page's ``data``)
  created in the window, reposts and the city's own posts included.
* **Hashtag activity**: posts of the window carrying a tracked hashtag (whole tag,
  case-insensitive), per local day and hashtag; contributors = distinct authors.
* **Conversation**: the territory's posts sharing a ``conversation_id`` (reposts excluded:
  each repost is its own one-post conversation). A conversation is listed when one of its
  posts was created in the window; its size, participants and last post count its posts
  created before the window's end, earlier ones included.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd

from model import Territory
from warehouse.metrics_base import (
    CITY_CTE,
    TP_CTE,
    Con,
    base_params,
    compose,
    window_utc,
    with_ctes,
)
from warehouse.post_lookup import posts_at

TAGS_CTE = """
tags AS (SELECT unnest($tags::VARCHAR[]) AS tag, unnest($tag_labels::VARCHAR[]) AS label)
"""
# the window's posts carrying a tracked hashtag, one row per (post, tag): the facts kept at
# load time (warehouse/facts.py), so no join of the window's posts with every hashtag. The
# facts hold the configuration's tracked tags only (recomputed when it changes), and one
# row per post has ``first_tag``: counting those rows counts posts.
TAGGED_CTE = """
tagged AS (
    SELECT h.territory, h.platform, h.post_id AS id, h.author_id, h.created_at, h.tag,
           h.first_tag
    FROM hashtag_facts h
    WHERE ($terr::VARCHAR IS NULL OR h.territory = $terr::VARCHAR)
      AND list_contains($w_terr::VARCHAR[], h.territory)
      AND h.created_at >= $t0 AND h.created_at < $t1
      AND ($platform::VARCHAR IS NULL OR h.platform = $platform::VARCHAR)
)
"""
_HASHTAG_SQL = compose(
    with_ctes(CITY_CTE, TAGS_CTE, TAGGED_CTE),  # city: unused, shares the parameters
    """,
-- each post's local day through its 15-minute bucket (a time zone offset is a multiple of
-- 15 minutes): the zone arithmetic runs on a few thousand buckets, not on every post
day_of AS (
    SELECT bucket, timezone($tz, timezone('UTC', bucket))::DATE AS local_date
    FROM (SELECT DISTINCT time_bucket(INTERVAL 15 MINUTE, created_at) AS bucket FROM tagged)
)
-- one row per (post, tracked tag) in ``tagged``: count(*) counts distinct posts
SELECT d.local_date, tags.label AS hashtag, count(*) AS posts,
       count(DISTINCT (p.platform, p.author_id)) AS contributors
FROM tagged p JOIN tags ON tags.tag = p.tag
JOIN day_of d ON d.bucket = time_bucket(INTERVAL 15 MINUTE, p.created_at)
GROUP BY ALL
ORDER BY local_date, hashtag
"""
)
# A conversation's figures over its posts ``p`` (reposts excluded, grouped by platform and
# conversation id) joined with the city's accounts ``c``: the one definition of its size,
# participants and span (here, and in conversation_facts: warehouse/facts.py).
CONV_FIGURES = """
count(*) AS size, count(DISTINCT p.author_id) AS participants,
bool_or(c.id IS NOT NULL) AS city_took_part,
min(p.created_at) AS first_post_at, max(p.created_at) AS last_post_at"""
# the conversations active in the window (``conv``), with their sizes counted up to t1
_CONV_CTES = compose(
    with_ctes(CITY_CTE, TP_CTE),
    """,
active AS (
    SELECT DISTINCT platform, conversation_id FROM tp
    WHERE NOT is_repost AND conversation_id IS NOT NULL
),
cp AS (
    SELECT p.platform, p.post_id AS id, p.author_id, p.created_at, p.conversation_id
    FROM territory_timeline p
    SEMI JOIN active a ON a.platform = p.platform AND a.conversation_id = p.conversation_id
    WHERE p.territory = $terr AND NOT p.is_repost AND p.created_at < $t1
),
conv AS (
    SELECT p.platform, p.conversation_id,""",
    CONV_FIGURES,
    """
    FROM cp p LEFT JOIN city_ids c ON c.platform = p.platform AND c.id = p.author_id
    GROUP BY p.platform, p.conversation_id
)""",
)
_CONV_COLUMNS = """
SELECT conv.conversation_id, conv.platform, conv.size, conv.participants, conv.city_took_part,
       least(coalesce(root.created_at, conv.first_post_at), conv.first_post_at) AS started_at,
       conv.last_post_at, root.text AS root_text"""
_BY_SIZE = "conv.size DESC, conv.last_post_at DESC, conv.platform, conv.conversation_id"
_BY_RECENT = "conv.last_post_at DESC, conv.size DESC, conv.platform, conv.conversation_id"
_CONVERSATIONS_SQL = compose(
    _CONV_CTES,
    _CONV_COLUMNS,
    """
FROM conv
LEFT JOIN posts root ON root.platform = conv.platform AND root.id = conv.conversation_id
ORDER BY""",
    _BY_SIZE,
    "LIMIT $limit",
)
# The largest and the most recently active, from the conversation facts kept at load time
# (warehouse/facts.py): a conversation whose last post is before t1 has all its posts
# counted by its facts, and is active when that last post is in the window; one still
# going at t1 is counted again from the timeline, up to t1, from its first post on (the
# bound reaches the scan: 0.30 s -> 0.02 s at 10M posts, docs/benchmark.md, "2026-12-07, one
# window per page"). Then the two top-N lists (a heap each); the roots' texts of those
# listed only, afterwards (:func:`top_conversations`). At 10M posts a 4-week window has
# 1.5M active conversations: grouping the window's posts by conversation dominated.
_TOP_SQL = compose(
    with_ctes(CITY_CTE),
    """,
going AS (
    SELECT platform, conversation_id, first_post_at FROM conversation_facts
    WHERE territory = $terr AND first_post_at < $t1 AND last_post_at >= $t1
      AND ($platform::VARCHAR IS NULL OR platform = $platform::VARCHAR)
),
sizes AS (
    SELECT platform, conversation_id, size, participants, city_took_part, first_post_at,
           last_post_at
    FROM conversation_facts
    WHERE territory = $terr AND last_post_at >= $t0 AND last_post_at < $t1
      AND ($platform::VARCHAR IS NULL OR platform = $platform::VARCHAR)
    UNION ALL
    SELECT p.platform, p.conversation_id,""",
    CONV_FIGURES,
    """
    FROM territory_timeline p
    SEMI JOIN going g ON g.platform = p.platform AND g.conversation_id = p.conversation_id
    LEFT JOIN city_ids c ON c.platform = p.platform AND c.id = p.author_id
    WHERE p.territory = $terr AND NOT p.is_repost AND p.created_at < $t1
      AND p.created_at >= (SELECT min(first_post_at) FROM going)
    GROUP BY p.platform, p.conversation_id
    HAVING max(p.created_at) >= $t0
),
by_size AS (
    SELECT platform, conversation_id, row_number() OVER (ORDER BY""",
    _BY_SIZE,
    """) AS by_size
    FROM (SELECT * FROM sizes conv ORDER BY""",
    _BY_SIZE,
    """LIMIT $limit) conv
),
by_recent AS (
    SELECT platform, conversation_id, row_number() OVER (ORDER BY""",
    _BY_RECENT,
    """) AS by_recent
    FROM (SELECT * FROM sizes conv ORDER BY""",
    _BY_RECENT,
    """LIMIT $limit) conv
)
SELECT s.*, k.by_size, k.by_recent
FROM (by_size FULL JOIN by_recent USING (platform, conversation_id)) k
JOIN sizes s USING (platform, conversation_id)
""",
)


def params(
    territory: Territory, since: date, until: date, platform: str | None = None
) -> dict[str, Any]:
    """Bound parameters of the hashtag queries (window, tracked hashtags)."""
    values = base_params(territory, *window_utc(territory, since, until), platform)
    values["tags"] = territory.tag_keys()
    values["tag_labels"] = list(territory.hashtags)
    return values


def hashtag_activity(
    con: Con, territory: Territory, since: date, until: date, *, platform: str | None = None
) -> pd.DataFrame:
    """Posts and contributors per local day and tracked hashtag (as configured, with '#')."""
    values = params(territory, since, until, platform)
    values["tz"] = territory.timezone
    return con.execute(_HASHTAG_SQL, values).df()


def conversations(
    con: Con,
    territory: Territory,
    since: date,
    until: date,
    limit: int | None = None,
    *,
    platform: str | None = None,
) -> pd.DataFrame:
    """Conversations active in the window, largest first (of ``platform`` only if given)."""
    values = base_params(territory, *window_utc(territory, since, until), platform)
    values["limit"] = limit if limit is not None else 2**62
    return con.execute(_CONVERSATIONS_SQL, values).df()


def top_conversations(
    con: Con,
    territory: Territory,
    since: date,
    until: date,
    limit: int = 20,
    *,
    platform: str | None = None,
) -> dict[str, pd.DataFrame]:
    """The ``limit`` largest (``"size"``) and most recently active (``"recent"``)
    conversations of :func:`conversations`, same columns, from one ranking query."""
    values = base_params(territory, *window_utc(territory, since, until), platform)
    values["limit"] = int(limit)
    conv = con.execute(_TOP_SQL, values).df()
    # each root where its conversation's first post is (a root is its conversation's first
    # post when the territory holds it), else found by key (warehouse/post_lookup.py)
    roots = posts_at(con, pd.DataFrame({"platform": conv["platform"],
                                        "id": conv["conversation_id"],
                                        "at": conv["first_post_at"]}))
    df = conv.merge(roots.drop(columns="author_id").rename(columns={
                        "id": "conversation_id", "created_at": "root_at", "text": "root_text"}),
                    on=["platform", "conversation_id"], how="left")
    df["started_at"] = df["first_post_at"].where(
        df["root_at"].isna() | (df["root_at"] > df["first_post_at"]), df["root_at"])
    columns = ["conversation_id", "platform", "size", "participants", "city_took_part",
               "started_at", "last_post_at", "root_text"]
    out = {}
    for key, rank in (("size", "by_size"), ("recent", "by_recent")):
        top = df[df[rank] <= limit].sort_values(rank)
        out[key] = top[columns].reset_index(drop=True)
    return out
