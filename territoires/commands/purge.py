"""``territoires purge``: apply each territory's retention (``[privacy] retention_days``).

Removes the raw pages and posts older than the retention period, keeps the daily
aggregates (see :mod:`warehouse.retention`), honours the deletions the platform reported,
then republishes the dashboard's snapshot. Run it once a day (cron, a systemd timer, or
right after ``territoires collect``).
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from territoires.commands import add_db_argument
from territoires.errors import UsageError
from warehouse.db import compact, connect, db_path, publish_snapshot, writer, writer_lock
from warehouse.migrations import migrate
from warehouse.retention import purge

HELP = "remove raw pages and posts older than each territory's retention_days (keeps daily totals)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_db_argument(parser)
    parser.add_argument(
        "--now",
        metavar="INSTANT",
        help="apply retention as of this ISO instant (default: now; for tests and replays)",
    )
    parser.add_argument(
        "--compact",
        action="store_true",
        help="also rewrite the warehouse file so removed rows leave no trace in free blocks",
    )


def _instant(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"--now: expected an ISO date or instant, got {text!r}") from None
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


def run(args: argparse.Namespace) -> int:
    db = db_path(args.db)
    now = _instant(args.now)
    if not db.exists():
        print(f"territoires purge: {db}: no warehouse here (nothing to purge)")
        return 0
    if args.compact:
        with writer_lock(db):
            con = connect(db)
            try:
                migrate(con)
                report = purge(con, now, db=db)
            finally:
                con.close()
            compact(db)
            con = connect(db)
            try:
                publish_snapshot(con, db)
            finally:
                con.close()
    else:
        with writer(db) as con:
            report = purge(con, now, db=db)
    for slug, t in report.territories.items():
        print(
            f"{slug}: retention {t['retention_days']} days: removed "
            f"{t['pages_removed']} raw pages, {t['posts_removed']} posts, "
            f"{t['accounts_removed']} profiles created or fetched before "
            f"{t['purged_before']} UTC (daily totals kept), "
            f"{t['decisions_removed']} triage decisions about posts created before it"
        )
    if not report.territories:
        print(f"{db}: no territory configured (nothing to purge)")
    print(f"platform deletions honoured: {report.deletions_honoured}")
    return 0
