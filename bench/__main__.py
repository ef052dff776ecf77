"""``python -m bench --posts 1000000``: Territoires against the floor, twarc-csv and pandas.

For each size: generate the demo's pages as JSONL (cached in ``bench/out/data``), load the
file with the floor and our import (alternating, ``--load-repeats`` times each), then
twarc-csv; time every dashboard page's queries uncached and cached on the warehouse our
import built; compute the headline metrics with pandas; print tables and write JSON.
Several sizes (``--posts 100000 1000000 10000000``) also give the growth per tenfold;
``--combine a.json b.json`` prints the growth across earlier runs. See docs/benchmark.md.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import asdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from bench import loading, report
from bench.data import ensure_jsonl

OUT = Path(__file__).resolve().parent / "out"
ANCHOR = date(2025, 6, 2)  # fixed, so files and figures are reproducible


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    p.add_argument("--posts", type=int, nargs="+", default=[1_000_000],
                   help="posts per run (several sizes: growth per tenfold)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--anchor", type=date.fromisoformat, default=ANCHOR,
                   help="the demo's anchor date (data covers the 13 weeks before)")
    p.add_argument("--work-dir", type=Path, default=OUT, help="data, warehouses and logs")
    p.add_argument("--out", type=Path, help="JSON results (default: WORK_DIR/bench-<time>.json)")
    p.add_argument("--load-repeats", type=int, default=2,
                   help="loads of floor and ours each, alternating (default 2)")
    p.add_argument("--query-repeats", type=int, default=3, help="uncached passes (default 3)")
    p.add_argument("--memory-limit", metavar="SIZE",
                   help="DuckDB memory_limit for our loading and the floor (e.g. 3GB)")
    p.add_argument("--queries-only", action="store_true",
                   help="no loading: time the pages on the warehouse an earlier run left in "
                        "WORK_DIR (brought up to the code's migrations first)")
    p.add_argument("--no-peer", action="store_true", help="skip twarc-csv")
    p.add_argument("--peer-max-posts", type=int, default=1_000_000,
                   help="run twarc-csv only up to this size (default 1000000)")
    p.add_argument("--twarc-venv", type=Path,
                   default=Path(__file__).resolve().parent / ".venv-twarc")
    p.add_argument("--no-pandas", action="store_true", help="skip the pandas comparison")
    p.add_argument("--pandas-max-posts", type=int, default=1_000_000,
                   help="run pandas only up to this size (default 1000000: it holds every "
                        "post in memory)")
    p.add_argument("--combine", type=Path, nargs="+", metavar="JSON",
                   help="only print the tables and growth of earlier result files")
    return p.parse_args(argv)


def _contender(run: loading.ChildRun, posts: int, rows: int | None = None,
               note: str = "") -> dict[str, Any]:
    if run.returncode != 0:
        raise RuntimeError(f"{run.log}: exit {run.returncode}:\n"
                           + run.log.read_text(errors="replace")[-2000:])
    return {"seconds": run.seconds, "posts_per_s": posts / run.seconds,
            "peak_rss": run.peak_rss, "rows": rows, "note": note, "log": str(run.log)}


def _landed(db: Path) -> int:
    from warehouse.read import query_rows

    return int(query_rows(str(db), "SELECT count(*) FROM territory_posts")[0][0])


def bench_loading(args: argparse.Namespace, jsonl: Path, posts: int, work: Path
                  ) -> tuple[dict[str, Any], Path]:
    logs = work / "logs"
    db = work / "db" / f"ours-{posts}.duckdb"
    floor_db = work / "db" / f"floor-{posts}.duckdb"
    db.parent.mkdir(parents=True, exist_ok=True)
    runs: dict[str, list[loading.ChildRun]] = {"floor": [], "ours": []}
    for rep in range(max(1, args.load_repeats)):
        order = ("floor", "ours") if rep % 2 == 0 else ("ours", "floor")
        for name in order:
            log = logs / f"{name}-{posts}-{rep}.log"
            print(f"  load {name} (pass {rep + 1})…", flush=True)
            if name == "floor":
                run = loading.run_floor(jsonl, floor_db, log, args.memory_limit)
            else:
                run = loading.run_ours(jsonl, db, log, args.memory_limit)
            _contender(run, posts)  # raises on failure
            runs[name].append(run)

    def best(name: str) -> loading.ChildRun:  # median time; its own peak RSS is the max seen
        rs = sorted(runs[name], key=lambda r: r.seconds)
        mid = rs[(len(rs) - 1) // 2]
        return loading.ChildRun(statistics.median(r.seconds for r in rs),
                                max(r.peak_rss for r in rs), 0, mid.log)

    floor_run = best("floor")
    floor_rows = int(floor_run.log.read_text().split("floor: ")[1].split()[0])
    out = {"floor": _contender(floor_run, posts, floor_rows, "read_json, one bare table"),
           "ours": _contender(best("ours"), posts, _landed(db),
                              "territoires import: every table, rollups, snapshot"
                              + (f" (memory_limit {args.memory_limit})"
                                 if args.memory_limit else "")),
           "times": {k: [r.seconds for r in v] for k, v in runs.items()}}
    if not args.no_peer and posts <= args.peer_max_posts:
        print("  load peer (twarc-csv)…", flush=True)
        twarc2 = loading.twarc_venv(args.twarc_venv, logs / "twarc-venv.log")
        run, rows = loading.run_peer(jsonl, work / "db" / f"peer-{posts}.csv",
                                     logs / f"peer-{posts}.log", twarc2)
        out["peer"] = _contender(run, posts, rows, "twarc2 csv (twarc-csv 0.7.2)")
    ours, floor, peer = out["ours"], out["floor"], out.get("peer")
    out["ratios"] = {"ours_over_floor": ours["seconds"] / floor["seconds"],
                     "peer_over_ours": peer["seconds"] / ours["seconds"] if peer else None}
    return out, db


def bench_size(args: argparse.Namespace, posts: int) -> dict[str, Any]:
    from bench import queries
    from collectors.demo import demo_period
    from territoires.example import demo_territory

    work = args.work_dir
    print(f"== {posts:,} posts", flush=True)
    ds = ensure_jsonl(work, posts, args.seed, args.anchor, progress=sys.stderr.isatty())
    print(f"  data: {ds.path} ({ds.pages:,} pages, {ds.bytes / 1e6:,.0f} MB"
          + (f", generated in {ds.seconds:.1f} s)" if ds.seconds else ", reused)"), flush=True)
    if args.queries_only:
        db, load = work / "db" / f"ours-{posts}.duckdb", None
        if not db.is_file():
            raise SystemExit(f"{db}: no warehouse of an earlier run to time")
        from warehouse.db import writer

        with writer(db):  # migrations and facts of this code, then a fresh snapshot
            pass
    else:
        load, db = bench_loading(args, ds.path, posts, work)
    print(report.loading_table({"loading": load}), flush=True)

    as_of = demo_period(demo_territory(), args.anchor)[1]
    view = queries.default_view(str(db), as_of)
    print(f"  pages: view {view.since}..{view.until} as of {view.as_of}", flush=True)
    pages = queries.time_pages(str(db), view, args.query_repeats)
    head_s, head = queries.time_headline(str(db), view, args.query_repeats)
    head = dict(head)
    head["relays_per_local_account"] = (round(head["local_relays"] / head["local_tweetos"], 4)
                                        if head.get("local_tweetos") else None)
    result: dict[str, Any] = {
        "posts": posts, "pages_in_file": ds.pages, "file_bytes": ds.bytes,
        "generate_s": ds.seconds or None, "loading": load,
        "view": {"since": str(view.since), "until": str(view.until),
                 "as_of": view.as_of.isoformat()},
        "pages": [asdict(p) for p in pages],
        "headline": {"seconds": head_s, "figures": head},
    }
    print(report.pages_table(result), flush=True)
    if not args.no_pandas and posts <= args.pandas_max_posts:
        print("  pandas…", flush=True)
        log = work / "logs" / f"pandas-{posts}.log"
        run = loading.run_child([sys.executable, "-m", "bench.notebook", str(ds.path),
                                 str(view.since), str(view.until_excl),
                                 view.as_of.isoformat()], log)
        if run.returncode != 0:
            raise RuntimeError(f"{log}: exit {run.returncode}")
        nb = json.loads(log.read_text().strip().splitlines()[-1])
        nb["peak_rss"] = run.peak_rss
        nb["wall_s"] = run.seconds
        nb["ratio_compute"] = nb["compute_s"] / head_s
        nb["ratio_end_to_end"] = ((nb["read_s"] + nb["compute_s"])
                                  / (load["ours"]["seconds"] + head_s) if load else None)
        keys = ("interpellations", "answered", "response_rate", "median_response_minutes",
                "p90_response_minutes", "local_relays", "local_tweetos")
        nb["agrees"] = {k: nb["figures"].get(k) == head.get(k) for k in keys}
        result["pandas"] = nb
    print(report.pandas_table(result), flush=True)
    return result


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.combine:
        sizes = [s for f in args.combine for s in json.loads(f.read_text())["sizes"]]
    else:
        started = datetime.now(UTC)
        sizes = []
        out = args.out or args.work_dir / f"bench-{started:%Y%m%dT%H%M%S}.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        for posts in sorted(set(args.posts)):
            sizes.append(bench_size(args, posts))
            doc = {"started": started.isoformat(), "argv": sys.argv[1:], "sizes": sizes,
                   "growth": report.growth(sizes), "seconds": time.perf_counter() - t0}
            out.write_text(json.dumps(doc, indent=1, default=str))
        print(f"results: {out}")
    for s in sorted(sizes, key=lambda s: s["posts"]):
        print(f"\n== {s['posts']:,} posts\n{report.loading_table(s)}\n\n"
              f"{report.pages_table(s)}\n\n{report.pandas_table(s)}")
    g = report.growth(sizes)
    if g:
        print("\n" + report.growth_table(g))
    return 0


if __name__ == "__main__":
    sys.exit(main())
