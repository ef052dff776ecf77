"""Interpellation facts: each interpellation and its first answer, computed once at load time.

Whether a post is an interpellation, which city account it addresses, which city post
answers it first and how many service-hours minutes that took do not depend on the window
or the ``as_of`` a page asks for: they depend on the territory's posts, its configuration
and its city accounts' ids. So the loader computes them with the very SQL of
:mod:`warehouse.interpellations` (DESIGN §3) and keeps them in ``interpellation_facts``;
the metric queries read that table and apply ``as_of`` (an answer counts when
``answered_at <= as_of``; the earliest answer is the same whatever ``as_of``).

Kept exact by three rules:

* **Each batch** recomputes the facts of the conversations it touched (a new post can be
  an interpellation, the answer to an older one, or the parent that gives a reply its
  conversation), in the batch's transaction (:func:`after_batch`).
* **Before every snapshot is published** (:func:`ensure_current`), a territory whose
  configuration or resolved city-account ids differ from those its facts were computed
  with (``facts_state.signature``) is recomputed whole; so is one that :func:`invalidate`
  marked (purge and erasure delete posts and mentions, rebuild replays everything).
* Superseded edits take their facts with them (the loader deletes by post key).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

import duckdb

from territoires.config import Territory
from warehouse.interpellations import FACT_CTES
from warehouse.metrics_base import CITY_CTE, base_params, city_accounts, compose, with_ctes
from warehouse.service_hours import calendar_params

Con = duckdb.DuckDBPyConnection

# The territory's posts to (re)compute: all of them, or those of the scope tables
# (_fact_posts: keys landed by the batch; _fact_convs: the conversations they belong to).
SCOPE_TP_CTE = """
tp AS (
    SELECT p.platform, p.id, p.author_id, p.created_at, p.conversation_id,
           p.in_reply_to_user_id, p.reply_to_id, p.quoted_id, p.reposted_id, p.is_repost
    FROM territory_posts t
    JOIN posts p ON p.platform = t.platform AND p.id = t.post_id
    WHERE t.territory = $terr AND p.in_data AND p.created_at IS NOT NULL
      AND ($full
           OR (p.platform, p.id) IN (SELECT (platform, id) FROM _fact_posts)
           OR (p.platform, p.conversation_id) IN (SELECT (platform, conversation_id)
                                                  FROM _fact_convs))
)
"""
_SCOPE_SQL = compose(
    "CREATE OR REPLACE TEMP TABLE _fact_tp AS",
    with_ctes(CITY_CTE, SCOPE_TP_CTE),
    "SELECT * FROM tp",
)
_INSERT_SQL = compose(
    "INSERT INTO interpellation_facts",
    with_ctes(CITY_CTE, "tp AS (SELECT * FROM _fact_tp)", *FACT_CTES),
    """
SELECT $terr, i.platform, i.id, i.author_id, i.created_at, i.conversation_id, i.acc_id,
       i.addressed_handle, a.answer_id, a.answered_at, a.answerer, s.service_response_minutes
FROM inter i
LEFT JOIN ans a ON a.platform = i.platform AND a.id = i.id
LEFT JOIN svc s ON s.platform = i.platform AND s.id = i.id
""",
)


def signature(con: Con, territory: Territory) -> str:
    """What the facts depend on besides the posts: the configuration and the city ids."""
    ids = city_accounts(con, territory)
    blob = json.dumps([territory.raw, ids], sort_keys=True, default=str)
    return hashlib.sha1(blob.encode()).hexdigest()


def _refresh(con: Con, territory: Territory, sig: str, full: bool) -> None:
    """Recompute the facts of ``territory``: all of them, or the scope tables' ones."""
    values = base_params(territory, datetime(1970, 1, 1), datetime(1970, 1, 1))
    del values["t0"], values["t1"]
    con.execute("CREATE TEMP TABLE IF NOT EXISTS _fact_posts (platform VARCHAR, id VARCHAR)")
    con.execute(
        "CREATE TEMP TABLE IF NOT EXISTS _fact_convs (platform VARCHAR, conversation_id VARCHAR)"
    )
    con.execute(_SCOPE_SQL, {**values, "full": full})
    if full:
        con.execute("DELETE FROM interpellation_facts WHERE territory = ?", [territory.slug])
    else:
        con.execute(
            """
            DELETE FROM interpellation_facts WHERE territory = $terr AND (platform, post_id) IN (
                SELECT (platform, id) FROM _fact_tp UNION SELECT (platform, id) FROM _fact_posts)
            """,
            {"terr": territory.slug},
        )
    lo, hi = con.execute("SELECT min(created_at), max(created_at) FROM _fact_tp").fetchone()  # type: ignore[misc]
    if lo is not None:
        values.update(calendar_params(territory, city_accounts(con, territory), lo, hi))
        con.execute(_INSERT_SQL, values)
    con.execute(
        "INSERT OR REPLACE INTO facts_state VALUES (?, ?, now()::TIMESTAMP)",
        [territory.slug, sig],
    )
    con.execute("DROP TABLE IF EXISTS _fact_tp")


def _territories(con: Con) -> list[Territory]:
    from warehouse.territory import load_territories

    return load_territories(con)


def _stored_signatures(con: Con) -> dict[str, str]:
    return dict(con.execute("SELECT territory, signature FROM facts_state").fetchall())  # type: ignore[arg-type]


def after_batch(con: Con, copies: str = "_copies") -> None:
    """Recompute the facts of the conversations the batch's posts (``copies``) touched."""
    assert copies.isidentifier(), copies  # an internal temp table, never user input
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _fact_posts AS SELECT DISTINCT platform, id FROM {copies}"  # noqa: S608
    )
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _fact_convs AS
        SELECT DISTINCT p.platform, p.conversation_id FROM posts p
        SEMI JOIN _fact_posts b ON b.platform = p.platform AND b.id = p.id
        WHERE p.conversation_id IS NOT NULL
        """
    )
    stored = _stored_signatures(con)
    for territory in _territories(con):
        sig = signature(con, territory)
        _refresh(con, territory, sig, full=stored.get(territory.slug) != sig)


def ensure_current(con: Con) -> list[str]:
    """Recompute whole every territory whose facts are missing or stale; return their slugs."""
    stored = _stored_signatures(con)
    done = []
    for territory in _territories(con):
        sig = signature(con, territory)
        if stored.get(territory.slug) != sig:
            con.execute("CREATE OR REPLACE TEMP TABLE _fact_posts (platform VARCHAR, id VARCHAR)")
            _refresh(con, territory, sig, full=True)
            done.append(territory.slug)
    con.execute("DELETE FROM facts_state WHERE territory NOT IN (SELECT slug FROM territories)")
    con.execute(
        "DELETE FROM interpellation_facts WHERE territory NOT IN (SELECT slug FROM territories)"
    )
    return done


def invalidate(con: Con) -> None:
    """Mark every territory's facts stale (posts or mentions were deleted)."""
    con.execute("DELETE FROM facts_state")
