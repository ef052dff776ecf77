"""What leaves the building (issue 16): pseudonyms in every form a platform reads as a
mention or a profile link, user content shown as text, CSV cells that cannot run as
formulas, names and texts bounded and inert for bidi on cards and in reports."""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from territoires import report, report_render, share
from territoires.config import load_config
from territoires.privacy import Pseudonymizer, profiles_from_frame
from territoires.safe_text import csv_safe, display_name, display_text
from territoires.text import i18n
from territoires.ui.render import csv_bytes
from tests.conftest import EXAMPLE_CONFIG, run_app
from tests.scenario import Scenario
from warehouse.db import writer
from warehouse.read import reader_cursor
from warehouse.territory import load_territories

KEY = b"test-secret-for-shared-links-0123456789"
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"


# ---- CSV ------------------------------------------------------------------------------------
def _read_csv(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_csv_cells_cannot_start_a_formula() -> None:
    evil = ["=HYPERLINK(\"http://evil.example\",\"clic\")", "+33 6 12", "-2+3", "@SUM(A1)",
            "\tcmd", "\r=1", "＝1+1", "texte normal", "a=b"]
    df = pd.DataFrame({"text": evil, "n": range(-4, 5), "x": [-1.5] * 9,
                       "cat": pd.Categorical(["=1"] * 9)})
    df = df.rename(columns={"x": "@compte"})
    rows = _read_csv(csv_bytes(df))
    assert rows[0] == ["text", "n", "'@compte", "cat"]
    texts = [r[0] for r in rows[1:]]
    assert texts[:7] == ["'" + v for v in evil[:7]]
    assert texts[7:] == ["texte normal", "a=b"]
    assert [r[1] for r in rows[1:]] == [str(n) for n in range(-4, 5)]  # numbers stay numbers
    assert {r[2] for r in rows[1:]} == {"-1.5"} and {r[3] for r in rows[1:]} == {"'=1"}
    assert df["text"].iloc[0].startswith("=")  # the caller's frame is left as it was


def test_csv_safe_keeps_missing_values_and_dates() -> None:
    df = pd.DataFrame({"t": ["=x", None], "d": pd.to_datetime(["2026-11-16", None])})
    out = csv_safe(df)
    assert out["t"].iloc[0] == "'=x" and pd.isna(out["t"].iloc[1])
    assert out["d"].dtype == df["d"].dtype


# ---- names and texts on cards and in reports ----------------------------------------------------
def test_display_name_drops_controls_and_truncates() -> None:
    name = "Jean\u202eenaJ\r\nDupont\t" + BIDI + "\x00\x1b[31m"
    got = display_name(name)
    assert got == "JeanenaJ Dupont [31m", repr(got)
    long = display_name("A" * 100_000)
    assert len(long) == 80 and long.endswith("…")
    arabic = display_name("بلدية\u202e فيلنوف")
    assert arabic == "\u2068بلدية فيلنوف\u2069"
    assert display_name("Mairie annexe") == "Mairie annexe"  # no isolate for left-to-right
    assert display_name(None) == "" and display_name(float("nan")) == ""
    assert display_name("👨\u200d👩\u200d👧") == "👨\u200d👩\u200d👧"  # joiners inside emoji stay


def test_display_text_keeps_lines_but_bounds_them() -> None:
    assert display_text("a\r\nb\u202e c\n\n\n\n\nd") == "a\nb c\n\nd"
    many = display_text("ligne\n" * 5000)
    assert many.count("\n") == 19 and many.endswith("…")
    assert len(display_text("x" * 100_000)) == 1000


# ---- pseudonyms: every form of mention and profile link -------------------------------------
LEAKS = {  # the text as typed -> what must not survive in a shared view
    "＠priv_bob": "priv_bob",
    "@jean.dupont.fr": "jean.dupont",
    "@carl@piaille.fr": "carl",
    "RT@priv_gus:": "priv_gus",
    "x.com/priv_dan/status/12": "priv_dan",
    "https://twitter.com/priv_ed": "priv_ed",
    "https://bsky.app/profile/eve.bsky.social/post/3k": "eve.bsky",
    "https://piaille.fr/@fred": "fred",
    "https://piaille.fr/@gael@mastodon.social": "gael",
    "https://mastodon.social/users/hugo": "hugo",
    "x.com/i/user/1234567": "1234567",
}
LEAKY_TEXT = "Rue Haute : " + " ".join(LEAKS) + " merci @villeneuve_fr."


def _pseudo(enabled: bool = True) -> Pseudonymizer:
    return Pseudonymizer(load_config(EXAMPLE_CONFIG), [], KEY, enabled=enabled)


def test_scrub_hides_every_mention_and_profile_link_form() -> None:
    got = _pseudo().scrub(LEAKY_TEXT)
    for typed, secret in LEAKS.items():
        assert secret not in got, (typed, got)
    for kept in ("＠…", "@… ", "x.com/…/status/12", "https://twitter.com/…",
                 "https://bsky.app/profile/…/post/3k", "https://piaille.fr/@…",
                 "https://mastodon.social/users/…", "merci @villeneuve_fr."):
        assert kept in got, (kept, got)
    assert _pseudo(enabled=False).scrub(LEAKY_TEXT) == LEAKY_TEXT  # the CM's own view


def test_scrub_keeps_the_city_in_every_form() -> None:
    city = ("@villeneuve_fr ＠vsl_sortir @villeneuve.bsky.social @villeneuve@mastodon.social "
            "x.com/villeneuve_fr/status/1 https://bsky.app/profile/villeneuve.bsky.social "
            "https://mastodon.social/@villeneuve https://mastodon.social/users/villeneuve "
            "x.com/i/web/status/9 x.com/hashtag/Villeneuve jean@example.fr 12 @ 3")
    assert _pseudo().scrub(city) == city


# ---- a warehouse holding hostile names and texts --------------------------------------------
EVIL_NAME = "Alice\u202e\u2066 ecilA\r\nPRIVÉE\t" + "A" * 100_000  # 100 kB, bidi, CR/LF
LINK_NAME = "Voir www.evil.example/login"
URL_NAME = "https://evil.example/x :smile:"
AS_OF = datetime(2026, 11, 29, 8, 0)
MONDAY = date(2026, 11, 16)


def build_hostile(db: Path) -> None:
    """W47 of the demo territory (``shared_text = "show"``): the slowest answer goes to
    ``priv_alice`` (a 100 kB name with bidi controls and line breaks) and her text mentions
    people in every form; ``gros_compte`` (public, 9,000 followers) is named
    ``Voir www.evil.example/login`` and relays a city post full of profile links; two
    interpellations are still waiting in the queue."""
    terr = replace(load_config(EXAMPLE_CONFIG), shared_text="show")
    s = Scenario(terr)
    s.user("villeneuve_fr", name="Ville de Villeneuve", followers=20_000)
    s.user("vsl_sortir", name="Sortir à Villeneuve", followers=8_000)
    s.user("priv_alice", name=EVIL_NAME, location="Villeneuve", followers=10)
    s.user("priv_bob", name="Bob\r\nPrivé", location="Villeneuve", followers=10)
    s.user("gros_compte", name=LINK_NAME, location="Villeneuve", followers=9_000)
    s.user("url_name", name=URL_NAME, location="Villeneuve", followers=9_000)
    slow = s.post("priv_alice", "2026-11-16T08:00", "@villeneuve_fr " + LEAKY_TEXT)
    s.reply("villeneuve_fr", slow, "2026-11-20T17:00", "@priv_alice C'est réparé.")
    root = s.post("priv_bob", "2026-11-18T12:00", "@villeneuve_fr Qui organise la fête ?")
    for k, who in enumerate(["priv_alice", "gros_compte", "priv_alice"]):
        s.reply(who, root, datetime(2026, 11, 18, 13 + k), f"Bonne question {k}")
    hot = s.post("vsl_sortir", "2026-11-19T10:00", "Fête samedi #Villeneuve " + LEAKY_TEXT)
    for who in ("priv_alice", "priv_bob", "gros_compte", "url_name"):
        s.repost(who, hot, "2026-11-19T12:00")
    s.post("priv_bob", "2026-11-17T09:00", "@villeneuve_fr \u202eenarf\r\nsuite\tfin")
    s.post("priv_alice", "2026-11-28T10:00", "@villeneuve_fr " + "ligne\n" * 3000)
    s.post("gros_compte", "2026-11-28T11:00", "@villeneuve_fr Voir www.evil.example/login")
    s.post("url_name", "2026-11-28T12:00", "@villeneuve_fr https://evil.example/x")
    with writer(db) as con:
        s.land(con, fetched_at=AS_OF)


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("hostile") / "hostile.duckdb"
    build_hostile(db)
    return db


@pytest.fixture
def app(hostile_db: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("TERRITOIRES_DB", str(hostile_db))
    monkeypatch.setenv("TERRITOIRES_SHARE_SECRET", KEY.decode())

    def run(**params: str) -> AppTest:
        return run_app(timeout=90, **params)

    return run


def _token() -> str:
    now = datetime.now(UTC).replace(tzinfo=None)
    return share.sign(share.new_link("villeneuve", "revue", MONDAY, MONDAY + timedelta(days=7),
                                     AS_OF, 30, now), KEY)


def _shown(at: AppTest) -> str:
    parts = [e.value for kind in ("title", "markdown", "text", "caption", "code", "info")
             for e in at.get(kind)]
    return re.sub(r"\\(.)", r"\1", "\n".join(str(p) for p in parts))  # Markdown escapes


def test_shared_view_hides_every_mention_form(app) -> None:
    page = _shown(app(share=_token()))
    assert "Rue Haute" in page  # the texts are there (shared_text = "show")...
    for typed, secret in LEAKS.items():
        assert secret not in page, typed  # ...without the people they name
    assert "priv_alice" not in page and "priv_bob" not in page and "ecilA" not in page
    assert "https://bsky.app/profile/…/post/3k" in page and "merci @villeneuve_fr" in page


def test_report_pdf_and_png_hide_every_mention_form(hostile_db: Path, tmp_path: Path) -> None:
    doc = _review_doc(hostile_db, pseudonymize=True)
    pdf, png = _render(doc)
    text = _pdf_text(pdf, tmp_path)
    assert "Rue Haute" in text
    for typed, secret in LEAKS.items():
        assert secret not in text, typed
    assert "priv_alice" not in text and "ecilA" not in text
    drawn = " ".join([it.head + " " + (it.text or "") for s in doc.sections for it in s.items])
    for typed, secret in LEAKS.items():  # the PNG draws these same strings
        assert secret not in drawn, typed
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def _review_doc(db: Path, pseudonymize: bool):  # noqa: ANN202
    i18n.set_lang("fr")
    cur = reader_cursor(db)
    try:
        terr = load_territories(cur)[0]
        review = report.build_review(cur, terr, MONDAY, MONDAY + timedelta(days=7), AS_OF)
    finally:
        cur.close()
    pseudo = Pseudonymizer(terr, profiles_from_frame(review.profiles), KEY,
                           enabled=pseudonymize)
    return report.review_doc(review, pseudo)


def _render(doc) -> tuple[bytes, bytes]:  # noqa: ANN001
    pytest.importorskip("kaleido")
    if not shutil.which("pdftotext") or not Path("/usr/bin/chromium").exists():
        pytest.skip("pdftotext or Debian's chromium not installed")
    try:
        return report_render.render(doc, "pdf"), report_render.render(doc, "png")
    finally:
        report_render.stop_charts()


def _pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "r.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout


def _pdf_pages(pdf: bytes, tmp_path: Path) -> int:
    path = tmp_path / "p.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True,
                          text=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M)[1])  # type: ignore[index]


# ---- names and texts stay bounded, inert, and text ---------------------------------------
def test_queue_cards_show_bounded_one_line_names(app) -> None:
    at = app()
    lines = [m.value for m in at.markdown if "A" * 50 in m.value or "Alice" in m.value]
    assert lines, [m.value for m in at.markdown][:20]
    for v in lines:
        assert len(v) < 400 and not set(v) & set(BIDI + "\r\n\t"), repr(v[:200])
    texts = [t.value for t in at.text if "ligne" in t.value]
    assert texts and all(t.count("\n") < 25 for t in texts)


def test_names_and_links_in_markdown_are_not_links(app) -> None:
    at = app(etat="all")  # url_name's post is a bare link: no answer expected, not "À traiter"
    shown = "\n".join(m.value for m in at.markdown)
    assert "gros_compte" in shown and "url_name" in shown
    unescaped = re.sub(r"\\(.)", r"\1", shown)
    assert "www.evil" not in unescaped and "https://evil" not in unescaped
    assert ":smile:" not in unescaped
    assert "evil.example" in unescaped.replace("\u2060", "")  # still shown, as text


def test_report_with_a_100kb_name_stays_short(hostile_db: Path, tmp_path: Path) -> None:
    doc = _review_doc(hostile_db, pseudonymize=False)  # the CM's minutes: names shown
    heads = [it.head for s in doc.sections for it in s.items]
    assert any("Alice" in h for h in heads)
    assert all(len(h) <= 80 and not set(h) & set(BIDI + "\r\n\t") for h in heads), heads
    pdf, png = _render(doc)
    assert _pdf_pages(pdf, tmp_path) <= 4
    text = _pdf_text(pdf, tmp_path)
    assert "Alice ecilA PRIVÉE AAAA" in text and "\u202e" not in text
    from PIL import Image

    assert Image.open(io.BytesIO(png)).height < 7000


def test_thread_picker_labels_are_one_line(app) -> None:
    at = app(**{"from": "2026-11-16", "to": "2026-11-22"})
    at.switch_page("views/conversations.py").run()
    assert not at.exception, [e.value for e in at.exception]
    labels = at.selectbox(key="w_conv").options
    assert any("enarf suite fin" in o for o in labels), labels
    for o in labels:
        assert not set(o) & set(BIDI + "\r\n\t") and len(o) < 120, repr(o)
