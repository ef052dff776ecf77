"""The fictional territories of the demo, read from the files the product ships.

``examples/villeneuve.toml`` (found in the checkout or in the installed wheel,
territoires/resources.py) is the one-territory demo; ``demo_territories.toml`` beside this
module lists the 30 fictional territories of ``territoires demo --territories N``, Villeneuve
first, with the words that replace Villeneuve's in the demo's texts and their habits. The
demo generator (collectors/demo/) takes them as arguments: finding and reading files of the
distribution is this layer's job (docs/design.md §14).
"""

from __future__ import annotations

import functools
import re
import tomllib
import unicodedata
from pathlib import Path
from typing import Any

from collectors.demo import Habits, Place
from model import Territory
from model.territory import parse_config
from territoires import resources
from territoires.config import load_config

EXAMPLE = resources.path("examples/villeneuve.toml")
TERRITORIES = Path(__file__).with_name("demo_territories.toml")

# Villeneuve's accounts, by platform, as the other places' are named after them
_LABELS = ("Institutionnel", "Sortir", "Propreté et voirie")
_X_HANDLES = ("villeneuve_fr", "vsl_sortir", "vsl_proprete")


def demo_territory() -> Territory:
    """The fictional territory of the demo (``examples/villeneuve.toml``)."""
    return load_config(EXAMPLE)


def size_weight(population: int | None) -> float:
    """A territory's share of the demo's posts: the square root of its population (ten
    times the inhabitants, about three times the posts)."""
    return float(population or 10_000) ** 0.5


@functools.cache
def _entries() -> tuple[dict[str, Any], ...]:
    with TERRITORIES.open("rb") as fh:
        return tuple(tomllib.load(fh)["place"])


def max_territories() -> int:
    """How many fictional territories ``demo_places`` can give."""
    return len(_entries())


def demo_places(n: int = 1) -> list[Place]:
    """The first ``n`` fictional territories of the demo, as places of the generator.

    The first is Villeneuve exactly as ``examples/villeneuve.toml`` has it (no words to
    replace, default habits): ``demo_places(1)`` is the one-territory demo.
    """
    entries = _entries()
    if not 1 <= n <= len(entries):
        raise ValueError(f"expected 1 to {len(entries)} territories, got {n}")
    villeneuve = demo_territory()
    places = []
    for i, entry in enumerate(entries[:n]):
        if i == 0:
            territory = villeneuve
            words: tuple[tuple[str, str], ...] = ()
        else:
            words = _words(entry)
            territory = _territory(entry, villeneuve)
        places.append(
            Place(
                territory,
                words,
                Habits(**entry.get("habits", {})),
                size_weight(territory.population),
                entry.get("relayed_by"),
            )
        )
    return places


def demo_territories(n: int = 1) -> list[Territory]:
    """The first ``n`` fictional territories (see :func:`demo_places`)."""
    return [p.territory for p in demo_places(n)]


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _camel(text: str) -> str:
    """``"Les Hérons-sur-Vaudine"`` -> ``"LesHeronsSurVaudine"`` (a hashtag)."""
    return "".join(w[:1].upper() + w[1:] for w in re.split(r"[^A-Za-z0-9]+", _ascii(text)) if w)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", _ascii(text).lower()).strip("-")


def _words(e: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """Villeneuve's words in the demo's texts and profiles -> this place's."""
    short, handle, abbr, river = e["short"], e["handle"], e["abbr"], e["river"]
    tag, full = _camel(short), _camel(e["name"])
    elided: tuple[tuple[str, str], ...] = ()
    if _ascii(river)[:1].lower() in "aeiouy":  # "bords de Loire" -> "bords d'Ondine"
        elided = (("de Loire", f"d'{river}"), ("la Loire", f"l'{river}"))
    return (
        *elided,
        ("Villeneuve-sur-Loire", e["name"]),
        ("villeneuve-sur-loire", _slug(e["name"])),
        ("#VilleneuveSurLoire", f"#{full}"),
        ("#villeneuvesurloire", f"#{full.lower()}"),
        ("#VilleneuveFestival", f"#{tag}Festival"),
        ("#VILLENEUVE", f"#{tag.upper()}"),
        ("#Villeneuve", f"#{tag}"),
        ("#villeneuve", f"#{tag.lower()}"),
        ("Villeneuvois", f"À {short}"),
        ("Villeneuve", short),
        ("villeneuve", handle),
        ("VSL", abbr.upper()),
        ("vsl", abbr),
        ("OF_Anjou", f"OF_{_camel(e['dept_name'])}"),
        ("Maine-et-Loire", e["dept_name"]),
        ("#Loire", f"#{_camel(river)}"),
        ("Loire", river),
        ("loire", _ascii(river).lower()),
        ("Anjou", e["pays"]),
        ("Angers", e["pays"]),
        ("Saumur", e["pays"]),
        ("49", e["dept"]),
    )


def _territory(e: dict[str, Any], villeneuve: Territory) -> Territory:
    """The [territory] file of a fictional place, built on Villeneuve's (privacy, services)."""
    raw = villeneuve.raw
    x_count = int(e.get("x", 1))
    handle = e["handle"]
    accounts = [
        {"platform": "x", "handle": h.replace("villeneuve", handle).replace("vsl", e["abbr"]),
         "label": label}
        for h, label in list(zip(_X_HANDLES, _LABELS, strict=True))[:x_count]
    ]
    if e.get("bluesky"):
        accounts.append({"platform": "bluesky", "handle": f"{handle}.bsky.social",
                         "label": "Institutionnel (Bluesky)"})
    if e.get("mastodon"):
        accounts.append({"platform": "mastodon", "handle": f"{handle}@mastodon.social",
                         "label": "Institutionnel (Mastodon)"})
    hours = e["hours"]
    if len(hours) != len(accounts):
        raise ValueError(f"{TERRITORIES}: {e['slug']}: one service_hours per account")
    for account, h in zip(accounts, hours, strict=True):
        account["service_hours"] = h
    terr: dict[str, Any] = {
        "name": e["name"],
        "slug": e["slug"],
        "timezone": villeneuve.timezone,
        "holidays": villeneuve.holidays or "",
        "population": int(e["population"]),
        "cm_fte": float(e["cm_fte"]),
    }
    tag, full = _camel(e["short"]), _camel(e["name"])
    data = {
        "territory": terr,
        "accounts": accounts,
        "tracking": {
            "hashtags": [f"#{tag}", f"#{full}"] if full != tag else [f"#{tag}"],
            "keywords": [e["name"]],
            "city_domains": [f"{_slug(e['name'])}.fr"],
            "mastodon_instances": ["mastodon.social"],
        },
        "locality": {
            "terms": [e["short"], e["river"], e["dept"]],
            "local_accounts": ["lecafedesarts"],
            "exclude_accounts": [f"{handle}_immo"],
        },
        "privacy": raw.get("privacy", {}),
        "services": raw.get("services", []),
    }
    return parse_config(data, source=f"{TERRITORIES}#{e['slug']}")
