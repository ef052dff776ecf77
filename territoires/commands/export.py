"""``territoires export --lake DIR``: the warehouse's base tables as hive-partitioned Parquet
(territory, month), readable by any engine (warehouse/lake.py; docs/scale.md).

Read from the published snapshot (never blocks a writer), with the triage journal's newest
decisions. A re-export replaces the lake whole.
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import UTC, datetime

from territoires.commands import add_db_argument
from territoires.errors import UsageError
from warehouse.db import db_path, snapshot_path
from warehouse.lake import export
from warehouse.read import reader_cursor
from warehouse.territory import load_territories

HELP = "export the warehouse's tables as hive-partitioned Parquet (a lake any engine reads)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_db_argument(parser)
    parser.add_argument("--lake", required=True, metavar="DIR",
                        help="the lake's folder (replaced whole if it is already a lake)")


def run(args: argparse.Namespace) -> int:
    db = db_path(args.db)
    if not db.exists() and not snapshot_path(db).exists():
        raise UsageError(f"{db}: no warehouse here (build one with `territoires import` or `demo`)")
    start = time.perf_counter()
    cur = reader_cursor(db)
    try:
        snap = snapshot_path(db)
        taken = datetime.fromtimestamp(os.stat(snap).st_mtime, UTC).replace(microsecond=0)
        try:
            report = export(cur, args.lake, load_territories(cur), snapshot_at=taken)
        except FileExistsError as exc:
            raise UsageError(str(exc)) from None
    finally:
        cur.close()
    counts = ", ".join(f"{name} {n}" for name, n in report.rows.items())
    print(f"{report.lake}: {counts} rows in {time.perf_counter() - start:.1f} s")
    return 0
