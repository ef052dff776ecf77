"""Aujourd'hui as an inbox (issue 17), through app.py in AppTest on a real warehouse
(tests/inbox_data.py) and the real triage journal: the default queue, the state and service
filters, each card's actions, undo, the bulk action, the names, and the two response rates.
"""

from __future__ import annotations

import fcntl
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from territoires.config import load_config
from territoires.ui import inbox
from tests.conftest import EXAMPLE_CONFIG, run_app
from tests.inbox_data import (
    LAMPADAIRE,
    MERCI,
    MERCI_REQUEST,
    PASSEPORTS,
    QUESTION,
    Built,
    big_jsonl,
    build,
)
from warehouse import triage_journal as journal
from warehouse.db import lock_path

RATE_PUBLIC = "Taux de réponse, 7 derniers jours (public)"
RATE_EXPECTING = "Taux de réponse (messages qui attendent une réponse)"


@pytest.fixture
def wh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Built]:
    db = tmp_path / "inbox.duckdb"
    built = build(db)
    monkeypatch.setenv("TERRITOIRES_DB", str(db))
    monkeypatch.delenv(inbox.USER_HEADER_ENV, raising=False)
    return db, built


def key(built: Built, text: str) -> str:
    return inbox.card_key("x", built.ids[text])


def named(at: AppTest, name: str = "Camille Dupont") -> AppTest:
    at.sidebar.text_input(key=inbox.NAME_KEY).input(name).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def act(at: AppTest, built: Built, text: str, decision: str) -> AppTest:
    at.button(key=f"act-{decision}-{key(built, text)}").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def show(at: AppTest, state: str) -> AppTest:
    at.segmented_control(key="w_etat").set_value(state).run()
    return at


def listed(at: AppTest) -> list[str]:
    """The texts of the queue's table (the whole filtered queue), [] when it is empty."""
    frames = [d.value for d in at.dataframe if "text" in d.value.columns
              and "judgement" in d.value.columns]
    return frames[0]["text"].tolist() if frames else []


def cards(at: AppTest) -> list[str]:
    return [x.value for x in at.text]


def captions(at: AppTest) -> list[str]:
    """The captions without their Markdown escapes."""
    return [c.value.replace("\\", "") for c in at.caption]


def rates(at: AppTest) -> tuple[str, str]:
    values = {m.label: m.value for m in at.metric}
    return values[RATE_PUBLIC], values[RATE_EXPECTING]


def history(db: Path, built: Built, text: str) -> list[dict]:
    return journal.history(db, "villeneuve", [("x", built.ids[text])])


def test_default_queue_holds_what_expects_an_answer(wh: tuple[Path, Built]) -> None:
    db, built = wh
    at = run_app()
    assert QUESTION in listed(at) and QUESTION in cards(at)
    assert MERCI not in listed(at) and MERCI not in cards(at)  # thanks: no answer expected
    states = at.segmented_control(key="w_etat")
    assert states.value == "todo"
    assert "À traiter (8)" in states.options and "Pas de réponse attendue (1)" in states.options
    lines = captions(at)
    assert any("Réponse attendue — question (« ? » ou tournure interrogative)" in c
               for c in lines), lines
    assert any("Service suggéré : Culture et événements" in c for c in lines), lines
    show(at, "no_answer")
    assert listed(at) == [MERCI]
    assert any("Pas de réponse attendue — remerciement" in c for c in captions(at))
    assert at.query_params["etat"] == "no_answer"  # bound to the URL


def test_actions_are_disabled_until_a_name_is_known(wh: tuple[Path, Built]) -> None:
    db, built = wh
    at = run_app()
    k = key(built, QUESTION)
    assert at.button(key=f"act-no_answer_expected-{k}").disabled
    assert any("Indiquez votre nom" in c for c in captions(at))
    named(at)
    assert not at.button(key=f"act-no_answer_expected-{k}").disabled
    at.switch_page("views/definitions.py").run()
    at.switch_page("views/aujourdhui.py").run()  # the name survives a visit to another page
    assert at.sidebar.text_input(key=inbox.NAME_KEY).value == "Camille Dupont"
    assert not at.button(key=f"act-no_answer_expected-{k}").disabled


def test_dismiss_then_reopen_and_the_rates(wh: tuple[Path, Built]) -> None:
    db, built = wh
    at = named(run_app())
    public0, expecting0 = rates(at)
    assert (public0, expecting0) == ("10\u202f%", "11\u202f%")  # 1 of 10; 1 of 9
    act(at, built, QUESTION, "no_answer_expected")
    assert QUESTION not in listed(at) and QUESTION not in cards(at)
    assert at.toast and "Pas de réponse attendue" in at.toast[0].value
    public1, expecting1 = rates(at)
    assert public1 == public0  # public figures never change with triage
    assert expecting1 == "12\u202f%"  # 1 of 8
    show(at, "no_answer")
    assert QUESTION in listed(at)
    assert any("Décision : Pas de réponse attendue" in c for c in captions(at)), captions(at)
    act(at, built, QUESTION, "reopened")
    show(at, "todo")
    assert QUESTION in listed(at)
    assert rates(at) == (public0, expecting0)
    assert [d["decision"] for d in history(db, built, QUESTION)] == [
        "no_answer_expected", "reopened"]
    assert all(d["decided_by"] == "Camille Dupont" for d in history(db, built, QUESTION))


def test_undo_puts_the_previous_state_back(wh: tuple[Path, Built]) -> None:
    db, built = wh
    at = named(run_app())
    act(at, built, LAMPADAIRE, "handled_elsewhere")
    assert LAMPADAIRE not in listed(at)
    at.button(key="inbox_undo").click().run()
    assert LAMPADAIRE in listed(at)
    assert [d["decision"] for d in history(db, built, LAMPADAIRE)] == [
        "handled_elsewhere", "reopened"]
    assert any("annulée" in t.value for t in at.toast)


def test_forward_sets_the_service_and_moves_to_forwarded(wh: tuple[Path, Built]) -> None:
    db, built = wh
    at = named(run_app())
    k = key(built, LAMPADAIRE)
    assert at.selectbox(key=f"svc-{k}").value == "eclairage"  # the suggested service
    at.selectbox(key=f"svc-{k}").set_value("proprete")
    act(at, built, LAMPADAIRE, "forwarded")
    assert LAMPADAIRE not in listed(at)
    show(at, "forwarded")
    assert listed(at) == [LAMPADAIRE]
    assert any("Transmis à : Propreté et voirie" in c for c in captions(at))
    at.selectbox(key="w_service").set_value("proprete").run()
    assert listed(at) == [LAMPADAIRE]
    at.selectbox(key="w_service").set_value("eclairage").run()
    assert listed(at) == []  # its service is the one it was forwarded to now
    (d,) = history(db, built, LAMPADAIRE)
    assert (d["decision"], d["service"]) == ("forwarded", "proprete")


def test_forward_without_a_service_is_one_error_line_and_keeps_the_note(
        wh: tuple[Path, Built]) -> None:
    db, built = wh
    at = named(run_app())
    k = key(built, MERCI_REQUEST)
    assert at.selectbox(key=f"svc-{k}").value is None or at.selectbox(key=f"svc-{k}").value == ""
    at.text_input(key=f"note-{k}").input("Voir avec la mairie annexe")
    act(at, built, MERCI_REQUEST, "forwarded")
    assert len(at.error) == 1 and "choisissez le service" in at.error[0].value
    assert at.text_input(key=f"note-{k}").value == "Voir avec la mairie annexe"  # not lost
    assert history(db, built, MERCI_REQUEST) == []
    assert MERCI_REQUEST in listed(at)


def test_a_note_shows_in_the_history_only(wh: tuple[Path, Built]) -> None:
    db, built = wh
    at = named(run_app())
    k = key(built, QUESTION)
    at.text_input(key=f"note-{k}").input("Rappeler l'office de tourisme <b>lundi</b>")
    act(at, built, QUESTION, "note")
    assert QUESTION in listed(at)  # a note alone changes no judgement
    assert at.text_input(key=f"note-{k}").value == ""  # cleared once recorded
    texts = cards(at)
    assert "Rappeler l'office de tourisme <b>lundi</b>" in texts  # as text, verbatim
    assert any("Camille Dupont · Note" in x for x in texts)
    assert any(e.label == "Historique (1)" for e in at.expander)
    table = [d.value for d in at.dataframe if "judgement" in d.value.columns][0]
    assert not table.astype(str).apply(lambda c: c.str.contains("Rappeler")).any().any()
    assert not any("Camille" in c for c in captions(at))  # names only in the history


def test_bulk_action_applies_to_every_selected_row_in_one_transaction(
        wh: tuple[Path, Built]) -> None:
    """AppTest cannot select dataframe rows: the bulk function the bar calls, directly (the
    selection itself is driven in Chromium, tests/test_inbox_browser.py)."""
    db, built = wh
    terr = load_config(EXAMPLE_CONFIG)
    at = run_app()
    rows = [inbox.Item("x", built.ids[p], built.fetched_at) for p in PASSEPORTS[:3]]
    with pytest.raises(journal.TriageError):  # a forward without service: nothing recorded
        inbox.apply(db, terr, rows, "forwarded", "Camille")
    assert journal.version(db) == 0
    seqs = inbox.apply(db, terr, rows, "forwarded", "Camille", service="etat-civil",
                       note="Lot passeports")
    assert len(seqs) == 3 and seqs == sorted(seqs)
    at.run()
    show(at, "forwarded")
    assert sorted(listed(at)) == sorted(PASSEPORTS[:3])
    assert PASSEPORTS[3] not in listed(at)
    assert "Transmis à un service (3)" in at.segmented_control(key="w_etat").options
    assert at.button(key="bulk-apply").disabled  # nothing selected: nothing to apply


def _lock_held(db: Path) -> bool:
    with open(lock_path(db), "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(fh, fcntl.LOCK_UN)
        return False


@pytest.mark.slow
def test_two_instances_triage_while_an_import_holds_the_writer_lock(
        wh: tuple[Path, Built], tmp_path: Path) -> None:
    db, built = wh
    pages = big_jsonl(tmp_path / "big.jsonl")
    a, b = named(run_app(), "Camille"), named(run_app(), "Dominique")
    exe = Path(sys.executable).with_name("territoires")
    proc = subprocess.Popen([str(exe), "import", str(pages), "--config", str(EXAMPLE_CONFIG),
                             "--db", str(db)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while not _lock_held(db):
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            assert time.monotonic() < deadline, "the import never took the writer lock"
            time.sleep(0.02)
        started = time.monotonic()
        plan = [(a, PASSEPORTS[0], "no_answer_expected"), (b, PASSEPORTS[1], "handled_elsewhere"),
                (a, PASSEPORTS[2], "no_answer_expected"), (b, QUESTION, "no_answer_expected")]
        for at, text, decision in plan:
            act(at, built, text, decision)
            assert text not in listed(at)  # the CM's own next run shows it
        assert _lock_held(db) and proc.poll() is None, "the import ended before the decisions"
        took = time.monotonic() - started
        out, _ = proc.communicate(timeout=300)
        assert proc.returncode == 0, out
    finally:
        if proc.poll() is None:
            proc.kill()
    print(f"4 decisions from two instances in {took:.1f} s under the writer lock")
    recorded = journal.since(db, 0)
    assert [(d["post_id"], d["decision"], d["decided_by"]) for d in recorded] == [
        (built.ids[text], decision, "Camille" if at is a else "Dominique")
        for at, text, decision in plan]
    for at in (a, b):
        at.run()
        assert not at.exception
        left = listed(at)
        assert not {t for _, t, _ in plan} & set(left), left
        assert LAMPADAIRE in left and PASSEPORTS[3] in left
        show(at, "handled")
        assert listed(at) == [PASSEPORTS[1]]


def test_english_has_every_inbox_string(wh: tuple[Path, Built]) -> None:
    db, built = wh
    at = run_app(lang="en")
    shown = [c.value for c in at.caption] + [m.label for m in at.metric] + [
        b.label for b in at.button] + at.segmented_control(key="w_etat").options
    assert not [s for s in shown if "inbox." in s], shown  # no key left untranslated
    assert "To answer (8)" in at.segmented_control(key="w_etat").options
    assert any("Answer expected — question" in c.replace("\\", "") for c in shown)
    assert "Response rate (messages that expect an answer)" in shown


def test_a_decision_made_now_counts_on_every_page_at_once(wh: tuple[Path, Built]) -> None:
    """The view's as-of (not pinned) moves up from the last collection to the latest
    decision: a dismissal made after the last collection shows on Réactivité on the next
    rerun, not at the next collection, while the freshness line still names the collection."""
    db, built = wh
    at = run_app("views/reactivite.py")
    tiles = {m.label: m.value for m in at.metric}
    before = int(tiles["Attendaient une réponse"].replace("\u202f", "").replace(" ", ""))
    freshness = [c.value for c in at.caption if "à jour" in c.value]
    terr = load_config(EXAMPLE_CONFIG)
    journal.record(db, [journal.Decision(terr.slug, "x", built.ids[QUESTION],
                                         "no_answer_expected", "Camille Dupont",
                                         datetime.now(UTC).replace(tzinfo=None))])
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    tiles = {m.label: m.value for m in at.metric}
    after = int(tiles["Attendaient une réponse"].replace("\u202f", "").replace(" ", ""))
    assert after == before - 1
    assert [c.value for c in at.caption if "à jour" in c.value] == freshness
