"""History that survives retention: the daily rollups the long view reads (daily_posts,
daily_activity), the Tendances page, and the weekly review's comparisons after ``purge``.

* after ``purge`` the 24-month view is unchanged row by row while the old posts are gone;
* the rollups equal a whole recomputation from the facts, and the metric functions' counts;
* an answer landing in a later batch updates its interpellation's day;
* an existing warehouse (before migration 0014) upgrades, and is filled at the next write;
* a warehouse at 0015 (with daily_hashtags and daily_posts' unread columns filled) upgrades
  to 0016, which drops them, and the Tendances figures are unchanged;
* the Tendances page renders in French and English, per month and per week from the URL.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from territoires.commands.demo import build_demo
from territoires.report import build_review
from tests.conftest import run_app
from tests.scenario import Scenario, make_territory
from warehouse import metrics, page_trends, rollups
from warehouse.db import copy_warehouse, publish_snapshot, writer
from warehouse.retention import horizon, purge
from warehouse.territory import load_territories

ANCHOR = date(2026, 11, 23)  # the demo's data: the 13 weeks before it
SINCE, UNTIL = date(2024, 12, 1), ANCHOR + timedelta(days=1)  # 24 months
# the retention horizon falls six weeks before the anchor (villeneuve keeps 395 days)
PURGE_AT = datetime(2027, 11, 11, 12)


def _activity(con) -> list[tuple]:
    sql = "SELECT * EXCLUDE (refreshed_at) FROM daily_activity ORDER BY ALL"
    return con.execute(sql).fetchall()


def _trends(con, terr, grain: str, **kw) -> list[tuple]:
    df = page_trends.trends(con, terr, SINCE, UNTIL, grain, **kw)
    rows = df.drop(columns=["frozen_before"]).astype(object).itertuples(index=False)
    return [tuple(None if pd.isna(v) else v for v in r) for r in rows]


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("hist") / "demo.duckdb"
    build_demo(db, posts=6000, seed=3, anchor=ANCHOR)
    return db


@pytest.fixture
def db(demo_db: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "w.duckdb"
    copy_warehouse(demo_db, copy)  # with its raw layer
    return copy


def test_rollups_equal_a_recomputation_and_the_metrics(db: Path) -> None:
    with writer(db) as con:
        terr = load_territories(con)[0]
        stored = _activity(con)
        assert stored and {r[3] for r in stored} > {""}  # whole-territory and per-account rows
        con.execute("BEGIN TRANSACTION")
        try:
            rollups.refresh_territory(con)  # every unfrozen day, from the posts and the facts
            assert _activity(con) == stored
        finally:
            con.execute("ROLLBACK")
        # a week's counts are the metric functions' (every answer known)
        week = (ANCHOR - timedelta(days=14), ANCHOR - timedelta(days=7))
        got = page_trends.period_counts(con, terr, [week])[0]
        head = metrics.headline(con, terr, *week, as_of=datetime(2099, 1, 1))
        for key in ("interpellations", "answered", "relays", "local_relays", "hashtag_posts"):
            assert got[key] == head[key], key
        assert got["posts"] == head["posts_total"]
        account = terr.accounts[0]
        mine = page_trends.period_counts(con, terr, [week], account=account.handle)[0]
        inter = metrics.interpellations(con, terr, *week, as_of=datetime(2099, 1, 1))
        assert mine["interpellations"] == int(
            (inter["addressed_handle"].str.lower() == account.handle.lower()).sum()) > 0
        assert 0 < mine["relays"] <= got["relays"]


def test_purge_leaves_the_long_view_unchanged(db: Path) -> None:
    with writer(db) as con:
        terr = load_territories(con)[0]
        before = {g: _trends(con, terr, g) for g in page_trends.GRAINS}
        per_platform = _trends(con, terr, "week", platform="bluesky")
        per_account = _trends(con, terr, "month", account=terr.accounts[0].handle)
        week = (ANCHOR - timedelta(days=28), ANCHOR - timedelta(days=21))
        review_before = build_review(con, terr, *week, datetime(2026, 11, 3))
        report = purge(con, PURGE_AT)
        assert report.posts_removed > 0
        frozen, cutoff = horizon(PURGE_AT, terr.timezone, terr.retention_days)
        assert ANCHOR - timedelta(weeks=13) < frozen < ANCHOR - timedelta(weeks=4)
        old = con.execute("SELECT count(*) FROM territory_posts tp JOIN posts p ON "
                          "p.platform = tp.platform AND p.id = tp.post_id "
                          "WHERE p.created_at < $c", {"c": cutoff}).fetchall()[0][0]
        assert old == 0  # the posts older than retention are gone
        for grain in page_trends.GRAINS:
            assert _trends(con, terr, grain) == before[grain], grain
        assert _trends(con, terr, "week", platform="bluesky") == per_platform
        assert _trends(con, terr, "month", account=terr.accounts[0].handle) == per_account
        df = page_trends.trends(con, terr, SINCE, UNTIL, "month")
        assert df["frozen_before"].iloc[0] == frozen
        # the review's comparisons: counts from the rollups; a period reaching before the
        # horizon keeps its counts and rate, its other figures become unknown
        review = build_review(con, terr, *week, datetime(2026, 11, 3))
    for now, then in zip(review.history, review_before.history, strict=True):
        assert now["interpellations"] == then["interpellations"] > 0
        assert now["relays"] == then["relays"] and now["hashtag_posts"] == then["hashtag_posts"]
    reached = [h for h in review.history if date.fromisoformat(h["since"]) < frozen]
    assert 0 < len(reached) < len(review.history)
    for h, then in zip(review.history, review_before.history, strict=True):
        if h in reached:
            assert h["median_service_response_minutes"] is None and h["local_tweetos"] is None
            assert h["response_rate"] is not None
        else:
            assert h == then


def test_an_answer_landing_later_updates_its_interpellations_day(tmp_path: Path) -> None:
    terr = make_territory()
    s = Scenario(terr)
    city = terr.accounts[0].handle
    s.user(city)
    s.user("alice", location="Testville")
    p = s.post("alice", "2024-03-04 08:00", f"Bonjour @{city}, la rue est fermée ?")
    with writer(tmp_path / "w.duckdb") as con:
        s.land(con, [p])
        day = ("SELECT interpellations, answered FROM daily_activity "
               "WHERE day = DATE '2024-03-04' AND account = $a")
        assert con.execute(day, {"a": ""}).fetchall() == [(1, 0)]
        r = s.reply(city, p, "2024-03-06 09:00", "@alice Oui, jusqu'à 18 h.")
        s.land(con, [r])  # a later batch: only the answer, two days later
        assert con.execute(day, {"a": ""}).fetchall() == [(1, 1)]
        assert con.execute(day, {"a": city.lower()}).fetchall() == [(1, 1)]
        assert con.execute("SELECT count(*) FROM daily_activity WHERE day = DATE '2024-03-06' "
                           "AND interpellations > 0").fetchall() == [(0,)]


def test_upgrade_from_a_warehouse_before_the_activity_rollups(db: Path) -> None:
    """A warehouse at migration 0013, purged once: migrations 0014 to 0016 are
    applied when a writer opens it, and the next write fills the days whose posts are still
    there; the frozen days keep their daily_posts rows."""
    with writer(db) as con:
        purge(con, PURGE_AT)
        frozen_posts = con.execute("SELECT * EXCLUDE (refreshed_at) FROM daily_posts "
                                   "ORDER BY ALL").fetchall()
        kept = [r for r in _activity(con)
                if r[2] >= con.execute("SELECT frozen_before FROM retention_horizon")
                .fetchall()[0][0]]
    con = duckdb.connect(str(db))  # back to the format of a warehouse at 0013
    con.execute("DROP TABLE daily_activity")
    _add_unread_rollups(con)
    con.execute("ALTER TABLE daily_posts ADD COLUMN quotes BIGINT NOT NULL DEFAULT 0")
    # (0017, the raw layer's files, is a later, independent step: it stays applied)
    con.execute("DELETE FROM schema_migrations WHERE name >= '0014' AND name < '0017'")
    con.close()
    with writer(db) as con:  # migrates; the publish recomputes every territory
        assert con.execute("SELECT count(*) FROM schema_migrations WHERE name IN "
                           "('0014_daily_activity', '0015_unread_rollup_columns', "
                           "'0016_unread_rollups')").fetchall() == [(3,)]
    with writer(db) as con:
        assert _activity(con) == kept
        assert con.execute("SELECT * EXCLUDE (refreshed_at) FROM daily_posts "
                           "ORDER BY ALL").fetchall() == frozen_posts
        publish_snapshot(con, db)


def _add_unread_rollups(con: duckdb.DuckDBPyConnection) -> None:
    """Put back what migration 0016 drops, filled: daily_hashtags, and daily_posts.reposts,
    replies and authors (nonzero, so a reader left behind would change the figures)."""
    con.execute("""
        CREATE TABLE daily_hashtags (
            territory VARCHAR NOT NULL, platform VARCHAR NOT NULL, day DATE NOT NULL,
            tag VARCHAR NOT NULL, posts BIGINT NOT NULL, authors BIGINT NOT NULL,
            refreshed_at TIMESTAMP NOT NULL)""")
    con.execute("INSERT INTO daily_hashtags SELECT territory, platform, day, 'villeneuve', "
                "posts, 1, refreshed_at FROM daily_posts")
    for col in ("reposts", "replies", "authors"):
        con.execute(f"ALTER TABLE daily_posts ADD COLUMN {col} BIGINT NOT NULL DEFAULT 0")
    con.execute("UPDATE daily_posts SET reposts = posts + 1, replies = 2, authors = 3")


def test_upgrade_from_0015_drops_the_unread_rollups(db: Path) -> None:
    """A warehouse at migration 0015 (purged once, so it has frozen days) with rows in
    daily_hashtags and daily_posts' unread columns: 0016 drops them when a writer opens it,
    and the Tendances figures (every grain, per platform, per account) are unchanged."""
    with writer(db) as con:
        purge(con, PURGE_AT)
        terr = load_territories(con)[0]
        before = {g: _trends(con, terr, g) for g in page_trends.GRAINS}
        per_platform = _trends(con, terr, "week", platform="bluesky")
        per_account = _trends(con, terr, "month", account=terr.accounts[0].handle)
    con = duckdb.connect(str(db))
    _add_unread_rollups(con)
    assert con.execute("SELECT count(*) FROM daily_hashtags").fetchall()[0][0] > 0
    con.execute("DELETE FROM schema_migrations WHERE name = '0016_unread_rollups'")
    con.close()
    with writer(db) as con:
        assert con.execute("SELECT count(*) FROM schema_migrations "
                           "WHERE name = '0016_unread_rollups'").fetchall() == [(1,)]
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        assert "daily_hashtags" not in tables and "daily_posts" in tables
        columns = [r[0] for r in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = 'daily_posts' "
            "ORDER BY column_index").fetchall()]
        assert columns == ["territory", "platform", "day", "posts", "refreshed_at"]
        for grain in page_trends.GRAINS:
            assert _trends(con, terr, grain) == before[grain], grain
        assert _trends(con, terr, "week", platform="bluesky") == per_platform
        assert _trends(con, terr, "month", account=terr.accounts[0].handle) == per_account


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_tendances_page(demo_db: Path, monkeypatch: pytest.MonkeyPatch, lang: str) -> None:
    monkeypatch.setenv("TERRITOIRES_DB", str(demo_db))
    asof = "2026-11-23T06:00:00Z"
    at = run_app("views/tendances.py", lang=lang, asof=asof)
    assert not at.error, [e.value for e in at.error]
    title = {"fr": "Tendances", "en": "Trends"}[lang]
    assert at.title[0].value.startswith(title)
    assert at.radio[0].value == "month" and "grain" not in at.query_params
    headers = [h.value for h in at.header]
    assert headers[0] == {"fr": "Messages", "en": "Posts"}[lang]
    tables = [d.value for d in at.dataframe]
    assert len(tables[0]) == 24  # one row per month
    at.radio[0].set_value("week").run()
    assert at.query_params["grain"] == ["week"] or at.query_params["grain"] == "week"
    assert len([d.value for d in at.dataframe][0]) > 100  # per ISO week
    week = run_app("views/tendances.py", lang=lang, asof=asof, grain="week")
    assert week.radio[0].value == "week" and not week.error
    yes = {"fr": "oui", "en": "yes"}[lang]  # the current week is drawn as incomplete
    assert week.dataframe[0].value.iloc[-1].iloc[1] == yes
    assert week.dataframe[0].value.iloc[-2].iloc[1] == ""
