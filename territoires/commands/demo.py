"""``territoires demo``: build a realistic demo warehouse, then serve the dashboard."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

from collectors.demo import default_anchor, generate_places
from collectors.read_ahead import read_ahead
from territoires import share
from territoires.commands import add_db_argument
from territoires.commands.serve import add_serve_arguments, serve
from territoires.errors import UsageError
from territoires.example import demo_places, max_territories
from warehouse import raw_files
from warehouse.db import db_path, writer
from warehouse.load import LoadStats, load_pages
from warehouse.territory import resolve_account_ids, save_territory

HELP = "build a demo warehouse of fictional territories, then serve the dashboard"


def _anchor(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a date like 2025-03-14, got {value!r}"
        ) from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_db_argument(parser)
    parser.add_argument(
        "--posts", type=int, default=20_000, help="posts to generate (default 20000)"
    )
    parser.add_argument(
        "--seed", type=int, default=1, help="random seed (same seed, same warehouse)"
    )
    parser.add_argument(
        "--territories",
        type=int,
        default=1,
        metavar="N",
        help=f"fictional territories of mixed sizes, 1 to {max_territories()}, sharing the "
        "posts (default 1: Villeneuve-sur-Loire alone)",
    )
    parser.add_argument(
        "--anchor",
        type=_anchor,
        metavar="DATE",
        help="the data covers the 13 weeks before this date's midnight "
        "(default: today in the territory's time zone)",
    )
    parser.add_argument("--no-serve", action="store_true", help="build the warehouse and stop")
    add_serve_arguments(parser)


def build_demo(
    db: Path,
    posts: int,
    seed: int,
    anchor: date | None = None,
    progress: bool = False,
    territories: int = 1,
) -> tuple[int, LoadStats]:
    """Replace ``db`` with a fresh demo warehouse of ``territories`` fictional territories
    (territoires/demo_territories.toml, the first ones); return (posts landed, load stats).

    ``posts`` is the total, shared among the territories by size (square root of the
    population); "posts landed" counts rows of ``territory_posts``, so a post that belongs
    to two territories counts twice. One territory is exactly the historical demo."""
    if db.exists():
        db.unlink()  # a demo warehouse is rebuilt from scratch: same seed, same warehouse
    for suffix in (".wal", ".snapshot"):
        p = db.with_name(db.name + suffix)
        if p.exists():
            p.unlink()
    raw_files.remove(db)
    places = demo_places(territories)
    anchor = anchor or default_anchor(places[0].territory)
    with writer(db) as con:
        for place in places:
            save_territory(con, place.territory)
        # the territories' pages in time order, as a daily collection lands them: posts
        # then lie in time order on disk (collectors/demo/interleave.py); generated to
        # files beside the warehouse first, so the load starts once all are generated
        pages = generate_places(places, posts=posts, seed=seed, progress=progress,
                                anchor=anchor, spool_dir=db.parent)
        # generated while the SQL runs, one 64 MB batch ahead (about 600 pages, each about
        # 290 kB as Python strings); the queue fills while DuckDB checkpoints its WAL, the
        # load's peak of memory, so it is not made deeper (1,000 pages held 290 MB there)
        stats = load_pages(con, read_ahead(pages, 600), bulk=True)
        for place in places:
            resolve_account_ids(con, place.territory.slug)
        landed = con.execute("SELECT count(*) FROM territory_posts").fetchone()[0]  # type: ignore[index]
    return int(landed), stats


def run(args: argparse.Namespace) -> int:
    if args.posts < 1:
        raise UsageError(f"--posts: expected a positive number, got {args.posts}")
    most = max_territories()
    if not 1 <= args.territories <= most:
        raise UsageError(
            f"--territories: expected a number from 1 to {most}, got {args.territories}"
        )
    if args.posts < args.territories:
        raise UsageError(
            f"--posts: expected at least one post per territory ({args.territories}), "
            f"got {args.posts}"
        )
    db = db_path(args.db)
    start = time.perf_counter()
    landed, stats = build_demo(
        db,
        args.posts,
        args.seed,
        anchor=args.anchor,
        progress=sys.stderr.isatty(),
        territories=args.territories,
    )
    elapsed = time.perf_counter() - start
    if args.territories == 1:
        what = f"demo territory {demo_places(1)[0].territory.name!r}"
    else:
        what = f"{args.territories} demo territories"
    print(f"{db}: {what}: {landed} posts from {stats.pages} pages in {elapsed:.1f} s")
    # shared links work out of the box: a secret beside the demo warehouse, which `serve`
    # and `share` read when $TERRITOIRES_SHARE_SECRET is unset (git-ignored, mode 0600)
    print(f"{share.ensure_secret_file(db)}: shared-link secret (kept between demo runs)")
    if args.no_serve:
        return 0
    return serve(db, args.port, args.address, without_sign_in=args.listen_without_sign_in)
