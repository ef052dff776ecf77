"""A fake Bluesky XRPC server on 127.0.0.1 (real HTTP) that the real ``atproto`` client talks to.

It serves what the collector uses: ``com.atproto.server.createSession`` /
``refreshSession`` (counting logins), ``com.atproto.identity.resolveHandle``,
``app.bsky.notification.listNotifications``, ``app.bsky.feed.getAuthorFeed``,
``app.bsky.feed.getPostThread``, ``app.bsky.feed.searchPosts`` (``tag``, ``mentions``,
``domain``, ``since``), ``app.bsky.feed.getPosts``, ``app.bsky.actor.getProfiles``, newest
first with opaque cursors. Faults are queued per method: ``"429"`` (with a
``ratelimit-reset`` header), ``"429-noreset"``, ``"503"``, ``"malformed"`` (a 200 whose body
is not JSON), ``"401"``.

:class:`FakeServer` is the shared HTTP plumbing (also used by ``tests/fake_mastodon.py``).
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

Doc = dict[str, Any]


class FakeServer:
    """A threaded HTTP server on a free port; subclasses implement :meth:`route`."""

    def __init__(self) -> None:
        self.faults: dict[str, list[str]] = defaultdict(list)
        self.requests: list[tuple[str, str, dict[str, list[str]]]] = []  # method, path, query
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def _do(self, method: str) -> None:
                parts = urlsplit(self.path)
                query = parse_qs(parts.query)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with server.lock:
                    server.requests.append((method, parts.path, query))
                status, headers, payload = server.handle(
                    method, parts.path, query, body, self.headers
                )
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                headers = {"Content-Type": "application/json; charset=utf-8", **headers}
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802
                self._do("GET")

            def do_POST(self) -> None:  # noqa: N802
                self._do("POST")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def count(self, path_part: str) -> int:
        return sum(1 for _, p, _ in self.requests if path_part in p)

    def fault_response(self, kind: str) -> tuple[int, dict[str, str], Any]:
        if kind == "429":
            reset = int(time.time()) + 1
            return (
                429,
                self.rate_headers(reset),
                {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"},
            )
        if kind == "429-noreset":
            return 429, {}, {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"}
        if kind == "503":
            return 503, {}, {"error": "ServiceUnavailable", "message": "try later"}
        if kind == "401":
            return 401, {}, {"error": "AuthenticationRequired", "message": "Invalid token"}
        if kind == "malformed":
            return 200, {}, b'{"cursor": "x", "feed": [ {"post": '
        raise ValueError(kind)

    def rate_headers(self, reset: int) -> dict[str, str]:
        return {
            "ratelimit-limit": "3000",
            "ratelimit-remaining": "0",
            "ratelimit-reset": str(reset),
        }

    def handle(
        self, method: str, path: str, query: dict[str, list[str]], body: bytes, headers: Any
    ) -> tuple[int, dict[str, str], Any]:
        key = self.fault_key(path)
        with self.lock:
            fault = self.faults[key].pop(0) if self.faults.get(key) else None
        if fault:
            return self.fault_response(fault)
        return self.route(method, path, query, body, headers)

    def fault_key(self, path: str) -> str:
        return path

    def route(
        self, method: str, path: str, query: dict[str, list[str]], body: bytes, headers: Any
    ) -> tuple[int, dict[str, str], Any]:
        raise NotImplementedError


def _b64(doc: Doc) -> str:
    return base64.urlsafe_b64encode(json.dumps(doc).encode()).rstrip(b"=").decode()


def jwt(sub: str, ttl: int, scope: str) -> str:
    now = int(time.time())
    payload = {"sub": sub, "scope": scope, "iat": now, "exp": now + ttl, "jti": str(time.time_ns())}
    return f"{_b64({'typ': 'JWT', 'alg': 'ES256K'})}.{_b64(payload)}.c2ln"


def page_of(
    items: list[Any], query: dict[str, list[str]], default_limit: int = 50
) -> tuple[list[Any], str | None]:
    """Offset cursors: ``cursor`` is the index of the first item of the page."""
    limit = int((query.get("limit") or [default_limit])[0])
    start = int((query.get("cursor") or ["0"])[0])
    chunk = items[start : start + limit]
    nxt = str(start + limit) if start + limit < len(items) else None
    return chunk, nxt


class FakeBluesky(FakeServer):
    """State: ``accounts`` (handle → password, profile), ``posts`` (postView dicts),
    ``notifications`` (per DID), ``feeds`` (per DID, feedViewPost dicts), ``threads``
    (URI → thread doc).

    Everything is kept newest first, as the real AppView serves it.
    """

    def __init__(self, access_ttl: int = 7200) -> None:
        super().__init__()
        self.access_ttl = access_ttl
        self.passwords: dict[str, str] = {}
        self.profiles: dict[str, Doc] = {}  # did → profileViewDetailed
        self.handles: dict[str, str] = {}  # handle → did
        self.notifications: dict[str, list[Doc]] = defaultdict(list)
        self.feeds: dict[str, list[Doc]] = defaultdict(list)
        self.threads: dict[str, Doc] = {}
        self.posts: list[Doc] = []  # every postView, newest first (search, getPosts)
        self.logins = 0
        self.refreshes = 0
        self.tokens: dict[str, str] = {}  # access jwt → did

    # -- building the world -----------------------------------------------------------
    def add_account(
        self, handle: str, did: str, password: str | None = None, **profile: Any
    ) -> Doc:
        self.handles[handle] = did
        if password:
            self.passwords[handle] = password
        doc = {
            "did": did,
            "handle": handle,
            "displayName": profile.pop("displayName", handle.split(".")[0]),
            "createdAt": "2023-01-01T00:00:00.000Z",
            **profile,
        }
        self.profiles[did] = doc
        return doc

    def basic(self, did: str) -> Doc:
        p = self.profiles[did]
        return {k: p[k] for k in ("did", "handle", "displayName") if k in p}

    def add_post(
        self,
        did: str,
        rkey: str,
        text: str,
        created_at: str,
        *,
        reply_to: Doc | None = None,
        quote: Doc | None = None,
        facets: list[Doc] | None = None,
        counts: Doc | None = None,
        in_feed: bool = True,
    ) -> Doc:
        """A post (returns its postView). ``reply_to``/``quote`` are postViews."""
        uri = f"at://{did}/app.bsky.feed.post/{rkey}"
        record: Doc = {
            "$type": "app.bsky.feed.post",
            "text": text,
            "createdAt": created_at,
            "langs": ["fr"],
        }
        if facets:
            record["facets"] = facets
        if reply_to:
            root = (reply_to["record"].get("reply") or {}).get("root") or {
                "uri": reply_to["uri"],
                "cid": reply_to["cid"],
            }
            record["reply"] = {
                "root": root,
                "parent": {"uri": reply_to["uri"], "cid": reply_to["cid"]},
            }
        view: Doc = {
            "uri": uri,
            "cid": f"bafy{rkey}",
            "author": self.basic(did),
            "record": record,
            "indexedAt": created_at,
            "replyCount": 0,
            "repostCount": 0,
            "likeCount": 0,
            "quoteCount": 0,
            **(counts or {}),
        }
        if quote:
            record["embed"] = {
                "$type": "app.bsky.embed.record",
                "record": {"uri": quote["uri"], "cid": quote["cid"]},
            }
            view["embed"] = {
                "$type": "app.bsky.embed.record#view",
                "record": {
                    "$type": "app.bsky.embed.record#viewRecord",
                    "uri": quote["uri"],
                    "cid": quote["cid"],
                    "author": quote["author"],
                    "value": quote["record"],
                    "indexedAt": quote["indexedAt"],
                },
            }
        self.posts.insert(0, view)
        self.posts.sort(key=lambda v: v["indexedAt"], reverse=True)
        if in_feed:
            self.feeds[did].insert(0, {"post": view})
            self.feeds[did].sort(
                key=lambda f: f.get("reason", {}).get("indexedAt") or f["post"]["indexedAt"],
                reverse=True,
            )
        return view

    def notify(
        self,
        did: str,
        reason: str,
        author_did: str,
        uri: str,
        record: Doc,
        indexed_at: str,
        reason_subject: str | None = None,
    ) -> None:
        n = {
            "uri": uri,
            "cid": "bafyn",
            "author": self.profiles[author_did],
            "reason": reason,
            "record": record,
            "isRead": False,
            "indexedAt": indexed_at,
            "labels": [],
        }
        if reason_subject:
            n["reasonSubject"] = reason_subject
        self.notifications[did].insert(0, n)
        self.notifications[did].sort(key=lambda x: x["indexedAt"], reverse=True)

    def notify_post(self, did: str, reason: str, view: Doc) -> None:
        self.notify(
            did, reason, view["author"]["did"], view["uri"], view["record"], view["indexedAt"]
        )

    def repost(
        self, by_did: str, rkey: str, subject: Doc, created_at: str, notify: str | None = None
    ) -> str:
        uri = f"at://{by_did}/app.bsky.feed.repost/{rkey}"
        record = {
            "$type": "app.bsky.feed.repost",
            "subject": {"uri": subject["uri"], "cid": subject["cid"]},
            "createdAt": created_at,
        }
        self.feeds[by_did].insert(
            0,
            {
                "post": subject,
                "reason": {
                    "$type": "app.bsky.feed.defs#reasonRepost",
                    "by": self.basic(by_did),
                    "uri": uri,
                    "indexedAt": created_at,
                },
            },
        )
        if notify:
            self.notify(
                notify, "repost", by_did, uri, record, created_at, reason_subject=subject["uri"]
            )
        return uri

    # -- serving ----------------------------------------------------------------------
    def fault_key(self, path: str) -> str:
        """Faults are queued by method name: ``listNotifications``, ``getAuthorFeed``…"""
        return path.rsplit(".", 1)[-1]

    def _auth(self, headers: Any) -> str | None:
        auth = headers.get("Authorization") or ""
        return self.tokens.get(auth.removeprefix("Bearer "))

    def _session(self, did: str) -> Doc:
        access = jwt(did, self.access_ttl, "com.atproto.access")
        self.tokens[access] = did
        handle = next(h for h, d in self.handles.items() if d == did)
        refresh = jwt(did, 90 * 86400, "com.atproto.refresh")
        self.tokens[refresh] = did
        return {
            "accessJwt": access,
            "refreshJwt": refresh,
            "handle": handle,
            "did": did,
            "active": True,
        }

    def route(
        self, method: str, path: str, query: dict[str, list[str]], body: bytes, headers: Any
    ) -> tuple[int, dict[str, str], Any]:
        nsid = path.removeprefix("/xrpc/")
        q = {k: v[0] for k, v in query.items()}
        ok = 200, self.rate_headers(int(time.time()) + 300) | {"ratelimit-remaining": "2999"}
        if nsid == "com.atproto.server.createSession":
            doc = json.loads(body or b"{}")
            ident = doc.get("identifier")
            if self.passwords.get(ident) != doc.get("password"):
                return (
                    401,
                    {},
                    {
                        "error": "AuthenticationRequired",
                        "message": "Invalid identifier or password",
                    },
                )
            self.logins += 1
            return *ok, self._session(self.handles[ident])
        if nsid == "com.atproto.server.refreshSession":
            did = self._auth(headers)
            if not did:
                return 400, {}, {"error": "ExpiredToken", "message": "Token has expired"}
            self.refreshes += 1
            return *ok, self._session(did)
        if nsid == "com.atproto.identity.resolveHandle":
            did = self.handles.get(q.get("handle", ""))
            if not did:
                return 400, {}, {"error": "InvalidRequest", "message": "Unable to resolve handle"}
            return *ok, {"did": did}
        viewer = self._auth(headers)
        if viewer is None:
            return (
                401,
                {},
                {"error": "AuthenticationRequired", "message": "Authentication Required"},
            )
        if nsid == "app.bsky.notification.listNotifications":
            items, nxt = page_of(self.notifications[viewer], query)
            return *ok, {
                "notifications": items,
                **({"cursor": nxt} if nxt else {}),
                "priority": False,
            }
        if nsid == "app.bsky.feed.getAuthorFeed":
            actor = self.handles.get(q["actor"], q["actor"])
            items, nxt = page_of(self.feeds[actor], query)
            return *ok, {"feed": items, **({"cursor": nxt} if nxt else {})}
        if nsid == "app.bsky.feed.getPostThread":
            thread = self.threads.get(q["uri"]) or self._thread(q["uri"])
            if thread is None:
                return 400, {}, {"error": "NotFound", "message": f"Post not found: {q['uri']}"}
            return *ok, thread
        if nsid == "app.bsky.feed.searchPosts":
            return *ok, self._search(q, query)
        if nsid == "app.bsky.feed.getPosts":
            uris = query.get("uris", [])
            return *ok, {"posts": [p for p in self.posts if p["uri"] in uris]}
        if nsid == "app.bsky.actor.getProfiles":
            actors = [self.handles.get(a, a) for a in query.get("actors", [])]
            return *ok, {"profiles": [self.profiles[a] for a in actors if a in self.profiles]}
        return 501, {}, {"error": "MethodNotImplemented", "message": nsid}

    def _thread(self, uri: str) -> Doc | None:
        by_uri = {p["uri"]: p for p in self.posts}
        if uri not in by_uri:
            return None

        def node(view: Doc, depth: int) -> Doc:
            replies = [
                p
                for p in self.posts
                if (p["record"].get("reply") or {}).get("parent", {}).get("uri") == view["uri"]
            ]
            return {
                "$type": "app.bsky.feed.defs#threadViewPost",
                "post": view,
                "replies": [node(r, depth + 1) for r in reversed(replies)] if depth < 6 else [],
            }

        root = node(by_uri[uri], 0)
        cur, parent_uri = (
            root,
            (by_uri[uri]["record"].get("reply") or {}).get("parent", {}).get("uri"),
        )
        while parent_uri and parent_uri in by_uri:
            cur["parent"] = {
                "$type": "app.bsky.feed.defs#threadViewPost",
                "post": by_uri[parent_uri],
            }
            cur = cur["parent"]
            parent_uri = (
                (by_uri[parent_uri]["record"].get("reply") or {}).get("parent", {}).get("uri")
            )
        return {"thread": root}

    def _search(self, q: dict[str, str], query: dict[str, list[str]]) -> Doc:
        def match(p: Doc) -> bool:
            rec = p["record"]
            feats = [f for facet in rec.get("facets") or [] for f in facet.get("features") or []]
            if "tag" in query:
                tags = {f.get("tag", "").lower() for f in feats if f["$type"].endswith("#tag")}
                if not all(t.lstrip("#").lower() in tags for t in query["tag"]):
                    return False
            if "mentions" in q:
                did = self.handles.get(q["mentions"], q["mentions"])
                if did not in {f.get("did") for f in feats if f["$type"].endswith("#mention")}:
                    return False
            if "domain" in q:
                links = [f.get("uri", "") for f in feats if f["$type"].endswith("#link")]
                if not any(
                    urlsplit(u).netloc.removeprefix("www.").endswith(q["domain"]) for u in links
                ):
                    return False
            if "since" in q and p["indexedAt"] < q["since"]:
                return False
            text_q = q.get("q", "*")
            return text_q in ("*", "") or text_q.lower() in rec.get("text", "").lower()

        items, nxt = page_of([p for p in self.posts if match(p)], query, 25)
        return {"posts": items, "hitsTotal": len(items), **({"cursor": nxt} if nxt else {})}


def facet_text(
    text: str,
    *,
    mentions: dict[str, str] | None = None,
    tags: list[str] | None = None,
    links: list[str] | None = None,
) -> list[Doc]:
    """Facets for ``text``: ``mentions`` maps '@handle' → DID, tags without '#', links."""
    facets: list[Doc] = []
    raw = text.encode()

    def span(sub: str) -> Doc:
        start = raw.index(sub.encode())
        return {"byteStart": start, "byteEnd": start + len(sub.encode())}

    for handle, did in (mentions or {}).items():
        facets.append(
            {
                "index": span(handle),
                "features": [{"$type": "app.bsky.richtext.facet#mention", "did": did}],
            }
        )
    for tag in tags or []:
        facets.append(
            {
                "index": span("#" + tag),
                "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": tag}],
            }
        )
    for link in links or []:
        facets.append(
            {
                "index": span(link),
                "features": [{"$type": "app.bsky.richtext.facet#link", "uri": link}],
            }
        )
    return facets


Factory = Callable[[], FakeBluesky]
