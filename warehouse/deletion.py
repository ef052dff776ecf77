"""Deleting posts from the tables, with their child rows, their facts and the undelivered
alerts that may quote them (retention, erasure). What is recomputed after is
:mod:`warehouse.recompute`'s business (:func:`~warehouse.recompute.after_deletion`)."""

from __future__ import annotations

import duckdb

from warehouse import alerts, recompute

# a post's rows of its references and entities (those of its winning copy: warehouse/load.py)
ENTITY_TABLES = ("post_refs", "post_hashtags", "post_mentions", "post_links")
CHILD_TABLES = (*ENTITY_TABLES, "territory_posts")


def delete_posts(con: duckdb.DuckDBPyConnection, ids_table: str) -> int:
    """Delete the posts listed in ``ids_table`` (``platform``, ``id``) and their child rows;
    return how many posts went."""
    assert ids_table.isidentifier(), ids_table  # an internal temp table, never user input
    listed = f"(SELECT (platform, id) FROM {ids_table})"  # noqa: S608
    n = con.execute(f"SELECT count(*) FROM posts WHERE (platform, id) IN {listed}").fetchone()[0]  # type: ignore[index]  # noqa: S608
    for table in CHILD_TABLES:
        con.execute(f"DELETE FROM {table} WHERE (platform, post_id) IN {listed}")  # noqa: S608
    # the earlier versions a deleted edited post named are no longer superseded by a stored
    # post (warehouse/load.py, _drop_superseded_edits)
    con.execute(
        f"""
        DELETE FROM superseded_posts WHERE (platform, id) IN (
            SELECT (platform, id) FROM (
                SELECT platform, unnest(edit_ids[1:len(edit_ids) - 1]) AS id FROM posts
                WHERE (platform, id) IN {listed} AND len(edit_ids) > 1
                  AND id = edit_ids[len(edit_ids)]))
        """  # noqa: S608
    )
    con.execute(f"DELETE FROM posts WHERE (platform, id) IN {listed}")  # noqa: S608
    # their facts go now (an erasure compacts before the next snapshot), the rest is
    # recomputed whole before it
    recompute.after_deletion(con, ids_table)
    if n:  # an undelivered alert's text may quote one of them (warehouse/alerts.py)
        alerts.drop_undelivered(con)
    return int(n)
