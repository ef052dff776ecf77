"""``territoires triage``: record one triage decision about one interpellation (README;
docs/metrics.md, "Réponse attendue et triage").

The decision goes to the triage journal beside the warehouse (``<db>.triage``,
warehouse/triage_journal.py): it never waits for the warehouse's writer lock, so it can
be recorded while a collection runs, and readers see it at once. The post is checked on
the published snapshot: it must be an interpellation of the territory (``--platform``
says which when the same id exists on two platforms). ``--at`` (default: now) is when
the decision takes effect; a naive instant is the territory's local time. A decision
counts for the figures judged at or after it, never before.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from model import PLATFORMS, Territory
from territoires.commands import add_config_argument, add_db_argument
from territoires.commands.metrics import parse_instant
from territoires.config import load_config
from territoires.errors import UsageError
from territoires.safe_text import display_name
from warehouse import triage_journal as journal
from warehouse.db import db_path, snapshot_path
from warehouse.metrics import has_territory
from warehouse.read import reader_cursor
from warehouse.triage import find_interpellation

HELP = "record a triage decision about an interpellation (no answer expected, forwarded…)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_config_argument(parser)
    add_db_argument(parser)
    parser.add_argument("--platform", choices=PLATFORMS,
                        help="the post's platform (needed only when the id exists on two)")
    parser.add_argument("post_id", metavar="POST_ID", help="the interpellation's id")
    parser.add_argument("--decision", required=True, metavar="D",
                        help="one of " + ", ".join(journal.KINDS))
    parser.add_argument("--by", required=True, metavar="WHO", help="who decides (a name)")
    parser.add_argument("--service", metavar="S", help="a [[services]] slug of the territory")
    parser.add_argument("--note", metavar="TEXT", help="a note kept in the history")
    parser.add_argument("--at", metavar="INSTANT",
                        help="when the decision takes effect (ISO 8601; default: now)")


def _local(territory: Territory, instant: datetime) -> str:
    local = instant.replace(tzinfo=UTC).astimezone(ZoneInfo(territory.timezone))
    return f"{local:%Y-%m-%d %H:%M:%S} ({territory.timezone})"


def _service(territory: Territory, slug: str | None) -> str | None:
    if slug is None:
        return None
    slug = slug.strip()
    if territory.service(slug) is None:
        valid = ", ".join(s.slug for s in territory.services)
        raise UsageError(
            f"--service {slug!r}: not a service of {territory.slug!r} "
            + (f"(one of: {valid})" if valid else "(its file has no [[services]])")
        )
    return slug


def run(args: argparse.Namespace) -> int:
    territory = load_config(args.config)
    decision = args.decision.strip()
    if decision not in journal.KINDS:
        raise UsageError(
            f"--decision {args.decision!r}: expected one of {', '.join(journal.KINDS)}")
    service = _service(territory, args.service)
    at = (parse_instant("--at", args.at, territory) if args.at
          # whole seconds, as the default --as-of of `queue` and `metrics`: a queue printed
          # in the same second as the decision shows it
          else datetime.now(UTC).replace(tzinfo=None, microsecond=0))
    db = db_path(args.db)
    if not db.exists() and not snapshot_path(db).exists():
        raise UsageError(f"{db}: no warehouse here (build one with `territoires import` or `demo`)")
    cur = reader_cursor(db)  # the published snapshot: never the writer lock
    try:
        if not has_territory(cur, territory.slug):
            raise UsageError(
                f"{db}: no data for territory {territory.slug!r} (land some with import or collect)"
            )
        platform, post_id, created_at = find_interpellation(
            cur, territory, args.post_id, args.platform)
    except journal.TriageError as e:
        raise UsageError(str(e)) from None
    finally:
        cur.close()
    if at < created_at:
        raise UsageError(f"--at {_local(territory, at)} is before the post was created "
                         f"({_local(territory, created_at)})")
    try:
        [seq] = journal.record(db, [journal.Decision(
            territory=territory.slug, platform=platform, post_id=post_id, decision=decision,
            decided_by=args.by, decided_at=at, service=service, note=args.note,
            post_created_at=created_at)])
    except journal.TriageError as e:
        raise UsageError(str(e)) from None
    who = display_name(args.by, isolate=False)
    print(f"{decision}: {platform} post {post_id}" + (f" -> {service}" if service else "")
          + f", by {who}, at {_local(territory, at)}; journal #{seq}")
    return 0
