"""Service-hours response times (docs/metrics.md, "Service-hours response time"): openings,
holidays, daylight saving, split hours."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest

from tests.scenario import Scenario, make_territory
from warehouse.metrics import interpellations, service_minutes
from warehouse.service_hours import opening_intervals

CITY = ("ville", "ville_sortir", "ville_proprete")


def scenario(**sections) -> Scenario:
    s = Scenario(make_territory(**sections))
    for handle in CITY:
        s.user(handle)
    return s


def answered(con, s: Scenario, pairs: list[tuple[str, str, str]]):
    """Land one interpellation per (answering account, asked at, answered at); judge them."""
    ids = []
    for n, (handle, asked, answer) in enumerate(pairs):
        p = s.post(f"citizen{n}", asked, f"@{handle} une question")
        s.reply(handle, p, answer, f"@citizen{n} la réponse")
        ids.append(p)
    s.land(con)
    df = interpellations(con, s.territory, date(2020, 1, 1), date(2030, 1, 1), datetime(2030, 1, 1))
    df = df.set_index("post_id").loc[ids]
    assert list(df.status) == ["answered"] * len(ids)
    return df


def test_a_message_before_opening_counts_from_the_opening(con):
    s = scenario()
    df = answered(con, s, [("ville", "2024-03-04 08:00", "2024-03-04 09:20")])  # a Monday
    assert df.iloc[0].response_minutes == 80.0
    assert df.iloc[0].service_response_minutes == 20.0


def test_friday_evening_to_monday_morning(con):
    s = scenario()
    df = answered(con, s, [("ville", "2024-03-08 17:50", "2024-03-11 09:10")])
    assert df.iloc[0].response_minutes == 63 * 60 + 20
    assert df.iloc[0].service_response_minutes == 20.0


@pytest.mark.parametrize(("country", "expected"), [("FR", 60.0), ("", 600.0)])
def test_a_public_holiday_is_closed(con, country, expected):
    # Tuesday 30 April 17:30 -> Thursday 2 May 09:30; 1 May (Labour Day) is a holiday in FR
    territory = {"name": "T", "slug": "testville", "timezone": "Europe/Paris", "holidays": country}
    s = scenario(territory=territory)
    df = answered(con, s, [("ville", "2024-04-30 17:30", "2024-05-02 09:30")])
    assert df.iloc[0].service_response_minutes == expected


def test_daylight_saving_weekends_neither_add_nor_lose_an_hour(con):
    s = scenario()
    df = answered(
        con,
        s,
        [
            # autumn: Friday 17:30 CEST -> Monday 09:30 CET; the wall clock has 65 hours
            ("ville", "2024-10-25 17:30", "2024-10-28 09:30"),
            # spring, every-day account: Saturday 19:30 CET -> Sunday 10:30 CEST: 14 hours
            ("ville_sortir", "2024-03-30 19:30", "2024-03-31 10:30"),
            # spring, with Easter Monday closed too: Friday 17:30 -> Tuesday 09:30
            ("ville", "2024-03-29 17:30", "2024-04-02 09:30"),
        ],
    )
    assert list(df.response_minutes) == [65 * 60, 14 * 60, 87 * 60]
    assert list(df.service_response_minutes) == [60.0, 60.0, 60.0]


def test_split_hours(con):
    s = scenario()
    df = answered(
        con,
        s,
        [
            ("ville_proprete", "2024-03-04 11:50", "2024-03-04 13:40"),  # across the lunch break
            ("ville_proprete", "2024-03-04 12:30", "2024-03-04 13:35"),  # asked at lunch
            ("ville_proprete", "2024-03-09 11:30", "2024-03-11 08:40"),  # Sat -> Mon
        ],
    )
    assert list(df.service_response_minutes) == [20.0, 5.0, 40.0]


def test_the_answering_account_hours_count(con):
    # asked the institutional account on Saturday, answered by the every-day account
    s = scenario()
    p = s.post("alice", "2024-03-09 09:00", "@ville ouvert ?")
    s.reply("ville_sortir", p, "2024-03-09 10:30", "@alice oui")
    s.land(con)
    df = interpellations(con, s.territory, date(2024, 3, 1), date(2024, 4, 1), datetime(2024, 4, 1))
    assert df.iloc[0].answered_by_handle == "ville_sortir"
    assert df.iloc[0].service_response_minutes == 30.0  # ville_sortir opens at 10:00


def test_python_reference_day_lengths_across_dst():
    t = make_territory(
        territory={"name": "T", "slug": "t", "timezone": "Europe/Paris", "holidays": ""},
        accounts=[{"platform": "x", "handle": "h24", "service_hours": "mon-sun 00:00-24:00"}],
    )

    def day(d: date) -> float:
        start = datetime(d.year, d.month, d.day, tzinfo=UTC) - timedelta(hours=3)
        return service_minutes(t, "h24", start, start + timedelta(hours=30))

    # a whole local day sits inside a 30-hour UTC span around it; its length is what changes
    spans = opening_intervals(t, t.accounts[0].opening, date(2024, 3, 31), date(2024, 3, 31))
    assert spans == [(datetime(2024, 3, 30, 23), datetime(2024, 3, 31, 22))]  # 23 hours
    spans = opening_intervals(t, t.accounts[0].opening, date(2024, 10, 27), date(2024, 10, 27))
    assert spans == [(datetime(2024, 10, 26, 22), datetime(2024, 10, 27, 23))]  # 25 hours
    assert day(date(2024, 3, 31)) == 30 * 60  # a 24/7 account is always open
    assert service_minutes(t, "h24", datetime(2024, 3, 31, 0), datetime(2024, 3, 31, 2)) == 120


def test_python_reference_examples():
    t = make_territory()
    utc = UTC
    # Monday 08:00 Paris (07:00 UTC) -> 09:20 Paris
    assert service_minutes(t, "ville", datetime(2024, 3, 4, 7), datetime(2024, 3, 4, 8, 20)) == 20
    assert service_minutes(t, "@VILLE", datetime(2024, 3, 4, 7, tzinfo=utc),
                           datetime(2024, 3, 4, 8, 20, tzinfo=utc)) == 20  # fmt: skip
    assert service_minutes(t, "ville", datetime(2024, 3, 4, 9), datetime(2024, 3, 4, 8)) == 0
    with pytest.raises(KeyError):
        service_minutes(t, "somebody", datetime(2024, 3, 4, 7), datetime(2024, 3, 4, 8))


def test_sql_matches_the_python_reference_on_random_intervals(con):
    """The ASOF-join SQL and the plain-Python reference agree, across DST and holidays."""
    rng = random.Random(20240331)
    s = scenario()
    pairs = []
    base = datetime(2024, 3, 20, tzinfo=UTC)  # spans the spring change, Easter Monday, May
    for _ in range(40):
        asked = base + timedelta(minutes=rng.randrange(0, 60 * 24 * 60))
        answer = asked + timedelta(minutes=rng.choice([1, 37, 600, 2000, 5000, 15000]))
        pairs.append((rng.choice(CITY), asked, answer))
    df = answered(con, s, pairs)  # type: ignore[arg-type]
    for (handle, asked, answer), got in zip(pairs, df.service_response_minutes, strict=True):
        assert got == pytest.approx(service_minutes(s.territory, handle, asked, answer), abs=1e-9)
    assert df.service_response_minutes.max() > 0
