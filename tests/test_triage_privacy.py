"""Triage notes are personal data: ``forget`` erases them with the person, retention purges
them with their posts, and no byte of them stays in the journal, the warehouse or the
snapshot (docs/deploying.md, §5 and §6; warehouse/triage_journal.py).

Real files throughout: a DuckDB warehouse landed through the loading path
(:class:`tests.scenario.Scenario`), the SQLite triage journal beside it (``<db>.triage``),
the published snapshot, and the commands ``territoires forget`` / ``purge``.
"""

from __future__ import annotations

import sqlite3
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb

from territoires.cli import main
from tests.scenario import Scenario, make_territory
from warehouse import metrics
from warehouse import triage_journal as journal
from warehouse.db import connect, snapshot_path, writer
from warehouse.platform_deletions import honour_deletions
from warehouse.territory import load_territories

# texts only the notes hold: found in the files before the erasure, never after
NOTE_ALICE = "Rappelée au 06 12 34 56 78, Quokka-41b2"
NOTE_ALICE_2 = "Voisine de Mme Quokka-41b2, suivi"
NOTE_BOB = "Déjà traité par mail Wombat-77c1"
NOTE_MARIE = "Vu avec elle au guichet Ibis-9d0e"
TRIAGER = "Marie Curie-Ibis"  # a community manager who asks to be forgotten
AS_OF = datetime(2024, 6, 8, 12)  # naive UTC


def _world() -> tuple[Scenario, dict[str, str]]:
    """The city, Alice (to be forgotten) and Bob, interpellating it in January and June."""
    s = Scenario(make_territory(privacy={"retention_days": 60}))
    s.user("ville", id="1")
    s.user("alice", id="2001", location="Villeneuve")
    s.user("bob", id="2002", location="Paris")
    ids = {
        "alice_old": s.post("alice", "2024-01-10 10:30", "@ville le trou rue Haute, toujours là ?"),
        "bob_old": s.post("bob", "2024-01-11 09:00", "@ville merci pour la fête !"),
        "alice_new": s.post("alice", "2024-06-03 08:00", "@ville la poubelle déborde, qui passe ?"),
        "alice_new2": s.post("alice", "2024-06-04 08:00", "@ville encore elle déborde !"),
        "bob_new": s.post("bob", "2024-06-04 09:00", "@ville quand ouvre la piscine ?"),
        "bob_new2": s.post("bob", "2024-06-05 09:00", "@ville merci, bonne journée"),
    }
    return s, ids


def _build(db: Path) -> tuple[Scenario, dict[str, str], dict[str, datetime]]:
    """Land the world (two pages, January and June) and return each post's creation."""
    s, ids = _world()
    old = [ids["alice_old"], ids["bob_old"]]
    with writer(db) as con:
        s.land(con, old, fetched_at=datetime(2024, 1, 12))
        s.land(con, [i for i in ids.values() if i not in old], fetched_at=datetime(2024, 6, 6))
        created = dict(con.execute(
            "SELECT post_id, created_at FROM interpellation_facts").fetchall())
    assert set(ids.values()) <= set(created)  # every post is an interpellation of the city
    return s, ids, created


def _decide(ids: dict[str, str], created: dict[str, datetime], key: str, decision: str,
            by: str, note: str | None = None, hours: int = 2) -> journal.Decision:
    pid = ids[key]
    return journal.Decision("testville", "x", pid, decision, by,
                            created[pid] + timedelta(hours=hours), note=note,
                            post_created_at=created[pid])


def _files(db: Path) -> list[Path]:
    """Every file that could keep a byte of a note: the journal (and its log), the
    warehouse (and its log), the snapshot."""
    jp = journal.journal_path(db)
    candidates = [jp, Path(f"{jp}-wal"), Path(f"{jp}-shm"), db, Path(f"{db}.wal"),
                  snapshot_path(db)]
    return [p for p in candidates if p.exists()]


def _holding(db: Path, text: str) -> list[str]:
    return [p.name for p in _files(db) if text.encode() in p.read_bytes()]


def _snapshot_rows(db: Path) -> list[tuple]:
    snap = duckdb.connect(str(snapshot_path(db)), read_only=True)
    try:
        return snap.execute(
            "SELECT post_id, decision, decided_by, note FROM triage_decisions ORDER BY seq"
        ).fetchall()
    finally:
        snap.close()


def _journal_rows(db: Path) -> list[tuple]:
    return [(r["post_id"], r["decision"], r["decided_by"], r["note"])
            for r in journal.since(db, 0)]


def _headline(db: Path) -> dict:
    from warehouse.read import reader_cursor

    cur = reader_cursor(db)
    try:
        terr = load_territories(cur)[0]
        return metrics.headline(cur, terr, date(2024, 6, 1), date(2024, 6, 8), AS_OF)
    finally:
        cur.close()


def test_forget_erases_the_decisions_and_notes_about_the_persons_posts(
        tmp_path: Path, capsys) -> None:
    db = tmp_path / "w.duckdb"
    _, ids, created = _build(db)
    journal.record(db, [
        _decide(ids, created, "alice_new", "forwarded", "paul", NOTE_ALICE),
        _decide(ids, created, "alice_new2", "note", "paul", NOTE_ALICE_2),
        _decide(ids, created, "alice_old", "handled_elsewhere", "paul"),
        _decide(ids, created, "bob_new", "handled_elsewhere", "paul", NOTE_BOB),
    ])
    with writer(db):
        pass  # publishes: the snapshot's copy holds the four decisions
    assert len(_snapshot_rows(db)) == 4
    # the notes are in the journal, the warehouse and the snapshot: the check below can fail
    assert {"w.duckdb.triage", "w.duckdb", "w.duckdb.snapshot"} <= set(
        _holding(db, "Quokka-41b2") + _holding(db, NOTE_ALICE))
    before = _headline(db)

    # another process keeps the journal open (a reader): its log is not removed on close,
    # and the log's old frames still hold what was recorded unless the erasure empties it
    holder = sqlite3.connect(journal.journal_path(db))
    holder.execute("SELECT count(*) FROM decisions").fetchone()
    journal.record(db, [_decide(ids, created, "alice_new", "note", "paul", NOTE_ALICE)])
    assert NOTE_ALICE.encode() in Path(f"{journal.journal_path(db)}-wal").read_bytes()
    try:
        assert main(["forget", "alice", "--db", str(db)]) == 0
        assert _holding(db, "Quokka-41b2") == []
    finally:
        holder.close()
    out = capsys.readouterr().out
    assert "4 triage decisions about the posts erased" in out, out
    assert "0 made by the person anonymised" in out
    assert "alice" not in out.lower() and "2001" not in out  # the output never says who

    alice = {ids["alice_old"], ids["alice_new"], ids["alice_new2"]}
    rows = _journal_rows(db)
    assert rows == [(ids["bob_new"], "handled_elsewhere", "paul", NOTE_BOB)]
    assert journal.history(db, "testville", [("x", i) for i in alice]) == []
    assert _snapshot_rows(db) == rows  # the published copy is the erased journal
    for text in ("Quokka-41b2", "06 12 34 56 78"):
        assert _holding(db, text) == [], text  # not even in free pages or the logs
    assert NOTE_BOB.encode() in journal.journal_path(db).read_bytes()  # Bob's note stays
    # Bob's decision still counts; Alice's interpellations are gone with their decisions
    after = _headline(db)
    assert after["interpellations"] == before["interpellations"] - 2
    assert after["answered_expecting"] == 1  # Bob's, handled elsewhere
    # the journal still opens and takes decisions after the erasure
    assert journal.record(db, [_decide(ids, created, "bob_new2", "no_answer_expected", "paul")])
    with sqlite3.connect(journal.journal_path(db)) as check:
        assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_forget_a_triager_anonymises_their_decisions(tmp_path: Path, capsys) -> None:
    db = tmp_path / "w.duckdb"
    _, ids, created = _build(db)
    journal.record(db, [
        _decide(ids, created, "bob_new", "handled_elsewhere", TRIAGER, NOTE_MARIE),
        _decide(ids, created, "bob_new2", "no_answer_expected", TRIAGER.upper()),
        _decide(ids, created, "alice_new", "forwarded", "paul", NOTE_ALICE),
    ])
    with writer(db):
        pass
    assert TRIAGER.encode() in snapshot_path(db).read_bytes()
    before = _headline(db)
    assert before["answered_expecting"] == 1 and before["expecting_answer"] == 3

    assert main(["forget", TRIAGER.lower(), "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "0 posts" in out and "2 made by the person anonymised" in out, out
    assert "curie" not in out.lower()
    # the decisions stay (the city's record), without name or note
    expected = [(ids["bob_new"], "handled_elsewhere", None, None),
                (ids["bob_new2"], "no_answer_expected", None, None),
                (ids["alice_new"], "forwarded", "paul", NOTE_ALICE)]
    assert _journal_rows(db) == expected
    assert _snapshot_rows(db) == expected
    for text in ("Curie-Ibis", "CURIE-IBIS", "Ibis-9d0e"):
        assert _holding(db, text) == [], text
    assert _headline(db) == before  # the decisions still count, anonymous
    # forgetting someone nobody knows finds nothing
    assert main(["forget", "nobody-at-all", "--db", str(db)]) == 1


def test_forget_post_and_platform_deletions_erase_their_decisions(tmp_path: Path,
                                                                  capsys) -> None:
    db = tmp_path / "w.duckdb"
    _, ids, created = _build(db)
    journal.record(db, [
        _decide(ids, created, "bob_new", "forwarded", "paul", NOTE_BOB),
        _decide(ids, created, "bob_new", "handled_elsewhere", "paul", hours=5),
        _decide(ids, created, "alice_new", "forwarded", "paul", NOTE_ALICE),
        _decide(ids, created, "bob_new2", "no_answer_expected", "paul"),
    ])
    with writer(db):
        pass
    assert main(["forget", "--post", ids["bob_new"], "--db", str(db)]) == 0
    assert "2 triage decisions about the posts erased" in capsys.readouterr().out
    assert [r[0] for r in _journal_rows(db)] == [ids["alice_new"], ids["bob_new2"]]
    assert [r[0] for r in _snapshot_rows(db)] == [ids["alice_new"], ids["bob_new2"]]
    assert _holding(db, "Wombat-77c1") == []
    # the platform reports Alice's post deleted: its decisions go with it
    with writer(db) as con:
        con.execute("INSERT INTO compliance_events (platform, object_id, action, page_id) "
                    "VALUES ('x', ?, 'delete', 'p')", [ids["alice_new"]])
        assert honour_deletions(con, db=db) == 1
        assert con.execute("SELECT post_id FROM triage_decisions").fetchall() == [
            (ids["bob_new2"],)]  # the warehouse's copy too, in the same transaction
    assert [r[0] for r in _journal_rows(db)] == [ids["bob_new2"]]
    assert [r[0] for r in _snapshot_rows(db)] == [ids["bob_new2"]]


def test_forget_with_the_journal_lost_does_not_bring_erased_decisions_back(
        tmp_path: Path) -> None:
    """The writer restores a lost journal from the warehouse's copy: the erasure cleans that
    copy too, so what it erased does not come back through the restore."""
    db = tmp_path / "w.duckdb"
    _, ids, created = _build(db)
    journal.record(db, [
        _decide(ids, created, "alice_new", "forwarded", "paul", NOTE_ALICE),
        _decide(ids, created, "bob_new", "handled_elsewhere", TRIAGER, NOTE_MARIE),
        _decide(ids, created, "bob_new2", "no_answer_expected", "paul"),
    ])
    with writer(db):
        pass
    for suffix in ("", "-wal", "-shm"):
        Path(f"{journal.journal_path(db)}{suffix}").unlink(missing_ok=True)
    assert main(["forget", "alice", "--db", str(db)]) == 0
    assert main(["forget", TRIAGER, "--db", str(db)]) == 0
    expected = [(ids["bob_new"], "handled_elsewhere", None, None),
                (ids["bob_new2"], "no_answer_expected", "paul", None)]
    assert _journal_rows(db) == expected  # restored, without what was erased
    assert _snapshot_rows(db) == expected
    for text in ("Quokka-41b2", "Curie-Ibis", "Ibis-9d0e"):
        assert _holding(db, text) == [], text


def test_purge_removes_old_decisions_and_keeps_recent_ones(tmp_path: Path, capsys) -> None:
    db = tmp_path / "w.duckdb"
    _, ids, created = _build(db)
    old_note = "Ancien dossier Pangolin-3e5f"
    journal.record(db, [
        _decide(ids, created, "alice_old", "handled_elsewhere", "paul", old_note),
        _decide(ids, created, "bob_old", "no_answer_expected", "paul"),
        _decide(ids, created, "alice_new", "forwarded", "paul", NOTE_ALICE),
        _decide(ids, created, "bob_new", "handled_elsewhere", "paul", NOTE_BOB),
    ])
    with writer(db):
        pass
    assert old_note.encode() in snapshot_path(db).read_bytes()
    # retention 60 days at 2024-06-10: January's posts go, June's stay
    assert main(["purge", "--db", str(db), "--now", "2024-06-10T12:00:00Z", "--compact"]) == 0
    out = capsys.readouterr().out
    assert "2 triage decisions about posts created before it" in out, out
    recent = [(ids["alice_new"], "forwarded", "paul", NOTE_ALICE),
              (ids["bob_new"], "handled_elsewhere", "paul", NOTE_BOB)]
    assert _journal_rows(db) == recent
    assert _snapshot_rows(db) == recent
    assert _holding(db, "Pangolin-3e5f") == []
    assert NOTE_ALICE.encode() in journal.journal_path(db).read_bytes()
    # purging again removes nothing more; the journal still opens and records
    assert main(["purge", "--db", str(db), "--now", "2024-06-10T12:00:00Z"]) == 0
    assert "0 triage decisions" in capsys.readouterr().out
    assert len(_journal_rows(db)) == 2
    # a collector's purge (inside its writer, no db given) finds the journal by itself
    journal.record(db, [_decide(ids, created, "bob_new2", "no_answer_expected", "paul")])
    from warehouse.retention import purge

    with writer(db) as con:
        report = purge(con, datetime(2024, 8, 10, 12))  # June's posts are now 60+ days old
        assert report.territories["testville"]["decisions_removed"] == 3
        assert con.execute("SELECT count(*) FROM triage_decisions").fetchone() == (0,)
    assert _journal_rows(db) == [] and _snapshot_rows(db) == []
    snap = connect(snapshot_path(db), read_only=True)
    try:
        assert snap.execute("SELECT count(*) FROM posts").fetchone() == (0,)
    finally:
        snap.close()
