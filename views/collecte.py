"""Collecte: data freshness per source, the last collection runs with their status and
errors, and the estimated API cost per month (prices: ``collectors.runlog``)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from collectors.runlog import price_table
from territoires.ui import render as r
from territoires.ui.data import q
from territoires.ui.i18n import fmt_int, fmt_num, t
from territoires.ui.shell import current_view
from warehouse import dashboard_queries as dq

view = current_view()
db, terr = view.db, view.territory
r.page_header(view, "col.title", period=False)
now = datetime.now(UTC).replace(tzinfo=None)  # freshness is judged against the real clock

with r.guard("col.freshness"):
    st.header(t("col.freshness"), anchor=False)
    fresh = q(dq.freshness, db, terr, view.platform)
    fresh = fresh.assign(age_hours=[(now - pd.Timestamp(x).to_pydatetime()).total_seconds() / 3600
                                    for x in fresh["last_fetched_at"]])
    fresh = r.localize(fresh, view, ["last_fetched_at", "latest_post_at"])
    r.table(fresh, f"fraicheur-{terr.slug}", "freshness", column_config={
        "platform": t("col.platform"),
        "source": t("col.source"), "endpoint": t("col.endpoint"), "pages": t("col.pages"),
        "last_fetched_at": st.column_config.DatetimeColumn(t("col.last_fetch"),
                                                           format="DD/MM/YY HH:mm"),
        "latest_post_at": st.column_config.DatetimeColumn(t("col.latest_post"),
                                                          format="DD/MM/YY HH:mm"),
        "age_hours": st.column_config.NumberColumn(t("col.age_hours"), format="%.1f"),
    })

with r.guard("col.runs"):
    st.header(t("col.runs"), anchor=False)
    runs = q(dq.collect_runs, db, terr, 30, view.platform)
    if not len(runs):
        st.info(t("col.runs.none"))
    else:
        shown = r.localize(runs, view, ["started_at", "ended_at"])
        icons = {"ok": "✅", "partial": "⚠️", "failed": "❌", "running": "⏳"}
        shown = shown.assign(status=shown["status"].map(
            lambda s: f"{icons.get(s, '')} {t('run.' + s) if s in icons else s}"))
        r.table(shown, f"collectes-{terr.slug}", "runs", column_config={
            "run_id": "#", "platform": t("col.platform"),
            "started_at": st.column_config.DatetimeColumn(t("col.started"),
                                                          format="DD/MM/YY HH:mm"),
            "ended_at": st.column_config.DatetimeColumn(t("col.ended"), format="DD/MM/YY HH:mm"),
            "status": t("col.status"), "pages": t("col.pages"), "posts": t("col.posts"),
            "users": t("col.users"), "errors": t("col.errors"),
            "cost_usd": st.column_config.NumberColumn(t("col.cost_usd"), format="$%.2f"),
            "message": st.column_config.TextColumn(t("col.message"), width="large"),
        })
        failing = runs[runs["errors"] > 0]
        if len(failing):
            run_id = int(failing.iloc[0]["run_id"])
            details = q(dq.run_errors, db, terr, run_id)
            with st.expander(t("col.errors.of", run=run_id), icon=":material/error:"):
                r.table(details, f"erreurs-{run_id}", "run_errors")

with r.guard("col.cost"):
    st.header(t("col.cost"), anchor=False)
    fresh_platforms = set(q(dq.freshness, db, terr, view.platform)["platform"])
    use = q(dq.api_usage, db, terr, now.replace(second=0, microsecond=0), 30, view.platform)
    c = st.columns(3)
    c[0].metric(t("col.posts"), fmt_int(use["posts"]), border=True)
    c[1].metric(t("col.cost.recorded"), f"{fmt_num(use['cost_usd'], 2)} $", border=True)
    c[2].metric(t("col.cost.month"), f"{fmt_num(use['month_cost_usd'], 2)} $", border=True)
    st.caption(t("col.cost.text", posts=fmt_int(use["posts"]), pages=fmt_int(use["pages"]),
                 cost=f"{fmt_num(use['cost_usd'], 2)} $",
                 month=f"{fmt_num(use['month_cost_usd'], 2)} $"))
    prices = {p: price_table(p) for p in sorted(set(fresh_platforms) | {view.platform or "x"})}
    st.caption(r.md_escape(t("col.cost.prices", prices=json.dumps(prices))))
