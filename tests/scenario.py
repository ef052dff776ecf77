"""Hand-made X API v2 pages for tests that assert exact numbers.

A :class:`Scenario` keeps a few users and posts, writes them as X API v2 ``tweets`` pages
(``data`` + ``includes.users`` + ``includes.tweets``, the shape of ``GET /2/tweets/search/recent``
and ``GET /2/users/:id/mentions``) and lands them through the one loading path,
:func:`warehouse.load.load_pages`. Example::

    s = Scenario(territory)                      # a territories.config.Territory
    s.user("villeneuve_fr")                      # the city's account (handle from the config)
    s.user("alice", location="Villeneuve (49)", followers=120)
    p = s.post("alice", "2024-03-04 08:00", "Bonjour @villeneuve_fr, la rue est fermée ?")
    s.reply("villeneuve_fr", p, "2024-03-04 09:20", "@alice Oui, jusqu'à 18h.")
    s.land(con)                                  # saves the territory, loads, resolves ids

Times are local wall-clock times in the territory's time zone (``"YYYY-MM-DD HH:MM[:SS]"``)
or aware datetimes. Mentions (``@name``), hashtags (``#Tag``) and links (``https://…``) are
read from the text into ``entities``, as X does. Every user of the scenario goes into
``includes.users`` (so the city accounts resolve) and referenced posts not in the page into
``includes.tweets``. Pass ``platform="bluesky"`` (or ``"mastodon"``) for an X-v2-shaped
page of another platform; keys are always ``(platform, id)``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import duckdb

from model import Territory
from warehouse.load import LoadStats, load_pages
from warehouse.pages import prepare_page
from warehouse.territory import resolve_account_ids, save_territory

_MENTION = re.compile(r"(?<![\w@])@(\w{1,30})")
_HASHTAG = re.compile(r"(?<![\w#])#(\w+)")
_URL = re.compile(r"https?://[^\s]+")
FETCH_BASE = datetime(2030, 1, 1)  # pages are "fetched" after every post, one second apart


@dataclass
class Scenario:
    territory: Territory
    platform: str = "x"
    users: dict[str, dict[str, Any]] = field(default_factory=dict)  # username (lower) -> user
    posts: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> tweet object
    _next_id: int = 1_700_000_000_000_000_000
    _pages: int = 0

    # ---- building blocks -------------------------------------------------------------
    def _new_id(self) -> str:
        self._next_id += 1
        return str(self._next_id)

    def instant(self, at: str | datetime) -> datetime:
        """A local time text (territory time zone) or an aware datetime, as aware UTC."""
        if isinstance(at, str):
            at = datetime.fromisoformat(at)
        if at.tzinfo is None:
            at = at.replace(tzinfo=ZoneInfo(self.territory.timezone))
        return at.astimezone(UTC)

    def user(
        self,
        username: str,
        *,
        name: str | None = None,
        location: str | None = None,
        description: str | None = None,
        followers: int = 0,
        id: str | None = None,
    ) -> str:
        """Add (or update the profile of) a user; returns its id."""
        key = username.lower()
        old = self.users.get(key)
        uid = id or (old["id"] if old else str(10_000 + len(self.users)))
        user: dict[str, Any] = {
            "id": uid,
            "username": username,
            "name": name or username,
            "public_metrics": {
                "followers_count": followers, "following_count": 0, "tweet_count": 0
            },
        }
        if location is not None:
            user["location"] = location
        if description is not None:
            user["description"] = description
        self.users[key] = user
        return uid

    def uid(self, username: str) -> str:
        return self.users[username.lower()]["id"]

    def _entities(self, text: str) -> dict[str, Any]:
        ent: dict[str, Any] = {}
        mentions = []
        for m in _MENTION.finditer(text):
            mention: dict[str, Any] = {"start": m.start(), "end": m.end(), "username": m[1]}
            if m[1].lower() in self.users:
                mention["id"] = self.users[m[1].lower()]["id"]
            mentions.append(mention)
        if mentions:
            ent["mentions"] = mentions
        tags = [{"start": m.start(), "end": m.end(), "tag": m[1]} for m in _HASHTAG.finditer(text)]
        if tags:
            ent["hashtags"] = tags
        urls = [
            {"start": m.start(), "end": m.end(), "url": f"https://t.co/x{i}", "expanded_url": m[0]}
            for i, m in enumerate(_URL.finditer(text))
        ]
        if urls:
            ent["urls"] = urls
        return ent

    def post(
        self,
        author: str,
        at: str | datetime,
        text: str,
        *,
        reply_to: str | None = None,
        quote: str | None = None,
        repost: str | None = None,
        conversation_id: str | None = None,
        id: str | None = None,
    ) -> str:
        """Add a post by ``author`` (a username of the scenario); returns its id.

        ``reply_to``/``quote``/``repost`` are ids of earlier posts. A reply inherits the
        parent's conversation; other posts start their own (``conversation_id = id``).
        """
        pid = id or self._new_id()
        if author.lower() not in self.users:
            self.user(author)
        tweet: dict[str, Any] = {
            "id": pid,
            "text": text,
            "author_id": self.uid(author),
            "created_at": self.instant(at).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
            "conversation_id": conversation_id or pid,
            "lang": "fr",
            "edit_history_tweet_ids": [pid],
            "public_metrics": {
                "retweet_count": 0, "reply_count": 0, "like_count": 0, "quote_count": 0
            },
        }
        refs = []
        if reply_to is not None:
            parent = self.posts[reply_to]
            tweet["in_reply_to_user_id"] = parent["author_id"]
            tweet["conversation_id"] = conversation_id or parent["conversation_id"]
            refs.append({"type": "replied_to", "id": reply_to})
        if quote is not None:
            refs.append({"type": "quoted", "id": quote})
        if repost is not None:
            refs.append({"type": "retweeted", "id": repost})
        if refs:
            tweet["referenced_tweets"] = refs
        ent = self._entities(text)
        if ent:
            tweet["entities"] = ent
        self.posts[pid] = tweet
        return pid

    def reply(self, author: str, to: str, at: str | datetime, text: str, **kw: Any) -> str:
        return self.post(author, at, text, reply_to=to, **kw)

    def quote(self, author: str, of: str, at: str | datetime, text: str, **kw: Any) -> str:
        return self.post(author, at, text, quote=of, **kw)

    def repost(self, author: str, of: str, at: str | datetime, **kw: Any) -> str:
        """A pure repost: text ``RT @original_author: original text``, as X writes it."""
        original = self.posts[of]
        by = next(u["username"] for u in self.users.values() if u["id"] == original["author_id"])
        return self.post(author, at, f"RT @{by}: {original['text']}", repost=of, **kw)

    # ---- pages -----------------------------------------------------------------------
    def page(self, post_ids: list[str] | None = None) -> str:
        """One ``tweets`` page body (JSON text) holding ``post_ids`` (default: every post)."""
        ids = list(self.posts) if post_ids is None else list(post_ids)
        data = [self.posts[i] for i in ids]
        referenced = []
        for t in data:
            for r in t.get("referenced_tweets", []):
                original = self.posts.get(r["id"])
                if r["id"] not in ids and original is not None and original not in referenced:
                    referenced.append(original)
        doc: dict[str, Any] = {"data": data, "includes": {"users": list(self.users.values())}}
        if referenced:
            doc["includes"]["tweets"] = referenced
        doc["meta"] = {"result_count": len(data)}
        return json.dumps(doc, ensure_ascii=False)

    def land(
        self,
        con: duckdb.DuckDBPyConnection,
        post_ids: list[str] | None = None,
        *,
        fetched_at: datetime | None = None,
    ) -> LoadStats:
        """Save the territory, load one page of ``post_ids`` (default all), resolve city ids."""
        self._pages += 1
        save_territory(con, self.territory)
        page = prepare_page(
            self.page(post_ids),
            territory=self.territory.slug,
            platform=self.platform,
            source="test",
            endpoint="/2/tweets/search/recent",
            fetched_at=fetched_at or FETCH_BASE + timedelta(seconds=self._pages),
        )
        stats = load_pages(con, [page])
        resolve_account_ids(con, self.territory.slug)
        return stats


def make_territory(**sections: Any) -> Territory:
    """A small test territory (Europe/Paris, French holidays) with three city accounts.

    ``ville`` (mon-fri 09:00-18:00), ``ville_sortir`` (every day 10:00-20:00) and
    ``ville_proprete`` (split hours: mon-fri 08:30-12:00 and 13:30-17:30, sat 09:00-12:00);
    tracks ``#Ville``, links to ``ville.fr``; locality terms ``Villeneuve`` and ``49``.
    Keyword arguments replace whole sections of the TOML (``tracking={...}``).
    """
    from model import parse_config

    data: dict[str, Any] = {
        "territory": {
            "name": "Villeneuve (test)",
            "slug": "testville",
            "timezone": "Europe/Paris",
            "holidays": "FR",
        },
        "accounts": [
            {"platform": "x", "handle": "ville", "service_hours": "mon-fri 09:00-18:00"},
            {"platform": "x", "handle": "ville_sortir", "service_hours": "mon-sun 10:00-20:00"},
            {
                "platform": "x",
                "handle": "ville_proprete",
                "service_hours": "mon-fri 08:30-12:00, mon-fri 13:30-17:30, sat 09:00-12:00",
            },
        ],
        "tracking": {"hashtags": ["#Ville"], "city_domains": ["ville.fr"]},
        "locality": {"terms": ["Villeneuve", "49"]},
    }
    data.update(sections)
    return parse_config(data, source="<test>")
