"""The demo territory: deterministic, realistic enough to exercise every metric (docs/metrics.md).

The checks below recompute what they need straight from the tables with the definitions of
docs/metrics.md, so they do not depend on (and can cross-check) ``warehouse.metrics``.
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import unicodedata
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest

from collectors.demo import XSS_TEXT, demo_period, generate_pages, spike_day
from territoires.commands.demo import build_demo
from territoires.example import demo_territory
from warehouse.db import connect

ROOT = Path(__file__).resolve().parents[1]
ANCHOR = date(2025, 3, 12)  # a Wednesday
POSTS = 4000

TABLES = {
    "posts": "SELECT * EXCLUDE (fetched_at, page_id) FROM posts ORDER BY platform, id",
    "accounts": "SELECT * EXCLUDE (fetched_at, page_id) FROM accounts ORDER BY platform, id",
    "territory_posts": "SELECT * FROM territory_posts ORDER BY ALL",
    "post_links": "SELECT * FROM post_links ORDER BY ALL",
    "post_hashtags": "SELECT * FROM post_hashtags ORDER BY ALL",
    "post_mentions": "SELECT * FROM post_mentions ORDER BY ALL",
    "post_refs": "SELECT * FROM post_refs ORDER BY ALL",
    "raw_pages": "SELECT * EXCLUDE (loaded_at) FROM raw_pages ORDER BY page_id",
    "territory_accounts": "SELECT * FROM territory_accounts ORDER BY ALL",
}


def _dump(db: Path) -> dict[str, list[tuple]]:
    con = connect(db, read_only=True)
    try:
        return {name: con.execute(sql).fetchall() for name, sql in TABLES.items()}
    finally:
        con.close()


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    landed, stats = build_demo(db, POSTS, seed=7, anchor=ANCHOR)
    assert landed == POSTS
    return db


@pytest.fixture(scope="module")
def dcon(demo_db: Path):
    con = connect(demo_db, read_only=True)
    yield con
    con.close()


def test_same_seed_and_anchor_same_warehouse(demo_db: Path, tmp_path: Path) -> None:
    again = tmp_path / "again.duckdb"
    build_demo(again, POSTS, seed=7, anchor=ANCHOR)
    first, second = _dump(demo_db), _dump(again)
    for name in TABLES:
        assert first[name] == second[name], name
    assert len(first["posts"]) >= POSTS


def test_fetch_times_are_deterministic_too(demo_db: Path, tmp_path: Path) -> None:
    again = tmp_path / "again.duckdb"
    build_demo(again, POSTS, seed=7, anchor=ANCHOR)
    sql = "SELECT id, fetched_at, page_id FROM posts ORDER BY id"
    a, b = connect(demo_db, read_only=True), connect(again, read_only=True)
    try:
        assert a.execute(sql).fetchall() == b.execute(sql).fetchall()
    finally:
        a.close()
        b.close()


def test_another_seed_gives_other_data(demo_db: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.duckdb"
    build_demo(other, POSTS, seed=8, anchor=ANCHOR)
    a, b = _dump(demo_db), _dump(other)
    assert a["posts"] != b["posts"]
    assert {r[1] for r in a["posts"]} != {r[1] for r in b["posts"]}


def test_pages_are_api_shaped_and_streamed() -> None:
    territory = demo_territory()
    pages = generate_pages(territory, posts=1500, seed=3, anchor=ANCHOR)
    first = next(pages)
    assert first.kind == "users" and first.endpoint == "/2/users/by"
    endpoints = set()
    import orjson

    native: dict[str, set[str]] = {"bluesky": set(), "mastodon": set()}
    for page in pages:
        assert page.source == "demo"
        if page.platform != "x":  # native response + the collectors' mapping of it
            assert page.canonical is not None and page.kind in ("tweets", "users")
            native[page.platform].add(page.endpoint or "")
            continue
        doc = orjson.loads(page.body)
        assert page.kind == "tweets"
        assert 1 <= len(doc["data"]) <= 100 and doc["meta"]["result_count"] == len(doc["data"])
        ids = [int(p["id"]) for p in doc["data"]]
        assert ids == sorted(ids, reverse=True)  # newest first, as X returns them
        users = {u["id"] for u in doc["includes"]["users"]}
        assert {p["author_id"] for p in doc["data"]} <= users
        for p in doc["data"]:
            assert p["id"].isdigit() and p["author_id"].isdigit()
            for ref in p.get("referenced_tweets", []):
                included = {t["id"] for t in doc["includes"].get("tweets", [])}
                assert ref["id"] in included | {q["id"] for q in doc["data"]}
        endpoints.add(page.endpoint)
    assert endpoints == {
        "/2/users/:id/mentions",
        "/2/users/:id/tweets",
        "/2/tweets/search/recent",
    }
    assert native["bluesky"] == {
        "app.bsky.actor.getProfiles",
        "app.bsky.notification.listNotifications",
        "app.bsky.feed.getAuthorFeed",
        "app.bsky.feed.searchPosts",
    }
    assert native["mastodon"] == {
        "/api/v1/accounts",
        "/api/v1/notifications",
        "/api/v1/accounts/:id/statuses",
        "/api/v1/timelines/tag/:hashtag",
    }


def test_post_ids_increase_with_time_and_stay_in_the_period(dcon, demo_db: Path) -> None:
    start, end = demo_period(demo_territory(), ANCHOR)
    rows = dcon.execute(
        "SELECT id::HUGEINT, created_at FROM posts WHERE in_data AND platform = 'x' ORDER BY 1"
    ).fetchall()
    times = [t for _, t in rows]
    assert times == sorted(times)
    assert start <= times[0] and times[-1] < end
    assert times[-1] > end - timedelta(hours=6)  # data runs up to shortly before the anchor


def test_city_accounts_resolved_with_profiles(dcon) -> None:
    rows = dcon.execute(
        "SELECT t.handle, a.verified_type, a.followers_count, t.platform FROM territory_accounts t "
        "JOIN accounts a ON a.platform = t.platform AND a.id = t.user_id ORDER BY t.handle"
    ).fetchall()
    assert [r[0] for r in rows] == [
        "villeneuve.bsky.social",
        "villeneuve@mastodon.social",
        "villeneuve_fr",
        "vsl_proprete",
        "vsl_sortir",
    ]
    assert all(r[2] > 1000 for r in rows)
    assert all(r[1] == "government" for r in rows if r[3] == "x")


def test_xss_post_is_verbatim(dcon) -> None:
    rows = dcon.execute("SELECT text FROM posts WHERE text LIKE 'Regardez ça%'").fetchall()
    assert rows == [(XSS_TEXT,)]


def _city(dcon) -> dict[str, str]:
    return dict(dcon.execute("SELECT user_id, handle FROM territory_accounts").fetchall())


def _interpellations(dcon, as_of):
    """docs/metrics.md: interpellations and their first answer from C, as of ``as_of``."""
    return dcon.execute(
        """
        WITH c AS (SELECT user_id AS id, handle FROM territory_accounts),
        i AS (
            SELECT p.* FROM posts p JOIN territory_posts tp ON tp.post_id = p.id
            WHERE NOT p.is_repost AND p.author_id NOT IN (SELECT id FROM c)
              AND (p.in_reply_to_user_id IN (SELECT id FROM c)
                   OR (p.reply_to_id IS NULL AND EXISTS (
                        SELECT 1 FROM post_mentions m
                        WHERE m.post_id = p.id AND m.user_id IN (SELECT id FROM c))))
        )
        SELECT i.id, i.created_at, i.text,
               (SELECT min(r.created_at) FROM posts r
                WHERE r.author_id IN (SELECT id FROM c) AND r.conversation_id = i.conversation_id
                  AND r.in_reply_to_user_id = i.author_id
                  AND r.created_at > i.created_at AND r.created_at <= ?) AS answered_at,
               (SELECT arg_min(c.handle, r.created_at) FROM posts r JOIN c ON c.id = r.author_id
                WHERE r.conversation_id = i.conversation_id
                  AND r.in_reply_to_user_id = i.author_id
                  AND r.created_at > i.created_at AND r.created_at <= ?) AS answered_by
        FROM i
        """,
        [as_of, as_of],
    ).fetchall()


def _open(territory, handle: str, utc) -> bool:
    local = utc.replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo(territory.timezone))
    acc = next(a for a in territory.accounts if a.handle == handle)
    minute = local.hour * 60 + local.minute
    return any(
        r.weekday == local.weekday() and r.start_minute <= minute < r.end_minute
        for r in acc.opening
    )


def test_interpellations_answered_quickly_slowly_out_of_hours_and_never(dcon) -> None:
    territory = demo_territory()
    _, as_of = demo_period(territory, ANCHOR)
    rows = _interpellations(dcon, as_of)
    assert len(rows) > POSTS // 10
    answered = [r for r in rows if r[3] is not None]
    delays = [(r[3] - r[1]).total_seconds() / 60 for r in answered]
    assert any(d < 30 for d in delays) and any(d > 24 * 60 for d in delays)
    never = [r for r in rows if r[3] is None and r[1] < as_of - timedelta(days=7)]
    assert len(never) > len(rows) // 20
    # received while the answering account was closed, answered once it opened
    next_opening = [
        r for r in answered if not _open(territory, r[4], r[1]) and _open(territory, r[4], r[3])
    ]
    assert len(next_opening) > 5
    # and a few answers posted outside service hours
    assert any(not _open(territory, r[4], r[3]) for r in answered)
    # some answered by another city account than the one addressed
    assert len({r[4] for r in answered}) == 5  # and on each platform


def test_pending_queue_is_not_empty(dcon) -> None:
    _, as_of = demo_period(demo_territory(), ANCHOR)
    rows = _interpellations(dcon, as_of)
    pending = [r for r in rows if r[3] is None and r[1] >= as_of - timedelta(days=7)]
    assert len(pending) >= 5
    assert XSS_TEXT in {r[2] for r in pending}


def test_replies_between_citizens_and_mentions_between_city_accounts(dcon) -> None:
    city = _city(dcon)
    ids = list(city)
    # a reply to a citizen that mentions the city: a thread, never an interpellation
    n = dcon.execute(
        """
        SELECT count(*) FROM posts p
        WHERE p.reply_to_id IS NOT NULL AND p.in_reply_to_user_id NOT IN (SELECT unnest(?))
          AND p.author_id NOT IN (SELECT unnest(?))
          AND EXISTS (SELECT 1 FROM post_mentions m WHERE m.post_id = p.id
                      AND m.user_id IN (SELECT unnest(?)))
        """,
        [ids, ids, ids],
    ).fetchone()[0]
    assert n > 10
    n = dcon.execute(
        """
        SELECT count(*) FROM posts p JOIN post_mentions m ON m.post_id = p.id
        WHERE p.author_id IN (SELECT unnest(?)) AND m.user_id IN (SELECT unnest(?))
          AND m.user_id <> p.author_id AND NOT p.is_repost
        """,
        [ids, ids],
    ).fetchone()[0]
    assert n > 0
    big = dcon.execute(
        "SELECT max(n) FROM (SELECT count(*) n FROM posts GROUP BY conversation_id)"
    ).fetchone()[0]
    assert big >= 5


def test_reposts_quotes_and_links(dcon) -> None:
    ids = list(_city(dcon))
    reposts = dcon.execute(
        """
        SELECT p.text, o.author_id FROM posts p JOIN posts o ON o.id = p.reposted_id
        WHERE p.is_repost AND p.in_data AND o.author_id IN (SELECT unnest(?))
        """,
        [ids],
    ).fetchall()
    assert len(reposts) > 50
    x_reposts = [t for t, _ in reposts if t]  # Bluesky and Mastodon reposts have no text
    assert len(x_reposts) > 40
    assert all(re.match(r"RT @(villeneuve|vsl)_\w+: ", t) for t in x_reposts)
    quotes = dcon.execute(
        """
        SELECT count(*) FROM posts p JOIN posts o ON o.id = p.quoted_id
        WHERE o.author_id IN (SELECT unnest(?)) AND p.author_id NOT IN (SELECT unnest(?))
        """,
        [ids, ids],
    ).fetchone()[0]
    assert quotes > 5
    domains = dict(dcon.execute("SELECT domain, count(*) FROM post_links GROUP BY 1").fetchall())
    assert domains.get("villeneuve-sur-loire.fr", 0) > 10
    assert domains.get("agenda.villeneuve-sur-loire.fr", 0) > 5
    assert domains.get("villeneuve-sur-loire.fr.example.com", 0) > 0  # a look-alike, not a relay
    assert len(domains) >= 6


def _norm(s: str) -> str:
    return unicodedata.normalize("NFKD", s or "").encode("ascii", "ignore").decode().lower()


def _is_local(territory, username: str, location: str, bio: str) -> bool:
    if username.lower() in territory.exclude_accounts:
        return False
    if username.lower() in territory.local_accounts:
        return True
    text = _norm(location) + " \n " + _norm(bio)
    return any(
        re.search(rf"(?<![0-9a-z]){re.escape(_norm(t))}(?![0-9a-z])", text)
        for t in territory.locality_terms
    )


def test_local_and_non_local_relayers(dcon) -> None:
    territory = demo_territory()
    ids = list(_city(dcon))
    relayers = dcon.execute(
        """
        SELECT DISTINCT a.username, coalesce(a.location, ''), coalesce(a.description, ''),
               a.followers_count
        FROM posts p JOIN accounts a ON a.id = p.author_id
        LEFT JOIN posts o ON o.id = coalesce(p.reposted_id, p.quoted_id)
        WHERE p.author_id NOT IN (SELECT unnest(?)) AND p.reply_to_id IS NULL
          AND (o.author_id IN (SELECT unnest(?))
               OR EXISTS (SELECT 1 FROM post_links l WHERE l.post_id = p.id
                          AND (l.domain = 'villeneuve-sur-loire.fr'
                               OR l.domain LIKE '%.villeneuve-sur-loire.fr')))
        """,
        [ids, ids],
    ).fetchall()
    names = {r[0] for r in relayers}
    assert {"lecafedesarts", "villeneuve_immo"} <= names  # listed local; excluded
    assert _is_local(territory, "lecafedesarts", "", "")
    assert not _is_local(territory, "villeneuve_immo", "Villeneuve-sur-Loire", "")
    local = [r for r in relayers if _is_local(territory, r[0], r[1], r[2])]
    non_local = [r for r in relayers if not _is_local(territory, r[0], r[1], r[2])]
    assert len(local) > 20 and len(non_local) > 10
    followers = sorted(r[3] for r in relayers)
    assert followers[-1] > 20 * statistics.median(followers)  # heavy-tailed
    profiles = dcon.execute(
        "SELECT username, location, description FROM accounts WHERE platform = 'x'"
    ).fetchall()
    locations = {r[1] for r in profiles}
    assert {"Angers (49)", "Maine-et-Loire, France", "Paris", "Lyon"} <= locations
    born_1949 = [r for r in profiles if "1949" in (r[2] or "")]
    assert born_1949 and not any(
        _is_local(territory, r[0], "", r[2]) for r in born_1949
    )  # "1949" is not the term "49"
    verified = dcon.execute(
        "SELECT count(*) FROM accounts WHERE verified_type IN ('business', 'government')"
    ).fetchone()[0]
    assert verified >= 5


def test_one_hashtag_spike_day(dcon) -> None:
    territory = demo_territory()
    tags = [h.lstrip("#").lower() for h in territory.hashtags]
    rows = dcon.execute(
        """
        SELECT (timezone(?, p.created_at::TIMESTAMPTZ))::DATE AS d, count(DISTINCT p.id)
        FROM posts p JOIN territory_posts tp ON tp.post_id = p.id
        JOIN post_hashtags h ON h.post_id = p.id
        WHERE h.tag IN (SELECT unnest(?)) GROUP BY 1 ORDER BY 2 DESC
        """,
        [territory.timezone, tags],
    ).fetchall()
    counts = [n for _, n in rows]
    assert rows[0][0] == spike_day(ANCHOR)
    assert rows[0][1] > 4 * statistics.median(counts)
    assert rows[1][1] < rows[0][1] / 2  # one clear spike, not two
    mixed = {
        r[0]
        for r in dcon.execute(
            "SELECT regexp_extract(text, '#(villeneuve\\w*)', 1, 'i') FROM posts "
            "WHERE regexp_matches(text, '#villeneuve', 'i')"
        ).fetchall()
    }
    assert {"Villeneuve", "villeneuve", "VilleneuveSurLoire"} <= mixed


def test_weekday_and_hour_rhythms(dcon) -> None:
    rows = dcon.execute(
        "SELECT hour(timezone('Europe/Paris', created_at::TIMESTAMPTZ)) h, "
        "isodow(timezone('Europe/Paris', created_at::TIMESTAMPTZ)) d FROM posts WHERE in_data"
    ).fetchall()
    night = sum(1 for h, _ in rows if 2 <= h < 5)
    evening = sum(1 for h, _ in rows if 18 <= h < 21)
    assert night * 8 < evening
    weekend = sum(1 for _, d in rows if d >= 6) / 2
    weekday = sum(1 for _, d in rows if d < 6) / 5
    assert weekend < weekday


def test_demo_command_runs(tmp_path: Path) -> None:
    db = tmp_path / "cli.duckdb"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "territoires.cli",
            "demo",
            "--no-serve",
            "--posts",
            "3000",
            "--db",
            str(db),
            "--anchor",
            "2025-03-12",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "3000 posts" in proc.stdout
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM territory_posts").fetchone()[0] == 3000
    finally:
        con.close()
    assert Path(str(db) + ".snapshot").exists()


# --- Bluesky and Mastodon beside X ------------------------------------------------------------
def _window(territory):
    _, as_of = demo_period(territory, ANCHOR)
    return ANCHOR - timedelta(weeks=13), ANCHOR, as_of


def test_three_platforms_with_the_audience_moving_to_bluesky(dcon) -> None:
    rows = dcon.execute(
        "SELECT platform, count(*) FROM territory_posts GROUP BY 1 ORDER BY 2 DESC"
    ).fetchall()
    counts = dict(rows)
    assert [r[0] for r in rows] == ["x", "bluesky", "mastodon"] and sum(counts.values()) == POSTS
    assert 0.55 < counts["x"] / POSTS < 0.85 and counts["mastodon"] > POSTS * 0.05
    share = dcon.execute(
        """
        SELECT count(*) FILTER (WHERE p.platform = 'bluesky' AND p.created_at < ?)
                 / count(*) FILTER (WHERE p.created_at < ?),
               count(*) FILTER (WHERE p.platform = 'bluesky' AND p.created_at >= ?)
                 / count(*) FILTER (WHERE p.created_at >= ?)
        FROM posts p JOIN territory_posts tp ON tp.platform = p.platform AND tp.post_id = p.id
        """,
        [*[date(2025, 1, 8)] * 2, *[date(2025, 2, 12)] * 2],
    ).fetchone()
    assert share[1] > share[0] * 1.5, share  # first four weeks vs last four
    # ids follow each collector's scheme
    ids = dict(dcon.execute("SELECT platform, min(author_id) FROM posts GROUP BY 1").fetchall())
    assert ids["bluesky"].startswith("did:plc:") and ids["mastodon"].startswith("https://")


def test_interpellations_on_every_platform_counted_by_the_metrics(dcon) -> None:
    from warehouse.interpellations import interpellations
    from warehouse.metrics import headline

    territory = demo_territory()
    since, until, as_of = _window(territory)
    df = interpellations(dcon, territory, since, until, as_of)
    head = headline(dcon, territory, since, until, as_of)
    assert head["interpellations"] == len(df)
    assert head["answered"] == int((df["status"] == "answered").sum())
    # the same posts as docs/metrics.md defines, recomputed from the tables, platform by platform
    mine = {r[0] for r in _interpellations(dcon, as_of)}
    assert set(df["post_id"]) == mine
    by_platform = df.groupby("platform").size().to_dict()
    assert set(by_platform) == {"x", "bluesky", "mastodon"} and min(by_platform.values()) > 20
    # the city answers on Bluesky, from its Bluesky account, in the same thread
    city = dict(dcon.execute("SELECT platform, user_id FROM territory_accounts "
                             "WHERE platform <> 'x'").fetchall())
    bsky = df[(df["platform"] == "bluesky") & (df["status"] == "answered")]
    assert len(bsky) > 10
    assert set(bsky["answered_by_handle"]) == {"villeneuve.bsky.social"}
    answer = dcon.execute(
        "SELECT author_id, conversation_id, reply_to_id FROM posts WHERE platform = 'bluesky' "
        "AND id = ?",
        [bsky["answer_id"].iloc[0]],
    ).fetchone()
    assert answer[0] == city["bluesky"] and answer[1] == bsky["conversation_id"].iloc[0]
    assert answer[2].startswith("at://") and "/app.bsky.feed.post/" in answer[2]
    # interpellations on Mastodon, addressed to the city's Mastodon account
    masto = df[df["platform"] == "mastodon"]
    assert set(masto["addressed_handle"]) == {"villeneuve@mastodon.social"}
    assert (masto["status"] == "answered").any() and (masto["status"] != "answered").any()


def test_local_accounts_relay_on_mastodon_and_bluesky(dcon) -> None:
    from warehouse.relays import relays

    territory = demo_territory()
    since, until, _ = _window(territory)
    df = relays(dcon, territory, since, until)
    city = dict(dcon.execute("SELECT platform, user_id FROM territory_accounts "
                             "WHERE platform <> 'x'").fetchall())
    for platform in ("mastodon", "bluesky"):
        mine = df[(df["platform"] == platform) & df["is_local"]]
        assert len(mine) > 3, platform
        boosts = dcon.execute(
            """
            SELECT p.id, a.username, coalesce(a.location, ''), coalesce(a.description, '')
            FROM posts p JOIN posts o ON o.platform = p.platform AND o.id = p.reposted_id
            JOIN accounts a ON a.platform = p.platform AND a.id = p.author_id
            WHERE p.platform = ? AND p.is_repost AND o.author_id = ?
            """,
            [platform, city[platform]],
        ).fetchall()
        local_boosts = {b[0] for b in boosts if _is_local(territory, b[1], b[2], b[3])}
        assert local_boosts, platform
        # every local boost of the city's posts is a local relay for the metrics
        assert local_boosts <= set(mine["post_id"]), platform
