"""Every secret the process knows, removed from whatever it stores or prints.

An upstream (a proxy, a gateway, a misbehaving API) can echo the ``Authorization`` header
in a page, an error body or a malformed answer, and a proxy URL can carry a password
(``https://user:password@proxy/``). Whatever a collector writes (spool files and so raw
pages, pages kept aside, the run log behind the Collecte page) and whatever it prints (the
summary, progress lines) goes through :func:`redact` first (docs/collecting.md, "Secrets").

The secrets are the values of the environment variables the collectors and the dashboard
read as credentials (:data:`SECRET_VARS`, and the per-account ``…__ACCOUNT`` forms), the
user information of the URLs they read (:data:`URL_VARS`), and any secret handed over in
code (:func:`register`, e.g. the bearer token given to :class:`collectors.x_api.XApi`).
Each is also removed in its URL-encoded and JSON-escaped forms, and a long token after
``Bearer`` or inside a URL's user information is removed even when unknown.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import overload
from urllib.parse import quote, unquote, urlsplit

from model import settings

MASK = "[redacted]"
# every setting declared secret in model/settings.py (bearer tokens, app passwords, access
# tokens, also in their per-account NAME__ACCOUNT form; the shared-link secret)
SECRET_VARS = settings.SECRET_NAMES
URL_VARS = (
    "TERRITOIRES_X_API_URL",  # collectors/routing.py
    "TERRITOIRES_BLUESKY_API_URL",
    "TERRITOIRES_MASTODON_URLS",  # server=url pairs
    "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy",
)
MIN_CHARS = 4  # a shorter value would mask ordinary words
_registered: set[str] = set()
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@\"'<>]+@")
_PAIR = re.compile(r"^[^:/=]+=")
_BEARER = re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9\-._~+/%=]{20,}")


def register(*secrets: str | None) -> None:
    """Add secrets known only in code (a token passed as an argument)."""
    for s in secrets:
        if s and s.strip():
            _registered.add(s.strip())


def _userinfo(url: str) -> list[str]:
    try:
        netloc = urlsplit(url.strip()).netloc
    except ValueError:
        return []
    if "@" not in netloc:
        return []
    info = netloc.rpartition("@")[0]
    _user, _, password = info.partition(":")
    return [info, password, unquote(password)] if password else [info]


def known(env: Mapping[str, str] | None = None, extra: Iterable[str] = ()) -> list[str]:
    """Every secret value to remove, in each form it may take, longest first."""
    env = settings.environ(env)  # every variable, scanned for secrets
    found = set(_registered) | set(extra)
    for name, value in env.items():
        if name in SECRET_VARS or name.startswith(tuple(f"{v}__" for v in SECRET_VARS)):
            found.add(value.strip())
        elif name in URL_VARS:
            for part in re.split(r"[,\s]+", value):  # a URL, or server=URL pairs
                found.update(_userinfo(part.split("=", 1)[1] if _PAIR.match(part) else part))
    forms: set[str] = set()
    for s in found:
        if len(s) >= MIN_CHARS:
            forms.update((s, quote(s, safe=""), json.dumps(s)[1:-1]))
    return sorted(forms, key=len, reverse=True)


@overload
def redact(text: str, env: Mapping[str, str] | None = None) -> str: ...
@overload
def redact(text: None, env: Mapping[str, str] | None = None) -> None: ...
def redact(text: str | None, env: Mapping[str, str] | None = None) -> str | None:
    """``text`` with every known secret, URL password and bearer token replaced by
    :data:`MASK` (None stays None)."""
    if not text:
        return text
    for secret in known(env):
        if secret in text:
            text = text.replace(secret, MASK)
    text = _USERINFO.sub(lambda m: m.group(1) + MASK + "@", text)
    return _BEARER.sub(lambda m: m.group(1) + MASK, text)


def redact_bytes(data: bytes) -> bytes:
    """:func:`redact` on bytes that may not be UTF-8 (kept byte for byte elsewhere)."""
    text = data.decode("utf-8", "surrogateescape")
    out = redact(text)
    return data if out == text or out is None else out.encode("utf-8", "surrogateescape")
