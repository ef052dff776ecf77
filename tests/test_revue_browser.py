"""End to end: the weekly review on a projector and a shared link on a phone, through the
real ``territoires serve`` (with ``TERRITOIRES_SHARE_SECRET`` in its environment) and
Debian's chromium driven by Playwright.

- 1920×1080, presentation mode: the headline part (title, period, six numbers) is on screen
  without scrolling; every visible text of the page and every Plotly SVG text is at least
  22 px (computed in the page); no sidebar.
- 390×844, a shared link: the right territory and week, no sidebar, no horizontal scroll;
  the collection and admin pages are unreachable from it; a modified link shows only a
  page saying so.

Screenshots go to ``artifacts/screenshots/`` (git-ignored).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from territoires import share
from tests.live import ROOT, dashboard, needs_chromium
from tests.review_data import AS_OF, MONDAY, PRIVATE, SECRET, build

SHOTS = ROOT / "artifacts" / "screenshots"
FLOOR = 22.0

pytestmark = needs_chromium

# Every element with its own visible text inside the main area: its computed font size.
TEXT_SIZES_JS = """
() => {
  const main = document.querySelector('[data-testid="stMain"]');
  const out = [];
  const walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (!node.textContent.trim()) continue;
    const el = node.parentElement;
    if (el.closest('svg') || el.closest('style')) continue;
    const r = el.getBoundingClientRect();
    const cs = getComputedStyle(el);
    if (r.width === 0 || r.height === 0 || cs.visibility === 'hidden' || cs.display === 'none')
      continue;
    out.push([parseFloat(cs.fontSize), node.textContent.trim().slice(0, 40)]);
  }
  return out;
}
"""
SVG_SIZES_JS = """
() => Array.from(document.querySelectorAll('.main-svg text')).filter(t => t.textContent.trim())
  .map(t => [parseFloat(getComputedStyle(t).fontSize), t.textContent.trim().slice(0, 30)])
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    db = tmp_path_factory.mktemp("revue_browser") / "revue.duckdb"
    build(db)
    with dashboard(db, env={"TERRITOIRES_SHARE_SECRET": SECRET}) as base:
        yield base



def _token(days: int = 30) -> str:
    now = datetime.now(UTC).replace(tzinfo=None)
    link = share.new_link("villeneuve", "revue", MONDAY, MONDAY + timedelta(days=7), AS_OF,
                          days, now)
    return share.sign(link, SECRET.encode())


def _settle(page) -> None:  # type: ignore[no-untyped-def]
    """Wait until Streamlit has finished running the script and the charts are drawn."""
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=120_000,
        polling=250)
    page.wait_for_timeout(500)


def test_review_on_a_projector(server: str, browser) -> None:  # type: ignore[no-untyped-def]
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    try:
        page.goto(f"{server}/revue?present=1&week=2026-W47&asof={AS_OF.isoformat()}Z")
        page.wait_for_selector(".rv-cards", timeout=90_000)
        page.wait_for_selector(".main-svg text", timeout=60_000)
        _settle(page)
        page.screenshot(path=str(SHOTS / "revue-1920x1080.png"))
        assert page.evaluate("() => window.scrollY") == 0
        box = page.locator(".rv-cards").bounding_box()
        title = page.locator("h1").first.bounding_box()
        assert box and title and title["y"] >= 0
        assert box["y"] + box["height"] <= 1080, box  # the headline part, without scrolling
        assert page.locator(".rv-card").count() == 6
        value = page.evaluate("() => parseFloat(getComputedStyle("
                              "document.querySelector('.rv-value')).fontSize)")
        assert value >= 56, value  # the big numbers read from the back of the room
        assert not page.locator('[data-testid="stSidebar"]').is_visible()
        assert "Semaine 47" in page.inner_text('[data-testid="stMain"]')
        texts = page.evaluate(TEXT_SIZES_JS)
        small = [t for t in texts if t[0] < FLOOR]
        assert len(texts) > 30 and not small, small
        svg = page.evaluate(SVG_SIZES_JS)
        small = [t for t in svg if t[0] < FLOOR]
        assert len(svg) > 20 and not small, small
        page.screenshot(path=str(SHOTS / "revue-1920x1080-full.png"), full_page=True)
    finally:
        page.close()


def test_shared_link_on_a_phone(server: str, browser) -> None:  # type: ignore[no-untyped-def]
    SHOTS.mkdir(parents=True, exist_ok=True)
    token = _token()
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                              device_scale_factor=2)
    page = ctx.new_page()
    try:
        page.goto(f"{server}/?share={token}")
        page.wait_for_selector(".rv-cards", timeout=90_000)
        _settle(page)
        page.screenshot(path=str(SHOTS / "shared-390x844.png"))
        main = page.inner_text('[data-testid="stMain"]')
        assert "Revue de la semaine — Villeneuve-sur-Loire" in main
        assert "Semaine 47" in main and "lecture seule" in main and "Vie privée" in main
        for handle in PRIVATE:
            assert handle not in main
        assert not page.locator('[data-testid="stSidebar"]').is_visible()
        assert page.locator('[data-testid="stSidebarNav"]').count() == 0
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 390, width  # no horizontal scrolling on a phone
        page.screenshot(path=str(SHOTS / "shared-390x844-full.png"), full_page=True)

        # other pages are not registered in a shared session: their URLs show the review
        for path in ("collecte", "aujourdhui", "definitions"):
            page.goto(f"{server}/{path}?share={token}")
            page.wait_for_selector(".rv-cards", timeout=90_000)
            _settle(page)
            main = page.inner_text('[data-testid="stMain"]')
            assert "Revue de la semaine" in main, path
            assert "Fraîcheur des données" not in main and "À traiter" not in main

        # a modified link: a page saying so, and nothing else
        bad = token[:-3] + ("xyz" if not token.endswith("xyz") else "abc")
        page.goto(f"{server}/?share={bad}")
        page.wait_for_selector("h1", timeout=60_000)
        _settle(page)
        main = page.inner_text('[data-testid="stMain"]')
        page.screenshot(path=str(SHOTS / "shared-tampered-390x844.png"))
        assert "Ce lien n'est pas valide" in main
        assert "Villeneuve" not in main and page.locator(".rv-cards").count() == 0
        assert page.locator(".main-svg").count() == 0
    finally:
        ctx.close()
