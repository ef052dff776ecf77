"""Read-only access to the published snapshot, for the dashboard and reports.

One connection per snapshot *identity* (inode and modification time): when the writer
publishes a new snapshot with ``os.replace``, the next query opens the new file, while
queries in flight finish on the old one (its inode stays readable until closed). Every
query runs on its own ``cursor()``: sharing one cursor across Streamlit's threads gives
``connection is busy`` errors and wrong results (docs/design.md §4).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import duckdb

from warehouse.db import ensure_snapshot, memory_limit, snapshot_path

_lock = threading.Lock()
_open: dict[str, tuple[tuple[int, int], duckdb.DuckDBPyConnection]] = {}


def snapshot_identity(db: str | os.PathLike[str]) -> tuple[int, int]:
    """``(inode, mtime_ns)`` of the published snapshot: a cache key that changes on publish."""
    st = os.stat(snapshot_path(db))
    return (st.st_ino, st.st_mtime_ns)


def _connection(db: str | os.PathLike[str]) -> duckdb.DuckDBPyConnection:
    key = str(Path(db).resolve())
    with _lock:
        snap = snapshot_path(db)
        if not snap.exists():
            ensure_snapshot(db, wait=0)  # never block a reader behind a writer
        ident = snapshot_identity(db)
        cached = _open.get(key)
        if cached and cached[0] == ident:
            return cached[1]
        # Not duckdb.connect(snap): DuckDB caches database instances by path inside a process,
        # so while the old snapshot's connection lives, connecting to the same path returns the
        # OLD file and a long-lived reader never sees a new publish (found by scripts/stress.py).
        # A private in-memory instance that ATTACHes the file opens the current inode.
        con = duckdb.connect()
        con.execute("SET TimeZone = 'UTC'")
        if limit := memory_limit():
            con.execute(f"SET memory_limit = '{limit}'")  # validated by memory_limit()
        con.execute("ATTACH '" + str(snap).replace("'", "''") + "' AS snapshot (READ_ONLY)")
        _open[key] = (ident, con)
        # the previous connection is left to the garbage collector: queries may still use it
        return con


def _cursor(db: str | os.PathLike[str]) -> duckdb.DuckDBPyConnection:
    cur = _connection(db).cursor()
    cur.execute("USE snapshot")  # each cursor starts in the in-memory catalog
    cur.execute("SET TimeZone = 'UTC'")
    return cur


def query_rows(
    db: str | os.PathLike[str], sql: str, params: list[Any] | dict[str, Any] | None = None
) -> list[tuple[Any, ...]]:
    cur = _cursor(db)
    try:
        return cur.execute(sql, params or []).fetchall()
    finally:
        cur.close()


def reader_cursor(db: str | os.PathLike[str]) -> duckdb.DuckDBPyConnection:
    """A fresh cursor on the current snapshot, for query functions that take a connection."""
    return _cursor(db)
