"""One demo post at a time, in X API v2's shape: its snowflake id, text, entities and counts.

A text comes ready-made from the pools (:mod:`collectors.demo.pools`); a post adds the
``@user`` prefix of a reply, the t.co link, the entities at their offsets, the platform ids
of a Bluesky or Mastodon post, then hands the post to its page
(:class:`collectors.demo.pages.Pages`).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from collectors.demo.calendar import HOUR, MINUTE
from collectors.demo.cast import Cast
from collectors.demo.pages import TWEPOCH, Pages

_B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
# a repost's own counts (X reports them as zeros; the original carries the real ones)
_REPOST_METRICS = {
    "retweet_count": 0,
    "reply_count": 0,
    "like_count": 0,
    "quote_count": 0,
    "bookmark_count": 0,
    "impression_count": 0,
}


class Poster:
    """Emits posts (:meth:`post`, :meth:`repost`) and counts them in :attr:`emitted`."""

    def __init__(self, rng: random.Random, seed: int, cast: Cast, pages: Pages):
        self.rng = rng
        self.seed = seed
        self.cast = cast
        self.pages = pages
        self.emitted = 0
        self.last_ms = 0
        self.sf_seq = 0
        self.links = 0
        self.root_pf = 0  # the platform of the root being drawn (0: X, then BSKY, MASTO)
        self.id_salt = 0  # bits 7-11 of the snowflake's sequence: the place's number (0-31)
        self._iso_hour = -1
        self._iso_prefix = ""
        self._quiet_metrics = [
            {
                "retweet_count": 0,
                "reply_count": 0,
                "like_count": likes,
                "quote_count": 0,
                "bookmark_count": likes // 9,
                "impression_count": 40 + likes * 31,
            }
            for likes in range(26)
        ]

    def _iso(self, t: int) -> str:
        """X's ``created_at`` (second precision) for the instant ``t`` (ms)."""
        hour, rest = divmod(t, HOUR)
        if hour != self._iso_hour:
            self._iso_hour = hour
            self._iso_prefix = datetime.fromtimestamp(hour * 3600, UTC).strftime("%Y-%m-%dT%H:")
        minute, ms = divmod(rest, MINUTE)
        return f"{self._iso_prefix}{minute:02d}:{ms // 1000:02d}.000Z"

    def _snowflake(self, t: int) -> str:
        """A post id for the instant ``t`` (ids increase with time)."""
        if t == self.last_ms:
            self.sf_seq += 1
        else:
            self.sf_seq = 0
            self.last_ms = t
        return str(
            ((t - TWEPOCH) << 22)
            | ((self.emitted * 37 & 0x3FF) << 12)
            | ((self.id_salt | self.sf_seq) & 0xFFF)
        )

    def _metrics(self, retweets: int, replies: int, quotes: int) -> dict[str, int]:
        """``public_metrics``; the many posts nobody reacted to share a few dicts."""
        likes = int(self.rng.random() ** 3 * 25)
        if not (retweets or replies or quotes):
            return self._quiet_metrics[likes]
        likes += retweets * 3
        return {
            "retweet_count": retweets,
            "reply_count": replies,
            "like_count": likes,
            "quote_count": quotes,
            "bookmark_count": likes // 9,
            "impression_count": 40 + likes * 31 + retweets * 120,
        }

    def _entities_at(
        self, tags: tuple[Any, ...], mentions: tuple[Any, ...], off: int
    ) -> tuple[Any, ...]:
        tag_ents = [{"start": s + off, "end": e + off, "tag": g} for g, s, e in tags]
        ms, users = [], []
        for name, s, e, idx in mentions:
            m = {"start": s + off, "end": e + off, "username": name}
            if idx >= 0:
                m["id"] = self.cast.ids[idx]
                users.append(idx)
            ms.append(m)
        return (tag_ents, ms, tuple(users))

    def _tco(self) -> str:
        self.links += 1
        n = (self.links * 0x9E3779B97F4A7C15 + self.seed) % (62**10)
        code = []
        for _ in range(10):
            n, r = divmod(n, 62)
            code.append(_B62[r])
        return "https://t.co/" + "".join(code)

    def post(
        self,
        t: int,
        author: int,
        item: tuple[Any, ...],
        *,
        reply_to: dict[str, Any] | None = None,
        reply_user: int = -1,
        prefix: Sequence[int] = (),
        quoted: dict[str, Any] | None = None,
        quoted_author: int = -1,
        conv: str | None = None,
        metrics: tuple[int, int, int] = (0, 0, 0),
        extra_users: Sequence[int] = (),
    ) -> dict[str, Any]:
        """Emit one post at ``t`` (ids are snowflakes, increasing with time)."""
        pid = self._snowflake(t)
        cast = self.cast
        body, tags, mentions, url, display, cache = item
        ents: dict[str, Any] = {}
        if prefix:
            if len(prefix) == 1:
                head, ms = cast.heads[prefix[0]]
            else:
                head, ms = "", []
                for u in prefix:
                    name = cast.usernames[u]
                    ms.append(
                        {
                            "start": len(head),
                            "end": len(head) + 1 + len(name),
                            "username": name,
                            "id": cast.ids[u],
                        }
                    )
                    head += f"@{name} "
            off = len(head)
            text = head + body
        else:
            off, text, ms = 0, body, []
        cached = cache.get(off)
        if cached is None:
            cached = cache[off] = self._entities_at(tags, mentions, off)
        tag_ents, body_ms, body_users = cached
        if body_ms:
            ms = ms + body_ms
        if ms:
            ents["mentions"] = ms
        if tag_ents:
            ents["hashtags"] = tag_ents
        if url:
            short = self._tco()
            start = len(text) + 1
            text = f"{text} {short}"
            ents["urls"] = [
                {
                    "start": start,
                    "end": start + 23,
                    "url": short,
                    "expanded_url": url,
                    "display_url": display,
                }
            ]
        p: dict[str, Any] = {
            "id": pid,
            "text": text,
            "author_id": cast.ids[author],
            "created_at": self._iso(t),
            "conversation_id": conv or pid,
            "lang": "fr",
            "edit_history_tweet_ids": [pid],
            "public_metrics": self._metrics(*metrics),
        }
        if ents:
            p["entities"] = ents
        refs: tuple[Any, ...] = ()
        if reply_to is not None:
            p["in_reply_to_user_id"] = cast.ids[reply_user]
            p["referenced_tweets"] = [{"type": "replied_to", "id": reply_to["id"]}]
            refs = ((reply_to, reply_user),)
        if quoted is not None:
            p.setdefault("referenced_tweets", []).append({"type": "quoted", "id": quoted["id"]})
            refs = (*refs, (quoted, quoted_author))
        if reply_to is not None:
            pf = reply_to.get("_pf", 0)
        elif quoted is not None:
            pf = quoted.get("_pf", 0)
        elif author < cast.n_city:
            pf = cast.acc_pf[author]
        else:
            pf = self.root_pf
        if pf:
            self.pages.native_ids(p, pf, author, reply_to, reply_user, quoted)
        self.emitted += 1
        self.pages.route(p, author, (author, *prefix, *body_users, *extra_users), refs)
        return p

    def repost(self, t: int, author: int, original: dict[str, Any], orig_author: int) -> None:
        """``RT @user: text`` (X truncates a repost's text; the original comes in includes)."""
        pid = self._snowflake(t)
        ids = self.cast.ids
        uname = self.cast.usernames[orig_author]
        head = f"RT @{uname}: "
        text = head + original["text"]
        if len(text) > 140:
            text = text[:139] + "…"
        ents: dict[str, Any] = {
            "mentions": [
                {"start": 3, "end": 4 + len(uname), "username": uname, "id": ids[orig_author]}
            ]
        }
        tags = original.get("entities", {}).get("hashtags")
        if tags:
            off = len(head)
            kept = [
                {"start": h["start"] + off, "end": h["end"] + off, "tag": h["tag"]}
                for h in tags
                if h["end"] + off <= len(text)
            ]
            if kept:
                ents["hashtags"] = kept
        p = {
            "id": pid,
            "text": text,
            "author_id": ids[author],
            "created_at": self._iso(t),
            "conversation_id": pid,
            "lang": "fr",
            "edit_history_tweet_ids": [pid],
            "public_metrics": _REPOST_METRICS,
            "entities": ents,
            "referenced_tweets": [{"type": "retweeted", "id": original["id"]}],
        }
        pf = original.get("_pf", 0)
        if pf:
            self.pages.repost_ids(p, pf, author)
        self.emitted += 1
        self.pages.route(p, author, (author, orig_author), ((original, orig_author),), True)
