"""Mastodon collector: mentions of the city, its statuses, threads, hashtag timelines.

Endpoints (Mastodon REST API, through ``Mastodon.py``):

* ``GET /api/v1/accounts/lookup`` → each city account (its profile url becomes
  ``territory_accounts.user_id``, the id scheme of :mod:`collectors.mastodon_map`);
* ``GET /api/v1/notifications?types[]=mention&types[]=reblog&types[]=quote`` on the
  account's own server, with its token: mentions and replies addressed to the city, and
  boosts and quotes of its statuses (relays);
* ``GET /api/v1/accounts/:id/statuses``: the city's statuses, replies and boosts;
* ``GET /api/v1/statuses/:id/context``: the thread of every new reply whose root is not
  known yet (so replies get their parent's and root's ``uri``), at most ``max_threads``;
* ``GET /api/v1/timelines/tag/:hashtag`` for each tracked hashtag on the city accounts'
  servers and on every server in ``[tracking] mastodon_instances`` (each server only sees
  what it federates, so several may be needed).

Paging and state (``collect_state``): the first pass pages back from the newest status
(``Link: rel="next"``, ``max_id``), keeping the cursor if it stops early; later passes move
forward from the newest id that landed (``min_id``, ``Link: rel="prev"``), and each page
advances ``since_id`` as it lands. Ids are local to each server, so the state's query names
the server.

Limits: Mastodon allows 300 requests per 5 minutes per account (and per IP for public
calls); :class:`Pacer` keeps each server under ``300`` per rolling 5 minutes and slows
down when ``X-RateLimit-Remaining`` runs low. A 429 is handled by the shared retry policy
(:mod:`collectors.faults`), which waits until ``X-RateLimit-Reset``.

Secrets: the token comes from ``MASTODON_ACCESS_TOKEN`` (or
``MASTODON_ACCESS_TOKEN__<ACCT>``, upper-cased with non-alphanumerics as ``_``); it is only
sent to the account's own server and never printed. Base URLs: ``https://<server>``, or
``$TERRITOIRES_MASTODON_URLS`` (``server=url,server2=url2``) for a proxy or the tests.
"""

from __future__ import annotations

import collections
import json
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

import duckdb
import requests
from mastodon import Mastodon
from mastodon import errors as m_exc

from collectors import mastodon_map
from collectors.faults import AuthFailed, CollectError, Fault, RetryPolicy, call_with_retries
from collectors.landing import (
    CollectSettings,
    Landing,
    PerAccountPlatform,
    collect_territory,
)
from collectors.mastodon_map import Known
from collectors.state import StateKey, after_page, page_update
from model import Territory, settings, tag_key
from warehouse.territory import set_account_id

PLATFORM = "mastodon"
ENV_TOKEN = "MASTODON_ACCESS_TOKEN"
ENV_URLS = "TERRITOIRES_MASTODON_URLS"
WINDOW, WINDOW_REQUESTS = 300.0, 300
# mentions (interpellations), boosts and quotes of the city's statuses (relays)
NOTIFICATION_TYPES = ("mention", "reblog", "quote")


def token_for(acct: str, env: Mapping[str, str] | None = None) -> str | None:
    """The access token of ``acct`` (``name@server``) from the environment (never logged)."""
    return settings.MASTODON_ACCESS_TOKEN.get(env, key=acct)


def base_urls(value: dict[str, str] | None = None, env: Mapping[str, str] | None = None
              ) -> dict[str, str]:
    """Server → base URL overrides: ``value``, else ``$TERRITOIRES_MASTODON_URLS``."""
    if value is not None:
        return {k.lower(): v.rstrip("/") for k, v in value.items()}
    out: dict[str, str] = {}
    for part in (settings.MASTODON_URLS.get(env) or "").split(","):
        if part.strip():
            server, sep, url = part.partition("=")
            if not sep or not url.strip().startswith(("http://", "https://")):
                raise ValueError(f"{ENV_URLS}: expected server=https://url pairs, got {part!r}")
            out[server.strip().lower()] = url.strip().rstrip("/")
    return out


def split_handle(handle: str) -> tuple[str, str]:
    """``ville@server`` → (``ville``, ``server``)."""
    user, sep, server = handle.lstrip("@").partition("@")
    if not sep or not user or not server:
        raise CollectError(f"mastodon: account {handle!r} must be written name@server")
    return user, server.lower()


class Pacer:
    """At most ``WINDOW_REQUESTS`` requests per rolling ``WINDOW`` seconds on one server."""

    def __init__(
        self,
        limit: int = WINDOW_REQUESTS,
        window: float = WINDOW,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.limit, self.window, self.sleep = limit, window, sleep
        self.sent: collections.deque[float] = collections.deque()
        self.remaining: int | None = None
        self.reset_at: float | None = None

    def wait(self) -> None:
        now = time.time()
        while self.sent and now - self.sent[0] >= self.window:
            self.sent.popleft()
        if len(self.sent) >= self.limit:
            self.sleep(self.window - (now - self.sent[0]))
        elif (
            self.remaining is not None
            and self.remaining <= 1
            and self.reset_at
            and self.reset_at > now
        ):
            self.sleep(min(self.reset_at - now, self.window))
        self.sent.append(time.time())


@dataclass
class Captured:
    url: str
    status: int
    text: bytes
    headers: dict[str, str]


@dataclass
class Server:
    """One Mastodon server: a ``Mastodon.py`` client, its raw responses, what it showed us."""

    domain: str
    base: str
    policy: RetryPolicy
    token: str | None = None
    known: Known = field(init=False)
    pacer: Pacer = field(default_factory=Pacer)
    last: Captured | None = None

    def __post_init__(self) -> None:
        self.known = Known(self.domain)
        session = requests.Session()
        session.hooks["response"].append(self._keep)
        self.api = Mastodon(
            access_token=self.token,
            api_base_url=self.base,
            ratelimit_method="throw",
            request_timeout=self.policy.timeout,
            session=session,
            version_check_mode="none",
        )

    def _keep(self, response: requests.Response, *_a: Any, **_k: Any) -> None:
        if "/api/v1/instance" in response.url or "/api/v2/instance" in response.url:
            return  # Mastodon.py's own version look-ups are not pages
        self.last = Captured(
            response.url,
            response.status_code,
            response.content,
            {k.lower(): v for k, v in response.headers.items()},
        )
        remaining = response.headers.get("X-RateLimit-Remaining")
        self.pacer.remaining = int(remaining) if remaining and remaining.isdigit() else None
        self.pacer.reset_at = _reset(response.headers.get("X-RateLimit-Reset"))

    def call(self, endpoint: str, fn: Callable[[], Any]) -> tuple[Any, Any, bytes, str]:
        """Run one client call with retries; (client result, parsed JSON, raw bytes, URL)."""

        def once() -> tuple[Any, Any, bytes, str]:
            self.pacer.wait()
            self.last = None
            result = fn()
            if self.last is None:  # Mastodon.py answered without a request (no next page)
                return result, None, b"", ""
            return result, json.loads(self.last.text), self.last.text, self.last.url

        return call_with_retries(
            once, endpoint=endpoint, classify=self.classify, policy=self.policy
        )

    def classify(self, exc: BaseException) -> Fault | None:
        last = self.last
        if isinstance(exc, m_exc.MastodonRatelimitError):
            reset = _reset((last.headers if last else {}).get("x-ratelimit-reset"))
            return Fault("rate_limit", 429, "rate limit reached", reset_at=reset)
        if isinstance(exc, m_exc.MastodonNetworkError):
            return Fault("unavailable", detail=f"connection failed ({type(exc).__name__})")
        if isinstance(exc, m_exc.MastodonServerError):
            return Fault("unavailable", _status(exc), "server error")
        if isinstance(exc, m_exc.MastodonUnauthorizedError):
            return Fault("auth", 401, "token refused")
        if isinstance(exc, m_exc.MastodonNotFoundError):
            return Fault("not_found", 404, "not found")
        if isinstance(exc, m_exc.MastodonAPIError):
            status = _status(exc)
            if "Could not parse response as JSON" in str(exc.args[0] if exc.args else ""):
                return Fault(  # args[1] is the parse error's text here, not a status
                    "malformed",
                    last.status if last else status,
                    "the server's answer is not JSON",
                    body=last.text if last else None,
                )
            if status == 403:
                return Fault("forbidden", 403, "forbidden")
            return Fault("bad_request", status, "request refused")
        if isinstance(exc, ValueError):  # json.loads of our own capture
            return Fault(
                "malformed",
                last.status if last else None,
                "not JSON",
                body=last.text if last else None,
            )
        return None


def _status(exc: BaseException) -> int | None:
    """The HTTP status Mastodon.py puts second in an API error's ``args``, if it is one."""
    args = exc.args
    return args[1] if len(args) > 1 and isinstance(args[1], int) else None


def _fetch_notifications(srv: Server) -> Callable[[dict[str, Any]], Any]:
    """``GET /api/v1/notifications`` (mentions, replies, quotes, boosts) with paging params."""

    def fetch(p: dict[str, Any]) -> Any:
        return srv.api.notifications(types=list(NOTIFICATION_TYPES), limit=40, **p)

    return fetch


def _fetch_account_statuses(srv: Server, account_id: Any) -> Callable[[dict[str, Any]], Any]:
    """``GET /api/v1/accounts/:id/statuses`` with paging params."""

    def fetch(p: dict[str, Any]) -> Any:
        return srv.api.account_statuses(account_id, limit=40, **p)

    return fetch


def _fetch_hashtag(srv: Server, tag: str) -> Callable[[dict[str, Any]], Any]:
    """``GET /api/v1/timelines/tag/:hashtag`` with paging params."""

    def fetch(p: dict[str, Any]) -> Any:
        return srv.api.timeline_hashtag(tag, limit=40, **p)

    return fetch


def _reset(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return (
            float(value)
            if value.replace(".", "").isdigit()
            else datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        )
    except ValueError:
        return None


# -- collecting ------------------------------------------------------------------------------
@dataclass
class Collector:
    s: Landing
    max_pages: int
    max_threads: int
    threads_fetched: int = 0

    def _fail(self, e: CollectError, endpoint: str, qtext: str) -> None:
        if e.kind == "malformed" and e.fault is not None and e.fault.body is not None:
            self.s.keep_malformed(e.fault.body, endpoint, qtext, str(e))
        self.s.failed(e, endpoint, qtext)

    def _land(
        self,
        srv: Server,
        kind: str,
        doc: Any,
        raw: bytes,
        url: str,
        endpoint: str,
        qtext: str,
        state: dict[str, Any] | None = None,
    ) -> None:
        mastodon_map.remember(doc, srv.known)
        if kind in ("statuses", "notifications"):
            self._threads(srv, doc)
        page, page_kind = mastodon_map.canonical(kind, doc, srv.known)
        self.s.spool_mapped(
            body=raw.decode("utf-8", "replace"),
            doc_page=page,
            kind=page_kind,
            endpoint=endpoint,
            query=qtext,
            origin=url,
            state=state,
        )

    def _threads(self, srv: Server, doc: Any) -> None:
        """Fetch ``/context`` for new replies whose thread root is unknown (landed first)."""
        statuses = [n.get("status") if "type" in n else n for n in doc if isinstance(n, dict)]
        for st in statuses:
            if not isinstance(st, dict) or st.get("in_reply_to_id") is None:
                continue
            if (
                srv.known.root(str(st["in_reply_to_id"]))
                or self.threads_fetched >= self.max_threads
            ):
                continue
            endpoint = "/api/v1/statuses/:id/context"
            if endpoint in self.s.stopped:
                return
            self.threads_fetched += 1
            try:
                _r, ctx, raw, url = srv.call(endpoint, partial(srv.api.status_context, st["id"]))
            except CollectError as e:
                self._fail(e, endpoint, f"{srv.domain} {st['id']}")
                continue
            if isinstance(ctx, dict):
                mastodon_map.remember(ctx, srv.known)
                self._land(srv, "context", ctx, raw, url, endpoint, f"{srv.domain} {st['id']}")

    def query(
        self,
        srv: Server,
        endpoint: str,
        qtext: str,
        kind: str,
        fetch: Callable[[dict[str, Any]], Any],
    ) -> None:
        """Page through one incremental query (see the module docstring)."""
        if endpoint in self.s.stopped:
            return
        key = StateKey(self.s.territory.slug, PLATFORM, endpoint, qtext)
        before = self.s.state(key)
        forward = before.since_id is not None and before.cursor is None
        if forward:
            params: dict[str, Any] = {"min_id": before.since_id}
        elif before.cursor:
            params = {"max_id": before.cursor}
        else:
            params = {}
        call: Callable[[], Any] = lambda: fetch(params)  # noqa: E731
        for n in range(self.max_pages):
            try:
                result, doc, raw, url = srv.call(endpoint, call)
            except CollectError as e:
                self._fail(e, endpoint, qtext)
                return
            if not isinstance(doc, list) or not doc:
                if not forward and before.resuming:  # past the oldest page: pagination done
                    self.s.put_state(page_update(key, before, newest_id=None, next_cursor=None))
                return
            ids = [str(d["id"]) for d in doc if isinstance(d, dict) and "id" in d]
            newest, oldest = max(ids, key=int), min(ids, key=int)
            if forward:
                update = {**key.__dict__, "since_id": newest, "cursor": None, "newest_seen": None}
            else:
                reached = before.since_id is not None and int(oldest) <= int(before.since_id)
                more = getattr(result, "_pagination_next", None) is not None and not reached
                update = page_update(
                    key,
                    before,
                    newest_id=newest,
                    next_cursor=oldest if more and n < self.max_pages - 1 else None,
                )
                if more and n == self.max_pages - 1:  # cut short: keep the cursor, resume later
                    update = page_update(key, before, newest_id=newest, next_cursor=oldest)
            self._land(srv, kind, doc, raw, url, endpoint, qtext, update)
            before = after_page(before, update)
            if forward:
                if getattr(result, "_pagination_prev", None) is None:
                    return
                call = partial(srv.api.fetch_previous, result)
            else:
                if not update.get("cursor") or n == self.max_pages - 1:
                    return
                call = partial(srv.api.fetch_next, result)


class MastodonPlatform(PerAccountPlatform):
    """Mastodon for :func:`collectors.landing.collect`: each account's server, its token."""

    name = PLATFORM

    def __init__(
        self,
        *,
        bases: dict[str, str] | None = None,
        policy: RetryPolicy | None = None,
        env: Mapping[str, str] | None = None,
        max_threads: int = 100,
    ) -> None:
        self.urls = base_urls(bases, env)
        self.policy, self.env, self.max_threads = policy, env, max_threads

    def wants(self, territory: Territory) -> bool:
        return bool(territory.mastodon_instances) or any(
            a.platform == PLATFORM for a in territory.accounts
        )

    def collect(self, s: Landing) -> None:
        """One collection pass over Mastodon for the run's territory."""
        territory, con, log, env = s.territory, s.con, s.progress, self.env
        policy, urls = self.policy or RetryPolicy.from_env(), self.urls
        accounts = [a for a in territory.accounts if a.platform == PLATFORM]
        servers: dict[str, Server] = {}

        def server(domain: str, token: str | None = None) -> Server:
            if domain not in servers or (token and not servers[domain].token):
                base = urls.get(domain, f"https://{domain}")
                servers[domain] = Server(domain, base, policy, token)
            return servers[domain]

        c = Collector(s, s.max_pages, self.max_threads)
        for a in accounts:
            try:
                user, domain = split_handle(a.handle)
            except CollectError as e:
                s.run.error("config", str(e), None, a.handle)
                continue
            srv = server(domain, token_for(f"{user}@{domain}", env))
            endpoint = "/api/v1/accounts/lookup"
            try:
                _r, acc, raw, url = srv.call(endpoint, partial(srv.api.account_lookup, user))
            except CollectError as e:
                c._fail(e, endpoint, a.handle)
                continue
            c._land(srv, "accounts", acc, raw, url, endpoint, a.handle)
            uid = mastodon_map.account_id(acc)
            if uid:
                s.flush()  # the warehouse is written after the pages fetched so far
                set_account_id(con, territory.slug, PLATFORM, a.handle, uid)
            if srv.token:
                c.query(
                    srv,
                    "/api/v1/notifications",
                    f"{domain} {a.handle}",
                    "notifications",
                    _fetch_notifications(srv),
                )
            else:
                s.run.error(
                    "auth",
                    f"mastodon: no token for {a.handle} (set {ENV_TOKEN}); "
                    "its mentions are not collected",
                    "/api/v1/notifications",
                    a.handle,
                )
            c.query(
                srv,
                "/api/v1/accounts/:id/statuses",
                f"{domain} {a.handle}",
                "statuses",
                _fetch_account_statuses(srv, acc["id"]),
            )
        domains = list(
            dict.fromkeys([*servers, *(d.lower() for d in territory.mastodon_instances)])
        )
        for domain in domains:
            srv = server(domain)
            for tag in territory.hashtags:
                name = tag.lstrip("#")
                c.query(
                    srv,
                    "/api/v1/timelines/tag/:hashtag",
                    f"{domain} #{tag_key(tag)}",
                    "statuses",
                    _fetch_hashtag(srv, name),
                )
        s.flush()  # the run's counters are those of the pages that landed
        if not s.run.pages and any(e["kind"] == "auth" for e in s.run.errors):
            raise AuthFailed("; ".join(e["message"] for e in s.run.errors if e["kind"] == "auth"))
        log(f"mastodon: {s.run.pages} pages, {s.run.posts} posts from {len(servers)} server(s)")


def collect(
    con: duckdb.DuckDBPyConnection,
    db: str | os.PathLike[str],
    territory: Territory,
    *,
    bases: dict[str, str] | None = None,
    policy: RetryPolicy | None = None,
    env: Mapping[str, str] | None = None,
    max_pages: int | None = None,
    max_threads: int = 100,
    log: Callable[[str], None] = lambda _m: None,
) -> int:
    """One run of :class:`MastodonPlatform` for ``territory`` on ``con`` (the caller holds the
    writer, ``warehouse.db.writer``); returns the run id. Failures end the run ``partial``
    (or ``failed`` when nothing landed) with the reason in the run log.
    """
    platform = MastodonPlatform(bases=bases, policy=policy, env=env, max_threads=max_threads)
    settings = CollectSettings.from_env(max_pages)
    result = collect_territory(platform, con, db, territory, settings=settings, progress=log)
    return result.run.run_id
