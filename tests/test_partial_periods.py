"""Partial days and weeks (issue 16): the default period ends on the last complete day, the
charts leave out the days after the data's as-of day and draw the incomplete ones apart, and
no comparison treats an incomplete week as a whole one. Also the charts' layout on a phone,
read from the Plotly figure (tick angle, bar orientation and labels, colour scale).

Real parts: the dashboard and review warehouses of ``tests/dashboard_data.py`` and
``tests/review_data.py`` (landed through the one loading path), the pages through AppTest.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from territoires import periods, report
from territoires.privacy import Pseudonymizer
from territoires.text import i18n
from territoires.ui.state import view_from_params
from tests import review_data
from tests.dashboard_data import AS_OF, build_warehouse
from warehouse import page_responsiveness as dq
from warehouse.read import reader_cursor
from warehouse.territory import load_territories

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
TODAY = date(2026, 11, 29)  # AS_OF (08:00 UTC) in Europe/Paris; the data ends on the 28th


@pytest.fixture(scope="module")
def dash_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("partial") / "dash.duckdb"
    build_warehouse(db)
    return db


@pytest.fixture(scope="module")
def rv_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("partial_rv") / "revue.duckdb"
    review_data.build(db)
    return db


@pytest.fixture
def open_app(dash_db: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("TERRITOIRES_DB", str(dash_db))

    def run(page: str, **params: str) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=90)
        for k, v in {"asof": AS_OF.isoformat() + "Z", **params}.items():
            at.query_params[k] = v
        at.run()
        at.switch_page(page)
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    return run


def _spec(at: AppTest, key: str) -> dict:
    for chart in at.get("plotly_chart"):
        if chart.proto.id.endswith(key) or key in chart.proto.id:
            return json.loads(chart.proto.spec)
    raise AssertionError(f"no chart {key}")


def _arr(v) -> list:
    """A Plotly array: plain JSON, or a typed array ``{"dtype", "bdata"}``."""
    import base64

    import numpy as np

    if isinstance(v, dict) and "bdata" in v:
        return np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"])).tolist()
    return list(v)


def _territory(db: Path):
    cur = reader_cursor(db)
    return load_territories(cur)[0], cur


# ---- the default period --------------------------------------------------------------------
def test_default_period_ends_on_the_last_complete_day(dash_db: Path) -> None:
    terr, cur = _territory(dash_db)
    cur.close()
    view = view_from_params({}, str(dash_db), [terr], {terr.slug: AS_OF}, now=datetime(2027, 1, 1))
    assert view.today == TODAY
    assert view.until == TODAY - timedelta(days=1)  # the 28th: the data's last whole day
    assert (view.until - view.since).days == 27  # still 28 days
    # only one end given: the other follows as before
    view = view_from_params({"to": "2026-11-20"}, str(dash_db), [terr], {terr.slug: AS_OF},
                            now=datetime(2027, 1, 1))
    assert (view.since, view.until) == (date(2026, 10, 24), date(2026, 11, 20))


def test_day_and_week_states() -> None:
    today = date(2026, 11, 18)  # a Wednesday
    assert [periods.day_state(date(2026, 11, d), today) for d in (17, 18, 19)] == [
        periods.COMPLETE, periods.PARTIAL, periods.FUTURE]
    since, until = date(2026, 10, 25), date(2026, 11, 22)  # a Sunday to a Saturday (excluded)
    got = periods.states([date(2026, 10, 19), date(2026, 10, 26), date(2026, 11, 9),
                          date(2026, 11, 16), date(2026, 11, 23)], "week", since, until, today)
    assert got == {date(2026, 10, 19): periods.PARTIAL,  # one day inside the window
                   date(2026, 10, 26): periods.COMPLETE, date(2026, 11, 9): periods.COMPLETE,
                   date(2026, 11, 16): periods.PARTIAL,  # in progress
                   date(2026, 11, 23): periods.FUTURE}


# ---- the dashboard's charts and sentences ------------------------------------------------
def test_audience_sentence_compares_whole_weeks_only(open_app, dash_db: Path) -> None:
    """The default period (1 to 28 November) starts on a Sunday: its first ISO week has one
    day. The sentence compares the first and last whole weeks (2-8 and 16-22 November)."""
    at = open_app("views/conversations.py")
    terr, cur = _territory(dash_db)
    aud = dq.audience_by_week(cur, terr, date(2026, 11, 1), date(2026, 11, 29), AS_OF)
    cur.close()
    i18n.set_lang("fr")
    aud = aud.assign(n=aud["interpellations"] + aud["relays"])
    share = {w: g.loc[g["platform"] != "x", "n"].sum() / g["n"].sum()
             for w, g in aud.groupby("week")}
    first, last = date(2026, 11, 2), date(2026, 11, 16)
    summary = next(m.value for m in at.markdown if "hors X" in m.value).replace("\\", "")
    assert f"{i18n.fmt_pct(share[first])} des interpellations et relais la première semaine " \
           f"complète (du {i18n.fmt_date(first)})" in summary, summary
    assert f"{i18n.fmt_pct(share[last])} la dernière (du {i18n.fmt_date(last)})" in summary
    # the one-day week and the six-day week are drawn dotted, with the legend saying why
    spec = _spec(at, "audience")
    notes = [tr for tr in spec["data"] if tr.get("name") == "semaine incomplète"]
    assert len(notes) == 1 and notes[0]["line"]["dash"] == "dot"
    dotted = [tr for tr in spec["data"] if tr.get("line", {}).get("dash") == "dot"
              and tr["name"] != "semaine incomplète"]
    assert dotted, "no dotted segment for the incomplete weeks"
    solid = [tr for tr in spec["data"] if tr.get("mode") == "lines"
             and tr.get("line", {}).get("dash") is None and tr.get("showlegend") is not False]
    for tr in solid:  # the solid line has no value in an incomplete week
        ys = dict(zip([str(x)[:10] for x in _arr(tr["x"])], _arr(tr["y"]), strict=True))
        assert ys["2026-10-26"] is None and ys["2026-11-23"] is None, ys
        assert ys["2026-11-09"] is not None


def test_volume_chart_marks_the_as_of_day_and_leaves_out_the_days_after(open_app) -> None:
    at = open_app("views/conversations.py", **{"from": "2026-11-16", "to": "2026-12-02"})
    spec = _spec(at, "volume")
    xs = {str(x)[:10] for tr in spec["data"] for x in _arr(tr["x"]) if x is not None}
    assert "2026-11-29" in xs and "2026-11-30" not in xs and "2026-12-02" not in xs
    notes = [tr for tr in spec["data"] if tr.get("name") == "journée incomplète"]
    assert len(notes) == 1
    partial = [tr for tr in spec["data"] if tr.get("mode") == "markers"
               and "journée incomplète" in tr.get("hovertemplate", "")]
    assert partial and all([str(x)[:10] for x in _arr(tr["x"])] == ["2026-11-29"]
                           for tr in partial)


def test_weekly_response_rates_and_relays_mark_incomplete_weeks(open_app, dash_db: Path
                                                               ) -> None:
    at = open_app("views/reactivite.py", **{"from": "2026-11-04", "to": "2026-11-29"})
    terr, cur = _territory(dash_db)
    weeks = dq.responsiveness_by_week(cur, terr, date(2026, 11, 4), date(2026, 11, 30), AS_OF)
    cur.close()
    weeks["week"] = pd.to_datetime(weeks["week"]).dt.date
    whole = weeks[weeks["week"].isin([date(2026, 11, 9), date(2026, 11, 16)])]["response_rate"]
    i18n.set_lang("fr")
    summary = next(m.value for m in at.markdown if "Taux de réponse par semaine" in m.value)
    assert summary.replace("\\", "").startswith(
        f"Taux de réponse par semaine complète, de {i18n.fmt_pct(whole.min())} à "
        f"{i18n.fmt_pct(whole.max())}"), summary
    spec = _spec(at, "weekly")
    bars = next(tr for tr in spec["data"] if tr["type"] == "bar" and tr["name"] != "semaine "
                "incomplète")
    # 2-8 (starts before the window) and 23-29 (the 29th is the as-of day) are incomplete
    assert _arr(bars["marker"]["opacity"]) == [0.4, 1.0, 1.0, 0.4]
    assert any(tr.get("name") == "semaine incomplète" for tr in spec["data"])
    # the relays' daily bars: the as-of day lighter and hatched
    at = open_app("views/relais.py", **{"from": "2026-11-20", "to": "2026-11-29"})
    spec = _spec(at, "relays")
    bars = [tr for tr in spec["data"] if tr["type"] == "bar" and len(_arr(tr["x"])) > 1]
    for tr in bars:
        assert _arr(tr["marker"]["opacity"])[-1] == 0.4
        assert _arr(tr["marker"]["pattern"]["shape"])[-1] == "/"


# ---- the weekly review -----------------------------------------------------------------------
def _review(db: Path, as_of: datetime) -> report.Review:
    terr, cur = _territory(db)
    try:
        return report.build_review(cur, terr, review_data.MONDAY,
                                   review_data.MONDAY + timedelta(days=7), as_of)
    finally:
        cur.close()


def test_review_of_a_week_in_progress_is_not_compared(rv_db: Path) -> None:
    """Judged on Wednesday 18 November at noon, week 47 is three days old: no change against
    the previous weeks, the 18th drawn apart, the days after it empty, not zero."""
    i18n.set_lang("fr")
    review = _review(rv_db, datetime(2026, 11, 18, 11, 0))
    assert not review.complete
    doc = report.review_doc(review, Pseudonymizer(review.territory, {}, b"", enabled=False))
    for card in doc.cards:
        assert card.vs_prev == "vs semaine préc. : non comparable", card
        assert card.vs_avg == "vs moy. 4 sem. : non comparable", card
    daily = doc.figures[0][1]
    for tr in daily.data:
        if tr.name in ("répondues", "en attente", "sans réponse"):
            assert list(tr.y)[3:] == [None] * 4  # the 19th to the 22nd: nothing collected
            assert list(tr.marker.opacity) == [1.0, 1.0, 0.4, 1.0, 1.0, 1.0, 1.0]
    assert "journée incomplète" in [tr.name for tr in daily.data]
    trend = doc.figures[1][1]
    bars = [tr for tr in trend.data if tr.name in ("interpellations", "relais")]
    assert all(list(tr.marker.opacity)[-1] == 0.4 for tr in bars)
    assert "semaine incomplète" in [tr.name for tr in trend.data]
    # the same week judged once it is over: compared, nothing marked
    review = _review(rv_db, review_data.AS_OF)
    assert review.complete
    doc = report.review_doc(review, Pseudonymizer(review.territory, {}, b"", enabled=False))
    assert all("non comparable" not in c.vs_prev for c in doc.cards if c.key != "hashtag_posts")
    assert all(tr.name not in ("journée incomplète", "semaine incomplète")
               for _, fig in doc.figures for tr in fig.data)


# ---- layouts on a phone, read from the figures -----------------------------------------------
def test_review_charts_keep_labels_upright_and_apart(rv_db: Path) -> None:
    i18n.set_lang("fr")
    review = _review(rv_db, review_data.AS_OF)
    doc = report.review_doc(review, Pseudonymizer(review.territory, {}, b"", enabled=False),
                            font=18, height=380, legend_rows=2)
    daily, trend = doc.figures[0][1], doc.figures[1][1]
    assert daily.layout.xaxis.tickangle == 0
    assert list(daily.data[0].x) == ["lun.<br>16", "mar.<br>17", "mer.<br>18", "jeu.<br>19",
                                     "ven.<br>20", "sam.<br>21", "dim.<br>22"]
    # "the last 5 weeks": horizontal bars, one row per label, so labels cannot collide
    bars = [tr for tr in trend.data if tr.type == "bar"]
    assert all(tr.orientation == "h" and tr.textposition == "outside" for tr in bars)
    assert list(bars[0].y) == ["S43", "S44", "S45", "S46", "S47"]
    top = max(max(tr.x) for tr in bars)
    assert trend.layout.xaxis.range[1] >= 1.3 * top  # room for the labels
    # a longer shared period: a date axis (ticks thinned to the width), never rotated
    terr, cur = _territory(rv_db)
    try:
        longer = report.build_review(cur, terr, date(2026, 11, 2), date(2026, 11, 23),
                                     review_data.AS_OF)
    finally:
        cur.close()
    fig = report.figures(longer, font=18)[0][1]
    assert fig.layout.xaxis.type == "date" and fig.layout.xaxis.tickangle == 0


def test_heat_maps_have_a_titled_colour_scale(open_app) -> None:
    at = open_app("views/reactivite.py", **{"from": "2026-11-02", "to": "2026-11-28"})
    for key, title in (("heat_arrivals", "Interpellations reçues"),
                       ("heat_answers", "Réponses de la ville")):
        heat = _spec(at, key)["data"][0]
        assert heat["type"] == "heatmap" and heat.get("showscale") is True
        assert heat["colorbar"]["title"]["text"] == title
        assert heat["colorbar"]["orientation"] == "h"
