"""Who may do what on the dashboard once sign-in is on (docs/deploying.md, "Sign-in and
roles"): a small TOML file naming people by the e-mail address their identity provider
gives (the OpenID Connect ``email`` claim).

```toml
admin = ["dsi@villeneuve.fr"]            # configuration and sharing, and all a cm does
cm = ["camille.dupont@villeneuve.fr"]    # triage, notes, sharing
lecteur = ["elu@villeneuve.fr"]          # read-only

[service]                                # a service sees and triages what is forwarded to it
voirie = ["voirie@villeneuve.fr"]        # a service slug of the territory file
```

The file is ``$TERRITOIRES_ROLES``, else ``<warehouse>.roles.toml`` beside the warehouse.
Addresses are compared without case; an address listed twice keeps its strongest role
(admin > cm > service > lecteur). Someone signed in but listed nowhere has no access.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from model import settings

ROLES = ("admin", "cm", "service", "lecteur")  # strongest first
TRIAGE = frozenset({"admin", "cm", "service"})
SHARING = frozenset({"admin", "cm"})


class RolesError(ValueError):
    """A roles file that cannot be read: the message says where and why (no secret in it)."""


@dataclass(frozen=True)
class Person:
    """A signed-in person's identity and role (``service``: the service slug of a
    ``service`` role, else None)."""

    email: str
    role: str
    service: str | None = None

    @property
    def can_triage(self) -> bool:
        return self.role in TRIAGE

    @property
    def can_share(self) -> bool:
        return self.role in SHARING


def roles_path(db: str | Path) -> Path:
    """``$TERRITOIRES_ROLES``, else ``<db>.roles.toml``."""
    chosen = settings.ROLES.get()
    return Path(chosen) if chosen else Path(f"{db}.roles.toml")


def _emails(value: object, where: str) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and "@" in v for v in value):
        raise RolesError(f"{where}: expected a list of e-mail addresses")
    return [v.strip().lower() for v in value]


def parse(text: str, where: str = "roles") -> dict[str, Person]:
    """Every listed person by lower-case e-mail address."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise RolesError(f"{where}: not TOML ({e})") from None
    unknown = set(raw) - set(ROLES)
    if unknown:
        raise RolesError(f"{where}: unknown role(s) {sorted(unknown)}; expected {list(ROLES)}")
    people: dict[str, Person] = {}
    found: list[Person] = []
    for role in ("admin", "cm", "lecteur"):
        found += [Person(e, role) for e in _emails(raw.get(role, []), f"{where}: {role}")]
    services = raw.get("service", {})
    if not isinstance(services, dict):
        raise RolesError(f"{where}: [service] must be a table of service slug = [addresses]")
    for slug, value in services.items():
        found += [Person(e, "service", str(slug))
                  for e in _emails(value, f"{where}: service.{slug}")]
    for p in found:
        had = people.get(p.email)
        if had is None or ROLES.index(p.role) < ROLES.index(had.role):
            people[p.email] = p
    return people


def load(path: Path) -> dict[str, Person]:
    """The roles file at ``path``; a missing file lists nobody (no one signed in has access)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as e:
        raise RolesError(f"{path}: {e.strerror}") from None
    return parse(text, str(path))


def person(people: dict[str, Person], email: str | None) -> Person | None:
    """The listed person signed in with ``email``, or None (no access)."""
    return people.get((email or "").strip().lower()) if email else None
