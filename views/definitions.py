"""Définitions: the metric definitions, rendered from ``docs/metrics.md`` (our own document,
so it is the one place Markdown is rendered as such)."""

from __future__ import annotations

import streamlit as st

from territoires.ui import render as r
from territoires.ui.i18n import t
from territoires.ui.shell import ROOT, current_view

view = current_view()
st.set_page_config(page_title=f"{t('def.title')} · {view.territory.name} · Territoires",
                   layout="wide")
st.title(t("def.title"), anchor=False)
with r.guard("definitions"):
    doc = ROOT / "docs" / "metrics.md"
    if not doc.exists():
        st.info(t("def.missing"))
    else:
        st.caption("docs/metrics.md")
        st.markdown(doc.read_text(encoding="utf-8"))
