"""The metric definitions' DuckDB SQL, translated for Apache Spark (docs/scale.md).

Each definition is written once, in DuckDB's dialect, in the modules of ``warehouse/``.
:func:`translate` parses that text with sqlglot, rewrites the few constructs whose meaning
sqlglot cannot carry over by itself (the list below), and writes Spark SQL. The rewrites are
the whole list of what needs help; everything else is sqlglot's own translation.

1. **Parameter tables.** ``SELECT unnest($a::T[]) AS x, unnest($b::U[]) AS y`` (the city
   accounts, the periods, the tags, the calendar of opening hours…): DuckDB zips the lists,
   Spark allows one generator per ``SELECT``. Such a ``SELECT`` becomes a temporary view,
   created from the same bound lists (:class:`Translation`.tables).
2. **The city accounts** (``city`` in warehouse/metrics_base.py): its correlated
   ``… ORDER BY … LIMIT 1`` subqueries are not allowed by Spark; :data:`CITY_CTE` says the
   same with joins (the territory's resolved id, else the newest profile of that handle).
3. ``quantile_cont(x, q)`` → ``percentile(x, q)`` (both interpolate linearly).
4. ``arg_max_null`` → ``max_by`` (which keeps a NULL value of the latest row, as needed).
5. ``list_sum(l)`` → ``aggregate(l, 0D, (a, v) -> a + v)``.
6. ``time_bucket(INTERVAL n, t)`` → ``t`` floored to a multiple of n seconds since the epoch.
7. ``to_days(n)`` → ``make_dt_interval(n)``; ``s[a:b]`` on text → ``substring(s, a, b-a+1)``.

The other parameters (``$terr``, ``$as_of``…) stay named parameters (``:terr``), bound by
``spark.sql(text, args=…)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlglot
from sqlglot import exp

# rewrite 2: the city accounts without correlated LIMIT subqueries (same rows as
# metrics_base.CITY_CTE; ``city_ids`` is shared unchanged)
CITY_CTE = """
city AS (
    SELECT c.territory, c.platform, c.handle, c.ord, coalesce(ta.user_id, pa.id) AS id
    FROM (SELECT unnest($c_terr::VARCHAR[]) AS territory,
                 unnest($c_platform::VARCHAR[]) AS platform,
                 unnest($c_handle::VARCHAR[]) AS handle,
                 unnest($c_ord::INTEGER[]) AS ord) c
    LEFT JOIN (SELECT territory, platform, lower(handle) AS h, min(user_id) AS user_id
               FROM territory_accounts
               WHERE user_id IS NOT NULL
               GROUP BY territory, platform, lower(handle)) ta
           ON ta.territory = c.territory AND ta.platform = c.platform
              AND ta.h = lower(c.handle)
    LEFT JOIN (SELECT platform, lower(username) AS u, id,
                      row_number() OVER (PARTITION BY platform, lower(username)
                                         ORDER BY fetched_at DESC, id) AS n
               FROM accounts) pa
           ON pa.platform = c.platform AND pa.u = lower(c.handle) AND pa.n = 1
    WHERE ($platform::VARCHAR IS NULL OR c.platform = $platform::VARCHAR)
      AND ($terr::VARCHAR IS NULL OR c.territory = $terr::VARCHAR)
)"""
_OVERRIDES = {"city": CITY_CTE}

_UNIT_SECONDS = {"SECOND": 1, "MINUTE": 60, "HOUR": 3600, "DAY": 86400}


@dataclass
class ParamTable:
    """A temporary view standing for a ``SELECT unnest($…)``: ``columns`` are
    ``(name, parameter, Spark type)``."""

    view: str
    columns: list[tuple[str, str, str]]


@dataclass
class Translation:
    sql: str
    tables: list[ParamTable] = field(default_factory=list)
    params: list[str] = field(default_factory=list)  # the scalar parameters left, by name

    def args(self, values: dict[str, Any]) -> dict[str, Any]:
        return {name: values[name] for name in self.params}


def _unnest_param(node: exp.Expression) -> tuple[str, exp.DataType] | None:
    """``(parameter, element type)`` if ``node`` is ``unnest($p::T[])`` (maybe aliased)."""
    inner = node.this if isinstance(node, exp.Alias) else node
    if not isinstance(inner, (exp.Explode, exp.Unnest)):
        return None
    arg = inner.this if isinstance(inner, exp.Explode) else inner.expressions[0]
    if not (isinstance(arg, exp.Cast) and isinstance(arg.this, exp.Placeholder)):
        return None
    return str(arg.this.this), arg.to.expressions[0]


def _param_tables(tree: exp.Expression, out: list[ParamTable]) -> exp.Expression:
    def rewrite(node: exp.Expression) -> exp.Expression:
        if not isinstance(node, exp.Select) or node.args.get("from_") or node.args.get("from"):
            return node
        found = [_unnest_param(e) for e in node.expressions]
        if not found or any(f is None for f in found):
            return node
        view = f"_param_{len(out)}"
        cols = []
        for i, (e, f) in enumerate(zip(node.expressions, found, strict=True)):
            assert f is not None
            name = e.alias if isinstance(e, exp.Alias) else f"c{i}"
            cols.append((name, f[0], f[1].sql("spark")))
        out.append(ParamTable(view, cols))
        return _parse(f"SELECT * FROM {view}")  # noqa: S608

    return tree.transform(rewrite)


def _parse(spark_sql: str) -> exp.Expression:
    """A Spark SQL fragment (made of the statement's own, already translated, parts)."""
    tree = sqlglot.parse_one(spark_sql, read="spark")
    assert isinstance(tree, exp.Expression)
    return tree


def _functions(node: exp.Expression) -> exp.Expression:
    """Rewrites 3 to 7 of the module's list."""
    if isinstance(node, exp.PercentileCont):
        return exp.Anonymous(this="percentile", expressions=[node.this, node.expression])
    if isinstance(node, exp.Anonymous):
        name = node.name.lower()
        if name == "arg_max_null":
            return exp.Anonymous(this="max_by", expressions=node.expressions)
        if name == "list_sum":
            arg = node.expressions[0].sql("spark")
            return _parse(f"aggregate({arg}, CAST(0 AS DOUBLE), (acc_, v_) -> acc_ + v_)")
    if isinstance(node, exp.ToDays):
        return exp.Anonymous(this="make_dt_interval", expressions=[node.this])
    if isinstance(node, exp.DateBin):
        interval = node.this
        seconds = int(interval.this.name) * _UNIT_SECONDS[interval.unit.name.upper()]
        t = node.expression.sql("spark")
        return _parse(
            f"CAST(timestamp_seconds(floor(unix_seconds(CAST({t} AS TIMESTAMP_LTZ)) / {seconds})"
            f" * {seconds}) AS TIMESTAMP_NTZ)")
    if isinstance(node, exp.Bracket) and len(node.expressions) == 1 and isinstance(
            node.expressions[0], exp.Slice):
        lo, hi = node.expressions[0].this, node.expressions[0].expression
        start, end = int(lo.name), int(hi.name)
        return exp.Anonymous(this="substring", expressions=[
            node.this, exp.Literal.number(start), exp.Literal.number(end - start + 1)])
    return node


def _overrides(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.CTE) and node.alias in _OVERRIDES:
        return sqlglot.parse_one(f"WITH {_OVERRIDES[node.alias]} SELECT 1",
                                 read="duckdb").args["with_"].expressions[0]
    return node


def translate(sql: str) -> Translation:
    """Spark SQL for the DuckDB statement ``sql`` (one ``SELECT``, maybe with CTEs)."""
    tree = sqlglot.parse_one(sql, read="duckdb")
    tree = tree.transform(_overrides)
    tables: list[ParamTable] = []
    tree = _param_tables(tree, tables)
    tree = tree.transform(_functions)
    params = sorted({str(p.this) for p in tree.find_all(exp.Placeholder)})
    return Translation(tree.sql("spark"), tables, params)
