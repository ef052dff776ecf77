"""``territoires demo``: build a realistic demo warehouse, then serve the dashboard."""

from __future__ import annotations

import argparse
import sys
import time

from collectors.demo import demo_territory, generate_pages
from territoires.commands import add_db_argument
from territoires.commands.serve import add_serve_arguments, serve
from warehouse.db import db_path, writer
from warehouse.load import load_pages
from warehouse.territory import resolve_account_ids, save_territory

HELP = "build a demo warehouse for a fictional territory, then serve the dashboard"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_db_argument(parser)
    parser.add_argument("--posts", type=int, default=20_000, help="posts to generate (default 20000)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (same seed, same warehouse)")
    parser.add_argument("--no-serve", action="store_true", help="build the warehouse and stop")
    add_serve_arguments(parser)


def run(args: argparse.Namespace) -> int:
    db = db_path(args.db)
    if db.exists():
        db.unlink()  # a demo warehouse is rebuilt from scratch: same seed, same warehouse
        for suffix in (".wal", ".snapshot"):
            p = db.with_name(db.name + suffix)
            if p.exists():
                p.unlink()
    territory = demo_territory()
    start = time.perf_counter()
    with writer(db) as con:
        save_territory(con, territory)
        stats = load_pages(
            con, generate_pages(territory, posts=args.posts, seed=args.seed, progress=sys.stderr.isatty())
        )
        resolve_account_ids(con, territory.slug)
        posts = con.execute("SELECT count(*) FROM territory_posts").fetchone()[0]
    print(
        f"{db}: demo territory {territory.name!r}: {posts} posts from {stats.pages} pages "
        f"in {time.perf_counter() - start:.1f} s"
    )
    if args.no_serve:
        return 0
    return serve(db, args.port, args.address)
