"""The territory and its city accounts, as configured, stored beside the data they scope."""

from __future__ import annotations

import json

import duckdb

from model import Territory, parse_config


def save_territory(con: duckdb.DuckDBPyConnection, territory: Territory) -> None:
    """Insert or update the territory and replace its account list (keeping resolved ids)."""
    con.execute(
        """
        INSERT OR REPLACE INTO territories VALUES (?, ?, ?, ?, ?, now()::TIMESTAMP)
        """,
        [
            territory.slug,
            territory.name,
            territory.timezone,
            territory.holidays,
            json.dumps(territory.raw),
        ],
    )
    known = dict(
        ((p, h), uid)
        for p, h, uid in con.execute(
            "SELECT platform, handle, user_id FROM territory_accounts WHERE territory = ?",
            [territory.slug],
        ).fetchall()
    )
    con.execute("DELETE FROM territory_accounts WHERE territory = ?", [territory.slug])
    for a in territory.accounts:
        user_id = known.get((a.platform, a.handle)) or _find_user_id(con, a.platform, a.handle)
        con.execute(
            "INSERT INTO territory_accounts VALUES (?, ?, ?, ?, ?, ?)",
            [territory.slug, a.platform, a.handle, user_id, a.label, a.service_hours],
        )


def _find_user_id(con: duckdb.DuckDBPyConnection, platform: str, handle: str) -> str | None:
    row = con.execute(
        "SELECT id FROM accounts WHERE platform = ? AND lower(username) = lower(?) "
        "ORDER BY fetched_at DESC LIMIT 1",
        [platform, handle],
    ).fetchone()
    return row[0] if row else None


def resolve_account_ids(con: duckdb.DuckDBPyConnection, territory: str | None = None) -> int:
    """Fill ``territory_accounts.user_id`` from landed profiles; return how many were set."""
    before = con.execute(
        "SELECT count(*) FROM territory_accounts WHERE user_id IS NULL"
    ).fetchone()[0]  # type: ignore[index]
    con.execute(
        """
        UPDATE territory_accounts SET user_id = a.id
        FROM accounts a
        WHERE territory_accounts.user_id IS NULL AND a.platform = territory_accounts.platform
          AND lower(a.username) = lower(territory_accounts.handle)
          AND (? IS NULL OR territory_accounts.territory = ?)
        """,
        [territory, territory],
    )
    after = con.execute("SELECT count(*) FROM territory_accounts WHERE user_id IS NULL").fetchone()[
        0
    ]  # type: ignore[index]
    return int(before - after)


def set_account_id(
    con: duckdb.DuckDBPyConnection, territory: str, platform: str, handle: str, user_id: str
) -> None:
    con.execute(
        "UPDATE territory_accounts SET user_id = ? "
        "WHERE territory = ? AND platform = ? AND lower(handle) = lower(?)",
        [user_id, territory, platform, handle],
    )


def load_territories(con: duckdb.DuckDBPyConnection) -> list[Territory]:
    """Every territory stored in the warehouse, parsed back from its saved configuration."""
    rows = con.execute("SELECT slug, config FROM territories ORDER BY slug").fetchall()
    return [parse_config(json.loads(cfg), source=f"warehouse:{slug}") for slug, cfg in rows]


def city_account_ids(con: duckdb.DuckDBPyConnection, territory: str) -> list[tuple[str, str]]:
    """``(platform, user_id)`` of the territory's own accounts whose ids are known."""
    return con.execute(
        "SELECT platform, user_id FROM territory_accounts "
        "WHERE territory = ? AND user_id IS NOT NULL",
        [territory],
    ).fetchall()
