"""What leaves the building (issue 16): pseudonyms in every form a platform reads as a
mention or a profile link, user content shown as text, CSV cells that cannot run as
formulas, names and texts bounded and inert for bidi on cards and in reports."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd

from territoires.config import load_config
from territoires.privacy import Pseudonymizer
from territoires.safe_text import csv_safe, display_name, display_text
from territoires.ui.render import csv_bytes
from tests.conftest import EXAMPLE_CONFIG

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
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


# ---- pseudonyms: every form of mention and profile link -----------------------------------------
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
