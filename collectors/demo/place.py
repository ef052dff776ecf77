"""One place of a demo of many territories: its territory, its words, its habits, its share.

The demo's texts (``texts.toml``) and cast speak of Villeneuve-sur-Loire. Another fictional
territory reuses them with its own words: :attr:`Place.words` maps each of Villeneuve's
words (its name, its short name and abbreviation, its river, its department) to this
place's, longest first, so ``#VilleneuveSurLoire``, ``villeneuve-sur-loire.fr`` and
``@vsl_sortir`` become the place's hashtag, domain and handle. :class:`Habits` are how the
place's city accounts serve (how many interpellations they leave unanswered, how fast they
answer, how much the locals relay, how much citizens reply to each other). The defaults are
Villeneuve's own: a place without words and with default habits is the one-territory demo,
byte for byte.

Which places, with which words and habits, is data read by the layer above
(``territoires/example.py`` and ``territoires/demo_territories.toml``); this module only
applies it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from model import Territory


@dataclass(frozen=True)
class Habits:
    """How a territory's city accounts serve; 1.0 (3.0 for ``local_relays``) is Villeneuve."""

    unanswered: float = 1.0  # × the share of interpellations never answered
    slow: float = 1.0  # × the share answered slowly (one to three working days)
    speed: float = 1.0  # × the service time an answer takes (2.0: twice as slow)
    local_relays: float = 3.0  # how much more often a local citizen relays than another
    threads: float = 1.0  # × the chance that a citizen replies to another citizen


VILLENEUVE = Habits()  # the one-territory demo's habits


@dataclass(frozen=True)
class Place:
    """A demo territory with its words, habits and relative size.

    ``weight``: the place's share of the posts, relative to the others' (see
    :func:`split_posts`). ``relayed_by``: the slug of a territory whose collector also
    finds this place's first page of city posts (``GET /2/users/:id/tweets``: a métropole
    following one of its communes), so those posts belong to both.
    """

    territory: Territory
    words: tuple[tuple[str, str], ...] = ()
    habits: Habits = VILLENEUVE
    weight: float = 1.0
    relayed_by: str | None = None


def renamer(words: Sequence[tuple[str, str]]) -> Callable[[str], str] | None:
    """A function replacing each word of ``words`` (old, new) in a text, longest first, in
    one pass (a replacement is never replaced again); None when there is nothing to replace."""
    table = {old: new for old, new in words if old != new}
    if not table:
        return None
    pattern = re.compile("|".join(re.escape(w) for w in sorted(table, key=len, reverse=True)))

    def rename(text: str) -> str:
        return pattern.sub(lambda m: table[m.group(0)], text)

    return rename


def split_posts(total: int, weights: Sequence[float]) -> list[int]:
    """``total`` posts shared in proportion to ``weights`` (largest remainders), at least
    one each; the counts add up to ``total`` exactly."""
    n = len(weights)
    if n < 1:
        raise ValueError("at least one territory")
    if total < n:
        raise ValueError(f"{total} posts cannot be shared among {n} territories")
    if any(w <= 0 for w in weights):
        raise ValueError("weights must be positive")
    spare = total - n  # one post each first
    s = sum(weights)
    exact = [spare * w / s for w in weights]
    counts = [int(e) for e in exact]
    order = sorted(range(n), key=lambda i: (counts[i] - exact[i], i))
    for i in order[: spare - sum(counts)]:
        counts[i] += 1
    return [c + 1 for c in counts]
