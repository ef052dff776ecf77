"""Aujourd'hui: the community manager's daily check (the home page).

What needs an answer now (oldest first), yesterday and the last 7 days against the usual
(the 4 weeks before), and an alert when a hashtag or the city's mentions spike.
"""

from __future__ import annotations

from datetime import timedelta

import streamlit as st

from territoires.ui import deltas as d
from territoires.ui import render as r
from territoires.ui.data import q
from territoires.ui.i18n import (
    fmt_date,
    fmt_datetime,
    fmt_int,
    fmt_minutes,
    fmt_pct,
    t,
)
from territoires.ui.shell import current_view, platform_badge, platform_label
from warehouse import dashboard_queries as dq
from warehouse import metrics

QUEUE_LIMIT = 1000
view = current_view()
db, terr = view.db, view.territory
r.page_header(view, "today.title", period=False)
today = view.today
yesterday = today - timedelta(days=1)
top = st.container()  # alerts go first when there is a spike, last otherwise

# ---- the queue -----------------------------------------------------------------------------
with r.guard("today.queue"):
    st.header(t("today.queue"), anchor=False)
    queue = q(metrics.pending_queue, db, terr, view.as_of, limit=QUEUE_LIMIT, **view.pf)
    capped = len(queue) >= QUEUE_LIMIT
    if view.account:
        queue = queue[queue["addressed_handle"].str.lower() == view.account.lower()]
    st.caption(t("today.queue.caption", n=fmt_int(len(queue)) + ("+" if capped else "")))
    if not len(queue):
        st.success(t("today.queue.empty"), icon=":material/task_alt:")
    else:
        local = r.localize(queue, view, ["created_at"])
        for row in local.head(10).itertuples():
            r.post_block(
                f"@{row.author_username or '?'}"
                + (f" ({row.author_name})" if row.author_name else ""),
                t("today.queue.meta", when=fmt_datetime(row.created_at),
                  account=row.addressed_handle, age=fmt_minutes(row.age_minutes),
                  service=fmt_minutes(row.service_age_minutes)),
                row.text, url=row.url, marker=platform_badge(row.platform),
            )
        table = local.assign(
            age=local["age_minutes"].map(fmt_minutes),
            age_service=local["service_age_minutes"].map(fmt_minutes),
            author="@" + local["author_username"].fillna("?"),
            platform=local["platform"].map(platform_label),
        )[["platform", "created_at", "age", "age_service", "author", "text", "addressed_handle",
           "url"]]
        r.table(table, f"file-attente-{terr.slug}", "queue", column_config={
            "platform": t("col.platform"),
            "created_at": st.column_config.DatetimeColumn(t("col.created"), format="DD/MM HH:mm"),
            "age": t("col.age"), "age_service": t("col.age_service"),
            "author": t("col.author"),
            "text": st.column_config.TextColumn(t("col.text"), width="large"),
            "addressed_handle": t("col.account"),
            "url": st.column_config.LinkColumn(t("col.link"), display_text=t("open.post")),
        })

# ---- yesterday and the last 7 days against the usual ---------------------------------------
with r.guard("today.compare"):
    st.header(t("today.compare"), anchor=False)
    week0 = today - timedelta(days=7)
    usual0 = today - timedelta(days=35)
    st.caption(t("today.compare.caption", since=fmt_date(usual0),
                 until=fmt_date(week0 - timedelta(days=1))))
    h_day, h_week, h_usual = q(metrics.headlines, db, terr,
                               ((yesterday, today), (week0, today), (usual0, week0)),
                               view.as_of, **view.pf)

    def vs_usual(kind: str, key: str, h: dict, divisor: float, better: int) -> d.Change | None:
        """This figure against the usual: the previous 4 weeks' count per day (or per week),
        or their rate or median time."""
        now, usual = h[key], h_usual[key]
        if kind == "count":
            usual = usual / divisor
            return d.count_change(now, usual, better, d.usual(kind, usual))
        change = d.rate_change if kind == "rate" else d.time_change
        return change(now, usual, better, d.usual(kind, usual))

    rows = ((t("today.yesterday", day=fmt_date(yesterday, weekday=True)), h_day, 28.0),
            (t("today.week", since=fmt_date(week0), until=fmt_date(yesterday)), h_week, 4.0))
    for label, h, divisor in rows:
        st.subheader(label, anchor=False)
        cols = st.columns(4)
        r.metric(cols[0], "interpellations", fmt_int(h["interpellations"]),
                 vs_usual("count", "interpellations", h, divisor, 0))
        r.metric(cols[1], "response_rate", fmt_pct(h["response_rate"]),
                 vs_usual("rate", "response_rate", h, divisor, +1))
        r.metric(cols[2], "median_service", fmt_minutes(h["median_service_response_minutes"]),
                 vs_usual("minutes", "median_service_response_minutes", h, divisor, -1))
        r.metric(cols[3], "relays", fmt_int(h["relays"]),
                 vs_usual("count", "relays", h, divisor, +1))
    if view.platform:
        st.caption(t("platform.caption", platform=platform_label(view.platform)))
    else:  # the last 7 days, platform by platform
        st.subheader(t("today.split"), anchor=False)
        st.caption(t("today.split.caption"))
        split = q(dq.platform_split, db, terr, week0, today, view.as_of)
        shown = split.assign(
            platform=split["platform"].map(platform_label),
            response_rate=split["response_rate"].map(
                lambda x: fmt_pct(None if x != x else x)),
            median_service_response_minutes=split["median_service_response_minutes"].map(
                lambda m: fmt_minutes(None if m != m else m)),
        )[["platform", "interpellations", "response_rate", "median_service_response_minutes",
           "relays"]]
        r.table(shown, f"plateformes-{terr.slug}", "split", column_config={
            "platform": t("col.platform"), "interpellations": t("m.interpellations"),
            "response_rate": t("m.response_rate"),
            "median_service_response_minutes": t("m.median_service"),
            "relays": t("m.relays"),
        })
    r.definitions_link()

# ---- alerts --------------------------------------------------------------------------------
with r.guard("today.alerts"):
    found = q(dq.spikes, db, terr, (yesterday, today), view.platform)
    box = top if len(found) else st.container()
    box.header(t("today.alerts"), anchor=False)
    if not len(found):
        box.success(t("today.alerts.none"), icon=":material/check_circle:")
    for n, s in enumerate(found.itertuples()):
        series = t("series.mentions") if s.series == "mentions" else s.series
        box.warning(r.md_escape(t("today.alert", series=series, day=fmt_date(s.day, weekday=True),
                                  count=fmt_int(s.posts), usual=fmt_int(s.usual))),
                    icon=":material/trending_up:")
        with box.expander(t("today.alert.posts"), expanded=n == 0):
            posts = r.localize(q(dq.spike_posts, db, terr, s.series, s.day, 20, view.platform),
                               view, ["created_at"])
            for p in posts.itertuples():
                r.post_block(f"@{p.username or '?'}", fmt_datetime(p.created_at), p.text,
                             url=p.url, marker=platform_badge(p.platform))
