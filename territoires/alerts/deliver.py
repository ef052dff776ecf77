"""Delivering an alert message: e-mail through ``$TERRITOIRES_SMTP_URL``, webhooks as
Slack-compatible JSON ``{"text": …}`` (docs/deploying.md, "Alerts").

Each function returns None when the message was accepted, else one line saying why not
(never a secret: a webhook is named by its host, the SMTP password is never echoed). The
e-mail is ``text/plain; charset=utf-8`` (no HTML part: nothing of a post's author can be
rendered as markup).
"""

from __future__ import annotations

import hashlib
import smtplib
import socket
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import urlsplit

import requests

from model import settings


def webhook_channel(url: str) -> str:
    """A webhook as a recorded channel: its host and a hash of the URL (the URL is a secret)."""
    digest = hashlib.sha256(url.encode()).hexdigest()[:12]
    return f"webhook:{urlsplit(url).hostname or '?'}#{digest}"


def send_webhook(url: str, text: str) -> str | None:
    try:
        r = requests.post(url, json={"text": text}, timeout=settings.ALERT_TIMEOUT.get(),
                          allow_redirects=False)
    except requests.RequestException as e:
        return f"{type(e).__name__} ({urlsplit(url).hostname})"
    if 200 <= r.status_code < 300:
        return None
    return f"HTTP {r.status_code} from {urlsplit(url).hostname}"


def smtp_server() -> tuple[str, str, int]:
    """``(scheme, host, port)`` of ``$TERRITOIRES_SMTP_URL``; ValueError if unset or not one."""
    raw = settings.SMTP_URL.get()
    if not raw:
        raise ValueError("TERRITOIRES_SMTP_URL is not set (smtp://host:port)")
    parts = urlsplit(raw)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError("TERRITOIRES_SMTP_URL: expected smtp://host:port or smtps://host:port")
    try:
        port = parts.port or (465 if parts.scheme == "smtps" else 25)
    except ValueError:
        raise ValueError("TERRITOIRES_SMTP_URL: the port is not a number") from None
    return parts.scheme, parts.hostname, port


def send_email(to: str, subject: str, text: str) -> str | None:
    try:
        scheme, host, port = smtp_server()
    except ValueError as e:
        return str(e)
    msg = EmailMessage()
    msg["From"] = settings.SMTP_FROM.get() or f"territoires@{socket.getfqdn()}"
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain="territoires")
    msg.set_content(text, subtype="plain", charset="utf-8")
    timeout = settings.ALERT_TIMEOUT.get()
    try:
        smtp: smtplib.SMTP
        if scheme == "smtps":
            smtp = smtplib.SMTP_SSL(host, port, timeout=timeout,
                                    context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(host, port, timeout=timeout)
        with smtp:
            smtp.ehlo()
            if scheme == "smtp" and smtp.has_extn("starttls"):
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            user = settings.SMTP_USER.get()
            if user:
                smtp.login(user, settings.SMTP_PASSWORD.get() or "")
            smtp.send_message(msg)
    except (OSError, smtplib.SMTPException) as e:
        return f"{type(e).__name__} from {host}:{port}" + (
            f" ({e.smtp_code})" if isinstance(e, smtplib.SMTPResponseException) else "")
    return None
