"""``territoires metrics``: the headline metrics of a period, read from the snapshot (README;
docs/metrics.md, "The `territoires metrics` command").

Dates are read in the territory's time zone, ``[--since, --until)``. ``--as-of`` is the
instant at which answers are judged (an answer counts if posted at or before it; an
unanswered interpellation is pending if younger than 7 days then, else missed). It
defaults to now, but never later than 7 days after ``--until``: a period's figures are
final a week after its end, and from then on the same command prints the same output.
A naive ``--as-of`` (``2024-03-11T09:00`` or ``2024-03-11``) is read in the territory's
time zone; add ``Z`` or an offset for another one.

The output is deterministic: same warehouse snapshot, same arguments, same bytes
(sorted keys, minutes rounded to 2 decimals, the rate to 4).
"""

from __future__ import annotations

import argparse
import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb

from model import Territory
from territoires.commands import add_config_argument, add_db_argument
from territoires.config import load_config
from territoires.engines import add_engine_arguments, spark_metrics
from territoires.errors import UsageError
from warehouse.db import db_path, snapshot_path
from warehouse.metrics import HEADLINE_KEYS, default_as_of, has_territory, headline
from warehouse.read import reader_cursor

HELP = "print the headline metrics of a period (interpellations, response times, relays…)"

LABELS = {
    "territory": "territory",
    "since": "since (included)",
    "until": "until (excluded)",
    "as_of": "as of (UTC)",
    "interpellations": "interpellations",
    "answered": "answered",
    "response_rate": "response rate",
    "pending": "pending (< 7 days)",
    "missed": "missed (>= 7 days)",
    "median_response_minutes": "median response time",
    "p90_response_minutes": "90th percentile response time",
    "median_service_response_minutes": "median response time, service hours",
    "relays": "relays",
    "local_relays": "local relays",
    "local_tweetos": "local tweetos",
    "potential_reach": "potential reach",
    "hashtag_posts": "posts with a tracked hashtag",
    "posts_total": "posts",
    "expecting_answer": "expecting an answer (after triage)",
    "answered_expecting": "answered, of those expecting one",
    "response_rate_expecting": "response rate, of those expecting one",
    "pending_expecting": "pending, of those expecting one",
    "missed_expecting": "missed, of those expecting one",
}


def add_window_arguments(parser: argparse.ArgumentParser, judged: str = "answers") -> None:
    """``--config --db --since --until --as-of``: what :func:`read_window` reads."""
    add_config_argument(parser)
    add_db_argument(parser)
    parser.add_argument("--since", required=True, metavar="DATE", help="first day, included")
    parser.add_argument("--until", required=True, metavar="DATE", help="last day, excluded")
    parser.add_argument(
        "--as-of",
        metavar="INSTANT",
        help=f"judge {judged} at this instant (ISO 8601; default: now, at most 7 days after "
        "--until)",
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_window_arguments(parser)
    parser.add_argument("--format", choices=("json", "table"), default="json", help="default: json")
    add_engine_arguments(parser)


def parse_date(option: str, value: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise UsageError(f"{option}: expected a date like 2024-03-04, got {value!r}") from None


def parse_instant(option: str, value: str, territory: Territory) -> datetime:
    """An ISO 8601 instant (naive = the territory's local time) as naive UTC."""
    text = value.strip()
    try:
        instant = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(
            f"{option}: expected an instant like 2024-03-11T09:00+01:00 or a date, got {value!r}"
        ) from None
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=ZoneInfo(territory.timezone))
    return instant.astimezone(UTC).replace(tzinfo=None)


def format_table(h: dict[str, Any]) -> str:
    def show(key: str, value: Any) -> str:
        if value is None:
            return "-"
        if key.startswith("response_rate"):
            return f"{value * 100:.1f} %"
        if key.endswith("_minutes"):
            return f"{value:.1f} min"
        return str(value)

    width = max(len(label) for label in LABELS.values())
    return "\n".join(f"{LABELS[k]:<{width}}  {show(k, h[k])}" for k in HEADLINE_KEYS) + "\n"


@dataclass(frozen=True)
class Window:
    """What ``--config --db --since --until --as-of`` name, checked."""

    territory: Territory
    db: Path
    since: date
    until: date
    as_of: datetime


def read_window(args: argparse.Namespace) -> Window:
    """The territory, warehouse and window of a command reading a period (``metrics``,
    ``queue``): dates checked, as-of defaulted (:func:`warehouse.metrics.default_as_of`)."""
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
    lake = getattr(args, "lake", None)  # --engine spark --lake: the lake, no warehouse needed
    if not lake and not db.exists() and not snapshot_path(db).exists():
        raise UsageError(f"{db}: no warehouse here (build one with `territoires import` or `demo`)")
    return Window(territory, db, since, until, as_of)


@contextlib.contextmanager
def territory_cursor(w: Window) -> Iterator[duckdb.DuckDBPyConnection]:
    """A cursor on the snapshot, once the warehouse is known to hold the territory."""
    cur = reader_cursor(w.db)
    try:
        if not has_territory(cur, w.territory.slug):
            raise UsageError(
                f"{w.db}: no data for territory {w.territory.slug!r} (land some with import or "
                "collect)"
            )
        yield cur
    finally:
        cur.close()


def run(args: argparse.Namespace) -> int:
    w = read_window(args)
    if args.engine == "spark":
        with spark_metrics(w.db, args.lake) as engine:
            if not engine.has_territory(w.territory.slug):
                raise UsageError(f"{args.lake or w.db}: no data for territory "
                                 f"{w.territory.slug!r}")
            h = engine.headline(w.territory, w.since, w.until, w.as_of)
    else:
        with territory_cursor(w) as cur:
            h = headline(cur, w.territory, w.since, w.until, w.as_of)
    if args.format == "table":
        print(format_table(h), end="")
    else:
        print(json.dumps(h, sort_keys=True, indent=2, ensure_ascii=False))
    return 0
