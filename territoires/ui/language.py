"""The reader's language in the dashboard: each Streamlit session has its own.

The shell keeps it in ``st.session_state["lang"]`` (from ``?lang=`` or the sidebar's
control, :mod:`territoires.ui.shell`); this module registers it as the source of
:func:`territoires.text.i18n.lang`, so the strings and formats of
:mod:`territoires.text` follow the session. Outside a script run (AppTest's format
functions, the tests) the language set with :func:`~territoires.text.i18n.set_lang`
applies. Imported by :mod:`territoires.ui`, hence by every page.
"""

from __future__ import annotations

import streamlit as st

from territoires.text import i18n


def session_lang(fallback: str) -> str:
    try:
        return str(st.session_state.get("lang", fallback))
    except Exception:  # outside a Streamlit run
        return fallback


i18n.set_lang_source(session_lang)
