"""Account profiles for the privacy rules of shared views (``territoires.privacy``) and the
weekly review (``territoires.report``).

Given the accounts a page is about to show, returns what the pseudonymisation rule needs:
whether the account is one of the territory's own (C), its verification, and its follower
count (the most recently fetched copy, as every other query). All values are bound
parameters; the SQL text is constant.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import pandas as pd

from model import Territory
from warehouse.metrics_base import CITY_CTE, Con, base_params, compose, with_ctes

_PROFILES_SQL = compose(
    with_ctes(CITY_CTE),
    """,
wanted AS (SELECT unnest($k_platform::VARCHAR[]) AS platform,
                  unnest($k_id::VARCHAR[]) AS id)
SELECT w.platform, w.id, a.username, a.name,
       coalesce(a.verified, false) AS verified, a.verified_type,
       a.followers_count,
       (c.id IS NOT NULL
        OR lower(coalesce(a.username, '')) IN (SELECT lower(handle) FROM city
                                               WHERE city.platform = w.platform)) AS is_city
FROM wanted w
LEFT JOIN accounts a ON a.platform = w.platform AND a.id = w.id
LEFT JOIN city_ids c ON c.platform = w.platform AND c.id = w.id
ORDER BY w.platform, w.id
""",
)

def _keys(keys: Iterable[tuple[str, str]]) -> tuple[list[str], list[str]]:
    uniq = sorted({(str(p), str(i)) for p, i in keys if p is not None and i is not None})
    return [p for p, _ in uniq], [i for _, i in uniq]


def account_profiles(con: Con, territory: Territory,
                     keys: Iterable[tuple[str, str]]) -> pd.DataFrame:
    """``platform, id, username, name, verified, verified_type, followers_count, is_city`` for
    each ``(platform, account id)`` asked (unknown accounts: NULL profile, not city)."""
    platforms, ids = _keys(keys)
    params = base_params(territory, datetime(1970, 1, 1), datetime(1970, 1, 1))
    del params["t0"], params["t1"]
    params.update(k_platform=platforms, k_id=ids)
    return con.execute(_PROFILES_SQL, params).df()
