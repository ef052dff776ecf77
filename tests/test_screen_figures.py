"""What the screen says: figures, their changes and their words (issue 16, "Trust").

A change's arrow and colour come from its number, never from the first character of its
text (French formatting and durations write U+2212, which Streamlit reads as a rise);
counts never show decimals and have thousands separators; one name per idea; the
collection page speaks to people, not developers. Pages are driven with AppTest on the
real test warehouse (``tests/dashboard_data.py``); arrows and colours are read from the
metric protos Streamlit sends to the browser.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.proto.Metric_pb2 import Metric as MetricProto
from streamlit.testing.v1 import AppTest

from territoires import report
from territoires.text import i18n
from territoires.text import review as review_text
from tests.conftest import run_app
from tests.dashboard_data import AS_OF, build_warehouse

ROOT = Path(__file__).resolve().parents[1]
UP, DOWN, NONE = (MetricProto.MetricDirection.UP, MetricProto.MetricDirection.DOWN,
                  MetricProto.MetricDirection.NONE)
GREEN, RED, GRAY = (MetricProto.MetricColor.GREEN, MetricProto.MetricColor.RED,
                    MetricProto.MetricColor.GRAY)


@pytest.fixture(scope="module")
def dash_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("screen") / "dash.duckdb"
    build_warehouse(db)
    return db


@pytest.fixture
def open_app(dash_db: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("TERRITOIRES_DB", str(dash_db))

    def run(page: str | None = None, **params: str) -> AppTest:
        return run_app(page, **{"asof": AS_OF.isoformat() + "Z", **params})

    yield run
    i18n.set_lang("fr")


def _tiles(at: AppTest) -> list[MetricProto]:
    return [m.proto for m in at.metric]


def _written_sign(delta: str) -> int:
    if not delta or delta[0] not in "+-−":
        return 0
    return 1 if delta[0] == "+" else -1


# ---- the matrix: rises and falls of counts, rates and times, against usual and targets ----
def _metric_script(cases: list[tuple[str, str, float, float, int]], lang: str) -> None:
    import streamlit as st

    from territoires import deltas as d
    from territoires.ui import render as r

    st.session_state["lang"] = lang
    for n, (kind, key, now, ref, better) in enumerate(cases):
        fn = {"count": d.count_change, "rate": d.rate_change, "minutes": d.time_change}[kind]
        r.metric(st, key, f"tile{n}", fn(now, ref, better, f"note{n}"))


# kind, metric key, now, reference (usual or target), which way is better, arrow, colour
CASES = [
    ("count", "relays", 13, 30.8, +1, DOWN, RED),  # "Relais 13 ↑ −17,8" was green
    ("count", "relays", 40, 30.2, +1, UP, GREEN),
    ("count", "interpellations", 3, 12, 0, DOWN, GRAY),
    ("count", "interpellations", 30, 12, 0, UP, GRAY),
    ("count", "relays", 3, 2.6, +1, NONE, GRAY),  # 3 against 3 (2.6 shown rounded)
    ("rate", "response_rate", 0.33, 0.53, +1, DOWN, RED),
    ("rate", "response_rate", 0.71, 0.53, +1, UP, GREEN),
    ("rate", "response_rate", 0.95, 0.90, +1, UP, GREEN),  # above the target
    ("rate", "response_rate", 0.52, 0.90, +1, DOWN, RED),  # below the target
    ("minutes", "median_service", 26, 239, -1, DOWN, GREEN),  # "26 min ↑ −3 h 33" was red
    ("minutes", "median_service", 122, 60, -1, UP, RED),
    ("minutes", "median_service", 26, 240, -1, DOWN, GREEN),  # under the 4 h target
    ("minutes", "median_service", 300, 240, -1, UP, RED),  # over the 4 h target
    ("minutes", "median_service", 60.2, 60, -1, NONE, GRAY),  # "0 min": no arrow
]


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_arrow_and_colour_follow_the_number_not_the_text(lang: str) -> None:
    cases = [c[:5] for c in CASES]
    at = AppTest.from_function(_metric_script, args=(cases, lang), default_timeout=30).run()
    assert not at.exception, [e.value for e in at.exception]
    tiles = _tiles(at)
    assert len(tiles) == len(CASES)
    for tile, (kind, _, now, ref, _better, arrow, colour) in zip(tiles, CASES, strict=True):
        what = f"{lang} {kind} {now} vs {ref}: {tile.delta!r}"
        assert (tile.direction, tile.color) == (arrow, colour), what
        assert _written_sign(tile.delta) == {UP: 1, DOWN: -1, NONE: 0}[arrow], what
        minus = "−" if lang == "fr" else "-"
        if arrow == DOWN:
            assert tile.delta.startswith(minus), what
        assert tile.delta_description.startswith("note"), what
        if kind == "count":
            assert not re.search(r"\d[,.]\d", tile.delta), what  # no decimals in a count


# the team's view of each tile: which way is good (0: neither)
BETTER = {"Interpellations": 0, "Taux de réponse": 1, "Délai médian": -1, "Relais": 1,
          "Response rate": 1, "Median time": -1, "Relays": 1}


def _check_page_tiles(at: AppTest) -> int:
    """Every tile with a change: arrow = sign as written, colour = good/bad for the team."""
    checked = 0
    for m in _tiles(at):
        if not m.delta:
            continue
        sign = _written_sign(m.delta)
        assert m.direction == {1: UP, -1: DOWN, 0: NONE}[sign], (m.label, m.delta)
        better = BETTER[m.label]
        want = GRAY if better == 0 or sign == 0 else GREEN if sign * better > 0 else RED
        assert m.color == want, (m.label, m.delta)
        checked += 1
    return checked


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_home_changes_point_the_right_way(open_app, lang: str) -> None:
    at = open_app(lang=lang)
    assert _check_page_tiles(at) == 8
    falls = [m for m in _tiles(at) if m.direction == DOWN]
    assert falls, "the test warehouse has a falling response rate"
    for m in _tiles(at):
        if m.label in ("Interpellations", "Relais", "Relays"):
            assert not re.search(r"\d[,.]\d", m.delta + m.delta_description), m
    assert all("habituellement" not in m.delta + m.delta_description for m in _tiles(at))


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize(("rate", "hours"), [("10", "0.5"), ("90", "4")])
def test_responsiveness_targets_above_and_below(open_app, lang: str, rate: str,
                                                hours: str) -> None:
    """The test data: 52 % answered, median 1 h 02 in service hours."""
    at = open_app("views/reactivite.py", lang=lang, target_rate=rate, target_hours=hours)
    assert _check_page_tiles(at) == 2
    by_label = {m.label: m for m in _tiles(at) if m.delta}
    rate_tile = by_label["Taux de réponse" if lang == "fr" else "Response rate"]
    time_tile = by_label["Délai médian" if lang == "fr" else "Median time"]
    if rate == "10":  # 52 % > 10 %, 1 h 02 > 30 min
        assert (rate_tile.direction, rate_tile.color) == (UP, GREEN)
        assert (time_tile.direction, time_tile.color) == (UP, RED)
    else:  # 52 % < 90 %, 1 h 02 < 4 h
        assert (rate_tile.direction, rate_tile.color) == (DOWN, RED)
        assert (time_tile.direction, time_tile.color) == (DOWN, GREEN)
    assert "4 h" in time_tile.delta_description or "30 min" in time_tile.delta_description


def test_a_share_has_no_change_arrow(open_app) -> None:
    at = open_app("views/relais.py")
    share = next(m for m in _tiles(at) if m.label == "Relais locaux")
    assert "des relais" in share.delta
    assert (share.direction, share.color) == (NONE, GRAY)


# ---- numbers ---------------------------------------------------------------------------------
def test_thousands_separators_and_whole_counts() -> None:
    i18n.set_lang("fr")
    assert i18n.fmt_num(61200.5, 1) == "61\u202f200,5"
    assert i18n.fmt_num(-61200, 0, sign=True) == "−61\u202f200"
    # the review's cards: a count against an average of counts stays a whole number
    assert report.format_delta("count", 1234, 948.75) == "+285 (+30\u202f%)"
    assert report.format_delta("count", 62000, 800) == "+61\u202f200 (+7\u202f650\u202f%)"
    assert report.format_delta("count", 10, 10.4) == review_text.tr("same")
    assert report.format_delta("minutes", 26, 239) == "−3 h 33"
    i18n.set_lang("en")
    try:
        assert i18n.fmt_num(61200.5, 1) == "61,200.5"
        assert report.format_delta("count", 1234, 948.75) == "+285 (+30%)"
        assert report.format_delta("minutes", 26, 239) == "-3 h 33"
    finally:
        i18n.set_lang("fr")


def test_review_card_tone_comes_from_the_number() -> None:
    i18n.set_lang("fr")
    d = report.format_delta("minutes", 26, 239)
    assert report._tone(-1, 26, 239, d, "minutes") == "good"
    assert report._tone(+1, 0.33, 0.53, report.format_delta("rate", 0.33, 0.53), "rate") == "bad"
    same = report.format_delta("count", 10, 10.4)
    assert report._tone(+1, 10, 10.4, same, "count") == "neutral"


# ---- words -----------------------------------------------------------------------------------
RETIRED = ("heures ouvrées", "heures de service", "opening hours", "business hours",
           "working hours", "vs habituellement", "Median delay")


def _texts() -> dict[str, str]:
    out = {}
    for name, table in (("i18n", i18n.S), ("review_text", review_text.S)):
        for key, entry in table.items():
            for lg, text in entry.items():
                out[f"{name}:{key}:{lg}"] = text
    for doc in ("docs/metrics.md", "docs/dashboard.md"):
        out[doc] = (ROOT / doc).read_text(encoding="utf-8")
    for view in sorted((ROOT / "views").glob("*.py")):
        out[str(view.relative_to(ROOT))] = view.read_text(encoding="utf-8")
    return out


def test_one_name_for_service_hours() -> None:
    found = [(where, word) for where, text in _texts().items() for word in RETIRED
             if word.lower() in text.lower()]
    assert not found, found
    assert "heures d'ouverture" in i18n.S["m.median_service"]["fr"]
    assert "service hours" in i18n.S["m.median_service"]["en"]
    assert "heures d'ouverture" in review_text.S["k.median_service_response_minutes"]["fr"]
    assert "service hours" in review_text.S["k.median_service_response_minutes"]["en"]


def test_potential_reach_has_one_name_on_screen_and_in_the_definitions() -> None:
    from territoires.ui import docs

    fr, en = docs.SECTIONS["potential_reach"]
    assert i18n.S["m.potential_reach"]["fr"] == fr  # was "Audience potentielle"
    assert i18n.S["m.potential_reach"]["en"] == en


def test_tile_labels_are_short_and_the_tooltip_names_the_figure(open_app) -> None:
    for lang in ("fr", "en"):
        at = open_app("views/reactivite.py", lang=lang)
        labels = [m.label for m in at.metric]
        assert len(set(labels)) == len(labels), labels
        assert all(len(label) <= 24 for label in labels), labels
        median = next(m for m in at.metric if m.label in ("Délai médian", "Median time"))
        assert i18n.S["m.median_service"][lang] in median.help


# ---- the collection page ---------------------------------------------------------------------
def test_collection_page_speaks_to_people(open_app, dash_db: Path) -> None:
    at = open_app("views/collecte.py")
    fresh = at.dataframe[0].value
    assert set(fresh["platform"]) == {"X", "Bluesky", "Mastodon"}
    assert all(re.fullmatch(r"\d+ (min|h)( \d+)?|\d+ j( \d+ h)?", a) for a in fresh["age_hours"])
    prices = next(c.value for c in at.caption if "Prix" in c.value)
    assert "{" not in prices and '\\"' not in prices and "post\\_read" not in prices
    assert "0\\,005 \\$ par message lu" in prices and "Bluesky \\: gratuit" in prices
    values = {m.label: m.value for m in at.metric}
    assert values["Coût enregistré (30 j)"] == "0,00 $"
    en = open_app("views/collecte.py", lang="en")
    assert {m.label: m.value for m in en.metric}["Recorded cost (30 d)"] == "$0.00"
