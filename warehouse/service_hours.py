"""Service hours as a calendar of opening intervals in UTC (docs/metrics.md, "Service-hours
response time").

Each city account has weekly opening ranges (``"mon-fri 09:00-18:00"``) read in the
territory's time zone, with the territory's public holidays closed. For a span of local
days, :func:`opening_intervals` lays the ranges out day by day as local wall-clock times and
converts each end to UTC with :mod:`zoneinfo`, so a daylight-saving change neither adds nor
loses an hour (a 00:00-24:00 range lasts 23 hours on the spring day, 25 on the autumn one).

The SQL side (``warehouse.interpellations``) receives the calendar as bound list
parameters (:func:`calendar_params`): one row per account and UTC day, with the open
seconds accumulated before that day and the day's intervals, so the open time between two
instants is ``F(t2) - F(t1)``, each ``F(t)`` found by an equality join on ``t``'s day.
:func:`service_minutes` is the plain-Python reference for one interval.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import holidays as holidays_lib

from model import Account, Territory
from model.opening import OpeningRange

Interval = tuple[datetime, datetime]  # naive UTC [start, end)

# The calendar never spans more than these instants: a post dated 9999-12-31 or 0001-01-01
# landed before the loader rejected such dates (warehouse/pages.py) overflowed Python's
# dates here and failed every later recompute. Posts outside simply find no calendar day
# (no service time), like a post before the first day.
CALENDAR_FIRST = datetime(2000, 1, 1)
CALENDAR_LAST = datetime(2200, 1, 1)


def clamp(value: datetime) -> datetime:
    """``value`` (naive UTC) brought inside [CALENDAR_FIRST, CALENDAR_LAST]."""
    return min(max(value, CALENDAR_FIRST), CALENDAR_LAST)


@functools.lru_cache(maxsize=64)
def _holidays(country: str, years: tuple[int, ...]) -> frozenset[date]:
    return frozenset(holidays_lib.country_holidays(country, years=list(years)).keys())


def public_holidays(territory: Territory, first: date, last: date) -> frozenset[date]:
    """The territory's public holidays between two local dates (``holidays`` package)."""
    if not territory.holidays:
        return frozenset()
    return _holidays(territory.holidays, tuple(range(first.year, last.year + 1)))


def _merge(spans: Iterable[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    out: list[tuple[Any, Any]] = []
    for s, e in sorted(spans):
        if e <= s:
            continue
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def to_utc_naive(value: datetime, tz: ZoneInfo | None = None) -> datetime:
    """An aware instant (or a naive one read in ``tz``, else UTC) as a naive UTC datetime."""
    if value.tzinfo is None:
        if tz is None:
            return value
        value = value.replace(tzinfo=tz)
    return value.astimezone(UTC).replace(tzinfo=None)


def opening_intervals(
    territory: Territory, opening: Sequence[OpeningRange], first: date, last: date
) -> list[Interval]:
    """Opening intervals (naive UTC, sorted, merged) for local days ``first``..``last``."""
    tz = ZoneInfo(territory.timezone)
    closed = public_holidays(territory, first, last)
    by_day: dict[int, list[tuple[int, int]]] = {}
    for r in opening:
        by_day.setdefault(r.weekday, []).append((r.start_minute, r.end_minute))
    spans: list[Interval] = []
    day = first
    while day <= last:
        if day not in closed:
            midnight = datetime.combine(day, time())
            for s, e in _merge(by_day.get(day.weekday(), [])):
                # wall-clock times of this local day (24:00 is the next midnight), then UTC
                spans.append(
                    (
                        to_utc_naive(midnight + timedelta(minutes=s), tz),
                        to_utc_naive(midnight + timedelta(minutes=e), tz),
                    )
                )
        day += timedelta(days=1)
    return _merge(spans)


def local_date_span(
    territory: Territory, start_utc: datetime, end_utc: datetime
) -> tuple[date, date]:
    """Local dates covering ``[start_utc, end_utc]``, one day of margin on each side."""
    tz = ZoneInfo(territory.timezone)
    lo, hi = sorted((start_utc, end_utc))
    a = lo.replace(tzinfo=UTC).astimezone(tz).date() - timedelta(days=1)
    b = hi.replace(tzinfo=UTC).astimezone(tz).date() + timedelta(days=1)
    return a, b


def _account(territory: Territory, handle: str, platform: str | None) -> Account:
    for a in territory.accounts:
        if a.handle.lower() == handle.lower().lstrip("@") and platform in (None, a.platform):
            return a
    raise KeyError(f"{handle!r} is not one of the territory's accounts")


def service_minutes(
    territory: Territory,
    handle: str,
    start_utc: datetime,
    end_utc: datetime,
    platform: str | None = None,
) -> float:
    """Minutes of ``[start_utc, end_utc)`` inside ``handle``'s service hours (Python reference).

    Instants are naive UTC (or aware). Holidays and daylight saving are handled as in the SQL.
    """
    start_utc, end_utc = clamp(to_utc_naive(start_utc)), clamp(to_utc_naive(end_utc))
    if end_utc <= start_utc:
        return 0.0
    account = _account(territory, handle, platform)
    first, last = local_date_span(territory, start_utc, end_utc)
    total = 0.0
    for s, e in opening_intervals(territory, account.opening, first, last):
        lo, hi = max(s, start_utc), min(e, end_utc)
        if hi > lo:
            total += (hi - lo).total_seconds()
    return total / 60.0


def calendar_params(
    territory: Territory,
    accounts: Iterable[tuple[str, str, str]],
    start_utc: datetime,
    end_utc: datetime,
) -> dict[str, list[Any]]:
    """The calendar as bound list parameters for the SQL (``cal_*``): one row per account and
    UTC day covering ``[start_utc, end_utc]`` (two days of margin).

    ``accounts`` are ``(platform, handle, user_id)`` of the city accounts whose ids are known.
    Columns: the territory (whose calendar it is), platform, user id, the UTC day, the
    account's open seconds accumulated before that day, and the day's opening intervals as
    ``[start, end]`` seconds since its midnight (UTC). An interval crossing midnight is
    split. The open seconds before an instant ``t`` are then ``cum + sum(max(0, min(t, end) -
    start))`` over the intervals of ``t``'s day: an equality join on the day, so the SQL stays
    linear in the number of posts.
    """
    lo, hi = sorted((clamp(to_utc_naive(start_utc)), clamp(to_utc_naive(end_utc))))
    first_day, last_day = (lo - timedelta(days=2)).date(), (hi + timedelta(days=2)).date()
    local_first, local_last = local_date_span(
        territory, datetime.combine(first_day, time()), datetime.combine(last_day, time())
    )
    names = ("cal_terr", "cal_platform", "cal_user", "cal_day", "cal_cum", "cal_ivs")
    cols: dict[str, list[Any]] = {n: [] for n in names}
    for platform, handle, user_id in sorted(set(accounts)):
        try:
            account = _account(territory, handle, platform)
        except KeyError:
            continue
        per_day: dict[date, list[list[float]]] = {}
        for s, e in opening_intervals(territory, account.opening, local_first, local_last):
            while s < e:  # split at UTC midnights
                midnight = datetime.combine(s.date(), time())
                cut = min(e, midnight + timedelta(days=1))
                per_day.setdefault(s.date(), []).append(
                    [(s - midnight).total_seconds(), (cut - midnight).total_seconds()]
                )
                s = cut
        cum = 0.0
        day = first_day
        while day <= last_day:
            ivs = per_day.get(day, [])
            cols["cal_terr"].append(territory.slug)
            cols["cal_platform"].append(platform)
            cols["cal_user"].append(user_id)
            cols["cal_day"].append(day)
            cols["cal_cum"].append(cum)
            cols["cal_ivs"].append(ivs)
            cum += sum(e - s for s, e in ivs)
            day += timedelta(days=1)
    return cols
