"""``territoires queue`` and ``territoires triage`` (docs/design.md §12): the queue's records, the
decisions they show, the public figures they never move, and one-line errors."""

from __future__ import annotations

import csv
import io
import json
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from territoires.cli import main
from territoires.config import load_config
from tests.scenario import Scenario
from warehouse import triage_journal as journal
from warehouse.db import writer, writer_lock
from warehouse.metrics import EXPECTED_KEYS, HEADLINE_KEYS
from warehouse.queue import KEYS

CONFIG = """
[territory]
name = "Villeneuve (test)"
slug = "testville"
timezone = "Europe/Paris"
holidays = "FR"

[[accounts]]
platform = "x"
handle = "ville"
service_hours = "mon-fri 09:00-18:00"

[[accounts]]
platform = "bluesky"
handle = "villebsky"
service_hours = "mon-fri 09:00-18:00"

[[services]]
slug = "proprete"
label = "Propreté"
keywords = ["poubelle", "poubelles"]

[[services]]
slug = "eclairage"
label = "Éclairage public"
keywords = ["lampadaire"]
"""
DESIGN_KEYS = ["platform", "id", "created_at", "author_username", "addressed_account", "text",
               "url", "state", "expects_answer", "expects_answer_source", "triage_decision",
               "service", "first_answer_at"]  # fmt: skip
WINDOW = ("--since", "2024-03-01", "--until", "2024-04-01")
AS_OF = ("--as-of", "2024-03-14T12:00")  # local time: 11:00Z
FORMULA = '=HYPERLINK("http://evil.example","clic") ça marche ?'
SHARED_ID = "1700000000000000999"  # an interpellation on x and on bluesky


@pytest.fixture()
def wh(tmp_path: Path) -> dict[str, Any]:
    """A fresh warehouse (decisions persist in the journal: one per test)."""
    config = tmp_path / "testville.toml"
    config.write_text(CONFIG, encoding="utf-8")
    db = tmp_path / "w.duckdb"
    territory = load_config(config)
    s = Scenario(territory)
    s.user("ville")
    s.user("alice")
    s.user("bob")
    city = s.post("ville", "2024-03-01 09:00", "Le marché est ouvert")
    ids = {
        "old": s.post("alice", "2024-03-02 10:00",
                      "@ville le lampadaire de la rue Haute est en panne, c'est pour quand ?"),
        "answered": s.post("alice", "2024-03-04 08:00", "@ville il ouvre à quelle heure ?"),
        "merci": s.post("bob", "2024-03-05 10:00", "@ville Merci, bonne soirée !"),
        "question": s.post("bob", "2024-03-12 10:00",
                           "@ville la poubelle n'a pas été ramassée, vous passez quand ?"),
        "formula": s.reply("bob", city, "2024-03-13 10:00", FORMULA),
        "shared": s.post("alice", "2024-03-13 11:00", "@ville une question ?", id=SHARED_ID),
    }
    s.reply("ville", ids["answered"], "2024-03-04 09:20", "@alice 8h")
    b = Scenario(territory, platform="bluesky")
    b.user("villebsky", id="90001")
    b.user("carol", id="90002")
    bcity = b.post("villebsky", "2024-03-10 09:00", "Bonjour", id="1700000000000000500")
    b.reply("carol", bcity, "2024-03-13 12:00", "Et la piscine ?", id=SHARED_ID)
    with writer(db) as con:  # publishes the snapshot the commands read
        s.land(con)
        b.land(con)
    return {"config": config, "db": db, "ids": ids, "city": city}


def run(capsys, wh: dict[str, Any], *argv: str) -> tuple[int, str, str]:
    command, *rest = argv
    code = main([command, "--config", str(wh["config"]), "--db", str(wh["db"]), *rest])
    out, err = capsys.readouterr()
    return code, out, err


def queue(capsys, wh: dict[str, Any], *extra: str) -> dict[str, dict[str, Any]]:
    code, out, err = run(capsys, wh, "queue", *WINDOW, *(extra or AS_OF), "--format", "json")
    assert (code, err) == (0, ""), err
    return {(r["platform"], r["id"]): r for r in json.loads(out)}  # type: ignore[misc]


def triage(capsys, wh: dict[str, Any], post: str, *extra: str) -> tuple[int, str, str]:
    return run(capsys, wh, "triage", post, *extra)


def x(wh: dict[str, Any], name: str) -> tuple[str, str]:
    return ("x", wh["ids"][name])


def test_queue_json_keys_types_and_values(capsys, wh):
    code, out, err = run(capsys, wh, "queue", *WINDOW, *AS_OF, "--format", "json")
    assert (code, err) == (0, "")
    records = json.loads(out)
    assert isinstance(records, list) and len(records) == 7  # 6 on x, 1 on bluesky
    for r in records:
        assert list(r) == list(KEYS) and list(r)[:13] == DESIGN_KEYS
        assert isinstance(r["expects_answer"], bool)
        assert r["created_at"].endswith("Z") and "T" in r["created_at"]
        assert r["state"] in ("answered", "handled_elsewhere", "pending", "missed")
        assert r["expects_answer_source"] == "auto"
        assert r["triage_decision"] is None and r["service"] is None
    # oldest first
    assert [r["created_at"] for r in records] == sorted(r["created_at"] for r in records)
    by = {(r["platform"], r["id"]): r for r in records}
    answered = by[x(wh, "answered")]
    assert answered["state"] == "answered"
    assert answered["created_at"] == "2024-03-04T07:00:00Z"
    assert answered["first_answer_at"] == "2024-03-04T08:20:00Z"
    assert answered["expects_answer"] is True and answered["expects_answer_rule"] == "question"
    assert answered["author_username"] == "alice" and answered["addressed_account"] == "ville"
    assert answered["text"] == "@ville il ouvre à quelle heure ?"
    assert answered["url"] == f"https://x.com/alice/status/{wh['ids']['answered']}"
    merci = by[x(wh, "merci")]
    assert (merci["expects_answer"], merci["expects_answer_rule"]) == (False, "thanks")
    assert merci["state"] == "missed"  # 9 days old, unanswered: public state, whatever expects
    assert merci["first_answer_at"] is None
    question = by[x(wh, "question")]
    assert (question["state"], question["expects_answer"]) == ("pending", True)
    assert question["suggested_service"] == "proprete"
    old = by[x(wh, "old")]
    assert (old["state"], old["suggested_service"]) == ("missed", "eclairage")
    assert by[("bluesky", SHARED_ID)]["author_username"] == "carol"

    # an answer after as_of is not an answer at as_of
    early = queue(capsys, wh, "--as-of", "2024-03-04T09:00")
    assert early[x(wh, "answered")]["state"] == "pending"
    assert early[x(wh, "answered")]["first_answer_at"] is None
    # --platform keeps one platform
    code, out, _ = run(capsys, wh, "queue", *WINDOW, *AS_OF, "--platform", "bluesky")
    assert code == 0 and [r["platform"] for r in json.loads(out)] == ["bluesky"]


def test_triage_then_queue_shows_the_decisions(capsys, wh):
    code, out, err = triage(capsys, wh, wh["ids"]["merci"], "--platform", "x",
                            "--decision", "no_answer_expected", "--by", "Camille Martin",
                            "--note", "remerciement, appelé Mme Dupont", "--at", "2024-03-06T09:00")
    assert (code, err) == (0, "")
    assert out.count("\n") == 1
    assert out.startswith(f"no_answer_expected: x post {wh['ids']['merci']}")
    assert "Camille Martin" in out and "2024-03-06 09:00:00 (Europe/Paris)" in out
    assert "journal #1" in out
    assert triage(capsys, wh, wh["ids"]["old"], "--decision", "handled_elsewhere",
                  "--by", "Camille", "--at", "2024-03-07T10:00")[0] == 0
    code, out, _ = triage(capsys, wh, wh["ids"]["question"], "--decision", "forwarded",
                          "--service", "proprete", "--by", "Camille", "--at", "2024-03-13T09:00")
    assert code == 0 and "-> proprete" in out and "journal #3" in out

    code, out, _ = run(capsys, wh, "queue", *WINDOW, *AS_OF)
    assert code == 0
    assert "Camille" not in out and "Dupont" not in out  # never who triaged, never notes
    by = {(r["platform"], r["id"]): r for r in json.loads(out)}
    merci = by[x(wh, "merci")]
    assert (merci["expects_answer"], merci["expects_answer_source"]) == (False, "triage")
    assert merci["triage_decision"] == "no_answer_expected" and merci["service"] is None
    old = by[x(wh, "old")]
    assert (old["state"], old["expects_answer"], old["expects_answer_source"]) == (
        "handled_elsewhere", True, "triage")
    assert old["first_answer_at"] is None  # handled elsewhere is not a public answer
    question = by[x(wh, "question")]
    assert (question["triage_decision"], question["service"]) == ("forwarded", "proprete")
    assert (question["state"], question["expects_answer"]) == ("pending", True)
    assert by[x(wh, "answered")]["triage_decision"] is None

    # a later "reopened" is the decision now: back to the automatic judgement, no service
    assert triage(capsys, wh, wh["ids"]["question"], "--decision", "reopened", "--by", "Camille",
                  "--at", "2024-03-13T10:00")[0] == 0  # fmt: skip
    question = queue(capsys, wh)[x(wh, "question")]
    assert (question["triage_decision"], question["service"]) == ("reopened", None)
    assert question["expects_answer_source"] == "auto"
    # a note alone is history: it is not the decision
    assert triage(capsys, wh, wh["ids"]["merci"], "--decision", "note", "--by", "Camille",
                  "--note", "rappeler", "--at", "2024-03-08T10:00")[0] == 0  # fmt: skip
    assert queue(capsys, wh)[x(wh, "merci")]["triage_decision"] == "no_answer_expected"
    # the journal kept everything, with who and the note
    rows = journal.history(wh["db"], "testville", [x(wh, "merci")])
    assert [(r["decision"], r["decided_by"]) for r in rows] == [
        ("no_answer_expected", "Camille Martin"), ("note", "Camille")]
    assert rows[0]["note"] == "remerciement, appelé Mme Dupont"
    assert rows[0]["post_created_at"] is not None


def test_decision_after_as_of_does_not_count_at_as_of(capsys, wh):
    post = wh["ids"]["question"]
    assert triage(capsys, wh, post, "--decision", "no_answer_expected", "--by", "Camille",
                  "--at", "2024-03-14T13:00")[0] == 0  # fmt: skip
    at_noon = queue(capsys, wh)[x(wh, "question")]  # as of 12:00, local
    assert (at_noon["triage_decision"], at_noon["expects_answer"]) == (None, True)
    assert at_noon["expects_answer_source"] == "auto"
    later = queue(capsys, wh, "--as-of", "2024-03-14T13:00")[x(wh, "question")]
    assert (later["triage_decision"], later["expects_answer"]) == ("no_answer_expected", False)


def test_metrics_public_figures_unchanged_by_triage(capsys, wh):
    def metrics() -> dict[str, Any]:
        code, out, _ = run(capsys, wh, "metrics", *WINDOW, *AS_OF)
        assert code == 0
        return json.loads(out)

    before = metrics()
    assert (before["interpellations"], before["answered"]) == (7, 1)
    assert before["expecting_answer"] == 6  # everything but the "merci"
    triage(capsys, wh, wh["ids"]["old"], "--decision", "handled_elsewhere", "--by", "C",
           "--at", "2024-03-07T10:00")
    triage(capsys, wh, wh["ids"]["question"], "--decision", "no_answer_expected", "--by", "C",
           "--at", "2024-03-13T10:00")
    after = metrics()
    public = [k for k in HEADLINE_KEYS if k not in EXPECTED_KEYS]
    assert {k: after[k] for k in public} == {k: before[k] for k in public}
    assert after["expecting_answer"] == before["expecting_answer"] - 1
    assert after["answered_expecting"] == before["answered_expecting"] + 1
    assert after["missed_expecting"] == before["missed_expecting"] - 1
    assert after["pending_expecting"] == before["pending_expecting"] - 1


def test_queue_csv_header_and_formula_injection(capsys, wh):
    code, out, err = run(capsys, wh, "queue", *WINDOW, *AS_OF, "--format", "csv")
    assert (code, err) == (0, "")
    assert out.split("\r\n", 1)[0] == ",".join(KEYS)
    rows = list(csv.DictReader(io.StringIO(out, newline="")))
    assert len(rows) == 7
    by = {(r["platform"], r["id"]): r for r in rows}
    formula = by[x(wh, "formula")]
    assert formula["text"] == "'" + FORMULA  # a spreadsheet shows it, never runs it
    assert by[x(wh, "answered")]["text"] == "'@ville il ouvre à quelle heure ?"
    assert by[x(wh, "merci")]["expects_answer"] == "false"
    assert by[x(wh, "answered")]["first_answer_at"] == "2024-03-04T08:20:00Z"
    assert by[x(wh, "merci")]["first_answer_at"] == ""
    # no cell of the output starts a formula
    for r in rows:
        for value in r.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value


def one_line_error(code: int, out: str, err: str, command: str = "triage") -> str:
    assert code == 2 and out == ""
    assert err.startswith(f"territoires {command}: ") and err.count("\n") == 1, err
    return err


def test_triage_errors_are_one_clear_line(capsys, wh):
    err = one_line_error(*triage(capsys, wh, "42", "--decision", "forwarded", "--by", "C"))
    assert "42" in err and "no interpellation" in err
    # a post of the city is not an interpellation
    err = one_line_error(*triage(capsys, wh, wh["city"], "--decision", "forwarded", "--by", "C"))
    assert "no interpellation" in err
    err = one_line_error(*triage(capsys, wh, SHARED_ID, "--decision", "forwarded", "--by", "C"))
    assert "bluesky, x" in err and "--platform" in err
    err = one_line_error(*triage(capsys, wh, wh["ids"]["question"], "--decision", "forwarded",
                                 "--service", "voirie", "--by", "C"))
    assert "voirie" in err and "proprete, eclairage" in err
    err = one_line_error(*triage(capsys, wh, wh["ids"]["question"], "--decision", "ignore",
                                 "--by", "C"))
    assert "no_answer_expected, handled_elsewhere, forwarded, reopened, note" in err
    err = one_line_error(*triage(capsys, wh, wh["ids"]["question"], "--decision", "note",
                                 "--by", "C"))
    assert "--note" in err
    err = one_line_error(*triage(capsys, wh, wh["ids"]["question"], "--decision", "forwarded",
                                 "--by", "C", "--at", "2024-03-01T10:00"))
    assert "before the post was created" in err
    err = one_line_error(*triage(capsys, wh, wh["ids"]["question"], "--decision", "forwarded",
                                 "--by", "C", "--at", "hier"))
    assert "--at" in err
    assert journal.version(wh["db"]) == 0  # nothing was recorded
    # the platform settles the shared id
    code, out, _ = triage(capsys, wh, SHARED_ID, "--platform", "bluesky", "--decision",
                          "forwarded", "--by", "C")
    assert code == 0 and out.startswith(f"forwarded: bluesky post {SHARED_ID}")


def test_queue_errors(capsys, wh, tmp_path):
    one_line_error(*run(capsys, wh, "queue", "--since", "2024-03-05", "--until", "2024-03-01"),
                   command="queue")
    other = tmp_path / "other.toml"
    other.write_text(CONFIG.replace('slug = "testville"', 'slug = "autreville"'), encoding="utf-8")
    code = main(["queue", "--config", str(other), "--db", str(wh["db"]), *WINDOW])
    err = one_line_error(code, *capsys.readouterr(), command="queue")
    assert "autreville" in err
    code = main(["queue", "--config", str(wh["config"]), "--db", str(tmp_path / "none.duckdb"),
                 *WINDOW])
    assert "no warehouse" in one_line_error(code, *capsys.readouterr(), command="queue")


def test_triage_does_not_wait_for_the_writer_lock(capsys, wh):
    held, release = threading.Event(), threading.Event()

    def collector() -> None:  # a collection holding the warehouse's writer lock
        with writer_lock(wh["db"], wait=5):
            held.set()
            release.wait(30)

    result: list[tuple[int, str, str]] = []
    holder = threading.Thread(target=collector)
    worker = threading.Thread(target=lambda: result.append(triage(
        capsys, wh, wh["ids"]["merci"], "--decision", "no_answer_expected", "--by", "C")))
    holder.start()
    try:
        assert held.wait(5)
        t0 = time.monotonic()
        worker.start()
        worker.join(5)
        elapsed = time.monotonic() - t0
        assert not worker.is_alive(), "triage waited for the writer lock"
    finally:
        release.set()
        holder.join()
        if worker.ident is not None:
            worker.join()
    assert elapsed < 2.0 and result and result[0][0] == 0, result
    assert journal.version(wh["db"]) == 1
    # recorded "now" (whole seconds): it counts for a queue judged now
    [row] = journal.since(wh["db"], 0)
    assert row["decided_at"].microsecond == 0
    assert abs((datetime.now(UTC).replace(tzinfo=None) - row["decided_at"]).total_seconds()) < 5
    code, out, _ = run(capsys, wh, "queue", *WINDOW, "--as-of", "2099-01-01T00:00Z")
    merci = {r["id"]: r for r in json.loads(out)}[wh["ids"]["merci"]]
    assert merci["triage_decision"] == "no_answer_expected"
