"""``territoires metrics``: the keys and types of docs/metrics.md ("The ``territoires metrics``
command"), byte-identical reruns, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from model import parse_config
from territoires.cli import main
from territoires.commands.metrics import parse_instant
from territoires.config import load_config
from tests.scenario import Scenario
from warehouse.db import writer
from warehouse.metrics import HEADLINE_KEYS, default_as_of

CONFIG = """
[territory]
name = "Villeneuve (test)"
slug = "testville"
timezone = "Europe/Paris"
holidays = "FR"

[[accounts]]
platform = "x"
handle = "ville"
service_hours = "mon-fri 09:00-18:00"

[tracking]
hashtags = ["#Ville"]
city_domains = ["ville.fr"]

[locality]
terms = ["Villeneuve"]
"""
INTS = {"interpellations", "answered", "pending", "missed", "relays", "local_relays",
        "local_tweetos", "potential_reach", "hashtag_posts", "posts_total"}  # fmt: skip
MINUTES = {"median_response_minutes", "p90_response_minutes", "median_service_response_minutes"}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    tmp_path = tmp_path_factory.mktemp("metrics_cli")
    config = tmp_path / "testville.toml"
    config.write_text(CONFIG, encoding="utf-8")
    db = tmp_path / "w.duckdb"
    s = Scenario(load_config(config))
    s.user("ville")
    s.user("alice", location="Villeneuve", followers=40)
    c = s.post("ville", "2024-03-04 09:00", "#Ville Marché https://ville.fr/marche")
    p = s.post("alice", "2024-03-04 08:00", "@ville il ouvre à quelle heure ?")
    s.reply("ville", p, "2024-03-04 09:20", "@alice 8h")
    s.post("alice", "2024-03-05 10:00", "@ville et demain ?")
    s.repost("alice", c, "2024-03-05 11:00")
    with writer(db) as con:  # publishes the snapshot the command reads
        s.land(con)
    return config, db


def metrics(capsys, config: Path, db: Path, *extra: str) -> tuple[int, str, str]:
    code = main(["metrics", "--config", str(config), "--db", str(db), *extra])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_keys_types_and_values(capsys, warehouse):
    config, db = warehouse
    args = ("--since", "2024-03-01", "--until", "2024-04-01", "--as-of", "2024-03-05T12:00+01:00")
    code, out, err = metrics(capsys, config, db, *args)
    assert (code, err) == (0, "")
    h = json.loads(out)
    assert list(h) == sorted(HEADLINE_KEYS)
    for key in INTS:
        assert type(h[key]) is int, key
    for key in MINUTES:
        assert type(h[key]) is float, key
    assert h["territory"] == "testville"
    assert (h["since"], h["until"]) == ("2024-03-01", "2024-04-01")
    assert h["as_of"] == "2024-03-05T11:00:00Z"
    assert (h["interpellations"], h["answered"], h["pending"], h["missed"]) == (2, 1, 1, 0)
    assert h["response_rate"] == 0.5
    assert (h["median_response_minutes"], h["median_service_response_minutes"]) == (80.0, 20.0)
    assert (h["relays"], h["local_relays"], h["local_tweetos"]) == (1, 1, 1)
    assert h["potential_reach"] == 40
    assert (h["hashtag_posts"], h["posts_total"]) == (2, 5)

    # same data, same arguments: the same bytes, in this process and in a fresh one
    assert metrics(capsys, config, db, *args)[1] == out
    fresh = subprocess.run(
        [sys.executable, "-m", "territoires.cli", "metrics", "--config", str(config),
         "--db", str(db), *args],
        capture_output=True, text=True, check=True, cwd=Path(__file__).resolve().parents[1],
    )  # fmt: skip
    assert fresh.stdout == out


def test_table_format(capsys, warehouse):
    config, db = warehouse
    code, out, _ = metrics(capsys, config, db, "--since", "2024-03-01", "--until", "2024-04-01",
                           "--as-of", "2024-03-05", "--format", "table")  # fmt: skip
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == len(HEADLINE_KEYS)
    assert lines[3].split() == ["as", "of", "(UTC)", "2024-03-04T23:00:00Z"]  # local midnight
    assert "50.0 %" in out and "80.0 min" in out


def test_empty_period_gives_nulls(capsys, warehouse):
    config, db = warehouse
    code, out, _ = metrics(capsys, config, db, "--since", "2023-01-01", "--until", "2023-01-02")
    h = json.loads(out)
    assert code == 0
    assert h["interpellations"] == 0 and h["response_rate"] is None
    assert h["median_response_minutes"] is None and h["posts_total"] == 0
    assert h["as_of"] == "2023-01-08T23:00:00Z"  # default: at most 7 days after until


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--since", "2024-03-32", "--until", "2024-04-01"), "--since: expected a date"),
        (("--since", "2024-03-01", "--until", "soon"), "--until: expected a date"),
        (("--since", "2024-03-02", "--until", "2024-03-01"), "must be after --since"),
        (("--since", "2024-03-01", "--until", "2024-04-30", "--as-of", "noon"), "--as-of: expect"),
    ],
)
def test_bad_arguments_are_one_line(capsys, warehouse, extra, message):
    config, db = warehouse
    code, out, err = metrics(capsys, config, db, *extra)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and message in err


def test_missing_warehouse_is_one_line(capsys, warehouse, tmp_path):
    config, _ = warehouse
    code, _, err = metrics(capsys, config, tmp_path / "nowhere.duckdb", "--since", "2024-03-01",
                           "--until", "2024-04-01")  # fmt: skip
    assert code == 2 and "no warehouse" in err and err.count("\n") == 1
    assert not (tmp_path / "nowhere.duckdb").exists()


def test_default_as_of_and_instants():
    t = parse_config(tomllib.loads(CONFIG))
    now = datetime(2024, 3, 20, 12, 0, 0, 123456, tzinfo=UTC)
    assert default_as_of(t, date(2024, 3, 25), now) == datetime(2024, 3, 20, 12)  # current period
    assert default_as_of(t, date(2024, 3, 4), now) == datetime(2024, 3, 10, 23)  # final
    assert parse_instant("--as-of", "2024-03-05T12:00", t) == datetime(2024, 3, 5, 11)  # local
    assert parse_instant("--as-of", "2024-07-05T12:00Z", t) == datetime(2024, 7, 5, 12)
