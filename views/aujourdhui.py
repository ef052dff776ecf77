"""Aujourd'hui: the community manager's inbox and daily check (the home page).

The queue "À traiter" (what expects an answer, oldest first) with its states, services,
cards and bulk bar (territoires/ui/inbox.py; docs/dashboard.md, "Aujourd'hui"), the response
rates of the last 7 days (public, and of the messages that expect an answer), yesterday and
the last 7 days against the usual (the 4 weeks before), and an alert when a hashtag or the
city's mentions spike.
"""

from __future__ import annotations

from datetime import timedelta

import streamlit as st

from territoires import deltas as d
from territoires.text.i18n import (
    fmt_date,
    fmt_datetime,
    fmt_int,
    fmt_minutes,
    fmt_pct,
    t,
)
from territoires.ui import auth, data, inbox
from territoires.ui import render as r
from territoires.ui.data import q
from territoires.ui.shell import current_view, platform_badge, platform_label
from warehouse import metrics, page_responsiveness, page_spikes
from warehouse import triage_journal as journal

QUEUE_LIMIT = 1000
view = current_view()
db, terr = view.db, view.territory
drawn = data.identity(db)  # before any query: a change after this redraws the page
r.page_header(view, "today.title", page_params=("etat", "service"), period=False)
today = view.today
yesterday = today - timedelta(days=1)
week0 = today - timedelta(days=7)
usual0 = today - timedelta(days=35)
as_of = view.as_of  # the latest decision's instant when newer than the last collection
by = inbox.who()
top = st.container()  # alerts go first when there is a spike, last otherwise

# ---- the inbox -----------------------------------------------------------------------------
with r.guard("today.queue"):
    st.header(t("today.queue"), anchor=False)
    h_day, h_week, h_usual = q(metrics.headlines, db, terr,
                               ((yesterday, today), (week0, today), (usual0, week0)),
                               as_of, **view.pf)
    rates = st.columns(2)
    rates[0].metric(t("inbox.rate.public"), fmt_pct(h_week["response_rate"]), border=True,
                    help=t("inbox.rate.public.help", answered=fmt_int(h_week["answered"]),
                           n=fmt_int(h_week["interpellations"])))
    rates[1].metric(t("inbox.rate.expecting"), fmt_pct(h_week["response_rate_expecting"]),
                    border=True,
                    help=t("inbox.rate.expecting.help",
                           answered=fmt_int(h_week["answered_expecting"]),
                           n=fmt_int(h_week["expecting_answer"])))
    st.caption(t("inbox.rate.caption", since=fmt_date(week0), until=fmt_date(yesterday),
                 answered=fmt_int(h_week["answered_expecting"]),
                 n=fmt_int(h_week["expecting_answer"])))
    queue = q(metrics.pending_queue, db, terr, as_of, limit=QUEUE_LIMIT, **view.pf)
    capped = len(queue) >= QUEUE_LIMIT
    if view.account:
        queue = queue[queue["addressed_handle"].str.lower() == view.account.lower()]
    queue = inbox.annotate(inbox.for_person(queue), terr)
    if view.asof_pinned:
        by = None  # a view frozen in the past: a decision made now would not show in it
        st.info(t("inbox.pinned"), icon=":material/history:")
    elif not auth.may_triage():
        st.caption(t("inbox.readonly"))
    elif not by:
        st.caption(t("inbox.name.needed"))
    inbox.flash(view, by)
    filters = st.columns([3, 1], vertical_alignment="bottom")
    with filters[0]:
        state = inbox.state_filter(inbox.counts(queue))
    with filters[1]:
        service = inbox.service_filter(terr)
    shown = inbox.select(queue, state, service)
    st.caption(t("today.queue.caption", n=fmt_int(len(shown)) + ("+" if capped else "")))
    if not len(shown):
        st.success(t("inbox.empty" if len(queue) else "today.queue.empty"),
                   icon=":material/task_alt:")
    else:
        local = r.localize(shown, view, ["created_at"])
        first = shown.head(inbox.CARDS)
        notes = journal.history(db, terr.slug, list(zip(first["platform"], first["post_id"],
                                                        strict=True)))
        for row, loc in zip(first.itertuples(), local.head(inbox.CARDS).itertuples(),
                            strict=True):
            meta = t("today.queue.meta", when=fmt_datetime(loc.created_at),
                     account=row.addressed_handle, age=fmt_minutes(row.age_minutes),
                     service=fmt_minutes(row.service_age_minutes))
            inbox.card(view, row, inbox.visible([e for e in notes if (e["platform"], e["post_id"])
                                                 == (row.platform, row.post_id)]),
                       by, platform_badge(row.platform), meta)
        if len(shown) > inbox.CARDS:
            st.caption(t("inbox.more", n=fmt_int(len(shown) - inbox.CARDS)))
        st.subheader(t("inbox.table"), anchor=False)
        table = local.assign(
            age=local["age_minutes"].map(fmt_minutes),
            age_service=local["service_age_minutes"].map(fmt_minutes),
            author="@" + local["author_username"].fillna("?"),
            platform=local["platform"].map(platform_label),
            state=local["bucket"].map(lambda b: t(f"inbox.state.{b}")),
            judgement=[inbox.rule_text(x) for x in local["expect_rule"]],
            service=[inbox.service_label(terr, s) for s in local["service"]],
        )[["platform", "created_at", "age", "age_service", "state", "judgement", "service",
           "author", "text", "addressed_handle", "url"]]
        event = st.dataframe(table, key="inbox-table", on_select="rerun",
                             selection_mode="multi-row", hide_index=True, width="stretch",
                             column_config={
            "platform": t("col.platform"),
            "created_at": st.column_config.DatetimeColumn(t("col.created"), format="DD/MM HH:mm"),
            "age": t("col.age"), "age_service": t("col.age_service"),
            "state": t("inbox.col.state"), "judgement": t("inbox.col.judgement"),
            "service": t("inbox.service"),
            "author": t("col.author"),
            "text": st.column_config.TextColumn(t("col.text"), width="large"),
            "addressed_handle": t("col.account"),
            "url": st.column_config.LinkColumn(t("col.link"), display_text=t("open.post")),
        })
        picked = [i for i in event.selection.rows if 0 <= i < len(shown)]
        inbox.bulk_bar(view, shown.iloc[picked], by)
        st.download_button(t("table.download"), r.csv_bytes(table),
                           file_name=f"file-attente-{terr.slug}.csv", mime="text/csv",
                           key="dl_queue", icon=":material/download:")
    inbox.watch(db, drawn)

# ---- yesterday and the last 7 days against the usual ---------------------------------------
with r.guard("today.compare"):
    st.header(t("today.compare"), anchor=False)
    st.caption(t("today.compare.caption", since=fmt_date(usual0),
                 until=fmt_date(week0 - timedelta(days=1))))

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
        split = q(page_responsiveness.platform_split, db, terr, week0, today, as_of)
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
    found = q(page_spikes.spikes, db, terr, (yesterday, today), view.platform)
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
            posts = r.localize(q(page_spikes.spike_posts, db, terr, s.series, s.day, 20,
                                 view.platform), view, ["created_at"])
            for p in posts.itertuples():
                r.post_block(f"@{p.username or '?'}", fmt_datetime(p.created_at), p.text,
                             url=p.url, marker=platform_badge(p.platform))
