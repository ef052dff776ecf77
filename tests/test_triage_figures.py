"""The expected-answer family (after the team's triage) beside the public figures: on
Réactivité, in the weekly review (page, ``territoires report`` PDF, shared link), with the
numbers the metric functions give after real triage decisions, and never a note nor who
triaged where élus look.

A copy of the review warehouse (``tests/review_data.py``, 2026-W47, as of Sunday 29
November 08:00 UTC) per test, so every test starts from the same figures; decisions go to
the copy's journal (``<db>.triage``) through :func:`warehouse.triage_journal.record`, and
readers see them at once (the snapshot's copy plus the journal's newer decisions).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from territoires import report, share
from territoires.cli import main
from territoires.privacy import Pseudonymizer, profiles_from_frame
from territoires.text import i18n
from tests.conftest import APP, EXAMPLE_CONFIG, run_app
from tests.review_data import AS_OF, MONDAY, SECRET, build
from warehouse import metrics
from warehouse import page_responsiveness as dq
from warehouse import triage_journal as journal
from warehouse.read import reader_cursor
from warehouse.territory import load_territories

UNTIL = MONDAY + timedelta(days=7)
PUBLIC = ("interpellations", "answered", "response_rate", "pending", "missed")
EXPECTED = metrics.EXPECTED_KEYS
# what must never reach élus: a note's text and who triaged (distinctive, so a hit is real)
NOTE = "Rappelé Mme Zéphyrine au 06 12 34 56 78, dossier voirie QX-7731"
WHO = "Gaëtane Triagiste"
TILES = {  # Réactivité's short tile labels (French), public then expected
    "interpellations": "Interpellations", "response_rate": "Taux de réponse",
    "pending": "En attente", "missed": "Sans réponse",
    "expecting_answer": "Attendaient une réponse", "response_rate_expecting":
    "Taux (réponse attendue)", "pending_expecting": "Dont en attente",
    "missed_expecting": "Dont sans réponse",
}


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("triage-figures") / "base.duckdb"
    build(db)
    return db


@pytest.fixture
def db(base: Path, tmp_path: Path) -> Path:
    """A fresh copy of the warehouse and its snapshot, with an empty journal."""
    out = tmp_path / "wh.duckdb"
    for suffix in ("", ".snapshot"):
        shutil.copyfile(str(base) + suffix, str(out) + suffix)
    return out


def headline(db: Path, as_of: datetime = AS_OF) -> dict[str, Any]:
    cur = reader_cursor(db)
    try:
        return metrics.headline(cur, load_territories(cur)[0], MONDAY, UNTIL, as_of)
    finally:
        cur.close()


def review(db: Path, as_of: datetime = AS_OF) -> report.Review:
    cur = reader_cursor(db)
    try:
        return report.build_review(cur, load_territories(cur)[0], MONDAY, UNTIL, as_of)
    finally:
        cur.close()


def posts(db: Path) -> dict[str, list[str]]:
    """The week's interpellation ids by public status, oldest first."""
    cur = reader_cursor(db)
    try:
        df = metrics.interpellations(cur, load_territories(cur)[0], MONDAY, UNTIL, AS_OF)
    finally:
        cur.close()
    assert df["expects"].all()  # every post of the week asks something: all expected
    return {s: list(df[df["status"] == s].sort_values("created_at")["post_id"])
            for s in ("answered", "pending", "missed")}


def decide(db: Path, post_id: str, decision: str, at: datetime, **kw: Any) -> None:
    journal.record(db, [journal.Decision("villeneuve", "x", post_id, decision,
                                         kw.pop("by", WHO), at, note=kw.pop("note", NOTE),
                                         **kw)])


def triage_the_week(db: Path) -> None:
    """The test's decisions, all before as-of: one pending question dismissed, one missed
    handled by phone, a note alone on an answered one."""
    ids = posts(db)
    decide(db, ids["pending"][0], "no_answer_expected", datetime(2026, 11, 28, 10, 0))
    decide(db, ids["missed"][0], "handled_elsewhere", datetime(2026, 11, 27, 9, 0),
           service="proprete")
    decide(db, ids["answered"][0], "note", datetime(2026, 11, 26, 15, 0))
    kept = journal.history(db, "villeneuve", [("x", ids["pending"][0]), ("x", ids["answered"][0])])
    assert len(kept) == 2 and all(d["note"] == NOTE and d["decided_by"] == WHO for d in kept)


def shifted(before: dict[str, Any], **delta: int) -> dict[str, Any]:
    """``before``'s expected family moved by ``delta`` (the rate recomputed)."""
    out = {k: before[k] + delta.get(k, 0) for k in EXPECTED if k != "response_rate_expecting"}
    out["response_rate_expecting"] = round(out["answered_expecting"] / out["expecting_answer"],
                                           metrics.RATE_DIGITS)
    return out


# ---- the figures --------------------------------------------------------------------------
def test_decisions_move_the_expected_family_and_never_the_public_figures(db: Path) -> None:
    before = headline(db)
    assert before["pending"] == 1 and before["missed"] >= 2
    assert {k: before[k] for k in ("interpellations", "answered", "pending", "missed")} == {
        k: before[v] for k, v in (("interpellations", "expecting_answer"),
                                  ("answered", "answered_expecting"),
                                  ("pending", "pending_expecting"),
                                  ("missed", "missed_expecting"))}  # nothing triaged yet
    ids = posts(db)
    # dismissing the one pending question: one fewer expected, none pending
    decide(db, ids["pending"][0], "no_answer_expected", datetime(2026, 11, 28, 10, 0))
    after = headline(db)
    assert {k: after[k] for k in PUBLIC} == {k: before[k] for k in PUBLIC}
    assert {k: after[k] for k in EXPECTED} == shifted(before, expecting_answer=-1,
                                                      pending_expecting=-1)
    # a missed one handled by phone counts as answered (expected), leaves the missed ones
    decide(db, ids["missed"][0], "handled_elsewhere", datetime(2026, 11, 27, 9, 0))
    again = headline(db)
    assert {k: again[k] for k in PUBLIC} == {k: before[k] for k in PUBLIC}
    assert {k: again[k] for k in EXPECTED} == shifted(
        before, expecting_answer=-1, pending_expecting=-1, answered_expecting=+1,
        missed_expecting=-1)
    assert again["response_rate_expecting"] > before["response_rate"] == again["response_rate"]
    # Réactivité's query gives the same family (one statement over the same rows)
    cur = reader_cursor(db)
    try:
        total = dq.responsiveness_total(cur, load_territories(cur)[0], MONDAY, UNTIL, AS_OF)
    finally:
        cur.close()
    for k in (*PUBLIC, *EXPECTED):
        assert total[k] == pytest.approx(again[k], abs=5e-5), k


def test_the_responsiveness_queries_are_keyed_by_the_journal() -> None:
    for fn in (dq.responsiveness_total, dq.responsiveness_by_account, dq.responsiveness_by_week):
        assert getattr(fn, "reads_triage", False), fn.__name__


def test_a_decision_after_the_reviews_as_of_does_not_change_the_review(db: Path) -> None:
    before = review(db)
    ids = posts(db)
    later = AS_OF + timedelta(hours=1)
    decide(db, ids["pending"][0], "no_answer_expected", later)
    decide(db, ids["missed"][0], "handled_elsewhere", later)
    kept = review(db)
    assert kept.current == before.current and kept.history == before.history
    i18n.set_lang("fr")
    same = [(f.key, f.value) for f in report.expected(kept).figures]
    assert same == [(f.key, f.value) for f in report.expected(before).figures]
    # ... and the same decisions do count in a review judged after them
    moved = review(db, later)
    assert moved.current["expecting_answer"] == before.current["expecting_answer"] - 1
    assert moved.current["answered_expecting"] == before.current["answered_expecting"] + 1
    assert moved.current["interpellations"] == before.current["interpellations"]


# ---- Réactivité -----------------------------------------------------------------------------
def _tiles(at: AppTest) -> dict[str, str]:
    values: dict[str, str] = {}
    for m in at.metric:
        assert m.label not in values, m.label  # one tile per name
        values[m.label] = m.value
    return values


def _shown(key: str, value: Any) -> str:
    return i18n.fmt_pct(value) if "rate" in key else i18n.fmt_int(value)


def test_reactivite_shows_the_family_beside_the_public_tiles(db: Path, monkeypatch) -> None:
    monkeypatch.setenv("TERRITOIRES_DB", str(db))
    params = {"asof": AS_OF.isoformat() + "Z", "from": "2026-11-16", "to": "2026-11-22"}
    at = run_app("views/reactivite.py", **params)
    i18n.set_lang("fr")
    before = headline(db)
    tiles = _tiles(at)
    for key, label in TILES.items():
        assert tiles[label] == _shown(key, before[key]), label
    captions = [c.value for c in at.caption]
    assert any("Après le tri de l'équipe" in c and "les chiffres publics ne changent pas" in c
               for c in captions), captions
    assert any("Réponse attendue, après tri" in re.sub(r"\\(.)", r"\1", m.value)
               for m in at.markdown)  # (Markdown escapes removed)
    assert at.get("page_link"), "the definitions link"
    help_text = next(m.help for m in at.metric if m.label == "Taux (réponse attendue)")
    assert "Taux de réponse (réponse attendue)" in help_text  # the full name in the tooltip
    assert "#réponse-attendue-et-triage" in help_text  # ... and its definition
    # the same session, after decisions: the family moves on the next rerun, nothing else
    triage_the_week(db)
    at.run()
    assert not at.exception
    after = headline(db)
    tiles = _tiles(at)
    for key, label in TILES.items():
        assert tiles[label] == _shown(key, after[key]), label
    assert tiles["Attendaient une réponse"] == i18n.fmt_int(before["expecting_answer"] - 1)
    assert tiles["Taux (réponse attendue)"] == i18n.fmt_pct(
        (before["answered_expecting"] + 1) / (before["expecting_answer"] - 1))
    for key in ("interpellations", "response_rate", "pending", "missed"):
        assert tiles[TILES[key]] == _shown(key, before[key])
    by_account = at.dataframe[0].value
    assert by_account["expecting_answer"].sum() == after["expecting_answer"]
    assert by_account["answered_expecting"].sum() == before["answered_expecting"] + 1
    assert by_account["answered"].sum() == before["answered"]
    assert by_account["interpellations"].sum() == before["interpellations"]
    # the weekly chart: the expected rate as a second series
    weekly = next(json.loads(c.proto.spec) for c in at.get("plotly_chart")
                  if "weekly" in c.proto.id)
    line = [tr for tr in weekly["data"] if tr.get("name") == "Taux de réponse (réponse attendue)"]
    assert len(line) == 1 and line[0]["mode"] == "lines+markers"
    page = _everything(at)
    assert NOTE not in page and WHO not in page


# ---- the review: page, shared link, PDF -------------------------------------------------------
EXP_ITEM = re.compile(r'data-exp="(\w+)"><div class="rv-exp-label">([^<]*)</div>'
                      r'<div class="rv-exp-value">([^<]*)</div>')


def _expected_block(at: AppTest) -> dict[str, tuple[str, str]]:
    import html

    for md in at.markdown:
        found = EXP_ITEM.findall(md.value)
        if found:
            assert "Après le tri de l" in html.unescape(md.value)
            return {k: (html.unescape(label), html.unescape(v)) for k, label, v in found}
    raise AssertionError("no expected-answer block on the page")


def _everything(at: AppTest) -> str:
    """Every element's protobuf, as UTF-8 text: what the browser would receive."""
    from google.protobuf import text_format

    parts: list[str] = []

    def walk(node: Any) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None:
            parts.append(text_format.MessageToString(proto, as_utf8=True))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return "\n".join(parts)


def _names() -> dict[str, str]:
    return {key: i18n.t(f"m.{key}") for key in EXPECTED}


def test_review_page_and_shared_link_show_the_family_and_no_note(db: Path, monkeypatch) -> None:
    before = headline(db)
    triage_the_week(db)
    after = headline(db)
    assert after["expecting_answer"] == before["expecting_answer"] - 1
    i18n.set_lang("fr")
    names = _names()
    assert names["response_rate_expecting"] == "Taux de réponse (réponse attendue)"
    monkeypatch.setenv("TERRITOIRES_DB", str(db))
    monkeypatch.setenv("TERRITOIRES_SHARE_SECRET", SECRET)
    # the CM's page
    at = run_app("views/revue.py", timeout=90, asof=AS_OF.isoformat() + "Z", week="2026-W47")
    shown = _expected_block(at)
    assert list(shown) == list(EXPECTED)
    for key in EXPECTED:
        assert shown[key] == (names[key], _shown(key, after[key])), key
    # the shared link élus open: the same family, the public cards unchanged, no note, no name
    now = datetime.now(UTC).replace(tzinfo=None)
    token = share.sign(share.new_link("villeneuve", "revue", MONDAY, UNTIL, AS_OF, 30, now),
                       SECRET.encode())
    shared = AppTest.from_file(APP, default_timeout=90)
    shared.query_params["share"] = token
    shared.run()
    assert not shared.exception, [e.value for e in shared.exception]
    assert "Vue partagée" in " ".join(c.value for c in shared.caption)
    shown = _expected_block(shared)
    for key in EXPECTED:
        assert shown[key] == (names[key], _shown(key, after[key])), key
    card = re.compile(r'data-key="response_rate"><div class="rv-label">[^<]*</div>'
                      r'<div class="rv-value">([^<]*)</div>')
    assert [m for md in shared.markdown for m in card.findall(md.value)] == [
        i18n.fmt_pct(before["response_rate"])]  # the public card, unchanged by triage
    page = _everything(shared)
    assert "Habitant·e" in page  # read as UTF-8: an accented note would show as it is
    for secret in (NOTE, WHO, "Zéphyrine", "QX-7731", "Triagiste", "proprete",
                   "no_answer_expected", "handled_elsewhere"):
        assert secret not in page, secret


def _pdf_text(path: Path) -> str:
    out = subprocess.run(["pdftotext", "-raw", str(path), "-"], check=True,
                         capture_output=True, text=True).stdout
    return re.sub(r"\s+", " ", out.replace("\u202f", " "))


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed")
@pytest.mark.skipif(not (shutil.which("chromium") or Path("/usr/bin/chromium").exists()),
                    reason="Debian's chromium not installed (apt-get install chromium)")
def test_report_pdf_shows_the_family_and_no_note(db: Path, tmp_path: Path, capsys) -> None:
    from territoires import report_render

    triage_the_week(db)
    after = headline(db)
    out = tmp_path / "revue.pdf"
    rc = main(["report", "--config", str(EXAMPLE_CONFIG), "--db", str(db), "--week", "2026-W47",
               "--out", str(out)])
    assert rc == 0, capsys.readouterr().err
    # the shared (pseudonymised) PDF, drawn from the same review
    rv = review(db)
    i18n.set_lang("fr")
    pseudo = Pseudonymizer(rv.territory, profiles_from_frame(rv.profiles), SECRET.encode())
    shared = tmp_path / "shared.pdf"
    try:
        shared.write_bytes(report_render.render(report.review_doc(rv, pseudo), "pdf"))
    finally:
        report_render.stop_charts()
    i18n.set_lang("fr")
    names = _names()
    for path in (out, shared):
        text = _pdf_text(path)
        assert "Réponse attendue, après tri" in text
        assert "les chiffres publics ne changent pas" in text
        for key in EXPECTED:
            pair = f"{names[key]} {_shown(key, after[key])}".replace("\u202f", " ")
            assert pair in text, (path.name, pair)
        assert f"Taux de réponse {i18n.fmt_pct(after['response_rate'])}".replace(
            "\u202f", " ") in text  # the public card beside it
        for secret in (NOTE, WHO, "Zéphyrine", "QX-7731", "Triagiste"):
            assert secret not in text, (path.name, secret)
        info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True,
                              text=True).stdout
        assert re.search(r"^Pages:\s+3$", info, re.M), info  # the layout kept its 3 pages
