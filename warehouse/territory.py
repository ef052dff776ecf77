"""The territory and its city accounts, as configured, stored beside the data they scope."""

from __future__ import annotations

import json

import duckdb

from model import Territory, parse_config


def save_territory(con: duckdb.DuckDBPyConnection, territory: Territory) -> None:
    """Insert or update the territory and replace its account list (keeping resolved ids)."""
    con.execute(
        """
        INSERT OR REPLACE INTO territories
        VALUES ($slug, $name, $timezone, $holidays, $config, now()::TIMESTAMP)
        """,
        {
            "slug": territory.slug,
            "name": territory.name,
            "timezone": territory.timezone,
            "holidays": territory.holidays,
            "config": json.dumps(territory.raw),
        },
    )
    known = dict(
        ((p, h), uid)
        for p, h, uid in con.execute(
            "SELECT platform, handle, user_id FROM territory_accounts WHERE territory = $slug",
            {"slug": territory.slug},
        ).fetchall()
    )
    con.execute("DELETE FROM territory_accounts WHERE territory = $slug", {"slug": territory.slug})
    for a in territory.accounts:
        user_id = known.get((a.platform, a.handle)) or _find_user_id(con, a.platform, a.handle)
        con.execute(
            "INSERT INTO territory_accounts"
            " VALUES ($slug, $platform, $handle, $user_id, $label, $service_hours)",
            {"slug": territory.slug, "platform": a.platform, "handle": a.handle,
             "user_id": user_id, "label": a.label, "service_hours": a.service_hours},
        )


def _find_user_id(con: duckdb.DuckDBPyConnection, platform: str, handle: str) -> str | None:
    row = con.execute(
        "SELECT id FROM accounts WHERE platform = $platform AND lower(username) = lower($handle) "
        "ORDER BY fetched_at DESC LIMIT 1",
        {"platform": platform, "handle": handle},
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
          AND ($territory::VARCHAR IS NULL OR territory_accounts.territory = $territory::VARCHAR)
        """,
        {"territory": territory},
    )
    after = con.execute("SELECT count(*) FROM territory_accounts WHERE user_id IS NULL").fetchone()[
        0
    ]  # type: ignore[index]
    return int(before - after)


def set_account_id(
    con: duckdb.DuckDBPyConnection, territory: str, platform: str, handle: str, user_id: str
) -> None:
    con.execute(
        "UPDATE territory_accounts SET user_id = $user_id "
        "WHERE territory = $territory AND platform = $platform AND lower(handle) = lower($handle)",
        {"user_id": user_id, "territory": territory, "platform": platform, "handle": handle},
    )


def load_territories(con: duckdb.DuckDBPyConnection) -> list[Territory]:
    """Every territory stored in the warehouse, parsed back from its saved configuration."""
    rows = con.execute("SELECT slug, config FROM territories ORDER BY slug").fetchall()
    return [parse_config(json.loads(cfg), source=f"warehouse:{slug}") for slug, cfg in rows]
