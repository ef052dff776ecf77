"""Writer and readers together (docs/design.md §4, one writer and many readers), measured.

One **writer** process plays the collector and the loader: every ``--interval`` seconds it
"fetches" a batch of X API v2 pages (synthetic, realistic shape: replies to the city,
mentions, hashtags, links, reposts, ``includes.users``), writes them to the spool
(:func:`collectors.spool.spool_page`, the collector's path), then takes the writer lock,
lands the spool (:func:`collectors.spool.drain`: the one loading path, daily rollups
refreshed) and publishes the snapshot. ``--direct`` skips the spool and calls
``load_pages`` directly.

Several **readers** query the published snapshot continuously, as the dashboard does:

* direct readers (processes) use :mod:`warehouse.read` (one cursor per query): a
  consistency probe (how many posts, the newest batch), the headline metrics
  (:func:`warehouse.metrics.headline`), the daily rollups (the Tendances page's
  :func:`warehouse.page_trends.trends`), a search;
* ``--apptest N`` readers run the real Streamlit app (``app.py``) in-process with
  ``streamlit.testing.v1.AppTest``, again and again, against the same warehouse.

Reported: reads served, reader errors (target 0), inconsistent reads (a snapshot showing a
partial batch, or fewer posts than an earlier read: target 0), staleness (from the moment a
batch was spooled to the first read that saw it: median, p95, max), and rows lost (posts
spooled but absent from the final snapshot, or present twice: target 0).

    uv run python scripts/stress.py --duration 180 --posts 60000 --readers 4
    uv run python scripts/stress.py --duration 10 --posts 3000 --readers 2 --json
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import sys
import tempfile
import time
import traceback
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CONFIG = ROOT / "examples" / "villeneuve.toml"
ID_BASE = 1_900_000_000_000_000_000  # post ids: ID_BASE + batch * ID_STRIDE + n
ID_STRIDE = 100_000
CITY = {"villeneuve_fr": "900001", "vsl_sortir": "900002", "vsl_proprete": "900003"}
WORDS = (
    "travaux rue marché piscine école bus mairie parking fête concert vélo propreté "
    "déchets bibliothèque conseil municipal quartier parc jardin sécurité éclairage"
).split()


# -- synthetic pages ------------------------------------------------------------------------


def _user(uid: str, name: str, rng: random.Random) -> dict[str, Any]:
    local = rng.random() < 0.5
    return {
        "id": uid,
        "username": name,
        "name": name.replace("_", " ").title(),
        "location": "Villeneuve-sur-Loire (49)" if local else "Paris",
        "description": "Habitant" if local else "",
        "verified": False,
        "public_metrics": {"followers_count": rng.randint(0, 5000), "following_count": 10,
                           "tweet_count": 100},
    }


def batch_pages(
    batch: int, posts: int, per_page: int = 100, seed: int = 0, now: datetime | None = None
) -> list[str]:
    """``posts`` X API v2 tweets (search/recent shape) in pages of ``per_page``, as JSON text.

    Post ids are ``ID_BASE + batch * ID_STRIDE + n`` so a reader can tell the newest batch it
    sees. Each batch stands for one collection pass over 2 hours of simulated time (batch 0
    starts 5 days before ``now``), so a day of the rollups is refreshed by ~12 batches.
    """
    assert posts < ID_STRIDE
    rng = random.Random(seed * 1_000_003 + batch)
    now = now or datetime.now(UTC).replace(tzinfo=None)
    pages: list[str] = []
    for start in range(0, posts, per_page):
        data, users = [], {}
        for n in range(start, min(posts, start + per_page)):
            pid = str(ID_BASE + batch * ID_STRIDE + n)
            k = rng.randrange(2000)
            uid, uname = str(500_000 + k), f"habitant_{k}"
            users[uid] = _user(uid, uname, rng)
            # batch b is one collection pass: the posts created in the 2 hours it covers
            # (simulated time: batch 0 starts 5 days ago), 2% from the day before it
            start_at = now - timedelta(days=5) + timedelta(hours=2 * batch)
            back = rng.randrange(7200) - (rng.randrange(86400) if rng.random() < 0.02 else 0)
            created = start_at + timedelta(seconds=back)
            handle = rng.choice(list(CITY))
            words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 12)))
            tweet: dict[str, Any] = {
                "id": pid, "author_id": uid, "lang": "fr", "conversation_id": pid,
                "created_at": created.isoformat(timespec="milliseconds") + "Z",
                "public_metrics": {"retweet_count": 0, "reply_count": 0,
                                   "like_count": rng.randint(0, 40), "quote_count": 0},
                "edit_history_tweet_ids": [pid],
            }
            kind = rng.random()
            if kind < 0.35:  # a mention of a city account
                tweet["text"] = f"@{handle} {words} #Villeneuve"
                tweet["entities"] = {
                    "mentions": [{"start": 0, "end": len(handle) + 1, "username": handle,
                                  "id": CITY[handle]}],
                    "hashtags": [{"start": 0, "end": 11, "tag": "Villeneuve"}],
                }
            elif kind < 0.6:  # a reply to a city post
                tweet["text"] = f"@{handle} {words}"
                tweet["in_reply_to_user_id"] = CITY[handle]
                parent = str(ID_BASE - 1 - rng.randrange(50))
                tweet["referenced_tweets"] = [{"type": "replied_to", "id": parent}]
                tweet["conversation_id"] = parent
                tweet["entities"] = {"mentions": [{"start": 0, "end": len(handle) + 1,
                                                   "username": handle, "id": CITY[handle]}]}
            elif kind < 0.8:  # a repost of a city post
                original = str(ID_BASE - 1 - rng.randrange(50))
                tweet["text"] = f"RT @{handle}: {words}"
                tweet["referenced_tweets"] = [{"type": "retweeted", "id": original}]
            else:  # a link to the city's site
                url = f"https://www.villeneuve-sur-loire.fr/actu/{pid}"
                tweet["text"] = f"{words} {url}"
                tweet["entities"] = {"urls": [{"start": 0, "end": 23, "url": "https://t.co/x",
                                               "expanded_url": url}]}
            data.append(tweet)
        for handle, uid in CITY.items():
            users[uid] = {"id": uid, "username": handle, "name": handle, "location": "Villeneuve",
                          "public_metrics": {"followers_count": 10000}}
        pages.append(json.dumps({
            "data": data,
            "includes": {"users": list(users.values())},
            "meta": {"result_count": len(data), "newest_id": data[-1]["id"],
                     "oldest_id": data[0]["id"]},
        }, ensure_ascii=False))
    return pages


# -- writer ---------------------------------------------------------------------------------


def _writer(db: str, opts: dict[str, Any], journal: Any, stop: Any) -> None:
    from collectors.spool import drain, spool_page
    from territoires.config import load_config
    from warehouse.db import writer
    from warehouse.load import load_pages
    from warehouse.pages import prepare_page
    from warehouse.territory import save_territory

    territory = load_config(CONFIG)
    batch = 0
    deadline = time.monotonic() + opts["duration"]
    while (
        batch * opts["batch_posts"] < opts["posts"]
        and time.monotonic() < deadline
        and not stop.is_set()
    ):
        pages = batch_pages(batch, opts["batch_posts"], opts["per_page"], opts["seed"])
        landed_at = time.time()
        if opts["direct"]:
            raw = [prepare_page(p, territory=territory.slug, source="stress") for p in pages]
        else:
            for p in pages:
                spool_page(db, body=p, territory=territory.slug, platform="x", source="stress",
                           endpoint="/2/tweets/search/recent", query=f"batch {batch}")
        with writer(db) as con:
            if batch == 0:
                save_territory(con, territory)
            if opts["direct"]:
                load_pages(con, raw)
            else:
                drain(con, db)
        journal.put({"batch": batch, "posts": opts["batch_posts"], "pages": len(pages),
                     "landed_at": landed_at, "published_at": time.time()})
        batch += 1
        time.sleep(opts["interval"])
    journal.put(None)


# -- readers --------------------------------------------------------------------------------


@dataclass
class ReaderResult:
    name: str
    reads: int = 0
    errors: int = 0
    inconsistent: int = 0
    samples: list[str] = field(default_factory=list)
    seen: dict[int, float] = field(default_factory=dict)  # batch -> first time seen


def _direct_reader(db: str, name: str, opts: dict[str, Any], out: Any, stop: Any) -> None:
    from territoires.config import load_config
    from warehouse.page_trends import trends
    from warehouse.read import query_rows, reader_cursor

    try:
        from warehouse.metrics import headline
    except ImportError:  # metrics not there yet
        headline = None  # type: ignore[assignment]
    territory = load_config(CONFIG)
    res = ReaderResult(name)
    last_count = 0
    today = datetime.now(UTC).date()
    since, until = today - timedelta(days=8), today + timedelta(days=1)
    as_of = datetime.now(UTC).replace(tzinfo=None) + timedelta(days=1)
    step = 0
    while not stop.is_set():
        step += 1
        try:
            if step % 4 == 1 or headline is None:
                count, newest = query_rows(
                    db,
                    "SELECT count(*), max(CAST(post_id AS HUGEINT)) FROM territory_posts "
                    "WHERE territory = ? AND post_id >= ?",
                    [territory.slug, str(ID_BASE)],
                )[0]
                now = time.time()
                if newest is not None:
                    top = (int(newest) - ID_BASE) // ID_STRIDE
                    for b in range(top + 1):
                        res.seen.setdefault(b, now)
                    if count != (top + 1) * opts["batch_posts"] or count < last_count:
                        res.inconsistent += 1
                        if len(res.samples) < 5:
                            res.samples.append(f"partial snapshot: {count} posts, batch {top}")
                    last_count = count
            elif step % 4 == 2:
                cur = reader_cursor(db)
                try:
                    headline(cur, territory, since, until, as_of)
                finally:
                    cur.close()
            elif step % 4 == 3:  # the daily rollups, as the Tendances page reads them
                cur = reader_cursor(db)
                try:
                    trends(cur, territory, since, until, "week")
                finally:
                    cur.close()
            else:
                query_rows(
                    db,
                    "SELECT p.id, p.text FROM territory_posts tp JOIN posts p "
                    "ON p.platform = tp.platform AND p.id = tp.post_id "
                    "WHERE tp.territory = ? AND p.text ILIKE ? ORDER BY p.created_at DESC LIMIT 20",
                    [territory.slug, "%" + random.choice(WORDS) + "%"],
                )
            res.reads += 1
        except Exception as e:  # every failure a user could see counts
            res.errors += 1
            if len(res.samples) < 5:
                res.samples.append(f"{type(e).__name__}: {e}"[:300])
        time.sleep(opts["reader_pause"])
    out.put(asdict(res))


def _apptest_reader(db: str, name: str, opts: dict[str, Any], out: Any, stop: Any) -> None:
    os.environ["TERRITOIRES_DB"] = db
    res = ReaderResult(name)
    try:
        from streamlit.testing.v1 import AppTest
    except ImportError as e:
        res.errors += 1
        res.samples.append(f"AppTest unavailable: {e}")
        out.put(asdict(res))
        return
    while not stop.is_set():
        try:
            at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
            problems = [str(x.value)[:200] for x in at.exception] + [
                str(x.value)[:200] for x in at.error
            ]
            if problems:
                res.errors += 1
                if len(res.samples) < 5:
                    res.samples.append("; ".join(problems))
            else:
                res.reads += 1
        except Exception as e:
            res.errors += 1
            if len(res.samples) < 5:
                res.samples.append(f"{type(e).__name__}: {e}"[:300] + traceback.format_exc()[-300:])
    out.put(asdict(res))


# -- the run --------------------------------------------------------------------------------


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    pos = (len(values) - 1) * q
    lo, hi = int(pos), min(int(pos) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (pos - lo)


def run_stress(
    db: str | Path,
    *,
    duration: float = 10.0,
    posts: int = 5000,
    batch_posts: int = 500,
    per_page: int = 100,
    readers: int = 2,
    apptest: int = 0,
    interval: float = 0.2,
    reader_pause: float = 0.02,
    direct: bool = False,
    seed: int = 0,
    linger: float = 2.0,
) -> dict[str, Any]:
    """Run writer and readers together on a fresh warehouse ``db``; return the figures.

    The writer loads ``posts`` posts or stops after ``duration`` seconds, whichever comes
    first; readers query from before it starts until ``linger`` seconds after it stops.
    """
    from warehouse.db import ensure_snapshot, snapshot_path

    db = str(db)
    opts = dict(duration=duration, posts=posts, batch_posts=batch_posts, per_page=per_page,
                interval=interval, reader_pause=reader_pause, direct=direct, seed=seed)
    ensure_snapshot(db)  # readers start on an empty, migrated warehouse
    ctx = mp.get_context("spawn")
    stop, journal, out = ctx.Event(), ctx.Queue(), ctx.Queue()
    procs = [
        ctx.Process(target=_direct_reader, args=(db, f"reader-{i}", opts, out, stop))
        for i in range(readers)
    ] + [
        ctx.Process(target=_apptest_reader, args=(db, f"apptest-{i}", opts, out, stop))
        for i in range(apptest)
    ]
    for p in procs:
        p.start()
    time.sleep(min(2.0, duration / 5))  # let readers import and start querying
    started = time.monotonic()
    writer = ctx.Process(target=_writer, args=(db, opts, journal, stop))
    writer.start()
    batches: list[dict[str, Any]] = []
    while True:
        item = journal.get(timeout=max(120.0, duration * 2))
        if item is None:
            break
        batches.append(item)
    writer.join()
    write_seconds = time.monotonic() - started
    time.sleep(linger)  # readers go on a little, to see the last batch
    stop.set()
    results = [out.get(timeout=180) for _ in procs]
    for p in procs:
        p.join(timeout=30)

    # rows lost or doubled: every spooled post must be in the final snapshot exactly once
    import duckdb

    expected = sum(b["posts"] for b in batches)
    snap = duckdb.connect(str(snapshot_path(db)), read_only=True)
    try:
        got, distinct = snap.execute(
            "SELECT count(*), count(DISTINCT post_id) FROM territory_posts WHERE post_id >= ?",
            [str(ID_BASE)],
        ).fetchall()[0]
        posts_rows = snap.execute(
            "SELECT count(*) FROM posts WHERE id >= ? AND in_data", [str(ID_BASE)]
        ).fetchall()[0][0]
        rollup = snap.execute("SELECT coalesce(sum(posts), 0) FROM daily_posts").fetchall()[0][0]
        raw = snap.execute("SELECT count(*) FROM raw_pages").fetchall()[0][0]
    finally:
        snap.close()
    seen: dict[int, float] = {}
    for r in results:
        for b, t in r["seen"].items():
            b = int(b)
            seen[b] = min(seen.get(b, t), t)
    stale = [seen[b["batch"]] - b["landed_at"] for b in batches if b["batch"] in seen]
    publish = [b["published_at"] - b["landed_at"] for b in batches]
    direct_results = [r for r in results if r["name"].startswith("reader")]
    return {
        "duration_s": round(time.monotonic() - started, 1),
        "write_s": round(write_seconds, 1),
        "batches": len(batches),
        "posts_loaded": expected,
        "pages_loaded": sum(b["pages"] for b in batches),
        "posts_per_s": round(expected / write_seconds, 1) if write_seconds else None,
        "readers": readers,
        "apptest_sessions": apptest,
        "reads_served": sum(r["reads"] for r in results),
        "apptest_runs": sum(r["reads"] for r in results if r["name"].startswith("apptest")),
        "reader_errors": sum(r["errors"] for r in results),
        "inconsistent_reads": sum(r["inconsistent"] for r in direct_results),
        "error_samples": [s for r in results for s in r["samples"]][:10],
        "batches_seen": len(seen),
        "staleness_median_s": _round(_percentile(stale, 0.5)),
        "staleness_p95_s": _round(_percentile(stale, 0.95)),
        "staleness_max_s": _round(max(stale) if stale else None),
        "load_publish_median_s": _round(_percentile(publish, 0.5)),
        "rows_lost": expected - distinct,
        "rows_doubled": got - distinct,
        "posts_table_rows": posts_rows,
        "rollup_posts": int(rollup),
        "raw_pages": raw,
    }


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 3)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", help="warehouse file to create (default: a temporary folder)")
    ap.add_argument("--duration", type=float, default=60.0,
                    help="seconds the writer may run at most (default 60)")
    ap.add_argument("--linger", type=float, default=2.0,
                    help="seconds readers go on after the writer stopped (default 2)")
    ap.add_argument("--posts", type=int, default=50_000, help="posts to load at most (50000)")
    ap.add_argument("--batch-posts", type=int, default=1000, help="posts per batch (1000)")
    ap.add_argument("--per-page", type=int, default=100, help="posts per API page (100)")
    ap.add_argument("--readers", type=int, default=4, help="direct reader processes (4)")
    ap.add_argument("--apptest", type=int, default=0, help="Streamlit AppTest sessions (0)")
    ap.add_argument("--interval", type=float, default=0.2, help="writer pause between batches")
    ap.add_argument("--reader-pause", type=float, default=0.02,
                    help="reader pause between reads, seconds (0.02)")
    ap.add_argument("--direct", action="store_true", help="load_pages directly, no spool")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="territoires-stress-") as tmp:
        db = args.db or str(Path(tmp) / "stress.duckdb")
        if Path(db).exists():
            print(f"{db} exists: give a new path (the stress run needs a fresh warehouse)")
            return 2
        figures = run_stress(
            db, duration=args.duration, posts=args.posts, batch_posts=args.batch_posts,
            per_page=args.per_page, readers=args.readers, apptest=args.apptest,
            interval=args.interval, reader_pause=args.reader_pause, direct=args.direct,
            seed=args.seed, linger=args.linger,
        )
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        for k, v in figures.items():
            print(f"{k:24} {v}")
    ok = figures["reader_errors"] == 0 and figures["rows_lost"] == 0 and (
        figures["rows_doubled"] == 0 and figures["inconsistent_reads"] == 0
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
