"""Looking up a few posts' columns in ``posts`` with their ``created_at``.

DuckDB uses no index for ``posts``' key ``(platform, id)``: a lookup by key alone reads
every post's key (0.36 s and more at 10M posts), and even a join on the key and the
instant reads every row between the first and the last instant asked. ``posts`` lies in
time order, so the instants alone find a handful of rows: their ``rowid``s from the
instant column, then those rows by ``rowid`` (docs/benchmark.md, "Posts in time order,
measured", "2026-12-07, one window per page"). So every lookup on a page's path gives the
instant when it is known (:func:`post_details`), or the instant the post is expected at
(:func:`posts_at`: a conversation's root at its first post), and falls back to the key
alone only for the rows that need it, in a statement run only then.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from warehouse.metrics_base import Con, compose, url_expr

# -- a listing's details: author, text and address of a few rows ---------------------------
# Joining ``posts`` on the key and the instant still hands every row of the row groups those
# instants fall in to the join, texts included (1.6 million rows, 0.33 s, for the 20 slowest
# answers of a 4-week window at 10M posts); even narrow, the join reads the key of every post
# between the first and the last instant (0.20-0.27 s). So the details come in steps, each
# reading a handful of rows: the ``rowid``s of the posts at the rows' instants (the instant
# column alone, 0.024 s), those posts' keys by ``rowid`` (0.026 s), matched to the rows in
# Python, then only the matching rows' texts and authors' names (0.04 s + 0.03 s):
# docs/benchmark.md, "2026-12-07, one window per page". Read on one snapshot, the rowids do
# not move between the statements; the last one still matches each row on its key, so a row
# that moved would lose its details, never take another post's.
_AT_ROWIDS_SQL = "SELECT rowid FROM posts WHERE created_at = ANY($at::TIMESTAMP[])"
_KEYS_BY_ROWID_SQL = """
SELECT rowid AS rid, platform, id, created_at, author_id FROM posts
WHERE rowid = ANY($rid::BIGINT[])
"""
_ROWIDS_BY_KEY_SQL = """
SELECT p.rowid AS rid, p.platform, p.author_id
FROM (SELECT DISTINCT platform, post_id FROM _pl_rows WHERE created_at IS NULL) f
JOIN posts p ON p.platform = f.platform AND p.id = f.post_id
"""
_ACCOUNT_ROWIDS_SQL = """
SELECT a.rowid AS rid
FROM (SELECT DISTINCT unnest($a_platform::VARCHAR[]) AS platform,
                      unnest($a_id::VARCHAR[]) AS id) k
JOIN accounts a ON a.platform = k.platform AND a.id = k.id
"""
_DETAILS_SQL = compose(
    """
WITH p AS (SELECT platform, id, created_at, author_id, text FROM posts
           WHERE rowid = ANY($p_rid::BIGINT[])),
u AS (SELECT platform, id, username, name FROM accounts WHERE rowid = ANY($a_rid::BIGINT[]))
SELECT f.* REPLACE (coalesce(f.created_at, p.created_at) AS created_at),
       {author_id} u.username AS author_username, u.name AS author_name, p.text,""",
    url_expr("p", "u"),
    """AS url
FROM _pl_rows f
LEFT JOIN p ON p.platform = f.platform AND p.id = f.post_id
     AND p.created_at = coalesce(f.created_at, p.created_at)
LEFT JOIN u ON u.platform = p.platform AND u.id = p.author_id
ORDER BY f._row
""",
)


def post_details(con: Con, rows: pd.DataFrame) -> pd.DataFrame:
    """``rows`` (``platform``, ``post_id``, ``created_at`` …) plus each post's
    ``author_username``, ``author_name``, ``text`` and ``url`` (and ``author_id``, when the
    rows have none), in the rows' order. A row whose ``created_at`` is NULL is looked up by
    key alone and takes the post's; a row whose post is not found gets NULLs."""
    rows = rows.reset_index(drop=True).assign(_row=range(len(rows)))
    if "created_at" in rows:
        rows["created_at"] = pd.to_datetime(rows["created_at"])
    else:
        rows["created_at"] = pd.Series(pd.NaT, index=rows.index, dtype="datetime64[us]")
    con.register("_pl_rows", rows)
    try:
        found = _found_at_instants(con, rows)
        if rows["created_at"].isna().any():
            found += con.execute(_ROWIDS_BY_KEY_SQL).fetchall()
        authors = sorted({(pl, a) for _, pl, a in found if a is not None})
        params: dict[str, Any] = {"a_platform": [pl for pl, _ in authors],
                                  "a_id": [a for _, a in authors]}
        a_rid = [r for (r,) in con.execute(_ACCOUNT_ROWIDS_SQL, params).fetchall()]
        sql = _DETAILS_SQL.replace(
            "{author_id}", "" if "author_id" in rows else "p.author_id,")
        out = con.execute(sql, {"p_rid": [r for r, _, _ in found], "a_rid": a_rid})
        return out.df().drop(columns="_row")
    finally:
        con.unregister("_pl_rows")


def _found_at_instants(con: Con, rows: pd.DataFrame) -> list[tuple[int, str, str | None]]:
    """``(rowid, platform, author_id)`` of each post of ``rows`` that carries an instant."""
    dated = rows.dropna(subset=["created_at"])
    if dated.empty:
        return []
    wanted = {(pl, i, at.to_pydatetime()) for pl, i, at
              in zip(dated["platform"], dated["post_id"], dated["created_at"], strict=True)}
    at = sorted({at for _, _, at in wanted})
    rid = [r for (r,) in con.execute(_AT_ROWIDS_SQL, {"at": at}).fetchall()]
    keys = con.execute(_KEYS_BY_ROWID_SQL, {"rid": rid}).fetchall()
    return [(r, pl, a) for r, pl, i, t, a in keys if (pl, i, t) in wanted]


_POSTS_BY_ROWID_SQL = """
SELECT platform, id, created_at, author_id, text FROM posts WHERE rowid = ANY($rid::BIGINT[])
"""
_POSTS_BY_KEY_SQL = """
SELECT p.platform, p.id, p.created_at, p.author_id, p.text
FROM (SELECT DISTINCT unnest($k_platform::VARCHAR[]) AS platform,
                      unnest($k_id::VARCHAR[]) AS id) k
JOIN posts p ON p.platform = k.platform AND p.id = k.id
"""


def posts_at(con: Con, keys: pd.DataFrame) -> pd.DataFrame:
    """``platform, id, created_at, author_id, text`` of the posts of ``keys`` (``platform``,
    ``id`` and ``at``, the instant the post is expected at, or NaT), one row per post found.

    A post is looked for at its expected instant first (the ``rowid`` steps of
    :func:`post_details`); the keys not found there, or without one, by key alone, in a
    statement run only when there are such keys. So a wrong guess costs time, never a
    wrong text: a conversation's root is expected at its conversation's first post."""
    cols = ["platform", "id", "created_at", "author_id", "text"]
    keys = keys.drop_duplicates(["platform", "id"])
    dated = keys.dropna(subset=["at"])
    found = pd.DataFrame(columns=cols)
    if len(dated):
        at = sorted({t.to_pydatetime() for t in pd.to_datetime(dated["at"])})
        rid = [r for (r,) in con.execute(_AT_ROWIDS_SQL, {"at": at}).fetchall()]
        got = con.execute(_POSTS_BY_ROWID_SQL, {"rid": rid}).df()
        found = got.merge(dated[["platform", "id"]], on=["platform", "id"])
    rest = keys.merge(found[["platform", "id"]], on=["platform", "id"], how="left",
                      indicator=True)
    rest = rest[rest["_merge"] == "left_only"]
    if len(rest):
        more = con.execute(_POSTS_BY_KEY_SQL, {"k_platform": list(rest["platform"]),
                                               "k_id": list(rest["id"])}).df()
        found = pd.concat([found, more], ignore_index=True) if len(found) else more
    return found[cols].reset_index(drop=True)
