"""``territoires collect`` lands through one mechanism for every platform
(collectors/landing.py): ``TERRITOIRES_LAND_BATCH`` pages per transaction on X (also with
``--max-pages``, which used to drop it), Bluesky and Mastodon (which used to land page by
page)."""

from __future__ import annotations

from pathlib import Path

import pytest

from collectors import mastodon, spool
from territoires.cli import main
from tests.fake_bluesky import FakeBluesky
from tests.fake_mastodon import FakeMastodon
from tests.fake_x_api import X_HANDLES, FakeXApi, landed_post_ids, make_dataset
from tests.test_bluesky_collect import world as bluesky_world
from tests.test_mastodon_collect import FAST, TOKEN, territory
from tests.test_mastodon_collect import world as mastodon_world
from warehouse.db import connect
from warehouse.migrations import migrate

ROOT = Path(__file__).resolve().parents[1]
X_TOKEN = "landing-test-bearer-token-0123456789"


@pytest.fixture
def batches(monkeypatch):
    """The number of pages in each landing transaction."""
    sizes: list[int] = []
    land_many = spool.land_many

    def spy(con, db, paths, before_commit=None):
        sizes.append(len(paths))
        return land_many(con, db, paths, before_commit)

    monkeypatch.setattr(spool, "land_many", spy)
    return sizes


def _x_config(path: Path) -> Path:
    text = (ROOT / "examples" / "villeneuve.toml").read_text(encoding="utf-8")
    for old, new in zip(("villeneuve_fr", "vsl_sortir", "vsl_proprete"), X_HANDLES, strict=True):
        text = text.replace(f'handle = "{old}"', f'handle = "{new}"')
    path.write_text(text, encoding="utf-8")
    return path


def test_x_max_pages_keeps_land_batch(tmp_path, monkeypatch, batches):
    ds = make_dataset(200, city_handles=X_HANDLES, seed=5)
    db = tmp_path / "w.duckdb"
    with FakeXApi(ds.users, ds.all_posts(), token=X_TOKEN) as fake:
        fake.page_cap = 10  # many pages per query
        for name, value in {
            "X_BEARER_TOKEN": X_TOKEN,
            "TERRITOIRES_X_API_URL": fake.url,
            "TERRITOIRES_RETRIES": "1",
            "TERRITOIRES_LAND_BATCH": "2",
        }.items():
            monkeypatch.setenv(name, value)
        args = ["collect", "--config", str(_x_config(tmp_path / "t.toml")), "--db", str(db)]
        assert main([*args, "--max-pages", "100", "--quiet", "--no-purge"]) == 0
    assert sorted(landed_post_ids(db)) == sorted(p["id"] for p in ds.posts)
    assert len(batches) > 5 and max(batches) == 2, batches


def test_bluesky_lands_in_batches(tmp_path, monkeypatch, capsys, batches):
    with FakeBluesky() as fake:
        bluesky_world(fake)
        cfg = tmp_path / "t.toml"
        cfg.write_text(
            '[territory]\nname = "Villeneuve"\nslug = "villeneuve"\ntimezone = "Europe/Paris"\n'
            '[[accounts]]\nplatform = "bluesky"\nhandle = "@ville.bsky.social"\n'
            '[tracking]\nhashtags = ["#Villeneuve"]\n'
        )
        for name, value in {
            "TERRITOIRES_BLUESKY_API_URL": fake.url,
            "TERRITOIRES_BLUESKY_SESSION_DIR": str(tmp_path / "s"),
            "BLUESKY_APP_PASSWORD": "app-pass-1234",
            "TERRITOIRES_RETRIES": "1",
            "TERRITOIRES_LAND_BATCH": "2",
        }.items():
            monkeypatch.setenv(name, value)
        db = tmp_path / "w.duckdb"
        args = ["collect", "--config", str(cfg), "--db", str(db), "--platform", "bluesky"]
        assert main([*args, "--quiet", "--no-purge"]) == 0
    assert "villeneuve bluesky: ok" in capsys.readouterr().out
    assert max(batches) == 2, batches


def test_mastodon_lands_in_batches(tmp_path, monkeypatch, batches):
    monkeypatch.setenv("TERRITOIRES_LAND_BATCH", "2")
    with (
        FakeMastodon("social.example", token=TOKEN) as home,
        FakeMastodon("other.example", token=None) as other,
    ):
        mastodon_world(home, other)
        db = tmp_path / "w.duckdb"
        con = connect(db)
        migrate(con)
        try:
            rid = mastodon.collect(
                con,
                db,
                territory(),
                bases={"social.example": home.url, "other.example": other.url},
                policy=FAST,
                env={"MASTODON_ACCESS_TOKEN": TOKEN},
            )
            status, pages = con.execute(
                "SELECT status, pages FROM collect_runs WHERE run_id = $id", {"id": rid}
            ).fetchone()
        finally:
            con.close()
    assert status == "ok" and pages == sum(batches)
    assert max(batches) == 2, batches
