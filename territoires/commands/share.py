"""``territoires share``: print a signed, expiring, read-only link to one view.

The link opens the page with the territory and the period fixed, nothing else reachable,
private people pseudonymised when the config says so (``[privacy]``). It is signed with
``$TERRITOIRES_SHARE_SECRET``, else the ``<db>.share-secret`` file that ``territoires demo``
writes; the dashboard server must use the same secret (``territoires serve`` reads the same
two places). The secret is never printed. ``--until`` is excluded, as in
``territoires metrics``; ``--week 2026-W47`` is a shortcut for one ISO week. The figures are
pinned at the data's last collection (at most 7 days after the period), so the link shows
the same numbers until it expires.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, date, datetime

from model import settings
from territoires import share
from territoires.commands import add_config_argument, add_db_argument
from territoires.commands.metrics import parse_date
from territoires.config import load_config
from territoires.errors import UsageError
from territoires.report import IsoWeek, review_as_of
from warehouse.db import db_path, snapshot_path
from warehouse.page_collection import data_as_of
from warehouse.read import reader_cursor

HELP = "print a signed read-only link to a page of the dashboard, valid N days"
BASE_ENV = "TERRITOIRES_PUBLIC_URL"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_config_argument(parser)
    add_db_argument(parser)
    parser.add_argument("--page", default="revue", choices=sorted(share.SHAREABLE_PAGES),
                        help="the page to share (default: revue, the weekly review)")
    parser.add_argument("--week", metavar="YYYY-Www", help="one ISO week, e.g. 2026-W47")
    parser.add_argument("--since", metavar="DATE", help="first day, included")
    parser.add_argument("--until", metavar="DATE", help="last day, excluded")
    parser.add_argument("--days", type=int, default=30, metavar="N",
                        help=f"the link expires after N days (1 to {share.MAX_DAYS}; default 30)")
    parser.add_argument("--lang", choices=("fr", "en"), default="fr", help="default: fr")
    parser.add_argument("--base-url", metavar="URL",
                        help=f"the dashboard's public address (default: ${BASE_ENV}, "
                             "then http://localhost:8501)")


def _date(option: str, value: str) -> date:
    return parse_date(option, value)


def _freshness(db: object, slug: str) -> datetime | None:
    cur = reader_cursor(db)  # type: ignore[arg-type]
    try:
        return dict(data_as_of(cur)).get(slug)
    finally:
        cur.close()


def run(args: argparse.Namespace) -> int:
    territory = load_config(args.config)
    if args.week and (args.since or args.until):
        raise UsageError("give either --week or --since/--until")
    if args.week:
        try:
            week = IsoWeek.parse(args.week)
        except ValueError as e:
            raise UsageError(f"--week: {e}") from None
        since, until = week.monday, week.until
    elif args.since and args.until:
        since, until = _date("--since", args.since), _date("--until", args.until)
    else:
        raise UsageError("give the period: --week 2026-W47, or --since DATE --until DATE")
    db = db_path(args.db)
    try:
        secret = share.secret_for(db)
    except share.ShareError as e:
        raise UsageError(str(e)) from None
    now = datetime.now(UTC).replace(tzinfo=None)
    fresh = None
    if db.exists() or snapshot_path(db).exists():
        fresh = _freshness(db, territory.slug)
    as_of = review_as_of(territory, until, min(fresh or now, now))  # type: ignore[arg-type]
    try:
        link = share.new_link(territory.slug, args.page, since, until, as_of,  # type: ignore[arg-type]
                              args.days, now, args.lang)
    except ValueError as e:
        raise UsageError(str(e)) from None
    base = args.base_url or settings.PUBLIC_URL.get() or "http://localhost:8501"
    print(share.link_url(base, share.sign(link, secret)))
    print(f"read-only link to {args.page} of {territory.name}, {since} to {until} (excluded), "
          f"figures as of {as_of.isoformat()}Z, valid until {link.expires.isoformat()}Z",
          file=sys.stderr)
    return 0
