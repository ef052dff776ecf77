"""The demo's cast: the city's accounts, the organisations and the citizens, with their
X profiles and how often each one posts or relays.

People are numbered: the city accounts first (three on X, then the first Bluesky and
Mastodon ones when configured), the organisations, then the citizens.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import Any

from collectors.demo import native
from collectors.demo import texts as tx
from collectors.demo.place import VILLENEUVE, Habits
from model import Account, Territory

_MAX_USERS = 50_000


class Sampler:
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


class Cast:
    """Everyone who posts in the demo (drawn from ``rng``; their number follows ``posts``)."""

    def __init__(
        self,
        territory: Territory,
        platforms: Sequence[str],
        posts: int,
        rng: random.Random,
        rename: Callable[[str], str] | None = None,
        habits: Habits = VILLENEUVE,
        number: int = 0,
    ):
        """``rename``, ``habits``, ``number``: another place than Villeneuve in a demo of
        many (collectors/demo/place.py); its people's X ids carry its number in bits 40-44,
        so that two places never give one id to two people."""
        self.rename = rename  # None: Villeneuve's own words (collectors/demo/place.py)
        self.habits = habits
        self.id_mark = (number % 32) << 40
        self.city_accounts = self._city_accounts(territory, platforms)
        self.city_handles = [a.handle for a in self.city_accounts[: self.n_x]]
        self.usernames: list[str] = []
        self.profiles: list[dict[str, Any]] = []
        self.local: list[bool] = []
        self._build(max(400, min(_MAX_USERS, posts // 12)), rng)

    def _city_accounts(self, territory: Territory, platforms: Sequence[str]) -> list[Account]:
        """The X accounts (one to three), then the first Bluesky and Mastodon ones (when
        configured).

        ``self.acc_pf`` gives each one's platform, ``self.role`` its texts (the other
        platforms' accounts speak as the institutional one), ``self.pf_city`` the city
        account of each other platform, ``self.slot`` its place in the answering habits
        (the three X roles, then Bluesky, then Mastodon).
        """
        accounts = territory.accounts
        x = [a for a in accounts if a.platform == "x"][:3]
        if not x:
            raise ValueError("a demo territory needs an X account")
        self.n_x = len(x)
        self.acc_pf = [0] * len(x)
        self.role = list(range(len(x)))
        self.slot = list(range(len(x)))
        self.pf_city: dict[int, int] = {}
        for pf, name in ((native.BSKY, "bluesky"), (native.MASTO, "mastodon")):
            acc = next((a for a in accounts if a.platform == name), None)
            if acc is not None and name in platforms:
                self.pf_city[pf] = len(x)
                self.acc_pf.append(pf)
                self.role.append(0)
                self.slot.append(2 + pf)
                x.append(acc)
        return x

    def _build(self, n_citizens: int, rng: random.Random) -> None:
        taken: set[str] = set()
        rename = self.rename

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
            if rename is not None:  # another place than Villeneuve: its words
                name, location, bio = rename(name), rename(location), rename(bio)
            self.profiles.append(
                {
                    "id": uid if not self.id_mark else str(int(uid) ^ self.id_mark),
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
                "Villeneuve-sur-Loire, France",  # renamed in add() for another place
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
                username if rename is None else rename(username),
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
        self.pick_citizen = Sampler(rng, order, act)
        relay_pop = order + list(self.org_range)
        local_w = self.habits.local_relays
        relay_w = [a * (local_w if self.local[i] else 1.0) for i, a in zip(order, act, strict=True)]
        relay_w += [0.1] * len(self.org_range)
        self.pick_relayer = Sampler(rng, relay_pop, relay_w)
        self.pick_org = Sampler(rng, list(self.org_range), [6, 4, 2, 2, 2, 2, 1, 1, 1, 1])
        immo = "villeneuve_immo" if rename is None else rename("villeneuve_immo")
        self.immo = self.handle_index.get(immo.lower(), -1)
