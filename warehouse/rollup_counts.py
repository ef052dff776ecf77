"""The daily counts of interpellations, answers and relays (``daily_activity``), per territory,
platform, local day and city account: what the long view reads once the posts are purged.

Computed by :mod:`warehouse.rollups` for the days it recomputes (the temp table ``_touched``:
``territory, platform, day, lo, hi``), from the facts (:mod:`warehouse.facts`), with the
definitions' own SQL: the interpellations and their status are those of
:data:`warehouse.interpellations.BRIEF_CTES` counted by its :data:`AGGREGATES`
(``interpellations``, ``answered``), the relays and their authors' locality those of
:data:`warehouse.relays.CTES`, the posts carrying a tracked hashtag those of
:data:`warehouse.activity.TAGGED_CTE` (one flagged row per post). Nothing is restated.

What a row means (docs/metrics.md, "History: the daily rollups"):

* ``account = ''``: the whole territory (every interpellation, relay and tagged post of the
  day on that platform);
* ``account = <handle>`` (a city account's configured handle, lower case): the
  interpellations addressed to it (and of those, the answered ones: the Réactivité page's
  account filter) and the reposts and quotes of its posts;
* ``answered``: the interpellations of the day whose first answer was known when the day was
  last recomputed (the status judged at an instant after every landed post). A day is
  recomputed while its posts are in the warehouse; once retention purges them it is frozen;
* ``local_relays``: relays whose author was local with the profiles known at that time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import duckdb

from model import Territory
from warehouse import activity, interpellations, relays, triage
from warehouse.metrics_base import (
    CITY_CTE,
    PENDING_DAYS,
    base_params,
    compose,
    locality_params,
    with_ctes,
)

# "every answer known": the status is judged at an instant after any landed post, so an
# interpellation is answered iff its first answer is in the facts (the result does not depend
# on the clock of the recomputation)
KNOWN = datetime(9999, 12, 31)

# the territory's touched days and their 15-minute UTC buckets (a local midnight is always on
# a quarter hour): each fact finds its local day by an equality join, no time zone arithmetic
_BUCKETS_CTE = """
bd AS (
    SELECT DISTINCT b.platform, b.day, k.bucket
    FROM _touched b,
         LATERAL (SELECT unnest(range(b.lo, b.hi, INTERVAL 15 MINUTE)) AS bucket) k
    WHERE b.territory = $terr
)"""
_DAY_OF = ("JOIN bd ON bd.platform = {a}.platform"
           " AND bd.bucket = time_bucket(INTERVAL 15 MINUTE, {a}.created_at)")

_COUNT_SQL = compose(
    with_ctes(CITY_CTE, *interpellations.BRIEF_CTES, *relays.CTES, activity.TAGGED_CTE,
              _BUCKETS_CTE),
    """,
-- the interpellations of the touched days, with their status (every answer known)
ij AS (
    SELECT j.platform, bd.day, lower(j.addressed_handle) AS acc, j.status
    FROM judged j""", _DAY_OF.format(a="j"), """
),
-- the relays of the touched days, with the city account whose post they repost or quote
rj AS (
    SELECT r.platform, bd.day, r.is_local, lower(c.handle) AS acc
    FROM relays r""", _DAY_OF.format(a="r"), """
    LEFT JOIN posts o ON o.platform = r.platform AND o.id = r.relayed_post_id
    LEFT JOIN city_ids c ON c.platform = o.platform AND c.id = o.author_id
),
parts AS (
    SELECT platform, day, '' AS account,""",
    interpellations.aggregates("interpellations", "answered"),
    """, 0 AS relays, 0 AS local_relays, 0 AS hashtag_posts
    FROM ij GROUP BY platform, day
    UNION ALL
    SELECT platform, day, acc,""",
    interpellations.aggregates("interpellations", "answered"),
    """, 0, 0, 0
    FROM ij WHERE acc IS NOT NULL GROUP BY platform, day, acc
    UNION ALL
    SELECT platform, day, '', 0, 0, count(*), count(*) FILTER (WHERE is_local), 0
    FROM rj GROUP BY platform, day
    UNION ALL
    SELECT platform, day, acc, 0, 0, count(*), count(*) FILTER (WHERE is_local), 0
    FROM rj WHERE acc IS NOT NULL GROUP BY platform, day, acc
    UNION ALL
    SELECT t.platform, bd.day, '', 0, 0, 0, 0, count(*)
    FROM tagged t""", _DAY_OF.format(a="t"), """
    WHERE t.first_tag GROUP BY t.platform, bd.day
)
INSERT INTO daily_activity
SELECT $terr, platform, day, account, sum(interpellations), sum(answered), sum(relays),
       sum(local_relays), sum(hashtag_posts), now()::TIMESTAMP
FROM parts GROUP BY platform, day, account
""",
)
# no decision of the triage counts here: the public figures never depend on it
_NO_OVERLAY: dict[str, list[Any]] = {k: [] for k in triage.OVERLAY_KEYS}


def _params(territory: Territory, lo: datetime, hi: datetime) -> dict[str, Any]:
    values = base_params(territory, lo, hi)
    values.update(locality_params(territory))
    values.update(_NO_OVERLAY, as_of=KNOWN, pending_days=PENDING_DAYS)
    return values


def count_touched(con: duckdb.DuckDBPyConnection, territories: list[Territory]) -> None:
    """Insert the ``daily_activity`` rows of the days in ``_touched`` (whose rows the caller
    deleted) for the configured ``territories`` (those without a configuration have no
    facts: no row)."""
    spans = {t: (lo, hi) for t, lo, hi in con.execute(
        "SELECT territory, min(lo), max(hi) FROM _touched GROUP BY territory").fetchall()}
    for territory in territories:
        if territory.slug in spans:
            con.execute(_COUNT_SQL, _params(territory, *spans[territory.slug]))
