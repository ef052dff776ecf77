"""``territoires alert`` (docs/deploying.md, "Alerts") against a real local SMTP server
(aiosmtpd on 127.0.0.1, a random port) and a local HTTP receiver (http.server): the digest's
content, thresholds, deduplication across runs, failure then retry, dry-run, and a private
person's text withheld from a webhook."""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from model import ConfigError, parse_config
from territoires.cli import main
from tests.conftest import EXAMPLE_CONFIG
from tests.inbox_data import LAMPADAIRE, POUBELLES, build
from warehouse import alerts as record
from warehouse.db import connect

NOW = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)  # a Tuesday; the posts are from Sunday
AS_OF = "2026-03-10T09:30"  # local: after 08:45, the digest is due


class Inbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        self.messages.append(msg)
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture()
def smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Inbox, Controller]]:
    inbox = Inbox()
    port = _free_port()
    ctl = Controller(inbox, hostname="127.0.0.1", port=port)
    ctl.start()
    monkeypatch.setenv("TERRITOIRES_SMTP_URL", f"smtp://127.0.0.1:{port}")
    monkeypatch.setenv("TERRITOIRES_SMTP_FROM", "alertes@villeneuve.test")
    monkeypatch.setenv("TERRITOIRES_PUBLIC_URL", "https://territoires.villeneuve.test")
    monkeypatch.setenv("TERRITOIRES_ALERT_TIMEOUT", "5")
    try:
        yield inbox, ctl
    finally:
        try:
            ctl.stop()
        except (AssertionError, RuntimeError):
            pass  # stopped by the test


class Hook:
    """A local webhook receiver: records each JSON body, answers ``status``."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.status = 200
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                n = int(self.headers.get("Content-Length", 0))
                hook.bodies.append(json.loads(self.rfile.read(n)))
                self.send_response(hook.status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/secret-token"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def hook() -> Iterator[Hook]:
    h = Hook()
    try:
        yield h
    finally:
        h.close()


def _config(tmp_path: Path, hook_url: str, extra: str = "") -> Path:
    text = EXAMPLE_CONFIG.read_text(encoding="utf-8")
    text += ("\n[alerts]\nemail = [\"cm@villeneuve-sur-loire.fr\"]\n"
             f"webhooks = [\"{hook_url}\"]\ndigest_at = \"08:45\"\n"
             f"pending_over_service_minutes = 240\n{extra}")
    path = tmp_path / "v.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture()
def wh(tmp_path: Path) -> Path:
    db = tmp_path / "w.duckdb"
    build(db, now=NOW)
    return db


def _alert(config: Path, db: Path, *extra: str, as_of: str = AS_OF) -> int:
    return main(["alert", "--config", str(config), "--db", str(db), "--as-of", as_of, *extra])


def _rows(db: Path) -> list[dict[str, object]]:
    con = connect(db)
    try:
        return record.history(con, "villeneuve")
    finally:
        con.close()


def test_digest_content_thresholds_and_no_second_send(
        tmp_path: Path, wh: Path, smtp: tuple[Inbox, Controller], hook: Hook,
        capsys: pytest.CaptureFixture[str]) -> None:
    inbox, _ = smtp
    config = _config(tmp_path, hook.url)
    assert _alert(config, wh) == 0
    subjects = [str(m["Subject"]).strip() for m in inbox.messages]
    assert subjects == ["Villeneuve-sur-Loire : le point du mardi 10 mars 2026",
                        "Villeneuve-sur-Loire : 8 interpellation(s) attendent depuis plus "
                        "de 4 h"]
    digest = inbox.messages[0]
    assert digest["To"] == "cm@villeneuve-sur-loire.fr"
    assert digest.get_content_type() == "text/plain"
    text = digest.get_content()
    print(text)  # the digest as received (shown with -s)
    # what waits, oldest first, each with its wait in service hours (Sunday posts, Monday
    # 09:00-18:00 and Tuesday 09:00-09:30 of the account's opening: 9 h 30)
    assert "Ce qui attend une réponse (8), du plus ancien au plus récent :" in text
    assert text.index(LAMPADAIRE) < text.index(POUBELLES)
    assert text.count("attend depuis 9 h 30 (heures d'ouverture)") == 8
    assert "Merci beaucoup" not in text  # no answer expected: not waiting
    assert "Les chiffres d'hier (9 mars 2026) :" in text
    assert "- Interpellations : 0" in text and "- Messages collectés : 0" in text
    assert "Le tableau de bord : https://territoires.villeneuve.test" in text
    # the webhook got the same two messages, Slack-compatible
    assert len(hook.bodies) == 2 and all(set(b) == {"text"} for b in hook.bodies)
    rows = _rows(wh)
    assert len(rows) == 2 * (1 + 8)
    assert all(r["status"] == "sent" and r["attempts"] == 1 and r["body"] is None for r in rows)
    assert not any("secret-token" in str(r["channel"]) for r in rows)
    # a second run, later the same day: nothing new is due, nothing is sent again
    assert _alert(config, wh, as_of="2026-03-10T11:00") == 0
    assert len(inbox.messages) == 2 and len(hook.bodies) == 2


def test_digest_due_only_after_digest_at_on_working_days_and_spikes(
        tmp_path: Path, wh: Path, smtp: tuple[Inbox, Controller], hook: Hook) -> None:
    inbox, _ = smtp
    config = _config(tmp_path, hook.url)
    text = config.read_text(encoding="utf-8").replace("= 240", "= 100000")
    config.write_text(text, encoding="utf-8")  # no waiting alert in this test
    assert _alert(config, wh, as_of="2026-03-10T08:30") == 0  # Tuesday, before 08:45
    assert inbox.messages == [] and hook.bodies == []
    # Sunday: no digest (not a working day), but the 10 mentions of the city that day are
    # a spike (usual: 0 a day)
    assert _alert(config, wh, as_of="2026-03-08T23:00") == 0
    assert [str(m["Subject"]).strip() for m in inbox.messages] == [
        "Villeneuve-sur-Loire : pic inhabituel (1)"]
    assert "Pic sur mentions le 8 mars 2026 : 10 messages" in inbox.messages[0].get_content()
    assert _alert(config, wh, as_of="2026-03-09T07:00") == 0  # the same spike: not again
    assert len(inbox.messages) == 1
    # a missed digest (cron down in the morning) goes at the next run of the same day
    assert _alert(config, wh, as_of="2026-03-10T16:10") == 0
    assert [str(m["Subject"]).strip() for m in inbox.messages[1:]] == [
        "Villeneuve-sur-Loire : le point du mardi 10 mars 2026"]
    assert "à 16:10" in inbox.messages[1].get_content()
    # a public holiday (2026-05-01, a Friday): no digest
    assert _alert(config, wh, as_of="2026-05-01T10:00") == 0
    assert len(inbox.messages) == 2


def test_dry_run_sends_and_records_nothing(
        tmp_path: Path, wh: Path, smtp: tuple[Inbox, Controller], hook: Hook,
        capsys: pytest.CaptureFixture[str]) -> None:
    inbox, _ = smtp
    assert _alert(_config(tmp_path, hook.url), wh, "--dry-run") == 0
    out = capsys.readouterr().out
    assert "--- would send digest 2026-03-10 to email:cm@villeneuve-sur-loire.fr" in out
    assert inbox.messages == [] and hook.bodies == [] and _rows(wh) == []


def test_failure_is_reported_then_retried_without_loss(
        tmp_path: Path, wh: Path, smtp: tuple[Inbox, Controller], hook: Hook,
        capsys: pytest.CaptureFixture[str], request: pytest.FixtureRequest) -> None:
    inbox, ctl = smtp
    config = _config(tmp_path, hook.url)
    ctl.stop()  # the mail server is down
    hook.status = 500  # and the webhook fails
    assert _alert(config, wh) == 1
    err = capsys.readouterr().err
    assert "not sent, retried next run" in err and "HTTP 500 from 127.0.0.1" in err
    assert "secret-token" not in err
    rows = _rows(wh)
    assert rows and all(r["status"] == "failed" and r["attempts"] == 1 and r["body"]
                        for r in rows)
    up = Controller(inbox, hostname="127.0.0.1", port=ctl.port)  # the server is back
    up.start()
    request.addfinalizer(up.stop)
    hook.status = 200
    hook.bodies.clear()
    assert _alert(config, wh, as_of="2026-03-10T10:00") == 0
    assert [str(m["Subject"]).strip().split(" : ")[1] for m in inbox.messages] == [
        "le point du mardi 10 mars 2026", "8 interpellation(s) attendent depuis plus de 4 h"]
    assert len(hook.bodies) == 2
    rows = _rows(wh)
    assert all(r["status"] == "sent" and r["attempts"] == 2 for r in rows)
    assert _alert(config, wh, as_of="2026-03-10T10:30") == 0
    assert len(inbox.messages) == 2 and len(hook.bodies) == 2


def test_a_forgotten_person_leaves_no_text_in_an_alert_waiting_for_its_retry(
        tmp_path: Path, wh: Path, smtp: tuple[Inbox, Controller], hook: Hook,
        request: pytest.FixtureRequest) -> None:
    """An alert that failed keeps its text for the retry; erasing a person (GDPR) must not
    leave her post there: undelivered alerts go with the posts and the next run recomputes
    what is still due, without her."""
    inbox, ctl = smtp
    config = _config(tmp_path, hook.url)
    ctl.stop()
    hook.status = 500
    assert _alert(config, wh) == 1
    assert any("lampadaire" in str(r["body"]) for r in _rows(wh))  # alice's post, kept
    assert main(["forget", "alice", "--db", str(wh)]) == 0
    assert not any("lampadaire" in str(r["body"] or "") for r in _rows(wh))
    up = Controller(inbox, hostname="127.0.0.1", port=ctl.port)
    up.start()
    request.addfinalizer(up.stop)
    hook.status = 200
    assert _alert(config, wh, as_of="2026-03-10T10:00") == 0
    subjects = [str(m["Subject"]).strip().split(" : ")[1] for m in inbox.messages]
    assert subjects[0] == "le point du mardi 10 mars 2026"  # the digest, recomputed, goes
    assert inbox.messages and not any("lampadaire" in m.get_content() for m in inbox.messages)
    assert hook.bodies and all(r["status"] == "sent" for r in _rows(wh))


def test_private_text_withheld_from_a_webhook_unless_allowed(
        tmp_path: Path, wh: Path, smtp: tuple[Inbox, Controller], hook: Hook) -> None:
    inbox, _ = smtp
    assert _alert(_config(tmp_path, hook.url), wh) == 0
    posted = hook.bodies[0]["text"]
    # alice (120 followers) is a private person: neither her text nor her handle
    assert "lampadaire" not in posted and "alice" not in posted
    assert "un·e habitant·e" in posted
    assert "lampadaire" in inbox.messages[0].get_content()  # the CM's e-mail has it
    # bob (5000 followers) is named, his text made inert (no mention notifies)
    assert "@\u200bvilleneuve_fr Les poubelles" in posted
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    db2 = allowed / "w.duckdb"
    build(db2, now=NOW)
    hook.bodies.clear()
    assert _alert(_config(allowed, hook.url, "webhook_post_text = true\n"), db2) == 0
    assert "lampadaire" in hook.bodies[0]["text"]


def test_webhook_text_is_inert() -> None:
    from territoires.alerts.safe import webhook_text
    got = webhook_text("@channel <!here> [clic](https://evil.example) `x` www.evil.fr")
    assert "@channel" not in got and "<!here>" not in got and "](" not in got
    assert "https://" not in got and "www." not in got and "`" not in got


def test_alerts_section_is_validated() -> None:
    base = {"territory": {"name": "V", "slug": "v", "timezone": "Europe/Paris"},
            "accounts": [{"platform": "x", "handle": "v"}]}
    ok = parse_config({**base, "alerts": {"email": ["cm@v.fr"], "digest_at": "07:05"}})
    assert ok.alerts is not None and ok.alerts.digest_at == "07:05"
    assert ok.alerts.pending_over_service_minutes == 240 and not ok.alerts.webhook_post_text
    for bad, key in (({"digest_at": "8h45"}, "alerts.digest_at"),
                     ({"email": ["not an address"]}, "alerts.email"),
                     ({"webhooks": ["ftp://x"]}, "alerts.webhooks"),
                     ({"pending_over_service_minutes": 0}, "alerts.pending_over_service"),
                     ({"webhook_text": True}, "alerts.webhook_text")):
        with pytest.raises(ConfigError, match=key):
            parse_config({**base, "alerts": bad})


def test_no_alerts_section_is_one_line(tmp_path: Path, wh: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["alert", "--config", str(EXAMPLE_CONFIG), "--db", str(wh)]) == 2
    assert "no [alerts] section" in capsys.readouterr().err


def test_monday_digest_has_sundays_figures_and_spike(
        tmp_path: Path, wh: Path, smtp: tuple[Inbox, Controller], hook: Hook) -> None:
    inbox, _ = smtp
    assert _alert(_config(tmp_path, hook.url), wh, as_of="2026-03-09T09:30") == 0
    # Monday 09:30: the Sunday posts waited 30 min of service hours, under the threshold
    assert [str(m["Subject"]).strip() for m in inbox.messages] == [
        "Villeneuve-sur-Loire : le point du lundi 9 mars 2026",
        "Villeneuve-sur-Loire : pic inhabituel (1)"]
    text = inbox.messages[0].get_content().replace("\r\n", "\n")  # as SMTP carries it
    print(text)  # the digest as received (shown with -s)
    assert text.count("attend depuis 30 min (heures d'ouverture)") == 8
    assert "Les chiffres d'hier (8 mars 2026) :" in text
    assert "- Interpellations : 10\n- Répondues : 1\n- Taux de réponse : 10,0\u202f%" in text
    assert "- Attendaient une réponse : 9\n" in text
    assert "Pics inhabituels :\n- Pic sur mentions le 8 mars 2026 : 10 messages" in text
