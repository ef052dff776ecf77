"""The facts the loader keeps (warehouse/facts.py) equal a computation from scratch.

Incremental maintenance is the risky part: a batch can bring an answer to an older
interpellation, the parent that gives a reply its conversation, the original of an earlier
repost, or the city's own profile (its id). Each test lands pages in an awkward order and
checks the kept tables against a whole recomputation, and the metrics against the facts.
"""

from __future__ import annotations

import random
from datetime import date, datetime

import pytest

from collectors.demo import generate_pages
from territoires.config import load_config
from tests.conftest import EXAMPLE_CONFIG
from warehouse import facts, metrics, rollups
from warehouse.db import publish_snapshot
from warehouse.load import load_pages
from warehouse.retention import purge
from warehouse.territory import save_territory

ANCHOR = date(2026, 11, 23)
POSTS = 4000


def snapshot_facts(con) -> dict[str, list[tuple]]:
    return {t: sorted(con.execute(f"SELECT * FROM {t}").fetchall(), key=repr)  # noqa: S608
            for t in facts.ALL_TABLES}


def rollups_now(con) -> dict[str, list[tuple]]:
    return {t: con.execute(f"SELECT * EXCLUDE (refreshed_at) FROM {t} ORDER BY ALL").fetchall()  # noqa: S608
            for t in ("daily_posts", "daily_activity")}


def rollups_recomputed(con) -> dict[str, list[tuple]]:
    """The daily rollups as ``rebuild`` computes them (inside a rolled-back transaction)."""
    con.execute("BEGIN TRANSACTION")
    try:
        rollups.refresh_territory(con)
        return rollups_now(con)
    finally:
        con.execute("ROLLBACK")


def recomputed(con) -> dict[str, list[tuple]]:
    """The facts as a whole recomputation gives them (inside a rolled-back transaction)."""
    con.execute("BEGIN TRANSACTION")
    try:
        facts.invalidate(con)
        assert facts.ensure_current(con) == ["villeneuve"]
        return snapshot_facts(con)
    finally:
        con.execute("ROLLBACK")


@pytest.fixture
def territory():
    return load_config(EXAMPLE_CONFIG)


def demo_pages(territory, seed=7):
    return list(generate_pages(territory, POSTS, seed, anchor=ANCHOR))


def test_shuffled_small_batches_give_the_facts_of_a_whole_computation(con, territory):
    save_territory(con, territory)
    pages = demo_pages(territory)
    random.Random(3).shuffle(pages)  # answers before questions, reposts before originals
    load_pages(con, pages, max_bytes=200_000)  # dozens of batches
    kept = snapshot_facts(con)
    assert len(kept["interpellation_facts"]) > 300
    # every interpellation was judged "expects an answer?" by the batch that landed it
    unjudged = con.execute(
        "SELECT count(*) FROM interpellation_facts f ANTI JOIN post_expectations e"
        " ON e.platform = f.platform AND e.post_id = f.post_id").fetchone()[0]
    assert unjudged == 0
    assert any(r[8] is not None for r in kept["interpellation_facts"])  # answered ones
    assert {r[5] for r in kept["relay_facts"]} == {"repost", "quote", "link"}
    assert {r[5] for r in kept["hashtag_facts"]} == {"villeneuve", "villeneuvesurloire"}
    assert len(kept["author_facts"]) > 100
    assert len(kept["mention_facts"]) > 100
    assert len(kept["territory_timeline"]) == con.execute(
        "SELECT count(*) FROM territory_posts").fetchone()[0]
    assert kept == recomputed(con)
    # the daily rollups each batch refreshed from the timeline equal a whole recomputation
    kept_rollups = rollups_now(con)
    assert sum(r[3] for r in kept_rollups["daily_posts"]) == len(kept["territory_timeline"])
    assert sum(r[8] for r in kept_rollups["daily_activity"]) > 0  # hashtag_posts
    assert kept_rollups == rollups_recomputed(con)


def test_an_answer_landing_later_updates_the_interpellation(con, territory):
    save_territory(con, territory)
    pages = demo_pages(territory)
    city = {a.handle for a in territory.accounts}
    # every page holding a city reply goes last, in its own batches
    def has_city_reply(p):
        return any(f'"username":"{h}"' in p.body.replace(" ", "") for h in city) and (
            '"in_reply_to_user_id"' in p.body)
    late = [p for p in pages if p.kind == "tweets" and has_city_reply(p)]
    early = [p for p in pages if p not in late]
    assert late and early
    load_pages(con, early, max_bytes=500_000)
    as_of = datetime(2026, 11, 30)
    before = metrics.headline(con, territory, date(2026, 8, 1), ANCHOR, as_of)
    load_pages(con, late, max_bytes=200_000)
    after = metrics.headline(con, territory, date(2026, 8, 1), ANCHOR, as_of)
    assert after["answered"] > before["answered"]
    assert snapshot_facts(con) == recomputed(con)


def test_a_changed_configuration_recomputes_before_publishing(con, db_file, territory):
    save_territory(con, territory)
    load_pages(con, demo_pages(territory))
    as_of = datetime(2026, 11, 30)
    week = (date(2026, 11, 16), ANCHOR)
    before = metrics.headline(con, territory, *week, as_of)
    raw = dict(territory.raw)
    raw["accounts"] = [dict(a, service_hours="mon-sun 00:00-24:00") for a in raw["accounts"]]
    from model import parse_config

    always_open = parse_config(raw, source="test")
    save_territory(con, always_open)
    publish_snapshot(con, db_file)  # facts follow the new configuration
    after = metrics.headline(con, always_open, *week, as_of)
    assert after["interpellations"] == before["interpellations"]
    # open around the clock, service-hours time is wall-clock time
    assert after["median_service_response_minutes"] == after["median_response_minutes"]
    assert before["median_service_response_minutes"] != before["median_response_minutes"]


def test_purge_recomputes_the_facts_in_its_own_transaction(con, territory):
    raw = dict(territory.raw)
    raw["privacy"] = {**raw.get("privacy", {}), "retention_days": 30}
    from model import parse_config

    short = parse_config(raw, source="test")
    save_territory(con, short)
    load_pages(con, demo_pages(short))
    before = con.execute("SELECT min(created_at) FROM interpellation_facts").fetchone()[0]
    assert before < datetime(2026, 10, 1)
    purge(con, datetime(2026, 11, 23, 12))
    oldest = con.execute("SELECT min(created_at) FROM interpellation_facts").fetchone()[0]
    assert oldest >= datetime(2026, 10, 23)
    assert snapshot_facts(con) == recomputed(con)


def _page(tweets, users=()):
    import orjson

    from warehouse.pages import RawPage

    body = orjson.dumps({"data": tweets, "includes": {"users": list(users)}}).decode()
    return RawPage(body=body, territory="villeneuve", kind="tweets")


def test_a_conversation_filled_two_batches_later_still_finds_its_answer(con, territory):
    """Payloads without conversation ids: each batch fills one level of a thread, so the
    city's answer gets its conversation when neither it nor its parent is in the batch."""
    save_territory(con, territory)
    users = [{"id": "1", "username": "villeneuve_fr"}, {"id": "7", "username": "ana"}]
    root = {"id": "300", "text": "Travaux rue Haute", "author_id": "1",
            "created_at": "2026-11-02T09:00:00Z"}
    question = {"id": "301", "text": "Jusqu'à quand ?", "author_id": "7",
                "created_at": "2026-11-02T10:00:00Z", "in_reply_to_user_id": "1",
                "referenced_tweets": [{"type": "replied_to", "id": "300"}]}
    answer = {"id": "302", "text": "Vendredi.", "author_id": "1",
              "created_at": "2026-11-02T10:30:00Z", "in_reply_to_user_id": "7",
              "referenced_tweets": [{"type": "replied_to", "id": "301"}]}
    other = {"id": "399", "text": "Bonjour", "author_id": "7",
             "created_at": "2026-11-03T10:00:00Z"}
    for batch in ([answer], [question], [root], [other]):  # one level filled per batch
        load_pages(con, [_page(batch, users)])
    assert con.execute(
        "SELECT conversation_id FROM posts WHERE id = '302'").fetchone() == ("300",)
    got = con.execute(
        "SELECT post_id, answer_id FROM interpellation_facts").fetchall()
    assert got == [("301", "302")]
    assert snapshot_facts(con) == recomputed(con)


def test_top_conversations_from_the_facts_equal_the_definition(con, territory):
    """The ranking reads ``conversation_facts`` (and recounts the conversations still going
    at the window's end): the same lists as ranking :func:`activity.conversations`, the
    definition computed from the timeline, for windows ending before the data does."""
    from warehouse.activity import conversations, top_conversations

    save_territory(con, territory)
    pages = demo_pages(territory)
    random.Random(5).shuffle(pages)
    load_pages(con, pages, max_bytes=300_000)
    windows = [(date(2026, 8, 1), ANCHOR), (date(2026, 10, 1), date(2026, 10, 20)),
               (date(2026, 11, 10), date(2026, 11, 12))]
    straddling = 0
    for since, until in windows:
        for platform in (None, "x", "bluesky"):
            whole = conversations(con, territory, since, until, platform=platform)
            top = top_conversations(con, territory, since, until, 10, platform=platform)
            assert len(top["size"]) == min(10, len(whole))
            by_recent = whole.sort_values(
                ["last_post_at", "size", "platform", "conversation_id"],
                ascending=[False, False, True, True]).head(10).reset_index(drop=True)
            assert top["size"].equals(whole.head(10).reset_index(drop=True)), (since, platform)
            assert top["recent"].equals(by_recent), (since, platform)
        straddling += con.execute(
            "SELECT count(*) FROM conversation_facts WHERE first_post_at < ? AND last_post_at >= ?",
            [until, until]).fetchone()[0]
    assert straddling > 0  # the recount path ran on conversations still going


def test_a_post_moved_to_another_conversation_leaves_no_stale_facts(con, territory):
    """A later copy of a post can carry another conversation id (the newest copy wins): the
    conversation it left is recomputed too, even when it was that conversation's only post."""
    save_territory(con, territory)
    users = [{"id": "1", "username": "villeneuve_fr"}, {"id": "7", "username": "ana"}]
    question = {"id": "501", "text": "@villeneuve_fr Et la piscine ?", "author_id": "7",
                "created_at": "2026-11-02T10:00:00Z", "conversation_id": "500",
                "in_reply_to_user_id": "1", "entities": {"mentions": [
                    {"start": 0, "end": 14, "username": "villeneuve_fr", "id": "1"}]}}
    load_pages(con, [_page([question], users)])
    assert con.execute("SELECT conversation_id FROM conversation_facts").fetchall() == [("500",)]
    moved = dict(question, conversation_id="600")
    load_pages(con, [_page([moved], users)])
    assert con.execute("SELECT conversation_id FROM conversation_facts").fetchall() == [("600",)]
    assert snapshot_facts(con) == recomputed(con)


def test_a_bulk_import_gives_the_facts_and_rollups_of_loading_batch_by_batch(
        con, tmp_path, territory):
    """``load_pages(bulk=True)`` (import, demo) leaves the facts and daily rollups to one
    whole recomputation before the snapshot: the same tables as refreshing every batch."""
    from warehouse.db import connect
    from warehouse.migrations import migrate

    pages = demo_pages(territory)
    random.Random(11).shuffle(pages)
    save_territory(con, territory)
    load_pages(con, pages, max_bytes=300_000)
    by_batch = snapshot_facts(con), rollups_now(con)
    assert by_batch[0]["interpellation_facts"] and by_batch[1]["daily_activity"]

    bulk = connect(tmp_path / "bulk.duckdb")
    try:
        migrate(bulk)
        save_territory(bulk, territory)
        load_pages(bulk, pages, max_bytes=300_000, bulk=True)
        assert bulk.execute("SELECT count(*) FROM facts_state").fetchall() == [(0,)]  # stale
        assert bulk.execute("SELECT count(*) FROM daily_posts").fetchall() == [(0,)]
        assert facts.ensure_current(bulk) == ["villeneuve"]
        assert (snapshot_facts(bulk), rollups_now(bulk)) == by_batch
    finally:
        bulk.close()


def test_a_bulk_import_stopped_half_way_is_recomputed_before_the_snapshot(
        con, db_file, territory):
    """Each bulk batch marks its territory stale in its own transaction: after a crash, the
    batches that landed are counted by the next snapshot, not left out of stale facts."""
    save_territory(con, territory)
    pages = demo_pages(territory)
    half = len(pages) // 2
    load_pages(con, pages[:half])
    assert con.execute("SELECT count(*) FROM facts_state").fetchall() == [(1,)]
    batches = 0

    def crash_on_the_second_batch(_con, _stats):
        nonlocal batches
        batches += 1
        if batches == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        load_pages(con, pages[half:], max_bytes=300_000,
                   before_commit=crash_on_the_second_batch, bulk=True)
    assert con.execute("SELECT count(*) FROM facts_state").fetchall() == [(0,)]
    landed = con.execute("SELECT count(*) FROM territory_posts").fetchall()[0][0]
    publish_snapshot(con, db_file)
    assert con.execute("SELECT count(*) FROM territory_timeline").fetchall() == [(landed,)]
    assert sum(r[3] for r in rollups_now(con)["daily_posts"]) == landed
    assert snapshot_facts(con) == recomputed(con)
    assert rollups_now(con) == rollups_recomputed(con)


def test_an_import_recomputes_once_only_when_it_adds_a_quarter_of_the_posts(
        con, tmp_path, territory):
    """A large import (into an empty warehouse) leaves the facts to one recomputation; a
    small one into a filled warehouse refreshes batch by batch, and both end exact."""
    from collectors.jsonl_import import import_files, is_bulk

    save_territory(con, territory)
    x_pages = [p.body for p in demo_pages(territory) if p.platform == "x"]
    big, small = tmp_path / "big.jsonl", tmp_path / "small.jsonl"
    big.write_text("\n".join(x_pages[:-2]) + "\n")
    small.write_text("\n".join(x_pages[-2:]) + "\n")

    assert is_bulk(con, [big])
    import_files(con, [big], territory.slug)
    assert con.execute("SELECT count(*) FROM facts_state").fetchall() == [(0,)]  # stale
    facts.ensure_current(con)  # what the writer runs before publishing

    assert not is_bulk(con, [small])
    import_files(con, [small], territory.slug)
    assert con.execute("SELECT count(*) FROM facts_state").fetchall() == [(1,)]  # kept current
    assert snapshot_facts(con) == recomputed(con)
    assert rollups_now(con) == rollups_recomputed(con)
