"""The X collector against the fake X API v2 (real HTTP, tweepy's real client, a real
DuckDB file): exact landing, incremental runs, resumable pagination, the spool, the run log,
routing, the writer lock, and the bearer token never shown."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
import requests

from collectors import spool
from collectors.routing import route_session
from collectors.x_collect import CollectSettings, collect, search_queries, summary
from tests.fake_x_api import FakeXApi, fast_policy, landed_post_ids, make_dataset, x_territory
from tests.raw_layer import files_text
from warehouse.db import WarehouseBusy, connect, writer, writer_lock

TOKEN = "AAAAsecretBEARERtoken0123456789"
TERRITOIRES = str(Path(sys.executable).parent / "territoires")  # the console script


@pytest.fixture
def territory():
    return x_territory()


@pytest.fixture
def world(territory):
    ds = make_dataset(300, city_handles=tuple(territory.handles("x")), seed=7)
    with FakeXApi(ds.users, ds.all_posts(), token=TOKEN) as fake:
        fake.page_cap = 40  # several pages per query
        yield ds, fake


def _collect(fake, territory, db, **kw):
    kw.setdefault("policy", fast_policy())
    return collect([territory], db, TOKEN, base_url=fake.url, **kw)


def _rows(db, sql, params=()):
    con = connect(db, read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


def test_full_collection_lands_exactly_the_posts_the_server_holds(world, territory, tmp_path):
    ds, fake = world
    db = tmp_path / "w.duckdb"
    report = _collect(fake, territory, db)
    assert report.status == "ok", summary(report)
    assert sorted(landed_post_ids(db)) == sorted(p["id"] for p in ds.posts)
    assert not set(landed_post_ids(db)) & {p["id"] for p in ds.noise}
    # the city accounts' ids were resolved from /2/users/by
    ids = dict(_rows(db, "SELECT handle, user_id FROM territory_accounts"))
    assert ids == ds.city_ids
    # pagination: several pages per query, with the right token name per endpoint
    pages = [
        r for r in fake.requests if "pagination_token" in r["params"] or "next_token" in r["params"]
    ]
    assert any(r["path"].endswith("/mentions") and "pagination_token" in r["params"] for r in pages)
    assert any(r["path"].endswith("/recent") and "next_token" in r["params"] for r in pages)
    # fields needed by the metrics arrived: authors' profiles, conversations, references
    (n_loc,) = _rows(db, "SELECT count(*) FROM accounts WHERE location IS NOT NULL")[0]
    assert n_loc > 10
    (n_conv,) = _rows(db, "SELECT count(*) FROM posts WHERE conversation_id IS NULL")[0]
    assert n_conv == 0
    (n_rt,) = _rows(db, "SELECT count(*) FROM posts WHERE is_repost")[0]
    assert n_rt == sum(
        1 for p in ds.posts if any(r["type"] == "retweeted" for r in p.get("referenced_tweets", []))
    )
    # the run log
    (run,) = _rows(db, "SELECT status, pages, posts, users, cost_usd, ended_at FROM collect_runs")
    status, pages, posts, users, cost, ended = run
    assert status == "ok" and ended is not None
    assert pages == report.territories[0].run.pages > 9
    assert posts >= len(ds.posts) and users > 0
    assert cost == pytest.approx(report.territories[0].run.cost_usd) and cost > 0
    # every query finished: since_id = the newest id it saw, no cursor left
    states = _rows(db, "SELECT endpoint, since_id, cursor FROM collect_state")
    assert states and all(c is None for _, _, c in states)
    assert not spool.pending(db)
    assert (db.parent / (db.name + ".snapshot")).exists()


def test_second_run_fetches_only_newer_posts(world, territory, tmp_path):
    ds, fake = world
    db = tmp_path / "w.duckdb"
    _collect(fake, territory, db)
    first_requests = len(fake.requests)
    newest = max(int(p["id"]) for p in ds.all_posts())
    start = max(p["created_at"] for p in ds.all_posts())
    from datetime import datetime

    later = make_dataset(
        60,
        users=ds.users,
        city_handles=tuple(territory.handles("x")),
        seed=8,
        start=datetime.fromisoformat(start.replace("Z", "+00:00")) + timedelta(minutes=5),
        first_seq=10_000,
        city_posts=[p for p in ds.posts if p["author_id"] in ds.city_ids.values()],
    )
    assert min(int(p["id"]) for p in later.posts) > newest
    fake.add_posts(later.all_posts())
    before = len(fake.responses)
    report = _collect(fake, territory, db)
    assert report.status == "ok", summary(report)
    second = fake.requests[first_requests:]
    # every timeline and search request of the second run carried since_id
    assert all("since_id" in r["params"] for r in second if r["path"] != "/2/users/by")
    assert not any(r["path"] == "/2/users/by" for r in second), "ids are known: no user lookup"
    served = [json.loads(b) for _, s, b in fake.responses[before:] if s == 200]
    served_ids = {t["id"] for doc in served for t in doc.get("data", [])}
    assert served_ids == {p["id"] for p in later.posts}, "only the newer posts were fetched"
    assert sorted(landed_post_ids(db)) == sorted(p["id"] for p in ds.posts + later.posts)
    assert report.territories[0].posts_after - report.territories[0].posts_before == len(
        later.posts
    )
    # a third run with nothing new lands nothing and is ok
    report = _collect(fake, territory, db)
    assert report.status == "ok" and report.territories[0].run.posts == 0


def test_page_cap_stops_a_query_and_the_next_run_resumes_from_its_cursor(
    world, territory, tmp_path
):
    ds, fake = world
    db = tmp_path / "w.duckdb"
    settings = CollectSettings(max_pages=1)
    report = _collect(fake, territory, db, settings=settings)
    assert report.status == "ok"
    more = [q for q in report.territories[0].queries if q.outcome == "more"]
    assert more, "some query should have needed more than one page"
    cursors = _rows(
        db, "SELECT endpoint, query, cursor FROM collect_state WHERE cursor IS NOT NULL"
    )
    assert len(cursors) == len(more)
    n = len(fake.requests)
    for _ in range(10):
        report = _collect(fake, territory, db, settings=settings)
        if not any(q.outcome == "more" for q in report.territories[0].queries):
            break
    resumed = fake.requests[n:]
    assert any(
        r["params"].get("pagination_token") or r["params"].get("next_token") for r in resumed[:8]
    )
    assert sorted(landed_post_ids(db)) == sorted(p["id"] for p in ds.posts)
    assert not _rows(db, "SELECT * FROM collect_state WHERE cursor IS NOT NULL")


def test_leftover_spool_pages_land_first_with_their_state(world, territory, tmp_path):
    """A crash after a page was spooled but before it was loaded loses nothing."""
    ds, fake = world
    db = tmp_path / "w.duckdb"
    with writer(db):
        pass
    r = requests.get(
        f"{fake.url}/2/users/{ds.city_ids['villeneuve_fr']}/mentions",
        headers={"Authorization": f"Bearer {TOKEN}"},
        params={"max_results": 100, "tweet.fields": "author_id,created_at"},
        timeout=5,
    )
    body = r.text
    ids = [t["id"] for t in r.json()["data"]]
    update = {
        "territory": "villeneuve",
        "platform": "x",
        "endpoint": "/2/users/:id/mentions",
        "query": "id=test",
        "since_id": max(ids, key=int),
        "cursor": None,
        "newest_seen": None,
    }
    spool.spool_page(
        db,
        body=body,
        territory="villeneuve",
        platform="x",
        endpoint="/2/users/:id/mentions",
        query="id=test",
        state=[update],
    )
    spool.spool_page(db, body="{not json", territory="villeneuve", platform="x")
    report = _collect(fake, territory, db)
    assert report.drained.files == 2 and len(report.drained.rejected) == 1
    assert not spool.pending(db)
    rejected = list(spool.rejected_dir(db).glob("*.body"))
    assert len(rejected) == 1 and rejected[0].read_text() == "{not json"
    assert _rows(db, "SELECT since_id FROM collect_state WHERE query = 'id=test'") == [
        (max(ids, key=int),)
    ]
    assert set(ids) <= set(landed_post_ids(db))
    assert report.status == "partial"  # a rejected page is reported, not hidden


def test_bearer_token_never_appears_in_output_logs_or_warehouse(
    world, territory, tmp_path, capsys, caplog
):
    _, fake = world
    db = tmp_path / "w.duckdb"
    fake.inject("503", "/2/tweets/search/recent", times=1)
    fake.inject("401", "/2/tweets/search/recent", after=2, times=None)
    lines: list[str] = []
    with caplog.at_level(logging.DEBUG):
        report = _collect(fake, territory, db, progress=lines.append)
        print(summary(report))
    out = capsys.readouterr()
    assert report.status == "failed"  # the 401 is explained, not dumped
    assert "refused (HTTP 401)" in summary(report)
    assert any("tweepy" in r.name for r in caplog.records), "tweepy's debug log was captured"
    texts = [out.out, out.err, caplog.text, "\n".join(lines)]
    texts += [str(r) for r in _rows(db, "SELECT * FROM collect_runs")]
    texts.append(files_text(db))  # the raw layer's pages (warehouse/raw_files.py)
    texts += [
        p.read_text()
        for p in db.parent.rglob("*")
        if p.is_file() and p.suffix in (".json", ".body", ".txt")
    ]
    for text in texts:
        assert TOKEN not in text


def test_routing_adapter_reaches_the_base_url_with_a_timeout(world):
    _, fake = world
    s = requests.Session()
    adapter = route_session(s, fake.url, timeout=0.5)
    r = s.get(
        "https://api.twitter.com/2/users/by",
        params={"usernames": "vsl_sortir"},
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert r.status_code == 200 and r.json()["data"][0]["username"] == "vsl_sortir"
    assert r.url.startswith(fake.url) and adapter.base_url == fake.url
    fake.stall_seconds = 3
    fake.inject("stall")
    t0 = time.monotonic()
    with pytest.raises(requests.Timeout):
        s.get("https://api.twitter.com/2/users/by", params={"usernames": "a"})
    assert time.monotonic() - t0 < 2


def test_a_second_run_waits_a_bounded_time_then_exits_cleanly(world, territory, tmp_path):
    _, fake = world
    db = tmp_path / "w.duckdb"
    with writer(db):
        pass
    held = threading.Event()
    release = threading.Event()

    def hold():
        with writer_lock(db):
            held.set()
            release.wait(180)

    t = threading.Thread(target=hold)
    t.start()
    held.wait(5)
    try:
        t0 = time.monotonic()
        with pytest.raises(WarehouseBusy, match="another Territoires process"):
            _collect(fake, territory, db, lock_wait=0.3)
        assert 0.3 <= time.monotonic() - t0 < 3
        env = {"X_BEARER_TOKEN": TOKEN, "TERRITOIRES_X_API_URL": fake.url, "PATH": "/usr/bin:/bin"}
        cfg = tmp_path / "t.toml"
        _write_config(cfg)
        p = subprocess.run(
            [TERRITOIRES, "collect", "--config", str(cfg), "--db", str(db), "--wait", "0.2"],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        assert p.returncode == 75, p.stderr
        assert "another Territoires process is writing" in p.stderr
        assert len(p.stderr.strip().splitlines()) == 1
    finally:
        release.set()
        t.join()
    report = _collect(fake, territory, db)  # once free, a run goes through
    assert report.status == "ok"


def _write_config(path):
    """The example territory file with valid X handles (see ``x_territory``)."""
    from tests.fake_x_api import X_HANDLES

    base = Path(__file__).resolve().parents[1] / "examples" / "villeneuve.toml"
    src = base.read_text(encoding="utf-8")
    for old, new in zip(
        ("villeneuve_fr", "vsl_sortir", "vsl_proprete"), X_HANDLES, strict=True
    ):
        src = src.replace(f'handle = "{old}"', f'handle = "{new}"')
    path.write_text(src, encoding="utf-8")


def test_missing_token_is_one_clear_line_and_exit_2(tmp_path):
    cfg = tmp_path / "t.toml"
    _write_config(cfg)
    p = subprocess.run(
        [TERRITOIRES, "collect", "--config", str(cfg), "--db", str(tmp_path / "w.duckdb")],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    assert p.returncode == 2
    assert p.stderr.strip().splitlines() == [
        "territoires collect: no X API token: set X_BEARER_TOKEN (or TWITTER_BEARER_TOKEN) "
        "in the environment"
    ]
    assert not (tmp_path / "w.duckdb").exists()


def test_search_queries_cover_tracking_and_stay_under_the_length_limit():
    t = x_territory(
        hashtags=[f"#Tag{i}" for i in range(60)],
        keywords=["Villeneuve-sur-Loire", "mairie"],
        city_domains=["villeneuve-sur-loire.fr"],
    )
    queries = search_queries(t, max_length=120)
    assert all(len(q) <= 120 for _, q in queries)
    joined = " ".join(q for _, q in queries)
    for i in range(60):
        assert f"#Tag{i} " in joined + " "
    assert '"Villeneuve-sur-Loire"' in joined and " mairie" in joined
    assert 'url:"villeneuve-sur-loire.fr"' in joined
    assert "retweets_of:vsl_sortir" in joined and "quotes_of:villeneuve_fr" in joined
    labels = [label for label, _ in queries]
    assert "reposts" in labels and "quotes" in labels
