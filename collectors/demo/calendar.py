"""The demo's calendar: its period, the rhythm of its hours, its months, its service hours.

Instants are integer milliseconds since the Unix epoch (UTC), as the generator counts them.
The data covers the :data:`WEEKS` weeks before the anchor date's midnight (territory time);
the storm (the hashtag spike) falls five days before the anchor.
"""

from __future__ import annotations

import random
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from model import Account, Territory
from warehouse.service_hours import opening_intervals

WEEKS = 13
HOUR = 3_600_000
MINUTE = 60_000
QUARTER = 900_000  # every time zone's offset is a multiple of a quarter hour

# fmt: off
# local hour of day -> relative activity of citizens (quiet nights, lunch and evening peaks)
_HOUR_W = (
    0.18, 0.09, 0.05, 0.04, 0.05, 0.12, 0.35, 0.75, 1.10, 1.20, 1.15, 1.10,
    1.30, 1.25, 1.00, 0.95, 1.00, 1.10, 1.30, 1.45, 1.50, 1.35, 0.90, 0.45,
)
_WEEKDAY_W = (1.0, 1.02, 1.0, 0.98, 0.95, 0.68, 0.58)
# extra activity per local hour on the storm day (multiplies the usual rhythm)
_STORM_W = (
    0, 0, 0, 0, 1, 3, 5, 6, 6, 5, 4, 4,
    3, 3, 3, 2.5, 2, 2, 2, 1.5, 1.2, 1, 0.6, 0.3,
)
# fmt: on


def ms(dt: datetime) -> int:
    """An aware instant in milliseconds since the epoch."""
    return int(dt.timestamp() * 1000)


def default_anchor(territory: Territory) -> date:
    """Today, in the territory's time zone."""
    return datetime.now(ZoneInfo(territory.timezone)).date()


def demo_period(territory: Territory, anchor: date | None = None) -> tuple[datetime, datetime]:
    """Naive-UTC ``[start, end)`` of the demo data: the :data:`WEEKS` weeks before ``anchor``."""
    tz = ZoneInfo(territory.timezone)
    anchor = anchor or default_anchor(territory)
    end = datetime.combine(anchor, time(0), tz)
    start = datetime.combine(anchor - timedelta(weeks=WEEKS), time(0), tz)
    return (start.astimezone(UTC).replace(tzinfo=None), end.astimezone(UTC).replace(tzinfo=None))


def spike_day(anchor: date) -> date:
    """The local date of the storm (the hashtag spike): five days before the anchor."""
    return anchor - timedelta(days=5)


def hourly_weights(
    rng: random.Random, start_ms: int, end_ms: int, tz: ZoneInfo, anchor: date
) -> tuple[list[float], list[bool]]:
    """Per hour of the period: the relative number of new posts, and whether it is stormy.

    The local hour's and weekday's rhythm, a daily noise on a slowly rising trend, and the
    storm's extra activity on :func:`spike_day`.
    """
    n = (end_ms - start_ms) // HOUR
    storm = spike_day(anchor)
    day_noise: dict[date, float] = {}
    weights, stormy = [], []
    for b in range(n):
        local = datetime.fromtimestamp((start_ms + b * HOUR) / 1000, tz)
        d = local.date()
        if d not in day_noise:
            trend = 0.9 + 0.2 * (b / max(1, n))
            day_noise[d] = max(0.6, rng.gauss(1.0, 0.1)) * trend
        w = _HOUR_W[local.hour] * _WEEKDAY_W[local.weekday()] * day_noise[d]
        is_storm = d == storm and _STORM_W[local.hour] > 0
        if is_storm:
            w *= 1 + _STORM_W[local.hour]
        weights.append(w)
        stormy.append(is_storm)
    return weights, stormy


def month_slots(start_ms: int, end_ms: int, tz: ZoneInfo) -> list[int]:
    """The local month (0-11) of each quarter hour of ``[start_ms, end_ms)``, from its start."""
    n = -(-(end_ms - start_ms) // QUARTER)
    slots: list[int] = []
    first = datetime.fromtimestamp(start_ms / 1000, tz).date().replace(day=1)
    while len(slots) < n:
        nxt = (first + timedelta(days=32)).replace(day=1)
        edge = ms(datetime.combine(nxt, time(0), tz))
        upto = min(n, -(-(edge - start_ms) // QUARTER))
        slots.extend([first.month - 1] * (upto - len(slots)))
        first = nxt
    return slots


class ServiceHours:
    """The city accounts' service hours around the period, for scheduling the city's posts
    and answers: the opening intervals of :func:`warehouse.service_hours.opening_intervals`
    (holidays closed, daylight saving handled), in milliseconds, with the service time
    accumulated before each one."""

    def __init__(self, territory: Territory, accounts: Sequence[Account], anchor: date):
        first = anchor - timedelta(weeks=WEEKS, days=3)
        last = anchor + timedelta(days=40)
        self.calendars: list[tuple[list[int], list[int], list[int], list[int]]] = []
        for account in accounts:
            intervals = opening_intervals(territory, account.opening, first, last)
            starts = [ms(s.replace(tzinfo=UTC)) for s, _ in intervals]
            ends = [ms(e.replace(tzinfo=UTC)) for _, e in intervals]
            cum: list[int] = []
            cum_end: list[int] = []
            total = 0
            for lo, hi in zip(starts, ends, strict=True):
                cum.append(total)
                total += hi - lo
                cum_end.append(total)
            self.calendars.append((starts, ends, cum, cum_end))

    def next_open(self, acc: int, t: int) -> int | None:
        """``t`` if account ``acc`` is open then, else its next opening (None: beyond)."""
        starts, ends, _, _ = self.calendars[acc]
        i = bisect_right(ends, t)
        if i == len(ends):
            return None
        return max(t, starts[i])

    def add(self, acc: int, t: int, minutes: float) -> int | None:
        """The instant ``minutes`` of ``acc``'s service time after ``t`` (next opening first)."""
        starts, ends, cum, cum_end = self.calendars[acc]
        i = bisect_right(ends, t)
        if i == len(ends):
            return None
        target = cum[i] + max(0, t - starts[i]) + int(minutes * MINUTE)
        j = bisect_left(cum_end, target)
        if j == len(cum_end):
            return None
        return starts[j] + (target - cum[j])
