"""The Mastodon collector against fake servers (real HTTP, the real ``Mastodon.py`` client)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from collectors import mastodon
from collectors.faults import RetryPolicy
from collectors.spool import rejected_dir
from model import parse_config
from tests.conftest import fixture_path
from tests.fake_mastodon import FakeMastodon, cassette_bodies
from warehouse.db import connect
from warehouse.migrations import migrate

FAST = RetryPolicy(
    max_retries=3,
    max_rate_wait=5,
    no_header_wait=0.05,
    backoff_base=0.01,
    backoff_max=0.05,
    timeout=5,
)
TOKEN = "tok-secret-42"


def territory(handle="ville@social.example", instances=("other.example",), tags=("#Villeneuve",)):
    return parse_config(
        {
            "territory": {"name": "Villeneuve", "slug": "villeneuve", "timezone": "Europe/Paris"},
            "accounts": [
                {
                    "platform": "mastodon",
                    "handle": "@" + handle,
                    "service_hours": "mon-sun 00:00-23:59",
                }
            ],
            "tracking": {
                "hashtags": list(tags),
                "city_domains": ["villeneuve-sur-loire.fr"],
                "mastodon_instances": list(instances),
            },
            "locality": {"terms": ["Villeneuve"]},
        }
    )


def world(home: FakeMastodon, other: FakeMastodon) -> dict:
    city = home.add_account("ville", display_name="Ville", followers=4000, owner=True)
    anne = home.add_account("anne", note="<p>Habitante de Villeneuve</p>", followers=80)
    post = home.add_status(
        city,
        '<p>Travaux rue Haute <a href="https://villeneuve-sur-loire.fr/t" '
        'rel="nofollow">villeneuve-sur-loire.fr/t</a></p>',
        "2025-03-03T08:00:00.000Z",
    )
    mention = home.add_status(
        anne,
        '<p><span class="h-card"><a href="https://social.example/@ville" '
        'class="u-url mention">@<span>ville</span></a></span> le lampadaire<br>'
        "est en panne &amp; noir</p>",
        "2025-03-03T09:00:00.000Z",
        mentions=[city],
        notify_mention=True,
    )
    answer = home.add_status(
        city, "<p>Merci !</p>", "2025-03-03T09:30:00.000Z", reply_to=mention, mentions=[anne]
    )
    # a follow-up reply to the city's answer, mentioning the city: its root needs /context
    follow = home.add_status(
        anne,
        "<p>@ville merci</p>",
        "2025-03-03T10:00:00.000Z",
        reply_to=answer,
        mentions=[city],
        notify_mention=True,
    )
    # the hashtag on another server, by a remote account
    zoe = other.add_account("zoe", display_name="Zoé", followers=10)
    tagged = other.add_status(
        zoe,
        '<p>Fête <a href="https://other.example/tags/villeneuve" '
        'class="mention hashtag">#<span>Villeneuve</span></a></p>',
        "2025-03-03T12:00:00.000Z",
        tags=["Villeneuve"],
    )
    return {
        "city": city,
        "anne": anne,
        "post": post,
        "mention": mention,
        "answer": answer,
        "follow": follow,
        "tagged": tagged,
    }


@pytest.fixture
def servers():
    with (
        FakeMastodon("social.example", token=TOKEN) as home,
        FakeMastodon("other.example", token=None) as other,
    ):
        yield home, other


def run(db: Path, home, other, t=None, **kw) -> dict:
    con = connect(db)
    migrate(con)
    try:
        rid = mastodon.collect(
            con,
            db,
            t or territory(),
            bases={"social.example": home.url, "other.example": other.url},
            policy=FAST,
            env={"MASTODON_ACCESS_TOKEN": TOKEN},
            **kw,
        )
        row = con.execute(
            "SELECT status, pages, posts, errors, message FROM collect_runs WHERE run_id = ?", [rid]
        ).fetchone()
        return {
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


def test_full_collection_maps_ids_threads_and_text(servers, tmp_path):
    home, other = servers
    w = world(home, other)
    db = tmp_path / "w.duckdb"
    r = run(db, home, other)
    assert r["status"] == "ok", r
    city_id = "https://social.example/@ville"
    assert q(db, "SELECT user_id FROM territory_accounts") == [(city_id,)]
    rows = {
        r[0]: r[1:]
        for r in q(
            db,
            "SELECT id, author_id, text, conversation_id, in_reply_to_user_id, "
            "reply_to_id FROM posts WHERE platform = 'mastodon'",
        )
    }
    m, a, f = w["mention"]["uri"], w["answer"]["uri"], w["follow"]["uri"]
    assert rows[m] == (
        "https://social.example/@anne",
        "@ville le lampadaire\nest en panne & noir",
        m,
        None,
        None,
    )
    assert rows[a] == (city_id, "Merci !", m, "https://social.example/@anne", m)
    assert rows[f] == ("https://social.example/@anne", "@ville merci", m, city_id, a)
    assert w["tagged"]["uri"] in rows  # from the other server's hashtag timeline
    assert q(db, "SELECT domain FROM post_links WHERE post_id = ?", [w["post"]["uri"]]) == [
        ("villeneuve-sur-loire.fr",)
    ]
    assert q(db, "SELECT tag FROM post_hashtags WHERE post_id = ?", [w["tagged"]["uri"]]) == [
        ("villeneuve",)
    ]
    assert q(db, "SELECT username FROM post_mentions WHERE post_id = ?", [m]) == [
        ("ville@social.example",)
    ]
    assert q(
        db,
        "SELECT username, followers_count, description FROM accounts WHERE id = ?",
        ["https://social.example/@anne"],
    ) == [("anne@social.example", 80, "Habitante de Villeneuve")]
    assert home.count("/context") >= 1
    # the token only went to the account's own server
    assert all("Authorization" not in str(h) for h in other.requests)

    # incremental: forward paging from the newest id (min_id), nothing fetched twice
    late = home.add_status(
        w["anne"],
        "<p>@ville et la piscine ?</p>",
        "2025-03-04T09:00:00.000Z",
        mentions=[w["city"]],
        notify_mention=True,
    )
    r2 = run(db, home, other)
    assert r2["status"] == "ok"
    notif_q = [qs for m_, p, qs in home.requests if p == "/api/v1/notifications"]
    assert "min_id" in notif_q[-1] or "min_id" in notif_q[-2]
    assert q(db, "SELECT count(*) FROM posts WHERE id = ?", [late["uri"]]) == [(1,)]


def test_page_cap_keeps_cursor_then_resumes(servers, tmp_path):
    home, other = servers
    w = world(home, other)
    for i in range(9):
        home.add_status(w["city"], f"<p>n°{i}</p>", f"2025-03-05T10:0{i}:00.000Z")
    home.max_limit = 4
    db = tmp_path / "w.duckdb"
    run(db, home, other, max_pages=2)
    since, cursor = q(
        db,
        "SELECT since_id, cursor FROM collect_state WHERE endpoint = "
        "'/api/v1/accounts/:id/statuses'",
    )[0]
    assert since is None and cursor is not None  # 8 of the city's 11 statuses, cursor kept
    assert q(
        db,
        "SELECT count(*) FROM posts WHERE author_id = 'https://social.example/@ville' "
        "AND text LIKE 'n°%'",
    ) == [(8,)]
    run(db, home, other, max_pages=5)
    since, cursor = q(
        db,
        "SELECT since_id, cursor FROM collect_state WHERE endpoint = "
        "'/api/v1/accounts/:id/statuses'",
    )[0]
    assert cursor is None and since is not None
    assert q(
        db,
        "SELECT count(*) FROM posts WHERE author_id = 'https://social.example/@ville' "
        "AND text LIKE 'n°%'",
    ) == [(9,)]
    calls = [qs for _m, p, qs in home.requests if p.endswith("/statuses") and "max_id" in qs]
    assert calls  # the Link rel="next" (max_id) was followed


def test_faults(servers, tmp_path):
    home, other = servers
    w = world(home, other)
    home.faults["notifications"] = ["429", "429-noreset", "503"]
    other.faults["tag"] = ["malformed"]
    db = tmp_path / "w.duckdb"
    r = run(db, home, other)
    assert q(db, "SELECT count(*) FROM posts WHERE id = ?", [w["mention"]["uri"]]) == [(1,)]
    assert r["status"] == "partial"
    assert [e["kind"] for e in r["errors"]["items"]] == ["malformed"]
    # Mastodon.py's JSON-parse error carries no status in args[1]: the captured one is kept
    assert "(HTTP 200)" in r["errors"]["items"][0]["message"], r["errors"]["items"][0]
    assert len(list(rejected_dir(db).glob("*.body"))) == 1
    r2 = run(db, home, other)
    assert r2["status"] == "ok"
    assert q(db, "SELECT count(*) FROM posts WHERE id = ?", [w["tagged"]["uri"]]) == [(1,)]


def test_bad_token_fails_without_printing_it(servers, tmp_path):
    home, other = servers
    world(home, other)
    db = tmp_path / "w.duckdb"
    con = connect(db)
    migrate(con)
    try:
        rid = mastodon.collect(
            con,
            db,
            territory(),
            bases={"social.example": home.url, "other.example": other.url},
            policy=FAST,
            env={"MASTODON_ACCESS_TOKEN": "wrong-token-77"},
        )
        status, message, errors = con.execute(
            "SELECT status, message, errors FROM collect_runs WHERE run_id = ?", [rid]
        ).fetchone()
    finally:
        con.close()
    assert status == "failed"
    assert "wrong-token-77" not in (message or "") + errors


def test_recorded_cassettes_load_through_the_collector(tmp_path):
    """Mastodon.py's recorded responses, served by the fake, collected and loaded."""
    fixture_path("mastodon")
    statuses = cassette_bodies(fixture_path("mastodon", "test_fetch_next_previous.yaml"))
    notifs = cassette_bodies(fixture_path("mastodon", "test_notifications_mentions_only.yaml"))
    tagged = cassette_bodies(fixture_path("mastodon", "test_hashtag_tl.yaml"))
    with FakeMastodon("localhost:3000", token=TOKEN) as srv:
        for method, _uri, body, _h in statuses + tagged:
            if method == "GET" and isinstance(body, list):
                for st in body:
                    srv.add_status_doc(st)
        own = next(b for m, u, b, _h in statuses if u.endswith("verify_credentials"))
        srv.add_account_doc(own, owner=True)
        for method, _uri, body, _h in notifs:
            if method == "GET" and isinstance(body, list):
                srv.notifications += body
        db = tmp_path / "w.duckdb"
        t = territory(handle=f"{own['acct']}@localhost:3000", instances=(), tags=("#hoot",))
        con = connect(db)
        migrate(con)
        try:
            rid = mastodon.collect(
                con,
                db,
                t,
                bases={"localhost:3000": srv.url},
                policy=FAST,
                env={"MASTODON_ACCESS_TOKEN": TOKEN},
            )
            status = con.execute(
                "SELECT status FROM collect_runs WHERE run_id = ?", [rid]
            ).fetchone()[0]
            texts = dict(con.execute("SELECT id, text FROM posts").fetchall())
            uid = con.execute("SELECT user_id FROM territory_accounts").fetchone()[0]
        finally:
            con.close()
    assert status == "ok"
    assert uid == own["url"]
    toots = [t for t in texts.values() if t.startswith("Toot number")]
    assert len(toots) == 10
    assert (
        texts["http://localhost:3000/ap/users/117020565693913441/statuses/117020577157693549"]
        == "@mastodonpy_test hello!"
    )
    assert "#hoot (hashtag toot)" in texts.values()
