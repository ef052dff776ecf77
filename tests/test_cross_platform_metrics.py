"""One territory on Bluesky and Mastodon: collected by the real collectors from fake servers,
then measured with the metric functions, with exact numbers.

* Bluesky: Anne (local: "Villeneuve" in her bio) mentions the city on Monday 3 March 2025
  at 10:00 Paris; the city answers at 10:30 → answered in 30 minutes (30 in service hours).
  Bob quotes the city's post (a relay, not local); Anne reposts it (a local relay).
* Mastodon: Paul mentions the city at 11:00 and gets no answer (pending at as-of);
  Zoé (local) boosts the city's status: a local tweetos relaying on Mastodon.
"""

from __future__ import annotations

from datetime import date, datetime

from collectors import bluesky, mastodon
from collectors.faults import RetryPolicy
from model import parse_config
from tests.fake_bluesky import FakeBluesky, facet_text
from tests.fake_mastodon import FakeMastodon
from warehouse import metrics
from warehouse.db import connect
from warehouse.migrations import migrate

FAST = RetryPolicy(
    max_retries=2,
    max_rate_wait=2,
    no_header_wait=0.01,
    backoff_base=0.01,
    backoff_max=0.02,
    timeout=5,
)
CITY = "did:plc:ville000000000000000000"
ANNE = "did:plc:anne0000000000000000000"
BOB = "did:plc:bob00000000000000000000"


def territory():
    return parse_config(
        {
            "territory": {"name": "Villeneuve", "slug": "villeneuve", "timezone": "Europe/Paris"},
            "accounts": [
                {
                    "platform": "bluesky",
                    "handle": "ville.bsky.social",
                    "service_hours": "mon-fri 09:00-18:00",
                },
                {
                    "platform": "mastodon",
                    "handle": "@ville@social.example",
                    "service_hours": "mon-fri 09:00-18:00",
                },
            ],
            "tracking": {"hashtags": ["#Villeneuve"], "city_domains": ["villeneuve-sur-loire.fr"]},
            "locality": {"terms": ["Villeneuve"]},
        }
    )


def test_city_answers_on_bluesky_local_tweetos_relays_on_mastodon(tmp_path):
    t = territory()
    db = tmp_path / "w.duckdb"
    with FakeBluesky() as bsky, FakeMastodon("social.example", token="tok") as masto:
        bsky.add_account("ville.bsky.social", CITY, password="pw-123456", followersCount=5000)
        bsky.add_account(
            "anne.bsky.social", ANNE, followersCount=120, description="Habitante de Villeneuve"
        )
        bsky.add_account("bob.example.com", BOB, followersCount=30, description="Nantes")
        city_post = bsky.add_post(
            CITY, "c1", "Conseil municipal ce soir", "2025-03-03T07:00:00.000Z"
        )
        text = "@ville.bsky.social le lampadaire est en panne"
        mention = bsky.add_post(
            ANNE,
            "a1",
            text,
            "2025-03-03T09:00:00.000Z",
            facets=facet_text(text, mentions={"@ville.bsky.social": CITY}),
        )
        bsky.notify_post(CITY, "mention", mention)
        bsky.add_post(
            CITY, "c2", "Merci, c'est signalé.", "2025-03-03T09:30:00.000Z", reply_to=mention
        )
        bsky.notify_post(
            CITY,
            "quote",
            bsky.add_post(BOB, "b1", "À lire", "2025-03-03T12:00:00.000Z", quote=city_post),
        )
        bsky.repost(ANNE, "r1", city_post, "2025-03-03T13:00:00.000Z", notify=CITY)

        mcity = masto.add_account("ville", followers=900, owner=True)
        paul = masto.add_account("paul", followers=5, note="<p>Angers</p>")
        zoe = masto.add_account(
            "zoe", "autre.example", followers=40, note="<p>Fière de Villeneuve</p>"
        )
        status = masto.add_status(
            mcity, "<p>Marché de printemps samedi</p>", "2025-03-03T08:00:00.000Z"
        )
        masto.add_status(
            paul,
            "<p>@ville la piscine est fermée ?</p>",
            "2025-03-03T10:00:00.000Z",
            mentions=[mcity],
            notify_mention=True,
        )
        masto.notify("reblog", zoe, status, "2025-03-03T14:00:00.000Z")

        con = connect(db)
        migrate(con)
        try:
            bluesky.collect(
                con,
                db,
                t,
                base=bsky.url,
                policy=FAST,
                sessions=tmp_path / "s",
                env={"BLUESKY_APP_PASSWORD": "pw-123456"},
            )
            mastodon.collect(
                con,
                db,
                t,
                bases={"social.example": masto.url},
                policy=FAST,
                env={"MASTODON_ACCESS_TOKEN": "tok"},
            )
            statuses = [
                r[0]
                for r in con.execute("SELECT status FROM collect_runs ORDER BY run_id").fetchall()
            ]
            assert statuses == ["ok", "ok"]
            h = metrics.headline(con, t, date(2025, 3, 3), date(2025, 3, 10), datetime(2025, 3, 4))
            inter = metrics.interpellations(
                con, t, date(2025, 3, 3), date(2025, 3, 10), datetime(2025, 3, 4)
            )
            tweetos = metrics.local_tweetos(con, t, date(2025, 3, 3), date(2025, 3, 10))
            relays = metrics.relays(con, t, date(2025, 3, 3), date(2025, 3, 10))
        finally:
            con.close()

    assert (h["interpellations"], h["answered"], h["pending"], h["missed"]) == (2, 1, 1, 0)
    assert h["response_rate"] == 0.5
    assert h["median_response_minutes"] == 30.0
    assert h["median_service_response_minutes"] == 30.0
    assert (h["relays"], h["local_relays"], h["local_tweetos"]) == (3, 2, 2)
    assert h["potential_reach"] == 120 + 30 + 40
    by_platform = dict(zip(inter["platform"], inter["status"], strict=True))
    assert by_platform == {"bluesky": "answered", "mastodon": "pending"}
    assert sorted(zip(relays["platform"], relays["relay_kind"], strict=True)) == [
        ("bluesky", "quote"),
        ("bluesky", "repost"),
        ("mastodon", "repost"),
    ]
    assert sorted(zip(tweetos["platform"], tweetos["username"], strict=True)) == [
        ("bluesky", "anne.bsky.social"),
        ("mastodon", "zoe@autre.example"),
    ]
