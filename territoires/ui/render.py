"""Drawing helpers shared by the pages: safe text, tables, charts, metrics, share link,
and the error boundary.

Post texts, names and bios are user content: they go through ``st.text``,
``st.dataframe`` cells, or :func:`md_escape` before any Markdown element — never as HTML or
Markdown (a post ``![t](http://…)`` must not make the reader's browser fetch anything).
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterator, Sequence
from typing import Any, Literal
from urllib.parse import urlencode

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from streamlit.runtime.scriptrunner_utils.exceptions import ScriptControlException

from territoires.deltas import Change
from territoires.safe_text import csv_safe, display_name, display_text
from territoires.text.i18n import fmt_date, fmt_datetime, t
from territoires.ui import docs
from territoires.ui.state import View

log = logging.getLogger("territoires.ui")

# Every ASCII punctuation character can be backslash-escaped in CommonMark.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&\"'=^%@/;,?])")
AUTHOR_LIMIT = 120  # characters of a card's author line ("@handle (Name) → @other")
PALETTE = ["#000091", "#e1000f", "#009081", "#c3992a", "#6a6af4", "#a94645", "#417dc4"]


# Streamlit's Markdown (remark-gfm) turns bare ``www.x``, ``http(s)://x`` and ``user@domain``
# into links after the escapes are read, and ``:name:`` into an emoji or an icon: a word
# joiner (U+2060, invisible) after ``www``, after the ``:`` of ``://``, after the ``@`` of an
# address and after a ``:`` that opens a shortcode breaks each pattern (verified in Chromium,
# tests/test_leaving_safely_browser.py).
_NO_AUTOLINK = re.compile(r"(?<=www)(?=\.)|(?<=:)(?=//)|(?<=[\w.+-]@)(?=[\w-]+\.)"
                          r"|(?<=:)(?=[\w+/-]+:)", re.IGNORECASE)


def md_escape(text: object) -> str:
    """``text`` made inert for ``st.markdown``/``st.caption``: every markup character escaped,
    no automatic link, e-mail link or emoji shortcode."""
    s = _NO_AUTOLINK.sub("\u2060", "" if text is None else str(text))
    return _MD_SPECIAL.sub(r"\\\1", s).replace("\n", "  \n")


@contextlib.contextmanager
def guard(where: str) -> Iterator[None]:
    """Error boundary: a failing section shows a plain message; details go to the server log."""
    try:
        yield
    except ScriptControlException:
        raise  # st.stop, st.rerun, st.switch_page
    except Exception:
        log.exception("dashboard section failed: %s", where)
        st.error(t("error.page"), icon=":material/error:")


def page_header(view: View, title_key: str, page_params: Sequence[str] = (),
                period: bool = True) -> None:
    """Title naming the territory, the period (or as-of) line, and the share-link popover."""
    title = t(title_key)
    st.set_page_config(page_title=f"{title} · {view.territory.name} · Territoires", layout="wide")
    st.title(f"{title} — {view.territory.name}", anchor=False)
    asof = fmt_datetime(view.local(view.data_as_of or view.as_of))  # the data's freshness
    line = (t("period.caption", since=fmt_date(view.since), until=fmt_date(view.until), asof=asof)
            if period else t("asof.caption", asof=asof))
    cols = st.columns([3, 1], vertical_alignment="center")
    cols[0].caption(md_escape(line))
    extra = {}
    for p in page_params:  # the page's own widgets (search text, open thread, targets)
        value = st.session_state.get(f"w_{p}", st.query_params.get(p))
        if value not in (None, ""):
            extra[p] = f"{value:g}" if isinstance(value, float) else str(value)
    with cols[1]:
        share_link(view, extra)


def url_state(param: str, default: str = "") -> str:
    """Initial value of a page widget ``w_<param>``: the URL's ``param`` when the widget is
    created (a shared link), then whatever the user sets; mirrored back to the URL."""
    key = f"w_{param}"
    if key not in st.session_state:
        st.session_state[key] = st.query_params.get(param, default)
    return key


def mirror_to_url(param: str, value: object, default: object = "") -> None:
    if value in (None, default, ""):
        if param in st.query_params:
            del st.query_params[param]
    elif st.query_params.get(param) != str(value):
        st.query_params[param] = str(value)


def share_url(view: View, extra: dict[str, str] | None = None) -> str:
    params = {**view.params(), **(extra or {})}
    base = ""
    try:
        base = st.context.url or ""
    except Exception:  # noqa: S110 - no browser context (AppTest): a relative link
        pass
    return f"{base}?{urlencode(params)}"


def share_link(view: View, extra: dict[str, str] | None = None) -> None:
    """The visible "copy the link to this view" affordance (``st.code`` has a copy button)."""
    with st.popover(t("share.button"), icon=":material/link:", width="stretch"):
        st.caption(t("share.help"))
        st.code(share_url(view, extra), language=None, wrap_lines=True)


def definition_help(key: str) -> str:
    """Tooltip: the plain-words definition, a link to its section on the Définitions page
    (same territory, period and language), and the repository document's anchor."""
    lang = st.session_state.get("lang", "fr")
    slug = docs.anchor(key, lang)
    view = st.session_state.get("_view")
    params = urlencode({k: v for k, v in (view.params() if view else {"lang": lang}).items()
                        if k in ("territory", "from", "to", "lang")})
    link = f"[{t('definition.link')}](./definitions?{params}#{slug})"
    return f"{t(f'm.{key}.help')}\n\n{link} · `{docs.DOC_REL}#{slug}`"


def metric(container: Any, key: str, value: str, change: Change | None = None,
           label: str | None = None, note: str | None = None) -> None:
    """A headline tile. ``change`` (:mod:`territoires.deltas`) carries its sign, so the
    arrow and the colour come from the number, never from the text's first character;
    ``note`` is a plain remark under the value (a share), drawn without arrow or colour.
    The tile shows the short label (``m.<key>.tile`` when there is one); the tooltip starts
    with the full name."""
    tile = f"m.{key}.tile"
    name = t(f"m.{key}")
    short = label or (t(tile) if t(tile) != tile else name)
    help_text = definition_help(key)
    if short != name and label is None:
        help_text = f"**{name}**\n\n{help_text}"
    if change is not None:
        delta: dict[str, Any] = {"delta": change.text, "delta_color": change.colour,
                                 "delta_arrow": change.arrow,
                                 "delta_description": change.note or None}
    elif note:
        delta = {"delta": note, "delta_color": "gray", "delta_arrow": "off"}
    else:
        delta = {}
    container.metric(short, value, help=help_text, border=True, **delta)


def definitions_link() -> None:
    st.page_link("views/definitions.py", label=t("definitions.link"), icon=":material/help:")


def localize(df: pd.DataFrame, view: View, columns: Sequence[str]) -> pd.DataFrame:
    """Naive-UTC datetime columns converted to the territory's local time (naive)."""
    out = df.copy()
    for c in columns:
        if c in out.columns and len(out):
            s = pd.to_datetime(out[c])
            out[c] = (s.dt.tz_localize("UTC").dt.tz_convert(view.territory.timezone)
                      .dt.tz_localize(None))
    return out


def csv_bytes(df: pd.DataFrame) -> bytes:
    """Every CSV the dashboard hands out: no cell a spreadsheet would run as a formula
    (:func:`territoires.safe_text.csv_safe`), CRLF rows (RFC 4180: a CR inside a text is
    quoted), a BOM so Excel reads the accents."""
    return csv_safe(df).to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


def table(df: pd.DataFrame, name: str, key: str, column_config: dict[str, Any] | None = None,
          height: int | Literal["auto", "stretch", "content"] = "auto",
          download: bool = True) -> None:
    """A read-only table (cells render as text) with its CSV download."""
    st.dataframe(df, hide_index=True, width="stretch", column_config=column_config,
                 height=height)
    if download and len(df):
        st.download_button(t("table.download"), csv_bytes(df), file_name=f"{name}.csv",
                           mime="text/csv", key=f"dl_{key}", icon=":material/download:")


def style_fig(fig: go.Figure, height: int = 320) -> go.Figure:
    fig.update_layout(
        height=height, margin={"l": 8, "r": 8, "t": 32, "b": 8},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0, "title": None},
        colorway=PALETTE, hovermode="x unified", font={"size": 13},
    )
    fig.update_xaxes(title=None)
    fig.update_yaxes(title=None, rangemode="tozero")
    return fig


def chart(fig: go.Figure, summary: str, data: pd.DataFrame, name: str, key: str) -> None:
    """A chart with its one-sentence summary and its data as a table with a CSV download."""
    st.markdown(md_escape(summary))
    st.plotly_chart(fig, width="stretch",
                    config={"displayModeBar": False, "responsive": True}, key=f"chart_{key}")
    with st.expander(t("chart.data"), icon=":material/table:"):
        st.dataframe(data, hide_index=True, width="stretch")
        st.download_button(t("chart.download"), csv_bytes(data), file_name=f"{name}.csv",
                           mime="text/csv", key=f"dlc_{key}", icon=":material/download:")


def post_block(author: str, when: str, text: str | None, city: bool = False,
               url: str | None = None, marker: str = "") -> None:
    """One post as a card: author and time as escaped Markdown, the text as plain text;
    ``marker`` (built by us, e.g. the platform's badge) goes first. The author line is one
    bounded line, isolated for bidi, and the text bounded (:mod:`territoires.safe_text`):
    the card keeps its size whatever the name or the post holds."""
    with st.container(border=True):
        badge = f" :blue-badge[{t('city.badge')}]" if city else ""
        link = f" · [{t('open.post')}]({url})" if url and _safe_url(url) else ""
        first = f"{marker} " if marker else ""
        who = md_escape(display_name(author, AUTHOR_LIMIT))
        st.markdown(f"{first}**{who}**{badge} · {md_escape(when)}{link}")
        st.text(display_text(text))


def _safe_url(url: str) -> bool:
    """Links we build ourselves point at the platforms' https pages, nothing else."""
    return bool(re.fullmatch(r"https://(x\.com|bsky\.app|[a-z0-9.-]+)/[\w@./:%?=&~+-]*", url))
