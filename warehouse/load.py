"""The one loading path: raw pages → the raw layer → normalised tables.

Every source (``import``, the collectors, the demo) hands :class:`~warehouse.pages.RawPage`
objects to :func:`load_pages`. Each batch's new pages (a page already there, same platform,
territory and body, is skipped) are written to the raw layer's files
(:mod:`warehouse.raw_files`) and listed in ``raw_pages``, then
:func:`normalise` expands the batch with DuckDB's ``from_json`` and explicit types
(docs/design.md §8: explicit types are fast and keep varying payloads from drifting the schema).

Rules that make loading idempotent and order-independent:

* a post (or account) is keyed by ``(platform, id)``; the copy with the greatest
  ``(fetched_at, page_id)`` wins, and fields it lacks keep their older value;
* ``in_data`` is true once a post was seen in a page's ``data`` (not only in
  ``includes.tweets``);
* a post's hashtags, mentions, links and references are those of its winning copy;
* an edited post keeps only its latest version (``edit_history_tweet_ids``), once.

:func:`rebuild` replays every raw page through the same code, so the tables can be
recreated from the raw layer alone (the files ``raw_pages.file`` names).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeVar

import duckdb
import pyarrow as pa

from warehouse import facts, raw_files, recompute
from warehouse.deletion import ENTITY_TABLES
from warehouse.keyed_delete import delete_keys
from warehouse.metrics_base import marked_profile, profile_fold
from warehouse.pages import EARLIEST_POST, FUTURE_SLACK, RawPage
from warehouse.retention import enforce_horizon
from warehouse.txn import transaction

BATCH_BYTES = 64 * 1024 * 1024
T = TypeVar("T")
_LISTING = pa.schema([("page_id", pa.string()), ("file", pa.string())])

_TWEET = (
    '{"id":"VARCHAR","text":"VARCHAR","author_id":"VARCHAR","created_at":"VARCHAR",'
    '"conversation_id":"VARCHAR","in_reply_to_user_id":"VARCHAR","lang":"VARCHAR",'
    '"referenced_tweets":[{"type":"VARCHAR","id":"VARCHAR"}],'
    '"entities":{"mentions":[{"username":"VARCHAR","id":"VARCHAR"}],"hashtags":[{"tag":"VARCHAR"}],'
    '"urls":[{"url":"VARCHAR","expanded_url":"VARCHAR","unwound_url":"VARCHAR"}]},'
    '"public_metrics":{"retweet_count":"BIGINT","reply_count":"BIGINT","like_count":"BIGINT",'
    '"quote_count":"BIGINT","impression_count":"BIGINT"},'
    '"edit_history_tweet_ids":["VARCHAR"],"withheld":"JSON"}'
)
_USER = (
    '{"id":"VARCHAR","username":"VARCHAR","name":"VARCHAR","description":"VARCHAR",'
    '"location":"VARCHAR","verified":"BOOLEAN","verified_type":"VARCHAR","created_at":"VARCHAR",'
    '"public_metrics":{"followers_count":"BIGINT","following_count":"BIGINT","tweet_count":"BIGINT"}}'
)
_ERROR = (
    '{"title":"VARCHAR","detail":"VARCHAR","resource_type":"VARCHAR","resource_id":"VARCHAR",'
    '"value":"VARCHAR"}'
)
_TWEETS_PAGE = (
    f'{{"data":[{_TWEET}],"includes":{{"users":[{_USER}],"tweets":[{_TWEET}]}},'
    f'"errors":[{_ERROR}]}}'
)
_USERS_PAGE = f'{{"data":[{_USER}],"includes":{{"tweets":[{_TWEET}]}},"errors":[{_ERROR}]}}'
_COMPLIANCE = '{"id":"VARCHAR","action":"VARCHAR","reason":"VARCHAR","created_at":"VARCHAR"}'


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    """First column of the first row, with the result fully consumed (DuckDB 2.0 blocks a
    connection whose last result was not fetched to the end)."""
    return int(con.execute(sql).fetchall()[0][0])


def _instant(expr: str) -> str:
    """SQL turning an ISO-8601 text into a UTC TIMESTAMP (NULL if it is not one)."""
    return f"timezone('UTC', try_cast({expr} AS TIMESTAMPTZ))"


@dataclass
class LoadStats:
    pages: int = 0  # pages handed in
    new_pages: int = 0  # pages not already in the raw layer
    posts: int = 0  # post copies read from new pages (data and includes)
    accounts: int = 0  # account copies read from new pages
    errors: int = 0  # partial errors[] entries recorded
    kinds: dict[str, int] = field(default_factory=dict)
    # posts dropped for an impossible date: "origin: post ID: created_at …, expected …"
    rejected: list[str] = field(default_factory=list)

    def add(self, other: LoadStats) -> None:
        self.pages += other.pages
        self.new_pages += other.new_pages
        self.posts += other.posts
        self.accounts += other.accounts
        self.errors += other.errors
        for k, v in other.kinds.items():
            self.kinds[k] = self.kinds.get(k, 0) + v
        self.rejected.extend(other.rejected)


def _batches(items: Iterable[tuple[T, int]], max_bytes: int) -> Iterator[list[T]]:
    """``items`` (each with its size) in consecutive batches of about ``max_bytes``."""
    batch: list[T] = []
    size = 0
    for item, length in items:
        batch.append(item)
        size += length
        if size >= max_bytes:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def _size(page: RawPage) -> int:
    return len(page.body) + len(page.canonical or "")


def load_pages(
    con: duckdb.DuckDBPyConnection,
    pages: Iterable[RawPage],
    max_bytes: int = BATCH_BYTES,
    before_commit: Callable[[duckdb.DuckDBPyConnection, LoadStats], None] | None = None,
    *,
    bulk: bool = False,
) -> LoadStats:
    """Land pages in the raw layer and the tables, one transaction per batch.

    ``before_commit(con, batch_stats)``, if given, runs inside each batch's transaction just
    before ``COMMIT`` (collectors advance their ``since_id`` there, so state and pages land
    together or not at all).

    ``bulk`` (an import, the demo): the facts and daily rollups are not refreshed batch by
    batch; each batch marks its territories stale and they are recomputed whole once, before
    the writer publishes its snapshot (:func:`warehouse.recompute.after_bulk_batch`). A batch of a
    large import touches most of the warehouse's days and conversations, so refreshing at
    every batch recounted the warehouse again and again.
    """
    total = LoadStats()
    for batch in _batches(((p, _size(p)) for p in pages), max_bytes):
        total.add(_load_batch(con, batch, before_commit, bulk))
    return total


def _load_batch(
    con: duckdb.DuckDBPyConnection,
    batch: list[RawPage],
    before_commit: Callable[[duckdb.DuckDBPyConnection, LoadStats], None] | None = None,
    bulk: bool = False,
) -> LoadStats:
    now = datetime.now(UTC).replace(tzinfo=None)
    unique: dict[str, RawPage] = {}
    for page in batch:  # a page given twice is loaded once
        unique.setdefault(page.page_id, page)
    con.register("_incoming", pa.table({"page_id": list(unique)}))
    written = pa.table({"page_id": [], "file": []}, schema=_LISTING)
    try:
        with transaction(con):  # rolled back on failure, the cause kept (warehouse/txn.py)
            known = {
                r[0]
                for r in con.execute(
                    "SELECT page_id FROM raw_pages SEMI JOIN _incoming USING (page_id)"
                ).fetchall()
            }
            new = _arrow([p for i, p in unique.items() if i not in known], now)
            con.register("_batch", new)
            if new.num_rows:
                # the raw layer's files first, fsynced, then their pages listed (raw_files.py)
                written = raw_files.write(con, new)
                con.register("_written", written)
                con.execute(
                    "INSERT INTO raw_pages BY NAME SELECT b.* EXCLUDE (body, canonical), w.file "
                    "FROM _batch b JOIN _written w USING (page_id)"
                )
            stats = normalise(con)
            stats.pages = len(batch)
            if stats.new_pages:
                # posts below a purged horizon go
                enforce_horizon(con, only_ids=recompute.BATCH_COPIES)
                if bulk:  # recomputed whole before the snapshot
                    recompute.after_bulk_batch(con)
                else:  # facts and daily rollups of what the batch touched
                    recompute.after_batch(con)
            if before_commit is not None:
                before_commit(con, stats)
    except BaseException:
        # rolled back: its files are unlisted, deleted now (or by the next writer's
        # garbage collection, from the journal, if even this fails)
        with contextlib.suppress(duckdb.Error, OSError):
            raw_files.discard(con, written["file"].to_pylist())
        raise
    finally:
        for name in ("_incoming", "_batch", "_written"):
            with contextlib.suppress(duckdb.Error, KeyError):
                con.unregister(name)
    return stats


def _arrow(pages: list[RawPage], now: datetime) -> pa.Table:
    """The new pages as an Arrow table in a few record batches: DuckDB parses the pages of
    each record batch on its own thread (one chunk parsed 64 MB of pages in 0.59 s, four in
    0.32 s, on 2 cores)."""
    table = pa.table(
        {
            "page_id": [p.page_id for p in pages],
            "platform": [p.platform for p in pages],
            "territory": [p.territory for p in pages],
            "source": [p.source for p in pages],
            "endpoint": [p.endpoint for p in pages],
            "query": [p.query for p in pages],
            "origin": [p.origin for p in pages],
            "fetched_at": pa.array([p.fetched_at or now for p in pages], pa.timestamp("us")),
            "kind": [p.kind for p in pages],
            "body": [p.body for p in pages],
            "canonical": pa.array([p.canonical for p in pages], pa.string()),
            "loaded_at": pa.array([now] * len(pages), pa.timestamp("us")),
            "size": pa.array([_size(p) for p in pages], pa.int64()),
        }
    )
    chunks = table.to_batches(max_chunksize=max(1, -(-len(pages) // 4)))
    return pa.Table.from_batches(chunks, schema=table.schema)


def normalise(con: duckdb.DuckDBPyConnection) -> LoadStats:
    """Expand the pages of ``_batch`` (the loader's Arrow table of new pages, or the temp
    table ``rebuild`` reads from ``raw_pages``) into the normalised tables.

    Leaves the temp tables :data:`warehouse.recompute.BATCH_COPIES` (``_copies``) and
    :data:`warehouse.recompute.CONV_FILLED` (``_conv_filled``) for the recomputation."""
    stats = LoadStats()
    stats.new_pages = _scalar(con, "SELECT count(*) FROM _batch")
    stats.kinds = dict(con.execute("SELECT kind, count(*) FROM _batch GROUP BY kind").fetchall())
    if not stats.new_pages:
        return stats
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _docs AS
        SELECT page_id, platform, territory, fetched_at, kind,
               CASE kind WHEN 'tweets' THEN from_json(coalesce(canonical, body), '{_TWEETS_PAGE}')
                    END AS tp,
               CASE kind WHEN 'users' THEN from_json(coalesce(canonical, body), '{_USERS_PAGE}')
                    END AS up
        FROM _batch WHERE kind IN ('tweets', 'users')
        """
    )
    _load_posts(con, stats)
    _load_accounts(con, stats)
    con.execute(
        f"""
        INSERT INTO page_errors
        SELECT page_id, e.title, e.detail, e.resource_type, coalesce(e.resource_id, e.value)
        FROM (
            -- tweets and users pages were parsed once into _docs; errors-only pages are rare
            SELECT page_id, unnest(coalesce(tp.errors, up.errors)) AS e
            FROM _docs WHERE kind IN ('tweets', 'users')
            UNION ALL
            SELECT page_id, unnest(from_json(coalesce(canonical, body)->'$.errors', '[{_ERROR}]'))
            FROM _batch WHERE kind = 'errors'
        )
        """
    )
    stats.errors = _scalar(
        con, "SELECT count(*) FROM page_errors WHERE page_id IN (SELECT page_id FROM _batch)"
    )
    con.execute(
        f"""
        INSERT INTO compliance_events
        SELECT platform, c.id, NULL, c.action, c.reason, c.created_at, page_id
        FROM (SELECT platform, page_id, from_json(body, '{_COMPLIANCE}') AS c
              FROM _batch WHERE kind = 'compliance')
        WHERE c.id IS NOT NULL
        """
    )
    return stats


def _load_posts(con: duckdb.DuckDBPyConnection, stats: LoadStats) -> None:
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _copies AS
        WITH t AS (  -- pos: the copy's place in its list, to order copies of one page
            SELECT page_id, platform, territory, fetched_at, true AS in_data, unnest(tp.data) AS t,
                   generate_subscripts(tp.data, 1) AS pos
            FROM _docs WHERE kind = 'tweets'
            UNION ALL
            SELECT page_id, platform, territory, fetched_at, false, unnest(tp.includes.tweets),
                   generate_subscripts(tp.includes.tweets, 1)
            FROM _docs WHERE kind = 'tweets'
            UNION ALL
            SELECT page_id, platform, territory, fetched_at, false, unnest(up.includes.tweets),
                   generate_subscripts(up.includes.tweets, 1)
            FROM _docs WHERE kind = 'users'
        )
        SELECT page_id, platform, territory, fetched_at, in_data, pos,
               t.id, t.author_id, {_instant("t.created_at")} AS created_at,
               t.created_at AS t_created, t.text, t.lang,
               t.conversation_id, t.in_reply_to_user_id,
               list_filter(t.referenced_tweets, lambda r: r.type = 'replied_to')[1].id
                   AS reply_to_id,
               list_filter(t.referenced_tweets, lambda r: r.type = 'quoted')[1].id AS quoted_id,
               list_filter(t.referenced_tweets, lambda r: r.type = 'retweeted')[1].id
                   AS reposted_id,
               t.public_metrics AS pm, t.edit_history_tweet_ids AS edit_ids,
               t.withheld IS NOT NULL AS withheld, t.referenced_tweets AS refs, t.entities AS ent
        FROM t WHERE t.id IS NOT NULL
        """
    )
    _reject_bad_dates(con, stats)
    stats.posts = _scalar(con, "SELECT count(*) FROM _copies")
    # One winning copy per post in the batch; in_data if any copy was in data.
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _n AS
        SELECT * EXCLUDE (in_data, rn, pos), any_in_data AS in_data FROM (
            SELECT *, bool_or(in_data) OVER w2 AS any_in_data,
                   -- a page holding a post twice: its first copy in data, else in includes
                   row_number() OVER (PARTITION BY platform, id
                                      ORDER BY fetched_at DESC, page_id DESC, in_data DESC,
                                               pos) AS rn
            FROM _copies WINDOW w2 AS (PARTITION BY platform, id)
        ) WHERE rn = 1
        """
    )
    _land_posts(con)
    # A post missing its conversation id: its own id if fresh, its parent's if a reply.
    # (the posts filled are kept in _conv_filled: older posts can change conversation here,
    # and warehouse/facts.py recomputes what they belong to)
    filled = con.execute(
        """
        UPDATE posts SET conversation_id = id
        WHERE conversation_id IS NULL AND reply_to_id IS NULL
        RETURNING platform, id
        """
    ).fetchall()
    filled += con.execute(
        """
        UPDATE posts SET conversation_id = parent.conversation_id
        FROM posts parent
        WHERE posts.conversation_id IS NULL AND posts.reply_to_id IS NOT NULL
          AND parent.platform = posts.platform AND parent.id = posts.reply_to_id
          AND parent.conversation_id IS NOT NULL
        RETURNING posts.platform, posts.id
        """
    ).fetchall()
    _keys_as_table(con, "_conv_filled", filled)
    _replace_children(con)
    con.execute(
        """
        INSERT INTO territory_posts
        SELECT DISTINCT territory, platform, id FROM _copies WHERE in_data
        ON CONFLICT DO NOTHING
        """
    )
    _drop_superseded_edits(con)


# A post's columns as the loader writes them, from a winning copy ``n`` (a row of ``_n``).
_POST_COLUMNS = """platform, id, author_id, created_at, text, lang, conversation_id,
    in_reply_to_user_id, reply_to_id, quoted_id, reposted_id, is_repost,
    retweet_count, reply_count, like_count, quote_count, impression_count,
    edit_ids, withheld, in_data, fetched_at, page_id"""
_POST_VALUES = """n.platform, n.id, n.author_id, n.created_at, n.text, n.lang, n.conversation_id,
    n.in_reply_to_user_id, n.reply_to_id, n.quoted_id, n.reposted_id,
    n.reposted_id IS NOT NULL, n.pm.retweet_count, n.pm.reply_count, n.pm.like_count,
    n.pm.quote_count, n.pm.impression_count, n.edit_ids, n.withheld, n.in_data,
    n.fetched_at, n.page_id"""
# A stored post that a newer copy lands on: the copy's fields, the stored ones where it lacks
# them (``posts`` is the stored row, ``EXCLUDED`` the copy).
_NEWER_COPY = """DO UPDATE SET
    author_id = coalesce(EXCLUDED.author_id, posts.author_id),
    created_at = coalesce(EXCLUDED.created_at, posts.created_at),
    text = coalesce(EXCLUDED.text, posts.text), lang = coalesce(EXCLUDED.lang, posts.lang),
    conversation_id = coalesce(EXCLUDED.conversation_id, posts.conversation_id),
    in_reply_to_user_id = coalesce(EXCLUDED.in_reply_to_user_id, posts.in_reply_to_user_id),
    reply_to_id = coalesce(EXCLUDED.reply_to_id, posts.reply_to_id),
    quoted_id = coalesce(EXCLUDED.quoted_id, posts.quoted_id),
    reposted_id = coalesce(EXCLUDED.reposted_id, posts.reposted_id),
    is_repost = coalesce(EXCLUDED.reposted_id, posts.reposted_id) IS NOT NULL,
    retweet_count = coalesce(EXCLUDED.retweet_count, posts.retweet_count),
    reply_count = coalesce(EXCLUDED.reply_count, posts.reply_count),
    like_count = coalesce(EXCLUDED.like_count, posts.like_count),
    quote_count = coalesce(EXCLUDED.quote_count, posts.quote_count),
    impression_count = coalesce(EXCLUDED.impression_count, posts.impression_count),
    edit_ids = coalesce(EXCLUDED.edit_ids, posts.edit_ids),
    withheld = EXCLUDED.withheld OR posts.withheld,
    in_data = EXCLUDED.in_data OR posts.in_data,
    fetched_at = EXCLUDED.fetched_at, page_id = EXCLUDED.page_id
WHERE (EXCLUDED.fetched_at, EXCLUDED.page_id) > (posts.fetched_at, posts.page_id)"""


def _keys_as_table(con: duckdb.DuckDBPyConnection, name: str, keys: list) -> None:
    """``(platform, id)`` pairs as the temp table ``name`` (the keys an ``UPDATE`` or an
    ``INSERT`` returned: DuckDB cannot select from a statement that writes)."""
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT unnest($platforms::VARCHAR[]) "
        "AS platform, unnest($ids::VARCHAR[]) AS id",
        {"platforms": [k[0] for k in keys], "ids": [k[1] for k in keys]},
    )


def _land_posts(con: duckdb.DuckDBPyConnection) -> None:
    """The batch's winning copies (``_n``) into ``posts``; leaves ``_win``, the copies that
    landed (new posts, and stored ones a newer copy replaced: ``existed``).

    Each statement finds the stored posts by the primary key's index. A join of the batch
    with ``posts`` read every stored post at every batch, so an import slowed down as the
    warehouse grew (docs/benchmark.md, "where a 10M import's time goes")."""
    inserted = con.execute(
        f"INSERT INTO posts ({_POST_COLUMNS}) SELECT {_POST_VALUES} FROM _n n "  # noqa: S608
        "ON CONFLICT DO NOTHING RETURNING platform, id"
    ).fetchall()
    _keys_as_table(con, "_inserted", inserted)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _stored AS SELECT * FROM _n ANTI JOIN _inserted "
        "USING (platform, id)"
    )
    replaced = con.execute(
        f"INSERT INTO posts ({_POST_COLUMNS}) SELECT {_POST_VALUES} FROM _stored n "  # noqa: S608
        f"ON CONFLICT (platform, id) {_NEWER_COPY} RETURNING platform, id"
    ).fetchall()
    _keys_as_table(con, "_replaced", replaced)
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _win AS
        SELECT platform, id, refs, ent, false AS existed
        FROM _n SEMI JOIN _inserted USING (platform, id)
        UNION ALL
        SELECT platform, id, refs, ent, true FROM _stored SEMI JOIN _replaced USING (platform, id)
        """
    )
    # An older copy can still bring in_data = true.
    con.execute(
        f"INSERT INTO posts ({_POST_COLUMNS}) SELECT {_POST_VALUES} FROM _stored n "  # noqa: S608
        "WHERE n.in_data ON CONFLICT (platform, id) DO UPDATE SET in_data = true "
        "WHERE NOT posts.in_data"
    )


# A copy dated outside [EARLIEST_POST, fetched_at + FUTURE_SLACK] (warehouse/pages.py); SQL
# over _copies, whose created_at is already a UTC TIMESTAMP. (A text that is no date at all
# still lands with no date, as before.)
_BAD_DATE = "created_at < $earliest OR created_at > fetched_at + to_microseconds($slack)"


def _reject_bad_dates(con: duckdb.DuckDBPyConnection, stats: LoadStats) -> None:
    """Drop the post copies dated outside the sane range, and say which (the page's origin
    (file:line or URL), the post id, what was expected). The other posts of the page stay.
    Rebuild replays the raw pages through here too, so a page landed before this check
    loses the same posts."""
    bounds = {"earliest": EARLIEST_POST, "slack": int(FUTURE_SLACK.total_seconds() * 1e6)}
    bad = con.execute(
        f"""
        SELECT coalesce(b.origin, b.endpoint, c.page_id), c.id, c.t_created, c.fetched_at
        FROM (SELECT * FROM _copies WHERE {_BAD_DATE}) c
        JOIN (SELECT page_id, origin, endpoint FROM _batch) b USING (page_id)
        ORDER BY ALL
        """,
        bounds,
    ).fetchall()
    if not bad:
        return
    for origin, post_id, text, fetched in bad:
        latest = (fetched + FUTURE_SLACK).strftime("%Y-%m-%d %H:%M")
        stats.rejected.append(
            f"{origin}: post {post_id}: created_at {text!r} rejected, expected a date between "
            f"{EARLIEST_POST:%Y-%m-%d} and {latest} UTC (a day after the page was fetched)"
        )
    con.execute(f"DELETE FROM _copies WHERE {_BAD_DATE}", bounds)  # noqa: S608


def _replace_children(con: duckdb.DuckDBPyConnection) -> None:
    """Hashtags, mentions, links and references of each winning copy."""
    # a post landed again: its rows go first (they are those of its winning copy)
    delete_keys(con, [(table, "post_id") for table in ENTITY_TABLES],
                "(SELECT platform, id FROM _win WHERE existed)")
    con.execute(
        """
        INSERT INTO post_refs
        SELECT platform, id, r.type, r.id FROM (SELECT platform, id, unnest(refs) AS r FROM _win)
        WHERE r.type IS NOT NULL AND r.id IS NOT NULL
        """
    )
    con.execute(
        """
        INSERT INTO post_hashtags
        SELECT DISTINCT platform, id, lower(h.tag)
        FROM (SELECT platform, id, unnest(ent.hashtags) AS h FROM _win) WHERE h.tag IS NOT NULL
        """
    )
    con.execute(
        """
        INSERT INTO post_mentions
        SELECT platform, id, m.id, lower(m.username)
        FROM (SELECT platform, id, unnest(ent.mentions) AS m FROM _win)
        WHERE m.username IS NOT NULL OR m.id IS NOT NULL
        """
    )
    con.execute(
        """
        INSERT INTO post_links
        SELECT platform, id, url,
               regexp_replace(
                   lower(regexp_extract(url, '^[a-zA-Z][a-zA-Z0-9+.-]*://([^/:?#@]+)', 1)),
                              '^www\\.', '')
        FROM (
            SELECT platform, id, coalesce(u.unwound_url, u.expanded_url, u.url) AS url
            FROM (SELECT platform, id, unnest(ent.urls) AS u FROM _win)
        ) WHERE url IS NOT NULL
        """
    )


def _drop_superseded_edits(con: duckdb.DuckDBPyConnection) -> None:
    """Keep only the latest version of an edited post, once it has landed.

    ``superseded_posts`` holds the earlier versions that the stored latest versions name. A
    batch adds those its latest versions name, and drops them and those of its own posts
    already named; it never reads every stored post's history."""
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _superseded AS
        SELECT DISTINCT platform, unnest(edit_ids[1:len(edit_ids) - 1]) AS id
        FROM _n WHERE len(edit_ids) > 1 AND id = edit_ids[len(edit_ids)]
        UNION
        SELECT platform, id FROM _n SEMI JOIN superseded_posts USING (platform, id)
        """
    )
    con.execute("INSERT INTO superseded_posts SELECT * FROM _superseded ON CONFLICT DO NOTHING")
    delete_keys(con, [("posts", "id"), ("territory_posts", "post_id"),
                      *((table, "post_id") for table in (*facts.TABLES, *ENTITY_TABLES))],
                "_superseded")


# A profile's fold and its marked form (warehouse/metrics_base.py, profile_fold and
# marked_profile) are computed again only when its location or bio changed: most pages bring
# the same profiles again, with new counts. ``_uwin`` computes them once (NULL: kept).
_PROFILE_SAME = """o.profile_fold IS NOT NULL AND o.profile_marked IS NOT NULL
         AND coalesce(n.location, o.location) IS NOT DISTINCT FROM o.location
         AND coalesce(n.description, o.description) IS NOT DISTINCT FROM o.description"""
_NEW_FOLD = profile_fold("coalesce(n.location, o.location)",
                         "coalesce(n.description, o.description)")
_UWIN_SQL = f"""
CREATE OR REPLACE TEMP TABLE _uwin AS
SELECT *, {marked_profile("new_fold")} AS new_marked FROM (
    SELECT n.*, CASE WHEN {_PROFILE_SAME} THEN NULL ELSE {_NEW_FOLD} END AS new_fold
    FROM (
        SELECT * FROM _ucopies
        QUALIFY row_number() OVER (PARTITION BY platform, id
                                   ORDER BY fetched_at DESC, page_id DESC) = 1
    ) n LEFT JOIN accounts o ON o.platform = n.platform AND o.id = n.id
    WHERE o.id IS NULL OR (n.fetched_at, n.page_id) > (o.fetched_at, o.page_id)
)
"""
_MERGE_ACCOUNTS_SQL = """
MERGE INTO accounts AS o USING _uwin AS n ON o.platform = n.platform AND o.id = n.id
WHEN MATCHED THEN UPDATE SET
    username = coalesce(n.username, o.username), name = coalesce(n.name, o.name),
    description = coalesce(n.description, o.description),
    location = coalesce(n.location, o.location),
    verified = coalesce(n.verified, o.verified),
    verified_type = coalesce(n.verified_type, o.verified_type),
    followers_count = coalesce(n.pm.followers_count, o.followers_count),
    following_count = coalesce(n.pm.following_count, o.following_count),
    tweet_count = coalesce(n.pm.tweet_count, o.tweet_count),
    created_at = coalesce(n.created_at, o.created_at),
    fetched_at = n.fetched_at, page_id = n.page_id,
    profile_fold = coalesce(n.new_fold, o.profile_fold),
    profile_marked = coalesce(n.new_marked, o.profile_marked)
WHEN NOT MATCHED THEN INSERT (
    platform, id, username, name, description, location, verified, verified_type,
    followers_count, following_count, tweet_count, created_at, fetched_at, page_id,
    profile_fold, profile_marked
) VALUES (
    n.platform, n.id, n.username, n.name, n.description, n.location, n.verified,
    n.verified_type, n.pm.followers_count, n.pm.following_count, n.pm.tweet_count,
    n.created_at, n.fetched_at, n.page_id, n.new_fold, n.new_marked
)
"""


def _load_accounts(con: duckdb.DuckDBPyConnection, stats: LoadStats) -> None:
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _ucopies AS
        WITH u AS (
            SELECT page_id, platform, fetched_at, unnest(tp.includes.users) AS u
            FROM _docs WHERE kind = 'tweets'
            UNION ALL
            SELECT page_id, platform, fetched_at, unnest(up.data) FROM _docs WHERE kind = 'users'
        )
        SELECT page_id, platform, fetched_at, u.id, u.username, u.name, u.description, u.location,
               u.verified, u.verified_type, u.public_metrics AS pm,
               {_instant("u.created_at")} AS created_at
        FROM u WHERE u.id IS NOT NULL
        """
    )
    stats.accounts = _scalar(con, "SELECT count(*) FROM _ucopies")
    con.execute(_UWIN_SQL)
    con.execute(_MERGE_ACCOUNTS_SQL)


DERIVED_TABLES = (
    "posts",
    "accounts",
    "post_refs",
    "post_hashtags",
    "post_mentions",
    "post_links",
    "territory_posts",
    "compliance_events",
    "page_errors",
    "superseded_posts",
    *facts.ALL_TABLES,
)


def rebuild(con: duckdb.DuckDBPyConnection, max_bytes: int = BATCH_BYTES) -> LoadStats:
    """Recreate every derived table from ``raw_pages`` alone, through :func:`normalise`.

    The raw layer is checked first (nothing is dropped if a file is missing). Then the
    tables are emptied and the pages replayed in the import's batches, each committed: one
    transaction for 10M posts ran out of a 2.5 GB memory limit. Until the last step commits,
    ``rebuild_pending`` holds a row and no writer publishes a snapshot (the dashboard keeps
    the last whole one); running ``rebuild`` again starts over."""
    problems = raw_files.verify(con)
    if problems:  # checked before anything is dropped (``territoires rebuild`` says so)
        raise raw_files.RawLayerError("; ".join(problems), problems)
    total = LoadStats()
    with transaction(con):  # rolled back on failure, the cause kept (warehouse/txn.py)
        for table in DERIVED_TABLES:
            con.execute(f"DELETE FROM {table}")
        con.execute("DELETE FROM rebuild_pending")
        con.execute("INSERT INTO rebuild_pending VALUES (now()::TIMESTAMP)")
    pages = con.execute(
        "SELECT page_id, coalesce(size, 0) FROM raw_pages ORDER BY fetched_at, page_id"
    ).fetchall()
    chunk: list[str]
    for chunk in _batches(pages, max_bytes):  # the import's batches: as much text each
        with transaction(con):
            con.register("_chunk", pa.table({"page_id": chunk}))
            bodies = raw_files.pages_sql(con, "page_id IN (SELECT page_id FROM _chunk)")
            con.execute(f"CREATE OR REPLACE TEMP TABLE _batch AS SELECT * FROM {bodies}")  # noqa: S608
            con.unregister("_chunk")
            stats = normalise(con)
            stats.pages = stats.new_pages
            total.add(stats)
    with transaction(con):
        con.execute("DROP TABLE IF EXISTS _batch")  # the loader registers its own _batch
        enforce_horizon(con)  # the retention horizon on every post (retention.py)
        recompute.after_rebuild(con)  # every territory whole, the daily rollups once
        con.execute("DELETE FROM rebuild_pending")
    return total
