"""The metrics of docs/metrics.md, as query functions (the contract pages, reports and the CLI use).

Every function takes a DuckDB connection or cursor, a :class:`~model.Territory`
and explicit time arguments; none reads the clock. ``since`` and ``until`` are dates read in
the territory's time zone (``[since, until)``); ``as_of`` is an aware datetime or a naive
one meaning UTC. Instants returned are naive UTC. The SQL lives in the modules re-exported
here: :mod:`warehouse.interpellations`, :mod:`warehouse.relays`, :mod:`warehouse.activity`;
service hours in :mod:`warehouse.service_hours`. User documentation: ``docs/metrics.md``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from model import Territory
from warehouse import activity as _activity
from warehouse import interpellations as _interpellations
from warehouse import relays as _relays
from warehouse.activity import conversations, hashtag_activity
from warehouse.interpellations import interpellations, pending_queue
from warehouse.metrics_base import (
    CITY_CTE,
    PENDING_DAYS,
    PERIODS_CTE,
    TP_CTE,
    Con,
    compose,
    locality_params,
    period_params,
    to_utc,
    window_utc,
    with_ctes,
)
from warehouse.relays import local_accounts, local_tweetos, potential_reach, relays
from warehouse.service_hours import service_minutes
from warehouse.triage import reads_triage

__all__ = [
    "HEADLINE_KEYS",
    "PENDING_DAYS",
    "conversations",
    "default_as_of",
    "has_territory",
    "hashtag_activity",
    "headline",
    "headlines",
    "interpellations",
    "iso_instant",
    "local_accounts",
    "local_tweetos",
    "pending_queue",
    "potential_reach",
    "relays",
    "service_minutes",
    "window_utc",
]

# the expected-answer family (after triage): beside the public figures, never instead
EXPECTED_KEYS = (
    "expecting_answer", "answered_expecting", "response_rate_expecting", "pending_expecting",
    "missed_expecting",
)
# the keys of docs/metrics.md, "The `territoires metrics` command", in the order people read them
HEADLINE_KEYS = (
    "territory", "since", "until", "as_of",
    "interpellations", "answered", "response_rate", "pending", "missed",
    "median_response_minutes", "p90_response_minutes", "median_service_response_minutes",
    "relays", "local_relays", "local_tweetos", "potential_reach",
    "hashtag_posts", "posts_total",
    *EXPECTED_KEYS,
)  # fmt: skip
# the public ones: what anyone can recompute from public posts (the baromètre compares these)
PUBLIC_KEYS = tuple(k for k in HEADLINE_KEYS if k not in EXPECTED_KEYS)
# One statement for every headline figure of several periods of several territories (``k``:
# the period's index, ``[p0, p1)`` its bounds; periods may overlap): each territory's window
# [t0, t1) spans its periods, its facts and posts are read once and shared by the
# interpellation, relay and hashtag parts. The statement over ``n`` territories differs only
# by the locality patterns it binds (metrics_base.local_predicate).
@functools.cache
def headline_sql(n: int, *, public: bool = False) -> str:
    """The headline statement over ``n`` territories (constant text for each ``n``);
    ``public``: without the expected-answer family (the baromètre's figures)."""
    if public:
        return _PUBLIC_HEAD + _relays_ctes(n) + _PUBLIC_TAIL
    return _HEADLINE_HEAD + _relays_ctes(n) + _HEADLINE_TAIL


def _relays_ctes(n: int) -> str:
    return ",\n".join(c.strip() for c in _relays.ctes(n)) + ",\n"


def _head(brief_ctes: Sequence[str]) -> str:
    return with_ctes(CITY_CTE, TP_CTE, *brief_ctes).rstrip() + ",\n"


def _tail(*expected_counts: str) -> str:
    return compose(
        _TAIL_START,
        _interpellations.aggregates(
            "interpellations", "answered", "pending", "missed", "median_response_minutes",
            "p90_response_minutes", "median_service_response_minutes", *expected_counts),
        _TAIL_END,
    )


_TAIL_START = compose(
    ",\n".join(c.strip() for c in (_activity.TAGGED_CTE, PERIODS_CTE, *_relays.SUMMARY_CTES)),
    """,
i AS (
    -- the judged columns unqualified: ``periods`` has none of those names
    SELECT pr.territory, pr.k,""",
)
_TAIL_END = """
    FROM periods pr LEFT JOIN judged r ON r.territory = pr.territory
         AND r.created_at >= pr.p0 AND r.created_at < pr.p1
    GROUP BY pr.territory, pr.k
),
-- posts and hashtag posts counted per 15-minute UTC bucket first: a period's bounds are
-- local midnights and a time zone offset is a multiple of 15 minutes, so no bucket
-- straddles a bound, and the range join runs on thousands of buckets, not millions of posts
act AS (
    SELECT pr.territory, pr.k, coalesce(sum(b.n), 0) AS posts_total
    FROM periods pr
    LEFT JOIN (SELECT territory, time_bucket(INTERVAL 15 MINUTE, created_at) AS bucket,
                      count(*) AS n
               FROM tp GROUP BY territory, bucket) b
           ON b.territory = pr.territory AND b.bucket >= pr.p0 AND b.bucket < pr.p1
    GROUP BY pr.territory, pr.k
),
tg AS (
    SELECT pr.territory, pr.k, coalesce(sum(b.n), 0) AS hashtag_posts
    FROM periods pr
    LEFT JOIN (SELECT territory, time_bucket(INTERVAL 15 MINUTE, created_at) AS bucket,
                      count(*) AS n
               FROM tagged WHERE first_tag GROUP BY territory, bucket) b
           ON b.territory = pr.territory AND b.bucket >= pr.p0 AND b.bucket < pr.p1
    GROUP BY pr.territory, pr.k
)
SELECT i.*, rs.relays, rs.local_relays, rs.local_tweetos, rs.potential_reach,
       act.posts_total, tg.hashtag_posts
FROM i JOIN relay_summary rs USING (territory, k) JOIN act USING (territory, k)
JOIN tg USING (territory, k)
ORDER BY territory, k
"""
_HEADLINE_HEAD = _head(_interpellations.BRIEF_CTES)
_HEADLINE_TAIL = _tail(*_interpellations.EXPECTED_COUNTS)
_PUBLIC_HEAD = _head(_interpellations.BRIEF_PUBLIC_CTES)
_PUBLIC_TAIL = _tail()
# over one territory (the statement warehouse/spark_sql.py translates)
_HEADLINE_SQL = headline_sql(1)
MINUTES_DIGITS = 2  # minutes are rounded to 2 decimals (0.6 s), so output is stable
RATE_DIGITS = 4  # response_rate is a fraction between 0 and 1
_COUNTS = (
    "relays", "local_relays", "local_tweetos", "potential_reach", "hashtag_posts", "posts_total"
)


def iso_instant(value: datetime) -> str:
    """A naive-UTC (or aware) instant as ``YYYY-MM-DDTHH:MM:SSZ`` (microseconds kept if any)."""
    return to_utc(value).isoformat() + "Z"


def default_as_of(territory: Territory, until: date, now: datetime) -> datetime:
    """``now``, but never later than 7 days after the window's end (naive UTC).

    Once a week has passed after a period, its figures are final: every interpellation is
    either answered or missed, and the same command prints the same output forever.
    """
    end = window_utc(territory, until, until)[0]
    return min(to_utc(now), end + timedelta(days=PENDING_DAYS)).replace(microsecond=0)


def has_territory(con: Con, slug: str) -> bool:
    """Whether the warehouse holds the territory ``slug`` (saved by import, collect, demo)."""
    row = con.execute("SELECT count(*) FROM territories WHERE slug = $slug",
                      {"slug": slug}).fetchone()
    return bool(row and row[0])


def _minutes(value: Any) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return round(float(value), MINUTES_DIGITS)


def _expected(got: dict[str, Any]) -> dict[str, Any]:
    """The expected-answer family of one period (counts, and the rate of the expected)."""
    n, answered = int(got["expecting_answer"]), int(got["answered_expecting"])
    return {
        "expecting_answer": n,
        "answered_expecting": answered,
        "response_rate_expecting": round(answered / n, RATE_DIGITS) if n else None,
        "pending_expecting": int(got["pending_expecting"]),
        "missed_expecting": int(got["missed_expecting"]),
    }


@reads_triage
def headline(
    con: Con,
    territory: Territory,
    since: date,
    until: date,
    as_of: datetime,
    *,
    platform: str | None = None,
) -> dict[str, Any]:
    """The keys of ``territoires metrics`` (docs/metrics.md) for ``[since, until)`` judged at
    ``as_of``, JSON-ready.

    Counts are ints; times are minutes (floats, 2 decimals); ``response_rate`` is the
    fraction answered (4 decimals); ``None`` where undefined (no interpellation, no answer).
    ``platform`` ("x", "bluesky", "mastodon") counts that platform's posts only (an
    interpellation and its answer are always on the same platform); ``None``: all of them.
    """
    return headlines(con, territory, [(since, until)], as_of, platform=platform)[0]


@reads_triage
def headlines(
    con: Con,
    territory: Territory,
    periods: Sequence[tuple[date, date]],
    as_of: datetime,
    *,
    platform: str | None = None,
) -> list[dict[str, Any]]:
    """:func:`headline` for each ``(since, until)`` of ``periods`` (all judged at ``as_of``),
    in one statement: a page comparing a period with the ones before it reads the data once.
    """
    return headlines_for(con, [territory], periods, as_of, platform=platform)[territory.slug]


@reads_triage
def headlines_for(
    con: Con,
    territories: Sequence[Territory],
    periods: Sequence[tuple[date, date]],
    as_of: datetime,
    *,
    platform: str | None = None,
    public: bool = False,
) -> dict[str, list[dict[str, Any]]]:
    """:func:`headlines` of each territory (slug -> its list), in one statement: the same
    statement as a single territory's, over the set (the baromètre). ``public``: without the
    expected-answer family (:data:`PUBLIC_KEYS` only), which the baromètre never shows."""
    terrs = list({t.slug: t for t in territories}.values())
    if not periods or not terrs:
        return {t.slug: [] for t in terrs}
    as_of = to_utc(as_of)
    bounds = {t.slug: [window_utc(t, since, until) for since, until in periods] for t in terrs}
    windows = [(t, min(b[0] for b in bounds[t.slug]), max(b[1] for b in bounds[t.slug]))
               for t in terrs]
    values = _interpellations.brief_params_for(con, windows, as_of, platform)
    values.update(locality_params(terrs))
    values.update(period_params(bounds))
    cur = con.execute(headline_sql(len(terrs), public=public), values)
    names = [d[0] for d in cur.description]
    rows: dict[str, list[dict[str, Any]]] = {t.slug: [] for t in terrs}
    for row in cur.fetchall():
        got = dict(zip(names, row, strict=True))
        rows[got["territory"]].append(got)
    return {t.slug: [_headline_dict(t, since, until, as_of, got, public)
                     for (since, until), got in zip(periods, rows[t.slug], strict=True)]
            for t in terrs}


def _headline_dict(
    territory: Territory, since: date, until: date, as_of: datetime, got: dict[str, Any],
    public: bool = False,
) -> dict[str, Any]:
    n, answered = int(got["interpellations"]), int(got["answered"])
    out: dict[str, Any] = {
        "territory": territory.slug,
        "since": since.isoformat(),
        "until": until.isoformat(),
        "as_of": iso_instant(as_of.replace(tzinfo=UTC)),
        "interpellations": n,
        "answered": answered,
        "response_rate": round(answered / n, RATE_DIGITS) if n else None,
        "pending": int(got["pending"]),
        "missed": int(got["missed"]),
        "median_response_minutes": _minutes(got["median_response_minutes"]),
        "p90_response_minutes": _minutes(got["p90_response_minutes"]),
        "median_service_response_minutes": _minutes(got["median_service_response_minutes"]),
        **{k: int(got[k] or 0) for k in _COUNTS},
    }
    if public:
        return {k: out[k] for k in PUBLIC_KEYS}
    out.update(_expected(got))
    return {k: out[k] for k in HEADLINE_KEYS}
