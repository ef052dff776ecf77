"""``territoires forget ACCOUNT``: erase one person's data everywhere (GDPR right to object).

``ACCOUNT`` is a handle (``@handle`` to match handles only) or a user id; ``--post ID``
erases one post; ``--deletions`` applies the deletions the platform reported (compliance
events with action ``delete``). Posts, profile, mentions, raw pages, spool files are
rewritten (see :mod:`warehouse.forget`), the triage decisions about the erased posts are
deleted and the person's own triage decisions anonymised (name and note), the file is
compacted so no deleted row stays in free blocks, and the snapshot is republished. Only
the fact of an erasure is recorded. The output never repeats who was erased.
"""

from __future__ import annotations

import argparse

from model import PLATFORMS
from territoires.commands import add_db_argument
from territoires.errors import UsageError
from warehouse.db import compact, connect, db_path, publish_snapshot, writer_lock
from warehouse.forget import ErasureReport, forget_account, forget_post
from warehouse.migrations import migrate
from warehouse.platform_deletions import honour_deletions

HELP = "erase one person's (or one post's) data everywhere, snapshot and spool included (GDPR)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "account", nargs="?", metavar="ACCOUNT",
        help="a handle (with or without @; '@handle' matches handles only) or a user id",
    )
    parser.add_argument("--post", metavar="ID", help="erase this one post (and its pure reposts)")
    parser.add_argument(
        "--deletions", action="store_true",
        help="apply the deletions the platform reported (compliance events with action delete)",
    )
    parser.add_argument("--platform", choices=PLATFORMS, help="limit to one platform")
    add_db_argument(parser)


def run(args: argparse.Namespace) -> int:
    chosen = [x for x in (args.account, args.post, args.deletions or None) if x]
    if len(chosen) != 1:
        raise UsageError("give exactly one of ACCOUNT, --post ID or --deletions")
    if args.account is not None and not args.account.strip().lstrip("@"):
        raise UsageError("ACCOUNT: expected a handle or a user id")
    db = db_path(args.db)
    if not db.exists():
        raise UsageError(f"{db}: no warehouse here")
    with writer_lock(db):
        con = connect(db)
        try:
            migrate(con)
            hits = None
            if args.account is not None:
                report, _ = forget_account(con, args.account, args.platform, db=db)
            elif args.post is not None:
                report, _ = forget_post(con, args.post, args.platform or "x", db=db)
            else:
                report, hits = ErasureReport(), honour_deletions(con, db=db)
        finally:
            con.close()
        compact(db)  # deleted rows must not survive in free blocks (nor in the snapshot copy)
        con = connect(db)
        try:
            publish_snapshot(con, db)
        finally:
            con.close()
    if hits is not None:
        print(f"{db}: platform deletions applied: {hits}; snapshot republished")
        return 0
    if not (report.found or report.spool_files_rewritten):
        print(f"{db}: nothing found to erase (the erasure request is recorded)")
        return 1
    print(
        f"{db}: erased {report.posts_removed} posts and {report.accounts_removed} profiles; "
        f"{report.pages_rewritten} raw pages and {report.spool_files_rewritten} spool files "
        f"rewritten; {report.decisions_removed} triage decisions about the posts erased, "
        f"{report.decisions_anonymised} made by the person anonymised (name and note); "
        "warehouse compacted and snapshot republished"
    )
    return 0
