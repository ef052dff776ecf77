"""The baromètre as content: territories ranked per indicator, with their uncertainty.

One builder serves the dashboard page (``views/barometre.py``), its PDF/PNG
(:mod:`territoires.barometre_render`) and the shared links for elected officials, as
:mod:`territoires.report` does for the weekly review. It takes the rows of
:func:`warehouse.barometre.barometre_rows` and the weeks of :func:`warehouse.barometre.weekly`
(public figures only: never the expected-answer family, never a follower count) and makes,
in the current language:

- the ranking for one indicator: the territories that can be compared, best first; those
  resting on fewer than :data:`model.compare.MIN_INTERPELLATIONS` interpellations shown
  after them, unranked ("trop peu pour comparer"), and those without a value last;
- the uncertainty in words: for a rate, the 95 % Wilson interval drawn as error bars, and
  a sentence for every pair of neighbouring ranks whose intervals overlap ("l'écart n'est
  pas significatif"), and for the highlighted territory (the viewer's own);
- the median of each territory's population stratum as the reference mark;
- the small multiples: each territory's weeks, incomplete weeks dotted with open markers
  (docs/dashboard.md, "Périodes incomplètes").

Territory names are the only text that is not ours: bounded to one line
(:func:`territoires.safe_text.display_name`) and HTML-escaped inside the figures (Plotly reads
a few tags in its labels).
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from model import Territory
from model.compare import MIN_INTERPELLATIONS, overlaps
from territoires import periods
from territoires.periods import PARTIAL_GREY as PERIOD_GREY
from territoires.report import BLUE, INK, OCHRE, style
from territoires.safe_text import display_name
from territoires.text.i18n import fmt_date, fmt_int, fmt_minutes, fmt_num, fmt_pct, lang, t
from warehouse.barometre import barometre_rows, strate_medians, weekly
from warehouse.metrics_base import Con

NAME_CHARS = 60  # a territory's name on the page, in the figures and the files
HIGHLIGHT = "#e1000f"  # the viewer's own territory
FILL, HIGHLIGHT_FILL = "#b9bff0", "#f7b3b7"  # light bars: the interval and median read on them
MAX_PAIRS = 8  # overlap sentences listed before "and N more"
MAX_NAMES = 6  # names in the highlighted territory's overlap sentence
FACET_COLS = 5


@dataclass(frozen=True)
class Indicator:
    key: str  # the row key (warehouse/barometre.py)
    kind: str  # rate | minutes | per10k | per_fte
    better: int  # +1 higher is better, -1 lower is better, 0 neither (a ranking by size)
    weekly: str | None  # the weekly figure of the small multiples (None: the response rate)
    rests_on_interpellations: bool = False  # "too few to compare" under 30 interpellations
    ci: tuple[str, str] | None = None  # the row keys of its 95 % interval


INDICATORS = (
    Indicator("response_rate", "rate", +1, "response_rate", True,
              ("response_rate_ci_low", "response_rate_ci_high")),
    Indicator("median_service_response_minutes", "minutes", -1, None, True),
    Indicator("median_response_minutes", "minutes", -1, None, True),
    Indicator("interpellations_per_10k", "per10k", 0, "interpellations"),
    Indicator("relays_per_10k", "per10k", +1, "relays"),
    Indicator("local_relays_per_10k", "per10k", +1, "local_relays"),
    Indicator("local_tweetos_per_10k", "per10k", +1, None),
    Indicator("interpellations_per_fte_week", "per_fte", 0, "interpellations"),
)
BY_KEY = {i.key: i for i in INDICATORS}
DEFAULT_INDICATOR = "response_rate"


@dataclass
class Entry:
    """One territory in the ranking of one indicator."""

    slug: str
    name: str  # one bounded line (plain text)
    value: float | None
    interval: tuple[float, float] | None
    interpellations: int
    population: int | None
    strate: str | None
    strate_median: float | None
    too_few: bool  # the indicator rests on fewer than MIN_INTERPELLATIONS interpellations
    highlighted: bool
    rank: int | None = None


@dataclass
class BarometreDoc:
    title: str
    subtitle: str
    asof_line: str
    indicator: Indicator
    label: str  # the indicator's name
    entries: list[Entry]
    you: str | None  # the highlighted territory's sentence
    sentences: list[str]  # the uncertainty, in words
    notes: list[str]  # too few to compare, how to read
    table: pd.DataFrame  # formatted, for the page and the files
    data: pd.DataFrame  # numbers, for the CSV
    figures: list[tuple[str, go.Figure]]  # (title, figure)
    stem: str


def load(con: Con, territories: Sequence[Territory], since: date, until: date,
         as_of: datetime) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The rows and the weeks of ``[since, until)`` (outside the dashboard's cache)."""
    return (barometre_rows(con, territories, since, until, as_of),
            weekly(con, territories, since, until, as_of))


def label(key: str) -> str:
    return t(f"barometre.ind.{key}")


def strate_label(code: str | None) -> str:
    return t(f"barometre.strate.{code}") if code else t("barometre.strate.none")


def fmt_value(ind: Indicator, v: float | None) -> str:
    if v is None:
        return t("na")
    if ind.kind == "rate":
        return fmt_pct(v)
    if ind.kind == "minutes":
        return fmt_minutes(v)
    return fmt_num(v, 1)


def fmt_interval(iv: tuple[float, float] | None) -> str:
    return "" if iv is None else f"{fmt_pct(iv[0])} – {fmt_pct(iv[1])}"


def _name(row: dict[str, Any]) -> str:
    return display_name(row.get("name") or row["territory"], NAME_CHARS)


def ranking(rows: Sequence[dict[str, Any]], ind: Indicator,
            medians: dict[str, dict[str, float | None]], highlight: str | None) -> list[Entry]:
    """The comparable territories best first (ranked 1…n), then those with too few
    interpellations (unranked), then those without a value; ties by name."""
    entries = []
    for row in rows:
        v = row.get(ind.key)
        lo, hi = (row.get(ind.ci[0]), row.get(ind.ci[1])) if ind.ci else (None, None)
        code = row.get("strate")
        entries.append(Entry(
            slug=row["territory"], name=_name(row), value=None if v is None else float(v),
            interval=(float(lo), float(hi)) if lo is not None and hi is not None else None,
            interpellations=int(row.get("interpellations") or 0),
            population=row.get("population"), strate=code,
            strate_median=medians.get(code, {}).get(ind.key) if code else None,
            too_few=ind.rests_on_interpellations and bool(row.get("too_few_to_compare")),
            highlighted=row["territory"] == highlight,
        ))
    sign = -1 if ind.better < 0 else 1

    def order(e: Entry) -> tuple[float, str]:
        return (-sign * (e.value or 0.0), e.name.casefold())

    ranked = sorted((e for e in entries if e.value is not None and not e.too_few), key=order)
    for n, e in enumerate(ranked, 1):
        e.rank = n
    few = sorted((e for e in entries if e.value is not None and e.too_few), key=order)
    missing = sorted((e for e in entries if e.value is None), key=lambda e: e.name.casefold())
    return ranked + few + missing


def _names(names: list[str]) -> str:
    """``A, B et C`` (at most :data:`MAX_NAMES`, then "et N autres")."""
    if len(names) > MAX_NAMES:
        names = [*names[:MAX_NAMES], t("barometre.others", n=fmt_int(len(names) - MAX_NAMES))]
    if len(names) == 1:
        return names[0]
    return t("barometre.and", a=", ".join(names[:-1]), b=names[-1])


def of(name: str) -> str:
    """``name`` after "of": "de Villeneuve", "d'Aurelle" in French."""
    if lang() != "fr":
        return t("barometre.of", name=name)
    vowel = name[:1].casefold() in "aeiouyhàâäéèêëîïôöùûü"
    return f"d'{name}" if vowel else f"de {name}"


def overlap_sentences(entries: list[Entry], ind: Indicator) -> list[str]:
    """Neighbouring ranks whose intervals overlap (the gap may be chance), or that none do;
    the highlighted territory's pairs are said by :func:`you_sentences`."""
    if ind.ci is None:
        return [t("barometre.no_interval")]
    ranked = [e for e in entries if e.rank is not None]
    if len(ranked) < 2:
        return []
    pairs = [(a, b) for a, b in zip(ranked, ranked[1:], strict=False)
             if overlaps(a.interval, b.interval)]
    if not pairs:
        return [t("barometre.overlap.none")]
    if any(e.highlighted for e in ranked):
        pairs = [(a, b) for a, b in pairs if not (a.highlighted or b.highlighted)]
        if not pairs:
            return []
    out = [t("barometre.overlap", of_a=of(a.name), b=b.name) for a, b in pairs[:MAX_PAIRS]]
    if len(pairs) > MAX_PAIRS:
        out.append(t("barometre.overlap.more", n=fmt_int(len(pairs) - MAX_PAIRS)))
    return out


def rank_text(e: Entry, ranked: int) -> str:
    if e.value is None:
        return t("barometre.no_value")
    if e.rank is None:
        return t("barometre.unranked")
    if e.rank == 1:
        return t("barometre.rank.first", n=fmt_int(ranked))
    return t("barometre.rank", rank=fmt_int(e.rank), n=fmt_int(ranked))


def you_sentences(entries: list[Entry], ind: Indicator) -> tuple[str | None, list[str]]:
    """The highlighted territory's place, value and stratum median; and, for a rate, the
    territories whose intervals overlap its own."""
    me = next((e for e in entries if e.highlighted), None)
    if me is None:
        return None, []
    ranked = sum(1 for e in entries if e.rank is not None)
    you = t("barometre.you", name=me.name, value=fmt_value(ind, me.value),
            rank=rank_text(me, ranked), strate=strate_label(me.strate),
            median=fmt_value(ind, me.strate_median))
    if ind.ci is None or me.rank is None or me.interval is None:
        return you, []
    others = [e.name for e in entries if e.rank is not None and e is not me
              and overlaps(me.interval, e.interval)]
    if not others:
        return you, [t("barometre.you.apart", of_name=of(me.name))]
    return you, [t("barometre.you.overlap", of_name=of(me.name), of_others=of(_names(others)))]


# -- figures ---------------------------------------------------------------------------------
def _plot_text(name: str) -> str:
    """A name as Plotly label text: its tags and entities inert."""
    return html.escape(name, quote=False)


def _labels(entries: list[Entry]) -> list[str]:
    """Unique axis labels, rank first ("3. Name"), the highlighted one bold."""
    seen: dict[str, int] = {}
    out = []
    for e in entries:
        base = f"{e.rank}. {e.name}" if e.rank is not None else f"– {e.name}"
        seen[base] = seen.get(base, 0) + 1
        text = _plot_text(base if seen[base] == 1 else f"{base} ({e.slug})")
        out.append(f"<b>{text}</b>" if e.highlighted else text)
    return out


def _axis(ind: Indicator, v: float | None) -> float | None:
    """A value on the figure's axis (times in hours)."""
    if v is None:
        return None
    return v / 60 if ind.kind == "minutes" else v


def _value_axis(fig: go.Figure, ind: Indicator, x: bool = True) -> None:
    upd = fig.update_xaxes if x else fig.update_yaxes
    if ind.kind == "rate":
        upd(tickformat=".0%", rangemode="tozero")
    elif ind.kind == "minutes":
        upd(ticksuffix=" h", rangemode="tozero")
    else:
        upd(rangemode="tozero")


def ranking_figure(entries: list[Entry], ind: Indicator, strate: str | None,
                   font: int = 14) -> go.Figure:
    """Horizontal bars, rank 1 on top; the rate's interval as error bars, the stratum's
    median as a mark on each row (one line when a stratum is chosen), too few to compare
    lighter and hatched, the highlighted territory in red."""
    ys = _labels(entries)
    xs = [_axis(ind, e.value) for e in entries]
    hover = [f"{fmt_value(ind, e.value)}"
             + (f" [{fmt_interval(e.interval)}]" if e.interval else "") for e in entries]
    bar: dict[str, Any] = {}
    if ind.ci is not None:
        bar["error_x"] = {
            "type": "data", "symmetric": False, "color": INK, "thickness": 1.6, "width": 5,
            "array": [e.interval[1] - e.value if e.interval and e.value is not None else None
                      for e in entries],
            "arrayminus": [e.value - e.interval[0] if e.interval and e.value is not None
                           else None for e in entries]}
    fig = go.Figure(go.Bar(
        y=ys, x=xs, orientation="h", name=label(ind.key), showlegend=False,
        marker={"color": [HIGHLIGHT_FILL if e.highlighted else FILL for e in entries],
                "line": {"color": [HIGHLIGHT if e.highlighted else BLUE for e in entries],
                         "width": [3 if e.highlighted else 1.5 for e in entries]}},
        customdata=hover, hovertemplate="%{y} : %{customdata}<extra></extra>", **bar))
    periods.mark_bars(fig, [e.too_few for e in entries],
                      t("barometre.fig.too_few", n=MIN_INTERPELLATIONS))
    medians = [e.strate_median for e in entries]
    if strate is not None and any(m is not None for m in medians):
        m = next(m for m in medians if m is not None)
        fig.add_vline(x=_axis(ind, m), line={"color": OCHRE, "dash": "dash", "width": 2.5},
                      annotation_text=t("barometre.fig.median.one", value=fmt_value(ind, m)),
                      annotation_position="top right",
                      annotation_font={"size": font, "color": OCHRE})
    elif any(m is not None for m in medians):
        fig.add_trace(go.Scatter(
            y=ys, x=[_axis(ind, m) for m in medians], mode="markers",
            name=t("barometre.fig.median"), hoverinfo="skip",
            marker={"symbol": "line-ns-open", "size": font * 1.6, "color": OCHRE,
                    "line": {"width": 3.5, "color": OCHRE}}))
    fig = style(fig, font, max(240, int(len(entries) * font * 2.3) + 110))
    fig.update_layout(hovermode="closest", bargap=0.35, separators=_separators())
    fig.update_yaxes(autorange="reversed", type="category", rangemode="normal",
                     showgrid=False, zeroline=False)
    fig.update_xaxes(showgrid=True, gridcolor="#d8d8d8")
    _value_axis(fig, ind)
    if ind.kind == "rate":
        fig.update_xaxes(range=[0, 1.02])
    return fig


def _separators() -> str:
    return ",\u202f" if lang() == "fr" else ".,"


def _weekly_values(ind: Indicator, rows: dict[str, dict[str, Any]], week: dict[str, Any]
                   ) -> float | None:
    key = ind.weekly or "response_rate"
    v = week.get(key)
    if v is None:
        return None
    row = rows.get(week["territory"], {})
    if ind.kind == "per10k" and ind.weekly:
        pop = row.get("population")
        return v * 10000 / pop if pop else None
    if ind.kind == "per_fte":
        fte = row.get("cm_fte")
        return v / fte if fte else None
    return float(v)


def weekly_title(ind: Indicator) -> str:
    if ind.weekly is None:
        return t("barometre.fig.weeks.fallback", indicator=label("response_rate"))
    return t("barometre.fig.weeks", indicator=t(f"barometre.weekly.{ind.key}"))


def weekly_figure(entries: list[Entry], weeks: Sequence[dict[str, Any]],
                  rows: Sequence[dict[str, Any]], ind: Indicator, font: int = 13) -> go.Figure:
    """Small multiples, one panel per territory in ranking order, on shared axes; an
    incomplete week is an open marker off the line; the highlighted territory in red.

    Built as one figure from plain dicts (``make_subplots`` and per-trace updates cost
    about a second for thirty panels)."""
    n = max(1, len(entries))
    cols = min(n, FACET_COLS)
    nrows = math.ceil(n / cols)
    gap_x, gap_y = 0.03, min(0.12, 0.55 / nrows)
    w, h = (1 - gap_x * (cols - 1)) / cols, (1 - gap_y * (nrows - 1)) / nrows
    by_row = {r["territory"]: r for r in rows}
    by_slug: dict[str, list[dict[str, Any]]] = {}
    for wk in weeks:
        by_slug.setdefault(wk["territory"], []).append(wk)
    mondays = sorted({wk["week"] for wk in weeks})
    ticks = mondays[::max(1, math.ceil(len(mondays) / 4))]
    partial = t("chart.partial.week")
    rate = ind.weekly is None or ind.kind == "rate"
    tip = "%{x|%d/%m} : %{y:.0%}" if rate else "%{x|%d/%m} : %{y:.1f}"
    small = {"size": max(10, font - 2), "color": INK}
    traces: list[dict[str, Any]] = []
    layout: dict[str, Any] = {}
    notes = []
    dotted = False
    for k, e in enumerate(entries):
        r, c = divmod(k, cols)
        suffix = "" if k == 0 else str(k + 1)
        x0, y1 = c * (w + gap_x), 1 - r * (h + gap_y)
        bottom = k + cols >= len(entries)  # no panel under it: its dates are shown
        layout[f"xaxis{suffix}"] = {
            "domain": [max(0.0, x0), min(1.0, x0 + w)], "anchor": f"y{suffix}", "type": "date",
            "tickformat": "%d/%m", "tickvals": ticks, "showticklabels": bottom,
            "tickfont": small, "linecolor": INK, "showgrid": False,
            **({"matches": "x"} if k else {})}
        layout[f"yaxis{suffix}"] = {
            "domain": [max(0.0, y1 - h), min(1.0, y1)], "anchor": f"x{suffix}",
            "showticklabels": c == 0,
            "tickfont": small, "gridcolor": "#d8d8d8", "rangemode": "tozero", "nticks": 4,
            **({"tickformat": ".0%", "range": [0, 1.05]} if rate else {}),
            **({"matches": "y"} if k else {})}
        name = _plot_text(e.name)
        notes.append({"text": f"<b>{name}</b>" if e.highlighted else name, "x": x0 + w / 2,
                      "y": y1, "xref": "paper", "yref": "paper", "xanchor": "center",
                      "yanchor": "bottom", "showarrow": False,
                      "font": {"size": font, "color": HIGHLIGHT if e.highlighted else INK}})
        mine = sorted(by_slug.get(e.slug, []), key=lambda wk: wk["week"])
        xs: list[Any] = []
        ys: list[Any] = []
        symbols: list[str] = []
        for wk in mine:
            v = _weekly_values(ind, by_row, wk)
            if wk["complete"]:
                xs.append(wk["week"])
                ys.append(v)
                symbols.append("circle")
            else:  # apart from the line: a gap on each side, an open marker
                dotted = dotted or v is not None
                xs += [None, wk["week"], None]
                ys += [None, v, None]
                symbols += ["circle", "circle-open", "circle"]
        color = HIGHLIGHT if e.highlighted else BLUE
        traces.append({
            "type": "scatter", "x": xs, "y": ys, "xaxis": f"x{suffix}", "yaxis": f"y{suffix}",
            "mode": "lines+markers", "showlegend": False, "connectgaps": False,
            "line": {"color": color, "width": 3.2 if e.highlighted else 2.2},
            "marker": {"color": color, "size": 7, "symbol": symbols,
                       "line": {"color": color, "width": 2}},
            "hovertemplate": tip + "<extra></extra>"})
    if dotted:
        traces.append({"type": "scatter", "x": [None], "y": [None], "mode": "markers",
                       "name": partial, "hoverinfo": "skip",
                       "marker": {"color": PERIOD_GREY, "size": 9, "symbol": "circle-open",
                                  "line": {"color": PERIOD_GREY, "width": 2}}})
    layout.update(
        height=80 + nrows * max(150, font * 11), annotations=notes, hovermode="closest",
        separators=_separators(), showlegend=dotted, paper_bgcolor="white",
        plot_bgcolor="white", font={"size": font, "color": INK,
                                    "family": "DejaVu Sans, Arial, sans-serif"},
        margin={"l": 16, "r": 16, "t": int(font * 3.4) + 12, "b": 16},
        legend={"orientation": "h", "yref": "container", "yanchor": "top", "y": 1, "x": 0,
                "font": {"size": font}})
    return go.Figure(data=traces, layout=layout)


# -- tables ----------------------------------------------------------------------------------
def tables(entries: list[Entry], ind: Indicator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ranking as shown (formatted in the current language) and as numbers (CSV)."""
    yes = t("barometre.yes")
    shown = pd.DataFrame({
        t("barometre.col.rank"): [str(e.rank) if e.rank else "–" for e in entries],
        t("barometre.col.territory"): [e.name for e in entries],
        t("barometre.col.strate"): [strate_label(e.strate) for e in entries],
        t("barometre.col.population"): [fmt_int(e.population) for e in entries],
        t("barometre.col.interpellations"): [fmt_int(e.interpellations) for e in entries],
        label(ind.key): [fmt_value(ind, e.value) for e in entries],
        **({t("barometre.col.interval"): [fmt_interval(e.interval) for e in entries]}
           if ind.ci else {}),
        t("barometre.col.median"): [fmt_value(ind, e.strate_median) for e in entries],
        t("barometre.col.too_few"): [yes if e.too_few else "" for e in entries],
    })
    numbers = pd.DataFrame({
        "rank": [e.rank for e in entries], "territory": [e.slug for e in entries],
        "name": [e.name for e in entries], "strate": [e.strate for e in entries],
        "population": [e.population for e in entries],
        "interpellations": [e.interpellations for e in entries],
        ind.key: [e.value for e in entries],
        **({"ci_low": [e.interval[0] if e.interval else None for e in entries],
            "ci_high": [e.interval[1] if e.interval else None for e in entries]}
           if ind.ci else {}),
        "strate_median": [e.strate_median for e in entries],
        "too_few_to_compare": [e.too_few for e in entries],
    })
    return shown, numbers


# -- the document ----------------------------------------------------------------------------
def barometre_doc(rows: Sequence[dict[str, Any]], weeks: Sequence[dict[str, Any]],
                  indicator: str, strate: str | None, highlight: str | None,
                  since: date, until: date, asof_text: str, font: int = 14) -> BarometreDoc:
    """Everything the page and the files show for ``[since, until)``, ``indicator``
    (a key of :data:`BY_KEY`), the rows of stratum ``strate`` (None: all), ``highlight``
    (a territory slug, the viewer's) marked."""
    ind = BY_KEY.get(indicator, BY_KEY[DEFAULT_INDICATOR])
    medians = strate_medians(list(rows), [ind.key])  # over every territory of the stratum
    shown = [r for r in rows if strate is None or r.get("strate") == strate]
    entries = ranking(shown, ind, medians, highlight)
    you, about_you = you_sentences(entries, ind)
    notes = []
    few = [e.name for e in entries if e.too_few and e.value is not None]
    if few:
        notes.append(t("barometre.too_few", names=_names(few), n=MIN_INTERPELLATIONS))
    notes.append(t(f"barometre.order.{'best' if ind.better else 'size'}"))
    table, data = tables(entries, ind)
    figs = [(label(ind.key), ranking_figure(entries, ind, strate, font))]
    if entries:
        figs.append((weekly_title(ind), weekly_figure(entries, weeks, shown, ind,
                                                      max(11, font - 1))))
    last = date.fromordinal(until.toordinal() - 1)
    return BarometreDoc(
        title=t("barometre.title"),
        subtitle=t("barometre.subtitle", indicator=label(ind.key), since=fmt_date(since),
                   until=fmt_date(last),
                   strate=strate_label(strate) if strate else t("barometre.strate.all")),
        asof_line=t("barometre.asof", asof=asof_text), indicator=ind, label=label(ind.key),
        entries=entries, you=you, sentences=[*about_you, *overlap_sentences(entries, ind)],
        notes=notes, table=table, data=data, figures=figs,
        stem=f"barometre-{ind.key}-{since.isoformat()}-{last.isoformat()}",
    )
