"""`territoires import` and config errors, through the real console script."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import EXAMPLE_CONFIG, fixture_path
from warehouse.db import connect, snapshot_path


def territoires(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "territoires.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_malformed_lines_are_reported_and_valid_lines_land(tmp_path: Path):
    good = fixture_path("x-api-v2", "twarc-csv", "two_tweets.jsonl").read_text().strip()
    users = fixture_path("x-api-v2", "twarc-csv", "users.jsonl").read_text().strip()
    jsonl = tmp_path / "pages.jsonl"
    jsonl.write_bytes(
        good.encode()
        + b"\n"
        + b'{"data": [{"id": "1", "text": "cut'
        + b"\n"  # line 2: truncated
        + b"\n"  # line 3: blank, ignored
        + b"[1, 2, 3]\n"  # line 4: not an object
        + b'{"data": [], "note": "caf\xe9"}\n'  # line 5: not UTF-8
        + users.encode()
        + b"\n"
    )
    db = tmp_path / "w.duckdb"
    result = territoires("import", str(jsonl), "--config", str(EXAMPLE_CONFIG), "--db", str(db))
    assert result.returncode == 1
    assert f"{jsonl}:2: not valid JSON" in result.stderr
    assert f"{jsonl}:4: expected a JSON object" in result.stderr
    assert f"{jsonl}:5: not UTF-8" in result.stderr
    assert ":3:" not in result.stderr
    assert "Traceback" not in result.stderr
    assert "2 pages (2 new)" in result.stdout and "3 skipped" in result.stdout
    con = connect(snapshot_path(db), read_only=True)  # the published snapshot has it all
    # two_tweets.jsonl holds one post in data and its retweeted original in includes
    assert con.execute("SELECT count(*) FROM territory_posts").fetchall()[0][0] == 1
    assert con.execute("SELECT count(*) FROM posts WHERE in_data").fetchall()[0][0] == 1
    assert con.execute("SELECT count(*) FROM accounts").fetchall()[0][0] > 50


def test_clean_import_exits_zero_and_reimport_changes_nothing(tmp_path: Path):
    src = fixture_path("x-api-v2", "twarc-csv", "brexit.jsonl")
    db = tmp_path / "w.duckdb"
    first = territoires("import", str(src), "--config", str(EXAMPLE_CONFIG), "--db", str(db))
    assert first.returncode == 0, first.stderr
    again = territoires("import", str(src), "--config", str(EXAMPLE_CONFIG), "--db", str(db))
    assert again.returncode == 0
    assert "1 pages (0 new)" in again.stdout


def test_bad_config_gets_one_clear_line(tmp_path: Path):
    cfg = tmp_path / "ville.toml"
    cfg.write_text(
        EXAMPLE_CONFIG.read_text().replace(
            'timezone = "Europe/Paris"', 'timezone = "Europe/Lutece"'
        )
    )
    result = territoires(
        "import", "x.jsonl", "--config", str(cfg), "--db", str(tmp_path / "w.duckdb")
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert str(cfg) in lines[0] and "territory.timezone" in lines[0] and "IANA" in lines[0]
    line = next(
        n for n, t in enumerate(cfg.read_text().splitlines(), 1) if t.startswith("timezone")
    )
    assert f"(line {line})" in lines[0]


def test_config_file_that_is_not_toml(tmp_path: Path):
    cfg = tmp_path / "ville.toml"
    cfg.write_text("[territory\nname = 'x'\n")
    result = territoires("import", "x.jsonl", "--config", str(cfg))
    assert result.returncode == 2
    assert str(cfg) in result.stderr and "not valid TOML" in result.stderr
    assert "Traceback" not in result.stderr


def test_read_ahead_keeps_order_raises_in_place_and_stops_early():
    import threading

    import pytest

    from collectors.read_ahead import read_ahead

    assert list(read_ahead(iter(range(5000)), depth=7)) == list(range(5000))

    def broken():
        yield from range(3)
        raise ValueError("line 4: cut")

    got = []
    with pytest.raises(ValueError, match="line 4"):
        for item in read_ahead(broken(), depth=16):
            got.append(item)
    assert got == [0, 1, 2]  # what came before the error was delivered first

    reader = read_ahead(iter(range(10**9)), depth=4)
    assert next(reader) == 0
    reader.close()  # the consumer stops: the thread does too
    assert not any(t.name == "read-ahead" for t in threading.enumerate())
