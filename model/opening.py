"""Parse service-hours specifications such as ``"mon-fri 08:30-12:00, sat 09:00-12:00"``.

A specification is a comma-separated list of ranges; each range is a day or a day span
(``mon``, ``mon-fri``, ``sat-sun``; a span may wrap, ``fri-mon``) followed by a time span
``HH:MM-HH:MM`` (``24:00`` allowed as an end). Times are local to the territory.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_RANGE = re.compile(
    r"^\s*(?P<d1>[a-z]{3})(?:\s*-\s*(?P<d2>[a-z]{3}))?\s+"
    r"(?P<h1>\d{1,2}):(?P<m1>\d{2})\s*-\s*(?P<h2>\d{1,2}):(?P<m2>\d{2})\s*$"
)


class ServiceHoursError(ValueError):
    """A service-hours string that does not follow ``"mon-fri 09:00-18:00"``."""


@dataclass(frozen=True)
class OpeningRange:
    weekday: int  # 0 = Monday
    start_minute: int  # minutes since local midnight
    end_minute: int  # exclusive, at most 1440


def parse_service_hours(spec: str) -> tuple[OpeningRange, ...]:
    """Return the opening ranges of ``spec``, one per weekday and time span, sorted."""
    if not isinstance(spec, str) or not spec.strip():
        raise ServiceHoursError('expected ranges like "mon-fri 09:00-18:00", got an empty value')
    ranges: list[OpeningRange] = []
    for part in spec.lower().split(","):
        m = _RANGE.match(part)
        if not m:
            raise ServiceHoursError(
                f'"{part.strip()}" is not a range like "mon-fri 09:00-18:00"'
            )
        d1, d2 = m["d1"], m["d2"] or m["d1"]
        for d in (d1, d2):
            if d not in DAYS:
                raise ServiceHoursError(f'"{d}" is not a day (expected one of {", ".join(DAYS)})')
        start = int(m["h1"]) * 60 + int(m["m1"])
        end = int(m["h2"]) * 60 + int(m["m2"])
        if int(m["m1"]) > 59 or int(m["m2"]) > 59 or start >= 1440 or end > 1440:
            raise ServiceHoursError(f'"{part.strip()}" has an invalid time')
        if end <= start:
            raise ServiceHoursError(f'"{part.strip()}" ends before it starts')
        i, j = DAYS.index(d1), DAYS.index(d2)
        days = range(i, j + 1) if i <= j else [*range(i, 7), *range(0, j + 1)]
        ranges.extend(OpeningRange(d, start, end) for d in days)
    return tuple(sorted(set(ranges), key=lambda r: (r.weekday, r.start_minute)))
