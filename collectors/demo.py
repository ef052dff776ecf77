"""The demo territory: a fictional French city's activity on X, as X API v2 response pages.

``territoires demo`` lands these pages through the one loading path
(:func:`warehouse.load.load_pages`), exactly as a collector would: posts mentioning the
city's accounts come from ``GET /2/users/:id/mentions``, the city's own posts from
``GET /2/users/:id/tweets``, everything else (hashtags, keywords, links, reposts, threads)
from ``GET /2/tweets/search/recent``; the city's profiles from ``GET /2/users/by``.

What the data holds (docs/metrics.md exercised on purpose): three city accounts with different
service hours; French posts with weekday and hour rhythms; threads with citizen-to-citizen
replies; interpellations (replies to city posts and fresh mentions) answered quickly,
slowly, out of hours (at the next opening) or never, some by another city account; city
accounts mentioning each other; reposts (``RT @villeneuve_fr: …``), quotes and links to the
city's domain and its subdomains (and a look-alike host that is not one); local and
non-local relayers with heavy-tailed follower counts; tracked hashtags in mixed case with
one storm spike day; a few verified organisations; one post carrying HTML/Markdown that
must render as literal text (:data:`XSS_TEXT`). The texts follow the calendar: a seasonal
text (the rentrée's sign-ups, the 14 juillet, the marché de Noël, snow, a heat wave) appears
only in its months, by each post's local date (:mod:`collectors.demo_texts`).

Deterministic: the same ``seed`` and ``anchor`` give the same pages, byte for byte. The
data covers the :data:`WEEKS` weeks before the anchor date's midnight (territory time);
nothing is dated after that instant, so a demo built today has no post in the future.
Streaming: pages are generated one at a time; memory is bounded by the user population
(capped) and the posts still awaiting a scheduled reply or repost.
"""

from __future__ import annotations

import heapq
import random
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import holidays as holidays_lib
import orjson

from collectors import demo_pages as dp
from collectors import demo_texts as tx
from model import Territory
from territoires import resources
from territoires.config import load_config
from warehouse.pages import RawPage

EXAMPLE = resources.path("examples/villeneuve.toml")
WEEKS = 13
PAGE_SIZE = 100
XSS_TEXT = (
    "Regardez ça <img src=x onerror=alert(1)> et ![t](http://127.0.0.1:9/x.png) @villeneuve_fr"
)

_TWEPOCH = 1288834974657  # X's snowflake epoch (ms)
_HOUR = 3_600_000
_MIN = 60_000
_QUARTER = 900_000  # every time zone's offset is a multiple of a quarter hour
_DAY = 86_400_000
_MAX_USERS = 50_000
_B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_USER_FIELDS = "created_at,description,location,public_metrics,verified,verified_type"
# a repost's own counts (X reports them as zeros; the original carries the real ones)
_REPOST_METRICS = {
    "retweet_count": 0,
    "reply_count": 0,
    "like_count": 0,
    "quote_count": 0,
    "bookmark_count": 0,
    "impression_count": 0,
}
_HASHTAG = re.compile(r"#(\w+)")
_DATED_SLOT = re.compile(r"\{(?:event2?|month)\}")  # slots whose value depends on the date
_MENTION = re.compile(r"@(\w+)")

# fmt: off
# local hour of day -> relative activity of citizens (quiet nights, lunch and evening peaks)
_HOUR_W = (
    0.18, 0.09, 0.05, 0.04, 0.05, 0.12, 0.35, 0.75, 1.10, 1.20, 1.15, 1.10,
    1.30, 1.25, 1.00, 0.95, 1.00, 1.10, 1.30, 1.45, 1.50, 1.35, 0.90, 0.45,
)
_WEEKDAY_W = (1.0, 1.02, 1.0, 0.98, 0.95, 0.68, 0.58)
# extra activity per local hour on the storm day (multiplies the usual rhythm)
_STORM_W = (
    0, 0, 0, 0, 1, 3, 5, 6, 6, 5, 4, 4,
    3, 3, 3, 2.5, 2, 2, 2, 1.5, 1.2, 1, 0.6, 0.3,
)
# root kinds and their weights, on a normal hour and during the storm
_KINDS = ("city", "mention", "hashtag", "news", "link", "chatter", "storm", "storm_mention",
          "storm_city")
_KIND_W = (5, 20, 27, 4, 7, 12, 0, 0, 0)
_STORM_KIND_W = (2, 8, 10, 1, 2, 3, 55, 18, 1)
# fmt: on


def demo_territory() -> Territory:
    """The fictional territory of the demo (``examples/villeneuve.toml``)."""
    return load_config(EXAMPLE)


def default_anchor(territory: Territory) -> date:
    """Today, in the territory's time zone."""
    return datetime.now(ZoneInfo(territory.timezone)).date()


def demo_period(territory: Territory, anchor: date | None = None) -> tuple[datetime, datetime]:
    """Naive-UTC ``[start, end)`` of the demo data: the :data:`WEEKS` weeks before ``anchor``."""
    tz = ZoneInfo(territory.timezone)
    anchor = anchor or default_anchor(territory)
    end = datetime.combine(anchor, time(0), tz)
    start = datetime.combine(anchor - timedelta(weeks=WEEKS), time(0), tz)
    return (start.astimezone(UTC).replace(tzinfo=None), end.astimezone(UTC).replace(tzinfo=None))


def spike_day(anchor: date) -> date:
    """The local date of the storm (the hashtag spike): five days before the anchor."""
    return anchor - timedelta(days=5)


def generate_pages(
    territory: Territory,
    posts: int,
    seed: int,
    progress: bool = False,
    anchor: date | None = None,
    platforms: Sequence[str] = ("x", "bluesky", "mastodon"),
) -> Iterator[RawPage]:
    """Yield the demo's pages: users pages, then tweet pages of up to 100 posts.

    X pages are X API v2 responses; Bluesky and Mastodon pages are those platforms'
    responses with their X-v2-shaped mapping (:mod:`collectors.demo_pages`), for the
    territory's accounts on ``platforms`` (``("x",)``: X only, as twarc2 would write it).
    """
    if posts < 1:
        raise ValueError("posts must be at least 1")
    gen = _Generator(territory, posts, seed, anchor or default_anchor(territory), platforms)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=posts, unit=" posts", desc="demo", mininterval=0.5)
    try:
        done = 0
        for page in gen.run():
            yield page
            if bar is not None and gen.emitted != done:
                bar.update(gen.emitted - done)
                done = gen.emitted
    finally:
        if bar is not None:
            bar.close()


def _ms(dt: datetime) -> int:
    return int(dt.timestamp() * 1000)


class _Sampler:
    """Draws indices with fixed cumulative weights, a few thousand at a time."""

    def __init__(self, rng: random.Random, population: Sequence[int], weights: Sequence[float]):
        self.rng = rng
        self.population = list(population)
        self.cum: list[float] = []
        total = 0.0
        for w in weights:
            total += w
            self.cum.append(total)
        self.buf: list[int] = []

    def __call__(self) -> int:
        if not self.buf:
            self.buf = self.rng.choices(self.population, cum_weights=self.cum, k=4096)
            self.buf.reverse()
        return self.buf.pop()


def _prefixed(head: str, template: Any) -> tx.Seasonal:
    """``head`` + a text template (a greeting before a question), in the template's season."""
    months, body = tx.season_of(template)
    return tx.Seasonal(months, head + body)


def _text_item(body: str, url: str | None, handle_index: dict[str, int]) -> tuple[Any, ...]:
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


class _Generator:
    def __init__(
        self,
        territory: Territory,
        posts: int,
        seed: int,
        anchor: date,
        platforms: Sequence[str] = ("x", "bluesky", "mastodon"),
    ):
        self.territory = territory
        self.platforms = tuple(platforms)
        self.n_posts = posts
        self.seed = seed
        self.anchor = anchor
        self.rng = random.Random(seed)
        self.tz = ZoneInfo(territory.timezone)
        start, end = demo_period(territory, anchor)
        self.start_ms = _ms(start.replace(tzinfo=UTC))
        self.end_ms = _ms(end.replace(tzinfo=UTC))
        self.emitted = 0
        # virality is bounded by the territory's daily volume (a post of a small demo
        # must not outgrow the storm day)
        self.max_reposts = max(8, min(400, posts // (WEEKS * 7) // 3))
        self.heap: list[tuple[int, int, Callable[..., None], tuple[Any, ...]]] = []
        self.seq = 0
        self.due: dict[int, int] = {}
        self.last_ms = 0
        self.sf_seq = 0
        self.links = 0
        self.pages_out: list[RawPage] = []
        self.page_no = 0
        self.buffers: dict[
            tuple[str, int], list[tuple[dict[str, Any], tuple[int, ...], tuple[Any, ...]]]
        ] = {}
        self._iso_hour = -1
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
        self._queries: dict[tuple[str, int], tuple[str, str]] = {}
        self._iso_prefix = ""
        self.root_pf = 0  # the platform of the root being drawn (0: X, then dp.BSKY, dp.MASTO)
        self._build_people()
        self._build_service_hours()
        self._build_texts()
        self._build_native()

    # --- population ---------------------------------------------------------------------
    def _build_people(self) -> None:
        rng = self.rng
        self.city_accounts = self._city_accounts()
        self.city_handles = [a.handle for a in self.city_accounts[:3]]
        n_citizens = max(400, min(_MAX_USERS, self.n_posts // 12))
        self.usernames: list[str] = []
        self.profiles: list[dict[str, Any]] = []
        self.local: list[bool] = []
        taken: set[str] = set()

        def add(
            username: str,
            name: str,
            location: str,
            bio: str,
            followers: int,
            vtype: str,
            local: bool,
            uid: str,
            created: str,
        ) -> None:
            taken.add(username.lower())
            self.usernames.append(username)
            self.local.append(local)
            self.profiles.append(
                {
                    "id": uid,
                    "username": username,
                    "name": name,
                    "description": bio,
                    "location": location,
                    "verified": vtype != "none",
                    "verified_type": vtype,
                    "created_at": created,
                    "public_metrics": {
                        "followers_count": followers,
                        "following_count": int(rng.lognormvariate(5.2, 0.9)),
                        "tweet_count": int(rng.lognormvariate(7.0, 1.4)) + 10,
                        "listed_count": followers // 150,
                    },
                }
            )

        def created_at(y0: int, y1: int) -> str:
            d = date(y0, 1, 1) + timedelta(
                days=rng.randrange((date(y1, 12, 31) - date(y0, 1, 1)).days)
            )
            hms = f"{rng.randrange(24):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}"
            return f"{d.isoformat()}T{hms}.000Z"

        for i, acc in enumerate(self.city_accounts):
            name, bio, followers = tx.CITY_PROFILES[self.role[i]]
            add(
                acc.handle,
                name,
                "Villeneuve-sur-Loire, France",
                bio,
                followers,
                "government",
                True,
                str(rng.randrange(10**8, 10**9)),
                created_at(2009, 2012),
            )
        self.n_city = len(self.usernames)
        for username, name, loc, bio, followers, vtype in tx.ORGS:
            add(
                username,
                name,
                loc,
                bio,
                followers,
                vtype,
                True,
                str(rng.randrange(10**8, 4 * 10**9)),
                created_at(2009, 2016),
            )
        self.org_range = range(self.n_city, len(self.usernames))
        for _ in range(n_citizens):
            first, last = rng.choice(tx.FIRST_NAMES), rng.choice(tx.LAST_NAMES)
            plain = tx.slugify(first + last).replace("-", "")
            fplain = tx.slugify(first).replace("-", "")
            style = rng.random()
            if style < 0.4:
                username = f"{plain[:12]}{rng.randrange(100)}"
                name = f"{first} {last}"
            elif style < 0.7:
                username = f"{fplain}_{tx.slugify(last)[:1]}{rng.randrange(10, 999)}"
                name = f"{first} {last[0]}."
            else:
                tag = rng.choice(("49", "vsl", "dl", "x", ""))
                username = f"{fplain[:8]}{tag}{rng.randrange(1000)}"
                name = rng.choice((first, f"{first} 🌻", f"{first.lower()}", f"{first} {last}"))
            while username.lower() in taken:
                username += str(rng.randrange(10))
            local = rng.random() < 0.55
            if local:
                location = rng.choice(tx.LOCAL_LOCATIONS)
                bio = (
                    rng.choice(tx.LOCAL_BIOS)
                    if rng.random() < 0.8
                    else rng.choice(tx.NONLOCAL_BIOS)
                )
            else:
                location = rng.choice(tx.NONLOCAL_LOCATIONS)
                bio = rng.choice(tx.NONLOCAL_BIOS)
            followers = int(rng.lognormvariate(4.8, 1.45))
            vtype = "blue" if rng.random() < 0.02 else "none"
            if vtype == "blue":
                followers = followers * 10 + 500
            created_year = 2009 + int(rng.random() ** 0.7 * 16)
            uid = (
                str(rng.randrange(10**7, 4 * 10**9))
                if created_year < 2017
                else str(rng.randrange(7 * 10**17, 18 * 10**17))
            )
            add(
                username,
                name,
                location,
                bio,
                followers,
                vtype,
                local,
                uid,
                created_at(created_year, created_year),
            )
        self.ids = [p["id"] for p in self.profiles]
        # a reply's "@user " prefix and its mention entity, per user
        self.heads = [
            (f"@{u} ", [{"start": 0, "end": 1 + len(u), "username": u, "id": i}])
            for u, i in zip(self.usernames, self.ids, strict=True)
        ]
        self.handle_index = {u.lower(): i for i, u in enumerate(self.usernames)}
        citizens = range(len(self.org_range) + self.n_city, len(self.usernames))
        order = list(citizens)
        rng.shuffle(order)
        # heavy-tailed activity: a few citizens post a lot, most post rarely
        act = [1.0 / (r + 8) ** 1.0 for r in range(len(order))]
        self.pick_citizen = _Sampler(rng, order, act)
        relay_pop = order + list(self.org_range)
        relay_w = [a * (3.0 if self.local[i] else 1.0) for i, a in zip(order, act, strict=True)]
        relay_w += [0.1] * len(self.org_range)
        self.pick_relayer = _Sampler(rng, relay_pop, relay_w)
        self.pick_org = _Sampler(rng, list(self.org_range), [6, 4, 2, 2, 2, 2, 1, 1, 1, 1])
        self.immo = self.handle_index.get("villeneuve_immo", -1)

    def _city_accounts(self) -> list[Any]:
        """The three X accounts, then the first Bluesky and Mastodon ones (when configured).

        ``self.acc_pf`` gives each one's platform, ``self.role`` its texts (the other
        platforms' accounts speak as the institutional one), ``self.pf_city`` the city
        account of each other platform.
        """
        accounts = self.territory.accounts
        x = [a for a in accounts if a.platform == "x"][:3]
        if len(x) < 3:
            raise ValueError("the demo territory needs three X accounts")
        self.acc_pf = [0, 0, 0]
        self.role = [0, 1, 2]
        self.pf_city: dict[int, int] = {}
        for pf, name in ((dp.BSKY, "bluesky"), (dp.MASTO, "mastodon")):
            acc = next((a for a in accounts if a.platform == name), None)
            if acc is not None and name in self.platforms:
                self.pf_city[pf] = len(x)
                self.acc_pf.append(pf)
                self.role.append(0)
                x.append(acc)
        return x

    # --- service hours ---------------------------------------------------------------------
    def _build_service_hours(self) -> None:
        """Per city account: UTC opening intervals (ms) and cumulative service time."""
        d0 = self.anchor - timedelta(weeks=WEEKS, days=3)
        d1 = self.anchor + timedelta(days=40)
        hol: Any = ()
        if self.territory.holidays:
            hol = holidays_lib.country_holidays(
                self.territory.holidays, years=range(d0.year, d1.year + 1)
            )
        self.service: list[tuple[list[int], list[int], list[int], list[int]]] = []
        for acc in self.city_accounts:
            spans: list[tuple[int, int]] = []
            d = d0
            while d <= d1:
                if d not in hol:
                    for r in acc.opening:
                        if r.weekday == d.weekday():
                            midnight = datetime.combine(d, time(0))
                            s = (midnight + timedelta(minutes=r.start_minute)).replace(
                                tzinfo=self.tz
                            )
                            e = (midnight + timedelta(minutes=r.end_minute)).replace(tzinfo=self.tz)
                            spans.append((_ms(s), _ms(e)))
                d += timedelta(days=1)
            spans.sort()
            merged: list[list[int]] = []
            for lo, hi in spans:
                if merged and lo <= merged[-1][1]:
                    merged[-1][1] = max(merged[-1][1], hi)
                else:
                    merged.append([lo, hi])
            starts = [lo for lo, _ in merged]
            ends = [hi for _, hi in merged]
            cum: list[int] = []
            cum_end: list[int] = []
            total = 0
            for lo, hi in merged:
                cum.append(total)
                total += hi - lo
                cum_end.append(total)
            self.service.append((starts, ends, cum, cum_end))

    def next_open(self, acc: int, t: int) -> int | None:
        starts, ends, _, _ = self.service[acc]
        i = bisect_right(ends, t)
        if i == len(ends):
            return None
        return max(t, starts[i])

    def add_service(self, acc: int, t: int, minutes: float) -> int | None:
        """The instant ``minutes`` of ``acc``'s service time after ``t`` (next opening first)."""
        starts, ends, cum, cum_end = self.service[acc]
        i = bisect_right(ends, t)
        if i == len(ends):
            return None
        target = cum[i] + max(0, t - starts[i]) + int(minutes * _MIN)
        j = bisect_left(cum_end, target)
        if j == len(cum_end):
            return None
        return starts[j] + (target - cum[j])

    # --- text pools -------------------------------------------------------------------------
    def _build_texts(self) -> None:
        """The text pools: per month of the year (0-11), the texts that may be posted then.

        Only the months the demo's period covers are filled. A seasonal template
        (:func:`collectors.demo_texts.during`) goes to its months only; a template naming
        an event or a month is expanded for each month, with the events of that month and
        the months ahead of it; the others are expanded once and shared.
        """
        rng = random.Random(self.seed * 7919 + 17)
        hi = self.handle_index
        self.month_at = self._month_slots()
        covered = sorted(set(self.month_at))

        def expansions(
            body_tpl: str, link_tpl: str | None, k: int, capital: bool, choices: Any
        ) -> list[tuple[Any, ...]]:
            items = []
            for _ in range(k):
                body = tx.expand(body_tpl, rng, None, choices)
                if capital:  # questions start lower-case after an empty greeting
                    body = body[:1].upper() + body[1:]
                url = tx.expand(link_tpl, rng, {"text": body}) if link_tpl else None
                items.append(_text_item(body, url, hi))
            return items

        def pool(
            templates: Sequence[Any], k: int, capital: bool = False
        ) -> list[list[tuple[Any, ...]]]:
            months: list[list[tuple[Any, ...]]] = [[] for _ in range(12)]
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

        self.t_city = [pool(tx.CITY_POSTS[r], 12) for r in tx.ROLES]
        self.t_storm_city = pool(tx.STORM_CITY_POSTS, 10)
        self.t_answer = [pool(tx.ANSWERS[r], 6) for r in tx.ROLES]
        self.t_question = [
            pool([_prefixed(g, q) for g in tx.GREETINGS for q in tx.QUESTIONS[r]], 3, True)
            for r in tx.ROLES
        ]
        self.t_storm_mention = pool(tx.STORM_MENTIONS, 15)
        self.t_reply_city = pool(tx.REPLIES_TO_CITY, 10)
        self.t_citizen_reply = pool(tx.CITIZEN_REPLIES, 10)
        self.t_followup = pool(tx.FOLLOWUPS, 3)
        self.t_quote = pool(tx.QUOTES, 6)
        self.t_hashtag = pool(tx.HASHTAG_POSTS, 15)
        self.t_storm = pool(tx.STORM_POSTS, 20)
        self.t_news = pool(tx.NEWS_POSTS, 12)
        self.t_immo = pool(tx.IMMO_POSTS, 6)
        chatter = [tx.season_of(c) for c in tx.CHATTER]
        self.t_chatter = pool(
            [tx.Seasonal(m, (c, link)) for m, c in chatter for link in tx.CHATTER_LINKS], 3
        )
        self.t_link = pool(tx.LINK_RELAYS, 12)
        self.t_xss = _text_item(XSS_TEXT, None, hi)

    def _month_slots(self) -> list[int]:
        """The local month (0-11) of each quarter hour of the period, from its start."""
        n = -(-(self.end_ms - self.start_ms) // _QUARTER)
        slots: list[int] = []
        first = datetime.fromtimestamp(self.start_ms / 1000, self.tz).date().replace(day=1)
        while len(slots) < n:
            nxt = (first + timedelta(days=32)).replace(day=1)
            edge = _ms(datetime.combine(nxt, time(0), self.tz))
            upto = min(n, -(-(edge - self.start_ms) // _QUARTER))
            slots.extend([first.month - 1] * (upto - len(slots)))
            first = nxt
        return slots

    def _suffixed(self, item: tuple[Any, ...], acc: int) -> tuple[Any, ...]:
        """``item`` with ``@handle`` at its end (built once per text and account)."""
        key = -1 - acc  # negative keys of the entity cache hold these variants
        variant = item[5].get(key)
        if variant is None:
            variant = item[5][key] = _text_item(
                f"{item[0]} @{self.usernames[acc]}", item[3], self.handle_index
            )
        return variant

    def pick(self, pools: list[list[tuple[Any, ...]]], t: int) -> tuple[Any, ...]:
        """A text for a post at ``t``: one of those of its local month."""
        items = pools[self.month_at[(t - self.start_ms) // _QUARTER]]
        return items[int(self.rng.random() * len(items))]

    # --- the timeline -----------------------------------------------------------------------
    def push(self, t: int, fn: Callable[..., None], *args: Any) -> None:
        if t >= self.end_ms:
            return  # would happen after the demo's end: never seen
        self.seq += 1
        heapq.heappush(self.heap, (t, self.seq, fn, args))
        b = (t - self.start_ms) // _HOUR
        self.due[b] = self.due.get(b, 0) + 1

    def _weights(self) -> tuple[list[float], list[bool]]:
        rng = self.rng
        n = (self.end_ms - self.start_ms) // _HOUR
        storm = spike_day(self.anchor)
        day_noise: dict[date, float] = {}
        weights, stormy = [], []
        for b in range(n):
            local = datetime.fromtimestamp((self.start_ms + b * _HOUR) / 1000, self.tz)
            d = local.date()
            if d not in day_noise:
                trend = 0.9 + 0.2 * (b / max(1, n))
                day_noise[d] = max(0.6, rng.gauss(1.0, 0.1)) * trend
            w = _HOUR_W[local.hour] * _WEEKDAY_W[local.weekday()] * day_noise[d]
            is_storm = d == storm and _STORM_W[local.hour] > 0
            if is_storm:
                w *= 1 + _STORM_W[local.hour]
            weights.append(w)
            stormy.append(is_storm)
        return weights, stormy

    def run(self) -> Iterator[RawPage]:
        yield self._users_page()
        yield from self._native_users_pages()
        rng = self.rng
        weights, stormy = self._weights()
        total_w = sum(weights)
        kind_cum = [sum(_KIND_W[: i + 1]) for i in range(len(_KINDS))]
        storm_cum = [sum(_STORM_KIND_W[: i + 1]) for i in range(len(_KINDS))]
        handlers = {k: getattr(self, f"_root_{k}") for k in _KINDS}
        xss_local = datetime.combine(self.anchor - timedelta(days=2), time(10, 17, 42), self.tz)
        self.push(_ms(xss_local), self._root_xss)
        cum_w = 0.0
        n_b = len(weights)
        heap = self.heap
        for b in range(n_b):
            b0 = self.start_ms + b * _HOUR
            b1 = b0 + _HOUR
            # the audience moves from X to Bluesky over the weeks (Mastodon grows a little)
            p_b = (0.08 + 0.20 * b / n_b) if dp.BSKY in self.pf_city else 0.0
            p_bm = p_b + ((0.06 + 0.07 * b / n_b) if dp.MASTO in self.pf_city else 0.0)
            cum_w += weights[b]
            target = round(self.n_posts * cum_w / total_w)
            need = target - self.emitted - self.due.pop(b, 0)
            if b == n_b - 1:
                need = self.n_posts - self.emitted - sum(1 for e in heap if e[0] < b1)
            if need > 0:
                cum = storm_cum if stormy[b] else kind_cum
                kinds = rng.choices(_KINDS, cum_weights=cum, k=need)
                for k in kinds:
                    t = b0 + int(rng.random() * _HOUR)
                    self.seq += 1
                    heapq.heappush(heap, (t, self.seq, handlers[k], ()))
            while heap and heap[0][0] < b1 and self.emitted < self.n_posts:
                t, _, fn, args = heapq.heappop(heap)
                if not args:  # a new root: on which platform
                    r = rng.random()
                    self.root_pf = dp.BSKY if r < p_b else (dp.MASTO if r < p_bm else 0)
                fn(t, *args)
                if self.pages_out:
                    yield from self.pages_out
                    self.pages_out.clear()
            if self.emitted >= self.n_posts:
                break
        # top up at the very end if children fell short (keeps the count exact)
        while self.emitted < self.n_posts:
            t = max(self.last_ms, self.end_ms - _HOUR)
            t += int(rng.random() * (self.end_ms - t))
            self._root_hashtag(min(t, self.end_ms - 1))
        self.heap.clear()
        for key in list(self.buffers):
            self._flush(key)
        yield from self.pages_out
        self.pages_out.clear()

    # --- building one post ----------------------------------------------------------------
    def _iso(self, t: int) -> str:
        """X's ``created_at`` (second precision) for the instant ``t`` (ms)."""
        hour, rest = divmod(t, _HOUR)
        if hour != self._iso_hour:
            self._iso_hour = hour
            self._iso_prefix = datetime.fromtimestamp(hour * 3600, UTC).strftime("%Y-%m-%dT%H:")
        minute, ms = divmod(rest, _MIN)
        return f"{self._iso_prefix}{minute:02d}:{ms // 1000:02d}.000Z"

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
                m["id"] = self.ids[idx]
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
        if t == self.last_ms:
            self.sf_seq += 1
        else:
            self.sf_seq = 0
            self.last_ms = t
        pid = str(
            ((t - _TWEPOCH) << 22) | ((self.emitted * 37 & 0x3FF) << 12) | (self.sf_seq & 0xFFF)
        )
        body, tags, mentions, url, display, cache = item
        ents: dict[str, Any] = {}
        if prefix:
            if len(prefix) == 1:
                head, ms = self.heads[prefix[0]]
            else:
                head, ms = "", []
                for u in prefix:
                    name = self.usernames[u]
                    ms.append(
                        {
                            "start": len(head),
                            "end": len(head) + 1 + len(name),
                            "username": name,
                            "id": self.ids[u],
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
            "author_id": self.ids[author],
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
            p["in_reply_to_user_id"] = self.ids[reply_user]
            p["referenced_tweets"] = [{"type": "replied_to", "id": reply_to["id"]}]
            refs = ((reply_to, reply_user),)
        if quoted is not None:
            p.setdefault("referenced_tweets", []).append({"type": "quoted", "id": quoted["id"]})
            refs = (*refs, (quoted, quoted_author))
        if reply_to is not None:
            pf = reply_to.get("_pf", 0)
        elif quoted is not None:
            pf = quoted.get("_pf", 0)
        elif author < self.n_city:
            pf = self.acc_pf[author]
        else:
            pf = self.root_pf
        if pf:
            self._native(p, pf, author, reply_to, reply_user, quoted)
        self._route(p, author, (author, *prefix, *body_users, *extra_users), refs)
        return p

    def repost(self, t: int, author: int, original: dict[str, Any], orig_author: int) -> None:
        """``RT @user: text`` (X truncates a repost's text; the original comes in includes)."""
        if t == self.last_ms:
            self.sf_seq += 1
        else:
            self.sf_seq = 0
            self.last_ms = t
        pid = str(
            ((t - _TWEPOCH) << 22) | ((self.emitted * 37 & 0x3FF) << 12) | (self.sf_seq & 0xFFF)
        )
        uname = self.usernames[orig_author]
        head = f"RT @{uname}: "
        text = head + original["text"]
        if len(text) > 140:
            text = text[:139] + "…"
        ents: dict[str, Any] = {
            "mentions": [
                {"start": 3, "end": 4 + len(uname), "username": uname, "id": self.ids[orig_author]}
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
            "author_id": self.ids[author],
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
            p["_pf"] = pf
            p["_uri"], p["_mid"] = self.ident.repost_ids(pf, author, pid)
        self._route(p, author, (author, orig_author), ((original, orig_author),), is_repost=True)

    # --- pages ----------------------------------------------------------------------------
    def _route(
        self,
        p: dict[str, Any],
        author: int,
        users: tuple[int, ...],
        refs: tuple[Any, ...],
        is_repost: bool = False,
    ) -> None:
        """Put a post in the page of the endpoint a collector would have found it with."""
        self.emitted += 1
        pf = p.get("_pf")
        if pf:
            key = self._native_key(pf, author, users, refs, is_repost)
            nbuf = self.buffers.setdefault(key, [])
            nbuf.append((p, (author, is_repost), refs))
            if len(nbuf) >= (PAGE_SIZE if pf == dp.BSKY else 40):
                self._flush(key)
            return
        if author < self.n_city:
            key = ("tweets", author)
        else:
            key = ("search", 0)
            if not is_repost:
                for u in users:
                    if u < self.n_city:
                        key = ("mentions", u)
                        break
        buf = self.buffers.setdefault(key, [])
        buf.append((p, users, refs))
        if len(buf) >= PAGE_SIZE:
            self._flush(key)

    def _query(self, key: tuple[str, int]) -> tuple[str, str]:
        """The endpoint and query string of the request that returned ``key``'s pages."""
        if key not in self._queries:
            self._queries[key] = self._make_query(key)
        return self._queries[key]

    def _make_query(self, key: tuple[str, int]) -> tuple[str, str]:
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
            return "/2/users/:id/tweets", urlencode({"id": self.ids[acc], **common})
        if kind == "mentions":
            return "/2/users/:id/mentions", urlencode({"id": self.ids[acc], **common})
        t = self.territory
        terms = [
            *t.hashtags,
            *(f'"{k}"' for k in t.keywords),
            *(f"url:{d}" for d in t.city_domains),
            *(f"@{h}" for h in self.city_handles),
            *(f"retweets_of:{h}" for h in self.city_handles),
        ]
        return "/2/tweets/search/recent", urlencode({"query": " OR ".join(terms), **common})

    def _flush(self, key: tuple[Any, ...]) -> None:
        if key[0] == "native":
            self._flush_native(key)
            return
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
        includes: dict[str, Any] = {"users": [self.profiles[u] for u in seen_users]}
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
            self.end_ms, newest + _TWEPOCH + 3 * _MIN + (self.page_no * 7919 % (12 * _MIN))
        )
        self.pages_out.append(
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

    def _users_page(self) -> RawPage:
        """``GET /2/users/by?usernames=…``: the city's accounts and the organisations."""
        users = [0, 1, 2, *self.org_range]
        body = orjson.dumps({"data": [self.profiles[u] for u in users]}).decode()
        return RawPage(
            body=body,
            territory=self.territory.slug,
            platform="x",
            source="demo",
            endpoint="/2/users/by",
            query=urlencode(
                {
                    "usernames": ",".join(self.usernames[u] for u in users),
                    "user.fields": _USER_FIELDS,
                }
            ),
            origin=f"demo:seed={self.seed}:users",
            fetched_at=datetime.fromtimestamp(self.start_ms / 1000, UTC).replace(tzinfo=None),
            kind="users",
        )

    # --- Bluesky and Mastodon ------------------------------------------------------------
    def _build_native(self) -> None:
        self.ident = dp.Identities(self.seed, self.usernames, self.profiles)
        n_city, acc_pf = self.n_city, self.acc_pf

        def on_platform(pf: int, i: int) -> bool:
            return i >= n_city or acc_pf[i] == pf

        self.conv = dp.Converter(self.ident, {u: i for i, u in enumerate(self.ids)}, on_platform)
        t = self.territory
        self.search_terms = [*t.hashtags, *(f'"{k}"' for k in t.keywords), *t.city_domains]
        self.tag = (t.hashtags[0] if t.hashtags else "#" + t.slug).lstrip("#")

    def _native(
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
        if pf == dp.MASTO:
            p["_mid"] = local
            p["_acc"] = self.ident.masto(author)["url"]
            if reply_to is not None:
                p["_parent_mid"] = reply_to["_mid"]
                p["_parent_acc"] = self.ident.masto(reply_user)["id"]
            self.conv.masto_known(p)

    def _native_key(
        self, pf: int, author: int, users: Sequence[int], refs: tuple[Any, ...], is_repost: bool
    ) -> tuple[Any, ...]:
        """The endpoint a Bluesky / Mastodon collector finds the post with."""
        city = self.pf_city[pf]
        masto = pf == dp.MASTO
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
        city = self.pf_city[pf]
        quoted, qa = None, -1
        for r, ra in refs:
            if "_quoted" in p and r.get("_uri") == p["_quoted"]:
                quoted, qa = r, ra
        if pf == dp.BSKY:
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
        if pf == dp.BSKY:
            ident = self.ident.did(first_author)
        else:
            ident = self.ident.masto(first_author)["id"]
        newest = (int(buf[-1][0]["id"]) >> 22) + _TWEPOCH
        fetched = min(self.end_ms, newest + 3 * _MIN + (self.page_no * 7919 % (12 * _MIN)))
        self.pages_out.append(
            self.conv.page(
                pf,
                kind,
                items,
                territory=self.territory.slug,
                seed=self.seed,
                page_no=self.page_no,
                query=dp.query_of(pf, kind, self.tag, self.search_terms, ident),
                fetched_ms=fetched,
            )
        )

    def _native_users_pages(self) -> Iterator[RawPage]:
        """The city's Bluesky / Mastodon profiles and the organisations' (profile lookups)."""
        for pf, city in sorted(self.pf_city.items()):
            users = [city, *self.org_range]
            if pf == dp.BSKY:
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
                query=dp.query_of(pf, kind, self.tag, self.search_terms, ident),
                fetched_ms=self.start_ms,
            )

    # --- what happens ---------------------------------------------------------------------
    # Each handler emits a post at ``t`` and schedules what follows from it (reposts,
    # replies, the city's answer) on the timeline.
    def _delay(self, mean_minutes: float) -> int:
        return 30_000 + int(self.rng.expovariate(1.0 / mean_minutes) * _MIN)

    def _other_city(self, acc: int) -> int:
        if acc >= 3:  # alone on its platform
            return acc
        return (acc + 1 + int(self.rng.random() * 2)) % 3

    def _root_city(self, t: int, storm: bool = False) -> None:
        r = self.rng.random()
        acc = 0 if storm or r < 0.45 else (1 if r < 0.8 else 2)
        if self.root_pf:
            acc = self.pf_city[self.root_pf]
        opening = self.next_open(acc, t)
        if opening is None:
            return
        if opening > t:  # the city posts during its service hours
            self.push(
                opening + 2 * _MIN + int(self.rng.random() * 90 * _MIN), self._city_post, acc, storm
            )
        else:
            self._city_post(t, acc, storm)

    def _root_storm_city(self, t: int) -> None:
        self._root_city(t, storm=True)

    def _city_post(self, t: int, acc: int, storm: bool) -> None:
        rng = self.rng
        item = self.pick(self.t_storm_city if storm else self.t_city[self.role[acc]], t)
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
        if rng.random() < 0.15 and acc < 3:  # a sibling city account relays it (not a relay)
            self.push(t + self._delay(60), self.repost, self._other_city(acc), p, acc)
        for _ in range(n_q):
            self.push(t + self._delay(240), self._quote, p, acc)
        for _ in range(n_r):
            self.push(t + self._delay(120), self._reply_to_city, p, acc)

    def _quote(self, t: int, original: dict[str, Any], orig_author: int) -> None:
        self.post(
            t,
            self.pick_relayer(),
            self.pick(self.t_quote, t),
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
            self.pick(self.t_reply_city, t),
            reply_to=parent,
            reply_user=acc,
            prefix=(acc,),
            conv=conv,
        )
        self._maybe_answer(t, p, u, acc, conv)
        if self.rng.random() < 0.25:
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
            self.pick(self.t_citizen_reply, t),
            reply_to=parent,
            reply_user=parent_author,
            prefix=prefix,
            conv=conv,
        )
        if depth < 4 and self.rng.random() < 0.3:
            nxt = (u, *(x for x in prefix if x != u))[:3]
            self.push(t + self._delay(60), self._citizen_reply, p, u, nxt, conv, depth + 1)

    def _maybe_answer(
        self, t: int, p: dict[str, Any], citizen: int, acc: int, conv: str, reluctance: float = 0.0
    ) -> None:
        """Schedule the city's answer: quick, slow, at the next opening, or never."""
        rng = self.rng
        answerer = self._other_city(acc) if rng.random() < 0.08 else acc
        if rng.random() < (0.15, 0.08, 0.10, 0.10, 0.2)[answerer] + reluctance:
            return  # never answered
        r = rng.random()
        if r < 0.05:  # an agent answers out of hours, from their phone
            ta: int | None = t + 5 * _MIN + int(rng.random() * 55 * _MIN)
        elif r < (0.38, 0.2, 0.25, 0.25, 0.3)[answerer]:  # slow: one to three working days
            ta = self.add_service(answerer, t, 120 + rng.random() * 1300)
        else:  # quick, counted in service time (so out of hours: at the next opening)
            ta = self.add_service(answerer, t, 3 + rng.lognormvariate(2.9, 0.8))
        if ta is not None:
            self.push(ta, self._answer, p, citizen, answerer, conv)

    def _answer(self, t: int, interp: dict[str, Any], citizen: int, acc: int, conv: str) -> None:
        p = self.post(
            t,
            acc,
            self.pick(self.t_answer[self.role[acc]], t),
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
            self.pick(self.t_followup, t),
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
            acc = 0 if r < 0.6 else 2
            item = self.pick(self.t_storm_mention, t)
        else:
            acc = 0 if r < 0.45 else (2 if r < 0.8 else 1)
            item = self.pick(self.t_question[acc], t)
        if self.root_pf:
            acc = self.pf_city[self.root_pf]
        u = self.pick_citizen()
        if self.root_pf:  # "@handle" first: these handles are not words
            p = self.post(t, u, item, prefix=(acc,))
        elif rng.random() < 0.6:
            prefix: tuple[int, ...] = (acc, self._other_city(acc)) if rng.random() < 0.1 else (acc,)
            p = self.post(t, u, item, prefix=prefix)
        else:
            p = self.post(t, u, self._suffixed(item, acc))
        self._maybe_answer(t, p, u, acc, p["id"])
        if rng.random() < 0.2:
            self.push(t + self._delay(120), self._citizen_reply, p, u, (u, acc), p["id"], 0)
        if rng.random() < 0.08:
            self.push(t + self._delay(120), self.repost, self.pick_citizen(), p, u)

    def _root_storm_mention(self, t: int) -> None:
        self._root_mention(t, storm=True)

    def _root_with_followers(
        self,
        t: int,
        author: int,
        item: tuple[Any, ...],
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
        self._root_with_followers(t, self.pick_citizen(), self.pick(self.t_hashtag, t), 2.5, 0.25)

    def _root_storm(self, t: int) -> None:
        self._root_with_followers(t, self.pick_citizen(), self.pick(self.t_storm, t), 1.5, 0.3)

    def _root_news(self, t: int) -> None:
        org = self.pick_org()
        items = self.t_immo if org == self.immo else self.t_news
        self._root_with_followers(t, org, self.pick(items, t), 1.4, 0.15, relayers=True)

    def _root_link(self, t: int) -> None:
        self.post(t, self.pick_relayer(), self.pick(self.t_link, t))

    def _root_chatter(self, t: int) -> None:
        self._root_with_followers(t, self.pick_citizen(), self.pick(self.t_chatter, t), 3.0, 0.15)

    def _root_xss(self, t: int) -> None:
        """The one post whose text looks like HTML and Markdown (left unanswered)."""
        self.root_pf = 0
        self.post(t, self.pick_citizen(), self.t_xss)
