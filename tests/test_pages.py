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

from territoires.text import i18n
from tests.conftest import run_app
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

    return run_app


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
    assert _metric(at, "Délai médian") == [  # in service hours (the tile's short label)
        i18n.fmt_minutes(h_day["median_service_response_minutes"]),
        i18n.fmt_minutes(h_week["median_service_response_minutes"])]
    assert _metric(at, "Relais") == [i18n.fmt_int(h_day["relays"]), i18n.fmt_int(h_week["relays"])]
    assert h_week["interpellations"] > 0 and len(queue) > 0
    # the queue: its size, and the oldest posts' texts shown as plain text, oldest first
    assert any(f"{len(queue)} interpellation(s)" in c.value for c in at.caption)
    shown = [t.value for t in at.text]
    first = shown.index(queue["text"].iloc[0])  # after the alert's posts, if any
    assert shown[first: first + min(10, len(queue))] == list(queue["text"].head(10))


def test_post_markup_is_shown_literally(open_app) -> None:
    at = open_app(asof=_asof())
    assert XSS_TEXT in [t.value for t in at.text]  # st.text: no HTML, no Markdown
    for md in at.markdown:
        assert "<img" not in md.value and "![t]" not in md.value


def test_url_parameters_open_the_view(open_app) -> None:
    at = open_app(territory="villeneuve", lang="en", account="vsl_sortir",
                  **{"from": "2026-11-02", "to": "2026-11-15"}, asof=_asof())
    assert at.title[0].value == "Today — Villeneuve-sur-Loire"
    assert at.sidebar.selectbox(key="w_account").value == "vsl_sortir"
    assert at.sidebar.date_input(key="w_period").value == (date(2026, 11, 2), date(2026, 11, 15))
    assert at.query_params["account"] == "vsl_sortir"
    assert at.query_params["from"] == "2026-11-02" and at.query_params["to"] == "2026-11-15"
    # the share link carries the same view
    code = [c.value for c in at.code]
    assert code and "account=vsl_sortir" in code[0] and "lang=en" in code[0]


def test_bad_url_parameters_fall_back_to_defaults(open_app) -> None:
    at = open_app(territory="nowhere", lang="xx", account="x'; DROP TABLE posts; --",
                  **{"from": "not-a-date"}, asof=_asof())
    assert at.title[0].value == "Aujourd'hui — Villeneuve-sur-Loire"
    assert at.sidebar.selectbox(key="w_account").value == ""
    assert at.query_params["lang"] == "fr" and "account" not in at.query_params


def test_changing_a_filter_updates_the_url(open_app) -> None:
    at = open_app(asof=_asof())
    at.sidebar.selectbox(key="w_account").set_value("vsl_proprete").run()
    assert at.query_params["account"] == "vsl_proprete"
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


# ---- every page against the metric functions ---------------------------------------------
PERIOD = {"from": "2026-11-02", "to": "2026-11-28"}  # [2026-11-02, 2026-11-29)
SINCE, UNTIL = date(2026, 11, 2), date(2026, 11, 29)


def _headline(dash_db: Path) -> dict:
    terr, cur = _territory(dash_db)
    try:
        return metrics.headline(cur, terr, SINCE, UNTIL, AS_OF)
    finally:
        cur.close()


def _spec(at: AppTest, n: int = 0) -> dict:
    import json

    return json.loads(at.get("plotly_chart")[n].proto.spec)


def _arr(v) -> list:
    """A Plotly array: plain JSON, or a typed array ``{"dtype", "bdata"}`` (plotly >= 6)."""
    import base64

    import numpy as np

    if isinstance(v, dict) and "bdata" in v:
        return np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"])).tolist()
    return list(v)


def test_every_page_opens_without_error(open_app) -> None:
    from territoires.ui.shell import PAGES

    for lang in ("fr", "en"):
        for page, *_ in PAGES:
            at = open_app(page, lang=lang, asof=_asof(), **PERIOD)
            assert not at.error, (page, [e.value for e in at.error])
            assert at.title and "Villeneuve" in at.title[0].value or page.endswith("definitions.py")


def test_conversations_figures(open_app, dash_db: Path) -> None:
    at = open_app("views/conversations.py", asof=_asof(), q="orage", **PERIOD)
    h = _headline(dash_db)
    spec = _spec(at)
    by_name = {tr["name"]: sum(_arr(tr["y"])) for tr in spec["data"]}
    assert by_name["interpellations"] == h["interpellations"]
    assert by_name["relais"] == h["relays"]
    assert by_name["messages avec hashtag"] == h["hashtag_posts"]
    terr, cur = _territory(dash_db)
    conv = metrics.conversations(cur, terr, SINCE, UNTIL)
    cur.close()
    largest = next(d.value for d in at.dataframe if "size" in d.value.columns)
    assert list(largest["size"]) == list(conv["size"].head(15))
    # the search from the URL ran: 27 days x 2 storm posts + 40 on the storm day
    assert any("92 message(s)" in c.value.replace("\\", "") for c in at.caption)
    assert at.query_params["q"] == "orage"


def test_conversations_opens_a_thread_from_the_url(open_app, dash_db: Path) -> None:
    terr, cur = _territory(dash_db)
    conv = metrics.conversations(cur, terr, SINCE, UNTIL).iloc[0]
    cur.close()
    key = f"{conv.platform}:{conv.conversation_id}"
    at = open_app("views/conversations.py", asof=_asof(), conv=key, **PERIOD)
    assert at.selectbox(key="w_conv").value == key
    assert any(f"{conv['size']} message(s)" in c.value for c in at.caption)
    assert conv.root_text in [x.value for x in at.text]


def test_responsiveness_figures(open_app, dash_db: Path) -> None:
    at = open_app("views/reactivite.py", asof=_asof(), target_rate="80", **PERIOD)
    h = _headline(dash_db)
    i18n.set_lang("fr")
    assert _metric(at, "Interpellations") == [i18n.fmt_int(h["interpellations"])]
    assert _metric(at, "Taux de réponse") == [i18n.fmt_pct(h["response_rate"])]
    assert _metric(at, "Délai médian calendaire") == [
        i18n.fmt_minutes(h["median_response_minutes"])]
    assert _metric(at, "Délai à 90 % calendaire") == [i18n.fmt_minutes(h["p90_response_minutes"])]
    assert _metric(at, "En attente") == [i18n.fmt_int(h["pending"])]
    assert _metric(at, "Sans réponse") == [i18n.fmt_int(h["missed"])]
    assert at.number_input(key="w_target_rate").value == 80
    by_account = at.dataframe[0].value
    assert by_account["interpellations"].sum() == h["interpellations"]
    assert by_account["answered"].sum() == h["answered"]
    # weekly chart: the rates of the weeks
    weekly = _spec(at)
    assert all(0 <= y <= 1 for y in _arr(weekly["data"][0]["y"]))


def test_responsiveness_for_one_account(open_app, dash_db: Path) -> None:
    at = open_app("views/reactivite.py", asof=_asof(), account="vsl_sortir", **PERIOD)
    terr, cur = _territory(dash_db)
    df = metrics.interpellations(cur, terr, SINCE, UNTIL, AS_OF)
    cur.close()
    mine = df[df["addressed_handle"] == "vsl_sortir"]
    i18n.set_lang("fr")
    assert _metric(at, "Interpellations") == [i18n.fmt_int(len(mine))]
    rate = (mine["status"] == "answered").mean()
    assert _metric(at, "Taux de réponse") == [i18n.fmt_pct(rate)]


def test_relays_figures(open_app, dash_db: Path) -> None:
    at = open_app("views/relais.py", asof=_asof(), **PERIOD)
    h = _headline(dash_db)
    i18n.set_lang("fr")
    assert _metric(at, "Relais") == [i18n.fmt_int(h["relays"])]
    assert _metric(at, "Relais locaux") == [i18n.fmt_int(h["local_relays"])]
    assert _metric(at, "Relayeurs locaux") == [i18n.fmt_int(h["local_tweetos"])]
    assert _metric(at, "Portée potentielle") == [i18n.fmt_int(h["potential_reach"])]
    terr, cur = _territory(dash_db)
    tw = metrics.local_tweetos(cur, terr, SINCE, UNTIL, 50)
    cur.close()
    ranking = at.dataframe[0].value
    assert list(ranking["username"]) == ["@" + u for u in tw["username"]]
    assert list(ranking["relays"]) == list(tw["relays"])
    spec = _spec(at)
    assert sum(sum(_arr(tr["y"])) for tr in spec["data"]) == h["relays"]


def test_hashtags_figures_and_spike(open_app, dash_db: Path) -> None:
    at = open_app("views/hashtags.py", asof=_asof(), **PERIOD)
    h = _headline(dash_db)
    i18n.set_lang("fr")
    assert _metric(at, "Messages avec hashtag") == [i18n.fmt_int(h["hashtag_posts"])]
    assert _metric(at, "Messages collectés") == [i18n.fmt_int(h["posts_total"])]
    terr, cur = _territory(dash_db)
    act = metrics.hashtag_activity(cur, terr, SINCE, UNTIL)
    cur.close()
    spec = _spec(at)
    lines = {tr["name"]: sum(_arr(tr["y"])) for tr in spec["data"] if tr.get("mode") == "lines"}
    assert lines == {tag: int(act.loc[act["hashtag"] == tag, "posts"].sum())
                     for tag in terr.hashtags}
    marks = [tr for tr in spec["data"] if tr.get("mode") == "markers+text"]
    assert marks and "2026-11-28" in _arr(marks[0]["x"])[0]  # the storm day is marked


def test_collection_page(open_app, dash_db: Path) -> None:
    at = open_app("views/collecte.py", asof=_asof())
    fresh = at.dataframe[0].value
    assert fresh["pages"].astype(int).sum() == 3 and set(fresh["source"]) == {"test"}
    assert set(fresh["platform"]) == {"X", "Bluesky", "Mastodon"}
    assert any("Aucune collecte" in i.value for i in at.info)
    one = open_app("views/collecte.py", asof=_asof(), platform="mastodon")
    assert list(one.dataframe[0].value["platform"]) == ["Mastodon"]


def test_metrics_link_to_their_definition(open_app) -> None:
    from territoires.ui import docs

    if not docs.DOC.exists():
        pytest.skip("docs/metrics.md not written yet")
    at = open_app(asof=_asof(), **PERIOD)
    helps = {m.label: m.help for m in at.metric}
    slug = docs.anchor("interpellations", "fr")
    link = f"definitions?territory=villeneuve&from=2026-11-02&to=2026-11-28&lang=fr#{slug}"
    assert slug and link in helps["Interpellations"]
    assert f"docs/metrics.md#{slug}" in helps["Interpellations"]
    page = open_app("views/definitions.py", asof=_asof())
    anchors = [h.proto.anchor for h in page.subheader]
    assert slug in anchors and docs.anchor("relays", "en") in anchors


def test_responsiveness_service_p90_matches_the_interpellations(open_app, dash_db: Path) -> None:
    import numpy as np

    at = open_app("views/reactivite.py", asof=_asof(), **PERIOD)
    terr, cur = _territory(dash_db)
    df = metrics.interpellations(cur, terr, SINCE, UNTIL, AS_OF)
    cur.close()
    answered = df["service_response_minutes"].dropna()
    i18n.set_lang("fr")
    assert _metric(at, "Délai à 90 %") == [  # in service hours
        i18n.fmt_minutes(float(np.quantile(answered, 0.9)))]


def test_empty_or_missing_warehouse_says_so(tmp_path: Path, monkeypatch) -> None:
    from warehouse.db import ensure_snapshot

    empty = tmp_path / "empty.duckdb"
    ensure_snapshot(empty)  # migrated, no territory
    monkeypatch.setenv("TERRITOIRES_DB", str(empty))
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception and any("Aucun territoire" in i.value for i in at.info)
    monkeypatch.setenv("TERRITOIRES_DB", str(tmp_path / "nowhere.duckdb"))
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception and any("introuvable" in e.value for e in at.error)
    assert not (tmp_path / "nowhere.duckdb").exists()  # the dashboard never creates one


def test_collection_runs_errors_and_cost(tmp_path: Path, monkeypatch) -> None:
    import json

    from warehouse.db import writer

    db = tmp_path / "runs.duckdb"
    build_warehouse(db)
    now = datetime.now().replace(microsecond=0) - timedelta(hours=2)
    errors = {"count": 2, "items": [
        {"kind": "rate_limit", "message": "429 <b>Too Many</b>", "at": now.isoformat(),
         "endpoint": "/2/tweets/search/recent"},
        {"kind": "server", "message": "503", "at": now.isoformat()}]}
    with writer(db) as con:
        con.execute(
            "INSERT INTO collect_runs (territory, platform, started_at, ended_at, status, pages,"
            " posts, users, errors, cost_usd, message) VALUES"
            " ('villeneuve', 'x', ?, ?, 'ok', 3, 250, 40, ?, 1.65, ''),"
            " ('villeneuve', 'x', ?, ?, 'partial', 2, 100, 10, ?, 0.6, 'rate limited')",
            [now - timedelta(days=1), now - timedelta(days=1) + timedelta(minutes=3),
             json.dumps({"count": 0, "items": []}), now, now + timedelta(minutes=2),
             json.dumps(errors)])
    monkeypatch.setenv("TERRITOIRES_DB", str(db))
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page("views/collecte.py").run()
    assert not at.exception and not at.error
    runs = next(d.value for d in at.dataframe if "run_id" in d.value.columns)
    assert list(runs["pages"]) == ["2", "3"] and "partielle" in runs["status"].iloc[0]
    errs = next(d.value for d in at.dataframe if "kind" in d.value.columns)
    assert list(errs["kind"]) == ["rate_limit", "server"]
    i18n.set_lang("fr")
    values = {m.label: m.value for m in at.metric}
    assert values["Messages"] == "350" and values["Coût enregistré (30 j)"] == "2,25 $"


def test_home_alert_on_the_storm_comes_first(open_app) -> None:
    # the day after the storm: yesterday's #VilleneuveSurLoire is far above its usual level
    at = open_app(asof=_asof())  # 2026-11-29: the storm was yesterday
    assert at.header[0].value == "Alertes"
    assert any("#VilleneuveSurLoire" in w.value and "28 novembre" in w.value for w in at.warning)
    assert "Orage #VilleneuveSurLoire 0" in [x.value for x in at.text]  # the posts behind it


# ---- platforms ------------------------------------------------------------------------------
def test_platform_filter_from_the_url_applies(open_app, dash_db: Path) -> None:
    """``platform=`` in the URL: the sidebar shows it, the URL and share link keep it, and
    every figure equals the metric functions called with ``platform=``."""
    terr, cur = _territory(dash_db)
    try:
        i18n.set_lang("fr")
        for platform in ("bluesky", "mastodon", "x"):
            h = metrics.headline(cur, terr, SINCE, UNTIL, AS_OF, platform=platform)
            at = open_app("views/reactivite.py", asof=_asof(), platform=platform, **PERIOD)
            assert at.sidebar.selectbox(key="w_platform").value == platform
            assert at.query_params["platform"] == platform
            assert f"platform={platform}" in at.code[0].value
            assert _metric(at, "Interpellations") == [i18n.fmt_int(h["interpellations"])]
            assert _metric(at, "Taux de réponse") == [i18n.fmt_pct(h["response_rate"])]
            assert _metric(at, "En attente") == [i18n.fmt_int(h["pending"])]
            by_account = at.dataframe[0].value  # only that platform's accounts
            assert len(by_account) == sum(a.platform == platform for a in terr.accounts)
            at = open_app("views/relais.py", asof=_asof(), platform=platform, **PERIOD)
            assert _metric(at, "Relais") == [i18n.fmt_int(h["relays"])]
            assert _metric(at, "Relais locaux") == [i18n.fmt_int(h["local_relays"])]
            assert _metric(at, "Portée potentielle") == [i18n.fmt_int(h["potential_reach"])]
            at = open_app("views/hashtags.py", asof=_asof(), platform=platform, **PERIOD)
            assert _metric(at, "Messages collectés") == [i18n.fmt_int(h["posts_total"])]
        # Aujourd'hui: the headline figures and the queue of one platform
        today = (AS_OF + timedelta(hours=1)).date()
        h_week = metrics.headline(cur, terr, today - timedelta(days=7), today, AS_OF,
                                  platform="bluesky")
        queue = metrics.pending_queue(cur, terr, AS_OF, limit=1000, platform="bluesky")
        all_queue = metrics.pending_queue(cur, terr, AS_OF, limit=1000)
    finally:
        cur.close()
    assert 0 < len(queue) < len(all_queue)
    at = open_app(asof=_asof(), platform="bluesky")
    assert _metric(at, "Interpellations")[1] == i18n.fmt_int(h_week["interpellations"])
    assert _metric(at, "Relais")[1] == i18n.fmt_int(h_week["relays"])
    assert any(f"{len(queue)} interpellation(s)" in c.value for c in at.caption)
    shown = next(d.value for d in at.dataframe if "age_service" in d.value.columns)
    assert set(shown["platform"]) == {"Bluesky"}
    # an unknown platform falls back to all
    at = open_app(asof=_asof(), platform="myspace")
    assert at.sidebar.selectbox(key="w_platform").value == "" and "platform" not in at.query_params


def test_changing_the_platform_updates_the_url_and_the_accounts(open_app) -> None:
    at = open_app(asof=_asof(), account="vsl_sortir")
    at.sidebar.selectbox(key="w_platform").set_value("mastodon").run()
    assert at.query_params["platform"] == "mastodon"
    assert "account" not in at.query_params  # an X account is not a Mastodon one
    assert at.sidebar.selectbox(key="w_account").options == [
        "Tous les comptes", "@villeneuve@mastodon.social"]


def test_queue_mixes_platforms_with_marker_and_links(open_app, dash_db: Path) -> None:
    terr, cur = _territory(dash_db)
    queue = metrics.pending_queue(cur, terr, AS_OF, limit=1000)
    cur.close()
    assert set(queue["platform"]) == {"x", "bluesky", "mastodon"}
    at = open_app(asof=_asof())
    shown = next(d.value for d in at.dataframe if "age_service" in d.value.columns)
    assert len(shown) == len(queue)
    markers = {"x": "X", "bluesky": "Bluesky", "mastodon": "Mastodon"}
    assert list(shown["platform"]) == [markers[p] for p in queue["platform"]]
    assert list(shown["author"]) == ["@" + u for u in queue["author_username"]]
    for row, platform, post_id in zip(shown.itertuples(), queue["platform"], queue["post_id"],
                                      strict=True):
        if platform == "x":
            assert row.url.startswith("https://x.com/") and row.url.endswith(f"/status/{post_id}")
        elif platform == "bluesky":  # at://<did>/app.bsky.feed.post/<rkey>
            did, rkey = post_id.split("/")[2], post_id.split("/")[4]
            assert row.url == f"https://bsky.app/profile/{did}/post/{rkey}"
            assert not row.author.startswith("@did:")
        else:
            assert row.url == post_id and post_id.startswith("https://")
    # the cards name the platform and the author's username
    cards = [m.value.replace("\\", "") for m in at.markdown if "Bluesky" in m.value]
    assert any(c.startswith(":blue-badge[Bluesky] **@marc.bsky.social (Marc)**")
               for c in cards), cards
    cards = [m.value.replace("\\", "") for m in at.markdown if "Mastodon" in m.value]
    # the account user@server is no e-mail link (a word joiner follows the second @)
    assert any(c.startswith(":violet-badge[Mastodon] **@nina@\u2060mastodon.social")
               for c in cards), cards


def test_audience_by_platform_per_week(open_app, dash_db: Path) -> None:
    """The weekly chart per platform equals an independent count of the metric rows."""
    import pandas as pd

    at = open_app("views/conversations.py", asof=_asof(), **PERIOD)
    terr, cur = _territory(dash_db)
    inter = metrics.interpellations(cur, terr, SINCE, UNTIL, AS_OF)
    rel = metrics.relays(cur, terr, SINCE, UNTIL)
    cur.close()
    expected: dict[tuple[str, str, str], int] = {}
    for kind, df in (("interpellations", inter), ("relais", rel)):
        local = (pd.to_datetime(df["created_at"]).dt.tz_localize("UTC")
                 .dt.tz_convert("Europe/Paris").dt.date)
        for platform, d in zip(df["platform"], local, strict=True):
            week = (d - timedelta(days=d.weekday())).isoformat()
            key = (platform, kind, week)
            expected[key] = expected.get(key, 0) + 1
    spec = _spec(at, 1)
    names = {"X": "x", "Bluesky": "bluesky", "Mastodon": "mastodon"}
    got: dict[tuple[str, str, str], int] = {}
    for tr in spec["data"]:
        if " · " not in tr["name"]:
            continue  # the legend note of the incomplete weeks (no data)
        label, kind = tr["name"].split(" · ")
        for x, y in zip(_arr(tr["x"]), _arr(tr["y"]), strict=True):
            if y:
                got[(names[label], kind, str(x)[:10])] = int(y)
    assert got == expected
    assert {p for p, _, _ in got} == {"x", "bluesky", "mastodon"}
    summary = next(m.value for m in at.markdown if "hors X" in m.value)
    n_bsky = int((inter["platform"] == "bluesky").sum())
    assert f"{n_bsky} interpellations" in summary.replace("\\", "")
    # with a platform filter, only that platform is drawn
    at = open_app("views/conversations.py", asof=_asof(), platform="mastodon", **PERIOD)
    assert {tr["name"].split(" · ")[0] for tr in _spec(at, 1)["data"]
            if " · " in tr["name"]} == {"Mastodon"}


@pytest.mark.parametrize("account", [None, "VSL_Sortir"])
def test_responsiveness_overview_equals_each_figure_alone(dash_db: Path, account) -> None:
    """The Réactivité page reads one computation of the window (page_responsiveness.overview):
    each figure equals its own statement's, for every account and for one (any case)."""
    from pandas.testing import assert_frame_equal

    from warehouse import page_responsiveness as dq

    terr, cur = _territory(dash_db)
    try:
        window = (SINCE, UNTIL, AS_OF, None)
        alone = {"by_account": dq.responsiveness_by_account(cur, terr, *window),
                 "by_week": dq.responsiveness_by_week(cur, terr, *window, account),
                 "grid": dq.arrival_answer_grid(cur, terr, *window, account),
                 "slowest": dq.slowest_answers(cur, terr, *window, account, 20),
                 "missed": dq.missed(cur, terr, *window, account, 100)}
        total = dq.responsiveness_total(cur, terr, *window, account)
        got = dq.overview(cur, terr, *window, account)
        assert got["total"] == total
        assert 0 < total["interpellations"] < got["by_account"]["interpellations"].sum() + (
            0 if account else 1)
        assert len(got["slowest"]) and got["slowest"]["text"].notna().all()
        for key, frame in alone.items():
            assert_frame_equal(got[key], frame, obj=key)
        # the temporary table is gone: the cursor's next statements see no leftover
        assert not cur.execute("SELECT * FROM duckdb_tables() WHERE table_name = '_dq_inter'"
                               ).fetchall()
    finally:
        cur.close()


@pytest.mark.parametrize("platform", [None, "x"])
def test_relays_overview_equals_each_figure_alone(dash_db: Path, platform) -> None:
    """The Relais page reads one computation of the window's relays (page_relays.overview):
    each figure equals its own statement's."""
    from pandas.testing import assert_frame_equal

    from warehouse import page_relays

    terr, cur = _territory(dash_db)
    try:
        window = (SINCE, UNTIL, platform)
        tweetos = metrics.local_tweetos(cur, terr, SINCE, UNTIL,
                                        **({"platform": platform} if platform else {}))
        alone = {"tweetos": tweetos,
                 "newcomers": page_relays.new_local_tweetos(cur, terr, tweetos, SINCE, UNTIL),
                 "over_time": page_relays.relays_over_time(cur, terr, *window),
                 "top": page_relays.top_relayed_posts(cur, terr, *window, 10)}
        figures = page_relays.relay_figures(cur, terr, *window)
        got = page_relays.overview(cur, terr, *window)
        assert got["figures"] == figures
        assert figures["relays"] > 0 and len(tweetos) == figures["local_tweetos"] > 0
        assert len(got["top"]) and got["top"]["text"].notna().all()
        for key, frame in alone.items():
            assert_frame_equal(got[key], frame, obj=key)
        assert not cur.execute("SELECT * FROM duckdb_tables() WHERE table_name = 'relays'"
                               ).fetchall()
    finally:
        cur.close()
