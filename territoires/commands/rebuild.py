"""``territoires rebuild``: recreate every table from the raw pages alone (the raw layer's
files, docs/design.md §2)."""

from __future__ import annotations

import argparse
import sys
import time

from territoires.commands import add_db_argument
from warehouse import raw_files
from warehouse.db import db_path, writer
from warehouse.load import rebuild
from warehouse.territory import resolve_account_ids
from warehouse.txn import transaction

HELP = "rebuild every table from the raw pages (after a parser or definition change)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_db_argument(parser)
    parser.add_argument(
        "--adopt", action="store_true",
        help="first list the raw layer's files the warehouse does not know (restored from a "
             "backup newer than the warehouse file) and replay their pages too",
    )


def run(args: argparse.Namespace) -> int:
    db = db_path(args.db)
    start = time.perf_counter()
    with writer(db) as con:
        strays = raw_files.strays(con)
        if strays and args.adopt:
            with transaction(con):
                added = raw_files.adopt(con, strays)
            print(f"{db}: adopted {len(strays)} files of the raw layer ({added} new pages)")
        elif strays:
            print(
                f"{db}: {len(strays)} files of {raw_files.raw_dir(db)} are not listed by this "
                f"warehouse (first: {strays[0]}); they are left as they are: "
                "`territoires rebuild --adopt` replays their pages too",
                file=sys.stderr,
            )
        try:
            stats = rebuild(con)  # checks the raw layer before it drops anything
        except raw_files.RawLayerError as e:
            print(f"{db}: cannot rebuild, the raw layer lacks pages the warehouse lists "
                  "(restore them from the backup of the same day; nothing was changed):",
                  file=sys.stderr)
            for line in e.problems:
                print(f"  {line}", file=sys.stderr)
            return 1
        resolve_account_ids(con)
        posts = (con.execute("SELECT count(*) FROM posts").fetchone() or (0,))[0]
    print(
        f"{db}: rebuilt from {stats.pages} raw pages: {posts} posts "
        f"in {time.perf_counter() - start:.1f} s"
    )
    return 0
