"""The log of every collection run: one ``collect_runs`` row per territory and platform.

Platform-neutral (X, Bluesky, Mastodon collectors all use it). A run is opened with
:func:`start_run` (status ``running``), its counters are written with :func:`save_progress`
as pages land (call it inside the page's transaction so the counters match what landed),
and it is closed with :func:`finish_run` with one of these statuses:

* ``ok``: every planned request succeeded;
* ``partial``: something went wrong (rate limit cap, server down, access denied on one
  endpoint, malformed page…) but what landed is kept; the next run continues;
* ``failed``: nothing could be fetched (bad token, no request succeeded).

A row left ``running`` by a process that died (SIGKILL, power cut) is closed as ``failed``
with an explanation by the next :func:`start_run` (the writer lock guarantees no other run
is live at that moment).

**Estimated cost.** ``cost_usd`` is an estimate at the platform's pay-per-use prices, from a
price table that is a setting (model/prices.py): ``DEFAULT_PRICES``, overridden per platform
by the environment variable ``TERRITOIRES_PRICES_<PLATFORM>``, e.g.
``TERRITOIRES_PRICES_X="post_read=0.005,user_read=0.010,owned_read=0.001"`` (US dollars per
object read). X's published pay-per-use prices (2025): a post read $0.005, a user read
$0.010, an owned read $0.001. Every post object returned (in ``data`` and in
``includes.tweets``) counts as a post read and every user object as a user read, so the
figure is an upper bound (X may deduplicate repeated reads of the same object in a day).
Platforms without a price table (Bluesky, Mastodon) cost 0.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import duckdb

from collectors.redact import redact
from model.prices import price_table
from warehouse import collect as sql

MAX_LOGGED_ERRORS = 200  # keep the errors JSON of a run bounded
STATUSES = ("running", "ok", "partial", "failed")


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass
class Run:
    """One collection run of one territory on one platform, as counted so far."""

    run_id: int
    territory: str
    platform: str
    started_at: datetime
    pages: int = 0
    posts: int = 0  # post objects in pages' data
    users: int = 0  # user objects read (data of user lookups and includes.users)
    reads: dict[str, int] = field(default_factory=dict)  # price-table key -> objects read
    errors: list[dict[str, Any]] = field(default_factory=list)
    error_count: int = 0
    status: str = "running"
    message: str | None = None
    ended_at: datetime | None = None
    prices: dict[str, float] = field(default_factory=dict)

    def add_page(self, posts: int = 0, users: int = 0, reads: dict[str, int] | None = None) -> None:
        """Count one landed page: ``posts``/``users`` in it, and billable ``reads`` by kind."""
        self.pages += 1
        self.posts += posts
        self.users += users
        for kind, n in (reads or {}).items():
            self.reads[kind] = self.reads.get(kind, 0) + n

    def error(
        self, kind: str, message: str, endpoint: str | None = None, query: str | None = None
    ) -> None:
        """Record one problem (kept in the run's ``errors`` JSON, bounded in size)."""
        self.error_count += 1
        if len(self.errors) < MAX_LOGGED_ERRORS:
            entry: dict[str, Any] = {
                "kind": kind, "message": redact(message), "at": _now().isoformat()
            }  # an error body can echo a credential (collectors/redact.py)
            if endpoint:
                entry["endpoint"] = redact(endpoint)
            if query:
                entry["query"] = redact(query)
            self.errors.append(entry)

    @property
    def cost_usd(self) -> float:
        return round(sum(self.prices.get(k, 0.0) * n for k, n in self.reads.items()), 6)

    def errors_json(self) -> str:
        doc: dict[str, Any] = {"count": self.error_count, "items": self.errors, "reads": self.reads}
        return json.dumps(doc, ensure_ascii=False)


def close_stale_runs(con: duckdb.DuckDBPyConnection, platform: str | None = None) -> int:
    """Close runs left ``running`` by a dead process; return how many were closed.

    Call only while holding the writer lock (no live run can exist then).
    """
    return sql.close_stale_runs(
        con,
        _now(),
        "interrupted: the process ended before finishing (pages that landed are kept)",
        platform,
    )


def start_run(con: duckdb.DuckDBPyConnection, territory: str, platform: str) -> Run:
    """Open a ``running`` row for ``territory`` on ``platform`` and return its :class:`Run`."""
    started = _now()
    return Run(
        run_id=sql.insert_run(con, territory, platform, started),
        territory=territory,
        platform=platform,
        started_at=started,
        prices=price_table(platform),
    )


def save_progress(con: duckdb.DuckDBPyConnection, run: Run) -> None:
    """Write the run's counters, errors and cost (safe inside an open transaction)."""
    sql.update_run(
        con,
        run.run_id,
        pages=run.pages,
        posts=run.posts,
        users=run.users,
        errors_json=run.errors_json(),
        cost_usd=run.cost_usd,
    )


def finish_run(
    con: duckdb.DuckDBPyConnection, run: Run, status: str, message: str | None = None
) -> None:
    """Close the run with ``status`` (ok, partial or failed) and a one-line ``message``."""
    if status not in STATUSES[1:]:
        raise ValueError(f"run status must be one of ok, partial, failed (got {status!r})")
    run.status, run.message, run.ended_at = status, redact(message), _now()
    sql.update_run(
        con,
        run.run_id,
        pages=run.pages,
        posts=run.posts,
        users=run.users,
        errors_json=run.errors_json(),
        cost_usd=run.cost_usd,
        status=status,
        message=run.message,
        ended_at=run.ended_at,
    )


recent_runs = sql.recent_runs
