"""Forgetting a person or a post (GDPR right to object): erasure from the warehouse.

:func:`forget_account` removes one person's data everywhere in the warehouse:

* their posts, and the pure reposts of them (a repost carries the original's text);
* their profile (``accounts``), the ``post_mentions`` rows that name them, the partial
  errors that name them, and the child rows (refs, hashtags, links) of the removed posts;
* their objects inside the **raw pages** and the spool files: each page that holds them is
  rewritten without them, keeping its ``page_id`` (:mod:`warehouse.redaction`);
* the daily aggregates of the days concerned are recomputed (frozen days keep their counts,
  which hold no personal data);
* the triage decisions about the erased posts (their notes are personal data), in the triage
  journal (``<db>.triage``, :mod:`warehouse.triage_journal`) first, then in the warehouse's
  copy of it (``triage_decisions``): a crash between the two leaves the posts in DuckDB, so
  running the command again finds them and finishes. :func:`forget_account` also erases the
  person as a triager: the name and the notes of the decisions they made (the decisions stay,
  anonymous: they are the city's record).

:func:`forget_post` does the same for one post (and its pure reposts); :func:`erase` is also
how :func:`warehouse.platform_deletions.honour_deletions` applies the platform's compliance
events with action ``delete`` (a tweet id: that post; a user id: that account).

Only the fact of an erasure is recorded (``erasures``: when, what kind, how many rows), never
who. The command (``territoires forget``) also compacts the DuckDB file
(:func:`warehouse.db.compact`), so freed blocks do not keep the data, then republishes the
snapshot.

Known limits: other people's posts keep their own text even when it names the person
(``@handle``), and their ``in_reply_to_user_id``; a later collection can land the person's
public posts again (the platform is the source): run ``forget`` again, or rely on the
platform's compliance events.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import duckdb

from warehouse import recompute
from warehouse import triage_journal as journal
from warehouse.deletion import delete_posts
from warehouse.redaction import Target, redact_spool, rewrite_pages
from warehouse.triage import warehouse_file
from warehouse.txn import transaction

R = TypeVar("R")


@dataclass
class ErasureReport:
    posts_removed: int = 0
    accounts_removed: int = 0
    pages_rewritten: int = 0
    spool_files_rewritten: int = 0
    found: bool = False
    decisions_removed: int = 0  # triage decisions about the erased posts (journal)
    decisions_anonymised: int = 0  # decisions the person made: name and note erased

    def add(self, other: ErasureReport) -> None:
        self.posts_removed += other.posts_removed
        self.accounts_removed += other.accounts_removed
        self.pages_rewritten += other.pages_rewritten
        self.spool_files_rewritten += other.spool_files_rewritten
        self.decisions_removed += other.decisions_removed
        self.decisions_anonymised += other.decisions_anonymised
        self.found = self.found or other.found



def _targets_for_account(
    con: duckdb.DuckDBPyConnection, account: str, platform: str | None
) -> list[Target]:
    handle_only = account.startswith("@")
    value = account.strip().lstrip("@")
    rows = con.execute(
        """
        SELECT platform, id FROM accounts
        WHERE ($platform::VARCHAR IS NULL OR platform = $platform)
          AND (lower(username) = lower($value) OR (NOT $handle_only AND id = $value))
        UNION
        SELECT platform, user_id FROM post_mentions
        WHERE ($platform::VARCHAR IS NULL OR platform = $platform) AND user_id IS NOT NULL
          AND (username = lower($value) OR (NOT $handle_only AND user_id = $value))
        UNION
        SELECT DISTINCT platform, author_id FROM posts
        WHERE ($platform::VARCHAR IS NULL OR platform = $platform)
          AND NOT $handle_only AND author_id = $value
        """,
        {"platform": platform, "value": value, "handle_only": handle_only},
    ).fetchall()
    targets: dict[str, Target] = {}
    for plat, uid in rows:
        targets.setdefault(plat, Target(plat)).user_ids.add(uid)
    for t in targets.values():
        names = con.execute(
            """
            SELECT lower(username) FROM accounts
            WHERE platform = $platform AND list_contains($ids, id) AND username IS NOT NULL
            UNION
            SELECT username FROM post_mentions
            WHERE platform = $platform AND list_contains($ids, user_id) AND username IS NOT NULL
            """,
            {"platform": t.platform, "ids": sorted(t.user_ids)},
        ).fetchall()
        t.handles |= {n for (n,) in names}
    # a handle seen only in mentions, without an id: still erase what names it
    if not targets:
        rows = con.execute(
            """
            SELECT DISTINCT platform FROM post_mentions
            WHERE ($platform::VARCHAR IS NULL OR platform = $platform)
              AND username = lower($value)
            """,
            {"platform": platform, "value": value},
        ).fetchall()
        for (plat,) in rows:
            targets[plat] = Target(plat, handles={value.lower()})
    return list(targets.values())


def journal_of(con: duckdb.DuckDBPyConnection, db: str | os.PathLike[str] | None) -> Path | None:
    """The warehouse file whose triage journal (``<db>.triage``) an erasure also cleans:
    ``db``, or the file ``con`` opened (None for an in-memory warehouse)."""
    return Path(db) if db is not None else warehouse_file(con)


def _erase_decisions(
    con: duckdb.DuckDBPyConnection, jdb: Path | None, platform: str, post_ids: list[str]
) -> int:
    """Delete the triage decisions about ``post_ids``: from the journal first (it commits at
    once), then from the warehouse's copy (in the caller's transaction). Returns how many
    the journal held."""
    if not post_ids:
        return 0
    n = journal.erase_posts(jdb, [(platform, i) for i in post_ids]) if jdb is not None else 0
    con.execute(
        "DELETE FROM triage_decisions WHERE platform = $platform "
        "AND list_contains($ids, post_id)",
        {"platform": platform, "ids": post_ids},
    )
    return n


def _erase_triager(con: duckdb.DuckDBPyConnection, jdb: Path | None, account: str) -> int:
    """Erase a person who triaged (``decided_by``, without case; ``@name`` and ``name``
    alike): the name and notes of their decisions, in the journal first, then in the
    warehouse's copy. Returns how many decisions of the journal were anonymised."""
    names = sorted({account.strip(), account.strip().lstrip("@")} - {""})
    n = sum(journal.erase_person(jdb, who) for who in names) if jdb is not None else 0
    con.execute(
        "UPDATE triage_decisions SET decided_by = NULL, note = NULL "
        "WHERE list_contains($names, lower(decided_by))",
        {"names": [w.lower() for w in names]},
    )
    return n


def erase(
    con: duckdb.DuckDBPyConnection, target: Target, jdb: Path | None = None
) -> ErasureReport:
    """Erase ``target`` from the triage journal of ``jdb``, the raw layer and the tables
    (inside the caller's transaction)."""
    report = ErasureReport()
    p = target.platform
    # the target's posts, then the pure reposts of any of them
    if target.user_ids:
        target.post_ids |= {
            r[0]
            for r in con.execute(
                "SELECT id FROM posts WHERE platform = $platform "
                "AND list_contains($ids, author_id)",
                {"platform": p, "ids": sorted(target.user_ids)},
            ).fetchall()
        }
    if target.post_ids:
        target.post_ids |= {
            r[0]
            for r in con.execute(
                "SELECT id FROM posts WHERE platform = $platform "
                "AND list_contains($ids, reposted_id)",
                {"platform": p, "ids": sorted(target.post_ids)},
            ).fetchall()
        }
    # the decisions (and notes) about these posts: journal first (docs/deploying.md, §6)
    report.decisions_removed = _erase_decisions(con, jdb, p, sorted(target.post_ids))
    report.pages_rewritten = rewrite_pages(con, target)
    # tables
    con.execute("CREATE OR REPLACE TEMP TABLE _erase_posts (platform VARCHAR, id VARCHAR)")
    if target.post_ids:
        con.execute(
            "INSERT INTO _erase_posts SELECT $platform, unnest($ids::VARCHAR[])",
            {"platform": p, "ids": sorted(target.post_ids)},
        )
    days = recompute.rollup_days(con, "_erase_posts")
    report.posts_removed = delete_posts(con, "_erase_posts")
    if target.user_ids or target.handles:
        who = {"platform": p, "ids": sorted(target.user_ids), "names": sorted(target.handles)}
        report.accounts_removed = int(
            con.execute(
                "SELECT count(*) FROM accounts WHERE platform = $platform "
                "AND (list_contains($ids, id) OR list_contains($names, lower(username)))",
                who,
            ).fetchone()[0]  # type: ignore[index]
        )
        con.execute(
            "DELETE FROM accounts WHERE platform = $platform "
            "AND (list_contains($ids, id) OR list_contains($names, lower(username)))",
            who,
        )
        con.execute(
            "DELETE FROM post_mentions WHERE platform = $platform "
            "AND (list_contains($ids, user_id) OR list_contains($names, username))",
            who,
        )
    names_all = sorted(target.user_ids | target.handles | target.post_ids)
    con.execute(
        """
        DELETE FROM page_errors
        WHERE page_id IN (SELECT page_id FROM raw_pages WHERE platform = $platform)
          AND (list_contains($names, resource_id) OR list_contains($names, lower(resource_id)))
        """,
        {"platform": p, "names": names_all},
    )
    recompute.refresh_rollup_days(con, days)
    recompute.after_deletion(con)  # mentions went: recomputed whole before the next snapshot
    report.found = bool(report.posts_removed or report.accounts_removed or report.pages_rewritten
                        or report.decisions_removed)
    return report


def record(con: duckdb.DuckDBPyConnection, kind: str, report: ErasureReport) -> None:
    """Record that an erasure of ``kind`` happened and how many rows it touched (never who)."""
    con.execute(
        "INSERT INTO erasures VALUES ($at, $kind, $posts, $accounts, $pages, $spool)",
        {
            "at": datetime.now(UTC).replace(tzinfo=None), "kind": kind,
            "posts": report.posts_removed, "accounts": report.accounts_removed,
            "pages": report.pages_rewritten, "spool": report.spool_files_rewritten,
        },
    )


def then_settle(con: duckdb.DuckDBPyConnection, fn: Callable[[], R], in_transaction: bool) -> R:
    """``fn()``, then the derived tables recomputed (posts went, :func:`recompute.settle`), in
    the caller's transaction or one."""
    if in_transaction:
        result = fn()
        recompute.settle(con)
        return result
    with transaction(con):  # rolled back on failure, the cause kept (warehouse/txn.py)
        result = fn()
        recompute.settle(con)
    return result


def forget_account(
    con: duckdb.DuckDBPyConnection,
    account: str,
    platform: str | None = None,
    in_transaction: bool = False,
    db: str | os.PathLike[str] | None = None,
) -> tuple[ErasureReport, list[Target]]:
    """Erase one person (a handle, ``@handle`` for a handle only, or a user id).

    With ``db``, the spool files of that warehouse are rewritten too.
    """

    jdb = journal_of(con, db)

    def run() -> tuple[ErasureReport, list[Target]]:
        report = ErasureReport()
        targets = _targets_for_account(con, account, platform)
        for t in targets:
            report.add(erase(con, t, jdb))
        report.decisions_anonymised = _erase_triager(con, jdb, account)
        report.found = report.found or bool(report.decisions_anonymised)
        if db is not None:
            report.spool_files_rewritten = redact_spool(db, targets)
        record(con, "account", report)
        return report, targets

    return then_settle(con, run, in_transaction)


def forget_post(
    con: duckdb.DuckDBPyConnection,
    post_id: str,
    platform: str = "x",
    in_transaction: bool = False,
    db: str | os.PathLike[str] | None = None,
) -> tuple[ErasureReport, list[Target]]:
    """Erase one post (and its pure reposts) everywhere (with ``db``: its spool too)."""

    jdb = journal_of(con, db)

    def run() -> tuple[ErasureReport, list[Target]]:
        target = Target(platform, post_ids={post_id.strip()})
        report = erase(con, target, jdb)
        if db is not None:
            report.spool_files_rewritten = redact_spool(db, [target])
        record(con, "post", report)
        return report, [target]

    return then_settle(con, run, in_transaction)

