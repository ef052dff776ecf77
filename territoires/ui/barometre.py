"""The Baromètre page's parts: its controls (in the URL), its data (two cached calls) and
its layout. The content — ranking, intervals, sentences, figures — is built by
:mod:`territoires.barometre_report`, the same builder as its PDF/PNG, so the page and the
files say the same thing.

Opened from a shared link (``territoires.ui.shared_view``), the page shows the link's
territory against its population stratum, read-only: public figures and territory names
only, nothing about a person.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pandas as pd
import streamlit as st

from model.compare import STRATA
from territoires.barometre_render import render
from territoires.barometre_report import DEFAULT_INDICATOR, INDICATORS, BarometreDoc, strate_label
from territoires.barometre_report import label as indicator_label
from territoires.text.i18n import fmt_date, fmt_datetime, t
from territoires.text.review import tr
from territoires.ui import auth, data
from territoires.ui import render as r
from territoires.ui.share_link import share_popover
from territoires.ui.state import View
from warehouse import barometre

STRATE_CODES = tuple(code for code, _, _ in STRATA)


def comparison_as_of(view: View) -> datetime:
    """The one instant every territory is judged at: the URL's ``asof`` when pinned (a
    shared link's), else the latest collection of the warehouse (capped at now)."""
    if view.asof_pinned:
        return view.as_of
    last = [v for v in data.data_as_of(view.db).values() if v is not None]
    now = datetime.now(UTC).replace(tzinfo=None)
    return min(max(last), now) if last else view.as_of


def fetch(view: View, since: date, until: date, as_of: datetime
          ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every territory's row and weeks: one call through :func:`territoires.ui.data.q`
    (:func:`warehouse.barometre.rows_and_weeks`: one statement per territory for both),
    cached by the snapshot's identity and recorded by the benchmark."""
    terrs = tuple(data.territories(view.db).values())
    rows, weeks = data.q(barometre.rows_and_weeks, view.db, None, terrs, since, until, as_of)
    return rows, weeks


def controls(rows: list[dict[str, Any]], shared: bool, own_strate: str | None
             ) -> tuple[str, str | None]:
    """The indicator and the stratum: in the URL (``indicator``, ``strate``) on the team's
    page; in a shared view, the indicator alone, and the stratum is the territory's own."""
    keys = [i.key for i in INDICATORS]
    present = [c for c in STRATE_CODES if any(row.get("strate") == c for row in rows)]
    cols = st.columns([2, 1] if not shared else [1])
    if shared:
        st.session_state.setdefault("w_indicator", DEFAULT_INDICATOR)
    else:
        r.url_state("indicator", DEFAULT_INDICATOR)
        r.url_state("strate", "")
    if st.session_state.get("w_indicator") not in keys:
        st.session_state["w_indicator"] = DEFAULT_INDICATOR
    indicator = cols[0].selectbox(t("barometre.ctl.indicator"), keys, key="w_indicator",
                                  format_func=indicator_label,
                                  help=t("barometre.ctl.indicator.help"))
    if shared:
        return indicator, own_strate
    options = ["", *present]
    if st.session_state.get("w_strate") not in options:
        st.session_state["w_strate"] = ""
    chosen = cols[1].selectbox(t("barometre.ctl.strate"), options, key="w_strate",
                               format_func=lambda c: strate_label(c) if c
                               else t("barometre.strate.all"))
    r.mirror_to_url("indicator", indicator, DEFAULT_INDICATOR)
    r.mirror_to_url("strate", chosen, "")
    return indicator, chosen or None


def header(view: View, shared: Any, since: date, until: date, as_of: datetime) -> None:
    """The title (the viewer's territory), the period and the instant every territory is
    judged at, the link to this view."""
    title = t("barometre.title")
    st.set_page_config(page_title=f"{title} · {view.territory.name} · Territoires",
                       layout="wide")
    st.title(f"{title} — {r.md_escape(view.territory.name)}", anchor=False)
    asof = fmt_datetime(view.local(as_of))
    last = date.fromordinal(until.toordinal() - 1)
    line = t("period.caption", since=fmt_date(since), until=fmt_date(last), asof=asof)
    if shared is not None:
        st.caption(r.md_escape(line))
        st.caption(r.md_escape(tr("shared.badge", until=fmt_date(shared.expires.date()))))
        return
    cols = st.columns([3, 1], vertical_alignment="center")
    cols[0].caption(r.md_escape(line))
    extra = {p: str(st.session_state.get(f"w_{p}") or "") for p in ("indicator", "strate")}
    with cols[1]:
        r.share_link(view, {k: v for k, v in extra.items() if v})


def _bullets(lines: list[str]) -> str:
    return "\n".join(f"- {r.md_escape(s)}" for s in lines)


def show(doc: BarometreDoc, weeks: list[dict[str, Any]], view: View) -> None:
    """The page's body: the viewer's territory, the ranking with its uncertainty, the table,
    the weeks of each territory."""
    if not doc.entries:
        st.info(t("barometre.empty"), icon=":material/info:")
        return
    intro = t("barometre.intro")
    if view.platform or view.account:  # the sidebar's filters are the team's own
        intro += " " + t("barometre.unfiltered")
    st.caption(r.md_escape(intro))
    if doc.you:
        st.markdown(f"**{r.md_escape(doc.you)}**")
    else:
        st.caption(r.md_escape(t("barometre.not_shown", name=view.territory.name)))
    with r.guard("barometre.ranking"):
        st.header(doc.figures[0][0], anchor=False)
        ranked = sum(1 for e in doc.entries if e.rank is not None)
        summary = t("barometre.summary", n=ranked, total=len(doc.entries), indicator=doc.label)
        r.chart(doc.figures[0][1], summary, doc.data, doc.stem, "barometre_ranking")
        st.markdown(_bullets([*doc.sentences, *doc.notes]))
    with r.guard("barometre.table"):
        st.subheader(t("barometre.table"), anchor=False)
        r.table(doc.table, doc.stem, "barometre_table", download=False)
    if len(doc.figures) > 1:
        with r.guard("barometre.weeks"):
            st.header(doc.figures[1][0], anchor=False)
            names = {e.slug: e.name for e in doc.entries}
            frame = pd.DataFrame([w for w in weeks if w["territory"] in names])
            if len(frame):
                frame.insert(1, "name", frame["territory"].map(names))
            r.chart(doc.figures[1][1], t("barometre.weeks.summary"), frame,
                    f"{doc.stem}-semaines", "barometre_weeks")


def downloads(make: Callable[[], BarometreDoc], stem: str) -> None:
    """PDF and PNG, drawn only when asked for (kaleido and Chromium take seconds)."""
    cols = st.columns(2)
    cols[0].download_button(t("barometre.ctl.pdf"), data=lambda: render(make(), "pdf"),
                            file_name=f"{stem}.pdf", mime="application/pdf",
                            icon=":material/picture_as_pdf:", key="dl_barometre_pdf",
                            on_click="ignore")
    cols[1].download_button(t("barometre.ctl.png"), data=lambda: render(make(), "png"),
                            file_name=f"{stem}.png", mime="image/png", icon=":material/image:",
                            key="dl_barometre_png", on_click="ignore")


def share_control(slug: str, since: date, until: date, as_of: datetime) -> None:
    """A signed read-only link: this territory against its stratum, for its élus (admin and
    cm only, as the review's)."""
    if auth.may_share():
        share_popover(t("barometre.share"), t("barometre.share.help"), slug, "barometre", since,
                      until, as_of)
