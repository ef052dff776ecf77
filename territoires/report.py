"""The weekly review ("Revue de la semaine"): its data, built once, and its content.

One builder serves the dashboard page (``views/revue.py``), the ``territoires report``
command (PDF/PNG, :mod:`territoires.report_render`) and shared links:

1. :func:`build_review` reads the warehouse: the headline metrics of the period and of the
   four periods before it (:func:`warehouse.metrics.headline`, so every number is the metric
   function's), interpellations per day, hashtag activity, the most relayed city posts, the
   largest conversation, the slowest answer, the new local tweetos, and the profiles of the
   accounts shown (for the privacy rules of shared views).
2. :func:`review_doc` turns it into formatted content in the current language: headline
   cards with their change against the previous period and against the average of the four
   previous periods, beside them the expected-answer family after the team's triage
   (:func:`expected`: counts and rate, the public cards never change with triage), two or
   three Plotly figures with large type, and the notable posts,
   names and texts passed through a :class:`territoires.privacy.Pseudonymizer`.

The "4-week average" is the mean of the four previous weeks' own figures (a week without a
value, e.g. no answer hence no median, is left out). A period is an ISO week in the review;
a shared link may carry any period, compared then with the periods of the same length
before it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from model import Territory
from territoires import deltas, periods
from territoires.privacy import Pseudonymizer
from territoires.safe_text import display_name, display_text
from territoires.text.i18n import (
    fmt_date,
    fmt_datetime,
    fmt_int,
    fmt_minutes,
    fmt_pct,
    fmt_short_date,
    lang,
    t,
)
from territoires.text.review import tr
from warehouse import metrics, page_relays, page_responsiveness, page_trends
from warehouse.activity import top_conversations
from warehouse.metrics_base import Con
from warehouse.post_lookup import posts_at
from warehouse.profiles import account_profiles

# The headline numbers, in reading order, with their kind and which way is better.
CARDS = (
    ("interpellations", "count", 0),
    ("response_rate", "rate", +1),
    ("median_service_response_minutes", "minutes", -1),
    ("relays", "count", +1),
    ("local_tweetos", "count", +1),
    ("hashtag_posts", "count", 0),
)
# The expected-answer family (after the team's triage at as_of), shown beside the cards,
# never instead of them (docs/metrics.md): counts and the rate only, no note, no name.
EXPECTED = (
    ("expecting_answer", "count"),
    ("answered_expecting", "count"),
    ("response_rate_expecting", "rate"),
    ("pending_expecting", "count"),
    ("missed_expecting", "count"),
)
HISTORY = 4  # previous periods: the first is "the previous week", all four make the average
TOP_POSTS = 3
NEW_TWEETOS = 10
FONT_FLOOR = 22  # px: axis and labels on a projector (docs/design.md §1, issue 6)
INK, BLUE, RED, OCHRE, GREY = "#111111", "#000091", "#c9191e", "#8a5a00", "#5c5c5c"
REPORT_NAME_CHARS = 80  # a name (or alias) line in the review, the PDF and the PNG
REPORT_TEXT_CHARS, REPORT_TEXT_LINES = 600, 12  # a post's text there
_WEEK = re.compile(r"^\s*(\d{4})-?W(\d{1,2})\s*$", re.IGNORECASE)


@dataclass(frozen=True, order=True)
class IsoWeek:
    year: int
    week: int

    @classmethod
    def parse(cls, text: str) -> IsoWeek:
        """``2026-W47`` (or ``2026W47``); ``ValueError`` with a plain message otherwise."""
        m = _WEEK.match(text or "")
        if not m:
            raise ValueError(f"expected an ISO week like 2026-W47, got {text!r}")
        try:
            date.fromisocalendar(int(m[1]), int(m[2]), 1)
        except ValueError:
            raise ValueError(f"{text!r}: year {m[1]} has no week {int(m[2])}") from None
        return cls(int(m[1]), int(m[2]))

    @classmethod
    def containing(cls, d: date) -> IsoWeek:
        y, w, _ = d.isocalendar()
        return cls(y, w)

    @classmethod
    def last_complete(cls, today: date) -> IsoWeek:
        """The last week that ended before ``today`` (local date)."""
        return cls.containing(today - timedelta(days=7))

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.week, 1)

    @property
    def until(self) -> date:
        """The next Monday (the window is ``[monday, until)``)."""
        return self.monday + timedelta(days=7)

    def shift(self, weeks: int) -> IsoWeek:
        return IsoWeek.containing(self.monday + timedelta(weeks=weeks))

    def __str__(self) -> str:
        return f"{self.year}-W{self.week:02d}"


@dataclass
class Review:
    """The data of one review; no formatting, no language."""

    territory: Territory
    since: date
    until: date  # excluded
    as_of: datetime  # naive UTC
    current: dict[str, Any]
    history: list[dict[str, Any]]  # the previous periods, most recent first
    daily: pd.DataFrame  # local_date, answered, pending, missed
    hashtags: pd.DataFrame  # local_date, hashtag, posts, contributors
    top_relayed: pd.DataFrame
    conversation: dict[str, Any] | None
    slowest: dict[str, Any] | None
    new_tweetos: pd.DataFrame
    profiles: pd.DataFrame

    @property
    def days(self) -> int:
        return (self.until - self.since).days

    @property
    def week(self) -> IsoWeek | None:
        """The ISO week, if the period is exactly one."""
        if self.days == 7 and self.since.weekday() == 0:
            return IsoWeek.containing(self.since)
        return None

    @property
    def today(self) -> date:
        """The as-of instant's local date: that day is still incomplete."""
        return _local(self, self.as_of).date()

    @property
    def complete(self) -> bool:
        """Whether the period had ended at the as-of instant: a period still in progress is
        never compared with whole ones (docs/dashboard.md, "Périodes incomplètes")."""
        return periods.period_complete(self.until, self.today)

    def value(self, key: str) -> Any:
        return self.current[key]

    def previous(self, key: str) -> Any:
        return self.history[0][key] if self.history and self.complete else None

    def average(self, key: str) -> float | None:
        """Mean of the previous periods' figures (those defined); none for a period still in
        progress (see :attr:`complete`)."""
        if not self.complete:
            return None
        vals = [h[key] for h in self.history if h[key] is not None]
        return sum(vals) / len(vals) if vals else None


def review_as_of(territory: Territory, until: date, data_as_of: datetime) -> datetime:
    """The instant a review is judged at: the data's freshness, but at most 7 days after the
    period (its figures are final by then; docs/metrics.md, "The period and the as-of instant")."""
    return metrics.default_as_of(territory, until, data_as_of)


def _row(df: pd.DataFrame) -> dict[str, Any] | None:
    return None if not len(df) else {k: (None if _isna(v) else v)
                                     for k, v in df.iloc[0].to_dict().items()}


def _isna(v: Any) -> bool:
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _top_relayed(top: pd.DataFrame) -> pd.DataFrame:
    """The city posts most reposted or quoted in the window: ``platform, post_id, relays,
    local_relays`` and the post's author, time, text, url."""
    cols = ["platform", "post_id", "relays", "local_relays", "author_id", "username",
            "created_at", "text", "url"]
    return top[cols] if len(top) else pd.DataFrame(columns=cols)


def build_review(con: Con, territory: Territory, since: date, until: date,
                 as_of: datetime) -> Review:
    """Everything the review shows for ``[since, until)`` judged at ``as_of``."""
    n = (until - since).days
    if n < 1:
        raise ValueError(f"empty period: {since} to {until}")
    bounds = [(since - timedelta(days=n * k), since - timedelta(days=n * (k - 1)))
              for k in range(HISTORY + 1)]
    current, *history = metrics.headlines(con, territory, bounds, as_of)
    # their counts from the daily rollups: the comparisons survive retention
    history = page_trends.past_figures(con, territory, bounds[1:], history)
    # each part one statement over the facts; only the listed rows carry texts
    slowest = _row(page_responsiveness.slowest_answers(con, territory, since, until, as_of,
                                                       limit=1))
    conv = _row(top_conversations(con, territory, since, until, limit=1)["size"])
    if conv is not None:
        # the root's author, looked up where the root started the conversation
        root = posts_at(con, pd.DataFrame({"platform": [conv["platform"]],
                                           "id": [conv["conversation_id"]],
                                           "at": [conv["started_at"]]}))
        conv["root_author_id"] = root["author_id"].iloc[0] if len(root) else None
    # the most relayed posts and the local tweetos from one computation of the relays
    rel = page_relays.overview(con, territory, since, until, top=TOP_POSTS, page=False)
    top, tweetos = _top_relayed(rel["top"]), rel["tweetos"]
    start = pd.Timestamp(metrics.window_utc(territory, since, until)[0])
    new = tweetos[pd.to_datetime(tweetos["first_seen"]) >= start].head(NEW_TWEETOS)
    keys: set[tuple[str, str]] = set()
    if slowest:
        keys.add((slowest["platform"], str(slowest["author_id"])))
    if conv and conv.get("root_author_id"):
        keys.add((conv["platform"], str(conv["root_author_id"])))
    keys.update((r.platform, str(r.author_id)) for r in new.itertuples())
    return Review(
        territory=territory, since=since, until=until, as_of=as_of,
        current=current, history=history,
        daily=page_responsiveness.interpellations_by_day(con, territory, since, until, as_of),
        hashtags=metrics.hashtag_activity(con, territory, since, until),
        top_relayed=top, conversation=conv, slowest=slowest, new_tweetos=new,
        profiles=account_profiles(con, territory, keys),
    )


# -- content ---------------------------------------------------------------------------------
@dataclass
class Card:
    key: str
    label: str
    value: str
    vs_prev: str
    vs_avg: str
    tone_prev: str  # good | bad | neutral
    tone_avg: str


@dataclass
class Figure:
    """One figure of the expected-answer family: its one name (as on Réactivité) and value."""

    key: str
    label: str
    value: str


@dataclass
class Expected:
    """The expected-answer family's block: a title, the sentence saying what it is, and its
    figures (our own words and numbers only)."""

    title: str
    caption: str
    figures: list[Figure]


@dataclass
class Item:
    head: str  # who (a handle, a city account, an alias)
    meta: str  # what and when
    text: str | None  # the post's text (user content: plain text only), None when hidden
    url: str | None = None


@dataclass
class Section:
    key: str
    title: str
    items: list[Item]
    empty: str


@dataclass
class ReviewDoc:
    title: str
    subtitle: str
    asof_line: str
    cards: list[Card]
    figures: list[tuple[str, go.Figure]]  # (title, figure): titles are drawn outside
    sections: list[Section]
    privacy_line: str | None
    stem: str  # file name without extension
    meta: dict[str, Any] = field(default_factory=dict)
    expected: Expected | None = None  # beside the cards (after triage)


def _fmt(kind: str, value: Any) -> str:
    if kind == "rate":
        return fmt_pct(value)
    if kind == "minutes":
        return fmt_minutes(value)
    return fmt_int(value)


def _signed_pct(r: float) -> str:
    return ("+" if r >= 0 else deltas.minus()) + fmt_pct(abs(r))


_CHANGES = {"rate": deltas.rate_change, "minutes": deltas.time_change}


def _change(kind: str, now: Any, ref: Any, better: int = 0) -> deltas.Change | None:
    """The change from ``ref`` to ``now`` as the dashboard writes it
    (:mod:`territoires.deltas`): rounded as shown, so its sign is the sign a reader sees."""
    return _CHANGES.get(kind, deltas.count_change)(now, ref, better)


def format_delta(kind: str, now: Any, ref: Any) -> str | None:
    """The change from ``ref`` to ``now`` in words a room reads ("+12 (+5 %)", "+3 pts").
    Counts are whole numbers, an average of counts included."""
    c = _change(kind, now, ref)
    if c is None:
        return None
    if c.sign == 0:
        return tr("same")
    base = round(float(ref))
    if kind in _CHANGES or not base:
        return c.text
    return f"{c.text} ({_signed_pct((round(float(now)) - base) / base)})"


def _tone(better: int, now: Any, ref: Any, delta: str | None, kind: str = "count") -> str:
    """good, bad or neutral, from the change's number as shown (never from its text)."""
    c = _change(kind, now, ref, better)
    if c is None or delta is None:
        return "neutral"
    return {"green": "good", "red": "bad"}.get(c.colour, "neutral")


def cards(review: Review) -> list[Card]:
    per = "week" if review.days == 7 else "period"
    out = []
    for key, kind, better in CARDS:
        now, prev, avg = review.value(key), review.previous(key), review.average(key)
        d_prev, d_avg = format_delta(kind, now, prev), format_delta(kind, now, avg)
        out.append(Card(
            key=key, label=tr(f"k.{key}"), value=_fmt(kind, now),
            vs_prev=tr(f"vs.prev.{per}", d=d_prev or tr("vs.none")),
            vs_avg=tr(f"vs.avg.{per}", d=d_avg or tr("vs.none")),
            tone_prev=_tone(better, now, prev, d_prev, kind),
            tone_avg=_tone(better, now, avg, d_avg, kind),
        ))
    return out


def expected(review: Review) -> Expected:
    """The expected-answer family of the period, with the names Réactivité uses."""
    return Expected(
        title=t("expected.title"), caption=t("expected.caption"),
        figures=[Figure(key=key, label=t(f"m.{key}"), value=_fmt(kind, review.value(key)))
                 for key, kind in EXPECTED],
    )


def style(fig: go.Figure, font: int = 24, height: int = 440, legend_rows: int = 1
          ) -> go.Figure:
    """Large type for a projector: every text of the figure at ``font`` px or more. The
    legend sits in the top margin (``legend_rows`` rows of it); the title is the page's."""
    fig.update_layout(
        font={"size": font, "color": INK, "family": "DejaVu Sans, Arial, sans-serif"},
        height=height, paper_bgcolor="white", plot_bgcolor="white",
        margin={"l": 16, "r": 16, "t": int(legend_rows * font * 1.6) + 12, "b": 16},
        legend={"orientation": "h", "yref": "container", "yanchor": "top", "y": 1, "x": 0,
                "title": None, "font": {"size": font}, "traceorder": "normal"},
        hoverlabel={"font": {"size": font}}, bargap=0.2,
    )
    fig.update_xaxes(tickfont={"size": font, "color": INK}, title=None, showgrid=False,
                     linecolor=INK, automargin=True)
    fig.update_yaxes(tickfont={"size": font, "color": INK}, title=None, gridcolor="#c8c8c8",
                     rangemode="tozero", zeroline=True, zerolinecolor=INK, automargin=True)
    return fig


def _day_labels(days: list[date], short: bool) -> list[object]:
    """Up to a week: the weekday over the day of the month, upright ("lun." over "16"; the
    month is in the subtitle), narrow enough for seven on a phone. Longer: the dates
    themselves, on a date axis that thins its ticks to the width (:func:`_day_axis`)."""
    if short:
        return [f"{fmt_short_date(d).split(' ')[0]}<br>{d.day}" for d in days]
    return [d.isoformat() for d in days]


def _day_axis(fig: go.Figure, short: bool) -> go.Figure:
    """Day ticks never turned on their side: a phone gets fewer ticks, not rotated ones."""
    if short:
        fig.update_xaxes(type="category", tickangle=0)
    else:
        fig.update_xaxes(type="date", tickformat="%d/%m", tickangle=0, dtick=None)
    return fig


def _daily(review: Review, days: list[date], values: list[Any]) -> list[Any]:
    """A day's value, or None for a day after the as-of day (nothing collected yet: no bar,
    rather than a zero)."""
    return [None if periods.day_state(d, review.today) == periods.FUTURE else v
            for d, v in zip(days, values, strict=True)]


def figures(review: Review, font: int = 24, height: int = 440, legend_rows: int = 1
            ) -> list[tuple[str, go.Figure]]:
    """Interpellations per day, the last five periods, hashtag posts per day.

    The as-of day is drawn lighter and hatched, the days after it are left empty, and a
    period still in progress is marked in the five-period chart (docs/dashboard.md,
    "Périodes incomplètes")."""
    week = review.days <= 7
    days = list(review.daily["local_date"])
    x = _day_labels(days, week)
    partial = [periods.day_state(d, review.today) == periods.PARTIAL for d in days]
    daily = go.Figure()
    for status, color in (("answered", BLUE), ("pending", OCHRE), ("missed", RED)):
        daily.add_trace(go.Bar(x=x, y=_daily(review, days, list(review.daily[status])),
                               name=tr(f"fig.daily.{status}"), marker_color=color))
    periods.mark_bars(daily, partial, tr("fig.partial.day"))
    daily.update_layout(barmode="stack")
    daily.update_yaxes(tickformat="d")
    out = [(tr("fig.daily"), _day_axis(style(daily, font, height, legend_rows), week))]

    history = [*reversed(review.history), review.current]
    if review.week is not None:
        prefix = "S" if lang() == "fr" else "W"
        labels = [f"{prefix}{IsoWeek.containing(date.fromisoformat(h['since'])).week}"
                  for h in history]
    else:
        labels = [fmt_short_date(date.fromisoformat(h["since"])) for h in history]
    # horizontal bars: each value label has its own row, so labels never collide, even on
    # a phone's width; the oldest period on top
    trend = go.Figure()
    top = 0
    for key, color in (("interpellations", BLUE), ("relays", RED)):
        vals = [h[key] for h in history]
        top = max([top, *[v or 0 for v in vals]])
        trend.add_trace(go.Bar(y=labels, x=vals, orientation="h", name=tr(f"fig.trend.{key}"),
                               marker_color=color, text=[fmt_int(v) for v in vals],
                               textposition="outside", textfont={"size": font, "color": INK},
                               cliponaxis=False, constraintext="none"))
    periods.mark_bars(trend, [False] * (len(history) - 1) + [not review.complete],
                      tr("fig.partial.week" if review.week else "fig.partial.period"))
    trend.update_layout(barmode="group")
    trend = style(trend, font, height, legend_rows)
    trend.update_yaxes(autorange="reversed", type="category", zeroline=False, rangemode="normal",
                       showgrid=False)
    trend.update_xaxes(tickformat="d", showgrid=True, gridcolor="#c8c8c8", showticklabels=False,
                       range=[0, max(top, 1) * 1.35])  # room for the labels right of the bars
    out.append((tr("fig.trend.week" if review.week else "fig.trend.period"), trend))

    if len(review.territory.hashtags):
        ht = review.hashtags
        tags = go.Figure()
        for n, tag in enumerate(review.territory.hashtags):
            sub = ht[ht["hashtag"] == tag] if len(ht) else ht
            counts = dict(zip(pd.to_datetime(sub["local_date"]).dt.date, sub["posts"],
                              strict=True)) if len(sub) else {}
            tags.add_trace(go.Bar(x=x, y=_daily(review, days,
                                                [int(counts.get(d, 0)) for d in days]),
                                  name=tag, marker_color=(BLUE, RED, OCHRE, GREY)[n % 4]))
        periods.mark_bars(tags, partial, tr("fig.partial.day"))
        tags.update_layout(barmode="group")
        tags.update_yaxes(tickformat="d")
        out.append((tr("fig.hashtags"), _day_axis(style(tags, font, height, legend_rows), week)))
    return out


def _post_url(platform: str, post_id: str) -> str | None:
    """A link to a post whose author we do not name (no handle in it)."""
    if platform == "x":
        return f"https://x.com/i/web/status/{post_id}"
    if platform == "mastodon" and str(post_id).startswith("https://"):
        return str(post_id)
    return None


def _local(review: Review, instant: Any) -> datetime:
    ts = pd.Timestamp(instant).tz_localize("UTC").tz_convert(review.territory.timezone)
    return ts.tz_localize(None).to_pydatetime()


def _bounded(items: list[Item]) -> list[Item]:
    """Names as one bounded line and texts bounded (:mod:`territoires.safe_text`): a 100 kB
    name or text stays one line or a paragraph on the page, in the PDF and the PNG; bidi
    controls and line breaks cannot reorder or break the layout. The warehouse keeps all."""
    return [replace(it, head=display_name(it.head, REPORT_NAME_CHARS),
                    text=None if it.text is None else display_text(
                        it.text, REPORT_TEXT_CHARS, REPORT_TEXT_LINES))
            for it in items]


def sections(review: Review, pseudo: Pseudonymizer) -> list[Section]:
    none = tr("s.none" if review.week else "s.none.period")
    top = [
        Item(head=f"@{p.username}",
             meta=tr("s.top.meta", relays=fmt_int(p.relays), local=fmt_int(p.local_relays),
                     when=fmt_datetime(_local(review, p.created_at))),
             text=pseudo.scrub(p.text or ""), url=p.url)
        for p in review.top_relayed.itertuples()
    ]
    conv = []
    if (c := review.conversation) is not None:
        author = c.get("root_author_id")
        uname = _username(review, c["platform"], author)
        city = tr("s.conv.city" if c["city_took_part"] else "s.conv.nocity")
        conv.append(Item(
            head=pseudo.label(c["platform"], author, uname),
            meta=tr("s.conv.meta", size=fmt_int(c["size"]), people=fmt_int(c["participants"]),
                    when=fmt_datetime(_local(review, c["started_at"])), city=city),
            text=pseudo.text(c["platform"], author, c.get("root_text")),
            url=pseudo.url(c["platform"], author, _post_url(c["platform"], c["conversation_id"]))))
    slow = []
    if (s := review.slowest) is not None:
        slow.append(Item(
            head=pseudo.label(s["platform"], str(s["author_id"]), s["author_username"],
                              s.get("author_name")),
            meta=tr("s.slow.meta", account=s["addressed_handle"],
                    when=fmt_datetime(_local(review, s["created_at"])),
                    total=fmt_minutes(s["response_minutes"]),
                    service=fmt_minutes(s["service_response_minutes"])),
            text=pseudo.text(s["platform"], str(s["author_id"]), s["text"]),
            url=pseudo.url(s["platform"], str(s["author_id"]), s["url"])))
    new = [
        Item(head=pseudo.label(t.platform, str(t.author_id), t.username,
                               None if _isna(t.name) else t.name),
             meta=tr("s.new.meta", relays=fmt_int(t.relays),
                     followers=fmt_int(None if _isna(t.followers_count) else t.followers_count)),
             text=None)
        for t in review.new_tweetos.itertuples()
    ]
    return [Section("top", tr("s.top"), _bounded(top), none),
            Section("conv", tr("s.conv"), _bounded(conv), none),
            Section("slow", tr("s.slow"), _bounded(slow), none),
            Section("new", tr("s.new"), _bounded(new), none)]


def _username(review: Review, platform: str, account_id: Any) -> str | None:
    if account_id is None:
        return None
    p = review.profiles
    hit = p[(p["platform"] == platform) & (p["id"] == str(account_id))]
    return None if not len(hit) or _isna(hit["username"].iloc[0]) else hit["username"].iloc[0]


def headline_lines(review: Review) -> tuple[str, str, str]:
    """Title, period line and as-of line."""
    last = review.until - timedelta(days=1)
    if (w := review.week) is not None:
        title = tr("title")
        sub = tr("week", week=w.week, since=fmt_date(review.since, weekday=True),
                 until=fmt_date(last, weekday=True))
    else:
        title = tr("title.period")
        sub = tr("period", since=fmt_date(review.since), until=fmt_date(last))
    asof = tr("asof", asof=fmt_datetime(_local(review, review.as_of)))
    return f"{title} — {review.territory.name}", sub, asof


def review_doc(review: Review, pseudo: Pseudonymizer, font: int = 24,
               height: int = 440, legend_rows: int = 1) -> ReviewDoc:
    """The review's content in the current language; names and texts as ``pseudo`` allows."""
    title, sub, asof = headline_lines(review)
    privacy = None
    if pseudo.enabled:
        privacy = tr("privacy.line", how=tr(f"privacy.{review.territory.shared_text}"))
    w = review.week
    stem = f"revue-{review.territory.slug}-" + (str(w) if w else
                                               f"{review.since}-{review.until - timedelta(1)}")
    return ReviewDoc(title=title, subtitle=sub, asof_line=asof, cards=cards(review),
                     figures=figures(review, font, height, legend_rows),
                     sections=sections(review, pseudo),
                     privacy_line=privacy, stem=stem,
                     meta={"since": review.since, "until": review.until, "lang": lang()},
                     expected=expected(review))
