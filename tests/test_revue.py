"""The weekly review page, driven in-process with AppTest against a real warehouse.

The headline numbers shown must be the metric functions' results for the ISO week, and
their changes those against the previous week and the four-week average; the community
manager's own view names everyone (pseudonymisation is for shared links only).
"""

from __future__ import annotations

import html
import re
from datetime import timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from territoires import report
from territoires.text import i18n
from tests.conftest import run_app
from tests.review_data import AS_OF, MONDAY, build
from warehouse import metrics
from warehouse.read import reader_cursor
from warehouse.territory import load_territories

CARD = re.compile(r'data-key="(\w+)"><div class="rv-label">[^<]*</div>'
                  r'<div class="rv-value">([^<]*)</div>'
                  r'<div class="rv-delta rv-\w+">([^<]*)</div><div class="rv-delta rv-\w+">([^<]*)')


@pytest.fixture(scope="module")
def rv_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("revue") / "revue.duckdb"
    build(db)
    return db


@pytest.fixture
def open_review(rv_db: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("TERRITOIRES_DB", str(rv_db))
    monkeypatch.delenv("TERRITOIRES_SHARE_SECRET", raising=False)

    def run(**params: str) -> AppTest:
        return run_app("views/revue.py", timeout=90, **{"asof": AS_OF.isoformat() + "Z", **params})

    return run


def cards(at: AppTest) -> dict[str, tuple[str, str, str]]:
    for md in at.markdown:
        found = CARD.findall(md.value)
        if found:
            return {k: tuple(html.unescape(x) for x in rest) for k, *rest in found}
    raise AssertionError("no headline cards on the page")


def expected(db: Path, monday, lang: str = "fr"):
    cur = reader_cursor(db)
    try:
        terr = load_territories(cur)[0]
        until = monday + timedelta(days=7)
        as_of = report.review_as_of(terr, until, AS_OF)
        h = metrics.headline(cur, terr, monday, until, as_of)
        prev = [metrics.headline(cur, terr, monday - timedelta(days=7 * k),
                                 monday - timedelta(days=7 * (k - 1)), as_of) for k in (1, 2, 3, 4)]
    finally:
        cur.close()
    return h, prev


def fmt(key: str, value):
    if key == "response_rate":
        return i18n.fmt_pct(value)
    if key.endswith("_minutes"):
        return i18n.fmt_minutes(value)
    return i18n.fmt_int(value)


def test_headline_numbers_are_the_metric_functions_results(open_review, rv_db: Path) -> None:
    at = open_review()  # default: the last complete week at as-of (Sunday 29/11 → W47)
    i18n.set_lang("fr")
    h, prev = expected(rv_db, MONDAY)
    shown = cards(at)
    assert list(shown) == [k for k, _, _ in report.CARDS]
    for key, _, _ in report.CARDS:
        assert shown[key][0] == fmt(key, h[key]), key
    assert h["interpellations"] > 0 and h["relays"] > 0 and h["local_tweetos"] > 0
    # changes: against the previous week, and against the mean of the four previous weeks
    n, p = h["interpellations"], prev[0]["interpellations"]
    avg = sum(w["interpellations"] for w in prev) / 4
    assert shown["interpellations"][1] == (
        "vs semaine préc. : " + report.format_delta("count", n, p))
    assert shown["interpellations"][2] == "vs moy. 4 sem. : " + report.format_delta("count", n, avg)
    assert at.title[0].value == "Revue de la semaine — Villeneuve-sur-Loire"
    sub = [m.value for m in at.markdown if "rv-sub" in m.value and "<style>" not in m.value]
    assert "Semaine 47 · du lundi 16 novembre 2026 au dimanche 22 novembre 2026" in sub[0]
    # three charts with large type (theme=None keeps the sizes)
    charts = at.get("plotly_chart")
    assert len(charts) == 3
    for c in charts:
        spec = c.proto.spec
        sizes = [int(s) for s in re.findall(r'"size":\s*(\d+)', spec)]
        assert sizes and min(sizes) >= report.FONT_FLOOR, sizes


def test_another_week_from_the_week_selector(open_review, rv_db: Path) -> None:
    at = open_review()
    at.sidebar.selectbox(key="w_week").set_value("2026-W46").run()
    assert not at.exception
    i18n.set_lang("fr")
    h, _ = expected(rv_db, MONDAY - timedelta(days=7))
    shown = cards(at)
    for key, _, _ in report.CARDS:
        assert shown[key][0] == fmt(key, h[key]), key
    assert at.query_params["week"] == "2026-W46"


def test_the_cm_view_names_everyone_and_shows_texts(open_review) -> None:
    at = open_review()
    md = " ".join(m.value for m in at.markdown)
    assert "carole\\_priv" in md and "dede\\_priv" in md  # the CM's own view is unchanged
    assert "Habitant" not in md
    texts = [t.value for t in at.text]
    assert any(t.startswith("@villeneuve_fr Trou énorme rue Haute") and t.endswith("vite svp")
               for t in texts)
    # export buttons and the shared-link control are there for the CM
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["Télécharger en PDF", "Télécharger en image (PNG)"]


def test_presentation_mode_has_no_controls(open_review) -> None:
    at = open_review(present="1", week="2026-W47")
    assert not at.get("download_button")
    assert not at.main.get("selectbox")
    assert any("stSidebar" in m.value and "display: none" in m.value for m in at.markdown)
    assert len(at.get("plotly_chart")) == 3
