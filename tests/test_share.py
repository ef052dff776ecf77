"""Signed shared links and pseudonymisation: the signature, the expiry, the ``share``
command, and the read-only view a link opens (AppTest, in-process, real warehouse)."""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from territoires import share
from territoires.cli import main
from territoires.config import load_config
from territoires.privacy import Profile, Pseudonymizer, alias_number, is_private
from tests.conftest import EXAMPLE_CONFIG
from tests.review_data import AS_OF, MONDAY, PRIVATE, SECRET, build

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
KEY = SECRET.encode()
NOW = datetime(2026, 11, 30, 9, 0)


def link(**kw: object) -> share.SharedLink:
    args = {"territory": "villeneuve", "page": "revue", "since": MONDAY,
            "until": MONDAY + timedelta(days=7), "as_of": AS_OF, "days": 30, "now": NOW}
    args.update(kw)
    return share.new_link(**args)  # type: ignore[arg-type]


# ---- signatures -----------------------------------------------------------------------------
def test_a_valid_link_is_accepted_with_its_parameters() -> None:
    got = share.verify(share.sign(link(), KEY), KEY, NOW + timedelta(days=29))
    assert (got.territory, got.page, got.since, got.until) == (
        "villeneuve", "revue", MONDAY, MONDAY + timedelta(days=7))
    assert got.as_of == AS_OF and got.expires == NOW + timedelta(days=30)


def test_an_expired_link_is_refused() -> None:
    token = share.sign(link(days=1), KEY)
    with pytest.raises(share.ShareError) as e:
        share.verify(token, KEY, NOW + timedelta(days=1))
    assert e.value.reason == "expired" and e.value.expired_at == NOW + timedelta(days=1)


def test_a_modified_payload_is_refused() -> None:
    token = share.sign(link(), KEY)
    payload, sig = token.split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data["f"] = "2026-01-05"  # widen the period
    forged = base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    for bad in (f"{forged}.{sig}", token[:-1] + ("A" if token[-1] != "A" else "B"),
                token.replace(".", ""), "", f"{payload}.", share.sign(link(), b"x" * 32)):
        with pytest.raises(share.ShareError) as e:
            share.verify(bad, KEY, NOW)
        assert e.value.reason in ("tampered", "malformed"), bad


def test_every_single_character_change_is_refused() -> None:
    token = share.sign(link(), KEY)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    for i in range(0, len(token), 7):
        if token[i] == ".":
            continue
        other = alphabet[(alphabet.index(token[i]) + 1) % len(alphabet)]
        with pytest.raises(share.ShareError):
            share.verify(token[:i] + other + token[i + 1:], KEY, NOW)


def test_the_secret_comes_from_the_environment() -> None:
    with pytest.raises(share.ShareError) as e:
        share.secret_from_env({})
    assert e.value.reason == "no_secret" and "TERRITOIRES_SHARE_SECRET" in str(e.value)
    with pytest.raises(share.ShareError):
        share.secret_from_env({"TERRITOIRES_SHARE_SECRET": "short"})
    assert share.secret_from_env({"TERRITOIRES_SHARE_SECRET": SECRET}) == KEY


def test_share_command_prints_a_verifiable_url(monkeypatch: pytest.MonkeyPatch, capsys,
                                               tmp_path: Path) -> None:
    monkeypatch.setenv("TERRITOIRES_SHARE_SECRET", SECRET)
    db = tmp_path / "none.duckdb"
    rc = main(["share", "--config", str(EXAMPLE_CONFIG), "--week", "2026-W47", "--days", "3",
               "--db", str(db), "--base-url", "https://cm.example.fr/"])
    out, err = capsys.readouterr()
    assert rc == 0 and SECRET not in out + err
    m = re.fullmatch(r"https://cm\.example\.fr/\?share=([\w.-]+)\n", out)
    assert m, out
    got = share.verify(m[1], KEY, datetime.now(UTC).replace(tzinfo=None))
    assert (got.since, got.until, got.page) == (date(2026, 11, 16), date(2026, 11, 23), "revue")
    assert got.expires - datetime.now(UTC).replace(tzinfo=None) < timedelta(days=3)


def test_share_command_without_secret_says_so(monkeypatch: pytest.MonkeyPatch, capsys,
                                              tmp_path: Path) -> None:
    monkeypatch.delenv("TERRITOIRES_SHARE_SECRET", raising=False)
    # a warehouse with no secret file beside it (the checkout's default one may have one,
    # written by `make demo`)
    monkeypatch.setenv("TERRITOIRES_DB", str(tmp_path / "none.duckdb"))
    rc = main(["share", "--config", str(EXAMPLE_CONFIG), "--week", "2026-W47"])
    err = capsys.readouterr().err
    assert rc == 2 and len(err.strip().splitlines()) == 1 and "TERRITOIRES_SHARE_SECRET" in err


# ---- the privacy rule -------------------------------------------------------------------------
def test_who_is_private() -> None:
    terr = load_config(EXAMPLE_CONFIG)  # threshold 5000

    def p(**kw: object) -> Profile:
        base = {"platform": "x", "id": "1", "username": "u", "verified": False,
                "verified_type": None, "followers_count": 10, "is_city": False}
        return Profile(**{**base, **kw})  # type: ignore[arg-type]

    assert is_private(p(), terr)
    assert is_private(p(followers_count=None), terr)
    assert is_private(p(followers_count=4999, verified_type="none"), terr)
    assert not is_private(p(followers_count=5000), terr)
    assert not is_private(p(verified=True), terr)
    assert not is_private(p(verified_type="business"), terr)
    assert not is_private(p(verified_type="government"), terr)
    assert not is_private(p(is_city=True), terr)


def test_aliases_are_stable_and_distinct() -> None:
    terr = load_config(EXAMPLE_CONFIG)
    people = [Profile("x", str(i), f"u{i}", False, None, 1, False) for i in range(300)]
    a = Pseudonymizer(terr, people, KEY)
    b = Pseudonymizer(terr, list(reversed(people)), KEY)
    names = [a.label("x", str(i), f"u{i}") for i in range(300)]
    assert names == [b.label("x", str(i), f"u{i}") for i in range(300)]
    assert len(set(names)) == 300 and all(re.fullmatch(r"Habitant·e \d{1,4}", n) for n in names)
    other = Pseudonymizer(terr, people, b"another-secret-0123456789")
    assert names != [other.label("x", str(i), f"u{i}") for i in range(300)]
    # texts: truncated (the config's default), mentions of non-city accounts masked
    text = a.text("x", "1", "@villeneuve_fr mon voisin @jean_dupont " + "bla " * 40)
    assert text and text.startswith("@villeneuve_fr mon voisin @… ") and text.endswith("…")
    assert len(text) <= 82 and a.url("x", "1", "https://x.com/u1/status/9") is None
    cm = Pseudonymizer(terr, people, KEY, enabled=False)
    assert cm.label("x", "1", "u1") == "@u1" and cm.text("x", "1", "@jean x") == "@jean x"


# ---- the shared view (AppTest) --------------------------------------------------------------
@pytest.fixture(scope="module")
def sh_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("share") / "share.duckdb"
    build(db)
    return db


@pytest.fixture
def open_link(sh_db: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("TERRITOIRES_DB", str(sh_db))
    monkeypatch.setenv("TERRITOIRES_SHARE_SECRET", SECRET)

    def run(token: str) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=90)
        at.query_params["share"] = token
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    return run


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def everything(at: AppTest) -> str:
    parts = [e.value for kind in ("title", "markdown", "text", "caption", "code", "info")
             for e in at.get(kind)]
    return re.sub(r"\\(.)", r"\1", "\n".join(str(p) for p in parts))  # Markdown escapes


def test_a_shared_link_opens_the_fixed_view_only(open_link) -> None:
    at = open_link(share.sign(link(now=_now()), KEY))
    assert at.title[0].value == "Revue de la semaine — Villeneuve-sur-Loire"
    page = everything(at)
    assert "Semaine 47 · du lundi 16 novembre 2026 au dimanche 22 novembre 2026" in page
    assert "Vue partagée, en lecture seule" in page
    assert "Vie privée" in page  # the one line explaining pseudonymisation
    assert not list(at.sidebar)[0].children  # no filter at all
    for kind in ("selectbox", "date_input", "segmented_control", "number_input", "button",
                 "text_input"):
        assert not at.get(kind), kind
    assert len(at.get("plotly_chart")) == 3
    # only the shared page is registered: the collection and admin pages are unreachable
    with pytest.raises(ValueError, match="Known pages: \\['.*views/revue.py'\\]"):
        at.switch_page("views/collecte.py")
    assert dict(at.query_params) == {"share": at.query_params["share"]}


def test_pseudonyms_hide_private_people_and_stay_stable(open_link) -> None:
    token = share.sign(link(now=_now()), KEY)
    first, again = open_link(token), open_link(token)  # two sessions: a reload
    page = everything(first)
    for handle in PRIVATE:
        assert handle not in page, handle
    assert "Carole Privée" not in page and "Nina Nouvelle" not in page and "Dédé" not in page
    aliases = re.findall(r"(?<!« )Habitant·e \d+", page)
    assert len(set(aliases)) == 3, aliases  # conversation starter, slowest answer, newcomer
    assert aliases == re.findall(r"(?<!« )Habitant·e \d+", everything(again))
    assert f"Habitant·e {alias_number(KEY, 'x', '10002')}" in aliases  # carole_priv's id
    # the city and verified organisations keep their names
    assert "@vsl_sortir" in page and "@mairie_verifiee (Mairie annexe)" in page
    # private people's texts truncated (config: truncate), their post links dropped
    texts = [t.value for t in first.text]
    assert any(t.startswith("@villeneuve_fr Trou énorme") and t.endswith("…") for t in texts)
    assert not any("vite svp" in t for t in texts)
    assert "x.com/i/web" not in page and "carole_priv/status" not in page


@pytest.mark.parametrize("case", ["tampered", "expired", "garbage"])
def test_a_bad_link_shows_a_clear_page_and_nothing_else(open_link, case: str) -> None:
    token = share.sign(link(now=_now() - timedelta(days=40)), KEY)  # valid 30 days: expired
    if case == "tampered":
        token = share.sign(link(now=_now()), KEY)
        token = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    elif case == "garbage":
        token = "not-a-token"
    at = open_link(token)
    title = "Ce lien a expiré" if case == "expired" else "Ce lien n'est pas valide"
    assert [t.value for t in at.title] == [title]
    assert not at.get("plotly_chart") and not at.get("download_button") and not at.text
    assert "Villeneuve" not in everything(at) and "Demandez un nouveau lien" in everything(at)


def test_links_are_disabled_without_a_secret_on_the_server(open_link, monkeypatch) -> None:
    token = share.sign(link(now=_now()), KEY)
    monkeypatch.delenv("TERRITOIRES_SHARE_SECRET")
    at = open_link(token)
    assert [t.value for t in at.title] == ["Les liens partagés sont désactivés"]
    assert not at.get("plotly_chart")
