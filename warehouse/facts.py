"""Facts computed once at load time: each interpellation with its first answer, each relay,
each post carrying a tracked hashtag (``hashtag_facts``) or mentioning a city account
(``mention_facts``), each author's first post (``author_facts``), each conversation's size
and span (``conversation_facts``), and each territory's narrow post list
(``territory_timeline``, what every metric scans).

Whether a post is an interpellation, which city account it addresses, which city post
answers it first and how many service-hours minutes that took, and whether a post relays
city content (and how) do not depend on the window or the ``as_of`` a page asks for: they
depend on the territory's posts, its configuration and its city accounts' ids. So the
loader computes them with the SQL of :mod:`warehouse.interpellations` and
:mod:`warehouse.relays` (docs/metrics.md) into ``interpellation_facts`` and ``relay_facts``; the
metric queries read those tables for their window and apply ``as_of`` (an answer counts
when ``answered_at <= as_of``: the earliest answer is the same whatever ``as_of``) and the
locality of relay authors (profiles change; judged when asked).

When they are recomputed is decided by :mod:`warehouse.recompute` (the one policy); this
module does the recomputing:

* :func:`refresh_batch` recomputes, in a batch's own transaction, the interpellations of
  the conversations its posts belong to (a new post can be an interpellation, the answer
  to an older one, or the parent that gives a reply its conversation) and the relays among
  its posts and the posts that repost or quote them;
* :func:`mark_stale` and :func:`invalidate` mark territories stale (a bulk import's batch;
  deleted posts or mentions), :func:`delete_posts` drops the facts of deleted posts;
* :func:`ensure_current` recomputes whole every territory that was marked stale or whose
  configuration or resolved city-account ids differ from those its facts were computed
  with (``facts_state.signature``), and its daily rollups with it, from the timeline just
  rebuilt (:func:`warehouse.rollups.refresh_territory`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime

import duckdb

from model import Territory
from warehouse import activity, interpellations, relays, rollups, triage
from warehouse.keyed_delete import delete_keys
from warehouse.metrics_base import CITY_CTE, base_params, city_accounts, compose, with_ctes
from warehouse.service_hours import CALENDAR_FIRST, CALENDAR_LAST, calendar_params
from warehouse.territory import load_territories

Con = duckdb.DuckDBPyConnection
# one row per post (keyed by ``post_id``)
TABLES = (
    "territory_timeline", "interpellation_facts", "relay_facts", "hashtag_facts", "mention_facts"
)
# one row per author, per conversation
ALL_TABLES = (*TABLES, "author_facts", "conversation_facts")

# The territory's posts to (re)compute, materialised as ``_fact_tp``: all of them ($full)
# or those of ``_fact_keys``. The keys are found from the small side (the batch's keys, the
# narrow timeline), so a batch never joins the whole of posts with territory_posts.
# Its columns are territory_timeline's, in order.
_POST_COLUMNS = """
SELECT t.territory, p.platform, p.id, p.author_id, p.created_at, p.conversation_id,
       p.in_reply_to_user_id, p.reply_to_id, p.quoted_id, p.reposted_id, p.is_repost"""
_ALL_POSTS = """
FROM territory_posts t
JOIN posts p ON p.platform = t.platform AND p.id = t.post_id
WHERE p.in_data AND p.created_at IS NOT NULL"""
_ALL_TP_SQL = compose(
    "CREATE OR REPLACE TEMP TABLE _fact_tp AS", _POST_COLUMNS, _ALL_POSTS,
    "AND t.territory = $terr",
)
# the posts of every territory of ``$w_terr`` at once (Spark's one pass: the facts
# statements below are the same over a set, warehouse/spark_engine.py)
SET_TP_SQL = compose(
    _POST_COLUMNS, _ALL_POSTS, "AND list_contains($w_terr::VARCHAR[], t.territory)"
)
_KEYS_TP_SQL = compose(
    "CREATE OR REPLACE TEMP TABLE _fact_tp AS",
    _POST_COLUMNS,
    """
FROM _fact_keys k
JOIN posts p ON p.platform = k.platform AND p.id = k.id
JOIN territory_posts t ON t.territory = $terr AND t.platform = p.platform AND t.post_id = p.id
WHERE p.in_data AND p.created_at IS NOT NULL
""",
)


def _keys_sql(*links: tuple[str, str]) -> str:
    """SQL filling ``_fact_keys``: the batch's keys, and the territory's timeline posts linked
    to them, one ``(table, match)`` per link (constant fragments only: ``b`` is the linked
    table, ``t`` the timeline row)."""
    parts = ["SELECT platform, id FROM _fact_posts"]
    parts += [
        f"SELECT t.platform, t.post_id FROM territory_timeline t SEMI JOIN {table} b"  # noqa: S608
        f" ON b.platform = t.platform AND {match} WHERE t.territory = $terr"
        for table, match in links
    ]
    return "CREATE OR REPLACE TEMP TABLE _fact_keys AS\n" + "\nUNION\n".join(parts)


# interpellations: the batch's posts and every post of their conversations (a new post can
# answer an older one, or be the parent that gives a reply its conversation)
_INTER_KEYS_SQL = _keys_sql(("_fact_convs", "b.conversation_id = t.conversation_id"))
# relays: the batch's posts and the posts reposting or quoting one of them
_RELAY_KEYS_SQL = _keys_sql(
    ("_fact_posts", "b.id = t.reposted_id"), ("_fact_posts", "b.id = t.quoted_id")
)

_INTER_INSERT_SQL = compose(
    "INSERT INTO interpellation_facts",
    with_ctes(CITY_CTE, "tp AS (SELECT * FROM _fact_tp)", *interpellations.FACT_CTES),
    """
SELECT i.territory, i.platform, i.id, i.author_id, i.created_at, i.conversation_id, i.acc_id,
       i.addressed_handle, a.answer_id, a.answered_at, a.answerer, s.service_response_minutes
FROM inter i
LEFT JOIN ans a ON a.territory = i.territory AND a.platform = i.platform AND a.id = i.id
LEFT JOIN svc s ON s.territory = i.territory AND s.platform = i.platform AND s.id = i.id
ORDER BY i.created_at
""",
)
# Every facts table is inserted in time order, so the zone maps of its row groups let a
# window's query skip the rest (a whole recompute otherwise leaves join order: at 10M posts
# every row group of interpellation_facts spanned the 13 weeks; the pending queue took
# 0.27 s, 0.19 s sorted).
# the scoped posts' tracked hashtags (each territory's configuration's, whole tag, any case);
# a post's first tag (alphabetical) is flagged, so counting flagged rows counts posts
_HASHTAG_INSERT_SQL = """
INSERT INTO hashtag_facts
SELECT territory, platform, id, author_id, created_at, tag,
       row_number() OVER (PARTITION BY territory, platform, id ORDER BY tag) = 1 AS first_tag
FROM (SELECT DISTINCT p.territory, p.platform, p.id, p.author_id, p.created_at, h.tag
      FROM _fact_tp p
      JOIN post_hashtags h ON h.platform = p.platform AND h.post_id = p.id
      JOIN (SELECT unnest($tag_terr::VARCHAR[]) AS territory,
                   unnest($tags::VARCHAR[]) AS tag) g
        ON g.territory = p.territory AND g.tag = h.tag)
ORDER BY created_at
"""
# the scoped posts that mention a city account: by others, reposts excluded (a mention by
# user id, or by handle when the id is missing)
_MENTION_INSERT_SQL = compose(
    "INSERT INTO mention_facts",
    with_ctes(CITY_CTE),
    """
SELECT $terr, p.platform, p.id, p.created_at FROM _fact_tp p
WHERE NOT p.is_repost
  AND NOT EXISTS (SELECT 1 FROM city_ids c WHERE c.platform = p.platform AND c.id = p.author_id)
  AND EXISTS (SELECT 1 FROM post_mentions m JOIN city_ids c ON c.platform = m.platform
                   AND (m.user_id = c.id OR (m.user_id IS NULL AND m.username = lower(c.handle)))
              WHERE m.platform = p.platform AND m.post_id = p.id)
ORDER BY p.created_at
""",
)
_AUTHORS_UPSERT_SQL = """
INSERT INTO author_facts
SELECT $terr, platform, author_id, min(created_at) FROM _fact_tp
WHERE author_id IS NOT NULL GROUP BY platform, author_id
ON CONFLICT DO UPDATE SET first_seen = least(first_seen, excluded.first_seen)
"""
# the scoped conversations, whole (the scope holds every post of the batch's conversations)
_CONVERSATION_INSERT_SQL = compose(
    "INSERT INTO conversation_facts",
    with_ctes(CITY_CTE),
    """
SELECT $terr, p.platform, p.conversation_id,""",
    activity.CONV_FIGURES,
    """
FROM _fact_tp p LEFT JOIN city_ids c ON c.platform = p.platform AND c.id = p.author_id
WHERE NOT p.is_repost AND p.conversation_id IS NOT NULL
GROUP BY p.platform, p.conversation_id
ORDER BY max(p.created_at)
""",
)
_RELAY_INSERT_SQL = compose(
    "INSERT INTO relay_facts",
    with_ctes(CITY_CTE, "tp AS (SELECT * FROM _fact_tp)", *relays.FACT_CTES),
    """
SELECT territory, platform, post_id, author_id, created_at, relay_kind, reposted_id, quoted_id
FROM rel WHERE relay_kind IS NOT NULL
ORDER BY created_at
""",
)
# the facts of the scoped posts (and of the batch's own keys, whatever became of them)
_SCOPED_KEYS = "SELECT platform, id FROM _fact_tp UNION SELECT platform, id FROM _fact_posts"


# the posts whose facts a batch recomputed, one row per 15-minute bucket (enough for their
# local days: a local midnight is on a quarter hour), into the batch's ``_fact_scope``
_SCOPE_INSERT_SQL = """
INSERT INTO _fact_scope
SELECT DISTINCT $terr, platform, time_bucket(INTERVAL 15 MINUTE, created_at) FROM _fact_tp
"""


def tracking_params(territories: Sequence[Territory]) -> dict[str, list[str]]:
    """Each territory's tracked hashtags as stored in ``post_hashtags`` (lower, no '#'):
    ``$tag_terr``, ``$tags``; and its city domains: ``$dom_terr``, ``$domains``."""
    tags = [(t.slug, tag) for t in territories for tag in t.tag_keys()]
    domains = [(t.slug, d.lower().strip(".")) for t in territories for d in t.city_domains]
    return {"tag_terr": [x[0] for x in tags], "tags": [x[1] for x in tags],
            "dom_terr": [x[0] for x in domains], "domains": [x[1] for x in domains]}


def signature(con: Con, territory: Territory) -> str:
    """What the facts depend on besides the posts: the configuration and the city ids."""
    ids = city_accounts(con, territory)
    blob = json.dumps([territory.raw, ids], sort_keys=True, default=str)
    return hashlib.sha1(blob.encode()).hexdigest()


def _scope(con: Con, keys_sql: str, slug: str, full: bool) -> None:
    """Materialise ``_fact_tp``: every post of the territory, or those ``keys_sql`` finds."""
    if full:
        con.execute(_ALL_TP_SQL, {"terr": slug})
    else:
        con.execute(keys_sql, {"terr": slug})
        con.execute(_KEYS_TP_SQL, {"terr": slug})


def _clear(con: Con, tables: Sequence[str], slug: str, full: bool) -> None:
    """Delete the territory's rows of ``tables``: all, or those of the scope (``_fact_tp``)."""
    if not full:
        con.execute(f"CREATE OR REPLACE TEMP TABLE _fact_keys_scoped AS {_SCOPED_KEYS}")
        delete_keys(con, [(t, "post_id") for t in tables], "_fact_keys_scoped",
                    also="territory = $terr", params={"terr": slug})
        return
    for table in tables:
        con.execute(f"DELETE FROM {table} WHERE territory = $terr", {"terr": slug})  # noqa: S608


def _refresh(con: Con, territory: Territory, sig: str, full: bool) -> None:
    """Recompute the facts of ``territory``: all of them, or those of the scope tables."""
    slug = territory.slug
    values = base_params(territory, datetime(1970, 1, 1), datetime(1970, 1, 1))
    del values["t0"], values["t1"]
    con.execute("CREATE TEMP TABLE IF NOT EXISTS _fact_posts (platform VARCHAR, id VARCHAR)")
    con.execute(
        "CREATE TEMP TABLE IF NOT EXISTS _fact_convs (platform VARCHAR, conversation_id VARCHAR)"
    )
    # the posts of the batch and of its conversations: the narrow post list and the
    # interpellations with their first answers
    _scope(con, _INTER_KEYS_SQL, slug, full)
    if not full:  # the days of the posts recomputed here (rollups.refresh_batch reads them)
        con.execute(_SCOPE_INSERT_SQL, {"terr": slug})
    _clear(con, ("territory_timeline", "interpellation_facts", "hashtag_facts", "mention_facts"),
           slug, full)
    con.execute("INSERT INTO territory_timeline SELECT * FROM _fact_tp ORDER BY created_at")
    tracking = tracking_params([territory])
    con.execute(_HASHTAG_INSERT_SQL, {k: tracking[k] for k in ("tag_terr", "tags")})
    con.execute(_MENTION_INSERT_SQL, values)
    if full:  # each author's first post; a batch only adds posts, so the minimum only falls
        con.execute("DELETE FROM author_facts WHERE territory = $terr", {"terr": slug})
    con.execute(_AUTHORS_UPSERT_SQL, {"terr": slug})
    if full:
        con.execute("DELETE FROM conversation_facts WHERE territory = $terr", {"terr": slug})
    else:
        delete_keys(con, [("conversation_facts", "conversation_id")],
                    "(SELECT platform, conversation_id AS id FROM _fact_convs)",
                    also="territory = $terr", params={"terr": slug})
    con.execute(_CONVERSATION_INSERT_SQL, values)
    # a row outside the calendar's span (landed before the loader rejected impossible dates,
    # warehouse/pages.py) must not stretch the calendar: it finds no day of it
    lo, hi = con.execute(  # type: ignore[misc]
        "SELECT min(created_at), max(created_at) FROM _fact_tp "
        "WHERE created_at BETWEEN $first AND $last",
        {"first": CALENDAR_FIRST, "last": CALENDAR_LAST},
    ).fetchone()
    if lo is not None:
        cal = calendar_params(territory, city_accounts(con, territory), lo, hi)
        con.execute(_INTER_INSERT_SQL, {**values, **cal})
    # the new interpellations' "expects an answer" (a batch's are among its scope's posts)
    triage.fill_expectations(con, slug, None if full else "_fact_tp")
    # the posts of the batch and those reposting or quoting them: the relays (whole: the
    # same scope, every post of the territory, already in _fact_tp)
    if not full:
        _scope(con, _RELAY_KEYS_SQL, slug, full)
    _clear(con, ("relay_facts",), slug, full)
    domains = {k: tracking[k] for k in ("dom_terr", "domains")}
    con.execute(_RELAY_INSERT_SQL, {**values, **domains})
    if not full:  # the relays' scope too: their days' rollups follow
        con.execute(_SCOPE_INSERT_SQL, {"terr": slug})
    for temp in ("_fact_tp", "_fact_keys"):
        con.execute(f"DROP TABLE IF EXISTS {temp}")  # noqa: S608
    if full:  # the daily rollups follow, from the timeline just rebuilt
        rollups.refresh_territory(con, slug, from_timeline=True)
    con.execute(
        "INSERT OR REPLACE INTO facts_state VALUES ($terr, $sig, now()::TIMESTAMP)",
        {"terr": slug, "sig": sig},
    )


def _stored_signatures(con: Con) -> dict[str, str]:
    return dict(con.execute("SELECT territory, signature FROM facts_state").fetchall())  # type: ignore[arg-type]


def refresh_batch(con: Con, copies: str, conv_filled: str, scope: str) -> None:
    """Recompute the facts a batch's posts can change: the posts of ``copies`` and those of
    ``conv_filled`` (temp tables with ``platform``, ``id``: the batch's post copies, and older
    posts whose conversation id it filled; :mod:`warehouse.recompute` names them). The posts
    whose facts were recomputed are listed in the temp table ``scope`` (``territory``,
    ``platform``, ``created_at``: one row per 15-minute bucket), for the daily rollups."""
    assert copies.isidentifier() and conv_filled.isidentifier(), (copies, conv_filled)
    assert scope == "_fact_scope", scope  # the name _SCOPE_INSERT_SQL writes
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _fact_scope "
        "(territory VARCHAR, platform VARCHAR, created_at TIMESTAMP)"
    )
    con.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS {conv_filled} (platform VARCHAR, id VARCHAR)"  # noqa: S608
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _fact_posts AS
        SELECT platform, id FROM {copies} UNION SELECT platform, id FROM {conv_filled}
        """  # noqa: S608
    )
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _fact_convs AS
        SELECT p.platform, p.conversation_id FROM posts p
        SEMI JOIN _fact_posts b ON b.platform = p.platform AND b.id = p.id
        WHERE p.conversation_id IS NOT NULL
        UNION  -- and the ones they were in (a later copy of a post can move it)
        SELECT t.platform, t.conversation_id FROM territory_timeline t
        SEMI JOIN _fact_posts b ON b.platform = t.platform AND b.id = t.post_id
        WHERE t.conversation_id IS NOT NULL
        """
    )
    triage.forget_expectations(con, "_fact_posts")  # an edited text is judged again
    stored = _stored_signatures(con)
    for territory in load_territories(con):
        sig = signature(con, territory)
        _refresh(con, territory, sig, full=stored.get(territory.slug) != sig)


def ensure_current(con: Con) -> list[str]:
    """Recompute whole every territory whose facts are missing or stale; return their slugs."""
    stored = _stored_signatures(con)
    done = []
    for territory in load_territories(con):
        sig = signature(con, territory)
        if stored.get(territory.slug) != sig:
            _refresh(con, territory, sig, full=True)
            done.append(territory.slug)
    for table in (*ALL_TABLES, "facts_state"):
        con.execute(f"DELETE FROM {table} WHERE territory NOT IN (SELECT slug FROM territories)")  # noqa: S608
    # judgements of older rules, and of posts that are no interpellation any more
    for territory in load_territories(con):
        triage.fill_expectations(con, territory.slug)
    con.execute("DELETE FROM post_expectations e WHERE NOT EXISTS (SELECT 1 FROM "
                "interpellation_facts f WHERE f.platform = e.platform AND f.post_id = e.post_id)")
    return done


def invalidate(con: Con) -> None:
    """Mark every territory's facts stale (posts or mentions were deleted)."""
    con.execute("DELETE FROM facts_state")


def delete_posts(con: Con, ids_table: str) -> None:
    """Delete the per-post facts of the posts listed in ``ids_table`` (``platform``, ``id``)."""
    assert ids_table.isidentifier(), ids_table  # an internal temp table, never user input
    for table in TABLES:
        con.execute(
            f"DELETE FROM {table} WHERE (platform, post_id) IN "  # noqa: S608
            f"(SELECT (platform, id) FROM {ids_table})"
        )


def mark_stale(con: Con, copies: str) -> None:
    """Mark stale the territories of a batch's posts (``copies``: a bulk import's batch), so
    their facts and daily rollups are recomputed whole before the next snapshot (and by the
    next batch loaded without ``bulk``), even if the import stops half-way."""
    assert copies.isidentifier(), copies  # an internal temp table, never user input
    con.execute(
        f"DELETE FROM facts_state WHERE territory IN (SELECT DISTINCT territory FROM {copies})"  # noqa: S608
    )
