"""The floor: DuckDB's ``read_json`` with explicit column types into one bare posts table.

docs/design.md §8: explicit types (about 280k posts/s on this kind of machine) and ``records =
true`` (or every top-level key declared). Only the pages' ``data`` posts, one table,
nothing else: no raw layer, no accounts, no hashtags or links, no rollups, no deduplication.
Run as a child process (``python -m bench.floor IN.jsonl OUT.duckdb [MEMORY_LIMIT]``) so
its peak memory is its own.
"""

from __future__ import annotations

import re
import sys
import time

import duckdb

TWEET = (
    "STRUCT(id VARCHAR, text VARCHAR, author_id VARCHAR, created_at TIMESTAMP,"
    " conversation_id VARCHAR, in_reply_to_user_id VARCHAR, lang VARCHAR,"
    " referenced_tweets STRUCT(type VARCHAR, id VARCHAR)[],"
    " entities STRUCT(mentions STRUCT(username VARCHAR, id VARCHAR)[],"
    " hashtags STRUCT(tag VARCHAR)[],"
    " urls STRUCT(url VARCHAR, expanded_url VARCHAR, unwound_url VARCHAR)[]),"
    " public_metrics STRUCT(retweet_count BIGINT, reply_count BIGINT, like_count BIGINT,"
    " quote_count BIGINT, impression_count BIGINT),"
    " edit_history_tweet_ids VARCHAR[])"
)

FLOOR_SQL = """
CREATE TABLE posts AS
SELECT t.id, t.author_id, t.created_at, t.text, t.conversation_id, t.in_reply_to_user_id,
       t.lang, t.referenced_tweets, t.entities, t.public_metrics, t.edit_history_tweet_ids
FROM (SELECT unnest(data) AS t
      FROM read_json($path, format = 'newline_delimited', records = true,
                     columns = {'data': '@TWEET@[]'}))
WHERE t.text IS NOT NULL
""".replace("@TWEET@", TWEET)


def load_floor(path: str, db: str, memory_limit: str | None = None) -> int:
    """Load the posts of ``path`` into ``db``'s table ``posts``; return the rows loaded."""
    con = duckdb.connect(db)
    try:
        con.execute("SET TimeZone = 'UTC'")
        if memory_limit:
            if not re.fullmatch(r"\d+(\.\d+)?\s*[KMGT]i?B", memory_limit):
                raise ValueError(f"memory limit like '3GB' expected, got {memory_limit!r}")
            con.execute(f"SET memory_limit = '{memory_limit}'")
        con.execute(FLOOR_SQL, {"path": path})
        con.execute("CHECKPOINT")
        return int(con.execute("SELECT count(*) FROM posts").fetchall()[0][0])
    finally:
        con.close()


def main(argv: list[str]) -> int:
    start = time.perf_counter()
    rows = load_floor(argv[0], argv[1], argv[2] if len(argv) > 2 else None)
    print(f"floor: {rows} posts in {time.perf_counter() - start:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
