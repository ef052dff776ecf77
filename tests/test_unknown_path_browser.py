"""In Chromium: the home page's own address and unknown addresses, and tiles at 1366 px.

``/aujourdhui`` (the home page's name, while the home page lives at ``/``) and any path that
names no page used to open Streamlit's English "Page not found" dialog. They now open the
home page; an unknown path adds a note in the reader's language. At 1366×768 with the
sidebar open, no tile label, change or remark is cut ("Délai médian, heures ou…").

The real ``territoires serve`` on the AppTest warehouse (``tests/dashboard_data.py``),
driven by Debian's chromium (``tests/live.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from tests.dashboard_data import AS_OF, build_warehouse
from tests.live import dashboard, needs_chromium, settle

pytestmark = needs_chromium
Q = f"asof={AS_OF.isoformat()}Z"
ENGLISH_DIALOG = "Page not found"
# every element of a tile whose text overflows its box (Streamlit cuts it with "…")
CUT_TILES = """() => [...document.querySelectorAll('[data-testid="stMetric"]')].flatMap(m =>
  ["stMetricLabel", "stMetricDelta", "stMetricDeltaDescription", "stMetricValue"].flatMap(id => {
    const e = m.querySelector(`[data-testid="${id}"]`);
    if (!e) return [];
    return [e, ...e.querySelectorAll("*")]
      .filter(x => x.scrollWidth > x.clientWidth + 1 && getComputedStyle(x).overflow !== "visible")
      .map(x => `${id}: ${e.innerText} (${x.scrollWidth} > ${x.clientWidth})`);
  }))"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    db = tmp_path_factory.mktemp("paths") / "dash.duckdb"
    build_warehouse(db)
    with dashboard(db) as base:
        yield base



def _open(browser, url: str, title: str):  # noqa: ANN001, ANN202
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    page.goto(url)
    settle(page, title, quiet=1.0)
    return page


def _no_dialog(page) -> None:  # noqa: ANN001
    assert page.locator('[role="dialog"]').count() == 0
    assert ENGLISH_DIALOG not in page.inner_text("body")


def test_aujourdhui_opens_the_home_page(server: str, browser) -> None:  # noqa: ANN001
    page = _open(browser, f"{server}/aujourdhui?{Q}", "Aujourd'hui — ")
    try:
        _no_dialog(page)
        assert page.locator('[data-testid="stMetric"]').count() >= 4
        assert "ne correspond à aucune page" not in page.inner_text("body")
        assert urlsplit(page.url).path in ("", "/")
    finally:
        page.close()


@pytest.mark.parametrize(("lang", "title", "note"), [
    ("fr", "Aujourd'hui — ", "L'adresse « nulle-part » ne correspond à aucune page"),
    ("en", "Today — ", "The address “nulle-part” matches no page"),
])
def test_an_unknown_path_falls_back_to_home_in_the_readers_language(
        server: str, browser, lang: str, title: str, note: str) -> None:  # noqa: ANN001
    page = _open(browser, f"{server}/nulle-part?{Q}&lang={lang}", title)
    try:
        _no_dialog(page)
        assert note in page.inner_text("body")
    finally:
        page.close()


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize(("path", "title"), [("", "Aujourd'hui|Today"),
                                             ("reactivite", "Réactivité|Responsiveness"),
                                             ("relais", "Relais locaux|Local relays")])
def test_tiles_are_not_cut_at_1366(server: str, browser, lang: str, path: str,
                                   title: str) -> None:  # noqa: ANN001
    fr, en = title.split("|")
    page = _open(browser, f"{server}/{path}?{Q}&lang={lang}", fr if lang == "fr" else en)
    try:
        assert page.locator('[data-testid="stSidebar"]').is_visible()
        # on 2 busy cores the tiles can come a moment after the run looks settled
        page.locator('[data-testid="stMetric"]').nth(3).wait_for(timeout=60_000)
        assert page.locator('[data-testid="stMetric"]').count() >= 4
        assert page.evaluate(CUT_TILES) == []
    finally:
        page.close()
