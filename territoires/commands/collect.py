"""``territoires collect --config FILE… [--db PATH] [--platform P…]``: one collection pass.

Each platform (X by default, Bluesky, Mastodon) runs one pass over the territories through
the collectors' one landing mechanism (:func:`collectors.landing.collect`): incremental,
idempotent and resumable; see ``docs/collecting.md``. Secrets come from the environment
(``$X_BEARER_TOKEN``, ``$BLUESKY_APP_PASSWORD``, ``$MASTODON_ACCESS_TOKEN``) and are never
printed.

Exit status: 0 every run ok; 1 a run ended partial or failed (the summary says why);
2 bad usage (no token, bad config); 75 another process is writing the warehouse.
"""

from __future__ import annotations

import argparse
import sys

from collectors.bluesky import BlueskyPlatform
from collectors.faults import RetryPolicy
from collectors.landing import CollectSettings, Platform, collect
from collectors.mastodon import MastodonPlatform
from collectors.redact import redact
from collectors.routing import x_base_url
from collectors.x_api import bearer_token
from collectors.x_collect import XPlatform
from model.prices import price_table
from territoires.commands import add_config_argument, add_db_argument
from territoires.config import load_config
from territoires.errors import UsageError
from warehouse.db import db_path
from warehouse.retention import purge_if_due

HELP = "collect posts from the X API v2, Bluesky or Mastodon (incremental, idempotent, resumable)"


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
        help="pages per query per run, on every platform (default: $TERRITOIRES_X_MAX_PAGES "
        "or 50 on X, 20 on Bluesky and Mastodon); the rest is fetched by the next run",
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
    report = purge_if_due(db_path(args.db))
    if report is not None and not args.quiet:
        print(
            f"retention: {report.posts_removed} posts and {report.pages_removed} raw pages "
            "past retention_days removed (daily totals kept)",
            file=sys.stderr,
        )


def _platform(name: str) -> Platform:
    """The collector of ``name``, its settings checked (:class:`ValueError` if wrong)."""
    policy = RetryPolicy.from_env()
    if name == "bluesky":
        return BlueskyPlatform(policy=policy)
    if name == "mastodon":
        return MastodonPlatform(policy=policy)
    token = bearer_token()
    if not token:
        raise UsageError(
            "no X API token: set X_BEARER_TOKEN (or TWITTER_BEARER_TOKEN) in the environment"
        )
    x_base_url()
    price_table("x")
    return XPlatform(token, policy=policy)


def run(args: argparse.Namespace) -> int:
    territories = [load_config(path) for path in args.config]
    # X last, as it always came: its summary closes the output
    names = sorted(dict.fromkeys(args.platform or ["x"]), key=lambda name: name == "x")

    def progress(line: str) -> None:
        if not args.quiet:
            print(f"collect: {redact(line)}", file=sys.stderr, flush=True)

    status = 0
    for name in names:
        try:
            platform = _platform(name)
            settings = CollectSettings.from_env(args.max_pages)
        except ValueError as e:
            raise UsageError(str(e)) from None
        report = collect(
            platform,
            territories,
            db_path(args.db),
            settings=settings,
            lock_wait=args.wait,
            progress=progress,
        )
        text = platform.summary(report)
        if text:
            print(text)
        status = status or (0 if report.status == "ok" else 1)
    _retention(args)
    return status
