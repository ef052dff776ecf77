"""``territoires collect --config FILE… [--db PATH]``: one X API v2 collection pass.

Incremental (``since_id`` per query), idempotent and resumable; see
:mod:`collectors.x_collect` and ``docs/collecting.md``. The bearer token comes from
``$X_BEARER_TOKEN`` (or ``$TWITTER_BEARER_TOKEN``) and is never printed.

Exit status: 0 every territory ok; 1 a run ended partial or failed (the summary says why);
2 bad usage (no token, bad config); 75 another process is writing the warehouse.
"""

from __future__ import annotations

import argparse
import sys

from territoires.commands import add_config_argument, add_db_argument
from territoires.config import load_config

HELP = "collect posts from the X API v2 (incremental, idempotent, resumable)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_config_argument(parser, many=True)
    add_db_argument(parser)
    parser.add_argument(
        "--wait",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="if another process is writing the warehouse, wait this long, then exit "
        "cleanly with status 75 (default: 60)",
    )
    parser.add_argument(
        "--max-pages",
        type=int,
        metavar="N",
        help="pages per query per run (default: $TERRITOIRES_X_MAX_PAGES or 50); "
        "the rest is fetched by the next run",
    )
    parser.add_argument("--quiet", action="store_true", help="print only the summary")
    parser.add_argument(
        "--platform",
        action="append",
        choices=("x", "bluesky", "mastodon"),
        help="platform(s) to collect, repeatable (default: x); bluesky and mastodon read "
        "BLUESKY_APP_PASSWORD / MASTODON_ACCESS_TOKEN (see docs/collecting.md)",
    )
    parser.add_argument(
        "--no-purge",
        action="store_true",
        help="skip the daily retention pass (by default, after collecting, `purge` runs "
        "when the last one is more than 24 hours old)",
    )


def _retention(args: argparse.Namespace) -> None:
    """Retention on the collection schedule: at most once a day, after the pass."""
    if args.no_purge:
        return
    from warehouse.db import db_path
    from warehouse.retention import purge_if_due

    report = purge_if_due(db_path(args.db))
    if report is not None and not args.quiet:
        print(
            f"retention: {report.posts_removed} posts and {report.pages_removed} raw pages "
            "past retention_days removed (daily totals kept)",
            file=sys.stderr,
        )


def run(args: argparse.Namespace) -> int:
    from collectors.faults import RetryPolicy
    from collectors.redact import redact
    from collectors.x_api import bearer_token
    from collectors.x_collect import CollectSettings, collect, summary
    from territoires.cli import UsageError
    from warehouse.db import db_path

    territories = [load_config(path) for path in args.config]
    platforms = args.platform or ["x"]
    other = [p for p in dict.fromkeys(platforms) if p != "x"]
    other_status = 0
    if other:  # Bluesky / Mastodon: collectors.social_collect
        from collectors.social_collect import collect_social

        lines = collect_social(
            territories, db_path(args.db), other, wait=args.wait,
            log=lambda m: None if args.quiet else print(f"collect: {redact(m)}", file=sys.stderr),
        )
        for _slug, _platform, status, line in lines:
            print(redact(line))
            other_status = other_status or (0 if status == "ok" else 1)
        if "x" not in platforms:
            _retention(args)
            return other_status
    token = bearer_token()
    if not token:
        raise UsageError(
            "no X API token: set X_BEARER_TOKEN (or TWITTER_BEARER_TOKEN) in the environment"
        )
    try:
        settings = CollectSettings.from_env()
        policy = RetryPolicy.from_env()
        if args.max_pages is not None:
            if args.max_pages < 1:
                raise ValueError("--max-pages: expected a whole number ≥ 1")
            settings = CollectSettings(
                max_pages=args.max_pages,
                query_max_length=settings.query_max_length,
                snapshot_every=settings.snapshot_every,
                progress_every=settings.progress_every,
            )
        from collectors.routing import x_base_url
        from collectors.runlog import price_table

        x_base_url()
        price_table("x")
    except ValueError as e:
        raise UsageError(str(e)) from None

    def progress(line: str) -> None:
        if not args.quiet:
            print(f"collect: {redact(line)}", file=sys.stderr, flush=True)

    report = collect(
        territories,
        db_path(args.db),
        token,
        policy=policy,
        settings=settings,
        lock_wait=args.wait,
        progress=progress,
    )
    print(summary(report))
    _retention(args)
    return 0 if report.status == "ok" and not other_status else 1
