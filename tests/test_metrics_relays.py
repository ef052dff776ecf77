"""Relays, local accounts, local tweetos, reach, hashtags, conversations (docs/metrics.md)."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime

import duckdb
import pandas as pd
import pytest

from tests.scenario import Scenario, make_territory
from warehouse.metrics import (
    conversations,
    hashtag_activity,
    headline,
    local_accounts,
    local_tweetos,
    potential_reach,
    relays,
)
from warehouse.metrics_base import locality_pattern, marked_profile

SINCE, UNTIL = date(2024, 3, 1), date(2024, 4, 1)
AS_OF = datetime(2024, 4, 15)


def landed(con) -> tuple[Scenario, dict[str, str]]:
    """Relays of every kind, and posts that look like relays but are not."""
    s = Scenario(
        make_territory(
            locality={"terms": ["Villeneuve", "49"], "local_accounts": ["@Gina"],
                      "exclude_accounts": ["hugo"]},
        )  # fmt: skip
    )
    s.user("ville", location="Villeneuve", followers=9000)
    s.user("ville_sortir", location="Villeneuve", followers=3000)
    s.user("ville_proprete")
    s.user("alice", location="Villeneuve-sur-Loire", followers=100)
    s.user("bob", description="Né en 1949 à Paris", followers=1000)
    s.user("carol", location="Angers (49)", followers=50)
    s.user("dan", location="VILLÉNEUVE", followers=10)
    s.user("erin", location="Lyon", followers=70)
    s.user("gina", followers=5)
    s.user("hugo", location="Villeneuve", followers=20)
    s.user("jules", location="Nantes", followers=7)
    ids: dict[str, str] = {}
    ids["city"] = s.post("ville", "2024-03-04 10:00", "#Ville fête https://www.ville.fr/fete")
    ids["repost"] = s.repost("alice", ids["city"], "2024-03-04 10:05")
    ids["quote"] = s.quote("bob", ids["city"], "2024-03-04 10:06", "Super #ville")
    ids["link_sub"] = s.post("carol", "2024-03-04 10:07", "Programme https://agenda.ville.fr/concerts")
    ids["lookalike"] = s.post("dan", "2024-03-04 10:08", "Voir https://ville.fr.example.com/x")
    ids["notville"] = s.post("dan", "2024-03-04 10:09", "Voir https://notville.fr/a #VilleFestival")
    ids["reply_link"] = s.reply("erin", ids["city"], "2024-03-04 10:10", "Et https://ville.fr/x ?")
    ids["city_repost"] = s.repost("ville_sortir", ids["city"], "2024-03-04 10:11")
    a = s.post("alice", "2024-03-04 10:12", "Bonjour @ville")
    ids["citizen_repost"] = s.repost("erin", a, "2024-03-04 10:13")  # "RT @alice: Bonjour @ville"
    ids["listed"] = s.repost("gina", ids["city"], "2024-03-04 10:14")
    ids["excluded"] = s.repost("hugo", ids["city"], "2024-03-04 10:15")
    ids["alice_link"] = s.post("alice", "2024-03-05 00:30", "#VILLE https://ville.fr/agenda")
    # a repost whose original was never landed: recognised by its "RT @ville:" text
    ids["unknown_original"] = s.post("jules", "2024-03-06 09:00", "RT @ville: vieux message",
                                     repost="999")  # fmt: skip
    s.land(con)
    return s, ids


def test_relays_kinds_and_exclusions(con):
    s, ids = landed(con)
    df = relays(con, s.territory, SINCE, UNTIL).set_index("post_id")
    expected = {
        ids["repost"]: ("repost", ids["city"], True),
        ids["quote"]: ("quote", ids["city"], False),  # "1949" is not "49"
        ids["link_sub"]: ("link", None, True),  # agenda.ville.fr: a subdomain
        ids["listed"]: ("repost", ids["city"], True),  # listed in local_accounts
        ids["excluded"]: ("repost", ids["city"], False),  # exclude_accounts wins
        ids["alice_link"]: ("link", None, True),
        ids["unknown_original"]: ("repost", "999", False),
    }
    assert set(df.index) == set(expected)
    for pid, (kind, relayed, local) in expected.items():
        assert df.loc[pid, "relay_kind"] == kind
        got = df.loc[pid, "relayed_post_id"]
        assert (None if pd.isna(got) else got) == relayed
        assert bool(df.loc[pid, "is_local"]) is local
    assert df.loc[ids["quote"], "followers_count"] == 1000


def test_local_accounts(con):
    s, _ = landed(con)
    df = local_accounts(con, s.territory).set_index("username")
    # city accounts are never local; dan's accented capitals match; bob's 1949 does not
    assert list(df.index) == ["alice", "carol", "dan", "gina"]
    assert list(df.reason) == ["term", "term", "term", "listed"]


def test_local_tweetos_ranking_and_reach(con):
    s, _ = landed(con)
    df = local_tweetos(con, s.territory, SINCE, UNTIL)
    assert list(df.username) == ["alice", "carol", "gina"]  # 2 relays; then 50 > 5 followers
    assert list(df["rank"]) == [1, 2, 3]
    assert list(df.relays) == [2, 1, 1]
    assert df.loc[0, "first_seen"] == s.instant("2024-03-04 10:05").replace(tzinfo=None)
    assert df.loc[0, "last_relay"] == s.instant("2024-03-05 00:30").replace(tzinfo=None)
    assert list(local_tweetos(con, s.territory, SINCE, UNTIL, limit=1).username) == ["alice"]
    # distinct relay authors: alice 100, bob 1000, carol 50, gina 5, hugo 20, jules 7
    assert potential_reach(con, s.territory, SINCE, UNTIL) == 1182


def test_headline_relay_and_volume_keys(con):
    s, ids = landed(con)
    h = headline(con, s.territory, SINCE, UNTIL, AS_OF)
    assert h["relays"] == 7
    assert h["local_relays"] == 4
    assert h["local_tweetos"] == 3
    assert h["potential_reach"] == 1182
    # #Ville: the city post, bob's quote, the 4 reposts of the city post carry its text,
    # alice's #VILLE; not #VilleFestival
    assert h["hashtag_posts"] == 7
    assert h["posts_total"] == len(ids) + 1  # the scenario's posts, plus alice's mention
    assert h["interpellations"] == 2  # alice's mention; erin's reply to the city's post


def test_hashtag_activity_per_local_day(con):
    s, _ = landed(con)
    df = hashtag_activity(con, s.territory, SINCE, UNTIL)
    rows = [(str(r.local_date.date()), r.hashtag, r.posts, r.contributors) for r in df.itertuples()]
    # 2024-03-05 00:30 in Paris is still 2024-03-04 in UTC: grouped on the local day
    assert rows == [("2024-03-04", "#Ville", 6, 6), ("2024-03-05", "#Ville", 1, 1)]


def test_conversations(con):
    s = Scenario(make_territory())
    s.user("ville")
    root = s.post("ville", "2024-03-04 09:00", "Travaux rue Nationale cette semaine")
    a = s.reply("alice", root, "2024-03-04 09:30", "Jusqu'à quand ?")
    s.reply("ville", a, "2024-03-04 09:45", "@alice vendredi")
    s.reply("bob", root, "2024-03-04 10:00", "Enfin !")
    other = s.post("carol", "2024-03-05 10:00", "@dave tu viens au marché ?")
    s.reply("dave", other, "2024-03-05 10:10", "@carol oui")
    s.repost("erin", root, "2024-03-05 11:00")  # reposts are not conversations
    s.land(con)
    df = conversations(con, s.territory, SINCE, UNTIL)
    rows = [(r.conversation_id, r.size, r.participants, r.city_took_part) for r in df.itertuples()]
    assert rows == [(root, 4, 3, True), (other, 2, 2, False)]
    assert df.loc[0, "root_text"] == "Travaux rue Nationale cette semaine"
    assert df.loc[0, "started_at"] == s.instant("2024-03-04 09:00").replace(tzinfo=None)
    assert len(conversations(con, s.territory, SINCE, UNTIL, limit=1)) == 1


def test_includes_originals_are_not_counted(con):
    s = Scenario(make_territory())
    s.user("ville")
    old = s.post("ville", "2024-03-04 09:00", "#Ville Ancien message")
    reply = s.reply("alice", old, "2024-03-04 10:00", "Toujours valable ?")
    s.land(con, [reply])  # only the reply is in the page's data; the original in includes
    h = headline(con, s.territory, SINCE, UNTIL, AS_OF)
    assert (h["posts_total"], h["hashtag_posts"], h["interpellations"]) == (1, 0, 1)


def _marked_match(con: duckdb.DuckDBPyConnection, terms: list[str], text: str) -> bool:
    """Whether ``text`` is local by ``terms``, read as the loader keeps it (marked fold)."""
    sql = f"SELECT regexp_matches({marked_profile('strip_accents(lower(?))')}, ?)"
    return bool(con.execute(sql, [text, locality_pattern(terms)]).fetchone()[0])


def test_locality_pattern_whole_words_and_escaping():
    con = duckdb.connect()

    def match(terms: list[str], text: str) -> bool:
        return _marked_match(con, terms, text)

    assert match(["35"], "Rennes (35)")
    assert not match(["35"], "né en 1935")
    assert match(["Saint-Étienne"], "SAINT-ETIENNE, France")
    assert match(["Villeneuve"], "villeneuve_sur_loire")  # an underscore separates words
    assert not match(["Villeneuve"], "Villeneuvois")
    assert not match(["a.b"], "axb")  # a dot is a dot
    assert match(["a.b (c)"], "x a.b (c) y")
    assert match(["Pays de la Loire"], "Nantes, Pays de la Loire")
    assert locality_pattern([]) is None
    assert locality_pattern(["  "]) is None


def _unicode_class_pattern(terms: list[str]) -> str:
    """The rule itself, as one pattern with Unicode classes (the form before the marked
    text): a term not preceded or followed by a letter or a digit."""
    folded = sorted({unicodedata.normalize("NFD", t.lower()).strip() for t in terms})
    folded = ["".join(c for c in t if not unicodedata.combining(c)) for t in folded]
    alternatives = "|".join(
        "".join(c if c.isalnum() else f"\\x{{{ord(c):X}}}" for c in t) for t in folded)
    return rf"(?:^|[^\p{{L}}\p{{N}}])(?:{alternatives})(?:[^\p{{L}}\p{{N}}]|$)"


@pytest.mark.parametrize("terms", [
    ["35"], ["Saint-Étienne", "42"], ["a.b (c)"], ["(35)"], ["l'île"], ["Pays de la Loire"],
    ["--"], ["Brest", "brest-métropole"], ["Ωmega"], ["ß"],
])
def test_the_marked_profile_reads_the_rule_of_whole_words(terms):
    """The marked fold and its plain pattern judge every text as the rule's pattern with
    Unicode classes does: punctuation in or around a term, several in a row, letters and
    digits of other scripts, emoji, a U+0001 in the text."""
    con = duckdb.connect()
    texts = [
        "", "35", "(35)", "x(35)y", "rennes (35)", "1935", "35e", "٣35", "35٣", "né en 1935",
        "saint-etienne", "SAINT-ÉTIENNE, France", "saint etienne", "saint--etienne",
        "a.b (c)", "xa.b (c)", "a.b (c)x", "(a.b (c))", "l'ile", "l'île de ré", "dl'île",
        "pays de la loire", "pays  de la loire", "au pays de la loireà", "---", "a--b", "--",
        "brest", "brest-metropole", "brestois", "ωmega", "Ωmega!", "αωmega", "ss", "ß",
        "straße", "🚲brest🚲", "\x01brest\x01", "x\x0135\x01x", "brest\n35", "42\u2003",
        "4242", "42", "٤٢ 42",
    ]
    reference = _unicode_class_pattern(terms)
    for text in texts:
        expected = con.execute("SELECT regexp_matches(strip_accents(lower(?)), ?)",
                               [text, reference]).fetchone()[0]
        assert _marked_match(con, terms, text) == expected, (terms, text)


def test_locality_follows_the_profile_the_loader_kept(con):
    """The loader keeps each profile's fold (migration 0021); a later page that changes the
    location or the bio changes the account's locality, one that omits them keeps it."""
    s = Scenario(make_territory())
    s.user("ville", location="Villeneuve")
    s.user("paul", location="Villeneuve")
    city = s.post("ville", "2024-03-04 10:00", "Fête de la ville")
    relay = s.repost("paul", city, "2024-03-04 10:05")

    def is_local() -> bool:
        df = relays(con, s.territory, SINCE, UNTIL).set_index("post_id")
        return bool(df.loc[relay, "is_local"])

    s.land(con)
    assert is_local()
    s.user("paul", location="Lyon")  # moved
    s.land(con)
    assert not is_local()
    s.user("paul", description="Élu à VILLÉNEUVE")  # no location in this page: Lyon stays
    s.land(con)
    assert is_local()
    marked = "\x01lyon\x01\n\x01elu\x01 \x01a\x01 \x01villeneuve\x01"  # marked_profile
    kept = ("Lyon", "lyon\nelu a villeneuve", marked)
    query = "SELECT location, profile_fold, profile_marked FROM accounts WHERE username = 'paul'"
    assert con.execute(query).fetchone() == kept
    s.user("paul", description="Élu à VILLÉNEUVE", followers=99)  # the same profile again
    s.land(con)
    assert con.execute(query).fetchone() == kept
    assert is_local()
