"""A fake X API v2 server on 127.0.0.1 for tests: real HTTP, driven by tweepy's real client.

It serves the four endpoints the collector reads, from a configurable set of users and
posts, the way X documents them:

* ``GET /2/users/by?usernames=`` (unknown handles come back in a partial ``errors[]``);
* ``GET /2/users/:id/mentions`` and ``GET /2/users/:id/tweets`` (``pagination_token``);
* ``GET /2/tweets/search/recent`` (``next_token``; a subset of the query language:
  ``OR``-lists of ``#tag``, words, ``"phrases"``, ``@user``, ``from:``, ``url:``,
  ``retweets_of:``, ``quotes_of:``; anything else is a 400 like X's);

with ``since_id``/``until_id``, ``max_results``, ``tweet.fields``/``user.fields``/
``expansions`` honoured (only requested fields are returned; ``author_id`` and
``referenced_tweets.id`` expansions fill ``includes``), unknown parameters refused, and the
bearer token checked. Responses are checked against X's OpenAPI spec by
``tests/test_x_fake_api.py`` so this fake cannot drift from the real API.

Fault injection (:meth:`FakeXApi.inject`): ``429`` (with ``x-rate-limit-reset``),
``429-no-reset``, ``503``, ``stall`` (no answer for ``stall_seconds``), ``malformed``
(a 200 with a cut-off JSON body), ``partial-errors`` (a 200 with ``errors[]`` beside the
data), ``401``, ``403-453`` (access level), ``403-not-enrolled``.

Cassette mode (:meth:`FakeXApi.load_cassette`): serve tweepy's recorded VCR cassettes,
keyed by method and path, bytes and headers as recorded (gzip included).

Standalone: ``uv run python -m tests.fake_x_api --port 0 --posts 500`` prints the URL and
serves until interrupted.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import itertools
import json
import random
import re
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

TWITTER_EPOCH_MS = 1288834974657
DEFAULT_TWEET_FIELDS = ("id", "text", "edit_history_tweet_ids")
DEFAULT_USER_FIELDS = ("id", "name", "username")
COMMON = {
    "tweet.fields",
    "user.fields",
    "expansions",
    "media.fields",
    "poll.fields",
    "place.fields",
}
ALLOWED = {
    "users_by": {"usernames", "user.fields", "expansions", "tweet.fields"},
    "mentions": COMMON
    | {"since_id", "until_id", "max_results", "pagination_token", "start_time", "end_time"},
    "tweets": COMMON
    | {
        "since_id",
        "until_id",
        "max_results",
        "pagination_token",
        "start_time",
        "end_time",
        "exclude",
    },
    "search": COMMON
    | {
        "query",
        "since_id",
        "until_id",
        "max_results",
        "next_token",
        "pagination_token",
        "start_time",
        "end_time",
        "sort_order",
    },
}
MAX_RESULTS = {"mentions": (5, 100), "tweets": (5, 100), "search": (10, 100)}
FAULT_KINDS = (
    "429",
    "429-no-reset",
    "503",
    "stall",
    "malformed",
    "partial-errors",
    "401",
    "403-453",
    "403-not-enrolled",
)


def snowflake(when: datetime, seq: int) -> str:
    """An X-style id: milliseconds since X's epoch, shifted, plus a sequence number."""
    ms = int(when.timestamp() * 1000) - TWITTER_EPOCH_MS
    return str((ms << 22) + (seq % (1 << 22)))


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


@dataclass
class FaultRule:
    kind: str
    path: str | None = None  # only requests whose path matches this regular expression
    after: int = 0  # let this many matching requests through first
    times: int | None = 1  # how many requests to fault (None: every one)
    reset_in: float = 2.0  # for 429: seconds until x-rate-limit-reset
    seen: int = 0
    fired: int = 0

    def take(self, path: str) -> bool:
        if self.path and not re.search(self.path, path):
            return False
        self.seen += 1
        if self.seen <= self.after or (self.times is not None and self.fired >= self.times):
            return False
        self.fired += 1
        return True


@dataclass
class Recorded:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


class FakeXApi:
    """The fake server. Use as a context manager or call :meth:`start` / :meth:`stop`."""

    def __init__(
        self,
        users: list[dict[str, Any]] | None = None,
        posts: list[dict[str, Any]] | None = None,
        *,
        token: str | None = None,
        stall_seconds: float = 30.0,
        extra_posts: list[dict[str, Any]] | None = None,
    ) -> None:
        self.users: dict[str, dict[str, Any]] = {u["id"]: u for u in users or []}
        self.posts: dict[str, dict[str, Any]] = {}
        self.extra: dict[str, dict[str, Any]] = {p["id"]: p for p in extra_posts or []}
        self.token = token
        self.stall_seconds = stall_seconds
        self.page_cap: int | None = None  # fewer posts per page than asked, to force paging
        self.faults: list[FaultRule] = []
        self.cassettes: dict[tuple[str, str], list[Recorded]] = {}
        self.requests: list[dict[str, Any]] = []
        self.responses: list[tuple[str, int, bytes]] = []  # (path, status, body) served
        self.lock = threading.Lock()
        self.closing = threading.Event()
        self.stalled = threading.Event()  # set when a stall fault begins
        self.server: ThreadingHTTPServer | None = None
        self.thread: threading.Thread | None = None
        self.add_posts(posts or [])

    # -- data --------------------------------------------------------------------------------
    def add_posts(self, posts: list[dict[str, Any]]) -> None:
        with self.lock:
            for p in posts:
                self.posts[p["id"]] = p

    def add_users(self, users: list[dict[str, Any]]) -> None:
        with self.lock:
            for u in users:
                self.users[u["id"]] = u

    def inject(
        self,
        kind: str,
        path: str | None = None,
        *,
        after: int = 0,
        times: int | None = 1,
        reset_in: float = 2.0,
    ) -> FaultRule:
        """Fault the matching requests (see the module docstring for the kinds)."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; one of {', '.join(FAULT_KINDS)}")
        rule = FaultRule(kind, path, after, times, reset_in)
        with self.lock:
            self.faults.append(rule)
        return rule

    def clear_faults(self) -> None:
        with self.lock:
            self.faults.clear()

    def load_cassette(self, path: Path) -> int:
        """Serve a tweepy VCR cassette's responses by (method, path); returns how many."""
        import yaml

        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        n = 0
        for interaction in doc.get("interactions", []):
            req, resp = interaction["request"], interaction["response"]
            key = (req["method"].upper(), urlsplit(req["uri"]).path)
            body = resp["body"]["string"]
            raw = body if isinstance(body, bytes) else body.encode("utf-8")
            headers = [
                (name, value)
                for name, values in resp.get("headers", {}).items()
                if name.lower() in ("content-type", "content-encoding")
                or name.lower().startswith("x-rate")
                for value in values
            ]
            if raw[:2] != b"\x1f\x8b":  # recorded already decoded (aiohttp cassettes): serve
                headers = [h for h in headers if h[0].lower() != "content-encoding"]  # as is
            self.cassettes.setdefault(key, []).append(
                Recorded(resp["status"]["code"], headers, raw)
            )
            n += 1
        return n

    # -- lifecycle ------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        assert self.server is not None, "start() the server first"
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self, port: int = 0) -> FakeXApi:
        fake = self

        class Handler(_Handler):
            api = fake

        server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        server.daemon_threads = True
        server.block_on_close = False
        self.server = server
        self.thread = threading.Thread(target=server.serve_forever, name="fake-x-api", daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.closing.set()
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def __enter__(self) -> FakeXApi:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- request handling -----------------------------------------------------------------------
    def handle(self, method: str, path: str, query: str, headers: dict[str, str]) -> Recorded:
        params = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
        with self.lock:
            self.requests.append({"method": method, "path": path, "params": params})
            fired = [r for r in self.faults if r.take(path)]
        rule = fired[0] if fired else None
        fault = rule.kind if rule else None
        if fault == "stall":
            self.stalled.set()
            self.closing.wait(self.stall_seconds)
            fault = None
        if fault is not None and fault != "partial-errors":
            return self._fault(fault, rule)
        if self.token is not None and headers.get("authorization") != f"Bearer {self.token}":
            return self._fault("401", None)
        if (method, path) in self.cassettes or self.cassettes:
            return self._cassette(method, path)
        try:
            status, doc = self._route(method, path, params)
        except _BadRequest as e:
            status, doc = 400, e.doc
        if status == 200 and fault == "partial-errors":
            doc.setdefault("errors", []).append(_not_found("tweet", "1", "referenced_tweets.id"))
        body = json.dumps(doc, ensure_ascii=False).encode("utf-8")
        return Recorded(status, [("content-type", "application/json; charset=utf-8")], body)

    def _cassette(self, method: str, path: str) -> Recorded:
        with self.lock:
            queue = self.cassettes.get((method, path))
            if queue:
                return queue.pop(0)
        # nothing (more) recorded for this path: an empty page, as X answers
        return Recorded(200, [("content-type", "application/json")], b'{"meta":{"result_count":0}}')

    def _fault(self, kind: str, rule: FaultRule | None) -> Recorded:
        ctype = [("content-type", "application/json; charset=utf-8")]
        if kind == "429":
            reset = int(time.time() + (rule.reset_in if rule else 2.0)) + 1
            body = {
                "title": "Too Many Requests",
                "detail": "Too Many Requests",
                "type": "about:blank",
                "status": 429,
            }
            return Recorded(
                429,
                ctype
                + [
                    ("x-rate-limit-limit", "450"),
                    ("x-rate-limit-remaining", "0"),
                    ("x-rate-limit-reset", str(reset)),
                ],
                json.dumps(body).encode(),
            )
        if kind == "429-no-reset":
            body = {
                "title": "Too Many Requests",
                "detail": "Too Many Requests",
                "type": "about:blank",
                "status": 429,
            }
            return Recorded(429, ctype, json.dumps(body).encode())
        if kind == "503":
            body = {
                "title": "Service Unavailable",
                "detail": "Service Unavailable",
                "type": "about:blank",
                "status": 503,
            }
            return Recorded(503, ctype, json.dumps(body).encode())
        if kind == "malformed":
            return Recorded(200, ctype, b'{"data":[{"id":"1","text":"cut off')
        if kind == "401":
            body = {
                "title": "Unauthorized",
                "type": "about:blank",
                "status": 401,
                "detail": "Unauthorized",
            }
            return Recorded(401, ctype, json.dumps(body).encode())
        if kind == "403-453":
            body = {
                "errors": [
                    {
                        "message": "You currently have access to a subset of X API V2 "
                        "endpoints and limited v1.1 endpoints (e.g. media post, oauth) "
                        "only. If you need access to this endpoint, you may need a "
                        "different access level. You can learn more here: "
                        "https://developer.x.com/en/portal/product",
                        "code": 453,
                    }
                ]
            }
            return Recorded(403, ctype, json.dumps(body).encode())
        if kind == "403-not-enrolled":
            body = {
                "client_id": "12345",
                "detail": "When authenticating requests to the Twitter "
                "API v2 endpoints, you must use keys and tokens from a Twitter developer App "
                "that is attached to a Project. You can create a project via the developer "
                "portal.",
                "registration_url": "https://developer.twitter.com/en/docs/projects/overview",
                "title": "Client Forbidden",
                "required_enrollment": "Appropriate Level of API Access",
                "reason": "client-not-enrolled",
                "type": "https://api.twitter.com/2/problems/client-forbidden",
            }
            return Recorded(403, ctype, json.dumps(body).encode())
        raise ValueError(kind)

    def _route(self, method: str, path: str, params: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if method != "GET":
            return 404, _problem("Not Found Error", f"no route {method} {path}")
        if path == "/2/users/by":
            _check_params("users_by", params)
            return 200, self._users_by(params)
        m = re.fullmatch(r"/2/users/([0-9]{1,19})/(mentions|tweets)", path)
        if m:
            uid, which = m.groups()
            _check_params(which, params)
            if which == "mentions":
                match = [
                    p
                    for p in self._all_posts()
                    if any(x.get("id") == uid for x in p.get("entities", {}).get("mentions", []))
                ]
            else:
                match = [p for p in self._all_posts() if p.get("author_id") == uid]
            return 200, self._tweet_page(which, match, params, "pagination_token")
        if path == "/2/tweets/search/recent":
            _check_params("search", params)
            if not params.get("query"):
                raise _BadRequest(_invalid("query", "The `query` query parameter can not be empty"))
            pred = _parse_query(params["query"], self)
            match = [p for p in self._all_posts() if pred(p)]
            token_name = "next_token" if "next_token" in params else "pagination_token"
            return 200, self._tweet_page("search", match, params, token_name)
        return 404, _problem("Not Found Error", f"no route {path}")

    def _all_posts(self) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.posts.values())

    def user_by_name(self, username: str) -> dict[str, Any] | None:
        low = username.lower()
        return next((u for u in self.users.values() if u["username"].lower() == low), None)

    def _users_by(self, params: dict[str, str]) -> dict[str, Any]:
        names = [n for n in params.get("usernames", "").split(",") if n]
        if not names:
            raise _BadRequest(
                _invalid("usernames", "The `usernames` query parameter can not be empty")
            )
        for name in names:
            if not re.fullmatch(r"[A-Za-z0-9_]{1,15}", name):
                raise _BadRequest(
                    _invalid(
                        "usernames",
                        f"The `usernames` query parameter value "
                        f"[{name}] does not match ^[A-Za-z0-9_]{{1,15}}$",
                    )
                )
        fields = _fields(params, "user.fields", DEFAULT_USER_FIELDS)
        data, errors = [], []
        for name in names:
            u = self.user_by_name(name)
            if u is None:
                errors.append(_not_found("user", name, "usernames"))
            else:
                data.append(_project(u, fields))
        doc: dict[str, Any] = {}
        if data:
            doc["data"] = data
        if errors:
            doc["errors"] = errors
        return doc

    def _tweet_page(
        self, which: str, match: list[dict[str, Any]], params: dict[str, str], token_name: str
    ) -> dict[str, Any]:
        if which != "search" and "next_token" in params:
            raise _BadRequest(
                _invalid(
                    "next_token",
                    "The query parameter [next_token] is not one "
                    "of [...] (timelines take pagination_token)",
                )
            )
        lo, hi = MAX_RESULTS[which]
        try:
            max_results = int(params.get("max_results", 10))
        except ValueError:
            raise _BadRequest(_invalid("max_results", "not a number")) from None
        if not lo <= max_results <= hi:
            raise _BadRequest(_invalid("max_results", f"must be between {lo} and {hi}"))
        since = int(params["since_id"]) if params.get("since_id") else None
        until = int(params["until_id"]) if params.get("until_id") else None
        token = params.get(token_name)
        if token:
            try:
                until_tok = int(base64.urlsafe_b64decode(token.encode() + b"==").decode(), 16)
            except ValueError:
                raise _BadRequest(_invalid(token_name, "invalid pagination token")) from None
            until = min(until, until_tok) if until else until_tok
        rows = sorted(match, key=lambda p: int(p["id"]), reverse=True)
        rows = [
            p
            for p in rows
            if (since is None or int(p["id"]) > since) and (until is None or int(p["id"]) < until)
        ]
        size = min(max_results, self.page_cap or max_results)  # X may return fewer
        page, rest = rows[:size], rows[size:]
        if not page:
            return {"meta": {"result_count": 0}}
        tweet_fields = _fields(params, "tweet.fields", DEFAULT_TWEET_FIELDS)
        user_fields = _fields(params, "user.fields", DEFAULT_USER_FIELDS)
        expansions = set(filter(None, params.get("expansions", "").split(",")))
        doc: dict[str, Any] = {"data": [_project(p, tweet_fields) for p in page]}
        includes: dict[str, list[dict[str, Any]]] = {}
        errors: list[dict[str, Any]] = []
        if "referenced_tweets.id" in expansions:
            seen: set[str] = set()
            for p in page:
                for ref in p.get("referenced_tweets", []):
                    rid = ref["id"]
                    if rid in seen:
                        continue
                    seen.add(rid)
                    orig = self.posts.get(rid) or self.extra.get(rid)
                    if orig is None:
                        errors.append(_not_found("tweet", rid, "referenced_tweets.id"))
                    else:
                        includes.setdefault("tweets", []).append(_project(orig, tweet_fields))
        if "author_id" in expansions:
            ids = list(dict.fromkeys(p["author_id"] for p in page))
            users = [_project(self.users[i], user_fields) for i in ids if i in self.users]
            if users:
                includes["users"] = users
        if includes:
            doc["includes"] = includes
        if errors:
            doc["errors"] = errors
        meta: dict[str, Any] = {
            "newest_id": page[0]["id"],
            "oldest_id": page[-1]["id"],
            "result_count": len(page),
        }
        if rest:
            meta["next_token"] = (
                base64.urlsafe_b64encode(format(int(page[-1]["id"]), "x").encode())
                .decode()
                .rstrip("=")
            )
        doc["meta"] = meta
        return doc


class _BadRequest(Exception):
    def __init__(self, doc: dict[str, Any]) -> None:
        super().__init__(doc.get("detail"))
        self.doc = doc


def _problem(title: str, detail: str) -> dict[str, Any]:
    return {"title": title, "detail": detail, "type": "about:blank"}


def _invalid(parameter: str, message: str) -> dict[str, Any]:
    return {
        "errors": [{"parameters": {parameter: []}, "message": message}],
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": "https://api.twitter.com/2/problems/invalid-request",
    }


def _not_found(resource: str, value: str, parameter: str) -> dict[str, Any]:
    return {
        "value": value,
        "detail": f"Could not find {resource} with {parameter}: [{value}].",
        "title": "Not Found Error",
        "resource_type": resource,
        "parameter": parameter,
        "resource_id": value,
        "type": "https://api.twitter.com/2/problems/resource-not-found",
    }


def _check_params(endpoint: str, params: dict[str, str]) -> None:
    unknown = sorted(set(params) - ALLOWED[endpoint])
    if unknown:
        raise _BadRequest(
            _invalid(
                unknown[0],
                f"The query parameter [{unknown[0]}] is not one of "
                f"[{','.join(sorted(ALLOWED[endpoint]))}]",
            )
        )


def _fields(params: dict[str, str], name: str, default: tuple[str, ...]) -> set[str]:
    return set(default) | set(filter(None, params.get(name, "").split(",")))


def _project(obj: dict[str, Any], fields: set[str]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if k in fields}


# -- the query language subset -------------------------------------------------------------------
_TERM = re.compile(r'-?(?:[a-z_]+:)?(?:"[^"]*"|[^\s()"]+)')


def _parse_query(query: str, api: FakeXApi) -> Any:
    """A predicate for an ``OR``-list of terms (AND of terms inside each alternative)."""
    alternatives: list[list[Any]] = []
    for alt in re.split(r"\s+OR\s+", query.replace("(", " ").replace(")", " ").strip()):
        terms = _TERM.findall(alt)
        if not terms:
            raise _BadRequest(
                _invalid(
                    "query", f"There were errors processing your request: empty term in '{query}'"
                )
            )
        alternatives.append([_term(t, api, query) for t in terms])
    return lambda p: any(all(t(p) for t in alt) for alt in alternatives)


def _term(term: str, api: FakeXApi, query: str) -> Any:
    neg = term.startswith("-")
    term = term.lstrip("-")
    op, _, arg = term.partition(":") if re.match(r"[a-z_]+:", term) else ("", "", term)
    arg = arg.strip('"').lower()

    def orig_author(p: dict[str, Any], kind: str) -> str | None:
        for ref in p.get("referenced_tweets", []):
            if ref["type"] == kind:
                orig = api.posts.get(ref["id"]) or api.extra.get(ref["id"])
                if orig:
                    user = api.users.get(orig.get("author_id", ""))
                    return user["username"].lower() if user else None
        return None

    if op == "":
        if arg.startswith("#"):

            def f(p):
                return any(
                    h["tag"].lower() == arg[1:] for h in p.get("entities", {}).get("hashtags", [])
                )
        elif arg.startswith("@"):

            def f(p):
                return any(
                    m["username"].lower() == arg[1:]
                    for m in p.get("entities", {}).get("mentions", [])
                )
        else:

            def f(p):
                return arg in p.get("text", "").lower()
    elif op == "url":

        def f(p):
            for u in p.get("entities", {}).get("urls", []):
                host = urlsplit(u.get("expanded_url", "")).hostname or ""
                if host == arg or host.endswith("." + arg):
                    return True
            return False
    elif op == "from":

        def f(p):
            user = api.users.get(p.get("author_id", ""))
            return bool(user) and user["username"].lower() == arg
    elif op == "retweets_of":

        def f(p):
            return orig_author(p, "retweeted") == arg
    elif op == "quotes_of":

        def f(p):
            return orig_author(p, "quoted") == arg
    else:
        raise _BadRequest(
            _invalid(
                "query",
                f"There were errors processing your request: "
                f"Reference to invalid operator '{op}' in '{query}'",
            )
        )
    return (lambda p: not f(p)) if neg else f


class _Handler(BaseHTTPRequestHandler):
    api: FakeXApi
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:  # noqa: N802
        parts = urlsplit(self.path)
        headers = {k.lower(): v for k, v in self.headers.items()}
        rec = self.api.handle("GET", parts.path, parts.query, headers)
        with self.api.lock:
            self.api.responses.append((parts.path, rec.status, rec.body))
        try:
            self.send_response(rec.status)
            for name, value in rec.headers:
                self.send_header(name, value)
            self.send_header("content-length", str(len(rec.body)))
            self.end_headers()
            self.wfile.write(rec.body)
        except (BrokenPipeError, ConnectionResetError):
            pass


# -- a dataset for a territory -------------------------------------------------------------------
@dataclass
class Dataset:
    users: list[dict[str, Any]] = field(default_factory=list)
    posts: list[dict[str, Any]] = field(default_factory=list)  # what the collector should land
    noise: list[dict[str, Any]] = field(default_factory=list)  # matches none of its queries
    city_ids: dict[str, str] = field(default_factory=dict)  # handle -> id

    def all_posts(self) -> list[dict[str, Any]]:
        return self.posts + self.noise


class _Builder:
    def __init__(self, seed: int, start: datetime) -> None:
        self.rng = random.Random(seed)
        self.seq = itertools.count(1)
        self.clock = start

    def next_id(self, step_minutes: float) -> tuple[str, datetime]:
        self.clock += timedelta(minutes=step_minutes)
        return snowflake(self.clock, next(self.seq)), self.clock


def _entities(
    text: str, mentions: list[dict[str, Any]], tags: list[str], urls: list[str]
) -> dict[str, Any]:
    ent: dict[str, Any] = {}
    for m in mentions:
        i = text.find("@" + m["username"])
        ent.setdefault("mentions", []).append(
            {
                "start": max(i, 0),
                "end": max(i, 0) + len(m["username"]) + 1,
                "username": m["username"],
                "id": m["id"],
            }
        )
    for t in tags:
        i = text.find("#" + t)
        ent.setdefault("hashtags", []).append(
            {"start": max(i, 0), "end": max(i, 0) + len(t) + 1, "tag": t}
        )
    for u in urls:
        short = "https://t.co/" + hashlib.sha1(u.encode()).hexdigest()[:10]
        i = text.find(short)
        ent.setdefault("urls", []).append(
            {
                "start": max(i, 0),
                "end": max(i, 0) + len(short),
                "url": short,
                "expanded_url": u,
                "display_url": u.split("//", 1)[-1][:30],
            }
        )
    return ent


def make_dataset(
    n_posts: int = 200,
    *,
    city_handles: tuple[str, ...] = ("villeneuve_fr", "vsl_sortir"),
    hashtags: tuple[str, ...] = ("Villeneuve",),
    keyword: str = "Villeneuve-sur-Loire",
    domain: str = "villeneuve-sur-loire.fr",
    seed: int = 1,
    start: datetime | None = None,
    first_seq: int = 1,
    users: list[dict[str, Any]] | None = None,
    city_posts: list[dict[str, Any]] | None = None,
    n_noise: int | None = None,
) -> Dataset:
    """``n_posts`` posts that concern a territory (mentions, replies, hashtags, keyword,
    links to its domain, reposts and quotes of its accounts, its own posts), plus noise.

    Pass ``users``/``city_posts`` of an earlier dataset (and a later ``start``) to make
    newer posts for the same world.
    """
    b = _Builder(seed, start or (datetime.now(UTC) - timedelta(days=5)))
    b.seq = itertools.count(first_seq)
    ds = Dataset()
    if users is None:
        users = []
        for i, h in enumerate(city_handles):
            users.append(
                {
                    "id": str(1000 + i),
                    "username": h,
                    "name": f"Ville — {h}",
                    "description": "Compte officiel de la ville",
                    "location": "Villeneuve",
                    "verified": True,
                    "verified_type": "government",
                    "created_at": "2010-03-01T08:00:00.000Z",
                    "public_metrics": {
                        "followers_count": 12000 + i,
                        "following_count": 300,
                        "tweet_count": 5000,
                        "listed_count": 40,
                        "like_count": 100,
                        "media_count": 10,
                    },
                }
            )
        places = ["Villeneuve-sur-Loire", "Angers (49)", "Paris", "Lyon", "", "Nantes", "Loire"]
        for i in range(max(10, n_posts // 8)):
            users.append(
                {
                    "id": str(20000 + i),
                    "username": f"habitant{i}",
                    "name": f"Habitant {i}",
                    "description": b.rng.choice(["Fan de vélo", "Maman de 3", "Bénévole", ""]),
                    "location": b.rng.choice(places),
                    "verified": False,
                    "created_at": "2015-06-01T10:00:00.000Z",
                    "public_metrics": {
                        "followers_count": b.rng.randint(3, 5000),
                        "following_count": 100,
                        "tweet_count": 800,
                        "listed_count": 1,
                        "like_count": 50,
                        "media_count": 2,
                    },
                }
            )
    ds.users = users
    city = [u for u in users if u["username"] in city_handles]
    people = [u for u in users if u["username"] not in city_handles]
    ds.city_ids = {u["username"]: u["id"] for u in city}
    city_posts = list(city_posts or [])

    def post(
        author: dict[str, Any],
        text: str,
        *,
        mentions=(),
        tags=(),
        urls=(),
        refs=(),
        reply_to: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        pid, when = b.next_id(b.rng.uniform(0.5, 6))
        p: dict[str, Any] = {
            "id": pid,
            "text": text,
            "author_id": author["id"],
            "created_at": _iso(when),
            "conversation_id": reply_to["conversation_id"] if reply_to else pid,
            "lang": "fr",
            "edit_history_tweet_ids": [pid],
            "public_metrics": {
                "retweet_count": b.rng.randint(0, 20),
                "reply_count": b.rng.randint(0, 5),
                "like_count": b.rng.randint(0, 80),
                "quote_count": 0,
                "bookmark_count": 0,
                "impression_count": b.rng.randint(10, 5000),
            },
        }
        ent = _entities(text, list(mentions), list(tags), list(urls))
        if ent:
            p["entities"] = ent
        if reply_to:
            p["in_reply_to_user_id"] = reply_to["author_id"]
            refs = [*refs, {"type": "replied_to", "id": reply_to["id"]}]
        if refs:
            p["referenced_tweets"] = list(refs)
        return p

    kinds = ["city", "mention", "reply", "hashtag", "keyword", "link", "repost", "quote"]
    weights = [15, 25, 12, 18, 6, 10, 9, 5]
    for _ in range(n_posts):
        kind = b.rng.choices(kinds, weights)[0]
        if kind in ("reply", "repost", "quote") and not city_posts:
            kind = "city"
        person = b.rng.choice(people)
        acct = b.rng.choice(city)
        if kind == "city":
            p = post(acct, f"Info de la ville : travaux rue {b.rng.randint(1, 90)} cette semaine.")
            city_posts.append(p)
        elif kind == "mention":
            p = post(
                person,
                f"@{acct['username']} le lampadaire est en panne depuis 3 jours",
                mentions=[acct],
            )
        elif kind == "reply":
            orig = b.rng.choice(city_posts)
            author = next(u for u in city if u["id"] == orig["author_id"])
            p = post(
                person,
                f"@{author['username']} merci pour l'info !",
                mentions=[author],
                reply_to=orig,
            )
        elif kind == "hashtag":
            tag = b.rng.choice(hashtags)
            p = post(person, f"Belle journée au marché #{tag}", tags=[tag])
        elif kind == "keyword":
            p = post(person, f"Concert ce soir à {keyword}, venez nombreux")
        elif kind == "link":
            url = f"https://www.{domain}/actualites/{b.rng.randint(1, 999)}"
            short = "https://t.co/" + hashlib.sha1(url.encode()).hexdigest()[:10]
            p = post(person, f"À lire {short}", urls=[url])
        elif kind == "repost":
            orig = b.rng.choice(city_posts)
            author = next(u for u in city if u["id"] == orig["author_id"])
            p = post(
                person,
                f"RT @{author['username']}: {orig['text']}"[:280],
                mentions=[author],
                refs=[{"type": "retweeted", "id": orig["id"]}],
            )
        else:
            orig = b.rng.choice(city_posts)
            p = post(
                person, "Bonne initiative de la mairie", refs=[{"type": "quoted", "id": orig["id"]}]
            )
        ds.posts.append(p)
    for _ in range(n_posts // 20 if n_noise is None else n_noise):
        ds.noise.append(post(b.rng.choice(people), "Rien à voir : il pleut à Brest"))
    return ds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="A fake X API v2 server for Territoires' tests.")
    parser.add_argument("--port", type=int, default=0, help="port (0: a free one)")
    parser.add_argument("--posts", type=int, default=200, help="posts about the territory")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--token", help="bearer token to require (default: any)")
    parser.add_argument("--config", help="territory TOML (default: examples/villeneuve.toml)")
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="KIND[@PATH][,after=N][,times=N]",
        help=f"inject a fault: {', '.join(FAULT_KINDS)}",
    )
    parser.add_argument("--stall-seconds", type=float, default=30.0)
    args = parser.parse_args(argv)
    kwargs: dict[str, Any] = {}
    if args.config or Path("examples/villeneuve.toml").exists():
        from territoires.config import load_config

        t = load_config(args.config or "examples/villeneuve.toml")
        kwargs = {
            "city_handles": tuple(t.handles("x")),
            "hashtags": tuple(h.lstrip("#") for h in t.hashtags) or ("Villeneuve",),
            "keyword": (t.keywords or ("Villeneuve-sur-Loire",))[0],
            "domain": (t.city_domains or ("villeneuve-sur-loire.fr",))[0],
        }
    ds = make_dataset(args.posts, seed=args.seed, **kwargs)
    fake = FakeXApi(ds.users, ds.all_posts(), token=args.token, stall_seconds=args.stall_seconds)
    for spec in args.fault:
        head, *opts = spec.split(",")
        kind, _, path = head.partition("@")
        extra = {k: int(v) for k, _, v in (o.partition("=") for o in opts)}
        fake.inject(kind, path or None, after=extra.get("after", 0), times=extra.get("times", 1))
    fake.start(args.port)
    print(
        f"fake X API v2 serving {len(ds.posts)} posts (+{len(ds.noise)} unrelated) "
        f"and {len(ds.users)} users at {fake.url}",
        flush=True,
    )
    print(f"TERRITOIRES_X_API_URL={fake.url}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())


# -- helpers for the tests -----------------------------------------------------------------------
def fast_policy(**overrides: Any) -> Any:
    """A retry policy with tiny waits, so fault tests take milliseconds, not minutes."""
    from collectors.faults import RetryPolicy

    base = {
        "max_retries": 3,
        "max_rate_wait": 30.0,
        "no_header_wait": 0.01,
        "backoff_base": 0.01,
        "backoff_max": 0.05,
        "timeout": 5.0,
    }
    return RetryPolicy(**{**base, **overrides})


def landed_post_ids(db: Any, territory: str = "villeneuve") -> list[str]:
    """Post ids landed for ``territory`` (read through a read-only connection)."""
    from warehouse.db import connect

    con = connect(db, read_only=True)
    try:
        return [
            r[0]
            for r in con.execute(
                "SELECT post_id FROM territory_posts WHERE territory = ? ORDER BY post_id",
                [territory],
            ).fetchall()
        ]
    finally:
        con.close()


X_HANDLES = ("villeneuve_fr", "vsl_sortir", "vsl_proprete")


def x_territory(**tracking: Any) -> Any:
    """The demo territory with valid X handles (X allows 15 characters; the example file's
    "villeneuve_proprete" had 19), optionally with other ``[tracking]`` values."""
    import tomllib

    from model import parse_config

    base = Path(__file__).resolve().parents[1] / "examples" / "villeneuve.toml"
    raw = tomllib.loads(base.read_text(encoding="utf-8"))
    raw["accounts"] = [{**a, "handle": h} for a, h in zip(raw["accounts"], X_HANDLES, strict=False)]
    raw["tracking"] = {**raw.get("tracking", {}), **tracking}
    return parse_config(raw, source="tests:x_territory")
