"""Responsiveness to interpellations, as the pages draw it: per addressed account, per
week, per day and per platform, the weekday × hour grids of arrivals and answers, the
slowest answers and the missed ones, and the audience (interpellations and relays) per week
and platform.

Every aggregate is one statement over the window's interpellations judged at ``as_of``
(``_dq_inter``, :mod:`warehouse.page_base`) with the figures of
:data:`warehouse.interpellations.AGGREGATES`; the functions whose figures change with the
team's triage are marked ``reads_triage`` (the dashboard's cache keys them by the journal).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pandas as pd

from model import Territory
from warehouse.interpellations import EXPECTED_COUNTS, aggregates
from warehouse.metrics_base import Con, compose, with_ctes
from warehouse.page_base import (
    INTER_CTES,
    REL_CTES,
    alone,
    bucket,
    inter_params,
    local,
    on_table,
    periods,
    platforms,
    window_table,
    with_post_details,
)
from warehouse.triage import reads_triage

# the public figures, then the expected-answer family (docs/metrics.md)
_RESP_AGG = aggregates(
    "interpellations", "answered", "pending", "missed", "response_rate",
    "median_response_minutes", "p90_response_minutes", "median_service_response_minutes",
    "p90_service_response_minutes", "expecting_answer", "answered_expecting",
    "response_rate_expecting", "pending_expecting", "missed_expecting",
)
# Each figure of the page as ``(ctes, select)`` over ``_dq_inter`` (page_base.Figure)
_BY_ACCOUNT = ((), compose("SELECT platform, addressed_handle AS handle,", _RESP_AGG,
                           "FROM _dq_inter GROUP BY platform, addressed_handle"))
_TOTAL = ((), compose("SELECT", _RESP_AGG, "FROM _dq_inter"))
_BY_WEEK = ((), compose(
    "SELECT date_trunc('week',", local("created_at"), ")::DATE AS week,", _RESP_AGG,
    "FROM _dq_inter GROUP BY ALL ORDER BY week",
))
_GRID = (
    (compose("ev AS (SELECT 'arrivals' AS what,", local("created_at"), "AS t FROM _dq_inter",
             "UNION ALL SELECT 'answers',", local("answered_at"),
             "FROM _dq_inter WHERE answered_at IS NOT NULL)"),
     """grid AS (
    SELECT w.what, d.weekday, h.hour FROM (VALUES ('arrivals'), ('answers')) w(what),
    range(7) d(weekday), range(24) h(hour)
)"""),
    """SELECT g.what, g.weekday::INTEGER AS weekday, g.hour::INTEGER AS hour, count(ev.t) AS n
FROM grid g LEFT JOIN ev ON ev.what = g.what
     AND isodow(ev.t) - 1 = g.weekday AND hour(ev.t) = g.hour
GROUP BY ALL ORDER BY g.what DESC, weekday, hour
""",
)
# the answered ones slowest in service hours first; the missed ones oldest first
_SLOWEST = ((), """SELECT * FROM _dq_inter WHERE status = 'answered'
ORDER BY service_response_minutes DESC NULLS LAST, response_minutes DESC NULLS LAST,
         created_at, platform, post_id
LIMIT $limit""")
_MISSED = ((), """SELECT * FROM _dq_inter WHERE status = 'missed'
ORDER BY created_at, platform, post_id LIMIT $limit""")


_BY_ACCOUNT_SQL, _TOTAL_SQL, _BY_WEEK_SQL, _GRID_SQL, _SLOWEST_SQL, _MISSED_SQL = (
    alone(INTER_CTES, f) for f in (_BY_ACCOUNT, _TOTAL, _BY_WEEK, _GRID, _SLOWEST, _MISSED))
# overview: the window's interpellations of one account, once those of all were counted
_ONE_ACCOUNT_SQL = """DELETE FROM _dq_inter
WHERE NOT coalesce(lower(addressed_handle) = lower($account::VARCHAR), false)"""
_BY_DAY_SQL = compose(
    with_ctes(*INTER_CTES),
    "SELECT", bucket("day", "created_at"), "AS local_date, status, sum(n)::BIGINT AS n FROM (",
    "SELECT time_bucket(INTERVAL 15 MINUTE, created_at) AS created_at, status, count(*) AS n",
    # per 15 minutes first (see warehouse.page_volume)
    "FROM _dq_inter GROUP BY ALL) GROUP BY ALL",
)


def interpellations_by_day(con: Con, territory: Territory, since: date, until: date,
                           as_of: datetime, platform: str | None = None) -> pd.DataFrame:
    """``local_date, answered, pending, missed``: the window's interpellations per local day
    of creation and status at ``as_of``, every day of ``[since, until)``, zeros included."""
    p = {**inter_params(con, territory, since, until, as_of, platform), "tz": territory.timezone}
    got = con.execute(_BY_DAY_SQL, p).df()
    out = pd.DataFrame({"local_date": periods(since, until, "day")})
    for status in ("answered", "pending", "missed"):
        n = {pd.Timestamp(d).date(): int(c) for d, st_, c in got.itertuples(index=False)
             if st_ == status}
        out[status] = out["local_date"].map(n).fillna(0).astype("int64")
    return out


@reads_triage
def responsiveness_by_account(con: Con, territory: Territory, since: date, until: date,
                              as_of: datetime, platform: str | None = None) -> pd.DataFrame:
    """Per addressed city account: counts, response rate and quantiles (continuous) of the
    interpellations created in ``[since, until)``, judged at ``as_of``, then the
    expected-answer family (after triage); every configured account (of ``platform``, if
    given) has a row."""
    agg = con.execute(_BY_ACCOUNT_SQL,
                      inter_params(con, territory, since, until, as_of, platform)).df()
    return _every_account(territory, platform, agg)


def _every_account(territory: Territory, platform: str | None, agg: pd.DataFrame
                   ) -> pd.DataFrame:
    mine = [a for a in territory.accounts if platform is None or a.platform == platform]
    accounts = pd.DataFrame({"platform": [a.platform for a in mine],
                             "handle": [a.handle for a in mine],
                             "label": [a.label for a in mine]})
    out = accounts.merge(agg, on=["platform", "handle"], how="left")
    for c in ("interpellations", "answered", "pending", "missed", *EXPECTED_COUNTS):
        out[c] = out[c].fillna(0).astype("int64")
    return out


@reads_triage
def responsiveness_total(con: Con, territory: Territory, since: date, until: date,
                         as_of: datetime, platform: str | None = None,
                         account: str | None = None) -> dict[str, Any]:
    """Counts, response rate and quantiles of the window's interpellations, for one
    addressed account or all: the figures of :func:`warehouse.metrics.headline`, the
    expected-answer family included (``response_rate_expecting`` unrounded)."""
    return _one_row(con.execute(
        _TOTAL_SQL, inter_params(con, territory, since, until, as_of, platform, account)))


def _one_row(cur: Con) -> dict[str, Any]:
    names = [d[0] for d in cur.description]
    row = cur.fetchall()[0]
    out = dict(zip(names, row, strict=True))
    for k, v in out.items():
        if isinstance(v, float) and v != v:  # NaN: undefined
            out[k] = None
    return out


@reads_triage
def responsiveness_by_week(con: Con, territory: Territory, since: date, until: date,
                           as_of: datetime, platform: str | None = None,
                           account: str | None = None) -> pd.DataFrame:
    """Per local ISO week (Monday) of creation: counts, response rate and quantiles, and
    the expected-answer family."""
    p = inter_params(con, territory, since, until, as_of, platform, account)
    return con.execute(_BY_WEEK_SQL, {**p, "tz": territory.timezone}).df()


def arrival_answer_grid(con: Con, territory: Territory, since: date, until: date,
                        as_of: datetime, platform: str | None = None,
                        account: str | None = None) -> pd.DataFrame:
    """``what`` (arrivals|answers), ``weekday`` (0 = Monday), ``hour`` (local), ``n``;
    all 7 × 24 cells of both grids, zeros included."""
    p = inter_params(con, territory, since, until, as_of, platform, account)
    return con.execute(_GRID_SQL, {**p, "tz": territory.timezone}).df()


def slowest_answers(con: Con, territory: Territory, since: date, until: date,
                    as_of: datetime, platform: str | None = None, account: str | None = None,
                    limit: int = 20) -> pd.DataFrame:
    """The answered interpellations of the window with the longest service-hours response
    time, with their texts."""
    p = inter_params(con, territory, since, until, as_of, platform, account)
    return with_post_details(con, con.execute(_SLOWEST_SQL, {**p, "limit": limit}).df())


def missed(con: Con, territory: Territory, since: date, until: date, as_of: datetime,
           platform: str | None = None, account: str | None = None,
           limit: int = 100) -> pd.DataFrame:
    """The window's interpellations left unanswered for more than 7 days, oldest first,
    with their texts."""
    p = inter_params(con, territory, since, until, as_of, platform, account)
    return with_post_details(con, con.execute(_MISSED_SQL, {**p, "limit": limit}).df())


@reads_triage
def overview(con: Con, territory: Territory, since: date, until: date, as_of: datetime,
             platform: str | None = None, account: str | None = None) -> dict[str, Any]:
    """What the Réactivité page draws of the window, from one computation of its
    interpellations: ``by_account`` (every account, as :func:`responsiveness_by_account`),
    then for ``account`` (or all) ``total``, ``by_week``, ``grid``, ``slowest`` (20) and
    ``missed`` (100), each equal to its own function's result.

    The window's interpellations are materialized once, as a temporary table of ``con``,
    and each figure reads them: six statements recomputing the window cost 0.15-0.2 s each
    at 10M posts, a figure over the table 0.02-0.05 s (docs/benchmark.md, "2026-12-07,
    one window per page")."""
    p = inter_params(con, territory, since, until, as_of, platform)
    tz = {"tz": territory.timezone}
    with window_table(con, "_dq_inter", INTER_CTES, p):
        out: dict[str, Any] = {"by_account": _every_account(
            territory, platform, con.execute(on_table(_BY_ACCOUNT)).df())}
        if account:
            con.execute(_ONE_ACCOUNT_SQL, {"account": account})
        out["total"] = _one_row(con.execute(on_table(_TOTAL)))
        out["by_week"] = con.execute(on_table(_BY_WEEK), tz).df()
        out["grid"] = con.execute(on_table(_GRID), tz).df()
        for key, figure, limit in (("slowest", _SLOWEST, 20), ("missed", _MISSED, 100)):
            out[key] = with_post_details(
                con, con.execute(on_table(figure), {"limit": limit}).df())
    return out


# -- per platform ---------------------------------------------------------------------------
_SPLIT_SQL = compose(
    with_ctes(*INTER_CTES, *REL_CTES),
    """,
i AS (
    SELECT platform,""",
    aggregates("interpellations", "answered", "response_rate",
               "median_service_response_minutes"),
    """
    FROM _dq_inter GROUP BY platform
), r AS (
    SELECT platform, count(*) AS relays FROM _dq_rel GROUP BY platform
)
SELECT platform, coalesce(i.interpellations, 0) AS interpellations,
       coalesce(i.answered, 0) AS answered, i.response_rate,
       i.median_service_response_minutes, coalesce(r.relays, 0) AS relays
FROM i FULL JOIN r USING (platform)
""",
)
_AUDIENCE_SQL = compose(
    with_ctes(*INTER_CTES, *REL_CTES),
    ", ev AS (SELECT platform, 'interpellations' AS kind, created_at FROM _dq_inter",
    "UNION ALL SELECT platform, 'relays', created_at FROM _dq_rel)",
    "SELECT date_trunc('week',", local("created_at"), ")::DATE AS week, platform,",
    "sum(n) FILTER (WHERE kind = 'interpellations')::BIGINT AS interpellations,",
    "sum(n) FILTER (WHERE kind = 'relays')::BIGINT AS relays FROM (",
    "SELECT time_bucket(INTERVAL 15 MINUTE, created_at) AS created_at, platform, kind,",
    "count(*) AS n FROM ev GROUP BY ALL) GROUP BY ALL",  # per 15 minutes first (page_volume)
)


def platform_split(con: Con, territory: Territory, since: date, until: date, as_of: datetime,
                   platform: str | None = None) -> pd.DataFrame:
    """Per platform: ``interpellations``, ``answered``, ``response_rate``,
    ``median_service_response_minutes`` (the window's interpellations judged at ``as_of``)
    and ``relays``; every platform of the territory has a row. One statement."""
    got = con.execute(_SPLIT_SQL, inter_params(con, territory, since, until, as_of, platform)).df()
    out = pd.DataFrame({"platform": platforms(territory, got["platform"], platform)})
    out = out.merge(got, on="platform", how="left")
    for c in ("interpellations", "answered", "relays"):
        out[c] = out[c].fillna(0).astype("int64")
    return out.astype({"response_rate": "float64",
                       "median_service_response_minutes": "float64"})


def audience_by_week(con: Con, territory: Territory, since: date, until: date,
                     as_of: datetime, platform: str | None = None) -> pd.DataFrame:
    """Interpellations (judged at ``as_of``) and relays per local ISO week (Monday) and
    platform over ``[since, until)``: ``week, platform, interpellations, relays``, zeros
    included. One statement over the metrics' own definitions."""
    p = inter_params(con, territory, since, until, as_of, platform)
    got = con.execute(_AUDIENCE_SQL, {**p, "tz": territory.timezone}).df()
    full = pd.MultiIndex.from_product(
        [periods(since, until, "week"), platforms(territory, got["platform"], platform)],
        names=["week", "platform"])
    if len(got):
        got["week"] = pd.to_datetime(got["week"]).dt.date
        got = got.groupby(["week", "platform"])[["interpellations", "relays"]].sum()
    else:
        got = pd.DataFrame({"interpellations": [], "relays": []},
                           index=pd.MultiIndex.from_tuples([], names=["week", "platform"]))
    return got.reindex(full, fill_value=0).astype("int64").reset_index()
