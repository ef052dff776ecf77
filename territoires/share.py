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
(docs/metrics.md, "The period and the as-of instant": same window, same as-of, same answer).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import os
import secrets
import stat
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

from model import settings

SECRET_ENV = "TERRITOIRES_SHARE_SECRET"
MIN_SECRET_CHARS = 32
# Estimated from the secret's own character frequencies (length x Shannon entropy per
# character): 16 spaces or "aaaa…" carry 0 bits; secrets.token_urlsafe(32) carries more
# than 180 (256 by construction).
MIN_SECRET_BITS = 128
SECRET_FILE_SUFFIX = ".share-secret"  # <db>.share-secret: written by `territoires demo`
GENERATE_SECRET = "python3 -c \"import secrets; print(secrets.token_urlsafe(32))\""
_DOMAIN = b"territoires-share-v1."
MAX_DAYS = 366  # longest validity a link can be given

# page slug -> views/ script; only pages that apply the privacy rules of shared views.
SHAREABLE_PAGES = {"revue": "views/revue.py", "barometre": "views/barometre.py"}


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


def estimated_bits(value: str) -> float:
    """A generous estimate of a secret's entropy: its length times the Shannon entropy of
    its own character frequencies. It cannot see a guessable phrase, but it refuses
    repeated characters and short values."""
    n = len(value)
    return -sum(c * math.log2(c / n) for c in Counter(value).values()) if n else 0.0


def check_secret(value: str, origin: str = SECRET_ENV) -> bytes:
    """``value`` as a signing key, if it looks random enough; else :class:`ShareError`
    (``weak_secret``) with the command that generates a good one."""
    if len(value) < MIN_SECRET_CHARS or estimated_bits(value) < MIN_SECRET_BITS:
        raise ShareError(
            "weak_secret",
            f"{origin} is too weak: use a random value of at least {MIN_SECRET_CHARS} "
            f"characters (about {MIN_SECRET_BITS} bits), e.g. from `{GENERATE_SECRET}`",
        )
    return value.encode("utf-8")


def secret_from_env(env: Mapping[str, str] | None = None) -> bytes:
    """The signing secret from ``$TERRITOIRES_SHARE_SECRET``; a clear error when unset."""
    value = settings.SHARE_SECRET.get(env) or ""
    if not value:
        raise ShareError(
            "no_secret",
            f"shared links are disabled: set {SECRET_ENV} in the server's environment "
            f"(a long random value, e.g. from `{GENERATE_SECRET}`)",
        )
    return check_secret(value)


def secret_file(db: str | os.PathLike[str]) -> Path:
    """``<db>.share-secret``: the secret kept beside a warehouse (the demo writes one)."""
    return Path(str(db) + SECRET_FILE_SUFFIX)


def read_secret_file(path: Path) -> str:
    """The secret in ``path``, which only its owner may read (mode 0600)."""
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ShareError("weak_secret", f"{path} can be read by other users: "
                         f"`chmod 600 {path}`, or set {SECRET_ENV} instead")
    return path.read_text(encoding="utf-8").strip()


def secret_for(db: str | os.PathLike[str], env: Mapping[str, str] | None = None) -> bytes:
    """The signing secret for the warehouse ``db``: ``$TERRITOIRES_SHARE_SECRET`` if set,
    else ``<db>.share-secret`` if that file exists (see docs/weekly-review-and-sharing.md)."""
    path = secret_file(db)
    if settings.SHARE_SECRET.get(env) or not path.is_file():
        return secret_from_env(env)
    return check_secret(read_secret_file(path), origin=str(path))


def ensure_secret_file(db: str | os.PathLike[str]) -> Path:
    """Keep ``<db>.share-secret`` if it holds a good secret, else write a new one
    (``secrets.token_urlsafe(32)``, mode 0600, created with that mode: never readable by
    others, not even for an instant)."""
    path = secret_file(db)
    try:
        check_secret(read_secret_file(path), origin=str(path))
        return path
    except (OSError, UnicodeDecodeError, ShareError):
        pass
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(secrets.token_urlsafe(32) + "\n")
    return path


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
