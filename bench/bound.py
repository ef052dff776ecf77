"""What the import cannot do without: ``python -m bench.bound FILE.jsonl``.

The floor (:mod:`bench.floor`) lands every post of the file in one bare table. Two things
the import owes beyond it are measured here, each done the cheapest way we know, to show
how much of the floor's 2× budget they take before any of the rest (accounts, hashtags,
mentions, links, territories, facts, rollups) is counted (docs/benchmark.md):

* each post once (the file holds some posts twice, as the API's pages do), two ways:
  ``once``, ``SELECT DISTINCT ON (id)`` into a bare table, enough for one file into an empty
  warehouse; ``keyed``, ``INSERT … ON CONFLICT DO NOTHING`` into a table keyed by
  ``(platform, id)``, which later files can be landed into; both straight from
  ``read_json``, then ``CHECKPOINT``;
* ``raw copy``: the file's bytes as immutable compressed files before the tables (the raw
  layer, docs/design.md §2): zstd by pieces of 64 MiB, each named by its SHA-256,
  fsynced with its folder, two pieces at once (our raw layer writes Parquet by territory
  and day instead).

The four run in turn, ``--repeats`` times, in this process; each repeat starts from
empty files. The bounds are ``once + raw copy`` and ``keyed + raw copy``: a post once and
the raw layer are both owed, one after the other.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import sys
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import duckdb
import pyarrow as pa

from bench.floor import FLOOR_SQL, TWEET, load_floor
from bench.loading import remove_warehouse
from warehouse.raw_files import fsync_dir

PIECE = 64 << 20  # bytes of the file compressed as one raw file
ZSTD = pa.Codec("zstd", compression_level=1)

# the floor's columns (read from bench.floor's TWEET), with the platform and the key
KEYED_TABLE = (
    "CREATE TABLE posts (platform VARCHAR NOT NULL, "
    + TWEET.removeprefix("STRUCT(").removesuffix(")")
    + ", PRIMARY KEY (platform, id))"
)
KEYED_SQL = (  # the floor's SELECT, with the platform
    "INSERT INTO posts BY NAME SELECT 'x' AS platform, "  # noqa: S608 (constants)
    + FLOOR_SQL.split("SELECT ", 1)[1]
    + "ON CONFLICT DO NOTHING"
)
ONCE_SQL = (  # the floor's SELECT, one row per post id
    "CREATE TABLE posts AS SELECT DISTINCT ON (id) 'x' AS platform, * FROM ("  # noqa: S608
    + FLOOR_SQL.split(" AS\n", 1)[1] + ")"
)


def load_posts(path: str, db: str, memory_limit: str, *statements: str) -> int:
    """Run ``statements`` (reading ``$path``) on a new warehouse; return its posts."""
    con = duckdb.connect(db)
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute(f"SET memory_limit = '{memory_limit}'")
        for sql in statements:
            con.execute(sql, {"path": path} if "$path" in sql else None)
        con.execute("CHECKPOINT")
        return int(con.execute("SELECT count(*) FROM posts").fetchall()[0][0])
    finally:
        con.close()


def _write_piece(folder: Path, piece: bytes) -> int:
    data = ZSTD.compress(piece, asbytes=True)  # releases the GIL: two pieces at once
    target = folder / f"{hashlib.sha256(data).hexdigest()[:32]}.jsonl.zst"
    with open(target, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    return len(data)


def copy_raw(path: str, folder: Path) -> int:
    """The file's bytes as zstd pieces named by their SHA-256, fsynced, two pieces at a
    time (both cores); returns the bytes written."""
    folder.mkdir(parents=True)
    written = 0
    with open(path, "rb") as src, ThreadPoolExecutor(2) as pool:
        pending: list[Future[int]] = []
        while piece := src.read(PIECE):
            pending.append(pool.submit(_write_piece, folder, piece))
            if len(pending) == 2:  # at most two pieces in memory
                written += pending.pop(0).result()
        written += sum(f.result() for f in pending)
    fsync_dir(folder)
    return written


def _fresh(*paths: Path) -> None:
    for p in paths:
        if p.is_dir():
            shutil.rmtree(p)
        else:
            remove_warehouse(p)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.bound", description=__doc__.splitlines()[0])
    p.add_argument("file", type=Path, help="a JSONL file of X API v2 pages (python -m bench's)")
    p.add_argument("--work-dir", type=Path, required=True,
                   help="where the three warehouses and the raw copy are written, then removed")
    p.add_argument("--memory-limit", default="2.5GB")
    p.add_argument("--repeats", type=int, default=2)
    args = p.parse_args(argv)
    work = args.work_dir
    work.mkdir(parents=True, exist_ok=True)
    dbs = {name: work / f"{name}.duckdb" for name in ("floor", "once", "keyed")}
    raw = work / "raw"
    file, limit = str(args.file), args.memory_limit
    runs: dict[str, tuple[Callable[[], int], Path]] = {
        "floor": (lambda: load_floor(file, str(dbs["floor"]), limit), dbs["floor"]),
        "once": (lambda: load_posts(file, str(dbs["once"]), limit, ONCE_SQL), dbs["once"]),
        "keyed": (lambda: load_posts(file, str(dbs["keyed"]), limit, KEYED_TABLE, KEYED_SQL),
                  dbs["keyed"]),
        "raw copy": (lambda: copy_raw(file, raw), raw),
    }
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(args.repeats):
        for name, (run, target) in runs.items():
            _fresh(target)
            start = time.perf_counter()
            result = run()
            times[name].append(time.perf_counter() - start)
            print(f"{name}: {result:,} {'bytes' if name == 'raw copy' else 'posts'} "
                  f"in {times[name][-1]:.2f} s", flush=True)
    med = {k: statistics.median(v) for k, v in times.items()}
    floor = med["floor"]
    print(f"\n{args.file.name}, median of {args.repeats}:")
    for name, s in med.items():
        print(f"  {name:<16} {s:8.2f} s  {s / floor:5.2f}× the floor")
    for way in ("once", "keyed"):
        bound = med[way] + med["raw copy"]
        print(f"  {way + ' + raw copy':<16} {bound:8.2f} s  {bound / floor:5.2f}× the floor")
    _fresh(*dbs.values(), raw)
    return 0


if __name__ == "__main__":
    sys.exit(main())
