"""When the derived tables are recomputed: the one policy (docs/design.md §5).

The derived tables are the facts (:mod:`warehouse.facts`: the territory timeline,
interpellations with their first answers, relays, hashtags, mentions, authors,
conversations) and the daily rollups (:mod:`warehouse.rollups`: ``daily_posts``,
``daily_activity``). Each event that changes posts calls one function
here:

======================================  =====================================================
event (caller)                          what is recomputed
======================================  =====================================================
a batch lands (:mod:`warehouse.load`)    :func:`after_batch`: the facts the batch's posts can
                                        change, then the daily rollups of the days of those
                                        posts (an older interpellation whose answer landed,
                                        a relay whose original landed: their own days too)
a bulk import's batch lands (import,    :func:`after_bulk_batch`: its territories marked stale
the demo: ``load_pages(bulk=True)``)    (recomputed whole before the snapshot); rollups now
                                        only for territories without a configuration
a purge starts                          :func:`before_purge`: every stale territory whole,
(:mod:`warehouse.retention`)             so the days about to freeze count from whole facts
posts are about to be purged            :func:`before_freezing`: the rollups of the posts'
(:mod:`warehouse.retention`)             days, while they are still there (those days then
                                        freeze), every territory's before any deletion
posts, mentions or territory            :func:`after_deletion`: the deleted posts' facts go
memberships are deleted (purge,         now, every territory is marked stale
erasure, :mod:`warehouse.deletion`)
an erasure deletes posts                :func:`rollup_days` before, :func:`refresh_rollup_days`
(:mod:`warehouse.forget`)                after: the rollups of the erased posts' days
before purge or erasure commits         :func:`settle`: every stale territory recomputed whole
``rebuild`` replayed the raw pages      :func:`after_rebuild`: every territory whole, the
(:func:`warehouse.load.rebuild`)         daily rollups once
before a snapshot is published          :func:`before_publish`: every stale territory whole,
(:func:`warehouse.db.publish_snapshot`)  then each closed week's facts in territory order
======================================  =====================================================

A territory is stale when it was marked so, or when its configuration or its city accounts'
ids differ from those its facts were computed with (``facts_state.signature``). Recomputing
a territory whole recomputes its daily rollups too, from its fresh timeline
(:func:`warehouse.facts.ensure_current`).

The batch reaches the recomputation through two temp tables that the loader leaves in the
batch's transaction (:func:`warehouse.load.normalise`); their names are this contract:
"""

from __future__ import annotations

from typing import Any

import duckdb

from warehouse import facts, facts_layout, rollups

Con = duckdb.DuckDBPyConnection

# Every post copy of the batch that landed, one row per copy (columns ``page_id``,
# ``platform``, ``territory``, ``fetched_at``, ``in_data``, ``id``, ``author_id``,
# ``created_at``, ...), after the retention horizon was applied to it.
BATCH_COPIES = "_copies"
# The older posts whose ``conversation_id`` the batch filled in (``platform``, ``id``): their
# conversation may have changed.
CONV_FILLED = "_conv_filled"
# The posts whose facts the batch recomputed (``territory``, ``platform``, ``created_at``
# rounded down to 15 minutes), left by :func:`warehouse.facts.refresh_batch` for the rollups.
FACT_SCOPE = "_fact_scope"

Days = list[tuple[str, str, Any]]  # (territory, platform, local day) of daily rollups


def after_batch(con: Con) -> None:
    """A batch landed: recompute what its posts can change, in the batch's transaction."""
    facts.refresh_batch(con, BATCH_COPIES, CONV_FILLED, FACT_SCOPE)  # and the timeline
    rollups.refresh_batch(con, BATCH_COPIES, FACT_SCOPE)  # the days touched, from the timeline


def after_bulk_batch(con: Con) -> None:
    """A bulk import's batch landed: its territories are recomputed whole once, before the
    snapshot (:func:`before_publish`), even if the import stops half-way; territories
    without a configuration (no facts) get their daily rollups now."""
    facts.mark_stale(con, BATCH_COPIES)
    rollups.refresh_unconfigured_batch(con, BATCH_COPIES)


def before_freezing(con: Con, ids_table: str) -> None:
    """The posts of ``ids_table`` (``platform``, ``id``) are about to be purged: refresh the
    daily rollups of their days while they are here (those days then freeze). Their counts
    come from the facts, so stale facts (a bulk import that stopped before its snapshot) are
    recomputed first (:func:`before_purge`); call it for every territory before deleting
    anything."""
    rollups.refresh_posts(con, ids_table)


def before_purge(con: Con) -> list[str]:
    """A purge starts: the rollups of the days about to freeze are counted from the facts
    (:func:`before_freezing`), so any stale territory (a bulk import that stopped before its
    snapshot) is recomputed whole first. Returns their slugs."""
    return facts.ensure_current(con)


def after_deletion(con: Con, ids_table: str | None = None) -> None:
    """Posts (those of ``ids_table``: ``platform``, ``id``), mentions or territory
    memberships were deleted: the deleted posts' facts go now, and every territory is
    recomputed whole by the next :func:`settle` or :func:`before_publish`."""
    if ids_table is not None:
        facts.delete_posts(con, ids_table)
    facts.invalidate(con)


def rollup_days(con: Con, ids_table: str) -> Days:
    """The daily rollup rows of the posts of ``ids_table``, to refresh once they are gone."""
    return rollups.days_of_posts(con, ids_table)


def refresh_rollup_days(con: Con, days: Days) -> None:
    """Recompute the daily rollup rows ``days`` (frozen days are kept as they are)."""
    rollups.refresh_days(con, days)


def settle(con: Con) -> list[str]:
    """Before a purge or an erasure commits: every stale territory recomputed whole, in the
    caller's transaction. Returns their slugs."""
    return facts.ensure_current(con)


def after_rebuild(con: Con) -> None:
    """Every table was replayed from the raw pages (and the retention horizon applied):
    every territory recomputed whole, the daily rollups computed once each (configured
    territories' from their timelines, the others' from their posts)."""
    facts.invalidate(con)
    rollups.refresh_unconfigured(con)
    facts.ensure_current(con)


def before_publish(con: Con) -> list[str]:
    """Before a snapshot is published: every stale territory recomputed whole (and the facts
    of territories no longer configured dropped), then each closed week's facts put in
    territory order if a collection interleaved them (:mod:`warehouse.facts_layout`: the
    rows' order only). Returns the slugs recomputed."""
    done = facts.ensure_current(con)
    facts_layout.order_closed_weeks(con)
    return done
