"""Daily aggregates per territory, platform and local day: the long-term trends.

Two small tables, kept up to date by the loader and recomputed by ``rebuild``:

* ``daily_posts``: posts landed for the territory (``territory_posts``) per local day of
  creation, in the territory's timezone: ``posts`` (reposts included, as ``posts_total``),
  ``reposts``, ``replies`` (not reposts), ``quotes`` (not reposts), distinct ``authors``;
* ``daily_hashtags``: per tracked hashtag (``[tracking] hashtags``, the whole tag,
  case-insensitive), the posts carrying it and their distinct authors.

They hold counts only (no ids, no text), so they survive retention: ``purge`` removes old
posts and raw pages but keeps these rows, and the days before a territory's retention
horizon (``retention_horizon.frozen_before``) are never recomputed again.

:func:`after_batch` is the loader's hook (called inside each batch's transaction): it
drops posts below the retention horizon and refreshes the days the batch touched.
:func:`after_rebuild` is ``rebuild``'s hook: the same horizon, then every unfrozen day.
"""

from __future__ import annotations

import duckdb

# A UTC TIMESTAMP column as a local DATE in the territory's timezone column ``tz``.
LOCAL_DAY = "CAST(timezone({tz}, timezone('UTC', {ts})) AS DATE)"

_TZ = """
CREATE OR REPLACE TEMP TABLE _rollup_tz AS
SELECT t.slug AS territory, t.timezone AS tz,
       h.frozen_before
FROM territories t LEFT JOIN retention_horizon h ON h.territory = t.slug
"""

_TRACKED = """
CREATE OR REPLACE TEMP TABLE _rollup_tracked AS
SELECT DISTINCT slug AS territory, lower(ltrim(trim(tag), '#')) AS tag
FROM (
    SELECT slug, unnest(from_json(config->'$.tracking.hashtags', '["VARCHAR"]')) AS tag
    FROM territories
) WHERE tag IS NOT NULL AND ltrim(trim(tag), '#') <> ''
"""


def _prepare(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(_TZ)
    con.execute(_TRACKED)


def _refresh_touched(con: duckdb.DuckDBPyConnection) -> None:
    """Recompute the rows of every ``(territory, platform, day)`` in ``_touched``.

    ``_touched`` also carries the day's bounds in UTC (``lo``, ``hi``) so the scan of
    ``posts`` is a range on a plain timestamp (DESIGN §7).
    """
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _touched_b AS
        SELECT t.territory, t.platform, t.day, t.tz,
               timezone('UTC', timezone(t.tz, t.day::TIMESTAMP)) AS lo,
               timezone('UTC', timezone(t.tz, (t.day + 1)::TIMESTAMP)) AS hi
        FROM _touched t
        """
    )
    for table in ("daily_posts", "daily_hashtags"):
        con.execute(
            f"""
            DELETE FROM {table} WHERE (territory, platform, day) IN
                (SELECT (territory, platform, day) FROM _touched_b)
            """  # noqa: S608
        )
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _day_posts AS
        SELECT b.territory, p.platform, b.day, p.id, p.author_id, p.is_repost,
               p.reply_to_id, p.quoted_id
        FROM _touched_b b
        JOIN territory_posts tp ON tp.territory = b.territory AND tp.platform = b.platform
        JOIN posts p ON p.platform = tp.platform AND p.id = tp.post_id
        WHERE p.created_at >= b.lo AND p.created_at < b.hi
        """
    )
    con.execute(
        """
        INSERT INTO daily_posts
        SELECT territory, platform, day, count(*),
               count(*) FILTER (WHERE is_repost),
               count(*) FILTER (WHERE reply_to_id IS NOT NULL AND NOT is_repost),
               count(*) FILTER (WHERE quoted_id IS NOT NULL AND NOT is_repost),
               count(DISTINCT author_id), now()::TIMESTAMP
        FROM _day_posts GROUP BY territory, platform, day
        """
    )
    con.execute(
        """
        INSERT INTO daily_hashtags
        SELECT d.territory, d.platform, d.day, h.tag, count(DISTINCT d.id),
               count(DISTINCT d.author_id), now()::TIMESTAMP
        FROM _day_posts d
        JOIN post_hashtags h ON h.platform = d.platform AND h.post_id = d.id
        JOIN _rollup_tracked k ON k.territory = d.territory AND k.tag = h.tag
        GROUP BY d.territory, d.platform, d.day, h.tag
        """
    )


def refresh_posts(con: duckdb.DuckDBPyConnection, ids_table: str) -> None:
    """Refresh the days of the posts listed in ``ids_table`` (columns ``platform``, ``id``).

    Only territories and days at or after the territory's retention horizon are touched.
    Call it *before* deleting posts too (erasure), or with the deleted posts' days kept in
    ``_touched`` by the caller; see :func:`refresh_days`.
    """
    _prepare(con)
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _touched AS
        SELECT DISTINCT tp.territory, p.platform,
               {LOCAL_DAY.format(tz="coalesce(z.tz, 'UTC')", ts="p.created_at")} AS day,
               coalesce(z.tz, 'UTC') AS tz
        FROM (SELECT DISTINCT platform, id FROM {ids_table}) i
        JOIN posts p ON p.platform = i.platform AND p.id = i.id
        JOIN territory_posts tp ON tp.platform = p.platform AND tp.post_id = p.id
        LEFT JOIN _rollup_tz z ON z.territory = tp.territory
        WHERE p.created_at IS NOT NULL
          AND (z.frozen_before IS NULL
               OR {LOCAL_DAY.format(tz="z.tz", ts="p.created_at")} >= z.frozen_before)
        """  # noqa: S608
    )
    _refresh_touched(con)


def days_of_posts(con: duckdb.DuckDBPyConnection, ids_table: str) -> list[tuple[str, str, object]]:
    """``(territory, platform, day)`` of the listed posts, to refresh after deleting them."""
    _prepare(con)
    return con.execute(
        f"""
        SELECT DISTINCT tp.territory, p.platform,
               {LOCAL_DAY.format(tz="coalesce(z.tz, 'UTC')", ts="p.created_at")} AS day
        FROM (SELECT DISTINCT platform, id FROM {ids_table}) i
        JOIN posts p ON p.platform = i.platform AND p.id = i.id
        JOIN territory_posts tp ON tp.platform = p.platform AND tp.post_id = p.id
        LEFT JOIN _rollup_tz z ON z.territory = tp.territory
        WHERE p.created_at IS NOT NULL
        """  # noqa: S608
    ).fetchall()


def refresh_days(con: duckdb.DuckDBPyConnection, days: list[tuple[str, str, object]]) -> None:
    """Recompute the given ``(territory, platform, day)`` rows (frozen days are skipped)."""
    if not days:
        return
    _prepare(con)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _days (territory VARCHAR, platform VARCHAR, day DATE)"
    )
    con.executemany("INSERT INTO _days VALUES (?, ?, ?)", [list(d) for d in days])
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _touched AS
        SELECT DISTINCT d.territory, d.platform, d.day, coalesce(z.tz, 'UTC') AS tz
        FROM _days d LEFT JOIN _rollup_tz z ON z.territory = d.territory
        WHERE z.frozen_before IS NULL OR d.day >= z.frozen_before
        """
    )
    _refresh_touched(con)


def refresh_territory(con: duckdb.DuckDBPyConnection, territory: str | None = None) -> None:
    """Recompute every unfrozen day (of one territory, or all): used by ``rebuild``.

    Rows of unfrozen days that no longer have posts are removed; frozen rows stay.
    """
    _prepare(con)
    for table in ("daily_posts", "daily_hashtags"):
        con.execute(
            f"""
            DELETE FROM {table} r
            WHERE (? IS NULL OR r.territory = ?)
              AND NOT EXISTS (SELECT 1 FROM retention_horizon h
                              WHERE h.territory = r.territory AND r.day < h.frozen_before)
            """,  # noqa: S608
            [territory, territory],
        )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _touched AS
        SELECT DISTINCT tp.territory, p.platform,
               {LOCAL_DAY.format(tz="coalesce(z.tz, 'UTC')", ts="p.created_at")} AS day,
               coalesce(z.tz, 'UTC') AS tz
        FROM territory_posts tp
        JOIN posts p ON p.platform = tp.platform AND p.id = tp.post_id
        LEFT JOIN _rollup_tz z ON z.territory = tp.territory
        WHERE p.created_at IS NOT NULL AND (? IS NULL OR tp.territory = ?)
          AND (z.frozen_before IS NULL
               OR {LOCAL_DAY.format(tz="z.tz", ts="p.created_at")} >= z.frozen_before)
        """,  # noqa: S608
        [territory, territory],
    )
    _refresh_touched(con)


# -- hooks called by warehouse/load.py, inside the loader's transaction ------------------------


def after_batch(con: duckdb.DuckDBPyConnection) -> None:
    """Loader hook: enforce the retention horizon on the batch, refresh the days it touched.

    Reads the temp table ``_copies`` (every post copy of the batch) that
    :func:`warehouse.load.normalise` leaves behind.
    """
    from warehouse.retention import enforce_horizon

    enforce_horizon(con, only_ids="_copies")
    refresh_posts(con, "_copies")


def after_rebuild(con: duckdb.DuckDBPyConnection) -> None:
    """``rebuild`` hook: the retention horizon on every post, then every unfrozen day."""
    from warehouse.retention import enforce_horizon

    enforce_horizon(con)
    refresh_territory(con)
