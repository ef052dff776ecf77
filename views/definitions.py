"""Définitions: the metric definitions, rendered from ``docs/metrics.md`` (our own document,
so it is the one place Markdown is rendered as such). Each heading carries the anchor that
GitHub gives it, so the metrics' "Définition" links land on their section."""

from __future__ import annotations

import streamlit as st

from territoires.text.i18n import t
from territoires.ui import docs
from territoires.ui import render as r
from territoires.ui.shell import current_view

# The document's tables (worked examples, the keys of the JSON output) hold long words
# (``median_service_response_minutes``): they wrap anywhere so a table fits a phone's width
# instead of running past the page's edge (docs/dashboard.md, "Pages").
TABLE_CSS = """
<style>
[data-testid="stMain"] [data-testid="stMarkdownContainer"] table {
  width: 100%; max-width: 100%; table-layout: auto;}
[data-testid="stMain"] [data-testid="stMarkdownContainer"] th,
[data-testid="stMain"] [data-testid="stMarkdownContainer"] td {
  overflow-wrap: anywhere; word-break: normal; hyphens: auto;}
[data-testid="stMain"] [data-testid="stMarkdownContainer"] td code {
  white-space: normal; overflow-wrap: anywhere;}
</style>
"""
view = current_view()
st.set_page_config(page_title=f"{t('def.title')} · {view.territory.name} · Territoires",
                   layout="wide")
st.title(t("def.title"), anchor=False)
st.markdown(TABLE_CSS, unsafe_allow_html=True)
with r.guard("definitions"):
    found = docs.sections()
    if not found:
        st.info(t("def.missing"))
    else:
        st.caption(docs.DOC_REL)
        for s in found:
            if s.level in (1, 2):
                st.header(s.title, anchor=s.slug, divider="gray" if s.level == 2 else False)
            elif s.level == 3:
                st.subheader(s.title, anchor=s.slug)
            elif s.level == 4:
                st.markdown(f"**{s.title}**")
            if s.body.strip():
                st.markdown(s.body)
