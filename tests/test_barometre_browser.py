"""End to end: the Baromètre page through the real ``territoires serve`` (with
``TERRITOIRES_SHARE_SECRET`` in its environment) and Debian's chromium driven by Playwright,
on the three-territory demo (``territoires demo --territories 3``).

- 1600×1000: the page opens from its address with the ranking chart drawn (the viewer's
  territory bold in it), the ranking table, the sentence on overlapping intervals or their
  absence, and the weekly panels; its PDF button downloads a PDF;
- 390×844, a shared link: one territory against its stratum, read-only, no sidebar, no
  sign-in, no horizontal scroll.

Screenshots go to ``artifacts/screenshots/`` (git-ignored).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest

from territoires import share
from territoires.commands.demo import build_demo
from tests.live import ROOT, dashboard, needs_chromium

SHOTS = ROOT / "artifacts" / "screenshots"
ANCHOR = date(2026, 12, 1)
AS_OF = "2026-12-01T08:00:00Z"
SECRET = "test-secret-for-barometre-links-0123456789"

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    db = tmp_path_factory.mktemp("barometre_browser") / "baro.duckdb"
    build_demo(db, 6000, 7, ANCHOR, territories=3)
    with dashboard(db, env={"TERRITOIRES_SHARE_SECRET": SECRET}) as base:
        yield base


def _settle(page) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=120_000,
        polling=250)
    page.wait_for_timeout(500)


def test_the_page_draws_the_ranking(server: str, browser) -> None:  # type: ignore[no-untyped-def]
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1600, "height": 1000}, accept_downloads=True)
    try:
        page.goto(f"{server}/barometre?territory=villeneuve&from=2026-11-02&to=2026-11-29"
                  f"&asof={AS_OF}")
        page.wait_for_selector(".main-svg text", timeout=90_000)
        _settle(page)
        main = page.inner_text('[data-testid="stMain"]')
        assert "Baromètre — Villeneuve-sur-Loire" in main
        assert "Le classement" in main and "Taux de réponse" in main
        assert "se chevauchent" in main or "ne chevauche aucun autre" in main
        assert "Trop peu pour comparer" in main
        assert page.locator(".js-plotly-plot").count() == 2  # the ranking, the weekly panels
        bold = page.evaluate("() => Array.from(document.querySelectorAll('.main-svg .ytick "
                             "text')).filter(t => t.querySelector('tspan[style*=\"bold\"]') "
                             "|| t.innerHTML.includes('font-weight:bold')).map(t => "
                             "t.textContent)")
        assert len(bold) == 1 and "Villeneuve-sur-Loire" in bold[0], bold  # the viewer's own
        assert page.locator('[data-testid="stDataFrame"]').count() >= 1
        assert "Villeneuve" in page.title() and "Baromètre" in page.title()
        page.screenshot(path=str(SHOTS / "barometre-1600.png"), full_page=True)
        with page.expect_download(timeout=120_000) as got:  # drawn on demand by the server
            page.get_by_text("Télécharger en PDF").click()
        pdf = got.value
        assert pdf.suggested_filename == "barometre-response_rate-2026-11-02-2026-11-29.pdf"
        with open(pdf.path(), "rb") as fh:
            assert fh.read(5) == b"%PDF-"
    finally:
        page.close()


def test_a_shared_link_opens_without_sign_in(server: str, browser) -> None:  # type: ignore[no-untyped-def]
    now = datetime.now(UTC).replace(tzinfo=None)
    link = share.new_link("villeneuve", "barometre", date(2026, 11, 2), date(2026, 11, 30),
                          datetime(2026, 12, 1, 8), 30, now)
    token = share.sign(link, SECRET.encode())
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                              device_scale_factor=2)
    page = ctx.new_page()
    try:
        page.goto(f"{server}/?share={token}")
        page.wait_for_selector(".main-svg text", timeout=90_000)
        _settle(page)
        main = page.inner_text('[data-testid="stMain"]')
        assert "Baromètre — Villeneuve-sur-Loire" in main
        assert "lecture seule" in main and "10 000 à 19 999 hab." in main
        assert "Strate de population" not in main  # the stratum is the territory's own
        assert not page.locator('[data-testid="stSidebar"]').is_visible()
        assert page.locator('[data-testid="stSidebarNav"]').count() == 0
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 390, width
        page.screenshot(path=str(SHOTS / "barometre-shared-390x844.png"), full_page=True)
    finally:
        ctx.close()
