"""Named schema migrations, applied in order, each in its own transaction.

Applied names are recorded in ``schema_migrations``. Never edit a migration that has
shipped: add a new one. Instants are stored as UTC ``TIMESTAMP`` (docs/design.md §8: bucketing on
plain timestamps is an order of magnitude faster than on ``TIMESTAMPTZ``).
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb

from warehouse import raw_migration

# a migration is SQL, or a function of the connection when it must write files too
Migration = str | Callable[[duckdb.DuckDBPyConnection], None]

MIGRATIONS: list[tuple[str, Migration]] = [
    (
        "0001_raw_layer",
        """
        CREATE TABLE raw_pages (
            page_id     VARCHAR PRIMARY KEY,   -- sha1 of platform, territory and body
            platform    VARCHAR NOT NULL,      -- x, bluesky, mastodon
            territory   VARCHAR NOT NULL,
            source      VARCHAR NOT NULL,      -- import, collect, demo, ...
            endpoint    VARCHAR,               -- e.g. /2/users/:id/mentions
            query       VARCHAR,               -- query or parameters, as text
            origin      VARCHAR,               -- file:line or URL it came from
            fetched_at  TIMESTAMP NOT NULL,    -- UTC
            kind        VARCHAR NOT NULL,      -- tweets, users, counts, compliance, other
            body        VARCHAR NOT NULL,      -- the page exactly as it came
            canonical   VARCHAR,               -- X-v2-shaped copy for other platforms
            loaded_at   TIMESTAMP NOT NULL
        );
        """,
    ),
    (
        "0002_tables",
        """
        CREATE TABLE posts (
            platform            VARCHAR NOT NULL,
            id                  VARCHAR NOT NULL,
            author_id           VARCHAR,
            created_at          TIMESTAMP,      -- UTC
            text                VARCHAR,
            lang                VARCHAR,
            conversation_id     VARCHAR,        -- filled by the loader when the payload lacks it
            in_reply_to_user_id VARCHAR,
            reply_to_id         VARCHAR,        -- replied_to reference
            quoted_id           VARCHAR,
            reposted_id         VARCHAR,
            is_repost           BOOLEAN NOT NULL DEFAULT false,
            retweet_count       BIGINT,
            reply_count         BIGINT,
            like_count          BIGINT,
            quote_count         BIGINT,
            impression_count    BIGINT,
            edit_ids            VARCHAR[],
            withheld            BOOLEAN NOT NULL DEFAULT false,
            in_data             BOOLEAN NOT NULL,  -- false: only seen as a referenced original
            fetched_at          TIMESTAMP NOT NULL,
            page_id             VARCHAR NOT NULL,  -- raw page of the winning copy
            PRIMARY KEY (platform, id)
        );
        CREATE TABLE accounts (
            platform        VARCHAR NOT NULL,
            id              VARCHAR NOT NULL,
            username        VARCHAR,
            name            VARCHAR,
            description     VARCHAR,
            location        VARCHAR,
            verified        BOOLEAN,
            verified_type   VARCHAR,
            followers_count BIGINT,
            following_count BIGINT,
            tweet_count     BIGINT,
            created_at      TIMESTAMP,
            fetched_at      TIMESTAMP NOT NULL,
            page_id         VARCHAR NOT NULL,
            PRIMARY KEY (platform, id)
        );
        CREATE TABLE post_refs (
            platform VARCHAR NOT NULL, post_id VARCHAR NOT NULL,
            ref_type VARCHAR NOT NULL,          -- replied_to, quoted, retweeted
            ref_id   VARCHAR NOT NULL
        );
        CREATE TABLE post_hashtags (
            platform VARCHAR NOT NULL, post_id VARCHAR NOT NULL,
            tag      VARCHAR NOT NULL           -- lower case, without '#'
        );
        CREATE TABLE post_mentions (
            platform VARCHAR NOT NULL, post_id VARCHAR NOT NULL,
            user_id  VARCHAR, username VARCHAR  -- username in lower case
        );
        CREATE TABLE post_links (
            platform VARCHAR NOT NULL, post_id VARCHAR NOT NULL,
            url      VARCHAR NOT NULL, domain VARCHAR  -- domain in lower case, no www.
        );
        CREATE TABLE territory_posts (
            territory  VARCHAR NOT NULL,
            platform   VARCHAR NOT NULL,
            post_id    VARCHAR NOT NULL,
            PRIMARY KEY (territory, platform, post_id)
        );
        CREATE TABLE compliance_events (
            platform VARCHAR NOT NULL, object_id VARCHAR NOT NULL,
            object_kind VARCHAR, action VARCHAR, reason VARCHAR, event_at VARCHAR,
            page_id VARCHAR NOT NULL
        );
        CREATE TABLE page_errors (
            page_id VARCHAR NOT NULL, title VARCHAR, detail VARCHAR,
            resource_type VARCHAR, resource_id VARCHAR
        );
        """,
    ),
    (
        "0003_territories",
        """
        CREATE TABLE territories (
            slug VARCHAR PRIMARY KEY, name VARCHAR NOT NULL, timezone VARCHAR NOT NULL,
            holidays VARCHAR, config JSON NOT NULL, updated_at TIMESTAMP NOT NULL
        );
        CREATE TABLE territory_accounts (
            territory VARCHAR NOT NULL, platform VARCHAR NOT NULL, handle VARCHAR NOT NULL,
            user_id VARCHAR, label VARCHAR, service_hours VARCHAR,
            PRIMARY KEY (territory, platform, handle)
        );
        """,
    ),
    (
        "0004_collection",
        """
        CREATE TABLE collect_state (
            territory VARCHAR NOT NULL, platform VARCHAR NOT NULL,
            endpoint VARCHAR NOT NULL, query VARCHAR NOT NULL,
            since_id VARCHAR, updated_at TIMESTAMP NOT NULL,
            PRIMARY KEY (territory, platform, endpoint, query)
        );
        CREATE SEQUENCE collect_runs_seq;
        CREATE TABLE collect_runs (
            run_id BIGINT PRIMARY KEY DEFAULT nextval('collect_runs_seq'),
            territory VARCHAR, platform VARCHAR, started_at TIMESTAMP NOT NULL,
            ended_at TIMESTAMP, status VARCHAR,       -- running, ok, partial, failed
            pages BIGINT DEFAULT 0, posts BIGINT DEFAULT 0, users BIGINT DEFAULT 0,
            errors JSON, cost_usd DOUBLE DEFAULT 0, message VARCHAR
        );
        """,
    ),
    (
        "0005_collect_state_cursor",
        """
        -- a pagination in progress: the next page's token and the newest id seen so far;
        -- since_id advances to newest_seen only when the pagination has finished
        ALTER TABLE collect_state ADD COLUMN cursor VARCHAR;
        ALTER TABLE collect_state ADD COLUMN newest_seen VARCHAR;
        """,
    ),
    (
        "0006_rollups_retention_erasure",
        """
        -- daily aggregates per territory, platform and local day (warehouse/rollups.py);
        -- they outlive the posts they count once retention purges them
        CREATE TABLE daily_posts (
            territory VARCHAR NOT NULL, platform VARCHAR NOT NULL,
            day DATE NOT NULL,                  -- local day in the territory's timezone
            posts BIGINT NOT NULL, reposts BIGINT NOT NULL, replies BIGINT NOT NULL,
            quotes BIGINT NOT NULL, authors BIGINT NOT NULL,
            refreshed_at TIMESTAMP NOT NULL
        );
        CREATE TABLE daily_hashtags (
            territory VARCHAR NOT NULL, platform VARCHAR NOT NULL, day DATE NOT NULL,
            tag VARCHAR NOT NULL,               -- tracked hashtag, lower case, without '#'
            posts BIGINT NOT NULL, authors BIGINT NOT NULL,
            refreshed_at TIMESTAMP NOT NULL
        );
        -- retention (warehouse/retention.py): posts created before purged_before (UTC) are
        -- gone; aggregates of local days before frozen_before are kept as they were
        CREATE TABLE retention_horizon (
            territory VARCHAR PRIMARY KEY, retention_days INTEGER NOT NULL,
            purged_before TIMESTAMP NOT NULL, frozen_before DATE NOT NULL,
            purged_at TIMESTAMP NOT NULL
        );
        CREATE TABLE retention_runs (
            run_at TIMESTAMP NOT NULL, territory VARCHAR NOT NULL,
            purged_before TIMESTAMP NOT NULL, pages_removed BIGINT, posts_removed BIGINT,
            accounts_removed BIGINT
        );
        -- erasure (warehouse/forget.py): only that an erasure happened, no personal data
        CREATE TABLE erasures (
            erased_at TIMESTAMP NOT NULL,
            kind VARCHAR NOT NULL,              -- account, post, platform-deletion
            posts_removed BIGINT, accounts_removed BIGINT, pages_rewritten BIGINT,
            spool_files_rewritten BIGINT
        );
        """,
    ),
    (
        "0007_facts",
        """
        -- each interpellation and its first answer, each relay of city content, and each
        -- territory's narrow post list: kept by the loader (warehouse/facts.py); filled at
        -- the next write (facts_state is empty, so every territory is stale)
        CREATE TABLE interpellation_facts (
            territory VARCHAR NOT NULL, platform VARCHAR NOT NULL, post_id VARCHAR NOT NULL,
            author_id VARCHAR, created_at TIMESTAMP NOT NULL, conversation_id VARCHAR,
            acc_id VARCHAR, addressed_handle VARCHAR,   -- the city account addressed
            answer_id VARCHAR, answered_at TIMESTAMP,    -- the first answer, if any
            answerer VARCHAR, service_response_minutes DOUBLE
        );
        -- the territory's posts, narrow (no text), sorted by time: what every metric scans
        CREATE TABLE territory_timeline (
            territory VARCHAR NOT NULL, platform VARCHAR NOT NULL, post_id VARCHAR NOT NULL,
            author_id VARCHAR, created_at TIMESTAMP NOT NULL, conversation_id VARCHAR,
            in_reply_to_user_id VARCHAR, reply_to_id VARCHAR, quoted_id VARCHAR,
            reposted_id VARCHAR, is_repost BOOLEAN NOT NULL
        );
        CREATE TABLE relay_facts (
            territory VARCHAR NOT NULL, platform VARCHAR NOT NULL, post_id VARCHAR NOT NULL,
            author_id VARCHAR, created_at TIMESTAMP NOT NULL,
            relay_kind VARCHAR NOT NULL,                -- repost, quote, link
            reposted_id VARCHAR, quoted_id VARCHAR
        );
        CREATE TABLE facts_state (
            territory VARCHAR PRIMARY KEY,
            signature VARCHAR NOT NULL,   -- configuration and city ids the facts were built on
            refreshed_at TIMESTAMP NOT NULL
        );
        """,
    ),
    (
        "0008_hashtag_facts",
        """
        -- the territory's posts carrying a tracked hashtag, one row per (post, tracked tag),
        -- narrow and sorted by time: kept by the loader (warehouse/facts.py); every territory
        -- is recomputed at the next write (facts_state emptied)
        CREATE TABLE hashtag_facts (
            territory VARCHAR NOT NULL, platform VARCHAR NOT NULL, post_id VARCHAR NOT NULL,
            author_id VARCHAR, created_at TIMESTAMP NOT NULL,
            tag VARCHAR NOT NULL                        -- lower case, without '#'
        );
        DELETE FROM facts_state;
        """,
    ),
    (
        "0009_author_facts",
        """
        -- when each author's first post landed for the territory ("first seen"): kept by the
        -- loader (warehouse/facts.py); every territory is recomputed at the next write
        CREATE TABLE author_facts (
            territory VARCHAR NOT NULL, platform VARCHAR NOT NULL, author_id VARCHAR NOT NULL,
            first_seen TIMESTAMP NOT NULL,
            PRIMARY KEY (territory, platform, author_id)
        );
        DELETE FROM facts_state;
        """,
    ),
    (
        "0010_mention_facts",
        """
        -- the territory's posts mentioning a city account (by others, reposts excluded),
        -- narrow and sorted by time: kept by the loader (warehouse/facts.py); every territory
        -- is recomputed at the next write
        CREATE TABLE mention_facts (
            territory VARCHAR NOT NULL, platform VARCHAR NOT NULL, post_id VARCHAR NOT NULL,
            created_at TIMESTAMP NOT NULL
        );
        DELETE FROM facts_state;
        """,
    ),
    (
        "0011_conversation_facts",
        """
        -- each conversation of the territory (reposts excluded): its size, participants,
        -- whether the city took part, its first and last post; kept by the loader
        -- (warehouse/facts.py) for the conversations a batch touches
        CREATE TABLE conversation_facts (
            territory VARCHAR NOT NULL, platform VARCHAR NOT NULL,
            conversation_id VARCHAR NOT NULL,
            size BIGINT NOT NULL, participants BIGINT NOT NULL,
            city_took_part BOOLEAN NOT NULL,
            first_post_at TIMESTAMP NOT NULL, last_post_at TIMESTAMP NOT NULL
        );
        -- true on one row per post (its first tracked tag): counting these counts posts
        ALTER TABLE hashtag_facts ADD COLUMN first_tag BOOLEAN;
        DELETE FROM hashtag_facts;
        DELETE FROM facts_state;
        """,
    ),
    (
        "0012_triage",
        """
        -- the automatic judgement "expects an answer" of each interpellation's text
        -- (warehouse/expectation.py): kept by the loader; ``version`` is the rules' version,
        -- a judgement of older rules is recomputed
        CREATE TABLE post_expectations (
            platform VARCHAR NOT NULL, post_id VARCHAR NOT NULL,
            expects BOOLEAN NOT NULL, rule VARCHAR NOT NULL, version INTEGER NOT NULL,
            PRIMARY KEY (platform, post_id)
        );
        -- the community managers' triage decisions: a copy of the journal
        -- (<db>.triage, warehouse/triage_journal.py, the record), refreshed whole by the
        -- writer before each snapshot so the snapshot holds the decisions it was published with
        CREATE TABLE triage_decisions (
            seq BIGINT NOT NULL, territory VARCHAR NOT NULL, platform VARCHAR NOT NULL,
            post_id VARCHAR NOT NULL, decision VARCHAR NOT NULL, decided_at TIMESTAMP NOT NULL,
            decided_by VARCHAR, service VARCHAR, note VARCHAR,
            post_created_at TIMESTAMP, recorded_at TIMESTAMP NOT NULL
        );
        DELETE FROM facts_state;
        """,
    ),
    (
        "0013_alerts",
        """
        -- every alert of ``territoires alert`` (warehouse/alerts.py), one row per alert and
        -- channel (an e-mail address, or a webhook named by a hash of its URL): a sent one
        -- is never sent again; a failed one is retried at the next run. ``body`` is the
        -- alert's text for that channel, kept only until it is sent
        CREATE TABLE alerts (
            territory VARCHAR NOT NULL, kind VARCHAR NOT NULL, key VARCHAR NOT NULL,
            channel VARCHAR NOT NULL, status VARCHAR NOT NULL, attempts INTEGER NOT NULL,
            last_error VARCHAR, created_at TIMESTAMP NOT NULL, last_try_at TIMESTAMP,
            sent_at TIMESTAMP, body VARCHAR,
            PRIMARY KEY (territory, kind, key, channel)
        );
        """,
    ),
    (
        "0014_daily_activity",
        """
        -- what the long view (the Tendances page, the weekly review's comparisons) needs per
        -- territory, platform, local day and city account (warehouse/rollups.py,
        -- warehouse/rollup_counts.py): account '' is the whole territory, a city handle (lower
        -- case) the interpellations addressed to it and the relays of its posts. ``answered``:
        -- the interpellations of the day whose first answer was known when the day was last
        -- recomputed (docs/metrics.md, "History"). Frozen days (before a retention horizon)
        -- purged before this migration have no row: their interpellations are gone. Every
        -- territory is recomputed at the next write (facts_state emptied), which fills the
        -- days whose posts are still here.
        CREATE TABLE daily_activity (
            territory VARCHAR NOT NULL, platform VARCHAR NOT NULL, day DATE NOT NULL,
            account VARCHAR NOT NULL,
            interpellations BIGINT NOT NULL, answered BIGINT NOT NULL,
            relays BIGINT NOT NULL, local_relays BIGINT NOT NULL,
            hashtag_posts BIGINT NOT NULL,
            refreshed_at TIMESTAMP NOT NULL
        );
        DELETE FROM facts_state;
        """,
    ),
    (
        "0015_unread_rollup_columns",
        """
        -- a rollup without a reader goes: daily_posts.quotes was read by nothing (no page,
        -- report, command, script or test); its other columns and daily_hashtags are still
        -- read by scripts/stress.py or the tests that check retention and the facts
        ALTER TABLE daily_posts DROP COLUMN quotes;
        """,
    ),
    (
        "0016_unread_rollups",
        """
        -- issue 21, a rollup without a reader goes: the Tendances page and the weekly
        -- review (warehouse/page_trends.py) read daily_posts.posts and daily_activity only;
        -- daily_hashtags and daily_posts.reposts, replies, authors were written at every
        -- load and read by no page, report or command
        DROP TABLE daily_hashtags;
        ALTER TABLE daily_posts DROP COLUMN reposts;
        ALTER TABLE daily_posts DROP COLUMN replies;
        ALTER TABLE daily_posts DROP COLUMN authors;
        """,
    ),
    # issue 21: the pages' bodies leave DuckDB for the raw layer's files (warehouse/raw_files.py)
    (raw_migration.NAME, raw_migration.move_bodies_out),
    (
        "0018_rebuild_pending",
        """
        -- issue 21: rebuild commits batch by batch (one transaction ran out of memory at
        -- 10M posts); while this table has a row, the tables are partial and no writer
        -- publishes a snapshot (warehouse/load.py rebuild, warehouse/db.py)
        CREATE TABLE rebuild_pending (started_at TIMESTAMP NOT NULL);
        """,
    ),
    (
        "0019_expectation_instants",
        """
        -- issue 21: each judgement carries its post's instant, and the table lies in time
        -- order, so the metric queries join it on the instant too and read only the row
        -- groups of their window (warehouse/interpellations.py, _INTER_CTE). A judgement
        -- whose post is no interpellation any more keeps a NULL instant (read by nothing).
        CREATE TABLE post_expectations_0019 (
            platform VARCHAR NOT NULL, post_id VARCHAR NOT NULL,
            expects BOOLEAN NOT NULL, rule VARCHAR NOT NULL, version INTEGER NOT NULL,
            created_at TIMESTAMP,
            PRIMARY KEY (platform, post_id)
        );
        INSERT INTO post_expectations_0019
        SELECT e.platform, e.post_id, e.expects, e.rule, e.version, f.created_at
        FROM post_expectations e
        LEFT JOIN (SELECT platform, post_id, min(created_at) AS created_at
                   FROM interpellation_facts GROUP BY platform, post_id) f
               ON f.platform = e.platform AND f.post_id = e.post_id
        ORDER BY f.created_at, e.platform, e.post_id;
        DROP TABLE post_expectations;
        ALTER TABLE post_expectations_0019 RENAME TO post_expectations;
        """,
    ),
    (
        "0020_facts_weeks",
        """
        -- issue 21: the closed weeks whose fact rows were looked at, and rewritten territory
        -- by territory if interleaved (warehouse/facts_layout.py); the next publish looks
        -- at every closed week once
        CREATE TABLE facts_weeks (
            week DATE PRIMARY KEY,          -- Monday of the UTC week
            looked_at TIMESTAMP NOT NULL
        );
        """,
    ),
    (
        "0021_profile_fold",
        """
        -- issue 21: each profile's location and bio, lower case without accents, kept by the
        -- loader (warehouse/load.py) so that judging an account's locality runs the pattern
        -- only: folding every relay author's profile at each query was most of the
        -- baromètre's locality cost (warehouse/metrics_base.py, local_predicate)
        ALTER TABLE accounts ADD COLUMN profile_fold VARCHAR;
        UPDATE accounts SET profile_fold = strip_accents(lower(
            coalesce(location, '') || chr(10) || coalesce(description, '')));
        """,
    ),
    (
        "0022_superseded_posts",
        """
        -- issue 21: the earlier versions that a stored edited post names (its
        -- edit_history_tweet_ids but the last), kept by the loader (warehouse/load.py) so that
        -- a batch looks for edits among its own posts: finding them in every stored post's
        -- history at every batch grew with the warehouse. A deleted post takes its own out
        -- (warehouse/deletion.py).
        CREATE TABLE superseded_posts (
            platform VARCHAR NOT NULL, id VARCHAR NOT NULL, PRIMARY KEY (platform, id)
        );
        INSERT INTO superseded_posts
        SELECT DISTINCT platform, unnest(edit_ids[1:len(edit_ids) - 1])
        FROM posts WHERE len(edit_ids) > 1 AND id = edit_ids[len(edit_ids)];
        """,
    ),
    (
        "0023_profile_marked",
        r"""
        -- issue 21: each profile's fold marked, kept by the loader (warehouse/load.py): every
        -- character that is neither a letter nor a digit between two U+0001 marks, so that a
        -- territory's locality pattern needs no Unicode class, whose compilation was a third
        -- of the baromètre's time (warehouse/metrics_base.py, marked_profile)
        ALTER TABLE accounts ADD COLUMN profile_marked VARCHAR;
        UPDATE accounts SET profile_marked = chr(1) || regexp_replace(
            replace(profile_fold, chr(1), chr(2)), '([^\p{L}\p{N}])',
            chr(1) || '\1' || chr(1), 'g') || chr(1);
        """,
    ),
]


def applied(con: duckdb.DuckDBPyConnection) -> list[str]:
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations "
        "(name VARCHAR PRIMARY KEY, applied_at TIMESTAMP)"
    )
    return [
        r[0] for r in con.execute("SELECT name FROM schema_migrations ORDER BY name").fetchall()
    ]


def migrate(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Apply every migration not yet recorded; return the names applied now."""
    done = set(applied(con))
    now: list[str] = []
    for name, sql in MIGRATIONS:
        if name in done:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            if callable(sql):
                sql(con)
            else:
                con.execute(sql)
            con.execute(
                "INSERT INTO schema_migrations VALUES ($name, now()::TIMESTAMP)", {"name": name}
            )
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        now.append(name)
    return now
