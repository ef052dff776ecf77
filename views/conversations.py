"""Conversations: volume by kind, the audience across platforms week by week, the largest
and latest threads (readable), the most active participants, and a search over post text."""

from __future__ import annotations

import streamlit as st

from territoires.safe_text import display_name
from territoires.text.i18n import fmt_date, fmt_datetime, fmt_int, fmt_pct, t
from territoires.ui import charts
from territoires.ui import render as r
from territoires.ui.data import q
from territoires.ui.shell import current_view, platform_badge, platform_label
from warehouse import page_base, page_conversations, page_responsiveness, page_volume

view = current_view()
db, terr = view.db, view.territory
r.page_header(view, "conv.title", page_params=("q", "conv"))
since, until = view.since, view.until_excl


def _text(value: object, missing: str = "") -> str:
    """A text column's value; ``missing`` for NULL (NaN in a frame): an erased root post or
    author (``territoires forget``) leaves NULL behind its joins."""
    return value if isinstance(value, str) else missing


def _author(username: object) -> str:
    return f"@{username}" if isinstance(username, str) and username else t("account.erased")

# ---- volume by kind ------------------------------------------------------------------------
with r.guard("conv.volume"):
    st.header(t("conv.volume"), anchor=False)
    vol = q(page_volume.volume_by_kind, db, terr, since, until, view.as_of, view.platform)
    vol, partial, partial_label = charts.split_periods(vol, "period",
                                                       page_base.grain_for(since, until), view)
    labels = {k: t(f"kind.{k}") for k in page_volume.KINDS}
    totals = vol.groupby("kind")["posts"].sum()
    per_period = vol.groupby("period")["posts"].sum()
    if per_period.sum() == 0:
        st.info(t("empty.period"))
    else:
        peak = per_period.idxmax()
        summary = t("conv.volume.summary",
                    parts=", ".join(f"{fmt_int(totals.get(k, 0))} {labels[k]}"
                                    for k in page_volume.KINDS),
                    peak_day=fmt_date(peak), peak=fmt_int(per_period.max()))
        table = vol.pivot(index="period", columns="kind", values="posts")[list(page_volume.KINDS)]
        table = table.rename(columns=labels).reset_index().rename(columns={"period": t("col.date")})
        r.chart(charts.lines(vol, "period", "posts", "kind", labels, partial=partial,
                             partial_label=partial_label), summary, table,
                f"volume-{terr.slug}", "volume")

# ---- the audience across platforms ---------------------------------------------------------
with r.guard("conv.audience"):
    st.header(t("audience.title"), anchor=False)
    aud = q(page_responsiveness.audience_by_week, db, terr, since, until, view.as_of, view.platform)
    aud, partial, partial_label = charts.split_periods(aud, "week", "week", view)
    if not (aud["interpellations"].sum() + aud["relays"].sum()):
        st.info(t("empty.period"))
    else:
        names = {p: platform_label(p) for p in aud["platform"].unique()}
        long = aud.melt(id_vars=["week", "platform"], value_vars=["interpellations", "relays"],
                        var_name="kind", value_name="posts")
        long["series"] = [f"{names[p]} · {t('kind.' + k)}"
                          for p, k in zip(long["platform"], long["kind"], strict=True)]
        by_platform = aud.groupby("platform", sort=False)[["interpellations", "relays"]].sum()
        weekly = aud.assign(n=aud["interpellations"] + aud["relays"],
                            other=(aud["platform"] != "x")
                            * (aud["interpellations"] + aud["relays"]))
        weekly = weekly.groupby("week")[["n", "other"]].sum()
        weekly = weekly[[w not in partial for w in weekly.index]]  # compare whole weeks only
        shares = [o / n if n else None for n, o in zip(weekly["n"], weekly["other"],
                                                          strict=True)]
        parts = " ; ".join(
            t("audience.part", platform=names[p], inter=fmt_int(row.interpellations),
              rel=fmt_int(row.relays)) for p, row in by_platform.iterrows())
        if len(weekly) >= 2:
            summary = t("audience.summary", parts=parts, first=fmt_pct(shares[0]),
                        first_week=fmt_date(weekly.index[0]), last=fmt_pct(shares[-1]),
                        last_week=fmt_date(weekly.index[-1]))
        else:  # fewer than two whole weeks: nothing to compare
            summary = t("audience.summary.short", parts=parts)
        table = aud.assign(platform=aud["platform"].map(names)).rename(columns={
            "week": t("col.week"), "platform": t("col.platform"),
            "interpellations": t("m.interpellations"), "relays": t("m.relays")})
        fig = charts.lines(long, "week", "posts", "series", partial=partial,
                           partial_label=partial_label)
        r.chart(fig, summary, table, f"plateformes-semaines-{terr.slug}", "audience")

# ---- threads -------------------------------------------------------------------------------
with r.guard("conv.threads"):
    st.header(t("conv.threads"), anchor=False)
    found = q(page_conversations.threads, db, terr, since, until, 15, view.platform)
    largest, recent = found["size"], found["recent"]
    if not len(largest):
        st.info(t("empty.period"))
    else:
        def thread_table(df):  # noqa: ANN001, ANN202
            d = r.localize(df, view, ["started_at", "last_post_at"])
            d["root_text"] = [_text(x, t("conv.root_erased")) for x in d["root_text"]]
            return d[["size", "participants", "city_took_part", "started_at", "last_post_at",
                      "root_text"]]

        cfg = {
            "size": t("col.size"), "participants": t("col.participants"),
            "city_took_part": st.column_config.CheckboxColumn(t("col.city_took_part")),
            "started_at": st.column_config.DatetimeColumn(t("col.started"), format="DD/MM HH:mm"),
            "last_post_at": st.column_config.DatetimeColumn(t("col.last_post"),
                                                            format="DD/MM HH:mm"),
            "root_text": st.column_config.TextColumn(t("col.root_text"), width="large"),
        }
        tab1, tab2 = st.tabs([t("conv.largest"), t("conv.recent")])
        with tab1:
            r.table(thread_table(largest), f"fils-longs-{terr.slug}", "largest", cfg)
        with tab2:
            r.table(thread_table(recent), f"fils-recents-{terr.slug}", "recent", cfg)
        choices = {f"{row.platform}:{row.conversation_id}": row for row in
                   [*largest.itertuples(), *recent.itertuples()]}
        key = r.url_state("conv")
        if st.session_state[key] and st.session_state[key] not in choices:
            st.session_state[key] = ""  # a thread outside this period's lists

        def label(k: str) -> str:
            if not k:
                return "—"
            row = choices[k]
            text = display_name(_text(row.root_text, t("conv.root_erased")), 70)  # one line
            return f"{row.size} · {fmt_datetime(view.local(row.started_at))} · {text}"

        picked = st.selectbox(t("conv.open"), ["", *choices], key=key, format_func=label)
        r.mirror_to_url("conv", picked)
        if picked:
            platform, conv_id = picked.split(":", 1)
            posts = r.localize(q(page_conversations.thread, db, terr, platform, conv_id), view,
                               ["created_at"])
            st.caption(t("conv.thread.caption", n=fmt_int(len(posts))))
            for p in posts.itertuples():
                to = _text(p.in_reply_to_username)
                to = f" → @{to}" if to else ""
                r.post_block(f"{_author(p.username)}{to}", fmt_datetime(p.created_at), p.text,
                             city=bool(p.is_city), url=p.url,
                             marker=platform_badge(p.platform))

# ---- participants --------------------------------------------------------------------------
with r.guard("conv.participants"):
    st.header(t("conv.participants"), anchor=False)
    people = q(page_conversations.top_participants, db, terr, since, until, 20, view.platform)
    people = people.assign(username="@" + people["username"].fillna("?"),
                           platform=people["platform"].map(platform_label))
    r.table(people, f"participants-{terr.slug}", "participants", column_config={
        "platform": t("col.platform"),
        "username": t("col.author"), "name": t("col.name"), "posts": t("col.posts"),
        "conversations": t("nav.conversations"),
        "is_city": st.column_config.CheckboxColumn(t("city.badge")),
        "followers_count": t("col.followers"),
    })

# ---- search --------------------------------------------------------------------------------
with r.guard("conv.search"):
    st.header(t("conv.search"), anchor=False)
    key = r.url_state("q")
    text = st.text_input(t("conv.search"), key=key, placeholder=t("conv.search.placeholder"),
                         label_visibility="collapsed", max_chars=200)
    r.mirror_to_url("q", text.strip())
    if text.strip():
        found = q(page_conversations.search_posts, db, terr, since, until, text.strip(), 100,
                  view.platform)
        n = int(found["matches"].iloc[0]) if len(found) else 0
        st.caption(r.md_escape(t("conv.search.results", n=fmt_int(n), q=text.strip())))
        found = r.localize(found, view, ["created_at"])
        for p in found.head(5).itertuples():
            r.post_block(_author(p.username), fmt_datetime(p.created_at), p.text,
                         city=bool(p.is_city), url=p.url, marker=platform_badge(p.platform))
        if len(found) > 5:
            shown = found.assign(username="@" + found["username"].fillna("?"),
                                 platform=found["platform"].map(platform_label))[
                ["platform", "created_at", "username", "text", "url"]]
            r.table(shown, f"recherche-{terr.slug}", "search", column_config={
                "created_at": st.column_config.DatetimeColumn(t("col.created"),
                                                              format="DD/MM/YY HH:mm"),
                "username": t("col.author"), "platform": t("col.platform"),
                "text": st.column_config.TextColumn(t("col.text"), width="large"),
                "url": st.column_config.LinkColumn(t("col.link"), display_text=t("open.post")),
            })
