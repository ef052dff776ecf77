"""Incremental collection state: where each query stopped, kept in ``collect_state``.

Platform-neutral. A *query* is identified by :class:`StateKey` (territory, platform,
endpoint, query text). Its row holds:

* ``since_id``: everything up to this id has landed; the next pass asks only for newer
  posts. It only ever moves forward (numeric ids compare as numbers, others as text).
* ``cursor``: the token of the next page of a pagination still in progress (``None``
  when the last pass finished). A re-run resumes from it instead of starting over.
* ``newest_seen``: the newest id of the pagination in progress (the first page's
  ``meta.newest_id``); it becomes ``since_id`` when the pagination ends.

Why not advance ``since_id`` page by page? APIs page from newest to oldest: moving
``since_id`` to the first page's newest id and then crashing would skip every older page
for ever. So ``since_id`` moves once the whole pagination has landed, and the cursor makes
a crash cost nothing but a resumed request.

State changes are plain dicts (:func:`page_update`) so they can travel inside a spool file
with the page they describe (:mod:`collectors.spool`) and be applied by :func:`apply_update`
in the same transaction that lands the page (``load_pages(before_commit=...)``): the state
never claims a page that did not land.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb

from warehouse import collect as sql


@dataclass(frozen=True)
class StateKey:
    territory: str
    platform: str
    endpoint: str  # e.g. "/2/users/:id/mentions"
    query: str  # the query text or the parameters that identify it (e.g. the user id)


@dataclass(frozen=True)
class QueryState:
    since_id: str | None = None
    cursor: str | None = None
    newest_seen: str | None = None

    @property
    def resuming(self) -> bool:
        return self.cursor is not None


def newer(a: str | None, b: str | None) -> str | None:
    """The newer of two ids (numeric ids compare as numbers, others as text)."""
    if a is None:
        return b
    if b is None:
        return a
    if a.isdigit() and b.isdigit():
        return a if int(a) >= int(b) else b
    return a if a >= b else b


def get_state(con: duckdb.DuckDBPyConnection, key: StateKey) -> QueryState:
    row = sql.get_state(con, key.territory, key.platform, key.endpoint, key.query)
    return QueryState(*row) if row else QueryState()


def page_update(
    key: StateKey,
    before: QueryState,
    *,
    newest_id: str | None,
    next_cursor: str | None,
) -> dict[str, Any]:
    """The state after one page of a pagination that started in state ``before``.

    ``newest_id`` is the page's newest id (X: ``meta.newest_id``), ``next_cursor`` the next
    page's token (``None`` on the last page). Returns a JSON-able update for
    :func:`apply_update`.
    """
    newest = newer(before.newest_seen, newest_id) if before.resuming else newest_id
    if next_cursor:
        return {
            **key.__dict__,
            "since_id": before.since_id,
            "cursor": next_cursor,
            "newest_seen": newest,
        }
    return {
        **key.__dict__,
        "since_id": newer(before.since_id, newest),
        "cursor": None,
        "newest_seen": None,
    }


def after_page(before: QueryState, update: dict[str, Any]) -> QueryState:
    """The :class:`QueryState` an update leads to (to chain pages without re-reading)."""
    return QueryState(
        since_id=newer(before.since_id, update.get("since_id")),
        cursor=update.get("cursor"),
        newest_seen=update.get("newest_seen"),
    )


def apply_update(con: duckdb.DuckDBPyConnection, update: dict[str, Any]) -> None:
    """Write one update (call inside the transaction that lands its page).

    ``since_id`` never moves backwards, even if an older update is replayed.
    """
    key = StateKey(update["territory"], update["platform"], update["endpoint"], update["query"])
    current = get_state(con, key)
    sql.put_state(
        con,
        key.territory,
        key.platform,
        key.endpoint,
        key.query,
        newer(current.since_id, update.get("since_id")),
        update.get("cursor"),
        update.get("newest_seen"),
        datetime.now(UTC).replace(tzinfo=None),
    )


def drop_cursor(con: duckdb.DuckDBPyConnection, key: StateKey) -> None:
    """Forget a pagination in progress (its token expired): the next pass starts over
    from ``since_id``; pages already landed are loaded again idempotently."""
    current = get_state(con, key)
    apply_update(
        con, {**key.__dict__, "since_id": current.since_id, "cursor": None, "newest_seen": None}
    )


def reset_since_id(con: duckdb.DuckDBPyConnection, key: StateKey) -> None:
    """Forget ``since_id`` (the API refused it, e.g. older than a search's window)."""
    sql.put_state(
        con,
        key.territory,
        key.platform,
        key.endpoint,
        key.query,
        None,
        None,
        None,
        datetime.now(UTC).replace(tzinfo=None),
    )
