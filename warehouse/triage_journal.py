"""The triage journal: every decision a community manager records, kept where nothing else
writes (docs/metrics.md, "Triage"; docs/dashboard.md, "La file À traiter").

Why a separate SQLite file (``<db>.triage``) and not a table of the warehouse:

* **Decisions arrive while a collector holds the writer lock.** The warehouse has one
  writer (a collection can hold it for minutes); a CM's click cannot wait for it. SQLite
  lets any number of processes append, each in its own short transaction (WAL mode, a
  busy timeout of a few seconds), without touching the DuckDB file.
* **Nothing may lose a decision.** ``rebuild`` recreates every warehouse table from the raw
  pages; decisions are not raw pages. Kept in their own file, they survive a rebuild, a
  snapshot publish, and a ``kill -9`` at any point (SQLite's commit is atomic and durable:
  ``synchronous=FULL``); the warehouse only ever reads them.
* **Readers see a decision at once.** The writer copies the journal into the warehouse's
  ``triage_decisions`` before each snapshot (:func:`warehouse.triage.sync_copy`); readers of
  the snapshot add the journal's decisions recorded since (:func:`since`), so a decision
  shows on the next rerun without waiting for a collection.

The journal is append-only: a decision is never changed, a later one supersedes it
(``reopened`` goes back to the automatic judgement). The only exceptions are the law's:
erasing a person (:func:`erase_person`, :func:`erase_posts`) and retention
(:func:`purge_before`).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

DECISIONS = ("no_answer_expected", "handled_elsewhere", "forwarded", "reopened")
# a note alone: kept in the history, changes no judgement (its text is in ``note``)
NOTE = "note"
KINDS = (*DECISIONS, NOTE)
MAX_NOTE = 2000  # characters
MAX_BY = 120
BUSY_TIMEOUT_S = 15.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS decisions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    territory TEXT NOT NULL,
    platform TEXT NOT NULL,
    post_id TEXT NOT NULL,
    decision TEXT NOT NULL CHECK (decision IN
        ('no_answer_expected', 'handled_elsewhere', 'forwarded', 'reopened', 'note')),
    decided_at TEXT NOT NULL,      -- ISO 8601, UTC, when the decision takes effect
    decided_by TEXT,               -- who (NULL once erased)
    service TEXT,                  -- a [[services]] slug
    note TEXT,                     -- free text (personal data: erased with the person)
    post_created_at TEXT,          -- the post's creation (retention purges by it)
    recorded_at TEXT NOT NULL      -- when the journal received it
);
CREATE INDEX IF NOT EXISTS decisions_post ON decisions (territory, platform, post_id);
"""
COLUMNS = ("seq", "territory", "platform", "post_id", "decision", "decided_at", "decided_by",
           "service", "note", "post_created_at", "recorded_at")


class TriageError(ValueError):
    """A decision that cannot be recorded (one line: what was expected)."""


@dataclass(frozen=True)
class Decision:
    """One triage decision about one interpellation. Instants are aware or naive UTC."""

    territory: str
    platform: str
    post_id: str
    decision: str
    decided_by: str
    decided_at: datetime
    service: str | None = None
    note: str | None = None
    post_created_at: datetime | None = None

    def checked(self) -> Decision:
        if self.decision not in KINDS:
            raise TriageError(
                f"decision {self.decision!r}: expected one of {', '.join(KINDS)}")
        who = (self.decided_by or "").strip()
        if not who:
            raise TriageError("who made the decision is required (--by)")
        if len(who) > MAX_BY:
            raise TriageError(f"--by: at most {MAX_BY} characters")
        note = (self.note or "").strip() or None
        if note is not None and len(note) > MAX_NOTE:
            raise TriageError(f"note: at most {MAX_NOTE} characters ({len(note)} given)")
        if self.decision == NOTE and note is None:
            raise TriageError("a note needs its text (--note)")
        return Decision(self.territory, self.platform, str(self.post_id), self.decision, who,
                        self.decided_at, (self.service or "").strip() or None, note,
                        self.post_created_at)


def journal_path(db: str | os.PathLike[str]) -> Path:
    """``<db>.triage``: the journal beside the warehouse ``db``."""
    return Path(str(db) + ".triage")


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(sep=" ")


def _instant(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


@contextlib.contextmanager
def _open(path: Path, create: bool) -> Iterator[sqlite3.Connection | None]:
    """A connection to the journal (created with its schema if ``create``), or None when
    there is no journal yet and ``create`` is false."""
    if not create and not path.exists():
        yield None
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    try:
        _setup(con, create)
        yield con
    finally:
        con.close()


def _setup(con: sqlite3.Connection, create: bool) -> None:
    """WAL mode, full sync, the schema. Retried while the file is locked: SQLite answers
    "database is locked" at once, without its busy timeout, when the journal mode is set
    while another connection creates the file or, closing last, checkpoints and removes the
    log (measured: 4 processes recording at once failed about one run in three)."""
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA synchronous=FULL")  # a committed decision survives a power cut
            if create:
                con.executescript(_SCHEMA)
            return
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) and "busy" not in str(e) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def record(db: str | os.PathLike[str], decisions: Sequence[Decision]) -> list[int]:
    """Append ``decisions`` in one transaction (all or none); return their sequence numbers."""
    checked = [d.checked() for d in decisions]
    now = _iso(datetime.now(UTC))
    seqs: list[int] = []
    with _open(journal_path(db), create=True) as con:
        assert con is not None
        con.execute("BEGIN IMMEDIATE")
        try:
            for d in checked:
                cur = con.execute(
                    "INSERT INTO decisions (territory, platform, post_id, decision, decided_at,"
                    " decided_by, service, note, post_created_at, recorded_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (d.territory, d.platform, d.post_id, d.decision, _iso(d.decided_at),
                     d.decided_by, d.service, d.note, _iso(d.post_created_at), now),
                )
                seqs.append(int(cur.lastrowid or 0))
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    return seqs


def _rows(cur: sqlite3.Cursor) -> list[dict[str, Any]]:
    out = []
    for row in cur.fetchall():
        item = dict(zip(COLUMNS, row, strict=True))
        for key in ("decided_at", "post_created_at", "recorded_at"):
            item[key] = _instant(item[key])
        out.append(item)
    return out


def since(db: str | os.PathLike[str], after_seq: int, territory: str | None = None
          ) -> list[dict[str, Any]]:
    """The decisions recorded after ``after_seq`` (of ``territory``, or all), in order."""
    with _open(journal_path(db), create=False) as con:
        if con is None:
            return []
        cur = con.execute(
            f"SELECT {', '.join(COLUMNS)} FROM decisions WHERE seq > ?"  # noqa: S608
            " AND (? IS NULL OR territory = ?) ORDER BY seq",
            (after_seq, territory, territory),
        )
        return _rows(cur)


def history(db: str | os.PathLike[str], territory: str, keys: Sequence[tuple[str, str]]
            ) -> list[dict[str, Any]]:
    """Every decision about the posts ``keys`` (``(platform, post_id)``), in order."""
    if not keys:
        return []
    with _open(journal_path(db), create=False) as con:
        if con is None:
            return []
        con.execute("CREATE TEMP TABLE IF NOT EXISTS _keys (platform TEXT, post_id TEXT)")
        con.execute("DELETE FROM _keys")
        con.executemany("INSERT INTO _keys VALUES (?, ?)", [(p, str(i)) for p, i in keys])
        cur = con.execute(
            f"SELECT {', '.join('d.' + c for c in COLUMNS)} FROM decisions d"  # noqa: S608
            " JOIN _keys k ON k.platform = d.platform AND k.post_id = d.post_id"
            " WHERE d.territory = ? ORDER BY d.seq",
            (territory,),
        )
        return _rows(cur)


def version(db: str | os.PathLike[str]) -> int:
    """The last sequence number (0 for no journal): changes with every decision."""
    with _open(journal_path(db), create=False) as con:
        if con is None:
            return 0
        try:
            row = con.execute("SELECT max(seq) FROM decisions").fetchone()
        except sqlite3.OperationalError:  # created by another process, schema not yet there
            return 0
        return int(row[0] or 0) if row else 0


def _top(con: sqlite3.Connection) -> int:
    """The highest sequence number this file ever gave (AUTOINCREMENT never reuses one,
    even after an erasure deleted it); 0 for a new file."""
    try:
        row = con.execute("SELECT seq FROM sqlite_sequence WHERE name = 'decisions'").fetchone()
    except sqlite3.OperationalError:  # no decision ever inserted: no sqlite_sequence yet
        return 0
    return int(row[0] or 0) if row else 0


def _own(con: sqlite3.Connection, seq: int, recorded_at: datetime | str | None) -> bool:
    """Whether this file is the journal a copy whose last decision is ``(seq, recorded_at)``
    was made from: its sequence reached ``seq``, and that number holds the same decision or
    none (erased, purged)."""
    if _top(con) < seq:
        return False
    row = con.execute("SELECT recorded_at FROM decisions WHERE seq = ?", (seq,)).fetchone()
    if row is None:
        return True
    want = _iso(recorded_at) if isinstance(recorded_at, datetime) else recorded_at
    return _instant(row[0]) == _instant(want)


def holds(db: str | os.PathLike[str], seq: int, recorded_at: datetime | None) -> bool:
    """Whether the journal is the file the warehouse's copy (last decision ``(seq,
    recorded_at)``) was made from. False when the file is gone, or was recreated since (a
    new file numbers from 1 again): then :func:`restore` must write the copy back."""
    with _open(journal_path(db), create=False) as con:
        if con is None:
            return False
        try:
            return _own(con, seq, recorded_at)
        except sqlite3.OperationalError:  # created by another process, schema not yet there
            return False


def count_upto(db: str | os.PathLike[str], seq: int) -> tuple[int, int, int]:
    """``(decisions, notes, names)`` up to sequence number ``seq``: how many decisions, and
    how many still carry a note and a name (an erasure lowers them); zeros without a
    journal."""
    with _open(journal_path(db), create=False) as con:
        if con is None:
            return (0, 0, 0)
        try:
            row = con.execute("SELECT count(*), count(note), count(decided_by) FROM decisions"
                              " WHERE seq <= ?", (seq,)).fetchone()
        except sqlite3.OperationalError:  # created by another process, schema not yet there
            return (0, 0, 0)
        return (int(row[0]), int(row[1]), int(row[2])) if row else (0, 0, 0)


def latest(db: str | os.PathLike[str], territory: str) -> datetime | None:
    """When the territory's latest decision takes effect (a note alone aside), or None."""
    with _open(journal_path(db), create=False) as con:
        if con is None:
            return None
        try:
            row = con.execute("SELECT max(decided_at) FROM decisions WHERE territory = ?"
                              " AND decision <> 'note'", (territory,)).fetchone()
        except sqlite3.OperationalError:  # created by another process, schema not yet there
            return None
        return _instant(row[0]) if row else None


def restore(db: str | os.PathLike[str], rows: Sequence[dict[str, Any]]) -> int:
    """Write back the warehouse's copy of the decisions (``rows``, with their sequence
    numbers) when the journal is not the file the copy was made from: the file was lost, or
    recreated by a decision recorded since. The decisions that new file received are kept,
    renumbered after the copy's (a new file numbers from 1 again: left as they were, they
    would collide with the copy's). Nothing happens when the journal is the copy's own
    (what it lacks was erased or purged, and must stay so). Returns how many were written."""
    if not rows:
        return 0
    last = max(rows, key=lambda r: int(r["seq"]))
    copied = {int(r["seq"]): _instant(_iso(r["recorded_at"])) for r in rows}
    with _open(journal_path(db), create=True) as con:
        assert con is not None
        con.execute("BEGIN IMMEDIATE")
        try:
            if _own(con, int(last["seq"]), last["recorded_at"]):
                con.execute("COMMIT")
                return 0
            before = con.total_changes
            # this file's own decisions: those the copy does not hold (same number, same
            # instant of recording) are moved after the copy's
            fresh = [r for r in _rows(con.execute(
                f"SELECT {', '.join(COLUMNS)} FROM decisions ORDER BY seq"))  # noqa: S608
                if copied.get(int(r["seq"])) != r["recorded_at"]]
            con.executemany("DELETE FROM decisions WHERE seq = ?", [(r["seq"],) for r in fresh])
            con.executemany(
                f"INSERT OR IGNORE INTO decisions ({', '.join(COLUMNS)})"  # noqa: S608
                f" VALUES ({', '.join('?' * len(COLUMNS))})",
                [tuple(_iso(r[c]) if isinstance(r[c], datetime) else r[c] for c in COLUMNS)
                 for r in rows],
            )
            con.executemany(
                f"INSERT INTO decisions ({', '.join(COLUMNS[1:])})"  # noqa: S608
                f" VALUES ({', '.join('?' * (len(COLUMNS) - 1))})",
                [tuple(_iso(r[c]) if isinstance(r[c], datetime) else r[c] for c in COLUMNS[1:])
                 for r in fresh],
            )
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        return con.total_changes - before - 2 * len(fresh)


def _change(db: str | os.PathLike[str], sql: str, args: Sequence[Any]) -> int:
    with _open(journal_path(db), create=False) as con:
        if con is None:
            return 0
        con.execute("PRAGMA secure_delete=ON")  # what is erased is overwritten, not freed
        con.execute("BEGIN IMMEDIATE")
        try:
            n = con.execute(sql, tuple(args)).rowcount
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        return max(int(n), 0)


def _scrub(db: str | os.PathLike[str]) -> None:
    """After an erasure: no byte of what was erased may stay in the files. A deleted row's
    text lingers in SQLite's free pages and in old frames of the write-ahead log (which is
    reused, not shrunk); VACUUM rewrites every page from the live rows, and a TRUNCATE
    checkpoint writes them into the file and empties the log (docs/deploying.md, §6)."""
    with _open(journal_path(db), create=False) as con:
        if con is None:
            return
        con.execute("VACUUM")
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def erase_posts(db: str | os.PathLike[str], keys: Sequence[tuple[str, str]]) -> int:
    """Delete every decision about the posts ``keys`` (``(platform, post_id)``): the post is
    erased, so is what was noted about it. Returns how many decisions were deleted."""
    n = 0
    for i in range(0, len(keys), 500):  # SQLite's bound-variable limit
        chunk = keys[i:i + 500]
        cond = " OR ".join("(platform = ? AND post_id = ?)" for _ in chunk)
        n += _change(db, f"DELETE FROM decisions WHERE {cond}",  # noqa: S608
                     [v for p, pid in chunk for v in (p, str(pid))])
    if n:
        _scrub(db)
    return n


def erase_person(db: str | os.PathLike[str], who: str) -> int:
    """Erase a person who triaged: their name and their notes (``decided_by`` compared
    without case). The decisions stay, anonymous: they are the city's record."""
    n = _change(db, "UPDATE decisions SET decided_by = NULL, note = NULL"
                    " WHERE lower(decided_by) = lower(?)", [who.strip()])
    if n:
        _scrub(db)
    return n


def purge_before(db: str | os.PathLike[str], territory: str, cutoff: datetime) -> int:
    """Retention: delete the decisions about posts created before ``cutoff`` (UTC)."""
    n = _change(db, "DELETE FROM decisions WHERE territory = ? AND post_created_at < ?",
                [territory, _iso(cutoff)])
    if n:
        _scrub(db)
    return n
