"""Signed, expiring, read-only links to one view of the dashboard (for elected officials).

A link carries its parameters (territory, page, period, as-of instant, language) and an
expiry, signed with HMAC-SHA256 and a secret read from ``$TERRITOIRES_SHARE_SECRET``
(never from the config file, never printed or logged). Anyone holding the link sees that
view and nothing else; changing one character of it, or opening it after its expiry,
shows a page that says so.

Token: ``<payload>.<signature>``, both base64url without padding. The payload is compact
JSON; the signature is ``HMAC-SHA256(secret, "territoires-share-v1." + payload)``, whose canonical
base64url text is compared in constant time (:func:`hmac.compare_digest`) before the
payload is even decoded. The
as-of instant is pinned at creation, so the figures an official sees do not drift
(DESIGN §3: same window, same as-of, same answer).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlencode

SECRET_ENV = "TERRITOIRES_SHARE_SECRET"
MIN_SECRET_CHARS = 16
_DOMAIN = b"territoires-share-v1."
MAX_DAYS = 366  # longest validity a link can be given

# page slug -> views/ script; only pages that apply the privacy rules of shared views.
SHAREABLE_PAGES = {"revue": "views/revue.py"}


class ShareError(Exception):
    """A link that cannot be honoured; ``reason`` is one of ``no_secret``, ``weak_secret``,
    ``malformed``, ``tampered``, ``expired``."""

    def __init__(self, reason: str, message: str, expired_at: datetime | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.expired_at = expired_at


@dataclass(frozen=True)
class SharedLink:
    territory: str  # slug
    page: str  # key of SHAREABLE_PAGES
    since: date  # first day, included
    until: date  # last day, excluded (the metric window [since, until))
    as_of: datetime  # naive UTC, pinned
    expires: datetime  # naive UTC
    lang: str = "fr"

    def payload(self) -> dict[str, object]:
        return {
            "v": 1, "t": self.territory, "p": self.page,
            "f": self.since.isoformat(), "u": self.until.isoformat(),
            "a": int(self.as_of.replace(tzinfo=UTC).timestamp()),
            "e": int(self.expires.replace(tzinfo=UTC).timestamp()),
            "l": self.lang,
        }

    @classmethod
    def from_payload(cls, d: Mapping[str, object]) -> SharedLink:
        if d.get("v") != 1:
            raise ValueError("unknown version")
        page = str(d["p"])
        if page not in SHAREABLE_PAGES:
            raise ValueError("unknown page")
        since, until = date.fromisoformat(str(d["f"])), date.fromisoformat(str(d["u"]))
        if until <= since:
            raise ValueError("empty period")
        return cls(
            territory=str(d["t"]), page=page, since=since, until=until,
            as_of=_instant(d["a"]), expires=_instant(d["e"]),
            lang=str(d.get("l", "fr")) if d.get("l") in ("fr", "en") else "fr",
        )


def _instant(value: object) -> datetime:
    if not isinstance(value, int):
        raise ValueError("not a timestamp")
    return datetime.fromtimestamp(value, UTC).replace(tzinfo=None)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def secret_from_env(env: Mapping[str, str] | None = None) -> bytes:
    """The signing secret from ``$TERRITOIRES_SHARE_SECRET``; a clear error when unset."""
    value = (os.environ if env is None else env).get(SECRET_ENV, "")
    if not value:
        raise ShareError(
            "no_secret",
            f"shared links are disabled: set {SECRET_ENV} in the server's environment "
            "(a long random value, e.g. from `python -c \"import secrets; "
            "print(secrets.token_urlsafe(32))\"`)",
        )
    if len(value) < MIN_SECRET_CHARS:
        raise ShareError("weak_secret",
                         f"{SECRET_ENV} is too short: use at least {MIN_SECRET_CHARS} characters")
    return value.encode("utf-8")


def _signature(secret: bytes, payload_b64: str) -> bytes:
    return hmac.new(secret, _DOMAIN + payload_b64.encode("ascii"), hashlib.sha256).digest()


def sign(link: SharedLink, secret: bytes) -> str:
    """The token for ``link``."""
    body = json.dumps(link.payload(), separators=(",", ":"), sort_keys=True).encode("utf-8")
    payload = _b64(body)
    return f"{payload}.{_b64(_signature(secret, payload))}"


def verify(token: str, secret: bytes, now: datetime) -> SharedLink:
    """The link a token carries, if its signature is right and it has not expired at ``now``
    (naive UTC). Raises :class:`ShareError` (``malformed``, ``tampered``, ``expired``)."""
    token = (token or "").strip()
    payload, sep, sig = token.partition(".")
    if not sep or not payload or not sig or len(token) > 2048:
        raise ShareError("malformed", "this link is incomplete")
    # compare the canonical text: base64 has several spellings of the same bytes, and a
    # link with any changed character must be refused
    expected = _b64(_signature(secret, payload))
    if not sig.isascii() or not hmac.compare_digest(sig, expected):
        raise ShareError("tampered", "this link was modified")
    try:
        link = SharedLink.from_payload(json.loads(_unb64(payload)))
    except (ValueError, TypeError, KeyError):  # signed by us but unreadable: a bug or old
        raise ShareError("malformed", "this link cannot be read") from None
    if now >= link.expires:
        raise ShareError("expired", "this link has expired", expired_at=link.expires)
    return link


def new_link(territory: str, page: str, since: date, until: date, as_of: datetime,
             days: int, now: datetime, lang: str = "fr") -> SharedLink:
    """A link valid ``days`` days from ``now`` (naive UTC); period ``[since, until)``."""
    if page not in SHAREABLE_PAGES:
        raise ValueError(f"page {page!r} cannot be shared (shareable: "
                         f"{', '.join(SHAREABLE_PAGES)})")
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"validity must be between 1 and {MAX_DAYS} days, got {days}")
    if until <= since:
        raise ValueError(f"the period is empty ({since} to {until})")
    expires = (now + timedelta(days=days)).replace(microsecond=0)
    return SharedLink(territory, page, since, until, as_of.replace(microsecond=0), expires, lang)


def link_url(base: str, token: str) -> str:
    """``<base>/?share=<token>``: the shared view is the only page of its session."""
    return f"{base.rstrip('/')}/?{urlencode({'share': token})}"
