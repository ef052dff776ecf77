"""Collecte: data freshness per source, the last collection runs with their status and
errors, and the estimated API cost per month (prices: ``collectors.runlog``)."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from model.prices import price_table
from territoires.text.i18n import fmt_int, fmt_minutes, fmt_num, lang, t
from territoires.ui import render as r
from territoires.ui.data import q
from territoires.ui.shell import current_view, platform_label
from warehouse import page_collection

view = current_view()
db, terr = view.db, view.territory
r.page_header(view, "col.title", period=False)
now = datetime.now(UTC).replace(tzinfo=None)  # freshness is judged against the real clock


def dollars(x: float | None, digits: int = 2) -> str:
    """An amount in US dollars for people: "1 234,50 $" in French, "$1,234.50" in English."""
    if x is None:
        return t("na")
    return f"{fmt_num(x, digits)} $" if lang() == "fr" else f"${fmt_num(x, digits)}"


def whole(df: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Counts as text with thousands separators ("61 200"), never "61200.0"."""
    return df.assign(**{c: df[c].map(lambda n: fmt_int(None if pd.isna(n) else n))
                        for c in columns if c in df.columns})


def prices_text(platforms: list[str]) -> str:
    """The price table in words: "X : 0,005 $ par message lu, … ; Bluesky : gratuit"."""
    parts = []
    for p in platforms:
        table = price_table(p)
        items = ", ".join(t("col.price.item", price=dollars(v, 3 if v < 0.01 else 2),
                            what=t(f"col.price.{k}") if t(f"col.price.{k}") != f"col.price.{k}"
                            else k) for k, v in table.items())
        parts.append(t("col.price.platform", platform=platform_label(p),
                       items=items or t("col.price.free")))
    return " ; ".join(parts) if lang() == "fr" else "; ".join(parts)

with r.guard("col.freshness"):
    st.header(t("col.freshness"), anchor=False)
    fresh = q(page_collection.freshness, db, terr, view.platform)
    fresh = fresh.assign(age_hours=[(now - pd.Timestamp(x).to_pydatetime()).total_seconds() / 3600
                                    for x in fresh["last_fetched_at"]])
    fresh = r.localize(fresh, view, ["last_fetched_at", "latest_post_at"])
    fresh = whole(fresh, ["pages"]).assign(
        platform=fresh["platform"].map(platform_label),
        age_hours=fresh["age_hours"].map(lambda h: fmt_minutes(max(h, 0) * 60)))
    r.table(fresh, f"fraicheur-{terr.slug}", "freshness", column_config={
        "platform": t("col.platform"),
        "source": t("col.source"), "endpoint": t("col.endpoint"), "pages": t("col.pages"),
        "last_fetched_at": st.column_config.DatetimeColumn(t("col.last_fetch"),
                                                           format="DD/MM/YY HH:mm"),
        "latest_post_at": st.column_config.DatetimeColumn(t("col.latest_post"),
                                                          format="DD/MM/YY HH:mm"),
        "age_hours": t("col.fetch_age"),
    })

with r.guard("col.runs"):
    st.header(t("col.runs"), anchor=False)
    runs = q(page_collection.collect_runs, db, terr, 30, view.platform)
    if not len(runs):
        st.info(t("col.runs.none"))
    else:
        shown = r.localize(runs, view, ["started_at", "ended_at"])
        icons = {"ok": "✅", "partial": "⚠️", "failed": "❌", "running": "⏳"}
        shown = whole(shown, ["pages", "posts", "users", "errors"]).assign(
            status=shown["status"].map(
                lambda s: f"{icons.get(s, '')} {t('run.' + s) if s in icons else s}"),
            platform=shown["platform"].map(platform_label),
            cost_usd=shown["cost_usd"].map(lambda x: dollars(None if pd.isna(x) else x)),
            run_id=shown["run_id"].map(str))
        r.table(shown, f"collectes-{terr.slug}", "runs", column_config={
            "run_id": "#", "platform": t("col.platform"),
            "started_at": st.column_config.DatetimeColumn(t("col.started"),
                                                          format="DD/MM/YY HH:mm"),
            "ended_at": st.column_config.DatetimeColumn(t("col.ended"), format="DD/MM/YY HH:mm"),
            "status": t("col.status"), "pages": t("col.pages"), "posts": t("col.posts"),
            "users": t("col.users"), "errors": t("col.errors"),
            "cost_usd": t("col.cost_usd"),
            "message": st.column_config.TextColumn(t("col.message"), width="large"),
        })
        failing = runs[runs["errors"] > 0]
        if len(failing):
            run_id = int(failing.iloc[0]["run_id"])
            details = q(page_collection.run_errors, db, terr, run_id)
            with st.expander(t("col.errors.of", run=run_id), icon=":material/error:"):
                r.table(details, f"erreurs-{run_id}", "run_errors")

with r.guard("col.cost"):
    st.header(t("col.cost"), anchor=False)
    fresh_platforms = set(q(page_collection.freshness, db, terr, view.platform)["platform"])
    use = q(page_collection.api_usage, db, terr, now.replace(second=0, microsecond=0), 30,
            view.platform)
    c = st.columns(3)
    c[0].metric(t("col.posts"), fmt_int(use["posts"]), border=True)
    c[1].metric(t("col.cost.recorded"), dollars(use["cost_usd"]), border=True)
    c[2].metric(t("col.cost.month"), dollars(use["month_cost_usd"]), border=True)
    st.caption(t("col.cost.text", posts=fmt_int(use["posts"]), pages=fmt_int(use["pages"]),
                 cost=dollars(use["cost_usd"]), month=dollars(use["month_cost_usd"])))
    platforms = sorted(set(fresh_platforms) | {view.platform or "x"})
    st.caption(r.md_escape(t("col.cost.prices", prices=prices_text(platforms))))
