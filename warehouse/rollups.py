"""Daily aggregates per territory, platform and local day: the long-term trends.

Two small tables, kept up to date by the loader and recomputed by ``rebuild``:

* ``daily_posts``: posts landed for the territory (``territory_posts``) per local day of
  creation, in the territory's timezone: ``posts`` (reposts included, as ``posts_total``);
* ``daily_activity``: interpellations, answered, relays, local relays and posts with a
  tracked hashtag, for the whole territory and per city account, computed from the facts by
  :mod:`warehouse.rollup_counts` (what they mean is said there).

Readers: the Tendances page and the weekly review's comparisons (:mod:`warehouse.page_trends`)
read ``daily_posts.posts`` and ``daily_activity``. A rollup without a reader goes
(migrations 0015, 0016: ``daily_hashtags`` and ``daily_posts``' other columns).

They hold counts only (no ids, no text), so they survive retention: ``purge`` removes old
posts and raw pages but keeps these rows, and the days before a territory's retention
horizon (``retention_horizon.frozen_before``) are never recomputed again.

When they are recomputed is decided by :mod:`warehouse.recompute`: after each batch the
days it touched (:func:`refresh_batch`), whole with a territory's facts
(:func:`refresh_territory`, from :func:`warehouse.facts.ensure_current`), the days of
posts about to be purged or erased (:func:`refresh_posts`, :func:`refresh_days`), and
territories without a configuration, which have no facts (:func:`refresh_unconfigured`,
:func:`refresh_unconfigured_batch`).
"""

from __future__ import annotations

from typing import Any

import duckdb

from warehouse import rollup_counts
from warehouse.territory import load_territories

# the rollup tables, every one keyed by (territory, platform, day, ...)
TABLES = ("daily_posts", "daily_activity")

# A UTC TIMESTAMP column as a local DATE in the territory's timezone column ``tz``.
LOCAL_DAY = "CAST(timezone({tz}, timezone('UTC', {ts})) AS DATE)"

# The territories' timezones and retention horizons, and their tracked hashtags (CTEs).
_TZ = """
_tz AS (
    SELECT t.slug AS territory, t.timezone AS tz, h.frozen_before
    FROM territories t LEFT JOIN retention_horizon h ON h.territory = t.slug
)"""


def _touch(
    con: duckdb.DuckDBPyConnection, days_sql: str, params: dict[str, Any] | None = None
) -> None:
    """Fill ``_touched`` from ``days_sql`` (a query giving ``territory, platform, day``).

    Frozen days (before the territory's retention horizon) are left out; each day carries
    its bounds in UTC (``lo``, ``hi``) so the scan of ``posts`` is a range on a plain
    timestamp (docs/design.md §8).
    """
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _touched AS
        WITH {_TZ}, d AS ({days_sql})
        SELECT DISTINCT d.territory, d.platform, d.day,
               timezone('UTC', timezone(coalesce(z.tz, 'UTC'), d.day::TIMESTAMP)) AS lo,
               timezone('UTC', timezone(coalesce(z.tz, 'UTC'), (d.day + 1)::TIMESTAMP)) AS hi
        FROM d LEFT JOIN _tz z ON z.territory = d.territory
        WHERE d.day IS NOT NULL AND (z.frozen_before IS NULL OR d.day >= z.frozen_before)
        """,  # noqa: S608
        params or {},
    )


# The posts of the touched days, one row each (territory, platform, day). Each post finds
# its day through its 15-minute bucket (a local midnight is always on a quarter hour, see
# _days_of), by an equality join with the
# touched days' buckets (``bd``): no per-row time zone arithmetic, no sort (an ASOF join on
# the days' bounds sorted every post: at 10M posts 9.3 s, against 2.0 s, same rows). Posts
# outside the touched days' span ($lo, $hi: constants, so the scan skips their row groups by
# their zone maps) are left out first.
_TOUCHED_BUCKETS = """
    bd AS (
        SELECT DISTINCT b.territory, b.platform, b.day, k.bucket
        FROM _touched b,
             LATERAL (SELECT unnest(range(b.lo, b.hi, INTERVAL 15 MINUTE)) AS bucket) k
    )"""
# from the territories' posts (any time: rebuild, purge, erasure, unconfigured territories)
_DAY_POSTS_JOINED = f"""
    WITH {_TOUCHED_BUCKETS}
    SELECT bd.territory, p.platform, bd.day
    FROM territory_posts tp
    JOIN posts p ON p.platform = tp.platform AND p.id = tp.post_id
    JOIN bd ON bd.territory = tp.territory AND bd.platform = p.platform
           AND bd.bucket = time_bucket(INTERVAL 15 MINUTE, p.created_at)
    WHERE p.created_at >= $lo AND p.created_at < $hi
"""  # noqa: S608 (constant fragments)
# from the territory timeline (warehouse/facts.py: the territory's posts, narrow, sorted by
# time), valid only right after the facts refresh brought it up to date: one narrow range
# scan, where the join above reads every territory post of the warehouse (at 10M posts it
# took 54 of a batch's 92 s)
_DAY_POSTS_TIMELINE = f"""
    WITH {_TOUCHED_BUCKETS}
    SELECT bd.territory, t.platform, bd.day
    FROM territory_timeline t
    JOIN bd ON bd.territory = t.territory AND bd.platform = t.platform
           AND bd.bucket = time_bucket(INTERVAL 15 MINUTE, t.created_at)
    WHERE t.created_at >= $lo AND t.created_at < $hi
"""  # noqa: S608 (constant fragments)


def _refresh_touched(con: duckdb.DuckDBPyConnection, day_posts: str = _DAY_POSTS_JOINED) -> None:
    """Recompute the rows of every ``(territory, platform, day)`` in ``_touched``, from
    ``day_posts`` (one of the two queries above)."""
    for table in TABLES:
        con.execute(
            f"""
            DELETE FROM {table} WHERE (territory, platform, day) IN
                (SELECT (territory, platform, day) FROM _touched)
            """  # noqa: S608
        )
    # one scan of the touched days' posts
    lo, hi = con.execute("SELECT min(lo), max(hi) FROM _touched").fetchall()[0]
    if lo is None:
        return
    # the interpellations, answers and relays of those days, from the facts
    rollup_counts.count_touched(con, load_territories(con))
    con.execute(
        f"""
        INSERT INTO daily_posts
        SELECT territory, platform, day, count(*), now()::TIMESTAMP
        FROM ({day_posts}) GROUP BY territory, platform, day
        """,  # noqa: S608
        {"lo": lo, "hi": hi},
    )


def _days_of(posts_sql: str) -> str:
    """SQL: distinct ``territory, platform, day`` of ``posts_sql`` (``territory, platform,
    created_at``), the local day taken once per 15-minute bucket: every time zone offset is a
    multiple of 15 minutes, so a bucket never straddles a local midnight, and the time zone
    arithmetic runs on a few hundred buckets instead of every post (docs/design.md §8)."""
    return f"""
        SELECT DISTINCT b.territory, b.platform,
               {LOCAL_DAY.format(tz="coalesce(z.tz, 'UTC')", ts="b.bucket")} AS day
        FROM (SELECT DISTINCT territory, platform,
                     time_bucket(INTERVAL 15 MINUTE, created_at) AS bucket
              FROM ({posts_sql}) WHERE created_at IS NOT NULL) b
        LEFT JOIN _tz z ON z.territory = b.territory
    """  # noqa: S608


def _posts_days(ids_table: str) -> str:
    """SQL: ``territory, platform, day`` of the posts listed in ``ids_table``."""
    assert ids_table.isidentifier(), ids_table  # an internal temp table, never user input
    return _days_of(
        f"""
        SELECT tp.territory, p.platform, p.created_at
        FROM (SELECT DISTINCT platform, id FROM {ids_table}) i
        JOIN posts p ON p.platform = i.platform AND p.id = i.id
        JOIN territory_posts tp ON tp.platform = p.platform AND tp.post_id = p.id
        """  # noqa: S608
    )


def refresh_posts(con: duckdb.DuckDBPyConnection, ids_table: str) -> None:
    """Refresh the days of the posts listed in ``ids_table`` (columns ``platform``, ``id``).

    Only days at or after the territory's retention horizon are touched. To refresh after
    deleting posts, take :func:`days_of_posts` first, then :func:`refresh_days`.
    """
    _touch(con, _posts_days(ids_table))
    _refresh_touched(con)


def days_of_posts(con: duckdb.DuckDBPyConnection, ids_table: str) -> list[tuple[str, str, Any]]:
    """``(territory, platform, day)`` of the listed posts, to refresh after deleting them."""
    return con.execute(f"WITH {_TZ} SELECT DISTINCT * FROM ({_posts_days(ids_table)})").fetchall()  # noqa: S608


def refresh_days(con: duckdb.DuckDBPyConnection, days: list[tuple[str, str, Any]]) -> None:
    """Recompute the given ``(territory, platform, day)`` rows (frozen days are skipped)."""
    if not days:
        return
    territories, platforms, dates = (list(column) for column in zip(*days, strict=True))
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _days AS
        SELECT unnest($territories::VARCHAR[]) AS territory,
               unnest($platforms::VARCHAR[]) AS platform, unnest($days::DATE[]) AS day
        """,
        {"territories": territories, "platforms": platforms, "days": dates},
    )
    _touch(con, "SELECT territory, platform, day FROM _days")
    _refresh_touched(con)


def refresh_territory(
    con: duckdb.DuckDBPyConnection, territory: str | None = None, from_timeline: bool = False
) -> None:
    """Recompute every unfrozen day (of one territory, or all), from its posts; right after
    :func:`warehouse.facts.ensure_current` rebuilt a territory's timeline, from that timeline
    (``from_timeline``: one narrow scan instead of joining every post).

    Rows of unfrozen days that no longer have posts are removed; frozen rows stay.
    """
    for table in TABLES:
        con.execute(
            f"""
            DELETE FROM {table} r
            WHERE ($territory::VARCHAR IS NULL OR r.territory = $territory)
              AND NOT EXISTS (SELECT 1 FROM retention_horizon h
                              WHERE h.territory = r.territory AND r.day < h.frozen_before)
            """,  # noqa: S608
            {"territory": territory},
        )
    _touch(
        con,
        _days_of(_TERRITORY_TIMELINE if from_timeline else _TERRITORY_POSTS),
        {"territory": territory},
    )
    _refresh_touched(con, _DAY_POSTS_TIMELINE if from_timeline else _DAY_POSTS_JOINED)


def refresh_unconfigured(con: duckdb.DuckDBPyConnection) -> None:
    """Recompute every unfrozen day of the territories without a configuration (they have no
    facts, so :func:`warehouse.facts.ensure_current` does not reach them), from their posts;
    their rows of unfrozen days without posts are removed."""
    for table in TABLES:
        con.execute(
            f"""
            DELETE FROM {table} r
            WHERE r.territory NOT IN (SELECT slug FROM territories)
              AND NOT EXISTS (SELECT 1 FROM retention_horizon h
                              WHERE h.territory = r.territory AND r.day < h.frozen_before)
            """  # noqa: S608
        )
    if not con.execute(
        "SELECT EXISTS (SELECT 1 FROM territory_posts "
        "WHERE territory NOT IN (SELECT slug FROM territories))"
    ).fetchall()[0][0]:
        return  # the usual case: every territory with posts is configured (one cheap scan)
    _touch(con, _days_of(_UNCONFIGURED_POSTS))
    _refresh_touched(con)


# A territory's posts (all territories' when $territory is NULL): territory, platform, time.
_TERRITORY_POSTS = """
    SELECT tp.territory, p.platform, p.created_at
    FROM territory_posts tp JOIN posts p ON p.platform = tp.platform AND p.id = tp.post_id
    WHERE $territory::VARCHAR IS NULL OR tp.territory = $territory
"""
_UNCONFIGURED_POSTS = """
    SELECT tp.territory, p.platform, p.created_at
    FROM territory_posts tp JOIN posts p ON p.platform = tp.platform AND p.id = tp.post_id
    WHERE tp.territory NOT IN (SELECT slug FROM territories)
"""
_TERRITORY_TIMELINE = """
    SELECT territory, platform, created_at FROM territory_timeline
    WHERE $territory::VARCHAR IS NULL OR territory = $territory
"""


# -- after a batch (warehouse/recompute.py), inside the loader's transaction -------------------


def _unconfigured(con: duckdb.DuckDBPyConnection, copies: str) -> int:
    """Post copies of the batch (``copies``) whose territory has no configuration."""
    return int(
        con.execute(
            f"SELECT count(*) FROM {copies} "  # noqa: S608
            "WHERE territory NOT IN (SELECT slug FROM territories)"
        ).fetchall()[0][0]
    )


def refresh_batch(con: duckdb.DuckDBPyConnection, copies: str, scope: str) -> None:
    """Refresh the days a batch touched: ``copies`` is the temp table of its post copies
    (``territory``, ``platform``, ``id``, ...; :data:`warehouse.recompute.BATCH_COPIES`),
    ``scope`` the posts whose facts the batch recomputed (``territory``, ``platform``,
    ``created_at``; :data:`warehouse.recompute.FACT_SCOPE`): an older interpellation whose
    answer just landed, a relay whose original just landed, change their own day.

    Runs inside the batch's transaction after :func:`warehouse.facts.refresh_batch`, whose
    territory timeline it reads (the batch's posts are in it, with their retention applied).
    Pages of a territory without a configuration (no timeline) take the joined path.
    """
    assert copies.isidentifier() and scope.isidentifier(), (copies, scope)  # internal tables
    if _unconfigured(con, copies):
        refresh_posts(con, copies)
        return
    _touch(
        con,
        _days_of(
            f"""
            SELECT t.territory, t.platform, t.created_at FROM territory_timeline t
            SEMI JOIN {copies} c ON c.platform = t.platform AND c.id = t.post_id
            UNION ALL SELECT territory, platform, created_at FROM {scope}
            """  # noqa: S608
        ),
    )
    _refresh_touched(con, _DAY_POSTS_TIMELINE)


def refresh_unconfigured_batch(con: duckdb.DuckDBPyConnection, copies: str) -> None:
    """A bulk import's batch (``copies``, as for :func:`refresh_batch`): the configured
    territories' days are recomputed whole with their facts before the snapshot; pages of a
    territory without a configuration (no facts) are refreshed now, by the joined path."""
    assert copies.isidentifier(), copies  # an internal temp table, never user input
    if _unconfigured(con, copies):
        refresh_posts(con, copies)
