"""Migration 0017: the raw pages' bodies move out of DuckDB into the raw layer's files
(:mod:`warehouse.raw_files`, docs/design.md §2). Python, not SQL: the files are written by
pyarrow, one territory and day at a time, inside the migration's transaction (a failure
leaves the bodies in the table and the files to garbage collection)."""

from __future__ import annotations

import duckdb

from warehouse import raw_files

NAME = "0017_raw_files"

MANIFEST = """
CREATE TABLE raw_files (
    file       VARCHAR PRIMARY KEY,  -- territory=<slug>/day=<UTC day>/<content id>.parquet
    territory  VARCHAR NOT NULL,
    day        DATE NOT NULL,        -- the UTC day its pages were fetched
    pages      INTEGER NOT NULL,
    bytes      BIGINT NOT NULL,
    written_at TIMESTAMP NOT NULL
);
ALTER TABLE raw_pages ADD COLUMN file VARCHAR;  -- the file of raw_files holding the page
ALTER TABLE raw_pages ADD COLUMN size BIGINT;   -- its text's length (body and canonical)
UPDATE raw_pages SET size = length(body) + coalesce(length(canonical), 0);
"""


def move_bodies_out(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(MANIFEST)
    columns = ", ".join(raw_files.SCHEMA.names)
    parts = con.execute(
        "SELECT DISTINCT territory, fetched_at::DATE FROM raw_pages ORDER BY ALL"
    ).fetchall()
    for territory, day in parts:
        table = con.sql(
            f"SELECT {columns} FROM raw_pages WHERE territory = $t AND fetched_at::DATE = $d "  # noqa: S608
            "ORDER BY fetched_at, page_id",
            params={"t": territory, "d": day},
        ).to_arrow_table()
        con.register("_moved", raw_files.write(con, table))
        try:
            con.execute(
                "UPDATE raw_pages SET file = m.file FROM _moved m "
                "WHERE raw_pages.page_id = m.page_id"
            )
        finally:
            con.unregister("_moved")
    con.execute("ALTER TABLE raw_pages DROP COLUMN body")
    con.execute("ALTER TABLE raw_pages DROP COLUMN canonical")
