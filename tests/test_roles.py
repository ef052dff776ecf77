"""The roles file of sign-in (territoires/roles.py; docs/deploying.md), the sign-in page in
AppTest (signed out: the sign-in button and nothing else), and ``territoires serve``'s
refusal to listen beyond the loopback without sign-in. The real OpenID Connect flow runs in
tests/test_signin_browser.py."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from territoires import roles
from territoires.commands import serve
from tests.conftest import APP

ROLES = """
admin = ["DSI@villeneuve.fr"]
cm = ["camille@villeneuve.fr", "dsi@villeneuve.fr"]
lecteur = ["elu@villeneuve.fr"]

[service]
voirie = ["voirie@villeneuve.fr"]
"""


def test_the_roles_file_names_people_by_address_with_their_strongest_role() -> None:
    people = roles.parse(ROLES)
    assert roles.person(people, "Camille@Villeneuve.fr") == roles.Person(
        "camille@villeneuve.fr", "cm")
    assert roles.person(people, "dsi@villeneuve.fr").role == "admin"  # type: ignore[union-attr]
    voirie = roles.person(people, "voirie@villeneuve.fr")
    assert voirie == roles.Person("voirie@villeneuve.fr", "service", "voirie")
    assert voirie.can_triage and not voirie.can_share
    elu = roles.person(people, "elu@villeneuve.fr")
    assert elu is not None and not elu.can_triage and not elu.can_share
    assert roles.person(people, "inconnu@ailleurs.fr") is None
    assert roles.person(people, None) is None


@pytest.mark.parametrize("text", ["chef = ['a@b.fr']", "cm = 'pas une adresse'",
                                  "service = ['a@b.fr']", "cm = [", "[service]\nx = 3"])
def test_a_bad_roles_file_is_one_clear_error(text: str) -> None:
    with pytest.raises(roles.RolesError):
        roles.parse(text, "roles.toml")


def test_a_missing_roles_file_lists_nobody(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.delenv("TERRITOIRES_ROLES", raising=False)
    assert roles.roles_path(tmp_path / "t.duckdb") == tmp_path / "t.duckdb.roles.toml"
    assert roles.load(tmp_path / "absent.toml") == {}
    monkeypatch.setenv("TERRITOIRES_ROLES", str(tmp_path / "r.toml"))
    assert roles.roles_path(tmp_path / "t.duckdb") == tmp_path / "r.toml"


def test_signed_out_the_page_holds_the_sign_in_button_only(monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("TERRITOIRES_DB", "/nonexistent/never-read.duckdb")
    at = AppTest.from_file(APP, default_timeout=60)
    at.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback",
                          "cookie_secret": "x" * 32, "client_id": "c", "client_secret": "s",
                          "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration"}
    at.query_params["lang"] = "fr"
    at.run()
    assert not at.exception
    assert [b.label for b in at.button] == ["Se connecter"]
    assert [x.value for x in at.title] == ["Territoires : connexion"]
    assert not at.sidebar.selectbox and not at.error  # no territory list, no warehouse read


def test_a_failing_sign_in_gate_shows_no_data(monkeypatch, tmp_path: Path) -> None:  # noqa: ANN001
    """If the gate itself breaks (an unreadable secrets or roles file…), the page shows the
    error and stops: it never falls back to the dashboard as if sign-in were off."""
    from territoires.ui import auth
    from tests.dashboard_data import build_warehouse as build

    db = tmp_path / "w.duckdb"
    build(db)
    monkeypatch.setenv("TERRITOIRES_DB", str(db))
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["lang"] = "fr"
    at.run()
    assert not at.exception and at.sidebar.selectbox  # sign-in off: the dashboard, as before

    def broken() -> bool:
        raise OSError("secrets.toml: permission denied")

    monkeypatch.setattr(auth, "configured", broken)
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["lang"] = "fr"
    at.run()
    assert not at.exception
    assert at.error  # the plain error message of the boundary
    assert not at.sidebar.selectbox and not at.title and not at.metric  # and nothing else


def test_serve_refuses_to_listen_beyond_the_loopback_without_sign_in(
        tmp_path: Path, db_file: Path, con) -> None:  # noqa: ANN001
    con.close()  # a real, migrated warehouse, closed
    db = db_file
    exe = Path(sys.executable).with_name("territoires")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
           "TERRITOIRES_SECRETS": str(tmp_path / "none.toml")}
    out = subprocess.run([str(exe), "serve", "--db", str(db), "--address", "0.0.0.0"],
                         capture_output=True, text=True, env=env, timeout=60, cwd=tmp_path)
    assert out.returncode == 2, out
    assert "refusing to listen on 0.0.0.0 without sign-in" in out.stderr
    assert "--listen-without-sign-in" in out.stderr


def test_what_counts_as_loopback_and_as_sign_in(tmp_path: Path) -> None:
    assert serve.loopback("127.0.0.1") and serve.loopback("::1") and serve.loopback("localhost")
    assert not serve.loopback("0.0.0.0") and not serve.loopback("192.168.1.5")
    assert not serve.loopback("dashboard.example")  # a name may resolve anywhere
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('[auth]\nredirect_uri = "https://x/oauth2callback"\n')
    assert serve.sign_in_configured([tmp_path / "absent.toml", secrets])
    secrets.write_text('[other]\nk = 1\n')
    assert not serve.sign_in_configured([secrets])


def test_a_service_sees_its_forwarded_items_and_not_another_services_notes(monkeypatch) -> None:  # noqa: ANN001
    import pandas as pd

    from territoires.ui import auth, inbox

    people = roles.parse(ROLES + 'eau = ["eau@villeneuve.fr"]\n')
    monkeypatch.setattr(auth, "current", lambda: people["voirie@villeneuve.fr"])
    monkeypatch.setattr(auth, "people", lambda: people)
    queue = pd.DataFrame({"triage_decision": ["forwarded", "forwarded", None, "note"],
                          "triage_service": ["voirie", "eau", None, None], "n": [1, 2, 3, 4]})
    assert list(inbox.for_person(queue)["n"]) == [1]
    history = [{"decided_by": "camille@villeneuve.fr", "note": "à voir vite"},
               {"decided_by": "eau@villeneuve.fr", "note": "note de l'eau"},
               {"decided_by": "voirie@villeneuve.fr", "note": "fait"},
               {"decided_by": "eau@villeneuve.fr", "note": None},
               {"decided_by": "ancien nom", "note": "avant la connexion"}]
    assert [e["note"] for e in inbox.visible(history)] == ["à voir vite", "fait", None]
    assert auth.may_triage() and not auth.may_share()
    monkeypatch.setattr(auth, "current", lambda: people["elu@villeneuve.fr"])
    assert not auth.may_triage() and not auth.may_share()
    assert len(inbox.for_person(queue)) == 4 and len(inbox.visible(history)) == 5
    monkeypatch.setattr(auth, "current", lambda: None)  # sign-in off: as before
    assert auth.may_triage() and auth.may_share() and len(inbox.for_person(queue)) == 4
