"""Relays of city content, local accounts, local tweetos and potential reach (docs/metrics.md).

* **Relay**: a post landed for the territory, by an account not in C, not a reply, that
  reposts a post by C (``repost``), quotes a post by C (``quote``), or links to a city
  domain or one of its subdomains (``link``), in that order of precedence. When a
  reposted original was never landed, a repost whose text starts ``RT @<city handle>:``
  still counts (the text is read for those reposts only).
* **Local account**: among the authors of the territory's posts, an account not in C whose
  profile location or bio matches a locality term (lower case, accents stripped, whole
  word), or listed in ``local_accounts``; never one in ``exclude_accounts``.
* **Local tweetos**: local accounts with at least one relay in the window, ranked by relay
  count, then followers (then username, for a stable order).
* **Potential reach**: the sum of the follower counts of the relays' distinct authors.
"""

from __future__ import annotations

import functools
from datetime import date
from typing import Any

import pandas as pd

from model import Territory
from warehouse.metrics_base import (
    CITY_CTE,
    LOCAL_CTE,
    PERIODS_CTE,
    Con,
    base_params,
    compose,
    local_predicate,
    locality_params,
    period_params,
    window_utc,
    with_ctes,
)

# The CTEs that compute relay facts (warehouse.facts) from ``city`` and ``tp``: what each post
# relays does not depend on the window (the locality of its author is judged when asked).
# Every row carries its territory and every join matches it, as the interpellations' facts.
FACT_CTES = (
    """
domains AS (SELECT unnest($dom_terr::VARCHAR[]) AS territory, unnest($domains::VARCHAR[]) AS d)""",
    """
linked AS (
    SELECT DISTINCT tp.territory, l.platform, l.post_id
    FROM post_links l JOIN tp ON tp.platform = l.platform AND tp.id = l.post_id
    JOIN domains ON domains.territory = tp.territory
         AND (l.domain = domains.d OR ends_with(l.domain, '.' || domains.d))
)""",
    # equality joins only: posts by C (reposted or quoted), the handle after "RT @" when
    # the original was never landed, the author (never a city account)
    """
base AS (
    SELECT * FROM tp
    WHERE reply_to_id IS NULL AND in_reply_to_user_id IS NULL AND author_id IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM city_ids c WHERE c.territory = tp.territory
                      AND c.platform = tp.platform AND c.id = tp.author_id)
)""",
    # the reposted and quoted originals, looked up once (not every post of C, all time)
    """
ref_posts AS (
    SELECT p.platform, p.id, p.author_id FROM posts p
    SEMI JOIN (SELECT platform, reposted_id AS id FROM base WHERE reposted_id IS NOT NULL
               UNION SELECT platform, quoted_id FROM base WHERE quoted_id IS NOT NULL) r
         ON r.platform = p.platform AND r.id = p.id
)""",
    """
city_src AS (
    SELECT c.territory, p.platform, p.id FROM ref_posts p
    JOIN city_ids c ON c.platform = p.platform AND c.id = p.author_id
)""",
    """
rt_orphans AS (
    SELECT o.territory, o.platform, o.id FROM (
        SELECT b.territory, b.platform, b.id FROM base b
        ANTI JOIN ref_posts r ON r.platform = b.platform AND r.id = b.reposted_id
        WHERE b.is_repost
    ) o
    JOIN posts tx ON tx.platform = o.platform AND tx.id = o.id
    -- the "RT @" test inside the join key, not as a filter of its own: a filter on posts
    -- alone is pushed into the scan and runs on every post's text (3 s per batch at 10M),
    -- where the join reads the texts of the orphans only (their id range, zone maps)
    JOIN city c ON c.territory = o.territory AND c.platform = o.platform
         AND lower(c.handle) = CASE WHEN lower(tx.text[1:4]) = 'rt @'
                                    THEN lower(split_part(tx.text[5:120], ':', 1)) END
)""",
    """
rel AS (
    SELECT p.territory, p.platform, p.id AS post_id, p.author_id, p.created_at,
           CASE WHEN p.is_repost AND (co.id IS NOT NULL OR ro.id IS NOT NULL) THEN 'repost'
                WHEN cq.id IS NOT NULL THEN 'quote'
                WHEN l.post_id IS NOT NULL THEN 'link'
           END AS relay_kind,
           p.reposted_id, p.quoted_id
    FROM base p
    LEFT JOIN city_src co ON co.territory = p.territory AND co.platform = p.platform
         AND co.id = p.reposted_id
    LEFT JOIN city_src cq ON cq.territory = p.territory AND cq.platform = p.platform
         AND cq.id = p.quoted_id
    LEFT JOIN rt_orphans ro ON ro.territory = p.territory AND ro.platform = p.platform
         AND ro.id = p.id
    LEFT JOIN linked l ON l.territory = p.territory AND l.platform = p.platform
         AND l.post_id = p.id
)""",
)

# The query side: the territories' relay facts of the window, with their authors' locality
# (after ``city``). ``rel`` alone (the relays, no locality) is what counts and charts need.
REL_CTE = """
rel AS (
    SELECT f.territory, f.platform, f.post_id, f.author_id, f.created_at, f.relay_kind,
           f.reposted_id, f.quoted_id
    FROM relay_facts f
    WHERE ($terr::VARCHAR IS NULL OR f.territory = $terr::VARCHAR)
      AND list_contains($w_terr::VARCHAR[], f.territory)
      AND f.created_at >= $t0 AND f.created_at < $t1
      AND ($platform::VARCHAR IS NULL OR f.platform = $platform::VARCHAR)
)"""


@functools.cache
def ctes(n: int) -> tuple[str, ...]:
    """``rel``, ``rel_authors`` (each relay author's locality for the territory) and
    ``relays``, in a statement over ``n`` territories (metrics_base.local_predicate)."""
    return (
        REL_CTE,
        compose(
            """
rel_authors AS (
    SELECT w.territory, a.platform, a.id, a.username, a.followers_count,""",
            local_predicate(n),
            """AS is_local
    FROM accounts a
    JOIN (SELECT DISTINCT territory, platform, author_id FROM rel WHERE relay_kind IS NOT NULL) r
         ON r.platform = a.platform AND r.author_id = a.id
    JOIN terrs w ON w.territory = r.territory
)""",
        ),
        _RELAYS_CTE,
    )


_RELAYS_CTE = """
relays AS (
    SELECT r.territory, r.platform, r.post_id, r.author_id, a.username, r.created_at, r.relay_kind,
           CASE r.relay_kind WHEN 'repost' THEN r.reposted_id WHEN 'quote' THEN r.quoted_id
           END AS relayed_post_id,
           coalesce(a.is_local, false) AS is_local, a.followers_count
    FROM rel r
    LEFT JOIN rel_authors a ON a.territory = r.territory AND a.platform = r.platform
         AND a.id = r.author_id
    WHERE r.relay_kind IS NOT NULL
)"""
CTES = ctes(1)
_WITH = with_ctes(CITY_CTE, *CTES)

_RELAYS_SQL = compose(
    _WITH,
    """
SELECT platform, post_id, author_id, username, created_at, relay_kind, relayed_post_id,
       is_local, followers_count
FROM relays ORDER BY created_at, platform, post_id
"""
)
# The relay figures of each period ``k`` of ``periods`` (metrics_base.PERIODS_CTE): the one
# definition of relays, local relays, local tweetos and potential reach (the headline's,
# warehouse.metrics, and :func:`relay_summary`'s), as ``relay_summary``. ``rows``: the relays
# (territory, platform, author_id, created_at); ``authors``: one row per relay author and
# territory (territory, platform, id, is_local, followers_count), as ``rel_authors`` is.
def summary_ctes(rows: str, authors: str) -> tuple[str, ...]:
    """The two CTEs over the relays ``rows`` and their ``authors`` (internal table names or
    subqueries, never user input)."""
    return tuple(c.replace("{rows}", rows).replace("{authors}", authors)
                 for c in _SUMMARY_TEMPLATES)


_SUMMARY_TEMPLATES = (
    # one row per period and relay author: the relays are counted before the author's
    # locality and follower count are joined, once per author rather than per relay
    """
relay_authors_k AS (
    SELECT pr.territory, pr.k, r.platform, r.author_id, count(*) AS relays
    FROM periods pr JOIN {rows} r ON r.territory = pr.territory
         AND r.created_at >= pr.p0 AND r.created_at < pr.p1
    GROUP BY pr.territory, pr.k, r.platform, r.author_id
)""",
    # potential reach: the sum of the follower counts of the period's distinct relay authors
    """
relay_summary AS (
    SELECT pr.territory, pr.k, coalesce(sum(a.relays), 0)::BIGINT AS relays,
           coalesce(sum(a.relays) FILTER (WHERE u.is_local), 0)::BIGINT AS local_relays,
           count(*) FILTER (WHERE u.is_local) AS local_tweetos,
           coalesce(sum(coalesce(u.followers_count, 0)), 0) AS potential_reach
    FROM periods pr LEFT JOIN relay_authors_k a ON a.territory = pr.territory AND a.k = pr.k
    LEFT JOIN {authors} u ON u.territory = a.territory AND u.platform = a.platform
         AND u.id = a.author_id
    GROUP BY pr.territory, pr.k
)""",
)


# after :data:`CTES` (the headline statement)
SUMMARY_CTES = summary_ctes("(SELECT * FROM rel WHERE relay_kind IS NOT NULL)", "rel_authors")
# the relay figures of the window, and the local tweetos: selects over ``relays``
# (warehouse.page_base.Figure), each a statement of its own here and read from the window's
# table by the relays page (warehouse.page_relays.overview)
SUMMARY = ((PERIODS_CTE, *summary_ctes(
                "relays", "(SELECT DISTINCT territory, platform, author_id AS id, is_local, "
                          "followers_count FROM relays)")),
           "SELECT relays, local_relays, local_tweetos, potential_reach FROM relay_summary")
TWEETOS = (
    (
        """
tw AS (
    SELECT platform, author_id, count(*) AS relays, max(created_at) AS last_relay
    FROM relays WHERE is_local GROUP BY platform, author_id
)""",
        # each author's first post for the territory (kept at load time, warehouse/facts.py):
        # before t1, since each of them relayed in the window
        """
seen AS (SELECT platform, author_id, first_seen FROM author_facts WHERE territory = $terr)""",
    ),
    """
SELECT row_number() OVER (ORDER BY tw.relays DESC, coalesce(a.followers_count, 0) DESC,
                                   lower(a.username), tw.platform, tw.author_id) AS rank,
       tw.platform, tw.author_id, a.username, a.name, tw.relays, a.followers_count,
       s.first_seen, tw.last_relay
FROM tw
LEFT JOIN accounts a ON a.platform = tw.platform AND a.id = tw.author_id
LEFT JOIN seen s ON s.platform = tw.platform AND s.author_id = tw.author_id
ORDER BY rank
LIMIT $limit
""",
)
WINDOW_CTES = (CITY_CTE, *CTES)  # ``relays``: the window's relays with their locality
_SUMMARY_SQL = compose(with_ctes(*WINDOW_CTES, *SUMMARY[0]), SUMMARY[1])
_TWEETOS_SQL = compose(with_ctes(*WINDOW_CTES, *TWEETOS[0]), TWEETOS[1])
_LOCAL_SQL = compose(
    with_ctes(CITY_CTE, LOCAL_CTE),
    """
SELECT a.platform, a.id, a.username, a.name, a.location, a.description, a.followers_count,
       la.reason
FROM local_acc la JOIN accounts a ON a.platform = la.platform AND a.id = la.id
ORDER BY coalesce(a.followers_count, 0) DESC, lower(a.username), a.platform, a.id
"""
)


def params(
    territory: Territory, since: date, until: date, platform: str | None = None
) -> dict[str, Any]:
    """Bound parameters of the relay queries (window, locality, city domains)."""
    t0, t1 = window_utc(territory, since, until)
    values = base_params(territory, t0, t1, platform)
    values.update(locality_params(territory))
    return values


def relays(
    con: Con, territory: Territory, since: date, until: date, *, platform: str | None = None
) -> pd.DataFrame:
    """The relays created in ``[since, until)``, oldest first (of ``platform`` only if given)."""
    return con.execute(_RELAYS_SQL, params(territory, since, until, platform)).df()


def relay_summary(
    con: Con, territory: Territory, since: date, until: date, *, platform: str | None = None
) -> dict[str, Any]:
    """relays, local_relays, local_tweetos and potential_reach of the window, in one query."""
    values = params(territory, since, until, platform)
    values.update(period_params({territory.slug: [(values["t0"], values["t1"])]}))
    return summary_row(con.execute(_SUMMARY_SQL, values))


def summary_row(cur: Con) -> dict[str, int]:
    """The relay figures of a :data:`SUMMARY` statement's one row, as integers."""
    names = [d[0] for d in cur.description]
    row = cur.fetchone()
    assert row is not None
    return {k: int(v or 0) for k, v in zip(names, row, strict=True)}


def potential_reach(
    con: Con, territory: Territory, since: date, until: date, *, platform: str | None = None
) -> int:
    """Sum of the follower counts of the distinct authors of the window's relays."""
    return relay_summary(con, territory, since, until, platform=platform)["potential_reach"]


def local_tweetos(
    con: Con,
    territory: Territory,
    since: date,
    until: date,
    limit: int | None = None,
    *,
    platform: str | None = None,
) -> pd.DataFrame:
    """Local accounts with at least one relay in the window, ranked (1 = most relays)."""
    values = params(territory, since, until, platform)
    values["limit"] = limit if limit is not None else 2**62
    return con.execute(_TWEETOS_SQL, values).df()


def local_accounts(
    con: Con, territory: Territory, *, platform: str | None = None
) -> pd.DataFrame:
    """Local accounts among the authors of the territory's posts, by followers."""
    values = base_params(
        territory, *window_utc(territory, date(1970, 1, 1), date(1970, 1, 2)), platform
    )
    del values["t0"], values["t1"]
    values.update(locality_params(territory))
    return con.execute(_LOCAL_SQL, values).df()
