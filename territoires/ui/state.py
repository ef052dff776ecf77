"""The shared view (territory, period, account, language, as-of) and its URL form.

The URL is the source of truth when a session opens (a shared link reopens the same view);
afterwards the sidebar widgets are, and every run writes them back to ``st.query_params``
(page switches clear the query string, so it is restored on each run). docs/design.md §9: reading
and writing ``st.query_params`` ourselves is what AppTest can drive, unlike ``bind=``.

Parameters: ``territory`` (slug), ``from`` and ``to`` (ISO dates, both days included, read
in the territory's time zone), ``account`` (a city handle), ``lang`` (``fr``/``en``),
``asof`` (optional ISO instant, UTC: freezes "now" so a link always shows the same figures),
``platform`` (``x``, ``bluesky`` or ``mastodon``; absent = every platform).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from model import PLATFORMS, Territory
from territoires.periods import last_complete_day
from territoires.text.i18n import DEFAULT_LANG, LANGS

DEFAULT_DAYS = 28
MAX_DAYS = 731
SHARED_KEYS = ("territory", "from", "to", "account", "platform", "lang", "asof")


@dataclass(frozen=True)
class View:
    db: str
    territory: Territory
    since: date  # first day, included
    until: date  # last day, included (the metric window is [since, until + 1 day))
    account: str | None
    lang: str
    as_of: datetime  # naive UTC: the instant answers and triage decisions are judged at
    asof_pinned: bool = False  # as_of came from the URL
    platform: str | None = None  # one platform, or None for all
    # the last collection (naive UTC), when as_of is not pinned: what "today" and the
    # freshness line are about; as_of may be later (a triage decision made since counts)
    data_as_of: datetime | None = None

    @property
    def pf(self) -> dict[str, str]:
        """The platform filter as keyword arguments of the query functions (``{}`` = all,
        so the unfiltered calls keep their cache keys)."""
        return {"platform": self.platform} if self.platform else {}

    @property
    def until_excl(self) -> date:
        return self.until + timedelta(days=1)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.territory.timezone)

    @property
    def today(self) -> date:
        """The data's date in the territory's time zone: the last collection's (the pinned
        as-of instant's when the URL gives one)."""
        return self.local(self.data_as_of or self.as_of).date()

    def local(self, instant: datetime) -> datetime:
        """A naive-UTC instant as a naive local time of the territory."""
        aware = instant if instant.tzinfo else instant.replace(tzinfo=UTC)
        return aware.astimezone(self.tz).replace(tzinfo=None)

    def params(self) -> dict[str, str]:
        """The view as URL query parameters."""
        out = {
            "territory": self.territory.slug,
            "from": self.since.isoformat(),
            "to": self.until.isoformat(),
            "lang": self.lang,
        }
        if self.account:
            out["account"] = self.account
        if self.platform:
            out["platform"] = self.platform
        if self.asof_pinned:
            out["asof"] = self.as_of.replace(microsecond=0).isoformat() + "Z"
        return out

    def with_(self, **changes: object) -> View:
        return replace(self, **changes)  # type: ignore[arg-type]


def _date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


def parse_instant(value: str | None) -> datetime | None:
    """An ISO instant as naive UTC (a naive value is read as UTC)."""
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        return None
    return dt.astimezone(UTC).replace(tzinfo=None) if dt.tzinfo else dt


def default_period(today: date, days: int = DEFAULT_DAYS) -> tuple[date, date]:
    """The ``days`` days up to the last complete one: ``today`` (the as-of day) is still
    being collected, so a default period ending on it would end on a day without its data
    (docs/dashboard.md, "Périodes incomplètes")."""
    last = last_complete_day(today)
    return last - timedelta(days=days - 1), last


def view_from_params(
    params: Mapping[str, str],
    db: str,
    territories: Sequence[Territory],
    data_as_of: Mapping[str, datetime | None],
    now: datetime,
    decided: Mapping[str, datetime | None] | None = None,
) -> View:
    """Resolve URL parameters into a valid view; anything invalid falls back to a default.

    ``data_as_of`` maps a territory slug to its last collection instant (naive UTC); the
    view's as-of is the URL's ``asof`` if given, else that instant (capped at ``now``),
    moved up to the territory's latest triage decision (``decided``, never past ``now``):
    a decision made since the last collection counts at once, on every page.
    """
    if not territories:
        raise ValueError("no territory")
    by_slug = {t.slug: t for t in territories}
    terr = by_slug.get(params.get("territory", ""), territories[0])
    pinned = parse_instant(params.get("asof"))
    last = data_as_of.get(terr.slug)
    fresh = min(last, now) if last else now
    latest = (decided or {}).get(terr.slug)
    live = max(fresh, min(latest, now)) if latest else fresh
    view = View(db=db, territory=terr, since=date.min, until=date.min, account=None,
                lang=params["lang"] if params.get("lang") in LANGS else DEFAULT_LANG,
                as_of=pinned or live, asof_pinned=pinned is not None,
                data_as_of=None if pinned else fresh)
    since, until = _date(params.get("from")), _date(params.get("to"))
    if since and until and since > until:
        since, until = until, since
    d_since, d_until = default_period(view.today)
    if since is None and until is None:
        since, until = d_since, d_until
    elif since is None and until is not None:
        since = until - timedelta(days=DEFAULT_DAYS - 1)
    elif until is None and since is not None:
        until = since + timedelta(days=DEFAULT_DAYS - 1)
    assert since is not None and until is not None
    if (until - since).days >= MAX_DAYS:
        since = until - timedelta(days=MAX_DAYS - 1)
    platform = params.get("platform") if params.get("platform") in PLATFORMS else None
    handles = {a.handle.lower(): a.handle for a in terr.accounts
               if platform is None or a.platform == platform}
    account = handles.get((params.get("account") or "").lstrip("@").lower())
    return view.with_(since=since, until=until, account=account, platform=platform)
