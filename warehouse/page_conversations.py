"""The conversations page: the largest and latest conversations, one conversation's posts,
the most active participants, and a search through the period's posts.

Conversations as the metric defines them (:mod:`warehouse.activity`); helpers:
:mod:`warehouse.page_base`.
"""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd

from model import Territory
from warehouse.activity import top_conversations
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


def threads(con: Con, territory: Territory, since: date, until: date, limit: int = 20,
            platform: str | None = None) -> dict[str, pd.DataFrame]:
    """The ``limit`` largest (``"size"``) and most recently active (``"recent"``)
    conversations of the period (:func:`warehouse.activity.top_conversations`)."""
    return top_conversations(con, territory, since, until, limit, platform=platform)


_THREAD_SQL = compose(
    with_ctes(CITY_CTE),
    """
SELECT p.platform, p.id AS post_id, p.created_at, u.username, u.name, p.text,
       c.id IS NOT NULL AS is_city, ru.username AS in_reply_to_username, p.is_repost,
       """,
    url_expr("p", "u"),
    """ AS url
FROM territory_posts t JOIN posts p ON p.platform = t.platform AND p.id = t.post_id
LEFT JOIN accounts u ON u.platform = p.platform AND u.id = p.author_id
LEFT JOIN accounts ru ON ru.platform = p.platform AND ru.id = p.in_reply_to_user_id
LEFT JOIN city_ids c ON c.platform = p.platform AND c.id = p.author_id
WHERE t.territory = $terr AND p.platform = $platform AND p.in_data AND NOT p.is_repost
  AND (p.conversation_id = $conv OR p.id = $conv)
ORDER BY p.created_at, p.id
LIMIT $limit
""",
)


def thread(con: Con, territory: Territory, platform: str, conversation_id: str,
           limit: int = 300) -> pd.DataFrame:
    """The posts of one conversation (reposts excluded, as in the metric), oldest first."""
    p = base_params(territory, datetime(1970, 1, 1), datetime(1970, 1, 1))
    del p["t0"], p["t1"]
    p.update(platform=platform, conv=conversation_id, limit=int(limit))
    return con.execute(_THREAD_SQL, p).df()


# posts per author first; distinct conversations, names and the city flag only for the
# authors who can make the list (every author tied with the last one kept, so it is exact)
_PARTICIPANTS_SQL = compose(
    with_ctes(CITY_CTE, TP_CTE),
    """,
per AS (
    SELECT platform, author_id, count(*) AS posts FROM tp
    WHERE NOT is_repost AND author_id IS NOT NULL GROUP BY platform, author_id
),
cand AS (
    SELECT * FROM per
    WHERE posts >= (SELECT min(posts) FROM (SELECT posts FROM per ORDER BY posts DESC
                                            LIMIT $limit))
),
convs AS (
    SELECT p.platform, p.author_id, count(DISTINCT p.conversation_id) AS conversations
    FROM tp p SEMI JOIN cand c ON c.platform = p.platform AND c.author_id = p.author_id
    WHERE NOT p.is_repost
    GROUP BY p.platform, p.author_id
)
SELECT c.platform, u.username, u.name, c.posts, v.conversations,
       k.id IS NOT NULL AS is_city, u.followers_count
FROM cand c
JOIN convs v ON v.platform = c.platform AND v.author_id = c.author_id
LEFT JOIN accounts u ON u.platform = c.platform AND u.id = c.author_id
LEFT JOIN city_ids k ON k.platform = c.platform AND k.id = c.author_id
ORDER BY c.posts DESC, v.conversations DESC, lower(u.username)
LIMIT $limit
""",
)


def top_participants(con: Con, territory: Territory, since: date, until: date,
                     limit: int = 20, platform: str | None = None) -> pd.DataFrame:
    """Authors with the most posts (reposts excluded) in the window."""
    p = base_params(territory, *window_utc(territory, since, until), platform=platform)
    p["limit"] = int(limit)
    return con.execute(_PARTICIPANTS_SQL, p).df()


_SEARCH_SQL = compose(
    with_ctes(CITY_CTE, TP_CTE),
    """
SELECT p.platform, p.id AS post_id, p.created_at, u.username, u.name, x.text,
       c.id IS NOT NULL AS is_city, count(*) OVER () AS matches,
       """,
    url_expr("p", "u"),
    """ AS url
FROM tp p
JOIN posts x ON x.platform = p.platform AND x.id = p.id  -- the text (tp may omit it)
    -- with the post's instant (tp's is posts'): the scan reads only the window's row
    -- groups (warehouse/post_lookup.py, docs/benchmark.md "Posts in time order")
    AND x.created_at = p.created_at AND x.created_at >= $t0 AND x.created_at < $t1
LEFT JOIN accounts u ON u.platform = p.platform AND u.id = p.author_id
LEFT JOIN city_ids c ON c.platform = p.platform AND c.id = p.author_id
WHERE NOT p.is_repost AND contains(strip_accents(lower(x.text)), strip_accents(lower($q)))
ORDER BY p.created_at DESC, p.id
LIMIT $limit
""",
)


def search_posts(con: Con, territory: Territory, since: date, until: date, text: str,
                 limit: int = 100, platform: str | None = None) -> pd.DataFrame:
    """Posts of the window whose text contains ``text`` (case and accents ignored), newest
    first; ``matches`` is the total before the limit. The text is a bound value, never SQL."""
    p = base_params(territory, *window_utc(territory, since, until), platform=platform)
    p["q"] = text.strip()
    p["limit"] = int(limit)
    return con.execute(_SEARCH_SQL, p).df()
