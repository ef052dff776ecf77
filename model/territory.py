"""The domain model: a territory, its accounts and services, validated from a plain mapping.

Every layer may import this module (docs/design.md, "Layers"). Reading the TOML file stays
with the command line (territoires/config.py); the warehouse parses back the mapping it
stored. A bad mapping raises :class:`ConfigError` with one line naming the source, the key
(and its line when the text is known) and what was expected. The format:
docs/configuration.md.
"""

from __future__ import annotations

import math
import re
import zoneinfo
from dataclasses import dataclass, field
from typing import Any

import holidays as holidays_lib

from model.opening import OpeningRange, ServiceHoursError, parse_service_hours

PLATFORMS = ("x", "bluesky", "mastodon")


def tag_key(tag: str) -> str:
    """A hashtag as stored and compared (``post_hashtags.tag``): no '#', lower case."""
    return tag.lstrip("#").lower()


class ConfigError(ValueError):
    """One clear line: ``file: key: what was expected``."""


@dataclass(frozen=True)
class Account:
    platform: str
    handle: str  # without the leading @ (mastodon keeps "ville@instance")
    label: str
    service_hours: str
    opening: tuple[OpeningRange, ...]


@dataclass(frozen=True)
class Service:
    """A city service interpellations can be forwarded to (``[[services]]``)."""

    slug: str
    label: str
    keywords: tuple[str, ...] = ()  # words that suggest this service for an interpellation


@dataclass(frozen=True)
class Alerts:
    """Who is told, and when (``[alerts]``; ``territoires alert``, docs/configuration.md)."""

    email: tuple[str, ...] = ()
    webhooks: tuple[str, ...] = ()  # Slack-compatible incoming hooks (Mattermost, Matrix…)
    digest_minute: int = 8 * 60 + 45  # the morning digest, minutes after local midnight
    pending_over_service_minutes: int = 240
    webhook_post_text: bool = False  # private persons' texts and handles may go to webhooks
    lang: str = "fr"

    @property
    def digest_at(self) -> str:
        return f"{self.digest_minute // 60:02d}:{self.digest_minute % 60:02d}"


@dataclass(frozen=True)
class Territory:
    name: str
    slug: str
    timezone: str
    holidays: str | None
    accounts: tuple[Account, ...]
    hashtags: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    city_domains: tuple[str, ...] = ()
    locality_terms: tuple[str, ...] = ()
    local_accounts: tuple[str, ...] = ()
    exclude_accounts: tuple[str, ...] = ()
    retention_days: int = 395
    pseudonymize_shared_views: bool = True
    private_follower_threshold: int = 5000
    shared_text: str = "truncate"  # "show", "truncate" or "hide" in shared views
    mastodon_instances: tuple[str, ...] = ()
    services: tuple[Service, ...] = ()
    alerts: Alerts | None = None  # None: no [alerts] section
    population: int | None = None  # INSEE "population municipale" (the baromètre's per 10,000)
    insee: str | None = None  # code officiel géographique of the commune, e.g. "49328", "2A004"
    cm_fte: float | None = None  # community-management staff, in full-time equivalents
    source: str = "<memory>"
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def handles(self, platform: str = "x") -> list[str]:
        return [a.handle for a in self.accounts if a.platform == platform]

    def service(self, slug: str) -> Service | None:
        """The configured service ``slug``, or None."""
        return next((s for s in self.services if s.slug == slug), None)

    def tag_keys(self) -> list[str]:
        """The tracked hashtags as stored in ``post_hashtags`` (:func:`tag_key`), in order."""
        return [tag_key(t) for t in self.hashtags]


# key -> (expected type(s), description) for every section; unknown keys are errors.
_SCHEMA: dict[str, dict[str, tuple[Any, str]]] = {
    "territory": {
        "name": (str, "a display name (text)"),
        "slug": (str, "a short id of lowercase letters, digits and dashes"),
        "timezone": (str, 'an IANA time zone such as "Europe/Paris"'),
        "holidays": (str, 'a country code such as "FR" (or "" for none)'),
        "population": (int, "a whole number of inhabitants greater than 0"),
        "insee": (str, "a commune code of 5 characters, digits or 2A/2B and 3 digits, "
                       'such as "49328" or "2A004"'),
        "cm_fte": (float, "a number of full-time equivalents greater than 0 such as 0.5"),
    },
    "accounts": {
        "platform": (str, f"one of {', '.join(PLATFORMS)}"),
        "handle": (str, "the account's handle (text)"),
        "label": (str, "a label (text)"),
        "service_hours": (str, 'ranges like "mon-fri 09:00-18:00"'),
    },
    "tracking": {
        "hashtags": (list, 'a list of hashtags such as ["#Ville"]'),
        "keywords": (list, "a list of keywords (text)"),
        "city_domains": (list, 'a list of domains such as ["ville.fr"]'),
        "mastodon_instances": (list, 'a list of Mastodon servers such as ["mastodon.social"]'),
    },
    "locality": {
        "terms": (list, "a list of place names or department numbers (text)"),
        "local_accounts": (list, "a list of handles (text)"),
        "exclude_accounts": (list, "a list of handles (text)"),
    },
    "privacy": {
        "retention_days": (int, "a whole number of days from 1 to 36500"),
        "pseudonymize_shared_views": (bool, "true or false"),
        "private_follower_threshold": (int, "a whole number of followers (0 or more)"),
        "shared_text": (str, '"show", "truncate" or "hide"'),
    },
    "services": {
        "slug": (str, "a short id of lowercase letters, digits and dashes"),
        "label": (str, "a display name (text)"),
        "keywords": (list, 'a list of words such as ["poubelle", "trottoir"]'),
    },
    "alerts": {
        "email": (list, 'a list of e-mail addresses such as ["cm@ville.fr"]'),
        "webhooks": (list, 'a list of https:// incoming-webhook URLs'),
        "digest_at": (str, 'a local time such as "08:45"'),
        "pending_over_service_minutes": (int, "a whole number of minutes from 1 to 100000"),
        "webhook_post_text": (bool, "true or false"),
        "lang": (str, '"fr" or "en"'),
    },
}
_REQUIRED = {
    "territory": ("name", "slug", "timezone"),
    "accounts": ("platform", "handle"),
    "services": ("slug", "label"),
}


def _line_of(text: str, key: str) -> str:
    """`` (line N)`` where ``key`` (``territory.timezone``, ``accounts[1].handle``) is set."""
    m = re.fullmatch(r"(\w+)(?:\[(\d+)\])?(?:\.(\w+))?", key)
    if not m:
        return ""
    section, index, name = m[1], int(m[2]) if m[2] else None, m[3]
    current, current_index = "", None
    seen: dict[str, int] = {}
    for n, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        header = re.match(r"^\[(\[)?\s*([\w.-]+)\s*\]", stripped)
        if header:
            current = header[2]
            current_index = None
            if header[1]:
                current_index = seen[current] = seen.get(current, -1) + 1
            if name is None and current == section and current_index in (index, None):
                return f" (line {n})"
            continue
        if (
            name
            and current == section
            and (index is None or current_index == index)
            and re.match(rf"^\"?{re.escape(name)}\"?\s*=", stripped)
        ):
            return f" (line {n})"
    return ""


def parse_config(data: dict[str, Any], source: str = "<memory>", text: str = "") -> Territory:
    def fail(key: str, expected: str) -> ConfigError:
        return ConfigError(f"{source}{_line_of(text, key)}: {key}: expected {expected}")

    for section in data:
        if section not in _SCHEMA:
            raise fail(section, f"only the sections {', '.join(_SCHEMA)}")

    def check(section: str, table: Any, prefix: str) -> dict[str, Any]:
        if not isinstance(table, dict):
            raise fail(prefix, "a table of keys")
        for key, value in table.items():
            if key not in _SCHEMA[section]:
                raise fail(f"{prefix}.{key}", f"a known key ({', '.join(_SCHEMA[section])})")
            kind, desc = _SCHEMA[section][key]
            number = kind is float and isinstance(value, int)  # TOML writes 2 for 2.0
            ok = (isinstance(value, kind) or number) and not (
                kind is not bool and isinstance(value, bool))
            if ok and kind is list:
                ok = all(isinstance(v, str) and v.strip() for v in value)
            if not ok:
                raise fail(f"{prefix}.{key}", desc)
        for key in _REQUIRED.get(section, ()):
            if key not in table:
                raise fail(f"{prefix}.{key}", f"{_SCHEMA[section][key][1]} (missing)")
        return table

    terr = check("territory", data.get("territory", {}), "territory")
    slug = terr["slug"]
    if not re.fullmatch(r"[a-z0-9-]+", slug):
        raise fail("territory.slug", _SCHEMA["territory"]["slug"][1])
    try:
        zoneinfo.ZoneInfo(terr["timezone"])
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise fail("territory.timezone", _SCHEMA["territory"]["timezone"][1]) from None
    country = terr.get("holidays", "FR") or None
    if country is not None and country not in holidays_lib.list_supported_countries():
        raise fail("territory.holidays", _SCHEMA["territory"]["holidays"][1])

    population, insee, cm_fte = _comparison(terr, fail)

    raw_accounts = data.get("accounts", [])
    if not isinstance(raw_accounts, list) or not raw_accounts:
        raise fail("accounts", "at least one [[accounts]] block")
    accounts: list[Account] = []
    for i, acc in enumerate(raw_accounts):
        prefix = f"accounts[{i}]"
        acc = check("accounts", acc, prefix)
        if acc["platform"] not in PLATFORMS:
            raise fail(f"{prefix}.platform", _SCHEMA["accounts"]["platform"][1])
        handle = acc["handle"].strip().lstrip("@")
        if not handle:
            raise fail(f"{prefix}.handle", _SCHEMA["accounts"]["handle"][1])
        hours = acc.get("service_hours", "mon-fri 09:00-18:00")
        try:
            opening = parse_service_hours(hours)
        except ServiceHoursError as e:
            expected = f'ranges like "mon-fri 09:00-18:00" ({e})'
            raise fail(f"{prefix}.service_hours", expected) from None
        accounts.append(Account(acc["platform"], handle, acc.get("label", handle), hours, opening))

    tracking = check("tracking", data.get("tracking", {}), "tracking")
    locality = check("locality", data.get("locality", {}), "locality")
    privacy = check("privacy", data.get("privacy", {}), "privacy")
    if not 1 <= privacy.get("retention_days", 395) <= 36500:  # beyond, dates overflow
        raise fail("privacy.retention_days", _SCHEMA["privacy"]["retention_days"][1])
    if privacy.get("private_follower_threshold", 5000) < 0:
        key = "private_follower_threshold"
        raise fail(f"privacy.{key}", _SCHEMA["privacy"][key][1])
    if privacy.get("shared_text", "truncate") not in ("show", "truncate", "hide"):
        raise fail("privacy.shared_text", _SCHEMA["privacy"]["shared_text"][1])

    services = _services(data.get("services", []), check, fail)
    alerts = _alerts(data["alerts"], check, fail) if "alerts" in data else None

    def tags(values: list[str]) -> tuple[str, ...]:
        return tuple("#" + v.strip().lstrip("#") for v in values)

    def handles(values: list[str]) -> tuple[str, ...]:
        return tuple(v.strip().lstrip("@").lower() for v in values)

    return Territory(
        name=terr["name"],
        slug=slug,
        timezone=terr["timezone"],
        holidays=country,
        accounts=tuple(accounts),
        hashtags=tags(tracking.get("hashtags", [])),
        keywords=tuple(tracking.get("keywords", [])),
        city_domains=tuple(d.strip().lower().lstrip(".") for d in tracking.get("city_domains", [])),
        mastodon_instances=tuple(tracking.get("mastodon_instances", [])),
        locality_terms=tuple(locality.get("terms", [])),
        local_accounts=handles(locality.get("local_accounts", [])),
        exclude_accounts=handles(locality.get("exclude_accounts", [])),
        retention_days=privacy.get("retention_days", 395),
        pseudonymize_shared_views=privacy.get("pseudonymize_shared_views", True),
        private_follower_threshold=privacy.get("private_follower_threshold", 5000),
        shared_text=privacy.get("shared_text", "truncate"),
        services=services,
        alerts=alerts,
        population=population,
        insee=insee,
        cm_fte=cm_fte,
        source=source,
        raw=data,
    )


_INSEE = re.compile(r"(?:\d{2}|2[AB])\d{3}")


def _comparison(terr: dict[str, Any], fail: Any) -> tuple[int | None, str | None, float | None]:
    """``population``, ``insee``, ``cm_fte`` of ``[territory]``: what the baromètre compares
    by (docs/barometre.md); each optional."""
    schema = _SCHEMA["territory"]
    population = terr.get("population")
    if population is not None and population <= 0:
        raise fail("territory.population", schema["population"][1])
    insee = terr.get("insee")
    if insee is not None:
        insee = insee.strip().upper()
        if not _INSEE.fullmatch(insee):
            raise fail("territory.insee", schema["insee"][1])
    cm_fte = terr.get("cm_fte")
    if cm_fte is not None:
        if not (math.isfinite(cm_fte) and cm_fte > 0):
            raise fail("territory.cm_fte", schema["cm_fte"][1])
        cm_fte = float(cm_fte)
    return population, insee, cm_fte


def _services(raw: Any, check: Any, fail: Any) -> tuple[Service, ...]:
    """The ``[[services]]`` blocks: unique slugs, a label, optional keywords."""
    if not isinstance(raw, list):
        raise fail("services", "[[services]] blocks (slug, label, keywords)")
    out: list[Service] = []
    for i, svc in enumerate(raw):
        prefix = f"services[{i}]"
        svc = check("services", svc, prefix)
        if not re.fullmatch(r"[a-z0-9-]+", svc["slug"]):
            raise fail(f"{prefix}.slug", _SCHEMA["services"]["slug"][1])
        if any(s.slug == svc["slug"] for s in out):
            raise fail(f"{prefix}.slug", f"a slug not used by another service ({svc['slug']!r} is)")
        if not svc["label"].strip():
            raise fail(f"{prefix}.label", _SCHEMA["services"]["label"][1])
        keywords = tuple(k.strip() for k in svc.get("keywords", []))
        out.append(Service(svc["slug"], svc["label"].strip(), keywords))
    return tuple(out)


_EMAIL = re.compile(r"[^@\s<>,;\"']+@[^@\s<>,;\"']+\.[^@\s<>,;\"'.]+")
_HOOK = re.compile(r"https?://[^\s/@]+(?:/\S*)?")


def _alerts(raw: Any, check: Any, fail: Any) -> Alerts:
    """The ``[alerts]`` section: recipients, the digest's time, the waiting threshold."""
    table = check("alerts", raw, "alerts")
    schema = _SCHEMA["alerts"]
    email = tuple(v.strip() for v in table.get("email", []))
    if not all(_EMAIL.fullmatch(v) for v in email):
        raise fail("alerts.email", schema["email"][1])
    hooks = tuple(v.strip() for v in table.get("webhooks", []))
    if not all(_HOOK.fullmatch(v) for v in hooks):
        raise fail("alerts.webhooks", schema["webhooks"][1])
    m = re.fullmatch(r"([01]\d|2[0-3]):([0-5]\d)", table.get("digest_at", "08:45").strip())
    if not m:
        raise fail("alerts.digest_at", schema["digest_at"][1])
    over = table.get("pending_over_service_minutes", 240)
    if not 1 <= over <= 100000:
        raise fail("alerts.pending_over_service_minutes",
                   schema["pending_over_service_minutes"][1])
    lang = table.get("lang", "fr")
    if lang not in ("fr", "en"):
        raise fail("alerts.lang", schema["lang"][1])
    return Alerts(email, hooks, int(m[1]) * 60 + int(m[2]), over,
                  table.get("webhook_post_text", False), lang)
