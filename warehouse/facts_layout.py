"""The order of the fact tables' rows: each closed week territory by territory.

The loader appends facts batch by batch (:mod:`warehouse.facts`), and a batch holds the
posts of every territory it collected, so in an observatory each row group of
``territory_timeline`` and the other facts mixes all the territories of its days. DuckDB
skips a row group whose minimum and maximum cannot match a filter: by time, then, but never
by territory, and one territory's 4-week window reads every territory's rows of those weeks.
Once a week is closed, its rows are rewritten ordered by territory, then time: a row group
then holds one or two territories of one week, and a page reads its own territory's
(docs/design.md §5; docs/benchmark.md, "2026-12-07, one window per page").

Only the order changes, never a row: the rewrite copies a week's rows, deletes them and
inserts the copy, in the publish's transaction. Each week is looked at once, when its end is
:data:`SETTLE` behind the newest post (a later post of that week lands at the end, as any
batch), and rewritten only if its rows are interleaved: a bulk import or a whole recompute
already writes them territory by territory (:func:`warehouse.facts.ensure_current`).
``facts_weeks`` records the weeks looked at (Monday of the UTC week).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import duckdb

Con = duckdb.DuckDBPyConnection

# each fact table ordered by its rows' instant (the column its pages' windows filter on);
# author_facts is read by key, not by window
TABLES = {
    "territory_timeline": "created_at",
    "interpellation_facts": "created_at",
    "relay_facts": "created_at",
    "hashtag_facts": "created_at",
    "mention_facts": "created_at",
    "conversation_facts": "last_post_at",
}
SETTLE = timedelta(days=2)
WEEK = timedelta(days=7)
# a week whose timeline changes territory more often than this many times per territory,
# in its rows' stored order, is interleaved (a territory written at once changes once)
RUNS_PER_TERRITORY = 4

_WEEKS_SQL = """
SELECT DISTINCT date_trunc('week', created_at)::DATE AS week FROM territory_timeline
WHERE created_at < $before
EXCEPT SELECT week FROM facts_weeks
ORDER BY week
"""
# territory changes between consecutive rows of the week, in stored order, and territories
_RUNS_SQL = """
SELECT count(*) FILTER (WHERE territory IS DISTINCT FROM prev), count(DISTINCT territory)
FROM (SELECT territory, lag(territory) OVER (ORDER BY rowid) AS prev
      FROM territory_timeline WHERE created_at >= $w0 AND created_at < $w1)
"""


def _interleaved(con: Con, w0: datetime, w1: datetime) -> bool:
    runs, territories = con.execute(_RUNS_SQL, {"w0": w0, "w1": w1}).fetchall()[0]
    return bool(runs > RUNS_PER_TERRITORY * territories)


def _rewrite(con: Con, table: str, column: str, w0: datetime, w1: datetime) -> None:
    """The rows of ``table`` whose ``column`` falls in ``[w0, w1)``, ordered by territory
    then ``column`` (constant names of :data:`TABLES`)."""
    assert TABLES.get(table) == column, (table, column)
    where = f"{column} >= $w0 AND {column} < $w1"
    bounds = {"w0": w0, "w1": w1}
    con.execute(f"CREATE TEMP TABLE _layout AS SELECT * FROM {table} WHERE {where} "  # noqa: S608
                f"ORDER BY territory, {column}", bounds)
    con.execute(f"DELETE FROM {table} WHERE {where}", bounds)  # noqa: S608
    con.execute(f"INSERT INTO {table} SELECT * FROM _layout")  # noqa: S608
    con.execute("DROP TABLE _layout")


def order_closed_weeks(con: Con) -> list[date]:
    """Look at every closed week not looked at yet; rewrite the interleaved ones territory
    by territory. Returns the weeks rewritten. Call it in the writer's transaction."""
    newest = con.execute("SELECT max(created_at) FROM territory_timeline").fetchall()[0][0]
    if newest is None:
        return []
    weeks = [w for (w,) in con.execute(_WEEKS_SQL, {"before": newest - SETTLE - WEEK})
             .fetchall()]
    done = []
    for week in weeks:
        w0 = datetime.combine(week, datetime.min.time())
        w1 = w0 + WEEK
        if w1 + SETTLE > newest:
            continue  # still open (the query's bound is the week's start)
        if _interleaved(con, w0, w1):
            for table, column in TABLES.items():
                _rewrite(con, table, column, w0, w1)
            done.append(week)
        con.execute("INSERT INTO facts_weeks VALUES ($week, now()::TIMESTAMP)", {"week": week})
    return done
