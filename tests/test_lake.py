"""``territoires export --lake DIR`` (warehouse/lake.py, docs/scale.md): the warehouse's base
tables as hive-partitioned Parquet, read back by DuckDB with the same rows and keys."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from tests.scenario import Scenario, make_territory
from warehouse import triage_journal
from warehouse.db import publish_snapshot
from warehouse.lake import KEYS, LAKE_VERSION, MANIFEST, TABLES, export, parquet_glob
from warehouse.territory import load_territories


def _scenario(con) -> Scenario:
    s = Scenario(make_territory())
    for handle in ("ville", "ville_sortir", "ville_proprete"):
        s.user(handle, location="Villeneuve")
    c1 = s.post("ville", "2024-03-04 09:00", "Concert ce soir #Villeneuve https://ville.fr/a")
    p = s.post("alice", "2024-03-04 10:00", "Bonjour @ville, la rue est fermée ?")
    s.reply("ville", p, "2024-03-04 10:30", "@alice Oui, jusqu'à 18h.")
    s.repost("bob", c1, "2024-03-31 23:30")
    s.post("carol", "2024-04-02 08:00", "@ville toujours pas de ramassage")
    s.land(con)
    return s


def _read(lake: Path, table: str, columns: str) -> set[tuple]:
    sql = f"SELECT {columns} FROM read_parquet($glob, hive_partitioning = true)"  # noqa: S608
    return set(duckdb.execute(sql, {"glob": parquet_glob(lake, table)}).fetchall())


def test_export_reads_back_with_the_same_rows_and_keys(con, tmp_path):
    s = _scenario(con)
    lake = tmp_path / "lake"
    report = export(con, lake, load_territories(con))
    manifest = json.loads((lake / MANIFEST).read_text())
    assert set(manifest["tables"]) == set(TABLES)
    assert manifest["lake_version"] == LAKE_VERSION == 3
    # version 3: the profiles' marked folds, which the locality patterns read (Spark's too)
    columns = {c[0] for c in manifest["tables"]["accounts"]["columns"]}
    assert {"profile_fold", "profile_marked"} <= columns
    for table in TABLES:
        source = "territories" if table == "territories" else table
        n = con.execute(f"SELECT count(*) FROM {source}").fetchall()[0][0]  # noqa: S608
        assert report.rows[table] == manifest["tables"][table]["rows"] == n, table
        sql = "SELECT count(*) FROM read_parquet($g, hive_partitioning = true)"  # noqa: S608
        assert duckdb.execute(sql, {"g": parquet_glob(lake, table)}).fetchall()[0][0] == n
    for table, key in KEYS.items():
        if table == "triage_decisions":
            continue
        column = {"territory": "slug"} if table == "territories" else {}
        src = ", ".join(f"{column.get(k, k)}" for k in key)
        want = set(con.execute(f"SELECT {src} FROM {table}").fetchall())  # noqa: S608
        assert _read(lake, table, ", ".join(key)) == want, table
    # partitions: a territory's month is one folder
    months = sorted(p.name for p in (lake / "territory_posts" / "territory=testville").iterdir())
    assert months == ["month=2024-03", "month=2024-04"]
    assert (lake / "posts" / "month=2024-03").is_dir()
    assert s.territory.slug == "testville"


def test_reexport_replaces_the_lake_and_keeps_journal_decisions(con, db_file, tmp_path):
    s = _scenario(con)
    lake = tmp_path / "lake"
    export(con, lake, load_territories(con))
    (lake / "stray.txt").write_text("from the first export")
    post = next(pid for pid, p in s.posts.items() if "fermée" in p["text"])
    triage_journal.record(db_file, [triage_journal.Decision(
        "testville", "x", post, "no_answer_expected", "cm@ville.fr", datetime(2024, 3, 5),
        note="personal")])
    export(con, lake, load_territories(con))
    assert not (lake / "stray.txt").exists()
    assert not list(tmp_path.glob("lake.*"))  # no temporary folder left
    rows = _read(lake, "triage_decisions", "post_id, decision")
    assert rows == {(post, "no_answer_expected")}
    cols = duckdb.execute("DESCRIBE SELECT * FROM read_parquet($g)",
                          {"g": parquet_glob(lake, "triage_decisions")}).fetchall()
    assert not {"note", "decided_by"} & {c[0] for c in cols}  # personal data stays home


def test_a_folder_that_is_not_a_lake_is_never_replaced(con, tmp_path):
    _scenario(con)
    keep = tmp_path / "photos"
    keep.mkdir()
    (keep / "x.jpg").write_text("x")
    with pytest.raises(FileExistsError):
        export(con, keep, load_territories(con))
    assert (keep / "x.jpg").exists()


def test_the_command(con, db_file, tmp_path):
    _scenario(con)
    publish_snapshot(con, db_file)
    con.close()
    lake = tmp_path / "lake"
    cmd = [sys.executable, "-m", "territoires.cli", "export", "--db", str(db_file),
           "--lake", str(lake)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "posts 5" in done.stdout
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)  # idempotent
    assert done.returncode == 0, done.stderr
    bad = subprocess.run([*cmd[:-1], str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert bad.returncode != 0 and "not a lake" in bad.stderr
