"""The city accounts' ids (warehouse.metrics_base.CITY_CTE): territory_accounts first, else the
newest landed profile of the handle (any case), else none. The profiles are read only for the
handles territory_accounts leaves unresolved (a join with an empty side: no scan of accounts)."""

from __future__ import annotations

import json
from datetime import datetime

from tests.scenario import make_territory
from warehouse.metrics_base import CITY_CTE, base_params, city_accounts, compose, with_ctes


def _profile(con, id_: str, username: str, fetched_at: str) -> None:
    con.execute(
        "INSERT INTO accounts (platform, id, username, fetched_at, page_id) "
        "VALUES ('x', ?, ?, ?, 'p1')",
        [id_, username, fetched_at],
    )


def test_territory_accounts_first_then_newest_profile_then_none(con) -> None:
    t = make_territory()  # ville, ville_sortir (x), ville_proprete (x)
    handles = [a.handle for a in t.accounts]
    assert handles == ["ville", "ville_sortir", "ville_proprete"], handles
    con.execute(
        "INSERT INTO territory_accounts (territory, platform, handle, user_id) VALUES "
        "(?, 'x', 'Ville', '100'), (?, 'x', 'ville_sortir', NULL)",
        [t.slug, t.slug],
    )
    _profile(con, "999", "ville", "2024-01-01")  # resolved by territory_accounts: unused
    _profile(con, "201", "Ville_Sortir", "2024-01-01")
    _profile(con, "202", "ville_sortir", "2024-02-01")  # the newest profile wins
    _profile(con, "200", "VILLE_SORTIR", "2024-02-01")  # same instant: the smaller id
    # ville_proprete: no profile, no id
    assert city_accounts(con, t) == [("x", "ville", "100"), ("x", "ville_sortir", "200")]


def test_every_handle_resolved_reads_no_profile(con, tmp_path) -> None:
    t = make_territory()
    for a in t.accounts:
        con.execute(
            "INSERT INTO territory_accounts (territory, platform, handle, user_id) "
            "VALUES (?, ?, ?, ?)",
            [t.slug, a.platform, a.handle, f"id-{a.handle}"],
        )
    for i in range(3000):
        _profile(con, str(i), f"user{i}", "2024-01-01")
    p = base_params(t, datetime(1970, 1, 1), datetime(1970, 1, 1))
    del p["t0"], p["t1"]
    out = tmp_path / "profile.json"
    con.execute("PRAGMA enable_profiling='json'")
    con.execute(f"PRAGMA profiling_output='{out}'")
    got = con.execute(compose(with_ctes(CITY_CTE), "SELECT id FROM city ORDER BY ord"),
                      p).fetchall()
    con.execute("PRAGMA disable_profiling")
    assert got == [(f"id-{a.handle}",) for a in t.accounts]

    def scanned(node: dict, table: str) -> int:
        own = (node.get("rows_scanned", 0) if node.get("type") == "TABLE_SCAN"
               and node.get("extra_info", {}).get("Table", "").endswith(f".{table}") else 0)
        return own + sum(scanned(c, table) for c in node.get("children", []))

    prof = json.loads(out.read_text())
    rows = sum(scanned(op, "accounts") for op in prof["operator"])
    assert rows < 3000, f"{out}: accounts scanned {rows} rows with every id resolved"
