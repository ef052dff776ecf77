"""Hashtags: activity per tracked hashtag with spikes marked, top contributors, hashtags used
alongside, and the city's share."""

from __future__ import annotations

from datetime import timedelta

import streamlit as st

from territoires.text.i18n import fmt_date, fmt_int, fmt_pct, t
from territoires.ui import charts
from territoires.ui import render as r
from territoires.ui.data import q, q_over
from territoires.ui.shell import current_view, platform_label
from warehouse import metrics, page_hashtags, page_spikes

view = current_view()
db, terr = view.db, view.territory
r.page_header(view, "ht.title")
since, until = view.since, view.until_excl

if not terr.hashtags:
    st.info(t("ht.none"))
    st.stop()

with r.guard("ht.headline"):
    # = the headline's
    share = q(page_hashtags.hashtag_city_share, db, terr, since, until, view.platform)
    c = st.columns(3)
    r.metric(c[0], "hashtag_posts", fmt_int(share["posts"]))
    r.metric(c[1], "posts_total", fmt_int(share["posts_total"]))
    r.metric(c[2], "hashtag_posts", fmt_pct(share["city_posts"] / share["posts"]
                                            if share["posts"] else None),
             label=t("ht.city_share"))
    st.caption(t("ht.city_share.text", city=fmt_int(share["city_posts"]),
                 total=fmt_int(share["posts"]),
                 share=fmt_pct(share["city_posts"] / share["posts"] if share["posts"] else None)))
    r.definitions_link()

with r.guard("ht.activity"):
    st.header(t("ht.activity"), anchor=False)
    # one pass: the chart + spikes
    history = since - timedelta(days=page_spikes.SPIKE_BASELINE_DAYS)
    got = q_over(page_spikes.hashtag_series, db, terr,
                 [(metrics.hashtag_activity, (history, until), view.pf)], since, until)
    series, spikes = got["series"], got["spikes"]
    series, partial, partial_label = charts.split_periods(series, "local_date", "day", view)
    totals = series.groupby("hashtag", sort=False)["posts"].sum()
    parts = ", ".join(f"{tag} : {fmt_int(n)}" for tag, n in totals.items())
    marks = ", ".join(f"{s.hashtag} {fmt_date(s.local_date)} ({fmt_int(s.posts)})"
                      for s in spikes.itertuples()) or t("ht.no_spike")
    table = series.pivot(index="local_date", columns="hashtag", values="posts")[list(terr.hashtags)]
    table = table.reset_index().rename(columns={"local_date": t("col.date")})
    spike_col = {d: ", ".join(spikes.loc[spikes["local_date"] == d, "hashtag"])
                 for d in spikes["local_date"]}
    table[t("ht.spike")] = [spike_col.get(d, "") for d in series["local_date"].unique()]
    fig = charts.lines(series, "local_date", "posts", "hashtag",
                       markers=spikes if len(spikes) else None, marker_label=t("ht.spike"),
                       partial=partial, partial_label=partial_label)
    r.chart(fig,
            t("ht.activity.summary", parts=parts, spikes=marks), table,
            f"hashtags-{terr.slug}", "activity")

with r.guard("ht.contributors"):
    st.header(t("ht.contributors"), anchor=False)
    people = q(page_hashtags.hashtag_contributors, db, terr, since, until, 20, view.platform)
    people = people.assign(username="@" + people["username"].fillna("?"),
                           platform=people["platform"].map(platform_label))
    r.table(people, f"contributeurs-{terr.slug}", "contributors", column_config={
        "platform": t("col.platform"),
        "username": t("col.author"), "name": t("col.name"), "posts": t("col.posts"),
        "is_city": st.column_config.CheckboxColumn(t("city.badge")),
        "followers_count": t("col.followers"),
    })

with r.guard("ht.cooccurring"):
    st.header(t("ht.cooccurring"), anchor=False)
    co = q(page_hashtags.cooccurring_hashtags, db, terr, since, until, 15, view.platform)
    if not len(co):
        st.info(t("empty.period"))
    else:
        top = co.iloc[0]
        r.chart(charts.hbars(co, "hashtag", "posts"),
                t("ht.cooc.summary", tag=top.hashtag, n=fmt_int(top.posts), k=fmt_int(len(co))),
                co.rename(columns={"hashtag": t("col.hashtag"), "posts": t("col.posts")}),
                f"hashtags-associes-{terr.slug}", "cooc")
