"""The demo's text pools: the texts (:mod:`collectors.demo.texts`) filled in, per month.

A pool holds, per month of the year (0-11), the texts that may be posted then; only the
months the demo's period covers are filled. A seasonal template goes to its months only; a
template naming an event or a month is expanded for each month, with the events of that
month and the months ahead of it; the others are expanded once and shared. Each text is
ready-made (:func:`text_item`): its hashtags and mentions are found once.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from typing import Any

from collectors.demo import texts as tx
from collectors.demo.calendar import QUARTER
from collectors.demo.cast import Cast

Item = tuple[Any, ...]  # see text_item
Pool = list[list[Item]]  # per month (0-11)

_HASHTAG = re.compile(r"#(\w+)")
_DATED_SLOT = re.compile(r"\{(?:event2?|month)\}")  # slots whose value depends on the date
_MENTION = re.compile(r"@(\w+)")


def text_item(body: str, url: str | None, handle_index: dict[str, int]) -> Item:
    """A ready-made text: (body, hashtags, mentions, url, display url, entity cache).

    Hashtags are (tag, start, end); mentions (username, start, end, user index or -1).
    The cache maps an offset (the length of a reply's ``@user`` prefix) to the entity
    lists at that offset, built once and shared by every post using this text.
    """
    tags = tuple((m.group(1), m.start(), m.end()) for m in _HASHTAG.finditer(body))
    mentions = tuple(
        (m.group(1), m.start(), m.end(), handle_index.get(m.group(1).lower(), -1))
        for m in _MENTION.finditer(body)
    )
    display = None
    if url:
        display = url.split("://", 1)[-1].removeprefix("www.")
        display = display if len(display) <= 30 else display[:29] + "…"
    cache: dict[int, tuple[Any, ...]] = {}
    return (body, tags, mentions, url, display, cache)


def _prefixed(head: str, template: Any) -> tx.Seasonal:
    """``head`` + a text template (a greeting before a question), in the template's season."""
    months, body = tx.season_of(template)
    return tx.Seasonal(months, head + body)


class TextPools:
    """Every pool of the demo, for the months of ``month_at`` (the local month of each
    quarter hour of the period, from ``start_ms``); texts are drawn with ``rng``."""

    def __init__(
        self, seed: int, cast: Cast, month_at: list[int], start_ms: int, rng: random.Random
    ):
        self.cast = cast
        self.month_at = month_at
        self.start_ms = start_ms
        self.rng = rng
        self._build(random.Random(seed * 7919 + 17), cast.handle_index)

    def _build(self, rng: random.Random, hi: dict[str, int]) -> None:
        covered = sorted(set(self.month_at))
        rename = self.cast.rename  # another place than Villeneuve: its words

        def expansions(
            body_tpl: str, link_tpl: str | None, k: int, capital: bool, choices: Any
        ) -> list[Item]:
            items = []
            for _ in range(k):
                body = tx.expand(body_tpl, rng, None, choices)
                if capital:  # questions start lower-case after an empty greeting
                    body = body[:1].upper() + body[1:]
                if rename is not None:
                    body = rename(body)
                url = tx.expand(link_tpl, rng, {"text": body}) if link_tpl else None
                if rename is not None and url is not None:
                    url = rename(url)
                items.append(text_item(body, url, hi))
            return items

        def pool(templates: Sequence[Any], k: int, capital: bool = False) -> Pool:
            months: Pool = [[] for _ in range(12)]
            for seasonal in templates:
                season, tpl = tx.season_of(seasonal)
                body_tpl, link_tpl = tpl if isinstance(tpl, tuple) else (tpl, None)
                in_period = [m for m in covered if m + 1 in season]
                if _DATED_SLOT.search(body_tpl):
                    for m in in_period:
                        events = tx.events_in(m + 1)
                        choices = {
                            "event": events,
                            "event2": events,
                            "month": tx.months_ahead(m + 1),
                        }
                        months[m].extend(expansions(body_tpl, link_tpl, k, capital, choices))
                elif in_period:
                    items = expansions(body_tpl, link_tpl, k, capital, None)
                    for m in in_period:
                        months[m].extend(items)
            for m in covered:
                if not months[m]:
                    raise ValueError(f"no demo text for month {m + 1}")
                rng.shuffle(months[m])
            return months

        self.city = [pool(tx.CITY_POSTS[r], 12) for r in tx.ROLES]
        self.storm_city = pool(tx.STORM_CITY_POSTS, 10)
        self.answer = [pool(tx.ANSWERS[r], 6) for r in tx.ROLES]
        self.question = [
            pool([_prefixed(g, q) for g in tx.GREETINGS for q in tx.QUESTIONS[r]], 3, True)
            for r in tx.ROLES
        ]
        self.storm_mention = pool(tx.STORM_MENTIONS, 15)
        self.reply_city = pool(tx.REPLIES_TO_CITY, 10)
        self.citizen_reply = pool(tx.CITIZEN_REPLIES, 10)
        self.followup = pool(tx.FOLLOWUPS, 3)
        self.quote = pool(tx.QUOTES, 6)
        self.hashtag = pool(tx.HASHTAG_POSTS, 15)
        self.storm = pool(tx.STORM_POSTS, 20)
        self.news = pool(tx.NEWS_POSTS, 12)
        self.immo = pool(tx.IMMO_POSTS, 6)
        chatter = [tx.season_of(c) for c in tx.CHATTER]
        self.chatter = pool(
            [tx.Seasonal(m, (c, link)) for m, c in chatter for link in tx.CHATTER_LINKS], 3
        )
        self.link = pool(tx.LINK_RELAYS, 12)
        self.xss = text_item(tx.XSS_TEXT if rename is None else rename(tx.XSS_TEXT), None, hi)

    def pick(self, pools: Pool, t: int) -> Item:
        """A text for a post at ``t``: one of those of its local month."""
        items = pools[self.month_at[(t - self.start_ms) // QUARTER]]
        return items[int(self.rng.random() * len(items))]

    def suffixed(self, item: Item, acc: int) -> Item:
        """``item`` with ``@handle`` at its end (built once per text and account)."""
        key = -1 - acc  # negative keys of the entity cache hold these variants
        variant = item[5].get(key)
        if variant is None:
            variant = item[5][key] = text_item(
                f"{item[0]} @{self.cast.usernames[acc]}", item[3], self.cast.handle_index
            )
        return variant
