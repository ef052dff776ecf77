"""Named migrations: from an empty file, and from every previous version."""

from __future__ import annotations

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
