"""The one loading path on real recorded X API v2 payloads and hand-made edge cases."""

from __future__ import annotations

import gzip
import json
from datetime import datetime
from pathlib import Path

import orjson
import pytest
import yaml

from tests.conftest import fixture_path
from warehouse.load import DERIVED_TABLES, load_pages, rebuild
from warehouse.pages import PageError, RawPage, prepare_page


def cassette_bodies(path: Path) -> list[str]:
    """The response bodies recorded in one of tweepy's vcrpy cassettes."""
    doc = yaml.safe_load(path.read_text())
    bodies = []
    for interaction in doc["interactions"]:
        body = interaction["response"]["body"]["string"]
        raw = body if isinstance(body, bytes) else body.encode()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        bodies.append(raw.decode())
    return bodies


def all_fixture_pages() -> list[tuple[str, str]]:
    """(origin, text) of every X API v2 page in the shared fixtures."""
    root = fixture_path("x-api-v2")
    pages: list[tuple[str, str]] = []
    for f in sorted((root / "twarc-csv").glob("*.jsonl")):
        for n, line in enumerate(f.read_text().splitlines(), 1):
            if line.strip():
                pages.append((f"{f.name}:{n}", line))
    for f in sorted((root / "python-twitter").glob("*.json")):
        pages.append((f.name, f.read_text()))
    for f in sorted((root / "tweepy-cassettes").glob("*.yaml")):
        for n, body in enumerate(cassette_bodies(f), 1):
            pages.append((f"{f.name}#{n}", body))
    return pages


def expected_counts(docs: list[dict]) -> dict[str, int]:
    """Counts computed straight from the payloads, independently of the loader's SQL."""
    data_ids: set[str] = set()
    post_ids: set[str] = set()
    user_ids: set[str] = set()
    tweets: list[dict] = []
    errors = 0
    for d in docs:
        data = d.get("data")
        items = [data] if isinstance(data, dict) else data if isinstance(data, list) else []
        first = items[0] if items else {}
        if items and "text" in first:
            data_ids.update(t["id"] for t in items)
            tweets += items
            user_ids.update(u["id"] for u in d.get("includes", {}).get("users", []))
        elif items and "username" in first:
            user_ids.update(u["id"] for u in items)
        else:
            if "action" not in d:
                errors += len(d.get("errors") or [])
            continue
        tweets += d.get("includes", {}).get("tweets", [])
        errors += len(d.get("errors") or [])
    post_ids = {t["id"] for t in tweets}
    superseded = {
        old
        for t in tweets
        if len(t.get("edit_history_tweet_ids", [])) > 1
        and t["id"] == t["edit_history_tweet_ids"][-1]
        for old in t["edit_history_tweet_ids"][:-1]
    }
    return {
        "posts": len(post_ids - superseded),
        "territory_posts": len(data_ids - superseded),
        "accounts": len(user_ids),
        "page_errors": errors,
    }


def load_fixtures(con, territory="t"):
    pages, docs, bad = [], [], []
    for origin, text in all_fixture_pages():
        try:
            pages.append(prepare_page(text, territory=territory, origin=origin))
            docs.append(json.loads(text))
        except PageError as e:
            bad.append((origin, str(e)))
    return load_pages(con, pages), docs, bad


def table_contents(con) -> dict[str, list]:
    out = {}
    for table in DERIVED_TABLES:
        cols = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
        order = ", ".join(str(i + 1) for i in range(len(cols)))
        out[table] = con.execute(f"SELECT * FROM {table} ORDER BY {order}").fetchall()
    return out


def count(con, table: str) -> int:
    return con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]


def test_every_shared_x_fixture_loads_with_checked_counts(con):
    stats, docs, bad = load_fixtures(con)
    # The one truncated line of twarc-csv's streaming sample is the only page refused.
    assert [o for o, _ in bad] == ["streaming_output_with_error.jsonl:8"]
    assert stats.new_pages > 50
    expected = expected_counts(docs)
    for table, n in expected.items():
        assert count(con, table) == n, table
    # compliance lines are recorded (users_compliance.jsonl holds one line twice)
    compliance_lines = [d for d in docs if "action" in d]
    assert count(con, "compliance_events") == len(
        {json.dumps(d, sort_keys=True) for d in compliance_lines}
    )


def test_edited_post_keeps_latest_version_once(con):
    root = fixture_path("x-api-v2", "twarc-csv")
    pages = [
        prepare_page(line, territory="t")
        for name in ("edited_before.jsonl", "edited_after.jsonl", "edited.jsonl")
        for line in (root / name).read_text().splitlines()
        if line.strip()
    ]
    load_pages(con, pages)
    rows = con.execute(
        "SELECT id FROM posts WHERE id IN ('1576994746135764992', '1576994789110992896')"
    ).fetchall()
    assert rows == [("1576994789110992896",)]


def _edited(id_, history, fetched):
    """A page holding one version of an edited post, as fetched on ``fetched``."""
    return page([{**tweet(id_, 1), "edit_history_tweet_ids": history}],
                fetched=datetime(2026, 11, fetched, 11))


def _post_ids(con) -> set[str]:
    return {r[0] for r in con.execute("SELECT id FROM posts").fetchall()}


@pytest.mark.parametrize("order", [(0, 1, 2), (1, 0, 2), (1, 2, 0), (2, 1, 0)])
def test_an_earlier_version_goes_in_whatever_batch_it_comes(con, order):
    """The version fetched before the edit names only itself: whether it comes before the
    edited one, after it, or after it again in a later batch, only the latest is kept."""
    copies = [_edited("200", ["200"], 2), _edited("201", ["200", "201"], 3),
              _edited("200", ["200"], 4)]  # the first version again, from another page
    for i in order:
        load_pages(con, [copies[i]])
        assert "200" not in _post_ids(con) or "201" not in _post_ids(con)
    assert _post_ids(con) == {"201"}
    assert count(con, "territory_posts") == count(con, "post_hashtags") == 1
    assert con.execute("SELECT * FROM superseded_posts").fetchall() == [("x", "200")]


def test_an_earlier_version_stays_once_its_latest_is_deleted(con):
    """Edits are dropped "once the latest version has landed": a deleted latest version
    (erasure, retention) no longer supersedes anything."""
    from warehouse.deletion import delete_posts

    load_pages(con, [_edited("201", ["200", "201"], 3)])
    con.execute("CREATE TEMP TABLE _gone AS SELECT 'x' AS platform, '201' AS id")
    assert delete_posts(con, "_gone") == 1
    assert count(con, "superseded_posts") == 0
    load_pages(con, [_edited("200", ["200"], 4)])
    assert _post_ids(con) == {"200"}


def test_withheld_and_includes_originals(con):
    root = fixture_path("x-api-v2", "twarc-csv")
    load_pages(
        con,
        [
            prepare_page(line, territory="t")
            for line in (root / "withheld.jsonl").read_text().splitlines()
            if line.strip()
        ],
    )
    assert con.execute("SELECT count(*) FROM posts WHERE withheld").fetchone()[0] > 0
    # originals known only from includes.tweets are stored but not landed for the territory
    only_context = con.execute(
        "SELECT count(*) FROM posts p WHERE NOT in_data AND NOT EXISTS "
        "(SELECT 1 FROM territory_posts t WHERE t.post_id = p.id)"
    ).fetchone()[0]
    assert only_context > 0


def test_loading_is_idempotent(con):
    load_fixtures(con)
    before = table_contents(con)
    raw_before = count(con, "raw_pages")
    stats, _, _ = load_fixtures(con)
    assert stats.new_pages == 0
    assert count(con, "raw_pages") == raw_before
    assert table_contents(con) == before


def test_rebuild_gives_identical_tables(con):
    load_fixtures(con)
    before = table_contents(con)
    rebuild(con)
    assert table_contents(con) == before


def tweet(id_, likes, text="bonjour @villeneuve_fr #Villeneuve"):
    return {
        "id": id_,
        "text": text,
        "author_id": "42",
        "created_at": "2026-11-02T10:00:00.000Z",
        "conversation_id": id_,
        "public_metrics": {
            "like_count": likes,
            "retweet_count": 0,
            "reply_count": 0,
            "quote_count": 0,
        },
        "entities": {
            "hashtags": [{"tag": "Villeneuve"}],
            "mentions": [{"username": "Villeneuve_FR", "id": "1"}],
        },
    }


def page(tweets, users=(), fetched=None):
    body = orjson.dumps({"data": tweets, "includes": {"users": list(users)}}).decode()
    return RawPage(body=body, territory="t", kind="tweets", fetched_at=fetched)


@pytest.mark.parametrize("order", [(0, 1), (1, 0)])
def test_newer_copy_wins_whatever_the_order(con, order):
    user_old = {
        "id": "42",
        "username": "ana",
        "location": "Paris",
        "public_metrics": {"followers_count": 10},
    }
    user_new = {
        "id": "42",
        "username": "ana",
        "location": "Villeneuve",
        "public_metrics": {"followers_count": 12},
    }
    copies = [
        page([tweet("100", 1)], [user_old], fetched=datetime(2026, 11, 2, 11)),
        page([tweet("100", 9)], [user_new], fetched=datetime(2026, 11, 3, 11)),
    ]
    for i in order:
        load_pages(con, [copies[i]])
    assert con.execute("SELECT like_count FROM posts WHERE id = '100'").fetchone() == (9,)
    assert con.execute(
        "SELECT location, followers_count FROM accounts WHERE id = '42'"
    ).fetchone() == ("Villeneuve", 12)
    assert count(con, "posts") == 1
    assert count(con, "post_hashtags") == 1
    assert con.execute("SELECT tag FROM post_hashtags").fetchone() == ("villeneuve",)
    assert con.execute("SELECT username FROM post_mentions").fetchone() == ("villeneuve_fr",)


def test_conversation_id_filled_when_missing(con):
    root = {"id": "200", "text": "question", "author_id": "7", "created_at": "2026-11-02T10:00:00Z"}
    reply = {
        "id": "201",
        "text": "réponse",
        "author_id": "1",
        "created_at": "2026-11-02T10:05:00Z",
        "in_reply_to_user_id": "7",
        "referenced_tweets": [{"type": "replied_to", "id": "200"}],
    }
    load_pages(con, [page([root, reply])])
    rows = dict(con.execute("SELECT id, conversation_id FROM posts").fetchall())
    assert rows == {"200": "200", "201": "200"}


def test_links_keep_their_domain(con):
    t = tweet("300", 0)
    t["entities"]["urls"] = [
        {"url": "https://t.co/a", "expanded_url": "https://WWW.Villeneuve-sur-Loire.fr/agenda"},
        {"url": "https://t.co/b", "expanded_url": "https://agenda.villeneuve-sur-loire.fr/x?y=1"},
    ]
    load_pages(con, [page([t])])
    assert sorted(r[0] for r in con.execute("SELECT domain FROM post_links").fetchall()) == [
        "agenda.villeneuve-sur-loire.fr",
        "villeneuve-sur-loire.fr",
    ]


@pytest.mark.parametrize(
    "raw, reason",
    [
        (b"\xff\xfe{}", "not UTF-8"),
        (b'{"data": [', "not valid JSON"),
        (b"[1, 2]", "expected a JSON object"),
        (b"   ", "empty line"),
    ],
)
def test_bad_pages_are_refused_with_a_reason(raw, reason):
    with pytest.raises(PageError, match=reason):
        prepare_page(raw, territory="t")
