"""Bluesky collector: the city accounts' notifications, posts, threads, and searches.

Endpoints (AT Protocol XRPC, through the ``atproto`` SDK's client):

* ``com.atproto.identity.resolveHandle`` → each city handle's DID (stored as the account's
  ``territory_accounts.user_id``, so the metrics treat it as a city account);
* ``app.bsky.notification.listNotifications`` (per city account with an app password):
  mentions, replies, quotes and reposts of the city;
* ``app.bsky.feed.getAuthorFeed``: the city's own posts, replies and reposts;
* ``app.bsky.feed.searchPosts``: ``tag`` for each tracked hashtag, ``mentions`` for each city
  handle, ``domain`` for each city domain, ``q`` for each keyword (``sort=latest``);
* ``app.bsky.feed.getPostThread``: the whole thread of each conversation a notification
  touched this run (the city's answers and the other participants);
* ``app.bsky.feed.getPosts``: originals that were reposted, quoted or replied to and not
  yet in the warehouse (stored as referenced originals, not counted);
* ``app.bsky.actor.getProfiles``: the city profiles and the authors whose follower count is
  unknown (the reach and the local tweetos ranking need it).

Incremental state (``collect_state``, via :mod:`collectors.state`): ``since_id`` holds the
newest ``indexedAt`` that has landed (ISO-8601 UTC, compared as text); paging (``cursor``)
stops at the first page that reaches it; a pagination cut short (page cap, rate limit,
crash) keeps its cursor and resumes on the next run.

Secrets and sessions. The app password comes from ``BLUESKY_APP_PASSWORD`` (or
``BLUESKY_APP_PASSWORD__<HANDLE>``, the handle upper-cased with non-alphanumerics as ``_``,
for several accounts); it is never printed. Bluesky caps logins (``createSession``) at 30
per 5 minutes and 300 a day per account, so the session is exported after login and on
every refresh to a file outside the warehouse (``$TERRITOIRES_BLUESKY_SESSION_DIR``, default
``~/.config/territoires/bluesky/``, mode 600) and imported on the next run; a login happens
only when no usable session exists, and a local log of logins refuses to exceed the caps.

Base URL: ``$TERRITOIRES_BLUESKY_API_URL`` (default ``https://bsky.social``), for a proxy or
the tests' fake server.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import httpx
from atproto import Client
from atproto_client import exceptions as at_exc
from atproto_client.request import Request

from collectors import bluesky_map
from collectors.faults import (
    AuthFailed,
    CollectError,
    Fault,
    RetryPolicy,
    call_with_retries,
)
from collectors.landing import (
    CollectReport,
    CollectSettings,
    Landing,
    PerAccountPlatform,
    collect_territory,
)
from collectors.state import StateKey, after_page, page_update
from model import Territory, settings, tag_key
from warehouse import social
from warehouse.territory import set_account_id

PLATFORM = "bluesky"
DEFAULT_BASE_URL = "https://bsky.social"
ENV_BASE_URL = "TERRITOIRES_BLUESKY_API_URL"
ENV_SESSION_DIR = "TERRITOIRES_BLUESKY_SESSION_DIR"
ENV_PASSWORD = "BLUESKY_APP_PASSWORD"
LOGIN_CAPS = ((5 * 60, 30), (24 * 3600, 300))  # (window seconds, logins) per account


def password_for(handle: str, env: Mapping[str, str] | None = None) -> str | None:
    """The app password of ``handle`` from the environment (never logged)."""
    return settings.BLUESKY_APP_PASSWORD.get(env, key=handle)


def base_url(value: str | None = None) -> str:
    base = (value or settings.BLUESKY_API_URL.get() or DEFAULT_BASE_URL).strip().rstrip("/")
    if not base.startswith(("http://", "https://")):
        raise ValueError(f"{ENV_BASE_URL}: expected an http:// or https:// URL, got {base!r}")
    return base


def session_dir(value: str | os.PathLike[str] | None = None) -> Path:
    raw = value or settings.BLUESKY_SESSION_DIR.get()
    return Path(raw) if raw else Path.home() / ".config" / "territoires" / "bluesky"


class LoginCapReached(AuthFailed):
    """Logging in now would exceed Bluesky's caps: wait, do not insist."""


@dataclass
class RawResponse:
    url: str
    status: int
    text: bytes
    headers: dict[str, str]


class BlueskyApi:
    """One logged-in ``atproto`` client whose raw responses are kept (pages land as they came)."""

    def __init__(self, handle: str, base: str, policy: RetryPolicy, sessions: Path) -> None:
        self.handle = handle
        self.base = base
        self.policy = policy
        self.sessions = sessions
        self.last: RawResponse | None = None
        self.logins = 0
        request = Request(timeout=policy.timeout, event_hooks={"response": [self._keep]})
        self.client = Client(base_url=base, request=request)
        self.client.on_session_change(lambda _event, _session: self._save_session())

    def _keep(self, response: httpx.Response) -> None:
        response.read()
        self.last = RawResponse(
            str(response.url),
            response.status_code,
            response.content,
            {k.lower(): v for k, v in response.headers.items()},
        )

    # -- sessions -----------------------------------------------------------------------
    @property
    def session_file(self) -> Path:
        tag = hashlib.sha1(self.base.encode()).hexdigest()[:10]
        safe = re.sub(r"[^A-Za-z0-9._-]", "_", self.handle)
        return self.sessions / f"{safe}@{tag}.session"

    @property
    def login_log(self) -> Path:
        return self.session_file.with_suffix(".logins")

    def _save_session(self) -> None:
        self.sessions.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = self.session_file.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(self.client.export_session_string())
        os.replace(tmp, self.session_file)

    def _check_login_caps(self, now: float) -> list[float]:
        try:
            stamps = [float(x) for x in json.loads(self.login_log.read_text())]
        except (OSError, ValueError, TypeError):
            stamps = []
        stamps = [s for s in stamps if now - s < LOGIN_CAPS[-1][0]]
        for window, cap in LOGIN_CAPS:
            if sum(1 for s in stamps if now - s < window) >= cap:
                raise LoginCapReached(
                    f"bluesky: not logging in as {self.handle}: {cap} logins in the last "
                    f"{window // 60} minutes is Bluesky's cap; the next run will try again"
                )
        return stamps

    def login(self, password: str | None) -> None:
        """Reuse the stored session; log in with the app password only if there is none."""
        if self.session_file.exists():
            try:
                self.client.login(
                    session_string=self.session_file.read_text().strip(), fetch_bsky_profile=False
                )
                self.call("com.atproto.identity.resolveHandle", {"handle": self.handle})
                return
            except (at_exc.AtProtocolError, CollectError, ValueError) as e:
                if isinstance(e, CollectError) and e.kind not in ("auth", "bad_request"):
                    raise
                self.session_file.unlink(missing_ok=True)  # expired or revoked: log in again
        if not password:
            raise AuthFailed(
                f"bluesky: no app password for {self.handle}: set {ENV_PASSWORD} (or "
                f"{settings.BLUESKY_APP_PASSWORD.variables(self.handle)[0]}) in the environment"
            )
        now = time.time()
        stamps = self._check_login_caps(now)
        self.sessions.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.login_log.write_text(json.dumps([*stamps, now]))
        try:
            self.client.login(self.handle, password, fetch_bsky_profile=False)
        except at_exc.UnauthorizedError:
            raise AuthFailed(
                f"bluesky: the app password of {self.handle} was refused (HTTP 401); check "
                f"{ENV_PASSWORD} in the environment (it is never printed)"
            ) from None
        except at_exc.AtProtocolError as e:
            raise AuthFailed(f"bluesky: login as {self.handle} failed ({classify(e)})") from None
        self.logins += 1
        self._save_session()

    # -- requests -----------------------------------------------------------------------
    def _method(self, nsid: str) -> Callable[..., Any]:
        ns = self.client
        parts = nsid.split(".")
        for part in parts[:-1]:
            ns = getattr(ns, part)
        name = re.sub(r"(?<!^)(?=[A-Z])", "_", parts[-1]).lower()
        return getattr(ns, name)

    def call(self, nsid: str, params: dict[str, Any]) -> tuple[dict[str, Any], bytes, str]:
        """One XRPC query with retries; returns the parsed page, its raw bytes and URL."""
        method = self._method(nsid)

        def once() -> tuple[dict[str, Any], bytes, str]:
            self.last = None
            method(params=params)
            assert self.last is not None
            return json.loads(self.last.text), self.last.text, self.last.url

        return call_with_retries(once, endpoint=nsid, classify=self.classify, policy=self.policy)

    def classify(self, exc: BaseException) -> Fault | None:
        return classify(exc, self.last)


def classify(exc: BaseException, last: RawResponse | None = None) -> Fault | None:
    """An ``atproto`` (or parsing) exception as a :class:`~collectors.faults.Fault`."""
    if isinstance(exc, at_exc.InvokeTimeoutError):
        return Fault("unavailable", detail="no answer within the timeout")
    if isinstance(exc, at_exc.RequestErrorBase):
        resp = exc.response
        if resp is None:
            return Fault("unavailable", detail=f"connection failed ({type(exc).__name__})")
        status = resp.status_code
        content = resp.content
        detail = ""
        if hasattr(content, "error"):
            detail = (
                f"{getattr(content, 'error', '')}: {getattr(content, 'message', '') or ''}".strip(
                    ": "
                )
            )
        headers = {k.lower(): v for k, v in (resp.headers or {}).items()}
        if status == 429:
            reset = headers.get("ratelimit-reset")
            return Fault(
                "rate_limit",
                status,
                detail,
                reset_at=float(reset) if reset and reset.isdigit() else None,
            )
        if status >= 500 or status in (408, 409, 413):
            return Fault("unavailable", status, detail)
        if status == 401 or "ExpiredToken" in detail or "InvalidToken" in detail:
            return Fault("auth", status, detail)
        if status == 403:
            return Fault("forbidden", status, detail)
        if status == 404:
            return Fault("not_found", status, detail)
        return Fault("bad_request", status, detail)
    if isinstance(exc, at_exc.NetworkError | httpx.TransportError):
        return Fault("unavailable", detail=f"connection failed ({type(exc).__name__})")
    if isinstance(exc, ValueError | at_exc.ModelError):  # body not JSON, or not the lexicon
        detail = f"{type(exc).__name__}: {str(exc)[:200]}"
        return Fault(
            "malformed", last.status if last else None, detail, body=last.text if last else None
        )
    return None


# -- collecting ------------------------------------------------------------------------------
@dataclass
class Collector:
    s: Landing
    api: BlueskyApi
    max_pages: int
    touched_roots: set[str]

    def query(
        self,
        nsid: str,
        params: dict[str, Any],
        qtext: str,
        items: str,
        stamp: Callable[[dict[str, Any]], str | None],
    ) -> None:
        """Page through one incremental query, landing each page with its state update."""
        if nsid in self.s.stopped:
            return
        key = StateKey(self.s.territory.slug, PLATFORM, nsid, qtext)
        before = self.s.state(key)
        cursor = before.cursor
        for n in range(self.max_pages):
            p = {**params, **({"cursor": cursor} if cursor else {})}
            try:
                doc, raw, url = self.api.call(nsid, p)
            except CollectError as e:
                if e.kind == "malformed" and e.fault is not None and e.fault.body is not None:
                    self.s.keep_malformed(e.fault.body, nsid, qtext, str(e))
                self.s.failed(e, nsid, qtext)
                return
            stamps = [s for it in doc.get(items) or [] if isinstance(it, dict) and (s := stamp(it))]
            newest = max(stamps) if stamps else None
            reached = before.since_id is not None and any(s <= before.since_id for s in stamps)
            nxt = doc.get("cursor") if stamps and not reached else None
            update = page_update(key, before, newest_id=newest, next_cursor=nxt)
            page, kind = bluesky_map.canonical(nsid, doc)
            self._remember(nsid, doc)
            self.s.spool_mapped(
                body=raw.decode("utf-8", "replace"),
                doc_page=page,
                kind=kind,
                endpoint=nsid,
                query=qtext,
                origin=url,
                state=update,
            )
            before = after_page(before, update)
            if not nxt:
                return
            cursor = nxt
            if n == self.max_pages - 1:
                self.s.progress(f"bluesky: {nsid} {qtext}: page cap reached; the next run resumes")

    def _remember(self, nsid: str, doc: dict[str, Any]) -> None:
        """Conversations a notification touched: their threads are fetched afterwards."""
        if nsid != "app.bsky.notification.listNotifications":
            return
        for n in doc.get("notifications") or []:
            if not isinstance(n, dict) or n.get("reason") not in ("mention", "reply", "quote"):
                continue
            reply = (n.get("record") or {}).get("reply") or {}
            root = (reply.get("root") or {}).get("uri") or n.get("uri")
            if root:  # a notification without a URI touches no thread we can fetch
                self.touched_roots.add(root)

    def once(self, nsid: str, params: dict[str, Any], qtext: str) -> dict[str, Any] | None:
        """One request landed as one page (threads, lookups); no incremental state."""
        if nsid in self.s.stopped:
            return None
        try:
            doc, raw, url = self.api.call(nsid, params)
        except CollectError as e:
            if e.kind == "malformed" and e.fault is not None and e.fault.body is not None:
                self.s.keep_malformed(e.fault.body, nsid, qtext, str(e))
            self.s.failed(e, nsid, qtext)
            return None
        page, kind = (
            bluesky_map.canonical(nsid, doc) if nsid in bluesky_map.MAPPERS else ({}, "other")
        )
        if nsid in bluesky_map.MAPPERS:
            self.s.spool_mapped(
                body=raw.decode("utf-8", "replace"),
                doc_page=page,
                kind=kind,
                endpoint=nsid,
                query=qtext,
                origin=url,
            )
        return doc


def _notif_stamp(n: dict[str, Any]) -> str | None:
    return bluesky_map.iso_utc(n.get("indexedAt"))


def _feed_stamp(f: dict[str, Any]) -> str | None:
    reason = f.get("reason") or {}
    return bluesky_map.iso_utc(reason.get("indexedAt") or (f.get("post") or {}).get("indexedAt"))


def _post_stamp(p: dict[str, Any]) -> str | None:
    return bluesky_map.iso_utc(p.get("indexedAt"))


class BlueskyPlatform(PerAccountPlatform):
    """Bluesky for :func:`collectors.landing.collect`: each city account logs in itself."""

    name = PLATFORM

    def __init__(
        self,
        *,
        base: str | None = None,
        policy: RetryPolicy | None = None,
        sessions: str | os.PathLike[str] | None = None,
        env: Mapping[str, str] | None = None,
        max_threads: int = 50,
    ) -> None:
        self.url = base_url(base)
        self.folder = session_dir(sessions)
        self.policy, self.env, self.max_threads = policy, env, max_threads

    def start(
        self,
        db: str,
        report: CollectReport,
        flush: Callable[[], None],
        progress: Callable[[str], None],
    ) -> None:
        super().start(db, report, flush, progress)
        report.base_url = self.url

    def wants(self, territory: Territory) -> bool:
        return any(a.platform == PLATFORM for a in territory.accounts)

    def collect(self, s: Landing) -> None:
        """One collection pass over Bluesky for the run's territory."""
        territory, con, log, env = s.territory, s.con, s.progress, self.env
        url, policy, folder = self.url, self.policy or RetryPolicy.from_env(), self.folder
        accounts = [a for a in territory.accounts if a.platform == PLATFORM]
        if not accounts:
            return
        apis: dict[str, BlueskyApi] = {}
        for a in accounts:
            if (
                password_for(a.handle, env)
                or BlueskyApi(a.handle, url, policy, folder).session_file.exists()
            ):
                api = BlueskyApi(a.handle, url, policy, folder)
                try:
                    api.login(password_for(a.handle, env))
                    apis[a.handle] = api
                except AuthFailed as e:
                    s.run.error("auth", str(e), "com.atproto.server.createSession", a.handle)
                    log(str(e))
        if not apis:
            reasons = "; ".join(e["message"] for e in s.run.errors if e["kind"] == "auth")
            raise AuthFailed(
                reasons
                or f"bluesky: no account could log in; set {ENV_PASSWORD} for one of "
                f"{', '.join(a.handle for a in accounts)} (it is never printed)"
            )
        reader = next(iter(apis.values()))
        c = Collector(s, reader, s.max_pages, set())
        dids: dict[str, str] = {}
        for a in accounts:
            doc = c.once("com.atproto.identity.resolveHandle", {"handle": a.handle}, a.handle)
            if doc and isinstance(doc.get("did"), str):
                dids[a.handle] = doc["did"]
                s.flush()  # the warehouse is written after the pages fetched so far
                set_account_id(con, territory.slug, PLATFORM, a.handle, doc["did"])
        if dids:
            c.once("app.bsky.actor.getProfiles", {"actors": list(dids.values())}, "city accounts")
        for a in accounts:
            if a.handle in apis:
                Collector(s, apis[a.handle], s.max_pages, c.touched_roots).query(
                    "app.bsky.notification.listNotifications",
                    {"limit": 50},
                    a.handle,
                    "notifications",
                    _notif_stamp,
                )
        for a in accounts:
            if a.handle in dids:
                c.query(
                    "app.bsky.feed.getAuthorFeed",
                    {"actor": dids[a.handle], "limit": 50},
                    a.handle,
                    "feed",
                    _feed_stamp,
                )
        searches: list[tuple[dict[str, Any], str]] = []
        searches += [
            ({"q": "*", "tag": [h.lstrip("#")]}, f"tag:{tag_key(h)}")
            for h in territory.hashtags
        ]
        searches += [({"q": "*", "mentions": a.handle}, f"mentions:{a.handle}") for a in accounts]
        searches += [({"q": "*", "domain": d}, f"domain:{d}") for d in territory.city_domains]
        searches += [({"q": k}, f"q:{k}") for k in territory.keywords]
        for params, qtext in searches:
            c.query(
                "app.bsky.feed.searchPosts",
                {**params, "sort": "latest", "limit": 100},
                qtext,
                "posts",
                _post_stamp,
            )
        for uri in sorted(u for u in c.touched_roots if u)[: self.max_threads]:
            c.once(
                "app.bsky.feed.getPostThread", {"uri": uri, "depth": 20, "parentHeight": 20}, uri
            )
        s.flush()  # what is missing is read from the warehouse
        missing = social.missing_referenced(con, territory.slug, PLATFORM, limit=100)
        for i in range(0, len(missing), 25):
            c.once("app.bsky.feed.getPosts", {"uris": missing[i : i + 25]}, "referenced originals")
        s.flush()
        unknown = social.authors_without_followers(con, territory.slug, PLATFORM, limit=250)
        for i in range(0, len(unknown), 25):
            c.once("app.bsky.actor.getProfiles", {"actors": unknown[i : i + 25]}, "authors")
        s.flush()
        log(
            f"bluesky: {s.run.pages} pages, {s.run.posts} posts, "
            f"{sum(a.logins for a in apis.values())} login(s)"
        )


def collect(
    con: duckdb.DuckDBPyConnection,
    db: str | os.PathLike[str],
    territory: Territory,
    *,
    base: str | None = None,
    policy: RetryPolicy | None = None,
    sessions: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    max_pages: int | None = None,
    max_threads: int = 50,
    log: Callable[[str], None] = lambda _m: None,
) -> int:
    """One run of :class:`BlueskyPlatform` for ``territory`` on ``con`` (the caller holds the
    writer, ``warehouse.db.writer``); returns the run id. Failures end the run ``partial``
    (or ``failed`` when nothing landed) with the reason in the run log, never a traceback.
    """
    platform = BlueskyPlatform(
        base=base, policy=policy, sessions=sessions, env=env, max_threads=max_threads
    )
    settings = CollectSettings.from_env(max_pages)
    result = collect_territory(platform, con, db, territory, settings=settings, progress=log)
    return result.run.run_id
