"""Our loading path with a DuckDB memory limit: ``python -m bench.ours IN DB LIMIT``.

The same steps as ``territoires import`` (:mod:`territoires.commands.import_pages`): the
writer (lock, migrate, snapshot), the territory, :func:`collectors.jsonl_import.import_files`
→ :func:`warehouse.load.load_pages`, then the account ids; only ``SET memory_limit`` is
added (through ``TERRITOIRES_MEMORY_LIMIT``, so every connection the writer opens has it),
to measure loading under a bounded buffer pool (``--memory-limit``).
"""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path

from collectors.jsonl_import import import_files
from territoires.config import load_config
from warehouse.db import writer
from warehouse.territory import resolve_account_ids, save_territory

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "villeneuve.toml"


def main(argv: list[str]) -> int:
    path, db, limit = Path(argv[0]), Path(argv[1]), argv[2]
    if not re.fullmatch(r"\d+(\.\d+)?\s*[KMGT]i?B", limit):
        raise SystemExit(f"memory limit like '3GB' expected, got {limit!r}")
    territory = load_config(EXAMPLE)
    os.environ["TERRITOIRES_MEMORY_LIMIT"] = limit  # every connection the writer opens
    start = time.perf_counter()
    with writer(db) as con:
        save_territory(con, territory)
        report = import_files(con, [path], territory.slug)
        resolve_account_ids(con, territory.slug)
    s = report.stats
    print(f"ours (memory_limit {limit}): {s.pages} pages, {s.posts} posts in "
          f"{time.perf_counter() - start:.1f} s")
    return 1 if report.skipped else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
