"""The demo territory: a fictional French city's activity on X, Bluesky and Mastodon, as
those platforms' response pages.

``territoires demo`` lands these pages through the one loading path
(:func:`warehouse.load.load_pages`), exactly as a collector would: each post lies in the page
of the endpoint a collector would have found it with (:mod:`collectors.demo.pages`).

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
only in its months, by each post's local date (:mod:`collectors.demo.texts`).

Deterministic: the same ``seed`` and ``anchor`` give the same pages, byte for byte. The
data covers the :data:`WEEKS` weeks before the anchor date's midnight (territory time);
nothing is dated after that instant, so a demo built today has no post in the future.
Streaming: pages are generated one at a time; memory is bounded by the user population
(capped) and the posts still awaiting a scheduled reply or repost.

Many territories (:func:`generate_places`, ``territoires demo --territories N``): each
:class:`~collectors.demo.place.Place` (a fictional territory, its words, its habits, its
share of the posts) gets its own story, one after the other, so memory is that of the
largest one; the first place with its own seed is the one-territory demo. Their pages are
then yielded in the order of time, all territories day by day, as an observatory's daily
collection lands them (:mod:`~collectors.demo.interleave`).

The modules: :mod:`~collectors.demo.calendar` (the period, the hours' rhythm, the service
hours), :mod:`~collectors.demo.cast` (the people), :mod:`~collectors.demo.texts` and
:mod:`~collectors.demo.pools` (the texts), :mod:`~collectors.demo.story` (what happens),
:mod:`~collectors.demo.posts` (one post), :mod:`~collectors.demo.pages` and
:mod:`~collectors.demo.native` (the pages).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path

from tqdm import tqdm

from collectors.demo.calendar import WEEKS, default_anchor, demo_period, spike_day
from collectors.demo.interleave import spooled, write_pages
from collectors.demo.pages import PAGE_SIZE
from collectors.demo.place import Habits, Place, renamer, split_posts
from collectors.demo.story import Story
from collectors.demo.texts import XSS_TEXT
from model import Territory
from warehouse.pages import RawPage

__all__ = [
    "PAGE_SIZE",
    "Habits",
    "Place",
    "WEEKS",
    "XSS_TEXT",
    "default_anchor",
    "demo_period",
    "generate_pages",
    "generate_places",
    "split_posts",
    "spike_day",
]

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
    responses with their X-v2-shaped mapping (:mod:`collectors.demo.native`), for the
    territory's accounts on ``platforms`` (``("x",)``: X only, as twarc2 would write it).
    """
    if posts < 1:
        raise ValueError("posts must be at least 1")
    story = Story(territory, posts, seed, anchor or default_anchor(territory), platforms)
    with _progress_bar(posts, progress) as bar:
        yield from _pages(story, bar)


def _progress_bar(total: int, shown: bool) -> tqdm:  # type: ignore[type-arg]
    """The posts generated so far on stderr; a no-op bar when not ``shown``."""
    return tqdm(total=total, unit=" posts", desc="demo", mininterval=0.5, disable=not shown)


def _pages(story: Story, bar: tqdm) -> Iterator[RawPage]:  # type: ignore[type-arg]
    done = 0
    for page in story.run():
        yield page
        if story.emitted != done:
            bar.update(story.emitted - done)
            done = story.emitted


def place_seed(seed: int, number: int) -> int:
    """The seed of the place ``number`` of a demo of many (the first keeps ``seed``)."""
    return seed + 7919 * number


def generate_places(
    places: Sequence[Place],
    posts: int,
    seed: int,
    progress: bool = False,
    anchor: date | None = None,
    platforms: Sequence[str] = ("x", "bluesky", "mastodon"),
    spool_dir: Path | None = None,
) -> Iterator[RawPage]:
    """Yield the pages of several fictional territories, in the order of time.

    ``posts`` are shared by the places' weights (:func:`split_posts`); place ``k`` draws
    with :func:`place_seed` and its own words and habits. The first place alone, without
    words and with default habits, gives exactly :func:`generate_pages`. A place relayed by
    another one in the list also lands its first page of institutional posts in that
    territory (the same posts, so they belong to both).

    The places are generated one after the other by a child process (memory: the largest
    one's generator), their pages written to files in ``spool_dir`` (a temporary folder),
    then yielded merged by ``fetched_at``, as a daily collection of all the territories
    would land them (:mod:`collectors.demo.interleave`). One place is yielded as it is
    generated.
    """
    if not places:
        raise ValueError("at least one place")
    if len(places) > 32:
        raise ValueError("at most 32 places (their number is mixed into the post ids)")
    counts = split_posts(posts, [p.weight for p in places])
    anchor = anchor or default_anchor(places[0].territory)
    slugs = {p.territory.slug for p in places}
    if len(places) == 1:
        with _progress_bar(counts[0], progress) as bar:
            yield from _place_pages(places[0], counts[0], seed, anchor, platforms, 0, slugs, bar)
        return
    yield from spooled(spool_places, places, counts, seed, anchor, platforms, progress,
                       spool_dir=spool_dir)


def spool_places(
    places: Sequence[Place],
    counts: Sequence[int],
    seed: int,
    anchor: date,
    platforms: Sequence[str],
    progress: bool,
    folder: Path,
) -> list[Path]:
    """Write each place's pages to a file of ``folder``, one place after the other (run in
    a child process by :func:`collectors.demo.interleave.spooled`); return the files."""
    slugs = {p.territory.slug for p in places}
    files = []
    with _progress_bar(sum(counts), progress) as bar:
        for k, (place, n) in enumerate(zip(places, counts, strict=True)):
            path = folder / f"{k:02d}.zst"
            write_pages(path, _place_pages(place, n, place_seed(seed, k), anchor, platforms, k,
                                           slugs, bar))
            files.append(path)
    return files


def _place_pages(
    place: Place,
    posts: int,
    seed: int,
    anchor: date,
    platforms: Sequence[str],
    number: int,
    slugs: set[str],
    bar: tqdm,  # type: ignore[type-arg]
) -> Iterator[RawPage]:
    """One place's pages (and its relaying territory's copy of its first city page)."""
    story = Story(place.territory, posts, seed, anchor, platforms, renamer(place.words),
                  place.habits, number)
    relay = place.relayed_by if place.relayed_by in slugs else None
    for page in _pages(story, bar):
        yield page
        if relay and page.endpoint == "/2/users/:id/tweets":
            yield replace(page, territory=relay, origin=f"{page.origin}:{relay}")
            relay = None  # one page: a few posts belong to both
