"""Sign-in end to end (issue 19): a REAL OpenID Connect authorization-code flow in Chromium,
through the real ``territoires serve`` (Streamlit's native ``st.login``, Authlib) and a local
provider on 127.0.0.1: panva's ``oidc-provider`` (tests/oidc/, installed by
``npm ci --prefix tests/oidc``; .ci/run does it).

Signed out, the page holds the sign-in button and no data; signed in as a ``lecteur``, no
triage control; as a ``cm``, a decision is recorded in the triage journal under the signed-in
e-mail address; an address the roles file does not list gets the no-access page; a shared
link still opens without sign-in. Screenshots in artifacts/ (signin-signed-out.png,
signin-provider.png, signin-cm.png; copies in docs/img/ for docs/deploying.md).
"""

from __future__ import annotations

import contextlib
import secrets
import shutil
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from territoires import share
from territoires.ui import inbox
from tests.inbox_data import MERCI_REQUEST, QUESTION, Built, build
from tests.live import ROOT, dashboard, free_port, needs_chromium, settle
from warehouse import triage_journal as journal

OIDC = ROOT / "tests" / "oidc"
PROVIDER = OIDC / "node_modules" / "oidc-provider"
pytestmark = [*needs_chromium, pytest.mark.skipif(
    not PROVIDER.exists() or shutil.which("node") is None,
    reason="the local OIDC provider is not installed: npm ci --prefix tests/oidc")]
IMG = ROOT / "artifacts"
TITLE = "Aujourd'hui"
CM, LECTEUR, STRANGER = "camille.dupont@villeneuve.fr", "elu@villeneuve.fr", "x@ailleurs.fr"
ROLES = f"""cm = ["{CM}"]
lecteur = ["{LECTEUR}"]
"""
ACTION = "Pas de réponse attendue"
SHARE_SECRET = secrets.token_urlsafe(32)


@contextlib.contextmanager
def provider(port: int, redirect: str, client_id: str, client_secret: str,
             log: Path) -> Iterator[str]:
    """The OIDC provider on 127.0.0.1:``port`` (its output in ``log``); yields its issuer
    once it listens."""
    with open(log, "w") as out:
        proc = subprocess.Popen(["node", str(OIDC / "provider.mjs"), str(port), redirect,
                                 client_id, client_secret], stdout=out,
                                stderr=subprocess.STDOUT, cwd=OIDC)
    try:
        deadline = time.monotonic() + 30
        while not (ready := [x for x in log.read_text().splitlines() if x.startswith("ready ")]):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the OIDC provider did not start: {log.read_text()}")
            time.sleep(0.1)
        yield ready[0].split()[1]
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, Built]]:
    tmp = tmp_path_factory.mktemp("signin")
    db = tmp / "signin.duckdb"
    built = build(db)
    Path(f"{db}.roles.toml").write_text(ROLES, encoding="utf-8")  # beside the warehouse
    app_port, idp_port = free_port(), free_port()
    redirect = f"http://127.0.0.1:{app_port}/oauth2callback"
    client_id, client_secret = "territoires", secrets.token_urlsafe(24)
    with provider(idp_port, redirect, client_id, client_secret, tmp / "oidc.log") as issuer:
        secrets_file = tmp / "secrets.toml"
        secrets_file.write_text(f"""[auth]
redirect_uri = "{redirect}"
cookie_secret = "{secrets.token_urlsafe(32)}"
client_id = "{client_id}"
client_secret = "{client_secret}"
server_metadata_url = "{issuer}/.well-known/openid-configuration"
# Streamlit asks for prompt=select_account by default, which oidc-provider does not know
client_kwargs = {{ prompt = "login" }}
""", encoding="utf-8")
        env = {"TERRITOIRES_SECRETS": str(secrets_file), "TERRITOIRES_SHARE_SECRET": SHARE_SECRET}
        env_clear = {"TERRITOIRES_USER_HEADER": "", "TERRITOIRES_ROLES": ""}
        with dashboard(db, {**env, **env_clear}, port=app_port) as base:
            yield base, db, built


def sign_in(page, base: str, email: str, shot: str | None = None) -> None:  # noqa: ANN001
    """The sign-in button, the provider's login form, and back to the dashboard."""
    page.goto(f"{base}/?lang=fr")
    page.get_by_role("button", name="Se connecter").click()
    page.locator('input[name="login"]').wait_for(timeout=30_000)
    page.fill('input[name="login"]', email)
    page.fill('input[name="password"]', "any")
    if shot:
        page.screenshot(path=str(IMG / shot))
    page.locator('button[type="submit"]').first.click()


def main_text(page) -> str:  # noqa: ANN001
    """The page's text, without the word joiners that escaping puts after an @."""
    return page.locator("body").inner_text().replace("\u2060", "")


def test_signed_out_the_page_shows_the_sign_in_button_and_no_data(served, browser) -> None:  # noqa: ANN001
    base, _db, _built = served
    IMG.mkdir(parents=True, exist_ok=True)
    ctx = browser.new_context(viewport={"width": 1200, "height": 700})
    try:
        page = ctx.new_page()
        page.goto(f"{base}/?lang=fr")
        settle(page, "Territoires : connexion")
        assert page.get_by_role("button").filter(has_text="Se connecter").count() == 1
        text = main_text(page)
        for secret in (MERCI_REQUEST, QUESTION, "Villeneuve", "Aujourd'hui"):
            assert secret not in text
        assert page.locator('[data-testid="stSidebar"]').count() == 0
        page.screenshot(path=str(IMG / "signin-signed-out.png"))
        # a deep link is no way around it
        page.goto(f"{base}/conversations?lang=fr&territory=villeneuve")
        settle(page, "Territoires : connexion")
        assert "Villeneuve" not in main_text(page)
    finally:
        ctx.close()


def test_a_lecteur_sees_the_inbox_without_triage_controls(served, browser) -> None:  # noqa: ANN001
    base, _db, built = served
    ctx = browser.new_context(viewport={"width": 1400, "height": 1100})
    try:
        page = ctx.new_page()
        sign_in(page, base, LECTEUR)
        settle(page, TITLE)
        assert MERCI_REQUEST in main_text(page)
        k = inbox.card_key("x", built.ids[MERCI_REQUEST])
        assert page.locator(f".st-key-card-{k}").count() == 1
        assert page.get_by_role("button", name=ACTION).count() == 0
        assert page.get_by_label("Votre nom (journal de triage)").count() == 0
        assert "Lecture seule" in main_text(page)
        sidebar = page.locator('[data-testid="stSidebar"]').inner_text().replace("\u2060", "")
        assert f"{LECTEUR} · lecture seule" in sidebar
    finally:
        ctx.close()


def test_a_cm_records_a_decision_under_the_signed_in_address(served, browser) -> None:  # noqa: ANN001
    base, db, built = served
    ctx = browser.new_context(viewport={"width": 1400, "height": 1100})
    try:
        page = ctx.new_page()
        sign_in(page, base, CM, shot="signin-provider.png")
        settle(page, TITLE)
        assert page.get_by_label("Votre nom (journal de triage)").count() == 0  # no name field
        k = inbox.card_key("x", built.ids[MERCI_REQUEST])
        first = page.locator(f".st-key-card-{k}").get_by_role("button", name=ACTION)
        assert first.is_enabled()
        page.screenshot(path=str(IMG / "signin-cm.png"))
        first.click()
        deadline = time.monotonic() + 30
        while MERCI_REQUEST in page.locator('[data-testid="stMain"] [data-testid="stText"]'
                                             ).all_inner_texts():
            assert time.monotonic() < deadline, "the decision did not leave the queue"
            time.sleep(0.25)
        (d,) = journal.history(db, "villeneuve", [("x", built.ids[MERCI_REQUEST])])
        assert (d["decision"], d["decided_by"]) == ("no_answer_expected", CM)
        # signing out brings the sign-in page back
        page.get_by_role("button", name="Se déconnecter").click()
        settle(page, "Territoires : connexion")
    finally:
        ctx.close()


def test_an_unlisted_address_gets_no_access_and_a_shared_link_needs_no_sign_in(
        served, browser) -> None:  # noqa: ANN001
    base, db, _built = served
    ctx = browser.new_context(viewport={"width": 1200, "height": 800})
    try:
        page = ctx.new_page()
        sign_in(page, base, STRANGER)
        settle(page, "Accès non autorisé")
        text = main_text(page)
        assert STRANGER in text and MERCI_REQUEST not in text and "Villeneuve" not in text
    finally:
        ctx.close()
    ctx = browser.new_context(viewport={"width": 1200, "height": 800})
    try:
        now = datetime.now(UTC).replace(tzinfo=None)
        link = share.new_link("villeneuve", "revue", now.date().replace(day=1), now.date(),
                              now, 7, now)
        page = ctx.new_page()
        page.goto(share.link_url(base, share.sign(link, SHARE_SECRET.encode())))
        page.locator("h1").first.wait_for(timeout=90_000)
        assert "Territoires : connexion" not in main_text(page)
        assert page.get_by_role("button", name="Se connecter").count() == 0
    finally:
        ctx.close()
