"""Interpellations, answers, response times in wall-clock and in service hours (docs/metrics.md).

* **Interpellation**: a post landed for the territory, not a repost, whose author is not a
  city account, that replies to a city account (``in_reply_to_user_id`` ∈ C) or, not being
  a reply at all, mentions a city account. The *addressed* account is the one replied to,
  else the first mentioned city account in configuration order.
* **Answered** by the first post ``r`` of any city account with the same conversation id,
  replying to the interpellation's author, and ``p.created_at < r.created_at <= as_of``.
* Unanswered: **pending** if younger than 7 days at ``as_of``, else **missed**.
* **Service-hours** times count only the open minutes of the answering account (of the
  addressed account for a pending age), from the calendar of
  :mod:`warehouse.service_hours` (an equality join on each instant's UTC day).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd

from model import Territory
from warehouse import triage
from warehouse.metrics_base import (
    CITY_CTE,
    PENDING_DAYS,
    Con,
    city_accounts,
    compose,
    territory_params,
    to_utc,
    url_expr,
    window_utc,
    with_ctes,
)
from warehouse.post_lookup import post_details
from warehouse.service_hours import calendar_params

CAL_CTE = """
cal AS (
    SELECT unnest($cal_terr::VARCHAR[]) AS territory,
           unnest($cal_platform::VARCHAR[]) AS platform, unnest($cal_user::VARCHAR[]) AS user_id,
           unnest($cal_day::DATE[]) AS day, unnest($cal_cum::DOUBLE[]) AS cum,
           unnest($cal_ivs::DOUBLE[][][]) AS ivs
)"""
# F(t): the open seconds of account ``acc`` (of the territory's calendar) before instant
# ``t``, for each row of ``pts``
FV_CTE = """
fv AS (
    SELECT x.territory, x.platform, x.id, x.k,
           c.cum + coalesce(list_sum(list_transform(c.ivs, lambda iv: greatest(
               least(date_diff('millisecond', x.t::DATE::TIMESTAMP, x.t) / 1000.0, iv[2]) - iv[1],
               0.0))), 0) AS f
    FROM pts x
    LEFT JOIN cal c ON c.territory = x.territory AND c.platform = x.platform
         AND c.user_id = x.acc AND c.day = x.t::DATE
)"""
# The CTEs that compute interpellation facts (warehouse.facts) from ``city`` and ``tp``: every
# row carries its territory and every join matches it, so the same statement computes the
# facts of one territory (the loader) or of a set at once (Spark's one pass, docs/scale.md).
FACT_CTES = (
    CAL_CTE,
    """
cand AS (
    SELECT p.territory, p.platform, p.id, p.author_id, p.created_at, p.conversation_id,
           p.in_reply_to_user_id, p.reply_to_id
    FROM tp p
    WHERE NOT p.is_repost AND p.author_id IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM city_ids c WHERE c.territory = p.territory
                      AND c.platform = p.platform AND c.id = p.author_id)
)""",
    """
addressed AS (
    SELECT territory, platform, post_id, arg_min(acc_id, via * 1000 + ord) AS acc_id,
           arg_min(handle, via * 1000 + ord) AS handle
    FROM (
        SELECT c.territory, c.platform, c.id AS post_id, k.id AS acc_id, k.handle, k.ord, 0 AS via
        FROM cand c JOIN city_ids k ON k.territory = c.territory AND k.platform = c.platform
             AND k.id = c.in_reply_to_user_id
        UNION ALL
        SELECT c.territory, c.platform, c.id, k.id, k.handle, k.ord, 1
        FROM cand c
        JOIN post_mentions m ON m.platform = c.platform AND m.post_id = c.id
        JOIN city_ids k ON k.territory = c.territory AND k.platform = m.platform
             AND (m.user_id = k.id OR (m.user_id IS NULL AND m.username = lower(k.handle)))
        WHERE c.reply_to_id IS NULL AND c.in_reply_to_user_id IS NULL
    ) GROUP BY territory, platform, post_id
)""",
    """
inter AS (
    SELECT c.*, a.acc_id, a.handle AS addressed_handle
    FROM cand c JOIN addressed a ON a.territory = c.territory AND a.platform = c.platform
         AND a.post_id = c.id
)""",
    # the city's replies among the posts considered (facts: every post of the conversations)
    """
city_posts AS (
    SELECT p.territory, p.platform, p.id, p.author_id, p.created_at, p.conversation_id,
           p.in_reply_to_user_id
    FROM tp p JOIN city_ids k ON k.territory = p.territory AND k.platform = p.platform
         AND k.id = p.author_id
    WHERE p.in_reply_to_user_id IS NOT NULL
)""",
    # the first answer ever: whatever the as_of, an answer counts iff this one is <= as_of
    """
ans AS (
    SELECT i.territory, i.platform, i.id, arg_min(r.id, (r.created_at, r.id)) AS answer_id,
           min(r.created_at) AS answered_at, arg_min(r.author_id, (r.created_at, r.id)) AS answerer
    FROM inter i
    JOIN city_posts r ON r.territory = i.territory AND r.platform = i.platform
         AND r.conversation_id = i.conversation_id
         AND r.in_reply_to_user_id = i.author_id AND r.created_at > i.created_at
    GROUP BY i.territory, i.platform, i.id
)""",
    # the answer time in the answering account's service hours: F(r) - F(p)
    """
pts AS (
    SELECT i.territory, i.platform, i.id, 'p' AS k, a.answerer AS acc, i.created_at AS t
    FROM inter i JOIN ans a ON a.territory = i.territory AND a.platform = i.platform
         AND a.id = i.id
    UNION ALL SELECT territory, platform, id, 'r', answerer, answered_at FROM ans
)""",
    FV_CTE,
    """
svc AS (
    SELECT territory, platform, id,
           (max(f) FILTER (WHERE k = 'r') - max(f) FILTER (WHERE k = 'p')) / 60.0
               AS service_response_minutes
    FROM fv GROUP BY territory, platform, id
)""",
)

# The query side: the territories' facts of the window, judged at as_of (after ``city``).
_INTER_HEAD = """
inter AS (
    SELECT f.territory, f.platform, f.post_id AS id, f.author_id, f.created_at, f.conversation_id,
           f.acc_id, f.addressed_handle, f.answer_id, f.answered_at, f.answerer,
           f.service_response_minutes,"""
_INTER_WHERE = """
    WHERE ($terr::VARCHAR IS NULL OR f.territory = $terr::VARCHAR)
      AND list_contains($w_terr::VARCHAR[], f.territory)
      AND f.created_at >= $t0 AND f.created_at < $t1
      AND ($platform::VARCHAR IS NULL OR f.platform = $platform::VARCHAR)
)"""
_INTER_CTE = compose(
    _INTER_HEAD,
    """
           coalesce(e.expects, true) AS expects_auto, e.rule AS expect_rule
    FROM interpellation_facts f
    -- the instant too: post_expectations lies in time order, so the scan reads only the
    -- row groups of the window (migration 0019)
    LEFT JOIN post_expectations e ON e.platform = f.platform AND e.post_id = f.post_id
         AND e.created_at = f.created_at""",
    _INTER_WHERE,
)
# The public figures only (the baromètre): the automatic judgement "expects an answer" is
# not read, so neither is post_expectations (DuckDB keeps an outer join whose columns no
# aggregate reads: at 10M it was a tenth of a baromètre statement).
_INTER_PUBLIC_CTE = compose(
    _INTER_HEAD,
    """
           NULL::BOOLEAN AS expects_auto, NULL::VARCHAR AS expect_rule
    FROM interpellation_facts f""",
    _INTER_WHERE,
)
_ANS_CTE = """
ans AS (
    SELECT platform, id, answer_id, answered_at, answerer, service_response_minutes
    FROM inter WHERE answered_at <= $as_of::TIMESTAMP
)"""
# each interpellation's status and answer at as_of: what every count and chart needs (read
# straight from ``inter``, so it streams: a second reader would materialise ``inter``)
# ``status`` is the public one (answered, pending, missed: what anyone can recompute from
# public posts); ``state`` adds the triage (handled_elsewhere) and ``expects`` the judgement
# "expects an answer" after triage (warehouse/triage.py)
_JUDGED_CTE = compose(
    """
judged AS (
    SELECT i.territory, i.platform, i.id, i.author_id, i.created_at, i.addressed_handle,
           i.conversation_id,
           CASE WHEN i.answered THEN 'answered'
                WHEN i.created_at > $as_of::TIMESTAMP - to_days($pending_days) THEN 'pending'
                ELSE 'missed' END AS status,
           CASE WHEN i.answered THEN 'answered'
                WHEN tr.decision = 'handled_elsewhere' THEN 'handled_elsewhere'
                WHEN i.created_at > $as_of::TIMESTAMP - to_days($pending_days) THEN 'pending'
                ELSE 'missed' END AS state,
           i.expects_auto, i.expect_rule, tr.decision AS triage_decision,
           tr.decided_at AS triage_at, tr.service AS triage_service,
           """,
    triage.EXPECTS_EXPR,
    " AS expects,",
    triage.SOURCE_EXPR,
    """ AS expects_source,
           CASE WHEN i.answered THEN i.answer_id END AS answer_id,
           CASE WHEN i.answered THEN i.answered_at END AS answered_at,
           k.handle AS answered_by_handle,
           CASE WHEN i.answered
                THEN date_diff('millisecond', i.created_at, i.answered_at) / 60000.0
           END AS response_minutes,
           CASE WHEN i.answered THEN i.service_response_minutes END AS service_response_minutes
    -- answered: the first answer came by as_of (the condition of ``ans``)
    FROM (SELECT *, coalesce(answered_at <= $as_of::TIMESTAMP, false) AS answered FROM inter) i
    LEFT JOIN city_ids k ON k.territory = i.territory AND k.platform = i.platform
         AND k.id = i.answerer AND i.answered
    LEFT JOIN tri tr ON tr.territory = i.territory AND tr.platform = i.platform
         AND tr.post_id = i.id
)""",
)
# Brief: the judged rows only (no names, texts or service-hours ages, so no calendar): the
# source of counts and charts, aggregated where the rows are (warehouse.page_*).
BRIEF_CTES = (_INTER_CTE, triage.TRIAGE_CTE, _JUDGED_CTE)
# the same for the public figures only (no ``expects``: the baromètre)
BRIEF_PUBLIC_CTES = (_INTER_PUBLIC_CTE, triage.TRIAGE_CTE, _JUDGED_CTE)
CTES = (
    CAL_CTE,
    _INTER_CTE,
    _ANS_CTE,
    triage.TRIAGE_CTE,
    _JUDGED_CTE,
    # an unanswered one's age in the addressed account's service hours: F(as_of) - F(p)
    """
pts AS (
    SELECT i.territory, i.platform, i.id, 'a0' AS k, i.acc_id AS acc, i.created_at AS t
    FROM inter i ANTI JOIN ans a ON a.platform = i.platform AND a.id = i.id
    UNION ALL SELECT i.territory, i.platform, i.id, 'a1', i.acc_id, $as_of::TIMESTAMP
    FROM inter i ANTI JOIN ans a ON a.platform = i.platform AND a.id = i.id
)""",
    FV_CTE,
    """
svc AS (
    SELECT platform, id,
           greatest(max(f) FILTER (WHERE k = 'a1') - max(f) FILTER (WHERE k = 'a0'), 0) / 60.0
               AS service_age_minutes
    FROM fv GROUP BY platform, id
)""",
    """
result AS (
    SELECT j.platform, j.id AS post_id, j.author_id, j.created_at, j.addressed_handle,
           j.conversation_id, j.status, j.answer_id, j.answered_at, j.answered_by_handle,
           j.response_minutes, j.service_response_minutes, j.state, j.expects,
           j.expects_source, j.expects_auto, j.expect_rule, j.triage_decision, j.triage_at,
           j.triage_service,
           CASE WHEN j.answer_id IS NULL
                THEN greatest(date_diff('millisecond', j.created_at, $as_of::TIMESTAMP), 0)
                     / 60000.0
           END AS age_minutes,
           s.service_age_minutes
    FROM judged j
    LEFT JOIN svc s ON s.platform = j.platform AND s.id = j.id
)""",
)
_WITH = with_ctes(CITY_CTE, *CTES)

# names, links and texts are read last, for the listed rows only (the shared CTEs stay
# narrow; the queue reads them for its 200 rows, through post_lookup.post_details)
COLUMNS = compose(
    "r.platform, r.post_id, r.author_id, u.username AS author_username, u.name AS author_name, "
    "r.created_at, tx.text, r.addressed_handle, r.conversation_id, r.status, r.answer_id, "
    "r.answered_at, r.answered_by_handle, r.response_minutes, r.service_response_minutes, ",
    url_expr("r", "u", id_column="post_id"),
    " AS url, r.state, r.expects, r.expects_source, r.expects_auto, r.expect_rule, "
    "r.triage_decision, r.triage_at, r.triage_service",
)
# every listed post was created in [t0, t1) (it is in tp) at ``r.created_at``: the bound
# lets the scan of posts skip every row group outside the rows' instants (docs/design.md §8)
_DETAILS = (
    " LEFT JOIN accounts u ON u.platform = r.platform AND u.id = r.author_id"
    " LEFT JOIN posts tx ON tx.platform = r.platform AND tx.id = r.post_id"
    " AND tx.created_at = r.created_at AND tx.created_at >= $t0 AND tx.created_at < $t1"
)
_FROM = "FROM result r" + _DETAILS
# the names of COLUMNS, in order: the queue's rows take them, details added afterwards
COLUMN_NAMES = (
    "platform", "post_id", "author_id", "author_username", "author_name", "created_at", "text",
    "addressed_handle", "conversation_id", "status", "answer_id", "answered_at",
    "answered_by_handle", "response_minutes", "service_response_minutes", "url", "state",
    "expects", "expects_source", "expects_auto", "expect_rule", "triage_decision", "triage_at",
    "triage_service",
)
_ORDER = "ORDER BY r.created_at, r.platform, r.post_id"
_LIST_SQL = compose(_WITH, "SELECT", COLUMNS, _FROM, _ORDER)
# the same rows, few columns and no text (for counts and charts)
BRIEF_COLUMNS = (
    "r.platform, r.post_id, r.author_id, r.created_at, r.addressed_handle, r.status, "
    "r.answered_at, r.answered_by_handle, r.response_minutes, r.service_response_minutes, "
    "r.state, r.expects"
)
# ``$account`` (a handle, any case, or NULL): the rows addressed to that city account only
BRIEF_SELECT = compose(
    "SELECT", BRIEF_COLUMNS,
    """FROM (SELECT j.*, j.id AS post_id FROM judged j) r
WHERE $account::VARCHAR IS NULL OR lower(r.addressed_handle) = lower($account::VARCHAR)""",
)
_BRIEF_SQL = compose(with_ctes(CITY_CTE, *BRIEF_CTES), BRIEF_SELECT, _ORDER)
# the oldest pending first, without names and texts: :func:`pending_queue` adds them to
# its 200 rows only (warehouse/post_lookup.py)
_QUEUE_SQL = compose(
    _WITH,
    "SELECT r.* FROM result r WHERE r.status = 'pending'",
    _ORDER,
    "LIMIT $limit",
)
# The figures over judged interpellations (rows of ``judged`` or :data:`BRIEF_SELECT`), each
# defined once here for the headline (warehouse.metrics) and the pages (warehouse.page_*):
# the public ones (``status``: never change with triage), then the expected-answer family
# (``expects``, ``state``: after the team's triage at as_of; docs/metrics.md). An
# interpellation is a row with a status: ``count(status)`` counts none for the empty side of
# an outer join.
AGGREGATES = {
    "interpellations": "count(status)",
    "answered": "count(*) FILTER (WHERE status = 'answered')",
    "pending": "count(*) FILTER (WHERE status = 'pending')",
    "missed": "count(*) FILTER (WHERE status = 'missed')",
    "response_rate": "count(*) FILTER (WHERE status = 'answered') / count(status)",
    "median_response_minutes": "quantile_cont(response_minutes, 0.5)",
    "p90_response_minutes": "quantile_cont(response_minutes, 0.9)",
    "median_service_response_minutes": "quantile_cont(service_response_minutes, 0.5)",
    "p90_service_response_minutes": "quantile_cont(service_response_minutes, 0.9)",
    "expecting_answer": "count(*) FILTER (WHERE expects)",
    "answered_expecting":
        "count(*) FILTER (WHERE expects AND state IN ('answered', 'handled_elsewhere'))",
    "response_rate_expecting":
        "count(*) FILTER (WHERE expects AND state IN ('answered', 'handled_elsewhere'))"
        " / nullif(count(*) FILTER (WHERE expects), 0)",
    "pending_expecting": "count(*) FILTER (WHERE expects AND state = 'pending')",
    "missed_expecting": "count(*) FILTER (WHERE expects AND state = 'missed')",
}

# the counts of the expected-answer family (its rate is computed from them)
EXPECTED_COUNTS = ("expecting_answer", "answered_expecting", "pending_expecting",
                   "missed_expecting")


def aggregates(*names: str) -> str:
    """``expression AS name, …``: the SQL select list of the given :data:`AGGREGATES`
    (constant text, composed once at import by the modules that use it)."""
    return ",\n".join(f"{AGGREGATES[name]} AS {name}" for name in names)


def brief_params(
    con: Con,
    territory: Territory,
    t0: datetime,
    t1: datetime,
    as_of: datetime,
    platform: str | None = None,
) -> dict[str, Any]:
    """Bound parameters of :data:`BRIEF_CTES` (no calendar: the brief rows carry no
    service-hours age; the triage decisions recorded since the snapshot, from ``con``'s
    journal); :data:`BRIEF_SELECT` also takes ``account``."""
    return brief_params_for(con, [(territory, t0, t1)], as_of, platform)


def brief_params_for(
    con: Con,
    windows: Sequence[tuple[Territory, datetime, datetime]],
    as_of: datetime,
    platform: str | None = None,
) -> dict[str, Any]:
    """:func:`brief_params` of a statement over the territories of ``windows`` (each with
    its window ``[t0, t1)``: metrics_base.territory_params)."""
    values = territory_params(windows, platform)
    values.update(as_of=to_utc(as_of), pending_days=PENDING_DAYS)
    values.update(triage.overlay_params(con, [w[0] for w in windows]))
    return values


def params(
    con: Con,
    territory: Territory,
    t0: datetime,
    t1: datetime,
    as_of: datetime,
    platform: str | None = None,
) -> dict[str, Any]:
    """Bound parameters of the interpellation queries: :func:`brief_params` and the
    service-hours calendar of the span from the window to ``as_of``."""
    values = brief_params(con, territory, t0, t1, as_of, platform)
    lo, hi = min(to_utc(t0), values["as_of"]), max(to_utc(t1), values["as_of"])
    values.update(calendar_params(territory, city_accounts(con, territory), lo, hi))
    return values


@triage.reads_triage
def interpellations(
    con: Con,
    territory: Territory,
    since: date,
    until: date,
    as_of: datetime,
    *,
    platform: str | None = None,
    brief: bool = False,
) -> pd.DataFrame:
    """One row per interpellation created in ``[since, until)``, judged at ``as_of``.

    ``platform`` ("x", "bluesky", "mastodon") keeps that platform's posts only. ``brief``
    returns only :data:`BRIEF_COLUMNS` (no text, no names: for counts and charts, several
    times faster on a large window).
    """
    t0, t1 = window_utc(territory, since, until)
    if brief:
        values = brief_params(con, territory, t0, t1, as_of, platform)
        return con.execute(_BRIEF_SQL, {**values, "account": None}).df()
    return con.execute(_LIST_SQL, params(con, territory, t0, t1, as_of, platform)).df()


@triage.reads_triage
def pending_queue(
    con: Con,
    territory: Territory,
    as_of: datetime,
    limit: int = 200,
    *,
    platform: str | None = None,
) -> pd.DataFrame:
    """Unanswered interpellations younger than 7 days at ``as_of``, oldest first.

    Same columns as :func:`interpellations` plus ``age_minutes`` and ``service_age_minutes``
    (the age counted in the addressed account's service hours).
    """
    as_of = to_utc(as_of)
    t0 = as_of - timedelta(days=PENDING_DAYS)
    t1 = as_of + timedelta(microseconds=1)
    values = params(con, territory, t0, t1, as_of, platform)
    values["limit"] = int(limit)
    rows = post_details(con, con.execute(_QUEUE_SQL, values).df())
    return rows[[*COLUMN_NAMES, "age_minutes", "service_age_minutes"]]
