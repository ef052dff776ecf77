"""The app shell: the shared sidebar filters, kept in sync with the URL, and the page list.

``app.py`` calls :func:`resolve_view` (sidebar widgets ↔ ``st.query_params``) and then runs
the page chosen by ``st.navigation``; pages read the view with :func:`current_view`.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from pathlib import Path

import streamlit as st
from streamlit.navigation.page import StreamlitPage

from territoires import resources
from territoires.safe_text import display_name
from territoires.text.i18n import LANGS, set_lang, t
from territoires.ui import data
from territoires.ui.render import md_escape
from territoires.ui.state import PLATFORMS, SHARED_KEYS, View, view_from_params
from warehouse.db import db_path

log = logging.getLogger("territoires.ui")
ROOT = resources.root()  # app.py and views/: the checkout, or the wheel's copies
ICON = Path(__file__).resolve().parent / "static" / "favicon.png"

# (file under views/, title key, material icon, url path); the first is the home page.
PAGES = [
    ("views/aujourdhui.py", "nav.today", ":material/today:", "aujourdhui"),
    ("views/revue.py", "nav.review", ":material/slideshow:", "revue"),
    ("views/tendances.py", "nav.trends", ":material/trending_up:", "tendances"),
    ("views/conversations.py", "nav.conversations", ":material/forum:", "conversations"),
    ("views/reactivite.py", "nav.responsiveness", ":material/timer:", "reactivite"),
    ("views/relais.py", "nav.relays", ":material/campaign:", "relais"),
    ("views/hashtags.py", "nav.hashtags", ":material/tag:", "hashtags"),
    ("views/barometre.py", "nav.barometre", ":material/leaderboard:", "barometre"),
    ("views/collecte.py", "nav.collection", ":material/cloud_sync:", "collecte"),
    ("views/definitions.py", "nav.definitions", ":material/menu_book:", "definitions"),
]

ABOUT = ("collecte", "definitions")  # the "about" section of the navigation; the rest: "follow"

PLATFORM_NAMES = {"x": "X", "bluesky": "Bluesky", "mastodon": "Mastodon"}
# badge colours of the post cards (names, not emoji: the butterfly and elephant need an
# emoji font that many office machines lack)
PLATFORM_BADGES = {"x": "gray", "bluesky": "blue", "mastodon": "violet"}


def platform_label(platform: str) -> str:
    """A platform's name for people (tables, the sidebar): ``Bluesky``."""
    return PLATFORM_NAMES.get(platform, platform)


def platform_badge(platform: str) -> str:
    """A platform's marker at the start of a post card (Streamlit Markdown badge)."""
    colour = PLATFORM_BADGES.get(platform, "gray")
    return f":{colour}-badge[{platform_label(platform)}]"


def warehouse() -> str:
    """The warehouse path: ``$TERRITOIRES_DB`` (set by ``territoires serve``), else the default."""
    return str(db_path().resolve())  # --db, else $TERRITOIRES_DB, else the default


def navigation() -> StreamlitPage:
    """The page list; ``/aujourdhui`` (the home page's own name) opens the home page, and an
    unknown path opens it too, with a note in the reader's language (docs/dashboard.md)."""
    pages = [
        st.Page(str(ROOT / f), title=t(k), icon=i, url_path=u, default=(n == 0))
        for n, (f, k, i, u) in enumerate(PAGES)
    ]
    unknown = route_unknown_path({p.url_path for p in pages[1:]}, home=PAGES[0][3])
    about = [u in ABOUT for *_, u in PAGES]
    sections = {t("nav.section.follow"): [p for p, a in zip(pages, about, strict=True) if not a],
                t("nav.section.about"): [p for p, a in zip(pages, about, strict=True) if a]}
    page = st.navigation(sections, position="sidebar")
    if unknown:
        shown = display_name(unknown, 80)  # one bounded line, whatever the address holds
        st.info(md_escape(t("nav.unknown", path=shown)), icon=":material/explore_off:")
    return page


def route_unknown_path(known: set[str], home: str = "") -> str | None:
    """Send a URL path that names no page (or names the home page, which lives at ``/``) to
    the home page, before ``st.navigation`` would answer it with Streamlit's own English
    "Page not found" dialog. Returns the unknown path, to be told to the reader (``None``
    for a known page, the home page, or a run without a browser session)."""
    try:
        # a Streamlit internal, imported here so that a version without it falls back to
        # Streamlit's own dialog (the except below) instead of breaking the whole shell
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        ctx = get_script_run_ctx()
        pm = ctx.pages_manager if ctx is not None else None
        name = (pm.intended_page_name or "").strip("/") if pm is not None else ""
        if pm is None or pm.intended_page_script_hash or not name or name in known:
            return None
        pm.set_script_intent("", "")  # the default page: the home page
    except Exception:  # noqa: BLE001 - a Streamlit without this internal: its own dialog
        log.warning("could not route the unknown path", exc_info=True)
        return None
    return None if name == home else name


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def resolve_view() -> View:
    """The shared view for this run; stops the run with a plain message if there is no data."""
    db = warehouse()
    if not Path(db).exists():
        st.error(t("error.no_warehouse", db=db))
        st.stop()
    terrs = data.territories(db)
    if not terrs:
        st.info(t("error.no_territory"))
        st.stop()
    as_of = data.data_as_of(db)
    decided = data.latest_decisions(db, list(terrs))
    ss = st.session_state
    if "_view_init" not in ss:  # a new session: the URL decides
        v = view_from_params(st.query_params.to_dict(), db, list(terrs.values()), as_of, _now(),
                             decided)
        ss.update(w_territory=v.territory.slug, w_period=(v.since, v.until),
                  w_account=v.account or "", w_platform=v.platform or "", w_lang=v.lang,
                  _period=(v.since, v.until),
                  _asof=st.query_params.get("asof"), _view_init=True)
    ss["lang"] = ss.get("w_lang", "fr") if ss.get("w_lang") in LANGS else "fr"
    set_lang(ss["lang"])  # the fallback outside a script run (AppTest calls format_func there)

    sb = st.sidebar
    if ss.get("w_territory") not in terrs:
        ss["w_territory"] = next(iter(terrs))
    slug = sb.selectbox(t("filter.territory"), list(terrs), key="w_territory",
                        format_func=lambda s: terrs[s].name)
    terr = terrs[slug]
    period = sb.date_input(t("filter.period"), key="w_period", format="DD/MM/YYYY"
                           if ss["lang"] == "fr" else "YYYY-MM-DD", help=t("filter.period.help"),
                           min_value=date(2006, 3, 21), max_value=date(2100, 1, 1))
    if isinstance(period, tuple | list) and len(period) == 2:
        ss["_period"] = (period[0], period[1])
    since, until = ss["_period"]
    if ss.get("w_platform") not in ("", *PLATFORMS):
        ss["w_platform"] = ""
    platform = sb.selectbox(t("filter.platform"), ["", *PLATFORMS], key="w_platform",
                            format_func=lambda p: platform_label(p) if p
                            else t("filter.platform.all"))
    handles = [""] + [a.handle for a in terr.accounts if not platform or a.platform == platform]
    if ss.get("w_account") not in handles:
        ss["w_account"] = ""
    account = sb.selectbox(t("filter.account"), handles, key="w_account",
                           format_func=lambda h: f"@{h}" if h else t("filter.account.all"))
    sb.segmented_control(t("filter.lang"), list(LANGS), key="w_lang",
                         format_func=lambda x: {"fr": "Français", "en": "English"}[x])
    if ss.get("w_lang") not in LANGS:  # a segmented control can be emptied by a click
        ss["w_lang"] = ss["lang"]
    params = {"territory": slug, "from": since.isoformat(), "to": until.isoformat(),
              "account": account, "platform": platform, "lang": ss["lang"]}
    if ss.get("_asof"):
        params["asof"] = ss["_asof"]
    view = view_from_params(params, db, list(terrs.values()), as_of, _now(), decided)
    _write_url(view)
    ss["_view"] = view
    return view


def _write_url(view: View) -> None:
    want = view.params()
    qp = st.query_params
    for key in SHARED_KEYS:
        if key in want:
            if qp.get(key) != want[key]:
                qp[key] = want[key]
        elif key in qp:
            del qp[key]


def current_view() -> View:
    """The view resolved by ``app.py`` for this run."""
    return st.session_state["_view"]  # type: ignore[no-any-return]
