"""Look-ups the Bluesky and Mastodon collectors make in the warehouse (bound parameters only)."""

from __future__ import annotations

import duckdb


def missing_referenced(
    con: duckdb.DuckDBPyConnection, territory: str, platform: str, limit: int = 100
) -> list[str]:
    """Ids of posts that the territory's posts repost, quote or reply to, not yet stored."""
    rows = con.execute(
        """
        SELECT DISTINCT r.ref_id
        FROM territory_posts tp
        JOIN post_refs r ON r.platform = tp.platform AND r.post_id = tp.post_id
        LEFT JOIN posts p ON p.platform = r.platform AND p.id = r.ref_id
        WHERE tp.territory = ? AND tp.platform = ? AND p.id IS NULL
        ORDER BY r.ref_id LIMIT ?
        """,
        [territory, platform, limit],
    ).fetchall()
    return [r[0] for r in rows]


def authors_without_followers(
    con: duckdb.DuckDBPyConnection, territory: str, platform: str, limit: int = 250
) -> list[str]:
    """Authors of the territory's posts whose follower count is unknown (newest posts first)."""
    rows = con.execute(
        """
        SELECT p.author_id, max(p.created_at) AS last
        FROM territory_posts tp
        JOIN posts p ON p.platform = tp.platform AND p.id = tp.post_id
        LEFT JOIN accounts a ON a.platform = p.platform AND a.id = p.author_id
        WHERE tp.territory = ? AND tp.platform = ? AND p.author_id IS NOT NULL
          AND a.followers_count IS NULL
        GROUP BY p.author_id ORDER BY last DESC, p.author_id LIMIT ?
        """,
        [territory, platform, limit],
    ).fetchall()
    return [r[0] for r in rows]

