"""Looking up a few posts' columns in ``posts`` with their ``created_at``.

DuckDB uses no index for ``posts``' key ``(platform, id)``: a lookup by key alone reads
every post's key (0.36 s and more at 10M posts), where a lookup that also carries the
post's ``created_at`` reads only the row groups of that instant once ``posts`` lies in time
order (0.020 s): docs/benchmark.md, "Posts in time order, measured". So every lookup on a
page's path gives the instant when it is known.

When the rows looked up carry no instant of their own (a relayed original, a conversation's
root), :func:`lookup_ctes` takes it from the narrow ``territory_timeline`` (the
territory's posts with their ``created_at``, copied from ``posts`` by warehouse/facts.py;
read for the one territory ``$terr``). Not from the X snowflake id (its instant, ``(id >> 22) +
1288834974657`` ms): that holds for X ids only, and not for every id a test or an import
gives. A key the timeline does not hold is looked up by key alone, as before: that branch
reads nothing when every key was found (an empty join side ends the scan).
"""

from __future__ import annotations

_AT = """
{name}_at AS (  -- each key's instant, from the territory's timeline (warehouse/post_lookup.py)
    SELECT k.platform, k.id, t.created_at AS at
    FROM (SELECT DISTINCT platform, id FROM {keys}) k
    LEFT JOIN territory_timeline t
           ON t.territory = $terr AND t.platform = k.platform AND t.post_id = k.id
)"""
_FOUND = """
{name} AS (
    SELECT p.platform, p.id, {columns}
    FROM {name}_at k JOIN posts p
         ON p.platform = k.platform AND p.id = k.id AND p.created_at = k.at
    UNION ALL  -- not in the timeline: by key alone
    SELECT p.platform, p.id, {columns}
    FROM {name}_at k JOIN posts p ON p.platform = k.platform AND p.id = k.id
    WHERE k.at IS NULL
)"""


def lookup_ctes(name: str, keys: str, columns: str) -> tuple[str, str]:
    """Two CTEs: ``{name}_at`` (each key of ``keys`` with its instant, if the territory's
    timeline holds it) and ``{name}`` (``platform, id`` and ``columns``, ``p.…``, of each
    key found in ``posts``): what ``keys LEFT JOIN posts`` on the key alone gives.

    ``name``, ``keys`` (a CTE or table with ``platform, id``) and ``columns`` are constant
    SQL of the calling module, never user values; the statement binds ``$terr``.
    """
    parts = {"{name}": name, "{keys}": keys, "{columns}": columns}
    at, found = _AT, _FOUND
    for k, v in parts.items():
        at, found = at.replace(k, v), found.replace(k, v)
    return at, found
