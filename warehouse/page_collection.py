"""How fresh the data is and how collection goes: when data last landed for each
territory (the dashboard's and the reports' "data as of"), pages landed per source, the
collection runs with their errors, and the API usage and its cost.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pandas as pd

from model import Territory
from warehouse.metrics_base import Con


def data_as_of(con: Con) -> list[tuple[str, datetime | None]]:
    """``(territory slug, last fetch instant)``: when data last landed for each territory."""
    return [
        (r[0], r[1])
        for r in con.execute(
            """
            SELECT t.slug, (SELECT max(r.fetched_at) FROM raw_pages r WHERE r.territory = t.slug)
            FROM territories t ORDER BY t.slug
            """
        ).fetchall()
    ]


def freshness(con: Con, territory: Territory, platform: str | None = None) -> pd.DataFrame:
    """Per platform, source and endpoint: pages landed, last fetch, newest post created."""
    return con.execute(
        """
        SELECT r.platform, r.source, coalesce(r.endpoint, '') AS endpoint, count(*) AS pages,
               max(r.fetched_at) AS last_fetched_at
        FROM raw_pages r
        WHERE r.territory = $terr
          AND ($platform::VARCHAR IS NULL OR r.platform = $platform::VARCHAR)
        GROUP BY ALL ORDER BY last_fetched_at DESC
        """,
        {"terr": territory.slug, "platform": platform},
    ).df().merge(
        con.execute(
            """
            SELECT platform, max(created_at) AS latest_post_at
            FROM territory_timeline WHERE territory = $terr GROUP BY platform
            """,
            {"terr": territory.slug},
        ).df(),
        on="platform", how="left",
    )


def collect_runs(con: Con, territory: Territory, limit: int = 30,
                 platform: str | None = None) -> pd.DataFrame:
    """The last collection runs, newest first, with their status, counters and errors."""
    return con.execute(
        """
        SELECT run_id, platform, started_at, ended_at, status, pages, posts, users,
               coalesce(TRY_CAST(json_extract(errors, '$.count') AS BIGINT), 0) AS errors,
               cost_usd, message
        FROM collect_runs
        WHERE territory = $terr
          AND ($platform::VARCHAR IS NULL OR platform = $platform::VARCHAR)
        ORDER BY started_at DESC, run_id DESC LIMIT $limit
        """,
        {"terr": territory.slug, "platform": platform, "limit": int(limit)},
    ).df()


def run_errors(con: Con, territory: Territory, run_id: int) -> pd.DataFrame:
    """The errors logged by one run (``collect_runs.errors`` items): kind, message, at,
    endpoint, query."""
    return con.execute(
        """
        SELECT e->>'kind' AS kind, e->>'message' AS message, e->>'at' AS at,
               e->>'endpoint' AS endpoint, e->>'query' AS query
        FROM (SELECT unnest(from_json(errors->'$.items', '["JSON"]')) AS e
              FROM collect_runs WHERE territory = $terr AND run_id = $run_id)
        """,
        {"terr": territory.slug, "run_id": int(run_id)},
    ).df()


def api_usage(con: Con, territory: Territory, as_of: datetime, days: int = 30,
              platform: str | None = None) -> dict[str, Any]:
    """Runs, pages, posts, users and recorded cost over the ``days`` before ``as_of``, and
    the same pace projected over 30 days."""
    row = con.execute(
        """
        SELECT count(*), coalesce(sum(pages), 0), coalesce(sum(posts), 0),
               coalesce(sum(users), 0), coalesce(sum(cost_usd), 0), min(started_at)
        FROM collect_runs
        WHERE territory = $terr AND started_at >= $t0 AND started_at <= $as_of
          AND ($platform::VARCHAR IS NULL OR platform = $platform::VARCHAR)
        """,
        {"terr": territory.slug, "t0": as_of - timedelta(days=days), "as_of": as_of,
         "platform": platform},
    ).fetchone()
    assert row is not None
    runs, pages, posts, users, cost, first = row
    span = max((as_of - first).total_seconds() / 86400, 1.0) if first else float(days)
    span = min(span, float(days))
    return {"runs": int(runs), "pages": int(pages), "posts": int(posts), "users": int(users),
            "cost_usd": float(cost), "days": days,
            "month_cost_usd": float(cost) * 30.0 / span if runs else 0.0}
