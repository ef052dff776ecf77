"""Cached calls to the warehouse's query functions, on the published read-only snapshot.

Every call runs on its own cursor (``warehouse.read.reader_cursor``: one cursor per query,
docs/design.md §4) and is cached by ``st.cache_data`` under the function's name, its arguments and
``snapshot_identity(db)``: a newly published snapshot is a new key, so figures refresh
without a restart, and nothing is recomputed while the snapshot stays the same.

Only functions of :mod:`warehouse.metrics` and of the page query modules
(``warehouse/page_*.py``) can be called, by name, so the cache key is a plain string and a
page cannot run arbitrary code.
"""

from __future__ import annotations

import importlib
import logging
import time
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

import streamlit as st

from model import Territory
from territoires.report import build_review
from warehouse import page_collection
from warehouse.read import reader_cursor, snapshot_identity
from warehouse.territory import load_territories
from warehouse.triage_journal import latest
from warehouse.triage_journal import version as journal_version

log = logging.getLogger("territoires.ui")
_MODULES = (
    "warehouse.metrics", "warehouse.barometre", "warehouse.page_collection",
    "warehouse.page_conversations", "warehouse.page_hashtags", "warehouse.page_relays",
    "warehouse.page_responsiveness", "warehouse.page_spikes", "warehouse.page_trends",
    "warehouse.page_volume",
)


def _resolve(module: str, name: str) -> Callable[..., Any]:
    if module not in _MODULES or name.startswith("_"):
        raise ValueError(f"not a query function: {module}.{name}")
    return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]


def identity(db: str) -> tuple[int, ...]:
    """What the data is now: the snapshot's identity and the triage journal's version (a
    decision shows on the next rerun, without waiting for a new snapshot:
    warehouse/triage.py)."""
    return (*snapshot_identity(db), journal_version(db))


def _identity(db: str, *fns: Callable[..., Any]) -> tuple[int, ...]:
    """The cache key's view of the data: :func:`identity` when one of ``fns`` reads the
    triage, else the snapshot's identity alone."""
    if any(getattr(fn, "reads_triage", False) for fn in fns):
        return identity(db)
    return snapshot_identity(db)


def _source(fn: Callable[..., Any]) -> str:
    """The query module that exports ``fn`` (metric functions live in submodules)."""
    for module in _MODULES:
        if getattr(importlib.import_module(module), fn.__name__, None) is fn:
            return module
    raise ValueError(f"not a query function: {fn!r}")


@st.cache_data(show_spinner=False, max_entries=64, ttl=6 * 3600)
def _territories(db: str, ident: tuple[int, ...]) -> dict[str, Territory]:
    cur = reader_cursor(db)
    try:
        return {t.slug: t for t in load_territories(cur)}
    finally:
        cur.close()


def territories(db: str) -> dict[str, Territory]:
    """Every territory of the warehouse (slug → Territory), as stored by the loaders."""
    return _territories(db, snapshot_identity(db))


@st.cache_data(show_spinner=False, max_entries=64, ttl=6 * 3600)
def _review(db: str, ident: tuple[int, ...], slug: str, since: date, until: date,
            as_of: datetime) -> Any:
    cur = reader_cursor(db)
    try:
        return build_review(cur, _territories(db, ident[:2])[slug], since, until, as_of)
    finally:
        cur.close()


def review(db: str, territory: Territory, since: date, until: date, as_of: datetime) -> Any:
    """The weekly review of ``[since, until)`` (:func:`territoires.report.build_review`, the
    same builder as ``territoires report``), cached like :func:`q` (it reads the triage)."""
    return _review(db, identity(db), territory.slug, since, until, as_of)


# A territory passed as an argument (the baromètre's list of them) is keyed by its slug: the
# key also holds the snapshot's identity, and a changed configuration is a new snapshot.
@st.cache_data(show_spinner=False, max_entries=1024, ttl=6 * 3600,
               hash_funcs={Territory: lambda t: t.slug})
def _call(
    module: str, name: str, db: str, ident: tuple[int, ...], slug: str | None,
    args: tuple[Any, ...], kwargs: tuple[tuple[str, Any], ...],
) -> Any:
    fn = _resolve(module, name)
    cur = reader_cursor(db)
    started = time.perf_counter()
    try:
        if slug is None:
            return fn(cur, *args, **dict(kwargs))
        return fn(cur, _territories(db, ident[:2])[slug], *args, **dict(kwargs))
    finally:
        cur.close()
        log.debug("query %s%s in %.0f ms", name, args, 1000 * (time.perf_counter() - started))


def q(fn: Callable[..., Any], db: str, territory: Territory | None, *args: Any,
      **kwargs: Any) -> Any:
    """``fn(cursor, territory, *args, **kwargs)`` on the snapshot, cached.

    ``territory`` is passed by slug (reloaded from the snapshot inside the cache) so the key
    stays small and a changed configuration is a new snapshot, hence a new key. Pass
    ``None`` for functions that take no territory.
    """
    ident = _identity(db, fn)
    return _call(_source(fn), fn.__name__, db, ident,
                 territory.slug if territory is not None else None,
                 tuple(args), tuple(sorted(kwargs.items())))


@st.cache_data(show_spinner=False, max_entries=1024, ttl=6 * 3600)
def _over(
    module: str, name: str, db: str, ident: tuple[int, ...], slug: str,
    sources: tuple[tuple[str, str, tuple[Any, ...]], ...], args: tuple[Any, ...],
    _fetch: Callable[[], list[Any]],
) -> Any:
    fn = _resolve(module, name)
    frames = _fetch()  # only on a miss: a cached aggregate never loads its source frames
    cur = reader_cursor(db)
    started = time.perf_counter()
    try:
        return fn(cur, _territories(db, ident[:2])[slug], *frames, *args)
    finally:
        cur.close()
        log.debug("aggregate %s in %.0f ms", name, 1000 * (time.perf_counter() - started))


def q_over(fn: Callable[..., Any], db: str, territory: Territory,
           sources: Sequence[tuple[Any, ...]], *args: Any) -> Any:
    """``fn(cursor, territory, *frames, *args)`` where each frame is a cached query function
    result ``source(cursor, territory, *source_args, **source_kwargs)`` (each source is
    ``(source, source_args)`` or ``(source, source_args, source_kwargs)``): several
    aggregates of one page share one metric computation (e.g. the interpellations of the
    period), and each aggregate is cached under the sources' names and arguments (never by
    hashing the frames)."""
    full = [(s[0], tuple(s[1]), dict(s[2]) if len(s) > 2 else {}) for s in sources]
    ident = _identity(db, fn, *(s for s, _, _ in full))
    keys = tuple((_source(s), s.__name__, (*a, *sorted(k.items()))) for s, a, k in full)
    return _over(_source(fn), fn.__name__, db, ident, territory.slug, keys, tuple(args),
                 _fetch=lambda: [q(s, db, territory, *a, **k) for s, a, k in full])


def q_uncached(fn: Callable[..., Any], db: str, territory: Territory | None, *args: Any,
               **kwargs: Any) -> Any:
    """The same call without the cache (for timing the query layer)."""
    cur = reader_cursor(db)
    try:
        if territory is None:
            return fn(cur, *args, **kwargs)
        return fn(cur, territory, *args, **kwargs)
    finally:
        cur.close()


@st.cache_data(show_spinner=False, max_entries=256)
def _latest_decisions(db: str, slugs: tuple[str, ...], version: int
                      ) -> dict[str, datetime | None]:
    return {slug: latest(db, slug) for slug in slugs}


def latest_decisions(db: str, slugs: Sequence[str]) -> dict[str, datetime | None]:
    """When each territory's latest triage decision takes effect (naive UTC; notes aside),
    read from the journal once per journal version."""
    return _latest_decisions(db, tuple(slugs), journal_version(db))


def data_as_of(db: str) -> dict[str, datetime | None]:
    """Last collection instant per territory slug (naive UTC), from the snapshot."""
    return dict(q(page_collection.data_as_of, db, None))
