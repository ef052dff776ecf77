"""Named migrations: from an empty file, and from every previous version."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import pyarrow as pa
import pytest

from warehouse import migrations, raw_files
from warehouse.db import connect
from warehouse.migrations import MIGRATIONS, applied, migrate


def test_from_an_empty_file(db_file):
    con = connect(db_file)
    now = migrate(con)
    assert now == [name for name, _ in MIGRATIONS]
    assert applied(con) == sorted(name for name, _ in MIGRATIONS)
    assert migrate(con) == []  # a second run applies nothing
    tables = {
        r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    }
    assert {"raw_pages", "posts", "accounts", "territory_posts", "schema_migrations"} <= tables


@pytest.mark.parametrize("previous", range(1, len(MIGRATIONS)))
def test_from_a_previous_version_keeps_data(db_file, monkeypatch, previous):
    monkeypatch.setattr(migrations, "MIGRATIONS", MIGRATIONS[:previous])
    con = connect(db_file)
    migrations.migrate(con)
    columns = {r[0] for r in con.execute("DESCRIBE raw_pages").fetchall()}
    if "body" in columns:  # before 0017, the body was a column
        con.execute(
            "INSERT INTO raw_pages (page_id, platform, territory, source, fetched_at, kind, "
            "body, loaded_at) "
            "VALUES ('p1', 'x', 't', 'test', now()::TIMESTAMP, 'other', '{}', now()::TIMESTAMP)"
        )
    else:  # since, the page is in the raw layer's files
        page = pa.table({"page_id": ["p1"], "platform": ["x"], "territory": ["t"],
                         "source": ["test"], "endpoint": [None], "query": [None],
                         "origin": [None], "fetched_at": [datetime(2025, 1, 1)],
                         "kind": ["other"], "body": ["{}"], "canonical": [None]},
                        schema=raw_files.SCHEMA)
        con.register("_new", raw_files.write(con, page))
        con.execute("INSERT INTO raw_pages BY NAME SELECT 'p1' AS page_id, 'x' AS platform, "
                    "'t' AS territory, 'test' AS source, TIMESTAMP '2025-01-01' AS fetched_at, "
                    "'other' AS kind, now()::TIMESTAMP AS loaded_at, 2 AS size, file FROM _new")
    con.close()
    monkeypatch.setattr(migrations, "MIGRATIONS", MIGRATIONS)
    con = connect(db_file)
    now = migrations.migrate(con)
    assert now == [name for name, _ in MIGRATIONS[previous:]]
    assert con.execute("SELECT page_id FROM raw_pages").fetchall() == [("p1",)]
    # the body left the table for the raw layer's files (0017), whole
    assert "body" not in {r[0] for r in con.execute("DESCRIBE raw_pages").fetchall()}
    pages = raw_files.pages_sql(con)
    assert con.execute(f"SELECT page_id, body FROM {pages}").fetchall() == [("p1", "{}")]


def test_a_failing_migration_is_rolled_back(db_file, monkeypatch):
    broken = [
        *MIGRATIONS,
        ("9999_broken", "CREATE TABLE half_done (x INT); SELECT * FROM no_such_table;"),
    ]
    monkeypatch.setattr(migrations, "MIGRATIONS", broken)
    con = connect(db_file)
    with pytest.raises(Exception, match="no_such_table"):
        migrations.migrate(con)
    assert "9999_broken" not in applied(con)
    tables = {
        r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    }
    assert "half_done" not in tables


def test_0019_gives_each_judgement_its_instant_and_keeps_the_figures(tmp_path):
    """A warehouse of 0018's format (judgements without their post's instant, in key
    order): 0019 gives each its interpellation's instant and lays the table in time order,
    and the interpellations read through the metric query keep their judgements."""
    from datetime import date

    from territoires.commands.demo import build_demo
    from warehouse.interpellations import interpellations
    from warehouse.territory import load_territories

    db = tmp_path / "demo.duckdb"
    build_demo(db, 3000, seed=2, anchor=date(2025, 3, 12))
    con = connect(db)
    territory = load_territories(con)[0]

    def judged():
        rows = interpellations(con, territory, date(2024, 12, 1), date(2025, 3, 13),
                               datetime(2025, 3, 12, 23))
        return rows[["platform", "post_id", "expects_auto", "expect_rule", "expects"]]

    before = judged()
    assert len(before) > 100 and (~before["expects_auto"]).sum() > 10  # both verdicts
    assert before["expect_rule"].notna().all()  # every interpellation judged
    con.execute("""
        CREATE TABLE pe_0018 AS SELECT platform, post_id, expects, rule, version
        FROM post_expectations ORDER BY post_id DESC;
        DROP TABLE post_expectations;
        CREATE TABLE post_expectations (
            platform VARCHAR NOT NULL, post_id VARCHAR NOT NULL,
            expects BOOLEAN NOT NULL, rule VARCHAR NOT NULL, version INTEGER NOT NULL,
            PRIMARY KEY (platform, post_id));
        INSERT INTO post_expectations SELECT * FROM pe_0018;
        DROP TABLE pe_0018;
        DELETE FROM schema_migrations WHERE name = '0019_expectation_instants';
    """)
    con.close()

    con = connect(db)
    assert migrate(con) == ["0019_expectation_instants"]
    after = judged()
    assert after.equals(before)
    # each judgement has its interpellation's instant, and the table lies in time order
    assert con.execute("""
        SELECT count(*) FROM post_expectations e JOIN interpellation_facts f
          ON f.platform = e.platform AND f.post_id = e.post_id
        WHERE e.created_at IS DISTINCT FROM f.created_at""").fetchone() == (0,)
    instants = [r[0] for r in con.execute(
        "SELECT created_at FROM post_expectations WHERE created_at IS NOT NULL").fetchall()]
    assert len(instants) >= len(before) and instants == sorted(instants)
    con.close()


def test_0021_folds_every_profile_as_the_loader_does(con):
    """A warehouse of 0020's format (no ``profile_fold``): 0021 folds each profile, and the
    fold equals the one the loader keeps."""
    from tests.scenario import Scenario, make_territory

    s = Scenario(make_territory())
    s.user("ville", location="Villeneuve (49)")
    s.user("dédé", location="ANGERS", description="Né à Villéneuve")
    s.user("nul")  # neither location nor bio
    s.post("dédé", "2024-03-04 10:00", "Bonjour @ville")
    s.land(con)
    loaded = con.execute("SELECT id, profile_fold FROM accounts ORDER BY id").fetchall()
    assert ("né à" not in str(loaded)) and len(loaded) == 3
    con.execute("ALTER TABLE accounts DROP COLUMN profile_fold; "
                "DELETE FROM schema_migrations WHERE name = '0021_profile_fold'")
    assert migrate(con) == ["0021_profile_fold"]
    assert con.execute("SELECT id, profile_fold FROM accounts ORDER BY id").fetchall() == loaded
    assert dict(loaded)[s.uid("dédé")] == "angers\nne a villeneuve"


def test_0022_lists_the_versions_stored_edits_supersede(con):
    """A warehouse of 0021's format: 0022 lists the earlier versions each stored latest
    version names, as the loader would have (an earlier version landed before is gone)."""
    from tests.conftest import fixture_path
    from warehouse.load import load_pages
    from warehouse.pages import prepare_page

    root = fixture_path("x-api-v2", "twarc-csv")
    load_pages(con, [prepare_page(line, territory="t")
                     for line in (root / "edited.jsonl").read_text().splitlines() if line.strip()])
    loaded = con.execute("SELECT * FROM superseded_posts").fetchall()
    assert loaded == [("x", "1576994746135764992")]
    con.execute("DROP TABLE superseded_posts; "
                "DELETE FROM schema_migrations WHERE name = '0022_superseded_posts'")
    assert migrate(con) == ["0022_superseded_posts"]
    assert con.execute("SELECT * FROM superseded_posts").fetchall() == loaded


def test_0023_marks_every_profile_as_the_loader_does(con):
    """A warehouse of 0022's format (no ``profile_marked``): 0023 marks each profile's fold,
    the marks equal the ones the loader keeps, and each account's locality is unchanged."""
    from tests.scenario import Scenario, make_territory
    from warehouse.relays import local_accounts

    s = Scenario(dataclasses.replace(make_territory(),
                                     locality_terms=("Villeneuve", "49", "l'Île")))
    s.user("ville", location="Villeneuve (49)")
    s.user("dédé", location="ANGERS", description="Né à Villéneuve-sur-Loire")
    s.user("ile", location="Ouessant, l'île")
    s.user("loin", location="Paris 1949")
    s.user("nul")  # neither location nor bio
    for user in ("dédé", "ile", "loin", "nul"):
        s.post(user, "2024-03-04 10:00", "Bonjour @ville")
    s.land(con)
    loaded = con.execute("SELECT id, profile_marked FROM accounts ORDER BY id").fetchall()
    local = local_accounts(con, s.territory)
    assert sorted(local["username"]) == ["dédé", "ile"]
    con.execute("ALTER TABLE accounts DROP COLUMN profile_marked; "
                "DELETE FROM schema_migrations WHERE name = '0023_profile_marked'")
    assert migrate(con) == ["0023_profile_marked"]
    assert con.execute("SELECT id, profile_marked FROM accounts ORDER BY id").fetchall() == loaded
    # "villeneuve (49)", a line break, an empty bio: each non-letter between two marks
    assert (dict(loaded)[s.uid("ville")]
            == "\x01villeneuve\x01 \x01\x01(\x0149\x01)\x01\x01\n\x01\x01")
    assert local_accounts(con, s.territory).equals(local)
