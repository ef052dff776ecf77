"""Layouts on a phone (390×844, issue 16), through the real ``territoires serve`` and Debian's
chromium: the Définitions page's tables fit the width (they wrap instead of being cut).
Chart layouts are checked on the Plotly figures in ``tests/test_partial_periods.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.dashboard_data import build_warehouse
from tests.live import ROOT, chromium, dashboard, needs_chromium

SHOTS = ROOT / "artifacts" / "screenshots"
pytestmark = needs_chromium

# Each table of the main area: its width against the width it has (its wrapper's), and how
# far right it reaches against the main block.
TABLES_JS = """
() => {
  const main = document.querySelector('[data-testid="stMainBlockContainer"]');
  const right = main.getBoundingClientRect().right;
  return Array.from(main.querySelectorAll('table')).map(t => {
    const box = t.getBoundingClientRect();
    const wrap = t.parentElement;
    return {text: t.innerText.slice(0, 40), scroll: t.scrollWidth, width: box.width,
            room: wrap.clientWidth, wrapScroll: wrap.scrollWidth, right: box.right,
            mainRight: right};
  });
}
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    db: Path = tmp_path_factory.mktemp("layout_browser") / "dash.duckdb"
    build_warehouse(db)
    with dashboard(db) as base:
        yield base


def test_definitions_tables_fit_a_phone(server: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    with chromium() as browser:
        ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                  device_scale_factor=2)
        page = ctx.new_page()
        try:
            page.goto(f"{server}/definitions?lang=fr")
            page.wait_for_selector('[data-testid="stMain"] table', timeout=90_000)
            page.wait_for_function(
                "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')",
                timeout=90_000, polling=250)
            page.wait_for_timeout(500)
            tables = page.evaluate(TABLES_JS)
            page.locator('[data-testid="stMain"] table').last.scroll_into_view_if_needed()
            page.screenshot(path=str(SHOTS / "definitions-390x844.png"))
            assert len(tables) >= 2, tables  # the worked examples and the key table
            for t in tables:
                assert t["scroll"] <= t["room"] + 1, t  # nothing hidden past its wrapper
                assert t["wrapScroll"] <= t["room"] + 1, t
                assert t["right"] <= t["mainRight"] + 1, t  # not cut at the page's edge
            width = page.evaluate("() => document.documentElement.scrollWidth")
            assert width <= 390, width
        finally:
            ctx.close()
