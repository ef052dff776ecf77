"""A fake Mastodon server on 127.0.0.1 (real HTTP) that the real ``Mastodon.py`` client talks to.

It serves ``/api/v1/accounts/lookup``, ``/api/v1/notifications`` (``types[]=mention``),
``/api/v1/accounts/:id/statuses``, ``/api/v1/timelines/tag/:tag``,
``/api/v1/statuses/:id/context`` with Mastodon's paging: ``max_id`` (older than),
``since_id`` (newer than, newest first), ``min_id`` (just newer than, oldest first), a
``Link`` header with ``rel="next"`` (``max_id``) and ``rel="prev"`` (``min_id``), and the
``X-RateLimit-*`` headers. Faults are queued per route name (``notifications``,
``statuses``, ``tag``, ``context``, ``lookup``): ``"429"`` (with ``X-RateLimit-Reset``),
``"429-noreset"``, ``"503"``, ``"malformed"``, ``"401"``.

Statuses and accounts are plain dicts in Mastodon's JSON shape; :func:`cassette_bodies`
reads the recorded responses of Mastodon.py's vcrpy cassettes (bodies may be gzip- or
base64-encoded) so the fake can serve real payloads.
"""

from __future__ import annotations

import base64
import gzip
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import yaml

from tests.fake_bluesky import FakeServer

Doc = dict[str, Any]


def cassette_bodies(path: Path) -> list[tuple[str, str, Any, dict[str, Any]]]:
    """``(method, uri, parsed body, headers)`` of every recorded interaction of a cassette."""
    doc = yaml.safe_load(path.read_text())
    out = []
    for it in doc["interactions"]:
        body = it["response"]["body"].get("string", "")
        raw = body if isinstance(body, bytes) else body.encode()
        headers = {k.lower(): v for k, v in (it["response"].get("headers") or {}).items()}
        enc = "".join(headers.get("content-encoding") or [])
        if raw[:2] == b"\x1f\x8b" or "gzip" in enc:
            raw = gzip.decompress(raw)
        try:
            parsed = json.loads(raw)
        except ValueError:
            try:
                parsed = json.loads(base64.b64decode(raw))
            except ValueError:
                parsed = None
        out.append((it["request"]["method"], it["request"]["uri"], parsed, headers))
    return out


class FakeMastodon(FakeServer):
    """One Mastodon server whose public domain is ``domain`` (ids in payloads use it)."""

    def __init__(self, domain: str = "social.example", token: str | None = "tok-secret-42") -> None:
        super().__init__()
        self.domain = domain
        self.token = token
        self.accounts: dict[str, Doc] = {}  # local id → account
        self.statuses: dict[str, Doc] = {}  # local id → status
        self.notifications: list[Doc] = []
        self.owner: str | None = None  # local account id the token belongs to
        self.max_limit = 40  # the server's cap on ``limit`` (Mastodon: 40)
        self._next = 110_000_000_000_000_000

    def new_id(self) -> str:
        self._next += 1000
        return str(self._next)

    # -- building the world -----------------------------------------------------------
    def add_account(
        self,
        username: str,
        home: str | None = None,
        *,
        note: str = "",
        followers: int = 0,
        display_name: str = "",
        fields: list[Doc] | None = None,
        owner: bool = False,
    ) -> Doc:
        """A local account (``home`` None) or a remote one seen from this server."""
        aid = self.new_id()
        dom = home or self.domain
        acc = {
            "id": aid,
            "username": username,
            "acct": username if home is None else f"{username}@{home}",
            "display_name": display_name,
            "note": note,
            "url": f"https://{dom}/@{username}",
            "uri": f"https://{dom}/users/{username}",
            "followers_count": followers,
            "following_count": 1,
            "statuses_count": 1,
            "created_at": "2024-01-01T00:00:00.000Z",
            "bot": False,
            "fields": fields or [],
        }
        self.accounts[aid] = acc
        if owner:
            self.owner = aid
        return acc

    def add_account_doc(self, acc: Doc, owner: bool = False) -> Doc:
        self.accounts[str(acc["id"])] = acc
        if owner:
            self.owner = str(acc["id"])
        return acc

    def add_status(
        self,
        account: Doc,
        html: str,
        created_at: str,
        *,
        reply_to: Doc | None = None,
        mentions: list[Doc] | None = None,
        tags: list[str] | None = None,
        reblog: Doc | None = None,
        card_url: str | None = None,
        sid: str | None = None,
        notify_mention: bool = False,
    ) -> Doc:
        sid = sid or self.new_id()
        home = account["url"].split("/")[2]
        st = {
            "id": sid,
            "created_at": created_at,
            "in_reply_to_id": reply_to["id"] if reply_to else None,
            "in_reply_to_account_id": reply_to["account"]["id"] if reply_to else None,
            "sensitive": False,
            "spoiler_text": "",
            "visibility": "public",
            "language": "fr",
            "uri": f"https://{home}/users/{account['username']}/statuses/{sid}"
            + ("/activity" if reblog else ""),
            "url": f"https://{home}/@{account['username']}/{sid}",
            "replies_count": 0,
            "reblogs_count": 0,
            "favourites_count": 0,
            "quotes_count": 0,
            "content": "" if reblog else html,
            "reblog": reblog,
            "account": account,
            "mentions": [
                {"id": m["id"], "username": m["username"], "url": m["url"], "acct": m["acct"]}
                for m in mentions or []
            ],
            "tags": [{"name": t, "url": f"https://{self.domain}/tags/{t}"} for t in tags or []],
            "emojis": [],
            "media_attachments": [],
            "card": {"url": card_url} if card_url else None,
            "poll": None,
            "quote": None,
        }
        self.statuses[sid] = st
        if notify_mention and self.owner:
            self.notifications.append(
                {
                    "id": self.new_id(),
                    "type": "mention",
                    "created_at": created_at,
                    "account": account,
                    "status": st,
                }
            )
        return st

    def notify(self, kind: str, account: Doc, status: Doc, created_at: str) -> None:
        """A notification to the token's owner (``reblog``: ``account`` boosted ``status``)."""
        self.notifications.append(
            {
                "id": self.new_id(),
                "type": kind,
                "created_at": created_at,
                "account": account,
                "status": status,
            }
        )

    def add_status_doc(self, st: Doc) -> Doc:
        self.statuses[str(st["id"])] = st
        self.accounts.setdefault(str(st["account"]["id"]), st["account"])
        return st

    # -- serving ----------------------------------------------------------------------
    def fault_key(self, path: str) -> str:
        if path.startswith("/api/v1/notifications"):
            return "notifications"
        if path.startswith("/api/v1/timelines/tag/"):
            return "tag"
        if path.endswith("/context"):
            return "context"
        if path.startswith("/api/v1/accounts/lookup"):
            return "lookup"
        if path.startswith("/api/v1/accounts/") and path.endswith("/statuses"):
            return "statuses"
        return path

    def rate_headers(self, reset: int) -> dict[str, str]:
        at = datetime.fromtimestamp(reset, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        return {"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": at}

    def fault_response(self, kind: str) -> tuple[int, dict[str, str], Any]:
        status, headers, body = super().fault_response(kind)
        if kind == "malformed":
            body = b'[{"id": "1", "content": "<p>cut'
        elif isinstance(body, dict):
            body = {"error": body.get("message", "error")}
        return status, headers, body

    def _ok(self) -> dict[str, str]:
        at = datetime.fromtimestamp(time.time() + 300, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        return {"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "299", "X-RateLimit-Reset": at}

    def _page(
        self, path: str, items: list[Doc], query: dict[str, list[str]]
    ) -> tuple[int, dict[str, str], Any]:
        """Mastodon's id paging over ``items`` (any order in, newest first out)."""
        q = {k: v[0] for k, v in query.items()}
        limit = min(int(q.get("limit", 20)), self.max_limit)
        items = sorted(items, key=lambda d: int(d["id"]), reverse=True)
        if "max_id" in q:
            items = [i for i in items if int(i["id"]) < int(q["max_id"])]
        if "since_id" in q:
            items = [i for i in items if int(i["id"]) > int(q["since_id"])]
        if "min_id" in q:
            items = [i for i in items if int(i["id"]) > int(q["min_id"])][-limit:]
        chunk = items[:limit]
        headers = self._ok()
        if chunk:
            keep = [
                (k, v)
                for k, vs in query.items()
                for v in vs
                if k not in ("max_id", "min_id", "since_id")
            ]
            base = f"https://{self.domain}{path}"
            nxt = f"{base}?{urlencode([*keep, ('max_id', chunk[-1]['id'])])}"
            prev = f"{base}?{urlencode([*keep, ('min_id', chunk[0]['id'])])}"
            headers["Link"] = f'<{nxt}>; rel="next", <{prev}>; rel="prev"'
        return 200, headers, chunk

    def route(
        self, method: str, path: str, query: dict[str, list[str]], body: bytes, headers: Any
    ) -> tuple[int, dict[str, str], Any]:
        auth = (headers.get("Authorization") or "").removeprefix("Bearer ")
        authed = self.token is not None and auth == self.token
        if auth and not authed:
            return 401, {}, {"error": "The access token is invalid"}
        if path.rstrip("/") in ("/api/v1/instance", "/api/v2/instance"):
            return (
                200,
                self._ok(),
                {
                    "domain": self.domain,
                    "uri": self.domain,
                    "version": "4.3.0",
                    "title": "Fake",
                    "description": "",
                },
            )
        if path == "/api/v1/accounts/lookup":
            acct = query.get("acct", [""])[0].removesuffix(f"@{self.domain}")
            acc = next((a for a in self.accounts.values() if a["acct"] == acct), None)
            return (200, self._ok(), acc) if acc else (404, {}, {"error": "Record not found"})
        if path == "/api/v1/notifications":
            if not authed:
                return 401, {}, {"error": "The access token is invalid"}
            types = query.get("types[]") or query.get("types") or []
            items = [n for n in self.notifications if not types or n["type"] in types]
            return self._page(path, items, query)
        parts = path.strip("/").split("/")
        if parts[:3] == ["api", "v1", "accounts"] and len(parts) == 5 and parts[4] == "statuses":
            items = [s for s in self.statuses.values() if str(s["account"]["id"]) == parts[3]]
            return self._page(path, items, query)
        if parts[:4] == ["api", "v1", "timelines", "tag"] and len(parts) == 5:
            tag = parts[4].lower()
            items = [
                s
                for s in self.statuses.values()
                if any(t["name"].lower() == tag for t in s["tags"])
            ]
            return self._page(path, items, query)
        if parts[:3] == ["api", "v1", "statuses"] and len(parts) == 5 and parts[4] == "context":
            st = self.statuses.get(parts[3])
            if st is None:
                return 404, {}, {"error": "Record not found"}
            return 200, self._ok(), self._context(st)
        if parts[:3] == ["api", "v1", "statuses"] and len(parts) == 4 and parts[3] in self.statuses:
            return 200, self._ok(), self.statuses[parts[3]]
        return 404, {}, {"error": "Endpoint not found"}

    def _context(self, st: Doc) -> Doc:
        ancestors = []
        cur = st
        while cur.get("in_reply_to_id") and cur["in_reply_to_id"] in self.statuses:
            cur = self.statuses[cur["in_reply_to_id"]]
            ancestors.insert(0, cur)
        descendants, frontier = [], [st["id"]]
        while frontier:
            kids = [s for s in self.statuses.values() if s.get("in_reply_to_id") in frontier]
            descendants += sorted(kids, key=lambda s: int(s["id"]))
            frontier = [k["id"] for k in kids]
        return {"ancestors": ancestors, "descendants": descendants}
