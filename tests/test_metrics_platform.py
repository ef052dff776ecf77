"""The ``platform`` filter of every metric function: one platform's posts only.

A territory with a city account on X and one on Bluesky, the same kinds of posts on both
(an answered and a pending interpellation, relays by local and non-local accounts, a
hashtag, a conversation): per-platform figures add up to the all-platform ones where they
are additive, and each platform's lists hold only that platform's rows.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest

from tests.scenario import Scenario, make_territory
from warehouse import metrics

SINCE, UNTIL = date(2024, 3, 1), date(2024, 4, 1)
AS_OF = datetime(2024, 3, 8, 12)
ADDITIVE = (
    "interpellations", "answered", "pending", "missed", "relays", "local_relays",
    "local_tweetos", "potential_reach", "hashtag_posts", "posts_total",
)  # fmt: skip


def territory():
    return make_territory(
        accounts=[
            {"platform": "x", "handle": "ville", "service_hours": "mon-fri 09:00-18:00"},
            {"platform": "bluesky", "handle": "villebsky",
             "service_hours": "mon-fri 09:00-18:00"},
        ]  # fmt: skip
    )


def land(con, t, platform: str, city: str, n: int) -> None:
    """On ``platform``: ``n`` answered interpellations, one pending, relays, a hashtag."""
    s = Scenario(t, platform=platform)
    s.user(city, followers=5000)
    s.user("alice", location="Villeneuve", followers=100)
    s.user("bob", location="Nantes", followers=30)
    s.user("carol", location="Angers (49)", followers=7)
    c = s.post(city, "2024-03-04 08:00", "Conseil municipal ce soir #Ville")
    for i in range(n):
        q = s.post("alice", f"2024-03-04 10:{i:02d}", f"@{city} question {i}")
        s.reply(city, q, f"2024-03-04 11:{i:02d}", f"@alice réponse {i}")
    s.post("bob", "2024-03-07 10:00", f"@{city} la piscine ?")  # pending at AS_OF
    s.repost("alice", c, "2024-03-04 12:00")
    s.quote("bob", c, "2024-03-04 12:30", "À lire #ville")
    if n > 1:
        s.repost("carol", c, "2024-03-05 09:00")
    s.post("carol", "2024-03-05 10:00", "Programme https://agenda.ville.fr/x")
    s.land(con)


@pytest.fixture
def both(con):
    t = territory()
    land(con, t, "x", "ville", 2)
    land(con, t, "bluesky", "villebsky", 1)
    return t


def test_headline_per_platform_adds_up(con, both):
    t = both
    total = metrics.headline(con, t, SINCE, UNTIL, AS_OF)
    parts = {p: metrics.headline(con, t, SINCE, UNTIL, AS_OF, platform=p)
             for p in ("x", "bluesky", "mastodon")}  # fmt: skip
    assert (total["interpellations"], total["answered"], total["pending"]) == (5, 3, 2)
    assert (parts["x"]["interpellations"], parts["x"]["answered"]) == (3, 2)
    assert (parts["bluesky"]["interpellations"], parts["bluesky"]["answered"]) == (2, 1)
    assert parts["x"]["relays"] == 4 and parts["bluesky"]["relays"] == 3
    assert parts["mastodon"]["posts_total"] == 0 and parts["mastodon"]["interpellations"] == 0
    assert parts["mastodon"]["response_rate"] is None
    for key in ADDITIVE:
        assert total[key] == sum(p[key] for p in parts.values()), key
    # city post, questions and answers, the pending one, reposts, quote, link
    assert (parts["x"]["posts_total"], parts["bluesky"]["posts_total"]) == (10, 7)
    assert parts["x"]["median_response_minutes"] == 60.0
    assert parts["bluesky"]["response_rate"] == 0.5


def test_lists_hold_one_platform(con, both):
    t = both
    calls = {
        "interpellations": lambda **k: metrics.interpellations(con, t, SINCE, UNTIL, AS_OF, **k),
        "pending_queue": lambda **k: metrics.pending_queue(con, t, AS_OF, **k),
        "relays": lambda **k: metrics.relays(con, t, SINCE, UNTIL, **k),
        "local_tweetos": lambda **k: metrics.local_tweetos(con, t, SINCE, UNTIL, **k),
        "local_accounts": lambda **k: metrics.local_accounts(con, t, **k),
        "conversations": lambda **k: metrics.conversations(con, t, SINCE, UNTIL, **k),
    }
    for name, call in calls.items():
        every = call()
        per = {p: call(platform=p) for p in ("x", "bluesky", "mastodon")}
        assert len(every) == sum(len(d) for d in per.values()) > 0, name
        for p, d in per.items():
            assert set(d["platform"]) <= {p}, name
    reach = {p: metrics.potential_reach(con, t, SINCE, UNTIL, platform=p) for p in ("x", "bluesky")}
    assert reach == {"x": 100 + 30 + 7, "bluesky": 100 + 30 + 7}  # distinct authors
    assert metrics.potential_reach(con, t, SINCE, UNTIL) == sum(reach.values())
    tags = {p: metrics.hashtag_activity(con, t, SINCE, UNTIL, platform=p)["posts"].sum()
            for p in ("x", "bluesky", "mastodon")}  # fmt: skip
    # the city's post, the quote, and the reposts (which carry the reposted post's tags)
    assert tags == {"x": 4, "bluesky": 3, "mastodon": 0}
    assert metrics.hashtag_activity(con, t, SINCE, UNTIL)["posts"].sum() == 7


def test_unknown_platform_is_an_error(con, both):
    with pytest.raises(ValueError, match="unknown platform"):
        metrics.headline(con, both, SINCE, UNTIL, AS_OF, platform="myspace")
