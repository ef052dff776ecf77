"""The dashboard pages, driven in-process with Streamlit's AppTest against a real warehouse.

The warehouse is built through the one loading path (hand-made X API v2 pages, see
``tests/dashboard_data.py``); the figures a page shows are compared with the metric
functions' results on the same snapshot, and a URL with parameters must open with those
filters applied.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from territoires.ui import i18n
from tests.dashboard_data import AS_OF, XSS_TEXT, build_warehouse
from warehouse import metrics
from warehouse.read import reader_cursor
from warehouse.territory import load_territories

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")


@pytest.fixture(scope="module")
def dash_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("dash") / "dash.duckdb"
    build_warehouse(db)
    return db


@pytest.fixture
def open_app(dash_db: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("TERRITOIRES_DB", str(dash_db))

    def run(page: str | None = None, **params: str) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=60)
        for k, v in params.items():
            at.query_params[k] = v
        at.run()
        if page:
            at.switch_page(page)
            at.run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    return run


def _territory(db: Path):
    cur = reader_cursor(db)
    try:
        return load_territories(cur)[0], cur
    except Exception:
        cur.close()
        raise


def _metric(at: AppTest, label: str) -> list[str]:
    return [m.value for m in at.metric if m.label == label]


def _asof() -> str:
    return AS_OF.isoformat() + "Z"


def test_no_legacy_pages_folder() -> None:
    """A ``pages/`` folder beside app.py sends the first session down Streamlit's legacy
    multipage path (a deep link then flashes "Page not found"): pages live in ``views/``."""
    assert not (ROOT / "pages").exists(), "rename pages/ (see app.py's docstring)"


def test_home_shows_the_metric_functions_figures(open_app, dash_db: Path) -> None:
    at = open_app(asof=_asof())
    terr, cur = _territory(dash_db)
    i18n.set_lang("fr")
    today = (AS_OF + timedelta(hours=1)).date()  # Europe/Paris in winter
    h_day = metrics.headline(cur, terr, today - timedelta(days=1), today, AS_OF)
    h_week = metrics.headline(cur, terr, today - timedelta(days=7), today, AS_OF)
    queue = metrics.pending_queue(cur, terr, AS_OF, limit=1000)
    cur.close()
    assert at.title[0].value == "Aujourd'hui — Villeneuve-sur-Loire"
    assert _metric(at, "Interpellations") == [
        i18n.fmt_int(h_day["interpellations"]), i18n.fmt_int(h_week["interpellations"])]
    assert _metric(at, "Taux de réponse") == [
        i18n.fmt_pct(h_day["response_rate"]), i18n.fmt_pct(h_week["response_rate"])]
    assert _metric(at, "Délai médian (heures d'ouverture)") == [
        i18n.fmt_minutes(h_day["median_service_response_minutes"]),
        i18n.fmt_minutes(h_week["median_service_response_minutes"])]
    assert _metric(at, "Relais") == [i18n.fmt_int(h_day["relays"]), i18n.fmt_int(h_week["relays"])]
    assert h_week["interpellations"] > 0 and len(queue) > 0
    # the queue: its size, and the oldest posts' texts shown as plain text, oldest first
    assert any(f"{len(queue)} interpellation(s)" in c.value for c in at.caption)
    shown = [t.value for t in at.text]
    assert shown[: min(10, len(queue))] == list(queue["text"].head(10))


def test_post_markup_is_shown_literally(open_app) -> None:
    at = open_app(asof=_asof())
    assert XSS_TEXT in [t.value for t in at.text]  # st.text: no HTML, no Markdown
    for md in at.markdown:
        assert "<img" not in md.value and "![t]" not in md.value


def test_url_parameters_open_the_view(open_app) -> None:
    at = open_app(territory="villeneuve", lang="en", account="villeneuve_sortir",
                  **{"from": "2026-11-02", "to": "2026-11-15"}, asof=_asof())
    assert at.title[0].value == "Today — Villeneuve-sur-Loire"
    assert at.sidebar.selectbox(key="w_account").value == "villeneuve_sortir"
    assert at.sidebar.date_input(key="w_period").value == (date(2026, 11, 2), date(2026, 11, 15))
    assert at.query_params["account"] == "villeneuve_sortir"
    assert at.query_params["from"] == "2026-11-02" and at.query_params["to"] == "2026-11-15"
    # the share link carries the same view
    code = [c.value for c in at.code]
    assert code and "account=villeneuve_sortir" in code[0] and "lang=en" in code[0]


def test_bad_url_parameters_fall_back_to_defaults(open_app) -> None:
    at = open_app(territory="nowhere", lang="xx", account="x'; DROP TABLE posts; --",
                  **{"from": "not-a-date"}, asof=_asof())
    assert at.title[0].value == "Aujourd'hui — Villeneuve-sur-Loire"
    assert at.sidebar.selectbox(key="w_account").value == ""
    assert at.query_params["lang"] == "fr" and "account" not in at.query_params


def test_changing_a_filter_updates_the_url(open_app) -> None:
    at = open_app(asof=_asof())
    at.sidebar.selectbox(key="w_account").set_value("villeneuve_proprete").run()
    assert at.query_params["account"] == "villeneuve_proprete"
    at.sidebar.segmented_control(key="w_lang").set_value("en").run()
    assert at.query_params["lang"] == "en" and at.title[0].value.startswith("Today")


def test_definitions_page(open_app) -> None:
    at = open_app("views/definitions.py", asof=_asof())
    assert at.title[0].value in ("Définitions des indicateurs",)
    assert at.markdown or at.info


def test_a_failing_section_shows_a_plain_message(open_app, monkeypatch) -> None:
    from warehouse import metrics as m

    def boom(*a, **k):
        raise RuntimeError("secret detail /path/to/file.py line 42")

    monkeypatch.setattr(m, "pending_queue", boom)
    from territoires.ui import data

    data._call.clear()
    at = open_app(asof=(AS_OF + timedelta(seconds=1)).isoformat() + "Z")
    assert at.error and "journal du serveur" in at.error[0].value
    assert not any("secret detail" in str(e.value) for e in list(at.error) + list(at.markdown))
    assert at.header  # the rest of the page still renders
    data._call.clear()


def test_asof_is_capped_to_the_last_collection(open_app, dash_db: Path) -> None:
    at = open_app()  # no asof: the last fetch instant of the territory's pages
    assert any("29/11/2026" in c.value.replace("\\", "") for c in at.caption)
    assert isinstance(AS_OF, datetime)
