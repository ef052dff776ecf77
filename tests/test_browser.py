"""End to end: the real ``territoires serve`` on a demo warehouse, driven by Debian's chromium.

Opens every page (the first one by a deep link, in the server's first session), checks that
no exception or error message shows and that key texts are there, follows a copied "link to
this view", checks that a post carrying HTML and Markdown renders literally (no ``<img>``, no
request to its URL, no alert), and saves screenshots at 1366×768 and 390×844 into
``artifacts/screenshots/`` (git-ignored).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from tests.live import ROOT, dashboard, needs_chromium, settle

SHOTS = ROOT / "artifacts" / "screenshots"
ANCHOR = date(2026, 3, 16)  # the demo's last day is the 15th (local time)
PERIOD = "from=2026-02-16&to=2026-03-15"
PAGES = [  # url path, French title, a key text of the page
    ("", "Aujourd'hui", "À traiter"),
    ("conversations", "Conversations", "Volume par type"),
    ("reactivite", "Réactivité", "Par compte de la ville"),
    ("relais", "Relais locaux", "Classement des relayeurs locaux"),
    ("hashtags", "Hashtags", "Activité par hashtag"),
    ("collecte", "Collecte", "Fraîcheur des données"),
    ("definitions", "Définitions", "Définitions des indicateurs"),
]
BROKEN = ("Traceback", "Page not found", "n'a pas pu s'afficher", "Error", "Exception")

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from collectors.demo import generate_pages
    from territoires.example import demo_territory
    from warehouse.db import writer
    from warehouse.load import load_pages
    from warehouse.territory import resolve_account_ids, save_territory

    db = tmp_path_factory.mktemp("browser") / "demo.duckdb"
    terr = demo_territory()
    with writer(db) as con:  # the same path as `territoires demo`
        save_territory(con, terr)
        load_pages(con, generate_pages(terr, posts=4000, seed=5, anchor=ANCHOR))
        resolve_account_ids(con, terr.slug)
    with dashboard(db) as base:
        yield base





def _check_clean(page, where: str) -> str:  # noqa: ANN001
    body = page.inner_text("body")
    for bad in BROKEN:
        assert bad not in body, f"{where}: {bad!r} on screen"
    assert page.locator('[data-testid="stException"]').count() == 0, where
    return body


def _check_page(page, path: str, title: str, key: str, tag: str) -> None:  # noqa: ANN001
    body = _check_clean(page, f"{path or 'home'} ({tag})")
    assert title in page.locator("h1").first.inner_text()
    assert key in body
    if path != "definitions":
        assert "Villeneuve-sur-Loire" in page.locator("h1").first.inner_text()
        assert "Villeneuve-sur-Loire" in page.title()
    assert "from=2026-02-16" in page.url and "to=2026-03-15" in page.url, page.url
    icons = page.evaluate("[...document.querySelectorAll('link[rel~=icon]')].map(l => l.href)")
    assert icons and all("/media/" in i for i in icons), icons  # our favicon, not Streamlit's
    assert page.get_by_text("Deploy", exact=True).count() == 0  # toolbarMode = "viewer"
    page.screenshot(path=str(SHOTS / f"{path or 'aujourdhui'}-{tag}.png"))


def test_every_page_desktop_by_navigation(server: str, browser) -> None:  # noqa: ANN001
    """A deep link first (the server's first session must not take Streamlit's legacy
    multipage path), then every page through the sidebar: the filters follow."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    alerts: list[str] = []
    ctx = browser.new_context(viewport={"width": 1366, "height": 768}, locale="fr-FR")
    page = ctx.new_page()
    page.on("dialog", lambda d: (alerts.append(d.message), d.dismiss()))
    page.goto(f"{server}/conversations?{PERIOD}")
    settle(page, "Conversations")
    _check_page(page, "conversations", "Conversations", "Volume par type", "desktop")
    for path, title, key in PAGES:
        if path == "conversations":
            continue
        page.locator('[data-testid="stSidebarNav"] a', has_text=title).first.click()
        settle(page, title)
        _check_page(page, path, title, key, "desktop")
    from territoires.ui import docs

    slug = docs.anchor("interpellations", "fr")
    if slug:  # the metrics' definition links land on an anchored section
        assert page.locator(f'[id="{slug}"]').count() == 1
    ctx.close()
    assert not alerts


def test_every_page_on_a_phone(server: str, browser) -> None:  # noqa: ANN001
    SHOTS.mkdir(parents=True, exist_ok=True)
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, locale="fr-FR",
                              is_mobile=True, has_touch=True)
    page = ctx.new_page()
    for path, title, key in PAGES:
        page.goto(f"{server}/{path}?{PERIOD}")
        settle(page, title)
        _check_page(page, path, title, key, "phone")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390 + 1, f"{path}: the page scrolls sideways ({width} px)"
    ctx.close()


def _sidebar_values(page, wanted: list[str]) -> list[str]:  # noqa: ANN001
    """The sidebar inputs' values, once they hold every ``wanted`` value (the sidebar's
    widgets can be drawn a moment after the page's title; a flat read then saw ``[]``)."""
    script = """([wanted]) => {
        const values = [...document.querySelectorAll('[data-testid="stSidebar"] input')]
            .map(e => e.value);
        return wanted.every(w => values.includes(w));
    }"""
    try:
        page.wait_for_function(script, arg=[wanted], timeout=20_000)
    except Exception:  # noqa: S110 - the assertion below names what is missing
        pass
    return page.locator('[data-testid="stSidebar"] input').evaluate_all(
        "els => els.map(e => e.value)")


def test_copied_link_reopens_the_view(server: str, browser) -> None:  # noqa: ANN001
    from territoires.example import demo_territory

    handle = [a.handle for a in demo_territory().accounts if a.platform == "x"][-1]
    ctx = browser.new_context(viewport={"width": 1366, "height": 768})
    page = ctx.new_page()
    page.goto(f"{server}/reactivite?{PERIOD}&account={handle}&platform=x&lang=en"
              "&target_rate=75")
    settle(page, "Responsiveness")
    assert "Responsiveness" in page.locator("h1").first.inner_text()
    page.get_by_role("button", name="Copy the link to this view").click()
    code = page.locator('[data-testid="stPopoverBody"] code').first
    code.wait_for(timeout=10_000)
    link = code.inner_text().strip()
    assert link.startswith(f"{server}/reactivite?"), link
    for part in (f"account={handle}", "platform=x", "lang=en", "from=2026-02-16",
                 "to=2026-03-15", "target_rate=75"):
        assert part in link, (part, link)
    other = ctx.new_page()  # a new session, as when someone else opens the link
    other.goto(link)
    settle(other, "Responsiveness")
    _check_clean(other, "shared link")
    assert "Responsiveness — Villeneuve-sur-Loire" in other.locator("h1").first.inner_text()
    values = _sidebar_values(other, [f"@{handle}", "X"])
    assert f"@{handle}" in values and "X" in values, values
    assert f"account={handle}" in other.url and "platform=x" in other.url
    assert "lang=en" in other.url
    ctx.close()


def test_post_markup_renders_as_text(server: str, browser) -> None:  # noqa: ANN001
    from collectors.demo import XSS_TEXT

    ctx = browser.new_context(viewport={"width": 1366, "height": 768})
    page = ctx.new_page()
    requests: list[str] = []
    alerts: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("dialog", lambda d: (alerts.append(d.message), d.dismiss()))
    page.goto(f"{server}/conversations?{PERIOD}&q=onerror")
    settle(page, "Conversations")
    body = _check_clean(page, "search")
    assert XSS_TEXT in body  # shown literally, as typed
    assert page.evaluate("document.querySelectorAll('img[src=\"x\"]').length") == 0
    assert page.evaluate(
        "[...document.querySelectorAll('img')].filter(i => i.src.includes('127.0.0.1:9')).length"
    ) == 0
    assert not [u for u in requests if "127.0.0.1:9/" in u]
    assert not alerts
    ctx.close()
