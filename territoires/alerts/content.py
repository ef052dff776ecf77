"""What ``territoires alert`` tells, read from the warehouse at an instant (docs/deploying.md,
"Alerts"): the interpellations waiting for an answer with their wait in service hours,
yesterday's figures, the spikes, and when the morning digest is due.

Nothing here reads the clock or sends anything: the command passes ``as_of`` (naive UTC).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from model import Territory
from model.territory import Alerts
from territoires.privacy import Profile, is_private
from warehouse.metrics import headline, pending_queue
from warehouse.metrics_base import Con
from warehouse.page_spikes import spikes
from warehouse.profiles import account_profiles
from warehouse.service_hours import public_holidays

QUEUE_LIMIT = 500  # interpellations read for one run (the pending queue of 7 days)


@dataclass(frozen=True)
class Waiting:
    """An interpellation expecting an answer, unanswered, younger than 7 days."""

    platform: str
    post_id: str
    created_at: datetime  # naive UTC
    username: str | None
    name: str | None
    addressed: str | None
    text: str | None
    url: str | None
    service_minutes: float  # its wait so far in the addressed account's service hours
    private: bool  # a private person (territoires/privacy.py): no text nor handle to webhooks

    @property
    def key(self) -> str:
        return f"{self.platform}:{self.post_id}"


@dataclass(frozen=True)
class Spike:
    series: str  # a tracked hashtag or "mentions"
    day: date
    posts: int
    usual: float

    @property
    def key(self) -> str:
        return f"{self.series}:{self.day.isoformat()}"


def local_now(territory: Territory, as_of: datetime) -> datetime:
    """``as_of`` (naive UTC) as the territory's local wall-clock time."""
    return as_of.replace(tzinfo=UTC).astimezone(ZoneInfo(territory.timezone))


def working_day(territory: Territory, day: date) -> bool:
    """Monday to Friday, and not one of the territory's public holidays."""
    return day.weekday() < 5 and day not in public_holidays(territory, day, day)


def digest_due(territory: Territory, alerts: Alerts, as_of: datetime) -> date | None:
    """The local day whose digest is due at ``as_of``: today, once ``digest_at`` has passed on
    a working day; else None. A digest is only ever due on its own day: a run after a cron
    outage sends today's, never one of a day already gone."""
    local = local_now(territory, as_of)
    if not working_day(territory, local.date()):
        return None
    return local.date() if local.hour * 60 + local.minute >= alerts.digest_minute else None


def _missing(value: Any) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


def _text(value: Any) -> str | None:
    return None if _missing(value) else str(value)


def waiting(con: Con, territory: Territory, as_of: datetime) -> list[Waiting]:
    """The queue's interpellations still expecting an answer at ``as_of``, oldest first."""
    df = pending_queue(con, territory, as_of, limit=QUEUE_LIMIT)
    df = df[(df["state"] == "pending") & df["expects"].astype(bool)]
    if df.empty:
        return []
    keys = [(str(p), str(a)) for p, a in zip(df["platform"], df["author_id"], strict=True)
            if not _missing(a)]
    prof = account_profiles(con, territory, keys)
    private: dict[tuple[str, str], bool] = {}
    for r in prof.itertuples(index=False):
        followers = None if _missing(r.followers_count) else int(r.followers_count)
        p = Profile(str(r.platform), str(r.id), _text(r.username), bool(r.verified),
                    _text(r.verified_type), followers, bool(r.is_city))
        private[(p.platform, p.id)] = is_private(p, territory)
    out = []
    for r in df.to_dict("records"):
        minutes = r["service_age_minutes"]
        minutes = 0.0 if _missing(minutes) or math.isnan(float(minutes)) else float(minutes)
        created = pd.Timestamp(r["created_at"]).to_pydatetime()
        author = _text(r["author_id"])
        out.append(Waiting(
            platform=str(r["platform"]), post_id=str(r["post_id"]), created_at=created,
            username=_text(r["author_username"]), name=_text(r["author_name"]),
            addressed=_text(r["addressed_handle"]), text=_text(r["text"]), url=_text(r["url"]),
            service_minutes=minutes,
            private=private.get((str(r["platform"]), author), True) if author else True,
        ))
    return out


def over_threshold(items: list[Waiting], alerts: Alerts) -> list[Waiting]:
    """The waiting interpellations whose wait in service hours passed the threshold."""
    return [w for w in items if w.service_minutes > alerts.pending_over_service_minutes]


def recent_spikes(con: Con, territory: Territory, as_of: datetime) -> list[Spike]:
    """Spikes of yesterday and today (local days; today's counts the posts landed so far)."""
    today = local_now(territory, as_of).date()
    found = spikes(con, territory, (today - timedelta(days=1), today))
    return [Spike(str(r.series), pd.Timestamp(r.day).date(), int(r.posts), float(r.usual))
            for r in found.itertuples(index=False)]


def yesterday_figures(con: Con, territory: Territory, as_of: datetime) -> dict[str, Any]:
    """The ``territoires metrics`` keys of yesterday (local day), judged at ``as_of``."""
    today = local_now(territory, as_of).date()
    return headline(con, territory, today - timedelta(days=1), today, as_of)
