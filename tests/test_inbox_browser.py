"""The inbox in Chromium (issue 17), through the real ``territoires serve`` on a fresh
warehouse (tests/inbox_data.py): a community manager types her name, dismisses a "merci"
that the rules put in the queue with the keyboard (Tab from the note to the action, Enter),
and it leaves the queue; the expected-answer rate moves, the public one does not; a second
browser sees the decision without touching anything (the live refresh); rows selected in the
table get one bulk action. Screenshots: artifacts/inbox-before.png, inbox-after.png.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from territoires.ui import inbox
from tests.inbox_data import MERCI_REQUEST, PASSEPORTS, QUESTION, Built, build
from tests.live import ROOT, dashboard, needs_chromium, settle
from warehouse import triage_journal as journal

pytestmark = needs_chromium
ARTIFACTS = ROOT / "artifacts"
RATE_PUBLIC = "Taux de réponse, 7 derniers jours (public)"
RATE_EXPECTING = "Taux de réponse (messages qui attendent une réponse)"
TITLE = "Aujourd'hui"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, Built]]:
    db: Path = tmp_path_factory.mktemp("inbox_browser") / "inbox.duckdb"
    built = build(db)
    with dashboard(db) as base:
        yield base, db, built


def rate(page, label: str) -> str:  # noqa: ANN001
    tile = page.locator('[data-testid="stMetric"]', has_text=label).first
    return tile.locator('[data-testid="stMetricValue"]').inner_text().strip()


def queue_texts(page) -> list[str]:  # noqa: ANN001
    """The post texts of the cards drawn (st.text elements of the main area)."""
    return page.locator('[data-testid="stMain"] [data-testid="stText"]').all_inner_texts()


def shot(page, name: str) -> None:  # noqa: ANN001
    """The top of the page (the rates and the first cards) as a PNG in artifacts/."""
    page.evaluate("() => document.querySelectorAll('*').forEach(e => { if (e.scrollTop) "
                  "e.scrollTop = 0; })")
    page.wait_for_timeout(300)
    page.screenshot(path=str(ARTIFACTS / name))


def wait_until(check, timeout: float = 30.0) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.25)


def test_a_cm_dismisses_a_merci_and_it_leaves_the_queue(served, browser) -> None:  # noqa: ANN001
    base, db, built = served
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    ctx = browser.new_context(viewport={"width": 1400, "height": 1500})
    other = browser.new_context(viewport={"width": 1200, "height": 900})
    try:
        page, watcher = ctx.new_page(), other.new_page()
        for p in (page, watcher):
            p.goto(f"{base}/?lang=fr")
            settle(p, TITLE)
        assert MERCI_REQUEST in queue_texts(page) and MERCI_REQUEST in queue_texts(watcher)
        public0, expecting0 = rate(page, RATE_PUBLIC), rate(page, RATE_EXPECTING)
        k = inbox.card_key("x", built.ids[MERCI_REQUEST])
        card = page.locator(f".st-key-card-{k}")
        first = card.get_by_role("button", name="Pas de réponse attendue")
        assert first.is_disabled()  # no name yet
        shot(page, "inbox-before.png")

        name = page.get_by_label("Votre nom (journal de triage)", exact=True)
        name.fill("Camille Dupont")
        name.press("Enter")
        settle(page, TITLE)
        wait_until(lambda: not first.is_disabled())
        note = card.get_by_label("Note (facultative)", exact=True)
        note.click()
        note.fill("Remerciement, rien à suivre")
        note.press("Enter")  # Enter in a note submits nothing: a note never dismisses alone
        time.sleep(1.0)
        assert MERCI_REQUEST in queue_texts(page)
        note.press("Tab")  # the keyboard reaches the card's first action
        assert first.evaluate("b => b === document.activeElement")
        first.press("Enter")
        pressed = time.monotonic()
        settle(page, TITLE)
        wait_until(lambda: MERCI_REQUEST not in queue_texts(page))
        assert QUESTION in queue_texts(page)
        assert rate(page, RATE_PUBLIC) == public0  # public figures never change with triage
        expecting1 = rate(page, RATE_EXPECTING)
        assert expecting1 != expecting0, (expecting0, expecting1)
        shot(page, "inbox-after.png")
        (d,) = journal.history(db, "villeneuve", [("x", built.ids[MERCI_REQUEST])])
        assert (d["decision"], d["decided_by"], d["note"]) == (
            "no_answer_expected", "Camille Dupont", "Remerciement, rien à suivre")

        # the other browser, untouched, follows within seconds (the live refresh)
        wait_until(lambda: MERCI_REQUEST not in queue_texts(watcher), timeout=20)
        seen = time.monotonic() - pressed
        print(f"the other browser showed the decision {seen:.1f} s after the Enter key (or less)")
        assert seen < 20
        wait_until(lambda: rate(watcher, RATE_EXPECTING) == expecting1, timeout=20)
    finally:
        ctx.close()
        other.close()


def test_rows_selected_in_the_table_get_one_bulk_action(served, browser) -> None:  # noqa: ANN001
    base, db, built = served
    ctx = browser.new_context(viewport={"width": 1400, "height": 1100})
    try:
        page = ctx.new_page()
        page.goto(f"{base}/?lang=fr")
        settle(page, TITLE)
        name = page.get_by_label("Votre nom (journal de triage)", exact=True)
        name.fill("Dominique")
        name.press("Enter")
        settle(page, TITLE)
        grid = page.locator('[data-testid="stDataFrame"]').first
        grid.scroll_into_view_if_needed()
        box = grid.bounding_box()
        assert box
        rows = page.locator('[data-testid="stDataFrame"]').first.locator(
            "table[role=grid] tbody tr")
        texts = rows.all_inner_texts()  # the grid's accessible copy, in row order
        # the passport questions are the only ones for État civil, oldest first
        picks = [i for i, x in enumerate(texts) if "État civil" in x][:2]
        assert len(picks) == 2, texts
        for i in picks:  # the row-marker column: the first 30 px, rows of 35 px
            page.mouse.click(box["x"] + 15, box["y"] + 35 * (i + 1) + 17)
            settle(page, TITLE)
        apply = page.get_by_role("button", name="Appliquer à 2 messages")
        apply.wait_for(timeout=30_000)
        apply.click()
        settle(page, TITLE)
        wait_until(lambda: all(p not in page.locator('[data-testid="stMain"]').inner_text()
                               for p in PASSEPORTS[:2]))
        decided = {d["post_id"]: d["decision"] for d in journal.since(db, 0)
                   if d["decided_by"] == "Dominique"}
        assert decided == {built.ids[p]: "no_answer_expected" for p in PASSEPORTS[:2]}
    finally:
        ctx.close()


def test_the_name_comes_from_the_reverse_proxy_header(browser, tmp_path) -> None:  # noqa: ANN001
    """With ``$TERRITOIRES_USER_HEADER`` set, the header the proxy adds names who triages:
    no name field, actions enabled, the decision recorded under that name."""
    db = tmp_path / "header.duckdb"
    built = build(db)
    with dashboard(db, env={inbox.USER_HEADER_ENV: "X-Forwarded-User"}) as base:
        ctx = browser.new_context(viewport={"width": 1400, "height": 1100},
                                  extra_http_headers={"X-Forwarded-User": "agent.dupont"})
        try:
            page = ctx.new_page()
            page.goto(f"{base}/?lang=fr")
            settle(page, TITLE)
            assert page.get_by_label("Votre nom (journal de triage)", exact=True).count() == 0
            assert "Journal de triage : agent.dupont" in page.locator(
                '[data-testid="stSidebar"]').inner_text()
            k = inbox.card_key("x", built.ids[QUESTION])
            page.locator(f".st-key-card-{k}").get_by_role(
                "button", name="Traité hors réseau").click()
            settle(page, TITLE)
            wait_until(lambda: QUESTION not in queue_texts(page))
            (d,) = journal.history(db, "villeneuve", [("x", built.ids[QUESTION])])
            assert (d["decision"], d["decided_by"]) == ("handled_elsewhere", "agent.dupont")
        finally:
            ctx.close()
