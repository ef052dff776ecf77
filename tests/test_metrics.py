"""Interpellations, answers, pending and missed (docs/metrics.md): hand-made pages, exact
numbers."""

from __future__ import annotations

from datetime import date

import pytest

import warehouse.metrics as m
from tests.scenario import Scenario, make_territory
from warehouse.metrics import headline, interpellations, pending_queue

SINCE, UNTIL = date(2024, 3, 1), date(2024, 4, 1)


@pytest.fixture
def s() -> Scenario:
    sc = Scenario(make_territory())
    for handle in ("ville", "ville_sortir", "ville_proprete"):
        sc.user(handle, location="Villeneuve")  # city accounts: never local, never interpellations
    return sc


def judged(con, s: Scenario, as_of: str, since: date = SINCE, until: date = UNTIL):
    return interpellations(con, s.territory, since, until, s.instant(as_of)).set_index("post_id")


def test_who_interpellates_whom(con, s):
    c1 = s.post("ville_sortir", "2024-03-04 09:00", "Concert ce soir !")
    mention = s.post("alice", "2024-03-04 10:00", "Bonjour @ville, la rue est fermée ?")
    reply_to_city = s.reply("alice", c1, "2024-03-04 10:01", "À quelle heure ?")  # no mention
    b1 = s.post("bob", "2024-03-04 10:02", "Quelle pagaille rue Nationale")
    s.reply("carol", b1, "2024-03-04 10:03", "@bob @ville regardez ça")  # citizen to citizen
    s.post("ville", "2024-03-04 10:04", "Merci @ville_sortir pour le relais")  # city to city
    s.reply("ville_sortir", c1, "2024-03-04 10:05", "@ville_proprete rue dégagée ?")  # city to city
    s.repost("dave", mention, "2024-03-04 10:06")  # "RT @alice: Bonjour @ville, …": a repost
    s.quote("erin", c1, "2024-03-04 10:07", "J'y serai")  # a quote without mention: a relay only
    quote_mention = s.quote("erin", c1, "2024-03-04 10:08", "@ville bravo pour le concert")
    two = s.post("fred", "2024-03-04 10:09", "@ville_proprete @ville poubelles pleines")
    own = s.post("gina", "2024-03-04 10:10", "Toujours pas de bus")
    s.reply("gina", own, "2024-03-04 10:11", "@ville une idée ?")  # a reply, but to herself
    s.land(con)

    df = judged(con, s, "2024-03-04 12:00")
    assert list(df.index) == [mention, reply_to_city, quote_mention, two]
    assert list(df.addressed_handle) == ["ville", "ville_sortir", "ville", "ville"]
    assert list(df.author_username) == ["alice", "alice", "erin", "fred"]
    assert set(df.status) == {"pending"}
    assert df.loc[mention, "url"] == f"https://x.com/alice/status/{mention}"
    h = headline(con, s.territory, SINCE, UNTIL, s.instant("2024-03-04 12:00"))
    assert (h["interpellations"], h["answered"], h["pending"], h["missed"]) == (4, 0, 4, 0)
    assert h["response_rate"] == 0.0
    assert h["median_response_minutes"] is None
    assert h["posts_total"] == 13


def test_answer_is_the_first_city_reply_to_the_author_in_the_conversation(con, s):
    early = s.post("alice", "2024-03-04 09:00", "Il pleut")
    p1 = s.post("alice", "2024-03-04 10:00", "@ville le parc est inondé")
    b = s.reply("bob", p1, "2024-03-04 10:15", "@alice @ville +1")  # reply to alice: not one
    s.reply("ville", b, "2024-03-04 10:20", "@bob merci")  # same conversation, other author
    s.reply("ville", early, "2024-03-04 10:25", "@alice prudence")  # alice, other conversation
    p2 = s.reply("alice", p1, "2024-03-04 10:05", "@ville et le portail aussi")  # her own thread
    r1 = s.reply("ville", p2, "2024-03-04 10:30", "@alice une équipe arrive")  # answers p1
    p3 = s.reply("alice", r1, "2024-03-04 11:00", "Merci ! Vers quelle heure ?")  # after r1
    p4 = s.post("carol", "2024-03-04 14:00", "@ville le marché est annulé ?")
    r4 = s.reply("ville_sortir", p4, "2024-03-04 14:45", "@carol Non")  # other city account
    s.land(con)

    df = judged(con, s, "2024-03-05 12:00")
    assert list(df.index) == [p1, p3, p4]
    assert df.loc[p1, "status"] == "answered"
    assert df.loc[p1, "answer_id"] == r1
    assert df.loc[p1, "answered_by_handle"] == "ville"
    assert df.loc[p1, "response_minutes"] == 30.0
    assert df.loc[p1, "service_response_minutes"] == 30.0
    assert df.loc[p3, "status"] == "pending"  # r1 came before p3: it does not answer it
    assert df.loc[p4, "answer_id"] == r4
    assert df.loc[p4, "answered_by_handle"] == "ville_sortir"
    assert df.loc[p4, "service_response_minutes"] == 45.0  # in ville_sortir's hours (10-20)

    h = headline(con, s.territory, SINCE, UNTIL, s.instant("2024-03-20 12:00"))
    assert (h["interpellations"], h["answered"], h["pending"], h["missed"]) == (3, 2, 0, 1)
    assert h["response_rate"] == 0.6667
    assert h["median_response_minutes"] == 37.5
    assert h["p90_response_minutes"] == 43.5  # 30 + 0.9 * (45 - 30)
    assert h["median_service_response_minutes"] == 37.5


def test_as_of_turns_pending_into_missed_and_bounds_answers(con, s):
    p = s.post("alice", "2024-03-05 10:00", "@ville le lampadaire est cassé")  # a Tuesday
    r = s.reply("ville", p, "2024-03-13 10:00", "@alice réparé")  # 8 days later
    s.land(con)

    assert judged(con, s, "2024-03-12 09:59").loc[p, "status"] == "pending"
    assert judged(con, s, "2024-03-12 10:00").loc[p, "status"] == "missed"  # 7 days exactly
    assert judged(con, s, "2024-03-13 09:59").loc[p, "status"] == "missed"
    late = judged(con, s, "2024-03-13 10:00").loc[p]
    assert (late.status, late.answer_id) == ("answered", r)
    assert late.response_minutes == 8 * 24 * 60
    # Tue 10-18 (480) + Wed..Fri (3 × 540) + Mon, Tue (2 × 540) + Wed 9-10 (60)
    assert late.service_response_minutes == 480 + 1620 + 1080 + 60

    queue = pending_queue(con, s.territory, s.instant("2024-03-12 09:59"))
    assert list(queue.post_id) == [p]
    assert queue.loc[0, "age_minutes"] == 7 * 24 * 60 - 1
    assert queue.loc[0, "service_age_minutes"] == 480 + 1620 + 540 + 59
    assert pending_queue(con, s.territory, s.instant("2024-03-12 10:00")).empty

    h = headline(con, s.territory, SINCE, UNTIL, s.instant("2024-03-12 09:59"))
    assert (h["pending"], h["missed"], h["answered"]) == (1, 0, 0)
    h = headline(con, s.territory, SINCE, UNTIL, s.instant("2024-03-12 10:00"))
    assert (h["pending"], h["missed"], h["answered"]) == (0, 1, 0)


def test_pending_queue_is_oldest_first_and_limited(con, s):
    ids = [s.post(f"u{i}", f"2024-03-0{4 + i} 10:00", "@ville ?") for i in range(3)]
    s.post("old", "2024-02-20 10:00", "@ville ?")  # older than 7 days at as_of: missed
    s.land(con)
    queue = pending_queue(con, s.territory, s.instant("2024-03-08 12:00"))
    assert list(queue.post_id) == ids
    two = pending_queue(con, s.territory, s.instant("2024-03-08 12:00"), limit=2)
    assert list(two.post_id) == ids[:2]


def test_the_window_is_read_in_local_time(con, s):
    # 2024-03-01 00:30 in Paris is 2024-02-29 23:30 UTC: inside [2024-03-01, …)
    inside = s.post("alice", "2024-03-01 00:30", "@ville ?")
    s.post("alice", "2024-02-29 23:59", "@ville ?")
    s.post("alice", "2024-04-01 00:00", "@ville ?")  # until is excluded
    s.land(con)
    assert list(judged(con, s, "2024-04-02 00:00").index) == [inside]


def test_the_same_post_landed_twice_counts_once(con, s):
    p = s.post("alice", "2024-03-04 10:00", "@ville bonjour")
    r = s.reply("ville", p, "2024-03-04 10:30", "@alice bonjour")
    q = s.post("bob", "2024-03-04 11:00", "@ville_sortir un concert ?")
    s.land(con)
    as_of = s.instant("2024-03-30 00:00")
    before = headline(con, s.territory, SINCE, UNTIL, as_of)
    assert s.land(con).new_pages == 0  # the very same page: skipped
    s.land(con, [p, r])  # the same posts in another page, fetched later
    s.land(con, [q, p])
    after = headline(con, s.territory, SINCE, UNTIL, as_of)
    assert after == before
    assert (after["interpellations"], after["answered"], after["posts_total"]) == (2, 1, 3)
    assert len(interpellations(con, s.territory, SINCE, UNTIL, as_of)) == 2


def test_no_city_ids_known_means_no_interpellation(con):
    s = Scenario(make_territory())
    s.post("alice", "2024-03-04 10:00", "@ville bonjour")  # @ville has no landed profile
    s.land(con)
    h = headline(con, s.territory, SINCE, UNTIL, s.instant("2024-03-05 00:00"))
    assert h["interpellations"] == 0
    assert h["response_rate"] is None
    assert h["posts_total"] == 1


def test_the_contract_columns(con, s):
    """The columns other pages code against (see the metrics API contract)."""
    p = s.post("alice", "2024-03-04 10:00", "@ville #Ville https://ville.fr/a")
    s.repost("bob", s.post("ville", "2024-03-04 09:00", "Infos"), "2024-03-04 11:00")
    s.reply("ville", p, "2024-03-04 10:30", "@alice oui")
    s.land(con)
    t, as_of = s.territory, s.instant("2024-03-05 12:00")

    columns = {
        "interpellations": m.interpellations(con, t, SINCE, UNTIL, as_of),
        "pending_queue": m.pending_queue(con, t, as_of),
        "relays": m.relays(con, t, SINCE, UNTIL),
        "local_accounts": m.local_accounts(con, t),
        "local_tweetos": m.local_tweetos(con, t, SINCE, UNTIL),
        "hashtag_activity": m.hashtag_activity(con, t, SINCE, UNTIL),
        "conversations": m.conversations(con, t, SINCE, UNTIL),
    }
    inter = (
        "platform post_id author_id author_username author_name created_at text "
        "addressed_handle conversation_id status answer_id answered_at answered_by_handle "
        "response_minutes service_response_minutes url state expects expects_source "
        "expects_auto expect_rule triage_decision triage_at triage_service"
    ).split()
    assert list(columns["interpellations"].columns) == inter
    assert list(columns["pending_queue"].columns) == [*inter, "age_minutes", "service_age_minutes"]
    assert list(columns["relays"].columns) == (
        "platform post_id author_id username created_at relay_kind relayed_post_id is_local "
        "followers_count"
    ).split()
    assert list(columns["local_accounts"].columns) == (
        "platform id username name location description followers_count reason"
    ).split()
    assert list(columns["local_tweetos"].columns) == (
        "rank platform author_id username name relays followers_count first_seen last_relay"
    ).split()
    tags = columns["hashtag_activity"]
    assert list(tags.columns) == ["local_date", "hashtag", "posts", "contributors"]
    assert list(columns["conversations"].columns) == (
        "conversation_id platform size participants city_took_part started_at last_post_at "
        "root_text"
    ).split()
    assert columns["interpellations"].loc[0, "text"] == "@ville #Ville https://ville.fr/a"
    assert len(columns["relays"]) == 2  # bob's repost, alice's link
    assert m.potential_reach(con, t, SINCE, UNTIL) == 0  # nobody has followers here
