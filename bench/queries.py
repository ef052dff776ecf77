"""Page queries: what each dashboard page runs, timed uncached and through the app's cache.

:func:`plan` records, for every page of ``app.py``, the query calls its script makes on the
app's default view (the 28 days up to the data's last day, no account filter, as-of pinned
to the data's end): the pages run once in-process with Streamlit's AppTest while
``territoires.ui.data.q`` (and ``data.review``, the Revue page's weekly review) records
each call. The calls are then replayed and timed:

* uncached: ``territoires.ui.data.q_uncached`` (a fresh cursor on the published snapshot
  per call, exactly what a cache miss runs), ``repeats`` passes, pages in turn;
* cached: ``territoires.ui.data.q`` (``st.cache_data`` keyed by the snapshot's identity),
  after one filling pass — what a rerun, another session or a shared link costs.

Query time only: building charts and tables is not counted (``python -m
territoires.ui.timing`` measures a page's whole server time).
"""

from __future__ import annotations

import logging
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from model import Territory
from territoires.report import build_review
from territoires.ui.state import View, view_from_params
from warehouse import metrics, page_collection
from warehouse.territory import load_territories

ROOT = Path(__file__).resolve().parents[1]


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
        if self.fn is build_review:
            return data.review(db, terr, *self.args)
        return data.q(self.fn, db, terr if self.territory else None, *self.args, **self.kwargs)


def default_view(db: str, as_of: datetime, territory: str | None = None) -> View:
    """The app's default view (``territoires.ui.state``) with as-of pinned to ``as_of``
    (and the territory ``territory`` chosen, in a warehouse of several)."""
    _quiet_streamlit()  # before the import: Streamlit warns at import already
    from territoires.ui.data import q_uncached

    terrs = q_uncached(load_territories, db, None)
    last = dict(q_uncached(page_collection.data_as_of, db, None))
    return view_from_params(view_params(as_of, territory), db, terrs, last, datetime.now())


def view_params(as_of: datetime, territory: str | None = None) -> dict[str, str]:
    """URL parameters of the benchmark's view: the default one, as-of pinned (and the
    territory ``territory``, when given)."""
    params = {"asof": as_of.replace(microsecond=0).isoformat() + "Z"}
    if territory is not None:
        params["territory"] = territory
    return params


def page_scripts() -> dict[str, str]:
    """Page name → its script (``territoires.ui.shell.PAGES``), the app's own list."""
    from territoires.ui.shell import PAGES

    return {Path(path).stem: path for path, *_ in PAGES}


def plan(db: str, as_of: datetime, territory: str | None = None,
         failed: dict[str, str] | None = None) -> dict[str, list[Call]]:
    """Page → the query calls its script makes, recorded by running the real page.

    Each page of ``app.py`` runs once in-process with Streamlit's AppTest on ``db`` (the
    view pinned at ``as_of``) while ``territoires.ui.data.q`` — the one door from a page
    to the warehouse — records every ``(function, arguments)`` it is asked for, then
    answers as usual. The plan therefore follows the pages as they change, including the
    calls that depend on data (the posts behind each spike found). Every page also runs
    the shell's queries (``data_as_of`` recorded, the territory list added here).

    ``territory``: the view's territory (URL parameter), in a warehouse of several.
    ``failed``: when given, a page that raises is left out and its error noted there
    (page → message) instead of stopping the run.
    """
    _quiet_streamlit()
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from territoires.ui import data

    os.environ["TERRITOIRES_DB"] = str(Path(db).resolve())
    db = os.environ["TERRITOIRES_DB"]
    params = view_params(as_of, territory)
    recorded: list[Call] = []
    real_q, real_review = data.q, data.review

    def recording_q(fn: Callable[..., Any], db_: str, territory: Territory | None,
                    *args: Any, **kwargs: Any) -> Any:
        recorded.append(Call(fn, tuple(args), dict(kwargs), territory=territory is not None))
        return real_q(fn, db_, territory, *args, **kwargs)

    def recording_review(db_: str, territory: Territory, *args: Any) -> Any:
        recorded.append(Call(build_review, tuple(args)))
        return real_review(db_, territory, *args)

    def app() -> AppTest:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=3600)
        for k, v in params.items():
            at.query_params[k] = v
        return at

    pages: dict[str, list[Call]] = {}
    data.q = recording_q  # type: ignore[assignment]
    data.review = recording_review  # type: ignore[assignment]
    try:
        for name, path in page_scripts().items():
            at = app()
            at.run()
            at.switch_page(path)
            recorded.clear()
            st.cache_data.clear()
            at.run()
            if at.exception:
                if failed is None:
                    raise RuntimeError(f"page {name}: {at.exception[0].message}")
                failed[name] = at.exception[0].message
                continue
            pages[name] = [*recorded, Call(load_territories, territory=False)]
    finally:
        data.q = real_q  # type: ignore[assignment]
        data.review = real_review  # type: ignore[assignment]
    return pages


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


# Streamlit's warnings for code run outside ``streamlit run`` (the pages are timed in-process):
# logger -> the message it repeats, hundreds of times a run
_BARE_MODE_WARNINGS = {
    "streamlit.runtime.caching.cache_data_api": "No runtime found",
    "streamlit.runtime.scriptrunner_utils.script_run_context": "missing ScriptRunContext",
    "streamlit.runtime.state.session_state_proxy": "Session state does not function",
}


def _quiet_streamlit() -> None:
    """Drop Streamlit's bare-mode warnings (``st.cache_data`` outside a server uses memory
    storage; the timed calls run without a script context). The filters go on before
    Streamlit is imported: it warns at import already."""
    for name, message in _BARE_MODE_WARNINGS.items():
        logger = logging.getLogger(name)
        if not any(isinstance(f, _Drop) for f in logger.filters):
            logger.addFilter(_Drop(message))
    import territoires.ui.data  # noqa: F401


class _Drop(logging.Filter):
    """Drops the records whose message holds ``message``."""

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message

    def filter(self, record: logging.LogRecord) -> bool:
        return self.message not in record.getMessage()


def time_pages(db: str, view: View, repeats: int = 3, territory: str | None = None,
               failed: dict[str, str] | None = None) -> list[PageTiming]:
    """Uncached passes over every page (``repeats`` times, pages in turn), then the cached.
    ``territory``, ``failed``: see :func:`plan`."""
    pages = {k: v for k, v in plan(db, view.as_of, territory, failed).items() if v}
    db = os.environ["TERRITOIRES_DB"]
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
