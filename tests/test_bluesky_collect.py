"""The Bluesky collector against a fake XRPC server (real HTTP, the real ``atproto`` client)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from collectors import bluesky
from collectors.faults import RetryPolicy
from collectors.spool import pending, rejected_dir
from model import parse_config
from tests.fake_bluesky import FakeBluesky, facet_text
from warehouse import raw_files
from warehouse.db import connect
from warehouse.migrations import migrate

CITY = "did:plc:ville000000000000000000"
ANNE = "did:plc:anne0000000000000000000"
BOB = "did:plc:bob00000000000000000000"
FAST = RetryPolicy(
    max_retries=3,
    max_rate_wait=5,
    no_header_wait=0.05,
    backoff_base=0.01,
    backoff_max=0.05,
    timeout=5,
)


def territory():
    return parse_config(
        {
            "territory": {"name": "Villeneuve", "slug": "villeneuve", "timezone": "Europe/Paris"},
            "accounts": [
                {
                    "platform": "bluesky",
                    "handle": "ville.bsky.social",
                    "service_hours": "mon-sun 00:00-23:59",
                }
            ],
            "tracking": {"hashtags": ["#Villeneuve"], "city_domains": ["villeneuve-sur-loire.fr"]},
            "locality": {"terms": ["Villeneuve"]},
        }
    )


def world(fake: FakeBluesky) -> dict[str, dict]:
    """A city post, a citizen's mention and the city's answer, a local repost and a quote."""
    fake.add_account(
        "ville.bsky.social",
        CITY,
        password="app-pass-1234",
        displayName="Ville",
        followersCount=5000,
        description="Compte officiel",
    )
    fake.add_account(
        "anne.bsky.social",
        ANNE,
        displayName="Anne",
        followersCount=120,
        description="Habitante de Villeneuve",
    )
    fake.add_account("bob.example.com", BOB, displayName="Bob", followersCount=30)
    link = "https://www.villeneuve-sur-loire.fr/travaux"
    text = f"Travaux rue Haute #Villeneuve {link}"
    city = fake.add_post(
        CITY,
        "c1",
        text,
        "2025-03-03T08:00:00.000Z",
        facets=facet_text(text, tags=["Villeneuve"], links=[link]),
    )
    m_text = "@ville.bsky.social le lampadaire est en panne"
    mention = fake.add_post(
        ANNE,
        "a1",
        m_text,
        "2025-03-03T09:00:00.000Z",
        facets=facet_text(m_text, mentions={"@ville.bsky.social": CITY}),
    )
    fake.notify_post(CITY, "mention", mention)
    answer = fake.add_post(
        CITY, "c2", "Merci, c'est signalé.", "2025-03-03T09:30:00.000Z", reply_to=mention
    )
    quote = fake.add_post(BOB, "b1", "À lire", "2025-03-03T10:00:00.000Z", quote=city)
    fake.notify_post(CITY, "quote", quote)
    repost_uri = fake.repost(ANNE, "r1", city, "2025-03-03T11:00:00.000Z", notify=CITY)
    return {
        "city": city,
        "mention": mention,
        "answer": answer,
        "quote": quote,
        "repost": {"uri": repost_uri},
    }


@pytest.fixture
def fake():
    with FakeBluesky() as server:
        yield server


def run(db: Path, fake: FakeBluesky, sessions: Path, **kw) -> tuple[int, dict]:
    con = connect(db)
    migrate(con)
    try:
        run_id = bluesky.collect(
            con,
            db,
            territory(),
            base=fake.url,
            policy=FAST,
            sessions=sessions,
            env={"BLUESKY_APP_PASSWORD": "app-pass-1234"},
            **kw,
        )
        row = con.execute(
            "SELECT status, pages, posts, errors, message FROM collect_runs WHERE run_id = ?",
            [run_id],
        ).fetchone()
        return run_id, {
            "status": row[0],
            "pages": row[1],
            "posts": row[2],
            "errors": json.loads(row[3]),
            "message": row[4],
        }
    finally:
        con.close()


def q(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = connect(db)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def test_full_then_incremental_collection(fake, tmp_path):
    db, sessions = tmp_path / "w.duckdb", tmp_path / "sessions"
    w = world(fake)
    _, r1 = run(db, fake, sessions)
    assert r1["status"] == "ok", r1
    assert fake.logins == 1
    assert q(db, "SELECT user_id FROM territory_accounts WHERE platform = 'bluesky'") == [(CITY,)]
    posts = dict(q(db, "SELECT id, author_id FROM posts WHERE platform = 'bluesky'"))
    for k in ("city", "mention", "answer", "quote"):
        assert posts[w[k]["uri"]] == w[k]["author"]["did"]
    assert posts[w["repost"]["uri"]] == ANNE
    answer = q(
        db,
        "SELECT conversation_id, in_reply_to_user_id, reply_to_id FROM posts WHERE id = ?",
        [w["answer"]["uri"]],
    )[0]
    assert answer == (w["mention"]["uri"], ANNE, w["mention"]["uri"])
    assert q(db, "SELECT reposted_id FROM posts WHERE id = ?", [w["repost"]["uri"]]) == [
        (w["city"]["uri"],)
    ]
    assert q(db, "SELECT quoted_id FROM posts WHERE id = ?", [w["quote"]["uri"]]) == [
        (w["city"]["uri"],)
    ]
    assert q(db, "SELECT tag FROM post_hashtags WHERE post_id = ?", [w["city"]["uri"]]) == [
        ("villeneuve",)
    ]
    assert q(db, "SELECT domain FROM post_links WHERE post_id = ?", [w["city"]["uri"]]) == [
        ("villeneuve-sur-loire.fr",)
    ]
    assert q(
        db, "SELECT user_id, username FROM post_mentions WHERE post_id = ?", [w["mention"]["uri"]]
    ) == [(CITY, "ville.bsky.social")]
    # authors' follower counts come from getProfiles
    assert (
        dict(q(db, "SELECT id, followers_count FROM accounts WHERE platform = 'bluesky'"))[ANNE]
        == 120
    )
    con = connect(db)
    try:
        pages = raw_files.pages_sql(con, "endpoint = 'app.bsky.notification.listNotifications'")
        raw = con.execute(f"SELECT body FROM {pages}").fetchall()  # noqa: S608
    finally:
        con.close()
    assert "notifications" in json.loads(raw[0][0])  # the page as it came, not the mapped copy
    assert not pending(db)

    # incremental: one new mention; the stored session is reused (no new login)
    before = fake.count("listNotifications")
    late = fake.add_post(
        BOB,
        "b2",
        "@ville.bsky.social et la piscine ?",
        "2025-03-04T09:00:00.000Z",
        facets=facet_text(
            "@ville.bsky.social et la piscine ?", mentions={"@ville.bsky.social": CITY}
        ),
    )
    fake.notify_post(CITY, "mention", late)
    _, r2 = run(db, fake, sessions)
    assert r2["status"] == "ok", r2
    assert fake.logins == 1
    assert fake.count("listNotifications") == before + 1
    assert q(db, "SELECT count(*) FROM posts WHERE id = ?", [late["uri"]]) == [(1,)]
    states = dict(
        q(
            db,
            "SELECT query, since_id FROM collect_state WHERE endpoint = "
            "'app.bsky.notification.listNotifications'",
        )
    )
    assert states["ville.bsky.social"].startswith("2025-03-04T09:00:00")


def test_pagination_cursor_resumes_after_page_cap(fake, tmp_path):
    db, sessions = tmp_path / "w.duckdb", tmp_path / "s"
    world(fake)
    for i in range(7):
        t = f"2025-03-05T10:0{i}:00.000Z"
        fake.notify_post(
            CITY, "mention", fake.add_post(BOB, f"m{i}", f"@ville.bsky.social n°{i}", t)
        )
    fake.faults.clear()
    # 3 per page, 2 pages max: the first run stops with a cursor, the second finishes
    orig = bluesky.Collector.query

    def small(self, nsid, params, qtext, items, stamp):
        return orig(self, nsid, {**params, "limit": 3}, qtext, items, stamp)

    bluesky.Collector.query = small
    try:
        run(db, fake, sessions, max_pages=2)
        st = q(
            db,
            "SELECT cursor, since_id FROM collect_state WHERE query = 'ville.bsky.social' "
            "AND endpoint LIKE '%listNotifications'",
        )[0]
        assert st[0] == "6" and st[1] is None
        n1 = q(db, "SELECT count(*) FROM posts WHERE id LIKE '%/m%'")[0][0]
        assert n1 == 6
        run(db, fake, sessions, max_pages=5)
    finally:
        bluesky.Collector.query = orig
    st = q(
        db,
        "SELECT cursor, since_id FROM collect_state WHERE query = 'ville.bsky.social' "
        "AND endpoint LIKE '%listNotifications'",
    )[0]
    assert st[0] is None and st[1].startswith("2025-03-05T10:06")
    assert q(db, "SELECT count(*) FROM posts WHERE id LIKE '%/m%'")[0][0] == 7


def test_faults_rate_limits_5xx_and_malformed(fake, tmp_path):
    db, sessions = tmp_path / "w.duckdb", tmp_path / "s"
    w = world(fake)
    fake.faults["listNotifications"] = ["429", "429-noreset", "503"]
    fake.faults["getAuthorFeed"] = ["malformed"]
    _, r = run(db, fake, sessions)
    # the notifications came through after waiting; the feed's bad page is kept aside
    assert q(db, "SELECT count(*) FROM posts WHERE id = ?", [w["mention"]["uri"]]) == [(1,)]
    assert r["status"] == "partial"
    assert [e["kind"] for e in r["errors"]["items"]] == ["malformed"]
    kept = list(rejected_dir(db).glob("*.body"))
    assert len(kept) == 1 and kept[0].read_bytes().startswith(b'{"cursor": "x"')
    assert q(
        db, "SELECT count(*) FROM collect_state WHERE endpoint = 'app.bsky.feed.getAuthorFeed'"
    ) == [(0,)]
    _, r2 = run(db, fake, sessions)  # the next run fetches the feed again
    assert r2["status"] == "ok"
    assert q(
        db, "SELECT count(*) FROM collect_state WHERE endpoint = 'app.bsky.feed.getAuthorFeed'"
    ) == [(1,)]


def test_server_down_ends_run_partial_and_keeps_what_landed(fake, tmp_path):
    db, sessions = tmp_path / "w.duckdb", tmp_path / "s"
    w = world(fake)
    fake.faults["getAuthorFeed"] = ["503"] * 10
    _, r = run(db, fake, sessions)
    assert r["status"] == "partial"
    assert "unavailable" in r["message"]
    assert q(db, "SELECT count(*) FROM posts WHERE id = ?", [w["mention"]["uri"]]) == [(1,)]


def test_login_refused_and_no_password(fake, tmp_path):
    db = tmp_path / "w.duckdb"
    world(fake)
    con = connect(db)
    migrate(con)
    try:
        rid = bluesky.collect(
            con,
            db,
            territory(),
            base=fake.url,
            policy=FAST,
            sessions=tmp_path / "s",
            env={"BLUESKY_APP_PASSWORD": "wrong-secret-99"},
        )
        status, message = con.execute(
            "SELECT status, message FROM collect_runs WHERE run_id = ?", [rid]
        ).fetchone()
        assert status == "failed"
        assert "wrong-secret-99" not in message and "BLUESKY_APP_PASSWORD" in message
        rid = bluesky.collect(
            con, db, territory(), base=fake.url, policy=FAST, sessions=tmp_path / "s", env={}
        )
        assert con.execute(
            "SELECT status FROM collect_runs WHERE run_id = ?", [rid]
        ).fetchone() == ("failed",)
    finally:
        con.close()


def test_login_cap_and_session_refresh(fake, tmp_path):
    """An expiring access token is refreshed (not a new login); the login log caps logins."""
    fake.access_ttl = 60  # the client refreshes tokens 15 minutes before they expire
    world(fake)
    db, sessions = tmp_path / "w.duckdb", tmp_path / "s"
    run(db, fake, sessions)
    assert fake.logins == 1 and fake.refreshes >= 1
    api = bluesky.BlueskyApi("ville.bsky.social", fake.url, FAST, sessions)
    api.session_file.unlink()
    now = __import__("time").time()
    api.login_log.write_text(json.dumps([now - i for i in range(30)]))
    _, r = run(db, fake, sessions)
    assert r["status"] == "failed" and "cap" in r["message"]
    assert fake.logins == 1
    assert oct(api.login_log.parent.stat().st_mode & 0o777) == "0o700"


def test_cli_collect_platform_bluesky(fake, tmp_path, monkeypatch, capsys):
    from territoires.cli import main

    world(fake)
    cfg = tmp_path / "t.toml"
    cfg.write_text(
        '[territory]\nname = "Villeneuve"\nslug = "villeneuve"\ntimezone = "Europe/Paris"\n'
        '[[accounts]]\nplatform = "bluesky"\nhandle = "@ville.bsky.social"\n'
        '[tracking]\nhashtags = ["#Villeneuve"]\n'
    )
    monkeypatch.setenv("TERRITOIRES_BLUESKY_API_URL", fake.url)
    monkeypatch.setenv("TERRITOIRES_BLUESKY_SESSION_DIR", str(tmp_path / "s"))
    monkeypatch.setenv("BLUESKY_APP_PASSWORD", "app-pass-1234")
    monkeypatch.setenv("TERRITOIRES_RETRIES", "1")
    db = tmp_path / "w.duckdb"
    assert (
        main(["collect", "--config", str(cfg), "--db", str(db), "--platform", "bluesky",
              "--quiet", "--no-purge"])  # the fake world dates from 2023: past retention
        == 0
    )
    out = capsys.readouterr()
    assert "villeneuve bluesky: ok" in out.out
    assert "app-pass-1234" not in out.out + out.err
    assert (
        q(Path(str(db) + ".snapshot"), "SELECT count(*) FROM posts WHERE platform = 'bluesky'")[0][
            0
        ]
        >= 5
    )


def test_recorded_payloads_load_through_the_collector(fake, tmp_path):
    """atproto's recorded responses (resolveHandle, a thread, profiles), served by the fake."""
    from tests.conftest import fixture_path

    resolved = json.loads(fixture_path("bluesky", "resolve_handle.json").read_text())
    thread = json.loads(
        fixture_path("bluesky", "thread_view_post_with_embed_media.json").read_text()
    )
    follows = json.loads(fixture_path("bluesky", "get_follows.json").read_text())
    fake.add_account("ville.bsky.social", resolved["did"], password="app-pass-1234")
    for p in follows["follows"]:
        fake.profiles[p["did"]] = p
    root = thread["thread"]["post"]
    fake.threads[root["uri"]] = thread
    # a mention of the city inside that thread makes the collector fetch the thread
    fake.add_account("bob.example.com", BOB, followersCount=30)
    m = fake.add_post(
        BOB, "x1", "@ville.bsky.social ?", "2025-03-03T09:00:00.000Z", reply_to=root, in_feed=False
    )
    fake.notify_post(resolved["did"], "reply", m)
    db = tmp_path / "w.duckdb"
    _, r = run(db, fake, tmp_path / "s")
    assert r["status"] == "ok", r
    assert q(db, "SELECT user_id FROM territory_accounts") == [(resolved["did"],)]
    assert fake.count("getPostThread") == 1
    row = q(db, "SELECT author_id, quoted_id, text FROM posts WHERE id = ?", [root["uri"]])
    embedded = root["embed"]["record"]["record"]
    assert row == [(root["author"]["did"], embedded["uri"], "")]
    assert q(db, "SELECT text, in_data FROM posts WHERE id = ?", [embedded["uri"]]) == [
        ("test", False)
    ]
    assert q(db, "SELECT username FROM accounts WHERE id = ?", [root["author"]["did"]]) == [
        ("test.marshal.dev",)
    ]
