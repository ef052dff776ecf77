"""What the raw layer holds, for the tests: its listed pages' text, and every file on disk."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from warehouse import raw_files


def raw_bodies(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The body and canonical copy of every page the warehouse lists, one text per page."""
    pages = raw_files.pages_sql(con)
    return [r[0] for r in con.execute(
        f"SELECT body || coalesce(canonical, '') FROM {pages} ORDER BY page_id"  # noqa: S608
    ).fetchall()]


def files_text(db: str | Path) -> str:
    """Every page text of every Parquet file under ``<db>.raw/``, listed or not (what a disk
    holds: an erased person must be gone from here too)."""
    root = raw_files.raw_dir(db)
    out = []
    for path in sorted(root.rglob("*.parquet*")):
        table = pq.read_table(path)
        for column in ("body", "canonical", "origin", "query"):
            out += [v for v in table[column].to_pylist() if v]
    return "\n".join(out)
