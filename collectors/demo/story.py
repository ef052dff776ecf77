"""What happens in the demo: the root posts of each hour and everything that follows them.

Every hour of the period draws its number of new root posts from the calendar's rhythm
(:func:`collectors.demo.calendar.hourly_weights`) and their kinds (the city's posts,
mentions of the city, hashtags, news, links, chatter; the storm's on its day). Each
handler emits a post and schedules what follows from it on a timeline (a heap of instants):
reposts, quotes, citizens' replies and threads, the city's answer (quick, slow, at the next
opening or never, sometimes by another city account) and the citizen's follow-up. The
audience moves from X to Bluesky over the weeks (Mastodon grows a little).
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from collectors.demo import native
from collectors.demo.calendar import (
    HOUR,
    MINUTE,
    WEEKS,
    ServiceHours,
    demo_period,
    hourly_weights,
    month_slots,
    ms,
)
from collectors.demo.cast import Cast
from collectors.demo.pages import Pages
from collectors.demo.place import VILLENEUVE, Habits
from collectors.demo.pools import Item, TextPools
from collectors.demo.posts import Poster
from model import Territory
from warehouse.pages import RawPage

# fmt: off
# root kinds and their weights, on a normal hour and during the storm
_KINDS = ("city", "mention", "hashtag", "news", "link", "chatter", "storm", "storm_mention",
          "storm_city")
_KIND_W = (5, 20, 27, 4, 7, 12, 0, 0, 0)
_STORM_KIND_W = (2, 8, 10, 1, 2, 3, 55, 18, 1)
# fmt: on


class Story(Poster):
    """The demo's generator: :meth:`run` yields its pages."""

    def __init__(
        self,
        territory: Territory,
        posts: int,
        seed: int,
        anchor: date,
        platforms: Sequence[str] = ("x", "bluesky", "mastodon"),
        rename: Callable[[str], str] | None = None,
        habits: Habits = VILLENEUVE,
        number: int = 0,
    ):
        """``rename``, ``habits``: another place than Villeneuve (collectors/demo/place.py);
        ``number``: the place's number in a demo of many (0-31), mixed into its post ids so
        that two places never draw the same id."""
        rng = random.Random(seed)
        self.territory = territory
        self.n_posts = posts
        self.anchor = anchor
        self.tz = ZoneInfo(territory.timezone)
        start, end = demo_period(territory, anchor)
        self.start_ms = ms(start.replace(tzinfo=UTC))
        self.end_ms = ms(end.replace(tzinfo=UTC))
        # virality is bounded by the territory's daily volume (a post of a small demo
        # must not outgrow the storm day)
        self.max_reposts = max(8, min(400, posts // (WEEKS * 7) // 3))
        self.heap: list[tuple[int, int, Callable[..., None], tuple[Any, ...]]] = []
        self.seq = 0
        self.due: dict[int, int] = {}
        cast = Cast(territory, platforms, posts, rng, rename, habits, number)
        self.role = cast.role
        self.n_x = cast.n_x
        # a role of the texts (three on X) -> the X account that speaks it (the first one
        # when the territory has fewer)
        self.x_of = [r if r < cast.n_x else 0 for r in range(3)]
        # per account: the chance to leave an interpellation unanswered, to answer slowly
        self.p_never = [(0.15, 0.08, 0.10, 0.10, 0.2)[s] * habits.unanswered for s in cast.slot]
        self.p_slow = [(0.38, 0.2, 0.25, 0.25, 0.3)[s] * habits.slow for s in cast.slot]
        self.speed = habits.speed
        self.threads = habits.threads
        self.pf_city = cast.pf_city
        self.pick_citizen = cast.pick_citizen
        self.pick_relayer = cast.pick_relayer
        self.hours = ServiceHours(territory, cast.city_accounts, anchor)
        month_at = month_slots(self.start_ms, self.end_ms, self.tz)
        self.texts = TextPools(seed, cast, month_at, self.start_ms, rng)
        self.pick = self.texts.pick
        pages = Pages(territory, seed, cast, self.start_ms, self.end_ms)
        super().__init__(rng, seed, cast, pages)
        self.id_salt = (number % 32) << 7

    # --- the timeline -----------------------------------------------------------------------
    def push(self, t: int, fn: Callable[..., None], *args: Any) -> None:
        if t >= self.end_ms:
            return  # would happen after the demo's end: never seen
        self.seq += 1
        heapq.heappush(self.heap, (t, self.seq, fn, args))
        b = (t - self.start_ms) // HOUR
        self.due[b] = self.due.get(b, 0) + 1

    def run(self) -> Iterator[RawPage]:
        pages = self.pages
        yield pages.users_page()
        yield from pages.native_users_pages()
        rng = self.rng
        weights, stormy = hourly_weights(rng, self.start_ms, self.end_ms, self.tz, self.anchor)
        total_w = sum(weights)
        kind_cum = [sum(_KIND_W[: i + 1]) for i in range(len(_KINDS))]
        storm_cum = [sum(_STORM_KIND_W[: i + 1]) for i in range(len(_KINDS))]
        handlers = {k: getattr(self, f"_root_{k}") for k in _KINDS}
        xss_local = datetime.combine(self.anchor - timedelta(days=2), time(10, 17, 42), self.tz)
        self.push(ms(xss_local), self._root_xss)
        cum_w = 0.0
        n_b = len(weights)
        heap = self.heap
        for b in range(n_b):
            b0 = self.start_ms + b * HOUR
            b1 = b0 + HOUR
            # the audience moves from X to Bluesky over the weeks (Mastodon grows a little)
            p_b = (0.08 + 0.20 * b / n_b) if native.BSKY in self.pf_city else 0.0
            p_bm = p_b + ((0.06 + 0.07 * b / n_b) if native.MASTO in self.pf_city else 0.0)
            cum_w += weights[b]
            target = round(self.n_posts * cum_w / total_w)
            need = target - self.emitted - self.due.pop(b, 0)
            if b == n_b - 1:
                need = self.n_posts - self.emitted - sum(1 for e in heap if e[0] < b1)
            if need > 0:
                cum = storm_cum if stormy[b] else kind_cum
                kinds = rng.choices(_KINDS, cum_weights=cum, k=need)
                for k in kinds:
                    t = b0 + int(rng.random() * HOUR)
                    self.seq += 1
                    heapq.heappush(heap, (t, self.seq, handlers[k], ()))
            while heap and heap[0][0] < b1 and self.emitted < self.n_posts:
                t, _, fn, args = heapq.heappop(heap)
                if not args:  # a new root: on which platform
                    r = rng.random()
                    self.root_pf = native.BSKY if r < p_b else (native.MASTO if r < p_bm else 0)
                fn(t, *args)
                if pages.out:
                    yield from pages.out
                    pages.out.clear()
            if self.emitted >= self.n_posts:
                break
        # top up at the very end if children fell short (keeps the count exact)
        while self.emitted < self.n_posts:
            t = max(self.last_ms, self.end_ms - HOUR)
            t += int(rng.random() * (self.end_ms - t))
            self._root_hashtag(min(t, self.end_ms - 1))
        self.heap.clear()
        pages.flush_all()
        yield from pages.out
        pages.out.clear()

    # --- what happens ---------------------------------------------------------------------
    # Each handler emits a post at ``t`` and schedules what follows from it (reposts,
    # replies, the city's answer) on the timeline.
    def _delay(self, mean_minutes: float) -> int:
        return 30_000 + int(self.rng.expovariate(1.0 / mean_minutes) * MINUTE)

    def _other_city(self, acc: int) -> int:
        n = self.n_x
        if acc >= n:  # alone on its platform
            return acc
        if n == 1:
            return acc
        return (acc + 1 + int(self.rng.random() * (n - 1))) % n

    def _root_city(self, t: int, storm: bool = False) -> None:
        r = self.rng.random()
        acc = self.x_of[0 if storm or r < 0.45 else (1 if r < 0.8 else 2)]
        if self.root_pf:
            acc = self.pf_city[self.root_pf]
        opening = self.hours.next_open(acc, t)
        if opening is None:
            return
        if opening > t:  # the city posts during its service hours
            self.push(
                opening + 2 * MINUTE + int(self.rng.random() * 90 * MINUTE),
                self._city_post,
                acc,
                storm,
            )
        else:
            self._city_post(t, acc, storm)

    def _root_storm_city(self, t: int) -> None:
        self._root_city(t, storm=True)

    def _city_post(self, t: int, acc: int, storm: bool) -> None:
        rng = self.rng
        item = self.pick(self.texts.storm_city if storm else self.texts.city[self.role[acc]], t)
        n_rt = min(self.max_reposts, int(rng.paretovariate(1.6) * 1.6) - 1) * (4 if storm else 1)
        n_q = (rng.random() < 0.35) + (rng.random() < 0.1)
        n_r = int(rng.paretovariate(2.2)) - 1 + (rng.random() < 0.45)
        p = self.post(t, acc, item, metrics=(n_rt, n_r, n_q))
        seen: set[int] = set()
        for _ in range(n_rt):
            u = self.pick_relayer()
            if u not in seen:
                seen.add(u)
                self.push(t + self._delay(180), self.repost, u, p, acc)
        if rng.random() < 0.15 and 1 < self.n_x > acc:  # a sibling city account relays it
            self.push(t + self._delay(60), self.repost, self._other_city(acc), p, acc)
        for _ in range(n_q):
            self.push(t + self._delay(240), self._quote, p, acc)
        for _ in range(n_r):
            self.push(t + self._delay(120), self._reply_to_city, p, acc)

    def _quote(self, t: int, original: dict[str, Any], orig_author: int) -> None:
        self.post(
            t,
            self.pick_relayer(),
            self.pick(self.texts.quote, t),
            quoted=original,
            quoted_author=orig_author,
            metrics=(int(self.rng.random() * 1.5), 0, 0),
        )

    def _reply_to_city(self, t: int, parent: dict[str, Any], acc: int) -> None:
        """A citizen replies to a city post: an interpellation."""
        u = self.pick_citizen()
        conv = parent["conversation_id"]
        p = self.post(
            t,
            u,
            self.pick(self.texts.reply_city, t),
            reply_to=parent,
            reply_user=acc,
            prefix=(acc,),
            conv=conv,
        )
        self._maybe_answer(t, p, u, acc, conv)
        if self.rng.random() < 0.25 * self.threads:
            self.push(t + self._delay(90), self._citizen_reply, p, u, (u, acc), conv, 0)

    def _citizen_reply(
        self,
        t: int,
        parent: dict[str, Any],
        parent_author: int,
        prefix: tuple[int, ...],
        conv: str,
        depth: int,
    ) -> None:
        """A citizen answers another citizen (a thread; never an interpellation)."""
        u = self.pick_citizen()
        if u == parent_author:
            u = self.pick_citizen()
        p = self.post(
            t,
            u,
            self.pick(self.texts.citizen_reply, t),
            reply_to=parent,
            reply_user=parent_author,
            prefix=prefix,
            conv=conv,
        )
        if depth < 4 and self.rng.random() < 0.3 * self.threads:
            nxt = (u, *(x for x in prefix if x != u))[:3]
            self.push(t + self._delay(60), self._citizen_reply, p, u, nxt, conv, depth + 1)

    def _maybe_answer(
        self, t: int, p: dict[str, Any], citizen: int, acc: int, conv: str, reluctance: float = 0.0
    ) -> None:
        """Schedule the city's answer: quick, slow, at the next opening, or never."""
        rng = self.rng
        answerer = self._other_city(acc) if rng.random() < 0.08 else acc
        if rng.random() < self.p_never[answerer] + reluctance:
            return  # never answered
        r = rng.random()
        if r < 0.05:  # an agent answers out of hours, from their phone
            ta: int | None = t + 5 * MINUTE + int(rng.random() * 55 * MINUTE)
        elif r < self.p_slow[answerer]:  # slow: one to three working days
            ta = self.hours.add(answerer, t, (120 + rng.random() * 1300) * self.speed)
        else:  # quick, counted in service time (so out of hours: at the next opening)
            ta = self.hours.add(answerer, t, 3 + rng.lognormvariate(2.9, 0.8) * self.speed)
        if ta is not None:
            self.push(ta, self._answer, p, citizen, answerer, conv)

    def _answer(self, t: int, interp: dict[str, Any], citizen: int, acc: int, conv: str) -> None:
        p = self.post(
            t,
            acc,
            self.pick(self.texts.answer[self.role[acc]], t),
            reply_to=interp,
            reply_user=citizen,
            prefix=(citizen,),
            conv=conv,
        )
        if self.rng.random() < 0.18:
            self.push(t + self._delay(90), self._followup, p, citizen, acc, conv)

    def _followup(self, t: int, answer: dict[str, Any], citizen: int, acc: int, conv: str) -> None:
        """The citizen replies to the city's answer: a new interpellation, often left at that."""
        p = self.post(
            t,
            citizen,
            self.pick(self.texts.followup, t),
            reply_to=answer,
            reply_user=acc,
            prefix=(acc,),
            conv=conv,
        )
        self._maybe_answer(t, p, citizen, acc, conv, reluctance=0.5)

    def _root_mention(self, t: int, storm: bool = False) -> None:
        """A citizen's fresh post addressed to a city account: an interpellation."""
        rng = self.rng
        r = rng.random()
        if storm:
            acc = self.x_of[0 if r < 0.6 else 2]
            item = self.pick(self.texts.storm_mention, t)
        else:
            role = 0 if r < 0.45 else (2 if r < 0.8 else 1)
            item = self.pick(self.texts.question[role], t)
            acc = self.x_of[role]
        if self.root_pf:
            acc = self.pf_city[self.root_pf]
        u = self.pick_citizen()
        if self.root_pf:  # "@handle" first: these handles are not words
            p = self.post(t, u, item, prefix=(acc,))
        elif rng.random() < 0.6:
            prefix: tuple[int, ...] = (acc, self._other_city(acc)) if rng.random() < 0.1 else (acc,)
            p = self.post(t, u, item, prefix=prefix)
        else:
            p = self.post(t, u, self.texts.suffixed(item, acc))
        self._maybe_answer(t, p, u, acc, p["id"])
        if rng.random() < 0.2 * self.threads:
            self.push(t + self._delay(120), self._citizen_reply, p, u, (u, acc), p["id"], 0)
        if rng.random() < 0.08:
            self.push(t + self._delay(120), self.repost, self.pick_citizen(), p, u)

    def _root_storm_mention(self, t: int) -> None:
        self._root_mention(t, storm=True)

    def _root_with_followers(
        self,
        t: int,
        author: int,
        item: Item,
        rt_shape: float,
        reply_p: float,
        relayers: bool = False,
    ) -> None:
        rng = self.rng
        n_rt = min(self.max_reposts // 2, int(rng.paretovariate(rt_shape)) - 1)
        n_r = 1 if rng.random() < reply_p else 0
        p = self.post(t, author, item, metrics=(n_rt, n_r, 0))
        pick = self.pick_relayer if relayers else self.pick_citizen
        seen = {author}
        for _ in range(n_rt):
            u = pick()
            if u not in seen:
                seen.add(u)
                self.push(t + self._delay(150), self.repost, u, p, author)
        if n_r:
            self.push(t + self._delay(90), self._citizen_reply, p, author, (author,), p["id"], 0)

    def _root_hashtag(self, t: int) -> None:
        self._root_with_followers(
            t, self.pick_citizen(), self.pick(self.texts.hashtag, t), 2.5, 0.25
        )

    def _root_storm(self, t: int) -> None:
        self._root_with_followers(t, self.pick_citizen(), self.pick(self.texts.storm, t), 1.5, 0.3)

    def _root_news(self, t: int) -> None:
        org = self.cast.pick_org()
        items = self.texts.immo if org == self.cast.immo else self.texts.news
        self._root_with_followers(t, org, self.pick(items, t), 1.4, 0.15, relayers=True)

    def _root_link(self, t: int) -> None:
        self.post(t, self.pick_relayer(), self.pick(self.texts.link, t))

    def _root_chatter(self, t: int) -> None:
        self._root_with_followers(
            t, self.pick_citizen(), self.pick(self.texts.chatter, t), 3.0, 0.15
        )

    def _root_xss(self, t: int) -> None:
        """The one post whose text looks like HTML and Markdown (left unanswered)."""
        self.root_pf = 0
        self.post(t, self.pick_citizen(), self.texts.xss)
