"""``python -m bench.triage --posts 1000000``: what triage costs, on a demo warehouse.

Prints, for a growing number of decisions in the journal (``--decisions``):

* **record**: one decision written to the journal (``<db>.triage``), the CM's click;
* **rerun overlay**: what a reader adds to each query after a decision, before a new
  snapshot: the journal's version and the decisions newer than the snapshot's copy;
* **copy at publish**: the writer refreshing ``triage_decisions`` from the journal
  (``warehouse.triage.sync_copy``), inside every snapshot publish: ``copy_new`` copies the
  decisions recorded since the last publish (the whole batch of the row), ``copy`` is a
  publish with nothing new;
* **headline**: the 28-day headline metrics (public and expected-answer figures), uncached,
  with those decisions in the snapshot's copy, and with 100 more only in the journal
  (the overlay), median of ``--repeats``; **queue**: the pending queue likewise.

The warehouse is the demo's (``territoires demo --no-serve``), built in ``--work-dir`` once
and reused. Decisions are spread over the window's interpellations, a mix of the four kinds.
See docs/benchmark.md.
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

from warehouse import metrics, triage
from warehouse import triage_journal as journal
from warehouse.db import writer
from warehouse.read import reader_cursor
from warehouse.territory import load_territories

OUT = Path(__file__).resolve().parent / "out"
KINDS = ("no_answer_expected", "handled_elsewhere", "forwarded", "reopened")


def _median_ms(fn: Callable[[], Any], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(1000 * (time.perf_counter() - started))
    return statistics.median(times)


def _ensure_demo(db: Path, posts: int) -> None:
    if db.exists():
        return
    db.parent.mkdir(parents=True, exist_ok=True)
    exe = Path(sys.executable).with_name("territoires")
    subprocess.run([str(exe), "demo", "--no-serve", "--posts", str(posts), "--db", str(db)],
                   check=True)


def run(db: Path, counts: list[int], repeats: int) -> list[dict[str, float]]:
    cur = reader_cursor(db)
    terr = load_territories(cur)[0]
    as_of = cur.execute("SELECT max(created_at) FROM territory_timeline").fetchone()[0]  # type: ignore[index]
    until = as_of.date()
    since = until - timedelta(days=28)
    rows = metrics.interpellations(cur, terr, since, until, as_of, brief=True)
    cur.close()
    keys = list(zip(rows["platform"], rows["post_id"], rows["created_at"], strict=True))
    rng = random.Random(7)
    # start with no decision: the journal and the warehouse's copy emptied together (the
    # copy alone would restore the journal at the next publish)
    for suffix in ("", "-wal", "-shm"):
        Path(str(journal.journal_path(db)) + suffix).unlink(missing_ok=True)
    with writer(db) as con:
        con.execute("DELETE FROM triage_decisions")
    results = []
    have = 0

    def decision(i: int) -> journal.Decision:
        platform, post_id, created = keys[rng.randrange(len(keys))]
        kind = KINDS[i % len(KINDS)]
        return journal.Decision(terr.slug, platform, post_id, kind, "bench",
                                created + timedelta(hours=1),
                                service="proprete" if kind == "forwarded" else None,
                                post_created_at=created)

    for target in counts:
        for start in range(have, target, 5000):
            journal.record(db, [decision(i) for i in range(start, min(target, start + 5000))])
        have = target
        with writer(db) as con:  # publishes: the copy is refreshed inside
            # the first call copies what was recorded since the last publish; the next
            # ones find nothing new (what each publish costs between decisions)
            copy_new_ms = _median_ms(partial(triage.sync_copy, con, db), 1)
            copy_ms = _median_ms(partial(triage.sync_copy, con, db), repeats)
        record_ms = _median_ms(lambda: journal.record(db, [decision(0)]), repeats)
        have += repeats

        def headline() -> None:
            c = reader_cursor(db)
            try:
                metrics.headline(c, terr, since, until, as_of)
            finally:
                c.close()

        def queue() -> None:
            c = reader_cursor(db)
            try:
                metrics.pending_queue(c, terr, as_of)
            finally:
                c.close()

        headline()  # warm the snapshot's pages
        h_copy = _median_ms(headline, repeats)
        q_copy = _median_ms(queue, repeats)
        journal.record(db, [decision(i) for i in range(100)])  # only in the journal
        have += 100

        def overlay() -> None:
            c = reader_cursor(db)
            try:
                journal.version(db)
                triage.overlay_params(c, terr)
            finally:
                c.close()

        results.append({
            "decisions": have, "record_ms": record_ms, "overlay_ms": _median_ms(overlay, repeats),
            "copy_new_ms": copy_new_ms, "copy_ms": copy_ms, "headline_ms": h_copy,
            "headline_overlay_ms": _median_ms(headline, repeats), "queue_ms": q_copy,
            "queue_overlay_ms": _median_ms(queue, repeats),
        })
    return results


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.triage", description=__doc__.splitlines()[0])
    p.add_argument("--posts", type=int, default=1_000_000)
    p.add_argument("--decisions", type=int, nargs="+", default=[0, 1_000, 10_000, 100_000])
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--work-dir", type=Path, default=OUT)
    args = p.parse_args(argv)
    db = args.work_dir / f"triage-{args.posts}.duckdb"
    _ensure_demo(db, args.posts)
    results = run(db, sorted(args.decisions), args.repeats)
    cols = ("decisions", "record_ms", "overlay_ms", "copy_new_ms", "copy_ms", "headline_ms",
            "headline_overlay_ms", "queue_ms", "queue_overlay_ms")
    print(f"{args.posts:,} posts; milliseconds, median of {args.repeats}")
    print("  ".join(f"{c:>19}" for c in cols))
    for r in results:
        print("  ".join(f"{r[c]:>19,.1f}" if c != "decisions" else f"{r[c]:>19,}" for c in cols))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
