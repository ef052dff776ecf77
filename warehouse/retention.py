"""Retention: drop raw pages and posts older than each territory's ``retention_days``.

The daily aggregates (:mod:`warehouse.rollups`) are kept, so the long-term trends survive.

For a territory with timezone *tz* and ``retention_days`` *N*, at instant *now*:

* ``frozen_before`` = the local date of *now* minus *N* days; ``purged_before`` = local
  midnight starting that day, in UTC. Whole local days go, so a day's aggregate is either
  recomputable from the posts still there or frozen as it was.
* Before anything is removed (for any territory), the aggregates of the days about to
  freeze are refreshed, from whole facts.
* Raw pages of the territory fetched before ``purged_before`` are deleted, with every post,
  profile, partial error and compliance event whose winning copy came from them.
* Posts created before ``purged_before`` stop counting for the territory
  (``territory_posts``); the post itself goes unless another territory still counts it or
  a remaining counted post references it (a recent repost of an old city post keeps its
  original, or the relay could not be attributed); such a kept original is marked
  ``in_data = false``, like any post known only as a referenced original.
* The horizon is recorded (``retention_horizon``): the loader and ``rebuild`` apply it too
  (:func:`enforce_horizon`), so a recent page that carries an old post does not bring it back,
  and ``rebuild`` after ``purge`` gives the same tables.
* The triage decisions of the territory about posts created before ``purged_before`` go with
  them (their notes are personal data): from the triage journal first
  (:func:`warehouse.triage_journal.purge_before`), then from the warehouse's copy.

Scheduling: call :func:`purge` (``territoires purge``) once a day, e.g. at the end of the
collector's pass (``collectors`` can call ``purge(con, now)`` inside their writer). It also
honours the deletions the platform reported
(:func:`warehouse.platform_deletions.honour_deletions`).

Known limit: when several territories share posts and have different retention periods,
a post's fields come from the copies still in the raw layer, so ``rebuild`` after ``purge``
may pick an older copy than the one the tables held.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import duckdb

from warehouse import raw_files, recompute
from warehouse import triage_journal as journal
from warehouse.db import writer
from warehouse.deletion import delete_posts
from warehouse.platform_deletions import honour_deletions
from warehouse.redaction import Target, rewrite_pages
from warehouse.territory import load_territories
from warehouse.triage import warehouse_file
from warehouse.txn import transaction


@dataclass
class PurgeReport:
    territories: dict[str, dict[str, object]] = field(default_factory=dict)
    deletions_honoured: int = 0

    @property
    def posts_removed(self) -> int:
        return sum(int(t["posts_removed"]) for t in self.territories.values())  # type: ignore[call-overload]

    @property
    def pages_removed(self) -> int:
        return sum(int(t["pages_removed"]) for t in self.territories.values())  # type: ignore[call-overload]


def horizon(now: datetime, tz: str, retention_days: int) -> tuple[date, datetime]:
    """``(frozen_before, purged_before)``: the first kept local day and its start in UTC."""
    zone = ZoneInfo(tz)
    aware = now.replace(tzinfo=UTC) if now.tzinfo is None else now
    frozen_before = aware.astimezone(zone).date() - timedelta(days=retention_days)
    start = datetime.combine(frozen_before, time(0), tzinfo=zone)
    return frozen_before, start.astimezone(UTC).replace(tzinfo=None)


def enforce_horizon(con: duckdb.DuckDBPyConnection, only_ids: str | None = None) -> int:
    """Apply every recorded retention horizon (to the posts of ``only_ids``, or all).

    Returns the number of posts deleted. Cheap when no territory has been purged yet.
    """
    if not con.execute("SELECT count(*) FROM retention_horizon").fetchone()[0]:  # type: ignore[index]
        return 0
    if only_ids is None:  # posts stop counting for a territory: recomputed before publishing
        recompute.after_deletion(con)
    scope = f"(SELECT DISTINCT platform, id FROM {only_ids})" if only_ids else "posts"  # noqa: S608
    con.execute(
        f"""
        DELETE FROM territory_posts WHERE (territory, platform, post_id) IN (
            SELECT (tp.territory, tp.platform, tp.post_id)
            FROM territory_posts tp
            JOIN retention_horizon h ON h.territory = tp.territory
            JOIN posts p ON p.platform = tp.platform AND p.id = tp.post_id
            JOIN {scope} s ON s.platform = p.platform AND s.id = p.id
            WHERE p.created_at < h.purged_before
        )
        """  # noqa: S608
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _expired AS
        SELECT p.platform, p.id
        FROM posts p
        JOIN {scope} s ON s.platform = p.platform AND s.id = p.id
        JOIN raw_pages r ON r.page_id = p.page_id
        JOIN retention_horizon h ON h.territory = r.territory
        WHERE p.created_at < h.purged_before
          AND NOT EXISTS (SELECT 1 FROM territory_posts tp
                          WHERE tp.platform = p.platform AND tp.post_id = p.id)
          AND NOT EXISTS (
              SELECT 1 FROM posts q JOIN territory_posts tq
                   ON tq.platform = q.platform AND tq.post_id = q.id
              WHERE q.platform = p.platform
                AND p.id IN (q.reply_to_id, q.quoted_id, q.reposted_id))
        """  # noqa: S608
    )
    removed = delete_posts(con, "_expired")
    # kept only as referenced originals now: no longer "seen in data" for any territory
    con.execute(
        f"""
        UPDATE posts SET in_data = false
        FROM {scope} s, raw_pages r, retention_horizon h
        WHERE s.platform = posts.platform AND s.id = posts.id AND posts.in_data
          AND r.page_id = posts.page_id AND h.territory = r.territory
          AND posts.created_at < h.purged_before
          AND NOT EXISTS (SELECT 1 FROM territory_posts tp
                          WHERE tp.platform = posts.platform AND tp.post_id = posts.id)
        """  # noqa: S608
    )
    return removed


def _freeze(con: duckdb.DuckDBPyConnection, slug: str, tz: str, days: int, now: datetime
            ) -> None:
    """The aggregates of the territory's days about to freeze, while their posts are still
    here, and before any territory's purge deletes anything (the facts they are counted from
    are whole then)."""
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _expiring AS
        SELECT p.platform, p.id FROM territory_posts tp
        JOIN posts p ON p.platform = tp.platform AND p.id = tp.post_id
        WHERE tp.territory = $terr AND p.created_at < $before
        """,
        {"terr": slug, "before": horizon(now, tz, days)[1]},
    )
    recompute.before_freezing(con, "_expiring")
    con.execute("DROP TABLE _expiring")


def _purge_territory(
    con: duckdb.DuckDBPyConnection, slug: str, tz: str, days: int, now: datetime,
    journal_db: str | os.PathLike[str] | None = None,
) -> dict[str, object]:
    frozen_before, purged_before = horizon(now, tz, days)
    # 0. the triage decisions about the posts about to go: the journal first (it commits at
    # once; a crash before the warehouse commits leaves only posts, purged again next run)
    decisions = journal.purge_before(journal_db, slug, purged_before) if journal_db else 0
    con.execute(
        "DELETE FROM triage_decisions WHERE territory = $terr AND post_created_at < $before",
        {"terr": slug, "before": purged_before},
    )
    # 1. the aggregates of the days about to freeze: done for every territory first (_freeze)
    # the old posts, to find those purged below and remove them from recent raw pages too
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _old_posts AS SELECT platform, id FROM posts "
        "WHERE created_at < $before",
        {"before": purged_before},
    )
    # 2. the horizon, then the raw pages fetched before it and what came only from them
    con.execute(
        "INSERT OR REPLACE INTO retention_horizon VALUES ($terr, $days, $purged, $frozen, $now)",
        {"terr": slug, "days": days, "purged": purged_before, "frozen": frozen_before,
         "now": now},
    )
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _gone_pages AS
        SELECT page_id FROM raw_pages WHERE territory = $terr AND fetched_at < $before
        """,
        {"terr": slug, "before": purged_before},
    )
    pages = con.execute("SELECT count(*) FROM _gone_pages").fetchone()[0]  # type: ignore[index]
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _gone_posts AS "
        "SELECT platform, id FROM posts WHERE page_id IN (SELECT page_id FROM _gone_pages)"
    )
    posts = delete_posts(con, "_gone_posts")
    accounts = con.execute(
        "SELECT count(*) FROM accounts WHERE page_id IN (SELECT page_id FROM _gone_pages)"
    ).fetchone()[0]  # type: ignore[index]
    raw_files.drop_pages(con, "_gone_pages")  # whole files of old days unlisted, deleted
    for table in ("accounts", "page_errors", "compliance_events", "raw_pages"):
        con.execute(f"DELETE FROM {table} WHERE page_id IN (SELECT page_id FROM _gone_pages)")  # noqa: S608
    # 3. old posts that came in recent pages
    posts += enforce_horizon(con)
    pages_rewritten = _rewrite_recent_pages(con)
    con.execute(
        "INSERT INTO retention_runs VALUES ($now, $terr, $before, $pages, $posts, $accounts)",
        {"now": now, "terr": slug, "before": purged_before, "pages": pages, "posts": posts,
         "accounts": accounts},
    )
    return {
        "retention_days": days,
        "purged_before": purged_before.isoformat(),
        "pages_removed": int(pages),
        "posts_removed": int(posts),
        "accounts_removed": int(accounts),
        "pages_rewritten": pages_rewritten,
        "decisions_removed": int(decisions),
    }


def _rewrite_recent_pages(con: duckdb.DuckDBPyConnection) -> int:
    """Retention applies to the raw layer's content, not only to whole pages: a recent page
    (a backfill, a search that reached back) still held the full JSON of posts the tables
    just dropped. Those records are removed from the pages that hold them, as erasure does
    (:func:`warehouse.redaction.rewrite_pages`), so ``rebuild`` after ``purge`` gives the same
    tables and the old text is gone."""
    gone = con.execute(
        "SELECT platform, list(id) FROM (SELECT platform, id FROM _old_posts "
        "ANTI JOIN posts USING (platform, id)) GROUP BY platform"
    ).fetchall()
    con.execute("DROP TABLE IF EXISTS _old_posts")
    return sum(rewrite_pages(con, Target(p, post_ids=set(ids))) for p, ids in gone)


def purge(
    con: duckdb.DuckDBPyConnection,
    now: datetime | None = None,
    db: str | os.PathLike[str] | None = None,
) -> PurgeReport:
    """Apply every territory's retention at ``now`` (UTC; default: now), in one transaction.

    Also honours the deletions the platform reported (with ``db``, in its spool too). Safe
    to call from a collector's writer
    after its pass; idempotent (a second call at the same instant removes nothing).
    """
    journal_db = db if db is not None else warehouse_file(con)
    if now is None:
        now = datetime.now(UTC)
    if now.tzinfo is not None:
        now = now.astimezone(UTC).replace(tzinfo=None)
    report = PurgeReport()
    with transaction(con):  # rolled back on failure, the cause kept (warehouse/txn.py)
        territories = load_territories(con)
        recompute.before_purge(con)  # the rollups about to freeze count from whole facts
        for t in territories:
            _freeze(con, t.slug, t.timezone, t.retention_days, now)
        for t in territories:
            report.territories[t.slug] = _purge_territory(
                con, t.slug, t.timezone, t.retention_days, now, journal_db
            )
        report.deletions_honoured = honour_deletions(con, in_transaction=True, db=db)
        recompute.settle(con)  # posts stopped counting: the facts follow, in this transaction
    return report


PURGE_EVERY = timedelta(hours=24)


def purge_if_due(
    db: str | os.PathLike[str], now: datetime | None = None, every: timedelta = PURGE_EVERY
) -> PurgeReport | None:
    """Run :func:`purge` when the last retention run is older than ``every`` (the collector
    calls this after each pass, so retention happens on the collection schedule)."""
    now = (now or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None)
    with writer(db) as con:
        last = con.execute("SELECT max(run_at) FROM retention_runs").fetchall()[0][0]
        if last is not None and now - last < every:
            return None
        return purge(con, now, db=db)
