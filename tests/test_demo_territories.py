"""``territoires demo --territories N``: fictional territories of mixed sizes in one warehouse.

One territory is the historical demo, page for page; three give the town, the métropole and
the village of ``territoires/demo_territories.toml``, each with its posts, interpellations,
population and staffing, and ``territoires metrics`` works for each of them.
"""

from __future__ import annotations

import hashlib
import json
import statistics
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from collectors.demo import Habits, generate_pages, generate_places, split_posts
from collectors.demo.interleave import merged, read_pages, write_pages
from territoires.cli import main
from territoires.commands.demo import build_demo
from territoires.example import demo_places, demo_territory, max_territories
from warehouse.db import connect, writer
from warehouse.load import load_pages
from warehouse.pages import RawPage
from warehouse.territory import load_territories, save_territory

ANCHOR = date(2025, 6, 2)
POSTS = 6000

# sha256 of the pages of the one-territory demo (3,000 posts, seed 7, anchored on
# 2025-06-02), computed by the code before `--territories` existed (commit 9aa4207). If the
# demo's content changes on purpose, recompute it with _digest and say so in the commit.
ONE_TERRITORY_SHA256 = "316270119d1f1a3e55b9b818814b5d388d8b8b79466f97c891eaed5093e9d803"


def _digest(pages: Iterable[RawPage]) -> str:
    d = hashlib.sha256()
    for p in pages:
        for f in (p.body, p.territory, p.platform, p.source, p.endpoint, p.query, p.origin,
                  str(p.fetched_at), p.kind, p.canonical):  # fmt: skip
            d.update(repr(f).encode())
            d.update(b"\x1e")
    return d.hexdigest()


def test_one_territory_is_the_historical_demo() -> None:
    one = _digest(generate_places(demo_places(1), 3000, 7, anchor=ANCHOR))
    assert one == _digest(generate_pages(demo_territory(), 3000, 7, anchor=ANCHOR))
    assert one == ONE_TERRITORY_SHA256


def test_posts_are_shared_by_the_square_root_of_the_population() -> None:
    places = demo_places(max_territories())
    assert len(places) == 30
    assert len({p.territory.slug for p in places}) == 30
    counts = split_posts(10_000_000, [p.weight for p in places])
    assert sum(counts) == 10_000_000
    share = {p.territory.slug: n / 10_000_000 for p, n in zip(places, counts, strict=True)}
    population = {p.territory.slug: p.territory.population for p in places}
    biggest = max(population, key=lambda s: population[s] or 0)
    assert population[biggest] >= 400_000
    assert 0.1 < share[biggest] < 0.25  # half the inhabitants, not half the posts
    smallest = min(population, key=lambda s: population[s] or 0)
    assert (population[smallest] or 0) < 500 and counts[list(share).index(smallest)] > 0
    assert split_posts(7, [1.0, 1.0, 100.0]) == [1, 1, 5]
    with pytest.raises(ValueError):
        split_posts(2, [1.0, 1.0, 1.0])


def test_the_territories_differ_in_staffing_and_habits() -> None:
    places = demo_places(max_territories())
    assert all(p.territory.population and p.territory.cm_fte for p in places)
    assert len({p.habits for p in places}) > 20
    assert places[0].habits == Habits() and places[0].words == ()
    strata = [p.territory.population or 0 for p in places]
    assert min(strata) < 500 and max(strata) > 400_000
    assert any(1_000 <= s <= 5_000 for s in strata) and any(10_000 <= s <= 40_000 for s in strata)
    assert any(50_000 <= s <= 60_000 for s in strata)


def test_pages_of_several_streams_come_back_whole_in_time_order(tmp_path: Path) -> None:
    village = list(generate_places(demo_places(3)[2:], 400, 5, anchor=ANCHOR))
    town = list(generate_places(demo_places(1), 900, 5, anchor=ANCHOR))
    write_pages(tmp_path / "town", town)
    write_pages(tmp_path / "village", village)
    assert list(read_pages(tmp_path / "town")) == town  # every field kept
    merged_pages = list(merged([tmp_path / "town", tmp_path / "village"]))
    assert sorted(merged_pages, key=_digest_one) == sorted(town + village, key=_digest_one)
    assert [p for p in merged_pages if p.territory == "villeneuve"] == town  # each one's order
    firsts = [p.territory for p in merged_pages[:8]]  # both territories' profile pages first
    assert {"villeneuve", "sainte-lanterne"} <= set(firsts)


def test_the_pages_of_many_territories_are_merged_by_fetch_time(tmp_path: Path) -> None:
    pages = list(generate_places(demo_places(3), 3000, 5, anchor=ANCHOR, spool_dir=tmp_path))
    assert list(tmp_path.iterdir()) == []  # the files are gone once read
    fetched = [p.fetched_at.timestamp() for p in pages]  # type: ignore[union-attr]
    # a territory's pages come nearly in fetch order (a page's instant is its newest post's,
    # a few pages wait for the end), so the merge is nearly sorted: 0.82 here, where
    # territory after territory gave 0.34
    assert statistics.correlation(range(len(pages)), fetched) > 0.7
    slugs = [p.territory for p in pages]
    assert slugs.index("sainte-lanterne") < len(pages) // 4  # not after the others


def _digest_one(page: RawPage) -> str:
    return _digest([page])


def test_a_demo_of_many_territories_lands_its_posts_in_time_order(tmp_path: Path) -> None:
    """The territories' pages are loaded day by day, all territories together, as a daily
    collection lands them, so the posts lie in time order on disk (docs/benchmark.md, "Posts
    in time order"). Loaded territory after territory, each territory's run of rows spans
    the whole period: there the correlation of row order and time was 0.42 (0.87 now) and
    a day's posts spread over 39 % of the table (12 % now)."""
    places = demo_places(5)
    with writer(tmp_path / "demo.duckdb") as con:
        for place in places:
            save_territory(con, place.territory)
        # small batches, so that the order of the batches shows (the rows of one batch are
        # inserted in no particular order)
        load_pages(con, generate_places(places, 20_000, 3, anchor=ANCHOR, spool_dir=tmp_path),
                   max_bytes=1_000_000, bulk=True)
        corr, spread = con.execute("""
            SELECT (SELECT corr(rowid, epoch(created_at)) FROM posts),
                   (SELECT median(spread) FROM (
                       SELECT (quantile_cont(rowid, 0.75) - quantile_cont(rowid, 0.25))
                              / (SELECT count(*) FROM posts) AS spread
                       FROM posts GROUP BY created_at::DATE))
        """).fetchone()  # type: ignore[misc]  # fmt: skip
    assert corr > 0.8
    assert spread < 0.2  # the posts of a day lie together


@pytest.fixture(scope="module")
def three(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("demo3") / "demo.duckdb"
    landed, _ = build_demo(db, POSTS, seed=3, anchor=ANCHOR, territories=3)
    assert landed >= POSTS  # the village's relayed posts count in both territories
    return db


def test_three_territories_of_ordered_sizes(three: Path) -> None:
    con = connect(three, read_only=True)
    try:
        terrs = {t.slug: t for t in load_territories(con)}
        posts = dict(con.execute(
            "SELECT territory, count(*) FROM territory_posts GROUP BY ALL").fetchall())
        shared = con.execute(
            "SELECT count(*) FROM (SELECT platform, post_id FROM territory_posts GROUP BY ALL "
            "HAVING count(*) > 1)").fetchone()[0]  # type: ignore[index]  # fmt: skip
    finally:
        con.close()
    assert set(terrs) == {"villeneuve", "aurelle-metropole", "sainte-lanterne"}
    pop = {slug: t.population for slug, t in terrs.items()}
    assert pop["aurelle-metropole"] > pop["villeneuve"] > pop["sainte-lanterne"]  # type: ignore[operator]
    assert posts["aurelle-metropole"] > posts["villeneuve"] > posts["sainte-lanterne"] > 0
    assert all(t.cm_fte for t in terrs.values())
    assert 0 < shared <= 100  # the métropole relays one page of its village's posts


def _toml(data: dict[str, Any]) -> str:
    """A territory's saved configuration written back as TOML (strings, numbers, lists)."""
    out: list[str] = []
    for section, value in data.items():
        rows = value if isinstance(value, list) else [value]
        for row in rows:
            out.append(f"[[{section}]]" if isinstance(value, list) else f"[{section}]")
            out.extend(f"{k} = {json.dumps(v, ensure_ascii=False)}" for k, v in row.items())
    return "\n".join(out) + "\n"


def test_metrics_for_each_territory(three: Path, tmp_path: Path, capsys) -> None:
    con = connect(three, read_only=True)
    try:
        terrs = load_territories(con)
    finally:
        con.close()
    rates = {}
    for t in terrs:
        config = tmp_path / f"{t.slug}.toml"
        config.write_text(_toml(t.raw), encoding="utf-8")
        code = main(["metrics", "--config", str(config), "--db", str(three), "--since",
                     "2025-03-03", "--until", "2025-06-02", "--as-of", "2025-06-02"])  # fmt: skip
        out, err = capsys.readouterr()
        assert (code, err) == (0, ""), t.slug
        h = json.loads(out)
        assert h["territory"] == t.slug
        assert h["interpellations"] > 0 and h["posts_total"] > 0, t.slug
        assert h["relays"] > 0, t.slug
        rates[t.slug] = h["response_rate"]
    # the métropole answers more than the village, which leaves most questions waiting
    assert rates["aurelle-metropole"] > rates["sainte-lanterne"]


@pytest.mark.parametrize("n", ["0", "-2", "31"])
def test_a_bad_number_of_territories_is_a_usage_error(n: str, tmp_path: Path, capsys) -> None:
    db = tmp_path / "demo.duckdb"
    code = main(["demo", "--territories", n, "--posts", "100", "--no-serve", "--db", str(db)])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "--territories: expected a number from 1 to 30" in err
    assert not db.exists()


def test_the_command_says_how_many_territories(tmp_path: Path, capsys) -> None:
    code = main(["demo", "--territories", "2", "--posts", "400", "--anchor", "2025-06-02",
                 "--no-serve", "--db", str(tmp_path / "demo.duckdb")])  # fmt: skip
    out, _ = capsys.readouterr()
    assert code == 0
    assert ": 2 demo territories: 400 posts from " in out.splitlines()[0]


def test_fewer_posts_than_territories_is_a_usage_error(tmp_path: Path, capsys) -> None:
    code = main(["demo", "--territories", "5", "--posts", "3", "--no-serve",
                 "--db", str(tmp_path / "demo.duckdb")])  # fmt: skip
    _, err = capsys.readouterr()
    assert code == 2 and "at least one post per territory" in err
