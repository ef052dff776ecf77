"""Triage decisions are durable and change only what they should (docs/metrics.md, "Réponse
attendue et triage"; warehouse/triage_journal.py, warehouse/triage.py).

* Decisions change exactly the expected-answer family, as computed by hand from the
  decisions, and never the public figures; a decision made after ``as_of`` does not count at
  ``as_of``.
* Nothing loses a decision: ``rebuild``, a snapshot publish while decisions arrive, the
  journal file deleted, ``kill -9`` of the writer (an import) while decisions arrive, ``kill
  -9`` in the middle of recording a batch, many processes recording at once.

Real parts: the dashboard's warehouse (tests/dashboard_data.py, landed through the loading
path by the single writer), the SQLite journal beside it, the published snapshot read as the
dashboard reads it, and ``territoires import`` / ``rebuild`` as subprocesses or commands.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import multiprocessing
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest

from territoires.cli import main
from tests.dashboard_data import AS_OF, build_warehouse
from warehouse import metrics, triage
from warehouse import triage_journal as journal
from warehouse.db import lock_path, snapshot_path, writer
from warehouse.read import reader_cursor
from warehouse.territory import load_territories

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "examples" / "villeneuve.toml"
SINCE, UNTIL = date(2026, 11, 1), date(2026, 11, 29)
PUBLIC = tuple(k for k in metrics.HEADLINE_KEYS if k not in metrics.EXPECTED_KEYS)
KINDS = (*journal.DECISIONS, journal.NOTE)
SPAWN = multiprocessing.get_context("spawn")  # children never inherit DuckDB's threads


# -- helpers --------------------------------------------------------------------------------


def _rows(db: Path, as_of: datetime = AS_OF) -> pd.DataFrame:
    """Every interpellation of the window judged at ``as_of``, read as the dashboard does."""
    cur = reader_cursor(db)
    try:
        terr = load_territories(cur)[0]
        return metrics.interpellations(cur, terr, SINCE, UNTIL, as_of)
    finally:
        cur.close()


def _headline(db: Path, as_of: datetime = AS_OF) -> dict[str, Any]:
    cur = reader_cursor(db)
    try:
        terr = load_territories(cur)[0]
        return metrics.headline(cur, terr, SINCE, UNTIL, as_of)
    finally:
        cur.close()


def _decision(row: Any, kind: str, at: datetime, note: str | None = None) -> journal.Decision:
    return journal.Decision(
        "villeneuve", row.platform, row.post_id, kind, "agent", at,
        service="proprete" if kind == "forwarded" else None,
        note=note or ("à suivre" if kind == "note" else None),
        post_created_at=row.created_at.to_pydatetime())


def _as_dict(seq: int, d: journal.Decision) -> dict[str, Any]:
    return {"seq": seq, "platform": d.platform, "post_id": d.post_id, "decision": d.decision,
            "decided_at": d.decided_at}


def _family(rows: pd.DataFrame, decisions: list[dict[str, Any]], as_of: datetime
            ) -> dict[str, Any]:
    """The expected-answer family, by hand from the public status and automatic judgement of
    each interpellation and the decisions (the rules of docs/metrics.md): the latest decision
    made at or before ``as_of`` (a note changes nothing) overrides the judgement;
    ``handled_elsewhere`` counts as answered."""
    latest: dict[tuple[str, str], str] = {}
    for d in sorted(decisions, key=lambda d: (d["decided_at"], d["seq"])):
        if d["decision"] != journal.NOTE and d["decided_at"] <= as_of:
            latest[(d["platform"], d["post_id"])] = d["decision"]
    n = answered = pending = missed = 0
    for r in rows.itertuples():
        dec = latest.get((r.platform, r.post_id))
        if dec == "no_answer_expected":
            continue
        if dec not in ("handled_elsewhere", "forwarded") and not r.expects_auto:
            continue
        n += 1
        if r.status == "answered" or dec == "handled_elsewhere":
            answered += 1
        elif r.status == "pending":
            pending += 1
        else:
            missed += 1
    return {"expecting_answer": n, "answered_expecting": answered,
            "response_rate_expecting": round(answered / n, metrics.RATE_DIGITS) if n else None,
            "pending_expecting": pending, "missed_expecting": missed}


def _expected_part(h: dict[str, Any]) -> dict[str, Any]:
    return {k: h[k] for k in metrics.EXPECTED_KEYS}


def _public_part(h: dict[str, Any]) -> dict[str, Any]:
    return {k: h[k] for k in PUBLIC}


def _journal_seqs(db: Path) -> list[int]:
    return [r["seq"] for r in journal.since(db, 0)]


def _copy_seqs(db: Path) -> list[int]:
    """The decisions the published snapshot holds (its ``triage_decisions``)."""
    snap = duckdb.connect(str(snapshot_path(db)), read_only=True)
    try:
        return [r[0] for r in snap.execute("SELECT seq FROM triage_decisions ORDER BY seq")
                .fetchall()]
    finally:
        snap.close()


def _lock_held(db: Path) -> bool:
    with open(lock_path(db), "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(fh, fcntl.LOCK_UN)
        return False


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "w.duckdb"
    build_warehouse(path)
    return path


# -- children (spawned processes: module-level functions) ------------------------------------


def _recorder(db: str, keys: list[tuple[str, str, str]], out: str, stop: Any, seed: int,
              limit: int = 0, batch: int = 1, ready: Any = None, go: Any = None,
              pause: float = 0.0) -> None:
    """Record decisions about ``keys`` ((platform, post_id, created ISO)) until ``stop`` is
    set (or ``limit`` calls); after each call returns, append what it recorded (seq and all)
    to ``out``, one JSON line each: only a returned seq is a promise. With ``ready``/``go``:
    say it is ready, and start when told (so that several start together). ``pause``: sleep
    that long after each call, so that on a loaded 2-core machine a process gives way to the
    others instead of finishing its calls in one time slice."""
    rng = random.Random(seed)
    calls = 0
    if ready is not None:
        ready.set()
        go.wait(120)
    with open(out, "a") as fh:
        while not stop.is_set() and (not limit or calls < limit):
            ds = []
            for _ in range(batch):
                platform, post_id, created = keys[rng.randrange(len(keys))]
                at = datetime.fromisoformat(created) + timedelta(minutes=rng.randint(1, 600))
                kind = rng.choice(KINDS)
                ds.append(journal.Decision(
                    "villeneuve", platform, post_id, kind, f"cm{seed}", at,
                    service="proprete" if kind == "forwarded" else None,
                    note=f"note {seed}-{calls}" if kind == "note" else None,
                    post_created_at=datetime.fromisoformat(created)))
            seqs = journal.record(db, ds)
            for seq, d in zip(seqs, ds, strict=True):
                fh.write(json.dumps({"seq": seq, "platform": d.platform, "post_id": d.post_id,
                                     "decision": d.decision,
                                     "decided_at": d.decided_at.isoformat(),
                                     "t": time.time()}) + "\n")
            fh.flush()
            calls += 1
            if pause:
                time.sleep(pause)


def _read_recorded(out: Path) -> list[dict[str, Any]]:
    if not out.exists():
        return []
    lines = [json.loads(x) for x in out.read_text().splitlines() if x.strip()]
    for d in lines:
        d["decided_at"] = datetime.fromisoformat(d["decided_at"])
    return lines


def _batch_writer(db: str, n: int, ready: Any) -> None:
    """Record one batch of ``n`` decisions (one transaction); say when it starts."""
    ds = [journal.Decision("villeneuve", "x", f"batch-{i}", "no_answer_expected", "cm",
                           datetime(2026, 11, 20), note="n" * 120) for i in range(n)]
    ready.set()
    journal.record(db, ds)


def _keys_for_children(db: Path) -> list[tuple[str, str, str]]:
    """Interpellations whose decisions (made 1 to 600 minutes after the post) all fall
    before AS_OF."""
    rows = _rows(db)
    late = AS_OF - timedelta(hours=10)
    return [(r.platform, r.post_id, r.created_at.isoformat()) for r in rows.itertuples()
            if r.created_at <= late]


# -- what decisions change ------------------------------------------------------------------


def test_decisions_change_exactly_the_expected_answer_family(db: Path) -> None:
    rows = _rows(db)
    before = _headline(db)
    assert _expected_part(before) == _family(rows, [], AS_OF)  # the judgement alone
    rng = random.Random(1717)
    recorded: list[dict[str, Any]] = []

    def record(n: int) -> None:
        ds = []
        for _ in range(n):
            r = rows.iloc[rng.randrange(len(rows))]
            # 1 minute to 12 days after the post: some after AS_OF, which must not count
            at = r.created_at.to_pydatetime() + timedelta(minutes=rng.randint(1, 12 * 1440))
            ds.append(_decision(r, rng.choice(KINDS), at))
        recorded.extend(_as_dict(s, d) for s, d in zip(journal.record(db, ds), ds, strict=True))

    record(60)  # in the journal only: readers add them to the snapshot's copy
    after = _headline(db)
    assert _public_part(after) == _public_part(before)
    assert _expected_part(after) == _family(rows, recorded, AS_OF)
    assert _expected_part(after) != _expected_part(before)  # the decisions did change it
    assert any(d["decided_at"] > AS_OF for d in recorded)  # and some were after as_of
    with writer(db):
        pass  # published: now read from the snapshot's copy
    assert _copy_seqs(db) == sorted(d["seq"] for d in recorded)
    assert _headline(db) == after
    record(40)  # the copy and the journal's newer decisions together
    again = _headline(db)
    assert _public_part(again) == _public_part(before)
    assert _expected_part(again) == _family(rows, recorded, AS_OF)
    # each row says which decision judged it, and the public status never moves
    judged = _rows(db)
    assert list(judged["status"]) == list(rows["status"])
    by_hand = {}
    for d in sorted(recorded, key=lambda d: (d["decided_at"], d["seq"])):
        if d["decision"] != journal.NOTE and d["decided_at"] <= AS_OF:
            by_hand[(d["platform"], d["post_id"])] = d["decision"]
    got = {(r.platform, r.post_id): r.triage_decision for r in judged.itertuples()
           if isinstance(r.triage_decision, str)}
    assert got == by_hand


def test_a_decision_after_as_of_counts_only_from_then(db: Path) -> None:
    rows = _rows(db)
    # the latest interpellation that expects an answer and waits for one (still waiting
    # two hours later)
    waiting = rows[(rows["status"] == "pending") & rows["expects_auto"]]
    assert len(waiting)
    row = list(waiting.itertuples())[-1]
    later = AS_OF + timedelta(hours=2)
    at_as_of, at_later = _headline(db), _headline(db, later)
    journal.record(db, [_decision(row, "no_answer_expected", AS_OF + timedelta(hours=1))])
    for published in (False, True):  # read through the journal, then the snapshot's copy
        if published:
            with writer(db):
                pass
            assert len(_copy_seqs(db)) == 1
        assert _headline(db) == at_as_of  # made after AS_OF: not there at AS_OF
        now = _headline(db, later)
        assert _public_part(now) == _public_part(at_later)
        assert now["expecting_answer"] == at_later["expecting_answer"] - 1
        assert now["pending_expecting"] == at_later["pending_expecting"] - 1
        mine = _rows(db, later).set_index("post_id").loc[row.post_id]
        assert mine["triage_decision"] == "no_answer_expected" and not mine["expects"]
        assert _rows(db).set_index("post_id").loc[row.post_id]["triage_decision"] is None


# -- nothing loses a decision ----------------------------------------------------------------


def test_rebuild_keeps_every_decision(db: Path, capsys) -> None:
    rows = _rows(db)
    rng = random.Random(5)
    recorded = []
    for n in (30, 5):  # 30 copied by a publish, then 5 in the journal only
        ds = [_decision(rows.iloc[rng.randrange(len(rows))], rng.choice(KINDS),
                        AS_OF - timedelta(minutes=rng.randint(1, 600))) for _ in range(n)]
        recorded += [_as_dict(s, d) for s, d in zip(journal.record(db, ds), ds, strict=True)]
        if n == 30:
            with writer(db):
                pass
    before_rows, before = journal.since(db, 0), _headline(db)
    digest = hashlib.sha256(journal.journal_path(db).read_bytes()).hexdigest()
    assert main(["rebuild", "--db", str(db)]) == 0
    assert "rebuilt from" in capsys.readouterr().out
    assert journal.since(db, 0) == before_rows  # the journal is untouched...
    assert hashlib.sha256(journal.journal_path(db).read_bytes()).hexdigest() == digest
    assert _copy_seqs(db) == [d["seq"] for d in recorded]  # ...the copy refreshed from it
    assert _headline(db) == before
    assert _expected_part(before) == _family(rows, recorded, AS_OF)


def test_a_publish_while_decisions_arrive_loses_none(db: Path, tmp_path: Path) -> None:
    keys = _keys_for_children(db)
    out = tmp_path / "recorded.jsonl"
    stop = SPAWN.Event()
    child = SPAWN.Process(target=_recorder, args=(str(db), keys, str(out), stop, 3))
    child.start()
    try:
        deadline = time.monotonic() + 60
        while len(_read_recorded(out)) < 5 and time.monotonic() < deadline:
            time.sleep(0.05)
        publishes = 0
        while publishes < 8:
            promised = {d["seq"] for d in _read_recorded(out)}
            # a reader sees every decision already recorded: the copy plus the journal's newer
            cur = reader_cursor(db)
            try:
                terr = load_territories(cur)[0]
                copy = {r[0] for r in cur.execute("SELECT seq FROM triage_decisions").fetchall()}
                seen = copy | set(triage.overlay_params(cur, terr)["tr_seq"])
            finally:
                cur.close()
            assert promised <= seen
            with writer(db):
                pass
            publishes += 1
            copied = _copy_seqs(db)
            # the snapshot holds every decision up to its last one, without a hole
            assert copied == [s for s in _journal_seqs(db) if s <= copied[-1]]
    finally:
        stop.set()
        child.join(30)
    assert child.exitcode == 0
    recorded = _read_recorded(out)
    assert len(recorded) > 20
    with writer(db):
        pass
    seqs = sorted(d["seq"] for d in recorded)
    assert _journal_seqs(db) == seqs == _copy_seqs(db)
    assert _expected_part(_headline(db)) == _family(_rows(db), recorded, AS_OF)


def test_the_journal_file_lost_is_restored_by_the_next_writer(db: Path) -> None:
    rows = _rows(db)
    rng = random.Random(9)
    ds = [_decision(rows.iloc[rng.randrange(len(rows))], rng.choice(KINDS),
                    AS_OF - timedelta(minutes=rng.randint(1, 900)), note=f"n{i}")
          for i in range(25)]
    recorded = [_as_dict(s, d) for s, d in zip(journal.record(db, ds), ds, strict=True)]
    with writer(db):
        pass
    kept = journal.since(db, 0)
    figures = _headline(db)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{journal.journal_path(db)}{suffix}").unlink(missing_ok=True)
    assert _headline(db) == figures  # readers still have the snapshot's copy
    # a CM records a decision meanwhile: the new file numbers from 1 again
    row = rows.iloc[0]
    late = _decision(row, "handled_elsewhere", AS_OF - timedelta(minutes=1), note="après")
    assert journal.record(db, [late]) == [1]
    with writer(db):
        pass
    restored = journal.since(db, 0)
    assert restored[:25] == kept  # every earlier decision, as it was (seq, who, note...)
    assert [r["seq"] for r in restored[25:]] == [26]  # the new one, renumbered after them
    assert (restored[25]["post_id"], restored[25]["note"]) == (row.post_id, "après")
    assert _copy_seqs(db) == list(range(1, 27))
    recorded.append(_as_dict(26, late))
    assert _expected_part(_headline(db)) == _family(rows, recorded, AS_OF)
    # a publish again changes nothing; the journal takes the next number
    with writer(db):
        pass
    assert journal.since(db, 0) == restored
    assert journal.record(db, [late]) == [27]


@pytest.mark.slow
def test_kill_9_of_the_writer_while_decisions_arrive_loses_none(db: Path,
                                                                tmp_path: Path) -> None:
    from collectors.demo import generate_pages
    from territoires.example import demo_territory

    big = tmp_path / "big.jsonl"
    with open(big, "w") as fh:  # a twarc2 file: one X API v2 page per line
        for page in generate_pages(demo_territory(), 80_000, seed=11, anchor=UNTIL,
                                   platforms=("x",)):
            fh.write(page.body.replace("\n", " ") + "\n")
    keys = _keys_for_children(db)
    out = tmp_path / "recorded.jsonl"
    stop = SPAWN.Event()
    child = SPAWN.Process(target=_recorder, args=(str(db), keys, str(out), stop, 4))
    child.start()
    deadline = time.monotonic() + 60
    while len(_read_recorded(out)) < 3:  # decisions are arriving
        assert child.is_alive() and time.monotonic() < deadline
        time.sleep(0.02)
    importer = subprocess.Popen(
        [sys.executable, "-m", "territoires", "import", str(big), "--config", str(CONFIG),
         "--db", str(db)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        while not _lock_held(db):
            assert importer.poll() is None and time.monotonic() < deadline
            time.sleep(0.02)
        held_at = time.time()
        # decisions keep arriving while the import holds the writer lock
        while len([d for d in _read_recorded(out) if d["t"] >= held_at]) < 20:
            assert importer.poll() is None, "the import ended before it could be killed"
            time.sleep(0.05)
        time.sleep(0.5)
        assert importer.poll() is None, "the import ended before it could be killed"
        importer.send_signal(signal.SIGKILL)
        killed_at = time.time()
        importer.wait(10)
        time.sleep(0.3)
    finally:
        stop.set()
        child.join(30)
        if importer.poll() is None:
            importer.kill()
    assert child.exitcode == 0
    recorded = _read_recorded(out)
    during = [d for d in recorded if held_at <= d["t"] <= killed_at]
    assert len(during) >= 20, len(recorded)  # recorded while the writer held the lock
    # every decision whose seq was returned is in the journal, as recorded
    in_journal = {r["seq"]: r for r in journal.since(db, 0)}
    for d in recorded:
        got = in_journal[d["seq"]]
        assert (got["post_id"], got["decision"], got["decided_at"]) == (
            d["post_id"], d["decision"], d["decided_at"])
    # the next writer publishes them all, and the figures count them
    with writer(db):
        pass
    assert _copy_seqs(db) == sorted(d["seq"] for d in recorded)
    rows = _rows(db)
    assert _expected_part(_headline(db)) == _family(rows, recorded, AS_OF)


@pytest.mark.slow
def test_kill_9_in_the_middle_of_a_batch_keeps_the_journal_whole(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"  # the journal alone: no warehouse needed to record
    first = journal.record(db, [journal.Decision("villeneuve", "x", "1", "reopened", "cm",
                                                 datetime(2026, 11, 20))])
    wal = Path(f"{journal.journal_path(db)}-wal")
    n = 100_000
    outcomes = []
    for attempt in range(2):
        ready = SPAWN.Event()
        child = SPAWN.Process(target=_batch_writer, args=(str(db), n, ready))
        child.start()
        assert ready.wait(60)
        deadline = time.monotonic() + 30
        # the transaction is under way once its pages spill into the log (commit comes last)
        while not (wal.exists() and wal.stat().st_size > 4_000_000):
            assert child.is_alive() and time.monotonic() < deadline, "the batch ended first"
            time.sleep(0.005)
        os.kill(child.pid, signal.SIGKILL)
        child.join(10)
        assert child.exitcode == -signal.SIGKILL
        with sqlite3.connect(journal.journal_path(db)) as check:
            assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            outcomes.append(check.execute("SELECT count(*) FROM decisions").fetchone()[0])
        seqs = journal.record(db, [journal.Decision("villeneuve", "x", f"after{attempt}",
                                                    "reopened", "cm", datetime(2026, 11, 21))])
        assert seqs[0] > first[0]
    # none of a killed batch: the journal holds the first decision and the two after it
    assert outcomes == [1, 2]
    assert [r["post_id"] for r in journal.since(db, 0)] == ["1", "after0", "after1"]
    # and a whole batch, once it is allowed to finish, is all there
    ready = SPAWN.Event()
    child = SPAWN.Process(target=_batch_writer, args=(str(db), n, ready))
    child.start()
    child.join(120)
    assert child.exitcode == 0
    assert journal.version(db) > n and len(journal.since(db, 0)) == n + 3


@pytest.mark.slow
def test_many_processes_recording_at_once_lose_nothing(db: Path, tmp_path: Path) -> None:
    keys = _keys_for_children(db)
    stop, go = SPAWN.Event(), SPAWN.Event()
    ready = [SPAWN.Event() for _ in range(4)]
    outs = [tmp_path / f"r{i}.jsonl" for i in range(4)]
    children = [SPAWN.Process(target=_recorder, args=(str(db), keys, str(o), stop, 10 + i, 50,
                                                      1, ready[i], go, 0.005))
                for i, o in enumerate(outs)]
    for c in children:
        c.start()
    assert all(r.wait(60) for r in ready)
    go.set()  # the four start together
    for c in children:
        c.join(120)
    assert [c.exitcode for c in children] == [0, 0, 0, 0]
    per_child = [_read_recorded(o) for o in outs]
    # they did record at the same time: in the journal's order their decisions interleave
    # (four back-to-back runs would switch from one process to another only 3 times)
    owner = sorted((d["seq"], i) for i, got in enumerate(per_child) for d in got)
    switches = sum(1 for a, b in zip(owner, owner[1:], strict=False) if a[1] != b[1])
    assert switches > 10, switches
    recorded = [d for got in per_child for d in got]
    seqs = [d["seq"] for d in recorded]
    assert len(recorded) == 200 and len(set(seqs)) == 200
    assert sorted(seqs) == _journal_seqs(db)
    with writer(db):
        pass
    assert _copy_seqs(db) == sorted(seqs)
    assert _expected_part(_headline(db)) == _family(_rows(db), recorded, AS_OF)


def test_the_copy_grows_by_the_new_decisions_and_is_redone_after_a_missed_erasure(db: Path
                                                                                  ) -> None:
    """The writer copies only what the journal gained since the last snapshot; if the journal
    changed otherwise (an erasure the copy did not get, e.g. a crash between the two), the
    copy is redone whole, so an erased note never survives in a snapshot."""
    rows = _rows(db)
    first = [_decision(r, "note", AS_OF - timedelta(hours=1), note=f"appel {i}")
             for i, r in enumerate(rows.head(3).itertuples())]
    journal.record(db, first)
    with writer(db):
        pass
    assert _copy_seqs(db) == _journal_seqs(db)
    more = journal.record(db, [_decision(rows.iloc[3], "no_answer_expected", AS_OF)])
    with writer(db) as con:
        assert triage.sync_copy(con, db) == 1  # only the new one
    assert _copy_seqs(db)[-1] == more[0]
    assert journal.erase_person(db, "agent") == 4  # the journal alone, as if the copy missed it
    with writer(db):
        pass
    snap = duckdb.connect(str(snapshot_path(db)), read_only=True)
    try:
        kept = snap.execute("SELECT count(note), count(decided_by), count(*) "
                            "FROM triage_decisions").fetchall()
    finally:
        snap.close()
    assert kept == [(0, 0, 4)]
