"""The demo's Bluesky and Mastodon pages: platform-native responses, mapped like real ones.

:mod:`collectors.demo.posts` draws every post in one X-v2 shape; a post of a Bluesky or Mastodon
conversation is turned here into what that platform's API returns (Bluesky
``app.bsky.feed.defs#postView`` inside ``app.bsky.notification.listNotifications``,
``app.bsky.feed.getAuthorFeed`` and ``app.bsky.feed.searchPosts`` responses; Mastodon
``Status`` lists from ``GET /api/v1/notifications``, ``GET /api/v1/accounts/:id/statuses``
and ``GET /api/v1/timelines/tag/:hashtag``), then run through the collectors' own mappers
(:mod:`collectors.bluesky_map`, :mod:`collectors.mastodon_map`) for ``RawPage.canonical``.
So the demo's ids follow the collectors' scheme (AT URIs and DIDs; status ``uri`` and
profile ``url``) and land through the same code as collected data.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from html import escape
from typing import Any
from urllib.parse import urlencode

import orjson

from collectors import bluesky_map, mastodon_map
from warehouse.pages import RawPage

Doc = dict[str, Any]
BSKY, MASTO = 1, 2
PLATFORM = {BSKY: "bluesky", MASTO: "mastodon"}
MASTO_HOME = "mastodon.social"
# servers of the demo's Mastodon users (the city's server first)
MASTO_SERVERS = (MASTO_HOME, MASTO_HOME, "piaille.fr", "framapiaf.org", "mastodon.tedomum.net")
_S32 = "234567abcdefghijklmnopqrstuvwxyz"
_TWEPOCH = 1288834974657


_PAIRS = [a + b for a in _S32 for b in _S32]  # 10 bits -> two characters
_HEX_TO_B32 = str.maketrans("0123456789abcdef", "abcdefghijklmnop")


def _s32(n: int, width: int = 13) -> str:
    """``n`` in the sortable base-32 of AT Protocol record keys (TIDs), ``width`` characters."""
    out = [_PAIRS[(n >> s) & 1023] for s in range(10 * (width // 2 - 1), -1, -10)]
    if width % 2:
        out.insert(0, _S32[(n >> 10 * (width // 2)) & 31])
    return "".join(out)


def _t_of(pid: str) -> int:
    return (int(pid) >> 22) + _TWEPOCH


class Identities:
    """Each demo person's Bluesky and Mastodon identity (derived from their index)."""

    def __init__(self, seed: int, usernames: list[str], profiles: list[Doc]):
        self.seed = seed
        self.usernames = usernames
        self.profiles = profiles
        self._bsky: dict[int, Doc] = {}
        self._masto: dict[int, Doc] = {}

    def did(self, i: int) -> str:
        return self.bsky(i)["did"]

    def bsky(self, i: int) -> Doc:
        """``app.bsky.actor.defs#profileView`` (with counts) of person ``i``."""
        v = self._bsky.get(i)
        if v is None:
            h = hashlib.sha1(f"demo:{self.seed}:{i}".encode()).digest()
            name = self.usernames[i]
            handle = name if "." in name else name.lower().replace("_", "-") + ".bsky.social"
            prof = self.profiles[i]
            bio = prof["description"]
            if prof.get("location"):
                bio = f"{bio} · 📍 {prof['location']}"
            pm = prof["public_metrics"]
            v = self._bsky[i] = {
                "did": "did:plc:" + _s32(int.from_bytes(h[:15], "big"), 24),
                "handle": handle,
                "displayName": prof["name"],
                "description": bio,
                "createdAt": prof["created_at"],
                "followersCount": max(0, pm["followers_count"] // 3),
                "followsCount": pm["following_count"] // 2,
                "postsCount": pm["tweet_count"] // 4,
            }
        return v

    def masto(self, i: int) -> Doc:
        """Mastodon ``Account`` of person ``i``, as the city's server shows it."""
        v = self._masto.get(i)
        if v is None:
            name = self.usernames[i]
            if "@" in name:
                user, server = name.split("@", 1)
            else:
                user = name.lower()
                server = MASTO_SERVERS[int(hashlib.sha1(name.encode()).digest()[0]) % 5]
            prof = self.profiles[i]
            pm = prof["public_metrics"]
            v = self._masto[i] = {
                "id": str(109_000_000_000_000_000 + i * 7919),
                "username": user,
                "acct": user if server == MASTO_HOME else f"{user}@{server}",
                "display_name": prof["name"],
                "note": f"<p>{escape(prof['description'])}</p>",
                "url": f"https://{server}/@{user}",
                "uri": f"https://{server}/users/{user}",
                "created_at": prof["created_at"],
                "bot": False,
                "fields": (
                    [{"name": "Localisation", "value": escape(prof["location"])}]
                    if prof.get("location")
                    else []
                ),
                "followers_count": max(0, pm["followers_count"] // 5),
                "following_count": pm["following_count"] // 3,
                "statuses_count": pm["tweet_count"] // 5,
            }
        return v

    def post_ids(self, pf: int, author: int, pid: str) -> tuple[str, str]:
        """(the post's id on the platform, its native handle: AT URI / status uri, local id)."""
        n = int(pid)
        if pf == BSKY:
            return f"at://{self.did(author)}/app.bsky.feed.post/{_s32(n)}", _s32(n)
        mid = str((_t_of(pid) << 16) | (n & 0xFFFF))
        return f"{self.masto(author)['uri']}/statuses/{mid}", mid

    def repost_ids(self, pf: int, author: int, pid: str) -> tuple[str, str]:
        n = int(pid)
        if pf == BSKY:
            return f"at://{self.did(author)}/app.bsky.feed.repost/{_s32(n)}", _s32(n)
        mid = str((_t_of(pid) << 16) | (n & 0xFFFF))
        return f"{self.masto(author)['uri']}/statuses/{mid}/activity", mid


def _segments(p: Doc) -> list[tuple[str, Any]]:
    """The text of an X-shaped post cut at its entities: (kind, value) in order."""
    text = p["text"]
    ents = p.get("entities") or {}
    spans = [(m["start"], m["end"], "mention", m) for m in ents.get("mentions", ())]
    spans += [(h["start"], h["end"], "tag", h) for h in ents.get("hashtags", ())]
    spans += [(u["start"], u["end"], "url", u) for u in ents.get("urls", ())]
    spans.sort(key=lambda s: s[0])
    out: list[tuple[str, Any]] = []
    pos = 0
    for s, e, kind, ent in spans:
        if s < pos:
            continue
        if s > pos:
            out.append(("text", text[pos:s]))
        out.append((kind, ent))
        pos = e
    if pos < len(text):
        out.append(("text", text[pos:]))
    return out


class Converter:
    """X-shaped demo posts → Bluesky / Mastodon views and pages."""

    def __init__(self, ident: Identities, index_of: dict[str, int], on_platform: Any):
        self.ident = ident
        self.index_of = index_of
        self.on_platform = on_platform  # (pf, person index) -> bool
        self.known = mastodon_map.Known(domain=MASTO_HOME)

    # --- Bluesky -----------------------------------------------------------------------
    def bsky_record(self, p: Doc) -> Doc:
        parts: list[bytes] = []
        size = 0
        facets: list[Doc] = []
        for kind, val in _segments(p):
            if kind == "text":
                piece = val
            elif kind == "tag":
                piece = "#" + val["tag"]
            elif kind == "url":
                piece = val.get("display_url") or val["expanded_url"]
            else:
                i = self.index_of.get(val.get("id", ""), -1)
                if i >= 0 and self.on_platform(BSKY, i):
                    piece = "@" + self.ident.bsky(i)["handle"]
                else:
                    kind, piece = "text", "@" + val["username"]
            raw = piece.encode()
            if kind != "text":
                feature: Doc
                if kind == "tag":
                    feature = {"$type": "app.bsky.richtext.facet#tag", "tag": val["tag"]}
                elif kind == "url":
                    feature = {"$type": "app.bsky.richtext.facet#link", "uri": val["expanded_url"]}
                else:
                    feature = {"$type": "app.bsky.richtext.facet#mention", "did": self.ident.did(i)}
                index = {"byteStart": size, "byteEnd": size + len(raw)}
                facets.append({"index": index, "features": [feature]})
            parts.append(raw)
            size += len(raw)
        rec: Doc = {
            "$type": "app.bsky.feed.post",
            "text": b"".join(parts).decode(),
            "createdAt": p["created_at"],
            "langs": ["fr"],
        }
        if facets:
            rec["facets"] = facets
        if "_parent" in p:
            rec["reply"] = {
                "root": {"uri": p["_root"], "cid": _cid(p["_root"])},
                "parent": {"uri": p["_parent"], "cid": _cid(p["_parent"])},
            }
        if "_quoted" in p:
            rec["embed"] = {
                "$type": "app.bsky.embed.record",
                "record": {"uri": p["_quoted"], "cid": _cid(p["_quoted"])},
            }
        return rec

    def bsky_view(self, p: Doc, author: int) -> Doc:
        m = p["public_metrics"]
        return {
            "uri": p["_uri"],
            "cid": _cid(p["_uri"]),
            "author": self.ident.bsky(author),
            "record": self.bsky_record(p),
            "replyCount": m["reply_count"],
            "repostCount": m["retweet_count"],
            "likeCount": m["like_count"],
            "quoteCount": m["quote_count"],
            "indexedAt": p["created_at"],
            "labels": [],
        }

    def bsky_notification(self, p: Doc, author: int, reason: str, orig: Doc | None) -> Doc:
        n: Doc = {
            "uri": p["_uri"],
            "cid": _cid(p["_uri"]),
            "author": self.ident.bsky(author),
            "reason": reason,
            "isRead": True,
            "indexedAt": p["created_at"],
            "labels": [],
        }
        if reason == "repost" and orig is not None:
            n["reasonSubject"] = orig["_uri"]
            n["record"] = {
                "$type": "app.bsky.feed.repost",
                "subject": {"uri": orig["_uri"], "cid": _cid(orig["_uri"])},
                "createdAt": p["created_at"],
            }
        else:
            n["record"] = self.bsky_record(p)
            if reason in ("reply", "quote"):
                n["reasonSubject"] = p.get("_parent") or p.get("_quoted")
        return n

    def bsky_repost_item(self, p: Doc, author: int, orig: Doc, orig_author: int) -> Doc:
        return {
            "post": self.bsky_view(orig, orig_author),
            "reason": {
                "$type": "app.bsky.feed.defs#reasonRepost",
                "by": self.ident.bsky(author),
                "uri": p["_uri"],
                "indexedAt": p["created_at"],
            },
        }

    # --- Mastodon ----------------------------------------------------------------------
    def masto_status(self, p: Doc, author: int, quoted: Doc | None = None, qa: int = -1) -> Doc:
        html: list[str] = []
        mentions: list[Doc] = []
        tags: list[Doc] = []
        for kind, val in _segments(p):
            if kind == "text":
                html.append(escape(val).replace("\n", "<br>"))
            elif kind == "tag":
                tag = val["tag"]
                html.append(
                    f'<a href="https://{MASTO_HOME}/tags/{escape(tag.lower())}" '
                    f'class="mention hashtag" rel="tag">#{escape(tag)}</a>'
                )
                tags.append({"name": tag.lower(), "url": f"https://{MASTO_HOME}/tags/{tag.lower()}"})
            elif kind == "url":
                html.append(
                    f'<a href="{escape(val["expanded_url"])}" rel="nofollow noopener" '
                    f'target="_blank">{escape(val.get("display_url") or val["expanded_url"])}</a>'
                )
            else:
                i = self.index_of.get(val.get("id", ""), -1)
                if i >= 0 and self.on_platform(MASTO, i):
                    acc = self.ident.masto(i)
                    html.append(
                        f'<a href="{acc["url"]}" class="u-url mention">'
                        f'@{escape(acc["username"])}</a>'
                    )
                    mentions.append(
                        {k: acc[k] for k in ("id", "username", "acct", "url")}
                    )
                else:
                    html.append(escape("@" + val["username"]))
        m = p["public_metrics"]
        st: Doc = {
            "id": p["_mid"],
            "uri": p["_uri"],
            "url": p["_uri"].replace("/users/", "/@").replace("/statuses/", "/"),
            "created_at": p["created_at"],
            "account": self.ident.masto(author),
            "content": "<p>" + "".join(html) + "</p>",
            "visibility": "public",
            "sensitive": False,
            "spoiler_text": "",
            "language": "fr",
            "in_reply_to_id": p.get("_parent_mid"),
            "in_reply_to_account_id": p.get("_parent_acc"),
            "reblog": None,
            "mentions": mentions,
            "tags": tags,
            "reblogs_count": m["retweet_count"],
            "replies_count": m["reply_count"],
            "favourites_count": m["like_count"],
            "quotes_count": m["quote_count"],
        }
        if quoted is not None:
            st["quote"] = {"state": "accepted", "quoted_status": self.masto_status(quoted, qa)}
        return st

    def masto_reblog(self, p: Doc, author: int, orig: Doc, orig_author: int) -> Doc:
        return {
            "id": p["_mid"],
            "uri": p["_uri"],
            "url": None,
            "created_at": p["created_at"],
            "account": self.ident.masto(author),
            "content": "",
            "visibility": "public",
            "in_reply_to_id": None,
            "in_reply_to_account_id": None,
            "reblog": self.masto_status(orig, orig_author),
            "mentions": [],
            "tags": [],
            "reblogs_count": 0,
            "replies_count": 0,
            "favourites_count": 0,
        }

    def masto_notification(self, p: Doc, author: int, kind: str, status: Doc) -> Doc:
        return {
            "id": p["_mid"],
            "type": kind,
            "created_at": p["created_at"],
            "account": self.ident.masto(author),
            "status": status,
        }

    # --- pages -------------------------------------------------------------------------
    def page(
        self,
        pf: int,
        kind: str,
        items: list[Doc],
        *,
        territory: str,
        seed: int,
        page_no: int,
        query: str,
        fetched_ms: int,
    ) -> RawPage:
        """One response of ``kind`` holding ``items`` (newest first), with its canonical copy."""
        origin = f"demo:seed={seed}:page={page_no}"
        cursor = f"demo{seed}p{page_no:08d}"
        if pf == BSKY:
            nsid, key = {
                "notifications": ("app.bsky.notification.listNotifications", "notifications"),
                "feed": ("app.bsky.feed.getAuthorFeed", "feed"),
                "reposts": ("app.bsky.feed.getAuthorFeed", "feed"),
                "search": ("app.bsky.feed.searchPosts", "posts"),
                "profiles": ("app.bsky.actor.getProfiles", "profiles"),
            }[kind]
            doc: Any = {key: items} if kind == "profiles" else {key: items, "cursor": cursor}
            canon, page_kind = bluesky_map.canonical(nsid, doc)
            endpoint = nsid
        else:
            doc = items
            endpoint, map_kind = {
                "notifications": ("/api/v1/notifications", "notifications"),
                "statuses": ("/api/v1/accounts/:id/statuses", "statuses"),
                "reblogs": ("/api/v1/accounts/:id/statuses", "statuses"),
                "tag": ("/api/v1/timelines/tag/:hashtag", "statuses"),
                "accounts": ("/api/v1/accounts", "accounts"),
            }[kind]
            mastodon_map.remember(doc, self.known)
            canon, page_kind = mastodon_map.canonical(map_kind, doc, self.known)
        return RawPage(
            body=orjson.dumps(doc).decode(),
            territory=territory,
            platform=PLATFORM[pf],
            source="demo",
            endpoint=endpoint,
            query=query,
            origin=origin,
            fetched_at=datetime.fromtimestamp(fetched_ms / 1000, UTC).replace(tzinfo=None),
            kind=page_kind,
            canonical=orjson.dumps(canon).decode(),
        )

    def masto_known(self, p: Doc) -> None:
        """Remember a status as the collector would after reading its thread context."""
        self.known.statuses[p["_mid"]] = {
            "uri": p["_uri"],
            "account": p["_acc"],
            "reply_to": p.get("_parent_mid"),
        }


def _cid(uri: str) -> str:
    """A stand-in content id (the demo's records have no real CBOR encoding)."""
    digest = hashlib.blake2b(uri.encode(), digest_size=26).hexdigest()
    return "bafyrei" + digest.translate(_HEX_TO_B32)


def query_of(pf: int, kind: str, city: str, terms: list[str], ident_id: str) -> str:
    """The query string of the request behind a page of ``kind``."""
    if pf == BSKY:
        if kind in ("notifications",):
            return urlencode({"limit": "100"})
        if kind in ("feed", "reposts"):
            return urlencode({"actor": ident_id, "limit": "100"})
        if kind == "profiles":
            return urlencode({"actors": ident_id})
        return urlencode({"q": " ".join(terms), "limit": "100", "sort": "latest"})
    if kind == "notifications":
        return urlencode(
            [("types[]", "mention"), ("types[]", "reblog"), ("types[]", "quote"), ("limit", "40")]
        )
    if kind in ("statuses", "reblogs"):
        return urlencode({"id": ident_id, "limit": "40"})
    if kind == "accounts":
        return urlencode({"id[]": ident_id})
    return urlencode({"hashtag": city, "limit": "40"})
