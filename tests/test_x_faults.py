"""Each fault the fake X API can inject ends as specified: status, message, what landed.

Waits go through an injected ``sleep`` that records them, so rate-limit and backoff
behaviour is checked without waiting."""

from __future__ import annotations

import json

import pytest

from collectors import spool
from collectors.x_collect import collect, summary
from tests.fake_x_api import FakeXApi, fast_policy, landed_post_ids, make_dataset, x_territory
from warehouse.db import connect

TOKEN = "tok-faults"
MENTIONS = r"^/2/users/\d+/mentions$"
SEARCH = r"^/2/tweets/search/recent$"


@pytest.fixture
def territory():
    return x_territory()


@pytest.fixture
def world(territory):
    ds = make_dataset(160, city_handles=tuple(territory.handles("x")), seed=3)
    with FakeXApi(ds.users, ds.all_posts(), token=TOKEN) as fake:
        fake.page_cap = 30
        yield ds, fake


def run(fake, territory, db, **policy):
    waits: list[float] = []
    report = collect(
        [territory], db, TOKEN, base_url=fake.url, policy=fast_policy(**policy), sleep=waits.append
    )
    return report, waits


def run_row(db):
    con = connect(db, read_only=True)
    try:
        status, message, errors = con.execute(
            "SELECT status, message, errors FROM collect_runs ORDER BY run_id DESC LIMIT 1"
        ).fetchall()[0]
    finally:
        con.close()
    return status, message, json.loads(errors)


def all_landed(ds, db) -> bool:
    return sorted(landed_post_ids(db)) == sorted(p["id"] for p in ds.posts)


def test_429_with_reset_header_waits_until_the_reset_then_goes_on(world, territory, tmp_path):
    ds, fake = world
    fake.inject("429", MENTIONS, after=1, times=1, reset_in=4)
    report, waits = run(fake, territory, tmp_path / "w.duckdb")
    assert report.status == "ok", summary(report)
    assert len(waits) == 1 and 4 <= waits[0] <= 7  # until x-rate-limit-reset (+1 s margin)
    assert all_landed(ds, tmp_path / "w.duckdb")


def test_429_resetting_beyond_the_cap_stops_that_endpoint_with_a_clear_message(
    world, territory, tmp_path
):
    ds, fake = world
    db = tmp_path / "w.duckdb"
    fake.inject("429", MENTIONS, times=None, reset_in=3600)
    report, waits = run(fake, territory, db, max_rate_wait=30)
    assert waits == []  # never waits longer than the cap, never loops
    assert report.status == "partial"
    status, message, errors = run_row(db)
    assert status == "partial"
    assert "rate limit reached on GET /2/users/:id/mentions" in message
    assert "resets at" in message and "maximum of 30 s" in message
    queries = report.territories[0].queries
    mentions = [q for q in queries if q.endpoint == "/2/users/:id/mentions"]
    assert [q.outcome for q in mentions] == ["stopped", "skipped", "skipped"]
    assert sum(1 for r in fake.requests if r["path"].endswith("/mentions")) == 1
    # the other endpoints still landed their posts
    by_city = {p["id"] for p in ds.posts if p["author_id"] in ds.city_ids.values()}
    assert by_city <= set(landed_post_ids(db))
    fake.clear_faults()
    report, _ = run(fake, territory, db)
    assert report.status == "ok" and all_landed(ds, db)


def test_429_without_reset_header_backs_off_then_gives_up_never_a_tight_loop(
    world, territory, tmp_path
):
    ds, fake = world
    db = tmp_path / "w.duckdb"
    fake.inject("429-no-reset", SEARCH, times=None)
    report, waits = run(fake, territory, db, max_retries=3, no_header_wait=0.5)
    assert waits == [0.5, 1.0, 2.0]  # doubling, capped in number
    assert report.status == "partial"
    _, message, _ = run_row(db)
    assert "did not say when it resets" in message and "after 3 waits" in message
    assert sum(1 for r in fake.requests if r["path"] == "/2/tweets/search/recent") == 4
    search = [q for q in report.territories[0].queries if q.endpoint.endswith("recent")]
    assert search[0].outcome == "stopped" and all(q.outcome == "skipped" for q in search[1:])


def test_503_is_retried_with_backoff_and_the_run_is_ok(world, territory, tmp_path):
    ds, fake = world
    fake.inject("503", MENTIONS, times=2)
    report, waits = run(fake, territory, tmp_path / "w.duckdb", backoff_base=0.01)
    assert report.status == "ok", summary(report)
    assert len(waits) == 2 and waits[1] > waits[0] * 1.1
    assert all_landed(ds, tmp_path / "w.duckdb")


def test_503_that_persists_ends_partial_keeping_what_landed_then_a_rerun_completes(
    world, territory, tmp_path
):
    ds, fake = world
    db = tmp_path / "w.duckdb"
    fake.inject("503", after=6, times=None)  # everything after the 6th request
    report, waits = run(fake, territory, db, max_retries=2)
    assert len(waits) == 2
    assert report.status == "partial"
    status, message, _ = run_row(db)
    assert status == "partial" and "unavailable (HTTP 503) after 3 attempts" in message
    kept = set(landed_post_ids(db))
    assert kept and kept < {p["id"] for p in ds.posts}
    assert report.territories[0].run.pages == 6  # the 6 answered requests all landed
    fake.clear_faults()
    report, _ = run(fake, territory, db)
    assert report.status == "ok" and all_landed(ds, db)


def test_a_stalled_connection_times_out_and_is_retried(world, territory, tmp_path):
    ds, fake = world
    fake.stall_seconds = 5
    fake.inject("stall", SEARCH, times=1)
    report, waits = run(fake, territory, tmp_path / "w.duckdb", timeout=0.3)
    assert report.status == "ok", summary(report)
    assert len(waits) == 1
    assert all_landed(ds, tmp_path / "w.duckdb")


def test_a_malformed_body_is_kept_aside_and_reported(world, territory, tmp_path):
    ds, fake = world
    db = tmp_path / "w.duckdb"
    fake.inject("malformed", MENTIONS, times=1)
    report, _ = run(fake, territory, db)
    assert report.status == "partial"
    kept = list(spool.rejected_dir(db).glob("*.body"))
    assert len(kept) == 1 and kept[0].read_bytes() == b'{"data":[{"id":"1","text":"cut off'
    reason = kept[0].with_name(kept[0].name.replace(".body", ".reason.txt")).read_text()
    assert "/2/users/:id/mentions: malformed response body (not valid JSON" in reason
    assert "kept aside for inspection" in summary(report)
    _, _, errors = run_row(db)
    assert [e["kind"] for e in errors["items"]] == ["malformed"]
    fake.clear_faults()
    report, _ = run(fake, territory, db)
    assert report.status == "ok" and all_landed(ds, db)


def test_partial_errors_in_a_200_are_recorded_not_fatal(world, territory, tmp_path):
    ds, fake = world
    db = tmp_path / "w.duckdb"
    fake.inject("partial-errors", MENTIONS, times=2)
    report, _ = run(fake, territory, db)
    assert report.status == "ok", summary(report)
    assert all_landed(ds, db)
    con = connect(db, read_only=True)
    try:
        (n,) = con.execute("SELECT count(*) FROM page_errors").fetchall()[0]
    finally:
        con.close()
    assert n == 2
    _, _, errors = run_row(db)
    assert [e["kind"] for e in errors["items"]] == ["partial_errors", "partial_errors"]
    assert "2 page(s) carried partial errors" in summary(report)


def test_401_fails_the_run_in_plain_words(world, territory, tmp_path):
    _, fake = world
    db = tmp_path / "w.duckdb"
    fake.token = "another-token"
    report, waits = run(fake, territory, db)
    assert report.status == "failed" and waits == []
    status, message, _ = run_row(db)
    assert status == "failed"
    assert message.startswith("X: the credentials were refused (HTTP 401) on GET /2/users/by")
    assert len(fake.requests) == 1
    assert landed_post_ids(db) == []


def test_403_453_names_the_endpoint_and_the_access_it_needs(world, territory, tmp_path):
    ds, fake = world
    db = tmp_path / "w.duckdb"
    fake.inject("403-453", MENTIONS, times=None)
    report, _ = run(fake, territory, db)
    assert report.status == "partial"
    _, message, _ = run_row(db)
    assert "GET /2/users/:id/mentions (posts mentioning a city account)" in message
    assert "X error 453" in message and "Basic access or higher" in message
    assert sum(1 for r in fake.requests if r["path"].endswith("/mentions")) == 1
    assert any(q.pages for q in report.territories[0].queries if q.endpoint.endswith("recent"))


def test_403_client_not_enrolled_is_explained(world, territory, tmp_path):
    _, fake = world
    db = tmp_path / "w.duckdb"
    fake.inject("403-not-enrolled", SEARCH, times=None)
    report, _ = run(fake, territory, db)
    assert report.status == "partial"
    text = summary(report)
    assert "not attached to a Project" in text and "client-not-enrolled" in text
