"""The demo's posts, put in the pages of the endpoints a collector would have found them with.

On X: posts mentioning a city account come from ``GET /2/users/:id/mentions``, the city's own
posts from ``GET /2/users/:id/tweets``, everything else (hashtags, keywords, links, reposts,
threads) from ``GET /2/tweets/search/recent``; the city's profiles from ``GET /2/users/by``.
On Bluesky and Mastodon: the notifications, the city's feed or statuses, the reposts of its
posts, the search or the hashtag timeline, in those platforms' shapes
(:mod:`collectors.demo.native`). A page holds up to :data:`PAGE_SIZE` posts (40 on
Mastodon), newest first, with the users and referenced posts it names.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import orjson

from collectors.demo import native
from collectors.demo.calendar import MINUTE
from collectors.demo.cast import Cast
from model import Territory
from warehouse.pages import RawPage

PAGE_SIZE = 100
TWEPOCH = 1288834974657  # X's snowflake epoch (ms)
_USER_FIELDS = "created_at,description,location,public_metrics,verified,verified_type"


class Pages:
    """Collects the posts into pages; finished pages wait in :attr:`out` to be yielded."""

    def __init__(self, territory: Territory, seed: int, cast: Cast, start_ms: int, end_ms: int):
        self.territory = territory
        self.seed = seed
        self.cast = cast
        self.start_ms = start_ms
        self.end_ms = end_ms
        self.out: list[RawPage] = []
        self.page_no = 0
        self.buffers: dict[
            tuple[Any, ...], list[tuple[dict[str, Any], tuple[Any, ...], tuple[Any, ...]]]
        ] = {}
        self._queries: dict[tuple[Any, ...], tuple[str, str]] = {}
        self.ident = native.Identities(seed, cast.usernames, cast.profiles)
        n_city, acc_pf = cast.n_city, cast.acc_pf

        def on_platform(pf: int, i: int) -> bool:
            return i >= n_city or acc_pf[i] == pf

        self.conv = native.Converter(
            self.ident, {u: i for i, u in enumerate(cast.ids)}, on_platform
        )
        t = territory
        self.search_terms = [*t.hashtags, *(f'"{k}"' for k in t.keywords), *t.city_domains]
        self.tag = (t.hashtags[0] if t.hashtags else "#" + t.slug).lstrip("#")

    # --- routing ------------------------------------------------------------------------
    def route(
        self,
        p: dict[str, Any],
        author: int,
        users: tuple[int, ...],
        refs: tuple[Any, ...],
        is_repost: bool = False,
    ) -> None:
        """Put a post in the page of the endpoint a collector would have found it with."""
        pf = p.get("_pf")
        if pf:
            key = self._native_key(pf, author, users, refs, is_repost)
            nbuf = self.buffers.setdefault(key, [])
            nbuf.append((p, (author, is_repost), refs))
            if len(nbuf) >= (PAGE_SIZE if pf == native.BSKY else 40):
                self._flush(key)
            return
        n_city = self.cast.n_city
        xkey: tuple[Any, ...]
        if author < n_city:
            xkey = ("tweets", author)
        else:
            xkey = ("search", 0)
            if not is_repost:
                for u in users:
                    if u < n_city:
                        xkey = ("mentions", u)
                        break
        buf = self.buffers.setdefault(xkey, [])
        buf.append((p, users, refs))
        if len(buf) >= PAGE_SIZE:
            self._flush(xkey)

    def flush_all(self) -> None:
        """Close every page still filling."""
        for key in list(self.buffers):
            self._flush(key)

    def _flush(self, key: tuple[Any, ...]) -> None:
        if key[0] == "native":
            self._flush_native(key)
        else:
            self._flush_x(key)

    # --- X --------------------------------------------------------------------------------
    def _query(self, key: tuple[Any, ...]) -> tuple[str, str]:
        """The endpoint and query string of the request that returned ``key``'s pages."""
        if key not in self._queries:
            self._queries[key] = self._make_query(key)
        return self._queries[key]

    def _make_query(self, key: tuple[Any, ...]) -> tuple[str, str]:
        common = {
            "max_results": "100",
            "tweet.fields": "author_id,conversation_id,created_at,entities,in_reply_to_user_id,"
            "lang,public_metrics,referenced_tweets,edit_history_tweet_ids",
            "expansions": "author_id,referenced_tweets.id,referenced_tweets.id.author_id,"
            "entities.mentions.username,in_reply_to_user_id",
            "user.fields": _USER_FIELDS,
        }
        kind, acc = key
        if kind == "tweets":
            return "/2/users/:id/tweets", urlencode({"id": self.cast.ids[acc], **common})
        if kind == "mentions":
            return "/2/users/:id/mentions", urlencode({"id": self.cast.ids[acc], **common})
        t = self.territory
        handles = self.cast.city_handles
        terms = [
            *t.hashtags,
            *(f'"{k}"' for k in t.keywords),
            *(f"url:{d}" for d in t.city_domains),
            *(f"@{h}" for h in handles),
            *(f"retweets_of:{h}" for h in handles),
        ]
        return "/2/tweets/search/recent", urlencode({"query": " OR ".join(terms), **common})

    def _flush_x(self, key: tuple[Any, ...]) -> None:
        buf = self.buffers.pop(key, [])
        if not buf:
            return
        data = [p for p, _, _ in reversed(buf)]  # X returns the newest first
        seen_users: dict[int, None] = {}
        for _, users, _ in buf:
            for u in users:
                seen_users[u] = None
        in_page = {p["id"] for p in data}
        tweets: dict[str, dict[str, Any]] = {}
        for _, _, refs in buf:
            for r, ra in refs:
                if r["id"] not in in_page and r["id"] not in tweets:
                    tweets[r["id"]] = r
                    seen_users[ra] = None
        includes: dict[str, Any] = {"users": [self.cast.profiles[u] for u in seen_users]}
        if tweets:
            includes["tweets"] = list(tweets.values())
        self.page_no += 1
        page = {
            "data": data,
            "includes": includes,
            "meta": {
                "result_count": len(data),
                "newest_id": data[0]["id"],
                "oldest_id": data[-1]["id"],
                "next_token": f"demo{self.seed}p{self.page_no:08d}",
            },
        }
        endpoint, query = self._query(key)
        newest = int(data[0]["id"]) >> 22
        fetched = min(
            self.end_ms, newest + TWEPOCH + 3 * MINUTE + (self.page_no * 7919 % (12 * MINUTE))
        )
        self.out.append(
            RawPage(
                body=orjson.dumps(page).decode(),
                territory=self.territory.slug,
                platform="x",
                source="demo",
                endpoint=endpoint,
                query=query,
                origin=f"demo:seed={self.seed}:page={self.page_no}",
                fetched_at=datetime.fromtimestamp(fetched / 1000, UTC).replace(tzinfo=None),
                kind="tweets",
            )
        )

    def users_page(self) -> RawPage:
        """``GET /2/users/by?usernames=…``: the city's accounts and the organisations."""
        c = self.cast
        users = [*range(c.n_x), *c.org_range]
        body = orjson.dumps({"data": [c.profiles[u] for u in users]}).decode()
        return RawPage(
            body=body,
            territory=self.territory.slug,
            platform="x",
            source="demo",
            endpoint="/2/users/by",
            query=urlencode(
                {
                    "usernames": ",".join(c.usernames[u] for u in users),
                    "user.fields": _USER_FIELDS,
                }
            ),
            origin=f"demo:seed={self.seed}:users",
            fetched_at=datetime.fromtimestamp(self.start_ms / 1000, UTC).replace(tzinfo=None),
            kind="users",
        )

    # --- Bluesky and Mastodon ------------------------------------------------------------
    def native_ids(
        self,
        p: dict[str, Any],
        pf: int,
        author: int,
        reply_to: dict[str, Any] | None,
        reply_user: int,
        quoted: dict[str, Any] | None,
    ) -> None:
        """The post's ids on its platform (kept beside the X-shaped fields, never output)."""
        p["_pf"] = pf
        p["_uri"], local = self.ident.post_ids(pf, author, p["id"])
        p["_root"] = p["_uri"] if reply_to is None else reply_to["_root"]
        if reply_to is not None:
            p["_parent"] = reply_to["_uri"]
        if quoted is not None:
            p["_quoted"] = quoted["_uri"]
        if pf == native.MASTO:
            p["_mid"] = local
            p["_acc"] = self.ident.masto(author)["url"]
            if reply_to is not None:
                p["_parent_mid"] = reply_to["_mid"]
                p["_parent_acc"] = self.ident.masto(reply_user)["id"]
            self.conv.masto_known(p)

    def repost_ids(self, p: dict[str, Any], pf: int, author: int) -> None:
        """A repost's ids on its platform."""
        p["_pf"] = pf
        p["_uri"], p["_mid"] = self.ident.repost_ids(pf, author, p["id"])

    def _native_key(
        self, pf: int, author: int, users: Sequence[int], refs: tuple[Any, ...], is_repost: bool
    ) -> tuple[Any, ...]:
        """The endpoint a Bluesky / Mastodon collector finds the post with."""
        city = self.cast.pf_city[pf]
        masto = pf == native.MASTO
        if author == city:
            kind = "statuses" if masto else "feed"
        elif is_repost:
            if refs[0][1] == city:
                kind = "notifications"
            else:
                kind = "reblogs" if masto else "reposts"
        elif city in users or any(ra == city for _, ra in refs):
            kind = "notifications"
        else:
            kind = "tag" if masto else "search"
        return ("native", pf, kind)

    def _native_item(
        self, pf: int, kind: str, p: dict[str, Any], author: int, is_repost: bool, refs: Any
    ) -> dict[str, Any]:
        c = self.conv
        city = self.cast.pf_city[pf]
        quoted, qa = None, -1
        for r, ra in refs:
            if "_quoted" in p and r.get("_uri") == p["_quoted"]:
                quoted, qa = r, ra
        if pf == native.BSKY:
            if kind == "notifications":
                if is_repost:
                    return c.bsky_notification(p, author, "repost", refs[0][0])
                if "_parent" in p and refs[0][1] == city:
                    reason = "reply"
                elif quoted is not None and qa == city:
                    reason = "quote"
                else:
                    reason = "mention"
                return c.bsky_notification(p, author, reason, None)
            if kind == "reposts":
                return c.bsky_repost_item(p, author, refs[0][0], refs[0][1])
            if kind == "feed":
                return {"post": c.bsky_view(p, author)}
            return c.bsky_view(p, author)
        if is_repost:
            reblog = c.masto_reblog(p, author, refs[0][0], refs[0][1])
            if kind == "notifications":
                return c.masto_notification(p, author, "reblog", reblog["reblog"])
            return reblog
        st = c.masto_status(p, author, quoted, qa)
        if kind == "notifications":
            return c.masto_notification(
                p, author, "quote" if quoted is not None and qa == city else "mention", st
            )
        return st

    def _flush_native(self, key: tuple[Any, ...]) -> None:
        buf = self.buffers.pop(key, [])
        if not buf:
            return
        _, pf, kind = key
        items = [
            self._native_item(pf, kind, p, author, is_repost, refs)
            for p, (author, is_repost), refs in reversed(buf)
        ]
        self.page_no += 1
        first_author = buf[-1][1][0]
        if pf == native.BSKY:
            ident = self.ident.did(first_author)
        else:
            ident = self.ident.masto(first_author)["id"]
        newest = (int(buf[-1][0]["id"]) >> 22) + TWEPOCH
        fetched = min(self.end_ms, newest + 3 * MINUTE + (self.page_no * 7919 % (12 * MINUTE)))
        self.out.append(
            self.conv.page(
                pf,
                kind,
                items,
                territory=self.territory.slug,
                seed=self.seed,
                page_no=self.page_no,
                query=native.query_of(pf, kind, self.tag, self.search_terms, ident),
                fetched_ms=fetched,
            )
        )

    def native_users_pages(self) -> Iterator[RawPage]:
        """The city's Bluesky / Mastodon profiles and the organisations' (profile lookups)."""
        for pf, city in sorted(self.cast.pf_city.items()):
            users = [city, *self.cast.org_range]
            if pf == native.BSKY:
                kind, items = "profiles", [self.ident.bsky(u) for u in users]
                ident = ",".join(v["handle"] for v in items)
            else:
                kind, items = "accounts", [self.ident.masto(u) for u in users]
                ident = ",".join(v["id"] for v in items)
            yield self.conv.page(
                pf,
                kind,
                items,
                territory=self.territory.slug,
                seed=self.seed,
                page_no=0,
                query=native.query_of(pf, kind, self.tag, self.search_terms, ident),
                fetched_ms=self.start_ms,
            )
