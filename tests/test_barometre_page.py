"""The Baromètre page, driven in-process with AppTest against a demo warehouse of three
territories (``territoires demo --territories 3``: a métropole, Villeneuve-sur-Loire, a
village), and its builder on hand-made rows.

What the page shows must be :func:`warehouse.barometre.barometre_rows`'s figures, ranked;
the sidebar's territory highlighted; the URL carrying the indicator and the stratum; the
uncertainty said in words (overlapping intervals, too few to compare); the PDF and the PNG
drawn; a shared link showing one territory against its stratum, without sign-in.
"""

from __future__ import annotations

import io
import json
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from streamlit.testing.v1 import AppTest

from model.compare import overlaps
from territoires import barometre_report as br
from territoires import share
from territoires.commands.demo import build_demo
from territoires.text import i18n
from tests.conftest import run_app
from warehouse.barometre import barometre_rows
from warehouse.read import reader_cursor
from warehouse.territory import load_territories

ANCHOR = date(2026, 12, 1)  # the demo's data ends at this local midnight
AS_OF = datetime(2026, 12, 1, 8, 0)  # naive UTC, pinned in the URL
PERIOD = {"from": "2026-11-02", "to": "2026-11-29"}  # four whole ISO weeks
SINCE, UNTIL = date(2026, 11, 2), date(2026, 11, 30)
SECRET = "test-secret-for-barometre-links-0123456789"
PAGE = "views/barometre.py"


@pytest.fixture(scope="session")
def baro_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("barometre") / "baro.duckdb"
    build_demo(db, 6000, 7, ANCHOR, territories=3)
    return db


@pytest.fixture(scope="session")
def rows(baro_db: Path) -> list[dict[str, Any]]:
    cur = reader_cursor(baro_db)
    try:
        return barometre_rows(cur, load_territories(cur), SINCE, UNTIL, AS_OF)
    finally:
        cur.close()


@pytest.fixture
def open_page(baro_db: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("TERRITOIRES_DB", str(baro_db))
    monkeypatch.delenv("TERRITOIRES_SHARE_SECRET", raising=False)

    def run(**params: str) -> AppTest:
        return run_app(PAGE, timeout=120, **{"asof": AS_OF.isoformat() + "Z", **PERIOD,
                                             "territory": "villeneuve", **params})

    return run


def text(at: AppTest) -> str:
    return "\n".join([m.value for m in at.markdown] + [c.value for c in at.caption]
                     + [h.value for h in at.header] + [s.value for s in at.subheader])


def plain(md: str) -> str:
    """Markdown as read: the escapes the page adds (md_escape) removed."""
    return md.replace("\\", "").replace("\u2060", "")


def ranking_spec(at: AppTest) -> dict[str, Any]:
    return json.loads(at.get("plotly_chart")[0].proto.spec)


def table(at: AppTest):  # noqa: ANN201 - a pandas frame
    return at.dataframe[1].value  # 0: the chart's data, 1: the ranking as shown


def test_three_territories_ranked_in_french_with_the_viewers_own_highlighted(
        open_page, rows) -> None:
    at = open_page()
    i18n.set_lang("fr")
    assert len(rows) == 3
    assert at.title[0].value == "Baromètre — Villeneuve\\-sur\\-Loire"
    page = plain(text(at))
    assert "jamais le nombre d'abonnés" in page
    mine = next(r for r in rows if r["territory"] == "villeneuve")
    # the viewer's line: its own figure, its rank, its stratum's median
    assert f"Villeneuve-sur-Loire : {i18n.fmt_pct(mine['response_rate'])}" in page
    assert "médiane de sa strate (10 000 à 19 999 hab.)" in page
    # the table: every territory, the ranked ones best first, the values of barometre_rows
    shown = table(at)
    assert len(shown) == 3
    ranked = sorted((r for r in rows if not r["too_few_to_compare"]),
                    key=lambda r: -r["response_rate"])
    assert list(shown["Territoire"][:len(ranked)]) == [r["name"] for r in ranked]
    assert list(shown["Rang"][:len(ranked)]) == [str(k + 1) for k in range(len(ranked))]
    by_name = {r["name"]: r for r in rows}
    for name, value in zip(shown["Territoire"], shown["Taux de réponse"], strict=True):
        assert value == i18n.fmt_pct(by_name[name]["response_rate"])
    # the chart: the viewer's bar in red and its label bold; an error bar per rate
    spec = ranking_spec(at)
    bar = spec["data"][0]
    labels = bar["y"]
    me = next(k for k, y in enumerate(labels) if "Villeneuve" in y)
    assert labels[me].startswith("<b>") and labels[me].endswith("</b>")
    assert bar["marker"]["line"]["color"][me] == br.HIGHLIGHT
    assert [c for k, c in enumerate(bar["marker"]["line"]["color"]) if k != me] == [br.BLUE] * 2
    assert bar["error_x"]["type"] == "data"
    assert any(tr.get("name") == "médiane de la strate" for tr in spec["data"])
    # small multiples: one panel per territory
    weeks = json.loads(at.get("plotly_chart")[1].proto.spec)
    titles = [a["text"] for a in weeks["layout"]["annotations"]]
    assert len(titles) == 3 and "<b>Villeneuve-sur-Loire</b>" in titles
    labels = [b.proto.label for b in at.get("download_button")]
    assert "Télécharger en PDF" in labels and "Télécharger en image (PNG)" in labels


def test_english_and_another_highlighted_territory(open_page, rows) -> None:
    other = next(r for r in rows if r["territory"] != "villeneuve")
    at = open_page(lang="en", territory=other["territory"])
    assert at.title[0].value.startswith("Barometer — ")
    page = plain(text(at))
    assert "never the follower count" in page and "Response rate" in page
    i18n.set_lang("en")
    try:
        assert f"{other['name']}: {i18n.fmt_pct(other['response_rate'])}" in page
    finally:
        i18n.set_lang("fr")
    labels = ranking_spec(at)["data"][0]["y"]
    bold = [y for y in labels if y.startswith("<b>")]
    assert len(bold) == 1 and other["name"] in bold[0]


def test_the_url_carries_the_indicator_and_the_stratum(open_page, rows) -> None:
    at = open_page()
    assert "indicator" not in at.query_params and "strate" not in at.query_params
    at.selectbox(key="w_indicator").set_value("relays_per_10k").run()
    at.selectbox(key="w_strate").set_value("10000-19999").run()
    assert not at.exception
    assert at.query_params["indicator"] == "relays_per_10k"
    assert at.query_params["strate"] == "10000-19999"
    params = {k: at.query_params[k] for k in ("territory", "from", "to", "lang", "asof",
                                              "indicator", "strate")}
    again = run_app(PAGE, timeout=120, **params)  # a reload: the same view
    assert again.selectbox(key="w_indicator").value == "relays_per_10k"
    assert again.selectbox(key="w_strate").value == "10000-19999"
    shown = table(again)
    assert list(shown["Territoire"]) == ["Villeneuve-sur-Loire"]  # its stratum alone
    mine = next(r for r in rows if r["territory"] == "villeneuve")
    assert shown["Relais pour 10 000 habitants"][0] == i18n.fmt_num(mine["relays_per_10k"], 1)
    # another stratum: the viewer's territory is not in it, and the page says so
    other = run_app(PAGE, timeout=120, **{**params, "strate": "100000+", "platform": "x"})
    page = plain(text(other))
    assert "Villeneuve-sur-Loire n'est pas dans cette strate" in page
    assert "toutes les plateformes et tous les comptes" in page  # the sidebar's filter
    assert "Villeneuve-sur-Loire" not in list(table(other)["Territoire"])
    # an invalid value falls back to the default
    bad = run_app(PAGE, timeout=120, **{**params, "indicator": "followers", "strate": "x"})
    assert bad.selectbox(key="w_indicator").value == "response_rate"
    assert bad.selectbox(key="w_strate").value == ""


def test_overlapping_intervals_and_too_few_are_said(open_page, rows) -> None:
    at = open_page()
    page = plain(text(at))
    ok = [r for r in rows if not r["too_few_to_compare"] and r["response_rate"] is not None]
    few = [r for r in rows if r["too_few_to_compare"] and r["interpellations"]]
    assert len(ok) == 2 and len(few) == 1, [(r["territory"], r["interpellations"]) for r in rows]
    a, b = ((r["response_rate_ci_low"], r["response_rate_ci_high"]) for r in ok)
    if overlaps(a, b):
        assert "se chevauchent : l'écart n'est pas significatif" in page
    else:
        assert "ne chevauche aucun autre" in page
    assert (f"Trop peu pour comparer (moins de 30 interpellations) : {few[0]['name']}"
            in page)
    shown = table(at)
    last = shown.iloc[-1]
    assert last["Territoire"] == few[0]["name"] and last["Rang"] == "–"
    assert last["Trop peu pour comparer"] == "oui"
    bar = ranking_spec(at)["data"][0]
    assert bar["marker"]["pattern"]["shape"][-1] == "/"  # hatched, lighter


def test_a_shared_link_shows_one_territory_against_its_stratum(
        baro_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERRITOIRES_DB", str(baro_db))
    monkeypatch.setenv("TERRITOIRES_SHARE_SECRET", SECRET)
    now = datetime.now(UTC).replace(tzinfo=None)
    link = share.new_link("villeneuve", "barometre", SINCE, UNTIL, AS_OF, 30, now)
    at = run_app(timeout=120, share=share.sign(link, SECRET.encode()))
    assert at.title[0].value == "Baromètre — Villeneuve\\-sur\\-Loire"
    page = plain(text(at))
    assert "Vue partagée, en lecture seule" in page
    assert "@" not in page  # public aggregates and territory names only: no handle
    assert "10 000 à 19 999 hab." in page
    assert [s.key for s in at.selectbox] == ["w_indicator"]  # no stratum, no sidebar filter
    assert list(table(at)["Territoire"]) == ["Villeneuve-sur-Loire"]
    with pytest.raises(ValueError, match="Known pages: \\['.*views/barometre.py'\\]"):
        at.switch_page("views/collecte.py")


def test_the_share_control_signs_a_link_to_this_territorys_barometre(
        open_page, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERRITOIRES_SHARE_SECRET", SECRET)
    at = open_page()
    at.button(key="w_barometre_share_create").click().run(timeout=120)
    url = next(c.value for c in at.code if "share=" in c.value)
    assert url.startswith("http://localhost:8501/?share=")
    token = parse_qs(urlsplit(url).query)["share"][0]
    link = share.verify(token, SECRET.encode(), datetime.now(UTC).replace(tzinfo=None))
    assert (link.territory, link.page, link.since, link.until) == (
        "villeneuve", "barometre", SINCE, UNTIL)


# -- the builder on hand-made rows -------------------------------------------------------------
def _row(slug: str, name: str, n: int, answered: int, pop: int) -> dict[str, Any]:
    from model.compare import per_10k, strate, wilson

    ci = wilson(answered, n)
    return {"territory": slug, "name": name, "population": pop, "strate": strate(pop),
            "interpellations": n, "answered": answered,
            "response_rate": answered / n if n else None,
            "response_rate_ci_low": ci[0] if ci else None,
            "response_rate_ci_high": ci[1] if ci else None,
            "too_few_to_compare": n < 30, "relays_per_10k": per_10k(n * 2, pop)}


HAND = [
    _row("a", "Arles-sur-Tech", 400, 380, 12000),  # 95 % [92 – 97]
    _row("b", "Bourg", 100, 80, 15000),  # 80 % [71 – 87]
    _row("c", "Cité", 120, 90, 11000),  # 75 % [67 – 82]: overlaps Bourg's
    _row("d", "Dampierre <b>x</b>", 10, 10, 400),  # too few to compare
]


def test_the_builder_ranks_says_and_escapes() -> None:
    i18n.set_lang("fr")
    doc = br.barometre_doc(HAND, [], "response_rate", None, "c", SINCE, UNTIL, "x")
    assert [e.name for e in doc.entries] == ["Arles-sur-Tech", "Bourg", "Cité",
                                             "Dampierre <b>x</b>"]
    assert [e.rank for e in doc.entries] == [1, 2, 3, None]
    assert doc.sentences == [
        "Les intervalles de Cité et de Bourg se chevauchent : l'écart n'est pas significatif."]
    assert doc.you is not None and doc.you.startswith(f"Cité : {i18n.fmt_pct(0.75)}, 3e sur 3 ;")
    doc = br.barometre_doc(HAND, [], "response_rate", None, "d", SINCE, UNTIL, "x")
    assert doc.sentences == [  # the elision, and the non-adjacent pairs are not listed
        "Les intervalles de Bourg et Cité se chevauchent : l'écart n'est pas significatif."]
    assert "Dampierre <b>x</b>" in doc.notes[0]
    assert "non classé" in (doc.you or "")
    labels = doc.figures[0][1].data[0].y
    assert "<b>– Dampierre &lt;b&gt;x&lt;/b&gt;</b>" in labels  # the name's tags inert
    doc = br.barometre_doc(HAND[:1] + HAND[2:3], [], "response_rate", None, "a", SINCE,
                           UNTIL, "x")
    assert doc.sentences[0] == ("L'intervalle d'Arles-sur-Tech ne chevauche aucun autre : "
                                "ses écarts aux autres sont significatifs.")
    # per 10,000 inhabitants: no interval, said so; the stratum filter keeps its rows
    doc = br.barometre_doc(HAND, [], "relays_per_10k", "10000-19999", None, SINCE, UNTIL, "x")
    assert [e.slug for e in doc.entries] == ["a", "c", "b"]  # 667, 218, 133 per 10,000
    assert doc.sentences == [i18n.t("barometre.no_interval")]


@pytest.mark.skipif(not (shutil.which("chromium") or Path("/usr/bin/chromium").exists()),
                    reason="Debian's chromium not installed (apt-get install chromium)")
def test_the_export_draws_a_pdf_and_a_png(rows) -> None:
    from PIL import Image

    from territoires.barometre_render import render

    i18n.set_lang("fr")
    doc = br.barometre_doc(rows, [], "response_rate", None, "villeneuve", SINCE, UNTIL,
                           "01/12/2026 09:00", font=16)
    pdf = render(doc, "pdf")
    assert pdf[:5] == b"%PDF-"
    png = render(doc, "png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    img = Image.open(io.BytesIO(png))
    assert img.width == 1920 and img.height > 600
    assert (UNTIL - timedelta(days=1)).isoformat() in doc.stem
