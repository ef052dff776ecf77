"""Shared pieces of the metric queries (docs/metrics.md): the window, the city accounts, parameters.

Every metric query is constant SQL text with named parameters (``$terr``, ``$t0`` …); the
only thing assembled in Python is the concatenation of constant fragments
(:func:`compose`), never a user value. Values — the territory slug, the city handles, the
locality pattern, the calendar of opening hours — are always bound parameters.

Common parameters (:func:`base_params`):

* ``$terr`` the territory slug; ``$c_platform``, ``$c_handle``, ``$c_ord`` the city accounts
  as configured (their ids come from ``territory_accounts``, else from landed profiles);
* ``$t0``, ``$t1`` the window ``[t0, t1)`` in naive UTC.
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import duckdb

from model import PLATFORMS, Territory

Con = duckdb.DuckDBPyConnection
PENDING_DAYS = 7  # unanswered interpellations younger than this are pending, older are missed

def compose(*fragments: str) -> str:
    """Join constant SQL fragments (module constants only, never user values)."""
    return "\n".join(fragments)


def with_ctes(*ctes: str) -> str:
    """``WITH cte, cte, ...`` from constant CTE fragments."""
    return "WITH " + ",\n".join(c.strip() for c in ctes) + "\n"


# The territory's own accounts C, keyed (platform, id); ord = position in the configuration.
CITY_CTE = """
city AS (
    SELECT c.platform, c.handle, c.ord,
           coalesce(
               (SELECT ta.user_id FROM territory_accounts ta
                WHERE ta.territory = $terr AND ta.platform = c.platform
                  AND lower(ta.handle) = lower(c.handle) AND ta.user_id IS NOT NULL LIMIT 1),
               (SELECT a.id FROM accounts a
                WHERE a.platform = c.platform AND lower(a.username) = lower(c.handle)
                ORDER BY a.fetched_at DESC, a.id LIMIT 1)
           ) AS id
    FROM (SELECT unnest($c_platform::VARCHAR[]) AS platform,
                 unnest($c_handle::VARCHAR[]) AS handle,
                 unnest($c_ord::INTEGER[]) AS ord) c
    WHERE $platform::VARCHAR IS NULL OR c.platform = $platform::VARCHAR
),
city_ids AS (SELECT platform, id, handle, ord FROM city WHERE id IS NOT NULL)
"""

# Posts landed for the territory (seen in a page's data), created in the window, from the
# narrow ``territory_timeline`` (the loader keeps it: warehouse/facts.py). No text: reading
# every window post's text costs more than the rest of most queries.
TP_CTE = """
tp AS (
    SELECT platform, post_id AS id, author_id, created_at, conversation_id,
           in_reply_to_user_id, reply_to_id, quoted_id, reposted_id, is_repost
    FROM territory_timeline
    WHERE territory = $terr AND created_at >= $t0 AND created_at < $t1
      AND ($platform::VARCHAR IS NULL OR platform = $platform::VARCHAR)
)
"""


# Periods ``k`` with bounds ``[p0, p1)`` (naive UTC; they may overlap), for the statements
# that compute a summary of each period at once (:func:`period_params`).
PERIODS_CTE = """
periods AS (SELECT unnest($p_k::INTEGER[]) AS k, unnest($p_t0::TIMESTAMP[]) AS p0,
                   unnest($p_t1::TIMESTAMP[]) AS p1)"""


def period_params(bounds: list[tuple[datetime, datetime]]) -> dict[str, Any]:
    """Bound parameters of :data:`PERIODS_CTE`: period ``k`` is ``bounds[k]``."""
    return {"p_k": list(range(len(bounds))), "p_t0": [b[0] for b in bounds],
            "p_t1": [b[1] for b in bounds]}


def to_utc(value: datetime) -> datetime:
    """An aware instant, or a naive one meaning UTC, as a naive UTC datetime."""
    if value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def window_utc(territory: Territory, since: date, until: date) -> tuple[datetime, datetime]:
    """Naive UTC bounds of ``[since, until)``, dates read in the territory's time zone."""
    if isinstance(since, datetime) or isinstance(until, datetime):
        raise TypeError("since and until are dates (datetime.date), in the territory's time zone")
    tz = ZoneInfo(territory.timezone)

    def midnight(d: date) -> datetime:
        return datetime.combine(d, time(), tzinfo=tz).astimezone(UTC).replace(tzinfo=None)

    return midnight(since), midnight(until)


def local_date(territory: Territory, instant_utc: datetime) -> date:
    return to_utc(instant_utc).replace(tzinfo=UTC).astimezone(ZoneInfo(territory.timezone)).date()


def check_platform(platform: str | None) -> str | None:
    """``None`` (every platform) or one of :data:`PLATFORMS`; anything else is an error."""
    if platform is not None and platform not in PLATFORMS:
        raise ValueError(f"unknown platform {platform!r} (expected one of {', '.join(PLATFORMS)})")
    return platform


def base_params(
    territory: Territory, t0: datetime, t1: datetime, platform: str | None = None
) -> dict[str, Any]:
    """Common parameters; ``platform`` restricts every part of a query to one platform."""
    accounts = territory.accounts
    return {
        "terr": territory.slug,
        "platform": check_platform(platform),
        "c_platform": [a.platform for a in accounts],
        "c_handle": [a.handle for a in accounts],
        "c_ord": list(range(len(accounts))),
        "t0": to_utc(t0),
        "t1": to_utc(t1),
    }


def city_accounts(con: Con, territory: Territory) -> list[tuple[str, str, str]]:
    """``(platform, handle, id)`` of the territory's accounts whose ids are known."""
    p = base_params(territory, datetime(1970, 1, 1), datetime(1970, 1, 1))
    del p["t0"], p["t1"]
    sql = compose(with_ctes(CITY_CTE), "SELECT platform, handle, id FROM city_ids ORDER BY ord")
    return [tuple(r) for r in con.execute(sql, p).fetchall()]  # type: ignore[misc]


def _fold(text: str) -> str:
    """Lower case without accents, as DuckDB's ``strip_accents(lower(x))``."""
    decomposed = unicodedata.normalize("NFD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _re2_escape(text: str) -> str:
    return "".join(ch if ch.isalnum() else f"\\x{{{ord(ch):X}}}" for ch in text)


def locality_pattern(terms: tuple[str, ...] | list[str]) -> str | None:
    """An RE2 pattern matching any term as a whole word in folded (lower, unaccented) text.

    "Whole word": not preceded or followed by a letter or a digit, so ``35`` matches
    ``rennes (35)`` but not ``1935``. ``None`` when there are no terms.
    """
    folded = sorted({_fold(t).strip() for t in terms if t.strip()}, key=lambda s: (-len(s), s))
    if not folded:
        return None
    alternatives = "|".join(_re2_escape(t) for t in folded)
    return rf"(?:^|[^\p{{L}}\p{{N}}])(?:{alternatives})(?:[^\p{{L}}\p{{N}}]|$)"


def locality_params(territory: Territory) -> dict[str, Any]:
    return {
        "loc_re": locality_pattern(territory.locality_terms),
        "loc_listed": [h.lower() for h in territory.local_accounts],
        "loc_excluded": [h.lower() for h in territory.exclude_accounts],
    }


# Whether the account ``a`` (a row of ``accounts``) is local. Needs the ``city`` CTE.
LOCAL_PREDICATE = """
(NOT EXISTS (SELECT 1 FROM city c WHERE c.platform = a.platform
             AND (c.id = a.id OR lower(c.handle) = lower(a.username)))
 AND NOT list_contains($loc_excluded::VARCHAR[], coalesce(lower(a.username), ''))
 AND (list_contains($loc_listed::VARCHAR[], coalesce(lower(a.username), ''))
      OR ($loc_re::VARCHAR IS NOT NULL AND regexp_matches(
             strip_accents(lower(coalesce(a.location, '') || chr(10)
                                 || coalesce(a.description, ''))),
             coalesce($loc_re::VARCHAR, '^$')))))
"""
LOCAL_REASON = """
CASE WHEN list_contains($loc_listed::VARCHAR[], lower(a.username)) THEN 'listed' ELSE 'term' END
"""

# Local accounts among the authors of the territory's posts (all time). Needs city.
LOCAL_CTE = compose(
    """
authors AS (
    SELECT DISTINCT platform, author_id AS id FROM territory_timeline
    WHERE territory = $terr AND author_id IS NOT NULL
      AND ($platform::VARCHAR IS NULL OR platform = $platform::VARCHAR)
),
local_acc AS (
    SELECT a.platform, a.id,""",
    LOCAL_REASON,
    """AS reason
    FROM accounts a SEMI JOIN authors u ON u.platform = a.platform AND u.id = a.id
    WHERE""",
    LOCAL_PREDICATE,
    ")",
)

# A post's address on its platform (NULL where unknown).
URL_EXPR = """
CASE {p}.platform
    WHEN 'x' THEN 'https://x.com/' || coalesce({u}.username, 'i/web') || '/status/' || {p}.id
    WHEN 'bluesky' THEN CASE WHEN {p}.id LIKE 'at://%/app.bsky.feed.post/%'
        THEN 'https://bsky.app/profile/' || split_part({p}.id, '/', 3) || '/post/'
             || split_part({p}.id, '/', 5) END
    WHEN 'mastodon' THEN CASE WHEN {p}.id LIKE 'http%' THEN {p}.id END
END
"""


def url_expr(post_alias: str, user_alias: str) -> str:
    """:data:`URL_EXPR` for the given table aliases (constant identifiers)."""
    return URL_EXPR.replace("{p}", post_alias).replace("{u}", user_alias)
