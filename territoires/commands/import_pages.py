"""``territoires import FILE… --config FILE``: land X API v2 pages from JSONL files.

Each line that cannot be landed (not JSON, not UTF-8, not an X API v2 page) is reported on
stderr with its file and line; the valid lines of the same file are landed all the same.
Exit status: 0 every line landed; 1 some lines (or files) were skipped; 2 bad usage.
"""

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
    if report.skipped:
        print(f"territoires import: {len(report.skipped)} line(s) or file(s) skipped, listed "
              "above (nothing of them was landed; the valid pages were)", file=sys.stderr)
        return 1
    return 0
