"""A real ``territoires collect`` process killed with SIGKILL mid-run, then run again, ends
with every post exactly once; tweepy's recorded cassettes (real X API v2 answers) replay
through the collector's own code path and land."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from collectors import spool
from collectors.x_collect import collect, summary
from model import parse_config
from tests.conftest import fixture_path
from tests.fake_x_api import X_HANDLES, FakeXApi, fast_policy, make_dataset
from warehouse.db import connect

ROOT = Path(__file__).resolve().parents[1]
TERRITOIRES = str(Path(sys.executable).parent / "territoires")
TOKEN = "kill-test-token"


def _config(path: Path) -> Path:
    src = (ROOT / "examples" / "villeneuve.toml").read_text(encoding="utf-8")
    for old, new in zip(
        ("villeneuve_fr", "vsl_sortir", "vsl_proprete"), X_HANDLES, strict=True
    ):
        src = src.replace(f'handle = "{old}"', f'handle = "{new}"')
    path.write_text(src, encoding="utf-8")
    return path


def _env(fake: FakeXApi, **extra: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("TERRITOIRES_", "X_", "TWITTER_"))
    }
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # let the subprocesses start fast the next time
    env.update({"X_BEARER_TOKEN": TOKEN, "TERRITOIRES_X_API_URL": fake.url, **extra})
    return env


def test_sigkill_mid_run_then_rerun_lands_every_post_exactly_once(tmp_path):
    cfg = _config(tmp_path / "villeneuve.toml")
    db = tmp_path / "w.duckdb"
    ds = make_dataset(400, city_handles=X_HANDLES, seed=11)
    with FakeXApi(ds.users, ds.all_posts(), token=TOKEN, stall_seconds=120) as fake:
        fake.page_cap = 20
        fake.inject("stall", r"^/2/users/\d+/mentions$", after=2, times=1)  # its 3rd page
        env = _env(fake, TERRITOIRES_HTTP_TIMEOUT="90", TERRITOIRES_LAND_BATCH="3")
        proc = subprocess.Popen(
            [TERRITOIRES, "collect", "--config", str(cfg), "--db", str(db)],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            assert fake.stalled.wait(90), "the collector never reached the stalled page"
            time.sleep(0.2)
        finally:
            os.kill(proc.pid, signal.SIGKILL)
            proc.communicate(timeout=30)
        assert proc.returncode == -signal.SIGKILL
        # the two pages fetched before the stall were spooled but not yet loaded
        assert len(spool.pending(db)) == 2
        n_before = len(fake.requests)
        stalled_token = fake.requests[n_before - 1]["params"].get("pagination_token")
        assert stalled_token, "the stalled request was a 3rd page"

        fake.clear_faults()
        done = subprocess.run(
            [TERRITOIRES, "collect", "--config", str(cfg), "--db", str(db)],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert "landed 2 page(s) left in the spool by an earlier run" in done.stdout
        assert TOKEN not in done.stdout + done.stderr
        rerun = fake.requests[n_before:]
        first_mentions = next(r for r in rerun if r["path"].endswith("/mentions"))
        assert first_mentions["params"].get("pagination_token") == stalled_token  # resumed

    con = connect(db, read_only=True)
    try:
        landed = [
            r[0]
            for r in con.execute(
                "SELECT post_id FROM territory_posts WHERE territory = 'villeneuve'"
            ).fetchall()
        ]
        n_posts, n_ids = con.execute("SELECT count(*), count(DISTINCT id) FROM posts").fetchall()[0]
        runs = con.execute("SELECT status, message FROM collect_runs ORDER BY run_id").fetchall()
        cursors = con.execute(
            "SELECT count(*) FROM collect_state WHERE cursor IS NOT NULL"
        ).fetchall()
    finally:
        con.close()
    assert sorted(landed) == sorted(p["id"] for p in ds.posts)
    assert len(landed) == len(set(landed)) and n_posts == n_ids
    assert runs[0][0] == "failed" and runs[0][1].startswith("interrupted")
    assert runs[1][0] == "ok"
    assert cursors == [(0,)] and not spool.pending(db)


CASSETTES = (
    "test_client_get_users.yaml",  # GET /2/users/by?usernames=Twitter,TwitterDev
    "test_client_get_users_mentions.yaml",  # GET /2/users/783214/mentions (page 1)
    "test_asyncclient_get_users_mentions.yaml",  # same path: served as the next page
    "test_client_get_users_tweets.yaml",  # GET /2/users/783214/tweets
    "test_client_search_recent_tweets.yaml",  # GET /2/tweets/search/recent
    "test_asyncclient_search_recent_tweets.yaml",
)


def _body(raw: bytes) -> dict:
    return json.loads(gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw)


def test_tweepy_cassettes_replay_through_the_collector_and_land(tmp_path):
    paths = [fixture_path("x-api-v2", "tweepy-cassettes", name) for name in CASSETTES]
    territory = parse_config(
        {
            "territory": {"name": "Cassettes", "slug": "cassettes", "timezone": "Europe/Paris"},
            "accounts": [
                {"platform": "x", "handle": "Twitter"},
                {"platform": "x", "handle": "TwitterDev"},
            ],
            "tracking": {"hashtags": ["#Tweepy"], "keywords": ["Tweepy"]},
        }
    )
    db = tmp_path / "w.duckdb"
    with FakeXApi() as fake:
        assert sum(fake.load_cassette(p) for p in paths) == len(CASSETTES)
        report = collect([territory], db, "any", base_url=fake.url, policy=fast_policy())
        served = [(path, _body(body)) for path, status, body in fake.responses if status == 200]
    assert report.status == "ok", summary(report)
    expected = {
        t["id"] for path, doc in served if path != "/2/users/by" for t in doc.get("data", [])
    }
    assert len(expected) == 10 + 2 + 2 + 10 + 10  # every recorded post was served once
    con = connect(db, read_only=True)
    try:
        landed = {
            r[0]
            for r in con.execute(
                "SELECT post_id FROM territory_posts WHERE territory = 'cassettes'"
            ).fetchall()
        }
        ids = dict(con.execute("SELECT handle, user_id FROM territory_accounts").fetchall())
        (n_text,) = con.execute(  # tweepy's tests asked for default fields: id and text
            "SELECT count(*) FROM posts WHERE text IS NOT NULL AND in_data"
        ).fetchall()[0]
        pages = con.execute("SELECT endpoint, count(*) FROM raw_pages GROUP BY 1").fetchall()
    finally:
        con.close()
    assert landed == expected
    assert ids == {"Twitter": "783214", "TwitterDev": "2244994945"}
    assert n_text == len(expected)
    assert dict(pages)["/2/users/:id/mentions"] >= 2  # the second recorded page was paginated to
