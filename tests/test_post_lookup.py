"""A listing's details (warehouse/post_lookup.post_details) are found by the post's instant,
then matched on its key: posts that share an instant never lend each other their text, a row
without an instant is found by key alone, and a row whose post is gone gets NULLs."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest

from warehouse.db import connect
from warehouse.migrations import migrate
from warehouse.post_lookup import post_details

NOON = datetime(2026, 3, 2, 12, 0, 0)
LATER = datetime(2026, 3, 2, 15, 30, 0)


@pytest.fixture
def con(tmp_path):
    con = connect(tmp_path / "lookup.duckdb")
    migrate(con)
    posts = [  # (platform, id, author, instant, text): three posts at noon on two platforms
        ("x", "101", "u1", NOON, "first at noon"),
        ("x", "102", "u2", NOON, "second at noon"),
        ("mastodon", "101", "m1", NOON, "same id, other platform"),
        ("x", "103", "u1", LATER, "later"),
    ]
    con.executemany(
        "INSERT INTO posts (platform, id, author_id, created_at, text, in_data, fetched_at,"
        " page_id) VALUES (?, ?, ?, ?, ?, true, ?, 'p')",
        [(*p, LATER) for p in posts])
    con.executemany(
        "INSERT INTO accounts (platform, id, username, name, fetched_at, page_id)"
        " VALUES (?, ?, ?, ?, ?, 'p')",
        [("x", "u1", "alice", "Alice", LATER), ("x", "u2", "bob", "Bob", LATER),
         ("mastodon", "m1", "https://example.social/@carol", "Carol", LATER)])
    yield con
    con.close()


def test_posts_sharing_an_instant_keep_their_own_details(con):
    rows = pd.DataFrame({"platform": ["x", "mastodon", "x"], "post_id": ["102", "101", "103"],
                         "created_at": [NOON, NOON, LATER], "rank": [1, 2, 3]})
    out = post_details(con, rows)
    assert list(out["post_id"]) == ["102", "101", "103"]  # the rows' order, rows' columns kept
    assert list(out["rank"]) == [1, 2, 3]
    assert list(out["text"]) == ["second at noon", "same id, other platform", "later"]
    assert list(out["author_username"]) == ["bob", "https://example.social/@carol", "alice"]
    assert list(out["author_id"]) == ["u2", "m1", "u1"]


def test_a_row_without_instant_is_found_by_key_and_a_missing_post_gets_nulls(con):
    rows = pd.DataFrame({"platform": ["x", "x", "x"], "post_id": ["101", "999", "103"],
                         "created_at": [None, NOON, NOON]})  # 103 is not at noon
    out = post_details(con, rows)
    assert out.loc[0, "text"] == "first at noon"
    assert out.loc[0, "created_at"] == pd.Timestamp(NOON)  # the post's instant, taken
    assert out.loc[1, ["text", "author_username"]].isna().all()  # no such post
    assert pd.isna(out.loc[2, "text"])  # the key at another instant is not this row's post


def test_an_empty_listing_keeps_its_columns(con):
    rows = pd.DataFrame({"platform": pd.Series([], dtype=str),
                         "post_id": pd.Series([], dtype=str)})
    out = post_details(con, rows)
    assert out.empty
    assert {"platform", "post_id", "text", "author_username", "url"} <= set(out.columns)


def test_texts_are_found_at_the_expected_instant_or_else_by_key(con):
    from warehouse.post_lookup import posts_at

    keys = pd.DataFrame({"platform": ["x", "x", "mastodon", "x", "x"],
                         "id": ["102", "103", "101", "404", "101"],
                         "at": [NOON, NOON, None, NOON, NOON]})  # 103 is not at noon
    got = posts_at(con, keys).sort_values(["platform", "id"]).reset_index(drop=True)
    assert list(zip(got["platform"], got["id"], got["text"], got["created_at"],
                    strict=True)) == [
        ("mastodon", "101", "same id, other platform", pd.Timestamp(NOON)),
        ("x", "101", "first at noon", pd.Timestamp(NOON)),
        ("x", "102", "second at noon", pd.Timestamp(NOON)),
        ("x", "103", "later", pd.Timestamp(LATER)),  # the wrong guess: found by key
    ]  # and 404, found nowhere, has no row
