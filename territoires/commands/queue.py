"""``territoires queue``: every interpellation of a period, judged at as-of, as JSON or CSV
(docs/design.md §12; docs/metrics.md, "Réponse attendue et triage"), read from the snapshot.

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
from typing import Any

from model import PLATFORMS
from territoires.commands.metrics import add_window_arguments, read_window, territory_cursor
from territoires.safe_text import csv_value
from warehouse.queue import KEYS, queue_records

HELP = "print every interpellation of a period with its state and triage (JSON or CSV)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_window_arguments(parser, judged="answers and triage")
    parser.add_argument("--platform", choices=PLATFORMS, help="one platform only (default: all)")
    parser.add_argument("--format", choices=("json", "csv"), default="json", help="default: json")


def format_csv(records: list[dict[str, Any]]) -> str:
    """A header and one row per record (RFC 4180: CRLF rows, quoted where needed)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(KEYS)
    for r in records:
        w.writerow([csv_value(r[k]) for k in KEYS])
    return buf.getvalue()


def run(args: argparse.Namespace) -> int:
    w = read_window(args)
    with territory_cursor(w) as cur:
        records = queue_records(cur, w.territory, w.since, w.until, w.as_of,
                                platform=args.platform)
    out = sys.stdout
    if (getattr(out, "encoding", None) or "").lower().replace("-", "") != "utf8" and hasattr(
            out, "reconfigure"):
        out.reconfigure(encoding="utf-8")  # a ticketing tool reads UTF-8, whatever the locale
    if args.format == "csv":
        out.write(format_csv(records))
    else:
        out.write(json.dumps(records, indent=2, ensure_ascii=False) + "\n")
    return 0
