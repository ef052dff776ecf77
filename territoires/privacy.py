"""Pseudonymisation of private people in shared views (``[privacy]`` of the territory config).

When ``pseudonymize_shared_views`` is on, a view opened from a shared link names an account
only if it is one of the territory's own accounts, verified, an organisation
(``verified_type`` business or government), or followed by at least
``private_follower_threshold`` accounts. Everyone else is a private person and appears as a
stable alias, "Habitant·e 17": no handle, no name, no link to the post (a post URL carries
the handle). Their post texts are shown, truncated or hidden as ``shared_text`` says; in
every text shown, mentions of accounts other than the city's become ``@…``. An account whose
profile is unknown counts as private. The community manager's own view is unchanged.

Aliases are stable across reloads, sessions and links: the number is derived from
``HMAC-SHA256(share secret, "alias" | platform | account id)``, reduced to 1..9999. Without
the secret nobody can recompute it from a handle (so an alias cannot be reversed by trying
the handles of the town), and the same resident keeps the same alias from one weekly review
to the next. Two people of one page whose numbers collide are separated deterministically
(the next free number, in digest order), which only changes with the set of people shown.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from model import Territory

ORGANISATION_TYPES = frozenset({"business", "government"})
ALIAS_SPACE = 9999
TRUNCATE_CHARS = 80
ALIAS_WORD = {"fr": "Habitant·e", "en": "Resident"}
# Every form a platform reads as a mention or a profile link (docs/weekly-review-and-sharing.md),
# in one pattern so that a span is judged once:
# * X (twitter-text) reads "@" or the full-width "＠" after anything but an ASCII letter,
#   digit, "_" or another "@" (and right after "RT" or "RT:"); Bluesky handles are domain
#   names (@jean.dupont.fr); Mastodon writes @user@instance.tld. A trailing dot ends a
#   sentence, it is not part of the handle.
# * links that carry a handle: https://instance/@user[@other.instance] (Mastodon),
#   x.com/handle and twitter.com/handle (x.com/i/… and intents carry none, x.com/i/user/ID
#   an account id), bsky.app/profile/handle-or-did, https://instance/users/user (ActivityPub).
_AT = "[@\uff20]"
_NAME = r"[\w-]+(?:\.[\w-]+)*"
_HOST = r"[\w-]+(?:\.[\w-]+)+"
_X_RESERVED = frozenset({"i", "intent", "hashtag", "search", "home", "explore", "share",
                         "settings", "messages", "notifications", "compose", "login",
                         "signup", "tos", "privacy", "status", "statuses"})
_MENTION = re.compile(
    rf"(?P<mpre>\bhttps?://(?P<mhost>{_HOST})/{_AT})(?P<muser>{_NAME})(?:{_AT}(?P<mother>{_HOST}))?"
    r"|(?P<xid>\b(?:x|twitter)\.com/i/user/)\d+"
    r"|(?P<xpre>\b(?:(?:www|mobile|m)\.)?(?:x|twitter)\.com/)(?P<x>[A-Za-z0-9_]{1,50})\b"
    r"|(?P<bpre>\bbsky\.app/profile/)(?P<bsky>[\w.:%-]*\w)"
    rf"|(?P<apre>\bhttps?://(?P<ahost>{_HOST})/users/)(?P<ap>[\w.-]*\w)"
    rf"|(?:(?<![A-Za-z0-9_@\uff20])|(?<=[Rr][Tt])|(?<=[Rr][Tt]:))(?P<at>{_AT})"
    rf"(?P<handle>{_NAME}(?:{_AT}{_NAME})?)",
    re.IGNORECASE)


@dataclass(frozen=True)
class Profile:
    platform: str
    id: str
    username: str | None
    verified: bool
    verified_type: str | None
    followers_count: int | None
    is_city: bool


def is_private(p: Profile, territory: Territory) -> bool:
    """A private person: not the city's, not verified, not an organisation, few followers."""
    if p.is_city or p.verified:
        return False
    if (p.verified_type or "").lower() in ORGANISATION_TYPES:
        return False
    return not (p.followers_count is not None
                and p.followers_count >= territory.private_follower_threshold)


def _digest(secret: bytes, platform: str, account_id: str) -> bytes:
    msg = b"alias\x00" + platform.encode() + b"\x00" + account_id.encode()
    return hmac.new(secret, msg, hashlib.sha256).digest()


def alias_number(secret: bytes, platform: str, account_id: str) -> int:
    """The alias number of an account, 1..9999, before collision resolution."""
    return int.from_bytes(_digest(secret, platform, account_id)[:8], "big") % ALIAS_SPACE + 1


def profiles_from_frame(df: pd.DataFrame) -> list[Profile]:
    """Profiles from :func:`warehouse.profiles.account_profiles`."""
    out = []
    for r in df.itertuples(index=False):
        followers = None if pd.isna(r.followers_count) else int(r.followers_count)
        out.append(Profile(str(r.platform), str(r.id), None if pd.isna(r.username) else r.username,
                           bool(r.verified), None if pd.isna(r.verified_type) else r.verified_type,
                           followers, bool(r.is_city)))
    return out


class Pseudonymizer:
    """Names and texts as a shared view shows them. ``enabled=False``: the CM's view."""

    def __init__(self, territory: Territory, profiles: Iterable[Profile], secret: bytes,
                 enabled: bool = True, lang: str = "fr") -> None:
        self.territory = territory
        self.enabled = enabled and territory.pseudonymize_shared_views
        self.word = ALIAS_WORD.get(lang, ALIAS_WORD["fr"])
        self._profiles = {(p.platform, p.id): p for p in profiles}
        self._city = {a.handle.lower() for a in territory.accounts}
        self._aliases: dict[tuple[str, str], int] = {}
        if self.enabled:
            private = [k for k, p in self._profiles.items() if is_private(p, territory)]
            taken: set[int] = set()
            for k in sorted(private, key=lambda k: _digest(secret, *k)):
                n = alias_number(secret, *k)
                while n in taken:
                    n = n % ALIAS_SPACE + 1
                taken.add(n)
                self._aliases[k] = n

    def private(self, platform: str, account_id: str | None) -> bool:
        if not self.enabled:
            return False
        if account_id is None:
            return True
        key = (str(platform), str(account_id))
        return key in self._aliases or key not in self._profiles

    def alias(self, platform: str, account_id: str) -> str:
        n = self._aliases.get((str(platform), str(account_id)))
        return f"{self.word} {n}" if n is not None else f"{self.word} ?"

    def label(self, platform: str, account_id: str | None, username: str | None,
              name: str | None = None) -> str:
        """``@handle (Name)`` or the alias."""
        if self.private(platform, account_id):
            return self.alias(platform, str(account_id))
        handle = f"@{username}" if username else "?"
        if name and self.enabled:
            name = self.scrub(name)  # a public account's name may mention a private one
        return f"{handle} ({name})" if name and name != username else handle

    def text(self, platform: str, account_id: str | None, text: str | None) -> str | None:
        """A post's text for this view (``None``: hidden)."""
        if text is None or not self.enabled:
            return text
        text = self.scrub(text)
        if not self.private(platform, account_id):
            return text
        mode = self.territory.shared_text
        if mode == "hide":
            return None
        if mode == "truncate" and len(text) > TRUNCATE_CHARS:
            cut = text[:TRUNCATE_CHARS].rsplit(" ", 1)[0] or text[:TRUNCATE_CHARS]
            return cut.rstrip() + " …"
        return text

    def url(self, platform: str, account_id: str | None, url: str | None) -> str | None:
        """A post link, dropped for private people (an X URL carries the handle)."""
        return None if self.private(platform, account_id) else url

    def scrub(self, text: str) -> str:
        """Mentions of, and profile links to, accounts other than the city's replaced by
        ``@…`` (``x.com/…``, ``bsky.app/profile/…``, ``https://instance/@…``)."""
        if not self.enabled:
            return text
        return _MENTION.sub(self._scrub_one, text)

    def _is_city(self, *handles: str) -> bool:
        return any(h.lower().replace("\uff20", "@") in self._city for h in handles)

    def _scrub_one(self, m: re.Match[str]) -> str:
        whole = m.group(0)
        if m["at"] is not None:
            return whole if self._is_city(m["handle"]) else m["at"] + "…"
        if m["muser"] is not None:
            host = m["mother"] or m["mhost"]
            keep = self._is_city(f"{m['muser']}@{host}")
            return whole if keep else m["mpre"] + "…"
        if m["xid"] is not None:
            return m["xid"] + "…"
        if m["x"] is not None:
            keep = m["x"].lower() in _X_RESERVED or self._is_city(m["x"])
            return whole if keep else m["xpre"] + "…"
        if m["bsky"] is not None:
            return whole if self._is_city(m["bsky"]) else m["bpre"] + "…"
        return whole if self._is_city(f"{m['ap']}@{m['ahost']}") else m["apre"] + "…"
