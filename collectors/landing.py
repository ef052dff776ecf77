"""The one landing mechanism of every collector: fetch pages, spool them, land them in
batches, keep each query's state, report a summary.

A platform (X: :mod:`collectors.x_collect`, Bluesky: :mod:`collectors.bluesky`, Mastodon:
:mod:`collectors.mastodon`) is a :class:`Platform`: it knows its API and the queries a
territory needs, and hands every page it fetches to the run's :class:`Landing`, which

1. spools the page at once (:mod:`collectors.spool`), with the state update it earns
   (:mod:`collectors.state`): a process killed now loses nothing, the next run lands it;
2. lands the spooled pages in one transaction per batch (``land_batch`` pages, or as soon as
   the oldest is ``land_every`` seconds old): the pages, their queries' state and the run's
   counters together, so the state never claims a page that did not land;
3. publishes the dashboard's snapshot at most every ``snapshot_every`` seconds.

A platform reads a query's state through :meth:`Landing.state` and writes the warehouse
itself only after :meth:`Landing.flush`, so that nothing it reads or writes overtakes a page
still waiting in the batch.

:func:`collect` is the one entry point: one pass of one platform over territories, as the
single writer (:func:`warehouse.db.writer`), returning a :class:`CollectReport`.
:func:`collect_territory` runs one territory on a connection the caller already holds.
Problems are handled per :mod:`collectors.faults` and written to the run log
(:mod:`collectors.runlog`).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import duckdb

from collectors import runlog, spool
from collectors.faults import CollectError, RetryPolicy
from collectors.redact import redact
from collectors.state import QueryState, StateKey, apply_update, get_state
from model import Territory, settings
from warehouse import collect as sql
from warehouse.db import publish_snapshot, writer
from warehouse.load import LoadStats
from warehouse.territory import save_territory

Counts = tuple[int, int, dict[str, int]]  # posts, users, billable reads (by price-table key)
Progress = Callable[[str], None]
DEFAULT_MAX_PAGES = {"bluesky": 20, "mastodon": 20}  # X: TERRITOIRES_X_MAX_PAGES


@dataclass(frozen=True)
class CollectSettings:
    """Settings of a pass, for every platform (environment variables in brackets; every one
    is declared in model/settings.py and read here, in :meth:`from_env` and
    :meth:`pages_for`)."""

    max_pages: int | None = None  # pages per query per run (--max-pages); None: per platform
    query_max_length: int = settings.X_QUERY_MAX.default  # X's recent search [X_QUERY_MAX]
    snapshot_every: float = 30.0  # publish the dashboard's snapshot at most this often (s)
    land_batch: int = settings.LAND_BATCH.default  # pages per transaction [LAND_BATCH]
    land_every: float = 5.0  # ...or as soon as the oldest spooled page is this old (s)
    progress_every: float = 10.0  # a progress line at most this often during a query (s)

    @classmethod
    def from_env(cls, max_pages: int | None = None) -> CollectSettings:
        """The settings from the environment; ``max_pages`` (``--max-pages``) if given."""
        if max_pages is not None and max_pages < 1:
            raise ValueError("--max-pages: expected a whole number ≥ 1")
        return cls(
            max_pages=max_pages,
            query_max_length=settings.X_QUERY_MAX.get(),
            land_batch=settings.LAND_BATCH.get(),
        )

    def pages_for(self, platform: str) -> int:
        """Pages per query per run on ``platform``: ``max_pages``, else its default."""
        if self.max_pages is not None:
            return self.max_pages
        if platform == "x":
            return settings.X_MAX_PAGES.get()
        return DEFAULT_MAX_PAGES.get(platform, 20)


# -- what a pass reports -------------------------------------------------------------------------
@dataclass
class QueryResult:
    label: str
    endpoint: str
    query: str
    pages: int = 0
    posts: int = 0
    outcome: str = "done"  # done, more (page cap reached: continues next run), stopped, skipped
    message: str | None = None


@dataclass
class RunSummary:
    """One run: one territory on one platform (its row in ``collect_runs`` is ``run``)."""

    slug: str
    name: str
    platform: str
    run: runlog.Run
    queries: list[QueryResult] = field(default_factory=list)
    posts_before: int = 0
    posts_after: int = 0
    seconds: float = 0.0

    @property
    def status(self) -> str:
        return self.run.status

    def line(self) -> str:
        """``slug platform: status, N pages, N posts (message)``."""
        run = self.run
        text = f"{self.slug} {self.platform}: {run.status}, {run.pages} pages, {run.posts} posts"
        return text + (f" ({run.message})" if run.message else "")


@dataclass
class CollectReport:
    """What one pass of one platform did (also in ``collect_runs``)."""

    db: str
    platform: str = "x"
    base_url: str = ""
    drained: spool.DrainReport = field(default_factory=spool.DrainReport)
    territories: list[RunSummary] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)  # files kept aside this run

    @property
    def status(self) -> str:
        statuses = {t.run.status for t in self.territories}
        if "failed" in statuses:
            return "failed"
        if "partial" in statuses or self.drained.rejected or self.rejected:
            return "partial"
        return "ok"


class PerAccountPlatform:
    """What Bluesky and Mastodon share as :class:`Platform`: each territory's accounts carry
    their own credentials (an error stops only that territory's run), a retry policy from the
    settings unless given, one line per run, and this closing status: ``ok`` if nothing went
    wrong, ``partial`` if some requests failed but pages landed, ``failed`` if nothing could
    be fetched."""

    name: str
    stop_all = False
    policy: RetryPolicy | None = None

    def start(
        self, db: str, report: CollectReport, flush: Callable[[], None], progress: Progress
    ) -> None:
        self.policy = self.policy or RetryPolicy.from_env()

    def verdict(self, landing: Landing, stop: CollectError | None) -> tuple[str, str | None]:
        run = landing.run
        if stop is None and not run.error_count:
            return "ok", None
        status = "partial" if run.pages else "failed"
        problems = f"{run.error_count} problem(s); see errors"
        return status, str(stop) if stop is not None else problems

    def summary(self, report: CollectReport) -> str:
        return redact("\n".join(t.line() for t in report.territories))


# -- one run -------------------------------------------------------------------------------------
@dataclass
class _Spooled:
    path: Path
    counts: Counts
    key: tuple[str, ...] | None  # the state key its update is for


class Landing:
    """One collection run of one territory on one platform: where its pages go."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        db: str | os.PathLike[str],
        territory: Territory,
        platform: str,
        settings: CollectSettings,
        *,
        progress: Progress = lambda _line: None,
        rejected: list[str] | None = None,
    ) -> None:
        self.con, self.db, self.territory, self.platform = con, str(db), territory, platform
        self.settings, self.progress = settings, progress
        self.rejected = rejected if rejected is not None else []
        self.run = runlog.start_run(con, territory.slug, platform)
        self.summary = RunSummary(territory.slug, territory.name, platform, self.run)
        self.max_pages = settings.pages_for(platform)
        self.stopped: dict[str, str] = {}  # endpoint -> why it is skipped for the rest of the run
        self.buffer: list[_Spooled] = []
        self.buffer_since = 0.0
        self.last_snapshot = time.monotonic()
        self.dirty = False

    # -- pages ------------------------------------------------------------------------------
    def spool(
        self,
        *,
        body: str,
        endpoint: str,
        query: str,
        origin: str | None,
        counts: Counts,
        state: dict[str, Any] | None = None,
        canonical: dict[str, Any] | None = None,
        kind: str | None = None,
    ) -> None:
        """Spool one page now (a crash loses nothing); land it with the next batch.

        ``state`` is the update the page earns (:func:`collectors.state.page_update`);
        ``canonical`` and ``kind`` the X-v2-shaped copy of another platform's page.
        """
        path = spool.spool_page(
            self.db,
            body=body,
            territory=self.territory.slug,
            platform=self.platform,
            source="collect",
            endpoint=endpoint,
            query=query,
            origin=origin,
            state=[state] if state else None,
            canonical=None if canonical is None else json.dumps(canonical, ensure_ascii=False),
            kind=kind,
        )
        if not self.buffer:
            self.buffer_since = time.monotonic()
        key = _key(state) if state else None
        self.buffer.append(_Spooled(path, counts, key))
        if (
            len(self.buffer) >= self.settings.land_batch
            or time.monotonic() - self.buffer_since >= self.settings.land_every
        ):
            self.flush()

    def spool_mapped(
        self,
        *,
        body: str,
        doc_page: dict[str, Any],
        kind: str,
        endpoint: str,
        query: str,
        origin: str | None,
        state: dict[str, Any] | None = None,
    ) -> None:
        """Spool a page of another platform with its X-v2-shaped copy ``doc_page`` (of
        ``kind``), counted from that copy."""
        data = doc_page.get("data") or []
        users = len((doc_page.get("includes") or {}).get("users") or [])
        counts: Counts = (
            len(data) if kind == "tweets" else 0,
            users + (len(data) if kind == "users" else 0),
            {},
        )
        self.spool(
            body=body,
            endpoint=endpoint,
            query=query,
            origin=origin,
            counts=counts,
            state=state,
            canonical=doc_page,
            kind=kind,
        )

    def flush(self) -> None:
        """Land the spooled pages, their queries' state and the run counters together."""
        if not self.buffer:
            return
        buffered, self.buffer = self.buffer, []

        def counters(c: duckdb.DuckDBPyConnection, _stats: LoadStats) -> None:
            for item in buffered:
                posts, users, reads = item.counts
                self.run.add_page(posts=posts, users=users, reads=reads)
            runlog.save_progress(c, self.run)

        # A ``fetchone()`` elsewhere (state look-ups) can leave a result open on the
        # connection, and DuckDB 2.0 then refuses ``register`` in the loader: finish it.
        self.con.execute("SELECT 1").fetchall()
        _stats, landed = spool.land_many(
            self.con, self.db, [item.path for item in buffered], before_commit=counters
        )
        for item in landed:
            if item.rejected is not None:  # JSON the loader still refused
                self.rejected.append(f"{item.rejected}: {item.reason}")
                self.run.error(
                    "malformed",
                    f"page kept aside in {item.rejected}: {item.reason}",
                    endpoint=item.envelope.get("endpoint"),
                    query=item.envelope.get("query"),
                )
        self.dirty = True
        self.maybe_publish()

    def maybe_publish(self, force: bool = False) -> None:
        now = time.monotonic()
        if self.dirty and (force or now - self.last_snapshot >= self.settings.snapshot_every):
            publish_snapshot(self.con, self.db)
            self.last_snapshot, self.dirty = now, False

    # -- state --------------------------------------------------------------------------------
    def state(self, key: StateKey) -> QueryState:
        """Where ``key`` stopped (its pages still in the batch land first)."""
        if any(item.key == _key(key.__dict__) for item in self.buffer):
            self.flush()
        return get_state(self.con, key)

    def put_state(self, update: dict[str, Any]) -> None:
        """Write a state update that comes with no page (after the batch lands)."""
        self.flush()
        apply_update(self.con, update)

    # -- problems -------------------------------------------------------------------------------
    def keep_malformed(self, body: bytes | str, endpoint: str, query: str, reason: str) -> None:
        """A body the client could not parse: kept in ``rejected/`` (the error is recorded by
        :meth:`failed`)."""
        kept = spool.reject(self.db, body, f"{self.platform} {endpoint} {query}: {reason}")
        self.progress(f"{self.platform}: unreadable page from {endpoint} kept in {kept}")

    def failed(self, err: CollectError, endpoint: str, query: str) -> None:
        """Record a request that failed for good; raise again if the whole run must stop."""
        self.run.error(err.kind, str(err), endpoint, query)
        self.progress(str(err))
        if err.scope == "endpoint":
            self.stopped[endpoint] = str(err)
        if err.scope == "run":
            raise err


def _key(update: dict[str, Any]) -> tuple[str, ...]:
    return tuple(str(update[k]) for k in ("territory", "platform", "endpoint", "query"))


# -- platforms -----------------------------------------------------------------------------------
class Platform(Protocol):
    """What a platform's collector provides to :func:`collect`."""

    name: str  # "x", "bluesky", "mastodon"
    stop_all: bool  # a run-stopping error stops the territories after it too (shared token)

    def start(
        self, db: str, report: CollectReport, flush: Callable[[], None], progress: Progress
    ) -> None:
        """Open the API client for a pass (``flush`` lands the current run's batch)."""

    def wants(self, territory: Territory) -> bool:
        """Whether ``territory`` has anything to collect here."""

    def collect(self, landing: Landing) -> None:
        """Fetch one territory's pages into ``landing``; a :class:`CollectError` raised
        stops the run."""

    def verdict(self, landing: Landing, stop: CollectError | None) -> tuple[str, str | None]:
        """The run's closing status and message (its pages have landed)."""

    def summary(self, report: CollectReport) -> str:
        """The pass in plain words, for the terminal (no secret in it)."""


def _run(
    con: duckdb.DuckDBPyConnection,
    db: str,
    platform: Platform,
    territory: Territory,
    settings: CollectSettings,
    report: CollectReport,
    progress: Progress,
    stop_all: CollectError | None,
    current: list[Landing],
) -> tuple[RunSummary, CollectError | None]:
    """One run, holding the writer: returns it and the error that stopped it, if any."""
    save_territory(con, territory)
    started = time.monotonic()
    landing = Landing(
        con, db, territory, platform.name, settings, progress=progress, rejected=report.rejected
    )
    current[:] = [landing]
    result = landing.summary
    result.posts_before = sql.territory_post_count(con, territory.slug, platform.name)
    stop = stop_all
    if stop_all is None:
        progress(f"{territory.slug}: collecting")
        try:
            platform.collect(landing)
        except CollectError as e:
            stop = e
        except BaseException as e:  # an unexpected bug: close the run honestly
            landing.run.error("internal", f"{type(e).__name__}: {e}")
            runlog.finish_run(con, landing.run, "failed", f"internal error: {type(e).__name__}")
            raise
    else:
        landing.run.error(stop_all.kind, f"not attempted: {stop_all}")
    landing.flush()
    status, message = platform.verdict(landing, stop)
    runlog.finish_run(con, landing.run, status, message)
    result.posts_after = sql.territory_post_count(con, territory.slug, platform.name)
    result.seconds = time.monotonic() - started
    report.territories.append(result)
    return result, stop


def _flush(current: list[Landing]) -> None:
    if current:
        current[-1].flush()


def _drain(
    con: duckdb.DuckDBPyConnection, db: str, report: CollectReport, progress: Progress
) -> None:
    leftovers = len(spool.pending(db))
    if leftovers:
        progress(f"landing {leftovers} page(s) fetched by an earlier run that stopped")
    report.drained = spool.drain(con, db)
    runlog.close_stale_runs(con, report.platform)


def collect(
    platform: Platform,
    territories: list[Territory],
    db: str | os.PathLike[str],
    *,
    settings: CollectSettings | None = None,
    lock_wait: float = 60.0,
    progress: Progress = lambda _line: None,
) -> CollectReport:
    """One pass of ``platform`` over ``territories`` (those it :meth:`~Platform.wants`), as
    the single writer; returns what happened (also in ``collect_runs``)."""
    settings = settings or CollectSettings.from_env()
    db = str(db)
    current: list[Landing] = []
    report = CollectReport(db=db, platform=platform.name)
    with writer(db, wait=lock_wait) as con:
        platform.start(db, report, lambda: _flush(current), progress)
        _drain(con, db, report, progress)
        stop_all: CollectError | None = None
        for territory in territories:
            if not platform.wants(territory):
                continue
            _result, stop = _run(
                con, db, platform, territory, settings, report, progress, stop_all, current
            )
            if stop is not None and platform.stop_all:
                stop_all = stop
            current[-1].maybe_publish(force=True)
    return report


def collect_territory(
    platform: Platform,
    con: duckdb.DuckDBPyConnection,
    db: str | os.PathLike[str],
    territory: Territory,
    *,
    settings: CollectSettings | None = None,
    progress: Progress = lambda _line: None,
) -> RunSummary:
    """One run of ``platform`` for ``territory`` on ``con`` (the caller holds the writer):
    lands what an earlier run left in the spool first."""
    settings = settings or CollectSettings.from_env()
    db = str(db)
    current: list[Landing] = []
    report = CollectReport(db=db, platform=platform.name)
    platform.start(db, report, lambda: _flush(current), progress)
    _drain(con, db, report, progress)
    result, _stop = _run(con, db, platform, territory, settings, report, progress, None, current)
    return result
