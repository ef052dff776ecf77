"""The baromètre (docs/barometre.md): three territories in one warehouse, landed through the
one loading path, one post belonging to two of them; each territory's row equal to its own
``territoires metrics``; per-10k arithmetic; Wilson intervals against known values; strata
boundaries; the "too few to compare" flag; the CSV neutralised; json, csv and table.

* Aville (480 inhabitants, 1 FTE): 30 interpellations, Monday 4 March 2024 from 08:00, one
  a minute; the city answers the first 20 at 10:00; the 30th also mentions Bville.
* Bville (14,532 inhabitants, 0.5 FTE): that shared post, plus two of its own (one
  answered), and a local relay of its own post.
* Cville (Cayenne time, no population, no FTE): one interpellation, unanswered.
"""

from __future__ import annotations

import csv
import io
import json
import math
from datetime import date, datetime
from pathlib import Path

import pytest

from model import ConfigError, parse_config
from model.compare import MIN_INTERPELLATIONS, STRATA, overlaps, per_10k, strate, wilson
from territoires.cli import main
from territoires.commands.barometre import format_csv
from territoires.config import load_config
from tests.scenario import Scenario
from warehouse.barometre import (
    PUBLIC_KEYS,
    ROW_KEYS,
    barometre_rows,
    row,
    rows_and_weeks,
    strate_medians,
    weekly,
)
from warehouse.db import writer
from warehouse.metrics import EXPECTED_KEYS
from warehouse.read import reader_cursor

CONFIGS = {
    "aville": """
[territory]
name = "Aville"
slug = "aville"
timezone = "Europe/Paris"
population = 480
insee = "49001"
cm_fte = 1

[[accounts]]
platform = "x"
handle = "villea"
""",
    "bville": """
[territory]
name = "=Bville"
slug = "bville"
timezone = "Europe/Paris"
population = 14532
cm_fte = 0.5

[[accounts]]
platform = "x"
handle = "villeb"

[locality]
terms = ["Bville"]
""",
    "cville": """
[territory]
name = "Cville"
slug = "cville"
timezone = "America/Cayenne"

[[accounts]]
platform = "x"
handle = "villec"
""",
}
SINCE, UNTIL = "2024-03-04", "2024-03-11"
AS_OF = "2024-03-20T00:00:00Z"
SHARED = "1800000000000000001"


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Path], Path]:
    tmp = tmp_path_factory.mktemp("barometre")
    configs = {}
    for slug, text in CONFIGS.items():
        configs[slug] = tmp / f"{slug}.toml"
        configs[slug].write_text(text, encoding="utf-8")
    ta, tb, tc = (load_config(configs[s]) for s in CONFIGS)
    a, b, c = Scenario(ta), Scenario(tb), Scenario(tc)
    b._next_id, c._next_id = 1_710_000_000_000_000_000, 1_720_000_000_000_000_000  # own ids
    for s in (a, b, c):
        for name in ("villea", "villeb", "villec", "alice", "bob"):
            s.user(name, location="Bville" if name == "bob" else None)
    for i in range(29):
        p = a.post("alice", f"2024-03-04 08:{i:02d}", f"@villea question {i}")
        if i < 20:
            a.reply("villea", p, "2024-03-04 10:00", f"@alice réponse {i}")
    shared_text = "@villea @villeb la route entre nos deux villes est coupée"
    a.post("alice", "2024-03-04 08:30", shared_text, id=SHARED)
    b.post("alice", "2024-03-04 08:30", shared_text, id=SHARED)
    q = b.post("bob", "2024-03-05 09:00", "@villeb une question ?")
    b.reply("villeb", q, "2024-03-05 09:45", "@bob une réponse")
    b.post("bob", "2024-03-06 09:00", "@villeb une autre question ?")
    own = b.post("villeb", "2024-03-06 12:00", "Marché demain")
    b.repost("bob", own, "2024-03-06 13:00")
    c.post("alice", "2024-03-05 09:00", "@villec bonjour ?")
    db = tmp / "w.duckdb"
    with writer(db) as con:
        for s in (a, b, c):
            s.land(con)
    return configs, db


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _barometre(capsys, db: Path, *extra: str) -> tuple[int, str, str]:
    return _run(capsys, "barometre", "--db", str(db), "--since", SINCE, "--until", UNTIL,
                "--as-of", AS_OF, *extra)


def test_each_row_is_its_own_metrics(capsys, warehouse):
    configs, db = warehouse
    code, out, err = _barometre(capsys, db, "--config", *map(str, configs.values()))
    assert code == 0, err
    doc = json.loads(out)
    assert set(doc) == {"since", "until", "as_of", "territories"}
    assert (doc["since"], doc["until"], doc["as_of"]) == (SINCE, UNTIL, "2024-03-20T00:00:00Z")
    rows = doc["territories"]
    assert [r["territory"] for r in rows] == ["aville", "bville", "cville"]
    for r, (slug, config) in zip(rows, configs.items(), strict=True):
        assert list(r) == sorted(ROW_KEYS)  # json.dumps(sort_keys=True)
        code, m_out, err = _run(capsys, "metrics", "--config", str(config), "--db", str(db),
                                "--since", SINCE, "--until", UNTIL, "--as-of", AS_OF)
        assert code == 0, err
        own = json.loads(m_out)
        for key in PUBLIC_KEYS:
            assert r[key] == own[key], (slug, key)
        assert not set(EXPECTED_KEYS) & set(r)  # triage stays inside each collectivité
    a, b, c = rows
    assert (a["interpellations"], a["answered"], a["pending"], a["missed"]) == (30, 20, 0, 10)
    assert (b["interpellations"], b["answered"]) == (3, 1)
    assert (c["interpellations"], c["answered"]) == (1, 0)
    assert b["relays"] == b["local_relays"] == 1
    # without --config: every territory the warehouse holds, the same rows
    code, out_all, _ = _barometre(capsys, db)
    assert code == 0 and json.loads(out_all) == doc
    assert _barometre(capsys, db)[1] == out_all  # deterministic bytes


def test_per_10k_wilson_strata_and_fte(capsys, warehouse):
    _, db = warehouse
    rows = {r["territory"]: r for r in json.loads(_barometre(capsys, db)[1])["territories"]}
    a, b, c = rows["aville"], rows["bville"], rows["cville"]
    assert (a["population"], a["strate"], a["insee"], a["cm_fte"]) == (480, "0-499", "49001", 1.0)
    assert (b["strate"], c["strate"], c["population"], c["insee"]) == ("10000-19999", None, None,
                                                                        None)
    assert a["interpellations_per_10k"] == round(30 * 10000 / 480, 2) == 625.0
    assert b["interpellations_per_10k"] == round(3 * 10000 / 14532, 2) == 2.06
    assert b["relays_per_10k"] == b["local_relays_per_10k"] == round(10000 / 14532, 2) == 0.69
    assert b["posts_per_10k"] == round(b["posts_total"] * 10000 / 14532, 2)
    assert b["local_tweetos_per_10k"] == round(b["local_tweetos"] * 10000 / 14532, 2)
    assert all(c[k] is None for k in ROW_KEYS if k.endswith("_per_10k"))
    # 20 of 30 answered: Wilson (0.4878, 0.8077)
    assert a["response_rate"] == 0.6667
    assert (a["response_rate_ci_low"], a["response_rate_ci_high"]) == (0.4878, 0.8077)
    assert a["too_few_to_compare"] is False and b["too_few_to_compare"] is True
    # one week, 1 FTE: 30 per FTE per week; Bville: 3 / 0.5 / 1 week = 6
    assert a["interpellations_per_fte_week"] == 30.0
    assert b["interpellations_per_fte_week"] == 6.0
    assert c["interpellations_per_fte_week"] is None and c["cm_fte"] is None
    assert (c["response_rate_ci_low"], c["response_rate_ci_high"]) == (0.0, 0.7935)


def _independent_wilson(s: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """The interval's bounds as the roots of n (p - x)^2 = z^2 x (1 - x) (Wilson 1927)."""
    p = s / n
    qa, qb, qc = n + z * z, -(2 * n * p + z * z), n * p * p
    d = math.sqrt(qb * qb - 4 * qa * qc)
    return (-qb - d) / (2 * qa), (-qb + d) / (2 * qa)


@pytest.mark.parametrize(
    ("s", "n", "low", "high"),
    [(0, 10, 0.0, 0.2775), (5, 10, 0.2366, 0.7634), (81, 100, 0.7222, 0.8749),
     (10, 10, 0.7225, 1.0), (1, 1, 0.2065, 1.0), (20, 30, 0.4878, 0.8077)],
)
def test_wilson_known_values(s, n, low, high):
    got = wilson(s, n)
    assert got is not None
    assert (round(got[0], 4), round(got[1], 4)) == (low, high)
    ref = _independent_wilson(s, n)
    assert got == pytest.approx(ref, abs=1e-12)


def test_wilson_edges_and_overlaps():
    assert wilson(0, 0) is None
    with pytest.raises(ValueError):
        wilson(11, 10)
    narrow, wide = wilson(810, 1000), wilson(8, 10)
    assert narrow and wide and narrow[1] - narrow[0] < wide[1] - wide[0]
    assert overlaps((0.1, 0.3), (0.3, 0.5)) and not overlaps((0.1, 0.29), (0.3, 0.5))
    assert overlaps(None, (0.1, 0.2)) and overlaps((0.1, 0.2), None)


def test_strata_boundaries():
    assert [s[0] for s in STRATA][0] == "0-499" and STRATA[-1] == ("100000+", 100000, None)
    for (_, _, high), (_, low, _) in zip(STRATA, STRATA[1:], strict=False):
        assert high is not None and low == high + 1  # contiguous, no gap, no overlap
    cases = {0: "0-499", 1: "0-499", 499: "0-499", 500: "500-1999", 1999: "500-1999",
             2000: "2000-3499", 3499: "2000-3499", 3500: "3500-4999", 4999: "3500-4999",
             5000: "5000-9999", 9999: "5000-9999", 10000: "10000-19999", 19999: "10000-19999",
             20000: "20000-49999", 49999: "20000-49999", 50000: "50000-99999",
             99999: "50000-99999", 100000: "100000+", 2_133_111: "100000+", None: None}
    for population, code in cases.items():
        assert strate(population) == code, population
    assert per_10k(3, 14532) == pytest.approx(2.0644, abs=1e-4)
    assert per_10k(None, 100) is None and per_10k(3, None) is None


def _headline(n: int, answered: int, **extra: int) -> dict:
    h = {k: 0 for k in PUBLIC_KEYS}
    h.update(territory="x", since="2024-03-04", until="2024-03-18", as_of="2024-04-01T00:00:00Z",
             interpellations=n, answered=answered, response_rate=answered / n if n else None,
             median_response_minutes=None, p90_response_minutes=None,
             median_service_response_minutes=None, **extra)
    return h


def test_too_few_at_29_compared_at_30_and_per_fte_week():
    t = parse_config({"territory": {"name": "X", "slug": "x", "timezone": "Europe/Paris",
                                    "population": 500, "cm_fte": 0.5},
                      "accounts": [{"platform": "x", "handle": "x"}]})
    two_weeks = (date(2024, 3, 4), date(2024, 3, 18))
    assert MIN_INTERPELLATIONS == 30
    r29 = row(t, _headline(29, 10), *two_weeks)
    r30 = row(t, _headline(30, 10), *two_weeks)
    assert r29["too_few_to_compare"] is True and r30["too_few_to_compare"] is False
    assert r30["interpellations_per_fte_week"] == 30.0  # 30 / 0.5 FTE / 2 weeks
    assert r30["interpellations_per_10k"] == 600.0 and r30["strate"] == "500-1999"
    r0 = row(t, _headline(0, 0), *two_weeks)
    assert r0["response_rate_ci_low"] is None and r0["too_few_to_compare"] is True


def test_strate_medians():
    rows = [{"strate": "0-499", "a": 1.0}, {"strate": "0-499", "a": 3.0},
            {"strate": "0-499", "a": None}, {"strate": "100000+", "a": None},
            {"strate": None, "a": 100.0}, {"strate": "500-1999", "a": 4, "b": 2}]
    got = strate_medians(rows, ["a"])
    assert got == {"0-499": {"a": 2.0}, "100000+": {"a": None}, "500-1999": {"a": 4.0}}


def test_weekly(warehouse):
    configs, db = warehouse
    territories = [load_config(p) for p in configs.values()]
    cur = reader_cursor(db)
    try:
        weeks = weekly(cur, territories, date(2024, 3, 1), date(2024, 3, 12),
                       datetime(2024, 3, 20))
        rows = barometre_rows(cur, territories, date(2024, 3, 1), date(2024, 3, 12),
                              datetime(2024, 3, 20))
        both = rows_and_weeks(cur, territories, date(2024, 3, 1), date(2024, 3, 12),
                              datetime(2024, 3, 20))
    finally:
        cur.close()
    assert both == (rows, weeks)  # one statement per territory, the same figures
    # Friday 1 March to Tuesday 12 March: weeks of 26 Feb (cut), 4 March (whole), 11 March (cut)
    mondays = [date(2024, 2, 26), date(2024, 3, 4), date(2024, 3, 11)]
    assert [(w["territory"], w["week"]) for w in weeks] == [
        (t.slug, m) for t in territories for m in mondays]
    assert [w["complete"] for w in weeks] == [False, True, False] * 3
    for r in rows:  # the weeks add up to the period
        mine = [w for w in weeks if w["territory"] == r["territory"]]
        for key in ("interpellations", "answered", "relays", "local_relays", "posts_total"):
            assert sum(w[key] for w in mine) == r[key], key
    week = weeks[1]
    assert (week["interpellations"], week["answered"], week["response_rate"]) == (30, 20, 0.6667)
    cur = reader_cursor(db)
    try:  # a week not over at as_of is not complete
        early = weekly(cur, territories[:1], date(2024, 3, 4), date(2024, 3, 11),
                       datetime(2024, 3, 8))
    finally:
        cur.close()
    assert [w["complete"] for w in early] == [False]


def test_csv_is_neutralised_and_table_reads(capsys, warehouse):
    _, db = warehouse
    code, out, err = _barometre(capsys, db, "--format", "csv")
    assert code == 0, err
    table = list(csv.reader(io.StringIO(out)))
    assert table[0] == list(ROW_KEYS) and len(table) == 4
    names = [r[ROW_KEYS.index("name")] for r in table[1:]]
    assert names == ["Aville", "'=Bville", "Cville"]  # a formula in a name stays text
    flags = [r[ROW_KEYS.index("too_few_to_compare")] for r in table[1:]]
    assert flags == ["false", "true", "true"]  # as the JSON writes them
    assert table[3][ROW_KEYS.index("population")] == ""  # null: an empty cell
    doc = {"territories": [{**{k: None for k in ROW_KEYS}, "name": n, "territory": "t"}
                           for n in ("+1", "-1", "@SUM(A1)", "plain")]}
    cells = [r[ROW_KEYS.index("name")] for r in csv.reader(io.StringIO(format_csv(doc)))]
    assert cells[1:] == ["'+1", "'-1", "'@SUM(A1)", "plain"]
    code, out, err = _barometre(capsys, db, "--format", "table")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("2024-03-04 – 2024-03-11") and "aville" in lines[2]
    assert "66.7 %" in lines[2] and "48.8–80.8 %" in lines[2] and "625.00" in lines[2]
    assert "33.3 % *" in lines[3] and lines[-1].startswith("* fewer than 30")
    assert lines[4].split()[:3] == ["cville", "-", "-"]


@pytest.mark.parametrize(
    ("text", "message"),
    [("population = 0", "territory.population: expected a whole number of inhabitants"),
     ("population = 12.5", "territory.population: expected a whole number"),
     ('population = "12000"', "territory.population: expected a whole number"),
     ('insee = "4932"', "territory.insee: expected a commune code of 5 characters"),
     ('insee = "2C004"', "territory.insee: expected a commune code of 5 characters"),
     ("insee = 49328", "territory.insee: expected a commune code"),
     ("cm_fte = 0", "territory.cm_fte: expected a number of full-time equivalents"),
     ("cm_fte = -1.5", "territory.cm_fte: expected a number"),
     ("cm_fte = nan", "territory.cm_fte: expected a number"),
     ("cm_fte = true", "territory.cm_fte: expected a number")],
)
def test_config_errors_are_one_line(tmp_path, capsys, warehouse, text, message):
    path = tmp_path / "bad.toml"
    bare = "".join(line for line in CONFIGS["aville"].splitlines(keepends=True)
                   if not line.startswith(("population", "insee", "cm_fte")))
    path.write_text(bare.replace('timezone = "Europe/Paris"\n',
                                 f'timezone = "Europe/Paris"\n{text}\n'), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value).startswith(f"{path} (line ") and message in str(info.value)
    assert "\n" not in str(info.value)
    code, out, err = _barometre(capsys, warehouse[1], "--config", str(path))
    assert code == 2 and not out and err.count("\n") == 1 and message in err


def test_valid_insee_codes_and_defaults():
    base = {"territory": {"name": "X", "slug": "x", "timezone": "Europe/Paris"},
            "accounts": [{"platform": "x", "handle": "x"}]}
    t = parse_config(base)
    assert (t.population, t.insee, t.cm_fte) == (None, None, None)
    for code, stored in [("49328", "49328"), ("2A004", "2A004"), ("2b033", "2B033"),
                         ("97411", "97411")]:
        data = {**base, "territory": {**base["territory"], "insee": code}}
        assert parse_config(data).insee == stored
    data = {**base, "territory": {**base["territory"], "cm_fte": 2}}
    assert parse_config(data).cm_fte == 2.0 and isinstance(parse_config(data).cm_fte, float)


def test_usage_errors_are_one_line(capsys, warehouse, tmp_path):
    configs, db = warehouse
    absent = tmp_path / "dville.toml"
    absent.write_text(CONFIGS["cville"].replace("cville", "dville"), encoding="utf-8")
    code, out, err = _barometre(capsys, db, "--config", str(configs["aville"]), str(absent))
    assert code == 2 and "no data for territory 'dville'" in err and str(absent) in err
    code, _, err = _barometre(capsys, db, "--config", str(configs["aville"]),
                              str(configs["aville"]))
    assert code == 2 and "already given" in err
    code, _, err = _barometre(capsys, tmp_path / "none.duckdb")
    assert code == 2 and "no warehouse here" in err
    code, _, err = _run(capsys, "barometre", "--db", str(db), "--since", "2024-03-04",
                        "--until", "2024-03-04")
    assert code == 2 and "must be after" in err
    for e in (err,):
        assert e.count("\n") == 1


def test_default_as_of_is_the_earliest_and_naive_as_of_first_zone(capsys, warehouse):
    configs, db = warehouse
    code, out, _ = _run(capsys, "barometre", "--db", str(db), "--since", SINCE, "--until", UNTIL)
    # a week after --until, read in Paris (the earliest of the three defaults; Cayenne's is later)
    assert code == 0 and json.loads(out)["as_of"] == "2024-03-17T23:00:00Z"
    code, out, _ = _run(capsys, "barometre", "--db", str(db), "--since", SINCE, "--until", UNTIL,
                        "--config", str(configs["cville"]), str(configs["aville"]),
                        "--as-of", "2024-03-20T00:00")
    assert code == 0 and json.loads(out)["as_of"] == "2024-03-20T03:00:00Z"  # Cayenne, UTC-3


def test_territories_two_at_a_time_give_the_same_figures(warehouse, monkeypatch):
    """On a read-only snapshot the territories' statements run side by side, one cursor each
    (same catalog and time zone): the same rows and weeks, in the given order, as one at a
    time; a writable connection (uncommitted rows another cursor would not see) is used
    alone."""
    import duckdb

    from warehouse import barometre

    configs, db = warehouse
    territories = [load_config(p) for p in configs.values()][::-1]
    args = (date(2024, 3, 1), date(2024, 3, 12), datetime(2024, 3, 20))
    monkeypatch.setattr(barometre.os, "cpu_count", lambda: 4)
    cur = reader_cursor(db)
    try:
        side_by_side = rows_and_weeks(cur, territories, *args)
        monkeypatch.setattr(barometre, "MAX_WORKERS", 1)
        alone = rows_and_weeks(cur, territories, *args)
    finally:
        cur.close()
    assert side_by_side == alone
    assert [r["territory"] for r in alone[0]] == [t.slug for t in territories]
    monkeypatch.setattr(barometre, "MAX_WORKERS", 4)
    con = duckdb.connect()
    seen = barometre._each(con, [1, 2, 3], lambda c, x: (c is con, x))
    assert seen == [(True, 1), (True, 2), (True, 3)]


def test_headlines_for_is_each_territorys_headlines(warehouse):
    """The statement over a set of territories (the baromètre's) gives each territory its own
    headlines, every key (the expected-answer family too), per platform as well; the shared
    post counts for both its territories; a territory listed twice is computed once."""
    from warehouse.metrics import headlines, headlines_for

    configs, db = warehouse
    territories = [load_config(p) for p in configs.values()]
    periods = [(date(2024, 3, 1), date(2024, 3, 12)), (date(2024, 3, 4), date(2024, 3, 5)),
               (date(2024, 3, 4), date(2024, 3, 11))]
    cur = reader_cursor(db)
    try:
        for platform in (None, "x", "bluesky"):
            got = headlines_for(cur, [*territories, territories[0]], periods,
                                datetime(2024, 3, 20), platform=platform)
            assert list(got) == [t.slug for t in territories]
            for t in territories:
                assert got[t.slug] == headlines(cur, t, periods, datetime(2024, 3, 20),
                                                platform=platform), (t.slug, platform)
        assert headlines_for(cur, territories, [], datetime(2024, 3, 20)) == {
            t.slug: [] for t in territories}
    finally:
        cur.close()
