"""Shared pieces of the metric queries (docs/metrics.md): the window, the city accounts, parameters.

Every metric query is constant SQL text with named parameters (``$terr``, ``$t0`` …); the
only thing assembled in Python is the concatenation of constant fragments
(:func:`compose`), never a user value. Values — the territory slug, the city handles, the
locality pattern, the calendar of opening hours — are always bound parameters.

Common parameters (:func:`territory_params`, :func:`base_params` for one territory): a
statement is about a set of territories, ``terrs`` (one row each: slug, index, window, listed
and excluded local accounts), and the shared fragments carry the territory in every row, so
that a statement over one territory is the same statement over a set of one:

* ``$terr`` the territory slug of a statement about one (its own parts may read it), NULL
  for a statement over a set; ``$w_terr``, ``$w_idx``, ``$w_listed``, ``$w_excluded`` the
  rows of ``terrs``;
* ``$c_terr``, ``$c_platform``, ``$c_handle``, ``$c_ord`` the city accounts as configured
  (their ids come from ``territory_accounts``, else from landed profiles);
* ``$t0``, ``$t1`` the window ``[t0, t1)`` in naive UTC, spanning every territory's (the
  statements over a set count each territory's own periods: ``PERIODS_CTE``).
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Mapping, Sequence
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


# The territories of the statement (``$terr``: when not NULL, the only one; ``$w_terr``: all
# of them): each one's index (:func:`local_predicate`), listed and excluded local accounts.
TERRS_CTE = """
terrs AS (
    SELECT * FROM (SELECT unnest($w_terr::VARCHAR[]) AS territory,
                          unnest($w_idx::INTEGER[]) AS idx,
                          unnest($w_listed::VARCHAR[][]) AS loc_listed,
                          unnest($w_excluded::VARCHAR[][]) AS loc_excluded)
    WHERE $terr::VARCHAR IS NULL OR territory = $terr::VARCHAR
)"""
# Each territory's own accounts C, keyed (territory, platform, id); ord = position in the
# territory's configuration. With ``terrs``.
CITY_CTE = compose(TERRS_CTE + ",", """
city_ta AS (
    SELECT c.territory, c.platform, c.handle, c.ord, ta.user_id AS id
    FROM (SELECT unnest($c_terr::VARCHAR[]) AS territory,
                 unnest($c_platform::VARCHAR[]) AS platform,
                 unnest($c_handle::VARCHAR[]) AS handle,
                 unnest($c_ord::INTEGER[]) AS ord) c
    LEFT JOIN (SELECT territory, platform, lower(handle) AS h, min(user_id) AS user_id
               FROM territory_accounts WHERE user_id IS NOT NULL
               GROUP BY territory, platform, lower(handle)) ta
           ON ta.territory = c.territory AND ta.platform = c.platform
              AND ta.h = lower(c.handle)
    WHERE ($platform::VARCHAR IS NULL OR c.platform = $platform::VARCHAR)
      AND ($terr::VARCHAR IS NULL OR c.territory = $terr::VARCHAR)
),
-- the landed profiles are read only for the handles territory_accounts did not resolve: a
-- join with an empty side stops before scanning accounts (all of them: lower(username) is
-- no filter a scan can skip on), 1M rows at 10M posts, once per statement otherwise
city_profile AS (
    SELECT platform, h, id FROM (
        SELECT m.platform, m.h, a.id,
               row_number() OVER (PARTITION BY m.platform, m.h
                                  ORDER BY a.fetched_at DESC, a.id) AS n
        FROM (SELECT DISTINCT platform, lower(handle) AS h FROM city_ta WHERE id IS NULL) m
        JOIN accounts a ON a.platform = m.platform AND lower(a.username) = m.h)
    WHERE n = 1
),
city AS (
    SELECT c.territory, c.platform, c.handle, c.ord, coalesce(c.id, p.id) AS id
    FROM city_ta c
    LEFT JOIN city_profile p ON p.platform = c.platform AND p.h = lower(c.handle)
),
city_ids AS (SELECT territory, platform, id, handle, ord FROM city WHERE id IS NOT NULL)
""")

# Posts landed for the territories (seen in a page's data), created in the window, from the
# narrow ``territory_timeline`` (the loader keeps it: warehouse/facts.py). No text: reading
# every window post's text costs more than the rest of most queries.
TP_CTE = """
tp AS (
    SELECT t.territory, t.platform, t.post_id AS id, t.author_id, t.created_at,
           t.conversation_id, t.in_reply_to_user_id, t.reply_to_id, t.quoted_id,
           t.reposted_id, t.is_repost
    FROM territory_timeline t
    WHERE ($terr::VARCHAR IS NULL OR t.territory = $terr::VARCHAR)
      AND list_contains($w_terr::VARCHAR[], t.territory)
      AND t.created_at >= $t0 AND t.created_at < $t1
      AND ($platform::VARCHAR IS NULL OR t.platform = $platform::VARCHAR)
)
"""


# Each territory's periods ``k`` with bounds ``[p0, p1)`` (naive UTC; they may overlap), for
# the statements that compute a summary of each period at once (:func:`period_params`).
PERIODS_CTE = """
periods AS (SELECT unnest($p_terr::VARCHAR[]) AS territory, unnest($p_k::INTEGER[]) AS k,
                   unnest($p_t0::TIMESTAMP[]) AS p0, unnest($p_t1::TIMESTAMP[]) AS p1)"""


def period_params(
    bounds: Mapping[str, Sequence[tuple[datetime, datetime]]],
) -> dict[str, Any]:
    """Bound parameters of :data:`PERIODS_CTE`: territory -> its periods, ``k`` being the
    index of the period in the territory's list."""
    items = [(slug, k, b) for slug, bs in bounds.items() for k, b in enumerate(bs)]
    return {"p_terr": [x[0] for x in items], "p_k": [x[1] for x in items],
            "p_t0": [x[2][0] for x in items], "p_t1": [x[2][1] for x in items]}


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


def territory_params(
    windows: Sequence[tuple[Territory, datetime, datetime]], platform: str | None = None
) -> dict[str, Any]:
    """Common parameters of a statement over the territories of ``windows`` (each with its
    window ``[t0, t1)``); ``platform`` restricts every part of a query to one platform."""
    accounts = [(t.slug, n, a) for t, _, _ in windows for n, a in enumerate(t.accounts)]
    t0s, t1s = [to_utc(w[1]) for w in windows], [to_utc(w[2]) for w in windows]
    return {
        "terr": windows[0][0].slug if len(windows) == 1 else None,
        "platform": check_platform(platform),
        "w_terr": [t.slug for t, _, _ in windows],
        "w_idx": list(range(len(windows))),
        "w_listed": [[h.lower() for h in t.local_accounts] for t, _, _ in windows],
        "w_excluded": [[h.lower() for h in t.exclude_accounts] for t, _, _ in windows],
        "c_terr": [x[0] for x in accounts],
        "c_platform": [x[2].platform for x in accounts],
        "c_handle": [x[2].handle for x in accounts],
        "c_ord": [x[1] for x in accounts],
        "t0": min(t0s),
        "t1": max(t1s),
    }


def base_params(
    territory: Territory, t0: datetime, t1: datetime, platform: str | None = None
) -> dict[str, Any]:
    """:func:`territory_params` of one territory."""
    return territory_params([(territory, t0, t1)], platform)


def city_accounts(con: Con, territory: Territory) -> list[tuple[str, str, str]]:
    """``(platform, handle, id)`` of the territory's accounts whose ids are known."""
    p = base_params(territory, datetime(1970, 1, 1), datetime(1970, 1, 1))
    del p["t0"], p["t1"]
    sql = compose(with_ctes(CITY_CTE), "SELECT platform, handle, id FROM city_ids ORDER BY ord")
    return [tuple(r) for r in con.execute(sql, p).fetchall()]  # type: ignore[misc]


def profile_fold(location: str, description: str) -> str:
    """The SQL of a profile's fold: its location and bio, lower case without accents, as
    the loader keeps them in ``accounts.profile_fold`` (the text the locality pattern reads;
    :func:`_fold` is the same in Python)."""
    return (f"strip_accents(lower(coalesce({location}, '') || chr(10) "
            f"|| coalesce({description}, '')))")


def _fold(text: str) -> str:
    """Lower case without accents, as DuckDB's ``strip_accents(lower(x))``."""
    decomposed = unicodedata.normalize("NFD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _is_word(ch: str) -> bool:
    r"""A letter or a digit: RE2's ``[\p{L}\p{N}]``."""
    return unicodedata.category(ch)[0] in "LN"


def _marked_escape(text: str) -> str:
    """``text`` as :func:`marked_profile` writes it, as an RE2 pattern: letters and digits
    as they are, every other character escaped and between two marks."""
    return "".join(ch if _is_word(ch) else f"\\x{{1}}\\x{{{ord(ch):X}}}\\x{{1}}" for ch in text)


def marked_profile(fold: str) -> str:
    r"""The SQL of a profile's fold (``fold``, an expression: :func:`profile_fold`) *marked*,
    as the loader keeps it in ``accounts.profile_marked``: each character that is neither a
    letter nor a digit between two U+0001 marks, and a mark at each end (a U+0001 of the
    text is read as U+0002 first). A term is a whole word of the fold exactly where its
    marked form stands between two marks of the marked fold (:func:`locality_pattern`).

    Why: a pattern with the Unicode classes ``[^\p{L}\p{N}]`` takes RE2 3.7 ms to compile,
    and DuckDB compiles a statement's constant pattern once more for each thread: each
    territory's locality pattern cost 10 ms a statement, 0.26 s of the baromètre's 0.8 s at
    30 territories. Marked at load, the text needs no class, and a pattern compiles in a
    tenth of that."""
    return (f"(chr(1) || regexp_replace(replace({fold}, chr(1), chr(2)), "
            r"'([^\p{L}\p{N}])', chr(1) || '\1' || chr(1), 'g') || chr(1))")


def locality_pattern(terms: tuple[str, ...] | list[str]) -> str | None:
    """An RE2 pattern matching any term as a whole word of a folded (lower, unaccented)
    profile, read in its marked form (:func:`marked_profile`, which spares the pattern any
    Unicode class).

    "Whole word": not preceded or followed by a letter or a digit, so ``35`` matches
    ``rennes (35)`` but not ``1935``. ``None`` when there are no terms.
    """
    folded = sorted({_fold(t).strip() for t in terms if t.strip()}, key=lambda s: (-len(s), s))
    if not folded:
        return None
    alternatives = "|".join(_marked_escape(t) for t in folded)
    return rf"\x{{1}}(?:{alternatives})\x{{1}}"


def locality_params(territories: Territory | Sequence[Territory]) -> dict[str, Any]:
    """``$re_<i>``: the locality pattern of the statement's territory of index ``i``."""
    terrs = [territories] if isinstance(territories, Territory) else territories
    return {f"re_{i}": locality_pattern(t.locality_terms) for i, t in enumerate(terrs)}


@functools.cache
def local_predicate(n: int) -> str:
    """Whether the account ``a`` (a row of ``accounts``) is local to the territory ``w`` (a
    row of ``terrs``), in a statement over ``n`` territories. Needs the ``city`` CTE. Each
    territory's pattern is a parameter of its own, chosen by the territory's index: a
    pattern read from a column would be compiled again for every row."""
    case = "\n".join(_LOCAL_WHEN.replace("{i}", str(i)) for i in range(n))
    return _LOCAL_PREDICATE.replace("{case}", case)


_LOCAL_WHEN = """WHEN {i} THEN $re_{i}::VARCHAR IS NOT NULL AND regexp_matches(
    a.profile_marked, coalesce($re_{i}::VARCHAR, '^$'))"""
_LOCAL_PREDICATE = """
(NOT EXISTS (SELECT 1 FROM city c WHERE c.territory = w.territory AND c.platform = a.platform
             AND (c.id = a.id OR lower(c.handle) = lower(a.username)))
 AND NOT list_contains(w.loc_excluded, coalesce(lower(a.username), ''))
 AND (list_contains(w.loc_listed, coalesce(lower(a.username), ''))
      OR (CASE w.idx {case} END)))
"""


LOCAL_PREDICATE = local_predicate(1)
LOCAL_REASON = """
CASE WHEN list_contains(w.loc_listed, lower(a.username)) THEN 'listed' ELSE 'term' END
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
    CROSS JOIN terrs w
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


def url_expr(post_alias: str, user_alias: str, id_column: str = "id") -> str:
    """:data:`URL_EXPR` for the given table aliases and the post's id column (constant
    identifiers)."""
    return (URL_EXPR.replace("{p}.id", f"{post_alias}.{id_column}")
            .replace("{p}", post_alias).replace("{u}", user_alias))
