"""Deleting a batch's keys from tables that hold every post of the warehouse.

DuckDB skips the row groups whose minimum and maximum exclude a constant range, not those
a join's keys would exclude: ``DELETE … WHERE (platform, post_id) IN (SELECT …)`` reads the
whole table, at every batch, so loading slowed down as the warehouse grew. The keys'
smallest and largest id bound the key column as well; the rows lie in time order and a
post's id grows with its time (X, Mastodon), so the range reads a few row groups. A range
can only keep more rows than the keys match, so a wide one costs time, never a row
(docs/design.md §8, "A delete within the range of its ids").
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import duckdb


def delete_keys(
    con: duckdb.DuckDBPyConnection,
    targets: Iterable[tuple[str, str]],
    keys: str,
    *,
    also: str = "",
    params: dict[str, Any] | None = None,
) -> None:
    """Delete from each ``(table, key column)`` of ``targets`` the rows whose ``(platform,
    key)`` is a row of ``keys`` (a temp table, or a parenthesised select, with the columns
    ``platform`` and ``id``). ``also``: a condition the rows must meet besides, ANDed (bound
    by ``params``). Nothing is run when ``keys`` is empty."""
    lo, hi = con.execute(f"SELECT min(id), max(id) FROM {keys} AS k").fetchall()[0]  # noqa: S608
    if lo is None:
        return
    for table, key in targets:
        con.execute(
            f"DELETE FROM {table} WHERE {also + ' AND ' if also else ''}"  # noqa: S608
            f"{key} BETWEEN $lo AND $hi "
            f"AND (platform, {key}) IN (SELECT (platform, id) FROM {keys} AS k)",
            {**(params or {}), "lo": lo, "hi": hi},
        )
