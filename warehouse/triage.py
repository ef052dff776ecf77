"""Triage in the metric queries: each interpellation's latest decision at ``as_of`` and the
judgement "expects an answer" it gives (docs/metrics.md, "Réponse attendue et triage").

* The automatic judgement of a text is :func:`warehouse.expectation.expects_answer`, kept
  per post in ``post_expectations`` by the loader (:func:`fill_expectations`).
* A decision overrides it: ``no_answer_expected`` → no; ``handled_elsewhere`` → yes, and
  answered at the decision's time; ``forwarded`` → yes, still waiting; ``reopened`` → back
  to the automatic judgement. The latest decision made at or before ``as_of`` counts
  (:data:`TRIAGE_CTE`), so a figure at a past instant never changes with later triage.
* Decisions are read from the snapshot's copy (``triage_decisions``, refreshed by the writer,
  :func:`sync_copy`) plus the journal's decisions recorded since (:func:`overlay_params`):
  the journal file (``<db>.triage``) sits beside the warehouse file the connection opened.
* A ``note`` alone is history: it changes no judgement.
"""

from __future__ import annotations

import contextlib
import os
import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import pyarrow as pa

from model import Service, Territory
from warehouse import triage_journal as journal
from warehouse.expectation import RULES_VERSION, expects_answer

Con = duckdb.DuckDBPyConnection
F = TypeVar("F", bound=Callable[..., Any])
SNAPSHOT_SUFFIX = ".snapshot"

# The latest decision per interpellation made at or before as_of, per territory of the
# statement (``$w_terr``). ``arg_max_null``: a later decision without a service clears the
# service of an earlier one. Only the decisions about posts of the window [t0, t1) are read
# (a year of triage is not scanned for a week).
TRIAGE_CTE = """
tri AS (
    SELECT d.territory, d.platform, d.post_id,
           arg_max_null(d.decision, (d.decided_at, d.seq)) AS decision,
           max(d.decided_at) AS decided_at,
           arg_max_null(d.service, (d.decided_at, d.seq)) AS service
    FROM (
        SELECT territory, seq, platform, post_id, decision, decided_at, service,
               post_created_at
        FROM triage_decisions WHERE $terr::VARCHAR IS NULL OR territory = $terr::VARCHAR
        UNION ALL
        SELECT unnest($tr_terr::VARCHAR[]), unnest($tr_seq::BIGINT[]),
               unnest($tr_platform::VARCHAR[]),
               unnest($tr_post::VARCHAR[]), unnest($tr_decision::VARCHAR[]),
               unnest($tr_at::TIMESTAMP[]), unnest($tr_service::VARCHAR[]),
               unnest($tr_created::TIMESTAMP[])
    ) d
    WHERE d.decided_at <= $as_of::TIMESTAMP AND d.decision <> 'note'
      AND list_contains($w_terr::VARCHAR[], d.territory)
      AND coalesce(d.post_created_at >= $t0 AND d.post_created_at < $t1, true)
    GROUP BY d.territory, d.platform, d.post_id
)"""
# What a decision makes of the automatic judgement (``i``: the interpellation, ``tr``: tri)
EXPECTS_EXPR = """
CASE WHEN tr.decision = 'no_answer_expected' THEN false
     WHEN tr.decision IN ('handled_elsewhere', 'forwarded') THEN true
     ELSE i.expects_auto END"""
SOURCE_EXPR = """
CASE WHEN tr.decision IN ('no_answer_expected', 'handled_elsewhere', 'forwarded')
     THEN 'triage' ELSE 'auto' END"""


@contextlib.contextmanager
def _registered(con: Con, name: str, table: pa.Table) -> Iterator[None]:
    """``table`` readable as ``name`` by the connection for the block (explicitly: a Python
    variable found by DuckDB's replacement scan depends on the caller's frame)."""
    con.register(name, table)
    try:
        yield
    finally:
        con.unregister(name)


def reads_triage(fn: F) -> F:
    """Mark a query function whose result depends on the triage journal (the dashboard's
    cache adds the journal's version to its key: territoires/ui/data.py)."""
    fn.reads_triage = True  # type: ignore[attr-defined]
    return fn


def warehouse_file(con: Con) -> Path | None:
    """The warehouse file behind ``con`` (the writer's file, or the one whose snapshot a
    reader attached); None for an in-memory database."""
    rows = con.execute("SELECT path FROM duckdb_databases() "
                       "WHERE database_name = current_database()").fetchall()
    row = rows[0] if rows else None  # fetched whole: DuckDB 2.0 blocks an unfinished result
    if not row or not row[0]:
        return None
    path = str(row[0])
    return Path(path[: -len(SNAPSHOT_SUFFIX)] if path.endswith(SNAPSHOT_SUFFIX) else path)


# the parameters of the overlay: the journal's decisions (with their territory) since the copy
OVERLAY_KEYS = ("tr_terr", "tr_seq", "tr_platform", "tr_post", "tr_decision", "tr_at",
                "tr_service", "tr_created")


def overlay_params(con: Con, territory: Territory | Sequence[Territory]) -> dict[str, Any]:
    """``$tr_*``: the journal's decisions for ``territory`` (or for each of several)
    recorded after the copy in the warehouse ``con`` reads (empty lists when there are none,
    or no journal)."""
    out: dict[str, list[Any]] = {k: [] for k in OVERLAY_KEYS}
    db = warehouse_file(con)
    if db is None:
        return out
    slugs = {territory.slug} if isinstance(territory, Territory) else {t.slug for t in territory}
    row = con.execute("SELECT coalesce(max(seq), 0) FROM triage_decisions").fetchone()
    after = int(row[0]) if row else 0
    decisions = (journal.since(db, after, next(iter(slugs))) if len(slugs) == 1
                 else journal.since(db, after))
    for d in decisions:
        if d["territory"] not in slugs:
            continue
        out["tr_terr"].append(d["territory"])
        out["tr_seq"].append(d["seq"])
        out["tr_platform"].append(d["platform"])
        out["tr_post"].append(d["post_id"])
        out["tr_decision"].append(d["decision"])
        out["tr_at"].append(d["decided_at"])
        out["tr_service"].append(d["service"])
        out["tr_created"].append(d["post_created_at"])
    return out


def sync_copy(con: Con, db: str | os.PathLike[str]) -> int:
    """Refresh the warehouse's copy of the journal (inside the writer's transaction, before
    a snapshot). If the journal is not the file the copy was made from (gone, or recreated
    since by a decision: a new file numbers from 1 again), the journal is first restored
    from the copy, the new file's decisions kept after it: a lost file must not erase the
    city's record. When the journal only grew since the copy (the usual case: same last
    decision, as many decisions, notes and names up to it: no erasure since), only the new
    decisions are copied. Returns the
    number of decisions copied."""
    # fetchall: a result left unfinished blocks the connection's next statement (duckdb 2)
    found = con.execute(
        "SELECT seq, recorded_at FROM triage_decisions ORDER BY seq DESC LIMIT 1").fetchall()
    last = found[0] if found else None
    if last is not None and not journal.holds(db, int(last[0]), last[1]):
        kept = con.execute("SELECT * FROM triage_decisions ORDER BY seq").df()
        journal.restore(db, kept.astype(object).where(kept.notna(), None).to_dict("records"))
        last = None
    after = 0
    if last is not None:  # appended since? then only the new decisions are copied
        (have,) = con.execute("SELECT count(*), count(note), count(decided_by)"
                              " FROM triage_decisions").fetchall()
        if journal.count_upto(db, int(last[0])) == tuple(int(x) for x in have):
            after = int(last[0])
    rows = journal.since(db, after)
    if not after:  # whole: the first copy, a restore, or an erasure the copy missed
        con.execute("DELETE FROM triage_decisions")
    if rows:
        with _registered(con, "_triage_journal_rows", pa.Table.from_pylist(rows)):
            con.execute(
                "INSERT INTO triage_decisions SELECT seq, territory, platform, post_id,"
                " decision, decided_at, decided_by, service, note, post_created_at, recorded_at"
                " FROM _triage_journal_rows"
            )
    return len(rows)


# -- the automatic judgement, kept per post --------------------------------------------------
_MISSING_SQL = """
SELECT f.platform, f.post_id, p.text, p.lang, f.created_at
FROM interpellation_facts f
JOIN posts p ON p.platform = f.platform AND p.id = f.post_id AND p.created_at = f.created_at
WHERE f.territory = $terr {scope} AND NOT EXISTS (
    SELECT 1 FROM post_expectations e
    WHERE e.platform = f.platform AND e.post_id = f.post_id AND e.version = $version)
"""


def fill_expectations(con: Con, slug: str, scope: str | None = None) -> int:
    """Judge the territory's interpellations that have no judgement of the current rules
    (``post_expectations``); return how many were judged. ``scope``: a temp table of posts
    (``platform``, ``id``), the only ones looked at (a batch's: looking among every
    interpellation of the territory at every batch grew with the warehouse)."""
    assert scope is None or scope.isidentifier(), scope  # an internal temp table
    within = "" if scope is None else (
        f"AND (f.platform, f.post_id) IN (SELECT (platform, id) FROM {scope})")  # noqa: S608
    todo = con.execute(_MISSING_SQL.format(scope=within),
                       {"terr": slug, "version": RULES_VERSION}).fetchall()
    if not todo:
        return 0
    judged = [expects_answer(text or "", lang) for _, _, text, lang, _ in todo]
    batch = pa.table({
        "platform": [r[0] for r in todo], "post_id": [r[1] for r in todo],
        "expects": [j.expects for j in judged], "rule": [j.rule for j in judged],
        "created_at": pa.array([r[4] for r in todo], pa.timestamp("us")),
    })
    # with the post's instant, in time order: the metric queries join on it (migration 0019)
    with _registered(con, "_expectation_batch", batch):
        con.execute(
            "INSERT OR REPLACE INTO post_expectations (platform, post_id, expects, rule,"
            " version, created_at) SELECT platform, post_id, expects, rule, $version,"
            " created_at FROM _expectation_batch ORDER BY created_at",
            {"version": RULES_VERSION},
        )
    return len(todo)


def forget_expectations(con: Con, keys_table: str) -> None:
    """Drop the judgements of the posts in ``keys_table`` (platform, id): their text may
    have changed (an edit), they are judged again."""
    assert keys_table.isidentifier(), keys_table  # an internal temp table
    con.execute(
        f"DELETE FROM post_expectations WHERE (platform, post_id) IN "  # noqa: S608
        f"(SELECT (platform, id) FROM {keys_table})"
    )


# -- services -------------------------------------------------------------------------------
def _fold(text: str) -> str:
    """Lower case, no accents, one apostrophe; hyphens as spaces ("nid-de-poule" is the
    keyword "nid de poule")."""
    text = text.replace("\u2019", "'").replace("-", " ").replace("\u2011", " ").lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def suggest_service(territory: Territory, text: str | None) -> Service | None:
    """The service whose keywords the text names most (whole words, without case or
    accents); the first configured wins a tie; None when no keyword is named."""
    if not text or not territory.services:
        return None
    folded = _fold(text)
    best, best_hits = None, 0
    for service in territory.services:
        hits = sum(1 for k in service.keywords if k.strip() and re.search(
            r"(?<![\w])" + re.escape(_fold(k.strip())) + r"(?![\w])", folded))
        if hits > best_hits:
            best, best_hits = service, hits
    return best


# -- checking what is triaged ----------------------------------------------------------------
_FIND_SQL = """
SELECT platform, post_id, created_at FROM interpellation_facts
WHERE territory = $terr AND post_id = $post AND ($platform::VARCHAR IS NULL OR platform = $platform)
ORDER BY platform
"""


def find_interpellation(con: Con, territory: Territory, post_id: str,
                        platform: str | None = None) -> tuple[str, str, Any]:
    """``(platform, post_id, created_at)`` of the interpellation ``post_id`` of ``territory``;
    :class:`~warehouse.triage_journal.TriageError` if there is none, or one per platform
    and no ``platform`` says which."""
    rows = con.execute(_FIND_SQL, {"terr": territory.slug, "post": str(post_id).strip(),
                                   "platform": platform}).fetchall()
    if not rows:
        where = f" on {platform}" if platform else ""
        raise journal.TriageError(
            f"{post_id}: no interpellation of territory {territory.slug!r} has this id{where} "
            "(only interpellations are triaged; see `territoires queue`)")
    if len(rows) > 1:
        raise journal.TriageError(
            f"{post_id}: an interpellation on {', '.join(r[0] for r in rows)}; "
            "say which with --platform")
    return rows[0][0], rows[0][1], rows[0][2]
