"""Tendances: the long view, 24 months per month or per ISO week (``?grain=week``), read from
the daily rollups only (:func:`warehouse.page_trends.trends`), so it is fast at any size and
unchanged when retention purges the posts (docs/dashboard.md, "Tendances").

The sidebar's platform and account apply (an account: the interpellations addressed to it
and the relays of its posts; the posts stay the whole territory's). The current month or
week, and a period starting before the first collected day, are drawn apart as incomplete,
as on the other pages (docs/dashboard.md, "Périodes incomplètes").
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from territoires.text.i18n import fmt_date, fmt_int, fmt_pct, t
from territoires.ui import charts
from territoires.ui import render as r
from territoires.ui.data import q
from territoires.ui.shell import current_view
from territoires.ui.state import View
from warehouse import page_trends

MONTHS = 24
GRAINS = page_trends.GRAINS  # month (the default), week


def window(today: date, months: int = MONTHS) -> tuple[date, date]:
    """``[since, until)``: the first day of the month ``months - 1`` months before the as-of
    day's, to the day after the as-of day (the as-of day itself is partial)."""
    year, month = today.year, today.month - (months - 1)
    while month < 1:
        year, month = year - 1, month + 12
    return date(year, month, 1), today + timedelta(days=1)


def states(df: pd.DataFrame, since: date, today: date) -> list[bool]:
    """Whether each period is incomplete: not ended by the as-of day, starting before the
    window (a week reaching back) or before the territory's first day with data."""
    first = df["data_from"].iloc[0] if len(df) else None
    first = None if first is None or pd.isna(first) else pd.Timestamp(first).date()
    out = []
    for start, end in zip(df["period"], df["period_end"], strict=True):
        start, end = pd.Timestamp(start).date(), pd.Timestamp(end).date()
        out.append(end > today or start < since or (first is not None and start < first))
    return out


def label(period: date, grain: str) -> str:
    """A period's name for people: ``novembre 2026``, or the week's Monday."""
    if grain == "week":
        return t("trends.week.of", date=fmt_date(period))
    return f"{t('calendar.months').split()[period.month - 1]} {period.year}"


def _long(df: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    return df.melt(id_vars=["period"], value_vars=list(columns), var_name="series",
                   value_name="value")


def _last_whole(df: pd.DataFrame, partial: list[bool]) -> pd.Series | None:
    whole = df[[not p for p in partial]]
    return whole.iloc[-1] if len(whole) else None


def render() -> None:
    view: View = current_view()
    db, terr = view.db, view.territory
    r.page_header(view, "trends.title", page_params=("grain",), period=False)
    key = r.url_state("grain", GRAINS[0])
    if st.session_state[key] not in GRAINS:
        st.session_state[key] = GRAINS[0]
    grain = st.radio(t("trends.grain"), GRAINS, key=key, horizontal=True,
                     format_func=lambda g: t(f"trends.grain.{g}"))
    r.mirror_to_url("grain", grain, default=GRAINS[0])
    since, until = window(view.today)
    df = q(page_trends.trends, db, terr, since, until, grain, view.platform, view.account)
    st.caption(t("trends.intro", months=MONTHS))
    if view.account:
        st.caption(r.md_escape(t("trends.account", account=view.account)))
    frozen = df["frozen_before"].iloc[0] if len(df) else None
    if frozen is not None and not pd.isna(frozen):
        st.caption(t("trends.frozen", date=fmt_date(pd.Timestamp(frozen).date())))
    if not len(df) or pd.isna(df["data_from"].iloc[0]):
        st.info(t("trends.empty"))
        return
    partial = states(df, since, view.today)
    marked = {p for p, f in zip(df["period"], partial, strict=True) if f}
    note = t(f"trends.partial.{grain}")
    last = _last_whole(df, partial)
    table = df.assign(period=[label(pd.Timestamp(p).date(), grain) for p in df["period"]],
                      response_rate=df["response_rate"].map(fmt_pct),
                      incomplete=[t("trends.yes") if f else "" for f in partial])
    table = table[["period", "incomplete", *page_trends.COUNTS, "response_rate"]].rename(
        columns={"period": t("trends.col.period"), "incomplete": t("trends.col.incomplete"),
                 "response_rate": t("trends.s.response_rate"),
                 **{c: t(f"trends.s.{c}") for c in page_trends.COUNTS}})
    labels = {c: t(f"trends.s.{c}") for c in (*page_trends.COUNTS, "response_rate")}
    name = f"tendances-{terr.slug}-{grain}"

    def lines(columns: tuple[str, ...]) -> go.Figure:
        fig = charts.lines(_long(df, columns), "period", "value", "series", labels,
                           partial=marked, partial_label=note)
        fig.update_xaxes(tickformat="%m/%Y" if grain == "month" else "%d/%m/%Y")
        return fig

    with r.guard("trends.posts"):
        st.header(t("trends.posts"), anchor=False)
        r.chart(lines(("posts",)),
                t("trends.posts.summary", n=fmt_int(int(df["posts"].sum())),
                  last=fmt_int(None if last is None else int(last["posts"]))),
                table, name, "posts")
    with r.guard("trends.inter"):
        st.header(t("trends.inter"), anchor=False)
        n, a = int(df["interpellations"].sum()), int(df["answered"].sum())
        r.chart(lines(("interpellations", "answered")),
                t("trends.inter.summary", n=fmt_int(n), a=fmt_int(a),
                  rate=fmt_pct(a / n if n else None),
                  last=fmt_pct(None if last is None else last["response_rate"])),
                table, name, "inter")
        st.caption(t("trends.answered.note"))
        names = [label(pd.Timestamp(p).date(), grain) for p in df["period"]]
        rate = pd.DataFrame({"period": names, "rate": df["response_rate"].astype(float)})
        fig = charts.bars_with_target(
            rate, "period", "rate", labels["response_rate"], None, "",
            partial={n for n, f in zip(names, partial, strict=True) if f}, partial_label=note)
        st.plotly_chart(fig, width="stretch", key="chart_trends_rate",
                        config={"displayModeBar": False, "responsive": True})
    with r.guard("trends.relays"):
        st.header(t("trends.relays"), anchor=False)
        r.chart(lines(("relays", "local_relays")),
                t("trends.relays.summary", n=fmt_int(int(df["relays"].sum())),
                  local=fmt_int(int(df["local_relays"].sum()))),
                table, name, "relays")
    r.definitions_link()
