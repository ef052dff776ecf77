"""A small warehouse for the dashboard tests, landed through the one loading path.

Four weeks of a few posts a day for the demo territory (``examples/villeneuve.toml``):
city posts relayed by local and non-local accounts (repost, quote, link), interpellations
answered in and out of service hours or never, a citizen thread, a hashtag storm, and a
post carrying HTML and Markdown that must render literally. Built with
:class:`tests.scenario.Scenario` (X API v2 pages → ``warehouse.load.load_pages``).

The audience moves: the city's Bluesky account (AT URI post ids, DIDs) is used from the
second week, its Mastodon account (status URLs as ids) from the third; on both, a local
account relays the city's posts and a resident asks questions in reply, answered or not
(the last ones are still pending at :data:`AS_OF`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from model import Territory
from territoires.config import load_config
from tests.conftest import EXAMPLE_CONFIG
from tests.scenario import Scenario
from warehouse.db import writer

AS_OF = datetime(2026, 11, 29, 8, 0)  # naive UTC: the last fetch of the pages
FIRST_DAY = datetime(2026, 11, 1)  # local midnight of the first day of data
XSS_TEXT = (
    "Regardez ça <img src=x onerror=alert(1)> et ![t](http://127.0.0.1:9/x.png) @villeneuve_fr"
)
STORM_DAY = 27  # index of the hashtag storm (2026-11-28: "yesterday" at AS_OF)


def build_warehouse(db: str | Path) -> None:
    terr = load_config(EXAMPLE_CONFIG)
    s = Scenario(terr)
    s.user("villeneuve_fr", name="Ville de Villeneuve", followers=20_000)
    s.user("vsl_sortir", name="Sortir à Villeneuve", followers=8_000)
    s.user("vsl_proprete", name="Villeneuve Propreté", followers=3_000)
    s.user("alice", name="Alice Martin", location="Villeneuve (49)", followers=120)
    s.user("bob", name="Bob", location="Paris", followers=5_000)
    s.user("carole", name="Carole <b>B.</b>", description="Habitante de Villeneuve", followers=300)
    s.user("dede", name="Dédé", location="Angers, Loire", followers=40)
    for d in range(28):
        day = FIRST_DAY + timedelta(days=d)
        c = s.post("villeneuve_fr", day + timedelta(hours=9), f"Info du jour {d} #Villeneuve "
                   f"https://villeneuve-sur-loire.fr/actu/{d}")
        s.repost("alice", c, day + timedelta(hours=10))
        s.quote("bob", c, day + timedelta(hours=11), "Intéressant #Loire #Villeneuve")
        if d % 5 == 0:
            s.post("dede", day + timedelta(hours=12), "À lire https://www.villeneuve-sur-loire.fr/x")
        if d % 4 == 0:
            m = s.post("dede", day + timedelta(hours=17),
                       "@vsl_sortir le concert est à quelle heure ?")
            if d % 8 == 0:
                s.reply("vsl_sortir", m, day + timedelta(hours=18, minutes=5),
                        "@dede À 20 h !")
        p = s.post("carole", day + timedelta(hours=7 + d % 6),
                   f"Bonjour @villeneuve_fr, la rue {d} est-elle fermée ?")
        if d % 3:
            s.reply("villeneuve_fr", p, day + timedelta(hours=13 + d % 4),
                    "@carole Oui, jusqu'à 18 h.")
        q = s.reply("alice", c, day + timedelta(hours=19), "Et le marché ? @vsl_sortir")
        if d % 2:
            s.reply("vsl_sortir", q, day + timedelta(hours=21), "@alice Samedi matin !")
        s.reply("bob", q, day + timedelta(hours=20), "@alice je me posais la même question")
        for k in range(40 if d == STORM_DAY else 2):
            s.post("bob", day + timedelta(hours=14, minutes=k), f"Orage #VilleneuveSurLoire {k}")
    s.post("bob", FIRST_DAY + timedelta(days=26, hours=10, minutes=17), XSS_TEXT)
    with writer(db) as con:
        s.land(con, fetched_at=AS_OF)
        _bluesky(terr).land(con, fetched_at=AS_OF - timedelta(minutes=1))
        _mastodon(terr).land(con, fetched_at=AS_OF - timedelta(minutes=2))


def city_handle(terr: Territory, platform: str) -> str:
    """The configured city account of ``platform`` (the first one)."""
    return next(a.handle for a in terr.accounts if a.platform == platform)


def _bluesky(terr: Territory) -> Scenario:
    s = Scenario(terr, platform="bluesky")
    city = city_handle(terr, "bluesky")
    s.user(city, name="Ville de Villeneuve", followers=2_500, id="did:plc:villeneuve")
    s.user("lea.bsky.social", name="Léa", location="Villeneuve-sur-Loire", followers=90,
           id="did:plc:lea")
    s.user("marc.bsky.social", name="Marc", location="Tours", followers=60, id="did:plc:marc")
    for d in range(7, 28):
        day = FIRST_DAY + timedelta(days=d)

        def post_id(kind: str, d: int = d) -> str:
            return f"at://did:plc:{kind}/app.bsky.feed.post/3kday{d:02d}{kind}"

        c = s.post(city, day + timedelta(hours=10), f"Sur Bluesky aussi : l'info {d}",
                   id=post_id("villeneuve"))
        s.repost("lea.bsky.social", c, day + timedelta(hours=11), id=post_id("lea"))
        if d % 2 or d >= 24:  # more and more questions there
            m = s.reply("marc.bsky.social", c, day + timedelta(hours=12),
                        f"La piscine {d} est ouverte ?", id=post_id("marc"))
            if d % 3 == 0 and d < 26:
                s.reply(city, m, day + timedelta(hours=15), "Oui, de 10 h à 19 h.",
                        id=post_id("villeneuve") + "r")
    return s


def _mastodon(terr: Territory) -> Scenario:
    s = Scenario(terr, platform="mastodon")
    city = city_handle(terr, "mastodon")
    server = "https://" + city.split("@")[-1]
    s.user(city, name="Ville de Villeneuve", followers=800, id=f"{server}/@villeneuve")
    s.user("paul@piaille.fr", name="Paul", location="Villeneuve (49)", followers=30,
           id="https://piaille.fr/@paul")
    s.user("nina@mastodon.social", name="Nina", location="Lyon", followers=20,
           id=f"{server}/@nina")
    for d in range(14, 28, 2):
        day = FIRST_DAY + timedelta(days=d)
        c = s.post(city, day + timedelta(hours=11), f"Sur Mastodon : l'info {d}",
                   id=f"{server}/@villeneuve/1130{d:02d}")
        s.repost("paul@piaille.fr", c, day + timedelta(hours=12),
                 id=f"https://piaille.fr/@paul/1130{d:02d}")
        m = s.reply("nina@mastodon.social", c, day + timedelta(hours=13),
                    f"Et la médiathèque {d} ?", id=f"{server}/@nina/1130{d:02d}")
        if d % 4 == 0:
            s.reply(city, m, day + timedelta(hours=16), "Ouverte le samedi.",
                    id=f"{server}/@villeneuve/1130{d:02d}1")
    return s
