"""``python -m bench.observatory --territories 30 --posts 10000000``: the observatory's benchmark.

Builds the demo of many fictional territories (``territoires demo --territories N --posts P
--no-serve``, in a child process: its wall time and its own peak RSS, ``os.wait4``, the
figure ``/usr/bin/time -v`` prints), then times every dashboard page's queries on it, the
way ``python -m bench`` does (:mod:`bench.queries`: the calls each page makes, recorded by
running it with AppTest, replayed uncached and cached), for one territory of the warehouse
(by default the one with the most posts, the métropole): the Baromètre page, which compares
them all, is timed with the others. Prints a table, one line per page against the targets
(uncached < 1 s, cached < 0.1 s), and writes JSON. See docs/benchmark.md, "The observatory".
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import asdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from bench import loading, report

OUT = Path(__file__).resolve().parent / "out"
ANCHOR = date(2025, 6, 2)  # fixed, so figures are reproducible
UNCACHED_TARGET_S = 1.0
CACHED_TARGET_S = 0.1


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.observatory",
                                description=__doc__.splitlines()[0])
    p.add_argument("--territories", type=int, default=30, help="fictional territories (30)")
    p.add_argument("--posts", type=int, default=1_000_000, help="posts in all (1000000)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--anchor", type=date.fromisoformat, default=ANCHOR,
                   help="the demo's anchor date (data covers the 13 weeks before)")
    p.add_argument("--territory", metavar="SLUG",
                   help="the territory whose pages are timed (default: the most posts)")
    p.add_argument("--work-dir", type=Path, default=OUT, help="warehouses and logs")
    p.add_argument("--out", type=Path,
                   help="JSON results (default: WORK_DIR/observatory-<time>.json)")
    p.add_argument("--query-repeats", type=int, default=3, help="uncached passes (default 3)")
    p.add_argument("--memory-limit", metavar="SIZE",
                   help="$TERRITOIRES_MEMORY_LIMIT of the load (DuckDB memory_limit, e.g. 3GB)")
    p.add_argument("--queries-only", action="store_true",
                   help="no loading: time the pages on the warehouse an earlier run left")
    return p.parse_args(argv)


def warehouse(args: argparse.Namespace) -> Path:
    return args.work_dir / "db" / f"observatory-{args.territories}-{args.posts}.duckdb"


def load(args: argparse.Namespace, db: Path) -> dict[str, Any]:
    """``territoires demo`` in a child process: wall time and peak RSS."""
    db.parent.mkdir(parents=True, exist_ok=True)
    log = args.work_dir / "logs" / f"observatory-{args.territories}-{args.posts}.log"
    env = dict(os.environ)
    if args.memory_limit:
        env["TERRITOIRES_MEMORY_LIMIT"] = args.memory_limit
    run = loading.run_child(
        [sys.executable, "-m", "territoires.cli", "demo", "--territories",
         str(args.territories), "--posts", str(args.posts), "--seed", str(args.seed),
         "--anchor", args.anchor.isoformat(), "--no-serve", "--db", str(db)], log, env=env)
    if run.returncode != 0:
        raise RuntimeError(f"{log}: exit {run.returncode}:\n"
                           + log.read_text(errors="replace")[-2000:])
    return {"seconds": run.seconds, "posts_per_s": args.posts / run.seconds,
            "peak_rss": run.peak_rss, "memory_limit": args.memory_limit, "log": str(log)}


def posts_per_territory(db: Path) -> dict[str, int]:
    from warehouse.read import query_rows

    rows = query_rows(str(db), "SELECT territory, count(*) FROM territory_posts GROUP BY ALL")
    return {str(t): int(n) for t, n in sorted(rows, key=lambda r: (-r[1], r[0]))}


def verdicts(pages: list[dict[str, Any]]) -> list[str]:
    """One line per page against the targets."""
    out = []
    for p in pages:
        ok_u, ok_c = p["uncached_s"] < UNCACHED_TARGET_S, p["cached_s"] < CACHED_TARGET_S
        out.append(f"{p['page']}: uncached {p['uncached_s']:.3f} s "
                   f"({'met' if ok_u else 'MISSED'}, < {UNCACHED_TARGET_S:g} s), cached "
                   f"{p['cached_s']:.3f} s ({'met' if ok_c else 'MISSED'}, "
                   f"< {CACHED_TARGET_S:g} s)")
    return out


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from bench import queries
    from collectors.demo import demo_period
    from territoires.example import demo_places

    started = datetime.now(UTC)
    out = args.out or args.work_dir / f"observatory-{started:%Y%m%dT%H%M%S}.json"
    db = warehouse(args)
    print(f"== {args.territories} territories, {args.posts:,} posts: {db}", flush=True)
    if args.queries_only:
        if not db.is_file():
            raise SystemExit(f"{db}: no warehouse of an earlier run to time")
        from warehouse.db import writer

        with writer(db):  # migrations and facts of this code, then a fresh snapshot
            pass
        loaded = None
    else:
        print("  load: territoires demo…", flush=True)
        loaded = load(args, db)
        print(f"  load: {loaded['seconds']:.1f} s, peak RSS "
              f"{loaded['peak_rss'] / report.MB:,.0f} MB", flush=True)
    counts = posts_per_territory(db)
    slug = args.territory or next(iter(counts))
    places = {p.territory.slug: p for p in demo_places(args.territories)}
    if slug not in places:
        raise SystemExit(f"--territory: {slug!r} is not one of the demo's {args.territories}")
    as_of = demo_period(places[slug].territory, args.anchor)[1]
    view = queries.default_view(str(db), as_of, slug)
    print(f"  pages of {slug} ({counts.get(slug, 0):,} posts): view {view.since}..{view.until}"
          f" as of {view.as_of}", flush=True)
    failed: dict[str, str] = {}
    t0 = time.perf_counter()
    pages = [asdict(p) for p in queries.time_pages(str(db), view, args.query_repeats, slug,
                                                   failed)]
    result: dict[str, Any] = {
        "started": started.isoformat(), "argv": sys.argv[1:] if argv is None else argv,
        "territories": args.territories, "posts": args.posts, "seed": args.seed,
        "anchor": args.anchor.isoformat(), "load": loaded,
        "posts_per_territory": counts, "territory": slug,
        "view": {"since": str(view.since), "until": str(view.until),
                 "as_of": view.as_of.isoformat()},
        "pages": pages, "failed_pages": failed, "queries_s": time.perf_counter() - t0,
        "targets": {"uncached_s": UNCACHED_TARGET_S, "cached_s": CACHED_TARGET_S},
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1, default=str))
    print(report.pages_table(result))
    print("\n".join(verdicts(pages)))
    for page, message in failed.items():
        print(f"{page}: FAILED to run: {message}")
    if loaded:
        limit = f", memory limit {args.memory_limit}" if args.memory_limit else ""
        print(f"load: {args.posts:,} posts in {args.territories} territories in "
              f"{loaded['seconds']:.1f} s, peak RSS {loaded['peak_rss'] / report.MB:,.0f} MB"
              f"{limit}")
    top = ", ".join(f"{t} {n:,}" for t, n in list(counts.items())[:3])
    print(f"posts per territory: {top}, … {min(counts.values()):,} for the smallest")
    print(f"results: {out}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
