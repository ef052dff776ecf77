"""Page-specific aggregates of the dashboard that are not headline metrics.

Volume per day by kind, weekday × hour grids, per-account and per-week responsiveness,
threads, search, spikes, hashtag neighbours, collection freshness. Every function takes a
connection (a cursor on the read-only snapshot in the dashboard) and explicit time
arguments, never the clock, and returns only what a page draws.

Definitions are never re-stated here: interpellations, answers and relays come from the
metric modules' own CTEs (:mod:`warehouse.interpellations`, :mod:`warehouse.relays`,
:mod:`warehouse.activity`), composed into each aggregate's statement, so a page's figures
are computed where the rows are and only the result leaves DuckDB (at 10M posts a 4-week
window holds half a million interpellations); the territory's posts and city accounts come
from the shared SQL fragments of :mod:`warehouse.metrics_base`. All values are bound
parameters; the SQL text is constant.

``platform`` (``x``, ``bluesky``, ``mastodon`` or ``None`` for all) restricts a query to
one platform exactly as the metric functions' own ``platform`` keyword does: the shared
fragments (territory posts, city accounts) read it from :func:`base_params`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from statistics import median
from typing import Any

import pandas as pd

from model import Territory
from warehouse import interpellations, metrics, relays
from warehouse.activity import TAGGED_CTE, top_conversations
from warehouse.activity import TAGS_CTE as _TAGS_CTE
from warehouse.metrics_base import (
    CITY_CTE,
    TP_CTE,
    Con,
    base_params,
    compose,
    url_expr,
    window_utc,
    with_ctes,
)
from warehouse.triage import reads_triage

SPIKE_FACTOR = 3.0  # a day is a spike at 3× its usual level (median of the previous 28 days)
SPIKE_MIN_POSTS = 10  # ... and at least this many posts
SPIKE_BASELINE_DAYS = 28

_LOCAL_TS = "timezone($tz, timezone('UTC', {col}))"  # naive UTC → naive local time


def _local(col: str) -> str:
    return _LOCAL_TS.replace("{col}", col)


def _pf(platform: str | None) -> dict[str, str]:
    """The ``platform`` keyword for a metric function (omitted when every platform)."""
    return {"platform": platform} if platform else {}


def _params(territory: Territory, since: date, until: date, platform: str | None = None
            ) -> dict[str, Any]:
    """Window, city accounts, tracked hashtags and time zone, as bound parameters."""
    p = base_params(territory, *window_utc(territory, since, until), platform=platform)
    p["tags"] = [t.lstrip("#").lower() for t in territory.hashtags]
    p["tag_labels"] = list(territory.hashtags)
    p["tz"] = territory.timezone
    return p


@contextmanager
def _frame(con: Con, name: str, df: pd.DataFrame) -> Iterator[None]:
    """A metric function's result, registered on the cursor for one aggregate query."""
    con.register(name, df)
    try:
        yield
    finally:
        con.unregister(name)


# The window's interpellations judged at as_of, brief, as the CTE ``_dq_inter``: every
# responsiveness aggregate is one statement over them, so no row leaves DuckDB (at 10M posts
# a 4-week window holds half a million interpellations).
_INTER_CTES = (CITY_CTE, *interpellations.BRIEF_CTES,
               f"_dq_inter AS ({interpellations.BRIEF_SELECT})")
# ... and the window's relays (``rel``: no locality needed to count them) as ``_dq_rel``
_REL_CTES = (relays.REL_CTE,
             "_dq_rel AS (SELECT platform, post_id, author_id, created_at FROM rel)")


def _inter_params(con: Con, territory: Territory, since: date, until: date, as_of: datetime,
                  platform: str | None = None, account: str | None = None) -> dict[str, Any]:
    """Parameters of the statements over ``_dq_inter`` and ``_dq_rel`` (``account``: a
    handle, or None for every account)."""
    values = interpellations.brief_params(
        con, territory, *window_utc(territory, since, until), as_of, platform)
    return {**values, "account": account or None}


def grain_for(since: date, until: date) -> str:
    """Bucket size for a chart over ``[since, until)``: a day up to 3 months, else a week."""
    return "day" if (until - since).days <= 92 else "week"


# -- freshness ------------------------------------------------------------------------------
def data_as_of(con: Con) -> list[tuple[str, datetime | None]]:
    """``(territory slug, last fetch instant)``: when data last landed for each territory."""
    return [
        (r[0], r[1])
        for r in con.execute(
            """
            SELECT t.slug, (SELECT max(r.fetched_at) FROM raw_pages r WHERE r.territory = t.slug)
            FROM territories t ORDER BY t.slug
            """
        ).fetchall()
    ]


# -- volume ---------------------------------------------------------------------------------
_KIND_CITY_REPLIES = """
    SELECT p.created_at, 'city_replies' AS kind FROM tp p
    SEMI JOIN city_ids c ON c.platform = p.platform AND c.id = p.author_id
    WHERE NOT p.is_repost AND p.reply_to_id IS NOT NULL"""
# posts mentioning a city account (by others, reposts excluded): kept at load time
# (warehouse/facts.py)
_MENTIONED_CTE = """
mentioned AS (
    SELECT platform, post_id AS id, created_at FROM mention_facts
    WHERE territory = $terr AND created_at >= $t0 AND created_at < $t1
      AND ($platform::VARCHAR IS NULL OR platform = $platform::VARCHAR)
)"""
_KIND_MENTIONS = """
    SELECT created_at, 'mentions' AS kind FROM mentioned"""
_KIND_HASHTAGS = """
    SELECT created_at, 'hashtag_posts' AS kind FROM tagged WHERE first_tag"""
_VOLUME_SQL = compose(
    with_ctes(CITY_CTE, TP_CTE, _TAGS_CTE, TAGGED_CTE, _MENTIONED_CTE, *_INTER_CTES[1:],
              *_REL_CTES),
    ", kinds AS (",
    _KIND_CITY_REPLIES, "UNION ALL", _KIND_MENTIONS, "UNION ALL", _KIND_HASHTAGS,
    "UNION ALL SELECT created_at, 'interpellations' FROM _dq_inter",
    "UNION ALL SELECT created_at, 'relays' FROM _dq_rel",
    ")",
    # counted per 15-minute UTC bucket first: a time zone offset is a multiple of 15 minutes,
    # so a bucket never straddles a local midnight, and the zone arithmetic runs on a few
    # thousand buckets instead of millions of posts
    "SELECT {bucket} AS period, kind, sum(n)::BIGINT AS posts FROM (",
    "SELECT time_bucket(INTERVAL 15 MINUTE, created_at) AS created_at, kind, count(*) AS n",
    "FROM kinds GROUP BY ALL) GROUP BY ALL",
)
_MENTIONS_SQL = compose(
    with_ctes(CITY_CTE, TP_CTE, _MENTIONED_CTE), ", kinds AS (", _KIND_MENTIONS, ")",
    "SELECT {bucket} AS period, sum(n)::BIGINT AS posts FROM (",
    "SELECT time_bucket(INTERVAL 15 MINUTE, created_at) AS created_at, count(*) AS n",
    "FROM kinds GROUP BY ALL) GROUP BY ALL",  # per 15 minutes first (see _VOLUME_SQL)
)
KINDS = ("interpellations", "city_replies", "mentions", "hashtag_posts", "relays")


def _bucket(grain: str, col: str) -> str:
    local = _local(col)
    return f"date_trunc('week', {local})::DATE" if grain == "week" else f"{local}::DATE"


def volume_by_kind(
    con: Con, territory: Territory, since: date, until: date, as_of: datetime,
    platform: str | None = None,
) -> pd.DataFrame:
    """Posts per local day (or week, beyond 3 months) and kind: ``period, kind, posts``.

    Kinds: interpellations (judged at ``as_of``) and relays, as the metric functions define
    them (:mod:`warehouse.interpellations`, :mod:`warehouse.relays`), replies by the city's
    accounts, mentions of a city account by others (reposts excluded), posts with a tracked
    hashtag; one statement. Every (period, kind) pair is present, zeros included.
    """
    grain = grain_for(since, until)
    p = {**_params(territory, since, until, platform),
         **_inter_params(con, territory, since, until, as_of, platform)}
    out = con.execute(_VOLUME_SQL.replace("{bucket}", _bucket(grain, "created_at")), p).df()
    periods = _periods(since, until, grain)
    full = pd.MultiIndex.from_product([periods, KINDS], names=["period", "kind"])
    if len(out):
        out["period"] = pd.to_datetime(out["period"]).dt.date
        out = out.groupby(["period", "kind"])["posts"].sum()
    else:
        out = pd.Series(dtype="int64",
                        index=pd.MultiIndex.from_tuples([], names=["period", "kind"]))
    return out.reindex(full, fill_value=0).astype("int64").reset_index(name="posts")


def _periods(since: date, until: date, grain: str) -> list[date]:
    if grain == "week":
        start = since - timedelta(days=since.weekday())
        return [start + timedelta(weeks=i) for i in range(((until - start).days + 6) // 7)]
    return [since + timedelta(days=i) for i in range((until - since).days)]


# -- spikes ---------------------------------------------------------------------------------
def daily_series(con: Con, territory: Territory, first: date, until: date,
                 platform: str | None = None) -> pd.DataFrame:
    """``series, day, posts`` over ``[first, until)``: each tracked hashtag (from
    :func:`warehouse.metrics.hashtag_activity`) and ``mentions`` (posts mentioning a city
    account, as in :func:`volume_by_kind`), zeros included."""
    days = [first + timedelta(days=i) for i in range((until - first).days)]
    p = base_params(territory, *window_utc(territory, first, until), platform=platform)
    p["tz"] = territory.timezone
    own = con.execute(_MENTIONS_SQL.replace("{bucket}", _bucket("day", "created_at")), p).df()
    rows: dict[tuple[str, date], int] = {}
    for r in own.itertuples():
        rows[("mentions", pd.Timestamp(r.period).date())] = int(r.posts)
    ha = metrics.hashtag_activity(con, territory, first, until, **_pf(platform))
    for r in ha.itertuples():
        rows[(r.hashtag, pd.Timestamp(r.local_date).date())] = int(r.posts)
    series = ["mentions", *territory.hashtags]
    return pd.DataFrame(
        [(s, d, rows.get((s, d), 0)) for s in series for d in days],
        columns=["series", "day", "posts"],
    )


def detect_spikes(daily: pd.DataFrame, days: list[date], factor: float = SPIKE_FACTOR,
                  min_posts: int = SPIKE_MIN_POSTS,
                  baseline_days: int = SPIKE_BASELINE_DAYS) -> pd.DataFrame:
    """Days among ``days`` where a series is far above its usual level.

    Usual = the median of the ``baseline_days`` days before (zeros count). A spike has at
    least ``min_posts`` posts and ``factor`` times the usual (the usual counted as at least
    1). Returns ``series, day, posts, usual``.
    """
    out = []
    for series, g in daily.groupby("series", sort=False):
        by_day = dict(zip(g["day"], g["posts"], strict=True))
        for d in days:
            n = int(by_day.get(d, 0))
            before = [int(by_day.get(d - timedelta(days=i), 0))
                      for i in range(1, baseline_days + 1)]
            usual = float(median(before)) if before else 0.0
            if n >= min_posts and n >= factor * max(usual, 1.0):
                out.append((series, d, n, usual))
    return pd.DataFrame(out, columns=["series", "day", "posts", "usual"])


def spikes(con: Con, territory: Territory, days: tuple[date, ...],
           platform: str | None = None) -> pd.DataFrame:
    """Spikes on the given local days (with 28 days of history before the first)."""
    if not days:
        return pd.DataFrame(columns=["series", "day", "posts", "usual"])
    first = min(days) - timedelta(days=SPIKE_BASELINE_DAYS)
    daily = daily_series(con, territory, first, max(days) + timedelta(days=1), platform)
    return detect_spikes(daily, sorted(days))


def hashtag_series(con: Con, territory: Territory, act: pd.DataFrame, since: date, until: date
                   ) -> dict[str, pd.DataFrame]:
    """Per tracked hashtag and local day of ``[since, until)``: ``series`` (local_date,
    hashtag, posts; zeros included) and the ``spikes`` among those days (hashtag,
    local_date, posts, usual). ``act`` is :func:`warehouse.metrics.hashtag_activity` from
    :data:`SPIKE_BASELINE_DAYS` days before ``since`` (the spikes' history) to ``until``."""
    first = since - timedelta(days=SPIKE_BASELINE_DAYS)
    all_days = [first + timedelta(days=i) for i in range((until - first).days)]
    by = {(pd.Timestamp(r.local_date).date(), r.hashtag): int(r.posts) for r in act.itertuples()}
    daily = pd.DataFrame([(tag, d, by.get((d, tag), 0)) for tag in territory.hashtags
                          for d in all_days], columns=["series", "day", "posts"])
    days = [d for d in all_days if d >= since]
    found = detect_spikes(daily, days).rename(columns={"series": "hashtag", "day": "local_date"})
    series = daily[daily["day"] >= since].rename(columns={"series": "hashtag", "day": "local_date"})
    return {"series": series[["local_date", "hashtag", "posts"]].reset_index(drop=True),
            "spikes": found}


_SPIKE_POSTS_SQL = compose(
    with_ctes(CITY_CTE, TP_CTE, _MENTIONED_CTE),
    """
SELECT p.platform, p.id AS post_id, p.created_at, u.username, u.name, x.text,
       """,
    url_expr("p", "u"),
    """ AS url
FROM tp p
JOIN posts x ON x.platform = p.platform AND x.id = p.id  -- text and counts (tp may omit them)
LEFT JOIN accounts u ON u.platform = p.platform AND u.id = p.author_id
WHERE CASE WHEN $tag IS NULL THEN
          EXISTS (SELECT 1 FROM mentioned m WHERE m.platform = p.platform AND m.id = p.id)
      ELSE EXISTS (SELECT 1 FROM post_hashtags h WHERE h.platform = p.platform
                   AND h.post_id = p.id AND h.tag = $tag) END
ORDER BY coalesce(x.retweet_count, 0) + coalesce(x.quote_count, 0) DESC, p.created_at, p.id
LIMIT $limit
""",
)


def spike_posts(con: Con, territory: Territory, series: str, day: date, limit: int = 50,
                platform: str | None = None) -> pd.DataFrame:
    """The posts behind a spike: ``series`` is a tracked hashtag (as configured) or
    ``mentions``; most reposted first."""
    p = _params(territory, day, day + timedelta(days=1), platform)
    del p["tags"], p["tag_labels"], p["tz"]
    p["tag"] = None if series == "mentions" else series.lstrip("#").lower()
    p["limit"] = int(limit)
    return con.execute(_SPIKE_POSTS_SQL, p).df()


# -- conversations --------------------------------------------------------------------------
def threads(con: Con, territory: Territory, since: date, until: date, limit: int = 20,
            platform: str | None = None) -> dict[str, pd.DataFrame]:
    """The ``limit`` largest (``"size"``) and most recently active (``"recent"``)
    conversations of the period (:func:`warehouse.activity.top_conversations`)."""
    return top_conversations(con, territory, since, until, limit, platform=platform)


_THREAD_SQL = compose(
    with_ctes(CITY_CTE),
    """
SELECT p.platform, p.id AS post_id, p.created_at, u.username, u.name, p.text,
       c.id IS NOT NULL AS is_city, ru.username AS in_reply_to_username, p.is_repost,
       """,
    url_expr("p", "u"),
    """ AS url
FROM territory_posts t JOIN posts p ON p.platform = t.platform AND p.id = t.post_id
LEFT JOIN accounts u ON u.platform = p.platform AND u.id = p.author_id
LEFT JOIN accounts ru ON ru.platform = p.platform AND ru.id = p.in_reply_to_user_id
LEFT JOIN city_ids c ON c.platform = p.platform AND c.id = p.author_id
WHERE t.territory = $terr AND p.platform = $platform AND p.in_data AND NOT p.is_repost
  AND (p.conversation_id = $conv OR p.id = $conv)
ORDER BY p.created_at, p.id
LIMIT $limit
""",
)


def thread(con: Con, territory: Territory, platform: str, conversation_id: str,
           limit: int = 300) -> pd.DataFrame:
    """The posts of one conversation (reposts excluded, as in the metric), oldest first."""
    p = base_params(territory, datetime(1970, 1, 1), datetime(1970, 1, 1))
    del p["t0"], p["t1"]
    p.update(platform=platform, conv=conversation_id, limit=int(limit))
    return con.execute(_THREAD_SQL, p).df()


# posts per author first; distinct conversations, names and the city flag only for the
# authors who can make the list (every author tied with the last one kept, so it is exact)
_PARTICIPANTS_SQL = compose(
    with_ctes(CITY_CTE, TP_CTE),
    """,
per AS (
    SELECT platform, author_id, count(*) AS posts FROM tp
    WHERE NOT is_repost AND author_id IS NOT NULL GROUP BY platform, author_id
),
cand AS (
    SELECT * FROM per
    WHERE posts >= (SELECT min(posts) FROM (SELECT posts FROM per ORDER BY posts DESC
                                            LIMIT $limit))
),
convs AS (
    SELECT p.platform, p.author_id, count(DISTINCT p.conversation_id) AS conversations
    FROM tp p SEMI JOIN cand c ON c.platform = p.platform AND c.author_id = p.author_id
    WHERE NOT p.is_repost
    GROUP BY p.platform, p.author_id
)
SELECT c.platform, u.username, u.name, c.posts, v.conversations,
       k.id IS NOT NULL AS is_city, u.followers_count
FROM cand c
JOIN convs v ON v.platform = c.platform AND v.author_id = c.author_id
LEFT JOIN accounts u ON u.platform = c.platform AND u.id = c.author_id
LEFT JOIN city_ids k ON k.platform = c.platform AND k.id = c.author_id
ORDER BY c.posts DESC, v.conversations DESC, lower(u.username)
LIMIT $limit
""",
)


def top_participants(con: Con, territory: Territory, since: date, until: date,
                     limit: int = 20, platform: str | None = None) -> pd.DataFrame:
    """Authors with the most posts (reposts excluded) in the window."""
    p = base_params(territory, *window_utc(territory, since, until), platform=platform)
    p["limit"] = int(limit)
    return con.execute(_PARTICIPANTS_SQL, p).df()


_SEARCH_SQL = compose(
    with_ctes(CITY_CTE, TP_CTE),
    """
SELECT p.platform, p.id AS post_id, p.created_at, u.username, u.name, x.text,
       c.id IS NOT NULL AS is_city, count(*) OVER () AS matches,
       """,
    url_expr("p", "u"),
    """ AS url
FROM tp p
JOIN posts x ON x.platform = p.platform AND x.id = p.id  -- the text (tp may omit it)
LEFT JOIN accounts u ON u.platform = p.platform AND u.id = p.author_id
LEFT JOIN city_ids c ON c.platform = p.platform AND c.id = p.author_id
WHERE NOT p.is_repost AND contains(strip_accents(lower(x.text)), strip_accents(lower($q)))
ORDER BY p.created_at DESC, p.id
LIMIT $limit
""",
)


def search_posts(con: Con, territory: Territory, since: date, until: date, text: str,
                 limit: int = 100, platform: str | None = None) -> pd.DataFrame:
    """Posts of the window whose text contains ``text`` (case and accents ignored), newest
    first; ``matches`` is the total before the limit. The text is a bound value, never SQL."""
    p = base_params(territory, *window_utc(territory, since, until), platform=platform)
    p["q"] = text.strip()
    p["limit"] = int(limit)
    return con.execute(_SEARCH_SQL, p).df()


# -- responsiveness -------------------------------------------------------------------------
# the public figures (``status``: never change with triage), then the expected-answer family
# (``expects``, ``state``: after the team's triage at as_of; docs/metrics.md): the functions
# that return it are marked ``reads_triage`` (the dashboard's cache keys them by the journal)
_RESP_AGG = """
count(*) AS interpellations,
count(*) FILTER (WHERE status = 'answered') AS answered,
count(*) FILTER (WHERE status = 'pending') AS pending,
count(*) FILTER (WHERE status = 'missed') AS missed,
count(*) FILTER (WHERE status = 'answered') / count(*) AS response_rate,
quantile_cont(response_minutes, 0.5) AS median_response_minutes,
quantile_cont(response_minutes, 0.9) AS p90_response_minutes,
quantile_cont(service_response_minutes, 0.5) AS median_service_response_minutes,
quantile_cont(service_response_minutes, 0.9) AS p90_service_response_minutes,
count(*) FILTER (WHERE expects) AS expecting_answer,
count(*) FILTER (WHERE expects AND state IN ('answered', 'handled_elsewhere'))
    AS answered_expecting,
count(*) FILTER (WHERE expects AND state IN ('answered', 'handled_elsewhere'))
    / nullif(count(*) FILTER (WHERE expects), 0) AS response_rate_expecting,
count(*) FILTER (WHERE expects AND state = 'pending') AS pending_expecting,
count(*) FILTER (WHERE expects AND state = 'missed') AS missed_expecting
"""
EXPECTED_COUNTS = ("expecting_answer", "answered_expecting", "pending_expecting",
                   "missed_expecting")

_BY_ACCOUNT_SQL = compose(
    with_ctes(*_INTER_CTES),
    "SELECT platform, addressed_handle AS handle,", _RESP_AGG,
    "FROM _dq_inter GROUP BY platform, addressed_handle",
)
_TOTAL_SQL = compose(with_ctes(*_INTER_CTES), "SELECT", _RESP_AGG, "FROM _dq_inter")
_BY_WEEK_SQL = compose(
    with_ctes(*_INTER_CTES),
    "SELECT date_trunc('week',", _local("created_at"), ")::DATE AS week,", _RESP_AGG,
    "FROM _dq_inter GROUP BY ALL ORDER BY week",
)
_GRID_SQL = compose(
    with_ctes(*_INTER_CTES),
    """,
ev AS (
    SELECT 'arrivals' AS what,""", _local("created_at"), """AS t FROM _dq_inter
    UNION ALL
    SELECT 'answers',""", _local("answered_at"), """FROM _dq_inter WHERE answered_at IS NOT NULL
),
grid AS (
    SELECT w.what, d.weekday, h.hour FROM (VALUES ('arrivals'), ('answers')) w(what),
    range(7) d(weekday), range(24) h(hour)
)
SELECT g.what, g.weekday::INTEGER AS weekday, g.hour::INTEGER AS hour, count(ev.t) AS n
FROM grid g LEFT JOIN ev ON ev.what = g.what
     AND isodow(ev.t) - 1 = g.weekday AND hour(ev.t) = g.hour
GROUP BY ALL ORDER BY g.what DESC, weekday, hour
""",
)
# the answered ones slowest in service hours first; the missed ones oldest first
_SLOWEST_SQL = compose(
    with_ctes(*_INTER_CTES),
    """SELECT * FROM _dq_inter WHERE status = 'answered'
ORDER BY service_response_minutes DESC NULLS LAST, response_minutes DESC NULLS LAST,
         created_at, platform, post_id
LIMIT $limit""",
)
_MISSED_SQL = compose(
    with_ctes(*_INTER_CTES),
    """SELECT * FROM _dq_inter WHERE status = 'missed'
ORDER BY created_at, platform, post_id LIMIT $limit""",
)


_BY_DAY_SQL = compose(
    with_ctes(*_INTER_CTES),
    "SELECT", _bucket("day", "created_at"), "AS local_date, status, sum(n)::BIGINT AS n FROM (",
    "SELECT time_bucket(INTERVAL 15 MINUTE, created_at) AS created_at, status, count(*) AS n",
    "FROM _dq_inter GROUP BY ALL) GROUP BY ALL",  # per 15 minutes first (see _VOLUME_SQL)
)


def interpellations_by_day(con: Con, territory: Territory, since: date, until: date,
                           as_of: datetime, platform: str | None = None) -> pd.DataFrame:
    """``local_date, answered, pending, missed``: the window's interpellations per local day
    of creation and status at ``as_of``, every day of ``[since, until)``, zeros included."""
    p = {**_inter_params(con, territory, since, until, as_of, platform), "tz": territory.timezone}
    got = con.execute(_BY_DAY_SQL, p).df()
    out = pd.DataFrame({"local_date": _periods(since, until, "day")})
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
                      _inter_params(con, territory, since, until, as_of, platform)).df()
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
    cur = con.execute(_TOTAL_SQL,
                      _inter_params(con, territory, since, until, as_of, platform, account))
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
    p = _inter_params(con, territory, since, until, as_of, platform, account)
    return con.execute(_BY_WEEK_SQL, {**p, "tz": territory.timezone}).df()


def arrival_answer_grid(con: Con, territory: Territory, since: date, until: date,
                        as_of: datetime, platform: str | None = None,
                        account: str | None = None) -> pd.DataFrame:
    """``what`` (arrivals|answers), ``weekday`` (0 = Monday), ``hour`` (local), ``n``;
    all 7 × 24 cells of both grids, zeros included."""
    p = _inter_params(con, territory, since, until, as_of, platform, account)
    return con.execute(_GRID_SQL, {**p, "tz": territory.timezone}).df()


_POST_DETAILS_SQL = compose(
    "SELECT f.*, u.username AS author_username, u.name AS author_name, p.text,",
    url_expr("p", "u"),
    """AS url
FROM _dq_rows f
-- created_at too: the scan of posts then skips every block outside the rows' time span
LEFT JOIN posts p ON p.platform = f.platform AND p.id = f.post_id AND p.created_at = f.created_at
LEFT JOIN accounts u ON u.platform = p.platform AND u.id = p.author_id
ORDER BY f._row
""",
)


def _with_post_details(con: Con, rows: pd.DataFrame) -> pd.DataFrame:
    """``rows`` (``platform``, ``post_id`` …) plus each post's author, text and address: the
    listed rows only, so a chart's thousands of rows never carry their texts."""
    rows = rows.reset_index(drop=True).assign(_row=range(len(rows)))
    with _frame(con, "_dq_rows", rows):
        return con.execute(_POST_DETAILS_SQL).df().drop(columns="_row")


def slowest_answers(con: Con, territory: Territory, since: date, until: date,
                    as_of: datetime, platform: str | None = None, account: str | None = None,
                    limit: int = 20) -> pd.DataFrame:
    """The answered interpellations of the window with the longest service-hours response
    time, with their texts."""
    p = _inter_params(con, territory, since, until, as_of, platform, account)
    return _with_post_details(con, con.execute(_SLOWEST_SQL, {**p, "limit": limit}).df())


def missed(con: Con, territory: Territory, since: date, until: date, as_of: datetime,
           platform: str | None = None, account: str | None = None,
           limit: int = 100) -> pd.DataFrame:
    """The window's interpellations left unanswered for more than 7 days, oldest first,
    with their texts."""
    p = _inter_params(con, territory, since, until, as_of, platform, account)
    return _with_post_details(con, con.execute(_MISSED_SQL, {**p, "limit": limit}).df())


# -- relays ---------------------------------------------------------------------------------
# The window's relays with their authors' locality (:mod:`warehouse.relays`), aggregated in
# the same statement: the rows never leave DuckDB.
_RELAYS_WITH = with_ctes(CITY_CTE, *relays.CTES)
_RELAYS_TIME_SQL = {
    grain: compose(
        _RELAYS_WITH,
        "SELECT", _bucket(grain, "created_at"), "AS period, is_local AS local,",
        "sum(n)::BIGINT AS relays FROM (",
        "SELECT time_bucket(INTERVAL 15 MINUTE, created_at) AS created_at, is_local,",
        "count(*) AS n FROM relays GROUP BY ALL) GROUP BY ALL",  # per 15 minutes first
    )
    for grain in ("day", "week")
}
_TOP_RELAYED_SQL = compose(
    _RELAYS_WITH,
    """
, top AS (  -- counted first; the listed posts' texts and authors only
    SELECT platform, relayed_post_id AS post_id, count(*) AS relays,
           count(*) FILTER (WHERE is_local) AS local_relays
    FROM relays WHERE relayed_post_id IS NOT NULL
    GROUP BY platform, relayed_post_id
    ORDER BY relays DESC, local_relays DESC, relayed_post_id
    LIMIT $limit
)
SELECT r.platform, r.post_id, p.created_at, p.author_id, u.username, p.text, r.relays,
       r.local_relays,""",
    url_expr("p", "u"),
    """AS url
FROM top r
LEFT JOIN posts p ON p.platform = r.platform AND p.id = r.post_id
LEFT JOIN accounts u ON u.platform = p.platform AND u.id = p.author_id
ORDER BY r.relays DESC, r.local_relays DESC, r.post_id
""",
)


def relay_figures(con: Con, territory: Territory, since: date, until: date,
                  platform: str | None = None) -> dict[str, int]:
    """``relays``, ``local_relays``, ``local_tweetos`` and ``potential_reach`` of the window:
    the headline's relay figures (:func:`warehouse.relays.relay_summary`), one statement."""
    return relays.relay_summary(con, territory, since, until, platform=platform)


def relays_over_time(con: Con, territory: Territory, since: date, until: date,
                     platform: str | None = None) -> pd.DataFrame:
    """``period, local, relays``: the window's relays per local day (or week), local
    authors or not, zeros included."""
    grain = grain_for(since, until)
    p = {**relays.params(territory, since, until, platform), "tz": territory.timezone}
    got = con.execute(_RELAYS_TIME_SQL[grain], p).df()
    full = pd.MultiIndex.from_product([_periods(since, until, grain), [True, False]],
                                      names=["period", "local"])
    if len(got):
        got["period"] = pd.to_datetime(got["period"]).dt.date
        s = got.groupby(["period", "local"])["relays"].sum()
    else:
        s = pd.Series(dtype="int64", index=pd.MultiIndex.from_tuples([], names=["period", "local"]))
    return s.reindex(full, fill_value=0).astype("int64").reset_index(name="relays")


def top_relayed_posts(con: Con, territory: Territory, since: date, until: date,
                      platform: str | None = None, limit: int = 10) -> pd.DataFrame:
    """City posts most relayed (reposted or quoted) in the window."""
    p = {**relays.params(territory, since, until, platform), "limit": int(limit)}
    return con.execute(_TOP_RELAYED_SQL, p).df()


def new_local_tweetos(con: Con, territory: Territory, tweetos: pd.DataFrame, since: date,
                      until: date, days: int = 7) -> pd.DataFrame:
    """Local tweetos (``tweetos``: the rows of :func:`warehouse.metrics.local_tweetos` for
    ``[since, until)``) whose first post landed for the territory falls in the window's last
    ``days`` days."""
    df = tweetos
    start = window_utc(territory, max(since, until - timedelta(days=days)), until)[0]
    return df[pd.to_datetime(df["first_seen"]) >= pd.Timestamp(start)].reset_index(drop=True)


# -- platforms ------------------------------------------------------------------------------
_SPLIT_SQL = compose(with_ctes(*_INTER_CTES, *_REL_CTES), """,
i AS (
    SELECT platform, count(*) AS interpellations,
           count(*) FILTER (WHERE status = 'answered') AS answered,
           count(*) FILTER (WHERE status = 'answered') / count(*) AS response_rate,
           quantile_cont(service_response_minutes, 0.5) AS median_service_response_minutes
    FROM _dq_inter GROUP BY platform
), r AS (
    SELECT platform, count(*) AS relays FROM _dq_rel GROUP BY platform
)
SELECT platform, coalesce(i.interpellations, 0) AS interpellations,
       coalesce(i.answered, 0) AS answered, i.response_rate,
       i.median_service_response_minutes, coalesce(r.relays, 0) AS relays
FROM i FULL JOIN r USING (platform)
""")
_AUDIENCE_SQL = compose(
    with_ctes(*_INTER_CTES, *_REL_CTES),
    ", ev AS (SELECT platform, 'interpellations' AS kind, created_at FROM _dq_inter",
    "UNION ALL SELECT platform, 'relays', created_at FROM _dq_rel)",
    "SELECT date_trunc('week',", _local("created_at"), ")::DATE AS week, platform,",
    "sum(n) FILTER (WHERE kind = 'interpellations')::BIGINT AS interpellations,",
    "sum(n) FILTER (WHERE kind = 'relays')::BIGINT AS relays FROM (",
    "SELECT time_bucket(INTERVAL 15 MINUTE, created_at) AS created_at, platform, kind,",
    "count(*) AS n FROM ev GROUP BY ALL) GROUP BY ALL",  # per 15 minutes first (volume)
)


def _platforms(territory: Territory, seen_in: pd.Series, platform: str | None = None
               ) -> list[str]:
    """The territory's platforms (configured accounts, then any in ``seen_in``), in the
    order of :data:`model.PLATFORMS`."""
    if platform:
        return [platform]
    seen = {a.platform for a in territory.accounts} | set(seen_in.dropna().unique())
    order = ("x", "bluesky", "mastodon")
    return [p for p in order if p in seen] + sorted(seen - set(order))


def platform_split(con: Con, territory: Territory, since: date, until: date, as_of: datetime,
                   platform: str | None = None) -> pd.DataFrame:
    """Per platform: ``interpellations``, ``answered``, ``response_rate``,
    ``median_service_response_minutes`` (the window's interpellations judged at ``as_of``)
    and ``relays``; every platform of the territory has a row. One statement."""
    got = con.execute(_SPLIT_SQL, _inter_params(con, territory, since, until, as_of, platform)).df()
    out = pd.DataFrame({"platform": _platforms(territory, got["platform"], platform)})
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
    p = _inter_params(con, territory, since, until, as_of, platform)
    got = con.execute(_AUDIENCE_SQL, {**p, "tz": territory.timezone}).df()
    full = pd.MultiIndex.from_product(
        [_periods(since, until, "week"), _platforms(territory, got["platform"], platform)],
        names=["week", "platform"])
    if len(got):
        got["week"] = pd.to_datetime(got["week"]).dt.date
        got = got.groupby(["week", "platform"])[["interpellations", "relays"]].sum()
    else:
        got = pd.DataFrame({"interpellations": [], "relays": []},
                           index=pd.MultiIndex.from_tuples([], names=["week", "platform"]))
    return got.reindex(full, fill_value=0).astype("int64").reset_index()


# -- hashtags -------------------------------------------------------------------------------
_HT_POSTS_CTE = """
htp AS (SELECT platform, id, author_id, created_at FROM tagged WHERE first_tag)"""
_CONTRIB_SQL = compose(
    with_ctes(CITY_CTE, TP_CTE, _TAGS_CTE, TAGGED_CTE, _HT_POSTS_CTE),
    """
-- posts per author first; names and the city flag for the authors who can make the list
-- (every author tied with the last one kept, so it is exact)
, per AS (SELECT platform, author_id, count(*) AS posts FROM htp GROUP BY platform, author_id),
cand AS (
    SELECT * FROM per
    WHERE posts >= (SELECT min(posts) FROM (SELECT posts FROM per ORDER BY posts DESC
                                            LIMIT $limit))
)
SELECT p.platform, u.username, u.name, p.posts, c.id IS NOT NULL AS is_city,
       u.followers_count
FROM cand p
LEFT JOIN accounts u ON u.platform = p.platform AND u.id = p.author_id
LEFT JOIN city_ids c ON c.platform = p.platform AND c.id = p.author_id
ORDER BY p.posts DESC, u.followers_count DESC NULLS LAST, lower(u.username)
LIMIT $limit
""",
)
_COOC_SQL = compose(
    with_ctes(CITY_CTE, TP_CTE, _TAGS_CTE, TAGGED_CTE, _HT_POSTS_CTE),
    """
-- htp has one row per post and post_hashtags one per (post, tag): count(*) counts posts
SELECT '#' || h.tag AS hashtag, count(*) AS posts
FROM htp p JOIN post_hashtags h ON h.platform = p.platform AND h.post_id = p.id
WHERE h.tag NOT IN (SELECT tag FROM tags)
GROUP BY h.tag ORDER BY posts DESC, h.tag LIMIT $limit
""",
)
_SHARE_SQL = compose(
    with_ctes(CITY_CTE, TP_CTE, _TAGS_CTE, TAGGED_CTE, _HT_POSTS_CTE),
    """
SELECT count(*) AS posts,
       count(*) FILTER (WHERE EXISTS (SELECT 1 FROM city_ids c
                                      WHERE c.platform = p.platform AND c.id = p.author_id))
           AS city_posts,
       (SELECT count(*) FROM tp) AS posts_total
FROM htp p
""",
)


def hashtag_contributors(con: Con, territory: Territory, since: date, until: date,
                         limit: int = 20, platform: str | None = None) -> pd.DataFrame:
    """Authors of the most posts carrying a tracked hashtag in the window."""
    p = _params(territory, since, until, platform)
    del p["tz"]
    p["limit"] = int(limit)
    return con.execute(_CONTRIB_SQL, p).df()


def cooccurring_hashtags(con: Con, territory: Territory, since: date, until: date,
                         limit: int = 20, platform: str | None = None) -> pd.DataFrame:
    """Other hashtags found on the posts that carry a tracked one."""
    p = _params(territory, since, until, platform)
    del p["tz"]
    p["limit"] = int(limit)
    return con.execute(_COOC_SQL, p).df()


def hashtag_city_share(con: Con, territory: Territory, since: date, until: date,
                       platform: str | None = None) -> dict[str, int]:
    """``posts`` with a tracked hashtag (as the metric ``hashtag_posts``), ``city_posts``
    among them, and ``posts_total`` (the metric's, over the same posts of the territory)."""
    p = _params(territory, since, until, platform)
    del p["tz"]
    row = con.execute(_SHARE_SQL, p).fetchall()[0]
    return {"posts": int(row[0]), "city_posts": int(row[1]), "posts_total": int(row[2])}


# -- collection -----------------------------------------------------------------------------
def freshness(con: Con, territory: Territory, platform: str | None = None) -> pd.DataFrame:
    """Per platform, source and endpoint: pages landed, last fetch, newest post created."""
    return con.execute(
        """
        SELECT r.platform, r.source, coalesce(r.endpoint, '') AS endpoint, count(*) AS pages,
               max(r.fetched_at) AS last_fetched_at
        FROM raw_pages r WHERE r.territory = ? AND (?::VARCHAR IS NULL OR r.platform = ?)
        GROUP BY ALL ORDER BY last_fetched_at DESC
        """,
        [territory.slug, platform, platform],
    ).df().merge(
        con.execute(
            """
            SELECT platform, max(created_at) AS latest_post_at
            FROM territory_timeline WHERE territory = ? GROUP BY platform
            """,
            [territory.slug],
        ).df(),
        on="platform", how="left",
    )


def collect_runs(con: Con, territory: Territory, limit: int = 30,
                 platform: str | None = None) -> pd.DataFrame:
    """The last collection runs, newest first, with their status, counters and errors."""
    return con.execute(
        """
        SELECT run_id, platform, started_at, ended_at, status, pages, posts, users,
               coalesce(TRY_CAST(json_extract(errors, '$.count') AS BIGINT), 0) AS errors,
               cost_usd, message
        FROM collect_runs WHERE territory = ? AND (?::VARCHAR IS NULL OR platform = ?)
        ORDER BY started_at DESC, run_id DESC LIMIT ?
        """,
        [territory.slug, platform, platform, int(limit)],
    ).df()


def run_errors(con: Con, territory: Territory, run_id: int) -> pd.DataFrame:
    """The errors logged by one run (``collect_runs.errors`` items): kind, message, at,
    endpoint, query."""
    return con.execute(
        """
        SELECT e->>'kind' AS kind, e->>'message' AS message, e->>'at' AS at,
               e->>'endpoint' AS endpoint, e->>'query' AS query
        FROM (SELECT unnest(from_json(errors->'$.items', '["JSON"]')) AS e
              FROM collect_runs WHERE territory = ? AND run_id = ?)
        """,
        [territory.slug, int(run_id)],
    ).df()


def api_usage(con: Con, territory: Territory, as_of: datetime, days: int = 30,
              platform: str | None = None) -> dict[str, Any]:
    """Runs, pages, posts, users and recorded cost over the ``days`` before ``as_of``, and
    the same pace projected over 30 days."""
    row = con.execute(
        """
        SELECT count(*), coalesce(sum(pages), 0), coalesce(sum(posts), 0),
               coalesce(sum(users), 0), coalesce(sum(cost_usd), 0), min(started_at)
        FROM collect_runs WHERE territory = ? AND started_at >= ? AND started_at <= ?
          AND (?::VARCHAR IS NULL OR platform = ?)
        """,
        [territory.slug, as_of - timedelta(days=days), as_of, platform, platform],
    ).fetchone()
    assert row is not None
    runs, pages, posts, users, cost, first = row
    span = max((as_of - first).total_seconds() / 86400, 1.0) if first else float(days)
    span = min(span, float(days))
    return {"runs": int(runs), "pages": int(pages), "posts": int(posts), "users": int(users),
            "cost_usd": float(cost), "days": days,
            "month_cost_usd": float(cost) * 30.0 / span if runs else 0.0}
