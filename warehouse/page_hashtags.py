"""The hashtags page: who posts with the tracked hashtags, which other hashtags go with
them, and the city's share of those posts.

Posts with a tracked hashtag as the metric defines them (:mod:`warehouse.activity`);
helpers: :mod:`warehouse.page_base`. The spikes: :mod:`warehouse.page_spikes`.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from model import Territory
from warehouse import activity
from warehouse.activity import TAGGED_CTE, TAGS_CTE
from warehouse.metrics_base import CITY_CTE, TP_CTE, Con, compose, with_ctes

_HT_POSTS_CTE = """
htp AS (SELECT platform, id, author_id, created_at FROM tagged WHERE first_tag)"""
_HT_WITH = with_ctes(CITY_CTE, TP_CTE, TAGS_CTE, TAGGED_CTE, _HT_POSTS_CTE)
_CONTRIB_SQL = compose(
    _HT_WITH,
    """
-- posts per author first; names and the city flag for the authors who can make the list
-- (every author tied with the last one kept, so it is exact)
, per AS (SELECT platform, author_id, count(*) AS posts FROM htp GROUP BY platform, author_id),
cand AS (
    SELECT * FROM per
    WHERE posts >= (SELECT min(posts) FROM (SELECT posts FROM per ORDER BY posts DESC
                                            LIMIT $limit))
)
SELECT p.platform, u.username, u.name, p.posts, c.id IS NOT NULL AS is_city,
       u.followers_count
FROM cand p
LEFT JOIN accounts u ON u.platform = p.platform AND u.id = p.author_id
LEFT JOIN city_ids c ON c.platform = p.platform AND c.id = p.author_id
ORDER BY p.posts DESC, u.followers_count DESC NULLS LAST, lower(u.username)
LIMIT $limit
""",
)
_COOC_SQL = compose(
    _HT_WITH,
    """
-- htp has one row per post and post_hashtags one per (post, tag): count(*) counts posts
SELECT '#' || h.tag AS hashtag, count(*) AS posts
FROM htp p JOIN post_hashtags h ON h.platform = p.platform AND h.post_id = p.id
WHERE h.tag NOT IN (SELECT tag FROM tags)
GROUP BY h.tag ORDER BY posts DESC, h.tag LIMIT $limit
""",
)
_SHARE_SQL = compose(
    _HT_WITH,
    """
SELECT count(*) AS posts,
       count(*) FILTER (WHERE EXISTS (SELECT 1 FROM city_ids c
                                      WHERE c.platform = p.platform AND c.id = p.author_id))
           AS city_posts,
       (SELECT count(*) FROM tp) AS posts_total
FROM htp p
""",
)


def hashtag_contributors(con: Con, territory: Territory, since: date, until: date,
                         limit: int = 20, platform: str | None = None) -> pd.DataFrame:
    """Authors of the most posts carrying a tracked hashtag in the window."""
    p = activity.params(territory, since, until, platform)
    p["limit"] = int(limit)
    return con.execute(_CONTRIB_SQL, p).df()


def cooccurring_hashtags(con: Con, territory: Territory, since: date, until: date,
                         limit: int = 20, platform: str | None = None) -> pd.DataFrame:
    """Other hashtags found on the posts that carry a tracked one."""
    p = activity.params(territory, since, until, platform)
    p["limit"] = int(limit)
    return con.execute(_COOC_SQL, p).df()


def hashtag_city_share(con: Con, territory: Territory, since: date, until: date,
                       platform: str | None = None) -> dict[str, int]:
    """``posts`` with a tracked hashtag (as the metric ``hashtag_posts``), ``city_posts``
    among them, and ``posts_total`` (the metric's, over the same posts of the territory)."""
    row = con.execute(_SHARE_SQL, activity.params(territory, since, until, platform)).fetchall()[0]
    return {"posts": int(row[0]), "city_posts": int(row[1]), "posts_total": int(row[2])}
