"""Page queries: what each dashboard page runs, timed uncached and through the app's cache.

:data:`PAGES` mirrors ``views/*.py`` call for call (the functions each page passes to
``territoires.ui.data.q`` with the page's arguments, for the app's default view: the 28 days
up to the data's last day, no account filter). Every page also runs the shell's two
queries (``data_as_of`` and the territories). Calls that depend on a result (the posts
behind each spike found, the thread a user opens, a search) are resolved once on the data
before timing. ``tests/test_bench_smoke.py`` checks that every ``q(...)`` call of
``views/`` appears here, so the list cannot silently fall behind the pages.

* uncached: ``territoires.ui.data.q_uncached`` (a fresh cursor on the published snapshot
  per call, exactly what a cache miss runs);
* cached: ``territoires.ui.data.q`` (``st.cache_data`` keyed by the snapshot's identity),
  after one filling pass — what a rerun, another session or a shared link costs.
"""

from __future__ import annotations

import logging
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from territoires.config import Territory
from territoires.ui.state import View, view_from_params
from warehouse import dashboard_queries as dq
from warehouse import metrics
from warehouse.territory import load_territories

SEARCH_TEXT = "travaux"  # a word common in the demo's French posts


# page → its script in views/ and the query functions it calls (plan() keeps to these)
PAGE_SCRIPTS = {
    "aujourdhui": "aujourdhui.py", "reactivite": "reactivite.py",
    "conversations": "conversations.py", "hashtags": "hashtags.py", "relais": "relais.py",
    "collecte": "collecte.py",
}
PAGE_FUNCTIONS: dict[str, tuple[Callable[..., Any], ...]] = {
    "aujourdhui": (metrics.pending_queue, metrics.headline, dq.spikes, dq.spike_posts),
    "reactivite": (dq.responsiveness_by_account, metrics.headline, dq.responsiveness_by_week,
                   dq.arrival_answer_grid, dq.slowest_answers, dq.missed),
    "conversations": (dq.volume_by_kind, dq.threads, dq.top_participants, dq.thread,
                      dq.search_posts),
    "hashtags": (metrics.headline, dq.hashtag_city_share, metrics.hashtag_activity, dq.spikes,
                 dq.hashtag_contributors, dq.cooccurring_hashtags),
    "relais": (metrics.headline, metrics.local_tweetos, dq.relays_over_time,
               dq.new_local_tweetos, dq.top_relayed_posts),
    "collecte": (dq.freshness, dq.collect_runs, dq.run_errors, dq.api_usage),
}
SHELL_FUNCTIONS = (dq.data_as_of, load_territories)


def planned_names(page: str) -> set[str]:
    """Names of the query functions the benchmark times for ``page``."""
    return {f.__name__ for f in PAGE_FUNCTIONS[page]}


@dataclass
class Call:
    fn: Callable[..., Any]
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    territory: bool = True
    interactive: bool = False  # runs when the user opens/searches something

    @property
    def name(self) -> str:
        return self.fn.__name__

    def uncached(self, db: str, terr: Territory) -> Any:
        from territoires.ui.data import q_uncached

        return q_uncached(self.fn, db, terr if self.territory else None, *self.args,
                          **self.kwargs)

    def cached(self, db: str, terr: Territory) -> Any:
        from territoires.ui import data

        if self.fn is load_territories:
            return data.territories(db)
        return data.q(self.fn, db, terr if self.territory else None, *self.args, **self.kwargs)


def default_view(db: str, as_of: datetime) -> View:
    """The app's default view (``territoires.ui.state``) with as-of pinned to ``as_of``."""
    from territoires.ui.data import q_uncached

    _quiet_streamlit()
    terrs = q_uncached(load_territories, db, None)
    last = dict(q_uncached(dq.data_as_of, db, None))
    params = {"asof": as_of.replace(microsecond=0).isoformat() + "Z"}
    return view_from_params(params, db, terrs, last, datetime.now())


def plan(db: str, view: View) -> dict[str, list[Call]]:
    """Page → the calls its script makes for ``view`` (dependent calls resolved on the data)."""
    from territoires.ui.data import q_uncached

    terr, as_of = view.territory, view.as_of
    since, until = view.since, view.until_excl
    shell = [Call(dq.data_as_of, territory=False), Call(load_territories, territory=False)]

    today = view.today
    yesterday, week0, usual0 = (today - timedelta(days=d) for d in (1, 7, 35))
    found = q_uncached(dq.spikes, db, terr, (yesterday, today), as_of)
    aujourdhui = [
        Call(metrics.pending_queue, (as_of,), {"limit": 1000}),
        Call(metrics.headline, (yesterday, today, as_of)),
        Call(metrics.headline, (week0, today, as_of)),
        Call(metrics.headline, (usual0, week0, as_of)),
        Call(dq.spikes, ((yesterday, today), as_of)),
        *(Call(dq.spike_posts, (s.series, s.day, 20)) for s in found.itertuples()),
    ]
    reactivite = [
        Call(dq.responsiveness_by_account, (since, until, as_of)),
        Call(metrics.headline, (since, until, as_of)),
        Call(dq.responsiveness_by_week, (since, until, as_of, None)),
        Call(dq.arrival_answer_grid, (since, until, as_of, None)),
        Call(dq.slowest_answers, (since, until, as_of, None, 20)),
        Call(dq.missed, (since, until, as_of, None, 100)),
    ]
    largest = q_uncached(dq.threads, db, terr, since, until, "size", 15)
    conversations = [
        Call(dq.volume_by_kind, (since, until, as_of)),
        Call(dq.threads, (since, until, "size", 15)),
        Call(dq.threads, (since, until, "recent", 15)),
        Call(dq.top_participants, (since, until, 20)),
        *(Call(dq.thread, (row.platform, row.conversation_id), interactive=True)
          for row in largest.head(1).itertuples()),
        Call(dq.search_posts, (since, until, SEARCH_TEXT, 100), interactive=True),
    ]
    days = tuple(view.since + timedelta(days=i) for i in range((until - since).days))
    hashtags = [
        Call(metrics.headline, (since, until, as_of)),
        Call(dq.hashtag_city_share, (since, until)),
        Call(metrics.hashtag_activity, (since, until)),
        Call(dq.spikes, (days, as_of)),
        Call(dq.hashtag_contributors, (since, until, 20)),
        Call(dq.cooccurring_hashtags, (since, until, 15)),
    ]
    relais = [
        Call(metrics.headline, (since, until, as_of)),
        Call(metrics.local_tweetos, (since, until, 50)),
        Call(dq.relays_over_time, (since, until)),
        Call(dq.new_local_tweetos, (since, until)),
        Call(dq.top_relayed_posts, (since, until, 10)),
    ]
    now = as_of.replace(second=0, microsecond=0)
    runs = q_uncached(dq.collect_runs, db, terr, 30)
    failing = runs[runs["errors"] > 0]
    collecte = [
        Call(dq.freshness),
        Call(dq.collect_runs, (30,)),
        *(Call(dq.run_errors, (int(failing.iloc[0]["run_id"]),)) for _ in range(len(failing) > 0)),
        Call(dq.freshness),
        Call(dq.api_usage, (now,)),
    ]
    pages = {
        "aujourdhui": aujourdhui, "reactivite": reactivite, "conversations": conversations,
        "hashtags": hashtags, "relais": relais, "collecte": collecte,
    }
    assert pages.keys() == PAGE_FUNCTIONS.keys()
    for name, calls in pages.items():
        stray = {c.fn for c in calls} - set(PAGE_FUNCTIONS[name])
        assert not stray, f"{name}: {stray} missing from PAGE_FUNCTIONS"
    return {name: [*calls, *shell] for name, calls in pages.items()}


@dataclass
class PageTiming:
    page: str
    calls: int
    first_s: float  # the first uncached pass (cold snapshot)
    uncached_s: float  # median of the uncached passes
    cached_s: float  # median of the cached reruns
    slowest: str  # the slowest call (median) and its time
    slowest_s: float
    per_call: dict[str, float]  # call name → median seconds (summed when called twice)


def _quiet_streamlit() -> None:
    """Drop "No runtime found" (``st.cache_data`` outside a server uses memory storage)."""
    import territoires.ui.data  # noqa: F401  (streamlit sets its loggers up on import)

    logging.getLogger("streamlit.runtime.caching.cache_data_api").addFilter(
        lambda record: "No runtime found" not in record.getMessage())


def time_pages(db: str, view: View, repeats: int = 3) -> list[PageTiming]:
    """Uncached passes over every page (``repeats`` times, pages in turn), then the cached."""
    _quiet_streamlit()
    pages = plan(db, view)
    terr = view.territory
    passes: dict[str, list[list[float]]] = {p: [] for p in pages}
    for _ in range(max(1, repeats)):
        for page, calls in pages.items():
            times = []
            for call in calls:
                t = time.perf_counter()
                call.uncached(db, terr)
                times.append(time.perf_counter() - t)
            passes[page].append(times)
    cached: dict[str, list[float]] = {p: [] for p in pages}
    for calls in pages.values():
        for call in calls:  # fill the cache (the first visit after a publish)
            call.cached(db, terr)
    for _ in range(max(1, repeats)):
        for page, calls in pages.items():
            t = time.perf_counter()
            for call in calls:
                call.cached(db, terr)
            cached[page].append(time.perf_counter() - t)
    out = []
    for page, calls in pages.items():
        runs = passes[page]
        med = [statistics.median(r[i] for r in runs) for i in range(len(calls))]
        per_call: dict[str, float] = {}
        for call, s in zip(calls, med, strict=True):
            per_call[call.name] = per_call.get(call.name, 0.0) + s
        slowest = max(per_call, key=per_call.__getitem__)
        out.append(PageTiming(page, len(calls), sum(runs[0]),
                              statistics.median(sum(r) for r in runs),
                              statistics.median(cached[page]), slowest, per_call[slowest],
                              per_call))
    return out


def time_headline(db: str, view: View, repeats: int = 3) -> tuple[float, dict[str, Any]]:
    """Median uncached time of ``metrics.headline`` on the view's window, and its result."""
    call = Call(metrics.headline, (view.since, view.until_excl, view.as_of))
    times, result = [], {}
    for _ in range(max(1, repeats)):
        t = time.perf_counter()
        result = call.uncached(db, view.territory)
        times.append(time.perf_counter() - t)
    return statistics.median(times), result
