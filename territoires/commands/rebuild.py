"""``territoires rebuild``: recreate every table from the raw pages alone."""

from __future__ import annotations

import argparse
import time

from territoires.commands import add_db_argument
from warehouse.db import db_path, writer
from warehouse.load import rebuild
from warehouse.territory import resolve_account_ids

HELP = "rebuild every table from the raw pages (after a parser or definition change)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_db_argument(parser)


def run(args: argparse.Namespace) -> int:
    db = db_path(args.db)
    start = time.perf_counter()
    with writer(db) as con:
        stats = rebuild(con)
        resolve_account_ids(con)
        posts = (con.execute("SELECT count(*) FROM posts").fetchone() or (0,))[0]
    print(
        f"{db}: rebuilt from {stats.pages} raw pages: {posts} posts "
        f"in {time.perf_counter() - start:.1f} s"
    )
    return 0
