"""Relais locaux: the local accounts (tweetos) relaying city content: ranking, relays over
time, local versus non-local share, potential reach, newcomers, most relayed city posts."""

from __future__ import annotations

from datetime import timedelta

import streamlit as st

from territoires.text.i18n import fmt_date, fmt_datetime, fmt_int, fmt_pct, t
from territoires.ui import charts
from territoires.ui import render as r
from territoires.ui.data import q
from territoires.ui.shell import current_view, platform_badge, platform_label
from warehouse import page_base, page_relays

view = current_view()
db, terr = view.db, view.territory
r.page_header(view, "rel.title")
since, until = view.since, view.until_excl
# every figure from one computation of the window's relays and their authors' locality
# (warehouse/page_relays.overview); if it fails, each section says so
figures: dict = {}
with r.guard("rel.window"):
    figures = q(page_relays.overview, db, terr, since, until, view.platform)

with r.guard("rel.headline"):
    h = figures["figures"]  # = the headline's relay figures
    share = h["local_relays"] / h["relays"] if h["relays"] else None
    c = st.columns(4)
    r.metric(c[0], "relays", fmt_int(h["relays"]))
    r.metric(c[1], "local_relays", fmt_int(h["local_relays"]),
             note=None if share is None else t("rel.share", share=fmt_pct(share)))
    r.metric(c[2], "local_tweetos", fmt_int(h["local_tweetos"]))
    r.metric(c[3], "potential_reach", fmt_int(h["potential_reach"]))
    r.definitions_link()

with r.guard("rel.ranking"):
    st.header(t("rel.ranking"), anchor=False)
    tw = r.localize(figures["tweetos"].head(50), view, ["first_seen", "last_relay"])
    cfg = {
        "rank": t("col.rank"), "platform": t("col.platform"), "username": t("col.author"),
        "name": t("col.name"),
        "relays": t("col.relays"), "followers_count": t("col.followers"),
        "first_seen": st.column_config.DatetimeColumn(t("col.first_seen"), format="DD/MM/YY"),
        "last_relay": st.column_config.DatetimeColumn(t("col.last_relay"), format="DD/MM/YY"),
    }
    tw = tw.assign(username="@" + tw["username"].fillna("?"),
                   platform=tw["platform"].map(platform_label))
    r.table(tw[list(cfg)], f"relayeurs-locaux-{terr.slug}", "ranking", cfg)

with r.guard("rel.over_time"):
    st.header(t("rel.over_time"), anchor=False)
    over = figures["over_time"]
    over, partial, partial_label = charts.split_periods(over, "period",
                                                        page_base.grain_for(since, until), view)
    labels: dict[object, str] = {True: t("rel.local"), False: t("rel.nonlocal")}
    total, local = int(over["relays"].sum()), int(over.loc[over["local"], "relays"].sum())
    summary = t("rel.over_time.summary", total=fmt_int(total), local=fmt_int(local),
                share=fmt_pct(local / total if total else None))
    table = over.pivot(index="period", columns="local", values="relays").reindex(
        columns=[True, False], fill_value=0)
    table = table.rename(columns=labels).reset_index().rename(columns={"period": t("col.date")})
    r.chart(charts.stacked_bars(over, "period", "relays", "local", labels, partial=partial,
                                partial_label=partial_label), summary, table,
            f"relais-{terr.slug}", "relays")

with r.guard("rel.newcomers"):
    st.header(t("rel.newcomers"), anchor=False)
    start = max(view.since, view.until_excl - timedelta(days=7))
    st.caption(t("rel.newcomers.caption", since=fmt_date(start), until=fmt_date(view.until)))
    new = r.localize(figures["newcomers"], view, ["first_seen", "last_relay"])
    if not len(new):
        st.info(t("rel.newcomers.none"))
    else:
        new = new.assign(username="@" + new["username"].fillna("?"),
                         platform=new["platform"].map(platform_label))
        r.table(new[list(cfg)], f"nouveaux-relayeurs-{terr.slug}", "newcomers", cfg)

with r.guard("rel.top_posts"):
    st.header(t("rel.top_posts"), anchor=False)
    top = r.localize(figures["top"], view, ["created_at"])
    if not len(top):
        st.info(t("empty.period"))
    for p in top.head(5).itertuples():
        r.post_block(f"@{p.username} · {fmt_int(p.relays)} "
                     f"{t('col.relays').lower()} ({fmt_int(p.local_relays)} {t('rel.local')})",
                     fmt_datetime(p.created_at), p.text, city=True, url=p.url,
                     marker=platform_badge(p.platform))
    if len(top):
        r.table(top[["created_at", "username", "text", "relays", "local_relays", "url"]],
                f"messages-relayes-{terr.slug}", "top_posts", column_config={
                    "created_at": st.column_config.DatetimeColumn(t("col.created"),
                                                                  format="DD/MM/YY HH:mm"),
                    "username": t("col.city_account"),
                    "text": st.column_config.TextColumn(t("col.text"), width="large"),
                    "relays": t("col.relays"), "local_relays": t("m.local_relays"),
                    "url": st.column_config.LinkColumn(t("col.link"),
                                                       display_text=t("open.post")),
                })
