"""Honouring the deletions a platform reports (compliance events with action ``delete``):
a deleted post is erased, a deleted account is forgotten, as by ``territoires forget``
(:mod:`warehouse.forget`)."""

from __future__ import annotations

import os

import duckdb

from warehouse.forget import ErasureReport, erase, journal_of, record, then_settle
from warehouse.redaction import Target, redact_spool


def honour_deletions(
    con: duckdb.DuckDBPyConnection,
    in_transaction: bool = False,
    db: str | os.PathLike[str] | None = None,
) -> int:
    """Apply the platform's compliance events with action ``delete``; return how many hit.

    An event's id is matched against posts (the post is erased) and accounts (the person is
    erased). Events whose object is no longer in the warehouse cost nothing.
    """

    jdb = journal_of(con, db)

    def run() -> int:
        rows = con.execute(
            """
            SELECT DISTINCT c.platform, c.object_id,
                   EXISTS (SELECT 1 FROM posts p
                           WHERE p.platform = c.platform AND p.id = c.object_id),
                   EXISTS (SELECT 1 FROM accounts a
                           WHERE a.platform = c.platform AND a.id = c.object_id)
                   OR EXISTS (SELECT 1 FROM posts p WHERE p.platform = c.platform
                              AND p.author_id = c.object_id)
            FROM compliance_events c WHERE lower(c.action) = 'delete'
            ORDER BY 1, 2
            """
        ).fetchall()
        hits = 0
        for platform, object_id, is_post, is_user in rows:
            report = ErasureReport()
            if is_post:
                report.add(erase(con, Target(platform, post_ids={object_id}), jdb))
            if is_user:
                t = Target(platform, user_ids={object_id})
                t.handles |= {
                    n for (n,) in con.execute(
                        "SELECT lower(username) FROM accounts WHERE platform = $platform "
                        "AND id = $id AND username IS NOT NULL",
                        {"platform": platform, "id": object_id},
                    ).fetchall()
                }
                report.add(erase(con, t, jdb))
            if db is not None and (is_post or is_user):
                targets = [Target(platform, post_ids={object_id})] if is_post else []
                targets += [t] if is_user else []
                report.spool_files_rewritten = redact_spool(db, targets)
            if report.found:
                hits += 1
                record(con, "platform-deletion", report)
        return hits

    return then_settle(con, run, in_transaction)

