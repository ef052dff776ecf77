"""``territoires barometre``: territories compared on the service they give (docs/barometre.md).

``--config FILE…`` names the territories (one TOML each); without it, every territory the
warehouse holds. Dates are read in each territory's own time zone, ``[--since, --until)``.
Every territory is judged at one instant: ``--as-of``, a naive value read in the first
territory's time zone (add ``Z`` or an offset for another one); by default the earliest of
the territories' defaults (now, at most 7 days after ``--until``: see ``territoires
metrics``), so that the figures of a past period are final and the output stable.

``--format json`` (default): ``{"since", "until", "as_of", "territories": [...]}``, sorted
keys, deterministic. ``csv``: one row per territory, the keys as header, text cells that a
spreadsheet would read as a formula neutralised (:func:`territoires.safe_text.csv_cell`).
``table``: a compact table for people.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from model import Territory
from territoires.commands import add_db_argument
from territoires.commands.metrics import parse_date, parse_instant
from territoires.config import load_config
from territoires.engines import add_engine_arguments, spark_metrics
from territoires.errors import UsageError
from territoires.safe_text import csv_value
from warehouse.barometre import ROW_KEYS, barometre_rows, row
from warehouse.db import db_path, snapshot_path
from warehouse.metrics import default_as_of, has_territory, iso_instant
from warehouse.read import reader_cursor
from warehouse.territory import load_territories

HELP = "compare territories: public figures per 10,000 inhabitants, rates with their interval"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config", metavar="FILE", nargs="+",
        help="territory files (TOML), one or more (default: every territory in the warehouse)",
    )  # fmt: skip
    add_db_argument(parser)
    parser.add_argument("--since", required=True, metavar="DATE", help="first day, included")
    parser.add_argument("--until", required=True, metavar="DATE", help="last day, excluded")
    parser.add_argument(
        "--as-of", metavar="INSTANT",
        help="judge answers at this instant, for every territory (ISO 8601; naive: the first "
        "territory's time zone; default: now, at most 7 days after --until)",
    )  # fmt: skip
    parser.add_argument("--format", choices=("json", "csv", "table"), default="json",
                        help="default: json")
    add_engine_arguments(parser)


def compute(
    territories: list[Territory], db: Path, since: date, until: date, as_of: datetime,
    *, engine: str = "duckdb", lake: str | None = None,
) -> dict[str, Any]:
    """The command's JSON document: every territory's row, judged at ``as_of`` (naive UTC);
    ``engine="spark"``: the same, computed by Spark over ``lake`` (territoires/engines.py)."""
    if engine == "spark":
        with spark_metrics(db, lake) as spark:  # one pass over the set, as DuckDB's
            got = spark.headlines_for(territories, [(since, until)], as_of)
            rows = [row(t, got[t.slug][0], since, until) for t in territories]
    else:
        cur = reader_cursor(db)
        try:
            rows = barometre_rows(cur, territories, since, until, as_of)
        finally:
            cur.close()
    return {"since": since.isoformat(), "until": until.isoformat(),
            "as_of": iso_instant(as_of.replace(tzinfo=UTC)), "territories": rows}


def resolve_territories(db: Path, configs: list[str] | None) -> list[Territory]:
    """The territories of ``--config`` (each one stored in the warehouse), else all stored."""
    cur = reader_cursor(db)
    try:
        if not configs:
            territories = load_territories(cur)
            if not territories:
                raise UsageError(f"{db}: no territory stored (land some with import or collect)")
            return territories
        territories = [load_config(c) for c in configs]
        seen: dict[str, str] = {}
        for t in territories:
            if t.slug in seen:
                raise UsageError(
                    f"{t.source}: territory {t.slug!r} already given by {seen[t.slug]}")
            seen[t.slug] = t.source
            if not has_territory(cur, t.slug):
                raise UsageError(f"{db}: no data for territory {t.slug!r} ({t.source}; land "
                                 "some with import or collect)")
        return territories
    finally:
        cur.close()


def format_csv(doc: dict[str, Any]) -> str:
    """One row per territory, :data:`~warehouse.barometre.ROW_KEYS` as header (RFC 4180)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(ROW_KEYS)
    for r in doc["territories"]:
        w.writerow([csv_value(r[k]) for k in ROW_KEYS])
    return buf.getvalue()


# (header, key, how to show it) of the table's columns
_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("territory", "territory", "text"),
    ("strate", "strate", "text"),
    ("population", "population", "int"),
    ("interp.", "interpellations", "int"),
    ("/10k", "interpellations_per_10k", "num"),
    ("answered", "response_rate", "rate"),
    ("95 % interval", "response_rate_ci_low", "ci"),
    ("median", "median_response_minutes", "min"),
    ("relays/10k", "relays_per_10k", "num"),
    ("local/10k", "local_relays_per_10k", "num"),
    ("/FTE/week", "interpellations_per_fte_week", "num"),
)


def _cell(r: dict[str, Any], key: str, kind: str) -> str:
    value = r[key]
    if kind == "ci":
        if value is None:
            return "-"
        return f"{value * 100:.1f}–{r['response_rate_ci_high'] * 100:.1f} %"
    if value is None:
        return "-"
    if kind == "rate":
        return f"{value * 100:.1f} %" + (" *" if r["too_few_to_compare"] else "")
    if kind == "min":
        return f"{value:.1f} min"
    if kind == "num":
        return f"{value:.2f}"
    return str(value)


def format_table(doc: dict[str, Any]) -> str:
    head = [h for h, _, _ in _COLUMNS]
    body = [[_cell(r, k, kind) for _, k, kind in _COLUMNS] for r in doc["territories"]]
    widths = [max(len(x) for x in col) for col in zip(head, *body, strict=True)]

    def line(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) if i < 2 else c.rjust(w)
                         for i, (c, w) in enumerate(zip(cells, widths, strict=True))).rstrip()

    out = [f"{doc['since']} – {doc['until']} (until excluded), as of {doc['as_of']}",
           line(head), *(line(b) for b in body)]
    if any(r["too_few_to_compare"] for r in doc["territories"]):
        out.append("* fewer than 30 interpellations: too few to compare")
    return "\n".join(out) + "\n"


def run(args: argparse.Namespace) -> int:
    since = parse_date("--since", args.since)
    until = parse_date("--until", args.until)
    if until <= since:
        raise UsageError(f"--until ({until}) must be after --since ({since})")
    db = db_path(args.db)
    if not db.exists() and not snapshot_path(db).exists():
        raise UsageError(f"{db}: no warehouse here (build one with `territoires import` or `demo`)")
    territories = resolve_territories(db, args.config)
    if args.as_of:
        as_of = parse_instant("--as-of", args.as_of, territories[0])
    else:
        now = datetime.now(UTC)
        as_of = min(default_as_of(t, until, now) for t in territories)
    doc = compute(territories, db, since, until, as_of, engine=args.engine, lake=args.lake)
    if args.format == "csv":
        print(format_csv(doc), end="")
    elif args.format == "table":
        print(format_table(doc), end="")
    else:
        print(json.dumps(doc, sort_keys=True, indent=2, ensure_ascii=False))
    return 0
