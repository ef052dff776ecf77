"""``territoires import FILE… --config FILE``: land X API v2 pages from JSONL files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from collectors.jsonl_import import import_files
from territoires.commands import add_config_argument, add_db_argument
from territoires.config import load_config
from warehouse.db import db_path, writer
from warehouse.territory import resolve_account_ids, save_territory

HELP = "land X API v2 response pages from JSONL files (one page per line, as twarc2 writes)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE", type=Path)
    add_config_argument(parser)
    add_db_argument(parser)


def run(args: argparse.Namespace) -> int:
    territory = load_config(args.config)
    db = db_path(args.db)
    with writer(db) as con:
        save_territory(con, territory)
        report = import_files(
            con,
            args.files,
            territory.slug,
            on_error=lambda m: print(f"skipped {m}", file=sys.stderr),
            progress=sys.stderr.isatty(),
        )
        resolve_account_ids(con, territory.slug)
    s = report.stats
    print(
        f"{db}: {report.files} file(s), {s.pages} pages ({s.new_pages} new), "
        f"{s.posts} posts, {s.accounts} accounts, {s.errors} partial errors recorded, "
        f"{len(report.skipped)} skipped"
    )
    return 1 if report.skipped else 0
