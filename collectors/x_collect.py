"""One collection pass over the X API v2 for one or more territories.

For each territory, as the single writer of the warehouse (:func:`warehouse.db.writer`):

1. land what a previous run fetched but did not load (the spool, :mod:`collectors.spool`);
2. resolve the city accounts' handles that have no id yet (``/2/users/by``);
3. for each city account, its mentions (``/2/users/:id/mentions``) and its own posts
   (``/2/users/:id/tweets``);
4. recent search (``/2/tweets/search/recent``) for the tracked hashtags, keywords and
   city domains (``url:``), the reposts (``retweets_of:``) and quotes (``quotes_of:``) of
   the city accounts (:func:`search_queries`).

Every page is spooled as it arrives, then landed through
:func:`warehouse.load.load_pages` together with its query's new state and the run's
counters, in one transaction. A query resumes where it stopped (``collect_state``), so a
run killed at any moment and run again ends with every post exactly once. Problems are
handled per :mod:`collectors.faults` and written to the run log (:mod:`collectors.runlog`).
"""

from __future__ import annotations

import functools
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from collectors import runlog, spool
from collectors.faults import (
    AuthFailed,
    CollectError,
    RateLimited,
    RetryPolicy,
    Unavailable,
    env_number,
)
from collectors.redact import redact
from collectors.state import (
    QueryState,
    StateKey,
    after_page,
    drop_cursor,
    get_state,
    page_update,
    reset_since_id,
)
from collectors.x_api import (
    MENTIONS,
    SEARCH_RECENT,
    USER_TWEETS,
    USERS_BY,
    Endpoint,
    MalformedPage,
    Page,
    XApi,
)
from model import Territory
from warehouse import collect as sql
from warehouse.db import publish_snapshot, writer
from warehouse.load import LoadStats
from warehouse.territory import resolve_account_ids, save_territory

PLATFORM = "x"
VALID_HANDLE = re.compile(r"[A-Za-z0-9_]{1,15}")  # X's username rule (OpenAPI UserName)
SOFT_ERRORS = ("partial_errors",)  # recorded, but the run is still ok


def _env_int(name: str, default: int) -> int:
    return int(env_number(name, default, whole=True, minimum=1))


@dataclass(frozen=True)
class CollectSettings:
    """Settings of a pass (environment variables in brackets)."""

    max_pages: int = 50  # pages per query per run [TERRITOIRES_X_MAX_PAGES]; the rest next run
    query_max_length: int = 512  # X's limit for recent search [TERRITOIRES_X_QUERY_MAX]
    snapshot_every: float = 30.0  # publish the dashboard's snapshot at most this often (s)
    land_batch: int = 20  # pages landed per transaction [TERRITOIRES_LAND_BATCH]
    land_every: float = 5.0  # ...or as soon as the oldest spooled page is this old (s)
    progress_every: float = 10.0  # a progress line at most this often during a query (s)

    @classmethod
    def from_env(cls) -> CollectSettings:
        return cls(
            max_pages=_env_int("TERRITOIRES_X_MAX_PAGES", cls.max_pages),
            query_max_length=_env_int("TERRITOIRES_X_QUERY_MAX", cls.query_max_length),
            land_batch=_env_int("TERRITOIRES_LAND_BATCH", cls.land_batch),
        )


# -- search queries ---------------------------------------------------------------------------
def _keyword(term: str) -> str:
    term = term.replace('"', " ").strip()
    plain = term.replace("_", "").isalnum()
    return term if plain else f'"{term}"'


def _pack(terms: list[str], max_length: int) -> list[str]:
    """Join terms with OR into as few queries as fit in ``max_length`` characters."""
    queries: list[str] = []
    current = ""
    for term in terms:
        candidate = f"{current} OR {term}" if current else term
        if current and len(candidate) > max_length:
            queries.append(current)
            candidate = term
        current = candidate
    if current:
        queries.append(current)
    return queries


def search_queries(territory: Territory, max_length: int = 512) -> list[tuple[str, str]]:
    """``(label, query)`` pairs for recent search.

    * ``topics``: the tracked hashtags (exact tag), keywords (quoted phrases when they hold
      punctuation or spaces) and links to the city domains (``url:"domain"``);
    * ``reposts``: ``retweets_of:`` each city account;
    * ``quotes``: ``quotes_of:`` each city account (its own query, so that an access level
      without that operator only loses the quotes).

    The query text is the state key: changing the configuration starts a new query.
    """
    handles = territory.handles(PLATFORM)
    groups = {
        "topics": [*territory.hashtags, *(_keyword(k) for k in territory.keywords)]
        + [f'url:"{d}"' for d in territory.city_domains],
        "reposts": [f"retweets_of:{h}" for h in handles],
        "quotes": [f"quotes_of:{h}" for h in handles],
    }
    out: list[tuple[str, str]] = []
    for label, terms in groups.items():
        packed = _pack(terms, max_length)
        for i, query in enumerate(packed):
            out.append((label if len(packed) == 1 else f"{label} {i + 1}", query))
    return out


# -- results ----------------------------------------------------------------------------------
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
class TerritoryResult:
    slug: str
    name: str
    run: runlog.Run
    queries: list[QueryResult] = field(default_factory=list)
    posts_before: int = 0
    posts_after: int = 0
    seconds: float = 0.0


@dataclass
class CollectReport:
    db: str
    base_url: str
    drained: spool.DrainReport = field(default_factory=spool.DrainReport)
    territories: list[TerritoryResult] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)  # files kept aside this run

    @property
    def status(self) -> str:
        statuses = {t.run.status for t in self.territories}
        if "failed" in statuses:
            return "failed"
        if "partial" in statuses or self.drained.rejected or self.rejected:
            return "partial"
        return "ok"


def _fetch(
    method: Callable[..., Iterator[Page]],
    arg: str,
    max_pages: int,
    since_id: str | None,
    cursor: str | None,
) -> Iterator[Page]:
    return method(arg, since_id=since_id, cursor=cursor, max_pages=max_pages)


class _StopRun(Exception):
    def __init__(self, error: CollectError) -> None:
        super().__init__(str(error))
        self.error = error


def _page_counts(page: Page) -> tuple[int, int, dict[str, int]]:
    data = page.get("data")
    items = data if isinstance(data, list) else ([data] if isinstance(data, dict) else [])
    raw_includes = page.get("includes")
    includes: dict[str, Any] = raw_includes if isinstance(raw_includes, dict) else {}
    inc_users = len(includes.get("users") or [])
    inc_tweets = len(includes.get("tweets") or [])
    if page.endpoint is USERS_BY:
        users = len(items) + inc_users
        return 0, users, {"user_read": users, "post_read": inc_tweets}
    return len(items), inc_users, {"post_read": len(items) + inc_tweets, "user_read": inc_users}


class _Pass:
    """The collection of one territory (one run row)."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        db: str,
        api: XApi,
        territory: Territory,
        settings: CollectSettings,
        progress: Callable[[str], None],
        report: CollectReport,
    ) -> None:
        self.con, self.db, self.api, self.t = con, db, api, territory
        self.settings, self.progress, self.report = settings, progress, report
        self.run = runlog.start_run(con, territory.slug, PLATFORM)
        self.result = TerritoryResult(territory.slug, territory.name, self.run)
        self.stopped: dict[str, str] = {}  # endpoint path -> why
        self.last_snapshot = time.monotonic()
        self.dirty = False
        self.buffer: list[tuple[Path, tuple[int, int, dict[str, int]]]] = []
        self.buffer_since = 0.0

    # -- landing ------------------------------------------------------------------------------
    def land(self, page: Page, query: str, update: dict[str, Any] | None) -> None:
        """Spool the page now (a crash loses nothing); load it with the next batch."""
        errors = page.get("errors")
        if isinstance(errors, list) and errors:
            first = errors[0] if isinstance(errors[0], dict) else {}
            self.run.error(
                "partial_errors",
                f"{len(errors)} partial error(s) in a 200 answer: "
                f"{first.get('title', '')}: {first.get('detail', '')}"[:300],
                endpoint=page.endpoint.path,
                query=query,
            )
        path = spool.spool_page(
            self.db,
            body=page.body,
            territory=self.t.slug,
            platform=PLATFORM,
            source="collect",
            endpoint=page.endpoint.path,
            query=query,
            origin=page.url,
            state=[update] if update else None,
        )
        if not self.buffer:
            self.buffer_since = time.monotonic()
        self.buffer.append((path, _page_counts(page)))
        if (
            len(self.buffer) >= self.settings.land_batch
            or time.monotonic() - self.buffer_since >= self.settings.land_every
        ):
            self.flush()

    def flush(self) -> None:
        """Land the spooled pages, their queries' state and the run counters together."""
        if not self.buffer:
            return
        buffered, self.buffer = self.buffer, []

        def counters(c: duckdb.DuckDBPyConnection, _stats: LoadStats) -> None:
            for _path, (posts, users, reads) in buffered:
                self.run.add_page(posts=posts, users=users, reads=reads)
            runlog.save_progress(c, self.run)

        _stats, landed = spool.land_many(
            self.con, self.db, [p for p, _ in buffered], before_commit=counters
        )
        for item in landed:
            if item.rejected is not None:  # JSON the loader still refused
                self.report.rejected.append(f"{item.rejected}: {item.reason}")
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

    # -- one paginated query --------------------------------------------------------------------
    def query(
        self,
        endpoint: Endpoint,
        query: str,
        label: str,
        fetch: Callable[[str | None, str | None], Iterator[Page]],
    ) -> None:
        result = QueryResult(label, endpoint.path, query)
        self.result.queries.append(result)
        if endpoint.path in self.stopped:
            result.outcome, result.message = "skipped", self.stopped[endpoint.path]
            return
        key = StateKey(self.t.slug, PLATFORM, endpoint.path, query)
        retried = False
        while True:
            state = get_state(self.con, key)  # pages of this key are never left buffered here
            try:
                self._paginate(key, state, fetch, result)
                return
            except MalformedPage as e:
                self.run.error("malformed", str(e), endpoint=endpoint.path, query=query)
                result.outcome, result.message = "stopped", str(e)
                return
            except (AuthFailed, Unavailable) as e:
                result.outcome, result.message = "stopped", str(e)
                raise _StopRun(e) from None
            except RateLimited as e:
                self._stop_endpoint(endpoint, e, result, query)
                return
            except CollectError as e:
                if e.scope == "endpoint":  # access denied
                    self._stop_endpoint(endpoint, e, result, query)
                    return
                detail = (e.fault.detail if e.fault else "") or str(e)
                self.flush()  # land this query's pages (and state) before rewriting it
                if not retried and e.kind == "bad_request" and state.cursor:
                    drop_cursor(self.con, key)  # an expired page token: start over
                    retried = True
                    continue
                if (
                    not retried
                    and e.kind == "bad_request"
                    and state.since_id
                    and "since_id" in detail
                ):
                    reset_since_id(self.con, key)  # too old for the endpoint's window
                    retried = True
                    continue
                self.run.error(e.kind, str(e), endpoint=endpoint.path, query=query)
                result.outcome, result.message = "stopped", str(e)
                return

    def _stop_endpoint(
        self, endpoint: Endpoint, e: CollectError, result: QueryResult, query: str
    ) -> None:
        self.stopped[endpoint.path] = str(e)
        self.run.error(e.kind, str(e), endpoint=endpoint.path, query=query)
        result.outcome, result.message = "stopped", str(e)

    def _paginate(
        self,
        key: StateKey,
        state: QueryState,
        fetch: Callable[[str | None, str | None], Iterator[Page]],
        result: QueryResult,
    ) -> None:
        last_line = time.monotonic()
        for page in fetch(state.since_id, state.cursor):
            update = page_update(key, state, newest_id=page.newest_id, next_cursor=page.next_token)
            self.land(page, key.query, update)
            state = after_page(state, update)
            result.pages += 1
            result.posts += _page_counts(page)[0]
            if time.monotonic() - last_line >= self.settings.progress_every:
                self.progress(
                    f"{self.t.slug}: {result.label}: {result.pages} pages, "
                    f"{result.posts} posts so far"
                )
                last_line = time.monotonic()
        if state.cursor:
            result.outcome = "more"
            result.message = (
                f"stopped after {self.settings.max_pages} pages (TERRITOIRES_X_MAX_PAGES); "
                "the next run continues"
            )

    # -- the pass ---------------------------------------------------------------------------------
    def resolve_accounts(self) -> None:
        """``/2/users/by`` for the handles whose id is not known yet."""
        missing = [
            h for h, uid in sql.territory_handles(self.con, self.t.slug, PLATFORM) if not uid
        ]
        for handle in [h for h in missing if not VALID_HANDLE.fullmatch(h)]:
            missing.remove(handle)  # X would refuse the whole request (HTTP 400)
            self.run.error(
                "bad_handle",
                f"@{handle} is not a valid X handle (1 to 15 letters, digits or _); "
                f"fix it in {self.t.source}",
                endpoint=USERS_BY.path,
            )
        if not missing:
            return
        result = QueryResult("account ids", USERS_BY.path, ",".join(missing))
        self.result.queries.append(result)
        try:
            for page in self.api.users_by_usernames(missing):
                self.land(page, result.query, None)
                result.pages += 1
            self.flush()
        except (AuthFailed, Unavailable) as e:
            result.outcome, result.message = "stopped", str(e)
            raise _StopRun(e) from None
        except CollectError as e:
            self.run.error(e.kind, str(e), endpoint=USERS_BY.path)
            result.outcome, result.message = "stopped", str(e)
            self.stopped[USERS_BY.path] = str(e)
            return
        resolve_account_ids(self.con, self.t.slug)
        for handle, uid in sql.territory_handles(self.con, self.t.slug, PLATFORM):
            if handle in missing and not uid:
                self.run.error(
                    "unknown_account",
                    f"@{handle}: X found no such account (renamed, suspended or mistyped?); "
                    f"check the handle in {self.t.source}",
                    endpoint=USERS_BY.path,
                )

    def collect(self) -> None:
        max_pages = self.settings.max_pages
        self.resolve_accounts()
        for handle, uid in sql.territory_handles(self.con, self.t.slug, PLATFORM):
            if not uid:
                continue
            self.query(
                MENTIONS,
                f"id={uid}",
                f"mentions of @{handle}",
                functools.partial(_fetch, self.api.mentions, uid, max_pages),
            )
            self.query(
                USER_TWEETS,
                f"id={uid}",
                f"posts of @{handle}",
                functools.partial(_fetch, self.api.user_tweets, uid, max_pages),
            )
        for label, q in search_queries(self.t, self.settings.query_max_length):
            self.query(
                SEARCH_RECENT,
                q,
                f"search {label}",
                functools.partial(_fetch, self.api.search_recent, q, max_pages),
            )

    def finish(self, stop: CollectError | None) -> None:
        self.flush()
        hard = [e for e in self.run.errors if e["kind"] not in SOFT_ERRORS]
        if isinstance(stop, AuthFailed):
            status, message = "failed", str(stop)
        elif stop is not None:
            status = "partial" if self.api.requests_ok else "failed"
            message = str(stop)
        elif hard:
            status = "partial"
            message = f"{len(hard)} problem(s); first: {hard[0]['message']}"
        else:
            status, message = "ok", None
        runlog.finish_run(self.con, self.run, status, message)


def collect(
    territories: list[Territory],
    db: str | os.PathLike[str],
    token: str,
    *,
    base_url: str | None = None,
    policy: RetryPolicy | None = None,
    settings: CollectSettings | None = None,
    lock_wait: float = 60.0,
    progress: Callable[[str], None] = lambda line: None,
    sleep: Callable[[float], None] = time.sleep,
) -> CollectReport:
    """One pass over every territory; returns what happened (also in ``collect_runs``)."""
    settings = settings or CollectSettings.from_env()
    db = str(db)
    passes: list[_Pass] = []

    def before_wait(line: str) -> None:
        if passes:  # land what the current pass fetched before a possibly long wait
            passes[-1].flush()
        progress(line)

    with writer(db, wait=lock_wait) as con:
        api = XApi(
            token,
            base_url=base_url,
            policy=policy or RetryPolicy.from_env(),
            on_malformed=lambda body, why, url: report.rejected.append(
                f"{spool.reject(db, body, f'{url}: {why}')}: {why}"
            ),
            on_wait=before_wait,
            sleep=sleep,
        )
        report = CollectReport(db=db, base_url=api.base_url)
        leftovers = len(spool.pending(db))
        if leftovers:
            progress(f"landing {leftovers} page(s) fetched by an earlier run that stopped")
        report.drained = spool.drain(con, db)
        runlog.close_stale_runs(con, PLATFORM)
        stop_all: CollectError | None = None
        for territory in territories:
            save_territory(con, territory)
            started = time.monotonic()
            p = _Pass(con, db, api, territory, settings, progress, report)
            passes.append(p)
            p.result.posts_before = sql.territory_post_count(con, territory.slug, PLATFORM)
            stop: CollectError | None = stop_all
            if stop_all is None:
                progress(f"{territory.slug}: collecting")
                try:
                    p.collect()
                except _StopRun as e:
                    stop = e.error
                    p.run.error(stop.kind, str(stop), endpoint=stop.endpoint)
                    if isinstance(e.error, AuthFailed | Unavailable):
                        stop_all = e.error
                except BaseException as e:  # an unexpected bug: close the run honestly
                    p.run.error("internal", f"{type(e).__name__}: {e}")
                    runlog.finish_run(con, p.run, "failed", f"internal error: {type(e).__name__}")
                    raise
            elif stop is not None:
                p.run.error(stop.kind, f"not attempted: {stop}")
            p.finish(stop)
            p.result.posts_after = sql.territory_post_count(con, territory.slug, PLATFORM)
            p.result.seconds = time.monotonic() - started
            p.maybe_publish(force=True)
            report.territories.append(p.result)
    return report


# -- the one-screen summary ---------------------------------------------------------------------
def _n(x: int) -> str:
    return f"{x:,}".replace(",", " ")


def summary(report: CollectReport) -> str:
    """A one-screen, plain-words account of the pass."""
    lines = [f"X API v2 at {report.base_url} → {report.db}"]
    d = report.drained
    if d.files:
        lines.append(f"  landed {d.files} page(s) left in the spool by an earlier run")
    for t in report.territories:
        run = t.run
        lines.append(
            f"{t.name} ({t.slug}): {run.status.upper()} in {t.seconds:.1f} s — run #{run.run_id}"
        )
        lines.append(
            f"  {_n(run.pages)} pages · {_n(run.posts)} posts read · {_n(run.users)} profiles read"
            f" · posts in the warehouse {_n(t.posts_after)} (+{_n(t.posts_after - t.posts_before)})"
        )
        reads = ", ".join(
            f"{_n(n)} {k.replace('_', ' ')}s × ${run.prices.get(k, 0):g}"
            for k, n in sorted(run.reads.items())
            if n
        )
        lines.append(f"  estimated cost ${run.cost_usd:.2f}" + (f" ({reads})" if reads else ""))
        outcomes = [q.outcome for q in t.queries]
        lines.append(
            f"  {len(t.queries)} queries: {outcomes.count('done')} complete"
            + "".join(
                f", {outcomes.count(o)} {word}"
                for o, word in (
                    ("more", "to continue next run"),
                    ("stopped", "stopped"),
                    ("skipped", "skipped"),
                )
                if o in outcomes
            )
        )
        shown = [q for q in t.queries if q.posts or q.outcome != "done"]
        for q in shown[:8]:
            tail = "" if q.outcome == "done" else f" [{q.outcome}]"
            lines.append(f"  · {q.label}: {q.pages} pages, {_n(q.posts)} posts{tail}")
        if len(shown) > 8:
            lines.append(f"  · … and {len(shown) - 8} more queries")
        soft = sum(1 for e in run.errors if e["kind"] in SOFT_ERRORS)
        if soft:
            lines.append(f"  {soft} page(s) carried partial errors (recorded in page_errors)")
        for e in [e for e in run.errors if e["kind"] not in SOFT_ERRORS][:4]:
            lines.append(f"  ! {e['message']}")
    for r in [*report.drained.rejected, *report.rejected][:4]:
        lines.append(f"  ! kept aside for inspection: {r}")
    return redact("\n".join(lines))  # no secret printed, URL passwords included (redact.py)
