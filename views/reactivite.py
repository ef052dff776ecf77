"""Réactivité: response rate and times (calendar and service hours) against the team's
targets, by city account and week by week, when interpellations arrive and get answered,
the slowest answers and the missed ones."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from territoires import deltas as d
from territoires.text.i18n import fmt_date, fmt_int, fmt_minutes, fmt_pct, t, weekday_names
from territoires.ui import charts
from territoires.ui import render as r
from territoires.ui.data import q
from territoires.ui.shell import current_view, platform_label
from warehouse import page_responsiveness

DEFAULT_RATE, DEFAULT_HOURS = 90, 4.0
# the expected-answer family's twins of the public tiles (interpellations, response rate,
# pending, missed); answered_expecting is in the by-account table beside "answered"
EXPECTED_TILES = ("expecting_answer", "response_rate_expecting", "pending_expecting",
                  "missed_expecting")
view = current_view()
db, terr = view.db, view.territory
r.page_header(view, "resp.title", page_params=("target_rate", "target_hours"))
since, until = view.since, view.until_excl
# every figure from one computation of the window's interpellations
# (warehouse/page_responsiveness.overview); if it fails, each section says so
WINDOW = (since, until, view.as_of, view.platform)
figures: dict = {}
with r.guard("resp.window"):
    figures = q(page_responsiveness.overview, db, terr, *WINDOW, view.account)

# ---- targets (in the URL, so a shared link keeps them) ------------------------------------
with st.expander(t("resp.targets"), icon=":material/flag:"):
    key_rate, key_hours = r.url_state("target_rate"), r.url_state("target_hours")
    bounds = ((key_rate, DEFAULT_RATE, 0, 100), (key_hours, DEFAULT_HOURS, 0, 720))
    for k, default, lo, hi in bounds:
        try:
            st.session_state[k] = min(max(float(st.session_state[k] or default), lo), hi)
        except (TypeError, ValueError):
            st.session_state[k] = float(default)
    c1, c2 = st.columns(2)
    target_rate = c1.number_input(t("resp.target_rate"), 0.0, 100.0, step=5.0, key=key_rate)
    target_hours = c2.number_input(t("resp.target_hours"), 0.0, 720.0, step=0.5, key=key_hours)
    r.mirror_to_url("target_rate", f"{target_rate:g}", f"{DEFAULT_RATE:g}")
    r.mirror_to_url("target_hours", f"{target_hours:g}", f"{DEFAULT_HOURS:g}")

# ---- headline ------------------------------------------------------------------------------
with r.guard("resp.headline"):
    by_account, h = figures["by_account"], figures["total"]
    if view.account:
        st.caption(r.md_escape(f"@{view.account}"))
    rate, med_s = h["response_rate"], h["median_service_response_minutes"]
    c = st.columns(4)
    r.metric(c[0], "interpellations", fmt_int(h["interpellations"]))
    r.metric(c[1], "response_rate", fmt_pct(rate),
             d.rate_change(rate, target_rate / 100, +1, d.target("rate", target_rate / 100)))
    goal = target_hours * 60
    r.metric(c[2], "median_service", fmt_minutes(med_s),
             d.time_change(med_s, goal, -1, d.target("minutes", goal)))
    r.metric(c[3], "median", fmt_minutes(h["median_response_minutes"]))
    c = st.columns(4)
    r.metric(c[0], "p90", fmt_minutes(h["p90_response_minutes"]))
    r.metric(c[1], "p90_service", fmt_minutes(h["p90_service_response_minutes"]))
    r.metric(c[2], "pending", fmt_int(h["pending"]))
    r.metric(c[3], "missed", fmt_int(h["missed"]))
    # beside the public figures, never instead: the expected-answer family after triage
    st.markdown(f"**{r.md_escape(t('expected.title'))}**")
    st.caption(t("expected.caption"))
    c = st.columns(4)
    for col, key in zip(c, EXPECTED_TILES, strict=True):
        shown = fmt_pct(h[key]) if key == "response_rate_expecting" else fmt_int(h[key])
        r.metric(col, key, shown)
    r.definitions_link()

# ---- by account ----------------------------------------------------------------------------
with r.guard("resp.by_account"):
    st.header(t("resp.by_account"), anchor=False)
    shown = by_account.drop(columns=["pending_expecting", "missed_expecting"]).assign(
        response_rate=by_account["response_rate"].map(fmt_pct),
        response_rate_expecting=by_account["response_rate_expecting"].map(
            lambda v: fmt_pct(None if pd.isna(v) else v)),
        **{c: by_account[c].map(lambda m: fmt_minutes(None if pd.isna(m) else m))
           for c in ("median_response_minutes", "p90_response_minutes",
                     "median_service_response_minutes", "p90_service_response_minutes")},
        handle="@" + by_account["handle"],
        platform=by_account["platform"].map(platform_label),
    )
    r.table(shown, f"reactivite-comptes-{terr.slug}", "by_account", column_config={
        "platform": t("col.platform"), "handle": t("col.account"), "label": t("col.label"),
        "interpellations": t("m.interpellations"), "answered": t("resp.col.answered"),
        "pending": t("m.pending"), "missed": t("m.missed"),
        "response_rate": t("m.response_rate"), "median_response_minutes": t("m.median"),
        "p90_response_minutes": t("m.p90"),
        "median_service_response_minutes": t("m.median_service"),
        "p90_service_response_minutes": t("m.p90_service"),
        "expecting_answer": t("m.expecting_answer"),
        "answered_expecting": t("m.answered_expecting"),
        "response_rate_expecting": t("m.response_rate_expecting"),
    })

# ---- week by week --------------------------------------------------------------------------
with r.guard("resp.weekly"):
    st.header(t("resp.weekly"), anchor=False)
    weeks = figures["by_week"].copy()
    if not len(weeks):
        st.info(t("empty.period"))
    else:
        weeks["week"] = pd.to_datetime(weeks["week"]).dt.date
        weeks, partial, partial_label = charts.split_periods(weeks, "week", "week", view)
        rates = weeks.loc[[w not in partial for w in weeks["week"]], "response_rate"]
        summary = (t("resp.weekly.summary", low=fmt_pct(rates.min()), high=fmt_pct(rates.max()),
                     target=fmt_pct(target_rate / 100)) if rates.notna().any()
                   else t("resp.weekly.summary.none", target=fmt_pct(target_rate / 100)))
        table = weeks.assign(week=weeks["week"].map(fmt_date))
        bars = weeks.assign(week=[t("resp.week_of", day=d.strftime("%d/%m"))
                                  for d in weeks["week"]])
        fig = charts.bars_with_target(bars, "week", "response_rate", t("m.response_rate"),
                                      target_rate / 100, t("resp.vs_target",
                                                           target=fmt_pct(target_rate / 100)),
                                      partial={b for b, w in zip(bars["week"], weeks["week"],
                                                                 strict=True) if w in partial},
                                      partial_label=partial_label)
        # the expected-answer rate (after triage) as a second series, beside the public one
        fig.add_trace(go.Scatter(
            x=bars["week"], y=weeks["response_rate_expecting"], mode="lines+markers",
            name=t("m.response_rate_expecting"), line={"color": r.PALETTE[2], "width": 2},
            marker={"size": 9, "symbol": "diamond"}))
        r.chart(fig, summary, table, f"reactivite-semaines-{terr.slug}", "weekly")

# ---- weekday x hour ------------------------------------------------------------------------
with r.guard("resp.heatmap"):
    st.header(t("resp.heatmap"), anchor=False)
    grid = figures["grid"]
    cols = st.columns(2)
    for col, what in zip(cols, ("arrivals", "answers"), strict=True):
        g = grid[grid["what"] == what]
        title = t(f"resp.heat.{what}")
        with col:
            if g["n"].sum() == 0:
                st.info(t("empty.period"))
                continue
            top = g.loc[g["n"].idxmax()]
            slot = f"{weekday_names(short=False)[int(top.weekday)]} {int(top.hour)}h"
            table = g.pivot(index="weekday", columns="hour", values="n")
            table.index = weekday_names()
            table = table.reset_index().rename(columns={"index": t("col.weekday")})
            table.columns = [str(c) for c in table.columns]
            r.chart(charts.heatmap(g, title, t(f"resp.heat.scale.{what}")),
                    t("resp.heat.summary", what=title, slot=slot, n=fmt_int(top.n)),
                    table, f"{what}-{terr.slug}", f"heat_{what}")

# ---- slowest and missed --------------------------------------------------------------------
POST_COLUMNS = {
    "created_at": st.column_config.DatetimeColumn(t("col.created"), format="DD/MM/YY HH:mm"),
    "author_username": t("col.author"),
    "text": st.column_config.TextColumn(t("col.text"), width="large"),
    "addressed_handle": t("col.account"),
    "response": t("col.response"), "service_response": t("col.response_service"),
    "answered_by_handle": t("col.answered_by"),
    "url": st.column_config.LinkColumn(t("col.link"), display_text=t("open.post")),
}
with r.guard("resp.slowest"):
    st.header(t("resp.slowest"), anchor=False)
    slow = r.localize(figures["slowest"], view, ["created_at"])
    slow = slow.assign(response=slow["response_minutes"].map(fmt_minutes),
                       service_response=slow["service_response_minutes"].map(fmt_minutes),
                       author_username="@" + slow["author_username"].fillna("?"))
    r.table(slow[["created_at", "author_username", "text", "addressed_handle", "response",
                  "service_response", "answered_by_handle", "url"]],
            f"reponses-lentes-{terr.slug}", "slowest", POST_COLUMNS)

with r.guard("resp.missed"):
    st.header(t("resp.missed"), anchor=False)
    gone = r.localize(figures["missed"], view, ["created_at"])
    st.caption(t("m.missed.help"))
    gone = gone.assign(author_username="@" + gone["author_username"].fillna("?"))
    r.table(gone[["created_at", "author_username", "text", "addressed_handle", "url"]],
            f"sans-reponse-{terr.slug}", "missed", POST_COLUMNS)
