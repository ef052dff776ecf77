"""Bad input, fuzzed: mutated X API v2 pages through ``prepare_page``, ``load_pages`` and the
JSONL importer (hypothesis).

Mutations: missing fields, wrong types, huge strings, unknown fields, nulls, duplicate ids,
deeply nested junk (inside fields) and, at the byte level, non-UTF-8 bytes and truncation.
Properties:

* ``prepare_page`` either returns a page or raises :class:`PageError` (a plain reason) —
  nothing else; a page that is not UTF-8 or not a JSON object is always refused;
* ``load_pages`` never raises on what ``prepare_page`` accepted, even with good and mutated
  pages in the same batch (one transaction): every accepted page is kept in the raw layer
  (so ``rebuild`` can re-read it after a parser fix) and every post of every good page lands;
* the importer reports every refused line as ``file:line: reason`` and lands the others.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from pathlib import Path
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collectors.jsonl_import import import_files, unrecognised
from warehouse.pages import PageError, prepare_page

SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
_ids = itertools.count(1_000_000)

JUNK = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=10,
)


def good_page(n: int) -> dict[str, Any]:
    """A well-formed ``GET /2/tweets/search/recent`` page of ``n`` posts with fresh ids."""
    data, users = [], []
    for _ in range(n):
        pid, uid = str(next(_ids)), str(next(_ids))
        users.append({"id": uid, "username": f"u{uid}", "name": "Nom", "location": "Villeneuve",
                      "public_metrics": {"followers_count": 3}})
        data.append({
            "id": pid, "author_id": uid, "text": f"@ville bonjour #Ville {pid}",
            "created_at": "2024-03-04T08:00:00.000Z", "conversation_id": pid, "lang": "fr",
            "edit_history_tweet_ids": [pid],
            "entities": {"mentions": [{"username": "ville", "id": "1"}],
                         "hashtags": [{"tag": "Ville"}],
                         "urls": [{"url": "https://t.co/a", "expanded_url": "https://ville.fr/x"}]},
            "public_metrics": {"retweet_count": 0, "reply_count": 0, "like_count": 1,
                               "quote_count": 0},
        })
    return {"data": data, "includes": {"users": users}, "meta": {"result_count": n}}


def _dumps(doc: Any) -> bytes:
    """JSON bytes (the stdlib encoder: orjson refuses to write more than 254 levels)."""
    return json.dumps(doc, ensure_ascii=False).encode("utf-8")


def _nested(depth: int) -> Any:
    value: Any = "bottom"
    for i in range(depth):
        value = [value] if i % 2 else {"k": value}
    return value


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, bytes, list[str]]:
    """``(kind, raw bytes, ids of the good posts)``: kind is good, mutated or bad.

    A mutated page may be accepted or refused; a bad one (not UTF-8, truncated, not an
    object) must be refused; a good one must be accepted and land whole.
    """
    doc = good_page(draw(st.integers(1, 3)))
    ids = [t["id"] for t in doc["data"]]
    if draw(st.integers(0, 3)) == 0:
        return "good", _dumps(doc), ids
    for _ in range(draw(st.integers(1, 3))):
        what = draw(st.sampled_from([
            "drop", "wrong_type", "huge", "unknown", "null", "duplicate", "nested", "page_level",
        ]))
        # a post of the page to mutate: an earlier mutation may have nulled one of them
        tweets = [t for t in doc["data"] if isinstance(t, dict)] \
            if isinstance(doc.get("data"), list) else []
        tweet = draw(st.sampled_from(tweets)) if tweets else {}
        keys = sorted(tweet) or ["id"]
        key = draw(st.sampled_from(keys))
        if what == "drop":
            tweet.pop(key, None)
        elif what == "wrong_type":
            tweet[key] = draw(JUNK)
        elif what == "huge":
            tweet[draw(st.sampled_from(["text", "id", "author_id", "lang"]))] = "é" * 100_000
        elif what == "unknown":
            tweet[draw(st.text(min_size=1, max_size=12))] = draw(JUNK)
        elif what == "null":
            tweet[key] = None
        elif what == "duplicate" and isinstance(doc.get("data"), list):
            # shallow: mutations only replace a post's top-level keys, and a deep copy of
            # a 1,500-level "nested" value would exhaust the recursion limit here
            twin = dict(tweet)
            twin["text"] = draw(st.text(max_size=30))
            doc["data"].append(twin)
        elif what == "nested":
            tweet[draw(st.sampled_from(["entities", "public_metrics", "text"]))] = _nested(
                draw(st.integers(10, 1500)))  # orjson refuses past 1024 levels
        elif what == "page_level":
            doc[draw(st.sampled_from(["data", "includes", "meta", "errors"]))] = draw(JUNK)
    raw = _dumps(doc)
    byte_level = draw(st.sampled_from(["none", "none", "non_utf8", "truncate", "not_object"]))
    if byte_level == "non_utf8":
        at = draw(st.integers(0, len(raw)))
        return "bad", raw[:at] + b"\xff\xfe" + raw[at:], []
    if byte_level == "truncate":
        return "bad", raw[: draw(st.integers(1, len(raw) - 1))], []
    if byte_level == "not_object":
        return "bad", _dumps(draw(st.lists(JUNK, max_size=2))), []
    return "mutated", raw, []


@SETTINGS
@given(st.lists(mutated(), min_size=1, max_size=5))
def test_mutated_pages_never_crash_and_good_pages_land(con, pages) -> None:
    accepted, goods = [], []
    for n, (kind, raw, ids) in enumerate(pages):
        try:
            page = prepare_page(raw, territory="fuzz", origin=f"fuzz:{n}")
        except PageError as e:
            assert kind != "good", f"a good page was refused: {e}"
            assert str(e) and "\n" not in str(e)
            continue
        assert kind != "bad", "a page that is not UTF-8 JSON object text was accepted"
        accepted.append(page)
        if kind == "good":
            goods += ids
    con.execute("SELECT 1").fetchall()  # finish any pending result before loading
    from warehouse.load import load_pages

    load_pages(con, accepted)  # one batch, good and mutated together: must not raise
    page_ids = [p.page_id for p in accepted]
    stored = {r[0] for r in con.execute(
        "SELECT page_id FROM raw_pages WHERE list_contains(?, page_id)", [page_ids]
    ).fetchall()}
    assert stored == {p.page_id for p in accepted}
    landed = {r[0] for r in con.execute(
        "SELECT post_id FROM territory_posts "
        "WHERE territory = 'fuzz' AND list_contains(?, post_id)",
        [goods],
    ).fetchall()}
    assert landed == set(goods)


@settings(SETTINGS, max_examples=20)
@given(st.lists(mutated(), min_size=1, max_size=6))
def test_importer_reports_every_bad_line_with_its_place(con, tmp_path_factory, pages) -> None:
    path: Path = tmp_path_factory.mktemp("jsonl") / "pages.jsonl"
    with open(path, "wb") as fh:
        for _, raw, _ in pages:
            fh.write(raw.replace(b"\n", b" ") + b"\n")
    reported: list[str] = []
    con.execute("SELECT 1").fetchall()
    report = import_files(con, [path], "fuzz", on_error=reported.append)
    refused = []
    for n, (kind, raw, _) in enumerate(pages, 1):
        try:
            page = prepare_page(raw.replace(b"\n", b" "), territory="fuzz")
        except PageError:
            refused.append(n)
        else:
            assert kind != "bad"
            if unrecognised(page):  # a JSON object that is no page the loader reads
                refused.append(n)
    assert {n for n, (kind, _, _) in enumerate(pages, 1) if kind == "bad"} <= set(refused)
    assert [m.split(": ", 1)[0] for m in reported] == [f"{path}:{n}" for n in refused]
    assert report.skipped == reported
    goods = [i for kind, _, ids in pages if kind == "good" for i in ids]
    landed = con.execute(
        "SELECT count(*) FROM territory_posts WHERE list_contains(?, post_id)", [goods]
    ).fetchall()[0][0]
    assert landed == len(goods)


def test_a_real_page_with_a_bad_neighbour_still_lands(con, tmp_path) -> None:
    path = tmp_path / "mixed.jsonl"
    good = good_page(2)
    path.write_bytes(b"\n".join([
        orjson.dumps(good), b'{"data": [', b"\xff\xfe not utf-8", b"[1, 2]",
        orjson.dumps({"data": "not a list", "includes": 5}), b"",
    ]))
    reported: list[str] = []
    report = import_files(con, [path], "fuzz", on_error=reported.append)
    assert [m.split(": ", 1)[0] for m in reported] == [f"{path}:{n}" for n in (2, 3, 4, 5)]
    assert "not valid JSON" in reported[0] and "not UTF-8" in reported[1]
    assert "expected a JSON object" in reported[2]
    assert "of a kind Territoires does not read" in reported[3]
    assert report.stats.new_pages == 1  # the odd-shaped object is reported, not landed
    ids = [t["id"] for t in good["data"]]
    assert con.execute(
        "SELECT count(*) FROM posts WHERE list_contains(?, id) AND in_data", [ids]
    ).fetchall()[0][0] == 2
    assert con.execute("SELECT count(*) FROM raw_pages WHERE kind = 'other'").fetchall()[0][0] == 0


PADS = ("", " ", "\n", "\t \r\n", "\u00a0", "\u2003 ", " \u00a0")


@settings(max_examples=200, deadline=None)
@given(note=st.text(), left=st.sampled_from(PADS), right=st.sampled_from(PADS))
def test_a_page_read_as_bytes_has_the_id_of_its_text(note: str, left: str, right: str) -> None:
    """The importer hashes the bytes it read (no second encoding of the text): the id is
    the one the page's text gives, whatever whitespace, Unicode or not, surrounds it."""
    line = left + orjson.dumps({"data": [], "meta": {"note": note}}).decode() + right
    from_bytes = prepare_page(line.encode(), territory="t")
    from_text = prepare_page(line, territory="t")
    assert from_bytes.body == from_text.body
    expected = hashlib.sha1(b"x\x1ft\x1f" + from_text.body.encode("utf-8", "surrogatepass"))
    assert from_bytes.page_id == from_text.page_id == expected.hexdigest()
