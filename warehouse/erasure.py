"""Erasure (GDPR right to object, and deletions reported by the platform).

:func:`forget_account` removes one person's data everywhere in the warehouse:

* their posts, and the pure reposts of them (a repost carries the original's text);
* their profile (``accounts``), the ``post_mentions`` rows that name them, the partial
  errors that name them, and the child rows (refs, hashtags, links) of the removed posts;
* their objects inside the **raw pages**: each page that holds them is rewritten without
  them (tweets they wrote in ``data`` and ``includes.tweets``, their user object in
  ``includes.users`` or ``data``, mention entities naming them), keeping its ``page_id`` so
  that re-importing the original file does not bring them back (the page is already there);
* the daily aggregates of the days concerned are recomputed (frozen days keep their counts,
  which hold no personal data);
* the triage decisions about the erased posts (their notes are personal data), in the triage
  journal (``<db>.triage``, :mod:`warehouse.triage_journal`) first, then in the warehouse's
  copy of it (``triage_decisions``): a crash between the two leaves the posts in DuckDB, so
  running the command again finds them and finishes. :func:`forget_account` also erases the
  person as a triager: the name and the notes of the decisions they made (the decisions stay,
  anonymous: they are the city's record).

:func:`forget_post` does the same for one post (and its pure reposts); it is also how
:func:`honour_deletions` applies the platform's compliance events with action ``delete``
(a tweet id: that post; a user id: that account).

Only the fact of an erasure is recorded (``erasures``: when, what kind, how many rows), never
who. The command (``territoires forget``) also rewrites spool files and compacts the
DuckDB file, so freed blocks do not keep the data, then republishes the snapshot.

Known limits: other people's posts keep their own text even when it names the person
(``@handle``), and their ``in_reply_to_user_id``; a later collection can land the person's
public posts again (the platform is the source): run ``forget`` again, or rely on the
platform's compliance events.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import orjson

from warehouse import facts, rollups
from warehouse import triage_journal as journal
from warehouse.db import connect, snapshot_path, spool_dir
from warehouse.retention import delete_posts
from warehouse.txn import transaction


@dataclass
class Target:
    """Who or what to erase on one platform."""

    platform: str
    user_ids: set[str] = field(default_factory=set)
    handles: set[str] = field(default_factory=set)  # lower case
    post_ids: set[str] = field(default_factory=set)  # to erase (filled from the warehouse too)

    def needles(self) -> list[str]:
        return sorted(self.user_ids | self.handles | self.post_ids)


@dataclass
class ErasureReport:
    posts_removed: int = 0
    accounts_removed: int = 0
    pages_rewritten: int = 0
    spool_files_rewritten: int = 0
    found: bool = False
    decisions_removed: int = 0  # triage decisions about the erased posts (journal)
    decisions_anonymised: int = 0  # decisions the person made: name and note erased

    def add(self, other: ErasureReport) -> None:
        self.posts_removed += other.posts_removed
        self.accounts_removed += other.accounts_removed
        self.pages_rewritten += other.pages_rewritten
        self.spool_files_rewritten += other.spool_files_rewritten
        self.decisions_removed += other.decisions_removed
        self.decisions_anonymised += other.decisions_anonymised
        self.found = self.found or other.found


# -- rewriting one page (pure functions, also used on spool files) ----------------------------


def _s(value: Any) -> str | None:
    return None if value is None or isinstance(value, (dict, list)) else str(value)


def _tweet_hit(t: Any, target: Target) -> bool:
    if not isinstance(t, dict):
        return False
    if _s(t.get("id")) in target.post_ids or _s(t.get("author_id")) in target.user_ids:
        return True
    refs = t.get("referenced_tweets")
    if isinstance(refs, list):
        for r in refs:
            if isinstance(r, dict) and r.get("type") == "retweeted" and _s(r.get("id")) in target.post_ids:  # noqa: E501
                return True
    return False


def _user_hit(u: Any, target: Target) -> bool:
    if not isinstance(u, dict):
        return False
    name = u.get("username")
    return _s(u.get("id")) in target.user_ids or (
        isinstance(name, str) and name.lower() in target.handles
    )


def _scrub_tweet(t: Any, target: Target) -> Any:
    """A tweet without the mention entities that name the target."""
    if not isinstance(t, dict) or not (target.user_ids or target.handles):
        return t
    ent = t.get("entities")
    if not isinstance(ent, dict) or not isinstance(ent.get("mentions"), list):
        return t
    kept = [m for m in ent["mentions"] if not _user_hit(m, target)]
    if len(kept) == len(ent["mentions"]):
        return t
    return {**t, "entities": {**ent, "mentions": kept}}


def _filter(items: Any, hit: Any, target: Target, scrub: bool) -> Any:
    if isinstance(items, dict):
        return None if hit(items, target) else (_scrub_tweet(items, target) if scrub else items)
    if not isinstance(items, list):
        return items
    out = [i for i in items if not hit(i, target)]
    return [_scrub_tweet(i, target) for i in out] if scrub else out


def redact_document(doc: Any, target: Target) -> Any:
    """The X API v2 page ``doc`` without the target's objects (a new object; may be equal)."""
    if not isinstance(doc, dict):
        return doc
    # posts of the target found in this page also count: their reposts go too
    for t in _tweets_of(doc):
        if isinstance(t, dict) and _s(t.get("author_id")) in target.user_ids and _s(t.get("id")):
            target.post_ids.add(str(t["id"]))
    out = dict(doc)
    data = doc.get("data")
    first = data[0] if isinstance(data, list) and data else data
    is_users = isinstance(first, dict) and "username" in first and "text" not in first
    if data is not None:
        new = _filter(data, _user_hit if is_users else _tweet_hit, target, scrub=not is_users)
        if new is None:
            out.pop("data")
        else:
            out["data"] = new
    inc = doc.get("includes")
    if isinstance(inc, dict):
        inc = dict(inc)
        if "tweets" in inc:
            inc["tweets"] = _filter(inc["tweets"], _tweet_hit, target, scrub=True)
        if "users" in inc:
            inc["users"] = _filter(inc["users"], _user_hit, target, scrub=False)
        out["includes"] = inc
    errs = doc.get("errors")
    if isinstance(errs, list):
        names = target.user_ids | target.handles | target.post_ids
        out["errors"] = [
            e for e in errs
            if not (isinstance(e, dict) and (
                _s(e.get("resource_id")) in names or str(_s(e.get("value")) or "").lower() in names
            ))
        ]
    return out


def _tweets_of(doc: dict[str, Any]) -> list[Any]:
    found: list[Any] = []
    data = doc.get("data")
    found += data if isinstance(data, list) else [data]
    inc = doc.get("includes")
    if isinstance(inc, dict) and isinstance(inc.get("tweets"), list):
        found += inc["tweets"]
    return found


def redact_text(text: str, target: Target) -> str | None:
    """``text`` (one JSON page) rewritten without the target, or None if unchanged."""
    try:
        doc = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    new = redact_document(doc, target)
    if new == doc:
        return None
    return orjson.dumps(new).decode()


# -- the warehouse --------------------------------------------------------------------------


def _targets_for_account(
    con: duckdb.DuckDBPyConnection, account: str, platform: str | None
) -> list[Target]:
    handle_only = account.startswith("@")
    value = account.strip().lstrip("@")
    rows = con.execute(
        """
        SELECT platform, id FROM accounts
        WHERE (?::VARCHAR IS NULL OR platform = ?)
          AND (lower(username) = lower(?) OR (NOT ? AND id = ?))
        UNION
        SELECT platform, user_id FROM post_mentions
        WHERE (?::VARCHAR IS NULL OR platform = ?) AND user_id IS NOT NULL
          AND (username = lower(?) OR (NOT ? AND user_id = ?))
        UNION
        SELECT DISTINCT platform, author_id FROM posts
        WHERE (?::VARCHAR IS NULL OR platform = ?) AND NOT ? AND author_id = ?
        """,
        [platform, platform, value, handle_only, value] * 2
        + [platform, platform, handle_only, value],  # noqa: E501
    ).fetchall()
    targets: dict[str, Target] = {}
    for plat, uid in rows:
        targets.setdefault(plat, Target(plat)).user_ids.add(uid)
    for t in targets.values():
        names = con.execute(
            """
            SELECT lower(username) FROM accounts WHERE platform = ? AND list_contains(?, id)
              AND username IS NOT NULL
            UNION
            SELECT username FROM post_mentions WHERE platform = ? AND list_contains(?, user_id)
              AND username IS NOT NULL
            """,
            [t.platform, sorted(t.user_ids), t.platform, sorted(t.user_ids)],
        ).fetchall()
        t.handles |= {n for (n,) in names}
    # a handle seen only in mentions, without an id: still erase what names it
    if not targets:
        rows = con.execute(
            """
            SELECT DISTINCT platform FROM post_mentions
            WHERE (?::VARCHAR IS NULL OR platform = ?) AND username = lower(?)
            """,
            [platform, platform, value],
        ).fetchall()
        for (plat,) in rows:
            targets[plat] = Target(plat, handles={value.lower()})
    return list(targets.values())


def rewrite_pages(con: duckdb.DuckDBPyConnection, target: Target) -> int:
    """Rewrite every raw page that holds ``target`` without it, keeping its ``page_id`` (so
    re-importing the original file does not bring it back); returns how many. Used by
    erasure and by retention (:mod:`warehouse.retention`: old posts in recent pages)."""
    rewritten = 0
    p = target.platform
    needles = target.needles()
    if needles:
        candidates = con.execute(
            """
            SELECT page_id, body, canonical FROM raw_pages
            WHERE platform = ?
              AND len(list_filter(?::VARCHAR[], lambda n: contains(
                      lower(coalesce(canonical, '') || body), lower(n)))) > 0
            """,
            [p, needles],
        ).fetchall()
        for page_id, body, canonical in candidates:
            new_canonical = redact_text(canonical, target) if canonical else None
            new_body = redact_text(body, target) if p == "x" else None
            if canonical and new_canonical is not None and p != "x":
                new_body = new_canonical  # a foreign payload: keep only the redacted X-shaped copy
            if new_body is None and new_canonical is None:
                continue
            con.execute(
                "UPDATE raw_pages SET body = ?, canonical = ? WHERE page_id = ?",
                [new_body or body, new_canonical or canonical, page_id],
            )
            rewritten += 1
    return rewritten


def _journal_of(con: duckdb.DuckDBPyConnection, db: str | os.PathLike[str] | None) -> Path | None:
    """The warehouse file whose triage journal (``<db>.triage``) an erasure also cleans:
    ``db``, or the file ``con`` opened (None for an in-memory warehouse)."""
    from warehouse.triage import warehouse_file

    return Path(db) if db is not None else warehouse_file(con)


def _erase_decisions(
    con: duckdb.DuckDBPyConnection, jdb: Path | None, platform: str, post_ids: list[str]
) -> int:
    """Delete the triage decisions about ``post_ids``: from the journal first (it commits at
    once), then from the warehouse's copy (in the caller's transaction). Returns how many
    the journal held."""
    if not post_ids:
        return 0
    n = journal.erase_posts(jdb, [(platform, i) for i in post_ids]) if jdb is not None else 0
    con.execute(
        "DELETE FROM triage_decisions WHERE platform = ? AND list_contains(?, post_id)",
        [platform, post_ids],
    )
    return n


def _erase_triager(con: duckdb.DuckDBPyConnection, jdb: Path | None, account: str) -> int:
    """Erase a person who triaged (``decided_by``, without case; ``@name`` and ``name``
    alike): the name and notes of their decisions, in the journal first, then in the
    warehouse's copy. Returns how many decisions of the journal were anonymised."""
    names = sorted({account.strip(), account.strip().lstrip("@")} - {""})
    n = sum(journal.erase_person(jdb, who) for who in names) if jdb is not None else 0
    con.execute(
        "UPDATE triage_decisions SET decided_by = NULL, note = NULL "
        "WHERE list_contains(?, lower(decided_by))",
        [[w.lower() for w in names]],
    )
    return n


def _erase(
    con: duckdb.DuckDBPyConnection, target: Target, jdb: Path | None = None
) -> ErasureReport:
    """Erase ``target`` from the triage journal of ``jdb``, the raw layer and the tables
    (inside the caller's transaction)."""
    report = ErasureReport()
    p = target.platform
    # the target's posts, then the pure reposts of any of them
    if target.user_ids:
        target.post_ids |= {
            r[0]
            for r in con.execute(
                "SELECT id FROM posts WHERE platform = ? AND list_contains(?, author_id)",
                [p, sorted(target.user_ids)],
            ).fetchall()
        }
    if target.post_ids:
        target.post_ids |= {
            r[0]
            for r in con.execute(
                "SELECT id FROM posts WHERE platform = ? AND list_contains(?, reposted_id)",
                [p, sorted(target.post_ids)],
            ).fetchall()
        }
    # the decisions (and notes) about these posts: journal first (docs/deploying.md, §6)
    report.decisions_removed = _erase_decisions(con, jdb, p, sorted(target.post_ids))
    report.pages_rewritten = rewrite_pages(con, target)
    # tables
    con.execute("CREATE OR REPLACE TEMP TABLE _erase_posts (platform VARCHAR, id VARCHAR)")
    if target.post_ids:
        con.execute(
            "INSERT INTO _erase_posts SELECT ?, unnest(?::VARCHAR[])", [p, sorted(target.post_ids)]
        )
    days = rollups.days_of_posts(con, "_erase_posts")
    report.posts_removed = delete_posts(con, "_erase_posts")
    if target.user_ids or target.handles:
        ids, names = sorted(target.user_ids), sorted(target.handles)
        report.accounts_removed = int(
            con.execute(
                "SELECT count(*) FROM accounts WHERE platform = ? AND (list_contains(?, id) "
                "OR list_contains(?, lower(username)))",
                [p, ids, names],
            ).fetchone()[0]  # type: ignore[index]
        )
        con.execute(
            "DELETE FROM accounts WHERE platform = ? AND (list_contains(?, id) "
            "OR list_contains(?, lower(username)))",
            [p, ids, names],
        )
        con.execute(
            "DELETE FROM post_mentions WHERE platform = ? AND (list_contains(?, user_id) "
            "OR list_contains(?, username))",
            [p, ids, names],
        )
    names_all = sorted(target.user_ids | target.handles | target.post_ids)
    con.execute(
        """
        DELETE FROM page_errors WHERE page_id IN (SELECT page_id FROM raw_pages WHERE platform = ?)
          AND (list_contains(?, resource_id) OR list_contains(?, lower(resource_id)))
        """,
        [p, names_all, names_all],
    )
    rollups.refresh_days(con, days)
    facts.invalidate(con)  # posts and mentions went: recomputed whole before the next snapshot
    report.found = bool(report.posts_removed or report.accounts_removed or report.pages_rewritten
                        or report.decisions_removed)
    return report


def _record(con: duckdb.DuckDBPyConnection, kind: str, report: ErasureReport) -> None:
    con.execute(
        "INSERT INTO erasures VALUES (?, ?, ?, ?, ?, ?)",
        [
            datetime.now(UTC).replace(tzinfo=None), kind, report.posts_removed,
            report.accounts_removed, report.pages_rewritten, report.spool_files_rewritten,
        ],
    )


def _in_transaction(con: duckdb.DuckDBPyConnection, fn: Any, in_transaction: bool) -> Any:
    """``fn()``, then the facts recomputed (posts went), in the caller's transaction or one."""
    if in_transaction:
        result = fn()
        facts.ensure_current(con)
        return result
    with transaction(con):  # rolled back on failure, the cause kept (warehouse/txn.py)
        result = fn()
        facts.ensure_current(con)
    return result


def forget_account(
    con: duckdb.DuckDBPyConnection,
    account: str,
    platform: str | None = None,
    in_transaction: bool = False,
    db: str | os.PathLike[str] | None = None,
) -> tuple[ErasureReport, list[Target]]:
    """Erase one person (a handle, ``@handle`` for a handle only, or a user id).

    With ``db``, the spool files of that warehouse are rewritten too.
    """

    jdb = _journal_of(con, db)

    def run() -> tuple[ErasureReport, list[Target]]:
        report = ErasureReport()
        targets = _targets_for_account(con, account, platform)
        for t in targets:
            report.add(_erase(con, t, jdb))
        report.decisions_anonymised = _erase_triager(con, jdb, account)
        report.found = report.found or bool(report.decisions_anonymised)
        if db is not None:
            report.spool_files_rewritten = redact_spool(db, targets)
        _record(con, "account", report)
        return report, targets

    return _in_transaction(con, run, in_transaction)  # type: ignore[no-any-return]


def forget_post(
    con: duckdb.DuckDBPyConnection,
    post_id: str,
    platform: str = "x",
    in_transaction: bool = False,
    db: str | os.PathLike[str] | None = None,
) -> tuple[ErasureReport, list[Target]]:
    """Erase one post (and its pure reposts) everywhere (with ``db``: its spool too)."""

    jdb = _journal_of(con, db)

    def run() -> tuple[ErasureReport, list[Target]]:
        target = Target(platform, post_ids={post_id.strip()})
        report = _erase(con, target, jdb)
        if db is not None:
            report.spool_files_rewritten = redact_spool(db, [target])
        _record(con, "post", report)
        return report, [target]

    return _in_transaction(con, run, in_transaction)  # type: ignore[no-any-return]


def honour_deletions(
    con: duckdb.DuckDBPyConnection,
    in_transaction: bool = False,
    db: str | os.PathLike[str] | None = None,
) -> int:
    """Apply the platform's compliance events with action ``delete``; return how many hit.

    An event's id is matched against posts (the post is erased) and accounts (the person is
    erased). Events whose object is no longer in the warehouse cost nothing.
    """

    jdb = _journal_of(con, db)

    def run() -> int:
        rows = con.execute(
            """
            SELECT DISTINCT c.platform, c.object_id,
                   EXISTS (SELECT 1 FROM posts p
                           WHERE p.platform = c.platform AND p.id = c.object_id),
                   EXISTS (SELECT 1 FROM accounts a
                           WHERE a.platform = c.platform AND a.id = c.object_id)
                   OR EXISTS (SELECT 1 FROM posts p WHERE p.platform = c.platform
                              AND p.author_id = c.object_id)
            FROM compliance_events c WHERE lower(c.action) = 'delete'
            ORDER BY 1, 2
            """  # noqa: E501
        ).fetchall()
        hits = 0
        for platform, object_id, is_post, is_user in rows:
            report = ErasureReport()
            if is_post:
                report.add(_erase(con, Target(platform, post_ids={object_id}), jdb))
            if is_user:
                t = Target(platform, user_ids={object_id})
                t.handles |= {
                    n for (n,) in con.execute(
                        "SELECT lower(username) FROM accounts WHERE platform = ? AND id = ? "
                        "AND username IS NOT NULL",
                        [platform, object_id],
                    ).fetchall()
                }
                report.add(_erase(con, t, jdb))
            if db is not None and (is_post or is_user):
                targets = [Target(platform, post_ids={object_id})] if is_post else []
                targets += [t] if is_user else []
                report.spool_files_rewritten = redact_spool(db, targets)
            if report.found:
                hits += 1
                _record(con, "platform-deletion", report)
        return hits

    return _in_transaction(con, run, in_transaction)  # type: ignore[no-any-return]


# -- files beside the warehouse: spool, snapshot, free blocks ----------------------------------


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.erasure.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def redact_spool(db: str | os.PathLike[str], targets: list[Target]) -> int:
    """Rewrite the spool files (``<db>.spool/``) that hold a target; return how many.

    A spool file is a JSON envelope whose ``body`` (and ``canonical``, for other platforms)
    is the page; both are redacted like raw pages. A rejected body (``rejected/*.body``)
    that names a target is redacted if it is JSON, deleted with its reason otherwise.
    Call it holding the writer lock (no loader is landing these files meanwhile).
    """
    folder = spool_dir(db)
    if not folder.is_dir() or not targets:
        return 0
    needles = [n.lower().encode() for t in targets for n in t.needles()]
    changed = 0
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.name.endswith(".tmp") or path.name.endswith(".reason.txt"):
            continue
        raw = path.read_bytes()
        low = raw.lower()
        if not any(n in low for n in needles):
            continue
        text = raw.decode("utf-8", "replace")
        if path.parent.name == "rejected":
            new = text
            for t in targets:
                new = redact_text(new, t) or new
            if new == text:
                path.unlink()
                reason = path.with_name(path.name.removesuffix(".body") + ".reason.txt")
                if reason.exists():
                    reason.unlink()
            else:
                _write_atomic(path, new.encode("utf-8"))
            changed += 1
            continue
        try:
            envelope = orjson.loads(raw)
        except orjson.JSONDecodeError:
            continue
        if not isinstance(envelope, dict):
            continue
        before = dict(envelope)
        for t in targets:
            if t.platform != envelope.get("platform", t.platform):
                continue
            for key in ("body", "canonical"):
                if isinstance(envelope.get(key), str):
                    envelope[key] = redact_text(envelope[key], t) or envelope[key]
            if envelope.get("platform") != "x" and envelope.get("canonical") != before.get(
                "canonical"
            ):
                envelope["body"] = envelope["canonical"]  # a foreign payload: keep the copy
        if envelope != before:
            _write_atomic(path, orjson.dumps(envelope))
            changed += 1
    return changed


def compact(db: str | os.PathLike[str]) -> None:
    """Copy the warehouse into a fresh file and swap it in, so deleted rows leave no trace.

    DuckDB keeps deleted rows in free blocks of the file until they are reused (measured:
    every deleted text was still in the file after ``DELETE`` and ``CHECKPOINT``), and a
    snapshot is a byte copy. Call it holding the writer lock, with no connection open on
    ``db``; leftover snapshot temporaries from an interrupted publish are removed too.
    """
    db = Path(db)
    tmp = db.with_name(db.name + ".compact")
    tmp.unlink(missing_ok=True)
    con = connect(db)
    try:
        catalog = con.execute("SELECT current_database()").fetchall()[0][0]
        con.execute("ATTACH '" + str(tmp).replace("'", "''") + "' AS _compacted")
        con.execute('COPY FROM DATABASE "' + catalog.replace('"', '""') + '" TO _compacted')
        con.execute("DETACH _compacted")
    finally:
        con.close()
    os.replace(tmp, db)
    snap = snapshot_path(db)
    for leftover in snap.parent.glob(snap.name + ".tmp*"):
        leftover.unlink(missing_ok=True)
