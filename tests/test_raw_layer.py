"""The raw layer's files (warehouse/raw_files.py, docs/design.md §2): layout and manifest,
nothing left by a failed or killed batch, a restored file never deleted, rebuild from the
files alone (and refused when one is missing), erasure and retention on files, and the
upgrade of a warehouse whose bodies are still in DuckDB."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.raw_layer import files_text, raw_bodies
from tests.scenario import Scenario, make_territory
from tests.test_facts import demo_pages
from tests.test_retention_erasure import MARKER, _land, _tables, _world
from warehouse import load, migrations, raw_files, raw_migration
from warehouse.db import RebuildPending, connect, snapshot_path, writer
from warehouse.forget import forget_account
from warehouse.load import load_pages, rebuild
from warehouse.retention import purge
from warehouse.territory import resolve_account_ids, save_territory

ROOT = Path(__file__).resolve().parents[1]


def _on_disk(db: Path) -> set[str]:
    root = raw_files.raw_dir(db)
    return {p.relative_to(root).as_posix() for p in root.rglob("*.parquet")}


def _listed(con) -> set[str]:
    return {r[0] for r in con.execute("SELECT file FROM raw_files").fetchall()}


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "territoires.cli", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


def _landed(tmp_path: Path) -> Path:
    """A warehouse holding the world of tests/test_retention_erasure.py (January's page and
    June's)."""
    db = tmp_path / "w.duckdb"
    s, ids = _world()
    with writer(db) as con:
        _land(s, con, ids)
    return db


def test_layout_manifest_and_content_ids(tmp_path: Path) -> None:
    db = _landed(tmp_path)
    with writer(db) as con:
        files = _listed(con)
        assert files == _on_disk(db)  # every file listed, nothing else on disk
        days = sorted(f.split("/")[1] for f in files)
        assert days == ["day=2024-01-12", "day=2024-06-03"]  # the UTC fetch days
        for name in files:
            path = raw_files.raw_dir(db) / name
            assert name.startswith("territory=testville/")
            # named by its content; compressed with zstd
            assert path.stem == hashlib.sha256(path.read_bytes()).hexdigest()[:32]
            meta = pq.ParquetFile(path).metadata
            assert meta.row_group(0).column(0).compression == "ZSTD"
        listed = con.execute("SELECT sum(pages) FROM raw_files").fetchall()[0][0]
        assert listed == con.execute("SELECT count(*) FROM raw_pages").fetchall()[0][0] == 2
        assert raw_files.verify(con) == []
        # the warehouse file no longer holds the pages' text; the raw layer does
        assert MARKER in " ".join(raw_bodies(con))
        assert "body" not in {r[0] for r in con.execute("DESCRIBE raw_pages").fetchall()}


def test_a_failed_batch_leaves_no_file(tmp_path: Path) -> None:
    from warehouse.pages import prepare_page

    db = tmp_path / "w.duckdb"
    s, _ids = _world()
    page = prepare_page(s.page(), territory="testville", source="test",
                        fetched_at=datetime(2024, 6, 3))

    def fail(con, stats) -> None:
        raise RuntimeError("the hook failed")

    with pytest.raises(RuntimeError, match="the hook failed"), writer(db) as con:
        load_pages(con, [page], before_commit=fail)
    assert _on_disk(db) == set()
    with writer(db) as con:
        assert con.execute("SELECT count(*) FROM raw_pages").fetchall() == [(0,)]


KILLED = r"""
import os, sys
from datetime import datetime
from tests.test_retention_erasure import _world
from warehouse.db import writer
from warehouse.load import load_pages
from warehouse.pages import prepare_page

s, _ = _world()
page = prepare_page(s.page(), territory="testville", source="test",
                    fetched_at=datetime(2024, 6, 3))
with writer(sys.argv[1]) as con:
    load_pages(con, [page], before_commit=lambda con, stats: os._exit(9))  # killed here
"""


def test_a_batch_killed_before_its_commit_leaves_nothing_after_the_next_writer(
        tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    proc = subprocess.run([sys.executable, "-c", KILLED, str(db)], cwd=ROOT, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 9
    assert _on_disk(db), "the file was written (fsynced) before the commit that never came"
    with writer(db) as con:  # the next writer collects what no commit listed
        assert con.execute("SELECT count(*) FROM raw_pages").fetchall() == [(0,)]
        assert _listed(con) == set()
    assert _on_disk(db) == set()
    assert not (raw_files.raw_dir(db) / raw_files.JOURNAL).exists()


def test_files_restored_from_a_backup_are_kept_and_adopted(tmp_path: Path) -> None:
    """The warehouse file from Monday's backup, the raw layer from Tuesday's: Tuesday's pages
    are never deleted; ``rebuild`` says they are there, ``rebuild --adopt`` replays them."""
    db = tmp_path / "w.duckdb"
    s, ids = _world()
    old = [ids[k] for k in ("city_old", "alice_old", "bob_old")]
    with writer(db) as con:
        s.land(con, old, fetched_at=datetime(2024, 1, 12))
    monday = tmp_path / "monday.duckdb"
    monday.write_bytes(db.read_bytes())
    with writer(db) as con:
        s.land(con, [i for i in ids.values() if i not in old], fetched_at=datetime(2024, 6, 3))
        expected = {r[0] for r in con.execute("SELECT id FROM posts").fetchall()}
    db.write_bytes(monday.read_bytes())  # restore the older warehouse file only
    Path(str(db) + ".snapshot").unlink()
    with writer(db) as con:  # a writer opens: the newer file is not garbage
        stray = raw_files.strays(con)
        assert len(stray) == 1 and stray[0].startswith("territory=testville/day=2024-06-03/")
    assert stray[0] in _on_disk(db)
    warned = _cli("rebuild", "--db", str(db))
    assert warned.returncode == 0, warned.stderr
    assert "not listed by this warehouse" in warned.stderr and "--adopt" in warned.stderr
    adopted = _cli("rebuild", "--adopt", "--db", str(db))
    assert adopted.returncode == 0, adopted.stderr
    assert "adopted 1 files of the raw layer (1 new pages)" in adopted.stdout
    con = connect(db, read_only=True)
    try:
        assert {r[0] for r in con.execute("SELECT id FROM posts").fetchall()} == expected
    finally:
        con.close()


def test_rebuild_refuses_a_raw_layer_missing_a_file_and_changes_nothing(tmp_path: Path) -> None:
    db = _landed(tmp_path)
    with writer(db) as con:
        before = _tables(con)
    lost = sorted(_on_disk(db))[0]
    (raw_files.raw_dir(db) / lost).unlink()
    result = _cli("rebuild", "--db", str(db))
    assert result.returncode == 1
    assert f"{lost}: missing (1 pages listed in it)" in result.stderr
    assert "Traceback" not in result.stderr
    with writer(db) as con:
        assert _tables(con) == before


def test_rebuild_from_the_files_gives_the_same_tables(tmp_path: Path, territory) -> None:
    db = tmp_path / "w.duckdb"
    with writer(db) as con:
        save_territory(con, territory)
        load_pages(con, demo_pages(territory), max_bytes=300_000)  # several batches
        loaded = _tables(con)
        files = _listed(con)
        assert len(files) > 1
        rebuild(con, max_bytes=300_000)  # several batches
        assert _tables(con) == loaded
        assert _listed(con) == files  # rebuild reads the files, never rewrites them


def test_forget_rewrites_only_the_files_that_hold_the_person(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    s = Scenario(make_territory())
    s.user("ville", id="1")
    s.user("bob", id="2002")
    his = s.post("bob", "2024-06-02 08:00", "@ville bonjour")
    with writer(db) as con:
        s.land(con, [his], fetched_at=datetime(2024, 6, 2, 12))  # a page that never saw her
        s.user("alice", id="2001")
        hers = s.post("alice", "2024-06-01 08:00", f"@ville {MARKER}")
        s.land(con, [hers], fetched_at=datetime(2024, 6, 1, 12))
        before = _listed(con)
    with writer(db) as con:
        forget_account(con, "alice")
        after = _listed(con)
    kept = {f for f in before if "day=2024-06-02" in f}
    assert kept <= after  # Bob's file is the same file
    assert len(after - before) == 1  # Alice's file was replaced by one without her
    assert _on_disk(db) == after  # and the old one is gone from the disk
    assert MARKER not in files_text(db)


def test_purge_drops_old_partitions_whole(tmp_path: Path) -> None:
    db = _landed(tmp_path)
    with writer(db) as con:
        purge(con, now=datetime(2024, 6, 10))
        listed = _listed(con)
    assert {f.split("/")[1] for f in listed} == {"day=2024-06-03"}
    assert _on_disk(db) == listed  # January's file is deleted, not rewritten


def test_upgrade_moves_the_bodies_out_and_rebuilds_the_same_tables(tmp_path: Path,
                                                                     monkeypatch) -> None:
    """A warehouse of today's format (bodies in raw_pages, migrations up to 0016): the
    writer that opens it moves every body to the raw layer, and rebuild gives the tables a
    fresh load of the same pages gives."""
    fresh, old = tmp_path / "fresh.duckdb", tmp_path / "old.duckdb"
    s, ids = _world()
    with writer(fresh) as con:
        _land(s, con, ids)
    with writer(fresh) as con:
        expected = _tables(con)
        pages = con.execute(
            f"SELECT * FROM {raw_files.pages_sql(con)} ORDER BY page_id"  # noqa: S608
        ).fetchall()
        loaded_at = dict(con.execute("SELECT page_id, loaded_at FROM raw_pages").fetchall())
    monkeypatch.setattr(migrations, "MIGRATIONS",
                        [m for m in migrations.MIGRATIONS if m[0] < raw_migration.NAME])
    con = connect(old)
    migrations.migrate(con)
    assert "body" in {r[0] for r in con.execute("DESCRIBE raw_pages").fetchall()}
    for row in pages:
        con.execute("INSERT INTO raw_pages VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [*row, loaded_at[row[0]]])
    con.close()
    monkeypatch.undo()
    with writer(old) as con:  # migrates (0017), publishes
        assert con.execute("SELECT count(*) FROM schema_migrations WHERE name = "
                           "'0017_raw_files'").fetchall() == [(1,)]
        assert raw_files.verify(con) == []
        assert raw_bodies(con) == [r[9] + (r[10] or "") for r in pages]
        save_territory(con, s.territory)
        rebuild(con)
        resolve_account_ids(con)
    with writer(old) as con:
        rebuilt = _tables(con)
    assert rebuilt == expected


def test_a_rebuild_stopped_half_way_publishes_nothing_until_run_again(tmp_path: Path,
                                                                      monkeypatch) -> None:
    """rebuild commits batch by batch: stopped after its first batch, the tables are partial,
    so no writer publishes them (the last snapshot stays) until rebuild runs again."""
    db = tmp_path / "w.duckdb"
    territory = Scenario(make_territory()).territory
    with writer(db) as con:
        save_territory(con, territory)
        load_pages(con, demo_pages(territory), max_bytes=300_000)
    with writer(db) as con:
        whole = _tables(con)
    published = snapshot_path(db).read_bytes()
    calls = []
    real = load.normalise

    def stop_at_the_second_batch(con):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(con)

    monkeypatch.setattr(load, "normalise", stop_at_the_second_batch)
    with pytest.raises(RebuildPending, match="run `territoires rebuild"), writer(db) as con:
        with pytest.raises(KeyboardInterrupt):
            rebuild(con, max_bytes=300_000)
        assert con.execute("SELECT count(*) FROM posts").fetchall()[0][0] < len(whole["posts"])
    assert snapshot_path(db).read_bytes() == published  # the dashboard keeps the whole one
    monkeypatch.undo()
    with pytest.raises(RebuildPending), writer(db):  # any writer: refused, not published
        pass
    again = _cli("rebuild", "--db", str(db))
    assert again.returncode == 0, again.stderr
    with writer(db) as con:
        assert _tables(con) == whole
    assert snapshot_path(db).read_bytes() != published  # published again, whole
