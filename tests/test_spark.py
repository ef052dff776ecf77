"""``--engine spark`` (warehouse/spark_engine.py, docs/scale.md): Apache Spark, in local mode
over the lake, gives the same JSON as DuckDB, key by key: on hand-made scenarios (a
daylight-saving window, a holiday, split hours, relays, hashtags, triage) and on a
three-territory baromètre.

One Spark session for the module (``local[2]``, small memory). Without pyspark or Java the
Spark tests are skipped, saying why, except in CI (``CI=true``), where they must run.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from tests.scenario import Scenario, make_territory
from warehouse import triage_journal
from warehouse.db import publish_snapshot
from warehouse.lake import export
from warehouse.metrics import headlines, headlines_for
from warehouse.spark_sql import translate
from warehouse.territory import load_territories

_MISSING = [what for what, ok in (
    ("pyspark (uv sync --extra spark)", importlib.util.find_spec("pyspark") is not None),
    ("Java (apt-get install default-jre-headless)", shutil.which("java") is not None),
) if not ok]


@pytest.fixture(scope="module")
def spark():
    if _MISSING:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the Spark tests; missing: {', '.join(_MISSING)}")
        pytest.skip(f"Spark tests need {' and '.join(_MISSING)}")
    from warehouse.spark_engine import session

    # tiny tables: compiling code for each stage of the large plans costs more than it saves
    s = session("local[2]", memory="1g", conf={"spark.sql.codegen.wholeStage": "false",
                                               "spark.sql.shuffle.partitions": "1"})
    yield s
    s.stop()


def _city(s: Scenario, prefix: str = "") -> None:
    for handle in ("ville", "ville_sortir", "ville_proprete"):
        s.user(prefix + handle, location="Villeneuve")


def _story(s: Scenario, p: str = "") -> None:
    """Interpellations of every kind, answers in and out of service hours, across both
    daylight-saving changes of 2024 and a holiday; relays, local accounts, hashtags."""
    s.user(p + "alice", location="Villeneuve (49)", followers=120)
    s.user(p + "bob", location="Angers", followers=1000)
    s.user(p + "carol", description="née à Villeneuve", followers=5)
    c1 = s.post(p + "ville_sortir", "2024-03-04 09:00", "Concert ce soir ! #Ville")
    q = s.post(p + "alice", "2024-03-04 10:00", f"Bonjour @{p}ville, la rue est fermée ?")
    s.reply(p + "ville", q, "2024-03-04 10:30", f"@{p}alice Oui, jusqu'à 18h.")
    s.reply(p + "alice", c1, "2024-03-04 10:01", "À quelle heure ?")  # reply to the city
    b1 = s.post(p + "bob", "2024-03-04 10:02", "Quelle pagaille rue Nationale")
    s.reply(p + "carol", b1, "2024-03-04 10:03", f"@{p}bob @{p}ville regardez ça")
    s.repost(p + "bob", c1, "2024-03-04 10:06")  # a relay (repost)
    s.quote(p + "carol", c1, "2024-03-04 10:07", "J'y serai #ville")  # a relay (quote)
    s.post(p + "bob", "2024-03-05 12:00", "Programme https://agenda.ville.fr/mars #VILLE")
    s.post(p + "carol", "2024-03-06 18:00", f"@{p}ville_proprete merci pour tout !")
    # spring forward: Saturday 30 March 19:30 -> Sunday 31 March 10:30 (every-day account)
    sp = s.post(p + "bob", "2024-03-30 19:30", f"@{p}ville_sortir une question ?")
    s.reply(p + "ville_sortir", sp, "2024-03-31 10:30", f"@{p}bob la réponse")
    # Easter Monday closed: Friday 29 March 17:30 -> Tuesday 2 April 9:30
    ea = s.post(p + "carol", "2024-03-29 17:30", f"@{p}ville panne d'éclairage")
    s.reply(p + "ville", ea, "2024-04-02 09:30", f"@{p}carol c'est noté")
    # fall back: Friday 25 October 17:30 -> Monday 28 October 09:30
    fb = s.post(p + "alice", "2024-10-25 17:30", f"@{p}ville encore une fuite ?")
    s.reply(p + "ville", fb, "2024-10-28 09:30", f"@{p}alice réparée")
    s.post(p + "bob", "2024-10-26 11:00", f"@{p}ville_proprete poubelles pleines")  # unanswered
    s.post(p + "dave", "2024-10-27 02:30", f"@{p}ville Top, bonne soirée !")  # the repeated hour
    # split hours: 11:50 -> 13:40 (the lunch break is closed)
    sh = s.post(p + "erin", "2024-10-29 11:50", f"@{p}ville_proprete dépôt sauvage ?")
    s.reply(p + "ville_proprete", sh, "2024-10-29 13:40", f"@{p}erin on y va")
    s.post(p + "fred", "2024-10-30 09:00", f"@{p}ville encore un nid-de-poule rue du Port")


PERIODS = [
    (date(2024, 3, 1), date(2024, 4, 1)),
    (date(2024, 3, 25), date(2024, 4, 8)),  # across spring forward and Easter Monday
    (date(2024, 10, 21), date(2024, 11, 4)),  # across fall back
    (date(2024, 10, 27), date(2024, 10, 28)),  # the 25-hour day
]


def _same(duck: list[dict], spark: list[dict]) -> None:
    assert len(duck) == len(spark)
    for d, s in zip(duck, spark, strict=True):
        for key in d:
            assert s[key] == d[key], (d["since"], key, d[key], s[key])
        assert json.dumps(s, sort_keys=True) == json.dumps(d, sort_keys=True)


@pytest.mark.slow
@pytest.mark.timeout(1200)  # Spark in local mode on a shared 2-core machine
def test_the_headline_equals_duckdbs_key_by_key(spark, con, db_file, tmp_path):
    from warehouse.spark_engine import SparkMetrics

    s = Scenario(make_territory())
    _city(s)
    _story(s)
    s.land(con)
    publish_snapshot(con, db_file)
    fb = next(pid for pid, p in s.posts.items() if "nid-de-poule" in p["text"])
    top = next(pid for pid, p in s.posts.items() if "Top" in p["text"])
    triage_journal.record(db_file, [
        triage_journal.Decision("testville", "x", fb, "handled_elsewhere", "cm",
                                datetime(2024, 10, 30, 10, 0)),
        triage_journal.Decision("testville", "x", top, "forwarded", "cm",
                                datetime(2024, 10, 28, 10, 0), service=None),
    ])
    lake = tmp_path / "lake"
    export(con, lake, load_territories(con))
    engine = SparkMetrics(spark, str(lake))
    for as_of in (datetime(2024, 11, 1, 12, 0), datetime(2024, 11, 20)):  # pending; final
        duck = headlines(con, s.territory, PERIODS, as_of)
        assert duck[2]["interpellations"] >= 5 and duck[2]["expecting_answer"] >= 1
        _same(duck, engine.headlines(s.territory, PERIODS, as_of))

    # a lake of a format before accounts.profile_marked, or before accounts.profile_fold
    # too: a clear error, not a wrong figure
    files = sorted((lake / "accounts").rglob("*.parquet"))
    old = duckdb.connect()
    whole = old.sql("SELECT * FROM read_parquet($files)",
                    params={"files": [str(f) for f in files]}).to_arrow_table()
    for f in files:
        f.unlink()
    for dropped in (["profile_marked"], ["profile_marked", "profile_fold"]):
        pq.write_table(whole.drop_columns(dropped), lake / "accounts" / "old.parquet")
        with pytest.raises(ValueError, match=rf"older format.*no {dropped[-1]}.*export --lake"):
            SparkMetrics(spark, str(lake))


@pytest.mark.slow
@pytest.mark.timeout(1200)  # Spark in local mode on a shared 2-core machine
def test_one_pass_over_territories_sharing_posts_equals_duckdbs(spark, con, db_file, tmp_path):
    """The same posts landed for two territories that see them differently: one of the
    city's accounts (other service hours) and a citizen as a city account, other city
    domains, other locality terms. Spark computes the facts of both in one pass; each
    territory's figures are still its own, equal to DuckDB's."""
    from warehouse.spark_engine import SparkMetrics

    s = Scenario(make_territory())
    _city(s)
    _story(s)
    s.land(con)
    agglo = Scenario(make_territory(
        territory={"name": "Agglo (test)", "slug": "agglo", "timezone": "Europe/Paris",
                   "holidays": "FR"},
        accounts=[{"platform": "x", "handle": "ville_sortir",
                   "service_hours": "mon-fri 09:00-17:00"},
                  {"platform": "x", "handle": "bob", "service_hours": "mon-sun 08:00-22:00"}],
        tracking={"hashtags": ["#Ville"], "city_domains": ["autre.fr"]},
        locality={"terms": ["Angers", "Villeneuve"]}))
    agglo.users, agglo.posts = s.users, s.posts  # the same posts, the same ids
    agglo.land(con)
    publish_snapshot(con, db_file)
    lake = tmp_path / "lake"
    territories = [s.territory, agglo.territory]
    export(con, lake, territories)
    as_of = datetime(2024, 11, 20)
    duck = headlines_for(con, territories, PERIODS, as_of)
    assert duck["testville"] != duck["agglo"]  # the two territories' figures differ
    assert duck["agglo"][0]["relays"] < duck["testville"][0]["relays"]
    engine = SparkMetrics(spark, str(lake))
    got = engine.headlines_for(territories, PERIODS, as_of)
    for slug in ("testville", "agglo"):
        _same(duck[slug], got[slug])
    _same(duck["agglo"], engine.headlines(agglo.territory, PERIODS, as_of))  # the same facts


def _territory(k: int, population: int):
    p = f"t{k}_"
    return make_territory(
        territory={"name": f"Ville {k}", "slug": f"ville{k}", "timezone": "Europe/Paris",
                   "holidays": "FR", "population": population, "cm_fte": 1.5},
        accounts=[
            {"platform": "x", "handle": p + "ville", "service_hours": "mon-fri 09:00-18:00"},
            {"platform": "x", "handle": p + "ville_sortir",
             "service_hours": "mon-sun 10:00-20:00"},
            {"platform": "x", "handle": p + "ville_proprete",
             "service_hours": "mon-fri 08:30-12:00, mon-fri 13:30-17:30"},
        ],
        tracking={"hashtags": ["#Ville"], "city_domains": ["ville.fr"]},
    )


@pytest.mark.slow
@pytest.mark.timeout(1200)  # Spark in local mode on a shared 2-core machine
def test_a_three_territory_barometre_equals_duckdbs(spark, con, db_file, tmp_path):
    from territoires.commands.barometre import compute
    from warehouse import spark_engine

    territories = []
    for k, population in enumerate((8_000, 25_000, 140_000), start=1):
        s = Scenario(_territory(k, population))
        s._next_id += k * 1_000_000  # distinct post ids per territory
        for n, handle in enumerate(("ville", "ville_sortir", "ville_proprete")):
            s.user(f"t{k}_{handle}", id=f"{k}0{n}")
        for n, name in enumerate(("alice", "bob", "carol", "dave", "erin", "fred")):
            s.user(f"t{k}_{name}", id=f"{k}9{n}", location="Villeneuve")
        _story(s, f"t{k}_")
        s.land(con)
        territories.append(s.territory)
    publish_snapshot(con, db_file)
    since, until, as_of = date(2024, 10, 1), date(2024, 11, 1), datetime(2024, 11, 8)
    duck = compute(territories, db_file, since, until, as_of)
    original = spark_engine.session
    spark_engine.session = lambda *a, **k: spark  # the module's session, not a second one
    try:
        got = compute(territories, db_file, since, until, as_of, engine="spark")
    finally:
        spark_engine.session = original
    assert [t["territory"] for t in duck["territories"]] == ["ville1", "ville2", "ville3"]
    assert duck["territories"][0]["interpellations"] > 0
    assert json.dumps(got, sort_keys=True) == json.dumps(duck, sort_keys=True)


def test_the_definitions_translate_with_the_documented_help_only():
    """Every rewrite of warehouse/spark_sql.py leaves no DuckDB-only function behind."""
    from warehouse import spark_engine

    for tr in (spark_engine._headline(1), spark_engine._headline(3), spark_engine._TP,
               spark_engine._CITY, spark_engine._SPANS, spark_engine._TEXTS,
               *spark_engine._FACT_SQL.values()):
        text = tr.sql.upper()
        for duckdb_only in ("UNNEST(", "EXPLODE(", "ARG_MAX_NULL", "LIST_SUM", "DATE_BIN",
                            "TO_DAYS", "PERCENTILE_CONT", "LIMIT 1)"):
            assert duckdb_only not in text, duckdb_only
    assert translate("SELECT unnest($a::VARCHAR[]) AS x, unnest($b::INTEGER[]) AS y"
                     ).tables[0].columns == [("x", "a", "STRING"), ("y", "b", "INT")]


def test_without_java_the_command_says_how_to_install(tmp_path, con, db_file):
    s = Scenario(make_territory())
    _city(s)
    s.post("alice", "2024-03-04 10:00", "@ville bonjour ?")
    s.land(con)
    publish_snapshot(con, db_file)
    con.close()
    config = tmp_path / "t.toml"
    config.write_text('[territory]\nname = "T"\nslug = "testville"\ntimezone = "Europe/Paris"\n'
                      '[[accounts]]\nplatform = "x"\nhandle = "ville"\n')
    env = {k: v for k, v in os.environ.items() if k != "JAVA_HOME"}
    env["PATH"] = str(Path(sys.executable).parent)  # no java on it
    done = subprocess.run(
        [sys.executable, "-m", "territoires.cli", "metrics", "--config", str(config), "--db",
         str(db_file), "--since", "2024-03-04", "--until", "2024-03-11", "--engine", "spark"],
        capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 2
    assert "uv sync --extra spark" in done.stderr and "default-jre-headless" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


@pytest.mark.slow
@pytest.mark.timeout(1200)  # Spark in local mode on a shared 2-core machine
def test_the_command_prints_the_same_json(spark, con, db_file, tmp_path, capsys, monkeypatch):
    from territoires.cli import main
    from warehouse import spark_engine

    s = Scenario(make_territory())
    _city(s)
    _story(s)
    s.land(con)
    publish_snapshot(con, db_file)
    con.close()
    config = tmp_path / "t.toml"
    config.write_text(
        '[territory]\nname = "Villeneuve (test)"\nslug = "testville"\n'
        'timezone = "Europe/Paris"\nholidays = "FR"\n'
        '[[accounts]]\nplatform = "x"\nhandle = "ville"\nservice_hours = "mon-fri 09:00-18:00"\n'
        '[[accounts]]\nplatform = "x"\nhandle = "ville_sortir"\n'
        'service_hours = "mon-sun 10:00-20:00"\n'
        '[[accounts]]\nplatform = "x"\nhandle = "ville_proprete"\n'
        'service_hours = "mon-fri 08:30-12:00, mon-fri 13:30-17:30, sat 09:00-12:00"\n'
        '[tracking]\nhashtags = ["#Ville"]\ncity_domains = ["ville.fr"]\n'
        '[locality]\nterms = ["Villeneuve", "49"]\n')
    lake = tmp_path / "lake"
    assert main(["export", "--db", str(db_file), "--lake", str(lake)]) == 0
    capsys.readouterr()
    args = ["metrics", "--config", str(config), "--db", str(db_file), "--since", "2024-10-21",
            "--until", "2024-11-04", "--as-of", "2024-11-01T12:00"]
    assert main(args) == 0
    duck = capsys.readouterr().out
    monkeypatch.setattr(spark_engine, "session", lambda *a, **k: spark)  # the module's own
    assert main([*args, "--engine", "spark", "--lake", str(lake)]) == 0
    assert capsys.readouterr().out == duck
    assert json.loads(duck)["interpellations"] >= 5
