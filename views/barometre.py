"""Baromètre: the territories of the warehouse side by side, ranked on one public figure
(response rate, response times, interpellations and relays per 10,000 inhabitants…) with
its uncertainty, the median of each population stratum as reference, and each territory's
weeks; the sidebar's territory (the viewer's own) highlighted. Never a follower count,
never the expected-answer family (docs/barometre.md).

``?indicator=`` and ``?strate=`` keep the choice in the URL beside the shared filters (the
period, ``asof``, ``lang``). The parts are drawn by :mod:`territoires.ui.barometre`; the
content is :func:`territoires.barometre_report.barometre_doc`'s, the same as the PDF/PNG.
"""

from __future__ import annotations

import streamlit as st

from territoires.barometre_report import BarometreDoc, barometre_doc
from territoires.text.i18n import fmt_datetime
from territoires.ui import barometre as b
from territoires.ui import render as r
from territoires.ui.shell import current_view

view = current_view()
shared = st.session_state.get("_shared")  # a verified share.SharedLink, or None
since, until = view.since, view.until_excl  # [since, until)
as_of = b.comparison_as_of(view)
b.header(view, shared, since, until, as_of)
rows, weeks = b.fetch(view, since, until, as_of)
own = next((row.get("strate") for row in rows if row["territory"] == view.territory.slug), None)
indicator, strate = b.controls(rows, shared is not None, own)
asof_text = fmt_datetime(view.local(as_of))


def make(font: int = 14) -> BarometreDoc:
    return barometre_doc(rows, weeks, indicator, strate, view.territory.slug, since, until,
                         asof_text, font=font)


with r.guard("barometre"):
    doc = make()
    b.show(doc, weeks, view)
    if doc.entries:
        b.downloads(lambda: make(16), doc.stem)
        if shared is None:
            b.share_control(view.territory.slug, since, until, as_of)
