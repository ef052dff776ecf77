"""The demo follows its calendar: a dated or seasonal text appears only in its season.

Each post's season is its ``created_at`` month in the territory's time zone. The table of
markers below is kept here, apart from the generator's own catalogue, so that the test
checks the texts the demo writes rather than the data it reads.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import cache
from zoneinfo import ZoneInfo

import orjson
import pytest

from collectors.demo import generate_pages
from territoires.example import demo_territory

POSTS = 6000
SEED = 11


def _months(spec: str) -> frozenset[int]:
    """ "6-8" -> {6, 7, 8}; "11-2" wraps over the new year; "2,4" lists."""
    out: set[int] = set()
    for part in spec.split(","):
        a, _, b = part.partition("-")
        lo, hi = int(a), int(b or a)
        m = lo
        while True:
            out.add(m)
            if m == hi:
                break
            m = m % 12 + 1
    return frozenset(out)


# marker (lower-case) -> the months a post may carry it
SEASON_MARKERS = {
    "14 juillet": _months("7"),
    "fête de la musique": _months("6"),
    "marché de noël": _months("12"),
    "carnaval": _months("2-3"),
    "rentrée": _months("3-8"),
    "cinéma en plein air": _months("7-8"),
    "marché de nuit": _months("6-8"),
    "festival loire en scène": _months("6-8"),
    "concert du kiosque": _months("5-9"),
    "nuit des musées": _months("5"),
    "programme de l'été": _months("5-8"),
    "horaires d'été": _months("5-8"),
    "grand froid": _months("12-2"),
    "canicule": _months("6-8"),
    "neige": _months("12-2"),
    "pendant les vacances": _months("2,4,6-7,10,12"),
    "feuilles mortes": _months("10-12"),
    "cigognes": _months("2-4"),
    "brouillard": _months("10-3"),
    "canoë": _months("5-9"),
    "recensement": _months("1-2"),
    "loire à vélo": _months("4-9"),
    "vide-grenier": _months("3-10"),
    "match du vsl basket": _months("9-5"),
    "s'impose face à": _months("9-5"),
}
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
          "septembre", "octobre", "novembre", "décembre")  # fmt: skip
# a date ahead ("jusqu'au 12 mars", "fin mars", "en mars"): within the next three months
DATED = re.compile(r"\b(?:\d{1,2}|fin|en) (" + "|".join(MONTHS) + r")\b")


@cache
def _posts(anchor: date) -> tuple[tuple[int, str], ...]:
    """(local month, lower-case text) of every post of a demo ending at ``anchor``.

    Reposts are left out: ``RT @user: …`` carries the original's text, of the original's day.
    """
    territory = demo_territory()
    tz = ZoneInfo(territory.timezone)
    out = []
    for page in generate_pages(territory, POSTS, SEED, anchor=anchor, platforms=("x",)):
        if page.kind != "tweets":
            continue
        for p in orjson.loads(page.body)["data"]:
            if any(r["type"] == "retweeted" for r in p.get("referenced_tweets", ())):
                continue
            when = datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
            out.append((when.astimezone(tz).month, p["text"].lower()))
    return tuple(out)


ANCHORS = (date(2025, 11, 15), date(2025, 7, 15), date(2026, 1, 14))


@pytest.mark.parametrize("anchor", ANCHORS, ids=str)
def test_no_text_out_of_its_season(anchor: date) -> None:
    posts = _posts(anchor)
    assert len(posts) > POSTS // 2
    wrong = [
        (month, marker, text)
        for month, text in posts
        for marker, months in SEASON_MARKERS.items()
        if marker in text and month not in months
    ]
    assert not wrong, wrong[:10]


@pytest.mark.parametrize("anchor", ANCHORS, ids=str)
def test_dates_named_in_a_text_lie_ahead(anchor: date) -> None:
    wrong = []
    for month, text in _posts(anchor):
        for m in DATED.finditer(text.replace("14 juillet", "")):
            ahead = (MONTHS.index(m.group(1)) + 1 - month) % 12
            if not 1 <= ahead <= 3:
                wrong.append((month, m.group(0), text))
    assert not wrong, wrong[:10]


@pytest.mark.parametrize(
    ("anchor", "marker", "month"),
    [
        (date(2025, 7, 15), "14 juillet", 7),
        (date(2025, 7, 15), "fête de la musique", 6),
        (date(2025, 7, 15), "rentrée", 5),
        (date(2025, 7, 15), "canicule", 7),
        (date(2025, 11, 15), "feuilles mortes", 10),
        (date(2026, 1, 14), "marché de noël", 12),
        (date(2026, 1, 14), "grand froid", 12),
        (date(2026, 1, 14), "neige", 1),
    ],
)
def test_in_season_texts_do_appear(anchor: date, marker: str, month: int) -> None:
    assert any(m == month and marker in text for m, text in _posts(anchor))


def test_timeless_texts_appear_in_every_season() -> None:
    for anchor in ANCHORS:
        texts = [text for _, text in _posts(anchor)]
        assert any("coucher de soleil sur la loire" in t for t in texts), anchor
        assert any("balayage mécanique" in t for t in texts), anchor
