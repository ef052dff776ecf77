"""Security: hostile text through every input that reaches SQL, and no secret anywhere.

Hostile strings (SQL fragments, LIKE wildcards, quotes, placeholders, NUL, very long) go
through the configuration (hashtags, keywords, domains, handles, locality terms), the
import (usernames, hashtags, mentions, text, ids), the metrics, the dashboard's search,
``forget`` and ``purge``: nothing breaks, nothing is interpreted (every table is still
there, the strings come back byte for byte, a search for ``%`` finds only a literal ``%``).
Then the bearer token: a collection that fails (wrong token, server errors) never prints,
logs, stores or shows it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import pytest

from collectors.jsonl_import import import_files
from tests.scenario import make_territory
from warehouse.db import connect, copy_warehouse, snapshot_path, writer
from warehouse.forget import forget_account, forget_post
from warehouse.retention import purge
from warehouse.territory import load_territories, resolve_account_ids, save_territory

ROOT = Path(__file__).resolve().parents[1]
HOSTILE = [
    "'; DROP TABLE posts; --",
    "%_\\",
    '" OR 1=1 --',
    "$q ? :name %s {0}",
    "Robert'); DELETE FROM accounts WHERE ('1'='1",
    "\u202eevil\u0000nul",
    "é" * 5000,
]
TABLES = ("posts", "accounts", "territory_posts", "post_hashtags", "post_mentions", "raw_pages",
          "territories", "territory_accounts", "daily_posts", "daily_activity", "erasures")


def _territory():
    return make_territory(
        tracking={"hashtags": ["#Ville", *HOSTILE[:5]], "keywords": HOSTILE,
                  "city_domains": ["ville.fr", "%", "'; DROP TABLE posts; --"]},
        locality={"terms": HOSTILE, "local_accounts": HOSTILE[:3],
                  "exclude_accounts": HOSTILE[3:5]},
    )


def _page(i: int, text: str) -> dict:
    uid, pid = str(5000 + i), str(9_000_000 + i)
    return {
        "data": [{
            "id": pid, "author_id": uid, "text": text, "created_at": "2024-03-04T08:00:00.000Z",
            "conversation_id": pid, "lang": "fr",
            "entities": {"hashtags": [{"tag": text[:40]}, {"tag": "Ville"}],
                         "mentions": [{"username": text[:20], "id": "1"}, {"username": "ville"}],
                         "urls": [{"url": "https://t.co/x", "expanded_url": f"https://ville.fr/{text[:30]}"}]},
        }],
        "includes": {"users": [
            {"id": uid, "username": text[:30], "name": text, "location": text, "description": text},
            {"id": "1", "username": "ville", "name": "Ville"},
        ]},
    }


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    """Built once; tests that write work on a copy (:func:`hostile_copy`)."""
    tmp_path = tmp_path_factory.mktemp("hostile")
    db = tmp_path / "w.duckdb"
    jsonl = tmp_path / "hostile.jsonl"
    jsonl.write_text("\n".join(json.dumps(_page(i, t)) for i, t in enumerate(HOSTILE)))
    territory = _territory()
    with writer(db) as con:
        save_territory(con, territory)
        report = import_files(con, [jsonl], territory.slug)
        resolve_account_ids(con, territory.slug)
    assert report.skipped == [] and report.stats.new_pages == len(HOSTILE)
    return db, territory


@pytest.fixture
def hostile_copy(hostile_db, tmp_path: Path) -> tuple[Path, object]:
    db, territory = hostile_db
    copy = tmp_path / "w.duckdb"
    copy_warehouse(db, copy)  # with its raw layer (warehouse/raw_files.py)
    return copy, territory


def _intact(db: Path) -> None:
    con = connect(db, read_only=True)
    try:
        names = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        assert set(TABLES) <= names
        assert con.execute("SELECT count(*) FROM accounts").fetchall()[0][0] >= 1
    finally:
        con.close()


def test_hostile_config_and_pages_are_stored_verbatim(hostile_db) -> None:
    db, territory = hostile_db
    _intact(db)
    con = connect(db, read_only=True)
    try:
        texts = {r[0] for r in con.execute("SELECT text FROM posts").fetchall()}
        assert texts == set(HOSTILE)
        names = {r[0] for r in con.execute("SELECT username FROM accounts").fetchall()}
        assert {t[:30] for t in HOSTILE} <= names
        stored = load_territories(con)[0]
        assert stored.hashtags == territory.hashtags and stored.keywords == territory.keywords
        # tracked hashtags from the config are matched as values: the hostile ones too
        tags = {r[0] for r in con.execute("SELECT DISTINCT tag FROM hashtag_facts").fetchall()}
        assert "ville" in tags and "'; drop table posts; --" in tags
        counted = con.execute("SELECT sum(hashtag_posts) FROM daily_activity WHERE account = ''")
        assert counted.fetchall()[0][0] == len(
            {r[0] for r in con.execute("SELECT post_id FROM hashtag_facts").fetchall()}) > 0
    finally:
        con.close()


def test_metrics_and_search_treat_hostile_text_as_text(hostile_db) -> None:
    from warehouse import metrics
    from warehouse import page_conversations as dashboard_queries

    db, territory = hostile_db
    con = connect(db, read_only=True)
    try:
        window = (date(2024, 3, 1), date(2024, 3, 8))
        head = metrics.headline(con, territory, *window, datetime(2024, 3, 9))
        assert head["posts_total"] == len(HOSTILE)

        def search(text: str) -> set[str]:
            return set(dashboard_queries.search_posts(con, territory, *window, text)["text"])

        for needle in HOSTILE:
            assert search(needle) == {t for t in HOSTILE if needle.strip().lower() in t.lower()}
        # LIKE wildcards are plain characters: only the posts holding them are found
        assert search("%") == {t for t in HOSTILE if "%" in t} == {"%_\\", "$q ? :name %s {0}"}
        assert search("_") == {"%_\\"}
        assert search("\\") == {"%_\\"}
    finally:
        con.close()
    _intact(db)


def test_metrics_command_with_a_hostile_config(hostile_copy, tmp_path: Path, capsys) -> None:
    from territoires.cli import main

    db, _ = hostile_copy
    cfg = tmp_path / "hostile.toml"
    terms = json.dumps(HOSTILE[:5])
    cfg.write_text(
        '[territory]\nname = "T"\nslug = "testville"\ntimezone = "Europe/Paris"\n'
        '[[accounts]]\nplatform = "x"\nhandle = "ville"\n'
        f"[tracking]\nhashtags = {terms}\nkeywords = {terms}\n[locality]\nterms = {terms}\n",
        encoding="utf-8",
    )
    rc = main(["metrics", "--config", str(cfg), "--db", str(db), "--since", "2024-03-01",
               "--until", "2024-03-08", "--as-of", "2024-03-09T00:00:00Z", "--format", "json"])
    assert rc == 0
    assert json.loads(capsys.readouterr().out)["posts_total"] == len(HOSTILE)
    _intact(db)


def test_forget_and_purge_with_hostile_values(hostile_copy) -> None:
    db, _ = hostile_copy
    with writer(db) as con:
        for value in HOSTILE + ["%", "_", "*", "@%"]:
            forget_post(con, value)
        before = con.execute("SELECT count(*) FROM posts").fetchall()[0][0]
        for value in ["%", "_", "*", "@%", "' OR '1'='1"]:  # match nobody
            report, _ = forget_account(con, value)
            assert report.posts_removed == 0 and report.accounts_removed == 0
        assert con.execute("SELECT count(*) FROM posts").fetchall()[0][0] == before == len(HOSTILE)
        report, _ = forget_account(con, HOSTILE[0][:30])  # a real (hostile) handle
        assert report.posts_removed == 1 and report.accounts_removed == 1
        purge(con, datetime(2024, 3, 10))
        rows = con.execute("SELECT * FROM erasures").fetchall()
    assert all(not any(h[:10] in str(r) for h in HOSTILE) for r in rows)  # no personal data
    _intact(db)


# -- secrets ---------------------------------------------------------------------------------

SECRET = "s3cr3t-Bearer-AAAAAAAAAAAAAAAAAAAAAFAKE0123456789"


def _collect_cli(db: Path, url: str, token: str, tmp_path: Path) -> subprocess.CompletedProcess:
    cfg = tmp_path / "ville.toml"
    text = (ROOT / "examples" / "villeneuve.toml").read_text(encoding="utf-8")
    cfg.write_text(text)  # X handles of 15 characters at most
    env = {**os.environ, "X_BEARER_TOKEN": token, "TERRITOIRES_X_API_URL": url,
           "PYTHONPATH": str(ROOT), "TERRITOIRES_RETRIES": "1", "TERRITOIRES_BACKOFF": "0",
           "TERRITOIRES_BACKOFF_MAX": "0", "TERRITOIRES_HTTP_TIMEOUT": "10"}
    env.pop("TWITTER_BEARER_TOKEN", None)
    return subprocess.run(
        [sys.executable, "-m", "territoires.cli", "collect", "--config", str(cfg), "--db", str(db)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )


def _assert_no_secret(tmp_path: Path, *texts: str) -> None:
    for text in texts:
        assert SECRET not in text and SECRET[:20] not in text
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path


@pytest.mark.timeout(180)
def test_a_failing_collection_never_shows_the_token(tmp_path: Path) -> None:
    pytest.importorskip("collectors.x_collect")
    from tests.fake_x_api import FakeXApi, FaultRule, make_dataset

    ds = make_dataset()
    db = tmp_path / "w.duckdb"
    # the server expects another token: every call is refused (401)
    with FakeXApi(ds.users, ds.all_posts(), token="the-right-token") as fake:
        wrong = _collect_cli(db, fake.url, SECRET, tmp_path)
    assert wrong.returncode != 0
    assert "Traceback" not in wrong.stderr
    # the right token, but the server fails (500) on every call
    outputs = [wrong.stdout, wrong.stderr]
    # the right token, but the server fails: 503 on every call, then malformed bodies
    for fault in ("503", "malformed"):
        with FakeXApi(ds.users, ds.all_posts(), token=SECRET) as fake:
            fake.faults.append(FaultRule(fault, times=None))
            failing = _collect_cli(db, fake.url, SECRET, tmp_path)
            statuses = [status for _, status, _ in fake.responses]
            assert statuses and (fault != "503" or set(statuses) == {503})  # the faults fired
        assert "Traceback" not in failing.stderr, failing.stderr[-2000:]
        outputs += [failing.stdout, failing.stderr]
    _assert_no_secret(tmp_path, *outputs)
    if snapshot_path(db).exists():
        con = connect(snapshot_path(db), read_only=True)
        try:
            runs = con.execute(
                "SELECT coalesce(message, '') || coalesce(errors::VARCHAR, '') FROM collect_runs"
            ).fetchall()
            assert runs and all(SECRET not in msg for (msg,) in runs)
        finally:
            con.close()


def test_the_dashboard_never_shows_environment_secrets(hostile_db, monkeypatch) -> None:
    from streamlit.testing.v1 import AppTest

    db, _ = hostile_db
    monkeypatch.setenv("TERRITOIRES_DB", str(db))
    monkeypatch.setenv("X_BEARER_TOKEN", SECRET)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["q"] = HOSTILE[0]
    at.run()
    shown = repr(at._tree)
    assert SECRET not in shown and "X_BEARER_TOKEN" not in shown
    _intact(db)
