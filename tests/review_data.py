"""A small warehouse for the weekly review and shared-link tests, landed through the one
loading path (X API v2 pages built by :class:`tests.scenario.Scenario`).

Five weeks (2026-W43 to W47, Monday 19 October to Sunday 22 November 2026) for the demo
territory (``examples/villeneuve.toml``, follower threshold 5000). The accounts shown by the
review cover the privacy rule's cases: private people (``carole_priv``, ``dede_priv``,
``nouvelle_priv``), a verified organisation with few followers (``mairie_verifiee``), a
widely followed person (``gros_compte``), and the city's own accounts. In W47, the slowest
answer goes to ``carole_priv``, the largest conversation is started by ``dede_priv``,
and ``nouvelle_priv`` and ``mairie_verifiee`` relay city posts for the first time.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

from territoires.config import load_config
from tests.conftest import EXAMPLE_CONFIG
from tests.scenario import Scenario
from warehouse.db import writer

AS_OF = datetime(2026, 11, 29, 8, 0)  # naive UTC: the last fetch
WEEK = "2026-W47"
MONDAY = date(2026, 11, 16)
FIRST = datetime(2026, 10, 19)  # local midnight, Monday of W43
PRIVATE = ("carole_priv", "dede_priv", "nouvelle_priv")
PUBLIC = ("mairie_verifiee", "gros_compte")
SECRET = "test-secret-for-shared-links-0123456789"


def build(db: str | Path) -> None:
    terr = load_config(EXAMPLE_CONFIG)
    s = Scenario(terr)
    s.user("villeneuve_fr", name="Ville de Villeneuve", followers=20_000)
    s.user("vsl_sortir", name="Sortir à Villeneuve", followers=8_000)
    s.user("carole_priv", name="Carole Privée", location="Villeneuve (49)", followers=300)
    s.user("dede_priv", name="Dédé", location="Villeneuve", followers=40)
    s.user("nouvelle_priv", name="Nina Nouvelle", location="Villeneuve", followers=12)
    s.user("mairie_verifiee", name="Mairie annexe", location="Villeneuve", followers=100)
    s.users["mairie_verifiee"].update(verified=True, verified_type="government")
    s.user("gros_compte", name="Gros Compte", location="Villeneuve", followers=9_000)
    s.user("bob", name="Bob", location="Paris", followers=100)
    for d in range(35):
        day = FIRST + timedelta(days=d)
        c = s.post("villeneuve_fr", day + timedelta(hours=9),
                   f"Info du jour {d} #Villeneuve https://villeneuve-sur-loire.fr/actu/{d}")
        s.repost("carole_priv", c, day + timedelta(hours=10))
        s.repost("gros_compte", c, day + timedelta(hours=10, minutes=30))
        if d % 2:
            s.quote("bob", c, day + timedelta(hours=11), "Intéressant #Villeneuve")
        for k in range(1 + d % 3):
            p = s.post("carole_priv", day + timedelta(hours=11, minutes=k),
                       f"Bonjour @villeneuve_fr, la rue {d}-{k} est-elle fermée ? Mon voisin "
                       "@dede_priv dit que oui, et cela dure depuis bien trop longtemps !")
            if (d + k) % 4:
                s.reply("villeneuve_fr", p, day + timedelta(hours=14, minutes=k),
                        "@carole_priv Oui, jusqu'à 18 h.")
        q = s.post("dede_priv", day + timedelta(hours=19), f"@vsl_sortir marché {d} ?")
        if d % 2:
            s.reply("vsl_sortir", q, day + timedelta(hours=21), "@dede_priv Samedi !")
    # W47 specifics
    slow = s.post("carole_priv", "2026-11-16T08:00", "@villeneuve_fr Trou énorme rue Haute, "
                  "devant chez moi au numéro 12, qui peut venir ? Merci de répondre vite svp")
    s.reply("villeneuve_fr", slow, "2026-11-20T17:00", "@carole_priv C'est réparé.")
    root = s.post("dede_priv", "2026-11-18T12:00", "@villeneuve_fr Qui organise la fête du "
                  "quartier cette année ? Tout le monde en parle ici depuis lundi dernier")
    for k, who in enumerate(["carole_priv", "bob", "gros_compte", "carole_priv", "bob"]):
        s.reply(who, root, datetime(2026, 11, 18, 13 + k), f"Bonne question {k}")
    hot = s.post("vsl_sortir", "2026-11-19T10:00", "Fête du quartier samedi #Villeneuve")
    for who in ("nouvelle_priv", "mairie_verifiee", "carole_priv", "gros_compte"):
        s.repost(who, hot, "2026-11-19T12:00")
    with writer(db) as con:
        s.land(con, fetched_at=AS_OF)
