"""``territoires alert``: send what is due at as-of (the morning digest, threshold alerts) to
the territory's ``[alerts]`` recipients, by e-mail and webhook; never the same alert twice
(docs/deploying.md, "Alerts"; docs/configuration.md, ``[alerts]``).

Run by cron or a systemd timer after ``collect``. What is due at ``--as-of`` (default: now):

* the **morning digest**, on working days (Monday to Friday, not a public holiday of the
  territory) once ``digest_at`` (local time) has passed: a run after a cron outage sends that
  day's digest, never one of a day already gone;
* a **waiting** alert for each interpellation expecting an answer whose wait in the addressed
  account's service hours passed ``pending_over_service_minutes``;
* a **spike** alert for each spike of a tracked hashtag or of the city's mentions, yesterday
  or today (warehouse/page_spikes.py).

Each alert is recorded per channel in the warehouse (warehouse/alerts.py) before it is sent:
a sent one is never sent again; a failed delivery is reported on stderr (exit status 1) and
retried at the next run (a digest only on its own day). The command holds the warehouse's
writer lock, like ``collect``, so two runs never send the same alert. ``--dry-run`` prints
the messages that would be sent and records nothing.
"""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable
from datetime import UTC, datetime

from model import Territory, settings
from territoires.alerts import content, render
from territoires.alerts.deliver import send_email, send_webhook, webhook_channel
from territoires.commands import add_config_argument, add_db_argument
from territoires.commands.metrics import parse_instant
from territoires.config import load_config
from territoires.errors import UsageError
from territoires.text import i18n
from warehouse import alerts as record
from warehouse.alerts import Alert
from warehouse.db import connect, db_path, publish_snapshot, snapshot_path, writer_lock
from warehouse.metrics import has_territory, iso_instant
from warehouse.metrics_base import Con
from warehouse.migrations import migrate

HELP = "send what is due (the morning digest, threshold alerts) by e-mail and webhook"
ORDER = {"digest": 0, "pending": 1, "spike": 2}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_config_argument(parser)
    add_db_argument(parser)
    parser.add_argument("--as-of", metavar="INSTANT",
                        help="what is due at this instant (ISO 8601; default: now)")
    parser.add_argument("--dry-run", action="store_true",
                        help="print what would be sent; send and record nothing")
    parser.add_argument("--wait", type=float, default=600.0, metavar="SECONDS",
                        help="if another process is writing the warehouse, wait this long, "
                        "then exit with status 75 (default: 600)")


def _hook(url: str, subject: str, text: str) -> str | None:
    return send_webhook(url, f"*{subject}*\n\n{text}")


def _channels(territory: Territory) -> dict[str, Callable[[str, str], str | None]]:
    """channel -> how to send ``(subject, text)`` to it."""
    assert territory.alerts is not None
    out: dict[str, Callable[[str, str], str | None]] = {}
    for address in territory.alerts.email:
        out[f"email:{address}"] = functools.partial(send_email, address)
    for url in territory.alerts.webhooks:
        out[webhook_channel(url)] = functools.partial(_hook, url)
    return out


def due(con: Con, territory: Territory, as_of: datetime, channels: list[str]) -> list[Alert]:
    """The alerts due at ``as_of`` not yet recorded for each channel, with their texts."""
    assert territory.alerts is not None
    seen = record.recorded(con, territory.slug)
    items = content.waiting(con, territory, as_of)
    spikes = content.recent_spikes(con, territory, as_of)
    day = content.digest_due(territory, territory.alerts, as_of)
    figures = content.yesterday_figures(con, territory, as_of) if day else {}
    link = settings.PUBLIC_URL.get()
    texts: dict[str, list[tuple[str, str, str]]] = {}  # channel kind -> (kind, key, body)
    for kind in {render.channel_kind(c) for c in channels}:
        wanted = texts.setdefault(kind, [])
        if day is not None:
            wanted.append(("digest", day.isoformat(), render.digest_body(
                territory, as_of, items, figures, spikes, link, kind)))
        wanted += [("pending", w.key, render.waiting_block(w, territory, kind))
                   for w in content.over_threshold(items, territory.alerts)]
        wanted += [("spike", s.key, render.spike_line(s, kind)) for s in spikes]
    return [Alert(k, key, channel, body) for channel in channels
            for k, key, body in texts[render.channel_kind(channel)]
            if (k, key, channel) not in seen]


def _messages(alerts: list[Alert]) -> list[tuple[str, str, list[Alert]]]:
    """``(channel, kind, alerts)``: a digest alone, the other alerts of a kind together."""
    groups: dict[tuple[str, int, str, str], list[Alert]] = {}
    for a in alerts:
        key = a.key if a.kind == "digest" else ""
        groups.setdefault((a.channel, ORDER.get(a.kind, 9), a.kind, key), []).append(a)
    return [(ch, kind, group) for (ch, _, kind, _), group in sorted(groups.items())]


def run(args: argparse.Namespace) -> int:
    territory = load_config(args.config)
    if territory.alerts is None:
        raise UsageError(f"{territory.source}: no [alerts] section (who is told, and when: "
                         "docs/configuration.md)")
    if not territory.alerts.email and not territory.alerts.webhooks:
        raise UsageError(f"{territory.source}: [alerts] names no recipient (email, webhooks)")
    as_of = (parse_instant("--as-of", args.as_of, territory) if args.as_of
             else datetime.now(UTC).replace(tzinfo=None, microsecond=0))
    db = db_path(args.db)
    if not db.exists() and not snapshot_path(db).exists():
        raise UsageError(f"{db}: no warehouse here (build one with `territoires import` or `demo`)")
    i18n.set_lang(territory.alerts.lang)
    senders = _channels(territory)
    with writer_lock(db, wait=args.wait):
        con = connect(db)
        try:
            applied = migrate(con)
            if not has_territory(con, territory.slug):
                raise UsageError(f"{db}: no data for territory {territory.slug!r} (land some "
                                 "with import or collect)")
            failed = _run(con, territory, as_of, senders, args.dry_run)
            if applied:  # a new table: the snapshot must not lag the schema
                publish_snapshot(con, db)
        finally:
            con.close()
    return 1 if failed else 0


def _run(con: Con, territory: Territory, as_of: datetime,
         senders: dict[str, Callable[[str, str], str | None]], dry_run: bool) -> int:
    """Record what is due, send what is unsent; the number of failed messages."""
    slug = territory.slug
    new = due(con, territory, as_of, list(senders))
    today = content.local_now(territory, as_of).date().isoformat()
    old = [a for a in record.unsent(con, slug) if a.channel in senders]
    stale = [a for a in old if a.kind == "digest" and a.key < today]
    if stale and not dry_run:
        record.expire(con, slug, [a.ident for a in stale])
    for a in stale:
        print(f"territoires alert: the digest of {a.key} to {a.channel} was never delivered "
              f"({a.last_error}); today's replaces it", file=sys.stderr)
    pending = [a for a in old if a not in stale] + new
    if not dry_run:
        record.add(con, slug, new, _now())
    link = settings.PUBLIC_URL.get()
    failed = 0
    for channel, kind, group in _messages(pending):
        subject, text = render.message(kind, group[0].key, territory, [a.body for a in group],
                                       link)
        what = f"{kind} ({len(group)})" if kind != "digest" else f"digest {group[0].key}"
        if dry_run:
            print(f"--- would send {what} to {channel}, as of {iso_instant(as_of)}\n"
                  f"Subject: {subject}\n\n{text}")
            continue
        error = senders[channel](subject, text)
        record.mark(con, slug, [a.ident for a in group], at=_now(), error=error)
        if error is None:
            print(f"sent {what} to {channel}")
        else:
            failed += 1
            print(f"territoires alert: {what} to {channel} not sent, retried next run: {error}",
                  file=sys.stderr)
    return failed


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
