"""The baromètre: territories compared on the service they give (docs/barometre.md).

Each territory's row holds the public keys of its own :func:`warehouse.metrics.headline`
(the same values, computed by the same statement over the set of territories:
:func:`warehouse.metrics.headlines_for`), never the expected-answer family:
triage decisions stay inside each collectivité. Beside them, what makes territories of
different sizes comparable (:mod:`model.compare`): counts per 10,000 inhabitants, the
response rate's 95 % Wilson interval, the "too few to compare" flag, the population
stratum, interpellations per community-management full-time equivalent and week.
Follower counts are never compared.
"""

from __future__ import annotations

import os
import queue
import statistics
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from model import Territory
from model.compare import MIN_INTERPELLATIONS, per_10k, strate, wilson
from warehouse.metrics import PUBLIC_KEYS, RATE_DIGITS, headlines_for
from warehouse.metrics_base import Con, to_utc, window_utc

# counts shown per 10,000 inhabitants: ``<key>_per_10k``
PER_10K = ("interpellations", "relays", "local_relays", "local_tweetos", "posts_total")
PER_10K_DIGITS = 2
PER_FTE_DIGITS = 2
ROW_KEYS = (
    *PUBLIC_KEYS[:1], "name", "insee", "population", "strate", "cm_fte", *PUBLIC_KEYS[1:],
    "response_rate_ci_low", "response_rate_ci_high", "too_few_to_compare",
    *(f"{k}_per_10k" for k in PER_10K if k != "posts_total"), "posts_per_10k",
    "interpellations_per_fte_week",
)  # fmt: skip
WEEK_KEYS = (
    "territory", "week", "complete", "interpellations", "answered", "response_rate",
    "relays", "local_relays", "posts_total",
)


T = TypeVar("T")
R = TypeVar("R")
# at most this many statements at once (one cursor each, each over a share of the
# territories): a statement's planning is single-threaded
MAX_WORKERS = 4
# where ``cur`` reads, and whether that database is read-only
_WHERE_SQL = """
SELECT current_database(), current_schema(), current_setting('TimeZone'),
       (SELECT readonly FROM duckdb_databases() WHERE database_name = current_database())
"""


def _per_10k_key(key: str) -> str:
    return "posts_per_10k" if key == "posts_total" else f"{key}_per_10k"


def row(territory: Territory, h: dict[str, Any], since: date, until: date) -> dict[str, Any]:
    """The baromètre row of ``territory`` from its headline ``h`` (pure arithmetic)."""
    n, answered = h["interpellations"], h["answered"]
    ci = wilson(answered, n)
    out: dict[str, Any] = {k: h[k] for k in PUBLIC_KEYS}
    out.update(
        name=territory.name,
        insee=territory.insee,
        population=territory.population,
        strate=strate(territory.population),
        cm_fte=territory.cm_fte,
        response_rate_ci_low=round(ci[0], RATE_DIGITS) if ci else None,
        response_rate_ci_high=round(ci[1], RATE_DIGITS) if ci else None,
        too_few_to_compare=n < MIN_INTERPELLATIONS,
    )
    for key in PER_10K:
        value = per_10k(h[key], territory.population)
        out[_per_10k_key(key)] = None if value is None else round(value, PER_10K_DIGITS)
    weeks = (until - since).days / 7
    fte = territory.cm_fte
    out["interpellations_per_fte_week"] = (
        round(n / fte / weeks, PER_FTE_DIGITS) if fte and weeks > 0 else None
    )
    return {k: out[k] for k in ROW_KEYS}


def barometre_rows(
    cur: Con, territories: Sequence[Territory], since: date, until: date, as_of: datetime
) -> list[dict[str, Any]]:
    """One row per territory (in the given order), every figure judged at the one ``as_of``."""
    got = _headlines(cur, territories, [(since, until)], as_of)
    return [row(t, got[t.slug][0], since, until) for t in territories]


def _headlines(
    cur: Con, territories: Sequence[Territory], periods: list[tuple[date, date]],
    as_of: datetime,
) -> dict[str, list[dict[str, Any]]]:
    """:func:`headlines_for` of ``territories``, in as many statements (shares of the
    territories) as :func:`_each` runs at once."""
    n = _workers(cur, len(territories))
    # consecutive slugs per share, not every n-th: the facts are stored territory by
    # territory (warehouse/facts.py), so a share's scans skip the row groups of the others
    ordered = sorted(territories, key=lambda t: t.slug)
    k = -(-len(ordered) // n) if ordered else 1
    shares = [ordered[i:i + k] for i in range(0, len(ordered), k)]
    out: dict[str, list[dict[str, Any]]] = {}
    for part in _each(cur, shares,
                      lambda c, ts: headlines_for(c, ts, periods, as_of, public=True)):
        out.update(part)
    return out


def _workers(cur: Con, items: int) -> int:
    """How many statements :func:`_each` runs at once: several only when ``cur`` reads a
    read-only database (a snapshot: nothing uncommitted that another cursor would miss)."""
    workers = min(MAX_WORKERS, os.cpu_count() or 1, items)
    where = cur.execute(_WHERE_SQL).fetchone() if workers > 1 else None
    return workers if where and where[3] else 1


def _each(cur: Con, items: Sequence[T], fn: Callable[[Con, T], R]) -> list[R]:
    """``[fn(cur, x) for x in items]``, several at once when ``cur`` reads a read-only
    database (a snapshot: nothing uncommitted that another cursor would miss), each worker
    on a cursor of its own reading the same catalog in the same time zone (a DuckDB cursor
    runs one statement at a time; a statement releases the GIL)."""
    workers = min(MAX_WORKERS, os.cpu_count() or 1, len(items))
    where = cur.execute(_WHERE_SQL).fetchone() if workers > 1 else None
    if not where or not where[3]:
        return [fn(cur, x) for x in items]
    use = "USE " + ".".join('"' + str(v).replace('"', '""') + '"' for v in where[:2])
    tz = "SET TimeZone = '" + str(where[2]).replace("'", "''") + "'"
    free: queue.SimpleQueue[Con] = queue.SimpleQueue()
    opened = [cur.cursor() for _ in range(workers)]
    try:
        for c in opened:
            c.execute(use)  # the catalog's own names, quoted (USE and SET take no parameter)
            c.execute(tz)
            free.put(c)

        def run(x: T) -> R:
            c = free.get()
            try:
                return fn(c, x)
            finally:
                free.put(c)

        with ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(run, items))
    finally:
        for c in opened:
            c.close()


def weekly(
    cur: Con, territories: Sequence[Territory], since: date, until: date, as_of: datetime
) -> list[dict[str, Any]]:
    """Each territory's weeks (local Monday to Monday, cut to ``[since, until)``): the
    week's public counts; ``complete`` is False for a week cut by ``since``/``until`` or not
    over at ``as_of``. Ordered by territory (as given), then week."""
    return rows_and_weeks(cur, territories, since, until, as_of, whole=False)[1]


def rows_and_weeks(
    cur: Con,
    territories: Sequence[Territory],
    since: date,
    until: date,
    as_of: datetime,
    *,
    whole: bool = True,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """:func:`barometre_rows` and :func:`weekly` at once: one statement over the territories
    (:func:`warehouse.metrics.headlines_for` over the whole period and each of its weeks), so
    a page showing both reads the data once. ``whole=False``: the weeks only."""
    as_of = to_utc(as_of)
    mondays = _weeks(since, until)
    periods = [(max(m, since), min(m + timedelta(days=7), until)) for m in mondays]
    got = _headlines(cur, territories, [(since, until), *periods] if whole else periods, as_of)
    rows, weeks = [], []
    for t in territories:
        hs = list(got[t.slug])
        if whole:
            rows.append(row(t, hs.pop(0), since, until))
        for m, (p0, p1), h in zip(mondays, periods, hs, strict=True):
            full = p0 == m and p1 == m + timedelta(days=7)
            over = window_utc(t, p1, p1)[0] <= as_of
            weeks.append({
                "territory": t.slug, "week": m, "complete": full and over,
                **{k: h[k] for k in WEEK_KEYS[3:]},
            })  # fmt: skip
    return rows, weeks


def _weeks(since: date, until: date) -> list[date]:
    """The Mondays of the weeks that meet ``[since, until)`` (local dates)."""
    monday = since - timedelta(days=since.weekday())
    out = []
    while monday < until:
        out.append(monday)
        monday += timedelta(days=7)
    return out


def strate_medians(
    rows: list[dict[str, Any]], keys: Sequence[str]
) -> dict[str, dict[str, float | None]]:
    """Stratum code -> key -> the median of ``key`` over that stratum's rows (values None
    left out; None when no row has one). Rows without a stratum (no population) are not
    counted."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        if r.get("strate"):
            groups.setdefault(r["strate"], []).append(r)
    out: dict[str, dict[str, float | None]] = {}
    for code, members in groups.items():
        out[code] = {}
        for key in keys:
            values = [r[key] for r in members if r.get(key) is not None
                      and not isinstance(r[key], bool)]
            out[code][key] = float(statistics.median(values)) if values else None
    return out
