"""What leaves the building, seen in Debian's chromium (issue 16): a name or a text that
looks like a link (``www.…``, ``https://…``) is shown as text, not as an ``<a>``; a card
whose author has a 100 kB name keeps a card's height; a shared link names nobody private,
in any of the forms the platforms read as a mention."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.live import dashboard, needs_chromium, settle
from tests.test_leaving_safely import KEY, LEAKS, _token, build_hostile

pytestmark = needs_chromium
EVIL_LINKS = "[...document.querySelectorAll('a')].map(a => a.href).filter(h => h.includes('evil'))"
# the author line and the text of each card (and every other Markdown or text element)
CARD_HEIGHTS = ("[...document.querySelectorAll('[data-testid=stMarkdownContainer], "
                "[data-testid=stText]')].map(e => e.getBoundingClientRect().height)")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    db = tmp_path_factory.mktemp("hostile_live") / "hostile.duckdb"
    build_hostile(db)
    with dashboard(db, env={"TERRITOIRES_SHARE_SECRET": KEY.decode()}) as base:
        yield base





def test_names_that_look_like_links_are_text_and_cards_stay_small(server: str,
                                                                  browser) -> None:  # noqa: ANN001
    ctx = browser.new_context(viewport={"width": 1366, "height": 768})
    page = ctx.new_page()
    page.goto(f"{server}/?etat=all")  # every state: the bare-link post expects no answer
    settle(page, "Aujourd'hui")
    body = page.inner_text("body").replace("\u2060", "")
    assert "Voir www.evil.example/login" in body  # the name is shown, as typed...
    assert "https://evil.example/x" in body
    assert page.evaluate(EVIL_LINKS) == []  # ...and is not a link
    assert "😄" not in body  # ":smile:" stays a text
    assert "@priv_alice" in body  # the card of the 100 kB name is on the page...
    heights = page.evaluate(CARD_HEIGHTS)
    assert heights and max(heights) < 600, max(heights)  # ...and is a card's size
    assert "\u202e" not in page.inner_text("body")
    ctx.close()


def test_shared_view_in_the_browser_names_nobody_private(server: str,
                                                          browser) -> None:  # noqa: ANN001
    ctx = browser.new_context(viewport={"width": 1366, "height": 768})
    page = ctx.new_page()
    page.goto(f"{server}/?share={_token()}")
    settle(page, "Revue de la semaine")
    body = page.inner_text("body")
    assert "Rue Haute" in body and "Habitant·e" in body
    for typed, secret in LEAKS.items():
        assert secret not in body, typed
    assert "priv_alice" not in body and "priv_bob" not in body
    assert "Voir www.evil.example/login" in body.replace("\u2060", "")  # a public name
    assert page.evaluate(EVIL_LINKS) == []
    ctx.close()
