"""Revue de la semaine: one ISO week on a projector, read from the back of a room.

A title (territory, week, dates), six headline numbers with their change against the
previous week and the average of the four before, beside them the expected-answer family
after the team's triage (the public numbers never change with triage), three charts with
large type, the notable posts and the new local relayers. ``?week=2026-W47`` picks the
week (default: the last complete one); ``?present=1`` is presentation mode: no sidebar, no
controls, type at 22 px or more. The content is built by :mod:`territoires.report`, the
same builder the ``territoires report`` command uses, and the export buttons serve the same
file.

Opened from a shared link (``territoires.ui.shared_view``), the page shows the link's period,
read-only, with private people pseudonymised (:mod:`territoires.privacy`).
"""

from __future__ import annotations

import html
import re
from datetime import date, datetime
from urllib.parse import urlencode

import streamlit as st

from territoires import report, share
from territoires.privacy import Pseudonymizer, profiles_from_frame
from territoires.report import IsoWeek, ReviewDoc
from territoires.report_render import render
from territoires.text.i18n import fmt_date, lang
from territoires.text.review import tr
from territoires.ui import auth, data
from territoires.ui import render as r
from territoires.ui.share_link import share_popover
from territoires.ui.shell import current_view

WEEKS_BACK = 26
_SAFE_URL = re.compile(r"https://[a-z0-9.-]+/[\w@./:%?=&~+-]*")


M = '[data-testid="stMain"]'  # scope: the main area (beats the presentation floor below)
CSS = f"""
<style>
{M} .rv-sub {{font-size: 1.5rem; font-weight: 600; color: #111; margin: 0 0 .2rem 0;}}
{M} .rv-asof {{font-size: 1.4rem; color: #3d3d3d; margin-bottom: .6rem;}}
{M} .rv-cards {{display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 14px;
  margin: .4rem 0 1rem 0;}}
@media (max-width: 1100px) {{{M} .rv-cards {{grid-template-columns: repeat(2, minmax(0, 1fr));}}}}
@media (max-width: 640px) {{{M} .rv-cards {{grid-template-columns: minmax(0, 1fr);}}}}
{M} .rv-card {{border: 3px solid #111; border-radius: 6px; padding: 10px 18px;
  background: #fff;}}
{M} .rv-label {{font-size: 1.45rem; font-weight: 700; color: #111; line-height: 1.2;}}
{M} .rv-value {{font-size: 4.2rem; font-weight: 800; color: #000091; line-height: 1.1;}}
{M} .rv-delta {{font-size: 1.4rem; line-height: 1.3; font-weight: 600;}}
{M} .rv-good {{color: #00622d;}}
{M} .rv-bad {{color: #a8101a;}}
{M} .rv-neutral {{color: #333;}}
{M} .rv-exp {{border-left: 6px solid #009081; padding: 4px 0 4px 16px; margin: 0 0 1rem 0;}}
{M} .rv-exp-title {{font-size: 1.5rem; font-weight: 700; color: #111;}}
{M} .rv-exp-caption {{font-size: 1.4rem; color: #3d3d3d; margin-bottom: .3rem;}}
{M} .rv-exp-row {{display: grid; grid-template-columns: repeat(5, minmax(0, 1fr)); gap: 10px;}}
@media (max-width: 1100px) {{{M} .rv-exp-row {{grid-template-columns: repeat(3, minmax(0, 1fr));}}}}
@media (max-width: 640px) {{{M} .rv-exp-row {{grid-template-columns: repeat(2, minmax(0, 1fr));}}}}
{M} .rv-exp-label {{font-size: 1.4rem; font-weight: 600; color: #111; line-height: 1.2;}}
{M} .rv-exp-value {{font-size: 2.8rem; font-weight: 800; color: #00605a; line-height: 1.15;}}
</style>
"""
PRESENT_CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"]
  {display: none !important;}
[data-testid="stMainBlockContainer"] {padding-top: 1.2rem !important;
  padding-left: 2.5rem !important; padding-right: 2.5rem !important; max-width: 100% !important;}
[data-testid="stMain"] h1 {font-size: 3.2rem !important; padding: 0 0 .3rem 0 !important;}
[data-testid="stMain"] h3 {font-size: 2rem !important;}
[data-testid="stMain"] h1, [data-testid="stMain"] h2, [data-testid="stMain"] h3 {color: #111;}
[data-testid="stMain"] p, [data-testid="stMain"] span, [data-testid="stMain"] div,
[data-testid="stMain"] a, [data-testid="stMain"] li, [data-testid="stMain"] pre,
[data-testid="stMain"] code, [data-testid="stMain"] label {font-size: max(22px, 1em);}
[data-testid="stMain"] [data-testid="stText"] {font-family: inherit; color: #111;}
</style>
"""
SHARED_CSS = f"""
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stToolbar"]
  {{display: none !important;}}
[data-testid="stMainBlockContainer"] {{padding-top: 2.5rem !important;}}
{M} [data-testid="stText"] {{font-family: inherit; font-size: 1rem; white-space: pre-wrap;}}
{M} .rv-value {{font-size: 3rem;}}
{M} .rv-asof, {M} .rv-sub {{font-size: 1.05rem;}}
{M} .rv-label {{font-size: 1.15rem;}}
{M} .rv-delta {{font-size: 1.05rem;}}
{M} .rv-exp-title {{font-size: 1.15rem;}}
{M} .rv-exp-caption, {M} .rv-exp-label {{font-size: 1.05rem;}}
{M} .rv-exp-value {{font-size: 2rem;}}
</style>
"""


def cards_html(doc: ReviewDoc) -> str:
    """The headline cards: our own labels and numbers only (no user content), escaped."""
    e = html.escape
    parts = ['<div class="rv-cards">']
    for c in doc.cards:
        parts.append(
            f'<div class="rv-card" data-key="{e(c.key)}">'
            f'<div class="rv-label">{e(c.label)}</div>'
            f'<div class="rv-value">{e(c.value)}</div>'
            f'<div class="rv-delta rv-{e(c.tone_prev)}">{e(c.vs_prev)}</div>'
            f'<div class="rv-delta rv-{e(c.tone_avg)}">{e(c.vs_avg)}</div></div>'
        )
    parts.append("</div>")
    return "".join(parts)


def expected_html(doc: ReviewDoc) -> str:
    """The expected-answer family beside the cards: our own labels and numbers only (counts
    and the rate; never a note nor who triaged), escaped."""
    e, x = html.escape, doc.expected
    if x is None:
        return ""
    items = "".join(f'<div class="rv-exp-item" data-exp="{e(f.key)}">'
                    f'<div class="rv-exp-label">{e(f.label)}</div>'
                    f'<div class="rv-exp-value">{e(f.value)}</div></div>' for f in x.figures)
    return (f'<div class="rv-exp"><div class="rv-exp-title">{e(x.title)}</div>'
            f'<div class="rv-exp-caption">{e(x.caption)}</div>'
            f'<div class="rv-exp-row">{items}</div></div>')


def show_sections(doc: ReviewDoc) -> None:
    cols = st.columns(2, gap="large")
    for n, sec in enumerate(doc.sections):
        with cols[n // 2], r.guard(f"revue.{sec.key}"):
            st.subheader(sec.title, anchor=False)
            if not sec.items:
                st.markdown(r.md_escape(sec.empty))
            for it in sec.items:
                with st.container(border=True):
                    st.markdown(f"**{r.md_escape(it.head)}**  \n{r.md_escape(it.meta)}")
                    if it.text is not None:
                        st.text(it.text)  # user content: plain text, never Markdown/HTML
                    elif sec.key != "new":
                        st.markdown(f"*{r.md_escape(tr('text.hidden'))}*")
                    if it.url and _SAFE_URL.fullmatch(it.url):
                        st.markdown(f"[{r.md_escape(tr('open.post'))}]({it.url})")


def share_control(slug: str, since: date, until: date, as_of: datetime,
                  pseudonymized: bool) -> None:
    privacy = tr("ctl.share.privacy.on" if pseudonymized else "ctl.share.privacy.off")
    share_popover(tr("ctl.share"), tr("ctl.share.help", privacy=privacy), slug, "revue", since,
                  until, as_of)


def report_bytes(fmt: str) -> bytes:
    """The exported file: the same content, drawn by :mod:`territoires.report_render`."""
    return render(print_doc, fmt)


view = current_view()
db, terr = view.db, view.territory
shared = st.session_state.get("_shared")  # a verified share.SharedLink, or None
present = shared is None and st.query_params.get("present") == "1"
st.markdown(CSS, unsafe_allow_html=True)
if present:
    st.markdown(PRESENT_CSS, unsafe_allow_html=True)
if shared is not None:
    st.markdown(SHARED_CSS, unsafe_allow_html=True)

# ---- the period -----------------------------------------------------------------------------
if shared is not None:
    since, until = view.since, view.until_excl
    week = IsoWeek.containing(since) if (until - since).days == 7 and since.weekday() == 0 \
        else None
else:
    last = IsoWeek.last_complete(view.today)
    try:
        week = IsoWeek.parse(st.query_params.get("week", "")) if st.query_params.get("week") \
            else last
    except ValueError:
        week = last
    if not present:
        options = [str(last.shift(-k)) for k in range(-1, WEEKS_BACK)]
        if str(week) not in options:
            options.append(str(week))
        st.session_state.setdefault("w_week", str(week))
        if st.session_state["w_week"] not in options:
            st.session_state["w_week"] = str(week)
        chosen = st.sidebar.selectbox(tr("ctl.week"), options, key="w_week",
                                      help=tr("ctl.week.help"))
        week = IsoWeek.parse(chosen)
    r.mirror_to_url("week", str(week), default=str(last))
    since, until = week.monday, week.until

as_of = view.as_of if shared is not None else report.review_as_of(terr, until, view.as_of)
review: report.Review = data.review(db, terr, since, until, as_of)
secret = b""
if shared is not None and terr.pseudonymize_shared_views:
    secret = share.secret_from_env()  # verified by the shared view already
pseudo = Pseudonymizer(terr, profiles_from_frame(review.profiles), secret,
                       enabled=shared is not None, lang=lang())
doc = report.review_doc(review, pseudo, font=18 if shared is not None else 24,
                        height=380 if shared is not None else 440,
                        legend_rows=2 if shared is not None else 1)
print_doc = doc if shared is None else report.review_doc(review, pseudo)
st.set_page_config(page_title=f"{doc.title} · Territoires")

# ---- the headline part: fits a 1920x1080 screen ---------------------------------------------
st.title(doc.title, anchor=False)
st.markdown(f'<div class="rv-sub">{html.escape(doc.subtitle)}</div>'
            f'<div class="rv-asof">{html.escape(doc.asof_line)}</div>', unsafe_allow_html=True)
if shared is not None:
    st.caption(r.md_escape(tr("shared.badge", until=fmt_date(shared.expires.date()))))
if doc.privacy_line:
    st.info(r.md_escape(doc.privacy_line), icon=":material/visibility_off:")
st.markdown(cards_html(doc), unsafe_allow_html=True)
if doc.expected is not None:
    st.markdown(expected_html(doc), unsafe_allow_html=True)

if not present:
    cols = st.columns([1, 1, 1, 1] if shared is None else [1, 1], vertical_alignment="center")
    cols[0].download_button(tr("ctl.pdf"), data=lambda: report_bytes("pdf"),
                            file_name=f"{doc.stem}.pdf", mime="application/pdf",
                            icon=":material/picture_as_pdf:", key="dl_review_pdf",
                            on_click="ignore")
    cols[1].download_button(tr("ctl.png"), data=lambda: report_bytes("png"),
                            file_name=f"{doc.stem}.png", mime="image/png",
                            icon=":material/image:", key="dl_review_png", on_click="ignore")
    if shared is None:
        present_url = "?" + urlencode({**view.params(), "week": str(week), "present": "1"})
        cols[2].link_button(tr("ctl.present"), present_url, icon=":material/slideshow:")
        if auth.may_share():  # sign-in on: admin and cm only (territoires/ui/auth.py)
            with cols[3]:
                share_control(terr.slug, since, until, as_of, terr.pseudonymize_shared_views)


# ---- charts and notable posts ---------------------------------------------------------------
per_row = 2 if present else 1  # side by side only on a projector's width
figs = doc.figures
for row in range(0, len(figs), per_row):
    cols = st.columns(per_row, gap="large")
    for k, (title, fig) in enumerate(figs[row:row + per_row]):
        with cols[k], r.guard(f"revue.chart{row + k}"):
            st.subheader(title, anchor=False)
            st.plotly_chart(fig, theme=None, width="stretch", key=f"rv_chart_{row + k}",
                            config={"displayModeBar": False, "responsive": True})
show_sections(doc)
if present:
    exit_url = "?" + urlencode({**view.params(), "week": str(week)})
    st.markdown(f"[{r.md_escape(tr('ctl.present.exit'))}]({exit_url})")
