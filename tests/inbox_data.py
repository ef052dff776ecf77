"""A small, fresh warehouse for the inbox tests (Aujourd'hui as an inbox, issue 17).

The posts are dated relative to *now* and the pages fetched an hour ago, so the queue holds
them (younger than 7 days) and a decision recorded now counts on the page at once
(the view's as-of moves up to the latest decision: territoires/ui/state.py). Built with
:class:`tests.scenario.Scenario` through the one loading path, for the demo territory
(``examples/villeneuve.toml``, its four services).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from territoires.config import load_config
from tests.conftest import EXAMPLE_CONFIG
from tests.scenario import Scenario
from warehouse.db import writer
from warehouse.expectation import expects_answer

# text -> what the automatic rules say (checked when the warehouse is built)
MERCI = "@villeneuve_fr Merci beaucoup, bonne soirée !"  # thanks: no answer expected
QUESTION = "@villeneuve_fr Le concert de samedi est à quelle heure ?"  # evenements
LAMPADAIRE = "@villeneuve_fr Le lampadaire de la rue des Lilas est en panne depuis 3 jours"
POUBELLES = "@villeneuve_fr Les poubelles de la rue Haute ne sont toujours pas ramassées"
# a "merci" the rules judge as expecting an answer (a request): the one the browser test
# dismisses from the queue
MERCI_REQUEST = "@villeneuve_fr Merci de me tenir au courant"
PASSEPORTS = [f"@villeneuve_fr Bonjour, comment prendre rendez-vous pour un passeport ({k}) ?"
              for k in range(4)]
ANSWERED = "@villeneuve_fr La piscine est ouverte dimanche ?"
TEXTS = {MERCI: False, QUESTION: True, LAMPADAIRE: True, POUBELLES: True, MERCI_REQUEST: True,
         ANSWERED: True, **dict.fromkeys(PASSEPORTS, True)}


@dataclass(frozen=True)
class Built:
    """Where each post landed: text -> post id, and the instant of the fetch."""

    ids: dict[str, str]
    fetched_at: datetime
    scenario: Scenario


def build(db: str | Path, now: datetime | None = None) -> Built:
    for text, expected in TEXTS.items():
        got = expects_answer(text)
        assert got.expects is expected, (text, got)
    now = now or datetime.now(UTC)
    fetched = now - timedelta(hours=1)
    terr = load_config(EXAMPLE_CONFIG)
    s = Scenario(terr)
    s.user("villeneuve_fr", name="Ville de Villeneuve", followers=20_000)
    s.user("alice", name="Alice Martin", location="Villeneuve (49)", followers=120)
    s.user("bob", name="Bob", location="Paris", followers=5_000)
    s.user("carole", name="Carole <b>B.</b>", followers=300)
    base = fetched - timedelta(days=2)  # every post of the queue: two days old or less
    ids: dict[str, str] = {}
    order = [MERCI, MERCI_REQUEST, QUESTION, LAMPADAIRE, POUBELLES, *PASSEPORTS]
    authors = ["alice", "bob", "carole"]
    for k, text in enumerate(order):
        ids[text] = s.post(authors[k % 3], base + timedelta(minutes=20 * k), text)
    ids[ANSWERED] = s.post("alice", base - timedelta(hours=3), ANSWERED)
    s.reply("villeneuve_fr", ids[ANSWERED], base - timedelta(hours=2), "@alice Oui, de 9 h à 12 h.")
    with writer(db) as con:
        s.land(con, fetched_at=fetched.replace(tzinfo=None))
    return Built(ids, fetched.replace(tzinfo=None), s)


def big_jsonl(path: Path, posts: int = 300_000, per_page: int = 500) -> Path:
    """A twarc2-style JSONL file (one X API v2 page a line) of ``posts`` posts linking to
    the city's site, from 40 days back, 5 s apart: an import long enough (about 10 s here)
    to hold the writer lock while decisions arrive, touching none of the queue's posts."""
    terr = load_config(EXAMPLE_CONFIG)
    s = Scenario(terr)
    s._next_id = 1_800_000_000_000_000_000  # far from the queue's ids
    s.user("villeneuve_fr", name="Ville de Villeneuve", followers=20_000)
    for k in range(50):
        s.user(f"habitant{k}", name=f"Habitant {k}", location="Villeneuve (49)", followers=k)
    start = datetime.now(UTC) - timedelta(days=40)
    with open(path, "w", encoding="utf-8") as fh:
        ids: list[str] = []
        for n in range(posts):
            ids.append(s.post(f"habitant{n % 50}", start + timedelta(seconds=5 * n),
                              f"Info {n} https://villeneuve-sur-loire.fr/a/{n}"))
            if len(ids) == per_page:
                fh.write(s.page(ids) + "\n")
                ids = []
        if ids:
            fh.write(s.page(ids) + "\n")
    json.loads(path.read_text(encoding="utf-8").splitlines()[0])  # a valid page
    return path
