"""Where an import's time goes, statement by statement.

``python -m bench.statements FILE --into WAREHOUSE [--memory-limit 3GB] [--top 30]``

Copies ``WAREHOUSE`` (an existing warehouse, to load into one of a given size; without it,
a new one with the example territory), then imports ``FILE`` through the real loading path
(:func:`collectors.jsonl_import.read_pages` → :func:`warehouse.load.load_pages`) with a
proxy around the connection that times every SQL statement. Pages are streamed, read
without reading ahead so the two times stay apart. Prints the Python reading time, the
loading time, what publishing the snapshot runs after an import (the facts and daily rollups
recomputed whole, then ``CHECKPOINT``) and the
statements that took longest, summed over batches (a statement's first 100 characters
name it; ``COMMIT`` includes any checkpoint DuckDB runs on its own).
The copy is left beside the original (``WAREHOUSE.statements``) and overwritten each run.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb

from collectors.jsonl_import import is_bulk, read_pages
from territoires.config import load_config
from warehouse import facts, raw_files
from warehouse.db import WRITER_CHECKPOINT_THRESHOLD, connect, copy_warehouse
from warehouse.load import load_pages
from warehouse.migrations import migrate
from warehouse.pages import RawPage
from warehouse.territory import save_territory

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "villeneuve.toml"


class TimedConnection:
    """A DuckDB connection whose ``execute``/``executemany`` add their time to ``times``."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con
        self.times: dict[str, float] = defaultdict(float)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)

    def _timed(self, method: str, sql: str, *args: Any) -> Any:
        started = time.perf_counter()
        try:
            return getattr(self._con, method)(sql, *args)
        finally:
            key = re.sub(r"\s+", " ", sql).strip()[:100]
            self.times[key] += time.perf_counter() - started

    def execute(self, sql: str, *args: Any) -> Any:
        return self._timed("execute", sql, *args)

    def executemany(self, sql: str, *args: Any) -> Any:
        return self._timed("executemany", sql, *args)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.statements",
                                description=__doc__.splitlines()[0])
    p.add_argument("file", type=Path, help="X API v2 pages as JSONL (python -m bench's data)")
    p.add_argument("--into", type=Path, help="warehouse to copy and load into")
    p.add_argument("--memory-limit", help="DuckDB memory_limit, e.g. 3GB")
    p.add_argument("--top", type=int, default=30, help="statements to print")
    args = p.parse_args(argv)
    if args.memory_limit and not re.fullmatch(r"\d+(\.\d+)?\s*[KMGT]i?B", args.memory_limit):
        p.error(f"--memory-limit: a size like '3GB' expected, got {args.memory_limit!r}")
    target = Path(f"{args.into or args.file.with_suffix('.duckdb')}.statements")
    target.unlink(missing_ok=True)
    raw_files.remove(target)
    if args.into:
        copy_warehouse(args.into, target)
    con = connect(target)
    con.execute(f"SET checkpoint_threshold = '{WRITER_CHECKPOINT_THRESHOLD}'")  # as the writer
    if args.memory_limit:
        con.execute(f"SET memory_limit = '{args.memory_limit}'")  # validated above
    migrate(con)
    territory = load_config(EXAMPLE)
    if not args.into:
        save_territory(con, territory)

    reading = 0.0
    count = 0

    def pages() -> Iterator[RawPage]:  # streamed (a 10M-post file does not fit in memory)
        nonlocal reading, count
        source = read_pages(args.file, territory.slug, lambda m: print(m, file=sys.stderr))
        while True:
            started = time.perf_counter()
            page = next(source, None)
            reading += time.perf_counter() - started
            if page is None:
                return
            count += 1
            yield page

    timed = TimedConnection(con)
    started = time.perf_counter()
    bulk = is_bulk(con, [args.file])  # as ``territoires import`` decides
    stats = load_pages(timed, pages(), bulk=bulk)  # type: ignore[arg-type]
    loading = time.perf_counter() - started - reading
    started = time.perf_counter()  # what publishing the snapshot runs next
    timed.execute("BEGIN TRANSACTION")
    facts.ensure_current(timed)  # type: ignore[arg-type]
    timed.execute("COMMIT")
    recompute = time.perf_counter() - started
    started = time.perf_counter()
    con.execute("CHECKPOINT")
    checkpoint = time.perf_counter() - started
    con.close()
    print(f"{count:,} pages ({'bulk' if bulk else 'batch by batch'}), {stats.posts:,} post copies:"
          f" reading (Python) {reading:.2f} s,"
          f" loading {loading:.2f} s, then facts and rollups {recompute:.2f} s,"
          f" CHECKPOINT {checkpoint:.2f} s")
    for sql, seconds in sorted(timed.times.items(), key=lambda kv: -kv[1])[: args.top]:
        print(f"{seconds:8.2f} s  {sql}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
