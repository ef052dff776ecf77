"""Territoires dashboard: the Streamlit entry point (``territoires serve`` runs it).

Navigation uses ``st.navigation`` with explicit ``st.Page`` objects whose scripts live in
``views/``. The folder is deliberately *not* named ``pages/``: when a ``pages/`` folder sits
beside the entry point, Streamlit runs the first session after start-up down its legacy
multipage path, and a deep link (``/conversations?…``) then flashes "Page not found"
(measured with streamlit 1.67; docs/design.md §9). ``tests/test_pages.py`` guards this.

The shared filters (territory, period, account, language) live in the sidebar and in the
URL (``territoires.ui.state``). With sign-in on (``territoires.ui.auth``), nothing else is
drawn before sign-in, and the roles of the roles file decide the controls. The page runs
inside an error boundary: a failure shows a plain message and the details go to the server
log, never a stack trace on screen.
"""

from __future__ import annotations

import logging
import time

import streamlit as st

from territoires.ui import auth, shared_view, shell
from territoires.ui.render import guard

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

st.set_page_config(page_title="Territoires", page_icon=str(shell.ICON), layout="wide",
                   initial_sidebar_state="collapsed" if shared_view.is_shared_session()
                   or st.query_params.get("present") == "1" else "auto")
st.logo(str(shell.ICON), size="large")

if shared_view.is_shared_session():  # a shared link: one read-only page, nothing else
    with guard("shared"):
        shared_view.run()
    st.stop()

# sign-in on (docs/deploying.md): signed out, the sign-in page alone; unlisted, no access.
# The gate fails closed: if it breaks, the run stops after the error, before any data.
person: auth.Person | None = None
gated = False
with guard("auth"):
    person = auth.gate()
    gated = True
if not gated:
    st.stop()

started = time.perf_counter()
with guard("shell"):
    shell.resolve_view()
    auth.sidebar(person)
    page = shell.navigation()
    with guard(page.url_path or "home"):
        page.run()
    elapsed_ms = 1000 * (time.perf_counter() - started)
    logging.getLogger("territoires.ui").info("page %s rendered in %.0f ms",
                                             page.url_path or "home", elapsed_ms)
