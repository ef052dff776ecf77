"""The read-only view a shared link opens (``/?share=<token>``), for elected officials.

``app.py`` calls :func:`run` instead of the normal shell when the URL carries ``share`` (or
the session was opened by one). The token is verified on every run (signature, then
expiry; :mod:`territoires.share`). A valid link fixes the territory, the period, the as-of
instant and the language, and :func:`st.navigation` gets only the shared page: no sidebar
filter, no other page (the collection and admin pages are not registered in this session,
so their URLs are unreachable). A modified or expired link shows one plain page saying so,
and nothing else.

The page shows the public figures and, beside them, the expected-answer family after the
team's triage (counts and the rate, from :func:`territoires.report.expected`); it reads no
triage note, no name of who triaged and no decision text: those stay in the journal
(``warehouse/triage_journal.py``), read only by the team's own pages
(tests/test_triage_figures.py checks the shared page and PDF).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import streamlit as st

from territoires import resources, share
from territoires.text.i18n import fmt_date, t
from territoires.text.review import tr
from territoires.ui import data
from territoires.ui.shell import warehouse
from territoires.ui.state import View

ROOT = resources.root()  # views/: the checkout, or the wheel's copies
TOKEN_KEY = "_share_token"
HIDE_CHROME = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stToolbar"]
  {display: none !important;}
</style>
"""


def is_shared_session() -> bool:
    """Whether this run belongs to a shared view (the URL or the session says so)."""
    return "share" in st.query_params or TOKEN_KEY in st.session_state


def _refuse(title: str, body: str) -> None:
    st.markdown(HIDE_CHROME, unsafe_allow_html=True)
    st.title(title, anchor=False)
    st.markdown(body)
    st.stop()


def run() -> None:
    ss = st.session_state
    token = st.query_params.get("share") or ss.get(TOKEN_KEY, "")
    ss[TOKEN_KEY] = token  # the session stays a shared one, whatever the URL becomes
    ss.setdefault("lang", "fr")  # a refusal is in French: a refused link's language is unknown
    now = datetime.now(UTC).replace(tzinfo=None)
    try:
        link = share.verify(token, share.secret_from_env(), now)
    except share.ShareError as e:
        if e.reason == "expired" and e.expired_at is not None:
            _refuse(tr("shared.expired.title"),
                    tr("shared.expired", until=fmt_date(e.expired_at.date())))
        elif e.reason in ("no_secret", "weak_secret"):
            _refuse(tr("shared.disabled.title"), tr("shared.disabled"))
        else:
            _refuse(tr("shared.tampered.title"), tr("shared.tampered"))
        return
    db = warehouse()
    terr = data.territories(db).get(link.territory) if Path(db).exists() else None
    if terr is None:
        _refuse(tr("shared.gone.title"), tr("shared.gone"))
        return
    ss["lang"] = link.lang
    ss["_shared"] = link
    ss["_view"] = View(db=db, territory=terr, since=link.since,
                       until=link.until - timedelta(days=1), account=None, lang=link.lang,
                       as_of=link.as_of, asof_pinned=True)
    for key in list(st.query_params):  # the URL carries the token and nothing else
        if key != "share":
            del st.query_params[key]
    if st.query_params.get("share") != token:
        st.query_params["share"] = token
    st.markdown(HIDE_CHROME, unsafe_allow_html=True)
    title = tr("nav") if link.page == "revue" else t(f"nav.{link.page}")
    page = st.Page(str(ROOT / share.SHAREABLE_PAGES[link.page]), title=title,
                   url_path=link.page, default=True)
    st.navigation([page], position="hidden").run()
