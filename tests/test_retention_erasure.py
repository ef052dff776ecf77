"""Daily rollups, retention (``territoires purge``) and erasure (``territoires forget``)."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from territoires.cli import main
from tests.raw_layer import files_text, raw_bodies
from tests.scenario import Scenario, make_territory
from warehouse import raw_files
from warehouse.db import connect, snapshot_path, writer
from warehouse.forget import forget_account, forget_post
from warehouse.load import DERIVED_TABLES, load_pages, rebuild
from warehouse.pages import prepare_page
from warehouse.platform_deletions import honour_deletions
from warehouse.retention import horizon, purge
from warehouse.spool_format import spool_dir
from warehouse.triage import warehouse_file

MARKER = "Zorglub-7f3a"  # a text only Alice ever wrote


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[tuple]:
    return con.execute(sql, params or []).fetchall()


def _tables(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    out = {}
    for table in (*DERIVED_TABLES, "daily_posts", "daily_activity", "raw_pages"):
        cols = [r[0] for r in _rows(con, f"DESCRIBE {table}") if r[0] != "refreshed_at"]
        out[table] = _rows(con, f"SELECT {', '.join(cols)} FROM {table} ORDER BY ALL")  # noqa: S608
    return out


def _world() -> tuple[Scenario, dict[str, str]]:
    """A city, Alice (to be forgotten), Bob; posts in January and in June 2024."""
    s = Scenario(make_territory(privacy={"retention_days": 60}))
    s.user("ville", id="1")
    s.user("alice", id="2001", location="Villeneuve")
    s.user("bob", id="2002", location="Paris")
    ids = {
        "city_old": s.post("ville", "2024-01-10 10:00", "Travaux rue Haute #Ville"),
        "alice_old": s.post("alice", "2024-01-10 23:30", f"@ville {MARKER} trou #ville"),
        "bob_old": s.post("bob", "2024-01-11 09:00", "Bravo @alice #VilleFestival"),
        "alice_new": s.post("alice", "2024-06-01 08:00", f"@ville encore {MARKER} #Ville"),
        "bob_new": s.post("bob", "2024-06-01 09:00", "@alice @ville d'accord"),
    }
    ids["bob_rt_alice"] = s.repost("bob", ids["alice_new"], "2024-06-01 10:00")
    ids["bob_rt_city_old"] = s.repost("bob", ids["city_old"], "2024-06-02 10:00")
    ids["city_reply"] = s.reply("ville", ids["alice_new"], "2024-06-01 11:00", "@alice merci")
    return s, ids


def _land(s: Scenario, con: duckdb.DuckDBPyConnection, ids: dict[str, str]) -> None:
    old = [ids[k] for k in ("city_old", "alice_old", "bob_old")]
    s.land(con, old, fetched_at=datetime(2024, 1, 12))
    s.land(con, [i for i in ids.values() if i not in old], fetched_at=datetime(2024, 6, 3))


# -- rollups ----------------------------------------------------------------------------------

# the posts with a tracked hashtag per day, whole territory (daily_activity.hashtag_posts)
_HASHTAG_DAYS = ("SELECT day, hashtag_posts FROM daily_activity WHERE account = '' "
                 "AND hashtag_posts > 0 ORDER BY day")


def test_rollups_count_per_local_day_and_tracked_hashtag(con) -> None:
    s, ids = _world()
    _land(s, con, ids)
    days = dict(_rows(con, "SELECT day, posts FROM daily_posts ORDER BY day"))
    # 23:30 in Paris on Jan 10 is 22:30 UTC: still Jan 10 locally
    assert days == {date(2024, 1, 10): 2, date(2024, 1, 11): 1, date(2024, 6, 1): 4,
                    date(2024, 6, 2): 1}
    tags = _rows(con, _HASHTAG_DAYS)
    # #ville and #Ville are the tracked tag (a pure repost carries it too); #VilleFestival is not
    assert tags == [(date(2024, 1, 10), 2), (date(2024, 6, 1), 2), (date(2024, 6, 2), 1)]
    before = _tables(con)
    rebuild(con)
    assert _tables(con) == before


def test_a_later_batch_refreshes_only_the_days_it_touched(con) -> None:
    s, ids = _world()
    _land(s, con, ids)
    s.post("bob", "2024-06-01 20:00", "Encore un #Ville")
    s.land(con, [list(s.posts)[-1]], fetched_at=datetime(2024, 6, 4))
    june_1 = [date(2024, 6, 1)]
    assert _rows(con, "SELECT posts FROM daily_posts WHERE day = ?", june_1) == [(5,)]
    assert _rows(con, "SELECT hashtag_posts FROM daily_activity WHERE account = '' AND day = ?",
                 june_1) == [(3,)]
    assert _rows(con, "SELECT posts FROM daily_posts WHERE day = ?", [date(2024, 1, 10)]) == [(2,)]


# -- retention --------------------------------------------------------------------------------


def test_horizon_is_whole_local_days() -> None:
    frozen, cutoff = horizon(datetime(2024, 6, 10, 12), "Europe/Paris", 60)
    assert frozen == date(2024, 4, 11)
    assert cutoff == datetime(2024, 4, 10, 22)  # local midnight, in UTC (summer time)


def test_purge_removes_old_posts_and_pages_but_keeps_daily_totals(con) -> None:
    s, ids = _world()
    _land(s, con, ids)
    totals = _rows(con, "SELECT * EXCLUDE (refreshed_at) FROM daily_posts ORDER BY ALL")
    activity = _rows(con, "SELECT * EXCLUDE (refreshed_at) FROM daily_activity ORDER BY ALL")
    report = purge(con, datetime(2024, 6, 10, 12))
    t = report.territories["testville"]
    assert t["pages_removed"] == 1
    left = {r[0] for r in _rows(con, "SELECT id FROM posts")}
    assert ids["alice_old"] not in left and ids["bob_old"] not in left
    # a recent repost of an old city post keeps its original (the relay stays attributable)
    assert ids["city_old"] in left
    counted = {r[0] for r in _rows(con, "SELECT post_id FROM territory_posts")}
    assert ids["city_old"] not in counted and ids["alice_new"] in counted
    april = [datetime(2024, 4, 1)]
    assert _rows(con, "SELECT count(*) FROM raw_pages WHERE fetched_at < ?", april) == [(0,)]
    # the long-term trend survives
    assert _rows(con, "SELECT * EXCLUDE (refreshed_at) FROM daily_posts ORDER BY ALL") == totals
    activity_now = _rows(con, "SELECT * EXCLUDE (refreshed_at) FROM daily_activity ORDER BY ALL")
    assert activity_now == activity
    # rebuild after purge gives the same tables; purging again removes nothing more
    before = _tables(con)
    rebuild(con)
    assert _tables(con) == before
    again = purge(con, datetime(2024, 6, 10, 12))
    assert again.posts_removed == 0 and again.pages_removed == 0
    # an old page landing again (a re-import) does not bring old posts back
    s.land(con, [ids["alice_old"], ids["bob_old"]], fetched_at=datetime(2024, 6, 9))
    assert ids["alice_old"] not in {r[0] for r in _rows(con, "SELECT id FROM posts")}
    assert _rows(con, "SELECT * EXCLUDE (refreshed_at) FROM daily_posts ORDER BY ALL") == totals


def test_purge_command(tmp_path: Path, capsys) -> None:
    db = tmp_path / "w.duckdb"
    s, ids = _world()
    with writer(db) as con:
        _land(s, con, ids)
    assert main(["purge", "--db", str(db), "--now", "2024-06-10T12:00:00Z", "--compact"]) == 0
    out = capsys.readouterr().out
    assert "testville: retention 60 days" in out and "daily totals kept" in out
    snap = connect(snapshot_path(db), read_only=True)
    try:
        assert _rows(snap, "SELECT count(*) FROM posts WHERE id = ?", [ids["alice_old"]]) == [(0,)]
        assert _rows(snap, "SELECT count(*) FROM daily_posts") == [(4,)]  # 2 January days kept
    finally:
        snap.close()
    assert MARKER.encode() in db.read_bytes()  # Alice's June post is within retention


# -- erasure ----------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["alice", "@ALICE", "2001"])
def test_forget_account_removes_her_everywhere(con, who: str) -> None:
    s, ids = _world()
    _land(s, con, ids)
    report, _ = forget_account(con, who)
    assert report.posts_removed == 3  # her two posts and Bob's pure repost of one
    assert report.accounts_removed == 1
    left = {r[0] for r in _rows(con, "SELECT id FROM posts")}
    assert not {ids["alice_old"], ids["alice_new"], ids["bob_rt_alice"]} & left
    assert {ids["bob_old"], ids["bob_new"], ids["city_reply"]} <= left
    assert _rows(con, "SELECT count(*) FROM accounts WHERE id = '2001'") == [(0,)]
    assert _rows(con, "SELECT count(*) FROM post_mentions WHERE username = 'alice'") == [(0,)]
    assert not [b for b in raw_bodies(con) if MARKER in b or '"alice"' in b]
    assert _rows(con, "SELECT count(*) FROM raw_pages") == [(2,)]  # rewritten, not dropped
    # the files that held her are unlisted, and gone from the disk once the writer collects
    assert MARKER in files_text(warehouse_file(con))
    raw_files.collect_garbage(con)
    assert MARKER not in files_text(warehouse_file(con))
    # only the fact is recorded
    recorded = _rows(con, "SELECT kind, posts_removed, accounts_removed FROM erasures")
    assert recorded == [("account", 3, 1)]
    # aggregates follow; rebuild gives the same tables; re-importing the old page is a no-op
    assert _rows(con, "SELECT posts FROM daily_posts WHERE day = ?", [date(2024, 6, 1)]) == [(2,)]
    before = _tables(con)
    rebuild(con)
    assert _tables(con) == before
    old = [ids["city_old"], ids["alice_old"], ids["bob_old"]]  # the same page as before
    s.land(con, old, fetched_at=datetime(2024, 1, 12))
    assert ids["alice_old"] not in {r[0] for r in _rows(con, "SELECT id FROM posts")}


def test_forget_post_and_platform_deletions(con) -> None:
    s, ids = _world()
    _land(s, con, ids)
    report, _ = forget_post(con, ids["bob_new"])
    assert report.posts_removed == 1
    assert ids["bob_new"] not in {r[0] for r in _rows(con, "SELECT id FROM posts")}
    # X compliance events (the shape twarc writes): a deleted post, a deleted user
    for event in (
        {"id": ids["bob_old"], "action": "delete", "created_at": "2024-06-05T00:00:00Z"},
        {"id": "2001", "action": "delete", "created_at": "2024-06-05T00:00:00Z"},
    ):
        page = prepare_page(json.dumps(event), territory="testville", source="compliance")
        load_pages(con, [page])
    assert honour_deletions(con) == 2
    left = {r[0] for r in _rows(con, "SELECT id FROM posts")}
    assert ids["bob_old"] not in left and ids["alice_new"] not in left
    assert _rows(con, "SELECT count(*) FROM accounts WHERE id = '2001'") == [(0,)]
    assert honour_deletions(con) == 0  # nothing left to do
    kinds = [r[0] for r in _rows(con, "SELECT kind FROM erasures ORDER BY erased_at")]
    assert kinds == ["post", "platform-deletion", "platform-deletion"]
    before = _tables(con)
    rebuild(con)
    assert _tables(con) == before


def test_forget_command_leaves_no_trace_in_files(tmp_path: Path, capsys) -> None:
    db = tmp_path / "w.duckdb"
    s, ids = _world()
    with writer(db) as con:
        _land(s, con, ids)
    # a page of Alice's still waiting in the spool (fetched, not yet loaded)
    spool = spool_dir(db)
    spool.mkdir()
    page = s.page([ids["alice_new"], ids["bob_new"]])
    (spool / "0001-1-000001.page.json").write_text(json.dumps(
        {"v": 1, "territory": "testville", "platform": "x", "body": page,
         "fetched_at": "2024-06-03T00:00:00"}))
    assert MARKER.encode() in db.read_bytes() and MARKER.encode() in snapshot_path(db).read_bytes()
    assert main(["forget", "alice", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "erased 3 posts and 1 profiles" in out and "1 spool files" in out
    assert "alice" not in out.lower() and "2001" not in out  # the output never says who
    for path in (db, snapshot_path(db), *spool.iterdir()):
        data = path.read_bytes()
        assert MARKER.encode() not in data, path  # not even in DuckDB's free blocks
    envelope = json.loads((spool / "0001-1-000001.page.json").read_text())
    assert [t["id"] for t in json.loads(envelope["body"])["data"]] == [ids["bob_new"]]
    assert main(["forget", "--post", ids["bob_new"], "--db", str(db)]) == 0
    assert main(["forget", "nobody-at-all", "--db", str(db)]) == 1
    assert main(["forget", "--db", str(db)]) == 2  # nothing to forget: a usage error
    snap = connect(snapshot_path(db), read_only=True)
    try:
        assert _rows(snap, "SELECT count(*) FROM erasures") == [(3,)]
        assert _rows(snap, "SELECT count(*) FROM posts WHERE id = ?", [ids["bob_new"]]) == [(0,)]
    finally:
        snap.close()


@pytest.mark.parametrize("zone", ["Europe/Paris", "Pacific/Marquesas", "Asia/Kathmandu"])
def test_rollup_days_are_local_days_across_dst_and_odd_offsets(con, zone: str) -> None:
    """Local days come from 15-minute buckets: exact for every offset (30 and 45 minutes too)."""
    import random
    from collections import Counter
    from datetime import UTC, timedelta
    from zoneinfo import ZoneInfo

    s = Scenario(make_territory(territory={"name": "T", "slug": "testville", "timezone": zone}))
    s.user("ville", id="1")
    rng = random.Random(zone)
    base = datetime(2024, 3, 30, 12, tzinfo=UTC)  # Paris changes to summer time on March 31
    instants = [base + timedelta(minutes=rng.randrange(3 * 24 * 60)) for _ in range(300)]
    instants += [base.replace(hour=h, minute=m) + timedelta(days=d)
                 for d in range(3) for h in range(24) for m in (14, 15, 29, 30, 44, 45, 59)]
    for n, at in enumerate(instants):
        s.post("ville", at, f"post {n}")
    for start in range(0, len(s.posts), 200):  # several batches: incremental refreshes
        s.land(con, list(s.posts)[start:start + 200])
    expected = Counter(at.astimezone(ZoneInfo(zone)).date() for at in instants)
    got = dict(_rows(con, "SELECT day, posts FROM daily_posts"))
    assert got == dict(expected)
    before = _tables(con)
    rebuild(con)
    assert _tables(con) == before
