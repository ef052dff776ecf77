"""DuckDB and Spark side by side on one warehouse and its lake (docs/scale.md, "Measured").

    .venv/bin/territoires export --db W.duckdb --lake /tmp/lake
    .venv/bin/python scripts/spark_vs_duckdb.py --db W.duckdb --lake /tmp/lake \\
        --since 2026-11-02 --until 2026-11-30 --as-of 2026-12-05 [--memory 4g]

The territories of the warehouse (or ``--only``) as the baromètre computes them: DuckDB's
headlines in one statement (its facts are kept at load time; ``--facts`` also times
recomputing them whole on a copy), then Spark's: session start, the facts recomputed from
the lake's base tables in one pass for the set, the headlines in one statement; whether the
JSON of each territory is equal.
Peak memory: this process's (DuckDB) and the Spark JVM's (``VmHWM``, local mode).
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

import duckdb

from warehouse import facts, spark_engine
from warehouse.metrics import headlines_for
from warehouse.migrations import migrate
from warehouse.read import reader_cursor
from warehouse.territory import load_territories


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _duckdb_facts(db: str) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "w.duckdb"
        shutil.copy(db, copy)
        con = duckdb.connect(str(copy))
        migrate(con)
        facts.invalidate(con)
        start = time.perf_counter()
        con.execute("BEGIN")
        facts.ensure_current(con)
        con.execute("COMMIT")
        con.close()
        return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", required=True)
    ap.add_argument("--lake", required=True)
    ap.add_argument("--since", required=True, type=date.fromisoformat)
    ap.add_argument("--until", required=True, type=date.fromisoformat)
    ap.add_argument("--as-of", required=True, type=datetime.fromisoformat)
    ap.add_argument("--memory", default="4g", help="Spark driver memory (local mode)")
    ap.add_argument("--only", metavar="SLUG,…", help="these territories only")
    ap.add_argument("--facts", action="store_true", help="also time DuckDB's facts, whole")
    a = ap.parse_args()
    cur = reader_cursor(a.db)
    territories = load_territories(cur)
    if a.only:
        wanted = set(a.only.split(","))
        if unknown := wanted - {t.slug for t in territories}:
            raise SystemExit(f"--only: not in {a.db}: {', '.join(sorted(unknown))}")
        territories = [t for t in territories if t.slug in wanted]
    start = time.perf_counter()
    one = headlines_for(cur, territories, [(a.since, a.until)], a.as_of)
    duck = [one[t.slug][0] for t in territories]
    print(f"duckdb: {len(territories)} headlines (one statement) in "
          f"{time.perf_counter() - start:.2f} s, "
          f"peak RSS {_rss_mib():.0f} MiB", flush=True)
    if a.facts:
        print(f"duckdb: facts recomputed whole in {_duckdb_facts(a.db):.1f} s", flush=True)
    start = time.perf_counter()
    spark = spark_engine.session(memory=a.memory)
    engine = spark_engine.SparkMetrics(spark, a.lake)
    print(f"spark: session in {time.perf_counter() - start:.1f} s", flush=True)
    start = time.perf_counter()
    for name, df in engine.facts(territories).items():
        print(f"spark: {name}: {df.count()} rows", flush=True)
    print(f"spark: facts of the {len(territories)} territories (one pass) in "
          f"{time.perf_counter() - start:.1f} s", flush=True)
    start = time.perf_counter()
    per = engine.headlines_for(territories, [(a.since, a.until)], a.as_of)
    got = [per[t.slug][0] for t in territories]
    differ = [t.slug for t, g, d in zip(territories, got, duck, strict=True) if g != d]
    print(f"spark: {len(territories)} headlines in {time.perf_counter() - start:.1f} s; "
          f"equal to DuckDB's: {not differ}", flush=True)
    if differ:
        print(f"spark: differ from DuckDB's: {', '.join(differ)}", flush=True)
    jvm = spark.sparkContext._jvm
    assert jvm is not None  # local mode: the JVM this process started
    pid = jvm.ProcessHandle.current().pid()
    hwm = next(line for line in Path(f"/proc/{pid}/status").read_text().splitlines()
               if line.startswith("VmHWM"))
    print(f"spark: JVM peak RSS {int(hwm.split()[1]) / 1024:.0f} MiB", flush=True)
    spark.stop()


if __name__ == "__main__":
    main()
