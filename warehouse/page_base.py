"""What the dashboard's page queries share (the ``warehouse/page_*.py`` modules).

The page modules hold the aggregates a page draws that are not headline metrics. Every
function takes a connection (a cursor on the read-only snapshot in the dashboard) and
explicit time arguments, never the clock, and returns only what a page draws.

Definitions are never re-stated there: interpellations, answers and relays come from the
metric modules' own CTEs (:mod:`warehouse.interpellations`, :mod:`warehouse.relays`,
:mod:`warehouse.activity`), composed into each aggregate's statement, so a page's figures
are computed where the rows are and only the result leaves DuckDB (at 10M posts a 4-week
window holds half a million interpellations); the territory's posts and city accounts come
from the shared SQL fragments of :mod:`warehouse.metrics_base`. All values are bound
parameters; the SQL text is constant (docs/design.md §14).

``platform`` (``x``, ``bluesky``, ``mastodon`` or ``None`` for all) restricts a query to
one platform exactly as the metric functions' own ``platform`` keyword does: the shared
fragments (territory posts, city accounts) read it from :func:`base_params`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd

from model import PLATFORMS, Territory
from warehouse import activity, interpellations, relays
from warehouse.metrics_base import CITY_CTE, Con, compose, window_utc, with_ctes
from warehouse.post_lookup import post_details

_LOCAL_TS = "timezone($tz, timezone('UTC', {col}))"  # naive UTC → naive local time


def local(col: str) -> str:
    """The SQL of column ``col`` (naive UTC) as naive local time (``$tz``)."""
    return _LOCAL_TS.replace("{col}", col)


def bucket(grain: str, col: str) -> str:
    """The SQL of the local day (or Monday of the week) of column ``col``."""
    return f"date_trunc('week', {local(col)})::DATE" if grain == "week" else f"{local(col)}::DATE"


def platform_kw(platform: str | None) -> dict[str, str]:
    """The ``platform`` keyword for a metric function (omitted when every platform)."""
    return {"platform": platform} if platform else {}


def params(territory: Territory, since: date, until: date, platform: str | None = None
           ) -> dict[str, Any]:
    """Window, city accounts, tracked hashtags (:func:`warehouse.activity.params`) and time
    zone, as bound parameters."""
    return {**activity.params(territory, since, until, platform), "tz": territory.timezone}


# The window's interpellations judged at as_of, brief, as the CTE ``_dq_inter``: every
# responsiveness aggregate is one statement over them, so no row leaves DuckDB (at 10M posts
# a 4-week window holds half a million interpellations).
INTER_CTES = (CITY_CTE, *interpellations.BRIEF_CTES,
              f"_dq_inter AS ({interpellations.BRIEF_SELECT})")
# ... and the window's relays (``rel``: no locality needed to count them) as ``_dq_rel``
REL_CTES = (relays.REL_CTE,
            "_dq_rel AS (SELECT platform, post_id, author_id, created_at FROM rel)")
# posts mentioning a city account (by others, reposts excluded): kept at load time
# (warehouse/facts.py)
MENTIONED_CTE = """
mentioned AS (
    SELECT platform, post_id AS id, created_at FROM mention_facts
    WHERE territory = $terr AND created_at >= $t0 AND created_at < $t1
      AND ($platform::VARCHAR IS NULL OR platform = $platform::VARCHAR)
)"""


def inter_params(con: Con, territory: Territory, since: date, until: date, as_of: datetime,
                 platform: str | None = None, account: str | None = None) -> dict[str, Any]:
    """Parameters of the statements over ``_dq_inter`` and ``_dq_rel`` (``account``: a
    handle, or None for every account)."""
    values = interpellations.brief_params(
        con, territory, *window_utc(territory, since, until), as_of, platform)
    return {**values, "account": account or None}


def grain_for(since: date, until: date) -> str:
    """Bucket size for a chart over ``[since, until)``: a day up to 3 months, else a week."""
    return "day" if (until - since).days <= 92 else "week"


def periods(since: date, until: date, grain: str) -> list[date]:
    """Every bucket of ``[since, until)``: each day, or each week's Monday."""
    if grain == "week":
        start = since - timedelta(days=since.weekday())
        return [start + timedelta(weeks=i) for i in range(((until - start).days + 6) // 7)]
    return [since + timedelta(days=i) for i in range((until - since).days)]


def platforms(territory: Territory, seen_in: pd.Series, platform: str | None = None
              ) -> list[str]:
    """The territory's platforms (configured accounts, then any in ``seen_in``), in the
    order of :data:`model.PLATFORMS`."""
    if platform:
        return [platform]
    seen = {a.platform for a in territory.accounts} | set(seen_in.dropna().unique())
    return [p for p in PLATFORMS if p in seen] + sorted(seen - set(PLATFORMS))


def with_post_details(con: Con, rows: pd.DataFrame) -> pd.DataFrame:
    """``rows`` (``platform``, ``post_id``, ``created_at`` …) plus each post's author, text
    and address: the listed rows only, so a chart's thousands of rows never carry their
    texts (:func:`warehouse.post_lookup.post_details`)."""
    return post_details(con, rows)


# -- one computation of the window for a page's figures -------------------------------------
# A figure is ``(ctes, select)``: a select over the window's rows (a CTE such as ``_dq_inter``
# or ``relays``), with CTEs of its own. Alone, its statement computes the window too
# (:func:`alone`); a page that draws several figures of one window computes it once, as a
# temporary table of the cursor (:func:`window_table`), and runs each figure over it
# (:func:`on_table`): docs/design.md §8.
Figure = tuple[tuple[str, ...], str]


def alone(window_ctes: tuple[str, ...], figure: Figure) -> str:
    """The statement of ``figure`` computing its window (``window_ctes``) itself."""
    ctes, select = figure
    return compose(with_ctes(*window_ctes, *ctes), select)


def on_table(figure: Figure) -> str:
    """The statement of ``figure`` over the window's temporary table (:func:`window_table`)."""
    ctes, select = figure
    return compose(with_ctes(*ctes), select) if ctes else select


def bind(sql: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """The values of ``values`` that ``sql`` names (``$name``): DuckDB refuses any other."""
    return {k: v for k, v in values.items() if re.search(rf"\${re.escape(k)}\b", sql)}


@contextmanager
def window_table(con: Con, name: str, window_ctes: tuple[str, ...],
                 values: Mapping[str, Any]) -> Iterator[None]:
    """For the block, the CTE ``name`` of ``window_ctes`` (its rows for ``values``) as a
    temporary table ``name`` of ``con``, dropped after. ``name`` is a constant of the caller."""
    if not name.isidentifier():
        raise ValueError(f"not a table name: {name!r}")
    sql = compose(f"CREATE TEMP TABLE {name} AS", with_ctes(*window_ctes),
                  f"SELECT * FROM {name}")  # noqa: S608 (a constant identifier, checked)
    con.execute(sql, bind(sql, values))
    try:
        yield
    finally:
        con.execute(f"DROP TABLE IF EXISTS temp.{name}")
