"""Every environment variable the product reads, declared once (docs/design.md §14).

Each :class:`Setting` has a type, a default, a help line and says whether it is a secret.
Code reads a setting through it, at call time (``settings.RETRIES.get()``), never through
``os.environ``: the tests set variables per test, so nothing is cached at import. A bad
value raises :class:`SettingError` (a :class:`ValueError`) naming the variable and what was
expected; a secret's value is never echoed.

``python -m model.settings --markdown > docs/settings.md`` writes the reference page; a test
checks that the page is up to date.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")
Env = Mapping[str, str]


class SettingError(ValueError):
    """A variable set to a value of the wrong kind: ``NAME: expected …, got '…'``."""


def environ(env: Env | None = None) -> Env:
    """The whole environment (or ``env``), for code that scans every variable for secrets
    (collectors/redact.py) rather than reading one setting."""
    return os.environ if env is None else env


def key_suffix(key: str) -> str:
    """An account or platform as a variable-name suffix: upper case, non-alphanumerics ``_``."""
    return re.sub(r"[^A-Z0-9]", "_", key.upper())


@dataclass(frozen=True)
class Setting(Generic[T]):
    """One environment variable. ``name`` may end in ``<KEY>`` (one variable per platform),
    and ``per`` names a key (``HANDLE``) for which ``NAME__<KEY>`` is read before ``NAME``."""

    name: str
    group: str
    kind: str  # for the reference page: "path", "seconds", "whole number", "URL", …
    default: T
    help: str
    parse: Callable[[str], T]
    expected: str = ""  # in the error message: "expected <expected>, got '…'"
    secret: bool = False
    per: str | None = None
    strip: bool = True  # secrets are taken as given (a shared-link key is the exact bytes)
    shown_default: str | None = None  # the reference page's default when ``default`` is None

    def variables(self, key: str | None = None) -> list[str]:
        """The variables read for ``key``, most specific first."""
        if "<" in self.name:
            return [self.name.split("<")[0] + key_suffix(key)] if key else []
        if self.per and key:
            return [f"{self.name}__{key_suffix(key)}", self.name]
        return [self.name]

    def raw(self, env: Env | None = None, key: str | None = None) -> tuple[str, str]:
        """(variable, text) of the first variable set to a non-empty value, else ("", "")."""
        found = environ(env)
        for name in self.variables(key):
            value = found.get(name, "")
            value = value.strip() if self.strip else value
            if value:  # a secret of blanks is set (and then refused as weak where checked)
                return name, value
        return "", ""

    def get(self, env: Env | None = None, key: str | None = None) -> T:
        """The value now (from ``env`` if given, else the process environment), or the default."""
        name, text = self.raw(env, key)
        if not text:
            return self.default
        try:
            return self.parse(text)
        except (ValueError, TypeError, AttributeError):
            got = "" if self.secret else f", got {text!r}"
            raise SettingError(f"{name}: expected {self.expected}{got}") from None


def _number(minimum: float) -> Callable[[str], float]:
    def parse(text: str) -> float:
        value = float(text)
        if value != value or value < minimum:  # NaN, or too small
            raise ValueError(text)
        return value
    return parse


def _whole(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        value = int(text)
        if value < minimum:
            raise ValueError(text)
        return value
    return parse


def _size(text: str) -> str:
    if not re.fullmatch(r"\d+(\.\d+)?\s*[KMGT]i?B", text):
        raise ValueError(text)
    return text


def _prices(text: str) -> dict[str, float]:
    if text.startswith("{"):
        return {str(k): float(v) for k, v in json.loads(text).items()}
    out: dict[str, float] = {}
    for part in text.split(","):
        if part.strip():
            name, _, value = part.partition("=")
            out[name.strip()] = float(value)
    return out


def _seconds(name: str, group: str, default: float, help: str) -> Setting[float]:
    return Setting(name, group, "seconds ≥ 0", default, help, _number(0),
                   "a number of seconds ≥ 0")


def _text(name: str, group: str, kind: str, help: str, *, shown_default: str = "unset",
          secret: bool = False, per: str | None = None) -> Setting[str | None]:
    return Setting[str | None](name, group, kind, None, help, str, secret=secret, per=per,
                               strip=not secret, shown_default=shown_default)


WAREHOUSE, COLLECT, X, BLUESKY, MASTODON, DASHBOARD = (
    "Warehouse", "Collecting: every platform", "X", "Bluesky", "Mastodon",
    "Dashboard, reports and shared links",
)

DB = _text("TERRITOIRES_DB", WAREHOUSE, "path",
           "The warehouse file, when `--db` is not given (`territoires serve` sets it for the "
           "dashboard).", shown_default="`./territoires.duckdb`")
MEMORY_LIMIT = Setting[str | None](
    "TERRITOIRES_MEMORY_LIMIT", WAREHOUSE, "size", None,
    "DuckDB's buffer pool cap, e.g. `3GB` or `512MiB`; larger operations spill to disk.",
    _size, "a size like '3GB' or '512MiB'", shown_default="DuckDB's (80 % of the memory)")
SPARK_MASTER = _text("TERRITOIRES_SPARK_MASTER", WAREHOUSE, "Spark master URL",
                     "Where `--engine spark` runs: `local[4]`, `spark://host:7077`, `yarn`, "
                     "`k8s://…`, or a Spark Connect `sc://host:15002` (docs/scale.md).",
                     shown_default="`local[2]`")

RETRIES = Setting("TERRITOIRES_RETRIES", COLLECT, "whole number ≥ 0", 4,
                  "Retries per request (rate-limit waits, and 5xx or connection errors).",
                  _whole(0), "a whole number ≥ 0")
RATE_LIMIT_MAX_WAIT = _seconds("TERRITOIRES_RATE_LIMIT_MAX_WAIT", COLLECT, 900.0,
                               "Longest single wait for a rate-limit reset; a later reset "
                               "stops the endpoint for this run.")
RATE_LIMIT_WAIT = _seconds("TERRITOIRES_RATE_LIMIT_WAIT", COLLECT, 60.0,
                           "First wait after a 429 without a reset header (doubling).")
BACKOFF = _seconds("TERRITOIRES_BACKOFF", COLLECT, 2.0,
                   "First wait after a 5xx or a connection error (doubling).")
BACKOFF_MAX = _seconds("TERRITOIRES_BACKOFF_MAX", COLLECT, 120.0, "Longest backoff wait.")
HTTP_TIMEOUT = _seconds("TERRITOIRES_HTTP_TIMEOUT", COLLECT, 30.0,
                        "Seconds to connect and between bytes of an answer.")
LAND_BATCH = Setting("TERRITOIRES_LAND_BATCH", COLLECT, "whole number ≥ 1", 20,
                     "Pages landed per transaction (or every 5 seconds).", _whole(1),
                     "a whole number ≥ 1")
PRICES = Setting[dict[str, float]](
    "TERRITOIRES_PRICES_<PLATFORM>", COLLECT, "name=price pairs", {},
    "US dollars per object read, over the defaults (model/prices.py), e.g. "
    "`post_read=0.005,user_read=0.010,owned_read=0.001` (or a JSON object).",
    _prices, "name=price pairs such as post_read=0.005,user_read=0.01",
    shown_default="X's pay-per-use prices; 0 elsewhere")

X_BEARER_TOKEN = _text("X_BEARER_TOKEN", X, "secret", "The X API v2 bearer token.",
                       secret=True)
TWITTER_BEARER_TOKEN = _text("TWITTER_BEARER_TOKEN", X, "secret",
                             "Read when `X_BEARER_TOKEN` is not set.", secret=True)
X_API_URL = _text("TERRITOIRES_X_API_URL", X, "URL",
                  "Another base URL for the X API (a proxy, a gateway, a test server).",
                  shown_default="`https://api.twitter.com`")
X_MAX_PAGES = Setting("TERRITOIRES_X_MAX_PAGES", X, "whole number ≥ 1", 50,
                      "Pages per query per run (`--max-pages` wins); the rest comes next run.",
                      _whole(1), "a whole number ≥ 1")
X_QUERY_MAX = Setting("TERRITOIRES_X_QUERY_MAX", X, "whole number ≥ 1", 512,
                      "Longest recent-search query, in characters (X's limit).",
                      _whole(1), "a whole number ≥ 1")

BLUESKY_APP_PASSWORD = _text(
    "BLUESKY_APP_PASSWORD", BLUESKY, "secret",
    "App password; `BLUESKY_APP_PASSWORD__<HANDLE>` (upper case, other characters `_`) for "
    "one account.", secret=True, per="HANDLE")
BLUESKY_API_URL = _text("TERRITOIRES_BLUESKY_API_URL", BLUESKY, "URL",
                        "Another base URL for Bluesky (a proxy, a test server).",
                        shown_default="`https://bsky.social`")
BLUESKY_SESSION_DIR = _text("TERRITOIRES_BLUESKY_SESSION_DIR", BLUESKY, "path",
                            "Where login sessions are kept between runs, outside the "
                            "warehouse.", shown_default="`~/.config/territoires/bluesky`")

MASTODON_ACCESS_TOKEN = _text(
    "MASTODON_ACCESS_TOKEN", MASTODON, "secret",
    "Access token; `MASTODON_ACCESS_TOKEN__<ACCT>` (upper case, other characters `_`) for "
    "one account.", secret=True, per="ACCT")
MASTODON_URLS = _text("TERRITOIRES_MASTODON_URLS", MASTODON, "server=URL pairs",
                      "Base URL overrides per server, `server=https://url,server2=…`.",
                      shown_default="`https://<server>`")

SHARE_SECRET = _text("TERRITOIRES_SHARE_SECRET", DASHBOARD, "secret",
                     "Signs shared links; the dashboard and `share`/`report` must know the "
                     "same one.", shown_default="`<db>.share-secret` if present",
                     secret=True)
PUBLIC_URL = _text("TERRITOIRES_PUBLIC_URL", DASHBOARD, "URL",
                   "The dashboard's public address, for the links `territoires share` prints.",
                   shown_default="`http://localhost:8501`")
USER_HEADER = _text("TERRITOIRES_USER_HEADER", DASHBOARD, "header name",
                    "The HTTP header (set by the reverse proxy) naming who records a triage "
                    "decision.", shown_default="unset: a field in the sidebar")
ROLES = _text("TERRITOIRES_ROLES", DASHBOARD, "path",
              "With sign-in: the roles file (who is admin, cm, service, lecteur; "
              "docs/deploying.md).", shown_default="`<db>.roles.toml`")
SECRETS = _text("TERRITOIRES_SECRETS", DASHBOARD, "path",
                "The Streamlit secrets file whose `[auth]` section turns sign-in on "
                "(`territoires serve` passes it to Streamlit; docs/deploying.md).",
                shown_default="Streamlit's: `~/.streamlit/secrets.toml`, "
                "`.streamlit/secrets.toml`")
BROWSER_PATH = _text("BROWSER_PATH", DASHBOARD, "path",
                     "The Chrome/Chromium that draws the report's charts.",
                     shown_default="`chromium` on `PATH`")

ALERTS = "Alerts (`territoires alert`)"
SMTP_URL = _text("TERRITOIRES_SMTP_URL", ALERTS, "URL",
                 "The mail server for alert e-mails: `smtp://host:port` (STARTTLS when the "
                 "server offers it) or `smtps://host:port` (TLS from the start).")
SMTP_USER = _text("TERRITOIRES_SMTP_USER", ALERTS, "text",
                  "The mail server's login, if it asks for one.")
SMTP_PASSWORD = _text("TERRITOIRES_SMTP_PASSWORD", ALERTS, "secret",
                      "The mail server's password (with `TERRITOIRES_SMTP_USER`).", secret=True)
SMTP_FROM = _text("TERRITOIRES_SMTP_FROM", ALERTS, "e-mail address",
                  "The sender of alert e-mails.", shown_default="`territoires@<host name>`")
ALERT_TIMEOUT = _seconds("TERRITOIRES_ALERT_TIMEOUT", ALERTS, 20.0,
                         "Seconds to wait for the mail server or a webhook before the "
                         "delivery counts as failed (retried at the next run).")

SETTINGS: tuple[Setting[Any], ...] = tuple(
    v for v in list(globals().values()) if isinstance(v, Setting)
)
SECRET_NAMES = tuple(s.name for s in SETTINGS if s.secret)


def markdown() -> str:
    """The reference page, docs/settings.md."""
    lines = [
        "# Settings",
        "",
        "<!-- Generated by `python -m model.settings --markdown > docs/settings.md`; "
        "do not edit. -->",
        "",
        "Every environment variable Territoires reads, declared in `model/settings.py` "
        "(docs/design.md §14). A bad value stops the command with one line naming the "
        "variable and what it expects. Secrets are never printed or stored; keep them in the "
        "service's environment or a git-ignored `.env` (docs/deploying.md).",
        "",
        "Streamlit's own settings (`STREAMLIT_…` variables, `.streamlit/config.toml`) are "
        "read by Streamlit, not listed here.",
    ]
    for group in dict.fromkeys(s.group for s in SETTINGS):
        lines += ["", f"## {group}", "", "| Variable | Type | Default | Secret | What |",
                  "|---|---|---|---|---|"]
        for s in (s for s in SETTINGS if s.group == group):
            default = s.shown_default if s.shown_default is not None else f"`{s.default:g}`" \
                if isinstance(s.default, float) else f"`{s.default}`"
            lines.append(f"| `{s.name}` | {s.kind} | {default} | {'yes' if s.secret else ''} "
                         f"| {s.help} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    if sys.argv[1:] != ["--markdown"]:
        sys.exit("usage: python -m model.settings --markdown > docs/settings.md")
    sys.stdout.write(markdown())
