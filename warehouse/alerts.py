"""The record of ``territoires alert`` (docs/deploying.md, "Alerts"): what was sent to whom,
so that no alert goes twice, and what failed, so that it is retried.

One row of ``alerts`` (migration ``0013_alerts``) per alert and channel: ``kind`` (``digest``,
``pending``, ``spike``), ``key`` (the digest's local date, the interpellation's
``platform:id``, the spike's ``series:day``), ``channel`` (``email:<address>`` or
``webhook:<host>#<hash of the URL>``: a hook's URL is a secret, never stored). ``status``:
``pending`` (recorded, not yet tried), ``sent``, ``failed`` (retried at the next run) or
``expired`` (a digest whose day has passed: the next one replaces it). ``body`` is the text
of that alert for that channel, kept until it is sent (then cleared: no post text stays).

Only the writer (``territoires alert`` holds the writer lock) calls the functions that change
rows. Instants are naive UTC.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from warehouse.metrics_base import Con

KINDS = ("digest", "pending", "spike")
STATUSES = ("pending", "sent", "failed", "expired")


@dataclass(frozen=True)
class Alert:
    """One alert for one channel."""

    kind: str
    key: str
    channel: str
    body: str
    status: str = "pending"
    attempts: int = 0
    last_error: str | None = None

    @property
    def ident(self) -> tuple[str, str, str]:
        return (self.kind, self.key, self.channel)


def recorded(con: Con, territory: str) -> set[tuple[str, str, str]]:
    """``(kind, key, channel)`` of every alert ever recorded for ``territory``, in any status."""
    rows = con.execute("SELECT kind, key, channel FROM alerts WHERE territory = $t",
                       {"t": territory}).fetchall()
    return {(str(k), str(key), str(c)) for k, key, c in rows}


def unsent(con: Con, territory: str) -> list[Alert]:
    """The alerts recorded but not delivered (``pending`` or ``failed``), oldest first."""
    rows = con.execute(
        "SELECT kind, key, channel, coalesce(body, ''), status, attempts, last_error "
        "FROM alerts WHERE territory = $t AND status IN ('pending', 'failed') "
        "ORDER BY created_at, kind, key, channel", {"t": territory}).fetchall()
    return [Alert(str(k), str(key), str(c), str(b), str(s), int(a), e)
            for k, key, c, b, s, a, e in rows]


def add(con: Con, territory: str, alerts: Iterable[Alert], at: datetime) -> None:
    """Record new alerts (status ``pending``); one already recorded is left as it is."""
    for a in alerts:
        con.execute(
            "INSERT INTO alerts (territory, kind, key, channel, status, attempts, created_at, "
            "body) VALUES ($t, $kind, $key, $channel, 'pending', 0, $at, $body) "
            "ON CONFLICT DO NOTHING",
            {"t": territory, "kind": a.kind, "key": a.key, "channel": a.channel, "at": at,
             "body": a.body})


def mark(con: Con, territory: str, idents: Iterable[tuple[str, str, str]], *, at: datetime,
         error: str | None = None) -> None:
    """One delivery tried at ``at``: ``sent`` (and the body cleared) without ``error``, else
    ``failed`` with it; ``attempts`` counts the tries."""
    for kind, key, channel in idents:
        con.execute(
            "UPDATE alerts SET attempts = attempts + 1, last_try_at = $at, "
            "status = CASE WHEN $error::VARCHAR IS NULL THEN 'sent' ELSE 'failed' END, "
            "sent_at = CASE WHEN $error::VARCHAR IS NULL THEN $at END, "
            "last_error = $error::VARCHAR, "
            "body = CASE WHEN $error::VARCHAR IS NULL THEN NULL ELSE body END "
            "WHERE territory = $t AND kind = $kind AND key = $key AND channel = $channel",
            {"t": territory, "kind": kind, "key": key, "channel": channel, "at": at,
             "error": error})


def expire(con: Con, territory: str, idents: Iterable[tuple[str, str, str]]) -> None:
    """Give up an undelivered alert that is no longer worth sending (a past day's digest)."""
    for kind, key, channel in idents:
        con.execute(
            "UPDATE alerts SET status = 'expired', body = NULL WHERE territory = $t "
            "AND kind = $kind AND key = $key AND channel = $channel AND status <> 'sent'",
            {"t": territory, "kind": kind, "key": key, "channel": channel})


def drop_undelivered(con: Con) -> int:
    """Forget every alert not yet delivered (``pending``, ``failed``), body and all: called
    when posts are deleted (erasure, retention), since a recorded text may quote one. The next
    ``territoires alert`` recomputes what is still due from what the warehouse holds then."""
    n = con.execute("SELECT count(*) FROM alerts WHERE status IN ('pending', 'failed')"
                    ).fetchone()
    con.execute("DELETE FROM alerts WHERE status IN ('pending', 'failed')")
    return int(n[0]) if n else 0


def history(con: Con, territory: str) -> list[dict[str, object]]:
    """Every row of ``territory`` (tests, inspection), oldest first."""
    cur = con.execute(
        "SELECT kind, key, channel, status, attempts, last_error, created_at, last_try_at, "
        "sent_at, body FROM alerts WHERE territory = $t ORDER BY created_at, kind, key, channel",
        {"t": territory})
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
