"""One tiny run of the benchmark (``python -m bench``), to keep it working.

No timing is asserted (a benchmark prints figures; tests check behaviour): the run must
complete, every contender must land every post, the pandas version of the headline
metrics must agree with Territoires' SQL, and the queries of the dashboard's pages
(recorded by running the pages) must be timed. twarc-csv (its own virtualenv, slow) and
large sizes are skipped.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import orjson
import pyarrow as pa
import pytest

from bench import bound, report
from bench.__main__ import main
from bench.queries import page_scripts

POSTS = 2000


@pytest.fixture(autouse=True)
def _bench_environment() -> Iterator[None]:
    """The benchmark runs in-process and sets $TERRITOIRES_DB (the pages it records read it)
    and $TERRITOIRES_MEMORY_LIMIT, as its command does; put them back after each test, or
    a later test would find this run's warehouse, and its shared-link secret, by default."""
    names = ("TERRITOIRES_DB", "TERRITOIRES_MEMORY_LIMIT")
    saved = {name: os.environ.get(name) for name in names}
    yield
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def test_small_run_lands_everything_and_pandas_agrees(tmp_path: Path, capsys) -> None:
    out = tmp_path / "result.json"
    rc = main(["--posts", str(POSTS), "--no-peer", "--load-repeats", "1", "--query-repeats",
               "1", "--work-dir", str(tmp_path), "--out", str(out)])
    assert rc == 0
    doc = json.loads(out.read_text())
    (size,) = doc["sizes"]
    assert size["posts"] == POSTS
    assert size["loading"]["floor"]["rows"] == POSTS
    assert size["loading"]["ours"]["rows"] == POSTS
    assert size["loading"]["ours"]["peak_rss"] > 10 * 1024 * 1024
    assert "peer" not in size["loading"]
    pages = {p["page"]: p for p in size["pages"]}
    assert {"aujourdhui", "reactivite", "relais", "hashtags"} <= pages.keys() <= set(page_scripts())
    shell = {"data_as_of", "load_territories"}
    for name in ("aujourdhui", "reactivite", "relais", "hashtags"):  # the page's own queries
        assert set(pages[name]["per_call"]) - shell, pages[name]
    assert "build_review" in pages["revue"]["per_call"]  # the weekly review is timed too
    head = size["headline"]["figures"]
    assert head["interpellations"] > 50 and head["local_tweetos"] > 0
    nb = size["pandas"]
    assert nb["agrees"] == {k: True for k in nb["agrees"]}, (nb["figures"], head)
    printed = capsys.readouterr().out
    assert "ours ÷ floor time" in printed and "relays_per_local_account" in printed


def test_growth_is_a_factor_per_tenfold() -> None:
    def size(posts: int, seconds: float) -> dict:
        c = {"seconds": seconds, "peak_rss": 1024 * 1024}
        return {"posts": posts, "loading": {"ours": c, "ratios": {}}, "pages": [],
                "headline": {"seconds": seconds}}

    g = report.growth([size(100, 1.0), size(10_000, 4.0)])  # two tenfolds, ×4 → ×2 each
    assert abs(g["load ours s"]["100→10000"] - 2.0) < 1e-9
    assert abs(g["load ours peak MB"]["100→10000"] - 1.0) < 1e-9


def test_statement_timing_loads_through_the_real_path(tmp_path: Path, capsys) -> None:
    from datetime import date

    from bench import statements
    from bench.data import ensure_jsonl

    data = ensure_jsonl(tmp_path, 1000, 1, date(2025, 6, 2))
    assert statements.main([str(data.path), "--top", "50"]) == 0
    printed = capsys.readouterr().out
    assert "loading" in printed and "COMMIT" in printed and "INSERT INTO posts" in printed
    landed = Path(f"{data.path.with_suffix('.duckdb')}.statements")
    from warehouse.db import connect

    con = connect(landed, read_only=True)
    assert con.execute("SELECT count(*) FROM territory_timeline").fetchone()[0] == 1000
    con.close()


def test_observatory_times_every_page_of_a_demo_of_several_territories(
    tmp_path: Path, capsys
) -> None:
    from bench import observatory

    out = tmp_path / "observatory.json"
    rc = observatory.main(["--territories", "3", "--posts", "1500", "--query-repeats", "1",
                           "--work-dir", str(tmp_path), "--out", str(out)])  # fmt: skip
    doc = json.loads(out.read_text())
    assert rc == 0 and doc["failed_pages"] == {}
    assert list(doc["posts_per_territory"]) == ["aurelle-metropole", "villeneuve",
                                                "sainte-lanterne"]  # fmt: skip
    assert doc["territory"] == "aurelle-metropole"  # the most posts
    assert doc["load"]["peak_rss"] > 10 * 1024 * 1024 and doc["load"]["seconds"] > 0
    pages = {p["page"]: p for p in doc["pages"]}
    assert pages.keys() == set(page_scripts())  # every page of the app, the Baromètre too
    assert set(pages["reactivite"]["per_call"]) - {"data_as_of", "load_territories"}
    printed = capsys.readouterr().out
    assert "reactivite: uncached" in printed and "peak RSS" in printed


def test_the_bound_lands_each_post_once_and_copies_the_file_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``python -m bench.bound``'s contenders do what they stand for: the floor keeps every
    copy, ``once`` and ``keyed`` each post once, and the raw copy's pieces give the file back."""
    def post(i: int) -> dict[str, object]:
        return {"id": str(i), "text": f"post {i} é", "author_id": "1",
                "created_at": "2025-06-01T10:00:00.000Z"}

    lines = [orjson.dumps({"data": [post(i) for i in range(p * 3, p * 3 + 4)]})
             for p in range(5)]  # each page repeats the next page's first post
    jsonl = tmp_path / "pages.jsonl"
    jsonl.write_bytes(b"\n".join(lines) + b"\n")
    floor = bound.load_floor(str(jsonl), str(tmp_path / "floor.duckdb"), "1GB")
    once = bound.load_posts(str(jsonl), str(tmp_path / "once.duckdb"), "1GB", bound.ONCE_SQL)
    keyed = bound.load_posts(str(jsonl), str(tmp_path / "keyed.duckdb"), "1GB",
                             bound.KEYED_TABLE, bound.KEYED_SQL)
    assert (floor, once, keyed) == (20, 16, 16)
    monkeypatch.setattr(bound, "PIECE", 100)  # several pieces, compressed two at a time
    written = bound.copy_raw(str(jsonl), tmp_path / "raw")
    files = list((tmp_path / "raw").iterdir())
    assert len(files) > 2 and written == sum(f.stat().st_size for f in files)
    data = jsonl.read_bytes()
    pieces = [pa.input_stream(str(f), compression="zstd").read() for f in files]
    assert sorted(pieces) == sorted(data[i:i + 100] for i in range(0, len(data), 100))
