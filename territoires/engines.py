"""``--engine duckdb|spark`` of ``territoires metrics`` and ``barometre`` (docs/scale.md).

``duckdb`` (the default) reads the warehouse's snapshot. ``spark`` computes the same
definitions with Apache Spark (warehouse/spark_engine.py) over a lake (warehouse/lake.py):
``--lake DIR`` (or an ``s3a://…`` URL) names one written by ``territoires export``; without
it the snapshot is exported to a temporary lake first. The master is
``$TERRITOIRES_SPARK_MASTER`` (default ``local[2]``).
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from territoires.errors import UsageError
from warehouse.lake import export
from warehouse.read import reader_cursor
from warehouse.territory import load_territories

if TYPE_CHECKING:
    from warehouse.spark_engine import SparkMetrics

ENGINES = ("duckdb", "spark")


def add_engine_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--engine", choices=ENGINES, default="duckdb",
                        help="duckdb (default) or spark: the same figures, computed by Apache "
                             "Spark over the lake (needs `uv sync --extra spark` and Java)")
    parser.add_argument("--lake", metavar="DIR",
                        help="with --engine spark: the lake to read (a folder written by "
                             "`territoires export`, or an s3a:// URL); default: the warehouse's "
                             "snapshot, exported to a temporary folder")


@contextlib.contextmanager
def spark_metrics(db: Path, lake: str | None) -> Iterator[SparkMetrics]:
    """The Spark engine over ``lake`` (or over the snapshot of ``db``, exported for the
    block); a missing pyspark or Java is a :class:`UsageError` saying how to install them."""
    from warehouse import spark_engine  # imports pyspark only when a session starts

    if shutil.which("java") is None:
        raise UsageError(spark_engine.INSTALL_HINT)
    try:
        spark = spark_engine.session()
    except ImportError:
        raise UsageError(spark_engine.INSTALL_HINT) from None
    with tempfile.TemporaryDirectory(prefix="territoires-lake-") as tmp:
        if lake is None:
            cur = reader_cursor(db)
            try:
                lake = str(export(cur, Path(tmp) / "lake", load_territories(cur)).lake)
            finally:
                cur.close()
        yield spark_engine.SparkMetrics(spark, lake)
