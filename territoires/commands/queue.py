"""``territoires queue``: every interpellation of a period, judged at as-of, as JSON or CSV
(DESIGN §4; docs/metrics.md, "Réponse attendue et triage"), read from the snapshot.

A collectivité feeds its ticketing tool from it. Dates are read in the territory's time
zone, ``[--since, --until)``; ``--as-of`` defaults as in ``territoires metrics``. Each
record: ``platform, id, created_at, author_username, addressed_account, text, url, state,
expects_answer, expects_answer_source, triage_decision, service, first_answer_at``, then
``expects_answer_rule`` (the automatic rule that judged the text) and ``suggested_service``
(from the services' keywords). Instants are UTC (``…Z``). Notes and who triaged are never
printed. CSV: a header then one row per record, UTF-8; a cell a spreadsheet would run as a
formula gets a leading quote (territoires/safe_text.py).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from datetime import UTC, datetime
from typing import Any

from territoires.commands import add_config_argument, add_db_argument
from territoires.commands.metrics import parse_date, parse_instant
from territoires.config import PLATFORMS, load_config
from territoires.errors import UsageError
from territoires.safe_text import csv_cell
from warehouse.db import db_path, snapshot_path
from warehouse.metrics import default_as_of, has_territory
from warehouse.queue import KEYS, queue_records
from warehouse.read import reader_cursor

HELP = "print every interpellation of a period with its state and triage (JSON or CSV)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_config_argument(parser)
    add_db_argument(parser)
    parser.add_argument("--since", required=True, metavar="DATE", help="first day, included")
    parser.add_argument("--until", required=True, metavar="DATE", help="last day, excluded")
    parser.add_argument(
        "--as-of",
        metavar="INSTANT",
        help="judge answers and triage at this instant (ISO 8601; default: now, at most 7 days "
        "after --until)",
    )
    parser.add_argument("--platform", choices=PLATFORMS, help="one platform only (default: all)")
    parser.add_argument("--format", choices=("json", "csv"), default="json", help="default: json")


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return csv_cell(value)


def format_csv(records: list[dict[str, Any]]) -> str:
    """A header and one row per record (RFC 4180: CRLF rows, quoted where needed)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(KEYS)
    for r in records:
        w.writerow([_csv_value(r[k]) for k in KEYS])
    return buf.getvalue()


def run(args: argparse.Namespace) -> int:
    territory = load_config(args.config)
    since = parse_date("--since", args.since)
    until = parse_date("--until", args.until)
    if until <= since:
        raise UsageError(f"--until ({until}) must be after --since ({since})")
    if args.as_of:
        as_of = parse_instant("--as-of", args.as_of, territory)
    else:
        as_of = default_as_of(territory, until, datetime.now(UTC))
    db = db_path(args.db)
    if not db.exists() and not snapshot_path(db).exists():
        raise UsageError(f"{db}: no warehouse here (build one with `territoires import` or `demo`)")
    cur = reader_cursor(db)
    try:
        if not has_territory(cur, territory.slug):
            raise UsageError(
                f"{db}: no data for territory {territory.slug!r} (land some with import or collect)"
            )
        records = queue_records(cur, territory, since, until, as_of, platform=args.platform)
    finally:
        cur.close()
    out = sys.stdout
    if (getattr(out, "encoding", None) or "").lower().replace("-", "") != "utf8" and hasattr(
            out, "reconfigure"):
        out.reconfigure(encoding="utf-8")  # a ticketing tool reads UTF-8, whatever the locale
    if args.format == "csv":
        out.write(format_csv(records))
    else:
        out.write(json.dumps(records, indent=2, ensure_ascii=False) + "\n")
    return 0
