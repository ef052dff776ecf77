"""SQL of the collection bookkeeping tables: ``collect_runs`` and ``collect_state``.

The logic lives in :mod:`collectors.runlog` and :mod:`collectors.state`; this module only
reads and writes rows, always with bound parameters. Every function is safe to call inside
an open transaction (the collectors write state and run counters in the same transaction
as the page they describe).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import duckdb


# -- collect_runs ---------------------------------------------------------------------------
def insert_run(
    con: duckdb.DuckDBPyConnection, territory: str, platform: str, started_at: datetime
) -> int:
    row = con.execute(
        """
        INSERT INTO collect_runs (territory, platform, started_at, status, errors)
        VALUES ($terr, $platform, $started, 'running', '{"count": 0, "items": []}')
        RETURNING run_id
        """,
        {"terr": territory, "platform": platform, "started": started_at},
    ).fetchall()  # fetch to the end: DuckDB 2.0 blocks a connection on an open result
    return int(row[0][0])


def update_run(
    con: duckdb.DuckDBPyConnection,
    run_id: int,
    *,
    pages: int,
    posts: int,
    users: int,
    errors_json: str,
    cost_usd: float,
    status: str | None = None,
    message: str | None = None,
    ended_at: datetime | None = None,
) -> None:
    """Write a run's counters; with ``status`` also close it (status, message, end)."""
    counters = {"pages": pages, "posts": posts, "users": users, "errors": errors_json,
                "cost": cost_usd, "run": run_id}
    if status is None:
        con.execute(
            """
            UPDATE collect_runs SET pages = $pages, posts = $posts, users = $users,
                errors = $errors, cost_usd = $cost
            WHERE run_id = $run
            """,
            counters,
        )
    else:
        con.execute(
            """
            UPDATE collect_runs SET pages = $pages, posts = $posts, users = $users,
                errors = $errors, cost_usd = $cost,
                status = $status, message = $message, ended_at = $ended
            WHERE run_id = $run
            """,
            {**counters, "status": status, "message": message, "ended": ended_at},
        )


def close_stale_runs(
    con: duckdb.DuckDBPyConnection, now: datetime, message: str, platform: str | None = None
) -> int:
    """Mark runs still ``running`` as ``failed`` with ``message``; return how many."""
    row = con.execute(
        "SELECT count(*) FROM collect_runs "
        "WHERE status = 'running' AND ($platform::VARCHAR IS NULL OR platform = $platform)",
        {"platform": platform},
    ).fetchall()
    n = int(row[0][0]) if row else 0
    if n:
        con.execute(
            """
            UPDATE collect_runs
            SET status = 'failed', ended_at = coalesce(ended_at, $now), message = $message
            WHERE status = 'running' AND ($platform::VARCHAR IS NULL OR platform = $platform)
            """,
            {"now": now, "message": message, "platform": platform},
        )
    return n


def recent_runs(
    con: duckdb.DuckDBPyConnection, limit: int = 20, platform: str | None = None
) -> list[dict[str, Any]]:
    """The latest runs, newest first, as dicts."""
    cur = con.execute(
        """
        SELECT run_id, territory, platform, started_at, ended_at, status, pages, posts, users,
               errors, cost_usd, message
        FROM collect_runs WHERE ($platform::VARCHAR IS NULL OR platform = $platform)
        ORDER BY started_at DESC, run_id DESC LIMIT $limit
        """,
        {"platform": platform, "limit": limit},
    )
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


# -- collect_state --------------------------------------------------------------------------
def get_state(
    con: duckdb.DuckDBPyConnection, territory: str, platform: str, endpoint: str, query: str
) -> tuple[str | None, str | None, str | None] | None:
    """``(since_id, cursor, newest_seen)`` of one query, or ``None`` if never collected."""
    row = con.execute(
        """
        SELECT since_id, cursor, newest_seen FROM collect_state
        WHERE territory = $terr AND platform = $platform AND endpoint = $endpoint
          AND query = $query
        """,
        {"terr": territory, "platform": platform, "endpoint": endpoint, "query": query},
    ).fetchall()
    return (row[0][0], row[0][1], row[0][2]) if row else None


def put_state(
    con: duckdb.DuckDBPyConnection,
    territory: str,
    platform: str,
    endpoint: str,
    query: str,
    since_id: str | None,
    cursor: str | None,
    newest_seen: str | None,
    now: datetime,
) -> None:
    con.execute(
        """
        INSERT OR REPLACE INTO collect_state
            (territory, platform, endpoint, query, since_id, updated_at, cursor, newest_seen)
        VALUES ($terr, $platform, $endpoint, $query, $since, $now, $cursor, $newest)
        """,
        {"terr": territory, "platform": platform, "endpoint": endpoint, "query": query,
         "since": since_id, "now": now, "cursor": cursor, "newest": newest_seen},
    )


# -- territory accounts and counts ---------------------------------------------------------
def territory_handles(
    con: duckdb.DuckDBPyConnection, territory: str, platform: str
) -> list[tuple[str, str | None]]:
    """``(handle, user_id or None)`` of the territory's own accounts on ``platform``."""
    return con.execute(
        """
        SELECT handle, user_id FROM territory_accounts
        WHERE territory = $terr AND platform = $platform ORDER BY handle
        """,
        {"terr": territory, "platform": platform},
    ).fetchall()


def territory_post_count(con: duckdb.DuckDBPyConnection, territory: str, platform: str) -> int:
    """Posts landed for the territory on ``platform`` (``territory_posts``)."""
    row = con.execute(
        "SELECT count(*) FROM territory_posts WHERE territory = $terr AND platform = $platform",
        {"terr": territory, "platform": platform},
    ).fetchall()
    return int(row[0][0]) if row else 0
