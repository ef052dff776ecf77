"""The lake: the warehouse's base tables as hive-partitioned Parquet, readable by any engine
(docs/scale.md).

``territoires export --lake DIR`` writes, from the published snapshot, one folder per table:

* ``posts/month=YYYY-MM/…`` every post once (a post is a platform's object: it can belong to
  several territories, or to none when it is only a referenced original), with
  ``post_refs``, ``post_hashtags``, ``post_mentions``, ``post_links`` partitioned by the
  month of their post;
* ``territory_posts/territory=T/month=YYYY-MM/…`` the membership (which posts were landed
  for which territory): a territory's month is one folder;
* ``territories/territory=T/``, ``territory_accounts/territory=T/`` the configurations and
  the city accounts; ``triage_decisions/territory=T/`` the decisions (the snapshot's copy and
  the journal's newer ones), without notes nor who decided (personal data the metrics do
  not read); ``accounts/`` the profiles;
* ``manifest.json``: the lake's format version, the warehouse's last migration, when the
  snapshot was taken and the export made, and each table's rows, partitioning and columns.

The facts tables (``interpellation_facts``, ``relay_facts``, …) are **not** exported: they
are caches of the definitions, which an engine reading the lake recomputes from these base
tables (warehouse/spark_engine.py). The month of a post with no date is ``none``.

A re-export replaces the lake whole: it is written beside it (``DIR.tmp-<pid>``), then
renamed over it; a folder that is not a lake (no ``manifest.json``) is never replaced.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from model import Territory
from warehouse import triage

Con = duckdb.DuckDBPyConnection
LAKE_VERSION = 3  # the layout below; bumped when a table, column or partitioning changes
# 2: accounts.profile_fold (migration 0021)
# 3: accounts.profile_marked (migration 0023), the text the locality patterns read
MANIFEST = "manifest.json"

_MONTH = "coalesce(strftime(p.created_at, '%Y-%m'), 'none')"
# table -> (SELECT text, partition columns); constant SQL, no parameter
_TABLES: dict[str, tuple[str, tuple[str, ...]]] = {
    "posts": (f"SELECT p.*, {_MONTH} AS month FROM posts p", ("month",)),  # noqa: S608
    **{
        name: (
            f"SELECT c.*, {_MONTH} AS month FROM {name} c"  # noqa: S608
            " LEFT JOIN posts p ON p.platform = c.platform AND p.id = c.post_id",
            ("month",),
        )
        for name in ("post_refs", "post_hashtags", "post_mentions", "post_links")
    },
    "territory_posts": (
        f"SELECT t.territory, t.platform, t.post_id, {_MONTH} AS month FROM territory_posts t"  # noqa: S608
        " LEFT JOIN posts p ON p.platform = t.platform AND p.id = t.post_id",
        ("territory", "month"),
    ),
    "accounts": ("SELECT * FROM accounts", ()),
    "territories": (
        "SELECT slug AS territory, name, timezone, holidays, config::VARCHAR AS config,"
        " updated_at FROM territories",
        ("territory",),
    ),
    "territory_accounts": ("SELECT * FROM territory_accounts", ("territory",)),
    "triage_decisions": (
        "SELECT seq, territory, platform, post_id, decision, decided_at, service,"
        " post_created_at, recorded_at FROM _lake_triage",
        ("territory",),
    ),
}
TABLES = tuple(_TABLES)
# what identifies a row of each table (the export test compares these key sets)
KEYS = {
    "posts": ("platform", "id"),
    "territory_posts": ("territory", "platform", "post_id"),
    "accounts": ("platform", "id"),
    "territories": ("territory",),
    "territory_accounts": ("territory", "platform", "handle"),
    "triage_decisions": ("seq",),
}


@dataclass(frozen=True)
class ExportReport:
    lake: Path
    rows: dict[str, int]


def _quote(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _triage_rows(con: Con, territories: list[Territory]) -> pa.Table:
    """The snapshot's copy of the triage journal and the journal's decisions since, as the
    metric queries see them (warehouse.triage.overlay_params)."""
    copy = con.sql(
        "SELECT seq, territory, platform, post_id, decision, decided_at, service,"
        " post_created_at, recorded_at FROM triage_decisions ORDER BY seq"
    ).to_arrow_table()
    extra: dict[str, list[Any]] = {name: [] for name in copy.schema.names}
    for t in territories:
        over = triage.overlay_params(con, t)
        for i, seq in enumerate(over["tr_seq"]):
            extra["seq"].append(seq)
            extra["territory"].append(t.slug)
            extra["platform"].append(over["tr_platform"][i])
            extra["post_id"].append(over["tr_post"][i])
            extra["decision"].append(over["tr_decision"][i])
            extra["decided_at"].append(over["tr_at"][i])
            extra["service"].append(over["tr_service"][i])
            extra["post_created_at"].append(over["tr_created"][i])
            extra["recorded_at"].append(over["tr_at"][i])
    if not extra["seq"]:
        return copy
    return pa.concat_tables([copy, pa.table(extra, schema=copy.schema)])


def _write_table(con: Con, name: str, target: Path) -> tuple[int, list[list[str]]]:
    sql, parts = _TABLES[name]
    n = int(con.execute(f"SELECT count(*) FROM ({sql})").fetchall()[0][0])  # noqa: S608
    columns = [[d[0], str(d[1])] for d in con.execute(f"DESCRIBE {sql}").fetchall()]  # noqa: S608
    target.mkdir(parents=True)
    if parts and n:
        con.execute(
            f"COPY ({sql}) TO {_quote(target)} (FORMAT parquet, PARTITION_BY ({', '.join(parts)}),"  # noqa: S608
            " FILENAME_PATTERN 'part_{i}')"
        )
    else:  # no partition (or no row: one empty file that still carries every column)
        con.execute(f"COPY ({sql}) TO {_quote(target / 'part_0.parquet')} (FORMAT parquet)")  # noqa: S608
    return n, columns


def export(con: Con, lake: str | os.PathLike[str], territories: list[Territory],
           snapshot_at: datetime | None = None) -> ExportReport:
    """Write the lake at ``lake`` from ``con`` (a snapshot cursor), replacing it whole."""
    lake = Path(lake)
    if lake.exists() and not (lake / MANIFEST).exists():
        raise FileExistsError(f"{lake} exists and is not a lake (no {MANIFEST}): not replaced")
    tmp = lake.with_name(f"{lake.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    decisions = _triage_rows(con, territories)
    con.execute("SELECT 1").fetchall()  # the overlay's fetchone() left a result open (duckdb 2)
    con.register("_lake_triage", decisions)
    try:
        rows, tables = {}, {}
        for name in TABLES:
            n, columns = _write_table(con, name, tmp / name)
            rows[name] = n
            tables[name] = {"rows": n, "partition_by": list(_TABLES[name][1]),
                            "columns": columns}
    finally:
        con.unregister("_lake_triage")
    migration = con.execute("SELECT max(name) FROM schema_migrations").fetchall()[0][0]
    manifest = {
        "lake_version": LAKE_VERSION,
        "schema_migration": migration,
        "snapshot_at": snapshot_at.isoformat() if snapshot_at else None,
        "exported_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "tables": tables,
    }
    (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    old = lake.with_name(f"{lake.name}.old-{os.getpid()}")
    if lake.exists():
        lake.rename(old)
    tmp.rename(lake)
    shutil.rmtree(old, ignore_errors=True)
    return ExportReport(lake, rows)


def read_manifest(lake: str | os.PathLike[str]) -> dict[str, Any]:
    """The lake's manifest (local folders only)."""
    return json.loads((Path(lake) / MANIFEST).read_text())  # type: ignore[no-any-return]


def parquet_glob(lake: str | os.PathLike[str], table: str) -> str:
    """Every Parquet file of ``table`` in a local lake (for ``read_parquet``)."""
    return str(Path(lake) / table / "**" / "*.parquet")
