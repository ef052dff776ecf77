"""One collection pass over the X API v2 for one or more territories.

For each territory, through the shared landing mechanism (:mod:`collectors.landing`: the
spool, batches, state, run log, snapshot):

1. resolve the city accounts' handles that have no id yet (``/2/users/by``);
2. for each city account, its mentions (``/2/users/:id/mentions``) and its own posts
   (``/2/users/:id/tweets``);
3. recent search (``/2/tweets/search/recent``) for the tracked hashtags, keywords and
   city domains (``url:``), the reposts (``retweets_of:``) and quotes (``quotes_of:``) of
   the city accounts (:func:`search_queries`).

A query resumes where it stopped (``collect_state``), so a run killed at any moment and run
again ends with every post exactly once. One token serves every territory: an error that
stops a run (token refused, API down) stops the pass.
"""

from __future__ import annotations

import functools
import os
import re
import time
from collections.abc import Callable, Iterator
from typing import Any

from collectors import landing, spool
from collectors.faults import (
    AuthFailed,
    CollectError,
    RateLimited,
    RetryPolicy,
    Unavailable,
)
from collectors.landing import (
    CollectReport,
    CollectSettings,
    Counts,
    Landing,
    QueryResult,
    RunSummary,
)
from collectors.redact import redact
from collectors.state import (
    QueryState,
    StateKey,
    after_page,
    drop_cursor,
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
from warehouse.territory import resolve_account_ids

__all__ = [
    "CollectReport",
    "CollectSettings",
    "QueryResult",
    "RunSummary",
    "XPlatform",
    "collect",
    "search_queries",
    "summary",
]

PLATFORM = "x"
VALID_HANDLE = re.compile(r"[A-Za-z0-9_]{1,15}")  # X's username rule (OpenAPI UserName)
SOFT_ERRORS = ("partial_errors",)  # recorded, but the run is still ok
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


def _page_counts(page: Page) -> Counts:
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
    """The X queries of one territory, landed through one :class:`Landing`."""

    def __init__(self, landing: Landing, api: XApi) -> None:
        self.landing, self.api, self.t = landing, api, landing.territory
        self.con, self.run, self.result = landing.con, landing.run, landing.summary
        self.settings, self.progress = landing.settings, landing.progress
        self.stopped = landing.stopped  # endpoint path -> why

    def land(self, page: Page, query: str, update: dict[str, Any] | None) -> None:
        """Record a 200 answer's partial errors, then spool the page for the next batch."""
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
        self.landing.spool(
            body=page.body,
            endpoint=page.endpoint.path,
            query=query,
            origin=page.url,
            counts=_page_counts(page),
            state=update,
        )

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
            state = self.landing.state(key)
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
                self.landing.flush()  # land this query's pages (and state) before rewriting it
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
                f"stopped after {self.landing.max_pages} pages (TERRITOIRES_X_MAX_PAGES); "
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
            self.landing.flush()
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
        max_pages = self.landing.max_pages
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


class XPlatform:
    """X for :func:`collectors.landing.collect`: one bearer token for every territory."""

    name = PLATFORM
    stop_all = True  # the token is refused, or the API is down, for every territory

    def __init__(
        self,
        token: str,
        *,
        base_url: str | None = None,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.token, self.base_url, self.policy, self.sleep = token, base_url, policy, sleep
        self.api: XApi | None = None

    def start(
        self,
        db: str,
        report: CollectReport,
        flush: Callable[[], None],
        progress: Callable[[str], None],
    ) -> None:
        def before_wait(line: str) -> None:
            flush()  # land what the current run fetched before a possibly long wait
            progress(line)

        self.api = XApi(
            self.token,
            base_url=self.base_url,
            policy=self.policy or RetryPolicy.from_env(),
            on_malformed=lambda body, why, url: report.rejected.append(
                f"{spool.reject(db, body, f'{url}: {why}')}: {why}"
            ),
            on_wait=before_wait,
            sleep=self.sleep,
        )
        report.base_url = self.api.base_url

    def wants(self, territory: Territory) -> bool:
        return True  # the tracked hashtags and keywords are searched even without an account

    def collect(self, landing: Landing) -> None:
        assert self.api is not None, "start() opens the API client"
        try:
            _Pass(landing, self.api).collect()
        except _StopRun as e:
            landing.run.error(e.error.kind, str(e.error), endpoint=e.error.endpoint)
            raise e.error from None

    def verdict(self, landing: Landing, stop: CollectError | None) -> tuple[str, str | None]:
        hard = [e for e in landing.run.errors if e["kind"] not in SOFT_ERRORS]
        if isinstance(stop, AuthFailed):
            return "failed", str(stop)
        if stop is not None:
            return ("partial" if self.api and self.api.requests_ok else "failed"), str(stop)
        if hard:
            return "partial", f"{len(hard)} problem(s); first: {hard[0]['message']}"
        return "ok", None

    def summary(self, report: CollectReport) -> str:
        return summary(report)


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
    return landing.collect(
        XPlatform(token, base_url=base_url, policy=policy, sleep=sleep),
        territories,
        db, settings=settings, lock_wait=lock_wait, progress=progress
    )


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
