"""Landing one fetched page of Bluesky or Mastodon, and the run they belong to.

Shared by :mod:`collectors.bluesky` and :mod:`collectors.mastodon`, built on the
platform-neutral modules: each page is spooled first (:func:`collectors.spool.spool_page`,
with its X-v2-shaped ``canonical`` copy and the state update it earns), then landed
(:func:`collectors.spool.land`: page, state and run counters in one transaction).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import duckdb

from collectors import runlog
from collectors.faults import AuthFailed, CollectError, Unavailable
from collectors.spool import drain, land, reject, spool_page
from model import Territory
from warehouse.territory import save_territory


@dataclass
class Session:
    """One collection run on one platform: where pages go and what was counted."""

    con: duckdb.DuckDBPyConnection
    db: str | os.PathLike[str]
    territory: Territory
    platform: str
    run: runlog.Run
    log: Callable[[str], None] = lambda _m: None
    failed_endpoints: set[str] = field(default_factory=set)
    requests: int = 0
    successes: int = 0

    def land(
        self,
        *,
        body: str,
        doc_page: dict[str, Any],
        kind: str,
        endpoint: str,
        query: str,
        origin: str | None,
        state: list[dict[str, Any]] | None = None,
    ) -> None:
        """Spool then land one page (its canonical copy and its state update with it)."""
        path = spool_page(
            self.db,
            body=body,
            territory=self.territory.slug,
            platform=self.platform,
            endpoint=endpoint,
            query=query,
            origin=origin,
            state=state,
            canonical=json.dumps(doc_page, ensure_ascii=False),
            kind=kind,
        )
        posts = len(doc_page.get("data") or []) if kind == "tweets" else 0
        users = len((doc_page.get("includes") or {}).get("users") or [])
        users += len(doc_page.get("data") or []) if kind == "users" else 0
        self.run.add_page(posts=posts, users=users)

        def counters(c: duckdb.DuckDBPyConnection, _stats: Any) -> None:
            runlog.save_progress(c, self.run)

        # A ``fetchone()`` elsewhere (state look-ups) can leave a result open on the
        # connection, and DuckDB 2.0 then refuses ``register`` in the loader: finish it.
        self.con.execute("SELECT 1").fetchall()
        landed = land(self.con, self.db, path, before_commit=counters)
        if landed.rejected is not None:
            self.run.error("malformed", f"page kept aside: {landed.reason}", endpoint, query)

    def keep_malformed(self, body: bytes | str, endpoint: str, query: str, reason: str) -> None:
        """A body the client could not parse: kept in ``rejected/`` (the error is recorded by
        :meth:`failed`)."""
        kept = reject(self.db, body, f"{self.platform} {endpoint} {query}: {reason}")
        self.log(f"{self.platform}: unreadable page from {endpoint} kept in {kept}")

    def failed(self, err: CollectError, endpoint: str, query: str) -> None:
        """Record a request that failed for good; raise again if the whole run must stop."""
        self.run.error(err.kind, str(err), endpoint, query)
        self.log(str(err))
        if err.scope == "endpoint":
            self.failed_endpoints.add(endpoint)
        if err.scope == "run" or isinstance(err, (AuthFailed, Unavailable)):
            raise err


@contextmanager
def platform_run(
    con: duckdb.DuckDBPyConnection,
    db: str | os.PathLike[str],
    territory: Territory,
    platform: str,
    log: Callable[[str], None] = lambda _m: None,
) -> Iterator[Session]:
    """Open a run (after landing spool leftovers), yield its :class:`Session`, close it.

    The run ends ``ok`` if nothing went wrong, ``partial`` if some requests failed but
    pages landed, ``failed`` if nothing could be fetched.
    """
    drained = drain(con, db)
    if drained.files:
        log(f"landed {drained.files} page(s) left in the spool by an earlier run")
    save_territory(con, territory)
    runlog.close_stale_runs(con, platform)
    run = runlog.start_run(con, territory.slug, platform)
    session = Session(con, db, territory, platform, run, log)
    message = None
    try:
        yield session
    except CollectError as e:
        message = str(e)
    except BaseException as e:
        runlog.finish_run(con, run, "failed", f"{type(e).__name__}: {e}")
        raise
    if message is None and not run.error_count:
        status = "ok"
    elif run.pages:
        status = "partial"
    else:
        status = "failed"
    if message is None and run.error_count:
        message = f"{run.error_count} problem(s); see errors"
    runlog.finish_run(con, run, status, message)
