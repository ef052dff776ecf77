"""The demo territory's French texts (``texts.toml`` beside this module) and their filling-in.

Everything is fictional: Villeneuve-sur-Loire, its streets, its events, its people. A
template's slots (``{street}``, ``{event}``, ``{month}``, ``{n}``…) are filled by
:func:`expand` with a seeded random generator, so the pools (and so the demo) depend only on
the seed. A template is a string, or ``(text, link)``: the t.co link is appended at
generation. The demo follows its calendar: a seasonal template is a :class:`Seasonal` with
the months it belongs to (the rentrée's sign-ups in spring and summer, the marché de Noël in
December), an event of :data:`EVENT_SEASONS` is named only in its months, and a ``{month}``
slot names one of the next three months. The others are timeless.
"""

from __future__ import annotations

import random
import re
import tomllib
from collections.abc import Sequence
from importlib import resources
from typing import Any, NamedTuple


class Seasonal(NamedTuple):
    """A template that belongs to some months of the year (1-12) only."""

    months: frozenset[int]
    template: Any


def months_of(spec: str) -> frozenset[int]:
    """``"6-8"`` -> June to August; ``"11-2"`` wraps over the new year; ``"2,4,6-7"`` lists."""
    out: set[int] = set()
    for part in spec.split(","):
        a, _, b = part.strip().partition("-")
        m, last = int(a), int(b or a)
        if not (1 <= m <= 12 and 1 <= last <= 12):
            raise ValueError(f"not a month range: {spec!r}")
        out.add(m)
        while m != last:
            m = m % 12 + 1
            out.add(m)
    return frozenset(out)


ALL_MONTHS = months_of("1-12")


def season_of(template: Any) -> tuple[frozenset[int], Any]:
    """(the months a template belongs to, the template itself)."""
    if isinstance(template, Seasonal):
        return template.months, template.template
    return ALL_MONTHS, template


def _template(value: str | dict[str, Any]) -> Any:
    """A template of the data file: a string, or a table with ``text``, ``link``, ``months``."""
    if isinstance(value, str):
        return value
    link = value.get("link")
    template = value["text"] if link is None else (value["text"], link)
    months = value.get("months")
    return template if months is None else Seasonal(months_of(months), template)


def _templates(values: Sequence[str | dict[str, Any]]) -> tuple[Any, ...]:
    return tuple(_template(v) for v in values)


_DATA: dict[str, Any] = tomllib.loads(
    resources.files("collectors.demo").joinpath("texts.toml").read_text(encoding="utf-8")
)
_SLOTS: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in _DATA["slots"].items()}
_POOLS: dict[str, Any] = _DATA["pools"]
_PEOPLE: dict[str, list[str]] = _DATA["people"]
_NO_ANSWER: dict[str, list[str]] = _DATA["no_answer"]

XSS_TEXT: str = _DATA["xss"]
# The three city accounts' roles, in the order of examples/villeneuve.toml.
ROLES: tuple[str, ...] = tuple(_DATA["roles"])

STREETS = _SLOTS["street"]
PLACES = _SLOTS["place"]
QUARTIERS = _SLOTS["quartier"]
SCHOOLS = _SLOTS["school"]
EVENTS = _SLOTS["event"]
EXPOS = _SLOTS["expo"]
LINES = _SLOTS["line"]
MONTHS = _SLOTS["month"]
DAYS = _SLOTS["day"]
# events held in some months only (the others may come any time of the year)
EVENT_SEASONS: dict[str, frozenset[int]] = {
    event: months_of(spec) for event, spec in _DATA["event_seasons"].items()
}

CITY_POSTS: dict[str, tuple[Any, ...]] = {
    role: _templates(v) for role, v in _DATA["city_posts"].items()
}
ANSWERS: dict[str, tuple[Any, ...]] = {role: _templates(v) for role, v in _DATA["answers"].items()}
QUESTIONS: dict[str, tuple[Any, ...]] = {
    role: _templates(v) for role, v in _DATA["questions"].items()
}
STORM_CITY_POSTS = _templates(_POOLS["storm_city_posts"])
GREETINGS: tuple[str, ...] = tuple(_POOLS["greetings"])
STORM_MENTIONS = _templates(_POOLS["storm_mentions"])
REPLIES_TO_CITY = _templates(_POOLS["replies_to_city"])
CITIZEN_REPLIES = _templates(_POOLS["citizen_replies"])
FOLLOWUPS = _templates(_POOLS["followups"])
QUOTES = _templates(_POOLS["quotes"])
HASHTAG_POSTS = _templates(_POOLS["hashtag_posts"])
STORM_POSTS = _templates(_POOLS["storm_posts"])
NEWS_POSTS = _templates(_POOLS["news_posts"])
IMMO_POSTS = _templates(_POOLS["immo_posts"])
CHATTER = _templates(_POOLS["chatter"])
CHATTER_LINKS: tuple[str | None, ...] = tuple(link or None for link in _POOLS["chatter_links"])
LINK_RELAYS = _templates(_POOLS["link_relays"])

# labels: the interpellation templates that expect NO answer (see interpellation_labels)
QUESTIONS_NO_ANSWER = frozenset(_NO_ANSWER["questions"])
STORM_MENTIONS_NO_ANSWER = frozenset(_NO_ANSWER["storm_mentions"])
REPLIES_TO_CITY_NO_ANSWER = frozenset(_NO_ANSWER["replies_to_city"])
FOLLOWUPS_NO_ANSWER = frozenset(_NO_ANSWER["followups"])

# The city's accounts, in the order of examples/villeneuve.toml: name, bio, followers.
CITY_PROFILES: tuple[tuple[str, str, int], ...] = tuple(
    (c["name"], c["bio"], c["followers"]) for c in _DATA["accounts"]["city"]
)
# Organisations: username, name, location, description, followers, verified_type
ORGS: tuple[tuple[str, str, str, str, int, str], ...] = tuple(
    (o["username"], o["name"], o["location"], o["bio"], o["followers"], o["verified_type"])
    for o in _DATA["accounts"]["orgs"]
)
FIRST_NAMES = tuple(_PEOPLE["first_names"])
LAST_NAMES = tuple(_PEOPLE["last_names"])
LOCAL_LOCATIONS = tuple(_PEOPLE["local_locations"])
NONLOCAL_LOCATIONS = tuple(_PEOPLE["nonlocal_locations"])
LOCAL_BIOS = tuple(_PEOPLE["local_bios"])
NONLOCAL_BIOS = tuple(_PEOPLE["nonlocal_bios"])


def events_in(month: int) -> tuple[str, ...]:
    """The events that may be named in ``month`` (1-12)."""
    return tuple(e for e in EVENTS if month in EVENT_SEASONS.get(e, ALL_MONTHS))


def months_ahead(month: int) -> tuple[str, ...]:
    """The names of the three months after ``month`` (1-12): a dated text looks ahead."""
    return tuple(MONTHS[(month - 1 + k) % 12] for k in (1, 2, 3))


class Label(NamedTuple):
    """One interpellation template and whether it expects an answer (a hand label)."""

    pool: str  # "QUESTIONS.general", "REPLIES_TO_CITY"…
    template: str  # as written in texts.toml, slots unfilled, without its season
    expects: bool
    greeted: bool  # posted after one of GREETINGS, first letter capitalised


def interpellation_labels() -> tuple[Label, ...]:
    """Every template the demo posts as an interpellation, labelled: does it expect an
    answer (docs/metrics.md, "Réponse attendue")? Measures the automatic judgement on the
    demo (scripts/classifier_figures.py); the generator never reads it. The demo's other
    interpellation is :data:`XSS_TEXT`, a hostile-content probe, unlabelled."""

    def body(template: Any) -> str:
        inner = season_of(template)[1]
        return str(inner[0] if isinstance(inner, tuple) else inner)

    pools: list[tuple[str, Sequence[Any], frozenset[str], bool]] = [
        (f"QUESTIONS.{role}", QUESTIONS[role], QUESTIONS_NO_ANSWER, True) for role in ROLES
    ]
    pools += [
        ("STORM_MENTIONS", STORM_MENTIONS, STORM_MENTIONS_NO_ANSWER, False),
        ("REPLIES_TO_CITY", REPLIES_TO_CITY, REPLIES_TO_CITY_NO_ANSWER, False),
        ("FOLLOWUPS", FOLLOWUPS, FOLLOWUPS_NO_ANSWER, False),
    ]
    return tuple(
        Label(name, body(t), body(t) not in no_answer, greeted)
        for name, templates, no_answer, greeted in pools
        for t in templates
    )


_SLOT = re.compile(r"\{(\w+)\}")


def slugify(text: str) -> str:
    table = str.maketrans("àâäéèêëîïôöùûüçœ", "aaaeeeeiioouuuco")
    s = re.sub(r"[^a-z0-9]+", "-", text.lower().translate(table)).strip("-")
    return s[:48] or "page"


def expand(
    template: str,
    rng: random.Random,
    used: dict[str, str] | None = None,
    choices: dict[str, Sequence[str]] | None = None,
) -> str:
    """Fill ``template``'s slots with random fictional values; ``used`` collects them.

    ``choices`` replaces some slots' values (the events and months of a post's season).
    """
    values: dict[str, Sequence[str]] = {
        **_SLOTS,
        "street2": STREETS,
        "event2": EVENTS,
        **(choices or {}),
    }

    def fill(m: re.Match[str]) -> str:
        key = m.group(1)
        if key in values:
            v = rng.choice(values[key])
        elif key == "n":
            v = str(rng.randint(2, 28))
        elif key == "code":
            v = "".join(
                rng.choice("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
                for _ in range(11)
            )
        elif key == "slug":
            v = slugify((used or {}).get("text", "actualite"))
        else:
            v = m.group(0)
        if used is not None:
            used[key] = v
        return v

    return _SLOT.sub(fill, template)
