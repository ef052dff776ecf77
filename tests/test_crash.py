"""Crashes: a load, and a collection, killed with SIGKILL at random points, then re-run.

A child process plays the collector and the loader: it spools X API v2 pages
(:func:`collectors.spool.spool_page`), lands them under the writer lock
(:func:`collectors.spool.drain`, one transaction per page, daily rollups included) and
publishes the snapshot, chunk after chunk. It is killed with SIGKILL at a random instant
(several seeds), then run again to completion. Afterwards: the warehouse
opens, every migration is recorded once, every post is present exactly once, the snapshot
opens and agrees, and ``rebuild`` (raw pages → tables) gives the very same tables.
The same for ``territoires collect`` against the fake X API, killed after a random number
of API calls: the re-run lands exactly the posts the server holds.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from scripts.stress import batch_pages
from warehouse.db import connect, snapshot_path, writer
from warehouse.load import DERIVED_TABLES, rebuild
from warehouse.migrations import MIGRATIONS

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "examples" / "villeneuve.toml"
NOW = datetime(2025, 3, 14, 12, 0)
CHUNKS, PAGES_PER_CHUNK, POSTS_PER_PAGE = 5, 3, 50

CHILD = r"""
import json, sys
from collectors.spool import drain, spool_page
from territoires.config import load_config
from warehouse.db import writer
from warehouse.territory import save_territory

db, pages_file, config = sys.argv[1:4]
territory = load_config(config)
chunks = json.load(open(pages_file))
print("ready", flush=True)
with writer(db) as con:
    drain(con, db)                     # leftovers of a killed run first
    save_territory(con, territory)
for chunk in chunks:
    for body in chunk:
        spool_page(db, body=body, territory=territory.slug, platform="x",
                   endpoint="/2/tweets/search/recent", fetched_at=None)
    with writer(db) as con:
        drain(con, db)
print("done", flush=True)
"""

TABLES = (*DERIVED_TABLES, "daily_posts", "daily_activity", "raw_pages")


def _contents(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    out = {}
    for table in TABLES:
        cols = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
        keep = [c for c in cols if c not in ("refreshed_at", "loaded_at")]
        out[table] = con.execute(f"SELECT {', '.join(keep)} FROM {table} ORDER BY ALL").fetchall()  # noqa: S608
    return out


def _child(db: Path, pages_file: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, str(db), str(pages_file), str(CONFIG)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


@pytest.mark.timeout(240)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_killed_load_then_rerun_loses_nothing(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    chunks = [
        batch_pages(c, PAGES_PER_CHUNK * POSTS_PER_PAGE, POSTS_PER_PAGE, seed=seed, now=NOW)
        for c in range(CHUNKS)
    ]
    chunks[-1] = chunks[-1] + chunks[0][:1]  # a page fetched twice lands once
    pages_file = tmp_path / "pages.json"
    pages_file.write_text(json.dumps(chunks))
    db = tmp_path / "w.duckdb"
    expected_posts = CHUNKS * PAGES_PER_CHUNK * POSTS_PER_PAGE

    proc = _child(db, pages_file)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready", proc.stderr.read() if proc.stderr else ""
    time.sleep(rng.uniform(0.05, 1.5))  # a random instant inside the load
    killed = proc.poll() is None
    if killed:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    proc = _child(db, pages_file)  # the re-run, to completion
    out, err = proc.communicate(timeout=180)
    assert proc.returncode == 0, err[-2000:]
    assert out.strip().endswith("done")
    assert killed, "the child finished before the kill: make the load longer"

    with writer(db) as con:
        names = [r[0] for r in con.execute("SELECT name FROM schema_migrations").fetchall()]
        assert sorted(names) == sorted(n for n, _ in MIGRATIONS)  # each once, none missing
        got, distinct = con.execute(
            "SELECT count(*), count(DISTINCT post_id) FROM territory_posts"
        ).fetchall()[0]
        assert got == distinct == expected_posts
        one = lambda sql: con.execute(sql).fetchall()[0][0]  # noqa: E731
        assert one("SELECT count(*) FROM posts WHERE in_data") == expected_posts
        assert one("SELECT count(*) FROM raw_pages") == CHUNKS * PAGES_PER_CHUNK
        assert one("SELECT sum(posts) FROM daily_posts") == expected_posts
        before = _contents(con)
        rebuild(con)
        after = _contents(con)
    for table in TABLES:
        assert after[table] == before[table], f"rebuild changed {table}"
    leftovers = [p for p in (tmp_path / "w.duckdb.spool").glob("*.page.json")]
    assert leftovers == []
    snap = connect(snapshot_path(db), read_only=True)
    try:
        count = snap.execute("SELECT count(*) FROM territory_posts").fetchall()[0][0]
        assert count == expected_posts
    finally:
        snap.close()


# -- a collection (the X collector against the fake X API), killed ----------------------------

TOKEN = "AAAAcrashTestBearerToken0123456789"


@pytest.mark.timeout(240)
@pytest.mark.parametrize("seed", [4, 5])
def test_killed_collection_then_rerun_lands_every_post_once(tmp_path: Path, seed: int) -> None:
    pytest.importorskip("collectors.x_collect")
    from tests.fake_x_api import X_HANDLES, FakeXApi, landed_post_ids, make_dataset

    rng = random.Random(seed)
    ds = make_dataset(240, city_handles=X_HANDLES, seed=seed)
    cfg = tmp_path / "t.toml"
    text = CONFIG.read_text(encoding="utf-8")
    for old, new in zip(("villeneuve_fr", "vsl_sortir", "vsl_proprete"), X_HANDLES,
                        strict=True):
        text = text.replace(f'handle = "{old}"', f'handle = "{new}"')
    cfg.write_text(text, encoding="utf-8")
    db = tmp_path / "w.duckdb"
    script = str(Path(sys.executable).parent / "territoires")
    with FakeXApi(ds.users, ds.all_posts(), token=TOKEN) as fake:
        fake.page_cap = 15  # many pages, many transactions to land in the middle of
        env = {"X_BEARER_TOKEN": TOKEN, "TERRITOIRES_X_API_URL": fake.url, "PATH": "/usr/bin:/bin"}
        cmd = [script, "collect", "--config", str(cfg), "--db", str(db)]
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        # a random point: after a random number of API calls, plus a random instant
        calls, deadline = rng.randint(2, 14), time.monotonic() + 60
        while len(fake.requests) < calls and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(rng.uniform(0, 0.3))
        killed = proc.poll() is None
        if killed:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
        served_before = len(fake.responses)
        again = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=180)
        assert again.returncode == 0, again.stderr[-2000:]
    assert killed and served_before > 0, "the kill did not land inside the collection"
    assert sorted(landed_post_ids(db)) == sorted(p["id"] for p in ds.posts)
    with writer(db) as con:
        names = [r[0] for r in con.execute("SELECT name FROM schema_migrations").fetchall()]
        assert sorted(names) == sorted(n for n, _ in MIGRATIONS)
        before = _contents(con)
        rebuild(con)
        after = _contents(con)
    for table in TABLES:
        assert after[table] == before[table], f"rebuild changed {table}"
